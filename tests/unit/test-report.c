/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reports (agent/report.h): the Prometheus textfile, the metadata XML, the
 * history line, the domain log line and the round, from facts recorded on
 * real TCG guests (tests/data/scenarios/squeezed.jsonl, replayed into the
 * sampler as the scenario tests do) and their verdicts.
 *
 * Hand-made on purpose, to express hostile cases no capture shows: domain
 * names with quotes, backslashes, newlines, UTF-8 and invalid bytes, and
 * evidence text that tries to close the XML element.
 *
 * The textfile is linted by `promtool check metrics` (Debian's prometheus
 * package; scripts/test.sh exports SG_PROMTOOL) when available, else skipped.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/report/report.h"
#include "sg-test-replay.h"
#include "policies/sampler.h"

#define NOW 1795341600.25 /* 2026-11-22 10:00:00.250 UTC */

/* ---- fixtures ---- */

#define rec sg_test_rec
#define load sg_test_rec_load
#define unload sg_test_rec_clear

static size_t find(const struct rec *r, const char *name)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->w[i].d.name, name) == 0)
            return i;
    cr_assert_fail("%s not in the recording", name);
    return 0;
}

static char tmpdir[64];

static void mk_tmpdir(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/sg-test-report.XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static void rm_tmpdir(void)
{
    char cmd[128];

    if (tmpdir[0]) {
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        cr_expect_eq(system(cmd), 0);
    }
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    int c;

    cr_assert_not_null(f, "open %s: %s", path, strerror(errno));
    while ((c = fgetc(f)) != EOF)
        fputc(c, m);
    fclose(f);
    fclose(m);
    return buf;
}

static char *textfile_string(const struct rec *r, const struct sg_report_dom *d, size_t n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);

    cr_assert_eq(sg_report_textfile_format(m, &r->host, d, n, NOW), 0);
    fclose(m);
    return buf;
}

/* The promtool to use: $SG_PROMTOOL, or promtool on PATH; NULL when neither. */
static const char *promtool(void)
{
    const char *p = getenv("SG_PROMTOOL");

    if (p && *p && access(p, X_OK) == 0)
        return p;
    if (system("command -v promtool >/dev/null 2>&1") == 0)
        return "promtool";
    return NULL;
}

/* Runs `promtool check metrics < file`; *out gets what it printed. Returns its exit status. */
static int promtool_check(const char *tool, const char *text, char **out)
{
    char in[128], res[128], cmd[1024];
    FILE *f;
    int st;

    snprintf(in, sizeof(in), "%s/check.prom", tmpdir);
    snprintf(res, sizeof(res), "%s/check.out", tmpdir);
    f = fopen(in, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    snprintf(cmd, sizeof(cmd), "'%s' check metrics < '%s' > '%s' 2>&1", tool, in, res);
    st = system(cmd);
    *out = slurp(res);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 255;
}

/* The value of the sample line that starts with prefix (name and labels), NAN when absent. */
static double sample(const char *text, const char *prefix)
{
    size_t l = strlen(prefix);

    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, prefix, l) == 0 && p[l] == ' ')
            return strtod(p + l + 1, NULL);
    return NAN;
}

static size_t count_lines(const char *text, const char *prefix)
{
    size_t n = 0, l = strlen(prefix);

    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        n += strncmp(p, prefix, l) == 0;
    return n;
}

/* ---- the textfile ---- */

