/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "lostime.h"
#include "procfs.h"
#include "sysctl.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <signal.h>
#include <libvirt/virterror.h>
#include <linux/taskstats.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- taskstats ------------------------------------------------------------- */

int sg_parse_taskstats(const void *buf, size_t len, struct sg_taskstats *out, char *why,
                       size_t why_size)
{
    struct taskstats ts;

    memset(&ts, 0, sizeof(ts));
    if (!buf || len < offsetof(struct taskstats, swapin_delay_total) + sizeof(ts.swapin_delay_total)) {
        sg_why(why, why_size, "struct taskstats of %zu bytes: too short", len);
        return -EINVAL;
    }
    memcpy(&ts, buf, len < sizeof(ts) ? len : sizeof(ts));
    if (ts.version == 0) {
        sg_why(why, why_size, "struct taskstats version 0");
        return -EINVAL;
    }
#define FIELD(f) (offsetof(struct taskstats, f) + sizeof(ts.f) <= len ? (uint64_t)ts.f : SG_NONE)
    out->cpu_delay_ns = FIELD(cpu_delay_total);
    out->blkio_delay_ns = FIELD(blkio_delay_total);
    out->swapin_delay_ns = FIELD(swapin_delay_total);
    out->swapin_count = FIELD(swapin_count);
    out->freepages_delay_ns = FIELD(freepages_delay_total);
    out->thrashing_delay_ns = FIELD(thrashing_delay_total);
#undef FIELD
    return 0;
}

struct sg_taskstats_conn {
    struct nl_sock *sk;
    int family;
};

void sg_taskstats_close(struct sg_taskstats_conn *c)
{
    if (!c)
        return;
    if (c->sk)
        nl_socket_free(c->sk);
    free(c);
}

int sg_taskstats_open(struct sg_taskstats_conn **out, char *why, size_t why_size)
{
    struct sg_taskstats_conn *c = calloc(1, sizeof(*c));
    int r;

    *out = NULL;
    if (!c)
        return -ENOMEM;
    c->sk = nl_socket_alloc();
    if (!c->sk) {
        free(c);
        return -ENOMEM;
    }
    r = genl_connect(c->sk);
    if (r < 0) {
        sg_why(why, why_size, "generic netlink: %s", nl_geterror(r));
        sg_taskstats_close(c);
        return -EIO;
    }
    c->family = genl_ctrl_resolve(c->sk, TASKSTATS_GENL_NAME);
    if (c->family < 0) {
        sg_why(why, why_size, "no TASKSTATS netlink family (CONFIG_TASKSTATS off, or not the host's "
               "network namespace)");
        sg_taskstats_close(c);
        return -EPROTONOSUPPORT;
    }
    nl_socket_disable_auto_ack(c->sk);
    *out = c;
    return 0;
}

struct ts_reply {
    struct sg_taskstats *out;
    int r;
    char *why;
    size_t why_size;
};

static int ts_valid(struct nl_msg *msg, void *arg)
{
    struct ts_reply *rep = arg;
    struct nlattr *attrs[TASKSTATS_TYPE_MAX + 1], *nest, *a;
    int rem;

    if (genlmsg_parse(nlmsg_hdr(msg), 0, attrs, TASKSTATS_TYPE_MAX, NULL) < 0) {
        sg_why(rep->why, rep->why_size, "malformed taskstats reply");
        rep->r = -EIO;
        return NL_STOP;
    }
    nest = attrs[TASKSTATS_TYPE_AGGR_PID] ? attrs[TASKSTATS_TYPE_AGGR_PID] : attrs[TASKSTATS_TYPE_AGGR_TGID];
    if (!nest) {
        sg_why(rep->why, rep->why_size, "taskstats reply without statistics");
        rep->r = -EIO;
        return NL_STOP;
    }
    nla_for_each_nested(a, nest, rem) {
        if (nla_type(a) == TASKSTATS_TYPE_STATS) {
            rep->r = sg_parse_taskstats(nla_data(a), (size_t)nla_len(a), rep->out, rep->why, rep->why_size);
            return NL_STOP;
        }
    }
    sg_why(rep->why, rep->why_size, "taskstats reply without TASKSTATS_TYPE_STATS");
    rep->r = -EIO;
    return NL_STOP;
}

