/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The verdict rules (policies/verdict.h) as a table of hand-written cases, one
 * per rule and edge, and the sampler's rings and window selection. The ticks
 * are struct literals on purpose: each case states the few figures its rule
 * looks at; captured series are replayed in test-sampler.c.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <math.h>
#include <string.h>

#include "policies/sampler.h"
#include "policies/verdict.h"

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))
#define MIB(x) ((uint64_t)(x) * 1024)
#define GIB(x) ((uint64_t)(x) * 1024 * 1024)

#define TCG_WHY "vCPUs run under TCG: no KVM, no async PF"

/* A running tick at t seconds of a 1 GiB guest; the rest as given (zero otherwise). */
#define TICK(t, ...) { .t_s = (t), .running = true, .guest_ram_kib = GIB(1), __VA_ARGS__ }
/* The async-PF counters read, kvm_async_pf_not_present at np. */
#define APF(np) .apf_available = true, .apf = { [SG_APF_NOT_PRESENT] = (np) }
/* No async-PF counters: a TCG guest. */
#define TCG .apf_missing = TCG_WHY
/* A probe where every part was read. */
#define GUEST_OK(...) .guest_probed = true, \
    .guest = { .agent_ok = true, .tasks_ok = true, .kmsg_ok = true, .mem_ok = true, __VA_ARGS__ }
/* A probe that did not reach the agent. */
#define GUEST_DOWN .guest_probed = true, .guest = { .missing = "not connected" }
/* A domain without a memory.pressure of its own (no cgroup v2 group). */
#define NO_PSI .psi_some_avg10 = NAN, .psi_full_avg10 = NAN
/* Delay accounting read: n vCPU threads, swap-in and run-queue delay in ns. */
#define MS 1000000ull
#define LOST(n, swapin, cpu) .lost.vcpu_threads = (n), .lost.delayacct_available = true, \
    .lost.swapin_delay_ns = (swapin), .lost.cpu_delay_ns = (cpu), .lost.blkio_delay_ns = 0, .lost.freepages_delay_ns = 0, \
    .lost.thrashing_delay_ns = 0, .lost.run_delay_ns = (cpu)
/* The same with a block I/O delay. */
#define LOST_IO(n, swapin, blkio) .lost.vcpu_threads = (n), .lost.delayacct_available = true, \
    .lost.swapin_delay_ns = (swapin), .lost.cpu_delay_ns = 0, .lost.blkio_delay_ns = (blkio), .lost.freepages_delay_ns = 0, \
    .lost.thrashing_delay_ns = 0, .lost.run_delay_ns = 0
/* Delay accounting off (the sysctl at 0). */
#define NO_DELAYACCT(n) .lost.vcpu_threads = (n), .delayacct_missing = "delay accounting off (sysctl kernel.task_delayacct = 0)", \
    .lost.swapin_delay_ns = SG_POLICY_NONE, .lost.cpu_delay_ns = SG_POLICY_NONE
/* Looks at the vCPU threads so far: all, in the swap-in path. */
#define LOOKS(all, swapin) .lost.vcpu_looks = (all), .lost.vcpu_looks_dstate = (swapin), .lost.vcpu_looks_swapin = (swapin)
/* Block stats: requests (reads) and their time in ns. */
#define BLK(reqs, ns) .lost.blk_rd_reqs = (reqs), .lost.blk_rd_times_ns = (ns), .lost.blk_wr_reqs = SG_POLICY_NONE, \
    .lost.blk_fl_reqs = SG_POLICY_NONE
/* The serial console log read. */
#define CONSOLE(...) .lost.console_ok = true, __VA_ARGS__
#define HOST(t, ...) { .t_s = (t), .mem_total_kib = GIB(8), .mem_available_kib = GIB(4), __VA_ARGS__ }

#define MAX_TICKS 4
#define MAX_KEYS 8


struct vcase {
    const char *name;
    void (*tweak)(struct sg_verdict_thresholds *t); /* NULL: the defaults */
    size_t n;
    struct sg_dom_facts dom[MAX_TICKS];
    size_t n_host;
    struct sg_host_facts host[MAX_TICKS];
    enum sg_verdict_kind kind;
    double conf_min, conf_max;
    const char *keys[MAX_KEYS];    /* evidence keys that must be present */
    const char *absent[MAX_KEYS];  /* evidence keys that must not be */
    const char *missing;           /* substring of missing; "" missing must be empty; NULL any */
    const char *ev_text;           /* substring of some evidence text, NULL none */
    const char *val_key;           /* evidence whose value is val (NAN: must be NAN) */
    double val;
};

static void host_swap_min_256m(struct sg_verdict_thresholds *t)
{
    t->host_swap_min_kib = MIB(256);
}

/* The stall thresholds of [verdict], each moved past the figure of a case that hits it by default. */
static void swapin_delay_min_1000(struct sg_verdict_thresholds *t)
{
    t->swapin_delay_min_ms = 1000;
}

static void swapin_look_share_min_1(struct sg_verdict_thresholds *t)
{
    t->swapin_look_share_min = 1;
}

static void swapin_looks_min_50(struct sg_verdict_thresholds *t)
{
    t->swapin_looks_min = 50;
}

static void cpu_delay_min_50(struct sg_verdict_thresholds *t)
{
    t->cpu_delay_min_ms = 50;
}

static void disk_ms_per_req_min_1000(struct sg_verdict_thresholds *t)
{
    t->disk_ms_per_req_min = 1000;
}

static void hung_reports_min_2(struct sg_verdict_thresholds *t)
{
    t->hung_reports_min = 2;
}

static void dstate_io_tasks_min_3(struct sg_verdict_thresholds *t)
{
    t->dstate_io_tasks_min = 3;
}

