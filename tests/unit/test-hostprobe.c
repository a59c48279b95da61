/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The readers against real captured trees (tests/data/{hybrid,v1,v2}, made by
 * scripts/capture-fixtures.sh). Every expected number comes from the tree's
 * facts.env, measured at capture time by awk/virsh, never typed here: a
 * recapture changes the numbers, not this file.
 *
 * The hand-made cases are marked as such: vanished_thread, a tree built in a
 * temporary directory to express a thread that exits between readdir and read,
 * and the malformed /proc/sys files of sysctl.malformed_and_out_of_range (the
 * good case reads this host's own /proc/sys).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostprobe/cgroup.h"
#include "hostprobe/domains.h"
#include "hostprobe/hostmem.h"
#include "hostprobe/procfs.h"
#include "hostprobe/sample.h"
#include "hostprobe/smaps.h"
#include "hostprobe/sysctl.h"
#include "hostprobe/lostime.h"

#ifndef SG_TEST_DATA
#error "SG_TEST_DATA must name tests/data"
#endif

/* ---- facts.env: KEY=VALUE lines, values optionally in '...' with '\'' -------- */

#define MAX_FACTS 128

struct facts {
    size_t n;
    char key[MAX_FACTS][64];
    char val[MAX_FACTS][512];
};

static void facts_parse_value(const char *p, char *out, size_t size, const char *where)
{
    size_t w = 0;

    while (*p && *p != '\n' && *p != ' ' && *p != '\t' && *p != '#') {
        if (*p == '\'') {
            const char *e = strchr(p + 1, '\'');
            cr_assert(e, "%s: unterminated quote", where);
            for (p++; p < e; p++) {
                cr_assert(w + 1 < size, "%s: value too long", where);
                out[w++] = *p;
            }
            p++;
        } else if (*p == '\\' && p[1]) {
            cr_assert(w + 1 < size, "%s: value too long", where);
            out[w++] = p[1];
            p += 2;
        } else {
            cr_assert(w + 1 < size, "%s: value too long", where);
            out[w++] = *p++;
        }
    }
    out[w] = '\0';
}

static void facts_load(const char *tree, struct facts *f)
{
    char path[PATH_MAX], line[1024];
    FILE *in;
    unsigned lineno = 0;

    snprintf(path, sizeof(path), "%s/%s/facts.env", SG_TEST_DATA, tree);
    in = fopen(path, "re");
    cr_assert(in, "cannot open %s: %s", path, strerror(errno));
    f->n = 0;
    while (fgets(line, sizeof(line), in)) {
        char where[PATH_MAX + 16];
        const char *eq;

        lineno++;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        eq = strchr(line, '=');
        snprintf(where, sizeof(where), "%s:%u", path, lineno);
        cr_assert(eq && eq > line && (size_t)(eq - line) < sizeof(f->key[0]), "%s: no KEY=", where);
        cr_assert(f->n < MAX_FACTS, "%s: too many facts", where);
        memcpy(f->key[f->n], line, (size_t)(eq - line));
        f->key[f->n][eq - line] = '\0';
        facts_parse_value(eq + 1, f->val[f->n], sizeof(f->val[0]), where);
        f->n++;
    }
    fclose(in);
}

static const char *fact(const struct facts *f, const char *prefix, const char *key)
{
    char k[64];

    snprintf(k, sizeof(k), "%s%s%s", prefix ? prefix : "", prefix && *prefix ? "_" : "", key);
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->key[i], k) == 0)
            return f->val[i];
    cr_assert_fail("facts.env has no %s", k);
    return NULL;
}

static uint64_t fact_u64(const struct facts *f, const char *prefix, const char *key)
{
    const char *v = fact(f, prefix, key);
    uint64_t u;

    cr_assert_eq(sg_parse_u64(v, strlen(v), &u), 0, "%s_%s='%s' is not a number", prefix, key, v);
    return u;
}

static double fact_double(const struct facts *f, const char *prefix, const char *key)
{
    const char *v = fact(f, prefix, key);
    char *end;
    double d = strtod(v, &end);

    cr_assert(end != v && *end == '\0', "%s_%s='%s' is not a number", prefix, key, v);
    return d;
}

static pid_t fact_pid(const struct facts *f, const char *prefix)
{
    return (pid_t)fact_u64(f, prefix, "PID");
}

/* A v1 limit as the kernel prints "unlimited" (PAGE_COUNTER_MAX pages) reads as SG_UNLIMITED. */
static uint64_t expected_limit(uint64_t v)
{
    return v >= 0x7FFFFFFFFFFFF000ULL ? SG_UNLIMITED : v;
}

/* ---- per-tree state ------------------------------------------------------- */

static struct facts facts;
static struct sg_fs fs = { .proc_fd = -1, .sys_fd = -1, .run_fd = -1 };
static struct sg_error err;

static void open_tree(const char *tree)
{
    char root[PATH_MAX];

    facts_load(tree, &facts);
    cr_assert_str_eq(fact(&facts, NULL, "LAYOUT"), tree);
    snprintf(root, sizeof(root), "%s/%s", SG_TEST_DATA, tree);
    memset(&err, 0, sizeof(err));
    cr_assert_eq(sg_fs_open(&fs, root, root, &err), 0, "sg_fs_open %s: %s", root, err.msg);
}

static void hybrid_init(void) { open_tree("hybrid"); }
static void v1_init(void) { open_tree("v1"); }
static void v2_init(void) { open_tree("v2"); }
static void tree_fini(void) { sg_fs_close(&fs); }

static const char *const domains[] = { "SQ", "ODD" };

