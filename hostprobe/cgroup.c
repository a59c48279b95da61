/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cgroup.h"

#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/kv.h"

#define V2_ONLY_ROOT "fs/cgroup"
#define V1_MEMORY_ROOT "fs/cgroup/memory"
#define HYBRID_V2_ROOT "fs/cgroup/unified"

static bool exists_at(int dirfd, const char *rel)
{
    return faccessat(dirfd, rel, F_OK, 0) == 0;
}

static bool has_token(const char *list, size_t len, const char *tok)
{
    size_t tlen = strlen(tok);
    const char *p = list, *end = list + len;

    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *e = comma ? comma : end;
        if ((size_t)(e - p) == tlen && memcmp(p, tok, tlen) == 0)
            return true;
        p = e + 1;
    }
    return false;
}

static bool path_is_sane(const char *p, size_t len)
{
    if (len == 0 || p[0] != '/')
        return false;
    for (size_t i = 0; i + 1 < len; i++)
        if (p[i] == '.' && p[i + 1] == '.' && (i == 0 || p[i - 1] == '/') &&
            (i + 2 == len || p[i + 2] == '/'))
            return false;
    return true;
}

int sg_parse_proc_cgroup(const char *buf, const char *base, const char *rel,
                         struct sg_proc_cgroup *out, struct sg_error *err)
{
    unsigned lineno = 0;

    memset(out, 0, sizeof(*out));
    for (const char *line = buf; line && *line;) {
        const char *eol = strchr(line, '\n');
        const char *end = eol ? eol : line + strlen(line);
        const char *c1 = memchr(line, ':', (size_t)(end - line));
        const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(end - c1 - 1)) : NULL;
        const char *start = line, *path;
        size_t plen;

        lineno++;
        line = eol ? eol + 1 : NULL;
        if (end == start)
            continue;
        if (!c1 || !c2 || c1 == start) {
            sg_error_set(err, base, rel, lineno, "expected 'ID:CONTROLLERS:PATH'");
            return -EINVAL;
        }
        path = c2 + 1;
        plen = (size_t)(end - path);
        if (!path_is_sane(path, plen) || plen >= PATH_MAX) {
            sg_error_set(err, base, rel, lineno, "cgroup path is not an absolute path");
            return -EINVAL;
        }
        if (c1 == start + 1 && start[0] == '0' && c2 == c1 + 1) {
            out->has_v2 = true;
            memcpy(out->v2, path, plen);
            out->v2[plen] = '\0';
        } else if (has_token(c1 + 1, (size_t)(c2 - c1 - 1), "memory")) {
            out->has_v1_memory = true;
            memcpy(out->v1_memory, path, plen);
            out->v1_memory[plen] = '\0';
        }
    }
    return 0;
}

enum sg_cgroup_layout sg_cgroup_detect_layout(const struct sg_fs *fs)
{
    if (exists_at(fs->sys_fd, V2_ONLY_ROOT "/cgroup.controllers"))
        return SG_CGROUP_V2;
    if (exists_at(fs->sys_fd, V1_MEMORY_ROOT "/memory.stat") ||
        exists_at(fs->sys_fd, V1_MEMORY_ROOT "/memory.usage_in_bytes")) {
        if (exists_at(fs->sys_fd, HYBRID_V2_ROOT "/cgroup.controllers"))
            return SG_CGROUP_HYBRID;
        return SG_CGROUP_V1;
    }
    return SG_CGROUP_NONE;
}

const char *sg_cgroup_layout_name(enum sg_cgroup_layout l)
{
    static const char *const names[] = {
        [SG_CGROUP_NONE] = "none",
        [SG_CGROUP_V1] = "v1",
        [SG_CGROUP_V2] = "v2",
        [SG_CGROUP_HYBRID] = "hybrid",
    };
    return (size_t)l < SG_ELEMENTSOF(names) ? names[l] : "none";
}

/*
 * Walks up from cgroup path `path` under hierarchy `root` to the first
 * non-root group holding `file`. On success copies the cgroup path into
 * found (and returns true).
 */
static bool walk_up(int sys_fd, const char *root, const char *path, const char *file,
                    char found[PATH_MAX])
{
    char cur[PATH_MAX];

    snprintf(cur, sizeof(cur), "%s", path);
    for (;;) {
        char rel[PATH_MAX * 2];
        char *slash;
        size_t len = strlen(cur);

        while (len > 1 && cur[len - 1] == '/')
            cur[--len] = '\0';
        if (strcmp(cur, "/") == 0 || len == 0)
            return false;
        snprintf(rel, sizeof(rel), "%s%s/%s", root, cur, file);
        if (exists_at(sys_fd, rel)) {
            snprintf(found, PATH_MAX, "%s", cur);
            return true;
        }
        slash = strrchr(cur, '/');
        if (!slash || slash == cur)
            return false;
        *slash = '\0';
    }
}

