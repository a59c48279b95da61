/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reports: where a verdict goes besides the terminal.
 *  - libvirt: a <swapguard:report> metadata element (namespace SG_REPORT_NS)
 *    set on the running domain, live only; libvirt raises a metadata-change
 *    domain event for it (virsh event --event metadata-change), and `virsh
 *    metadata DOMAIN SG_REPORT_NS` reads it;
 *  - one line appended to the domain's libvirt log (DIR/NAME.log);
 *  - journald (structured fields), or syslog when journald is not running;
 *  - a Prometheus textfile (node_exporter textfile collector), replaced
 *    atomically, covering every domain of the round;
 *  - a JSON Lines history file, one line per verdict change.
 * What each output gets is configured in [report] (agent/config.h).
 */
#pragma once

#include <stdbool.h>

#include "agent/cli.h"
#include "agent/collect.h"
#include "agent/config.h"
#include "policies/verdict.h"

#define SG_REPORT_NS "https://swapguard.dev/xmlns/report/1"
#define SG_REPORT_PREFIX "swapguard"

/* One domain's part of a report round. */
struct sg_report_dom {
    const struct sg_watch *w;        /* name, UUID, id, domain handle (w->dom) */
    const struct sg_verdict *v;      /* its verdict */
    const struct sg_dom_facts *last; /* its newest tick, NULL when none */
    const char *prev_verdict;        /* verdict name of the last report, NULL: first report */
    bool changed;                    /* emit the per-change outputs (metadata, log line, journal,
                                        history) for this domain */
};

/*
 * One round: the per-change outputs for every d[i].changed, then the
 * textfile for all n domains and the host. now: Unix seconds of the round.
 * Every configured output is tried; a failing one logs one warning naming the
 * output and the domain (sg_log_warning) and the rest go on. Returns 0 or the
 * first failure's -errno. The metadata needs a read-write connection (conn of
 * d[i].w->dom).
 */
int sg_report_round(const struct sg_config *cfg, const struct sg_host_facts *host,
                    const struct sg_report_dom *d, size_t n, double now);
