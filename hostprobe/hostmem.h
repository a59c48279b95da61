/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Host-wide memory figures: /proc/meminfo, /proc/vmstat, /proc/swaps,
 * /proc/pressure/memory and the hugepage pools of each NUMA node. */
#pragma once

#include <time.h>

#include "procfs.h"
#include "util/sg-util.h"

/* One hugepage pool: sys/devices/system/node/nodeN/hugepages/hugepages-SIZEkB. */
struct sg_hugepage_pool {
    int node;                /* NUMA node; -1 for sys/kernel/mm/hugepages (no NUMA sysfs) */
    uint64_t page_size_kib;
    uint64_t nr_pages;       /* nr_hugepages */
    uint64_t free_pages;     /* free_hugepages */
};

struct sg_host_sample {
    struct timespec t; /* CLOCK_MONOTONIC when read */
    struct sg_meminfo mem;
    struct sg_vmstat vm;
    bool has_psi;
    struct sg_psi psi;             /* /proc/pressure/memory */
    struct sg_swap_device *swaps;  /* /proc/swaps */
    size_t n_swaps;
    struct sg_hugepage_pool *pools;
    size_t n_pools;
};


/*
 * Reads the host figures. Meminfo and vmstat are required (-ENOENT/-EINVAL
 * located otherwise); PSI is optional (kernel without CONFIG_PSI);
 * with_details adds /proc/swaps and the hugepage pools.
 */
int sg_host_read(const struct sg_fs *fs, bool with_details, struct sg_host_sample *out,
                 struct sg_error *err);

/* Reads the hugepage pools (sorted by node, then size). Returns the count or -errno. */
int sg_hugepage_pools_read(const struct sg_fs *fs, struct sg_hugepage_pool **out,
                           struct sg_error *err);

void sg_host_sample_clear(struct sg_host_sample *s);
