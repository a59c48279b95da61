/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A process that exits while swapguard measures it: a real child process,
 * read while alive, then killed and reaped. Every reader must answer -ESRCH
 * (domain stopped), never crash or report stale figures.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <sys/wait.h>

#include "hostprobe/cgroup.h"
#include "hostprobe/procfs.h"
#include "hostprobe/sample.h"
#include "hostprobe/smaps.h"

static struct sg_fs fs = { .proc_fd = -1, .sys_fd = -1, .run_fd = -1 };

static void setup(void)
{
    cr_assert_eq(sg_fs_open(&fs, "/", "/", NULL), 0);
}

static void teardown(void)
{
    sg_fs_close(&fs);
}

static pid_t spawn(void)
{
    pid_t p = fork();
    cr_assert_geq(p, 0);
    if (p == 0) {
        pause();
        _exit(0);
    }
    return p;
}

static void reap(pid_t p)
{
    kill(p, SIGKILL);
    waitpid(p, NULL, 0);
}

TestSuite(vanish, .init = setup, .fini = teardown);

Test(vanish, status_and_stat)
{
    struct sg_proc_status st;
    struct sg_proc_stat s;
    struct sg_error err = {0};
    pid_t p = spawn();

    cr_assert_eq(sg_proc_read(&fs, p, &st, &s, &err), 0);
    cr_assert_gt(st.vm_rss_kib, 0);
    reap(p);
    cr_assert_eq(sg_proc_read(&fs, p, &st, &s, &err), -ESRCH);
}

Test(vanish, cgroup_threads_smaps_and_sample)
{
    _cleanup_(sg_cgroup_clear) struct sg_cgroup cg = { 0 };
    struct sg_dom_sample ds;
    struct sg_vcpu_thread *v = NULL;
    struct sg_guest_ram ram;
    uint64_t swap;
    struct sg_error err = {0};
    pid_t p = spawn();

    cr_assert_eq(sg_cgroup_locate(&fs, p, &cg, &err), 0);
    cr_assert_eq(sg_vcpu_threads_read(&fs, p, &v, &err), 0, "a plain process has no vCPU threads");
    free(v);
    reap(p);
    cr_assert_eq(sg_cgroup_locate(&fs, p, &cg, &err), -ESRCH);
    cr_assert_eq(sg_vcpu_threads_read(&fs, p, &v, &err), -ESRCH);
    cr_assert_eq(sg_guest_ram_read(&fs, p, 1024, &ram, &err), -ESRCH);
    cr_assert_eq(sg_smaps_rollup_swap(&fs, p, &swap, &err), -ESRCH);
    cr_assert_eq(sg_dom_sample_read(&fs, p, &cg, true, &ds, &err), -ESRCH);
    sg_dom_sample_clear(&ds);
}
