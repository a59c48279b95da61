/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One parser for the kernel's "Key: value [kB]" and "key value" files:
 * /proc/PID/status, /proc/meminfo, /proc/vmstat, cgroup memory.stat.
 */
#pragma once

#include "util/sg-util.h"

enum sg_kv_unit {
    SG_KV_PLAIN, /* "key 123": a bare count or byte figure */
    SG_KV_KB,    /* "Key:   123 kB": the kernel's kB (KiB) suffix is required */
};

struct sg_kv_field {
    const char *key;
    size_t offset; /* offsetof() a uint64_t in the output struct */
    enum sg_kv_unit unit;
};

/*
 * Parses buf (NUL-terminated) line by line. Every listed field is first set
 * to SG_NONE, then to the value of its key where the key appears. Lines with
 * other keys are ignored. Returns 0, or -EINVAL when a listed key has a value
 * that is not a decimal number (with "kB" for SG_KV_KB); err then names
 * base/rel, the line and the key.
 */
int sg_parse_kv(const char *buf, const char *base, const char *rel,
                const struct sg_kv_field *fields, size_t n_fields, void *out,
                struct sg_error *err);
