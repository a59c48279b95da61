/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * swapguard top: a live full-screen view of every running domain (ncurses),
 * like virt-top, or plain-text frames for scripts (--batch). The model, the
 * rows and their text are in top.c; here: options, the terminal and the loop.
 */
#include <curses.h>
#include <locale.h>
#include <math.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/cli/top.h"
#include "agent/core/config.h"

enum { TOP_OPT_INTERVAL, TOP_OPT_BATCH, TOP_OPT_COUNT, TOP_OPT_SORT, TOP_OPT_PROBE, TOP_OPT_CONFIG };
static const struct sg_opt_def top_opts[] = {
    [TOP_OPT_INTERVAL] = { "interval", "S", "seconds between refreshes (default 2, at least 0.1)" },
    [TOP_OPT_BATCH] = { "batch", NULL, "print plain-text frames instead of the full-screen view" },
    [TOP_OPT_COUNT] = { "count", "N", "stop after N refreshes (--batch: frames; default 1 there)" },
    [TOP_OPT_SORT] = { "sort", "KEY", "first sort: swap (default), swapin, lost, psi, verdict, name" },
    [TOP_OPT_PROBE] = { "probe", NULL, "probe guests through their agent ([agent] probes_per_tick per refresh)" },
    [TOP_OPT_CONFIG] = { "config", "FILE", "configuration file (default " SG_CONFIG_DEFAULT_PATH ")" },
    { NULL, NULL, NULL },
};

#define LEGEND "Swapped: guest RAM in host swap; SwapIn: faults/s; Lost: ms/s; PSIfull: %"
#define KEYS_LIST "q quit  Up/Down select  Enter detail  sort: s f l p v n  r reverse"
#define KEYS_DETAIL "Esc/q back  Up/Down/PgUp/PgDn scroll"

static void title_line(const struct sg_top *t, char *buf, size_t size, bool date)
{
    char when[64];
    time_t now = time(NULL);
    struct tm tm;

    localtime_r(&now, &tm);
    strftime(when, sizeof(when), date ? "%Y-%m-%d %H:%M:%S %z" : "%H:%M:%S", &tm);
    snprintf(buf, size, "swapguard top %s  %zu domain%s  every %g s  sort: %s%s  probes %s", when,
             t->n_rows, t->n_rows == 1 ? "" : "s", t->interval_s, sg_top_sorts[t->sort].name,
             t->reverse ? " (reversed)" : "", t->no_probe ? "off" : "on");
}

/* ---- --batch ------------------------------------------------------------------- */

static void print_frame(FILE *o, const struct sg_top *t)
{
    struct sg_top_layout l;
    char line[1024], line2[1024];

    title_line(t, line, sizeof(line), true);
    fprintf(o, "%s\n", line);
    sg_top_host_lines(t, line, line2, sizeof(line));
    fprintf(o, "%s\n%s\n", line, line2);
    sg_top_layout_all(t, &l);
    sg_top_header(t, &l, line, sizeof(line));
    fprintf(o, "%s\n", line);
    for (size_t i = 0; i < t->n_rows; i++) {
        sg_top_row_line(t, &l, i, line, sizeof(line));
        fprintf(o, "%s\n", line);
    }
    fflush(o);
}

static int run_batch(struct sg_top *t, unsigned count)
{
    double t0;

    /* A first tick without a frame: every frame has its rates. */
    if (sg_top_tick(t) < 0)
        return 1;
    t0 = sg_mono_s();
    for (unsigned i = 0; i < count; i++) {
        double wait = t0 + t->interval_s * (i + 1) - sg_mono_s();

        if (wait > 0)
            sg_sleep_s(wait);
        if (sg_top_tick(t) < 0)
            return 1;
        if (i)
            fputc('\n', t->ctx->out);
        print_frame(t->ctx->out, t);
    }
    return 0;
}

/* ---- the full-screen view ----------------------------------------------------- */

enum { PAIR_STALL = 1, PAIR_RISK, PAIR_PRESSURE, PAIR_GUEST, PAIR_OK };

struct ui {
    struct sg_top *t;
    bool detail;
    char sel[VIR_UUID_STRING_BUFLEN]; /* the selected domain ("": the first row) */
    long top_row;                     /* first row shown */
    long detail_off;                  /* first detail line shown */
    bool colors;
};

