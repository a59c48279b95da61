/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "probe.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qga-channel.h"
#include "util/sg-util.h"

/* Largest guest /proc file read with guest-file-read, bytes. */
#define GP_FILE_MAX (64 * 1024)

const char *gp_part_name(enum gp_part p)
{
    static const char *const names[] = {
        [GP_PART_AGENT] = "agent",       [GP_PART_TASKS] = "tasks",
        [GP_PART_KMSG] = "kernel_log",   [GP_PART_MEM] = "memory",
        [GP_PART_CPUSTATS] = "cpustats", [GP_PART_OSINFO] = "osinfo",
        [GP_PART_BALLOON] = "balloon",
    };
    return (unsigned)p < SG_ELEMENTSOF(names) ? names[p] : "unknown";
}

void gp_cpustats_sample_clear(struct gp_cpustats_sample *s)
{
    free(s->v);
    memset(s, 0, sizeof(*s));
}

void gp_probe_result_clear(struct gp_probe_result *r)
{
    gp_tasks_clear(&r->tasks);
    gp_cpustats_sample_clear(&r->cpustats);
    free(r->rates);
    memset(r, 0, sizeof(*r));
}

static void part_set(struct gp_probe_result *r, enum gp_part p, enum gp_qga_state s,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void part_set(struct gp_probe_result *r, enum gp_part p, enum gp_qga_state s,
                     const char *fmt, ...)
{
    va_list ap;

    r->part[p].state = s;
    r->part[p].why[0] = '\0';
    if (fmt) {
        va_start(ap, fmt);
        vsnprintf(r->part[p].why, sizeof(r->part[p].why), fmt, ap);
        va_end(ap);
    }
}

/* Maps a parser's error to a part state. */
static enum gp_qga_state parse_state(int r)
{
    return r == -EREMOTEIO ? GP_QGA_FAILED : GP_QGA_INVALID_REPLY;
}

static bool enabled(const struct gp_probe_result *r, enum gp_cmd c)
{
    return r->info.cmds[c] == GP_CMD_ENABLED;
}

/* Whether command c may be used; if not, sets part p and returns false. */
static bool allowed(struct gp_probe_result *r, enum gp_part p, enum gp_cmd c)
{
    switch (r->info.cmds[c]) {
    case GP_CMD_ENABLED:
        return true;
    case GP_CMD_DISABLED:
        part_set(r, p, GP_QGA_BLOCKED, "%s is blocked in qemu-ga", gp_cmd_name(c));
        return false;
    default:
        part_set(r, p, GP_QGA_UNSUPPORTED, "this qemu-ga does not offer %s", gp_cmd_name(c));
        return false;
    }
}

size_t gp_cpustats_rates(const struct gp_cpustats_sample *a, const struct gp_cpustats_sample *b,
                         struct gp_vcpu_rate *out)
{
    double dt = sg_timespec_diff_s(&a->t, &b->t);
    size_t k = 0;

    if (!(dt > 0))
        return 0;
    for (size_t i = 0; i < b->n; i++) {
        const struct gp_cpustat *y = &b->v[i];
        for (size_t j = 0; j < a->n; j++) {
            const struct gp_cpustat *x = &a->v[j];
            if (x->cpu != y->cpu)
                continue;
            out[k].cpu = y->cpu;
            /* A counter that is absent or went backwards (guest reboot) has no rate. */
            out[k].steal_ms_per_s = x->steal_ms != SG_NONE && y->steal_ms != SG_NONE &&
                                            y->steal_ms >= x->steal_ms
                                        ? (double)(y->steal_ms - x->steal_ms) / dt
                                        : NAN;
            out[k].iowait_ms_per_s = x->iowait_ms != SG_NONE && y->iowait_ms != SG_NONE &&
                                             y->iowait_ms >= x->iowait_ms
                                         ? (double)(y->iowait_ms - x->iowait_ms) / dt
                                         : NAN;
            k++;
            break;
        }
    }
    return k;
}

/* One guest-get-cpustats into s. Sets the cpustats part on failure. */
static int cpustats_sample(struct gp_agent *a, struct gp_probe_result *r, struct gp_cpustats_sample *s)
{
    _cleanup_free_ char *reply = NULL;
    enum gp_qga_state st;
    int n;

    st = gp_qga_command(a, "{\"execute\":\"guest-get-cpustats\"}", &reply);
    if (st != GP_QGA_OK) {
        part_set(r, GP_PART_CPUSTATS, st, "guest-get-cpustats: %s", a->last_error);
        return -EIO;
    }
    clock_gettime(CLOCK_MONOTONIC, &s->t);
    n = gp_parse_cpustats(reply, &s->v, r->part[GP_PART_CPUSTATS].why,
                          sizeof(r->part[GP_PART_CPUSTATS].why));
    if (n < 0) {
        if (n == -ENOMEM)
            return n;
        r->part[GP_PART_CPUSTATS].state = parse_state(n);
        return n;
    }
    s->n = (size_t)n;
    return 0;
}

/* Sets GP_PART_MEM from one file's text; returns 0 or a negative errno. */
static int mem_file(struct gp_probe_result *r, const char *name, const char *buf, size_t len)
{
    int k = gp_parse_guest_mem_file(name, buf, len, &r->mem, r->part[GP_PART_MEM].why,
                                    sizeof(r->part[GP_PART_MEM].why));
    if (k == -ENOMEM)
        return k;
    if (k < 0)
        r->part[GP_PART_MEM].state = GP_QGA_INVALID_REPLY;
    return k;
}

static void mem_done(struct gp_probe_result *r, const char *how)
{
    if (r->part[GP_PART_MEM].state != GP_QGA_OK)
        return; /* a file was invalid: its message stays */
    if (!r->mem.has_meminfo)
        part_set(r, GP_PART_MEM, GP_QGA_INVALID_REPLY, "guest /proc/meminfo missing from %s", how);
}

/*
 * guest-exec of the evidence script and guest-exec-status until it exits.
 * Returns 0, -ENOMEM, or -EIO when it did not run (parts set; *blocked when
 * qemu-ga refused guest-exec itself).
 */
static int run_script(struct gp_agent *a, const struct gp_probe_opts *o, struct gp_probe_result *r,
                      bool *blocked)
{
    _cleanup_free_ char *reply = NULL;
    struct gp_exec_status es = {0};
    struct gp_sections sec;
    json_object *req, *args, *argv;
    enum gp_qga_state st;
    char why[GP_WHY_MAX];
    int64_t pid = 0;
    long delay_ms = 50;
    int k;

    *blocked = false;
    req = json_object_new_object();
    args = json_object_new_object();
    argv = json_object_new_array();
    if (!req || !args || !argv) {
        json_object_put(req);
        json_object_put(args);
        json_object_put(argv);
        return -ENOMEM;
    }
    json_object_array_add(argv, json_object_new_string("-c"));
    json_object_array_add(argv, json_object_new_string(GP_EVIDENCE_SCRIPT));
    json_object_object_add(args, "path", json_object_new_string("/bin/sh"));
    json_object_object_add(args, "arg", argv);
    json_object_object_add(args, "capture-output", json_object_new_boolean(1));
    json_object_object_add(req, "execute", json_object_new_string("guest-exec"));
    json_object_object_add(req, "arguments", args);
    st = gp_qga_command(
        a, json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
        &reply);
    json_object_put(req);

    if (st == GP_QGA_OK) {
        k = gp_parse_exec(reply, &pid, why, sizeof(why));
        if (k < 0) {
            part_set(r, GP_PART_TASKS, parse_state(k), "%s", why);
            part_set(r, GP_PART_KMSG, parse_state(k), "%s", why);
            return -EIO;
        }
    } else {
        *blocked = st == GP_QGA_BLOCKED;
        part_set(r, GP_PART_TASKS, st, "guest-exec: %s", a->last_error);
        part_set(r, GP_PART_KMSG, st, "guest-exec: %s", a->last_error);
        return -EIO;
    }

    for (;;) {
        char cmd[128];
        struct timespec ts;

        ts.tv_sec = 0;
        ts.tv_nsec = delay_ms * 1000000L;
        /* Never sleep past the deadline (the last command needs 0.5 s). */
        if (gp_qga_remaining_s(a) - 0.5 < (double)delay_ms / 1000.0) {
            double left = gp_qga_remaining_s(a) - 0.5;
            ts.tv_nsec = left > 0 ? (long)(left * 1e9) : 0;
        }
        while (ts.tv_nsec > 0 && nanosleep(&ts, &ts) < 0 && errno == EINTR)
            ;
        delay_ms = delay_ms * 2 > 200 ? 200 : delay_ms * 2;
        free(reply);
        reply = NULL;
        snprintf(cmd, sizeof(cmd),
                 "{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":%" PRId64 "}}", pid);
        st = gp_qga_command(a, cmd, &reply);
        if (st != GP_QGA_OK) {
            part_set(r, GP_PART_TASKS, st, "guest-exec-status: %s", a->last_error);
            part_set(r, GP_PART_KMSG, st, "guest-exec-status: %s", a->last_error);
            return -EIO;
        }
        k = gp_parse_exec_status(reply, &es, why, sizeof(why));
        if (k == -ENOMEM)
            return k;
        if (k < 0) {
            part_set(r, GP_PART_TASKS, parse_state(k), "%s", why);
            part_set(r, GP_PART_KMSG, parse_state(k), "%s", why);
            return -EIO;
        }
        if (es.exited)
            break;
        gp_exec_status_clear(&es);
    }

    k = gp_split_sections(es.out ? es.out : "", es.out_len, &sec, why, sizeof(why));
    if (k < 0) {
        part_set(r, GP_PART_TASKS, GP_QGA_INVALID_REPLY, "%s", why);
        part_set(r, GP_PART_KMSG, GP_QGA_INVALID_REPLY, "%s", why);
        gp_exec_status_clear(&es);
        return -EIO;
    }
    r->exec_complete = sec.complete && !es.out_truncated;
    r->via_exec = true;

    if (!sec.tasks) {
        part_set(r, GP_PART_TASKS, GP_QGA_INVALID_REPLY, "guest-exec output has no @tasks section");
    } else {
        k = gp_parse_tasks(sec.tasks, sec.tasks_len, &r->tasks, r->part[GP_PART_TASKS].why,
                           sizeof(r->part[GP_PART_TASKS].why));
        if (k == -ENOMEM)
            goto oom;
        if (k < 0)
            r->part[GP_PART_TASKS].state = GP_QGA_INVALID_REPLY;
    }
    if (!sec.dmesg) {
        part_set(r, GP_PART_KMSG, GP_QGA_INVALID_REPLY, "guest-exec output has no @dmesg section");
    } else {
        k = gp_parse_kmsg(sec.dmesg, sec.dmesg_len, o->hung_since_us, &r->hung,
                          r->part[GP_PART_KMSG].why, sizeof(r->part[GP_PART_KMSG].why));
        if (k < 0)
            r->part[GP_PART_KMSG].state = GP_QGA_INVALID_REPLY;
    }
    if (sec.meminfo && mem_file(r, "meminfo", sec.meminfo, sec.meminfo_len) == -ENOMEM)
        goto oom;
    if (sec.vmstat && sec.vmstat_len && mem_file(r, "vmstat", sec.vmstat, sec.vmstat_len) == -ENOMEM)
        goto oom;
    /* An empty @psi section: a guest kernel without PSI, not an error. */
    if (sec.psi && sec.psi_len && mem_file(r, "pressure/memory", sec.psi, sec.psi_len) == -ENOMEM)
        goto oom;
    if (sec.uptime && gp_parse_uptime(sec.uptime, sec.uptime_len, &r->uptime_s, why, sizeof(why)) < 0)
        r->uptime_s = NAN;
    mem_done(r, "the guest-exec output");
    gp_exec_status_clear(&es);
    return 0;
oom:
    gp_exec_status_clear(&es);
    return -ENOMEM;
}

