/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Recommendations (policies/recommend.h), table-driven over struct literals.
 * The facts are hand-made on purpose: each case expresses one precondition
 * (a pool one page short, a locked total over the line, a hostile name), which
 * no captured host shows all at once.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "policies/recommend.h"

/* DOM() and HOST() give defaults that a case overrides by designator. */
#if defined(__clang__)
#pragma clang diagnostic ignored "-Winitializer-overrides"
#else
#pragma GCC diagnostic ignored "-Woverride-init"
#endif

#define MIB UINT64_C(1024)
#define GIB (UINT64_C(1024) * 1024)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_RECS 64

/* ---- verdicts ---- */

#define EV_SWAP { "host_swap_kib", 2097152, "VmSwap 2.0 GiB of 4.0 GiB guest RAM in host swap" }
#define V_STALL                                                                                     \
    {                                                                                               \
        .kind = SG_VERDICT_HOST_SWAP_STALL, .confidence = 0.9, .n_ev = 2,                           \
        .ev = { EV_SWAP, { "guest_async_pf_tasks", 3, "3 guest tasks in D state waiting in async PF" } } \
    }
#define V_RISK { .kind = SG_VERDICT_HOST_SWAP_RISK, .confidence = 0.7, .n_ev = 1, .ev = { EV_SWAP } }
#define V_PRESSURE                                                                                  \
    {                                                                                               \
        .kind = SG_VERDICT_HOST_MEMORY_PRESSURE, .n_ev = 1,                                         \
        .ev = { { "host_psi_some_avg10", 25, "host memory PSI some avg10 25.0 %" } }                \
    }
#define V_OK { .kind = SG_VERDICT_OK, .confidence = 0.8 }
#define V_UNKNOWN { .kind = SG_VERDICT_UNKNOWN, .missing = "guest agent: not connected" }
#define V_GUEST                                                                                     \
    {                                                                                               \
        .kind = SG_VERDICT_GUEST_INTERNAL_SWAP, .n_ev = 1,                                          \
        .ev = { { "guest_swap_used_kib", 65536, "64.0 MiB of the guest's own swap used" } }         \
    }

/* A running non-Nova guest of 4 GiB, 2 GiB of it in host swap, stalled; cgroup v2 without limit. */
#define DOM(NAME, ...)                                                                              \
    {                                                                                               \
        .name = NAME, .uuid = "uuid-" NAME, .cgroup_version = 2,                                    \
        .cgroup_path = "/machine.slice/machine-qemu\\x2d1\\x2d" NAME ".scope", .guest_ram_kib = 4 * GIB, \
        .vm_swap_kib = 2 * GIB, .guest_ram_swap_kib = SG_POLICY_NONE, .memory_limit_kib = SG_POLICY_NONE, \
        .qemu_pid = 4242, .oom_score_adj = 0, .verdict = V_STALL, __VA_ARGS__                       \
    }

/* 16 GiB host with 12 GiB available, 2 GiB swap of which 1 GiB used, swappiness at target. */
#define HOST(...)                                                                                   \
    {                                                                                               \
        .mem_total_kib = 16 * GIB, .mem_available_kib = 12 * GIB, .swap_total_kib = 2 * GIB,         \
        .swap_free_kib = 1 * GIB, .swappiness = 10, .process_madvise = true, .page_kib = 4,          \
        .sum_guest_ram_kib = 8 * GIB, __VA_ARGS__                                                   \
    }

/* ---- hosts ---- */

static const struct sg_rec_swapdev SWAPS[] = {
    { .filename = "/swapfile", .size_kib = 4 * GIB, .used_kib = 3 * GIB },
    { .filename = "/dev/sdb2", .size_kib = 4 * GIB, .used_kib = 1 * GIB },
};

/*
 * Every process of the tight host. After swapoff totalpages = RAM pages only:
 * 16 GiB / 4 KiB = 4194304, and the kernel's "adj *= totalpages / 1000" uses
 * 4194304 / 1000 = 4194 (truncated). Points = rss + swap + pte pages + adj * 4194:
 *   java     262144 (1 GiB) + 131072 (512 MiB) + 512 (2 MiB pte) + 300 * 4194 = 1651928
 *   qemu-a   786432 (3 GiB) + 524288 (2 GiB)   + 2048 (8 MiB)    + 0          = 1312768
 *   bash     1024 (4 MiB) + 0 + 25 (100 KiB)                                   = 1049
 *   cron     512 (2 MiB) + 0 + 10 (40 KiB)                                     = 522
 *   tiny     256 (1 MiB)                                                       = 256
 *   qemu-b   1048576 (4 GiB) + 0 + 1024 (4 MiB) - 500 * 4194 = 1049600 - 2097000 = -1047400 (6th: cut)
 *   sshd     oom_score_adj -1000: never chosen; init (PID 1): never chosen, however big.
 */
static const struct sg_oom_proc PROCS[] = {
    { .pid = 1, .comm = "init", .rss_kib = 8 * GIB, .swap_kib = 0, .pte_kib = 64, .oom_score_adj = 0 },
    { .pid = 100, .comm = "qemu-a", .rss_kib = 3 * GIB, .swap_kib = 2 * GIB, .pte_kib = 8192 },
    { .pid = 200, .comm = "qemu-b", .rss_kib = 4 * GIB, .pte_kib = 4096, .oom_score_adj = -500 },
    { .pid = 300, .comm = "sshd", .rss_kib = 6 * GIB, .swap_kib = 0, .pte_kib = 16, .oom_score_adj = -1000 },
    { .pid = 400, .comm = "java", .rss_kib = GIB, .swap_kib = 512 * MIB, .pte_kib = 2048,
      .oom_score_adj = 300 },
    { .pid = 500, .comm = "bash", .rss_kib = 4 * MIB, .swap_kib = 0, .pte_kib = 100, .oom_score_adj = 0 },
    { .pid = 600, .comm = "cron", .rss_kib = 2 * MIB, .swap_kib = 0, .pte_kib = 40, .oom_score_adj = 0 },
    { .pid = 700, .comm = "tiny", .rss_kib = 1 * MIB, .swap_kib = 0, .pte_kib = 0, .oom_score_adj = 0 },
};

/* 2 GiB available, 4 GiB of 8 GiB swap used: swapoff would need 3 GiB more than there is. */
static const struct sg_rec_host H_TIGHT = HOST(.mem_available_kib = 2 * GIB, .swap_total_kib = 8 * GIB,
                                               .swap_free_kib = 4 * GIB, .swaps = SWAPS, .n_swaps = 2,
                                               .swappiness = 60, .procs = PROCS,
                                               .n_procs = ARRAY_SIZE(PROCS));