static char *read_tree_file(const char *tree, const char *rel)
{
    char path[PATH_MAX];
    char *buf = NULL;
    int dirfd;
    ssize_t n;

    snprintf(path, sizeof(path), "%s/%s", SG_TEST_DATA, tree);
    dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    cr_assert_geq(dirfd, 0, "%s: %s", path, strerror(errno));
    n = sg_read_at_alloc(dirfd, rel, 4 << 20, &buf);
    close(dirfd);
    cr_assert_geq(n, 0, "%s/%s: %s", path, rel, strerror((int)-n));
    return buf;
}

/* ---- checks shared by the hybrid and v1 trees (QEMU under libvirt) --------- */

static void check_proc(void)
{
    for (size_t i = 0; i < SG_ELEMENTSOF(domains); i++) {
        const char *d = domains[i];
        struct sg_proc_status st;
        struct sg_proc_stat s;

        cr_assert_eq(sg_proc_read(&fs, fact_pid(&facts, d), &st, &s, &err), 0, "%s: %s", d, err.msg);
        cr_assert_eq(st.vm_rss_kib, fact_u64(&facts, d, "VMRSS_KIB"), "%s VmRSS", d);
        cr_assert_eq(st.vm_swap_kib, fact_u64(&facts, d, "VMSWAP_KIB"), "%s VmSwap", d);
        cr_assert_eq(st.rss_shmem_kib, fact_u64(&facts, d, "RSSSHMEM_KIB"), "%s RssShmem", d);
        cr_assert_eq(s.majflt, fact_u64(&facts, d, "MAJFLT"), "%s majflt", d);
        cr_assert_eq(s.minflt, fact_u64(&facts, d, "MINFLT"), "%s minflt", d);
    }
    /* The squeezed guest is in host swap and was faulting it back in. */
    cr_assert_gt(fact_u64(&facts, "SQ", "VMSWAP_KIB"), 0);
    cr_assert_gt(fact_u64(&facts, "SQ", "MAJFLT"), 0);
    cr_assert_eq(fact_u64(&facts, "ODD", "VMSWAP_KIB"), 0);
}

static void check_vcpus(void)
{
    for (size_t i = 0; i < SG_ELEMENTSOF(domains); i++) {
        const char *d = domains[i];
        pid_t pid = fact_pid(&facts, d);
        struct sg_vcpu_thread *v = NULL;
        int n = sg_vcpu_threads_read(&fs, pid, &v, &err);

        /* The tree holds every thread (main loop, RCU, I/O, vCPU); only one is a vCPU. */
        cr_assert_gt(fact_u64(&facts, d, "N_THREADS"), 1);
        cr_assert_eq(n, 1, "%s: %d vCPU threads (%s)", d, n, err.msg);
        cr_assert_eq(v[0].tid, (pid_t)fact_u64(&facts, d, "VCPU_TID"));
        cr_assert_eq(v[0].vcpu, 0);
        cr_assert_str_eq(v[0].stat.comm, fact(&facts, d, "VCPU_COMM"));
        cr_assert_str_eq(v[0].stat.comm, "CPU 0/TCG");
        cr_assert_str_eq(v[0].accel, "TCG");
        cr_assert_eq(v[0].stat.majflt, fact_u64(&facts, d, "VCPU_MAJFLT"));
        free(v);
    }
}

static void check_cgroup(enum sg_cgroup_layout layout, bool psi)
{
    cr_assert_eq(sg_cgroup_detect_layout(&fs), layout);
    for (size_t i = 0; i < SG_ELEMENTSOF(domains); i++) {
        const char *d = domains[i];
        _cleanup_(sg_cgroup_clear) struct sg_cgroup cg = { 0 };
        struct sg_cgroup_stats cs;
        char dir[PATH_MAX + 32];

        cr_assert_eq(sg_cgroup_locate(&fs, fact_pid(&facts, d), &cg, &err), 0, "%s: %s", d, err.msg);
        cr_assert_eq(cg.layout, layout);
        cr_assert_eq(cg.memory_version, 1);
        cr_assert_str_eq(cg.memory_path, fact(&facts, d, "CGROUP_PATH"));
        snprintf(dir, sizeof(dir), "fs/cgroup/memory%s", fact(&facts, d, "CGROUP_PATH"));
        cr_assert_str_eq(cg.memory_dir, dir);
        cr_assert_eq(cg.has_psi, psi, "%s has_psi %d (%s)", d, cg.has_psi, cg.psi_missing);
        if (psi) {
            cr_assert_str_eq(cg.psi_dir, fact(&facts, d, "PSI_DIR"));
            /* The domain's group, not the emulator subgroup QEMU's main thread sits in. */
            cr_assert_null(strstr(cg.psi_dir, "/emulator"));
            cr_assert_null(strstr(cg.psi_dir, "/vcpu"));
        } else {
            cr_assert_str_eq(fact(&facts, d, "HAS_PSI"), "0");
            cr_assert_str_eq(cg.psi_missing, "no cgroup v2 hierarchy");
        }

        cr_assert_eq(sg_cgroup_read(&fs, &cg, &cs, &err), 0, "%s: %s", d, err.msg);
        cr_assert_eq(cs.swap_bytes, fact_u64(&facts, d, "CGROUP_SWAP_BYTES"), "%s swap", d);
        cr_assert_eq(cs.pgmajfault, fact_u64(&facts, d, "CGROUP_PGMAJFAULT"), "%s pgmajfault", d);
        cr_assert_eq(cs.usage_bytes, fact_u64(&facts, d, "CGROUP_USAGE_BYTES"));
        cr_assert_eq(cs.limit_bytes, expected_limit(fact_u64(&facts, d, "CGROUP_LIMIT_BYTES")));
        cr_assert_eq(cs.swap_max_bytes, SG_NONE, "no memory.swap.max on v1");
        /* The capture predates the swap-events reader: the trees have no memory.memsw.failcnt
         * (scripts/capture-fixtures.sh copies it now), so the figure must be null here. */
        {
            char rel[PATH_MAX + 64];
            snprintf(rel, sizeof(rel), "%s/memory.memsw.failcnt", cg.memory_dir);
            cr_assert_neq(faccessat(fs.sys_fd, rel, F_OK, 0), 0, "recaptured: add a facts.env figure for %s", rel);
        }
        cr_assert_eq(cs.swap_events_max, SG_NONE, "%s: no memory.memsw.failcnt, null", d);
        cr_assert_eq(cs.swap_events_fail, SG_NONE, "%s: no fail count on v1", d);
        cr_assert_eq(cs.has_psi, psi);
        if (psi) {
            cr_assert(cs.psi.has_full);
            cr_assert_float_eq(cs.psi.some.avg10, fact_double(&facts, d, "PSI_SOME_AVG10"), 0.001);
            cr_assert_float_eq(cs.psi.full.avg10, fact_double(&facts, d, "PSI_FULL_AVG10"), 0.001);
        }
    }
    /* libvirt sanitises names in cgroup paths: "sgcap odd name" becomes "sgcapoddname". */
    cr_assert_null(strchr(fact(&facts, "ODD", "CGROUP_PATH"), ' '));
    cr_assert_not_null(strstr(fact(&facts, "ODD", "CGROUP_PATH"), "sgcapoddname"));
    cr_assert_gt(fact_u64(&facts, "SQ", "CGROUP_SWAP_BYTES"), 0);
    cr_assert_eq(fact_u64(&facts, "ODD", "CGROUP_SWAP_BYTES"), 0);
}

