/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The tick's looks at vCPU threads over many domains (agent/core/collect.h
 * sg_collect_looks), on this very process's threads standing for QEMU's vCPU
 * threads: every located domain gets SG_LOST_LOOKS looks per thread and takes
 * none of its own afterwards; a domain not located is passed over; a thread in
 * D state for real (a vfork parent waits uninterruptibly for its child) is
 * counted as D state but not as swap-in.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/core/collect.h"
#include "agent/core/domain.h"

#define N_DOMS 8

struct doms {
    struct sg_dom w[N_DOMS];
    pid_t tids[N_DOMS][1];
    struct sg_vcpu_lost acc[N_DOMS][1];
};

static struct sg_dom *at(void *opaque, size_t i)
{
    return &((struct doms *)opaque)->w[i];
}

static void setup_doms(struct doms *d, pid_t tid)
{
    memset(d, 0, sizeof(*d));
    for (size_t i = 0; i < N_DOMS; i++) {
        d->tids[i][0] = tid;
        d->w[i].d.pid = getpid();
        d->w[i].located = true;
        d->w[i].vcpu_tids = d->tids[i];
        d->w[i].n_vcpu_tids = 1;
        d->w[i].vcpu_acc = d->acc[i];
    }
}

Test(collect_looks, every_located_domain_once_per_pass)
{
    struct sg_fs fs;
    struct sg_error err = { 0 };
    struct doms d;

    cr_assert_eq(sg_fs_open(&fs, "/", "/", &err), 0);
    setup_doms(&d, (pid_t)syscall(SYS_gettid));
    d.w[3].located = false;          /* its QEMU not found: nothing to look at */
    d.w[5].n_vcpu_tids = 0;          /* no vCPU thread known */
    sg_collect_looks(&fs, at, &d, N_DOMS);
    for (size_t i = 0; i < N_DOMS; i++) {
        bool skipped = i == 3 || i == 5;

        cr_expect_eq(d.w[i].looks, skipped ? 0 : SG_LOST_LOOKS, "domain %zu: %" PRIu64 " looks", i,
                     d.w[i].looks);
        cr_expect_eq(d.w[i].looks_taken, !skipped, "domain %zu", i);
        cr_expect_eq(d.acc[i][0].looks, skipped ? 0 : SG_LOST_LOOKS, "domain %zu's vCPU 0", i);
        cr_expect_eq(d.w[i].looks_dstate, 0, "this thread runs while it looks at itself");
        cr_expect_eq(d.w[i].looks_swapin, 0);
    }
    sg_fs_close(&fs);
}

static atomic_int vforking;
static atomic_int tid_of_parent;

/* Waits in D state (vfork: the parent sleeps uninterruptibly until the child exits). */
static void *vfork_parent(void *arg)
{
    pid_t c;

    (void)arg;
    tid_of_parent = (int)syscall(SYS_gettid);
    vforking = 1;
    c = vfork();
    if (c == 0) {
        struct timespec t = { .tv_sec = 0, .tv_nsec = 600 * 1000000L };

        nanosleep(&t, NULL);
        _exit(0);
    }
    if (c > 0)
        waitpid(c, NULL, 0);
    return NULL;
}

Test(collect_looks, a_thread_in_d_state_is_counted_not_as_swapin)
{
    struct sg_fs fs;
    struct sg_error err = { 0 };
    struct doms d;
    pthread_t th;
    struct timespec settle = { .tv_sec = 0, .tv_nsec = 100 * 1000000L };

    cr_assert_eq(sg_fs_open(&fs, "/", "/", &err), 0);
    cr_assert_eq(pthread_create(&th, NULL, vfork_parent, NULL), 0);
    while (!vforking)
        sched_yield();
    nanosleep(&settle, NULL);        /* the vfork has begun; its child sleeps 600 ms */
    setup_doms(&d, (pid_t)tid_of_parent);
    sg_collect_looks(&fs, at, &d, N_DOMS);
    pthread_join(th, NULL);
    for (size_t i = 0; i < N_DOMS; i++) {
        cr_expect_eq(d.w[i].looks, SG_LOST_LOOKS, "domain %zu", i);
        cr_expect_eq(d.w[i].looks_dstate, SG_LOST_LOOKS, "domain %zu: the vfork parent waits in D state",
                     i);
        cr_expect_eq(d.acc[i][0].looks_dstate, SG_LOST_LOOKS, "domain %zu's vCPU 0", i);
        cr_expect_eq(d.w[i].looks_swapin, 0, "waiting for a vfork child is not a swap-in");
    }
    sg_fs_close(&fs);
}
