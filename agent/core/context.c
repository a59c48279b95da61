/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "agent/core/context.h"

#include <libvirt/virterror.h>
#include <signal.h>
#include <string.h>

#include "util/log.h"

int sg_ctx_fs(struct sg_ctx *ctx)
{
    struct sg_error err = {0};
    char msg[PATH_MAX + 512];
    int r;

    if (ctx->fs.proc_fd >= 0)
        return 0;
    r = sg_fs_open(&ctx->fs, ctx->proc_root, ctx->sys_root, &err);
    if (r < 0)
        sg_log_error("%s", sg_error_format(&err, msg, sizeof(msg)));
    return r;
}

int sg_ctx_connect(struct sg_ctx *ctx, bool write)
{
    const char *uri = ctx->uri ? ctx->uri : SG_DEFAULT_URI;

    if (ctx->conn && (ctx->conn_rw || !write))
        return 0;
    if (write && ctx->readonly) {
        sg_log_error("this command needs a read-write libvirt connection; drop -r/--readonly");
        return -EPERM;
    }
    if (ctx->conn) {
        virConnectClose(ctx->conn);
        ctx->conn = NULL;
    }
    /* The client writes to libvirtd's socket: a libvirtd that went away (stopped, restarted)
     * must fail the call with EPIPE, which the caller reports, not kill us silently with
     * SIGPIPE halfway through an action (the daemon ignores it too). */
    signal(SIGPIPE, SIG_IGN);
    ctx->conn = write ? virConnectOpen(uri) : virConnectOpenReadOnly(uri);
    if (!ctx->conn) {
        sg_log_error("cannot connect to libvirt at '%s': %s; is libvirtd running? "
                     "Start it ('systemctl start libvirtd', or 'libvirtd -d') or pass -c URI",
                     uri, virGetLastErrorMessage());
        return -EIO;
    }
    ctx->conn_rw = write;
    return 0;
}
