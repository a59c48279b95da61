/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * guestprobe/evidence.c: the tasks, kernel-log and memory parsers on the
 * output of guestprobe/evidence-script.sh captured from a real guest by
 * scripts/capture-guest-replies.sh (tests/data/guest-agent/evidence-output.txt),
 * on kernel log excerpts quoted from public bug reports
 * (tests/data/public-traces/, attributed in tests/data/README.md) for the
 * signatures this machine's guests cannot print, and on HAND-WRITTEN text
 * (marked below): 6.x and pre-5.8 async-PF signatures, which a TCG guest never
 * shows, guest OOM kills and reclaim hung tasks, and hostile output.
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

/* ---- stall classes and kernel signatures ------------------------------------------------ */

/* tests/data/stall/: captured by scripts/capture-stall-logs.sh from a real harness guest whose
 * ext2 disk was throttled to 1 KiB/s: the guest kernel's own hung-task report of `sync`. */
Test(evidence, captured_io_hung_task_in_dmesg)
{
    size_t len;
    char *buf = sg_test_slurp("stall/io-dmesg.txt", &len), why[128] = "";
    struct gp_hung_reports *r = calloc(1, sizeof(*r));

    cr_assert_eq(gp_parse_kmsg(buf, len, 0, r, why, sizeof(why)), 0, "%s", why);
    cr_assert_geq(r->n, 1);
    cr_expect_str_eq(r->v[0].comm, "sync");
    cr_expect(r->v[0].from_kernel);
    cr_expect_eq(r->v[0].cls, GP_CLASS_IO, "folio_wait_writeback under io_schedule: %s",
                 gp_stall_class_name(r->v[0].cls));
    cr_expect_null(r->v[0].matched_symbol);
    free(r);
    free(buf);
}

Test(evidence, captured_io_hung_task_on_the_serial_console)
{
    size_t len;
    char *buf = sg_test_slurp("stall/io-console.log", &len), why[128] = "";
    struct gp_hung_reports *r = calloc(1, sizeof(*r)), *later = calloc(1, sizeof(*later));

    cr_assert_eq(gp_parse_console(buf, len, 0, r, why, sizeof(why)), 0, "%s", why);
    cr_assert_geq(r->n, 1);
    cr_expect_str_eq(r->v[0].comm, "sync");
    cr_expect_eq(r->v[0].cls, GP_CLASS_IO);
    cr_expect_gt(r->v[0].trace_lines, 5);
    cr_expect_gt(r->newest_ts_us, 0);
    /* The boot's ordinary clocksource lines ("Switched to clocksource tsc", "mask: ...") are no
     * stall signature. */
    for (int s = 0; s < GP_SIGN__MAX; s++)
        cr_expect_eq(r->signs[s], 0, "%s", gp_sign_name((enum gp_sign)s));
    /* Read again from the newest timestamp: nothing new. */
    cr_assert_eq(gp_parse_console(buf, len, r->newest_ts_us, later, why, sizeof(why)), 0);
    cr_expect_eq(later->n, 0);
    free(later);
    free(r);
    free(buf);
}

/* The task list of a captured @tasks section (tests/data/PATH) into t. */
static void parse_captured_tasks(const char *path, struct gp_tasks *t)
{
    size_t len;
    char *buf = sg_test_slurp(path, &len), why[128] = "";
    const char *body = strchr(buf, '\n');

    cr_assert_not_null(body, "%s: the @tasks header line", path);
    body++;
    cr_assert_eq(gp_parse_tasks(body, len - (size_t)(body - buf), t, why, sizeof(why)), 0, "%s: %s", path, why);
    free(buf);
}

Test(evidence, captured_io_dstate_task)
{
    struct gp_tasks t;

    parse_captured_tasks("stall/io-tasks.txt", &t);
    cr_expect_eq(t.n_dstate, 1);
    cr_expect_eq(t.n_class[GP_CLASS_IO], 1);
    cr_expect_eq(t.n_async_pf, 0);
    cr_expect_str_eq(t.v[0].comm, "sync");
    gp_tasks_clear(&t);
}