static int verdict_pair(const struct sg_top_row *r)
{
    if (!r->has_v || r->d->err[0])
        return 0;
    switch (r->v.kind) {
    case SG_VERDICT_HOST_SWAP_STALL:
        return PAIR_STALL;
    case SG_VERDICT_HOST_SWAP_RISK:
    case SG_VERDICT_DOMAIN_PAUSED: /* stuck, with nothing of swapguard's to apply: as a risk */
        return PAIR_RISK;
    case SG_VERDICT_HOST_MEMORY_PRESSURE:
        return PAIR_PRESSURE;
    case SG_VERDICT_HOST_CPU_CONTENTION:
        return PAIR_PRESSURE;
    case SG_VERDICT_GUEST_INTERNAL_SWAP:
    case SG_VERDICT_GUEST_IO_STALL:
    case SG_VERDICT_GUEST_LOCK_STALL:
        return PAIR_GUEST;
    case SG_VERDICT_OK:
        return PAIR_OK;
    case SG_VERDICT_UNKNOWN:
    case SG_VERDICT__MAX:
        break;
    }
    return 0;
}

/* Line y, clipped to the screen width, padded with the attribute to the end. */
static void put_line(int y, const char *s, attr_t attr)
{
    if (y < 0 || y >= LINES)
        return;
    attron(attr);
    mvaddnstr(y, 0, s, COLS);
    if (attr & A_REVERSE)
        for (int x = (int)strlen(s); x < COLS; x++)
            mvaddch(y, x, ' ');
    attroff(attr);
}

static long selected_row(struct ui *u)
{
    long i = u->sel[0] ? sg_top_find_row(u->t, u->sel) : -1;

    if (i < 0 && u->t->n_rows) {
        i = 0;
        snprintf(u->sel, sizeof(u->sel), "%s", u->t->rows[0].d->w.d.uuid);
    }
    return i;
}

static void select_row(struct ui *u, long i)
{
    if (!u->t->n_rows)
        return;
    if (i < 0)
        i = 0;
    if (i >= (long)u->t->n_rows)
        i = (long)u->t->n_rows - 1;
    snprintf(u->sel, sizeof(u->sel), "%s", u->t->rows[i].d->w.d.uuid);
}

static void draw_list(struct ui *u)
{
    struct sg_top *t = u->t;
    struct sg_top_layout l;
    char line[1024], line2[1024];
    long sel = selected_row(u), body = LINES - 6;

    title_line(t, line, sizeof(line), false);
    put_line(0, line, A_BOLD);
    sg_top_host_lines(t, line, line2, sizeof(line));
    put_line(1, line, 0);
    put_line(2, line2, 0);
    put_line(3, LEGEND, A_DIM);
    sg_top_layout(COLS, &l);
    sg_top_header(t, &l, line, sizeof(line));
    put_line(4, line, A_REVERSE);
    if (body < 1)
        body = 1;
    if (sel >= 0 && sel < u->top_row)
        u->top_row = sel;
    if (sel >= u->top_row + body)
        u->top_row = sel - body + 1;
    if (u->top_row > (long)t->n_rows - body)
        u->top_row = (long)t->n_rows - body;
    if (u->top_row < 0)
        u->top_row = 0;
    for (long i = u->top_row, y = 5; i < (long)t->n_rows && y < 5 + body; i++, y++) {
        int pair = u->colors ? verdict_pair(&t->rows[i]) : 0;

        sg_top_row_line(t, &l, (size_t)i, line, sizeof(line));
        put_line((int)y, line, i == sel ? A_REVERSE : pair ? COLOR_PAIR(pair) : 0);
    }
    if (!t->n_rows)
        put_line(5, "  no running domain", 0);
    put_line(LINES - 1, KEYS_LIST, A_REVERSE);
}

static void draw_detail(struct ui *u)
{
    char **v, line[1024], name[256];
    long sel = selected_row(u), body = LINES - 2;
    size_t n = 0;

    if (sel < 0) {
        u->detail = false;
        return;
    }
    snprintf(line, sizeof(line), "swapguard top: domain '%s'",
             sg_fmt_safe(u->t->rows[sel].d->w.d.name, name, sizeof(name)));
    put_line(0, line, A_BOLD);
    v = sg_top_detail(u->t, u->sel, COLS > 1 ? COLS - 1 : 1, &n);
    if (body < 1)
        body = 1;
    if (u->detail_off > (long)n - body)
        u->detail_off = (long)n - body;
    if (u->detail_off < 0)
        u->detail_off = 0;
    for (long i = u->detail_off, y = 1; i < (long)n && y < 1 + body; i++, y++)
        put_line((int)y, v[i], 0);
    sg_top_lines_free(v, n);
    put_line(LINES - 1, KEYS_DETAIL, A_REVERSE);
}