/* Is a equal to b, or an ancestor or descendant of it (as cgroup paths)? */
static bool related(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    const char *shorter = la <= lb ? a : b, *longer = la <= lb ? b : a;
    size_t ls = la <= lb ? la : lb;

    return strncmp(shorter, longer, ls) == 0 && (longer[ls] == '\0' || longer[ls] == '/');
}

void sg_cgroup_clear(struct sg_cgroup *cg)
{
    if (!cg)
        return;
    free(cg->memory_path);
    free(cg->memory_dir);
    free(cg->psi_dir);
    memset(cg, 0, sizeof(*cg));
}

/* "ROOTPATH" in a new string, NULL when out of memory. */
static char *join(const char *root, const char *path)
{
    size_t lr = strlen(root), lp = strlen(path);
    char *s = malloc(lr + lp + 1);

    if (s) {
        memcpy(s, root, lr);
        memcpy(s + lr, path, lp + 1);
    }
    return s;
}

int sg_cgroup_locate(const struct sg_fs *fs, pid_t pid, struct sg_cgroup *out,
                     struct sg_error *err)
{
    return sg_cgroup_locate_in(fs, sg_cgroup_detect_layout(fs), pid, out, err);
}

int sg_cgroup_locate_in(const struct sg_fs *fs, enum sg_cgroup_layout layout, pid_t pid,
                        struct sg_cgroup *out, struct sg_error *err)
{
    struct sg_proc_cgroup pc;
    char rel[64], buf[8192], found[PATH_MAX];
    const char *mem_root = NULL, *v2_root = NULL, *mem_path = NULL;
    ssize_t n;
    int r;

    sg_cgroup_clear(out);
    snprintf(rel, sizeof(rel), "%d/cgroup", (int)pid);
    n = sg_read_file(fs->proc_fd, fs->proc_path, rel, buf, sizeof(buf), err);
    if (n < 0)
        return sg_proc_gone((int)n);
    r = sg_parse_proc_cgroup(buf, fs->proc_path, rel, &pc, err);
    if (r < 0)
        return r;

    out->layout = layout;
    switch (out->layout) {
    case SG_CGROUP_V2:
        mem_root = V2_ONLY_ROOT;
        v2_root = V2_ONLY_ROOT;
        mem_path = pc.has_v2 ? pc.v2 : NULL;
        out->memory_version = 2;
        break;
    case SG_CGROUP_HYBRID:
        v2_root = HYBRID_V2_ROOT;
        /* fall through */
    case SG_CGROUP_V1:
        mem_root = V1_MEMORY_ROOT;
        mem_path = pc.has_v1_memory ? pc.v1_memory : NULL;
        out->memory_version = 1;
        break;
    case SG_CGROUP_NONE:
        break;
    }

    if (!mem_path || !walk_up(fs->sys_fd, mem_root, mem_path, "memory.stat", found)) {
        out->memory_version = 0;
    } else {
        out->memory_path = strdup(found);
        out->memory_dir = join(mem_root, found);
        if (!out->memory_path || !out->memory_dir)
            return -ENOMEM;
    }

    out->psi_missing = "";
    if (!v2_root || !pc.has_v2) {
        out->psi_missing = "no cgroup v2 hierarchy";
    } else if (out->layout == SG_CGROUP_V2 && out->memory_version == 2) {
        /* The domain-level memory cgroup: PSI there covers the emulator and vCPU threads. */
        out->has_psi = walk_up(fs->sys_fd, v2_root, out->memory_path, "memory.pressure", found);
    } else if (out->memory_version &&
               walk_up(fs->sys_fd, v2_root, out->memory_path, "memory.pressure", found) &&
               strcmp(found, out->memory_path) == 0) {
        /* Hybrid with libvirt's layout: the domain's group has the same path in v2 as in the
         * v1 memory hierarchy, and its PSI covers the emulator and vCPU threads below it. */
        out->has_psi = true;
    } else if (!walk_up(fs->sys_fd, v2_root, pc.v2, "memory.pressure", found)) {
        out->psi_missing = "the process sits at the cgroup v2 root (host-wide PSI only)";
    } else if (out->memory_version && !related(found, out->memory_path)) {
        out->psi_missing = "its cgroup v2 group is not the domain's own";
    } else {
        out->has_psi = true;
    }
    if (out->has_psi && v2_root) { /* has_psi implies v2_root (said for the analyzer) */
        out->psi_dir = join(v2_root, found);
        if (!out->psi_dir)
            return -ENOMEM;
    } else if (!out->psi_missing[0]) {
        out->psi_missing = "no memory.pressure file";
    }
    return 0;
}