static const struct vcase cases[] = {
    {
        /* The figures of the real synchronous stall of tests/integration/test-stall.sh on
         * Linux 6.1: the swap-in wait is accounted as blkio (io_schedule), swapin stays tiny. */
        .name = "synchronous stall measured as the vCPU's blkio delay while the host swaps the guest",
        .n = 2,
        .dom = {
            TICK(0, .vm_swap_kib = MIB(224), TCG, LOST_IO(1, 0, 0)),
            TICK(9, .vm_swap_kib = MIB(224), TCG, LOST_IO(1, 1 * MS, 7463 * MS)),
        },
        .kind = SG_VERDICT_HOST_SWAP_STALL, .conf_min = 0.95, .conf_max = 0.95,
        .keys = { "swapin_delay_ms_per_s", "host_swap_kib" },
        .absent = { "blkio_delay_ms_per_s" },
        .ev_text = "+ blkio_delay_total",
    },
    {
        .name = "vCPU blkio delay without host swap: a host-io cause, no stall verdict",
        .n = 2,
        .dom = {
            TICK(0, TCG, LOST_IO(1, 0, 0), GUEST_OK()),
            TICK(10, TCG, LOST_IO(1, 0, 5000 * MS), GUEST_OK()),
        },
        .kind = SG_VERDICT_OK, .conf_min = 0.75, .conf_max = 0.75,
        .keys = { "blkio_delay_ms_per_s" },
        .absent = { "swapin_delay_ms_per_s" },
    },
    /* ---- lost time measured on the host, and the other causes ---- */
    {
        .name = "synchronous stall: swap-in delay of the vCPU threads with host swap (TCG, no guest)",
        .n = 2,
        .dom = {
            TICK(0, .vm_swap_kib = MIB(128), TCG, LOST(1, 0, 0)),
            TICK(10, .vm_swap_kib = MIB(128), TCG, LOST(1, 8100 * MS, 1900 * MS)),
        },
        .kind = SG_VERDICT_HOST_SWAP_STALL, .conf_min = 0.95, .conf_max = 0.95,
        .keys = { "host_swap_kib", "swapin_delay_ms_per_s", "cpu_delay_ms_per_s" },
        .absent = { "guest_async_pf_tasks", "guest_agent_silent" },
        .ev_text = "lost 810 ms/s waiting for host swap-in",
        .val_key = "swapin_delay_ms_per_s", .val = 810,
    },
    {
        .name = "synchronous stall: swap-in delay alone (swap figures under the threshold): 0.9",
        .n = 2,
        .dom = {
            TICK(0, TCG, LOST(2, 0, 0)),
            TICK(10, TCG, LOST(2, 500 * MS, 0)),
        },
        .kind = SG_VERDICT_HOST_SWAP_STALL, .conf_min = 0.9, .conf_max = 0.9,
        .keys = { "swapin_delay_ms_per_s" },
        .val_key = "swapin_delay_ms_per_s", .val = 50,
    },
    {
        .name = "swap-in delay under swapin_delay_min_ms: not a stall, a risk",
        .n = 2,
        .dom = {
            TICK(0, .vm_swap_kib = MIB(128), TCG, LOST(1, 0, 0), GUEST_OK()),
            TICK(10, .vm_swap_kib = MIB(128), TCG, LOST(1, 100 * MS, 0), GUEST_OK()),
        },
        .kind = SG_VERDICT_HOST_SWAP_RISK, .conf_min = 0.8, .conf_max = 0.8,
        .keys = { "swapin_delay_ms_per_s" },
        .val_key = "swapin_delay_ms_per_s", .val = 10,
    },
    {
        .name = "synchronous stall from wchan looks without delay accounting, agent silent: 0.85",
        .n = 2,
        .dom = {
            TICK(0, .vm_swap_kib = MIB(200), TCG, NO_DELAYACCT(1), LOOKS(3, 0), GUEST_OK()),
            TICK(10, .vm_swap_kib = MIB(200), TCG, NO_DELAYACCT(1), LOOKS(33, 29), GUEST_DOWN),
        },
        .kind = SG_VERDICT_HOST_SWAP_STALL, .conf_min = 0.85, .conf_max = 0.85,
        .keys = { "vcpu_swapin_look_share", "guest_agent_silent", "host_swap_kib" },
        .absent = { "swapin_delay_ms_per_s" },
        .missing = "sysctl -w kernel.task_delayacct=1",
        .ev_text = "in 29 of 30 looks",
    },
    {
        .name = "wchan looks in swap-in without host swap figures: not a stall",
        .n = 2,
        .dom = {
            TICK(0, TCG, NO_DELAYACCT(1), LOOKS(3, 0), GUEST_OK()),
            TICK(10, TCG, NO_DELAYACCT(1), LOOKS(33, 29), GUEST_OK()),
        },
        .kind = SG_VERDICT_OK, .conf_min = 0.75, .conf_max = 0.75,
        .absent = { "guest_agent_silent" },
    },
    {
        .name = "guest-io-stall: a kernel hung-task report on I/O and the host's disk latency",
        .n = 2,
        .dom = {
            TICK(0, TCG, LOST(1, 0, 0), BLK(100, 100 * MS), GUEST_OK()),
            TICK(10, TCG, LOST(1, 0, 0), BLK(110, 100 * MS + 10 * 900 * MS),
                 GUEST_OK(.dstate_tasks = 1, .dstate_io_tasks = 1, .hung_other = 1, .hung_io_kernel = 1)),
        },
        .kind = SG_VERDICT_GUEST_IO_STALL, .conf_min = 0.9, .conf_max = 0.9,
        .keys = { "guest_hung_io", "disk_ms_per_req", "guest_dstate_io_tasks" },
        .absent = { "swapin_delay_ms_per_s", "host_swap_kib" },
        .val_key = "disk_ms_per_req", .val = 900,
    },
    {
        .name = "guest-io-stall from the serial console alone (no guest agent): 0.8",
        .n = 2,
        .dom = {
            TICK(0, TCG, CONSOLE()),
            TICK(10, TCG, CONSOLE(.lost.console_hung_io = 1), GUEST_DOWN),
        },
        .kind = SG_VERDICT_GUEST_IO_STALL, .conf_min = 0.8, .conf_max = 0.8,
        .keys = { "guest_hung_io" },
        .ev_text = "0 from the guest kernel log, 1 from the serial console",
    },
    {
        .name = "D-state I/O tasks while the disk answers fast: not an I/O stall",
        .n = 2,
        .dom = {
            TICK(0, TCG, BLK(100, 100 * MS), GUEST_OK()),
            TICK(10, TCG, BLK(200, 200 * MS), GUEST_OK(.dstate_tasks = 1, .dstate_io_tasks = 1)),
        },
        .kind = SG_VERDICT_OK, .conf_min = 0.75, .conf_max = 0.75,
        .keys = { "guest_dstate_io_tasks", "disk_ms_per_req" },
        .val_key = "disk_ms_per_req", .val = 1,
    },
    {
        .name = "D-state I/O tasks while the host's disk takes 500 ms a request: I/O stall, 0.7",
        .n = 2,
        .dom = {
            TICK(0, TCG, BLK(100, 0), GUEST_OK()),
            TICK(10, TCG, BLK(110, 5000 * MS), GUEST_OK(.dstate_tasks = 2, .dstate_io_tasks = 2)),
        },
        .kind = SG_VERDICT_GUEST_IO_STALL, .conf_min = 0.7, .conf_max = 0.7,
        .keys = { "guest_dstate_io_tasks", "disk_ms_per_req" },
    },
    {
        .name = "guest-lock-stall: a kernel hung-task report on a mutex, host clean",
        .n = 2,
        .dom = {
            TICK(0, TCG, LOST(1, 0, 0), GUEST_OK()),
            TICK(10, TCG, LOST(1, 0, 0), GUEST_OK(.dstate_tasks = 1, .dstate_lock_tasks = 1, .hung_other = 1,
                                                 .hung_lock_kernel = 1)),
        },
        .kind = SG_VERDICT_GUEST_LOCK_STALL, .conf_min = 0.8, .conf_max = 0.8,
        .keys = { "guest_hung_lock" },
    },
    {
        .name = "host-cpu-contention: 500 ms/s run-queue wait per vCPU (taskstats): 0.85",
        .n = 2,
        .dom = {
            TICK(0, TCG, LOST(2, 0, 0), GUEST_OK()),
            TICK(10, TCG, LOST(2, 0, 10000 * MS), GUEST_OK()),
        },
        .kind = SG_VERDICT_HOST_CPU_CONTENTION, .conf_min = 0.85, .conf_max = 0.85,
        .keys = { "cpu_delay_ms_per_s" },
        .val_key = "cpu_delay_ms_per_s", .val = 1000,
    },
    {
        .name = "host-cpu-contention from schedstat without delay accounting: 0.8",
        .n = 2,
        .dom = {
            TICK(0, TCG, NO_DELAYACCT(1), .lost.run_delay_ns = 0, GUEST_OK()),
            TICK(10, TCG, NO_DELAYACCT(1), .lost.run_delay_ns = 4000 * MS, GUEST_OK()),
        },
        .kind = SG_VERDICT_HOST_CPU_CONTENTION, .conf_min = 0.8, .conf_max = 0.8,
        .keys = { "cpu_delay_ms_per_s" },
        .ev_text = "schedstat run-queue wait",
    },
    {
        .name = "run-queue wait under cpu_delay_min_ms: ok",
        .n = 2,
        .dom = {
            TICK(0, TCG, LOST(1, 0, 0), GUEST_OK()),
            TICK(10, TCG, LOST(1, 0, 1000 * MS), GUEST_OK()),
        },
        .kind = SG_VERDICT_OK, .conf_min = 0.75, .conf_max = 0.75,
        .keys = { "cpu_delay_ms_per_s" },
    },
    {
        .name = "mix: synchronous swap stall and CPU contention: the stall, both causes listed",
        .n = 2,
        .dom = {
            TICK(0, .vm_swap_kib = MIB(128), TCG, LOST(1, 0, 0)),
            TICK(10, .vm_swap_kib = MIB(128), TCG, LOST(1, 8100 * MS, 4000 * MS)),
        },
        .kind = SG_VERDICT_HOST_SWAP_STALL, .conf_min = 0.95, .conf_max = 0.95,
        .keys = { "swapin_delay_ms_per_s", "cpu_delay_ms_per_s" },
    },
    {
        .name = "mix: host swap risk and a guest hung on its disk: the I/O stall (no swap remedy)",
        .n = 2,
        .dom = {
            TICK(0, .vm_swap_kib = MIB(128), TCG, GUEST_OK()),
            TICK(10, .vm_swap_kib = MIB(128), TCG, GUEST_OK(.hung_other = 1, .hung_io_kernel = 1)),
        },
        .kind = SG_VERDICT_GUEST_IO_STALL, .conf_min = 0.85, .conf_max = 0.85,
        .keys = { "guest_hung_io", "host_swap_kib" },
    },
    {
        .name = "mix: async-PF stall and an I/O hung task: the swap stall",
        .n = 2,
        .dom = {
            TICK(0, .vm_swap_kib = MIB(128), TCG, GUEST_OK()),
            TICK(10, .vm_swap_kib = MIB(128), TCG,
                 GUEST_OK(.dstate_tasks = 2, .async_pf_tasks = 1, .hung_other = 1, .hung_io_kernel = 1)),
        },
        .kind = SG_VERDICT_HOST_SWAP_STALL, .conf_min = 0.8, .conf_max = 0.8,
        .keys = { "guest_async_pf_tasks", "guest_hung_io" },
    },
    {
        .name = "mix: I/O stall and CPU contention: the I/O stall",
        .n = 2,
        .dom = {
            TICK(0, TCG, LOST(1, 0, 0), GUEST_OK()),
            TICK(10, TCG, LOST(1, 0, 6000 * MS), GUEST_OK(.hung_other = 1, .hung_io_kernel = 1)),
        },
        .kind = SG_VERDICT_GUEST_IO_STALL,
        .conf_min = 0.85, .conf_max = 0.85,
        .keys = { "guest_hung_io", "cpu_delay_ms_per_s" },
    },
    {
        .name = "mix: lock stall and CPU contention: the lock stall",
        .n = 2,
        .dom = {
            TICK(0, TCG, LOST(1, 0, 0), GUEST_OK()),
            TICK(10, TCG, LOST(1, 0, 6000 * MS), GUEST_OK(.hung_other = 1, .hung_lock_kernel = 1)),
        },
        .kind = SG_VERDICT_GUEST_LOCK_STALL, .conf_min = 0.8, .conf_max = 0.8,
        .keys = { "guest_hung_lock", "cpu_delay_ms_per_s" },
    },
    {
        .name = "guest kernel stall messages on the console corroborate a synchronous stall",
        .n = 2,
        .dom = {
            TICK(0, .vm_swap_kib = MIB(128), TCG, LOST(1, 0, 0), CONSOLE()),
            TICK(10, .vm_swap_kib = MIB(128), TCG, LOST(1, 9000 * MS, 0), CONSOLE(.lost.console_stall_msgs = 2)),
        },
        .kind = SG_VERDICT_HOST_SWAP_STALL, .conf_min = 0.95, .conf_max = 0.95,
        .keys = { "guest_stall_msgs", "swapin_delay_ms_per_s" },
        .ev_text = "0 in its kernel log, 2 on the serial console",
    },

    {
        .name = "stall via D-state async-PF tasks (TCG: no counters)",
        .n = 2,
        .dom = {
            TICK(0, .vm_swap_kib = MIB(128), .cgroup_swap_bytes = MIB(120) * 1024, TCG, GUEST_OK()),
            TICK(60, .vm_swap_kib = MIB(128), .cgroup_swap_bytes = MIB(120) * 1024, TCG,
                 GUEST_OK(.dstate_tasks = 3, .async_pf_tasks = 2)),
        },
        .kind = SG_VERDICT_HOST_SWAP_STALL, .conf_min = 0.8, .conf_max = 0.8,
        .keys = { "host_swap_kib", "guest_async_pf_tasks", "guest_dstate_tasks" },
        .absent = { "apf_not_present_per_s", "hung_async_pf_kernel" },
        .missing = "async-PF counters: " TCG_WHY,
        .ev_text = "128.0 MiB of 1024.0 MiB guest RAM in host swap",
        .val_key = "guest_async_pf_tasks", .val = 2,
    },
    {
        .name = "stall via a hung-task report printed by the guest kernel",
        .n = 2,
        .dom = {
            TICK(0, .vm_swap_kib = MIB(64), TCG, GUEST_OK(.hung_async_pf_kernel = 1)),
            TICK(30, .vm_swap_kib = MIB(64), TCG, GUEST_OK()),
        },
        .kind = SG_VERDICT_HOST_SWAP_STALL, .conf_min = 0.95, .conf_max = 0.95,
        .keys = { "host_swap_kib", "hung_async_pf_kernel" },
        .absent = { "hung_async_pf_forged" },
        .val_key = "hung_async_pf_kernel", .val = 1,
    },
    {
        .name = "stall via kvm_async_pf_not_present rising, no guest agent",
        .n = 3,
        .dom = {
            TICK(0, .cgroup_swap_bytes = MIB(64) * 1024, APF(100)),
            TICK(30, .cgroup_swap_bytes = MIB(64) * 1024, APF(250)),
            TICK(60, .cgroup_swap_bytes = MIB(64) * 1024, APF(400)),
        },
        .kind = SG_VERDICT_HOST_SWAP_STALL, .conf_min = 0.95, .conf_max = 0.95,
        .keys = { "host_swap_kib", "apf_not_present_per_s" },
        .absent = { "guest_async_pf_tasks" },
        .missing = "guest agent: no guest probe in the window",
        .val_key = "apf_not_present_per_s", .val = 5,
    },
    {
        .name = "swap and only forged hung reports: stall, believed little (0.5)",
        .n = 2,
        .dom = {
            TICK(0, .vm_swap_kib = MIB(64), APF(7), GUEST_OK(.hung_async_pf_forged = 2)),
            TICK(60, .vm_swap_kib = MIB(64), APF(7), GUEST_OK(.hung_async_pf_forged = 1)),
        },
        .kind = SG_VERDICT_HOST_SWAP_STALL, .conf_min = 0.5, .conf_max = 0.5,
        .keys = { "host_swap_kib", "hung_async_pf_forged", "guest_async_pf_tasks", "apf_not_present_per_s" },
        .absent = { "hung_async_pf_kernel" },
        .missing = "",
        .ev_text = "from guest user space (not kernel facility): a guest root can forge them",
        .val_key = "hung_async_pf_forged", .val = 3,
    },
    {
        .name = "risk without any stall visibility: 0.5, both reasons missing",
        .n = 2,
        .dom = {
            TICK(0, .vm_swap_kib = MIB(512), TCG, GUEST_DOWN),
            TICK(60, .vm_swap_kib = MIB(512), TCG, GUEST_DOWN),
        },
        .kind = SG_VERDICT_HOST_SWAP_RISK, .conf_min = 0.5, .conf_max = 0.5,
        .keys = { "host_swap_kib" },
        .missing = "guest agent: not connected; async-PF counters: " TCG_WHY,
        .val_key = "host_swap_kib", .val = 512 * 1024,
    },
    {
        .name = "swap-ins without swap level (cgroup pgmajfault) and an async-PF task: stall",
        .n = 2,
        .dom = {
            TICK(0, .cgroup_pgmajfault = 1000, TCG, GUEST_OK()),
            TICK(60, .cgroup_pgmajfault = 1600, TCG, GUEST_OK(.dstate_tasks = 1, .async_pf_tasks = 1)),
        },
        .kind = SG_VERDICT_HOST_SWAP_STALL, .conf_min = 0.8, .conf_max = 0.8,
        .keys = { "swapin_per_s", "guest_async_pf_tasks" },
        .absent = { "host_swap_kib" },
        .val_key = "swapin_per_s", .val = 10,
    },
    {
        .name = "swap-ins without swap level, no stall seen: risk",
        .n = 2,
        .dom = {
            TICK(0, .cgroup_pgmajfault = 1000, APF(0), GUEST_OK()),
            TICK(60, .cgroup_pgmajfault = 1600, APF(0), GUEST_OK()),
        },
        .kind = SG_VERDICT_HOST_SWAP_RISK, .conf_min = 0.8, .conf_max = 0.8,
        .keys = { "swapin_per_s", "guest_async_pf_tasks", "apf_not_present_per_s" },
        .missing = "",
    },
    {
        .name = "swap-ins below swapin_rate_min do not count",
        .n = 2,
        .dom = {
            TICK(0, .cgroup_pgmajfault = 1000, APF(0), GUEST_OK()),
            TICK(60, .cgroup_pgmajfault = 1060, APF(0), GUEST_OK()),
        },
        .kind = SG_VERDICT_OK, .conf_min = 0.9, .conf_max = 0.9,
        .keys = { "swapin_per_s" },
        .val_key = "swapin_per_s", .val = 1,
    },
    {
        .name = "host swap under a raised host_swap_min does not count",
        .tweak = host_swap_min_256m,
        .n = 2,
        .dom = {
            TICK(0, .vm_swap_kib = MIB(128), APF(0), GUEST_OK()),
            TICK(60, .vm_swap_kib = MIB(128), APF(0), GUEST_OK()),
        },
        .kind = SG_VERDICT_OK, .conf_min = 0.9, .conf_max = 0.9,
        .keys = { "host_swap_kib" },
    },
    /* ---- each stall threshold changed in the config changes the verdict ---- */
    {
        .name = "810 ms/s swap-in delay under a raised swapin_delay_min (1000): a risk, not a stall",
        .tweak = swapin_delay_min_1000,
        .n = 2,
        .dom = {
            TICK(0, .vm_swap_kib = MIB(128), TCG, LOST(1, 0, 0)),
            TICK(10, .vm_swap_kib = MIB(128), TCG, LOST(1, 8100 * MS, 1900 * MS)),
        },
        .kind = SG_VERDICT_HOST_SWAP_RISK, .conf_min = 0.5, .conf_max = 0.5,
        .keys = { "swapin_delay_ms_per_s" },
        .val_key = "swapin_delay_ms_per_s", .val = 810,
    },
    {
        .name = "29 of 30 looks in swap-in under a raised swapin_look_share_min (1): a risk",
        .tweak = swapin_look_share_min_1,
        .n = 2,
        .dom = {
            TICK(0, .vm_swap_kib = MIB(200), TCG, NO_DELAYACCT(1), LOOKS(3, 0), GUEST_OK()),
            TICK(10, .vm_swap_kib = MIB(200), TCG, NO_DELAYACCT(1), LOOKS(33, 29), GUEST_DOWN),
        },
        .kind = SG_VERDICT_HOST_SWAP_RISK, .conf_min = 0.8, .conf_max = 0.8,
        .absent = { "guest_agent_silent" },
    },
    {
        .name = "29 looks in swap-in under a raised swapin_looks_min (50): a risk",
        .tweak = swapin_looks_min_50,
        .n = 2,
        .dom = {
            TICK(0, .vm_swap_kib = MIB(200), TCG, NO_DELAYACCT(1), LOOKS(3, 0), GUEST_OK()),
            TICK(10, .vm_swap_kib = MIB(200), TCG, NO_DELAYACCT(1), LOOKS(33, 29), GUEST_DOWN),
        },
        .kind = SG_VERDICT_HOST_SWAP_RISK, .conf_min = 0.8, .conf_max = 0.8,
    },
    {
        .name = "100 ms/s run-queue wait over a lowered cpu_delay_min (50): host-cpu-contention",
        .tweak = cpu_delay_min_50,
        .n = 2,
        .dom = {
            TICK(0, TCG, LOST(1, 0, 0), GUEST_OK()),
            TICK(10, TCG, LOST(1, 0, 1000 * MS), GUEST_OK()),
        },
        .kind = SG_VERDICT_HOST_CPU_CONTENTION, .conf_min = 0.85, .conf_max = 0.85,
        .keys = { "cpu_delay_ms_per_s" },
        .val_key = "cpu_delay_ms_per_s", .val = 100,
    },
    {
        .name = "D-state I/O tasks at 500 ms a request under a raised disk_ms_per_req_min (1000): ok",
        .tweak = disk_ms_per_req_min_1000,
        .n = 2,
        .dom = {
            TICK(0, TCG, BLK(100, 0), GUEST_OK()),
            TICK(10, TCG, BLK(110, 5000 * MS), GUEST_OK(.dstate_tasks = 2, .dstate_io_tasks = 2)),
        },
        .kind = SG_VERDICT_OK, .conf_min = 0.75, .conf_max = 0.75,
        .keys = { "guest_dstate_io_tasks", "disk_ms_per_req" },
        .val_key = "disk_ms_per_req", .val = 500,
    },
    {
        .name = "two D-state I/O tasks under a raised dstate_io_tasks_min (3): ok",
        .tweak = dstate_io_tasks_min_3,
        .n = 2,
        .dom = {
            TICK(0, TCG, BLK(100, 0), GUEST_OK()),
            TICK(10, TCG, BLK(110, 5000 * MS), GUEST_OK(.dstate_tasks = 2, .dstate_io_tasks = 2)),
        },
        .kind = SG_VERDICT_OK, .conf_min = 0.75, .conf_max = 0.75,
        .keys = { "guest_dstate_io_tasks" },
    },
    {
        .name = "one hung-task report on a mutex under a raised hung_reports_min (2): ok",
        .tweak = hung_reports_min_2,
        .n = 2,
        .dom = {
            TICK(0, TCG, LOST(1, 0, 0), GUEST_OK()),
            TICK(10, TCG, LOST(1, 0, 0), GUEST_OK(.dstate_tasks = 1, .dstate_lock_tasks = 1, .hung_other = 1,
                                                 .hung_lock_kernel = 1)),
        },
        .kind = SG_VERDICT_OK, .conf_min = 0.75, .conf_max = 0.75,
        .keys = { "guest_hung_lock" },
    },
    {
        .name = "two hung-task reports on a mutex reach a raised hung_reports_min (2): guest-lock-stall",
        .tweak = hung_reports_min_2,
        .n = 2,
        .dom = {
            TICK(0, TCG, LOST(1, 0, 0), GUEST_OK(.hung_lock_kernel = 1)),
            TICK(10, TCG, LOST(1, 0, 0), GUEST_OK(.dstate_tasks = 1, .dstate_lock_tasks = 1, .hung_other = 1,
                                                 .hung_lock_kernel = 1)),
        },
        .kind = SG_VERDICT_GUEST_LOCK_STALL, .conf_min = 0.8, .conf_max = 0.8,
        .keys = { "guest_hung_lock" },
    },
    {
        .name = "async PF below apf_rate_min: risk, not stall",
        .n = 2,
        .dom = {
            TICK(0, .vm_swap_kib = MIB(64), APF(100)),
            TICK(60, .vm_swap_kib = MIB(64), APF(130)),
        },
        .kind = SG_VERDICT_HOST_SWAP_RISK, .conf_min = 0.8, .conf_max = 0.8,
        .keys = { "apf_not_present_per_s" },
        .missing = "guest agent: no guest probe",
        .val_key = "apf_not_present_per_s", .val = 0.5,
    },
    {
        .name = "guest-internal-swap: own swap used and pswpout rising",
        .n = 2,
        .dom = {
            TICK(0, .cgroup_pgmajfault = 50, APF(3),
                 GUEST_OK(.swap_total_kib = GIB(1), .swap_free_kib = GIB(1) - MIB(90), .pswpout = 0)),
            TICK(60, .cgroup_pgmajfault = 50, APF(3),
                 GUEST_OK(.swap_total_kib = GIB(1), .swap_free_kib = GIB(1) - MIB(100), .pswpout = 600)),
        },
        .kind = SG_VERDICT_GUEST_INTERNAL_SWAP, .conf_min = 0.8, .conf_max = 0.8,
        .keys = { "guest_swap_used_kib", "guest_swapout_per_s" },
        .absent = { "host_swap_kib", "swapin_per_s" },
        .missing = "",
        .ev_text = "the guest uses 100.0 MiB of its own 1024.0 MiB swap",
        .val_key = "guest_swapout_per_s", .val = 10,
    },
    {
        .name = "guest-internal-swap with the guest probe as the only source: 0.6",
        .n = 2,
        .dom = {
            TICK(0, TCG, GUEST_OK(.swap_total_kib = GIB(1), .swap_free_kib = GIB(1) - MIB(8))),
            TICK(60, TCG, GUEST_OK(.swap_total_kib = GIB(1), .swap_free_kib = GIB(1) - MIB(8))),
        },
        .kind = SG_VERDICT_GUEST_INTERNAL_SWAP, .conf_min = 0.6, .conf_max = 0.6,
        .keys = { "guest_swap_used_kib" },
        .absent = { "guest_swapout_per_s" },
        .missing = "async-PF counters: " TCG_WHY,
        .val_key = "guest_swap_used_kib", .val = 8 * 1024,
    },
    {
        .name = "host-memory-pressure by the domain's PSI some",
        .n = 2,
        .dom = {
            TICK(0, APF(0), GUEST_OK()),
            TICK(60, .psi_some_avg10 = 25.5, .psi_full_avg10 = 0.5, APF(0), GUEST_OK()),
        },
        .kind = SG_VERDICT_HOST_MEMORY_PRESSURE, .conf_min = 0.7, .conf_max = 0.7,
        .keys = { "psi_some_avg10" },
        .ev_text = "PSI some 25.5 %, full 0.5 %",
        .val_key = "psi_some_avg10", .val = 25.5,
    },
    {
        .name = "host-memory-pressure by the domain's PSI full",
        .n = 2,
        .dom = {
            TICK(0, APF(0), GUEST_OK()),
            TICK(60, .psi_some_avg10 = 4, .psi_full_avg10 = 3, APF(0), GUEST_OK()),
        },
        .kind = SG_VERDICT_HOST_MEMORY_PRESSURE, .conf_min = 0.7, .conf_max = 0.7,
        .keys = { "psi_some_avg10" },
    },
    {
        .name = "host-memory-pressure by host PSI when the domain has no PSI of its own",
        .n = 2,
        .dom = { TICK(0, NO_PSI, APF(0), GUEST_OK()), TICK(60, NO_PSI, APF(0), GUEST_OK()) },
        .n_host = 2,
        .host = { HOST(0, .psi_some_avg10 = 1), HOST(60, .psi_some_avg10 = 15, .psi_full_avg10 = 1) },
        .kind = SG_VERDICT_HOST_MEMORY_PRESSURE, .conf_min = 0.7, .conf_max = 0.7,
        .keys = { "host_psi_some_avg10" },
        .absent = { "psi_some_avg10" },
        .val_key = "host_psi_some_avg10", .val = 15,
    },
    {
        .name = "host-memory-pressure by host anon refaults when the domain has no PSI of its own",
        .n = 2,
        .dom = { TICK(0, NO_PSI, APF(0), GUEST_OK()), TICK(60, NO_PSI, APF(0), GUEST_OK()) },
        .n_host = 3,
        .host = {
            HOST(0, .workingset_refault_anon = 10000),
            HOST(30, .workingset_refault_anon = 50000),
            HOST(60, .workingset_refault_anon = 130000),
        },
        .kind = SG_VERDICT_HOST_MEMORY_PRESSURE, .conf_min = 0.7, .conf_max = 0.7,
        .keys = { "host_refault_per_s" },
        .val_key = "host_refault_per_s", .val = 2000,
    },
    {
        .name = "host PSI high but the domain's own PSI calm: ok (a neighbour's stalls are not this guest's)",
        .n = 2,
        .dom = { TICK(0, APF(0), GUEST_OK()), TICK(60, .psi_some_avg10 = 0.5, APF(0), GUEST_OK()) },
        .n_host = 2,
        .host = { HOST(0, .psi_some_avg10 = 30), HOST(60, .psi_some_avg10 = 40, .psi_full_avg10 = 5) },
        .kind = SG_VERDICT_OK, .conf_min = 0.9, .conf_max = 0.9,
        .keys = { "host_psi_some_avg10" },
    },
    {
        /* the guest's word only: a hostile guest forges its whole guest-exec answer */
        .name = "guest tasks in async PF while the host swap figures stay clean: stall at 0.3 only",
        .n = 2,
        .dom = {
            TICK(0, APF(0), GUEST_OK(.async_pf_tasks = 2, .dstate_tasks = 2)),
            TICK(60, APF(0), GUEST_OK(.async_pf_tasks = 1, .dstate_tasks = 1)),
        },
        .kind = SG_VERDICT_HOST_SWAP_STALL, .conf_min = 0.3, .conf_max = 0.3,
        .keys = { "guest_async_pf_tasks", "guest_dstate_tasks" },
        .absent = { "host_swap_kib" },
    },
    {
        .name = "host refaults below refault_rate_min, host PSI unknown: ok",
        .n = 2,
        .dom = { TICK(0, APF(0), GUEST_OK()), TICK(60, APF(0), GUEST_OK()) },
        .n_host = 2,
        .host = {
            HOST(0, .workingset_refault_anon = 0, .psi_some_avg10 = NAN, .psi_full_avg10 = NAN),
            HOST(60, .workingset_refault_anon = 6000, .psi_some_avg10 = NAN, .psi_full_avg10 = NAN),
        },
        .kind = SG_VERDICT_OK, .conf_min = 0.9, .conf_max = 0.9,
        .keys = { "host_refault_per_s" },
        .absent = { "host_psi_some_avg10" },
    },
    {
        .name = "ok with both stall sources",
        .n = 3,
        .dom = {
            TICK(0, .cgroup_pgmajfault = 10, APF(0), GUEST_OK()),
            TICK(30, .cgroup_pgmajfault = 10, APF(0), GUEST_OK()),
            TICK(60, .cgroup_pgmajfault = 12, APF(0), GUEST_OK()),
        },
        .kind = SG_VERDICT_OK, .conf_min = 0.9, .conf_max = 0.9,
        .keys = { "guest_async_pf_tasks", "apf_not_present_per_s" },
        .absent = { "host_swap_kib", "guest_swap_used_kib", "hung_async_pf_forged", "psi_some_avg10" },
        .missing = "",
    },
    {
        .name = "ok with the guest agent only (TCG)",
        .n = 2,
        .dom = { TICK(0, TCG, GUEST_OK()), TICK(60, TCG, GUEST_OK()) },
        .kind = SG_VERDICT_OK, .conf_min = 0.75, .conf_max = 0.75,
        .keys = { "guest_async_pf_tasks" },
        .absent = { "apf_not_present_per_s" },
        .missing = "async-PF counters: " TCG_WHY,
    },
    {
        .name = "ok with the async-PF counters only (no probe)",
        .n = 2,
        .dom = { TICK(0, APF(40)), TICK(60, APF(40)) },
        .kind = SG_VERDICT_OK, .conf_min = 0.75, .conf_max = 0.75,
        .keys = { "apf_not_present_per_s" },
        .missing = "guest agent: no guest probe in the window",
    },
    {
        .name = "unknown: no agent, TCG, host clean",
        .n = 2,
        .dom = { TICK(0, TCG, GUEST_DOWN), TICK(60, TCG, GUEST_DOWN) },
        .kind = SG_VERDICT_UNKNOWN, .conf_min = 0, .conf_max = 0,
        .missing = "guest agent: not connected; async-PF counters: " TCG_WHY,
    },
    {
        .name = "unknown: agent answers but guest-exec is blocked (no task list)",
        .n = 2,
        .dom = {
            TICK(0, TCG, .guest_probed = true,
                 .guest = { .agent_ok = true, .mem_ok = true, .missing = "guest-exec: disabled" }),
            TICK(60, TCG, .guest_probed = true,
                 .guest = { .agent_ok = true, .mem_ok = true, .missing = "guest-exec: disabled" }),
        },
        .kind = SG_VERDICT_UNKNOWN, .conf_min = 0, .conf_max = 0,
        .missing = "guest agent: guest-exec: disabled; async-PF counters: " TCG_WHY,
    },
    {
        .name = "a task list without agent_ok does not make a stall visible",
        .n = 2,
        .dom = {
            TICK(0, TCG, .guest_probed = true, .guest = { .tasks_ok = true, .missing = "guest-info: timeout" }),
            TICK(60, TCG, .guest_probed = true, .guest = { .tasks_ok = true, .missing = "guest-info: timeout" }),
        },
        .kind = SG_VERDICT_UNKNOWN, .conf_min = 0, .conf_max = 0,
        .missing = "guest agent: guest-info: timeout; async-PF counters: " TCG_WHY,
    },
    {
        .name = "newest tick not running: unknown, whatever came before",
        .n = 2,
        .dom = {
            TICK(0, .vm_swap_kib = MIB(500), APF(0), GUEST_OK(.async_pf_tasks = 4)),
            { .t_s = 60, .running = false },
        },
        .kind = SG_VERDICT_UNKNOWN, .conf_min = 0, .conf_max = 0,
        .absent = { "host_swap_kib", "guest_async_pf_tasks" },
        .missing = "domain not running",
    },
    {
        .name = "a tick not running in between is skipped for host figures",
        .n = 3,
        .dom = {
            TICK(0, .cgroup_pgmajfault = 1000, APF(0), GUEST_OK()),
            { .t_s = 30, .running = false, .cgroup_pgmajfault = SG_POLICY_NONE },
            TICK(60, .cgroup_pgmajfault = 1600, APF(0), GUEST_OK()),
        },
        .kind = SG_VERDICT_HOST_SWAP_RISK, .conf_min = 0.8, .conf_max = 0.8,
        .keys = { "swapin_per_s" },
        .val_key = "swapin_per_s", .val = 10,
    },
    {
        .name = "cgroup pgmajfault went backwards: rate unknown, not counted",
        .n = 2,
        .dom = {
            TICK(0, .cgroup_pgmajfault = 100000, APF(0), GUEST_OK()),
            TICK(60, .cgroup_pgmajfault = 50, APF(0), GUEST_OK()),
        },
        .kind = SG_VERDICT_OK, .conf_min = 0.9, .conf_max = 0.9,
        .keys = { "swapin_per_s" },
        .ev_text = "swap-in rate unknown: the counter went backwards",
        .val_key = "swapin_per_s", .val = NAN,
    },
    {
        .name = "async-PF counters went backwards (reopened): not a stall",
        .n = 2,
        .dom = {
            TICK(0, .vm_swap_kib = MIB(64), APF(5000)),
            TICK(60, .vm_swap_kib = MIB(64), APF(10)),
        },
        .kind = SG_VERDICT_HOST_SWAP_RISK, .conf_min = 0.8, .conf_max = 0.8,
        .keys = { "host_swap_kib" },
        .absent = { "apf_not_present_per_s" },
    },
    {
        .name = "single tick, host clean: ok, swap-in rate unknown",
        .n = 1,
        .dom = { TICK(100, .cgroup_pgmajfault = 5000, APF(9), GUEST_OK()) },
        .kind = SG_VERDICT_OK, .conf_min = 0.9, .conf_max = 0.9,
        .keys = { "swapin_per_s" },
        .absent = { "apf_not_present_per_s" },
        .ev_text = "swap-in rate unknown: one running tick in the window",
        .val_key = "swapin_per_s", .val = NAN,
    },
    {
        .name = "single tick with swap and an async-PF task: stall from levels",
        .n = 1,
        .dom = { TICK(100, .vm_swap_kib = MIB(32), TCG, GUEST_OK(.async_pf_tasks = 1, .dstate_tasks = 1)) },
        .kind = SG_VERDICT_HOST_SWAP_STALL, .conf_min = 0.8, .conf_max = 0.8,
        .keys = { "host_swap_kib", "guest_async_pf_tasks" },
        .absent = { "swapin_per_s" },
    },
    {
        .name = "forged hung reports alone, host clean: ok",
        .n = 2,
        .dom = {
            TICK(0, APF(0), GUEST_OK(.hung_async_pf_forged = 5)),
            TICK(60, APF(0), GUEST_OK()),
        },
        .kind = SG_VERDICT_OK, .conf_min = 0.9, .conf_max = 0.9,
        .keys = { "hung_async_pf_forged" },
    },
    {
        .name = "hung reports of a probe without kmsg_ok are not counted",
        .n = 2,
        .dom = {
            TICK(0, .vm_swap_kib = MIB(64), APF(0), .guest_probed = true,
                 .guest = { .agent_ok = true, .tasks_ok = true, .hung_async_pf_kernel = 9,
                            .missing = "dmesg: not read" }),
            TICK(60, .vm_swap_kib = MIB(64), APF(0), .guest_probed = true,
                 .guest = { .agent_ok = true, .tasks_ok = true, .hung_async_pf_kernel = 9,
                            .missing = "dmesg: not read" }),
        },
        .kind = SG_VERDICT_HOST_SWAP_RISK, .conf_min = 0.8, .conf_max = 0.8,
        .absent = { "hung_async_pf_kernel" },
        .missing = "guest agent: dmesg: not read",
    },
    {
        .name = "every source notable at once: evidence stays bounded",
        .n = 2,
        .dom = {
            TICK(0, .vm_swap_kib = MIB(200), .cgroup_swap_bytes = MIB(210) * 1024, .cgroup_pgmajfault = 0,
                 .psi_some_avg10 = 30, .psi_full_avg10 = 10, APF(0),
                 GUEST_OK(.swap_total_kib = GIB(1), .swap_free_kib = 0, .pswpout = 0,
                          .dstate_tasks = 9, .async_pf_tasks = 7, .hung_async_pf_kernel = 2,
                          .hung_async_pf_forged = 3, .steal_ms_per_s = 120)),
            TICK(60, .vm_swap_kib = MIB(200), .cgroup_swap_bytes = MIB(210) * 1024, .cgroup_pgmajfault = 60000,
                 .psi_some_avg10 = 30, .psi_full_avg10 = 10, APF(6000),
                 GUEST_OK(.swap_total_kib = GIB(1), .swap_free_kib = 0, .pswpout = 6000,
                          .dstate_tasks = 9, .async_pf_tasks = 7, .steal_ms_per_s = 250)),
        },
        .n_host = 2,
        .host = {
            HOST(0, .workingset_refault_anon = 0, .psi_some_avg10 = 40, .psi_full_avg10 = 20),
            HOST(60, .workingset_refault_anon = 600000, .psi_some_avg10 = 40, .psi_full_avg10 = 20),
        },
        .kind = SG_VERDICT_HOST_SWAP_STALL, .conf_min = 0.95, .conf_max = 0.95,
        .keys = { "host_swap_kib", "swapin_per_s", "apf_not_present_per_s", "hung_async_pf_forged",
                  "guest_swap_used_kib", "host_refault_per_s", "steal_ms_per_s", "host_psi_some_avg10" },
        .missing = "",
        .val_key = "host_swap_kib", .val = 210 * 1024,
    },

};

