/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * guestprobe/evidence.c: the tasks, kernel-log and memory parsers on the
 * output of guestprobe/evidence-script.sh captured from a real guest by
 * scripts/capture-guest-replies.sh (tests/data/guest-agent/evidence-output.txt),
 * and on HAND-WRITTEN text (marked below): 6.x and pre-5.8 async-PF
 * signatures, which a TCG guest never shows, and hostile output.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg-test.h"
#include "guestprobe/evidence.h"

/* ---- captured ---------------------------------------------------------- */

Test(evidence, captured_output_all_sections)
{
    size_t len;
    char *buf = sg_test_slurp_agent("evidence-output.txt", &len), why[256] = "";
    struct gp_sections s;
    struct gp_tasks t;
    struct gp_hung_reports h;
    struct gp_guest_mem m = {0};

    cr_assert_eq(gp_split_sections(buf, len, &s, why, sizeof(why)), 0, "%s", why);
    cr_assert(s.complete);
    {
        double up = -1;
        cr_assert_eq(gp_parse_uptime(s.uptime, s.uptime_len, &up, why, sizeof(why)), 0, "%s", why);
        cr_assert(up > 0 && up < 3600, "a freshly booted harness guest: uptime %f s", up);
    }
    cr_assert_eq(gp_parse_tasks(s.tasks, s.tasks_len, &t, why, sizeof(why)), 0, "%s", why);
    cr_assert_gt(t.n_tasks, 20);
    cr_assert_eq(t.n_dstate, 0); /* an idle busybox guest */
    gp_tasks_clear(&t);

    cr_assert_eq(gp_parse_kmsg(s.dmesg, s.dmesg_len, 0, &h, why, sizeof(why)), 0, "%s", why);
    cr_assert_eq(h.n, 1);
    cr_assert_str_eq(h.v[0].comm, "sggp-stall");
    cr_assert_eq(h.v[0].pid, 4242);
    cr_assert_eq(h.v[0].blocked_s, 120);
    cr_assert_str_eq(h.v[0].matched_symbol, "kvm_async_pf_task_wait_schedule");
    cr_assert(!h.v[0].from_kernel, "written to /dev/kmsg by a user");
    cr_assert_eq(h.v[0].trace_lines, 8);
    cr_assert_geq(h.newest_ts_us, h.v[0].ts_us);
    /* The cursor: nothing new on the next probe. */
    {
        struct gp_hung_reports h2;
        cr_assert_eq(gp_parse_kmsg(s.dmesg, s.dmesg_len, h.newest_ts_us, &h2, why, sizeof(why)), 0);
        cr_assert_eq(h2.n, 0);
        cr_assert_eq(h2.newest_ts_us, h.newest_ts_us);
    }

    cr_assert_eq(gp_parse_guest_mem_file("meminfo", s.meminfo, s.meminfo_len, &m, why, sizeof(why)), 0,
                 "%s", why);
    cr_assert_eq(gp_parse_guest_mem_file("vmstat", s.vmstat, s.vmstat_len, &m, why, sizeof(why)), 0,
                 "%s", why);
    cr_assert(m.has_meminfo && m.has_vmstat);
    cr_assert_gt(m.mem.mem_available_kib, 0);
    cr_assert_eq(m.mem.swap_total_kib, 0); /* the harness guest has no swap */
    cr_assert_neq(m.vm.pgmajfault, UINT64_MAX);
    if (s.psi_len > 1) {
        cr_assert_eq(gp_parse_guest_mem_file("pressure/memory", s.psi, s.psi_len, &m, why, sizeof(why)),
                     0, "%s", why);
        cr_assert(m.has_psi);
    }
    free(buf);
}

/* ---- hand-written: signatures the TCG test guest cannot show ----------- */

Test(evidence, symbols_whole_identifiers_only)
{
#define SYM(s) gp_async_pf_symbol(s, strlen(s))
    cr_assert_str_eq(SYM("[<0>] kvm_async_pf_task_wait_schedule+0x9f/0x150"), "kvm_async_pf_task_wait_schedule");
    cr_assert_str_eq(SYM(" __kvm_handle_async_pf+0x5b/0xa0"), "__kvm_handle_async_pf");
    cr_assert_str_eq(SYM("kvm_handle_async_pf"), "kvm_handle_async_pf");
    cr_assert_str_eq(SYM(" [<ffffffff8105f0b0>] kvm_async_pf_task_wait+0x1a0/0x260"), "kvm_async_pf_task_wait");
    cr_assert_str_eq(SYM("do_async_page_fault+0x57/0xc0"), "do_async_page_fault");
    cr_assert_null(SYM("xkvm_async_pf_task_wait"));
    cr_assert_null(SYM("kvm_async_pf_task_waiter"));
    cr_assert_null(SYM("async_page_fault+0x1e/0x30"));
    cr_assert_null(SYM(""));
#undef SYM
}

