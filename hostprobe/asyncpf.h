/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * KVM async page fault counts per domain: perf_event_open(2) in counting
 * mode, PERF_TYPE_TRACEPOINT, one counter per vCPU thread and event (inherit
 * does not reach threads that already exist). Tracepoint ids come from
 * <tracefs>/events/kvm/<name>/id, tracefs at sys/kernel/tracing or
 * sys/kernel/debug/tracing under --sys-root.
 *
 * Events (enum sg_apf_event, util/types.h): kvm_async_pf_not_present,
 * kvm_async_pf_ready, kvm_try_async_get_page, kvm_async_pf_repeated_fault
 * (kvm_async_pf_doublefault on older kernels). They fire in vCPU thread
 * context, so per-thread counters see them; they never fire for TCG guests.
 *
 * Needs CAP_PERFMON (or root, or perf_event_paranoid <= 1 for own threads).
 * Every failure is "unavailable" with a reason, never an error of the sample.
 */
#pragma once

#include <sys/types.h>

#include "util/types.h"
#include "procfs.h"
#include "util/sg-util.h"

/*
 * Finds tracefs under fs's sys root: sys/kernel/tracing, then
 * sys/kernel/debug/tracing (the directory that has events/). Writes its path
 * relative to the sys root ("kernel/tracing") to dir. Returns 0, -ENOENT, or
 * -EACCES when tracefs is there but not searchable (mode 0700: not root); dir
 * then names the directory that refused.
 */
int sg_tracefs_find(const struct sg_fs *fs, char *dir, size_t dir_size);

/*
 * Reads <tracefs_dir>/events/<system>/<name>/id (relative to the sys root)
 * into id. Returns 0, -ENOENT (no such event), -EACCES, -EINVAL (err located).
 */
int sg_tracepoint_id(const struct sg_fs *fs, const char *tracefs_dir, const char *system,
                     const char *name, uint64_t *id, struct sg_error *err);

/* Open counters of one domain (or of any set of threads). */
struct sg_tp_counters;

/*
 * Opens one counting perf event per thread per tracepoint: system/names[0..n_names)
 * on tids[0..n_tids). A name whose id is missing tries alt_names[i] (may be
 * NULL entries). On failure returns -errno and writes a one-line reason to why
 * ("no tracefs at .../kernel/tracing or .../kernel/debug/tracing",
 * "kvm:kvm_async_pf_ready: no such tracepoint (kvm module not loaded?)",
 * "perf_event_open: Permission denied (needs CAP_PERFMON or root)").
 * A thread that exited meanwhile is skipped.
 */
int sg_tp_open(const struct sg_fs *fs, const char *system, const char *const *names,
               const char *const *alt_names, size_t n_names, const pid_t *tids, size_t n_tids,
               struct sg_tp_counters **out, char *why, size_t why_size);

/* Sums each event over the threads into counts[0..n_names). Returns 0 or -errno (why). */
int sg_tp_read(struct sg_tp_counters *c, uint64_t *counts, char *why, size_t why_size);

/* Threads counted (those that existed at open). */
size_t sg_tp_n_threads(const struct sg_tp_counters *c);

void sg_tp_close(struct sg_tp_counters *c);

/*
 * The async-PF counters of one domain's vCPU threads: the four events of
 * enum sg_apf_event. Refuses (-EOPNOTSUPP, why "vCPUs run under TCG: no KVM,
 * no async PF") when the threads are not "CPU n/KVM", and -ENOENT without
 * vCPU threads.
 */
int sg_apf_open(const struct sg_fs *fs, const struct sg_vcpu_thread *vcpus, size_t n_vcpus,
                struct sg_tp_counters **out, char *why, size_t why_size);
