/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The model of `swapguard top` (top.h): domains, ticks, rows, sort and their text. */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "agent/cli/top.h"
#include "agent/core/collect.h"
#include "agent/core/diagnose.h"
#include "agent/core/schema.h"
#include "agent/daemon/daemon.h"
#include "hostprobe/procfs.h"
#include "policies/figures.h"

const struct sg_top_sort_def sg_top_sorts[SG_TOP_SORT__MAX] = {
    [SG_TOP_SORT_SWAP] = { 's', "swap", "guest RAM in host swap" },
    [SG_TOP_SORT_SWAPIN] = { 'f', "swapin", "swap-ins (major faults/s)" },
    [SG_TOP_SORT_LOST] = { 'l', "lost", "lost time" },
    [SG_TOP_SORT_PSI] = { 'p', "psi", "memory PSI full avg10" },
    [SG_TOP_SORT_VERDICT] = { 'v', "verdict", "verdict" },
    [SG_TOP_SORT_NAME] = { 'n', "name", "name" },
};

int sg_top_sort_by_key(int c)
{
    for (int i = 0; i < SG_TOP_SORT__MAX; i++)
        if (sg_top_sorts[i].key == c)
            return i;
    return -1;
}

int sg_top_sort_by_name(const char *name)
{
    for (int i = 0; i < SG_TOP_SORT__MAX; i++)
        if (strcmp(sg_top_sorts[i].name, name) == 0)
            return i;
    return -1;
}

/* ---- domains and ticks ---------------------------------------------------- */

static void top_dom_free(struct sg_top_dom *x)
{
    if (!x)
        return;
    sg_dom_clear(&x->w);
    free(x);
}

int sg_top_init(struct sg_top *t, struct sg_ctx *ctx, const char *config_path, bool probe,
                double interval_s)
{
    struct sg_error err = { 0 };
    int r;

    memset(t, 0, sizeof(*t));
    t->ctx = ctx;
    t->probe = probe;
    t->interval_s = interval_s;
    r = sg_diag_load_config(ctx, config_path, &t->cfg);
    if (r < 0)
        return r;
    if (!probe)
        t->no_probe = "guest probe off (top --probe turns it on)";
    else if (!t->cfg.guest_probe)
        t->no_probe = "guest probe disabled in the config ([guestprobe] enabled = no)";
    else if (ctx->readonly)
        t->no_probe = "guest probe needs a read-write libvirt connection (dropped by -r)";
    else if (!t->cfg.probes_per_tick)
        t->no_probe = "no guest probes per tick ([agent] probes_per_tick = 0)";
    r = sg_sampler_init(&t->s, t->cfg.ring_length);
    if (r < 0) {
        sg_config_clear(&t->cfg);
        return sg_log_error_errno(r, &err);
    }
    return 0;
}

void sg_top_clear(struct sg_top *t)
{
    for (size_t i = 0; i < t->n; i++)
        top_dom_free(t->d[i]);
    free(t->d);
    free(t->rows);
    sg_sampler_clear(&t->s);
    sg_config_clear(&t->cfg);
    memset(t, 0, sizeof(*t));
}

static struct sg_top_dom *find_dom(const struct sg_top *t, const char *uuid, int id)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->d[i] && strcmp(t->d[i]->w.d.uuid, uuid) == 0 && t->d[i]->w.d.id == id)
            return t->d[i];
    return NULL;
}

static void set_err(struct sg_top_dom *x, int r, const struct sg_error *err)
{
    char msg[512];

    if (err && (err->file[0] || err->msg[0]))
        snprintf(x->err, sizeof(x->err), "%s", sg_error_format(err, msg, sizeof(msg)));
    else
        snprintf(x->err, sizeof(x->err), "%s", strerror(-r));
}

/*
 * The running domains, in libvirt's order: the ones already followed are kept
 * (same UUID and id: the same QEMU), the new or restarted ones get their QEMU
 * process (one /proc scan for all of them), memory cgroup and async-PF counters.
 */
