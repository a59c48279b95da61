/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * swapguard.conf with libinih. Debian's libinih (55-1) is built with
 * INI_HANDLER_LINENO 0 and a 200-byte line buffer: the handler gets no line
 * number, and a longer line would be split by fgets() into two "lines" (the
 * tail parsed as a line of its own, every later line number off by one). So
 * the file is fed through our own reader (ini_parse_stream), which counts
 * lines, refuses over-long lines and NUL bytes, and checks section headers
 * and syntax itself, so that every error names FILE:LINE.
 *
 * Keys are data: one table row per key, with its section, type, range and
 * unit; etc/swapguard.conf documents the same keys with their defaults.
 */
#include "agent/core/config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "agent/core/lvcall.h"
#include "util/fmt.h"

enum key_kind {
    K_DOUBLE,  /* double */
    K_UINT,    /* unsigned, whole number */
    K_INT,     /* int, whole number */
    K_MIB,     /* uint64_t KiB field, the file says MiB */
    K_BOOL,    /* bool: yes/no/true/false/1/0 */
    K_DOMAINS, /* critical_domains: names or UUIDs, space separated */
    K_PATH,    /* char[SG_CONFIG_PATH_MAX]: an absolute path, or empty (off) */
    K_ACTIONS, /* unsigned mask of SG_REC_BIT(action): live remedy names, space separated */
};

struct key_def {
    const char *section;
    const char *name;
    enum key_kind kind;
    size_t offset;    /* into struct sg_config */
    double min, max;  /* accepted range (numeric kinds) */
    const char *unit; /* for "(expected ...)" */
    const char *help; /* what it sets: the man page swapguard.conf(5) */
};

/* 16 TiB in MiB: far above any sensible size, and * 1024 cannot overflow. */
#define MIB_MAX 16777216.0
#define RATE_MAX 1e9

#define F(member) offsetof(struct sg_config, member)

static const char *const sections[] = { "sampler", "guestprobe", "verdict", "recommend", "apply",
                                         "report", "agent" };

