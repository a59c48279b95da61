/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * guestprobe/qga.c and replies.c: reply parsing on replies captured from the
 * real qemu-ga by scripts/capture-guest-replies.sh (tests/data/guest-agent),
 * and on HAND-WRITTEN hostile replies (each marked as such below).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <libvirt/virterror.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg-test.h"
#include "guestprobe/qga.h"
#include "guestprobe/replies.h"

/* ---- captured ---------------------------------------------------------- */

Test(guest_info, captured_all_enabled)
{
    char *r = sg_test_slurp_agent("guest-info.json", NULL), why[GP_WHY_MAX];
    struct gp_guest_info gi;

    cr_assert_eq(gp_parse_guest_info(r, &gi, why, sizeof(why)), 0, "%s", why);
    cr_assert_str_eq(gi.version, "7.2.22");
    for (int c = 0; c < GP_CMD__MAX; c++)
        cr_assert_eq(gi.cmds[c], GP_CMD_ENABLED, "%s", gp_cmd_name(c));
    cr_assert_gt(gi.n_supported, 30);
    cr_assert_eq(gi.n_disabled, 1); /* guest-get-devices: Windows only */
    free(r);
}

Test(guest_info, captured_exec_and_files_blocked)
{
    char *r = sg_test_slurp_agent("guest-info-blocked.json", NULL), why[GP_WHY_MAX];
    struct gp_guest_info gi;

    cr_assert_eq(gp_parse_guest_info(r, &gi, why, sizeof(why)), 0, "%s", why);
    cr_assert_eq(gi.cmds[GP_CMD_EXEC], GP_CMD_DISABLED);
    cr_assert_eq(gi.cmds[GP_CMD_EXEC_STATUS], GP_CMD_DISABLED);
    cr_assert_eq(gi.cmds[GP_CMD_FILE_OPEN], GP_CMD_DISABLED);
    cr_assert_eq(gi.cmds[GP_CMD_FILE_READ], GP_CMD_DISABLED);
    cr_assert_eq(gi.cmds[GP_CMD_FILE_CLOSE], GP_CMD_DISABLED);
    cr_assert_eq(gi.cmds[GP_CMD_GET_CPUSTATS], GP_CMD_ENABLED);
    cr_assert_eq(gi.cmds[GP_CMD_GET_OSINFO], GP_CMD_ENABLED);
    free(r);
}

Test(agent_error, captured_blocked_message_is_blocked)
{
    char *e = sg_test_slurp_agent("guest-exec-blocked.err", NULL);
    cr_assert_eq(gp_qga_classify_error(VIR_ERR_INTERNAL_ERROR, e), GP_QGA_BLOCKED);
    free(e);
    cr_assert_eq(gp_qga_classify_error(VIR_ERR_AGENT_UNRESPONSIVE,
                                         "Guest agent is not responding: QEMU guest agent is not connected"),
                 GP_QGA_NOT_CONNECTED);
    cr_assert_eq(gp_qga_classify_error(VIR_ERR_INTERNAL_ERROR, "something else"), GP_QGA_FAILED);
}

