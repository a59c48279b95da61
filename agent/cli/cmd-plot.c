/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * swapguard plot: a post-mortem picture of the report history (JSON Lines,
 * agent/report/report.h) of one domain or all, with the remedies of the action
 * journal, as a PNG (cairo) or an SVG (written here, so that names and verdicts
 * are text in it). Per domain: the verdict as coloured bands, guest RAM in host
 * swap, the swap-in rate between history lines, the lost time of each line
 * (sg_lost_ms_per_s: the verdict's, else memory PSI full between lines), and a
 * marker per remedy applied or rolled back.
 *
 * The history is hostile input: read line by line with a bounded line length,
 * strict JSON with every type checked, bad lines skipped and counted on stderr,
 * at most PLOT_MAX_POINTS lines kept (the newest) and PLOT_MAX_DOMAINS panels;
 * names are escaped for the terminal (sg_fmt_safe) and for XML.
 */
#include <cairo.h>
#include <cairo-svg.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "agent/actions/action-journal.h"
#include "agent/cli/sampling.h"
#include "agent/core/config.h"
#include "agent/core/diagnose.h"
#include "agent/core/schema.h"
#include "policies/figures.h"
#include "policies/verdict.h"

#define PLOT_LINE_MAX 65536     /* bytes of one history line; longer ones are skipped */
#define PLOT_MAX_POINTS 100000  /* history lines kept (the newest) */
#define PLOT_MAX_DOMAINS 12     /* panels (--all) */
#define PLOT_MAX_MARKS 512      /* remedy markers */
#define PLOT_NAME_MAX 256

enum { PL_OPT_ALL, PL_OPT_HISTORY, PL_OPT_JOURNAL, PL_OPT_OUTPUT, PL_OPT_CONFIG, PL_OPT_WIDTH };
static const struct sg_opt_def plot_opts[] = {
    [PL_OPT_ALL] = { "all", NULL, "every domain of the history, one panel each (the first 12)" },
    [PL_OPT_HISTORY] = { "history", "FILE", "the JSON Lines history (default: [report] history of the config)" },
    [PL_OPT_JOURNAL] = { "journal", "FILE", "the action journal (default: [apply] state_dir/journal.json)" },
    [PL_OPT_OUTPUT] = { "output", "FILE", "the picture to write: FILE.png or FILE.svg (required)" },
    [PL_OPT_CONFIG] = { "config", "FILE", "configuration file (default " SG_CONFIG_DEFAULT_PATH ")" },
    [PL_OPT_WIDTH] = { "width", "PX", "picture width in pixels (default 1200; 600 to 4000)" },
    { NULL, NULL, NULL },
};

/* One history line of a plotted domain. */
struct point {
    double t;                 /* "unix" */
    unsigned dom;             /* index into plot.doms */
    enum sg_verdict_kind v;
    double conf;
    uint64_t swap_kib;        /* sg_guest_ram_in_host_swap_kib of the figures, SG_NONE */
    uint64_t ram_kib;         /* guest_ram_kib, SG_NONE */
    uint64_t pgmajfault;      /* cgroup_pgmajfault, SG_NONE */
    double lost_ms_per_s;     /* the line's (the verdict's) lost_ms_per_s, NAN when null or absent */
    uint64_t psi_full_total_us; /* psi_full_total_us of the figures (the fallback), SG_NONE */
};

struct dom {
    char uuid[40];
    char name[PLOT_NAME_MAX]; /* the newest name, escaped (sg_fmt_safe) */
};

struct mark {
    double t;
    unsigned id;
    char label[96];           /* "#3 swap-limit", "#3 swap-limit rolled back" */
    char uuid[40];            /* "" for a host action: on every panel */
    bool failed;
};

struct plot {
    struct point *pts;        /* ring of PLOT_MAX_POINTS, oldest at head */
    size_t head, n;
    uint64_t dropped;         /* older lines dropped from the ring */
    struct dom doms[PLOT_MAX_DOMAINS];
    unsigned n_doms;
    uint64_t lines, bad, other_doms, beyond_doms;
    unsigned long first_bad_line;
    char first_bad[160];
    struct mark marks[PLOT_MAX_MARKS];
    size_t n_marks;
    double t0, t1;
};

static const struct point *pt_at(const struct plot *p, size_t i)
{
    return &p->pts[(p->head + i) % PLOT_MAX_POINTS];
}

/* ---- reading the history ------------------------------------------------------- */

static bool get_number(json_object *o, const char *key, bool null_ok, double *out)
{
    json_object *v;

    if (!json_object_object_get_ex(o, key, &v) || !v)
        return null_ok ? (*out = NAN, true) : false;
    if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int))
        return false;
    *out = json_object_get_double(v);
    return isfinite(*out);
}

/* A figure: a non-negative integer, or null/absent (SG_NONE). */
static bool get_count(json_object *figs, enum sg_fig_id id, uint64_t *out)
{
    json_object *v;

    *out = SG_NONE;
    if (!figs || !json_object_object_get_ex(figs, sg_schema_get(id)->key, &v) || !v)
        return true;
    if (!json_object_is_type(v, json_type_int))
        return false;
    errno = 0;
    *out = json_object_get_uint64(v);
    return !errno && json_object_get_int64(v) >= 0 && *out != SG_NONE;
}

static const char *get_string(json_object *o, const char *key, size_t max)
{
    json_object *v;
    const char *s;

    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    s = json_object_get_string(v);
    return strlen(s) <= max && strlen(s) == (size_t)json_object_get_string_len(v) ? s : NULL;
}