static const struct sg_rec_host H_ROOMY = HOST();
static const struct sg_rec_host H_SWAP60 = HOST(.swappiness = 60);
static const struct sg_rec_host H_SWAPUNK = HOST(.swappiness = -1);
static const struct sg_rec_host H_NOMADV = HOST(.process_madvise = false);
static const struct sg_rec_host H_NOSWAP = HOST(.swap_total_kib = 0, .swap_free_kib = 0);
static const struct sg_rec_host H_LOCKED = HOST(.locked_guests_kib = 12 * GIB);
/* 22649242 KiB = 21.6 GiB of guests on 16 GiB: overcommit 1.35. */
static const struct sg_rec_host H_NOVA = HOST(.sum_guest_ram_kib = 22649242);

/* Guest of 4 GiB = 2048 pages of 2 MiB or 4 of 1 GiB. Node 0 is short, node 1 has room; 1 GiB never fits. */
static const struct sg_rec_hugepool POOLS_NUMA[] = {
    { .node = 0, .page_size_kib = 2048, .nr_pages = 1024, .free_pages = 1000 },
    { .node = 1, .page_size_kib = 2048, .nr_pages = 4096, .free_pages = 3000 },
    { .node = 0, .page_size_kib = 1048576, .nr_pages = 2, .free_pages = 2 },
    { .node = 1, .page_size_kib = 1048576, .nr_pages = 2, .free_pages = 1 },
};
static const struct sg_rec_host H_HUGE = HOST(.pools = POOLS_NUMA, .n_pools = ARRAY_SIZE(POOLS_NUMA));
/* Neither node alone holds 2048 pages, both together do (1200 + 1000). */
static const struct sg_rec_hugepool POOLS_SPREAD[] = {
    { .node = 0, .page_size_kib = 2048, .nr_pages = 1200, .free_pages = 1200 },
    { .node = 1, .page_size_kib = 2048, .nr_pages = 1200, .free_pages = 1000 },
};
static const struct sg_rec_host H_SPREAD = HOST(.pools = POOLS_SPREAD, .n_pools = ARRAY_SIZE(POOLS_SPREAD));
/* Both sizes fit: the largest wins. */
static const struct sg_rec_hugepool POOLS_1G[] = {
    { .node = 0, .page_size_kib = 2048, .nr_pages = 4096, .free_pages = 4096 },
    { .node = 0, .page_size_kib = 1048576, .nr_pages = 4, .free_pages = 4 },
};
static const struct sg_rec_host H_1G = HOST(.pools = POOLS_1G, .n_pools = ARRAY_SIZE(POOLS_1G));
/* No NUMA sysfs: one host-wide pool of 100 pages. */
static const struct sg_rec_hugepool POOLS_FLAT[] = {
    { .node = -1, .page_size_kib = 2048, .nr_pages = 100, .free_pages = 100 },
};
static const struct sg_rec_host H_FLAT = HOST(.pools = POOLS_FLAT, .n_pools = ARRAY_SIZE(POOLS_FLAT));

static const int N0[] = { 0 };
static const int N1[] = { 1 };
static const int N01[] = { 0, 1 };

/* ---- domains per case ---- */

static const struct sg_rec_domain D_A[] = { DOM("a") };
static const struct sg_rec_domain D_CGROUPS[] = {
    DOM("v1", .cgroup_version = 1, .memory_limit_kib = 4 * GIB + 256 * MIB),
    DOM("v1small", .cgroup_version = 1, .memory_limit_kib = 2 * GIB),
    DOM("v1nolimit", .cgroup_version = 1),
    DOM("nocg", .cgroup_version = 0, .cgroup_path = NULL),
    DOM("v2nopath", .cgroup_path = NULL),
    DOM("v2limit", .memory_limit_kib = 8 * GIB),
};
static const struct sg_rec_domain D_SMAPS[] = { DOM("s", .guest_ram_swap_kib = 3 * GIB) };
static const struct sg_rec_domain D_LOCK[] = { DOM("a"), DOM("locked", .locked = true, .hugepages = true) };
static const struct sg_rec_domain D_HUGE[] = {
    DOM("n0", .numa_nodes = N0, .n_numa_nodes = 1),
    DOM("n1", .numa_nodes = N1, .n_numa_nodes = 1),
    DOM("any"),
};
static const struct sg_rec_domain D_SPREAD[] = {
    DOM("spread", .numa_nodes = N01, .n_numa_nodes = 2),
    DOM("only0", .numa_nodes = N0, .n_numa_nodes = 1),
};
static const struct sg_rec_domain D_BIG[] = { DOM("big") };
static const struct sg_rec_domain D_FLAT[] = { DOM("flat") };
static const struct sg_rec_domain D_NOVA[] = {
    DOM("nova1", .nova = true, .nova_flavor = "m1.large"),
    DOM("nova2", .nova = true),
    DOM("nova3", .nova = true, .nova_flavor = "m1\nx; rm -rf /"),
};
static const struct sg_rec_domain D_CRIT_SWAP[] = { DOM("crit") };
/*
 * Right after swapoff the window still holds the swap-ins: host-swap-risk with no swap left.
 * Locked and on hugepages already, so oom-protect is all that is left to recommend.
 */
#define CRIT(NAME, ...) \
    DOM(NAME, .verdict = V_RISK, .vm_swap_kib = 0, .locked = true, .hugepages = true, __VA_ARGS__)
static const struct sg_rec_domain D_CRIT_NOSWAP[] = {
    CRIT("crit", .qemu_pid = 4242),
    CRIT("byuuid", .qemu_pid = 777),
    CRIT("already", .oom_score_adj = -900),
    CRIT("plain", .oom_score_adj = 0),
};
static const char *const CRITICAL[] = { "crit", "uuid-byuuid", "already", NULL };
static const struct sg_rec_domain D_PRESSURE[] = { DOM("p", .verdict = V_PRESSURE) };
static const struct sg_rec_domain D_QUIET[] = {
    DOM("ok", .verdict = V_OK, .vm_swap_kib = 0),
    DOM("unk", .verdict = V_UNKNOWN),
    DOM("inguest", .verdict = V_GUEST, .vm_swap_kib = 0),
};
static const struct sg_rec_domain D_QUOTE[] = { DOM("it's") };
static const struct sg_rec_domain D_NEWLINE[] = { DOM("bad\nname") };

/* ---- expectations ---- */

struct want {
    bool set;
    enum sg_rec_action action;
    const char *domain;            /* NULL: the host */
    bool absent;                   /* must not be produced */
    bool refused;
    int risk;                      /* enum sg_rec_risk, -1 unchecked */
    bool no_command;               /* the command must be empty */
    const char *command[4];        /* substrings, in any order */
    const char *precondition[3];
    const char *why[2];
    const char *risk_text[2];
};

