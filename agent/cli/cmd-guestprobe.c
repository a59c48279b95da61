/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * swapguard guestprobe DOMAIN: the guest's own view through the QEMU guest
 * agent (guestprobe/probe.h). Every string the guest sent is escaped with
 * sg_fmt_safe, in text and in JSON (json-c does not validate UTF-8).
 */
#include <inttypes.h>
#include <libvirt/virterror.h>
#include <math.h>
#include <string.h>

#include "agent/cli/cli.h"
#include "agent/core/figures.h"
#include "guestprobe/qga-channel.h"
#include "guestprobe/probe.h"
#include "hostprobe/domains.h"

enum { GP_OPT_TIMEOUT, GP_OPT_INTERVAL, GP_OPT_SINCE, GP_OPT_JSON };
static const struct sg_opt_def sg_guestprobe_opts[] = {
    [GP_OPT_TIMEOUT] = { "timeout", "S",
                         "seconds all guest agent commands may take together (default 5, 1 to 300)" },
    [GP_OPT_INTERVAL] = { "interval", "S",
                          "seconds between the two guest-get-cpustats samples that give steal and "
                          "iowait rates (default 1; 0: totals only)" },
    [GP_OPT_SINCE] = { "since-us", "US",
                       "report only hung-task messages newer than this guest kernel-log time "
                       "(microseconds since guest boot; the kmsg_cursor_us of the last run)" },
    [GP_OPT_JSON] = { "json", NULL, "print one JSON document" },
    { NULL, NULL, NULL },
};

/* Escaped guest text (GP_WHY_MAX-sized strings and smaller fit). */
#define SAFE_MAX (GP_WHY_MAX * 4 + 1)

static json_object *json_safe(const char *s)
{
    char buf[SAFE_MAX];
    return s ? json_object_new_string(sg_fmt_safe(s, buf, sizeof(buf))) : NULL;
}

/* A part's state for JSON and text: "ok" for data, else the agent state ("not connected", ...). */
static const char *part_state_name(const struct gp_probe_result *r, enum gp_part p)
{
    return r->part[p].state == GP_QGA_OK ? "ok" : gp_qga_state_name(r->part[p].state);
}

static bool ok(const struct gp_probe_result *r, enum gp_part p)
{
    return r->part[p].state == GP_QGA_OK;
}

