/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "policies/verdict.h"
#include "policies/figures.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MIB(kib) ((double)(kib) / 1024.0)

void sg_verdict_thresholds_default(struct sg_verdict_thresholds *t)
{
    *t = (struct sg_verdict_thresholds){
        .host_swap_min_kib = 16 * 1024,
        .swapin_rate_min = 5,
        .apf_rate_min = 1,
        .psi_some_min = 10,
        .psi_full_min = 2,
        .refault_rate_min = 1000,
        .guest_swap_min_kib = 4 * 1024,
        .guest_swapout_rate_min = 1,
        .swapin_delay_min_ms = 20,
        .swapin_look_share_min = 0.2,
        .swapin_looks_min = 3,
        .cpu_delay_min_ms = 300,
        .disk_ms_per_req_min = 100,
        .hung_reports_min = 1,
        .dstate_io_tasks_min = 1,
    };
}

const char *sg_verdict_name(enum sg_verdict_kind v)
{
    static const char *const names[] = {
        [SG_VERDICT_UNKNOWN] = "unknown",
        [SG_VERDICT_OK] = "ok",
        [SG_VERDICT_HOST_MEMORY_PRESSURE] = "host-memory-pressure",
        [SG_VERDICT_GUEST_INTERNAL_SWAP] = "guest-internal-swap",
        [SG_VERDICT_HOST_SWAP_RISK] = "host-swap-risk",
        [SG_VERDICT_HOST_SWAP_STALL] = "host-swap-stall",
        [SG_VERDICT_GUEST_IO_STALL] = "guest-io-stall",
        [SG_VERDICT_HOST_CPU_CONTENTION] = "host-cpu-contention",
        [SG_VERDICT_GUEST_LOCK_STALL] = "guest-lock-stall",
        [SG_VERDICT_DOMAIN_PAUSED] = "domain-paused",
    };

    if ((unsigned)v >= sizeof(names) / sizeof(names[0]) || !names[v])
        return "unknown";
    return names[v];
}

