/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sample.h"

#include <string.h>

int sg_dom_sample_read(const struct sg_fs *fs, pid_t pid, const struct sg_cgroup *cg,
                       bool with_vcpus, struct sg_dom_sample *out, struct sg_error *err)
{
    int r;

    memset(out, 0, sizeof(*out));
    clock_gettime(CLOCK_MONOTONIC, &out->t);
    r = sg_proc_read(fs, pid, &out->status, &out->stat, err);
    if (r < 0)
        return r;
    r = sg_cgroup_read(fs, cg, &out->cg, err);
    if (r == -ENOENT)
        return -ESRCH; /* the domain's cgroup went away with it */
    if (r < 0)
        return r;
    if (with_vcpus) {
        r = sg_vcpu_threads_read(fs, pid, &out->vcpus, err);
        if (r < 0)
            return r;
        out->n_vcpus = r;
    }
    return 0;
}

void sg_dom_sample_clear(struct sg_dom_sample *s)
{
    free(s->vcpus);
    s->vcpus = NULL;
    s->n_vcpus = 0;
}