#define W(...) { .set = true, .risk = -1, __VA_ARGS__ }
#define ABSENT(ACTION, DOMAIN) W(.action = ACTION, .domain = DOMAIN, .absent = true)

struct scenario {
    const char *name;
    const struct sg_rec_host *host;
    const struct sg_rec_domain *doms;
    size_t n_doms;
    const char *const *critical;
    int n_recs;                    /* -1 unchecked */
    struct want want[9];
};

#define DOMS(D) .doms = D, .n_doms = ARRAY_SIZE(D)

static const struct scenario scenarios[] = {
    {
        .name = "swapoff would OOM: refused with the forecast",
        .host = &H_TIGHT, DOMS(D_A), .n_recs = 6,
        .want = {
            W(.action = SG_REC_SWAPOFF, .refused = true, .risk = SG_RISK_HIGH,
              .command = { "swapoff '/swapfile'", "swapoff '/dev/sdb2'",
                           "# or: swapguard apply swapoff --yes" },
              .precondition = { "MemAvailable 2.0 GiB - SwapUsed 4.0 GiB < reserve 1.0 GiB: refused",
                                "(3.0 GiB short)" },
              .why = { "host swap in use: 4.0 GiB of 8.0 GiB", "a (host-swap-stall, 2.0 GiB)" },
              .risk_text = { "PID 400 (java), 1651928 points" }),
            W(.action = SG_REC_SWAPPINESS, .risk = SG_RISK_LOW,
              .command = { "sysctl -w vm.swappiness=10",
                           "echo 'vm.swappiness = 10' > /etc/sysctl.d/90-swapguard.conf" },
              .precondition = { "vm.swappiness 60 > target 10: holds" }),
            W(.action = SG_REC_SWAP_LIMIT, .domain = "a", .risk = SG_RISK_LOW,
              .command = { "echo 0 > '/sys/fs/cgroup/machine.slice/machine-qemu\\x2d1\\x2da.scope"
                           "/memory.swap.max'" },
              .precondition = { "swap alone on v2 (memory.swap.max)", "memory+swap on cgroup v1" },
              .why = { "2.0 GiB of guest RAM in host swap (QEMU VmSwap)",
                       "verdict host-swap-stall: VmSwap 2.0 GiB of 4.0 GiB guest RAM in host swap; "
                       "3 guest" }),
            W(.action = SG_REC_PREFETCH, .domain = "a", .refused = true, .risk = SG_RISK_MEDIUM,
              .command = { "swapguard apply prefetch 'a' --yes" },
              .precondition = { "MemAvailable 2.0 GiB < swapped 2.0 GiB + reserve 1.0 GiB: refused" }),
            W(.action = SG_REC_LOCK_MEMORY, .domain = "a", .risk = SG_RISK_MEDIUM,
              .command = { "virsh edit --domain 'a'", "\n<memoryBacking><locked/></memoryBacking>\n",
                           "\n<memtune><hard_limit unit='KiB'>4456448</hard_limit></memtune>\n",
                           "# or: swapguard apply lock-memory 'a' --yes" },
              .precondition = { "locked total 4.2 GiB (already locked 0 KiB + guest RAM 4.0 GiB + QEMU "
                                "overhead 256.0 MiB) <= host RAM 16.0 GiB - reserve 1.0 GiB = 15.0 GiB: "
                                "holds" },
              .risk_text = { "hard_limit 4456448 KiB" }),
            W(.action = SG_REC_HUGEPAGES, .domain = "a", .refused = true, .no_command = true,
              .precondition = { "the host has no hugepage pools" }),
        },
    },
    {
        .name = "swapoff allowed, swappiness already at target",
        .host = &H_ROOMY, DOMS(D_A), .n_recs = 5,
        .want = {
            W(.action = SG_REC_SWAPOFF, .risk = SG_RISK_MEDIUM,
              .command = { "swapoff -a\n# or: swapguard apply swapoff --yes" },
              .precondition = { "MemAvailable 12.0 GiB - SwapUsed 1.0 GiB = 11.0 GiB >= reserve 1.0 GiB: "
                                "holds" },
              .risk_text = { "page-in burst: 1.0 GiB" }),
            ABSENT(SG_REC_SWAPPINESS, NULL),
            W(.action = SG_REC_PREFETCH, .domain = "a", .risk = SG_RISK_LOW,
              .command = { "swapguard apply prefetch 'a' --yes", "QEMU 4242" },
              .precondition = { "MemAvailable 12.0 GiB >= swapped 2.0 GiB + reserve 1.0 GiB: holds" }),
            ABSENT(SG_REC_OOM_PROTECT, "a"),
            ABSENT(SG_REC_NOVA_FLAVOR, "a"),
        },
    },
    {
        .name = "swap-limit on cgroup v1 and v2, and its refusals",
        .host = &H_ROOMY, DOMS(D_CGROUPS), .n_recs = -1,
        .want = {
            W(.action = SG_REC_SWAP_LIMIT, .domain = "v1", .risk = SG_RISK_MEDIUM,
              .command = { "virsh memtune --domain 'v1' --hard-limit 4456448 --swap-hard-limit 4456448" },
              .precondition = { "memory+swap on cgroup v1 (memory.memsw.limit_in_bytes)",
                                "memory+swap limit = memory limit 4456448 KiB leaves no swap",
                                "swap alone on v2" }),
            /* A v1 guest held below its working set: a memsw limit at that limit would make the
             * cgroup OOM killer kill QEMU (seen on the harness), so the limit is raised to fit. */
            W(.action = SG_REC_SWAP_LIMIT, .domain = "v1small", .risk = SG_RISK_MEDIUM,
              .command = { "virsh memtune --domain 'v1small' --hard-limit 4456448 --swap-hard-limit 4456448" },
              .precondition = { "memory limit 4456448 KiB (raised to guest RAM + QEMU overhead" },
              .risk_text = { "memory limit 2.0 GiB raised to guest RAM + QEMU overhead 4.2 GiB",
                             "OOM-killed" }),
            W(.action = SG_REC_SWAP_LIMIT, .domain = "v1nolimit", .refused = true, .no_command = true,
              .precondition = { "the memory limit is unlimited", "set a hard_limit first",
                                "guest RAM + QEMU overhead = 4456448 KiB" }),
            W(.action = SG_REC_SWAP_LIMIT, .domain = "nocg", .refused = true, .no_command = true,
              .precondition = { "no memory cgroup of its own" }),
            W(.action = SG_REC_SWAP_LIMIT, .domain = "v2nopath", .refused = true, .no_command = true,
              .precondition = { "memory cgroup path is unknown" }),
            W(.action = SG_REC_SWAP_LIMIT, .domain = "v2limit", .risk = SG_RISK_MEDIUM,
              .command = { "echo 0 > '/sys/fs/cgroup/machine.slice/machine-qemu\\x2d1\\x2dv2limit.scope"
                           "/memory.swap.max'" },
              .precondition = { "memory limit 8.0 GiB: holds" },
              .risk_text = { "working set exceeds it" }),
        },
    },
    {
        .name = "prefetch refused without process_madvise; smaps figure preferred over VmSwap",
        .host = &H_NOMADV, DOMS(D_SMAPS), .n_recs = -1,
        .want = {
            W(.action = SG_REC_PREFETCH, .domain = "s", .refused = true, .risk = SG_RISK_LOW,
              .precondition = { "lacks process_madvise(2) with MADV_WILLNEED" },
              .why = { "3.0 GiB of guest RAM in host swap (smaps Swap of the guest-RAM mapping)" },
              .risk_text = { "reads 3.0 GiB back" }),
        },
    },
    {
        .name = "lock-memory refused when the locked total passes host RAM - reserve",
        .host = &H_LOCKED, DOMS(D_LOCK), .n_recs = -1,
        .want = {
            W(.action = SG_REC_LOCK_MEMORY, .domain = "a", .refused = true, .risk = SG_RISK_HIGH,
              .precondition = { "(already locked 12.0 GiB + guest RAM 4.0 GiB + QEMU overhead 256.0 MiB) > "
                                "host RAM 16.0 GiB - reserve 1.0 GiB = 15.0 GiB: refused" },
              .command = { "<hard_limit unit='KiB'>4456448</hard_limit>" }),
            ABSENT(SG_REC_LOCK_MEMORY, "locked"),
            ABSENT(SG_REC_HUGEPAGES, "locked"),
            W(.action = SG_REC_SWAP_LIMIT, .domain = "locked"),
        },
    },
    {
        .name = "hugepage pool per NUMA node: too small on node 0, fits on node 1",
        .host = &H_HUGE, DOMS(D_HUGE), .n_recs = -1,
        .want = {
            W(.action = SG_REC_HUGEPAGES, .domain = "n0", .refused = true, .risk = SG_RISK_MEDIUM,
              .precondition = { "pool too small: need 2048 pages of 2048 KiB on node 0, node0 has 1000 "
                                "free of 1024, refused; growing it takes 2.0 GiB of RAM now "
                                "(MemAvailable 12.0 GiB)" },
              .command = { "echo 2072 > /sys/devices/system/node/node0/hugepages/hugepages-2048kB"
                           "/nr_hugepages\n",
                           "virsh edit --domain 'n0'",
                           "\n<memoryBacking><hugepages><page size='2048' unit='KiB'/></hugepages>"
                           "</memoryBacking>" }),
            W(.action = SG_REC_HUGEPAGES, .domain = "n1", .risk = SG_RISK_LOW,
              .precondition = { "need 2048 pages of 2048 KiB on node 1; node1 has 3000 free of 4096: holds" },
              .command = { "virsh edit --domain 'n1'",
                           "\n<memoryBacking><hugepages><page size='2048' unit='KiB'/></hugepages>"
                           "</memoryBacking>" }),
            W(.action = SG_REC_HUGEPAGES, .domain = "any", .risk = SG_RISK_LOW,
              .precondition = { "on any node; node1 has 3000 free of 4096: holds" }),
        },
    },
    {
        .name = "hugepages spread over two allowed nodes; one node alone is refused",
        .host = &H_SPREAD, DOMS(D_SPREAD), .n_recs = -1,
        .want = {
            W(.action = SG_REC_HUGEPAGES, .domain = "spread",
              .precondition = { "need 2048 pages of 2048 KiB on nodes 0,1; 2200 free over those nodes "
                                "together" },
              .command = { "<page size='2048' unit='KiB'/>" }),
            W(.action = SG_REC_HUGEPAGES, .domain = "only0", .refused = true,
              .precondition = { "node0 has 1200 free of 1200, refused" },
              .command = { "echo 2048 > /sys/devices/system/node/node0/hugepages/hugepages-2048kB"
                           "/nr_hugepages" }),
        },
    },
    {
        .name = "hugepages: the largest page size that fits",
        .host = &H_1G, DOMS(D_BIG), .n_recs = -1,
        .want = {
            W(.action = SG_REC_HUGEPAGES, .domain = "big",
              .precondition = { "need 4 pages of 1048576 KiB on any node; node0 has 4 free of 4: holds" },
              .command = { "<page size='1048576' unit='KiB'/>" }),
        },
    },
    {
        .name = "hugepages: host without NUMA sysfs grows the host-wide pool",
        .host = &H_FLAT, DOMS(D_FLAT), .n_recs = -1,
        .want = {
            W(.action = SG_REC_HUGEPAGES, .domain = "flat", .refused = true,
              .precondition = { "the host pool has 100 free of 100" },
              .command = { "echo 2048 > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages" }),
        },
    },
    {
        .name = "Nova: flavor and nova.conf instead of lock-memory and hugepages",
        .host = &H_NOVA, DOMS(D_NOVA), .n_recs = -1,
        .want = {
            W(.action = SG_REC_NOVA_FLAVOR, .domain = "nova1", .risk = SG_RISK_MEDIUM,
              .command = { "openstack flavor set 'm1.large' --property hw:mem_page_size=large --property "
                           "hw:locked_memory=true",
                           "\n# [DEFAULT]\n", "\n# reserved_host_memory_mb = 1024\n",
                           "\n# ram_allocation_ratio = 1.0" },
              .why = { "overcommit 1.35 (sum of guest RAM 21.6 GiB / host RAM 16.0 GiB)" },
              .precondition = { "Nova >= 26 (Zed)" }),
            ABSENT(SG_REC_LOCK_MEMORY, "nova1"),
            ABSENT(SG_REC_HUGEPAGES, "nova1"),
            W(.action = SG_REC_SWAP_LIMIT, .domain = "nova1"),
            W(.action = SG_REC_NOVA_FLAVOR, .domain = "nova2",
              .command = { "openstack flavor set '<flavor>' --property" }),
            ABSENT(SG_REC_LOCK_MEMORY, "nova2"),
            W(.action = SG_REC_NOVA_FLAVOR, .domain = "nova3", .refused = true, .no_command = true,
              .precondition = { "the flavor name holds control characters" }),
        },
    },
    {
        .name = "oom-protect refused while swap is on",
        .host = &H_ROOMY, DOMS(D_CRIT_SWAP), .critical = CRITICAL, .n_recs = -1,
        .want = {
            W(.action = SG_REC_OOM_PROTECT, .domain = "crit", .refused = true, .risk = SG_RISK_MEDIUM,
              .precondition = { "swap is on (SwapTotal 2.0 GiB)", "do swapoff first: refused" },
              .command = { "echo -900 > /proc/4242/oom_score_adj" }),
        },
    },
    {
        .name = "oom-protect given with swap off, by name or UUID, not when already protected",
        .host = &H_NOSWAP, DOMS(D_CRIT_NOSWAP), .critical = CRITICAL, .n_recs = 2,
        .want = {
            W(.action = SG_REC_OOM_PROTECT, .domain = "crit", .risk = SG_RISK_MEDIUM,
              .command = { "echo -900 > /proc/4242/oom_score_adj\n",
                           "# or: swapguard apply oom-protect 'crit' --yes" },
              .precondition = { "host swap off (SwapTotal 0) and QEMU oom_score_adj 0 > target -900: holds" },
              .why = { "critical guest; its QEMU (PID 4242) has oom_score_adj 0" }),
            W(.action = SG_REC_OOM_PROTECT, .domain = "byuuid",
              .command = { "echo -900 > /proc/777/oom_score_adj" }),
            ABSENT(SG_REC_OOM_PROTECT, "already"),
            ABSENT(SG_REC_OOM_PROTECT, "plain"),
            ABSENT(SG_REC_SWAPOFF, NULL),
            ABSENT(SG_REC_SWAPPINESS, NULL),
            ABSENT(SG_REC_SWAP_LIMIT, "crit"),
            ABSENT(SG_REC_PREFETCH, "crit"),
        },
    },
    {
        .name = "host memory pressure with swap: swappiness only",
        .host = &H_SWAP60, DOMS(D_PRESSURE), .n_recs = 1,
        .want = {
            W(.action = SG_REC_SWAPPINESS, .risk = SG_RISK_LOW,
              .why = { "the host keeps swap (2.0 GiB, 1.0 GiB used) and vm.swappiness is 60" }),
            ABSENT(SG_REC_SWAPOFF, NULL),
            ABSENT(SG_REC_SWAP_LIMIT, "p"),
            ABSENT(SG_REC_PREFETCH, "p"),
            ABSENT(SG_REC_LOCK_MEMORY, "p"),
            ABSENT(SG_REC_HUGEPAGES, "p"),
        },
    },
    {
        .name = "swappiness unknown counts as above target",
        .host = &H_SWAPUNK, DOMS(D_PRESSURE), .n_recs = 1,
        .want = {
            W(.action = SG_REC_SWAPPINESS,
              .precondition = { "vm.swappiness unknown (not read; target 10): holds" }),
        },
    },
    {
        .name = "swappiness at target: nothing",
        .host = &H_ROOMY, DOMS(D_PRESSURE), .n_recs = 0,
        .want = { ABSENT(SG_REC_SWAPPINESS, NULL) },
    },
    {
        .name = "memory pressure without swap: nothing",
        .host = &H_NOSWAP, DOMS(D_PRESSURE), .n_recs = 0,
        .want = { ABSENT(SG_REC_SWAPPINESS, NULL) },
    },
    {
        .name = "ok, unknown and guest-internal-swap domains get nothing",
        .host = &H_SWAP60, DOMS(D_QUIET), .n_recs = 0,
        .want = {
            ABSENT(SG_REC_SWAPPINESS, NULL),
            ABSENT(SG_REC_SWAPOFF, NULL),
            ABSENT(SG_REC_LOCK_MEMORY, "ok"),
            ABSENT(SG_REC_LOCK_MEMORY, "unk"),
            ABSENT(SG_REC_LOCK_MEMORY, "inguest"),
        },
    },
    {
        .name = "a single quote in the name is quoted for the shell",
        .host = &H_ROOMY, DOMS(D_QUOTE), .n_recs = -1,
        .want = {
            W(.action = SG_REC_PREFETCH, .domain = "it's",
              .command = { "swapguard apply prefetch 'it'\\''s' --yes" }),
            W(.action = SG_REC_LOCK_MEMORY, .domain = "it's",
              .command = { "virsh edit --domain 'it'\\''s'\n",
                           "swapguard apply lock-memory 'it'\\''s' --yes" }),
        },
    },
    {
        .name = "a newline in the name: every domain command refused",
        .host = &H_ROOMY, DOMS(D_NEWLINE), .n_recs = 5,
        .want = {
            W(.action = SG_REC_SWAP_LIMIT, .domain = "bad\nname", .refused = true, .no_command = true,
              .precondition = { "the domain name holds control characters" }),
            W(.action = SG_REC_PREFETCH, .domain = "bad\nname", .refused = true, .no_command = true),
            W(.action = SG_REC_LOCK_MEMORY, .domain = "bad\nname", .refused = true, .no_command = true),
            W(.action = SG_REC_HUGEPAGES, .domain = "bad\nname", .refused = true, .no_command = true),
            W(.action = SG_REC_SWAPOFF, .command = { "swapoff -a" }),
        },
    },
};

