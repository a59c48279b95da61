/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hostprobe/domxml.c edits: sg_domxml_lock_memory and sg_domxml_hugepages,
 * the XML behind `swapguard apply lock-memory|hugepages`.
 *
 * Real documents first, compared with golden files in tests/data/domxml/edit/
 * (regenerate: SG_UPDATE_GOLDEN=1 meson test -C BUILD domxml-edit, then
 * review `git diff tests/data/domxml/edit`): the inactive XML libvirt 9.0
 * formatted for the integration test's domain (captured by
 * tests/integration/test-apply-xml.sh), the live XML of a squeezed harness
 * guest, libvirt's own test inputs and a Nova-generated dumpxml (each file
 * names its source). The same integration script captured what libvirt
 * stores after swapguard defined its edit: the edit must sit exactly where
 * libvirt formats it. Everything after "HAND-WRITTEN" below is written by
 * hand on purpose: placement rules, memtune limits, and malformed and
 * hostile documents that libvirt never prints.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostprobe/domxml.h"
#include "policies/recommend.h"
#include "sg-test.h"

#define GIB_KIB (UINT64_C(1024) * 1024)

enum kind { LOCK, HP2M, HP1G };

static const char *const kind_suffix[] = { [LOCK] = "lock-memory", [HP2M] = "hugepages-2M", [HP1G] = "hugepages-1G" };

/* [recommend] qemu_overhead_mib as the default config has it: what `apply` uses. */
static uint64_t overhead_kib(void)
{
    struct sg_recommend_config c;

    sg_recommend_config_default(&c);
    return c.qemu_overhead_kib;
}

static int run(enum kind k, const char *xml, struct sg_domxml_edit *e, char *why, size_t why_size)
{
    memset(e, 0, sizeof(*e));
    if (k == LOCK)
        return sg_domxml_lock_memory(xml, overhead_kib(), e, why, why_size);
    return sg_domxml_hugepages(xml, k == HP2M ? 2048 : GIB_KIB, e, why, why_size);
}

/* Compares got with tests/data/REL, or writes it there under SG_UPDATE_GOLDEN=1. */
static void golden(const char *rel, const char *got)
{
    char path[4096];
    char *want;

    if (getenv("SG_UPDATE_GOLDEN")) {
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", SG_TEST_DATA, rel);
        f = fopen(path, "w");
        cr_assert_not_null(f, "write %s", path);
        fputs(got, f);
        fclose(f);
        return;
    }
    want = sg_test_slurp(rel, NULL);
    if (strcmp(want, got) != 0) {
        snprintf(path, sizeof(path), "/tmp/sg-golden-%s", strrchr(rel, '/') + 1);
        FILE *f = fopen(path, "w");
        if (f) {
            fputs(got, f);
            fclose(f);
        }
        cr_assert_fail("%s differs from the golden file: diff -u tests/data/%s %s "
                       "(SG_UPDATE_GOLDEN=1 regenerates it)", rel, rel, path);
    }
    free(want);
}

/* Every line of a appears in b, in order: b only adds lines (an insertion-only edit). */
static bool lines_subsequence(const char *a, const char *b)
{
    while (*a) {
        size_t la = strcspn(a, "\n");
        bool found = false;

        while (*b && !found) {
            size_t lb = strcspn(b, "\n");

            found = la == lb && !memcmp(a, b, la);
            b += lb + (b[lb] == '\n');
        }
        if (!found)
            return false;
        a += la + (a[la] == '\n');
    }
    return true;
}

