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
    enum { OPT_JSON = 0x100, OPT_PROC_ROOT, OPT_SYS_ROOT };
    static const struct option longopts[] = {
        { "connect", required_argument, NULL, 'c' },
        { "readonly", no_argument, NULL, 'r' },
        { "json", no_argument, NULL, OPT_JSON },
        { "proc-root", required_argument, NULL, OPT_PROC_ROOT },
        { "sys-root", required_argument, NULL, OPT_SYS_ROOT },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    struct sg_ctx ctx = {
        .proc_root = "/",
        .sys_root = "/",
        .fs = { .proc_fd = -1, .sys_fd = -1, .run_fd = -1 },
        .out = stdout,
    };
    int c, r;

    virSetErrorFunc(NULL, quiet_libvirt_errors);
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+c:rhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            ctx.uri = optarg;
            break;
        case 'r':
            ctx.readonly = true;
            break;
        case OPT_JSON:
            ctx.json = true;
            break;
        case OPT_PROC_ROOT:
            ctx.proc_root = optarg;
            break;
        case OPT_SYS_ROOT:
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
