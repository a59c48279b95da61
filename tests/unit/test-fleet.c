/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The fleet view against the textfile: every metric that the shipped
 * Prometheus rules (etc/prometheus/swapguard-rules.yml) and the Grafana
 * dashboard (etc/grafana/swapguard-dashboard.json) query is a family the
 * textfile emits (or a recording rule of the rules file), every label they
 * match on such a family is one it carries, and every verdict or event value
 * they name exists. Also the shape of the rules (each alert with a severity,
 * summary, description and a runbook_url whose anchor is a heading of
 * docs/runbook.md) and of the dashboard (host, domain and datasource
 * variables, every panel on the datasource variable).
 *
 * The textfile is the one sg_report_textfile_format writes for
 * tests/data/scenarios/squeezed.jsonl (recorded on real guests), with the
 * hand-made variation of test-schema.c (async-PF counters and swap events
 * known, so that every family shows) and the Nova labels of a real Nova
 * definition (tests/data/domxml/nova-instance-0000000e.xml).
 *
 * PromQL syntax is promtool's business (tests/prometheus/test-rules.sh); this
 * reads the expressions only for their names: string literals are skipped,
 * identifiers with a colon are recording rules, identifiers starting with
 * swapguard_ are textfile families.
 */
#include <criterion/criterion.h>
#include <ctype.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "agent/core/schema.h"
#include "agent/report/report.h"
#include "sg-test-replay.h"

#define NOW 1795341600.25
#define RULES "../../etc/prometheus/swapguard-rules.yml"
#define DASHBOARD "../../etc/grafana/swapguard-dashboard.json"
#define RUNBOOK "../../docs/runbook.md"
#define RUNBOOK_URL "https://github.com/swapguard/swapguard/blob/main/docs/runbook.md#"

/* ---- a small set of strings ---- */

struct strs {
    char *v[512];
    size_t n;
};

static bool strs_has(const struct strs *s, const char *x)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i], x) == 0)
            return true;
    return false;
}

static void strs_add(struct strs *s, const char *x, size_t len)
{
    char *c = strndup(x, len);

    cr_assert_not_null(c);
    if (strs_has(s, c)) {
        free(c);
        return;
    }
    cr_assert_lt(s->n, SG_ELEMENTSOF(s->v));
    s->v[s->n++] = c;
}

static void strs_free(struct strs *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    s->n = 0;
}

/* ---- what the textfile emits ---- */

/* Families, and "family\tlabel" and "family\tlabel\tvalue" pairs, of the textfile. */
struct emitted {
    struct strs fam, lab, val;
};

static char *textfile(void)
{
    struct sg_test_rec r;
    struct sg_dom_facts hand;
    char *text = NULL;
    size_t len = 0;
    FILE *m;

    sg_test_rec_load("squeezed.jsonl", &r);
    hand = *r.d[0].last;
    sg_test_hand_tick(&hand);
    r.d[0].last = &hand;
    r.v[0].lost_ms_per_s = 12.5;
    r.d[0].sample_unix = NOW - 1; /* the agent sets it per domain */
    sg_test_rec_meta(&r, 0, "domxml/nova-instance-0000000e.xml");
    m = open_memstream(&text, &len);
    cr_assert_eq(sg_report_textfile_format(m, &r.host, r.d, r.n, NOW), 0);
    fclose(m);
    sg_test_rec_clear(&r);
    return text;
}

static void emitted_load(struct emitted *e)
{
    char *text = textfile(), *save = NULL;

    memset(e, 0, sizeof(*e));
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        size_t l = strcspn(line, "{ ");
        char fam[256], pair[1024];

        if (line[0] == '#')
            continue;
        snprintf(fam, sizeof(fam), "%.*s", (int)l, line);
        strs_add(&e->fam, fam, strlen(fam));
        if (line[l] != '{')
            continue;
        for (const char *p = line + l + 1; *p && *p != '}';) {
            size_t kl = strcspn(p, "="), vl = 0;
            const char *v = p + kl + 2; /* =" */

            while (v[vl] && v[vl] != '"') /* values here have no escaped quotes but in names */
                vl += v[vl] == '\\' && v[vl + 1] ? 2 : 1;
            snprintf(pair, sizeof(pair), "%s\t%.*s", fam, (int)kl, p);
            strs_add(&e->lab, pair, strlen(pair));
            snprintf(pair, sizeof(pair), "%s\t%.*s\t%.*s", fam, (int)kl, p, (int)vl, v);
            strs_add(&e->val, pair, strlen(pair));
            p = v + vl + (v[vl] == '"');
            p += *p == ',';
        }
    }
    free(text);
}

