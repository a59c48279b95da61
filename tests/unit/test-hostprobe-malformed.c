/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Malformed and hostile inputs for every parser. These inputs are written by
 * hand on purpose: they express what a real kernel does not print (or prints
 * only when something is broken). Well-formed inputs come from the captured
 * trees under tests/data (see test-hostprobe.c).
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostprobe/cgroup.h"
#include "hostprobe/hostmem.h"
#include "util/kv.h"
#include "hostprobe/procfs.h"
#include "hostprobe/smaps.h"

static struct sg_error err;

Test(status, bad_number_names_file_line_and_key)
{
    struct sg_proc_status st;
    const char *buf = "Name:\tqemu\nVmRSS:\t  100 kB\nVmSwap:\t  12x4 kB\n";

    cr_assert_eq(sg_parse_proc_status(buf, "/proc", "42/status", &st, &err), -EINVAL);
    cr_assert_str_eq(err.file, "/proc/42/status");
    cr_assert_eq(err.line, 3);
    cr_assert(strstr(err.msg, "VmSwap"), "message names the key: %s", err.msg);
}

Test(status, missing_kb_unit)
{
    struct sg_proc_status st;
    cr_assert_eq(sg_parse_proc_status("VmRSS:\t100\n", "/proc", "1/status", &st, &err), -EINVAL);
    cr_assert_eq(err.line, 1);
}

Test(status, trailing_garbage_after_unit)
{
    struct sg_proc_status st;
    cr_assert_eq(sg_parse_proc_status("VmRSS:\t100 kB extra\n", "/p", "s", &st, &err), -EINVAL);
}

Test(status, no_vmrss_is_not_a_process_status)
{
    struct sg_proc_status st;
    cr_assert_eq(sg_parse_proc_status("Name:\tkthreadd\nState:\tS\n", "/p", "2/status", &st, &err),
                 -EINVAL);
}

Test(status, overflowing_number)
{
    struct sg_proc_status st;
    cr_assert_eq(sg_parse_proc_status("VmRSS:\t99999999999999999999999 kB\n", "/p", "s", &st, &err),
                 -EINVAL);
}

Test(stat, comm_with_parens_and_spaces)
{
    struct sg_proc_stat s;
    /* comm is task-controlled: ") S 1 2" inside it must not shift the fields. */
    const char *buf = "77 (evil) S 1 2 (x) R 1 77 77 0 -1 4194560 55 0 66 0 1 2 0 0 20 0 1 0\n";

    cr_assert_eq(sg_parse_proc_stat(buf, "/proc", "77/stat", &s, &err), 0);
    cr_assert_str_eq(s.comm, "evil) S 1 2 (x");
    cr_assert_eq(s.state, 'R');
    cr_assert_eq(s.minflt, 55);
    cr_assert_eq(s.majflt, 66);
}

Test(stat, truncated)
{
    struct sg_proc_stat s;
    cr_assert_eq(sg_parse_proc_stat("12 (qemu) S 1 2 3\n", "/proc", "12/stat", &s, &err), -EINVAL);
    cr_assert_str_eq(err.file, "/proc/12/stat");
    cr_assert_eq(err.line, 1);
}

Test(stat, no_comm)
{
    struct sg_proc_stat s;
    cr_assert_eq(sg_parse_proc_stat("garbage", "/proc", "1/stat", &s, &err), -EINVAL);
}

Test(stat, non_numeric_majflt)
{
    struct sg_proc_stat s;
    cr_assert_eq(sg_parse_proc_stat("1 (a) S 0 1 1 0 -1 0 5 0 zz 0\n", "/p", "1/stat", &s, &err),
                 -EINVAL);
    cr_assert(strstr(err.msg, "majflt"), "%s", err.msg);
}

Test(cgroup_file, relative_path_rejected)
{
    struct sg_proc_cgroup pc;
    cr_assert_eq(sg_parse_proc_cgroup("4:memory:machine/x\n", "/proc", "9/cgroup", &pc, &err),
                 -EINVAL);
    cr_assert_eq(err.line, 1);
}

Test(cgroup_file, dotdot_rejected)
{
    struct sg_proc_cgroup pc;
    cr_assert_eq(sg_parse_proc_cgroup("0::/a/../../etc\n", "/proc", "9/cgroup", &pc, &err), -EINVAL);
}

Test(cgroup_file, missing_fields)
{
    struct sg_proc_cgroup pc;
    cr_assert_eq(sg_parse_proc_cgroup("1:cpu:/\nbroken\n", "/proc", "9/cgroup", &pc, &err), -EINVAL);
    cr_assert_eq(err.line, 2);
}

Test(cgroup_file, combined_v1_controllers)
{
    struct sg_proc_cgroup pc;
    cr_assert_eq(sg_parse_proc_cgroup("3:cpu,memory:/m/q\n0::/s\n", "/p", "c", &pc, &err), 0);
    cr_assert(pc.has_v1_memory);
    cr_assert_str_eq(pc.v1_memory, "/m/q");
    cr_assert(pc.has_v2);
    cr_assert_str_eq(pc.v2, "/s");
}