/* The scalar figures: the same keys in text and JSON. */
static void probe_figs(const struct gp_probe_result *r, struct sg_figs *f)
{
    const struct gp_guest_mem *m = &r->mem;
    const char *src = r->via_exec ? "guest-exec" : "guest-file-read";
    bool mi = ok(r, GP_PART_MEM) && m->has_meminfo, vm = ok(r, GP_PART_MEM) && m->has_vmstat;
    bool psi = ok(r, GP_PART_MEM) && m->has_psi;
    bool full = psi && m->psi.has_full;
    const struct gp_balloon *b = &r->balloon;
    const uint64_t none = SG_NONE;
    char safe[SAFE_MAX];

    if (ok(r, GP_PART_MEM))
        sg_figs_section(f, "Guest memory (the guest's own /proc, through %s)", src);
    else
        sg_figs_section(f, "Guest memory: %s (%s)", gp_qga_state_name(r->part[GP_PART_MEM].state),
                        sg_fmt_safe(r->part[GP_PART_MEM].why, safe, sizeof(safe)));
    sg_figs_u64(f, SG_FIG_KIB, "guest_mem_total_kib", mi ? m->mem.mem_total_kib : none,
                "guest /proc/meminfo MemTotal");
    sg_figs_u64(f, SG_FIG_KIB, "guest_mem_available_kib", mi ? m->mem.mem_available_kib : none,
                "guest /proc/meminfo MemAvailable");
    sg_figs_u64(f, SG_FIG_KIB, "guest_swap_total_kib", mi ? m->mem.swap_total_kib : none,
                "guest /proc/meminfo SwapTotal (0: the guest has no swap of its own)");
    sg_figs_u64(f, SG_FIG_KIB, "guest_swap_free_kib", mi ? m->mem.swap_free_kib : none,
                "guest /proc/meminfo SwapFree");
    sg_figs_u64(f, SG_FIG_KIB, "guest_swap_cached_kib", mi ? m->mem.swap_cached_kib : none,
                "guest /proc/meminfo SwapCached");
    sg_figs_u64(f, SG_FIG_COUNT, "guest_pswpin", vm ? m->vm.pswpin : none,
                "guest /proc/vmstat pswpin: pages read from the guest's own swap");
    sg_figs_u64(f, SG_FIG_COUNT, "guest_pswpout", vm ? m->vm.pswpout : none,
                "guest /proc/vmstat pswpout: pages written to the guest's own swap");
    sg_figs_u64(f, SG_FIG_COUNT, "guest_pgmajfault", vm ? m->vm.pgmajfault : none,
                "guest /proc/vmstat pgmajfault");
    sg_figs_double(f, SG_FIG_PCT, "guest_psi_some_avg10", psi ? m->psi.some.avg10 : NAN,
                   "guest /proc/pressure/memory some avg10");
    sg_figs_double(f, SG_FIG_PCT, "guest_psi_some_avg60", psi ? m->psi.some.avg60 : NAN,
                   "guest /proc/pressure/memory some avg60");
    sg_figs_u64(f, SG_FIG_COUNT, "guest_psi_some_total_us", psi ? m->psi.some.total_us : none,
                "guest /proc/pressure/memory some total, microseconds");
    sg_figs_double(f, SG_FIG_PCT, "guest_psi_full_avg10", full ? m->psi.full.avg10 : NAN,
                   "guest /proc/pressure/memory full avg10");
    sg_figs_double(f, SG_FIG_PCT, "guest_psi_full_avg60", full ? m->psi.full.avg60 : NAN,
                   "guest /proc/pressure/memory full avg60");
    sg_figs_u64(f, SG_FIG_COUNT, "guest_psi_full_total_us", full ? m->psi.full.total_us : none,
                "guest /proc/pressure/memory full total, microseconds");

    if (ok(r, GP_PART_BALLOON))
        sg_figs_section(f, "Balloon (virDomainMemoryStats; no agent needed; null: no "
                           "<memballoon><stats period>)");
    else
        sg_figs_section(f, "Balloon: %s", sg_fmt_safe(r->part[GP_PART_BALLOON].why, safe, sizeof(safe)));
    sg_figs_u64(f, SG_FIG_KIB, "balloon_swap_in_kib", b->swap_in_kib, "balloon swap_in: read from guest swap");
    sg_figs_u64(f, SG_FIG_KIB, "balloon_swap_out_kib", b->swap_out_kib,
                "balloon swap_out: written to guest swap");
    sg_figs_u64(f, SG_FIG_COUNT, "balloon_major_fault", b->major_fault, "balloon major_fault");
    sg_figs_u64(f, SG_FIG_KIB, "balloon_usable_kib", b->usable_kib, "balloon usable");
    sg_figs_u64(f, SG_FIG_COUNT, "balloon_last_update_s", b->last_update,
                "balloon last_update, guest seconds since the epoch");

    if (ok(r, GP_PART_OSINFO))
        sg_figs_section(f, "Guest OS (guest-get-osinfo)");
    else
        sg_figs_section(f, "Guest OS: %s (%s)", gp_qga_state_name(r->part[GP_PART_OSINFO].state),
                        sg_fmt_safe(r->part[GP_PART_OSINFO].why, safe, sizeof(safe)));
    sg_figs_str(f, "guest_kernel_release",
                ok(r, GP_PART_OSINFO) && r->kernel_release[0]
                    ? sg_fmt_safe(r->kernel_release, safe, sizeof(safe))
                    : NULL,
                "guest-get-osinfo kernel-release");
}

