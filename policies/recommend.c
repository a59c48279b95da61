/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Recommendations (recommend.h): pure functions over the facts handed in.
 * Every string is bounded: free text may be truncated, a command line never
 * is (a line that does not fit is left out whole, see append_line()).
 */
#include "recommend.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KIB_PER_MIB UINT64_C(1024)
#define KIB_PER_GIB (UINT64_C(1024) * 1024)
#define OOM_SCORE_ADJ_MIN (-1000) /* include/uapi/linux/oom.h */

void sg_recommend_config_default(struct sg_recommend_config *c)
{
    c->host_reserve_kib = KIB_PER_GIB;
    c->qemu_overhead_kib = 256 * KIB_PER_MIB;
    c->swappiness_target = 10;
    c->oom_score_adj_critical = -900;
    c->critical = NULL;
}

static const char *const action_names[SG_REC__MAX] = {
    [SG_REC_SWAPPINESS] = "swappiness",
    [SG_REC_DELAY_ACCOUNTING] = "delay-accounting",
    [SG_REC_PREFETCH] = "prefetch",
    [SG_REC_SWAP_LIMIT] = "swap-limit",
    [SG_REC_OOM_PROTECT] = "oom-protect",
    [SG_REC_SWAPOFF] = "swapoff",
    [SG_REC_LOCK_MEMORY] = "lock-memory",
    [SG_REC_HUGEPAGES] = "hugepages",
    [SG_REC_NOVA_FLAVOR] = "nova-flavor",
};

const char *sg_rec_action_name(enum sg_rec_action a)
{
    if ((unsigned)a >= SG_REC__MAX)
        return "unknown";
    return action_names[a];
}

int sg_rec_action_from_name(const char *name, size_t len)
{
    for (int a = 0; a < SG_REC__MAX; a++)
        if (strlen(action_names[a]) == len && memcmp(action_names[a], name, len) == 0)
            return a;
    return -EINVAL;
}

const enum sg_rec_action sg_rec_auto_actions[SG_REC_N_AUTO] = {
    SG_REC_SWAP_LIMIT,
    SG_REC_PREFETCH,
    SG_REC_OOM_PROTECT,
};

bool sg_rec_action_auto(enum sg_rec_action a)
{
    for (size_t i = 0; i < SG_REC_N_AUTO; i++)
        if (sg_rec_auto_actions[i] == a)
            return true;
    return false;
}

static const char *const risk_names[] = {
    [SG_RISK_LOW] = "low",
    [SG_RISK_MEDIUM] = "medium",
    [SG_RISK_HIGH] = "high",
};

const char *sg_rec_risk_name(enum sg_rec_risk r)
{
    if ((unsigned)r >= sizeof(risk_names) / sizeof(risk_names[0]))
        return "unknown";
    return risk_names[r];
}

/* ---- oom_badness ------------------------------------------------------- */

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

int64_t sg_oom_badness(const struct sg_oom_proc *p, uint64_t total_pages, uint64_t page_kib)
{
    uint64_t pages;
    int64_t points, per_adj;

    if (p->oom_score_adj <= OOM_SCORE_ADJ_MIN)
        return INT64_MIN;
    if (page_kib == 0)
        page_kib = 4;
    /*
     * get_mm_rss() + get_mm_counter(MM_SWAPENTS) + mm_pgtables_bytes() / PAGE_SIZE:
     * VmRSS and VmSwap are those page counts in kB, VmPTE is pgtables_bytes >> 10.
     */
    pages = sat_add(sat_add(p->rss_kib / page_kib, p->swap_kib / page_kib), p->pte_kib / page_kib);
    if (pages > (uint64_t)INT64_MAX / 4)
        pages = (uint64_t)INT64_MAX / 4;
    points = (int64_t)pages;
    /* adj *= totalpages / 1000: the division truncates first. */
    per_adj = (int64_t)(total_pages / 1000 > (uint64_t)INT64_MAX / 4000 ? (uint64_t)INT64_MAX / 4000
                                                                        : total_pages / 1000);
    /* The kernel keeps oom_score_adj within -1000..1000; so does this, against overflow. */
    return points + (int64_t)(p->oom_score_adj > 1000 ? 1000 : p->oom_score_adj) * per_adj;
}

size_t sg_oom_forecast(const struct sg_oom_proc *procs, size_t n, uint64_t mem_total_kib, uint64_t page_kib,
                       struct sg_oom_victim *out)
{
    uint64_t total_pages;
    size_t n_out = 0;

    if (page_kib == 0)
        page_kib = 4;
    total_pages = mem_total_kib / page_kib;
    for (size_t i = 0; i < n; i++) {
        int64_t pts;
        size_t at;

        /* oom_unkillable_task(): the global init is never chosen (kernel threads have no mm
         * and are not in the scan). */
        if (procs[i].pid == 1)
            continue;
        pts = sg_oom_badness(&procs[i], total_pages, page_kib);
        if (pts == INT64_MIN)
            continue;
        /*
         * Ties: oom_evaluate_task() skips only "points < chosen_points", so of equal
         * scores the task scanned last is chosen: a later process ranks first.
         */
        at = n_out;
        while (at > 0 && out[at - 1].points <= pts)
            at--;
        if (at >= SG_OOM_FORECAST_MAX)
            continue;
        if (n_out < SG_OOM_FORECAST_MAX)
            n_out++;
        memmove(&out[at + 1], &out[at], (n_out - 1 - at) * sizeof(out[0]));
        out[at].pid = procs[i].pid;
        out[at].points = pts;
        snprintf(out[at].comm, sizeof(out[at].comm), "%.*s", (int)sizeof(procs[i].comm) - 1, procs[i].comm);
    }
    return n_out;
}

/* ---- bounded strings ---------------------------------------------------- */

/* Appends to buf (NUL-terminated, size bytes), truncating. */
__attribute__((format(printf, 3, 4))) static void appendf(char *buf, size_t size, const char *fmt, ...)
{
    size_t len = strnlen(buf, size);
    va_list ap;

    if (len + 1 >= size)
        return;
    va_start(ap, fmt);
    vsnprintf(buf + len, size - len, fmt, ap);
    va_end(ap);
}

