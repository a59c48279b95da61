/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "policies/sampler.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int sg_sampler_init(struct sg_sampler *s, size_t cap)
{
    memset(s, 0, sizeof(*s));
    if (cap < 2)
        return -EINVAL;
    s->host = calloc(cap, sizeof(*s->host));
    s->win_dom = calloc(cap, sizeof(*s->win_dom));
    s->win_host = calloc(cap, sizeof(*s->win_host));
    s->win_facts = calloc(cap, sizeof(*s->win_facts));
    if (!s->host || !s->win_dom || !s->win_host || !s->win_facts) {
        sg_sampler_clear(s);
        return -ENOMEM;
    }
    s->cap = cap;
    return 0;
}

static void ring_free(const struct sg_sampler *s, struct sg_dom_ring *r)
{
    if (r->guest)
        for (size_t i = 0; i < s->cap; i++)
            free(r->guest[i]);
    free(r->guest);
    free(r->apf);
    free(r->lost);
    free(r->vcpu);
    free(r->last);
    free(r->c);
    free(r->v);
    free(r->name);
}

void sg_sampler_clear(struct sg_sampler *s)
{
    for (size_t i = 0; i < s->n_doms; i++)
        ring_free(s, &s->doms[i]);
    free(s->doms);
    free(s->slot);
    free(s->host);
    free(s->win_dom);
    free(s->win_host);
    free(s->win_facts);
    memset(s, 0, sizeof(*s));
}

size_t sg_sampler_bytes(const struct sg_sampler *s)
{
    size_t b;

    if (!s->host)
        return 0;
    b = s->cap * (sizeof(*s->host) + sizeof(*s->win_dom) + sizeof(*s->win_host));
    b += s->n_doms * sizeof(*s->doms);
    for (size_t i = 0; i < s->n_doms; i++) {
        const struct sg_dom_ring *r = &s->doms[i];

        b += s->cap * (r->c ? sizeof(*r->c) : sizeof(*r->v));
        if (r->last)
            b += SG_DOM_FACTS_SIZE(r->last_room);
    }
    return b;
}

void sg_sampler_push_host(struct sg_sampler *s, const struct sg_host_facts *h)
{
    if (!s->host || !h)
        return;
    if (s->host_n < s->cap) {
        s->host[(s->host_head + s->host_n) % s->cap] = *h;
        s->host_n++;
    } else {
        s->host[s->host_head] = *h;
        s->host_head = (s->host_head + 1) % s->cap;
    }
}

#define UUID_SIZE sizeof(((struct sg_dom_ring *)NULL)->uuid)
#define NAME_MAX_LEN 255

/* Non-empty and fits sg_dom_ring.uuid (36 bytes and the NUL). */
static bool uuid_ok(const char *uuid)
{
    return uuid && uuid[0] && strnlen(uuid, UUID_SIZE) < UUID_SIZE;
}

/* FNV-1a, case-folded: UUIDs compare case-insensitively. */
static size_t uuid_hash(const char *uuid)
{
    uint64_t h = 1469598103934665603ULL;

    for (const unsigned char *p = (const unsigned char *)uuid; *p; p++) {
        h ^= (unsigned char)tolower(*p);
        h *= 1099511628211ULL;
    }
    return (size_t)h;
}

/* Rebuilds the hash for n_doms rings with at least want slots (a power of two). */
static int rehash(struct sg_sampler *s, size_t want)
{
    size_t n = 16, *slot;

    while (n < want)
        n *= 2;
    slot = malloc(n * sizeof(*slot));
    if (!slot)
        return -ENOMEM;
    for (size_t k = 0; k < n; k++)
        slot[k] = SIZE_MAX;
    for (size_t i = 0; i < s->n_doms; i++) {
        size_t k = uuid_hash(s->doms[i].uuid) & (n - 1);

        while (slot[k] != SIZE_MAX)
            k = (k + 1) & (n - 1);
        slot[k] = i;
    }
    free(s->slot);
    s->slot = slot;
    s->n_slots = n;
    return 0;
}

