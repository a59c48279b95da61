/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hostprobe/domxml.c: the memory facts of libvirt domain XML.
 *
 * Real documents first: the `virsh dumpxml` of our squeezed harness guest
 * (tests/data/hybrid/domain-sgcap-squeezed.xml, cross-checked against the
 * cgroup limits the kernel enforced in the same capture), two Nova-generated
 * definitions (namespaces nova/1.0 and nova/1.1) and libvirt's own test
 * inputs (tests/data/domxml/, each file names its source). Everything after
 * "HAND-WRITTEN" below is written by hand on purpose: unit arithmetic,
 * nodesets, and hostile documents (not XML, wrong root, overflowing sizes,
 * bad nodesets, a 300-byte flavor name with control characters, oversized
 * Nova owner labels, DOCTYPEs with external entities) that real libvirt never
 * prints.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostprobe/domxml.h"
#include "sg-test.h"

static int parse_file(const char *rel, struct sg_domxml *d)
{
    char *xml = sg_test_slurp(rel, NULL), why[256] = "";
    int r = sg_domxml_parse(xml, d, why, sizeof(why));

    cr_assert_eq(r, 0, "%s: %d %s", rel, r, why);
    free(xml);
    return r;
}

static void assert_nodes(const struct sg_domxml *d, const int *want, size_t n, const char *what)
{
    cr_assert_eq(d->n_numa_nodes, n, "%s: %zu nodes, want %zu", what, d->n_numa_nodes, n);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(d->numa_nodes[i], want[i], "%s: node[%zu] = %d, want %d", what, i,
                     d->numa_nodes[i], want[i]);
}

/* A decimal value from a captured cgroup file of the hybrid tree. */
static uint64_t cgroup_u64(const char *cgroup_path, const char *file)
{
    char rel[512], *s, *end;
    unsigned long long v;

    snprintf(rel, sizeof(rel), "hybrid/sys/fs/cgroup/memory%s/%s", cgroup_path, file);
    s = sg_test_slurp(rel, NULL);
    v = strtoull(s, &end, 10);
    cr_assert(end != s, "%s: no number", rel);
    free(s);
    return v;
}

/* SQ_CGROUP_PATH from hybrid/facts.env (written by the capture script). */
static void squeezed_cgroup_path(char *out, size_t size)
{
    char *facts = sg_test_slurp("hybrid/facts.env", NULL), *p = strstr(facts, "\nSQ_CGROUP_PATH='"), *e;

    cr_assert_not_null(p, "facts.env has no SQ_CGROUP_PATH");
    p += strlen("\nSQ_CGROUP_PATH='");
    e = strchr(p, '\'');
    cr_assert_not_null(e);
    cr_assert_lt((size_t)(e - p), size);
    memcpy(out, p, (size_t)(e - p));
    out[e - p] = '\0';
    free(facts);
}

/* ---- real documents ---------------------------------------------------- */

Test(domxml_real, squeezed_harness_guest)
{
    struct sg_domxml d;
    char cg[256];

    parse_file("hybrid/domain-sgcap-squeezed.xml", &d);
    cr_assert_not(d.locked);
    cr_assert_not(d.hugepages);
    cr_assert_eq(d.hugepage_size_kib, 0);
    /* <hard_limit unit='KiB'>122880</hard_limit>: `virsh memtune --hard-limit 120MiB` */
    cr_assert_eq(d.hard_limit_kib, 122880);
    cr_assert_eq(d.swap_hard_limit_kib, 8388608);
    cr_assert_eq(d.n_numa_nodes, 0);
    cr_assert_not(d.nova);
    cr_assert_str_eq(d.nova_flavor, "");
    cr_assert_str_eq(d.nova_ns, "");

    /* The same limits as the kernel enforced them (v1 memory cgroup, same capture). */
    squeezed_cgroup_path(cg, sizeof(cg));
    cr_assert_eq(d.hard_limit_kib * 1024, cgroup_u64(cg, "memory.limit_in_bytes"));
    cr_assert_eq(d.swap_hard_limit_kib * 1024, cgroup_u64(cg, "memory.memsw.limit_in_bytes"));
}

Test(domxml_real, nova_realtime_instance)
{
    struct sg_domxml d;
    static const int node0[] = { 0 };

    parse_file("domxml/nova-realtime4.xml", &d);
    cr_assert(d.nova);
    cr_assert_str_eq(d.nova_ns, "http://openstack.org/xmlns/libvirt/nova/1.0");
    cr_assert_str_eq(d.nova_flavor, "realtime4");
    cr_assert_not(d.nova_flavor_truncated);
    cr_assert(d.locked);       /* <memoryBacking><nosharepages/><locked/> */
    cr_assert_not(d.hugepages);
    cr_assert_eq(d.hugepage_size_kib, 0);
    cr_assert_eq(d.hard_limit_kib, SG_NONE);
    cr_assert_eq(d.swap_hard_limit_kib, SG_NONE);
    assert_nodes(&d, node0, 1, "numatune nodeset='0'");
    /* <nova:name>, <nova:owner><nova:project uuid=...>admin</nova:project> */
    cr_assert_str_eq(d.nova_name, "realtime4");
    cr_assert_str_eq(d.nova_project_uuid, "2d1d6c8084544f09a3e78b0a5f5ab323");
    cr_assert_str_eq(d.nova_project_name, "admin");
    cr_assert_not(d.nova_labels_truncated);
}