static const struct key_def keys[] = {
    { "sampler", "interval", K_DOUBLE, F(interval_s), 0.1, 3600, "seconds",
      "Seconds between two samples (ticks) of the host and the domains." },
    { "sampler", "ring_length", K_UINT, F(ring_length), 2, 100000, "ticks",
      "Ticks kept per domain in the sample ring." },
    { "sampler", "window", K_DOUBLE, F(window_s), 0, 86400, "seconds (0: the whole ring)",
      "Seconds of history a verdict looks back over; 0: the whole ring." },
    { "sampler", "libvirt_timeout_ms", K_INT, F(libvirt_timeout_ms), 50, 600000, "milliseconds",
      "Milliseconds a tick waits for one libvirt call (stats, guest probe, metadata, listing); a "
      "domain whose call outlives it is stale until that call returns." },
    { "sampler", "block_stats_interval", K_DOUBLE, F(block_stats_interval_s), 0, 3600,
      "seconds (0: every tick)",
      "Seconds between two reads of a domain's libvirt block stats by the agent (the host-side "
      "disk latency of guest-io-stall); 0: every tick. Each read is a libvirt call on a worker "
      "thread, the costliest part of a tick; between reads the last figures stand." },
    { "guestprobe", "enabled", K_BOOL, F(guest_probe), 0, 0, NULL,
      "Ask each guest's qemu-ga for evidence (D-state tasks, hung-task reports, guest swap)." },
    { "guestprobe", "timeout", K_INT, F(guest_timeout_s), 1, 60, "seconds",
      "Seconds to wait for one guest-agent reply." },
    { "guestprobe", "hung_report_max_age", K_DOUBLE, F(hung_max_age_s), 0, 31536000, "seconds (0: no limit)",
      "Seconds, by the guest's own clock, a hung-task report stays evidence; older ones are "
      "history. 0: no limit." },
    { "verdict", "host_swap_min_mib", K_MIB, F(verdict.host_swap_min_kib), 0, MIB_MAX, "MiB",
      "Guest RAM in host swap (VmSwap or cgroup swap), in MiB, at or above which it counts." },
    { "verdict", "swapin_rate_min", K_DOUBLE, F(verdict.swapin_rate_min), 0, RATE_MAX, "major faults/s",
      "Major faults per second of the domain's memory cgroup that count as swap-ins." },
    { "verdict", "apf_rate_min", K_DOUBLE, F(verdict.apf_rate_min), 0, RATE_MAX, "async-PF events/s",
      "kvm_async_pf_not_present events per second (async-PF stalls) that count." },
    { "verdict", "psi_some_min", K_DOUBLE, F(verdict.psi_some_min), 0, 100, "percent",
      "Memory PSI \"some\" avg10, in percent, that counts as pressure." },
    { "verdict", "psi_full_min", K_DOUBLE, F(verdict.psi_full_min), 0, 100, "percent",
      "Memory PSI \"full\" avg10, in percent, that counts as pressure." },
    { "verdict", "refault_rate_min", K_DOUBLE, F(verdict.refault_rate_min), 0, RATE_MAX, "pages/s",
      "Host anonymous refaults (workingset_refault_anon), pages per second, that count." },
    { "verdict", "guest_swap_min_mib", K_MIB, F(verdict.guest_swap_min_kib), 0, MIB_MAX, "MiB",
      "Swap used inside a guest, in MiB, at or above which it counts." },
    { "verdict", "guest_swapout_rate_min", K_DOUBLE, F(verdict.guest_swapout_rate_min), 0, RATE_MAX, "pages/s",
      "Guest pswpout, pages per second, that counts as the guest swapping out." },
    { "verdict", "swapin_delay_min", K_DOUBLE, F(verdict.swapin_delay_min_ms), 1, 1e6, "ms/s",
      "vCPU time lost waiting for host swap-in, in ms per second summed over the vCPU threads "
      "(taskstats swapin_delay_total, plus blkio_delay_total while the host swaps the guest), at "
      "or above which the verdict is a synchronous host-swap-stall." },
    { "verdict", "swapin_look_share_min", K_DOUBLE, F(verdict.swapin_look_share_min), 0.01, 1, "(share of looks)",
      "Share of the looks at the vCPU threads' wchan that found one in D state in the host's "
      "swap-in path, at or above which (with host swap figures) the verdict is host-swap-stall." },
    { "verdict", "swapin_looks_min", K_UINT, F(verdict.swapin_looks_min), 1, 1e6, "looks",
      "Looks in the swap-in path needed, besides swapin_look_share_min, in the window." },
    { "verdict", "cpu_delay_min", K_DOUBLE, F(verdict.cpu_delay_min_ms), 1, 1000, "ms/s per vCPU",
      "Run-queue wait of the vCPU threads (taskstats cpu_delay_total, else schedstat run delay), "
      "in ms per second per vCPU, or guest steal in ms per second, at or above which the verdict "
      "is host-cpu-contention." },
    { "verdict", "disk_ms_per_req_min", K_DOUBLE, F(verdict.disk_ms_per_req_min), 0.001, 3600000, "ms per request",
      "Host-side disk latency (libvirt block stats), ms per request, at or above which guest "
      "D-state tasks on I/O make a guest-io-stall." },
    { "verdict", "hung_reports_min", K_UINT, F(verdict.hung_reports_min), 1, 1e6, "reports",
      "Hung-task reports of one kind (async PF, storage I/O, lock) in the window that count as a "
      "stall of the guest." },
    { "verdict", "dstate_io_tasks_min", K_UINT, F(verdict.dstate_io_tasks_min), 1, 1e6, "tasks",
      "Guest tasks in D state on storage I/O that count (with disk_ms_per_req_min) as a "
      "guest-io-stall." },
    { "recommend", "host_reserve_mib", K_MIB, F(rec.host_reserve_kib), 0, MIB_MAX, "MiB",
      "MiB of RAM kept free for the host (swapoff headroom, total of locked guests)." },
    { "recommend", "qemu_overhead_mib", K_MIB, F(rec.qemu_overhead_kib), 0, MIB_MAX, "MiB",
      "MiB that QEMU itself uses on top of the guest's RAM (for memtune hard_limit)." },
    { "recommend", "swappiness_target", K_UINT, F(rec.swappiness_target), 0, 200, "(vm.swappiness)",
      "vm.swappiness recommended for hosts that keep swap." },
    { "recommend", "oom_score_adj_critical", K_INT, F(rec.oom_score_adj_critical), -1000, 0, "(oom_score_adj)",
      "oom_score_adj recommended for the QEMU process of critical domains." },
    { "recommend", "critical_domains", K_DOMAINS, 0, 0, 0, NULL,
      "Critical domains: names or UUIDs separated by spaces, at most 64. A long list continues on"
      " following lines that start with whitespace." },
    { "apply", "state_dir", K_PATH, F(state_dir), 0, 0, NULL,
      "Directory of the action journal (journal.json: what apply changed, for rollback and "
      "history). Created 0700; the journal is 0600." },
    { "apply", "prefetch_chunk_mib", K_MIB, F(prefetch_chunk_kib), 1, 4096, "MiB",
      "MiB of guest RAM asked back per process_madvise(MADV_WILLNEED) call by apply prefetch." },
    { "report", "metadata", K_BOOL, F(report_metadata), 0, 0, NULL,
      "Set a swapguard:report metadata element on the running domain (live only, not the "
      "persistent XML); libvirt raises a metadata-change event for it." },
    { "report", "domain_log", K_BOOL, F(report_domain_log), 0, 0, NULL,
      "Append one line per report to the domain's libvirt log, domain_log_dir/NAME.log." },
    { "report", "domain_log_dir", K_PATH, F(domain_log_dir), 0, 0, NULL,
      "Directory of the libvirt domain logs." },
    { "report", "journal", K_BOOL, F(report_journal), 0, 0, NULL,
      "Structured journald entries (syslog when journald is not running)." },
    { "report", "textfile", K_PATH, F(textfile), 0, 0, NULL,
      "node_exporter textfile-collector file (Prometheus text format), replaced atomically. "
      "Empty: off." },
    { "report", "textfile_interval", K_DOUBLE, F(textfile_interval_s), 0, 3600, "seconds (0: every tick)",
      "Longest time between two rewrites of the textfile by the agent: it is rewritten at once when "
      "a verdict changes or a domain or libvirtd comes or goes, else at most this often. 0: every "
      "tick." },
    { "report", "history", K_PATH, F(history), 0, 0, NULL,
      "JSON Lines file with one line per verdict change. Empty: off." },
    { "agent", "lock_file", K_PATH, F(lock_file), 0, 0, NULL,
      "One agent per host, held by a lock on this file." },
    { "agent", "probes_per_tick", K_UINT, F(probes_per_tick), 0, 1000, "guests",
      "Guest-agent probes per tick, rotating over the domains (a probe waits up to [guestprobe] "
      "timeout); 0: none." },
    { "agent", "auto_apply", K_ACTIONS, F(auto_apply), 0, 0, NULL,
      "Live remedies the agent applies by itself to a domain whose verdict is host-swap-stall, "
      "space separated; empty: none. swapoff and the persistent XML remedies are never applied "
      "automatically." },
    { "agent", "auto_apply_min_confidence", K_DOUBLE, F(auto_apply_min_confidence), 0.5, 1, "(confidence)",
      "Least verdict confidence for an automatic remedy." },
    { "agent", "observe_only", K_BOOL, F(observe_only), 0, 0, NULL,
      "Observe only: the agent applies no remedy and refuses auto_apply, so that it can run as an "
      "unprivileged user in the libvirt group (as swapguard-observe.service does)." },
    { "agent", "reconnect_max", K_DOUBLE, F(reconnect_max_s), 1, 3600, "seconds",
      "Longest wait, in seconds, between attempts to reconnect to libvirtd." },
};

