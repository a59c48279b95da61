/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The lost-time readers: taskstats on this very process (a real netlink
 * request; skipped without the TASKSTATS family or CAP_NET_ADMIN), schedstat
 * of this thread, the wchan classes, and hand-written malformed inputs
 * (labelled as such).
 */
#include <criterion/criterion.h>
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
