/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Rendering of numbers and untrusted strings for text and JSON output. */
#pragma once

#include <json-c/json.h>
#include <stdio.h>

#include "util/sg-util.h"

/* json_object_put() at scope exit: `_cleanup_json_ json_object *o = NULL;` */
static inline void sg_json_putp(json_object **o)
{
    if (*o)
        json_object_put(*o);
}
#define _cleanup_json_ _cleanup_(sg_json_putp)

json_object *sg_json_u64(uint64_t v);        /* SG_NONE / SG_UNLIMITED -> null */
json_object *sg_json_double(double v);       /* NaN -> null; two decimals */
json_object *sg_json_str(const char *s);     /* NULL -> null */
void sg_json_print(FILE *f, json_object *o); /* pretty, then newline */

/* Human-readable size from KiB: "1.5 GiB", "-" for SG_NONE, "unlimited" for SG_UNLIMITED. */
const char *sg_fmt_kib(uint64_t kib, char *buf, size_t size);
const char *sg_fmt_bytes(uint64_t bytes, char *buf, size_t size);
const char *sg_fmt_rate(double v, char *buf, size_t size);
const char *sg_fmt_u64(uint64_t v, char *buf, size_t size);
/* Copies s into buf with control and non-ASCII bytes as \xNN: safe for a terminal.
 * Backslashes are copied as they are, so cgroup paths with systemd's escapes
 * (machine-qemu\x2d1\x2dname.scope) print as the kernel names them. */
const char *sg_fmt_safe(const char *s, char *buf, size_t size);
