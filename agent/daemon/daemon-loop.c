/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The daemon (`swapguard agent`): the long-running watcher.
 *
 * One thread, libvirt's default event loop (virEventRegisterDefaultImpl):
 *  - a read-write connection with a lifecycle event callback: a domain that
 *    starts (or resumes) gets a watch, one that stops, crashes or is
 *    undefined loses it; the full listing is taken only at (re)connect;
 *  - a timer every [sampler] interval takes a tick: host facts, each watched
 *    domain's O(1) facts (status, memory cgroup files, PSI, async-PF counters:
 *    the QEMU pid and cgroup were found when the watch was added, so no /proc
 *    scan and no smaps per tick), a guest probe for at most [agent]
 *    probes_per_tick domains in turn, then the verdicts. Domains whose verdict
 *    changed are reported (sg_report_round), and the live remedies of [agent]
 *    auto_apply are applied once per host-swap-stall episode;
 *  - a close callback: when libvirtd goes away the watches lose their domain
 *    handles but keep sampling /proc and the cgroups (the sampler history
 *    stays); reconnects follow with a backoff of 1, 2, 4 ... s up to [agent]
 *    reconnect_max, then the domains are listed again and every verdict is
 *    reported again to the new daemon;
 *  - a signalfd for SIGHUP (reload the config; a bad file keeps the old one),
 *    SIGTERM and SIGINT (exit 0). Nothing runs in a signal handler.
 * One instance per host: flock on [agent] lock_file, which holds our pid.
 * Every event is one line on stderr (journald under systemd).
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <libvirt/virterror.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "agent/actions/apply.h"
#include "agent/core/context.h"
#include "agent/core/collect.h"
#include "agent/core/config.h"
#include "agent/daemon/daemon.h"
#include "agent/core/diagnose.h"
#include "agent/report/report.h"
#include "hostprobe/procfs.h"
#include "util/fmt.h"
#include "util/log.h"
#include "policies/sampler.h"

/* One watched domain. */
struct ag_dom {
    struct sg_dom w;          /* w.dom is NULL while libvirtd is away */
    struct sg_daemon_track track;
    uint64_t last_probe;        /* tick of its last guest probe, 0: never */
    int last_err;               /* the read error logged last (each kind once) */
    struct sg_report_verdict_nums v; /* the figures of the newest tick's verdict (the whole
                                        verdict, with its text, only while it is reported) */
    bool has_v;
    double sample_unix;         /* Unix time of its newest successful sample, 0: none */
    bool lv_stuck;              /* a libvirt call for it is past its deadline (logged once) */
};

struct agent {
    struct sg_ctx *ctx;
    const char *uri;
    const char *config_path;    /* --config; NULL: the default path, which may be absent */
    const char *match;          /* --match GLOB, or NULL */
    bool observe_only;          /* --observe-only: never a remedy (also [agent] observe_only) */
    struct sg_config *cfg;      /* on the heap: replaced whole on reload (it points into itself) */
    struct sg_sampler s;
    struct sg_verdict *verdict; /* the verdict being taken: one domain at a time */
    struct ag_dom **d;          /* the watched domains, in the order they were added */
    size_t n;
    virConnectPtr conn;
    int lifecycle_id;           /* -1: not registered */
    bool conn_lost;             /* the close callback fired; the teardown is pending */
    int teardown_timer, reconnect_timer, tick_timer; /* -1: none */
    unsigned attempt;           /* reconnect attempts since the connection was lost */
    uint64_t ticks, max_ticks;  /* max_ticks 0: until a signal */
    int sig_fd, sig_watch, lock_fd;
    int host_err, report_err;   /* the errors logged last (host facts, textfile: once in a row) */
    char conn_err[512];         /* why the last connection attempt failed */
    bool fd_budget_logged;      /* the fall back to open/read/close was logged */
    bool fd_plan_logged;        /* the core-files-only plan was logged */
    double textfile_at;         /* CLOCK_MONOTONIC seconds of the last textfile write, 0: none */
    bool textfile_dirty;        /* a domain came or went, or libvirtd did: rewrite at the next tick */
    bool textfile_up;           /* the swapguard_up of the last write */
    bool quit;
};

/* Observe only (--observe-only or [agent] observe_only): no remedy is ever applied. */
static bool observing(const struct agent *a, const struct sg_config *cfg)
{
    return a->observe_only || cfg->observe_only;
}

static const char *safe(const char *s, char *buf, size_t size)
{
    return sg_fmt_safe(s ? s : "", buf, size);
}

/* ---- lock --------------------------------------------------------------------- */

/*
 * Takes the one-instance lock: flock(LOCK_EX | LOCK_NB) on path, then writes
 * our pid into it. Logs and returns -errno; -EBUSY when another agent holds it.
 */
static int take_lock(const char *path, int *fd_out)
{
    char p[PATH_MAX], buf[32], pid[64];
    int fd, len;

    fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
        int r = -errno;
        sg_log_error("cannot open the lock file %s: %s ([agent] lock_file)",
                     safe(path, p, sizeof(p)), strerror(-r));
        return r;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int r = -errno;
        ssize_t got;

        if (r != -EWOULDBLOCK) {
            sg_log_error("cannot lock %s: %s", safe(path, p, sizeof(p)), strerror(-r));
            close(fd);
            return r;
        }
        got = pread(fd, buf, sizeof(buf) - 1, 0);
        buf[got > 0 ? got : 0] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        sg_log_error("another swapguard agent runs (lock %s held by pid %s)",
                     safe(path, p, sizeof(p)), buf[0] ? safe(buf, pid, sizeof(pid)) : "unknown");
        close(fd);
        return -EBUSY;
    }
    len = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
    if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)len, 0) != len)
        sg_log_warning("cannot write our pid into the lock file %s: %s", safe(path, p, sizeof(p)),
                       strerror(errno));
    *fd_out = fd;
    return 0;
}

