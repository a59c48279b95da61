/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * swapguard report: one report round by hand. Diagnoses like `diagnose
 * --count 2`, then hands every domain to sg_report_round_ex as changed (no
 * previous verdict) and prints, per domain, what went where.
 *
 * The metadata needs a read-write libvirt connection. Under -r the round
 * runs without it: the metadata is "skipped" with the reason "read-only
 * connection (-r)", the other outputs go on. Exit status 1 when any configured
 * output failed (each failure was logged as a warning), else 0; an absent
 * receiver (-ENOENT: no journald or syslog, no textfile directory, no domain
 * log yet) is skipped with a warning.
 */
#include <string.h>
#include <time.h>

#include "agent/cli/cli.h"
#include "agent/core/diagnose.h"
#include "agent/report/report.h"

enum { RP_OPT_ALL, RP_OPT_INTERVAL, RP_OPT_JSON, RP_OPT_CONFIG };
static const struct sg_opt_def sg_report_opts[] = {
    [RP_OPT_ALL] = { "all", NULL, "every running domain (the default without DOMAIN)" },
    [RP_OPT_INTERVAL] = { "interval", "S", "seconds between the two ticks of the diagnosis (default 1)" },
    [RP_OPT_JSON] = { "json", NULL, "print what was reported where as one JSON document" },
    [RP_OPT_CONFIG] = { "config", "FILE", "configuration file (default " SG_CONFIG_DEFAULT_PATH ")" },
    { NULL, NULL, NULL },
};

#define RO_REASON "read-only connection (-r)"

static json_object *result_to_json(const struct sg_dom *w, const struct sg_verdict *v,
                                   const struct sg_report_result *res)
{
    json_object *o = json_object_new_object(), *outs = json_object_new_object();

    json_object_object_add(o, "name", json_object_new_string(w->d.name));
    json_object_object_add(o, "uuid", json_object_new_string(w->d.uuid));
    json_object_object_add(o, "verdict", json_object_new_string(sg_verdict_name(v->kind)));
    json_object_object_add(o, "confidence", json_object_new_double(v->confidence));
    for (int k = 0; k < SG_REPORT__MAX; k++) {
        json_object *e = json_object_new_object();
        bool has_where = res->st[k] != SG_REPORT_OFF;

        json_object_object_add(e, "status", json_object_new_string(sg_report_status_name(res->st[k])));
        json_object_object_add(e, res->st[k] == SG_REPORT_DONE ? "where" : "why",
                               has_where ? json_object_new_string(res->where[k]) : NULL);
        json_object_object_add(outs, sg_report_output_name((enum sg_report_output)k), e);
    }
    json_object_object_add(o, "outputs", outs);
    return o;
}

/* "'NAME' VERDICT (C): reported to OUT WHERE, ...; skipped: OUT (WHY); failed: OUT (WHY)" */
static void result_print(FILE *f, const struct sg_dom *w, const struct sg_verdict *v,
                         const struct sg_report_result *res)
{
    static const enum sg_report_status order[] = { SG_REPORT_DONE, SG_REPORT_SKIPPED, SG_REPORT_FAILED };
    static const char *const heads[] = { "reported to", "skipped:", "failed:" };
    char name[512];
    bool any = false;

    fprintf(f, "'%s' %s (%.2f):", sg_fmt_safe(w->d.name, name, sizeof(name)),
            sg_verdict_name(v->kind), v->confidence);
    for (size_t s = 0; s < SG_ELEMENTSOF(order); s++) {
        bool first = true;

        for (int k = 0; k < SG_REPORT__MAX; k++) {
            if (res->st[k] != order[s])
                continue;
            if (first)
                fprintf(f, "%s%s", any ? "; " : " ", heads[s]);
            else
                fputc(',', f);
            fprintf(f, order[s] == SG_REPORT_DONE ? " %s %s" : " %s (%s)",
                    sg_report_output_name((enum sg_report_output)k), res->where[k]);
            first = false;
            any = true;
        }
    }
    if (!any)
        fprintf(f, " every output is off in the configuration");
    fputc('\n', f);
}