static struct sg_dom_ring *find_ring(const struct sg_sampler *s, const char *uuid)
{
    if (!uuid_ok(uuid) || s->n_slots == 0)
        return NULL;
    for (size_t k = uuid_hash(uuid) & (s->n_slots - 1); s->slot[k] != SIZE_MAX;
         k = (k + 1) & (s->n_slots - 1))
        if (strcasecmp(s->doms[s->slot[k]].uuid, uuid) == 0)
            return &s->doms[s->slot[k]];
    return NULL;
}

static int set_name(struct sg_dom_ring *r, const char *name)
{
    char *n;

    if (!name)
        name = "";
    if (r->name && strncmp(r->name, name, NAME_MAX_LEN) == 0 &&
        strlen(r->name) == strnlen(name, NAME_MAX_LEN))
        return 0; /* the same name: nothing to do (every tick) */
    n = strndup(name, NAME_MAX_LEN);
    if (!n)
        return -ENOMEM;
    free(r->name);
    r->name = n;
    return 0;
}

/* A new ring for uuid, in the table and the hash. NULL on ENOMEM (nothing changed). */
static struct sg_dom_ring *add_ring(struct sg_sampler *s, const char *uuid)
{
    struct sg_dom_tick_c *v;
    struct sg_dom_ring *r;

    if (s->n_doms >= SIZE_MAX / 4 / sizeof(*s->doms))
        return NULL;
    if (s->n_doms == s->cap_doms) {
        size_t ncap = s->cap_doms ? s->cap_doms * 2 : 8;
        struct sg_dom_ring *doms = realloc(s->doms, ncap * sizeof(*s->doms));

        if (!doms)
            return NULL;
        s->doms = doms;
        s->cap_doms = ncap;
    }
    if (2 * (s->n_doms + 1) > s->n_slots && rehash(s, 2 * (s->n_doms + 1)) < 0)
        return NULL;
    v = calloc(s->cap, sizeof(*v));
    if (!v)
        return NULL;
    r = &s->doms[s->n_doms];
    memset(r, 0, sizeof(*r));
    snprintf(r->uuid, sizeof(r->uuid), "%s", uuid);
    r->c = v;
    {
        size_t k = uuid_hash(uuid) & (s->n_slots - 1);

        while (s->slot[k] != SIZE_MAX)
            k = (k + 1) & (s->n_slots - 1);
        s->slot[k] = s->n_doms;
    }
    s->n_doms++;
    return r;
}

/* ---- ticks: compact or wide (sampler.h) ---- */

/* v as its distance from base in a field whose all-ones code is SG_POLICY_NONE. */
static bool pack_off(uint64_t v, uint64_t base, uint64_t none_code, uint64_t *out)
{
    if (v == SG_POLICY_NONE) {
        *out = none_code;
        return true;
    }
    if (v < base || v - base >= none_code)
        return false;
    *out = v - base;
    return true;
}

static uint64_t unpack_off(uint64_t c, uint64_t base, uint64_t none_code)
{
    return c == none_code ? SG_POLICY_NONE : base + c;
}

/* A percentage in hundredths when it is exactly that (NAN has its code). */
static bool pack_psi(double v, unsigned *out)
{
    double h;

    if (isnan(v)) {
        *out = SG_TICK_C_PSI_NAN;
        return true;
    }
    if (!(v >= 0 && v < SG_TICK_C_PSI_NAN / 100.0))
        return false;
    h = nearbyint(v * 100);
    if (h >= SG_TICK_C_PSI_NAN || h / 100.0 != v)
        return false;
    *out = (unsigned)h;
    return true;
}

static double unpack_psi(unsigned h)
{
    return h == SG_TICK_C_PSI_NAN ? NAN : h / 100.0;
}

/* w in the compact layout relative to base; false when a figure does not fit exactly. */
static bool tick_pack(const uint64_t base[SG_TICK_BASE__MAX], const struct sg_dom_tick *w,
                      struct sg_dom_tick_c *c)
{
    uint64_t swap, kib, pgmaj, psi_tot, ev_max, ev_fail;
    unsigned some, full;

