/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PLACEHOLDER while issue #5 is built in parallel: replaced before the issue lands. */
#include <errno.h>

#include "agent/apply.h"

int sg_apply_lock_memory(const struct sg_apply_req *req, struct sg_journal *j)
{
    sg_log_error("lock-memory: not built yet");
    return -ENOSYS;
}

int sg_apply_hugepages(const struct sg_apply_req *req, struct sg_journal *j)
{
    sg_log_error("hugepages: not built yet");
    return -ENOSYS;
}

int sg_rollback_domain_xml(struct sg_ctx *ctx, const struct sg_config *cfg, struct sg_journal *j,
                           json_object *e, bool force, FILE *out)
{
    sg_log_error("rollback of an XML action: not built yet");
    return -ENOSYS;
}
