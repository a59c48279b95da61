/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tracepoint counters (hostprobe/asyncpf.c) and the OOM scan (hostprobe/oomscan.c).
 *
 * - The perf path is real: counters are opened with perf_event_open(2) on this
 *   test's own thread for syscalls:sys_enter_getppid, which the test fires a
 *   known number of times. Without tracefs or permission the tests skip with
 *   the reason; they never pass silently.
 * - tracefs lookups run against the captured hybrid tree (tracepoint ids copied
 *   from the capture host's tracefs by scripts/capture-fixtures.sh) and the
 *   v1/v2 trees, which have no tracefs.
 * - The OOM scan runs on the real /proc (this process) and on a tree built from
 *   captured status/comm files.
 *
 * Hand-written (not captured) inputs are built in temporary directories and
 * marked as such below: a garbage tracepoint id, a missing tracepoint, an
 * oom_score_adj the capture did not copy, and a kernel thread's status.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hostprobe/asyncpf.h"
#include "hostprobe/oomscan.h"

#ifndef SG_TEST_DATA
#error "SG_TEST_DATA must name tests/data"
#endif

static const char *const apf_names[] = {
    "kvm_async_pf_not_present",
    "kvm_async_pf_ready",
    "kvm_try_async_get_page",
    "kvm_async_pf_repeated_fault",
};

/* ---- helpers ---------------------------------------------------------------- */

/* Writes root/rel (creating its directories); content NULL makes rel a directory. */
static void put(const char *root, const char *rel, const char *content)
{
    char path[PATH_MAX];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", root, rel);
    for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
        *p = '\0';
        cr_assert(mkdir(path, 0755) == 0 || errno == EEXIST, "mkdir %s: %s", path,
                  strerror(errno));
        *p = '/';
    }
    if (!content) {
        cr_assert(mkdir(path, 0755) == 0 || errno == EEXIST, "mkdir %s", path);
        return;
    }
    f = fopen(path, "we");
    cr_assert(f, "create %s: %s", path, strerror(errno));
    cr_assert_eq(fputs(content, f) >= 0, true);
    cr_assert_eq(fclose(f), 0);
}

static void rm_tree(const char *root)
{
    char cmd[PATH_MAX + 16];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    cr_assert_eq(system(cmd), 0);
}

/* Reads a whole small file into a malloc'd string. */
static char *slurp(const char *path)
{
    char *buf = NULL;
    size_t cap = 0;
    FILE *f = fopen(path, "re");
    ssize_t n;

    cr_assert(f, "open %s: %s", path, strerror(errno));
    n = getdelim(&buf, &cap, '\0', f);
    cr_assert_geq(n, 0, "read %s", path);
    fclose(f);
    return buf;
}

/* The value of KEY=VALUE (unquoted number) in tests/data/TREE/facts.env. */
static uint64_t fact_u64(const char *tree, const char *key)
{
    char path[PATH_MAX], line[1024];
    size_t klen = strlen(key);
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s/facts.env", SG_TEST_DATA, tree);
    f = fopen(path, "re");
    cr_assert(f, "open %s", path);
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, key, klen) == 0 && line[klen] == '=') {
            unsigned long long v;
            cr_assert_eq(sscanf(line + klen + 1, "%llu", &v), 1, "%s: %s", path, key);
            fclose(f);
            return v;
        }
    }
    fclose(f);
    cr_assert_fail("%s has no %s", path, key);
    return 0;
}

/* "Key:  N kB" of a status buffer, read by the test itself (independent of sg_parse_kv). */
static uint64_t status_kib(const char *status, const char *key)
{
    char pat[64];
    const char *p;
    unsigned long long v;

    snprintf(pat, sizeof(pat), "\n%s:", key);
    p = strstr(status, pat);
    cr_assert(p, "no %s line", key);
    cr_assert_eq(sscanf(p + strlen(pat), " %llu kB", &v), 1, "%s line", key);
    return v;
}

static void fs_open_or_fail(struct sg_fs *fs, const char *root)
{
    struct sg_error err = {0};

    cr_assert_eq(sg_fs_open(fs, root, root, &err), 0, "%s: %s", err.file, err.msg);
}

