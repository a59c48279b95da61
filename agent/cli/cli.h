/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The swapguard command line: table-driven commands, virsh style. */
#pragma once

#include <json-c/json.h>
#include <libvirt/libvirt.h>

#include "agent/core/context.h"
#include "util/fmt.h"
#include "util/log.h"
#include "util/sg-util.h"


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
    void (*help_head)(FILE *f);    /* may be NULL: prints the description's first lines, generated from
                                      a table (indented by two spaces), before help */
    const char *help;              /* the full description (after help_head's lines) */
    int (*handler)(struct sg_ctx *ctx, const struct sg_cmd_args *a);
};

/* A global option (before the command): `swapguard [OPTIONS] COMMAND`. */
struct sg_global_opt {
    char short_name;      /* 'c', or 0 for a long option only */
    const char *name;     /* long option, "--NAME" */
    const char *arg_name; /* NULL for a flag */
    int val;              /* what getopt_long returns for it (the short name, or SG_GOPT_*) */
    const char *help;
};
enum { SG_GOPT_JSON = 0x100, SG_GOPT_PROC_ROOT, SG_GOPT_SYS_ROOT };

/*
 * The global options, terminated by a NULL name: main.c parses with them, and
 * `help` and the man page (man/gen-man.c) print them.
 */
extern const struct sg_global_opt sg_global_opts[];

/* The command table, NULL-terminated; each entry is defined in its agent/cli/cmd-*.c. */
extern const struct sg_cmd_def *const sg_commands[];
extern const struct sg_cmd_def sg_cmd_def_list, sg_cmd_def_domswap, sg_cmd_def_hoststats,
    sg_cmd_def_guestprobe, sg_cmd_def_diagnose, sg_cmd_def_recommend, sg_cmd_def_apply,
    sg_cmd_def_rollback, sg_cmd_def_history, sg_cmd_def_report, sg_cmd_def_agent, sg_cmd_def_top,
    sg_cmd_def_plot, sg_cmd_def_complete, sg_cmd_def_help, sg_cmd_def_version;

const struct sg_cmd_def *sg_cmd_find(const char *name);

/* Whether `complete` (agent/cli/cmd-complete.c) knows what def's positional arguments are. */
bool sg_complete_knows(const struct sg_cmd_def *def);

/*
 * Checks the table the way virsh's self-test does: every command and option
 * has a summary/help, option counts fit SG_MAX_OPTS, names are unique, and
 * `complete` knows the arguments of every command that takes any.
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


struct sg_diag_opts;
/* Parses [DOMAIN|--all] --interval --count of a command (index -1: the command lacks it). */
int sg_diag_parse_common(const struct sg_opt_def *opts, const struct sg_cmd_args *a, int i_all,
                         int i_interval, int i_count, struct sg_diag_opts *o);
