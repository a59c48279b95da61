/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reports into libvirt metadata, the domain log, journald/syslog, Prometheus and a history file. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <libvirt/virterror.h>
#include <libxml/xmlwriter.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <syslog.h>
#include <systemd/sd-journal.h>
#include <time.h>
#include <unistd.h>

#include "agent/report/report.h"
#include "agent/core/schema.h"
#include "config.h"


/* The last verdict of enum sg_verdict_kind (policies/verdict.h): the state set of the textfile. */
#define VERDICT_LAST (SG_VERDICT__MAX - 1)

/* ---- text helpers ----------------------------------------------------------- */

/* Length (1..4) of the valid UTF-8 sequence at p, 0 when the bytes there are not one. */
static size_t utf8_len(const unsigned char *p)
{
    unsigned c = p[0];

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        return (p[1] & 0xc0) == 0x80 ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
            return 0;
        if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] >= 0xa0)) /* overlong, surrogate */
            return 0;
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
            return 0;
        if ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] >= 0x90)) /* overlong, > U+10FFFF */
            return 0;
        return 4;
    }
    return 0;
}

/* A copy of s that XML 1.0 can carry: control bytes (but tab, LF, CR), invalid UTF-8,
 * U+FFFE and U+FFFF as '?'. NULL on ENOMEM. */
static char *xml_clean(const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    char *out = malloc(strlen((const char *)p) + 1), *o = out;

    if (!out)
        return NULL;
    while (*p) {
        size_t l = utf8_len(p);

        if (l == 0 || (l == 1 && *p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r') ||
            (l == 3 && p[0] == 0xef && p[1] == 0xbf && p[2] >= 0xbe)) {
            *o++ = '?';
            p += l ? l : 1;
            continue;
        }
        memcpy(o, p, l);
        o += l;
        p += l;
    }
    *o = '\0';
    return out;
}

/* A copy of s with invalid UTF-8 bytes as U+FFFD (for json-c, which copies bytes as they are). */
static char *utf8_clean(const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    char *out = malloc(3 * strlen((const char *)p) + 1), *o = out;

    if (!out)
        return NULL;
    while (*p) {
        size_t l = utf8_len(p);

        if (l == 0) {
            memcpy(o, "\xef\xbf\xbd", 3);
            o += 3;
            p++;
            continue;
        }
        memcpy(o, p, l);
        o += l;
        p += l;
    }
    *o = '\0';
    return out;
}

const char *sg_prom_label_escape(const char *s, char *buf, size_t size)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t w = 0;

    if (size == 0)
        return buf;
    while (*p) {
        char tmp[4];
        size_t l = utf8_len(p), out_l;

        if (l == 0) {
            memcpy(tmp, "\xef\xbf\xbd", 3);
            out_l = 3;
            l = 1;
        } else if (*p == '\\' || *p == '"' || *p == '\n') {
            tmp[0] = '\\';
            tmp[1] = *p == '\n' ? 'n' : (char)*p;
            out_l = 2;
        } else {
            memcpy(tmp, p, l);
            out_l = l;
        }
        if (w + out_l >= size)
            break;
        memcpy(buf + w, tmp, out_l);
        w += out_l;
        p += l;
    }
    buf[w] = '\0';
    return buf;
}

/* sg_prom_label_escape into a buffer that always fits. NULL on ENOMEM. */
static char *prom_label_dup(const char *s)
{
    size_t size = 3 * strlen(s ? s : "") + 1;
    char *b = malloc(size);

    return b ? (char *)sg_prom_label_escape(s, b, size) : NULL;
}

/* sg_fmt_safe into a malloc'd buffer that always fits. NULL on ENOMEM. */
static char *safe_dup(const char *s)
{
    size_t size = 4 * strlen(s ? s : "") + 1;
    char *b = malloc(size);

    return b ? (char *)sg_fmt_safe(s, b, size) : NULL;
}

/* "2026-11-22T10:00:00Z" (iso) or libvirt's log prefix "2026-11-22 10:00:00.123+0000". */
static void fmt_time(double now, bool iso, char *buf, size_t size)
{
    double whole = floor(now);
    time_t t = (time_t)whole;
    int ms = (int)((now - whole) * 1000.0);
    struct tm tm;
    char date[64];

    if (ms > 999)
        ms = 999;
    if (ms < 0)
        ms = 0;
    if (!gmtime_r(&t, &tm)) {
        snprintf(buf, size, "%s", iso ? "1970-01-01T00:00:00Z" : "1970-01-01 00:00:00.000+0000");
        return;
    }
    strftime(date, sizeof(date), iso ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%d %H:%M:%S", &tm);
    if (iso)
        snprintf(buf, size, "%s", date);
    else if (snprintf(buf, size, "%s.%03d+0000", date, ms) >= (int)size)
        buf[0] = '\0'; /* the callers' buffers always fit */
}

/* Writes all of buf to fd. 0 or -errno (-EIO for a write that made no progress). */
static int write_all(int fd, const char *buf, size_t len)
{
    while (len) {
        ssize_t w = write(fd, buf, len);

        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        if (w == 0)
            return -EIO;
        buf += w;
        len -= (size_t)w;
    }
    return 0;
}

/*
 * Appends line to the file path in one write: O_APPEND, never through a
 * symbolic link (O_NOFOLLOW), never blocking on a FIFO (O_NONBLOCK), and
 * only into a regular file; with create, an absent file is created 0600.
 * why gets spath (path escaped for the terminal), or spath and the reason
 * it failed. 0, -EINVAL when path is not a regular file, -errno of open/write.
 */
static int append_line(const char *path, const char *spath, bool create, const char *line, char *why,
                       size_t why_size)
{
    _cleanup_close_ int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK |
                                            (create ? O_CREAT : 0),
                                  0600);
    struct stat st;
    int r;

    if (fd < 0) {
        r = -errno;
        sg_why(why, why_size, "%s: %s", spath, r == -ELOOP ? "a symbolic link, refused" : strerror(-r));
        return r;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        sg_why(why, why_size, "%s: not a regular file", spath);
        return -EINVAL;
    }
    r = write_all(fd, line, strlen(line));
    if (r < 0) {
        sg_why(why, why_size, "%s: %s", spath, strerror(-r));
        return r;
    }
    sg_why(why, why_size, "%s", spath);
    return 0;
}