/*
 * Criterion runs each parameter in a fresh process image (BoxFort), so the
 * parameter is the index into scenarios[], never a pointer of this one.
 */
static size_t scenario_index[ARRAY_SIZE(scenarios)];

ParameterizedTestParameters(recommend, table)
{
    for (size_t i = 0; i < ARRAY_SIZE(scenarios); i++)
        scenario_index[i] = i;
    return cr_make_param_array(size_t, scenario_index, ARRAY_SIZE(scenario_index));
}

/* ---- checks ---- */

static bool action_is_live(enum sg_rec_action a)
{
    return a != SG_REC_LOCK_MEMORY && a != SG_REC_HUGEPAGES && a != SG_REC_NOVA_FLAVOR;
}

/* The documented order: not refused, low risk, live, action. */
static int order_key_cmp(const struct sg_rec *x, const struct sg_rec *y)
{
    if (x->refused != y->refused)
        return x->refused ? 1 : -1;
    if (x->risk != y->risk)
        return x->risk < y->risk ? -1 : 1;
    if (x->live != y->live)
        return x->live ? -1 : 1;
    if (x->action != y->action)
        return x->action < y->action ? -1 : 1;
    return 0;
}

/* Invariants every recommendation keeps, whatever the case. */
static void check_invariants(const char *sc, const struct sg_rec *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct sg_rec *r = &out[i];
        const char *act = sg_rec_action_name(r->action);
        bool quoted = false;

        cr_assert(r->why[0] && r->precondition[0] && r->risk_text[0], "%s: %s %s: empty text", sc, act,
                  r->domain);
        cr_assert_eq(r->refused, strstr(r->precondition, "refused") != NULL,
                     "%s: %s %s: refused %d but precondition '%s'", sc, act, r->domain, r->refused,
                     r->precondition);
        if (!r->refused)
            cr_assert(strstr(r->precondition, ": holds"), "%s: %s: '%s'", sc, act, r->precondition);
        cr_assert(r->refused || r->command[0], "%s: %s %s: given without a command", sc, act, r->domain);
        cr_assert_eq(r->live, action_is_live(r->action), "%s: %s live", sc, act);
        cr_assert_eq(r->host, r->action == SG_REC_SWAPOFF || r->action == SG_REC_SWAPPINESS, "%s: %s host",
                     sc, act);
        cr_assert_eq(r->host, r->domain[0] == '\0', "%s: %s domain '%s'", sc, act, r->domain);
        cr_assert(r->n_forecast == 0 || (r->action == SG_REC_SWAPOFF && r->refused), "%s: %s forecast", sc,
                  act);
        /* Every command line closes the single quotes it opens (outside them, \ escapes one character). */
        for (const char *c = r->command;; c++) {
            if (*c == '\0' || *c == '\n') {
                cr_assert(!quoted, "%s: %s: unterminated quote in '%s'", sc, act, r->command);
                if (*c == '\0')
                    break;
            } else if (*c == '\'') {
                quoted = !quoted;
            } else if (*c == '\\' && !quoted && c[1] && c[1] != '\n') {
                c++;
            }
        }
        if (i > 0)
            cr_assert_leq(order_key_cmp(&out[i - 1], r), 0, "%s: %s before %s: not safest first", sc,
                          sg_rec_action_name(out[i - 1].action), act);
        for (size_t j = 0; j < i; j++)
            cr_assert(out[j].action != r->action || strcmp(out[j].domain, r->domain) != 0,
                      "%s: %s %s twice", sc, act, r->domain);
    }
}