static void draw(struct ui *u)
{
    erase(); /* redrawn in full, sent as the difference: no flicker */
    if (LINES < 3 || COLS < 10)
        put_line(0, "terminal too small", 0);
    else if (u->detail)
        draw_detail(u);
    else
        draw_list(u);
    refresh();
}

/* Handles key c; returns false to quit. */
static bool on_key(struct ui *u, int c)
{
    struct sg_top *t = u->t;
    long sel = selected_row(u), page = LINES > 6 ? LINES - 6 : 1;
    int s;

    if (u->detail) {
        switch (c) {
        case 'q': case 'Q': case 27: case KEY_LEFT: case KEY_BACKSPACE: case 127:
            u->detail = false;
            break;
        case KEY_UP: case 'k':
            u->detail_off--;
            break;
        case KEY_DOWN: case 'j':
            u->detail_off++;
            break;
        case KEY_PPAGE:
            u->detail_off -= page;
            break;
        case KEY_NPAGE: case ' ':
            u->detail_off += page;
            break;
        }
        return true;
    }
    switch (c) {
    case 'q': case 'Q':
        return false;
    case KEY_UP: case 'k':
        select_row(u, sel - 1);
        break;
    case KEY_DOWN: case 'j':
        select_row(u, sel + 1);
        break;
    case KEY_PPAGE:
        select_row(u, sel - page);
        break;
    case KEY_NPAGE:
        select_row(u, sel + page);
        break;
    case KEY_HOME:
        select_row(u, 0);
        break;
    case KEY_END:
        select_row(u, (long)t->n_rows - 1);
        break;
    case '\n': case '\r': case KEY_ENTER:
        if (sel >= 0) {
            u->detail = true;
            u->detail_off = 0;
        }
        break;
    case 'r':
        t->reverse = !t->reverse;
        sg_top_sort_rows(t);
        break;
    default:
        s = sg_top_sort_by_key(c);
        if (s >= 0) {
            t->sort = (enum sg_top_sort)s;
            t->reverse = false;
            sg_top_sort_rows(t);
        }
        break;
    }
    return true;
}

/* Shows what was logged while the screen was ours (the last 64 KiB of it). */
static void replay_log(FILE *log, int saved_fd)
{
    char buf[4096];
    long end;
    size_t n;

    fflush(stderr);
    dup2(saved_fd, STDERR_FILENO);
    close(saved_fd);
    if (!log)
        return;
    end = ftell(log);
    if (end > 65536)
        fseek(log, end - 65536, SEEK_SET);
    else
        rewind(log);
    while ((n = fread(buf, 1, sizeof(buf), log)) > 0)
        fwrite(buf, 1, n, stderr);
    fclose(log);
}

static int run_screen(struct sg_top *t, unsigned count)
{
    struct ui u = { .t = t };
    FILE *log;
    int saved_fd, rc = 0;
    unsigned refreshes = 0;
    double next;

    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        sg_log_error("top: not a terminal; use --batch for plain-text frames");
        return 1;
    }
    /* Log lines would scribble over the screen: keep them for after it. */
    log = tmpfile();
    fflush(stderr);
    saved_fd = dup(STDERR_FILENO);
    if (log && saved_fd >= 0)
        dup2(fileno(log), STDERR_FILENO);

    setlocale(LC_ALL, "");
    initscr();
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    curs_set(0);
    set_escdelay(25);
    if (has_colors()) {
        start_color();
        use_default_colors();
        init_pair(PAIR_STALL, COLOR_RED, -1);
        init_pair(PAIR_RISK, COLOR_YELLOW, -1);
        init_pair(PAIR_PRESSURE, COLOR_MAGENTA, -1);
        init_pair(PAIR_GUEST, COLOR_CYAN, -1);
        init_pair(PAIR_OK, COLOR_GREEN, -1);
        u.colors = true;
    }

    if (sg_top_tick(t) < 0) {
        rc = 1;
        goto out;
    }
    next = sg_mono_s() + t->interval_s;
    for (;;) {
        double wait;
        int c;

        draw(&u);
        wait = next - sg_mono_s();
        timeout(wait > 0 ? (int)ceil(wait * 1000) : 0);
        c = getch();
        if (c == ERR || sg_mono_s() >= next) {
            if (sg_mono_s() < next)
                continue;
            if (count && ++refreshes >= count)
                break;
            if (sg_top_tick(t) < 0) {
                rc = 1;
                break;
            }
            next += t->interval_s;
            if (next < sg_mono_s())
                next = sg_mono_s() + t->interval_s; /* a slow tick (guest probes): no catching up */
            if (c == ERR)
                continue;
        }
        if (c == KEY_RESIZE)
            continue; /* LINES and COLS are new: the next draw uses them */
        if (!on_key(&u, c))
            break;
    }