/* The guestprobe commands qemu-ga blocks (listed with "enabled": false). */
static json_object *blocked_json(const struct gp_probe_result *r)
{
    json_object *arr = json_object_new_array();
    for (int c = 0; c < GP_CMD__MAX; c++)
        if (r->info.cmds[c] == GP_CMD_DISABLED)
            json_object_array_add(arr, json_object_new_string(gp_cmd_name(c)));
    return arr;
}

static const char *hung_source(const struct gp_hung_task *h)
{
    return h->from_kernel ? "kernel" : "user (written to /dev/kmsg, not by the kernel)";
}

static void print_json(struct sg_ctx *ctx, const char *name, const char *uuid, int timeout,
                       uint64_t since, const struct gp_probe_result *r, const struct sg_figs *f)
{
    json_object *o = json_object_new_object(), *st = json_object_new_object(), *arr;
    bool agent = ok(r, GP_PART_AGENT);

    json_object_object_add(o, "name", json_safe(name));
    json_object_object_add(o, "uuid", json_object_new_string(uuid));
    json_object_object_add(o, "timeout_s", json_object_new_int(timeout));
    json_object_object_add(o, "elapsed_s", sg_json_double(r->elapsed_s));
    json_object_object_add(o, "agent_channel",
                           r->channel >= 0 ? json_object_new_string(gp_qga_channel_state_name(r->channel))
                                           : NULL);
    json_object_object_add(o, "agent_state",
                           json_object_new_string(gp_qga_state_name(r->part[GP_PART_AGENT].state)));
    json_object_object_add(o, "agent_version", agent ? json_safe(r->info.version) : NULL);
    json_object_object_add(o, "agent_blocked_commands", agent ? blocked_json(r) : NULL);
    json_object_object_add(o, "agent_disabled_count",
                           agent ? json_object_new_int((int)r->info.n_disabled) : NULL);
    for (int p = 0; p < GP_PART__MAX; p++) {
        json_object *x = json_object_new_object();
        json_object_object_add(x, "state", json_object_new_string(part_state_name(r, p)));
        json_object_object_add(x, "detail", r->part[p].state == GP_QGA_OK ? NULL : json_safe(r->part[p].why));
        json_object_object_add(st, gp_part_name(p), x);
    }
    json_object_object_add(o, "status", st);
    json_object_object_add(o, "evidence_source",
                           ok(r, GP_PART_MEM) || ok(r, GP_PART_TASKS)
                               ? json_object_new_string(r->via_exec ? "guest-exec" : "guest-file-read")
                               : NULL);

    /* D-state tasks */
    json_object_object_add(o, "tasks_total", ok(r, GP_PART_TASKS) ? json_object_new_int64(r->tasks.n_tasks) : NULL);
    json_object_object_add(o, "tasks_dstate", ok(r, GP_PART_TASKS) ? json_object_new_int64(r->tasks.n_dstate) : NULL);
    json_object_object_add(o, "tasks_async_pf", ok(r, GP_PART_TASKS) ? json_object_new_int64(r->tasks.n_async_pf) : NULL);
    arr = json_object_new_array();
    for (size_t i = 0; ok(r, GP_PART_TASKS) && i < r->tasks.n; i++) {
        const struct gp_task *t = &r->tasks.v[i];
        json_object *x = json_object_new_object();
        json_object_object_add(x, "pid", json_object_new_int64(t->pid));
        json_object_object_add(x, "comm", json_safe(t->comm));
        json_object_object_add(x, "state", json_object_new_string_len(&t->state, 1));
        json_object_object_add(x, "wchan", json_safe(t->wchan));
        json_object_object_add(x, "async_pf", json_object_new_boolean(t->matched_symbol != NULL));
        json_object_object_add(x, "matched_symbol", sg_json_str(t->matched_symbol));
        json_object_array_add(arr, x);
    }
    json_object_object_add(o, "dstate_tasks", arr);

    /* Hung-task reports */
    json_object_object_add(o, "kmsg_since_us", json_object_new_uint64(since));
    json_object_object_add(o, "kmsg_cursor_us",
                           ok(r, GP_PART_KMSG) ? json_object_new_uint64(r->hung.newest_ts_us > since
                                                                            ? r->hung.newest_ts_us
                                                                            : since)
                                               : NULL);
    json_object_object_add(o, "hung_task_reports_total",
                           ok(r, GP_PART_KMSG) ? json_object_new_int64(r->hung.n_total) : NULL);
    arr = json_object_new_array();
    for (size_t i = 0; ok(r, GP_PART_KMSG) && i < r->hung.n; i++) {
        const struct gp_hung_task *h = &r->hung.v[i];
        json_object *x = json_object_new_object();
        json_object_object_add(x, "time_us", json_object_new_uint64(h->ts_us));
        json_object_object_add(x, "pid", json_object_new_int64(h->pid));
        json_object_object_add(x, "comm", json_safe(h->comm));
        json_object_object_add(x, "blocked_for_s", json_object_new_uint64(h->blocked_s));
        json_object_object_add(x, "trace_lines", json_object_new_int64(h->trace_lines));
        json_object_object_add(x, "async_pf", json_object_new_boolean(h->matched_symbol != NULL));
        json_object_object_add(x, "matched_symbol", sg_json_str(h->matched_symbol));
        json_object_object_add(x, "from_kernel", json_object_new_boolean(h->from_kernel));
        json_object_array_add(arr, x);
    }
    json_object_object_add(o, "hung_task_reports", arr);

    /* Steal and iowait */
    json_object_object_add(o, "cpustats_interval_s", sg_json_double(r->rate_interval_s));
    json_object_object_add(o, "cpustats_note", r->rate_note[0] ? json_object_new_string(r->rate_note) : NULL);
    arr = json_object_new_array();
    for (size_t i = 0; ok(r, GP_PART_CPUSTATS) && i < r->cpustats.n; i++) {
        const struct gp_cpustat *c = &r->cpustats.v[i];
        json_object *x = json_object_new_object();
        double steal = NAN, iowait = NAN;
        for (size_t j = 0; j < r->n_rates; j++)
            if (r->rates[j].cpu == c->cpu) {
                steal = r->rates[j].steal_ms_per_s;
                iowait = r->rates[j].iowait_ms_per_s;
            }
        json_object_object_add(x, "cpu", json_object_new_int64(c->cpu));
        json_object_object_add(x, "steal_ms", sg_json_u64(c->steal_ms));
        json_object_object_add(x, "iowait_ms", sg_json_u64(c->iowait_ms));
        json_object_object_add(x, "steal_ms_per_s", sg_json_double(steal));
        json_object_object_add(x, "iowait_ms_per_s", sg_json_double(iowait));
        json_object_array_add(arr, x);
    }
    json_object_object_add(o, "vcpus", arr);

    sg_figs_to_json(f, o, true);
    sg_json_print(ctx->out, o);
    json_object_put(o);
}

