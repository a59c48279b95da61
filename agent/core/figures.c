/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "agent/core/figures.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "util/fmt.h"

static struct sg_fig *push(struct sg_figs *f, enum sg_fig_kind kind, const char *key,
                           const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));
static struct sg_fig *push(struct sg_figs *f, enum sg_fig_kind kind, const char *key,
                           const char *fmt, va_list ap)
{
    struct sg_fig *x;

    if (f->n == f->cap) {
        size_t ncap = f->cap ? f->cap * 2 : 32;
        struct sg_fig *nv = realloc(f->v, ncap * sizeof(*nv));
        if (!nv)
            abort(); /* out of memory while formatting output: nothing sensible left */
        f->v = nv;
        f->cap = ncap;
    }
    x = &f->v[f->n++];
    memset(x, 0, sizeof(*x));
    x->kind = kind;
    x->key = key;
    if (fmt && vasprintf(&x->source, fmt, ap) < 0)
        abort();
    return x;
}

void sg_figs_section(struct sg_figs *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    push(f, SG_FIG_SECTION, NULL, fmt, ap);
    va_end(ap);
}

void sg_figs_u64(struct sg_figs *f, enum sg_fig_kind kind, const char *key, uint64_t v,
                 const char *source_fmt, ...)
{
    va_list ap;
    va_start(ap, source_fmt);
    push(f, kind, key, source_fmt, ap)->u = v;
    va_end(ap);
}

void sg_figs_double(struct sg_figs *f, enum sg_fig_kind kind, const char *key, double v,
                    const char *source_fmt, ...)
{
    va_list ap;
    va_start(ap, source_fmt);
    push(f, kind, key, source_fmt, ap)->d = v;
    va_end(ap);
}

void sg_figs_int(struct sg_figs *f, const char *key, int64_t v, const char *source_fmt, ...)
{
    va_list ap;
    va_start(ap, source_fmt);
    push(f, SG_FIG_INT, key, source_fmt, ap)->i = v;
    va_end(ap);
}

void sg_figs_str(struct sg_figs *f, const char *key, const char *v, const char *source_fmt, ...)
{
    va_list ap;
    struct sg_fig *x;

    va_start(ap, source_fmt);
    x = push(f, SG_FIG_STR, key, source_fmt, ap);
    va_end(ap);
    if (v && !(x->s = strdup(v)))
        abort();
}

static enum sg_fig_kind row_kind(const struct sg_schema_row *r)
{
    switch (r->unit) {
    case SG_UNIT_KIB:
        return SG_FIG_KIB;
    case SG_UNIT_BYTES:
        return SG_FIG_BYTES;
    case SG_UNIT_PER_S:
        return SG_FIG_RATE;
    case SG_UNIT_PERCENT:
        return SG_FIG_PCT;
    default:
        return SG_FIG_COUNT;
    }
}

void sg_figs_row_u64(struct sg_figs *f, enum sg_fig_id id, int cgroup_version, uint64_t v)
{
    const struct sg_schema_row *r = sg_schema_get(id);

    sg_figs_u64(f, row_kind(r), r->key, v, "%s", sg_schema_source(r, cgroup_version));
}

void sg_figs_row_double(struct sg_figs *f, enum sg_fig_id id, int cgroup_version, double v)
{
    const struct sg_schema_row *r = sg_schema_get(id);

    sg_figs_double(f, row_kind(r), r->key, v, "%s", sg_schema_source(r, cgroup_version));
}

void sg_figs_row_int(struct sg_figs *f, enum sg_fig_id id, int64_t v)
{
    const struct sg_schema_row *r = sg_schema_get(id);

    sg_figs_int(f, r->key, v, "%s", r->source_v1);
}

void sg_figs_row_str(struct sg_figs *f, enum sg_fig_id id, const char *v)
{
    const struct sg_schema_row *r = sg_schema_get(id);

    sg_figs_str(f, r->key, v, "%s", r->source_v1);
}

void sg_figs_source(struct sg_figs *f, const char *fmt, ...)
{
    struct sg_fig *x;
    va_list ap;

    if (!f->n)
        return;
    x = &f->v[f->n - 1];
    free(x->source);
    x->source = NULL;
    va_start(ap, fmt);
    if (vasprintf(&x->source, fmt, ap) < 0)
        abort();
    va_end(ap);
}

