/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "asyncpf.h"

#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

/*
 * Bounds: events per counter set, and threads (x86 KVM allows at most 4096
 * vCPUs, KVM_MAX_VCPUS with CONFIG_MAXSMP). n_names * n_threads fds stay open.
 */
#define SG_TP_NAMES_MAX 16
#define SG_TP_THREADS_MAX 4096
/* Longest system or event name accepted (tracefs names are C identifiers). */
#define SG_TP_NAME_MAX 64

struct sg_tp_counters {
    size_t n_names;
    size_t n_threads;
    char system[SG_TP_NAME_MAX];
    char names[SG_TP_NAMES_MAX][SG_TP_NAME_MAX]; /* the name actually opened (main or alt) */
    pid_t *tids;                                 /* [n_threads] */
    int *fds;                                    /* [n_threads * n_names], thread-major */
};

/* A tracefs path component: non-empty, bounded, no '/', not "." or "..". */
static bool valid_component(const char *s)
{
    size_t len;

    if (!s)
        return false;
    len = strnlen(s, SG_TP_NAME_MAX);
    return len > 0 && len < SG_TP_NAME_MAX && !strchr(s, '/') && strcmp(s, ".") != 0 &&
           strcmp(s, "..") != 0;
}

int sg_tracefs_find(const struct sg_fs *fs, char *dir, size_t dir_size)
{
    /* tracefs' own mount point (Linux >= 4.1), then the debugfs automount. */
    static const char *const candidates[] = { "kernel/tracing", "kernel/debug/tracing" };

    const char *denied = NULL;

    for (size_t i = 0; i < SG_ELEMENTSOF(candidates); i++) {
        char rel[64];
        struct stat st;

        snprintf(rel, sizeof(rel), "%s/events", candidates[i]);
        if (fstatat(fs->sys_fd, rel, &st, 0) < 0) {
            /* tracefs is mode 0700: a non-root caller cannot even look inside. */
            if ((errno == EACCES || errno == EPERM) && !denied)
                denied = candidates[i];
            continue;
        }
        if (!S_ISDIR(st.st_mode))
            continue;
        if ((size_t)snprintf(dir, dir_size, "%s", candidates[i]) >= dir_size)
            return -ENAMETOOLONG;
        return 0;
    }
    if (denied) {
        snprintf(dir, dir_size, "%s", denied);
        return -EACCES;
    }
    return -ENOENT;
}

int sg_tracepoint_id(const struct sg_fs *fs, const char *tracefs_dir, const char *system,
                     const char *name, uint64_t *id, struct sg_error *err)
{
    char rel[PATH_MAX], buf[32];
    size_t len;
    ssize_t n;

    if (!valid_component(system) || !valid_component(name)) {
        sg_error_set(err, fs->sys_path, tracefs_dir, 0, "invalid tracepoint name '%.64s:%.64s'",
                     system ? system : "", name ? name : "");
        return -EINVAL;
    }
    if ((size_t)snprintf(rel, sizeof(rel), "%s/events/%s/%s/id", tracefs_dir, system, name) >=
        sizeof(rel))
        return -ENAMETOOLONG;
    n = sg_read_file(fs->sys_fd, fs->sys_path, rel, buf, sizeof(buf), err);
    if (n == -EFBIG)
        return -EINVAL; /* err says "file larger than expected": not an id */
    if (n < 0)
        return (int)n;
    len = (size_t)n;
    if (len > 0 && buf[len - 1] == '\n')
        len--;
    if (sg_parse_u64(buf, len, id) < 0) {
        sg_error_set(err, fs->sys_path, rel, 1, "expected a decimal tracepoint id, got '%.*s'",
                     (int)(len > 24 ? 24 : len), buf);
        return -EINVAL;
    }
    return 0;
}

static int perf_open_count(uint64_t config, pid_t tid)
{
    struct perf_event_attr attr;
    long fd;

    memset(&attr, 0, sizeof(attr));
    attr.type = PERF_TYPE_TRACEPOINT;
    attr.size = sizeof(attr);
    attr.config = config;
    /* Counting mode: no sampling, read() returns one u64; enabled from now on. */
    attr.read_format = 0;
    attr.disabled = 0;
    fd = syscall(SYS_perf_event_open, &attr, tid, -1, -1, PERF_FLAG_FD_CLOEXEC);
    return fd < 0 ? -errno : (int)fd;
}