/* "  unavailable: ..." line of a part that holds no data. */
static void print_part_state(FILE *o, const struct gp_probe_result *r, enum gp_part p)
{
    char why[SAFE_MAX];

    if (r->part[p].state == GP_QGA_BLOCKED) /* why says "unavailable: guest-exec blocked" */
        fprintf(o, "  %s\n", sg_fmt_safe(r->part[p].why, why, sizeof(why)));
    else
        fprintf(o, "  %s: %s\n", gp_qga_state_name(r->part[p].state),
                sg_fmt_safe(r->part[p].why, why, sizeof(why)));
}

static void print_text(struct sg_ctx *ctx, const char *name, const char *uuid, int timeout,
                       uint64_t since, const struct gp_probe_result *r, const struct sg_figs *f)
{
    FILE *o = ctx->out;
    char a[SAFE_MAX], b[SAFE_MAX];

    fprintf(o, "Domain %s (%s): probed in %.2f s (timeout %d s)\n", sg_fmt_safe(name, a, sizeof(a)), uuid,
            r->elapsed_s, timeout);
    fprintf(o, "\nGuest agent (channel org.qemu.guest_agent.0: %s)\n",
            r->channel >= 0 ? gp_qga_channel_state_name(r->channel) : "domain XML unreadable");
    if (ok(r, GP_PART_AGENT)) {
        bool any = false;
        fprintf(o, "  connected, qemu-ga %s, %u commands, %u disabled\n",
                sg_fmt_safe(r->info.version, a, sizeof(a)), r->info.n_supported, r->info.n_disabled);
        fprintf(o, "  blocked commands guestprobe uses:");
        for (int c = 0; c < GP_CMD__MAX; c++)
            if (r->info.cmds[c] == GP_CMD_DISABLED) {
                fprintf(o, " %s", gp_cmd_name(c));
                any = true;
            }
        fprintf(o, "%s\n", any ? "" : " none");
    } else {
        print_part_state(o, r, GP_PART_AGENT);
    }

    fprintf(o, "\nD-state tasks (guest-exec of the evidence script: /proc/*/task/*/{stat,wchan,stack})\n");
    if (ok(r, GP_PART_TASKS)) {
        fprintf(o, "  %u tasks, %u in D state, %u waiting in async PF%s\n", r->tasks.n_tasks,
                r->tasks.n_dstate, r->tasks.n_async_pf, r->exec_complete ? "" : " (output cut off)");
        if (r->tasks.n)
            fprintf(o, "  %-8s %-5s %-20s %-34s %s\n", "PID", "STATE", "COMM", "WCHAN", "ASYNC-PF SYMBOL");
        for (size_t i = 0; i < r->tasks.n; i++) {
            const struct gp_task *t = &r->tasks.v[i];
            fprintf(o, "  %-8" PRId64 " %-5c %-20s %-34s %s\n", t->pid, t->state,
                    sg_fmt_safe(t->comm, a, sizeof(a)), sg_fmt_safe(t->wchan, b, sizeof(b)),
                    t->matched_symbol ? t->matched_symbol : "-");
        }
    } else {
        print_part_state(o, r, GP_PART_TASKS);
    }

    fprintf(o, "\nHung-task reports in the guest kernel log (newer than %" PRIu64 " us)\n", since);
    if (ok(r, GP_PART_KMSG)) {
        fprintf(o, "  %u report(s); next --since-us %" PRIu64 "\n", r->hung.n_total,
                r->hung.newest_ts_us > since ? r->hung.newest_ts_us : since);
        for (size_t i = 0; i < r->hung.n; i++) {
            const struct gp_hung_task *h = &r->hung.v[i];
            fprintf(o, "  [%" PRIu64 ".%06" PRIu64 "] task %s:%" PRId64 " blocked for more than %" PRIu64
                       " s; trace %u lines, async PF: %s; from %s\n",
                    h->ts_us / 1000000, h->ts_us % 1000000, sg_fmt_safe(h->comm, a, sizeof(a)), h->pid,
                    h->blocked_s, h->trace_lines, h->matched_symbol ? h->matched_symbol : "no",
                    hung_source(h));
        }
    } else {
        print_part_state(o, r, GP_PART_KMSG);
    }

    fprintf(o, "\nSteal and iowait per vCPU (guest-get-cpustats, ms since guest boot)\n");
    if (ok(r, GP_PART_CPUSTATS)) {
        if (!isnan(r->rate_interval_s))
            fprintf(o, "  rates from two samples %.2f s apart\n", r->rate_interval_s);
        else
            fprintf(o, "  no rates: %s\n", r->rate_note);
        fprintf(o, "  %-5s %-12s %-12s %-14s %s\n", "vCPU", "steal ms", "iowait ms", "steal ms/s",
                "iowait ms/s");
        for (size_t i = 0; i < r->cpustats.n; i++) {
            const struct gp_cpustat *c = &r->cpustats.v[i];
            char s1[32], s2[32], s3[32], s4[32];
            double steal = NAN, iowait = NAN;
            for (size_t j = 0; j < r->n_rates; j++)
                if (r->rates[j].cpu == c->cpu) {
                    steal = r->rates[j].steal_ms_per_s;
                    iowait = r->rates[j].iowait_ms_per_s;
                }
            fprintf(o, "  %-5" PRId64 " %-12s %-12s %-14s %s\n", c->cpu, sg_fmt_u64(c->steal_ms, s1, sizeof(s1)),
                    sg_fmt_u64(c->iowait_ms, s2, sizeof(s2)), sg_fmt_rate(steal, s3, sizeof(s3)),
                    sg_fmt_rate(iowait, s4, sizeof(s4)));
        }
    } else {
        print_part_state(o, r, GP_PART_CPUSTATS);
    }
    fputc('\n', o);
    sg_figs_print(f, o);
}

