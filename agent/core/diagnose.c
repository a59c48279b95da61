/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The diagnosis engine of `diagnose`, `recommend` and `report`: samples the
 * host, the domains and their guests a few times into the sampler and
 * renders each domain's verdict with its evidence (text and JSON).
 */
#include <inttypes.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "agent/core/collect.h"
#include "agent/core/config.h"
#include "agent/core/diagnose.h"
#include "hostprobe/procfs.h"
#include "util/fmt.h"
#include "util/log.h"
#include "policies/sampler.h"

static void sleep_until(double t)
{
    double d = t - sg_mono_s();
    struct timespec ts;

    if (d <= 0)
        return;
    ts.tv_sec = (time_t)d;
    ts.tv_nsec = (long)((d - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

void sg_diag_clear(struct sg_diag *g)
{
    for (size_t i = 0; i < g->n; i++)
        sg_dom_clear(&g->w[i]);
    free(g->w);
    free(g->v);
    free(g->nb);
    free(g->scan0);
    sg_sampler_clear(&g->s);
    sg_config_clear(&g->cfg);
    memset(g, 0, sizeof(*g));
}

int sg_diag_load_config(struct sg_ctx *ctx, const char *path, struct sg_config *cfg)
{
    char msg[8192];
    int r;

    r = sg_config_load(cfg, path ? path : SG_CONFIG_DEFAULT_PATH, path == NULL, msg, sizeof(msg));
    if (r < 0)
        sg_log_error("%s", msg);
    else
        sg_lv_set_timeout_ms(cfg->libvirt_timeout_ms);
    return r;
}

/* Fills g->w[] with the domain named ref, or every active domain (ref NULL). */
static int select_domains(struct sg_ctx *ctx, const char *ref, struct sg_diag *g)
{
    struct sg_error err = {0};
    struct sg_domain *doms = NULL;
    virDomainPtr one = NULL;
    int n, r;

    if (ref) {
        doms = calloc(1, sizeof(*doms));
        if (!doms)
            return sg_log_error_errno(-ENOMEM, &err);
        r = sg_domain_lookup(ctx->conn, ref, &doms[0], &one, &err);
        if (r < 0) {
            free(doms);
            return sg_log_error_errno(r, &err);
        }
        n = 1;
    } else {
        bool fell_back;

        n = sg_lv_domains_list(ctx->conn, false, sg_lv_timeout_ms(), &doms, &fell_back, &err);
        if (n < 0)
            return sg_log_error_errno(n, &err);
        if (fell_back)
            sg_log_warning("libvirt's stats listing did not answer within %d ms (a domain whose QEMU "
                           "does not answer holds it): listed without it", sg_lv_timeout_ms());
    }
    /* One scan of /proc for all domains. */
    r = sg_domains_find_pids(&ctx->fs, doms, (size_t)n);
    g->w = calloc((size_t)n + 1, sizeof(*g->w));
    if (r < 0 || !g->w) {
        sg_domains_free(doms, (size_t)n);
        if (one)
            virDomainFree(one);
        if (r < 0)
            sg_log_error("%s: %s", ctx->fs.proc_path, strerror(-r));
        else
            sg_log_error_errno(-ENOMEM, &err);
        return r < 0 ? r : -ENOMEM;
    }
    for (int i = 0; i < n; i++) {
        g->w[i].d = doms[i];
        g->w[i].dom = ref ? one : virDomainLookupByUUIDString(ctx->conn, doms[i].uuid);
        /* A domain undefined since the listing: its ticks say "not running". */
        if (!g->w[i].dom)
            g->w[i].d.id = -1;
    }
    free(doms); /* the names belong to g->w[] now */
    g->n = (size_t)n;
    return 0;
}

static void record_line(FILE *f, const char *type, const struct sg_dom *w, json_object *facts)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, "type", json_object_new_string(type));
    if (w) {
        json_object_object_add(o, "uuid", json_object_new_string(w->d.uuid));
        json_object_object_add(o, "name", json_object_new_string(w->d.name));
    }
    json_object_object_add(o, "facts", facts);
    fprintf(f, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
}

int sg_diag_tick_dom(const struct sg_fs *fs, const struct sg_config *cfg, struct sg_dom *w,
                     const char *no_probe, struct sg_sampler *s, struct sg_dom_facts *out,
                     struct sg_error *err)
{
    int r;

    r = sg_collect_dom(fs, w, out, err);
    if (r < 0 && w->located && !sg_pid_has_uuid(fs, w->d.pid, w->d.uuid)) {
        /* QEMU exited mid-read (a zombie's status lacks the memory lines, its cmdline is
         * empty): the domain is gone, not an error; its facts say "not running". */
        w->located = false;
        sg_dom_set_why(&w->apf_missing, "domain not running");
        r = sg_collect_dom(fs, w, out, err);
    }
    if (r < 0)
        return r;
    if (!out->running)
        sg_collect_guest_skipped(out, "domain not running");
    else if (no_probe)
        sg_collect_guest_skipped(out, no_probe);
    else
        sg_collect_guest(w, cfg->guest_timeout_s, cfg->hung_max_age_s, out, NULL);
    return sg_sampler_push_dom(s, w->d.uuid, w->d.name, out);
}

/* The allowed CPUs of w's vCPU threads, joined, into nb (cpus, and the set). -errno of the
 * last thread that could not be read when none could. */
static int vcpu_cpus(const struct sg_fs *fs, const struct sg_dom *w, struct sg_cpuset *set,
                     struct sg_diag_neighbours *nb)
{
    int r = -ESRCH;
    size_t len = 0;

    memset(set, 0, sizeof(*set));
    for (size_t t = 0; t < w->n_vcpu_tids; t++) {
        struct sg_cpuset one;
        int q = sg_thread_cpus_allowed(fs, w->d.pid, w->vcpu_tids[t], &one);

        if (q < 0) {
            r = r == 0 ? 0 : q;
            continue;
        }
        r = 0;
        for (size_t k = 0; k < SG_CPUSET_WORDS; k++)
            set->w[k] |= one.w[k];
    }
    /* as a list again, for the reader: "0-3,8" */
    for (int c = 0; r == 0 && c < SG_CPUSET_WORDS * 64 && len + 16 < sizeof(nb->cpus); c++) {
        int e = c;

        if (!sg_cpuset_has(set, c))
            continue;
        while (sg_cpuset_has(set, e + 1))
            e++;
        len += (size_t)snprintf(nb->cpus + len, sizeof(nb->cpus) - len, e > c ? "%s%d-%d" : "%s%d",
                                len ? "," : "", c, e);
        c = e;
    }
    return r;
}

/*
 * For each domain whose verdict is host-cpu-contention: the threads that last ran
 * on its vCPUs' allowed CPUs, ranked by their CPU time between the scan before the
 * first tick and one now, named by domain (their QEMU process) or comm and pid.
 */
static int find_neighbours(struct sg_ctx *ctx, struct sg_diag *g)
{
    _cleanup_free_ struct sg_thread_cpu *scan1 = NULL;
    struct sg_domain *doms = NULL;
    struct sg_error err = {0};
    ssize_t n1 = -ENODATA;
    int n_doms = -1;
    double t1 = 0;

    g->nb = calloc(g->n + 1, sizeof(*g->nb));
    if (!g->nb)
        return sg_log_error_errno(-ENOMEM, &err);
    for (size_t i = 0; i < g->n; i++) {
        struct sg_diag_neighbours *nb = &g->nb[i];
        const struct sg_dom *w = &g->w[i];
        struct sg_cpuset set;
        int r;

        if (g->v[i].kind != SG_VERDICT_HOST_CPU_CONTENTION)
            continue;
        nb->looked = true;
        if (g->n_scan0 < 0) {
            snprintf(nb->missing, sizeof(nb->missing), "%s", g->n_scan0 == -ENODATA ?
                     "one tick: no window to measure CPU time over" : "the thread scan of /proc failed");
            continue;
        }
        if (!w->located || w->n_vcpu_tids == 0) {
            snprintf(nb->missing, sizeof(nb->missing), "no vCPU thread of the domain was read");
            continue;
        }
        r = vcpu_cpus(&ctx->fs, w, &set, nb);
        if (r < 0) {
            snprintf(nb->missing, sizeof(nb->missing), "Cpus_allowed_list of the vCPU threads: %s", strerror(-r));
            continue;
        }
        if (n1 == -ENODATA) {
            n1 = sg_thread_cpu_scan(&ctx->fs, &scan1);
            t1 = sg_mono_s();
        }
        if (n1 < 0) {
            snprintf(nb->missing, sizeof(nb->missing), "the thread scan of /proc failed: %s", strerror((int)-n1));
            continue;
        }
        nb->window_s = t1 - g->t_scan0;
        nb->n = sg_cpu_neighbours(g->scan0, (size_t)g->n_scan0, scan1, (size_t)n1, nb->window_s, &set,
                                  w->vcpu_tids, w->n_vcpu_tids, nb->v, SG_DIAG_NEIGHBOURS_MAX);
        if (nb->n == 0)
            snprintf(nb->missing, sizeof(nb->missing), "no other thread used CPU time on CPUs %.100s", nb->cpus);
        /* Which QEMU process belongs to which domain: every running one (one more scan of /proc). */
        if (nb->n > 0 && n_doms < 0) {
            n_doms = sg_domains_list(ctx->conn, false, &doms, &err);
            if (n_doms > 0 && sg_domains_find_pids(&ctx->fs, doms, (size_t)n_doms) < 0) {
                sg_domains_free(doms, (size_t)n_doms);
                doms = NULL;
                n_doms = 0;
            }
        }
        for (size_t k = 0; k < nb->n; k++)
            for (int d = 0; d < n_doms; d++)
                if (doms[d].pid > 0 && doms[d].pid == nb->v[k].pid)
                    snprintf(nb->domain[k], sizeof(nb->domain[k]), "%s", doms[d].name ? doms[d].name : "");
    }
    if (n_doms > 0)
        sg_domains_free(doms, (size_t)n_doms);
    return 0;
}

static struct sg_dom *diag_dom_at(void *opaque, size_t i)
{
    struct sg_diag *g = opaque;

    return &g->w[i];
}

int sg_diag_run(struct sg_ctx *ctx, const struct sg_diag_opts *o, struct sg_diag *g)
{
    struct sg_error err = {0};
    const char *no_probe = NULL;
    double t0;
    int r;

    if (sg_ctx_fs(ctx) < 0)
        return -EIO;
    if (!o->probe_guests)
        no_probe = "guest probe disabled";
    else if (!g->cfg.guest_probe)
        no_probe = "guest probe disabled in the config ([guestprobe] enabled = no)";
    else if (ctx->readonly)
        no_probe = "guest probe needs a read-write libvirt connection (dropped by -r)";
    if (sg_ctx_connect(ctx, no_probe == NULL) < 0)
        return -EIO;
    r = select_domains(ctx, o->domain, g);
    if (r < 0)
        return r;
    for (size_t i = 0; i < g->n; i++) {
        r = sg_collect_open(&ctx->fs, &g->w[i], &err);
        if (r < 0)
            return sg_log_error_errno(r, &err);
    }
    r = sg_sampler_init(&g->s, g->cfg.ring_length);
    if (r < 0)
        return sg_log_error_errno(r, &err);

    if (o->neighbours && o->count >= 2) {
        g->n_scan0 = sg_thread_cpu_scan(&ctx->fs, &g->scan0);
        g->t_scan0 = sg_mono_s();
    } else {
        g->n_scan0 = -ENODATA;
    }
    t0 = sg_mono_s();
    for (unsigned tick = 0; tick < o->count; tick++) {
        struct sg_host_facts h;

        if (tick)
            sleep_until(t0 + o->interval_s * tick);
        r = sg_collect_host(&ctx->fs, &h, &err);
        if (r < 0)
            return sg_log_error_errno(r, &err);
        sg_sampler_push_host(&g->s, &h);
        if (o->record)
            record_line(o->record, "host", NULL, sg_host_facts_to_json(&h));
        sg_collect_looks(&ctx->fs, diag_dom_at, g, g->n); /* one pause per tick, not per domain */
        for (size_t i = 0; i < g->n; i++) {
            struct sg_dom *w = &g->w[i];
            struct sg_dom_facts d;

            r = sg_diag_tick_dom(&ctx->fs, &g->cfg, w, no_probe, &g->s, &d, &err);
            if (r < 0)
                return sg_log_error_errno(r, &err);
            if (o->record)
                record_line(o->record, "domain", w, sg_dom_facts_to_json(&d));
        }
        if (o->record)
            fflush(o->record);
    }

    g->v = calloc(g->n + 1, sizeof(*g->v));
    if (!g->v)
        return sg_log_error_errno(-ENOMEM, &err);
    for (size_t i = 0; i < g->n; i++)
        sg_sampler_verdict(&g->s, g->w[i].d.uuid, g->cfg.window_s, &g->cfg.verdict, &g->v[i]);
    if (o->neighbours)
        return find_neighbours(ctx, g);
    return 0;
}

/* ---- output ----------------------------------------------------------------- */

/* Each vCPU thread's lost time by cause: [{vcpu, tid, lost_ms_per_s, causes: [{cause,
 * lost_ms_per_s, share, estimated}], looks, looks_swapin, swapin_look_share}]. */
static json_object *vcpus_to_json(const struct sg_verdict *v)
{
    json_object *arr = json_object_new_array();

    for (size_t i = 0; i < v->n_vcpus; i++) {
        const struct sg_vcpu_causes *c = &v->vcpus[i];
        json_object *o = json_object_new_object(), *causes = json_object_new_array();

        json_object_object_add(o, "vcpu", json_object_new_uint64(c->vcpu));
        json_object_object_add(o, "tid", json_object_new_uint64(c->tid));
        json_object_object_add(o, "lost_ms_per_s", sg_json_double(c->lost_ms_per_s));
        for (size_t k = 0; k < SG_VCPU_CAUSE__MAX; k++) {
            json_object *e;

            if (isnan(c->ms[k]))
                continue;
            e = json_object_new_object();
            json_object_object_add(e, "cause", json_object_new_string(sg_vcpu_cause_name(k)));
            json_object_object_add(e, "lost_ms_per_s", sg_json_double(c->ms[k]));
            json_object_object_add(e, "share", sg_json_double(c->share[k]));
            json_object_object_add(e, "estimated", json_object_new_boolean(k == SG_VCPU_CAUSE_HOST_SWAP &&
                                                                            c->swap_estimated));
            json_object_array_add(causes, e);
        }
        json_object_object_add(o, "causes", causes);
        json_object_object_add(o, "looks", json_object_new_uint64(c->looks));
        json_object_object_add(o, "looks_swapin", json_object_new_uint64(c->looks_swapin));
        json_object_object_add(o, "swapin_look_share", sg_json_double(c->swapin_look_share));
        json_object_array_add(arr, o);
    }
    return arr;
}

/* The per-vCPU table under the cause table, and one sentence per vCPU that lost time. */
static void vcpus_print(FILE *f, const struct sg_verdict *v)
{
    bool any = false;

    for (size_t i = 0; i < v->n_vcpus; i++)
        any |= !isnan(v->vcpus[i].lost_ms_per_s) || v->vcpus[i].looks > 0;
    if (!any)
        return;
    fprintf(f, "  per vCPU (lost ms/s, each cause's share of it, looks in the swap-in path):\n");
    fprintf(f, "    %-5s %-8s %9s", "vCPU", "TID", "lost ms/s");
    for (size_t k = 0; k < SG_VCPU_CAUSE__MAX; k++)
        fprintf(f, " %12s", sg_vcpu_cause_name(k));
    fprintf(f, "  %s\n", "swap-in looks");
    for (size_t i = 0; i < v->n_vcpus; i++) {
        const struct sg_vcpu_causes *c = &v->vcpus[i];
        char ms[16];

        snprintf(ms, sizeof(ms), isfinite(c->lost_ms_per_s) ? "%.0f" : "-", c->lost_ms_per_s);
        fprintf(f, "    %-5u %-8u %9s", c->vcpu, c->tid, ms);
        for (size_t k = 0; k < SG_VCPU_CAUSE__MAX; k++) {
            char share[16];

            snprintf(share, sizeof(share), isfinite(c->share[k]) ? "%.0f %%%s" : "-", c->share[k] * 100,
                     k == SG_VCPU_CAUSE_HOST_SWAP && c->swap_estimated ? "~" : "");
            fprintf(f, " %12s", share);
        }
        fprintf(f, "  %" PRIu64 " of %" PRIu64 "\n", c->looks_swapin, c->looks);
    }
    for (size_t i = 0; i < v->n_vcpus; i++) {
        const struct sg_vcpu_causes *c = &v->vcpus[i];
        size_t top = 0;

        if (!(c->lost_ms_per_s >= 1))
            continue;
        for (size_t k = 1; k < SG_VCPU_CAUSE__MAX; k++)
            if (isfinite(c->share[k]) && (!isfinite(c->share[top]) || c->share[k] > c->share[top]))
                top = k;
        fprintf(f, "    %.0f %% of vCPU %u's lost time is %s (%.0f of %.0f ms/s%s)\n", c->share[top] * 100,
                c->vcpu, sg_vcpu_cause_what(top), c->ms[top], c->lost_ms_per_s,
                top == SG_VCPU_CAUSE_HOST_SWAP && c->swap_estimated ? ", estimated from the looks" : "");
    }
}

json_object *sg_verdict_to_json(const struct sg_dom *w, const struct sg_verdict *v)
{
    json_object *o = json_object_new_object(), *arr = json_object_new_array();

    json_object_object_add(o, "name", json_object_new_string(w->d.name));
    json_object_object_add(o, "uuid", json_object_new_string(w->d.uuid));
    json_object_object_add(o, "id", w->d.id >= 0 ? json_object_new_int(w->d.id) : NULL);
    json_object_object_add(o, "verdict", json_object_new_string(sg_verdict_name(v->kind)));
    json_object_object_add(o, "confidence", json_object_new_double(v->confidence));
    json_object_object_add(o, "window_s", sg_json_double(v->window_s));
    json_object_object_add(o, "ticks", json_object_new_uint64(v->n_ticks));
    for (size_t i = 0; i < v->n_ev; i++) {
        json_object *e = json_object_new_object();
        json_object_object_add(e, "key", json_object_new_string(v->ev[i].key));
        json_object_object_add(e, "value", sg_json_double(v->ev[i].value));
        json_object_object_add(e, "text", json_object_new_string(v->ev[i].text));
        json_object_array_add(arr, e);
    }
    json_object_object_add(o, "evidence", arr);
    arr = json_object_new_array();
    for (size_t i = 0; i < v->n_causes; i++) {
        json_object *c = json_object_new_object();
        json_object_object_add(c, "cause", json_object_new_string(v->causes[i].name));
        json_object_object_add(c, "lost_ms_per_s", sg_json_double(v->causes[i].lost_ms_per_s));
        json_object_object_add(c, "share", sg_json_double(v->causes[i].share));
        json_object_object_add(c, "evidence", json_object_new_string(v->causes[i].evidence));
        json_object_array_add(arr, c);
    }
    json_object_object_add(o, "causes", arr);
    json_object_object_add(o, "lost_ms_per_s", sg_json_double(v->lost_ms_per_s));
    json_object_object_add(o, "vcpus", vcpus_to_json(v));
    json_object_object_add(o, "missing", v->missing[0] ? json_object_new_string(v->missing) : NULL);
    return o;
}

void sg_verdict_print(FILE *f, const struct sg_dom *w, const struct sg_verdict *v)
{
    char name[512], text[1024];

    fprintf(f, "\nDomain '%s' (%s): %s, confidence %.2f, %zu tick(s) over %.1f s\n",
            sg_fmt_safe(w->d.name, name, sizeof(name)), w->d.uuid, sg_verdict_name(v->kind),
            v->confidence, v->n_ticks, isfinite(v->window_s) ? v->window_s : 0.0);
    for (size_t i = 0; i < v->n_ev; i++)
        fprintf(f, "  %-24s %s\n", v->ev[i].key, sg_fmt_safe(v->ev[i].text, text, sizeof(text)));
    if (v->n_causes) {
        fprintf(f, "  causes:\n    %-14s %9s %6s  %s\n", "cause", "lost ms/s", "share", "evidence");
        for (size_t i = 0; i < v->n_causes; i++) {
            const struct sg_cause *c = &v->causes[i];
            char ms[16], share[16];

            snprintf(ms, sizeof(ms), isfinite(c->lost_ms_per_s) ? "%.0f" : "-", c->lost_ms_per_s);
            snprintf(share, sizeof(share), isfinite(c->share) ? "%.0f %%" : "-", c->share * 100);
            fprintf(f, "    %-14s %9s %6s  %s\n", c->name, ms, share, sg_fmt_safe(c->evidence, text, sizeof(text)));
        }
    }
    vcpus_print(f, v);
    if (v->missing[0])
        fprintf(f, "  missing: %s\n", sg_fmt_safe(v->missing, text, sizeof(text)));
}

json_object *sg_diag_neighbours_to_json(const struct sg_diag *g, size_t i)
{
    const struct sg_diag_neighbours *nb = g->nb ? &g->nb[i] : NULL;
    json_object *arr;

    if (!nb || !nb->looked)
        return NULL;
    arr = json_object_new_array();
    for (size_t k = 0; k < nb->n; k++) {
        const struct sg_cpu_neighbour *c = &nb->v[k];
        json_object *o = json_object_new_object();
        char accel[8];
        int vcpu;

        json_object_object_add(o, "pid", json_object_new_int(c->pid));
        json_object_object_add(o, "tid", json_object_new_int(c->tid));
        json_object_object_add(o, "comm", json_object_new_string(c->comm));
        json_object_object_add(o, "domain", nb->domain[k][0] ? json_object_new_string(nb->domain[k]) : NULL);
        json_object_object_add(o, "vcpu", nb->domain[k][0] && sg_parse_vcpu_comm(c->comm, &vcpu, accel) ?
                                          json_object_new_int(vcpu) : NULL);
        json_object_object_add(o, "cpu", json_object_new_int(c->cpu));
        json_object_object_add(o, "cpu_ms_per_s", sg_json_double(c->cpu_ms_per_s));
        json_object_array_add(arr, o);
    }
    return arr;
}

void sg_diag_neighbours_print(FILE *f, const struct sg_diag *g, size_t i)
{
    const struct sg_diag_neighbours *nb = g->nb ? &g->nb[i] : NULL;
    char text[512], name[512];

    if (!nb || !nb->looked)
        return;
    if (nb->n == 0) {
        fprintf(f, "  neighbours: none named (%s)\n", sg_fmt_safe(nb->missing, text, sizeof(text)));
        return;
    }
    fprintf(f, "  neighbours on the vCPUs' host CPUs %s (threads that last ran there, CPU time over %.1f s):\n",
            nb->cpus, nb->window_s);
    fprintf(f, "    %8s  %-8s %-8s %-4s %-16s %s\n", "cpu ms/s", "pid", "tid", "cpu", "comm", "what");
    for (size_t k = 0; k < nb->n; k++) {
        const struct sg_cpu_neighbour *c = &nb->v[k];
        char accel[8], what[600];
        int vcpu;

        if (nb->domain[k][0] && sg_parse_vcpu_comm(c->comm, &vcpu, accel))
            snprintf(what, sizeof(what), "domain '%s' vCPU %d", sg_fmt_safe(nb->domain[k], name, sizeof(name)), vcpu);
        else if (nb->domain[k][0])
            snprintf(what, sizeof(what), "domain '%s' (a QEMU thread)", sg_fmt_safe(nb->domain[k], name, sizeof(name)));
        else
            snprintf(what, sizeof(what), "host process");
        fprintf(f, "    %8.0f  %-8d %-8d %-4d %-16s %s\n", c->cpu_ms_per_s, (int)c->pid, (int)c->tid, c->cpu,
                sg_fmt_safe(c->comm, text, sizeof(text)), what);
    }
}
