/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Guest-side evidence of async-PF stalls, parsed from text the guest sends:
 * the output of one fixed guest-exec script (GP_EVIDENCE_SCRIPT), or files
 * read with guest-file-read. Pure functions over (buffer, length): no I/O.
 *
 * The text is hostile. Every parser bounds line lengths, field lengths and
 * counts; a NUL byte or a broken structure yields -EBADMSG ("invalid reply")
 * with why saying where; strings are stored with control bytes replaced
 * by '?' and must still be escaped for display (sg_fmt_safe).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/procfmt.h"

/*
 * The fixed POSIX sh script guestprobe/evidence-script.sh, run as
 * `/bin/sh -c GP_EVIDENCE_SCRIPT` with
 * guest-exec. No guest or host data is ever put into it. Its output:
 *   @sg-guestprobe 1
 *   @tasks           then "T TID STATE WCHAN COMM" per task of /proc/[0-9]*\/task/[0-9]*
 *                    (STATE from stat after the last ')'), "S TID LINE" per
 *                    /proc/TID/stack line of D tasks; at most 384 KiB
 *   @dmesg           `dmesg -r` ("<PRI>[SEC.USEC] MSG"), its last 256 KiB
 *   @meminfo, @vmstat, @psi   /proc/meminfo, /proc/vmstat, /proc/pressure/memory
 *   @uptime          /proc/uptime (the clock of the kernel log timestamps)
 *   @end
 */
extern const char GP_EVIDENCE_SCRIPT[];

/* The sections of the script's output (pointers into the buffer, not copies). */
struct gp_sections {
    const char *tasks, *dmesg, *meminfo, *vmstat, *psi, *uptime;
    size_t tasks_len, dmesg_len, meminfo_len, vmstat_len, psi_len, uptime_len;
    bool complete; /* "@end" seen: nothing was cut off */
};

/* Splits the script output. -EBADMSG without the header line or with a NUL byte. */
int gp_split_sections(const char *buf, size_t len, struct gp_sections *out, char *why, size_t why_size);

/*
 * Returns the async-PF symbol found as a whole identifier in text[0..len)
 * (kvm_async_pf_task_wait_schedule, __kvm_handle_async_pf,
 * kvm_handle_async_pf, kvm_async_pf_task_wait, do_async_page_fault: the
 * first two Linux >= 5.8, the last two older), or NULL.
 */
const char *gp_async_pf_symbol(const char *text, size_t len);

/* What a blocked task waits for, from its wchan and stack frames. */
enum gp_stall_class {
    GP_CLASS_NONE = 0,  /* nothing recognised */
    GP_CLASS_ASYNC_PF,  /* kvm_async_pf_*: the host swaps the page in */
    GP_CLASS_IO,        /* storage I/O: io_schedule, blk_mq_*, folio_wait*, wait_on_page*, jbd2, nfs, rpc, rbd, ceph */
    GP_CLASS_LOCK,      /* a lock: mutex_lock, rwsem_down_*, down_read/write, rt_mutex */
    GP_CLASS_RECLAIM,   /* the guest's own reclaim or swap: try_to_free_pages, shrink_*, __alloc_pages_slowpath, swap_read_folio */
    GP_CLASS__MAX,
};

/* "none", "async-pf", "io", "lock", "reclaim" */
const char *gp_stall_class_name(enum gp_stall_class c);

/*
 * The class of one wchan or one stack frame line (" io_schedule+0x12/0x40",
 * "[<0>] __mutex_lock+0x..", "? foo+0x" frames skipped as unreliable): the
 * first identifier that names a known function. GP_CLASS_NONE otherwise.
 */
enum gp_stall_class gp_frame_class(const char *text, size_t len);

/*
 * Folds the class of one more frame (innermost first) into cur: async PF
 * anywhere wins, then guest reclaim anywhere, else the innermost of I/O and
 * lock.
 */
enum gp_stall_class gp_class_fold(enum gp_stall_class cur, enum gp_stall_class frame);

#define GP_COMM_MAX 64
#define GP_WCHAN_MAX 128
#define GP_MAX_DTASKS 256     /* D-state tasks kept; more are only counted */
#define GP_MAX_LINE 4096      /* longer lines are invalid */

struct gp_task {
    int64_t pid;              /* the task (thread) id */
    char state;               /* 'D' for every kept task */
    char comm[GP_COMM_MAX];
    char wchan[GP_WCHAN_MAX];
    const char *matched_symbol; /* async-PF symbol in wchan or stack; NULL if none */
    enum gp_stall_class cls;  /* what it waits for (wchan and stack) */
};