static bool is_stall_or_risk(const struct sg_verdict *v)
{
    return v->kind == SG_VERDICT_HOST_SWAP_STALL || v->kind == SG_VERDICT_HOST_SWAP_RISK;
}

static bool has_figures(const struct sg_report_dom *d)
{
    return d->last && d->last->running;
}

static bool u64_known(uint64_t v)
{
    return v != SG_POLICY_NONE && v != SG_UNLIMITED;
}

#define KEY(id) (sg_schema_get(id)->key)

/* Is row r of the domain facts f to be reported (its figure exists in this tick's kind)? */
static bool row_applies(const struct sg_schema_row *r, const struct sg_dom_facts *f)
{
    return !(r->flags & SG_ROW_APF) || f->apf_available;
}

/* The facts figure of r in base as uint64 / double; false when unknown. */
static bool row_u64(const struct sg_schema_row *r, const void *base, uint64_t *v)
{
    const char *p = (const char *)base + r->offset;
    unsigned u32;
    bool b;

    if (r->derive_u64) {
        *v = r->derive_u64(base);
        return u64_known(*v);
    }
    switch (r->type) {
    case SG_TYPE_U64:
        memcpy(v, p, sizeof(*v));
        return u64_known(*v);
    case SG_TYPE_U32:
        memcpy(&u32, p, sizeof(u32));
        *v = u32;
        return true;
    case SG_TYPE_BOOL:
        memcpy(&b, p, sizeof(b));
        *v = b;
        return true;
    default:
        return false;
    }
}

static bool row_dbl(const struct sg_schema_row *r, const void *base, double *v)
{
    if (r->type != SG_TYPE_DBL)
        return false;
    memcpy(v, (const char *)base + r->offset, sizeof(*v));
    return isfinite(*v);
}

/* ---- names ------------------------------------------------------------------ */

const char *sg_report_output_name(enum sg_report_output o)
{
    static const char *const names[] = {
        [SG_REPORT_METADATA] = "metadata",   [SG_REPORT_DOMAIN_LOG] = "domain-log",
        [SG_REPORT_JOURNALD] = "journal",     [SG_REPORT_HISTORY] = "history",
        [SG_REPORT_TEXTFILE] = "textfile",
    };

    return (unsigned)o < SG_ELEMENTSOF(names) ? names[o] : "?";
}

const char *sg_report_status_name(enum sg_report_status s)
{
    static const char *const names[] = {
        [SG_REPORT_OFF] = "off",
        [SG_REPORT_SKIPPED] = "skipped",
        [SG_REPORT_DONE] = "done",
        [SG_REPORT_FAILED] = "failed",
    };

    return (unsigned)s < SG_ELEMENTSOF(names) ? names[s] : "?";
}

/* ---- libvirt metadata --------------------------------------------------------- */

static bool x_attr(xmlTextWriterPtr w, const char *name, const char *value)
{
    _cleanup_free_ char *clean = xml_clean(value);

    return clean && xmlTextWriterWriteAttribute(w, BAD_CAST name, BAD_CAST clean) >= 0;
}

static bool x_attr_u64(xmlTextWriterPtr w, const char *name, uint64_t v)
{
    char b[32];

    if (!u64_known(v))
        return true;
    snprintf(b, sizeof(b), "%" PRIu64, v);
    return x_attr(w, name, b);
}

static bool x_attr_dbl(xmlTextWriterPtr w, const char *name, double v)
{
    char b[64];

    if (!isfinite(v))
        return true;
    snprintf(b, sizeof(b), "%.15g", v);
    return x_attr(w, name, b);
}

static bool x_text(xmlTextWriterPtr w, const char *s)
{
    _cleanup_free_ char *clean = xml_clean(s);

    return clean && xmlTextWriterWriteString(w, BAD_CAST clean) >= 0;
}

static bool x_start(xmlTextWriterPtr w, const char *name)
{
    return xmlTextWriterStartElement(w, BAD_CAST name) >= 0;
}

static bool x_end(xmlTextWriterPtr w)
{
    return xmlTextWriterEndElement(w) >= 0;
}

/* Is r a domain row that the metadata carries as an attribute of element elem? */
static bool metadata_row_of(const struct sg_schema_row *r, const char *elem)
{
    return r->scope == SG_SCOPE_DOMAIN && (r->outputs & SG_OUT_METADATA) && r->xml_element &&
           strcmp(r->xml_element, elem) == 0;
}

/* The attributes of element elem: the domain rows with SG_OUT_METADATA there, in table order. */
static bool metadata_element(xmlTextWriterPtr w, const char *elem, const struct sg_dom_facts *f)
{
    bool ok = x_start(w, elem);

    for (size_t i = 0; ok && i < SG_F__MAX; i++) {
        const struct sg_schema_row *r = &sg_schema[i];
        uint64_t u;
        double d;

        if (!metadata_row_of(r, elem))
            continue;
        if (row_u64(r, f, &u))
            ok = x_attr_u64(w, r->key, u);
        else if (row_dbl(r, f, &d))
            ok = x_attr_dbl(w, r->key, d);
    }
    return ok && x_end(w);
}

/* Does any metadata row of elem have a value in f (an element without one is left out)? */
static bool element_has_value(const char *elem, const struct sg_dom_facts *f)
{
    for (size_t i = 0; i < SG_F__MAX; i++) {
        const struct sg_schema_row *r = &sg_schema[i];
        uint64_t u;
        double d;

        if (!metadata_row_of(r, elem))
            continue;
        if (row_u64(r, f, &u) || row_dbl(r, f, &d))
            return true;
    }
    return false;
}

