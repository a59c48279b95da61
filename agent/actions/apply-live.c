/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The live remedies of `swapguard apply` (apply.h): swapoff, swap-limit,
 * prefetch and oom-protect, with their rollbacks. Each prints what it would
 * change; with --yes it rechecks right before acting, journals the old and
 * new values ("applying"), acts, and marks the entry "applied" or "failed".
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <libvirt/virterror.h>
#include <linux/capability.h>

#include "agent/actions/action-step.h"
#include "agent/actions/apply.h"
#include "agent/core/domain.h"
#include "hostprobe/cgroup.h"
#include "hostprobe/domains.h"
#include "hostprobe/hostmem.h"
#include "hostprobe/oomscan.h"
#include "hostprobe/procfs.h"
#include "hostprobe/smaps.h"
#include "policies/recommend.h"

/* ---- shared ---------------------------------------------------------------- */

/* A domain's name escaped for messages (domain names are guest-operator input). */
#define SAFE_NAME_MAX 300
static const char *safe_name(const struct sg_dom *x, char buf[SAFE_NAME_MAX])
{
    return sg_fmt_safe(x->d.name, buf, SAFE_NAME_MAX);
}

static const char *libvirt_msg(void)
{
    const virError *e = virGetLastError();

    return e && e->message ? e->message : "unknown libvirt error";
}

/*
 * Looks ref up for a live action: running, its QEMU found by "-uuid" and its
 * memory cgroup located (sg_dom_lookup, SG_DOM_LOCATE). Logs one line naming
 * the step that failed; -errno. x is the caller's to sg_dom_clear.
 */
static int dom_find(struct sg_ctx *ctx, const char *ref, const char *action, struct sg_dom *x)
{
    struct sg_error err = { 0 };
    char buf[sizeof(err.msg) + PATH_MAX + 16], safe[SAFE_NAME_MAX];
    int r;

    if (!ref) {
        memset(x, 0, sizeof(*x));
        sg_log_error("apply %s: which domain? (apply %s DOMAIN)", action, action);
        return -EINVAL;
    }
    r = sg_dom_lookup(ctx, ref, SG_DOM_LOCATE, x, &err);
    if (r == 0)
        return 0;
    if (!x->d.name)
        sg_log_error("apply %s: %s", action, sg_error_format(&err, buf, sizeof(buf)));
    else if (x->d.id < 0)
        sg_log_error("apply %s: domain '%s' is not running (a live remedy needs its QEMU process)", action,
                     safe_name(x, safe));
    else if (x->d.pid <= 0)
        sg_log_error("apply %s: domain '%s': no process under %s carries its UUID %s (wrong --proc-root, or "
                     "not allowed to read other processes)",
                     action, safe_name(x, safe), ctx->fs.proc_path, x->d.uuid);
    else
        sg_log_error("apply %s: domain '%s': %s", action, safe_name(x, safe),
                     r == -ESRCH ? "its QEMU process exited" : sg_error_format(&err, buf, sizeof(buf)));
    return r;
}

/* The same QEMU still runs the domain (rechecked right before acting). */
static int dom_recheck(struct sg_ctx *ctx, const struct sg_dom *x, const char *action)
{
    char safe[SAFE_NAME_MAX];

    if (!sg_pid_has_uuid(&ctx->fs, x->d.pid, x->d.uuid)) {
        sg_log_error("apply %s: domain '%s' changed state: QEMU PID %d is gone; nothing changed", action,
                     safe_name(x, safe), (int)x->d.pid);
        return -ESRCH;
    }
    return 0;
}

/*
 * Is capability bit cap in this process's effective set? Read from the real
 * /proc/self/status (CapEff), not from --proc-root: it is about us. Only asked
 * for --yes (a dry run needs none).
 */
static bool have_cap(unsigned cap)
{
    char buf[4096];
    const char *p;
    unsigned long long eff;

    if (sg_read_at(AT_FDCWD, "/proc/self/status", buf, sizeof(buf)) < 0 || !(p = strstr(buf, "\nCapEff:")))
        return geteuid() == 0; /* unknown: assume root has it; the kernel answers EPERM otherwise */
    eff = strtoull(p + 8, NULL, 16);
    return cap < 64 && (eff >> cap) & 1;
}

/*
 * The step between looking and acting: a dry run stops here (1, said so); with
 * --yes the same QEMU must still run the domain (0), else -ESRCH (logged).
 */
static int dry_run_or_recheck(const struct sg_apply_req *req, const struct sg_dom *x)
{
    if (!req->yes) {
        fprintf(req->out, "dry run: nothing changed (add --yes)\n");
        return 1;
    }
    return dom_recheck(req->ctx, x, sg_rec_action_name(req->action));
}

/* Journals an entry (taking before and after over) or logs why not. */
static int journal_add(struct sg_action_journal *j, enum sg_rec_action a, const char *target, const char *uuid,
                       json_object *before, json_object *after, unsigned *id)
{
    const char *action = sg_rec_action_name(a);
    struct sg_error err = { 0 };
    char buf[sizeof(err.msg) + PATH_MAX + 16];
    int r = sg_action_journal_add(j, action, target, uuid, before, after, id, &err);

    if (r < 0)
        sg_log_error("apply %s: cannot record the change, so nothing changed: %s", action,
                     sg_error_format(&err, buf, sizeof(buf)));
    return r;
}

/* Marks entry id; a journal that cannot be written now is logged (the change itself is done). */
static void journal_status(struct sg_action_journal *j, unsigned id, const char *status, const char *note)
{
    struct sg_error err = { 0 };
    char buf[sizeof(err.msg) + PATH_MAX + 16];

    if (sg_action_journal_set_status(j, id, status, note, &err) < 0)
        sg_log_warning("journal entry %u: cannot mark it %s: %s", id, status,
                       sg_error_format(&err, buf, sizeof(buf)));
}

/* ---- swap-limit -------------------------------------------------------------- */

/* Reads a cgroup file of sys root (one line) into buf without its newline. */
static int cg_read(const struct sg_fs *fs, const char *rel, char *buf, size_t size)
{
    ssize_t n = sg_read_at(fs->sys_fd, rel, buf, size);

    if (n < 0)
        return (int)n;
    buf[strcspn(buf, "\n")] = '\0';
    return 0;
}