static const struct sg_rec *find(const struct sg_rec *out, size_t n, enum sg_rec_action a, const char *domain)
{
    for (size_t i = 0; i < n; i++)
        if (out[i].action == a && strcmp(out[i].domain, domain ? domain : "") == 0)
            return &out[i];
    return NULL;
}

static void check_in(const char *sc, const char *what, const char *field, const char *const *subs,
                     size_t n_subs)
{
    for (size_t i = 0; i < n_subs; i++)
        if (subs[i])
            cr_assert(strstr(field, subs[i]), "%s: %s lacks \"%s\" in:\n%s", sc, what, subs[i], field);
}

static size_t run(const struct scenario *s, struct sg_rec *out, size_t max)
{
    struct sg_recommend_config c;

    sg_recommend_config_default(&c);
    c.critical = s->critical;
    return sg_recommend(&c, s->host, s->doms, s->n_doms, out, max);
}

ParameterizedTest(size_t *idx, recommend, table)
{
    const struct scenario *s = &scenarios[*idx];
    static struct sg_rec out[MAX_RECS];
    size_t n = run(s, out, MAX_RECS);

    check_invariants(s->name, out, n);
    if (s->n_recs >= 0)
        cr_assert_eq(n, (size_t)s->n_recs, "%s: %zu recommendations", s->name, n);
    for (size_t i = 0; i < ARRAY_SIZE(s->want) && s->want[i].set; i++) {
        const struct want *w = &s->want[i];
        const struct sg_rec *r = find(out, n, w->action, w->domain);
        char what[300];

        snprintf(what, sizeof(what), "%s %s", sg_rec_action_name(w->action),
                 w->domain ? w->domain : "(host)");
        if (w->absent) {
            cr_assert_null(r, "%s: %s must not be recommended", s->name, what);
            continue;
        }
        cr_assert_not_null(r, "%s: %s missing", s->name, what);
        cr_assert_eq(r->refused, w->refused, "%s: %s refused %d: %s", s->name, what, r->refused,
                     r->precondition);
        if (w->risk >= 0)
            cr_assert_eq((int)r->risk, w->risk, "%s: %s risk %s", s->name, what, sg_rec_risk_name(r->risk));
        if (w->no_command)
            cr_assert_str_empty(r->command, "%s: %s command '%s'", s->name, what, r->command);
        check_in(s->name, what, r->command, w->command, ARRAY_SIZE(w->command));
        check_in(s->name, what, r->precondition, w->precondition, ARRAY_SIZE(w->precondition));
        check_in(s->name, what, r->why, w->why, ARRAY_SIZE(w->why));
        check_in(s->name, what, r->risk_text, w->risk_text, ARRAY_SIZE(w->risk_text));
    }
}

