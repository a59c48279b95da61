/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* swapguard diagnose: the verdict of each domain, with its evidence. */
#include <string.h>

#include "agent/cli/cli.h"
#include "agent/core/config.h"
#include "agent/core/diagnose.h"

static void print_table(FILE *f, const struct sg_diag *g)
{
    fprintf(f, " %-4s %-24s %-22s %s\n", "Id", "Name", "Verdict", "Confidence");
    fprintf(f, "%s\n", "--------------------------------------------------------------------");
    for (size_t i = 0; i < g->n; i++) {
        char id[16], name[512];

        snprintf(id, sizeof(id), g->w[i].d.id >= 0 ? "%d" : "-", g->w[i].d.id);
        fprintf(f, " %-4s %-24s %-22s %.2f\n", id, sg_fmt_safe(g->w[i].d.name, name, sizeof(name)),
                sg_verdict_name(g->v[i].kind), g->v[i].confidence);
    }
}

/* ---- diagnose ----------------------------------------------------------------- */

enum { DG_OPT_ALL, DG_OPT_INTERVAL, DG_OPT_COUNT, DG_OPT_JSON, DG_OPT_CONFIG, DG_OPT_RECORD };
static const struct sg_opt_def sg_diagnose_opts[] = {
    [DG_OPT_ALL] = { "all", NULL, "every running domain (the default without DOMAIN)" },
    [DG_OPT_INTERVAL] = { "interval", "S", "seconds between ticks (default 1)" },
    [DG_OPT_COUNT] = { "count", "N", "ticks to take (default 2; rates need 2)" },
    [DG_OPT_JSON] = { "json", NULL, "print JSON" },
    [DG_OPT_CONFIG] = { "config", "FILE", "configuration file (default " SG_CONFIG_DEFAULT_PATH ")" },
    [DG_OPT_RECORD] = { "record", "FILE", "append every tick's facts to FILE as JSON Lines" },
    { NULL, NULL, NULL },
};

int sg_diag_parse_common(const struct sg_opt_def *opts, const struct sg_cmd_args *a, int i_all,
                         int i_interval, int i_count, struct sg_diag_opts *o)
{
    double interval = 1, count = 2;

    if (a->argc && i_all >= 0 && a->set[i_all]) {
        sg_log_error("give either DOMAIN or --all, not both");
        return -EINVAL;
    }
    if (sg_opt_number(opts, a, i_interval, 0, 3600, &interval) < 0 ||
        (i_count >= 0 && sg_opt_number(opts, a, i_count, 1, 100000, &count) < 0))
        return -EINVAL;
    o->domain = a->argc ? a->argv[0] : NULL;
    o->interval_s = interval;
    o->count = (unsigned)count;
    o->probe_guests = true;
    return 0;
}

static int sg_cmd_diagnose(struct sg_ctx *ctx, const struct sg_cmd_args *a)
{
    struct sg_diag g = {0};
    struct sg_diag_opts o = {0};
    _cleanup_fclose_ FILE *rec = NULL;
    int r;

    if (sg_diag_parse_common(sg_diagnose_opts, a, DG_OPT_ALL, DG_OPT_INTERVAL, DG_OPT_COUNT, &o) < 0)
        return 1;
    if (a->set[DG_OPT_JSON])
        ctx->json = true;
    if (sg_diag_load_config(ctx, a->val[DG_OPT_CONFIG], &g.cfg) < 0)
        return 1;
    if (a->set[DG_OPT_RECORD]) {
        rec = fopen(a->val[DG_OPT_RECORD], "ae");
        if (!rec) {
            char p[4096];
            sg_log_error("%s: %s", sg_fmt_safe(a->val[DG_OPT_RECORD], p, sizeof(p)), strerror(errno));
            sg_config_clear(&g.cfg);
            return 1;
        }
        o.record = rec;
    }
    o.neighbours = true;
    r = sg_diag_run(ctx, &o, &g);
    if (r < 0) {
        sg_diag_clear(&g);
        return 1;
    }
    if (ctx->json) {
        json_object *root = json_object_new_object(), *arr = json_object_new_array();
        json_object_object_add(root, "interval_s", json_object_new_double(o.interval_s));
        json_object_object_add(root, "count", json_object_new_uint64(o.count));
        json_object_object_add(root, "window_s", json_object_new_double(g.cfg.window_s));
        json_object_object_add(root, "config", g.cfg.path[0] ? json_object_new_string(g.cfg.path) : NULL);
        for (size_t i = 0; i < g.n; i++) {
            json_object *d = sg_verdict_to_json(&g.w[i], &g.v[i]);
            json_object_object_add(d, "neighbours", sg_diag_neighbours_to_json(&g, i));
            json_object_array_add(arr, d);
        }
        json_object_object_add(root, "domains", arr);
        sg_json_print(ctx->out, root);
        json_object_put(root);
    } else {
        print_table(ctx->out, &g);
        for (size_t i = 0; i < g.n; i++) {
            sg_verdict_print(ctx->out, &g.w[i], &g.v[i]);
            sg_diag_neighbours_print(ctx->out, &g, i);
        }
    }
    sg_diag_clear(&g);
    return 0;
}

const struct sg_cmd_def sg_cmd_def_diagnose = {
    .name = "diagnose",
    .synopsis_args = "[DOMAIN]",
    .max_args = 1,
    .opts = sg_diagnose_opts,
    .summary = "verdict per domain: is host swap stalling the guest, with the evidence",
    .help = "Takes --count ticks --interval seconds apart: host memory and PSI, each running\n"
            "domain's O(1) host figures (VmSwap, memory cgroup swap and major faults, PSI),\n"
            "its KVM async-PF tracepoint counts (perf_event_open per vCPU thread) and one\n"
            "guest-agent probe (tasks waiting in async PF, hung-task reports, guest swap).\n"
            "Then, per domain: host-swap-stall, host-swap-risk, guest-internal-swap,\n"
            "host-memory-pressure, ok or unknown, with a confidence, the evidence and what\n"
            "could not be seen. Thresholds come from the config file. Guest probes need a\n"
            "read-write connection; under -r the verdict does without them.",
    .handler = sg_cmd_diagnose,
};