static int cg_write(const struct sg_fs *fs, const char *rel, const char *value)
{
    _cleanup_close_ int fd = openat(fs->sys_fd, rel, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    size_t len = strlen(value);

    if (fd < 0)
        return -errno;
    if (write(fd, value, len) != (ssize_t)len)
        return errno ? -errno : -EIO;
    return 0;
}

/* libvirt's memory parameters hard_limit and swap_hard_limit (KiB; VIR_DOMAIN_MEMORY_PARAM_UNLIMITED). */
struct memtune {
    unsigned long long hard_kib, swap_hard_kib;
};

static int memtune_get(virDomainPtr dom, struct memtune *m)
{
    _cleanup_free_ virTypedParameterPtr p = NULL;
    int n = 0;

    m->hard_kib = m->swap_hard_kib = VIR_DOMAIN_MEMORY_PARAM_UNLIMITED;
    if (virDomainGetMemoryParameters(dom, NULL, &n, VIR_DOMAIN_AFFECT_LIVE) < 0 || n <= 0)
        return -EIO;
    p = calloc((size_t)n, sizeof(*p));
    if (!p)
        return -ENOMEM;
    if (virDomainGetMemoryParameters(dom, p, &n, VIR_DOMAIN_AFFECT_LIVE) < 0)
        return -EIO;
    virTypedParamsGetULLong(p, n, VIR_DOMAIN_MEMORY_HARD_LIMIT, &m->hard_kib);
    virTypedParamsGetULLong(p, n, VIR_DOMAIN_MEMORY_SWAP_HARD_LIMIT, &m->swap_hard_kib);
    virTypedParamsClear(p, n);
    return 0;
}

/* Sets both (libvirt orders the two writes so that memory+swap >= memory holds throughout). */
static int memtune_set(virDomainPtr dom, unsigned long long hard_kib, unsigned long long swap_hard_kib)
{
    virTypedParameter p[2];

    memset(p, 0, sizeof(p));
    snprintf(p[0].field, sizeof(p[0].field), "%s", VIR_DOMAIN_MEMORY_HARD_LIMIT);
    p[0].type = VIR_TYPED_PARAM_ULLONG;
    p[0].value.ul = hard_kib;
    snprintf(p[1].field, sizeof(p[1].field), "%s", VIR_DOMAIN_MEMORY_SWAP_HARD_LIMIT);
    p[1].type = VIR_TYPED_PARAM_ULLONG;
    p[1].value.ul = swap_hard_kib;
    return virDomainSetMemoryParameters(dom, p, 2, VIR_DOMAIN_AFFECT_LIVE) < 0 ? -EIO : 0;
}

static const char *kib_text(unsigned long long kib, char *buf, size_t size)
{
    if (kib >= VIR_DOMAIN_MEMORY_PARAM_UNLIMITED)
        return "unlimited";
    snprintf(buf, size, "%llu KiB", kib);
    return buf;
}

static int swap_limit_v2(const struct sg_apply_req *req, struct sg_action_journal *j, const struct sg_dom *x)
{
    struct sg_ctx *ctx = req->ctx;
    const char *action = sg_rec_action_name(req->action);
    _cleanup_json_ json_object *before = NULL, *after = NULL;
    char rel[PATH_MAX + 64], old[64], now[64], safe[SAFE_NAME_MAX];
    unsigned id;
    int r;

    snprintf(rel, sizeof(rel), "%s/memory.swap.max", x->cg.memory_dir);
    r = cg_read(&ctx->fs, rel, old, sizeof(old));
    if (r < 0) {
        sg_log_error("apply %s: %s/%s: %s", action, ctx->fs.sys_path, rel, strerror(-r));
        return r;
    }
    fprintf(req->out, "domain '%s': cgroup v2 memory cgroup %s\n", safe_name(x, safe), x->cg.memory_path);
    fprintf(req->out, "  %s/%s: %s -> 0 (no further swap-out for this guest; pages already in swap stay "
            "there: see %s; lasts until the guest restarts)\n", ctx->fs.sys_path, rel, old,
            sg_rec_action_name(SG_REC_PREFETCH));
    if (strcmp(old, "0") == 0) {
        fprintf(req->out, "already 0: nothing to do\n");
        return 0;
    }
    r = dry_run_or_recheck(req, x);
    if (r != 0)
        return r < 0 ? r : 0;
    r = cg_read(&ctx->fs, rel, now, sizeof(now));
    if (r < 0 || strcmp(now, old) != 0) {
        sg_log_error("apply %s: %s/%s changed while we looked (now %s): nothing changed", action, ctx->fs.sys_path,
                     rel, r < 0 ? strerror(-r) : now);
        return r < 0 ? r : -ESTALE;
    }
    before = json_object_new_object();
    after = json_object_new_object();
    json_object_object_add(before, "cgroup_version", json_object_new_int(2));
    json_object_object_add(before, "file", json_object_new_string(rel));
    json_object_object_add(before, "pid", json_object_new_int(x->d.pid));
    json_object_object_add(before, "swap_max", json_object_new_string(old));
    json_object_object_add(after, "swap_max", json_object_new_string("0"));
    r = journal_add(j, req->action, x->d.name, x->d.uuid, TAKE_PTR(before), TAKE_PTR(after), &id);
    if (r < 0)
        return r;
    r = cg_write(&ctx->fs, rel, "0");
    if (r < 0) {
        journal_status(j, id, "failed", strerror(-r));
        sg_log_error("apply %s: writing 0 to %s/%s: %s; nothing changed", action, ctx->fs.sys_path, rel,
                     strerror(-r));
        return r;
    }
    sg_action_step("change: memory.swap.max written");
    journal_status(j, id, "applied", NULL);
    fprintf(req->out, "applied (journal entry %u): memory.swap.max = 0; undo: swapguard rollback %u --yes\n", id, id);
    return 0;
}

static int swap_limit_v1(const struct sg_apply_req *req, struct sg_action_journal *j, const struct sg_dom *x)
{
    struct sg_ctx *ctx = req->ctx;
    const char *action = sg_rec_action_name(req->action);
    _cleanup_json_ json_object *before = NULL, *after = NULL;
    struct memtune m, again;
    char rel[PATH_MAX + 64], usage[64], b1[32], b2[32], safe[SAFE_NAME_MAX], lv_msg[400];
    uint64_t memsw = 0, l;
    unsigned id;
    int r;

    safe_name(x, safe);
    if (memtune_get(x->dom, &m) < 0) {
        sg_log_error("apply %s: domain '%s': virDomainGetMemoryParameters: %s", action, safe, libvirt_msg());
        return -EIO;
    }
    fprintf(req->out, "domain '%s': cgroup v1 memory cgroup %s; hard_limit %s, swap_hard_limit %s\n", safe,
            x->cg.memory_path, kib_text(m.hard_kib, b1, sizeof(b1)), kib_text(m.swap_hard_kib, b2, sizeof(b2)));
    if (m.hard_kib >= VIR_DOMAIN_MEMORY_PARAM_UNLIMITED) {
        sg_log_error("apply %s: domain '%s' has no memory limit (hard_limit unlimited): on cgroup v1 "
                     "the swap limit is memory+swap, meaningless without one. Setting a memory limit is a "
                     "decision of its own: virsh memtune --domain NAME --hard-limit KIB (guest RAM + QEMU "
                     "overhead = %" PRIu64 " KiB); refused, nothing changed",
                     action, safe, x->d.max_memory_kib + req->cfg->rec.qemu_overhead_kib);
        return -EPERM;
    }
    l = sg_swap_limit_v1_kib(m.hard_kib, x->d.max_memory_kib, req->cfg->rec.qemu_overhead_kib);
    snprintf(rel, sizeof(rel), "%s/memory.memsw.usage_in_bytes", x->cg.memory_dir);
    r = cg_read(&ctx->fs, rel, usage, sizeof(usage));
    if (r < 0 || sg_parse_u64(usage, strlen(usage), &memsw) < 0) {
        sg_log_error("apply %s: %s/%s: %s (cgroup v1 swap accounting is off: boot with "
                     "swapaccount=1); refused, nothing changed",
                     action, ctx->fs.sys_path, rel, r < 0 ? strerror(-r) : "not a number");
        return r < 0 ? r : -EINVAL;
    }
    fprintf(req->out, "  memory+swap in use: %" PRIu64 " KiB (%s)\n", memsw / 1024, rel);
    if (l > m.hard_kib)
        fprintf(req->out, "  the memory limit %llu KiB is below guest RAM %" PRIu64 " KiB + QEMU overhead %" PRIu64
                " KiB: at that limit a guest that may not swap is killed by the cgroup OOM killer, so it is "
                "raised with it\n", m.hard_kib, x->d.max_memory_kib, req->cfg->rec.qemu_overhead_kib);
    fprintf(req->out, "  would set: hard_limit %s -> %" PRIu64 " KiB, swap_hard_limit (memory+swap) %s -> %" PRIu64
            " KiB (virsh memtune --domain NAME --hard-limit %" PRIu64 " --swap-hard-limit %" PRIu64 ")\n",
            kib_text(m.hard_kib, b1, sizeof(b1)), l, kib_text(m.swap_hard_kib, b2, sizeof(b2)), l, l, l);
    fprintf(req->out, "  note: on cgroup v1 this stops swapping caused by the guest's own limit; host-wide "
            "reclaim can still swap it out (the kernel does not check a v1 memory+swap limit there)\n");
    if (m.hard_kib == l && m.swap_hard_kib == l) {
        fprintf(req->out, "already set: nothing to do\n");
        return 0;
    }
    if (memsw / 1024 > l) {
        sg_log_error("apply %s: domain '%s': memory+swap in use %" PRIu64 " KiB exceeds %" PRIu64
                     " KiB: the kernel would refuse the limit (EBUSY); bring swap back first (apply %s); "
                     "refused, nothing changed", action, safe, memsw / 1024, l,
                     sg_rec_action_name(SG_REC_PREFETCH));
        return -EBUSY;
    }
    r = dry_run_or_recheck(req, x);
    if (r != 0)
        return r < 0 ? r : 0;
    if (memtune_get(x->dom, &again) < 0 || again.hard_kib != m.hard_kib || again.swap_hard_kib != m.swap_hard_kib) {
        sg_log_error("apply %s: domain '%s': its memory parameters changed while we looked; nothing "
                     "changed", action, safe);
        return -ESTALE;
    }
    before = json_object_new_object();
    after = json_object_new_object();
    json_object_object_add(before, "cgroup_version", json_object_new_int(1));
    json_object_object_add(before, "pid", json_object_new_int(x->d.pid));
    json_object_object_add(before, "hard_limit_kib", json_object_new_int64((int64_t)m.hard_kib));
    json_object_object_add(before, "swap_hard_limit_kib", json_object_new_int64((int64_t)m.swap_hard_kib));
    json_object_object_add(after, "hard_limit_kib", json_object_new_int64((int64_t)l));
    json_object_object_add(after, "swap_hard_limit_kib", json_object_new_int64((int64_t)l));
    r = journal_add(j, req->action, x->d.name, x->d.uuid, TAKE_PTR(before), TAKE_PTR(after), &id);
    if (r < 0)
        return r;
    r = memtune_set(x->dom, l, l);
    if (r < 0)
        snprintf(lv_msg, sizeof(lv_msg), "%s", libvirt_msg()); /* before another call resets it */
    if (r < 0 && virConnectIsAlive(virDomainGetConnect(x->dom)) != 1) {
        char msg[sizeof(lv_msg) + 128];

        /* libvirtd went away during the call: it may have written the limits before answering.
         * The entry stays "applying": rollback reads the limits and restores what changed. */
        snprintf(msg, sizeof(msg), "the connection to libvirtd was lost during virDomainSetMemoryParameters "
                 "(%s): whether the limits were set is unknown", lv_msg);
        journal_status(j, id, "applying", msg);
        sg_log_error("apply %s: domain '%s': %s; journal entry %u stays 'applying': once libvirtd is back, "
                     "swapguard rollback %u --yes restores the old limits if they changed", action, safe, msg, id,
                     id);
        return -ECONNRESET;
    }
    if (r < 0) {
        char msg[512];

        snprintf(msg, sizeof(msg), "virDomainSetMemoryParameters: %s", lv_msg);
        /* libvirt may have written one of the two: put back what was there. */
        if (memtune_get(x->dom, &again) == 0 &&
            (again.hard_kib != m.hard_kib || again.swap_hard_kib != m.swap_hard_kib))
            memtune_set(x->dom, m.hard_kib, m.swap_hard_kib);
        journal_status(j, id, "failed", msg);
        sg_log_error("apply %s: domain '%s': %s; nothing changed", action, safe, msg);
        return -EIO;
    }
    sg_action_step("change: hard_limit and swap_hard_limit set");
    journal_status(j, id, "applied", NULL);
    fprintf(req->out, "applied (journal entry %u): hard_limit = swap_hard_limit = %" PRIu64 " KiB; undo: "
            "swapguard rollback %u --yes\n", id, l, id);
    return 0;
}

int sg_apply_swap_limit(const struct sg_apply_req *req, struct sg_action_journal *j)
{
    const char *action = sg_rec_action_name(req->action);
    _cleanup_(sg_dom_clear) struct sg_dom x = { 0 };
    char safe[SAFE_NAME_MAX];
    int r = dom_find(req->ctx, req->target, action, &x);

    if (r < 0)
        return r;
    if (x.cg.memory_version == 2)
        return swap_limit_v2(req, j, &x);
    if (x.cg.memory_version == 1)
        return swap_limit_v1(req, j, &x);
    sg_log_error("apply %s: domain '%s' has no memory cgroup of its own; refused", action, safe_name(&x, safe));
    return -ENOENT;
}

/*
 * The target already holds the entry's old values: the process that applied
 * it died before making the change (status still "applying"), a rollback died
 * after restoring but before recording it, or someone restored it by hand.
 * Nothing to restore: the entry is marked rolled back, saying so.
 */
static void rollback_nothing(struct sg_action_journal *j, json_object *e, const char *what, FILE *out)
{
    unsigned id = (unsigned)sg_action_entry_int(e, "id", 0);
    const char *status = sg_action_entry_str(e, "status");
    bool interrupted = status && strcmp(status, "applying") == 0;

    fprintf(out, "entry %u: %s already holds the old value%s; nothing to restore (entry marked rolled-back)\n",
            id, what, interrupted ? " (the apply was interrupted before its change)" : "");
    journal_status(j, id, "rolled-back", interrupted ? "interrupted before the change: nothing to restore"
                                                     : "found the old values already: nothing to restore");
}

/* The domain of entry e, running with the QEMU PID the entry recorded. */
static int rollback_dom(struct sg_ctx *ctx, json_object *e, struct sg_dom *x)
{
    const char *uuid = sg_action_entry_str(e, "uuid");
    char safe[SAFE_NAME_MAX];
    int r;

    if (!uuid) {
        memset(x, 0, sizeof(*x));
        sg_log_error("rollback: the entry names no domain UUID");
        return -EINVAL;
    }
    r = dom_find(ctx, uuid, sg_action_entry_str(e, "action"), x);
    if (r < 0)
        return r;
    if (sg_action_entry_int(sg_action_entry_obj(e, "before"), "pid", 0) != x->d.pid) {
        sg_log_error("rollback: domain '%s' restarted since (QEMU PID %lld then, %d now): the live change "
                     "ended with that QEMU; nothing to undo", safe_name(x, safe),
                     (long long)sg_action_entry_int(sg_action_entry_obj(e, "before"), "pid", 0), (int)x->d.pid);
        return -ESTALE;
    }
    return 0;
}

static int rollback_swap_limit_v2(struct sg_ctx *ctx, unsigned id, const struct sg_dom *x, json_object *before,
                                  bool force, FILE *out)
{
    char rel[PATH_MAX + 64], now[64], safe[SAFE_NAME_MAX];
    const char *old = sg_action_entry_str(before, "swap_max"), *file = sg_action_entry_str(before, "file");
    int r;

    snprintf(rel, sizeof(rel), "%s/memory.swap.max", x->cg.memory_dir);
    if (!old || !file || strcmp(file, rel) != 0) {
        sg_log_error("rollback %u: the entry's cgroup file is not domain '%s''s %s", id, safe_name(x, safe), rel);
        return -ESTALE;
    }
    r = cg_read(&ctx->fs, rel, now, sizeof(now));
    if (r == 0 && strcmp(now, old) == 0 && strcmp(old, "0") != 0)
        return 1;
    if (r == 0 && strcmp(now, "0") != 0 && !force) {
        sg_log_error("rollback %u: %s is %s, not the 0 swapguard set: changed since; refused (--force "
                     "restores %s anyway)", id, rel, now, old);
        return -ESTALE;
    }
    r = cg_write(&ctx->fs, rel, old);
    if (r < 0) {
        sg_log_error("rollback %u: writing %s to %s/%s: %s", id, old, ctx->fs.sys_path, rel, strerror(-r));
        return r;
    }
    sg_action_step("change: memory.swap.max restored");
    fprintf(out, "domain '%s': memory.swap.max restored to %s\n", safe_name(x, safe), old);
    return 0;
}

static int rollback_swap_limit_v1(unsigned id, const struct sg_dom *x, json_object *before, json_object *after,
                                  bool force, FILE *out)
{
    struct memtune m;
    int64_t hard = sg_action_entry_int(before, "hard_limit_kib", -1);
    int64_t swap = sg_action_entry_int(before, "swap_hard_limit_kib", -1);
    char b1[32], b2[32], safe[SAFE_NAME_MAX];
    int r;

    safe_name(x, safe);
    if (hard <= 0 || swap <= 0) {
        sg_log_error("rollback %u: the entry lacks the old hard_limit_kib/swap_hard_limit_kib", id);
        return -EINVAL;
    }
    if (memtune_get(x->dom, &m) < 0) {
        sg_log_error("rollback %u: domain '%s': virDomainGetMemoryParameters: %s", id, safe, libvirt_msg());
        return -EIO;
    }
    if ((int64_t)m.hard_kib == hard && (int64_t)m.swap_hard_kib == swap)
        return 1;
    if (((int64_t)m.hard_kib != sg_action_entry_int(after, "hard_limit_kib", -2) ||
         (int64_t)m.swap_hard_kib != sg_action_entry_int(after, "swap_hard_limit_kib", -2)) && !force) {
        sg_log_error("rollback %u: domain '%s' has hard_limit %s, swap_hard_limit %s, not what swapguard "
                     "set: changed since; refused (--force restores the old values anyway)", id, safe,
                     kib_text(m.hard_kib, b1, sizeof(b1)), kib_text(m.swap_hard_kib, b2, sizeof(b2)));
        return -ESTALE;
    }
    /* Lowering the memory limit makes the kernel reclaim down to it first; it answers EBUSY
     * when it has not got there yet. Reclaim goes on between tries. */
    for (int attempt = 1; (r = memtune_set(x->dom, (unsigned long long)hard, (unsigned long long)swap)) < 0 &&
                          attempt < 10; attempt++) {
        struct timespec ts = { .tv_sec = 1 };

        fprintf(out, "  not yet (%s); trying again\n", libvirt_msg());
        nanosleep(&ts, NULL);
    }
    if (r < 0) {
        struct memtune now;

        sg_log_error("rollback %u: domain '%s': virDomainSetMemoryParameters: %s (now: hard_limit %s, "
                     "swap_hard_limit %s; entry left applied, try again)", id, safe, libvirt_msg(),
                     memtune_get(x->dom, &now) == 0 ? kib_text(now.hard_kib, b1, sizeof(b1)) : "?",
                     memtune_get(x->dom, &now) == 0 ? kib_text(now.swap_hard_kib, b2, sizeof(b2)) : "?");
        return -EIO;
    }
    sg_action_step("change: hard_limit and swap_hard_limit restored");
    fprintf(out, "domain '%s': hard_limit restored to %s, swap_hard_limit to %s\n", safe,
            kib_text((unsigned long long)hard, b1, sizeof(b1)), kib_text((unsigned long long)swap, b2, sizeof(b2)));
    return 0;
}

int sg_rollback_swap_limit(struct sg_ctx *ctx, const struct sg_config *cfg, struct sg_action_journal *j,
                           json_object *e, bool force, FILE *out)
{
    json_object *before = sg_action_entry_obj(e, "before"), *after = sg_action_entry_obj(e, "after");
    unsigned id = (unsigned)sg_action_entry_int(e, "id", 0);
    _cleanup_(sg_dom_clear) struct sg_dom x = { 0 };
    int r = rollback_dom(ctx, e, &x);

    if (r < 0)
        return r;
    if (sg_action_entry_int(before, "cgroup_version", 0) == 2)
        r = rollback_swap_limit_v2(ctx, id, &x, before, force, out);
    else
        r = rollback_swap_limit_v1(id, &x, before, after, force, out);
    if (r < 0)
        return r;
    if (r > 0) {
        rollback_nothing(j, e, "the memory cgroup", out);
        return 0;
    }
    journal_status(j, id, "rolled-back", NULL);
    return 0;
}

/* ---- prefetch ---------------------------------------------------------------- */

static int vm_swap_now(const struct sg_fs *fs, pid_t pid, uint64_t *kib)
{
    struct sg_proc_status st;
    struct sg_proc_stat ps;
    struct sg_error err = { 0 };
    int r = sg_proc_read(fs, pid, &st, &ps, &err);

    if (r < 0)
        return r;
    *kib = st.vm_swap_kib == SG_NONE ? 0 : st.vm_swap_kib;
    return 0;
}

/*
 * Pulls [start, end) of pid back from swap, chunk bytes at a time:
 * process_madvise(MADV_WILLNEED) starts the reads of a chunk (swap readahead
 * into the swap cache), then reading the chunk through /proc/PID/mem maps the
 * pages into QEMU's page tables (only then do they leave VmSwap; a read fault
 * on a page never touched maps the shared zero page, no memory). Progress
 * after each 10 % on out; *done_out gets the bytes read back, also on failure.
 */
static int prefetch_range(const struct sg_fs *fs, pid_t pid, uint64_t start, uint64_t end, uint64_t chunk,
                          FILE *out, uint64_t *done_out)
{
    _cleanup_close_ int pidfd = -1, mem = -1;
    _cleanup_free_ char *buf = NULL;
    char rel[64];
    uint64_t done = 0, total = end - start, next_report = total / 10;

    *done_out = 0;

    pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pidfd < 0)
        return -errno;
    snprintf(rel, sizeof(rel), "%d/mem", (int)pid);
    mem = openat(fs->proc_fd, rel, O_RDONLY | O_CLOEXEC);
    if (mem < 0)
        return -errno;
    buf = malloc(chunk);
    if (!buf)
        return -ENOMEM;
    for (uint64_t a = start; a < end; a += chunk) {
        uint64_t len = end - a < chunk ? end - a : chunk;
        struct iovec iov = { .iov_base = (void *)(uintptr_t)a, .iov_len = len };
        uint64_t off = 0;

        if (syscall(SYS_process_madvise, pidfd, &iov, 1, MADV_WILLNEED, 0) < 0)
            return -errno;
        while (off < len) {
            ssize_t n = pread(mem, buf, len - off, (off_t)(a + off));

            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return n < 0 ? -errno : -EIO;
            off += (uint64_t)n;
        }
        sg_action_step("change: one chunk read back");
        done += len;
        *done_out = done;
        if (done >= next_report || done == total) {
            uint64_t swap = 0;
            char now[64] = "QEMU process gone";

            if (vm_swap_now(fs, pid, &swap) == 0)
                snprintf(now, sizeof(now), "VmSwap now %" PRIu64 " KiB", swap);
            fprintf(out, "  %3u %%  %" PRIu64 " of %" PRIu64 " MiB read back, %s\n",
                    (unsigned)(total ? done * 100 / total : 100), done >> 20, total >> 20, now);
            fflush(out);
            next_report = done + total / 10;
        }
    }
    return 0;
}