static const struct sg_evidence *find_ev(const struct sg_verdict *v, const char *key)
{
    for (size_t i = 0; i < v->n_ev; i++)
        if (strcmp(v->ev[i].key, key) == 0)
            return &v->ev[i];
    return NULL;
}

static void check_well_formed(const struct sg_verdict *v, const char *name)
{
    cr_assert_leq(v->n_ev, SG_MAX_EVIDENCE, "%s: n_ev %zu", name, v->n_ev);
    cr_expect(memchr(v->missing, '\0', sizeof(v->missing)) != NULL, "%s: missing unterminated", name);
    for (size_t i = 0; i < v->n_ev; i++) {
        const struct sg_evidence *e = &v->ev[i];

        cr_expect(memchr(e->key, '\0', sizeof(e->key)) && e->key[0], "%s: evidence %zu key", name, i);
        cr_expect(memchr(e->text, '\0', sizeof(e->text)) && e->text[0], "%s: evidence %s text", name, e->key);
        for (size_t j = 0; j < i; j++)
            cr_expect_str_neq(v->ev[j].key, e->key, "%s: key %s twice", name, e->key);
    }
}

static void eval_case(const struct vcase *c, struct sg_verdict *v)
{
    struct sg_verdict_thresholds t;
    const struct sg_dom_facts *dom[MAX_TICKS];
    const struct sg_host_facts *host[MAX_TICKS];

    sg_verdict_thresholds_default(&t);
    if (c->tweak)
        c->tweak(&t);
    for (size_t i = 0; i < c->n; i++)
        dom[i] = &c->dom[i];
    for (size_t i = 0; i < c->n_host; i++)
        host[i] = &c->host[i];
    memset(v, 0xa5, sizeof(*v)); /* eval must fill every field */
    sg_verdict_eval(&t, dom, c->n, host, c->n_host, v);
}

