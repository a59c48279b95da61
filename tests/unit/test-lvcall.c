/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvirt calls with a deadline (agent/core/lvcall.h), with calls that block
 * for real on a semaphore the test holds, no libvirt: the deadline returns
 * the caller while the call still runs, the slot keeps it and refuses a second
 * one, the pool's bound, a call given up while it runs (freed by its worker),
 * and the reasons. The stuck QEMU itself is tests/integration/test-stuck.sh.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "agent/core/lvcall.h"

static sem_t gate;          /* a blocking call waits here */
static atomic_int ran, cleared;

struct arg {
    int in, out;
    bool block;
    char *heap;             /* something the call allocates (freed by clear when given up) */
};

static void fn(virConnectPtr conn, virDomainPtr dom, void *p)
{
    struct arg *a = p;

    (void)conn;
    (void)dom;
    atomic_fetch_add(&ran, 1);
    if (a->block)
        while (sem_wait(&gate) < 0 && errno == EINTR)
            ;
    a->heap = strdup("result");
    a->out = a->in * 2;
}

static void clear(void *p)
{
    struct arg *a = p;

    free(a->heap);
    a->heap = NULL;
    atomic_fetch_add(&cleared, 1);
}

static void setup(void)
{
    sem_init(&gate, 0, 0);
    atomic_store(&ran, 0);
    atomic_store(&cleared, 0);
}

/* Polls until the slot's call returned (at most 10 s). */
static bool wait_returned(struct sg_lv_slot *s)
{
    for (int i = 0; i < 1000; i++) {
        if (!sg_lv_slot_poll(s))
            return true;
        nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
    }
    return false;
}

TestSuite(lvcall, .init = setup);

Test(lvcall, in_time_results_come_back)
{
    struct sg_lv_slot s = { 0 };
    struct arg a = { .in = 21 };

    cr_assert_eq(sg_lv_call(&s, "test", fn, clear, NULL, NULL, &a, sizeof(a), 5000), 0);
    cr_assert_eq(a.out, 42);
    cr_assert_str_eq(a.heap, "result"); /* the caller's now: not cleared */
    cr_assert_eq(atomic_load(&cleared), 0);
    cr_assert_null(s.pending);
    free(a.heap);
}

Test(lvcall, deadline_returns_while_the_call_runs)
{
    struct sg_lv_slot s = { 0 };
    struct arg a = { .in = 1, .block = true }, b = { .in = 5 };
    char why[200];

    cr_assert_eq(sg_lv_call(&s, "block stats", fn, clear, NULL, NULL, &a, sizeof(a), 100), -ETIMEDOUT);
    cr_assert_eq(a.out, 0, "the caller's argument is untouched");
    cr_assert_not_null(s.pending);
    cr_assert(sg_lv_slot_poll(&s));
    cr_assert_eq(sg_lv_outstanding(), 1);
    sg_lv_why(&s, -EBUSY, why, sizeof(why));
    cr_assert(strstr(why, "libvirt call (block stats) timed out after 100 ms"), "%s", why);

    /* no second call on the slot while the first runs */
    cr_assert_eq(sg_lv_call(&s, "test", fn, clear, NULL, NULL, &b, sizeof(b), 100), -EBUSY);
    for (int i = 0; i < 1000 && atomic_load(&ran) == 0; i++)
        nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
    cr_assert_eq(atomic_load(&ran), 1);

    sem_post(&gate);
    cr_assert(wait_returned(&s));
    cr_assert_gt(s.returned_after_s, 0);
    cr_assert_eq(atomic_load(&cleared), 1, "the late result is freed, not handed out");
    cr_assert_eq(sg_lv_outstanding(), 0);
    cr_assert_eq(sg_lv_call(&s, "test", fn, clear, NULL, NULL, &b, sizeof(b), 5000), 0);
    cr_assert_eq(b.out, 10);
    free(b.heap);
}

Test(lvcall, bounded_workers)
{
    struct sg_lv_slot s[SG_LV_WORKERS + 1] = { 0 };
    struct arg a = { .block = true };
    char why[200];

    for (int i = 0; i < SG_LV_WORKERS; i++)
        cr_assert_eq(sg_lv_call(&s[i], "stuck", fn, clear, NULL, NULL, &a, sizeof(a), 50), -ETIMEDOUT);
    cr_assert_eq(sg_lv_outstanding(), SG_LV_WORKERS);
    cr_assert_eq(sg_lv_call(&s[SG_LV_WORKERS], "other", fn, clear, NULL, NULL, &a, sizeof(a), 50),
                 -EAGAIN);
    for (int i = 0; i < 1000 && atomic_load(&ran) < SG_LV_WORKERS; i++)
        nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
    cr_assert_eq(atomic_load(&ran), SG_LV_WORKERS, "nothing issued beyond the bound");
    sg_lv_why(&s[SG_LV_WORKERS], -EAGAIN, why, sizeof(why));
    cr_assert(strstr(why, "no libvirt call made"), "%s", why);
    for (int i = 0; i < SG_LV_WORKERS; i++)
        sem_post(&gate);
    for (int i = 0; i < SG_LV_WORKERS; i++)
        cr_assert(wait_returned(&s[i]));
    a.block = false;
    cr_assert_eq(sg_lv_call(&s[SG_LV_WORKERS], "other", fn, clear, NULL, NULL, &a, sizeof(a), 5000), 0);
    free(a.heap);
}

Test(lvcall, given_up_while_running)
{
    struct sg_lv_slot s = { 0 };
    struct arg a = { .block = true };

    cr_assert_eq(sg_lv_call(&s, "stuck", fn, clear, NULL, NULL, &a, sizeof(a), 50), -ETIMEDOUT);
    sg_lv_slot_release(&s); /* the domain went away */
    cr_assert_null(s.pending);
    sem_post(&gate);
    for (int i = 0; i < 1000 && atomic_load(&cleared) == 0; i++)
        nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
    cr_assert_eq(atomic_load(&cleared), 1, "the worker freed the call it ran to the end");
    cr_assert_eq(sg_lv_outstanding(), 0);
    sg_lv_slot_release(&s); /* twice, and on NULL: nothing */
    sg_lv_slot_release(NULL);
}

Test(lvcall, timeout_setting)
{
    cr_assert_eq(sg_lv_timeout_ms(), SG_LV_TIMEOUT_MS_DEFAULT);
    sg_lv_set_timeout_ms(300);
    cr_assert_eq(sg_lv_timeout_ms(), 300);
    sg_lv_set_timeout_ms(0);
    cr_assert_eq(sg_lv_timeout_ms(), SG_LV_TIMEOUT_MS_DEFAULT);
}