/* ---- oom_badness and the forecast ---- */

struct badness_case {
    const char *what;
    struct sg_oom_proc p;
    uint64_t total_pages, page_kib;
    int64_t points;
};

/*
 * Linux 6.1 mm/oom_kill.c oom_badness(): points = rss + swapents + pgtables_bytes / PAGE_SIZE (pages),
 * then adj *= totalpages / 1000 (integer division first), points += adj; -1000 never chosen.
 */
static const struct badness_case badness[] = {
    /* 400 KiB rss = 100 pages, 40 KiB swap = 10, 8 KiB pte = 2: 112; totalpages/1000 = 0 */
    { "no adj", { .rss_kib = 400, .swap_kib = 40, .pte_kib = 8, .oom_score_adj = 0 }, 999, 4, 112 },
    /* 999 / 1000 = 0: the adj counts for nothing on a tiny totalpages (the kernel truncates too) */
    { "adj truncated away", { .rss_kib = 400, .swap_kib = 40, .pte_kib = 8, .oom_score_adj = 500 }, 999, 4,
      112 },
    /* 2500 / 1000 = 2: 112 + 500 * 2 = 1112 */
    { "adj 500", { .rss_kib = 400, .swap_kib = 40, .pte_kib = 8, .oom_score_adj = 500 }, 2500, 4, 1112 },
    /* 16 GiB RAM + 8 GiB swap = 6291456 pages, / 1000 = 6291: 112 - 999 * 6291 = 112 - 6284709 = -6284597 */
    { "adj -999", { .rss_kib = 400, .swap_kib = 40, .pte_kib = 8, .oom_score_adj = -999 }, 6291456, 4,
      -6284597 },
    /* 64 KiB pages (arm64): 6400 / 64 = 100, 640 / 64 = 10, 128 / 64 = 2: 112 */
    { "64 KiB pages", { .rss_kib = 6400, .swap_kib = 640, .pte_kib = 128 }, 999, 64, 112 },
    /* 1 GiB rss = 262144 pages, adj 1000 * (4194304 / 1000 = 4194) = 4194000: 4456144 */
    { "adj max", { .rss_kib = 1048576, .oom_score_adj = 1000 }, 4194304, 4, 4456144 },
    { "adj -1000 never chosen", { .rss_kib = 8 * 1048576, .oom_score_adj = -1000 }, 4194304, 4, INT64_MIN },
};

