/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "policies/sampler.h"

#include <errno.h>
#include <math.h>
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
    if (!s->host || !s->win_dom || !s->win_host) {
        sg_sampler_clear(s);
        return -ENOMEM;
    }
    s->cap = cap;
    return 0;
}

void sg_sampler_clear(struct sg_sampler *s)
{
    for (size_t i = 0; i < s->n_doms; i++)
        free(s->doms[i].v);
    free(s->doms);
    free(s->host);
    free(s->win_dom);
    free(s->win_host);
    memset(s, 0, sizeof(*s));
}

size_t sg_sampler_bytes(const struct sg_sampler *s)
{
    size_t b;

    if (!s->host)
        return 0;
    b = s->cap * (sizeof(*s->host) + sizeof(*s->win_dom) + sizeof(*s->win_host));
    b += s->n_doms * (sizeof(*s->doms) + s->cap * sizeof(*s->doms[0].v));
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

/* Non-empty and fits sg_dom_ring.uuid (36 bytes and the NUL). */
static bool uuid_ok(const char *uuid)
{
    return uuid && uuid[0] && strnlen(uuid, UUID_SIZE) < UUID_SIZE;
}

static struct sg_dom_ring *find_ring(const struct sg_sampler *s, const char *uuid)
{
    if (!uuid_ok(uuid))
        return NULL;
    for (size_t i = 0; i < s->n_doms; i++)
        if (strcasecmp(s->doms[i].uuid, uuid) == 0)
            return &s->doms[i];
    return NULL;
}

int sg_sampler_push_dom(struct sg_sampler *s, const char *uuid, const char *name,
                        const struct sg_dom_facts *d)
{
    struct sg_dom_ring *r;

    if (!uuid_ok(uuid) || !d)
        return -EINVAL;
    if (!s->host)
        return -EINVAL; /* not initialised */
    r = find_ring(s, uuid);
    if (!r) {
        struct sg_dom_facts *v;
        struct sg_dom_ring *doms;

        if (s->n_doms >= SIZE_MAX / sizeof(*s->doms) - 1)
            return -ENOMEM;
        v = calloc(s->cap, sizeof(*v));
        if (!v)
            return -ENOMEM;
        doms = realloc(s->doms, (s->n_doms + 1) * sizeof(*s->doms));
        if (!doms) {
            free(v);
            return -ENOMEM;
        }
        s->doms = doms;
        r = &s->doms[s->n_doms++];
        memset(r, 0, sizeof(*r));
        snprintf(r->uuid, sizeof(r->uuid), "%s", uuid);
        r->v = v;
    }
    snprintf(r->name, sizeof(r->name), "%s", name ? name : "");
    if (r->n < s->cap) {
        r->v[(r->head + r->n) % s->cap] = *d;
        r->n++;
    } else {
        r->v[r->head] = *d;
        r->head = (r->head + 1) % s->cap;
    }
    r->seen = true;
    return 0;
}

void sg_sampler_sweep(struct sg_sampler *s)
{
    size_t keep = 0;

    for (size_t i = 0; i < s->n_doms; i++) {
        if (!s->doms[i].seen) {
            free(s->doms[i].v);
            continue;
        }
        if (keep != i)
            s->doms[keep] = s->doms[i];
        s->doms[keep++].seen = false;
    }
    s->n_doms = keep;
    if (keep == 0) {
        free(s->doms);
        s->doms = NULL;
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
    const struct sg_dom_facts *newest;
    double lo, hi;
    size_t n = 0, n_host = 0;

    if (!r || r->n == 0 || !s->win_dom || !s->win_host)
        return -ENOENT;
    newest = &r->v[(r->head + r->n - 1) % s->cap];
    hi = newest->t_s;
    lo = window_s > 0 ? hi - window_s : -INFINITY;
    for (size_t i = 0; i < r->n; i++) {
        const struct sg_dom_facts *d = &r->v[(r->head + i) % s->cap];

        if (d->t_s >= lo && d->t_s <= hi)
            s->win_dom[n++] = d;
    }
    if (n == 0) /* the newest tick's own t_s is NAN: take it alone */
        s->win_dom[n++] = newest;
    lo = s->win_dom[0]->t_s;
    for (size_t i = 0; i < s->host_n; i++) {
        const struct sg_host_facts *h = &s->host[(s->host_head + i) % s->cap];

        if (h->t_s >= lo && h->t_s <= hi)
            s->win_host[n_host++] = h;
    }
    sg_verdict_eval(t, s->win_dom, n, s->win_host, n_host, out);
    return 0;
}
