/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* swapguard hoststats: host memory, swap devices, swap traffic, PSI, hugepage pools. */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "agent/cli/sampling.h"
#include "hostprobe/hostmem.h"
#include "policies/rates.h"

enum { HOST_OPT_INTERVAL, HOST_OPT_JSON };
static const struct sg_opt_def hoststats_opts[] = {
    [HOST_OPT_INTERVAL] = OPT_INTERVAL,
    [HOST_OPT_JSON] = OPT_JSON,
    { NULL, NULL, NULL },
};

#define KEY(id) (sg_schema_get(id)->key)

static uint64_t kib_diff(uint64_t a, uint64_t b)
{
    return a == SG_NONE || b == SG_NONE || b > a ? SG_NONE : a - b;
}

static void host_figs(const struct sg_ctx *ctx, const struct sg_host_sample *h0,
                      const struct sg_host_sample *h1, struct sg_figs *f)
{
    const struct sg_host_sample *h = h1 ? h1 : h0;
    const struct sg_meminfo *m = &h->mem;
    double dt = h1 ? sg_timespec_diff_s(&h0->t, &h1->t) : 0;
    const char *pp = ctx->fs.proc_path;

#define RATE(id, field) \
    sg_figs_row_double(f, id, 0, h1 ? sg_counter_rate(h0->vm.field, h1->vm.field, dt) : NAN)

    sg_figs_section(f, "Memory (%s/meminfo)", pp);
    sg_figs_row_u64(f, SG_F_HOST_MEM_TOTAL_KIB, 0, m->mem_total_kib);
    sg_figs_row_u64(f, SG_F_HOST_MEM_FREE_KIB, 0, m->mem_free_kib);
    sg_figs_row_u64(f, SG_F_HOST_MEM_AVAILABLE_KIB, 0, m->mem_available_kib);
    sg_figs_row_u64(f, SG_F_HOST_CACHED_KIB, 0, m->cached_kib);
    sg_figs_row_u64(f, SG_F_HOST_ANON_PAGES_KIB, 0, m->anon_pages_kib);
    sg_figs_row_u64(f, SG_F_HOST_SHMEM_KIB, 0, m->shmem_kib);
    sg_figs_row_u64(f, SG_F_HOST_MLOCKED_KIB, 0, m->mlocked_kib);
    sg_figs_row_u64(f, SG_F_HOST_SWAP_TOTAL_KIB, 0, m->swap_total_kib);
    sg_figs_row_u64(f, SG_F_HOST_SWAP_FREE_KIB, 0, m->swap_free_kib);
    sg_figs_row_u64(f, SG_F_HOST_SWAP_USED_KIB, 0, kib_diff(m->swap_total_kib, m->swap_free_kib));
    sg_figs_row_u64(f, SG_F_HOST_SWAP_CACHED_KIB, 0, m->swap_cached_kib);
    sg_figs_row_u64(f, SG_F_HOST_HUGEPAGES_TOTAL, 0, m->hugepages_total);
    sg_figs_row_u64(f, SG_F_HOST_HUGEPAGES_FREE, 0, m->hugepages_free);
    sg_figs_row_u64(f, SG_F_HOST_HUGEPAGESIZE_KIB, 0, m->hugepagesize_kib);

    sg_figs_section(f, "Swap traffic (%s/vmstat; pages)", pp);
    sg_figs_row_u64(f, SG_F_HOST_PSWPIN, 0, h->vm.pswpin);
    sg_figs_row_u64(f, SG_F_HOST_PSWPOUT, 0, h->vm.pswpout);
    sg_figs_row_u64(f, SG_F_HOST_PGMAJFAULT, 0, h->vm.pgmajfault);
    sg_figs_row_u64(f, SG_F_HOST_WORKINGSET_REFAULT_ANON, 0, h->vm.workingset_refault_anon);
    RATE(SG_F_HOST_PSWPIN_PER_S, pswpin);
    RATE(SG_F_HOST_PSWPOUT_PER_S, pswpout);
    RATE(SG_F_HOST_PGMAJFAULT_PER_S, pgmajfault);
    RATE(SG_F_HOST_WORKINGSET_REFAULT_ANON_PER_S, workingset_refault_anon);
#undef RATE

    if (h->has_psi)
        sg_figs_section(f, "Memory pressure (%s/pressure/memory)", pp);
    else
        sg_figs_section(f, "Memory pressure: %s/pressure/memory absent (kernel without PSI)", pp);
    sg_psi_figs(f, h->has_psi ? &h->psi : NULL, true);
}

