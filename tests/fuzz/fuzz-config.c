/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * swapguard.conf (agent/core/config.h sg_config_load_buffer: the text of the file, through
 * the same reader and libinih as sg_config_load). Seed: the shipped etc/swapguard.conf.
 */
#include "fuzz.h"

#include "agent/core/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sg_config c;
    char msg[512];

    if (sg_config_load_buffer(&c, "swapguard.conf", (const char *)data, size, msg, sizeof(msg)) == 0) {
        FUZZ_CHECK(c.interval_s >= 0.1 && c.interval_s <= 3600);
        FUZZ_CHECK(c.ring_length >= 2 && c.ring_length <= 100000);
        FUZZ_CHECK(memchr(c.state_dir, '\0', sizeof(c.state_dir)) != NULL);
    } else {
        FUZZ_CHECK(memchr(msg, '\0', sizeof(msg)) != NULL);
    }
    sg_config_clear(&c);
    return 0;
}
