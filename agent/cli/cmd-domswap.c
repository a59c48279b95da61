/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* swapguard domswap: every host-side figure of one domain, with its source. */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "agent/cli/sampling.h"
#include "guestprobe/qga-channel.h"
#include "hostprobe/smaps.h"

/*
 * The smaps walk holds QEMU's mmap lock while it walks the page tables: for a
 * big guest that pauses the guest's memory faults for a noticeable time. By
 * default domswap walks only below this guest size; --smaps forces the walk,
 * --no-smaps skips it.
 */
#define SMAPS_DEFAULT_MAX_KIB (16ULL * 1024 * 1024) /* 16 GiB of guest RAM */

enum { DOMSWAP_OPT_INTERVAL, DOMSWAP_OPT_JSON, DOMSWAP_OPT_SMAPS, DOMSWAP_OPT_NO_SMAPS };
static const struct sg_opt_def domswap_opts[] = {
    [DOMSWAP_OPT_INTERVAL] = OPT_INTERVAL,
    [DOMSWAP_OPT_JSON] = OPT_JSON,
    [DOMSWAP_OPT_SMAPS] = { "smaps", NULL, "walk /proc/PID/smaps whatever the guest's size "
                            "(the default walks it below 16 GiB of guest RAM)" },
    [DOMSWAP_OPT_NO_SMAPS] = { "no-smaps", NULL, "never walk /proc/PID/smaps (the guest_ram_* "
                               "and smaps_rollup figures are null)" },
    { NULL, NULL, NULL },
};

/* The guest agent channel's state (gp_qga_channel_state) from dom's live XML; -EIO. */
static int agent_state(virDomainPtr dom)
{
    char *xml = virDomainGetXMLDesc(dom, 0);
    int r;

    if (!xml)
        return -EIO;
    r = gp_qga_channel_state(xml);
    free(xml);
    return r;
}

#define KEY(id) (sg_schema_get(id)->key)

/* One vCPU thread's lost time between domswap's two samples, ms per second (NAN unknown). */
struct vcpu_lost {
    double ms[6];     /* swapin, blkio, cpu, freepages, thrashing (taskstats), run delay (schedstat) */
    double look_share;
};

static const enum sg_fig_id vcpu_lost_ids[6] = {
    SG_F_VT_SWAPIN_DELAY_MS_PER_S, SG_F_VT_BLKIO_DELAY_MS_PER_S, SG_F_VT_CPU_DELAY_MS_PER_S,
    SG_F_VT_FREEPAGES_DELAY_MS_PER_S, SG_F_VT_THRASHING_DELAY_MS_PER_S, SG_F_VT_RUN_DELAY_MS_PER_S,
};

static const struct sg_lost_thread *lost_thread(const struct sg_lost_sample *l, pid_t tid)
{
    for (unsigned i = 0; i < l->n_threads && i < SG_LOST_THREADS_MAX; i++)
        if (l->thread[i].tid == tid)
            return &l->thread[i];
    return NULL;
}

/* From the same per-thread reads as the domain's sums (x->l0, x->l1: hostprobe/lostime.h). */
static void vcpu_lost_rates(const struct sg_dom_entry *x, pid_t tid, struct vcpu_lost *out)
{
    const struct sg_lost_thread *a = lost_thread(&x->l0, tid), *b = lost_thread(&x->l1, tid);
    double dt = sg_timespec_diff_s(&x->l0.t, &x->l1.t);
    unsigned looks, swapin;

    for (size_t k = 0; k < 6; k++)
        out->ms[k] = NAN;
    out->look_share = NAN;
    if (!x->has_lost || !a || !b)
        return;
    if (a->has_taskstats && b->has_taskstats) {
        const uint64_t *pa = &a->ts.cpu_delay_ns, *pb = &b->ts.cpu_delay_ns;
        /* struct sg_taskstats: cpu, blkio, swapin, freepages, thrashing */
        static const size_t at[5] = { 2, 1, 0, 3, 4 };

        for (size_t k = 0; k < 5; k++)
            out->ms[at[k]] = sg_counter_rate(pa[k], pb[k], dt) / 1e6;
    }
    if (a->has_schedstat && b->has_schedstat)
        out->ms[5] = sg_counter_rate(a->run_delay_ns, b->run_delay_ns, dt) / 1e6;
    looks = a->looks + b->looks;
    swapin = a->looks_swapin + b->looks_swapin;
    if (looks > 0)
        out->look_share = (double)swapin / looks;
}

