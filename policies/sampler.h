/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sampler's memory: a ring of timestamped ticks for the host and one per
 * domain (keyed by UUID), of a configured length. Pure: agent/ pushes what it
 * read, scenario tests push what was captured, and the verdict is taken over
 * the newest ticks that fit the window.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "facts.h"
#include "verdict.h"

/*
 * One tick of a domain as the ring keeps it: the numbers only (the figures
 * of struct sg_dom_facts that are numbers, in the same units). The text of
 * a tick (why a figure is missing) and the per-domain constants are kept
 * once per ring, with its newest tick; async-PF sums and guest-probe facts
 * only for the ticks that carry them.
 *
 * Two layouts, one per ring at a time. A ring starts compact (struct
 * sg_dom_tick_c, 32 bytes) and is widened for good (struct sg_dom_tick, 80
 * bytes) the first time a tick holds a figure the compact layout cannot keep
 * exactly: every figure reads back as it was pushed, in either.
 */
struct sg_dom_tick {
    double t_s;
    uint64_t vm_swap_kib, cgroup_swap_bytes, cgroup_pgmajfault;
    uint64_t cgroup_swap_events_max, cgroup_swap_events_fail;
    double psi_some_avg10, psi_full_avg10;
    uint64_t psi_full_total_us;
    bool running, apf_available, guest_probed;
};

/*
 * The compact tick. Ranges, each outside them widens the ring (SG_POLICY_NONE
 * and NAN have codes of their own):
 *   vm_swap_kib          < 2^32 - 1 KiB (4 TiB);
 *   swap_kib             cgroup_swap_bytes / 1024, the bytes a multiple of 1 KiB below 4 TiB
 *                        (the kernel counts pages);
 *   pgmajfault, psi_full_total_us: monotonic counters, kept as their distance from the ring's
 *                        base (sg_dom_ring.base[]), below 2^32 - 1 (4.29e9 faults, 71 min of
 *                        full stall); a counter that goes back (a new cgroup) or runs past that
 *                        moves the base to the smallest value of the ring (sg_sampler_push_dom
 *                        packs every tick again) and widens only when the ring's spread exceeds it;
 *   swap_events_max/fail: counters as above, their distance below 2^16 - 1;
 *   psi_some, psi_full:  avg10 percent in hundredths (the kernel prints two decimals), a value
 *                        that is not a whole number of hundredths in 0..163.82 widens.
 */
#define SG_TICK_C_NONE32 UINT32_MAX
#define SG_TICK_C_NONE16 UINT16_MAX
#define SG_TICK_C_PSI_NAN 0x3fffu
struct sg_dom_tick_c {
    double t_s;
    uint32_t vm_swap_kib, swap_kib, pgmajfault, psi_full_total_us;
    uint16_t swap_events_max, swap_events_fail;
    uint32_t psi_some : 14, psi_full : 14, running : 1, apf_available : 1, guest_probed : 1;
};

/* The counters a compact ring keeps relative to sg_dom_ring.base[]. */
enum { SG_TICK_BASE_PGMAJFAULT, SG_TICK_BASE_PSI_TOTAL, SG_TICK_BASE_EV_MAX, SG_TICK_BASE_EV_FAIL,
       SG_TICK_BASE__MAX };

struct sg_dom_ring {
    char uuid[37];
    char *name;                     /* owned; "" when pushed without a name, at most 255 bytes */
    struct sg_dom_tick_c *c;        /* cap entries, oldest at head: the compact ticks; NULL once
                                       widened */
    struct sg_dom_tick *v;          /* cap entries, oldest at head, once widened; NULL before */
    uint64_t base[SG_TICK_BASE__MAX]; /* the compact counters' zero */
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
 * (0 = oldest) is at (head + i) % cap of c or v (sg_sampler_tick rebuilds it); the newest,
 * whole, is *last (set once n > 0). */
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
