/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A libvirt domain XML document with Nova metadata (hostprobe/domxml.h sg_domxml_parse) and
 * the comparison of two definitions (sg_domxml_same, here of the document with itself).
 * Seeds: the captured domain XML of tests/data (domxml/, domxml/edit/, hybrid/).
 */
#include "fuzz.h"

#include <errno.h>

#include "hostprobe/domxml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *xml = fuzz_cstr(data, size), why[256];
    struct sg_domxml d;

    if (sg_domxml_parse(xml, &d, why, sizeof(why)) == 0) {
        FUZZ_CHECK(d.n_numa_nodes <= SG_DOMXML_MAX_NODES);
        for (size_t i = 0; i < d.n_numa_nodes; i++) {
            FUZZ_CHECK(d.numa_nodes[i] >= 0 && d.numa_nodes[i] < SG_DOMXML_NODE_ID_LIMIT);
            FUZZ_CHECK(i == 0 || d.numa_nodes[i - 1] < d.numa_nodes[i]);
        }
        FUZZ_CHECK(memchr(d.nova_flavor, '\0', sizeof(d.nova_flavor)) != NULL);
        FUZZ_CHECK(d.nova || d.nova_ns[0] == '\0');
        /* A document that parses is the same as itself, unless it has no canonical form
         * (-EINVAL, a relative namespace URI); never an out-of-memory error. */
        int same = sg_domxml_same(xml, xml, why, sizeof(why));

        FUZZ_CHECK(same == 1 || same == -EINVAL);
    }
    free(xml);
    return 0;
}