/* A real Nova 25.1 definition (namespace nova/1.1, <nova:ports>), lines wrapped inside tags. */
Test(domxml_real, nova_1_1_instance)
{
    struct sg_domxml d, n;
    char *xml = sg_test_slurp("domxml/nova-instance-0000000e.xml", NULL), why[256] = "";

    parse_file("domxml/nova-instance-0000000e.xml", &d);
    cr_assert(d.nova);
    cr_assert_str_eq(d.nova_ns, "http://openstack.org/xmlns/libvirt/nova/1.1");
    cr_assert_str_eq(d.nova_flavor, "cirros-os-dpu-test-1");
    cr_assert_str_eq(d.nova_name, "provider-instance");
    cr_assert_str_eq(d.nova_project_uuid, "512866f9994f4ad8916d8539a7cdeec9");
    cr_assert_str_eq(d.nova_project_name, "admin");
    cr_assert_not(d.nova_labels_truncated);
    cr_assert_not(d.locked);
    cr_assert_eq(d.hard_limit_kib, SG_NONE);

    /* The Nova-only reading gives the same labels. */
    cr_assert_eq(sg_domxml_parse_nova(xml, &n, why, sizeof(why)), 0, "%s", why);
    cr_assert(n.nova);
    cr_assert_str_eq(n.nova_ns, d.nova_ns);
    cr_assert_str_eq(n.nova_flavor, d.nova_flavor);
    cr_assert_str_eq(n.nova_name, d.nova_name);
    cr_assert_str_eq(n.nova_project_uuid, d.nova_project_uuid);
    cr_assert_str_eq(n.nova_project_name, d.nova_project_name);
    free(xml);
}

Test(domxml_real, libvirt_hugepages_memaccess)
{
    struct sg_domxml d;
    static const int nodes[] = { 0, 1, 2, 3 };

    parse_file("domxml/libvirt-hugepages-memaccess.xml", &d);
    cr_assert(d.hugepages);
    /* the first <page size='2048' unit='KiB' nodeset='1'/>; the 1 GiB page
     * for guest nodes 0,2-3 comes second */
    cr_assert_eq(d.hugepage_size_kib, 2048);
    cr_assert_not(d.locked);
    assert_nodes(&d, nodes, 4, "numatune nodeset='0-3'");
    cr_assert_eq(d.hard_limit_kib, SG_NONE);
    cr_assert_not(d.nova);
}

Test(domxml_real, libvirt_mlock_on)
{
    struct sg_domxml d;

    parse_file("domxml/libvirt-mlock-on.xml", &d);
    cr_assert(d.locked);
    cr_assert_not(d.hugepages);
    cr_assert_eq(d.n_numa_nodes, 0);
}

/* libvirt parsed memtune.xml (swap_hard_limit unit='KB') and formatted
 * memtune-out.xml in KiB: we must read both to the same numbers. */
Test(domxml_real, libvirt_memtune_units_match_libvirt)
{
    struct sg_domxml in, out;

    parse_file("domxml/libvirt-memtune.xml", &in);
    parse_file("domxml/libvirt-memtune-out.xml", &out);
    cr_assert_eq(out.hard_limit_kib, 512000);
    cr_assert_eq(out.swap_hard_limit_kib, 1024000);
    cr_assert_eq(in.hard_limit_kib, out.hard_limit_kib);
    cr_assert_eq(in.swap_hard_limit_kib, out.swap_hard_limit_kib);
}

/* ---- HAND-WRITTEN from here on ----------------------------------------- */

static int parse(const char *xml, struct sg_domxml *d, char *why, size_t why_size)
{
    return sg_domxml_parse(xml, d, why, why_size);
}

static void assert_ok(const char *xml, struct sg_domxml *d)
{
    char why[256] = "";
    int r = parse(xml, d, why, sizeof(why));

    cr_assert_eq(r, 0, "%s -> %d %s", xml, r, why);
}

