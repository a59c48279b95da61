/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util/fmt.h"

json_object *sg_json_u64(uint64_t v)
{
    if (v == SG_NONE || v == SG_UNLIMITED)
        return NULL;
    return json_object_new_uint64(v);
}

json_object *sg_json_double(double v)
{
    char b[32];

    if (isnan(v) || isinf(v))
        return NULL;
    /* Two decimals: what PSI and per-second rates carry; json-c copies b. */
    snprintf(b, sizeof(b), "%.2f", v);
    return json_object_new_double_s(v, b);
}

json_object *sg_json_str(const char *s)
{
    return s ? json_object_new_string(s) : NULL;
}

void sg_json_print(FILE *f, json_object *o)
{
    fputs(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
                                                JSON_C_TO_STRING_SPACED |
                                                JSON_C_TO_STRING_NOSLASHESCAPE),
          f);
    fputc('\n', f);
}

const char *sg_fmt_kib(uint64_t kib, char *buf, size_t size)
{
    static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
    double v;
    size_t u = 0;

    if (kib == SG_NONE)
        return snprintf(buf, size, "-"), buf;
    if (kib == SG_UNLIMITED)
        return snprintf(buf, size, "unlimited"), buf;
    v = (double)kib;
    while (v >= 1024 && u + 1 < SG_ELEMENTSOF(units)) {
        v /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(buf, size, "%llu KiB", (unsigned long long)kib);
    else
        snprintf(buf, size, "%.1f %s", v, units[u]);
    return buf;
}

const char *sg_fmt_bytes(uint64_t bytes, char *buf, size_t size)
{
    if (bytes == SG_NONE || bytes == SG_UNLIMITED)
        return sg_fmt_kib(bytes, buf, size);
    if (bytes < 1024)
        return snprintf(buf, size, "%llu B", (unsigned long long)bytes), buf;
    return sg_fmt_kib(bytes / 1024, buf, size);
}

const char *sg_fmt_rate(double v, char *buf, size_t size)
{
    if (isnan(v) || isinf(v))
        snprintf(buf, size, "-");
    else
        snprintf(buf, size, "%.1f", v);
    return buf;
}

const char *sg_fmt_u64(uint64_t v, char *buf, size_t size)
{
    if (v == SG_NONE)
        snprintf(buf, size, "-");
    else if (v == SG_UNLIMITED)
        snprintf(buf, size, "unlimited");
    else
        snprintf(buf, size, "%llu", (unsigned long long)v);
    return buf;
}

const char *sg_fmt_safe(const char *s, char *buf, size_t size)
{
    size_t w = 0;

    if (size == 0)
        return buf;
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        /* Backslashes stay: systemd-escaped cgroup paths (machine-qemu\x2d1...) print as named. */
        if (*p >= 0x20 && *p < 0x7f) {
            if (w + 1 >= size)
                break;
            buf[w++] = (char)*p;
        } else {
            if (w + 4 >= size)
                break;
            snprintf(buf + w, size - w, "\\x%02x", *p);
            w += 4;
        }
    }
    buf[w] = '\0';
    return buf;
}