out:
    endwin();
    if (saved_fd >= 0)
        replay_log(log, saved_fd);
    else if (log)
        fclose(log);
    return rc;
}

static int cmd_top(struct sg_ctx *ctx, const struct sg_cmd_args *a)
{
    struct sg_top t;
    double interval = 2, count = 0;
    int sort = SG_TOP_SORT_SWAP, r;
    bool batch = a->set[TOP_OPT_BATCH];

    if (sg_opt_number(top_opts, a, TOP_OPT_INTERVAL, 0.1, 3600, &interval) < 0 ||
        sg_opt_number(top_opts, a, TOP_OPT_COUNT, 1, 1e9, &count) < 0)
        return 1;
    if (a->set[TOP_OPT_SORT]) {
        char v[64];

        sort = sg_top_sort_by_name(a->val[TOP_OPT_SORT]);
        if (sort < 0) {
            sg_log_error("--sort: '%s' is not one of swap, swapin, lost, psi, verdict, name",
                         sg_fmt_safe(a->val[TOP_OPT_SORT], v, sizeof(v)));
            return 1;
        }
    }
    if (ctx->json) {
        sg_log_error("top has no JSON output; 'list --json' and 'diagnose --json' have the figures");
        return 1;
    }
    if (batch && !count)
        count = 1;
    if (sg_ctx_fs(ctx) < 0)
        return 1;
    if (sg_top_init(&t, ctx, a->val[TOP_OPT_CONFIG], a->set[TOP_OPT_PROBE], interval) < 0)
        return 1;
    t.sort = (enum sg_top_sort)sort;
    if (sg_ctx_connect(ctx, t.no_probe == NULL) < 0) {
        sg_top_clear(&t);
        return 1;
    }
    r = batch ? run_batch(&t, (unsigned)count) : run_screen(&t, (unsigned)count);
    sg_top_clear(&t);
    return r;
}

const struct sg_cmd_def sg_cmd_def_top = {
    .name = "top",
    .synopsis_args = "",
    .opts = top_opts,
    .summary = "live full-screen view of every domain: host swap, swap-ins, lost time, verdict",
    .help = "Like virt-top: a host line (memory, swap used, swap-in/out pages/s, memory PSI)\n"
            "and one row per running domain: Swapped (guest RAM in host swap, as in 'list'),\n"
            "%RAM (of the guest's RAM), SwapIn/s (major faults/s of its memory cgroup), Lost\n"
            "(the verdict's lost_ms_per_s: ms per second of vCPU time the host measured lost\n"
            "to swap-in, run-queue wait, I/O and reclaim; '~' marks the fallback where none\n"
            "was measured: memory PSI full of the domain's cgroup over the interval), PSIfull\n"
            "(avg10, %), and the verdict with its confidence, from the diagnosis engine of\n"
            "'diagnose' over the config's window.\n"
            "Guests are not probed unless --probe: the verdicts are then those of\n"
            "'diagnose -r' (a stall is visible only through KVM async-PF counters).\n"
            "Keys: s f l p v n sort by swap, swap-ins, lost time, PSI, verdict, name\n"
            "(the sort column is marked '*', '^' when reversed by r); Up/Down select;\n"
            "Enter shows the selected domain's verdict, evidence and figures (Esc or q\n"
            "goes back); q quits. --batch prints plain frames, each starting with a\n"
            "timestamp line and separated by a blank line, after a first silent sample.",
    .handler = cmd_top,
};
