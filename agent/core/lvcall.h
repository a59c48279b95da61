/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvirt calls with a deadline.
 *
 * libvirt's calls are synchronous. One that reaches a QEMU monitor (the
 * BALLOON and BLOCK stats groups, virDomainMemoryStats) first takes the
 * domain's job, then waits for QEMU's reply with no time limit: a QEMU that
 * is stopped (SIGSTOP), hung or swapped out never answers, and the call
 * hangs until it does (or dies). A call that needs the job while another
 * holds it waits up to libvirt's job timeout (30 s) and fails
 * (virDomainSetMetadata, virDomainMemoryStats); the stats calls with
 * VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT skip the figures that need a job
 * that is busy, but take a free one and then wait like the others.
 *
 * Here such a call runs on a worker thread and the caller waits at most a
 * deadline ([sampler] libvirt_timeout_ms). When the deadline passes, the
 * caller goes on without the call's results, and the call stays with its
 * slot (one per domain) until it returns: no other call is issued on that
 * slot meanwhile, so a stuck domain holds one worker and one libvirtd
 * worker, not one per tick. At most SG_LV_WORKERS threads exist: libvirtd
 * serves at most max_client_requests (5 by default) calls of one connection
 * at a time and stops reading it beyond, keepalive answers included.
 *
 * The guest agent's commands (virDomainQemuAgentCommand) take an agent job of
 * their own and keep to their timeout with a stopped QEMU too; the guest probe
 * of the collection runs here all the same, with a wider deadline.
 *
 * The worker runs fn on a copy of the caller's argument and touches nothing
 * else; a domain handle or connection the call uses is referenced for it
 * (virDomainRef, virConnectRef) and released by the worker.
 */
#pragma once

#include <libvirt/libvirt.h>
#include <stdbool.h>
#include <stddef.h>

#include "hostprobe/domains.h"
#include "util/sg-util.h"

/* Worker threads at most: calls running at once, past their deadline or not. */
#define SG_LV_WORKERS 3
/* [sampler] libvirt_timeout_ms by default. */
#define SG_LV_TIMEOUT_MS_DEFAULT 2000
/* A guest probe's deadline: 2 x [guestprobe] timeout + this + libvirt_timeout_ms. */
#define SG_LV_PROBE_SLACK_MS 5000

struct sg_lv_call;

/* One domain's (or the host listing's) calls: at most one outstanding. Zeroed: none. */
struct sg_lv_slot {
    struct sg_lv_call *pending; /* a call past its deadline that has not returned; NULL: none */
    char what[40];              /* the pending call's name ("block stats", "guest probe" ...) */
    int timeout_ms;             /* the deadline it missed */
    double since;               /* CLOCK_MONOTONIC seconds it was issued */
    double returned_after_s;    /* the last pending call that returned: after how long; 0: none */
};

/* Runs on a worker: the call itself. conn and dom as given to sg_lv_call (may be NULL). */
typedef void (*sg_lv_fn)(virConnectPtr conn, virDomainPtr dom, void *arg);
/* Frees what fn left in arg (results of a call nobody waits for any more); may be NULL. */
typedef void (*sg_lv_clear_fn)(void *arg);

/*
 * Runs fn(conn, dom, copy of arg) on a worker thread and waits at most
 * timeout_ms for it; what (a short name) says which call it is in the slot's
 * reason. A pending call of slot that returned meanwhile is released first.
 * Returns
 *   0          fn returned in time: arg holds what it wrote (arg_size bytes);
 *   -ETIMEDOUT past the deadline: the slot keeps the call, arg is unchanged;
 *   -EBUSY     the slot's earlier call is still outstanding: nothing issued;
 *   -EAGAIN    all SG_LV_WORKERS workers are held by calls past their deadline
 *              (other domains'): nothing issued;
 *   -ENOMEM    (nothing issued).
 */
int sg_lv_call(struct sg_lv_slot *slot, const char *what, sg_lv_fn fn, sg_lv_clear_fn clear,
               virConnectPtr conn, virDomainPtr dom, void *arg, size_t arg_size, int timeout_ms);

/*
 * Releases slot's pending call if it returned. Returns true while a call is
 * still outstanding (the domain's libvirt figures are stale). When one just
 * returned, slot->returned_after_s says after how long.
 */
bool sg_lv_slot_poll(struct sg_lv_slot *slot);

/*
 * Why the slot gives nothing (r: what sg_lv_call returned, or -EBUSY for a
 * pending call): "libvirt call (block stats) timed out after 2000 ms, waiting
 * for it since 12 s" and the like, into why (size bytes).
 */
void sg_lv_why(const struct sg_lv_slot *slot, int r, char *why, size_t size);

/* Gives the slot's pending call up: the worker frees it when it returns. NULL is fine. */
void sg_lv_slot_release(struct sg_lv_slot *slot);

/*
 * The deadline of the calls the collection makes (block stats, and with the
 * guest agent's own timeout added, the guest probe): [sampler]
 * libvirt_timeout_ms of the configuration loaded last (sg_diag_load_config
 * and the agent's reload set it), SG_LV_TIMEOUT_MS_DEFAULT before.
 */
int sg_lv_timeout_ms(void);
void sg_lv_set_timeout_ms(int ms);

/* Calls running past their deadline now, process-wide. */
unsigned sg_lv_outstanding(void);

/*
 * sg_domains_list (hostprobe/domains.h) with a deadline: the listing in one
 * virConnectGetAllDomainStats(STATE | BALLOON, NOWAIT) call first; when that
 * does not answer within timeout_ms (a domain whose QEMU does not answer holds
 * it in its monitor) or is still outstanding from an earlier listing, the
 * listing that needs no domain job (sg_domains_list_nojob: memory_kib
 * unknown) over a connection of its own to the same URI, with the same
 * deadline. *fell_back says the second was used.
 * Returns the count, the errors of sg_domains_list, or -ETIMEDOUT when neither
 * answered in time (err says so).
 */
int sg_lv_domains_list(virConnectPtr conn, bool all, int timeout_ms, struct sg_domain **out,
                       bool *fell_back, struct sg_error *err);
