/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <math.h>
#include <string.h>
#include <time.h>

#include "agent/cli/sampling.h"
#include "agent/core/schema.h"
#include "policies/rates.h"

/* --interval of a sampling command: seconds between its two samples, default 1. */
int sg_parse_interval(const struct sg_opt_def *opts, const struct sg_cmd_args *a, int idx,
                          double *out)
{
    *out = 1.0;
    return sg_opt_number(opts, a, idx, 0, 3600, out);
}

void sg_sleep_s(double s)
{
    struct timespec ts = { .tv_sec = (time_t)s, .tv_nsec = (long)((s - (double)(time_t)s) * 1e9) };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}


void sg_entries_free(struct sg_dom_entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        sg_dom_clear(&e[i].dom);
        sg_dom_sample_clear(&e[i].s0);
        sg_dom_sample_clear(&e[i].s1);
    }
    free(e);
}

/*
 * Locates and samples every active domain of e[], twice, interval seconds apart.
 * A process that vanishes only marks its domain not running; other read
 * errors (permission, malformed files) are reported once and fail the command.
 */
/* The vCPU threads' lost-time sources of x into l (one look at state and wchan). */
static void read_lost(struct sg_ctx *ctx, struct sg_taskstats_conn *c, struct sg_dom_entry *x,
                      struct sg_lost_sample *l, bool *ok)
{
    _cleanup_free_ struct sg_vcpu_thread *v = NULL;
    _cleanup_free_ pid_t *tids = NULL;
    int n = sg_vcpu_threads_read(&ctx->fs, x->dom.d.pid, &v, NULL);

    *ok = false;
    if (n < 0)
        return;
    tids = calloc((size_t)n + 1, sizeof(*tids));
    if (!tids)
        return;
    for (int i = 0; i < n; i++)
        tids[i] = v[i].tid;
    *ok = sg_lost_sample_read(&ctx->fs, c, x->dom.d.pid, tids, (size_t)n, 1, 0, l) == 0;
}

double sg_entry_lost_ms(const struct sg_dom_entry *x, const char *what, const char **source)
{
    const struct sg_lost_sample *a = &x->l0, *b = &x->l1;
    double dt = sg_timespec_diff_s(&a->t, &b->t);
    bool ts = a->has_taskstats && b->has_taskstats;

    if (source)
        *source = !x->has_lost ? "no second sample" : ts ? "taskstats"
                  : b->has_schedstat ? "schedstat (delay accounting off: run-queue wait only)" : "none";
    if (!x->has_lost || b->n_vcpus == 0)
        return NAN;
    if (strcmp(what, "swapin") == 0)
        return ts ? sg_counter_rate(a->vcpus.swapin_delay_ns, b->vcpus.swapin_delay_ns, dt) / 1e6 : NAN;
    if (strcmp(what, "cpu") == 0) {
        if (ts)
            return sg_counter_rate(a->vcpus.cpu_delay_ns, b->vcpus.cpu_delay_ns, dt) / 1e6;
        return a->has_schedstat && b->has_schedstat ? sg_counter_rate(a->run_delay_ns, b->run_delay_ns, dt) / 1e6 : NAN;
    }
    if (ts) {
        double sum = 0;
        const uint64_t *pa = &a->vcpus.cpu_delay_ns, *pb = &b->vcpus.cpu_delay_ns;

        for (size_t i = 0; i < 5; i++) { /* cpu, blkio, swapin, freepages, thrashing */
            double r = sg_counter_rate(pa[i], pb[i], dt);
            if (!isnan(r))
                sum += r / 1e6;
        }
        return sum;
    }
    return a->has_schedstat && b->has_schedstat ? sg_counter_rate(a->run_delay_ns, b->run_delay_ns, dt) / 1e6 : NAN;
}

