/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A list of named figures, each with its unit and source, rendered both as
 * text ("key  value  source") and as JSON members, so both views carry the
 * same keys and numbers.
 */
#pragma once

#include <json-c/json.h>
#include <stdio.h>

#include "util/sg-util.h"

enum sg_fig_kind {
    SG_FIG_SECTION, /* a heading in text, nothing in JSON */
    SG_FIG_KIB,     /* uint64 KiB */
    SG_FIG_BYTES,   /* uint64 bytes */
    SG_FIG_COUNT,   /* uint64 counter */
    SG_FIG_RATE,    /* double per second */
    SG_FIG_PCT,     /* double percent */
    SG_FIG_INT,     /* int64; SG_FIG_NULL_INT -> null */
    SG_FIG_STR,     /* string, NULL -> null */
};

#define SG_FIG_NULL_INT INT64_MIN

struct sg_fig {
    enum sg_fig_kind kind;
    const char *key;
    uint64_t u;
    double d;
    int64_t i;
    char *s;
    char *source;
};

struct sg_figs {
    struct sg_fig *v;
    size_t n, cap;
};

void sg_figs_section(struct sg_figs *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sg_figs_u64(struct sg_figs *f, enum sg_fig_kind kind, const char *key, uint64_t v,
                 const char *source_fmt, ...) __attribute__((format(printf, 5, 6)));
void sg_figs_double(struct sg_figs *f, enum sg_fig_kind kind, const char *key, double v,
                    const char *source_fmt, ...) __attribute__((format(printf, 5, 6)));
void sg_figs_int(struct sg_figs *f, const char *key, int64_t v, const char *source_fmt, ...)
    __attribute__((format(printf, 4, 5)));
void sg_figs_str(struct sg_figs *f, const char *key, const char *v, const char *source_fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Looks up a figure by key (NULL when absent). */
const struct sg_fig *sg_figs_get(const struct sg_figs *f, const char *key);

/* Adds every figure as a member of obj; with sources, also obj.sources{key: source}. */
void sg_figs_to_json(const struct sg_figs *f, json_object *obj, bool with_sources);

/* Prints "  key  value  source" rows, with section headings. */
void sg_figs_print(const struct sg_figs *f, FILE *out);

void sg_figs_free(struct sg_figs *f);
