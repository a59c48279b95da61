/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Time a guest's vCPU threads lose on the host, measured from the host only:
 *   - delay accounting (taskstats over generic netlink, one TASKSTATS_CMD_GET
 *     request per thread or per process): swap-in, block I/O, run-queue
 *     wait, direct reclaim and thrashing, in ns since the task started; it
 *     needs kernel.task_delayacct = 1 (sysctl, switchable at run time since
 *     Linux 5.14; a small cost on every context switch) and CAP_NET_ADMIN;
 *   - /proc/PID/task/TID/schedstat: run time and run-queue wait in ns,
 *     without delay accounting (CONFIG_SCHED_INFO);
 *   - /proc/PID/task/TID/{stat,wchan}: the thread's state and the kernel
 *     function it sleeps in, sampled: a vCPU thread in D state in the
 *     swap-in path is a guest stalled synchronously by host swap;
 *   - libvirt block stats (virDomainListGetStats, the block group, NOWAIT):
 *     requests and the time they took per direction, summed over the disks;
 *   - on demand only (diagnose): every thread's CPU time and last CPU
 *     (/proc/PID/task/TID/stat) and a vCPU thread's allowed CPUs (status
 *     Cpus_allowed_list), to name what competes for its host CPUs.
 * The per-thread reads give each vCPU thread's figures and their sums at once.
 * Parsers take buffers (tests feed captured files); readers take struct sg_fs.
 */
#pragma once

#include <libvirt/libvirt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "util/sg-util.h"

/* Delay accounting of one thread (or a whole process), ns since it started;
 * SG_NONE for a field the kernel's struct taskstats is too old to carry. */
struct sg_taskstats {
    uint64_t cpu_delay_ns;       /* cpu_delay_total: waiting on a run queue */
    uint64_t blkio_delay_ns;     /* blkio_delay_total: synchronous block I/O */
    uint64_t swapin_delay_ns;    /* swapin_delay_total: swapping pages in */
    uint64_t freepages_delay_ns; /* freepages_delay_total: direct reclaim */
    uint64_t thrashing_delay_ns; /* thrashing_delay_total: refaulting workingset pages (>= 5.0) */
    uint64_t swapin_count;       /* swapin_count: delays counted */
};

/*
 * Takes the fields of a struct taskstats of len bytes as the kernel sent it
 * (its TASKSTATS_TYPE_STATS attribute); fields beyond len are SG_NONE.
 * -EINVAL (why) when len is shorter than version 1's delay fields or the
 * version is 0.
 */
int sg_parse_taskstats(const void *buf, size_t len, struct sg_taskstats *out, char *why,
                       size_t why_size);

/* A generic netlink socket resolved to the TASKSTATS family. */
struct sg_taskstats_conn;

/*
 * Opens it. -errno with why: -EPROTONOSUPPORT no TASKSTATS family
 * (CONFIG_TASKSTATS off, or not the initial network namespace), -ENOMEM.
 */
int sg_taskstats_open(struct sg_taskstats_conn **out, char *why, size_t why_size);
void sg_taskstats_close(struct sg_taskstats_conn *c);

/*
 * One TASKSTATS_CMD_GET: of thread id (tgid false) or of the whole process
 * id (tgid true: the sum over its threads, dead ones included).
 * -ESRCH gone, -EPERM without CAP_NET_ADMIN, -EIO/-EINVAL (why).
 */
int sg_taskstats_get(struct sg_taskstats_conn *c, pid_t id, bool tgid, struct sg_taskstats *out,
                     char *why, size_t why_size);

/*
 * kernel.task_delayacct from /proc/sys/kernel/task_delayacct: 1 on, 0 off,
 * -ENOENT when the kernel has no such sysctl (older than 5.14: then delay
 * accounting is on unless booted with nodelayacct), -errno otherwise
 * (sg_sysctl_read_u64, hostprobe/sysctl.h: -ERANGE above 1).
 */
int sg_delayacct_enabled(const struct sg_fs *fs);

/* /proc/PID/task/TID/schedstat: "RUN_NS WAIT_NS TIMESLICES". */
struct sg_schedstat {
    uint64_t run_ns;  /* time on a CPU */
    uint64_t wait_ns; /* time runnable on a run queue, waiting for a CPU */
    uint64_t slices;
};

/* -EINVAL (err located) when malformed. */
int sg_parse_schedstat(const char *buf, const char *base, const char *rel, struct sg_schedstat *out,
                       struct sg_error *err);
/* Reads it. -ESRCH gone, -ENOENT no schedstat (CONFIG_SCHED_INFO off), -EINVAL (err). */
int sg_schedstat_read(const struct sg_fs *fs, pid_t pid, pid_t tid, struct sg_schedstat *out,
                      struct sg_error *err);

