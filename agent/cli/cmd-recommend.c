/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * swapguard recommend: the diagnosis of cmd-diagnose.c, then the host and
 * domain context that the remedies need (read on demand: /proc/swaps, the
 * hugepage pools, every process for the OOM forecast, smaps of the guest-RAM
 * VMA, the persistent domain XML), then policies/recommend.c.
 */
#include <inttypes.h>
#include <math.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agent/cli/cli.h"
#include "agent/core/diagnose.h"
#include "hostprobe/domxml.h"
#include "hostprobe/hostmem.h"
#include "hostprobe/lostime.h"
#include "hostprobe/oomscan.h"
#include "hostprobe/smaps.h"
#include "hostprobe/sysctl.h"
#include "policies/recommend.h"

#define MAX_RECS 256

/*
 * Does process_madvise(2) accept MADV_WILLNEED (Linux >= 5.15; the syscall
 * itself is 5.10)? Asked of the kernel: an empty iovec on our own pidfd
 * returns 0 when the advice is allowed, EINVAL when not, ENOSYS without it.
 */
static bool have_process_madvise_willneed(void)
{
#if defined(SYS_process_madvise) && defined(SYS_pidfd_open)
    _cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
    struct iovec none = { 0 };

    if (pidfd < 0)
        return false;
    return syscall(SYS_process_madvise, pidfd, &none, 0, MADV_WILLNEED, 0) == 0;
#else
    return false;
#endif
}

/* vm.swappiness (0 .. 200), -1 when unreadable. */
static int read_swappiness(const struct sg_fs *fs)
{
    uint64_t v;

    return sg_sysctl_read_u64(fs, "vm/swappiness", 200, &v) < 0 ? -1 : (int)v;
}

/* The persistent (inactive) XML of dom, parsed; false when unavailable. */
static bool domain_xml(virDomainPtr dom, struct sg_domxml *x)
{
    char why[256];
    char *xml;
    int r;

    if (!dom)
        return false;
    xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE);
    if (!xml)
        return false;
    r = sg_domxml_parse(xml, x, why, sizeof(why));
    free(xml);
    return r == 0;
}

/* Everything sg_recommend needs, with the storage its pointers refer to. */
struct rec_input {
    struct sg_host_sample hs;
    struct sg_rec_swapdev *swaps;
    struct sg_rec_hugepool *pools;
    struct sg_oom_proc *procs;
    struct sg_rec_host host;
    struct sg_rec_domain *doms;
    struct sg_domxml *xml;
};

static void rec_input_clear(struct rec_input *in)
{
    sg_host_sample_clear(&in->hs);
    free(in->swaps);
    free(in->pools);
    free(in->procs);
    free(in->doms);
    free(in->xml);
}

static int host_context(struct sg_ctx *ctx, struct rec_input *in, struct sg_error *err)
{
    struct sg_rec_host *h = &in->host;
    int r, n;

    r = sg_host_read(&ctx->fs, true, &in->hs, err);
    if (r < 0)
        return r;
    h->mem_total_kib = in->hs.mem.mem_total_kib;
    h->mem_available_kib = in->hs.mem.mem_available_kib;
    h->swap_total_kib = in->hs.mem.swap_total_kib;
    h->swap_free_kib = in->hs.mem.swap_free_kib;
    in->swaps = calloc(in->hs.n_swaps + 1, sizeof(*in->swaps));
    in->pools = sg_collect_hugepools(&in->hs);
    if (!in->swaps || !in->pools)
        return -ENOMEM;
    for (size_t i = 0; i < in->hs.n_swaps; i++) {
        snprintf(in->swaps[i].filename, sizeof(in->swaps[i].filename), "%s", in->hs.swaps[i].filename);
        in->swaps[i].size_kib = in->hs.swaps[i].size_kib;
        in->swaps[i].used_kib = in->hs.swaps[i].used_kib;
    }
    h->swaps = in->swaps;
    h->n_swaps = in->hs.n_swaps;
    h->pools = in->pools;
    h->n_pools = in->hs.n_pools;
    h->swappiness = read_swappiness(&ctx->fs);
    h->delayacct_off = sg_delayacct_enabled(&ctx->fs) == 0;
    h->process_madvise = have_process_madvise_willneed();
    h->page_kib = (uint64_t)sysconf(_SC_PAGESIZE) / 1024;
    n = sg_oom_scan(&ctx->fs, &in->procs);
    if (n < 0)
        return n;
    h->procs = in->procs;
    h->n_procs = (size_t)n;

    return 0;
}

