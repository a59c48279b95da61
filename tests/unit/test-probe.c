/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * guestprobe/probe.c: the whole probe against a fake agent transport that
 * answers with the replies captured from the real qemu-ga
 * (tests/data/guest-agent) or, where marked, HAND-WRITTEN hostile ones.
 * Checks that each part gets its own status and that one bad part never hides
 * the others.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <libvirt/virterror.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg-test.h"
#include "guestprobe/probe.h"

/* Replaces the first occurrence of from in s (malloc'd) by to. */
static char *replace(char *s, const char *from, const char *to)
{
    char *p = strstr(s, from), *o;

    cr_assert_not_null(p, "'%s' not in the reply", from);
    o = malloc(strlen(s) - strlen(from) + strlen(to) + 1);
    memcpy(o, s, (size_t)(p - s));
    strcpy(o + (p - s), to);
    strcat(o, p + strlen(from));
    free(s);
    return o;
}

struct fake {
    char *info;           /* guest-info reply (NULL: not connected) */
    char *exec_status;    /* guest-exec-status reply (NULL: never exits) */
    const char *cpustats[2]; /* first and later guest-get-cpustats replies */
    unsigned n_cpustats, n_exec, n_status, n_open, n_close;
    char exec_pid[32];    /* "\"pid\":N" of the captured guest-exec reply */
};

static char *dup_(const char *s) { return strdup(s); }

static char *fake_command(void *data, const char *cmd, int timeout_s, int *code, char *msg,
                          size_t msg_size)
{
    struct fake *f = data;

    cr_assert_geq(timeout_s, 1);
    if (!f->info) {
        *code = VIR_ERR_AGENT_UNRESPONSIVE;
        snprintf(msg, msg_size, "Guest agent is not responding: QEMU guest agent is not connected");
        return NULL;
    }
    if (strstr(cmd, "\"guest-info\""))
        return dup_(f->info);
    if (strstr(cmd, "\"guest-get-cpustats\""))
        return dup_(f->cpustats[f->n_cpustats++ ? 1 : 0]);
    if (strstr(cmd, "\"guest-get-osinfo\""))
        return sg_test_slurp_agent("guest-get-osinfo.json", NULL);
    if (strstr(cmd, "\"guest-exec\"")) {
        f->n_exec++;
        /* The script travels as one JSON string argument of /bin/sh -c. */
        cr_assert_not_null(strstr(cmd, "\"path\":\"/bin/sh\""));
        cr_assert_not_null(strstr(cmd, "@sg-guestprobe 1"));
        char *reply = sg_test_slurp_agent("guest-exec.json", NULL);
        int pid;
        cr_assert_eq(sscanf(reply, "{\"return\":{\"pid\":%d}}", &pid), 1, "captured reply: %s", reply);
        snprintf(f->exec_pid, sizeof(f->exec_pid), "\"pid\":%d", pid);
        return reply;
    }
    if (strstr(cmd, "\"guest-exec-status\"")) {
        f->n_status++;
        /* Status is asked of the pid the guest-exec reply named, after that guest-exec. */
        cr_assert(f->exec_pid[0], "guest-exec-status before guest-exec");
        cr_assert_not_null(strstr(cmd, f->exec_pid), "%s in %s", f->exec_pid, cmd);
        return dup_(f->exec_status ? f->exec_status : "{\"return\":{\"exited\":false}}");
    }
    if (strstr(cmd, "\"guest-file-open\"")) {
        f->n_open++;
        if (strstr(cmd, "/proc/meminfo"))
            return dup_("{\"return\":1000}");
        if (strstr(cmd, "/proc/vmstat"))
            return dup_("{\"return\":1001}");
        *code = VIR_ERR_INTERNAL_ERROR;
        snprintf(msg, msg_size, "unable to execute QEMU agent command 'guest-file-open': "
                                "failed to open file '/proc/pressure/memory' (mode: 'r'): No such file");
        return NULL;
    }
    if (strstr(cmd, "\"guest-file-read\"")) {
        if (strstr(cmd, "\"handle\":1000"))
            return sg_test_slurp_agent("guest-file-read.json", NULL);
        /* HAND-WRITTEN: "pswpin 5\npswpout 7\npgmajfault 9\n" */
        return dup_("{\"return\":{\"count\":32,\"buf-b64\":\"cHN3cGluIDUKcHN3cG91dCA3CnBnbWFqZmF1bHQgOQo=\",\"eof\":true}}");
    }
    if (strstr(cmd, "\"guest-file-close\"")) {
        f->n_close++;
        return dup_("{\"return\":{}}");
    }
    *code = VIR_ERR_INTERNAL_ERROR;
    snprintf(msg, msg_size, "unexpected command %.100s", cmd);
    return NULL;
}

