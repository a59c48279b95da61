/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The persistent-XML edits of `swapguard apply` (hostprobe/domxml.h): lock-memory
 * (sg_domxml_lock_memory, 256 MiB of overhead) or hugepages (sg_domxml_hugepages, 2 MiB
 * pages) on the input document. What an edit returns must hold what it promises: the edited
 * document parses, has the element it added, and the edit leaves the original's "before"
 * text equal to the original document (sg_domxml_same, where the document has a canonical
 * form). Seeds: as fuzz-domxml.
 */
#include "fuzz.h"

#include <errno.h>

#include "hostprobe/domxml.h"

static void check_edit(const char *xml, const struct sg_domxml_edit *e, bool lock)
{
    struct sg_domxml d;
    char why[256];

    int same;

    FUZZ_CHECK(e->before && e->after);
    /* 1, or -EINVAL for a document without a canonical form (then the input has none either). */
    same = sg_domxml_same(xml, e->before, why, sizeof(why));
    FUZZ_CHECK(same == 1 || (same == -EINVAL && sg_domxml_same(xml, xml, why, sizeof(why)) == -EINVAL));
    FUZZ_CHECK(sg_domxml_parse(e->after, &d, why, sizeof(why)) == 0);
    if (lock) {
        FUZZ_CHECK(d.locked);
        FUZZ_CHECK(e->hard_limit_after_kib != SG_NONE);
    } else {
        FUZZ_CHECK(d.hugepages && d.hugepage_size_kib == 2048);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *xml = fuzz_cstr(data, size), why[256];
    struct sg_domxml_edit e = { .before = NULL };

    /* One edit per input (the size's parity picks it): twice the executions for the same time. */
    if (size % 2 == 0) {
        if (sg_domxml_lock_memory(xml, 262144, &e, why, sizeof(why)) == 0)
            check_edit(xml, &e, true);
    } else {
        if (sg_domxml_hugepages(xml, 2048, &e, why, sizeof(why)) == 0)
            check_edit(xml, &e, false);
    }
    sg_domxml_edit_clear(&e);
    free(xml);
    return 0;
}