/*
 * Appends one line to a command buffer: whole (with a '\n' before it unless
 * the buffer is empty) or not at all. Returns false when it does not fit.
 */
__attribute__((format(printf, 3, 4))) static bool append_line(char *buf, size_t size, const char *fmt, ...)
{
    char line[sizeof(((struct sg_rec *)0)->command)];
    size_t len = strnlen(buf, size);
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (r < 0 || (size_t)r >= sizeof(line))
        return false;
    if (len + (len > 0) + (size_t)r + 1 > size)
        return false;
    if (len > 0)
        buf[len++] = '\n';
    memcpy(buf + len, line, (size_t)r + 1);
    return true;
}

/* A size for people: "512 KiB", "120.0 MiB", "21.6 GiB". Valid to the end of the full expression. */
struct sz {
    char s[32];
};

static struct sz sz(uint64_t kib)
{
    struct sz r;

    if (kib == SG_POLICY_NONE)
        snprintf(r.s, sizeof(r.s), "unlimited");
    else if (kib >= KIB_PER_GIB)
        snprintf(r.s, sizeof(r.s), "%.1f GiB", (double)kib / (double)KIB_PER_GIB);
    else if (kib >= KIB_PER_MIB)
        snprintf(r.s, sizeof(r.s), "%.1f MiB", (double)kib / (double)KIB_PER_MIB);
    else
        snprintf(r.s, sizeof(r.s), "%" PRIu64 " KiB", kib);
    return r;
}

enum quote_err { QUOTE_OK = 0, QUOTE_CONTROL, QUOTE_TOO_LONG, QUOTE_NULL };

/*
 * Single-quotes s for a POSIX shell ('\'' for an embedded quote). Refuses
 * control characters (a newline would end the command line and start the
 * next) and strings whose quoted form does not fit.
 */
static enum quote_err sh_quote(char *dst, size_t size, const char *s)
{
    size_t o = 0;

    dst[0] = '\0';
    if (!s)
        return QUOTE_NULL;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            return QUOTE_CONTROL;
    if (size < 3)
        return QUOTE_TOO_LONG;
    dst[o++] = '\'';
    for (const char *c = s; *c; c++) {
        if (*c == '\'') {
            if (o + 4 + 2 > size)
                return dst[0] = '\0', QUOTE_TOO_LONG;
            memcpy(dst + o, "'\\''", 4);
            o += 4;
        } else {
            if (o + 1 + 2 > size)
                return dst[0] = '\0', QUOTE_TOO_LONG;
            dst[o++] = *c;
        }
    }
    dst[o++] = '\'';
    dst[o] = '\0';
    return QUOTE_OK;
}

static const char *quote_reason(enum quote_err e)
{
    switch (e) {
    case QUOTE_CONTROL:
        return "holds control characters (a newline, escape ...)";
    case QUOTE_TOO_LONG:
        return "is too long to quote";
    case QUOTE_NULL:
        return "is unknown";
    case QUOTE_OK:
        break;
    }
    return "is fine";
}

/* ---- collecting and ordering ------------------------------------------- */

struct collector {
    struct sg_rec *out;
    size_t max, n, seq;
};

/* Safest first: not refused, low risk, live, action order, then generation order. */
static int rec_cmp(const void *a, const void *b)
{
    const struct sg_rec *x = a, *y = b;

    if (x->refused != y->refused)
        return x->refused ? 1 : -1;
    if (x->risk != y->risk)
        return x->risk < y->risk ? -1 : 1;
    if (x->live != y->live)
        return x->live ? -1 : 1;
    if (x->action != y->action)
        return x->action < y->action ? -1 : 1;
    if (x->seq != y->seq)
        return x->seq < y->seq ? -1 : 1;
    return 0;
}

/* Keeps the max safest: when full, r replaces the least safe one if r is safer. */
static void collect(struct collector *k, struct sg_rec *r)
{
    size_t worst = 0;

    r->seq = k->seq++;
    if (k->max == 0)
        return;
    if (k->n < k->max) {
        k->out[k->n++] = *r;
        return;
    }
    for (size_t i = 1; i < k->n; i++)
        if (rec_cmp(&k->out[i], &k->out[worst]) > 0)
            worst = i;
    if (rec_cmp(r, &k->out[worst]) < 0)
        k->out[worst] = *r;
}

static void rec_init(struct sg_rec *r, enum sg_rec_action a, const struct sg_rec_domain *d)
{
    memset(r, 0, sizeof(*r));
    r->action = a;
    r->host = d == NULL;
    if (d && d->name)
        snprintf(r->domain, sizeof(r->domain), "%.*s", (int)sizeof(r->domain) - 1, d->name);
    r->live = true;
}

/* ---- context ------------------------------------------------------------ */

static bool verdict_host_swap(const struct sg_rec_domain *d)
{
    return d->verdict.kind == SG_VERDICT_HOST_SWAP_STALL || d->verdict.kind == SG_VERDICT_HOST_SWAP_RISK;
}

static uint64_t swap_used_kib(const struct sg_rec_host *h)
{
    return h->swap_free_kib < h->swap_total_kib ? h->swap_total_kib - h->swap_free_kib : 0;
}

/* Guest RAM in host swap: smaps of the guest-RAM mapping when read, else VmSwap. */
static uint64_t dom_swapped_kib(const struct sg_rec_domain *d, const char **src)
{
    if (d->guest_ram_swap_kib != SG_POLICY_NONE) {
        *src = "smaps Swap of the guest-RAM mapping";
        return d->guest_ram_swap_kib;
    }
    *src = "QEMU VmSwap";
    return d->vm_swap_kib == SG_POLICY_NONE ? 0 : d->vm_swap_kib;
}