Test(replies, captured_exec_status_osinfo_cpustats_file)
{
    char *r, why[GP_WHY_MAX], *data, kr[128];
    struct gp_exec_status st;
    struct gp_cpustat *cs;
    int64_t v;
    size_t len;
    bool eof;

    r = sg_test_slurp_agent("guest-exec.json", NULL);
    cr_assert_eq(gp_parse_exec(r, &v, why, sizeof(why)), 0, "%s", why);
    cr_assert_gt(v, 0);
    free(r);

    r = sg_test_slurp_agent("guest-exec-status.json", NULL);
    cr_assert_eq(gp_parse_exec_status(r, &st, why, sizeof(why)), 0, "%s", why);
    cr_assert(st.exited);
    cr_assert_eq(st.exitcode, 0);
    cr_assert_not_null(st.out);
    cr_assert_eq(strncmp(st.out, "@sg-guestprobe 1\n", 17), 0);
    cr_assert_eq(strlen(st.out), st.out_len);
    gp_exec_status_clear(&st);
    free(r);

    r = sg_test_slurp_agent("guest-get-osinfo.json", NULL);
    cr_assert_eq(gp_parse_osinfo(r, kr, sizeof(kr), why, sizeof(why)), 0, "%s", why);
    cr_assert_eq(strncmp(kr, "6.1.0-", 6), 0, "%s", kr);
    free(r);

    r = sg_test_slurp_agent("guest-get-cpustats.json", NULL);
    cr_assert_eq(gp_parse_cpustats(r, &cs, why, sizeof(why)), 1, "%s", why);
    cr_assert_eq(cs[0].cpu, 0);
    cr_assert_neq(cs[0].steal_ms, UINT64_MAX);
    cr_assert_neq(cs[0].iowait_ms, UINT64_MAX);
    cr_assert_gt(cs[0].idle_ms, 0);
    free(cs);
    free(r);

    r = sg_test_slurp_agent("guest-file-open.json", NULL);
    cr_assert_eq(gp_parse_file_open(r, &v, why, sizeof(why)), 0, "%s", why);
    free(r);
    r = sg_test_slurp_agent("guest-file-read.json", NULL);
    cr_assert_eq(gp_parse_file_read(r, 65536, &data, &len, &eof, why, sizeof(why)), 0, "%s", why);
    cr_assert(eof);
    cr_assert_eq(strncmp(data, "MemTotal:", 9), 0);
    free(data);
    free(r);
}

/* ---- hand-written hostile replies --------------------------------------- */

Test(hostile, truncated_and_garbage_json)
{
    json_object *o;
    char why[GP_WHY_MAX];

    cr_assert_eq(gp_reply_parse("{\"return\": {\"pid\": 1", &o, why, sizeof(why)), -EBADMSG);
    cr_assert_null(o);
    cr_assert_eq(gp_reply_parse("", &o, why, sizeof(why)), -EBADMSG);
    cr_assert_eq(gp_reply_parse("{\"return\": 1} {}", &o, why, sizeof(why)), -EBADMSG);
    cr_assert_eq(gp_reply_parse("[1]", &o, why, sizeof(why)), -EBADMSG);
    cr_assert_eq(gp_reply_parse("{\"neither\": 1}", &o, why, sizeof(why)), -EBADMSG);
    cr_assert_eq(gp_reply_parse(NULL, &o, why, sizeof(why)), -EBADMSG);
    cr_assert_eq(gp_reply_parse("{\"return\": 1}\n", &o, why, sizeof(why)), 0);
    json_object_put(o);
}

Test(hostile, agent_error_is_reported_cleanly)
{
    json_object *o;
    char why[GP_WHY_MAX];

    cr_assert_eq(gp_reply_parse("{\"error\": {\"class\": \"CommandNotFound\", \"desc\": "
                                "\"bad\\u001b[31m\\u0000x\"}}", &o, why, sizeof(why)), -EREMOTEIO);
    cr_assert_str_eq(why, "CommandNotFound: bad?[31m?x");
    cr_assert_eq(gp_reply_parse("{\"error\": \"string\"}", &o, why, sizeof(why)), -EBADMSG);
}

Test(hostile, deep_nesting)
{
    char buf[4096] = "{\"return\": ";
    for (int i = 0; i < 1000; i++)
        strcat(buf, "[");
    json_object *o;
    cr_assert_eq(gp_reply_parse(buf, &o, NULL, 0), -EBADMSG);
}