static void fixture_fs(struct sg_fs *fs, const char *tree)
{
    char root[PATH_MAX];

    snprintf(root, sizeof(root), "%s/%s", SG_TEST_DATA, tree);
    fs_open_or_fail(fs, root);
}

static void fire_getppid(unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        syscall(SYS_getppid);
}

/* Skips when tracefs or permission is missing; fails on any other error. */
static void skip_unless_opened(int r, const char *why)
{
    if (r == -ENOENT || r == -EACCES || r == -EPERM)
        cr_skip_test("cannot count tracepoints here: %s", why);
    cr_assert_eq(r, 0, "sg_tp_open: %s (%s)", strerror(-r), why);
}

/* ---- real perf_event_open --------------------------------------------------- */

Test(tracepoint, counts_own_getppid)
{
    static const char *const names[] = { "sys_enter_getppid" };
    struct sg_fs fs;
    struct sg_tp_counters *c = NULL;
    pid_t tid = gettid();
    uint64_t first, second;
    char why[256];

    fs_open_or_fail(&fs, "/");
    skip_unless_opened(sg_tp_open(&fs, "syscalls", names, NULL, 1, &tid, 1, &c, why, sizeof(why)),
                       why);
    cr_assert_eq(sg_tp_n_threads(c), 1);

    fire_getppid(100);
    cr_assert_eq(sg_tp_read(c, &first, why, sizeof(why)), 0, "%s", why);
    cr_assert_geq(first, 100);
    fire_getppid(37);
    cr_assert_eq(sg_tp_read(c, &second, why, sizeof(why)), 0, "%s", why);
    /* Nothing else in this thread calls getppid between the reads. */
    cr_assert_eq(second - first, 37, "first %llu, second %llu", (unsigned long long)first,
                 (unsigned long long)second);

    sg_tp_close(c);
    sg_fs_close(&fs);
}

static void *record_tid(void *arg)
{
    *(pid_t *)arg = gettid();
    return NULL;
}

Test(tracepoint, exited_thread_skipped)
{
    static const char *const names[] = { "sys_enter_getppid", "sys_enter_getpid" };
    struct sg_fs fs;
    struct sg_tp_counters *c = NULL;
    pid_t tids[2] = { gettid(), 0 };
    uint64_t counts[2];
    pthread_t th;
    char why[256];
    int r;

    cr_assert_eq(pthread_create(&th, NULL, record_tid, &tids[1]), 0);
    cr_assert_eq(pthread_join(th, NULL), 0);
    cr_assert_gt(tids[1], 0);
    cr_assert_neq(tids[1], tids[0]);

    fs_open_or_fail(&fs, "/");
    skip_unless_opened(sg_tp_open(&fs, "syscalls", names, NULL, 2, tids, 2, &c, why, sizeof(why)),
                       why);
    cr_assert_eq(sg_tp_n_threads(c), 1, "the joined thread must be skipped");
    fire_getppid(25);
    cr_assert_eq(sg_tp_read(c, counts, why, sizeof(why)), 0, "%s", why);
    cr_assert_geq(counts[0], 25);
    sg_tp_close(c);

    /* Only exited threads: nothing to count. */
    c = NULL;
    r = sg_tp_open(&fs, "syscalls", names, NULL, 2, &tids[1], 1, &c, why, sizeof(why));
    cr_assert_eq(r, -ESRCH, "got %d (%s)", r, why);
    cr_assert_null(c);
    sg_fs_close(&fs);
}

/* The four async-PF events open on a real KVM host (counting this thread: no vCPU, so 0). */
Test(tracepoint, apf_events_open)
{
    struct sg_vcpu_thread vcpu = { .tid = gettid(), .vcpu = 0, .accel = "KVM" };
    struct sg_tp_counters *c = NULL;
    struct sg_fs fs;
    uint64_t counts[SG_APF__MAX];
    char why[256];

    fs_open_or_fail(&fs, "/");
    skip_unless_opened(sg_apf_open(&fs, &vcpu, 1, &c, why, sizeof(why)), why);
    cr_assert_eq(sg_tp_n_threads(c), 1);
    cr_assert_eq(sg_tp_read(c, counts, why, sizeof(why)), 0, "%s", why);
    for (size_t i = 0; i < SG_APF__MAX; i++)
        cr_assert_eq(counts[i], 0, "%s counted in a thread that runs no guest", apf_names[i]);
    sg_tp_close(c);
    sg_fs_close(&fs);
}

