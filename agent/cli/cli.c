/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <inttypes.h>
#include <libvirt/virterror.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "agent/cli.h"
#include "agent/figures.h"
#include "guestprobe/agent-channel.h"
#include "hostprobe/cgroup.h"
#include "hostprobe/domains.h"
#include "hostprobe/hostmem.h"
#include "hostprobe/sample.h"
#include "hostprobe/smaps.h"
#include "policies/rates.h"

#define DEFAULT_URI "qemu:///system"

/* ---- shared plumbing ---------------------------------------------------- */

int sg_ctx_fs(struct sg_ctx *ctx)
{
    struct sg_error err = {0};
    char msg[PATH_MAX + 512];
    int r;

    if (ctx->fs.proc_fd >= 0)
        return 0;
    r = sg_fs_open(&ctx->fs, ctx->proc_root, ctx->sys_root, &err);
    if (r < 0)
        sg_log_error("%s", sg_error_format(&err, msg, sizeof(msg)));
    return r;
}

int sg_ctx_connect(struct sg_ctx *ctx, bool write)
{
    const char *uri = ctx->uri ? ctx->uri : DEFAULT_URI;

    if (ctx->conn && (ctx->conn_rw || !write))
        return 0;
    if (write && ctx->readonly) {
        sg_log_error("this command needs a read-write libvirt connection; drop -r/--readonly");
        return -EPERM;
    }
    if (ctx->conn) {
        virConnectClose(ctx->conn);
        ctx->conn = NULL;
    }
    ctx->conn = write ? virConnectOpen(uri) : virConnectOpenReadOnly(uri);
    if (!ctx->conn) {
        sg_log_error("cannot connect to libvirt at '%s': %s; is libvirtd running? "
                     "Start it ('systemctl start libvirtd', or 'libvirtd -d') or pass -c URI",
                     uri, virGetLastErrorMessage());
        return -EIO;
    }
    ctx->conn_rw = write;
    return 0;
}

int sg_report(int r, const struct sg_error *err)
{
    char msg[PATH_MAX + 512];

    if (err->file[0] || err->msg[0]) {
        sg_error_format(err, msg, sizeof(msg));
        if (r == -EACCES && !strstr(msg, "run as root"))
            sg_log_error("%s (run as root)", msg);
        else
            sg_log_error("%s", msg);
    } else {
        sg_log_error("%s", strerror(-r));
    }
    return 1;
}

/* The options every sampling command shares. */
#define OPT_INTERVAL \
    { "interval", "S", "seconds between the two samples that give the rates (default 1; 0: no rates)" }
#define OPT_JSON { "json", NULL, "print one JSON document" }

int sg_opt_number(const struct sg_opt_def *opts, const struct sg_cmd_args *a, int idx, double lo,
                  double hi, double *out)
{
    char *end, val[128];
    double v;

    if (!a->set[idx])
        return 0;
    errno = 0;
    v = strtod(a->val[idx], &end);
    if (errno || end == a->val[idx] || *end || !(v >= lo) || v > hi) {
        sg_log_error("--%s: '%s' is not a number from %g to %g", opts[idx].name,
                     sg_fmt_safe(a->val[idx], val, sizeof(val)), lo, hi);
        return -EINVAL;
    }
    *out = v;
    return 0;
}

/* --interval of a sampling command: seconds between its two samples, default 1. */
static int parse_interval(const struct sg_opt_def *opts, const struct sg_cmd_args *a, int idx,
                          double *out)
{
    *out = 1.0;
    return sg_opt_number(opts, a, idx, 0, 3600, out);
}

static void sleep_s(double s)
{
    struct timespec ts = { .tv_sec = (time_t)s, .tv_nsec = (long)((s - (double)(time_t)s) * 1e9) };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* A domain with its QEMU process, memory cgroup and two samples. */
struct dom_entry {
    struct sg_domain d;
    struct sg_cgroup cg;
    struct sg_dom_sample s0, s1;
    bool running;  /* has a QEMU process we could read */
    bool has_rate; /* s0 and s1 both read */
};

static void entries_free(struct dom_entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        sg_domain_clear(&e[i].d);
        sg_dom_sample_clear(&e[i].s0);
        sg_dom_sample_clear(&e[i].s1);
    }
    free(e);
}

/*
 * Locates and samples every active domain of e[], twice, interval seconds apart.
 * A process that vanishes only marks its domain not running; other read
 * errors (permission, malformed files) are reported once and fail the command.
 */
static int sample_entries(struct sg_ctx *ctx, struct dom_entry *e, size_t n, double interval,
                          bool with_vcpus)
{
    struct sg_error err = {0};
    int r;

    for (size_t i = 0; i < n; i++) {
        struct dom_entry *x = &e[i];

        if (x->d.pidfile_pid && x->d.pid && x->d.pidfile_pid != x->d.pid) {
            char name[512];
            sg_log_warning("domain '%s': %s/libvirt/qemu/%s.pid names pid %d, but pid %d runs "
                           "with its UUID; using %d",
                           sg_fmt_safe(x->d.name, name, sizeof(name)), ctx->fs.run_path,
                           sg_fmt_safe(x->d.name, name, sizeof(name)), (int)x->d.pidfile_pid,
                           (int)x->d.pid, (int)x->d.pid);
        }
        if (x->d.id < 0 || x->d.pid <= 0)
            continue;
        r = sg_cgroup_locate(&ctx->fs, x->d.pid, &x->cg, &err);
        if (r == -ESRCH)
            continue;
        if (r < 0)
            return sg_report(r, &err), r;
        r = sg_dom_sample_read(&ctx->fs, x->d.pid, &x->cg, with_vcpus, &x->s0, &err);
        if (r == -ESRCH)
            continue;
        if (r < 0)
            return sg_report(r, &err), r;
        x->running = true;
    }
    if (interval <= 0)
        return 0;
    sleep_s(interval);
    for (size_t i = 0; i < n; i++) {
        struct dom_entry *x = &e[i];

        if (!x->running)
            continue;
        r = sg_dom_sample_read(&ctx->fs, x->d.pid, &x->cg, with_vcpus, &x->s1, &err);
        if (r == -ESRCH) {
            x->running = false; /* stopped between the samples */
            continue;
        }
        if (r < 0)
            return sg_report(r, &err), r;
        x->has_rate = true;
    }
    return 0;
}

