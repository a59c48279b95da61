/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one action table (agent/actions/apply.c, indexed by the remedy enum of
 * policies/recommend.h): each row sits at its own index, apply's listing
 * order has no gaps, every action apply carries out has its help, and every
 * remedy the agent may apply on its own is a live action of the table.
 */
#include <criterion/criterion.h>
#include <string.h>

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