static void check_smaps(void)
{
    for (size_t i = 0; i < SG_ELEMENTSOF(domains); i++) {
        const char *d = domains[i];
        pid_t pid = fact_pid(&facts, d);
        uint64_t guest_kib = fact_u64(&facts, d, "MAX_MEMORY_KIB"), swap;
        struct sg_guest_ram ram;

        cr_assert_eq(sg_guest_ram_read(&fs, pid, guest_kib, &ram, &err), 0, "%s: %s", d, err.msg);
        cr_assert(ram.found, "%s: no guest-RAM VMA of %" PRIu64 " KiB", d, guest_kib);
        cr_assert_eq(ram.size_kib, guest_kib);
        cr_assert_eq(ram.swap_kib, fact_u64(&facts, d, "GUEST_RAM_SWAP_KIB"), "%s guest RAM swap", d);
        cr_assert_eq(ram.rss_kib, fact_u64(&facts, d, "GUEST_RAM_RSS_KIB"), "%s guest RAM rss", d);
        cr_assert_str_eq(ram.backing, "anonymous");
        cr_assert_eq(sg_smaps_rollup_swap(&fs, pid, &swap, &err), 0, "%s: %s", d, err.msg);
        cr_assert_eq(swap, fact_u64(&facts, d, "ROLLUP_SWAP_KIB"));
    }
    cr_assert_gt(fact_u64(&facts, "SQ", "GUEST_RAM_SWAP_KIB"), 0);
}

static void check_host(void)
{
    struct sg_host_sample h;

    cr_assert_eq(sg_host_read(&fs, true, &h, &err), 0, "%s", err.msg);
    cr_assert_eq(h.mem.mem_total_kib, fact_u64(&facts, "HOST", "MEMTOTAL_KIB"));
    cr_assert_eq(h.mem.swap_total_kib, fact_u64(&facts, "HOST", "SWAPTOTAL_KIB"));
    cr_assert_eq(h.mem.swap_free_kib, fact_u64(&facts, "HOST", "SWAPFREE_KIB"));
    cr_assert_eq(h.vm.pswpin, fact_u64(&facts, "HOST", "PSWPIN"));
    cr_assert_eq(h.vm.pswpout, fact_u64(&facts, "HOST", "PSWPOUT"));
    cr_assert_eq(h.vm.pgmajfault, fact_u64(&facts, "HOST", "PGMAJFAULT"));
    cr_assert_eq(h.n_swaps, fact_u64(&facts, "HOST", "N_SWAPS"));
    cr_assert(h.has_psi);
    cr_assert_float_eq(h.psi.some.avg10, fact_double(&facts, "HOST", "PSI_SOME_AVG10"), 0.001);
    cr_assert_float_eq(h.psi.full.avg10, fact_double(&facts, "HOST", "PSI_FULL_AVG10"), 0.001);
    cr_assert_eq(h.n_pools, fact_u64(&facts, "HOST", "N_HUGEPAGE_POOLS"));
    for (size_t i = 0; i < h.n_pools; i++) {
        cr_assert_eq(h.pools[i].node, 0);
        cr_assert_gt(h.pools[i].page_size_kib, 4);
        if (i > 0)
            cr_assert_gt(h.pools[i].page_size_kib, h.pools[i - 1].page_size_kib, "sorted by size");
    }
    sg_host_sample_clear(&h);
}