static int nle_to_errno(int nle)
{
    switch (-nle) {
    case NLE_PERM:
        return -EPERM;
    case NLE_OBJ_NOTFOUND:
    case NLE_NOADDR:
        return -ESRCH;
    case NLE_NOMEM:
        return -ENOMEM;
    case NLE_INVAL:
        return -EINVAL;
    default:
        return -EIO;
    }
}

int sg_taskstats_get(struct sg_taskstats_conn *c, pid_t id, bool tgid, struct sg_taskstats *out,
                     char *why, size_t why_size)
{
    struct ts_reply rep = { .out = out, .r = -EIO, .why = why, .why_size = why_size };
    struct nl_msg *msg;
    int r;

    if (!c || id <= 0)
        return -EINVAL;
    msg = nlmsg_alloc();
    if (!msg)
        return -ENOMEM;
    if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, c->family, 0, 0, TASKSTATS_CMD_GET, TASKSTATS_VERSION) ||
        nla_put_u32(msg, tgid ? TASKSTATS_CMD_ATTR_TGID : TASKSTATS_CMD_ATTR_PID, (uint32_t)id) < 0) {
        nlmsg_free(msg);
        return -ENOMEM;
    }
    r = nl_send_auto(c->sk, msg);
    nlmsg_free(msg);
    if (r < 0) {
        sg_why(why, why_size, "taskstats request: %s", nl_geterror(r));
        return nle_to_errno(r);
    }
    nl_socket_modify_cb(c->sk, NL_CB_VALID, NL_CB_CUSTOM, ts_valid, &rep);
    r = nl_recvmsgs_default(c->sk);
    if (r < 0) {
        r = nle_to_errno(r);
        if (r == -EPERM)
            sg_why(why, why_size, "taskstats: permission denied (needs CAP_NET_ADMIN)");
        else if (r == -ESRCH)
            sg_why(why, why_size, "taskstats: no such task %d", (int)id);
        else
            sg_why(why, why_size, "taskstats: %s", strerror(-r));
        return r;
    }
    return rep.r;
}

int sg_delayacct_enabled(const struct sg_fs *fs)
{
    uint64_t v;
    int r = sg_sysctl_read_u64(fs, "kernel/task_delayacct", 1, &v);

    return r < 0 ? r : (int)v;
}

/* ---- schedstat --------------------------------------------------------------- */

int sg_parse_schedstat(const char *buf, const char *base, const char *rel, struct sg_schedstat *out,
                       struct sg_error *err)
{
    uint64_t v[3];
    const char *p = buf;

    for (int i = 0; i < 3; i++) {
        const char *s;

        while (*p == ' ')
            p++;
        s = p;
        while (*p >= '0' && *p <= '9')
            p++;
        if (p == s || sg_parse_u64(s, (size_t)(p - s), &v[i]) < 0 || (*p != ' ' && *p != '\n' && *p)) {
            sg_error_set(err, base, rel, 1, "expected three numbers \"RUN_NS WAIT_NS SLICES\"");
            return -EINVAL;
        }
    }
    while (*p == ' ' || *p == '\n')
        p++;
    if (*p) {
        sg_error_set(err, base, rel, 1, "trailing data after three numbers");
        return -EINVAL;
    }
    out->run_ns = v[0];
    out->wait_ns = v[1];
    out->slices = v[2];
    return 0;
}

int sg_schedstat_read(const struct sg_fs *fs, pid_t pid, pid_t tid, struct sg_schedstat *out,
                      struct sg_error *err)
{
    char rel[64], buf[128];
    ssize_t n;