/* tests/data/stall/io64-*: the same guest at 64 KiB/s with 4 KiB requests (capture-stall-logs.sh
 * merged, as test-stall.sh throttles it): the flusher hangs in io_schedule under wbt_wait, and
 * `sync` waits for it in wb_wait_for_completion: both are storage I/O. */
Test(evidence, captured_merged_io_hung_tasks_on_the_serial_console)
{
    size_t len;
    char *buf = sg_test_slurp("stall/io64-console.log", &len), why[128] = "";
    struct gp_hung_reports *r = calloc(1, sizeof(*r));
    bool sync_seen = false;

    cr_assert_eq(gp_parse_console(buf, len, 0, r, why, sizeof(why)), 0, "%s", why);
    cr_assert_geq(r->n, 2);
    for (size_t i = 0; i < r->n; i++) {
        cr_expect_eq(r->v[i].cls, GP_CLASS_IO, "report %zu (%s): %s", i, r->v[i].comm,
                     gp_stall_class_name(r->v[i].cls));
        sync_seen |= strcmp(r->v[i].comm, "sync") == 0;
    }
    cr_expect(sync_seen, "the hung sync is among the reports");
    free(r);
    free(buf);
}

Test(evidence, captured_merged_io_dstate_tasks)
{
    struct gp_tasks t;

    parse_captured_tasks("stall/io64-tasks.txt", &t);
    cr_expect_eq(t.n_dstate, 2, "the flusher and sync");
    cr_expect_eq(t.n_class[GP_CLASS_IO], 2, "both wait on storage I/O");
    gp_tasks_clear(&t);
}

Test(evidence, frame_classes)
{
    /* Frame lines as the kernel prints them: " sym+off/len", "[<0>] sym+off/len" (/proc/PID/stack),
     * " [<ffffffff81510725>] sym+off" (older traces). */
    static const struct { const char *line; enum gp_stall_class cls; } f[] = {
        { " io_schedule+0x42/0x70", GP_CLASS_IO },
        { "[<0>] folio_wait_writeback+0x28/0x80", GP_CLASS_IO },
        { " jbd2_log_wait_commit+0xb1/0x120", GP_CLASS_IO },
        { " nfs_wait_bit_killable+0x1e/0x90 [nfs]", GP_CLASS_IO },
        { " blk_mq_get_tag+0x11d/0x2c0", GP_CLASS_IO },
        { " wb_wait_for_completion+0x82/0xb0", GP_CLASS_IO },
        { " __mutex_lock.constprop.0+0x11b/0x4d0", GP_CLASS_LOCK },
        { " [<ffffffff81510725>] rwsem_down_write_slowpath+0x95/0x1d0", GP_CLASS_LOCK },
        { " try_to_free_pages+0xd2/0x1d0", GP_CLASS_RECLAIM },
        { " __alloc_pages_slowpath.constprop.0+0x3c5/0xd50", GP_CLASS_RECLAIM },
        { " kvm_async_pf_task_wait_schedule+0x16f/0x1d0", GP_CLASS_ASYNC_PF },
        { " __schedule+0x34d/0xa00", GP_CLASS_NONE },
        { " ? io_schedule+0x42/0x70", GP_CLASS_NONE },      /* unreliable frame */
        { " <TASK>", GP_CLASS_NONE },
        { "", GP_CLASS_NONE },
        { " [<ffffffff", GP_CLASS_NONE },                  /* hand-written: cut bracket */
        { " io_schedulerX", GP_CLASS_IO },                  /* a prefix match, by design */
        { " xio_schedule", GP_CLASS_NONE },
    };

    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
        cr_expect_eq(gp_frame_class(f[i].line, strlen(f[i].line)), f[i].cls, "'%s': %s", f[i].line,
                     gp_stall_class_name(gp_frame_class(f[i].line, strlen(f[i].line))));
    /* Folding: async PF anywhere wins, then reclaim, else the innermost of I/O and lock. */
    cr_expect_eq(gp_class_fold(GP_CLASS_LOCK, GP_CLASS_IO), GP_CLASS_LOCK);
    cr_expect_eq(gp_class_fold(GP_CLASS_IO, GP_CLASS_RECLAIM), GP_CLASS_RECLAIM);
    cr_expect_eq(gp_class_fold(GP_CLASS_RECLAIM, GP_CLASS_ASYNC_PF), GP_CLASS_ASYNC_PF);
    cr_expect_eq(gp_class_fold(GP_CLASS_NONE, GP_CLASS_IO), GP_CLASS_IO);
}