/*
 * Is sym (a /proc/PID/task/TID/wchan, or one stack frame) a function of the
 * swap-in path a faulting thread sleeps in: folio_wait_bit_common,
 * swap_read_folio, swap_readpage, __folio_lock, __lock_folio,
 * __folio_lock_or_retry, __lock_page, __lock_page_or_retry,
 * wait_on_page_bit_common, swap_cluster_readahead, do_swap_page,
 * swapin_readahead? Names with a ".isra.N"/".constprop.N" suffix count.
 */
bool sg_wchan_is_swapin(const char *sym);

/* One look at a thread: its state (stat field 3) and its wchan ("0" when
 * running or not allowed to see symbols). */
struct sg_thread_look {
    char state;
    char wchan[64];
};

/* Reads /proc/PID/task/TID/stat and wchan (two small reads). -ESRCH gone, -errno. */
int sg_thread_look(const struct sg_fs *fs, pid_t pid, pid_t tid, struct sg_thread_look *out);

/* What one look saw, for the look counters (looks, looks_dstate, looks_swapin). */
enum sg_look_class {
    SG_LOOK_OTHER,        /* not in D state */
    SG_LOOK_DSTATE,       /* D state, elsewhere than a swap-in path */
    SG_LOOK_SWAPIN,       /* D state in a swap-in path (sg_wchan_is_swapin) */
};

/* One look (sg_thread_look) classified: an enum sg_look_class, or -errno (-ESRCH gone). */
int sg_thread_look_class(const struct sg_fs *fs, pid_t pid, pid_t tid);

/* Block stats of a domain, summed over its disks (libvirt "block.N.*"); SG_NONE when absent. */
struct sg_block_stats {
    unsigned n_disks;
    uint64_t rd_reqs, wr_reqs, fl_reqs;             /* block.N.rd.reqs, wr.reqs, fl.reqs */
    uint64_t rd_times_ns, wr_times_ns, fl_times_ns; /* block.N.rd.times, wr.times, fl.times (ns) */
};

/*
 * Sums the block.N.{rd,wr,fl}.{reqs,times} typed parameters of one
 * virDomainStatsRecord (params[0..n)). Unknown names are ignored; a wrong
 * type is -EINVAL (why).
 */
int sg_parse_block_stats(const virTypedParameter *params, int n, struct sg_block_stats *out,
                         char *why, size_t why_size);

/*
 * virDomainListGetStats(dom, VIR_DOMAIN_STATS_BLOCK, NOWAIT): never waits
 * for a domain job (a busy domain gives no block figures, not a stall).
 * -EIO (why: libvirt's message), -ENODATA the domain gave no record.
 */
int sg_block_stats_read(virDomainPtr dom, struct sg_block_stats *out, char *why, size_t why_size);

/*
 * The vCPU threads of a reading that get figures of their own (the first ones
 * of tids[], in vCPU order as sg_vcpu_threads_read gives them); the sums cover
 * every thread. The same bound as SG_VCPU_LOST_MAX of policies/facts.h.
 */
#define SG_LOST_THREADS_MAX 32

/* One vCPU thread of a reading: the same reads as the sums, kept apart. */
struct sg_lost_thread {
    pid_t tid;
    bool has_taskstats;           /* ts read (delay accounting on) */
    bool has_schedstat;           /* run_delay_ns read */
    struct sg_taskstats ts;       /* taskstats of this TID, ns since it started */
    uint64_t run_delay_ns;        /* schedstat WAIT_NS of this TID */
    unsigned looks, looks_dstate, looks_swapin; /* this reading's looks at it */
};

/* One reading of the lost-time sources of a QEMU process (O(1) per vCPU thread). */
struct sg_lost_sample {
    struct timespec t;            /* CLOCK_MONOTONIC of the reading */
    unsigned n_vcpus;             /* vCPU threads read */
    bool has_taskstats;           /* delay accounting read and kernel.task_delayacct = 1 */
    char taskstats_missing[160];  /* why not */
    struct sg_taskstats vcpus;    /* sums over the vCPU threads (taskstats per TID), ns */
    struct sg_taskstats qemu;     /* the whole QEMU process (taskstats per TGID: I/O threads too) */
    bool has_schedstat;
    uint64_t run_delay_ns;        /* sum of schedstat WAIT_NS over the vCPU threads */
    unsigned looks, looks_dstate, looks_swapin; /* state/wchan looks of this reading */
    unsigned n_threads;           /* min(n_vcpus, SG_LOST_THREADS_MAX) */
    struct sg_lost_thread thread[SG_LOST_THREADS_MAX]; /* thread[i]: tids[i] */
};