static void release_lock(int fd)
{
    if (fd < 0)
        return;
    if (ftruncate(fd, 0) < 0) {
        /* the lock goes with the descriptor anyway */
    }
    close(fd);
}

/* ---- descriptors ----------------------------------------------------------------- */

/* The hard RLIMIT_NOFILE the agent asks for: each watched domain keeps 3 to 5 descriptors
 * (hostprobe/sample.h), so this covers about 100,000 domains (systemd's own ceiling). */
#define AG_NOFILE_WANT ((rlim_t)524288)

/*
 * Raises the hard RLIMIT_NOFILE towards AG_NOFILE_WANT, within the kernel's
 * /proc/sys/fs/nr_open (needs CAP_SYS_RESOURCE; the unit's LimitNOFILE does it
 * for an unprivileged agent), then sets the descriptor budget of the domain
 * readers (the soft limit up to the hard one, less a reserve for libvirt, the
 * perf counters and the reports). Says once what it set, or why not.
 */
static void raise_nofile(void)
{
    struct rlimit rl = { 0 }, up;
    rlim_t nr_open = 0, want;
    char buf[32], why[128] = "";
    FILE *f = fopen("/proc/sys/fs/nr_open", "re");
    size_t budget;

    if (f) {
        if (fgets(buf, sizeof(buf), f))
            nr_open = (rlim_t)strtoull(buf, NULL, 10);
        fclose(f);
    }
    getrlimit(RLIMIT_NOFILE, &rl);
    want = nr_open && nr_open < AG_NOFILE_WANT ? nr_open : AG_NOFILE_WANT;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want) {
        up = (struct rlimit){ want, want };
        if (setrlimit(RLIMIT_NOFILE, &up) == 0) {
            snprintf(why, sizeof(why), "hard limit raised from %llu to %llu (fs.nr_open %llu)",
                     (unsigned long long)rl.rlim_max, (unsigned long long)want,
                     (unsigned long long)nr_open);
            rl = up;
        } else {
            snprintf(why, sizeof(why), "hard limit %llu kept: raising it to %llu: %s",
                     (unsigned long long)rl.rlim_max, (unsigned long long)want, strerror(errno));
        }
    } else {
        snprintf(why, sizeof(why), "hard limit %llu", (unsigned long long)rl.rlim_max);
    }
    budget = sg_fd_budget_init(1024 + (rl.rlim_max == RLIM_INFINITY ? 0 : (size_t)(rl.rlim_max / 8)));
    getrlimit(RLIMIT_NOFILE, &rl);
    sg_log_info("descriptors: RLIMIT_NOFILE %llu, %s; %zu kept open for the domains' periodic files "
                "(about %zu domains; beyond, each opens, reads and closes its files per tick)",
                (unsigned long long)rl.rlim_cur, why, budget, budget / 4);
}

/* ---- watches ------------------------------------------------------------------ */

static struct ag_dom *find_dom(struct agent *a, const char *uuid, size_t *idx)
{
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->d[i]->w.d.uuid, uuid) == 0) {
            if (idx)
                *idx = i;
            return a->d[i];
        }
    return NULL;
}

static bool wanted(const struct agent *a, const char *name)
{
    return !a->match || fnmatch(a->match, name, 0) == 0;
}

static void log_watch(const char *what, const struct ag_dom *x)
{
    char name[512], cg[PATH_MAX];

    if (x->w.located)
        sg_log_info("domain '%s' (%s) %s: pid %d, memory cgroup v%d %s",
                    safe(x->w.d.name, name, sizeof(name)), x->w.d.uuid, what, (int)x->w.d.pid,
                    x->w.cg.memory_version, safe(x->w.cg.memory_path, cg, sizeof(cg)));
    else
        sg_log_info("domain '%s' (%s) %s: its QEMU process was not found (figures stay unknown)",
                    safe(x->w.d.name, name, sizeof(name)), x->w.d.uuid, what);
}

/* Locates the QEMU process and memory cgroup of x (x->w.d.pid already set, or 0). */
static void setup_watch(struct agent *a, struct ag_dom *x)
{
    struct sg_error err = { 0 };
    char msg[PATH_MAX + 512], name[512];
    int r;

    r = sg_collect_open(&a->ctx->fs, &x->w, &err);
    if (r < 0)
        sg_log_warning("domain '%s': %s", safe(x->w.d.name, name, sizeof(name)),
                       sg_error_format(&err, msg, sizeof(msg)));
    /* The Nova labels of swapguard_domain_info: one libvirt call per domain watched, never per
     * tick; without them the textfile still carries the domain (domain and uuid labels). */
    if (x->w.dom && !x->w.meta) {
        err = (struct sg_error){ 0 };
        r = sg_dom_read_meta(&x->w, &err);
        if (r < 0)
            sg_log_warning("domain '%s': no Nova labels: %s", safe(x->w.d.name, name, sizeof(name)),
                           sg_error_format(&err, msg, sizeof(msg)));
    }
    if (x->w.located && !x->w.rd.kept && !a->fd_budget_logged) {
        struct rlimit rl = { 0 };

        getrlimit(RLIMIT_NOFILE, &rl);
        sg_log_warning("descriptor budget reached (RLIMIT_NOFILE %llu, %zu domain(s) watched): "
                       "domain '%s' and the domains after it open, read and close their files at "
                       "each tick instead of keeping them open (said once)",
                       (unsigned long long)rl.rlim_cur, a->n, safe(x->w.d.name, name, sizeof(name)));
        a->fd_budget_logged = true;
    }
}

/*
 * The QEMU pid of an active domain that just started: the pid file libvirt
 * keeps (one small file), checked against /proc/PID/cmdline; only when that
 * fails, one scan of /proc. Never per tick.
 */