/* Resolves names[i] (or alt_names[i]) to a tracepoint id; fills why on failure. */
static int resolve_id(const struct sg_fs *fs, const char *tracefs_dir, const char *system,
                      const char *name, const char *alt, uint64_t *id, const char **used,
                      char *why, size_t why_size)
{
    struct sg_error err = {0};
    char ebuf[PATH_MAX + 300];
    int r;

    r = sg_tracepoint_id(fs, tracefs_dir, system, name, id, &err);
    *used = name;
    if (r == -ENOENT && alt) {
        memset(&err, 0, sizeof(err));
        r = sg_tracepoint_id(fs, tracefs_dir, system, alt, id, &err);
        *used = alt;
    }
    if (r == -ENOENT)
        sg_why(why, why_size, "%s:%s: no such tracepoint%s", system, name,
                strcmp(system, "kvm") == 0 ? " (kvm module not loaded?)" : "");
    else if (r == -EACCES || r == -EPERM)
        sg_why(why, why_size, "%s: %s (tracefs is readable by root only)", err.file,
                strerror(-r));
    else if (r < 0)
        sg_why(why, why_size, "%s", err.file[0] || err.msg[0]
                                         ? sg_error_format(&err, ebuf, sizeof(ebuf))
                                         : strerror(-r));
    return r;
}

static void perf_open_why(char *why, size_t why_size, int r, const char *system,
                          const char *name, pid_t tid, size_t n_fds)
{
    if (r == -EACCES || r == -EPERM)
        sg_why(why, why_size, "perf_event_open: %s (needs CAP_PERFMON or root)", strerror(-r));
    else if (r == -EMFILE || r == -ENFILE)
        sg_why(why, why_size, "perf_event_open: %s (%zu counters open)", strerror(-r), n_fds);
    else
        sg_why(why, why_size, "perf_event_open(%s:%s, tid %d): %s", system, name, (int)tid,
                strerror(-r));
}

int sg_tp_open(const struct sg_fs *fs, const char *system, const char *const *names,
               const char *const *alt_names, size_t n_names, const pid_t *tids, size_t n_tids,
               struct sg_tp_counters **out, char *why, size_t why_size)
{
    struct sg_tp_counters *c = NULL;
    uint64_t ids[SG_TP_NAMES_MAX];
    char tdir[64];
    int r;

    sg_why(why, why_size, "%s", "");
    if (!valid_component(system) || n_names == 0 || n_names > SG_TP_NAMES_MAX) {
        sg_why(why, why_size, "invalid tracepoint set (%zu names, at most %d)", n_names,
                SG_TP_NAMES_MAX);
        return -EINVAL;
    }
    if (n_tids == 0) {
        sg_why(why, why_size, "no threads to count");
        return -ENOENT;
    }
    if (n_tids > SG_TP_THREADS_MAX) {
        sg_why(why, why_size, "%zu threads, at most %d are counted", n_tids,
                SG_TP_THREADS_MAX);
        return -E2BIG;
    }
    for (size_t t = 0; t < n_tids; t++)
        if (tids[t] <= 0) {
            sg_why(why, why_size, "invalid thread id %d", (int)tids[t]);
            return -EINVAL;
        }

    r = sg_tracefs_find(fs, tdir, sizeof(tdir));
    if (r == -EACCES) {
        sg_why(why, why_size, "%s/%s: %s (tracefs is readable by root only)", fs->sys_path,
                tdir, strerror(-r));
        return r;
    }
    if (r < 0) {
        sg_why(why, why_size, "no tracefs at %s/kernel/tracing or %s/kernel/debug/tracing",
                fs->sys_path, fs->sys_path);
        return r;
    }

    c = calloc(1, sizeof(*c));
    if (!c)
        goto oom;
    c->n_names = n_names;
    snprintf(c->system, sizeof(c->system), "%s", system);
    for (size_t i = 0; i < n_names; i++) {
        const char *used;

        r = resolve_id(fs, tdir, system, names[i], alt_names ? alt_names[i] : NULL, &ids[i],
                       &used, why, why_size);
        if (r < 0) {
            sg_tp_close(c);
            return r;
        }
        snprintf(c->names[i], sizeof(c->names[i]), "%s", used);
    }

    c->tids = calloc(n_tids, sizeof(*c->tids));
    c->fds = calloc(n_tids * n_names, sizeof(*c->fds));
    if (!c->tids || !c->fds)
        goto oom;