/* ---- sg_apf_open refusals (struct literals) ------------------------------------ */

Test(apf, tcg_refused)
{
    const struct sg_vcpu_thread vcpus[] = {
        { .tid = 1000, .vcpu = 0, .accel = "TCG" },
        { .tid = 1001, .vcpu = 1, .accel = "TCG" },
    };
    struct sg_tp_counters *c = NULL;
    struct sg_fs fs;
    char why[256] = "";

    fixture_fs(&fs, "hybrid");
    cr_assert_eq(sg_apf_open(&fs, vcpus, 2, &c, why, sizeof(why)), -EOPNOTSUPP);
    cr_assert_str_eq(why, "vCPUs run under TCG: no KVM, no async PF");
    cr_assert_null(c);
    sg_fs_close(&fs);
}

Test(apf, no_vcpus)
{
    struct sg_tp_counters *c = NULL;
    struct sg_fs fs;
    char why[256] = "";

    fixture_fs(&fs, "hybrid");
    cr_assert_eq(sg_apf_open(&fs, NULL, 0, &c, why, sizeof(why)), -ENOENT);
    cr_assert_str_eq(why, "no vCPU threads");
    cr_assert_null(c);
    sg_fs_close(&fs);
}

/* ---- tracefs lookups on the captured trees ----------------------------------- */

Test(tracefs, hybrid_ids)
{
    struct sg_fs fs;
    struct sg_error err = {0};
    char dir[64];
    uint64_t ids[SG_ELEMENTSOF(apf_names)], id;

    fixture_fs(&fs, "hybrid");
    cr_assert_eq(sg_tracefs_find(&fs, dir, sizeof(dir)), 0);
    cr_assert_str_eq(dir, "kernel/tracing");
    for (size_t i = 0; i < SG_ELEMENTSOF(apf_names); i++) {
        char path[PATH_MAX];
        _cleanup_free_ char *want = NULL;

        cr_assert_eq(sg_tracepoint_id(&fs, dir, "kvm", apf_names[i], &ids[i], &err), 0,
                     "%s: %s: %s", apf_names[i], err.file, err.msg);
        /* The expected id is the captured file's content, read here with strtoull. */
        snprintf(path, sizeof(path), "%s/hybrid/sys/kernel/tracing/events/kvm/%s/id",
                 SG_TEST_DATA, apf_names[i]);
        want = slurp(path);
        cr_assert_eq(ids[i], strtoull(want, NULL, 10), "%s", apf_names[i]);
        cr_assert_gt(ids[i], 0);
        for (size_t j = 0; j < i; j++)
            cr_assert_neq(ids[i], ids[j], "%s and %s share an id", apf_names[i], apf_names[j]);
    }
    /* The capture kernel names the event repeated_fault: the old name is absent. */
    cr_assert_eq(sg_tracepoint_id(&fs, dir, "kvm", "kvm_async_pf_doublefault", &id, &err),
                 -ENOENT);
    /* Names are single path components. */
    cr_assert_eq(sg_tracepoint_id(&fs, dir, "kvm", "../kvm/kvm_async_pf_ready", &id, &err),
                 -EINVAL);
    cr_assert_eq(sg_tracepoint_id(&fs, dir, "..", "id", &id, &err), -EINVAL);
    sg_fs_close(&fs);
}