static const char cpu0[] = "{\"return\":[{\"cpu\":0,\"idle\":1000,\"steal\":0,\"iowait\":0,"
                           "\"system\":2570,\"type\":\"linux\",\"user\":210}]}";
static const char cpu1[] = "{\"return\":[{\"cpu\":0,\"idle\":1000,\"steal\":500,\"iowait\":100,"
                           "\"system\":2570,\"type\":\"linux\",\"user\":210}]}";

static void fake_init(struct fake *f)
{
    memset(f, 0, sizeof(*f));
    f->info = sg_test_slurp_agent("guest-info.json", NULL);
    f->exec_status = sg_test_slurp_agent("guest-exec-status.json", NULL);
    f->cpustats[0] = cpu0;
    f->cpustats[1] = cpu1;
}

static void fake_free(struct fake *f)
{
    free(f->info);
    free(f->exec_status);
}

static void run(struct fake *f, struct gp_probe_opts *o, struct gp_probe_result *r)
{
    struct gp_transport t = { fake_command, f };

    o->transport = &t;
    cr_assert_eq(gp_probe(NULL, o, r), 0);
}

Test(probe, captured_everything_enabled)
{
    struct fake f;
    struct gp_probe_opts o = { .timeout_s = 5 };
    struct gp_probe_result r;

    fake_init(&f);
    run(&f, &o, &r);
    for (int p = GP_PART_AGENT; p <= GP_PART_OSINFO; p++)
        cr_assert_eq(r.part[p].state, GP_QGA_OK, "%s: %s %s", gp_part_name(p),
                     gp_qga_state_name(r.part[p].state), r.part[p].why);
    cr_assert_eq(r.part[GP_PART_BALLOON].state, GP_QGA_FAILED); /* no domain in this test */
    cr_assert_str_eq(r.info.version, "7.2.22");
    cr_assert(r.via_exec);
    cr_assert(r.exec_complete);
    cr_assert_eq(f.n_exec, 1, "exactly one guest-exec");
    cr_assert_eq(f.n_open, 0, "no file reads when guest-exec works");
    cr_assert_gt(r.tasks.n_tasks, 20);
    cr_assert_eq(r.hung.n, 1);
    cr_assert_str_eq(r.hung.v[0].comm, "sggp-stall");
    cr_assert_eq(r.hung.v[0].pid, 4242);
    cr_assert_str_eq(r.hung.v[0].matched_symbol, "kvm_async_pf_task_wait_schedule");
    cr_assert_not(r.hung.v[0].from_kernel);
    cr_assert(r.mem.has_meminfo && r.mem.has_vmstat);
    cr_assert_eq(r.mem.mem.mem_total_kib, 223632);
    cr_assert_str_eq(r.kernel_release, "6.1.0-56-cloud-amd64");
    cr_assert_eq(r.cpustats.n, 1);
    cr_assert(isnan(r.rate_interval_s));
    cr_assert_str_eq(r.rate_note, "one sample only: totals since guest boot");
    gp_probe_result_clear(&r);
    fake_free(&f);
}

Test(probe, cursor_hides_reports_already_seen)
{
    struct fake f;
    struct gp_probe_opts o = { .timeout_s = 5 };
    struct gp_probe_result r;
    uint64_t cursor;

    fake_init(&f);
    run(&f, &o, &r);
    cursor = r.hung.newest_ts_us;
    cr_assert_gt(cursor, 0);
    gp_probe_result_clear(&r);
    o.hung_since_us = cursor;
    run(&f, &o, &r);
    cr_assert_eq(r.part[GP_PART_KMSG].state, GP_QGA_OK);
    cr_assert_eq(r.hung.n, 0);
    gp_probe_result_clear(&r);
    fake_free(&f);
}

