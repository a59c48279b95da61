/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The figure schema (agent/core/schema.h) against what every output emits:
 * the Prometheus textfile, the journald fields, the metadata XML, the history
 * line, the facts of `diagnose --record`, and the figures that list and
 * domswap print (sg_domain_figs on the captured hybrid tree). Each name must
 * be a schema row marked for that output, and the rows must follow the naming
 * conventions (key suffix = unit; Prometheus base units, _total for counters).
 *
 * The facts come from tests/data/scenarios/squeezed.jsonl (recorded on real
 * guests, with the legacy key cgroup_swap_kib); a hand-made variation of one
 * tick sets the async-PF counters and the swap events, which TCG guests and
 * the captured trees do not have.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <json-c/json.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "agent/cli/sampling.h"
#include "agent/core/schema.h"
#include "agent/report/report.h"
#include "sg-test-replay.h"
#include "policies/sampler.h"

#define NOW 1795341600.25

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);

    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Is lname one of the label names of prom_label ("event=\"max\"", "verdict", "a,b,c")? */
static bool row_label(const char *prom_label, const char *lname)
{
    for (const char *p = prom_label; p && *p;) {
        size_t l = strcspn(p, ",=");

        if (strlen(lname) == l && strncmp(p, lname, l) == 0)
            return true;
        p += strcspn(p, ",");
        p += *p == ',';
    }
    return false;
}

static const struct sg_schema_row *row_by_prom(const char *name)
{
    for (size_t i = 0; i < SG_F__MAX; i++)
        if (sg_schema[i].prom_name && strcmp(sg_schema[i].prom_name, name) == 0)
            return &sg_schema[i];
    return NULL;
}

/* ---- the rows themselves ---- */

