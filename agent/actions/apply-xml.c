/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * apply lock-memory / hugepages and their rollback: edits of the persistent
 * (inactive) domain XML. The XML edit itself is pure (hostprobe/domxml.c,
 * libxml2); this file looks the domain up, refuses what must not be edited
 * (transient and Nova-managed domains), checks the host can take the change,
 * prints a unified diff (diffutils' `diff -u`), and with --yes rechecks,
 * journals, and virDomainDefineXML()s the result. Nothing takes effect before
 * the next boot of the domain; a running guest is not changed.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libvirt/virterror.h>

#include "agent/actions/action-step.h"
#include "agent/actions/apply.h"
#include "agent/core/collect.h"
#include "hostprobe/domains.h"
#include "hostprobe/domxml.h"
#include "hostprobe/hostmem.h"

extern char **environ;

/* Inactive XML with secrets: without VIR_DOMAIN_XML_SECURE, libvirt leaves out
 * passwords (graphics passwd ...), and defining that back would drop them. */
#define XML_FLAGS (VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE)

#define KIB_PER_GIB (UINT64_C(1024) * 1024)


static void virdomp(virDomainPtr *d)
{
    if (*d)
        virDomainFree(*d);
}
#define _cleanup_dom_ _cleanup_(virdomp)

static void edit_clearp(struct sg_domxml_edit *e) { sg_domxml_edit_clear(e); }
static void domain_clearp(struct sg_domain *d) { sg_domain_clear(d); }
static void host_clearp(struct sg_host_sample *h) { sg_host_sample_clear(h); }

/* ---- the diff ------------------------------------------------------------ */

static void unlinkp(char **path)
{
    if (*path) {
        unlink(*path);
        free(*path);
    }
}

/* Writes s into a new 0600 temporary file; *path gets its name. */
static int write_temp(const char *s, char **path)
{
    const char *dir = getenv("TMPDIR");
    _cleanup_free_ char *p = NULL;
    _cleanup_close_ int fd = -1;
    size_t len = strlen(s), off = 0;

    if (!dir || !*dir)
        dir = "/tmp";
    if (asprintf(&p, "%s/swapguard-xml.XXXXXX", dir) < 0)
        return -ENOMEM;
    fd = mkstemp(p);
    if (fd < 0)
        return -errno;
    while (off < len) {
        ssize_t w = write(fd, s + off, len - off);

        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            int r = -errno;
            unlink(p);
            return r;
        }
        off += (size_t)w;
    }
    *path = TAKE_PTR(p);
    return 0;
}

/* Prints text line by line with control and non-ASCII bytes as \xNN. */
static void print_safe_lines(FILE *out, const char *text, const char *indent)
{
    while (*text) {
        size_t n = strcspn(text, "\n");
        _cleanup_free_ char *line = strndup(text, n);
        _cleanup_free_ char *safe = malloc(n * 4 + 1);

        if (!line || !safe)
            return;
        fprintf(out, "%s%s\n", indent, sg_fmt_safe(line, safe, n * 4 + 1));
        text += n + (text[n] == '\n');
    }
}

/*
 * Prints a unified diff of the persistent XML of domain name as it is (a)
 * and as it will be (b), labelled "NAME (persistent, now)" and "NAME (after
 * WHAT)": the system's `diff -u` (diffutils) on two temporary files, run with
 * posix_spawnp, its output escaped for the terminal. Returns 0 (also when a
 * equals b), or -errno with one message logged.
 */