/* Hand-written, in the kernel's own formats (mm/oom_kill.c, kernel/hung_task.c,
 * kernel/watchdog.c): what no public trace in tests/data/public-traces covers in a form the
 * parsers read (a guest OOM kill, a hung task in the guest's own reclaim) and a user-space
 * forgery of a soft lockup. */
static const char signs_kmsg[] =
    "<3>[  104.000001] Out of memory: Killed process 77 (big) total-vm:300000kB, anon-rss:200000kB\n"
    "<3>[  106.000001] INFO: task big:91 blocked for more than 5 seconds.\n"
    "<6>[  106.000002] Call Trace:\n"
    "<6>[  106.000003]  io_schedule+0x42/0x70\n"
    "<6>[  106.000004]  shrink_folio_list+0x5b0/0xc20\n"
    "<6>[  106.000005]  try_to_free_pages+0xd2/0x1d0\n"
    "<6>[  107.000001] ok\n"
    "<12>[  108.000001] watchdog: BUG: soft lockup - CPU#0 stuck for 99s! [forged:1]\n";

Test(evidence, kernel_signatures_and_classes)
{
    struct gp_hung_reports *r = calloc(1, sizeof(*r));
    char why[128] = "";

    cr_assert_eq(gp_parse_kmsg(signs_kmsg, strlen(signs_kmsg), 0, r, why, sizeof(why)), 0, "%s", why);
    cr_expect_eq(r->signs[GP_SIGN_SOFT_LOCKUP], 0);
    cr_expect_eq(r->signs_forged[GP_SIGN_SOFT_LOCKUP], 1, "facility 1: written from user space");
    cr_expect_eq(r->signs[GP_SIGN_OOM_KILL], 1);
    cr_assert_eq(r->n, 1);
    cr_expect_eq(r->v[0].cls, GP_CLASS_RECLAIM, "I/O inside the guest's reclaim is reclaim");
    /* since: only what is newer */
    cr_assert_eq(gp_parse_kmsg(signs_kmsg, strlen(signs_kmsg), 105000000, r, why, sizeof(why)), 0);
    cr_expect_eq(r->signs[GP_SIGN_OOM_KILL], 0);
    cr_expect_eq(r->signs_forged[GP_SIGN_SOFT_LOCKUP], 1);
    cr_expect_eq(r->n, 1);
    free(r);
}

/* ---- real kernel logs from public bug reports (tests/data/public-traces) ---------------- */

struct public_trace {
    const char *file;                 /* under tests/data/public-traces/ */
    unsigned signs[GP_SIGN__MAX];     /* signature messages expected */
    size_t n_hung;                    /* hung-task reports expected (0 or 1 here) */
    const char *comm;                 /* of the report */
    int64_t pid;
    uint64_t blocked_s;
    enum gp_stall_class cls;
    unsigned trace_lines;
    bool all_stamped;                 /* every line carries a [SEC.USEC] stamp (as dmesg -r would) */
};

