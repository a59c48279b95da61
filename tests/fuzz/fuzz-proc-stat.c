/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * /proc/PID/stat and /proc/PID/task/TID/stat, a thread's comm ("CPU n/KVM") and
 * /proc/PID/cmdline (hostprobe/procfs.h), each parser over the same input. Seeds: the captured
 * stat, task stat, comm and cmdline files of tests/data/{hybrid,v1,v2}/proc.
 */
#include "fuzz.h"

#include "hostprobe/procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = fuzz_cstr(data, size), msg[PATH_MAX + 300], accel[8];
    struct sg_proc_stat st;
    struct sg_error err = { .line = 0 };
    int vcpu;

    if (sg_parse_proc_stat(buf, "/proc", "1/stat", &st, &err) < 0) {
        sg_error_format(&err, msg, sizeof(msg));
    } else {
        /* comm is NUL-terminated within its array. */
        FUZZ_CHECK(memchr(st.comm, '\0', sizeof(st.comm)) != NULL);
    }
    if (sg_parse_vcpu_comm(buf, &vcpu, accel)) {
        FUZZ_CHECK(vcpu >= 0);
        FUZZ_CHECK(memchr(accel, '\0', sizeof(accel)) != NULL);
    }
    (void)sg_cmdline_has_uuid((const char *)data, size, "8f02a90a-ebaf-4195-a377-dc9e0bb83e30");
    free(buf);
    return 0;
}
