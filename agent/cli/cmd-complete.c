/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * swapguard complete -- WORDS...: the candidates for the last of WORDS, one
 * per line, virsh's way; etc/bash-completion/swapguard calls it on Tab.
 *
 * WORDS are the words of the command line after "swapguard", as the shell
 * has them (quotes and backslashes still in: each is dequoted here), the last
 * one the word being completed (possibly empty). Candidates are printed raw
 * (a domain name with a space is one line): the completion script registers
 * with -o filenames, so bash quotes what it inserts. Names holding a control
 * byte (a newline would split the list) are left out.
 *
 * Never fails loudly: no libvirt, an unreadable journal or config give no
 * candidates of that kind, nothing on stderr, exit 0.
 */
#include <inttypes.h>
#include <string.h>

#include "agent/actions/apply.h"
#include "agent/cli/cli.h"

/* What a command's positional arguments are, for completion. */
enum arg_kind {
    ARG_NONE,
    ARG_DOMAIN_ACTIVE, /* a running domain's name */
    ARG_DOMAIN_ANY,    /* any domain's name, defined or running */
    ARG_COMMAND,       /* a command name (help) */
    ARG_ACTION,        /* an action of apply (sg_action_listed) */
    ARG_ACTION_TARGET, /* what the action of the word before acts on: a domain, or a swap device */
    ARG_JOURNAL_ID,    /* an undoable entry of the action journal (rollback) */
};

/*
 * The positional arguments of each command that takes any;
 * sg_cmd_table_check (through sg_complete_knows) refuses a command with
 * arguments that has no row here.
 */
static const struct {
    const char *cmd;
    enum arg_kind arg[2];
} arg_kinds[] = {
    { "domswap", { ARG_DOMAIN_ACTIVE } },
    { "guestprobe", { ARG_DOMAIN_ACTIVE } },
    { "diagnose", { ARG_DOMAIN_ACTIVE } },
    { "recommend", { ARG_DOMAIN_ACTIVE } },
    { "report", { ARG_DOMAIN_ACTIVE } },
    { "plot", { ARG_DOMAIN_ANY } }, /* a domain of the history: defined ones are the best guess */
    { "apply", { ARG_ACTION, ARG_ACTION_TARGET } },
    { "rollback", { ARG_JOURNAL_ID } },
    { "help", { ARG_COMMAND } },
    { "complete", { ARG_NONE } },
};

bool sg_complete_knows(const struct sg_cmd_def *def)
{
    for (size_t i = 0; i < sizeof(arg_kinds) / sizeof(arg_kinds[0]); i++)
        if (strcmp(arg_kinds[i].cmd, def->name) == 0)
            return true;
    return false;
}

static enum arg_kind arg_kind_of(const struct sg_cmd_def *def, int pos)
{
    for (size_t i = 0; i < sizeof(arg_kinds) / sizeof(arg_kinds[0]); i++)
        if (strcmp(arg_kinds[i].cmd, def->name) == 0)
            return pos < 2 ? arg_kinds[i].arg[pos] : ARG_NONE;
    return ARG_NONE;
}

/*
 * A word as the shell will pass it: backslash escapes, '...' and "..."
 * removed (an unclosed quote runs to the end: the word is being typed).
 * NULL when out of memory.
 */
static char *dequote(const char *s)
{
    char *out = malloc(strlen(s) + 1), *o = out;
    char q = 0;

    if (!out)
        return NULL;
    for (; *s; s++) {
        if (q == '\'') {
            if (*s == '\'')
                q = 0;
            else
                *o++ = *s;
        } else if (q == '"') {
            if (*s == '"')
                q = 0;
            else if (*s == '\\' && s[1] && strchr("\"\\$`", s[1]))
                *o++ = *++s;
            else
                *o++ = *s;
        } else if (*s == '\\' && s[1]) {
            *o++ = *++s;
        } else if (*s == '\'' || *s == '"') {
            q = *s;
        } else {
            *o++ = *s;
        }
    }
    *o = '\0';
    return out;
}

struct cands {
    FILE *out;
    const char *prefix; /* the dequoted word being completed */
};

/*
 * Prints name when it starts with the prefix and holds no control character
 * (C0, DEL, or a C1 control in UTF-8, U+0080 .. U+009F: a CSI would reach the
 * terminal when bash lists the candidates).
 */
static void offer(const struct cands *c, const char *name)
{
    if (!name || strncmp(name, c->prefix, strlen(c->prefix)) != 0)
        return;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p < 0x20 || *p == 0x7f || (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f))
            return;
    fprintf(c->out, "%s\n", name);
}

