/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * swapguard apply ACTION [TARGET] [--yes], rollback [ID] [--yes], history:
 * the command line around the actions (agent/actions) and the action journal.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/cli/cli.h"
#include "agent/actions/apply.h"
#include "agent/core/diagnose.h"

static const struct sg_opt_def sg_apply_opts[] = {
    { "yes", NULL, "act (without it: print what would change, change nothing)" },
    { "force", NULL, "act on a Nova-managed domain's XML anyway" },
    { "size", "2M|1G", "hugepages: the page size (default 2M)" },
    { "config", "FILE", "config file (default " SG_CONFIG_DEFAULT_PATH ")" },
    { .name = NULL },
};
enum { A_YES, A_FORCE, A_SIZE, A_CONFIG };

static const struct sg_opt_def sg_rollback_opts[] = {
    { "yes", NULL, "undo (without it: print what would be restored)" },
    { "force", NULL, "restore even when the target changed since swapguard acted" },
    { "config", "FILE", "config file (default " SG_CONFIG_DEFAULT_PATH ")" },
    { .name = NULL },
};
enum { R_YES, R_FORCE, R_CONFIG };

static const struct sg_opt_def sg_history_opts[] = {
    { "config", "FILE", "config file (default " SG_CONFIG_DEFAULT_PATH ")" },
    { "json", NULL, "print the entries as a JSON array" },
    { .name = NULL },
};
enum { H_CONFIG, H_JSON };

/*
 * Root, for --yes: the actions write cgroup files, /proc/PID/oom_score_adj, call swapoff(2)...,
 * and the action journal in [apply] state_dir. act: the action (its privilege is named), or
 * NULL (rollback: any of them).
 */
static int need_root(const char *what, const struct sg_action_def *act)
{
    if (geteuid() == 0)
        return 0;
    if (act)
        sg_log_error("%s %s --yes needs root: %s, and write access to the action journal ([apply] "
                     "state_dir); this process runs as uid %u; nothing changed", what, sg_action_name(act),
                     act->needs, (unsigned)geteuid());
    else
        sg_log_error("%s --yes needs root (CAP_SYS_ADMIN for swapoff, cgroup write access for the limits, "
                     "CAP_SYS_RESOURCE for oom_score_adj, and the action journal); this process runs as uid "
                     "%u; nothing changed", what, (unsigned)geteuid());
    return -EPERM;
}

static int apply_connect(struct sg_ctx *ctx, bool yes)
{
    if (yes && ctx->readonly) {
        sg_log_error("apply --yes changes the domain: it needs a read-write connection, and -r was given");
        return -EPERM;
    }
    return sg_ctx_connect(ctx, !ctx->readonly);
}

static int sg_cmd_apply(struct sg_ctx *ctx, const struct sg_cmd_args *a)
{
    struct sg_config cfg;
    struct sg_action_journal j = { .lock_fd = -1 };
    const struct sg_action_def *act = sg_action_find(a->argv[0]);
    struct sg_apply_req req = {
        .ctx = ctx,
        .cfg = &cfg,
        .action = act ? act->action : SG_REC__MAX,
        .target = a->argc > 1 ? a->argv[1] : NULL,
        .yes = a->set[A_YES],
        .force = a->set[A_FORCE],
        .size = a->val[A_SIZE],
        .out = ctx->out,
    };
    int r;

    if (!act) {
        const struct sg_action_def *d;
        char safe[64];
        char list[256] = "";

        for (size_t i = 0; (d = sg_action_listed(i)); i++)
            snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i == 0 ? "" : ", ",
                     sg_action_name(d));
        sg_log_error("apply: unknown action '%s' (expected %s)", sg_fmt_safe(a->argv[0], safe, sizeof(safe)),
                     list);
        return 1;
    }
    if (req.size && act->action != SG_REC_HUGEPAGES) {
        sg_log_error("apply %s: --size is for %s only", sg_action_name(act), sg_rec_action_name(SG_REC_HUGEPAGES));
        return 1;
    }
    if (!act->host && !req.target) {
        sg_log_error("apply %s: which domain? (swapguard apply %s %s%s%s)", sg_action_name(act),
                     sg_action_name(act), act->target, act->options ? " " : "", act->options ? act->options : "");
        return 1;
    }
    if (req.yes && need_root("apply", act) < 0)
        return 1;
    if (sg_diag_load_config(ctx, a->val[A_CONFIG], &cfg) < 0)
        return 1;
    r = sg_ctx_fs(ctx);
    if (r == 0 && !act->host)
        r = apply_connect(ctx, req.yes);
    if (r == 0 && req.yes)
        r = sg_apply_journal_open(&cfg, &j);
    if (r == 0)
        r = act->apply(&req, req.yes ? &j : NULL);
    sg_action_journal_close(&j);
    sg_config_clear(&cfg);
    return r < 0 ? 1 : 0;
}

static const char *time_text(json_object *e, const char *key, char *buf, size_t size)
{
    json_object *v;
    struct tm tm;
    time_t t;

    if (!json_object_object_get_ex(e, key, &v))
        return "-";
    t = (time_t)json_object_get_double(v);
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm);
    return buf;
}