Test(tracefs, v1_v2_without_tracefs)
{
    static const char *const trees[] = { "v1", "v2" };

    for (size_t i = 0; i < SG_ELEMENTSOF(trees); i++) {
        struct sg_vcpu_thread vcpu = { .tid = gettid(), .vcpu = 0, .accel = "KVM" };
        struct sg_tp_counters *c = NULL;
        struct sg_fs fs;
        char dir[64], why[PATH_MAX * 2 + 64], want[PATH_MAX * 2 + 64];

        fixture_fs(&fs, trees[i]);
        cr_assert_eq(sg_tracefs_find(&fs, dir, sizeof(dir)), -ENOENT, "%s", trees[i]);
        cr_assert_eq(sg_apf_open(&fs, &vcpu, 1, &c, why, sizeof(why)), -ENOENT, "%s", trees[i]);
        snprintf(want, sizeof(want), "no tracefs at %s/kernel/tracing or %s/kernel/debug/tracing",
                 fs.sys_path, fs.sys_path);
        cr_assert_str_eq(why, want);
        cr_assert_null(c);
        sg_fs_close(&fs);
    }
}

/*
 * HAND-WRITTEN tree (not a capture): a tracefs whose id files hold garbage, are
 * empty or too long, and one that lacks events, to check -EINVAL with the file
 * located and the "no such tracepoint" reasons.
 */
Test(tracefs, malformed_and_missing)
{
    char root[] = "/tmp/sg-asyncpf-XXXXXX";
    struct sg_vcpu_thread vcpu = { .tid = gettid(), .vcpu = 0, .accel = "KVM" };
    struct sg_tp_counters *c = NULL;
    struct sg_error err = {0};
    struct sg_fs fs;
    char big[200], dir[64], why[PATH_MAX + 300], want[PATH_MAX + 64];
    uint64_t id;
    int r;

    memset(big, '7', sizeof(big) - 2);
    big[sizeof(big) - 2] = '\n';
    big[sizeof(big) - 1] = '\0';
    cr_assert(mkdtemp(root));
    put(root, "proc", NULL);
    put(root, "sys/kernel/tracing/events/kvm/kvm_async_pf_not_present/id", "not a number\n");
    put(root, "sys/kernel/tracing/events/kvm/kvm_async_pf_ready/id", "");
    put(root, "sys/kernel/tracing/events/kvm/kvm_try_async_get_page/id", big);
    put(root, "sys/kernel/tracing/events/kvm/kvm_async_pf_doublefault/id", "35\n");
    fs_open_or_fail(&fs, root);

    cr_assert_eq(sg_tracefs_find(&fs, dir, sizeof(dir)), 0);
    cr_assert_str_eq(dir, "kernel/tracing");

    r = sg_tracepoint_id(&fs, dir, "kvm", "kvm_async_pf_not_present", &id, &err);
    cr_assert_eq(r, -EINVAL);
    snprintf(want, sizeof(want), "%s/kernel/tracing/events/kvm/kvm_async_pf_not_present/id",
             fs.sys_path);
    cr_assert_str_eq(err.file, want);
    cr_assert_eq(err.line, 1);
    cr_assert(strstr(err.msg, "not a number"), "%s", err.msg);
    cr_assert_eq(sg_tracepoint_id(&fs, dir, "kvm", "kvm_async_pf_ready", &id, &err), -EINVAL);
    cr_assert(strstr(err.file, "kvm_async_pf_ready/id"), "%s", err.file);
    cr_assert_eq(sg_tracepoint_id(&fs, dir, "kvm", "kvm_try_async_get_page", &id, &err), -EINVAL);
    cr_assert(strstr(err.file, "kvm_try_async_get_page/id"), "%s", err.file);
    cr_assert_eq(sg_tracepoint_id(&fs, dir, "kvm", "kvm_async_pf_doublefault", &id, &err), 0);
    cr_assert_eq(id, 35);

    /* sg_apf_open reports the located file in why. */
    cr_assert_eq(sg_apf_open(&fs, &vcpu, 1, &c, why, sizeof(why)), -EINVAL);
    cr_assert(strstr(why, want) == why, "why: %s", why);
    cr_assert_null(c);

    /* The alternative name is tried when the main one is missing: the failure is the next name. */
    {
        static const char *const names[] = { "kvm_async_pf_repeated_fault", "kvm_no_such_event" };
        static const char *const alts[] = { "kvm_async_pf_doublefault", NULL };

        cr_assert_eq(sg_tp_open(&fs, "kvm", names, alts, 2, &vcpu.tid, 1, &c, why, sizeof(why)),
                     -ENOENT);
        cr_assert_str_eq(why, "kvm:kvm_no_such_event: no such tracepoint (kvm module not loaded?)");
        cr_assert_eq(sg_tp_open(&fs, "kvm", names, NULL, 2, &vcpu.tid, 1, &c, why, sizeof(why)),
                     -ENOENT);
        cr_assert_str_eq(why,
                         "kvm:kvm_async_pf_repeated_fault: no such tracepoint (kvm module not loaded?)");
        cr_assert_null(c);
    }
    sg_fs_close(&fs);
    rm_tree(root);
}