static void check_find_pids(void)
{
    const char *uuids[3] = {
        fact(&facts, "SQ", "UUID"),
        fact(&facts, "ODD", "UUID"),
        "00000000-0000-0000-0000-000000000000",
    };
    pid_t pids[3];
    struct sg_domain d[2] = {0};

    cr_assert_eq(sg_find_qemu_pids(&fs, uuids, 3, pids), 0);
    cr_assert_eq(pids[0], fact_pid(&facts, "SQ"));
    cr_assert_eq(pids[1], fact_pid(&facts, "ODD"));
    cr_assert_eq(pids[2], 0);
    cr_assert(sg_pid_has_uuid(&fs, pids[0], uuids[0]));
    cr_assert_not(sg_pid_has_uuid(&fs, pids[0], uuids[1]));

    /* With libvirt's pid files (run/libvirt/qemu/NAME.pid; one name has spaces). */
    for (size_t i = 0; i < 2; i++) {
        d[i].name = strdup(fact(&facts, domains[i], "NAME"));
        snprintf(d[i].uuid, sizeof(d[i].uuid), "%s", uuids[i]);
        d[i].id = (int)i + 1;
    }
    cr_assert_eq(sg_domains_find_pids(&fs, d, 2), 0);
    for (size_t i = 0; i < 2; i++) {
        cr_assert_eq(d[i].pid, fact_pid(&facts, domains[i]));
        cr_assert_eq(d[i].pidfile_pid, fact_pid(&facts, domains[i]), "pid file of '%s'", d[i].name);
        sg_domain_clear(&d[i]);
    }
}

static void check_sample(bool psi)
{
    pid_t pid = fact_pid(&facts, "SQ");
    _cleanup_(sg_cgroup_clear) struct sg_cgroup cg = { 0 };
    struct sg_dom_sample s;

    cr_assert_eq(sg_cgroup_locate(&fs, pid, &cg, &err), 0);
    cr_assert_eq(sg_dom_sample_read(&fs, pid, &cg, true, &s, &err), 0, "%s", err.msg);
    cr_assert_eq(s.status.vm_swap_kib, fact_u64(&facts, "SQ", "VMSWAP_KIB"));
    cr_assert_eq(s.stat.majflt, fact_u64(&facts, "SQ", "MAJFLT"));
    cr_assert_eq(s.cg.swap_bytes, fact_u64(&facts, "SQ", "CGROUP_SWAP_BYTES"));
    cr_assert_eq(s.cg.has_psi, psi);
    cr_assert_eq(s.n_vcpus, 1);
    cr_assert_eq(s.vcpus[0].tid, (pid_t)fact_u64(&facts, "SQ", "VCPU_TID"));
    sg_dom_sample_clear(&s);
}

/* The buffer parsers on the captured files, as a fuzzer or a golden test would feed them. */
static void check_parsers(const char *tree, bool has_v2_line)
{
    for (size_t i = 0; i < SG_ELEMENTSOF(domains); i++) {
        const char *d = domains[i];
        char rel[64];
        struct sg_proc_status st;
        struct sg_proc_stat s;
        struct sg_proc_cgroup pc;
        char *buf;
        FILE *f;
        struct sg_guest_ram ram;
        char path[PATH_MAX];
        size_t len;

        snprintf(rel, sizeof(rel), "proc/%d/status", (int)fact_pid(&facts, d));
        buf = read_tree_file(tree, rel);
        cr_assert_eq(sg_parse_proc_status(buf, tree, rel, &st, &err), 0, "%s", err.msg);
        cr_assert_eq(st.vm_swap_kib, fact_u64(&facts, d, "VMSWAP_KIB"));
        free(buf);

        snprintf(rel, sizeof(rel), "proc/%d/stat", (int)fact_pid(&facts, d));
        buf = read_tree_file(tree, rel);
        cr_assert_eq(sg_parse_proc_stat(buf, tree, rel, &s, &err), 0, "%s", err.msg);
        cr_assert_eq(s.majflt, fact_u64(&facts, d, "MAJFLT"));
        cr_assert(s.state != 0);
        free(buf);

        snprintf(rel, sizeof(rel), "proc/%d/task/%s/stat", (int)fact_pid(&facts, d),
                 fact(&facts, d, "VCPU_TID"));
        buf = read_tree_file(tree, rel);
        cr_assert_eq(sg_parse_proc_stat(buf, tree, rel, &s, &err), 0, "%s", err.msg);
        cr_assert_str_eq(s.comm, "CPU 0/TCG", "comm with a space and a slash");
        free(buf);

        snprintf(rel, sizeof(rel), "proc/%d/cgroup", (int)fact_pid(&facts, d));
        buf = read_tree_file(tree, rel);
        cr_assert_eq(sg_parse_proc_cgroup(buf, tree, rel, &pc, &err), 0, "%s", err.msg);
        cr_assert(pc.has_v1_memory);
        cr_assert_str_eq(pc.v1_memory, fact(&facts, d, "CGROUP_PATH"));
        cr_assert_eq(pc.has_v2, has_v2_line);
        if (has_v2_line)
            cr_assert(strstr(pc.v2, "/emulator"), "QEMU's main thread is in emulator: %s", pc.v2);
        free(buf);

        snprintf(rel, sizeof(rel), "proc/%d/cmdline", (int)fact_pid(&facts, d));
        buf = NULL;
        {
            int dirfd;
            ssize_t n;
            snprintf(path, sizeof(path), "%s/%s", SG_TEST_DATA, tree);
            dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            cr_assert_geq(dirfd, 0);
            n = sg_read_at_alloc(dirfd, rel, 1 << 20, &buf);
            close(dirfd);
            cr_assert_gt(n, 0);
            len = (size_t)n;
        }
        cr_assert(sg_cmdline_has_uuid(buf, len, fact(&facts, d, "UUID")));
        free(buf);

        snprintf(path, sizeof(path), "%s/%s/proc/%d/smaps", SG_TEST_DATA, tree,
                 (int)fact_pid(&facts, d));
        f = fopen(path, "re");
        cr_assert(f);
        cr_assert_eq(sg_parse_guest_ram(f, tree, "smaps", fact_u64(&facts, d, "MAX_MEMORY_KIB"),
                                        &ram, &err),
                     0, "%s", err.msg);
        fclose(f);
        cr_assert(ram.found);
        cr_assert_eq(ram.swap_kib, fact_u64(&facts, d, "GUEST_RAM_SWAP_KIB"));
    }
    {
        struct sg_meminfo mi;
        struct sg_vmstat vs;
        struct sg_psi psi;
        struct sg_swap_device *sw = NULL;
        char *buf;
        int n;

        buf = read_tree_file(tree, "proc/meminfo");
        cr_assert_eq(sg_parse_meminfo(buf, tree, "proc/meminfo", &mi, &err), 0, "%s", err.msg);
        cr_assert_eq(mi.swap_free_kib, fact_u64(&facts, "HOST", "SWAPFREE_KIB"));
        free(buf);
        buf = read_tree_file(tree, "proc/vmstat");
        cr_assert_eq(sg_parse_vmstat(buf, tree, "proc/vmstat", &vs, &err), 0, "%s", err.msg);
        cr_assert_eq(vs.pswpout, fact_u64(&facts, "HOST", "PSWPOUT"));
        cr_assert_neq(vs.workingset_refault_anon, SG_NONE, "Linux >= 5.9 prints it");
        free(buf);
        buf = read_tree_file(tree, "proc/pressure/memory");
        cr_assert_eq(sg_parse_psi(buf, tree, "proc/pressure/memory", &psi, &err), 0, "%s", err.msg);
        cr_assert(psi.has_some && psi.has_full);
        free(buf);
        buf = read_tree_file(tree, "proc/swaps");
        n = sg_parse_swaps(buf, tree, "proc/swaps", &sw, &err);
        cr_assert_eq(n, (int)fact_u64(&facts, "HOST", "N_SWAPS"), "%s", err.msg);
        free(sw);
        free(buf);
    }
}