static int print_diff(FILE *out, const char *a, const char *b, const char *name, const char *what)
{
    _cleanup_(unlinkp) char *fa = NULL;
    _cleanup_(unlinkp) char *fb = NULL;
    _cleanup_free_ char *text = NULL;
    _cleanup_free_ char *la = NULL;
    _cleanup_free_ char *lb = NULL;
    size_t len = 0, cap = 0;
    posix_spawn_file_actions_t fact;
    int pipefd[2], status, r;
    pid_t pid;
    char *argv[] = { "diff", "-u", "--label", NULL, "--label", NULL, NULL, NULL, NULL };

    if (asprintf(&la, "%s (persistent, now)", name) < 0)
        la = NULL;
    if (la && asprintf(&lb, "%s (after %s)", name, what) < 0)
        lb = NULL;
    if (!la || !lb) {
        sg_log_error("cannot label the diff: out of memory");
        return -ENOMEM;
    }
    argv[3] = la;
    argv[5] = lb;
    r = write_temp(a, &fa);
    if (r == 0)
        r = write_temp(b, &fb);
    if (r < 0) {
        sg_log_error("cannot write a temporary file for the diff: %s", strerror(-r));
        return r;
    }
    argv[6] = fa;
    argv[7] = fb;
    if (pipe2(pipefd, O_CLOEXEC) < 0) {
        r = -errno;
        sg_log_error("cannot run diff: pipe: %s", strerror(-r));
        return r;
    }
    posix_spawn_file_actions_init(&fact);
    posix_spawn_file_actions_adddup2(&fact, pipefd[1], STDOUT_FILENO);
    r = -posix_spawnp(&pid, "diff", &fact, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fact);
    close(pipefd[1]);
    if (r < 0) {
        close(pipefd[0]);
        sg_log_error("cannot run diff (diffutils): %s", strerror(-r));
        return r;
    }
    for (;;) {
        ssize_t n;

        if (cap - len < 4096) {
            char *t = realloc(text, cap + 65536);

            if (!t)
                break;
            text = t;
            cap += 65536;
        }
        n = read(pipefd[0], text + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    close(pipefd[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    /* diff: 0 same, 1 different, 2 trouble. */
    if (!text || !WIFEXITED(status) || WEXITSTATUS(status) > 1) {
        sg_log_error("diff -u failed (exit status %d)", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return -EIO;
    }
    text[len] = '\0';
    print_safe_lines(out, text, "");
    return 0;
}

/* ---- shell quoting for the printed Nova commands ------------------------- */

/* s single-quoted for sh into dst; false when s holds control characters or does not fit. */
static bool sh_quote(char *dst, size_t size, const char *s)
{
    size_t o = 0;

    if (size < 3)
        return false;
    dst[o++] = '\'';
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c < 0x20 || *c == 0x7f)
            return false;
        if (*c == '\'') {
            if (o + 4 + 2 > size)
                return false;
            memcpy(dst + o, "'\\''", 4);
            o += 4;
        } else {
            if (o + 1 + 2 > size)
                return false;
            dst[o++] = (char)*c;
        }
    }
    dst[o++] = '\'';
    dst[o] = '\0';
    return true;
}

/*
 * A Nova-managed domain: its XML is Nova's (rewritten on hard reboot, resize,
 * migration). Prints the flavor extra specs that ask Nova for the same thing.
 * Sources: Nova's flavor docs (hw:mem_page_size: large, small, any or a size
 * such as 2MB, 1GB, 2048 in KiB) and the "Locked memory allocation" section
 * (hw:locked_memory, new in 26.0.0 Zed; refused with LockMemoryForbidden
 * unless hw:mem_page_size is set too).
 */
/* kind: SG_REC_LOCK_MEMORY or SG_REC_HUGEPAGES, here and below. */
static void print_nova(FILE *out, enum sg_rec_action kind, const struct sg_domxml *x, uint64_t page_kib)
{
    char q[1100], safe[1100];
    const char *flavor = x->nova_flavor[0] ? x->nova_flavor : NULL;

    fprintf(out, "Nova manages this domain (metadata namespace %s): ask Nova through the flavor instead%s\n",
            sg_fmt_safe(x->nova_ns, safe, sizeof(safe)),
            flavor ? "" : " (the domain XML names no flavor; FLAVOR is a placeholder)");
    if (flavor && (x->nova_flavor_truncated || !sh_quote(q, sizeof(q), flavor))) {
        fprintf(out, "  the flavor name '%s' holds control characters or is too long: no command is "
                     "printed for it\n", sg_fmt_safe(flavor, safe, sizeof(safe)));
        return;
    }
    if (!flavor)
        snprintf(q, sizeof(q), "FLAVOR");
    /* q is plain printable ASCII or UTF-8: escaped for the terminal all the same. */
    sg_fmt_safe(q, safe, sizeof(safe));
    if (kind == SG_REC_HUGEPAGES) {
        fprintf(out, "  openstack flavor set %s --property hw:mem_page_size=%s\n", safe,
                page_kib == KIB_PER_GIB ? "1GB" : "2MB");
    } else {
        fprintf(out, "  openstack flavor set %s --property hw:mem_page_size=large --property "
                     "hw:locked_memory=true\n", safe);
        fprintf(out, "  # hw:locked_memory needs Nova >= 26.0.0 (Zed); Nova refuses it without "
                     "hw:mem_page_size (LockMemoryForbidden)\n");
    }
    fprintf(out, "  # the instance keeps its own copy of the flavor: it changes when the instance is "
                 "resized to a flavor with these properties; large pages must be reserved on the "
                 "compute hosts\n");
}

/* ---- preconditions -------------------------------------------------------- */

/*
 * The guest RAM (virDomainGetInfo maxMem) of the running domains other than
 * self_uuid whose persistent XML locks memory, as `recommend` counts it for
 * the locked total, into *out (KiB). 0 or -errno (logged).
 */
static int locked_others_kib(const struct sg_apply_req *req, const char *self_uuid, uint64_t *out)
{
    struct sg_domain *all = NULL;
    struct sg_error err = { 0 };
    int n;

    *out = 0;
    n = sg_domains_list(req->ctx->conn, false, &all, &err);
    if (n < 0)
        return sg_log_error_errno(n, &err);
    for (int i = 0; i < n; i++) {
        virDomainPtr dom;
        char *xml;
        struct sg_domxml x;

        if (strcasecmp(all[i].uuid, self_uuid) == 0)
            continue;
        dom = virDomainLookupByUUIDString(req->ctx->conn, all[i].uuid);
        xml = dom ? virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE) : NULL;
        if (xml && sg_domxml_parse(xml, &x, NULL, 0) == 0 && x.locked)
            *out += all[i].max_memory_kib;
        free(xml);
        if (dom)
            virDomainFree(dom);
    }
    sg_domains_free(all, (size_t)n);
    return 0;
}

/*
 * The precondition of kind, decided as `recommend` decides it
 * (policies/recommend.h) over the host as it is now:
 * lock-memory: sg_lock_memory_fits over MemTotal (/proc/meminfo), the
 * [recommend] host_reserve and qemu_overhead, and the guest RAM of the other
 * running domains already locked (locked_others_kib());
 * hugepages: sg_hugepages_fit over the pools of sys/devices/system/node/
 * nodeN/hugepages (or sys/kernel/mm/hugepages without NUMA sysfs), the host
 * nodes the guest may allocate from (numatune memory nodeset; any node
 * without one) and MemAvailable.
 * Printed as "  precondition: ..." (and, when the pool is too small, the
 * command that reserves the missing pages). Returns 0 when it holds, -ENOSPC
 * when not, another -errno when it cannot tell; logged either way.
 */
static int precondition(const struct sg_apply_req *req, enum sg_rec_action kind, const char *uuid,
                        const struct sg_domxml *x, const struct sg_domxml_edit *e, uint64_t page_kib,
                        const char *qname)
{
    const struct sg_recommend_config *c = &req->cfg->rec;
    _cleanup_(host_clearp) struct sg_host_sample hs = { 0 };
    _cleanup_free_ struct sg_rec_hugepool *pools = NULL;
    struct sg_error err = { 0 };
    char text[400], cmd[300] = "";
    bool holds;
    int r;

    r = sg_ctx_fs(req->ctx);
    if (r < 0)
        return r;
    r = sg_host_read(&req->ctx->fs, kind == SG_REC_HUGEPAGES, &hs, &err);
    if (r < 0)
        return sg_log_error_errno(r, &err);
    if (kind == SG_REC_LOCK_MEMORY) {
        uint64_t locked;

        r = locked_others_kib(req, uuid, &locked);
        if (r < 0)
            return r;
        holds = sg_lock_memory_fits(c->host_reserve_kib, c->qemu_overhead_kib, hs.mem.mem_total_kib, locked,
                                    e->memory_kib, text, sizeof(text));
    } else {
        struct sg_rec_host h = { .mem_available_kib = hs.mem.mem_available_kib, .n_pools = hs.n_pools };
        const struct sg_rec_domain d = { .guest_ram_kib = e->memory_kib, .numa_nodes = x->numa_nodes,
                                         .n_numa_nodes = x->n_numa_nodes };

        pools = sg_collect_hugepools(&hs);
        if (!pools) {
            sg_log_error("%s %s: out of memory", sg_rec_action_name(kind), qname);
            return -ENOMEM;
        }
        h.pools = pools;
        holds = sg_hugepages_fit(c->host_reserve_kib, &h, &d, page_kib, text, sizeof(text), cmd, sizeof(cmd),
                                 NULL);
    }
    fprintf(req->out, "  precondition: %s\n", text);
    if (holds)
        return 0;
    if (cmd[0])
        fprintf(req->out, "  reserve the pages first, then run this again:\n    %s\n", cmd);
    sg_log_error("%s %s: refused, nothing changed: %s (the precondition above)", sg_rec_action_name(kind), qname,
                 kind == SG_REC_LOCK_MEMORY ? "the locked guests would not fit in host RAM minus the reserve"
                                  : "the host has not enough free hugepages of that size for the guest");
    return -ENOSPC;
}

/* ---- apply ---------------------------------------------------------------- */

/* --size: "2M" (default) or "1G", in KiB. */
static int page_size_arg(const char *size, uint64_t *page_kib)
{
    if (!size || !strcmp(size, "2M"))
        *page_kib = 2048;
    else if (!strcmp(size, "1G"))
        *page_kib = KIB_PER_GIB;
    else {
        sg_log_error("hugepages --size: '%s' is not 2M or 1G", size);
        return -EINVAL;
    }
    return 0;
}

static const char *kib(uint64_t v, char *buf, size_t size) { return sg_fmt_kib(v, buf, size); }

static void print_effect(const struct sg_apply_req *req, enum sg_rec_action kind, const struct sg_domxml_edit *e,
                         uint64_t page_kib)
{
    char b[3][32];
    uint64_t want = e->memory_kib + req->cfg->rec.qemu_overhead_kib;

    if (kind == SG_REC_HUGEPAGES) {
        fprintf(req->out, "  change: guest RAM %s from hugetlbfs pages of %s (never swapped by the host); "
                          "the pages are taken from the pool at boot: the guest fails to start if others "
                          "took them first\n",
                kib(e->memory_kib, b[0], 32), kib(page_kib, b[1], 32));
        return;
    }
    fprintf(req->out, "  change: guest RAM %s locked in host RAM (never swapped; QEMU's own memory is locked "
                      "too)\n", kib(e->memory_kib, b[0], 32));
    if (e->hard_limit_after_kib == e->hard_limit_before_kib)
        fprintf(req->out, "  memtune hard_limit %" PRIu64 " KiB kept: it is at least guest RAM + QEMU overhead "
                          "%s = %" PRIu64 " KiB\n",
                e->hard_limit_before_kib, kib(req->cfg->rec.qemu_overhead_kib, b[1], 32), want);
    else
        fprintf(req->out, "  memtune hard_limit %s -> %" PRIu64 " KiB = guest RAM + QEMU overhead %s "
                          "([recommend] qemu_overhead_mib): libvirt lifts the memlock limit of a locked guest "
                          "altogether unless a hard_limit is set, and advises one (formatdomain, Memory "
                          "Backing: locked); QEMU is killed by the cgroup OOM killer if it needs more\n",
                e->hard_limit_before_kib == SG_NONE
                    ? "none"
                    : e->hard_limit_before_kib == SG_UNLIMITED ? "unlimited"
                                                               : kib(e->hard_limit_before_kib, b[2], 32),
                e->hard_limit_after_kib, kib(req->cfg->rec.qemu_overhead_kib, b[1], 32));
}

/*
 * The current inactive XML of dom, or NULL with one message logged.
 * INACTIVE|SECURE whenever the connection is read-write (always for --yes);
 * a dry run under -r gets it without secrets (libvirt allows SECURE only
 * read-write), which changes nothing in the diff but the password attributes.
 */
static char *inactive_xml(const struct sg_ctx *ctx, virDomainPtr dom, const char *qname)
{
    char *xml = virDomainGetXMLDesc(dom, ctx->conn_rw ? XML_FLAGS : VIR_DOMAIN_XML_INACTIVE);

    if (!xml)
        sg_log_error("%s: cannot read its persistent XML: %s", qname, virGetLastErrorMessage());
    return xml;
}

static int apply_xml(const struct sg_apply_req *req, struct sg_action_journal *j, enum sg_rec_action kind)
{
    const char *action = sg_rec_action_name(kind);
    _cleanup_(domain_clearp) struct sg_domain d = { 0 };
    _cleanup_(edit_clearp) struct sg_domxml_edit e = { 0 };
    _cleanup_dom_ virDomainPtr dom = NULL;
    _cleanup_dom_ virDomainPtr again = NULL;
    _cleanup_dom_ virDomainPtr defined = NULL;
    _cleanup_free_ char *xml = NULL;
    _cleanup_free_ char *now = NULL;
    struct sg_error err = { 0 };
    struct sg_domxml x;
    char why[512], qname[1100], lv_msg[400];
    uint64_t page_kib = 0;
    unsigned id = 0;
    bool active;
    int r;

    if (!req->target) {
        sg_log_error("%s: which domain? (swapguard apply %s DOMAIN)", action, action);
        return -EINVAL;
    }
    if (kind == SG_REC_HUGEPAGES && (r = page_size_arg(req->size, &page_kib)) < 0)
        return r;
    /* A dry run reads, --yes defines: read-write then (`apply` connects read-write unless -r). */
    if ((r = sg_ctx_connect(req->ctx, req->yes)) < 0)
        return r;
    r = sg_domain_lookup(req->ctx->conn, req->target, &d, &dom, &err);
    if (r < 0)
        return sg_log_error_errno(r, &err);
    /* Messages name the domain as the user would (sg_log_error escapes it; req->out lines use qname). */
    sg_fmt_safe(d.name, qname, sizeof(qname));
    active = virDomainIsActive(dom) == 1;
    if (virDomainIsPersistent(dom) != 1) {
        sg_log_error("%s %s: the domain is transient: it has no persistent definition to edit "
                     "(defining one would make it persistent)", action, qname);
        return -EINVAL;
    }
    xml = inactive_xml(req->ctx, dom, qname);
    if (!xml)
        return -EIO;
    r = sg_domxml_parse(xml, &x, why, sizeof(why));
    if (r < 0) {
        sg_log_error("%s %s: its persistent XML: %s", action, qname, why);
        return r;
    }
    r = kind == SG_REC_LOCK_MEMORY ? sg_domxml_lock_memory(xml, req->cfg->rec.qemu_overhead_kib, &e, why, sizeof(why))
                         : sg_domxml_hugepages(xml, page_kib, &e, why, sizeof(why));
    if (r == -EALREADY) {
        fprintf(req->out, "%s %s: nothing to do: %s\n", action, qname, why);
        return 0;
    }
    if (x.nova && !req->force) {
        print_nova(req->out, kind, &x, page_kib);
        sg_log_error("%s %s: refused: OpenStack Nova manages this domain and rewrites its XML (hard reboot, "
                     "resize, migration); use the flavor extra specs above, or --force to edit it anyway",
                     action, qname);
        return -EPERM;
    }
    if (r < 0) {
        sg_log_error("%s %s: %s", action, qname, why);
        return r;
    }

    fprintf(req->out, "%s %s (persistent definition, UUID %s; takes effect at the next boot)\n", action, qname,
            d.uuid);
    print_effect(req, kind, &e, page_kib);
    r = precondition(req, kind, d.uuid, &x, &e, page_kib, qname);
    if (r < 0)
        return r;
    r = print_diff(req->out, e.before, e.after, d.name, "apply");
    if (r < 0)
        return r;
    if (!req->yes) {
        fprintf(req->out, "Takes effect at the next boot of %s; nothing changed (dry run; add --yes).\n", qname);
        return 0;
    }
    if (!j || !req->ctx->conn_rw) {
        sg_log_error("%s %s: no journal open or no read-write connection: nothing changed", action, qname);
        return -EINVAL;
    }

    /* Recheck right before acting: the same domain, the same persistent XML, the precondition. */
    again = virDomainLookupByUUIDString(req->ctx->conn, d.uuid);
    if (!again) {
        sg_log_error("%s %s: the domain (UUID %s) disappeared meanwhile: nothing changed", action, qname, d.uuid);
        return -ESTALE;
    }
    now = inactive_xml(req->ctx, again, qname);
    if (!now)
        return -EIO;
    if (strcmp(now, xml) != 0) {
        sg_log_error("%s %s: its persistent XML changed while swapguard was working: nothing changed; run "
                     "it again", action, qname);
        return -ESTALE;
    }
    fprintf(req->out, "Rechecked:\n");
    r = precondition(req, kind, d.uuid, &x, &e, page_kib, qname);
    if (r < 0)
        return r;

    {
        json_object *before = json_object_new_object(), *after = json_object_new_object();

        if (!before || !after) {
            json_object_put(before);
            json_object_put(after);
            return -ENOMEM;
        }
        json_object_object_add(before, "xml", json_object_new_string(xml));
        json_object_object_add(after, "xml", json_object_new_string(e.after));
        r = sg_action_journal_add(j, action, d.name, d.uuid, before, after, &id, &err);
        if (r < 0) {
            char buf[sizeof(err.msg) + PATH_MAX + 16];

            sg_log_error("%s %s: cannot record the change, so nothing changed: %s", action, qname,
                         sg_error_format(&err, buf, sizeof(buf)));
            return r;
        }
    }

    defined = virDomainDefineXML(req->ctx->conn, e.after);
    if (!defined)
        snprintf(lv_msg, sizeof(lv_msg), "%s", virGetLastErrorMessage()); /* before another call resets it */
    if (!defined && virConnectIsAlive(req->ctx->conn) != 1) {
        char note[1024];

        /* libvirtd went away (restarted, killed) during the call: it may have stored the
         * definition before answering. The entry stays "applying": rollback looks. */
        snprintf(note, sizeof(note), "the connection to libvirtd was lost during virDomainDefineXML (%s): "
                 "whether the edited definition was stored is unknown", lv_msg);
        sg_action_journal_set_status(j, id, "applying", note, &err);
        sg_log_error("%s %s: %s; journal entry %u stays 'applying': once libvirtd is back, swapguard rollback "
                     "%u --yes restores the saved definition if it changed", action, qname, note, id, id);
        return -ECONNRESET;
    }
    if (!defined) {
        char note[1024];

        snprintf(note, sizeof(note), "virDomainDefineXML: %s", lv_msg);
        sg_action_journal_set_status(j, id, "failed", note, &err);
        sg_log_error("%s %s: libvirt refused the edited definition: %s; nothing changed (journal entry %u: "
                     "failed)", action, qname, note, id);
        return -EIO;
    }
    sg_action_step("change: edited definition defined");

    /*
     * libvirt formats what it stores anew: keep that text too, so that
     * rollback can tell whether anyone changed the definition since. It goes
     * into the entry before it is marked applied (one journal write).
     */
    {
        _cleanup_free_ char *stored = virDomainGetXMLDesc(defined, XML_FLAGS);
        json_object *entry = sg_action_journal_get(j, id), *after = entry ? sg_action_entry_obj(entry, "after") : NULL;

        if (stored && after)
            json_object_object_add(after, "defined_xml", json_object_new_string(stored));
        else
            sg_log_warning("%s %s: cannot read back the new definition (%s): rollback will need --force",
                           action, qname, virGetLastErrorMessage());
    }
    r = sg_action_journal_set_status(j, id, "applied", NULL, &err);
    if (r < 0) {
        /* The domain is changed, but the journal does not say so: undo rather than leave it unrecorded. */
        _cleanup_dom_ virDomainPtr undone = virDomainDefineXML(req->ctx->conn, xml);

        if (undone)
            sg_log_error("%s %s: cannot record the change in the journal (%s): undone, nothing changed",
                         action, qname, err.msg);
        else
            sg_log_error("%s %s: cannot record the change in the journal (%s), and undoing it failed: %s",
                         action, qname, err.msg, virGetLastErrorMessage());
        return r;
    }
    fprintf(req->out, "Applied (journal entry %u; undo with: swapguard rollback %u --yes). Takes effect at the "
                      "next boot of %s%s.\n",
            id, id, qname, active ? "; the running guest is not changed" : "");
    return 0;
}

int sg_apply_lock_memory(const struct sg_apply_req *req, struct sg_action_journal *j)
{
    return apply_xml(req, j, SG_REC_LOCK_MEMORY);
}

int sg_apply_hugepages(const struct sg_apply_req *req, struct sg_action_journal *j)
{
    return apply_xml(req, j, SG_REC_HUGEPAGES);
}

/* ---- rollback -------------------------------------------------------------- */

int sg_rollback_domain_xml(struct sg_ctx *ctx, const struct sg_config *cfg, struct sg_action_journal *j,
                           json_object *e, bool force, FILE *out)
{
    json_object *before = sg_action_entry_obj(e, "before"), *after = sg_action_entry_obj(e, "after");
    const char *uuid = sg_action_entry_str(e, "uuid"), *target = sg_action_entry_str(e, "target");
    const char *old_xml = before ? sg_action_entry_str(before, "xml") : NULL;
    const char *left_xml = NULL;
    _cleanup_dom_ virDomainPtr dom = NULL;
    _cleanup_dom_ virDomainPtr defined = NULL;
    _cleanup_free_ char *cur = NULL;
    _cleanup_free_ char *restored = NULL;
    struct sg_error err = { 0 };
    char qname[1100];
    unsigned id;
    int r;

    if (after) {
        left_xml = sg_action_entry_str(after, "defined_xml");
        if (!left_xml)
            left_xml = sg_action_entry_str(after, "xml");
    }
    id = (unsigned)sg_action_entry_int(e, "id", 0);
    sg_fmt_safe(target ? target : "?", qname, sizeof(qname));
    if (!uuid || !old_xml || !left_xml) {
        sg_log_error("rollback of entry %u: the entry lacks uuid, before.xml or after.xml: nothing changed", id);
        return -EINVAL;
    }
    if ((r = sg_ctx_connect(ctx, true)) < 0)
        return r;
    dom = virDomainLookupByUUIDString(ctx->conn, uuid);
    if (!dom) {
        sg_log_error("rollback of entry %u: domain %s (UUID %s) no longer exists: nothing changed (its "
                     "saved definition is before.xml of the entry in the journal)", id, qname, uuid);
        return -ENOENT;
    }
    cur = virDomainGetXMLDesc(dom, XML_FLAGS);
    if (!cur) {
        sg_log_error("rollback of entry %u: %s: cannot read its persistent XML: %s", id, qname,
                     virGetLastErrorMessage());
        return -EIO;
    }
    if (strcmp(cur, old_xml) == 0) {
        /* An entry whose process died before defining, or a definition restored by hand. */
        r = sg_action_journal_set_status(j, id, "rolled-back", "nothing to restore: the definition was the saved one",
                                  &err);
        if (r < 0)
            return sg_log_error_errno(r, &err);
        fprintf(out, "Entry %u: the persistent definition of %s already is the saved one: nothing to restore "
                     "(entry marked rolled-back).\n", id, qname);
        return 0;
    }
    /* Without libvirt's text of the definition (a process that died after defining), compare documents. */
    if (strcmp(cur, left_xml) != 0 &&
        (sg_action_entry_str(after, "defined_xml") || sg_domxml_same(cur, left_xml, NULL, 0) != 1)) {
        if (!force) {
            sg_log_error("rollback of entry %u: %s changed since swapguard applied entry %u (its persistent XML "
                         "is not what the entry left): nothing changed; --force restores the saved XML anyway",
                         id, qname, id);
            return -ESTALE;
        }
        sg_log_warning("%s changed since swapguard applied entry %u; restoring the saved XML anyway (--force)",
                       qname, id);
    }
    r = print_diff(out, cur, old_xml, target ? target : uuid, "rollback");
    if (r < 0)
        return r;
    defined = virDomainDefineXML(ctx->conn, old_xml);
    if (!defined) {
        sg_log_error("rollback of entry %u: libvirt refused the saved definition of %s: %s; nothing changed", id,
                     qname, virGetLastErrorMessage());
        return -EIO;
    }
    sg_action_step("change: saved definition defined");
    r = sg_action_journal_set_status(j, id, "rolled-back", NULL, &err);
    if (r < 0) {
        sg_log_error("rollback of entry %u: %s is restored, but the journal cannot record it: %s", id, qname,
                     err.msg);
        return r;
    }
    restored = virDomainGetXMLDesc(defined, XML_FLAGS);
    if (!restored || strcmp(restored, old_xml) != 0)
        sg_log_warning("%s: the restored persistent XML is not byte for byte the saved one (%s)", qname,
                       restored ? "libvirt formats it differently" : virGetLastErrorMessage());
    fprintf(out, "Rolled back entry %u: the persistent definition of %s is the one from before. Takes effect at "
                 "the next boot of %s%s.\n",
            id, qname, qname, virDomainIsActive(defined) == 1 ? "; the running guest is not changed" : "");
    return 0;
}