static void vcpu_figs_json(const struct sg_dom_entry *x, json_object *obj)
{
    json_object *arr = json_object_new_array();
    const struct sg_dom_sample *s = sg_latest(x);

    for (int i = 0; x->running && i < s->n_vcpus; i++) {
        const struct sg_vcpu_thread *t = &s->vcpus[i];
        json_object *o = json_object_new_object();
        struct vcpu_lost lost;
        double rate = NAN;

        for (int j = 0; x->has_rate && j < x->s0.n_vcpus; j++)
            if (x->s0.vcpus[j].tid == t->tid)
                rate = sg_entry_rate(x, x->s0.vcpus[j].stat.majflt, t->stat.majflt);
        json_object_object_add(o, KEY(SG_F_VCPU), json_object_new_int(t->vcpu));
        json_object_object_add(o, KEY(SG_F_VCPU_TID), json_object_new_int(t->tid));
        json_object_object_add(o, KEY(SG_F_VCPU_COMM), json_object_new_string(t->stat.comm));
        json_object_object_add(o, KEY(SG_F_VCPU_ACCEL), json_object_new_string(t->accel));
        json_object_object_add(o, KEY(SG_F_VCPU_STATE), json_object_new_string_len(&t->stat.state, 1));
        json_object_object_add(o, KEY(SG_F_VCPU_MINFLT), sg_json_u64(t->stat.minflt));
        json_object_object_add(o, KEY(SG_F_VCPU_MAJFLT), sg_json_u64(t->stat.majflt));
        json_object_object_add(o, KEY(SG_F_VCPU_MAJFLT_PER_S), sg_json_double(rate));
        vcpu_lost_rates(x, t->tid, &lost);
        for (size_t k = 0; k < 6; k++)
            json_object_object_add(o, KEY(vcpu_lost_ids[k]), sg_json_double(lost.ms[k]));
        json_object_object_add(o, KEY(SG_F_VT_SWAPIN_LOOK_SHARE), sg_json_double(lost.look_share));
        json_object_array_add(arr, o);
    }
    json_object_object_add(obj, "vcpus", arr);
}

static void vcpu_print(const struct sg_ctx *ctx, const struct sg_dom_entry *x)
{
    const struct sg_dom_sample *s = sg_latest(x);
    FILE *o = ctx->out;

    fprintf(o, "\nvCPU threads (%s/%d/task/TID/stat; detail only)\n", ctx->fs.proc_path,
            (int)x->dom.d.pid);
    fprintf(o, "  %-5s %-8s %-14s %-6s %-12s %-10s %s\n", "vCPU", "TID", "comm", "state",
            "minflt", "majflt", "majflt/s");
    for (int i = 0; i < s->n_vcpus; i++) {
        const struct sg_vcpu_thread *t = &s->vcpus[i];
        char comm[256], rate_s[32];
        double rate = NAN;

        for (int j = 0; x->has_rate && j < x->s0.n_vcpus; j++)
            if (x->s0.vcpus[j].tid == t->tid)
                rate = sg_entry_rate(x, x->s0.vcpus[j].stat.majflt, t->stat.majflt);
        fprintf(o, "  %-5d %-8d %-14s %-6c %-12" PRIu64 " %-10" PRIu64 " %s\n", t->vcpu,
                (int)t->tid, sg_fmt_safe(t->stat.comm, comm, sizeof(comm)), t->stat.state,
                t->stat.minflt, t->stat.majflt, sg_fmt_rate(rate, rate_s, sizeof(rate_s)));
    }
    fprintf(o, "\nvCPU threads' lost time, ms/s (taskstats per TID: %s; schedstat run delay; "
            "state/wchan looks)\n", x->l1.has_taskstats ? "read" : x->l1.taskstats_missing[0] ?
            x->l1.taskstats_missing : "not read");
    fprintf(o, "  %-5s %-8s %8s %8s %8s %10s %10s %10s  %s\n", "vCPU", "TID", "swapin", "blkio", "cpu",
            "freepages", "thrashing", "run delay", "swap-in looks");
    for (int i = 0; i < s->n_vcpus; i++) {
        const struct sg_vcpu_thread *t = &s->vcpus[i];
        static const int width[6] = { 8, 8, 8, 10, 10, 10 };
        struct vcpu_lost lost;

        vcpu_lost_rates(x, t->tid, &lost);
        fprintf(o, "  %-5d %-8d", t->vcpu, (int)t->tid);
        for (size_t k = 0; k < 6; k++) {
            char ms[32];

            snprintf(ms, sizeof(ms), isfinite(lost.ms[k]) ? "%.0f" : "-", lost.ms[k]);
            fprintf(o, " %*s", width[k], ms);
        }
        if (isfinite(lost.look_share))
            fprintf(o, "  %.0f %%\n", lost.look_share * 100);
        else
            fprintf(o, "  -\n");
    }
}