    snprintf(rel, sizeof(rel), "%d/task/%d/schedstat", (int)pid, (int)tid);
    n = sg_read_file(fs->proc_fd, fs->proc_path, rel, buf, sizeof(buf), err);
    if (n < 0)
        return n == -ENOENT ? -ESRCH : (int)n;
    return sg_parse_schedstat(buf, fs->proc_path, rel, out, err);
}

/* ---- wchan ------------------------------------------------------------------- */

bool sg_wchan_is_swapin(const char *sym)
{
    static const char *const swapin[] = {
        "folio_wait_bit_common", "swap_read_folio", "swap_readpage", "__folio_lock",
        "__lock_folio", "__folio_lock_or_retry", "__lock_page", "__lock_page_or_retry",
        "wait_on_page_bit_common", "swap_cluster_readahead", "do_swap_page",
        "swapin_readahead", "folio_wait_bit", "wait_on_page_bit", "swap_vma_readahead",
    };
    size_t len;

    if (!sym)
        return false;
    len = strcspn(sym, ". \n+");
    for (size_t i = 0; i < sizeof(swapin) / sizeof(swapin[0]); i++)
        if (strlen(swapin[i]) == len && memcmp(sym, swapin[i], len) == 0)
            return true;
    return false;
}

int sg_thread_look(const struct sg_fs *fs, pid_t pid, pid_t tid, struct sg_thread_look *out)
{
    char rel[64], buf[1024];
    const char *p;
    ssize_t n;

    out->state = '?';
    snprintf(out->wchan, sizeof(out->wchan), "0");
    snprintf(rel, sizeof(rel), "%d/task/%d/stat", (int)pid, (int)tid);
    n = sg_read_at(fs->proc_fd, rel, buf, sizeof(buf));
    if (n < 0)
        return n == -ENOENT ? -ESRCH : (int)n;
    p = strrchr(buf, ')');
    if (!p || p[1] != ' ' || !p[2])
        return -EINVAL;
    out->state = p[2];
    snprintf(rel, sizeof(rel), "%d/task/%d/wchan", (int)pid, (int)tid);
    n = sg_read_at(fs->proc_fd, rel, buf, sizeof(buf));
    if (n > 0) {
        size_t len = strcspn(buf, "\n");
        if (len >= sizeof(out->wchan))
            len = sizeof(out->wchan) - 1;
        for (size_t i = 0; i < len; i++)
            out->wchan[i] = (buf[i] > 0x20 && buf[i] < 0x7f) ? buf[i] : '?';
        out->wchan[len] = '\0';
    }
    return 0;
}

/* ---- block stats --------------------------------------------------------------- */

static void add_u64(uint64_t *sum, uint64_t v)
{
    *sum = *sum == SG_NONE ? v : *sum + v;
}

int sg_parse_block_stats(const virTypedParameter *params, int n, struct sg_block_stats *out,
                         char *why, size_t why_size)
{
    static const struct { const char *suffix; size_t off; } fields[] = {
        { "rd.reqs", offsetof(struct sg_block_stats, rd_reqs) },
        { "wr.reqs", offsetof(struct sg_block_stats, wr_reqs) },
        { "fl.reqs", offsetof(struct sg_block_stats, fl_reqs) },
        { "rd.times", offsetof(struct sg_block_stats, rd_times_ns) },
        { "wr.times", offsetof(struct sg_block_stats, wr_times_ns) },
        { "fl.times", offsetof(struct sg_block_stats, fl_times_ns) },
    };

    *out = (struct sg_block_stats){ 0, SG_NONE, SG_NONE, SG_NONE, SG_NONE, SG_NONE, SG_NONE };
    for (int i = 0; params && i < n; i++) {
        const char *name = params[i].field, *p;

        if (strncmp(name, "block.", 6) != 0)
            continue;
        p = name + 6;
        if (strcmp(p, "count") == 0) {
            if (params[i].type != VIR_TYPED_PARAM_UINT) {
                sg_why(why, why_size, "block.count: not an unsigned int");
                return -EINVAL;
            }
            out->n_disks = params[i].value.ui;
            continue;
        }
        if (*p < '0' || *p > '9')
            continue;
        while (*p >= '0' && *p <= '9')
            p++;
        if (*p++ != '.')
            continue;
        for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
            if (strcmp(p, fields[f].suffix) != 0)
                continue;
            if (params[i].type != VIR_TYPED_PARAM_ULLONG) {
                sg_why(why, why_size, "%.60s: not an unsigned long long", name);
                return -EINVAL;
            }
            add_u64((uint64_t *)((char *)out + fields[f].off), params[i].value.ul);
        }
    }
    return 0;
}

