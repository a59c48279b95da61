/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "domains.h"

#include <libvirt/virterror.h>
#include <string.h>

#include "procfs.h"

const char *sg_domain_state_name(int state)
{
    static const char *const names[] = {
        [VIR_DOMAIN_NOSTATE] = "no state",
        [VIR_DOMAIN_RUNNING] = "running",
        [VIR_DOMAIN_BLOCKED] = "idle",
        [VIR_DOMAIN_PAUSED] = "paused",
        [VIR_DOMAIN_SHUTDOWN] = "in shutdown",
        [VIR_DOMAIN_SHUTOFF] = "shut off",
        [VIR_DOMAIN_CRASHED] = "crashed",
        [VIR_DOMAIN_PMSUSPENDED] = "pmsuspended",
    };
    if (state < 0 || (size_t)state >= SG_ELEMENTSOF(names) || !names[state])
        return "unknown";
    return names[state];
}

const char *sg_domain_paused_reason_name(int reason)
{
    static const char *const names[] = {
        [VIR_DOMAIN_PAUSED_UNKNOWN] = "unknown",
        [VIR_DOMAIN_PAUSED_USER] = "user",
        [VIR_DOMAIN_PAUSED_MIGRATION] = "migrating",
        [VIR_DOMAIN_PAUSED_SAVE] = "saving",
        [VIR_DOMAIN_PAUSED_DUMP] = "dumping",
        [VIR_DOMAIN_PAUSED_IOERROR] = "I/O error",
        [VIR_DOMAIN_PAUSED_WATCHDOG] = "watchdog",
        [VIR_DOMAIN_PAUSED_FROM_SNAPSHOT] = "from snapshot",
        [VIR_DOMAIN_PAUSED_SHUTTING_DOWN] = "shutting down",
        [VIR_DOMAIN_PAUSED_SNAPSHOT] = "creating snapshot",
        [VIR_DOMAIN_PAUSED_CRASHED] = "crashed",
        [VIR_DOMAIN_PAUSED_STARTING_UP] = "starting up",
        [VIR_DOMAIN_PAUSED_POSTCOPY] = "post-copy",
        [VIR_DOMAIN_PAUSED_POSTCOPY_FAILED] = "post-copy failed",
    };
    if (reason < 0 || (size_t)reason >= SG_ELEMENTSOF(names) || !names[reason])
        return "unknown";
    return names[reason];
}

int sg_domain_suspended_reason(int detail)
{
    switch (detail) {
    case VIR_DOMAIN_EVENT_SUSPENDED_PAUSED: return VIR_DOMAIN_PAUSED_USER;
    case VIR_DOMAIN_EVENT_SUSPENDED_MIGRATED: return VIR_DOMAIN_PAUSED_MIGRATION;
    case VIR_DOMAIN_EVENT_SUSPENDED_IOERROR: return VIR_DOMAIN_PAUSED_IOERROR;
    case VIR_DOMAIN_EVENT_SUSPENDED_WATCHDOG: return VIR_DOMAIN_PAUSED_WATCHDOG;
    case VIR_DOMAIN_EVENT_SUSPENDED_RESTORED: return VIR_DOMAIN_PAUSED_SAVE;
    case VIR_DOMAIN_EVENT_SUSPENDED_FROM_SNAPSHOT: return VIR_DOMAIN_PAUSED_FROM_SNAPSHOT;
    case VIR_DOMAIN_EVENT_SUSPENDED_POSTCOPY: return VIR_DOMAIN_PAUSED_POSTCOPY;
    case VIR_DOMAIN_EVENT_SUSPENDED_POSTCOPY_FAILED: return VIR_DOMAIN_PAUSED_POSTCOPY_FAILED;
    default: return VIR_DOMAIN_PAUSED_UNKNOWN;
    }
}

static int libvirt_error(struct sg_error *err, const char *what)
{
    sg_error_set(err, NULL, NULL, 0, "%s: %s", what, virGetLastErrorMessage());
    return -EIO;
}

/* name, UUID and id of the handle into out (virDomainGetName, GetUUIDString, GetID: no call
 * reaches libvirtd); the other fields as they are. */
static int from_ptr_ident(virDomainPtr dom, struct sg_domain *out, struct sg_error *err)
{
    const char *name = virDomainGetName(dom);
    unsigned int id;

    if (!name || virDomainGetUUIDString(dom, out->uuid) < 0)
        return libvirt_error(err, "cannot read domain information");
    out->name = strdup(name);
    if (!out->name)
        return -ENOMEM;
    id = virDomainGetID(dom);
    out->id = id == (unsigned int)-1 ? -1 : (int)id;
    return 0;
}

