/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <inttypes.h>
#include <libvirt/virterror.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "agent/cli/cli.h"
#include "agent/core/figures.h"
#include "guestprobe/qga-channel.h"
#include "hostprobe/cgroup.h"
#include "hostprobe/domains.h"
#include "hostprobe/hostmem.h"
#include "hostprobe/sample.h"
#include "hostprobe/smaps.h"
#include "policies/rates.h"


/* ---- shared plumbing ---------------------------------------------------- */


/* The commands, in the order of `swapguard help`; each lives in its cmd-*.c with its options. */
const struct sg_cmd_def *const sg_commands[] = {
    &sg_cmd_def_list,
    &sg_cmd_def_top,
    &sg_cmd_def_domswap,
    &sg_cmd_def_hoststats,
    &sg_cmd_def_guestprobe,
    &sg_cmd_def_diagnose,
    &sg_cmd_def_recommend,
    &sg_cmd_def_apply,
    &sg_cmd_def_rollback,
    &sg_cmd_def_history,
    &sg_cmd_def_report,
    &sg_cmd_def_agent,
    &sg_cmd_def_plot,
    &sg_cmd_def_complete,
    &sg_cmd_def_help,
    &sg_cmd_def_version,
    NULL,
};

const struct sg_global_opt sg_global_opts[] = {
    { 'c', "connect", "URI", 'c', "libvirt URI (default " SG_DEFAULT_URI ")" },
    { 'r', "readonly", NULL, 'r', "refuse commands that need a read-write connection" },
    { 0, "json", NULL, SG_GOPT_JSON, "print one JSON document" },
    { 0, "proc-root", "DIR", SG_GOPT_PROC_ROOT, "read DIR/proc and DIR/run instead of /proc and /run" },
    { 0, "sys-root", "DIR", SG_GOPT_SYS_ROOT, "read DIR/sys instead of /sys" },
    { 'h', "help", NULL, 'h', "this text" },
    { 'V', "version", NULL, 'V', "print the version" },
    { .name = NULL },
};

int sg_opt_number(const struct sg_opt_def *opts, const struct sg_cmd_args *a, int idx, double lo,
                  double hi, double *out)
{
    char *end, val[128];
    double v;

    if (!a->set[idx])
        return 0;
    errno = 0;
    v = strtod(a->val[idx], &end);
    if (errno || end == a->val[idx] || *end || !(v >= lo) || v > hi) {
        sg_log_error("--%s: '%s' is not a number from %g to %g", opts[idx].name,
                     sg_fmt_safe(a->val[idx], val, sizeof(val)), lo, hi);
        return -EINVAL;
    }
    *out = v;
    return 0;
}

const struct sg_cmd_def *sg_cmd_find(const char *name)
{
    for (const struct sg_cmd_def *const *dp = sg_commands, *d; (d = *dp); dp++)
        if (strcmp(d->name, name) == 0)
            return d;
    return NULL;
}

static size_t count_opts(const struct sg_cmd_def *def)
{
    size_t n = 0;
    while (def->opts && def->opts[n].name)
        n++;
    return n;
}

int sg_cmd_table_check(FILE *f)
{
    int r = 0;

    for (const struct sg_cmd_def *const *dp = sg_commands, *d; (d = *dp); dp++) {
        size_t n = count_opts(d);

        if (!d->summary || !*d->summary || !d->help || !*d->help || !d->handler) {
            fprintf(f, "command '%s' lacks a summary, help or handler\n", d->name);
            r = -EINVAL;
        }
        if (!d->synopsis_args || d->min_args > d->max_args) {
            fprintf(f, "command '%s': bad synopsis or argument counts\n", d->name);
            r = -EINVAL;
        }
        if (sg_cmd_find(d->name) != d) {
            fprintf(f, "command '%s' is listed twice\n", d->name);
            r = -EINVAL;
        }
        if (d->max_args > 0 && !sg_complete_knows(d)) {
            fprintf(f, "command '%s' takes arguments, but 'complete' has no row for them "
                    "(arg_kinds in agent/cli/cmd-complete.c)\n", d->name);
            r = -EINVAL;
        }
        if (n > SG_MAX_OPTS) {
            fprintf(f, "command '%s' has more than %d options\n", d->name, SG_MAX_OPTS);
            r = -EINVAL;
        }
        for (size_t i = 0; i < n; i++) {
            if (!d->opts[i].help || !*d->opts[i].help) {
                fprintf(f, "option '--%s' of '%s' lacks help\n", d->opts[i].name, d->name);
                r = -EINVAL;
            }
            for (size_t j = 0; j < i; j++)
                if (strcmp(d->opts[i].name, d->opts[j].name) == 0) {
                    fprintf(f, "option '--%s' of '%s' is listed twice\n", d->opts[i].name, d->name);
                    r = -EINVAL;
                }
        }
    }
    return r;
}

