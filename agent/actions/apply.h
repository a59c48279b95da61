/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * swapguard apply / rollback / history: the remedies of `recommend`, carried
 * out on request. Dry run unless --yes; each action rechecks its precondition
 * right before it acts, records old and new values in the action journal
 * (agent/journal.h) before changing anything, and can be rolled back.
 */
#pragma once

#include <stdio.h>

#include "agent/core/context.h"
#include "util/fmt.h"
#include "util/log.h"
#include "agent/core/config.h"
#include "agent/actions/action-journal.h"

/* One `apply` request. */
struct sg_apply_req {
    struct sg_ctx *ctx;            /* connection (read-write once sg_ctx_connect(ctx, true)), fs */
    const struct sg_config *cfg;
    const char *action;            /* "swapoff", "swap-limit", ... */
    const char *target;            /* DOMAIN (name, UUID or id) or swap DEVICE; NULL when not given */
    bool yes;                      /* act; without it print what would change and return 0 */
    bool force;                    /* --force: act on Nova-managed domains (XML actions) */
    const char *size;              /* hugepages --size: "2M" or "1G" (NULL: 2M) */
    FILE *out;                     /* progress and results */
};

/*
 * An action: apply rechecks, journals (when req->yes), acts and prints; it
 * logs one message (sg_log_error) and returns -errno when it refuses or fails,
 * leaving nothing half-done (a failure after a partial change undoes it and
 * marks the entry "failed"). rollback undoes journal entry e (status
 * "applied"), refusing with -ESTALE when the target no longer holds the
 * values the entry says it set (unless force). Both return 0 on success.
 */
struct sg_action_def {
    const char *name;
    const char *synopsis;          /* "DOMAIN [--size 2M|1G]" */
    const char *summary;
    bool live;                     /* takes effect at once (else: at the next boot) */
    int (*apply)(const struct sg_apply_req *req, struct sg_action_journal *j);
    int (*rollback)(struct sg_ctx *ctx, const struct sg_config *cfg, struct sg_action_journal *j,
                    json_object *e, bool force, FILE *out); /* NULL: nothing to undo (prefetch) */
};

/* The actions, NULL-terminated by name (agent/cmd-apply.c). */
extern const struct sg_action_def sg_actions[];
const struct sg_action_def *sg_action_find(const char *name);

/* The persistent-XML actions (agent/apply-xml.c). */
int sg_apply_lock_memory(const struct sg_apply_req *req, struct sg_action_journal *j);
int sg_apply_hugepages(const struct sg_apply_req *req, struct sg_action_journal *j);
/* Rollback of both: redefines the saved inactive XML ("before"."xml"). */
int sg_rollback_domain_xml(struct sg_ctx *ctx, const struct sg_config *cfg, struct sg_action_journal *j,
                           json_object *e, bool force, FILE *out);

/*
 * Runs one action for the agent's auto_apply (live actions only; req->yes
 * set by the caller): opens the journal of cfg->state_dir around it.
 * Returns what the action returned.
 */
int sg_apply_run(const struct sg_apply_req *req);

/*
 * Opens the action journal in cfg->state_dir (created 0700 when absent).
 * Logs one line naming the file and returns -errno on failure.
 */
int sg_apply_journal_open(const struct sg_config *cfg, struct sg_action_journal *j);