static const struct public_trace public_traces[] = {
    /* A QEMU guest's console: systemd status lines without stamps between kernel lines;
     * the pre-4.13 "NMI watchdog:" prefix. */
    { "soft-lockup-systemd-6614.log", .signs = { [GP_SIGN_SOFT_LOCKUP] = 3 } },
    /* CONFIG_PRINTK_CALLER: "[    C1]" after the stamp; a QEMU Q35 guest. */
    { "soft-lockup-caller-id-eve-2653.log", .signs = { [GP_SIGN_SOFT_LOCKUP] = 1 }, .all_stamped = true },
    /* The follow-up lines (the CPU list, "kthread starved") are not stalls of their own. */
    { "rcu-sched-stall-propolis-376.log", .signs = { [GP_SIGN_RCU_STALL] = 1 }, .all_stamped = true },
    { "rcu-preempt-stall-loongson-18.log", .signs = { [GP_SIGN_RCU_STALL] = 1 }, .all_stamped = true },
    { "rcu-self-detected-t113-2.log", .signs = { [GP_SIGN_RCU_STALL] = 1 }, .all_stamped = true },
    { "rcu-expedited-lkrg-189.log", .signs = { [GP_SIGN_RCU_STALL] = 1 } },
    /* One watchdog warning is three "clocksource:" lines and a "Switched to" line: counted once. */
    { "clocksource-propolis-328.log", .signs = { [GP_SIGN_CLOCKSOURCE] = 1 }, .all_stamped = true },
    { "clocksource-hrtimer-sozu-500.log", .signs = { [GP_SIGN_CLOCKSOURCE] = 1, [GP_SIGN_HRTIMER] = 1 },
      .all_stamped = true },
    /* 5.19: "task:" line, <TASK>, "?" frames, module build ids after the frames. */
    { "hung-jbd2-centos-ci-536.log", .n_hung = 1, .comm = "jbd2/sda1-8", .pid = 190, .blocked_s = 122,
      .cls = GP_CLASS_IO, .trace_lines = 15, .all_stamped = true },
    /* A comm with a space; 4.18 (RHEL 8). */
    { "hung-jbd2-space-comm-opencas-746.log", .n_hung = 1, .comm = "FwgThread OpFor", .pid = 15341,
      .blocked_s = 120, .cls = GP_CLASS_IO, .trace_lines = 12, .all_stamped = true },
    /* 3.13: "[<addr>] sym" frames, the stack dump before "Call Trace:". */
    { "hung-io-schedule-3.13-restblockdriver-32.log", .n_hung = 1, .comm = "jbd2/dewba1-8", .pid = 22455,
      .blocked_s = 120, .cls = GP_CLASS_IO, .trace_lines = 6, .all_stamped = true },
    { "hung-mutex-3.14-zfs-2308.log", .n_hung = 1, .comm = "systemd", .pid = 1, .blocked_s = 20,
      .cls = GP_CLASS_LOCK, .trace_lines = 6, .all_stamped = true },
};

static char *slurp_public(const char *file, size_t *len)
{
    char rel[256];

    snprintf(rel, sizeof(rel), "public-traces/%s", file);
    return sg_test_slurp(rel, len);
}

static void expect_public(const struct public_trace *c, const struct gp_hung_reports *r, bool from_kernel,
                          const char *how)
{
    for (int g = 0; g < GP_SIGN__MAX; g++) {
        unsigned got = from_kernel ? r->signs[g] : r->signs_forged[g];

        cr_expect_eq(got, c->signs[g], "%s (%s): %s: %u, want %u", c->file, how, gp_sign_name((enum gp_sign)g),
                     got, c->signs[g]);
        cr_expect_eq(from_kernel ? r->signs_forged[g] : r->signs[g], 0, "%s (%s): %s on the other side",
                     c->file, how, gp_sign_name((enum gp_sign)g));
    }
    cr_assert_eq(r->n, c->n_hung, "%s (%s): %zu hung-task reports", c->file, how, r->n);
    if (!c->n_hung)
        return;
    cr_expect_str_eq(r->v[0].comm, c->comm, "%s (%s)", c->file, how);
    cr_expect_eq(r->v[0].pid, c->pid, "%s (%s)", c->file, how);
    cr_expect_eq(r->v[0].blocked_s, c->blocked_s, "%s (%s)", c->file, how);
    cr_expect_eq(r->v[0].cls, c->cls, "%s (%s): class %s, want %s", c->file, how,
                 gp_stall_class_name(r->v[0].cls), gp_stall_class_name(c->cls));
    cr_expect_eq(r->v[0].trace_lines, c->trace_lines, "%s (%s): %u trace lines", c->file, how,
                 r->v[0].trace_lines);
    cr_expect_eq(r->v[0].from_kernel, from_kernel, "%s (%s)", c->file, how);
    cr_expect_null(r->v[0].matched_symbol, "%s: no async PF in it", c->file);
}

