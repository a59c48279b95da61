/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The figure schema: every figure swapguard shows, records or reports is one
 * row of sg_schema[] (schema.c), defined once. A row gives:
 *   - key: the JSON key (list, domswap, hoststats, the facts of
 *     `diagnose --record`), the libvirt metadata attribute, the history key;
 *     the kernel's or libvirt's term plus the unit (`vm_swap_kib`,
 *     `cgroup_swap_bytes`, `cgroup_pgmajfault`, `psi_full_avg10`);
 *   - its scope (domain, host, vCPU thread, ...), base unit and kind
 *     (gauge, counter, info);
 *   - its source: file and field, or libvirt call, with a v1 and a v2
 *     variant where the cgroup versions differ;
 *   - a label (one line of text, the Prometheus HELP);
 *   - its Prometheus name (base units, `_total` for counters), the factor
 *     from the row's unit to the Prometheus unit, and a label pair for
 *     families that share a name (`event="not_present"`);
 *   - which outputs carry it (SG_OUT_*), the journald field name (the key in
 *     upper case unless the row says otherwise) and the metadata element;
 *   - where it lives in struct sg_dom_facts / struct sg_host_facts, for the
 *     outputs that render from facts (record, metadata, journald, textfile,
 *     history);
 *   - the key of older recordings (legacy_key, with the factor to this unit),
 *     so that `diagnose --record` files written before a rename still replay.
 * The renderers (agent/cli/sampling.c and the commands, agent/core/collect.c,
 * agent/report/report.c) take names, units and sources from here; the unit
 * test tests/unit/test-schema.c checks every name they emit against it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sg_schema_scope {
    SG_SCOPE_DOMAIN,      /* one libvirt domain (list, domswap, facts, reports) */
    SG_SCOPE_VCPU,        /* one vCPU thread of a domain (domswap vcpus[]) */
    SG_SCOPE_HOST,        /* the host (hoststats, host facts, textfile) */
    SG_SCOPE_SWAP_DEVICE, /* one /proc/swaps line (hoststats swap_devices[]) */
    SG_SCOPE_HUGEPAGE_POOL, /* one hugepage pool (hoststats hugepage_pools[]) */
    SG_SCOPE_REPORT,      /* a report of one verdict (metadata, journald, history, textfile) */
};

enum sg_schema_kind {
    SG_KIND_GAUGE,   /* a level that goes up and down */
    SG_KIND_COUNTER, /* monotonic since boot, cgroup creation or counter opening */
    SG_KIND_INFO,    /* a name, state, path or flag */
};

enum sg_schema_unit {
    SG_UNIT_NONE,    /* text, identifiers, flags */
    SG_UNIT_KIB,     /* KiB (kernel "kB"): key ends in _kib */
    SG_UNIT_BYTES,   /* bytes: key ends in _bytes */
    SG_UNIT_COUNT,   /* events or pages, as the kernel counts them */
    SG_UNIT_PERCENT, /* 0..100 (PSI) */
    SG_UNIT_RATIO,   /* 0..1 */
    SG_UNIT_PER_S,   /* per second: key ends in _per_s */
    SG_UNIT_US,      /* microseconds: key ends in _us */
    SG_UNIT_SECONDS, /* seconds: key ends in _s, or is "unix" */
    SG_UNIT_NS,      /* nanoseconds: key ends in _ns */
};

/* How a figure is stored in the facts structs. */
enum sg_schema_type {
    SG_TYPE_NONE, /* not in the facts */
    SG_TYPE_U64,  /* uint64_t, SG_POLICY_NONE: null */
    SG_TYPE_U32,  /* unsigned */
    SG_TYPE_DBL,  /* double, NAN: null */
    SG_TYPE_BOOL,
    SG_TYPE_STR,  /* char[size] */
    SG_TYPE_VCPUS, /* struct sg_vcpu_lost[lost.n_vcpu_lost] of struct sg_dom_facts: an array of
                      objects whose keys are the SG_SCOPE_VCPU rows with SG_OUT_RECORD */
};

/* Outputs (bits of sg_schema_row.outputs). */
#define SG_OUT_LIST      (1u << 0) /* list --json domains[] and domswap: the O(1) sample */
#define SG_OUT_DOMSWAP   (1u << 1) /* domswap only (on-demand smaps, vCPU threads, agent channel) */
#define SG_OUT_HOSTSTATS (1u << 2) /* hoststats */
#define SG_OUT_RECORD    (1u << 3) /* diagnose --record facts (struct sg_dom_facts / sg_host_facts) */
#define SG_OUT_METADATA  (1u << 4) /* the libvirt metadata element */
#define SG_OUT_JOURNALD  (1u << 5) /* a journald field */
#define SG_OUT_TEXTFILE  (1u << 6) /* a Prometheus textfile family */
#define SG_OUT_HISTORY   (1u << 7) /* the history line (figures under "figures") */

