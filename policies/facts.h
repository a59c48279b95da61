/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The facts the policies decide on: plain structs filled by agent/ from
 * hostprobe and guestprobe (or replayed from a captured time series), and the
 * thresholds that come from the configuration. No I/O here.
 *
 * Units: each figure keeps the unit of its source, named in its field (KiB
 * from /proc, bytes from cgroup files), seconds for time, counters as the
 * kernel counts them (monotonic since boot or since the cgroup/thread was
 * created). The keys, units and sources of every field are the rows of
 * agent/core/schema.c.
 * SG_POLICY_NONE marks a figure the source did not provide; NAN a percentage
 * or rate that is unknown.
 */
#pragma once

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policies/rates.h"
#include "util/types.h"

/* Host-wide facts of one tick. */
struct sg_host_facts {
    double t_s;                    /* CLOCK_MONOTONIC seconds of the reading */
    uint64_t mem_total_kib;        /* /proc/meminfo MemTotal */
    uint64_t mem_available_kib;    /* /proc/meminfo MemAvailable */
    uint64_t swap_total_kib;       /* /proc/meminfo SwapTotal */
    uint64_t swap_free_kib;        /* /proc/meminfo SwapFree */
    uint64_t pswpin, pswpout;      /* /proc/vmstat pages swapped in/out since boot */
    uint64_t workingset_refault_anon; /* /proc/vmstat (Linux >= 5.9), SG_POLICY_NONE before */
    double psi_some_avg10, psi_full_avg10; /* /proc/pressure/memory, percent; NAN without PSI */
};

/* Guest-agent evidence of one probe, as far as it got. */
struct sg_guest_facts {
    bool agent_ok;                 /* guest-info answered */
    bool tasks_ok;                 /* the D-state task list was read (guest-exec allowed) */
    bool kmsg_ok;                  /* the kernel log was read */
    bool mem_ok;                   /* the guest's meminfo/vmstat were read */
    char missing[160];             /* when agent_ok is false, or a part is missing: why */
    unsigned dstate_tasks;         /* tasks in D state */
    unsigned async_pf_tasks;       /* of which waiting in async PF (wchan/stack symbol) */
    unsigned hung_async_pf_kernel; /* new hung-task reports with an async-PF trace, printed by the kernel */
    unsigned hung_async_pf_forged; /* the same, but written to /dev/kmsg by a guest user (facility != 0) */
    unsigned hung_other;           /* new hung-task reports without async PF in the trace */
    uint64_t swap_total_kib, swap_free_kib; /* guest /proc/meminfo */
    uint64_t pswpin, pswpout;      /* guest /proc/vmstat */
    double steal_ms_per_s;         /* highest vCPU steal rate (guest-get-cpustats), NAN unknown */
    unsigned dstate_io_tasks;      /* D tasks whose wchan/stack waits on storage I/O */
    unsigned dstate_lock_tasks;    /* ... on a lock (mutex, rwsem) */
    unsigned dstate_reclaim_tasks; /* ... in the guest's own reclaim or swap-in */
    unsigned hung_io_kernel;       /* new hung-task reports printed by the kernel, storage I/O in the trace */
    unsigned hung_lock_kernel;     /* ... a lock wait */
    unsigned hung_reclaim_kernel;  /* ... the guest's own reclaim */
    unsigned stall_msgs_kernel;    /* new soft lockup, RCU stall, clocksource watchdog, hrtimer messages (kernel) */
    unsigned oom_kills_kernel;     /* new guest OOM kills (kernel) */
};

/*
 * The vCPU threads of a tick with figures of their own: the first ones in vCPU
 * order (the domain's sums in struct sg_dom_lost cover every thread).
 */
#define SG_VCPU_LOST_MAX 32

/*
 * One vCPU thread's lost time, from the same per-thread reads as the domain's
 * sums (hostprobe/lostime.h): counters in ns since the thread started, the
 * looks since collecting began.
 */
struct sg_vcpu_lost {
    unsigned vcpu;                 /* n of the thread name "CPU n/KVM" (QEMU's vCPU index) */
    unsigned tid;                  /* /proc/PID/task/TID */
    uint64_t swapin_delay_ns;      /* taskstats of this TID; SG_POLICY_NONE without delay accounting */
    uint64_t blkio_delay_ns;
    uint64_t cpu_delay_ns;
    uint64_t freepages_delay_ns;
    uint64_t thrashing_delay_ns;
    uint64_t run_delay_ns;         /* schedstat WAIT_NS of this TID; SG_POLICY_NONE unread */
    uint64_t looks, looks_dstate, looks_swapin; /* state/wchan looks at this thread */
};

