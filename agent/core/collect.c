/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "agent/core/collect.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hostprobe/domxml.h"
#include "hostprobe/hostmem.h"
#include "hostprobe/sample.h"
#include "agent/core/lvcall.h"
#include "agent/core/schema.h"

static double ts_s(const struct timespec *t)
{
    return (double)t->tv_sec + (double)t->tv_nsec / 1e9;
}

/* The serial console log file of w's live XML (w->console_log, or why not in console_missing),
 * from the XML read once per watched domain (sg_dom_read_meta). */
static void locate_console(struct sg_dom *w)
{
    struct sg_error err = {0};

    w->console_log = NULL;
    if (sg_dom_read_meta(w, &err) < 0)
        sg_dom_set_why(&w->console_missing, "domain XML: %.140s", err.msg[0] ? err.msg : "unreadable");
    else if (!w->meta->console_log[0])
        sg_dom_set_why(&w->console_missing, "no <serial type='file'> or <console type='file'> in the domain XML");
    else {
        w->console_log = w->meta->console_log;
        w->console_offset = 0;
        w->console_seen = false;
    }
}

/* One delay-accounting connection for every domain (its requests are synchronous): opened
 * at the first domain that needs it (again at the next while it cannot be), kept for the
 * life of the process; a descriptor per domain would eat the descriptor budget. */
static struct sg_taskstats_conn *shared_taskstats;

int sg_collect_open(const struct sg_fs *fs, struct sg_dom *w, struct sg_error *err)
{
    _cleanup_free_ struct sg_vcpu_thread *vcpus = NULL;
    int r, n;

    w->located = false;
    w->apf = NULL;
    sg_dom_set_why(&w->apf_missing, "domain not running");
    if (w->d.id < 0 || w->d.pid <= 0)
        return 0;
    r = sg_cgroup_locate(fs, w->d.pid, &w->cg, err);
    if (r == -ESRCH)
        return 0;
    if (r < 0)
        return r;
    /* The periodic files stay open from here on (within the descriptor budget). */
    r = sg_dom_reader_open(fs, w->d.pid, &w->cg, SG_RD_LOST_PSI, &w->rd, err);
    if (r == -ESRCH)
        return 0;
    if (r < 0)
        return r;
    w->located = true;

    n = sg_vcpu_threads_read(fs, w->d.pid, &vcpus, err);
    if (n == -ESRCH) {
        w->located = false;
        return 0;
    }
    if (n < 0)
        return n;
    free(w->vcpu_tids);
    w->vcpu_tids = calloc((size_t)n + 1, sizeof(*w->vcpu_tids));
    if (!w->vcpu_tids)
        return -ENOMEM;
    for (int i = 0; i < n; i++)
        w->vcpu_tids[i] = vcpus[i].tid;
    w->n_vcpu_tids = (size_t)n;
    free(w->vcpu_acc);
    w->vcpu_acc = calloc((size_t)n + 1, sizeof(*w->vcpu_acc));
    if (!w->vcpu_acc)
        return -ENOMEM;
    for (int i = 0; i < n && i < SG_VCPU_LOST_MAX; i++) {
        w->vcpu_acc[i].vcpu = vcpus[i].vcpu >= 0 ? (unsigned)vcpus[i].vcpu : 0;
        w->vcpu_acc[i].tid = (unsigned)vcpus[i].tid;
    }
    if (!shared_taskstats) {
        char why[160] = "";

        if (sg_taskstats_open(&shared_taskstats, why, sizeof(why)) < 0)
            shared_taskstats = NULL; /* the reason stays in taskstats_missing: never fails the sample */
        sg_dom_set_why(&w->taskstats_missing, "%s", why);
    }
    w->taskstats = shared_taskstats;
    locate_console(w);
    {
        char why[160] = "";

        r = sg_apf_open(fs, vcpus, (size_t)n, &w->apf, why, sizeof(why));
        if (r < 0)
            w->apf = NULL; /* unavailable, with the reason in apf_missing: never fails the sample */
        sg_dom_set_why(&w->apf_missing, "%s", why);
    }
    return 0;
}

int sg_collect_host(const struct sg_fs *fs, struct sg_host_facts *out, struct sg_error *err)
{
    struct sg_host_sample h = {0};
    int r;

    memset(out, 0, sizeof(*out));
    r = sg_host_read(fs, false, &h, err);
    if (r < 0)
        return r;
    out->t_s = ts_s(&h.t);
    out->mem_total_kib = h.mem.mem_total_kib;
    out->mem_available_kib = h.mem.mem_available_kib;
    out->swap_total_kib = h.mem.swap_total_kib;
    out->swap_free_kib = h.mem.swap_free_kib;
    out->pswpin = h.vm.pswpin;
    out->pswpout = h.vm.pswpout;
    out->workingset_refault_anon = h.vm.workingset_refault_anon;
    out->psi_some_avg10 = h.has_psi && h.psi.has_some ? h.psi.some.avg10 : NAN;
    out->psi_full_avg10 = h.has_psi && h.psi.has_full ? h.psi.full.avg10 : NAN;
    sg_host_sample_clear(&h);
    return 0;
}

