/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "util/sg-util.h"

#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

static void join_path(char *out, size_t size, const char *base, const char *rel)
{
    if (!base || !*base)
        snprintf(out, size, "%s", rel ? rel : "");
    else if (!rel || !*rel)
        snprintf(out, size, "%s", base);
    else
        snprintf(out, size, "%s%s%s", base,
                 base[strlen(base) - 1] == '/' ? "" : "/", rel);
}

void sg_error_set(struct sg_error *err, const char *base, const char *rel,
                  unsigned line, const char *fmt, ...)
{
    va_list ap;

    if (!err)
        return;
    join_path(err->file, sizeof(err->file), base, rel);
    err->line = line;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
}

const char *sg_error_format(const struct sg_error *err, char *buf, size_t size)
{
    if (err->line)
        snprintf(buf, size, "%s:%u: %s", err->file, err->line, err->msg);
    else if (err->file[0])
        snprintf(buf, size, "%s: %s", err->file, err->msg);
    else
        snprintf(buf, size, "%s", err->msg);
    return buf;
}

static int open_root(const char *root, const char *sub, char *path, size_t size,
                     bool optional, int *fd_out, struct sg_error *err)
{
    char full[PATH_MAX];
    int fd;

    join_path(full, sizeof(full), root && *root ? root : "/", sub);
    /* Display "/proc", not "//proc". */
    snprintf(path, size, "%s", full[0] == '/' && full[1] == '/' ? full + 1 : full);
    fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        int r = -errno;
        if (optional) {
            *fd_out = -1;
            return 0;
        }
        sg_error_set(err, path, NULL, 0, "cannot open directory: %s", strerror(-r));
        return r;
    }
    *fd_out = fd;
    return 0;
}

int sg_fs_open(struct sg_fs *fs, const char *proc_root, const char *sys_root,
               struct sg_error *err)
{
    int r;

    fs->proc_fd = fs->sys_fd = fs->run_fd = -1;
    r = open_root(proc_root, "proc", fs->proc_path, sizeof(fs->proc_path), false,
                  &fs->proc_fd, err);
    if (r < 0)
        return r;
    r = open_root(sys_root, "sys", fs->sys_path, sizeof(fs->sys_path), false,
                  &fs->sys_fd, err);
    if (r < 0) {
        sg_fs_close(fs);
        return r;
    }
    return open_root(proc_root, "run", fs->run_path, sizeof(fs->run_path), true,
                     &fs->run_fd, err);
}

void sg_fs_close(struct sg_fs *fs)
{
    sg_closep(&fs->proc_fd);
    sg_closep(&fs->sys_fd);
    sg_closep(&fs->run_fd);
    fs->proc_fd = fs->sys_fd = fs->run_fd = -1;
}

/* Reads until EOF or size bytes, retrying on EINTR. Returns the bytes read or -errno. */
static ssize_t read_full(int fd, char *buf, size_t size)
{
    size_t len = 0;

    while (len < size) {
        ssize_t n = read(fd, buf + len, size - len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    return (ssize_t)len;
}

DIR *sg_opendir_at(int dirfd, const char *rel)
{
    int fd = openat(dirfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d;

    if (fd < 0)
        return NULL;
    d = fdopendir(fd);
    if (!d) {
        int e = errno;

        close(fd);
        errno = e;
    }
    return d;
}

ssize_t sg_read_at(int dirfd, const char *rel, char *buf, size_t size)
{
    _cleanup_close_ int fd = -1;
    ssize_t n, more;
    char extra;

    if (size == 0)
        return -EINVAL;
    fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return -errno;
    n = read_full(fd, buf, size - 1);
    if (n < 0)
        return n;
    if ((size_t)n == size - 1) {
        /* Full buffer: fine only at EOF. */
        more = read_full(fd, &extra, 1);
        if (more != 0)
            return more < 0 ? more : -EFBIG;
    }
    buf[n] = '\0';
    return n;
}

ssize_t sg_read_at_alloc(int dirfd, const char *rel, size_t max, char **out)
{
    _cleanup_close_ int fd = -1;
    _cleanup_free_ char *buf = NULL;
    size_t len = 0, cap = 0;

    fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return -errno;
    for (;;) {
        /* Room for max bytes, one more to detect a larger file, and the NUL. */
        size_t ncap = cap ? cap * 2 : 4096;
        char *nbuf;
        ssize_t n;

        if (ncap > max + 2)
            ncap = max + 2;
        nbuf = realloc(buf, ncap);
        if (!nbuf)
            return -ENOMEM;
        buf = nbuf;
        cap = ncap;
        n = read_full(fd, buf + len, cap - 1 - len);
        if (n < 0)
            return n;
        len += (size_t)n;
        if (len > max)
            return -EFBIG;
        if (len < cap - 1)
            break; /* EOF before the buffer filled */
    }
    buf[len] = '\0';
    *out = TAKE_PTR(buf);
    return (ssize_t)len;
}

ssize_t sg_read_file(int dirfd, const char *base, const char *rel, char *buf, size_t size,
                     struct sg_error *err)
{
    ssize_t n = sg_read_at(dirfd, rel, buf, size);

    if (n < 0)
        sg_error_set(err, base, rel, 0, "%s", n == -EFBIG ? "file larger than expected"
                                                          : strerror((int)-n));
    return n;
}

int sg_parse_u64(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;

    if (len == 0)
        return -EINVAL;
    for (size_t i = 0; i < len; i++) {
        unsigned d;

        if (s[i] < '0' || s[i] > '9')
            return -EINVAL;
        d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -ERANGE;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

double sg_timespec_diff_s(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

void sg_why(char *why, size_t size, const char *fmt, ...)
{
    va_list ap;

    if (!why || size == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(why, size, fmt, ap);
    va_end(ap);
}
