/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sampler's memory: a ring of timestamped ticks for the host and one per
 * domain (keyed by UUID), of a configured length. Pure: agent/ pushes what it
 * read, scenario tests push what was captured, and the verdict is taken over
 * the newest ticks that fit the window.
 */
#pragma once

#include <stddef.h>

#include "facts.h"
#include "verdict.h"

/*
 * One tick of a domain as the ring keeps it: the numbers only (the figures
 * of struct sg_dom_facts that are numbers, in the same units). The text of
 * a tick (why a figure is missing) and the per-domain constants are kept
 * once per ring, with its newest tick; async-PF sums and guest-probe facts
 * only for the ticks that carry them.
 */
struct sg_dom_tick {
    double t_s;
    uint64_t vm_swap_kib, cgroup_swap_bytes, cgroup_pgmajfault;
    uint64_t cgroup_swap_events_max, cgroup_swap_events_fail;
    float psi_some_avg10, psi_full_avg10; /* the kernel prints two decimals; the newest tick
                                             keeps the double in sg_dom_ring.last */
    uint64_t psi_full_total_us;
    bool running, apf_available, guest_probed;
};

struct sg_dom_ring {
    char uuid[37];
    char *name;                     /* owned; "" when pushed without a name, at most 255 bytes */
    struct sg_dom_tick *v;          /* cap entries, oldest at head */
    uint64_t (*apf)[SG_APF__MAX];   /* cap entries, allocated with the first tick that has them */
    struct sg_dom_lost *lost;       /* cap entries (policies/facts.h: the lost-time numbers of each
                                       tick, from which the stall rules take rates and sums over the
                                       window), allocated with the first tick that has vCPU threads
                                       or a console log read */
    struct sg_vcpu_lost *vcpu;      /* cap x vcpu_stride entries: tick at's vCPU threads at
                                       vcpu[at * vcpu_stride], lost[at].n_vcpu_lost of them;
                                       allocated with the first tick that has some */
    unsigned vcpu_stride;
    struct sg_guest_facts **guest;  /* cap pointers, allocated with the first probed tick; each
                                       entry set for the probed ticks only */
    struct sg_dom_facts *last;      /* the newest tick, whole (text included), NULL before the
                                       first: allocated to SG_DOM_FACTS_SIZE(last_room), its
                                       vcpu_lost[] valid below lost.n_vcpu_lost only; read it in
                                       place, never copy it whole (sg_sampler_tick copies it) */
    unsigned last_room;             /* vcpu_lost[] entries last has room for */
    size_t head, n;
    bool seen;                      /* pushed to since the last sg_sampler_sweep */
};

struct sg_sampler {
    size_t cap;             /* ticks kept per ring (>= 2) */
    struct sg_host_facts *host;
    size_t host_head, host_n;
    struct sg_dom_ring *doms;
    size_t n_doms, cap_doms;
    size_t *slot;           /* open-addressing hash of the rings by UUID (index into doms) */
    size_t n_slots;         /* a power of two, at least twice n_doms; 0: none yet */
    /* cap entries each, allocated with the sampler: the window handed to
     * sg_verdict_eval by sg_sampler_verdict (one verdict at a time per sampler) */
    const struct sg_dom_facts **win_dom;
    const struct sg_host_facts **win_host;
    struct sg_dom_facts *win_facts;
};

/* Sets up an empty sampler keeping cap ticks per ring. -EINVAL when cap < 2, -ENOMEM. */
int sg_sampler_init(struct sg_sampler *s, size_t cap);
/* Frees everything; s is left empty (init again to reuse). Accepts a zeroed sampler. */
void sg_sampler_clear(struct sg_sampler *s);

void sg_sampler_push_host(struct sg_sampler *s, const struct sg_host_facts *h);
/*
 * The facts of tick i (0 = oldest) of ring r, rebuilt from what the ring keeps:
 * the numbers of every tick, the async-PF sums and guest facts of the ticks
 * that had them, the text (apf_missing, guest.missing) and guest_ram_kib of the
 * newest tick only (empty or the newest's value for the older ones).
 */
void sg_sampler_tick(const struct sg_sampler *s, const struct sg_dom_ring *r, size_t i,
                     struct sg_dom_facts *out);

/*
 * Appends a tick of domain uuid (named name, may be NULL: copied, truncated
 * to fit; a later push renames), dropping the oldest when full. -EINVAL for a
 * NULL, empty or longer than 36 bytes uuid; -ENOMEM (the sampler unchanged).
 */
int sg_sampler_push_dom(struct sg_sampler *s, const char *uuid, const char *name,
                        const struct sg_dom_facts *d);
/*
 * The heap the sampler holds now, in bytes: the host ring, each domain's ring and
 * its slot in the domain array, and the verdict window (allocated sizes, not
 * malloc's overhead). For soak runs: it must stay flat while domains come and go.
 */
size_t sg_sampler_bytes(const struct sg_sampler *s);

/* Forgets the domains not pushed to since the last sweep (undefined, gone). */
void sg_sampler_sweep(struct sg_sampler *s);

/* The ring of domain uuid (a hash lookup, case-insensitive), NULL when unknown. Tick i
 * (0 = oldest) is v[(head + i) % cap]; the newest, whole, is *last (set once n > 0). */
const struct sg_dom_ring *sg_sampler_dom(const struct sg_sampler *s, const char *uuid);

/*
 * The verdict of domain uuid over the ticks no older than window_s seconds
 * before its newest tick (window_s <= 0: the whole ring), with the host ticks
 * from the first to the last of those ticks (t_s). -ENOENT when the sampler
 * has no tick of that domain. Uses the sampler's window scratch: not to be
 * called on one sampler from two threads at once.
 */
int sg_sampler_verdict(const struct sg_sampler *s, const char *uuid, double window_s,
                       const struct sg_verdict_thresholds *t, struct sg_verdict *out);