/* why: the lead sentence, then the verdict and up to three pieces of its evidence. */
__attribute__((format(printf, 3, 4))) static void dom_why(struct sg_rec *r, const struct sg_rec_domain *d,
                                                          const char *fmt, ...)
{
    va_list ap;
    size_t n_ev = d->verdict.n_ev < SG_MAX_EVIDENCE ? d->verdict.n_ev : SG_MAX_EVIDENCE;

    va_start(ap, fmt);
    vsnprintf(r->why, sizeof(r->why), fmt, ap);
    va_end(ap);
    appendf(r->why, sizeof(r->why), "; verdict %s", sg_verdict_name(d->verdict.kind));
    for (size_t i = 0; i < n_ev && i < 3; i++)
        appendf(r->why, sizeof(r->why), "%s%.*s", i == 0 ? ": " : "; ", (int)sizeof(d->verdict.ev[i].text),
                d->verdict.ev[i].text);
}

static bool is_critical(const struct sg_recommend_config *c, const struct sg_rec_domain *d)
{
    if (!c->critical)
        return false;
    for (const char *const *p = c->critical; *p; p++)
        if ((d->name && strcmp(*p, d->name) == 0) || (d->uuid && strcmp(*p, d->uuid) == 0))
            return true;
    return false;
}

uint64_t sg_swap_limit_v1_kib(uint64_t memory_limit_kib, uint64_t guest_ram_kib, uint64_t qemu_overhead_kib)
{
    uint64_t need = sat_add(guest_ram_kib, qemu_overhead_kib);

    return memory_limit_kib > need ? memory_limit_kib : need;
}

bool sg_swapoff_fits(uint64_t reserve_kib, uint64_t mem_available_kib, uint64_t swap_used_kib, char *text,
                     size_t size)
{
    if (mem_available_kib >= swap_used_kib && mem_available_kib - swap_used_kib >= reserve_kib) {
        snprintf(text, size, "MemAvailable %s - SwapUsed %s = %s >= reserve %s: holds, the swapped pages fit in RAM",
                 sz(mem_available_kib).s, sz(swap_used_kib).s, sz(mem_available_kib - swap_used_kib).s,
                 sz(reserve_kib).s);
        return true;
    }
    snprintf(text, size,
             "MemAvailable %s - SwapUsed %s < reserve %s: refused, the swapped pages do not fit in RAM (%s short)",
             sz(mem_available_kib).s, sz(swap_used_kib).s, sz(reserve_kib).s,
             sz(sat_add(swap_used_kib, reserve_kib) - mem_available_kib).s);
    return false;
}

bool sg_prefetch_fits(uint64_t reserve_kib, uint64_t mem_available_kib, uint64_t swapped_kib, char *text,
                      size_t size)
{
    if (mem_available_kib >= sat_add(swapped_kib, reserve_kib)) {
        snprintf(text, size, "MemAvailable %s >= swapped %s + reserve %s: holds", sz(mem_available_kib).s,
                 sz(swapped_kib).s, sz(reserve_kib).s);
        return true;
    }
    snprintf(text, size,
             "MemAvailable %s < swapped %s + reserve %s: refused, bringing it back would push other memory out",
             sz(mem_available_kib).s, sz(swapped_kib).s, sz(reserve_kib).s);
    return false;
}

/* ---- next-boot preconditions (shared with apply lock-memory, hugepages) -- */

static bool node_allowed(const struct sg_rec_domain *d, int node)
{
    if (node < 0 || d->n_numa_nodes == 0 || !d->numa_nodes)
        return true;
    for (size_t i = 0; i < d->n_numa_nodes; i++)
        if (d->numa_nodes[i] == node)
            return true;
    return false;
}

static uint64_t pages_for(uint64_t kib, uint64_t page_size_kib)
{
    return kib / page_size_kib + (kib % page_size_kib != 0);
}

static void nodes_text(char *buf, size_t size, const struct sg_rec_domain *d)
{
    buf[0] = '\0';
    if (d->n_numa_nodes == 0 || !d->numa_nodes) {
        snprintf(buf, size, "any node");
        return;
    }
    appendf(buf, size, "node%s ", d->n_numa_nodes > 1 ? "s" : "");
    for (size_t i = 0; i < d->n_numa_nodes; i++)
        appendf(buf, size, "%s%d", i ? "," : "", d->numa_nodes[i]);
}

static void pool_name(char *buf, size_t size, int node)
{
    if (node < 0)
        snprintf(buf, size, "the host pool");
    else
        snprintf(buf, size, "node%d", node);
}

bool sg_lock_memory_fits(uint64_t reserve_kib, uint64_t qemu_overhead_kib, uint64_t mem_total_kib,
                         uint64_t locked_guests_kib, uint64_t guest_ram_kib, char *text, size_t size)
{
    uint64_t total = sat_add(locked_guests_kib, sat_add(guest_ram_kib, qemu_overhead_kib));
    uint64_t limit = mem_total_kib > reserve_kib ? mem_total_kib - reserve_kib : 0;
    bool holds = total <= limit;

    snprintf(text, size,
             "locked total %s (already locked %s + guest RAM %s + QEMU overhead %s) %s host RAM %s - "
             "reserve %s = %s: %s",
             sz(total).s, sz(locked_guests_kib).s, sz(guest_ram_kib).s, sz(qemu_overhead_kib).s,
             holds ? "<=" : ">", sz(mem_total_kib).s, sz(reserve_kib).s, sz(limit).s, holds ? "holds" : "refused");
    return holds;
}

