/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "balloon.h"

#include <errno.h>

#include "util/sg-util.h"

void gp_balloon_from_stats(const virDomainMemoryStatStruct *stats, int n, struct gp_balloon *out)
{
    out->swap_in_kib = out->swap_out_kib = out->major_fault = SG_NONE;
    out->usable_kib = out->last_update = SG_NONE;
    for (int i = 0; i < n; i++) {
        uint64_t v = stats[i].val;
        switch (stats[i].tag) {
        case VIR_DOMAIN_MEMORY_STAT_SWAP_IN: out->swap_in_kib = v; break;
        case VIR_DOMAIN_MEMORY_STAT_SWAP_OUT: out->swap_out_kib = v; break;
        case VIR_DOMAIN_MEMORY_STAT_MAJOR_FAULT: out->major_fault = v; break;
        case VIR_DOMAIN_MEMORY_STAT_USABLE: out->usable_kib = v; break;
        case VIR_DOMAIN_MEMORY_STAT_LAST_UPDATE: out->last_update = v; break;
        default: break;
        }
    }
}

int gp_balloon_read(virDomainPtr dom, struct gp_balloon *out)
{
    virDomainMemoryStatStruct stats[VIR_DOMAIN_MEMORY_STAT_NR];
    int n = virDomainMemoryStats(dom, stats, VIR_DOMAIN_MEMORY_STAT_NR, 0);

    if (n < 0) {
        gp_balloon_from_stats(stats, 0, out);
        return -EIO;
    }
    gp_balloon_from_stats(stats, n, out);
    return 0;
}