Test(hostile, oversized_reply)
{
    size_t n = GP_REPLY_MAX + 64;
    char *big = malloc(n + 1);
    json_object *o;
    char why[GP_WHY_MAX];
    struct gp_guest_info gi;

    memcpy(big, "{\"return\": \"", 12);
    memset(big + 12, 'A', n - 14);
    memcpy(big + n - 2, "\"}", 3);
    cr_assert_eq(gp_reply_parse(big, &o, why, sizeof(why)), -EBADMSG);
    cr_assert(strstr(why, "longer than"), "%s", why);
    cr_assert_eq(gp_parse_guest_info(big, &gi, why, sizeof(why)), -EBADMSG);
    free(big);
}

Test(hostile, guest_info_wrong_types)
{
    struct gp_guest_info gi;
    char why[GP_WHY_MAX];

    cr_assert_eq(gp_parse_guest_info("{\"return\": {\"version\": 7, \"supported_commands\": []}}", &gi,
                                     why, sizeof(why)), -EBADMSG);
    cr_assert_eq(gp_parse_guest_info("{\"return\": {\"version\": \"1\", \"supported_commands\": {}}}",
                                     &gi, why, sizeof(why)), -EBADMSG);
    cr_assert_eq(gp_parse_guest_info("{\"return\": {\"version\": \"1\", \"supported_commands\": "
                                     "[{\"name\": \"guest-exec\", \"enabled\": \"yes\"}]}}",
                                     &gi, why, sizeof(why)), -EBADMSG);
    cr_assert_eq(gp_parse_guest_info("{\"return\": {\"version\": \"1\", \"supported_commands\": "
                                     "[{\"name\": 5, \"enabled\": true}]}}", &gi, why, sizeof(why)),
                 -EBADMSG);
    cr_assert_eq(gp_parse_guest_info("{\"return\": []}", &gi, why, sizeof(why)), -EBADMSG);
    /* A name with a NUL after a known prefix must not count as that command. */
    cr_assert_eq(gp_parse_guest_info("{\"return\": {\"version\": \"\\u001b]0;x\", \"supported_commands\": "
                                     "[{\"name\": \"guest-exec\\u0000evil\", \"enabled\": true}]}}",
                                     &gi, why, sizeof(why)), 0, "%s", why);
    cr_assert_eq(gi.cmds[GP_CMD_EXEC], GP_CMD_ABSENT);
    cr_assert_str_eq(gi.version, "?]0;x");
}

Test(hostile, huge_command_count)
{
    size_t n = 5000;
    char *buf = malloc(n * 40 + 100), *p = buf;
    struct gp_guest_info gi;

    p += sprintf(p, "{\"return\": {\"version\": \"1\", \"supported_commands\": [");
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "%s{\"name\": \"c%zu\", \"enabled\": true}", i ? "," : "", i);
    strcpy(p, "]}}");
    cr_assert_eq(gp_parse_guest_info(buf, &gi, NULL, 0), -EBADMSG);
    free(buf);
}

Test(hostile, base64_strict)
{
    char *out;
    size_t n;

    cr_assert_eq(gp_base64_decode("aGk=", 4, 100, &out, &n), 0);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(out, "hi");
    free(out);
    cr_assert_eq(gp_base64_decode("", 0, 100, &out, &n), 0);
    cr_assert_eq(n, 0);
    free(out);
    cr_assert_eq(gp_base64_decode("aGk", 3, 100, &out, &n), -EBADMSG);    /* length */
    cr_assert_eq(gp_base64_decode("aG!=", 4, 100, &out, &n), -EBADMSG);   /* alphabet */
    cr_assert_eq(gp_base64_decode("aG=k", 4, 100, &out, &n), -EBADMSG);   /* data after '=' */
    cr_assert_eq(gp_base64_decode("a===", 4, 100, &out, &n), -EBADMSG);   /* 3 pads */
    cr_assert_eq(gp_base64_decode("aGl=", 4, 100, &out, &n), -EBADMSG);   /* non-canonical bits */
    cr_assert_eq(gp_base64_decode("aG=\n", 4, 100, &out, &n), -EBADMSG);  /* whitespace */
    cr_assert_eq(gp_base64_decode("aGk=aGk=", 8, 100, &out, &n), -EBADMSG); /* pad mid-stream */
    cr_assert_eq(gp_base64_decode("aGVsbG8h", 8, 3, &out, &n), -EFBIG);
}