#undef F

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))
#define N_SECTIONS (sizeof(sections) / sizeof(sections[0]))

/* The most bytes of a user's value, key or section echoed in a message. */
#define ECHO_MAX 48

struct parse {
    FILE *f;
    struct sg_config *c;      /* the temporary being filled */
    char path_safe[4096];     /* the path, escaped for messages */
    unsigned line;            /* physical line last handed to inih (1-based) */
    bool prev_name;           /* inih's prev_name is set: an indented line continues it */
    bool cont;                /* the current line is such a continuation */
    unsigned seen[N_KEYS];    /* line where each key was set, 0: not yet */
    size_t n_critical;
    int err;                  /* first error (negative errno), 0 none */
    char *msg;
    size_t msg_size;
};

/* Escapes at most ECHO_MAX bytes of s for a message ("..." when cut). */
static const char *echo(const char *s, char *buf, size_t size)
{
    char cut[ECHO_MAX + 1];
    size_t n = strnlen(s, ECHO_MAX + 1);
    size_t w;

    if (n <= ECHO_MAX)
        return sg_fmt_safe(s, buf, size);
    memcpy(cut, s, ECHO_MAX);
    cut[ECHO_MAX] = '\0';
    sg_fmt_safe(cut, buf, size);
    w = strlen(buf);
    if (w + 4 <= size)
        memcpy(buf + w, "...", 4);
    return buf;
}