static int sync_domains(struct sg_top *t)
{
    struct sg_error err = { 0 };
    struct sg_domain *list = NULL;
    struct sg_top_dom **next;
    size_t n_new = 0;
    bool fell_back;
    int n, r;

    n = sg_lv_domains_list(t->ctx->conn, false, sg_lv_timeout_ms(), &list, &fell_back, &err);
    if (n < 0)
        return sg_log_error_errno(n, &err);
    next = calloc((size_t)n + 1, sizeof(*next));
    if (!next) {
        sg_domains_free(list, (size_t)n);
        return sg_log_error_errno(-ENOMEM, &err);
    }
    for (int i = 0; i < n; i++) {
        struct sg_top_dom *x = find_dom(t, list[i].uuid, list[i].id);

        if (!x) {
            /* new: its pid below; move it to the front part of list for one scan */
            if ((size_t)i != n_new) {
                struct sg_domain tmp = list[n_new];
                list[n_new] = list[i];
                list[i] = tmp;
            }
            n_new++;
            continue;
        }
        /* keep the followed one (name and memory may change) */
        for (size_t k = 0; k < t->n; k++)
            if (t->d[k] == x)
                t->d[k] = NULL;
        free(x->w.d.name);
        x->w.d.name = list[i].name;
        list[i].name = NULL;
        x->w.d.state = list[i].state;
        x->w.d.memory_kib = list[i].memory_kib;
        x->w.d.max_memory_kib = list[i].max_memory_kib;
        next[i] = x;
    }
    if (n_new) {
        r = sg_domains_find_pids(&t->ctx->fs, list, n_new); /* one /proc scan */
        if (r < 0)
            sg_log_warning("%s: %s", t->ctx->fs.proc_path, strerror(-r));
    }
    /* The gone ones (undefined, stopped, restarted under a new id). */
    for (size_t k = 0; k < t->n; k++)
        top_dom_free(t->d[k]);
    free(t->d);
    t->d = NULL;
    t->n = 0;
    /* The new ones, into the free slots of next[] in list order. */
    for (size_t j = 0, slot = 0; j < n_new; j++) {
        struct sg_top_dom *x = calloc(1, sizeof(*x));

        while (next[slot])
            slot++;
        if (!x) {
            for (size_t k = j; k < n_new; k++)
                sg_domain_clear(&list[k]);
            break;
        }
        x->w.d = list[j];
        memset(&list[j], 0, sizeof(list[j]));
        x->w.dom = virDomainLookupByUUIDString(t->ctx->conn, x->w.d.uuid);
        r = sg_collect_open(&t->ctx->fs, &x->w, &err);
        if (r < 0)
            set_err(x, r, &err);
        next[slot] = x;
    }
    sg_domains_free(list, (size_t)n);
    /* compact (a slot stays NULL only when a calloc failed) */
    t->d = next;
    for (int i = 0; i < n; i++)
        if (next[i])
            t->d[t->n++] = next[i];
    return 0;
}

static void build_row(struct sg_top *t, struct sg_top_dom *x, struct sg_top_row *row)
{
    const struct sg_dom_ring *ring = sg_sampler_dom(&t->s, x->w.d.uuid);
    const struct sg_dom_facts *last = NULL, *prev = NULL;

    memset(row, 0, sizeof(*row));
    row->d = x;
    row->swap_kib = SG_NONE;
    row->ram_kib = x->w.d.max_memory_kib;
    row->swapin_per_s = row->lost_ms_per_s = row->psi_full_avg10 = NAN;
    if (!ring || !ring->n)
        return;
    sg_sampler_tick(&t->s, ring, ring->n - 1, &row->last);
    last = &row->last;
    if (ring->n >= 2) {
        sg_sampler_tick(&t->s, ring, ring->n - 2, &row->prev);
        prev = &row->prev;
        row->has_prev = true;
    }
    row->has_v = sg_sampler_verdict(&t->s, x->w.d.uuid, t->cfg.window_s, &t->cfg.verdict,
                                    &row->v) == 0;
    if (!last->running)
        return;
    row->running = true;
    row->swap_kib = sg_guest_ram_in_host_swap_kib(last->vm_swap_kib, last->cgroup_swap_bytes);
    row->psi_full_avg10 = last->psi_full_avg10;
    if (prev && prev->running)
        row->swapin_per_s =
            sg_counter_rate(prev->cgroup_pgmajfault, last->cgroup_pgmajfault, last->t_s - prev->t_s);
    row->lost_ms_per_s = sg_lost_ms_per_s(row->has_v ? row->v.lost_ms_per_s : NAN,
                                          prev && prev->running ? prev->psi_full_total_us : SG_NONE,
                                          last->psi_full_total_us, prev ? last->t_s - prev->t_s : 0,
                                          &row->lost_from);
}