/*
 * Reads the lost-time sources of pid's vCPU threads v[0..n): taskstats per
 * thread and for the process over c (NULL, or delay accounting off: has_taskstats
 * false with the reason; the sysctl read through fs), schedstat per thread,
 * and n_looks looks at each thread's state and wchan, look_gap_ms apart
 * (0 looks, or no thread: none, and no pause). Cost: n x (1 netlink request + 1 small read) + 1 request
 * + n_looks x n x 2 small reads. Never fails for a missing source; -ESRCH
 * when the process is gone. The same reads give the figures of each of the
 * first SG_LOST_THREADS_MAX threads (out->thread[], in the order of tids[]).
 */
int sg_lost_sample_read(const struct sg_fs *fs, struct sg_taskstats_conn *c, pid_t pid,
                        const pid_t *tids, size_t n, unsigned n_looks, unsigned look_gap_ms,
                        struct sg_lost_sample *out);

/*
 * Reads what was appended to the file at path (a guest's serial console log)
 * since *offset, at most max bytes: when more was appended, only the newest
 * max bytes (*skipped says how many were passed over). A file shorter than
 * *offset was truncated or replaced: read from 0. *offset advances to the end
 * read. The file must be a regular file (O_NOFOLLOW, O_NONBLOCK). Returns the
 * byte count in *buf (malloc'd, NUL-terminated; may hold anything the guest
 * wrote), -errno from open/fstat/read (-EINVAL not a regular file).
 */
ssize_t sg_console_read(const char *path, uint64_t *offset, size_t max, char **buf, uint64_t *skipped);

/* ---- who competes for a vCPU's host CPUs (on demand: a scan of every thread) ---- */

#define SG_CPUSET_WORDS 64 /* CPUs 0..4095 */

/* A set of host CPUs. */
struct sg_cpuset {
    uint64_t w[SG_CPUSET_WORDS];
};

/*
 * Parses a CPU list as /proc/PID/status Cpus_allowed_list writes it
 * ("0-3,8,10-11", a trailing newline allowed) into *out. -EINVAL malformed,
 * -ERANGE a CPU above 4095.
 */
int sg_parse_cpu_list(const char *s, struct sg_cpuset *out);
static inline bool sg_cpuset_has(const struct sg_cpuset *c, int cpu)
{
    return cpu >= 0 && cpu < SG_CPUSET_WORDS * 64 && (c->w[cpu / 64] >> (cpu % 64)) & 1;
}

/* The CPUs thread tid of pid may run on (/proc/PID/task/TID/status Cpus_allowed_list).
 * -ESRCH gone, -ENOENT no such line, -EINVAL malformed. */
int sg_thread_cpus_allowed(const struct sg_fs *fs, pid_t pid, pid_t tid, struct sg_cpuset *out);

/* One thread of a scan: /proc/PID/task/TID/stat. */
struct sg_thread_cpu {
    pid_t pid, tid;
    uint64_t cpu_ticks;  /* fields 14 + 15: utime + stime, clock ticks (sysconf(_SC_CLK_TCK)) */
    int cpu;             /* field 39: the CPU it last ran on */
    char comm[64];       /* field 2 between the first '(' and the last ')': any bytes but NUL
                            (a process names itself: escape it in every output) */
};

/*
 * Parses one /proc/PID/task/TID/stat line into out (pid and tid are the
 * caller's). -EINVAL when malformed or too short for field 39.
 */
int sg_parse_thread_cpu(const char *buf, struct sg_thread_cpu *out);

/*
 * Every thread of every process under fs's /proc: a listing of /proc and of
 * each /proc/PID/task, one stat read per thread (threads that exit meanwhile
 * are left out). For an on-demand look only: its cost grows with the host's
 * thread count. *out malloc'd, sorted by tid; returns the count or -errno
 * (-ENOMEM; /proc unreadable).
 */
ssize_t sg_thread_cpu_scan(const struct sg_fs *fs, struct sg_thread_cpu **out);

/* A thread that ran on the CPUs of a vCPU thread. */
struct sg_cpu_neighbour {
    pid_t pid, tid;
    char comm[64];        /* raw, as sg_thread_cpu.comm */
    int cpu;              /* the CPU it last ran on (in the vCPU's allowed set) */
    double cpu_ms_per_s;  /* its CPU time between the scans, ms per second */
};

/*
 * The threads of scan b (taken dt_s seconds after scan a, both sorted by tid)
 * whose last CPU is in allowed, that used CPU time between the scans, not
 * those of exclude[0..n_ex) (the vCPU threads looked at): ranked by their
 * CPU time between the scans, the most first, at most max into out.
 * A thread missing from a (started meanwhile) counts from 0. Returns the
 * count. The last CPU is the one at the second scan: a thread that left the
 * set meanwhile is missed, one that just came is counted with its time
 * elsewhere.
 */
size_t sg_cpu_neighbours(const struct sg_thread_cpu *a, size_t na, const struct sg_thread_cpu *b,
                         size_t nb, double dt_s, const struct sg_cpuset *allowed,
                         const pid_t *exclude, size_t n_ex, struct sg_cpu_neighbour *out, size_t max);