static int domain_context(struct sg_ctx *ctx, struct sg_diag *g, struct rec_input *in,
                          struct sg_error *err)
{
    in->doms = calloc(g->n + 1, sizeof(*in->doms));
    in->xml = calloc(g->n + 1, sizeof(*in->xml));
    if (!in->doms || !in->xml)
        return -ENOMEM;
    for (size_t i = 0; i < g->n; i++) {
        struct sg_dom *w = &g->w[i];
        struct sg_rec_domain *d = &in->doms[i];
        const struct sg_dom_ring *ring = sg_sampler_dom(&g->s, w->d.uuid);
        const struct sg_dom_facts *last = NULL;
        struct sg_cgroup_stats cs;
        struct sg_guest_ram gr;

        if (ring && ring->n)
            last = ring->last;
        d->name = w->d.name;
        d->uuid = w->d.uuid;
        d->guest_ram_kib = w->d.max_memory_kib;
        d->vm_swap_kib = last && last->running ? last->vm_swap_kib : SG_POLICY_NONE;
        d->guest_ram_swap_kib = SG_POLICY_NONE;
        d->memory_limit_kib = SG_POLICY_NONE;
        d->verdict = g->v[i];
        d->qemu_pid = w->located ? (int)w->d.pid : 0;
        if (w->located) {
            d->cgroup_version = w->cg.memory_version;
            d->cgroup_path = w->cg.memory_path;
            if (w->cg.memory_version && sg_cgroup_read(&ctx->fs, &w->cg, &cs, err) == 0 &&
                cs.limit_bytes != SG_NONE && cs.limit_bytes != SG_UNLIMITED)
                d->memory_limit_kib = cs.limit_bytes / 1024;
            /* smaps walks page tables: only for a guest that has swap to pull back. */
            if (d->vm_swap_kib != SG_POLICY_NONE && d->vm_swap_kib > 0 &&
                sg_guest_ram_read(&ctx->fs, w->d.pid, w->d.max_memory_kib, &gr, err) == 0 && gr.found)
                d->guest_ram_swap_kib = gr.swap_kib;
            if (sg_oom_score_adj_read(&ctx->fs, w->d.pid, &d->oom_score_adj) < 0)
                d->oom_score_adj = 0;
        }
        if (domain_xml(w->dom, &in->xml[i])) {
            d->locked = in->xml[i].locked;
            d->hugepages = in->xml[i].hugepages;
            d->nova = in->xml[i].nova;
            d->nova_flavor = in->xml[i].nova_flavor[0] ? in->xml[i].nova_flavor : NULL;
            d->numa_nodes = in->xml[i].numa_nodes;
            d->n_numa_nodes = in->xml[i].n_numa_nodes;
        }
    }
    memset(err, 0, sizeof(*err));
    return 0;
}

/*
 * The overcommit and the locked total count every running domain, not only
 * those diagnosed; the XML of a diagnosed domain was parsed by
 * domain_context already and is not fetched again.
 */
static int host_domain_totals(struct sg_ctx *ctx, const struct sg_diag *g, struct rec_input *in,
                              struct sg_error *err)
{
    struct sg_rec_host *h = &in->host;
    struct sg_domain *all = NULL;
    int n;

    n = sg_domains_list(ctx->conn, false, &all, err);
    if (n < 0)
        return n;
    for (int i = 0; i < n; i++) {
        const struct sg_domxml *x = NULL;
        struct sg_domxml other;

        for (size_t j = 0; j < g->n && !x; j++)
            if (strcasecmp(g->w[j].d.uuid, all[i].uuid) == 0)
                x = &in->xml[j];
        if (!x) {
            virDomainPtr dom = virDomainLookupByUUIDString(ctx->conn, all[i].uuid);

            if (domain_xml(dom, &other))
                x = &other;
            if (dom)
                virDomainFree(dom);
        }
        h->sum_guest_ram_kib += all[i].max_memory_kib;
        if (x && x->locked)
            h->locked_guests_kib += all[i].max_memory_kib;
    }
    sg_domains_free(all, (size_t)n);
    return 0;
}

