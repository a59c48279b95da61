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

#include "util/sg-util.h"

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
    /* The owner and name of the Nova instance, for joining swapguard's figures
     * with OpenStack's (swapguard_domain_info). All from the first
     * /domain/metadata/nova:instance, every element in that instance's Nova
     * namespace; raw UTF-8 bytes, cut like nova_flavor (nova_labels_truncated
     * then set), "" when absent. Tenant-controlled text (an instance name, a
     * project name): escape it on output.
     *  - nova_name: nova:instance/nova:name text, the instance's display name
     *    (as `openstack server list` shows it);
     *  - nova_project_uuid: nova:instance/nova:owner/nova:project/@uuid (a
     *    Keystone project id, 32 hex digits in practice);
     *  - nova_project_name: that nova:project element's text.
     * The instance UUID is the domain's own <uuid> (Nova defines the domain with
     * it), so it is not repeated here. */
    char nova_name[256];
    char nova_project_uuid[64];
    char nova_project_name[256];
    bool nova_labels_truncated;
    /* The guest's serial console log: @path of the first
     * /domain/devices/serial[@type='file']/source, else of
     * /domain/devices/console[@type='file']/source (Nova's console.log); ""
     * when there is none, or the path is not absolute or does not fit. */
    char console_log[512];
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

/*
 * Only what watching a domain needs of xml: the Nova metadata (the nova*
 * fields of struct sg_domxml) and the serial console log (console_log); the
 * memory facts are left at "none": not locked, no hugepages, no limits, any
 * node. For labelling a domain's figures and reading its console: a document whose memory elements
 * sg_domxml_parse() would refuse (an unknown unit, a bad nodeset) still gives
 * its Nova labels. The same reading rules and errors as sg_domxml_parse()
 * otherwise: -EINVAL (not well-formed, root not <domain>), -EFBIG, -ENOMEM.
 */
int sg_domxml_parse_nova(const char *xml, struct sg_domxml *out, char *why, size_t why_size);

/* ---- Edits of the persistent domain XML (swapguard apply) ---------------- */

/*
 * One edit of a domain document, as sg_domxml_lock_memory() and
 * sg_domxml_hugepages() return it. before and after come from the same
 * libxml2 writer (UTF-8, no XML declaration, every whitespace node kept,
 * attributes in double quotes): before is the input unchanged, after the
 * input with the edit, so a line diff of the two shows the edit and nothing
 * else. Comments, DOCTYPE, entity references, namespaced metadata and every
 * element the edit does not touch are kept as they are. libvirt formats the
 * document anew on virDomainDefineXML in any case.
 */
struct sg_domxml_edit {
    char *before;                   /* malloc'd, NUL-terminated, ends with a newline */
    char *after;                    /* malloc'd, NUL-terminated, ends with a newline */
    /* /domain/memory with @unit (libvirt's rules above), KiB: the guest RAM
     * of the next boot (virDomainGetInfo maxMem of an inactive domain). */
    uint64_t memory_kib;
    /* /domain/memtune/hard_limit with @unit, KiB, before and after the edit:
     * SG_NONE when absent, SG_UNLIMITED as in struct sg_domxml. */
    uint64_t hard_limit_before_kib;
    uint64_t hard_limit_after_kib;
};

/* Frees before and after and zeroes e (NULL and repeated calls are fine). */
void sg_domxml_edit_clear(struct sg_domxml_edit *e);

/*
 * Lock guest RAM: ensures /domain/memoryBacking/locked, creating
 * <memoryBacking> where libvirt formats it (after <memtune>, before <vcpu>),
 * and <locked/> after <hugepages>/<nosharepages> inside it. Also sets
 * /domain/memtune/hard_limit to memory + overhead_kib KiB (unit='KiB',
 * creating <memtune> after <currentMemory>/<blkiotune>) when there is none,
 * it is unlimited, or it is lower; a higher one is kept. The reason:
 * libvirt's formatdomain.rst (Memory Backing, "locked") says QEMU's own
 * memory is locked too, libvirt then lifts the memlock limit altogether
 * (qemuDomainGetMemLockLimitBytes: unlimited without a hard_limit, else the
 * hard_limit) and it is "highly recommended to set a hard_limit" with it.
 * That is the XML `swapguard recommend` prints for lock-memory.
 *
 * Returns 0 with *out filled (caller sg_domxml_edit_clear()s it);
 * -EALREADY when memoryBacking/locked is already there (nothing to do);
 * -EINVAL when xml does not parse as sg_domxml_parse() requires, has no
 * <memory>, or has a memtune swap_hard_limit below the hard_limit it would
 * set (formatdomain.rst: swap_hard_limit, memory plus swap, "has to be more
 * than hard_limit"; cgroup v1 refuses a memsw limit below the memory limit,
 * so the guest would not start); -ERANGE when
 * memory + overhead_kib overflows; -EFBIG, -ENOMEM. why (may be NULL) gets
 * the reason on failure. Pure: no libvirt call, no I/O.
 */
int sg_domxml_lock_memory(const char *xml, uint64_t overhead_kib, struct sg_domxml_edit *out,
                          char *why, size_t why_size);

/*
 * Back guest RAM with hugepages of page_size_kib KiB (2048 or 1048576 on
 * x86): ensures /domain/memoryBacking/hugepages holding one
 * <page size='N' unit='KiB'/> (no nodeset: that attribute names guest NUMA
 * cells, not host nodes), first inside <memoryBacking> as libvirt formats it;
 * an existing <locked/>, <nosharepages/>, <source/> ... stays. The host
 * nodes of numatune are the caller's business (which pools must have the
 * pages). hard_limit_* report the unchanged memtune.
 *
 * Returns 0 with *out filled; -EALREADY when memoryBacking/hugepages is
 * already there; -EINVAL as sg_domxml_lock_memory (and for page_size_kib 0);
 * -EFBIG, -ENOMEM. why as above.
 */
int sg_domxml_hugepages(const char *xml, uint64_t page_size_kib, struct sg_domxml_edit *out,
                        char *why, size_t why_size);

/*
 * Whether a and b are the same document up to how it is written: their
 * canonical forms (libxml2, Canonical XML 1.0 with comments: attribute
 * order, quote style, empty-element and character-reference syntax and the
 * XML declaration do not matter; whitespace inside the root element does)
 * are equal. For telling whether libvirt's text of a definition is still the
 * document swapguard defined. Returns 1 (same), 0 (different), or -EINVAL
 * when either does not parse as sg_domxml_parse() requires or has no
 * canonical form (Canonical XML 1.0 refuses relative namespace URIs, which
 * libvirt accepts in <metadata>; why says which), -ENOMEM.
 */
int sg_domxml_same(const char *a, const char *b, char *why, size_t why_size);