static bool metadata_body(xmlTextWriterPtr w, const struct sg_report_dom *d, double now)
{
    const struct sg_verdict *v = d->v;
    const struct sg_dom_facts *f = d->last;
    const char *done[16];
    size_t n_done = 0;
    char t[64];
    bool ok;

    fmt_time(now, true, t, sizeof(t));
    ok = x_start(w, "report") && x_attr(w, KEY(SG_F_REPORT_VERDICT), sg_verdict_name(v->kind)) &&
         (!d->prev_verdict || x_attr(w, KEY(SG_F_REPORT_PREVIOUS), d->prev_verdict)) &&
         x_attr_dbl(w, KEY(SG_F_REPORT_CONFIDENCE), v->confidence) &&
         (!v->n_causes || x_attr(w, KEY(SG_F_REPORT_CAUSE), v->causes[0].name)) &&
         (!isfinite(v->lost_ms_per_s) || x_attr_dbl(w, KEY(SG_F_REPORT_LOST_MS_PER_S), v->lost_ms_per_s)) &&
         x_attr(w, KEY(SG_F_REPORT_TIME), t) && x_attr(w, KEY(SG_F_REPORT_SWAPGUARD), SWAPGUARD_VERSION);
    /* One child element per xml_element of the figure rows, in order of first appearance. */
    for (size_t i = 0; ok && has_figures(d) && i < SG_F__MAX; i++) {
        const struct sg_schema_row *r = &sg_schema[i];
        bool seen = false;

        if (r->scope != SG_SCOPE_DOMAIN || !(r->outputs & SG_OUT_METADATA) || !r->xml_element ||
            !row_applies(r, f))
            continue;
        for (size_t k = 0; k < n_done; k++)
            seen |= strcmp(done[k], r->xml_element) == 0;
        if (seen || n_done == SG_ELEMENTSOF(done))
            continue;
        done[n_done++] = r->xml_element;
        if (element_has_value(r->xml_element, f))
            ok = metadata_element(w, r->xml_element, f);
    }
    for (size_t i = 0; ok && i < v->n_ev; i++)
        ok = x_start(w, sg_schema_get(SG_F_REPORT_EVIDENCE)->xml_element) && x_attr(w, "key", v->ev[i].key) &&
             x_attr_dbl(w, "value", v->ev[i].value) && x_text(w, v->ev[i].text) && x_end(w);
    if (ok && v->missing[0])
        ok = x_start(w, sg_schema_get(SG_F_REPORT_MISSING)->xml_element) && x_text(w, v->missing) &&
             x_end(w);
    return ok && x_end(w);
}

int sg_report_metadata_xml(const struct sg_report_dom *d, double now, char **out)
{
    xmlBufferPtr buf = xmlBufferCreate();
    xmlTextWriterPtr w;
    bool ok;

    *out = NULL;
    if (!buf)
        return -ENOMEM;
    w = xmlNewTextWriterMemory(buf, 0);
    if (!w) {
        xmlBufferFree(buf);
        return -ENOMEM;
    }
    ok = metadata_body(w, d, now) && xmlTextWriterFlush(w) >= 0;
    xmlFreeTextWriter(w);
    if (ok)
        *out = strdup((const char *)xmlBufferContent(buf));
    xmlBufferFree(buf);
    if (!ok)
        return -EIO;
    return *out ? 0 : -ENOMEM;
}

struct metadata_call {
    char *xml_own;      /* the XML: the caller's once the call returned in time, else freed by
                           metadata_clear when the late call is released */
    int r;
    char msg[256];
};

/* On a libvirt worker (agent/core/lvcall.h). */
static void metadata_fn(virConnectPtr conn, virDomainPtr dom, void *p)
{
    struct metadata_call *c = p;

    (void)conn;
    c->r = 0;
    if (virDomainSetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, c->xml_own, SG_REPORT_PREFIX,
                             SG_REPORT_NS, VIR_DOMAIN_AFFECT_LIVE) < 0) {
        const char *m = virGetLastErrorMessage();

        c->r = virGetLastErrorCode() == VIR_ERR_OPERATION_DENIED ? -EPERM : -EIO;
        if (virConnectIsAlive(virDomainGetConnect(dom)) != 1) {
            /* libvirtd went away (stopped, restarted) since this round connected. */
            snprintf(c->msg, sizeof(c->msg), "the connection to libvirtd was lost (%s); the next "
                     "report sets it", m ? m : "unknown libvirt error");
            c->r = -ECONNRESET;
        } else {
            snprintf(c->msg, sizeof(c->msg), "%s", m ? m : "unknown libvirt error");
        }
    }
    virResetLastError();
}

static void metadata_clear(void *p)
{
    struct metadata_call *c = p;

    free(c->xml_own);
    c->xml_own = NULL;
}

/*
 * virDomainSetMetadata needs the domain's job: while a call that reaches a
 * QEMU that does not answer holds it, it would wait up to libvirt's job
 * timeout (30 s). It runs with the deadline of the domain's libvirt calls.
 */
static int report_metadata(const struct sg_report_dom *d, double now, char *why, size_t why_size)
{
    _cleanup_free_ char *xml = NULL;
    struct metadata_call c = { .r = -EIO };
    /* the slot is the domain's mutable call state, not part of what the report reads */
    struct sg_lv_slot *slot = (struct sg_lv_slot *)&d->w->lv;
    int r = sg_report_metadata_xml(d, now, &xml);

    if (r < 0) {
        sg_why(why, why_size, "cannot build the XML: %s", strerror(-r));
        return r;
    }
    c.xml_own = TAKE_PTR(xml);
    r = sg_lv_call(slot, "metadata write", metadata_fn, metadata_clear, NULL, d->w->dom, &c,
                   sizeof(c), sg_lv_timeout_ms());
    if (r < 0) {
        char lv[200];

        if (r != -ETIMEDOUT)
            free(c.xml_own); /* not issued: still ours (a late call frees its copy itself) */
        sg_lv_why(slot, r, lv, sizeof(lv));
        sg_why(why, why_size, "virDomainSetMetadata: %s", lv);
        return -ETIMEDOUT;
    }
    free(c.xml_own);
    if (c.r < 0) {
        sg_why(why, why_size, "virDomainSetMetadata: %s", c.msg);
        return c.r;
    }
    sg_why(why, why_size, "%s (live)", SG_REPORT_NS);
    return 0;
}

/* ---- the message shared by the domain log, journald and syslog ---------------- */