    for (size_t t = 0; t < n_tids; t++) {
        int *row = c->fds + c->n_threads * n_names;
        bool gone = false;

        for (size_t i = 0; i < n_names; i++) {
            r = perf_open_count(ids[i], tids[t]);
            if (r == -ESRCH) {
                gone = true; /* the thread exited: leave it out */
                for (size_t j = 0; j < i; j++)
                    close(row[j]);
                break;
            }
            if (r < 0) {
                perf_open_why(why, why_size, r, system, c->names[i], tids[t],
                              c->n_threads * n_names + i);
                for (size_t j = 0; j < i; j++)
                    close(row[j]);
                sg_tp_close(c);
                return r;
            }
            row[i] = r;
        }
        if (!gone)
            c->tids[c->n_threads++] = tids[t];
    }
    if (c->n_threads == 0) {
        sg_why(why, why_size, "all %zu threads exited", n_tids);
        sg_tp_close(c);
        return -ESRCH;
    }
    *out = c;
    return 0;

oom:
    sg_tp_close(c);
    sg_why(why, why_size, "out of memory");
    return -ENOMEM;
}

int sg_tp_read(struct sg_tp_counters *c, uint64_t *counts, char *why, size_t why_size)
{
    for (size_t i = 0; i < c->n_names; i++) {
        uint64_t sum = 0;

        for (size_t t = 0; t < c->n_threads; t++) {
            uint64_t v;
            ssize_t n;

            do
                n = read(c->fds[t * c->n_names + i], &v, sizeof(v));
            while (n < 0 && errno == EINTR);
            if (n != (ssize_t)sizeof(v)) {
                int r = n < 0 ? -errno : -EIO;
                sg_why(why, why_size, "read(perf counter %s:%s, tid %d): %s", c->system,
                        c->names[i], (int)c->tids[t], strerror(-r));
                return r;
            }
            sum += v;
        }
        counts[i] = sum;
    }
    return 0;
}

size_t sg_tp_n_threads(const struct sg_tp_counters *c)
{
    return c ? c->n_threads : 0;
}

void sg_tp_close(struct sg_tp_counters *c)
{
    if (!c)
        return;
    if (c->fds)
        for (size_t k = 0; k < c->n_threads * c->n_names; k++)
            close(c->fds[k]);
    free(c->fds);
    free(c->tids);
    free(c);
}

static const char *const apf_names[SG_APF__MAX] = {
    [SG_APF_NOT_PRESENT] = "kvm_async_pf_not_present",
    [SG_APF_READY] = "kvm_async_pf_ready",
    [SG_APF_TRY_GET_PAGE] = "kvm_try_async_get_page",
    [SG_APF_REPEATED_FAULT] = "kvm_async_pf_repeated_fault",
};

/* The repeated-fault event's name on older kernels. */
static const char *const apf_alt_names[SG_APF__MAX] = {
    [SG_APF_REPEATED_FAULT] = "kvm_async_pf_doublefault",
};

int sg_apf_open(const struct sg_fs *fs, const struct sg_vcpu_thread *vcpus, size_t n_vcpus,
                struct sg_tp_counters **out, char *why, size_t why_size)
{
    _cleanup_free_ pid_t *tids = NULL;

    if (n_vcpus == 0) {
        sg_why(why, why_size, "no vCPU threads");
        return -ENOENT;
    }
    if (n_vcpus > SG_TP_THREADS_MAX) {
        sg_why(why, why_size, "%zu vCPU threads, at most %d are counted", n_vcpus,
                SG_TP_THREADS_MAX);
        return -E2BIG;
    }
    for (size_t i = 0; i < n_vcpus; i++) {
        const char *accel = vcpus[i].accel;
        size_t len = strnlen(accel, sizeof(vcpus[i].accel));

        if (len != 3 || memcmp(accel, "KVM", 3) != 0) {
            sg_why(why, why_size, "vCPUs run under %.*s: no KVM, no async PF", (int)len,
                    len ? accel : "?");
            return -EOPNOTSUPP;
        }
    }
    tids = calloc(n_vcpus, sizeof(*tids));
    if (!tids) {
        sg_why(why, why_size, "out of memory");
        return -ENOMEM;
    }
    for (size_t i = 0; i < n_vcpus; i++)
        tids[i] = vcpus[i].tid;
    return sg_tp_open(fs, "kvm", apf_names, apf_alt_names, SG_APF__MAX, tids, n_vcpus, out, why,
                      why_size);
}
