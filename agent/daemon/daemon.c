/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "agent/daemon/daemon.h"

double sg_daemon_backoff_s(unsigned attempt, double max_s)
{
    double d = 1;

    if (!(max_s >= 1))
        max_s = 1;
    for (unsigned i = 1; i < attempt && d < max_s; i++)
        d *= 2;
    return d < max_s ? d : max_s;
}

size_t sg_daemon_pick_probes(const uint64_t *last_probe, const bool *eligible, size_t n, unsigned k,
                            size_t *out)
{
    size_t m = 0;

    /* Selection by (last_probe, index), k rounds over n: n and k are small. */
    while (m < k) {
        size_t best = n;

        for (size_t i = 0; i < n; i++) {
            bool taken = false;

            if (!eligible[i])
                continue;
            for (size_t j = 0; j < m && !taken; j++)
                taken = out[j] == i;
            if (taken)
                continue;
            if (best == n || last_probe[i] < last_probe[best])
                best = i;
        }
        if (best == n)
            break;
        out[m++] = best;
    }
    /* ascending indexes: probes run in table order */
    for (size_t i = 1; i < m; i++)
        for (size_t j = i; j > 0 && out[j - 1] > out[j]; j--) {
            size_t x = out[j];
            out[j] = out[j - 1];
            out[j - 1] = x;
        }
    return m;
}

struct sg_daemon_step sg_daemon_decide(struct sg_daemon_track *t, const struct sg_verdict *v,
                                     unsigned auto_apply, double min_confidence)
{
    struct sg_daemon_step s = { 0 };

    if (!t->reported || t->rereport || t->last != v->kind) {
        s.report = true;
        s.prev = t->reported ? sg_verdict_name(t->last) : NULL;
        t->reported = true;
        t->rereport = false;
        t->last = v->kind;
    }
    if (v->kind != SG_VERDICT_HOST_SWAP_STALL) {
        t->applied = false;
        return s;
    }
    if (!t->applied && auto_apply && v->confidence >= min_confidence) {
        s.apply = auto_apply;
        t->applied = true;
    }
    return s;
}

void sg_daemon_track_rereport(struct sg_daemon_track *t)
{
    t->rereport = true;
}