Test(psi, garbage_line)
{
    struct sg_psi p;
    cr_assert_eq(sg_parse_psi("some avg10=0.00 avg60=x avg300=0.00 total=0\n", "/proc",
                              "pressure/memory", &p, &err),
                 -EINVAL);
    cr_assert_eq(err.line, 1);
    cr_assert_eq(sg_parse_psi("medium avg10=1\n", "/p", "m", &p, &err), -EINVAL);
    cr_assert_eq(sg_parse_psi("", "/p", "m", &p, &err), -EINVAL);
}

Test(swaps, bad_header_and_line)
{
    struct sg_swap_device *d = NULL;
    cr_assert_eq(sg_parse_swaps("nonsense\n", "/proc", "swaps", &d, &err), -EINVAL);
    cr_assert_eq(sg_parse_swaps("Filename\tType\tSize\tUsed\tPriority\n/swap file x 0 -2\n",
                                "/proc", "swaps", &d, &err),
                 -EINVAL);
    cr_assert_eq(err.line, 2);
}

Test(swaps, escaped_filename_decoded)
{
    struct sg_swap_device *d = NULL;
    int n = sg_parse_swaps("Filename\tType\tSize\tUsed\tPriority\n/var/a\\040b file 1024 0 -2\n",
                           "/proc", "swaps", &d, &err);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(d[0].filename, "/var/a b");
    free(d);
}

Test(meminfo, missing_required)
{
    struct sg_meminfo m;
    cr_assert_eq(sg_parse_meminfo("MemTotal: 100 kB\n", "/proc", "meminfo", &m, &err), -EINVAL);
}

Test(smaps, bad_header)
{
    struct sg_guest_ram ram;
    const char *txt = "Size: 4 kB\n";
    FILE *f = fmemopen((void *)txt, strlen(txt), "r");
    cr_assert_eq(sg_parse_guest_ram(f, "/proc", "1/smaps", 4, &ram, &err), -EINVAL);
    cr_assert_eq(err.line, 1);
    fclose(f);
}

Test(smaps, bad_value)
{
    struct sg_guest_ram ram;
    const char *txt = "7f0000000000-7f0000001000 rw-p 00000000 00:00 0 \nSize:  four kB\n";
    FILE *f = fmemopen((void *)txt, strlen(txt), "r");
    cr_assert_eq(sg_parse_guest_ram(f, "/proc", "1/smaps", 4, &ram, &err), -EINVAL);
    cr_assert_eq(err.line, 2);
    fclose(f);
}

Test(vcpu_comm, names)
{
    int n;
    char accel[8];
    cr_assert(sg_parse_vcpu_comm("CPU 0/KVM", &n, accel));
    cr_assert_eq(n, 0);
    cr_assert_str_eq(accel, "KVM");
    cr_assert(sg_parse_vcpu_comm("CPU 15/TCG", &n, accel));
    cr_assert_eq(n, 15);
    cr_assert_not(sg_parse_vcpu_comm("CPU /KVM", &n, accel));
    cr_assert_not(sg_parse_vcpu_comm("qemu-system-x86", &n, accel));
    cr_assert_not(sg_parse_vcpu_comm("CPU 1/KVM/x", &n, accel));
    cr_assert_not(sg_parse_vcpu_comm("CPU 1", &n, accel));
}

Test(cmdline, uuid_match_is_exact_argument)
{
    const char cmd[] = "qemu\0-name\0guest=x\0-uuid\0aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee\0-m\0256";
    cr_assert(sg_cmdline_has_uuid(cmd, sizeof(cmd), "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"));
    cr_assert(sg_cmdline_has_uuid(cmd, sizeof(cmd), "AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE"));
    cr_assert_not(sg_cmdline_has_uuid(cmd, sizeof(cmd), "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeef"));
    /* The UUID as some other option's value does not count. */
    const char other[] = "qemu\0-name\0aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
    cr_assert_not(sg_cmdline_has_uuid(other, sizeof(other), "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"));
    /* Not NUL-terminated at the end (truncated read). */
    const char trunc[] = { '-', 'u', 'u', 'i', 'd', '\0', 'a', 'b' };
    cr_assert_not(sg_cmdline_has_uuid(trunc, sizeof(trunc), "ab0"));
}

