/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PLACEHOLDER while issue #5 is built in parallel: replaced before the issue lands. */
#include <errno.h>

#include "agent/cli.h"

const struct sg_opt_def sg_agent_opts[] = { { .name = NULL } };

int sg_cmd_agent(struct sg_ctx *ctx, const struct sg_cmd_args *a)
{
    sg_log_error("agent: not built yet");
    return 1;
}
