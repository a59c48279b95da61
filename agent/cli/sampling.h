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
 * Lost time, the one notion of top and plot: the verdict's lost_ms_per_s
 * (struct sg_verdict, policies/verdict.h; the "lost_ms_per_s" of each history
 * line and report): vCPU time, in ms per second summed over the vCPU threads,
 * that the host measured lost to swap-in, run-queue wait, block I/O and
 * reclaim over the verdict's window (taskstats delay accounting, else
 * schedstat run delay and the wchan looks). Where the verdict has none (NAN:
 * no vCPU thread measured, or a history line written before the figure
 * existed), one fallback, named wherever it is shown: the rate of the
 * domain's memory PSI full total (psi_full_total_us) between two ticks or
 * history lines, us/s -> ms/s: time during which every task of its memory
 * cgroup was stalled on memory (not vCPU time; cold guest pages swapped back
 * in may count as I/O pressure instead).
 */
enum sg_lost_from {
    SG_LOST_NONE = 0,  /* neither known */
    SG_LOST_VERDICT,   /* the verdict's lost_ms_per_s */
    SG_LOST_PSI_FULL,  /* the fallback: memory PSI full between two ticks or lines */
};

/*
 * The lost time in ms per second: verdict_ms (the verdict's lost_ms_per_s,
 * NAN when none) if finite, else the rate of psi_full_total_us from psi_a
 * (older) to psi_b dt_s seconds later (SG_NONE unknown; a counter that went
 * backwards or dt_s <= 0: unknown), else NAN. *from (may be NULL) says which.
 */
double sg_lost_ms_per_s(double verdict_ms, uint64_t psi_a, uint64_t psi_b, double dt_s,
                        enum sg_lost_from *from);

/* What a source is, for the detail view and the plot's legend: "the verdict's lost_ms_per_s
 * (vCPU time ...)", "fallback: memory PSI full ...", "unknown". */
const char *sg_lost_from_text(enum sg_lost_from f);
