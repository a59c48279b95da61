/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Recommendations: pure functions from facts (host, domains, verdicts) to
 * remedies, each with its target, the evidence that calls for it, the
 * precondition checked and its outcome, the risk, whether it acts live or at
 * next boot, and the exact command or XML. A remedy whose precondition fails
 * is still returned, refused, with the reason (and for swapoff the OOM
 * forecast), so the operator sees why not.
 *
 * Sizes in KiB. Sources of the inputs are given per field; agent/ fills them.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "facts.h"
#include "verdict.h"

/* Settings of the recommendations ([recommend] in swapguard.conf). */
struct sg_recommend_config {
    uint64_t host_reserve_kib;        /* RAM kept free for the host (swapoff headroom, locked total); default 1 GiB */
    uint64_t qemu_overhead_kib;       /* QEMU's own memory on top of guest RAM for hard_limit; default 256 MiB */
    unsigned swappiness_target;       /* vm.swappiness recommended for hosts that keep swap; default 10 */
    int oom_score_adj_critical;       /* oom_score_adj for QEMU of critical domains; default -900 */
    const char *const *critical;      /* domain names or UUIDs that are critical (NULL-terminated, may be NULL) */
};

void sg_recommend_config_default(struct sg_recommend_config *c);

#define SG_OOM_FORECAST_MAX 5

/* A forecast victim: oom_badness() of mm/oom_kill.c (Linux 6.1) after swapoff. */
struct sg_oom_victim {
    int pid;
    char comm[64];
    int64_t points;                   /* pages: rss + swap entries + page tables + adj * totalpages / 1000 */
};

/*
 * oom_badness() as the kernel computes it: rss + swap + page-table pages,
 * plus oom_score_adj * total_pages / 1000; total_pages = RAM + swap pages.
 * Returns INT64_MIN for oom_score_adj -1000 (never killed). page_kib: 4 on x86.
 */
int64_t sg_oom_badness(const struct sg_oom_proc *p, uint64_t total_pages, uint64_t page_kib);

/*
 * The n_out (<= SG_OOM_FORECAST_MAX) processes the OOM killer would pick first
 * after swapoff, highest points first (total_pages = RAM only then: swap gone).
 */
size_t sg_oom_forecast(const struct sg_oom_proc *procs, size_t n, uint64_t mem_total_kib,
                       uint64_t page_kib, struct sg_oom_victim *out);

/* Host context (on demand: recommend reads /proc/swaps, hugepage pools, every /proc/PID). */
struct sg_rec_swapdev {
    char filename[4096];
    uint64_t size_kib, used_kib;
};

struct sg_rec_hugepool {
    int node;                         /* NUMA node, -1 when the host has no NUMA sysfs */
    uint64_t page_size_kib;
    uint64_t nr_pages, free_pages;    /* nr_hugepages, free_hugepages */
};

struct sg_rec_host {
    uint64_t mem_total_kib, mem_available_kib;      /* /proc/meminfo */
    uint64_t swap_total_kib, swap_free_kib;         /* /proc/meminfo */
    const struct sg_rec_swapdev *swaps; size_t n_swaps;   /* /proc/swaps */
    const struct sg_rec_hugepool *pools; size_t n_pools;  /* sys/devices/system/node/nodeN/hugepages */
    int swappiness;                   /* /proc/sys/vm/swappiness, -1 unknown */
    bool delayacct_off;               /* /proc/sys/kernel/task_delayacct read and 0 (Linux >= 5.14) */
    bool process_madvise;             /* the kernel has process_madvise(2) with MADV_WILLNEED (>= 5.15) */
    const struct sg_oom_proc *procs; size_t n_procs;  /* every process, for the OOM forecast */
    uint64_t page_kib;                /* sysconf(_SC_PAGESIZE) / 1024 */
    uint64_t locked_guests_kib;       /* guest RAM of domains already locked (<locked/>) */
    uint64_t sum_guest_ram_kib;       /* sum of maxMem of every active domain: the overcommit */
};