static struct sg_dom *top_dom_at(void *opaque, size_t i)
{
    struct sg_top *t = opaque;

    return &t->d[i]->w;
}

int sg_top_tick(struct sg_top *t)
{
    struct sg_error err = { 0 };
    size_t *pick = NULL, n_pick = 0;
    uint64_t *last = NULL;
    bool *elig = NULL, all_pushed = true;
    int r;

    r = sync_domains(t);
    if (r < 0)
        return r;
    t->ticks++;
    if (t->has_host) {
        t->host_prev = t->host;
        t->has_host_prev = true;
    }
    r = sg_collect_host(&t->ctx->fs, &t->host, &err);
    if (r < 0) {
        char msg[512];
        snprintf(t->host_err, sizeof(t->host_err), "%s", sg_error_format(&err, msg, sizeof(msg)));
        t->has_host = t->has_host_prev = false;
    } else {
        t->host_err[0] = '\0';
        t->has_host = true;
        sg_sampler_push_host(&t->s, &t->host);
    }

    /* Guest probes, as the agent takes them: probes_per_tick domains in turn. */
    if (!t->no_probe && t->n) {
        pick = calloc(t->cfg.probes_per_tick, sizeof(*pick));
        last = calloc(t->n, sizeof(*last));
        elig = calloc(t->n, sizeof(*elig));
        if (pick && last && elig) {
            for (size_t i = 0; i < t->n; i++) {
                last[i] = t->d[i]->last_probe;
                elig[i] = t->d[i]->w.dom && t->d[i]->w.located;
            }
            n_pick = sg_daemon_pick_probes(last, elig, t->n, t->cfg.probes_per_tick, pick);
        }
    }
    sg_collect_looks(&t->ctx->fs, top_dom_at, t, t->n); /* one pause per tick, not per domain */
    for (size_t i = 0, p = 0; i < t->n; i++) {
        struct sg_top_dom *x = t->d[i];
        const char *no_probe = t->no_probe;
        struct sg_dom_facts facts;
        bool chosen = p < n_pick && pick[p] == i;

        if (chosen)
            p++;
        if (!no_probe && !chosen)
            no_probe = "no probe in turn yet ([agent] probes_per_tick)";
        if (!no_probe)
            x->last_probe = t->ticks;
        memset(&err, 0, sizeof(err));
        r = sg_diag_tick_dom(&t->ctx->fs, &t->cfg, &x->w, no_probe, &t->s, &facts, &err);
        if (r < 0 && x->w.located && !sg_pid_has_uuid(&t->ctx->fs, x->w.d.pid, x->w.d.uuid)) {
            x->w.located = false; /* QEMU exiting: the next listing drops it */
            all_pushed = false;
            continue;
        }
        if (r < 0) {
            set_err(x, r, &err);
            all_pushed = false;
            continue;
        }
        x->err[0] = '\0';
    }
    free(pick);
    free(last);
    free(elig);
    if (all_pushed)
        sg_sampler_sweep(&t->s);

    free(t->rows);
    t->n_rows = 0;
    t->rows = calloc(t->n + 1, sizeof(*t->rows));
    if (!t->rows)
        return sg_log_error_errno(-ENOMEM, &err);
    for (size_t i = 0; i < t->n; i++)
        build_row(t, t->d[i], &t->rows[t->n_rows++]);
    sg_top_sort_rows(t);
    return 0;
}