int sg_block_stats_read(virDomainPtr dom, struct sg_block_stats *out, char *why, size_t why_size)
{
    virDomainPtr doms[2] = { dom, NULL };
    virDomainStatsRecordPtr *recs = NULL;
    int n, r;

    n = virDomainListGetStats(doms, VIR_DOMAIN_STATS_BLOCK, &recs,
                              VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT);
    if (n < 0) {
        const char *m = virGetLastErrorMessage();
        sg_why(why, why_size, "virDomainListGetStats: %s", m ? m : "failed");
        return -EIO;
    }
    if (n == 0) {
        virDomainStatsRecordListFree(recs);
        sg_why(why, why_size, "virDomainListGetStats: no record for the domain");
        return -ENODATA;
    }
    r = sg_parse_block_stats(recs[0]->params, recs[0]->nparams, out, why, why_size);
    virDomainStatsRecordListFree(recs);
    return r;
}

/* ---- one reading ---------------------------------------------------------------- */

static void ts_add(struct sg_taskstats *sum, const struct sg_taskstats *t)
{
    uint64_t *s = &sum->cpu_delay_ns;
    const uint64_t *v = &t->cpu_delay_ns;

    for (size_t i = 0; i < sizeof(*t) / sizeof(uint64_t); i++)
        s[i] = (s[i] == SG_NONE || v[i] == SG_NONE) ? SG_NONE : s[i] + v[i];
}

int sg_thread_look_class(const struct sg_fs *fs, pid_t pid, pid_t tid)
{
    struct sg_thread_look l;
    int r = sg_thread_look(fs, pid, tid, &l);

    if (r < 0)
        return r;
    if (l.state != 'D')
        return SG_LOOK_OTHER;
    return sg_wchan_is_swapin(l.wchan) ? SG_LOOK_SWAPIN : SG_LOOK_DSTATE;
}

int sg_lost_sample_read(const struct sg_fs *fs, struct sg_taskstats_conn *c, pid_t pid,
                        const pid_t *tids, size_t n, unsigned n_looks, unsigned look_gap_ms,
                        struct sg_lost_sample *out)
{
    int on, r;

    memset(out, 0, sizeof(*out));
    clock_gettime(CLOCK_MONOTONIC, &out->t);
    out->n_vcpus = (unsigned)n;
    out->n_threads = (unsigned)(n < SG_LOST_THREADS_MAX ? n : SG_LOST_THREADS_MAX);
    for (size_t i = 0; i < out->n_threads; i++)
        out->thread[i].tid = tids[i];