Test(schema, rows_follow_the_conventions)
{
    for (size_t i = 0; i < SG_F__MAX; i++) {
        const struct sg_schema_row *r = &sg_schema[i];

        cr_assert_not_null(r->key, "row %zu has no key", i);
        cr_expect_not_null(r->source_v1, "%s: no source", r->key);
        cr_expect_not_null(r->label, "%s: no label", r->key);
        cr_expect_neq(r->outputs, 0u, "%s: in no output", r->key);
        for (const char *p = r->key; *p; p++)
            cr_expect((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_',
                      "%s: keys are lower_snake_case", r->key);
        for (size_t k = 0; k < i; k++)
            cr_expect(sg_schema[k].scope != r->scope || strcmp(sg_schema[k].key, r->key) != 0,
                      "%s defined twice in one scope", r->key);
        switch (r->unit) {
        case SG_UNIT_KIB:
            cr_expect(ends_with(r->key, "_kib"), "%s: a KiB figure ends in _kib", r->key);
            break;
        case SG_UNIT_BYTES:
            cr_expect(ends_with(r->key, "_bytes"), "%s: a byte figure ends in _bytes", r->key);
            break;
        case SG_UNIT_PER_S:
            cr_expect(ends_with(r->key, "_per_s"), "%s: a rate ends in _per_s", r->key);
            break;
        case SG_UNIT_US:
            cr_expect(ends_with(r->key, "_us"), "%s: microseconds end in _us", r->key);
            break;
        case SG_UNIT_SECONDS:
            cr_expect(ends_with(r->key, "_s") || strcmp(r->key, "unix") == 0, "%s: seconds", r->key);
            break;
        case SG_UNIT_NS:
            cr_expect(ends_with(r->key, "_ns"), "%s: nanoseconds end in _ns", r->key);
            break;
        default:
            cr_expect(!ends_with(r->key, "_kib") && !ends_with(r->key, "_bytes") &&
                      !ends_with(r->key, "_per_s"), "%s: the suffix names a unit it does not have", r->key);
            break;
        }
        if (r->kind == SG_KIND_COUNTER)
            cr_expect(r->unit == SG_UNIT_COUNT || r->unit == SG_UNIT_US || r->unit == SG_UNIT_NS,
                      "%s: a counter counts", r->key);
        if ((r->outputs & SG_OUT_RECORD) && r->scope != SG_SCOPE_REPORT)
            cr_expect_neq(r->type, SG_TYPE_NONE, "%s: recorded but not in the facts", r->key);
        if (r->outputs & (SG_OUT_METADATA | SG_OUT_JOURNALD | SG_OUT_HISTORY | SG_OUT_TEXTFILE))
            cr_expect(r->scope == SG_SCOPE_REPORT || r->type != SG_TYPE_NONE || r->derive_u64,
                      "%s: a reported figure comes from the facts", r->key);
        if (r->derive_u64)
            cr_expect(r->type == SG_TYPE_NONE && !(r->outputs & SG_OUT_RECORD),
                      "%s: a derived figure is neither stored nor recorded", r->key);
        if (r->legacy_key)
            cr_expect(r->legacy_scale >= 1, "%s: legacy factor", r->key);
        if (!r->prom_name)
            continue;
        cr_expect(strncmp(r->prom_name, "swapguard_", 10) == 0, "%s: prefix", r->prom_name);
        cr_expect_eq(r->prom_name[0] && !strchr(r->prom_name, ' '), true);
        if (r->kind == SG_KIND_COUNTER)
            cr_expect(ends_with(r->prom_name, "_total"), "%s: a counter ends in _total", r->prom_name);
        else
            cr_expect(!ends_with(r->prom_name, "_total"), "%s: only counters end in _total", r->prom_name);
        switch (r->unit) {
        case SG_UNIT_KIB:
            cr_expect(ends_with(r->prom_name, "_bytes") && r->prom_scale == 1024, "%s: KiB -> bytes", r->prom_name);
            break;
        case SG_UNIT_BYTES:
            cr_expect(ends_with(r->prom_name, "_bytes") && r->prom_scale == 1, "%s: bytes", r->prom_name);
            break;
        case SG_UNIT_PERCENT:
            cr_expect(ends_with(r->prom_name, "_ratio") && r->prom_scale == 0.01, "%s: percent -> ratio", r->prom_name);
            break;
        case SG_UNIT_RATIO:
            cr_expect(ends_with(r->prom_name, "_ratio") && r->prom_scale == 1, "%s: ratio", r->prom_name);
            break;
        case SG_UNIT_SECONDS:
            cr_expect(ends_with(r->prom_name, "_seconds"), "%s: seconds", r->prom_name);
            break;
        case SG_UNIT_NS:
            cr_expect(ends_with(r->prom_name, "_seconds_total") && r->prom_scale == 1e-9, "%s: ns -> seconds",
                      r->prom_name);
            break;
        default:
            break;
        }
        /* Rows sharing a family agree on its kind and scope, and tell their samples apart. */
        for (size_t k = 0; k < i; k++)
            if (sg_schema[k].prom_name && strcmp(sg_schema[k].prom_name, r->prom_name) == 0) {
                cr_expect(sg_schema[k].kind == r->kind && sg_schema[k].scope == r->scope, "%s", r->prom_name);
                cr_expect(r->prom_label && sg_schema[k].prom_label &&
                          strcmp(r->prom_label, sg_schema[k].prom_label) != 0, "%s: labels", r->prom_name);
            }
    }
}

Test(schema, lookups)
{
    const struct sg_schema_row *r = sg_schema_find(SG_SCOPE_DOMAIN, "cgroup_swap_kib", true);
    char buf[64];

    cr_assert_not_null(r);
    cr_expect_str_eq(r->key, "cgroup_swap_bytes");
    cr_expect_null(sg_schema_find(SG_SCOPE_DOMAIN, "cgroup_swap_kib", false), "a legacy key is no key");
    cr_expect_str_eq(sg_schema_source(r, 1), "memory.stat total_swap");
    cr_expect_str_eq(sg_schema_source(r, 2), "memory.swap.current");
    cr_expect_str_eq(sg_schema_journald_name(r, buf, sizeof(buf)), "CGROUP_SWAP_BYTES");
    r = sg_schema_get(SG_F_CGROUP_SWAP_EVENTS_MAX);
    cr_expect_str_eq(r->prom_name, "swapguard_domain_cgroup_swap_events_total");
    cr_expect(strstr(sg_schema_source(r, 1), "memory.memsw.failcnt") != NULL);
    cr_expect(strstr(sg_schema_source(r, 2), "memory.swap.events max") != NULL);
}

/* ---- the outputs, from recorded facts ---- */

struct rec {
    struct sg_test_rec r;
    struct sg_dom_facts hand; /* the hand-made tick of d[0] */
};

static void load(const char *name, struct rec *x)
{
    sg_test_rec_load(name, &x->r);
    for (size_t i = 0; i < x->r.n; i++)
        x->r.d[i].prev_verdict = "ok";
    /* Hand-made: every optional figure known, so every row has a chance to show. */
    x->hand = *x->r.d[0].last;
    sg_test_hand_tick(&x->hand);
    x->r.d[0].last = &x->hand;
    x->r.v[0].lost_ms_per_s = 12.5;
    /* The Nova labels of a real Nova definition, so the info family shows all of its labels. */
    sg_test_rec_meta(&x->r, 0, "domxml/nova-instance-0000000e.xml");
}

static void unload(struct rec *x)
{
    sg_test_rec_clear(&x->r);
}

Test(schema, textfile_metrics_are_schema_rows)
{
    struct rec r;
    char *text = NULL, *save = NULL;
    size_t len = 0, n_samples = 0;
    FILE *m;
    bool saw_events = false, saw_nova = false;

    load("squeezed.jsonl", &r);
    m = open_memstream(&text, &len);
    cr_assert_eq(sg_report_textfile_format(m, &r.r.host, r.r.d, r.r.n, NOW), 0);
    fclose(m);
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char name[256], type[32];
        const struct sg_schema_row *row;
        size_t l;

        if (sscanf(line, "# TYPE %255s %31s", name, type) == 2) {
            row = row_by_prom(name);
            cr_assert_not_null(row, "family %s is not in the schema", name);
            cr_expect_str_eq(type, row->kind == SG_KIND_COUNTER ? "counter" : "gauge", "%s", name);
            cr_expect(row->outputs & SG_OUT_TEXTFILE, "%s: not marked for the textfile", name);
            continue;
        }
        if (line[0] == '#')
            continue;
        l = strcspn(line, "{ ");
        snprintf(name, sizeof(name), "%.*s", (int)l, line);
        row = row_by_prom(name);
        cr_assert_not_null(row, "sample %s is not in the schema", line);
        n_samples++;
        if (line[l] == '{') {
            /* Label names: domain, uuid, and the row's own (event=, verdict=). */
            const char *p = line + l + 1;
            while (*p && *p != '}') {
                size_t kl = strcspn(p, "=");
                char lname[64];
                bool ok;

                snprintf(lname, sizeof(lname), "%.*s", (int)kl, p);
                ok = strcmp(lname, "domain") == 0 || strcmp(lname, "uuid") == 0 ||
                     row_label(row->prom_label, lname);
                cr_expect(ok, "%s: label %s is not the schema's", name, lname);
                p += kl + 2; /* =" */
                while (*p && !(*p == '"' && p[-1] != '\\'))
                    p++;
                if (*p)
                    p++;
                if (*p == ',')
                    p++;
            }
        }
        if (strcmp(name, "swapguard_domain_cgroup_swap_events_total") == 0)
            saw_events = true;
        if (strcmp(name, "swapguard_domain_info") == 0 && strstr(line, "nova_project=\""))
            saw_nova = true;
    }
    cr_expect(n_samples > 20);
    cr_expect(saw_events, "the swap events of the hand-made tick are exported");
    cr_expect(saw_nova, "the Nova labels of the info family are exported");
    free(text);
    unload(&r);
}

