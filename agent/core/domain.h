/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One domain with what the host knows of it: libvirt's handle and facts, its
 * QEMU process, that process's memory cgroup and, on demand, its vCPU
 * threads. One lookup fills it; every command and the daemon share it.
 */
#pragma once

#include <libvirt/libvirt.h>
#include <stdbool.h>
#include <stddef.h>

#include "agent/core/context.h"
#include "agent/core/lvcall.h"
#include "hostprobe/asyncpf.h"
#include "hostprobe/cgroup.h"
#include "hostprobe/domains.h"
#include "hostprobe/domxml.h"
#include "hostprobe/lostime.h"
#include "hostprobe/procfs.h"
#include "hostprobe/sample.h"

/*
 * What watching keeps of a domain's XML (hostprobe/domxml.h struct sg_domxml, of which it is
 * a copy sized to its strings): the Nova labels and the serial console log path. The strings
 * are never NULL ("" when absent), raw UTF-8 from the tenant's XML (escape them on output).
 * One allocation: free() releases it.
 */
struct sg_dom_meta {
    bool nova;                     /* not a Nova domain: the strings below are "" */
    const char *nova_name, *nova_project_uuid, *nova_project_name, *nova_flavor;
    const char *console_log;       /* absolute path, "" none */
};

/* A struct sg_dom_meta of m, in one allocation (free() it); NULL on ENOMEM. */
struct sg_dom_meta *sg_dom_meta_new(const struct sg_domxml *m);

/* *why replaced by the formatted text, allocated to its length; on ENOMEM *why is NULL
 * (read as ""): a reason is never worth failing for. */
