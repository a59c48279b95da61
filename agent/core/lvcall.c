/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt calls with a deadline (lvcall.h): a small pool of worker threads. */
#include "agent/core/lvcall.h"

#include <errno.h>
#include <libvirt/virterror.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct sg_lv_call {
    struct sg_lv_call *next;     /* in the queue */
    sg_lv_fn fn;
    sg_lv_clear_fn clear;
    virConnectPtr conn;          /* referenced for the call, released by the worker */
    virDomainPtr dom;            /* likewise */
    void *arg;                   /* the copy fn works on */
    bool done;                   /* fn returned */
    bool abandoned;              /* nobody waits for it: the worker frees it */
    bool late;                   /* past its deadline: counted in pool.late */
};

static struct {
    pthread_mutex_t lock;
    pthread_cond_t work;         /* a call was queued */
    pthread_cond_t done;         /* a call returned (broadcast; waiters check theirs) */
    bool cond_ready;
    struct sg_lv_call *head, *tail;
    unsigned threads, idle;
    unsigned late;               /* calls past their deadline that have not returned */
} pool = { .lock = PTHREAD_MUTEX_INITIALIZER };

static int call_timeout_ms = SG_LV_TIMEOUT_MS_DEFAULT; /* set and read by the calling thread only */

int sg_lv_timeout_ms(void)
{
    return call_timeout_ms;
}

void sg_lv_set_timeout_ms(int ms)
{
    call_timeout_ms = ms > 0 ? ms : SG_LV_TIMEOUT_MS_DEFAULT;
}

static void call_free(struct sg_lv_call *c)
{
    if (c->clear)
        c->clear(c->arg);
    free(c->arg);
    free(c);
}

static void *worker(void *unused)
{
    (void)unused;
    pthread_mutex_lock(&pool.lock);
    for (;;) {
        struct sg_lv_call *c;

        while (!pool.head) {
            pool.idle++;
            pthread_cond_wait(&pool.work, &pool.lock);
            pool.idle--;
        }
        c = pool.head;
        pool.head = c->next;
        if (!pool.head)
            pool.tail = NULL;
        pthread_mutex_unlock(&pool.lock);

        c->fn(c->conn, c->dom, c->arg);
        if (c->dom)
            virDomainFree(c->dom);
        if (c->conn)
            virConnectClose(c->conn);

        pthread_mutex_lock(&pool.lock);
        c->done = true;
        if (c->late)
            pool.late--;
        if (c->abandoned)
            call_free(c);
        else
            pthread_cond_broadcast(&pool.done);
    }
    return NULL;
}

/* With pool.lock held: the condition variables on CLOCK_MONOTONIC, once. */
static int pool_init_locked(void)
{
    pthread_condattr_t ca;

    if (pool.cond_ready)
        return 0;
    if (pthread_condattr_init(&ca) != 0)
        return -ENOMEM;
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    if (pthread_cond_init(&pool.done, &ca) != 0 || pthread_cond_init(&pool.work, NULL) != 0) {
        pthread_condattr_destroy(&ca);
        return -ENOMEM;
    }
    pthread_condattr_destroy(&ca);
    pool.cond_ready = true;
    return 0;
}

/* With pool.lock held: the pending call of slot released if it returned; true while it runs. */
static bool poll_locked(struct sg_lv_slot *slot)
{
    struct sg_lv_call *c = slot->pending;

    if (!c)
        return false;
    if (!c->done)
        return true;
    slot->returned_after_s = sg_mono_s() - slot->since;
    slot->pending = NULL;
    call_free(c);
    return false;
}

bool sg_lv_slot_poll(struct sg_lv_slot *slot)
{
    bool busy;

    pthread_mutex_lock(&pool.lock);
    busy = poll_locked(slot);
    pthread_mutex_unlock(&pool.lock);
    return busy;
}

int sg_lv_call(struct sg_lv_slot *slot, const char *what, sg_lv_fn fn, sg_lv_clear_fn clear,
               virConnectPtr conn, virDomainPtr dom, void *arg, size_t arg_size, int timeout_ms)
{
    struct sg_lv_call *c;
    struct timespec until;
    double t0 = sg_mono_s(), t_end;
    int r = 0;

    pthread_mutex_lock(&pool.lock);
    if (poll_locked(slot)) {
        pthread_mutex_unlock(&pool.lock);
        return -EBUSY;
    }
    if (pool_init_locked() < 0) {
        pthread_mutex_unlock(&pool.lock);
        return -ENOMEM;
    }
    if (pool.idle == 0 && pool.threads >= SG_LV_WORKERS) {
        pthread_mutex_unlock(&pool.lock);
        return -EAGAIN;
    }
    c = calloc(1, sizeof(*c));
    if (c)
        c->arg = malloc(arg_size ? arg_size : 1);
    if (!c || !c->arg) {
        pthread_mutex_unlock(&pool.lock);
        if (c)
            free(c);
        return -ENOMEM;
    }
    if (pool.idle == 0) {
        pthread_attr_t at;
        pthread_t t;
        int e;

        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        e = pthread_create(&t, &at, worker, NULL);
        pthread_attr_destroy(&at);
        if (e != 0) {
            pthread_mutex_unlock(&pool.lock);
            free(c->arg);
            free(c);
            return -EAGAIN;
        }
        pool.threads++;
    }
    memcpy(c->arg, arg, arg_size);
    c->fn = fn;
    c->clear = clear;
    if (dom && virDomainRef(dom) == 0)
        c->dom = dom;
    if (conn && virConnectRef(conn) == 0)
        c->conn = conn;
    if (pool.tail)
        pool.tail->next = c;
    else
        pool.head = c;
    pool.tail = c;
    pthread_cond_signal(&pool.work);

    t_end = t0 + timeout_ms / 1000.0;
    until.tv_sec = (time_t)t_end;
    until.tv_nsec = (long)((t_end - (double)until.tv_sec) * 1e9);
    while (!c->done && r != ETIMEDOUT)
        r = pthread_cond_timedwait(&pool.done, &pool.lock, &until);
    if (c->done) {
        memcpy(arg, c->arg, arg_size);
        c->clear = NULL; /* what fn left belongs to the caller now */
        call_free(c);
        pthread_mutex_unlock(&pool.lock);
        return 0;
    }
    c->late = true;
    pool.late++;
    slot->pending = c;
    slot->since = t0;
    slot->timeout_ms = timeout_ms;
    slot->returned_after_s = 0;
    snprintf(slot->what, sizeof(slot->what), "%s", what);
    pthread_mutex_unlock(&pool.lock);
    return -ETIMEDOUT;
}