Test(probe, rates_from_two_samples_one_second_apart)
{
    struct fake f;
    struct gp_probe_opts o = { .timeout_s = 5, .rate_interval_s = 1.0 };
    struct gp_probe_result r;

    fake_init(&f);
    run(&f, &o, &r);
    cr_assert_eq(f.n_cpustats, 2);
    cr_assert_eq(r.n_rates, 1);
    cr_assert(r.rate_interval_s >= 1.0 && r.rate_interval_s < 1.5, "%f", r.rate_interval_s);
    cr_assert(fabs(r.rates[0].steal_ms_per_s - 500 / r.rate_interval_s) < 1e-6);
    cr_assert(fabs(r.rates[0].iowait_ms_per_s - 100 / r.rate_interval_s) < 1e-6);
    cr_assert_eq(r.cpustats.v[0].steal_ms, 500);
    gp_probe_result_clear(&r);
    fake_free(&f);
}

Test(probe, exec_blocked_falls_back_to_file_reads)
{
    struct fake f;
    struct gp_probe_opts o = { .timeout_s = 5 };
    struct gp_probe_result r;

    fake_init(&f);
    f.info = replace(f.info, "{\"enabled\":true,\"name\":\"guest-exec\"",
                     "{\"enabled\":false,\"name\":\"guest-exec\"");
    run(&f, &o, &r);
    cr_assert_eq(f.n_exec, 0);
    cr_assert_eq(r.part[GP_PART_TASKS].state, GP_QGA_BLOCKED);
    cr_assert_str_eq(r.part[GP_PART_TASKS].why, "unavailable: guest-exec blocked");
    cr_assert_eq(r.part[GP_PART_KMSG].state, GP_QGA_BLOCKED);
    cr_assert_str_eq(r.part[GP_PART_KMSG].why, "unavailable: guest-exec blocked");
    cr_assert_eq(r.part[GP_PART_MEM].state, GP_QGA_OK, "%s", r.part[GP_PART_MEM].why);
    cr_assert_not(r.via_exec);
    cr_assert_eq(r.mem.mem.mem_total_kib, 223632);
    cr_assert_eq(r.mem.vm.pswpin, 5);
    cr_assert_not(r.mem.has_psi); /* the open failed: a guest without PSI */
    cr_assert_eq(f.n_close, 2, "every opened file is closed");
    cr_assert_eq(r.part[GP_PART_CPUSTATS].state, GP_QGA_OK);
    cr_assert_eq(r.part[GP_PART_OSINFO].state, GP_QGA_OK);
    gp_probe_result_clear(&r);
    fake_free(&f);
}

Test(probe, captured_exec_and_files_blocked)
{
    struct fake f;
    struct gp_probe_opts o = { .timeout_s = 5 };
    struct gp_probe_result r;

    fake_init(&f);
    free(f.info);
    f.info = sg_test_slurp_agent("guest-info-blocked.json", NULL);
    run(&f, &o, &r);
    cr_assert_eq(f.n_exec + f.n_open, 0);
    cr_assert_eq(r.part[GP_PART_AGENT].state, GP_QGA_OK);
    cr_assert_eq(r.part[GP_PART_TASKS].state, GP_QGA_BLOCKED);
    cr_assert_eq(r.part[GP_PART_MEM].state, GP_QGA_BLOCKED);
    cr_assert_eq(r.part[GP_PART_CPUSTATS].state, GP_QGA_OK);
    cr_assert_str_eq(r.kernel_release, "6.1.0-56-cloud-amd64");
    gp_probe_result_clear(&r);
    fake_free(&f);
}

Test(probe, not_connected_is_a_state_for_every_agent_part)
{
    struct fake f = {0};
    struct gp_probe_opts o = { .timeout_s = 5 };
    struct gp_probe_result r;

    run(&f, &o, &r);
    for (int p = GP_PART_AGENT; p <= GP_PART_OSINFO; p++)
        cr_assert_eq(r.part[p].state, GP_QGA_NOT_CONNECTED, "%s", gp_part_name(p));
    cr_assert_lt(r.elapsed_s, 0.5);
}