int sg_domain_from_ptr(virDomainPtr dom, struct sg_domain *out, struct sg_error *err)
{
    virDomainInfo info;
    int state, reason;

    memset(out, 0, sizeof(*out));
    if (virDomainGetInfo(dom, &info) < 0)
        return libvirt_error(err, "cannot read domain information");
    out->state = info.state;
    /* The reason needs virDomainGetState (no job); unknown when it fails. */
    out->reason = virDomainGetState(dom, &state, &reason, 0) == 0 && state == out->state ? reason : -1;
    virResetLastError();
    out->memory_kib = info.memory;
    out->max_memory_kib = info.maxMem;
    return from_ptr_ident(dom, out, err);
}

static int dom_cmp(const void *a, const void *b)
{
    const struct sg_domain *x = a, *y = b;
    if ((x->id >= 0) != (y->id >= 0))
        return x->id >= 0 ? -1 : 1;
    if (x->id >= 0)
        return (x->id > y->id) - (x->id < y->id);
    return strcmp(x->name, y->name);
}

/* state and memory of one stats record; false when it lacks them (then virDomainGetInfo). */
static bool from_stats(virDomainStatsRecordPtr rec, struct sg_domain *out)
{
    bool has_state = false, has_cur = false, has_max = false;

    out->reason = -1;
    for (int k = 0; k < rec->nparams; k++) {
        const virTypedParameter *p = &rec->params[k];

        if (strcmp(p->field, "state.state") == 0 && p->type == VIR_TYPED_PARAM_INT) {
            out->state = p->value.i;
            has_state = true;
        } else if (strcmp(p->field, "state.reason") == 0 && p->type == VIR_TYPED_PARAM_INT) {
            out->reason = p->value.i;
        } else if (strcmp(p->field, "balloon.current") == 0 && p->type == VIR_TYPED_PARAM_ULLONG) {
            out->memory_kib = p->value.ul;
            has_cur = true;
        } else if (strcmp(p->field, "balloon.maximum") == 0 && p->type == VIR_TYPED_PARAM_ULLONG) {
            out->max_memory_kib = p->value.ul;
            has_max = true;
        }
    }
    return has_state && has_cur && has_max;
}

/*
 * Every domain with one call: virConnectGetAllDomainStats(STATE | BALLOON) with
 * NOWAIT, so a domain busy in a job (migrating, stuck in its monitor) is not
 * waited for; a record without the figures (that domain, or a driver without
 * balloon stats) falls back to virDomainGetInfo for it. -ENOTSUP when the
 * driver lacks the call (then the caller lists the old way).
 */
static int list_by_stats(virConnectPtr conn, bool all, struct sg_domain **out, struct sg_error *err)
{
    virDomainStatsRecordPtr *recs = NULL;
    unsigned flags = VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT;
    struct sg_domain *v;
    int n, r = 0;

    if (!all)
        flags |= VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE;
    n = virConnectGetAllDomainStats(conn, VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_BALLOON, &recs,
                                    flags);
    if (n < 0) {
        virErrorPtr e = virGetLastError();
        if (e && (e->code == VIR_ERR_NO_SUPPORT || e->code == VIR_ERR_INVALID_ARG ||
                  e->code == VIR_ERR_ARGUMENT_UNSUPPORTED)) {
            virResetLastError();
            return -ENOTSUP;
        }
        return libvirt_error(err, "cannot list domains");
    }
    v = calloc((size_t)n + 1, sizeof(*v));
    if (!v)
        r = -ENOMEM;
    for (int i = 0; r == 0 && i < n; i++)
        r = from_stats(recs[i], &v[i]) ? from_ptr_ident(recs[i]->dom, &v[i], err)
                                       : sg_domain_from_ptr(recs[i]->dom, &v[i], err);
    virDomainStatsRecordListFree(recs);
    if (r < 0) {
        sg_domains_free(v, (size_t)n);
        return r;
    }
    qsort(v, (size_t)n, sizeof(*v), dom_cmp);
    *out = v;
    return n;
}

int sg_domains_list(virConnectPtr conn, bool all, struct sg_domain **out, struct sg_error *err)
{
    int n = list_by_stats(conn, all, out, err);

    return n != -ENOTSUP ? n : sg_domains_list_nojob(conn, all, out, err);
}

/*
 * As sg_domain_from_ptr, with calls that take the domain's lock but never a
 * job: virDomainGetState and virDomainGetMaxMemory. virDomainGetInfo is not
 * one of them: for a running domain it may ask QEMU for the balloon size, and
 * a QEMU that does not answer holds it. memory_kib is SG_NONE (unknown).
 */
static int from_ptr_nojob(virDomainPtr dom, struct sg_domain *out, struct sg_error *err)
{
    unsigned long max_kib;
    int state, reason;

    memset(out, 0, sizeof(*out));
    if (virDomainGetState(dom, &state, &reason, 0) < 0)
        return libvirt_error(err, "cannot read domain information");
    max_kib = virDomainGetMaxMemory(dom);
    if (max_kib == 0)
        return libvirt_error(err, "cannot read the domain's maximum memory");
    out->state = state;
    out->reason = reason;
    out->memory_kib = SG_NONE;
    out->max_memory_kib = max_kib;
    return from_ptr_ident(dom, out, err);
}