/* Is there room for swapped_kib in x's memory cgroup (limit - usage)? Prints it when so; logs when not. */
static int prefetch_cgroup_room(const struct sg_apply_req *req, const struct sg_dom *x, uint64_t swapped_kib)
{
    struct sg_error err = { 0 };
    struct sg_cgroup_stats cs;
    char safe[SAFE_NAME_MAX];
    uint64_t room;

    if (!x->cg.memory_version || sg_cgroup_read(&req->ctx->fs, &x->cg, &cs, &err) < 0 || cs.limit_bytes == SG_NONE ||
        cs.limit_bytes == SG_UNLIMITED)
        return 0;
    room = cs.limit_bytes > cs.usage_bytes ? (cs.limit_bytes - cs.usage_bytes) / 1024 : 0;
    if (room < swapped_kib) {
        sg_log_error("apply %s: domain '%s': its memory cgroup limit %" PRIu64 " KiB leaves %" PRIu64
                     " KiB free, less than the %" PRIu64 " KiB swapped: reading it back would push other guest "
                     "pages out to swap; raise the limit first (virsh memtune --hard-limit); refused",
                     sg_rec_action_name(req->action), safe_name(x, safe), cs.limit_bytes / 1024, room, swapped_kib);
        return -ENOMEM;
    }
    fprintf(req->out, "  memory cgroup: limit %" PRIu64 " KiB leaves %" PRIu64 " KiB >= swapped: holds\n",
            cs.limit_bytes / 1024, room);
    return 0;
}