/* Hand-written: D tasks of a Linux 6.x guest (wchan) and a 4.19 guest (stack only). */
static const char tasks_6x_and_old[] =
    "T 1 S do_wait init\n"
    "T 812 D kvm_async_pf_task_wait_schedule postgres: writer\n"
    "S 812 [<0>] kvm_async_pf_task_wait_schedule+0x9f/0x150\n"
    "T 813 D 0 java\n"
    "S 813 [<0>] schedule+0x28/0x80\n"
    "S 813 [<0>] kvm_async_pf_task_wait+0x1a0/0x260\n"
    "S 813 [<0>] do_async_page_fault+0x57/0xc0\n"
    "T 900 D io_schedule dd\n"
    "S 900 [<0>] io_schedule+0x12/0x40\n"
    "T 901 R 0 sh\n";

Test(evidence, tasks_6x_and_pre58)
{
    struct gp_tasks t;
    char why[256];

    cr_assert_eq(gp_parse_tasks(tasks_6x_and_old, strlen(tasks_6x_and_old), &t, why, sizeof(why)), 0, "%s", why);
    cr_assert_eq(t.n_tasks, 5);
    cr_assert_eq(t.n_dstate, 3);
    cr_assert_eq(t.n_async_pf, 2);
    cr_assert_eq(t.n, 3);
    cr_assert_eq(t.v[0].pid, 812);
    cr_assert_str_eq(t.v[0].comm, "postgres: writer");
    cr_assert_str_eq(t.v[0].matched_symbol, "kvm_async_pf_task_wait_schedule");
    cr_assert_str_eq(t.v[1].wchan, "0");
    cr_assert_str_eq(t.v[1].matched_symbol, "kvm_async_pf_task_wait");
    cr_assert_null(t.v[2].matched_symbol);
    gp_tasks_clear(&t);
}

/* Hand-written: a pre-5.8 hung-task report (4.19 layout, kernel facility). */
static const char kmsg_pre58[] =
    "<6>[  100.000000] unrelated\n"
    "<3>[  242.512345] INFO: task java:1234 blocked for more than 120 seconds.\n"
    "<3>[  242.512400]       Not tainted 4.19.0-21-amd64 #1 Debian 4.19.249-2\n"
    "<3>[  242.512500] \"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\" disables this message.\n"
    "<6>[  242.512600] java            D    0  1234      1 0x00000000\n"
    "<4>[  242.512700] Call Trace:\n"
    "<4>[  242.512800]  ? __schedule+0x2a2/0x870\n"
    "<4>[  242.512900]  schedule+0x28/0x80\n"
    "<4>[  242.513000]  kvm_async_pf_task_wait+0x1a0/0x260\n"
    "<4>[  242.513100]  do_async_page_fault+0x57/0xc0\n"
    "<4>[  242.513200]  async_page_fault+0x1e/0x30\n"
    "<4>[  242.513300] RIP: 0033:0x7f3c2e1b0d5e\n"
    "<3>[  363.000000] INFO: task jbd2/vda1-8:210 blocked for more than 241 seconds.\n"
    "<4>[  363.000100] Call Trace:\n"
    "<4>[  363.000200]  io_schedule+0x12/0x40\n";

Test(evidence, kmsg_pre58_and_cursor)
{
    struct gp_hung_reports h;
    char why[256];

    cr_assert_eq(gp_parse_kmsg(kmsg_pre58, strlen(kmsg_pre58), 0, &h, why, sizeof(why)), 0, "%s", why);
    cr_assert_eq(h.n, 2);
    cr_assert_str_eq(h.v[0].comm, "java");
    cr_assert(h.v[0].from_kernel);
    cr_assert_eq(h.v[0].ts_us, 242512345);
    cr_assert_str_eq(h.v[0].matched_symbol, "kvm_async_pf_task_wait");
    cr_assert_eq(h.v[0].trace_lines, 5);
    cr_assert_str_eq(h.v[1].comm, "jbd2/vda1-8");
    cr_assert_eq(h.v[1].blocked_s, 241);
    cr_assert_null(h.v[1].matched_symbol);
    cr_assert_eq(h.newest_ts_us, 363000200);
    cr_assert_eq(gp_parse_kmsg(kmsg_pre58, strlen(kmsg_pre58), 242512345, &h, why, sizeof(why)), 0);
    cr_assert_eq(h.n, 1);
    cr_assert_str_eq(h.v[0].comm, "jbd2/vda1-8");
}