static void offer_domains(const struct cands *c, const char *uri, bool active_only)
{
    virConnectPtr conn = virConnectOpenReadOnly(uri ? uri : SG_DEFAULT_URI);
    virDomainPtr *doms = NULL;
    int n;

    if (!conn)
        return;
    n = virConnectListAllDomains(conn, &doms, active_only ? VIR_CONNECT_LIST_DOMAINS_ACTIVE : 0);
    for (int i = 0; i < n; i++) {
        offer(c, virDomainGetName(doms[i]));
        virDomainFree(doms[i]);
    }
    free(doms);
    virConnectClose(conn);
}

/* The swap devices of /proc/swaps (first column; the kernel writes a space in a path as \040). */
static void offer_swap_devices(const struct cands *c, const char *proc_root)
{
    char path[4096], line[4096];
    FILE *f;

    snprintf(path, sizeof(path), "%s/proc/swaps", proc_root);
    f = fopen(path, "re");
    if (!f)
        return;
    if (fgets(line, sizeof(line), f)) /* the header */
        while (fgets(line, sizeof(line), f)) {
            char *sp = strpbrk(line, " \t\n");

            if (sp)
                *sp = '\0';
            if (*line)
                offer(c, line);
        }
    fclose(f);
}

/* The ids of the journal entries rollback can undo, from [apply] state_dir of the config. */
static void offer_journal_ids(const struct cands *c, const char *config)
{
    struct sg_config cfg;
    json_object *root = NULL, *entries;
    int r;

    r = sg_config_load(&cfg, config ? config : SG_CONFIG_DEFAULT_PATH, !config, NULL, 0);
    if (r == 0)
        r = sg_action_journal_read(cfg.state_dir, SG_ACTION_JOURNAL_IN_DIR | SG_ACTION_JOURNAL_MISSING_EMPTY, &root,
                                   NULL);
    sg_config_clear(&cfg);
    if (r < 0 || !json_object_object_get_ex(root, "entries", &entries)) {
        json_object_put(root);
        return;
    }
    for (size_t i = 0; i < json_object_array_length(entries); i++) {
        json_object *e = json_object_array_get_idx(entries, i);
        const char *status = sg_action_entry_str(e, "status");
        const struct sg_action_def *act = sg_action_find(sg_action_entry_str(e, "action"));
        char id[32];

        if (!act || !act->rollback || (strcmp(status, "applied") != 0 && strcmp(status, "applying") != 0))
            continue;
        snprintf(id, sizeof(id), "%" PRId64, sg_action_entry_int(e, "id", 0));
        offer(c, id);
    }
    json_object_put(root);
}

/* The option of def named by word ("--NAME" or "--NAME=..."), or NULL. */
static const struct sg_opt_def *cmd_opt(const struct sg_cmd_def *def, const char *word)
{
    size_t len;

    if (strncmp(word, "--", 2) != 0)
        return NULL;
    word += 2;
    len = strcspn(word, "=");
    for (size_t i = 0; def->opts && def->opts[i].name; i++)
        if (strlen(def->opts[i].name) == len && strncmp(def->opts[i].name, word, len) == 0)
            return &def->opts[i];
    return NULL;
}

/* The global option named by word ("-c", "--connect", "--connect=URI"), or NULL. */
static const struct sg_global_opt *global_opt(const char *word)
{
    for (const struct sg_global_opt *o = sg_global_opts; o->name; o++) {
        size_t len = strlen(o->name);

        if ((o->short_name && word[0] == '-' && word[1] == o->short_name && !word[2]) ||
            (strncmp(word, "--", 2) == 0 && strncmp(word + 2, o->name, len) == 0 &&
             (word[2 + len] == '\0' || word[2 + len] == '=')))
            return o;
    }
    return NULL;
}

/* "VALUE|VALUE": the values of an option whose argument is a choice (apply --size 2M|1G). */
static void offer_choices(const struct cands *c, const char *arg_name)
{
    char buf[128], *save = NULL;

    if (!strchr(arg_name, '|'))
        return;
    snprintf(buf, sizeof(buf), "%s", arg_name);
    for (char *t = strtok_r(buf, "|", &save); t; t = strtok_r(NULL, "|", &save))
        offer(c, t);
}