struct sg_rec_hugepool *sg_collect_hugepools(const struct sg_host_sample *hs)
{
    struct sg_rec_hugepool *p = calloc(hs->n_pools + 1, sizeof(*p));

    for (size_t i = 0; p && i < hs->n_pools; i++) {
        p[i].node = hs->pools[i].node;
        p[i].page_size_kib = hs->pools[i].page_size_kib;
        p[i].nr_pages = hs->pools[i].nr_pages;
        p[i].free_pages = hs->pools[i].free_pages;
    }
    return p;
}

/* The domain's v2 io.pressure and cpu.pressure, next to its memory.pressure (read with it
 * by the domain's reader, SG_RD_LOST_PSI); absent: NAN. */
static void collect_psi(const struct sg_cgroup_stats *cs, struct sg_dom_facts *out)
{
    if (cs->has_io_psi) {
        out->lost.io_psi_some_avg10 = cs->io_psi.has_some ? cs->io_psi.some.avg10 : NAN;
        out->lost.io_psi_full_avg10 = cs->io_psi.has_full ? cs->io_psi.full.avg10 : NAN;
    }
    if (cs->has_cpu_psi)
        out->lost.cpu_psi_some_avg10 = cs->cpu_psi.has_some ? cs->cpu_psi.some.avg10 : NAN;
}

/* A libvirt call of w past its deadline, or one that could not be made: its figures are stale. */
static void lv_stale(struct sg_dom *w, int r, struct sg_dom_facts *out)
{
    out->libvirt_stale = true;
    sg_lv_why(&w->lv, r, out->libvirt_missing, sizeof(out->libvirt_missing));
}

struct blk_call {
    struct sg_block_stats b;
    char why[160];
    int r;
};

/* On a libvirt worker (lvcall.h). */
static void blk_fn(virConnectPtr conn, virDomainPtr dom, void *p)
{
    struct blk_call *c = p;

    (void)conn;
    c->r = sg_block_stats_read(dom, &c->b, c->why, sizeof(c->why));
    virResetLastError();
}

static double block_every_s; /* sg_collect_set_block_interval; 0: every call */

void sg_collect_set_block_interval(double s)
{
    block_every_s = s > 0 ? s : 0;
}

static void block_out(const struct sg_block_stats *b, struct sg_dom_facts *out)
{
    out->lost.blk_rd_reqs = b->rd_reqs;
    out->lost.blk_wr_reqs = b->wr_reqs;
    out->lost.blk_fl_reqs = b->fl_reqs;
    out->lost.blk_rd_times_ns = b->rd_times_ns;
    out->lost.blk_wr_times_ns = b->wr_times_ns;
    out->lost.blk_fl_times_ns = b->fl_times_ns;
}

/* The disks' block stats of w: one libvirt call (it reaches QEMU's monitor) with a deadline,
 * at most every block_every_s seconds (the last figures between). */
static void collect_block(struct sg_dom *w, struct sg_dom_facts *out)
{
    struct blk_call c = { .r = -EIO };
    double now = sg_mono_s();
    int r;

    if (block_every_s > 0 && w->blk_read && w->dom && now - w->blk_t < block_every_s) {
        block_out(&w->blk, out);
        return;
    }

    if (!w->dom) {
        snprintf(out->libvirt_missing, sizeof(out->libvirt_missing), "no libvirt connection");
        return;
    }
    r = sg_lv_call(&w->lv, "block stats", blk_fn, NULL, NULL, w->dom, &c, sizeof(c), sg_lv_timeout_ms());
    if (r < 0) {
        lv_stale(w, r, out);
        return;
    }
    if (c.r < 0) {
        snprintf(out->libvirt_missing, sizeof(out->libvirt_missing), "%s", c.why);
        return;
    }
    block_out(&c.b, out);
    if (c.b.n_disks > 0 && c.b.rd_reqs == SG_NONE && c.b.wr_reqs == SG_NONE) {
        snprintf(out->libvirt_missing, sizeof(out->libvirt_missing),
                 "no block stats: another call holds the domain's job (NOWAIT does not wait)");
        return; /* asked again next tick */
    }
    w->blk = c.b; /* no disk: nothing, until the next read */
    w->blk_t = now;
    w->blk_read = true;
}