void sg_print_usage(FILE *f)
{
    fprintf(f,
            "Usage: swapguard [OPTIONS] COMMAND [ARGS]\n"
            "\n"
            "Finds libvirt/KVM guests whose RAM the host has swapped out.\n"
            "\n"
            "Options:\n");
    for (const struct sg_global_opt *o = sg_global_opts; o->name; o++) {
        char flag[64];

        snprintf(flag, sizeof(flag), "%c%c%c --%s%s%s", o->short_name ? '-' : ' ',
                 o->short_name ? o->short_name : ' ', o->short_name ? ',' : ' ', o->name,
                 o->arg_name ? " " : "", o->arg_name ? o->arg_name : "");
        fprintf(f, "  %-19s %s\n", flag, o->help);
    }
    fprintf(f, "\nCommands:\n");
    for (const struct sg_cmd_def *const *dp = sg_commands, *d; (d = *dp); dp++)
        fprintf(f, "  %-12s %s\n", d->name, d->summary);
    fprintf(f, "\n'swapguard help COMMAND' describes one command.\n");
}

void sg_print_cmd_help(FILE *f, const struct sg_cmd_def *def)
{
    size_t n = count_opts(def);

    fprintf(f, "NAME\n  %s - %s\n\nSYNOPSIS\n  swapguard %s%s%s%s\n\nDESCRIPTION\n", def->name,
            def->summary, def->name, n ? " [OPTIONS]" : "", *def->synopsis_args ? " " : "",
            def->synopsis_args);
    if (def->help_head)
        def->help_head(f);
    for (const char *p = def->help; *p;) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        fprintf(f, "  %.*s\n", (int)len, p);
        p += len + (e ? 1 : 0);
    }
    if (n) {
        fprintf(f, "\nOPTIONS\n");
        for (size_t i = 0; i < n; i++) {
            char flag[64];
            snprintf(flag, sizeof(flag), "--%s%s%s", def->opts[i].name,
                     def->opts[i].arg_name ? " " : "",
                     def->opts[i].arg_name ? def->opts[i].arg_name : "");
            fprintf(f, "  %-16s %s\n", flag, def->opts[i].help);
        }
    }
}

int sg_cmd_parse(const struct sg_cmd_def *def, int argc, char **argv, struct sg_cmd_args *a)
{
    struct option longopts[SG_MAX_OPTS + 2];
    size_t n = count_opts(def);
    int c, idx;

    memset(a, 0, sizeof(*a));
    memset(longopts, 0, sizeof(longopts));
    for (size_t i = 0; i < n && i < SG_MAX_OPTS; i++) {
        longopts[i].name = def->opts[i].name;
        longopts[i].has_arg = def->opts[i].arg_name ? required_argument : no_argument;
        longopts[i].val = 0x100 + (int)i;
    }
    longopts[n].name = "help";
    longopts[n].val = 'h';

    optind = 0; /* glibc: full re-initialisation */
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, &idx)) != -1) {
        if (c == 'h') {
            sg_print_cmd_help(stdout, def);
            return 1;
        }
        if (c >= 0x100 && c < 0x100 + (int)n) {
            a->set[c - 0x100] = true;
            a->val[c - 0x100] = optarg;
            continue;
        }
        if (c == ':' || (c == '?' && optopt >= 0x100))
            sg_log_error("%s: option '%s' needs a value", def->name, argv[optind - 1]);
        else
            sg_log_error("%s: unknown option '%s'; see 'swapguard help %s'", def->name,
                         argv[optind - 1], def->name);
        return -EINVAL;
    }
    a->argc = argc - optind;
    a->argv = argv + optind;
    if (a->argc < def->min_args || a->argc > def->max_args) {
        sg_log_error("%s: expected %s%s; see 'swapguard help %s'", def->name,
                     *def->synopsis_args ? def->synopsis_args : "no arguments",
                     a->argc > def->max_args ? " only" : "", def->name);
        return -EINVAL;
    }
    return 0;
}

int sg_cmd_run(struct sg_ctx *ctx, int argc, char **argv)
{
    const struct sg_cmd_def *def = sg_cmd_find(argv[0]);
    struct sg_cmd_args a;
    int r;

    if (!def) {
        char name[256];
        sg_log_error("unknown command '%s'; 'swapguard help' lists them",
                     sg_fmt_safe(argv[0], name, sizeof(name)));
        return 1;
    }
    r = sg_cmd_parse(def, argc, argv, &a);
    if (r != 0)
        return r > 0 ? 0 : 1;
    r = def->handler(ctx, &a);
    return r < 0 ? 1 : r; /* a handler returns 0, an exit code, or -errno (logged) */
}