/* ---- OOM scan --------------------------------------------------------------- */

static int write_adj(int adj)
{
    FILE *f = fopen("/proc/self/oom_score_adj", "we");
    int r;

    if (!f)
        return -errno;
    r = fprintf(f, "%d\n", adj) < 0 ? -EIO : 0;
    if (fclose(f) != 0 && r == 0)
        r = -errno;
    return r;
}

Test(oomscan, real_proc_finds_self)
{
    struct sg_oom_proc *v = NULL;
    struct sg_fs fs;
    _cleanup_free_ char *comm = slurp("/proc/self/comm");
    _cleanup_free_ char *old = slurp("/proc/self/oom_score_adj");
    int n, old_adj = atoi(old), adj = 0, found = -1, r;

    comm[strcspn(comm, "\n")] = '\0';
    if ((r = write_adj(123)) < 0)
        cr_skip_test("cannot write /proc/self/oom_score_adj: %s", strerror(-r));
    fs_open_or_fail(&fs, "/");
    n = sg_oom_scan(&fs, &v);
    r = sg_oom_score_adj_read(&fs, getpid(), &adj);
    cr_assert_eq(write_adj(old_adj), 0, "restore oom_score_adj");

    cr_assert_gt(n, 0, "sg_oom_scan: %d", n);
    cr_assert_eq(r, 0);
    cr_assert_eq(adj, 123);
    for (int i = 0; i < n; i++) {
        cr_assert_gt(v[i].pid, 0);
        cr_assert(v[i].oom_score_adj >= -1000 && v[i].oom_score_adj <= 1000);
        cr_assert_null(strchr(v[i].comm, '\n'), "pid %d comm keeps its newline", v[i].pid);
        if (v[i].pid == getpid())
            found = i;
    }
    cr_assert_geq(found, 0, "own pid %d not in the scan", (int)getpid());
    cr_assert_gt(v[found].rss_kib, 0);
    cr_assert_eq(v[found].oom_score_adj, 123);
    cr_assert_str_eq(v[found].comm, comm);
    free(v);
    sg_fs_close(&fs);
}

Test(oomscan, real_proc_skips_kernel_threads_and_gone)
{
    struct sg_oom_proc *v = NULL;
    struct sg_fs fs;
    char status[8192];
    int n, adj;
    pid_t child;

    fs_open_or_fail(&fs, "/");
    /* kthreadd is pid 2 on a host (not in a pid namespace): it has no VmRSS. */
    if (sg_read_at(fs.proc_fd, "2/status", status, sizeof(status)) > 0 &&
        strstr(status, "Name:\tkthreadd\n") && !strstr(status, "\nVmRSS:")) {
        n = sg_oom_scan(&fs, &v);
        cr_assert_gt(n, 0);
        for (int i = 0; i < n; i++)
            cr_assert_neq(v[i].pid, 2, "kernel thread kthreadd listed");
        free(v);
    }

    child = fork();
    cr_assert_geq(child, 0);
    if (child == 0) {
        pause();
        _exit(0);
    }
    cr_assert_eq(sg_oom_score_adj_read(&fs, child, &adj), 0);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    cr_assert_eq(sg_oom_score_adj_read(&fs, child, &adj), -ESRCH);
    sg_fs_close(&fs);
}

