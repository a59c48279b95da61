/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Benchmark of the periodic sampling path: sg_dom_sample_read() for every
 * QEMU process (a process whose cmdline carries "-uuid") under a root, the
 * way `swapguard list` samples each domain, without libvirt. Prints the time
 * per domain sample and the files read per sample, and compares with one
 * on-demand smaps walk (domswap) of the same process.
 *
 * Usage: bench-sample [ROOT [ITERATIONS]]   (ROOT holds proc/ and sys/; default /)
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "hostprobe/cgroup.h"
#include "hostprobe/procfs.h"
#include "hostprobe/sample.h"
#include "hostprobe/smaps.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* read syscalls of this process so far: /proc/self/io syscr */
static unsigned long long syscr(void)
{
    char buf[512];
    unsigned long long v = 0;
    const char *p;
    int fd = open("/proc/self/io", O_RDONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0)
        return 0;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    p = strstr(buf, "syscr:");
    if (p)
        sscanf(p + 6, "%llu", &v);
    return v;
}

int main(int argc, char **argv)
{
    const char *root = argc > 1 ? argv[1] : "/";
    long iters = argc > 2 ? atol(argv[2]) : 2000;
    struct sg_fs fs;
    struct sg_error err = {0};
    _cleanup_closedir_ DIR *d = NULL;
    struct dirent *de;
    int found = 0;

    if (iters <= 0)
        iters = 2000;
    if (sg_fs_open(&fs, root, root, &err) < 0) {
        fprintf(stderr, "bench-sample: %s: %s\n", err.file, err.msg);
        return 1;
    }
    d = fdopendir(openat(fs.proc_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!d)
        return 1;
    printf("root %s, %ld samples per domain\n", root, iters);
    while ((de = readdir(d))) {
        char rel[64], cmd[65536];
        _cleanup_(sg_cgroup_clear) struct sg_cgroup cg = { 0 };
        struct sg_dom_sample s;
        struct sg_guest_ram ram;
        uint64_t pid;
        ssize_t n;
        double t0, t1, t_smaps;
        unsigned long long r0, r1;

        if (sg_parse_u64(de->d_name, strlen(de->d_name), &pid) < 0)
            continue;
        snprintf(rel, sizeof(rel), "%s/cmdline", de->d_name);
        n = sg_read_at(fs.proc_fd, rel, cmd, sizeof(cmd));
        if (n <= 0 || !memmem(cmd, (size_t)n, "-uuid", 6))
            continue;
        if (sg_cgroup_locate(&fs, (pid_t)pid, &cg, &err) < 0)
            continue;
        r0 = syscr();
        t0 = now_s();
        for (long i = 0; i < iters; i++) {
            if (sg_dom_sample_read(&fs, (pid_t)pid, &cg, false, &s, &err) < 0) {
                fprintf(stderr, "bench-sample: pid %llu: %s: %s\n", (unsigned long long)pid,
                        err.file, err.msg);
                break;
            }
            sg_dom_sample_clear(&s);
        }
        t1 = now_s();
        r1 = syscr();
        t_smaps = now_s();
        sg_guest_ram_read(&fs, (pid_t)pid, 0, &ram, &err);
        t_smaps = now_s() - t_smaps;
        printf("pid %-8llu sample: %8.1f us per domain, %4.1f read(2) calls per sample "
               "(status, stat, memory.stat, cgroup value files, memory.pressure); "
               "one smaps walk (domswap only): %8.1f us\n",
               (unsigned long long)pid, (t1 - t0) / (double)iters * 1e6,
               r1 > r0 ? (double)(r1 - r0) / (double)iters : 0.0, t_smaps * 1e6);
        found++;
    }
    {
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        printf("%d QEMU processes sampled; max RSS of the benchmark %ld KiB\n", found, ru.ru_maxrss);
    }
    sg_fs_close(&fs);
    return 0;
}