/* Row flags. */
#define SG_ROW_APF      (1u << 0) /* only when the async-PF counters were read (apf_available) */
#define SG_ROW_OPTIONAL (1u << 1) /* a record may lack it (written before the figure existed): null */
#define SG_ROW_ALWAYS   (1u << 2) /* textfile: a sample for every domain, 0 without figures */

/* Every figure, in table order (facts keys in the order they are recorded). */
enum sg_fig_id {
    /* per-domain facts (record), the figures of the reports */
    SG_F_T_S,
    SG_F_RUNNING,
    SG_F_VM_SWAP_KIB,
    SG_F_CGROUP_SWAP_BYTES,
    SG_F_GUEST_RAM_KIB,
    SG_F_GUEST_RAM_IN_HOST_SWAP_KIB,
    SG_F_CGROUP_PGMAJFAULT,
    SG_F_CGROUP_SWAP_EVENTS_MAX,
    SG_F_CGROUP_SWAP_EVENTS_FAIL,
    SG_F_PSI_SOME_AVG10,
    SG_F_PSI_FULL_AVG10,
    SG_F_APF_AVAILABLE,
    SG_F_APF_MISSING,
    SG_F_APF_NOT_PRESENT,
    SG_F_APF_READY,
    SG_F_APF_TRY_GET_PAGE,
    SG_F_APF_REPEATED_FAULT,
    SG_F_GUEST_PROBED,
    SG_F_GUEST_AGENT_OK,
    SG_F_GUEST_TASKS_OK,
    SG_F_GUEST_KMSG_OK,
    SG_F_GUEST_MEM_OK,
    SG_F_GUEST_MISSING,
    SG_F_GUEST_DSTATE_TASKS,
    SG_F_GUEST_ASYNC_PF_TASKS,
    SG_F_GUEST_HUNG_ASYNC_PF_KERNEL,
    SG_F_GUEST_HUNG_ASYNC_PF_FORGED,
    SG_F_GUEST_HUNG_OTHER,
    SG_F_GUEST_SWAP_TOTAL_KIB,
    SG_F_GUEST_SWAP_FREE_KIB,
    SG_F_GUEST_PSWPIN,
    SG_F_GUEST_PSWPOUT,
    SG_F_GUEST_STEAL_MS_PER_S,
    SG_F_VCPU_THREADS,
    SG_F_DELAYACCT_AVAILABLE,
    SG_F_DELAYACCT_MISSING,
    SG_F_SWAPIN_DELAY_NS,
    SG_F_BLKIO_DELAY_NS,
    SG_F_CPU_DELAY_NS,
    SG_F_FREEPAGES_DELAY_NS,
    SG_F_THRASHING_DELAY_NS,
    SG_F_QEMU_SWAPIN_DELAY_NS,
    SG_F_QEMU_BLKIO_DELAY_NS,
    SG_F_RUN_DELAY_NS,
    SG_F_VCPU_LOOKS,
    SG_F_VCPU_LOOKS_DSTATE,
    SG_F_VCPU_LOOKS_SWAPIN,
    SG_F_BLK_RD_REQS,
    SG_F_BLK_WR_REQS,
    SG_F_BLK_FL_REQS,
    SG_F_BLK_RD_TIMES_NS,
    SG_F_BLK_WR_TIMES_NS,
    SG_F_BLK_FL_TIMES_NS,
    SG_F_IO_PSI_SOME_AVG10,
    SG_F_IO_PSI_FULL_AVG10,
    SG_F_CPU_PSI_SOME_AVG10,
    SG_F_GUEST_DSTATE_IO_TASKS,
    SG_F_GUEST_DSTATE_LOCK_TASKS,
    SG_F_GUEST_DSTATE_RECLAIM_TASKS,
    SG_F_GUEST_HUNG_IO_KERNEL,
    SG_F_GUEST_HUNG_LOCK_KERNEL,
    SG_F_GUEST_HUNG_RECLAIM_KERNEL,
    SG_F_GUEST_STALL_MSGS_KERNEL,
    SG_F_GUEST_OOM_KILLS_KERNEL,
    SG_F_CONSOLE_OK,
    SG_F_CONSOLE_MISSING,
    SG_F_CONSOLE_STALL_MSGS,
    SG_F_CONSOLE_OOM_KILLS,
    SG_F_CONSOLE_HUNG_ASYNC_PF,
    SG_F_CONSOLE_HUNG_IO,
    SG_F_CONSOLE_HUNG_LOCK,
    SG_F_CONSOLE_HUNG_RECLAIM,
    SG_F_LIBVIRT_STALE,
    SG_F_LIBVIRT_MISSING,
    SG_F_PAUSED,
    SG_F_VCPUS,
    /* per-domain figures of the O(1) sample (list, domswap) */
    SG_F_NAME,
    SG_F_UUID,
    SG_F_ID,
    SG_F_STATE,
    SG_F_PID,
    SG_F_MEMORY_KIB,
    SG_F_MAX_MEMORY_KIB,
    SG_F_VM_RSS_KIB,
    SG_F_RSS_ANON_KIB,
    SG_F_RSS_FILE_KIB,
    SG_F_RSS_SHMEM_KIB,
    SG_F_VM_LCK_KIB,
    SG_F_HUGETLB_PAGES_KIB,
    SG_F_MINFLT,
    SG_F_MAJFLT,
    SG_F_MAJFLT_PER_S,
    SG_F_CGROUP_VERSION,
    SG_F_CGROUP_MEMORY_PATH,
    SG_F_CGROUP_PGMAJFAULT_PER_S,
    SG_F_CGROUP_USAGE_BYTES,
    SG_F_CGROUP_MEMORY_LIMIT_BYTES,
    SG_F_CGROUP_SWAP_MAX_BYTES,
    SG_F_CGROUP_MEMSW_LIMIT_BYTES,
    SG_F_PSI_SOME_AVG60,
    SG_F_PSI_SOME_AVG300,
    SG_F_PSI_SOME_TOTAL_US,
    SG_F_PSI_FULL_AVG60,
    SG_F_PSI_FULL_AVG300,
    SG_F_PSI_FULL_TOTAL_US,
    SG_F_SWAPIN_DELAY_MS_PER_S,
    SG_F_CPU_DELAY_MS_PER_S,
    SG_F_LOST_MS_PER_S,
    SG_F_LOST_SOURCE,
    /* domswap only */
    SG_F_GUEST_RAM_SIZE_KIB,
    SG_F_GUEST_RAM_RSS_KIB,
    SG_F_GUEST_RAM_SWAP_KIB,
    SG_F_GUEST_RAM_BACKING,
    SG_F_SMAPS_ROLLUP_SWAP_KIB,
    SG_F_GUEST_AGENT,
    SG_F_VCPU,
    SG_F_VCPU_TID,
    SG_F_VCPU_COMM,
    SG_F_VCPU_ACCEL,
    SG_F_VCPU_STATE,
    SG_F_VCPU_MINFLT,
    SG_F_VCPU_MAJFLT,
    SG_F_VCPU_MAJFLT_PER_S,
    /* per vCPU thread: recorded (the facts' vcpus[]) */
    SG_F_VT_SWAPIN_DELAY_NS,
    SG_F_VT_BLKIO_DELAY_NS,
    SG_F_VT_CPU_DELAY_NS,
    SG_F_VT_FREEPAGES_DELAY_NS,
    SG_F_VT_THRASHING_DELAY_NS,
    SG_F_VT_RUN_DELAY_NS,
    SG_F_VT_LOOKS,
    SG_F_VT_LOOKS_DSTATE,
    SG_F_VT_LOOKS_SWAPIN,
    /* per vCPU thread: domswap's rates over its two samples */
    SG_F_VT_SWAPIN_DELAY_MS_PER_S,
    SG_F_VT_BLKIO_DELAY_MS_PER_S,
    SG_F_VT_CPU_DELAY_MS_PER_S,
    SG_F_VT_FREEPAGES_DELAY_MS_PER_S,
    SG_F_VT_THRASHING_DELAY_MS_PER_S,
    SG_F_VT_RUN_DELAY_MS_PER_S,
    SG_F_VT_SWAPIN_LOOK_SHARE,
    /* host facts (record, textfile) */
    SG_F_HOST_T_S,
    SG_F_HOST_MEM_TOTAL_KIB,
    SG_F_HOST_MEM_AVAILABLE_KIB,
    SG_F_HOST_SWAP_TOTAL_KIB,
    SG_F_HOST_SWAP_FREE_KIB,
    SG_F_HOST_PSWPIN,
    SG_F_HOST_PSWPOUT,
    SG_F_HOST_WORKINGSET_REFAULT_ANON,
    SG_F_HOST_PSI_SOME_AVG10,
    SG_F_HOST_PSI_FULL_AVG10,
    /* host figures of hoststats only */
    SG_F_HOST_MEM_FREE_KIB,
    SG_F_HOST_CACHED_KIB,
    SG_F_HOST_ANON_PAGES_KIB,
    SG_F_HOST_SHMEM_KIB,
    SG_F_HOST_MLOCKED_KIB,
    SG_F_HOST_SWAP_USED_KIB,
    SG_F_HOST_SWAP_CACHED_KIB,
    SG_F_HOST_HUGEPAGES_TOTAL,
    SG_F_HOST_HUGEPAGES_FREE,
    SG_F_HOST_HUGEPAGESIZE_KIB,
    SG_F_HOST_PGMAJFAULT,
    SG_F_HOST_PSWPIN_PER_S,
    SG_F_HOST_PSWPOUT_PER_S,
    SG_F_HOST_PGMAJFAULT_PER_S,
    SG_F_HOST_WORKINGSET_REFAULT_ANON_PER_S,
    SG_F_HOST_PSI_SOME_AVG60,
    SG_F_HOST_PSI_SOME_AVG300,
    SG_F_HOST_PSI_SOME_TOTAL_US,
    SG_F_HOST_PSI_FULL_AVG60,
    SG_F_HOST_PSI_FULL_AVG300,
    SG_F_HOST_PSI_FULL_TOTAL_US,
    SG_F_SWAPDEV_FILENAME,
    SG_F_SWAPDEV_TYPE,
    SG_F_SWAPDEV_SIZE_KIB,
    SG_F_SWAPDEV_USED_KIB,
    SG_F_SWAPDEV_PRIORITY,
    SG_F_POOL_NUMA_NODE,
    SG_F_POOL_PAGE_SIZE_KIB,
    SG_F_POOL_NR_HUGEPAGES,
    SG_F_POOL_FREE_HUGEPAGES,
    /* a report of one verdict */
    SG_F_REPORT_VERDICT,
    SG_F_REPORT_PREVIOUS,
    SG_F_REPORT_CONFIDENCE,
    SG_F_REPORT_DOMAIN_INFO,
    SG_F_REPORT_CAUSE,
    SG_F_REPORT_LOST_MS_PER_S,
    SG_F_REPORT_TIME,
    SG_F_REPORT_UNIX,
    SG_F_REPORT_DOMAIN,
    SG_F_REPORT_UUID,
    SG_F_REPORT_EVIDENCE,
    SG_F_REPORT_MISSING,
    SG_F_REPORT_SWAPGUARD,
    SG_F_REPORT_FIGURES,
    SG_F_REPORT_LAST_SAMPLE,
    SG_F_REPORT_UP,
    SG_F__MAX,
};