/* ---- sort --------------------------------------------------------------------- */

/* a before b when a's figure is larger; unknown figures last */
static int cmp_desc_u64(uint64_t a, uint64_t b)
{
    if (a == b)
        return 0;
    if (a == SG_NONE)
        return 1;
    if (b == SG_NONE)
        return -1;
    return a > b ? -1 : 1;
}

static int cmp_desc_double(double a, double b)
{
    if (isnan(a) && isnan(b))
        return 0;
    if (isnan(a))
        return 1;
    if (isnan(b))
        return -1;
    return a > b ? -1 : a < b ? 1 : 0;
}

static int cmp_rows(const struct sg_top_row *a, const struct sg_top_row *b, enum sg_top_sort by)
{
    int c = 0;

    switch (by) {
    case SG_TOP_SORT_SWAP:
        c = cmp_desc_u64(a->swap_kib, b->swap_kib);
        break;
    case SG_TOP_SORT_SWAPIN:
        c = cmp_desc_double(a->swapin_per_s, b->swapin_per_s);
        break;
    case SG_TOP_SORT_LOST:
        c = cmp_desc_double(a->lost_ms_per_s, b->lost_ms_per_s);
        break;
    case SG_TOP_SORT_PSI:
        c = cmp_desc_double(a->psi_full_avg10, b->psi_full_avg10);
        break;
    case SG_TOP_SORT_VERDICT:
        c = cmp_desc_double(a->has_v ? (double)a->v.kind : NAN, b->has_v ? (double)b->v.kind : NAN);
        if (!c)
            c = cmp_desc_double(a->has_v ? a->v.confidence : NAN, b->has_v ? b->v.confidence : NAN);
        break;
    case SG_TOP_SORT_NAME:
    case SG_TOP_SORT__MAX:
        break;
    }
    return c;
}

/* The table's order, by an insertion sort (a few hundred rows at most; stable). */
void sg_top_sort_rows(struct sg_top *t)
{
    for (size_t i = 1; i < t->n_rows; i++) {
        struct sg_top_row x = t->rows[i];
        size_t j = i;

        while (j > 0) {
            const struct sg_top_row *y = &t->rows[j - 1];
            int c = cmp_rows(&x, y, t->sort);

            if (!c)
                c = strcmp(x.d->w.d.name, y->d->w.d.name);
            if (!c)
                c = strcmp(x.d->w.d.uuid, y->d->w.d.uuid);
            if (t->reverse)
                c = -c;
            if (c >= 0)
                break;
            t->rows[j] = t->rows[j - 1];
            j--;
        }
        t->rows[j] = x;
    }
}

long sg_top_find_row(const struct sg_top *t, const char *uuid)
{
    for (size_t i = 0; i < t->n_rows; i++)
        if (strcmp(t->rows[i].d->w.d.uuid, uuid) == 0)
            return (long)i;
    return -1;
}

/* ---- text ----------------------------------------------------------------------- */

/* "812K", "188.7M", "1.0G": at most 7 characters; "-" for SG_NONE. */
static const char *fmt_kib(uint64_t kib, char *buf, size_t size)
{
    if (kib == SG_NONE)
        snprintf(buf, size, "-");
    else if (kib < 1024)
        snprintf(buf, size, "%" PRIu64 "K", kib);
    else if (kib < 1000 * 1024)
        snprintf(buf, size, "%.1fM", (double)kib / 1024);
    else if (kib < 1000ull * 1024 * 1024)
        snprintf(buf, size, "%.1fG", (double)kib / (1024 * 1024));
    else
        snprintf(buf, size, "%.1fT", (double)kib / (1024.0 * 1024 * 1024));
    return buf;
}

