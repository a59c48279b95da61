/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * On-demand readers of /proc/PID/smaps and smaps_rollup. Both walk the
 * process's page tables under its mmap lock: never call them from the
 * periodic sampling path.
 */
#pragma once

#include <stdio.h>
#include <sys/types.h>

#include "util/sg-util.h"

/* The VMA that backs guest RAM. Sizes in KiB. */
struct sg_guest_ram {
    bool found;
    unsigned n_candidates;  /* VMAs of exactly the guest's size (1 expected) */
    uint64_t start, end;    /* address range of the VMA chosen */
    uint64_t size_kib;      /* Size */
    uint64_t rss_kib;       /* Rss + Shared_Hugetlb + Private_Hugetlb */
    uint64_t swap_kib;      /* Swap: guest RAM in host swap (anon and shmem/memfd) */
    uint64_t kernel_page_size_kib;
    char backing[16];       /* "anonymous", "memfd", "hugetlbfs", "shmem" or "file" */
    char path[256];         /* the mapping's path as printed, "" for anonymous */
};

/*
 * Parses smaps from f and picks the guest-RAM VMA: the first writable,
 * non-executable mapping whose Size equals guest_kib (the domain's memory;
 * QEMU maps the RAM block whole, with a separate guard page; TCG's code
 * buffer is rwx and may have the same size). Returns 0 (out->found false
 * when no VMA matches) or -EINVAL (err located at the line), -ENOMEM.
 */
int sg_parse_guest_ram(FILE *f, const char *base, const char *rel, uint64_t guest_kib,
                       struct sg_guest_ram *out, struct sg_error *err);

/* Opens /proc/PID/smaps and parses it as above. -ESRCH when gone, -EACCES. */
int sg_guest_ram_read(const struct sg_fs *fs, pid_t pid, uint64_t guest_kib,
                      struct sg_guest_ram *out, struct sg_error *err);

/*
 * Parses a /proc/PID/smaps_rollup buffer (NUL-terminated): *swap_kib gets its
 * "Swap:" line (KiB). -EINVAL (err located at base/rel:LINE) when a Swap or
 * Rss line is not "N kB" or there is no Swap line.
 */
int sg_parse_smaps_rollup(const char *buf, const char *base, const char *rel, uint64_t *swap_kib,
                          struct sg_error *err);

/*
 * Reads "Swap:" of /proc/PID/smaps_rollup (KiB): all swap of the process,
 * including shmem/memfd pages that VmSwap misses. -ESRCH, -EACCES,
 * -EINVAL (located).
 */
int sg_smaps_rollup_swap(const struct sg_fs *fs, pid_t pid, uint64_t *swap_kib,
                         struct sg_error *err);