/* before/after for a terminal: a saved XML is summarised, the rest printed as JSON, escaped. */
static const char *values_text(json_object *o, char *buf, size_t size)
{
    json_object *xml;

    if (o && json_object_object_get_ex(o, "xml", &xml) && json_object_is_type(xml, json_type_string)) {
        snprintf(buf, size, "(persistent domain XML, %d bytes)", json_object_get_string_len(xml));
        return buf;
    }
    return sg_fmt_safe(o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
                         : "-",
                       buf, size);
}

static void print_entry(FILE *f, json_object *e)
{
    char t[64], target[300], who[300], b[1024], af[1024];
    const char *note = sg_action_entry_str(e, "note");

    fprintf(f, "%4" PRId64 "  %-23s  %-12s  %-20s  %-11s  %s\n",
            sg_action_entry_int(e, "id", 0), time_text(e, "time", t, sizeof(t)),
            sg_action_entry_str(e, "action"), sg_fmt_safe(sg_action_entry_str(e, "target"), target, sizeof(target)),
            sg_action_entry_str(e, "status"), sg_fmt_safe(sg_action_entry_str(e, "who"), who, sizeof(who)));
    fprintf(f, "      before: %s\n", values_text(sg_action_entry_obj(e, "before"), b, sizeof(b)));
    fprintf(f, "      after:  %s\n", values_text(sg_action_entry_obj(e, "after"), af, sizeof(af)));
    if (note)
        fprintf(f, "      note:   %s\n", sg_fmt_safe(note, b, sizeof(b)));
    if (json_object_object_get(e, "rolled_back_time"))
        fprintf(f, "      rolled back %s\n", time_text(e, "rolled_back_time", t, sizeof(t)));
}

static int sg_cmd_history(struct sg_ctx *ctx, const struct sg_cmd_args *a)
{
    struct sg_config cfg;
    struct sg_action_journal j = { .lock_fd = -1 };
    char path[SG_CONFIG_PATH_MAX + 32];
    json_object *entries;
    size_t n;

    if (a->set[H_JSON])
        ctx->json = true;
    if (sg_diag_load_config(ctx, a->val[H_CONFIG], &cfg) < 0)
        return 1;
    snprintf(path, sizeof(path), "%s/%s", cfg.state_dir, SG_ACTION_JOURNAL_FILE);
    if (access(path, F_OK) < 0 && errno == ENOENT) {
        if (ctx->json) {
            json_object *none = json_object_new_array();

            sg_json_print(ctx->out, none);
            json_object_put(none);
        } else
            fprintf(ctx->out, "no remedies applied yet (%s does not exist)\n", path);
        sg_config_clear(&cfg);
        return 0;
    }
    if (sg_apply_journal_open(&cfg, &j) < 0) {
        sg_config_clear(&cfg);
        return 1;
    }
    entries = sg_action_journal_entries(&j);
    n = json_object_array_length(entries);
    if (ctx->json) {
        sg_json_print(ctx->out, entries);
    } else {
        fprintf(ctx->out, "%4s  %-23s  %-12s  %-20s  %-11s  %s\n", "ID", "Time", "Action", "Target", "Status",
                "Who");
        for (size_t i = 0; i < n; i++)
            print_entry(ctx->out, json_object_array_get_idx(entries, i));
        if (n == 0)
            fprintf(ctx->out, "(no entries)\n");
    }
    sg_action_journal_close(&j);
    sg_config_clear(&cfg);
    return 0;
}

/* The newest entry that is applied, or interrupted while applying ("applying": its process died), and
 * has something to undo (not a prefetch), or NULL. */
static json_object *last_undoable(const struct sg_action_journal *j)
{
    json_object *a = sg_action_journal_entries(j);

    for (size_t i = json_object_array_length(a); i-- > 0;) {
        json_object *e = json_object_array_get_idx(a, i);
        const struct sg_action_def *act = sg_action_find(sg_action_entry_str(e, "action"));

        const char *status = sg_action_entry_str(e, "status");

        if (act && act->rollback && status && (strcmp(status, "applied") == 0 || strcmp(status, "applying") == 0))
            return e;
    }
    return NULL;
}