static void assert_fails(const char *xml, int err)
{
    struct sg_domxml d;
    char why[256] = "";
    int r;

    memset(&d, 0x5a, sizeof(d));
    r = parse(xml, &d, why, sizeof(why));
    cr_assert_eq(r, err, "%s -> %d (%s), want %d", xml, r, why, err);
    cr_assert_neq(why[0], '\0', "%s: no reason given", xml);
    for (const char *p = why; *p; p++)
        cr_assert((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f,
                  "%s: reason has a non-printable byte", xml);
    for (size_t i = 0; i < sizeof(d); i++)
        cr_assert_eq(((unsigned char *)&d)[i], 0x5a, "%s: out written on failure", xml);
}

Test(domxml_hostile, not_xml_or_not_domain)
{
    assert_fails("", -EINVAL);
    assert_fails("hello", -EINVAL);
    assert_fails("<domain>", -EINVAL);
    assert_fails("<domain></domian>", -EINVAL);
    assert_fails("{\"domain\": 1}", -EINVAL);
    assert_fails("<network><name>default</name></network>", -EINVAL);
    assert_fails("<x:domain xmlns:x='urn:example'/>", -EINVAL);
    assert_fails("<domain xmlns='urn:example'/>", -EINVAL);
    assert_fails("<domain/><domain/>", -EINVAL);
    cr_assert_eq(sg_domxml_parse(NULL, NULL, NULL, 0), -EINVAL);
    cr_assert_eq(sg_domxml_parse("<domain", NULL, NULL, 0), -EINVAL);
}

Test(domxml_hostile, minimal_domain_has_defaults)
{
    struct sg_domxml d;

    assert_ok("<domain type='kvm'><name>x</name></domain>", &d);
    cr_assert_not(d.locked);
    cr_assert_not(d.hugepages);
    cr_assert_eq(d.hugepage_size_kib, 0);
    cr_assert_eq(d.hard_limit_kib, SG_NONE);
    cr_assert_eq(d.swap_hard_limit_kib, SG_NONE);
    cr_assert_eq(d.n_numa_nodes, 0);
    cr_assert_not(d.nova);
    cr_assert_str_eq(d.nova_flavor, "");
    cr_assert_str_eq(d.nova_ns, "");
    /* elements in another namespace are not libvirt's */
    assert_ok("<domain xmlns:o='urn:o'><o:memoryBacking><o:locked/></o:memoryBacking></domain>", &d);
    cr_assert_not(d.locked);
    /* why may be NULL */
    cr_assert_eq(sg_domxml_parse("<domain/>", &d, NULL, 0), 0);
}

static uint64_t hard_limit(const char *value, const char *unit_attr)
{
    char xml[512];
    struct sg_domxml d;

    snprintf(xml, sizeof(xml), "<domain><memtune><hard_limit%s>%s</hard_limit></memtune></domain>",
             unit_attr, value);
    assert_ok(xml, &d);
    return d.hard_limit_kib;
}

Test(domxml_units, libvirt_unit_table)
{
    static const struct {
        const char *value, *unit;
        uint64_t kib;
    } cases[] = {
        /* formatdomain.rst "Memory Allocation"; virScaleInteger: case-insensitive,
         * bytes rounded up to whole KiB */
        { "1", "", 1 },                               /* no unit: KiB */
        { "7", " unit=''", 7 },                       /* empty unit: KiB */
        { "1", " unit='b'", 1 },                      /* 1 byte -> 1 KiB (rounded up) */
        { "1024", " unit='bytes'", 1 },
        { "1025", " unit='byte'", 2 },
        { "2048", " unit='B'", 2 },
        { "1", " unit='KB'", 1 },                     /* 1000 bytes -> 1 KiB */
        { "1024", " unit='KB'", 1000 },
        { "1048576", " unit='KB'", 1024000 },         /* libvirt's memtune test */
        { "3", " unit='k'", 3 },
        { "3", " unit='KiB'", 3 },
        { "3", " unit='kib'", 3 },
        { "1", " unit='MB'", 977 },                   /* 10^6 / 1024 = 976.56 */
        { "2", " unit='M'", 2048 },
        { "2", " unit='MiB'", 2048 },
        { "1", " unit='GB'", 976563 },                /* 10^9 / 1024 = 976562.5 */
        { "1", " unit='G'", 1048576 },
        { "1", " unit='gib'", 1048576 },
        { "1", " unit='TB'", 976562500 },
        { "1", " unit='T'", 1073741824ULL },
        { "1", " unit='TiB'", 1073741824ULL },
        { "1", " unit='PB'", 976562500000ULL },
        { "1", " unit='P'", 1099511627776ULL },
        { "1", " unit='EB'", 976562500000000ULL },
        { "1", " unit='EiB'", 1125899906842624ULL },
        { " \n 42\t", "", 42 },                      /* XML whitespace around the number */
        { "0", "", 0 },
        /* libvirt's VIR_DOMAIN_MEMORY_PARAM_UNLIMITED (2^53 - 1 KiB) means no limit */
        { "9007199254740990", "", 9007199254740990ULL },
        { "9007199254740991", "", SG_UNLIMITED },
        { "8", " unit='EiB'", SG_UNLIMITED },          /* 2^63 bytes */
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        cr_assert_eq(hard_limit(cases[i].value, cases[i].unit), cases[i].kib,
                     "%s%s -> %llu, want %llu", cases[i].value, cases[i].unit,
                     (unsigned long long)hard_limit(cases[i].value, cases[i].unit),
                     (unsigned long long)cases[i].kib);
}

static void assert_hard_limit_fails(const char *value, const char *unit_attr, int err)
{
    char xml[512];

    snprintf(xml, sizeof(xml), "<domain><memtune><hard_limit%s>%s</hard_limit></memtune></domain>",
             unit_attr, value);
    assert_fails(xml, err);
}

Test(domxml_units, overflow_is_erange)
{
    /* more than 2^64 bytes */
    assert_hard_limit_fails("18446744073709551615", "", -ERANGE);
    assert_hard_limit_fails("18014398509481984", " unit='KiB'", -ERANGE); /* 2^54 KiB = 2^64 B */
    assert_hard_limit_fails("17179869184", " unit='G'", -ERANGE);         /* 2^34 GiB */
    assert_hard_limit_fails("16", " unit='EiB'", -ERANGE);
    assert_hard_limit_fails("18446744073709551616", " unit='b'", -ERANGE); /* 2^64 itself */
    assert_hard_limit_fails("99999999999999999999999999", " unit='bytes'", -ERANGE);
    /* just below 2^64 bytes still fits (and is unlimited for libvirt) */
    cr_assert_eq(hard_limit("17179869183", " unit='G'"), SG_UNLIMITED);
    cr_assert_eq(hard_limit("18446744073709551615", " unit='b'"), SG_UNLIMITED);
    /* the same in swap_hard_limit and in a page size */
    assert_fails("<domain><memtune><swap_hard_limit unit='T'>99999999999</swap_hard_limit>"
                 "</memtune></domain>", -ERANGE);
    assert_fails("<domain><memoryBacking><hugepages><page size='99999999999999' unit='GiB'/>"
                 "</hugepages></memoryBacking></domain>", -ERANGE);
}

Test(domxml_units, malformed_numbers_and_units)
{
    static const char *const bad_values[] = {
        "", " ", "-1", "+5", "1.5", "0x10", "1e3", "12 34", "١٢", "12KiB",
    };
    static const char *const bad_units[] = {
        " unit='KiBB'", " unit='x'", " unit='Kb '", " unit=' KiB'", " unit='Ki'",
        " unit='kilobytes'", " unit='Z'", " unit='ZiB'", " unit='&#9;k'",
    };

    for (size_t i = 0; i < sizeof(bad_values) / sizeof(bad_values[0]); i++)
        assert_hard_limit_fails(bad_values[i], "", -EINVAL);
    for (size_t i = 0; i < sizeof(bad_units) / sizeof(bad_units[0]); i++)
        assert_hard_limit_fails("1", bad_units[i], -EINVAL);
}

Test(domxml_units, hugepage_page_size)
{
    struct sg_domxml d;

    /* formatdomain.rst's example: 1 GiB pages for guest node 0 */
    assert_ok("<domain><memoryBacking><hugepages><page size='1' unit='G' nodeset='0'/>"
              "<page size='2' unit='M' nodeset='1'/></hugepages><locked/></memoryBacking>"
              "<numatune><memory mode='strict' nodeset='0'/></numatune></domain>", &d);
    cr_assert(d.hugepages);
    cr_assert(d.locked);
    cr_assert_eq(d.hugepage_size_kib, 1048576);
    cr_assert_eq(d.n_numa_nodes, 1);
    cr_assert_eq(d.numa_nodes[0], 0);

    assert_ok("<domain><memoryBacking><hugepages><page size='2048'/></hugepages></memoryBacking></domain>", &d);
    cr_assert_eq(d.hugepage_size_kib, 2048); /* no unit: KiB */
    assert_ok("<domain><memoryBacking><hugepages><page size='2097152' unit='b'/></hugepages>"
              "</memoryBacking></domain>", &d);
    cr_assert_eq(d.hugepage_size_kib, 2048);
    assert_ok("<domain><memoryBacking><hugepages/></memoryBacking></domain>", &d);
    cr_assert(d.hugepages);
    cr_assert_eq(d.hugepage_size_kib, 0); /* the host's default size */

    assert_fails("<domain><memoryBacking><hugepages><page unit='G'/></hugepages></memoryBacking></domain>",
                 -EINVAL);
    assert_fails("<domain><memoryBacking><hugepages><page size='0'/></hugepages></memoryBacking></domain>",
                 -EINVAL);
    assert_fails("<domain><memoryBacking><hugepages><page size='2' unit='Mi'/></hugepages>"
                 "</memoryBacking></domain>", -EINVAL);
}

static void nodeset_ok(const char *nodeset, const int *want, size_t n)
{
    char xml[512];
    struct sg_domxml d;

    snprintf(xml, sizeof(xml), "<domain><numatune><memory mode='strict' nodeset='%s'/></numatune></domain>",
             nodeset);
    assert_ok(xml, &d);
    assert_nodes(&d, want, n, nodeset);
}

static void nodeset_fails(const char *nodeset, int err)
{
    char xml[512];

    snprintf(xml, sizeof(xml), "<domain><numatune><memory mode='strict' nodeset='%s'/></numatune></domain>",
             nodeset);
    assert_fails(xml, err);
}

Test(domxml_nodeset, libvirt_syntax)
{
    nodeset_ok("0-1,3", (const int[]){ 0, 1, 3 }, 3);
    nodeset_ok("1-4,^3", (const int[]){ 1, 2, 4 }, 3);   /* formatdomain.rst's example */
    nodeset_ok(" 0 , 2 - 3 ", (const int[]){ 0, 2, 3 }, 3);
    nodeset_ok("3,1,1", (const int[]){ 1, 3 }, 2);
    nodeset_ok("^1,1", (const int[]){ 1 }, 1);           /* applied in order, like libvirt */
    nodeset_ok("0-3,^0,^3", (const int[]){ 1, 2 }, 2);
    nodeset_ok("1023", (const int[]){ 1023 }, 1);

    int all64[64];
    for (int i = 0; i < 64; i++)
        all64[i] = i;
    nodeset_ok("0-63", all64, 64);
    nodeset_ok("0-64,^64", all64, 64);
}

Test(domxml_nodeset, placement_and_absence)
{
    struct sg_domxml d;

    /* placement='auto': numad decides, libvirt ignores nodeset */
    assert_ok("<domain><numatune><memory mode='strict' placement='auto' nodeset='1'/></numatune></domain>", &d);
    cr_assert_eq(d.n_numa_nodes, 0);
    assert_ok("<domain><numatune><memory mode='strict' placement='auto'/></numatune></domain>", &d);
    cr_assert_eq(d.n_numa_nodes, 0);
    assert_ok("<domain><numatune><memnode cellid='0' mode='strict' nodeset='1'/></numatune></domain>", &d);
    cr_assert_eq(d.n_numa_nodes, 0); /* only <memory> counts */
    assert_ok("<domain><numatune><memory mode='strict' placement='static' nodeset='2'/></numatune></domain>", &d);
    assert_nodes(&d, (const int[]){ 2 }, 1, "placement static");
}

Test(domxml_nodeset, bad_nodesets)
{
    static const char *const einval[] = {
        "", " ", "a", "1-", "-1", "3-1", "1,,2", "1,", ",1", "^1-2", "1 2", "1;2",
        "^0", "0,^0", "1-2-3", "^", "^^1", "0x1", "+1", "1.0", "&#10;",
    };
    static const char *const erange[] = {
        "1024", "0-1024", "99999999999", "4294967296", "0-64", "^1024",
    };

    for (size_t i = 0; i < sizeof(einval) / sizeof(einval[0]); i++)
        nodeset_fails(einval[i], -EINVAL);
    for (size_t i = 0; i < sizeof(erange) / sizeof(erange[0]); i++)
        nodeset_fails(erange[i], -ERANGE);
}

Test(domxml_nova, namespaces_and_flavor)
{
    struct sg_domxml d;

    assert_ok("<domain><metadata><nova:instance xmlns:nova='http://openstack.org/xmlns/libvirt/nova/1.1'>"
              "<nova:flavor name='m1.small'><nova:memory>2048</nova:memory></nova:flavor>"
              "</nova:instance></metadata></domain>", &d);
    cr_assert(d.nova);
    cr_assert_str_eq(d.nova_ns, "http://openstack.org/xmlns/libvirt/nova/1.1");
    cr_assert_str_eq(d.nova_flavor, "m1.small");

    /* any prefix, or a default namespace: the URI decides */
    assert_ok("<domain><metadata><instance xmlns='http://openstack.org/xmlns/libvirt/nova/1.1'>"
              "<flavor name='x1'/></instance></metadata></domain>", &d);
    cr_assert(d.nova);
    cr_assert_str_eq(d.nova_flavor, "x1");

    /* non-ASCII flavor names stay UTF-8 bytes */
    assert_ok("<domain><metadata><n:instance xmlns:n='http://openstack.org/xmlns/libvirt/nova/1.0'>"
              "<n:flavor name='1G/1&#x6838;/1GB'/></n:instance></metadata></domain>", &d);
    cr_assert_str_eq(d.nova_flavor, "1G/1\xe6\xa0\xb8/1GB");

    /* instance without flavor, flavor in another namespace, flavor without name */
    assert_ok("<domain><metadata><nova:instance xmlns:nova='http://openstack.org/xmlns/libvirt/nova/1.1'>"
              "<nova:name>vm</nova:name><o:flavor xmlns:o='urn:other' name='no'/><nova:flavor/>"
              "</nova:instance></metadata></domain>", &d);
    cr_assert(d.nova);
    cr_assert_str_eq(d.nova_flavor, "");

    /* not Nova: other metadata, look-alike URIs, Nova elements outside <metadata> */
    assert_ok("<domain><metadata><libosinfo:libosinfo xmlns:libosinfo='http://libosinfo.org/xmlns/libvirt/domain/1.0'>"
              "<libosinfo:os id='http://ubuntu.com/ubuntu/22.04'/></libosinfo:libosinfo></metadata></domain>", &d);
    cr_assert_not(d.nova);
    assert_ok("<domain><metadata><n:instance xmlns:n='http://openstack.org/xmlns/libvirt/novaX'>"
              "<n:flavor name='f'/></n:instance></metadata></domain>", &d);
    cr_assert_not(d.nova);
    cr_assert_str_eq(d.nova_flavor, "");
    assert_ok("<domain><metadata><instance><flavor name='f'/></instance></metadata></domain>", &d);
    cr_assert_not(d.nova);
    assert_ok("<domain><description><n:instance xmlns:n='http://openstack.org/xmlns/libvirt/nova/1.1'>"
              "<n:flavor name='f'/></n:instance></description></domain>", &d);
    cr_assert_not(d.nova);
}

Test(domxml_nova, hostile_flavor_is_raw_and_bounded)
{
    /* 300 bytes of flavor name: tab, LF, CR (as character references, the only way
     * XML 1.0 carries them in an attribute), DEL and U+009B (C1 CSI), then 'A's. */
    const char *head = "ctl&#9;&#10;&#13;&#x7f;&#x9b;";
    const char raw_head[] = "ctl\t\n\r\x7f\xc2\x9b";  /* 9 bytes once parsed */
    char xml[1024], name[400];
    struct sg_domxml d;
    size_t fill = 300 - (sizeof(raw_head) - 1);

    memset(name, 'A', fill);
    name[fill] = '\0';
    snprintf(xml, sizeof(xml),
             "<domain><metadata><nova:instance xmlns:nova='http://openstack.org/xmlns/libvirt/nova/1.1'>"
             "<nova:flavor name='%s%s'/></nova:instance></metadata></domain>", head, name);
    assert_ok(xml, &d);
    cr_assert(d.nova);
    cr_assert(d.nova_flavor_truncated);
    cr_assert_eq(strlen(d.nova_flavor), sizeof(d.nova_flavor) - 1);
    cr_assert_eq(memcmp(d.nova_flavor, raw_head, sizeof(raw_head) - 1), 0, "control bytes kept raw");
    for (size_t i = sizeof(raw_head) - 1; i < strlen(d.nova_flavor); i++)
        cr_assert_eq(d.nova_flavor[i], 'A');

    /* the cut never splits a UTF-8 character: 254 'A' + U+6838 (3 bytes) + more */
    memset(name, 'A', 254);
    strcpy(name + 254, "&#x6838;BBBB");
    snprintf(xml, sizeof(xml),
             "<domain><metadata><nova:instance xmlns:nova='http://openstack.org/xmlns/libvirt/nova/1.1'>"
             "<nova:flavor name='%s'/></nova:instance></metadata></domain>", name);
    assert_ok(xml, &d);
    cr_assert(d.nova_flavor_truncated);
    cr_assert_eq(strlen(d.nova_flavor), 254);

    /* 255 bytes fit exactly */
    memset(name, 'A', 255);
    name[255] = '\0';
    snprintf(xml, sizeof(xml),
             "<domain><metadata><nova:instance xmlns:nova='http://openstack.org/xmlns/libvirt/nova/1.1'>"
             "<nova:flavor name='%s'/></nova:instance></metadata></domain>", name);
    assert_ok(xml, &d);
    cr_assert_not(d.nova_flavor_truncated);
    cr_assert_eq(strlen(d.nova_flavor), 255);

    /* raw control bytes other than tab/LF/CR are not XML at all: refused, not kept */
    assert_fails("<domain><metadata><nova:instance xmlns:nova='http://openstack.org/xmlns/libvirt/nova/1.1'>"
                 "<nova:flavor name='esc\x1b[31m'/></nova:instance></metadata></domain>", -EINVAL);
    assert_fails("<domain><metadata><nova:instance xmlns:nova='http://openstack.org/xmlns/libvirt/nova/1.1'>"
                 "<nova:flavor name='esc&#27;[31m'/></nova:instance></metadata></domain>", -EINVAL);
}

Test(domxml_nova, overlong_namespace_is_cut)
{
    char xml[1024], ns[300];
    struct sg_domxml d;

    snprintf(ns, sizeof(ns), "%s%0200d", SG_DOMXML_NOVA_NS_PREFIX, 1);
    snprintf(xml, sizeof(xml), "<domain><metadata><n:instance xmlns:n='%s'/></metadata></domain>", ns);
    assert_ok(xml, &d);
    cr_assert(d.nova);
    cr_assert_eq(strlen(d.nova_ns), sizeof(d.nova_ns) - 1);
    cr_assert_eq(strncmp(d.nova_ns, ns, sizeof(d.nova_ns) - 1), 0);
}

/* ---- DOCTYPE and entities: nothing may be fetched ---------------------- */

static int loader_calls;
static xmlParserInputPtr counting_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
    (void)url;
    (void)id;
    (void)ctxt;
    loader_calls++;
    return NULL;
}

Test(domxml_hostile, doctype_external_entities_not_fetched)
{
    char tmpl[] = "/tmp/sg-domxml-XXXXXX", xml[1024], why[256];
    struct sg_domxml d;
    int fd, r;

    /* A local file whose content would be a valid hard_limit if it were read. */
    fd = mkstemp(tmpl);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, "1024", 4), 4);
    close(fd);
    xmlSetExternalEntityLoader(counting_loader);
    loader_calls = 0;

    snprintf(xml, sizeof(xml),
             "<?xml version='1.0'?>\n<!DOCTYPE domain [<!ENTITY x SYSTEM 'file://%s'>]>"
             "<domain><memtune><hard_limit>&x;</hard_limit></memtune></domain>", tmpl);
    r = parse(xml, &d, why, sizeof(why));
    cr_assert_eq(r, -EINVAL, "%d %s: the entity must stay unexpanded (empty number)", r, why);

    r = parse("<!DOCTYPE domain [<!ENTITY x SYSTEM 'http://127.0.0.1:9/limit'>]>"
              "<domain><memtune><hard_limit>&x;</hard_limit></memtune></domain>", &d, why, sizeof(why));
    cr_assert_eq(r, -EINVAL, "%d %s", r, why);

    /* an external DTD is not loaded either; the document itself is fine */
    assert_ok("<!DOCTYPE domain SYSTEM 'http://127.0.0.1:9/domain.dtd'><domain><memoryBacking><locked/>"
              "</memoryBacking></domain>", &d);
    cr_assert(d.locked);
    assert_ok("<!DOCTYPE domain PUBLIC '-//x//EN' 'file:///etc/passwd'><domain/>", &d);

    /* external entities in attribute values are not well-formed */
    snprintf(xml, sizeof(xml),
             "<!DOCTYPE domain [<!ENTITY x SYSTEM 'file://%s'>]><domain><metadata>"
             "<n:instance xmlns:n='http://openstack.org/xmlns/libvirt/nova/1.1'><n:flavor name='&x;'/>"
             "</n:instance></metadata></domain>", tmpl);
    assert_fails(xml, -EINVAL);

    cr_assert_eq(loader_calls, 0, "libxml2 asked to load %d external resources", loader_calls);
    unlink(tmpl);
}

