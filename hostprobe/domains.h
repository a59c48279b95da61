/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt domains and the QEMU process behind each. */
#pragma once

#include <libvirt/libvirt.h>
#include <sys/types.h>

#include "util/sg-util.h"

struct sg_domain {
    char *name;
    char uuid[VIR_UUID_STRING_BUFLEN];
    int id;                  /* -1 when inactive (virDomainGetID) */
    int state;               /* virDomainState (virDomainGetInfo) */
    int reason;              /* the state's reason (virDomainGetState; stats state.reason), as
                                virDomainPausedReason etc.; -1 unknown */
    uint64_t memory_kib;     /* current memory, KiB (virDomainGetInfo memory) */
    uint64_t max_memory_kib; /* maximum memory = guest RAM size, KiB (virDomainGetInfo maxMem) */
    pid_t pid;               /* QEMU pid, 0 when not running or not found */
    pid_t pidfile_pid;       /* /run/libvirt/qemu/NAME.pid when readable, else 0 */
};

/* "running", "shut off", ... as virsh prints them. */
const char *sg_domain_state_name(int state);

/* Why a domain is paused (a virDomainPausedReason), as `virsh domstate --reason` prints it:
 * "user", "I/O error", "migrating", ...; "unknown" for -1 and reasons it does not know. */
const char *sg_domain_paused_reason_name(int reason);

/* The virDomainPausedReason of a VIR_DOMAIN_EVENT_SUSPENDED event's detail
 * (virDomainEventSuspendedDetailType); VIR_DOMAIN_PAUSED_UNKNOWN for one it does not know. */
int sg_domain_suspended_reason(int detail);

/*
 * Lists domains (active only unless all), sorted active first by id, then
 * inactive by name: one virConnectGetAllDomainStats(STATE | BALLOON, NOWAIT)
 * call (a domain busy in a job is not waited for), virDomainGetInfo only for
 * a record that lacks the state or balloon figures; drivers without the call
 * get sg_domains_list_nojob (memory_kib unknown). Memory from
 * balloon.current and balloon.maximum (KiB), as virDomainGetInfo gives it.
 * Returns the count, or -EIO with err->msg holding libvirt's message, -ENOMEM.
 */
int sg_domains_list(virConnectPtr conn, bool all, struct sg_domain **out, struct sg_error *err);

/*
 * The same list with calls that need no domain job and never reach a QEMU
 * monitor: virConnectListAllDomains, then virDomainGetState and
 * virDomainGetMaxMemory per domain (max_memory_kib from the definition).
 * memory_kib is SG_NONE: the current balloon size can need the monitor. The
 * fall back when the stats call does not answer. Same returns.
 */
int sg_domains_list_nojob(virConnectPtr conn, bool all, struct sg_domain **out, struct sg_error *err);

/*
 * Finds one domain by name, then UUID, then numeric id (as virsh does).
 * With dom_out, also hands over libvirt's handle (the caller virDomainFree()s
 * it) so callers need not look the domain up again.
 * Returns 0, -ENOENT when none matches (err names it), -EIO on libvirt errors.
 */
int sg_domain_lookup(virConnectPtr conn, const char *ref, struct sg_domain *out,
                     virDomainPtr *dom_out, struct sg_error *err);

/*
 * Fills pid and pidfile_pid of every active domain: pidfile_pid from
 * <proc-root>/run/libvirt/qemu/NAME.pid when readable; pid is that pid when
 * its /proc/PID/cmdline carries "-uuid UUID", else the result of one scan of
 * /proc/NUMBER/cmdline for the domains still unresolved (each command line
 * read and parsed once, its -uuid looked up in a hash: works for every
 * libvirt layout, costs one read per process whatever n is).
 * Returns 0 or -errno of opening /proc, -ENOMEM.
 */
int sg_domains_find_pids(const struct sg_fs *fs, struct sg_domain *doms, size_t n);

/*
 * The pid in <proc-root>/run/libvirt/qemu/NAME.pid of an active domain, 0
 * when unreadable or malformed (one small file: no /proc scan). Not proof:
 * check it with sg_pid_has_uuid before trusting it.
 */
pid_t sg_domain_pidfile_pid(const struct sg_fs *fs, const struct sg_domain *d);

/*
 * Fills out from libvirt's handle: name, UUID, id, state and memory
 * (virDomainGetName, virDomainGetUUIDString, virDomainGetID,
 * virDomainGetInfo); pid and pidfile_pid 0. Returns 0, -EIO with err->msg
 * holding libvirt's message, -ENOMEM.
 */
int sg_domain_from_ptr(virDomainPtr dom, struct sg_domain *out, struct sg_error *err);

void sg_domain_clear(struct sg_domain *d);
void sg_domains_free(struct sg_domain *doms, size_t n);