/* ---- hybrid: v1 memory controller + cgroup2 "unified" with PSI ------------- */

TestSuite(hybrid, .init = hybrid_init, .fini = tree_fini);

Test(hybrid, proc_status_and_stat) { check_proc(); }
Test(hybrid, vcpu_threads) { check_vcpus(); }
Test(hybrid, cgroup_locate_and_read_with_psi) { check_cgroup(SG_CGROUP_HYBRID, true); }
Test(hybrid, guest_ram_and_rollup) { check_smaps(); }
Test(hybrid, host) { check_host(); }
Test(hybrid, find_qemu_pids) { check_find_pids(); }
Test(hybrid, dom_sample) { check_sample(true); }
Test(hybrid, parsers) { check_parsers("hybrid", true); }

Test(hybrid, emulator_subgroup_has_its_own_pressure_file)
{
    /* The test above is only meaningful if the emulator file is really there. */
    char rel[PATH_MAX];
    char *buf;

    snprintf(rel, sizeof(rel), "sys/%s/emulator/memory.pressure", fact(&facts, "SQ", "PSI_DIR"));
    buf = read_tree_file("hybrid", rel);
    cr_assert(strncmp(buf, "some ", 5) == 0);
    free(buf);
}

/* ---- v1: the same capture without the cgroup2 mount ------------------------ */

TestSuite(v1, .init = v1_init, .fini = tree_fini);

Test(v1, proc_status_and_stat) { check_proc(); }
Test(v1, vcpu_threads) { check_vcpus(); }
Test(v1, cgroup_locate_and_read_without_psi) { check_cgroup(SG_CGROUP_V1, false); }
Test(v1, guest_ram_and_rollup) { check_smaps(); }
Test(v1, host) { check_host(); }
Test(v1, find_qemu_pids) { check_find_pids(); }
Test(v1, dom_sample) { check_sample(false); }
Test(v1, parsers) { check_parsers("v1", false); }

/* ---- v2: a real cgroup2 tree with libvirt's systemd-style layout ----------- */

TestSuite(v2, .init = v2_init, .fini = tree_fini);

Test(v2, layout_and_walk_up_from_emulator)
{
    pid_t pid = fact_pid(&facts, "V2");
    _cleanup_(sg_cgroup_clear) struct sg_cgroup cg = { 0 };
    char dir[PATH_MAX + 32];

    cr_assert_eq(sg_cgroup_detect_layout(&fs), SG_CGROUP_V2);
    cr_assert_eq(sg_cgroup_locate(&fs, pid, &cg, &err), 0, "%s", err.msg);
    cr_assert_eq(cg.layout, SG_CGROUP_V2);
    cr_assert_eq(cg.memory_version, 2);
    /* The process sits in .../libvirt/emulator (threaded, no memory.stat). */
    cr_assert_not_null(strstr(fact(&facts, "V2", "PROC_CGROUP"), "/libvirt/emulator"));
    cr_assert_str_eq(cg.memory_path, fact(&facts, "V2", "CGROUP_PATH"));
    snprintf(dir, sizeof(dir), "fs/cgroup%s", fact(&facts, "V2", "CGROUP_PATH"));
    cr_assert_str_eq(cg.memory_dir, dir);
    cr_assert(cg.has_psi, "%s", cg.psi_missing);
    cr_assert_str_eq(cg.psi_dir, fact(&facts, "V2", "PSI_DIR"));
}