Test(report, textfile_figures_from_recorded_facts, .init = mk_tmpdir, .fini = rm_tmpdir)
{
    struct rec r;
    char *text, key[512];
    size_t a;

    load("squeezed.jsonl", &r);
    a = find(&r, "sgsc-a");
    cr_assert_eq(r.v[a].kind, SG_VERDICT_HOST_SWAP_RISK);
    text = textfile_string(&r, r.d, r.n);

    snprintf(key, sizeof(key), "swapguard_domain_vm_swap_bytes{domain=\"sgsc-a\",uuid=\"%s\"}", r.w[a].d.uuid);
    cr_expect_eq(sample(text, key), (double)r.d[a].last->vm_swap_kib * 1024, "%s", key);
    snprintf(key, sizeof(key), "swapguard_domain_cgroup_swap_bytes{domain=\"sgsc-a\",uuid=\"%s\"}", r.w[a].d.uuid);
    cr_expect_eq(sample(text, key), (double)r.d[a].last->cgroup_swap_bytes, "%s", key);
    snprintf(key, sizeof(key), "swapguard_domain_major_faults_total{domain=\"sgsc-a\",uuid=\"%s\"}", r.w[a].d.uuid);
    cr_expect_eq(sample(text, key), (double)r.d[a].last->cgroup_pgmajfault, "%s", key);
    snprintf(key, sizeof(key), "swapguard_domain_verdict{domain=\"sgsc-a\",uuid=\"%s\",verdict=\"host-swap-risk\"}",
             r.w[a].d.uuid);
    cr_expect_eq(sample(text, key), 1.0, "%s", key);
    snprintf(key, sizeof(key), "swapguard_domain_verdict{domain=\"sgsc-a\",uuid=\"%s\",verdict=\"ok\"}", r.w[a].d.uuid);
    cr_expect_eq(sample(text, key), 0.0, "%s", key);
    snprintf(key, sizeof(key), "swapguard_domain_verdict_confidence_ratio{domain=\"sgsc-a\",uuid=\"%s\"}", r.w[a].d.uuid);
    cr_expect_float_eq(sample(text, key), r.v[a].confidence, 1e-9, "%s", key);
    /* One state per verdict name and domain, exactly one of them 1. */
    cr_expect_eq(count_lines(text, "swapguard_domain_verdict{"), r.n * SG_VERDICT__MAX);
    cr_expect_eq(count_lines(text, "# TYPE swapguard_domain_verdict gauge"), 1);
    cr_expect_eq(sample(text, "swapguard_host_swap_total_bytes"), (double)r.host.swap_total_kib * 1024);
    cr_expect_eq(sample(text, "swapguard_host_pswpout_pages_total"), (double)r.host.pswpout);
    cr_expect_eq(sample(text, "swapguard_report_timestamp_seconds"), NOW);
    /* TCG: no async-PF counters, so no such samples (nor a family without samples). */
    cr_expect_eq(count_lines(text, "swapguard_domain_async_pf_total"), 0);
    cr_expect_null(strstr(text, "nan"), "no NaN sample:\n%s", text);
    free(text);
    unload(&r);
}

Test(report, textfile_async_pf_and_unknown_figures)
{
    struct rec r;
    struct sg_dom_facts f;
    char *text, key[512];

    load("squeezed.jsonl", &r);
    /* Hand-made variation of a recorded tick: counters readable, PSI unknown, cgroup swap unknown. */
    f = *r.d[0].last;
    f.apf_available = true;
    f.apf[SG_APF_NOT_PRESENT] = 17;
    f.apf[SG_APF_READY] = 16;
    f.psi_some_avg10 = NAN;
    f.cgroup_swap_bytes = SG_NONE;
    r.d[0].last = &f;
    text = textfile_string(&r, r.d, r.n);
    snprintf(key, sizeof(key), "swapguard_domain_async_pf_total{domain=\"%s\",uuid=\"%s\",event=\"not_present\"}",
             r.w[0].d.name, r.w[0].d.uuid);
    cr_expect_eq(sample(text, key), 17.0, "%s in\n%s", key, text);
    cr_expect_eq(count_lines(text, "swapguard_domain_async_pf_total{"), SG_APF__MAX);
    snprintf(key, sizeof(key), "swapguard_domain_psi_some_avg10_ratio{domain=\"%s\"", r.w[0].d.name);
    cr_expect_eq(count_lines(text, key), 0, "an unknown PSI has no sample");
    snprintf(key, sizeof(key), "swapguard_domain_cgroup_swap_bytes{domain=\"%s\"", r.w[0].d.name);
    cr_expect_eq(count_lines(text, key), 0, "an unknown cgroup swap has no sample");
    free(text);
    unload(&r);
}