Test(schema, journald_fields_are_schema_rows)
{
    struct rec r;
    size_t n;
    char **f;
    bool saw_events = false;

    load("squeezed.jsonl", &r);
    f = sg_report_journald_fields(&r.r.d[0], "m", 4, &n);
    cr_assert_not_null(f);
    for (size_t i = 0; i < n; i++) {
        char name[128], jn[128];
        bool ok = false;

        snprintf(name, sizeof(name), "%.*s", (int)strcspn(f[i], "="), f[i]);
        if (!strcmp(name, "MESSAGE") || !strcmp(name, "MESSAGE_ID") || !strcmp(name, "PRIORITY") ||
            !strcmp(name, "SYSLOG_IDENTIFIER"))
            ok = true; /* journald's own fields */
        else if (strncmp(name, "EVIDENCE_", 9) == 0)
            ok = strcmp(sg_schema_get(SG_F_REPORT_EVIDENCE)->journald, "EVIDENCE_*") == 0;
        for (size_t k = 0; !ok && k < SG_F__MAX; k++)
            ok = (sg_schema[k].outputs & SG_OUT_JOURNALD) &&
                 (sg_schema[k].scope == SG_SCOPE_DOMAIN || sg_schema[k].scope == SG_SCOPE_REPORT) &&
                 strcmp(sg_schema_journald_name(&sg_schema[k], jn, sizeof(jn)), name) == 0;
        cr_expect(ok, "journald field %s is not a schema row", name);
        saw_events |= strcmp(name, "CGROUP_SWAP_EVENTS_MAX") == 0;
        free(f[i]);
    }
    free(f);
    cr_expect(saw_events);
    unload(&r);
}

