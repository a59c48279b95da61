/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* swapguard help, version. */
#include <libvirt/libvirt.h>
#include <string.h>

#include "agent/cli/cli.h"
#include "config.h"

static int cmd_help(struct sg_ctx *ctx, const struct sg_cmd_args *a)
{
    const struct sg_cmd_def *def;

    if (a->argc == 0) {
        sg_print_usage(ctx->out);
        return 0;
    }
    def = sg_cmd_find(a->argv[0]);
    if (!def) {
        char name[256];
        sg_log_error("unknown command '%s'; 'swapguard help' lists them",
                     sg_fmt_safe(a->argv[0], name, sizeof(name)));
        return 1;
    }
    sg_print_cmd_help(ctx->out, def);
    return 0;
}

static int cmd_version(struct sg_ctx *ctx, const struct sg_cmd_args *a)
{
    unsigned long lib = 0;

    fprintf(ctx->out, "swapguard %s\n", SWAPGUARD_VERSION);
    if (virGetVersion(&lib, NULL, NULL) == 0)
        fprintf(ctx->out, "libvirt library %lu.%lu.%lu\n", lib / 1000000, lib / 1000 % 1000,
                lib % 1000);
    return 0;
}

/* ---- the table ------------------------------------------------------------ */

const struct sg_cmd_def sg_cmd_def_help = {
    .name = "help",
    .synopsis_args = "[COMMAND]",
    .max_args = 1,
    .summary = "list the commands, or describe one",
    .help = "Without COMMAND, lists the commands and the global options.",
    .handler = cmd_help,
};

const struct sg_cmd_def sg_cmd_def_version = {
    .name = "version",
    .synopsis_args = "",
    .summary = "print the versions of swapguard and the libvirt library",
    .help = "Prints swapguard's version and the libvirt library it runs with.",
    .handler = cmd_version,
};