Test(report, textfile_passes_promtool, .init = mk_tmpdir, .fini = rm_tmpdir)
{
    const char *tool = promtool();
    struct rec r;
    char *text, *out;
    int st;

    if (!tool)
        cr_skip_test("no promtool: set SG_PROMTOOL (scripts/lib.sh sg_promtool fetches Debian's) or put it on PATH");
    /* The check can fail: a missing HELP and a counter without _total are rejected. */
    st = promtool_check(tool, "# TYPE swapguard_x counter\nswapguard_x 1\n", &out);
    cr_assert_neq(st, 0, "promtool accepted a bad file: %s", out);
    free(out);

    load("stall.jsonl", &r);
    text = textfile_string(&r, r.d, r.n);
    st = promtool_check(tool, text, &out);
    cr_expect_eq(st, 0, "promtool check metrics exit %d:\n%s\n--- file:\n%s", st, out, text);
    cr_expect_str_empty(out, "promtool printed:\n%s", out);
    free(out);
    free(text);
    unload(&r);
}

/* The domain's guest RAM in host swap, and its Nova labels from a real Nova definition. */
Test(report, textfile_guest_ram_in_host_swap_and_info, .init = mk_tmpdir, .fini = rm_tmpdir)
{
    const char *tool = promtool();
    struct rec r;
    char *text, key[1024], *out;
    size_t a;

    load("squeezed.jsonl", &r);
    a = find(&r, "sgsc-a");
    sg_test_rec_meta(&r, a, "domxml/nova-instance-0000000e.xml");
    text = textfile_string(&r, r.d, r.n);

    /* The larger of VmSwap and the cgroup's swap (in whole KiB), in bytes. */
    for (size_t i = 0; i < r.n; i++) {
        uint64_t vm = r.d[i].last->vm_swap_kib * 1024, cg = r.d[i].last->cgroup_swap_bytes / 1024 * 1024;

        snprintf(key, sizeof(key), "swapguard_domain_guest_ram_in_host_swap_bytes{domain=\"%s\",uuid=\"%s\"}",
                 r.w[i].d.name, r.w[i].d.uuid);
        cr_expect_eq(sample(text, key), (double)(vm > cg ? vm : cg), "%s", key);
    }
    snprintf(key, sizeof(key), "swapguard_domain_guest_ram_in_host_swap_bytes{domain=\"sgsc-a\",uuid=\"%s\"}",
             r.w[a].d.uuid);
    cr_expect_gt(sample(text, key), 16 << 20, "the squeezed guest has RAM in host swap");

    /* Nova's domain: its instance UUID is the domain's, the rest from <nova:instance>. */
    snprintf(key, sizeof(key),
             "swapguard_domain_info{domain=\"sgsc-a\",uuid=\"%s\",nova_instance_uuid=\"%s\","
             "nova_instance_name=\"provider-instance\",nova_project=\"512866f9994f4ad8916d8539a7cdeec9\","
             "nova_project_name=\"admin\",nova_flavor=\"cirros-os-dpu-test-1\"}",
             r.w[a].d.uuid, r.w[a].d.uuid);
    cr_expect_eq(sample(text, key), 1.0, "%s\n%s", key, text);
    /* The others: no Nova metadata read, domain and uuid only. */
    for (size_t i = 0; i < r.n; i++) {
        if (i == a)
            continue;
        snprintf(key, sizeof(key), "swapguard_domain_info{domain=\"%s\",uuid=\"%s\"}", r.w[i].d.name, r.w[i].d.uuid);
        cr_expect_eq(sample(text, key), 1.0, "%s", key);
    }
    cr_expect_eq(count_lines(text, "swapguard_domain_info{"), r.n);
    if (tool) {
        int st = promtool_check(tool, text, &out);
        cr_expect_eq(st, 0, "promtool:\n%s\n%s", out, text);
        free(out);
    }
    free(text);
    unload(&r);
}

