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

const char *gp_stall_class_name(enum gp_stall_class c)
{
    static const char *const names[GP_CLASS__MAX] = {
        [GP_CLASS_NONE] = "none", [GP_CLASS_ASYNC_PF] = "async-pf", [GP_CLASS_IO] = "io",
        [GP_CLASS_LOCK] = "lock", [GP_CLASS_RECLAIM] = "reclaim",
    };
    return (unsigned)c < GP_CLASS__MAX ? names[c] : "none";
}

const char *gp_sign_name(enum gp_sign sg)
{
    static const char *const names[GP_SIGN__MAX] = {
        [GP_SIGN_SOFT_LOCKUP] = "soft-lockup", [GP_SIGN_RCU_STALL] = "rcu-stall",
        [GP_SIGN_CLOCKSOURCE] = "clocksource", [GP_SIGN_HRTIMER] = "hrtimer",
        [GP_SIGN_OOM_KILL] = "oom-kill",
    };
    return (unsigned)sg < GP_SIGN__MAX ? names[sg] : "unknown";
}

/* Function-name prefixes of each class (a prefix ending in '_' or a whole name). */
static const struct { const char *prefix; enum gp_stall_class cls; } frame_prefixes[] = {
    { "kvm_async_pf_", GP_CLASS_ASYNC_PF }, { "__kvm_handle_async_pf", GP_CLASS_ASYNC_PF },
    { "kvm_handle_async_pf", GP_CLASS_ASYNC_PF }, { "do_async_page_fault", GP_CLASS_ASYNC_PF },
    { "try_to_free_pages", GP_CLASS_RECLAIM }, { "do_try_to_free_pages", GP_CLASS_RECLAIM },
    { "shrink_", GP_CLASS_RECLAIM }, { "__alloc_pages_slowpath", GP_CLASS_RECLAIM },
    { "__alloc_pages_direct_reclaim", GP_CLASS_RECLAIM }, { "__perform_reclaim", GP_CLASS_RECLAIM },
    { "throttle_direct_reclaim", GP_CLASS_RECLAIM }, { "try_to_free_mem_cgroup_pages", GP_CLASS_RECLAIM },
    { "mem_cgroup_handle_over_high", GP_CLASS_RECLAIM }, { "swap_read_folio", GP_CLASS_RECLAIM },
    { "swap_readpage", GP_CLASS_RECLAIM }, { "do_swap_page", GP_CLASS_RECLAIM },
    { "swapin_readahead", GP_CLASS_RECLAIM }, { "out_of_memory", GP_CLASS_RECLAIM },
    { "io_schedule", GP_CLASS_IO }, { "blk_mq_", GP_CLASS_IO }, { "folio_wait", GP_CLASS_IO },
    { "wait_on_page", GP_CLASS_IO }, { "__folio_lock", GP_CLASS_IO }, { "__lock_page", GP_CLASS_IO },
    { "jbd2", GP_CLASS_IO }, { "nfs", GP_CLASS_IO }, { "rpc_wait", GP_CLASS_IO },
    { "rbd_", GP_CLASS_IO }, { "ceph_", GP_CLASS_IO }, { "submit_bio_wait", GP_CLASS_IO },
    { "bit_wait_io", GP_CLASS_IO }, { "__wait_on_buffer", GP_CLASS_IO }, { "wait_on_buffer", GP_CLASS_IO },
    { "__filemap_fdatawait", GP_CLASS_IO }, { "filemap_fdatawait", GP_CLASS_IO },
    { "blkdev_issue_flush", GP_CLASS_IO }, { "wait_for_completion_io", GP_CLASS_IO },
    /* sync(2) and syncfs(2) waiting for the flusher's writeback of the dirty pages */
    { "wb_wait_for_completion", GP_CLASS_IO }, { "sync_inodes_sb", GP_CLASS_IO },
    { "mutex_lock", GP_CLASS_LOCK }, { "__mutex_lock", GP_CLASS_LOCK }, { "rwsem_down_", GP_CLASS_LOCK },
    { "down_read", GP_CLASS_LOCK }, { "down_write", GP_CLASS_LOCK }, { "__down", GP_CLASS_LOCK },
    { "rt_mutex", GP_CLASS_LOCK }, { "percpu_rwsem_wait", GP_CLASS_LOCK },
    { "__percpu_down_read", GP_CLASS_LOCK },
};