int sg_report_message(const struct sg_report_dom *d, bool with_name, char **out)
{
    const struct sg_verdict *v = d->v;
    char *raw = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&raw, &len);

    *out = NULL;
    if (!m)
        return -ENOMEM;
    if (with_name)
        fprintf(m, "domain '%s' (%s): ", d->w->d.name ? d->w->d.name : "", d->w->d.uuid);
    fprintf(m, "verdict %s", sg_verdict_name(v->kind));
    if (d->prev_verdict)
        fprintf(m, " (was %s)", d->prev_verdict);
    fprintf(m, " confidence %.2f", v->confidence);
    for (size_t i = 0; i < v->n_ev; i++)
        fprintf(m, "%s%s", i ? "; " : ": ", v->ev[i].text);
    if (v->missing[0])
        fprintf(m, "%smissing: %s", v->n_ev ? "; " : ": ", v->missing);
    if (fclose(m) != 0) {
        free(raw);
        return -ENOMEM;
    }
    *out = safe_dup(raw);
    free(raw);
    return *out ? 0 : -ENOMEM;
}

/* ---- the domain log ------------------------------------------------------------- */

int sg_report_domain_log(const char *dir, const struct sg_report_dom *d, double now, char *why,
                         size_t why_size)
{
    const char *name = d->w->d.name;
    _cleanup_free_ char *path = NULL, *spath = NULL, *msg = NULL, *line = NULL;
    char t[64];
    int r;

    if (!name || !name[0] || strchr(name, '/') || name[0] == '.') {
        _cleanup_free_ char *s = safe_dup(name);
        sg_why(why, why_size, "domain name '%s' is not safe in a file name ('/' or a leading '.')",
               s ? s : "");
        return -EINVAL;
    }
    if (asprintf(&path, "%s/%s.log", dir, name) < 0) {
        path = NULL;
        return -ENOMEM;
    }
    spath = safe_dup(path);
    if (!spath)
        return -ENOMEM;
    r = sg_report_message(d, false, &msg);
    if (r < 0)
        return r;
    fmt_time(now, false, t, sizeof(t));
    if (asprintf(&line, "%s: swapguard: %s\n", t, msg) < 0) {
        line = NULL;
        return -ENOMEM;
    }
    r = append_line(path, spath, false, line, why, why_size);
    if (r == -ENOENT)
        sg_why(why, why_size, "%s: no such log (libvirt creates it when the domain starts; swapguard does not)",
               spath);
    return r;
}

/* ---- journald, syslog ---------------------------------------------------------------- */