Test(domxml_hostile, internal_entities)
{
    struct sg_domxml d;

    /* internal entities are plain XML and expand */
    assert_ok("<!DOCTYPE domain [<!ENTITY y '77'>]><domain><memtune><hard_limit>&y;</hard_limit>"
              "</memtune></domain>", &d);
    cr_assert_eq(d.hard_limit_kib, 77);
    /* "billion laughs": libxml2 refuses the amplification */
    assert_fails("<!DOCTYPE d [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>"
                 "<!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;'><!ENTITY d '&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;'>"
                 "<!ENTITY e '&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;'><!ENTITY f '&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;'>"
                 "<!ENTITY g '&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;'><!ENTITY h '&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;'>]>"
                 "<domain><memtune><hard_limit>&h;</hard_limit></memtune></domain>", -EINVAL);
}

Test(domxml_hostile, size_limit)
{
    size_t n = SG_DOMXML_MAX_BYTES + 1;
    char *big = malloc(n + 1);
    struct sg_domxml d;
    char why[128];

    cr_assert_not_null(big);
    /* "<domain>" + <x>AAA...</x> chunks (libxml2 limits a single text node to
     * 10 MB without XML_PARSE_HUGE) + spaces + "</domain>", n - 1 bytes, then
     * one more space to go over the limit. */
    memset(big, ' ', n);
    memcpy(big, "<domain>", 8);
    for (size_t off = 8; off + 1024 < n - 1 - 9; off += 1024) {
        memcpy(big + off, "<x>", 3);
        memset(big + off + 3, 'A', 1024 - 7);
        memcpy(big + off + 1024 - 4, "</x>", 4);
    }
    memcpy(big + n - 1 - 9, "</domain>", 9);
    big[n - 1] = ' ';
    big[n] = '\0';
    cr_assert_eq(sg_domxml_parse(big, &d, why, sizeof(why)), -EFBIG);
    big[n - 1] = '\0'; /* exactly the limit: accepted */
    cr_assert_eq(strlen(big), SG_DOMXML_MAX_BYTES);
    cr_assert_eq(sg_domxml_parse(big, &d, why, sizeof(why)), 0, "%s", why);
    free(big);
}