Test(hostile_probe, invalid_base64_spoils_only_the_script)
{
    struct fake f;
    struct gp_probe_opts o = { .timeout_s = 5 };
    struct gp_probe_result r;

    fake_init(&f);
    free(f.exec_status);
    /* HAND-WRITTEN: out-data that is not base64. */
    f.exec_status = strdup("{\"return\":{\"exited\":true,\"exitcode\":0,\"out-data\":\"QUJD$$==\"}}");
    run(&f, &o, &r);
    cr_assert_eq(r.part[GP_PART_TASKS].state, GP_QGA_INVALID_REPLY);
    cr_assert_eq(r.part[GP_PART_KMSG].state, GP_QGA_INVALID_REPLY);
    cr_assert_eq(r.part[GP_PART_MEM].state, GP_QGA_OK, "memory still read with the file commands");
    cr_assert_eq(r.mem.mem.mem_total_kib, 223632);
    cr_assert_eq(r.part[GP_PART_CPUSTATS].state, GP_QGA_OK);
    cr_assert_eq(r.part[GP_PART_OSINFO].state, GP_QGA_OK);
    gp_probe_result_clear(&r);
    fake_free(&f);
}

Test(hostile_probe, wrong_types_in_guest_info)
{
    struct fake f;
    struct gp_probe_opts o = { .timeout_s = 5 };
    struct gp_probe_result r;

    fake_init(&f);
    free(f.info);
    f.info = strdup("{\"return\":{\"version\":7,\"supported_commands\":[]}}"); /* HAND-WRITTEN */
    run(&f, &o, &r);
    cr_assert_eq(r.part[GP_PART_AGENT].state, GP_QGA_INVALID_REPLY);
    cr_assert_eq(r.part[GP_PART_TASKS].state, GP_QGA_INVALID_REPLY);
    cr_assert_eq(f.n_exec, 0);
    gp_probe_result_clear(&r);
    fake_free(&f);
}

Test(hostile_probe, script_that_never_exits_is_bounded_by_the_timeout)
{
    struct fake f;
    struct gp_probe_opts o = { .timeout_s = 2, .rate_interval_s = 1.0 };
    struct gp_probe_result r;

    fake_init(&f);
    free(f.exec_status);
    f.exec_status = NULL; /* "exited": false forever */
    run(&f, &o, &r);
    cr_assert_lt(r.elapsed_s, 2.3, "took %f s", r.elapsed_s);
    cr_assert_eq(r.part[GP_PART_TASKS].state, GP_QGA_TIMED_OUT);
    cr_assert_eq(r.part[GP_PART_KMSG].state, GP_QGA_TIMED_OUT);
    cr_assert_eq(r.part[GP_PART_MEM].state, GP_QGA_TIMED_OUT);
    cr_assert_eq(r.part[GP_PART_AGENT].state, GP_QGA_OK);
    cr_assert_eq(r.part[GP_PART_CPUSTATS].state, GP_QGA_OK, "the first sample stays");
    cr_assert_gt(f.n_status, 3);
    gp_probe_result_clear(&r);
    fake_free(&f);
}

Test(probe_rates, counters_going_backwards_have_no_rate)
{
    struct gp_cpustat a = { .cpu = 0, .steal_ms = 100, .iowait_ms = SG_NONE };
    struct gp_cpustat b = { .cpu = 0, .steal_ms = 50, .iowait_ms = 10 };
    struct gp_cpustats_sample sa = { .t = { 10, 0 }, .v = &a, .n = 1 };
    struct gp_cpustats_sample sb = { .t = { 12, 0 }, .v = &b, .n = 1 };
    struct gp_vcpu_rate out[1];

    cr_assert_eq(gp_cpustats_rates(&sa, &sb, out), 1);
    cr_assert(isnan(out[0].steal_ms_per_s));
    cr_assert(isnan(out[0].iowait_ms_per_s));
    a.steal_ms = 0;
    cr_assert_eq(gp_cpustats_rates(&sa, &sb, out), 1);
    cr_assert(fabs(out[0].steal_ms_per_s - 25.0) < 1e-9);
    cr_assert_eq(gp_cpustats_rates(&sb, &sb, out), 0, "no time between the samples");
}