void sg_lv_why(const struct sg_lv_slot *slot, int r, char *why, size_t size)
{
    double since;
    char what[sizeof(slot->what)];
    int timeout_ms;
    bool pending;

    pthread_mutex_lock(&pool.lock);
    pending = slot->pending != NULL;
    since = slot->since;
    timeout_ms = slot->timeout_ms;
    memcpy(what, slot->what, sizeof(what));
    pthread_mutex_unlock(&pool.lock);

    if (r == -EAGAIN)
        snprintf(why, size, "no libvirt call made: all %d libvirt workers wait for calls to other "
                 "domains that timed out", SG_LV_WORKERS);
    else if (r == -ENOMEM)
        snprintf(why, size, "no libvirt call made: out of memory");
    else if (pending)
        snprintf(why, size, "libvirt call (%s) timed out after %d ms; no answer for %.0f s",
                 what, timeout_ms, sg_mono_s() - since);
    else
        snprintf(why, size, "libvirt call failed: %s", strerror(r < 0 ? -r : EIO));
}

void sg_lv_slot_release(struct sg_lv_slot *slot)
{
    if (!slot)
        return;
    pthread_mutex_lock(&pool.lock);
    if (slot->pending) {
        if (slot->pending->done)
            call_free(slot->pending);
        else
            slot->pending->abandoned = true;
        slot->pending = NULL;
    }
    pthread_mutex_unlock(&pool.lock);
}

unsigned sg_lv_outstanding(void)
{
    unsigned n;

    pthread_mutex_lock(&pool.lock);
    n = pool.late;
    pthread_mutex_unlock(&pool.lock);
    return n;
}

/* ---- the domain listing ------------------------------------------------------------ */

struct list_arg {
    bool all, plain;
    int n;
    struct sg_domain *v;
    struct sg_error err;
};

/*
 * The listing without jobs goes over a connection of its own: on the connection whose
 * stats call waits for a QEMU that does not answer, a second call can wait too, with
 * libvirtd idle (seen with libvirt 9.0: 3 of 4 tries, and 0 of 4 on a fresh connection).
 * Read-only first (all it needs), read-write where the host offers no read-only socket;
 * the caller's connection when neither opens.
 */
static void list_plain(virConnectPtr conn, struct list_arg *a)
{
    char *uri = virConnectGetURI(conn);
    virConnectPtr own = uri ? virConnectOpenReadOnly(uri) : NULL;

    if (uri && !own)
        own = virConnectOpen(uri);
    free(uri);
    a->n = sg_domains_list_nojob(own ? own : conn, a->all, &a->v, &a->err);
    if (own)
        virConnectClose(own);
}

static void list_fn(virConnectPtr conn, virDomainPtr dom, void *p)
{
    struct list_arg *a = p;

    (void)dom;
    a->v = NULL;
    if (a->plain)
        list_plain(conn, a);
    else
        a->n = sg_domains_list(conn, a->all, &a->v, &a->err);
    virResetLastError();
}

static void list_clear(void *p)
{
    struct list_arg *a = p;

    if (a->n > 0)
        sg_domains_free(a->v, (size_t)a->n);
    a->v = NULL;
    a->n = 0;
}

int sg_lv_domains_list(virConnectPtr conn, bool all, int timeout_ms, struct sg_domain **out,
                       bool *fell_back, struct sg_error *err)
{
    /* the stats listing and the plain one: each at most one outstanding, process-wide */
    static struct sg_lv_slot stats_slot, plain_slot;
    struct list_arg a = { .all = all };
    int r;

    *fell_back = false;
    r = sg_lv_call(&stats_slot, "domain listing", list_fn, list_clear, conn, NULL, &a, sizeof(a),
                   timeout_ms);
    if (r == 0)
        goto done;
    *fell_back = true;
    a = (struct list_arg){ .all = all, .plain = true };
    r = sg_lv_call(&plain_slot, "domain listing without jobs", list_fn, list_clear, conn, NULL, &a,
                   sizeof(a), timeout_ms);
    if (r == 0)
        goto done;
    if (r == -ETIMEDOUT || r == -EBUSY)
        sg_error_set(err, NULL, NULL, 0, "libvirt did not list the domains within %d ms", timeout_ms);
    else
        sg_error_set(err, NULL, NULL, 0, "cannot list the domains: %s", strerror(-r));
    return r == -EBUSY ? -ETIMEDOUT : r;
done:
    if (a.n < 0) {
        *err = a.err;
        return a.n;
    }
    *out = a.v;
    return a.n;
}