    if (!pack_off(w->vm_swap_kib, 0, SG_TICK_C_NONE32, &kib) ||
        (w->cgroup_swap_bytes != SG_POLICY_NONE && w->cgroup_swap_bytes % 1024) ||
        !pack_off(w->cgroup_swap_bytes == SG_POLICY_NONE ? SG_POLICY_NONE : w->cgroup_swap_bytes / 1024, 0,
                  SG_TICK_C_NONE32, &swap) ||
        !pack_off(w->cgroup_pgmajfault, base[SG_TICK_BASE_PGMAJFAULT], SG_TICK_C_NONE32, &pgmaj) ||
        !pack_off(w->psi_full_total_us, base[SG_TICK_BASE_PSI_TOTAL], SG_TICK_C_NONE32, &psi_tot) ||
        !pack_off(w->cgroup_swap_events_max, base[SG_TICK_BASE_EV_MAX], SG_TICK_C_NONE16, &ev_max) ||
        !pack_off(w->cgroup_swap_events_fail, base[SG_TICK_BASE_EV_FAIL], SG_TICK_C_NONE16, &ev_fail) ||
        !pack_psi(w->psi_some_avg10, &some) || !pack_psi(w->psi_full_avg10, &full))
        return false;
    *c = (struct sg_dom_tick_c){
        .t_s = w->t_s, .vm_swap_kib = (uint32_t)kib, .swap_kib = (uint32_t)swap,
        .pgmajfault = (uint32_t)pgmaj, .psi_full_total_us = (uint32_t)psi_tot,
        .swap_events_max = (uint16_t)ev_max, .swap_events_fail = (uint16_t)ev_fail,
        .psi_some = some, .psi_full = full,
        .running = w->running, .apf_available = w->apf_available, .guest_probed = w->guest_probed,
    };
    return true;
}

static void tick_unpack(const uint64_t base[SG_TICK_BASE__MAX], const struct sg_dom_tick_c *c,
                        struct sg_dom_tick *w)
{
    *w = (struct sg_dom_tick){
        .t_s = c->t_s,
        .vm_swap_kib = unpack_off(c->vm_swap_kib, 0, SG_TICK_C_NONE32),
        .cgroup_swap_bytes = c->swap_kib == SG_TICK_C_NONE32 ? SG_POLICY_NONE : (uint64_t)c->swap_kib * 1024,
        .cgroup_pgmajfault = unpack_off(c->pgmajfault, base[SG_TICK_BASE_PGMAJFAULT], SG_TICK_C_NONE32),
        .psi_full_total_us = unpack_off(c->psi_full_total_us, base[SG_TICK_BASE_PSI_TOTAL], SG_TICK_C_NONE32),
        .cgroup_swap_events_max = unpack_off(c->swap_events_max, base[SG_TICK_BASE_EV_MAX], SG_TICK_C_NONE16),
        .cgroup_swap_events_fail = unpack_off(c->swap_events_fail, base[SG_TICK_BASE_EV_FAIL], SG_TICK_C_NONE16),
        .psi_some_avg10 = unpack_psi(c->psi_some), .psi_full_avg10 = unpack_psi(c->psi_full),
        .running = c->running, .apf_available = c->apf_available, .guest_probed = c->guest_probed,
    };
}

static void tick_of_facts(const struct sg_dom_facts *d, struct sg_dom_tick *w)
{
    *w = (struct sg_dom_tick){
        .t_s = d->t_s, .vm_swap_kib = d->vm_swap_kib, .cgroup_swap_bytes = d->cgroup_swap_bytes,
        .cgroup_pgmajfault = d->cgroup_pgmajfault, .cgroup_swap_events_max = d->cgroup_swap_events_max,
        .cgroup_swap_events_fail = d->cgroup_swap_events_fail, .psi_some_avg10 = d->psi_some_avg10,
        .psi_full_avg10 = d->psi_full_avg10, .psi_full_total_us = d->psi_full_total_us,
        .running = d->running, .apf_available = d->apf_available, .guest_probed = d->guest_probed,
    };
}