    /* Nothing to look at without vCPU threads: no sysctl read, no pause between looks. */
    on = n ? sg_delayacct_enabled(fs) : -ENOENT;
    if (n == 0)
        snprintf(out->taskstats_missing, sizeof(out->taskstats_missing), "no vCPU thread");
    else if (on == 0)
        snprintf(out->taskstats_missing, sizeof(out->taskstats_missing),
                 "delay accounting off (sysctl kernel.task_delayacct = 0)");
    else if (!c)
        snprintf(out->taskstats_missing, sizeof(out->taskstats_missing), "no taskstats connection");
    else {
        /* on < 0: no sysctl (a kernel older than 5.14 accounts unless booted nodelayacct). */
        struct sg_taskstats t;
        char why[160] = "";

        out->has_taskstats = true;
        for (size_t i = 0; i < n && out->has_taskstats; i++) {
            r = sg_taskstats_get(c, tids[i], false, &t, why, sizeof(why));
            if (r == -ESRCH && kill(pid, 0) < 0 && errno == ESRCH)
                return -ESRCH;
            if (r < 0) {
                out->has_taskstats = false;
                snprintf(out->taskstats_missing, sizeof(out->taskstats_missing), "%s", why);
            } else {
                ts_add(&out->vcpus, &t);
                if (i < out->n_threads) {
                    out->thread[i].ts = t;
                    out->thread[i].has_taskstats = true;
                }
            }
        }
        if (out->has_taskstats && sg_taskstats_get(c, pid, true, &out->qemu, why, sizeof(why)) < 0)
            memset(&out->qemu, 0xff, sizeof(out->qemu)); /* every field SG_NONE */
    }

    out->has_schedstat = n > 0;
    for (size_t i = 0; i < n; i++) {
        struct sg_schedstat s;

        r = sg_schedstat_read(fs, pid, tids[i], &s, NULL);
        if (r == -ESRCH)
            return -ESRCH;
        if (r < 0) {
            out->has_schedstat = false;
            break;
        }
        out->run_delay_ns += s.wait_ns;
        if (i < out->n_threads) {
            out->thread[i].run_delay_ns = s.wait_ns;
            out->thread[i].has_schedstat = true;
        }
    }

    for (unsigned k = 0; n && k < n_looks; k++) {
        if (k > 0 && look_gap_ms > 0) {
            struct timespec gap = { .tv_sec = look_gap_ms / 1000, .tv_nsec = (long)(look_gap_ms % 1000) * 1000000L };
            while (nanosleep(&gap, &gap) < 0 && errno == EINTR)
                ;
        }
        for (size_t i = 0; i < n; i++) {
            struct sg_lost_thread *th = i < out->n_threads ? &out->thread[i] : NULL;
            int cls = sg_thread_look_class(fs, pid, tids[i]);

            if (cls < 0)
                continue;
            out->looks++;
            out->looks_dstate += cls != SG_LOOK_OTHER;
            out->looks_swapin += cls == SG_LOOK_SWAPIN;
            if (th) {
                th->looks++;
                th->looks_dstate += cls != SG_LOOK_OTHER;
                th->looks_swapin += cls == SG_LOOK_SWAPIN;
            }
        }
    }
    return 0;
}

/* ---- the serial console log ------------------------------------------------------ */