int sg_apply_prefetch(const struct sg_apply_req *req, struct sg_action_journal *j)
{
    struct sg_ctx *ctx = req->ctx;
    const char *action = sg_rec_action_name(req->action);
    struct sg_error err = { 0 };
    _cleanup_(sg_host_sample_clear) struct sg_host_sample hs = { 0 };
    _cleanup_(sg_dom_clear) struct sg_dom x = { 0 };
    _cleanup_json_ json_object *before = NULL, *after = NULL;
    json_object *saved; /* the journal's "after" of the entry */
    struct sg_guest_ram gr;
    char text[400], ebuf[sizeof(err.msg) + PATH_MAX + 16], safe[SAFE_NAME_MAX];
    uint64_t swap_before = 0, swap_after = 0, done = 0, chunk = req->cfg->prefetch_chunk_kib * 1024;
    unsigned id = 0;
    int r = dom_find(ctx, req->target, action, &x);

    if (r < 0)
        return r;
    safe_name(&x, safe);
    r = sg_guest_ram_read(&ctx->fs, x.d.pid, x.d.max_memory_kib, &gr, &err);
    if (r < 0 || !gr.found) {
        sg_log_error("apply %s: domain '%s': %s", action, safe,
                     r < 0 ? sg_error_format(&err, ebuf, sizeof(ebuf))
                           : "no mapping of the guest's RAM size in its QEMU's smaps; refused");
        return r < 0 ? r : -ENOENT;
    }
    r = vm_swap_now(&ctx->fs, x.d.pid, &swap_before);
    if (r < 0) {
        sg_log_error("apply %s: domain '%s': its QEMU process exited; nothing changed", action, safe);
        return r;
    }
    fprintf(req->out, "domain '%s': guest RAM %" PRIx64 "-%" PRIx64 " (%" PRIu64 " KiB, %s) of QEMU PID %d: "
            "%" PRIu64 " KiB in host swap (smaps); VmSwap %" PRIu64 " KiB\n", safe, gr.start, gr.end,
            gr.size_kib, gr.backing, (int)x.d.pid, gr.swap_kib, swap_before);
    if (gr.swap_kib == 0) {
        fprintf(req->out, "none of its guest RAM is in host swap: nothing to do\n");
        return 0;
    }
    r = sg_host_read(&ctx->fs, false, &hs, &err);
    if (r < 0) {
        sg_log_error("apply %s: %s", action, sg_error_format(&err, ebuf, sizeof(ebuf)));
        return r;
    }
    if (!sg_prefetch_fits(req->cfg->rec.host_reserve_kib, hs.mem.mem_available_kib, gr.swap_kib, text,
                          sizeof(text))) {
        sg_log_error("apply %s: domain '%s': %s", action, safe, text);
        return -ENOMEM;
    }
    fprintf(req->out, "  host: %s\n", text);
    r = prefetch_cgroup_room(req, &x, gr.swap_kib);
    if (r < 0)
        return r;
    if (req->yes && (!have_cap(CAP_SYS_NICE) || !have_cap(CAP_SYS_PTRACE))) {
        sg_log_error("apply %s: process_madvise(2) on another process needs CAP_SYS_NICE and reading "
                     "its memory CAP_SYS_PTRACE; this process lacks one; refused, nothing changed", action);
        return -EPERM;
    }
    fprintf(req->out, "  would read it back: process_madvise(MADV_WILLNEED) + a read through /proc/%d/mem, "
            "%" PRIu64 " MiB at a time\n", (int)x.d.pid, chunk >> 20);
    r = dry_run_or_recheck(req, &x);
    if (r != 0)
        return r < 0 ? r : 0;
    before = json_object_new_object();
    after = json_object_new_object();
    json_object_object_add(before, "pid", json_object_new_int(x.d.pid));
    json_object_object_add(before, "vm_swap_kib", json_object_new_int64((int64_t)swap_before));
    json_object_object_add(before, "guest_ram_swap_kib", json_object_new_int64((int64_t)gr.swap_kib));
    json_object_object_add(after, "read_back", json_object_new_string("guest-RAM mapping"));
    r = journal_add(j, req->action, x.d.name, x.d.uuid, TAKE_PTR(before), TAKE_PTR(after), &id);
    if (r < 0)
        return r;
    r = prefetch_range(&ctx->fs, x.d.pid, gr.start, gr.end, chunk, req->out, &done);
    if (r < 0 && !sg_pid_has_uuid(&ctx->fs, x.d.pid, x.d.uuid)) {
        char note[200];

        /* Destroyed, crashed or killed meanwhile: its memory is gone, and so is anything to read back. */
        snprintf(note, sizeof(note), "QEMU PID %d exited after %" PRIu64 " of %" PRIu64 " MiB were read back (%s)",
                 (int)x.d.pid, done >> 20, (gr.end - gr.start) >> 20, strerror(-r));
        journal_status(j, id, "failed", note);
        sg_log_error("apply %s: domain '%s' went away while its guest RAM was read back: %s; nothing to undo "
                     "(journal entry %u: failed)", action, safe, note, id);
        return -ESRCH;
    }
    if (r < 0) {
        journal_status(j, id, "failed", strerror(-r));
        sg_log_error("apply %s: domain '%s': %s (what was read back stays in RAM)", action, safe,
                     r == -EINVAL ? "process_madvise(MADV_WILLNEED) refused (Linux >= 5.15 needed)" : strerror(-r));
        return r;
    }
    vm_swap_now(&ctx->fs, x.d.pid, &swap_after);
    saved = sg_action_entry_obj(sg_action_journal_get(j, id), "after");
    if (saved)
        json_object_object_add(saved, "vm_swap_kib", json_object_new_int64((int64_t)swap_after));
    journal_status(j, id, "applied", NULL);
    fprintf(req->out, "applied (journal entry %u): VmSwap %" PRIu64 " KiB before, %" PRIu64 " KiB after\n", id,
            swap_before, swap_after);
    return 0;
}