/* Each excerpt as a serial console log: everything there counts as printed by the kernel. */
Test(evidence, public_traces_on_the_console)
{
    for (size_t i = 0; i < sizeof(public_traces) / sizeof(public_traces[0]); i++) {
        const struct public_trace *c = &public_traces[i];
        struct gp_hung_reports *r = calloc(1, sizeof(*r));
        char why[128] = "", *buf;
        size_t len;

        cr_assert_not_null(r);
        buf = slurp_public(c->file, &len);
        cr_assert_eq(gp_parse_console(buf, len, 0, r, why, sizeof(why)), 0, "%s: %s", c->file, why);
        cr_expect_gt(r->newest_ts_us, 0, "%s", c->file);
        expect_public(c, r, true, "console");
        free(buf);
        free(r);
    }
}

/*
 * The same lines as `dmesg -r` prints them: "<PRI>" before each. With facility 0 (<6>) the
 * kernel printed them; with facility 1 (<14>, what a write to /dev/kmsg from user space gets)
 * every signature is forged and no report is from_kernel. Only the excerpts where every line
 * carries a stamp (a console adds lines of its own).
 */
Test(evidence, public_traces_as_kmsg_kernel_and_forged)
{
    static const struct { const char *pri; bool from_kernel; } kinds[] = { { "<6>", true }, { "<14>", false } };

    for (size_t i = 0; i < sizeof(public_traces) / sizeof(public_traces[0]); i++) {
        const struct public_trace *c = &public_traces[i];
        size_t len;
        char *buf;

        if (!c->all_stamped)
            continue;
        buf = slurp_public(c->file, &len);
        for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
            struct gp_hung_reports *r = calloc(1, sizeof(*r));
            char *kmsg = malloc(2 * len + 64), why[128] = "";
            size_t o = 0;

            cr_assert(r && kmsg);
            for (const char *p = buf, *e; p < buf + len; p = e + 1) {
                e = memchr(p, '\n', (size_t)(buf + len - p));
                if (!e)
                    e = buf + len;
                o += (size_t)sprintf(kmsg + o, "%s%.*s\n", kinds[k].pri, (int)(e - p), p);
            }
            cr_assert_eq(gp_parse_kmsg(kmsg, o, 0, r, why, sizeof(why)), 0, "%s: %s", c->file, why);
            expect_public(c, r, kinds[k].from_kernel, kinds[k].pri);
            free(kmsg);
            free(r);
        }
        free(buf);
    }
}

Test(evidence, console_hostile_input)
{
    /* Hand-written hostile console text: user output without timestamps, ANSI escapes, CRs,
     * a fake timestamp that is not one, a line longer than GP_MAX_LINE, a hung report whose
     * trace is interrupted by user output, and a NUL byte. */
    struct gp_hung_reports *r = calloc(1, sizeof(*r));
    char why[128] = "", *big;
    size_t n = 0, cap = 3 * GP_MAX_LINE + 4096;
    int k;

    big = malloc(cap);
    cr_assert_not_null(big);
    k = snprintf(big + n, cap - n, "login: \x1b[31mroot\x1b[0m\r\n[ 12.5] not a stamp\n[abc.123456] nor this\n");
    n += (size_t)k;
    memset(big + n, 'A', 2 * GP_MAX_LINE);
    n += 2 * GP_MAX_LINE;
    big[n++] = '\n';
    k = snprintf(big + n, cap - n,
                 "[   20.000001] INFO: task sync:7 blocked for more than 5 seconds.\r\n"
                 "[   20.000002] Call Trace:\r\n"
                 "[   20.000003]  io_schedule+0x42/0x70\r\n"
                 "user typed this\n"
                 "[   20.000004]  __mutex_lock+0x3a1/0x8b0\n"
                 "[   21.000001] hrtimer: interrupt took 5120367514 ns\r\n");
    n += (size_t)k;
    cr_assert_eq(gp_parse_console(big, n, 0, r, why, sizeof(why)), 0, "%s", why);
    cr_expect_eq(r->n, 1);
    cr_expect_eq(r->v[0].cls, GP_CLASS_IO, "the trace ended at the user's line: %s", gp_stall_class_name(r->v[0].cls));
    cr_expect_eq(r->v[0].trace_lines, 1);
    cr_expect_eq(r->signs[GP_SIGN_HRTIMER], 1);
    cr_expect_eq(r->newest_ts_us, 21000001);
    big[5] = '\0';
    cr_expect_eq(gp_parse_console(big, n, 0, r, why, sizeof(why)), -EBADMSG);
    free(big);
    free(r);
}