static int sg_cmd_guestprobe(struct sg_ctx *ctx, const struct sg_cmd_args *a)
{
    struct sg_error err = {0};
    struct sg_domain d = {0};
    struct gp_probe_result r;
    struct sg_figs f = {0};
    struct gp_probe_opts o = {0};
    double timeout = GP_TIMEOUT_DEFAULT_S, interval = 1.0, since = 0;
    virDomainPtr dom = NULL;
    char name[512];
    int k;

    if (sg_opt_number(sg_guestprobe_opts, a, GP_OPT_TIMEOUT, 1, 300, &timeout) < 0 ||
        sg_opt_number(sg_guestprobe_opts, a, GP_OPT_INTERVAL, 0, 60, &interval) < 0 ||
        sg_opt_number(sg_guestprobe_opts, a, GP_OPT_SINCE, 0, 1e15, &since) < 0)
        return 1;
    if (a->set[GP_OPT_JSON])
        ctx->json = true;
    /* Guest agent commands need a read-write connection. */
    if (sg_ctx_connect(ctx, true) < 0)
        return 1;
    k = sg_domain_lookup(ctx->conn, a->argv[0], &d, &dom, &err);
    if (k < 0)
        return sg_log_error_errno(k, &err);
    sg_fmt_safe(d.name, name, sizeof(name));
    if (d.id < 0) {
        sg_log_error("domain '%s' is not running: there is no guest to probe", name);
        virDomainFree(dom);
        sg_domain_clear(&d);
        return 1;
    }
    o.timeout_s = (int)timeout;
    o.rate_interval_s = interval;
    o.hung_since_us = (uint64_t)since;
    k = gp_probe(dom, &o, &r);
    virDomainFree(dom);
    if (k < 0) {
        sg_domain_clear(&d);
        return sg_log_error_errno(k, &err);
    }
    probe_figs(&r, &f);
    if (ctx->json)
        print_json(ctx, d.name, d.uuid, o.timeout_s, o.hung_since_us, &r, &f);
    else
        print_text(ctx, d.name, d.uuid, o.timeout_s, o.hung_since_us, &r, &f);
    sg_figs_free(&f);
    gp_probe_result_clear(&r);
    sg_domain_clear(&d);
    return 0;
}

const struct sg_cmd_def sg_cmd_def_guestprobe = {
    .name = "guestprobe",
    .synopsis_args = "DOMAIN",
    .min_args = 1,
    .max_args = 1,
    .opts = sg_guestprobe_opts,
    .summary = "the guest's own evidence of stalls and memory, through the QEMU guest agent",
    .help = "Asks qemu-ga in DOMAIN (name, UUID or id): agent version and blocked commands,\n"
            "tasks in D state and which wait in async PF, hung-task reports in the guest\n"
            "kernel log, steal and iowait per vCPU, the guest's own meminfo, vmstat and PSI,\n"
            "and its kernel release; plus the balloon stats. One guest-exec of a fixed script\n"
            "(guest-file-read of the memory files when guest-exec is blocked). Needs a\n"
            "read-write libvirt connection. An agent that is not configured, not connected\n"
            "or blocks a command is reported, not an error. Guest text is escaped.",
    .handler = sg_cmd_guestprobe,
};
