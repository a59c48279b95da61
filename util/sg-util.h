/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Small helpers shared by every swapguard library: cleanup attributes,
 * error locations, and reading whole small files relative to a directory fd.
 */
#pragma once

#include <dirent.h>
#include <time.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void sg_freep(void *p) { free(*(void **)p); }
static inline void sg_closep(int *fd)
{
    if (*fd >= 0) {
        int saved = errno;
        close(*fd);
        errno = saved;
    }
}
static inline void sg_fclosep(FILE **f) { if (*f) fclose(*f); }
static inline void sg_closedirp(DIR **d) { if (*d) closedir(*d); }

#define _cleanup_free_ _cleanup_(sg_freep)
#define _cleanup_close_ _cleanup_(sg_closep)
#define _cleanup_fclose_ _cleanup_(sg_fclosep)
#define _cleanup_closedir_ _cleanup_(sg_closedirp)

/* CLOCK_MONOTONIC now, in seconds. */
static inline double sg_mono_s(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static inline void *sg_take_ptr(void *pp)
{
    void **p = pp;
    void *v = *p;
    *p = NULL;
    return v;
}
#define TAKE_PTR(p) sg_take_ptr(&(p))

static inline int sg_take_fd(int *fd)
{
    int v = *fd;
    *fd = -1;
    return v;
}

#define SG_ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

/* A figure the source did not provide (absent field, no such controller). */
#define SG_NONE UINT64_MAX
/* A limit that is not set ("max" in cgroup v2, PAGE_COUNTER_MAX in v1). */
#define SG_UNLIMITED (UINT64_MAX - 1)

/*
 * Where something went wrong: the file (as the user sees it, including the
 * --proc-root/--sys-root prefix), the 1-based line (0 when not about a
 * line), and a short message. Libraries fill it when they return -EINVAL
 * (or another error worth locating); the top level prints it once.
 */
struct sg_error {
    char file[PATH_MAX];
    unsigned line;
    char msg[256];
};

/* Fills err (which may be NULL) with file "base/rel", line and message. */
void sg_error_set(struct sg_error *err, const char *base, const char *rel,
                  unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Formats err as "FILE:LINE: MSG" (or "FILE: MSG") into buf. */
const char *sg_error_format(const struct sg_error *err, char *buf, size_t size);

/*
 * The roots every reader works from. proc_fd is "<proc-root>/proc",
 * run_fd "<proc-root>/run" (-1 when absent), sys_fd "<sys-root>/sys".
 * The *_path strings are what error messages show.
 */
struct sg_fs {
    int proc_fd;
    int sys_fd;
    int run_fd;
    char proc_path[PATH_MAX];
    char sys_path[PATH_MAX];
    char run_path[PATH_MAX];
};

/* Opens the roots. Returns 0, or -errno from open(2) (err names the dir). */
int sg_fs_open(struct sg_fs *fs, const char *proc_root, const char *sys_root,
               struct sg_error *err);
void sg_fs_close(struct sg_fs *fs);

/*
 * Reads the file rel (relative to dirfd) into buf, NUL-terminated.
 * Loops over short reads (procfs seq_files). Returns the length, or
 * -ENOENT/-EACCES/... from openat(2), -ESRCH when a process vanished
 * (procfs answers ENOENT or ESRCH), -EFBIG when it does not fit in size-1.
 */
ssize_t sg_read_at(int dirfd, const char *rel, char *buf, size_t size);

/*
 * Opens the directory rel (relative to dirfd) for readdir(3), close-on-exec.
 * NULL with errno set (from openat(2) or fdopendir(3)) when it cannot.
 */
DIR *sg_opendir_at(int dirfd, const char *rel);

/* sg_read_at that also fills err with base/rel and the reason when it fails. */
ssize_t sg_read_file(int dirfd, const char *base, const char *rel, char *buf, size_t size,
                     struct sg_error *err);

/* Like sg_read_at but allocates; caps at max bytes (-EFBIG beyond). */
ssize_t sg_read_at_alloc(int dirfd, const char *rel, size_t max, char **out);

/* Parses a decimal uint64 that fills the whole token [s, end). -EINVAL, -ERANGE. */
int sg_parse_u64(const char *s, size_t len, uint64_t *out);

/* Formats a one-line reason into why[0..size) (nothing when why is NULL or size 0). */
void sg_why(char *why, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Seconds between two CLOCK_MONOTONIC readings. */
double sg_timespec_diff_s(const struct timespec *a, const struct timespec *b);