/* The edit of input rel: golden, and the result has what the edit promises. */
static void edit_golden(const char *rel, enum kind k, const char *golden_rel, bool insertion_only)
{
    char *xml = sg_test_slurp(rel, NULL), why[256] = "";
    struct sg_domxml_edit e;
    struct sg_domxml before, after;
    int r = run(k, xml, &e, why, sizeof(why));

    cr_assert_eq(r, 0, "%s %s: %d %s", rel, kind_suffix[k], r, why);
    golden(golden_rel, e.after);
    cr_assert_eq(sg_domxml_parse(xml, &before, why, sizeof(why)), 0);
    cr_assert_eq(sg_domxml_parse(e.after, &after, why, sizeof(why)), 0, "%s: edited XML: %s", rel, why);
    /* before is the input unchanged, in the writer's form */
    cr_assert_eq(sg_domxml_parse(e.before, &before, why, sizeof(why)), 0);
    if (insertion_only)
        cr_assert(lines_subsequence(e.before, e.after), "%s: the edit must only add lines", rel);
    if (k == LOCK) {
        cr_assert(after.locked);
        cr_assert_eq(after.hugepages, before.hugepages);
        cr_assert_eq(after.hard_limit_kib, e.hard_limit_after_kib);
        cr_assert_geq(after.hard_limit_kib, e.memory_kib + overhead_kib());
    } else {
        cr_assert(after.hugepages);
        cr_assert_eq(after.hugepage_size_kib, k == HP2M ? 2048 : GIB_KIB);
        cr_assert_eq(after.locked, before.locked);
        cr_assert_eq(after.hard_limit_kib, before.hard_limit_kib);
    }
    cr_assert_eq(e.hard_limit_before_kib, before.hard_limit_kib);
    cr_assert_eq(after.nova, before.nova);
    cr_assert_eq(after.n_numa_nodes, before.n_numa_nodes);
    sg_domxml_edit_clear(&e);
    free(xml);
}

static void already(const char *rel, enum kind k)
{
    char *xml = sg_test_slurp(rel, NULL), why[256] = "";
    struct sg_domxml_edit e;

    cr_assert_eq(run(k, xml, &e, why, sizeof(why)), -EALREADY, "%s %s", rel, kind_suffix[k]);
    cr_assert(strstr(why, "already"), "%s: why '%s'", rel, why);
    cr_assert_null(e.after);
    free(xml);
}

/* The integration test's domain, as libvirt 9.0 formatted it (virsh dumpxml --inactive --security-info). */
#define CAPTURED "domxml/edit/sgxm-apply.inactive.xml"

Test(domxml_edit_real, captured_inactive_domain)
{
    edit_golden(CAPTURED, LOCK, "domxml/edit/sgxm-apply.lock-memory.xml", true);
    edit_golden(CAPTURED, HP2M, "domxml/edit/sgxm-apply.hugepages-2M.xml", true);
    edit_golden(CAPTURED, HP1G, "domxml/edit/sgxm-apply.hugepages-1G.xml", true);
}

/* libvirt's text with its single quotes as the writer's double quotes, minus virsh's extra last newline. */
static char *as_written(const char *rel)
{
    char *s = sg_test_slurp(rel, NULL);
    size_t n = strlen(s);

    for (char *p = s; *p; p++)
        if (*p == '\'')
            *p = '"';
    while (n >= 2 && s[n - 1] == '\n' && s[n - 2] == '\n')
        s[--n] = '\0';
    return s;
}

Test(domxml_edit_real, placed_where_libvirt_formats_it)
{
    /*
     * What libvirt stored after `apply --yes` defined the edit (captured by
     * the integration test): line for line our edit. The captured document
     * holds no quote characters in its text, so swapping the quote style is
     * the only difference between libvirt's writer and libxml2's.
     */
    static const struct {
        enum kind k;
        const char *libvirt;
    } cases[] = {
        { LOCK, "domxml/edit/sgxm-apply.lock-memory.libvirt.xml" },
        { HP2M, "domxml/edit/sgxm-apply.hugepages-2M.libvirt.xml" },
    };
    char *xml = sg_test_slurp(CAPTURED, NULL), why[256];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sg_domxml_edit e;
        char *want = as_written(cases[i].libvirt);

        cr_assert_eq(run(cases[i].k, xml, &e, why, sizeof(why)), 0, "%s", why);
        cr_assert_str_eq(e.after, want, "%s", cases[i].libvirt);
        sg_domxml_edit_clear(&e);
        free(want);
    }
    free(xml);
}

Test(domxml_edit_real, squeezed_harness_guest)
{
    /* the live XML of a squeezed harness guest: its hard_limit of 120 MiB is below guest RAM + overhead and
     * is raised (the one edit that changes a line) */
    edit_golden("hybrid/domain-sgcap-squeezed.xml", LOCK, "domxml/edit/sgcap-squeezed.lock-memory.xml", false);
    edit_golden("hybrid/domain-sgcap-squeezed.xml", HP2M, "domxml/edit/sgcap-squeezed.hugepages-2M.xml", true);
}

