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

#include "agent/actions/apply.h"
#include "hostprobe/cgroup.h"
#include "hostprobe/domains.h"
#include "hostprobe/hostmem.h"
#include "hostprobe/oomscan.h"
#include "hostprobe/procfs.h"
#include "hostprobe/smaps.h"
#include "policies/recommend.h"

/* ---- shared ---------------------------------------------------------------- */

/* A running domain, its QEMU process and memory cgroup, looked up now. */
struct live_dom {
    struct sg_domain d;
    virDomainPtr dom;
    struct sg_cgroup cg;
    char safe[300]; /* the name, escaped for messages */
};

static void live_dom_clear(struct live_dom *x)
{
    if (x->dom)
        virDomainFree(x->dom);
    sg_domain_clear(&x->d);
    memset(x, 0, sizeof(*x));
}

static const char *libvirt_msg(void)
{
    const virError *e = virGetLastError();

    return e && e->message ? e->message : "unknown libvirt error";
}

/* Looks ref up: running, its QEMU found by "-uuid" and its memory cgroup located. Logs; -errno. */
static int live_dom_find(struct sg_ctx *ctx, const char *ref, const char *action, struct live_dom *x)
{
    struct sg_error err = { 0 };
    char buf[sizeof(err.msg) + PATH_MAX + 16];
    int r;

    memset(x, 0, sizeof(*x));
    if (!ref) {
        sg_log_error("apply %s: which domain? (apply %s DOMAIN)", action, action);
        return -EINVAL;
    }
    r = sg_domain_lookup(ctx->conn, ref, &x->d, &x->dom, &err);
    if (r < 0) {
        sg_log_error("apply %s: %s", action, sg_error_format(&err, buf, sizeof(buf)));
        return r;
    }
    sg_fmt_safe(x->d.name, x->safe, sizeof(x->safe));
    if (x->d.id < 0) {
        sg_log_error("apply %s: domain '%s' is not running (a live remedy needs its QEMU process)", action,
                     x->safe);
        return -ESRCH;
    }
    r = sg_domains_find_pids(&ctx->fs, &x->d, 1);
    if (r < 0 || x->d.pid <= 0) {
        sg_log_error("apply %s: domain '%s': no process under %s carries its UUID %s (wrong --proc-root, or "
                     "not allowed to read other processes)",
                     action, x->safe, ctx->fs.proc_path, x->d.uuid);
        return r < 0 ? r : -ESRCH;
    }
    r = sg_cgroup_locate(&ctx->fs, x->d.pid, &x->cg, &err);
    if (r < 0) {
        sg_log_error("apply %s: domain '%s': %s", action, x->safe,
                     r == -ESRCH ? "its QEMU process exited" : sg_error_format(&err, buf, sizeof(buf)));
        return r;
    }
    return 0;
}