bool sg_hugepages_fit(uint64_t reserve_kib, const struct sg_rec_host *h, const struct sg_rec_domain *d,
                      uint64_t page_size_kib, char *text, size_t size, char *cmd, size_t cmd_size,
                      uint64_t *grow_kib)
{
    const struct sg_rec_hugepool *grow = NULL;
    uint64_t need, free_sum = 0, deficit, grow_by;
    size_t n_of_size = 0;
    int grow_node;
    char nodes[64], have[160] = "", pn[32], path[160];

    if (cmd && cmd_size > 0)
        cmd[0] = '\0';
    if (grow_kib)
        *grow_kib = 0;
    for (size_t i = 0; h->pools && i < h->n_pools; i++)
        n_of_size += page_size_kib > 0 && h->pools[i].page_size_kib == page_size_kib;
    if (n_of_size == 0) {
        snprintf(text, size,
                 "the host has no pool of %" PRIu64 " KiB hugepages (no hugepages-%" PRIu64
                 "kB in sysfs): refused",
                 page_size_kib, page_size_kib);
        return false;
    }
    need = pages_for(d->guest_ram_kib, page_size_kib);
    nodes_text(nodes, sizeof(nodes), d);
    for (size_t i = 0; i < h->n_pools; i++) {
        const struct sg_rec_hugepool *p = &h->pools[i];

        if (p->page_size_kib != page_size_kib || !node_allowed(d, p->node))
            continue;
        pool_name(pn, sizeof(pn), p->node);
        if (p->free_pages >= need) {
            snprintf(text, size,
                     "need %" PRIu64 " pages of %" PRIu64 " KiB on %s; %s has %" PRIu64 " free of %" PRIu64
                     ": holds",
                     need, page_size_kib, nodes, pn, p->free_pages, p->nr_pages);
            return true;
        }
        free_sum = sat_add(free_sum, p->free_pages);
        appendf(have, sizeof(have), " %s has %" PRIu64 " free of %" PRIu64 ",", pn, p->free_pages, p->nr_pages);
        if (!grow || p->free_pages > grow->free_pages)
            grow = p;
    }
    if (free_sum >= need) {
        snprintf(text, size,
                 "need %" PRIu64 " pages of %" PRIu64 " KiB on %s; %" PRIu64
                 " free over those nodes together (the guest may spread): holds",
                 need, page_size_kib, nodes, free_sum);
        return true;
    }

    deficit = need - free_sum;
    grow_by = deficit > UINT64_MAX / page_size_kib ? UINT64_MAX : deficit * page_size_kib;
    /* Bounded parts (nodes 64, have 160): the outcome always fits in 400 bytes. */
    snprintf(text, size,
             "pool too small: need %" PRIu64 " pages of %" PRIu64 " KiB on %s,%s refused; growing it takes %s "
             "of RAM now (MemAvailable %s%s)",
             need, page_size_kib, nodes, have[0] ? have : " none there,", sz(grow_by).s,
             sz(h->mem_available_kib).s,
             h->mem_available_kib >= sat_add(grow_by, reserve_kib) ? "" : ": the host cannot spare it");
    if (grow_kib)
        *grow_kib = grow_by;
    if (!cmd || cmd_size == 0)
        return false;
    grow_node = grow ? grow->node : (d->n_numa_nodes > 0 && d->numa_nodes ? d->numa_nodes[0] : -1);
    if (grow_node >= 0)
        snprintf(path, sizeof(path),
                 "/sys/devices/system/node/node%d/hugepages/hugepages-%" PRIu64 "kB/nr_hugepages", grow_node,
                 page_size_kib);
    else
        snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/hugepages-%" PRIu64 "kB/nr_hugepages",
                 page_size_kib);
    snprintf(cmd, cmd_size, "echo %" PRIu64 " > %s", sat_add(grow ? grow->nr_pages : 0, deficit), path);
    return false;
}

/* ---- host recommendations ---------------------------------------------- */

static void rec_swapoff(const struct sg_recommend_config *c, const struct sg_rec_host *h,
                        const struct sg_rec_domain *doms, size_t n_doms, struct collector *k)
{
    struct sg_rec r;
    uint64_t used = swap_used_kib(h);
    uint64_t page_kib = h->page_kib ? h->page_kib : 4;
    size_t n_affected = 0;
    bool all_devices = h->swaps && h->n_swaps > 0;

    rec_init(&r, SG_REC_SWAPOFF, NULL);
    snprintf(r.why, sizeof(r.why), "host swap in use: %s of %s; guest RAM in host swap:", sz(used).s,
             sz(h->swap_total_kib).s);
    for (size_t i = 0; i < n_doms; i++) {
        const char *src;

        if (!verdict_host_swap(&doms[i]))
            continue;
        appendf(r.why, sizeof(r.why), "%s %s (%s, %s)", n_affected ? "," : "",
                doms[i].name ? doms[i].name : "?", sg_verdict_name(doms[i].verdict.kind),
                sz(dom_swapped_kib(&doms[i], &src)).s);
        n_affected++;
    }

    if (sg_swapoff_fits(c->host_reserve_kib, h->mem_available_kib, used, r.precondition, sizeof(r.precondition))) {
        r.risk = SG_RISK_MEDIUM;
        snprintf(r.risk_text, sizeof(r.risk_text),
                 "page-in burst: %s is read back from swap while guests and host wait (minutes per GiB on "
                 "slow disks); afterwards the host has no swap, so a later memory peak goes to the OOM "
                 "killer",
                 sz(used).s);
    } else {
        r.refused = true;
        r.risk = SG_RISK_HIGH;
        r.n_forecast =
            sg_oom_forecast(h->procs, h->procs ? h->n_procs : 0, h->mem_total_kib, page_kib, r.forecast);
        if (r.n_forecast > 0)
            snprintf(r.risk_text, sizeof(r.risk_text),
                     "the OOM killer would fire; first victim by oom_badness: PID %d (%.63s), %" PRId64
                     " points",
                     r.forecast[0].pid, r.forecast[0].comm, r.forecast[0].points);
        else
            snprintf(r.risk_text, sizeof(r.risk_text),
                     "the OOM killer would fire (no process list to forecast the victim)");
    }

    for (size_t i = 0; i < h->n_swaps && all_devices; i++) {
        char fn[sizeof(h->swaps[i].filename) + 1], q[sizeof(fn) + 64];

        /* Bounded even if the filler left the field unterminated. */
        snprintf(fn, sizeof(fn), "%.*s", (int)sizeof(h->swaps[i].filename), h->swaps[i].filename);
        if (sh_quote(q, sizeof(q), fn) != QUOTE_OK ||
            !append_line(r.command, sizeof(r.command), "swapoff %s", q))
            all_devices = false;
    }
    if (!all_devices) {
        r.command[0] = '\0';
        append_line(r.command, sizeof(r.command), "swapoff -a");
    }
    append_line(r.command, sizeof(r.command), "# or: swapguard apply %s --yes",
                sg_rec_action_name(SG_REC_SWAPOFF));
    collect(k, &r);
}

