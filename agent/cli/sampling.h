/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What list, domswap and hoststats share: the two-sample reading of domains and their figures. */
#pragma once

#include "agent/cli/cli.h"
#include "agent/core/figures.h"
#include "agent/core/domain.h"
#include "hostprobe/cgroup.h"
#include "hostprobe/domains.h"
#include "hostprobe/sample.h"
#include "policies/facts.h"
#include "hostprobe/lostime.h"

/* The options every sampling command shares. */
#define OPT_INTERVAL \
    { "interval", "S", "seconds between the two samples that give the rates (default 1; 0: no rates)" }
#define OPT_JSON { "json", NULL, "print one JSON document" }

/* A domain with its QEMU process, memory cgroup and two samples. */
struct sg_dom_entry {
    struct sg_dom dom;             /* the domain, its QEMU PID and memory cgroup */
    struct sg_dom_sample s0, s1;
    struct sg_lost_sample l0, l1;  /* the vCPU threads' lost time at s0 and s1 (hostprobe/lostime.h) */
    bool has_lost;                 /* l0 and l1 both read */
    bool running;  /* has a QEMU process we could read */
    bool has_rate; /* s0 and s1 both read */
};

int sg_parse_interval(const struct sg_opt_def *opts, const struct sg_cmd_args *a, int idx,
                          double *out);
void sg_sleep_s(double s);
void sg_entries_free(struct sg_dom_entry *e, size_t n);
/* What sg_sample_entries reads besides the O(1) files of each domain. */
enum {
    SG_SAMPLE_VCPUS = 1u << 0,     /* the vCPU threads too (domswap) */
    SG_SAMPLE_SWAP_ONLY = 1u << 1, /* only what the list table shows (SG_RD_SWAP_ONLY): the
                                      limits, usage, swap events and /proc/PID/stat stay unknown */
};
int sg_sample_entries(struct sg_ctx *ctx, struct sg_dom_entry *e, size_t n, double interval,
                          unsigned what);
const struct sg_dom_sample *sg_latest(const struct sg_dom_entry *x);
double sg_entry_rate(const struct sg_dom_entry *x, uint64_t before, uint64_t after);
const char *sg_v1v2(const struct sg_cgroup *cg, const char *v1, const char *v2);
void sg_psi_figs(struct sg_figs *f, const struct sg_psi *p, bool host);
/* Lost ms/s of x's vCPU threads between l0 and l1: swap-in alone (swapin), run-queue
 * wait (cpu), or everything (all; schedstat run delay without delay accounting); NAN unknown.
 * *source (may be NULL) names where it came from. */
double sg_entry_lost_ms(const struct sg_dom_entry *x, const char *what, const char **source);
void sg_domain_figs(const struct sg_ctx *ctx, const struct sg_dom_entry *x, struct sg_figs *f);

/*
 * Lost time: how many milliseconds per second a guest could not run because
 * of memory, as best the host can tell today. The candidates, best first, are
 * counters of the figure schema (rows stored in struct sg_dom_facts, recorded
 * and in the history), each with its factor to milliseconds; the first one
 * that both ticks carry gives the figure. Today there is one: the domain's
 * memory PSI full total (psi_full_total_us: time during which every task of
 * its memory cgroup, vCPU threads included, was stalled on memory; cold guest
 * pages swapped back in may count as I/O pressure instead). A direct measure
 * of a guest's lost time gets its own schema row and goes first in
 * sg_lost_sources[]; top and plot pick it up from there.
 */
struct sg_lost_source {
    enum sg_fig_id id;  /* a SG_KIND_COUNTER row with SG_TYPE_U64 storage in the domain facts */
    double to_ms;       /* row unit -> milliseconds (us: 1e-3) */
    const char *what;   /* what it measures, for the detail view and the legend */
};
extern const struct sg_lost_source sg_lost_sources[];
extern const size_t sg_lost_sources_n;

/*
 * Lost time between facts a and b (a older), ms per second of b.t_s - a.t_s:
 * the rate of the first source both carry (not SG_POLICY_NONE, not going
 * backwards). NAN when none does or the ticks are not running; *src (may be
 * NULL) gets the source used, NULL then.
 */
double sg_lost_ms_per_s(const struct sg_dom_facts *a, const struct sg_dom_facts *b,
                        const struct sg_lost_source **src);
