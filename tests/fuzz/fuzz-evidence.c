/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The output of the guest evidence script (guestprobe/evidence.h), parsed as gp_probe does:
 * split into sections, then the task list with stacks, the kernel log with its hung-task
 * reports, /proc/meminfo, /proc/vmstat, /proc/pressure/memory and /proc/uptime of the guest;
 * plus the async-PF symbol search over the raw bytes. Seeds: the captured output
 * (tests/data/guest-agent/evidence-output.txt) whole and one section at a time.
 */
#include "fuzz.h"

#include "guestprobe/evidence.h"
#include "util/fmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    char why[256], shown[GP_WCHAN_MAX * 4 + 1];
    struct gp_sections sec;
    struct gp_tasks tasks = { .v = NULL };
    struct gp_hung_reports *hung;
    struct gp_guest_mem mem = { .has_meminfo = false };
    double uptime;

    (void)gp_async_pf_symbol(buf, size);
    if (gp_split_sections(buf, size, &sec, why, sizeof(why)) < 0)
        return 0;
    if (sec.tasks && gp_parse_tasks(sec.tasks, sec.tasks_len, &tasks, why, sizeof(why)) == 0) {
        FUZZ_CHECK(tasks.n <= GP_MAX_DTASKS && tasks.n <= tasks.n_dstate);
        FUZZ_CHECK(tasks.n_dstate <= tasks.n_tasks && tasks.n_async_pf <= tasks.n_dstate);
        for (size_t i = 0; i < tasks.n; i++) {
            FUZZ_CHECK(memchr(tasks.v[i].comm, '\0', GP_COMM_MAX) != NULL);
            sg_fmt_safe(tasks.v[i].comm, shown, sizeof(shown));
            sg_fmt_safe(tasks.v[i].wchan, shown, sizeof(shown));
        }
    }
    gp_tasks_clear(&tasks);
    hung = calloc(1, sizeof(*hung));
    if (!hung)
        abort();
    if (sec.dmesg && gp_parse_kmsg(sec.dmesg, sec.dmesg_len, 0, hung, why, sizeof(why)) == 0) {
        FUZZ_CHECK(hung->n <= GP_MAX_HUNG && hung->n <= hung->n_total);
        for (size_t i = 0; i < hung->n; i++)
            sg_fmt_safe(hung->v[i].comm, shown, sizeof(shown));
    }
    free(hung);
    if (sec.meminfo)
        (void)gp_parse_guest_mem_file("meminfo", sec.meminfo, sec.meminfo_len, &mem, why, sizeof(why));
    if (sec.vmstat)
        (void)gp_parse_guest_mem_file("vmstat", sec.vmstat, sec.vmstat_len, &mem, why, sizeof(why));
    if (sec.psi)
        (void)gp_parse_guest_mem_file("pressure/memory", sec.psi, sec.psi_len, &mem, why, sizeof(why));
    if (sec.uptime && gp_parse_uptime(sec.uptime, sec.uptime_len, &uptime, why, sizeof(why)) == 0)
        FUZZ_CHECK(uptime >= 0);
    return 0;
}
