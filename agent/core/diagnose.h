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
    bool neighbours;     /* name what competes for the host CPUs of a host-cpu-contention
                            domain's vCPUs (a scan of every thread before and after the ticks) */
};

#define SG_DIAG_NEIGHBOURS_MAX 5

/* The threads that competed for one domain's vCPU host CPUs over the diagnosis. */
struct sg_diag_neighbours {
    bool looked;                 /* the domain's verdict asked for it */
    char missing[160];           /* when looked and nothing could be named: why */
    char cpus[128];              /* the vCPU threads' allowed CPUs (Cpus_allowed_list, joined) */
    double window_s;             /* seconds between the two scans */
    size_t n;
    struct sg_cpu_neighbour v[SG_DIAG_NEIGHBOURS_MAX]; /* the most CPU time first */
    char domain[SG_DIAG_NEIGHBOURS_MAX][256];          /* v[k]'s domain name when its process is a
                                                          domain's QEMU, "" for a host process */
};

struct sg_diag {
    struct sg_config cfg;
    struct sg_dom *w;  /* the domains, g->n of them */
    size_t n;
    struct sg_sampler s;
    struct sg_verdict *v; /* v[i]: verdict of w[i] */
    struct sg_diag_neighbours *nb; /* nb[i]: of w[i] (opts.neighbours) */
    struct sg_thread_cpu *scan0;   /* the scan before the first tick */
    ssize_t n_scan0;               /* its length, -errno when it failed */
    double t_scan0;
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
/* g->nb[i] as [{pid, tid, comm, domain, vcpu, cpu, cpu_ms_per_s}], NULL when not looked. */
json_object *sg_diag_neighbours_to_json(const struct sg_diag *g, size_t i);
/* g->nb[i] as text (nothing when not looked); comm and names escaped. */
void sg_diag_neighbours_print(FILE *f, const struct sg_diag *g, size_t i);
void sg_verdict_print(FILE *f, const struct sg_dom *w, const struct sg_verdict *v);
