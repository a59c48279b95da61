/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* swapguard list: every domain with its host-side memory figures, like virsh list. */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "agent/cli/sampling.h"
#include "policies/figures.h"

enum { LIST_OPT_ALL, LIST_OPT_INTERVAL, LIST_OPT_JSON };
static const struct sg_opt_def list_opts[] = {
    [LIST_OPT_ALL] = { "all", NULL, "include inactive domains" },
    [LIST_OPT_INTERVAL] = OPT_INTERVAL,
    [LIST_OPT_JSON] = OPT_JSON,
    { NULL, NULL, NULL },
};

static void print_list_table(const struct sg_ctx *ctx, struct sg_dom_entry *e, size_t n)
{
    FILE *o = ctx->out;

    fprintf(o, " %-4s %-20s %-11s %-8s %-10s %-10s %-15s %-9s %-14s %s\n", "Id", "Name", "State", "PID",
            "Memory", "RSS", "Swapped (host)", "MajFlt/s", "PSI full avg10", "Lost ms/s");
    fprintf(o, "%s\n", "--------------------------------------------------------------------"
                       "----------------------------------------------");
    for (size_t i = 0; i < n; i++) {
        const struct sg_dom_entry *x = &e[i];
        const struct sg_dom_sample *s = sg_latest(x);
        char id[16], name[512], pid[16], mem[32], rss[32], swp[32], flt[32], psi[32], lost[32];
        const char *src = NULL;
        double lost_ms = NAN;
        uint64_t swapped = SG_NONE;
        double rate = NAN;

        snprintf(id, sizeof(id), x->dom.d.id >= 0 ? "%d" : "-", x->dom.d.id);
        snprintf(pid, sizeof(pid), x->running ? "%d" : "-", (int)x->dom.d.pid);
        if (x->running) {
            /* The verdict's rule: the larger of VmSwap and the cgroup's swap. */
            swapped = sg_guest_ram_in_host_swap_kib(s->status.vm_swap_kib, s->cg.swap_bytes);
            rate = s->cg.pgmajfault != SG_NONE
                       ? sg_entry_rate(x, x->s0.cg.pgmajfault, x->s1.cg.pgmajfault)
                       : sg_entry_rate(x, x->s0.stat.majflt, x->s1.stat.majflt);
        }
        /* Swap-in delay with delay accounting; else the vCPUs' run-queue wait (marked ~). */
        if (x->running) {
            lost_ms = sg_entry_lost_ms(x, "swapin", &src);
            if (isnan(lost_ms))
                lost_ms = sg_entry_lost_ms(x, "cpu", &src);
        }
        if (isnan(lost_ms))
            snprintf(lost, sizeof(lost), "-");
        else
            snprintf(lost, sizeof(lost), "%s%.0f", src && strcmp(src, "taskstats") == 0 ? "" : "~", lost_ms);
        if (x->running && s->cg.has_psi && s->cg.psi.has_full)
            snprintf(psi, sizeof(psi), "%.2f", s->cg.psi.full.avg10);
        else
            snprintf(psi, sizeof(psi), "-");
        /* virsh list's State column (virDomainState as virsh prints it) */
        fprintf(o, " %-4s %-20s %-11s %-8s %-10s %-10s %-15s %-9s %-14s %s\n", id,
                sg_fmt_safe(x->dom.d.name, name, sizeof(name)), sg_domain_state_name(x->dom.d.state), pid,
                sg_fmt_kib(x->dom.d.memory_kib, mem, sizeof(mem)),
                sg_fmt_kib(x->running ? s->status.vm_rss_kib : SG_NONE, rss, sizeof(rss)),
                sg_fmt_kib(swapped, swp, sizeof(swp)), sg_fmt_rate(rate, flt, sizeof(flt)), psi, lost);
    }
}

static int cmd_list(struct sg_ctx *ctx, const struct sg_cmd_args *a)
{
    struct sg_error err = {0};
    struct sg_domain *doms = NULL;
    struct sg_dom_entry *e;
    double interval;
    bool fell_back;
    int n, r;

    if (sg_parse_interval(list_opts, a, LIST_OPT_INTERVAL, &interval) < 0)
        return 1;
    if (a->set[LIST_OPT_JSON])
        ctx->json = true;
    if (sg_ctx_fs(ctx) < 0 || sg_ctx_connect(ctx, false) < 0)
        return 1;
    n = sg_lv_domains_list(ctx->conn, a->set[LIST_OPT_ALL], sg_lv_timeout_ms(), &doms, &fell_back, &err);
    if (n < 0)
        return sg_log_error_errno(n, &err);
    if (fell_back)
        sg_log_warning("libvirt's stats listing did not answer within %d ms (a domain whose QEMU does "
                       "not answer holds it): listed without it", sg_lv_timeout_ms());
    /* One scan of /proc for all domains. */
    r = sg_domains_find_pids(&ctx->fs, doms, (size_t)n);
    if (r < 0) {
        sg_domains_free(doms, (size_t)n);
        sg_log_error("%s: %s", ctx->fs.proc_path, strerror(-r));
        return 1;
    }
    e = calloc((size_t)n + 1, sizeof(*e));
    if (!e) {
        sg_domains_free(doms, (size_t)n);
        return sg_log_error_errno(-ENOMEM, &err);
    }
    for (int i = 0; i < n; i++)
        e[i].dom.d = doms[i];
    free(doms); /* the names now belong to e[] */
    /* The table shows the swap figures only; --json every figure of the sample. */
    if (sg_sample_entries(ctx, e, (size_t)n, interval, ctx->json ? 0 : SG_SAMPLE_SWAP_ONLY) < 0) {
        sg_entries_free(e, (size_t)n);
        return 1;
    }
    if (ctx->json) {
        json_object *root = json_object_new_object(), *arr = json_object_new_array();
        json_object_object_add(root, "interval_s", sg_json_double(interval));
        for (int i = 0; i < n; i++) {
            struct sg_figs f = {0};
            json_object *o = json_object_new_object();
            sg_domain_figs(ctx, &e[i], &f);
            sg_figs_to_json(&f, o, false);
            json_object_array_add(arr, o);
            sg_figs_free(&f);
        }
        json_object_object_add(root, "domains", arr);
        sg_json_print(ctx->out, root);
        json_object_put(root);
    } else {
        print_list_table(ctx, e, (size_t)n);
    }
    sg_entries_free(e, (size_t)n);
    return 0;
}

const struct sg_cmd_def sg_cmd_def_list = {
    .name = "list",
    .synopsis_args = "",
    .opts = list_opts,
    .summary = "list domains with their host memory, swap and major faults",
    .help = "Like 'virsh list', one row per domain: Id, Name, QEMU PID, Memory (current),\n"
            "RSS of the QEMU process, Swapped (host): guest memory in host swap (the larger\n"
            "of the memory cgroup's swap, which includes shmem/memfd swap, and VmSwap, which\n"
            "counts where the host does not account swap per cgroup), MajFlt/s: major faults per second of the domain's\n"
            "memory cgroup (async-PF swap-ins are charged to a kworker, not to QEMU, but the\n"
            "cgroup counts them), PSI full avg10 of the domain's own cgroup v2 group, and Lost ms/s:\n"
            "the milliseconds per second the vCPU threads waited for host swap-in (taskstats\n"
            "delay accounting, kernel.task_delayacct = 1), or with '~' their run-queue wait from\n"
            "/proc/PID/task/TID/schedstat when delay accounting is off.\n"
            "Reads O(1) small files per domain; two samples --interval seconds apart.",
    .handler = cmd_list,
};