/*
 * Criterion hands the parameters to a worker process that may not share the
 * parent's addresses: pass indices into cases[], not the cases (they hold pointers).
 */
ParameterizedTestParameters(verdict, rules)
{
    static size_t idx[ELEMENTSOF(cases)];

    for (size_t i = 0; i < ELEMENTSOF(cases); i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, ELEMENTSOF(idx));
}

ParameterizedTest(size_t *idx, verdict, rules)
{
    const struct vcase *c = &cases[*idx];
    struct sg_verdict v;

    eval_case(c, &v);
    check_well_formed(&v, c->name);
    cr_expect_eq(v.kind, c->kind, "%s: kind %s, expected %s", c->name, sg_verdict_name(v.kind),
                 sg_verdict_name(c->kind));
    cr_expect(v.confidence >= c->conf_min - 1e-9 && v.confidence <= c->conf_max + 1e-9,
              "%s: confidence %.2f outside [%.2f, %.2f]", c->name, v.confidence, c->conf_min, c->conf_max);
    cr_expect_eq(v.n_ticks, c->n, "%s: n_ticks %zu", c->name, v.n_ticks);
    cr_expect_float_eq(v.window_s, c->dom[c->n - 1].t_s - c->dom[0].t_s, 1e-9, "%s: window_s", c->name);
    for (size_t i = 0; i < MAX_KEYS && c->keys[i]; i++)
        cr_expect(find_ev(&v, c->keys[i]), "%s: evidence %s missing", c->name, c->keys[i]);
    for (size_t i = 0; i < MAX_KEYS && c->absent[i]; i++)
        cr_expect(!find_ev(&v, c->absent[i]), "%s: evidence %s unexpected: %s", c->name, c->absent[i],
                  find_ev(&v, c->absent[i]) ? find_ev(&v, c->absent[i])->text : "");
    if (c->missing && !c->missing[0])
        cr_expect_str_empty(v.missing, "%s: missing '%s'", c->name, v.missing);
    else if (c->missing)
        cr_expect(strstr(v.missing, c->missing), "%s: missing '%s' lacks '%s'", c->name, v.missing, c->missing);
    if (c->ev_text) {
        bool found = false;

        for (size_t i = 0; i < v.n_ev; i++)
            found = found || strstr(v.ev[i].text, c->ev_text);
        cr_expect(found, "%s: no evidence text holds '%s'", c->name, c->ev_text);
    }
    if (c->val_key) {
        const struct sg_evidence *e = find_ev(&v, c->val_key);

        cr_assert_not_null(e, "%s: evidence %s missing", c->name, c->val_key);
        if (isnan(c->val))
            cr_expect(isnan(e->value), "%s: %s = %g, expected NAN", c->name, c->val_key, e->value);
        else
            cr_expect_float_eq(e->value, c->val, 1e-9, "%s: %s = %g, expected %g", c->name, c->val_key,
                               e->value, c->val);
    }
}