int sg_domains_list_nojob(virConnectPtr conn, bool all, struct sg_domain **out, struct sg_error *err)
{
    virDomainPtr *list = NULL;
    struct sg_domain *v;
    int n, r = 0;

    n = virConnectListAllDomains(conn, &list, all ? 0 : VIR_CONNECT_LIST_DOMAINS_ACTIVE);
    if (n < 0)
        return libvirt_error(err, "cannot list domains");
    v = calloc((size_t)n + 1, sizeof(*v));
    if (!v)
        r = -ENOMEM;
    for (int i = 0; i < n; i++) {
        if (r == 0)
            r = from_ptr_nojob(list[i], &v[i], err);
        virDomainFree(list[i]);
    }
    free(list);
    if (r < 0) {
        sg_domains_free(v, (size_t)n);
        return r;
    }
    qsort(v, (size_t)n, sizeof(*v), dom_cmp);
    *out = v;
    return n;
}

int sg_domain_lookup(virConnectPtr conn, const char *ref, struct sg_domain *out,
                     virDomainPtr *dom_out, struct sg_error *err)
{
    virDomainPtr dom;
    uint64_t id;
    int r;

    dom = virDomainLookupByName(conn, ref);
    if (!dom && strlen(ref) == VIR_UUID_STRING_BUFLEN - 1)
        dom = virDomainLookupByUUIDString(conn, ref);
    if (!dom && sg_parse_u64(ref, strlen(ref), &id) == 0 && id <= INT32_MAX)
        dom = virDomainLookupByID(conn, (int)id);
    if (!dom) {
        virErrorPtr e = virGetLastError();
        if (!e || e->code == VIR_ERR_NO_DOMAIN || e->code == VIR_ERR_INVALID_ARG) {
            sg_error_set(err, NULL, NULL, 0, "no domain with a matching name, UUID or id: '%s'",
                         ref);
            return -ENOENT;
        }
        return libvirt_error(err, "cannot look up domain");
    }
    r = sg_domain_from_ptr(dom, out, err);
    if (r == 0 && dom_out)
        *dom_out = dom;
    else
        virDomainFree(dom);
    return r;
}

int sg_domains_find_pids(const struct sg_fs *fs, struct sg_domain *doms, size_t n)
{
    _cleanup_free_ const char **uuids = calloc(n + 1, sizeof(char *));
    _cleanup_free_ pid_t *pids = calloc(n + 1, sizeof(pid_t));
    size_t unresolved = 0;
    int r;

    if (!uuids || !pids)
        return -ENOMEM;
    /* The pid file first (one small file and the process's cmdline each), the /proc scan
     * only for the domains it does not resolve. */
    for (size_t i = 0; i < n; i++) {
        doms[i].pid = 0;
        doms[i].pidfile_pid = sg_domain_pidfile_pid(fs, &doms[i]);
        if (doms[i].id < 0)
            continue;
        if (doms[i].pidfile_pid > 0 && sg_pid_has_uuid(fs, doms[i].pidfile_pid, doms[i].uuid)) {
            doms[i].pid = doms[i].pidfile_pid;
            continue;
        }
        uuids[i] = doms[i].uuid;
        unresolved++;
    }
    if (unresolved == 0)
        return 0;
    r = sg_find_qemu_pids(fs, uuids, n, pids);
    if (r < 0)
        return r;
    for (size_t i = 0; i < n; i++)
        if (uuids[i])
            doms[i].pid = pids[i];
    return 0;
}

pid_t sg_domain_pidfile_pid(const struct sg_fs *fs, const struct sg_domain *d)
{
    char rel[PATH_MAX], buf[32];
    uint64_t v;
    ssize_t len;

    if (fs->run_fd < 0 || d->id < 0 || strchr(d->name, '/'))
        return 0;
    snprintf(rel, sizeof(rel), "libvirt/qemu/%s.pid", d->name);
    len = sg_read_at(fs->run_fd, rel, buf, sizeof(buf));
    if (len <= 0)
        return 0;
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
        buf[--len] = '\0';
    if (sg_parse_u64(buf, (size_t)len, &v) == 0 && v > 0 && v <= INT32_MAX)
        return (pid_t)v;
    return 0;
}

void sg_domain_clear(struct sg_domain *d)
{
    free(d->name);
    d->name = NULL;
}

void sg_domains_free(struct sg_domain *doms, size_t n)
{
    if (!doms)
        return;
    for (size_t i = 0; i < n; i++)
        sg_domain_clear(&doms[i]);
    free(doms);
}