/* Records the first error: "FILE:LINE: " + the formatted text. Returns 0 (inih: error). */
static int fail(struct parse *p, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct parse *p, int err, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (p->err)
        return 0;
    p->err = err;
    if (!p->msg || p->msg_size == 0)
        return 0;
    n = snprintf(p->msg, p->msg_size, "%s:%u: ", p->path_safe, p->line);
    if (n >= 0 && (size_t)n < p->msg_size) {
        va_start(ap, fmt);
        vsnprintf(p->msg + n, p->msg_size - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return 0;
}

static bool is_section(const char *name, size_t len)
{
    for (size_t i = 0; i < N_SECTIONS; i++)
        if (strlen(sections[i]) == len && memcmp(sections[i], name, len) == 0)
            return true;
    return false;
}

/*
 * inih's find_chars_or_comment(): the first of chars in s, or the start of an
 * inline comment (';' after whitespace), or the end. Mirrored so that our
 * reading of a line is inih's.
 */
static const char *find_or_comment(const char *s, const char *chars)
{
    bool was_space = false;

    while (*s && !strchr(chars, *s) && !(was_space && *s == ';')) {
        was_space = isspace((unsigned char)*s);
        s++;
    }
    return s;
}

/* True when s, after whitespace, is empty or a comment. */
static bool blank_or_comment(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    return *s == '\0' || *s == ';' || *s == '#';
}

/*
 * Classifies a line as inih (r55) will: blank/comment, continuation (indented,
 * after a key line), [section], key = value; everything else is a syntax error
 * that we report ourselves, with the line and what was expected. Returns false
 * after recording an error.
 */
static bool check_line(struct parse *p, const char *line)
{
    const char *s = line;
    const char *e;
    char buf[ECHO_MAX * 4 + 8];

    p->cont = false;
    while (isspace((unsigned char)*s))
        s++;
    if (*s == '\0' || *s == ';' || *s == '#')
        return true;
    if (p->prev_name && s > line) {
        p->cont = true;
        return true;
    }
    if (*s == '[') {
        e = find_or_comment(s + 1, "]");
        if (*e != ']') {
            fail(p, -EINVAL, "syntax error: section header without ']' (expected [section])");
            return false;
        }
        p->prev_name = false;
        if (!is_section(s + 1, (size_t)(e - s - 1))) {
            char name[ECHO_MAX + 2];
            size_t len = (size_t)(e - s - 1) <= ECHO_MAX ? (size_t)(e - s - 1) : ECHO_MAX + 1;

            memcpy(name, s + 1, len); /* ECHO_MAX + 1 bytes: echo() cuts and adds "..." */
            name[len] = '\0';
            fail(p, -EINVAL, "[%s]: unknown section (expected sampler, guestprobe, verdict, recommend, apply, "
                 "report or agent)",
                 echo(name, buf, sizeof(buf)));
            return false;
        }
        if (!blank_or_comment(e + 1)) {
            fail(p, -EINVAL, "syntax error: '%s' after the section header (expected a comment or nothing)",
                 echo(e + 1, buf, sizeof(buf)));
            return false;
        }
        return true;
    }
    e = find_or_comment(s, "=:");
    if (*e != '=' && *e != ':') {
        fail(p, -EINVAL, "syntax error: '%s' (expected key = value, [section] or a comment)",
             echo(s, buf, sizeof(buf)));
        return false;
    }
    /* inih sets prev_name to the (whitespace-stripped) name, "" for "= x". */
    while (e > s && isspace((unsigned char)e[-1]))
        e--;
    p->prev_name = e > s;
    return true;
}

/*
 * The ini_reader: one physical line per call, without its newline, so inih's
 * line numbers are ours. Stops the parse (NULL) at the first error.
 */
static char *read_line(char *str, int num, void *stream)
{
    struct parse *p = stream;
    size_t max, n = 0;
    bool any = false;
    int ch;

    if (p->err || num < 3)
        return NULL;
    /* What fgets() would take whole: the line, its '\n' and the NUL. */
    max = (size_t)num - 2;
    errno = 0;
    while ((ch = getc(p->f)) != EOF) {
        if (!any) {
            any = true;
            p->line++;
        }
        if (ch == '\n')
            break;
        if (ch == '\0') {
            fail(p, -EINVAL, "NUL byte in the line (expected text)");
            return NULL;
        }
        if (n == max) {
            fail(p, -EINVAL, "line longer than %zu bytes (libinih's limit; critical_domains "
                 "continues on indented lines)", max);
            return NULL;
        }
        str[n++] = (char)ch;
    }
    if (ch == EOF && ferror(p->f)) {
        int e = errno ? errno : EIO;

        if (!any)
            p->line++;
        fail(p, -e, "read error: %s", strerror(e));
        return NULL;
    }
    if (!any)
        return NULL; /* end of file */
    str[n] = '\0';
    /* A UTF-8 BOM on the first line: dropped here (inih would skip it too). */
    if (p->line == 1 && n >= 3 && memcmp(str, "\xEF\xBB\xBF", 3) == 0)
        memmove(str, str + 3, n - 2);
    if (!check_line(p, str))
        return NULL;
    return str;
}

static const struct key_def *find_key(const char *section, const char *name)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].name, name) == 0)
            return &keys[i];
    return NULL;
}