ssize_t sg_console_read(const char *path, uint64_t *offset, size_t max, char **buf, uint64_t *skipped)
{
    _cleanup_close_ int fd = -1;
    struct stat st;
    uint64_t from, size;
    size_t want, got = 0;
    char *b;

    *buf = NULL;
    *skipped = 0;
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0)
        return -errno;
    if (!S_ISREG(st.st_mode))
        return -EINVAL;
    size = (uint64_t)st.st_size;
    from = *offset <= size ? *offset : 0;
    if (size - from > max) {
        *skipped = size - from - max;
        from = size - max;
    }
    want = (size_t)(size - from);
    b = malloc(want + 1);
    if (!b)
        return -ENOMEM;
    while (got < want) {
        ssize_t n = pread(fd, b + got, want - got, (off_t)(from + got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = -errno;
            free(b);
            return e;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    b[got] = '\0';
    *offset = from + got;
    *buf = b;
    return (ssize_t)got;
}

/* ---- who competes for a vCPU's host CPUs ----------------------------------------- */

int sg_parse_cpu_list(const char *s, struct sg_cpuset *out)
{
    const char *p = s;

    memset(out, 0, sizeof(*out));
    while (*p && *p != '\n') {
        unsigned long lo, hi;
        char *end;

        if (*p < '0' || *p > '9')
            return -EINVAL;
        lo = strtoul(p, &end, 10);
        hi = lo;
        p = end;
        if (*p == '-') {
            p++;
            if (*p < '0' || *p > '9')
                return -EINVAL;
            hi = strtoul(p, &end, 10);
            p = end;
        }
        if (hi < lo)
            return -EINVAL;
        if (hi >= SG_CPUSET_WORDS * 64)
            return -ERANGE;
        for (unsigned long c = lo; c <= hi; c++)
            out->w[c / 64] |= 1ull << (c % 64);
        if (*p == ',')
            p++;
        else if (*p && *p != '\n')
            return -EINVAL;
    }
    return 0;
}

int sg_thread_cpus_allowed(const struct sg_fs *fs, pid_t pid, pid_t tid, struct sg_cpuset *out)
{
    char rel[64], buf[8192];
    const char *line;
    ssize_t n;

    snprintf(rel, sizeof(rel), "%d/task/%d/status", (int)pid, (int)tid);
    n = sg_read_at(fs->proc_fd, rel, buf, sizeof(buf));
    if (n < 0)
        return n == -ENOENT ? -ESRCH : (int)n;
    line = strstr(buf, "\nCpus_allowed_list:");
    if (!line)
        return -ENOENT;
    line += strlen("\nCpus_allowed_list:");
    while (*line == ' ' || *line == '\t')
        line++;
    return sg_parse_cpu_list(line, out);
}

int sg_parse_thread_cpu(const char *buf, struct sg_thread_cpu *out)
{
    const char *open = strchr(buf, '('), *close = strrchr(buf, ')'), *p;
    uint64_t utime = 0, stime = 0, cpu = 0;
    size_t len;

    if (!open || !close || close < open || close[1] != ' ')
        return -EINVAL;
    len = (size_t)(close - open - 1);
    if (len >= sizeof(out->comm))
        len = sizeof(out->comm) - 1;
    memcpy(out->comm, open + 1, len);
    out->comm[len] = '\0';
    p = close + 2;
    /* p is at field 3 (state); field N is token N - 3 */
    for (int field = 3; field <= 39; field++) {
        const char *s = p;

        while (*p && *p != ' ' && *p != '\n')
            p++;
        if (p == s)
            return -EINVAL;
        if (field == 14 && sg_parse_u64(s, (size_t)(p - s), &utime) < 0)
            return -EINVAL;
        if (field == 15 && sg_parse_u64(s, (size_t)(p - s), &stime) < 0)
            return -EINVAL;
        if (field == 39 && (sg_parse_u64(s, (size_t)(p - s), &cpu) < 0 || cpu > INT32_MAX))
            return -EINVAL;
        if (field < 39) {
            if (*p != ' ')
                return -EINVAL;
            p++;
        }
    }
    out->cpu_ticks = utime + stime;
    out->cpu = (int)cpu;
    return 0;
}

static int cmp_tid(const void *x, const void *y)
{
    const struct sg_thread_cpu *a = x, *b = y;

    return (a->tid > b->tid) - (a->tid < b->tid);
}

/* Appends the threads of pid to *v. -ENOMEM only (a process gone is skipped). */
static int scan_process(const struct sg_fs *fs, pid_t pid, struct sg_thread_cpu **v, size_t *n, size_t *cap)
{
    _cleanup_closedir_ DIR *d = NULL;
    struct dirent *de;
    char rel[64];

    snprintf(rel, sizeof(rel), "%d/task", (int)pid);
    d = sg_opendir_at(fs->proc_fd, rel);
    if (!d)
        return 0;
    while ((de = readdir(d))) {
        char path[96], buf[1024];
        pid_t tid = sg_dirent_pid(de);
        ssize_t len;

        if (!tid)
            continue;
        snprintf(path, sizeof(path), "%d/task/%d/stat", (int)pid, (int)tid);
        len = sg_read_at(fs->proc_fd, path, buf, sizeof(buf));
        if (len <= 0)
            continue;
        if (*n == *cap) {
            size_t nc = *cap ? *cap * 2 : 1024;
            struct sg_thread_cpu *nv = realloc(*v, nc * sizeof(**v));

            if (!nv)
                return -ENOMEM;
            *v = nv;
            *cap = nc;
        }
        memset(&(*v)[*n], 0, sizeof(**v));
        if (sg_parse_thread_cpu(buf, &(*v)[*n]) < 0)
            continue;
        (*v)[*n].pid = pid;
        (*v)[*n].tid = (pid_t)tid;
        (*n)++;
    }
    return 0;
}

ssize_t sg_thread_cpu_scan(const struct sg_fs *fs, struct sg_thread_cpu **out)
{
    _cleanup_closedir_ DIR *d = NULL;
    struct sg_thread_cpu *v = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;

    *out = NULL;
    d = sg_opendir_at(fs->proc_fd, ".");
    if (!d)
        return -errno;
    while ((de = readdir(d))) {
        pid_t pid = sg_dirent_pid(de);

        if (!pid)
            continue;
        if (scan_process(fs, pid, &v, &n, &cap) < 0) {
            free(v);
            return -ENOMEM;
        }
    }
    if (n > 1)
        qsort(v, n, sizeof(*v), cmp_tid);
    *out = v;
    return (ssize_t)n;
}

static const struct sg_thread_cpu *find_tid(const struct sg_thread_cpu *v, size_t n, pid_t tid)
{
    struct sg_thread_cpu key = { .tid = tid };

    return n ? bsearch(&key, v, n, sizeof(*v), cmp_tid) : NULL;
}

size_t sg_cpu_neighbours(const struct sg_thread_cpu *a, size_t na, const struct sg_thread_cpu *b,
                         size_t nb, double dt_s, const struct sg_cpuset *allowed,
                         const pid_t *exclude, size_t n_ex, struct sg_cpu_neighbour *out, size_t max)
{
    long hz = sysconf(_SC_CLK_TCK);
    size_t n = 0;

    if (!(dt_s > 0) || max == 0)
        return 0;
    if (hz <= 0)
        hz = 100;
    for (size_t i = 0; i < nb; i++) {
        const struct sg_thread_cpu *t = &b[i], *before;
        struct sg_cpu_neighbour c;
        uint64_t ticks;
        bool skip = false;

        if (!sg_cpuset_has(allowed, t->cpu))
            continue;
        for (size_t k = 0; k < n_ex && !skip; k++)
            skip = exclude[k] == t->tid;
        if (skip)
            continue;
        before = find_tid(a, na, t->tid);
        if (before && before->pid == t->pid && before->cpu_ticks > t->cpu_ticks)
            continue; /* a reused TID */
        ticks = t->cpu_ticks - (before && before->pid == t->pid ? before->cpu_ticks : 0);
        if (ticks == 0)
            continue;
        c = (struct sg_cpu_neighbour){ .pid = t->pid, .tid = t->tid, .cpu = t->cpu,
                                       .cpu_ms_per_s = (double)ticks * 1000.0 / (double)hz / dt_s };
        memcpy(c.comm, t->comm, sizeof(c.comm));
        /* insertion into the top max, the most first */
        if (n == max && c.cpu_ms_per_s <= out[n - 1].cpu_ms_per_s)
            continue;
        {
            size_t k = n < max ? n++ : max - 1;

            while (k > 0 && out[k - 1].cpu_ms_per_s < c.cpu_ms_per_s) {
                out[k] = out[k - 1];
                k--;
            }
            out[k] = c;
        }
    }
    return n;
}
