/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The decisions of `swapguard agent` (agent/daemon/daemon-loop.c) between ticks, kept
 * pure (no libvirt, no I/O) so the unit tests drive them with plain values:
 * the reconnect backoff, which guests get a probe this tick, and when a
 * verdict is reported or a live remedy applied.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policies/verdict.h"

/*
 * Seconds to wait before reconnect attempt `attempt` (1 = the first after the
 * connection was lost): 1, 2, 4, 8 ... doubling, capped at max_s (max_s < 1
 * counts as 1). Attempt 0 counts as 1.
 */
double sg_daemon_backoff_s(unsigned attempt, double max_s);

/*
 * Chooses up to k of n domains for a guest probe this tick: only those with
 * eligible[i], the least recently probed first (last_probe[i] = tick number of
 * the domain's last probe, 0 = never), ties broken by the lower index. So
 * every eligible domain gets its turn within ceil(eligible / k) ticks,
 * whatever domains come and go. Writes the chosen indexes, ascending, to
 * out[] (room for k) and returns how many.
 */
size_t sg_daemon_pick_probes(const uint64_t *last_probe, const bool *eligible, size_t n, unsigned k,
                            size_t *out);

/* What the agent remembers of one domain's verdicts. Zero-initialised = new domain. */
struct sg_daemon_track {
    bool reported;              /* a verdict of this domain was reported (last holds it) */
    bool rereport;              /* report the next verdict even when unchanged (the daemon's view
                                   is new: libvirtd came back) */
    enum sg_verdict_kind last;  /* the verdict reported last (when reported) */
    bool applied;               /* the remedies were applied in the current host-swap-stall
                                   episode: not again until the verdict leaves host-swap-stall */
};

/* What to do with a domain's new verdict. */
struct sg_daemon_step {
    bool report;       /* the verdict changed (or is the first): report it */
    const char *prev;  /* the verdict reported before (sg_verdict_name), NULL when none */
    unsigned apply;    /* SG_REC_BIT(action) of the remedies to apply now (0: none) */
};

/*
 * Takes verdict v of a domain and updates t: report when v->kind differs from
 * the verdict reported last, nothing was reported yet, or t->rereport; apply the remedies
 * of auto_apply (SG_REC_BIT(action), agent/core/config.h) when v is host-swap-stall with
 * a confidence >= min_confidence and none were applied yet in this stall
 * episode (the episode ends when the verdict is anything else).
 */
struct sg_daemon_step sg_daemon_decide(struct sg_daemon_track *t, const struct sg_verdict *v,
                                     unsigned auto_apply, double min_confidence);

/* After a reconnect: the next verdict counts as a change (rereport); the stall episode goes on. */
void sg_daemon_track_rereport(struct sg_daemon_track *t);

/* ---- the loop (daemon-loop.c) ---- */

struct sg_ctx;

struct sg_daemon_opts {
    const char *config_path; /* --config; NULL: SG_CONFIG_DEFAULT_PATH, which may be absent */
    const char *match;       /* shell pattern of the domain names to watch; NULL: all */
    uint64_t max_ticks;      /* exit after this many ticks (tests); 0: until SIGTERM */
    bool observe_only;       /* --observe-only: no remedy, a config with auto_apply refused */
};

/*
 * Runs the daemon on ctx until SIGTERM/SIGINT (returns 0) or o->max_ticks.
 * Logs every event; returns -errno (logged) when it cannot start: -EPERM
 * under a read-only connection, a bad config, the lock held by another agent.
 */
int sg_daemon_run(struct sg_ctx *ctx, const struct sg_daemon_opts *o);