/* guest-file-open/read/close of one /proc file into *data (malloc'd). */
static enum gp_qga_state read_file(struct gp_agent *a, const char *path, char **data, size_t *len,
                                     char *why, size_t why_size)
{
    _cleanup_free_ char *reply = NULL;
    _cleanup_free_ char *buf = NULL;
    enum gp_qga_state st, ret = GP_QGA_OK;
    size_t n = 0;
    int64_t h;
    char cmd[256];
    int k;

    *data = NULL;
    *len = 0;
    /* path is one of three fixed strings: no escaping needed. */
    snprintf(cmd, sizeof(cmd),
             "{\"execute\":\"guest-file-open\",\"arguments\":{\"path\":\"%s\",\"mode\":\"r\"}}", path);
    st = gp_qga_command(a, cmd, &reply);
    if (st != GP_QGA_OK) {
        snprintf(why, why_size, "guest-file-open %s: %.200s", path, a->last_error);
        return st;
    }
    k = gp_parse_file_open(reply, &h, why, why_size);
    if (k < 0)
        return parse_state(k);
    buf = malloc(GP_FILE_MAX + 1);
    if (!buf)
        return GP_QGA_FAILED;
    for (;;) {
        char *chunk = NULL;
        size_t cl = 0;
        bool eof = false;

        free(reply);
        reply = NULL;
        snprintf(cmd, sizeof(cmd),
                 "{\"execute\":\"guest-file-read\",\"arguments\":{\"handle\":%" PRId64 ",\"count\":%d}}",
                 h, GP_FILE_MAX);
        st = gp_qga_command(a, cmd, &reply);
        if (st != GP_QGA_OK) {
            snprintf(why, why_size, "guest-file-read %s: %.200s", path, a->last_error);
            ret = st;
            break;
        }
        k = gp_parse_file_read(reply, GP_FILE_MAX, &chunk, &cl, &eof, why, why_size);
        if (k < 0) {
            ret = parse_state(k);
            break;
        }
        if (n + cl > GP_FILE_MAX) {
            free(chunk);
            snprintf(why, why_size, "guest %s larger than %d bytes", path, GP_FILE_MAX);
            ret = GP_QGA_INVALID_REPLY;
            break;
        }
        memcpy(buf + n, chunk, cl);
        n += cl;
        free(chunk);
        if (eof || cl == 0)
            break;
    }
    /* Always close what was opened (qemu-ga keeps handles until closed). */
    free(reply);
    reply = NULL;
    snprintf(cmd, sizeof(cmd), "{\"execute\":\"guest-file-close\",\"arguments\":{\"handle\":%" PRId64 "}}",
             h);
    if (gp_qga_remaining_s(a) >= 0.5)
        (void)gp_qga_command(a, cmd, &reply);
    if (ret != GP_QGA_OK)
        return ret;
    buf[n] = '\0';
    *data = TAKE_PTR(buf);
    *len = n;
    return GP_QGA_OK;
}

