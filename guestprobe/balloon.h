/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The guest's own swap and fault counters as the virtio balloon reports them
 * through libvirt (virDomainMemoryStats). Needs no guest agent, but needs
 * <memballoon><stats period='N'/> in the domain XML; absent figures are SG_NONE.
 */
#pragma once

#include <libvirt/libvirt.h>
#include <stdint.h>

struct gp_balloon {
    uint64_t swap_in_kib;   /* VIR_DOMAIN_MEMORY_STAT_SWAP_IN: read from guest swap, KiB */
    uint64_t swap_out_kib;  /* VIR_DOMAIN_MEMORY_STAT_SWAP_OUT: written to guest swap, KiB */
    uint64_t major_fault;   /* VIR_DOMAIN_MEMORY_STAT_MAJOR_FAULT: count */
    uint64_t usable_kib;    /* VIR_DOMAIN_MEMORY_STAT_USABLE: KiB */
    uint64_t last_update;   /* VIR_DOMAIN_MEMORY_STAT_LAST_UPDATE: guest seconds since epoch */
};

/* Fills out from n libvirt stats (pure; unknown tags ignored, absent -> SG_NONE). */
void gp_balloon_from_stats(const virDomainMemoryStatStruct *stats, int n, struct gp_balloon *out);

/* virDomainMemoryStats(dom). Returns 0, or -EIO when libvirt fails. */
int gp_balloon_read(virDomainPtr dom, struct gp_balloon *out);