/* Each followed vCPU thread's figures of l (hostprobe/lostime.h) into out->vcpu_lost[]. */
static void collect_vcpus(struct sg_dom *w, const struct sg_lost_sample *l, struct sg_dom_facts *out)
{
    unsigned n = l->n_threads;

    if (n > SG_VCPU_LOST_MAX)
        n = SG_VCPU_LOST_MAX;
    if (n > w->n_vcpu_tids || !w->vcpu_acc)
        n = 0;
    for (unsigned i = 0; i < n; i++) {
        const struct sg_lost_thread *t = &l->thread[i];
        struct sg_vcpu_lost *a = &w->vcpu_acc[i], *v = &out->vcpu_lost[i];

        a->looks += t->looks;
        a->looks_dstate += t->looks_dstate;
        a->looks_swapin += t->looks_swapin;
        *v = *a;
        v->tid = (unsigned)t->tid;
        v->run_delay_ns = t->has_schedstat ? t->run_delay_ns : SG_POLICY_NONE;
        v->swapin_delay_ns = t->has_taskstats ? t->ts.swapin_delay_ns : SG_POLICY_NONE;
        v->blkio_delay_ns = t->has_taskstats ? t->ts.blkio_delay_ns : SG_POLICY_NONE;
        v->cpu_delay_ns = t->has_taskstats ? t->ts.cpu_delay_ns : SG_POLICY_NONE;
        v->freepages_delay_ns = t->has_taskstats ? t->ts.freepages_delay_ns : SG_POLICY_NONE;
        v->thrashing_delay_ns = t->has_taskstats ? t->ts.thrashing_delay_ns : SG_POLICY_NONE;
    }
    out->lost.n_vcpu_lost = n;
}

void sg_collect_looks(const struct sg_fs *fs, struct sg_dom *(*at)(void *opaque, size_t i),
                      void *opaque, size_t n)
{
    double start = 0;

    for (unsigned k = 0; k < SG_LOST_LOOKS; k++) {
        if (k > 0) {
            double left = SG_LOST_LOOK_GAP_MS - (sg_mono_s() - start) * 1e3;

            if (left > 0) {
                struct timespec gap = { .tv_sec = 0, .tv_nsec = (long)(left * 1e6) };

                while (nanosleep(&gap, &gap) < 0 && errno == EINTR)
                    ;
            }
        }
        start = sg_mono_s();
        for (size_t i = 0; i < n; i++) {
            struct sg_dom *w = at(opaque, i);

            if (!w || !w->located || w->d.pid <= 0 || !w->n_vcpu_tids)
                continue;
            w->looks_taken = true;
            for (size_t j = 0; j < w->n_vcpu_tids; j++) {
                struct sg_vcpu_lost *a = w->vcpu_acc && j < SG_VCPU_LOST_MAX ? &w->vcpu_acc[j] : NULL;
                int c = sg_thread_look_class(fs, w->d.pid, w->vcpu_tids[j]);

                if (c < 0)
                    continue;
                w->looks++;
                w->looks_dstate += c != SG_LOOK_OTHER;
                w->looks_swapin += c == SG_LOOK_SWAPIN;
                if (a) {
                    a->looks++;
                    a->looks_dstate += c != SG_LOOK_OTHER;
                    a->looks_swapin += c == SG_LOOK_SWAPIN;
                }
            }
        }
    }
}

/* The lost time of w's vCPU threads (hostprobe/lostime.h) and its disks' block stats. */
static void collect_lost(const struct sg_fs *fs, struct sg_dom *w, struct sg_dom_facts *out)
{
    struct sg_lost_sample l;

    collect_block(w, out);
    unsigned n_looks = w->looks_taken ? 0 : SG_LOST_LOOKS;

    w->looks_taken = false;
    if (sg_lost_sample_read(fs, w->taskstats, w->d.pid, w->vcpu_tids, w->n_vcpu_tids,
                            n_looks, SG_LOST_LOOK_GAP_MS, &l) < 0) {
        snprintf(out->delayacct_missing, sizeof(out->delayacct_missing), "domain not running");
        return;
    }
    out->lost.vcpu_threads = l.n_vcpus;
    collect_vcpus(w, &l, out);
    w->looks += l.looks;
    w->looks_dstate += l.looks_dstate;
    w->looks_swapin += l.looks_swapin;
    out->lost.vcpu_looks = w->looks;
    out->lost.vcpu_looks_dstate = w->looks_dstate;
    out->lost.vcpu_looks_swapin = w->looks_swapin;
    if (l.has_schedstat)
        out->lost.run_delay_ns = l.run_delay_ns;
    out->lost.delayacct_available = l.has_taskstats;
    if (!l.has_taskstats) {
        snprintf(out->delayacct_missing, sizeof(out->delayacct_missing), "%s",
                 !w->taskstats && sg_dom_why(w->taskstats_missing)[0] ? w->taskstats_missing : l.taskstats_missing);
        return;
    }
    out->delayacct_missing[0] = '\0';
    out->lost.swapin_delay_ns = l.vcpus.swapin_delay_ns;
    out->lost.blkio_delay_ns = l.vcpus.blkio_delay_ns;
    out->lost.cpu_delay_ns = l.vcpus.cpu_delay_ns;
    out->lost.freepages_delay_ns = l.vcpus.freepages_delay_ns;
    out->lost.thrashing_delay_ns = l.vcpus.thrashing_delay_ns;
    out->lost.qemu_swapin_delay_ns = l.qemu.swapin_delay_ns;
    out->lost.qemu_blkio_delay_ns = l.qemu.blkio_delay_ns;
}