static void rec_swappiness(const struct sg_recommend_config *c, const struct sg_rec_host *h,
                           struct collector *k)
{
    struct sg_rec r;
    char cur[24], cmp[64];

    if (h->swappiness >= 0 && (unsigned)h->swappiness <= c->swappiness_target)
        return;
    if (h->swappiness < 0) {
        snprintf(cur, sizeof(cur), "unknown");
        snprintf(cmp, sizeof(cmp), "unknown (not read; target %u)", c->swappiness_target);
    } else {
        snprintf(cur, sizeof(cur), "%d", h->swappiness);
        snprintf(cmp, sizeof(cmp), "%d > target %u", h->swappiness, c->swappiness_target);
    }
    rec_init(&r, SG_REC_SWAPPINESS, NULL);
    snprintf(r.why, sizeof(r.why),
             "the host keeps swap (%s, %s used) and vm.swappiness is %s: the kernel swaps anonymous "
             "memory, guest RAM included, instead of dropping page cache",
             sz(h->swap_total_kib).s, sz(swap_used_kib(h)).s, cur);
    snprintf(r.precondition, sizeof(r.precondition), "SwapTotal %s > 0 and vm.swappiness %s: holds",
             sz(h->swap_total_kib).s, cmp);
    r.risk = SG_RISK_LOW;
    snprintf(r.risk_text, sizeof(r.risk_text),
             "reclaim prefers page cache: file I/O may rise; under real pressure the kernel still swaps");
    append_line(r.command, sizeof(r.command), "sysctl -w vm.swappiness=%u", c->swappiness_target);
    append_line(r.command, sizeof(r.command), "echo 'vm.swappiness = %u' > /etc/sysctl.d/90-swapguard.conf",
                c->swappiness_target);
    collect(k, &r);
}

/*
 * Not a remedy: what lets the host measure a stall. Without delay accounting
 * the vCPU threads' waits for swap-in, block I/O and a CPU are not measured
 * (taskstats answers zeros), and a synchronous stall shows only in wchan looks.
 */
static void rec_delay_accounting(const struct sg_rec_host *h, struct collector *k)
{
    struct sg_rec r;

    if (!h->delayacct_off)
        return;
    rec_init(&r, SG_REC_DELAY_ACCOUNTING, NULL);
    snprintf(r.why, sizeof(r.why),
             "kernel.task_delayacct is 0: the host does not measure how long the vCPU threads wait for "
             "swap-in, block I/O or a CPU (taskstats delay accounting), so a stall's lost time rests on "
             "sampled thread states and run-queue wait only");
    snprintf(r.precondition, sizeof(r.precondition),
             "/proc/sys/kernel/task_delayacct = 0 (switchable at run time since Linux 5.14): holds");
    r.risk = SG_RISK_LOW;
    snprintf(r.risk_text, sizeof(r.risk_text),
             "a little work on every context switch and every block I/O or swap-in wait (two clock reads "
             "and the sums per task): the reason the kernel's default is off");
    append_line(r.command, sizeof(r.command), "sysctl -w kernel.task_delayacct=1");
    append_line(r.command, sizeof(r.command),
                "echo 'kernel.task_delayacct = 1' > /etc/sysctl.d/90-swapguard-delayacct.conf");
    collect(k, &r);
}

/* ---- domain recommendations --------------------------------------------- */

struct dom_ctx {
    const struct sg_recommend_config *c;
    const struct sg_rec_host *h;
    const struct sg_rec_domain *d;
    char qname[1100];    /* the name single-quoted for the shell */
    enum quote_err qerr; /* QUOTE_OK: qname usable */
};

/* A domain whose name cannot go into a command line: refused, without a command. */
static void dom_collect(struct dom_ctx *x, struct sg_rec *r, struct collector *k)
{
    if (x->qerr != QUOTE_OK) {
        r->refused = true;
        r->command[0] = '\0';
        snprintf(r->precondition, sizeof(r->precondition),
                 "refused: the domain name %s: no command is emitted for it", quote_reason(x->qerr));
    }
    collect(k, r);
}