Test(verdict, every_key_of_the_bounded_case)
{
    static const char *const all[] = {
        "host_swap_kib", "swapin_per_s", "apf_not_present_per_s", "guest_async_pf_tasks",
        "guest_dstate_tasks", "hung_async_pf_kernel", "hung_async_pf_forged", "guest_swap_used_kib",
        "guest_swapout_per_s", "psi_some_avg10", "host_psi_some_avg10", "host_refault_per_s",
        "steal_ms_per_s",
    };
    struct sg_verdict v;

    eval_case(&cases[ELEMENTSOF(cases) - 1], &v);
    check_well_formed(&v, "all");
    cr_assert_eq(v.n_ev, ELEMENTSOF(all));
    for (size_t i = 0; i < ELEMENTSOF(all); i++)
        cr_expect_str_eq(v.ev[i].key, all[i], "evidence %zu", i);
}

Test(verdict, thresholds_default)
{
    struct sg_verdict_thresholds t;

    memset(&t, 0xff, sizeof(t));
    sg_verdict_thresholds_default(&t);
    cr_expect_eq(t.host_swap_min_kib, 16384);
    cr_expect_float_eq(t.swapin_rate_min, 5, 1e-12);
    cr_expect_float_eq(t.apf_rate_min, 1, 1e-12);
    cr_expect_float_eq(t.psi_some_min, 10, 1e-12);
    cr_expect_float_eq(t.psi_full_min, 2, 1e-12);
    cr_expect_float_eq(t.refault_rate_min, 1000, 1e-12);
    cr_expect_eq(t.guest_swap_min_kib, 4096);
    cr_expect_float_eq(t.guest_swapout_rate_min, 1, 1e-12);
}