Test(domxml_edit_real, libvirt_test_inputs)
{
    /* hard_limit 512000 KiB >= 219136 + 262144: kept; memoryBacking created after memtune */
    edit_golden("domxml/libvirt-memtune-out.xml", LOCK, "domxml/edit/libvirt-memtune-out.lock-memory.xml", true);
    edit_golden("domxml/libvirt-memtune-out.xml", HP2M, "domxml/edit/libvirt-memtune-out.hugepages-2M.xml", true);
    /* memory in MiB, limits in bytes and KB */
    edit_golden("domxml/libvirt-memtune.xml", LOCK, "domxml/edit/libvirt-memtune.lock-memory.xml", true);
    /* memtune created before memoryBacking; locked after hugepages, before access */
    edit_golden("domxml/libvirt-hugepages-memaccess.xml", LOCK,
                "domxml/edit/libvirt-hugepages-memaccess.lock-memory.xml", true);
    already("domxml/libvirt-hugepages-memaccess.xml", HP2M);
    /* hugepages go first in memoryBacking, locked stays */
    edit_golden("domxml/libvirt-mlock-on.xml", HP1G, "domxml/edit/libvirt-mlock-on.hugepages-1G.xml", true);
    already("domxml/libvirt-mlock-on.xml", LOCK);
}

Test(domxml_edit_real, nova_instance)
{
    /* the pure edit works on a Nova domain; refusing it is `apply`'s business */
    edit_golden("domxml/nova-realtime4.xml", HP2M, "domxml/edit/nova-realtime4.hugepages-2M.xml", true);
    already("domxml/nova-realtime4.xml", LOCK);
}

/* ---- HAND-WRITTEN from here on ----------------------------------------- */

static char *edit_ok(enum kind k, const char *xml, struct sg_domxml_edit *e)
{
    char why[256] = "";
    int r = run(k, xml, e, why, sizeof(why));

    cr_assert_eq(r, 0, "%s: %d %s", xml, r, why);
    return e->after;
}

static void edit_fails(enum kind k, const char *xml, int want, const char *why_has)
{
    struct sg_domxml_edit e;
    char why[256] = "";
    int r = run(k, xml, &e, why, sizeof(why));

    cr_assert_eq(r, want, "%s: %d, want %d (%s)", xml, r, want, why);
    cr_assert(strstr(why, why_has), "%s: why '%s' lacks '%s'", xml, why, why_has);
    cr_assert_null(e.before);
    cr_assert_null(e.after);
}

Test(domxml_edit_place, compact_document_gets_no_whitespace)
{
    struct sg_domxml_edit e;

    /* <memory> 1024 KiB + 262144 KiB overhead */
    cr_assert_str_eq(edit_ok(LOCK, "<domain><name>x</name><memory>1024</memory><vcpu>1</vcpu></domain>", &e),
                     "<domain><name>x</name><memory>1024</memory><memtune><hard_limit unit=\"KiB\">263168"
                     "</hard_limit></memtune><memoryBacking><locked/></memoryBacking><vcpu>1</vcpu></domain>\n");
    cr_assert_str_eq(e.before, "<domain><name>x</name><memory>1024</memory><vcpu>1</vcpu></domain>\n");
    cr_assert_eq(e.memory_kib, 1024);
    cr_assert_eq(e.hard_limit_before_kib, SG_NONE);
    cr_assert_eq(e.hard_limit_after_kib, 263168);
    sg_domxml_edit_clear(&e);
    sg_domxml_edit_clear(&e); /* twice is fine */

    cr_assert_str_eq(edit_ok(HP2M, "<domain><memory unit='G'>1</memory></domain>", &e),
                     "<domain><memory unit=\"G\">1</memory><memoryBacking><hugepages><page size=\"2048\" "
                     "unit=\"KiB\"/></hugepages></memoryBacking></domain>\n");
    cr_assert_eq(e.memory_kib, GIB_KIB);
    sg_domxml_edit_clear(&e);

    /* out of libvirt's order: after the last element libvirt formats before it */
    cr_assert_str_eq(edit_ok(HP1G, "<domain><vcpu>1</vcpu><memory>4</memory><os/></domain>", &e),
                     "<domain><vcpu>1</vcpu><memory>4</memory><memoryBacking><hugepages><page size=\"1048576\" "
                     "unit=\"KiB\"/></hugepages></memoryBacking><os/></domain>\n");
    sg_domxml_edit_clear(&e);
}