/* ---- hand-written hostile output ---------------------------------------- */

Test(hostile_evidence, nul_and_escape_bytes)
{
    static const char with_nul[] = "T 5 D kvm_async_pf_task_wait_schedule ev\0il\n";
    static const char with_esc[] = "T 5 D kvm_async_pf_task_wait_schedule \x1b[2Jevil\x07\r\n";
    struct gp_tasks t;
    struct gp_sections s;
    struct gp_hung_reports h;
    char why[256];

    cr_assert_eq(gp_parse_tasks(with_nul, sizeof(with_nul) - 1, &t, why, sizeof(why)), -EBADMSG);
    cr_assert_eq(gp_split_sections("@sg-guestprobe 1\n@tasks\n\0", 25, &s, why, sizeof(why)), -EBADMSG);
    cr_assert_eq(gp_parse_kmsg("<3>[ 1.000000] INFO: task a\0:1 blocked for more than 1 seconds.\n", 63,
                               0, &h, why, sizeof(why)), -EBADMSG);
    cr_assert_eq(gp_parse_tasks(with_esc, sizeof(with_esc) - 1, &t, why, sizeof(why)), 0, "%s", why);
    cr_assert_eq(t.n, 1);
    cr_assert_str_eq(t.v[0].comm, "?[2Jevil??");
    gp_tasks_clear(&t);
}

Test(hostile_evidence, malformed_tasks_and_sections)
{
    struct gp_tasks t;
    struct gp_sections s;
    char why[256];
    static const char bad_pid[] = "T -5 D 0 x\nT 1 S 0 y\n";
    static const char bad_state[] = "T 5 DD 0 x\nT 1 S 0 y\n";
    static const char cut_last[] = "T 5 D 0 x\nT 1";
    static const char no_header[] = "@tasks\nT 1 S 0 x\n@end\n";
    static const char repeated[] = "@sg-guestprobe 1\n@tasks\n@tasks\n@end\n";
    static const char no_end[] = "@sg-guestprobe 1\n@tasks\nT 1 S 0 x\n";

    cr_assert_eq(gp_parse_tasks(bad_pid, strlen(bad_pid), &t, why, sizeof(why)), -EBADMSG);
    cr_assert_eq(gp_parse_tasks(bad_state, strlen(bad_state), &t, why, sizeof(why)), -EBADMSG);
    cr_assert_eq(gp_parse_tasks(cut_last, strlen(cut_last), &t, why, sizeof(why)), 0, "%s", why);
    cr_assert_eq(t.n_dstate, 1);
    gp_tasks_clear(&t);
    cr_assert_eq(gp_split_sections(no_header, strlen(no_header), &s, why, sizeof(why)), -EBADMSG);
    cr_assert_eq(gp_split_sections(repeated, strlen(repeated), &s, why, sizeof(why)), -EBADMSG);
    cr_assert_eq(gp_split_sections(no_end, strlen(no_end), &s, why, sizeof(why)), 0);
    cr_assert(!s.complete);
    cr_assert_eq(s.tasks_len, 10);
}

Test(hostile_evidence, huge_task_count_is_bounded)
{
    size_t n = 100000;
    char *buf = malloc(n * 64), *p = buf;
    struct gp_tasks t;
    char why[256];

    for (size_t i = 1; i <= n; i++)
        p += sprintf(p, "T %zu D kvm_async_pf_task_wait_schedule t%zu\n", i, i);
    cr_assert_eq(gp_parse_tasks(buf, (size_t)(p - buf), &t, why, sizeof(why)), 0, "%s", why);
    cr_assert_eq(t.n_tasks, n);
    cr_assert_eq(t.n_dstate, n);
    cr_assert_eq(t.n, GP_MAX_DTASKS);
    gp_tasks_clear(&t);
    free(buf);
}