/* "interval, ring_length or window": the keys of a section, for "(expected ...)". */
static const char *section_keys(const char *section, char *buf, size_t size)
{
    size_t n = 0, total = 0, w = 0;

    for (size_t i = 0; i < N_KEYS; i++)
        if (strcmp(keys[i].section, section) == 0)
            total++;
    buf[0] = '\0';
    for (size_t i = 0; i < N_KEYS; i++) {
        int r;

        if (strcmp(keys[i].section, section) != 0)
            continue;
        n++;
        r = snprintf(buf + w, size - w, "%s%s", n == 1 ? "" : n == total ? " or " : ", ", keys[i].name);
        if (r < 0 || (size_t)r >= size - w)
            break;
        w += (size_t)r;
    }
    return buf;
}

/* The "(expected ...)" text of a numeric key: "a number of seconds, 0.1 .. 3600". */
static const char *expected(const struct key_def *k, char *buf, size_t size)
{
    const char *what = k->kind == K_DOUBLE ? "a number" : "a whole number";

    /* A unit in parentheses names the setting rather than a unit: it follows the range. */
    if (k->unit[0] == '(')
        snprintf(buf, size, "%s %.15g .. %.15g %s", what, k->min, k->max, k->unit);
    else
        snprintf(buf, size, "%s of %s, %.15g .. %.15g", what, k->unit, k->min, k->max);
    return buf;
}

/*
 * Parses a decimal number (no hex, inf or nan) into *d. Returns 0, or
 * -EINVAL (*what says why), -ERANGE.
 */
static int parse_number(const char *v, bool whole, double *d, const char **what)
{
    const char *s = v;
    char *end;

    if (*s == '+' || *s == '-')
        s++;
    if (!isdigit((unsigned char)*s) && !(!whole && *s == '.' && isdigit((unsigned char)s[1]))) {
        *what = "not a number";
        return -EINVAL;
    }
    errno = 0;
    if (whole) {
        long long x = strtoll(v, &end, 10);
        *d = (double)x;
    } else {
        *d = strtod(v, &end);
        /* strtod also takes hexadecimal ("0x1p3"): not a config number. */
        if (memchr(v, 'x', (size_t)(end - v)) || memchr(v, 'X', (size_t)(end - v))) {
            *what = "not a decimal number";
            return -EINVAL;
        }
    }
    if (*end) {
        *what = whole && *end == '.' ? "not a whole number" : "trailing characters after the number";
        return -EINVAL;
    }
    if (errno == ERANGE || !isfinite(*d))
        return -ERANGE;
    return 0;
}

/* Appends the names of value to the critical list (one line; indented lines continue it). */
static int set_domains(struct parse *p, const struct key_def *k, const char *value)
{
    const char *s = value;

    for (;;) {
        const char *e;
        char *name;

        while (*s == ' ' || *s == '\t')
            s++;
        if (!*s)
            return 1;
        for (e = s; *e && *e != ' ' && *e != '\t'; e++)
            ;
        name = strndup(s, (size_t)(e - s));
        if (!name)
            return fail(p, -ENOMEM, "[%s] %s: out of memory", k->section, k->name);
        for (const char *q = name; *q; q++) {
            if ((unsigned char)*q < 0x20 || *q == 0x7f) {
                char buf[ECHO_MAX * 4 + 8];

                fail(p, -EINVAL, "[%s] %s: '%s': control byte in a domain name (expected names or "
                     "UUIDs separated by spaces)", k->section, k->name, echo(name, buf, sizeof(buf)));
                free(name);
                return 0;
            }
        }
        if (p->n_critical == SG_CONFIG_MAX_CRITICAL) {
            free(name);
            return fail(p, -EINVAL, "[%s] %s: more than %d domains (expected at most %d names or UUIDs)",
                        k->section, k->name, SG_CONFIG_MAX_CRITICAL, SG_CONFIG_MAX_CRITICAL);
        }
        p->c->critical[p->n_critical++] = name;
        p->c->critical[p->n_critical] = NULL;
        s = e;
    }
}

/* An absolute path without control bytes into a char[SG_CONFIG_PATH_MAX]; empty: off. */
static int set_path(struct parse *p, const struct key_def *k, char *field, const char *value)
{
    char vbuf[ECHO_MAX * 4 + 8];

    if (*value && *value != '/')
        return fail(p, -EINVAL, "[%s] %s: '%s' is not an absolute path (expected a path starting "
                    "with '/', or nothing to turn it off)", k->section, k->name,
                    echo(value, vbuf, sizeof(vbuf)));
    for (const char *q = value; *q; q++)
        if ((unsigned char)*q < 0x20 || *q == 0x7f)
            return fail(p, -EINVAL, "[%s] %s: '%s': control byte in a path (expected a path)",
                        k->section, k->name, echo(value, vbuf, sizeof(vbuf)));
    if (strlen(value) >= SG_CONFIG_PATH_MAX)
        return fail(p, -EINVAL, "[%s] %s: path longer than %d bytes", k->section, k->name,
                    SG_CONFIG_PATH_MAX - 1);
    snprintf(field, SG_CONFIG_PATH_MAX, "%s", value);
    return 1;
}