Test(recommend, oom_badness_by_hand)
{
    for (size_t i = 0; i < ARRAY_SIZE(badness); i++) {
        const struct badness_case *b = &badness[i];

        int64_t got = sg_oom_badness(&b->p, b->total_pages, b->page_kib);

        cr_assert_eq(got, b->points, "%s: %" PRId64 " != %" PRId64, b->what, got, b->points);
    }
}

static const struct {
    int pid;
    const char *comm;
    int64_t points;
} forecast_want[] = {
    { 400, "java", 1651928 }, { 100, "qemu-a", 1312768 }, { 500, "bash", 1049 },
    { 600, "cron", 522 },     { 700, "tiny", 256 },
};

static void check_forecast(const struct sg_oom_victim *v, size_t n)
{
    cr_assert_eq(n, ARRAY_SIZE(forecast_want), "%zu victims", n);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(v[i].pid, forecast_want[i].pid, "victim %zu: PID %d", i, v[i].pid);
        cr_assert_str_eq(v[i].comm, forecast_want[i].comm);
        cr_assert_eq(v[i].points, forecast_want[i].points, "%s: %" PRId64, v[i].comm, v[i].points);
    }
}

Test(recommend, oom_forecast_after_swapoff)
{
    struct sg_oom_victim v[SG_OOM_FORECAST_MAX];

    /* totalpages after swapoff = RAM only: 16 GiB / 4 KiB. PID 1 and sshd (-1000) skipped, qemu-b 6th. */
    check_forecast(v, sg_oom_forecast(PROCS, ARRAY_SIZE(PROCS), 16 * GIB, 4, v));
    cr_assert_eq(sg_oom_forecast(PROCS, 0, 16 * GIB, 4, v), 0);
}

/* Linux 6.1 oom_evaluate_task() skips a task only when points < chosen_points: of equal scores the one
 * scanned last (for_each_process order, as the scan lists them) is chosen. */
Test(recommend, oom_forecast_ties_last_scanned_first)
{
    static const struct sg_oom_proc same[] = {
        { .pid = 10, .comm = "first", .rss_kib = 4096 },
        { .pid = 11, .comm = "second", .rss_kib = 4096 },
        { .pid = 12, .comm = "bigger", .rss_kib = 8192 },
    };
    struct sg_oom_victim v[SG_OOM_FORECAST_MAX];

    cr_assert_eq(sg_oom_forecast(same, ARRAY_SIZE(same), GIB, 4, v), 3);
    cr_assert_eq(v[0].pid, 12);
    cr_assert_eq(v[1].pid, 11);
    cr_assert_eq(v[2].pid, 10);
}

Test(recommend, swapoff_refusal_carries_the_forecast)
{
    static struct sg_rec out[MAX_RECS];
    size_t n = run(&scenarios[0], out, MAX_RECS);
    const struct sg_rec *r = find(out, n, SG_REC_SWAPOFF, NULL);

    cr_assert_not_null(r);
    cr_assert(r->refused);
    check_forecast(r->forecast, r->n_forecast);
}

/* ---- the next-boot preconditions that `apply lock-memory|hugepages` shares ---- */

Test(recommend, lock_memory_fits)
{
    char t[400];

    /* The figures of the integration test's domain: 64 MiB guest on a 23.5 GiB host. */
    cr_assert(sg_lock_memory_fits(GIB, 256 * MIB, 24641536, 0, 64 * MIB, t, sizeof(t)));
    cr_assert_str_eq(t, "locked total 320.0 MiB (already locked 0 KiB + guest RAM 64.0 MiB + QEMU overhead "
                        "256.0 MiB) <= host RAM 23.5 GiB - reserve 1.0 GiB = 22.5 GiB: holds");
    /* Exactly at the line still holds; one KiB over is refused. */
    cr_assert(sg_lock_memory_fits(GIB, 256 * MIB, 16 * GIB, 11 * GIB - 256 * MIB, 4 * GIB, t, sizeof(t)));
    cr_assert_not(sg_lock_memory_fits(GIB, 256 * MIB, 16 * GIB, 11 * GIB - 256 * MIB + 1, 4 * GIB, t, sizeof(t)));
    cr_assert(strstr(t, ") > host RAM 16.0 GiB - reserve 1.0 GiB = 15.0 GiB: refused"), "%s", t);
    /* A host smaller than its reserve leaves nothing to lock. */
    cr_assert_not(sg_lock_memory_fits(GIB, 0, 512 * MIB, 0, 1, t, sizeof(t)));
    cr_assert(strstr(t, "host RAM 512.0 MiB - reserve 1.0 GiB = 0 KiB: refused"), "%s", t);
}

Test(recommend, hugepages_fit_one_size)
{
    static const int n2[] = { 2 };
    static const struct sg_rec_domain any = DOM("any"), on2 = DOM("on2", .numa_nodes = n2, .n_numa_nodes = 1);
    struct sg_rec_host tight = H_FLAT;
    char t[400], cmd[256];
    uint64_t grow = 1;

    /* Holds in one pool; cmd and grow are optional. */
    cr_assert(sg_hugepages_fit(GIB, &H_1G, &any, 2048, t, sizeof(t), NULL, 0, NULL));
    cr_assert_str_eq(t, "need 2048 pages of 2048 KiB on any node; node0 has 4096 free of 4096: holds");
    cr_assert(sg_hugepages_fit(GIB, &H_1G, &any, 1048576, t, sizeof(t), cmd, sizeof(cmd), &grow));
    cr_assert_str_eq(cmd, "");
    cr_assert_eq(grow, 0);

    /* No pool of that size at all: refused, nothing to grow. */
    cr_assert_not(sg_hugepages_fit(GIB, &H_SPREAD, &any, 1048576, t, sizeof(t), cmd, sizeof(cmd), &grow));
    cr_assert_str_eq(t, "the host has no pool of 1048576 KiB hugepages (no hugepages-1048576kB in sysfs): refused");
    cr_assert_str_eq(cmd, "");
    cr_assert_eq(grow, 0);

    /* The host-wide pool one short of 2048 pages by 1948: grown to 2048, 1948 * 2 MiB = 3.8 GiB. */
    cr_assert_not(sg_hugepages_fit(GIB, &H_FLAT, &any, 2048, t, sizeof(t), cmd, sizeof(cmd), &grow));
    cr_assert_str_eq(t, "pool too small: need 2048 pages of 2048 KiB on any node, the host pool has 100 free of "
                        "100, refused; growing it takes 3.8 GiB of RAM now (MemAvailable 12.0 GiB)");
    cr_assert_str_eq(cmd, "echo 2048 > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages");
    cr_assert_eq(grow, 1948 * 2048);
    /* ... and a host that cannot spare it while keeping its reserve says so. */
    tight.mem_available_kib = 4 * GIB;
    cr_assert_not(sg_hugepages_fit(GIB, &tight, &any, 2048, t, sizeof(t), cmd, sizeof(cmd), NULL));
    cr_assert(strstr(t, "(MemAvailable 4.0 GiB: the host cannot spare it)"), "%s", t);

    /* Pools of that size, none on the guest's node: the pool of its first node is grown from 0. */
    cr_assert_not(sg_hugepages_fit(GIB, &H_HUGE, &on2, 2048, t, sizeof(t), cmd, sizeof(cmd), &grow));
    cr_assert_str_eq(t, "pool too small: need 2048 pages of 2048 KiB on node 2, none there, refused; growing it "
                        "takes 4.0 GiB of RAM now (MemAvailable 12.0 GiB)");
    cr_assert_str_eq(cmd, "echo 2048 > /sys/devices/system/node/node2/hugepages/hugepages-2048kB/nr_hugepages");
}