Test(v2, cgroup_read)
{
    pid_t pid = fact_pid(&facts, "V2");
    _cleanup_(sg_cgroup_clear) struct sg_cgroup cg = { 0 };
    struct sg_cgroup_stats cs;
    const char *max = fact(&facts, "V2", "CGROUP_MAX");
    const char *swap_max = fact(&facts, "V2", "CGROUP_SWAP_MAX");

    cr_assert_eq(sg_cgroup_locate(&fs, pid, &cg, &err), 0, "%s", err.msg);
    cr_assert_eq(sg_cgroup_read(&fs, &cg, &cs, &err), 0, "%s", err.msg);
    cr_assert_eq(cs.swap_bytes, fact_u64(&facts, "V2", "CGROUP_SWAP_BYTES"));
    cr_assert_eq(cs.pgmajfault, fact_u64(&facts, "V2", "CGROUP_PGMAJFAULT"));
    cr_assert_eq(cs.usage_bytes, fact_u64(&facts, "V2", "CGROUP_CURRENT_BYTES"));
    cr_assert_geq(cs.usage_bytes, fact_u64(&facts, "V2", "CGROUP_SHMEM_BYTES"),
                  "the tmpfs data is charged to the domain group");
    cr_assert_eq(cs.limit_bytes,
                 strcmp(max, "max") == 0 ? SG_UNLIMITED : fact_u64(&facts, "V2", "CGROUP_MAX"));
    cr_assert_eq(cs.swap_max_bytes, strcmp(swap_max, "max") == 0
                                        ? SG_UNLIMITED
                                        : fact_u64(&facts, "V2", "CGROUP_SWAP_MAX"));
    cr_assert_eq(cs.memsw_limit_bytes, SG_NONE, "no memsw on v2");
    /* The capture predates the swap-events reader: no memory.swap.events in the tree
     * (scripts/capture-fixtures.sh copies it now), so the figures must be null here. */
    {
        char rel[PATH_MAX + 64];
        snprintf(rel, sizeof(rel), "%s/memory.swap.events", cg.memory_dir);
        cr_assert_neq(faccessat(fs.sys_fd, rel, F_OK, 0), 0, "recaptured: add facts.env figures for %s", rel);
    }
    cr_assert_eq(cs.swap_events_max, SG_NONE);
    cr_assert_eq(cs.swap_events_fail, SG_NONE);
    cr_assert(cs.has_psi);
    cr_assert_float_eq(cs.psi.some.avg10, fact_double(&facts, "V2", "PSI_SOME_AVG10"), 0.001);
    cr_assert_eq(cs.psi.some.total_us, fact_u64(&facts, "V2", "PSI_SOME_TOTAL_US"));
}

Test(v2, proc_and_rollup)
{
    pid_t pid = fact_pid(&facts, "V2");
    struct sg_proc_status st;
    struct sg_proc_stat s;
    struct sg_vcpu_thread *v = NULL;
    uint64_t swap;

    cr_assert_eq(sg_proc_read(&fs, pid, &st, &s, &err), 0, "%s", err.msg);
    cr_assert_eq(st.vm_rss_kib, fact_u64(&facts, "V2", "VMRSS_KIB"));
    cr_assert_eq(st.vm_swap_kib, fact_u64(&facts, "V2", "VMSWAP_KIB"));
    cr_assert_eq(s.majflt, fact_u64(&facts, "V2", "MAJFLT"));
    cr_assert_str_eq(s.comm, fact(&facts, "V2", "CMDLINE_ARGV0"));
    cr_assert_eq(sg_smaps_rollup_swap(&fs, pid, &swap, &err), 0, "%s", err.msg);
    cr_assert_eq(swap, fact_u64(&facts, "V2", "ROLLUP_SWAP_KIB"));
    cr_assert_eq(sg_vcpu_threads_read(&fs, pid, &v, &err), 0, "a shell has no vCPU threads");
    free(v);
}

Test(v2, find_pid_by_uuid_in_cmdline)
{
    const char *uuid = fact(&facts, "V2", "UUID");
    const char *arg = fact(&facts, "V2", "CMDLINE_UUID_ARG");
    pid_t pid;

    cr_assert_eq(strncmp(arg, "-uuid ", 6), 0);
    cr_assert_str_eq(arg + 6, uuid);
    cr_assert_eq(sg_find_qemu_pids(&fs, &uuid, 1, &pid), 0);
    cr_assert_eq(pid, fact_pid(&facts, "V2"));
}

Test(v2, host)
{
    struct sg_host_sample h;

    cr_assert_eq(sg_host_read(&fs, true, &h, &err), 0, "%s", err.msg);
    cr_assert_eq(h.mem.mem_total_kib, fact_u64(&facts, "HOST", "MEMTOTAL_KIB"));
    cr_assert_eq(h.mem.swap_total_kib, fact_u64(&facts, "HOST", "SWAPTOTAL_KIB"));
    cr_assert_eq(h.n_swaps, fact_u64(&facts, "HOST", "N_SWAPS"));
    cr_assert_eq(h.vm.pswpin, fact_u64(&facts, "HOST", "PSWPIN"));
    cr_assert(h.has_psi);
    cr_assert_float_eq(h.psi.some.avg10, fact_double(&facts, "HOST", "PSI_SOME_AVG10"), 0.001);
    cr_assert_eq(h.n_pools, fact_u64(&facts, "HOST", "N_HUGEPAGE_POOLS"));
    sg_host_sample_clear(&h);
}

/* ---- hand-made: a thread that exits between readdir and read --------------- */

static void put(const char *root, const char *rel, const char *content)
{
    char path[PATH_MAX];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", root, rel);
    for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
        *p = '\0';
        cr_assert(mkdir(path, 0755) == 0 || errno == EEXIST, "mkdir %s: %s", path, strerror(errno));
        *p = '/';
    }
    if (!content) {
        cr_assert(mkdir(path, 0755) == 0 || errno == EEXIST);
        return;
    }
    f = fopen(path, "we");
    cr_assert(f, "%s: %s", path, strerror(errno));
    fputs(content, f);
    fclose(f);
}

