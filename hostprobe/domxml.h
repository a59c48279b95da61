/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The memory-relevant facts of a libvirt domain XML document (the text
 * virDomainGetXMLDesc() returns, live or with VIR_DOMAIN_XML_INACTIVE), for
 * the recommendations: is guest RAM locked or hugepage-backed (then it cannot
 * be swapped by the host), which memtune limits squeeze it, which host NUMA
 * nodes it may allocate from, and whether OpenStack Nova manages it.
 *
 * Pure parsing: no libvirt call, no I/O, no logging.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sg-util.h"

/* Capacity of sg_domxml.numa_nodes; a nodeset with more nodes is -ERANGE. */
#define SG_DOMXML_MAX_NODES 64
/* Host NUMA node ids must be below this (Linux: MAX_NUMNODES <= 1 << 10). */
#define SG_DOMXML_NODE_ID_LIMIT 1024
/* Largest document sg_domxml_parse() accepts. */
#define SG_DOMXML_MAX_BYTES (16u * 1024 * 1024)
/* Namespace prefix of Nova's instance metadata (.../nova/1.0, .../nova/1.1). */
#define SG_DOMXML_NOVA_NS_PREFIX "http://openstack.org/xmlns/libvirt/nova/"

/*
 * Sizes follow libvirt's rules (docs/formatdomain.rst "Memory Allocation",
 * src/util/virutil.c virScaleInteger): the unit attribute is matched
 * case-insensitively; "b", "byte", "bytes" = 1; "k", "KiB", "M", "MiB", "G",
 * "GiB", "T", "TiB", "P", "PiB", "E", "EiB" = powers of 1024; "KB", "MB",
 * "GB", "TB", "PB", "EB" = powers of 1000; no unit (or unit='') = KiB. The
 * byte count is rounded up to a whole KiB, as libvirt does.
 */
struct sg_domxml {
    /* /domain/memoryBacking/locked is present: guest RAM (and QEMU's own
     * memory) is mlock()ed, the host cannot swap it. */
    bool locked;
    /* /domain/memoryBacking/hugepages is present: guest RAM comes from
     * hugetlbfs, which the host never swaps. */
    bool hugepages;
    /* /domain/memoryBacking/hugepages/page[1]/@size with @unit, in KiB
     * (2048 for 2 MiB pages, 1048576 for 1 GiB); 0 when there is no <page>
     * element, i.e. the host's default hugepage size. Later <page> elements
     * (per guest NUMA node sizes) are not reported. */
    uint64_t hugepage_size_kib;
    /* /domain/memtune/hard_limit with @unit, in KiB (the cgroup memory limit
     * of the whole QEMU process; `virsh memtune --hard-limit`). SG_NONE when
     * absent; SG_UNLIMITED when it is VIR_DOMAIN_MEMORY_PARAM_UNLIMITED KiB
     * (9007199254740991) or more, which libvirt treats as no limit. */
    uint64_t hard_limit_kib;
    /* /domain/memtune/swap_hard_limit with @unit, in KiB (memory + swap
     * limit). SG_NONE when absent, SG_UNLIMITED as for hard_limit_kib. */
    uint64_t swap_hard_limit_kib;
    /* /domain/numatune/memory/@nodeset: the host NUMA nodes guest memory may
     * come from, ascending, without duplicates. n_numa_nodes == 0 means any
     * node: no <numatune>, no nodeset, or placement='auto' (numad decides at
     * start; libvirt ignores the nodeset then). Per-cell <memnode> elements
     * are not reported. */
    int numa_nodes[SG_DOMXML_MAX_NODES];
    size_t n_numa_nodes;
    /* /domain/metadata has a child element whose namespace URI starts with
     * SG_DOMXML_NOVA_NS_PREFIX (Nova writes <nova:instance>). */
    bool nova;
    /* /domain/metadata/nova:instance/nova:flavor/@name (both elements in the
     * same Nova namespace): the flavor name as raw UTF-8 bytes, which may hold
     * tabs, newlines and other control characters -- escape it on output.
     * "" when absent. Longer names are cut at a UTF-8 character boundary to
     * fit (never in the middle of a character) and nova_flavor_truncated is
     * set. */
    char nova_flavor[256];
    bool nova_flavor_truncated;
    /* The namespace URI of the first Nova element in /domain/metadata, e.g.
     * "http://openstack.org/xmlns/libvirt/nova/1.1"; "" when !nova. Cut like
     * nova_flavor if it does not fit. */
    char nova_ns[128];
};

/*
 * Parses xml, a NUL-terminated libvirt domain XML document of at most
 * SG_DOMXML_MAX_BYTES bytes, into *out (written only on success).
 *
 * libxml2 reads it with XML_PARSE_NONET and without XML_PARSE_NOENT /
 * XML_PARSE_DTDLOAD: a DOCTYPE is tolerated, but no external entity or DTD is
 * fetched (not from the network, not from files); internal entities are
 * expanded and libxml2 refuses exponential entity expansion.
 *
 * Numbers must be plain decimal digits (surrounding XML whitespace allowed in
 * element text). Nodesets follow libvirt's virBitmapParse: comma-separated
 * entries "N", "N-M" (N <= M) and "^N", which removes N from the nodes listed
 * before it (exclusions are applied in order, as libvirt does: "0-3,^1" is
 * 0,2,3); spaces around entries are allowed.
 *
 * Returns 0; -EINVAL when xml is not well-formed, the root is not an
 * un-namespaced <domain>, a number or nodeset is malformed, a unit is unknown,
 * a <page> has no size or size 0, or a nodeset selects no node at all;
 * -ERANGE when a size does not fit in 64 bits of bytes, a node id is
 * >= SG_DOMXML_NODE_ID_LIMIT, or a nodeset has more than SG_DOMXML_MAX_NODES
 * nodes; -EFBIG when xml is longer than SG_DOMXML_MAX_BYTES; -ENOMEM.
 * On failure why (may be NULL) gets a short reason; bytes taken from the
 * document are shown with non-printable characters replaced by '?'.
 */
int sg_domxml_parse(const char *xml, struct sg_domxml *out, char *why, size_t why_size);