/* Steps *p over the next line of a command text (start in *line, length in *n); false at its end. */
static bool next_line(const char **p, const char **line, size_t *n)
{
    if (!**p)
        return false;
    *n = strcspn(*p, "\n");
    *line = *p;
    *p += *n + ((*p)[*n] == '\n');
    return true;
}

static void print_rec_text(FILE *f, size_t rank, const struct sg_rec *r)
{
    char name[512], text[4096];
    const char *p, *line;
    size_t n;

    if (r->host)
        fprintf(f, "\n%zu. host: %s", rank, sg_rec_action_name(r->action));
    else
        fprintf(f, "\n%zu. domain '%s': %s", rank, sg_fmt_safe(r->domain, name, sizeof(name)),
                sg_rec_action_name(r->action));
    fprintf(f, " (%s, risk %s)%s\n", r->live ? "live" : "next boot", sg_rec_risk_name(r->risk),
            r->refused ? " REFUSED" : "");
    fprintf(f, "   why:          %s\n", sg_fmt_safe(r->why, text, sizeof(text)));
    fprintf(f, "   precondition: %s\n", sg_fmt_safe(r->precondition, text, sizeof(text)));
    fprintf(f, "   risk:         %s\n", sg_fmt_safe(r->risk_text, text, sizeof(text)));
    if (r->n_forecast) {
        fprintf(f, "   OOM forecast (oom_badness after swapoff, pages):\n");
        for (size_t i = 0; i < r->n_forecast; i++)
            fprintf(f, "     pid %-8d %-20s %" PRId64 "\n", r->forecast[i].pid,
                    sg_fmt_safe(r->forecast[i].comm, name, sizeof(name)), r->forecast[i].points);
    }
    if (r->command[0]) {
        fprintf(f, "   %s:\n", r->refused ? "would be" : "command");
        for (p = r->command; next_line(&p, &line, &n);) {
            snprintf(text, sizeof(text), "%.*s", (int)n, line);
            fprintf(f, "     %s\n", sg_fmt_safe(text, name, sizeof(name)));
        }
    }
}

static json_object *rec_json(size_t rank, const struct sg_rec *r)
{
    json_object *o = json_object_new_object(), *cmd = json_object_new_array(),
                *fc = json_object_new_array();
    const char *p, *line;
    size_t n;

    json_object_object_add(o, "rank", json_object_new_uint64(rank));
    json_object_object_add(o, "target", json_object_new_string(r->host ? "host" : "domain"));
    json_object_object_add(o, "domain", r->host ? NULL : json_object_new_string(r->domain));
    json_object_object_add(o, "action", json_object_new_string(sg_rec_action_name(r->action)));
    json_object_object_add(o, "refused", json_object_new_boolean(r->refused));
    json_object_object_add(o, "live", json_object_new_boolean(r->live));
    json_object_object_add(o, "risk", json_object_new_string(sg_rec_risk_name(r->risk)));
    json_object_object_add(o, "why", json_object_new_string(r->why));
    json_object_object_add(o, "precondition", json_object_new_string(r->precondition));
    json_object_object_add(o, "risk_text", json_object_new_string(r->risk_text));
    for (p = r->command; next_line(&p, &line, &n);)
        json_object_array_add(cmd, json_object_new_string_len(line, (int)n));
    json_object_object_add(o, "command", cmd);
    for (size_t i = 0; i < r->n_forecast; i++) {
        json_object *x = json_object_new_object();
        json_object_object_add(x, "pid", json_object_new_int(r->forecast[i].pid));
        json_object_object_add(x, "comm", json_object_new_string(r->forecast[i].comm));
        json_object_object_add(x, "points", json_object_new_int64(r->forecast[i].points));
        json_object_array_add(fc, x);
    }
    json_object_object_add(o, "oom_forecast", fc);
    return o;
}