/*
 * The live remedies the agent may apply by itself, space separated, into a
 * mask of SG_REC_BIT(action); the names and which are allowed come from
 * policies/recommend.h (sg_rec_auto_actions).
 */
static int set_actions(struct parse *p, const struct key_def *k, char *field, const char *value)
{
    const char *s = value;
    unsigned mask = 0;

    for (;;) {
        const char *e;
        int a;

        while (*s == ' ' || *s == '\t')
            s++;
        if (!*s)
            break;
        for (e = s; *e && *e != ' ' && *e != '\t'; e++)
            ;
        a = sg_rec_action_from_name(s, (size_t)(e - s));
        if (a < 0 || !sg_rec_action_auto((enum sg_rec_action)a)) {
            char word[ECHO_MAX + 2], vbuf[ECHO_MAX * 4 + 8], names[128] = "";
            size_t len = (size_t)(e - s) <= ECHO_MAX ? (size_t)(e - s) : ECHO_MAX + 1;

            memcpy(word, s, len);
            word[len] = '\0';
            for (size_t i = 0; i < SG_REC_N_AUTO; i++)
                snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
                         i == 0 ? "" : i + 1 < SG_REC_N_AUTO ? ", " : " or ",
                         sg_rec_action_name(sg_rec_auto_actions[i]));
            return fail(p, -EINVAL, "[%s] %s: '%s' is not a live remedy (expected %s, space separated, "
                        "or nothing)", k->section, k->name, echo(word, vbuf, sizeof(vbuf)), names);
        }
        mask |= SG_REC_BIT(a);
        s = e;
    }
    *(unsigned *)field = mask;
    return 1;
}

static int set_value(struct parse *p, const char *section, const char *name, const char *value)
{
    const struct key_def *k;
    char vbuf[ECHO_MAX * 4 + 8], nbuf[ECHO_MAX * 4 + 8], ebuf[400];
    char *field;
    size_t idx;
    double d = 0;
    const char *what = NULL;
    int r;

    if (p->err)
        return 0;
    if (!*section)
        return fail(p, -EINVAL, "%s: key before any [section] (expected [sampler], [guestprobe], "
                    "[verdict], [recommend], [apply], [report] or [agent] first)", echo(name, nbuf, sizeof(nbuf)));
    k = find_key(section, name);
    if (!k) {
        /* Sections were checked at their header line (read_line): the key is unknown. */
        return fail(p, -EINVAL, "[%s] %s: unknown key (expected %s)", section, echo(name, nbuf, sizeof(nbuf)),
                    section_keys(section, ebuf, sizeof(ebuf)));
    }
    idx = (size_t)(k - keys);
    field = (char *)p->c + k->offset;

    if (p->cont) {
        if (k->kind == K_DOMAINS)
            return set_domains(p, k, value);
        return fail(p, -EINVAL, "[%s] %s: indented line '%s' would continue the value of %s (expected "
                    "no leading whitespace; only critical_domains continues on indented lines)",
                    k->section, k->name, echo(value, vbuf, sizeof(vbuf)), k->name);
    }
    if (p->seen[idx])
        return fail(p, -EINVAL, "[%s] %s: duplicate key, already set on line %u (expected each key once)",
                    k->section, k->name, p->seen[idx]);
    p->seen[idx] = p->line;

    switch (k->kind) {
    case K_DOMAINS:
        return set_domains(p, k, value);
    case K_PATH:
        return set_path(p, k, field, value);
    case K_ACTIONS:
        return set_actions(p, k, field, value);
    case K_BOOL:
        if (!strcasecmp(value, "yes") || !strcasecmp(value, "true") || !strcmp(value, "1"))
            *(bool *)field = true;
        else if (!strcasecmp(value, "no") || !strcasecmp(value, "false") || !strcmp(value, "0"))
            *(bool *)field = false;
        else
            return fail(p, -EINVAL, "[%s] %s: '%s' is not a boolean (expected yes, no, true, false, 1 or 0)",
                        k->section, k->name, echo(value, vbuf, sizeof(vbuf)));
        return 1;
    case K_DOUBLE:
    case K_UINT:
    case K_INT:
    case K_MIB:
        break;
    }

    if (!*value)
        return fail(p, -EINVAL, "[%s] %s: empty value (expected %s)", k->section, k->name,
                    expected(k, ebuf, sizeof(ebuf)));
    r = parse_number(value, k->kind != K_DOUBLE, &d, &what);
    if (r == -EINVAL)
        return fail(p, -EINVAL, "[%s] %s: '%s': %s (expected %s)", k->section, k->name,
                    echo(value, vbuf, sizeof(vbuf)), what, expected(k, ebuf, sizeof(ebuf)));
    if (r < 0 || d < k->min || d > k->max)
        return fail(p, -EINVAL, "[%s] %s: '%s' is out of range (expected %s)", k->section, k->name,
                    echo(value, vbuf, sizeof(vbuf)), expected(k, ebuf, sizeof(ebuf)));

    switch (k->kind) {
    case K_DOUBLE:
        *(double *)field = d;
        break;
    case K_UINT:
        *(unsigned *)field = (unsigned)d;
        break;
    case K_INT:
        *(int *)field = (int)d;
        break;
    case K_MIB:
        *(uint64_t *)field = (uint64_t)d * 1024;
        break;
    case K_BOOL:
    case K_DOMAINS:
    case K_PATH:
    case K_ACTIONS:
        break;
    }
    return 1;
}