static void rec_swap_limit(struct dom_ctx *x, struct collector *k)
{
    const struct sg_rec_domain *d = x->d;
    const struct sg_recommend_config *c = x->c;
    struct sg_rec r;
    const char *src;
    uint64_t swapped = dom_swapped_kib(d, &src);
    uint64_t need = sat_add(d->guest_ram_kib, c->qemu_overhead_kib);
    bool limited = d->memory_limit_kib != SG_POLICY_NONE;
    static const char differ[] = "libvirt's swap_hard_limit is memory+swap on cgroup v1 "
                                 "(memory.memsw.limit_in_bytes) but swap alone on v2 (memory.swap.max)";

    rec_init(&r, SG_REC_SWAP_LIMIT, d);
    dom_why(&r, d, "%s of guest RAM in host swap (%s): the host may swap this guest out further",
            sz(swapped).s, src);

    if (d->cgroup_version == 2) {
        char path[4200], qpath[sizeof(path) + 64];
        int len;

        if (!d->cgroup_path || !d->cgroup_path[0]) {
            r.refused = true;
            snprintf(r.precondition, sizeof(r.precondition),
                     "cgroup v2, but the guest's memory cgroup path is unknown: refused");
        } else if ((len = snprintf(path, sizeof(path), "/sys/fs/cgroup%s/memory.swap.max",
                                   d->cgroup_path)) < 0 ||
                   (size_t)len >= sizeof(path) || sh_quote(qpath, sizeof(qpath), path) != QUOTE_OK ||
                   !append_line(r.command, sizeof(r.command), "echo 0 > %s", qpath)) {
            r.refused = true;
            snprintf(r.precondition, sizeof(r.precondition),
                     "cgroup v2, but the cgroup path holds control characters or is too long: refused");
        } else {
            snprintf(
                r.precondition, sizeof(r.precondition),
                "cgroup v2: memory.swap.max = 0 forbids swap for this guest alone (%s; libvirt refuses a "
                "swap_hard_limit below hard_limit, so the file is written directly and lasts until the "
                "guest restarts); memory limit %s: holds",
                differ, sz(d->memory_limit_kib).s);
        }
    } else if (d->cgroup_version == 1) {
        if (!limited) {
            r.refused = true;
            snprintf(r.precondition, sizeof(r.precondition),
                     "cgroup v1: %s; the memory limit is unlimited, so memory+swap = memory limit is "
                     "meaningless: set a hard_limit first (virsh memtune --hard-limit, e.g. guest RAM + QEMU "
                     "overhead = %" PRIu64 " KiB): refused",
                     differ, need);
        } else {
            uint64_t l = sg_swap_limit_v1_kib(d->memory_limit_kib, d->guest_ram_kib, c->qemu_overhead_kib);

            snprintf(r.precondition, sizeof(r.precondition),
                     "cgroup v1: %s; memory+swap limit = memory limit %" PRIu64 " KiB%s leaves no swap "
                     "(the kernel refuses it, EBUSY, while memory+swap in use exceeds it): holds",
                     differ, l,
                     l > d->memory_limit_kib ? " (raised to guest RAM + QEMU overhead: below it, the "
                                               "cgroup OOM killer kills QEMU)"
                                             : "");
            append_line(r.command, sizeof(r.command),
                        "virsh memtune --domain %s --hard-limit %" PRIu64 " --swap-hard-limit %" PRIu64,
                        x->qname, l, l);
        }
    } else {
        r.refused = true;
        snprintf(r.precondition, sizeof(r.precondition),
                 "the guest has no memory cgroup of its own (cgroup version unknown): refused");
    }

    if (limited && d->memory_limit_kib < need && d->cgroup_version == 1) {
        r.risk = SG_RISK_MEDIUM;
        snprintf(r.risk_text, sizeof(r.risk_text),
                 "memory limit %s raised to guest RAM + QEMU overhead %s; QEMU above it is OOM-killed; on v1 "
                 "host-wide reclaim can still swap the guest out (no swap check there)",
                 sz(d->memory_limit_kib).s, sz(need).s);
    } else if (limited && d->memory_limit_kib < need) {
        r.risk = SG_RISK_HIGH;
        snprintf(r.risk_text, sizeof(r.risk_text),
                 "memory limit %s is below guest RAM + QEMU overhead %s: without swap the cgroup OOM killer "
                 "kills QEMU (the guest) as the guest touches its RAM",
                 sz(d->memory_limit_kib).s, sz(need).s);
    } else if (limited) {
        r.risk = SG_RISK_MEDIUM;
        snprintf(
            r.risk_text, sizeof(r.risk_text),
            "the cgroup reclaims its page cache at the memory limit %s and, if the working set exceeds it, "
            "the cgroup OOM killer kills QEMU; pages already in swap stay there (see prefetch)",
            sz(d->memory_limit_kib).s);
    } else {
        r.risk = SG_RISK_LOW;
        snprintf(
            r.risk_text, sizeof(r.risk_text),
            "no memory limit: host reclaim takes from other guests and page cache instead; pages already "
            "in swap stay there (see prefetch)");
    }
    dom_collect(x, &r, k);
}

static void rec_prefetch(struct dom_ctx *x, struct collector *k)
{
    const struct sg_rec_domain *d = x->d;
    const struct sg_rec_host *h = x->h;
    struct sg_rec r;
    const char *src;
    uint64_t swapped = dom_swapped_kib(d, &src);
    if (swapped == 0)
        return;
    rec_init(&r, SG_REC_PREFETCH, d);
    dom_why(&r, d, "%s of guest RAM in host swap (%s): each guest touch of it waits for a host swap-in",
            sz(swapped).s, src);
    r.risk = SG_RISK_LOW;
    if (!h->process_madvise) {
        r.refused = true;
        snprintf(r.precondition, sizeof(r.precondition),
                 "the kernel lacks process_madvise(2) with MADV_WILLNEED (Linux >= 5.15): refused");
    } else if (!sg_prefetch_fits(x->c->host_reserve_kib, h->mem_available_kib, swapped, r.precondition,
                                 sizeof(r.precondition))) {
        r.refused = true;
        r.risk = SG_RISK_MEDIUM;
    } else {
        snprintf(r.precondition, sizeof(r.precondition), "process_madvise(MADV_WILLNEED) available and ");
        sg_prefetch_fits(x->c->host_reserve_kib, h->mem_available_kib, swapped,
                         r.precondition + strlen(r.precondition), sizeof(r.precondition) - strlen(r.precondition));
    }
    snprintf(r.risk_text, sizeof(r.risk_text),
             "reads %s back from swap (an I/O burst) and takes as much RAM; the host may swap it out again "
             "unless swap is limited for this guest or off",
             sz(swapped).s);
    append_line(r.command, sizeof(r.command), "swapguard apply %s %s --yes",
                sg_rec_action_name(SG_REC_PREFETCH), x->qname);
    append_line(r.command, sizeof(r.command),
                "# process_madvise(pidfd of QEMU %d, guest-RAM mapping, MADV_WILLNEED)", d->qemu_pid);
    dom_collect(x, &r, k);
}