enum gp_stall_class gp_frame_class(const char *text, size_t len)
{
    size_t i = 0;

    while (i < len && (text[i] == ' ' || text[i] == '\t'))
        i++;
    /* "[<0>] sym+0x.." (/proc/PID/stack) or "[<ffff..>] sym" (old traces) */
    if (i < len && text[i] == '[') {
        const char *e = memchr(text + i, ']', len - i);
        if (!e)
            return GP_CLASS_NONE;
        i = (size_t)(e - text) + 1;
        while (i < len && text[i] == ' ')
            i++;
    }
    if (i + 1 < len && text[i] == '?' && text[i + 1] == ' ')
        return GP_CLASS_NONE; /* an unreliable frame */
    {
        size_t s = i, n;

        while (i < len && ident_char(text[i]))
            i++;
        n = i - s;
        if (n == 0)
            return GP_CLASS_NONE;
        for (size_t k = 0; k < sizeof(frame_prefixes) / sizeof(frame_prefixes[0]); k++) {
            size_t pl = strlen(frame_prefixes[k].prefix);
            if (pl <= n && memcmp(text + s, frame_prefixes[k].prefix, pl) == 0)
                return frame_prefixes[k].cls;
        }
    }
    return GP_CLASS_NONE;
}

enum gp_stall_class gp_class_fold(enum gp_stall_class cur, enum gp_stall_class frame)
{
    if (cur == GP_CLASS_ASYNC_PF || frame == GP_CLASS_ASYNC_PF)
        return GP_CLASS_ASYNC_PF;
    if (cur == GP_CLASS_RECLAIM || frame == GP_CLASS_RECLAIM)
        return GP_CLASS_RECLAIM;
    return cur != GP_CLASS_NONE ? cur : frame;
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
            if (last && last->pid == pid) {
                enum gp_stall_class was = last->cls;

                last->cls = gp_class_fold(last->cls, gp_frame_class(q, (size_t)(le - q)));
                if (last->cls != was) {
                    out->n_class[was]--;
                    out->n_class[last->cls]++;
                }
                if (!last->matched_symbol) {
                    last->matched_symbol = gp_async_pf_symbol(q, (size_t)(le - q));
                    if (last->matched_symbol)
                        out->n_async_pf++;
                }
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
            last->cls = gp_frame_class(wc, wcn);
            out->n_class[last->cls]++;
        }
    }
    return 0;
}

/* "[SEC.USEC]" at line[*i] (the '['), then one optional space: *i moves past it. False when
 * malformed (at most 12 digits of seconds, exactly 6 of microseconds, as printk writes them). */
