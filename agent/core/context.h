/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The context of one invocation (a CLI command or the daemon): the libvirt
 * connection, opened once on first use, and the /proc, /sys, /run roots.
 */
#pragma once

#include <libvirt/libvirt.h>
#include <stdbool.h>
#include <stdio.h>

#include "util/sg-util.h"

#define SG_DEFAULT_URI "qemu:///system"

/* Global state of one invocation (the only global state lives in agent/). */
struct sg_ctx {
    const char *uri;       /* -c/--connect; NULL: qemu:///system */
    bool readonly;         /* -r: refuse commands that need a read-write connection */
    bool json;             /* --json */
    const char *proc_root; /* --proc-root, default "/" */
    const char *sys_root;  /* --sys-root, default "/" */
    struct sg_fs fs;
    virConnectPtr conn;    /* opened on first use (sg_ctx_connect) */
    bool conn_rw;          /* conn is read-write */
    FILE *out;
};

/* Opens ctx->fs from --proc-root/--sys-root once. Logs and returns -errno on failure. */
int sg_ctx_fs(struct sg_ctx *ctx);

/*
 * Opens the libvirt connection once: read-only unless write (guest agent
 * commands need read-write; refused with -EPERM under -r). Logs one line
 * naming the URI and how to start libvirtd, and returns -EIO, on failure.
 * Sets SIGPIPE to SIG_IGN for the process: a libvirtd that goes away makes
 * the next call fail (EPIPE) instead of killing the process.
 */
int sg_ctx_connect(struct sg_ctx *ctx, bool write);