static void rec_lock_memory(struct dom_ctx *x, struct collector *k)
{
    const struct sg_rec_domain *d = x->d;
    const struct sg_rec_host *h = x->h;
    const struct sg_recommend_config *c = x->c;
    struct sg_rec r;
    uint64_t hard = sat_add(d->guest_ram_kib, c->qemu_overhead_kib);

    rec_init(&r, SG_REC_LOCK_MEMORY, d);
    r.live = false;
    dom_why(&r, d, "guest RAM %s can be swapped by the host: locked, it stays in RAM",
            sz(d->guest_ram_kib).s);
    if (sg_lock_memory_fits(c->host_reserve_kib, c->qemu_overhead_kib, h->mem_total_kib, h->locked_guests_kib,
                            d->guest_ram_kib, r.precondition, sizeof(r.precondition))) {
        r.risk = SG_RISK_MEDIUM;
        snprintf(r.risk_text, sizeof(r.risk_text),
                 "locked memory cannot be reclaimed, swapped or ballooned; hard_limit %" PRIu64
                 " KiB: the cgroup OOM killer kills QEMU if it exceeds guest RAM + %s",
                 hard, sz(c->qemu_overhead_kib).s);
    } else {
        r.refused = true;
        r.risk = SG_RISK_HIGH;
        snprintf(
            r.risk_text, sizeof(r.risk_text),
            "the locked guests would leave the host less than its reserve: the host OOM killer fires, and "
            "locked memory is never given back");
    }
    append_line(r.command, sizeof(r.command), "virsh edit --domain %s", x->qname);
    append_line(r.command, sizeof(r.command),
                "# add inside <domain> (merge with an existing element), effective at the next boot:");
    append_line(r.command, sizeof(r.command), "<memoryBacking><locked/></memoryBacking>");
    append_line(r.command, sizeof(r.command),
                "<memtune><hard_limit unit='KiB'>%" PRIu64 "</hard_limit></memtune>", hard);
    append_line(r.command, sizeof(r.command), "# or: swapguard apply %s %s --yes",
                sg_rec_action_name(SG_REC_LOCK_MEMORY), x->qname);
    dom_collect(x, &r, k);
}

static void hugepage_xml(struct dom_ctx *x, struct sg_rec *r, uint64_t size)
{
    append_line(r->command, sizeof(r->command), "virsh edit --domain %s", x->qname);
    append_line(
        r->command, sizeof(r->command),
        "# add inside <domain> (merge with an existing <memoryBacking>), effective at the next boot:");
    append_line(r->command, sizeof(r->command),
                "<memoryBacking><hugepages><page size='%" PRIu64 "' unit='KiB'/></hugepages></memoryBacking>",
                size);
}

#define MAX_PAGE_SIZES 8

static void rec_hugepages(struct dom_ctx *x, struct collector *k)
{
    const struct sg_rec_domain *d = x->d;
    const struct sg_rec_host *h = x->h;
    struct sg_rec r;
    uint64_t sizes[MAX_PAGE_SIZES];
    size_t n_sizes = 0;

    for (size_t i = 0; h->pools && i < h->n_pools; i++) {
        uint64_t s = h->pools[i].page_size_kib;
        size_t j = 0;

        if (s == 0)
            continue;
        while (j < n_sizes && sizes[j] != s)
            j++;
        if (j == n_sizes && n_sizes < MAX_PAGE_SIZES)
            sizes[n_sizes++] = s;
    }
    /* Largest first. */
    for (size_t i = 1; i < n_sizes; i++)
        for (size_t j = i; j > 0 && sizes[j - 1] < sizes[j]; j--) {
            uint64_t t = sizes[j];
            sizes[j] = sizes[j - 1];
            sizes[j - 1] = t;
        }

    rec_init(&r, SG_REC_HUGEPAGES, d);
    r.live = false;
    dom_why(&r, d, "guest RAM %s can be swapped by the host: hugepages never are", sz(d->guest_ram_kib).s);

    if (n_sizes == 0) {
        r.refused = true;
        r.risk = SG_RISK_MEDIUM;
        snprintf(r.precondition, sizeof(r.precondition),
                 "the host has no hugepage pools (no hugepages-*kB in sysfs): refused");
        snprintf(r.risk_text, sizeof(r.risk_text),
                 "a kernel without hugetlbfs pools cannot back the guest with hugepages");
        dom_collect(x, &r, k);
        return;
    }

    for (size_t s = 0; s < n_sizes; s++) {
        if (!sg_hugepages_fit(x->c->host_reserve_kib, h, d, sizes[s], r.precondition, sizeof(r.precondition),
                              NULL, 0, NULL))
            continue;
        r.risk = SG_RISK_LOW;
        snprintf(r.risk_text, sizeof(r.risk_text),
                 "the pages are taken from the pool at boot: the guest fails to start if others took them "
                 "first; hugepage memory is not shared (KSM) nor overcommitted");
        hugepage_xml(x, &r, sizes[s]);
        dom_collect(x, &r, k);
        return;
    }

    /* No pool fits: grow the 2 MiB pool (runtime growth of larger pages often fails), else the smallest. */
    {
        uint64_t g = sizes[n_sizes - 1], grow_kib;
        char grow_cmd[256];

        for (size_t s = 0; s < n_sizes; s++)
            if (sizes[s] == 2048)
                g = 2048;
        sg_hugepages_fit(x->c->host_reserve_kib, h, d, g, r.precondition, sizeof(r.precondition), grow_cmd,
                         sizeof(grow_cmd), &grow_kib);
        r.refused = true;
        r.risk = SG_RISK_MEDIUM;
        snprintf(
            r.risk_text, sizeof(r.risk_text),
            "growing the pool takes %s from the host at once and only hugepage users can use it; the kernel "
            "may allocate fewer pages than asked when memory is fragmented: check nr_hugepages",
            sz(grow_kib).s);
        append_line(r.command, sizeof(r.command), "%s", grow_cmd);
        append_line(r.command, sizeof(r.command), "# then, once the pool holds the pages:");
        hugepage_xml(x, &r, g);
        dom_collect(x, &r, k);
    }
}