struct gp_tasks {
    unsigned n_tasks;         /* "T" lines: every task seen */
    unsigned n_dstate;        /* of which in D state */
    unsigned n_async_pf;      /* D tasks whose wchan or stack holds an async-PF symbol */
    unsigned n_class[GP_CLASS__MAX]; /* kept D tasks by class */
    struct gp_task *v;        /* the first GP_MAX_DTASKS D tasks (malloc'd) */
    size_t n;
};

/* Parses the @tasks section. Returns 0, -EBADMSG (why), -ENOMEM. */
int gp_parse_tasks(const char *buf, size_t len, struct gp_tasks *out, char *why, size_t why_size);
void gp_tasks_clear(struct gp_tasks *t);

#define GP_MAX_HUNG 64

/* One "INFO: task COMM:PID blocked for more than N seconds." with its trace. */
struct gp_hung_task {
    uint64_t ts_us;           /* kernel log timestamp, us since guest boot */
    bool from_kernel;         /* facility 0: printed by the kernel, not written to /dev/kmsg by a user */
    int64_t pid;
    char comm[GP_COMM_MAX];
    uint64_t blocked_s;
    unsigned trace_lines;
    const char *matched_symbol; /* async-PF symbol in the trace, or NULL */
    enum gp_stall_class cls;  /* what the trace says it waits for */
};

/* Other stall signatures of the guest kernel log, counted per message. */
enum gp_sign {
    GP_SIGN_SOFT_LOCKUP,  /* "watchdog: BUG: soft lockup - CPU#N stuck for Ns!" */
    GP_SIGN_RCU_STALL,    /* "rcu: INFO: rcu_sched detected stalls", "rcu_preempt ...", "self-detected stall",
                             "detected expedited stalls" */
    GP_SIGN_CLOCKSOURCE,  /* "clocksource: timekeeping watchdog ... Marking clocksource ... as unstable" */
    GP_SIGN_HRTIMER,      /* "hrtimer: interrupt took N ns" */
    GP_SIGN_OOM_KILL,     /* "Out of memory: Killed process" (guest OOM kill) */
    GP_SIGN__MAX,
};

/* "soft-lockup", "rcu-stall", "clocksource", "hrtimer", "oom-kill" */
const char *gp_sign_name(enum gp_sign s);

struct gp_hung_reports {
    struct gp_hung_task v[GP_MAX_HUNG]; /* the newest GP_MAX_HUNG */
    size_t n;
    unsigned n_total;         /* reports newer than since_us, including dropped ones */
    uint64_t newest_ts_us;    /* newest timestamp in the log; pass it as since_us next time */
    unsigned signs[GP_SIGN__MAX];        /* signature messages newer than since_us, printed by the kernel */
    unsigned signs_forged[GP_SIGN__MAX]; /* the same written to /dev/kmsg from user space (facility != 0) */
};

/*
 * Parses a serial console log (the file behind <serial type='file'>: kernel
 * messages as "[SEC.USEC] MSG", mixed with anything the guest prints): the
 * same hung-task reports and signatures as gp_parse_kmsg, from lines with a
 * timestamp newer than since_us; other lines are skipped, never an error
 * (except a NUL byte: -EBADMSG). A console carries no facility: everything
 * counts as printed by the kernel (from_kernel true, signs[]), and the caller
 * says it came from the console. At most GP_MAX_LINE bytes per line are looked at.
 */
int gp_parse_console(const char *buf, size_t len, uint64_t since_us, struct gp_hung_reports *out,
                     char *why, size_t why_size);

/*
 * Parses `dmesg -r` text and keeps the hung-task reports whose timestamp is
 * greater than since_us (0: all). Lines that are not "<PRI>[SEC.USEC] MSG"
 * (or "<PRI>MSG" without timestamps, then always kept) are invalid.
 */
int gp_parse_kmsg(const char *buf, size_t len, uint64_t since_us, struct gp_hung_reports *out,
                  char *why, size_t why_size);

/* The guest's own memory figures. */
struct gp_guest_mem {
    bool has_meminfo, has_vmstat, has_psi;
    struct sg_meminfo mem;    /* /proc/meminfo */
    struct sg_vmstat vm;      /* /proc/vmstat */
    struct sg_psi psi;        /* /proc/pressure/memory */
};

/* Parses one of the three files (name "meminfo", "vmstat" or "pressure/memory")
 * into out. -EBADMSG when malformed (why: "guest /proc/NAME:LINE: ..."). */
int gp_parse_guest_mem_file(const char *name, const char *buf, size_t len, struct gp_guest_mem *out,
                            char *why, size_t why_size);

/*
 * Parses the @uptime section (/proc/uptime: "SECONDS IDLE"): the guest's
 * seconds since boot, the clock of the kernel log timestamps, so the age of a
 * hung-task report is uptime - ts. -EBADMSG (why) unless a finite number >= 0.
 */
int gp_parse_uptime(const char *buf, size_t len, double *uptime_s, char *why, size_t why_size);