static void emitted_free(struct emitted *e)
{
    strs_free(&e->fam);
    strs_free(&e->lab);
    strs_free(&e->val);
}

/* ---- the rules file, read line by line (its header states the format) ---- */

struct rules {
    struct strs expr, record, alert;
    struct strs severity, summary, description, runbook; /* "ALERT\tvalue" */
};

static size_t indent_of(const char *s)
{
    return strspn(s, " ");
}

/* "key: value" at s (after the indentation, an optional "- "): value, else NULL. */
static const char *yaml_value(const char *s, const char *key)
{
    size_t l = strlen(key);

    s += indent_of(s);
    if (s[0] == '-' && s[1] == ' ')
        s += 2;
    if (strncmp(s, key, l) != 0 || s[l] != ':')
        return NULL;
    s += l + 1;
    return s + strspn(s, " ");
}

/* A YAML scalar as written in our file: "double-quoted" (with \" and \\), or plain. */
static void unquote(const char *v, char *out, size_t size)
{
    size_t o = 0;

    if (*v != '"') {
        snprintf(out, size, "%s", v);
        return;
    }
    for (v++; *v && *v != '"' && o + 1 < size; v++) {
        if (*v == '\\' && v[1])
            v++;
        out[o++] = *v;
    }
    out[o] = '\0';
}

static void add_for_alert(struct strs *s, const char *alert, const char *v)
{
    char b[4096], val[3072];

    unquote(v, val, sizeof(val));
    snprintf(b, sizeof(b), "%s\t%s", alert, val);
    strs_add(s, b, strlen(b));
}

static void rules_load(struct rules *r)
{
    char *text = sg_test_slurp(RULES, NULL), *save = NULL, alert[128] = "";
    char *lines[1024];
    size_t n = 0;
    const char *v;

    memset(r, 0, sizeof(*r));
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        cr_assert_lt(n, SG_ELEMENTSOF(lines));
        lines[n++] = line;
    }
    for (size_t i = 0; i < n; i++) {
        const char *s = lines[i];

        if (s[indent_of(s)] == '#')
            continue;
        if ((v = yaml_value(s, "record"))) {
            strs_add(&r->record, v, strlen(v));
            alert[0] = '\0';
        } else if ((v = yaml_value(s, "alert"))) {
            snprintf(alert, sizeof(alert), "%s", v);
            strs_add(&r->alert, v, strlen(v));
        } else if ((v = yaml_value(s, "expr"))) {
            char buf[8192] = "";

            if (strcmp(v, "|") == 0) {
                size_t ind = indent_of(s);

                while (i + 1 < n && indent_of(lines[i + 1]) > ind) {
                    strncat(buf, lines[++i], sizeof(buf) - strlen(buf) - 2);
                    strcat(buf, "\n");
                }
            } else
                snprintf(buf, sizeof(buf), "%s", v);
            cr_assert(buf[0], "%s: an empty expr near line %zu", RULES, i + 1);
            strs_add(&r->expr, buf, strlen(buf));
        } else if (alert[0] && (v = yaml_value(s, "severity")))
            add_for_alert(&r->severity, alert, v);
        else if (alert[0] && (v = yaml_value(s, "summary")))
            add_for_alert(&r->summary, alert, v);
        else if (alert[0] && (v = yaml_value(s, "description")))
            add_for_alert(&r->description, alert, v);
        else if (alert[0] && (v = yaml_value(s, "runbook_url")))
            add_for_alert(&r->runbook, alert, v);
    }
    free(text);
}