/* Parses one line into pt (dom unset); the line's domain in *uuid, *name. false with why. */
static bool parse_line(const char *line, size_t len, struct point *pt, const char **uuid,
                       const char **name, json_object **keep, char *why, size_t why_size)
{
    json_tokener *tok = json_tokener_new();
    json_object *o, *figs = NULL;
    const char *vs;
    bool ok = false;

    *keep = NULL;
    if (!tok) {
        snprintf(why, why_size, "out of memory");
        return false;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    o = json_tokener_parse_ex(tok, line, (int)len);
    if (!o || json_tokener_get_error(tok) != json_tokener_success ||
        json_tokener_get_parse_end(tok) != len) {
        snprintf(why, why_size, "not one JSON document");
        goto out;
    }
    if (!json_object_is_type(o, json_type_object)) {
        snprintf(why, why_size, "not a JSON object");
        goto out;
    }
    memset(pt, 0, sizeof(*pt));
    if (!get_number(o, sg_schema_get(SG_F_REPORT_UNIX)->key, false, &pt->t) || pt->t <= 0) {
        snprintf(why, why_size, "no valid \"unix\" time");
        goto out;
    }
    *uuid = get_string(o, sg_schema_get(SG_F_REPORT_UUID)->key, 36);
    *name = get_string(o, sg_schema_get(SG_F_REPORT_DOMAIN)->key, 1024);
    if (!*uuid || !**uuid || !*name) {
        snprintf(why, why_size, "no valid \"uuid\" or \"domain\"");
        goto out;
    }
    vs = get_string(o, sg_schema_get(SG_F_REPORT_VERDICT)->key, 64);
    pt->v = SG_VERDICT_UNKNOWN;
    for (int k = SG_VERDICT_UNKNOWN; vs && k < SG_VERDICT__MAX; k++)
        if (strcmp(vs, sg_verdict_name(k)) == 0) {
            pt->v = (enum sg_verdict_kind)k;
            vs = NULL;
            break;
        }
    if (vs || !get_string(o, sg_schema_get(SG_F_REPORT_VERDICT)->key, 64)) {
        snprintf(why, why_size, "no known \"verdict\"");
        goto out;
    }
    if (!get_number(o, sg_schema_get(SG_F_REPORT_CONFIDENCE)->key, true, &pt->conf)) {
        snprintf(why, why_size, "\"confidence\" is not a number");
        goto out;
    }
    if (!get_number(o, sg_schema_get(SG_F_REPORT_LOST_MS_PER_S)->key, true, &pt->lost_ms_per_s) ||
        pt->lost_ms_per_s < 0) {
        snprintf(why, why_size, "\"%s\" is not a number >= 0", sg_schema_get(SG_F_REPORT_LOST_MS_PER_S)->key);
        goto out;
    }
    if (json_object_object_get_ex(o, sg_schema_get(SG_F_REPORT_FIGURES)->key, &figs) && figs &&
        !json_object_is_type(figs, json_type_object)) {
        snprintf(why, why_size, "\"figures\" is not an object");
        goto out;
    }
    {
        uint64_t vm_swap, cg_swap;

        if (!get_count(figs, SG_F_VM_SWAP_KIB, &vm_swap) ||
            !get_count(figs, SG_F_CGROUP_SWAP_BYTES, &cg_swap) ||
            !get_count(figs, SG_F_GUEST_RAM_KIB, &pt->ram_kib) ||
            !get_count(figs, SG_F_CGROUP_PGMAJFAULT, &pt->pgmajfault) ||
            !get_count(figs, SG_F_PSI_FULL_TOTAL_US, &pt->psi_full_total_us)) {
            snprintf(why, why_size, "a figure is not a non-negative integer");
            goto out;
        }
        pt->swap_kib = sg_guest_ram_in_host_swap_kib(vm_swap, cg_swap);
    }
    ok = true;
    *keep = o; /* uuid and name point into it */
    o = NULL;
out:
    json_object_put(o);
    json_tokener_free(tok);
    return ok;
}

static int dom_index(struct plot *p, const char *uuid, const char *name, bool create)
{
    for (unsigned i = 0; i < p->n_doms; i++)
        if (strcmp(p->doms[i].uuid, uuid) == 0) {
            sg_fmt_safe(name, p->doms[i].name, sizeof(p->doms[i].name));
            return (int)i;
        }
    if (!create || p->n_doms == PLOT_MAX_DOMAINS)
        return -1;
    snprintf(p->doms[p->n_doms].uuid, sizeof(p->doms[0].uuid), "%s", uuid);
    sg_fmt_safe(name, p->doms[p->n_doms].name, sizeof(p->doms[0].name));
    return (int)p->n_doms++;
}

static void bad_line(struct plot *p, unsigned long lineno, const char *why)
{
    if (!p->bad++) {
        p->first_bad_line = lineno;
        snprintf(p->first_bad, sizeof(p->first_bad), "%s", why);
    }
}

/* Reads f: the lines of domain ref (name or UUID), or of every domain (ref NULL). */
static int read_history(struct plot *p, FILE *f, const char *ref)
{
    _cleanup_free_ char *buf = malloc(PLOT_LINE_MAX + 2);
    unsigned long lineno = 0;

    if (!buf)
        return -ENOMEM;
    while (fgets(buf, PLOT_LINE_MAX + 2, f)) {
        size_t len = strlen(buf);
        const char *uuid, *name;
        json_object *keep;
        struct point pt;
        char why[160];
        int d;

        lineno++;
        if (len && buf[len - 1] != '\n' && !feof(f)) {
            int c;

            while ((c = fgetc(f)) != EOF && c != '\n') /* the rest of an overlong line */
                ;
            bad_line(p, lineno, "longer than 64 KiB");
            continue;
        }
        while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
            buf[--len] = '\0';
        if (!len)
            continue;
        p->lines++;
        if (memchr(buf, '\0', len) || !parse_line(buf, len, &pt, &uuid, &name, &keep, why, sizeof(why))) {
            bad_line(p, lineno, memchr(buf, '\0', len) ? "NUL byte" : why);
            continue;
        }
        if (ref && strcmp(ref, name) != 0 && strcasecmp(ref, uuid) != 0) {
            p->other_doms++;
            json_object_put(keep);
            continue;
        }
        d = dom_index(p, uuid, name, true);
        json_object_put(keep);
        if (d < 0) {
            p->beyond_doms++;
            continue;
        }
        pt.dom = (unsigned)d;
        if (p->n == PLOT_MAX_POINTS) {
            p->head = (p->head + 1) % PLOT_MAX_POINTS;
            p->n--;
            p->dropped++;
        }
        p->pts[(p->head + p->n) % PLOT_MAX_POINTS] = pt;
        p->n++;
    }
    return ferror(f) ? -EIO : 0;
}

/* The remedies of the journal document: applied, failed and rolled back, as markers. */
static void read_marks(struct plot *p, json_object *root)
{
    json_object *entries = NULL;

    if (!json_object_object_get_ex(root, "entries", &entries) || !entries)
        return;
    for (size_t i = 0; i < json_object_array_length(entries) && p->n_marks + 2 <= PLOT_MAX_MARKS; i++) {
        json_object *e = json_object_array_get_idx(entries, i);
        const char *action = sg_action_entry_str(e, "action");
        const char *status = sg_action_entry_str(e, "status");
        const char *uuid = sg_action_entry_str(e, "uuid");
        unsigned id = (unsigned)sg_action_entry_int(e, "id", 0);
        char a[48];
        double t, rt;

        if (!action || !status || !get_number(e, "time", false, &t))
            continue;
        sg_fmt_safe(action, a, sizeof(a));
        struct mark *m = &p->marks[p->n_marks++];
        m->t = t;
        m->id = id;
        m->failed = strcmp(status, "failed") == 0 || strcmp(status, "applying") == 0;
        snprintf(m->label, sizeof(m->label), "#%u %s%s", id, a, m->failed ? " (failed)" : "");
        snprintf(m->uuid, sizeof(m->uuid), "%s", uuid && strlen(uuid) < sizeof(m->uuid) ? uuid : "");
        if (strcmp(status, "rolled-back") == 0 && get_number(e, "rolled_back_time", false, &rt)) {
            struct mark *r = &p->marks[p->n_marks++];
            *r = *m;
            r->t = rt;
            snprintf(r->label, sizeof(r->label), "#%u %s rolled back", id, a);
        }
    }
}

/* ---- drawing: one interface, a cairo (PNG) and an SVG backend ------------------- */

struct canvas {
    cairo_t *cr; /* PNG */
    FILE *svg;   /* SVG */
};

static void rgb(uint32_t c, double *r, double *g, double *b)
{
    *r = ((c >> 16) & 0xff) / 255.0;
    *g = ((c >> 8) & 0xff) / 255.0;
    *b = (c & 0xff) / 255.0;
}

static void cv_rect(struct canvas *cv, double x, double y, double w, double h, uint32_t c, double alpha)
{
    double r, g, b;

    if (w <= 0 || h <= 0)
        return;
    if (cv->svg) {
        fprintf(cv->svg, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#%06x\" fill-opacity=\"%.2f\"/>\n",
                x, y, w, h, c, alpha);
        return;
    }
    rgb(c, &r, &g, &b);
    cairo_set_source_rgba(cv->cr, r, g, b, alpha);
    cairo_rectangle(cv->cr, x, y, w, h);
    cairo_fill(cv->cr);
}

static void cv_poly(struct canvas *cv, const double *xy, size_t n, uint32_t c, double width, bool dashed)
{
    double r, g, b, dash[] = { 5, 4 };

    if (n < 2)
        return;
    if (cv->svg) {
        fprintf(cv->svg, "<polyline fill=\"none\" stroke=\"#%06x\" stroke-width=\"%.1f\"%s points=\"", c,
                width, dashed ? " stroke-dasharray=\"5 4\"" : "");
        for (size_t i = 0; i < n; i++)
            fprintf(cv->svg, "%s%.1f,%.1f", i ? " " : "", xy[2 * i], xy[2 * i + 1]);
        fprintf(cv->svg, "\"/>\n");
        return;
    }
    rgb(c, &r, &g, &b);
    cairo_set_source_rgb(cv->cr, r, g, b);
    cairo_set_line_width(cv->cr, width);
    cairo_set_dash(cv->cr, dash, dashed ? 2 : 0, 0);
    cairo_move_to(cv->cr, xy[0], xy[1]);
    for (size_t i = 1; i < n; i++)
        cairo_line_to(cv->cr, xy[2 * i], xy[2 * i + 1]);
    cairo_stroke(cv->cr);
    cairo_set_dash(cv->cr, dash, 0, 0);
}

static void cv_line(struct canvas *cv, double x1, double y1, double x2, double y2, uint32_t c,
                    double width, bool dashed)
{
    double xy[4] = { x1, y1, x2, y2 };
    cv_poly(cv, xy, 2, c, width, dashed);
}

static void cv_dot(struct canvas *cv, double x, double y, double radius, uint32_t c)
{
    double r, g, b;

    if (cv->svg) {
        fprintf(cv->svg, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"#%06x\"/>\n", x, y, radius, c);
        return;
    }
    rgb(c, &r, &g, &b);
    cairo_set_source_rgb(cv->cr, r, g, b);
    cairo_arc(cv->cr, x, y, radius, 0, 2 * M_PI);
    cairo_fill(cv->cr);
}

/* XML text of s (already ASCII: sg_fmt_safe), escaped. */
static void svg_escaped(FILE *f, const char *s)
{
    for (; *s; s++)
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        default:
            if ((unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f)
                fputc(*s, f);
        }
}

/* Text at (x, y baseline); anchor 0 start, 1 middle, 2 end; angle in degrees (counter-clockwise). */
static void cv_text(struct canvas *cv, double x, double y, double size, int anchor, bool bold,
                    uint32_t c, double angle, const char *text)
{
    static const char *const anchors[] = { "start", "middle", "end" };
    cairo_text_extents_t ext;
    double r, g, b;

    if (cv->svg) {
        fprintf(cv->svg, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%.0f\" text-anchor=\"%s\" fill=\"#%06x\"%s", x,
                y, size, anchors[anchor], c, bold ? " font-weight=\"bold\"" : "");
        if (angle)
            fprintf(cv->svg, " transform=\"rotate(%.0f %.1f %.1f)\"", -angle, x, y);
        fputc('>', cv->svg);
        svg_escaped(cv->svg, text);
        fprintf(cv->svg, "</text>\n");
        return;
    }
    rgb(c, &r, &g, &b);
    cairo_save(cv->cr);
    cairo_set_source_rgb(cv->cr, r, g, b);
    cairo_select_font_face(cv->cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cv->cr, size);
    cairo_text_extents(cv->cr, text, &ext);
    cairo_translate(cv->cr, x, y);
    cairo_rotate(cv->cr, -angle * M_PI / 180);
    cairo_move_to(cv->cr, -(ext.x_advance * anchor / 2.0), 0);
    cairo_show_text(cv->cr, text);
    cairo_restore(cv->cr);
}

/* ---- the picture ----------------------------------------------------------------- */

#define MARGIN_L 96.0
#define MARGIN_R 36.0
#define HEAD_H 64.0
#define LEGEND_H 48.0
#define PANEL_TITLE_H 30.0
#define BAND_H 24.0
#define MARK_LABEL_H 15.0
#define MARK_ROWS 3
#define CHART_GAP 26.0
#define AXIS_H 34.0
#define PANEL_GAP 22.0

static const double chart_h[3] = { 150, 100, 100 };

#define C_TEXT 0x222222
#define C_GRID 0xdddddd
#define C_AXIS 0x555555
#define C_SWAP 0x1f77b4
#define C_SWAPIN 0x8c564b
#define C_LOST 0xd62728
#define C_LOST_FALLBACK 0x7f7f7f
#define C_MARK 0x333333

static uint32_t verdict_color(enum sg_verdict_kind v)
{
    switch (v) {
    case SG_VERDICT_HOST_SWAP_STALL: return 0xd62728;
    case SG_VERDICT_HOST_SWAP_RISK: return 0xff9f1c;
    case SG_VERDICT_HOST_MEMORY_PRESSURE: return 0x9467bd;
    case SG_VERDICT_GUEST_INTERNAL_SWAP: return 0x17becf;
    case SG_VERDICT_GUEST_IO_STALL: return 0xe377c2;
    case SG_VERDICT_HOST_CPU_CONTENTION: return 0xbcbd22;
    case SG_VERDICT_GUEST_LOCK_STALL: return 0x8c564b;
    case SG_VERDICT_DOMAIN_PAUSED: return 0x1f77b4;
    case SG_VERDICT_OK: return 0x2ca02c;
    case SG_VERDICT_UNKNOWN:
    case SG_VERDICT__MAX: break;
    }
    return 0xaaaaaa;
}

static double panel_height(void)
{
    return PANEL_TITLE_H + MARK_LABEL_H * MARK_ROWS + BAND_H + CHART_GAP + chart_h[0] + CHART_GAP + chart_h[1] +
           CHART_GAP + chart_h[2] + AXIS_H + PANEL_GAP;
}

struct frame {
    double x0, x1;  /* plot area, pixels */
    double t0, t1;  /* time range */
};

static double tx(const struct frame *fr, double t)
{
    return fr->x0 + (t - fr->t0) / (fr->t1 - fr->t0) * (fr->x1 - fr->x0);
}

/* A round upper bound for v (1, 2, 5 x 10^k), at least min. */
static double nice_max(double v, double min)
{
    double p;

    if (!(v > min))
        v = min;
    p = pow(10, floor(log10(v)));
    for (int k = 0; k < 3; k++) {
        static const double m[] = { 1, 2, 5 };
        if (m[k] * p >= v)
            return m[k] * p;
    }
    return 10 * p;
}

static void fmt_axis(double v, char *buf, size_t size)
{
    if (v >= 1e6)
        snprintf(buf, size, "%.1fM", v / 1e6);
    else if (v >= 1e4)
        snprintf(buf, size, "%.0fk", v / 1e3);
    else
        snprintf(buf, size, "%g", v);
}

/* The divisions of the y axis for a nice_max value: 4 for 2 x 10^k, else 5. */
static int divisions(double ymax)
{
    double m = ymax / pow(10, floor(log10(ymax)));
    return fabs(m - 2) < 1e-9 ? 4 : 5;
}

/* The frame of one chart: grid, y ticks, the label above it; returns the y scale (pixels per unit). */
static double chart_frame(struct canvas *cv, const struct frame *fr, double y, double h, double ymax,
                          const char *label, const char *unit)
{
    int nd = divisions(ymax);
    char t[32];

    cv_rect(cv, fr->x0, y, fr->x1 - fr->x0, h, 0xf7f7f7, 1);
    for (int k = 0; k <= nd; k++) {
        double gy = y + h - h * k / nd;

        cv_line(cv, fr->x0, gy, fr->x1, gy, C_GRID, 1, false);
        fmt_axis(ymax * k / nd, t, sizeof(t));
        cv_text(cv, fr->x0 - 6, gy + 4, 11, 2, false, C_AXIS, 0, t);
    }
    cv_line(cv, fr->x0, y, fr->x0, y + h, C_AXIS, 1, false);
    cv_text(cv, fr->x0, y - 6, 12, 0, true, C_TEXT, 0, label);
    cv_text(cv, 22, y + h / 2, 11, 1, false, C_AXIS, 90, unit);
    return h / ymax;
}

/* Time ticks and labels under the last chart (UTC). */
static void time_axis(struct canvas *cv, const struct frame *fr, double y, double y_top)
{
    static const double steps[] = { 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600,
                                    7200, 10800, 21600, 43200, 86400, 172800, 604800 };
    double span = fr->t1 - fr->t0, step = steps[SG_ELEMENTSOF(steps) - 1];

    for (size_t i = 0; i < SG_ELEMENTSOF(steps); i++)
        if (span / steps[i] <= 8) {
            step = steps[i];
            break;
        }
    for (double t = ceil(fr->t0 / step) * step; t <= fr->t1; t += step) {
        time_t tt = (time_t)t;
        struct tm tm;
        char buf[32];
        double x = tx(fr, t);

        gmtime_r(&tt, &tm);
        strftime(buf, sizeof(buf), step >= 86400 ? "%m-%d" : step >= 60 ? "%H:%M" : "%H:%M:%S", &tm);
        cv_line(cv, x, y_top, x, y, C_GRID, 1, false);
        cv_line(cv, x, y, x, y + 5, C_AXIS, 1, false);
        cv_text(cv, x, y + 18, 11, 1, false, C_AXIS, 0, buf);
    }
    cv_line(cv, fr->x0, y, fr->x1, y, C_AXIS, 1, false);
    cv_text(cv, fr->x1, y + 32, 11, 2, false, C_AXIS, 0, "time (UTC)");
}

/*
 * A rate series between consecutive points of domain d: counter c(point) per
 * second x scale, drawn as one horizontal step per interval. Returns whether
 * any step was drawn; max_only: only computes the largest value into *max.
 */
static bool rate_steps(struct canvas *cv, const struct plot *p, unsigned d, const struct frame *fr,
                       double y_base, double yscale, uint64_t (*c)(const struct point *), double scale,
                       uint32_t color, bool max_only, double *max)
{
    const struct point *prev = NULL;
    bool any = false;

    for (size_t i = 0; i < p->n; i++) {
        const struct point *q = pt_at(p, i);
        double r;

        if (q->dom != d)
            continue;
        if (prev) {
            r = sg_counter_rate(c(prev), c(q), q->t - prev->t) * scale;
            if (!isnan(r)) {
                any = true;
                if (max_only) {
                    if (r > *max)
                        *max = r;
                } else {
                    double y = y_base - r * yscale;
                    double xy[4] = { tx(fr, prev->t), y, tx(fr, q->t), y };
                    cv_rect(cv, xy[0], y, xy[2] - xy[0], y_base - y, color, 0.18);
                    cv_poly(cv, xy, 2, color, 2, false);
                }
            }
        }
        prev = q;
    }
    return any;
}

static uint64_t c_pgmajfault(const struct point *q) { return q->pgmajfault; }

/*
 * The lost time of domain d (sg_lost_ms_per_s): the verdict's at each history line that has
 * one, a dot at the line (it looks back over the verdict's window); at a line without one, the
 * fallback, memory PSI full between that line and the one before, a lighter step over the
 * interval. max_only: only the largest value into *max. Returns which kinds were found
 * (bit SG_LOST_VERDICT, bit SG_LOST_PSI_FULL).
 */
static unsigned lost_marks(struct canvas *cv, const struct plot *p, unsigned d, const struct frame *fr,
                           double y_base, double yscale, bool max_only, double *max)
{
    const struct point *prev = NULL;
    unsigned kinds = 0;

    for (size_t i = 0; i < p->n; i++) {
        const struct point *q = pt_at(p, i), *before = prev;
        enum sg_lost_from from;
        double r;

        if (q->dom != d)
            continue;
        r = sg_lost_ms_per_s(q->lost_ms_per_s, prev ? prev->psi_full_total_us : SG_NONE, q->psi_full_total_us,
                             prev ? q->t - prev->t : 0, &from);
        prev = q;
        if (from == SG_LOST_NONE)
            continue;
        kinds |= 1u << from;
        if (max_only) {
            if (r > *max)
                *max = r;
            continue;
        }
        if (from == SG_LOST_VERDICT) {
            cv_line(cv, tx(fr, q->t), y_base, tx(fr, q->t), y_base - r * yscale, C_LOST, 2, false);
            cv_dot(cv, tx(fr, q->t), y_base - r * yscale, 4, C_LOST);
        } else if (before) { /* always: the fallback is a rate from the line before */
            double y = y_base - r * yscale;
            double xy[4] = { tx(fr, before->t), y, tx(fr, q->t), y };

            cv_rect(cv, xy[0], y, xy[2] - xy[0], y_base - y, C_LOST_FALLBACK, 0.15);
            cv_poly(cv, xy, 2, C_LOST_FALLBACK, 1.5, true);
        }
    }
    return kinds;
}

static void draw_panel(struct canvas *cv, const struct plot *p, unsigned d, const struct frame *fr,
                       double y)
{
    const struct point *last = NULL;
    char buf[512], a[32];
    double y_band, y_c[3], ymax, sc, maxv;
    unsigned kinds;
    size_t n_d = 0;
    uint64_t ram = SG_NONE;

    for (size_t i = 0; i < p->n; i++)
        if (pt_at(p, i)->dom == d) {
            n_d++;
            if (pt_at(p, i)->ram_kib != SG_NONE)
                ram = pt_at(p, i)->ram_kib;
        }
    snprintf(buf, sizeof(buf), "%s", p->doms[d].name);
    cv_text(cv, fr->x0, y + 20, 16, 0, true, C_TEXT, 0, buf);
    snprintf(buf, sizeof(buf), "uuid %s, %zu history line%s (one per verdict change)", p->doms[d].uuid,
             n_d, n_d == 1 ? "" : "s");
    cv_text(cv, fr->x1, y + 20, 11, 2, false, C_AXIS, 0, buf);

    y_band = y + PANEL_TITLE_H + MARK_ROWS * MARK_LABEL_H;
    y_c[0] = y_band + BAND_H + CHART_GAP;
    y_c[1] = y_c[0] + chart_h[0] + CHART_GAP;
    y_c[2] = y_c[1] + chart_h[1] + CHART_GAP;

    /* verdict bands: each verdict from its line to the next (the last to the end) */
    cv_text(cv, fr->x0 - 6, y_band + 16, 11, 2, false, C_AXIS, 0, "verdict");
    cv_rect(cv, fr->x0, y_band, fr->x1 - fr->x0, BAND_H, 0xeeeeee, 1);
    for (size_t i = 0; i < p->n; i++) {
        const struct point *q = pt_at(p, i), *next = NULL;
        double x0, x1;

        if (q->dom != d)
            continue;
        for (size_t k = i + 1; k < p->n && !next; k++)
            if (pt_at(p, k)->dom == d)
                next = pt_at(p, k);
        x0 = tx(fr, q->t);
        x1 = tx(fr, next ? next->t : fr->t1);
        cv_rect(cv, x0, y_band, x1 - x0, BAND_H, verdict_color(q->v), 0.85);
        snprintf(buf, sizeof(buf), "%s %.2f", sg_verdict_name(q->v), isnan(q->conf) ? 0.0 : q->conf);
        if (x1 - x0 > 7.0 * (double)strlen(buf))
            cv_text(cv, x0 + 5, y_band + 16, 12, 0, true, 0xffffff, 0, buf);
        else if (x1 - x0 > 7.0 * strlen(sg_verdict_name(q->v)))
            cv_text(cv, x0 + 5, y_band + 16, 12, 0, true, 0xffffff, 0, sg_verdict_name(q->v));
        last = q;
    }

    /* guest RAM in host swap, MiB, at each history line */
    ymax = 0;
    for (size_t i = 0; i < p->n; i++) {
        const struct point *q = pt_at(p, i);
        if (q->dom == d && q->swap_kib != SG_NONE)
            ymax = fmax(ymax, (double)q->swap_kib / 1024);
    }
    if (ram != SG_NONE)
        ymax = fmax(ymax, (double)ram / 1024);
    ymax = nice_max(ymax * 1.1, 1);
    snprintf(buf, sizeof(buf), "guest RAM in host swap, at each history line");
    if (ram != SG_NONE) {
        snprintf(a, sizeof(a), "%.0f", (double)ram / 1024);
        snprintf(buf, sizeof(buf), "guest RAM in host swap, at each history line (guest RAM %s MiB: dashed)", a);
    }
    sc = chart_frame(cv, fr, y_c[0], chart_h[0], ymax, buf, "MiB");
    if (ram != SG_NONE) {
        double ry = y_c[0] + chart_h[0] - (double)ram / 1024 * sc;
        cv_line(cv, fr->x0, ry, fr->x1, ry, C_AXIS, 1, true);
    }
    {
        double *xy = calloc(2 * (n_d + 1), sizeof(*xy));
        size_t k = 0;

        for (size_t i = 0; xy && i < p->n; i++) {
            const struct point *q = pt_at(p, i);
            if (q->dom != d || q->swap_kib == SG_NONE)
                continue;
            xy[2 * k] = tx(fr, q->t);
            xy[2 * k + 1] = y_c[0] + chart_h[0] - (double)q->swap_kib / 1024 * sc;
            k++;
        }
        if (xy && k)
            cv_poly(cv, xy, k, C_SWAP, 2.5, false);
        for (size_t i = 0; xy && i < k; i++)
            cv_dot(cv, xy[2 * i], xy[2 * i + 1], 3.5, C_SWAP);
        free(xy);
    }

    /* swap-in rate between history lines */
    maxv = 0;
    bool any = rate_steps(cv, p, d, fr, 0, 0, c_pgmajfault, 1, 0, true, &maxv);
    ymax = nice_max(maxv * 1.1, 1);
    sc = chart_frame(cv, fr, y_c[1], chart_h[1], ymax,
                     any ? "swap-in rate: memory cgroup major faults/s, average between history lines"
                         : "swap-in rate: fewer than two history lines with cgroup_pgmajfault",
                     "faults/s");
    rate_steps(cv, p, d, fr, y_c[1] + chart_h[1], sc, c_pgmajfault, 1, C_SWAPIN, false, &maxv);

    /* lost time: the verdict's at each line, else memory PSI full between lines */
    maxv = 0;
    kinds = lost_marks(cv, p, d, fr, 0, 0, true, &maxv);
    ymax = nice_max(maxv * 1.1, 1);
    if (!kinds)
        snprintf(buf, sizeof(buf), "lost time: no line with %s, nor two with %s",
                 sg_schema_get(SG_F_REPORT_LOST_MS_PER_S)->key, sg_schema_get(SG_F_PSI_FULL_TOTAL_US)->key);
    else
        snprintf(buf, sizeof(buf), "lost time: %s%s%s", kinds & (1u << SG_LOST_VERDICT) ?
                 "vCPU time lost, the verdict's lost_ms_per_s at each line (dots)" : "",
                 kinds == ((1u << SG_LOST_VERDICT) | (1u << SG_LOST_PSI_FULL)) ? "; " : "",
                 kinds & (1u << SG_LOST_PSI_FULL) ?
                 "fallback where a line has none: memory PSI full between lines (dashed)" : "");
    sc = chart_frame(cv, fr, y_c[2], chart_h[2], ymax, buf, "ms/s");
    if (kinds)
        lost_marks(cv, p, d, fr, y_c[2] + chart_h[2], sc, false, &maxv);

    time_axis(cv, fr, y_c[2] + chart_h[2], y_band);

    /* remedies: a dashed line through the panel, the label above the band in the first of
     * MARK_ROWS rows where it does not overlap the one before (the last row otherwise) */
    {
        double row_end[MARK_ROWS];

        for (int k = 0; k < MARK_ROWS; k++)
            row_end[k] = -1e9;
        for (size_t i = 0; i < p->n_marks; i++) {
            const struct mark *m = &p->marks[i];
            double x = tx(fr, m->t), yl;
            int row = MARK_ROWS - 1;

            if (m->uuid[0] && strcmp(m->uuid, p->doms[d].uuid) != 0)
                continue;
            if (m->t < fr->t0 || m->t > fr->t1)
                continue;
            snprintf(buf, sizeof(buf), "%s%s", m->label, m->uuid[0] ? "" : " (host)");
            for (int k = 0; k < MARK_ROWS; k++)
                if (row_end[k] < x) {
                    row = k;
                    break;
                }
            row_end[row] = x + 6.5 * (double)strlen(buf) + 8;
            yl = y_band - 5 - MARK_LABEL_H * (MARK_ROWS - 1 - row);
            cv_line(cv, x, yl - 11, x, y_c[2] + chart_h[2], m->failed ? C_LOST : C_MARK, 1.5, true);
            cv_text(cv, x + 3, yl, 11, 0, true, m->failed ? C_LOST : C_MARK, 0, buf);
        }
    }
    (void)last;
}

/* The colours of the verdicts that the plotted lines hold (all of them would not fit in a row). */
static void draw_legend(struct canvas *cv, const struct plot *p, double x, double y)
{
    bool seen[SG_VERDICT__MAX] = { false };

    for (size_t i = 0; i < p->n; i++)
        seen[pt_at(p, i)->v] = true;
    cv_text(cv, x, y, 12, 0, true, C_TEXT, 0, "verdict:");
    x += 62;
    for (int k = SG_VERDICT__MAX - 1; k >= SG_VERDICT_UNKNOWN; k--) {
        const char *name = sg_verdict_name((enum sg_verdict_kind)k);

        if (!seen[k])
            continue;

        cv_rect(cv, x, y - 11, 14, 14, verdict_color((enum sg_verdict_kind)k), 0.85);
        cv_text(cv, x + 18, y, 12, 0, false, C_TEXT, 0, name);
        x += 34 + 7.0 * (double)strlen(name);
    }
    x += 10;
    cv_line(cv, x, y - 12, x, y + 3, C_MARK, 1.5, true);
    cv_text(cv, x + 6, y, 12, 0, false, C_TEXT, 0, "remedy applied / rolled back (action journal)");
}

static int render(const struct plot *p, const char *out, bool svg, int width, const char *title)
{
    cairo_surface_t *surf = NULL;
    struct canvas cv = { 0 };
    struct frame fr = { .x0 = MARGIN_L, .x1 = width - MARGIN_R, .t0 = p->t0, .t1 = p->t1 };
    double height = HEAD_H + p->n_doms * panel_height() + LEGEND_H;
    time_t a = (time_t)p->t0, b = (time_t)p->t1;
    struct tm ta, tb;
    char sub[256], ts0[40], ts1[40];
    int r = 0;

    if (svg) {
        cv.svg = fopen(out, "we");
        if (!cv.svg)
            return -errno;
        fprintf(cv.svg, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%.0f\" "
                        "viewBox=\"0 0 %d %.0f\" font-family=\"DejaVu Sans, sans-serif\">\n",
                width, height, width, height);
    } else {
        surf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width, (int)height);
        cv.cr = cairo_create(surf);
    }
    cv_rect(&cv, 0, 0, width, height, 0xffffff, 1);
    gmtime_r(&a, &ta);
    gmtime_r(&b, &tb);
    strftime(ts0, sizeof(ts0), "%Y-%m-%d %H:%M:%S", &ta);
    strftime(ts1, sizeof(ts1), ta.tm_yday == tb.tm_yday && ta.tm_year == tb.tm_year ? "%H:%M:%S" : "%Y-%m-%d %H:%M:%S", &tb);
    cv_text(&cv, MARGIN_L, 28, 18, 0, true, C_TEXT, 0, title);
    snprintf(sub, sizeof(sub), "%s to %s UTC; figures at each verdict change, rates averaged between them", ts0, ts1);
    cv_text(&cv, MARGIN_L, 48, 12, 0, false, C_AXIS, 0, sub);
    for (unsigned d = 0; d < p->n_doms; d++)
        draw_panel(&cv, p, d, &fr, HEAD_H + d * panel_height());
    draw_legend(&cv, p, MARGIN_L, height - LEGEND_H / 2);

    if (svg) {
        fprintf(cv.svg, "</svg>\n");
        if (fflush(cv.svg) || ferror(cv.svg))
            r = -EIO;
        if (fclose(cv.svg) && !r)
            r = -errno;
        return r;
    }
    cairo_destroy(cv.cr);
    if (cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS ||
        cairo_surface_write_to_png(surf, out) != CAIRO_STATUS_SUCCESS)
        r = -EIO;
    cairo_surface_destroy(surf);
    return r;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcasecmp(s + a - b, suffix) == 0;
}

