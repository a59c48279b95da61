/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "evidence.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qga.h"

#define WHY(...) do { if (why && why_size) snprintf(why, why_size, __VA_ARGS__); } while (0)

/* guestprobe/evidence-script.sh as a C string (generated at build time). */
#include "evidence-script.h" /* generated from evidence-script.sh */


/* Next line of [*p, end): sets *line, *n (without '\n'); false at the end. */
static bool next_line(const char **p, const char *end, const char **line, size_t *n)
{
    const char *e;

    if (*p >= end)
        return false;
    e = memchr(*p, '\n', (size_t)(end - *p));
    *line = *p;
    *n = (size_t)((e ? e : end) - *p);
    *p = e ? e + 1 : end;
    return true;
}

static bool line_is(const char *line, size_t n, const char *s)
{
    return strlen(s) == n && memcmp(line, s, n) == 0;
}

int gp_split_sections(const char *buf, size_t len, struct gp_sections *out, char *why, size_t why_size)
{
    const char *p = buf, *end = buf + len, *line, *start = NULL;
    const char **cur = NULL;
    size_t n, *cur_len = NULL;
    unsigned lineno = 0;

    memset(out, 0, sizeof(*out));
    if (memchr(buf, '\0', len)) {
        WHY("guest-exec output holds a NUL byte");
        return -EBADMSG;
    }
    if (!next_line(&p, end, &line, &n) || !line_is(line, n, "@sg-guestprobe 1")) {
        WHY("guest-exec output lacks the '@sg-guestprobe 1' header");
        return -EBADMSG;
    }
    lineno = 1;
    while (next_line(&p, end, &line, &n)) {
        static const char *const names[] = { "@tasks", "@dmesg", "@meminfo", "@vmstat", "@psi", "@uptime",
                                             "@end" };
        const char **slot[] = { &out->tasks, &out->dmesg, &out->meminfo, &out->vmstat, &out->psi, &out->uptime,
                                 NULL };
        size_t *lens[] = { &out->tasks_len, &out->dmesg_len, &out->meminfo_len, &out->vmstat_len,
                           &out->psi_len, &out->uptime_len, NULL };
        lineno++;
        if (n == 0 || line[0] != '@')
            continue;
        for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
            if (!line_is(line, n, names[k]))
                continue;
            if (cur) {
                *cur = start;
                *cur_len = (size_t)(line - start);
            }
            if (!slot[k]) {
                out->complete = true;
                return 0;
            }
            if (*slot[k]) {
                WHY("guest-exec output line %u: section %s repeated", lineno, names[k]);
                return -EBADMSG;
            }
            cur = slot[k];
            cur_len = lens[k];
            start = p;
        }
    }
    if (cur) {
        *cur = start;
        *cur_len = (size_t)(end - start);
    }
    return 0;
}

/* Async-PF symbols, longest first where one is a prefix of another. */
static const char *const async_pf_syms[] = {
    "kvm_async_pf_task_wait_schedule",
    "__kvm_handle_async_pf",
    "kvm_handle_async_pf",
    "kvm_async_pf_task_wait",
    "do_async_page_fault",
};

static bool ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

const char *gp_async_pf_symbol(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (i > 0 && ident_char(text[i - 1]))
            continue;
        for (size_t k = 0; k < sizeof(async_pf_syms) / sizeof(async_pf_syms[0]); k++) {
            size_t sl = strlen(async_pf_syms[k]);
            if (sl <= len - i && memcmp(text + i, async_pf_syms[k], sl) == 0 &&
                (i + sl == len || !ident_char(text[i + sl])))
                return async_pf_syms[k];
        }
    }
    return NULL;
}

/* Parses a decimal int64 > 0 of [s, s+n). */
static bool parse_pid(const char *s, size_t n, int64_t *out)
{
    int64_t v = 0;

    if (n == 0 || n > 10)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    if (v <= 0 || v > 0x7fffffff)
        return false;
    *out = v;
    return true;
}

/* Splits off the next space-separated token of [*p, end). */
static bool token(const char **p, const char *end, const char **t, size_t *n)
{
    const char *s = *p, *e;

    if (s >= end)
        return false;
    e = memchr(s, ' ', (size_t)(end - s));
    *t = s;
    *n = (size_t)((e ? e : end) - s);
    *p = e ? e + 1 : end;
    return *n > 0;
}

static bool only_blank(const char *p, const char *end)
{
    for (; p < end; p++)
        if (*p != '\n' && *p != ' ')
            return false;
    return true;
}

void gp_tasks_clear(struct gp_tasks *t)
{
    free(t->v);
    memset(t, 0, sizeof(*t));
}

