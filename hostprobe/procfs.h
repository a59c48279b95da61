/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Readers of per-process procfs files. Each has a parser over a buffer (for
 * fixtures and fuzzing) and a reader working from struct sg_fs.
 */
#pragma once

#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "util/procfmt.h"
#include "util/sg-util.h"

/* procfs answers ENOENT for a pid that is gone and ESRCH for one that went mid-read:
 * both mean the process (a domain's QEMU) has exited. */
/* The PID (or TID) a /proc (or /proc/PID/task) directory entry names; 0 for any other entry. */
static inline pid_t sg_dirent_pid(const struct dirent *de)
{
    uint64_t v;

    if (de->d_name[0] < '1' || de->d_name[0] > '9' ||
        sg_parse_u64(de->d_name, strlen(de->d_name), &v) < 0 || v > INT32_MAX)
        return 0;
    return (pid_t)v;
}

static inline int sg_proc_gone(int r)
{
    return r == -ENOENT || r == -ESRCH ? -ESRCH : r;
}

/* /proc/PID/status memory lines, all in KiB; SG_NONE when the kernel did not print the line. */
struct sg_proc_status {
    uint64_t vm_rss_kib;        /* VmRSS */
    uint64_t rss_anon_kib;      /* RssAnon */
    uint64_t rss_file_kib;      /* RssFile */
    uint64_t rss_shmem_kib;     /* RssShmem */
    uint64_t vm_swap_kib;       /* VmSwap: swapped-out anonymous memory, not shmem/memfd */
    uint64_t vm_lck_kib;        /* VmLck: mlocked */
    uint64_t hugetlb_pages_kib; /* HugetlbPages */
};

/* Parses /proc/PID/status. -EINVAL (err located) on a malformed memory line or
 * when VmRSS is missing (a kernel thread, or not a status file). */
int sg_parse_proc_status(const char *buf, const char *base, const char *rel,
                         struct sg_proc_status *out, struct sg_error *err);

/* /proc/PID/stat or /proc/PID/task/TID/stat, fields 2, 3, 10 and 12 (1-based). */
struct sg_proc_stat {
    char comm[64]; /* between the first '(' and the last ')': may hold spaces and ')' */
    char state;    /* R S D Z T ... */
    uint64_t minflt;
    uint64_t majflt; /* only faults this task serviced: async-PF swap-ins go to a kworker */
};

/* Parses a stat line after its last ')'. -EINVAL (err located) when malformed. */
int sg_parse_proc_stat(const char *buf, const char *base, const char *rel,
                       struct sg_proc_stat *out, struct sg_error *err);

/*
 * Reads /proc/PID/status and /proc/PID/stat. Returns 0; -ESRCH when the
 * process is gone (before or during the read); -EACCES; -EINVAL (err located).
 */
int sg_proc_read(const struct sg_fs *fs, pid_t pid, struct sg_proc_status *status,
                 struct sg_proc_stat *stat, struct sg_error *err);

/* A vCPU thread of a QEMU process, from /proc/PID/task/TID/{comm,stat}. */
struct sg_vcpu_thread {
    pid_t tid;
    int vcpu;      /* n of "CPU n/KVM" or "CPU n/TCG" */
    char accel[8]; /* "KVM" or "TCG" */
    struct sg_proc_stat stat;
};

/* Parses a thread comm "CPU n/KVM" or "CPU n/TCG". Returns true and sets vcpu/accel. */
bool sg_parse_vcpu_comm(const char *comm, int *vcpu, char accel[8]);

/*
 * Lists the vCPU threads of process pid (threads named "CPU n/ACCEL"), sorted
 * by vCPU number, with their stat figures. A thread that exits between the
 * directory listing and the read is skipped. Returns the count (>= 0), or
 * -ESRCH when the process is gone, -ENOMEM, -EINVAL (err located).
 */
int sg_vcpu_threads_read(const struct sg_fs *fs, pid_t pid, struct sg_vcpu_thread **out,
                         struct sg_error *err);


/* One line of /proc/swaps. Sizes in KiB. */
struct sg_swap_device {
    char filename[PATH_MAX]; /* octal escapes (\040) decoded */
    char type[16];           /* "partition" or "file" */
    uint64_t size_kib, used_kib;
    int priority;
};

/* Parses /proc/swaps (header line first). Returns the device count or -EINVAL/-ENOMEM. */
int sg_parse_swaps(const char *buf, const char *base, const char *rel,
                   struct sg_swap_device **out, struct sg_error *err);

/*
 * Does a NUL-separated argv (as in /proc/PID/cmdline) carry "-uuid UUID"?
 * QEMU also accepts "--uuid" and "-uuid=UUID"-less forms only as two words;
 * comparison is case-insensitive (libvirt prints lower case).
 */
bool sg_cmdline_has_uuid(const char *cmdline, size_t len, const char *uuid);

/*
 * Scans /proc/NUMBER/cmdline of every process for "-uuid UUID" of each of
 * the n UUIDs (NULL entries are skipped); pids[i] receives the pid of
 * uuids[i], 0 when none carries it. Each command line is read once and its
 * first -uuid (or --uuid) value looked up in a hash of the UUIDs (case-
 * insensitive): O(processes + n), and the scan stops once all are found.
 * Processes that vanish or deny access are skipped. Cost: one small read per
 * process on the host: for discovery, not for the periodic sample.
 * Returns 0 or -errno of opening /proc, -ENOMEM.
 */
int sg_find_qemu_pids(const struct sg_fs *fs, const char *const *uuids, size_t n, pid_t *pids);

/* Does /proc/PID/cmdline still carry the UUID (same QEMU, not a reused pid)? */
bool sg_pid_has_uuid(const struct sg_fs *fs, pid_t pid, const char *uuid);
