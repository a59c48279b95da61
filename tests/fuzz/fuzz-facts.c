/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One line of a `diagnose --record` file, read back as the replay does (json_tokener_parse,
 * then "type" and "facts" into sg_host_facts_from_json / sg_dom_facts_from_json,
 * agent/core/collect.h); the bare object is also given to both readers. Seeds: the lines of
 * the captured recordings tests/data/scenarios/NAME.jsonl.
 */
#include "fuzz.h"

#include "agent/core/collect.h"

static void read_facts(json_object *o)
{
    struct sg_host_facts *h = calloc(1, sizeof(*h));
    struct sg_dom_facts *d = calloc(1, sizeof(*d));
    char why[256];

    if (!h || !d)
        abort();
    if (sg_host_facts_from_json(o, h, why, sizeof(why)) == 0) {
        json_object *back = sg_host_facts_to_json(h);
        /* What the writer writes, the reader reads. */
        FUZZ_CHECK(sg_host_facts_from_json(back, h, why, sizeof(why)) == 0);
        json_object_put(back);
    }
    if (sg_dom_facts_from_json(o, d, why, sizeof(why)) == 0) {
        json_object *back = sg_dom_facts_to_json(d);

        FUZZ_CHECK(sg_dom_facts_from_json(back, d, why, sizeof(why)) == 0);
        json_object_put(back);
    }
    free(h);
    free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *line = fuzz_cstr(data, size);
    json_object *o = json_tokener_parse(line), *facts;

    if (o) {
        if (json_object_object_get_ex(o, "facts", &facts))
            read_facts(facts);
        read_facts(o);
        json_object_put(o);
    }
    free(line);
    return 0;
}