int sg_sample_entries(struct sg_ctx *ctx, struct sg_dom_entry *e, size_t n, double interval,
                          unsigned what)
{
    bool with_vcpus = what & SG_SAMPLE_VCPUS;
    enum sg_cgroup_layout layout = sg_cgroup_detect_layout(&ctx->fs);
    struct sg_error err = {0};
    struct sg_taskstats_conn *ts = NULL;
    bool ok;
    int r;

    /* Lost time is a rate: without a second sample there is none, and nothing to read. */
    if (interval > 0 && sg_taskstats_open(&ts, NULL, 0) < 0)
        ts = NULL;
    /* With a second sample, the files stay open between the two (one pread each then). */
    if (interval > 0 && !with_vcpus)
        sg_fd_budget_init(256);

    for (size_t i = 0; i < n; i++) {
        struct sg_dom_entry *x = &e[i];

        if (x->dom.d.pidfile_pid && x->dom.d.pid && x->dom.d.pidfile_pid != x->dom.d.pid) {
            char name[512];
            sg_log_warning("domain '%s': %s/libvirt/qemu/%s.pid names pid %d, but pid %d runs "
                           "with its UUID; using %d",
                           sg_fmt_safe(x->dom.d.name, name, sizeof(name)), ctx->fs.run_path,
                           sg_fmt_safe(x->dom.d.name, name, sizeof(name)), (int)x->dom.d.pidfile_pid,
                           (int)x->dom.d.pid, (int)x->dom.d.pid);
        }
        if (x->dom.d.id < 0 || x->dom.d.pid <= 0)
            continue;
        if (!x->dom.located) {
            r = sg_cgroup_locate_in(&ctx->fs, layout, x->dom.d.pid, &x->dom.cg, &err);
            if (r == -ESRCH)
                continue;
            if (r < 0) {
                sg_taskstats_close(ts);
                return sg_log_error_errno(r, &err);
            }
            x->dom.located = true;
        }
        if (with_vcpus) {
            r = sg_dom_sample_read(&ctx->fs, x->dom.d.pid, &x->dom.cg, true, &x->s0, &err);
        } else {
            /* The agent's reader: the periodic files read with one read each (kept open
             * for the second sample within the descriptor budget), the limits once. */
            /* swap only: the major faults of /proc/PID/stat stand in without a memory cgroup */
            r = sg_dom_reader_open(&ctx->fs, x->dom.d.pid, &x->dom.cg,
                                   what & SG_SAMPLE_SWAP_ONLY && x->dom.cg.memory_version
                                       ? SG_RD_SWAP_ONLY : SG_RD_STAT, &x->dom.rd, &err);
            if (r == 0)
                r = sg_dom_reader_read(&ctx->fs, &x->dom.cg, &x->dom.rd, &x->s0, &err);
        }
        if (r == -ESRCH)
            continue;
        if (r < 0) {
            sg_taskstats_close(ts);
            return sg_log_error_errno(r, &err);
        }
        x->running = true;
        if (interval > 0) {
            read_lost(ctx, ts, x, &x->l0, &ok);
            x->has_lost = ok;
        }
    }
    if (interval <= 0) {
        sg_taskstats_close(ts);
        return 0;
    }
    sg_sleep_s(interval);
    for (size_t i = 0; i < n; i++) {
        struct sg_dom_entry *x = &e[i];

        if (!x->running)
            continue;
        r = with_vcpus ? sg_dom_sample_read(&ctx->fs, x->dom.d.pid, &x->dom.cg, true, &x->s1, &err)
                       : sg_dom_reader_read(&ctx->fs, &x->dom.cg, &x->dom.rd, &x->s1, &err);
        if (r == -ESRCH) {
            x->running = false; /* stopped between the samples */
            continue;
        }
        if (r < 0) {
            sg_taskstats_close(ts);
            return sg_log_error_errno(r, &err);
        }
        x->has_rate = true;
        if (x->has_lost) {
            read_lost(ctx, ts, x, &x->l1, &ok);
            x->has_lost = ok;
        }
    }
    sg_taskstats_close(ts);
    return 0;
}

const struct sg_dom_sample *sg_latest(const struct sg_dom_entry *x)
{
    return x->has_rate ? &x->s1 : &x->s0;
}

double sg_entry_rate(const struct sg_dom_entry *x, uint64_t before, uint64_t after)
{
    if (!x->has_rate)
        return NAN;
    return sg_counter_rate(before, after, sg_timespec_diff_s(&x->s0.t, &x->s1.t));
}

const char *sg_v1v2(const struct sg_cgroup *cg, const char *v1, const char *v2)
{
    return cg->memory_version == 1 ? v1 : v2;
}

/* The psi_{some,full}_{avg10,avg60,avg300,total_us} rows of a memory.pressure file (the
 * domain's, or with host the host's); p NULL: none. */
