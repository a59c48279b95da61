/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "oomscan.h"

#include <fcntl.h>
#include <stddef.h>
#include <string.h>

#include "util/kv.h"
#include "procfs.h"

/* PID_MAX_LIMIT on 64-bit kernels: no host has more processes than this. */
#define SG_OOM_SCAN_MAX (4 * 1024 * 1024)
/* /proc/PID/status is about 1.5 kB; a long Groups: line can make it larger. */
#define STATUS_MAX (1024 * 1024)

/* The status line sg_proc_status does not carry. */
struct pte_line {
    uint64_t vm_pte_kib; /* VmPTE: page tables, kB */
};
static const struct sg_kv_field pte_fields[] = {
    { "VmPTE", offsetof(struct pte_line, vm_pte_kib), SG_KV_KB },
};

int sg_oom_score_adj_read(const struct sg_fs *fs, pid_t pid, int *adj)
{
    char rel[64], buf[32];
    const char *p = buf;
    bool neg = false;
    uint64_t v;
    size_t len;
    ssize_t n;

    snprintf(rel, sizeof(rel), "%d/oom_score_adj", (int)pid);
    n = sg_read_at(fs->proc_fd, rel, buf, sizeof(buf));
    if (n == -EFBIG)
        return -EINVAL;
    if (n < 0)
        return sg_proc_gone((int)n);
    len = (size_t)n;
    if (len > 0 && buf[len - 1] == '\n')
        len--;
    if (len > 0 && *p == '-') {
        neg = true;
        p++;
        len--;
    }
    if (sg_parse_u64(p, len, &v) < 0 || v > 1000) /* OOM_SCORE_ADJ_MIN/MAX: -1000..1000 */
        return -EINVAL;
    *adj = neg ? -(int)v : (int)v;
    return 0;
}

/*
 * Reads one process. Returns 0, or < 0 when it is to be skipped: gone
 * (-ESRCH), access denied, no VmRSS (kernel thread), or unreadable figures.
 */
static int read_one(const struct sg_fs *fs, pid_t pid, struct sg_oom_proc *out)
{
    _cleanup_free_ char *status = NULL;
    struct sg_proc_status st;
    struct pte_line pte;
    char rel[64], comm[128];
    ssize_t n;
    int r;

    memset(out, 0, sizeof(*out));
    out->pid = (int)pid;

    snprintf(rel, sizeof(rel), "%d/status", (int)pid);
    n = sg_read_at_alloc(fs->proc_fd, rel, STATUS_MAX, &status);
    if (n < 0)
        return sg_proc_gone((int)n);
    if ((r = sg_parse_proc_status(status, fs->proc_path, rel, &st, NULL)) < 0)
        return r; /* no VmRSS: a kernel thread (or a zombie) */
    if ((r = sg_parse_kv(status, fs->proc_path, rel, pte_fields, SG_ELEMENTSOF(pte_fields),
                         &pte, NULL)) < 0)
        return r;
    out->rss_kib = st.vm_rss_kib;
    out->swap_kib = st.vm_swap_kib == SG_NONE ? 0 : st.vm_swap_kib;
    out->pte_kib = pte.vm_pte_kib == SG_NONE ? 0 : pte.vm_pte_kib;

    snprintf(rel, sizeof(rel), "%d/comm", (int)pid);
    n = sg_read_at(fs->proc_fd, rel, comm, sizeof(comm));
    if (n < 0)
        return sg_proc_gone((int)n);
    if (n > 0 && comm[n - 1] == '\n')
        comm[--n] = '\0';
    if ((size_t)n >= sizeof(out->comm))
        n = (ssize_t)sizeof(out->comm) - 1; /* kernel comm is at most 63 bytes anyway */
    memcpy(out->comm, comm, (size_t)n);
    out->comm[n] = '\0';

    return sg_oom_score_adj_read(fs, pid, &out->oom_score_adj);
}

int sg_oom_scan(const struct sg_fs *fs, struct sg_oom_proc **out)
{
    _cleanup_closedir_ DIR *d = NULL;
    _cleanup_free_ struct sg_oom_proc *v = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;

    d = sg_opendir_at(fs->proc_fd, ".");
    if (!d)
        return -errno;
    while ((de = readdir(d))) {
        struct sg_oom_proc p;
        pid_t pid = sg_dirent_pid(de);

        if (!pid)
            continue;
        if (read_one(fs, pid, &p) < 0)
            continue; /* exited, denied, kernel thread */
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 256;
            struct sg_oom_proc *nv;

            if (cap >= SG_OOM_SCAN_MAX)
                return -E2BIG;
            nv = realloc(v, ncap * sizeof(*v));
            if (!nv)
                return -ENOMEM;
            v = nv;
            cap = ncap;
        }
        v[n++] = p;
    }
    *out = TAKE_PTR(v);
    return (int)n;
}