static pid_t find_pid(struct agent *a, struct sg_domain *d)
{
    const char *uuids[1] = { d->uuid };
    pid_t pids[1] = { 0 };

    d->pidfile_pid = sg_domain_pidfile_pid(&a->ctx->fs, d);
    if (d->pidfile_pid > 0 && sg_pid_has_uuid(&a->ctx->fs, d->pidfile_pid, d->uuid))
        return d->pidfile_pid;
    if (d->id < 0 || sg_find_qemu_pids(&a->ctx->fs, uuids, 1, pids) < 0)
        return 0;
    return pids[0];
}

/*
 * A running domain whose QEMU was not found when its watch was added (its
 * pid file came late): the pid file again, one small file, at each tick until
 * found; never a /proc scan per tick.
 */
static void relocate(struct agent *a, struct ag_dom *x)
{
    pid_t pid = sg_domain_pidfile_pid(&a->ctx->fs, &x->w.d);

    if (pid <= 0 || !sg_pid_has_uuid(&a->ctx->fs, pid, x->w.d.uuid))
        return;
    sg_tp_close(x->w.apf); /* the counters of a former process, if any */
    x->w.apf = NULL;
    x->w.d.pid = x->w.d.pidfile_pid = pid;
    setup_watch(a, x);
    if (x->w.located)
        log_watch("found", x);
}

/* Adds a watch for d (taken over) with handle dom (taken over). */
static void add_dom(struct agent *a, struct sg_domain *d, virDomainPtr dom, const char *why)
{
    struct ag_dom *x = calloc(1, sizeof(*x)), **v = realloc(a->d, (a->n + 1) * sizeof(*a->d));
    char name[512];

    if (v)
        a->d = v;
    if (!x || !v) {
        sg_log_warning("domain '%s': out of memory, not watched",
                       safe(d->name, name, sizeof(name)));
        free(x);
        sg_domain_clear(d);
        if (dom)
            virDomainFree(dom);
        return;
    }
    x->w.d = *d;
    memset(d, 0, sizeof(*d));
    x->w.dom = dom;
    setup_watch(a, x);
    a->d[a->n++] = x;
    a->textfile_dirty = true;
    log_watch(why, x);
}

static void remove_dom(struct agent *a, size_t i, const char *why)
{
    struct ag_dom *x = a->d[i];
    char name[512];

    sg_log_info("domain '%s' (%s) removed: %s", safe(x->w.d.name, name, sizeof(name)), x->w.d.uuid,
                why);
    sg_dom_clear(&x->w);
    free(x);
    memmove(&a->d[i], &a->d[i + 1], (a->n - i - 1) * sizeof(*a->d));
    a->n--;
    a->textfile_dirty = true;
    /* its sampler ring goes at the next sweep */
}

/* The full listing, at (re)connect only: add new domains, renew handles, drop the gone. */
static int sync_domains(struct agent *a)
{
    struct sg_error err = { 0 };
    struct sg_domain *list = NULL;
    char msg[PATH_MAX + 512];
    size_t old_n;
    bool *seen, fell_back;
    int n, r;

    n = sg_lv_domains_list(a->conn, false, sg_lv_timeout_ms(), &list, &fell_back, &err);
    if (n == -ETIMEDOUT) {
        /* libvirtd does not list in time: the watches stay as they are (the lifecycle
         * events add and remove domains from here on), with handles looked up again */
        sg_log_warning("%s: keeping the %zu domain(s) watched before", sg_error_format(&err, msg, sizeof(msg)),
                       a->n);
        for (size_t i = 0; i < a->n; i++)
            if (!a->d[i]->w.dom)
                a->d[i]->w.dom = virDomainLookupByUUIDString(a->conn, a->d[i]->w.d.uuid);
        return 0;
    }
    if (n < 0) {
        sg_log_warning("%s", sg_error_format(&err, msg, sizeof(msg)));
        return n;
    }
    if (fell_back)
        sg_log_warning("libvirt's stats listing did not answer within %d ms (a domain whose QEMU does "
                       "not answer holds it): listed without it", sg_lv_timeout_ms());
    r = sg_domains_find_pids(&a->ctx->fs, list, (size_t)n); /* one /proc scan for all */
    if (r < 0)
        sg_log_warning("%s: %s", a->ctx->fs.proc_path, strerror(-r));
    if (sg_fd_budget_plan((size_t)n) && sg_fd_budget_left() >= SG_RD_KEEP_CORE &&
        !a->fd_plan_logged) {
        sg_log_info("descriptors: %zu left for %d domain(s): the domains beyond what fits keep "
                    "only their core files open (status, memory.stat, memory.pressure) and read "
                    "the others by path at each tick (said once)", sg_fd_budget_left(), n);
        a->fd_plan_logged = true;
    }
    old_n = a->n;
    seen = calloc(old_n + 1, sizeof(*seen));
    if (!seen) {
        sg_domains_free(list, (size_t)n);
        return -ENOMEM;
    }
    for (int i = 0; i < n; i++) {
        struct sg_domain *d = &list[i];
        virDomainPtr dom;
        struct ag_dom *x;
        size_t k;

        if (!wanted(a, d->name))
            continue;
        dom = virDomainLookupByUUIDString(a->conn, d->uuid);
        x = find_dom(a, d->uuid, &k);
        if (!x) {
            add_dom(a, d, dom, "added");
            continue;
        }
        seen[k] = true;
        if (x->w.dom)
            virDomainFree(x->w.dom);
        x->w.dom = dom;
        if (x->w.located && x->w.d.pid == d->pid) {
            /* the same QEMU: keep its cgroup and counters, take the new names */
            free(x->w.d.name);
            x->w.d.name = TAKE_PTR(d->name);
            x->w.d.id = d->id;
            x->w.d.state = d->state;
            continue;
        }
        dom = TAKE_PTR(x->w.dom);
        sg_dom_clear(&x->w); /* another QEMU process: find it again */
        x->w.d = *d;
        memset(d, 0, sizeof(*d));
        x->w.dom = dom;
        setup_watch(a, x);
        log_watch("found again", x);
    }
    /* Not running any more (stopped while libvirtd was away). Backwards: remove_dom
     * shifts the tail; the ones just added sit past old_n. */
    for (size_t i = old_n; i-- > 0;)
        if (!seen[i])
            remove_dom(a, i, "not running when libvirtd came back");
    free(seen);
    sg_domains_free(list, (size_t)n);
    return 0;
}