/* HAND-WRITTEN hostile Nova labels (tenant-controlled instance and project names). */
Test(report, hostile_nova_labels, .init = mk_tmpdir, .fini = rm_tmpdir)
{
    const char *tool = promtool();
    struct rec r;
    char *text, *out;

    load("squeezed.jsonl", &r);
    sg_test_rec_meta(&r, 0, "domxml/nova-instance-0000000e.xml");
    r.w[0].meta->nova_name = "x\"}\nswapguard_fake 1\n#\\";
    r.w[0].meta->nova_project_name = "bad\xff utf-8";
    r.w[0].meta->nova_flavor = ""; /* unknown: no label */
    text = textfile_string(&r, r.d, 1);
    cr_expect_null(strstr(text, "\nswapguard_fake"), "a label injected a sample:\n%s", text);
    cr_expect_not_null(strstr(text, "nova_instance_name=\"x\\\"}\\nswapguard_fake 1\\n#\\\\\""), "%s", text);
    cr_expect_not_null(strstr(text, "nova_project_name=\"bad\xef\xbf\xbd utf-8\""), "%s", text);
    cr_expect_null(strstr(text, "nova_flavor="), "%s", text);
    if (tool) {
        int st = promtool_check(tool, text, &out);
        cr_expect_eq(st, 0, "promtool:\n%s\n%s", out, text);
        free(out);
    }
    free(text);
    unload(&r);
}

/* Undoes the label escaping of the exposition format (\\, \", \n). */
static void unescape(const char *s, size_t len, char *out)
{
    size_t o = 0;

    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\\' && i + 1 < len) {
            i++;
            out[o++] = s[i] == 'n' ? '\n' : s[i];
        } else
            out[o++] = s[i];
    }
    out[o] = '\0';
}

Test(report, hostile_names_in_labels, .init = mk_tmpdir, .fini = rm_tmpdir)
{
    static const char *const names[] = {
        "quote\"d", "back\\slash\\", "new\nline", "caf\xc3\xa9 \xe2\x9c\x93", "x\"}\nswapguard_fake 1\n#",
    };
    const char *tool = promtool();
    struct rec r;
    char *text, *out;
    char buf[256];

    load("squeezed.jsonl", &r);
    cr_assert_geq(r.n, 3);
    for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
        const char *p, *q;
        char got[256];

        free(r.w[0].d.name);
        r.w[0].d.name = strdup(names[k]);
        text = textfile_string(&r, r.d, 1);
        cr_expect_null(strstr(text, "\nswapguard_fake"), "a name injected a sample:\n%s", text);
        /* Every sample line of the domain carries the name, escaped; it reads back exactly. */
        p = strstr(text, "swapguard_domain_running{domain=\"");
        cr_assert_not_null(p, "%s", text);
        p += strlen("swapguard_domain_running{domain=\"");
        for (q = p; *q && *q != '"'; q++)
            if (*q == '\\' && q[1])
                q++;
        cr_assert_eq(*q, '"');
        unescape(p, (size_t)(q - p), got);
        cr_expect_str_eq(got, names[k]);
        cr_expect_null(memchr(p, '\n', (size_t)(q - p)), "raw newline in a label");
        if (tool) {
            int st = promtool_check(tool, text, &out);
            cr_expect_eq(st, 0, "promtool rejects the name %zu:\n%s\n%s", k, out, text);
            free(out);
        }
        free(text);
    }
    /* Invalid UTF-8 becomes U+FFFD; the exposition format needs UTF-8. */
    cr_expect_str_eq(sg_prom_label_escape("a\xff" "b\xc3", buf, sizeof(buf)), "a\xef\xbf\xbd" "b\xef\xbf\xbd");
    /* Cut at a character boundary, never inside an escape. */
    cr_expect_str_eq(sg_prom_label_escape("ab\"", buf, 4), "ab");
    cr_expect_str_eq(sg_prom_label_escape("\xc3\xa9\xc3\xa9", buf, 4), "\xc3\xa9");
    unload(&r);
}

/* ---- the atomic file ---- */

