/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Plain types that a probe fills and a policy decides on, so that neither
 * layer includes the other: hostprobe (asyncpf.c, oomscan.c) produces them,
 * policies/ consumes them.
 */
#pragma once

#include <stdint.h>

/* The KVM async-PF tracepoints counted per vCPU thread (kvm:NAME in tracefs). */
enum sg_apf_event {
    SG_APF_NOT_PRESENT = 0, /* kvm_async_pf_not_present: a guest task was parked (the stall starts) */
    SG_APF_READY,           /* kvm_async_pf_ready: the page is back, the task may run */
    SG_APF_TRY_GET_PAGE,    /* kvm_try_async_get_page: KVM tried an async swap-in */
    SG_APF_REPEATED_FAULT,  /* kvm_async_pf_repeated_fault (kvm_async_pf_doublefault before 5.x) */
    SG_APF__MAX,
};

/* One process as the OOM killer scores it (/proc/PID/status, oom_score_adj). */
struct sg_oom_proc {
    int pid;
    char comm[64];                    /* /proc/PID/comm, raw bytes (escape on output) */
    uint64_t rss_kib;                 /* status VmRSS */
    uint64_t swap_kib;                /* status VmSwap */
    uint64_t pte_kib;                 /* status VmPTE */
    int oom_score_adj;                /* /proc/PID/oom_score_adj, -1000..1000 */
};
