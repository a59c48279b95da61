/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The diagnosis shared by `diagnose` and `recommend`: ticks into the sampler, then verdicts. */
#pragma once

#include <stdio.h>

#include "agent/core/context.h"
#include "agent/core/collect.h"
#include "agent/core/config.h"
#include "policies/sampler.h"

struct sg_diag_opts {
    const char *domain;  /* name, UUID or id; NULL: every running domain */
    double interval_s;   /* seconds between ticks */
    unsigned count;      /* ticks */
    bool probe_guests;   /* ask each guest's agent at every tick */
    FILE *record;        /* append each tick's facts as JSON Lines, or NULL */
};

struct sg_diag {
    struct sg_config cfg;
    struct sg_dom *w;  /* the domains, g->n of them */
    size_t n;
    struct sg_sampler s;
    struct sg_verdict *v; /* v[i]: verdict of w[i] */
};

/* Loads --config (or the default path, which may be absent). Logs and returns -errno. */
int sg_diag_load_config(struct sg_ctx *ctx, const char *path, struct sg_config *cfg);

/*
 * Takes o->count ticks o->interval_s apart (host facts, each domain's facts,
 * a guest probe per running domain) into g->s and computes g->v[]. g->cfg
 * must be loaded. Logs one message and returns -errno on failure.
 */
int sg_diag_run(struct sg_ctx *ctx, const struct sg_diag_opts *o, struct sg_diag *g);
void sg_diag_clear(struct sg_diag *g);

/*
 * One domain's part of a tick, as diagnose and the agent take it: the O(1)
 * host-side facts (sg_collect_dom: status, memory cgroup, PSI, async-PF
 * counters), then a guest probe bounded by cfg [guestprobe] timeout, unless
 * the domain is not running or no_probe gives the reason to skip it (then
 * out->guest says why), pushed into s and left in out. Returns 0, -errno of
 * sg_collect_dom (err filled: permission, malformed files), or -EINVAL/
 * -ENOMEM of sg_sampler_push_dom (err untouched).
 */
int sg_diag_tick_dom(const struct sg_fs *fs, const struct sg_config *cfg, struct sg_dom *w,
                     const char *no_probe, struct sg_sampler *s, struct sg_dom_facts *out,
                     struct sg_error *err);

json_object *sg_verdict_to_json(const struct sg_dom *w, const struct sg_verdict *v);
void sg_verdict_print(FILE *f, const struct sg_dom *w, const struct sg_verdict *v);
