/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hostmem.h"

#include <fcntl.h>
#include <stddef.h>
#include <string.h>

#include "util/kv.h"

static int read_proc(const struct sg_fs *fs, const char *rel, char *buf, size_t size,
                     struct sg_error *err)
{
    ssize_t n = sg_read_file(fs->proc_fd, fs->proc_path, rel, buf, size, err);
    return n < 0 ? (int)n : 0;
}

static int pool_cmp(const void *a, const void *b)
{
    const struct sg_hugepage_pool *x = a, *y = b;
    if (x->node != y->node)
        return x->node < y->node ? -1 : 1;
    return (x->page_size_kib > y->page_size_kib) - (x->page_size_kib < y->page_size_kib);
}

/* Reads one number file of a pool dir. */
static int read_pool_value(const struct sg_fs *fs, const char *rel, uint64_t *v,
                           struct sg_error *err)
{
    char buf[32];
    ssize_t n = sg_read_file(fs->sys_fd, fs->sys_path, rel, buf, sizeof(buf), err);
    size_t len;

    if (n < 0)
        return (int)n;
    len = (size_t)n;
    while (len && buf[len - 1] == '\n')
        len--;
    if (sg_parse_u64(buf, len, v) < 0) {
        sg_error_set(err, fs->sys_path, rel, 1, "expected a page count");
        return -EINVAL;
    }
    return 0;
}

/* Appends the pools in dir (".../hugepages") for node. */
static int read_pools_in(const struct sg_fs *fs, const char *dir, int node,
                         struct sg_hugepage_pool **v, size_t *n, size_t *cap,
                         struct sg_error *err)
{
    _cleanup_closedir_ DIR *d = NULL;
    struct dirent *de;

    d = sg_opendir_at(fs->sys_fd, dir);
    if (!d)
        return errno == ENOENT ? 0 : -errno;
    while ((de = readdir(d))) {
        char rel[PATH_MAX];
        unsigned long long size;
        char tail[4];
        struct sg_hugepage_pool p = { .node = node };
        int r;

        if (sscanf(de->d_name, "hugepages-%llu%3s", &size, tail) != 2 || strcmp(tail, "kB") != 0)
            continue;
        p.page_size_kib = size;
        snprintf(rel, sizeof(rel), "%s/%s/nr_hugepages", dir, de->d_name);
        if ((r = read_pool_value(fs, rel, &p.nr_pages, err)) < 0)
            return r;
        snprintf(rel, sizeof(rel), "%s/%s/free_hugepages", dir, de->d_name);
        if ((r = read_pool_value(fs, rel, &p.free_pages, err)) < 0)
            return r;
        if (*n == *cap) {
            size_t ncap = *cap ? *cap * 2 : 4;
            struct sg_hugepage_pool *nv = realloc(*v, ncap * sizeof(**v));
            if (!nv)
                return -ENOMEM;
            *v = nv;
            *cap = ncap;
        }
        (*v)[(*n)++] = p;
    }
    return 0;
}

int sg_hugepage_pools_read(const struct sg_fs *fs, struct sg_hugepage_pool **out,
                           struct sg_error *err)
{
    _cleanup_free_ struct sg_hugepage_pool *v = NULL;
    _cleanup_closedir_ DIR *d = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    int fd, r;

    fd = openat(fs->sys_fd, "devices/system/node", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        d = fdopendir(fd);
        if (!d) {
            close(fd);
            return -errno;
        }
        while ((de = readdir(d))) {
            char dir[PATH_MAX];
            uint64_t node;

            if (strncmp(de->d_name, "node", 4) != 0 ||
                sg_parse_u64(de->d_name + 4, strlen(de->d_name + 4), &node) < 0 || node > 65535)
                continue;
            snprintf(dir, sizeof(dir), "devices/system/node/%s/hugepages", de->d_name);
            if ((r = read_pools_in(fs, dir, (int)node, &v, &n, &cap, err)) < 0)
                return r;
        }
    }
    if (n == 0 && (r = read_pools_in(fs, "kernel/mm/hugepages", -1, &v, &n, &cap, err)) < 0)
        return r;
    if (n > 1)
        qsort(v, n, sizeof(*v), pool_cmp);
    *out = TAKE_PTR(v);
    return (int)n;
}

int sg_host_read(const struct sg_fs *fs, bool with_details, struct sg_host_sample *out,
                 struct sg_error *err)
{
    char buf[16384];
    ssize_t n;
    int r;

    memset(out, 0, sizeof(*out));
    clock_gettime(CLOCK_MONOTONIC, &out->t);
    if ((r = read_proc(fs, "meminfo", buf, sizeof(buf), err)) < 0 ||
        (r = sg_parse_meminfo(buf, fs->proc_path, "meminfo", &out->mem, err)) < 0)
        return r;
    if ((r = read_proc(fs, "vmstat", buf, sizeof(buf), err)) < 0 ||
        (r = sg_parse_vmstat(buf, fs->proc_path, "vmstat", &out->vm, err)) < 0)
        return r;
    n = sg_read_at(fs->proc_fd, "pressure/memory", buf, sizeof(buf));
    if (n >= 0) {
        if ((r = sg_parse_psi(buf, fs->proc_path, "pressure/memory", &out->psi, err)) < 0)
            return r;
        out->has_psi = true;
    } else if (n != -ENOENT && n != -EOPNOTSUPP) {
        sg_error_set(err, fs->proc_path, "pressure/memory", 0, "%s", strerror((int)-n));
        return (int)n;
    }
    if (with_details) {
        if ((r = read_proc(fs, "swaps", buf, sizeof(buf), err)) < 0)
            return r;
        r = sg_parse_swaps(buf, fs->proc_path, "swaps", &out->swaps, err);
        if (r < 0)
            return r;
        out->n_swaps = (size_t)r;
        r = sg_hugepage_pools_read(fs, &out->pools, err);
        if (r < 0) {
            sg_host_sample_clear(out);
            return r;
        }
        out->n_pools = (size_t)r;
    }
    return 0;
}

void sg_host_sample_clear(struct sg_host_sample *s)
{
    free(s->swaps);
    free(s->pools);
    s->swaps = NULL;
    s->pools = NULL;
    s->n_swaps = s->n_pools = 0;
}