/* One domain's context. */
struct sg_rec_domain {
    const char *name;
    const char *uuid;
    int cgroup_version;               /* 1 or 2, 0 without a memory cgroup of its own */
    const char *cgroup_path;          /* memory cgroup path, e.g. /machine/qemu-1-a.libvirt-qemu */
    uint64_t guest_ram_kib;           /* virDomainGetInfo maxMem */
    uint64_t vm_swap_kib;             /* /proc/PID/status VmSwap */
    uint64_t guest_ram_swap_kib;      /* smaps Swap: of the guest-RAM VMA; SG_POLICY_NONE when not read */
    uint64_t memory_limit_kib;        /* cgroup memory limit, SG_POLICY_NONE unlimited */
    int qemu_pid;
    int oom_score_adj;                /* QEMU's, /proc/PID/oom_score_adj */
    bool locked;                      /* domain XML <memoryBacking><locked/> */
    bool hugepages;                   /* domain XML <memoryBacking><hugepages/> */
    bool nova;                        /* domain XML metadata in http://openstack.org/xmlns/libvirt/nova/VERSION */
    const char *nova_flavor;          /* <nova:flavor name=...>, NULL when absent */
    const int *numa_nodes; size_t n_numa_nodes; /* host NUMA nodes the guest's memory may use, none: any */
    struct sg_verdict verdict;
};

enum sg_rec_action {
    SG_REC_SWAPPINESS = 0,  /* host: vm.swappiness */
    SG_REC_PREFETCH,        /* domain, live: process_madvise(MADV_WILLNEED) over the guest-RAM VMA */
    SG_REC_SWAP_LIMIT,      /* domain, live: no swap for this guest's cgroup */
    SG_REC_OOM_PROTECT,     /* domain, live: oom_score_adj of QEMU */
    SG_REC_SWAPOFF,         /* host, live: swapoff -a */
    SG_REC_LOCK_MEMORY,     /* domain, next boot: <locked/> + hard_limit */
    SG_REC_HUGEPAGES,       /* domain, next boot: <hugepages/> + pool sizing */
    SG_REC_NOVA_FLAVOR,     /* domain (Nova): flavor extra specs + nova.conf instead of XML */
    SG_REC_DELAY_ACCOUNTING, /* host, live: kernel.task_delayacct = 1, so lost vCPU time is measured */
    SG_REC__MAX,
};

/*
 * The one spelling of each remedy, used by recommend's output, `swapguard
 * apply ACTION`, the action journal's "action" and [agent] auto_apply:
 * "swappiness", "prefetch", "swap-limit", "oom-protect", "swapoff",
 * "lock-memory", "hugepages", "nova-flavor", "delay-accounting"; "unknown"
 * out of range.
 */
const char *sg_rec_action_name(enum sg_rec_action a);

/*
 * The remedy spelled by the len bytes at name (need not be NUL-terminated),
 * or -EINVAL when none is.
 */
int sg_rec_action_from_name(const char *name, size_t len);

/* The bit of remedy a in a mask of remedies ([agent] auto_apply, the daemon's decisions). */
#define SG_REC_BIT(a) (1u << (a))

/*
 * The remedies the agent may carry out on its own ([agent] auto_apply), in
 * the order it carries them out: stop new swap-out first (swap-limit), then
 * read the swapped RAM back (prefetch), then shield QEMU (oom-protect). All
 * live and undone by a rollback or harmless; swapoff (can starve the host)
 * and the persistent-XML remedies need an operator.
 */
#define SG_REC_N_AUTO 3
extern const enum sg_rec_action sg_rec_auto_actions[SG_REC_N_AUTO];
/* Whether a is one of sg_rec_auto_actions. */
bool sg_rec_action_auto(enum sg_rec_action a);

enum sg_rec_risk { SG_RISK_LOW = 0, SG_RISK_MEDIUM, SG_RISK_HIGH };
const char *sg_rec_risk_name(enum sg_rec_risk r); /* "low", "medium", "high" */

struct sg_rec {
    enum sg_rec_action action;
    bool host;                        /* target is the host (else domain) */
    char domain[256];                 /* the domain's name (raw; escape on output) */
    bool refused;                     /* precondition failed: do not do it */
    bool live;                        /* takes effect now (else at next boot) */
    enum sg_rec_risk risk;
    char why[400];                    /* the evidence calling for it */
    char precondition[400];           /* what was checked, with the figures, and the outcome */
    char risk_text[300];              /* what can go wrong */
    char command[2048];               /* exact shell command(s) or XML, newline-separated */
    struct sg_oom_victim forecast[SG_OOM_FORECAST_MAX]; /* swapoff refused: who would be killed */
    size_t n_forecast;
    size_t seq;                       /* order of generation (host first, then doms[] order): the sort's last key */
};

/*
 * The preconditions shared with `swapguard apply`: each writes the sentence
 * "FIGURES: holds" or "FIGURES: refused, why" into text and says whether it holds.
 * swapoff: MemAvailable - SwapUsed >= reserve (the swapped pages come back to RAM).
 * prefetch: MemAvailable >= swapped + reserve.
 */
