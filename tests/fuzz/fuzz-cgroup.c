/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The cgroup files (hostprobe/cgroup.h, util/procfmt.h), each parser over the same input:
 * memory.stat of a v1 and of a v2 group, memory.swap.events, a one-value file read as a
 * limit (memory.max, "max" allowed) and as a count (memory.memsw.failcnt), memory.pressure
 * (PSI) and /proc/PID/cgroup. Seeds: every captured file under tests/data/{hybrid,v1,v2}/sys
 * and the captured /proc/PID/cgroup files.
 */
#include "fuzz.h"

#include "hostprobe/cgroup.h"

static void report(int r, const struct sg_error *err)
{
    char msg[PATH_MAX + 300];

    if (r < 0)
        sg_error_format(err, msg, sizeof(msg));
}

/* Absolute, without a ".." component ("a..b" is a name like any other). */
static bool path_ok(const char *p)
{
    size_t n = strlen(p);

    if (p[0] != '/')
        return false;
    for (const char *c = strstr(p, ".."); c; c = strstr(c + 1, ".."))
        if (c[-1] == '/' && (c[2] == '/' || c + 2 == p + n))
            return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = fuzz_cstr(data, size);
    struct sg_error err = { .line = 0 };
    struct sg_proc_cgroup pc;
    struct sg_psi psi;
    uint64_t a, b;
    int r;

    report(sg_parse_memory_stat(buf, 1, "/sys", "fs/cgroup/memory/memory.stat", &a, &b, &err), &err);
    report(sg_parse_memory_stat(buf, 2, "/sys", "fs/cgroup/memory.stat", &a, &b, &err), &err);
    report(sg_parse_swap_events(buf, "/sys", "fs/cgroup/memory.swap.events", &a, &b, &err), &err);
    /* The readers take at most 64 bytes of a one-value file. */
    report(sg_parse_cgroup_value((const char *)data, size > 64 ? 64 : size, true, "/sys",
                                 "fs/cgroup/memory.max", &a, &err), &err);
    report(sg_parse_cgroup_value((const char *)data, size > 64 ? 64 : size, false, "/sys",
                                 "fs/cgroup/memory/memory.memsw.failcnt", &a, &err), &err);
    r = sg_parse_psi(buf, "/sys", "fs/cgroup/memory.pressure", &psi, &err);
    report(r, &err);
    r = sg_parse_proc_cgroup(buf, "/proc", "1/cgroup", &pc, &err);
    report(r, &err);
    if (r == 0) {
        /* Stated by sg_parse_proc_cgroup: paths are absolute and have no ".." component. */
        if (pc.has_v1_memory)
            FUZZ_CHECK(path_ok(pc.v1_memory));
        if (pc.has_v2)
            FUZZ_CHECK(path_ok(pc.v2));
    }
    free(buf);
    return 0;
}
