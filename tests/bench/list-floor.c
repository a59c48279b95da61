/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The floor under `swapguard list --interval 0` in scripts/bench.sh: the same
 * files list reads per domain, each opened, read once into a 64 KiB buffer and
 * closed, in a plain loop with no parsing: the libvirt pid file,
 * /proc/PID/cmdline (its check), /proc/PID/cgroup, /proc/PID/status, the
 * memory cgroup's memory.stat and, where the host has cgroup v2, the group's
 * memory.pressure. Prints the loop's own CPU (getrusage user + system, ms) and
 * the files read.
 *
 * Usage: list-floor FILE   (FILE: one line per domain, "PIDFILE PID MEMDIR PSIDIR",
 *                          PSIDIR "-" without cgroup v2)
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

static char buf[65536];

static int read_one(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0)
        return 0;
    n = read(fd, buf, sizeof(buf));
    close(fd);
    return n >= 0;
}

static double cpu_ms(void)
{
    struct rusage u;

    getrusage(RUSAGE_SELF, &u);
    return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 +
           (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}

int main(int argc, char **argv)
{
    char pidfile[4096], memdir[4096], psidir[4096], path[8192];
    FILE *f;
    double t0;
    long files = 0, doms = 0;
    int pid;

    if (argc != 2 || !(f = fopen(argv[1], "r"))) {
        fprintf(stderr, "usage: list-floor FILE\n");
        return 2;
    }
    t0 = cpu_ms();
    while (fscanf(f, "%4095s %d %4095s %4095s", pidfile, &pid, memdir, psidir) == 4) {
        static const char *const proc[] = { "cmdline", "cgroup", "status" };

        doms++;
        files += read_one(pidfile);
        for (int i = 0; i < 3; i++) {
            snprintf(path, sizeof(path), "/proc/%d/%s", pid, proc[i]);
            files += read_one(path);
        }
        snprintf(path, sizeof(path), "%s/memory.stat", memdir);
        files += read_one(path);
        if (psidir[0] != '-') {
            snprintf(path, sizeof(path), "%s/memory.pressure", psidir);
            files += read_one(path);
        }
    }
    fclose(f);
    printf("%.1f ms %ld files %ld domains\n", cpu_ms() - t0, files, doms);
    return 0;
}
