/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * From probes to facts: fills the plain structs of policies/facts.h from
 * hostprobe (the O(1) sample, async-PF counters) and guestprobe (one bounded
 * probe), and turns facts to and from JSON for recorded time series
 * (`diagnose --record FILE`, replayed by the scenario tests).
 */
#pragma once

#include <json-c/json.h>
#include <libvirt/libvirt.h>

#include "guestprobe/probe.h"
#include "hostprobe/cgroup.h"
#include "hostprobe/domains.h"
#include "agent/core/domain.h"
#include "hostprobe/asyncpf.h"
#include "hostprobe/hostmem.h"
#include "policies/facts.h"
#include "policies/recommend.h"

/*
 * Prepares w (a domain whose d.pid is known) for collecting: locates its
 * memory cgroup and opens the async-PF counters of its vCPU threads
 * (unavailable counters leave w->apf NULL with the reason in w->apf_missing).
 * A domain whose process is gone is left !located (not an error). Returns 0,
 * or -errno with err filled (permission, malformed files).
 */
int sg_collect_open(const struct sg_fs *fs, struct sg_dom *w, struct sg_error *err);

/* Host facts from /proc/meminfo, /proc/vmstat, /proc/pressure/memory. -errno (err). */
int sg_collect_host(const struct sg_fs *fs, struct sg_host_facts *out, struct sg_error *err);

/*
 * The hugepage pools of hs (sysfs nr_hugepages, free_hugepages per node and
 * size) as policies/recommend.h takes them: a calloc'd array of hs->n_pools
 * (at least one element, so never NULL for an empty host), NULL on ENOMEM.
 */
struct sg_rec_hugepool *sg_collect_hugepools(const struct sg_host_sample *hs);

/* Looks at each vCPU thread's state and wchan per tick, and the gap between them (ms):
 * 3 x 2 small reads per vCPU, and 10 ms of pause per tick (sg_collect_looks: for every
 * domain at once; a domain collected alone pauses that long itself). */
#define SG_LOST_LOOKS 3
#define SG_LOST_LOOK_GAP_MS 5
/* The serial console log: bytes read at most per tick, and how far back the first read counts. */
#define SG_CONSOLE_MAX (64 * 1024)
#define SG_CONSOLE_FIRST_AGE_S 120

/*
 * Host-side facts of one domain: the O(1) sample (status, memory cgroup,
 * PSI) and the async-PF counter sums; the lost time of the vCPU threads
 * (taskstats per thread and for the process, schedstat, SG_LOST_LOOKS looks at
 * state and wchan), the domain's io/cpu pressure and libvirt block stats
 * (NOWAIT); each source that is missing leaves its figures NONE. A process that is gone gives
 * running = false, not an error. Returns 0 or -errno (err).
 */
int sg_collect_dom(const struct sg_fs *fs, struct sg_dom *w, struct sg_dom_facts *out,
                   struct sg_error *err);

/*
 * This tick's looks at the state and wchan of the vCPU threads of n domains,
 * at(opaque, i) for i < n (hostprobe/lostime.h sg_thread_look: /proc/PID/task/TID/stat
 * field 3 and .../wchan): SG_LOST_LOOKS passes over all of them, started
 * SG_LOST_LOOK_GAP_MS apart (a pass that took longer is followed at once), so a
 * tick pauses at most (SG_LOST_LOOKS - 1) x the gap whatever the number of
 * domains. The counts go to each located domain's look counters (w->looks...,
 * w->vcpu_acc[]), and its next sg_collect_dom takes no looks of its own. A domain
 * not located, or without vCPU threads, is passed over. Cost: SG_LOST_LOOKS x 2
 * small reads per vCPU thread. Never fails: a thread gone is not counted.
 */
void sg_collect_looks(const struct sg_fs *fs, struct sg_dom *(*at)(void *opaque, size_t i),
                      void *opaque, size_t n);

/*
 * How often the collection reads a domain's libvirt block stats: at most
 * every s seconds (between reads sg_collect_dom repeats the last figures:
 * counters, so a rate over the window stays right); 0, the default: every
 * call. The agent sets [sampler] block_stats_interval (config.h
 * SG_BLOCK_STATS_INTERVAL_S by default); diagnose and top keep 0.
 */
void sg_collect_set_block_interval(double s);

/*
 * Probes the guest (gp_probe, bounded by timeout_s) and fills out->guest.
 * Hung-task reports count once: those newer than w->hung_cursor_us (which
 * then advances) and younger than max_age_s by the guest's own clock
 * (/proc/uptime; no age limit when the uptime is unknown or max_age_s is 0). With keep,
 * the probe result is handed over (the caller gp_probe_result_clear()s it).
 */
void sg_collect_guest(struct sg_dom *w, int timeout_s, double max_age_s,
                      struct sg_dom_facts *out, struct gp_probe_result *keep);

/* Marks out->guest as not probed for reason (e.g. "read-only connection (-r)"). */
void sg_collect_guest_skipped(struct sg_dom_facts *out, const char *reason);

/* JSON of facts: the schema rows with SG_OUT_RECORD (agent/core/schema.h), each in its own
 * unit; NONE and NAN as null. */
json_object *sg_host_facts_to_json(const struct sg_host_facts *h);
json_object *sg_dom_facts_to_json(const struct sg_dom_facts *d);

/* Back from JSON: every key required (a renamed key may come under its legacy name, converted
 * once here, e.g. cgroup_swap_kib x 1024 -> cgroup_swap_bytes; a figure added later may be
 * missing: null), types checked. -EINVAL with why naming the key. */
int sg_host_facts_from_json(json_object *o, struct sg_host_facts *out, char *why, size_t why_size);
int sg_dom_facts_from_json(json_object *o, struct sg_dom_facts *out, char *why, size_t why_size);