void sg_psi_figs(struct sg_figs *f, const struct sg_psi *p, bool host)
{
    static const enum sg_fig_id dom_ids[8] = {
        SG_F_PSI_SOME_AVG10, SG_F_PSI_SOME_AVG60, SG_F_PSI_SOME_AVG300, SG_F_PSI_SOME_TOTAL_US,
        SG_F_PSI_FULL_AVG10, SG_F_PSI_FULL_AVG60, SG_F_PSI_FULL_AVG300, SG_F_PSI_FULL_TOTAL_US,
    };
    static const enum sg_fig_id host_ids[8] = {
        SG_F_HOST_PSI_SOME_AVG10, SG_F_HOST_PSI_SOME_AVG60, SG_F_HOST_PSI_SOME_AVG300,
        SG_F_HOST_PSI_SOME_TOTAL_US, SG_F_HOST_PSI_FULL_AVG10, SG_F_HOST_PSI_FULL_AVG60,
        SG_F_HOST_PSI_FULL_AVG300, SG_F_HOST_PSI_FULL_TOTAL_US,
    };
    const enum sg_fig_id *id = host ? host_ids : dom_ids;
    /* "some", then "full" (a file may lack the full line) */
    const struct sg_psi_line *line[2] = { p ? &p->some : NULL, p && p->has_full ? &p->full : NULL };

    for (size_t i = 0; i < 2; i++, id += 4) {
        const struct sg_psi_line *l = line[i];

        sg_figs_row_double(f, id[0], 0, l ? l->avg10 : NAN);
        sg_figs_row_double(f, id[1], 0, l ? l->avg60 : NAN);
        sg_figs_row_double(f, id[2], 0, l ? l->avg300 : NAN);
        sg_figs_row_u64(f, id[3], 0, l ? l->total_us : SG_NONE);
    }
}