Test(hostile_evidence, kmsg_bounds)
{
    size_t n = 1000;
    char *buf = malloc(n * 100), *p = buf;
    struct gp_hung_reports h;
    char why[256];

    for (size_t i = 1; i <= n; i++)
        p += sprintf(p, "<3>[%5zu.000000] INFO: task t%zu:%zu blocked for more than 999999999999 seconds.\n",
                     i, i, i);
    cr_assert_eq(gp_parse_kmsg(buf, (size_t)(p - buf), 0, &h, why, sizeof(why)), 0, "%s", why);
    cr_assert_eq(h.n, GP_MAX_HUNG);
    cr_assert_eq(h.n_total, n);
    cr_assert_str_eq(h.v[GP_MAX_HUNG - 1].comm, "t1000"); /* the newest are kept */
    free(buf);
    cr_assert_eq(gp_parse_kmsg("<3>[ 1.000000] ok\nnot a log line\n", 33, 0, &h, why, sizeof(why)), -EBADMSG);
    cr_assert_eq(gp_parse_kmsg("<3>[ 1.0] short usec\n", 21, 0, &h, why, sizeof(why)), 0); /* first line may be cut */
}

Test(hostile_evidence, memory_files)
{
    struct gp_guest_mem m = {0};
    char why[256];
    static const char bad[] = "MemTotal: lots kB\n";

    cr_assert_eq(gp_parse_guest_mem_file("meminfo", bad, strlen(bad), &m, why, sizeof(why)), -EBADMSG);
    cr_assert(strstr(why, "guest /proc/meminfo"), "%s", why);
    cr_assert_eq(gp_parse_guest_mem_file("pressure/memory", "bogus\n", 6, &m, why, sizeof(why)), -EBADMSG);
    cr_assert_eq(gp_parse_guest_mem_file("vmstat", "pswpin 1\0", 9, &m, why, sizeof(why)), -EBADMSG);
}

/* Hand-written: libvirt balloon stats as struct literals. */
#include "guestprobe/balloon.h"

Test(balloon, tags_mapped_absent_none)
{
    virDomainMemoryStatStruct s[] = {
        { .tag = VIR_DOMAIN_MEMORY_STAT_SWAP_IN, .val = 12 },
        { .tag = VIR_DOMAIN_MEMORY_STAT_MAJOR_FAULT, .val = 345 },
        { .tag = VIR_DOMAIN_MEMORY_STAT_RSS, .val = 999 },
        { .tag = VIR_DOMAIN_MEMORY_STAT_USABLE, .val = 200000 },
    };
    struct gp_balloon b;

    gp_balloon_from_stats(s, 4, &b);
    cr_assert_eq(b.swap_in_kib, 12);
    cr_assert_eq(b.major_fault, 345);
    cr_assert_eq(b.usable_kib, 200000);
    cr_assert_eq(b.swap_out_kib, UINT64_MAX);
    cr_assert_eq(b.last_update, UINT64_MAX);
}

/* The @uptime section: /proc/uptime of the guest (the clock of its kernel log). The valid line is
 * the format of Linux's fs/proc/uptime.c; the others are hand-written hostile values. */
Test(evidence, uptime_section)
{
    static const char out[] = "@sg-guestprobe 1\n@psi\n@uptime\n4017.59 7804.12\n@end\n";
    struct gp_sections s;
    char why[256] = "";
    double up = -1;

    cr_assert_eq(gp_split_sections(out, strlen(out), &s, why, sizeof(why)), 0, "%s", why);
    cr_assert(s.complete && s.uptime && s.psi_len == 0);
    cr_assert_eq(gp_parse_uptime(s.uptime, s.uptime_len, &up, why, sizeof(why)), 0, "%s", why);
    cr_assert_float_eq(up, 4017.59, 1e-9);
    cr_assert_eq(gp_parse_uptime("-3 1\n", 5, &up, why, sizeof(why)), -EBADMSG);
    cr_assert_eq(gp_parse_uptime("nan 1\n", 6, &up, why, sizeof(why)), -EBADMSG);
    cr_assert_eq(gp_parse_uptime("12x 1\n", 6, &up, why, sizeof(why)), -EBADMSG);
    cr_assert_eq(gp_parse_uptime("", 0, &up, why, sizeof(why)), -EBADMSG);
    cr_assert(strstr(why, "uptime"), "why names the file: %s", why);
    cr_assert_float_eq(up, 4017.59, 1e-9, "a failed parse leaves the value alone");
}