static void rules_free(struct rules *r)
{
    strs_free(&r->expr);
    strs_free(&r->record);
    strs_free(&r->alert);
    strs_free(&r->severity);
    strs_free(&r->summary);
    strs_free(&r->description);
    strs_free(&r->runbook);
}

/* The value recorded for alert in s ("ALERT\tvalue"), NULL when none. */
static const char *for_alert(const struct strs *s, const char *alert)
{
    size_t l = strlen(alert);

    for (size_t i = 0; i < s->n; i++)
        if (strncmp(s->v[i], alert, l) == 0 && s->v[i][l] == '\t')
            return s->v[i] + l + 1;
    return NULL;
}

/* ---- the dashboard ---- */

/* Every "expr" string under o, and the templating variables' "definition"s. */
static void collect_exprs(json_object *o, struct strs *out)
{
    if (json_object_is_type(o, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(o); i++)
            collect_exprs(json_object_array_get_idx(o, i), out);
        return;
    }
    if (!json_object_is_type(o, json_type_object))
        return;
    json_object_object_foreach(o, k, v) {
        if ((strcmp(k, "expr") == 0 || strcmp(k, "definition") == 0) && json_object_is_type(v, json_type_string))
            strs_add(out, json_object_get_string(v), strlen(json_object_get_string(v)));
        else
            collect_exprs(v, out);
    }
}

static json_object *dashboard_load(void)
{
    char *text = sg_test_slurp(DASHBOARD, NULL);
    enum json_tokener_error jerr;
    json_object *o = json_tokener_parse_verbose(text, &jerr);

    cr_assert_not_null(o, "%s: not JSON: %s", DASHBOARD, json_tokener_error_desc(jerr));
    free(text);
    return o;
}

/* ---- PromQL names ---- */

static bool ident_start(char c)
{
    return isalpha((unsigned char)c) || c == '_' || c == ':';
}

static bool ident_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == ':';
}

/*
 * Checks the names of expression q (what: where it comes from): each
 * identifier with a colon is a recording rule of r, each swapguard_ one a
 * family of e; the label matchers of such a family name its labels (or
 * instance and job, which the scrape adds), and a verdict or event value it
 * matches with = is one the textfile emits. Returns the count of names checked;
 * *problems counts what is wrong, each said in a line appended to msg[size].
 */