/* The same QEMU still runs the domain (rechecked right before acting). */
static int live_dom_recheck(struct sg_ctx *ctx, const struct live_dom *x, const char *action)
{
    if (!sg_pid_has_uuid(&ctx->fs, x->d.pid, x->d.uuid)) {
        sg_log_error("apply %s: domain '%s' changed state: QEMU PID %d is gone; nothing changed", action,
                     x->safe, (int)x->d.pid);
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
static int dry_run_or_recheck(const struct sg_apply_req *req, const struct live_dom *x, const char *action)
{
    if (!req->yes) {
        fprintf(req->out, "dry run: nothing changed (add --yes)\n");
        return 1;
    }
    return live_dom_recheck(req->ctx, x, action);
}

/* Journals an entry or logs why not. */
static int journal_add(struct sg_action_journal *j, const char *action, const char *target, const char *uuid,
                       json_object *before, json_object *after, unsigned *id)
{
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
    virTypedParameterPtr p = NULL;
    int n = 0;

    m->hard_kib = m->swap_hard_kib = VIR_DOMAIN_MEMORY_PARAM_UNLIMITED;
    if (virDomainGetMemoryParameters(dom, NULL, &n, VIR_DOMAIN_AFFECT_LIVE) < 0 || n <= 0)
        return -EIO;
    p = calloc((size_t)n, sizeof(*p));
    if (!p)
        return -ENOMEM;
    if (virDomainGetMemoryParameters(dom, p, &n, VIR_DOMAIN_AFFECT_LIVE) < 0) {
        free(p);
        return -EIO;
    }
    virTypedParamsGetULLong(p, n, VIR_DOMAIN_MEMORY_HARD_LIMIT, &m->hard_kib);
    virTypedParamsGetULLong(p, n, VIR_DOMAIN_MEMORY_SWAP_HARD_LIMIT, &m->swap_hard_kib);
    virTypedParamsClear(p, n);
    free(p);
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

static int swap_limit_v2(const struct sg_apply_req *req, struct sg_action_journal *j, struct live_dom *x)
{
    struct sg_ctx *ctx = req->ctx;
    char rel[PATH_MAX + 64], old[64], now[64];
    unsigned id;
    int r;

    snprintf(rel, sizeof(rel), "%s/memory.swap.max", x->cg.memory_dir);
    r = cg_read(&ctx->fs, rel, old, sizeof(old));
    if (r < 0) {
        sg_log_error("apply swap-limit: %s/%s: %s", ctx->fs.sys_path, rel, strerror(-r));
        return r;
    }
    fprintf(req->out, "domain '%s': cgroup v2 memory cgroup %s\n", x->safe, x->cg.memory_path);
    fprintf(req->out, "  %s/%s: %s -> 0 (no further swap-out for this guest; pages already in swap stay "
            "there: see prefetch; lasts until the guest restarts)\n", ctx->fs.sys_path, rel, old);
    if (strcmp(old, "0") == 0) {
        fprintf(req->out, "already 0: nothing to do\n");
        return 0;
    }
    r = dry_run_or_recheck(req, x, sg_rec_action_name(SG_REC_SWAP_LIMIT));
    if (r != 0)
        return r < 0 ? r : 0;
    r = cg_read(&ctx->fs, rel, now, sizeof(now));
    if (r < 0 || strcmp(now, old) != 0) {
        sg_log_error("apply swap-limit: %s/%s changed while we looked (now %s): nothing changed", ctx->fs.sys_path,
                     rel, r < 0 ? strerror(-r) : now);
        return r < 0 ? r : -ESTALE;
    }
    json_object *before = json_object_new_object(), *after = json_object_new_object();
    json_object_object_add(before, "cgroup_version", json_object_new_int(2));
    json_object_object_add(before, "file", json_object_new_string(rel));
    json_object_object_add(before, "pid", json_object_new_int(x->d.pid));
    json_object_object_add(before, "swap_max", json_object_new_string(old));
    json_object_object_add(after, "swap_max", json_object_new_string("0"));
    r = journal_add(j, sg_rec_action_name(SG_REC_SWAP_LIMIT), x->d.name, x->d.uuid, before, after, &id);
    if (r < 0)
        return r;
    r = cg_write(&ctx->fs, rel, "0");
    if (r < 0) {
        journal_status(j, id, "failed", strerror(-r));
        sg_log_error("apply swap-limit: writing 0 to %s/%s: %s; nothing changed", ctx->fs.sys_path, rel,
                     strerror(-r));
        return r;
    }
    journal_status(j, id, "applied", NULL);
    fprintf(req->out, "applied (journal entry %u): memory.swap.max = 0; undo: swapguard rollback %u --yes\n", id, id);
    return 0;
}

static int swap_limit_v1(const struct sg_apply_req *req, struct sg_action_journal *j, struct live_dom *x)
{
    struct sg_ctx *ctx = req->ctx;
    struct memtune m, again;
    char rel[PATH_MAX + 64], usage[64], b1[32], b2[32];
    uint64_t memsw = 0, l;
    unsigned id;
    int r;

    if (memtune_get(x->dom, &m) < 0) {
        sg_log_error("apply swap-limit: domain '%s': virDomainGetMemoryParameters: %s", x->safe, libvirt_msg());
        return -EIO;
    }
    fprintf(req->out, "domain '%s': cgroup v1 memory cgroup %s; hard_limit %s, swap_hard_limit %s\n", x->safe,
            x->cg.memory_path, kib_text(m.hard_kib, b1, sizeof(b1)), kib_text(m.swap_hard_kib, b2, sizeof(b2)));
    if (m.hard_kib >= VIR_DOMAIN_MEMORY_PARAM_UNLIMITED) {
        sg_log_error("apply swap-limit: domain '%s' has no memory limit (hard_limit unlimited): on cgroup v1 "
                     "the swap limit is memory+swap, meaningless without one. Setting a memory limit is a "
                     "decision of its own: virsh memtune --domain NAME --hard-limit KIB (guest RAM + QEMU "
                     "overhead = %" PRIu64 " KiB); refused, nothing changed",
                     x->safe, x->d.max_memory_kib + req->cfg->rec.qemu_overhead_kib);
        return -EPERM;
    }
    l = sg_swap_limit_v1_kib(m.hard_kib, x->d.max_memory_kib, req->cfg->rec.qemu_overhead_kib);
    snprintf(rel, sizeof(rel), "%s/memory.memsw.usage_in_bytes", x->cg.memory_dir);
    r = cg_read(&ctx->fs, rel, usage, sizeof(usage));
    if (r < 0 || sg_parse_u64(usage, strlen(usage), &memsw) < 0) {
        sg_log_error("apply swap-limit: %s/%s: %s (cgroup v1 swap accounting is off: boot with "
                     "swapaccount=1); refused, nothing changed",
                     ctx->fs.sys_path, rel, r < 0 ? strerror(-r) : "not a number");
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
        sg_log_error("apply swap-limit: domain '%s': memory+swap in use %" PRIu64 " KiB exceeds %" PRIu64
                     " KiB: the kernel would refuse the limit (EBUSY); bring swap back first (apply prefetch); "
                     "refused, nothing changed", x->safe, memsw / 1024, l);
        return -EBUSY;
    }
    r = dry_run_or_recheck(req, x, sg_rec_action_name(SG_REC_SWAP_LIMIT));
    if (r != 0)
        return r < 0 ? r : 0;
    if (memtune_get(x->dom, &again) < 0 || again.hard_kib != m.hard_kib || again.swap_hard_kib != m.swap_hard_kib) {
        sg_log_error("apply swap-limit: domain '%s': its memory parameters changed while we looked; nothing "
                     "changed", x->safe);
        return -ESTALE;
    }
    json_object *before = json_object_new_object(), *after = json_object_new_object();
    json_object_object_add(before, "cgroup_version", json_object_new_int(1));
    json_object_object_add(before, "pid", json_object_new_int(x->d.pid));
    json_object_object_add(before, "hard_limit_kib", json_object_new_int64((int64_t)m.hard_kib));
    json_object_object_add(before, "swap_hard_limit_kib", json_object_new_int64((int64_t)m.swap_hard_kib));
    json_object_object_add(after, "hard_limit_kib", json_object_new_int64((int64_t)l));
    json_object_object_add(after, "swap_hard_limit_kib", json_object_new_int64((int64_t)l));
    r = journal_add(j, sg_rec_action_name(SG_REC_SWAP_LIMIT), x->d.name, x->d.uuid, before, after, &id);
    if (r < 0)
        return r;
    if (memtune_set(x->dom, l, l) < 0) {
        char msg[512];

        snprintf(msg, sizeof(msg), "virDomainSetMemoryParameters: %s", libvirt_msg());
        /* libvirt may have written one of the two: put back what was there. */
        if (memtune_get(x->dom, &again) == 0 &&
            (again.hard_kib != m.hard_kib || again.swap_hard_kib != m.swap_hard_kib))
            memtune_set(x->dom, m.hard_kib, m.swap_hard_kib);
        journal_status(j, id, "failed", msg);
        sg_log_error("apply swap-limit: domain '%s': %s; nothing changed", x->safe, msg);
        return -EIO;
    }
    journal_status(j, id, "applied", NULL);
    fprintf(req->out, "applied (journal entry %u): hard_limit = swap_hard_limit = %" PRIu64 " KiB; undo: "
            "swapguard rollback %u --yes\n", id, l, id);
    return 0;
}

int sg_apply_swap_limit(const struct sg_apply_req *req, struct sg_action_journal *j)
{
    struct live_dom x;
    int r = live_dom_find(req->ctx, req->target, sg_rec_action_name(SG_REC_SWAP_LIMIT), &x);

    if (r == 0) {
        if (x.cg.memory_version == 2)
            r = swap_limit_v2(req, j, &x);
        else if (x.cg.memory_version == 1)
            r = swap_limit_v1(req, j, &x);
        else {
            sg_log_error("apply swap-limit: domain '%s' has no memory cgroup of its own; refused", x.safe);
            r = -ENOENT;
        }
    }
    live_dom_clear(&x);
    return r;
}

/* The domain of entry e, running with the QEMU PID the entry recorded. */
static int rollback_dom(struct sg_ctx *ctx, json_object *e, struct live_dom *x)
{
    const char *uuid = sg_action_entry_str(e, "uuid");
    int r;

    if (!uuid) {
        sg_log_error("rollback: the entry names no domain UUID");
        return -EINVAL;
    }
    r = live_dom_find(ctx, uuid, sg_action_entry_str(e, "action"), x);
    if (r < 0)
        return r;
    if (sg_action_entry_int(sg_action_entry_obj(e, "before"), "pid", 0) != x->d.pid) {
        sg_log_error("rollback: domain '%s' restarted since (QEMU PID %lld then, %d now): the live change "
                     "ended with that QEMU; nothing to undo", x->safe,
                     (long long)sg_action_entry_int(sg_action_entry_obj(e, "before"), "pid", 0), (int)x->d.pid);
        return -ESTALE;
    }
    return 0;
}

int sg_rollback_swap_limit(struct sg_ctx *ctx, const struct sg_config *cfg, struct sg_action_journal *j,
                           json_object *e, bool force, FILE *out)
{
    json_object *before = sg_action_entry_obj(e, "before"), *after = sg_action_entry_obj(e, "after");
    unsigned id = (unsigned)sg_action_entry_int(e, "id", 0);
    struct live_dom x;
    int r = rollback_dom(ctx, e, &x);

    if (r < 0)
        goto out;
    if (sg_action_entry_int(before, "cgroup_version", 0) == 2) {
        char rel[PATH_MAX + 64], now[64];
        const char *old = sg_action_entry_str(before, "swap_max");

        snprintf(rel, sizeof(rel), "%s/memory.swap.max", x.cg.memory_dir);
        if (!old || !sg_action_entry_str(before, "file") || strcmp(sg_action_entry_str(before, "file"), rel) != 0) {
            sg_log_error("rollback %u: the entry's cgroup file is not domain '%s''s %s", id, x.safe, rel);
            r = -ESTALE;
            goto out;
        }
        r = cg_read(&ctx->fs, rel, now, sizeof(now));
        if (r == 0 && strcmp(now, "0") != 0 && !force) {
            sg_log_error("rollback %u: %s is %s, not the 0 swapguard set: changed since; refused (--force "
                         "restores %s anyway)", id, rel, now, old);
            r = -ESTALE;
            goto out;
        }
        r = cg_write(&ctx->fs, rel, old);
        if (r < 0) {
            sg_log_error("rollback %u: writing %s to %s/%s: %s", id, old, ctx->fs.sys_path, rel, strerror(-r));
            goto out;
        }
        fprintf(out, "domain '%s': memory.swap.max restored to %s\n", x.safe, old);
    } else {
        struct memtune m;
        int64_t hard = sg_action_entry_int(before, "hard_limit_kib", -1), swap = sg_action_entry_int(before, "swap_hard_limit_kib", -1);
        char b1[32], b2[32];

        if (hard <= 0 || swap <= 0) {
            sg_log_error("rollback %u: the entry lacks the old hard_limit_kib/swap_hard_limit_kib", id);
            r = -EINVAL;
            goto out;
        }
        if (memtune_get(x.dom, &m) < 0) {
            sg_log_error("rollback %u: domain '%s': virDomainGetMemoryParameters: %s", id, x.safe, libvirt_msg());
            r = -EIO;
            goto out;
        }
        if (((int64_t)m.hard_kib != sg_action_entry_int(after, "hard_limit_kib", -2) ||
             (int64_t)m.swap_hard_kib != sg_action_entry_int(after, "swap_hard_limit_kib", -2)) && !force) {
            sg_log_error("rollback %u: domain '%s' has hard_limit %s, swap_hard_limit %s, not what swapguard "
                         "set: changed since; refused (--force restores the old values anyway)", id, x.safe,
                         kib_text(m.hard_kib, b1, sizeof(b1)), kib_text(m.swap_hard_kib, b2, sizeof(b2)));
            r = -ESTALE;
            goto out;
        }
        /* Lowering the memory limit makes the kernel reclaim down to it first; it answers EBUSY
         * when it has not got there yet. Reclaim goes on between tries. */
        for (int attempt = 1; (r = memtune_set(x.dom, (unsigned long long)hard, (unsigned long long)swap)) < 0 &&
                              attempt < 10; attempt++) {
            struct timespec ts = { .tv_sec = 1 };

            fprintf(out, "  not yet (%s); trying again\n", libvirt_msg());
            nanosleep(&ts, NULL);
        }
        if (r < 0) {
            struct memtune now;

            sg_log_error("rollback %u: domain '%s': virDomainSetMemoryParameters: %s (now: hard_limit %s, "
                         "swap_hard_limit %s; entry left applied, try again)", id, x.safe, libvirt_msg(),
                         memtune_get(x.dom, &now) == 0 ? kib_text(now.hard_kib, b1, sizeof(b1)) : "?",
                         memtune_get(x.dom, &now) == 0 ? kib_text(now.swap_hard_kib, b2, sizeof(b2)) : "?");
            r = -EIO;
            goto out;
        }
        fprintf(out, "domain '%s': hard_limit restored to %s, swap_hard_limit to %s\n", x.safe,
                kib_text((unsigned long long)hard, b1, sizeof(b1)), kib_text((unsigned long long)swap, b2, sizeof(b2)));
    }
    journal_status(j, id, "rolled-back", NULL);
out:
    live_dom_clear(&x);
    return r;
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
 * after each 10 % on out.
 */
static int prefetch_range(const struct sg_fs *fs, pid_t pid, uint64_t start, uint64_t end, uint64_t chunk,
                          FILE *out)
{
    _cleanup_close_ int pidfd = -1, mem = -1;
    _cleanup_free_ char *buf = NULL;
    char rel[64];
    uint64_t done = 0, total = end - start, next_report = total / 10;

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
        done += len;
        if (done >= next_report || done == total) {
            uint64_t swap = 0;

            vm_swap_now(fs, pid, &swap);
            fprintf(out, "  %3u %%  %" PRIu64 " of %" PRIu64 " MiB read back, VmSwap now %" PRIu64 " KiB\n",
                    (unsigned)(done * 100 / total), done >> 20, total >> 20, swap);
            fflush(out);
            next_report = done + total / 10;
        }
    }
    return 0;
}

int sg_apply_prefetch(const struct sg_apply_req *req, struct sg_action_journal *j)
{
    struct sg_ctx *ctx = req->ctx;
    struct sg_error err = { 0 };
    struct sg_host_sample hs = { 0 };
    struct sg_cgroup_stats cs;
    struct sg_guest_ram gr;
    struct live_dom x;
    char text[400], ebuf[sizeof(err.msg) + PATH_MAX + 16];
    uint64_t swap_before = 0, swap_after = 0, chunk = req->cfg->prefetch_chunk_kib * 1024;
    unsigned id = 0;
    int r = live_dom_find(ctx, req->target, sg_rec_action_name(SG_REC_PREFETCH), &x);

    if (r < 0)
        goto out;
    r = sg_guest_ram_read(&ctx->fs, x.d.pid, x.d.max_memory_kib, &gr, &err);
    if (r < 0 || !gr.found) {
        sg_log_error("apply prefetch: domain '%s': %s", x.safe,
                     r < 0 ? sg_error_format(&err, ebuf, sizeof(ebuf))
                           : "no mapping of the guest's RAM size in its QEMU's smaps; refused");
        r = r < 0 ? r : -ENOENT;
        goto out;
    }
    r = vm_swap_now(&ctx->fs, x.d.pid, &swap_before);
    if (r < 0)
        goto gone;
    fprintf(req->out, "domain '%s': guest RAM %" PRIx64 "-%" PRIx64 " (%" PRIu64 " KiB, %s) of QEMU PID %d: "
            "%" PRIu64 " KiB in host swap (smaps); VmSwap %" PRIu64 " KiB\n", x.safe, gr.start, gr.end,
            gr.size_kib, gr.backing, (int)x.d.pid, gr.swap_kib, swap_before);
    if (gr.swap_kib == 0) {
        fprintf(req->out, "none of its guest RAM is in host swap: nothing to do\n");
        r = 0;
        goto out;
    }
    r = sg_host_read(&ctx->fs, false, &hs, &err);
    if (r < 0) {
        sg_log_error("apply prefetch: %s", sg_error_format(&err, ebuf, sizeof(ebuf)));
        goto out;
    }
    if (!sg_prefetch_fits(req->cfg->rec.host_reserve_kib, hs.mem.mem_available_kib, gr.swap_kib, text,
                          sizeof(text))) {
        sg_log_error("apply prefetch: domain '%s': %s", x.safe, text);
        r = -ENOMEM;
        goto out;
    }
    fprintf(req->out, "  host: %s\n", text);
    if (x.cg.memory_version && sg_cgroup_read(&ctx->fs, &x.cg, &cs, &err) == 0 && cs.limit_bytes != SG_NONE &&
        cs.limit_bytes != SG_UNLIMITED) {
        uint64_t room = cs.limit_bytes > cs.usage_bytes ? (cs.limit_bytes - cs.usage_bytes) / 1024 : 0;

        if (room < gr.swap_kib) {
            sg_log_error("apply prefetch: domain '%s': its memory cgroup limit %" PRIu64 " KiB leaves %" PRIu64
                         " KiB free, less than the %" PRIu64 " KiB swapped: reading it back would push other guest "
                         "pages out to swap; raise the limit first (virsh memtune --hard-limit); refused",
                         x.safe, cs.limit_bytes / 1024, room, gr.swap_kib);
            r = -ENOMEM;
            goto out;
        }
        fprintf(req->out, "  memory cgroup: limit %" PRIu64 " KiB leaves %" PRIu64 " KiB >= swapped: holds\n",
                cs.limit_bytes / 1024, room);
    }
    if (req->yes && (!have_cap(CAP_SYS_NICE) || !have_cap(CAP_SYS_PTRACE))) {
        sg_log_error("apply prefetch: process_madvise(2) on another process needs CAP_SYS_NICE and reading "
                     "its memory CAP_SYS_PTRACE; this process lacks one; refused, nothing changed");
        r = -EPERM;
        goto out;
    }
    fprintf(req->out, "  would read it back: process_madvise(MADV_WILLNEED) + a read through /proc/%d/mem, "
            "%" PRIu64 " MiB at a time\n", (int)x.d.pid, chunk >> 20);
    r = dry_run_or_recheck(req, &x, sg_rec_action_name(SG_REC_PREFETCH));
    if (r != 0) {
        r = r < 0 ? r : 0;
        goto out;
    }
    {
        json_object *before = json_object_new_object(), *after = json_object_new_object();

        json_object_object_add(before, "pid", json_object_new_int(x.d.pid));
        json_object_object_add(before, "vm_swap_kib", json_object_new_int64((int64_t)swap_before));
        json_object_object_add(before, "guest_ram_swap_kib", json_object_new_int64((int64_t)gr.swap_kib));
        json_object_object_add(after, "read_back", json_object_new_string("guest-RAM mapping"));
        r = journal_add(j, sg_rec_action_name(SG_REC_PREFETCH), x.d.name, x.d.uuid, before, after, &id);
        if (r < 0)
            goto out;
    }
    r = prefetch_range(&ctx->fs, x.d.pid, gr.start, gr.end, chunk, req->out);
    if (r < 0) {
        journal_status(j, id, "failed", strerror(-r));
        sg_log_error("apply prefetch: domain '%s': %s (what was read back stays in RAM)", x.safe,
                     r == -EINVAL ? "process_madvise(MADV_WILLNEED) refused (Linux >= 5.15 needed)" : strerror(-r));
        goto out;
    }
    vm_swap_now(&ctx->fs, x.d.pid, &swap_after);
    {
        json_object *e = sg_action_journal_get(j, id), *after = sg_action_entry_obj(e, "after");

        if (after)
            json_object_object_add(after, "vm_swap_kib", json_object_new_int64((int64_t)swap_after));
    }
    journal_status(j, id, "applied", NULL);
    fprintf(req->out, "applied (journal entry %u): VmSwap %" PRIu64 " KiB before, %" PRIu64 " KiB after\n", id,
            swap_before, swap_after);
    r = 0;
    goto out;
gone:
    sg_log_error("apply prefetch: domain '%s': its QEMU process exited; nothing changed", x.safe);
out:
    sg_host_sample_clear(&hs);
    live_dom_clear(&x);
    return r;
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
    int target = req->cfg->rec.oom_score_adj_critical, old, now;
    struct live_dom x;
    unsigned id;
    int r = live_dom_find(ctx, req->target, sg_rec_action_name(SG_REC_OOM_PROTECT), &x);

    if (r < 0)
        goto out;
    r = sg_oom_score_adj_read(&ctx->fs, x.d.pid, &old);
    if (r < 0) {
        sg_log_error("apply oom-protect: %s/%d/oom_score_adj: %s", ctx->fs.proc_path, (int)x.d.pid, strerror(-r));
        goto out;
    }
    fprintf(req->out, "domain '%s': QEMU PID %d oom_score_adj %d -> %d ([recommend] oom_score_adj_critical); "
            "the OOM killer then picks another process; lost when QEMU restarts\n", x.safe, (int)x.d.pid, old,
            target);
    if (old <= target) {
        fprintf(req->out, "already %d: nothing to do\n", old);
        goto out;
    }
    if (req->yes && !have_cap(CAP_SYS_RESOURCE)) {
        sg_log_error("apply oom-protect: lowering oom_score_adj needs CAP_SYS_RESOURCE, which this process "
                     "lacks (a container or a restricted root?); refused, nothing changed");
        r = -EPERM;
        goto out;
    }
    r = dry_run_or_recheck(req, &x, sg_rec_action_name(SG_REC_OOM_PROTECT));
    if (r != 0) {
        r = r < 0 ? r : 0;
        goto out;
    }
    if (sg_oom_score_adj_read(&ctx->fs, x.d.pid, &now) < 0 || now != old) {
        sg_log_error("apply oom-protect: oom_score_adj of PID %d changed while we looked; nothing changed",
                     (int)x.d.pid);
        r = -ESTALE;
        goto out;
    }
    {
        json_object *before = json_object_new_object(), *after = json_object_new_object();

        json_object_object_add(before, "pid", json_object_new_int(x.d.pid));
        json_object_object_add(before, "oom_score_adj", json_object_new_int(old));
        json_object_object_add(after, "oom_score_adj", json_object_new_int(target));
        r = journal_add(j, sg_rec_action_name(SG_REC_OOM_PROTECT), x.d.name, x.d.uuid, before, after, &id);
        if (r < 0)
            goto out;
    }
    r = write_oom_score_adj(&ctx->fs, x.d.pid, target);
    if (r < 0) {
        journal_status(j, id, "failed", strerror(-r));
        sg_log_error("apply oom-protect: writing %s/%d/oom_score_adj: %s%s; nothing changed", ctx->fs.proc_path,
                     (int)x.d.pid, strerror(-r), r == -EACCES ? " (lowering it needs CAP_SYS_RESOURCE)" : "");
        goto out;
    }
    journal_status(j, id, "applied", NULL);
    fprintf(req->out, "applied (journal entry %u): oom_score_adj %d; undo: swapguard rollback %u --yes\n", id,
            target, id);
out:
    live_dom_clear(&x);
    return r;
}

int sg_rollback_oom_protect(struct sg_ctx *ctx, const struct sg_config *cfg, struct sg_action_journal *j,
                            json_object *e, bool force, FILE *out)
{
    json_object *before = sg_action_entry_obj(e, "before"), *after = sg_action_entry_obj(e, "after");
    unsigned id = (unsigned)sg_action_entry_int(e, "id", 0);
    int64_t old = sg_action_entry_int(before, "oom_score_adj", INT64_MIN);
    struct live_dom x;
    int now, r = rollback_dom(ctx, e, &x);

    if (r < 0)
        goto out;
    if (old < -1000 || old > 1000) {
        sg_log_error("rollback %u: the entry lacks the old oom_score_adj", id);
        r = -EINVAL;
        goto out;
    }
    r = sg_oom_score_adj_read(&ctx->fs, x.d.pid, &now);
    if (r == 0 && now != sg_action_entry_int(after, "oom_score_adj", INT64_MIN) && !force) {
        sg_log_error("rollback %u: QEMU PID %d has oom_score_adj %d, not what swapguard set: changed since; "
                     "refused (--force restores %lld anyway)", id, (int)x.d.pid, now, (long long)old);
        r = -ESTALE;
        goto out;
    }
    r = write_oom_score_adj(&ctx->fs, x.d.pid, (int)old);
    if (r < 0) {
        sg_log_error("rollback %u: writing %s/%d/oom_score_adj: %s", id, ctx->fs.proc_path, (int)x.d.pid,
                     strerror(-r));
        goto out;
    }
    fprintf(out, "domain '%s': QEMU PID %d oom_score_adj restored to %lld\n", x.safe, (int)x.d.pid, (long long)old);
    journal_status(j, id, "rolled-back", NULL);
out:
    live_dom_clear(&x);
    return r;
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

int sg_apply_swapoff(const struct sg_apply_req *req, struct sg_action_journal *j)
{
    struct sg_ctx *ctx = req->ctx;
    const struct sg_config *cfg = req->cfg;
    struct sg_host_sample hs = { 0 };
    struct sg_error err = { 0 };
    char text[400], ebuf[sizeof(err.msg) + PATH_MAX + 16], safe[PATH_MAX];
    struct sg_swap_device *devs = NULL;
    size_t n = 0, n_done = 0;
    uint64_t used = 0;
    int r;

    r = sg_host_read(&ctx->fs, true, &hs, &err);
    if (r < 0) {
        sg_log_error("apply swapoff: %s", sg_error_format(&err, ebuf, sizeof(ebuf)));
        return r;
    }
    devs = calloc(hs.n_swaps + 1, sizeof(*devs));
    if (!devs) {
        r = -ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < hs.n_swaps; i++)
        if (!req->target || strcmp(hs.swaps[i].filename, req->target) == 0)
            devs[n++] = hs.swaps[i];
    if (n == 0) {
        if (req->target)
            sg_log_error("apply swapoff: %s is not an active swap device (%s/swaps)",
                         sg_fmt_safe(req->target, safe, sizeof(safe)), ctx->fs.proc_path);
        else
            fprintf(req->out, "the host has no active swap: nothing to do\n");
        r = req->target ? -ENOENT : 0;
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        used += devs[i].used_kib;
    /* The whole request first: every device's pages must fit together. */
    if (!sg_swapoff_fits(cfg->rec.host_reserve_kib, hs.mem.mem_available_kib, used, text, sizeof(text))) {
        sg_log_error("apply swapoff: %s ([recommend] host_reserve_mib; `swapguard recommend` shows who the OOM "
                     "killer would pick); nothing changed", text);
        r = -ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        fprintf(req->out, "swap device %s (%s): %" PRIu64 " KiB of %" PRIu64 " KiB used, priority %d\n",
                sg_fmt_safe(devs[i].filename, safe, sizeof(safe)), devs[i].type, devs[i].used_kib,
                devs[i].size_kib, devs[i].priority);
    fprintf(req->out, "  %s\n", text);
    if (req->yes && !have_cap(CAP_SYS_ADMIN)) {
        sg_log_error("apply swapoff: swapoff(2) needs CAP_SYS_ADMIN, which this process lacks; refused, nothing "
                     "changed");
        r = -EPERM;
        goto out;
    }
    if (!req->yes) {
        fprintf(req->out, "dry run: would swapoff(2) %zu device(s), one after another, rechecking the headroom "
                "before each; nothing changed (add --yes)\n", n);
        r = 0;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        struct sg_host_sample now = { 0 };
        struct sg_swap_device dev;
        json_object *before, *after;
        unsigned id;

        sg_fmt_safe(devs[i].filename, safe, sizeof(safe));
        /* Right before acting: this device's pages must fit in what is available now. */
        r = sg_host_read(&ctx->fs, true, &now, &err);
        if (r < 0) {
            sg_log_error("apply swapoff: %s", sg_error_format(&err, ebuf, sizeof(ebuf)));
            goto out;
        }
        if (!swap_device_now(&now, devs[i].filename, &dev)) {
            fprintf(req->out, "%s: no longer active, skipped\n", safe);
            sg_host_sample_clear(&now);
            continue;
        }
        if (!sg_swapoff_fits(cfg->rec.host_reserve_kib, now.mem.mem_available_kib, dev.used_kib, text,
                             sizeof(text))) {
            sg_host_sample_clear(&now);
            sg_log_error("apply swapoff: %s: %s; refused (%zu of %zu devices done, each journaled)", safe, text,
                         n_done, n);
            r = -ENOMEM;
            goto out;
        }
        sg_host_sample_clear(&now);
        before = json_object_new_object();
        after = json_object_new_object();
        json_object_object_add(before, "device", json_object_new_string(dev.filename));
        json_object_object_add(before, "priority", json_object_new_int(dev.priority));
        json_object_object_add(before, "size_kib", json_object_new_int64((int64_t)dev.size_kib));
        json_object_object_add(before, "used_kib", json_object_new_int64((int64_t)dev.used_kib));
        json_object_object_add(after, "active", json_object_new_boolean(false));
        r = journal_add(j, sg_rec_action_name(SG_REC_SWAPOFF), dev.filename, NULL, before, after, &id);
        if (r < 0)
            goto out;
        fprintf(req->out, "swapoff %s: %s; reading %" PRIu64 " KiB back into RAM\n", safe, text, dev.used_kib);
        fflush(req->out);
        r = swapoff_with_progress(&ctx->fs, dev.filename, req->out);
        if (r < 0) {
            journal_status(j, id, "failed", strerror(-r));
            sg_log_error("apply swapoff: swapoff(%s): %s%s", safe, strerror(-r),
                         r == -ENOMEM ? " (the kernel found no room for the pages; the device stays on)" : "");
            goto out;
        }
        journal_status(j, id, "applied", NULL);
        n_done++;
        fprintf(req->out, "applied (journal entry %u): %s is off; undo: swapguard rollback %u --yes\n", id, safe,
                id);
    }
    r = 0;
out:
    free(devs);
    sg_host_sample_clear(&hs);
    return r;
}

int sg_rollback_swapoff(struct sg_ctx *ctx, const struct sg_config *cfg, struct sg_action_journal *j,
                        json_object *e, bool force, FILE *out)
{
    json_object *before = sg_action_entry_obj(e, "before");
    unsigned id = (unsigned)sg_action_entry_int(e, "id", 0);
    const char *dev = sg_action_entry_str(before, "device");
    int64_t prio = sg_action_entry_int(before, "priority", INT64_MIN);
    struct sg_host_sample hs = { 0 };
    struct sg_swap_device d;
    struct sg_error err = { 0 };
    char safe[PATH_MAX];
    int flags = 0, r;

    if (!dev || prio == INT64_MIN) {
        sg_log_error("rollback %u: the entry lacks the device or its priority", id);
        return -EINVAL;
    }
    sg_fmt_safe(dev, safe, sizeof(safe));
    r = sg_host_read(&ctx->fs, true, &hs, &err);
    if (r == 0 && swap_device_now(&hs, dev, &d)) {
        sg_host_sample_clear(&hs);
        fprintf(out, "%s is already active: nothing to undo\n", safe);
        journal_status(j, id, "rolled-back", "found active again");
        return 0;
    }
    sg_host_sample_clear(&hs);
    /* A negative priority is one the kernel assigned: let it assign again. */
    if (prio >= 0)
        flags = SWAP_FLAG_PREFER | (((int)prio << SWAP_FLAG_PRIO_SHIFT) & SWAP_FLAG_PRIO_MASK);
    if (swapon(dev, flags) < 0) {
        r = -errno;
        sg_log_error("rollback %u: swapon(%s): %s", id, safe, strerror(-r));
        return r;
    }
    fprintf(out, "swapon %s: active again%s\n", safe, prio >= 0 ? " with its old priority" : "");
    journal_status(j, id, "rolled-back", NULL);
    return 0;
}