/* Every per-domain figure of the O(1) sample, with its source (list and domswap). */
void sg_domain_figs(const struct sg_ctx *ctx, const struct sg_dom_entry *x, struct sg_figs *f)
{
    const struct sg_dom_sample *s = sg_latest(x);
    const struct sg_cgroup *cg = &x->dom.cg;
    const char *pp = ctx->fs.proc_path, *sp = ctx->fs.sys_path;
    int pid = (int)x->dom.d.pid, v = cg->memory_version;
    bool run = x->running, mem = run && cg->memory_version;
    const uint64_t none = SG_NONE;

    sg_figs_section(f, "Domain");
    sg_figs_row_str(f, SG_F_NAME, x->dom.d.name);
    sg_figs_row_str(f, SG_F_UUID, x->dom.d.uuid);
    sg_figs_row_int(f, SG_F_ID, x->dom.d.id >= 0 ? x->dom.d.id : SG_FIG_NULL_INT);
    sg_figs_row_str(f, SG_F_STATE, sg_domain_state_name(x->dom.d.state));
    sg_figs_row_int(f, SG_F_PID, run ? pid : SG_FIG_NULL_INT);
    sg_figs_source(f, "%s/*/cmdline carrying -uuid %s", pp, x->dom.d.uuid);
    sg_figs_row_u64(f, SG_F_MEMORY_KIB, 0, x->dom.d.memory_kib);
    sg_figs_row_u64(f, SG_F_MAX_MEMORY_KIB, 0, x->dom.d.max_memory_kib);

    sg_figs_section(f, "QEMU process (%s/%d/status, %s/%d/stat)", pp, pid, pp, pid);
    sg_figs_row_u64(f, SG_F_VM_RSS_KIB, 0, run ? s->status.vm_rss_kib : none);
    sg_figs_row_u64(f, SG_F_RSS_ANON_KIB, 0, run ? s->status.rss_anon_kib : none);
    sg_figs_row_u64(f, SG_F_RSS_FILE_KIB, 0, run ? s->status.rss_file_kib : none);
    sg_figs_row_u64(f, SG_F_RSS_SHMEM_KIB, 0, run ? s->status.rss_shmem_kib : none);
    sg_figs_row_u64(f, SG_F_VM_SWAP_KIB, 0, run ? s->status.vm_swap_kib : none);
    sg_figs_row_u64(f, SG_F_VM_LCK_KIB, 0, run ? s->status.vm_lck_kib : none);
    sg_figs_row_u64(f, SG_F_HUGETLB_PAGES_KIB, 0, run ? s->status.hugetlb_pages_kib : none);
    sg_figs_row_u64(f, SG_F_MINFLT, 0, run ? s->stat.minflt : none);
    sg_figs_row_u64(f, SG_F_MAJFLT, 0, run ? s->stat.majflt : none);
    sg_figs_row_double(f, SG_F_MAJFLT_PER_S, 0, sg_entry_rate(x, x->s0.stat.majflt, x->s1.stat.majflt));

    if (mem)
        sg_figs_section(f, "Memory cgroup v%d (%s/%s)", cg->memory_version, sp, cg->memory_dir);
    else
        sg_figs_section(f, "Memory cgroup: %s", run ? "none of its own" : "domain not running");
    sg_figs_row_int(f, SG_F_CGROUP_VERSION, mem ? cg->memory_version : SG_FIG_NULL_INT);
    sg_figs_source(f, "%s/%d/cgroup", pp, pid);
    sg_figs_row_str(f, SG_F_CGROUP_MEMORY_PATH, mem ? cg->memory_path : NULL);
    sg_figs_source(f, "%s/%d/cgroup, walked up to memory.stat", pp, pid);
    sg_figs_row_u64(f, SG_F_CGROUP_SWAP_BYTES, v, mem ? s->cg.swap_bytes : none);
    sg_figs_row_u64(f, SG_F_CGROUP_PGMAJFAULT, v, mem ? s->cg.pgmajfault : none);
    sg_figs_row_double(f, SG_F_CGROUP_PGMAJFAULT_PER_S, v,
                       mem ? sg_entry_rate(x, x->s0.cg.pgmajfault, x->s1.cg.pgmajfault) : NAN);
    sg_figs_row_u64(f, SG_F_CGROUP_USAGE_BYTES, v, mem ? s->cg.usage_bytes : none);
    sg_figs_row_u64(f, SG_F_CGROUP_MEMORY_LIMIT_BYTES, v, mem ? s->cg.limit_bytes : none);
    sg_figs_row_u64(f, SG_F_CGROUP_SWAP_MAX_BYTES, v, mem ? s->cg.swap_max_bytes : none);
    sg_figs_row_u64(f, SG_F_CGROUP_MEMSW_LIMIT_BYTES, v, mem ? s->cg.memsw_limit_bytes : none);
    sg_figs_row_u64(f, SG_F_CGROUP_SWAP_EVENTS_MAX, v, mem ? s->cg.swap_events_max : none);
    sg_figs_row_u64(f, SG_F_CGROUP_SWAP_EVENTS_FAIL, v, mem ? s->cg.swap_events_fail : none);

    if (run && cg->has_psi)
        sg_figs_section(f, "Memory pressure (%s/%s/memory.pressure)", sp, cg->psi_dir);
    else
        sg_figs_section(f, "Memory pressure: %s",
                        run ? (cg->psi_missing && cg->psi_missing[0] ? cg->psi_missing : "unavailable")
                            : "domain not running");
    sg_psi_figs(f, run && s->cg.has_psi ? &s->cg.psi : NULL, false);

    {
        const char *src = NULL;
        double lost = run ? sg_entry_lost_ms(x, "all", &src) : NAN;

        sg_figs_section(f, "Lost time of the vCPU threads (%s/%d/task/TID: taskstats, schedstat, wchan)", pp, pid);
        sg_figs_row_double(f, SG_F_SWAPIN_DELAY_MS_PER_S, 0, run ? sg_entry_lost_ms(x, "swapin", NULL) : NAN);
        sg_figs_row_double(f, SG_F_CPU_DELAY_MS_PER_S, 0, run ? sg_entry_lost_ms(x, "cpu", NULL) : NAN);
        sg_figs_row_double(f, SG_F_LOST_MS_PER_S, 0, lost);
        sg_figs_row_str(f, SG_F_LOST_SOURCE, run ? src : "domain not running");
    }
}

double sg_lost_ms_per_s(double verdict_ms, uint64_t psi_a, uint64_t psi_b, double dt_s,
                        enum sg_lost_from *from)
{
    double r;

    if (from)
        *from = SG_LOST_NONE;
    if (isfinite(verdict_ms)) {
        if (from)
            *from = SG_LOST_VERDICT;
        return verdict_ms;
    }
    r = sg_counter_rate(psi_a, psi_b, dt_s); /* SG_NONE is SG_POLICY_NONE: unknown */
    if (isnan(r))
        return NAN;
    if (from)
        *from = SG_LOST_PSI_FULL;
    return r * 1e-3; /* us per s -> ms per s */
}

const char *sg_lost_from_text(enum sg_lost_from f)
{
    switch (f) {
    case SG_LOST_VERDICT:
        return "the verdict's lost_ms_per_s: vCPU time the host measured lost over its window";
    case SG_LOST_PSI_FULL:
        return "fallback, no vCPU time measured: memory PSI full of the domain's cgroup (psi_full_total_us)";
    case SG_LOST_NONE:
        break;
    }
    return "unknown";
}