static size_t check_expr(const char *q, const char *what, const struct emitted *e, const struct rules *r,
                         size_t *problems, char *msg, size_t size)
{
    size_t checked = 0;

#define PROBLEM(ok, ...)                                                            \
    do {                                                                            \
        if (!(ok)) {                                                                \
            size_t _l = strlen(msg);                                                \
            (*problems)++;                                                          \
            snprintf(msg + _l, size - _l, __VA_ARGS__);                             \
            _l = strlen(msg);                                                       \
            snprintf(msg + _l, size - _l, "\n");                                    \
        }                                                                           \
    } while (0)

    for (const char *p = q; *p;) {
        if (*p == '"' || *p == '\'' || *p == '`') {
            char quote = *p++;

            while (*p && *p != quote)
                p += *p == '\\' && p[1] && quote != '`' ? 2 : 1;
            p += *p != '\0';
            continue;
        }
        if (isdigit((unsigned char)*p) || *p == '$') { /* a number, a duration, a Grafana variable */
            p++;
            while (ident_char(*p) || *p == '.')
                p++;
            continue;
        }
        if (!ident_start(*p)) {
            p++;
            continue;
        }
        const char *s = p;
        char name[256];

        while (ident_char(*p))
            p++;
        snprintf(name, sizeof(name), "%.*s", (int)(p - s), s);
        if (strchr(name, ':')) {
            PROBLEM(strs_has(&r->record, name), "%s: %s is not a recording rule of %s", what, name, RULES);
            checked++;
            continue;
        }
        if (strncmp(name, "swapguard_", 10) != 0)
            continue;
        checked++;
        PROBLEM(strs_has(&e->fam, name), "%s: %s is not a family the textfile emits", what, name);
        while (*p == ' ')
            p++;
        if (*p != '{')
            continue;
        /* label matchers: NAME OP "VALUE" [, ...] } */
        for (p++; *p && *p != '}';) {
            char lname[128], pair[512], op[3] = "";
            const char *ls, *vs;
            size_t vl = 0;

            p += strspn(p, " ,\n");
            if (*p == '}')
                break;
            ls = p;
            while (ident_char(*p))
                p++;
            snprintf(lname, sizeof(lname), "%.*s", (int)(p - ls), ls);
            p += strspn(p, " ");
            for (size_t o = 0; (*p == '=' || *p == '!' || *p == '~') && o + 1 < sizeof(op); o++) {
                op[o] = *p++;
                op[o + 1] = '\0';
            }
            p += strspn(p, " ");
            cr_assert(lname[0] && op[0] && *p == '"', "%s: cannot read the matchers of %s", what, name);
            vs = ++p;
            while (vs[vl] && vs[vl] != '"')
                vl += vs[vl] == '\\' && vs[vl + 1] ? 2 : 1;
            p = vs + vl + (vs[vl] == '"');
            snprintf(pair, sizeof(pair), "%s\t%s", name, lname);
            PROBLEM(strcmp(lname, "instance") == 0 || strcmp(lname, "job") == 0 || strs_has(&e->lab, pair),
                      "%s: %s has no label %s in the textfile", what, name, lname);
            if (strcmp(op, "=") == 0 && vl && (strcmp(lname, "verdict") == 0 || strcmp(lname, "event") == 0)) {
                snprintf(pair, sizeof(pair), "%s\t%s\t%.*s", name, lname, (int)vl, vs);
                PROBLEM(strs_has(&e->val, pair), "%s: %s{%s=\"%.*s\"} is never emitted", what, name, lname,
                          (int)vl, vs);
            }
        }
    }
#undef PROBLEM
    return checked;
}

/* ---- the tests ---- */

Test(fleet, the_textfile_has_every_exported_family)
{
    struct emitted e;

    emitted_load(&e);
    for (size_t i = 0; i < SG_F__MAX; i++)
        if ((sg_schema[i].outputs & SG_OUT_TEXTFILE) && sg_schema[i].prom_name)
            cr_expect(strs_has(&e.fam, sg_schema[i].prom_name), "%s: a schema family missing from the textfile",
                      sg_schema[i].prom_name);
    cr_expect(strs_has(&e.lab, "swapguard_domain_info\tnova_project"), "the Nova labels show");
    emitted_free(&e);
}

Test(fleet, rules_query_only_what_the_textfile_emits)
{
    struct emitted e;
    struct rules r;
    size_t names = 0, problems = 0;
    char msg[8192] = "";

    emitted_load(&e);
    rules_load(&r);
    cr_assert_geq(r.expr.n, 10, "%s: %zu expressions read", RULES, r.expr.n);
    for (size_t i = 0; i < r.expr.n; i++)
        names += check_expr(r.expr.v[i], RULES, &e, &r, &problems, msg, sizeof(msg));
    cr_expect_eq(problems, 0, "%s", msg);
    cr_expect_geq(names, r.expr.n, "every expression names a metric");
    emitted_free(&e);
    rules_free(&r);
}

/* The check can fail: a name the textfile does not emit, a label it lacks, a verdict it never
 * names, a recording rule nobody defines (hand-written expressions). */