/* ---- libvirt: lifecycle events, connection, reconnect -------------------------- */

static const char *event_name(int event)
{
    switch (event) {
    case VIR_DOMAIN_EVENT_STARTED: return "started";
    case VIR_DOMAIN_EVENT_RESUMED: return "resumed";
    case VIR_DOMAIN_EVENT_STOPPED: return "stopped";
    case VIR_DOMAIN_EVENT_CRASHED: return "crashed";
    case VIR_DOMAIN_EVENT_UNDEFINED: return "undefined";
    default: return "changed";
    }
}

static int on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque)
{
    struct agent *a = opaque;
    char uuid[VIR_UUID_STRING_BUFLEN], msg[PATH_MAX + 512];
    struct sg_error err = { 0 };
    struct sg_domain d;
    struct ag_dom *x;
    size_t i;

    if (virDomainGetUUIDString(dom, uuid) < 0)
        return 0;
    x = find_dom(a, uuid, &i);
    switch (event) {
    case VIR_DOMAIN_EVENT_SUSPENDED:
        /* Its vCPUs stop until it resumes: the verdict says so (no libvirt call here). */
        if (x) {
            char name[256];

            x->w.d.state = VIR_DOMAIN_PAUSED;
            x->w.d.reason = sg_domain_suspended_reason(detail);
            sg_log_info("domain '%s' paused (%s)", safe(x->w.d.name, name, sizeof(name)),
                        sg_domain_paused_reason_name(x->w.d.reason));
        }
        break;
    case VIR_DOMAIN_EVENT_STARTED:
    case VIR_DOMAIN_EVENT_RESUMED:
        if (x) {
            if (event == VIR_DOMAIN_EVENT_RESUMED && x->w.d.state == VIR_DOMAIN_PAUSED) {
                char name[256];

                x->w.d.state = VIR_DOMAIN_RUNNING;
                x->w.d.reason = -1;
                sg_log_info("domain '%s' resumed", safe(x->w.d.name, name, sizeof(name)));
            }
            return 0;
        }
        if (sg_domain_from_ptr(dom, &d, &err) < 0) {
            sg_log_warning("domain %s %s: %s", uuid, event_name(event),
                           sg_error_format(&err, msg, sizeof(msg)));
            return 0;
        }
        if (!wanted(a, d.name) || d.id < 0) {
            sg_domain_clear(&d);
            return 0;
        }
        d.pid = find_pid(a, &d);
        if (virDomainRef(dom) < 0) {
            sg_domain_clear(&d);
            return 0;
        }
        add_dom(a, &d, dom,
                event == VIR_DOMAIN_EVENT_STARTED ? "added (started)" : "added (resumed)");
        break;
    case VIR_DOMAIN_EVENT_STOPPED:
    case VIR_DOMAIN_EVENT_CRASHED:
    case VIR_DOMAIN_EVENT_UNDEFINED:
        if (x)
            remove_dom(a, i, event_name(event));
        break;
    default:
        break;
    }
    return 0;
}

static void on_close(virConnectPtr conn, int reason, void *opaque);

/* Drops the connection and the domain handles; the watches keep sampling /proc. */
static void disconnect(struct agent *a)
{
    if (a->teardown_timer >= 0) {
        virEventRemoveTimeout(a->teardown_timer); /* this is the teardown */
        a->teardown_timer = -1;
    }
    for (size_t i = 0; i < a->n; i++)
        if (a->d[i]->w.dom) {
            virDomainFree(a->d[i]->w.dom);
            a->d[i]->w.dom = NULL;
        }
    if (a->conn) {
        if (a->lifecycle_id >= 0)
            virConnectDomainEventDeregisterAny(a->conn, a->lifecycle_id);
        virConnectUnregisterCloseCallback(a->conn, on_close);
        virConnectClose(a->conn);
    }
    a->lifecycle_id = -1;
    a->conn = NULL;
    a->conn_lost = false;
    a->ctx->conn = NULL;
    a->ctx->conn_rw = false;
}

/* Opens the read-write connection, registers the callbacks, lists the domains. -EIO. */
static int connect_libvirt(struct agent *a)
{
    virConnectPtr c;

    if (a->conn)
        return 0;
    c = virConnectOpen(a->uri);
    a->conn_err[0] = '\0';
    if (!c) {
        snprintf(a->conn_err, sizeof(a->conn_err), "%s", virGetLastErrorMessage());
        return -EIO;
    }
    a->conn = c;
    a->ctx->conn = c; /* sg_apply_run works on it */
    a->ctx->conn_rw = true;
    /* libvirtd going away (EOF, keepalive timeout) ends up in on_close */
    if (virConnectSetKeepAlive(c, 5, 3) < 0)
        virResetLastError(); /* drivers without keepalive (test:///) */
    if (virConnectRegisterCloseCallback(c, on_close, a, NULL) < 0 ||
        (a->lifecycle_id = virConnectDomainEventRegisterAny(
             c, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE, VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), a,
             NULL)) < 0) {
        snprintf(a->conn_err, sizeof(a->conn_err), "%s", virGetLastErrorMessage());
        disconnect(a);
        return -EIO;
    }
    /* events first, then the listing: a domain starting in between is not missed
     * (add_dom ignores one it already watches) */
    if (sync_domains(a) < 0) {
        snprintf(a->conn_err, sizeof(a->conn_err), "cannot list the domains");
        disconnect(a);
        return -EIO;
    }
    return 0;
}