/* ---- HAND-WRITTEN: the Nova owner and name, hostile ---------------------- */

#define NOVA11 "xmlns:nova='http://openstack.org/xmlns/libvirt/nova/1.1'"

Test(domxml_nova, owner_and_name)
{
    struct sg_domxml d;

    /* project without uuid, user before project, elements of other namespaces ignored */
    assert_ok("<domain><metadata><nova:instance " NOVA11 "><nova:name> a b </nova:name>"
              "<o:owner xmlns:o='urn:o'><o:project uuid='no'>no</o:project></o:owner>"
              "<nova:owner><nova:user uuid='u'>bob</nova:user><nova:project>p&amp;q</nova:project></nova:owner>"
              "</nova:instance></metadata></domain>", &d);
    cr_assert(d.nova);
    cr_assert_str_eq(d.nova_name, " a b ", "text kept as it is");
    cr_assert_str_eq(d.nova_project_uuid, "");
    cr_assert_str_eq(d.nova_project_name, "p&q");

    /* only the first nova:instance counts */
    assert_ok("<domain><metadata><nova:instance " NOVA11 "><nova:name>one</nova:name></nova:instance>"
              "<nova:instance " NOVA11 "><nova:name>two</nova:name>"
              "<nova:owner><nova:project uuid='x'>y</nova:project></nova:owner></nova:instance>"
              "</metadata></domain>", &d);
    cr_assert_str_eq(d.nova_name, "one");
    cr_assert_str_eq(d.nova_project_uuid, "");

    /* not Nova: nothing */
    assert_ok("<domain><metadata><instance><name>x</name></instance></metadata></domain>", &d);
    cr_assert_not(d.nova);
    cr_assert_str_eq(d.nova_name, "");
    cr_assert_str_eq(d.nova_project_name, "");
}