/*
 * The lost-time numbers of one tick of a domain (hostprobe/lostime.h): time its vCPU
 * threads lose on the host (counters in ns since each thread started, summed over the
 * vCPU threads), its disks' host-side latency, its io/cpu pressure, and what its serial
 * console log (<serial type='file'>, read on the host: no guest cooperation) showed since
 * the last tick. Numbers only: the sampler's ring keeps this struct per tick as it is.
 */
struct sg_dom_lost {
    unsigned vcpu_threads;         /* vCPU threads read (0: none, the figures below are NONE) */
    unsigned n_vcpu_lost;          /* entries of sg_dom_facts.vcpu_lost[] (<= SG_VCPU_LOST_MAX) */
    bool delayacct_available;      /* taskstats read with kernel.task_delayacct = 1 */
    uint64_t swapin_delay_ns;      /* taskstats swapin_delay_total: synchronous swap-in of guest RAM */
    uint64_t blkio_delay_ns;       /* taskstats blkio_delay_total */
    uint64_t cpu_delay_ns;         /* taskstats cpu_delay_total: run-queue wait */
    uint64_t freepages_delay_ns;   /* taskstats freepages_delay_total: direct reclaim */
    uint64_t thrashing_delay_ns;   /* taskstats thrashing_delay_total */
    uint64_t qemu_swapin_delay_ns; /* the same for the whole QEMU process (TGID) */
    uint64_t qemu_blkio_delay_ns;
    uint64_t run_delay_ns;         /* /proc/PID/task/TID/schedstat WAIT_NS: without delay accounting */
    uint64_t vcpu_looks;           /* looks at the vCPU threads' state and wchan since collecting began */
    uint64_t vcpu_looks_dstate;    /* of which in D state */
    uint64_t vcpu_looks_swapin;    /* of which in D state in the swap-in path */
    uint64_t blk_rd_reqs, blk_wr_reqs, blk_fl_reqs;             /* libvirt block.N.*.reqs, summed */
    uint64_t blk_rd_times_ns, blk_wr_times_ns, blk_fl_times_ns; /* libvirt block.N.*.times, ns */
    double io_psi_some_avg10, io_psi_full_avg10; /* the domain's v2 io.pressure, NAN without */
    double cpu_psi_some_avg10;     /* the domain's v2 cpu.pressure, NAN without */
    bool console_ok;               /* the console log was read this tick */
    unsigned console_stall_msgs;   /* soft lockup, RCU stall, clocksource watchdog, hrtimer messages */
    unsigned console_oom_kills;    /* guest OOM kills */
    unsigned console_hung_async_pf, console_hung_io, console_hung_lock, console_hung_reclaim; /* hung-task reports by class */
};

/* l with every figure unknown (SG_POLICY_NONE, NAN) and no counts: a tick without vCPU
 * threads or console log. The look counters are 0 (they count from the start of collecting). */
static inline void sg_dom_lost_none(struct sg_dom_lost *l)
{
    *l = (struct sg_dom_lost){
        .swapin_delay_ns = SG_POLICY_NONE, .blkio_delay_ns = SG_POLICY_NONE, .cpu_delay_ns = SG_POLICY_NONE,
        .freepages_delay_ns = SG_POLICY_NONE, .thrashing_delay_ns = SG_POLICY_NONE,
        .qemu_swapin_delay_ns = SG_POLICY_NONE, .qemu_blkio_delay_ns = SG_POLICY_NONE,
        .run_delay_ns = SG_POLICY_NONE,
        .blk_rd_reqs = SG_POLICY_NONE, .blk_wr_reqs = SG_POLICY_NONE, .blk_fl_reqs = SG_POLICY_NONE,
        .blk_rd_times_ns = SG_POLICY_NONE, .blk_wr_times_ns = SG_POLICY_NONE, .blk_fl_times_ns = SG_POLICY_NONE,
        .io_psi_some_avg10 = NAN, .io_psi_full_avg10 = NAN, .cpu_psi_some_avg10 = NAN,
    };
}