static const struct sg_dom_sample *latest(const struct dom_entry *x)
{
    return x->has_rate ? &x->s1 : &x->s0;
}

static double entry_rate(const struct dom_entry *x, uint64_t before, uint64_t after)
{
    if (!x->has_rate)
        return NAN;
    return sg_counter_rate(before, after, sg_timespec_diff_s(&x->s0.t, &x->s1.t));
}

static const char *v1v2(const struct sg_cgroup *cg, const char *v1, const char *v2)
{
    return cg->memory_version == 1 ? v1 : v2;
}

/* The psi_{some,full}_{avg10,avg60,avg300,total_us} rows of a memory.pressure file; p NULL: none. */
static void psi_figs(struct sg_figs *f, const struct sg_psi *p)
{
    bool some = p != NULL, full = p && p->has_full;

    sg_figs_double(f, SG_FIG_PCT, "psi_some_avg10", some ? p->some.avg10 : NAN, "some avg10");
    sg_figs_double(f, SG_FIG_PCT, "psi_some_avg60", some ? p->some.avg60 : NAN, "some avg60");
    sg_figs_double(f, SG_FIG_PCT, "psi_some_avg300", some ? p->some.avg300 : NAN, "some avg300");
    sg_figs_u64(f, SG_FIG_COUNT, "psi_some_total_us", some ? p->some.total_us : SG_NONE,
                "some total, microseconds");
    sg_figs_double(f, SG_FIG_PCT, "psi_full_avg10", full ? p->full.avg10 : NAN, "full avg10");
    sg_figs_double(f, SG_FIG_PCT, "psi_full_avg60", full ? p->full.avg60 : NAN, "full avg60");
    sg_figs_double(f, SG_FIG_PCT, "psi_full_avg300", full ? p->full.avg300 : NAN, "full avg300");
    sg_figs_u64(f, SG_FIG_COUNT, "psi_full_total_us", full ? p->full.total_us : SG_NONE,
                "full total, microseconds");
}

/* Every per-domain figure of the O(1) sample, with its source (list and domswap). */
static void domain_figs(const struct sg_ctx *ctx, const struct dom_entry *x, struct sg_figs *f)
{
    const struct sg_dom_sample *s = latest(x);
    const struct sg_cgroup *cg = &x->cg;
    const char *pp = ctx->fs.proc_path, *sp = ctx->fs.sys_path;
    int pid = (int)x->d.pid;
    bool run = x->running, mem = run && cg->memory_version;
    const uint64_t none = SG_NONE;

    sg_figs_section(f, "Domain");
    sg_figs_str(f, "name", x->d.name, "virDomainGetName");
    sg_figs_str(f, "uuid", x->d.uuid, "virDomainGetUUIDString");
    sg_figs_int(f, "id", x->d.id >= 0 ? x->d.id : SG_FIG_NULL_INT, "virDomainGetID");
    sg_figs_str(f, "state", sg_domain_state_name(x->d.state), "virDomainGetInfo state");
    sg_figs_int(f, "pid", run ? pid : SG_FIG_NULL_INT, "%s/*/cmdline carrying -uuid %s", pp,
                x->d.uuid);
    sg_figs_u64(f, SG_FIG_KIB, "memory_kib", x->d.memory_kib, "virDomainGetInfo memory");
    sg_figs_u64(f, SG_FIG_KIB, "max_memory_kib", x->d.max_memory_kib, "virDomainGetInfo maxMem");

    sg_figs_section(f, "QEMU process (%s/%d/status, %s/%d/stat)", pp, pid, pp, pid);
    sg_figs_u64(f, SG_FIG_KIB, "vm_rss_kib", run ? s->status.vm_rss_kib : none, "status VmRSS");
    sg_figs_u64(f, SG_FIG_KIB, "rss_anon_kib", run ? s->status.rss_anon_kib : none, "status RssAnon");
    sg_figs_u64(f, SG_FIG_KIB, "rss_file_kib", run ? s->status.rss_file_kib : none, "status RssFile");
    sg_figs_u64(f, SG_FIG_KIB, "rss_shmem_kib", run ? s->status.rss_shmem_kib : none,
                "status RssShmem");
    sg_figs_u64(f, SG_FIG_KIB, "vm_swap_kib", run ? s->status.vm_swap_kib : none,
                "status VmSwap (anonymous only, not shmem/memfd)");
    sg_figs_u64(f, SG_FIG_KIB, "vm_lck_kib", run ? s->status.vm_lck_kib : none, "status VmLck");
    sg_figs_u64(f, SG_FIG_KIB, "hugetlb_pages_kib", run ? s->status.hugetlb_pages_kib : none,
                "status HugetlbPages");
    sg_figs_u64(f, SG_FIG_COUNT, "minflt", run ? s->stat.minflt : none, "stat field 10");
    sg_figs_u64(f, SG_FIG_COUNT, "majflt", run ? s->stat.majflt : none,
                "stat field 12 (detail: async-PF swap-ins are charged to a kworker)");
    sg_figs_double(f, SG_FIG_RATE, "majflt_per_s", entry_rate(x, x->s0.stat.majflt, x->s1.stat.majflt),
                   "stat field 12, two samples");

    if (mem)
        sg_figs_section(f, "Memory cgroup v%d (%s/%s)", cg->memory_version, sp, cg->memory_dir);
    else
        sg_figs_section(f, "Memory cgroup: %s", run ? "none of its own" : "domain not running");
    sg_figs_int(f, "cgroup_version", mem ? cg->memory_version : SG_FIG_NULL_INT,
                "%s/%d/cgroup", pp, pid);
    sg_figs_str(f, "cgroup_memory_path", mem ? cg->memory_path : NULL,
                "%s/%d/cgroup, walked up to memory.stat", pp, pid);
    sg_figs_u64(f, SG_FIG_BYTES, "cgroup_swap_bytes", mem ? s->cg.swap_bytes : none, "%s",
                v1v2(cg, "memory.stat total_swap", "memory.swap.current"));
    sg_figs_u64(f, SG_FIG_COUNT, "cgroup_pgmajfault", mem ? s->cg.pgmajfault : none,
                "%s (includes async-PF swap-ins)",
                v1v2(cg, "memory.stat total_pgmajfault", "memory.stat pgmajfault"));
    sg_figs_double(f, SG_FIG_RATE, "cgroup_pgmajfault_per_s",
                   mem ? entry_rate(x, x->s0.cg.pgmajfault, x->s1.cg.pgmajfault) : NAN,
                   "%s, two samples", v1v2(cg, "total_pgmajfault", "pgmajfault"));
    sg_figs_u64(f, SG_FIG_BYTES, "cgroup_usage_bytes", mem ? s->cg.usage_bytes : none, "%s",
                v1v2(cg, "memory.usage_in_bytes", "memory.current"));
    sg_figs_u64(f, SG_FIG_BYTES, "cgroup_memory_limit_bytes", mem ? s->cg.limit_bytes : none,
                "%s (null: unlimited)", v1v2(cg, "memory.limit_in_bytes", "memory.max"));
    sg_figs_u64(f, SG_FIG_BYTES, "cgroup_swap_max_bytes", mem ? s->cg.swap_max_bytes : none,
                "memory.swap.max, v2 only (null: unlimited or v1)");
    sg_figs_u64(f, SG_FIG_BYTES, "cgroup_memsw_limit_bytes", mem ? s->cg.memsw_limit_bytes : none,
                "memory.memsw.limit_in_bytes = memory + swap, v1 only (null: unlimited or v2)");

    if (run && cg->has_psi)
        sg_figs_section(f, "Memory pressure (%s/%s/memory.pressure)", sp, cg->psi_dir);
    else
        sg_figs_section(f, "Memory pressure: %s",
                        run ? (cg->psi_missing[0] ? cg->psi_missing : "unavailable")
                            : "domain not running");
    psi_figs(f, run && s->cg.has_psi ? &s->cg.psi : NULL);
}