static size_t dir_entries(const char *dir, char *names, size_t size)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t n = 0;

    cr_assert_not_null(d);
    names[0] = '\0';
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        n++;
        strncat(names, e->d_name, size - strlen(names) - 2);
        strcat(names, " ");
    }
    closedir(d);
    return n;
}

Test(report, textfile_atomic_replace, .init = mk_tmpdir, .fini = rm_tmpdir)
{
    struct rec r;
    char path[128], why[512], names[1024];
    struct stat st;
    char *text;

    load("squeezed.jsonl", &r);
    snprintf(path, sizeof(path), "%s/swapguard.prom", tmpdir);
    umask(077);
    cr_assert_eq(sg_report_textfile(path, &r.host, r.d, r.n, NOW, why, sizeof(why)), 0, "%s", why);
    r.v[0].kind = SG_VERDICT_HOST_SWAP_STALL; /* a second round with a changed verdict */
    cr_assert_eq(sg_report_textfile(path, &r.host, r.d, r.n, NOW + 5, why, sizeof(why)), 0, "%s", why);
    cr_expect_eq(dir_entries(tmpdir, names, sizeof(names)), 1, "left behind: %s", names);
    cr_assert_eq(stat(path, &st), 0);
    cr_expect_eq(st.st_mode & 07777, 0644, "mode %o (umask 077)", st.st_mode & 07777);
    text = slurp(path);
    cr_expect_eq(sample(text, "swapguard_report_timestamp_seconds"), NOW + 5);
    cr_expect_eq(count_lines(text, "# HELP swapguard_report_timestamp_seconds"), 1, "replaced, not appended");
    free(text);
    unload(&r);
}

Test(report, textfile_missing_dir_is_a_clean_error, .init = mk_tmpdir, .fini = rm_tmpdir)
{
    struct rec r;
    char path[128], why[512], names[1024];

    load("squeezed.jsonl", &r);
    snprintf(path, sizeof(path), "%s/node-exporter/swapguard.prom", tmpdir);
    cr_expect_eq(sg_report_textfile(path, &r.host, r.d, r.n, NOW, why, sizeof(why)), -ENOENT);
    cr_expect_not_null(strstr(why, "node-exporter does not exist"), "%s", why);
    cr_expect_eq(dir_entries(tmpdir, names, sizeof(names)), 0, "created: %s", names);
    unload(&r);
}

/* ---- the metadata element ---- */

static const char *prop(xmlNodePtr n, const char *name, char *buf, size_t size)
{
    xmlChar *v = xmlGetProp(n, BAD_CAST name);

    if (!v)
        return NULL;
    snprintf(buf, size, "%s", (const char *)v);
    xmlFree(v);
    return buf;
}