/*
 * What the guest's serial console log got since the last tick (at most
 * SG_CONSOLE_MAX bytes a tick). The first read of a log starts at its newest
 * SG_CONSOLE_MAX bytes and counts only messages of the last
 * SG_CONSOLE_FIRST_AGE_S seconds of its own clock (not boot-time messages).
 */
static void collect_console(struct sg_dom *w, struct sg_dom_facts *out)
{
    _cleanup_free_ char *buf = NULL;
    struct gp_hung_reports *rep;
    uint64_t skipped, since;
    char why[128] = "";
    ssize_t n;

    if (!w->console_log || !w->console_log[0]) {
        snprintf(out->console_missing, sizeof(out->console_missing), "%s",
                 sg_dom_why(w->console_missing)[0] ? w->console_missing : "no serial console log");
        return;
    }
    n = sg_console_read(w->console_log, &w->console_offset, SG_CONSOLE_MAX, &buf, &skipped);
    if (n < 0) {
        snprintf(out->console_missing, sizeof(out->console_missing), "%.100s: %s", w->console_log,
                 strerror((int)-n));
        return;
    }
    rep = calloc(1, sizeof(*rep));
    if (!rep) {
        snprintf(out->console_missing, sizeof(out->console_missing), "out of memory");
        return;
    }
    since = w->console_cursor_us;
    if (!w->console_seen) {
        struct gp_hung_reports *probe = rep;
        /* the newest timestamp first, to count only recent messages */
        if (gp_parse_console(buf, (size_t)n, 0, probe, why, sizeof(why)) == 0 &&
            probe->newest_ts_us > SG_CONSOLE_FIRST_AGE_S * 1000000ull)
            since = probe->newest_ts_us - SG_CONSOLE_FIRST_AGE_S * 1000000ull;
        w->console_seen = true;
    }
    if (gp_parse_console(buf, (size_t)n, since, rep, why, sizeof(why)) < 0) {
        snprintf(out->console_missing, sizeof(out->console_missing), "console log: %s", why);
        free(rep);
        return;
    }
    out->lost.console_ok = true;
    out->console_missing[0] = '\0';
    out->lost.console_stall_msgs = rep->signs[GP_SIGN_SOFT_LOCKUP] + rep->signs[GP_SIGN_RCU_STALL] +
                              rep->signs[GP_SIGN_CLOCKSOURCE] + rep->signs[GP_SIGN_HRTIMER];
    out->lost.console_oom_kills = rep->signs[GP_SIGN_OOM_KILL];
    for (size_t i = 0; i < rep->n; i++) {
        switch (rep->v[i].cls) {
        case GP_CLASS_ASYNC_PF: out->lost.console_hung_async_pf++; break;
        case GP_CLASS_IO: out->lost.console_hung_io++; break;
        case GP_CLASS_LOCK: out->lost.console_hung_lock++; break;
        case GP_CLASS_RECLAIM: out->lost.console_hung_reclaim++; break;
        default: break;
        }
    }
    if (rep->newest_ts_us > w->console_cursor_us)
        w->console_cursor_us = rep->newest_ts_us;
    free(rep);
}

int sg_collect_dom(const struct sg_fs *fs, struct sg_dom *w, struct sg_dom_facts *out,
                   struct sg_error *err)
{
    struct sg_dom_sample s = {0};
    struct timespec now;
    char why[160] = "";
    int r;

