/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The lost-time readers: taskstats on this very process (a real netlink
 * request; skipped without the TASKSTATS family or CAP_NET_ADMIN), schedstat
 * of this thread, the wchan classes, and hand-written malformed inputs
 * (labelled as such).
 */
#include <criterion/criterion.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/taskstats.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hostprobe/lostime.h"

Test(lostime, taskstats_of_this_process)
{
    struct sg_taskstats_conn *c = NULL;
    struct sg_taskstats t;
    char why[160] = "";
    int r = sg_taskstats_open(&c, why, sizeof(why));

    if (r < 0)
        cr_skip_test("no taskstats: %s", why);
    r = sg_taskstats_get(c, (pid_t)syscall(SYS_gettid), false, &t, why, sizeof(why));
    if (r == -EPERM) {
        sg_taskstats_close(c);
        cr_skip_test("taskstats needs CAP_NET_ADMIN: %s", why);
    }
    cr_assert_eq(r, 0, "%s", why);
    /* A running thread: every delay field present (a kernel >= 5.0 struct). */
    cr_expect_neq(t.cpu_delay_ns, SG_NONE);
    cr_expect_neq(t.swapin_delay_ns, SG_NONE);
    cr_expect_neq(t.thrashing_delay_ns, SG_NONE);
    r = sg_taskstats_get(c, getpid(), true, &t, why, sizeof(why));
    cr_expect_eq(r, 0, "%s", why);
    /* A thread id that does not exist: -ESRCH, not a stall. */
    r = sg_taskstats_get(c, 0x3ffffff0, false, &t, why, sizeof(why));
    cr_expect_eq(r, -ESRCH, "%d %s", r, why);
    sg_taskstats_close(c);
}

Test(lostime, taskstats_struct_versions)
{
    struct taskstats ts;
    struct sg_taskstats t;
    char why[128];

    memset(&ts, 0, sizeof(ts));
    ts.version = TASKSTATS_VERSION;
    ts.cpu_delay_total = 11;
    ts.blkio_delay_total = 22;
    ts.swapin_delay_total = 33;
    ts.freepages_delay_total = 44;
    ts.thrashing_delay_total = 55;
    cr_assert_eq(sg_parse_taskstats(&ts, sizeof(ts), &t, why, sizeof(why)), 0);
    cr_expect_eq(t.cpu_delay_ns, 11);
    cr_expect_eq(t.blkio_delay_ns, 22);
    cr_expect_eq(t.swapin_delay_ns, 33);
    cr_expect_eq(t.freepages_delay_ns, 44);
    cr_expect_eq(t.thrashing_delay_ns, 55);
    /* Hand-written: an old kernel's shorter struct, without thrashing: NONE, not garbage. */
    cr_assert_eq(sg_parse_taskstats(&ts, offsetof(struct taskstats, thrashing_count), &t, why, sizeof(why)), 0);
    cr_expect_eq(t.thrashing_delay_ns, SG_NONE);
    cr_expect_eq(t.swapin_delay_ns, 33);
    /* Hand-written malformed: too short, version 0. */
    cr_expect_eq(sg_parse_taskstats(&ts, 8, &t, why, sizeof(why)), -EINVAL);
    ts.version = 0;
    cr_expect_eq(sg_parse_taskstats(&ts, sizeof(ts), &t, why, sizeof(why)), -EINVAL);
}

Test(lostime, schedstat_of_this_thread)
{
    struct sg_fs fs;
    struct sg_schedstat s;
    struct sg_error err = {0};

    cr_assert_eq(sg_fs_open(&fs, "/", "/", &err), 0);
    if (access("/proc/self/schedstat", R_OK) != 0)
        cr_skip_test("no /proc/PID/schedstat (CONFIG_SCHED_INFO off)");
    cr_assert_eq(sg_schedstat_read(&fs, getpid(), (pid_t)syscall(SYS_gettid), &s, &err), 0, "%s", err.msg);
    cr_expect_gt(s.run_ns, 0, "this thread has run");
    cr_expect_eq(sg_schedstat_read(&fs, 0x3ffffff0, 0x3ffffff0, &s, &err), -ESRCH);
    sg_fs_close(&fs);
}

Test(lostime, schedstat_malformed)
{
    /* Hand-written malformed and hostile lines. */
    static const char *const bad[] = {
        "", "1 2\n", "1 2 x\n", "-1 2 3\n", "1 2 3 4\n", "99999999999999999999999 1 1\n", "1\t2\t3\n",
    };
    struct sg_schedstat s;

    cr_expect_eq(sg_parse_schedstat("123 456 7\n", "t", "schedstat", &s, NULL), 0);
    cr_expect_eq(s.run_ns, 123);
    cr_expect_eq(s.wait_ns, 456);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_expect_eq(sg_parse_schedstat(bad[i], "t", "schedstat", &s, NULL), -EINVAL, "'%s'", bad[i]);
}