Test(report, metadata_xml_escapes_and_parses_back)
{
    /* Hand-made hostile evidence and missing text: an attempt to close the element and inject one. */
    static const char evil[] = "</evidence><swapguard:x a=\"1\"/>&amp; 'q' \x01 \xff end";
    struct rec r;
    char *xml, buf[512];
    xmlDocPtr doc;
    xmlNodePtr root, n;
    size_t a, n_ev = 0;

    load("squeezed.jsonl", &r);
    a = find(&r, "sgsc-a");
    r.d[a].prev_verdict = "ok";
    cr_assert_lt(r.v[a].n_ev, SG_MAX_EVIDENCE);
    snprintf(r.v[a].ev[r.v[a].n_ev].key, sizeof(r.v[a].ev[0].key), "evil\"key<");
    r.v[a].ev[r.v[a].n_ev].value = NAN;
    snprintf(r.v[a].ev[r.v[a].n_ev].text, sizeof(r.v[a].ev[0].text), "%s", evil);
    r.v[a].n_ev++;
    snprintf(r.v[a].missing, sizeof(r.v[a].missing), "%s", evil);

    cr_assert_eq(sg_report_metadata_xml(&r.d[a], NOW, &xml), 0);
    doc = xmlReadMemory(xml, (int)strlen(xml), "metadata.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
    cr_assert_not_null(doc, "not well-formed: %s", xml);
    root = xmlDocGetRootElement(doc);
    cr_assert_str_eq((const char *)root->name, "report");
    cr_expect_str_eq(prop(root, "verdict", buf, sizeof(buf)), "host-swap-risk");
    cr_expect_str_eq(prop(root, "previous", buf, sizeof(buf)), "ok");
    cr_expect_str_eq(prop(root, "time", buf, sizeof(buf)), "2026-11-22T10:00:00Z");
    cr_expect_float_eq(strtod(prop(root, "confidence", buf, sizeof(buf)), NULL), r.v[a].confidence, 1e-9);
    for (n = root->children; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        cr_expect_neq(strcmp((const char *)n->name, "x"), 0, "an element was injected: %s", xml);
        if (strcmp((const char *)n->name, "swap") == 0)
            cr_expect_eq(strtoull(prop(n, "vm_swap_kib", buf, sizeof(buf)), NULL, 10), r.d[a].last->vm_swap_kib);
        if (strcmp((const char *)n->name, "evidence") == 0) {
            xmlChar *t = xmlNodeGetContent(n);
            n_ev++;
            if (strcmp(prop(n, "key", buf, sizeof(buf)), "evil\"key<") == 0) {
                /* Exactly the text, but the control byte and the invalid byte as '?'. */
                cr_expect_str_eq((const char *)t, "</evidence><swapguard:x a=\"1\"/>&amp; 'q' ? ? end");
                cr_expect_null(xmlHasProp(n, BAD_CAST "value"), "a NaN figure has no value attribute");
            }
            xmlFree(t);
        }
        if (strcmp((const char *)n->name, "missing") == 0) {
            xmlChar *t = xmlNodeGetContent(n);
            cr_expect_str_eq((const char *)t, "</evidence><swapguard:x a=\"1\"/>&amp; 'q' ? ? end");
            xmlFree(t);
        }
    }
    cr_expect_eq(n_ev, r.v[a].n_ev);
    xmlFreeDoc(doc);
    free(xml);
    unload(&r);
}

/* ---- the history ---- */

Test(report, history_line_is_json_with_the_keys, .init = mk_tmpdir, .fini = rm_tmpdir)
{
    struct rec r;
    char path[128], why[512], *text, *line, *save = NULL;
    struct stat st;
    size_t a, lines = 0;

    load("squeezed.jsonl", &r);
    a = find(&r, "sgsc-a");
    free(r.w[a].d.name);
    r.w[a].d.name = strdup("odd \"name\"\n\\ caf\xc3\xa9");
    r.d[a].prev_verdict = "ok";
    snprintf(path, sizeof(path), "%s/state/history.jsonl", tmpdir); /* state/ does not exist yet */
    cr_assert_eq(sg_report_history(path, &r.d[a], NOW, why, sizeof(why)), 0, "%s", why);
    r.d[a].prev_verdict = NULL;
    cr_assert_eq(sg_report_history(path, &r.d[a], NOW + 1, why, sizeof(why)), 0, "%s", why);
    cr_assert_eq(stat(path, &st), 0);
    cr_expect_eq(st.st_mode & 0777, 0600);
    snprintf(path, sizeof(path), "%s/state", tmpdir);
    cr_assert_eq(stat(path, &st), 0);
    cr_expect_eq(st.st_mode & 0777, 0700);
    snprintf(path, sizeof(path), "%s/state/history.jsonl", tmpdir);
    text = slurp(path);
    for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        json_object *o = json_tokener_parse(line), *v;

        cr_assert_not_null(o, "not JSON: %s", line);
        cr_expect(json_object_object_get_ex(o, "time", &v) && json_object_is_type(v, json_type_string));
        cr_expect_str_eq(json_object_get_string(v), lines == 0 ? "2026-11-22T10:00:00Z" : "2026-11-22T10:00:01Z");
        cr_expect(json_object_object_get_ex(o, "unix", &v) && json_object_is_type(v, json_type_double));
        cr_expect(json_object_object_get_ex(o, "domain", &v));
        cr_expect_str_eq(json_object_get_string(v), r.w[a].d.name);
        cr_expect(json_object_object_get_ex(o, "uuid", &v));
        cr_expect_str_eq(json_object_get_string(v), r.w[a].d.uuid);
        cr_expect(json_object_object_get_ex(o, "verdict", &v));
        cr_expect_str_eq(json_object_get_string(v), "host-swap-risk");
        cr_expect(json_object_object_get_ex(o, "previous", &v));
        if (lines == 0)
            cr_expect_str_eq(json_object_get_string(v), "ok");
        else
            cr_expect_null(v, "the first report has previous null");
        cr_expect(json_object_object_get_ex(o, "confidence", &v) && json_object_is_type(v, json_type_double));
        cr_expect(json_object_object_get_ex(o, "evidence", &v) && json_object_is_type(v, json_type_object));
        cr_expect(json_object_object_get_ex(v, "host_swap_kib", &v) && json_object_get_double(v) > 16384);
        cr_expect(json_object_object_get_ex(o, "missing", &v));
        json_object_put(o);
        lines++;
    }
    cr_expect_eq(lines, 2);
    free(text);
    unload(&r);
}