    memset(out, 0, sizeof(*out));
    clock_gettime(CLOCK_MONOTONIC, &now);
    out->t_s = ts_s(&now);
    out->guest_ram_kib = w->d.max_memory_kib;
    if (w->d.state == VIR_DOMAIN_PAUSED)
        snprintf(out->paused, sizeof(out->paused), "%s", sg_domain_paused_reason_name(w->d.reason));
    out->vm_swap_kib = out->cgroup_swap_bytes = out->cgroup_pgmajfault = SG_POLICY_NONE;
    out->cgroup_swap_events_max = out->cgroup_swap_events_fail = SG_POLICY_NONE;
    out->psi_some_avg10 = out->psi_full_avg10 = NAN;
    out->psi_full_total_us = SG_POLICY_NONE;
    sg_dom_lost_none(&out->lost);
    out->lost.vcpu_looks = w->looks;
    out->lost.vcpu_looks_dstate = w->looks_dstate;
    out->lost.vcpu_looks_swapin = w->looks_swapin;
    snprintf(out->delayacct_missing, sizeof(out->delayacct_missing), "domain not running");
    snprintf(out->console_missing, sizeof(out->console_missing), "domain not running");
    snprintf(out->apf_missing, sizeof(out->apf_missing), "%s", sg_dom_why(w->apf_missing));
    snprintf(out->guest.missing, sizeof(out->guest.missing), "no guest probe");
    out->guest.steal_ms_per_s = NAN;
    if (sg_lv_slot_poll(&w->lv))
        lv_stale(w, -EBUSY, out); /* a call of an earlier tick still waits for the domain */
    if (!w->located)
        return 0;

    if (!w->rd.opened || w->rd.pid != w->d.pid) {
        r = sg_dom_reader_open(fs, w->d.pid, &w->cg, SG_RD_LOST_PSI, &w->rd, err);
        if (r < 0 && r != -ESRCH)
            return r;
    }
    r = w->rd.opened ? sg_dom_reader_read(fs, &w->cg, &w->rd, &s, err) : -ESRCH;
    if (r == -ESRCH) {
        w->located = false;
        sg_dom_reader_close(&w->rd);
        sg_dom_set_why(&w->apf_missing, "domain not running");
        snprintf(out->apf_missing, sizeof(out->apf_missing), "domain not running");
        return 0;
    }
    if (r < 0)
        return r;
    out->running = true;
    out->t_s = ts_s(&s.t);
    out->vm_swap_kib = s.status.vm_swap_kib;
    if (w->cg.memory_version) {
        /* The kernel's units, unconverted (SG_NONE and SG_POLICY_NONE are one value). */
        out->cgroup_swap_bytes = s.cg.swap_bytes;
        out->cgroup_pgmajfault = s.cg.pgmajfault;
        out->cgroup_swap_events_max = s.cg.swap_events_max;
        out->cgroup_swap_events_fail = s.cg.swap_events_fail;
    }
    if (s.cg.has_psi) {
        out->psi_some_avg10 = s.cg.psi.has_some ? s.cg.psi.some.avg10 : NAN;
        out->psi_full_avg10 = s.cg.psi.has_full ? s.cg.psi.full.avg10 : NAN;
        out->psi_full_total_us = s.cg.psi.has_full ? s.cg.psi.full.total_us : SG_POLICY_NONE;
    }
    if (s.cg.has_psi)
        collect_psi(&s.cg, out);
    sg_dom_sample_clear(&s);
    collect_lost(fs, w, out);
    collect_console(w, out);

    if (w->apf) {
        r = sg_tp_read(w->apf, out->apf, why, sizeof(why));
        if (r == 0) {
            out->apf_available = true;
            out->apf_missing[0] = '\0';
        } else {
            snprintf(out->apf_missing, sizeof(out->apf_missing), "%s", why);
        }
    }
    return 0;
}

void sg_collect_guest_skipped(struct sg_dom_facts *out, const char *reason)
{
    memset(&out->guest, 0, sizeof(out->guest));
    out->guest_probed = false;
    out->guest.steal_ms_per_s = NAN;
    snprintf(out->guest.missing, sizeof(out->guest.missing), "%s", reason);
}

/* Appends "[PART: ]STATE (WHY)" of a part that holds no data to g->missing (the
 * verdict prefixes "guest agent: "; bounded; WHY comes from the guest and is
 * escaped wherever it is printed). */
static void add_missing(struct sg_guest_facts *g, const struct gp_probe_result *r, enum gp_part p)
{
    size_t len = strlen(g->missing);
    const char *why = r->part[p].why;

    if (r->part[p].state == GP_QGA_OK || len + 1 >= sizeof(g->missing))
        return;
    snprintf(g->missing + len, sizeof(g->missing) - len, "%s%s%s%s%s%s%s", len ? "; " : "",
             p == GP_PART_AGENT ? "" : gp_part_name(p), p == GP_PART_AGENT ? "" : ": ",
             gp_qga_state_name(r->part[p].state), why[0] ? " (" : "", why, why[0] ? ")" : "");
}