/* "0.0", "3534.9", "123456", "12.3M": at most 7 characters; "-" for NAN. */
static const char *fmt_num(double v, char *buf, size_t size)
{
    if (isnan(v))
        snprintf(buf, size, "-");
    else if (v < 10000)
        snprintf(buf, size, "%.1f", v);
    else if (v < 1e6)
        snprintf(buf, size, "%.0f", v);
    else
        snprintf(buf, size, "%.1fM", v / 1e6);
    return buf;
}

void sg_top_host_lines(const struct sg_top *t, char *l1, char *l2, size_t size)
{
    const struct sg_host_facts *h = &t->host, *p = &t->host_prev;
    char a[16], b[16], c[16], d[16], e[16], f[16];
    double dt, si = NAN, so = NAN;

    if (!t->has_host) {
        snprintf(l1, size, "Host: %s", t->host_err[0] ? t->host_err : "not read yet");
        snprintf(l2, size, "%s", "");
        return;
    }
    if (t->has_host_prev) {
        dt = h->t_s - p->t_s;
        si = sg_counter_rate(p->pswpin, h->pswpin, dt);
        so = sg_counter_rate(p->pswpout, h->pswpout, dt);
    }
    snprintf(l1, size, "Host memory %s, available %s; swap used %s of %s",
             fmt_kib(h->mem_total_kib, a, sizeof(a)), fmt_kib(h->mem_available_kib, b, sizeof(b)),
             fmt_kib(h->swap_total_kib != SG_NONE && h->swap_free_kib != SG_NONE
                         ? h->swap_total_kib - h->swap_free_kib
                         : SG_NONE,
                     c, sizeof(c)),
             fmt_kib(h->swap_total_kib, d, sizeof(d)));
    snprintf(l2, size, "Host swap-in %s, swap-out %s pages/s; memory PSI some %s%%, full %s%%",
             fmt_num(si, e, sizeof(e)), fmt_num(so, f, sizeof(f)),
             isnan(h->psi_some_avg10) ? "-" : (snprintf(a, sizeof(a), "%.2f", h->psi_some_avg10), a),
             isnan(h->psi_full_avg10) ? "-" : (snprintf(b, sizeof(b), "%.2f", h->psi_full_avg10), b));
}

enum { C_ID, C_NAME, C_SWAP, C_RAMPCT, C_SWAPIN, C_LOST, C_PSI, C_VERDICT, C_CONF, C__MAX };

static const struct {
    const char *title;
    int w;        /* width (the name's: computed) */
    bool left;    /* left-aligned */
    int sort;     /* the sort it shows, -1 */
    int keep;     /* dropped in ascending order of keep when the width is short; 0: never */
} cols[C__MAX] = {
    [C_ID] = { "Id", 4, true, -1, 1 },
    [C_NAME] = { "Name", 0, true, SG_TOP_SORT_NAME, 0 },
    [C_SWAP] = { "Swapped", 7, false, SG_TOP_SORT_SWAP, 8 },
    [C_RAMPCT] = { "%RAM", 4, false, -1, 3 },
    [C_SWAPIN] = { "SwapIn/s", 8, false, SG_TOP_SORT_SWAPIN, 6 },
    [C_LOST] = { "Lost", 6, false, SG_TOP_SORT_LOST, 5 },
    [C_PSI] = { "PSIfull", 7, false, SG_TOP_SORT_PSI, 4 },
    [C_VERDICT] = { "Verdict", 20, true, SG_TOP_SORT_VERDICT, 7 },
    [C_CONF] = { "Conf", 4, false, -1, 2 },
};

#define NAME_MIN 10
#define NAME_PREF 16
#define NAME_MAX_W 40

static int others_width(const struct sg_top_layout *l)
{
    int w = 0;

    for (int c = 0; c < C__MAX; c++)
        if (c != C_NAME && l->col[c])
            w += 1 + cols[c].w;
    return w + 1; /* the name's separator */
}