Test(fleet, the_name_check_can_fail)
{
    static const struct {
        const char *q, *says;
    } bad[] = {
        { "rate(swapguard_domain_major_fault_total[5m])", "swapguard_domain_major_fault_total is not a family" },
        { "swapguard_domain_verdict{verdict=\"host-swap-stal\"}", "verdict=\"host-swap-stal\"} is never emitted" },
        { "swapguard_domain_running{nova_project=\"p\"}", "swapguard_domain_running has no label nova_project" },
        { "topk(3, cluster:swapguard_guest_ram_in_host_swap_bytes:sum)", "is not a recording rule" },
    };
    struct emitted e;
    struct rules r;

    emitted_load(&e);
    rules_load(&r);
    for (size_t i = 0; i < SG_ELEMENTSOF(bad); i++) {
        size_t problems = 0;
        char msg[1024] = "";

        check_expr(bad[i].q, "hand-written", &e, &r, &problems, msg, sizeof(msg));
        cr_expect_eq(problems, 1, "%s: %zu problems: %s", bad[i].q, problems, msg);
        cr_expect_not_null(strstr(msg, bad[i].says), "%s: %s", bad[i].q, msg);
    }
    /* and passes the same expressions spelled right */
    {
        size_t problems = 0;
        char msg[1024] = "";

        check_expr("rate(swapguard_domain_major_faults_total{instance=~\"$host\"}[$__rate_interval]) "
                   "and swapguard_domain_verdict{verdict=\"host-swap-stall\"} "
                   "and on (uuid) swapguard_domain_info{nova_project!=\"\"}", "hand-written", &e, &r, &problems,
                   msg, sizeof(msg));
        cr_expect_eq(problems, 0, "%s", msg);
    }
    emitted_free(&e);
    rules_free(&r);
}

/* Lower-case, punctuation dropped, spaces as '-': GitHub's anchor of a Markdown heading. */
static void github_anchor(const char *heading, char *out, size_t size)
{
    size_t o = 0;

    for (const char *p = heading; *p && o + 1 < size; p++) {
        unsigned char c = (unsigned char)*p;

        if (isalnum(c) || c == '-' || c == '_')
            out[o++] = (char)tolower(c);
        else if (c == ' ')
            out[o++] = '-';
    }
    out[o] = '\0';
}

Test(fleet, every_alert_has_severity_summary_description_and_a_runbook_section)
{
    char *runbook = sg_test_slurp(RUNBOOK, NULL), *copy = strdup(runbook), *save = NULL;
    struct strs anchors = { 0 };
    struct rules r;

    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char a[256];

        if (line[0] != '#')
            continue;
        github_anchor(line + strspn(line, "# "), a, sizeof(a));
        strs_add(&anchors, a, strlen(a));
    }
    rules_load(&r);
    cr_assert_geq(r.alert.n, 4);
    for (size_t i = 0; i < r.alert.n; i++) {
        const char *a = r.alert.v[i], *sev = for_alert(&r.severity, a), *url = for_alert(&r.runbook, a);
        char mention[160];

        cr_expect(sev && (strcmp(sev, "critical") == 0 || strcmp(sev, "warning") == 0 || strcmp(sev, "info") == 0),
                  "%s: severity %s", a, sev ? sev : "missing");
        cr_expect(for_alert(&r.summary, a) && for_alert(&r.description, a), "%s: summary and description", a);
        cr_expect(url && strncmp(url, RUNBOOK_URL, strlen(RUNBOOK_URL)) == 0, "%s: runbook_url %s", a,
                  url ? url : "missing");
        if (url && strlen(url) > strlen(RUNBOOK_URL))
            cr_expect(strs_has(&anchors, url + strlen(RUNBOOK_URL)), "%s: %s is no heading of %s", a, url, RUNBOOK);
        snprintf(mention, sizeof(mention), "`%s`", a);
        cr_expect_not_null(strstr(runbook, mention), "%s does not name the alert %s", RUNBOOK, a);
    }
    rules_free(&r);
    strs_free(&anchors);
    free(copy);
    free(runbook);
}

Test(fleet, dashboard_queries_only_what_the_textfile_and_rules_give)
{
    json_object *d = dashboard_load();
    struct strs exprs = { 0 };
    struct emitted e;
    struct rules r;
    size_t names = 0, problems = 0;
    char msg[8192] = "";

    emitted_load(&e);
    rules_load(&r);
    collect_exprs(d, &exprs);
    cr_assert_geq(exprs.n, 10, "%zu queries", exprs.n);
    for (size_t i = 0; i < exprs.n; i++) {
        size_t k = check_expr(exprs.v[i], DASHBOARD, &e, &r, &problems, msg, sizeof(msg));

        cr_expect_gt(k, 0, "%s: %s names no swapguard metric", DASHBOARD, exprs.v[i]);
        names += k;
    }
    cr_expect_eq(problems, 0, "%s", msg);
    cr_expect_geq(names, exprs.n);
    strs_free(&exprs);
    emitted_free(&e);
    rules_free(&r);
    json_object_put(d);
}