/*
 * The captured QEMU processes of the hybrid tree. The capture copied
 * proc/PID/status and proc/PID/task/TID/comm, but neither proc/PID/comm nor
 * proc/PID/oom_score_adj, so the tree is assembled in a temporary directory:
 * captured status, the main thread's captured comm (task/PID/comm equals
 * proc/PID/comm), and a HAND-WRITTEN oom_score_adj. Also hand-written: a
 * kernel thread (status without VmRSS) that must be skipped, a pid directory
 * without files (a process that exited) and an oom_score_adj out of range.
 */
Test(oomscan, fixture_tree)
{
    static const char *const doms[] = { "SQ", "ODD" };
    static const char *const adjs[] = { "0\n", "-900\n" };
    char root[] = "/tmp/sg-oomscan-XXXXXX";
    struct sg_oom_proc *v = NULL;
    struct sg_fs fs;
    char key[32], rel[128], path[PATH_MAX];
    char *status[2], *comm[2];
    pid_t pids[2];
    int n, adj;

    cr_assert(mkdtemp(root));
    put(root, "sys", NULL);
    for (size_t d = 0; d < 2; d++) {
        snprintf(key, sizeof(key), "%s_PID", doms[d]);
        pids[d] = (pid_t)fact_u64("hybrid", key);
        snprintf(path, sizeof(path), "%s/hybrid/proc/%d/status", SG_TEST_DATA, (int)pids[d]);
        status[d] = slurp(path);
        snprintf(path, sizeof(path), "%s/hybrid/proc/%d/task/%d/comm", SG_TEST_DATA,
                 (int)pids[d], (int)pids[d]);
        comm[d] = slurp(path);
        snprintf(rel, sizeof(rel), "proc/%d/status", (int)pids[d]);
        put(root, rel, status[d]);
        snprintf(rel, sizeof(rel), "proc/%d/comm", (int)pids[d]);
        put(root, rel, comm[d]);
        snprintf(rel, sizeof(rel), "proc/%d/oom_score_adj", (int)pids[d]);
        put(root, rel, adjs[d]);
    }
    put(root, "proc/2/status", "Name:\tkthreadd\nState:\tS (sleeping)\nPid:\t2\nThreads:\t1\n");
    put(root, "proc/2/comm", "kthreadd\n");
    put(root, "proc/2/oom_score_adj", "0\n");
    put(root, "proc/3", NULL);
    put(root, "proc/4/status", status[0]);
    put(root, "proc/4/comm", "x\n");
    put(root, "proc/4/oom_score_adj", "1001\n");
    put(root, "proc/self", NULL);

    fs_open_or_fail(&fs, root);
    cr_assert_eq(sg_oom_score_adj_read(&fs, 4, &adj), -EINVAL);
    cr_assert_eq(sg_oom_score_adj_read(&fs, 3, &adj), -ESRCH);
    n = sg_oom_scan(&fs, &v);
    cr_assert_eq(n, 2, "got %d processes", n);
    for (size_t d = 0; d < 2; d++) {
        const struct sg_oom_proc *p = v[0].pid == pids[d] ? &v[0] : &v[1];

        snprintf(key, sizeof(key), "%s_VMRSS_KIB", doms[d]);
        cr_assert_eq(p->pid, pids[d]);
        cr_assert_eq(p->rss_kib, fact_u64("hybrid", key), "%s rss", doms[d]);
        snprintf(key, sizeof(key), "%s_VMSWAP_KIB", doms[d]);
        cr_assert_eq(p->swap_kib, fact_u64("hybrid", key), "%s swap", doms[d]);
        cr_assert_eq(p->pte_kib, status_kib(status[d], "VmPTE"), "%s pte", doms[d]);
        comm[d][strcspn(comm[d], "\n")] = '\0';
        cr_assert_str_eq(p->comm, comm[d]);
        cr_assert_eq(p->oom_score_adj, atoi(adjs[d]));
        free(status[d]);
        free(comm[d]);
    }
    free(v);
    sg_fs_close(&fs);
    rm_tree(root);
}