/* The memory files through guest-file-*. Returns 0 or -ENOMEM. */
static int read_mem_files(struct gp_agent *a, struct gp_probe_result *r)
{
    static const struct { const char *path, *name; bool optional; } files[] = {
        { "/proc/meminfo", "meminfo", false },
        { "/proc/vmstat", "vmstat", false },
        { "/proc/pressure/memory", "pressure/memory", true },
    };

    if (!allowed(r, GP_PART_MEM, GP_CMD_FILE_OPEN) || !allowed(r, GP_PART_MEM, GP_CMD_FILE_READ) ||
        !allowed(r, GP_PART_MEM, GP_CMD_FILE_CLOSE))
        return 0;
    part_set(r, GP_PART_MEM, GP_QGA_OK, NULL);
    memset(&r->mem, 0, sizeof(r->mem));
    r->via_exec = false;
    for (size_t i = 0; i < SG_ELEMENTSOF(files); i++) {
        _cleanup_free_ char *data = NULL;
        char why[GP_WHY_MAX] = "";
        enum gp_qga_state st;
        size_t len;

        st = read_file(a, files[i].path, &data, &len, why, sizeof(why));
        if (st != GP_QGA_OK) {
            /* No PSI in the guest kernel: the open fails; that is not an error. */
            if (files[i].optional && st == GP_QGA_FAILED)
                continue;
            part_set(r, GP_PART_MEM, st, "%s", why);
            return 0;
        }
        if (mem_file(r, files[i].name, data, len) == -ENOMEM)
            return -ENOMEM;
        if (r->part[GP_PART_MEM].state != GP_QGA_OK)
            return 0;
    }
    mem_done(r, "the file reads");
    return 0;
}