static const char *str_at(json_object *o, const char *key)
{
    json_object *v;

    return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
               ? json_object_get_string(v) : NULL;
}

Test(fleet, dashboard_shape)
{
    json_object *d = dashboard_load(), *v, *list, *panels;
    bool have_ds = false, have_host = false, have_domain = false, have_state = false, have_rank = false;
    struct strs ids = { 0 };

    cr_assert(json_object_object_get_ex(d, "schemaVersion", &v));
    cr_expect_geq(json_object_get_int(v), 36, "schemaVersion %d", json_object_get_int(v));
    cr_expect_str_eq(str_at(d, "uid"), "swapguard-fleet");
    cr_assert(json_object_object_get_ex(d, "templating", &v) && json_object_object_get_ex(v, "list", &list));
    for (size_t i = 0; i < json_object_array_length(list); i++) {
        json_object *t = json_object_array_get_idx(list, i);
        const char *name = str_at(t, "name"), *type = str_at(t, "type"), *def = str_at(t, "definition");

        cr_assert_not_null(name);
        if (strcmp(name, "datasource") == 0)
            have_ds = strcmp(type, "datasource") == 0 && strcmp(str_at(t, "query"), "prometheus") == 0;
        if (strcmp(name, "host") == 0)
            have_host = def && strncmp(def, "label_values(", 13) == 0 && strstr(def, ", instance)");
        if (strcmp(name, "domain") == 0)
            have_domain = def && strncmp(def, "label_values(", 13) == 0 && strstr(def, ", domain)") &&
                          strstr(def, "$host");
    }
    cr_expect(have_ds && have_host && have_domain, "variables: datasource %d, host %d, domain %d", have_ds,
              have_host, have_domain);
    cr_assert(json_object_object_get_ex(d, "panels", &panels));
    for (size_t i = 0; i < json_object_array_length(panels); i++) {
        json_object *p = json_object_array_get_idx(panels, i), *id, *ds, *targets, *grid;
        const char *type = str_at(p, "type"), *title = str_at(p, "title");
        char idb[32];

        cr_assert(type && title, "panel %zu: type and title", i);
        cr_assert(json_object_object_get_ex(p, "id", &id) && json_object_object_get_ex(p, "gridPos", &grid),
                  "%s: id and gridPos", title);
        snprintf(idb, sizeof(idb), "%d", json_object_get_int(id));
        cr_expect_not(strs_has(&ids, idb), "%s: id %s twice", title, idb);
        strs_add(&ids, idb, strlen(idb));
        if (strcmp(type, "row") == 0)
            continue;
        cr_expect(json_object_object_get_ex(p, "datasource", &ds) && strcmp(str_at(ds, "uid"), "${datasource}") == 0,
                  "%s: on the datasource variable", title);
        cr_expect(json_object_object_get_ex(p, "targets", &targets) && json_object_array_length(targets) > 0,
                  "%s: no query", title);
        for (size_t k = 0; targets && k < json_object_array_length(targets); k++) {
            const char *expr = str_at(json_object_array_get_idx(targets, k), "expr");

            cr_expect(expr && expr[0], "%s: target %zu without expr", title, k);
            have_rank |= expr && strstr(expr, "topk(") && strstr(expr, ":swapguard_guest_ram_in_host_swap_bytes:sum");
        }
        have_state |= strcmp(type, "state-timeline") == 0;
    }
    cr_expect(have_state, "a state timeline of the verdicts");
    cr_expect(have_rank, "the fleet ranking by guest RAM in host swap");
    strs_free(&ids);
    json_object_put(d);
}