struct swap_events {
    uint64_t high, max, fail;
};
#define SWAPEV(k, m) { k, offsetof(struct swap_events, m), SG_KV_PLAIN }
static const struct sg_kv_field swap_events_fields[] = {
    SWAPEV("high", high),
    SWAPEV("max", max),
    SWAPEV("fail", fail),
};

int sg_parse_swap_events(const char *buf, const char *base, const char *rel, uint64_t *max,
                         uint64_t *fail, struct sg_error *err)
{
    struct swap_events ev;
    int r = sg_parse_kv(buf, base, rel, swap_events_fields, SG_ELEMENTSOF(swap_events_fields),
                        &ev, err);

    if (r < 0)
        return r;
    *max = ev.max;
    *fail = ev.fail;
    return 0;
}

struct memstat {
    uint64_t swap, total_swap, pgmajfault, total_pgmajfault;
};
#define MEMSTAT(k, m) { k, offsetof(struct memstat, m), SG_KV_PLAIN }
static const struct sg_kv_field memstat_fields[] = {
    MEMSTAT("swap", swap),
    MEMSTAT("total_swap", total_swap),
    MEMSTAT("pgmajfault", pgmajfault),
    MEMSTAT("total_pgmajfault", total_pgmajfault),
};

const char *sg_cgroup_file_rel(const struct sg_cgroup *cg, enum sg_cgroup_file f, char *buf,
                               size_t size)
{
    static const char *const v1[SG_CGF__MAX] = {
        [SG_CGF_MEMSTAT] = "memory.stat",
        [SG_CGF_USAGE] = "memory.usage_in_bytes",
        [SG_CGF_SWAP_EVENTS] = "memory.memsw.failcnt",
        [SG_CGF_LIMIT] = "memory.limit_in_bytes",
        [SG_CGF_SWAP_LIMIT] = "memory.memsw.limit_in_bytes",
    };
    static const char *const v2[SG_CGF__MAX] = {
        [SG_CGF_MEMSTAT] = "memory.stat",
        [SG_CGF_SWAP_CURRENT] = "memory.swap.current",
        [SG_CGF_USAGE] = "memory.current",
        [SG_CGF_SWAP_EVENTS] = "memory.swap.events",
        [SG_CGF_LIMIT] = "memory.max",
        [SG_CGF_SWAP_LIMIT] = "memory.swap.max",
    };
    const char *name;

    if (f == SG_CGF_PSI || f == SG_CGF_IO_PSI || f == SG_CGF_CPU_PSI) {
        if (!cg->has_psi || !cg->psi_dir)
            return NULL;
        snprintf(buf, size, "%s/%s", cg->psi_dir,
                 f == SG_CGF_PSI ? "memory.pressure" : f == SG_CGF_IO_PSI ? "io.pressure" : "cpu.pressure");
        return buf;
    }
    if ((unsigned)f >= SG_CGF__MAX || !cg->memory_version || !cg->memory_dir)
        return NULL;
    name = cg->memory_version == 1 ? v1[f] : v2[f];
    if (!name)
        return NULL;
    snprintf(buf, size, "%s/%s", cg->memory_dir, name);
    return buf;
}

size_t sg_cgroup_file_size(enum sg_cgroup_file f)
{
    return f == SG_CGF_MEMSTAT || f == SG_CGF_PSI ? 16384
           : f == SG_CGF_SWAP_EVENTS || f == SG_CGF_IO_PSI || f == SG_CGF_CPU_PSI ? 512 : 64;
}

void sg_cgroup_stats_init(struct sg_cgroup_stats *out)
{
    out->swap_bytes = out->pgmajfault = out->usage_bytes = SG_NONE;
    out->limit_bytes = out->swap_max_bytes = out->memsw_limit_bytes = SG_NONE;
    out->swap_events_max = out->swap_events_fail = SG_NONE;
    out->has_psi = out->has_io_psi = out->has_cpu_psi = false;
}

int sg_parse_cgroup_value(const char *buf, size_t len, bool is_limit, const char *base,
                          const char *rel, uint64_t *v, struct sg_error *err)
{
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
        len--;
    if (is_limit && len == 3 && memcmp(buf, "max", 3) == 0) {
        *v = SG_UNLIMITED;
        return 0;
    }
    if (sg_parse_u64(buf, len, v) < 0) {
        sg_error_set(err, base, rel, 1, "expected a number%s, got '%.*s'",
                     is_limit ? " or 'max'" : "", (int)(len > 32 ? 32 : len), buf);
        return -EINVAL;
    }
    /* cgroup v1 prints PAGE_COUNTER_MAX * PAGE_SIZE for "no limit". */
    if (is_limit && *v >= 0x7FFFFFFFFFFFF000ULL)
        *v = SG_UNLIMITED;
    return 0;
}