/* ---- list ----------------------------------------------------------------- */

enum { LIST_OPT_ALL, LIST_OPT_INTERVAL, LIST_OPT_JSON };
static const struct sg_opt_def list_opts[] = {
    [LIST_OPT_ALL] = { "all", NULL, "include inactive domains" },
    [LIST_OPT_INTERVAL] = OPT_INTERVAL,
    [LIST_OPT_JSON] = OPT_JSON,
    { NULL, NULL, NULL },
};

static void print_list_table(const struct sg_ctx *ctx, struct dom_entry *e, size_t n)
{
    FILE *o = ctx->out;

    fprintf(o, " %-4s %-20s %-8s %-10s %-10s %-15s %-9s %s\n", "Id", "Name", "PID", "Memory",
            "RSS", "Swapped (host)", "MajFlt/s", "PSI full avg10");
    fprintf(o, "%s\n", "--------------------------------------------------------------------"
                       "----------------------------------");
    for (size_t i = 0; i < n; i++) {
        const struct dom_entry *x = &e[i];
        const struct sg_dom_sample *s = latest(x);
        char id[16], name[512], pid[16], mem[32], rss[32], swp[32], flt[32], psi[32];
        uint64_t swapped = SG_NONE;
        double rate = NAN;

        snprintf(id, sizeof(id), x->d.id >= 0 ? "%d" : "-", x->d.id);
        snprintf(pid, sizeof(pid), x->running ? "%d" : "-", (int)x->d.pid);
        if (x->running) {
            /* The cgroup counts shmem/memfd swap too; VmSwap only anonymous memory. */
            swapped = s->cg.swap_bytes != SG_NONE ? s->cg.swap_bytes / 1024 : s->status.vm_swap_kib;
            rate = s->cg.pgmajfault != SG_NONE
                       ? entry_rate(x, x->s0.cg.pgmajfault, x->s1.cg.pgmajfault)
                       : entry_rate(x, x->s0.stat.majflt, x->s1.stat.majflt);
        }
        if (x->running && s->cg.has_psi && s->cg.psi.has_full)
            snprintf(psi, sizeof(psi), "%.2f", s->cg.psi.full.avg10);
        else
            snprintf(psi, sizeof(psi), "-");
        fprintf(o, " %-4s %-20s %-8s %-10s %-10s %-15s %-9s %s\n", id,
                sg_fmt_safe(x->d.name, name, sizeof(name)), pid,
                sg_fmt_kib(x->d.memory_kib, mem, sizeof(mem)),
                sg_fmt_kib(x->running ? s->status.vm_rss_kib : SG_NONE, rss, sizeof(rss)),
                sg_fmt_kib(swapped, swp, sizeof(swp)), sg_fmt_rate(rate, flt, sizeof(flt)), psi);
    }
}

static int cmd_list(struct sg_ctx *ctx, const struct sg_cmd_args *a)
{
    struct sg_error err = {0};
    struct sg_domain *doms = NULL;
    struct dom_entry *e;
    double interval;
    int n, r;

    if (parse_interval(list_opts, a, LIST_OPT_INTERVAL, &interval) < 0)
        return 1;
    if (a->set[LIST_OPT_JSON])
        ctx->json = true;
    if (sg_ctx_fs(ctx) < 0 || sg_ctx_connect(ctx, false) < 0)
        return 1;
    n = sg_domains_list(ctx->conn, a->set[LIST_OPT_ALL], &doms, &err);
    if (n < 0)
        return sg_report(n, &err);
    /* One scan of /proc for all domains. */
    r = sg_domains_find_pids(&ctx->fs, doms, (size_t)n);
    if (r < 0) {
        sg_domains_free(doms, (size_t)n);
        sg_log_error("%s: %s", ctx->fs.proc_path, strerror(-r));
        return 1;
    }
    e = calloc((size_t)n + 1, sizeof(*e));
    if (!e) {
        sg_domains_free(doms, (size_t)n);
        return sg_report(-ENOMEM, &err);
    }
    for (int i = 0; i < n; i++)
        e[i].d = doms[i];
    free(doms); /* the names now belong to e[] */
    if (sample_entries(ctx, e, (size_t)n, interval, false) < 0) {
        entries_free(e, (size_t)n);
        return 1;
    }
    if (ctx->json) {
        json_object *root = json_object_new_object(), *arr = json_object_new_array();
        json_object_object_add(root, "interval_s", sg_json_double(interval));
        for (int i = 0; i < n; i++) {
            struct sg_figs f = {0};
            json_object *o = json_object_new_object();
            domain_figs(ctx, &e[i], &f);
            sg_figs_to_json(&f, o, false);
            json_object_array_add(arr, o);
            sg_figs_free(&f);
        }
        json_object_object_add(root, "domains", arr);
        sg_json_print(ctx->out, root);
        json_object_put(root);
    } else {
        print_list_table(ctx, e, (size_t)n);
    }
    entries_free(e, (size_t)n);
    return 0;
}