Test(domxml_edit_place, indented_like_the_siblings)
{
    struct sg_domxml_edit e;
    const char *doc = "<domain type=\"kvm\">\n"
                      "    <name>four</name>\n"
                      "    <memory unit=\"KiB\">2048</memory>\n"
                      "    <memoryBacking>\n"
                      "        <nosharepages/>\n"
                      "        <source type=\"memfd\"/>\n"
                      "    </memoryBacking>\n"
                      "</domain>\n";

    /* the writer's own form comes back byte for byte */
    cr_assert_str_eq(edit_ok(LOCK, doc, &e), "<domain type=\"kvm\">\n"
                                             "    <name>four</name>\n"
                                             "    <memory unit=\"KiB\">2048</memory>\n"
                                             "    <memtune>\n"
                                             "      <hard_limit unit=\"KiB\">264192</hard_limit>\n"
                                             "    </memtune>\n"
                                             "    <memoryBacking>\n"
                                             "        <nosharepages/>\n"
                                             "        <locked/>\n"
                                             "        <source type=\"memfd\"/>\n"
                                             "    </memoryBacking>\n"
                                             "</domain>\n");
    cr_assert_str_eq(e.before, doc);
    sg_domxml_edit_clear(&e);

    /* an empty memoryBacking, written either way */
    cr_assert_str_eq(edit_ok(LOCK, "<domain>\n  <memory>1</memory>\n  <memtune>\n    <hard_limit>999999"
                                   "</hard_limit>\n  </memtune>\n  <memoryBacking/>\n</domain>", &e),
                     "<domain>\n  <memory>1</memory>\n  <memtune>\n    <hard_limit>999999</hard_limit>\n"
                     "  </memtune>\n  <memoryBacking>\n    <locked/>\n  </memoryBacking>\n</domain>\n");
    sg_domxml_edit_clear(&e);
    cr_assert_str_eq(edit_ok(HP2M, "<domain>\n  <memory>1</memory>\n  <memoryBacking>\n  </memoryBacking>\n"
                                   "</domain>", &e),
                     "<domain>\n  <memory>1</memory>\n  <memoryBacking>\n    <hugepages>\n      <page "
                     "size=\"2048\" unit=\"KiB\"/>\n    </hugepages>\n  </memoryBacking>\n</domain>\n");
    sg_domxml_edit_clear(&e);
}