enum { RC_OPT_ALL, RC_OPT_INTERVAL, RC_OPT_JSON, RC_OPT_CONFIG };
static const struct sg_opt_def sg_recommend_opts[] = {
    [RC_OPT_ALL] = { "all", NULL, "every running domain (the default without DOMAIN)" },
    [RC_OPT_INTERVAL] = { "interval", "S", "seconds between the two ticks of the diagnosis (default 1)" },
    [RC_OPT_JSON] = { "json", NULL, "print JSON" },
    [RC_OPT_CONFIG] = { "config", "FILE", "configuration file (default " SG_CONFIG_DEFAULT_PATH ")" },
    { NULL, NULL, NULL },
};

static int sg_cmd_recommend(struct sg_ctx *ctx, const struct sg_cmd_args *a)
{
    struct sg_diag g = {0};
    struct sg_diag_opts o = {0};
    struct rec_input in = {0};
    struct sg_error err = {0};
    struct sg_rec *recs = NULL;
    size_t n;
    int r;

    if (sg_diag_parse_common(sg_recommend_opts, a, RC_OPT_ALL, RC_OPT_INTERVAL, -1, &o) < 0)
        return 1;
    if (a->set[RC_OPT_JSON])
        ctx->json = true;
    if (sg_diag_load_config(ctx, a->val[RC_OPT_CONFIG], &g.cfg) < 0)
        return 1;
    r = sg_diag_run(ctx, &o, &g);
    if (r < 0)
        goto out;
    r = host_context(ctx, &in, &err);
    if (r == 0)
        r = domain_context(ctx, &g, &in, &err);
    if (r == 0)
        r = host_domain_totals(ctx, &g, &in, &err);
    recs = r == 0 ? calloc(MAX_RECS, sizeof(*recs)) : NULL;
    if (r == 0 && !recs)
        r = -ENOMEM;
    if (r < 0) {
        sg_log_error_errno(r, &err);
        goto out;
    }
    n = sg_recommend(&g.cfg.rec, &in.host, in.doms, g.n, recs, MAX_RECS);

    if (ctx->json) {
        json_object *root = json_object_new_object(), *va = json_object_new_array(),
                    *ra = json_object_new_array();
        for (size_t i = 0; i < g.n; i++)
            json_object_array_add(va, sg_verdict_to_json(&g.w[i], &g.v[i]));
        for (size_t i = 0; i < n; i++)
            json_object_array_add(ra, rec_json(i + 1, &recs[i]));
        json_object_object_add(root, "config", g.cfg.path[0] ? json_object_new_string(g.cfg.path) : NULL);
        json_object_object_add(root, "domains", va);
        json_object_object_add(root, "recommendations", ra);
        sg_json_print(ctx->out, root);
        json_object_put(root);
    } else {
        char name[512];
        fprintf(ctx->out, "Verdicts:\n");
        for (size_t i = 0; i < g.n; i++)
            fprintf(ctx->out, "  %-24s %s (%.2f)\n", sg_fmt_safe(g.w[i].d.name, name, sizeof(name)),
                    sg_verdict_name(g.v[i].kind), g.v[i].confidence);
        if (!n)
            fprintf(ctx->out, "\nNo recommendations: no domain is at risk from host swap.\n");
        else
            fprintf(ctx->out, "\nRecommendations, safest first (%zu):\n", n);
        for (size_t i = 0; i < n; i++)
            print_rec_text(ctx->out, i + 1, &recs[i]);
    }
out:
    free(recs);
    rec_input_clear(&in);
    sg_diag_clear(&g);
    return r < 0 ? 1 : 0;
}

const struct sg_cmd_def sg_cmd_def_recommend = {
    .name = "recommend",
    .synopsis_args = "[DOMAIN]",
    .max_args = 1,
    .opts = sg_recommend_opts,
    .summary = "remedies for the domains at risk, safest first, with exact commands",
    .help = "Diagnoses like 'diagnose --count 2', then reads on demand what the remedies need\n"
            "(swap devices, hugepage pools per NUMA node, every process for the OOM forecast,\n"
            "smaps of the guest-RAM VMA, the persistent domain XML) and prints each remedy:\n"
            "target, why, the precondition checked, risk, live or next boot, and the exact\n"
            "command or XML. A remedy whose precondition fails is shown REFUSED with the\n"
            "reason (swapoff: the processes the OOM killer would kill first). Nova-managed\n"
            "domains get flavor extra specs instead of XML edits. Changes nothing.",
    .handler = sg_cmd_recommend,
};