static void on_reconnect(int timer, void *opaque);

/* Schedules the next attempt; returns its delay in seconds. */
static double schedule_reconnect(struct agent *a)
{
    double s = sg_daemon_backoff_s(++a->attempt, a->cfg->reconnect_max_s);

    if (a->reconnect_timer >= 0)
        virEventRemoveTimeout(a->reconnect_timer); /* one pending attempt at a time */
    a->reconnect_timer = virEventAddTimeout((int)(s * 1000), on_reconnect, a, NULL);
    return s;
}

static void on_reconnect(int timer, void *opaque)
{
    struct agent *a = opaque;
    double next;

    virEventRemoveTimeout(timer);
    a->reconnect_timer = -1;
    if (connect_libvirt(a) == 0) {
        sg_log_info("reconnected to libvirt at %s (attempt %u): %zu domain(s) watched; every "
                    "verdict is reported again", a->uri, a->attempt, a->n);
        for (size_t i = 0; i < a->n; i++)
            sg_daemon_track_rereport(&a->d[i]->track);
        a->attempt = 0;
        return;
    }
    next = schedule_reconnect(a);
    sg_log_info("reconnect attempt %u to libvirt at %s failed: %s; next attempt in %g s",
                a->attempt - 1, a->uri, a->conn_err, next);
}

static const char *close_reason(int reason)
{
    switch (reason) {
    case VIR_CONNECT_CLOSE_REASON_ERROR: return "error";
    case VIR_CONNECT_CLOSE_REASON_EOF: return "end of file";
    case VIR_CONNECT_CLOSE_REASON_KEEPALIVE: return "keepalive timeout";
    case VIR_CONNECT_CLOSE_REASON_CLIENT: return "closed by the client";
    default: return "unknown reason";
    }
}

static void on_teardown(int timer, void *opaque)
{
    struct agent *a = opaque;
    double s;

    virEventRemoveTimeout(timer);
    a->teardown_timer = -1;
    disconnect(a);
    if (a->reconnect_timer >= 0)
        return; /* an attempt is already scheduled */
    a->attempt = 0;
    s = schedule_reconnect(a);
    sg_log_info("libvirt at %s went away; host sampling goes on, reconnecting in %g s", a->uri, s);
}

/*
 * libvirt calls this when the connection dies, possibly from inside an RPC of
 * the tick (a guest probe): only note it here, and tear down from the loop.
 */
static void on_close(virConnectPtr conn, int reason, void *opaque)
{
    struct agent *a = opaque;

    if (a->conn_lost || conn != a->conn)
        return;
    a->conn_lost = true;
    sg_log_info("lost the connection to libvirt at %s (%s)", a->uri, close_reason(reason));
    a->teardown_timer = virEventAddTimeout(0, on_teardown, a, NULL);
}

static bool connected(const struct agent *a)
{
    return a->conn && !a->conn_lost;
}

/* ---- the tick ---------------------------------------------------------------------- */