Test(vanished_thread, listed_with_comm_but_no_stat_is_skipped)
{
    /*
     * HAND-MADE tree (not a capture): task/101 has a comm "CPU 1/TCG" but no stat
     * (the thread exited after readdir and after its comm was read), task/103 has
     * neither (exited before). The stat lines are the captured hybrid vCPU's.
     */
    char root[] = "/tmp/sg-vanished-XXXXXX";
    struct facts hy;
    struct sg_fs tfs = { .proc_fd = -1, .sys_fd = -1, .run_fd = -1 };
    struct sg_vcpu_thread *v = NULL;
    char rel[128], *vcpu_stat, *main_stat, cmd[PATH_MAX + 16];
    int n;

    facts_load("hybrid", &hy);
    snprintf(rel, sizeof(rel), "proc/%s/task/%s/stat", fact(&hy, "SQ", "PID"),
             fact(&hy, "SQ", "VCPU_TID"));
    vcpu_stat = read_tree_file("hybrid", rel);
    snprintf(rel, sizeof(rel), "proc/%s/task/%s/stat", fact(&hy, "SQ", "PID"), fact(&hy, "SQ", "PID"));
    main_stat = read_tree_file("hybrid", rel);

    cr_assert(mkdtemp(root));
    put(root, "sys", NULL);
    put(root, "proc/100/task/100/comm", "qemu-system-x86\n");
    put(root, "proc/100/task/100/stat", main_stat);
    put(root, "proc/100/task/101/comm", "CPU 1/TCG\n");
    put(root, "proc/100/task/102/comm", "CPU 0/TCG\n");
    put(root, "proc/100/task/102/stat", vcpu_stat);
    put(root, "proc/100/task/103", NULL);

    cr_assert_eq(sg_fs_open(&tfs, root, root, &err), 0, "%s", err.msg);
    n = sg_vcpu_threads_read(&tfs, 100, &v, &err);
    cr_assert_eq(n, 1, "got %d (%s: %s)", n, err.file, err.msg);
    cr_assert_eq(v[0].tid, 102);
    cr_assert_eq(v[0].vcpu, 0);
    free(v);
    sg_fs_close(&tfs);
    free(vcpu_stat);
    free(main_stat);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    cr_assert_eq(system(cmd), 0);
}

/* ---- /proc/sys integers (hostprobe/sysctl.h) ------------------------------------------ */

/* This host's own /proc/sys, compared with an independent read of the same files. */
Test(sysctl, this_hosts_values)
{
    struct sg_fs sfs;
    struct sg_error serr = {0};
    uint64_t v = 12345;
    unsigned want;
    FILE *f;

    cr_assert_eq(sg_fs_open(&sfs, "/", "/", &serr), 0, "%s", serr.msg);
    f = fopen("/proc/sys/vm/swappiness", "r");
    if (!f) {
        sg_fs_close(&sfs);
        cr_skip_test("/proc/sys/vm/swappiness unreadable here");
    }
    cr_assert_eq(fscanf(f, "%u", &want), 1);
    fclose(f);
    cr_assert_eq(sg_sysctl_read_u64(&sfs, "vm/swappiness", 200, &v), 0);
    cr_expect_eq(v, want);
    f = fopen("/proc/sys/kernel/task_delayacct", "r");
    if (f) {
        cr_assert_eq(fscanf(f, "%u", &want), 1);
        fclose(f);
        cr_expect_eq(sg_delayacct_enabled(&sfs), (int)want);
    } else {
        cr_expect_eq(sg_delayacct_enabled(&sfs), -ENOENT, "a kernel without the sysctl");
    }
    v = 7;
    cr_expect_eq(sg_sysctl_read_u64(&sfs, "vm/no_such_sysctl", 1, &v), -ENOENT);
    cr_expect_eq(v, 7, "unchanged on error");
    sg_fs_close(&sfs);
}

/* HAND-MADE tree (not a capture): malformed and out-of-range sysctl files. */
Test(sysctl, malformed_and_out_of_range)
{
    static const struct { const char *text; uint64_t max; int want; uint64_t v; } c[] = {
        { "60\n", 200, 0, 60 },
        { "0", 1, 0, 0 },
        { "1 \n", 1, 0, 1 },
        { "201\n", 200, -ERANGE, 0 },
        { "2\n", 1, -ERANGE, 0 },
        { "", 200, -EINVAL, 0 },
        { "\n", 200, -EINVAL, 0 },
        { "sixty\n", 200, -EINVAL, 0 },
        { "-1\n", 200, -EINVAL, 0 },
        { "60 61\n", 200, -EINVAL, 0 },
        { "0x10\n", 200, -EINVAL, 0 },
        { "99999999999999999999999\n", UINT64_MAX, -EINVAL, 0 },
        { "000000000000000000000000000000000000000001\n", 200, -EINVAL, 0 }, /* too long to be one */
    };
    char root[] = "/tmp/sg-sysctl-XXXXXX", path[256];
    struct sg_fs sfs;
    struct sg_error serr = {0};

    cr_assert_not_null(mkdtemp(root));
    put(root, "sys", NULL);
    put(root, "proc/sys/vm", NULL);
    cr_assert_eq(sg_fs_open(&sfs, root, root, &serr), 0, "%s", serr.msg);
    snprintf(path, sizeof(path), "%s/proc/sys/vm/swappiness", root);
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        FILE *f = fopen(path, "w");
        uint64_t v = 4242;
        int r;

        cr_assert_not_null(f);
        fputs(c[i].text, f);
        fclose(f);
        r = sg_sysctl_read_u64(&sfs, "vm/swappiness", c[i].max, &v);
        cr_expect_eq(r, c[i].want, "'%s': %d, want %d", c[i].text, r, c[i].want);
        cr_expect_eq(v, r == 0 ? c[i].v : 4242, "'%s'", c[i].text);
    }
    cr_expect_eq(sg_sysctl_read_u64(&sfs, "../sys/vm/swappiness", 200, NULL), -EINVAL, "no way out of /proc/sys");
    cr_expect_eq(sg_sysctl_read_u64(&sfs, "/vm/swappiness", 200, NULL), -EINVAL);
    cr_expect_eq(sg_sysctl_read_u64(&sfs, "", 200, NULL), -EINVAL);
    cr_expect_eq(sg_delayacct_enabled(&sfs), -ENOENT, "no kernel/task_delayacct in this tree");
    sg_fs_close(&sfs);
    snprintf(path, sizeof(path), "rm -rf '%s'", root);
    cr_expect_eq(system(path), 0);
}

