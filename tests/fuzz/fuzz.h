/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shared by the libFuzzer targets tests/fuzz/fuzz-*.c (built with -Dfuzz=true, clang,
 * -fsanitize=fuzzer,address,undefined). Each target feeds the input to the parsers of one
 * kind of untrusted or broken input, the way the program does, and frees what they return,
 * so that ASan, UBSan and LeakSanitizer see every path. A target aborts (a finding) only on
 * a memory or UB error, a leak, or a broken invariant it states.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a NUL-terminated string (the parsers of text files take one; an embedded
 * NUL ends the text early, as it would for them). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* A stated invariant of the code under test; a violation is a finding. */
#define FUZZ_CHECK(cond)                                                                        \
    do {                                                                                        \
        if (!(cond)) {                                                                          \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond);       \
            abort();                                                                            \
        }                                                                                       \
    } while (0)