struct probe_call {
    struct gp_probe_opts o;
    struct gp_probe_result r;
    int k;
};

/* On a libvirt worker (lvcall.h): the probe (the domain XML, the agent commands). */
static void probe_fn(virConnectPtr conn, virDomainPtr dom, void *p)
{
    struct probe_call *c = p;

    (void)conn;
    c->k = gp_probe(dom, &c->o, &c->r);
    virResetLastError();
}

static void probe_clear(void *p)
{
    struct probe_call *c = p;

    if (c->k == 0)
        gp_probe_result_clear(&c->r);
}

void sg_collect_guest(struct sg_dom *w, int timeout_s, double max_age_s,
                      struct sg_dom_facts *out, struct gp_probe_result *keep)
{
    /* Without the balloon stats (no fact uses them): the probe's calls are then the domain XML
     * (no job, no monitor) and the agent commands (an agent job of their own, each with its
     * timeout: they return on a stopped QEMU too), so only a deadline as a safety net. */
    struct probe_call c = { .o = { .timeout_s = timeout_s, .hung_since_us = w->hung_cursor_us,
                                   .no_balloon = true },
                            .k = -EIO };
    struct gp_probe_result r;
    struct sg_guest_facts *g = &out->guest;
    int k;

    memset(g, 0, sizeof(*g));
    g->steal_ms_per_s = NAN;
    /* Its agent commands keep to timeout_s together, give or take libvirt's guest-sync before
     * each (a healthy probe of a busy TCG guest with timeout 2 took 5.3 s here, and more than
     * 7.3 s once): twice that plus SG_LV_PROBE_SLACK_MS. */
    k = sg_lv_call(&w->lv, "guest probe", probe_fn, probe_clear, NULL, w->dom, &c, sizeof(c),
                   2 * timeout_s * 1000 + SG_LV_PROBE_SLACK_MS + sg_lv_timeout_ms());
    if (k < 0) {
        char why[sizeof(out->libvirt_missing)];

        lv_stale(w, k, out);
        snprintf(why, sizeof(why), "guest probe: %.140s", out->libvirt_missing);
        sg_collect_guest_skipped(out, why);
        return;
    }
    if (c.k < 0) {
        sg_collect_guest_skipped(out, "guest probe: out of memory");
        return;
    }
    r = c.r;
    out->guest_probed = true;
    g->agent_ok = r.part[GP_PART_AGENT].state == GP_QGA_OK;
    g->tasks_ok = r.part[GP_PART_TASKS].state == GP_QGA_OK;
    g->kmsg_ok = r.part[GP_PART_KMSG].state == GP_QGA_OK;
    g->mem_ok = r.part[GP_PART_MEM].state == GP_QGA_OK && r.mem.has_meminfo && r.mem.has_vmstat;
    if (!g->agent_ok)
        add_missing(g, &r, GP_PART_AGENT);
    else
        for (enum gp_part p = GP_PART_TASKS; p <= GP_PART_MEM; p++)
            add_missing(g, &r, p);

    if (g->tasks_ok) {
        g->dstate_tasks = r.tasks.n_dstate;
        g->async_pf_tasks = r.tasks.n_async_pf;
        g->dstate_io_tasks = r.tasks.n_class[GP_CLASS_IO];
        g->dstate_lock_tasks = r.tasks.n_class[GP_CLASS_LOCK];
        g->dstate_reclaim_tasks = r.tasks.n_class[GP_CLASS_RECLAIM];
    }
    if (g->kmsg_ok) {
        double oldest_us = isfinite(r.uptime_s) && max_age_s > 0
                               ? (r.uptime_s - max_age_s) * 1e6 : -1.0;
        for (size_t i = 0; i < r.hung.n; i++) {
            const struct gp_hung_task *h = &r.hung.v[i];

            if ((double)h->ts_us < oldest_us)
                continue;
            if (!h->matched_symbol)
                g->hung_other++;
            else if (h->from_kernel)
                g->hung_async_pf_kernel++;
            else
                g->hung_async_pf_forged++;
            if (h->from_kernel && h->cls == GP_CLASS_IO)
                g->hung_io_kernel++;
            else if (h->from_kernel && h->cls == GP_CLASS_LOCK)
                g->hung_lock_kernel++;
            else if (h->from_kernel && h->cls == GP_CLASS_RECLAIM)
                g->hung_reclaim_kernel++;
        }
        /* Signatures of the probe's kernel log are counted since the previous probe's
         * cursor; their age is not known per message, only that they are new. */
        g->stall_msgs_kernel = r.hung.signs[GP_SIGN_SOFT_LOCKUP] + r.hung.signs[GP_SIGN_RCU_STALL] +
                               r.hung.signs[GP_SIGN_CLOCKSOURCE] + r.hung.signs[GP_SIGN_HRTIMER];
        g->oom_kills_kernel = r.hung.signs[GP_SIGN_OOM_KILL];
        if (r.hung.newest_ts_us > w->hung_cursor_us)
            w->hung_cursor_us = r.hung.newest_ts_us;
    }
    g->swap_total_kib = g->swap_free_kib = g->pswpin = g->pswpout = SG_POLICY_NONE;
    if (g->mem_ok) {
        g->swap_total_kib = r.mem.mem.swap_total_kib;
        g->swap_free_kib = r.mem.mem.swap_free_kib;
        g->pswpin = r.mem.vm.pswpin;
        g->pswpout = r.mem.vm.pswpout;
    }
    for (size_t i = 0; i < r.n_rates; i++)
        if (isnan(g->steal_ms_per_s) || r.rates[i].steal_ms_per_s > g->steal_ms_per_s)
            g->steal_ms_per_s = r.rates[i].steal_ms_per_s;

