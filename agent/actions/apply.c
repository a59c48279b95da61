/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Running an action: the action journal of the configured state directory around it. */
#include <errno.h>
#include <string.h>

#include "agent/actions/apply.h"

int sg_apply_journal_open(const struct sg_config *cfg, struct sg_action_journal *j)
{
    struct sg_error err = { 0 };
    char buf[sizeof(err.msg) + PATH_MAX + 16];
    int r = sg_action_journal_open(j, cfg->state_dir, &err);

    if (r < 0)
        sg_log_error("action journal: %s%s", sg_error_format(&err, buf, sizeof(buf)),
                     r == -EACCES || r == -EPERM ? " (apply and rollback need root)" : "");
    return r;
}

int sg_apply_run(const struct sg_apply_req *req)
{
    const struct sg_action_def *act = sg_action_find(req->action);
    struct sg_action_journal j = { .lock_fd = -1 };
    int r;

    if (!act || !act->live)
        return -EINVAL;
    r = sg_apply_journal_open(req->cfg, &j);
    if (r == 0)
        r = act->apply(req, &j);
    sg_action_journal_close(&j);
    return r;
}