Test(domxml_edit_limits, hard_limit_raised_set_or_kept)
{
    struct sg_domxml_edit e;

    /* lower (in another unit): replaced by guest RAM + overhead in KiB */
    cr_assert(strstr(edit_ok(LOCK, "<domain><memory unit='G'>1</memory><memtune><hard_limit unit='M'>100"
                                   "</hard_limit><soft_limit>5</soft_limit></memtune></domain>", &e),
                     "<memtune><hard_limit unit=\"KiB\">1310720</hard_limit><soft_limit>5</soft_limit>"
                     "</memtune><memoryBacking><locked/></memoryBacking>"));
    cr_assert_eq(e.hard_limit_before_kib, 102400);
    cr_assert_eq(e.hard_limit_after_kib, GIB_KIB + 262144);
    sg_domxml_edit_clear(&e);

    /* "unlimited" (VIR_DOMAIN_MEMORY_PARAM_UNLIMITED KiB): set */
    cr_assert(strstr(edit_ok(LOCK, "<domain><memory>1024</memory><memtune><hard_limit>9007199254740991"
                                   "</hard_limit></memtune></domain>", &e),
                     "<hard_limit unit=\"KiB\">263168</hard_limit>"));
    cr_assert_eq(e.hard_limit_before_kib, SG_UNLIMITED);
    sg_domxml_edit_clear(&e);

    /* memtune without hard_limit: hard_limit goes first in it */
    cr_assert(strstr(edit_ok(LOCK, "<domain><memory>1024</memory><memtune><soft_limit>7</soft_limit>"
                                   "</memtune></domain>", &e),
                     "<memtune><hard_limit unit=\"KiB\">263168</hard_limit><soft_limit>7</soft_limit></memtune>"));
    sg_domxml_edit_clear(&e);

    /* higher or equal: kept as it is, unit and all */
    cr_assert(strstr(edit_ok(LOCK, "<domain><memory>1024</memory><memtune><hard_limit unit='GiB'>2"
                                   "</hard_limit><swap_hard_limit unit='GiB'>3</swap_hard_limit></memtune>"
                                   "</domain>", &e),
                     "<hard_limit unit=\"GiB\">2</hard_limit>"));
    cr_assert_eq(e.hard_limit_after_kib, 2 * GIB_KIB);
    cr_assert_eq(e.hard_limit_before_kib, 2 * GIB_KIB);
    sg_domxml_edit_clear(&e);
    cr_assert(strstr(edit_ok(LOCK, "<domain><memory>1024</memory><memtune><hard_limit>263168</hard_limit>"
                                   "</memtune></domain>", &e),
                     "<hard_limit>263168</hard_limit>"));
    sg_domxml_edit_clear(&e);

    /* an unlimited swap_hard_limit is no obstacle; a lower one is */
    edit_ok(LOCK, "<domain><memory>1024</memory><memtune><swap_hard_limit>9007199254740991"
                  "</swap_hard_limit></memtune></domain>", &e);
    sg_domxml_edit_clear(&e);
    edit_fails(LOCK, "<domain><memory>1024</memory><memtune><swap_hard_limit>263167</swap_hard_limit>"
                     "</memtune></domain>", -EINVAL, "swap_hard_limit 263167 KiB is below the hard_limit 263168");
    /* hugepages leave memtune alone */
    cr_assert(strstr(edit_ok(HP2M, "<domain><memory>1024</memory><memtune><hard_limit>1</hard_limit>"
                                   "<swap_hard_limit>1</swap_hard_limit></memtune></domain>", &e),
                     "<memtune><hard_limit>1</hard_limit><swap_hard_limit>1</swap_hard_limit></memtune>"));
    cr_assert_eq(e.hard_limit_after_kib, 1);
    sg_domxml_edit_clear(&e);
}

Test(domxml_edit_limits, sizes_beyond_libvirt)
{
    /* 8 EiB of RAM fits 64 bits of bytes, but not libvirt's limit (2^53 - 1 KiB) with the overhead */
    edit_fails(LOCK, "<domain><memory unit='EiB'>8</memory></domain>", -ERANGE, "beyond libvirt's limits");
    edit_fails(LOCK, "<domain><memory unit='EiB'>16</memory></domain>", -ERANGE, "memory");
    edit_fails(LOCK, "<domain><memory>x</memory></domain>", -EINVAL, "'x' is not a number");
    edit_fails(HP2M, "<domain><memory unit='furlong'>1</memory></domain>", -EINVAL, "unknown unit");
}

Test(domxml_edit_malformed, refused_with_a_reason)
{
    struct sg_domxml_edit e;
    char why[256];

    edit_fails(LOCK, "", -EINVAL, "not well-formed");
    edit_fails(LOCK, "<domain><memory>1</memory>", -EINVAL, "not well-formed");
    edit_fails(HP2M, "<notdomain><memory>1</memory></notdomain>", -EINVAL, "root element is not <domain>");
    edit_fails(LOCK, "<d:domain xmlns:d='urn:x'><memory>1</memory></d:domain>", -EINVAL, "not <domain>");
    edit_fails(LOCK, "<domain><name>no memory</name></domain>", -EINVAL, "no <memory>");
    edit_fails(HP2M, "<domain><memoryBacking><hugepages/></memoryBacking><memory>1</memory></domain>",
               -EALREADY, "already backed by hugepages");
    edit_fails(HP2M, "<domain><memoryBacking><hugepages><page unit='KiB'/></hugepages></memoryBacking>"
                     "<memory>1</memory></domain>", -EINVAL, "page has no size");
    edit_fails(LOCK, "<domain><memoryBacking><locked/></memoryBacking></domain>", -EALREADY, "already locked");
    cr_assert_eq(sg_domxml_hugepages("<domain><memory>1</memory></domain>", 0, &e, why, sizeof(why)), -EINVAL);
    cr_assert_eq(sg_domxml_lock_memory(NULL, 0, &e, why, sizeof(why)), -EINVAL);
    /* a NULL why is fine */
    cr_assert_eq(sg_domxml_lock_memory("<x/>", 0, &e, NULL, 0), -EINVAL);
    sg_domxml_edit_clear(NULL);
}