/* The handler signature depends on how libinih was built (Debian: no line number). */
#if INI_HANDLER_LINENO
static int on_value(void *user, const char *section, const char *name, const char *value, int lineno)
{
    (void)lineno; /* read_line's count is the same */
    return set_value(user, section, name, value);
}
#else
static int on_value(void *user, const char *section, const char *name, const char *value)
{
    return set_value(user, section, name, value);
}
#endif

static void free_critical(struct sg_config *c)
{
    for (size_t i = 0; i < SG_CONFIG_MAX_CRITICAL && c->critical[i]; i++) {
        free(c->critical[i]);
        c->critical[i] = NULL;
    }
}

void sg_config_default(struct sg_config *c)
{
    memset(c, 0, sizeof(*c));
    c->interval_s = 5;
    c->ring_length = 60;
    c->window_s = 60;
    c->libvirt_timeout_ms = SG_LV_TIMEOUT_MS_DEFAULT;
    c->block_stats_interval_s = SG_BLOCK_STATS_INTERVAL_S;
    c->guest_probe = true;
    c->guest_timeout_s = 5;
    c->hung_max_age_s = 600;
    snprintf(c->state_dir, sizeof(c->state_dir), "%s", SG_STATE_DIR_DEFAULT);
    c->prefetch_chunk_kib = 64 * 1024;
    c->report_metadata = true;
    c->report_domain_log = true;
    snprintf(c->domain_log_dir, sizeof(c->domain_log_dir), "/var/log/libvirt/qemu");
    c->report_journal = true;
    snprintf(c->textfile, sizeof(c->textfile), "/var/lib/prometheus/node-exporter/swapguard.prom");
    snprintf(c->history, sizeof(c->history), "%s/history.jsonl", SG_STATE_DIR_DEFAULT);
    snprintf(c->lock_file, sizeof(c->lock_file), "/run/swapguard.lock");
    c->probes_per_tick = 2;
    c->auto_apply = 0;
    c->auto_apply_min_confidence = 0.8;
    c->reconnect_max_s = 60;
    c->textfile_interval_s = 15;
    sg_verdict_thresholds_default(&c->verdict);
    sg_recommend_config_default(&c->rec);
    c->rec.critical = (const char *const *)c->critical;
}

void sg_config_clear(struct sg_config *c)
{
    if (!c)
        return;
    free_critical(c);
    sg_config_default(c);
}

/* Parses the stream f (named path in messages and c->path) over the defaults into c; closes f. */
static int load_stream(struct sg_config *c, const char *path, FILE *f, char *msg, size_t msg_size)
{
    struct sg_config tmp;
    struct parse p;
    int r;

    memset(&p, 0, sizeof(p));
    p.c = &tmp;
    p.msg = msg;
    p.msg_size = msg_size;
    p.f = f;
    sg_fmt_safe(path, p.path_safe, sizeof(p.path_safe));

    sg_config_default(&tmp);
    r = ini_parse_stream(read_line, &p, on_value, &p);
    if (!p.err && r > 0) {
        /* inih found an error our reader did not: name its line. */
        p.line = (unsigned)r;
        fail(&p, -EINVAL, "syntax error (expected key = value, [section] or a comment)");
    } else if (!p.err && r < 0) {
        fail(&p, -ENOMEM, "out of memory");
    }
    fclose(p.f);
    if (p.err) {
        free_critical(&tmp);
        return p.err;
    }

    if (tmp.observe_only && tmp.auto_apply) {
        if (msg && msg_size)
            snprintf(msg, msg_size, "%s: [agent] auto_apply is set, and observe_only = yes: an observe-only "
                     "agent applies no remedy (drop one of the two)", p.path_safe);
        free_critical(&tmp);
        return -EINVAL;
    }
    *c = tmp;
    c->rec.critical = (const char *const *)c->critical;
    snprintf(c->path, sizeof(c->path), "%s", path);
    return 0;
}

