/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One probe of one domain's guest: everything guestprobe collects, with a
 * status per part, so that one missing, blocked, slow or hostile answer never
 * hides the others.
 *
 * Order of a probe (all agent commands share one deadline, opts->timeout_s):
 *   1. balloon stats (virDomainMemoryStats; no agent needed)
 *   2. the agent channel in the domain XML; without one, every agent part is
 *      "not configured" and no agent command is sent
 *   3. guest-info: version and what the agent allows
 *   4. guest-get-cpustats (first sample), if enabled
 *   5. if guest-exec and guest-exec-status are enabled: ONE guest-exec of
 *      GP_EVIDENCE_SCRIPT, then guest-exec-status every 50-200 ms until it
 *      exited or the deadline passed: D-state tasks, kernel log, memory files
 *   6. otherwise (or when 5 gave no memory figures), if guest-file-open/read/
 *      close are enabled: /proc/meminfo, /proc/vmstat, /proc/pressure/memory
 *      (tasks and kernel log then say "guest-exec blocked")
 *   7. guest-get-osinfo, if enabled
 *   8. guest-get-cpustats again for rates (see gp_probe_opts.rate_interval_s)
 * The whole call takes at most timeout_s plus about 0.2 s of polling slack
 * when the agent answers or is absent; an agent that hangs inside one command
 * can add up to 1.5 s (libvirt's agent timeouts are whole seconds, and it
 * sends a guest-sync first: see gp_qga_command).
 */
#pragma once

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "qga.h"
#include "balloon.h"
#include "evidence.h"
#include "replies.h"

/* The parts of a probe, each with its own status. */
enum gp_part {
    GP_PART_AGENT = 0, /* guest-info */
    GP_PART_TASKS,     /* D-state tasks (guest-exec) */
    GP_PART_KMSG,      /* hung-task reports (guest-exec) */
    GP_PART_MEM,       /* guest /proc/meminfo, vmstat, pressure/memory (guest-exec or file reads) */
    GP_PART_CPUSTATS,  /* guest-get-cpustats */
    GP_PART_OSINFO,    /* guest-get-osinfo */
    GP_PART_BALLOON,   /* virDomainMemoryStats */
    GP_PART__MAX,
};

/* "agent", "tasks", "kernel_log", "memory", "cpustats", "osinfo", "balloon" */
const char *gp_part_name(enum gp_part p);

struct gp_part_status {
    enum gp_qga_state state; /* GP_QGA_OK when the part holds data */
    char why[GP_WHY_MAX];      /* when not OK: why (guest text has control bytes replaced) */
};

/* One guest-get-cpustats reading. */
struct gp_cpustats_sample {
    struct timespec t;        /* CLOCK_MONOTONIC on the host when the reply arrived */
    struct gp_cpustat *v;     /* malloc'd */
    size_t n;
};

void gp_cpustats_sample_clear(struct gp_cpustats_sample *s);

/* Steal and iowait of one vCPU between two samples. */
struct gp_vcpu_rate {
    int64_t cpu;
    double steal_ms_per_s;    /* guest steal time, ms per second of host wall time */
    double iowait_ms_per_s;   /* guest iowait time, ms per second */
};

struct gp_probe_opts {
    int timeout_s;             /* deadline of every agent command together; <= 0: GP_TIMEOUT_DEFAULT_S */
    uint64_t hung_since_us;    /* keep hung-task reports newer than this guest timestamp (us since
                                  guest boot); 0: all. Pass the last result's hung.newest_ts_us. */
    const struct gp_cpustats_sample *prev_cpustats; /* the last probe's sample: rates against it */
    double rate_interval_s;    /* without prev_cpustats: seconds between two cpustats samples of
                                  this probe (0: totals only). Skipped, with a note, when the
                                  deadline would not leave 1 s for the second sample. */
    const struct gp_transport *transport; /* NULL: libvirt (tests pass their own) */
    bool no_balloon;           /* skip virDomainMemoryStats (the one call of the probe that reaches
                                  QEMU's monitor and needs the domain's job): part "not read" */
};

struct gp_probe_result {
    int channel;               /* enum gp_qga_channel_state, or -errno when the XML was unreadable */
    struct gp_part_status part[GP_PART__MAX];
    struct gp_guest_info info; /* valid when part[GP_PART_AGENT] is OK */

    bool via_exec;             /* memory figures came from guest-exec (else file reads) */
    bool exec_complete;        /* the script's output reached "@end" (nothing cut off) */
    struct gp_tasks tasks;
    struct gp_hung_reports hung;
    struct gp_guest_mem mem;

    struct gp_cpustats_sample cpustats;   /* the latest sample */
    struct gp_vcpu_rate *rates;           /* malloc'd, one per vCPU present in both samples */
    size_t n_rates;
    double rate_interval_s;               /* seconds between the two samples; NAN: no rates */
    char rate_note[128];                  /* why there are no rates, when so */

    char kernel_release[128];
    double uptime_s;                      /* guest /proc/uptime (via guest-exec), NAN when unknown */
    struct gp_balloon balloon;
    double elapsed_s;                     /* wall time of the whole probe */
};

/*
 * Probes dom (o may be NULL for the defaults). Every outcome that is about the
 * guest (no channel, not connected, blocked, timed out, invalid reply) is a
 * part status, not an error: returns 0 then. Returns -ENOMEM only. dom may be
 * NULL with a test transport (then channel is GP_QGA_UNKNOWN and the balloon
 * part "failed"). Free with gp_probe_result_clear.
 */
int gp_probe(virDomainPtr dom, const struct gp_probe_opts *o, struct gp_probe_result *out);

void gp_probe_result_clear(struct gp_probe_result *r);

/* Computes out[] (one per cpu in both samples, at most b->n) from a to b. Returns the count. */
size_t gp_cpustats_rates(const struct gp_cpustats_sample *a, const struct gp_cpustats_sample *b,
                         struct gp_vcpu_rate *out);