Test(domxml_edit_hostile, content_kept_exactly)
{
    /*
     * Guest- and operator-controlled text in every form XML allows: a DOCTYPE
     * with an internal entity, markup characters escaped and in CDATA, a
     * comment, a processing instruction, character references, non-ASCII,
     * quotes in attributes, and a namespaced look-alike <memoryBacking> that
     * is not libvirt's. The edit must keep each of them as the writer
     * printed it before, and must not mistake the look-alike for the real
     * element.
     */
    static const char *const kept[] = {
        "<!DOCTYPE domain [\n<!ENTITY e \"entity text\">\n]>",
        "<title>&lt;/title&gt;&lt;script&gt; &amp; ]]&gt; \xc3\xa9\xe2\x80\xae</title>",
        "<description>&e; and &amp;e;</description>",
        "<![CDATA[<memoryBacking><locked/></memoryBacking> & ]]]]>",
        "<!-- <memoryBacking><hugepages/></memoryBacking> -->",
        "<?evil data=\"1\"?>",
        "<x:memoryBacking><x:locked/></x:memoryBacking>",
        "a=\"&quot;'&lt;&#10;&#9;\"",
    };
    const char *doc = "<!DOCTYPE domain [\n<!ENTITY e \"entity text\">\n]>\n"
                      "<domain xmlns:x=\"urn:evil\">\n"
                      "  <name>evil</name>\n"
                      "  <title>&lt;/title&gt;&lt;script&gt; &amp; ]]&gt; \xc3\xa9\xe2\x80\xae</title>\n"
                      "  <description>&e; and &amp;e;</description>\n"
                      "  <metadata>\n"
                      "    <x:data a=\"&quot;'&lt;&#10;&#9;\"><![CDATA[<memoryBacking><locked/></memoryBacking> & ]]]]>"
                      "</x:data>\n"
                      "  </metadata>\n"
                      "  <!-- <memoryBacking><hugepages/></memoryBacking> -->\n"
                      "  <?evil data=\"1\"?>\n"
                      "  <memory>1024</memory>\n"
                      "  <x:memoryBacking><x:locked/></x:memoryBacking>\n"
                      "  <vcpu>1</vcpu>\n"
                      "</domain>\n";
    struct sg_domxml_edit e;
    struct sg_domxml d;
    char why[256];

    for (int k = LOCK; k <= HP2M; k++) {
        edit_ok((enum kind)k, doc, &e);
        cr_assert_str_eq(e.before, doc, "the writer keeps the document as it is");
        for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
            cr_assert(strstr(e.before, kept[i]), "before lacks %s", kept[i]);
            cr_assert(strstr(e.after, kept[i]), "after lacks %s", kept[i]);
        }
        cr_assert(lines_subsequence(e.before, e.after));
        cr_assert(strstr(e.after, k == LOCK ? "  <memoryBacking>\n    <locked/>\n  </memoryBacking>\n"
                                              "  <x:memoryBacking>"
                                            : "  <memory>1024</memory>\n  <memoryBacking>\n    <hugepages>\n"));
        cr_assert_eq(sg_domxml_parse(e.after, &d, why, sizeof(why)), 0, "%s", why);
        cr_assert(k == LOCK ? d.locked : d.hugepages);
        sg_domxml_edit_clear(&e);
    }
}

Test(domxml_edit_hostile, external_entities_are_not_loaded)
{
    /* as sg_domxml_parse: no DTD or external entity is fetched, the reference stays a reference */
    struct sg_domxml_edit e;
    const char *doc = "<!DOCTYPE domain [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n"
                      "<domain><description>&x;</description><memory>1</memory></domain>";

    edit_ok(LOCK, doc, &e);
    cr_assert(strstr(e.after, "<description>&x;</description>"));
    cr_assert_null(strstr(e.after, "root:"));
    sg_domxml_edit_clear(&e);
}

