/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * swapguard.conf (agent/config.c). The shipped etc/swapguard.conf is read as
 * it is. Every other config here is HAND-WRITTEN, on purpose: valid files
 * setting every key, and hostile or broken ones (unknown names, bad numbers,
 * control bytes, over-long lines ...) that a config parser must refuse. They
 * are written into a fresh mkdtemp() directory by each test.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/core/config.h"

#define SHIPPED SG_TEST_DATA "/../../etc/swapguard.conf"

static char dir[64];
static char path[128];

static void make_dir(void)
{
    snprintf(dir, sizeof(dir), "/tmp/sg-config-XXXXXX");
    cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
    snprintf(path, sizeof(path), "%s/swapguard.conf", dir);
}

static void remove_dir(void)
{
    unlink(path);
    rmdir(dir);
}

TestSuite(config, .init = make_dir, .fini = remove_dir);

/* Writes len bytes of text to path (len so that NUL bytes can be written). */
static void write_len(const char *text, size_t len)
{
    FILE *f = fopen(path, "w");

    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    cr_assert_eq(fwrite(text, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
}

static void write_conf(const char *text)
{
    write_len(text, strlen(text));
}

/* c equals a fresh sg_config_default(), field by field. */
static void assert_defaults(const struct sg_config *c)
{
    struct sg_config d;

    sg_config_default(&d);
    cr_assert_float_eq(c->interval_s, d.interval_s, 0);
    cr_assert_eq(c->ring_length, d.ring_length);
    cr_assert_float_eq(c->window_s, d.window_s, 0);
    cr_assert_eq(c->libvirt_timeout_ms, d.libvirt_timeout_ms);
    cr_assert_eq(c->guest_probe, d.guest_probe);
    cr_assert_eq(c->guest_timeout_s, d.guest_timeout_s);
    cr_assert_float_eq(c->hung_max_age_s, d.hung_max_age_s, 0);

    cr_assert_eq(c->verdict.host_swap_min_kib, d.verdict.host_swap_min_kib);
    cr_assert_float_eq(c->verdict.swapin_rate_min, d.verdict.swapin_rate_min, 0);
    cr_assert_float_eq(c->verdict.apf_rate_min, d.verdict.apf_rate_min, 0);
    cr_assert_float_eq(c->verdict.psi_some_min, d.verdict.psi_some_min, 0);
    cr_assert_float_eq(c->verdict.psi_full_min, d.verdict.psi_full_min, 0);
    cr_assert_float_eq(c->verdict.refault_rate_min, d.verdict.refault_rate_min, 0);
    cr_assert_eq(c->verdict.guest_swap_min_kib, d.verdict.guest_swap_min_kib);
    cr_assert_float_eq(c->verdict.guest_swapout_rate_min, d.verdict.guest_swapout_rate_min, 0);
    cr_assert_float_eq(c->verdict.swapin_delay_min_ms, d.verdict.swapin_delay_min_ms, 0);
    cr_assert_float_eq(c->verdict.swapin_look_share_min, d.verdict.swapin_look_share_min, 0);
    cr_assert_eq(c->verdict.swapin_looks_min, d.verdict.swapin_looks_min);
    cr_assert_float_eq(c->verdict.cpu_delay_min_ms, d.verdict.cpu_delay_min_ms, 0);
    cr_assert_float_eq(c->verdict.disk_ms_per_req_min, d.verdict.disk_ms_per_req_min, 0);
    cr_assert_eq(c->verdict.hung_reports_min, d.verdict.hung_reports_min);
    cr_assert_eq(c->verdict.dstate_io_tasks_min, d.verdict.dstate_io_tasks_min);

    cr_assert_eq(c->rec.host_reserve_kib, d.rec.host_reserve_kib);
    cr_assert_eq(c->rec.qemu_overhead_kib, d.rec.qemu_overhead_kib);
    cr_assert_eq(c->rec.swappiness_target, d.rec.swappiness_target);
    cr_assert_eq(c->rec.oom_score_adj_critical, d.rec.oom_score_adj_critical);
    cr_assert_null(c->critical[0]);
    cr_assert_eq((const void *)c->rec.critical, (const void *)c->critical);

    cr_assert_str_eq(c->state_dir, d.state_dir);
    cr_assert_eq(c->prefetch_chunk_kib, d.prefetch_chunk_kib);
    cr_assert_eq(c->report_metadata, d.report_metadata);
    cr_assert_eq(c->report_domain_log, d.report_domain_log);
    cr_assert_str_eq(c->domain_log_dir, d.domain_log_dir);
    cr_assert_eq(c->report_journal, d.report_journal);
    cr_assert_str_eq(c->textfile, d.textfile);
    cr_assert_float_eq(c->textfile_interval_s, d.textfile_interval_s, 0);
    cr_assert_str_eq(c->history, d.history);
    cr_assert_str_eq(c->lock_file, d.lock_file);
    cr_assert_eq(c->probes_per_tick, d.probes_per_tick);
    cr_assert_eq(c->auto_apply, d.auto_apply);
    cr_assert_float_eq(c->auto_apply_min_confidence, d.auto_apply_min_confidence, 0);
    cr_assert_float_eq(c->reconnect_max_s, d.reconnect_max_s, 0);
}

/* The defaults are those of policies/ (not numbers duplicated in agent/). */
Test(config, defaults_come_from_policies)
{
    struct sg_config c;
    struct sg_verdict_thresholds t;
    struct sg_recommend_config r;

    sg_config_default(&c);
    sg_verdict_thresholds_default(&t);
    sg_recommend_config_default(&r);
    /* Field by field: the struct has padding, which memcmp would compare too. */
#define SAME(f) cr_assert_eq(c.verdict.f, t.f, "[verdict] " #f)
    SAME(host_swap_min_kib);
    SAME(swapin_rate_min);
    SAME(apf_rate_min);
    SAME(psi_some_min);
    SAME(psi_full_min);
    SAME(refault_rate_min);
    SAME(guest_swap_min_kib);
    SAME(guest_swapout_rate_min);
    SAME(swapin_delay_min_ms);
    SAME(swapin_look_share_min);
    SAME(swapin_looks_min);
    SAME(cpu_delay_min_ms);
    SAME(disk_ms_per_req_min);
    SAME(hung_reports_min);
    SAME(dstate_io_tasks_min);
#undef SAME
    _Static_assert(sizeof(t) == 14 * 8, /* 12 eight-byte fields, 3 unsigned and their padding */ "a field was added to sg_verdict_thresholds: compare it above");
    cr_assert_eq(c.rec.host_reserve_kib, r.host_reserve_kib);
    cr_assert_eq(c.rec.qemu_overhead_kib, r.qemu_overhead_kib);
    cr_assert_eq(c.rec.swappiness_target, r.swappiness_target);
    cr_assert_eq(c.rec.oom_score_adj_critical, r.oom_score_adj_critical);
    cr_assert_float_eq(c.interval_s, 5, 0);
    cr_assert_eq(c.ring_length, 60);
    cr_assert_float_eq(c.window_s, 60, 0);
    cr_assert_eq(c.libvirt_timeout_ms, 2000);
    cr_assert(c.guest_probe);
    cr_assert_eq(c.guest_timeout_s, 5);
    cr_assert_float_eq(c.hung_max_age_s, 600, 0);
    cr_assert_str_empty(c.path);
    /* Acting and reporting: where an operator expects them, nothing applied by itself. */
    cr_assert_str_eq(c.state_dir, "/var/lib/swapguard");
    cr_assert_str_eq(c.textfile, "/var/lib/prometheus/node-exporter/swapguard.prom");
    cr_assert_str_eq(c.domain_log_dir, "/var/log/libvirt/qemu");
    cr_assert_eq(c.auto_apply, 0);
    cr_assert_float_eq(c.auto_apply_min_confidence, 0.8, 0);
    cr_assert_not(c.observe_only);
}

Test(config, shipped_file_is_the_defaults)
{
    struct sg_config c;
    char msg[512];

    cr_assert_eq(sg_config_load(&c, SHIPPED, false, msg, sizeof(msg)), 0, "%s", msg);
    assert_defaults(&c);
    cr_assert_str_eq(c.path, SHIPPED);
    sg_config_clear(&c);
}

/*
 * The shipped file with every "#key = value" line uncommented (its documented
 * defaults, every key once) must load and equal the defaults: the comments do
 * not lie, and no key is missing from the file.
 */
Test(config, shipped_documented_defaults_are_the_defaults)
{
    FILE *in = fopen(SHIPPED, "r"), *out;
    char line[512], msg[512];
    struct sg_config c;
    unsigned n_keys = 0;

    cr_assert_not_null(in, "%s: %s", SHIPPED, strerror(errno));
    out = fopen(path, "w");
    cr_assert_not_null(out);
    while (fgets(line, sizeof(line), in)) {
        const char *s = line;

        if (line[0] == '#' && line[1] >= 'a' && line[1] <= 'z') {
            s = line + 1;
            n_keys++;
        }
        fputs(s, out);
    }
    fclose(in);
    fclose(out);
    cr_assert_eq(n_keys, 43, "keys documented in %s: %u", SHIPPED, n_keys);
    cr_assert_eq(sg_config_load(&c, path, false, msg, sizeof(msg)), 0, "%s", msg);
    assert_defaults(&c);
    sg_config_clear(&c);
}

Test(config, every_key)
{
    struct sg_config c;
    char msg[512];

    write_conf("\xEF\xBB\xBF; hand-written: every key set, with the syntax variants libinih takes\r\n"
               "[sampler]\n"
               "interval = 0.5\r\n"
               "ring_length=1000\n"
               "window = 120.25 ; inline comment\n"
               "libvirt_timeout_ms = 250\n"
               "\n"
               "[guestprobe]\n"
               "enabled = No\n"
               "timeout = 60\n"
               "hung_report_max_age = 3600\n"
               "[verdict]\n"
               "host_swap_min_mib = 32\n"
               "swapin_rate_min = 2.5\n"
               "apf_rate_min = 0\n"
               "psi_some_min = 20\n"
               "psi_full_min = 5.5\n"
               "refault_rate_min = 1e4\n"
               "guest_swap_min_mib = 0\n"
               "guest_swapout_rate_min = 3\n"
               "swapin_delay_min = 50\n"
               "swapin_look_share_min = 0.5\n"
               "swapin_looks_min = 10\n"
               "cpu_delay_min = 150.5\n"
               "disk_ms_per_req_min = 20\n"
               "hung_reports_min = 2\n"
               "dstate_io_tasks_min = 4\n"
               "[recommend]\n"
               "host_reserve_mib = 2048\n"
               "qemu_overhead_mib = 300\n"
               "swappiness_target = 200\n"
               "oom_score_adj_critical = -1000\n"
               "critical_domains = db1\tweb-2  ; the rest follows\n"
               "    5f0c8a1e-2b7d-4c3a-9e61-0d2f4b8a7c55\n"
               "# a comment does not end the list\n"
               "\tlast\n"
               "[apply]\n"
               "state_dir = /srv/sg state\n"
               "prefetch_chunk_mib = 4096\n"
               "[report]\n"
               "metadata = no\n"
               "domain_log = false\n"
               "domain_log_dir = /var/log/qemu\n"
               "journal = 0\n"
               "textfile =\n"
               "history = /tmp/h.jsonl\n"
               "[agent]\n"
               "lock_file = /tmp/sg.lock\n"
               "probes_per_tick = 0\n"
               "auto_apply = prefetch\t swap-limit oom-protect\n"
               "auto_apply_min_confidence = 0.95\n"
               "reconnect_max = 5\n");
    cr_assert_eq(sg_config_load(&c, path, false, msg, sizeof(msg)), 0, "%s", msg);
    cr_assert_str_eq(c.state_dir, "/srv/sg state");
    cr_assert_eq(c.prefetch_chunk_kib, 4096 * 1024);
    cr_assert_not(c.report_metadata);
    cr_assert_not(c.report_domain_log);
    cr_assert_str_eq(c.domain_log_dir, "/var/log/qemu");
    cr_assert_not(c.report_journal);
    cr_assert_str_empty(c.textfile);
    cr_assert_str_eq(c.history, "/tmp/h.jsonl");
    cr_assert_str_eq(c.lock_file, "/tmp/sg.lock");
    cr_assert_eq(c.probes_per_tick, 0);
    cr_assert_eq(c.auto_apply,
                 SG_REC_BIT(SG_REC_PREFETCH) | SG_REC_BIT(SG_REC_SWAP_LIMIT) | SG_REC_BIT(SG_REC_OOM_PROTECT));
    cr_assert_float_eq(c.auto_apply_min_confidence, 0.95, 0);
    cr_assert_float_eq(c.reconnect_max_s, 5, 0);
    cr_assert_str_empty(msg);
    cr_assert_float_eq(c.interval_s, 0.5, 0);
    cr_assert_eq(c.ring_length, 1000);
    cr_assert_float_eq(c.window_s, 120.25, 0);
    cr_assert_eq(c.libvirt_timeout_ms, 250);
    cr_assert_not(c.guest_probe);
    cr_assert_eq(c.guest_timeout_s, 60);
    cr_assert_float_eq(c.hung_max_age_s, 3600, 0);
    cr_assert_eq(c.verdict.host_swap_min_kib, 32 * 1024);
    cr_assert_float_eq(c.verdict.swapin_rate_min, 2.5, 0);
    cr_assert_float_eq(c.verdict.apf_rate_min, 0, 0);
    cr_assert_float_eq(c.verdict.psi_some_min, 20, 0);
    cr_assert_float_eq(c.verdict.psi_full_min, 5.5, 0);
    cr_assert_float_eq(c.verdict.refault_rate_min, 10000, 0);
    cr_assert_eq(c.verdict.guest_swap_min_kib, 0);
    cr_assert_float_eq(c.verdict.guest_swapout_rate_min, 3, 0);
    cr_assert_float_eq(c.verdict.swapin_delay_min_ms, 50, 0);
    cr_assert_float_eq(c.verdict.swapin_look_share_min, 0.5, 0);
    cr_assert_eq(c.verdict.swapin_looks_min, 10);
    cr_assert_float_eq(c.verdict.cpu_delay_min_ms, 150.5, 0);
    cr_assert_float_eq(c.verdict.disk_ms_per_req_min, 20, 0);
    cr_assert_eq(c.verdict.hung_reports_min, 2);
    cr_assert_eq(c.verdict.dstate_io_tasks_min, 4);
    cr_assert_eq(c.rec.host_reserve_kib, 2048 * 1024);
    cr_assert_eq(c.rec.qemu_overhead_kib, 300 * 1024);
    cr_assert_eq(c.rec.swappiness_target, 200);
    cr_assert_eq(c.rec.oom_score_adj_critical, -1000);
    cr_assert_str_eq(c.critical[0], "db1");
    cr_assert_str_eq(c.critical[1], "web-2");
    cr_assert_str_eq(c.critical[2], "5f0c8a1e-2b7d-4c3a-9e61-0d2f4b8a7c55");
    cr_assert_str_eq(c.critical[3], "last");
    cr_assert_null(c.critical[4]);
    cr_assert_eq((const void *)c.rec.critical, (const void *)c.critical);
    cr_assert_str_eq(c.path, path);
    sg_config_clear(&c);
    assert_defaults(&c);
    sg_config_clear(&c); /* twice is fine */
}

Test(config, boolean_spellings)
{
    static const char *const yes[] = { "yes", "true", "1", "TRUE" };
    static const char *const no[] = { "no", "false", "0", "False" };
    char text[128], msg[512];
    struct sg_config c;

    for (size_t i = 0; i < 4; i++) {
        snprintf(text, sizeof(text), "[guestprobe]\nenabled = %s\n", no[i]);
        write_conf(text);
        cr_assert_eq(sg_config_load(&c, path, false, msg, sizeof(msg)), 0, "%s", msg);
        cr_assert_not(c.guest_probe, "%s", no[i]);
        snprintf(text, sizeof(text), "[guestprobe]\nenabled = %s\n", yes[i]);
        write_conf(text);
        cr_assert_eq(sg_config_load(&c, path, false, msg, sizeof(msg)), 0, "%s", msg);
        cr_assert(c.guest_probe, "%s", yes[i]);
    }
}

Test(config, critical_domains_max)
{
    char text[4096], msg[512];
    size_t w;
    struct sg_config c;

    /* 64 names, 8 per line: exactly the limit. */
    w = (size_t)snprintf(text, sizeof(text), "[recommend]\ncritical_domains =");
    for (int i = 0; i < SG_CONFIG_MAX_CRITICAL; i++)
        w += (size_t)snprintf(text + w, sizeof(text) - w, "%s vm%02d", i % 8 == 0 ? "\n " : "", i);
    snprintf(text + w, sizeof(text) - w, "\n");
    write_conf(text);
    cr_assert_eq(sg_config_load(&c, path, false, msg, sizeof(msg)), 0, "%s", msg);
    cr_assert_str_eq(c.critical[63], "vm63");
    cr_assert_null(c.critical[64]);
    sg_config_clear(&c);

    /* 65: too many, the 65th on line 11. */
    snprintf(text + w, sizeof(text) - w, "\n vm64\n");
    write_conf(text);
    cr_assert_eq(sg_config_load(&c, path, false, msg, sizeof(msg)), -EINVAL);
    cr_assert(strstr(msg, path), "%s", msg);
    cr_assert(strstr(msg, ":11: [recommend] critical_domains: more than 64 domains"), "%s", msg);
    assert_defaults(&c);
}

Test(config, missing_file)
{
    struct sg_config c;
    char msg[512] = "stale";

    cr_assert_eq(sg_config_load(&c, path, true, msg, sizeof(msg)), 0);
    assert_defaults(&c);
    cr_assert_str_empty(c.path);
    cr_assert_str_empty(msg);

    cr_assert_eq(sg_config_load(&c, path, false, msg, sizeof(msg)), -ENOENT);
    cr_assert(strstr(msg, path), "%s", msg);
    assert_defaults(&c);
}

static void assert_eacces(void)
{
    struct sg_config c;
    char msg[512];

    cr_assert_eq(sg_config_load(&c, path, true, msg, sizeof(msg)), -EACCES, "%s", msg);
    cr_assert(strstr(msg, path), "%s", msg);
    assert_defaults(&c);
}

Test(config, unreadable_file)
{
    pid_t pid;
    int status;

    write_conf("[sampler]\ninterval = 7\n");
    cr_assert_eq(chmod(path, 0), 0);
    if (geteuid() != 0) {
        assert_eacces();
        return;
    }
    /* root reads a mode-000 file: check as nobody, in a child (the test process stays root). */
    cr_assert_eq(chmod(dir, 0755), 0);
    pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        if (setgid(65534) != 0 || setuid(65534) != 0)
            _exit(2);
        assert_eacces(); /* a failed assertion aborts the child: status != 0 */
        _exit(0);
    }
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status 0x%x", status);
}

Test(config, msg_may_be_null)
{
    struct sg_config c;

    write_conf("[sampler]\nbogus = 1\n");
    cr_assert_eq(sg_config_load(&c, path, false, NULL, 0), -EINVAL);
    assert_defaults(&c);
}

/*
 * Loads text, expects -EINVAL and a message starting "PATH:LINE: " and
 * containing each of the NULL-terminated want strings; c must hold the
 * defaults. Valid keys before the bad line must not have been applied.
 */
static void expect_error(const char *text, size_t len, unsigned line, ...)
{
    struct sg_config c;
    char msg[1024], prefix[200];
    va_list ap;

    write_len(text, len);
    cr_assert_eq(sg_config_load(&c, path, false, msg, sizeof(msg)), -EINVAL, "%s", msg);
    snprintf(prefix, sizeof(prefix), "%s:%u: ", path, line);
    cr_assert_eq(strncmp(msg, prefix, strlen(prefix)), 0, "want prefix '%s', got '%s'", prefix, msg);
    va_start(ap, line);
    for (const char *want; (want = va_arg(ap, const char *));)
        cr_assert(strstr(msg, want), "want '%s' in '%s'", want, msg);
    va_end(ap);
    for (const char *p = msg; *p; p++)
        cr_assert((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f, "raw byte 0x%02x in msg '%s'",
                  (unsigned char)*p, msg);
    assert_defaults(&c);
}

#define EXPECT_ERROR(text, line, ...) expect_error(text, sizeof(text) - 1, line, __VA_ARGS__, NULL)

/* Every error case sets valid keys first: nothing may be half-applied. */
#define GOOD "[guestprobe]\ntimeout = 7\n[recommend]\ncritical_domains = a b\n"

Test(config, unknown_key)
{
    EXPECT_ERROR(GOOD "[sampler]\nintervall = 5\n", 6, "[sampler] intervall: unknown key",
                 "expected interval, ring_length, window, libvirt_timeout_ms or block_stats_interval");
}

Test(config, unknown_section)
{
    /* Named at its header line, even when empty. */
    EXPECT_ERROR(GOOD "[sampler]\nwindow = 10\n[verdicts]\n", 7, "[verdicts]: unknown section",
                 "expected sampler, guestprobe, verdict, recommend, apply, report or agent");
    EXPECT_ERROR(GOOD "[ sampler ]\nwindow = 10\n", 5, "[ sampler ]: unknown section");
}

Test(config, bad_path)
{
    EXPECT_ERROR(GOOD "[report]\ntextfile = swapguard.prom\n", 6,
                 "[report] textfile: 'swapguard.prom' is not an absolute path", "or nothing to turn it off");
    EXPECT_ERROR(GOOD "[apply]\nstate_dir = /var/\x1b[31m\n", 6, "[apply] state_dir: '/var/\\x1b[31m': control byte");
}

Test(config, auto_apply_names_live_remedies_only)
{
    /* swapoff and the XML remedies are never applied by the agent on its own. */
    EXPECT_ERROR(GOOD "[agent]\nauto_apply = prefetch swapoff\n", 6,
                 "[agent] auto_apply: 'swapoff' is not a live remedy",
                 "expected swap-limit, prefetch or oom-protect");
    EXPECT_ERROR(GOOD "[agent]\nauto_apply_min_confidence = 0.3\n", 6,
                 "[agent] auto_apply_min_confidence: '0.3' is out of range");
}

Test(config, key_before_section)
{
    EXPECT_ERROR("interval = 5\n" GOOD, 1, "interval: key before any [section]");
}

Test(config, bad_number)
{
    EXPECT_ERROR(GOOD "[verdict]\npsi_some_min = ten\n", 6, "[verdict] psi_some_min: 'ten': not a number",
                 "expected a number of percent, 0 .. 100");
    EXPECT_ERROR(GOOD "[verdict]\npsi_some_min = nan\n", 6, "psi_some_min: 'nan': not a number");
    EXPECT_ERROR(GOOD "[verdict]\napf_rate_min = inf\n", 6, "apf_rate_min: 'inf': not a number");
    EXPECT_ERROR(GOOD "[verdict]\napf_rate_min = 0x10\n", 6, "apf_rate_min: '0x10': not a decimal number");
    EXPECT_ERROR(GOOD "[verdict]\napf_rate_min =\n", 6, "apf_rate_min: empty value");
    EXPECT_ERROR(GOOD "[sampler]\nring_length = 1.5\n", 6, "ring_length: '1.5': not a whole number",
                 "expected a whole number of ticks, 2 .. 100000");
    EXPECT_ERROR(GOOD "[guestprobe]\nenabled = maybe\n", 6, "[guestprobe] enabled: 'maybe' is not a boolean");
}

/* An observe-only agent applies no remedy: auto_apply with it is refused, whatever the order. */
Test(config, observe_only_refuses_auto_apply)
{
    struct sg_config c;
    char msg[1024];

    write_len("[agent]\nobserve_only = yes\nauto_apply = swap-limit\n", 51);
    cr_assert_eq(sg_config_load(&c, path, false, msg, sizeof(msg)), -EINVAL);
    cr_assert(strstr(msg, "auto_apply is set, and observe_only = yes"), "%s", msg);
    assert_defaults(&c);
    write_len("[agent]\nauto_apply = swap-limit\nobserve_only = yes\n", 51);
    cr_assert_eq(sg_config_load(&c, path, false, msg, sizeof(msg)), -EINVAL);
    write_len("[agent]\nobserve_only = yes\n", 27);
    cr_assert_eq(sg_config_load(&c, path, false, msg, sizeof(msg)), 0, "%s", msg);
    cr_assert(c.observe_only);
    cr_assert_eq(c.auto_apply, 0);
    sg_config_clear(&c);
}

Test(config, out_of_range)
{
    EXPECT_ERROR(GOOD "[sampler]\ninterval = 0.05\n", 6, "[sampler] interval: '0.05' is out of range",
                 "expected a number of seconds, 0.1 .. 3600");
    EXPECT_ERROR(GOOD "[sampler]\nring_length = -1\n", 6, "ring_length: '-1' is out of range");
    EXPECT_ERROR(GOOD "[sampler]\nring_length = 99999999999999999999999\n", 6, "ring_length: '9999");
    EXPECT_ERROR(GOOD "[verdict]\nrefault_rate_min = 1e400\n", 6, "refault_rate_min: '1e400' is out of range");
    EXPECT_ERROR(GOOD "[sampler]\nwindow = -0.5\n", 6, "window: '-0.5' is out of range");
    EXPECT_ERROR(GOOD "[recommend]\nswappiness_target = 201\n", 6, "swappiness_target: '201' is out of range",
                 "expected a whole number 0 .. 200 (vm.swappiness)");
    EXPECT_ERROR(GOOD "[recommend]\noom_score_adj_critical = 1\n", 6, "oom_score_adj_critical: '1' is out");
    EXPECT_ERROR(GOOD "[recommend]\nhost_reserve_mib = 18014398509481984\n", 6, "host_reserve_mib: '18014");
}

/* The thresholds of the stall rules: negative, out of range, not a number, each named. */
Test(config, stall_thresholds_rejected)
{
    EXPECT_ERROR(GOOD "[verdict]\nswapin_delay_min = -5\n", 6, "[verdict] swapin_delay_min: '-5' is out of range",
                 "expected a number of ms/s, 1 .. 1000000");
    EXPECT_ERROR(GOOD "[verdict]\ncpu_delay_min = 1001\n", 6, "[verdict] cpu_delay_min: '1001' is out of range",
                 "expected a number of ms/s per vCPU, 1 .. 1000");
    EXPECT_ERROR(GOOD "[verdict]\nswapin_look_share_min = 20%\n", 6,
                 "[verdict] swapin_look_share_min: '20%': trailing characters", "0.01 .. 1 (share of looks)");
    EXPECT_ERROR(GOOD "[verdict]\nswapin_look_share_min = 1.5\n", 6, "swapin_look_share_min: '1.5' is out of range");
    EXPECT_ERROR(GOOD "[verdict]\nswapin_looks_min = 0\n", 6, "[verdict] swapin_looks_min: '0' is out of range",
                 "expected a whole number of looks, 1 .. 1000000");
    EXPECT_ERROR(GOOD "[verdict]\ndisk_ms_per_req_min = slow\n", 6,
                 "[verdict] disk_ms_per_req_min: 'slow': not a number", "expected a number of ms per request");
    EXPECT_ERROR(GOOD "[verdict]\nhung_reports_min = 1.5\n", 6, "[verdict] hung_reports_min: '1.5': not a whole number",
                 "expected a whole number of reports, 1 .. 1000000");
    EXPECT_ERROR(GOOD "[verdict]\nhung_reports_min = -1\n", 6, "[verdict] hung_reports_min: '-1' is out of range");
    EXPECT_ERROR(GOOD "[verdict]\ndstate_io_tasks_min = 0\n", 6, "[verdict] dstate_io_tasks_min: '0' is out of range");
    /* Every key of the section is named when one is misspelt, the new ones too. */
    EXPECT_ERROR(GOOD "[verdict]\ncpu_delay_minimum = 5\n", 6, "[verdict] cpu_delay_minimum: unknown key",
                 "host_swap_min_mib, ", "cpu_delay_min, ", "hung_reports_min or dstate_io_tasks_min");
}

Test(config, trailing_garbage)
{
    EXPECT_ERROR(GOOD "[sampler]\ninterval = 5s\n", 6, "[sampler] interval: '5s': trailing characters");
    EXPECT_ERROR(GOOD "[recommend]\nhost_reserve_mib = 1024 MiB\n", 6, "host_reserve_mib: '1024 MiB': trailing");
    /* '#' is no inline comment for libinih: it stays in the value. */
    EXPECT_ERROR(GOOD "[sampler]\nwindow = 5 # five\n", 6, "window: '5 # five': trailing characters");
}

Test(config, duplicate_key)
{
    EXPECT_ERROR(GOOD "[sampler]\nwindow = 1\nwindow = 1\n", 7, "[sampler] window: duplicate key",
                 "already set on line 6");
    /* Across two blocks of the same section, too. */
    EXPECT_ERROR(GOOD "[guestprobe]\ntimeout = 8\n", 6, "[guestprobe] timeout: duplicate key",
                 "already set on line 2");
}

Test(config, syntax_error)
{
    EXPECT_ERROR(GOOD "[verdict]\npsi_some_min 10\n", 6, "syntax error: 'psi_some_min 10'");
    EXPECT_ERROR(GOOD "[verdict\npsi_some_min = 10\n", 5, "syntax error: section header without ']'");
    EXPECT_ERROR(GOOD "[verdict] x\n", 5, "syntax error: ' x' after the section header");
    /* An indented line continues the key before: allowed for critical_domains only. */
    EXPECT_ERROR(GOOD "[sampler]\nwindow = 1\n  interval = 2\n", 7, "[sampler] window: indented line",
                 "only critical_domains continues");
}

Test(config, long_line)
{
    char text[600];
    int w = snprintf(text, sizeof(text), GOOD "[recommend]\n# ");

    /* libinih's fgets() would split it and parse the tail as a line of its own. */
    memset(text + w, 'x', 300);
    snprintf(text + w + 300, sizeof(text) - (size_t)w - 300, " host_reserve_mib = 0\n");
    expect_error(text, strlen(text), 6, "line longer than 198 bytes", NULL);
}

Test(config, nul_byte)
{
    static const char text[] = GOOD "[sampler]\nwindow = 1\0 0\n";

    expect_error(text, sizeof(text) - 1, 6, "NUL byte", NULL);
}

Test(config, control_bytes_escaped)
{
    /* A terminal escape and a bell in a value, and in a key and a section name. */
    EXPECT_ERROR(GOOD "[sampler]\ninterval = 5\x1b[2J\a\n", 6, "interval: '5\\x1b[2J\\x07': trailing");
    EXPECT_ERROR(GOOD "[sampler]\nint\x1b]0;x\aerval = 5\n", 6, "[sampler] int\\x1b]0;x\\x07erval: unknown key");
    EXPECT_ERROR(GOOD "[samp\x1b[1mler]\n", 5, "[samp\\x1b[1mler]: unknown section");
    EXPECT_ERROR(GOOD "  ok bad\x1b[0m\n", 5,
                 "critical_domains: 'bad\\x1b[0m': control byte in a domain name");
}

Test(config, long_value_is_cut)
{
    char text[400], msg[1024];
    struct sg_config c;
    size_t w = (size_t)snprintf(text, sizeof(text), "[sampler]\ninterval = ");

    memset(text + w, '7', 150);
    snprintf(text + w + 150, sizeof(text) - w - 150, "x\n");
    write_conf(text);
    cr_assert_eq(sg_config_load(&c, path, false, msg, sizeof(msg)), -EINVAL);
    cr_assert(strstr(msg, "777...': trailing characters"), "%s", msg);
    cr_assert_lt(strlen(msg), strlen(path) + 200, "%s", msg);
}

Test(config, msg_truncated_to_size)
{
    struct sg_config c;
    char msg[16];

    write_conf("[sampler]\nbogus = 1\n");
    cr_assert_eq(sg_config_load(&c, path, false, msg, sizeof(msg)), -EINVAL);
    cr_assert_eq(strlen(msg), sizeof(msg) - 1);
}