void sg_top_layout(int width, struct sg_top_layout *l)
{
    memset(l, 0, sizeof(*l));
    l->width = width;
    for (int c = 0; c < C__MAX; c++)
        l->col[c] = true;
    /* the minor columns go while the name is short of NAME_PREF, the others while it is short of NAME_MIN */
    for (int keep = 1; keep <= 8 && width - others_width(l) < (keep <= 3 ? NAME_PREF : NAME_MIN); keep++)
        for (int c = 0; c < C__MAX; c++)
            if (cols[c].keep == keep)
                l->col[c] = false;
    l->name_w = width - others_width(l);
    if (l->name_w > NAME_MAX_W)
        l->name_w = NAME_MAX_W;
    if (l->name_w < 1)
        l->name_w = 1;
}

void sg_top_layout_all(const struct sg_top *t, struct sg_top_layout *l)
{
    int name_w = 4;

    for (size_t i = 0; i < t->n_rows; i++) {
        char name[512];
        int len = (int)strlen(sg_fmt_safe(t->rows[i].d->w.d.name, name, sizeof(name)));
        if (len > name_w)
            name_w = len;
    }
    if (name_w > 64)
        name_w = 64;
    memset(l, 0, sizeof(*l));
    for (int c = 0; c < C__MAX; c++)
        l->col[c] = true;
    l->name_w = name_w;
    l->width = name_w + others_width(l);
}

/* Appends cell s at width w (clipped; names end in '~' when cut) after separator sep. */
static void put_cell(char *buf, size_t size, size_t *len, char sep, const char *s, int w, bool left)
{
    int n = (int)strlen(s);
    char cell[128];

    if (w > (int)sizeof(cell) - 1)
        w = (int)sizeof(cell) - 1;
    if (n > w) {
        memcpy(cell, s, (size_t)w);
        if (w > 1)
            cell[w - 1] = '~';
        cell[w] = '\0';
    } else {
        snprintf(cell, sizeof(cell), left ? "%-*s" : "%*s", w, s);
    }
    if (*len < size)
        *len += (size_t)snprintf(buf + *len, size - *len, "%c%s", sep, cell);
    if (*len >= size)
        *len = size - 1;
}

void sg_top_header(const struct sg_top *t, const struct sg_top_layout *l, char *buf, size_t size)
{
    size_t len = 0;

    buf[0] = '\0';
    for (int c = 0; c < C__MAX; c++) {
        if (!l->col[c])
            continue;
        put_cell(buf, size, &len, cols[c].sort == (int)t->sort ? (t->reverse ? '^' : '*') : ' ',
                 cols[c].title, c == C_NAME ? l->name_w : cols[c].w, cols[c].left);
    }
    while (len > 0 && buf[len - 1] == ' ')
        buf[--len] = '\0';
}

void sg_top_row_line(const struct sg_top *t, const struct sg_top_layout *l, size_t i, char *buf,
                     size_t size)
{
    const struct sg_top_row *r = &t->rows[i];
    char cell[C__MAX][64], name[512];
    size_t len = 0;

    snprintf(cell[C_ID], sizeof(cell[C_ID]), "%d", r->d->w.d.id);
    snprintf(cell[C_NAME], sizeof(cell[C_NAME]), "%s",
             sg_fmt_safe(r->d->w.d.name, name, sizeof(name)));
    fmt_kib(r->swap_kib, cell[C_SWAP], sizeof(cell[C_SWAP]));
    if (r->swap_kib != SG_NONE && r->ram_kib && r->ram_kib != SG_NONE)
        snprintf(cell[C_RAMPCT], sizeof(cell[C_RAMPCT]), "%.0f%%",
                 fmin(999, 100.0 * (double)r->swap_kib / (double)r->ram_kib));
    else
        snprintf(cell[C_RAMPCT], sizeof(cell[C_RAMPCT]), "-");
    fmt_num(r->swapin_per_s, cell[C_SWAPIN], sizeof(cell[C_SWAPIN]));
    /* the fallback (memory PSI full) marked '~', as 'list' marks its estimates */
    cell[C_LOST][0] = '~';
    fmt_num(r->lost_ms_per_s, cell[C_LOST] + (r->lost_from == SG_LOST_PSI_FULL),
            sizeof(cell[C_LOST]) - 1);
    if (isnan(r->psi_full_avg10))
        snprintf(cell[C_PSI], sizeof(cell[C_PSI]), "-");
    else
        snprintf(cell[C_PSI], sizeof(cell[C_PSI]), "%.2f", r->psi_full_avg10);
    snprintf(cell[C_VERDICT], sizeof(cell[C_VERDICT]), "%s",
             r->d->err[0] ? "error (see detail)" : r->has_v ? sg_verdict_name(r->v.kind) : "-");
    if (r->has_v && !r->d->err[0])
        snprintf(cell[C_CONF], sizeof(cell[C_CONF]), "%.2f", r->v.confidence);
    else
        snprintf(cell[C_CONF], sizeof(cell[C_CONF]), "-");
    buf[0] = '\0';
    for (int c = 0; c < C__MAX; c++)
        if (l->col[c])
            put_cell(buf, size, &len, ' ', cell[c], c == C_NAME ? l->name_w : cols[c].w,
                     cols[c].left);
    while (len > 0 && buf[len - 1] == ' ')
        buf[--len] = '\0';
}

