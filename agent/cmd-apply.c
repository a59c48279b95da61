/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PLACEHOLDER while issue #5 is built in parallel: replaced before the issue lands. */
#include <errno.h>

#include "agent/apply.h"

const struct sg_opt_def sg_apply_opts[] = { { .name = NULL } };
const struct sg_opt_def sg_rollback_opts[] = { { .name = NULL } };
const struct sg_opt_def sg_history_opts[] = { { .name = NULL } };

int sg_cmd_apply(struct sg_ctx *ctx, const struct sg_cmd_args *a)
{
    sg_log_error("apply: not built yet");
    return 1;
}

int sg_cmd_rollback(struct sg_ctx *ctx, const struct sg_cmd_args *a)
{
    sg_log_error("rollback: not built yet");
    return 1;
}

int sg_cmd_history(struct sg_ctx *ctx, const struct sg_cmd_args *a)
{
    sg_log_error("history: not built yet");
    return 1;
}

int sg_apply_run(const struct sg_apply_req *req)
{
    return -ENOSYS;
}