bool sg_swapoff_fits(uint64_t reserve_kib, uint64_t mem_available_kib, uint64_t swap_used_kib, char *text,
                     size_t size);
bool sg_prefetch_fits(uint64_t reserve_kib, uint64_t mem_available_kib, uint64_t swapped_kib, char *text,
                      size_t size);
/*
 * lock-memory (next boot): the locked total, locked_guests_kib (guest RAM of
 * the running domains already locked, virDomainGetInfo maxMem of those whose
 * XML has <memoryBacking><locked/>) + guest_ram_kib + qemu_overhead_kib, must
 * fit in mem_total_kib (/proc/meminfo MemTotal) - reserve_kib. All in KiB.
 * Writes "locked total T (already locked L + guest RAM G + QEMU overhead O)
 * <= host RAM M - reserve R = X: holds" (or "> ...: refused") into text and
 * says whether it holds.
 */
bool sg_lock_memory_fits(uint64_t reserve_kib, uint64_t qemu_overhead_kib, uint64_t mem_total_kib,
                         uint64_t locked_guests_kib, uint64_t guest_ram_kib, char *text, size_t size);

/*
 * hugepages of page_size_kib (next boot): the free pages of that size in
 * h->pools (free_hugepages per NUMA node, or the host-wide pool, node -1), on
 * the host nodes d may allocate from (d->numa_nodes; none: any node), must
 * cover d->guest_ram_kib rounded up to whole pages, in one pool or together
 * (the guest may spread over its nodes). Reads only h->pools, h->n_pools,
 * h->mem_available_kib (/proc/meminfo) and d->guest_ram_kib, d->numa_nodes,
 * d->n_numa_nodes. Sizes in KiB (printed as "512 KiB", "64.0 MiB", "3.8 GiB"),
 * counts in pages.
 * Writes into text one of
 *   "need N pages of S KiB on NODES; POOL has F free of T: holds" (the first pool that alone fits),
 *   "need N pages of S KiB on NODES; F free over those nodes together (the guest may spread): holds",
 *   "pool too small: need N pages of S KiB on NODES, POOL has F free of T, ... refused; growing it
 *    takes K of RAM now (MemAvailable A)", with ": the host cannot spare it" after A when growing
 *    would leave less than reserve_kib available,
 *   "the host has no pool of S KiB hugepages (no hugepages-SkB in sysfs): refused",
 * where NODES is "any node", "node 1" or "nodes 0,1" and POOL "node0" or "the host pool";
 * the lists are cut so that the outcome always fits in 400 bytes (struct sg_rec.precondition).
 * When the pool is too small, cmd (cmd_size bytes, may be NULL) gets the
 * command that grows the allowed pool with the most free pages (none: the
 * guest's first node's) by the missing pages,
 * "echo NR > /sys/devices/system/node/nodeN/hugepages/hugepages-SkB/nr_hugepages"
 * (/sys/kernel/mm/hugepages/... for the host-wide pool), and *grow_kib (may
 * be NULL) the RAM that takes, K; otherwise cmd is "" and *grow_kib 0.
 * Returns whether it holds.
 */
bool sg_hugepages_fit(uint64_t reserve_kib, const struct sg_rec_host *h, const struct sg_rec_domain *d,
                      uint64_t page_size_kib, char *text, size_t size, char *cmd, size_t cmd_size,
                      uint64_t *grow_kib);

/*
 * The cgroup v1 swap exclusion limit, KiB: memory+swap limit = memory limit,
 * where the memory limit is raised to guest RAM + QEMU overhead when below
 * (a guest held under its working set can only swap or be OOM-killed).
 */
uint64_t sg_swap_limit_v1_kib(uint64_t memory_limit_kib, uint64_t guest_ram_kib, uint64_t qemu_overhead_kib);

/*
 * All recommendations for the host and the given domains, safest first
 * (not refused before refused, then low risk, live, then by action order),
 * at most max. Domains whose verdict is ok get none; host-swap-* verdicts get
 * the remedies against host swap; guest-internal-swap gets none (inside the
 * guest: said in why of a host note); Nova domains get SG_REC_NOVA_FLAVOR
 * instead of lock-memory/hugepages. Returns the count.
 */
size_t sg_recommend(const struct sg_recommend_config *c, const struct sg_rec_host *h,
                    const struct sg_rec_domain *doms, size_t n_doms, struct sg_rec *out, size_t max);