static int cmd_complete(struct sg_ctx *ctx, const struct sg_cmd_args *a)
{
    _cleanup_free_ char **w = NULL;
    const char *uri = ctx->uri, *proc_root = ctx->proc_root, *config = NULL;
    const struct sg_cmd_def *def = NULL;
    const struct sg_opt_def *want_value = NULL; /* the word being completed is this option's value */
    bool want_global_value = false;
    const struct sg_action_def *action = NULL;
    bool used[SG_MAX_OPTS] = { false };
    int npos = 0, i;
    struct cands c = { .out = ctx->out };

    if (a->argc == 0)
        return 0;
    w = calloc((size_t)a->argc, sizeof(*w));
    if (!w)
        return 0;
    for (i = 0; i < a->argc; i++)
        if (!(w[i] = dequote(a->argv[i])))
            goto out;
    c.prefix = w[a->argc - 1];

    /* The words before the one being completed: global options, the command, its options and arguments. */
    for (i = 0; i < a->argc - 1; i++) {
        const char *word = w[i];

        if (!word)
            break; /* cannot happen (every word was dequoted above); for the analyzer */
        if (!def) {
            const struct sg_global_opt *g = global_opt(word);

            if (g) {
                const char *v = strchr(word, '=');

                if (g->arg_name && !v && i + 1 >= a->argc - 1) {
                    want_global_value = true; /* the value is the word being completed */
                    break;
                }
                if (g->arg_name && !v)
                    v = w[++i];
                else if (v)
                    v++;
                if (g->val == 'c')
                    uri = v;
                else if (g->val == SG_GOPT_PROC_ROOT)
                    proc_root = v;
                continue;
            }
            def = sg_cmd_find(word);
            if (!def)
                goto out; /* an unknown command: nothing sensible to offer */
            continue;
        }
        if (strcmp(word, "--") == 0)
            continue;
        if (word[0] == '-' && word[1]) {
            const struct sg_opt_def *o = cmd_opt(def, word);

            if (!o)
                continue;
            used[o - def->opts] = true;
            if (o->arg_name && !strchr(word, '=')) {
                if (i + 1 >= a->argc - 1) {
                    want_value = o;
                    break;
                }
                if (strcmp(o->name, "config") == 0)
                    config = w[i + 1];
                i++;
            } else if (o->arg_name && strcmp(o->name, "config") == 0) {
                config = strchr(word, '=') + 1;
            }
            continue;
        }
        if (npos == 0 && arg_kind_of(def, 0) == ARG_ACTION)
            action = sg_action_find(word);
        npos++;
    }

    if (want_global_value)
        goto out; /* a URI or a directory: the shell's default completion */
    if (!def) {
        if (c.prefix[0] == '-') {
            for (const struct sg_global_opt *g = sg_global_opts; g->name; g++) {
                char flag[64];

                snprintf(flag, sizeof(flag), "--%s", g->name);
                offer(&c, flag);
            }
        } else {
            for (const struct sg_cmd_def *const *dp = sg_commands; *dp; dp++)
                offer(&c, (*dp)->name);
        }
        goto out;
    }
    if (want_value) {
        if (strcmp(want_value->arg_name, "GLOB") == 0)
            offer_domains(&c, uri, false);
        else
            offer_choices(&c, want_value->arg_name);
        goto out;
    }
    if (c.prefix[0] == '-') {
        for (size_t k = 0; def->opts && def->opts[k].name; k++) {
            char flag[64];

            if (used[k])
                continue;
            snprintf(flag, sizeof(flag), "--%s", def->opts[k].name);
            offer(&c, flag);
        }
        offer(&c, "--help");
        goto out;
    }
    if (npos >= def->max_args)
        goto out;
    switch (arg_kind_of(def, npos)) {
    case ARG_NONE:
        break;
    case ARG_DOMAIN_ACTIVE:
        offer_domains(&c, uri, true);
        break;
    case ARG_DOMAIN_ANY:
        offer_domains(&c, uri, false);
        break;
    case ARG_COMMAND:
        for (const struct sg_cmd_def *const *dp = sg_commands; *dp; dp++)
            offer(&c, (*dp)->name);
        break;
    case ARG_ACTION:
        for (size_t k = 0; (action = sg_action_listed(k)); k++)
            offer(&c, sg_action_name(action));
        break;
    case ARG_ACTION_TARGET:
        if (!action)
            break;
        if (action->host)
            offer_swap_devices(&c, proc_root);
        else
            offer_domains(&c, uri, !!action->live); /* the XML remedies also act on defined domains */
        break;
    case ARG_JOURNAL_ID:
        offer_journal_ids(&c, config);
        break;
    }
out:
    for (i = 0; w && i < a->argc; i++)
        free(w[i]);
    return 0;
}

const struct sg_cmd_def sg_cmd_def_complete = {
    .name = "complete",
    .synopsis_args = "-- WORDS...",
    .max_args = 1000,
    .summary = "print the completions of a command line (for the bash completion)",
    .help = "WORDS are the words of a swapguard command line after 'swapguard', the last one\n"
            "the word being completed (empty for a new word). Prints one candidate per line:\n"
            "commands, options of the command, domain names (from a read-only libvirt\n"
            "connection; -c in WORDS is honoured), apply's remedies, swap devices for\n"
            "swapoff (--proc-root in WORDS is honoured), and rollback's journal ids\n"
            "([apply] state_dir of the --config in WORDS, else of the default config).\n"
            "Quotes and backslashes in WORDS are removed first; candidates are printed\n"
            "unquoted. Prints nothing where it cannot tell (no libvirt, no journal), and\n"
            "never fails. The bash completion script calls it on Tab.",
    .handler = cmd_complete,
};