/* ---- domswap -------------------------------------------------------------- */

enum { DOMSWAP_OPT_INTERVAL, DOMSWAP_OPT_JSON };
static const struct sg_opt_def domswap_opts[] = {
    [DOMSWAP_OPT_INTERVAL] = OPT_INTERVAL,
    [DOMSWAP_OPT_JSON] = OPT_JSON,
    { NULL, NULL, NULL },
};

/* The guest agent channel's state (gp_agent_channel_state) from dom's live XML; -EIO. */
static int agent_state(virDomainPtr dom)
{
    char *xml = virDomainGetXMLDesc(dom, 0);
    int r;

    if (!xml)
        return -EIO;
    r = gp_agent_channel_state(xml);
    free(xml);
    return r;
}

static void vcpu_figs_json(const struct dom_entry *x, json_object *obj)
{
    json_object *arr = json_object_new_array();
    const struct sg_dom_sample *s = latest(x);

    for (int i = 0; x->running && i < s->n_vcpus; i++) {
        const struct sg_vcpu_thread *t = &s->vcpus[i];
        json_object *o = json_object_new_object();
        double rate = NAN;

        for (int j = 0; x->has_rate && j < x->s0.n_vcpus; j++)
            if (x->s0.vcpus[j].tid == t->tid)
                rate = entry_rate(x, x->s0.vcpus[j].stat.majflt, t->stat.majflt);
        json_object_object_add(o, "vcpu", json_object_new_int(t->vcpu));
        json_object_object_add(o, "tid", json_object_new_int(t->tid));
        json_object_object_add(o, "comm", json_object_new_string(t->stat.comm));
        json_object_object_add(o, "accel", json_object_new_string(t->accel));
        json_object_object_add(o, "state", json_object_new_string_len(&t->stat.state, 1));
        json_object_object_add(o, "minflt", sg_json_u64(t->stat.minflt));
        json_object_object_add(o, "majflt", sg_json_u64(t->stat.majflt));
        json_object_object_add(o, "majflt_per_s", sg_json_double(rate));
        json_object_array_add(arr, o);
    }
    json_object_object_add(obj, "vcpus", arr);
}

static void vcpu_print(const struct sg_ctx *ctx, const struct dom_entry *x)
{
    const struct sg_dom_sample *s = latest(x);
    FILE *o = ctx->out;

    fprintf(o, "\nvCPU threads (%s/%d/task/TID/stat; detail only)\n", ctx->fs.proc_path,
            (int)x->d.pid);
    fprintf(o, "  %-5s %-8s %-14s %-6s %-12s %-10s %s\n", "vCPU", "TID", "comm", "state",
            "minflt", "majflt", "majflt/s");
    for (int i = 0; i < s->n_vcpus; i++) {
        const struct sg_vcpu_thread *t = &s->vcpus[i];
        char comm[256], rate_s[32];
        double rate = NAN;

        for (int j = 0; x->has_rate && j < x->s0.n_vcpus; j++)
            if (x->s0.vcpus[j].tid == t->tid)
                rate = entry_rate(x, x->s0.vcpus[j].stat.majflt, t->stat.majflt);
        fprintf(o, "  %-5d %-8d %-14s %-6c %-12" PRIu64 " %-10" PRIu64 " %s\n", t->vcpu,
                (int)t->tid, sg_fmt_safe(t->stat.comm, comm, sizeof(comm)), t->stat.state,
                t->stat.minflt, t->stat.majflt, sg_fmt_rate(rate, rate_s, sizeof(rate_s)));
    }
}

