/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The action journal file (agent/actions/action-journal.h sg_action_journal_parse: the text
 * sg_action_journal_open reads), then every entry read back the way rollback and history
 * read it. Seeds: journals written by the journal's own writer (seed-journal.c).
 */
#include "fuzz.h"

#include "agent/actions/action-journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_object *root = NULL, *entries;
    char why[160];

    if (sg_action_journal_parse((const char *)data, size, &root, why, sizeof(why)) < 0) {
        FUZZ_CHECK(memchr(why, '\0', sizeof(why)) != NULL);
        return 0;
    }
    /* Stated by the parser: an object with an "entries" array of objects. */
    FUZZ_CHECK(json_object_object_get_ex(root, "entries", &entries));
    FUZZ_CHECK(json_object_is_type(entries, json_type_array));
    for (size_t i = 0; i < json_object_array_length(entries); i++) {
        json_object *e = json_object_array_get_idx(entries, i);

        FUZZ_CHECK(json_object_is_type(e, json_type_object));
        FUZZ_CHECK(sg_action_entry_int(e, "id", -1) > 0);
        FUZZ_CHECK(sg_action_entry_str(e, "action") && sg_action_entry_str(e, "status"));
        (void)sg_action_entry_str(e, "target");
        (void)sg_action_entry_str(e, "uuid");
        (void)sg_action_entry_str(e, "note");
        (void)sg_action_entry_obj(e, "before");
        (void)sg_action_entry_obj(e, "after");
    }
    json_object_put(root);
    return 0;
}