Test(domxml_nova, hostile_owner_is_raw_and_bounded)
{
    char xml[4096], big[1200], why[256] = "";
    struct sg_domxml d;

    /* 1000-byte project uuid and name, a name with a quote, backslash, newline and a
     * character reference to U+009B: kept raw (escaping is the output's job), cut */
    memset(big, 'B', 1000);
    big[1000] = '\0';
    snprintf(xml, sizeof(xml),
             "<domain><metadata><nova:instance " NOVA11 "><nova:name>q\"b\\\\&#10;&#x9b;</nova:name>"
             "<nova:owner><nova:project uuid='%s'>%s</nova:project></nova:owner></nova:instance>"
             "</metadata></domain>", big, big);
    cr_assert_eq(sg_domxml_parse_nova(xml, &d, why, sizeof(why)), 0, "%s", why);
    cr_assert_str_eq(d.nova_name, "q\"b\\\\\n\xc2\x9b");
    cr_assert_eq(strlen(d.nova_project_uuid), sizeof(d.nova_project_uuid) - 1);
    cr_assert_eq(strlen(d.nova_project_name), sizeof(d.nova_project_name) - 1);
    cr_assert(d.nova_labels_truncated);

    /* the Nova reading does not care for memory elements the full parser refuses */
    snprintf(xml, sizeof(xml),
             "<domain><memtune><hard_limit unit='parsec'>1</hard_limit></memtune><metadata>"
             "<nova:instance " NOVA11 "><nova:flavor name='f'/></nova:instance></metadata></domain>");
    cr_assert_eq(sg_domxml_parse(xml, &d, why, sizeof(why)), -EINVAL);
    cr_assert_eq(sg_domxml_parse_nova(xml, &d, why, sizeof(why)), 0, "%s", why);
    cr_assert(d.nova);
    cr_assert_str_eq(d.nova_flavor, "f");
    cr_assert_eq(d.hard_limit_kib, SG_NONE);

    /* but it refuses what is not a domain document */
    cr_assert_eq(sg_domxml_parse_nova("<domain>", &d, why, sizeof(why)), -EINVAL);
    cr_assert_eq(sg_domxml_parse_nova("<x/>", &d, why, sizeof(why)), -EINVAL);
    cr_assert_eq(sg_domxml_parse_nova(NULL, &d, why, sizeof(why)), -EINVAL);
}
