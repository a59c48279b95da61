/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one action table (agent/actions/apply.c, indexed by the remedy enum of
 * policies/recommend.h): each row sits at its own index, apply's listing
 * order has no gaps, every action apply carries out has its help, and every
 * remedy the agent may apply on its own is a live action of the table.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/actions/apply.h"

Test(action_table, rows_at_their_index)
{
    for (int a = 0; a < SG_REC__MAX; a++) {
        cr_assert_eq(sg_actions[a].action, (enum sg_rec_action)a, "row %d", a);
        cr_assert_eq(sg_rec_action_from_name(sg_rec_action_name(a), strlen(sg_rec_action_name(a))), a);
    }
    cr_assert_eq(sg_rec_action_from_name("swap", 4), -EINVAL);
    cr_assert_eq(sg_rec_action_from_name("swap-limitx", 11), -EINVAL);
}

Test(action_table, listing_covers_every_action_once)
{
    size_t n = 0, n_apply = 0;
    const struct sg_action_def *d;

    for (int a = 0; a < SG_REC__MAX; a++)
        if (sg_actions[a].apply) {
            n_apply++;
            cr_assert_not_null(sg_actions[a].target, "%s", sg_rec_action_name(a));
            cr_assert(sg_actions[a].help && *sg_actions[a].help, "%s", sg_rec_action_name(a));
            cr_assert_eq(sg_action_find(sg_rec_action_name(a)), &sg_actions[a]);
        } else {
            cr_assert_eq(sg_actions[a].listed, 0);
            cr_assert_null(sg_action_find(sg_rec_action_name(a)));
        }
    for (; (d = sg_action_listed(n)); n++)
        for (size_t i = 0; i < n; i++)
            cr_assert_neq(sg_action_listed(i), d);
    cr_assert_eq(n, n_apply);
    cr_assert_null(sg_action_find("nosuch"));
    cr_assert_null(sg_action_find(NULL));
}

Test(action_table, auto_actions_are_live)
{
    for (size_t i = 0; i < SG_REC_N_AUTO; i++) {
        const struct sg_action_def *d = &sg_actions[sg_rec_auto_actions[i]];

        cr_assert(sg_rec_action_auto(d->action));
        cr_assert(d->apply && d->live && !d->host, "%s", sg_action_name(d));
    }
    cr_assert(!sg_rec_action_auto(SG_REC_SWAPOFF));
    cr_assert(!sg_rec_action_auto(SG_REC_LOCK_MEMORY));
}

/*
 * The journal as the next swapguard opens it after a kill: an entry still
 * "applying" of an action with nothing to undo (prefetch) is marked failed,
 * "interrupted"; one whose action has a rollback stays "applying" (its
 * rollback reads the host); an applied prefetch is left alone.
 */
Test(action_table, journal_open_marks_an_interrupted_prefetch_failed)
{
    char dir[] = "/tmp/sg-settle-XXXXXX", path[64];
    struct sg_config cfg;
    struct sg_action_journal j = { .lock_fd = -1 };
    unsigned ids[3];
    const char *acts[3] = { "prefetch", "swap-limit", "prefetch" };

    cr_assert_not_null(mkdtemp(dir));
    memset(&cfg, 0, sizeof(cfg));
    snprintf(cfg.state_dir, sizeof(cfg.state_dir), "%s/state", dir);
    cr_assert_eq(sg_action_journal_open(&j, cfg.state_dir, NULL), 0);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(sg_action_journal_add(&j, acts[i], "vm1", "00000000-0000-0000-0000-000000000001",
                                           json_object_new_object(), json_object_new_object(), &ids[i], NULL),
                     0);
    cr_assert_eq(sg_action_journal_set_status(&j, ids[2], "applied", NULL, NULL), 0);
    sg_action_journal_close(&j);

    cr_assert_eq(sg_apply_journal_open(&cfg, &j), 0);
    cr_assert_str_eq(sg_action_entry_str(sg_action_journal_get(&j, ids[0]), "status"), "failed");
    cr_assert(strncmp(sg_action_entry_str(sg_action_journal_get(&j, ids[0]), "note"), "interrupted", 11) == 0);
    cr_assert_str_eq(sg_action_entry_str(sg_action_journal_get(&j, ids[1]), "status"), "applying");
    cr_assert_str_eq(sg_action_entry_str(sg_action_journal_get(&j, ids[2]), "status"), "applied");
    sg_action_journal_close(&j);
    /* Written to disk: a reader sees it too. */
    {
        json_object *root = NULL, *e;

        cr_assert_eq(sg_action_journal_read(cfg.state_dir, SG_ACTION_JOURNAL_IN_DIR, &root, NULL), 0);
        e = json_object_array_get_idx(json_object_object_get(root, "entries"), 0);
        cr_assert_str_eq(sg_action_entry_str(e, "status"), "failed");
        json_object_put(root);
    }
    snprintf(path, sizeof(path), "%s/state/journal.json", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/state/journal.lock", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/state", dir);
    rmdir(path);
    rmdir(dir);
}