/* ---- oom-protect ------------------------------------------------------------- */

static int write_oom_score_adj(const struct sg_fs *fs, pid_t pid, int adj)
{
    char rel[64], val[16];
    _cleanup_close_ int fd = -1;
    size_t len;

    snprintf(rel, sizeof(rel), "%d/oom_score_adj", (int)pid);
    len = (size_t)snprintf(val, sizeof(val), "%d", adj);
    fd = openat(fs->proc_fd, rel, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return sg_proc_gone(-errno);
    if (write(fd, val, len) != (ssize_t)len)
        return errno ? -errno : -EIO;
    return 0;
}

int sg_apply_oom_protect(const struct sg_apply_req *req, struct sg_action_journal *j)
{
    struct sg_ctx *ctx = req->ctx;
    const char *action = sg_rec_action_name(req->action);
    int target = req->cfg->rec.oom_score_adj_critical, old, now;
    _cleanup_(sg_dom_clear) struct sg_dom x = { 0 };
    _cleanup_json_ json_object *before = NULL, *after = NULL;
    char safe[SAFE_NAME_MAX];
    unsigned id;
    int r = dom_find(ctx, req->target, action, &x);

    if (r < 0)
        return r;
    r = sg_oom_score_adj_read(&ctx->fs, x.d.pid, &old);
    if (r < 0) {
        sg_log_error("apply %s: %s/%d/oom_score_adj: %s", action, ctx->fs.proc_path, (int)x.d.pid, strerror(-r));
        return r;
    }
    fprintf(req->out, "domain '%s': QEMU PID %d oom_score_adj %d -> %d ([recommend] oom_score_adj_critical); "
            "the OOM killer then picks another process; lost when QEMU restarts\n", safe_name(&x, safe),
            (int)x.d.pid, old, target);
    if (old <= target) {
        fprintf(req->out, "already %d: nothing to do\n", old);
        return 0;
    }
    if (req->yes && !have_cap(CAP_SYS_RESOURCE)) {
        sg_log_error("apply %s: lowering oom_score_adj needs CAP_SYS_RESOURCE, which this process "
                     "lacks (a container or a restricted root?); refused, nothing changed", action);
        return -EPERM;
    }
    r = dry_run_or_recheck(req, &x);
    if (r != 0)
        return r < 0 ? r : 0;
    if (sg_oom_score_adj_read(&ctx->fs, x.d.pid, &now) < 0 || now != old) {
        sg_log_error("apply %s: oom_score_adj of PID %d changed while we looked; nothing changed", action,
                     (int)x.d.pid);
        return -ESTALE;
    }
    before = json_object_new_object();
    after = json_object_new_object();
    json_object_object_add(before, "pid", json_object_new_int(x.d.pid));
    json_object_object_add(before, "oom_score_adj", json_object_new_int(old));
    json_object_object_add(after, "oom_score_adj", json_object_new_int(target));
    r = journal_add(j, req->action, x.d.name, x.d.uuid, TAKE_PTR(before), TAKE_PTR(after), &id);
    if (r < 0)
        return r;
    r = write_oom_score_adj(&ctx->fs, x.d.pid, target);
    if (r < 0) {
        journal_status(j, id, "failed", strerror(-r));
        sg_log_error("apply %s: writing %s/%d/oom_score_adj: %s%s; nothing changed", action, ctx->fs.proc_path,
                     (int)x.d.pid, strerror(-r), r == -EACCES ? " (lowering it needs CAP_SYS_RESOURCE)" : "");
        return r;
    }
    sg_action_step("change: oom_score_adj written");
    journal_status(j, id, "applied", NULL);
    fprintf(req->out, "applied (journal entry %u): oom_score_adj %d; undo: swapguard rollback %u --yes\n", id,
            target, id);
    return 0;
}

int sg_rollback_oom_protect(struct sg_ctx *ctx, const struct sg_config *cfg, struct sg_action_journal *j,
                            json_object *e, bool force, FILE *out)
{
    json_object *before = sg_action_entry_obj(e, "before"), *after = sg_action_entry_obj(e, "after");
    unsigned id = (unsigned)sg_action_entry_int(e, "id", 0);
    int64_t old = sg_action_entry_int(before, "oom_score_adj", INT64_MIN);
    _cleanup_(sg_dom_clear) struct sg_dom x = { 0 };
    char safe[SAFE_NAME_MAX];
    int now, r = rollback_dom(ctx, e, &x);

    if (r < 0)
        return r;
    if (old < -1000 || old > 1000) {
        sg_log_error("rollback %u: the entry lacks the old oom_score_adj", id);
        return -EINVAL;
    }
    r = sg_oom_score_adj_read(&ctx->fs, x.d.pid, &now);
    if (r == 0 && now == old && old != sg_action_entry_int(after, "oom_score_adj", INT64_MIN)) {
        rollback_nothing(j, e, "oom_score_adj", out);
        return 0;
    }
    if (r == 0 && now != sg_action_entry_int(after, "oom_score_adj", INT64_MIN) && !force) {
        sg_log_error("rollback %u: QEMU PID %d has oom_score_adj %d, not what swapguard set: changed since; "
                     "refused (--force restores %lld anyway)", id, (int)x.d.pid, now, (long long)old);
        return -ESTALE;
    }
    r = write_oom_score_adj(&ctx->fs, x.d.pid, (int)old);
    if (r < 0) {
        sg_log_error("rollback %u: writing %s/%d/oom_score_adj: %s", id, ctx->fs.proc_path, (int)x.d.pid,
                     strerror(-r));
        return r;
    }
    sg_action_step("change: oom_score_adj restored");
    fprintf(out, "domain '%s': QEMU PID %d oom_score_adj restored to %lld\n", safe_name(&x, safe), (int)x.d.pid,
            (long long)old);
    journal_status(j, id, "rolled-back", NULL);
    return 0;
}

/* ---- swapoff ------------------------------------------------------------------ */

struct swapoff_job {
    const char *path;
    int err;        /* 0 or errno of swapoff(2) */
    bool done;
    pthread_mutex_t lock;
};

static void *swapoff_thread(void *arg)
{
    struct swapoff_job *job = arg;
    int e = swapoff(job->path) < 0 ? errno : 0;

    pthread_mutex_lock(&job->lock);
    job->err = e;
    job->done = true;
    pthread_mutex_unlock(&job->lock);
    return NULL;
}

/* The device's line in /proc/swaps now, or NULL (copied into *dev). */
static bool swap_device_now(const struct sg_host_sample *hs, const char *path, struct sg_swap_device *dev)
{
    for (size_t i = 0; i < hs->n_swaps; i++)
        if (strcmp(hs->swaps[i].filename, path) == 0) {
            *dev = hs->swaps[i];
            return true;
        }
    return false;
}

/* swapoff(2) of one device in a thread; the caller's thread prints Used every second until it returns. */
static int swapoff_with_progress(const struct sg_fs *fs, const char *path, FILE *out)
{
    struct swapoff_job job = { .path = path, .lock = PTHREAD_MUTEX_INITIALIZER };
    pthread_t t;
    int r;

    r = pthread_create(&t, NULL, swapoff_thread, &job);
    if (r)
        return -r;
    for (;;) {
        struct timespec ts = { .tv_sec = 1 };
        struct sg_host_sample hs = { 0 };
        struct sg_swap_device dev;
        struct sg_error err = { 0 };
        bool done;

        nanosleep(&ts, NULL);
        pthread_mutex_lock(&job.lock);
        done = job.done;
        pthread_mutex_unlock(&job.lock);
        if (done)
            break;
        if (sg_host_read(fs, true, &hs, &err) == 0 && swap_device_now(&hs, path, &dev))
            fprintf(out, "  ... %s: %" PRIu64 " KiB still in swap\n", path, dev.used_kib);
        fflush(out);
        sg_host_sample_clear(&hs);
    }
    pthread_join(t, NULL);
    return -job.err;
}

/*
 * Turns one device off, rechecking right before that its pages fit in what
 * is available now; journals it. 1 when it is no longer active (skipped),
 * 0 done, -errno (logged).
 */
static int swapoff_one(const struct sg_apply_req *req, struct sg_action_journal *j, const char *path,
                       size_t n_done, size_t n)
{
    struct sg_ctx *ctx = req->ctx;
    const char *action = sg_rec_action_name(req->action);
    _cleanup_(sg_host_sample_clear) struct sg_host_sample now = { 0 };
    _cleanup_json_ json_object *before = NULL, *after = NULL;
    struct sg_error err = { 0 };
    struct sg_swap_device dev;
    char text[400], ebuf[sizeof(err.msg) + PATH_MAX + 16], safe[PATH_MAX];
    unsigned id;
    int r;

    sg_fmt_safe(path, safe, sizeof(safe));
    r = sg_host_read(&ctx->fs, true, &now, &err);
    if (r < 0) {
        sg_log_error("apply %s: %s", action, sg_error_format(&err, ebuf, sizeof(ebuf)));
        return r;
    }
    if (!swap_device_now(&now, path, &dev)) {
        fprintf(req->out, "%s: no longer active, skipped\n", safe);
        return 1;
    }
    if (!sg_swapoff_fits(req->cfg->rec.host_reserve_kib, now.mem.mem_available_kib, dev.used_kib, text,
                         sizeof(text))) {
        sg_log_error("apply %s: %s: %s; refused (%zu of %zu devices done, each journaled)", action, safe, text,
                     n_done, n);
        return -ENOMEM;
    }
    before = json_object_new_object();
    after = json_object_new_object();
    json_object_object_add(before, "device", json_object_new_string(dev.filename));
    json_object_object_add(before, "priority", json_object_new_int(dev.priority));
    json_object_object_add(before, "size_kib", json_object_new_int64((int64_t)dev.size_kib));
    json_object_object_add(before, "used_kib", json_object_new_int64((int64_t)dev.used_kib));
    json_object_object_add(after, "active", json_object_new_boolean(false));
    r = journal_add(j, req->action, dev.filename, NULL, TAKE_PTR(before), TAKE_PTR(after), &id);
    if (r < 0)
        return r;
    fprintf(req->out, "%s %s: %s; reading %" PRIu64 " KiB back into RAM\n", action, safe, text, dev.used_kib);
    fflush(req->out);
    r = swapoff_with_progress(&ctx->fs, dev.filename, req->out);
    if (r < 0) {
        journal_status(j, id, "failed", strerror(-r));
        sg_log_error("apply %s: swapoff(%s): %s%s", action, safe, strerror(-r),
                     r == -ENOMEM ? " (the kernel found no room for the pages; the device stays on)" : "");
        return r;
    }
    sg_action_step("change: swapoff(2) of one device done");
    journal_status(j, id, "applied", NULL);
    fprintf(req->out, "applied (journal entry %u): %s is off; undo: swapguard rollback %u --yes\n", id, safe, id);
    return 0;
}

int sg_apply_swapoff(const struct sg_apply_req *req, struct sg_action_journal *j)
{
    struct sg_ctx *ctx = req->ctx;
    const char *action = sg_rec_action_name(req->action);
    const struct sg_config *cfg = req->cfg;
    _cleanup_(sg_host_sample_clear) struct sg_host_sample hs = { 0 };
    _cleanup_free_ struct sg_swap_device *devs = NULL;
    struct sg_error err = { 0 };
    char text[400], ebuf[sizeof(err.msg) + PATH_MAX + 16], safe[PATH_MAX];
    size_t n = 0, n_done = 0;
    uint64_t used = 0;
    int r;

    r = sg_host_read(&ctx->fs, true, &hs, &err);
    if (r < 0) {
        sg_log_error("apply %s: %s", action, sg_error_format(&err, ebuf, sizeof(ebuf)));
        return r;
    }
    devs = calloc(hs.n_swaps + 1, sizeof(*devs));
    if (!devs)
        return -ENOMEM;
    for (size_t i = 0; i < hs.n_swaps; i++)
        if (!req->target || strcmp(hs.swaps[i].filename, req->target) == 0)
            devs[n++] = hs.swaps[i];
    if (n == 0) {
        if (!req->target) {
            fprintf(req->out, "the host has no active swap: nothing to do\n");
            return 0;
        }
        sg_log_error("apply %s: %s is not an active swap device (%s/swaps)", action,
                     sg_fmt_safe(req->target, safe, sizeof(safe)), ctx->fs.proc_path);
        return -ENOENT;
    }
    for (size_t i = 0; i < n; i++)
        used += devs[i].used_kib;
    /* The whole request first: every device's pages must fit together. */
    if (!sg_swapoff_fits(cfg->rec.host_reserve_kib, hs.mem.mem_available_kib, used, text, sizeof(text))) {
        sg_log_error("apply %s: %s ([recommend] host_reserve_mib; `swapguard recommend` shows who the OOM "
                     "killer would pick); nothing changed", action, text);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        fprintf(req->out, "swap device %s (%s): %" PRIu64 " KiB of %" PRIu64 " KiB used, priority %d\n",
                sg_fmt_safe(devs[i].filename, safe, sizeof(safe)), devs[i].type, devs[i].used_kib,
                devs[i].size_kib, devs[i].priority);
    fprintf(req->out, "  %s\n", text);
    if (req->yes && !have_cap(CAP_SYS_ADMIN)) {
        sg_log_error("apply %s: swapoff(2) needs CAP_SYS_ADMIN, which this process lacks; refused, nothing "
                     "changed", action);
        return -EPERM;
    }
    if (!req->yes) {
        fprintf(req->out, "dry run: would swapoff(2) %zu device(s), one after another, rechecking the headroom "
                "before each; nothing changed (add --yes)\n", n);
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        r = swapoff_one(req, j, devs[i].filename, n_done, n);
        if (r < 0)
            return r;
        if (r == 0)
            n_done++;
    }
    return 0;
}

int sg_rollback_swapoff(struct sg_ctx *ctx, const struct sg_config *cfg, struct sg_action_journal *j,
                        json_object *e, bool force, FILE *out)
{
    json_object *before = sg_action_entry_obj(e, "before");
    unsigned id = (unsigned)sg_action_entry_int(e, "id", 0);
    const char *dev = sg_action_entry_str(before, "device");
    int64_t prio = sg_action_entry_int(before, "priority", INT64_MIN);
    _cleanup_(sg_host_sample_clear) struct sg_host_sample hs = { 0 };
    struct sg_swap_device d;
    struct sg_error err = { 0 };
    char safe[PATH_MAX];
    int flags = 0;

    if (!dev || prio == INT64_MIN) {
        sg_log_error("rollback %u: the entry lacks the device or its priority", id);
        return -EINVAL;
    }
    sg_fmt_safe(dev, safe, sizeof(safe));
    if (sg_host_read(&ctx->fs, true, &hs, &err) == 0 && swap_device_now(&hs, dev, &d)) {
        fprintf(out, "%s is already active: nothing to undo\n", safe);
        journal_status(j, id, "rolled-back", "found active again");
        return 0;
    }
    /* A negative priority is one the kernel assigned: let it assign again. */
    if (prio >= 0)
        flags = SWAP_FLAG_PREFER | (((int)prio << SWAP_FLAG_PRIO_SHIFT) & SWAP_FLAG_PRIO_MASK);
    if (swapon(dev, flags) < 0) {
        int r = -errno;

        sg_log_error("rollback %u: swapon(%s): %s", id, safe, strerror(-r));
        return r;
    }
    sg_action_step("change: swapon(2) done");
    fprintf(out, "swapon %s: active again%s\n", safe, prio >= 0 ? " with its old priority" : "");
    journal_status(j, id, "rolled-back", NULL);
    return 0;
}