static int probe_agent(struct gp_agent *a, const struct gp_probe_opts *o, struct gp_probe_result *r)
{
    _cleanup_free_ char *reply = NULL;
    struct gp_cpustats_sample first = {0};
    enum gp_qga_state st;
    bool have_first = false, blocked = false, exec_ok;
    int k;

    st = gp_qga_command(a, "{\"execute\":\"guest-info\"}", &reply);
    if (st == GP_QGA_OK) {
        k = gp_parse_guest_info(reply, &r->info, r->part[GP_PART_AGENT].why,
                                sizeof(r->part[GP_PART_AGENT].why));
        if (k < 0)
            st = parse_state(k);
    } else {
        snprintf(r->part[GP_PART_AGENT].why, sizeof(r->part[GP_PART_AGENT].why), "guest-info: %.200s",
                 a->last_error);
    }
    if (st != GP_QGA_OK) {
        r->part[GP_PART_AGENT].state = st;
        /* Without guest-info nothing else is asked: each part says why. */
        for (int p = GP_PART_TASKS; p <= GP_PART_OSINFO; p++)
            part_set(r, (enum gp_part)p, st, "no guest-info (%s)", gp_qga_state_name(st));
        return 0;
    }

    if (allowed(r, GP_PART_CPUSTATS, GP_CMD_GET_CPUSTATS)) {
        k = cpustats_sample(a, r, &first);
        if (k == -ENOMEM)
            return k;
        have_first = k == 0;
    }

    exec_ok = allowed(r, GP_PART_TASKS, GP_CMD_EXEC) && allowed(r, GP_PART_TASKS, GP_CMD_EXEC_STATUS);
    if (exec_ok) {
        k = run_script(a, o, r, &blocked);
        if (k == -ENOMEM)
            goto oom;
        exec_ok = k == 0;
        if (blocked)
            part_set(r, GP_PART_TASKS, GP_QGA_BLOCKED, "unavailable: guest-exec blocked");
    } else if (r->part[GP_PART_TASKS].state == GP_QGA_BLOCKED) {
        part_set(r, GP_PART_TASKS, GP_QGA_BLOCKED, "unavailable: %s blocked",
                 gp_cmd_name(r->info.cmds[GP_CMD_EXEC] == GP_CMD_DISABLED ? GP_CMD_EXEC
                                                                          : GP_CMD_EXEC_STATUS));
    } else {
        char why[GP_WHY_MAX];
        snprintf(why, sizeof(why), "%s", r->part[GP_PART_TASKS].why);
        part_set(r, GP_PART_TASKS, r->part[GP_PART_TASKS].state, "unavailable: %s", why);
    }
    if (!exec_ok && r->part[GP_PART_TASKS].state != GP_QGA_OK && !r->via_exec)
        part_set(r, GP_PART_KMSG, r->part[GP_PART_TASKS].state, "%s", r->part[GP_PART_TASKS].why);
    /* Memory from the file commands when the script gave none. */
    if (!exec_ok || r->part[GP_PART_MEM].state != GP_QGA_OK) {
        bool files = enabled(r, GP_CMD_FILE_OPEN) && enabled(r, GP_CMD_FILE_READ) &&
                     enabled(r, GP_CMD_FILE_CLOSE);
        if (exec_ok && !files) {
            /* keep the script's "invalid reply" for memory */
        } else if (gp_qga_remaining_s(a) >= 0.5) {
            k = read_mem_files(a, r);
            if (k < 0)
                goto oom;
        } else {
            part_set(r, GP_PART_MEM, GP_QGA_TIMED_OUT, "probe deadline reached");
        }
    }

    if (allowed(r, GP_PART_OSINFO, GP_CMD_GET_OSINFO)) {
        free(reply);
        reply = NULL;
        st = gp_qga_command(a, "{\"execute\":\"guest-get-osinfo\"}", &reply);
        if (st != GP_QGA_OK) {
            part_set(r, GP_PART_OSINFO, st, "guest-get-osinfo: %s", a->last_error);
        } else {
            k = gp_parse_osinfo(reply, r->kernel_release, sizeof(r->kernel_release),
                                r->part[GP_PART_OSINFO].why, sizeof(r->part[GP_PART_OSINFO].why));
            if (k < 0)
                r->part[GP_PART_OSINFO].state = parse_state(k);
        }
    }

    /* Rates: against the previous probe, or a second sample of this one. */
    if (have_first && o->prev_cpustats && o->prev_cpustats->n) {
        r->cpustats = first;
        first = (struct gp_cpustats_sample){0};
        r->rates = calloc(r->cpustats.n ? r->cpustats.n : 1, sizeof(*r->rates));
        if (!r->rates)
            goto oom;
        r->n_rates = gp_cpustats_rates(o->prev_cpustats, &r->cpustats, r->rates);
        r->rate_interval_s = sg_timespec_diff_s(&o->prev_cpustats->t, &r->cpustats.t);
    } else if (have_first && o->rate_interval_s > 0) {
        struct timespec now;
        double wait;

        clock_gettime(CLOCK_MONOTONIC, &now);
        wait = o->rate_interval_s - sg_timespec_diff_s(&first.t, &now);
        if (wait < 0)
            wait = 0;
        if (gp_qga_remaining_s(a) - wait < 1.0) {
            snprintf(r->rate_note, sizeof(r->rate_note),
                     "one sample only: the timeout leaves no room for a second one %.1f s later",
                     o->rate_interval_s);
        } else {
            struct timespec ts = { .tv_sec = (time_t)wait,
                                   .tv_nsec = (long)((wait - (double)(time_t)wait) * 1e9) };
            while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
            k = cpustats_sample(a, r, &r->cpustats);
            if (k == -ENOMEM)
                goto oom;
            if (k == 0) {
                r->rates = calloc(r->cpustats.n ? r->cpustats.n : 1, sizeof(*r->rates));
                if (!r->rates)
                    goto oom;
                r->n_rates = gp_cpustats_rates(&first, &r->cpustats, r->rates);
                r->rate_interval_s = sg_timespec_diff_s(&first.t, &r->cpustats.t);
            } else {
                snprintf(r->rate_note, sizeof(r->rate_note), "second sample failed: %.100s",
                         r->part[GP_PART_CPUSTATS].why);
                gp_cpustats_sample_clear(&r->cpustats);
                part_set(r, GP_PART_CPUSTATS, GP_QGA_OK, NULL);
            }
        }
    } else if (have_first) {
        snprintf(r->rate_note, sizeof(r->rate_note), "one sample only: totals since guest boot");
    }
    if (have_first && !r->cpustats.v) {
        r->cpustats = first;
        first = (struct gp_cpustats_sample){0};
    }
    gp_cpustats_sample_clear(&first);
    return 0;
oom:
    gp_cpustats_sample_clear(&first);
    return -ENOMEM;
}