Test(verdict, names)
{
    cr_expect_str_eq(sg_verdict_name(SG_VERDICT_UNKNOWN), "unknown");
    cr_expect_str_eq(sg_verdict_name(SG_VERDICT_OK), "ok");
    cr_expect_str_eq(sg_verdict_name(SG_VERDICT_HOST_MEMORY_PRESSURE), "host-memory-pressure");
    cr_expect_str_eq(sg_verdict_name(SG_VERDICT_GUEST_INTERNAL_SWAP), "guest-internal-swap");
    cr_expect_str_eq(sg_verdict_name(SG_VERDICT_HOST_SWAP_RISK), "host-swap-risk");
    cr_expect_str_eq(sg_verdict_name(SG_VERDICT_HOST_SWAP_STALL), "host-swap-stall");
    cr_expect_str_eq(sg_verdict_name(SG_VERDICT_GUEST_IO_STALL), "guest-io-stall");
    cr_expect_str_eq(sg_verdict_name(SG_VERDICT_HOST_CPU_CONTENTION), "host-cpu-contention");
    cr_expect_str_eq(sg_verdict_name(SG_VERDICT_GUEST_LOCK_STALL), "guest-lock-stall");
    cr_expect_str_eq(sg_verdict_name((enum sg_verdict_kind)42), "unknown");
}

Test(verdict, no_tick_and_null_thresholds)
{
    static const struct sg_dom_facts d = TICK(5, .vm_swap_kib = MIB(16), TCG, GUEST_DOWN);
    const struct sg_dom_facts *dom[] = { &d };
    struct sg_verdict v;

    sg_verdict_eval(NULL, NULL, 0, NULL, 0, &v);
    cr_expect_eq(v.kind, SG_VERDICT_UNKNOWN);
    cr_expect_eq(v.n_ticks, 0);
    cr_expect_neq(v.missing[0], '\0');

    /* NULL thresholds: the defaults (16 MiB of host swap counts) */
    sg_verdict_eval(NULL, dom, 1, NULL, 0, &v);
    cr_expect_eq(v.kind, SG_VERDICT_HOST_SWAP_RISK, "%s", sg_verdict_name(v.kind));
    cr_expect_float_eq(v.confidence, 0.5, 1e-9);
}

/* guest.missing comes from the guest side: bounded, no control bytes, even unterminated. */
Test(verdict, hostile_missing_texts_are_bounded)
{
    struct sg_dom_facts d = { .t_s = 1, .running = true, .guest_probed = true };
    const struct sg_dom_facts *dom[] = { &d };
    struct sg_verdict v;

    memset(d.guest.missing, 'A', sizeof(d.guest.missing)); /* no NUL */
    d.guest.missing[3] = '\n';
    d.guest.missing[4] = '\033';
    memset(d.apf_missing, 'B', sizeof(d.apf_missing));     /* no NUL */
    sg_verdict_eval(NULL, dom, 1, NULL, 0, &v);
    cr_assert_eq(v.kind, SG_VERDICT_UNKNOWN);
    cr_assert(memchr(v.missing, '\0', sizeof(v.missing)));
    cr_expect(strncmp(v.missing, "guest agent: AAA??AAA", 21) == 0, "%s", v.missing);
    for (const char *p = v.missing; *p; p++)
        cr_expect(*p >= 0x20 && *p < 0x7f, "byte 0x%02x", (unsigned char)*p);
    cr_expect(strstr(v.missing, "; async-PF counters: BBB"), "%s", v.missing);
}

/* --- the sampler ---------------------------------------------------------------------- */

#define UUID_A "6f1c3a52-0d1e-4b7a-9a55-000000000001"
#define UUID_B "6f1c3a52-0d1e-4b7a-9a55-000000000002"

static const struct sg_dom_facts *ring_tick(const struct sg_sampler *s, const struct sg_dom_ring *r, size_t i)
{
    static struct sg_dom_facts f;

    sg_sampler_tick(s, r, i, &f);
    return &f;
}

Test(sampler, init_rejects_short_rings)
{
    struct sg_sampler s;

    cr_expect_eq(sg_sampler_init(&s, 0), -EINVAL);
    cr_expect_eq(sg_sampler_init(&s, 1), -EINVAL);
    sg_sampler_clear(&s); /* a zeroed sampler is fine */
    cr_assert_eq(sg_sampler_init(&s, 2), 0);
    sg_sampler_clear(&s);
    sg_sampler_clear(&s);
}

Test(sampler, ring_wraps_keeping_the_newest)
{
    struct sg_sampler s;
    const struct sg_dom_ring *r;

    cr_assert_eq(sg_sampler_init(&s, 4), 0);
    for (int i = 0; i < 10; i++) {
        struct sg_dom_facts d = TICK(i * 5.0, .cgroup_pgmajfault = (uint64_t)i);
        struct sg_host_facts h = HOST(i * 5.0, .pswpin = (uint64_t)i);

        sg_sampler_push_host(&s, &h);
        cr_assert_eq(sg_sampler_push_dom(&s, UUID_A, "guest-a", &d), 0);
    }
    r = sg_sampler_dom(&s, UUID_A);
    cr_assert_not_null(r);
    cr_expect_str_eq(r->name, "guest-a");
    cr_assert_eq(r->n, 4);
    for (size_t i = 0; i < 4; i++)
        cr_expect_eq(ring_tick(&s, r, i)->cgroup_pgmajfault, 6 + i, "tick %zu", i);
    cr_assert_eq(s.host_n, 4);
    for (size_t i = 0; i < 4; i++)
        cr_expect_eq(s.host[(s.host_head + i) % s.cap].pswpin, 6 + i, "host tick %zu", i);
    sg_sampler_clear(&s);
}

