/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What `swapguard top` shows, apart from the terminal: the domains followed
 * from tick to tick, their rows (figures and verdict), the sort, and the text
 * of a frame, a row and a detail view at a given width. cmd-top.c draws it
 * with ncurses or prints it as plain frames (--batch).
 *
 * A tick is the diagnosis engine's tick (agent/core/diagnose.h): host facts
 * (sg_collect_host), then per running domain sg_diag_tick_dom (the O(1) host
 * sample that `list` reads, the async-PF counters, and a guest probe only when
 * asked), pushed into a sampler; the verdict is sg_sampler_verdict over the
 * config's window, as `diagnose` and the agent take it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/cli/sampling.h"
#include "agent/core/config.h"
#include "agent/core/domain.h"
#include "policies/facts.h"
#include "policies/sampler.h"
#include "policies/verdict.h"

enum sg_top_sort {
    SG_TOP_SORT_SWAP,    /* guest RAM in host swap, most first (the default) */
    SG_TOP_SORT_SWAPIN,  /* swap-ins: cgroup major faults per second */
    SG_TOP_SORT_LOST,    /* lost time, ms per second */
    SG_TOP_SORT_PSI,     /* memory PSI full avg10 */
    SG_TOP_SORT_VERDICT, /* the verdict's severity, then its confidence */
    SG_TOP_SORT_NAME,    /* name, A first */
    SG_TOP_SORT__MAX,
};

/* One sort: its key in the UI and in --sort, and what it sorts by. */
struct sg_top_sort_def {
    char key;          /* the key that selects it */
    const char *name;  /* --sort NAME */
    const char *what;  /* shown in the title line */
};
extern const struct sg_top_sort_def sg_top_sorts[SG_TOP_SORT__MAX];

/* A domain followed by top. */
struct sg_top_dom {
    struct sg_dom w;
    uint64_t last_probe;   /* tick of its last guest probe (0: never) */
    char err[256];         /* why its last tick failed, "" when it did not */
};

/* One row of the table, from the domain's newest two ticks. */
struct sg_top_row {
    const struct sg_top_dom *d;
    bool running;              /* the newest tick read its QEMU process */
    uint64_t swap_kib;         /* guest RAM in host swap (sg_guest_ram_in_host_swap_kib), SG_NONE */
    uint64_t ram_kib;          /* guest RAM (maxMem), KiB */
    double swapin_per_s;       /* cgroup pgmajfault per second over the last interval, NAN */
    double lost_ms_per_s;      /* sg_lost_ms_per_s (agent/cli/sampling.h): the verdict's, else memory PSI
                                  full over the last interval; NAN */
    enum sg_lost_from lost_from; /* which of the two */
    double psi_full_avg10;     /* the domain's memory PSI full avg10, percent, NAN */
    bool has_v;
    struct sg_verdict v;
    struct sg_dom_facts last;  /* the newest tick (zeroed when none) */
    bool has_prev;
    struct sg_dom_facts prev;  /* the tick before it */
};

struct sg_top {
    struct sg_ctx *ctx;
    struct sg_config cfg;
    bool probe;                /* --probe: guest probes, cfg.probes_per_tick per tick in turn */
    const char *no_probe;      /* why guests are not probed (NULL: they are) */
    double interval_s;
    uint64_t ticks;
    struct sg_sampler s;
    struct sg_top_dom **d;     /* the running domains, in libvirt's order */
    size_t n;
    bool has_host, has_host_prev;
    struct sg_host_facts host, host_prev;
    char host_err[256];        /* why the last host reading failed, "" */
    struct sg_top_row *rows;   /* n rows, in sort order (sg_top_rows) */
    size_t n_rows;
    enum sg_top_sort sort;
    bool reverse;
};

/*
 * Sets t up on ctx (connected: read-write when probe): loads the config
 * (config_path NULL: the default file, which may be absent), the sampler.
 * Logs and returns -errno.
 */
int sg_top_init(struct sg_top *t, struct sg_ctx *ctx, const char *config_path, bool probe,
                double interval_s);
void sg_top_clear(struct sg_top *t);

/*
 * One tick: lists the running domains (libvirt; a /proc scan only when one is
 * new or restarted), reads the host and each domain into the sampler, then
 * rebuilds and sorts the rows. A domain whose reading fails keeps its error in
 * its err (a row without figures); a failing host reading goes to host_err.
 * Returns 0, or -errno (logged) when libvirt cannot list domains or memory runs out.
 */
int sg_top_tick(struct sg_top *t);

/* Sorts the rows again (after t->sort or t->reverse changed). */
void sg_top_sort_rows(struct sg_top *t);

/* The sort of key c, or -1. */
int sg_top_sort_by_key(int c);
/* The sort named name (--sort), or -1. */
int sg_top_sort_by_name(const char *name);

/* ---- text, at a width ---- */

/*
 * The host, in two lines of at most 80 characters:
 *   "Host memory 23.5G, available 22.3G; swap used 552.2M of 2.0G"
 *   "Host swap-in 12.0, swap-out 0.0 pages/s; memory PSI some 1.60%, full 1.50%"
 * (/proc/meminfo, /proc/vmstat pswpin/pswpout over the last interval, /proc/pressure/memory avg10).
 */
void sg_top_host_lines(const struct sg_top *t, char *l1, char *l2, size_t size);

/*
 * The column layout for a width: which columns fit and the name's width
 * (columns are dropped from the least important on: Id, Conf and %RAM until
 * the name gets 16 characters, then PSIfull, Lost, SwapIn/s, Verdict and
 * Swapped until it gets 10; the name column never goes).
 */
struct sg_top_layout {
    int width;
    int name_w;
    bool col[16];
};
void sg_top_layout(int width, struct sg_top_layout *l);
/* The same, wide enough for every row of t and every column (batch frames). */
void sg_top_layout_all(const struct sg_top *t, struct sg_top_layout *l);

/* The header line (titles; the sort column marked with '*'), at most l->width characters. */
void sg_top_header(const struct sg_top *t, const struct sg_top_layout *l, char *buf, size_t size);
/* Row i, at most l->width characters; names escaped (sg_fmt_safe). */
void sg_top_row_line(const struct sg_top *t, const struct sg_top_layout *l, size_t i, char *buf,
                     size_t size);

/*
 * The detail view of the row of uuid: identity, verdict, evidence, missing,
 * the figures of the newest tick (schema keys) and the lost-time source, as
 * lines of at most width characters (long ones wrapped). A malloc'd array of
 * *n malloc'd lines; NULL when uuid has no row (or on ENOMEM).
 */
char **sg_top_detail(const struct sg_top *t, const char *uuid, int width, size_t *n);
void sg_top_lines_free(char **v, size_t n);

/* The row whose domain has uuid, or -1. */
long sg_top_find_row(const struct sg_top *t, const char *uuid);
