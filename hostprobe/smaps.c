/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "smaps.h"

#include <ctype.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>

#include "util/kv.h"
#include "procfs.h"

struct vma {
    uint64_t start, end;
    bool writable, executable, shared;
    char path[256];
    uint64_t size, rss, swap, shared_hugetlb, private_hugetlb, kps;
};

static bool is_vma_header(const char *line)
{
    const char *p = line;
    while (isxdigit((unsigned char)*p))
        p++;
    return p > line && *p == '-';
}

static int parse_header(const char *line, struct vma *v)
{
    char perms[8];
    unsigned long long start, end;
    int off = 0;

    memset(v, 0, sizeof(*v));
    v->size = v->rss = v->swap = SG_NONE;
    if (sscanf(line, "%llx-%llx %7s %*x %*x:%*x %*u %n", &start, &end, perms, &off) < 3 ||
        off == 0 || strlen(perms) != 4)
        return -EINVAL;
    v->start = start;
    v->end = end;
    v->writable = perms[1] == 'w';
    v->executable = perms[2] == 'x';
    v->shared = perms[3] == 's';
    snprintf(v->path, sizeof(v->path), "%s", line + off);
    v->path[strcspn(v->path, "\n")] = '\0';
    return 0;
}

static const char *backing_of(const struct vma *v)
{
    if (v->path[0] == '\0')
        return "anonymous";
    if (strncmp(v->path, "/memfd:", 7) == 0)
        return "memfd";
    if (v->kps > 4 && v->kps != SG_NONE)
        return "hugetlbfs";
    if (strncmp(v->path, "/dev/shm/", 9) == 0 || strncmp(v->path, "/SYSV", 5) == 0)
        return "shmem";
    return "file";
}

static bool take(const struct vma *v, uint64_t guest_kib)
{
    /* Not executable: TCG's code buffer is an anonymous rwx VMA that can have the guest's size. */
    return v->writable && !v->executable && v->size != SG_NONE && v->size == guest_kib;
}

static void choose(struct sg_guest_ram *out, const struct vma *v)
{
    out->n_candidates++;
    if (out->found)
        return;
    out->found = true;
    out->start = v->start;
    out->end = v->end;
    out->size_kib = v->size;
    out->rss_kib = (v->rss == SG_NONE ? 0 : v->rss) +
                   (v->shared_hugetlb == SG_NONE ? 0 : v->shared_hugetlb) +
                   (v->private_hugetlb == SG_NONE ? 0 : v->private_hugetlb);
    out->swap_kib = v->swap == SG_NONE ? 0 : v->swap;
    out->kernel_page_size_kib = v->kps;
    snprintf(out->backing, sizeof(out->backing), "%s", backing_of(v));
    snprintf(out->path, sizeof(out->path), "%s", v->path);
}

/* Parses one "Key: N kB" line of a VMA into v; other keys are ignored. */
static int parse_vma_line(const char *line, struct vma *v)
{
    static const struct { const char *key; size_t off; } keys[] = {
        { "Size:", offsetof(struct vma, size) },
        { "Rss:", offsetof(struct vma, rss) },
        { "Swap:", offsetof(struct vma, swap) },
        { "Shared_Hugetlb:", offsetof(struct vma, shared_hugetlb) },
        { "Private_Hugetlb:", offsetof(struct vma, private_hugetlb) },
        { "KernelPageSize:", offsetof(struct vma, kps) },
    };

    for (size_t i = 0; i < SG_ELEMENTSOF(keys); i++) {
        size_t klen = strlen(keys[i].key);
        unsigned long long val;
        char unit[4];

        if (strncmp(line, keys[i].key, klen) != 0)
            continue;
        if (sscanf(line + klen, " %llu %3s", &val, unit) != 2 || strcmp(unit, "kB") != 0)
            return -EINVAL;
        *(uint64_t *)((char *)v + keys[i].off) = val;
        return 0;
    }
    return 0;
}

int sg_parse_guest_ram(FILE *f, const char *base, const char *rel, uint64_t guest_kib,
                       struct sg_guest_ram *out, struct sg_error *err)
{
    _cleanup_free_ char *line = NULL;
    size_t cap = 0;
    unsigned lineno = 0;
    struct vma cur;
    bool have = false;

    memset(out, 0, sizeof(*out));
    while (getline(&line, &cap, f) >= 0) {
        lineno++;
        if (is_vma_header(line)) {
            if (have && take(&cur, guest_kib))
                choose(out, &cur);
            if (parse_header(line, &cur) < 0) {
                sg_error_set(err, base, rel, lineno, "malformed mapping header");
                return -EINVAL;
            }
            cur.shared_hugetlb = cur.private_hugetlb = cur.kps = SG_NONE;
            have = true;
            continue;
        }
        if (!have) {
            sg_error_set(err, base, rel, lineno, "expected a mapping header first");
            return -EINVAL;
        }
        if (parse_vma_line(line, &cur) < 0) {
            sg_error_set(err, base, rel, lineno, "expected 'Key: N kB'");
            return -EINVAL;
        }
    }
    if (ferror(f)) {
        int r = -errno;
        sg_error_set(err, base, rel, lineno, "read error: %s", strerror(-r));
        return sg_proc_gone(r);
    }
    if (have && take(&cur, guest_kib))
        choose(out, &cur);
    return 0;
}

int sg_guest_ram_read(const struct sg_fs *fs, pid_t pid, uint64_t guest_kib,
                      struct sg_guest_ram *out, struct sg_error *err)
{
    _cleanup_fclose_ FILE *f = NULL;
    char rel[64];
    int fd;

    snprintf(rel, sizeof(rel), "%d/smaps", (int)pid);
    fd = openat(fs->proc_fd, rel, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int r = -errno;
        sg_error_set(err, fs->proc_path, rel, 0, "%s", strerror(-r));
        return sg_proc_gone(r);
    }
    f = fdopen(fd, "re");
    if (!f) {
        close(fd);
        return -errno;
    }
    errno = 0;
    return sg_parse_guest_ram(f, fs->proc_path, rel, guest_kib, out, err);
}

struct rollup {
    uint64_t swap, rss;
};

int sg_parse_smaps_rollup(const char *buf, const char *base, const char *rel, uint64_t *swap_kib,
                          struct sg_error *err)
{
    static const struct sg_kv_field fields[] = {
        { "Swap", offsetof(struct rollup, swap), SG_KV_KB },
        { "Rss", offsetof(struct rollup, rss), SG_KV_KB },
    };
    struct rollup ru;
    int r;

    /* The first line is a pseudo-mapping header: "00400000-7ffd... ---p 00000000 00:00 0 [rollup]". */
    r = sg_parse_kv(buf, base, rel, fields, SG_ELEMENTSOF(fields), &ru, err);
    if (r < 0)
        return r;
    if (ru.swap == SG_NONE) {
        sg_error_set(err, base, rel, 0, "no Swap line");
        return -EINVAL;
    }
    *swap_kib = ru.swap;
    return 0;
}

int sg_smaps_rollup_swap(const struct sg_fs *fs, pid_t pid, uint64_t *swap_kib,
                         struct sg_error *err)
{
    char rel[64], buf[8192];
    ssize_t n;

    snprintf(rel, sizeof(rel), "%d/smaps_rollup", (int)pid);
    n = sg_read_file(fs->proc_fd, fs->proc_path, rel, buf, sizeof(buf), err);
    if (n < 0)
        return sg_proc_gone((int)n);
    return sg_parse_smaps_rollup(buf, fs->proc_path, rel, swap_kib, err);
}
