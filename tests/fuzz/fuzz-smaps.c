/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * /proc/PID/smaps (sg_parse_guest_ram, for a 256 MiB guest as in the captures) and
 * /proc/PID/smaps_rollup (sg_parse_smaps_rollup), hostprobe/smaps.h, over the same input.
 * Seeds: the captured smaps files cut into runs of a few mappings (the whole files are 250 kB)
 * and the captured smaps_rollup files.
 */
#include "fuzz.h"

#include "hostprobe/smaps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = fuzz_cstr(data, size), msg[PATH_MAX + 300];
    struct sg_error err = { .line = 0 };
    struct sg_guest_ram ram;
    uint64_t swap_kib;

    if (size > 0) {
        FILE *f = fmemopen(buf, size, "r");

        if (!f)
            abort();
        if (sg_parse_guest_ram(f, "/proc", "1/smaps", 262144, &ram, &err) < 0) {
            sg_error_format(&err, msg, sizeof(msg));
        } else if (ram.found) {
            FUZZ_CHECK(ram.size_kib == 262144);
            FUZZ_CHECK(ram.n_candidates >= 1);
            FUZZ_CHECK(memchr(ram.path, '\0', sizeof(ram.path)) != NULL);
        }
        fclose(f);
    }
    if (sg_parse_smaps_rollup(buf, "/proc", "1/smaps_rollup", &swap_kib, &err) < 0)
        sg_error_format(&err, msg, sizeof(msg));
    free(buf);
    return 0;
}
