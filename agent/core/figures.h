/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A list of named figures, each with its unit and source, rendered both as
 * text ("key  value  source") and as JSON members, so both views carry the
 * same keys and numbers.
 */
#pragma once

#include <json-c/json.h>
#include <stdio.h>

#include "agent/core/schema.h"
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

/*
 * A figure of the schema (agent/core/schema.h): key, display kind (from the
 * row's unit) and source (the row's v1 or v2 variant for a memory cgroup of
 * cgroup_version; 0 for figures that are not the cgroup's) all come from row
 * id. sg_figs_source() then replaces the last figure's source, for sources
 * that name a concrete path or PID.
 */
void sg_figs_row_u64(struct sg_figs *f, enum sg_fig_id id, int cgroup_version, uint64_t v);
void sg_figs_row_double(struct sg_figs *f, enum sg_fig_id id, int cgroup_version, double v);
void sg_figs_row_int(struct sg_figs *f, enum sg_fig_id id, int64_t v);
void sg_figs_row_str(struct sg_figs *f, enum sg_fig_id id, const char *v);
void sg_figs_source(struct sg_figs *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Looks up a figure by key (NULL when absent). */
const struct sg_fig *sg_figs_get(const struct sg_figs *f, const char *key);

/* Adds every figure as a member of obj; with sources, also obj.sources{key: source}. */
void sg_figs_to_json(const struct sg_figs *f, json_object *obj, bool with_sources);

/* Prints "  key  value  source" rows, with section headings. */
void sg_figs_print(const struct sg_figs *f, FILE *out);

void sg_figs_free(struct sg_figs *f);