static double unix_now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_REALTIME, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int sg_cmd_report(struct sg_ctx *ctx, const struct sg_cmd_args *a)
{
    struct sg_diag g = {0};
    struct sg_diag_opts o = {0};
    const struct sg_host_facts *host = NULL;
    struct sg_report_dom *d = NULL;
    struct sg_report_result *res = NULL;
    bool metadata_ro = false;
    int r;

    if (sg_diag_parse_common(sg_report_opts, a, RP_OPT_ALL, RP_OPT_INTERVAL, -1, &o) < 0)
        return 1;
    o.count = 2;
    if (a->set[RP_OPT_JSON])
        ctx->json = true;
    if (sg_diag_load_config(ctx, a->val[RP_OPT_CONFIG], &g.cfg) < 0)
        return 1;
    if (g.cfg.report_metadata) {
        if (ctx->readonly) {
            metadata_ro = true;
            g.cfg.report_metadata = false;
        } else if (sg_ctx_connect(ctx, true) < 0) { /* diagnose alone may settle for read-only */
            sg_config_clear(&g.cfg);
            return 1;
        }
    }
    r = sg_diag_run(ctx, &o, &g);
    if (r < 0) {
        sg_diag_clear(&g);
        return 1;
    }
    /* The Nova labels of swapguard_domain_info: one libvirt call per domain. */
    for (size_t i = 0; g.cfg.textfile[0] && i < g.n; i++) {
        struct sg_error err = { 0 };
        char msg[1024], name[512];

        if (g.w[i].dom && sg_dom_read_meta(&g.w[i], &err) < 0)
            sg_log_warning("domain '%s': no Nova labels in the textfile: %s",
                           sg_fmt_safe(g.w[i].d.name, name, sizeof(name)), sg_error_format(&err, msg, sizeof(msg)));
    }
    if (g.s.host_n)
        host = &g.s.host[(g.s.host_head + g.s.host_n - 1) % g.s.cap];
    d = calloc(g.n + 1, sizeof(*d));
    res = calloc(g.n + 1, sizeof(*res));
    if (!d || !res) {
        free(d);
        free(res);
        sg_diag_clear(&g);
        sg_log_error("%s", strerror(ENOMEM));
        return 1;
    }
    for (size_t i = 0; i < g.n; i++) {
        const struct sg_dom_ring *ring = sg_sampler_dom(&g.s, g.w[i].d.uuid);

        d[i] = (struct sg_report_dom){
            .w = &g.w[i],
            .v = &g.v[i],
            .last = ring && ring->n ? ring->last : NULL,
            .prev_verdict = NULL,
            .changed = true,
        };
    }
    r = sg_report_round_ex(&g.cfg, host, d, g.n, unix_now(), res);
    for (size_t i = 0; metadata_ro && i < g.n; i++) {
        res[i].st[SG_REPORT_METADATA] = SG_REPORT_SKIPPED;
        snprintf(res[i].where[SG_REPORT_METADATA], sizeof(res[i].where[0]), "%s", RO_REASON);
    }

    if (ctx->json) {
        json_object *root = json_object_new_object(), *arr = json_object_new_array();
        json_object_object_add(root, "config", g.cfg.path[0] ? json_object_new_string(g.cfg.path) : NULL);
        json_object_object_add(root, "ok", json_object_new_boolean(r == 0));
        for (size_t i = 0; i < g.n; i++)
            json_object_array_add(arr, result_to_json(&g.w[i], &g.v[i], &res[i]));
        json_object_object_add(root, "domains", arr);
        sg_json_print(ctx->out, root);
        json_object_put(root);
    } else {
        if (g.n == 0)
            fprintf(ctx->out, "no running domain to report on\n");
        for (size_t i = 0; i < g.n; i++)
            result_print(ctx->out, &g.w[i], &g.v[i], &res[i]);
    }
    free(d);
    free(res);
    sg_diag_clear(&g);
    return r < 0 ? 1 : 0;
}

const struct sg_cmd_def sg_cmd_def_report = {
    .name = "report",
    .synopsis_args = "[DOMAIN]",
    .max_args = 1,
    .opts = sg_report_opts,
    .summary = "diagnose once and report into libvirt metadata, the logs and Prometheus",
    .help = "Diagnoses like 'diagnose --count 2', then reports every verdict: a\n"
            "<swapguard:report> metadata element on the running domain (live only; libvirt\n"
            "raises a metadata-change event), a line in the domain's libvirt log, a journald\n"
            "entry (syslog without journald), the Prometheus textfile and the JSON Lines\n"
            "history, as configured in [report]; prints what went where, per domain.\n"
            "The metadata needs a read-write connection: under -r it is skipped (said so)\n"
            "and the other outputs go on. Exit status 1 when a configured output failed; an\n"
            "absent receiver (no journald or syslog, no textfile directory, no domain log\n"
            "yet) is skipped with a warning.",
    .handler = sg_cmd_report,
};
