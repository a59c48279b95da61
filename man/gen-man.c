/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Writes the scdoc source of a man page at build time: a hand-written
 * template (man/NAME.SECTION.scd.in) with its generated parts filled in from the tables
 * the program itself runs on, so the pages cannot drift from them:
 *
 *   @VERSION@         the project version (anywhere on a line)
 *   @GLOBAL_OPTIONS@  sg_global_opts (agent/cli/cli.c), what main.c parses and `help` prints
 *   @COMMANDS@        sg_commands[] with each command's synopsis, help and option table
 *   @CONFIG_KEYS@     the key table of the config parser (agent/core/config.c)
 *
 * Usage: gen-man TEMPLATE > PAGE.scd
 * Exit 0, or 1 with a message on stderr (unreadable template, write error).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cli/cli.h"
#include "agent/core/config.h"
#include "config.h"

/*
 * Text as scdoc reads it literally: '\', '*' and '_' escaped everywhere (bold,
 * underline), and the first character of a line escaped where scdoc would take
 * it for a list, table, header or comment.
 */
static void put_text(FILE *out, const char *s, size_t len)
{
    bool line_start = true;

    for (size_t i = 0; i < len; i++) {
        char c = s[i];

        if ((c == '\\' || c == '*' || c == '_') || (line_start && strchr("-.;|:[#", c)))
            fputc('\\', out);
        /* "++" at the end of a line is scdoc's line break. */
        if (c == '+' && i + 1 < len && s[i + 1] == '+')
            fputc('\\', out);
        fputc(c, out);
        line_start = c == '\n';
    }
}

static void put_str(FILE *out, const char *s)
{
    put_text(out, s, strlen(s));
}

/* A help text of the command table: its lines, joined into paragraphs by roff's filling. */
static void put_help(FILE *out, const char *help, const char *indent)
{
    for (const char *p = help; *p;) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);

        fputs(indent, out);
        put_text(out, p, len);
        fputc('\n', out);
        p += len + (e ? 1 : 0);
    }
}

/* What help_head prints (an aligned table): a literal block, its columns kept. */
static int put_help_head(FILE *out, const struct sg_cmd_def *d)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);

    if (!m)
        return -errno;
    d->help_head(m);
    if (fclose(m) != 0) {
        free(buf);
        return -EIO;
    }
    fputs("\t```\n", out);
    for (const char *p = buf; *p;) {
        const char *e = strchr(p, '\n');
        size_t l = e ? (size_t)(e - p) : strlen(p);

        /* Drop help's two-space indent: the block is indented already. */
        if (l >= 2 && p[0] == ' ' && p[1] == ' ') {
            p += 2;
            l -= 2;
        }
        fputc('\t', out);
        for (size_t i = 0; i < l; i++) {
            if (p[i] == '\\')
                fputc('\\', out);
            fputc(p[i], out);
        }
        fputc('\n', out);
        p += l + (e ? 1 : 0);
    }
    fputs("\t```\n\n", out);
    free(buf);
    return 0;
}

static void put_global_options(FILE *out)
{
    for (const struct sg_global_opt *o = sg_global_opts; o->name; o++) {
        if (o->short_name)
            fprintf(out, "*-%c*, ", o->short_name);
        fputs("*--", out);
        put_str(out, o->name);
        fputc('*', out);
        if (o->arg_name) {
            fputs(" _", out);
            put_str(out, o->arg_name);
            fputc('_', out);
        }
        fputs("\n\t", out);
        put_str(out, o->help);
        fputs(".\n\n", out);
    }
}

static int put_commands(FILE *out)
{
    for (const struct sg_cmd_def *const *dp = sg_commands, *d; (d = *dp); dp++) {
        size_t n = 0;

        while (d->opts && d->opts[n].name)
            n++;
        fputs("## ", out);
        put_str(out, d->name);
        fputs("\n\n*swapguard ", out);
        put_str(out, d->name);
        fputc('*', out);
        if (n)
            fputs(" [_OPTIONS_]", out);
        if (*d->synopsis_args) {
            fputc(' ', out);
            put_str(out, d->synopsis_args);
        }
        fputs("\n\n\t", out);
        put_str(out, d->summary);
        fputs(".\n\n", out);
        if (d->help_head) {
            int r = put_help_head(out, d);
            if (r < 0)
                return r;
        }
        put_help(out, d->help, "\t");
        fputc('\n', out);
        for (size_t i = 0; i < n; i++) {
            fputs("\t*--", out);
            put_str(out, d->opts[i].name);
            fputc('*', out);
            if (d->opts[i].arg_name) {
                fputs(" _", out);
                put_str(out, d->opts[i].arg_name);
                fputc('_', out);
            }
            fputs("\n\t\t", out);
            put_str(out, d->opts[i].help);
            fputs(".\n\n", out);
        }
    }
    return 0;
}

static int put_config_keys(FILE *out)
{
    struct sg_config_key_info k;
    const char *section = NULL;

    for (size_t i = 0; sg_config_key_info(i, &k) == 0; i++) {
        if (!section || strcmp(section, k.section) != 0) {
            section = k.section;
            fputs("## [", out);
            put_str(out, section);
            fputs("]\n\n", out);
        }
        fputc('*', out);
        put_str(out, k.name);
        fputs("* = ", out);
        if (*k.default_value) {
            fputc('_', out);
            put_str(out, k.default_value);
            fputc('_', out);
        } else {
            fputs("(empty)", out);
        }
        fputs("\n\t", out);
        put_str(out, k.help);
        fputs("\n\n\tValue: ", out);
        put_str(out, k.type);
        if (k.ranged) {
            /* A unit in parentheses names the setting's scale rather than a unit. */
            if (k.unit && k.unit[0] != '(') {
                fputs(" of ", out);
                put_str(out, k.unit);
            }
            fprintf(out, ", %.15g .. %.15g", k.min, k.max);
            if (k.unit && k.unit[0] == '(') {
                fputc(' ', out);
                put_str(out, k.unit);
            }
        }
        fputs(". Default: ", out);
        put_str(out, *k.default_value ? k.default_value : "empty");
        fputs(".\n\n", out);
    }
    return 0;
}

int main(int argc, char **argv)
{
    char line[4096];
    FILE *in;
    int r = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: %s TEMPLATE > PAGE.scd\n", argv[0]);
        return 1;
    }
    in = fopen(argv[1], "re");
    if (!in) {
        fprintf(stderr, "%s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    while (r == 0 && fgets(line, sizeof(line), in)) {
        char *v;

        if (strcmp(line, "@GLOBAL_OPTIONS@\n") == 0)
            put_global_options(stdout);
        else if (strcmp(line, "@COMMANDS@\n") == 0)
            r = put_commands(stdout);
        else if (strcmp(line, "@CONFIG_KEYS@\n") == 0)
            r = put_config_keys(stdout);
        else if ((v = strstr(line, "@VERSION@"))) {
            fwrite(line, 1, (size_t)(v - line), stdout);
            fputs(SWAPGUARD_VERSION, stdout);
            fputs(v + strlen("@VERSION@"), stdout);
        } else
            fputs(line, stdout);
    }
    if (ferror(in))
        r = -EIO;
    fclose(in);
    if (fflush(stdout) != 0 || ferror(stdout))
        r = -EIO;
    if (r < 0) {
        fprintf(stderr, "gen-man: %s: %s\n", argv[1], strerror(-r));
        return 1;
    }
    return 0;
}