static void check_attrs(xmlNode *n, const char *elem)
{
    for (xmlAttr *a = n->properties; a; a = a->next) {
        const char *name = (const char *)a->name;
        const struct sg_schema_row *row = sg_schema_find(elem ? SG_SCOPE_DOMAIN : SG_SCOPE_REPORT, name, false);

        cr_expect_not_null(row, "metadata attribute %s of <%s> is not a schema row", name, elem ? elem : "report");
        if (!row)
            continue;
        cr_expect(row->outputs & SG_OUT_METADATA, "%s: not marked for the metadata", name);
        if (elem)
            cr_expect(row->xml_element && strcmp(row->xml_element, elem) == 0, "%s: in <%s>", name, elem);
    }
}

Test(schema, metadata_attributes_are_schema_rows)
{
    struct rec r;
    char *xml;
    xmlDoc *doc;
    xmlNode *root;
    size_t n_elems = 0;

    load("squeezed.jsonl", &r);
    cr_assert_eq(sg_report_metadata_xml(&r.r.d[0], NOW, &xml), 0);
    doc = xmlReadMemory(xml, (int)strlen(xml), "m.xml", NULL, XML_PARSE_NONET);
    cr_assert_not_null(doc);
    root = xmlDocGetRootElement(doc);
    check_attrs(root, NULL);
    for (xmlNode *n = root->children; n; n = n->next) {
        const char *name = (const char *)n->name;

        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (strcmp(name, sg_schema_get(SG_F_REPORT_EVIDENCE)->xml_element) == 0 ||
            strcmp(name, sg_schema_get(SG_F_REPORT_MISSING)->xml_element) == 0)
            continue; /* <evidence key value> and <missing>: report rows, structure */
        check_attrs(n, name);
        n_elems++;
    }
    cr_expect_eq(n_elems, 5, "swap, faults, psi, async_pf, lost:\n%s", xml);
    cr_expect(strstr(xml, "cgroup_swap_events_max=\"3\"") != NULL, "%s", xml);
    xmlFreeDoc(doc);
    free(xml);
    unload(&r);
}

Test(schema, history_keys_are_schema_rows)
{
    struct rec r;
    json_object *o, *figs;

    load("squeezed.jsonl", &r);
    o = sg_report_history_json(&r.r.d[0], NOW);
    json_object_object_foreach(o, k, v) {
        const struct sg_schema_row *row = sg_schema_find(SG_SCOPE_REPORT, k, false);
        (void)v;
        cr_expect(row && (row->outputs & SG_OUT_HISTORY), "history key %s is not a schema row", k);
    }
    cr_assert(json_object_object_get_ex(o, "figures", &figs) && figs);
    json_object_object_foreach(figs, fk, fv) {
        const struct sg_schema_row *row = sg_schema_find(SG_SCOPE_DOMAIN, fk, false);
        (void)fv;
        cr_expect(row && (row->outputs & SG_OUT_HISTORY), "history figure %s is not a schema row", fk);
    }
    cr_expect(json_object_object_get_ex(figs, "cgroup_swap_events_fail", NULL));
    json_object_put(o);
    unload(&r);
}

static void check_record(json_object *o, enum sg_schema_scope scope)
{
    size_t n = 0, want = 0;

    json_object_object_foreach(o, k, v) {
        const struct sg_schema_row *row = sg_schema_find(scope, k, false);
        (void)v;
        cr_expect(row && (row->outputs & SG_OUT_RECORD), "record key %s is not a schema row", k);
        n++;
    }
    for (size_t i = 0; i < SG_F__MAX; i++)
        want += sg_schema[i].scope == scope && (sg_schema[i].outputs & SG_OUT_RECORD);
    cr_expect_eq(n, want, "every recorded row is written");
}

