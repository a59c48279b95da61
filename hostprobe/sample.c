/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sample.h"

#include <string.h>

int sg_dom_sample_read(const struct sg_fs *fs, pid_t pid, const struct sg_cgroup *cg,
                       bool with_vcpus, struct sg_dom_sample *out, struct sg_error *err)
{
    int r;

    memset(out, 0, sizeof(*out));
    clock_gettime(CLOCK_MONOTONIC, &out->t);
    r = sg_proc_read(fs, pid, &out->status, &out->stat, err);
    if (r < 0)
        return r;
    r = sg_cgroup_read(fs, cg, &out->cg, err);
    if (r == -ENOENT)
        return -ESRCH; /* the domain's cgroup went away with it */
    if (r < 0)
        return r;
    if (with_vcpus) {
        r = sg_vcpu_threads_read(fs, pid, &out->vcpus, err);
        if (r < 0)
            return r;
        out->n_vcpus = r;
    }
    return 0;
}

void sg_dom_sample_clear(struct sg_dom_sample *s)
{
    free(s->vcpus);
    s->vcpus = NULL;
    s->n_vcpus = 0;
}

/* ---- the kept-descriptor reader ------------------------------------------------ */

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

static size_t fd_budget; /* descriptors readers may still keep */
static bool fd_budget_set;

size_t sg_fd_budget_init(size_t reserve)
{
    struct rlimit rl;

    if (fd_budget_set)
        return fd_budget;
    fd_budget_set = true;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return 0;
    if (rl.rlim_cur < rl.rlim_max) {
        struct rlimit up = { rl.rlim_max, rl.rlim_max };
        if (setrlimit(RLIMIT_NOFILE, &up) == 0)
            rl.rlim_cur = rl.rlim_max;
    }
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (rlim_t)1 << 30)
        rl.rlim_cur = (rlim_t)1 << 30;
    fd_budget = rl.rlim_cur > reserve ? (size_t)(rl.rlim_cur - reserve) : 0;
    return fd_budget;
}

size_t sg_fd_budget_left(void)
{
    return fd_budget;
}

static size_t fd_plan_left; /* domains planned for (sg_fd_budget_plan) without a reader yet */

bool sg_fd_budget_plan(size_t n)
{
    fd_plan_left = n;
    return fd_budget < n * SG_RD_KEEP_MAX;
}

/* Is slot i one of the core files that a reader keeps open in a tight budget? */
static bool slot_core(unsigned i)
{
    return i == SG_RD_STATUS_FD || i == SG_RD_STAT_FD || i == SG_RD_CG_FD + SG_CGF_MEMSTAT ||
           i == SG_RD_CG_FD + SG_CGF_PSI;
}

/* The path of descriptor slot i of rd (relative to its dirfd, which *dirfd gets), or NULL. */
static const char *slot_rel(const struct sg_fs *fs, const struct sg_cgroup *cg, pid_t pid,
                            unsigned i, char *buf, size_t size, int *dirfd, const char **base)
{
    if (i == SG_RD_STATUS_FD || i == SG_RD_STAT_FD) {
        snprintf(buf, size, "%d/%s", (int)pid, i == SG_RD_STATUS_FD ? "status" : "stat");
        *dirfd = fs->proc_fd;
        *base = fs->proc_path;
        return buf;
    }
    *dirfd = fs->sys_fd;
    *base = fs->sys_path;
    return sg_cgroup_file_rel(cg, (enum sg_cgroup_file)(i - SG_RD_CG_FD), buf, size);
}

/* Is slot i read per sample? */
static bool slot_wanted(const struct sg_dom_reader *rd, unsigned i)
{
    if (i == SG_RD_STATUS_FD)
        return true;
    if (i == SG_RD_STAT_FD)
        return rd->flags & SG_RD_STAT;
    return rd->files & (1u << (i - SG_RD_CG_FD));
}

/*
 * Reads slot i into buf (NUL-terminated): one pread from offset 0 on the kept
 * descriptor, or open/read/close by path. A read that fills the buffer reads
 * on once to tell -EFBIG. Returns the length or -errno (ENOENT: absent).
 */