static double now_unix_s(void)
{
    struct timespec t;

    clock_gettime(CLOCK_REALTIME, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void log_verdict(const struct ag_dom *x, const struct sg_verdict *v, const char *prev)
{
    char name[512], keys[SG_MAX_EVIDENCE * 34] = "";
    size_t len = 0;

    for (size_t i = 0; i < v->n_ev && len < sizeof(keys); i++)
        len += (size_t)snprintf(keys + len, sizeof(keys) - len, "%s%s", i ? ", " : "",
                                v->ev[i].key);
    sg_log_info("domain '%s' (%s): verdict %s, confidence %.2f (%s%s)%s%s",
                safe(x->w.d.name, name, sizeof(name)), x->w.d.uuid, sg_verdict_name(v->kind),
                v->confidence, prev ? "was " : "first verdict", prev ? prev : "",
                keys[0] ? "; evidence: " : "", keys);
}

/* The remedies of mask (SG_REC_BIT(action)), in the order of sg_rec_auto_actions. */
static void auto_apply(struct agent *a, struct ag_dom *x, unsigned mask)
{
    char name[512];

    for (size_t i = 0; i < SG_REC_N_AUTO; i++) {
        enum sg_rec_action act = sg_rec_auto_actions[i];
        struct sg_apply_req req = {
            .ctx = a->ctx,
            .cfg = a->cfg,
            .action = act,
            .target = x->w.d.uuid,
            .yes = true,
            .out = stderr,
        };
        int r;

        if (!(mask & SG_REC_BIT(act)))
            continue;
        if (x->w.lv.pending) {
            sg_log_warning("domain '%s': %s not applied: a libvirt call for the domain is past its "
                           "deadline (its QEMU does not answer)", safe(x->w.d.name, name, sizeof(name)),
                           sg_rec_action_name(act));
            continue;
        }
        sg_log_info("domain '%s' (%s): host-swap-stall, confidence %.2f >= %.2f: applying %s "
                    "([agent] auto_apply)", safe(x->w.d.name, name, sizeof(name)), x->w.d.uuid,
                    x->v.confidence, a->cfg->auto_apply_min_confidence, sg_rec_action_name(act));
        r = sg_apply_run(&req);
        if (r < 0)
            sg_log_warning("domain '%s': automatic %s failed: %s; not retried while the verdict "
                           "stays", safe(x->w.d.name, name, sizeof(name)), sg_rec_action_name(act),
                           strerror(-r));
        else
            sg_log_info("domain '%s': %s applied ('swapguard history' lists it, 'swapguard "
                        "rollback' undoes it)", safe(x->w.d.name, name, sizeof(name)),
                        sg_rec_action_name(act));
    }
}

/*
 * The verdicts of the tick, taken one domain at a time (a->verdict), of which each domain
 * keeps the figures. With decide (libvirtd connected): report the changes (the per-change
 * outputs while the whole verdict is at hand), apply what is configured. Without (libvirtd
 * away; the metadata and the remedies need it): only the textfile; the changes are taken
 * when libvirtd is back.
 */
static void report_tick(struct agent *a, const struct sg_host_facts *host, bool decide)
{
    const struct sg_config *cfg = a->cfg;
    struct sg_report_dom *rep = calloc(a->n + 1, sizeof(*rep));
    unsigned *apply = calloc(a->n + 1, sizeof(*apply));
    struct sg_verdict *v = a->verdict;
    double now = now_unix_s();
    bool changed = false;
    size_t m = 0;
    int r;

    if (!rep || !apply) {
        free(rep);
        free(apply);
        sg_log_warning("out of memory: no report this tick");
        return;
    }
    for (size_t i = 0; i < a->n; i++) {
        struct ag_dom *x = a->d[i];
        const struct sg_dom_ring *ring = sg_sampler_dom(&a->s, x->w.d.uuid);
        struct sg_daemon_step st = { 0 };

        /* a verdict from the second tick of a domain on: rates need two */
        x->has_v = ring && ring->n >= 2 &&
                   sg_sampler_verdict(&a->s, x->w.d.uuid, cfg->window_s, &cfg->verdict, v) == 0;
        if (x->has_v)
            x->v = (struct sg_report_verdict_nums){ v->kind, v->confidence, v->lost_ms_per_s };
        if (!x->has_v || (decide && !x->w.dom))
            continue;
        if (decide)
            st = sg_daemon_decide(&x->track, v, observing(a, cfg) ? 0 : cfg->auto_apply,
                                  cfg->auto_apply_min_confidence);
        rep[m] = (struct sg_report_dom){
            .w = &x->w,
            .nums = x->v,
            .last = ring->last,
            .prev_verdict = st.prev,
            .changed = st.report,
            .sample_unix = x->sample_unix,
        };
        if (st.report) {
            /* The per-change outputs now, while the whole verdict is at hand (they log
             * their own warnings and the agent goes on whatever fails). */
            log_verdict(x, v, st.prev);
            rep[m].v = v;
            sg_report_changes(cfg, &rep[m], 1, now);
            rep[m].v = NULL;
        }
        changed |= st.report;
        apply[i] = st.apply;
        m++;
    }
    /*
     * The textfile of all: at a change, and otherwise at most every [report]
     * textfile_interval (a little early rather than a tick late), and at once when a
     * domain or libvirtd came or went. Its failures are said once until they change.
     */
    if (cfg->textfile[0] &&
        (changed || a->textfile_dirty || a->textfile_up != decide || a->textfile_at == 0 ||
         sg_mono_s() - a->textfile_at >= cfg->textfile_interval_s - 0.05)) {
        char why[512] = "";

        a->textfile_at = sg_mono_s();
        a->textfile_dirty = false;
        a->textfile_up = decide;
        r = sg_report_textfile_up(cfg->textfile, host, rep, m, now, decide, why, sizeof(why));
        if (r < 0 && r != a->report_err)
            sg_log_warning("report: textfile %s: %s (said once until it changes)",
                           r == -ENOENT ? "skipped" : "failed", why[0] ? why : strerror(-r));
        a->report_err = r < 0 ? r : 0;
    }
    for (size_t i = 0; i < a->n; i++)
        if (apply[i])
            auto_apply(a, a->d[i], apply[i]);
    free(rep);
    free(apply);
}

/*
 * A libvirt call for x that went past its deadline is said once, and so is its return
 * (the call is released at the next tick's poll).
 */
static void log_stuck(struct ag_dom *x)
{
    char name[512], why[256];
    bool stuck = x->w.lv.pending != NULL;

    if (stuck == x->lv_stuck)
        return;
    x->lv_stuck = stuck;
    if (stuck) {
        sg_lv_why(&x->w.lv, -EBUSY, why, sizeof(why));
        sg_log_warning("domain '%s' (%s): %s: its QEMU does not answer (stopped, hung, exiting or "
                       "migrating?); its libvirt figures are left out and no new libvirt call is made "
                       "for it until this one returns; /proc and cgroup sampling goes on (said once)",
                       safe(x->w.d.name, name, sizeof(name)), x->w.d.uuid, why);
    } else {
        sg_log_info("domain '%s' (%s): libvirt answers again: the call past its deadline returned "
                    "after %.1f s", safe(x->w.d.name, name, sizeof(name)), x->w.d.uuid,
                    x->w.lv.returned_after_s);
    }
}

/*
 * One tick. The libvirt calls of a domain (block stats, a guest probe) run on a
 * worker with a deadline ([sampler] libvirt_timeout_ms; the guest probe's adds
 * [guestprobe] timeout): a domain whose QEMU does not answer delays the tick by
 * one deadline once, then is stale (no new call) until its call returns. A tick
 * can still take up to probes_per_tick x [guestprobe] timeout when agents hang,
 * and lifecycle events and signals queue meanwhile (they are handled right after
 * the tick). The host-side part reads a few small files per domain:
 * /proc/PID/status, the cgroup's memory files, its PSI, the perf counters.
 */
static struct sg_dom *ag_dom_at(void *opaque, size_t i)
{
    struct agent *a = opaque;

    return &a->d[i]->w;
}

static void on_tick(int timer, void *opaque)
{
    struct agent *a = opaque;
    const struct sg_config *cfg = a->cfg;
    struct sg_error err = { 0 };
    struct sg_host_facts host;
    char msg[PATH_MAX + 512], name[512];
    size_t *pick = NULL, n_pick = 0;
    uint64_t *last = NULL;
    bool *elig = NULL, all_pushed = true;
    int r;

    a->ticks++;
    r = sg_collect_host(&a->ctx->fs, &host, &err);
    if (r < 0) {
        if (r != a->host_err)
            sg_log_warning("host facts: %s (tick skipped)",
                           sg_error_format(&err, msg, sizeof(msg)));
        a->host_err = r;
        goto out;
    }
    a->host_err = 0;
    sg_sampler_push_host(&a->s, &host);

    if (cfg->guest_probe && cfg->probes_per_tick && connected(a) && a->n) {
        pick = calloc(cfg->probes_per_tick, sizeof(*pick));
        last = calloc(a->n, sizeof(*last));
        elig = calloc(a->n, sizeof(*elig));
        if (pick && last && elig) {
            for (size_t i = 0; i < a->n; i++) {
                last[i] = a->d[i]->last_probe;
                elig[i] = a->d[i]->w.dom && a->d[i]->w.located;
            }
            n_pick = sg_daemon_pick_probes(last, elig, a->n, cfg->probes_per_tick, pick);
        }
    }
    sg_collect_looks(&a->ctx->fs, ag_dom_at, a, a->n); /* one pause per tick, not per domain */
    for (size_t i = 0, p = 0; i < a->n; i++) {
        struct ag_dom *x = a->d[i];
        const char *no_probe = NULL;
        struct sg_dom_facts facts;
        bool chosen = p < n_pick && pick[p] == i;

        if (chosen)
            p++;
        if (!cfg->guest_probe)
            no_probe = "guest probe disabled in the config ([guestprobe] enabled = no)";
        else if (!connected(a) || !x->w.dom)
            no_probe = "libvirtd not connected";
        else if (!chosen)
            no_probe = "no probe in turn yet ([agent] probes_per_tick)";
        if (!x->w.located && x->w.d.id >= 0 && x->w.dom)
            relocate(a, x);
        if (!no_probe)
            x->last_probe = a->ticks;
        r = sg_diag_tick_dom(&a->ctx->fs, cfg, &x->w, no_probe, &a->s, &facts, &err);
        log_stuck(x);
        if (r < 0 && x->w.located && !sg_pid_has_uuid(&a->ctx->fs, x->w.d.pid, x->w.d.uuid)) {
            /* QEMU exiting (a zombie's status lacks the memory lines) before the
             * stopped event arrives: gone, not an error; the next ticks say not running */
            x->w.located = false;
            all_pushed = false;
            continue;
        }
        if (r < 0) {
            if (r != x->last_err)
                sg_log_warning("domain '%s': %s", safe(x->w.d.name, name, sizeof(name)),
                               err.file[0] || err.msg[0] ? sg_error_format(&err, msg, sizeof(msg))
                                                         : strerror(-r));
            x->last_err = r;
            all_pushed = false;
            continue;
        }
        x->last_err = 0;
        if (facts.running)
            x->sample_unix = now_unix_s();
    }
    if (all_pushed)
        sg_sampler_sweep(&a->s); /* forget the rings of domains no longer watched */

    /* Reports and remedies need libvirtd (metadata, the domain handle): they wait for it,
     * and every verdict counts as a change once it is back. */
    report_tick(a, &host, connected(a));
out:
    free(pick);
    free(last);
    free(elig);
    if (a->max_ticks && a->ticks >= a->max_ticks) {
        sg_log_info("exiting after %" PRIu64 " tick(s) (--ticks); sampler: %zu domain ring(s), %zu bytes",
                    a->ticks, a->s.n_doms, sg_sampler_bytes(&a->s));
        a->quit = true;
    }
}

/* ---- signals and reload ----------------------------------------------------------- */

static int interval_ms(const struct sg_config *cfg)
{
    return (int)lround(cfg->interval_s * 1000);
}

static const char *cfg_path(const struct agent *a, const struct sg_config *cfg)
{
    if (cfg->path[0])
        return cfg->path;
    return a->config_path ? a->config_path : SG_CONFIG_DEFAULT_PATH " (absent: defaults)";
}

/* An observe-only agent with auto_apply in its config: logged, refused (-EINVAL). */
static int observe_check(const struct agent *a, const struct sg_config *cfg, const char *when)
{
    if (!a->observe_only || !cfg->auto_apply)
        return 0;
    sg_log_error("%s%s: [agent] auto_apply is set, and --observe-only: an observe-only agent applies no "
                 "remedy", when, cfg_path(a, cfg));
    return -EINVAL;
}

static void reload(struct agent *a)
{
    struct sg_config *c = calloc(1, sizeof(*c));
    const char *path = a->config_path ? a->config_path : SG_CONFIG_DEFAULT_PATH;
    char msg[8192];

    if (!c) {
        sg_log_error("SIGHUP: out of memory; keeping the old configuration");
        return;
    }
    if (sg_config_load(c, path, a->config_path == NULL, msg, sizeof(msg)) < 0) {
        sg_log_error("SIGHUP: %s; keeping the old configuration", msg);
        sg_config_clear(c);
        free(c);
        return;
    }
    if (observe_check(a, c, "SIGHUP: ") < 0) {
        sg_log_error("SIGHUP: keeping the old configuration");
        sg_config_clear(c);
        free(c);
        return;
    }
    if (c->ring_length != a->cfg->ring_length)
        sg_log_warning("SIGHUP: [sampler] ring_length %u takes effect at the next start (now %zu)",
                       c->ring_length, a->s.cap);
    if (strcmp(c->lock_file, a->cfg->lock_file) != 0)
        sg_log_warning("SIGHUP: [agent] lock_file takes effect at the next start");
    if (interval_ms(c) != interval_ms(a->cfg) && a->tick_timer >= 0)
        virEventUpdateTimeout(a->tick_timer, interval_ms(c));
    sg_config_clear(a->cfg);
    free(a->cfg);
    a->cfg = c;
    sg_lv_set_timeout_ms(c->libvirt_timeout_ms);
    sg_collect_set_block_interval(c->block_stats_interval_s);
    sg_log_info("SIGHUP: reloaded %s: interval %g s, window %g s, probes_per_tick %u, guest "
                "probes %s, auto_apply %s", cfg_path(a, c), c->interval_s, c->window_s,
                c->probes_per_tick, c->guest_probe ? "on" : "off", c->auto_apply ? "on" : "off");
}

static void on_signal(int watch, int fd, int events, void *opaque)
{
    struct agent *a = opaque;
    struct signalfd_siginfo si;

    while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        if (si.ssi_signo == SIGHUP) {
            reload(a);
        } else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
            sg_log_info("%s: exiting", si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
            a->quit = true;
        }
    }
}

/* ---- the command ------------------------------------------------------------------ */

static void agent_free(struct agent *a)
{
    if (a->tick_timer >= 0)
        virEventRemoveTimeout(a->tick_timer);
    if (a->reconnect_timer >= 0)
        virEventRemoveTimeout(a->reconnect_timer);
    if (a->teardown_timer >= 0)
        virEventRemoveTimeout(a->teardown_timer);
    if (a->sig_watch >= 0)
        virEventRemoveHandle(a->sig_watch);
    if (a->sig_fd >= 0)
        close(a->sig_fd);
    disconnect(a);
    for (size_t i = 0; i < a->n; i++) {
        sg_dom_clear(&a->d[i]->w);
        free(a->d[i]);
    }
    free(a->d);
    sg_sampler_clear(&a->s);
    free(a->verdict);
    if (a->cfg) {
        sg_config_clear(a->cfg);
        free(a->cfg);
    }
    release_lock(a->lock_fd);
}

int sg_daemon_run(struct sg_ctx *ctx, const struct sg_daemon_opts *o)
{
    struct agent a = {
        .ctx = ctx,
        .uri = ctx->uri ? ctx->uri : SG_DEFAULT_URI,
        .config_path = o->config_path,
        .match = o->match,
        .observe_only = o->observe_only,
        .lifecycle_id = -1,
        .teardown_timer = -1,
        .reconnect_timer = -1,
        .tick_timer = -1,
        .sig_fd = -1,
        .sig_watch = -1,
        .lock_fd = -1,
    };
    char p[PATH_MAX], match[512];
    sigset_t sigs;
    int r, rc = -EINVAL;

    a.max_ticks = o->max_ticks;
    if (ctx->readonly) {
        sg_log_error("the agent needs a read-write libvirt connection (guest probes, reports, "
                     "remedies); drop -r/--readonly");
        return -EPERM;
    }
    a.cfg = calloc(1, sizeof(*a.cfg));
    if (!a.cfg) {
        sg_log_error("%s", strerror(ENOMEM));
        return -ENOMEM;
    }
    if (sg_diag_load_config(ctx, a.config_path, a.cfg) < 0 || observe_check(&a, a.cfg, "") < 0 ||
        sg_ctx_fs(ctx) < 0 || take_lock(a.cfg->lock_file, &a.lock_fd) < 0)
        goto done;
    r = sg_sampler_init(&a.s, a.cfg->ring_length);
    a.verdict = calloc(1, sizeof(*a.verdict));
    if (r == 0 && !a.verdict)
        r = -ENOMEM;
    if (r < 0) {
        sg_log_error("sampler: %s", strerror(-r));
        goto done;
    }
    /* The periodic files of the domains stay open within the descriptor limits. */
    raise_nofile();

    /* Signals arrive through a descriptor the loop watches; block them first (also for
     * every thread libvirt may start). */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGHUP);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigprocmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    a.sig_fd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
    if (a.sig_fd < 0) {
        sg_log_error("signalfd: %s", strerror(errno));
        goto done;
    }
    if (virEventRegisterDefaultImpl() < 0) {
        sg_log_error("cannot set up libvirt's event loop: %s", virGetLastErrorMessage());
        goto done;
    }
    a.sig_watch = virEventAddHandle(a.sig_fd, VIR_EVENT_HANDLE_READABLE, on_signal, &a, NULL);
    a.tick_timer = virEventAddTimeout(interval_ms(a.cfg), on_tick, &a, NULL);
    if (a.sig_watch < 0 || a.tick_timer < 0) {
        sg_log_error("cannot register with libvirt's event loop: %s", virGetLastErrorMessage());
        goto done;
    }
    sg_collect_set_block_interval(a.cfg->block_stats_interval_s);
    sg_log_info("agent started: pid %d, libvirt %s, interval %g s, window %g s, libvirt calls %d ms, "
                "block stats every %g s, probes_per_tick %u, config %s, lock %s%s%s%s", (int)getpid(),
                a.uri, a.cfg->interval_s, a.cfg->window_s, a.cfg->libvirt_timeout_ms,
                a.cfg->block_stats_interval_s, a.cfg->probes_per_tick, cfg_path(&a, a.cfg), safe(a.cfg->lock_file, p, sizeof(p)),
                a.match ? ", domains matching " : "",
                a.match ? safe(a.match, match, sizeof(match)) : "",
                observing(&a, a.cfg) ? ", observe-only (no remedies)" : "");

    if (connect_libvirt(&a) == 0) {
        sg_log_info("connected to libvirt at %s: %zu domain(s) watched", a.uri, a.n);
    } else {
        sg_log_info("cannot connect to libvirt at %s: %s; is libvirtd running? retrying in %g s",
                    a.uri, a.conn_err, schedule_reconnect(&a));
    }

    while (!a.quit) {
        if (virEventRunDefaultImpl() < 0) {
            sg_log_error("libvirt's event loop failed: %s", virGetLastErrorMessage());
            goto done;
        }
    }
    rc = 0;
done:
    /* The signals stay blocked: the process ends right after, and a second SIGTERM
     * pending now must not turn the clean exit into a kill. */
    agent_free(&a);
    return rc;
}
