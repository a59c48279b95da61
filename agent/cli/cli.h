/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The swapguard command line: table-driven commands, virsh style. */
#pragma once

#include <json-c/json.h>
#include <libvirt/libvirt.h>

#include "hostprobe/sg-util.h"

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

#define SG_MAX_OPTS 8

struct sg_opt_def {
    const char *name;     /* long option, "--NAME" */
    const char *arg_name; /* NULL for a flag, else shown as "--NAME ARG" */
    const char *help;
};

struct sg_cmd_args {
    int argc;    /* positional arguments */
    char **argv;
    const char *val[SG_MAX_OPTS]; /* option values, by index in the command's opts table */
    bool set[SG_MAX_OPTS];
};

struct sg_cmd_def {
    const char *name;
    const char *synopsis_args; /* positional part of the synopsis, "" for none */
    int min_args, max_args;
    const struct sg_opt_def *opts; /* NULL-terminated by name, may be NULL */
    const char *summary;           /* one line for "help" */
    const char *help;              /* the full description */
    int (*handler)(struct sg_ctx *ctx, const struct sg_cmd_args *a);
};

/* The command table, NULL-terminated by name. */
extern const struct sg_cmd_def sg_commands[];

const struct sg_cmd_def *sg_cmd_find(const char *name);

/*
 * Checks the table the way virsh's self-test does: every command and option
 * has a summary/help, option counts fit SG_MAX_OPTS, names are unique.
 * Returns 0 or -EINVAL, printing the offending entry to f.
 */
int sg_cmd_table_check(FILE *f);

/* Parses argv (argv[0] = command name) against def's options into a. -EINVAL with a message on stderr. */
int sg_cmd_parse(const struct sg_cmd_def *def, int argc, char **argv, struct sg_cmd_args *a);

/*
 * Parses the value of option idx (opts[idx]) as a number from lo to hi into
 * out; leaves out unchanged when the option was not given. Logs one line
 * naming the option and returns -EINVAL when the value is not such a number.
 */
int sg_opt_number(const struct sg_opt_def *opts, const struct sg_cmd_args *a, int idx, double lo,
                  double hi, double *out);

/* Runs the command named by argv[0] with ctx. Returns the process exit code. */
int sg_cmd_run(struct sg_ctx *ctx, int argc, char **argv);

void sg_print_usage(FILE *f);
void sg_print_cmd_help(FILE *f, const struct sg_cmd_def *def);

/* Opens ctx->fs from --proc-root/--sys-root once. Logs and returns -errno on failure. */
int sg_ctx_fs(struct sg_ctx *ctx);

/*
 * Opens the libvirt connection once: read-only unless write (guest agent
 * commands need read-write; refused with -EPERM under -r). Logs one line
 * naming the URI and how to start libvirtd, and returns -EIO, on failure.
 */
int sg_ctx_connect(struct sg_ctx *ctx, bool write);

/* Command handlers that live in their own files (agent/cmd-*.c), with their option tables. */
extern const struct sg_opt_def sg_guestprobe_opts[];
int sg_cmd_guestprobe(struct sg_ctx *ctx, const struct sg_cmd_args *a); /* agent/cmd-guestprobe.c */
extern const struct sg_opt_def sg_diagnose_opts[], sg_recommend_opts[];
int sg_cmd_diagnose(struct sg_ctx *ctx, const struct sg_cmd_args *a); /* agent/cmd-diagnose.c */
int sg_cmd_recommend(struct sg_ctx *ctx, const struct sg_cmd_args *a); /* agent/cmd-recommend.c */
extern const struct sg_opt_def sg_apply_opts[], sg_rollback_opts[], sg_history_opts[];
int sg_cmd_apply(struct sg_ctx *ctx, const struct sg_cmd_args *a);    /* agent/cmd-apply.c */
int sg_cmd_rollback(struct sg_ctx *ctx, const struct sg_cmd_args *a); /* agent/cmd-apply.c */
int sg_cmd_history(struct sg_ctx *ctx, const struct sg_cmd_args *a);  /* agent/cmd-apply.c */
extern const struct sg_opt_def sg_report_opts[];
int sg_cmd_report(struct sg_ctx *ctx, const struct sg_cmd_args *a);   /* agent/cmd-report.c */
extern const struct sg_opt_def sg_agent_opts[];
int sg_cmd_agent(struct sg_ctx *ctx, const struct sg_cmd_args *a);    /* agent/cmd-agent.c */

/* Logs err (or strerror(-r)) as the one message of a failed command; returns exit code 1. */
int sg_report(int r, const struct sg_error *err);

/* Prints "swapguard: MSG" on stderr: the one message at the top. Control and
 * non-ASCII bytes of MSG are printed as \xNN (it carries operator input). */
void sg_log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sg_log_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same for what the long-running agent tells its log (journald under systemd). */
void sg_log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Output helpers (output.c). */
json_object *sg_json_u64(uint64_t v);        /* SG_NONE / SG_UNLIMITED -> null */
json_object *sg_json_double(double v);       /* NaN -> null */
json_object *sg_json_str(const char *s);     /* NULL -> null */
void sg_json_print(FILE *f, json_object *o); /* pretty, then newline */

/* Human-readable size from KiB: "1.5 GiB", "-" for SG_NONE, "unlimited" for SG_UNLIMITED. */
const char *sg_fmt_kib(uint64_t kib, char *buf, size_t size);
const char *sg_fmt_bytes(uint64_t bytes, char *buf, size_t size);
const char *sg_fmt_rate(double v, char *buf, size_t size);
const char *sg_fmt_u64(uint64_t v, char *buf, size_t size);
/* Copies s into buf with control and non-ASCII bytes as \xNN: safe for a terminal.
 * Backslashes are copied as they are, so cgroup paths with systemd's escapes
 * (machine-qemu\x2d1\x2dname.scope) print as the kernel names them. */
const char *sg_fmt_safe(const char *s, char *buf, size_t size);