Test(read_at_alloc, cap_is_inclusive)
{
    /* A file of exactly max bytes is read whole; one byte more is -EFBIG. */
    char dir[] = "/tmp/sg-readcap-XXXXXX", path[64];
    char *buf = NULL;
    FILE *f;
    int dfd;

    cr_assert(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/f", dir);
    f = fopen(path, "we");
    cr_assert(f);
    for (int i = 0; i < 5000; i++)
        fputc('a', f);
    fclose(f);
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    cr_assert_geq(dfd, 0);
    cr_assert_eq(sg_read_at_alloc(dfd, "f", 5000, &buf), 5000);
    cr_assert_eq(strlen(buf), 5000);
    free(buf);
    buf = NULL;
    cr_assert_eq(sg_read_at_alloc(dfd, "f", 4999, &buf), -EFBIG);
    cr_assert_null(buf);
    cr_assert_eq(sg_read_at_alloc(dfd, "f", 1 << 20, &buf), 5000);
    free(buf);
    close(dfd);
    unlink(path);
    rmdir(dir);
}

/* ---- the memory cgroup's swap events (hand-written: the captured trees predate them) ---- */

Test(swap_events, hand_written_well_formed)
{
    /* Hand-written in the kernel's format (Documentation/admin-guide/cgroup-v2.rst), with a key
     * a later kernel might add: it is ignored. */
    uint64_t max, fail;

    cr_assert_eq(sg_parse_swap_events("high 0\nmax 3\nfail 5\nnewkey 9\n", "sys", "g/memory.swap.events",
                                      &max, &fail, &err), 0, "%s", err.msg);
    cr_assert_eq(max, 3);
    cr_assert_eq(fail, 5);
    cr_assert_eq(sg_parse_swap_events("high 0\n", "sys", "g/memory.swap.events", &max, &fail, &err), 0);
    cr_assert_eq(max, SG_NONE, "a key the kernel does not print is null");
    cr_assert_eq(fail, SG_NONE);
}

Test(swap_events, malformed_names_file_and_line)
{
    uint64_t max, fail;

    cr_assert_eq(sg_parse_swap_events("high 0\nmax lots\nfail 1\n", "sys", "g/memory.swap.events", &max,
                                      &fail, &err), -EINVAL);
    cr_assert_str_eq(err.file, "sys/g/memory.swap.events");
    cr_assert_eq(err.line, 2);
    cr_assert_not_null(strstr(err.msg, "max"), "%s", err.msg);
    cr_assert_eq(sg_parse_swap_events("max -1\n", "sys", "r", &max, &fail, &err), -EINVAL);
    cr_assert_eq(sg_parse_swap_events("fail 1 2\n", "sys", "r", &max, &fail, &err), -EINVAL);
    cr_assert_eq(sg_parse_swap_events("max 99999999999999999999999\n", "sys", "r", &max, &fail, &err), -EINVAL);
}

static void put(const char *dir, const char *rel, const char *text)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    f = fopen(path, "we");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

/* A hand-written group in a temporary sys root: memory.stat plus the given swap-events file. */
static int read_group(int version, const char *file, const char *text, struct sg_cgroup_stats *cs)
{
    char dir[] = "/tmp/sg-swapev-XXXXXX", cmd[128];
    struct sg_fs tfs = { .proc_fd = -1, .run_fd = -1 };
    struct sg_cgroup cg = { .memory_version = version };
    int r;

    cr_assert(mkdtemp(dir));
    put(dir, "memory.stat", version == 1 ? "total_swap 0\ntotal_pgmajfault 1\n" : "pgmajfault 1\n");
    if (file)
        put(dir, file, text);
    tfs.sys_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    cr_assert_geq(tfs.sys_fd, 0);
    snprintf(tfs.sys_path, sizeof(tfs.sys_path), "%s", dir);
    cg.memory_dir = (char *)"."; /* not owned: not cleared */
    r = sg_cgroup_read(&tfs, &cg, cs, &err);
    close(tfs.sys_fd);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
    return r;
}

Test(swap_events, read_with_the_cgroup_files)
{
    struct sg_cgroup_stats cs;

    /* Absent files: null, not an error (older kernels, no swap accounting, the captures). */
    cr_assert_eq(read_group(2, NULL, NULL, &cs), 0, "%s", err.msg);
    cr_assert_eq(cs.swap_events_max, SG_NONE);
    cr_assert_eq(read_group(1, NULL, NULL, &cs), 0, "%s", err.msg);
    cr_assert_eq(cs.swap_events_max, SG_NONE);
    /* Hand-written well-formed files. */
    cr_assert_eq(read_group(2, "memory.swap.events", "high 0\nmax 4\nfail 6\n", &cs), 0, "%s", err.msg);
    cr_assert_eq(cs.swap_events_max, 4);
    cr_assert_eq(cs.swap_events_fail, 6);
    cr_assert_eq(read_group(1, "memory.memsw.failcnt", "12\n", &cs), 0, "%s", err.msg);
    cr_assert_eq(cs.swap_events_max, 12);
    cr_assert_eq(cs.swap_events_fail, SG_NONE, "v1 has no fail count");
    /* Hand-written malformed files: -EINVAL naming the file. */
    cr_assert_eq(read_group(2, "memory.swap.events", "max x\n", &cs), -EINVAL);
    cr_assert_not_null(strstr(err.file, "memory.swap.events"), "%s", err.file);
    cr_assert_eq(read_group(1, "memory.memsw.failcnt", "max\n", &cs), -EINVAL);
    cr_assert_not_null(strstr(err.file, "memory.memsw.failcnt"), "%s", err.file);
}