Test(hostile, exec_status_types_and_base64)
{
    struct gp_exec_status st;
    char why[GP_WHY_MAX];

    cr_assert_eq(gp_parse_exec_status("{\"return\": {\"exited\": true, \"out-data\": \"@@@@\"}}", &st,
                                      why, sizeof(why)), -EBADMSG);
    cr_assert(strstr(why, "base64"), "%s", why);
    cr_assert_null(st.out);
    cr_assert_eq(gp_parse_exec_status("{\"return\": {\"exited\": \"yes\"}}", &st, why, sizeof(why)),
                 -EBADMSG);
    cr_assert_eq(gp_parse_exec_status("{\"return\": {\"exited\": true, \"exitcode\": 1.5}}", &st, why,
                                      sizeof(why)), -EBADMSG);
    cr_assert_eq(gp_parse_exec_status("{\"return\": {\"exited\": true, \"out-data\": 5}}", &st, why,
                                      sizeof(why)), -EBADMSG);
    cr_assert_eq(gp_parse_exec_status("{\"return\": {\"exited\": false}}", &st, why, sizeof(why)), 0);
    cr_assert(!st.exited);
    cr_assert_null(st.out);
    cr_assert_eq(gp_parse_exec("{\"return\": {\"pid\": -3}}", &(int64_t){0}, why, sizeof(why)), -EBADMSG);
    cr_assert_eq(gp_parse_exec("{\"return\": {\"pid\": \"3\"}}", &(int64_t){0}, why, sizeof(why)), -EBADMSG);
}

Test(hostile, cpustats_osinfo_file_types)
{
    struct gp_cpustat *cs;
    char why[GP_WHY_MAX], kr[64], *d;
    size_t len;
    bool eof;

    cr_assert_eq(gp_parse_cpustats("{\"return\": {}}", &cs, why, sizeof(why)), -EBADMSG);
    cr_assert_eq(gp_parse_cpustats("{\"return\": [{\"type\": \"linux\", \"cpu\": 0, \"steal\": -1}]}",
                                   &cs, why, sizeof(why)), -EBADMSG);
    cr_assert_eq(gp_parse_cpustats("{\"return\": [{\"type\": \"linux\", \"cpu\": 0, \"steal\": \"1\"}]}",
                                   &cs, why, sizeof(why)), -EBADMSG);
    cr_assert_eq(gp_parse_cpustats("{\"return\": [{\"type\": \"windows\"}, 5]}", &cs, why, sizeof(why)),
                 -EBADMSG);
    cr_assert_eq(gp_parse_cpustats("{\"return\": [{\"type\": \"windows\"}]}", &cs, why, sizeof(why)), 0);
    free(cs);
    cr_assert_eq(gp_parse_osinfo("{\"return\": {\"kernel-release\": []}}", kr, sizeof(kr), why,
                                 sizeof(why)), -EBADMSG);
    cr_assert_eq(gp_parse_osinfo("{\"return\": {\"kernel-release\": \"6.1\\u001b[2J\"}}", kr,
                                 sizeof(kr), why, sizeof(why)), 0);
    cr_assert_str_eq(kr, "6.1?[2J");
    cr_assert_eq(gp_parse_file_read("{\"return\": {\"count\": 5, \"buf-b64\": \"aGk=\", \"eof\": true}}",
                                    100, &d, &len, &eof, why, sizeof(why)), -EBADMSG);
    cr_assert_null(d);
    cr_assert_eq(gp_parse_file_open("{\"return\": \"3\"}", &(int64_t){0}, why, sizeof(why)), -EBADMSG);
}