static bool is_socket(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

struct fields {
    char *v[SG_MAX_EVIDENCE + 24];
    size_t n;
    bool oom;
};

static void field_add(struct fields *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void field_add(struct fields *f, const char *fmt, ...)
{
    va_list ap;
    char *s;

    if (f->n >= SG_ELEMENTSOF(f->v)) {
        f->oom = true;
        return;
    }
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        f->oom = true;
    else
        f->v[f->n++] = s;
    va_end(ap);
}

static void field_u64(struct fields *f, const char *key, uint64_t v)
{
    if (u64_known(v))
        field_add(f, "%s=%" PRIu64, key, v);
}

static void field_dbl(struct fields *f, const char *key, double v)
{
    if (isfinite(v))
        field_add(f, "%s=%.15g", key, v);
}

/* The journald fields of d (KEY=VALUE), names from the schema; f->oom on failure. */
static void journal_fields(const struct sg_report_dom *d, const char *msg, int prio, struct fields *f)
{
    const struct sg_verdict *v = d->v;
    char name[64];

    field_add(f, "MESSAGE=%s", msg);
    field_add(f, "MESSAGE_ID=%s", SG_REPORT_MESSAGE_ID);
    field_add(f, "PRIORITY=%d", prio);
    field_add(f, "SYSLOG_IDENTIFIER=swapguard");
    field_add(f, "%s=%s", sg_schema_journald_name(sg_schema_get(SG_F_REPORT_DOMAIN), name, sizeof(name)),
              d->w->d.name ? d->w->d.name : "");
    field_add(f, "%s=%s", sg_schema_journald_name(sg_schema_get(SG_F_REPORT_UUID), name, sizeof(name)),
              d->w->d.uuid);
    field_add(f, "%s=%s", sg_schema_journald_name(sg_schema_get(SG_F_REPORT_VERDICT), name, sizeof(name)),
              sg_verdict_name(v->kind));
    if (d->prev_verdict)
        field_add(f, "%s=%s", sg_schema_journald_name(sg_schema_get(SG_F_REPORT_PREVIOUS), name, sizeof(name)),
                  d->prev_verdict);
    field_add(f, "%s=%.2f", sg_schema_journald_name(sg_schema_get(SG_F_REPORT_CONFIDENCE), name, sizeof(name)),
              v->confidence);
    if (v->n_causes)
        field_add(f, "%s=%s", sg_schema_journald_name(sg_schema_get(SG_F_REPORT_CAUSE), name, sizeof(name)),
                  v->causes[0].name);
    if (isfinite(v->lost_ms_per_s))
        field_add(f, "%s=%.1f", sg_schema_journald_name(sg_schema_get(SG_F_REPORT_LOST_MS_PER_S), name, sizeof(name)),
                  v->lost_ms_per_s);
    for (size_t i = 0; has_figures(d) && i < SG_F__MAX; i++) {
        const struct sg_schema_row *r = &sg_schema[i];
        uint64_t u;
        double x;

        if (r->scope != SG_SCOPE_DOMAIN || !(r->outputs & SG_OUT_JOURNALD) || !row_applies(r, d->last))
            continue;
        sg_schema_journald_name(r, name, sizeof(name));
        if (row_u64(r, d->last, &u))
            field_u64(f, name, u);
        else if (row_dbl(r, d->last, &x))
            field_dbl(f, name, x);
    }
    if (v->missing[0])
        field_add(f, "%s=%s", sg_schema_journald_name(sg_schema_get(SG_F_REPORT_MISSING), name, sizeof(name)),
                  v->missing);
    for (size_t i = 0; i < v->n_ev; i++) {
        char key[sizeof(v->ev[i].key)];
        size_t k;

        if (!isfinite(v->ev[i].value))
            continue;
        for (k = 0; v->ev[i].key[k] && k + 1 < sizeof(key); k++) {
            char c = v->ev[i].key[k];
            key[k] = (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') :
                     ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) ? c : '_';
        }
        key[k] = '\0';
        /* the row's journald name is "EVIDENCE_*": the prefix, then the evidence key */
        field_add(f, "EVIDENCE_%s=%.15g", key, v->ev[i].value);
    }
}

char **sg_report_journald_fields(const struct sg_report_dom *d, const char *msg, int prio, size_t *n)
{
    struct fields f = { .n = 0 };
    char **out;

    journal_fields(d, msg, prio, &f);
    out = f.oom ? NULL : calloc(f.n + 1, sizeof(*out));
    for (size_t i = 0; i < f.n; i++) {
        if (out)
            out[i] = f.v[i];
        else
            free(f.v[i]);
    }
    *n = out ? f.n : 0;
    return out;
}

static int journal_send(const struct sg_report_dom *d, const char *msg, int prio)
{
    struct fields f = { .n = 0 };
    struct iovec iov[SG_ELEMENTSOF(f.v)];
    int r;

    journal_fields(d, msg, prio, &f);
    for (size_t i = 0; i < f.n; i++)
        iov[i] = (struct iovec){ .iov_base = f.v[i], .iov_len = strlen(f.v[i]) };
    r = f.oom ? -ENOMEM : sd_journal_sendv(iov, (int)f.n);
    for (size_t i = 0; i < f.n; i++)
        free(f.v[i]);
    return r;
}

int sg_report_journald(const struct sg_report_dom *d, const char *journal_socket, char *where,
                      size_t where_size)
{
    _cleanup_free_ char *msg = NULL;
    int prio = is_stall_or_risk(d->v) ? LOG_WARNING : LOG_INFO;
    int r;

    if (!journal_socket)
        journal_socket = SG_REPORT_JOURNALD_SOCKET;
    r = sg_report_message(d, true, &msg);
    if (r < 0)
        return r;
    if (is_socket(journal_socket)) {
        r = journal_send(d, msg, prio);
        if (r < 0) {
            sg_why(where, where_size, "journald (%s): %s", journal_socket, strerror(-r));
            return r;
        }
        sg_why(where, where_size, "journald");
        return 0;
    }
    if (is_socket(SG_REPORT_SYSLOG_SOCKET)) {
        openlog("swapguard", LOG_PID, LOG_DAEMON);
        syslog(prio, "%s", msg);
        closelog();
        sg_why(where, where_size, "syslog %s (journald not running)", SG_REPORT_SYSLOG_SOCKET);
        return 0;
    }
    sg_why(where, where_size, "neither journald (%s) nor syslog (%s) is listening",
           journal_socket, SG_REPORT_SYSLOG_SOCKET);
    return -ENOENT;
}

/* ---- the history file ---------------------------------------------------------------- */

static json_object *json_str_clean(const char *s)
{
    _cleanup_free_ char *c = utf8_clean(s);

    return c ? json_object_new_string(c) : NULL;
}

json_object *sg_report_history_json(const struct sg_report_dom *d, double now)
{
    const struct sg_verdict *v = d->v;
    json_object *o = json_object_new_object(), *ev = json_object_new_object();
    char t[64];

    json_object *figs = NULL;

    fmt_time(now, true, t, sizeof(t));
    json_object_object_add(o, KEY(SG_F_REPORT_TIME), json_object_new_string(t));
    json_object_object_add(o, KEY(SG_F_REPORT_UNIX), json_object_new_double(now));
    json_object_object_add(o, KEY(SG_F_REPORT_DOMAIN), json_str_clean(d->w->d.name));
    json_object_object_add(o, KEY(SG_F_REPORT_UUID), json_object_new_string(d->w->d.uuid));
    json_object_object_add(o, KEY(SG_F_REPORT_VERDICT), json_object_new_string(sg_verdict_name(v->kind)));
    json_object_object_add(o, KEY(SG_F_REPORT_PREVIOUS), d->prev_verdict ? json_str_clean(d->prev_verdict) : NULL);
    json_object_object_add(o, KEY(SG_F_REPORT_CONFIDENCE), json_object_new_double(v->confidence));
    json_object_object_add(o, KEY(SG_F_REPORT_CAUSE), v->n_causes ? json_object_new_string(v->causes[0].name) : NULL);
    json_object_object_add(o, KEY(SG_F_REPORT_LOST_MS_PER_S), sg_json_double(v->lost_ms_per_s));
    for (size_t i = 0; i < v->n_ev; i++)
        json_object_object_add(ev, v->ev[i].key, sg_json_double(v->ev[i].value));
    json_object_object_add(o, KEY(SG_F_REPORT_EVIDENCE), ev);
    json_object_object_add(o, KEY(SG_F_REPORT_MISSING), v->missing[0] ? json_str_clean(v->missing) : NULL);
    if (has_figures(d)) {
        figs = json_object_new_object();
        for (size_t i = 0; i < SG_F__MAX; i++) {
            const struct sg_schema_row *r = &sg_schema[i];
            uint64_t u;
            double x;

            if (r->scope != SG_SCOPE_DOMAIN || !(r->outputs & SG_OUT_HISTORY) || !row_applies(r, d->last))
                continue;
            if (row_u64(r, d->last, &u))
                json_object_object_add(figs, r->key, json_object_new_uint64(u));
            else if (row_dbl(r, d->last, &x))
                json_object_object_add(figs, r->key, json_object_new_double(x));
            else
                json_object_object_add(figs, r->key, NULL);
        }
    }
    json_object_object_add(o, KEY(SG_F_REPORT_FIGURES), figs);
    return o;
}

/* dirname of path into a malloc'd string. NULL on ENOMEM. */
static char *dir_of(const char *path)
{
    _cleanup_free_ char *copy = strdup(path);

    return copy ? strdup(dirname(copy)) : NULL;
}

int sg_report_history(const char *path, const struct sg_report_dom *d, double now, char *why,
                      size_t why_size)
{
    _cleanup_free_ char *spath = safe_dup(path), *dir = dir_of(path), *line = NULL;
    json_object *o;
    int r;

    if (!spath || !dir)
        return -ENOMEM;
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        int e = errno; /* before safe_dup()'s malloc */
        _cleanup_free_ char *sdir = safe_dup(dir);

        r = -e;
        sg_why(why, why_size, "%s: cannot create the directory: %s", sdir ? sdir : "",
               strerror(-r));
        return r;
    }
    o = sg_report_history_json(d, now);
    if (asprintf(&line, "%s\n",
                 json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                       JSON_C_TO_STRING_NOSLASHESCAPE)) < 0)
        line = NULL;
    json_object_put(o);
    if (!line)
        return -ENOMEM;
    return append_line(path, spath, true, line, why, why_size);
}