static ssize_t slot_read(int fd, int dirfd, const char *rel, char *buf, size_t size)
{
    bool own = fd < 0;
    ssize_t n;

    if (own) {
        if (!rel)
            return -EBADF; /* neither a kept descriptor nor a path */
        fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
            return -errno;
    }
    n = pread(fd, buf, size - 1, 0);
    if (n == (ssize_t)size - 1) {
        char extra;
        ssize_t more = pread(fd, &extra, 1, n);
        if (more != 0)
            n = more < 0 ? -errno : -EFBIG;
    } else if (n < 0) {
        n = -errno;
    }
    if (own)
        close(fd);
    if (n >= 0)
        buf[n] = '\0';
    return n;
}

void sg_dom_reader_close(struct sg_dom_reader *rd)
{
    if (rd->opened)
        for (unsigned i = 0; i < SG_RD__MAX; i++)
            if (rd->fd[i] >= 0) {
                close(rd->fd[i]);
                fd_budget++;
            }
    memset(rd, 0, sizeof(*rd));
}

int sg_dom_reader_limits(const struct sg_fs *fs, const struct sg_cgroup *cg,
                         struct sg_dom_reader *rd, struct sg_error *err)
{
    struct sg_cgroup_stats st;
    int r;

    sg_cgroup_stats_init(&st);
    r = sg_cgroup_read_files(fs, cg, SG_CGF_LIMITS, &st, err);
    rd->limits.limit_bytes = st.limit_bytes;
    rd->limits.swap_max_bytes = st.swap_max_bytes;
    rd->limits.memsw_limit_bytes = st.memsw_limit_bytes;
    return r == -ENOENT ? -ESRCH : r;
}

int sg_dom_reader_open(const struct sg_fs *fs, pid_t pid, const struct sg_cgroup *cg,
                       unsigned flags, struct sg_dom_reader *rd, struct sg_error *err)
{
    unsigned want = 0, want_core = 0;
    bool fd_core_only;
    int r;

    sg_dom_reader_close(rd);
    rd->opened = true;
    rd->pid = pid;
    rd->flags = flags;
    rd->files = SG_CGF_PERIODIC & ~(flags & SG_RD_STAT ? 0u : 1u << SG_CGF_USAGE) &
                ~(flags & SG_RD_LOST_PSI ? 0u : SG_CGF_LOST_PSI);
    if (flags & SG_RD_SWAP_ONLY)
        rd->files &= (1u << SG_CGF_MEMSTAT) | (1u << SG_CGF_SWAP_CURRENT) | (1u << SG_CGF_PSI);
    for (unsigned i = 0; i < SG_RD__MAX; i++) {
        char rel[PATH_MAX + 64];
        const char *base;
        int dirfd;

        rd->fd[i] = -1;
        if (!slot_wanted(rd, i) || !slot_rel(fs, cg, pid, i, rel, sizeof(rel), &dirfd, &base)) {
            rd->fd[i] = -2;
            continue;
        }
        want++;
        want_core += slot_core(i);
    }
    /* All its files while the domains planned after it can still keep their core ones. */
    fd_core_only = fd_plan_left > 1 && fd_budget < want + (fd_plan_left - 1) * SG_RD_KEEP_CORE;
    if (fd_plan_left)
        fd_plan_left--;
    if (fd_core_only)
        want = want_core;
    rd->kept = fd_budget >= want;
    for (unsigned i = 0; rd->kept && i < SG_RD__MAX; i++) {
        char rel[PATH_MAX + 64];
        const char *base;
        int dirfd, fd;

        if (rd->fd[i] == -2 || (fd_core_only && !slot_core(i)))
            continue; /* absent, or read by path in a tight budget */
        slot_rel(fs, cg, pid, i, rel, sizeof(rel), &dirfd, &base);
        fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd >= 0) {
            rd->fd[i] = fd;
            fd_budget--;
            continue;
        }
        r = -errno;
        if (r == -ENOENT && i >= SG_RD_CG_FD && i != SG_RD_CG_FD + SG_CGF_MEMSTAT &&
            i != SG_RD_CG_FD + SG_CGF_PSI) {
            rd->fd[i] = -2; /* a file this kernel does not provide: SG_NONE */
            continue;
        }
        if (r == -EMFILE || r == -ENFILE) {
            /* out of descriptors after all: this domain reads by path */
            for (unsigned k = 0; k < i; k++)
                if (rd->fd[k] >= 0) {
                    close(rd->fd[k]);
                    rd->fd[k] = -1;
                    fd_budget++;
                }
            fd_budget = 0;
            rd->kept = false;
            break;
        }
        sg_error_set(err, base, rel, 0, "%s", strerror(-r));
        sg_dom_reader_close(rd);
        return i < SG_RD_CG_FD ? sg_proc_gone(r) : r == -ENOENT ? -ESRCH : r;
    }
    if (flags & SG_RD_SWAP_ONLY) {
        rd->limits.limit_bytes = rd->limits.swap_max_bytes = rd->limits.memsw_limit_bytes = SG_NONE;
        return 0;
    }
    r = sg_dom_reader_limits(fs, cg, rd, err);
    if (r < 0) {
        sg_dom_reader_close(rd);
        return r;
    }
    return 0;
}

