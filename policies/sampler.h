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

struct sg_dom_ring {
    char uuid[37];
    char name[256];
    struct sg_dom_facts *v; /* cap entries, oldest at head */
    size_t head, n;
    bool seen;              /* pushed to since the last sg_sampler_sweep */
};

struct sg_sampler {
    size_t cap;             /* ticks kept per ring (>= 2) */
    struct sg_host_facts *host;
    size_t host_head, host_n;
    struct sg_dom_ring *doms;
    size_t n_doms;
    /* cap pointers each, allocated with the rings: the window handed to
     * sg_verdict_eval by sg_sampler_verdict (one verdict at a time per sampler) */
    const struct sg_dom_facts **win_dom;
    const struct sg_host_facts **win_host;
};

/* Sets up an empty sampler keeping cap ticks per ring. -EINVAL when cap < 2, -ENOMEM. */
int sg_sampler_init(struct sg_sampler *s, size_t cap);
/* Frees everything; s is left empty (init again to reuse). Accepts a zeroed sampler. */
void sg_sampler_clear(struct sg_sampler *s);

void sg_sampler_push_host(struct sg_sampler *s, const struct sg_host_facts *h);
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

/* The ring of domain uuid, NULL when unknown. Tick i (0 = oldest) is v[(head + i) % cap]. */
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