Test(schema, record_keys_are_schema_rows_and_legacy_keys_read_once)
{
    struct rec r;
    json_object *o, *v;
    struct sg_dom_facts back;
    char why[256];

    load("squeezed.jsonl", &r);
    o = sg_dom_facts_to_json(&r.hand);
    check_record(o, SG_SCOPE_DOMAIN);
    {
        /* The vCPU threads' objects: the vCPU-scope record rows, every one, round trip. */
        json_object *vc = json_object_object_get(o, "vcpus");
        cr_assert(json_object_is_type(vc, json_type_array));
        cr_assert_eq(json_object_array_length(vc), r.hand.lost.n_vcpu_lost);
        for (size_t i = 0; i < json_object_array_length(vc); i++)
            check_record(json_object_array_get_idx(vc, i), SG_SCOPE_VCPU);
    }
    cr_expect(!json_object_object_get_ex(o, "cgroup_swap_kib", NULL), "the legacy key is not written");
    cr_assert(json_object_object_get_ex(o, "cgroup_swap_bytes", &v));
    /* The recording holds cgroup_swap_kib; the facts hold bytes: x 1024 once, at read. */
    cr_expect_eq(json_object_get_uint64(v) % 1024, 0);
    cr_assert_eq(sg_dom_facts_from_json(o, &back, why, sizeof(why)), 0, "%s", why);
    cr_expect_eq(back.cgroup_swap_bytes, r.hand.cgroup_swap_bytes, "round trip in bytes");
    cr_expect_eq(back.cgroup_swap_events_fail, 5);
    cr_assert_eq(back.lost.n_vcpu_lost, r.hand.lost.n_vcpu_lost);
    cr_expect_eq(back.vcpu_lost[1].tid, r.hand.vcpu_lost[1].tid);
    cr_expect_eq(back.vcpu_lost[1].swapin_delay_ns, r.hand.vcpu_lost[1].swapin_delay_ns);
    cr_expect_eq(back.vcpu_lost[1].looks_swapin, r.hand.vcpu_lost[1].looks_swapin);
    json_object_put(o);
    o = sg_host_facts_to_json(&r.r.host);
    check_record(o, SG_SCOPE_HOST);
    json_object_put(o);
    unload(&r);
}

Test(schema, legacy_record_with_kib_and_without_swap_events)
{
    /* Hand-written: a facts object as recordings before the rename wrote it (the keys of
     * the recordings in tests/data/scenarios), values invented. */
    json_object *o = json_tokener_parse(
        "{\"t_s\":1.0,\"running\":true,\"guest_ram_kib\":262144,\"vm_swap_kib\":100,"
        "\"cgroup_swap_kib\":190000,\"cgroup_pgmajfault\":7,\"psi_some_avg10\":null,"
        "\"psi_full_avg10\":null,\"apf_available\":false,\"apf_missing\":\"\",\"apf_not_present\":0,"
        "\"apf_ready\":0,\"apf_try_get_page\":0,\"apf_repeated_fault\":0,\"guest_probed\":false,"
        "\"guest_agent_ok\":false,\"guest_tasks_ok\":false,\"guest_kmsg_ok\":false,\"guest_mem_ok\":false,"
        "\"guest_missing\":\"\",\"guest_dstate_tasks\":0,\"guest_async_pf_tasks\":0,"
        "\"guest_hung_async_pf_kernel\":0,\"guest_hung_async_pf_forged\":0,\"guest_hung_other\":0,"
        "\"guest_swap_total_kib\":null,\"guest_swap_free_kib\":null,\"guest_pswpin\":null,"
        "\"guest_pswpout\":null,\"guest_steal_ms_per_s\":null}");
    struct sg_dom_facts d;
    char why[256] = "";

    cr_assert_not_null(o);
    cr_assert_eq(sg_dom_facts_from_json(o, &d, why, sizeof(why)), 0, "%s", why);
    cr_expect_eq(d.cgroup_swap_bytes, 190000ull * 1024);
    cr_expect_eq(d.cgroup_swap_events_max, SG_POLICY_NONE);
    cr_expect_eq(d.cgroup_swap_events_fail, SG_POLICY_NONE);
    /* Without the new key and without the legacy one, a required figure is missing. */
    json_object_object_del(o, "cgroup_swap_kib");
    cr_expect_eq(sg_dom_facts_from_json(o, &d, why, sizeof(why)), -EINVAL);
    cr_expect(strstr(why, "cgroup_swap_bytes") != NULL, "%s", why);
    json_object_put(o);
}