static void add_ev(struct sg_verdict *out, const char *key, double value, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void add_ev(struct sg_verdict *out, const char *key, double value, const char *fmt, ...)
{
    struct sg_evidence *e;
    va_list ap;

    if (out->n_ev >= SG_MAX_EVIDENCE)
        return;
    e = &out->ev[out->n_ev++];
    snprintf(e->key, sizeof(e->key), "%s", key);
    e->value = value;
    va_start(ap, fmt);
    vsnprintf(e->text, sizeof(e->text), fmt, ap);
    va_end(ap);
}

/*
 * Appends "; " (unless first), prefix and at most len bytes of s to
 * out->missing, bounded; bytes outside printable ASCII become '?' (s may come
 * from the guest).
 */
static void add_missing(struct sg_verdict *out, const char *prefix, const char *s, size_t len)
{
    size_t cap = sizeof(out->missing), pos = strnlen(out->missing, cap);
    int w;

    if (pos + 1 >= cap)
        return;
    w = snprintf(out->missing + pos, cap - pos, "%s%s", pos ? "; " : "", prefix);
    if (w < 0 || (size_t)w >= cap - pos) {
        out->missing[cap - 1] = '\0';
        return;
    }
    pos += (size_t)w;
    for (size_t i = 0; i < len && s[i] && pos + 1 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        out->missing[pos++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    out->missing[pos] = '\0';
}

/* "12.5 MiB" or "n/a" for SG_POLICY_NONE, into buf. */
static const char *fmt_mib(char *buf, size_t size, uint64_t kib)
{
    if (kib == SG_POLICY_NONE)
        snprintf(buf, size, "n/a");
    else
        snprintf(buf, size, "%.1f MiB", MIB(kib));
    return buf;
}

/* "12.3 %" or "n/a" for NAN, into buf. */
static const char *fmt_pct(char *buf, size_t size, double pct)
{
    if (isnan(pct))
        snprintf(buf, size, "n/a");
    else
        snprintf(buf, size, "%.1f %%", pct);
    return buf;
}

/* Why sg_counter_rate(before, after, dt_s) is NAN. */
static const char *rate_unknown_why(uint64_t before, uint64_t after, double dt_s, size_t n_samples)
{
    if (n_samples < 2)
        return "one running tick in the window";
    if (before == SG_POLICY_NONE || after == SG_POLICY_NONE)
        return "the counter is not available";
    if (after < before)
        return "the counter went backwards (restarted)";
    if (!(dt_s > 0))
        return "no time passed between the ticks";
    return "unknown";
}

static bool at_least(double v, double min)
{
    return !isnan(v) && v >= min;
}

/* Everything the rules look at, gathered from the window. */
struct window_figs {
    const struct sg_dom_facts *first, *last; /* first and newest running tick */
    size_t n_running;
    uint64_t swap_kib;              /* newest tick, SG_POLICY_NONE unknown */
    double swapin_per_s, swapin_dt_s;
    double apf_per_s, apf_dt_s;

    size_t n_probes;
    const struct sg_dom_facts *newest_probe;
    bool tasks_seen;                /* a probe with tasks_ok */
    bool agent_tasks_ok;            /* a probe with agent_ok && tasks_ok */
    unsigned async_pf_tasks, dstate_tasks;
    unsigned hung_kernel, hung_forged;
    uint64_t guest_swap_used_kib, guest_swap_total_kib; /* SG_POLICY_NONE unknown */
    double guest_swapout_per_s, guest_swapout_dt_s;
    double steal_ms_per_s;

    double host_psi_some, host_psi_full;
    double host_refault_per_s, host_refault_dt_s;

    /* lost time, ms per second summed over the vCPU threads (NAN unknown) */
    bool delayacct;                 /* two running ticks with delay accounting */
    double swapin_ms, blkio_ms, cpu_ms, reclaim_ms, run_ms;
    double fault_ms;                /* swap-in wait: swapin + blkio delay when the host swaps this guest */
    double lost_dt_s;
    unsigned n_vcpus;
    uint64_t looks, looks_swapin, looks_dstate; /* in the window */
    double look_share;              /* looks_swapin / looks, NAN without looks */
    double disk_ms_per_req;
    unsigned hung_io, hung_lock, hung_io_console, hung_lock_console, hung_reclaim;
    unsigned dstate_io, dstate_lock, dstate_reclaim;
    unsigned stall_msgs_kmsg, stall_msgs_console, oom_kills;
    bool console_read;
};

/* (after - before) ns over dt_s seconds in ms per second; NAN when unknown. */
static double ns_rate_ms(uint64_t before, uint64_t after, double dt_s)
{
    double r = sg_counter_rate(before, after, dt_s);
    return isnan(r) ? NAN : r / 1e6;
}

static void gather_lost(const struct sg_dom_facts *const *dom, size_t n, struct window_figs *w)
{
    const struct sg_dom_facts *da_first = NULL, *da_last = NULL, *v_first = NULL, *v_last = NULL;
    uint64_t rq = 0, rt = 0;

    w->swapin_ms = w->blkio_ms = w->cpu_ms = w->reclaim_ms = w->run_ms = w->fault_ms = NAN;
    w->look_share = w->disk_ms_per_req = NAN;
    for (size_t i = 0; i < n; i++) {
        const struct sg_dom_facts *d = dom[i];

        if (!d->running)
            continue;
        if (d->lost.delayacct_available) {
            if (!da_first)
                da_first = d;
            da_last = d;
        }
        if (d->lost.vcpu_threads > 0) {
            if (!v_first)
                v_first = d;
            v_last = d;
        }
        if (d->lost.console_ok) {
            w->console_read = true;
            w->hung_io_console += d->lost.console_hung_io;
            w->hung_lock_console += d->lost.console_hung_lock;
            w->hung_reclaim += d->lost.console_hung_reclaim;
            w->stall_msgs_console += d->lost.console_stall_msgs;
            w->oom_kills += d->lost.console_oom_kills;
        }
    }
    if (da_first && da_last != da_first) {
        double dt = da_last->t_s - da_first->t_s;
        double fp = ns_rate_ms(da_first->lost.freepages_delay_ns, da_last->lost.freepages_delay_ns, dt);
        double th = ns_rate_ms(da_first->lost.thrashing_delay_ns, da_last->lost.thrashing_delay_ns, dt);

        w->delayacct = true;
        w->lost_dt_s = dt;
        w->swapin_ms = ns_rate_ms(da_first->lost.swapin_delay_ns, da_last->lost.swapin_delay_ns, dt);
        w->blkio_ms = ns_rate_ms(da_first->lost.blkio_delay_ns, da_last->lost.blkio_delay_ns, dt);
        w->cpu_ms = ns_rate_ms(da_first->lost.cpu_delay_ns, da_last->lost.cpu_delay_ns, dt);
        w->reclaim_ms = isnan(fp) ? th : isnan(th) ? fp : fp + th;
    }
    if (v_last) {
        w->n_vcpus = v_last->lost.vcpu_threads;
        if (v_first != v_last) {
            w->run_ms = ns_rate_ms(v_first->lost.run_delay_ns, v_last->lost.run_delay_ns, v_last->t_s - v_first->t_s);
            if (!w->lost_dt_s)
                w->lost_dt_s = v_last->t_s - v_first->t_s;
        }
        /* The look counters run from the start of collecting; the first tick's own looks count. */
        if (v_last->lost.vcpu_looks >= v_first->lost.vcpu_looks && v_first != v_last) {
            w->looks = v_last->lost.vcpu_looks - v_first->lost.vcpu_looks;
            w->looks_swapin = v_last->lost.vcpu_looks_swapin - v_first->lost.vcpu_looks_swapin;
            w->looks_dstate = v_last->lost.vcpu_looks_dstate - v_first->lost.vcpu_looks_dstate;
        } else {
            w->looks = v_last->lost.vcpu_looks;
            w->looks_swapin = v_last->lost.vcpu_looks_swapin;
            w->looks_dstate = v_last->lost.vcpu_looks_dstate;
        }
        if (w->looks > 0 && w->looks_swapin <= w->looks)
            w->look_share = (double)w->looks_swapin / (double)w->looks;
    }
    if (w->first != w->last) {
        const struct sg_dom_facts *a = w->first, *b = w->last;
        const uint64_t *req[2][3] = { { &a->lost.blk_rd_reqs, &a->lost.blk_wr_reqs, &a->lost.blk_fl_reqs },
                                      { &b->lost.blk_rd_reqs, &b->lost.blk_wr_reqs, &b->lost.blk_fl_reqs } };
        const uint64_t *tim[2][3] = { { &a->lost.blk_rd_times_ns, &a->lost.blk_wr_times_ns, &a->lost.blk_fl_times_ns },
                                      { &b->lost.blk_rd_times_ns, &b->lost.blk_wr_times_ns, &b->lost.blk_fl_times_ns } };

        for (size_t k = 0; k < 3; k++) {
            if (*req[0][k] == SG_POLICY_NONE || *req[1][k] == SG_POLICY_NONE || *req[1][k] < *req[0][k] ||
                *tim[0][k] == SG_POLICY_NONE || *tim[1][k] == SG_POLICY_NONE || *tim[1][k] < *tim[0][k])
                continue;
            rq += *req[1][k] - *req[0][k];
            rt += *tim[1][k] - *tim[0][k];
        }
        if (rq > 0)
            w->disk_ms_per_req = (double)rt / (double)rq / 1e6;
    }
}

static void gather_host_dom(const struct sg_dom_facts *const *dom, size_t n, struct window_figs *w)
{
    const struct sg_dom_facts *apf_first = NULL, *apf_last = NULL;

    for (size_t i = 0; i < n; i++) {
        if (!dom[i]->running)
            continue;
        if (!w->first)
            w->first = dom[i];
        w->last = dom[i];
        w->n_running++;
        if (dom[i]->apf_available) {
            if (!apf_first)
                apf_first = dom[i];
            apf_last = dom[i];
        }
    }

    if (!w->last)
        return; /* no running sample (the caller checks the newest is running) */
    w->swap_kib = sg_guest_ram_in_host_swap_kib(w->last->vm_swap_kib, w->last->cgroup_swap_bytes);

    w->swapin_dt_s = w->last->t_s - w->first->t_s;
    w->swapin_per_s = sg_counter_rate(w->first->cgroup_pgmajfault, w->last->cgroup_pgmajfault,
                                      w->swapin_dt_s);

    w->apf_per_s = NAN;
    w->apf_dt_s = 0;
    if (apf_first) {
        w->apf_dt_s = apf_last->t_s - apf_first->t_s;
        w->apf_per_s = sg_counter_rate(apf_first->apf[SG_APF_NOT_PRESENT],
                                       apf_last->apf[SG_APF_NOT_PRESENT], w->apf_dt_s);
    }
}

static void gather_guest(const struct sg_dom_facts *const *dom, size_t n, struct window_figs *w)
{
    const struct sg_dom_facts *mem_first = NULL, *mem_last = NULL;

    w->guest_swap_used_kib = w->guest_swap_total_kib = SG_POLICY_NONE;
    w->guest_swapout_per_s = NAN;
    w->steal_ms_per_s = NAN;
    for (size_t i = 0; i < n; i++) {
        const struct sg_guest_facts *g = &dom[i]->guest;

        if (!dom[i]->guest_probed)
            continue;
        w->n_probes++;
        w->newest_probe = dom[i];
        if (g->tasks_ok) {
            w->tasks_seen = true;
            if (g->agent_ok)
                w->agent_tasks_ok = true;
            if (g->async_pf_tasks > w->async_pf_tasks)
                w->async_pf_tasks = g->async_pf_tasks;
            if (g->dstate_tasks > w->dstate_tasks)
                w->dstate_tasks = g->dstate_tasks;
        }
        if (g->tasks_ok) {
            if (g->dstate_io_tasks > w->dstate_io)
                w->dstate_io = g->dstate_io_tasks;
            if (g->dstate_lock_tasks > w->dstate_lock)
                w->dstate_lock = g->dstate_lock_tasks;
            if (g->dstate_reclaim_tasks > w->dstate_reclaim)
                w->dstate_reclaim = g->dstate_reclaim_tasks;
        }
        if (g->kmsg_ok) {
            w->hung_kernel += g->hung_async_pf_kernel;
            w->hung_forged += g->hung_async_pf_forged;
            w->hung_io += g->hung_io_kernel;
            w->hung_lock += g->hung_lock_kernel;
            w->hung_reclaim += g->hung_reclaim_kernel;
            w->stall_msgs_kmsg += g->stall_msgs_kernel;
            w->oom_kills += g->oom_kills_kernel;
        }
        if (g->mem_ok) {
            if (!mem_first)
                mem_first = dom[i];
            mem_last = dom[i];
        }
        if (!isnan(g->steal_ms_per_s) && (isnan(w->steal_ms_per_s) || g->steal_ms_per_s > w->steal_ms_per_s))
            w->steal_ms_per_s = g->steal_ms_per_s;
    }
    if (mem_last) {
        const struct sg_guest_facts *g = &mem_last->guest;

        if (g->swap_total_kib != SG_POLICY_NONE && g->swap_free_kib != SG_POLICY_NONE &&
            g->swap_free_kib <= g->swap_total_kib) {
            w->guest_swap_total_kib = g->swap_total_kib;
            w->guest_swap_used_kib = g->swap_total_kib - g->swap_free_kib;
        }
        w->guest_swapout_dt_s = mem_last->t_s - mem_first->t_s;
        w->guest_swapout_per_s = sg_counter_rate(mem_first->guest.pswpout, mem_last->guest.pswpout,
                                                 w->guest_swapout_dt_s);
    }
}

static void gather_host(const struct sg_host_facts *const *host, size_t n_host, struct window_figs *w)
{
    w->host_psi_some = w->host_psi_full = NAN;
    w->host_refault_per_s = NAN;
    if (n_host == 0)
        return;
    w->host_psi_some = host[n_host - 1]->psi_some_avg10;
    w->host_psi_full = host[n_host - 1]->psi_full_avg10;
    w->host_refault_dt_s = host[n_host - 1]->t_s - host[0]->t_s;
    w->host_refault_per_s = sg_counter_rate(host[0]->workingset_refault_anon,
                                            host[n_host - 1]->workingset_refault_anon,
                                            w->host_refault_dt_s);
}

static void fill_missing(struct sg_verdict *out, const struct window_figs *w)
{
    const struct sg_dom_facts *p = w->newest_probe;

    if (!p && w->last->guest.missing[0]) {
        /* Not probed, with the collector's reason (read-only connection, probe disabled). */
        add_missing(out, "guest agent: ", w->last->guest.missing, sizeof(w->last->guest.missing));
    } else if (!p) {
        add_missing(out, "guest agent: ", "no guest probe in the window", SIZE_MAX);
    } else if (p->guest.missing[0]) {
        add_missing(out, "guest agent: ", p->guest.missing, sizeof(p->guest.missing));
    } else if (!p->guest.agent_ok) {
        add_missing(out, "guest agent: ", "no answer", SIZE_MAX);
    } else if (!p->guest.tasks_ok) {
        add_missing(out, "guest agent: ", "the D-state task list was not read", SIZE_MAX);
    }
    if (w->last->lost.vcpu_threads > 0 && !w->last->lost.delayacct_available) {
        add_missing(out, "delay accounting: ", w->last->delayacct_missing[0] ? w->last->delayacct_missing : "not read",
                    sizeof(w->last->delayacct_missing));
        if (strstr(w->last->delayacct_missing, "task_delayacct = 0"))
            add_missing(out, "", "host: enable it with `sysctl -w kernel.task_delayacct=1` (a few clock reads per "
                        "context switch) to measure the vCPUs' swap-in, I/O and run-queue delays", SIZE_MAX);
    }
    if (!w->last->apf_available) {
        if (w->last->apf_missing[0])
            add_missing(out, "async-PF counters: ", w->last->apf_missing, sizeof(w->last->apf_missing));
        else
            add_missing(out, "async-PF counters: ", "not read", SIZE_MAX);
    }
}

static void add_evidence(struct sg_verdict *out, const struct sg_verdict_thresholds *t,
                         const struct window_figs *w, bool host_hit)
{
    const struct sg_dom_facts *last = w->last;
    char a[32], b[32], c[32];

    if (w->swap_kib != SG_POLICY_NONE && (w->swap_kib > 0 || w->swap_kib >= t->host_swap_min_kib)) {
        if (last->guest_ram_kib != SG_POLICY_NONE && last->guest_ram_kib > 0)
            add_ev(out, "host_swap_kib", (double)w->swap_kib,
                   "%.1f MiB of %.1f MiB guest RAM in host swap (VmSwap %s, cgroup swap %s)",
                   MIB(w->swap_kib), MIB(last->guest_ram_kib),
                   fmt_mib(a, sizeof(a), last->vm_swap_kib), fmt_mib(b, sizeof(b), sg_guest_ram_in_host_swap_kib(SG_POLICY_NONE, last->cgroup_swap_bytes)));
        else
            add_ev(out, "host_swap_kib", (double)w->swap_kib,
                   "%.1f MiB of guest RAM in host swap (VmSwap %s, cgroup swap %s)", MIB(w->swap_kib),
                   fmt_mib(a, sizeof(a), last->vm_swap_kib), fmt_mib(b, sizeof(b), sg_guest_ram_in_host_swap_kib(SG_POLICY_NONE, last->cgroup_swap_bytes)));
    }

    if (!isnan(w->swapin_per_s)) {
        if (w->swapin_per_s > 0 || w->swapin_per_s >= t->swapin_rate_min)
            add_ev(out, "swapin_per_s", w->swapin_per_s,
                   "%.1f major faults/s in the domain's memory cgroup over %.0f s (swap-ins of guest RAM; "
                   "counts from %.1f/s)", w->swapin_per_s, w->swapin_dt_s, t->swapin_rate_min);
    } else if (!host_hit) {
        add_ev(out, "swapin_per_s", NAN, "swap-in rate unknown: %s",
               rate_unknown_why(w->first->cgroup_pgmajfault, last->cgroup_pgmajfault, w->swapin_dt_s,
                                w->n_running));
    }

    if (!isnan(w->apf_per_s)) {
        if (w->apf_per_s > 0)
            add_ev(out, "apf_not_present_per_s", w->apf_per_s,
                   "%.1f async page faults/s (kvm_async_pf_not_present) over %.0f s: guest tasks parked "
                   "waiting for host swap-in", w->apf_per_s, w->apf_dt_s);
        else
            add_ev(out, "apf_not_present_per_s", 0,
                   "no async page fault (kvm_async_pf_not_present) over %.0f s", w->apf_dt_s);
    }

    if (w->tasks_seen) {
        if (w->async_pf_tasks > 0)
            add_ev(out, "guest_async_pf_tasks", w->async_pf_tasks,
                   "%u guest tasks in D state waiting in async PF (kvm_async_pf_task_wait)",
                   w->async_pf_tasks);
        else
            add_ev(out, "guest_async_pf_tasks", 0, "no guest task waiting in async PF (%zu probes)",
                   w->n_probes);
    }
    if (w->dstate_tasks > 0)
        add_ev(out, "guest_dstate_tasks", w->dstate_tasks, "%u guest tasks in D state (uninterruptible sleep)",
               w->dstate_tasks);
    if (w->hung_kernel > 0)
        add_ev(out, "hung_async_pf_kernel", w->hung_kernel,
               "%u hung-task reports with async PF in the trace, printed by the guest kernel", w->hung_kernel);
    if (w->hung_forged > 0)
        add_ev(out, "hung_async_pf_forged", w->hung_forged,
               "%u hung-task reports with async PF were written to /dev/kmsg from guest user space "
               "(not kernel facility): a guest root can forge them, weak evidence", w->hung_forged);

    if (w->guest_swap_used_kib != SG_POLICY_NONE &&
        (w->guest_swap_used_kib > 0 || w->guest_swap_used_kib >= t->guest_swap_min_kib))
        add_ev(out, "guest_swap_used_kib", (double)w->guest_swap_used_kib,
               "the guest uses %.1f MiB of its own %.1f MiB swap", MIB(w->guest_swap_used_kib),
               MIB(w->guest_swap_total_kib));
    if (!isnan(w->guest_swapout_per_s) && w->guest_swapout_per_s > 0)
        add_ev(out, "guest_swapout_per_s", w->guest_swapout_per_s,
               "the guest swaps out %.1f pages/s to its own swap (pswpout) over %.0f s",
               w->guest_swapout_per_s, w->guest_swapout_dt_s);

    if ((!isnan(last->psi_some_avg10) && last->psi_some_avg10 > 0) ||
        (!isnan(last->psi_full_avg10) && last->psi_full_avg10 > 0))
        add_ev(out, "psi_some_avg10", last->psi_some_avg10,
               "the domain's memory cgroup PSI some %s, full %s (avg10)",
               fmt_pct(a, sizeof(a), last->psi_some_avg10), fmt_pct(b, sizeof(b), last->psi_full_avg10));
    if ((!isnan(w->host_psi_some) && w->host_psi_some > 0) || (!isnan(w->host_psi_full) && w->host_psi_full > 0))
        add_ev(out, "host_psi_some_avg10", w->host_psi_some, "host memory PSI some %s, full %s (avg10)",
               fmt_pct(a, sizeof(a), w->host_psi_some), fmt_pct(c, sizeof(c), w->host_psi_full));
    if (!isnan(w->host_refault_per_s) && w->host_refault_per_s > 0)
        add_ev(out, "host_refault_per_s", w->host_refault_per_s,
               "the host refaults %.0f anon pages/s (workingset_refault_anon) over %.0f s",
               w->host_refault_per_s, w->host_refault_dt_s);
    if (!isnan(w->steal_ms_per_s) && w->steal_ms_per_s > 0)
        add_ev(out, "steal_ms_per_s", w->steal_ms_per_s, "guest vCPU steal up to %.0f ms/s", w->steal_ms_per_s);
}

/* What to look at for a domain paused for reason (the names of sg_domain_paused_reason_name). */
static const char *paused_advice(const char *reason)
{
    static const struct { const char *reason, *advice; } a[] = {
        { "I/O error", "QEMU stopped it on a disk error (error_policy stop/enospace: host disk full or "
                       "failing); virsh domblkerror, then virsh resume" },
        { "user", "a client paused it (virsh suspend, virDomainSuspend); virsh resume" },
        { "migrating", "paused for migration; it runs again on the destination or here when it ends" },
        { "post-copy failed", "post-copy migration failed: its memory is split between two hosts" },
        { "watchdog", "its watchdog fired with action pause: the guest hung before" },
        { "crashed", "the guest crashed (on_crash preserve or a panic device)" },
    };

    for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++)
        if (strcmp(reason, a[i].reason) == 0)
            return a[i].advice;
    return "its vCPUs do not run until it is resumed (virsh domstate --reason)";
}

static void add_lost_evidence(struct sg_verdict *out, const struct sg_verdict_thresholds *t,
                              const struct window_figs *w, bool sync_looks, bool agent_silent)
{
    const char *src = w->delayacct ? "taskstats" : "schedstat";
    double cpu = w->delayacct ? w->cpu_ms : w->run_ms;

    bool fault_is_swap = !isnan(w->fault_ms) && w->fault_ms != w->swapin_ms;

    if (!isnan(w->fault_ms) && (w->fault_ms > 0 || w->fault_ms >= t->swapin_delay_min_ms))
        add_ev(out, "swapin_delay_ms_per_s", w->fault_ms,
               "the vCPU threads lost %.0f ms/s waiting for host swap-in over %.0f s (taskstats "
               "swapin_delay_total%s, %u vCPUs)", w->fault_ms, w->lost_dt_s,
               fault_is_swap ? " + blkio_delay_total: a vCPU thread's block I/O is its faults' reads" : "",
               w->n_vcpus);
    if (sync_looks || (!isnan(w->look_share) && w->looks_swapin > 0))
        add_ev(out, "vcpu_swapin_look_share", w->look_share,
               "a vCPU thread was in D state in the host's swap-in path in %" PRIu64 " of %" PRIu64
               " looks (/proc/PID/task/TID/wchan)", w->looks_swapin, w->looks);
    if (!isnan(w->blkio_ms) && w->blkio_ms > 0 && !fault_is_swap)
        add_ev(out, "blkio_delay_ms_per_s", w->blkio_ms,
               "the vCPU threads lost %.0f ms/s waiting for host block I/O (taskstats)", w->blkio_ms);
    if (!isnan(cpu) && cpu > 0 && w->n_vcpus > 0)
        add_ev(out, "cpu_delay_ms_per_s", cpu,
               "the vCPU threads waited %.0f ms/s for a host CPU (%.0f ms/s per vCPU, %s run-queue wait)",
               cpu, cpu / w->n_vcpus, src);
    if (!isnan(w->reclaim_ms) && w->reclaim_ms > 0)
        add_ev(out, "reclaim_delay_ms_per_s", w->reclaim_ms,
               "the vCPU threads lost %.0f ms/s in host direct reclaim and thrashing (taskstats)", w->reclaim_ms);
    if (!isnan(w->disk_ms_per_req))
        add_ev(out, "disk_ms_per_req", w->disk_ms_per_req,
               "the domain's disks took %.1f ms per request on the host (libvirt block stats rd/wr/fl times)",
               w->disk_ms_per_req);
    if (w->hung_io + w->hung_io_console > 0)
        add_ev(out, "guest_hung_io", w->hung_io + w->hung_io_console,
               "%u hung-task reports waiting on storage I/O (%u from the guest kernel log, %u from the serial "
               "console)", w->hung_io + w->hung_io_console, w->hung_io, w->hung_io_console);
    if (w->hung_lock + w->hung_lock_console > 0)
        add_ev(out, "guest_hung_lock", w->hung_lock + w->hung_lock_console,
               "%u hung-task reports waiting on a lock (%u from the guest kernel log, %u from the serial console)",
               w->hung_lock + w->hung_lock_console, w->hung_lock, w->hung_lock_console);
    if (w->dstate_io > 0)
        add_ev(out, "guest_dstate_io_tasks", w->dstate_io, "%u guest tasks in D state waiting on storage I/O "
               "(guest agent: wchan and stack)", w->dstate_io);
    if (w->stall_msgs_kmsg + w->stall_msgs_console > 0)
        add_ev(out, "guest_stall_msgs", w->stall_msgs_kmsg + w->stall_msgs_console,
               "the guest kernel printed %u soft lockup / RCU stall / clocksource / hrtimer messages (%u in its "
               "kernel log, %u on the serial console): it lost time", w->stall_msgs_kmsg + w->stall_msgs_console,
               w->stall_msgs_kmsg, w->stall_msgs_console);
    if (agent_silent)
        add_ev(out, "guest_agent_silent", NAN,
               "the guest agent did not answer while the host saw the vCPUs stalled in swap-in");
    if (w->oom_kills > 0)
        add_ev(out, "guest_oom_kills", w->oom_kills, "the guest kernel OOM-killed %u processes", w->oom_kills);
}

static void add_cause(struct sg_verdict *out, const char *name, double ms, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void add_cause(struct sg_verdict *out, const char *name, double ms, const char *fmt, ...)
{
    struct sg_cause *c;
    va_list ap;

    if (out->n_causes >= SG_MAX_CAUSES)
        return;
    c = &out->causes[out->n_causes++];
    snprintf(c->name, sizeof(c->name), "%s", name);
    c->lost_ms_per_s = ms;
    c->share = NAN;
    va_start(ap, fmt);
    vsnprintf(c->evidence, sizeof(c->evidence), fmt, ap);
    va_end(ap);
}

/* Every cause seen, with its lost time and share, the largest first. */
static void fill_causes(struct sg_verdict *out, const struct window_figs *w)
{
    double cpu = w->delayacct ? w->cpu_ms : w->run_ms, swapin = w->fault_ms, total = 0;
    bool blkio_in_swap = !isnan(w->fault_ms) && w->fault_ms != w->swapin_ms;
    bool measured = false;

    if (isnan(swapin) && !isnan(w->look_share) && w->looks_swapin > 0 && w->n_vcpus > 0)
        swapin = w->look_share * 1000.0 * w->n_vcpus; /* estimated from the looks */
    if (!isnan(swapin) && swapin > 0 && isnan(w->swapin_ms))
        add_cause(out, "host-swap", swapin, "vCPU in the swap-in path in %" PRIu64 " of %" PRIu64
                  " looks (wchan; estimate)", w->looks_swapin, w->looks);
    else if (!isnan(swapin) && swapin > 0)
        add_cause(out, "host-swap", swapin, "taskstats swapin_delay_total%s of the vCPU threads",
                  blkio_in_swap ? " + blkio_delay_total" : "");
    if (!isnan(cpu) && cpu >= 1)
        add_cause(out, "host-cpu", cpu, "%s run-queue wait of the vCPU threads",
                  w->delayacct ? "taskstats cpu_delay_total" : "schedstat");
    if (!isnan(w->blkio_ms) && w->blkio_ms >= 1 && !blkio_in_swap)
        add_cause(out, "host-io", w->blkio_ms, "taskstats blkio_delay_total of the vCPU threads");
    if (!isnan(w->reclaim_ms) && w->reclaim_ms >= 1)
        add_cause(out, "host-reclaim", w->reclaim_ms, "taskstats freepages + thrashing delay of the vCPU threads");
    for (size_t i = 0; i < out->n_causes; i++) {
        total += out->causes[i].lost_ms_per_s;
        measured = true;
    }
    out->lost_ms_per_s = measured ? total : NAN;
    for (size_t i = 0; i < out->n_causes && total > 0; i++)
        out->causes[i].share = out->causes[i].lost_ms_per_s / total;
    /* largest first (a handful of entries) */
    for (size_t i = 1; i < out->n_causes; i++)
        for (size_t k = i; k > 0 && out->causes[k].lost_ms_per_s > out->causes[k - 1].lost_ms_per_s; k--) {
            struct sg_cause tmp = out->causes[k];
            out->causes[k] = out->causes[k - 1];
            out->causes[k - 1] = tmp;
        }
    if (w->async_pf_tasks > 0 || w->hung_kernel > 0 || at_least(w->apf_per_s, 1))
        add_cause(out, "async-pf", NAN, "%u guest tasks in async PF, %u kernel hung-task reports with async PF, "
                  "async PF %.1f/s", w->async_pf_tasks, w->hung_kernel, isnan(w->apf_per_s) ? 0.0 : w->apf_per_s);
    if (w->hung_io + w->hung_io_console + w->dstate_io > 0) {
        char lat[64] = "";

        if (!isnan(w->disk_ms_per_req))
            snprintf(lat, sizeof(lat), "; its disks %.0f ms per request on the host", w->disk_ms_per_req);
        add_cause(out, "guest-io", NAN, "%u hung-task reports on storage I/O (kmsg %u, console %u), %u D-state "
                  "tasks on I/O%s", w->hung_io + w->hung_io_console, w->hung_io, w->hung_io_console, w->dstate_io,
                  lat);
    }
    if (w->hung_lock + w->hung_lock_console + w->dstate_lock > 0)
        add_cause(out, "guest-lock", NAN, "%u hung-task reports on a lock (kmsg %u, console %u), %u D-state "
                  "tasks on a lock", w->hung_lock + w->hung_lock_console, w->hung_lock, w->hung_lock_console,
                  w->dstate_lock);
    if (w->hung_reclaim + w->dstate_reclaim > 0)
        add_cause(out, "guest-reclaim", NAN, "%u hung-task reports and %u D-state tasks in the guest's own "
                  "reclaim", w->hung_reclaim, w->dstate_reclaim);
}

const char *sg_vcpu_cause_name(enum sg_vcpu_cause c)
{
    static const char *const names[] = {
        [SG_VCPU_CAUSE_HOST_SWAP] = "host-swap", [SG_VCPU_CAUSE_HOST_CPU] = "host-cpu",
        [SG_VCPU_CAUSE_HOST_IO] = "host-io", [SG_VCPU_CAUSE_HOST_RECLAIM] = "host-reclaim",
    };

    return (unsigned)c < SG_VCPU_CAUSE__MAX ? names[c] : "unknown";
}

const char *sg_vcpu_cause_what(enum sg_vcpu_cause c)
{
    static const char *const what[] = {
        [SG_VCPU_CAUSE_HOST_SWAP] = "swap-in", [SG_VCPU_CAUSE_HOST_CPU] = "run-queue wait",
        [SG_VCPU_CAUSE_HOST_IO] = "block I/O", [SG_VCPU_CAUSE_HOST_RECLAIM] = "direct reclaim",
    };

    return (unsigned)c < SG_VCPU_CAUSE__MAX ? what[c] : "unknown";
}

/* Whether ms/s of cause k enters the lost time, as in fill_causes. */
static bool vcpu_cause_counts(size_t k, double ms)
{
    return k == SG_VCPU_CAUSE_HOST_SWAP ? ms > 0 : ms >= 1;
}

/* Thread tid among d's vCPU threads, NULL when d does not carry it. */
static const struct sg_vcpu_lost *vcpu_in(const struct sg_dom_facts *d, unsigned tid)
{
    for (unsigned i = 0; d && i < d->lost.n_vcpu_lost && i < SG_VCPU_LOST_MAX; i++)
        if (d->vcpu_lost[i].tid == tid)
            return &d->vcpu_lost[i];
    return NULL;
}

/*
 * Each vCPU thread's causes over the window, by the domain's rules (fill_causes):
 * blkio counts as swap-in when the domain's did (blkio_in_swap), run-queue wait
 * from taskstats else schedstat, swap-in estimated from the looks without
 * delay accounting.
 */
static void fill_vcpu_causes(struct sg_verdict *out, const struct sg_dom_facts *const *dom, size_t n,
                             bool blkio_in_swap)
{
    const struct sg_dom_facts *da_first = NULL, *da_last = NULL, *v_first = NULL, *v_last = NULL;

    for (size_t i = 0; i < n; i++) {
        const struct sg_dom_facts *d = dom[i];

        if (!d->running || d->lost.n_vcpu_lost == 0)
            continue;
        if (d->lost.delayacct_available) {
            if (!da_first)
                da_first = d;
            da_last = d;
        }
        if (!v_first)
            v_first = d;
        v_last = d;
    }
    if (!v_last)
        return;
    for (unsigned i = 0; i < v_last->lost.n_vcpu_lost && i < SG_VCPU_LOST_MAX; i++) {
        const struct sg_vcpu_lost *b = &v_last->vcpu_lost[i], *a = v_first != v_last ? vcpu_in(v_first, b->tid) : NULL;
        struct sg_vcpu_causes *c = &out->vcpus[out->n_vcpus++];
        double total = 0, dt;
        bool known = false;

        c->vcpu = b->vcpu;
        c->tid = b->tid;
        for (size_t k = 0; k < SG_VCPU_CAUSE__MAX; k++)
            c->ms[k] = c->share[k] = NAN;
        c->lost_ms_per_s = c->swapin_look_share = NAN;
        if (a && b->looks >= a->looks && b->looks_swapin >= a->looks_swapin) {
            c->looks = b->looks - a->looks;
            c->looks_swapin = b->looks_swapin - a->looks_swapin;
        } else {
            c->looks = b->looks; /* one tick, or counting restarted: the newest tick's own looks */
            c->looks_swapin = b->looks_swapin;
        }
        if (c->looks > 0 && c->looks_swapin <= c->looks)
            c->swapin_look_share = (double)c->looks_swapin / (double)c->looks;

        if (da_first && da_last != da_first && vcpu_in(da_first, b->tid) && vcpu_in(da_last, b->tid)) {
            const struct sg_vcpu_lost *x = vcpu_in(da_first, b->tid), *y = vcpu_in(da_last, b->tid);
            double swapin, blkio, fp, th;

            dt = da_last->t_s - da_first->t_s;
            swapin = ns_rate_ms(x->swapin_delay_ns, y->swapin_delay_ns, dt);
            blkio = ns_rate_ms(x->blkio_delay_ns, y->blkio_delay_ns, dt);
            fp = ns_rate_ms(x->freepages_delay_ns, y->freepages_delay_ns, dt);
            th = ns_rate_ms(x->thrashing_delay_ns, y->thrashing_delay_ns, dt);
            c->ms[SG_VCPU_CAUSE_HOST_CPU] = ns_rate_ms(x->cpu_delay_ns, y->cpu_delay_ns, dt);
            if (blkio_in_swap && !isnan(blkio))
                c->ms[SG_VCPU_CAUSE_HOST_SWAP] = (isnan(swapin) ? 0 : swapin) + blkio;
            else {
                c->ms[SG_VCPU_CAUSE_HOST_SWAP] = swapin;
                c->ms[SG_VCPU_CAUSE_HOST_IO] = blkio;
            }
            c->ms[SG_VCPU_CAUSE_HOST_RECLAIM] = isnan(fp) ? th : isnan(th) ? fp : fp + th;
        } else if (a) {
            dt = v_last->t_s - v_first->t_s;
            c->ms[SG_VCPU_CAUSE_HOST_CPU] = ns_rate_ms(a->run_delay_ns, b->run_delay_ns, dt);
        }
        if (isnan(c->ms[SG_VCPU_CAUSE_HOST_SWAP]) && !isnan(c->swapin_look_share) && c->looks_swapin > 0) {
            c->ms[SG_VCPU_CAUSE_HOST_SWAP] = c->swapin_look_share * 1000.0;
            c->swap_estimated = true;
        }
        /* What counts as the domain's table counts it: swap-in above 0, the others from 1 ms/s. */
        for (size_t k = 0; k < SG_VCPU_CAUSE__MAX; k++) {
            if (isnan(c->ms[k]))
                continue;
            known = true;
            if (vcpu_cause_counts(k, c->ms[k]))
                total += c->ms[k];
        }
        if (!known)
            continue;
        c->lost_ms_per_s = total;
        for (size_t k = 0; k < SG_VCPU_CAUSE__MAX && total > 0; k++)
            if (!isnan(c->ms[k]))
                c->share[k] = vcpu_cause_counts(k, c->ms[k]) ? c->ms[k] / total : 0;
    }
}

void sg_verdict_eval(const struct sg_verdict_thresholds *t, const struct sg_dom_facts *const *dom,
                     size_t n, const struct sg_host_facts *const *host, size_t n_host,
                     struct sg_verdict *out)
{
    struct sg_verdict_thresholds defaults;
    struct window_figs w = { 0 };
    bool swap_hit, swapin_hit, host_hit, apf_hit, stall_seen, vis_agent, vis_apf;
    bool guest_hit, pressure_hit;
    bool sync_delay, sync_looks, io_hit, lock_hit, cpu_hit, agent_silent, hung_apf_hit;
    double cpu_per_vcpu;

    memset(out, 0, sizeof(*out));
    out->kind = SG_VERDICT_UNKNOWN;
    out->confidence = 0;
    if (!t) {
        sg_verdict_thresholds_default(&defaults);
        t = &defaults;
    }
    if (!host)
        n_host = 0;
    if (!dom || n == 0) {
        add_missing(out, "", "no sample of the domain", SIZE_MAX);
        return;
    }
    out->n_ticks = n;
    out->window_s = dom[n - 1]->t_s - dom[0]->t_s;
    if (!dom[n - 1]->running) {
        add_missing(out, "", "domain not running", SIZE_MAX);
        return;
    }

    gather_host_dom(dom, n, &w);
    gather_guest(dom, n, &w);
    gather_host(host, n_host, &w);
    gather_lost(dom, n, &w);

    swap_hit = w.swap_kib != SG_POLICY_NONE && w.swap_kib >= t->host_swap_min_kib;
    swapin_hit = at_least(w.swapin_per_s, t->swapin_rate_min);
    host_hit = swap_hit || swapin_hit;
    apf_hit = at_least(w.apf_per_s, t->apf_rate_min);
    hung_apf_hit = w.hung_kernel >= t->hung_reports_min;
    stall_seen = w.async_pf_tasks > 0 || hung_apf_hit || apf_hit;
    vis_agent = w.agent_tasks_ok;
    vis_apf = w.last->apf_available;
    guest_hit = (w.guest_swap_used_kib != SG_POLICY_NONE && w.guest_swap_used_kib >= t->guest_swap_min_kib) ||
                at_least(w.guest_swapout_per_s, t->guest_swapout_rate_min);
    /* The domain's own PSI says whether its tasks stall on memory; the host-wide figures
     * (which include every other guest's stalls) stand in only when the domain has none. */
    if (!isnan(w.last->psi_some_avg10) || !isnan(w.last->psi_full_avg10))
        pressure_hit = at_least(w.last->psi_some_avg10, t->psi_some_min) ||
                       at_least(w.last->psi_full_avg10, t->psi_full_min);
    else
        pressure_hit = at_least(w.host_psi_some, t->psi_some_min) ||
                       at_least(w.host_psi_full, t->psi_full_min) ||
                       at_least(w.host_refault_per_s, t->refault_rate_min);

    /* A vCPU thread does no block I/O of its own (QEMU's disk I/O runs in other threads):
     * its blkio delay is the reads of its page faults. With guest RAM in host swap (or the
     * vCPU seen in the swap-in path) that is swap-in: Linux 6.1 accounts the wait of a
     * synchronous swap-in (io_schedule under folio_wait_bit_common) as blkio, not swapin. */
    w.fault_ms = w.swapin_ms;
    if ((host_hit || (!isnan(w.look_share) && w.looks_swapin > 0)) && !isnan(w.blkio_ms))
        w.fault_ms = (isnan(w.swapin_ms) ? 0 : w.swapin_ms) + w.blkio_ms;
    sync_delay = at_least(w.fault_ms, t->swapin_delay_min_ms);
    sync_looks = at_least(w.look_share, t->swapin_look_share_min) && w.looks_swapin >= t->swapin_looks_min &&
                 host_hit;
    io_hit = w.hung_io + w.hung_io_console >= t->hung_reports_min ||
             (w.dstate_io >= t->dstate_io_tasks_min && at_least(w.disk_ms_per_req, t->disk_ms_per_req_min));
    lock_hit = w.hung_lock + w.hung_lock_console >= t->hung_reports_min;
    cpu_per_vcpu = NAN;
    if (w.n_vcpus > 0)
        cpu_per_vcpu = (w.delayacct ? w.cpu_ms : w.run_ms) / w.n_vcpus;
    cpu_hit = at_least(cpu_per_vcpu, t->cpu_delay_min_ms) || at_least(w.steal_ms_per_s, t->cpu_delay_min_ms);
    agent_silent = (sync_delay || sync_looks) && w.newest_probe && !w.newest_probe->guest.agent_ok;

    if (dom[n - 1]->paused[0]) {
        /* libvirt holds it paused: no vCPU runs, whatever else the figures say. */
        out->kind = SG_VERDICT_DOMAIN_PAUSED;
        out->confidence = 0.95;
    } else if (sync_delay || sync_looks) {
        /* Synchronous: the vCPU thread itself waits for the page (guest kernel-mode faults,
         * no async PF, TCG); measured on the host, no guest help needed. */
        out->kind = SG_VERDICT_HOST_SWAP_STALL;
        out->confidence = sync_delay ? (host_hit ? 0.95 : 0.9) : 0.85;
    } else if (host_hit && stall_seen) {
        out->kind = SG_VERDICT_HOST_SWAP_STALL;
        out->confidence = (hung_apf_hit || apf_hit) ? 0.95 : 0.8;
    } else if (host_hit && w.hung_forged >= t->hung_reports_min) {
        /* Guest RAM in host swap and the guest says it stalls in async PF, but only through
         * reports any guest root can write: a stall, believed little. */
        out->kind = SG_VERDICT_HOST_SWAP_STALL;
        out->confidence = 0.5;
    } else if (apf_hit) {
        /* The host's async-PF tracepoints while the host swap figures of this guest stay under
         * the thresholds: async PF waits on any page that is not present (swap cache,
         * file-backed or shmem guest RAM that VmSwap misses). */
        out->kind = SG_VERDICT_HOST_SWAP_STALL;
        out->confidence = 0.6;
    } else if (io_hit) {
        out->kind = SG_VERDICT_GUEST_IO_STALL;
        if (w.hung_io > 0)
            out->confidence = !isnan(w.disk_ms_per_req) ? 0.9 : 0.85;
        else
            out->confidence = w.hung_io_console > 0 ? 0.8 : 0.7;
    } else if (lock_hit) {
        out->kind = SG_VERDICT_GUEST_LOCK_STALL;
        out->confidence = w.hung_lock > 0 ? 0.8 : 0.7;
    } else if (stall_seen) {
        /* The guest's word only: its task list and kernel log come through guest-exec, and a
         * guest root can forge the whole answer. With no host-side sign of swap or async PF
         * for this guest, a stall believed little (below any auto_apply_min_confidence). */
        out->kind = SG_VERDICT_HOST_SWAP_STALL;
        out->confidence = 0.3;
    } else if (host_hit) {
        out->kind = SG_VERDICT_HOST_SWAP_RISK;
        out->confidence = (vis_agent || vis_apf) ? 0.8 : 0.5;
    } else if (guest_hit) {
        out->kind = SG_VERDICT_GUEST_INTERNAL_SWAP;
        out->confidence = vis_apf ? 0.8 : 0.6;
    } else if (cpu_hit) {
        out->kind = SG_VERDICT_HOST_CPU_CONTENTION;
        out->confidence = at_least(cpu_per_vcpu, t->cpu_delay_min_ms) ? (w.delayacct ? 0.85 : 0.8) : 0.6;
    } else if (pressure_hit) {
        out->kind = SG_VERDICT_HOST_MEMORY_PRESSURE;
        out->confidence = 0.7;
    } else if (vis_agent || vis_apf) {
        out->kind = SG_VERDICT_OK;
        out->confidence = (vis_agent && vis_apf) ? 0.9 : 0.75;
    } else {
        out->kind = SG_VERDICT_UNKNOWN;
        out->confidence = 0;
    }

    fill_missing(out, &w);
    if (dom[n - 1]->paused[0])
        add_ev(out, "domain_paused", NAN, "paused by libvirt (%.24s): %s", dom[n - 1]->paused,
               paused_advice(dom[n - 1]->paused));
    add_evidence(out, t, &w, host_hit);
    add_lost_evidence(out, t, &w, sync_looks, agent_silent);
    fill_causes(out, &w);
    fill_vcpu_causes(out, dom, n, !isnan(w.fault_ms) && w.fault_ms != w.swapin_ms);
}