int gp_parse_tasks(const char *buf, size_t len, struct gp_tasks *out, char *why, size_t why_size)
{
    const char *p = buf, *end = buf + len, *line;
    struct gp_task *last = NULL; /* the kept D task whose stack lines follow */
    unsigned lineno = 0;
    size_t n;

    memset(out, 0, sizeof(*out));
    if (memchr(buf, '\0', len)) {
        WHY("tasks: NUL byte");
        return -EBADMSG;
    }
    while (next_line(&p, end, &line, &n)) {
        const char *q = line + 2, *le = line + n, *t;
        size_t tn;
        int64_t pid;

        lineno++;
        if (n == 0)
            continue;
        if (n > GP_MAX_LINE || n < 2 || line[1] != ' ' || (line[0] != 'T' && line[0] != 'S') ||
            !token(&q, le, &t, &tn) || !parse_pid(t, tn, &pid)) {
            if (only_blank(p, end)) /* the last line, cut by head -c */
                break;
            WHY("tasks line %u: expected 'T TID STATE WCHAN COMM' or 'S TID FRAME'", lineno);
            gp_tasks_clear(out);
            return -EBADMSG;
        }
        if (line[0] == 'S') {
            /* A stack frame of the D task just listed (others are ignored). */
            if (last && last->pid == pid && !last->matched_symbol) {
                last->matched_symbol = gp_async_pf_symbol(q, (size_t)(le - q));
                if (last->matched_symbol)
                    out->n_async_pf++;
            }
            continue;
        }
        last = NULL;
        {
            const char *st, *wc;
            size_t stn, wcn;

            if (!token(&q, le, &st, &stn) || stn != 1 || !token(&q, le, &wc, &wcn) ||
                wcn >= GP_WCHAN_MAX) {
                if (only_blank(p, end))
                    break;
                WHY("tasks line %u: bad state or wchan", lineno);
                gp_tasks_clear(out);
                return -EBADMSG;
            }
            out->n_tasks++;
            if (st[0] != 'D')
                continue;
            out->n_dstate++;
            if (out->n >= GP_MAX_DTASKS)
                continue;
            if (!out->v) {
                out->v = calloc(GP_MAX_DTASKS, sizeof(*out->v));
                if (!out->v)
                    return -ENOMEM;
            }
            last = &out->v[out->n++];
            last->pid = pid;
            last->state = 'D';
            gp_copy_clean(last->wchan, sizeof(last->wchan), wc, wcn);
            gp_copy_clean(last->comm, sizeof(last->comm), q, (size_t)(le - q));
            last->matched_symbol = gp_async_pf_symbol(wc, wcn);
            if (last->matched_symbol)
                out->n_async_pf++;
        }
    }
    return 0;
}

/* "<PRI>[SEC.USEC] MSG" or "<PRI>MSG": sets the message, its timestamp (or
 * has_ts false) and facility. */
static bool parse_dmesg_line(const char *line, size_t n, const char **msg, size_t *msg_n,
                             uint64_t *ts_us, bool *has_ts, unsigned *facility)
{
    size_t i = 1;
    unsigned pri = 0;

    if (n < 3 || line[0] != '<')
        return false;
    while (i < n && i < 6 && line[i] >= '0' && line[i] <= '9')
        pri = pri * 10 + (unsigned)(line[i++] - '0');
    if (i == 1 || i >= n || line[i] != '>')
        return false;
    i++;
    *facility = pri >> 3;
    *has_ts = false;
    *ts_us = 0;
    if (i < n && line[i] == '[') {
        uint64_t sec = 0, usec = 0;
        size_t digits = 0, fdigits = 0;

        i++;
        while (i < n && line[i] == ' ')
            i++;
        while (i < n && line[i] >= '0' && line[i] <= '9' && digits < 12)
            sec = sec * 10 + (uint64_t)(line[i++] - '0'), digits++;
        if (!digits || i >= n || line[i] != '.')
            return false;
        i++;
        while (i < n && line[i] >= '0' && line[i] <= '9' && fdigits < 6)
            usec = usec * 10 + (uint64_t)(line[i++] - '0'), fdigits++;
        if (fdigits != 6 || i >= n || line[i] != ']')
            return false;
        i++;
        if (i < n && line[i] == ' ')
            i++;
        *has_ts = true;
        *ts_us = sec * 1000000 + usec;
    }
    *msg = line + i;
    *msg_n = n - i;
    return true;
}

/* "INFO: task COMM:PID blocked for more than N seconds." (COMM may hold ':'). */
static bool parse_hung_line(const char *m, size_t n, struct gp_hung_task *h)
{
    static const char pre[] = "INFO: task ";
    static const char mid[] = " blocked for more than ";
    const char *b, *colon = NULL;
    size_t pl = sizeof(pre) - 1, ml = sizeof(mid) - 1;
    uint64_t secs = 0;
    size_t i, digits = 0;

    if (n < pl || memcmp(m, pre, pl) != 0)
        return false;
    for (b = m + pl; b + ml <= m + n; b++)
        if (memcmp(b, mid, ml) == 0)
            break;
    if (b + ml > m + n)
        return false;
    for (const char *c = m + pl; c < b; c++)
        if (*c == ':')
            colon = c;
    if (!colon || !parse_pid(colon + 1, (size_t)(b - colon - 1), &h->pid))
        return false;
    gp_copy_clean(h->comm, sizeof(h->comm), m + pl, (size_t)(colon - m - pl));
    for (i = (size_t)(b - m) + ml; i < n && m[i] >= '0' && m[i] <= '9' && digits < 12; i++, digits++)
        secs = secs * 10 + (uint64_t)(m[i] - '0');
    if (!digits || n - i < 8 || memcmp(m + i, " seconds", 8) != 0)
        return false;
    h->blocked_s = secs;
    return true;
}