/* ---- the domain log ---- */

Test(report, domain_log_appends_one_line, .init = mk_tmpdir, .fini = rm_tmpdir)
{
    struct rec r;
    char path[128], why[512], *text;
    regex_t re;
    size_t a;
    int fd;

    load("squeezed.jsonl", &r);
    a = find(&r, "sgsc-a");
    r.d[a].prev_verdict = "ok";
    snprintf(path, sizeof(path), "%s/sgsc-a.log", tmpdir);
    fd = open(path, O_CREAT | O_WRONLY, 0600);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, "libvirt line\n", 13), 13);
    close(fd);
    cr_assert_eq(sg_report_domain_log(tmpdir, &r.d[a], NOW, why, sizeof(why)), 0, "%s", why);
    text = slurp(path);
    cr_assert_eq(regcomp(&re,
                         "^libvirt line\n2026-11-22 10:00:00\\.250\\+0000: swapguard: verdict host-swap-risk "
                         "\\(was ok\\) confidence [0-9]\\.[0-9]{2}: [^\n]+ guest RAM in host swap [^\n]+\n$",
                         REG_EXTENDED),
                 0);
    cr_expect_eq(regexec(&re, text, 0, NULL, 0), 0, "log:\n%s", text);
    regfree(&re);
    free(text);
    unload(&r);
}

Test(report, domain_log_refuses_and_never_creates, .init = mk_tmpdir, .fini = rm_tmpdir)
{
    static const char *const unsafe[] = { "../etc/x", "a/b", ".hidden", "" };
    struct rec r;
    char path[128], why[512], names[1024];

    load("squeezed.jsonl", &r);
    cr_expect_eq(sg_report_domain_log(tmpdir, &r.d[0], NOW, why, sizeof(why)), -ENOENT);
    cr_expect_not_null(strstr(why, "no such log"), "%s", why);
    for (size_t k = 0; k < sizeof(unsafe) / sizeof(unsafe[0]); k++) {
        free(r.w[0].d.name);
        r.w[0].d.name = strdup(unsafe[k]);
        cr_expect_eq(sg_report_domain_log(tmpdir, &r.d[0], NOW, why, sizeof(why)), -EINVAL, "'%s'", unsafe[k]);
    }
    cr_expect_eq(dir_entries(tmpdir, names, sizeof(names)), 0, "created: %s", names);
    /* A symbolic link in place of the log is refused. */
    free(r.w[0].d.name);
    r.w[0].d.name = strdup("linked");
    snprintf(path, sizeof(path), "%s/linked.log", tmpdir);
    cr_assert_eq(symlink("/dev/null", path), 0);
    cr_expect_eq(sg_report_domain_log(tmpdir, &r.d[0], NOW, why, sizeof(why)), -ELOOP, "%s", why);
    unload(&r);
}

