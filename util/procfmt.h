/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Parsers of the Linux text formats that both the host and a guest produce:
 * /proc/meminfo, /proc/vmstat and PSI files (/proc/pressure/memory, a cgroup
 * v2 memory.pressure). hostprobe reads the host's files with them; guestprobe
 * parses the guest's copies (hostile input). Buffers in, structs out; base
 * and rel only name the file in errors.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "util/sg-util.h"

/* /proc/meminfo, KiB (hugepage counts in pages); SG_NONE when absent. */
struct sg_meminfo {
    uint64_t mem_total_kib, mem_free_kib, mem_available_kib;
    uint64_t buffers_kib, cached_kib, swap_cached_kib;
    uint64_t anon_pages_kib, shmem_kib, mlocked_kib;
    uint64_t swap_total_kib, swap_free_kib;
    uint64_t hugepages_total, hugepages_free, hugepagesize_kib;
};

/* /proc/vmstat counters since boot (pages or events). */
struct sg_vmstat {
    uint64_t pswpin, pswpout;      /* pages swapped in / out */
    uint64_t pgmajfault;           /* major faults, all tasks */
    uint64_t workingset_refault_anon; /* Linux >= 5.9; SG_NONE before */
};

/* Pressure stall information: "some"/"full" lines of a *.pressure file. */
struct sg_psi_line {
    double avg10, avg60, avg300; /* percent of wall time stalled */
    uint64_t total_us;          /* cumulative stall, microseconds */
};
struct sg_psi {
    bool has_some, has_full;
    struct sg_psi_line some, full;
};

/* Parses /proc/pressure/memory or a cgroup v2 memory.pressure. -EINVAL located. */
int sg_parse_psi(const char *buf, const char *base, const char *rel, struct sg_psi *out,
                 struct sg_error *err);

/* Parse a /proc/meminfo or /proc/vmstat buffer; -EINVAL located in err. */
int sg_parse_meminfo(const char *buf, const char *base, const char *rel, struct sg_meminfo *out,
                     struct sg_error *err);
int sg_parse_vmstat(const char *buf, const char *base, const char *rel, struct sg_vmstat *out,
                    struct sg_error *err);