static int cmd_plot(struct sg_ctx *ctx, const struct sg_cmd_args *a)
{
    _cleanup_(sg_config_clear) struct sg_config cfg = { 0 };
    _cleanup_fclose_ FILE *f = NULL;
    struct plot *p = NULL;
    const char *hist, *out = a->val[PL_OPT_OUTPUT], *ref = a->argc ? a->argv[0] : NULL;
    char jpath[4096], s1[512], s2[512], title[512];
    double width = 1200;
    bool svg;
    int r, rc = 1;

    if (!out) {
        sg_log_error("plot: --output FILE.png or FILE.svg is required");
        return 1;
    }
    svg = ends_with(out, ".svg");
    if (!svg && !ends_with(out, ".png")) {
        sg_log_error("plot: --output '%s': the name must end in .png or .svg", sg_fmt_safe(out, s1, sizeof(s1)));
        return 1;
    }
    if (!ref == !a->set[PL_OPT_ALL]) {
        sg_log_error("plot: give DOMAIN or --all");
        return 1;
    }
    if (sg_opt_number(plot_opts, a, PL_OPT_WIDTH, 600, 4000, &width) < 0)
        return 1;
    if (sg_diag_load_config(ctx, a->val[PL_OPT_CONFIG], &cfg) < 0)
        return 1;
    hist = a->set[PL_OPT_HISTORY] ? a->val[PL_OPT_HISTORY] : cfg.history;
    if (!hist || !*hist) {
        sg_log_error("plot: no history file: [report] history is off in the config; give --history FILE");
        return 1;
    }
    f = fopen(hist, "re");
    if (!f) {
        sg_log_error("plot: %s: %s", sg_fmt_safe(hist, s1, sizeof(s1)), strerror(errno));
        return 1;
    }
    p = calloc(1, sizeof(*p));
    if (p)
        p->pts = calloc(PLOT_MAX_POINTS, sizeof(*p->pts));
    if (!p || !p->pts) {
        sg_log_error("plot: out of memory");
        goto out;
    }
    r = read_history(p, f, ref);
    if (r < 0) {
        sg_log_error("plot: %s: %s", sg_fmt_safe(hist, s1, sizeof(s1)), strerror(-r));
        goto out;
    }
    if (p->bad)
        sg_log_warning("plot: %s: %" PRIu64 " malformed line(s) skipped (first: line %lu: %s)",
                       sg_fmt_safe(hist, s1, sizeof(s1)), p->bad, p->first_bad_line, p->first_bad);
    if (p->beyond_doms)
        sg_log_warning("plot: %" PRIu64 " line(s) of domains beyond the first %d skipped",
                       p->beyond_doms, PLOT_MAX_DOMAINS);
    if (p->dropped)
        sg_log_warning("plot: only the newest %d lines plotted (%" PRIu64 " older ones left out)",
                       PLOT_MAX_POINTS, p->dropped);
    if (!p->n) {
        if (ref)
            sg_log_error("plot: %s has no line of domain '%s' (%" PRIu64 " line(s) of others)",
                         sg_fmt_safe(hist, s1, sizeof(s1)), sg_fmt_safe(ref, s2, sizeof(s2)), p->other_doms);
        else
            sg_log_error("plot: %s has no valid history line", sg_fmt_safe(hist, s1, sizeof(s1)));
        goto out;
    }

    /* The remedies: --journal FILE (must exist), or the state_dir's journal (may be absent). */
    if (a->set[PL_OPT_JOURNAL])
        snprintf(jpath, sizeof(jpath), "%s", a->val[PL_OPT_JOURNAL]);
    else
        snprintf(jpath, sizeof(jpath), "%s/%s", cfg.state_dir, SG_ACTION_JOURNAL_FILE);
    {
        struct sg_error err = { 0 };
        json_object *root = NULL;

        r = sg_action_journal_read(jpath, 0, &root, &err);
        if (r == -ENOENT && !a->set[PL_OPT_JOURNAL]) {
            /* no remedy was ever applied here */
        } else if (r < 0) {
            sg_log_error_errno(r, &err);
            goto out;
        } else {
            read_marks(p, root);
            json_object_put(root);
        }
    }

    p->t0 = p->t1 = pt_at(p, 0)->t;
    for (size_t i = 0; i < p->n; i++) {
        p->t0 = fmin(p->t0, pt_at(p, i)->t);
        p->t1 = fmax(p->t1, pt_at(p, i)->t);
    }
    /* the remedies near the history (an hour either side) widen the range */
    for (size_t i = 0; i < p->n_marks; i++)
        if (p->marks[i].t > p->t0 - 3600 && p->marks[i].t < p->t1 + 3600) {
            p->t0 = fmin(p->t0, p->marks[i].t);
            p->t1 = fmax(p->t1, p->marks[i].t);
        }
    {
        double pad = fmax((p->t1 - p->t0) * 0.04, 5);
        p->t0 -= pad;
        p->t1 += pad;
    }
    if (ref)
        snprintf(title, sizeof(title), "swapguard plot: %s", p->doms[0].name);
    else
        snprintf(title, sizeof(title), "swapguard plot: %u domain%s", p->n_doms, p->n_doms == 1 ? "" : "s");
    r = render(p, out, svg, (int)width, title);
    if (r < 0) {
        sg_log_error("plot: %s: %s", sg_fmt_safe(out, s1, sizeof(s1)), strerror(-r));
        goto out;
    }
    fprintf(ctx->out, "%s: %s of %u domain(s), %zu history line(s), %zu remedy marker(s)\n",
            sg_fmt_safe(out, s1, sizeof(s1)), svg ? "SVG" : "PNG", p->n_doms, p->n, p->n_marks);
    rc = 0;
out:
    if (p)
        free(p->pts);
    free(p);
    return rc;
}

const struct sg_cmd_def sg_cmd_def_plot = {
    .name = "plot",
    .synopsis_args = "[DOMAIN]",
    .max_args = 1,
    .opts = plot_opts,
    .summary = "a timeline picture (PNG or SVG) of the report history and the remedies",
    .help = "Reads the JSON Lines history that 'report' and the agent write ([report] history,\n"
            "or --history FILE) and draws, for DOMAIN (name or UUID) or every domain (--all),\n"
            "a timeline: the verdict as coloured bands, guest RAM in host swap (MiB) at each\n"
            "line, the swap-in rate (memory cgroup major faults/s) averaged between lines, the\n"
            "lost time of each line (ms/s of vCPU time, the verdict's lost_ms_per_s; where a\n"
            "line has none, the fallback: memory PSI full averaged between lines, dashed),\n"
            "and the remedies of the action journal\n"
            "([apply] state_dir, or --journal FILE) as dashed markers. --output FILE.png or\n"
            "FILE.svg picks the format. Malformed lines are skipped and counted on stderr;\n"
            "only the newest 100000 lines and the first 12 domains are drawn. Needs no\n"
            "libvirt.",
    .handler = cmd_plot,
};