const struct sg_fig *sg_figs_get(const struct sg_figs *f, const char *key)
{
    for (size_t i = 0; i < f->n; i++)
        if (f->v[i].key && strcmp(f->v[i].key, key) == 0)
            return &f->v[i];
    return NULL;
}

static json_object *fig_json(const struct sg_fig *x)
{
    switch (x->kind) {
    case SG_FIG_KIB:
    case SG_FIG_BYTES:
    case SG_FIG_COUNT:
        return sg_json_u64(x->u);
    case SG_FIG_RATE:
    case SG_FIG_PCT:
        return sg_json_double(x->d);
    case SG_FIG_INT:
        return x->i == SG_FIG_NULL_INT ? NULL : json_object_new_int64(x->i);
    case SG_FIG_STR:
        return sg_json_str(x->s);
    case SG_FIG_SECTION:
        break;
    }
    return NULL;
}

void sg_figs_to_json(const struct sg_figs *f, json_object *obj, bool with_sources)
{
    json_object *sources = with_sources ? json_object_new_object() : NULL;

    for (size_t i = 0; i < f->n; i++) {
        const struct sg_fig *x = &f->v[i];
        if (x->kind == SG_FIG_SECTION)
            continue;
        json_object_object_add(obj, x->key, fig_json(x));
        if (sources && x->source)
            json_object_object_add(sources, x->key, json_object_new_string(x->source));
    }
    if (sources)
        json_object_object_add(obj, "sources", sources);
}

static const char *fig_text(const struct sg_fig *x, char *buf, size_t size)
{
    char h[32];

    switch (x->kind) {
    case SG_FIG_KIB:
        if (x->u == SG_NONE || x->u == SG_UNLIMITED)
            return sg_fmt_kib(x->u, buf, size);
        snprintf(buf, size, "%" PRIu64 " KiB (%s)", x->u, sg_fmt_kib(x->u, h, sizeof(h)));
        return buf;
    case SG_FIG_BYTES:
        if (x->u == SG_NONE || x->u == SG_UNLIMITED)
            return sg_fmt_kib(x->u, buf, size);
        snprintf(buf, size, "%" PRIu64 " B (%s)", x->u, sg_fmt_bytes(x->u, h, sizeof(h)));
        return buf;
    case SG_FIG_COUNT:
        return sg_fmt_u64(x->u, buf, size);
    case SG_FIG_RATE:
        if (isnan(x->d))
            return snprintf(buf, size, "-"), buf;
        snprintf(buf, size, "%.1f/s", x->d);
        return buf;
    case SG_FIG_PCT:
        if (isnan(x->d))
            return snprintf(buf, size, "-"), buf;
        snprintf(buf, size, "%.2f %%", x->d);
        return buf;
    case SG_FIG_INT:
        if (x->i == SG_FIG_NULL_INT)
            return snprintf(buf, size, "-"), buf;
        snprintf(buf, size, "%" PRId64, x->i);
        return buf;
    case SG_FIG_STR:
        return sg_fmt_safe(x->s ? x->s : "-", buf, size);
    case SG_FIG_SECTION:
        break;
    }
    buf[0] = '\0';
    return buf;
}

void sg_figs_print(const struct sg_figs *f, FILE *out)
{
    for (size_t i = 0; i < f->n; i++) {
        const struct sg_fig *x = &f->v[i];
        char val[512], src[PATH_MAX + 128];

        if (x->kind == SG_FIG_SECTION) {
            fprintf(out, "%s%s\n", i ? "\n" : "", sg_fmt_safe(x->source, src, sizeof(src)));
            continue;
        }
        fprintf(out, "  %-30s %-28s %s\n", x->key, fig_text(x, val, sizeof(val)),
                x->source ? sg_fmt_safe(x->source, src, sizeof(src)) : "");
    }
}

void sg_figs_free(struct sg_figs *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->v[i].s);
        free(f->v[i].source);
    }
    free(f->v);
    f->v = NULL;
    f->n = f->cap = 0;
}