struct sg_schema_row {
    const char *key;            /* JSON key, metadata attribute, history key */
    enum sg_schema_scope scope;
    enum sg_schema_kind kind;
    enum sg_schema_unit unit;
    const char *source_v1;      /* cgroup v1 (or the only) source: file and field, or libvirt call */
    const char *source_v2;      /* cgroup v2 source when it differs, else NULL */
    const char *label;          /* one line for people (the Prometheus HELP) */
    const char *prom_name;      /* Prometheus family, NULL when not exported */
    double prom_scale;          /* row value x prom_scale = Prometheus value (KiB -> bytes: 1024) */
    const char *prom_label;     /* label pair of a family shared by several rows (event="max"), the
                                   name of the label that tells a family's samples apart (verdict),
                                   or, for an info family, its label names beyond domain and uuid,
                                   comma-separated; NULL when none */
    unsigned outputs;           /* SG_OUT_* */
    unsigned flags;             /* SG_ROW_* */
    const char *journald;       /* journald field when not the key in upper case */
    const char *xml_element;    /* metadata child element, NULL: an attribute of <report> */
    enum sg_schema_type type;   /* storage in the facts struct of its scope */
    size_t offset, size;        /* there */
    const char *legacy_key;     /* record key of recordings before a rename, or NULL */
    double legacy_scale;        /* legacy value x legacy_scale = value in this row's unit */
    /* A figure computed from other figures of the same facts (type SG_TYPE_NONE: not stored):
       its value in the row's unit from the facts struct of its scope, SG_POLICY_NONE when
       unknown. NULL for a stored figure. */
    uint64_t (*derive_u64)(const void *facts);
};

/* The table, indexed by enum sg_fig_id (SG_F__MAX rows). */
extern const struct sg_schema_row sg_schema[SG_F__MAX];

/* The row of id (never NULL for a valid id). */
const struct sg_schema_row *sg_schema_get(enum sg_fig_id id);

/* The row of (scope, key), NULL when there is none. Matches legacy keys too when legacy. */
const struct sg_schema_row *sg_schema_find(enum sg_schema_scope scope, const char *key, bool legacy);

/* The row's source for a memory cgroup of version (1 or 2; any other: v2 when it has one). */
const char *sg_schema_source(const struct sg_schema_row *r, int cgroup_version);

/* The journald field of r (r->journald, or the key in upper case) into buf; returns buf. */
const char *sg_schema_journald_name(const struct sg_schema_row *r, char *buf, size_t size);

/* "gauge", "counter" (for Prometheus TYPE; info rows are gauges), "info" for info rows. */
const char *sg_schema_kind_name(enum sg_schema_kind k);