Test(lostime, wchan_classes)
{
    /* The wchan values a vCPU thread showed in a real synchronous host-swap stall on this
     * machine (folio_wait_bit_common, BACKGROUND.md section 7) and older kernels' names. */
    cr_expect(sg_wchan_is_swapin("folio_wait_bit_common"));
    cr_expect(sg_wchan_is_swapin("swap_read_folio"));
    cr_expect(sg_wchan_is_swapin("__lock_page_or_retry"));
    cr_expect(sg_wchan_is_swapin("wait_on_page_bit_common.isra.0"));
    cr_expect(!sg_wchan_is_swapin("0"));
    cr_expect(!sg_wchan_is_swapin("futex_wait_queue"));
    cr_expect(!sg_wchan_is_swapin("do_sys_poll"));
    cr_expect(!sg_wchan_is_swapin("folio_wait_bit_commonX"));
    cr_expect(!sg_wchan_is_swapin(""));
    cr_expect(!sg_wchan_is_swapin(NULL));
}

Test(lostime, block_stats_params)
{
    /* The names and types virsh domstats --block prints for a harness guest's disk. */
    virTypedParameter p[8];

    memset(p, 0, sizeof(p));
    snprintf(p[0].field, sizeof(p[0].field), "block.count");
    p[0].type = VIR_TYPED_PARAM_UINT;
    p[0].value.ui = 2;
    snprintf(p[1].field, sizeof(p[1].field), "block.0.rd.reqs");
    p[1].type = VIR_TYPED_PARAM_ULLONG;
    p[1].value.ul = 10;
    snprintf(p[2].field, sizeof(p[2].field), "block.0.rd.times");
    p[2].type = VIR_TYPED_PARAM_ULLONG;
    p[2].value.ul = 1000;
    snprintf(p[3].field, sizeof(p[3].field), "block.1.rd.reqs");
    p[3].type = VIR_TYPED_PARAM_ULLONG;
    p[3].value.ul = 5;
    snprintf(p[4].field, sizeof(p[4].field), "block.1.wr.times");
    p[4].type = VIR_TYPED_PARAM_ULLONG;
    p[4].value.ul = 7;
    snprintf(p[5].field, sizeof(p[5].field), "block.1.name");
    p[5].type = VIR_TYPED_PARAM_STRING;
    struct sg_block_stats b;
    char why[128];

    cr_assert_eq(sg_parse_block_stats(p, 6, &b, why, sizeof(why)), 0);
    cr_expect_eq(b.n_disks, 2);
    cr_expect_eq(b.rd_reqs, 15);
    cr_expect_eq(b.rd_times_ns, 1000);
    cr_expect_eq(b.wr_times_ns, 7);
    cr_expect_eq(b.wr_reqs, SG_NONE);
    /* Hand-written: a known name with the wrong type. */
    p[6] = p[1];
    p[6].type = VIR_TYPED_PARAM_STRING;
    cr_expect_eq(sg_parse_block_stats(p, 7, &b, why, sizeof(why)), -EINVAL);
}

Test(lostime, per_thread_figures_of_this_process)
{
    /* This very thread read as a QEMU's vCPU thread would be: its own schedstat and looks,
     * and the domain's sums are its figures. */
    struct sg_fs fs;
    struct sg_error err = {0};
    struct sg_lost_sample l;
    pid_t tids[1] = { (pid_t)syscall(SYS_gettid) };

    cr_assert_eq(sg_fs_open(&fs, "/", "/", &err), 0);
    if (access("/proc/self/schedstat", R_OK) != 0)
        cr_skip_test("no /proc/PID/schedstat (CONFIG_SCHED_INFO off)");
    cr_assert_eq(sg_lost_sample_read(&fs, NULL, getpid(), tids, 1, 2, 0, &l), 0);
    cr_expect_eq(l.n_threads, 1);
    cr_expect_eq(l.thread[0].tid, tids[0]);
    cr_expect(l.thread[0].has_schedstat);
    cr_expect_eq(l.thread[0].run_delay_ns, l.run_delay_ns, "one thread: its figure is the sum");
    cr_expect_eq(l.thread[0].looks, 2);
    cr_expect_eq(l.thread[0].looks_swapin, 0, "this thread runs, it does not wait in swap-in");
    cr_expect(!l.thread[0].has_taskstats, "no taskstats connection given");
    sg_fs_close(&fs);
}

Test(lostime, cpu_lists)
{
    struct sg_cpuset c;

    /* Cpus_allowed_list as the kernel writes it (%*pbl). */
    cr_assert_eq(sg_parse_cpu_list("0-3,8,10-11\n", &c), 0);
    for (int i = 0; i < 16; i++)
        cr_expect_eq(sg_cpuset_has(&c, i), (i <= 3 || i == 8 || i == 10 || i == 11), "cpu %d", i);
    cr_assert_eq(sg_parse_cpu_list("4095", &c), 0);
    cr_expect(sg_cpuset_has(&c, 4095));
    cr_expect(!sg_cpuset_has(&c, -1) && !sg_cpuset_has(&c, 4096));
    /* Hand-written malformed and hostile lists. */
    cr_expect_eq(sg_parse_cpu_list("3-1", &c), -EINVAL);
    cr_expect_eq(sg_parse_cpu_list("a", &c), -EINVAL);
    cr_expect_eq(sg_parse_cpu_list("1-", &c), -EINVAL);
    cr_expect_eq(sg_parse_cpu_list("1;2", &c), -EINVAL);
    cr_expect_eq(sg_parse_cpu_list("4096", &c), -ERANGE);
    cr_expect_eq(sg_parse_cpu_list("0-99999999999999999999", &c), -ERANGE);
}

