/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* swapguard: find libvirt/KVM guests whose RAM the host has swapped out. */
#include <getopt.h>
#include <libvirt/virterror.h>
#include <string.h>

#include "agent/cli/cli.h"
#include "config.h"

/* libvirt prints every error to stderr by default; we print one line at the top. */
static void quiet_libvirt_errors(void *opaque, virErrorPtr e)
{
    (void)opaque;
    (void)e;
}

int main(int argc, char **argv)
{
    struct option longopts[16];
    char shortopts[32] = "+";
    size_t n = 0;
    struct sg_ctx ctx = {
        .proc_root = "/",
        .sys_root = "/",
        .fs = { .proc_fd = -1, .sys_fd = -1, .run_fd = -1 },
        .out = stdout,
    };
    int c, r;

    /* getopt's tables from sg_global_opts, the one `help` and the man page print. */
    for (const struct sg_global_opt *o = sg_global_opts; o->name && n + 1 < sizeof(longopts) / sizeof(longopts[0]);
         o++, n++) {
        longopts[n] = (struct option){ o->name, o->arg_name ? required_argument : no_argument, NULL, o->val };
        if (o->short_name) {
            size_t l = strlen(shortopts);
            shortopts[l] = o->short_name;
            shortopts[l + 1] = '\0';
            if (o->arg_name)
                strcat(shortopts, ":");
        }
    }
    longopts[n] = (struct option){ NULL, 0, NULL, 0 };

    virSetErrorFunc(NULL, quiet_libvirt_errors);
    opterr = 0;
    while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            ctx.uri = optarg;
            break;
        case 'r':
            ctx.readonly = true;
            break;
        case SG_GOPT_JSON:
            ctx.json = true;
            break;
        case SG_GOPT_PROC_ROOT:
            ctx.proc_root = optarg;
            break;
        case SG_GOPT_SYS_ROOT:
            ctx.sys_root = optarg;
            break;
        case 'h':
            sg_print_usage(stdout);
            return 0;
        case 'V':
            printf("swapguard %s\n", SWAPGUARD_VERSION);
            return 0;
        default:
            if (optopt && strchr("c", optopt))
                sg_log_error("option '-%c' needs a value", optopt);
            else
                sg_log_error("unknown option '%s'; see 'swapguard help'", argv[optind - 1]);
            return 1;
        }
    }
    if (optind >= argc) {
        sg_print_usage(stderr);
        return 1;
    }
    r = sg_cmd_run(&ctx, argc - optind, argv + optind);
    if (fflush(ctx.out) != 0 && r == 0) {
        sg_log_error("cannot write output: %s", strerror(errno));
        r = 1;
    }
    if (ctx.conn)
        virConnectClose(ctx.conn);
    sg_fs_close(&ctx.fs);
    return r;
}