int sg_config_key_info(size_t i, struct sg_config_key_info *out)
{
    const struct key_def *k;
    struct sg_config d;
    const char *field;

    if (i >= N_KEYS)
        return -ENOENT;
    k = &keys[i];
    sg_config_default(&d);
    field = (const char *)&d + k->offset;
    memset(out, 0, sizeof(*out));
    out->section = k->section;
    out->name = k->name;
    out->unit = k->unit;
    out->help = k->help;
    out->min = k->min;
    out->max = k->max;
    switch (k->kind) {
    case K_DOUBLE:
        out->type = "number";
        out->ranged = true;
        snprintf(out->default_value, sizeof(out->default_value), "%.15g", *(const double *)field);
        break;
    case K_UINT:
        out->type = "whole number";
        out->ranged = true;
        snprintf(out->default_value, sizeof(out->default_value), "%u", *(const unsigned *)field);
        break;
    case K_INT:
        out->type = "whole number";
        out->ranged = true;
        snprintf(out->default_value, sizeof(out->default_value), "%d", *(const int *)field);
        break;
    case K_MIB:
        out->type = "whole number";
        out->ranged = true;
        snprintf(out->default_value, sizeof(out->default_value), "%llu",
                 (unsigned long long)(*(const uint64_t *)field / 1024));
        break;
    case K_BOOL:
        out->type = "boolean (yes, no, true, false, 1 or 0)";
        snprintf(out->default_value, sizeof(out->default_value), "%s", *(const bool *)field ? "yes" : "no");
        break;
    case K_DOMAINS:
        out->type = "domain names or UUIDs, space separated";
        break; /* none by default (sg_config_default) */
    case K_PATH:
        out->type = "absolute path, or empty (off)";
        snprintf(out->default_value, sizeof(out->default_value), "%s", field);
        break;
    case K_ACTIONS: {
        unsigned mask = *(const unsigned *)field;
        size_t w = 0;
        char names[128] = "";

        for (size_t a = 0; a < SG_REC_N_AUTO; a++) {
            w += (size_t)snprintf(names + w, sizeof(names) - w, "%s%s", a == 0 ? "" : ", ",
                                  sg_rec_action_name(sg_rec_auto_actions[a]));
            if (w >= sizeof(names))
                break;
        }
        snprintf(out->type_buf, sizeof(out->type_buf), "live remedy names, space separated: %s", names);
        out->type = out->type_buf;
        w = 0;
        for (size_t a = 0; a < SG_REC_N_AUTO; a++)
            if (mask & SG_REC_BIT(sg_rec_auto_actions[a])) {
                w += (size_t)snprintf(out->default_value + w, sizeof(out->default_value) - w, "%s%s",
                                      w ? " " : "", sg_rec_action_name(sg_rec_auto_actions[a]));
                if (w >= sizeof(out->default_value))
                    break;
            }
        break;
    }
    }
    sg_config_clear(&d);
    return 0;
}

static int check_path(const struct sg_config *c, const char *path, char *msg, size_t msg_size)
{
    char safe[4096];

    if (strlen(path) < sizeof(c->path))
        return 0;
    if (msg && msg_size)
        snprintf(msg, msg_size, "%s: path too long (expected at most %zu bytes)",
                 sg_fmt_safe(path, safe, sizeof(safe)), sizeof(c->path) - 1);
    return -EINVAL;
}

int sg_config_load(struct sg_config *c, const char *path, bool missing_ok, char *msg, size_t msg_size)
{
    FILE *f;
    int r;

    sg_config_default(c);
    if (msg && msg_size)
        msg[0] = '\0';
    if ((r = check_path(c, path, msg, msg_size)) < 0)
        return r;
    f = fopen(path, "re");
    if (!f) {
        char safe[4096];

        r = -errno;
        if (r == -ENOENT && missing_ok)
            return 0;
        if (msg && msg_size)
            snprintf(msg, msg_size, "%s: %s", sg_fmt_safe(path, safe, sizeof(safe)), strerror(-r));
        return r;
    }
    return load_stream(c, path, f, msg, msg_size);
}

int sg_config_load_buffer(struct sg_config *c, const char *name, const char *buf, size_t len,
                          char *msg, size_t msg_size)
{
    FILE *f;
    int r;

    sg_config_default(c);
    if (msg && msg_size)
        msg[0] = '\0';
    if ((r = check_path(c, name, msg, msg_size)) < 0)
        return r;
    /* fmemopen() refuses a size of 0: an empty file is read from "" instead. */
    f = fmemopen(len ? (void *)buf : (void *)"", len ? len : 1, "r");
    if (!f)
        return -errno;
    if (!len)
        (void)getc(f); /* consume the NUL of "" */
    return load_stream(c, name, f, msg, msg_size);
}