    if (keep)
        *keep = r;
    else
        gp_probe_result_clear(&r);
}

/* ---- JSON ------------------------------------------------------------------ */

static json_object *to_json(const void *base, enum sg_schema_scope scope);

/* The vCPU threads of domain facts d: an array of objects of the SG_SCOPE_VCPU record rows. */
static json_object *vcpus_to_json(const struct sg_dom_facts *d)
{
    json_object *a = json_object_new_array();

    for (unsigned i = 0; i < d->lost.n_vcpu_lost && i < SG_VCPU_LOST_MAX; i++)
        json_object_array_add(a, to_json(&d->vcpu_lost[i], SG_SCOPE_VCPU));
    return a;
}

/* The recorded keys are the schema rows (agent/core/schema.c) with SG_OUT_RECORD of a scope. */
static json_object *to_json(const void *base, enum sg_schema_scope scope)
{
    json_object *o = json_object_new_object();

    for (size_t i = 0; i < SG_F__MAX; i++) {
        const struct sg_schema_row *f = &sg_schema[i];
        const char *p = (const char *)base + f->offset;
        json_object *v = NULL;
        uint64_t u;
        unsigned u32;
        double d;
        bool b;

        if (f->scope != scope || !(f->outputs & SG_OUT_RECORD))
            continue;
        switch (f->type) {
        case SG_TYPE_U64:
            memcpy(&u, p, sizeof(u));
            v = u == SG_POLICY_NONE || u == SG_UNLIMITED ? NULL : json_object_new_uint64(u);
            break;
        case SG_TYPE_U32:
            memcpy(&u32, p, sizeof(u32));
            v = json_object_new_uint64(u32);
            break;
        case SG_TYPE_DBL:
            memcpy(&d, p, sizeof(d));
            v = isfinite(d) ? json_object_new_double(d) : NULL;
            break;
        case SG_TYPE_BOOL:
            memcpy(&b, p, sizeof(b));
            v = json_object_new_boolean(b);
            break;
        case SG_TYPE_STR:
            v = json_object_new_string_len(p, (int)strnlen(p, f->size));
            break;
        case SG_TYPE_VCPUS:
            v = vcpus_to_json(base);
            break;
        case SG_TYPE_NONE:
            continue;
        }
        json_object_object_add(o, f->key, v);
    }
    return o;
}

#define WHY(...) snprintf(why, why_size, __VA_ARGS__)

/*
 * Reads the record keys of scope from o into base. A key that is missing is an
 * error, except for a row's legacy key (read instead and converted once, here,
 * by legacy_scale) and rows marked SG_ROW_OPTIONAL (recordings written before
 * the figure existed: null).
 */
static int from_json(json_object *o, void *base, enum sg_schema_scope scope, char *why,
                     size_t why_size);

/* The "vcpus" array v (NULL: none, a recording from before) into domain facts d. */
static int vcpus_from_json(json_object *v, struct sg_dom_facts *d, char *why, size_t why_size)
{
    size_t n;

    d->lost.n_vcpu_lost = 0;
    if (!v)
        return 0;
    if (!json_object_is_type(v, json_type_array)) {
        WHY("key 'vcpus': not an array");
        return -EINVAL;
    }
    n = json_object_array_length(v);
    if (n > SG_VCPU_LOST_MAX) {
        WHY("key 'vcpus': %zu entries, at most %d", n, SG_VCPU_LOST_MAX);
        return -EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        char inner[192];
        int r = from_json(json_object_array_get_idx(v, i), &d->vcpu_lost[i], SG_SCOPE_VCPU, inner,
                          sizeof(inner));
        if (r < 0) {
            WHY("key 'vcpus'[%zu]: %s", i, inner);
            return r;
        }
    }
    d->lost.n_vcpu_lost = (unsigned)n;
    return 0;
}