static int cmd_domswap(struct sg_ctx *ctx, const struct sg_cmd_args *a)
{
    struct sg_error err = {0};
    struct dom_entry x = {0};
    struct sg_guest_ram ram = {0};
    struct sg_figs f = {0};
    uint64_t rollup_swap = SG_NONE;
    double interval;
    char name[512];
    virDomainPtr dom = NULL;
    int r, agent;

    if (parse_interval(domswap_opts, a, DOMSWAP_OPT_INTERVAL, &interval) < 0)
        return 1;
    if (a->set[DOMSWAP_OPT_JSON])
        ctx->json = true;
    if (sg_ctx_fs(ctx) < 0 || sg_ctx_connect(ctx, false) < 0)
        return 1;
    r = sg_domain_lookup(ctx->conn, a->argv[0], &x.d, &dom, &err);
    if (r < 0)
        return sg_report(r, &err);
    agent = agent_state(dom);
    virDomainFree(dom);
    sg_fmt_safe(x.d.name, name, sizeof(name));
    if (x.d.id < 0) {
        sg_log_error("domain '%s' is not running: there is no QEMU process to measure", name);
        sg_domain_clear(&x.d);
        return 1;
    }
    r = sg_domains_find_pids(&ctx->fs, &x.d, 1);
    if (r < 0 || x.d.pid <= 0) {
        sg_log_error("domain '%s': no process in %s carries '-uuid %s' (is swapguard running on "
                     "this domain's hypervisor, with the right --proc-root?)",
                     name, ctx->fs.proc_path, x.d.uuid);
        sg_domain_clear(&x.d);
        return 1;
    }
    r = sample_entries(ctx, &x, 1, interval, true);
    if (r == 0 && !x.running) {
        sg_log_error("domain '%s': its QEMU process (pid %d) exited while being measured", name,
                     (int)x.d.pid);
        r = -ESRCH;
    }
    /* On demand only: both walk the page tables of QEMU. */
    if (r == 0) {
        r = sg_guest_ram_read(&ctx->fs, x.d.pid, x.d.max_memory_kib, &ram, &err);
        if (r == 0)
            r = sg_smaps_rollup_swap(&ctx->fs, x.d.pid, &rollup_swap, &err);
        if (r < 0)
            sg_report(r, &err);
    }
    if (r < 0) {
        sg_domain_clear(&x.d);
        sg_dom_sample_clear(&x.s0);
        sg_dom_sample_clear(&x.s1);
        return 1;
    }

    domain_figs(ctx, &x, &f);
    if (ram.found)
        sg_figs_section(&f, "Guest RAM (on demand: %s/%d/smaps, VMA %" PRIx64 "-%" PRIx64
                        " of %" PRIu64 " KiB, %s%s%s)",
                        ctx->fs.proc_path, (int)x.d.pid, ram.start, ram.end, ram.size_kib,
                        ram.backing, ram.path[0] ? " " : "", ram.path);
    else
        sg_figs_section(&f, "Guest RAM: no VMA of exactly %" PRIu64 " KiB in %s/%d/smaps",
                        x.d.max_memory_kib, ctx->fs.proc_path, (int)x.d.pid);
    sg_figs_u64(&f, SG_FIG_KIB, "guest_ram_size_kib", ram.found ? ram.size_kib : SG_NONE,
                "smaps Size of the guest-RAM VMA");
    sg_figs_u64(&f, SG_FIG_KIB, "guest_ram_rss_kib", ram.found ? ram.rss_kib : SG_NONE,
                "smaps Rss (+ hugetlb) of the guest-RAM VMA");
    sg_figs_u64(&f, SG_FIG_KIB, "guest_ram_swap_kib", ram.found ? ram.swap_kib : SG_NONE,
                "smaps Swap of the guest-RAM VMA: guest RAM in host swap");
    sg_figs_str(&f, "guest_ram_backing", ram.found ? ram.backing : NULL,
                "smaps mapping path and KernelPageSize");
    sg_figs_u64(&f, SG_FIG_KIB, "smaps_rollup_swap_kib", rollup_swap,
                "%s/%d/smaps_rollup Swap (includes shmem/memfd swap VmSwap misses)",
                ctx->fs.proc_path, (int)x.d.pid);
    sg_figs_section(&f, "Guest agent");
    sg_figs_str(&f, "guest_agent", agent >= 0 ? gp_agent_channel_state_name(agent) : NULL,
                "virDomainGetXMLDesc channel org.qemu.guest_agent.0");

    if (ctx->json) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "interval_s", sg_json_double(interval));
        sg_figs_to_json(&f, o, true);
        vcpu_figs_json(&x, o);
        sg_json_print(ctx->out, o);
        json_object_put(o);
    } else {
        sg_figs_print(&f, ctx->out);
        vcpu_print(ctx, &x);
    }
    sg_figs_free(&f);
    sg_domain_clear(&x.d);
    sg_dom_sample_clear(&x.s0);
    sg_dom_sample_clear(&x.s1);
    return 0;
}

/* ---- hoststats ------------------------------------------------------------ */

enum { HOST_OPT_INTERVAL, HOST_OPT_JSON };
static const struct sg_opt_def hoststats_opts[] = {
    [HOST_OPT_INTERVAL] = OPT_INTERVAL,
    [HOST_OPT_JSON] = OPT_JSON,
    { NULL, NULL, NULL },
};

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

#define RATE(key, field) \
    sg_figs_double(f, SG_FIG_RATE, key, h1 ? sg_counter_rate(h0->vm.field, h1->vm.field, dt) : NAN, \
                   "vmstat " #field ", two samples")

    sg_figs_section(f, "Memory (%s/meminfo)", pp);
    sg_figs_u64(f, SG_FIG_KIB, "mem_total_kib", m->mem_total_kib, "MemTotal");
    sg_figs_u64(f, SG_FIG_KIB, "mem_free_kib", m->mem_free_kib, "MemFree");
    sg_figs_u64(f, SG_FIG_KIB, "mem_available_kib", m->mem_available_kib, "MemAvailable");
    sg_figs_u64(f, SG_FIG_KIB, "cached_kib", m->cached_kib, "Cached");
    sg_figs_u64(f, SG_FIG_KIB, "anon_pages_kib", m->anon_pages_kib, "AnonPages");
    sg_figs_u64(f, SG_FIG_KIB, "shmem_kib", m->shmem_kib, "Shmem");
    sg_figs_u64(f, SG_FIG_KIB, "mlocked_kib", m->mlocked_kib, "Mlocked");
    sg_figs_u64(f, SG_FIG_KIB, "swap_total_kib", m->swap_total_kib, "SwapTotal");
    sg_figs_u64(f, SG_FIG_KIB, "swap_free_kib", m->swap_free_kib, "SwapFree");
    sg_figs_u64(f, SG_FIG_KIB, "swap_used_kib", kib_diff(m->swap_total_kib, m->swap_free_kib),
                "SwapTotal - SwapFree");
    sg_figs_u64(f, SG_FIG_KIB, "swap_cached_kib", m->swap_cached_kib, "SwapCached");
    sg_figs_u64(f, SG_FIG_COUNT, "hugepages_total", m->hugepages_total, "HugePages_Total (pages)");
    sg_figs_u64(f, SG_FIG_COUNT, "hugepages_free", m->hugepages_free, "HugePages_Free (pages)");
    sg_figs_u64(f, SG_FIG_KIB, "hugepagesize_kib", m->hugepagesize_kib, "Hugepagesize");

    sg_figs_section(f, "Swap traffic (%s/vmstat; pages)", pp);
    sg_figs_u64(f, SG_FIG_COUNT, "pswpin", h->vm.pswpin, "vmstat pswpin");
    sg_figs_u64(f, SG_FIG_COUNT, "pswpout", h->vm.pswpout, "vmstat pswpout");
    sg_figs_u64(f, SG_FIG_COUNT, "pgmajfault", h->vm.pgmajfault, "vmstat pgmajfault");
    sg_figs_u64(f, SG_FIG_COUNT, "workingset_refault_anon", h->vm.workingset_refault_anon,
                "vmstat workingset_refault_anon (Linux >= 5.9)");
    RATE("pswpin_per_s", pswpin);
    RATE("pswpout_per_s", pswpout);
    RATE("pgmajfault_per_s", pgmajfault);
    RATE("workingset_refault_anon_per_s", workingset_refault_anon);
#undef RATE

    if (h->has_psi)
        sg_figs_section(f, "Memory pressure (%s/pressure/memory)", pp);
    else
        sg_figs_section(f, "Memory pressure: %s/pressure/memory absent (kernel without PSI)", pp);
    psi_figs(f, h->has_psi ? &h->psi : NULL);
}