static int cmd_domswap(struct sg_ctx *ctx, const struct sg_cmd_args *a)
{
    struct sg_error err = {0};
    struct sg_dom_entry x = {0};
    struct sg_guest_ram ram = {0};
    struct sg_figs f = {0};
    uint64_t rollup_swap = SG_NONE;
    bool walk = true;
    double interval;
    char name[512];
    int r, agent;

    if (sg_parse_interval(domswap_opts, a, DOMSWAP_OPT_INTERVAL, &interval) < 0)
        return 1;
    if (a->set[DOMSWAP_OPT_JSON])
        ctx->json = true;
    if (sg_ctx_fs(ctx) < 0 || sg_ctx_connect(ctx, false) < 0)
        return 1;
    r = sg_dom_lookup(ctx, a->argv[0], SG_DOM_LOCATE, &x.dom, &err);
    sg_fmt_safe(x.dom.d.name, name, sizeof(name));
    if (r == -ESRCH && x.dom.d.id < 0)
        sg_log_error("domain '%s' is not running: there is no QEMU process to measure", name);
    else if (r == -ESRCH && x.dom.d.pid <= 0)
        sg_log_error("domain '%s': no process in %s carries '-uuid %s' (is swapguard running on "
                     "this domain's hypervisor, with the right --proc-root?)",
                     name, ctx->fs.proc_path, x.dom.d.uuid);
    else if (r == -ESRCH)
        sg_log_error("domain '%s': its QEMU process (pid %d) exited while being measured", name,
                     (int)x.dom.d.pid);
    else if (r < 0)
        sg_log_error_errno(r, &err);
    if (r < 0) {
        sg_dom_clear(&x.dom);
        return 1;
    }
    agent = agent_state(x.dom.dom);
    r = sg_sample_entries(ctx, &x, 1, interval, SG_SAMPLE_VCPUS);
    if (r == 0 && !x.running) {
        sg_log_error("domain '%s': its QEMU process (pid %d) exited while being measured", name,
                     (int)x.dom.d.pid);
        r = -ESRCH;
    }
    /* On demand only: both walk the page tables of QEMU, under its mmap lock. */
    if (a->set[DOMSWAP_OPT_SMAPS] && a->set[DOMSWAP_OPT_NO_SMAPS]) {
        sg_log_error("--smaps and --no-smaps exclude each other");
        r = -EINVAL;
    } else if (a->set[DOMSWAP_OPT_NO_SMAPS] ||
               (!a->set[DOMSWAP_OPT_SMAPS] && x.dom.d.max_memory_kib >= SMAPS_DEFAULT_MAX_KIB)) {
        walk = false;
    }
    if (r == 0 && walk) {
        r = sg_guest_ram_read(&ctx->fs, x.dom.d.pid, x.dom.d.max_memory_kib, &ram, &err);
        if (r == 0)
            r = sg_smaps_rollup_swap(&ctx->fs, x.dom.d.pid, &rollup_swap, &err);
        if (r < 0)
            sg_log_error_errno(r, &err);
    }
    if (r < 0) {
        sg_dom_clear(&x.dom);
        sg_dom_sample_clear(&x.s0);
        sg_dom_sample_clear(&x.s1);
        return 1;
    }

    sg_domain_figs(ctx, &x, &f);
    if (!walk)
        sg_figs_section(&f, "Guest RAM: smaps not walked (%s; --smaps walks it)",
                        a->set[DOMSWAP_OPT_NO_SMAPS] ? "--no-smaps"
                                                     : "guest RAM of 16 GiB or more: the walk holds QEMU's mmap lock");
    else if (ram.found)
        sg_figs_section(&f, "Guest RAM (on demand: %s/%d/smaps, VMA %" PRIx64 "-%" PRIx64
                        " of %" PRIu64 " KiB, %s%s%s)",
                        ctx->fs.proc_path, (int)x.dom.d.pid, ram.start, ram.end, ram.size_kib,
                        ram.backing, ram.path[0] ? " " : "", ram.path);
    else
        sg_figs_section(&f, "Guest RAM: no VMA of exactly %" PRIu64 " KiB in %s/%d/smaps",
                        x.dom.d.max_memory_kib, ctx->fs.proc_path, (int)x.dom.d.pid);
    sg_figs_row_u64(&f, SG_F_GUEST_RAM_SIZE_KIB, 0, ram.found ? ram.size_kib : SG_NONE);
    sg_figs_row_u64(&f, SG_F_GUEST_RAM_RSS_KIB, 0, ram.found ? ram.rss_kib : SG_NONE);
    sg_figs_row_u64(&f, SG_F_GUEST_RAM_SWAP_KIB, 0, ram.found ? ram.swap_kib : SG_NONE);
    sg_figs_row_str(&f, SG_F_GUEST_RAM_BACKING, ram.found ? ram.backing : NULL);
    sg_figs_row_u64(&f, SG_F_SMAPS_ROLLUP_SWAP_KIB, 0, rollup_swap);
    sg_figs_source(&f, "%s/%d/smaps_rollup Swap (includes shmem/memfd swap VmSwap misses)",
                   ctx->fs.proc_path, (int)x.dom.d.pid);
    sg_figs_section(&f, "Guest agent");
    sg_figs_row_str(&f, SG_F_GUEST_AGENT, agent >= 0 ? gp_qga_channel_state_name(agent) : NULL);

    if (ctx->json) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "interval_s", sg_json_double(interval));
        sg_figs_to_json(&f, o, true);
        vcpu_figs_json(&x, o);
        sg_json_print(ctx->out, o);
        json_object_put(o);
    } else {
        sg_figs_print(&f, ctx->out);
        vcpu_print(ctx, &x);
    }
    sg_figs_free(&f);
    sg_dom_clear(&x.dom);
    sg_dom_sample_clear(&x.s0);
    sg_dom_sample_clear(&x.s1);
    return 0;
}

const struct sg_cmd_def sg_cmd_def_domswap = {
    .name = "domswap",
    .synopsis_args = "DOMAIN",
    .min_args = 1,
    .max_args = 1,
    .opts = domswap_opts,
    .summary = "every host-side memory figure of one domain, with its source",
    .help = "DOMAIN is a name, UUID or id. Shows the QEMU process (status, stat), its memory\n"
            "cgroup (swap, major faults, limits), PSI, the vCPU threads' faults, and, read\n"
            "on demand from /proc/PID/smaps, the guest-RAM VMA's RSS and swap and\n"
            "smaps_rollup Swap. smaps walks QEMU's page tables under its mmap lock (a\n"
            "big guest's memory faults wait meanwhile): by default only for guests under\n"
            "16 GiB of RAM; --smaps forces the walk, --no-smaps skips it. This command is\n"
            "for diagnosis, not for polling.",
    .handler = cmd_domswap,
};
