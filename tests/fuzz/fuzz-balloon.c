/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The virtio-balloon statistics libvirt relays from the guest (guestprobe/balloon.h
 * gp_balloon_from_stats): the input is read as an array of virDomainMemoryStatStruct
 * {tag, value}, any tags and values, as many as it holds. No captured fixture exists for
 * these (libvirt's struct array); the corpus starts from a few records the seed script builds
 * with the tags libvirt documents.
 */
#include "fuzz.h"

#include "guestprobe/balloon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t n = size / sizeof(virDomainMemoryStatStruct);
    virDomainMemoryStatStruct *stats = calloc(n ? n : 1, sizeof(*stats));
    struct gp_balloon b;

    if (!stats)
        abort();
    memcpy(stats, data, n * sizeof(*stats));
    gp_balloon_from_stats(stats, (int)n, &b);
    free(stats);
    return 0;
}