static int cmd_hoststats(struct sg_ctx *ctx, const struct sg_cmd_args *a)
{
    struct sg_error err = {0};
    struct sg_host_sample h0 = {0}, h1 = {0};
    struct sg_figs f = {0};
    double interval;
    int r;

    if (parse_interval(hoststats_opts, a, HOST_OPT_INTERVAL, &interval) < 0)
        return 1;
    if (a->set[HOST_OPT_JSON])
        ctx->json = true;
    if (sg_ctx_fs(ctx) < 0)
        return 1;
    r = sg_host_read(&ctx->fs, true, &h0, &err);
    if (r < 0)
        return sg_report(r, &err);
    if (interval > 0) {
        sleep_s(interval);
        r = sg_host_read(&ctx->fs, false, &h1, &err);
        if (r < 0) {
            sg_host_sample_clear(&h0);
            return sg_report(r, &err);
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
            json_object_object_add(d, "filename", json_object_new_string(h0.swaps[i].filename));
            json_object_object_add(d, "type", json_object_new_string(h0.swaps[i].type));
            json_object_object_add(d, "size_kib", sg_json_u64(h0.swaps[i].size_kib));
            json_object_object_add(d, "used_kib", sg_json_u64(h0.swaps[i].used_kib));
            json_object_object_add(d, "priority", json_object_new_int(h0.swaps[i].priority));
            json_object_array_add(sw, d);
        }
        json_object_object_add(o, "swap_devices", sw);
        for (size_t i = 0; i < h0.n_pools; i++) {
            json_object *d = json_object_new_object();
            json_object_object_add(d, "numa_node", h0.pools[i].node >= 0
                                                       ? json_object_new_int(h0.pools[i].node)
                                                       : NULL);
            json_object_object_add(d, "page_size_kib", sg_json_u64(h0.pools[i].page_size_kib));
            json_object_object_add(d, "nr_hugepages", sg_json_u64(h0.pools[i].nr_pages));
            json_object_object_add(d, "free_hugepages", sg_json_u64(h0.pools[i].free_pages));
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

/* ---- help, version -------------------------------------------------------- */

static int cmd_help(struct sg_ctx *ctx, const struct sg_cmd_args *a)
{
    const struct sg_cmd_def *def;

    if (a->argc == 0) {
        sg_print_usage(ctx->out);
        return 0;
    }
    def = sg_cmd_find(a->argv[0]);
    if (!def) {
        char name[256];
        sg_log_error("unknown command '%s'; 'swapguard help' lists them",
                     sg_fmt_safe(a->argv[0], name, sizeof(name)));
        return 1;
    }
    sg_print_cmd_help(ctx->out, def);
    return 0;
}

static int cmd_version(struct sg_ctx *ctx, const struct sg_cmd_args *a)
{
    unsigned long lib = 0;

    fprintf(ctx->out, "swapguard %s\n", SWAPGUARD_VERSION);
    if (virGetVersion(&lib, NULL, NULL) == 0)
        fprintf(ctx->out, "libvirt library %lu.%lu.%lu\n", lib / 1000000, lib / 1000 % 1000,
                lib % 1000);
    return 0;
}

/* ---- the table ------------------------------------------------------------ */

const struct sg_cmd_def sg_commands[] = {
    {
        .name = "list",
        .synopsis_args = "",
        .opts = list_opts,
        .summary = "list domains with their host memory, swap and major faults",
        .help = "Like 'virsh list', one row per domain: Id, Name, QEMU PID, Memory (current),\n"
                "RSS of the QEMU process, Swapped (host): guest memory in host swap (the memory\n"
                "cgroup's swap, which includes shmem/memfd swap; VmSwap when the host does not\n"
                "account swap per cgroup), MajFlt/s: major faults per second of the domain's\n"
                "memory cgroup (async-PF swap-ins are charged to a kworker, not to QEMU, but the\n"
                "cgroup counts them), and PSI full avg10 of the domain's own cgroup v2 group.\n"
                "Reads O(1) small files per domain; two samples --interval seconds apart.",
        .handler = cmd_list,
    },
    {
        .name = "domswap",
        .synopsis_args = "DOMAIN",
        .min_args = 1,
        .max_args = 1,
        .opts = domswap_opts,
        .summary = "every host-side memory figure of one domain, with its source",
        .help = "DOMAIN is a name, UUID or id. Shows the QEMU process (status, stat), its memory\n"
                "cgroup (swap, major faults, limits), PSI, the vCPU threads' faults, and, read\n"
                "on demand from /proc/PID/smaps, the guest-RAM VMA's RSS and swap and\n"
                "smaps_rollup Swap. smaps walks QEMU's page tables: this command is for\n"
                "diagnosis, not for polling.",
        .handler = cmd_domswap,
    },
    {
        .name = "hoststats",
        .synopsis_args = "",
        .opts = hoststats_opts,
        .summary = "host memory, swap devices, swap traffic, PSI and hugepage pools",
        .help = "Reads /proc/meminfo, /proc/swaps, /proc/vmstat (pswpin, pswpout, pgmajfault,\n"
                "workingset_refault_anon, as counters and per-second rates),\n"
                "/proc/pressure/memory and the hugepage pools of each NUMA node. Needs no\n"
                "libvirt connection.",
        .handler = cmd_hoststats,
    },
    {
        .name = "guestprobe",
        .synopsis_args = "DOMAIN",
        .min_args = 1,
        .max_args = 1,
        .opts = sg_guestprobe_opts,
        .summary = "the guest's own evidence of stalls and memory, through the QEMU guest agent",
        .help = "Asks qemu-ga in DOMAIN (name, UUID or id): agent version and blocked commands,\n"
                "tasks in D state and which wait in async PF, hung-task reports in the guest\n"
                "kernel log, steal and iowait per vCPU, the guest's own meminfo, vmstat and PSI,\n"
                "and its kernel release; plus the balloon stats. One guest-exec of a fixed script\n"
                "(guest-file-read of the memory files when guest-exec is blocked). Needs a\n"
                "read-write libvirt connection. An agent that is not configured, not connected\n"
                "or blocks a command is reported, not an error. Guest text is escaped.",
        .handler = sg_cmd_guestprobe,
    },
    {
        .name = "diagnose",
        .synopsis_args = "[DOMAIN]",
        .max_args = 1,
        .opts = sg_diagnose_opts,
        .summary = "verdict per domain: is host swap stalling the guest, with the evidence",
        .help = "Takes --count ticks --interval seconds apart: host memory and PSI, each running\n"
                "domain's O(1) host figures (VmSwap, memory cgroup swap and major faults, PSI),\n"
                "its KVM async-PF tracepoint counts (perf_event_open per vCPU thread) and one\n"
                "guest-agent probe (tasks waiting in async PF, hung-task reports, guest swap).\n"
                "Then, per domain: host-swap-stall, host-swap-risk, guest-internal-swap,\n"
                "host-memory-pressure, ok or unknown, with a confidence, the evidence and what\n"
                "could not be seen. Thresholds come from the config file. Guest probes need a\n"
                "read-write connection; under -r the verdict does without them.",
        .handler = sg_cmd_diagnose,
    },
    {
        .name = "recommend",
        .synopsis_args = "[DOMAIN]",
        .max_args = 1,
        .opts = sg_recommend_opts,
        .summary = "remedies for the domains at risk, safest first, with exact commands",
        .help = "Diagnoses like 'diagnose --count 2', then reads on demand what the remedies need\n"
                "(swap devices, hugepage pools per NUMA node, every process for the OOM forecast,\n"
                "smaps of the guest-RAM VMA, the persistent domain XML) and prints each remedy:\n"
                "target, why, the precondition checked, risk, live or next boot, and the exact\n"
                "command or XML. A remedy whose precondition fails is shown REFUSED with the\n"
                "reason (swapoff: the processes the OOM killer would kill first). Nova-managed\n"
                "domains get flavor extra specs instead of XML edits. Changes nothing.",
        .handler = sg_cmd_recommend,
    },
    {
        .name = "apply",
        .synopsis_args = "ACTION [DOMAIN|DEVICE]",
        .min_args = 1,
        .max_args = 2,
        .opts = sg_apply_opts,
        .summary = "carry out a remedy (dry run unless --yes), recorded for rollback",
        .help = "ACTION is one of:\n"
                "  swapoff [DEVICE]     host swap off, device by device (swapoff(2)), only while\n"
                "                       the headroom check passes; progress while it runs\n"
                "  swap-limit DOMAIN    live: the domain's memory cgroup may not swap (v2\n"
                "                       memory.swap.max = 0; v1 memsw limit = memory limit)\n"
                "  prefetch DOMAIN      live: process_madvise(MADV_WILLNEED) over the guest-RAM\n"
                "                       VMA in chunks; VmSwap before and after\n"
                "  lock-memory DOMAIN   persistent XML <memoryBacking><locked/>, next boot\n"
                "  hugepages DOMAIN     persistent XML <memoryBacking><hugepages>, next boot\n"
                "  oom-protect DOMAIN   live: oom_score_adj of the QEMU process\n"
                "Without --yes, prints exactly what would change and changes nothing. With --yes,\n"
                "rechecks the precondition, records old and new values in the action journal\n"
                "([apply] state_dir), then acts. Needs root and a read-write connection.\n"
                "Nova-managed domains get the flavor extra specs instead of XML edits, unless\n"
                "--force.",
        .handler = sg_cmd_apply,
    },
    {
        .name = "rollback",
        .synopsis_args = "[ID]",
        .max_args = 1,
        .opts = sg_rollback_opts,
        .summary = "undo an applied remedy (the newest one without ID)",
        .help = "Restores the values journal entry ID (see 'history') recorded before it acted:\n"
                "the old memory limits, the saved persistent XML, the old oom_score_adj, the\n"
                "swap device. Refuses when the target no longer holds what the entry set\n"
                "(someone changed it since), unless --force. Dry run unless --yes.",
        .handler = sg_cmd_rollback,
    },
    {
        .name = "history",
        .synopsis_args = "",
        .opts = sg_history_opts,
        .summary = "list the remedies applied and rolled back (the action journal)",
        .help = "Lists the entries of the action journal: id, time, who, action, target, status\n"
                "and the old and new values.",
        .handler = sg_cmd_history,
    },
    {
        .name = "report",
        .synopsis_args = "[DOMAIN]",
        .max_args = 1,
        .opts = sg_report_opts,
        .summary = "diagnose once and report into libvirt metadata, the logs and Prometheus",
        .help = "Diagnoses like 'diagnose --count 2', then reports every verdict: a\n"
                "<swapguard:report> metadata element on the running domain (live only; libvirt\n"
                "raises a metadata-change event), a line in the domain's libvirt log, a journald\n"
                "entry (syslog without journald), the Prometheus textfile and the JSON Lines\n"
                "history, as configured in [report]; prints what went where, per domain.\n"
                "The metadata needs a read-write connection: under -r it is skipped (said so)\n"
                "and the other outputs go on. Exit status 1 when a configured output failed; an\n"
                "absent receiver (no journald or syslog, no textfile directory, no domain log\n"
                "yet) is skipped with a warning.",
        .handler = sg_cmd_report,
    },
    {
        .name = "agent",
        .synopsis_args = "",
        .opts = sg_agent_opts,
        .summary = "run continuously: sample, diagnose, report verdict changes",
        .help = "Runs the libvirt event loop: tracks domains through lifecycle events, samples\n"
                "every [sampler] interval, probes a few guests per tick in turn, reports when a\n"
                "verdict changes and, when [agent] auto_apply names them, applies live remedies.\n"
                "Reconnects to libvirtd with backoff; SIGHUP reloads the config, SIGTERM and\n"
                "SIGINT exit. One instance per host ([agent] lock_file).",
        .handler = sg_cmd_agent,
    },
    {
        .name = "help",
        .synopsis_args = "[COMMAND]",
        .max_args = 1,
        .summary = "list the commands, or describe one",
        .help = "Without COMMAND, lists the commands and the global options.",
        .handler = cmd_help,
    },
    {
        .name = "version",
        .synopsis_args = "",
        .summary = "print the versions of swapguard and the libvirt library",
        .help = "Prints swapguard's version and the libvirt library it runs with.",
        .handler = cmd_version,
    },
    { .name = NULL },
};

const struct sg_cmd_def *sg_cmd_find(const char *name)
{
    for (const struct sg_cmd_def *d = sg_commands; d->name; d++)
        if (strcmp(d->name, name) == 0)
            return d;
    return NULL;
}

static size_t count_opts(const struct sg_cmd_def *def)
{
    size_t n = 0;
    while (def->opts && def->opts[n].name)
        n++;
    return n;
}

int sg_cmd_table_check(FILE *f)
{
    int r = 0;

    for (const struct sg_cmd_def *d = sg_commands; d->name; d++) {
        size_t n = count_opts(d);

        if (!d->summary || !*d->summary || !d->help || !*d->help || !d->handler) {
            fprintf(f, "command '%s' lacks a summary, help or handler\n", d->name);
            r = -EINVAL;
        }
        if (!d->synopsis_args || d->min_args > d->max_args) {
            fprintf(f, "command '%s': bad synopsis or argument counts\n", d->name);
            r = -EINVAL;
        }
        if (sg_cmd_find(d->name) != d) {
            fprintf(f, "command '%s' is listed twice\n", d->name);
            r = -EINVAL;
        }
        if (n > SG_MAX_OPTS) {
            fprintf(f, "command '%s' has more than %d options\n", d->name, SG_MAX_OPTS);
            r = -EINVAL;
        }
        for (size_t i = 0; i < n; i++) {
            if (!d->opts[i].help || !*d->opts[i].help) {
                fprintf(f, "option '--%s' of '%s' lacks help\n", d->opts[i].name, d->name);
                r = -EINVAL;
            }
            for (size_t j = 0; j < i; j++)
                if (strcmp(d->opts[i].name, d->opts[j].name) == 0) {
                    fprintf(f, "option '--%s' of '%s' is listed twice\n", d->opts[i].name, d->name);
                    r = -EINVAL;
                }
        }
    }
    return r;
}

void sg_print_usage(FILE *f)
{
    fprintf(f,
            "Usage: swapguard [OPTIONS] COMMAND [ARGS]\n"
            "\n"
            "Finds libvirt/KVM guests whose RAM the host has swapped out.\n"
            "\n"
            "Options:\n"
            "  -c, --connect URI   libvirt URI (default %s)\n"
            "  -r, --readonly      refuse commands that need a read-write connection\n"
            "      --json          print one JSON document\n"
            "      --proc-root DIR read DIR/proc and DIR/run instead of /proc and /run\n"
            "      --sys-root DIR  read DIR/sys instead of /sys\n"
            "  -h, --help          this text\n"
            "  -V, --version       print the version\n"
            "\n"
            "Commands:\n",
            DEFAULT_URI);
    for (const struct sg_cmd_def *d = sg_commands; d->name; d++)
        fprintf(f, "  %-12s %s\n", d->name, d->summary);
    fprintf(f, "\n'swapguard help COMMAND' describes one command.\n");
}

void sg_print_cmd_help(FILE *f, const struct sg_cmd_def *def)
{
    size_t n = count_opts(def);

    fprintf(f, "NAME\n  %s - %s\n\nSYNOPSIS\n  swapguard %s%s%s%s\n\nDESCRIPTION\n", def->name,
            def->summary, def->name, n ? " [OPTIONS]" : "", *def->synopsis_args ? " " : "",
            def->synopsis_args);
    for (const char *p = def->help; *p;) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        fprintf(f, "  %.*s\n", (int)len, p);
        p += len + (e ? 1 : 0);
    }
    if (n) {
        fprintf(f, "\nOPTIONS\n");
        for (size_t i = 0; i < n; i++) {
            char flag[64];
            snprintf(flag, sizeof(flag), "--%s%s%s", def->opts[i].name,
                     def->opts[i].arg_name ? " " : "",
                     def->opts[i].arg_name ? def->opts[i].arg_name : "");
            fprintf(f, "  %-16s %s\n", flag, def->opts[i].help);
        }
    }
}

int sg_cmd_parse(const struct sg_cmd_def *def, int argc, char **argv, struct sg_cmd_args *a)
{
    struct option longopts[SG_MAX_OPTS + 2];
    size_t n = count_opts(def);
    int c, idx;

    memset(a, 0, sizeof(*a));
    memset(longopts, 0, sizeof(longopts));
    for (size_t i = 0; i < n && i < SG_MAX_OPTS; i++) {
        longopts[i].name = def->opts[i].name;
        longopts[i].has_arg = def->opts[i].arg_name ? required_argument : no_argument;
        longopts[i].val = 0x100 + (int)i;
    }
    longopts[n].name = "help";
    longopts[n].val = 'h';

    optind = 0; /* glibc: full re-initialisation */
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, &idx)) != -1) {
        if (c == 'h') {
            sg_print_cmd_help(stdout, def);
            return 1;
        }
        if (c >= 0x100 && c < 0x100 + (int)n) {
            a->set[c - 0x100] = true;
            a->val[c - 0x100] = optarg;
            continue;
        }
        if (c == ':' || (c == '?' && optopt >= 0x100))
            sg_log_error("%s: option '%s' needs a value", def->name, argv[optind - 1]);
        else
            sg_log_error("%s: unknown option '%s'; see 'swapguard help %s'", def->name,
                         argv[optind - 1], def->name);
        return -EINVAL;
    }
    a->argc = argc - optind;
    a->argv = argv + optind;
    if (a->argc < def->min_args || a->argc > def->max_args) {
        sg_log_error("%s: expected %s%s; see 'swapguard help %s'", def->name,
                     *def->synopsis_args ? def->synopsis_args : "no arguments",
                     a->argc > def->max_args ? " only" : "", def->name);
        return -EINVAL;
    }
    return 0;
}

int sg_cmd_run(struct sg_ctx *ctx, int argc, char **argv)
{
    const struct sg_cmd_def *def = sg_cmd_find(argv[0]);
    struct sg_cmd_args a;
    int r;

    if (!def) {
        char name[256];
        sg_log_error("unknown command '%s'; 'swapguard help' lists them",
                     sg_fmt_safe(argv[0], name, sizeof(name)));
        return 1;
    }
    r = sg_cmd_parse(def, argc, argv, &a);
    if (r != 0)
        return r > 0 ? 0 : 1;
    return def->handler(ctx, &a);
}