Test(lostime, thread_stat_fields)
{
    /* This very thread's stat, then hand-written hostile names and a short line. */
    struct sg_fs fs;
    struct sg_error err = {0};
    struct sg_cpuset allowed;
    struct sg_thread_cpu t;
    char rel[64], buf[1024];
    ssize_t n;

    cr_assert_eq(sg_fs_open(&fs, "/", "/", &err), 0);
    snprintf(rel, sizeof(rel), "%d/task/%d/stat", (int)getpid(), (int)syscall(SYS_gettid));
    n = sg_read_at(fs.proc_fd, rel, buf, sizeof(buf));
    cr_assert_gt(n, 0);
    cr_assert_eq(sg_parse_thread_cpu(buf, &t), 0, "%s", buf);
    cr_expect_eq(sg_thread_cpus_allowed(&fs, getpid(), (pid_t)syscall(SYS_gettid), &allowed), 0);
    cr_expect(sg_cpuset_has(&allowed, t.cpu), "it last ran on a CPU it may run on (%d)", t.cpu);
    cr_expect_eq(sg_parse_thread_cpu("1 (a) b) R 0 0 0 0 0 0 0 0 0 0 7 8 0 0 0 0 0 0 0 0 0 0 0 0 0 0 "
                                     "0 0 0 0 0 0 0 0 0 3 0\n", &t), 0);
    cr_expect_str_eq(t.comm, "a) b", "a comm with ') ' parsed up to the last ')'");
    cr_expect_eq(t.cpu_ticks, 15);
    cr_expect_eq(t.cpu, 3);
    cr_expect_eq(sg_parse_thread_cpu("1 (x) R 0 0 0\n", &t), -EINVAL);
    cr_expect_eq(sg_parse_thread_cpu("1 x R 0\n", &t), -EINVAL);
    cr_expect_eq(sg_thread_cpus_allowed(&fs, 0x3ffffff0, 0x3ffffff0, &allowed), -ESRCH);
    sg_fs_close(&fs);
}

Test(lostime, neighbours_name_a_busy_thread_on_the_same_cpu)
{
    /* Real scans: a child spins on this thread's CPU for 300 ms between two scans of /proc;
     * it is named with its pid and comm, this thread (excluded, like a vCPU) is not. */
    struct sg_fs fs;
    struct sg_error err = {0};
    struct sg_thread_cpu *a = NULL, *b = NULL, self;
    struct sg_cpu_neighbour nb[5];
    struct sg_cpuset one = {0};
    char rel[64], buf[1024];
    pid_t me = (pid_t)syscall(SYS_gettid), child;
    ssize_t na, nb_;
    size_t n;
    bool found = false;
    cpu_set_t cs;

    cr_assert_eq(sg_fs_open(&fs, "/", "/", &err), 0);
    snprintf(rel, sizeof(rel), "%d/task/%d/stat", (int)getpid(), (int)me);
    cr_assert_gt(sg_read_at(fs.proc_fd, rel, buf, sizeof(buf)), 0);
    cr_assert_eq(sg_parse_thread_cpu(buf, &self), 0);
    one.w[self.cpu / 64] |= 1ull << (self.cpu % 64);
    na = sg_thread_cpu_scan(&fs, &a);
    cr_assert_gt(na, 0);
    child = fork();
    cr_assert_geq(child, 0);
    if (child == 0) {
        struct timespec t0, t;
        CPU_ZERO(&cs);
        CPU_SET(self.cpu, &cs);
        sched_setaffinity(0, sizeof(cs), &cs);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        do
            clock_gettime(CLOCK_MONOTONIC, &t);
        while ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < 300000000L);
        pause(); /* keep the thread for the second scan */
        _exit(0);
    }
    usleep(400000);
    nb_ = sg_thread_cpu_scan(&fs, &b);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    cr_assert_gt(nb_, 0);
    n = sg_cpu_neighbours(a, (size_t)na, b, (size_t)nb_, 0.4, &one, &me, 1, nb, 5);
    for (size_t i = 0; i < n; i++) {
        cr_expect_neq(nb[i].tid, me, "the excluded thread is not its own neighbour");
        cr_expect(i == 0 || nb[i - 1].cpu_ms_per_s >= nb[i].cpu_ms_per_s, "ranked");
        if (nb[i].pid == child) {
            found = true;
            cr_expect_gt(nb[i].cpu_ms_per_s, 200, "300 ms of 400 spun: %.0f ms/s", nb[i].cpu_ms_per_s);
        }
    }
    cr_expect(found, "the busy child is named among %zu neighbours", n);
    free(a);
    free(b);
    sg_fs_close(&fs);
}
