/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The verdict of one domain over a window of ticks: pure rules over
 * struct sg_dom_facts / struct sg_host_facts (policies/facts.h).
 *
 * Rules, first match wins:
 *   host-swap-stall       (synchronous) the vCPU threads lose >= swapin_delay_min_ms
 *                         ms/s to swap-in (taskstats swapin_delay_total, summed
 *                         over the vCPUs), or they were seen in D state in the
 *                         host's swap-in path in >= swapin_look_share_min of the
 *                         looks (at least swapin_looks_min such looks) with host
 *                         swap figures;
 *                         or (async) guest RAM in host swap (latest VmSwap or cgroup swap
 *                         >= host_swap_min_kib) or swap-ins (cgroup major faults
 *                         >= swapin_rate_min over the window), AND a stall seen:
 *                         guest tasks in D state waiting in async PF, hung-task
 *                         reports with async PF printed by the guest kernel
 *                         (>= hung_reports_min over the window), or
 *                         kvm_async_pf_not_present rising (>= apf_rate_min);
 *                         or host swap and hung-task reports with async PF that
 *                         a guest user wrote to /dev/kmsg (forgeable: weak);
 *                         or a stall seen (trusted evidence) while the host swap
 *                         figures stay under the thresholds (async PF waits on
 *                         any page not present: swap cache, shmem/file guest RAM).
 *   guest-io-stall        >= hung_reports_min hung-task reports of the guest kernel
 *                         (kmsg facility 0 or the serial console log) whose trace
 *                         waits on storage I/O, or >= dstate_io_tasks_min guest
 *                         D-state tasks on I/O while the host measures
 *                         >= disk_ms_per_req_min ms per disk request.
 *   guest-lock-stall      >= hung_reports_min hung-task reports of the guest kernel
 *                         (kmsg or console) whose trace waits on a lock; nothing
 *                         on the host to fix.
 *   host-swap-risk        guest RAM in host swap or swap-ins, no stall seen.
 *   guest-internal-swap   host clean for this guest, the guest's own swap used
 *                         (>= guest_swap_min_kib) or its pswpout rising.
 *   host-cpu-contention   the vCPU threads wait on host run queues >=
 *                         cpu_delay_min_ms ms/s per vCPU (taskstats cpu_delay_total,
 *                         else schedstat run delay), or guest steal as high.
 *
 * Every threshold named above is a field of struct sg_verdict_thresholds
 * (policies/facts.h; [verdict] in swapguard.conf), defaults in
 * sg_verdict_thresholds_default().
 *   host-memory-pressure  host clean for this guest, the domain's memory PSI at
 *                         or above its thresholds; only when the domain has no
 *                         PSI of its own, host PSI or host anon refaults (host
 *                         PSI includes every other guest's stalls).
 *   ok                    none of the above, and a stall would have been
 *                         visible (guest agent task list or async-PF counters).
 *   unknown               no running sample, or nothing could have shown a
 *                         stall (no guest agent and no tracepoints): `missing`
 *                         says what is missing.
 *
 * Which ticks count:
 *   - host figures only from ticks with running == true; when the newest tick
 *     is not running the verdict is unknown, missing "domain not running";
 *   - levels (VmSwap, cgroup swap, the domain's PSI) from the newest tick;
 *     host swap = sg_guest_ram_in_host_swap_kib() (policies/figures.h): the
 *     larger of vm_swap_kib and cgroup_swap_bytes in KiB, SG_POLICY_NONE ignored;
 *   - rates (sg_counter_rate) between the first and last running tick:
 *     cgroup_pgmajfault; apf[SG_APF_NOT_PRESENT] between the first and last
 *     running tick with apf_available. One tick, a missing counter or one that
 *     went backwards gives an unknown rate (NAN), which never counts;
 *   - guest evidence from every tick with guest_probed: the highest
 *     async_pf_tasks / dstate_tasks of probes with tasks_ok, the sums of the
 *     hung-task reports of probes with kmsg_ok, the guest swap used from the
 *     newest probe with mem_ok, pswpout per second between the first and last
 *     probe with mem_ok;
 *   - a stall is visible when a probe of the window had agent_ok and
 *     tasks_ok, or the newest tick has apf_available;
 *   - host PSI from the newest host tick, host refaults per second between the
 *     first and last host tick.
 *
 * Confidence (0..1), by verdict:
 *   host-swap-stall       synchronous: 0.95 with swap-in delay and host swap
 *                         figures, 0.9 swap-in delay alone, 0.85 looks with host
 *                         swap figures;
 *                         async: 0.95 with a kernel hung-task report or async PF
 *                         rising, 0.8 with only D-state async-PF tasks, 0.6
 *                         without host swap figures, 0.5 on forgeable reports
 *   host-swap-risk        0.8 when a stall would have been visible, else 0.5
 *   guest-internal-swap   0.8 when the async-PF counters were read too, 0.6 when
 *                         the guest probe is the only source
 *   guest-io-stall        0.9 with a kernel report and the host's disk latency,
 *                         0.85 kernel report, 0.8 console report, 0.7 D-state tasks
 *   guest-lock-stall      0.8 (kmsg), 0.7 (console only)
 *   host-cpu-contention   0.85 with taskstats, 0.8 schedstat, 0.6 steal only
 *   host-memory-pressure  0.7
 *   ok                    0.9 with both stall sources (task list and
 *                         async-PF counters), 0.75 with one
 *   unknown               0
 *
 * Evidence keys (struct sg_evidence.key, each at most once, in this order;
 * an entry only when it bears on the verdict or is non-zero):
 *   host_swap_kib            KiB of guest RAM in host swap (newest tick)
 *   swapin_per_s             cgroup major faults per second; NAN with the
 *                            reason when unknown and the host looks clean
 *   apf_not_present_per_s    kvm_async_pf_not_present per second
 *   guest_async_pf_tasks     highest count of guest tasks waiting in async PF
 *   guest_dstate_tasks       highest count of guest tasks in D state
 *   hung_async_pf_kernel     hung-task reports with async PF, by the guest kernel
 *   hung_async_pf_forged     the same written from guest user space (untrusted)
 *   guest_swap_used_kib      the guest's own swap used, KiB
 *   guest_swapout_per_s      the guest's pswpout per second
 *   psi_some_avg10           the domain's memory PSI some avg10, percent
 *   host_psi_some_avg10      the host's memory PSI some avg10, percent
 *   host_refault_per_s       host workingset_refault_anon per second
 *   steal_ms_per_s           highest guest vCPU steal, ms per second
 *   swapin_delay_ms_per_s    vCPU swap-in delay, ms per second (taskstats)
 *   blkio_delay_ms_per_s     vCPU block I/O delay, ms per second (taskstats)
 *   cpu_delay_ms_per_s       vCPU run-queue wait, ms per second (taskstats, else schedstat)
 *   reclaim_delay_ms_per_s   vCPU direct reclaim + thrashing delay, ms per second
 *   vcpu_swapin_look_share   share of looks that found a vCPU in the swap-in path
 *   disk_ms_per_req          host-side disk latency, ms per request (libvirt block stats)
 *   guest_hung_io            hung-task reports on storage I/O (kernel or console)
 *   guest_hung_lock          hung-task reports on a lock (kernel or console)
 *   guest_dstate_io_tasks    guest D-state tasks on I/O
 *   guest_stall_msgs         soft lockup / RCU stall / clocksource / hrtimer messages
 *   guest_agent_silent       the guest agent did not answer while the vCPUs stalled in swap-in
 *   guest_oom_kills          guest OOM kills
 * Texts hold figures only, never guest strings; guest.missing goes to
 * `missing` only (non-printable bytes replaced by '?').
 */
#pragma once

#include <stddef.h>

#include "facts.h"

enum sg_verdict_kind {
    SG_VERDICT_UNKNOWN = 0,
    SG_VERDICT_OK,
    SG_VERDICT_HOST_MEMORY_PRESSURE,
    SG_VERDICT_GUEST_INTERNAL_SWAP,
    SG_VERDICT_HOST_SWAP_RISK,
    SG_VERDICT_HOST_SWAP_STALL,
    SG_VERDICT_GUEST_IO_STALL,
    SG_VERDICT_HOST_CPU_CONTENTION,
    SG_VERDICT_GUEST_LOCK_STALL,
    SG_VERDICT_DOMAIN_PAUSED,
    SG_VERDICT__MAX,
};

/* "unknown", "ok", "host-memory-pressure", "guest-internal-swap", "host-swap-risk",
 * "host-swap-stall", "guest-io-stall", "host-cpu-contention", "guest-lock-stall",
 * "domain-paused" */
const char *sg_verdict_name(enum sg_verdict_kind v);

#define SG_MAX_EVIDENCE 32
#define SG_MAX_CAUSES 8

/* One piece of evidence: a stable key (JSON), the figure, and a sentence. */
struct sg_evidence {
    char key[32];   /* e.g. "host_swap_kib", "swapin_per_s", "guest_async_pf_tasks" */
    double value;   /* the figure (NAN when it is a statement without one) */
    char text[200]; /* "VmSwap 120.0 MiB of 256.0 MiB guest RAM in host swap" */
};

/*
 * One cause of lost time seen in the window, whatever the verdict: its name
 * ("host-swap", "host-cpu", "host-io", "host-reclaim", "guest-io", "guest-lock",
 * "guest-reclaim", "async-pf"), the vCPU time it costs in ms per second
 * (summed over the vCPU threads; NAN for a guest-side cause, which is counted
 * in tasks or reports, not time), its share of the measured lost time (0..1,
 * NAN without time) and a sentence of evidence naming its source.
 */
struct sg_cause {
    char name[24];
    double lost_ms_per_s;
    double share;
    char evidence[200];
};

/* The host causes measured per vCPU thread (the time causes of struct sg_cause). */
enum sg_vcpu_cause {
    SG_VCPU_CAUSE_HOST_SWAP,    /* swap-in: taskstats swapin (+ blkio when the host swaps the guest),
                                   else estimated from the looks in the swap-in path */
    SG_VCPU_CAUSE_HOST_CPU,     /* run-queue wait: taskstats cpu, else schedstat */
    SG_VCPU_CAUSE_HOST_IO,      /* block I/O not counted as swap-in: taskstats blkio */
    SG_VCPU_CAUSE_HOST_RECLAIM, /* direct reclaim + thrashing: taskstats freepages + thrashing */
    SG_VCPU_CAUSE__MAX,
};

/* "host-swap", "host-cpu", "host-io", "host-reclaim" (the names of struct sg_cause). */
const char *sg_vcpu_cause_name(enum sg_vcpu_cause c);
/* What the cause is, for a sentence: "swap-in", "run-queue wait", "block I/O", "direct reclaim". */
const char *sg_vcpu_cause_what(enum sg_vcpu_cause c);

/*
 * One vCPU thread's lost time over the window, by cause: from the first and
 * newest tick of the window that carry this thread (matched by TID), rates in
 * ms per second of that thread alone (a thread loses at most 1000 ms/s).
 */
struct sg_vcpu_causes {
    unsigned vcpu, tid;              /* QEMU's vCPU index, /proc/PID/task/TID */
    double lost_ms_per_s;            /* the sum of the causes known that count as in the domain's
                                        table (swap-in above 0, the others from 1 ms/s), NAN when
                                        none is known: the domain's lost time is their sum */
    double ms[SG_VCPU_CAUSE__MAX];   /* each cause in ms per second, NAN unknown */
    double share[SG_VCPU_CAUSE__MAX];/* of lost_ms_per_s (0..1; 0 for a cause that does not
                                        count), NAN without lost time */
    bool swap_estimated;             /* ms[HOST_SWAP] from the looks (no delay accounting) */
    uint64_t looks, looks_swapin;    /* state/wchan looks at it in the window, and in swap-in */
    double swapin_look_share;        /* looks_swapin / looks, NAN without looks */
};

struct sg_verdict {
    enum sg_verdict_kind kind;
    double confidence;           /* 0..1 */
    struct sg_evidence ev[SG_MAX_EVIDENCE];
    size_t n_ev;
    char missing[320];           /* what could not be seen, "" when nothing ("guest agent: not connected; async-PF counters: ...") */
    double window_s;             /* seconds between the first and last tick given */
    size_t n_ticks;              /* ticks given (running or not) */
    struct sg_cause causes[SG_MAX_CAUSES]; /* every cause seen, the largest lost time first */
    size_t n_causes;
    double lost_ms_per_s;        /* vCPU time lost per second, all measured host causes (NAN unknown) */
    struct sg_vcpu_causes vcpus[SG_VCPU_LOST_MAX]; /* each vCPU thread of the newest tick with its
                                                     own figures (facts vcpu_lost[]), in its order */
    size_t n_vcpus;
};

/*
 * Decides the verdict of one domain from its ticks dom[0..n) (oldest first)
 * and the host ticks host[0..n_host) of the same window (may be 0). Rates come
 * from the first and last tick of the window; levels from the last; guest
 * evidence from any tick of the window that carries a probe. t == NULL: the
 * defaults of sg_verdict_thresholds_default().
 */
void sg_verdict_eval(const struct sg_verdict_thresholds *t, const struct sg_dom_facts *const *dom,
                     size_t n, const struct sg_host_facts *const *host, size_t n_host,
                     struct sg_verdict *out);
