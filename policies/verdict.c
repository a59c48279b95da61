/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "policies/verdict.h"
#include "policies/figures.h"

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
};

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
        if (g->kmsg_ok) {
            w->hung_kernel += g->hung_async_pf_kernel;
            w->hung_forged += g->hung_async_pf_forged;
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

void sg_verdict_eval(const struct sg_verdict_thresholds *t, const struct sg_dom_facts *const *dom,
                     size_t n, const struct sg_host_facts *const *host, size_t n_host,
                     struct sg_verdict *out)
{
    struct sg_verdict_thresholds defaults;
    struct window_figs w = { 0 };
    bool swap_hit, swapin_hit, host_hit, apf_hit, stall_seen, vis_agent, vis_apf;
    bool guest_hit, pressure_hit;

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

    swap_hit = w.swap_kib != SG_POLICY_NONE && w.swap_kib >= t->host_swap_min_kib;
    swapin_hit = at_least(w.swapin_per_s, t->swapin_rate_min);
    host_hit = swap_hit || swapin_hit;
    apf_hit = at_least(w.apf_per_s, t->apf_rate_min);
    stall_seen = w.async_pf_tasks > 0 || w.hung_kernel > 0 || apf_hit;
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

    if (host_hit && stall_seen) {
        out->kind = SG_VERDICT_HOST_SWAP_STALL;
        out->confidence = (w.hung_kernel > 0 || apf_hit) ? 0.95 : 0.8;
    } else if (host_hit && w.hung_forged > 0) {
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
    add_evidence(out, t, &w, host_hit);
}