/* ---- the detail view ----------------------------------------------------------- */

struct lines {
    char **v;
    size_t n, cap;
    int width;
    bool oom;
};

/* Adds text as lines of at most width characters, wrapped at spaces; continuation lines indented. */
static void add_wrapped(struct lines *L, int indent, const char *text)
{
    const char *p = text;
    int first = 1;

    do {
        int room = L->width - (first ? 0 : indent), cut;
        size_t len = strlen(p);
        char *line;

        if (room < 10)
            room = 10;
        cut = (int)len;
        if ((int)len > room) {
            cut = room;
            for (int k = room; k > room / 2; k--)
                if (p[k] == ' ') {
                    cut = k;
                    break;
                }
        }
        if (L->n == L->cap) {
            size_t cap = L->cap ? 2 * L->cap : 32;
            char **v = realloc(L->v, cap * sizeof(*v));
            if (!v) {
                L->oom = true;
                return;
            }
            L->v = v;
            L->cap = cap;
        }
        if (asprintf(&line, "%*s%.*s", first ? 0 : indent, "", cut, p) < 0) {
            L->oom = true;
            return;
        }
        L->v[L->n++] = line;
        p += cut;
        while (*p == ' ')
            p++;
        first = 0;
    } while (*p);
}

static void addf(struct lines *L, int indent, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void addf(struct lines *L, int indent, const char *fmt, ...)
{
    char text[2048];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    add_wrapped(L, indent, text);
}

static void add_fig(struct lines *L, enum sg_fig_id id, const char *value)
{
    addf(L, 30, "  %-26s %s", sg_schema_get(id)->key, value);
}

void sg_top_lines_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

char **sg_top_detail(const struct sg_top *t, const char *uuid, int width, size_t *n)
{
    long i = sg_top_find_row(t, uuid);
    struct lines L = { .width = width };
    const struct sg_top_row *r;
    const struct sg_dom_facts *f;
    char name[512], text[1024], a[64], b[64];

    *n = 0;
    if (i < 0)
        return NULL;
    r = &t->rows[i];
    f = &r->last;
    addf(&L, 2, "Domain '%s'  id %d  pid %d", sg_fmt_safe(r->d->w.d.name, name, sizeof(name)),
         r->d->w.d.id, (int)r->d->w.d.pid);
    addf(&L, 2, "UUID %s", r->d->w.d.uuid);
    if (r->d->err[0])
        addf(&L, 2, "Error: %s", sg_fmt_safe(r->d->err, text, sizeof(text)));
    addf(&L, 0, "%s", "");
    if (r->has_v) {
        addf(&L, 2, "Verdict: %s, confidence %.2f, %zu tick(s) over %.1f s (window %g s)",
             sg_verdict_name(r->v.kind), r->v.confidence, r->v.n_ticks,
             isfinite(r->v.window_s) ? r->v.window_s : 0.0, t->cfg.window_s);
        addf(&L, 0, "Evidence:");
        if (!r->v.n_ev)
            addf(&L, 2, "  (none)");
        for (size_t k = 0; k < r->v.n_ev; k++)
            addf(&L, 27, "  %-24s %s", r->v.ev[k].key,
                 sg_fmt_safe(r->v.ev[k].text, text, sizeof(text)));
        if (r->v.missing[0])
            addf(&L, 11, "Missing: %s", sg_fmt_safe(r->v.missing, text, sizeof(text)));
    } else {
        addf(&L, 2, "Verdict: none yet (no tick of this domain)");
    }
    addf(&L, 0, "%s", "");
    addf(&L, 0, "Figures of the newest tick (schema keys):");
    if (!r->running) {
        addf(&L, 2, "  domain not running (no QEMU process read)");
    } else {
        add_fig(&L, SG_F_GUEST_RAM_KIB, sg_fmt_kib(f->guest_ram_kib, a, sizeof(a)));
        add_fig(&L, SG_F_VM_SWAP_KIB, sg_fmt_kib(f->vm_swap_kib, a, sizeof(a)));
        add_fig(&L, SG_F_CGROUP_SWAP_BYTES, sg_fmt_bytes(f->cgroup_swap_bytes, a, sizeof(a)));
        addf(&L, 30, "  %-26s %s (the larger of the two above)", "guest RAM in host swap",
             sg_fmt_kib(r->swap_kib, a, sizeof(a)));
        snprintf(b, sizeof(b), "%s (%s/s over the last interval)",
                 sg_fmt_u64(f->cgroup_pgmajfault, a, sizeof(a)),
                 fmt_num(r->swapin_per_s, (char[16]){ 0 }, 16));
        add_fig(&L, SG_F_CGROUP_PGMAJFAULT, b);
        add_fig(&L, SG_F_CGROUP_SWAP_EVENTS_MAX, sg_fmt_u64(f->cgroup_swap_events_max, a, sizeof(a)));
        snprintf(a, sizeof(a), isnan(f->psi_some_avg10) ? "-" : "%.2f %%", f->psi_some_avg10);
        add_fig(&L, SG_F_PSI_SOME_AVG10, a);
        snprintf(a, sizeof(a), isnan(f->psi_full_avg10) ? "-" : "%.2f %%", f->psi_full_avg10);
        add_fig(&L, SG_F_PSI_FULL_AVG10, a);
        add_fig(&L, SG_F_PSI_FULL_TOTAL_US, sg_fmt_u64(f->psi_full_total_us, a, sizeof(a)));
        snprintf(a, sizeof(a), "%s", f->apf_available ? "counted" : "unavailable");
        add_fig(&L, SG_F_APF_AVAILABLE, a);
    }
    addf(&L, 0, "%s", "");
    if (r->lost_from == SG_LOST_VERDICT)
        addf(&L, 2, "Lost time: %s ms/s, %s (%s)", fmt_num(r->lost_ms_per_s, a, sizeof(a)),
             sg_lost_from_text(r->lost_from), sg_schema_get(SG_F_REPORT_LOST_MS_PER_S)->source_v1);
    else if (r->lost_from == SG_LOST_PSI_FULL)
        addf(&L, 2, "Lost time: %s ms/s, %s over the last interval", fmt_num(r->lost_ms_per_s, a, sizeof(a)),
             sg_lost_from_text(r->lost_from));
    else
        addf(&L, 2, "Lost time: unknown (the verdict measured no vCPU time, and no two running ticks "
             "with %s)", sg_schema_get(SG_F_PSI_FULL_TOTAL_US)->key);
    addf(&L, 2, "Guest probe: %s", t->no_probe ? t->no_probe : "on, in turn with the other domains");
    if (L.oom) {
        sg_top_lines_free(L.v, L.n);
        return NULL;
    }
    *n = L.n;
    return L.v;
}