/* ---- the Prometheus textfile ----------------------------------------------------------- */

/* One metric family: HELP and TYPE are written before its first sample only. */
struct fam {
    FILE *f;
    const char *name, *type, *help;
    bool head;
};

static void fam_sample(struct fam *m, const char *labels, const char *extra, const char *value)
{
    if (!m->head) {
        fprintf(m->f, "# HELP %s %s\n# TYPE %s %s\n", m->name, m->help, m->name, m->type);
        m->head = true;
    }
    if (labels || extra)
        fprintf(m->f, "%s{%s%s%s} %s\n", m->name, labels ? labels : "",
                labels && extra ? "," : "", extra ? extra : "", value);
    else
        fprintf(m->f, "%s %s\n", m->name, value);
}

/* A sample of v * scale; none when v is unknown or the product overflows. */
static void fam_u64(struct fam *m, const char *labels, const char *extra, uint64_t v, uint64_t scale)
{
    char b[32];

    if (!u64_known(v) || (scale > 1 && v > UINT64_MAX / scale))
        return;
    snprintf(b, sizeof(b), "%" PRIu64, v * scale);
    fam_sample(m, labels, extra, b);
}

static void fam_dbl(struct fam *m, const char *labels, const char *extra, double v)
{
    char b[64];

    if (!isfinite(v))
        return;
    snprintf(b, sizeof(b), "%.15g", v);
    fam_sample(m, labels, extra, b);
}

/* A sample of row r's figure in base, converted by r->prom_scale; none when unknown. */
static void fam_row(struct fam *m, const struct sg_schema_row *r, const char *labels, const void *base)
{
    uint64_t u;
    double x;

    if (row_u64(r, base, &u))
        fam_u64(m, labels, r->prom_label, u, r->prom_scale >= 1 ? (uint64_t)r->prom_scale : 1);
    else if (row_dbl(r, base, &x))
        /* a fraction as a division: percent / 100 is exact where percent * 0.01 is not */
        fam_dbl(m, labels, r->prom_label, r->prom_scale < 1 ? x / round(1.0 / r->prom_scale) : x * r->prom_scale);
}

/* Is row i the first of its Prometheus family (rows of a family may share a name)? */
static bool family_head(size_t i, enum sg_schema_scope scope)
{
    for (size_t k = 0; k < i; k++)
        if (sg_schema[k].scope == scope && (sg_schema[k].outputs & SG_OUT_TEXTFILE) &&
            sg_schema[k].prom_name && strcmp(sg_schema[k].prom_name, sg_schema[i].prom_name) == 0)
            return false;
    return true;
}

static struct fam row_fam(FILE *f, const struct sg_schema_row *r)
{
    return (struct fam){ f, r->prom_name, r->kind == SG_KIND_COUNTER ? "counter" : "gauge", r->label, false };
}

/*
 * The labels of swapguard_domain_info beyond domain and uuid, in the order of
 * the row's prom_label: the Nova instance (its UUID is the domain's), name,
 * project id and name, and flavor, each only when known, escaped. "" for a
 * domain that is not Nova's or whose metadata was not read; NULL on ENOMEM.
 */
static char *info_labels(const struct sg_dom *w)
{
    const struct sg_dom_meta *m = w->meta;
    const char *val[] = { w->d.uuid, m ? m->nova_name : "", m ? m->nova_project_uuid : "",
                          m ? m->nova_project_name : "", m ? m->nova_flavor : "" };
    const char *names = sg_schema_get(SG_F_REPORT_DOMAIN_INFO)->prom_label, *p = names;
    char *out = NULL;
    size_t len = 0;
    FILE *f;

    if (!m || !m->nova)
        return strdup("");
    f = open_memstream(&out, &len);
    if (!f)
        return NULL;
    for (size_t k = 0; k < SG_ELEMENTSOF(val) && *p; k++) {
        size_t l = strcspn(p, ",");
        _cleanup_free_ char *v = val[k][0] ? prom_label_dup(val[k]) : NULL;

        if (v)
            fprintf(f, "%s%.*s=\"%s\"", ftell(f) ? "," : "", (int)l, p, v);
        p += l + (p[l] == ',');
    }
    if (fclose(f) != 0) {
        free(out);
        return NULL;
    }
    return out;
}

/* The per-domain families: the domain rows with a Prometheus name, one family per name (HELP
 * from its first row), every domain's samples in turn. */
/* The verdict figures of d: from its whole verdict when it has one, else its nums. */
static struct sg_report_verdict_nums nums_of(const struct sg_report_dom *d)
{
    if (d->v)
        return (struct sg_report_verdict_nums){ d->v->kind, d->v->confidence, d->v->lost_ms_per_s };
    return d->nums;
}