/* Per-domain facts of one tick. */
struct sg_dom_facts {
    double t_s;                    /* CLOCK_MONOTONIC seconds of the host reading */
    bool running;                  /* a QEMU process was read */
    char paused[24];               /* libvirt holds the domain paused (state VIR_DOMAIN_PAUSED): why, as
                                      `virsh domstate --reason` says it ("I/O error", "user", ...);
                                      "" when it is not paused or its state is unknown */
    uint64_t guest_ram_kib;        /* virDomainGetInfo maxMem */
    uint64_t vm_swap_kib;          /* /proc/PID/status VmSwap */
    uint64_t cgroup_swap_bytes;    /* memory.swap.current (v2), memory.stat total_swap (v1), bytes */
    uint64_t cgroup_pgmajfault;    /* memory cgroup memory.stat (total_)pgmajfault: async-PF swap-ins too */
    uint64_t cgroup_swap_events_max;  /* v2 memory.swap.events max; v1 memory.memsw.failcnt (count) */
    uint64_t cgroup_swap_events_fail; /* v2 memory.swap.events fail; SG_POLICY_NONE on v1 (count) */
    double psi_some_avg10, psi_full_avg10; /* the domain's memory.pressure, NAN without */
    uint64_t psi_full_total_us;    /* the domain's memory.pressure full total (us stalled, counter);
                                      SG_POLICY_NONE without. The lost-time figure of `top` and
                                      `plot` until a direct measure of a guest's lost time exists */

    bool apf_available;            /* async-PF counters were open and read */
    char apf_missing[160];         /* when not: why (no tracefs, no permission, TCG ...) */
    uint64_t apf[SG_APF__MAX];     /* sums over the vCPU threads, since the counters opened */

    /* Time the vCPU threads lose on the host, the disks' latency and what the serial console
     * log showed: the numbers, one assignment each way for the sampler's ring. */
    struct sg_dom_lost lost;
    char delayacct_missing[160];   /* when lost.delayacct_available is false: why */
    char console_missing[160];     /* when lost.console_ok is false: why (no file console, unreadable) */

    bool guest_probed;             /* this tick carries a guest probe */
    struct sg_guest_facts guest;

    /* The libvirt calls of the tick, each with a deadline (agent/core/lvcall.h). */
    bool libvirt_stale;            /* a call for the domain outlived the deadline and has not returned:
                                      its libvirt figures (block stats, guest probe) are left out */
    char libvirt_missing[160];     /* why the libvirt figures are missing this tick, "" when read */

    /* Per vCPU thread, lost.n_vcpu_lost of them. The last member: the sampler keeps its
     * newest tick (sg_dom_ring.last) allocated to SG_DOM_FACTS_SIZE(lost.n_vcpu_lost) bytes,
     * so a domain without vCPU threads holds none of the 32 entries (2.5 KiB). */
    struct sg_vcpu_lost vcpu_lost[SG_VCPU_LOST_MAX];
};

/* The bytes of a struct sg_dom_facts with room for n (<= SG_VCPU_LOST_MAX) vcpu_lost[]
 * entries: what a copy of one with lost.n_vcpu_lost = n must cover. */
#define SG_DOM_FACTS_SIZE(n) \
    (offsetof(struct sg_dom_facts, vcpu_lost) + (size_t)(n) * sizeof(struct sg_vcpu_lost))

/* Thresholds of the verdict rules ([verdict] in swapguard.conf). */
struct sg_verdict_thresholds {
    uint64_t host_swap_min_kib;    /* guest RAM in host swap at or above this counts (default 16 MiB) */
    double swapin_rate_min;        /* cgroup major faults per second that count as swap-ins (default 5) */
    double apf_rate_min;           /* kvm_async_pf_not_present per second that count (default 1) */
    double psi_some_min;           /* memory PSI some avg10 percent that counts as pressure (default 10) */
    double psi_full_min;           /* memory PSI full avg10 percent (default 2) */
    double refault_rate_min;       /* host workingset_refault_anon pages/s (default 1000) */
    uint64_t guest_swap_min_kib;   /* guest swap used at or above this counts (default 4 MiB) */
    double guest_swapout_rate_min; /* guest pswpout pages/s (default 1) */
    double swapin_delay_min_ms;    /* vCPU swap-in delay ms/s, summed over the vCPUs (default 20) */
    double swapin_look_share_min;  /* share of vCPU looks in the swap-in path (default 0.2) */
    unsigned swapin_looks_min;     /* ... and at least this many such looks (default 3) */
    double cpu_delay_min_ms;       /* run-queue wait ms/s per vCPU, also guest steal ms/s (default 300) */
    double disk_ms_per_req_min;    /* host-side disk latency ms per request (default 100) */
    unsigned hung_reports_min;     /* guest hung-task reports in the window that count (default 1) */
    unsigned dstate_io_tasks_min;  /* guest D-state tasks on I/O that count, with the disk latency (default 1) */
};

/* Defaults of every threshold (documented in the default swapguard.conf). */
void sg_verdict_thresholds_default(struct sg_verdict_thresholds *t);
