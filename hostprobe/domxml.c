/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "domxml.h"

#include "util/xml-cleanup.h"

#include <errno.h>
#include <inttypes.h>
#include <libvirt/libvirt.h>
#include <libxml/c14n.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlsave.h>
#include <libxml/xpath.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* A printable excerpt of document bytes for messages: at most 40 bytes,
 * anything but printable ASCII shown as '?'. */
static const char *shown(const char *s, char *buf, size_t size)
{
    size_t i = 0;

    if (!s)
        s = "";
    for (; s[i] && i + 4 < size && i < 40; i++)
        buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    if (s[i] && i + 4 <= size) {
        memcpy(buf + i, "...", 3);
        i += 3;
    }
    buf[i] = '\0';
    return buf;
}

static bool is_xml_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_c_space(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Copies src into dst[size] whole, or cut at a UTF-8 character boundary.
 * Returns true when it had to cut. */
static bool copy_utf8_bounded(char *dst, size_t size, const char *src)
{
    size_t len = strlen(src), n = len;

    if (n >= size) {
        n = size - 1;
        /* Do not end inside a multi-byte sequence: back up over continuation
         * bytes (10xxxxxx) to the lead byte, and drop that too unless the
         * whole sequence fits. libxml2 hands out valid UTF-8. */
        size_t lead = n;
        while (lead > 0 && ((unsigned char)src[lead] & 0xc0) == 0x80)
            lead--;
        n = lead;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
    return n < len;
}

/*
 * Scale factor of a libvirt unit (virScaleInteger): NULL or "" = dflt;
 * b/byte/bytes = 1; X or XiB = 1024^k; XB = 1000^k, X in k,m,g,t,p,e, all
 * case-insensitive. Returns 0 or -EINVAL.
 */
static int unit_scale(const char *unit, uint64_t dflt, uint64_t *scale)
{
    uint64_t base, s = 1;
    int power;

    if (!unit || !unit[0]) {
        *scale = dflt;
        return 0;
    }
    if (!strcasecmp(unit, "b") || !strcasecmp(unit, "byte") || !strcasecmp(unit, "bytes")) {
        *scale = 1;
        return 0;
    }
    if (!unit[1] || !strcasecmp(unit + 1, "iB"))
        base = 1024;
    else if ((unit[1] == 'b' || unit[1] == 'B') && !unit[2])
        base = 1000;
    else
        return -EINVAL;
    switch (unit[0]) {
    case 'k': case 'K': power = 1; break;
    case 'm': case 'M': power = 2; break;
    case 'g': case 'G': power = 3; break;
    case 't': case 'T': power = 4; break;
    case 'p': case 'P': power = 5; break;
    case 'e': case 'E': power = 6; break;
    default: return -EINVAL;
    }
    while (power-- > 0)
        s *= base; /* at most 1024^6 = 2^60 or 1000^6 = 10^18: fits */
    *scale = s;
    return 0;
}

/*
 * value (decimal digits, XML whitespace around allowed) times the unit's
 * scale (KiB when no unit), rounded up to KiB. what names the field for why.
 */
static int size_to_kib(const char *value, const char *unit, const char *what, uint64_t *kib,
                       char *why, size_t why_size)
{
    char b1[48], b2[48];
    const char *s = value, *e;
    uint64_t v, scale, bytes;
    int r;

    if (!s)
        s = "";
    while (is_xml_space(*s))
        s++;
    e = s + strlen(s);
    while (e > s && is_xml_space(e[-1]))
        e--;
    r = sg_parse_u64(s, (size_t)(e - s), &v);
    if (r == -ERANGE) {
        sg_why(why, why_size, "%s: %s does not fit in 64 bits", what, shown(value, b1, sizeof(b1)));
        return -ERANGE;
    }
    if (r < 0) {
        sg_why(why, why_size, "%s: '%s' is not a number", what, shown(value, b1, sizeof(b1)));
        return -EINVAL;
    }
    if (unit_scale(unit, 1024, &scale) < 0) {
        sg_why(why, why_size, "%s: unknown unit '%s'", what, shown(unit, b1, sizeof(b1)));
        return -EINVAL;
    }
    if (scale != 0 && v > UINT64_MAX / scale) {
        sg_why(why, why_size, "%s: %s %s is more than 2^64 bytes", what,
                shown(value, b1, sizeof(b1)), shown(unit, b2, sizeof(b2)));
        return -ERANGE;
    }
    bytes = v * scale;
    *kib = bytes / 1024 + (bytes % 1024 != 0);
    return 0;
}

/* A node id: digits only, below SG_DOMXML_NODE_ID_LIMIT. Advances *p. */
static int nodeset_number(const char **p, unsigned *out)
{
    const char *s = *p;
    unsigned v = 0;

    if (*s < '0' || *s > '9')
        return -EINVAL;
    for (; *s >= '0' && *s <= '9'; s++) {
        v = v * 10 + (unsigned)(*s - '0');
        if (v >= SG_DOMXML_NODE_ID_LIMIT)
            return -ERANGE;
    }
    *p = s;
    *out = v;
    return 0;
}

/* libvirt's virBitmapParse syntax, applied in order to a bitmap of node ids. */
static int parse_nodeset(const char *str, struct sg_domxml *d, char *why, size_t why_size)
{
    bool set[SG_DOMXML_NODE_ID_LIMIT] = { false };
    const char *p = str;
    char b[48];
    size_t n = 0;
    int r;

    while (is_c_space(*p))
        p++;
    if (!*p)
        goto invalid;
    while (*p) {
        bool neg = false;
        unsigned first, last;

        if (*p == '^') {
            neg = true;
            p++;
        }
        r = nodeset_number(&p, &first);
        if (r < 0)
            goto fail;
        last = first;
        while (is_c_space(*p))
            p++;
        if (*p == '-') {
            if (neg)
                goto invalid; /* libvirt: "^N-M" is not allowed */
            p++;
            while (is_c_space(*p))
                p++;
            r = nodeset_number(&p, &last);
            if (r < 0)
                goto fail;
            if (last < first)
                goto invalid;
            while (is_c_space(*p))
                p++;
        }
        for (unsigned i = first; i <= last; i++)
            set[i] = !neg;
        if (*p == ',') {
            p++;
            while (is_c_space(*p))
                p++;
            if (!*p)
                goto invalid; /* trailing comma: libvirt fails on the empty entry */
        } else if (*p) {
            goto invalid;
        }
    }
    for (unsigned i = 0; i < SG_DOMXML_NODE_ID_LIMIT; i++) {
        if (!set[i])
            continue;
        if (n == SG_DOMXML_MAX_NODES) {
            sg_why(why, why_size, "numatune nodeset '%s' has more than %d nodes",
                    shown(str, b, sizeof(b)), SG_DOMXML_MAX_NODES);
            return -ERANGE;
        }
        d->numa_nodes[n++] = (int)i;
    }
    if (n == 0) {
        sg_why(why, why_size, "numatune nodeset '%s' selects no node", shown(str, b, sizeof(b)));
        return -EINVAL;
    }
    d->n_numa_nodes = n;
    return 0;

fail:
    if (r == -ERANGE) {
        sg_why(why, why_size, "numatune nodeset '%s': node id >= %d", shown(str, b, sizeof(b)),
                SG_DOMXML_NODE_ID_LIMIT);
        return -ERANGE;
    }
invalid:
    sg_why(why, why_size, "numatune nodeset '%s' is malformed", shown(str, b, sizeof(b)));
    return -EINVAL;
}

/* The first node expr selects (relative to ctx->node), or NULL. */
static xmlNodePtr xp_first(xmlXPathContextPtr ctx, const char *expr)
{
    xmlXPathObjectPtr obj = xmlXPathEvalExpression(BAD_CAST expr, ctx);
    xmlNodePtr node = NULL;

    if (obj && obj->type == XPATH_NODESET && obj->nodesetval && obj->nodesetval->nodeNr > 0)
        node = obj->nodesetval->nodeTab[0];
    xmlXPathFreeObject(obj);
    return node;
}

/* A memtune limit element: SG_NONE when absent. */
static int parse_limit(xmlXPathContextPtr ctx, const char *expr, const char *what, uint64_t *kib,
                       char *why, size_t why_size)
{
    xmlNodePtr node = xp_first(ctx, expr);
    xmlChar *text, *unit;
    int r;

    *kib = SG_NONE;
    if (!node)
        return 0;
    text = xmlNodeGetContent(node);
    unit = xmlGetNoNsProp(node, BAD_CAST "unit");
    r = size_to_kib((const char *)text, (const char *)unit, what, kib, why, why_size);
    xmlFree(text);
    xmlFree(unit);
    if (r == 0 && *kib >= (uint64_t)VIR_DOMAIN_MEMORY_PARAM_UNLIMITED)
        *kib = SG_UNLIMITED;
    return r;
}

static int parse_memory_backing(xmlXPathContextPtr ctx, struct sg_domxml *d, char *why, size_t why_size)
{
    xmlNodePtr page;
    xmlChar *size, *unit;
    int r;

    d->locked = xp_first(ctx, "/domain/memoryBacking[1]/locked") != NULL;
    d->hugepages = xp_first(ctx, "/domain/memoryBacking[1]/hugepages") != NULL;
    page = xp_first(ctx, "/domain/memoryBacking[1]/hugepages[1]/page");
    if (!page)
        return 0;
    size = xmlGetNoNsProp(page, BAD_CAST "size");
    if (!size) {
        sg_why(why, why_size, "memoryBacking/hugepages/page has no size");
        return -EINVAL;
    }
    unit = xmlGetNoNsProp(page, BAD_CAST "unit");
    r = size_to_kib((const char *)size, (const char *)unit, "hugepages page size",
                    &d->hugepage_size_kib, why, why_size);
    xmlFree(size);
    xmlFree(unit);
    if (r == 0 && d->hugepage_size_kib == 0) {
        sg_why(why, why_size, "hugepages page size is 0");
        r = -EINVAL;
    }
    return r;
}

static int parse_numatune(xmlXPathContextPtr ctx, struct sg_domxml *d, char *why, size_t why_size)
{
    xmlNodePtr mem = xp_first(ctx, "/domain/numatune[1]/memory");
    xmlChar *placement, *nodeset;
    int r = 0;

    if (!mem)
        return 0;
    placement = xmlGetNoNsProp(mem, BAD_CAST "placement");
    nodeset = xmlGetNoNsProp(mem, BAD_CAST "nodeset");
    if (nodeset && !(placement && xmlStrEqual(placement, BAD_CAST "auto")))
        r = parse_nodeset((const char *)nodeset, d, why, why_size);
    xmlFree(placement);
    xmlFree(nodeset);
    return r;
}

static bool is_nova_ns(xmlNodePtr n)
{
    return n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
           !strncmp((const char *)n->ns->href, SG_DOMXML_NOVA_NS_PREFIX, strlen(SG_DOMXML_NOVA_NS_PREFIX));
}

/* An element child of parent in the namespace ns named name, or NULL. */
static xmlNodePtr nova_child(xmlNodePtr parent, const xmlChar *ns, const char *name)
{
    for (xmlNodePtr c = parent->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && c->ns && xmlStrEqual(c->ns->href, ns) &&
            xmlStrEqual(c->name, BAD_CAST name))
            return c;
    return NULL;
}

/* Copies s (NULL: "") into dst[size] as copy_utf8_bounded; sets *cut when it had to cut. */
static void take_label(char *dst, size_t size, const xmlChar *s, bool *cut)
{
    if (copy_utf8_bounded(dst, size, s ? (const char *)s : ""))
        *cut = true;
}

/* The flavor, name and owner of the first nova:instance (see struct sg_domxml). */
static void parse_nova_instance(xmlNodePtr inst, struct sg_domxml *d)
{
    const xmlChar *ns = inst->ns->href;
    xmlNodePtr f = nova_child(inst, ns, "flavor"), n = nova_child(inst, ns, "name");
    xmlNodePtr owner = nova_child(inst, ns, "owner"), proj = owner ? nova_child(owner, ns, "project") : NULL;
    xmlChar *v;

    if (f && (v = xmlGetNoNsProp(f, BAD_CAST "name"))) {
        d->nova_flavor_truncated = copy_utf8_bounded(d->nova_flavor, sizeof(d->nova_flavor), (const char *)v);
        xmlFree(v);
    }
    if (n) {
        v = xmlNodeGetContent(n);
        take_label(d->nova_name, sizeof(d->nova_name), v, &d->nova_labels_truncated);
        xmlFree(v);
    }
    if (proj) {
        v = xmlGetNoNsProp(proj, BAD_CAST "uuid");
        take_label(d->nova_project_uuid, sizeof(d->nova_project_uuid), v, &d->nova_labels_truncated);
        xmlFree(v);
        v = xmlNodeGetContent(proj);
        take_label(d->nova_project_name, sizeof(d->nova_project_name), v, &d->nova_labels_truncated);
        xmlFree(v);
    }
}

/* The serial console log file (struct sg_domxml console_log). */
static void parse_console_log(xmlXPathContextPtr ctx, struct sg_domxml *d)
{
    static const char *const exprs[] = {
        "/domain/devices/serial[@type='file']/source[@path][1]",
        "/domain/devices/console[@type='file']/source[@path][1]",
    };

    for (size_t i = 0; i < sizeof(exprs) / sizeof(exprs[0]); i++) {
        xmlNodePtr n = xp_first(ctx, exprs[i]);
        xmlChar *path;

        if (!n)
            continue;
        path = xmlGetProp(n, BAD_CAST "path");
        if (path && path[0] == '/' && strlen((const char *)path) < sizeof(d->console_log)) {
            snprintf(d->console_log, sizeof(d->console_log), "%s", (const char *)path);
            xmlFree(path);
            return;
        }
        xmlFree(path);
    }
}

static void parse_nova(xmlXPathContextPtr ctx, struct sg_domxml *d)
{
    xmlNodePtr meta = xp_first(ctx, "/domain/metadata");

    if (!meta)
        return;
    for (xmlNodePtr el = meta->children; el; el = el->next) {
        if (!is_nova_ns(el))
            continue;
        if (!d->nova) {
            d->nova = true;
            copy_utf8_bounded(d->nova_ns, sizeof(d->nova_ns), (const char *)el->ns->href);
        }
        if (xmlStrEqual(el->name, BAD_CAST "instance")) {
            parse_nova_instance(el, d); /* the first instance only */
            break;
        }
    }
}

/*
 * Reads xml into *doc with its XPath context *ctx (both the caller's to free,
 * NULL on failure): the size limit, the parser options and the root check of
 * sg_domxml_parse().
 */
static int read_doc(const char *xml, xmlDocPtr *doc, xmlXPathContextPtr *ctx, char *why, size_t why_size)
{
    xmlNodePtr root;
    size_t len;

    *doc = NULL;
    *ctx = NULL;
    if (!xml) {
        sg_why(why, why_size, "no document");
        return -EINVAL;
    }
    len = strnlen(xml, (size_t)SG_DOMXML_MAX_BYTES + 1);
    if (len > SG_DOMXML_MAX_BYTES) {
        sg_why(why, why_size, "domain XML is larger than %u bytes", SG_DOMXML_MAX_BYTES);
        return -EFBIG;
    }
    /* XML_PARSE_NONET: nothing from the network. No XML_PARSE_NOENT and no
     * XML_PARSE_DTDLOAD: external entities and DTDs are not loaded at all. */
    *doc = xmlReadMemory(xml, (int)len, "domain.xml", NULL,
                         XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!*doc) {
        sg_why(why, why_size, "not well-formed XML");
        return -EINVAL;
    }
    root = xmlDocGetRootElement(*doc);
    if (!root || root->ns || !xmlStrEqual(root->name, BAD_CAST "domain")) {
        sg_why(why, why_size, "root element is not <domain>");
        xmlFreeDoc(*doc);
        *doc = NULL;
        return -EINVAL;
    }
    *ctx = xmlXPathNewContext(*doc);
    if (!*ctx) {
        sg_why(why, why_size, "out of memory");
        xmlFreeDoc(*doc);
        *doc = NULL;
        return -ENOMEM;
    }
    return 0;
}

/* Parses xml into *out: with memory, the memory facts too (else they stay "none"). */
static int parse_doc(const char *xml, bool memory, struct sg_domxml *out, char *why, size_t why_size)
{
    struct sg_domxml d = {
        .hard_limit_kib = SG_NONE,
        .swap_hard_limit_kib = SG_NONE,
    };
    _cleanup_xmldoc_ xmlDocPtr doc = NULL;
    _cleanup_xpathctx_ xmlXPathContextPtr ctx = NULL; /* freed first: it points into doc */
    int r;

    if (!out) {
        sg_why(why, why_size, "no document");
        return -EINVAL;
    }
    r = read_doc(xml, &doc, &ctx, why, why_size);
    if (r < 0)
        return r;
    if (memory &&
        ((r = parse_memory_backing(ctx, &d, why, why_size)) < 0 ||
         (r = parse_limit(ctx, "/domain/memtune[1]/hard_limit", "memtune hard_limit",
                          &d.hard_limit_kib, why, why_size)) < 0 ||
         (r = parse_limit(ctx, "/domain/memtune[1]/swap_hard_limit", "memtune swap_hard_limit",
                          &d.swap_hard_limit_kib, why, why_size)) < 0 ||
         (r = parse_numatune(ctx, &d, why, why_size)) < 0))
        return r;
    parse_nova(ctx, &d);
    parse_console_log(ctx, &d);
    *out = d;
    return 0;
}

int sg_domxml_parse(const char *xml, struct sg_domxml *out, char *why, size_t why_size)
{
    return parse_doc(xml, true, out, why, why_size);
}

int sg_domxml_parse_nova(const char *xml, struct sg_domxml *out, char *why, size_t why_size)
{
    return parse_doc(xml, false, out, why, why_size);
}

/* ---- Edits ---------------------------------------------------------------- */


void sg_domxml_edit_clear(struct sg_domxml_edit *e)
{
    if (!e)
        return;
    free(e->before);
    free(e->after);
    memset(e, 0, sizeof(*e));
}

/* An un-namespaced element named name (libvirt's elements have no namespace). */
static bool is_el(xmlNodePtr n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && !n->ns && xmlStrEqual(n->name, BAD_CAST name);
}

static xmlNodePtr child_el(xmlNodePtr parent, const char *name)
{
    for (xmlNodePtr c = parent ? parent->children : NULL; c; c = c->next)
        if (is_el(c, name))
            return c;
    return NULL;
}

/* The last child element of parent whose name is in names (NULL-terminated), or NULL. */
static xmlNodePtr last_child_in(xmlNodePtr parent, const char *const *names)
{
    xmlNodePtr last = NULL;

    for (xmlNodePtr c = parent->children; c; c = c->next)
        for (const char *const *n = names; *n; n++)
            if (is_el(c, *n))
                last = c;
    return last;
}

static bool is_blank_text(xmlNodePtr n)
{
    if (!n || n->type != XML_TEXT_NODE)
        return false;
    for (const xmlChar *c = n->content; c && *c; c++)
        if (!is_xml_space((char)*c))
            return false;
    return true;
}

/*
 * The indentation of n: what follows the last newline of the blank text node
 * right before it. false when n is not on a line of its own (a compact
 * document): then nothing is indented.
 */
static bool indent_of(xmlNodePtr n, char *buf, size_t size)
{
    const char *s, *nl;

    if (!n || !is_blank_text(n->prev))
        return false;
    s = (const char *)n->prev->content;
    nl = strrchr(s, '\n');
    if (!nl || strlen(nl + 1) >= size)
        return false;
    snprintf(buf, size, "%s", nl + 1);
    return true;
}

static int add_blank(xmlNodePtr el, bool before, const char *indent)
{
    char text[160];
    xmlNodePtr t;

    snprintf(text, sizeof(text), "\n%s", indent);
    t = xmlNewDocText(el->doc, BAD_CAST text);
    if (!t)
        return -ENOMEM;
    /* el is an element: libxml2 merges a new text node only into a text
     * neighbour of the node it is added to, and el's neighbour on this side is
     * an element (see insert_child). */
    if (!(before ? xmlAddPrevSibling(el, t) : xmlAddNextSibling(el, t))) {
        xmlFreeNode(t);
        return -ENOMEM;
    }
    return 0;
}

/*
 * Links el into parent after its child element after (NULL: before the first
 * child element), indented like its siblings (or two spaces deeper than
 * parent when it has no child element yet; not at all in a compact
 * document). On failure el is freed.
 */
static int insert_child(xmlNodePtr parent, xmlNodePtr el, xmlNodePtr after)
{
    char indent[132], pindent[128];
    xmlNodePtr first = NULL;

    for (xmlNodePtr c = parent->children; c && !first; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            first = c;
    if (!first) {
        /* No child element yet: replace blank text (a "<x>\n  </x>") by our own. */
        bool indented = indent_of(parent, pindent, sizeof(pindent) - 2);

        for (xmlNodePtr c = parent->children, next; c; c = next) {
            next = c->next;
            if (is_blank_text(c)) {
                xmlUnlinkNode(c);
                xmlFreeNode(c);
            }
        }
        if (!xmlAddChild(parent, el)) {
            xmlFreeNode(el);
            return -ENOMEM;
        }
        if (!indented)
            return 0;
        snprintf(indent, sizeof(indent), "%s  ", pindent);
        /* el is the only element; its neighbours are non-blank text at most,
         * which a libvirt document does not have: add the blanks around it. */
        if (el->prev && el->prev->type == XML_TEXT_NODE)
            return 0;
        if (add_blank(el, true, indent) < 0)
            return -ENOMEM;
        if (el->next && el->next->type == XML_TEXT_NODE)
            return 0;
        return add_blank(el, false, pindent);
    }
    if (after) {
        bool indented = indent_of(after, indent, sizeof(indent));

        if (!xmlAddNextSibling(after, el)) {
            xmlFreeNode(el);
            return -ENOMEM;
        }
        /* after, [blank], el, (what followed after) */
        return indented ? add_blank(el, true, indent) : 0;
    } else {
        bool indented = indent_of(first, indent, sizeof(indent));

        if (!xmlAddPrevSibling(first, el)) {
            xmlFreeNode(el);
            return -ENOMEM;
        }
        /* (blank before first), el, [blank], first */
        return indented ? add_blank(el, false, indent) : 0;
    }
}

/* A new, empty, un-namespaced element inserted into parent after the last of the named siblings. */
static xmlNodePtr new_child(xmlNodePtr parent, const char *name, const char *const *after_names)
{
    xmlNodePtr el = xmlNewDocNode(parent->doc, NULL, BAD_CAST name, NULL);

    if (!el)
        return NULL;
    if (insert_child(parent, el, after_names ? last_child_in(parent, after_names) : NULL) < 0)
        return NULL;
    return el;
}

/* The existing child element name of parent, or a new one placed after the named siblings. */
static xmlNodePtr ensure_child(xmlNodePtr parent, const char *name, const char *const *after_names)
{
    xmlNodePtr el = child_el(parent, name);

    return el ? el : new_child(parent, name, after_names);
}

/* The document as the edit functions print it (see struct sg_domxml_edit). */
static int serialize(xmlDocPtr doc, char **out, char *why, size_t why_size)
{
    xmlBufferPtr buf = xmlBufferCreate();
    xmlSaveCtxtPtr save;
    const char *s;
    size_t len;
    int r = 0;

    if (!buf) {
        sg_why(why, why_size, "out of memory");
        return -ENOMEM;
    }
    save = xmlSaveToBuffer(buf, "UTF-8", XML_SAVE_NO_DECL);
    if (!save || xmlSaveDoc(save, doc) < 0) {
        if (save)
            xmlSaveClose(save);
        xmlBufferFree(buf);
        sg_why(why, why_size, "cannot serialise the domain XML");
        return -ENOMEM;
    }
    xmlSaveClose(save);
    s = (const char *)xmlBufferContent(buf);
    len = (size_t)xmlBufferLength(buf);
    *out = malloc(len + 2);
    if (!*out) {
        sg_why(why, why_size, "out of memory");
        r = -ENOMEM;
    } else {
        memcpy(*out, s, len);
        if (len == 0 || s[len - 1] != '\n')
            (*out)[len++] = '\n';
        (*out)[len] = '\0';
    }
    xmlBufferFree(buf);
    return r;
}

/* Elements libvirt formats before <memtune> and <memoryBacking> (virDomainDefFormatInternal). */
static const char *const before_memtune[] = {
    "name", "uuid", "genid", "title", "description", "metadata", "maxMemory", "memory",
    "currentMemory", "blkiotune", NULL,
};
static const char *const before_memory_backing[] = {
    "name", "uuid", "genid", "title", "description", "metadata", "maxMemory", "memory",
    "currentMemory", "blkiotune", "memtune", NULL,
};
/* Inside <memoryBacking>: hugepages, nosharepages, locked, source, access, allocation, discard. */
static const char *const before_locked[] = { "hugepages", "nosharepages", NULL };

enum edit_kind { EDIT_LOCK, EDIT_HUGEPAGES };

/* Sets the text of el to the decimal v and its unit to KiB. */
static int set_kib(xmlNodePtr el, uint64_t v)
{
    char num[32];
    xmlNodePtr t;

    snprintf(num, sizeof(num), "%" PRIu64, v);
    while (el->children) {
        xmlNodePtr c = el->children;

        xmlUnlinkNode(c);
        xmlFreeNode(c);
    }
    t = xmlNewDocText(el->doc, BAD_CAST num);
    if (!t || !xmlAddChild(el, t) || !xmlSetProp(el, BAD_CAST "unit", BAD_CAST "KiB")) {
        xmlFreeNode(t);
        return -ENOMEM;
    }
    return 0;
}

static int edit_lock(xmlNodePtr root, const struct sg_domxml *d, uint64_t overhead_kib,
                     struct sg_domxml_edit *e, char *why, size_t why_size)
{
    xmlNodePtr mb, locked, memtune, hard;
    uint64_t want;

    /* libvirt reads a limit of VIR_DOMAIN_MEMORY_PARAM_UNLIMITED KiB or more as no limit. */
    if (overhead_kib >= (uint64_t)VIR_DOMAIN_MEMORY_PARAM_UNLIMITED ||
        e->memory_kib >= (uint64_t)VIR_DOMAIN_MEMORY_PARAM_UNLIMITED - overhead_kib) {
        sg_why(why, why_size, "memory %" PRIu64 " KiB + overhead %" PRIu64 " KiB is beyond libvirt's limits",
               e->memory_kib, overhead_kib);
        return -ERANGE;
    }
    want = e->memory_kib + overhead_kib;
    e->hard_limit_after_kib = d->hard_limit_kib;
    if (d->hard_limit_kib == SG_NONE || d->hard_limit_kib == SG_UNLIMITED || d->hard_limit_kib < want)
        e->hard_limit_after_kib = want;
    if (d->swap_hard_limit_kib != SG_NONE && d->swap_hard_limit_kib != SG_UNLIMITED &&
        d->swap_hard_limit_kib < e->hard_limit_after_kib) {
        sg_why(why, why_size,
               "memtune swap_hard_limit %" PRIu64 " KiB is below the hard_limit %" PRIu64
               " KiB (guest RAM + QEMU overhead) that locked memory needs; raise or remove it first",
               d->swap_hard_limit_kib, e->hard_limit_after_kib);
        return -EINVAL;
    }

    if (e->hard_limit_after_kib != d->hard_limit_kib) {
        memtune = ensure_child(root, "memtune", before_memtune);
        if (!memtune)
            return -ENOMEM;
        hard = child_el(memtune, "hard_limit");
        if (!hard) {
            hard = xmlNewDocNode(root->doc, NULL, BAD_CAST "hard_limit", NULL);
            if (!hard || insert_child(memtune, hard, NULL) < 0)
                return -ENOMEM;
        }
        if (set_kib(hard, e->hard_limit_after_kib) < 0)
            return -ENOMEM;
    }
    mb = ensure_child(root, "memoryBacking", before_memory_backing);
    if (!mb)
        return -ENOMEM;
    locked = new_child(mb, "locked", before_locked);
    return locked ? 0 : -ENOMEM;
}

static int edit_hugepages(xmlNodePtr root, uint64_t page_size_kib)
{
    xmlNodePtr mb, hp, page;
    char num[32];

    mb = ensure_child(root, "memoryBacking", before_memory_backing);
    if (!mb)
        return -ENOMEM;
    hp = new_child(mb, "hugepages", NULL);
    if (!hp)
        return -ENOMEM;
    page = xmlNewDocNode(root->doc, NULL, BAD_CAST "page", NULL);
    if (!page)
        return -ENOMEM;
    snprintf(num, sizeof(num), "%" PRIu64, page_size_kib);
    if (!xmlSetProp(page, BAD_CAST "size", BAD_CAST num) || !xmlSetProp(page, BAD_CAST "unit", BAD_CAST "KiB")) {
        xmlFreeNode(page);
        return -ENOMEM;
    }
    return insert_child(hp, page, NULL);
}

static int memory_kib(xmlNodePtr root, uint64_t *kib, char *why, size_t why_size)
{
    xmlNodePtr mem = child_el(root, "memory");
    _cleanup_xmlchar_ xmlChar *text = NULL, *unit = NULL;

    if (!mem) {
        sg_why(why, why_size, "the domain has no <memory> element");
        return -EINVAL;
    }
    text = xmlNodeGetContent(mem);
    unit = xmlGetNoNsProp(mem, BAD_CAST "unit");
    return size_to_kib((const char *)text, (const char *)unit, "memory", kib, why, why_size);
}

static int edit(enum edit_kind kind, const char *xml, uint64_t arg, struct sg_domxml_edit *out, char *why,
                size_t why_size)
{
    struct sg_domxml d;
    struct sg_domxml_edit e = { 0 };
    _cleanup_xmldoc_ xmlDocPtr doc = NULL;
    xmlNodePtr root;
    int r;

    r = sg_domxml_parse(xml, &d, why, why_size);
    if (r < 0)
        return r;
    if (kind == EDIT_LOCK && d.locked) {
        sg_why(why, why_size, "guest memory is already locked (memoryBacking/locked)");
        return -EALREADY;
    }
    if (kind == EDIT_HUGEPAGES && d.hugepages) {
        sg_why(why, why_size, "guest memory is already backed by hugepages (memoryBacking/hugepages)");
        return -EALREADY;
    }
    if (kind == EDIT_HUGEPAGES && arg == 0) {
        sg_why(why, why_size, "hugepage size 0");
        return -EINVAL;
    }
    /* Parsed as sg_domxml_parse does (which accepted it), blanks kept. */
    doc = xmlReadMemory(xml, (int)strlen(xml), "domain.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) {
        sg_why(why, why_size, "not well-formed XML");
        return -EINVAL;
    }
    root = xmlDocGetRootElement(doc);
    e.hard_limit_before_kib = e.hard_limit_after_kib = d.hard_limit_kib;
    r = memory_kib(root, &e.memory_kib, why, why_size);
    if (r == 0)
        r = serialize(doc, &e.before, why, why_size);
    if (r == 0) {
        r = kind == EDIT_LOCK ? edit_lock(root, &d, arg, &e, why, why_size) : edit_hugepages(root, arg);
        if (r == -ENOMEM)
            sg_why(why, why_size, "out of memory");
    }
    if (r == 0)
        r = serialize(doc, &e.after, why, why_size);
    if (r < 0) {
        sg_domxml_edit_clear(&e);
        return r;
    }
    *out = e;
    return 0;
}

int sg_domxml_lock_memory(const char *xml, uint64_t overhead_kib, struct sg_domxml_edit *out,
                          char *why, size_t why_size)
{
    return edit(EDIT_LOCK, xml, overhead_kib, out, why, why_size);
}

int sg_domxml_hugepages(const char *xml, uint64_t page_size_kib, struct sg_domxml_edit *out,
                        char *why, size_t why_size)
{
    return edit(EDIT_HUGEPAGES, xml, page_size_kib, out, why, why_size);
}

static void quiet(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

/* The canonical form of xml (see sg_domxml_same), or -errno. */
static int canonical(const char *xml, const char *which, xmlChar **out, int *len, char *why, size_t why_size)
{
    xmlGenericErrorFunc old_handler;
    void *old_ctx;
    struct sg_domxml d;
    _cleanup_xmldoc_ xmlDocPtr doc = NULL;
    char reason[200] = "";
    int r;

    r = sg_domxml_parse(xml, &d, reason, sizeof(reason));
    if (r < 0) {
        sg_why(why, why_size, "%s: %s", which, reason);
        return -EINVAL;
    }
    doc = xmlReadMemory(xml, (int)strlen(xml), "domain.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) {
        sg_why(why, why_size, "%s: not well-formed XML", which);
        return -EINVAL;
    }
    /* libxml2's C14N reports its refusals through the generic error channel (stderr by
     * default): silenced for the call, as XML_PARSE_NOERROR does for parsing. */
    old_handler = xmlGenericError;
    old_ctx = xmlGenericErrorContext;
    xmlSetGenericErrorFunc(NULL, quiet);
    *len = xmlC14NDocDumpMemory(doc, NULL, XML_C14N_1_0, NULL, 1, out);
    xmlSetGenericErrorFunc(old_ctx, old_handler);
    if (*len < 0) {
        /* Canonical XML refuses a document with a relative namespace URI (xmlns:x="a/b"),
         * which libvirt keeps in <metadata>; libxml2 gives no other reason short of memory. */
        sg_why(why, why_size, "%s: Canonical XML refuses it (a relative namespace URI?)", which);
        return -EINVAL;
    }
    return 0;
}

int sg_domxml_same(const char *a, const char *b, char *why, size_t why_size)
{
    _cleanup_xmlchar_ xmlChar *ca = NULL;
    _cleanup_xmlchar_ xmlChar *cb = NULL;
    int la, lb, r;

    if (!a || !b) {
        sg_why(why, why_size, "no document");
        return -EINVAL;
    }
    if ((r = canonical(a, "first document", &ca, &la, why, why_size)) < 0 ||
        (r = canonical(b, "second document", &cb, &lb, why, why_size)) < 0)
        return r;
    return la == lb && memcmp(ca, cb, (size_t)la) == 0;
}