/* 40 nodes of 10 free pages each: the node list and the pool list are cut, the outcome is not. */
Test(recommend, hugepages_fit_text_bounded)
{
    static int nodes[40];
    static struct sg_rec_hugepool pools[40];
    struct sg_rec_host h = HOST(.pools = pools, .n_pools = ARRAY_SIZE(pools));
    struct sg_rec_domain d = DOM("wide", .numa_nodes = nodes, .n_numa_nodes = ARRAY_SIZE(nodes));
    char t[400];

    for (int i = 0; i < 40; i++) {
        nodes[i] = i;
        pools[i] = (struct sg_rec_hugepool){ .node = i, .page_size_kib = 2048, .nr_pages = 10, .free_pages = 10 };
    }
    cr_assert_not(sg_hugepages_fit(GIB, &h, &d, 2048, t, sizeof(t), NULL, 0, NULL));
    cr_assert_lt(strlen(t), sizeof(t) - 1, "%s", t);
    cr_assert(strstr(t, " refused; growing it takes 3.2 GiB of RAM now (MemAvailable 12.0 GiB)"), "%s", t);
}

/* ---- ordering ---- */

Test(recommend, safest_first_and_bounded)
{
    static const struct sg_rec_domain two[] = { DOM("x"), DOM("y") };
    struct sg_rec_host h = H_TIGHT;
    static struct sg_rec all[MAX_RECS], few[3];
    size_t n, n_few;

    n = sg_recommend(NULL, &h, two, ARRAY_SIZE(two), all, MAX_RECS);
    check_invariants("ordering", all, n);
    /* swapoff, swappiness, then swap-limit, prefetch, lock-memory, hugepages for each */
    cr_assert_eq(n, 10);
    cr_assert_eq(all[0].action, SG_REC_SWAPPINESS, "low risk, live, given: %s first",
                 sg_rec_action_name(all[0].action));
    cr_assert_eq(all[1].action, SG_REC_SWAP_LIMIT);
    cr_assert_str_eq(all[1].domain, "x", "same key: input order");
    cr_assert_eq(all[2].action, SG_REC_SWAP_LIMIT);
    cr_assert_str_eq(all[2].domain, "y");
    cr_assert_eq(all[3].action, SG_REC_LOCK_MEMORY, "medium, next boot");
    cr_assert(all[n - 1].refused);
    cr_assert_eq(all[n - 1].action, SG_REC_SWAPOFF, "refused high risk last");

    /* At most max, and the safest ones. */
    n_few = sg_recommend(NULL, &h, two, ARRAY_SIZE(two), few, ARRAY_SIZE(few));
    cr_assert_eq(n_few, ARRAY_SIZE(few));
    for (size_t i = 0; i < n_few; i++) {
        cr_assert_eq(few[i].action, all[i].action, "%zu", i);
        cr_assert_str_eq(few[i].domain, all[i].domain);
    }
    cr_assert_eq(sg_recommend(NULL, &h, two, ARRAY_SIZE(two), few, 0), 0);
}

/* ---- names and defaults ---- */

Test(recommend, names_and_defaults)
{
    static const char *const names[SG_REC__MAX] = {
        "swappiness", "prefetch", "swap-limit", "oom-protect",
        "swapoff",    "lock-memory", "hugepages", "nova-flavor",
        "delay-accounting",
    };
    struct sg_recommend_config c;

    for (int a = 0; a < SG_REC__MAX; a++)
        cr_assert_str_eq(sg_rec_action_name((enum sg_rec_action)a), names[a]);
    cr_assert_str_eq(sg_rec_risk_name(SG_RISK_LOW), "low");
    cr_assert_str_eq(sg_rec_risk_name(SG_RISK_MEDIUM), "medium");
    cr_assert_str_eq(sg_rec_risk_name(SG_RISK_HIGH), "high");

    sg_recommend_config_default(&c);
    cr_assert_eq(c.host_reserve_kib, GIB);
    cr_assert_eq(c.qemu_overhead_kib, 256 * MIB);
    cr_assert_eq(c.swappiness_target, 10);
    cr_assert_eq(c.oom_score_adj_critical, -900);
    cr_assert_null(c.critical);
}

/* ---- delay accounting: what lets the host measure a stall ---- */

Test(recommend, delay_accounting_off_is_a_host_recommendation)
{
    static const struct sg_rec_host off = HOST(.delayacct_off = true), on = HOST();
    static const struct sg_rec_domain doms[] = { DOM("quiet", .vm_swap_kib = 0, .verdict = { .kind = SG_VERDICT_OK }) };
    static struct sg_rec out[MAX_RECS];
    const struct sg_rec *r;
    size_t n;

    n = sg_recommend(NULL, &off, doms, ARRAY_SIZE(doms), out, MAX_RECS);
    r = find(out, n, SG_REC_DELAY_ACCOUNTING, NULL);
    cr_assert_not_null(r, "kernel.task_delayacct = 0: enabling it is recommended");
    cr_assert(r->host && r->live && !r->refused);
    cr_assert_eq(r->risk, SG_RISK_LOW);
    cr_assert(strstr(r->command, "sysctl -w kernel.task_delayacct=1") != NULL, "%s", r->command);
    cr_assert(strstr(r->risk_text, "context switch") != NULL, "the cost is named: %s", r->risk_text);
    cr_assert_eq(n, 1, "an ok guest gets nothing else (%zu)", n);

    n = sg_recommend(NULL, &on, doms, ARRAY_SIZE(doms), out, MAX_RECS);
    cr_assert_null(find(out, n, SG_REC_DELAY_ACCOUNTING, NULL), "already on: nothing to say");
    n = sg_recommend(NULL, &off, NULL, 0, out, MAX_RECS);
    cr_assert_eq(n, 0, "no domain diagnosed: no recommendation");
}