static int cmd_hoststats(struct sg_ctx *ctx, const struct sg_cmd_args *a)
{
    struct sg_error err = {0};
    struct sg_host_sample h0 = {0}, h1 = {0};
    struct sg_figs f = {0};
    double interval;
    int r;

    if (sg_parse_interval(hoststats_opts, a, HOST_OPT_INTERVAL, &interval) < 0)
        return 1;
    if (a->set[HOST_OPT_JSON])
        ctx->json = true;
    if (sg_ctx_fs(ctx) < 0)
        return 1;
    r = sg_host_read(&ctx->fs, true, &h0, &err);
    if (r < 0)
        return sg_log_error_errno(r, &err);
    if (interval > 0) {
        sg_sleep_s(interval);
        r = sg_host_read(&ctx->fs, false, &h1, &err);
        if (r < 0) {
            sg_host_sample_clear(&h0);
            return sg_log_error_errno(r, &err);
        }
    }
    host_figs(ctx, &h0, interval > 0 ? &h1 : NULL, &f);
    if (ctx->json) {
        json_object *o = json_object_new_object(), *sw = json_object_new_array(),
                    *hp = json_object_new_array();
        json_object_object_add(o, "interval_s", sg_json_double(interval));
        sg_figs_to_json(&f, o, true);
        for (size_t i = 0; i < h0.n_swaps; i++) {
            json_object *d = json_object_new_object();
            json_object_object_add(d, KEY(SG_F_SWAPDEV_FILENAME), json_object_new_string(h0.swaps[i].filename));
            json_object_object_add(d, KEY(SG_F_SWAPDEV_TYPE), json_object_new_string(h0.swaps[i].type));
            json_object_object_add(d, KEY(SG_F_SWAPDEV_SIZE_KIB), sg_json_u64(h0.swaps[i].size_kib));
            json_object_object_add(d, KEY(SG_F_SWAPDEV_USED_KIB), sg_json_u64(h0.swaps[i].used_kib));
            json_object_object_add(d, KEY(SG_F_SWAPDEV_PRIORITY), json_object_new_int(h0.swaps[i].priority));
            json_object_array_add(sw, d);
        }
        json_object_object_add(o, "swap_devices", sw);
        for (size_t i = 0; i < h0.n_pools; i++) {
            json_object *d = json_object_new_object();
            json_object_object_add(d, KEY(SG_F_POOL_NUMA_NODE), h0.pools[i].node >= 0
                                                       ? json_object_new_int(h0.pools[i].node)
                                                       : NULL);
            json_object_object_add(d, KEY(SG_F_POOL_PAGE_SIZE_KIB), sg_json_u64(h0.pools[i].page_size_kib));
            json_object_object_add(d, KEY(SG_F_POOL_NR_HUGEPAGES), sg_json_u64(h0.pools[i].nr_pages));
            json_object_object_add(d, KEY(SG_F_POOL_FREE_HUGEPAGES), sg_json_u64(h0.pools[i].free_pages));
            json_object_array_add(hp, d);
        }
        json_object_object_add(o, "hugepage_pools", hp);
        sg_json_print(ctx->out, o);
        json_object_put(o);
    } else {
        FILE *o = ctx->out;
        sg_figs_print(&f, o);
        fprintf(o, "\nSwap devices (%s/swaps)\n", ctx->fs.proc_path);
        if (h0.n_swaps == 0)
            fprintf(o, "  none: the host has no active swap\n");
        for (size_t i = 0; i < h0.n_swaps; i++) {
            char name[PATH_MAX * 4], sz[32], used[32];
            fprintf(o, "  %-40s %-10s size %-12s used %-12s priority %d\n",
                    sg_fmt_safe(h0.swaps[i].filename, name, sizeof(name)), h0.swaps[i].type,
                    sg_fmt_kib(h0.swaps[i].size_kib, sz, sizeof(sz)),
                    sg_fmt_kib(h0.swaps[i].used_kib, used, sizeof(used)), h0.swaps[i].priority);
        }
        fprintf(o, "\nHugepage pools (%s/devices/system/node/nodeN/hugepages)\n", ctx->fs.sys_path);
        if (h0.n_pools == 0)
            fprintf(o, "  none\n");
        for (size_t i = 0; i < h0.n_pools; i++) {
            char ps[32];
            if (h0.pools[i].node >= 0)
                fprintf(o, "  node %-3d", h0.pools[i].node);
            else
                fprintf(o, "  node -  ");
            fprintf(o, " page size %-10s nr_hugepages %-8" PRIu64 " free_hugepages %" PRIu64 "\n",
                    sg_fmt_kib(h0.pools[i].page_size_kib, ps, sizeof(ps)), h0.pools[i].nr_pages,
                    h0.pools[i].free_pages);
        }
    }
    sg_figs_free(&f);
    sg_host_sample_clear(&h0);
    sg_host_sample_clear(&h1);
    return 0;
}

const struct sg_cmd_def sg_cmd_def_hoststats = {
    .name = "hoststats",
    .synopsis_args = "",
    .opts = hoststats_opts,
    .summary = "host memory, swap devices, swap traffic, PSI and hugepage pools",
    .help = "Reads /proc/meminfo, /proc/swaps, /proc/vmstat (pswpin, pswpout, pgmajfault,\n"
            "workingset_refault_anon, as counters and per-second rates),\n"
            "/proc/pressure/memory and the hugepage pools of each NUMA node. Needs no\n"
            "libvirt connection.",
    .handler = cmd_hoststats,
};
