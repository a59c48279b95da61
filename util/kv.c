/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "kv.h"

#include <string.h>

static bool is_blank(char c) { return c == ' ' || c == '\t'; }

int sg_parse_kv(const char *buf, const char *base, const char *rel,
                const struct sg_kv_field *fields, size_t n_fields, void *out,
                struct sg_error *err)
{
    unsigned lineno = 0;

    for (size_t i = 0; i < n_fields; i++)
        *(uint64_t *)((char *)out + fields[i].offset) = SG_NONE;

    for (const char *line = buf; line && *line;) {
        const char *eol = strchr(line, '\n');
        const char *end = eol ? eol : line + strlen(line);
        const char *p = line, *key_end, *val, *val_end;
        const struct sg_kv_field *f = NULL;
        uint64_t v;
        int r;

        lineno++;
        while (p < end && !is_blank(*p) && *p != ':')
            p++;
        key_end = p;
        for (size_t i = 0; i < n_fields; i++) {
            size_t klen = strlen(fields[i].key);
            if ((size_t)(key_end - line) == klen && memcmp(line, fields[i].key, klen) == 0) {
                f = &fields[i];
                break;
            }
        }
        if (f) {
            if (p < end && *p == ':')
                p++;
            while (p < end && is_blank(*p))
                p++;
            val = p;
            while (p < end && !is_blank(*p))
                p++;
            val_end = p;
            r = sg_parse_u64(val, (size_t)(val_end - val), &v);
            if (r < 0) {
                sg_error_set(err, base, rel, lineno, "%s: expected a number, got '%.*s'",
                             f->key, (int)(val_end - val > 40 ? 40 : val_end - val), val);
                return -EINVAL;
            }
            while (p < end && is_blank(*p))
                p++;
            if (f->unit == SG_KV_KB) {
                if (end - p < 2 || memcmp(p, "kB", 2) != 0) {
                    sg_error_set(err, base, rel, lineno, "%s: expected a value in kB", f->key);
                    return -EINVAL;
                }
                p += 2;
                while (p < end && is_blank(*p))
                    p++;
            }
            if (p != end) {
                sg_error_set(err, base, rel, lineno, "%s: unexpected text after the value",
                             f->key);
                return -EINVAL;
            }
            *(uint64_t *)((char *)out + f->offset) = v;
        }
        line = eol ? eol + 1 : NULL;
    }
    return 0;
}