static int parse_slot(const struct sg_cgroup *cg, unsigned i, const char *buf, size_t n,
                      const char *base, const char *rel, struct sg_dom_sample *out,
                      struct sg_error *err)
{
    if (i == SG_RD_STATUS_FD)
        return sg_parse_proc_status(buf, base, rel, &out->status, err);
    if (i == SG_RD_STAT_FD)
        return sg_parse_proc_stat(buf, base, rel, &out->stat, err);
    return sg_cgroup_parse_file(cg, (enum sg_cgroup_file)(i - SG_RD_CG_FD), buf, n, base, rel,
                                &out->cg, err);
}

int sg_dom_reader_read(const struct sg_fs *fs, const struct sg_cgroup *cg,
                       struct sg_dom_reader *rd, struct sg_dom_sample *out, struct sg_error *err)
{
    char buf[16384];
    int r;

    memset(out, 0, sizeof(*out));
    clock_gettime(CLOCK_MONOTONIC, &out->t);
    sg_cgroup_stats_init(&out->cg);
    out->cg.limit_bytes = rd->limits.limit_bytes;
    out->cg.swap_max_bytes = rd->limits.swap_max_bytes;
    out->cg.memsw_limit_bytes = rd->limits.memsw_limit_bytes;
    for (unsigned i = 0; i < SG_RD__MAX; i++) {
        char rel[PATH_MAX + 64];
        const char *base = NULL, *p;
        size_t size = sizeof(buf);
        ssize_t n;
        int dirfd = -1;

        if (rd->fd[i] == -2 || !slot_wanted(rd, i))
            continue;
        if (i >= SG_RD_CG_FD)
            size = sg_cgroup_file_size((enum sg_cgroup_file)(i - SG_RD_CG_FD));
        p = rd->fd[i] >= 0 ? NULL : slot_rel(fs, cg, rd->pid, i, rel, sizeof(rel), &dirfd, &base);
        n = slot_read(rd->fd[i], p ? dirfd : -1, p, buf, size);
        if (n < 0) {
            if (!p)
                slot_rel(fs, cg, rd->pid, i, rel, sizeof(rel), &dirfd, &base);
            if (n == -ENOENT && i >= SG_RD_CG_FD && i != SG_RD_CG_FD + SG_CGF_MEMSTAT &&
                i != SG_RD_CG_FD + SG_CGF_PSI)
                continue;
            sg_error_set(err, base, rel, 0, "%s",
                         n == -EFBIG ? "file larger than expected" : strerror((int)-n));
            if (i < SG_RD_CG_FD)
                return sg_proc_gone((int)n);
            /* a removed cgroup: ENOENT by path, ENODEV on a kept descriptor */
            return n == -ENOENT || n == -ENODEV ? -ESRCH : (int)n;
        }
        /* The file's name is needed for an error only: parsed without it first. */
        r = parse_slot(cg, i, buf, (size_t)n, NULL, NULL, out, err);
        if (r < 0 && !p)
            slot_rel(fs, cg, rd->pid, i, rel, sizeof(rel), &dirfd, &base);
        if (r < 0)
            return parse_slot(cg, i, buf, (size_t)n, base, rel, out, err);
    }
    return 0;
}