/* ---- list and domswap (sg_domain_figs) on the captured hybrid tree ---- */

/* The first process directory of TREE/proc (the captured QEMU processes): no PID typed here. */
static pid_t first_pid(const char *tree)
{
    char path[4096];
    struct dirent *e;
    DIR *d;
    pid_t pid = 0;

    snprintf(path, sizeof(path), "%s/%s/proc", SG_TEST_DATA, tree);
    d = opendir(path);
    cr_assert_not_null(d);
    while (!pid && (e = readdir(d)))
        if (e->d_name[0] >= '1' && e->d_name[0] <= '9')
            pid = (pid_t)atoi(e->d_name);
    closedir(d);
    cr_assert_gt(pid, 0);
    return pid;
}

static void figs_keys(const char *tree)
{
    struct sg_ctx ctx = {0};
    struct sg_dom_entry x = {0};
    struct sg_error err = {0};
    struct sg_figs f = {0};
    json_object *o = json_object_new_object();
    char root[4096];

    snprintf(root, sizeof(root), "%s/%s", SG_TEST_DATA, tree);
    cr_assert_eq(sg_fs_open(&ctx.fs, root, root, &err), 0);
    x.dom.d.name = strdup("x");
    x.dom.d.id = 1;
    x.dom.d.pid = first_pid(tree);
    cr_assert_eq(sg_cgroup_locate(&ctx.fs, x.dom.d.pid, &x.dom.cg, &err), 0, "%s", err.msg);
    cr_assert_eq(sg_dom_sample_read(&ctx.fs, x.dom.d.pid, &x.dom.cg, false, &x.s0, &err), 0, "%s", err.msg);
    x.running = true;
    sg_domain_figs(&ctx, &x, &f);
    sg_figs_to_json(&f, o, true);
    json_object_object_foreach(o, k, v) {
        const struct sg_schema_row *row = sg_schema_find(SG_SCOPE_DOMAIN, k, false);
        (void)v;
        if (strcmp(k, "sources") == 0)
            continue; /* domswap's object of sources, one per key */
        cr_expect(row && (row->outputs & SG_OUT_LIST), "list/domswap key %s is not a schema row", k);
        /* The source is the schema's (pid and the cgroup path name the concrete files). */
        if (row && strcmp(k, "pid") && strcmp(k, "cgroup_version") && strcmp(k, "cgroup_memory_path")) {
            json_object *src = json_object_object_get(json_object_object_get(o, "sources"), k);
            cr_expect_str_eq(src ? json_object_get_string(src) : "", sg_schema_source(row, x.dom.cg.memory_version),
                             "%s: source", k);
        }
    }
    /* Every list row is printed. */
    for (size_t i = 0; i < SG_F__MAX; i++)
        if (sg_schema[i].scope == SG_SCOPE_DOMAIN && (sg_schema[i].outputs & SG_OUT_LIST))
            cr_expect(json_object_object_get_ex(o, sg_schema[i].key, NULL), "%s missing", sg_schema[i].key);
    /* The captured trees predate the swap-events reader: the figure is null there. */
    cr_expect(json_object_object_get_ex(o, "cgroup_swap_events_max", NULL) &&
              json_object_object_get(o, "cgroup_swap_events_max") == NULL);
    json_object_put(o);
    sg_figs_free(&f);
    sg_dom_sample_clear(&x.s0);
    free(x.dom.d.name);
    sg_cgroup_clear(&x.dom.cg);
    sg_fs_close(&ctx.fs);
}

Test(schema, list_and_domswap_keys_hybrid) { figs_keys("hybrid"); }
Test(schema, list_and_domswap_keys_v1) { figs_keys("v1"); }
Test(schema, list_and_domswap_keys_v2) { figs_keys("v2"); }