static int from_json(json_object *o, void *base, enum sg_schema_scope scope, char *why,
                     size_t why_size)
{
    if (!json_object_is_type(o, json_type_object)) {
        WHY("not a JSON object");
        return -EINVAL;
    }
    for (size_t i = 0; i < SG_F__MAX; i++) {
        const struct sg_schema_row *f = &sg_schema[i];
        char *p = (char *)base + f->offset;
        const char *key = f->key;
        double scale = 1;
        json_object *v;
        bool null;

        if (f->scope != scope || !(f->outputs & SG_OUT_RECORD) || f->type == SG_TYPE_NONE)
            continue;
        if (!json_object_object_get_ex(o, key, &v)) {
            if (f->legacy_key && json_object_object_get_ex(o, f->legacy_key, &v)) {
                key = f->legacy_key;
                scale = f->legacy_scale;
            } else if (f->flags & SG_ROW_OPTIONAL) {
                v = NULL;
            } else {
                WHY("key '%s' missing", key);
                return -EINVAL;
            }
        }
        if (f->type == SG_TYPE_VCPUS) {
            int r = vcpus_from_json(v, base, why, why_size);
            if (r < 0)
                return r;
            continue;
        }
        null = v == NULL;
        if (null && (f->flags & SG_ROW_OPTIONAL) &&
            (f->type == SG_TYPE_U32 || f->type == SG_TYPE_BOOL || f->type == SG_TYPE_STR)) {
            memset(p, 0, f->size); /* recorded before the figure existed: 0, false, "" */
            continue;
        }
        switch (f->type) {
        case SG_TYPE_U64: {
            uint64_t u = SG_POLICY_NONE;
            if (!null) {
                if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
                    goto bad;
                u = json_object_get_uint64(v);
                if (scale > 1) { /* legacy units are whole multiples (KiB -> bytes) */
                    uint64_t k = (uint64_t)scale;
                    if (u > (SG_POLICY_NONE - 2) / k)
                        goto bad;
                    u *= k;
                }
            }
            memcpy(p, &u, sizeof(u));
            break;
        }
        case SG_TYPE_U32: {
            int64_t x;
            unsigned u32;
            if (null || !json_object_is_type(v, json_type_int))
                goto bad;
            x = json_object_get_int64(v);
            if (x < 0 || x > UINT32_MAX)
                goto bad;
            u32 = (unsigned)x;
            memcpy(p, &u32, sizeof(u32));
            break;
        }
        case SG_TYPE_DBL: {
            double d = NAN;
            if (!null) {
                if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int))
                    goto bad;
                d = json_object_get_double(v) * scale;
            }
            memcpy(p, &d, sizeof(d));
            break;
        }
        case SG_TYPE_BOOL: {
            bool b;
            if (null || !json_object_is_type(v, json_type_boolean))
                goto bad;
            b = json_object_get_boolean(v);
            memcpy(p, &b, sizeof(b));
            break;
        }
        case SG_TYPE_STR:
            if (null || !json_object_is_type(v, json_type_string) ||
                (size_t)json_object_get_string_len(v) >= f->size)
                goto bad;
            memcpy(p, json_object_get_string(v), (size_t)json_object_get_string_len(v) + 1);
            break;
        case SG_TYPE_VCPUS:
        case SG_TYPE_NONE:
            break;
        }
        continue;
bad:
        WHY("key '%s': wrong type or out of range", key);
        return -EINVAL;
    }
    return 0;
}

json_object *sg_host_facts_to_json(const struct sg_host_facts *h)
{
    return to_json(h, SG_SCOPE_HOST);
}

json_object *sg_dom_facts_to_json(const struct sg_dom_facts *d)
{
    return to_json(d, SG_SCOPE_DOMAIN);
}

int sg_host_facts_from_json(json_object *o, struct sg_host_facts *out, char *why, size_t why_size)
{
    struct sg_host_facts h = {0};
    int r = from_json(o, &h, SG_SCOPE_HOST, why, why_size);

    if (r == 0)
        *out = h;
    return r;
}

int sg_dom_facts_from_json(json_object *o, struct sg_dom_facts *out, char *why, size_t why_size)
{
    struct sg_dom_facts d = {0};
    int r = from_json(o, &d, SG_SCOPE_DOMAIN, why, why_size);

    if (r == 0)
        *out = d;
    return r;
}
