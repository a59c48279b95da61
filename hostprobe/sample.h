/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One sample of a domain's QEMU process and memory cgroup: O(1) small
 * files (status, stat, memory.stat, one-value cgroup files, memory.pressure),
 * plus the vCPU threads' stat when asked.
 */
#pragma once

#include <time.h>

#include "cgroup.h"
#include "procfs.h"

struct sg_dom_sample {
    struct timespec t;           /* CLOCK_MONOTONIC when read */
    struct sg_proc_status status; /* /proc/PID/status */
    struct sg_proc_stat stat;     /* /proc/PID/stat: whole process (all threads) */
    struct sg_cgroup_stats cg;    /* memory cgroup figures (SG_NONE without one) */
    struct sg_vcpu_thread *vcpus; /* only with with_vcpus */
    int n_vcpus;
};

/*
 * Reads one sample of pid, whose memory cgroup cg was located before
 * (sg_cgroup_locate, once per domain). Returns 0, -ESRCH when the process is
 * gone (domain stopped), -EACCES, -EINVAL (err located), -ENOMEM.
 */
int sg_dom_sample_read(const struct sg_fs *fs, pid_t pid, const struct sg_cgroup *cg,
                       bool with_vcpus, struct sg_dom_sample *out, struct sg_error *err);

void sg_dom_sample_clear(struct sg_dom_sample *s);
