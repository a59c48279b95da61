/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the Criterion unit tests. */
#pragma once

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

/*
 * Reads tests/data/REL into a malloc'd NUL-terminated buffer; *len (may be
 * NULL) gets its size. Fails the test when the file cannot be read.
 */
static inline char *sg_test_slurp(const char *rel, size_t *len)
{
    char path[4096];
    FILE *f;
    char *buf;
    long n;

    snprintf(path, sizeof(path), "%s/%s", SG_TEST_DATA, rel);
    f = fopen(path, "r");
    cr_assert_not_null(f, "open %s", path);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    cr_assert_not_null(buf);
    cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    if (len)
        *len = (size_t)n;
    return buf;
}

/* Reads tests/data/guest-agent/NAME (captured qemu-ga replies), as sg_test_slurp. */
static inline char *sg_test_slurp_agent(const char *name, size_t *len)
{
    char rel[512];

    snprintf(rel, sizeof(rel), "guest-agent/%s", name);
    return sg_test_slurp(rel, len);
}