static void textfile_domains(FILE *f, const struct sg_report_dom *d, size_t n, char **labels)
{
    const struct sg_schema_row *vr = sg_schema_get(SG_F_REPORT_VERDICT);
    const struct sg_schema_row *cr = sg_schema_get(SG_F_REPORT_CONFIDENCE);
    const struct sg_schema_row *lr = sg_schema_get(SG_F_REPORT_LOST_MS_PER_S);
    struct fam verdict = row_fam(f, vr), conf = row_fam(f, cr), lost = row_fam(f, lr),
               info = row_fam(f, sg_schema_get(SG_F_REPORT_DOMAIN_INFO));

    for (size_t h = 0; h < SG_F__MAX; h++) {
        struct fam m;

        if (sg_schema[h].scope != SG_SCOPE_DOMAIN || !(sg_schema[h].outputs & SG_OUT_TEXTFILE) ||
            !sg_schema[h].prom_name || !family_head(h, SG_SCOPE_DOMAIN))
            continue;
        m = row_fam(f, &sg_schema[h]);
        for (size_t i = 0; i < n; i++)
            for (size_t k = h; k < SG_F__MAX; k++) {
                const struct sg_schema_row *r = &sg_schema[k];

                if (r->scope != SG_SCOPE_DOMAIN || !(r->outputs & SG_OUT_TEXTFILE) || !r->prom_name ||
                    strcmp(r->prom_name, m.name) != 0)
                    continue;
                if (has_figures(&d[i]) && row_applies(r, d[i].last))
                    fam_row(&m, r, labels[i], d[i].last);
                else if (r->flags & SG_ROW_ALWAYS)
                    fam_u64(&m, labels[i], r->prom_label, 0, 1);
            }
    }
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k <= VERDICT_LAST; k++) {
            char extra[64];
            snprintf(extra, sizeof(extra), "%s=\"%s\"", vr->prom_label, sg_verdict_name((enum sg_verdict_kind)k));
            fam_u64(&verdict, labels[i], extra, nums_of(&d[i]).kind == (enum sg_verdict_kind)k ? 1 : 0, 1);
        }
    for (size_t i = 0; i < n; i++)
        fam_dbl(&conf, labels[i], NULL, nums_of(&d[i]).confidence);
    for (size_t i = 0; i < n; i++) {
        _cleanup_free_ char *extra = info_labels(d[i].w);

        fam_u64(&info, labels[i], extra && extra[0] ? extra : NULL, 1, 1);
    }
    for (size_t i = 0; i < n; i++)
        if (isfinite(nums_of(&d[i]).lost_ms_per_s))
            fam_dbl(&lost, labels[i], NULL, nums_of(&d[i]).lost_ms_per_s * lr->prom_scale);
    {
        struct fam last = row_fam(f, sg_schema_get(SG_F_REPORT_LAST_SAMPLE));

        for (size_t i = 0; i < n; i++)
            if (d[i].sample_unix > 0)
                fam_dbl(&last, labels[i], NULL, d[i].sample_unix);
    }
}

/* The host families: the host rows with a Prometheus name. */
static void textfile_host(FILE *f, const struct sg_host_facts *h)
{
    for (size_t i = 0; i < SG_F__MAX; i++) {
        const struct sg_schema_row *r = &sg_schema[i];
        struct fam m;

        if (r->scope != SG_SCOPE_HOST || !(r->outputs & SG_OUT_TEXTFILE) || !r->prom_name)
            continue;
        m = row_fam(f, r);
        fam_row(&m, r, NULL, h);
    }
}

int sg_report_textfile_format(FILE *f, const struct sg_host_facts *host,
                              const struct sg_report_dom *d, size_t n, double now)
{
    return sg_report_textfile_format_up(f, host, d, n, now, 1);
}

int sg_report_textfile_format_up(FILE *f, const struct sg_host_facts *host,
                                 const struct sg_report_dom *d, size_t n, double now, int up)
{
    struct fam ts = row_fam(f, sg_schema_get(SG_F_REPORT_UNIX));
    struct fam upf = row_fam(f, sg_schema_get(SG_F_REPORT_UP));
    char **labels = calloc(n + 1, sizeof(*labels));
    bool oom = !labels;

    for (size_t i = 0; !oom && i < n; i++) {
        _cleanup_free_ char *name = prom_label_dup(d[i].w->d.name), *uuid = prom_label_dup(d[i].w->d.uuid);
        if (!name || !uuid || asprintf(&labels[i], "domain=\"%s\",uuid=\"%s\"", name, uuid) < 0) {
            labels[i] = NULL;
            oom = true;
        }
    }
    if (!oom) {
        textfile_domains(f, d, n, labels);
        if (host)
            textfile_host(f, host);
        fam_u64(&upf, NULL, NULL, up ? 1 : 0, 1);
        fam_dbl(&ts, NULL, NULL, now);
    }
    for (size_t i = 0; labels && i < n; i++)
        free(labels[i]);
    free(labels);
    if (oom)
        return -ENOMEM;
    return ferror(f) ? -EIO : 0;
}

int sg_report_textfile(const char *path, const struct sg_host_facts *host,
                       const struct sg_report_dom *d, size_t n, double now, char *why,
                       size_t why_size)
{
    return sg_report_textfile_up(path, host, d, n, now, 1, why, why_size);
}

int sg_report_textfile_up(const char *path, const struct sg_host_facts *host,
                          const struct sg_report_dom *d, size_t n, double now, int up, char *why,
                          size_t why_size)
{
    _cleanup_free_ char *spath = safe_dup(path), *dir = dir_of(path), *tmp = NULL;
    char buf[65536];
    struct stat st;
    FILE *f;
    int fd, r;

    if (!spath || !dir)
        return -ENOMEM;
    r = stat(dir, &st) < 0 ? -errno : 0;
    if (r < 0 || !S_ISDIR(st.st_mode)) {
        _cleanup_free_ char *sdir = safe_dup(dir);
        if (r == -ENOENT)
            sg_why(why, why_size, "%s: the directory %s does not exist (node_exporter's textfile "
                   "directory: create it, or set [report] textfile to empty)", spath, sdir ? sdir : "");
        else if (r == 0) {
            r = -ENOTDIR;
            sg_why(why, why_size, "%s: %s is not a directory", spath, sdir ? sdir : "");
        } else
            sg_why(why, why_size, "%s: %s", sdir ? sdir : "", strerror(-r));
        return r;
    }
    if (asprintf(&tmp, "%s.tmp.%ld", path, (long)getpid()) < 0) {
        tmp = NULL;
        return -ENOMEM;
    }
    (void)unlink(tmp); /* ours by name: a leftover of a killed process with our pid */
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0644);
    if (fd < 0) {
        r = -errno;
        sg_why(why, why_size, "%s.tmp.%ld: %s", spath, (long)getpid(), strerror(-r));
        return r;
    }
    r = fchmod(fd, 0644) < 0 ? -errno : 0; /* whatever the umask */
    /* Formatted straight into the file through a stack buffer: the text of every domain is
     * never held in memory at once (about 3 KiB a domain). */
    f = r == 0 ? fdopen(fd, "w") : NULL;
    if (r == 0 && !f)
        r = -errno;
    if (!f)
        close(fd);
    if (f) {
        setvbuf(f, buf, _IOFBF, sizeof(buf));
        r = sg_report_textfile_format_up(f, host, d, n, now, up);
        if (r == 0 && fflush(f) != 0)
            r = -errno;
        if (fclose(f) != 0 && r == 0)
            r = -errno;
    }
    if (r == 0 && rename(tmp, path) < 0)
        r = -errno;
    if (r < 0) {
        (void)unlink(tmp);
        sg_why(why, why_size, "%s: %s", spath, strerror(-r));
        return r;
    }
    /* No fsync of the file or the directory: a metrics file needs no durability (after a
     * crash node_exporter reads the previous one or none, and the next tick replaces it). */
    sg_why(why, why_size, "%s", spath);
    return 0;
}

