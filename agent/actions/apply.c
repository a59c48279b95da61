/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The action table, and running an action with the action journal of the
 * configured state directory around it.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "agent/actions/apply.h"

const struct sg_action_def sg_actions[SG_REC__MAX] = {
    [SG_REC_SWAPOFF] = {
        .action = SG_REC_SWAPOFF, .listed = 1, .host = true, .live = true,
        .target = "[DEVICE]",
        .help = "host swap off, device by device (swapoff(2)), only while\n"
                "the headroom check passes; progress while it runs",
        .needs = "CAP_SYS_ADMIN for swapoff(2)",
        .apply = sg_apply_swapoff, .rollback = sg_rollback_swapoff,
    },
    [SG_REC_SWAP_LIMIT] = {
        .action = SG_REC_SWAP_LIMIT, .listed = 2, .live = true,
        .target = "DOMAIN",
        .help = "live: the domain's memory cgroup may not swap (v2\n"
                "memory.swap.max = 0; v1 memsw limit = memory limit)",
        .needs = "write access to the domain's memory cgroup (v2) or a read-write libvirt connection (v1)",
        .apply = sg_apply_swap_limit, .rollback = sg_rollback_swap_limit,
    },
    [SG_REC_PREFETCH] = {
        .action = SG_REC_PREFETCH, .listed = 3, .live = true,
        .target = "DOMAIN",
        .help = "live: process_madvise(MADV_WILLNEED) over the guest-RAM\n"
                "VMA in chunks; VmSwap before and after",
        .needs = "CAP_SYS_PTRACE to read QEMU's memory and CAP_SYS_NICE for process_madvise(2)",
        .apply = sg_apply_prefetch, .rollback = NULL,
    },
    [SG_REC_LOCK_MEMORY] = {
        .action = SG_REC_LOCK_MEMORY, .listed = 4, .live = false,
        .target = "DOMAIN",
        .help = "persistent XML <memoryBacking><locked/>, next boot",
        .needs = "a read-write libvirt connection",
        .apply = sg_apply_lock_memory, .rollback = sg_rollback_domain_xml,
    },
    [SG_REC_HUGEPAGES] = {
        .action = SG_REC_HUGEPAGES, .listed = 5, .live = false,
        .target = "DOMAIN", .options = "[--size 2M|1G]",
        .help = "persistent XML <memoryBacking><hugepages>, next boot",
        .needs = "a read-write libvirt connection",
        .apply = sg_apply_hugepages, .rollback = sg_rollback_domain_xml,
    },
    [SG_REC_OOM_PROTECT] = {
        .action = SG_REC_OOM_PROTECT, .listed = 6, .live = true,
        .target = "DOMAIN",
        .help = "live: oom_score_adj of the QEMU process",
        .needs = "CAP_SYS_RESOURCE to lower oom_score_adj",
        .apply = sg_apply_oom_protect, .rollback = sg_rollback_oom_protect,
    },
    /* recommend's other remedies: printed as commands, not carried out by apply */
    [SG_REC_SWAPPINESS] = { .action = SG_REC_SWAPPINESS },
    [SG_REC_NOVA_FLAVOR] = { .action = SG_REC_NOVA_FLAVOR },
    [SG_REC_DELAY_ACCOUNTING] = { .action = SG_REC_DELAY_ACCOUNTING },
};

#define INTERRUPTED_NOTE "interrupted: the process that applied it died before completing the entry; " \
                         "nothing to undo (what it read back stays in RAM)"

/*
 * Marks "failed" each entry still "applying" of an action with nothing to
 * undo (prefetch): the journal stays locked for the whole of an apply, so an
 * "applying" entry that the holder of the lock finds belongs to a process
 * that died (killed, a power cut) before it completed the entry. Entries of
 * actions with a rollback stay "applying": their rollback decides from the
 * host what is left to restore. A journal that cannot be written now is
 * left as it is (logged).
 */
static void settle_interrupted(struct sg_action_journal *j)
{
    json_object *a = sg_action_journal_entries(j);

    for (size_t i = 0; a && i < json_object_array_length(a); i++) {
        json_object *e = json_object_array_get_idx(a, i);
        const struct sg_action_def *act = sg_action_find(sg_action_entry_str(e, "action"));
        const char *status = sg_action_entry_str(e, "status");
        unsigned id = (unsigned)sg_action_entry_int(e, "id", 0);
        struct sg_error err = { 0 };
        char buf[sizeof(err.msg) + PATH_MAX + 16];

        if (!act || act->rollback || !status || strcmp(status, "applying") != 0)
            continue;
        if (sg_action_journal_set_status(j, id, "failed", INTERRUPTED_NOTE, &err) < 0)
            sg_log_warning("journal entry %u (%s, interrupted): cannot mark it failed: %s", id,
                           sg_action_name(act), sg_error_format(&err, buf, sizeof(buf)));
    }
}

int sg_apply_journal_open(const struct sg_config *cfg, struct sg_action_journal *j)
{
    struct sg_error err = { 0 };
    char buf[sizeof(err.msg) + PATH_MAX + 16];
    int r = sg_action_journal_open(j, cfg->state_dir, &err);

    if (r < 0)
        sg_log_error("action journal: %s%s", sg_error_format(&err, buf, sizeof(buf)),
                     r == -EACCES || r == -EPERM ? " (apply and rollback need root)" : "");
    else
        settle_interrupted(j);
    return r;
}

int sg_apply_run(const struct sg_apply_req *req)
{
    const struct sg_action_def *act;
    struct sg_action_journal j = { .lock_fd = -1 };
    int r;

    if ((unsigned)req->action >= SG_REC__MAX || !sg_rec_action_auto(req->action))
        return -EINVAL;
    act = &sg_actions[req->action];
    if (!act->apply)
        return -EINVAL;
    r = sg_apply_journal_open(req->cfg, &j);
    if (r == 0)
        r = act->apply(req, &j);
    sg_action_journal_close(&j);
    return r;
}

const struct sg_action_def *sg_action_find(const char *name)
{
    int a = name ? sg_rec_action_from_name(name, strlen(name)) : -EINVAL;

    return a >= 0 && sg_actions[a].apply ? &sg_actions[a] : NULL;
}

const struct sg_action_def *sg_action_listed(size_t i)
{
    for (size_t a = 0; a < SG_REC__MAX; a++)
        if (sg_actions[a].apply && sg_actions[a].listed == i + 1)
            return &sg_actions[a];
    return NULL;
}