Test(sampler, uuid_and_name_are_checked_and_bounded)
{
    struct sg_sampler s;
    struct sg_dom_facts d = TICK(0);
    char name[400];

    memset(name, 'n', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    cr_assert_eq(sg_sampler_init(&s, 3), 0);
    cr_expect_eq(sg_sampler_push_dom(&s, NULL, "x", &d), -EINVAL);
    cr_expect_eq(sg_sampler_push_dom(&s, "", "x", &d), -EINVAL);
    cr_expect_eq(sg_sampler_push_dom(&s, UUID_A "-too-long", "x", &d), -EINVAL);
    cr_expect_eq(s.n_doms, 0);
    cr_assert_eq(sg_sampler_push_dom(&s, UUID_A, name, &d), 0);
    cr_expect_eq(strlen(sg_sampler_dom(&s, UUID_A)->name), 255);
    cr_assert_eq(sg_sampler_push_dom(&s, UUID_A, NULL, &d), 0);
    cr_expect_str_eq(sg_sampler_dom(&s, UUID_A)->name, "");
    cr_expect_eq(s.n_doms, 1);
    sg_sampler_clear(&s);
}

Test(sampler, unknown_uuid_is_enoent)
{
    struct sg_sampler s;
    struct sg_verdict v;
    struct sg_dom_facts d = TICK(0);

    cr_assert_eq(sg_sampler_init(&s, 3), 0);
    cr_expect_eq(sg_sampler_verdict(&s, UUID_A, 60, NULL, &v), -ENOENT);
    cr_assert_eq(sg_sampler_push_dom(&s, UUID_A, "a", &d), 0);
    cr_expect_eq(sg_sampler_verdict(&s, UUID_B, 60, NULL, &v), -ENOENT);
    cr_expect_null(sg_sampler_dom(&s, UUID_B));
    cr_expect_eq(sg_sampler_verdict(&s, UUID_A, 60, NULL, &v), 0);
    sg_sampler_clear(&s);
}

Test(sampler, sweep_forgets_domains_not_pushed)
{
    struct sg_sampler s;
    struct sg_verdict v;
    struct sg_dom_facts d = TICK(0, APF(0));

    cr_assert_eq(sg_sampler_init(&s, 3), 0);
    cr_assert_eq(sg_sampler_push_dom(&s, UUID_A, "a", &d), 0);
    cr_assert_eq(sg_sampler_push_dom(&s, UUID_B, "b", &d), 0);
    sg_sampler_sweep(&s);
    cr_expect_eq(s.n_doms, 2, "both were pushed");
    d.t_s = 5;
    cr_assert_eq(sg_sampler_push_dom(&s, UUID_B, "b", &d), 0);
    sg_sampler_sweep(&s);
    cr_expect_eq(s.n_doms, 1);
    cr_expect_null(sg_sampler_dom(&s, UUID_A));
    cr_expect_eq(sg_sampler_verdict(&s, UUID_A, 0, NULL, &v), -ENOENT);
    cr_assert_not_null(sg_sampler_dom(&s, UUID_B));
    cr_expect_eq(sg_sampler_dom(&s, UUID_B)->n, 2);
    cr_expect_eq(sg_sampler_verdict(&s, UUID_B, 0, NULL, &v), 0);
    cr_expect_eq(v.n_ticks, 2);
    sg_sampler_sweep(&s);
    sg_sampler_sweep(&s);
    cr_expect_eq(s.n_doms, 0);
    sg_sampler_clear(&s);
}

/*
 * A stall 10 minutes ago: a 60 s window ends in host-swap-risk over 7 ticks,
 * the whole ring still sees the old async-PF tasks. Host refaults burst at
 * t = 10 only: outside the 60 s window, inside the whole ring.
 */
Test(sampler, window_excludes_old_ticks)
{
    struct sg_sampler s;
    struct sg_verdict v;

    cr_assert_eq(sg_sampler_init(&s, 100), 0);
    for (int i = 0; i <= 60; i++) {
        double t = i * 10.0;
        struct sg_dom_facts d = TICK(t, .vm_swap_kib = MIB(64), .cgroup_pgmajfault = 500, APF(0),
                                     GUEST_OK(.async_pf_tasks = i <= 2 ? 3 : 0));
        struct sg_host_facts h = HOST(t, .workingset_refault_anon = i >= 1 ? 2000000 : 0);

        sg_sampler_push_host(&s, &h);
        cr_assert_eq(sg_sampler_push_dom(&s, UUID_A, "a", &d), 0);
    }
    cr_assert_eq(sg_sampler_verdict(&s, UUID_A, 60, NULL, &v), 0);
    cr_expect_eq(v.kind, SG_VERDICT_HOST_SWAP_RISK, "%s", sg_verdict_name(v.kind));
    cr_expect_eq(v.n_ticks, 7);
    cr_expect_float_eq(v.window_s, 60, 1e-9);
    cr_expect_null(find_ev(&v, "host_refault_per_s"));

    cr_assert_eq(sg_sampler_verdict(&s, UUID_A, 0, NULL, &v), 0);
    cr_expect_eq(v.kind, SG_VERDICT_HOST_SWAP_STALL, "%s", sg_verdict_name(v.kind));
    cr_expect_eq(v.n_ticks, 61);
    cr_expect_float_eq(v.window_s, 600, 1e-9);
    cr_assert_not_null(find_ev(&v, "host_refault_per_s"));
    cr_expect_float_eq(find_ev(&v, "host_refault_per_s")->value, 2000000.0 / 600, 1e-6);
    sg_sampler_clear(&s);
}

/* The host ticks follow the domain's span: a domain started at t = 550 sees host refaults from then only. */
Test(sampler, host_ticks_in_the_domain_span)
{
    struct sg_sampler s;
    struct sg_verdict v;

    cr_assert_eq(sg_sampler_init(&s, 100), 0);
    for (int i = 0; i <= 60; i++) {
        double t = i * 10.0;
        struct sg_host_facts h = HOST(t, .workingset_refault_anon = i >= 1 ? 2000000 : 0);

        sg_sampler_push_host(&s, &h);
        if (t >= 550) {
            struct sg_dom_facts d = TICK(t, APF(0), GUEST_OK());

            cr_assert_eq(sg_sampler_push_dom(&s, UUID_A, "a", &d), 0);
        }
    }
    cr_assert_eq(sg_sampler_verdict(&s, UUID_A, 0, NULL, &v), 0);
    cr_expect_eq(v.kind, SG_VERDICT_OK, "%s", sg_verdict_name(v.kind));
    cr_expect_eq(v.n_ticks, 6);
    cr_expect_null(find_ev(&v, "host_refault_per_s"));
    sg_sampler_clear(&s);
}

Test(verdict, causes_with_their_share_of_lost_time)
{
    /* 81 % of the vCPU's lost time is swap-in, 19 % run-queue wait; a hung task on I/O next to it. */
    const struct sg_dom_facts a = TICK(0, .vm_swap_kib = MIB(128), TCG, LOST(1, 0, 0), GUEST_OK());
    const struct sg_dom_facts b = TICK(10, .vm_swap_kib = MIB(128), TCG, LOST(1, 8100 * MS, 1900 * MS),
                                       GUEST_OK(.hung_other = 1, .hung_io_kernel = 1, .dstate_io_tasks = 1));
    const struct sg_dom_facts *dom[2] = { &a, &b };
    struct sg_verdict v;

    sg_verdict_eval(NULL, dom, 2, NULL, 0, &v);
    cr_assert_eq(v.kind, SG_VERDICT_HOST_SWAP_STALL);
    cr_assert_eq(v.n_causes, 3);
    cr_expect_str_eq(v.causes[0].name, "host-swap");
    cr_expect_float_eq(v.causes[0].lost_ms_per_s, 810, 1e-6);
    cr_expect_float_eq(v.causes[0].share, 0.81, 1e-9);
    cr_expect_str_eq(v.causes[1].name, "host-cpu");
    cr_expect_float_eq(v.causes[1].share, 0.19, 1e-9);
    cr_expect_str_eq(v.causes[2].name, "guest-io");
    cr_expect(isnan(v.causes[2].lost_ms_per_s), "a guest-side cause has no time");
    cr_expect_float_eq(v.lost_ms_per_s, 1000, 1e-6);
}

Test(verdict, the_guest_io_cause_names_the_host_disk_latency_when_known)
{
    /* Ten writes of 900 ms each on the host while a guest task hangs on its disk. */
    const struct sg_dom_facts a = TICK(0, TCG, LOST(1, 0, 0), BLK(100, 100 * MS), GUEST_OK());
    const struct sg_dom_facts b = TICK(10, TCG, LOST(1, 0, 0), BLK(110, 100 * MS + 10 * 900 * MS),
                                       GUEST_OK(.dstate_tasks = 1, .dstate_io_tasks = 1, .hung_io_kernel = 1));
    /* The same without a completed request: no latency to name. */
    const struct sg_dom_facts c = TICK(10, TCG, LOST(1, 0, 0), BLK(100, 100 * MS),
                                       GUEST_OK(.dstate_tasks = 1, .dstate_io_tasks = 1, .hung_io_kernel = 1));
    const struct sg_dom_facts *with[2] = { &a, &b }, *without[2] = { &a, &c };
    struct sg_verdict v;

    sg_verdict_eval(NULL, with, 2, NULL, 0, &v);
    cr_assert_eq(v.n_causes, 1);
    cr_expect_str_eq(v.causes[0].name, "guest-io");
    cr_expect_not_null(strstr(v.causes[0].evidence, "; its disks 900 ms per request on the host"), "%s",
                       v.causes[0].evidence);
    sg_verdict_eval(NULL, without, 2, NULL, 0, &v);
    cr_assert_eq(v.n_causes, 1);
    cr_expect_null(strstr(v.causes[0].evidence, "ms per request"), "%s", v.causes[0].evidence);
}

Test(verdict, a_paused_domain_is_domain_paused_whatever_else_the_figures_say)
{
    /* Hand-written facts: libvirt's state "paused (I/O error)" of a guest with 128 MiB in host
     * swap and rising swap-ins, the guest agent not answering (a paused guest cannot). */
    const struct sg_dom_facts a = TICK(0, .vm_swap_kib = MIB(128), .cgroup_pgmajfault = 0, TCG,
                                       .paused = "I/O error", GUEST_DOWN);
    const struct sg_dom_facts b = TICK(10, .vm_swap_kib = MIB(128), .cgroup_pgmajfault = 500, TCG,
                                       .paused = "I/O error", GUEST_DOWN);
    /* Resumed in the newest tick: the swap figures decide again. */
    const struct sg_dom_facts c = TICK(20, .vm_swap_kib = MIB(128), .cgroup_pgmajfault = 1000, TCG, GUEST_DOWN);
    const struct sg_dom_facts *paused[2] = { &a, &b }, *resumed[3] = { &a, &b, &c };
    const struct sg_evidence *e;
    struct sg_verdict v;

    sg_verdict_eval(NULL, paused, 2, NULL, 0, &v);
    cr_expect_eq(v.kind, SG_VERDICT_DOMAIN_PAUSED, "%s", sg_verdict_name(v.kind));
    cr_expect_str_eq(sg_verdict_name(v.kind), "domain-paused");
    cr_expect_float_eq(v.confidence, 0.95, 1e-9);
    e = find_ev(&v, "domain_paused");
    cr_assert_not_null(e);
    cr_expect_not_null(strstr(e->text, "paused by libvirt (I/O error): QEMU stopped it on a disk error"), "%s",
                       e->text);
    cr_expect_not_null(strstr(e->text, "virsh domblkerror"), "%s", e->text);
    cr_expect_not_null(find_ev(&v, "host_swap_kib"), "the other evidence is still listed");

    sg_verdict_eval(NULL, resumed, 3, NULL, 0, &v);
    cr_expect_neq(v.kind, SG_VERDICT_DOMAIN_PAUSED, "%s", sg_verdict_name(v.kind));
    cr_expect_null(find_ev(&v, "domain_paused"));
}

Test(verdict, no_lost_time_figures_no_causes)
{
    /* Recordings from before the lost-time figures (all zero): nothing invented. */
    const struct sg_dom_facts a = TICK(0, .vm_swap_kib = MIB(128), TCG, GUEST_OK());
    const struct sg_dom_facts b = TICK(10, .vm_swap_kib = MIB(128), TCG, GUEST_OK());
    const struct sg_dom_facts *dom[2] = { &a, &b };
    struct sg_verdict v;

    sg_verdict_eval(NULL, dom, 2, NULL, 0, &v);
    cr_expect_eq(v.n_causes, 0);
    cr_expect(isnan(v.lost_ms_per_s));
    cr_expect(strstr(v.missing, "delay accounting") == NULL, "%s", v.missing);
}

/* vCPU thread i (vCPU number i, TID 100 + i) with taskstats swap-in, blkio and run-queue delay (ns). */
#define VCPU_TS(i, swapin, blkio, cpu) { .vcpu = (i), .tid = 100 + (i), .swapin_delay_ns = (swapin), \
    .blkio_delay_ns = (blkio), .cpu_delay_ns = (cpu), .freepages_delay_ns = 0, .thrashing_delay_ns = 0, \
    .run_delay_ns = (cpu), .looks = 0, .looks_dstate = 0, .looks_swapin = 0 }