/* The tick at slot at of r, in the wide layout. */
static void tick_get(const struct sg_dom_ring *r, size_t at, struct sg_dom_tick *w)
{
    if (r->c)
        tick_unpack(r->base, &r->c[at], w);
    else
        *w = r->v[at];
}

static double tick_t(const struct sg_dom_ring *r, size_t at)
{
    return r->c ? r->c[at].t_s : r->v[at].t_s;
}

/*
 * Makes room in compact ring r for w at slot at: the ticks kept after the push (w
 * included) packed again from the smallest value of each counter, or, when they do not
 * fit, the ring widened for good. -ENOMEM (r unchanged).
 */
static int ticks_repack(const struct sg_sampler *s, struct sg_dom_ring *r, size_t at,
                        const struct sg_dom_tick *w)
{
    size_t keep = r->n < s->cap ? r->n + 1 : s->cap;
    struct sg_dom_tick *v = calloc(s->cap, sizeof(*v));
    struct sg_dom_tick_c *c = calloc(s->cap, sizeof(*c));
    uint64_t base[SG_TICK_BASE__MAX];
    bool fits = true;

    if (!v || !c) {
        free(v);
        free(c);
        return -ENOMEM;
    }
    for (size_t k = 0; k < r->n; k++) {
        size_t j = (r->head + k) % s->cap;

        tick_unpack(r->base, &r->c[j], &v[j]);
    }
    v[at] = *w;
    for (int b = 0; b < SG_TICK_BASE__MAX; b++)
        base[b] = SG_POLICY_NONE;
    for (size_t k = 0; k < keep; k++) {
        const struct sg_dom_tick *t = &v[(r->head + k) % s->cap];
        const uint64_t x[SG_TICK_BASE__MAX] = { t->cgroup_pgmajfault, t->psi_full_total_us,
                                                t->cgroup_swap_events_max, t->cgroup_swap_events_fail };

        for (int b = 0; b < SG_TICK_BASE__MAX; b++)
            if (x[b] < base[b])
                base[b] = x[b]; /* SG_POLICY_NONE is the largest: never the base */
    }
    for (int b = 0; b < SG_TICK_BASE__MAX; b++)
        if (base[b] == SG_POLICY_NONE)
            base[b] = 0;
    for (size_t k = 0; fits && k < keep; k++) {
        size_t j = (r->head + k) % s->cap;

        fits = tick_pack(base, &v[j], &c[j]);
    }
    if (fits) {
        memcpy(r->base, base, sizeof(base));
        free(r->c);
        r->c = c;
        free(v);
    } else {
        free(r->c);
        r->c = NULL;
        r->v = v;
        free(c);
    }
    return 0;
}

/* Makes room for n vCPU threads per tick in r (keeping what the ticks hold). -ENOMEM. */
static int vcpu_room(const struct sg_sampler *s, struct sg_dom_ring *r, unsigned n)
{
    struct sg_vcpu_lost *v;

    if (n <= r->vcpu_stride)
        return 0;
    v = calloc(s->cap * n, sizeof(*v));
    if (!v)
        return -ENOMEM;
    for (size_t k = 0; r->vcpu && k < s->cap; k++)
        memcpy(&v[k * n], &r->vcpu[k * r->vcpu_stride], r->vcpu_stride * sizeof(*v));
    free(r->vcpu);
    r->vcpu = v;
    r->vcpu_stride = n;
    return 0;
}