int gp_probe(virDomainPtr dom, const struct gp_probe_opts *o, struct gp_probe_result *out)
{
    static const struct gp_probe_opts defaults = { .timeout_s = GP_TIMEOUT_DEFAULT_S };
    struct timespec t0, t1;
    struct gp_agent a;
    int k;

    if (!o)
        o = &defaults;
    memset(out, 0, sizeof(*out));
    out->rate_interval_s = NAN;
    out->uptime_s = NAN;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    gp_qga_init(&a, dom, o->timeout_s);
    a.transport = o->transport;

    /* Balloon first: it needs no agent and is there even when the agent hangs. */
    if (!dom || o->no_balloon) {
        gp_balloon_from_stats(NULL, 0, &out->balloon);
        part_set(out, GP_PART_BALLOON, GP_QGA_FAILED, dom ? "not read" : "no domain");
    } else if (gp_balloon_read(dom, &out->balloon) < 0) {
        const char *m = virGetLastErrorMessage();
        part_set(out, GP_PART_BALLOON, GP_QGA_FAILED, "virDomainMemoryStats: ");
        gp_copy_clean(out->part[GP_PART_BALLOON].why + strlen(out->part[GP_PART_BALLOON].why),
                      sizeof(out->part[GP_PART_BALLOON].why) - strlen(out->part[GP_PART_BALLOON].why),
                      m, strlen(m));
    }

    if (dom) {
        char *xml = virDomainGetXMLDesc(dom, 0);
        out->channel = xml ? gp_qga_channel_state(xml) : -EIO;
        free(xml);
    } else {
        out->channel = GP_QGA_UNKNOWN;
    }
    if (out->channel == GP_QGA_NOT_CONFIGURED) {
        for (int p = GP_PART_AGENT; p <= GP_PART_OSINFO; p++)
            part_set(out, (enum gp_part)p, GP_QGA_NO_CHANNEL,
                     "the domain has no org.qemu.guest_agent.0 channel");
        k = 0;
    } else {
        k = probe_agent(&a, o, out);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    out->elapsed_s = sg_timespec_diff_s(&t0, &t1);
    if (k < 0) {
        gp_probe_result_clear(out);
        return k;
    }
    return 0;
}