Test(domxml_same, written_differently_or_changed)
{
    /* real: libvirt's stored text of our edit is the same document as the edit */
    char *xml = sg_test_slurp(CAPTURED, NULL), *stored = sg_test_slurp("domxml/edit/sgxm-apply.lock-memory.libvirt.xml", NULL);
    struct sg_domxml_edit e;
    char why[256] = "";

    cr_assert_eq(run(LOCK, xml, &e, why, sizeof(why)), 0);
    cr_assert_eq(sg_domxml_same(stored, e.after, why, sizeof(why)), 1, "%s", why);
    cr_assert_eq(sg_domxml_same(xml, e.before, why, sizeof(why)), 1);
    cr_assert_eq(sg_domxml_same(xml, e.after, why, sizeof(why)), 0);
    cr_assert_eq(sg_domxml_same(xml, stored, why, sizeof(why)), 0);
    sg_domxml_edit_clear(&e);
    free(xml);
    free(stored);

    /* HAND-WRITTEN: quoting, attribute order, empty elements, character references, the declaration */
    cr_assert_eq(sg_domxml_same("<?xml version='1.0'?><domain a='1' b=\"2\"><x></x><t>&#65;</t></domain>",
                                "<domain b='2' a=\"1\"><x/><t>A</t></domain>\n", why, sizeof(why)), 1, "%s", why);
    /* whitespace inside the root, comments and values count */
    cr_assert_eq(sg_domxml_same("<domain><x/></domain>", "<domain> <x/></domain>", why, sizeof(why)), 0);
    cr_assert_eq(sg_domxml_same("<domain><x/></domain>", "<domain><x/><!--c--></domain>", why, sizeof(why)), 0);
    cr_assert_eq(sg_domxml_same("<domain a='1'/>", "<domain a='2'/>", why, sizeof(why)), 0);
    cr_assert_eq(sg_domxml_same("<domain/>", "<domain>", why, sizeof(why)), -EINVAL);
    cr_assert(strstr(why, "second document"), "%s", why);
    cr_assert_eq(sg_domxml_same("<other/>", "<domain/>", why, sizeof(why)), -EINVAL);
    cr_assert(strstr(why, "first document: root element is not <domain>"), "%s", why);
    cr_assert_eq(sg_domxml_same(NULL, "<domain/>", NULL, 0), -EINVAL);
}

/*
 * Found by fuzzing (tests/fuzz/fuzz-domxml-edit.c): a <metadata> namespace URI that is
 * relative ("http4//..." where "http://" was meant) parses and edits fine, but Canonical XML
 * refuses the document. sg_domxml_same answered -ENOMEM ("out of memory") for it, and
 * libxml2 printed six "C14N error" lines on stderr. It must say -EINVAL with the reason,
 * print nothing, and the edit itself must still work. HAND-WRITTEN hostile document.
 */
Test(domxml_same, relative_namespace_uri_has_no_canonical_form, .init = cr_redirect_stderr)
{
    static const char xml[] =
        "<domain type='kvm'>\n"
        "  <name>sgfz-relative-ns</name>\n"
        "  <memory unit='KiB'>262144</memory>\n"
        "  <metadata>\n"
        "    <nova:instance xmlns:nova=\"http4//openstack.org/xmlns/libvirt/nova/1.0\">\n"
        "      <nova:flavor name=\"m1.small\"/>\n"
        "    </nova:instance>\n"
        "  </metadata>\n"
        "</domain>\n";
    struct sg_domxml_edit e = { .before = NULL };
    char why[256] = "";

    cr_assert_eq(sg_domxml_same(xml, xml, why, sizeof(why)), -EINVAL, "%s", why);
    cr_assert(strstr(why, "first document: Canonical XML refuses it"), "%s", why);
    cr_assert_eq(sg_domxml_lock_memory(xml, 262144, &e, why, sizeof(why)), 0, "%s", why);
    cr_assert_eq(sg_domxml_same(xml, e.before, why, sizeof(why)), -EINVAL, "%s", why);
    sg_domxml_edit_clear(&e);
    fflush(stderr);
    cr_assert_stderr_eq_str("", "libxml2 printed on stderr");
}