/* Rolls back entry id (0: the newest undoable one) of the open journal j. Logs; returns -errno. */
static int rollback_entry(struct sg_ctx *ctx, const struct sg_config *cfg, struct sg_action_journal *j,
                          unsigned id, const char *id_arg, bool yes, bool force)
{
    const struct sg_action_def *act;
    json_object *e = id ? sg_action_journal_get(j, id) : last_undoable(j);
    const char *status;
    int r;

    if (!e) {
        if (id)
            sg_log_error("rollback: no journal entry %u in %s/%s", id, cfg->state_dir, SG_ACTION_JOURNAL_FILE);
        else
            sg_log_error("rollback: nothing applied to roll back (%s/%s)", cfg->state_dir, SG_ACTION_JOURNAL_FILE);
        return -ENOENT;
    }
    status = sg_action_entry_str(e, "status");
    act = sg_action_find(sg_action_entry_str(e, "action"));
    if (!act) {
        sg_log_error("rollback: entry %s has an unknown action", id_arg);
        return -EINVAL;
    }
    /* "applying" is an entry whose process died mid-action: the old values are what to restore. */
    if (strcmp(status, "applied") != 0 && strcmp(status, "applying") != 0) {
        sg_log_error("rollback: entry %" PRId64 " (%s) is %s: nothing to roll back",
                     sg_action_entry_int(e, "id", 0), sg_action_name(act), status);
        return -EALREADY;
    }
    print_entry(ctx->out, e);
    if (!act->rollback) {
        sg_log_error("rollback: entry %" PRId64 " (%s) read guest RAM back from swap: there is nothing to undo",
                     sg_action_entry_int(e, "id", 0), sg_action_name(act));
        return -EOPNOTSUPP;
    }
    if (!yes) {
        fprintf(ctx->out, "dry run: would restore the 'before' values above; nothing changed (add --yes)\n");
        return 0;
    }
    if (!act->host && (r = apply_connect(ctx, true)) < 0)
        return r;
    return act->rollback(ctx, cfg, j, e, force, ctx->out);
}

static int sg_cmd_rollback(struct sg_ctx *ctx, const struct sg_cmd_args *a)
{
    struct sg_config cfg;
    struct sg_action_journal j = { .lock_fd = -1 };
    bool yes = a->set[R_YES], force = a->set[R_FORCE];
    double id = 0;
    int r;

    if (a->argc > 0) {
        char *end;

        errno = 0;
        id = strtod(a->argv[0], &end);
        if (*end || errno || id < 1 || id > 1e9 || id != floor(id)) {
            char safe[64];

            sg_log_error("rollback: '%s' is not a journal entry id (see swapguard history)",
                         sg_fmt_safe(a->argv[0], safe, sizeof(safe)));
            return 1;
        }
    }
    if (yes && need_root("rollback", NULL) < 0)
        return 1;
    if (sg_diag_load_config(ctx, a->val[R_CONFIG], &cfg) < 0)
        return 1;
    r = sg_ctx_fs(ctx);
    if (r == 0)
        r = sg_apply_journal_open(&cfg, &j);
    if (r == 0)
        r = rollback_entry(ctx, &cfg, &j, (unsigned)id, a->argc ? a->argv[0] : "", yes, force);
    sg_action_journal_close(&j);
    sg_config_clear(&cfg);
    return r < 0 ? 1 : 0;
}

/* The head of apply's help: the actions in their listing order, "NAME TARGET" and their help lines. */
static void apply_help_actions(FILE *f)
{
    const struct sg_action_def *d;

    fprintf(f, "  ACTION is one of:\n");
    for (size_t i = 0; (d = sg_action_listed(i)); i++) {
        char head[64];
        const char *p = d->help;

        snprintf(head, sizeof(head), "%s %s", sg_action_name(d), d->target);
        for (bool first = true; *p; first = false) {
            size_t len = strcspn(p, "\n");

            fprintf(f, "    %-20s %.*s\n", first ? head : "", (int)len, p);
            p += len + (p[len] == '\n');
        }
    }
}

const struct sg_cmd_def sg_cmd_def_apply = {
    .name = "apply",
    .synopsis_args = "ACTION [DOMAIN|DEVICE]",
    .min_args = 1,
    .max_args = 2,
    .opts = sg_apply_opts,
    .summary = "carry out a remedy (dry run unless --yes), recorded for rollback",
    .help_head = apply_help_actions,
    .help = "Without --yes, prints exactly what would change and changes nothing. With --yes,\n"
            "rechecks the precondition, records old and new values in the action journal\n"
            "([apply] state_dir), then acts. Needs root and a read-write connection.\n"
            "Nova-managed domains get the flavor extra specs instead of XML edits, unless\n"
            "--force.",
    .handler = sg_cmd_apply,
};

const struct sg_cmd_def sg_cmd_def_rollback = {
    .name = "rollback",
    .synopsis_args = "[ID]",
    .max_args = 1,
    .opts = sg_rollback_opts,
    .summary = "undo an applied remedy (the newest one without ID)",
    .help = "Restores the values journal entry ID (see 'history') recorded before it acted:\n"
            "the old memory limits, the saved persistent XML, the old oom_score_adj, the\n"
            "swap device. Refuses when the target no longer holds what the entry set\n"
            "(someone changed it since), unless --force. Dry run unless --yes.",
    .handler = sg_cmd_rollback,
};

const struct sg_cmd_def sg_cmd_def_history = {
    .name = "history",
    .synopsis_args = "",
    .opts = sg_history_opts,
    .summary = "list the remedies applied and rolled back (the action journal)",
    .help = "Lists the entries of the action journal: id, time, who, action, target, status\n"
            "and the old and new values.",
    .handler = sg_cmd_history,
};
