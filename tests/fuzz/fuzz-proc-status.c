/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /proc/PID/status of a QEMU process (hostprobe/procfs.h sg_parse_proc_status). Seeds: the
 * captured status files of tests/data/{hybrid,v1,v2}/proc. */
#include "fuzz.h"

#include "hostprobe/procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = fuzz_cstr(data, size), msg[PATH_MAX + 300];
    struct sg_proc_status st;
    struct sg_error err = { .line = 0 };

    if (sg_parse_proc_status(buf, "/proc", "1/status", &st, &err) < 0)
        sg_error_format(&err, msg, sizeof(msg));
    free(buf);
    return 0;
}
