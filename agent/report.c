/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PLACEHOLDER while issue #5 is built in parallel: replaced before the issue lands. */
#include <errno.h>

#include "agent/report.h"

int sg_report_round(const struct sg_config *cfg, const struct sg_host_facts *host,
                    const struct sg_report_dom *d, size_t n, double now)
{
    return -ENOSYS;
}