static bool parse_stamp(const char *line, size_t n, size_t *i, uint64_t *ts_us)
{
    uint64_t sec = 0, usec = 0;
    size_t j = *i, digits = 0, fdigits = 0;

    if (j >= n || line[j] != '[')
        return false;
    j++;
    while (j < n && line[j] == ' ')
        j++;
    while (j < n && line[j] >= '0' && line[j] <= '9' && digits < 12)
        sec = sec * 10 + (uint64_t)(line[j++] - '0'), digits++;
    if (!digits || j >= n || line[j] != '.')
        return false;
    j++;
    while (j < n && line[j] >= '0' && line[j] <= '9' && fdigits < 6)
        usec = usec * 10 + (uint64_t)(line[j++] - '0'), fdigits++;
    if (fdigits != 6 || j >= n || line[j] != ']')
        return false;
    j++;
    if (j < n && line[j] == ' ')
        j++;
    *i = j;
    *ts_us = sec * 1000000 + usec;
    return true;
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
        if (!parse_stamp(line, n, &i, ts_us))
            return false;
        *has_ts = true;
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

/* Does m[0..n) contain s? */
static bool contains(const char *m, size_t n, const char *s)
{
    size_t sl = strlen(s);

    for (size_t i = 0; sl <= n && i + sl <= n; i++)
        if (memcmp(m + i, s, sl) == 0)
            return true;
    return false;
}

/* The signature a message is, or GP_SIGN__MAX. */
static enum gp_sign message_sign(const char *m, size_t n)
{
    if (contains(m, n, "BUG: soft lockup - CPU#"))
        return GP_SIGN_SOFT_LOCKUP;
    /* "detected stalls", "self-detected stall", "detected expedited stalls" (5.x and later) */
    if ((contains(m, n, "rcu: INFO: rcu_") &&
         (contains(m, n, "detected stall") || contains(m, n, "detected expedited stall"))) ||
        (n >= 4 && memcmp(m, "rcu:", 4) == 0 && contains(m, n, "self-detected stall")) ||
        (n >= 11 && memcmp(m, "INFO: rcu_", 10) == 0 && contains(m, n, "detected stall")))
        return GP_SIGN_RCU_STALL;
    if (n >= 12 && memcmp(m, "clocksource:", 12) == 0 &&
        (contains(m, n, "timekeeping watchdog") || contains(m, n, "as unstable")))
        return GP_SIGN_CLOCKSOURCE;
    if (n >= 27 && memcmp(m, "hrtimer: interrupt took ", 24) == 0)
        return GP_SIGN_HRTIMER;
    if (n >= 29 && memcmp(m, "Out of memory: Killed process", 29) == 0)
        return GP_SIGN_OOM_KILL;
    if (contains(m, n, "Memory cgroup out of memory: Killed process"))
        return GP_SIGN_OOM_KILL;
    return GP_SIGN__MAX;
}

/* "[SEC.USEC] MSG" of a console line (carriage returns around it and blanks inside the
 * brackets allowed, nothing else before the stamp); false without one. */
static bool parse_console_line(const char *line, size_t n, const char **msg, size_t *msg_n, uint64_t *ts_us)
{
    size_t i = 0;

    while (i < n && (line[i] == '\r'))
        i++;
    if (!parse_stamp(line, n, &i, ts_us))
        return false;
    while (n > i && line[n - 1] == '\r')
        n--;
    *msg = line + i;
    *msg_n = n - i;
    return true;
}

static int parse_log(const char *buf, size_t len, uint64_t since_us, bool console,
                     struct gp_hung_reports *out, char *why, size_t why_size)
{
    const char *p = buf, *end = buf + len, *line;
    struct gp_hung_task cur;
    bool in_report = false, in_trace = false;
    unsigned lineno = 0;
    size_t n;

    memset(out, 0, sizeof(*out));
    memset(&cur, 0, sizeof(cur));
    if (memchr(buf, '\0', len)) {
        WHY("%s: NUL byte", console ? "console log" : "kernel log");
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
        uint64_t ts = 0;
        bool has_ts = true;
        unsigned fac = 0;
        struct gp_hung_task h;
        enum gp_sign sign;

        lineno++;
        if (n == 0)
            continue;
        if (console) {
            if (n > GP_MAX_LINE)
                n = GP_MAX_LINE; /* a console line is anything: look at its start only */
            if (!parse_console_line(line, n, &m, &mn, &ts)) {
                /* Not a kernel message: ends a report's trace, else ignored. */
                FLUSH();
                continue;
            }
        } else if (n > GP_MAX_LINE || !parse_dmesg_line(line, n, &m, &mn, &ts, &has_ts, &fac)) {
            /* tail -c may cut the first line: tolerate that one only. */
            if (lineno == 1)
                continue;
            WHY("kernel log line %u: expected '<PRI>[SEC.USEC] MESSAGE'", lineno);
            return -EBADMSG;
        }
        if (has_ts && ts > out->newest_ts_us)
            out->newest_ts_us = ts;
        sign = message_sign(m, mn);
        if (sign != GP_SIGN__MAX) {
            FLUSH();
            if (!has_ts || ts > since_us) {
                if (fac == 0)
                    out->signs[sign]++;
                else
                    out->signs_forged[sign]++;
            }
            continue;
        }
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
        cur.cls = gp_class_fold(cur.cls, gp_frame_class(m, mn));
        if (!cur.matched_symbol)
            cur.matched_symbol = gp_async_pf_symbol(m, mn);
    }
    FLUSH();
#undef FLUSH
    return 0;
}

int gp_parse_kmsg(const char *buf, size_t len, uint64_t since_us, struct gp_hung_reports *out,
                  char *why, size_t why_size)
{
    return parse_log(buf, len, since_us, false, out, why, why_size);
}

int gp_parse_console(const char *buf, size_t len, uint64_t since_us, struct gp_hung_reports *out,
                     char *why, size_t why_size)
{
    return parse_log(buf, len, since_us, true, out, why, why_size);
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
