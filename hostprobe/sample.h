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

/*
 * The periodic reader of one domain: descriptors kept open on the files a
 * tick reads (/proc/PID/status, and /proc/PID/stat with SG_RD_STAT; the
 * memory cgroup's memory.stat, swap figure, swap events and usage; PSI),
 * each read with one pread(2) from offset 0. The limit files are read when
 * it opens (sg_dom_reader_limits again after a change). Descriptors count
 * against a process-wide budget (sg_fd_budget_init); beyond it, or when
 * open(2) says EMFILE/ENFILE, the reader opens, reads and closes the files
 * at each sample instead (kept false), with the same results.
 * Reopen (close, open) when the process or its cgroup changes: a kept
 * /proc/PID descriptor of a process that exited reads ESRCH, even when the
 * pid is reused.
 */
enum {
    SG_RD_STAT = 1u << 0, /* also /proc/PID/stat (minflt, majflt); the facts do not need it */
    SG_RD_LOST_PSI = 1u << 1, /* also io.pressure and cpu.pressure (SG_CGF_LOST_PSI) */
    /* only status, memory.stat, memory.swap.current and memory.pressure: no limits (SG_NONE),
       no usage, no swap events (what `list` shows) */
    SG_RD_SWAP_ONLY = 1u << 2,
};

enum { SG_RD_STATUS_FD, SG_RD_STAT_FD, SG_RD_CG_FD, SG_RD__MAX = SG_RD_CG_FD + SG_CGF__MAX };

struct sg_dom_reader {
    bool opened;             /* fd[] valid (a zeroed reader is closed) */
    bool kept;               /* descriptors kept; false: open/read/close each sample */
    pid_t pid;
    unsigned flags;
    unsigned files;          /* the cgroup files read per sample (1u << enum sg_cgroup_file) */
    int fd[SG_RD__MAX];      /* >= 0 kept; -1 read by path; -2 absent (SG_NONE) */
    struct {                 /* the limit files' figures (struct sg_cgroup_stats), SG_NONE unread */
        uint64_t limit_bytes, swap_max_bytes, memsw_limit_bytes;
    } limits;
};

/*
 * Raises the soft RLIMIT_NOFILE to the hard limit (once; later calls only
 * return) and sets the budget of descriptors readers may keep: the limit
 * less reserve. Returns the budget.
 */
size_t sg_fd_budget_init(size_t reserve);
/* Descriptors readers may still keep (0 before sg_fd_budget_init: none are kept). */
size_t sg_fd_budget_left(void);
/*
 * Plans for the next n readers: each keeps all its files open while the budget left
 * still holds the core files (/proc/PID/status and stat, memory.stat,
 * memory.pressure: SG_RD_KEEP_CORE at most) of the readers planned after it; else
 * only its core files, reading the others (swap events, swap.current, usage,
 * io.pressure, cpu.pressure) by path at each sample, so that every domain keeps
 * descriptors where the budget allows. Returns true when the budget may not hold
 * every file of n domains (SG_RD_KEEP_MAX each).
 */
bool sg_fd_budget_plan(size_t n);
#define SG_RD_KEEP_MAX 7
#define SG_RD_KEEP_CORE 3

/*
 * Opens rd for pid and its located cgroup cg (keeping descriptors while the
 * budget allows) and reads the limits. Returns 0, -ESRCH when the process
 * or cgroup is gone, -EACCES, -EINVAL (err located), -ENOMEM.
 */
int sg_dom_reader_open(const struct sg_fs *fs, pid_t pid, const struct sg_cgroup *cg,
                       unsigned flags, struct sg_dom_reader *rd, struct sg_error *err);
/* Reads the limit files again into rd->limits. Errors as sg_dom_reader_open. */
int sg_dom_reader_limits(const struct sg_fs *fs, const struct sg_cgroup *cg,
                         struct sg_dom_reader *rd, struct sg_error *err);
/*
 * One sample through rd (opened for cg): out as sg_dom_sample_read fills it
 * (stat zero without SG_RD_STAT; the limits from rd). Returns 0, -ESRCH when
 * the process or its cgroup is gone, -EACCES, -EINVAL (err located).
 */
int sg_dom_reader_read(const struct sg_fs *fs, const struct sg_cgroup *cg,
                       struct sg_dom_reader *rd, struct sg_dom_sample *out, struct sg_error *err);
/* Closes what rd keeps and gives its descriptors back to the budget; rd is closed
 * (a zeroed or closed reader is fine). */
void sg_dom_reader_close(struct sg_dom_reader *rd);