void sg_dom_set_why(char **why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* s, or "" for NULL: the reasons of struct sg_dom. */
static inline const char *sg_dom_why(const char *s)
{
    return s ? s : "";
}

struct sg_dom {
    virDomainPtr dom;              /* libvirt's handle, owned (virDomainFree); NULL until looked up */
    struct sg_domain d;            /* name, UUID, id (-1 inactive), state, memory (KiB), QEMU PID (0: none) */
    struct sg_cgroup cg;           /* QEMU's memory cgroup (cg.memory_version 0: none of its own); valid when located */
    bool located;                  /* d.pid found and cg located */
    struct sg_dom_reader rd;       /* descriptors of the periodic files (sg_collect_open), closed by sg_dom_clear */
    struct sg_vcpu_thread *vcpus;  /* QEMU's vCPU threads, read on demand (sg_dom_read_vcpus); owned */
    size_t n_vcpus;
    /* What collecting over time keeps (agent/core/collect.h sg_collect_open): */
    struct sg_tp_counters *apf;    /* async-PF counters of the vCPU threads; NULL when unavailable */
    char *apf_missing;             /* why they are unavailable; owned, sized to its length (sg_dom_why) */
    struct sg_taskstats_conn *taskstats; /* delay accounting, shared by every domain (not owned:
                                            sg_collect_open's); NULL when it could not be opened */
    char *taskstats_missing;       /* why; owned, sized to its length */
    pid_t *vcpu_tids;              /* the vCPU threads collecting follows (sg_collect_open) */
    size_t n_vcpu_tids;
    struct sg_vcpu_lost *vcpu_acc; /* min(n_vcpu_tids, SG_VCPU_LOST_MAX): each followed thread's
                                      vCPU number, TID and looks so far (policies/facts.h) */
    uint64_t looks, looks_dstate, looks_swapin; /* state/wchan looks so far, counters */
    struct sg_block_stats blk;     /* the last block stats read (collect_block), when blk_read */
    double blk_t;                  /* CLOCK_MONOTONIC seconds of that read */
    bool blk_read;
    bool looks_taken;              /* this tick's looks already taken by sg_collect_looks */
    const char *console_log;       /* the serial console log file of the domain XML (in meta), NULL none */
    char *console_missing;         /* why there is none; owned, sized to its length */
    uint64_t console_offset;       /* bytes of it already read */
    uint64_t console_cursor_us;    /* newest console timestamp seen */
    bool console_seen;             /* read once: later reads count what was appended */
    uint64_t hung_cursor_us;       /* newest guest kernel-log timestamp seen: later probes count newer reports only */
    /* The Nova metadata of its XML (meta->nova, nova_name, nova_project_*, nova_flavor), for
       the labels of swapguard_domain_info: read once (sg_dom_read_meta), not per tick. NULL
       until read, or when it could not be; owned. */
    struct sg_dom_meta *meta;
    struct sg_lv_slot lv;          /* its libvirt calls with a deadline (lvcall.h): one outstanding at most */
};

/* sg_dom_lookup flags */
enum {
    /*
     * The domain must be running: find its QEMU process (the one whose
     * /proc/PID/cmdline carries "-uuid UUID", cross-checked with
     * /run/libvirt/qemu/NAME.pid) and locate that process's memory cgroup.
     */
    SG_DOM_LOCATE = 1u << 0,
    /* With SG_DOM_LOCATE: also read the vCPU threads (sg_dom_read_vcpus). */
    SG_DOM_VCPUS = 1u << 1,
};

/*
 * Looks ref up, as virsh does: by name, then UUID, then numeric id
 * (virDomainLookupByName/UUIDString/ID, virDomainGetInfo), over ctx->conn,
 * which must be connected. out is output only (cleared first); the caller
 * sg_dom_clear()s it, on error too: it keeps what was found before the
 * failing step (d.name set once the domain is found, d.pid > 0 once its QEMU
 * is found), so callers can word their messages by step.
 * Returns 0, or
 *   -ENOENT no domain matches, -EIO libvirt failed (err: libvirt's message);
 *   with SG_DOM_LOCATE: -ESRCH the domain is not running (d.id < 0), no
 *   process under ctx->fs.proc_path carries its UUID (d.pid 0; wrong
 *   --proc-root, or not allowed to read other processes), or that process
 *   exited meanwhile; -EINVAL/-EACCES from reading /proc/PID/cgroup or the
 *   cgroup tree (err located); -ENOMEM.
 * err (may be NULL) says why: libvirt's message, "domain 'NAME' is not
 * running", "domain 'NAME': no process under ... carries its UUID ...",
 * "domain 'NAME': its QEMU process exited", or the cgroup reader's located
 * error (which does not name the domain).
 */
int sg_dom_lookup(struct sg_ctx *ctx, const char *ref, unsigned flags, struct sg_dom *out,
                  struct sg_error *err);

/*
 * Reads the vCPU threads of x's QEMU (/proc/PID/task/TID/{comm,stat},
 * threads named "CPU n/KVM" or "CPU n/TCG") into x->vcpus, replacing those
 * read before. x must be located. Returns the count, -ESRCH when the process
 * is gone, -EINVAL (not located, or err located), -ENOMEM.
 */
int sg_dom_read_vcpus(const struct sg_fs *fs, struct sg_dom *x, struct sg_error *err);

/*
 * Reads what watching needs of x's domain XML once into x->meta: the Nova
 * metadata and the serial console log path (virDomainGetXMLDesc(x->dom, 0),
 * one libvirt call; hostprobe/domxml.h sg_domxml_parse_nova: the document is
 * bounded, its strings raw UTF-8 that the outputs escape). A domain that is
 * not Nova's gets meta->nova false.
 * Returns 0 (also when x->meta was already read: nothing is done), -EINVAL
 * without a domain handle or for a document that does not parse, -EIO when
 * libvirt fails (err: libvirt's message), -EFBIG, -ENOMEM; x->meta stays NULL
 * on error.
 */
int sg_dom_read_meta(struct sg_dom *x, struct sg_error *err);

/* Frees what x owns and zeroes it (NULL and repeated calls are fine). */
void sg_dom_clear(struct sg_dom *x);