Test(report, message_escapes_the_name)
{
    struct rec r;
    char *msg;

    load("squeezed.jsonl", &r);
    free(r.w[0].d.name);
    r.w[0].d.name = strdup("a\nb\x1b[31m");
    cr_assert_eq(sg_report_message(&r.d[0], true, &msg), 0);
    cr_expect_not_null(strstr(msg, "domain 'a\\x0ab\\x1b[31m' ("), "%s", msg);
    cr_expect_null(strchr(msg, '\n'));
    free(msg);
    unload(&r);
}

/* ---- journald / syslog ---- */

Test(report, journal_without_journald_or_syslog_fails_cleanly)
{
    struct rec r;
    char where[512];

    if (access(SG_REPORT_SYSLOG_SOCKET, F_OK) == 0)
        cr_skip_test("%s exists here: the syslog fallback would succeed", SG_REPORT_SYSLOG_SOCKET);
    load("squeezed.jsonl", &r);
    cr_expect_eq(sg_report_journald(&r.d[0], "/nonexistent/journal/socket", where, sizeof(where)), -ENOENT);
    cr_expect_not_null(strstr(where, "neither journald"), "%s", where);
    unload(&r);
}

/* ---- the round ---- */

Test(report, round_goes_on_past_a_failing_output, .init = mk_tmpdir, .fini = rm_tmpdir)
{
    struct rec r;
    struct sg_config cfg;
    struct sg_report_result res[8];
    char path[128], *text;

    load("squeezed.jsonl", &r);
    sg_config_default(&cfg);
    cfg.report_journal = false;
    snprintf(cfg.domain_log_dir, sizeof(cfg.domain_log_dir), "%s", tmpdir);
    /* Hand-made: the first domain's log is a directory (fails, EISDIR); the others have none (skipped). */
    snprintf(path, sizeof(path), "%s/%s.log", tmpdir, r.d[0].w->d.name);
    cr_assert_eq(mkdir(path, 0700), 0);
    snprintf(cfg.textfile, sizeof(cfg.textfile), "%s/swapguard.prom", tmpdir);
    snprintf(cfg.history, sizeof(cfg.history), "%s/history.jsonl", tmpdir);
    r.d[1].changed = false;
    cr_expect_eq(sg_report_round_ex(&cfg, &r.host, r.d, r.n, NOW, res), -EISDIR);
    /* No libvirt handle (w->dom NULL): the metadata is skipped, not failed. */
    cr_expect_eq(res[0].st[SG_REPORT_METADATA], SG_REPORT_SKIPPED);
    cr_expect_str_eq(res[0].where[SG_REPORT_METADATA], "domain not running");
    cr_expect_eq(res[0].st[SG_REPORT_DOMAIN_LOG], SG_REPORT_FAILED);
    for (size_t i = 2; i < r.n; i++)
        cr_expect_eq(res[i].st[SG_REPORT_DOMAIN_LOG], SG_REPORT_SKIPPED, "no log yet: skipped, not failed");
    cr_expect_eq(res[0].st[SG_REPORT_JOURNALD], SG_REPORT_OFF);
    cr_expect_eq(res[0].st[SG_REPORT_HISTORY], SG_REPORT_DONE);
    cr_expect_eq(res[0].st[SG_REPORT_TEXTFILE], SG_REPORT_DONE);
    cr_expect_eq(res[1].st[SG_REPORT_HISTORY], SG_REPORT_SKIPPED, "unchanged: no history line");
    cr_expect_eq(res[1].st[SG_REPORT_TEXTFILE], SG_REPORT_DONE, "the textfile covers every domain");
    snprintf(path, sizeof(path), "%s/history.jsonl", tmpdir);
    text = slurp(path);
    cr_expect_eq(count_lines(text, "{"), r.n - 1);
    free(text);
    snprintf(path, sizeof(path), "%s/swapguard.prom", tmpdir);
    text = slurp(path);
    cr_expect_eq(count_lines(text, "swapguard_domain_running{"), r.n);
    free(text);
    sg_config_clear(&cfg);
    unload(&r);
}
