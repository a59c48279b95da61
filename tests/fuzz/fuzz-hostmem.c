/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The host-wide files (util/procfmt.h, hostprobe/procfs.h), each parser over the same input:
 * /proc/meminfo, /proc/vmstat, /proc/swaps and /proc/pressure/memory. Seeds: the captured
 * files of tests/data/{hybrid,v1,v2}/proc.
 */
#include "fuzz.h"

#include "hostprobe/procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = fuzz_cstr(data, size), msg[PATH_MAX + 300];
    struct sg_error err = { .line = 0 };
    struct sg_swap_device *swaps = NULL;
    struct sg_meminfo mi;
    struct sg_vmstat vm;
    struct sg_psi psi;
    int n;

    if (sg_parse_meminfo(buf, "/proc", "meminfo", &mi, &err) < 0)
        sg_error_format(&err, msg, sizeof(msg));
    if (sg_parse_vmstat(buf, "/proc", "vmstat", &vm, &err) < 0)
        sg_error_format(&err, msg, sizeof(msg));
    if (sg_parse_psi(buf, "/proc", "pressure/memory", &psi, &err) < 0)
        sg_error_format(&err, msg, sizeof(msg));
    n = sg_parse_swaps(buf, "/proc", "swaps", &swaps, &err);
    if (n < 0) {
        sg_error_format(&err, msg, sizeof(msg));
    } else {
        for (int i = 0; i < n; i++) {
            FUZZ_CHECK(memchr(swaps[i].filename, '\0', sizeof(swaps[i].filename)) != NULL);
            FUZZ_CHECK(memchr(swaps[i].type, '\0', sizeof(swaps[i].type)) != NULL);
        }
        free(swaps);
    }
    free(buf);
    return 0;
}