/*
 * The listing without jobs against the listing from the stats call, on libvirt's
 * test driver (test:///default: one running domain, "test"): the same names,
 * UUIDs, ids, states and maximum memory; the current memory unknown (it can
 * need the QEMU monitor). The stuck QEMU it exists for is
 * tests/integration/test-stuck.sh.
 */
Test(domains, listing_without_jobs_matches_the_stats_listing)
{
    virConnectPtr conn = virConnectOpen("test:///default");
    struct sg_domain *a = NULL, *b = NULL;
    struct sg_error lerr = {0};
    int na, nb;

    cr_assert_not_null(conn);
    na = sg_domains_list(conn, true, &a, &lerr);
    cr_assert_gt(na, 0, "%s", lerr.msg);
    nb = sg_domains_list_nojob(conn, true, &b, &lerr);
    cr_assert_eq(nb, na, "%s", lerr.msg);
    for (int i = 0; i < na; i++) {
        cr_expect_str_eq(b[i].name, a[i].name);
        cr_expect_str_eq(b[i].uuid, a[i].uuid);
        cr_expect_eq(b[i].id, a[i].id);
        cr_expect_eq(b[i].state, a[i].state, "%s: state %d, %d", a[i].name, b[i].state, a[i].state);
        cr_expect_eq(b[i].max_memory_kib, a[i].max_memory_kib);
        cr_expect_gt(a[i].max_memory_kib, 0);
        cr_expect_eq(b[i].memory_kib, SG_NONE, "%s: current memory unknown without a job", a[i].name);
        cr_expect_eq(b[i].reason, a[i].reason, "%s: reason %d, %d", a[i].name, b[i].reason, a[i].reason);
    }
    sg_domains_free(a, (size_t)na);
    sg_domains_free(b, (size_t)nb);
    virConnectClose(conn);
}

Test(domains, a_paused_domain_is_listed_paused_with_its_reason)
{
    /* The test driver's running domain "test", paused by a client (virDomainSuspend). */
    virConnectPtr conn = virConnectOpen("test:///default");
    virDomainPtr dom;
    struct sg_domain *a = NULL, *b = NULL, one;
    struct sg_error lerr = {0};
    int na, nb;

    cr_assert_not_null(conn);
    dom = virDomainLookupByName(conn, "test");
    cr_assert_not_null(dom);
    cr_assert_eq(virDomainSuspend(dom), 0);
    na = sg_domains_list(conn, false, &a, &lerr);
    nb = sg_domains_list_nojob(conn, false, &b, &lerr);
    cr_assert_eq(na, 1, "%s", lerr.msg);
    cr_assert_eq(nb, 1, "%s", lerr.msg);
    cr_assert_eq(sg_domain_from_ptr(dom, &one, &lerr), 0, "%s", lerr.msg);
    cr_expect_eq(a[0].state, VIR_DOMAIN_PAUSED);
    cr_expect_str_eq(sg_domain_paused_reason_name(a[0].reason), "user", "the stats listing");
    cr_expect_str_eq(sg_domain_paused_reason_name(b[0].reason), "user", "the listing without jobs");
    cr_expect_str_eq(sg_domain_paused_reason_name(one.reason), "user", "one domain (virDomainGetInfo + GetState)");
    sg_domain_clear(&one);
    sg_domains_free(a, (size_t)na);
    sg_domains_free(b, (size_t)nb);
    virDomainFree(dom);
    virConnectClose(conn);
}

Test(domains, paused_reasons_as_virsh_names_them)
{
    cr_expect_str_eq(sg_domain_paused_reason_name(VIR_DOMAIN_PAUSED_IOERROR), "I/O error");
    cr_expect_str_eq(sg_domain_paused_reason_name(VIR_DOMAIN_PAUSED_MIGRATION), "migrating");
    cr_expect_str_eq(sg_domain_paused_reason_name(-1), "unknown");
    cr_expect_str_eq(sg_domain_paused_reason_name(1000), "unknown");
    /* An event's detail is not a state reason: SUSPENDED_IOERROR is 2, PAUSED_IOERROR 5. */
    cr_expect_eq(sg_domain_suspended_reason(VIR_DOMAIN_EVENT_SUSPENDED_IOERROR), VIR_DOMAIN_PAUSED_IOERROR);
    cr_expect_eq(sg_domain_suspended_reason(VIR_DOMAIN_EVENT_SUSPENDED_PAUSED), VIR_DOMAIN_PAUSED_USER);
    cr_expect_eq(sg_domain_suspended_reason(1000), VIR_DOMAIN_PAUSED_UNKNOWN);
}
