/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "util/procfmt.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/kv.h"

#define MI(k, m, u) { k, offsetof(struct sg_meminfo, m), u }
static const struct sg_kv_field meminfo_fields[] = {
    MI("MemTotal", mem_total_kib, SG_KV_KB),
    MI("MemFree", mem_free_kib, SG_KV_KB),
    MI("MemAvailable", mem_available_kib, SG_KV_KB),
    MI("Buffers", buffers_kib, SG_KV_KB),
    MI("Cached", cached_kib, SG_KV_KB),
    MI("SwapCached", swap_cached_kib, SG_KV_KB),
    MI("AnonPages", anon_pages_kib, SG_KV_KB),
    MI("Shmem", shmem_kib, SG_KV_KB),
    MI("Mlocked", mlocked_kib, SG_KV_KB),
    MI("SwapTotal", swap_total_kib, SG_KV_KB),
    MI("SwapFree", swap_free_kib, SG_KV_KB),
    MI("HugePages_Total", hugepages_total, SG_KV_PLAIN),
    MI("HugePages_Free", hugepages_free, SG_KV_PLAIN),
    MI("Hugepagesize", hugepagesize_kib, SG_KV_KB),
};

#define VS(k, m) { k, offsetof(struct sg_vmstat, m), SG_KV_PLAIN }
static const struct sg_kv_field vmstat_fields[] = {
    VS("pswpin", pswpin),
    VS("pswpout", pswpout),
    VS("pgmajfault", pgmajfault),
    VS("workingset_refault_anon", workingset_refault_anon),
};

int sg_parse_meminfo(const char *buf, const char *base, const char *rel, struct sg_meminfo *out,
                     struct sg_error *err)
{
    int r = sg_parse_kv(buf, base, rel, meminfo_fields, SG_ELEMENTSOF(meminfo_fields), out, err);
    if (r < 0)
        return r;
    if (out->mem_total_kib == SG_NONE || out->swap_total_kib == SG_NONE ||
        out->swap_free_kib == SG_NONE) {
        sg_error_set(err, base, rel, 0, "MemTotal, SwapTotal or SwapFree missing");
        return -EINVAL;
    }
    return 0;
}

int sg_parse_vmstat(const char *buf, const char *base, const char *rel, struct sg_vmstat *out,
                    struct sg_error *err)
{
    int r = sg_parse_kv(buf, base, rel, vmstat_fields, SG_ELEMENTSOF(vmstat_fields), out, err);
    if (r < 0)
        return r;
    if (out->pswpin == SG_NONE || out->pswpout == SG_NONE || out->pgmajfault == SG_NONE) {
        sg_error_set(err, base, rel, 0, "pswpin, pswpout or pgmajfault missing");
        return -EINVAL;
    }
    return 0;
}

static int parse_psi_kv(const char **pp, const char *key, bool is_double, double *d,
                        uint64_t *u)
{
    const char *p = *pp;
    size_t klen = strlen(key);
    char *end;

    while (*p == ' ')
        p++;
    if (strncmp(p, key, klen) != 0 || p[klen] != '=')
        return -EINVAL;
    p += klen + 1;
    if (is_double) {
        if (!isdigit((unsigned char)*p))
            return -EINVAL;
        *d = strtod(p, &end);
        if (end == p)
            return -EINVAL;
        p = end;
    } else {
        const char *s = p;
        while (isdigit((unsigned char)*p))
            p++;
        if (sg_parse_u64(s, (size_t)(p - s), u) < 0)
            return -EINVAL;
    }
    *pp = p;
    return 0;
}

int sg_parse_psi(const char *buf, const char *base, const char *rel, struct sg_psi *out,
                 struct sg_error *err)
{
    unsigned lineno = 0;

    memset(out, 0, sizeof(*out));
    for (const char *line = buf; line && *line;) {
        const char *eol = strchr(line, '\n');
        const char *p = line;
        struct sg_psi_line *l;
        bool *has;

        lineno++;
        if (strncmp(p, "some ", 5) == 0) {
            l = &out->some;
            has = &out->has_some;
        } else if (strncmp(p, "full ", 5) == 0) {
            l = &out->full;
            has = &out->has_full;
        } else {
            sg_error_set(err, base, rel, lineno, "expected a 'some' or 'full' line");
            return -EINVAL;
        }
        p += 5;
        if (parse_psi_kv(&p, "avg10", true, &l->avg10, NULL) < 0 ||
            parse_psi_kv(&p, "avg60", true, &l->avg60, NULL) < 0 ||
            parse_psi_kv(&p, "avg300", true, &l->avg300, NULL) < 0 ||
            parse_psi_kv(&p, "total", false, NULL, &l->total_us) < 0 ||
            (*p != '\n' && *p != '\0')) {
            sg_error_set(err, base, rel, lineno,
                         "expected 'avg10=F avg60=F avg300=F total=N'");
            return -EINVAL;
        }
        *has = true;
        line = eol ? eol + 1 : NULL;
    }
    if (!out->has_some) {
        sg_error_set(err, base, rel, 0, "no 'some' line");
        return -EINVAL;
    }
    return 0;
}
