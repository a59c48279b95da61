/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * swapguard apply / rollback / history: the remedies of `recommend`, carried
 * out on request. Dry run unless --yes; each action rechecks its precondition
 * right before it acts, records old and new values in the action journal
 * (agent/actions/action-journal.h) before changing anything, and can be rolled back.
 */
#pragma once

#include <stdio.h>

#include "agent/core/context.h"
#include "util/fmt.h"
#include "util/log.h"
#include "agent/core/config.h"
#include "agent/actions/action-journal.h"
#include "policies/recommend.h"

/* One `apply` request. */
struct sg_apply_req {
    struct sg_ctx *ctx;            /* connection (read-write once sg_ctx_connect(ctx, true)), fs */
    const struct sg_config *cfg;
    enum sg_rec_action action;     /* SG_REC_SWAPOFF, SG_REC_SWAP_LIMIT, ... (a row of sg_actions with apply) */
    const char *target;            /* DOMAIN (name, UUID or id) or swap DEVICE; NULL when not given */
    bool yes;                      /* act; without it print what would change and return 0 */
    bool force;                    /* --force: act on Nova-managed domains (XML actions) */
    const char *size;              /* hugepages --size: "2M" or "1G" (NULL: 2M) */
    FILE *out;                     /* progress and results */
};

/*
 * An action: apply rechecks its precondition right before acting, journals
 * (when req->yes), acts and prints; it logs one message (sg_log_error) and
 * returns -errno when it refuses or fails, leaving nothing half-done (a
 * failure after a partial change undoes it and marks the entry "failed").
 * rollback undoes journal entry e (status "applied"), refusing with -ESTALE
 * when the target no longer holds the values the entry says it set (unless
 * force). Both return 0 on success.
 * Its name is sg_rec_action_name(action); whether the agent may apply it on
 * its own is sg_rec_action_auto(action) (policies/recommend.h).
 */
struct sg_action_def {
    enum sg_rec_action action;     /* its own index in sg_actions */
    unsigned listed;               /* its place (1, 2, ...) in apply's listing: help, errors */
    bool host;                     /* acts on the host (target: a swap DEVICE, optional), not a DOMAIN */
    bool live;                     /* takes effect at once (else: at the next boot) */
    const char *target;            /* "DOMAIN", "[DEVICE]" */
    const char *options;           /* its own options, "[--size 2M|1G]", or NULL */
    const char *help;              /* apply --help: what --yes does, lines of at most 56 characters */
    const char *needs;             /* the privilege --yes needs besides the action journal, for refusals */
    int (*apply)(const struct sg_apply_req *req, struct sg_action_journal *j);
    int (*rollback)(struct sg_ctx *ctx, const struct sg_config *cfg, struct sg_action_journal *j,
                    json_object *e, bool force, FILE *out); /* NULL: nothing to undo (prefetch) */
};

/*
 * The actions, indexed by enum sg_rec_action (agent/actions/apply.c).
 * Rows without apply are remedies recommend prints but apply does not carry
 * out (swappiness, nova-flavor).
 */
extern const struct sg_action_def sg_actions[SG_REC__MAX];

/* The action apply carries out under this name, or NULL (unknown, or a remedy apply does not carry out). */
const struct sg_action_def *sg_action_find(const char *name);

/* The i-th (0, 1, ...) action in apply's listing order, NULL past the last. */
const struct sg_action_def *sg_action_listed(size_t i);

/* Its name: sg_rec_action_name(def->action). */
static inline const char *sg_action_name(const struct sg_action_def *def)
{
    return sg_rec_action_name(def->action);
}

/* The live actions (agent/actions/apply-live.c); prefetch has nothing to undo. */
int sg_apply_swapoff(const struct sg_apply_req *req, struct sg_action_journal *j);
int sg_rollback_swapoff(struct sg_ctx *ctx, const struct sg_config *cfg, struct sg_action_journal *j,
                        json_object *e, bool force, FILE *out);
int sg_apply_swap_limit(const struct sg_apply_req *req, struct sg_action_journal *j);
int sg_rollback_swap_limit(struct sg_ctx *ctx, const struct sg_config *cfg, struct sg_action_journal *j,
                           json_object *e, bool force, FILE *out);
int sg_apply_prefetch(const struct sg_apply_req *req, struct sg_action_journal *j);
int sg_apply_oom_protect(const struct sg_apply_req *req, struct sg_action_journal *j);
int sg_rollback_oom_protect(struct sg_ctx *ctx, const struct sg_config *cfg, struct sg_action_journal *j,
                            json_object *e, bool force, FILE *out);

/* The persistent-XML actions (agent/actions/apply-xml.c). */
int sg_apply_lock_memory(const struct sg_apply_req *req, struct sg_action_journal *j);
int sg_apply_hugepages(const struct sg_apply_req *req, struct sg_action_journal *j);
/* Rollback of both: redefines the saved inactive XML ("before"."xml"). */
int sg_rollback_domain_xml(struct sg_ctx *ctx, const struct sg_config *cfg, struct sg_action_journal *j,
                           json_object *e, bool force, FILE *out);

/*
 * Runs one action for the agent's auto_apply (sg_rec_action_auto actions
 * only, else -EINVAL; req->yes set by the caller): opens the journal of
 * cfg->state_dir around it. Returns what the action returned.
 */
int sg_apply_run(const struct sg_apply_req *req);

/*
 * Opens the action journal in cfg->state_dir (created 0700 when absent).
 * Logs one line naming the file and returns -errno on failure. An entry
 * still "applying" of an action with nothing to undo (prefetch) is marked
 * "failed" with a note saying it was interrupted: under the journal's lock,
 * such an entry belongs to a process that died.
 */
int sg_apply_journal_open(const struct sg_config *cfg, struct sg_action_journal *j);