static void rec_nova_flavor(struct dom_ctx *x, struct collector *k)
{
    const struct sg_rec_domain *d = x->d;
    const struct sg_rec_host *h = x->h;
    struct sg_rec r;
    char qflavor[600];
    enum quote_err fe;
    char ratio[160];

    rec_init(&r, SG_REC_NOVA_FLAVOR, d);
    r.live = false;
    if (h->mem_total_kib > 0)
        snprintf(ratio, sizeof(ratio), "overcommit %.2f (sum of guest RAM %s / host RAM %s)",
                 (double)h->sum_guest_ram_kib / (double)h->mem_total_kib, sz(h->sum_guest_ram_kib).s,
                 sz(h->mem_total_kib).s);
    else
        snprintf(ratio, sizeof(ratio), "overcommit unknown (host RAM unknown)");
    dom_why(&r, d, "Nova manages this guest (hand edits of its XML are lost); %s", ratio);

    fe = sh_quote(qflavor, sizeof(qflavor), d->nova_flavor ? d->nova_flavor : "<flavor>");
    if (fe != QUOTE_OK) {
        r.refused = true;
        snprintf(r.precondition, sizeof(r.precondition),
                 "refused: the flavor name %s: no command is emitted for it", quote_reason(fe));
    } else {
        snprintf(
            r.precondition, sizeof(r.precondition),
            "Nova-managed: flavor extra specs and nova.conf instead of the domain XML; hw:locked_memory "
            "needs Nova >= 26 (Zed) and hw:mem_page_size; the instance keeps its copy of the flavor until "
            "it is resized to it: holds");
        append_line(
            r.command, sizeof(r.command),
            "openstack flavor set %s --property hw:mem_page_size=large --property hw:locked_memory=true",
            qflavor);
        append_line(r.command, sizeof(r.command),
                    "# nova.conf of this compute host, then restart nova-compute:");
        append_line(r.command, sizeof(r.command), "# [DEFAULT]");
        append_line(r.command, sizeof(r.command), "# reserved_host_memory_mb = %" PRIu64,
                    x->c->host_reserve_kib / KIB_PER_MIB);
        append_line(r.command, sizeof(r.command), "# ram_allocation_ratio = 1.0");
    }
    r.risk = SG_RISK_MEDIUM;
    snprintf(r.risk_text, sizeof(r.risk_text),
             "the resize restarts the guest; large pages must be reserved on the compute hosts or scheduling "
             "fails; locked memory is never reclaimed; ratio 1.0 lowers how many guests fit");
    dom_collect(x, &r, k);
}

static void rec_oom_protect(struct dom_ctx *x, struct collector *k)
{
    const struct sg_rec_domain *d = x->d;
    const struct sg_rec_host *h = x->h;
    int target = x->c->oom_score_adj_critical;
    struct sg_rec r;

    if (d->oom_score_adj <= target)
        return;
    rec_init(&r, SG_REC_OOM_PROTECT, d);
    dom_why(&r, d, "critical guest; its QEMU (PID %d) has oom_score_adj %d", d->qemu_pid, d->oom_score_adj);
    r.risk = SG_RISK_MEDIUM;
    if (h->swap_total_kib > 0) {
        r.refused = true;
        snprintf(
            r.precondition, sizeof(r.precondition),
            "swap is on (SwapTotal %s): OOM protection does not stop swap stalls; do swapoff first: refused",
            sz(h->swap_total_kib).s);
    } else if (d->qemu_pid <= 0) {
        r.refused = true;
        snprintf(r.precondition, sizeof(r.precondition), "the QEMU PID is unknown: refused");
    } else {
        snprintf(r.precondition, sizeof(r.precondition),
                 "host swap off (SwapTotal 0) and QEMU oom_score_adj %d > target %d: holds", d->oom_score_adj,
                 target);
    }
    snprintf(r.risk_text, sizeof(r.risk_text),
             "the OOM killer picks the next biggest process instead (another guest or a host daemon); the "
             "setting is lost when QEMU restarts");
    if (d->qemu_pid > 0)
        append_line(r.command, sizeof(r.command), "echo %d > /proc/%d/oom_score_adj", target, d->qemu_pid);
    append_line(r.command, sizeof(r.command), "# or: swapguard apply %s %s --yes",
                sg_rec_action_name(SG_REC_OOM_PROTECT), x->qname);
    dom_collect(x, &r, k);
}

size_t sg_recommend(const struct sg_recommend_config *c, const struct sg_rec_host *h,
                    const struct sg_rec_domain *doms, size_t n_doms, struct sg_rec *out, size_t max)
{
    struct sg_recommend_config defaults;
    struct collector k = { .out = out, .max = out ? max : 0 };
    struct dom_ctx x;
    bool any_swap = false, any_pressure = false;

    if (!h || k.max == 0)
        return 0;
    if (!c) {
        sg_recommend_config_default(&defaults);
        c = &defaults;
    }
    if (!doms)
        n_doms = 0;
    for (size_t i = 0; i < n_doms; i++) {
        any_swap |= verdict_host_swap(&doms[i]);
        any_pressure |= doms[i].verdict.kind == SG_VERDICT_HOST_MEMORY_PRESSURE;
    }

    if (any_swap && h->swap_total_kib > 0)
        rec_swapoff(c, h, doms, n_doms, &k);
    if ((any_swap || any_pressure) && h->swap_total_kib > 0)
        rec_swappiness(c, h, &k);
    if (n_doms > 0)
        rec_delay_accounting(h, &k);

    for (size_t i = 0; i < n_doms; i++) {
        const struct sg_rec_domain *d = &doms[i];

        if (!verdict_host_swap(d))
            continue;
        x.c = c;
        x.h = h;
        x.d = d;
        x.qerr = sh_quote(x.qname, sizeof(x.qname), d->name);
        if (h->swap_total_kib > 0)
            rec_swap_limit(&x, &k);
        rec_prefetch(&x, &k);
        if (d->nova) {
            rec_nova_flavor(&x, &k);
        } else {
            if (!d->locked)
                rec_lock_memory(&x, &k);
            if (!d->hugepages)
                rec_hugepages(&x, &k);
        }
        if (is_critical(c, d))
            rec_oom_protect(&x, &k);
    }

    qsort(out, k.n, sizeof(out[0]), rec_cmp);
    return k.n;
}