int sg_sampler_push_dom(struct sg_sampler *s, const char *uuid, const char *name,
                        const struct sg_dom_facts *d)
{
    struct sg_dom_ring *r;
    struct sg_dom_tick w;
    struct sg_dom_tick_c packed;
    size_t at;

    if (!uuid_ok(uuid) || !d)
        return -EINVAL;
    if (!s->host)
        return -EINVAL; /* not initialised */
    r = find_ring(s, uuid);
    if (!r) {
        r = add_ring(s, uuid);
        if (!r)
            return -ENOMEM;
    }
    if (set_name(r, name) < 0)
        return -ENOMEM;
    if (d->apf_available && !r->apf) {
        r->apf = calloc(s->cap, sizeof(*r->apf));
        if (!r->apf)
            return -ENOMEM;
    }
    if ((d->lost.vcpu_threads || d->lost.console_ok) && !r->lost) {
        r->lost = calloc(s->cap, sizeof(*r->lost));
        if (!r->lost)
            return -ENOMEM;
    }
    if (d->lost.n_vcpu_lost > SG_VCPU_LOST_MAX)
        return -EINVAL;
    if (vcpu_room(s, r, d->lost.n_vcpu_lost) < 0)
        return -ENOMEM;
    if (!r->last || d->lost.n_vcpu_lost > r->last_room) {
        struct sg_dom_facts *l = realloc(r->last, SG_DOM_FACTS_SIZE(d->lost.n_vcpu_lost));

        if (!l)
            return -ENOMEM;
        r->last = l;
        r->last_room = d->lost.n_vcpu_lost;
    }
    if (d->guest_probed && !r->guest) {
        r->guest = calloc(s->cap, sizeof(*r->guest));
        if (!r->guest)
            return -ENOMEM;
    }
    at = r->n < s->cap ? (r->head + r->n) % s->cap : r->head;
    tick_of_facts(d, &w);
    if (r->c && r->n == 0) { /* the counters' zero: the first tick's values */
        const uint64_t x[SG_TICK_BASE__MAX] = { w.cgroup_pgmajfault, w.psi_full_total_us,
                                                w.cgroup_swap_events_max, w.cgroup_swap_events_fail };

        for (int b = 0; b < SG_TICK_BASE__MAX; b++)
            r->base[b] = x[b] == SG_POLICY_NONE ? 0 : x[b];
    }
    if (r->c && !tick_pack(r->base, &w, &packed)) {
        if (ticks_repack(s, r, at, &w) < 0)
            return -ENOMEM;
        if (r->c && !tick_pack(r->base, &w, &packed))
            return -EINVAL; /* cannot be: repacked with w */
    }
    if (d->guest_probed) {
        if (!r->guest[at]) {
            r->guest[at] = malloc(sizeof(*r->guest[at]));
            if (!r->guest[at])
                return -ENOMEM;
        }
        *r->guest[at] = d->guest;
    } else if (r->guest && r->guest[at]) {
        free(r->guest[at]);
        r->guest[at] = NULL;
    }
    if (r->n < s->cap)
        r->n++;
    else
        r->head = (r->head + 1) % s->cap;
    if (r->c)
        r->c[at] = packed;
    else
        r->v[at] = w;
    if (r->apf)
        memcpy(r->apf[at], d->apf, sizeof(r->apf[at]));
    if (r->lost)
        r->lost[at] = d->lost;
    if (r->vcpu && d->lost.n_vcpu_lost)
        memcpy(&r->vcpu[at * r->vcpu_stride], d->vcpu_lost, d->lost.n_vcpu_lost * sizeof(*r->vcpu));
    memcpy(r->last, d, SG_DOM_FACTS_SIZE(d->lost.n_vcpu_lost));
    r->seen = true;
    return 0;
}

void sg_sampler_tick(const struct sg_sampler *s, const struct sg_dom_ring *r, size_t i,
                     struct sg_dom_facts *out)
{
    size_t at = (r->head + i) % s->cap;
    struct sg_dom_tick tw, *t = &tw;