Test(verdict, per_vcpu_cause_shares)
{
    /* Two vCPUs: vCPU 0 loses 810 ms/s to swap-in and 190 to the run queue (81 % swap-in);
     * vCPU 1 only waits for a CPU (200 ms/s, 100 %). The domain's causes are their sums. */
    struct sg_dom_facts a = TICK(0, .vm_swap_kib = MIB(128), TCG, LOST(2, 0, 0), GUEST_OK());
    struct sg_dom_facts b = TICK(10, .vm_swap_kib = MIB(128), TCG, LOST(2, 8100 * MS, 3900 * MS), GUEST_OK());
    const struct sg_dom_facts *dom[2] = { &a, &b };
    struct sg_verdict v;

    a.lost.n_vcpu_lost = b.lost.n_vcpu_lost = 2;
    a.vcpu_lost[0] = (struct sg_vcpu_lost)VCPU_TS(0, 0, 0, 0);
    a.vcpu_lost[1] = (struct sg_vcpu_lost)VCPU_TS(1, 0, 0, 0);
    b.vcpu_lost[0] = (struct sg_vcpu_lost)VCPU_TS(0, 8100 * MS, 0, 1900 * MS);
    b.vcpu_lost[1] = (struct sg_vcpu_lost)VCPU_TS(1, 0, 0, 2000 * MS);
    sg_verdict_eval(NULL, dom, 2, NULL, 0, &v);
    cr_assert_eq(v.kind, SG_VERDICT_HOST_SWAP_STALL);
    cr_assert_eq(v.n_vcpus, 2);
    cr_expect_eq(v.vcpus[0].vcpu, 0);
    cr_expect_eq(v.vcpus[0].tid, 100);
    cr_expect_float_eq(v.vcpus[0].lost_ms_per_s, 1000, 1e-6);
    cr_expect_float_eq(v.vcpus[0].ms[SG_VCPU_CAUSE_HOST_SWAP], 810, 1e-6);
    cr_expect_float_eq(v.vcpus[0].share[SG_VCPU_CAUSE_HOST_SWAP], 0.81, 1e-9);
    cr_expect_float_eq(v.vcpus[0].share[SG_VCPU_CAUSE_HOST_CPU], 0.19, 1e-9);
    cr_expect(!v.vcpus[0].swap_estimated);
    cr_expect_float_eq(v.vcpus[1].lost_ms_per_s, 200, 1e-6);
    cr_expect_float_eq(v.vcpus[1].share[SG_VCPU_CAUSE_HOST_CPU], 1, 1e-9);
    cr_expect_float_eq(v.vcpus[1].share[SG_VCPU_CAUSE_HOST_SWAP], 0, 1e-9);
    cr_expect_float_eq(v.lost_ms_per_s, v.vcpus[0].lost_ms_per_s + v.vcpus[1].lost_ms_per_s, 1e-6,
                       "the domain's lost time is the sum of its vCPUs'");
    cr_expect_str_eq(sg_vcpu_cause_name(SG_VCPU_CAUSE_HOST_SWAP), v.causes[0].name);
}

Test(verdict, per_vcpu_blkio_counts_as_swapin_when_the_domain_swaps)
{
    /* Linux 6.1 accounts a synchronous swap-in wait as blkio: with host swap the vCPU's blkio
     * is swap-in, as for the domain; without host swap it stays host-io. */
    struct sg_dom_facts a = TICK(0, .vm_swap_kib = MIB(128), TCG, LOST_IO(1, 0, 0), GUEST_OK());
    struct sg_dom_facts b = TICK(10, .vm_swap_kib = MIB(128), TCG, LOST_IO(1, 1000 * MS, 5000 * MS), GUEST_OK());
    const struct sg_dom_facts *dom[2] = { &a, &b };
    struct sg_verdict v;

    a.lost.n_vcpu_lost = b.lost.n_vcpu_lost = 1;
    a.vcpu_lost[0] = (struct sg_vcpu_lost)VCPU_TS(0, 0, 0, 0);
    b.vcpu_lost[0] = (struct sg_vcpu_lost)VCPU_TS(0, 1000 * MS, 5000 * MS, 0);
    sg_verdict_eval(NULL, dom, 2, NULL, 0, &v);
    cr_assert_eq(v.n_vcpus, 1);
    cr_expect_float_eq(v.vcpus[0].ms[SG_VCPU_CAUSE_HOST_SWAP], 600, 1e-6);
    cr_expect(isnan(v.vcpus[0].ms[SG_VCPU_CAUSE_HOST_IO]));
    cr_expect_float_eq(v.vcpus[0].share[SG_VCPU_CAUSE_HOST_SWAP], 1, 1e-9);

    a.vm_swap_kib = b.vm_swap_kib = 0;
    sg_verdict_eval(NULL, dom, 2, NULL, 0, &v);
    cr_expect_float_eq(v.vcpus[0].ms[SG_VCPU_CAUSE_HOST_SWAP], 100, 1e-6);
    cr_expect_float_eq(v.vcpus[0].ms[SG_VCPU_CAUSE_HOST_IO], 500, 1e-6);
}

Test(verdict, per_vcpu_swapin_estimated_from_looks_without_delay_accounting)
{
    /* No delay accounting: schedstat run delay and the looks: vCPU 0 in the swap-in path in
     * 27 of 30 looks is estimated at 900 ms/s of swap-in; a vCPU whose thread changed TID
     * (re-created) counts its newest tick's looks only and has no rate. */
    struct sg_dom_facts a = TICK(0, .vm_swap_kib = MIB(128), TCG, NO_DELAYACCT(2), .lost.run_delay_ns = 0,
                                 LOOKS(0, 0), GUEST_DOWN);
    struct sg_dom_facts b = TICK(10, .vm_swap_kib = MIB(128), TCG, NO_DELAYACCT(2), .lost.run_delay_ns = 100 * MS,
                                 LOOKS(30, 27), GUEST_DOWN);
    const struct sg_dom_facts *dom[2] = { &a, &b };
    struct sg_verdict v;

    a.lost.n_vcpu_lost = b.lost.n_vcpu_lost = 2;
    a.vcpu_lost[0] = (struct sg_vcpu_lost){ .vcpu = 0, .tid = 100, .swapin_delay_ns = SG_POLICY_NONE,
                                            .run_delay_ns = 0 };
    b.vcpu_lost[0] = (struct sg_vcpu_lost){ .vcpu = 0, .tid = 100, .swapin_delay_ns = SG_POLICY_NONE,
                                            .run_delay_ns = 100 * MS, .looks = 30, .looks_dstate = 27,
                                            .looks_swapin = 27 };
    a.vcpu_lost[1] = (struct sg_vcpu_lost){ .vcpu = 1, .tid = 101, .looks = 5 };
    b.vcpu_lost[1] = (struct sg_vcpu_lost){ .vcpu = 1, .tid = 201, .looks = 3, .run_delay_ns = 5 * MS };
    sg_verdict_eval(NULL, dom, 2, NULL, 0, &v);
    cr_assert_eq(v.kind, SG_VERDICT_HOST_SWAP_STALL);
    cr_assert_eq(v.n_vcpus, 2);
    cr_expect(v.vcpus[0].swap_estimated);
    cr_expect_float_eq(v.vcpus[0].swapin_look_share, 0.9, 1e-9);
    cr_expect_float_eq(v.vcpus[0].ms[SG_VCPU_CAUSE_HOST_SWAP], 900, 1e-6);
    cr_expect_float_eq(v.vcpus[0].ms[SG_VCPU_CAUSE_HOST_CPU], 10, 1e-6);
    cr_expect_float_eq(v.vcpus[0].share[SG_VCPU_CAUSE_HOST_SWAP], 900.0 / 910.0, 1e-9);
    cr_expect_eq(v.vcpus[1].tid, 201);
    cr_expect_eq(v.vcpus[1].looks, 3, "a new thread: its own looks only");
    cr_expect(isnan(v.vcpus[1].lost_ms_per_s), "no earlier tick of that TID: no rate");
}

Test(verdict, per_vcpu_none_without_vcpu_figures)
{
    /* Recordings from before the per-vCPU figures: the domain's causes, no vCPU entries. */
    const struct sg_dom_facts a = TICK(0, .vm_swap_kib = MIB(128), TCG, LOST(1, 0, 0), GUEST_OK());
    const struct sg_dom_facts b = TICK(10, .vm_swap_kib = MIB(128), TCG, LOST(1, 8100 * MS, 0), GUEST_OK());
    const struct sg_dom_facts *dom[2] = { &a, &b };
    struct sg_verdict v;

    sg_verdict_eval(NULL, dom, 2, NULL, 0, &v);
    cr_expect_gt(v.n_causes, 0);
    cr_expect_eq(v.n_vcpus, 0);
}