int gp_parse_kmsg(const char *buf, size_t len, uint64_t since_us, struct gp_hung_reports *out,
                  char *why, size_t why_size)
{
    const char *p = buf, *end = buf + len, *line;
    struct gp_hung_task cur;
    bool in_report = false, in_trace = false;
    unsigned lineno = 0;
    size_t n;

    memset(out, 0, sizeof(*out));
    memset(&cur, 0, sizeof(cur));
    if (memchr(buf, '\0', len)) {
        WHY("kernel log: NUL byte");
        return -EBADMSG;
    }
#define FLUSH() do { \
        if (in_report) { \
            if (out->n == GP_MAX_HUNG) { \
                memmove(&out->v[0], &out->v[1], sizeof(out->v[0]) * (GP_MAX_HUNG - 1)); \
                out->n--; \
            } \
            out->v[out->n++] = cur; \
            out->n_total++; \
        } \
        in_report = in_trace = false; \
    } while (0)

    while (next_line(&p, end, &line, &n)) {
        const char *m;
        size_t mn;
        uint64_t ts;
        bool has_ts;
        unsigned fac;
        struct gp_hung_task h;

        lineno++;
        if (n == 0)
            continue;
        if (n > GP_MAX_LINE || !parse_dmesg_line(line, n, &m, &mn, &ts, &has_ts, &fac)) {
            /* tail -c may cut the first line: tolerate that one only. */
            if (lineno == 1)
                continue;
            WHY("kernel log line %u: expected '<PRI>[SEC.USEC] MESSAGE'", lineno);
            return -EBADMSG;
        }
        if (has_ts && ts > out->newest_ts_us)
            out->newest_ts_us = ts;
        memset(&h, 0, sizeof(h));
        if (parse_hung_line(m, mn, &h)) {
            FLUSH();
            if (has_ts && ts <= since_us)
                continue;
            cur = h;
            cur.ts_us = ts;
            cur.from_kernel = fac == 0;
            in_report = true;
            continue;
        }
        if (!in_report)
            continue;
        if (mn >= 11 && memcmp(m, "Call Trace:", 11) == 0) {
            in_trace = true;
            continue;
        }
        if (!in_trace)
            continue;
        /* Trace lines are indented (" schedule+0x..", " [<ffff..>] ..", " <TASK>");
         * the first line that is not ends the report. */
        if (mn == 0 || (m[0] != ' ' && m[0] != '\t') || cur.trace_lines >= 256) {
            FLUSH();
            continue;
        }
        cur.trace_lines++;
        if (!cur.matched_symbol)
            cur.matched_symbol = gp_async_pf_symbol(m, mn);
    }
    FLUSH();
#undef FLUSH
    return 0;
}

int gp_parse_guest_mem_file(const char *name, const char *buf, size_t len, struct gp_guest_mem *out,
                            char *why, size_t why_size)
{
    struct sg_error err = {0};
    char msg[PATH_MAX + 512];
    char *s;
    int r;

    if (memchr(buf, '\0', len)) {
        WHY("guest /proc/%s: NUL byte", name);
        return -EBADMSG;
    }
    s = malloc(len + 1);
    if (!s)
        return -ENOMEM;
    memcpy(s, buf, len);
    s[len] = '\0';
    if (strcmp(name, "meminfo") == 0) {
        r = sg_parse_meminfo(s, "guest /proc", name, &out->mem, &err);
        out->has_meminfo = r == 0;
    } else if (strcmp(name, "vmstat") == 0) {
        r = sg_parse_vmstat(s, "guest /proc", name, &out->vm, &err);
        out->has_vmstat = r == 0;
    } else {
        r = sg_parse_psi(s, "guest /proc", name, &out->psi, &err);
        out->has_psi = r == 0;
    }
    free(s);
    if (r < 0) {
        sg_error_format(&err, msg, sizeof(msg));
        gp_copy_clean(why ? why : msg, why ? why_size : sizeof(msg), msg, strlen(msg));
        return r == -ENOMEM ? r : -EBADMSG;
    }
    return 0;
}

int gp_parse_uptime(const char *buf, size_t len, double *uptime_s, char *why, size_t why_size)
{
    char tmp[64], *end;
    size_t n = 0;
    double v;

    while (n < len && n < sizeof(tmp) - 1 && buf[n] != ' ' && buf[n] != '\n') {
        tmp[n] = buf[n];
        n++;
    }
    tmp[n] = '\0';
    errno = 0;
    v = n ? strtod(tmp, &end) : NAN;
    if (!n || errno || *end || !isfinite(v) || v < 0) {
        WHY("guest /proc/uptime: not a number of seconds");
        return -EBADMSG;
    }
    *uptime_s = v;
    return 0;
}