/* ---- the round ------------------------------------------------------------------------ */

static void note(struct sg_report_result *res, enum sg_report_output o, enum sg_report_status st,
                 const char *why)
{
    res->st[o] = st;
    snprintf(res->where[o], sizeof(res->where[o]), "%s", why);
}

/*
 * Records the outcome r of output o for domain d, warning when it failed; keeps the first error.
 * -ENOENT means the receiver is not there (no journald or syslog listening, no node_exporter
 * textfile directory, no domain log yet): skipped with a warning, not a failure, so that the
 * defaults work on a host without them.
 */
static void outcome(struct sg_report_result *res, enum sg_report_output o, const struct sg_report_dom *d,
                    int r, const char *why, int *first)
{
    if (r == -ENOENT) {
        note(res, o, SG_REPORT_SKIPPED, why);
        sg_log_warning("report: %s of domain '%s' skipped: %s", sg_report_output_name(o),
                       d->w->d.name ? d->w->d.name : "", why[0] ? why : strerror(-r));
        return;
    }
    note(res, o, r < 0 ? SG_REPORT_FAILED : SG_REPORT_DONE, why);
    if (r < 0) {
        sg_log_warning("report: %s of domain '%s' failed: %s", sg_report_output_name(o),
                       d->w->d.name ? d->w->d.name : "", why[0] ? why : strerror(-r));
        if (*first == 0)
            *first = r;
    }
}

/* The per-change outputs of d[0..n) into res (may be NULL); *first gets the first failure. */
static void round_changes(const struct sg_config *cfg, const struct sg_report_dom *d, size_t n,
                          double now, struct sg_report_result *res, int *first_out)
{
    struct sg_report_result scratch = { 0 };
    char why[512];
    int first = *first_out, r;

    for (size_t i = 0; i < n; i++) {
        struct sg_report_result *rr = res ? &res[i] : &scratch;

        memset(rr, 0, sizeof(*rr));
        if (cfg->report_metadata) {
            if (!d[i].changed)
                note(rr, SG_REPORT_METADATA, SG_REPORT_SKIPPED, "verdict unchanged");
            else if (d[i].w->d.id < 0 || !d[i].w->dom)
                note(rr, SG_REPORT_METADATA, SG_REPORT_SKIPPED, "domain not running");
            else {
                why[0] = '\0';
                r = report_metadata(&d[i], now, why, sizeof(why));
                outcome(rr, SG_REPORT_METADATA, &d[i], r, why, &first);
            }
        }
        if (cfg->report_domain_log && cfg->domain_log_dir[0]) {
            if (!d[i].changed)
                note(rr, SG_REPORT_DOMAIN_LOG, SG_REPORT_SKIPPED, "verdict unchanged");
            else {
                why[0] = '\0';
                r = sg_report_domain_log(cfg->domain_log_dir, &d[i], now, why, sizeof(why));
                outcome(rr, SG_REPORT_DOMAIN_LOG, &d[i], r, why, &first);
            }
        }
        if (cfg->report_journal) {
            if (!d[i].changed)
                note(rr, SG_REPORT_JOURNALD, SG_REPORT_SKIPPED, "verdict unchanged");
            else {
                why[0] = '\0';
                r = sg_report_journald(&d[i], NULL, why, sizeof(why));
                outcome(rr, SG_REPORT_JOURNALD, &d[i], r, why, &first);
            }
        }
        if (cfg->history[0]) {
            if (!d[i].changed)
                note(rr, SG_REPORT_HISTORY, SG_REPORT_SKIPPED, "verdict unchanged");
            else {
                why[0] = '\0';
                r = sg_report_history(cfg->history, &d[i], now, why, sizeof(why));
                outcome(rr, SG_REPORT_HISTORY, &d[i], r, why, &first);
            }
        }
    }
    *first_out = first;
}

int sg_report_changes(const struct sg_config *cfg, const struct sg_report_dom *d, size_t n,
                      double now)
{
    int first = 0;

    round_changes(cfg, d, n, now, NULL, &first);
    return first;
}

int sg_report_round_ex(const struct sg_config *cfg, const struct sg_host_facts *host,
                       const struct sg_report_dom *d, size_t n, double now,
                       struct sg_report_result *res)
{
    char why[512];
    int first = 0, r;

    round_changes(cfg, d, n, now, res, &first);
    if (cfg->textfile[0]) {
        why[0] = '\0';
        r = sg_report_textfile(cfg->textfile, host, d, n, now, why, sizeof(why));
        if (r < 0) {
            sg_log_warning("report: textfile (every domain of the round) %s: %s",
                           r == -ENOENT ? "skipped" : "failed", why[0] ? why : strerror(-r));
            if (first == 0 && r != -ENOENT)
                first = r;
        }
        for (size_t i = 0; res && i < n; i++)
            note(&res[i], SG_REPORT_TEXTFILE,
                 r == -ENOENT ? SG_REPORT_SKIPPED : r < 0 ? SG_REPORT_FAILED : SG_REPORT_DONE, why);
    }
    return first;
}

int sg_report_round(const struct sg_config *cfg, const struct sg_host_facts *host,
                    const struct sg_report_dom *d, size_t n, double now)
{
    return sg_report_round_ex(cfg, host, d, n, now, NULL);
}