int sg_parse_memory_stat(const char *buf, int version, const char *base, const char *rel,
                         uint64_t *swap_bytes, uint64_t *pgmajfault, struct sg_error *err)
{
    struct memstat ms;
    int r = sg_parse_kv(buf, base, rel, memstat_fields, SG_ELEMENTSOF(memstat_fields), &ms, err);

    if (r < 0)
        return r;
    if (version == 1) {
        /* v1 keeps local and hierarchical (total_*) figures; the domain's group is hierarchical. */
        *pgmajfault = ms.total_pgmajfault != SG_NONE ? ms.total_pgmajfault : ms.pgmajfault;
        *swap_bytes = ms.total_swap != SG_NONE ? ms.total_swap : ms.swap;
    } else {
        *pgmajfault = ms.pgmajfault;
        *swap_bytes = SG_NONE; /* v2: memory.swap.current */
    }
    return 0;
}

int sg_cgroup_parse_file(const struct sg_cgroup *cg, enum sg_cgroup_file f, const char *buf,
                         size_t len, const char *base, const char *rel,
                         struct sg_cgroup_stats *out, struct sg_error *err)
{
    int r;

    switch (f) {
    case SG_CGF_MEMSTAT: {
        uint64_t swap = SG_NONE;

        r = sg_parse_memory_stat(buf, cg->memory_version, base, rel, &swap, &out->pgmajfault, err);
        if (r == 0 && cg->memory_version == 1)
            out->swap_bytes = swap; /* v2: memory.swap.current */
        return r;
    }
    case SG_CGF_SWAP_CURRENT:
        return sg_parse_cgroup_value(buf, len, true, base, rel, &out->swap_bytes, err);
    case SG_CGF_USAGE:
        return sg_parse_cgroup_value(buf, len, true, base, rel, &out->usage_bytes, err);
    case SG_CGF_LIMIT:
        return sg_parse_cgroup_value(buf, len, true, base, rel, &out->limit_bytes, err);
    case SG_CGF_SWAP_LIMIT:
        return sg_parse_cgroup_value(buf, len, true, base, rel,
                         cg->memory_version == 1 ? &out->memsw_limit_bytes : &out->swap_max_bytes, err);
    case SG_CGF_SWAP_EVENTS:
        if (cg->memory_version == 1)
            return sg_parse_cgroup_value(buf, len, false, base, rel, &out->swap_events_max, err);
        return sg_parse_swap_events(buf, base, rel, &out->swap_events_max, &out->swap_events_fail, err);
    case SG_CGF_PSI:
        r = sg_parse_psi(buf, base, rel, &out->psi, err);
        if (r < 0)
            return r;
        out->has_psi = true;
        return 0;
    case SG_CGF_IO_PSI:
    case SG_CGF_CPU_PSI:
        r = sg_parse_psi(buf, base, rel, f == SG_CGF_IO_PSI ? &out->io_psi : &out->cpu_psi, err);
        if (r < 0)
            return r;
        *(f == SG_CGF_IO_PSI ? &out->has_io_psi : &out->has_cpu_psi) = true;
        return 0;
    case SG_CGF__MAX:
        break;
    }
    return -EINVAL;
}

int sg_cgroup_read_files(const struct sg_fs *fs, const struct sg_cgroup *cg, unsigned files,
                         struct sg_cgroup_stats *out, struct sg_error *err)
{
    char rel[PATH_MAX + 64], buf[16384];

    for (enum sg_cgroup_file f = 0; f < SG_CGF__MAX; f++) {
        ssize_t n;
        int r;

        if (!(files & (1u << f)) || !sg_cgroup_file_rel(cg, f, rel, sizeof(rel)))
            continue;
        n = sg_read_at(fs->sys_fd, rel, buf, sg_cgroup_file_size(f));
        if (n == -ENOENT && f != SG_CGF_MEMSTAT && f != SG_CGF_PSI)
            continue; /* a file this kernel does not provide: SG_NONE */
        if (n < 0) {
            sg_error_set(err, fs->sys_path, rel, 0, "%s",
                         n == -EFBIG ? "file larger than expected" : strerror((int)-n));
            return (int)n;
        }
        r = sg_cgroup_parse_file(cg, f, buf, (size_t)n, fs->sys_path, rel, out, err);
        if (r < 0)
            return r;
    }
    return 0;
}

int sg_cgroup_read(const struct sg_fs *fs, const struct sg_cgroup *cg,
                   struct sg_cgroup_stats *out, struct sg_error *err)
{
    sg_cgroup_stats_init(out);
    return sg_cgroup_read_files(fs, cg, SG_CGF_ALL & ~SG_CGF_LOST_PSI, out, err);
}