    if (i + 1 == r->n) {
        memcpy(out, r->last, SG_DOM_FACTS_SIZE(r->last->lost.n_vcpu_lost));
        return;
    }
    tick_get(r, at, &tw);
    /* Field by field: a memset of the whole struct per tick would cost more than the rest. */
    out->t_s = t->t_s;
    out->running = t->running;
    out->guest_ram_kib = r->last->guest_ram_kib;
    out->vm_swap_kib = t->vm_swap_kib;
    out->cgroup_swap_bytes = t->cgroup_swap_bytes;
    out->cgroup_pgmajfault = t->cgroup_pgmajfault;
    out->cgroup_swap_events_max = t->cgroup_swap_events_max;
    out->cgroup_swap_events_fail = t->cgroup_swap_events_fail;
    out->psi_some_avg10 = t->psi_some_avg10;
    out->psi_full_avg10 = t->psi_full_avg10;
    out->psi_full_total_us = t->psi_full_total_us;
    out->apf_available = t->apf_available;
    out->apf_missing[0] = '\0';
    out->delayacct_missing[0] = out->console_missing[0] = '\0';
    if (r->lost)
        out->lost = r->lost[at];
    else
        sg_dom_lost_none(&out->lost);
    if (out->lost.n_vcpu_lost > r->vcpu_stride) /* never pushed so (vcpu_room first): defensive */
        out->lost.n_vcpu_lost = 0;
    if (out->lost.n_vcpu_lost)
        memcpy(out->vcpu_lost, &r->vcpu[at * r->vcpu_stride], out->lost.n_vcpu_lost * sizeof(*r->vcpu));
    if (r->apf)
        memcpy(out->apf, r->apf[at], sizeof(out->apf));
    else
        memset(out->apf, 0, sizeof(out->apf));
    out->guest_probed = t->guest_probed && r->guest && r->guest[at];
    if (out->guest_probed) {
        out->guest = *r->guest[at];
    } else {
        memset(&out->guest, 0, sizeof(out->guest));
        out->guest.steal_ms_per_s = NAN;
    }
}

void sg_sampler_sweep(struct sg_sampler *s)
{
    size_t keep = 0;

    for (size_t i = 0; i < s->n_doms; i++) {
        if (!s->doms[i].seen) {
            ring_free(s, &s->doms[i]);
            continue;
        }
        if (keep != i)
            s->doms[keep] = s->doms[i];
        s->doms[keep++].seen = false;
    }
    if (keep == s->n_doms)
        return;
    s->n_doms = keep;
    if (keep == 0) {
        free(s->doms);
        free(s->slot);
        s->doms = NULL;
        s->slot = NULL;
        s->cap_doms = s->n_slots = 0;
        return;
    }
    if (rehash(s, 2 * keep) < 0) {
        /* keep the old table size: the rings moved, so the hash is rebuilt in place */
        for (size_t k = 0; k < s->n_slots; k++)
            s->slot[k] = SIZE_MAX;
        for (size_t i = 0; i < s->n_doms; i++) {
            size_t k = uuid_hash(s->doms[i].uuid) & (s->n_slots - 1);

            while (s->slot[k] != SIZE_MAX)
                k = (k + 1) & (s->n_slots - 1);
            s->slot[k] = i;
        }
    }
}

const struct sg_dom_ring *sg_sampler_dom(const struct sg_sampler *s, const char *uuid)
{
    return find_ring(s, uuid);
}

int sg_sampler_verdict(const struct sg_sampler *s, const char *uuid, double window_s,
                       const struct sg_verdict_thresholds *t, struct sg_verdict *out)
{
    const struct sg_dom_ring *r = find_ring(s, uuid);
    double lo, hi;
    size_t n = 0, n_host = 0;

    if (!r || r->n == 0 || !s->win_dom || !s->win_host || !s->win_facts)
        return -ENOENT;
    hi = r->last->t_s;
    lo = window_s > 0 ? hi - window_s : -INFINITY;
    for (size_t i = 0; i < r->n; i++) {
        double ts = tick_t(r, (r->head + i) % s->cap);

        if (ts >= lo && ts <= hi) {
            if (i + 1 == r->n) {
                s->win_dom[n] = r->last; /* the newest, whole, from the ring itself */
            } else {
                sg_sampler_tick(s, r, i, &s->win_facts[n]);
                s->win_dom[n] = &s->win_facts[n];
            }
            n++;
        }
    }
    if (n == 0) /* the newest tick's own t_s is NAN: take it alone */
        s->win_dom[n++] = r->last;
    lo = s->win_dom[0]->t_s;
    for (size_t i = 0; i < s->host_n; i++) {
        const struct sg_host_facts *h = &s->host[(s->host_head + i) % s->cap];

        if (h->t_s >= lo && h->t_s <= hi)
            s->win_host[n_host++] = h;
    }
    sg_verdict_eval(t, s->win_dom, n, s->win_host, n_host, out);
    return 0;
}
