/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * swapguard complete: the candidates it prints for command lines, through
 * the command table as `swapguard complete -- WORDS...` runs it. Journal ids
 * come from a journal written by the journal's own code into a temporary
 * state_dir; domains are covered by tests/cli/test-complete.sh (libvirt's
 * test driver).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/actions/action-journal.h"
#include "agent/cli/cli.h"

static char tmpdir[] = "/tmp/sg-complete-XXXXXX";
static char state[sizeof(tmpdir) + 16], conf[sizeof(tmpdir) + 32];

/* Runs `complete -- WORDS...` and returns what it printed (static buffer). */
static const char *complete(int n, const char *const *words)
{
    static char out[8192];
    char *buf = NULL, *argv[64];
    size_t len = 0;
    struct sg_ctx ctx = {
        .proc_root = "/",
        .sys_root = "/",
        .fs = { .proc_fd = -1, .sys_fd = -1, .run_fd = -1 },
    };
    int rc;

    cr_assert_lt(n + 2, 64);
    argv[0] = "complete";
    argv[1] = "--";
    for (int i = 0; i < n; i++)
        argv[2 + i] = (char *)words[i];
    argv[n + 2] = NULL;
    ctx.out = open_memstream(&buf, &len);
    cr_assert_not_null(ctx.out);
    rc = sg_cmd_run(&ctx, n + 2, argv);
    fclose(ctx.out);
    cr_assert_eq(rc, 0, "complete exits 0");
    snprintf(out, sizeof(out), "%s", buf ? buf : "");
    free(buf);
    return out;
}

#define COMPLETES(expected, ...)                                                               \
    do {                                                                                       \
        const char *const w_[] = { __VA_ARGS__ };                                              \
        const char *got_ = complete((int)(sizeof(w_) / sizeof(w_[0])), w_);                    \
        cr_assert_str_eq(got_, expected, "words ending '%s'", w_[sizeof(w_) / sizeof(w_[0]) - 1]); \
    } while (0)

static void add(struct sg_action_journal *j, const char *action, const char *status)
{
    struct sg_error err = { 0 };
    unsigned id;

    cr_assert_eq(sg_action_journal_add(j, action, "dom", NULL, json_object_new_object(), json_object_new_object(),
                                       &id, &err), 0);
    if (status)
        cr_assert_eq(sg_action_journal_set_status(j, id, status, NULL, &err), 0);
}

static void setup(void)
{
    struct sg_action_journal j = { .lock_fd = -1 };
    struct sg_error err = { 0 };
    FILE *f;

    cr_assert_not_null(mkdtemp(tmpdir));
    snprintf(state, sizeof(state), "%s/state", tmpdir);
    snprintf(conf, sizeof(conf), "%s/swapguard.conf", tmpdir);
    f = fopen(conf, "w");
    cr_assert_not_null(f);
    fprintf(f, "[apply]\nstate_dir = %s\n", state);
    fclose(f);
    cr_assert_eq(sg_action_journal_open(&j, state, &err), 0);
    add(&j, "swap-limit", "applied");      /* 1: undoable */
    add(&j, "oom-protect", "rolled-back"); /* 2: undone already */
    add(&j, "swap-limit", "failed");       /* 3: nothing to undo */
    add(&j, "prefetch", "applied");        /* 4: prefetch has no rollback */
    add(&j, "lock-memory", NULL);          /* 5: "applying": a crash mid-way, rollback restores it */
    add(&j, "oom-protect", "applied");     /* 6 */
    sg_action_journal_close(&j);
}

static void teardown(void)
{
    char cmd[sizeof(tmpdir) + 16];

    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(complete, .init = setup, .fini = teardown);

Test(complete, commands_and_global_options)
{
    COMPLETES("diagnose\n", "dia");
    COMPLETES("domswap\ndiagnose\n", "d");
    COMPLETES("--connect\n", "--co");
    COMPLETES("recommend\nreport\n", "-r", "re");
    COMPLETES("", "nosuchcommand", "");
}

Test(complete, options_of_the_command_once_each)
{
    COMPLETES("--count\n--config\n", "diagnose", "--c");
    COMPLETES("--config\n", "diagnose", "--count", "3", "--c");
    COMPLETES("--json\n", "-c", "test:///default", "domswap", "--j");
}

Test(complete, choices_remedies_and_commands)
{
    COMPLETES("2M\n1G\n", "apply", "hugepages", "web", "--size", "");
    COMPLETES("swapoff\nswap-limit\n", "apply", "swap");
    COMPLETES("hoststats\nhistory\nhelp\n", "help", "h");
    COMPLETES("", "version", "");
}

Test(complete, rollback_offers_the_undoable_journal_ids)
{
    COMPLETES("1\n5\n6\n", "rollback", "--config", conf, "");
    COMPLETES("", "rollback", "--config=/nonexistent/swapguard.conf", "");
    COMPLETES("6\n", "rollback", "--yes", "--config", conf, "6");
}

Test(complete, quotes_and_backslashes_are_removed_from_the_words)
{
    COMPLETES("--config\n", "'rollback'", "\"--con");
    COMPLETES("1\n", "rollback", "--config", conf, "'1");
}
