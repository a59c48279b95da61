/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The command table's self-check, like virsh's vshCmddefCheckInternals. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <string.h>

#include "agent/cli/cli.h"

Test(cli_table, every_command_and_option_has_help)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    cr_assert_eq(sg_cmd_table_check(f), 0);
    fclose(f);
    cr_assert_eq(len, 0, "table check complained: %s", buf);
    free(buf);
}

Test(cli_table, the_commands_exist)
{
    static const char *const names[] = { "list", "domswap", "hoststats", "help", "version" };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        cr_assert_not_null(sg_cmd_find(names[i]), "command %s", names[i]);
    cr_assert_null(sg_cmd_find("nosuch"));
}

Test(cli_table, parse_rejects_unknown_option_and_missing_argument)
{
    const struct sg_cmd_def *d = sg_cmd_find("domswap");
    struct sg_cmd_args a;
    char *bad[] = { "domswap", "--bogus", "x", NULL };
    char *none[] = { "domswap", NULL };
    char *ok[] = { "domswap", "dom", "--interval", "0.5", NULL };

    cr_redirect_stderr();
    cr_assert_eq(sg_cmd_parse(d, 3, bad, &a), -EINVAL);
    cr_assert_eq(sg_cmd_parse(d, 1, none, &a), -EINVAL);
    cr_assert_eq(sg_cmd_parse(d, 4, ok, &a), 0);
    cr_assert_eq(a.argc, 1);
    cr_assert_str_eq(a.argv[0], "dom");
}

Test(fmt_safe, escapes_controls_and_non_ascii_but_not_backslashes)
{
    char buf[64];

    cr_assert_str_eq(sg_fmt_safe("ctl\ttab", buf, sizeof(buf)), "ctl\\x09tab");
    cr_assert_str_eq(sg_fmt_safe("csi\xc2\x9b[31m", buf, sizeof(buf)), "csi\\xc2\\x9b[31m");
    cr_assert_str_eq(sg_fmt_safe("a\x1b" "b\x7f", buf, sizeof(buf)), "a\\x1bb\\x7f");
    /* systemd's escapes in v2 cgroup paths stay readable (and usable as paths). */
    cr_assert_str_eq(sg_fmt_safe("/machine.slice/machine-qemu\\x2d7\\x2dsg.scope", buf, sizeof(buf)),
                     "/machine.slice/machine-qemu\\x2d7\\x2dsg.scope");
    /* Truncation never cuts an escape in half. */
    cr_assert_str_eq(sg_fmt_safe("ab\n", buf, 6), "ab");
    cr_assert_str_eq(sg_fmt_safe(NULL, buf, sizeof(buf)), "");
}

Test(cli_table, guestprobe_takes_a_domain_and_its_options)
{
    const struct sg_cmd_def *d = sg_cmd_find("guestprobe");
    struct sg_cmd_args a;
    char *ok[] = { "guestprobe", "dom", "--timeout", "3", "--json", NULL };
    char *none[] = { "guestprobe", NULL };

    cr_assert_not_null(d);
    cr_redirect_stderr();
    cr_assert_eq(sg_cmd_parse(d, 5, ok, &a), 0);
    cr_assert_eq(a.argc, 1);
    cr_assert_str_eq(a.argv[0], "dom");
    cr_assert_eq(sg_cmd_parse(d, 1, none, &a), -EINVAL);
}
