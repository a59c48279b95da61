/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The figure schema (schema.h): one row per figure, data only. */
#include "agent/core/schema.h"

#include <string.h>

#include "policies/facts.h"

#define DOM(field, t) \
    .type = t, .offset = offsetof(struct sg_dom_facts, field), \
    .size = sizeof(((struct sg_dom_facts *)0)->field)
#define HOST(field, t) \
    .type = t, .offset = offsetof(struct sg_host_facts, field), \
    .size = sizeof(((struct sg_host_facts *)0)->field)

const struct sg_schema_row sg_schema[SG_F__MAX] = {
    [SG_F_T_S] = {
        .key = "t_s", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_INFO, .unit = SG_UNIT_SECONDS,
        .source_v1 = "clock_gettime(CLOCK_MONOTONIC) of the reading",
        .label = "Monotonic time of the tick, seconds.",
        .outputs = SG_OUT_RECORD,
        DOM(t_s, SG_TYPE_DBL),
    },
    [SG_F_RUNNING] = {
        .key = "running", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_NONE,
        .source_v1 = "a QEMU process with the domain's -uuid was read",
        .label = "1 when the domain's QEMU process was read in the newest tick, else 0.",
        .prom_name = "swapguard_domain_running", .prom_scale = 1,
        .outputs = SG_OUT_RECORD | SG_OUT_TEXTFILE,
        .flags = SG_ROW_ALWAYS,
        DOM(running, SG_TYPE_BOOL),
    },
    [SG_F_VM_SWAP_KIB] = {
        .key = "vm_swap_kib", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_KIB,
        .source_v1 = "status VmSwap (anonymous only, not shmem/memfd)",
        .label = "Swapped-out anonymous memory of the domain's QEMU process (/proc/PID/status VmSwap), bytes.",
        .prom_name = "swapguard_domain_vm_swap_bytes", .prom_scale = 1024,
        .outputs = SG_OUT_LIST | SG_OUT_RECORD | SG_OUT_METADATA | SG_OUT_JOURNALD | SG_OUT_TEXTFILE | SG_OUT_HISTORY,
        .xml_element = "swap",
        DOM(vm_swap_kib, SG_TYPE_U64),
    },
    [SG_F_CGROUP_SWAP_BYTES] = {
        .key = "cgroup_swap_bytes", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_BYTES,
        .source_v1 = "memory.stat total_swap",
        .source_v2 = "memory.swap.current",
        .label = "Swap used by the domain's memory cgroup (v2 memory.swap.current, v1 memory.stat total_swap), bytes.",
        .prom_name = "swapguard_domain_cgroup_swap_bytes", .prom_scale = 1,
        .outputs = SG_OUT_LIST | SG_OUT_RECORD | SG_OUT_METADATA | SG_OUT_JOURNALD | SG_OUT_TEXTFILE | SG_OUT_HISTORY,
        .xml_element = "swap",
        DOM(cgroup_swap_bytes, SG_TYPE_U64),
        .legacy_key = "cgroup_swap_kib", .legacy_scale = 1024,
    },
    [SG_F_GUEST_RAM_KIB] = {
        .key = "guest_ram_kib", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_KIB,
        .source_v1 = "virDomainGetInfo maxMem",
        .label = "Guest RAM size of the domain (libvirt virDomainGetInfo maxMem), bytes.",
        .prom_name = "swapguard_domain_guest_ram_bytes", .prom_scale = 1024,
        .outputs = SG_OUT_RECORD | SG_OUT_METADATA | SG_OUT_JOURNALD | SG_OUT_TEXTFILE | SG_OUT_HISTORY,
        .xml_element = "swap",
        DOM(guest_ram_kib, SG_TYPE_U64),
    },
    [SG_F_CGROUP_SWAP_EVENTS_MAX] = {
        .key = "cgroup_swap_events_max", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_COUNTER, .unit = SG_UNIT_COUNT,
        .source_v1 = "memory.memsw.failcnt (memory + swap charges refused at memory.memsw.limit_in_bytes)",
        .source_v2 = "memory.swap.events max (swap allocations refused at memory.swap.max)",
        .label = "Times the domain's memory cgroup hit its swap limit: event=max, v2 memory.swap.events max or v1 memory.memsw.failcnt; event=fail, v2 memory.swap.events fail (swap allocation failed: limit or swap full).",
        .prom_name = "swapguard_domain_cgroup_swap_events_total", .prom_scale = 1, .prom_label = "event=\"max\"",
        .outputs = SG_OUT_LIST | SG_OUT_RECORD | SG_OUT_METADATA | SG_OUT_JOURNALD | SG_OUT_TEXTFILE | SG_OUT_HISTORY,
        .flags = SG_ROW_OPTIONAL,
        .xml_element = "swap",
        DOM(cgroup_swap_events_max, SG_TYPE_U64),
    },
    [SG_F_CGROUP_SWAP_EVENTS_FAIL] = {
        .key = "cgroup_swap_events_fail", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_COUNTER, .unit = SG_UNIT_COUNT,
        .source_v1 = "none on v1 (null)",
        .source_v2 = "memory.swap.events fail (swap allocations that failed: limit or swap full)",
        .label = "Swap allocations of the domain's memory cgroup that failed (v2 memory.swap.events fail).",
        .prom_name = "swapguard_domain_cgroup_swap_events_total", .prom_scale = 1, .prom_label = "event=\"fail\"",
        .outputs = SG_OUT_LIST | SG_OUT_RECORD | SG_OUT_METADATA | SG_OUT_JOURNALD | SG_OUT_TEXTFILE | SG_OUT_HISTORY,
        .flags = SG_ROW_OPTIONAL,
        .xml_element = "swap",
        DOM(cgroup_swap_events_fail, SG_TYPE_U64),
    },
    [SG_F_CGROUP_PGMAJFAULT] = {
        .key = "cgroup_pgmajfault", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_COUNTER, .unit = SG_UNIT_COUNT,
        .source_v1 = "memory.stat total_pgmajfault (includes async-PF swap-ins)",
        .source_v2 = "memory.stat pgmajfault (includes async-PF swap-ins)",
        .label = "Major page faults of the domain's memory cgroup (memory.stat pgmajfault), host swap-ins of guest RAM included.",
        .prom_name = "swapguard_domain_major_faults_total", .prom_scale = 1,
        .outputs = SG_OUT_LIST | SG_OUT_RECORD | SG_OUT_METADATA | SG_OUT_JOURNALD | SG_OUT_TEXTFILE | SG_OUT_HISTORY,
        .xml_element = "faults",
        DOM(cgroup_pgmajfault, SG_TYPE_U64),
    },
    [SG_F_PSI_SOME_AVG10] = {
        .key = "psi_some_avg10", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_PERCENT,
        .source_v1 = "some avg10",
        .label = "Memory pressure of the domain's cgroup, some avg10 (memory.pressure), as a ratio 0..1 (the kernel's percent / 100).",
        .prom_name = "swapguard_domain_psi_some_avg10_ratio", .prom_scale = 0.01,
        .outputs = SG_OUT_LIST | SG_OUT_RECORD | SG_OUT_METADATA | SG_OUT_JOURNALD | SG_OUT_TEXTFILE | SG_OUT_HISTORY,
        .xml_element = "psi",
        DOM(psi_some_avg10, SG_TYPE_DBL),
    },
    [SG_F_PSI_FULL_AVG10] = {
        .key = "psi_full_avg10", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_PERCENT,
        .source_v1 = "full avg10",
        .label = "Memory pressure of the domain's cgroup, full avg10 (memory.pressure), as a ratio 0..1 (the kernel's percent / 100).",
        .prom_name = "swapguard_domain_psi_full_avg10_ratio", .prom_scale = 0.01,
        .outputs = SG_OUT_LIST | SG_OUT_RECORD | SG_OUT_METADATA | SG_OUT_JOURNALD | SG_OUT_TEXTFILE | SG_OUT_HISTORY,
        .xml_element = "psi",
        DOM(psi_full_avg10, SG_TYPE_DBL),
    },
    [SG_F_APF_AVAILABLE] = {
        .key = "apf_available", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_INFO, .unit = SG_UNIT_NONE,
        .source_v1 = "perf_event_open of the kvm async-PF tracepoints on the vCPU threads",
        .label = "The async-PF counters were open and read.",
        .outputs = SG_OUT_RECORD,
        DOM(apf_available, SG_TYPE_BOOL),
    },
    [SG_F_APF_MISSING] = {
        .key = "apf_missing", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_INFO, .unit = SG_UNIT_NONE,
        .source_v1 = "why the async-PF counters are not available",
        .label = "Why the async-PF counters could not be read.",
        .outputs = SG_OUT_RECORD,
        DOM(apf_missing, SG_TYPE_STR),
    },
    [SG_F_APF_NOT_PRESENT] = {
        .key = "apf_not_present", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_COUNTER, .unit = SG_UNIT_COUNT,
        .source_v1 = "kvm:kvm_async_pf_not_present, summed over the vCPU threads",
        .label = "KVM async page faults of the domain's vCPU threads (kvm tracepoints kvm_async_pf_EVENT and kvm_try_async_get_page) since swapguard opened the counters; absent when they cannot be counted (no KVM, no permission).",
        .prom_name = "swapguard_domain_async_pf_total", .prom_scale = 1, .prom_label = "event=\"not_present\"",
        .outputs = SG_OUT_RECORD | SG_OUT_METADATA | SG_OUT_TEXTFILE,
        .flags = SG_ROW_APF,
        .xml_element = "async_pf",
        DOM(apf[SG_APF_NOT_PRESENT], SG_TYPE_U64),
    },
    [SG_F_APF_READY] = {
        .key = "apf_ready", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_COUNTER, .unit = SG_UNIT_COUNT,
        .source_v1 = "kvm:kvm_async_pf_ready, summed over the vCPU threads",
        .label = "KVM async page faults of the domain's vCPU threads (kvm tracepoints kvm_async_pf_EVENT and kvm_try_async_get_page) since swapguard opened the counters; absent when they cannot be counted (no KVM, no permission).",
        .prom_name = "swapguard_domain_async_pf_total", .prom_scale = 1, .prom_label = "event=\"ready\"",
        .outputs = SG_OUT_RECORD | SG_OUT_METADATA | SG_OUT_TEXTFILE,
        .flags = SG_ROW_APF,
        .xml_element = "async_pf",
        DOM(apf[SG_APF_READY], SG_TYPE_U64),
    },
    [SG_F_APF_TRY_GET_PAGE] = {
        .key = "apf_try_get_page", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_COUNTER, .unit = SG_UNIT_COUNT,
        .source_v1 = "kvm:kvm_try_async_get_page, summed over the vCPU threads",
        .label = "KVM async page faults of the domain's vCPU threads (kvm tracepoints kvm_async_pf_EVENT and kvm_try_async_get_page) since swapguard opened the counters; absent when they cannot be counted (no KVM, no permission).",
        .prom_name = "swapguard_domain_async_pf_total", .prom_scale = 1, .prom_label = "event=\"try_get_page\"",
        .outputs = SG_OUT_RECORD | SG_OUT_METADATA | SG_OUT_TEXTFILE,
        .flags = SG_ROW_APF,
        .xml_element = "async_pf",
        DOM(apf[SG_APF_TRY_GET_PAGE], SG_TYPE_U64),
    },
    [SG_F_APF_REPEATED_FAULT] = {
        .key = "apf_repeated_fault", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_COUNTER, .unit = SG_UNIT_COUNT,
        .source_v1 = "kvm:kvm_async_pf_repeated_fault, summed over the vCPU threads",
        .label = "KVM async page faults of the domain's vCPU threads (kvm tracepoints kvm_async_pf_EVENT and kvm_try_async_get_page) since swapguard opened the counters; absent when they cannot be counted (no KVM, no permission).",
        .prom_name = "swapguard_domain_async_pf_total", .prom_scale = 1, .prom_label = "event=\"repeated_fault\"",
        .outputs = SG_OUT_RECORD | SG_OUT_METADATA | SG_OUT_TEXTFILE,
        .flags = SG_ROW_APF,
        .xml_element = "async_pf",
        DOM(apf[SG_APF_REPEATED_FAULT], SG_TYPE_U64),
    },
    [SG_F_GUEST_PROBED] = {
        .key = "guest_probed", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_INFO, .unit = SG_UNIT_NONE,
        .source_v1 = "swapguard: this tick carries a guest probe",
        .label = "This tick carries a guest probe.",
        .outputs = SG_OUT_RECORD,
        DOM(guest_probed, SG_TYPE_BOOL),
    },
    [SG_F_GUEST_AGENT_OK] = {
        .key = "guest_agent_ok", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_INFO, .unit = SG_UNIT_NONE,
        .source_v1 = "qemu-ga guest-info answered",
        .label = "The guest agent answered.",
        .outputs = SG_OUT_RECORD,
        DOM(guest.agent_ok, SG_TYPE_BOOL),
    },
    [SG_F_GUEST_TASKS_OK] = {
        .key = "guest_tasks_ok", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_INFO, .unit = SG_UNIT_NONE,
        .source_v1 = "qemu-ga guest-exec of the evidence script: task list read",
        .label = "The guest task list was read.",
        .outputs = SG_OUT_RECORD,
        DOM(guest.tasks_ok, SG_TYPE_BOOL),
    },
    [SG_F_GUEST_KMSG_OK] = {
        .key = "guest_kmsg_ok", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_INFO, .unit = SG_UNIT_NONE,
        .source_v1 = "qemu-ga guest-exec: dmesg -r read",
        .label = "The guest kernel log was read.",
        .outputs = SG_OUT_RECORD,
        DOM(guest.kmsg_ok, SG_TYPE_BOOL),
    },
    [SG_F_GUEST_MEM_OK] = {
        .key = "guest_mem_ok", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_INFO, .unit = SG_UNIT_NONE,
        .source_v1 = "qemu-ga: guest /proc/meminfo and /proc/vmstat read",
        .label = "The guest memory files were read.",
        .outputs = SG_OUT_RECORD,
        DOM(guest.mem_ok, SG_TYPE_BOOL),
    },
    [SG_F_GUEST_MISSING] = {
        .key = "guest_missing", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_INFO, .unit = SG_UNIT_NONE,
        .source_v1 = "what the guest probe could not see",
        .label = "What the guest probe could not see.",
        .outputs = SG_OUT_RECORD,
        DOM(guest.missing, SG_TYPE_STR),
    },
    [SG_F_GUEST_DSTATE_TASKS] = {
        .key = "guest_dstate_tasks", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_COUNT,
        .source_v1 = "guest /proc/*/task/*/stat state D",
        .label = "Guest tasks in D state.",
        .outputs = SG_OUT_RECORD,
        DOM(guest.dstate_tasks, SG_TYPE_U32),
    },
    [SG_F_GUEST_ASYNC_PF_TASKS] = {
        .key = "guest_async_pf_tasks", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_COUNT,
        .source_v1 = "guest wchan/stack kvm_async_pf_task_wait_schedule (or older symbols)",
        .label = "Guest tasks waiting in async PF.",
        .outputs = SG_OUT_RECORD,
        DOM(guest.async_pf_tasks, SG_TYPE_U32),
    },
    [SG_F_GUEST_HUNG_ASYNC_PF_KERNEL] = {
        .key = "guest_hung_async_pf_kernel", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_COUNT,
        .source_v1 = "guest dmesg -r hung-task reports with an async-PF trace, kernel facility",
        .label = "New hung-task reports with async PF printed by the guest kernel.",
        .outputs = SG_OUT_RECORD,
        DOM(guest.hung_async_pf_kernel, SG_TYPE_U32),
    },
    [SG_F_GUEST_HUNG_ASYNC_PF_FORGED] = {
        .key = "guest_hung_async_pf_forged", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_COUNT,
        .source_v1 = "guest dmesg -r hung-task reports with an async-PF trace, user facility",
        .label = "New hung-task reports with async PF written to /dev/kmsg from guest user space.",
        .outputs = SG_OUT_RECORD,
        DOM(guest.hung_async_pf_forged, SG_TYPE_U32),
    },
    [SG_F_GUEST_HUNG_OTHER] = {
        .key = "guest_hung_other", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_COUNT,
        .source_v1 = "guest dmesg -r hung-task reports without async PF",
        .label = "New hung-task reports without async PF.",
        .outputs = SG_OUT_RECORD,
        DOM(guest.hung_other, SG_TYPE_U32),
    },
    [SG_F_GUEST_SWAP_TOTAL_KIB] = {
        .key = "guest_swap_total_kib", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_KIB,
        .source_v1 = "guest /proc/meminfo SwapTotal",
        .label = "Guest swap size, KiB.",
        .outputs = SG_OUT_RECORD,
        DOM(guest.swap_total_kib, SG_TYPE_U64),
    },
    [SG_F_GUEST_SWAP_FREE_KIB] = {
        .key = "guest_swap_free_kib", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_KIB,
        .source_v1 = "guest /proc/meminfo SwapFree",
        .label = "Guest swap free, KiB.",
        .outputs = SG_OUT_RECORD,
        DOM(guest.swap_free_kib, SG_TYPE_U64),
    },
    [SG_F_GUEST_PSWPIN] = {
        .key = "guest_pswpin", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_COUNTER, .unit = SG_UNIT_COUNT,
        .source_v1 = "guest /proc/vmstat pswpin",
        .label = "Pages the guest swapped in since its boot.",
        .outputs = SG_OUT_RECORD,
        DOM(guest.pswpin, SG_TYPE_U64),
    },
    [SG_F_GUEST_PSWPOUT] = {
        .key = "guest_pswpout", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_COUNTER, .unit = SG_UNIT_COUNT,
        .source_v1 = "guest /proc/vmstat pswpout",
        .label = "Pages the guest swapped out since its boot.",
        .outputs = SG_OUT_RECORD,
        DOM(guest.pswpout, SG_TYPE_U64),
    },
    [SG_F_GUEST_STEAL_MS_PER_S] = {
        .key = "guest_steal_ms_per_s", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_PER_S,
        .source_v1 = "qemu-ga guest-get-cpustats steal, highest vCPU, two samples",
        .label = "Highest guest vCPU steal, ms per second.",
        .outputs = SG_OUT_RECORD,
        DOM(guest.steal_ms_per_s, SG_TYPE_DBL),
    },
    [SG_F_NAME] = {
        .key = "name", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_INFO, .unit = SG_UNIT_NONE,
        .source_v1 = "virDomainGetName",
        .label = "Domain name.",
        .outputs = SG_OUT_LIST,
    },
    [SG_F_UUID] = {
        .key = "uuid", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_INFO, .unit = SG_UNIT_NONE,
        .source_v1 = "virDomainGetUUIDString",
        .label = "Domain UUID.",
        .outputs = SG_OUT_LIST,
    },
    [SG_F_ID] = {
        .key = "id", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_INFO, .unit = SG_UNIT_NONE,
        .source_v1 = "virDomainGetID",
        .label = "Domain id (null when inactive).",
        .outputs = SG_OUT_LIST,
    },
    [SG_F_STATE] = {
        .key = "state", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_INFO, .unit = SG_UNIT_NONE,
        .source_v1 = "virDomainGetInfo state",
        .label = "Domain state.",
        .outputs = SG_OUT_LIST,
    },
    [SG_F_PID] = {
        .key = "pid", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_INFO, .unit = SG_UNIT_NONE,
        .source_v1 = "/proc/*/cmdline carrying -uuid UUID",
        .label = "PID of the QEMU process.",
        .outputs = SG_OUT_LIST,
    },
    [SG_F_MEMORY_KIB] = {
        .key = "memory_kib", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_KIB,
        .source_v1 = "virDomainGetInfo memory",
        .label = "Current guest memory, KiB.",
        .outputs = SG_OUT_LIST,
    },
    [SG_F_MAX_MEMORY_KIB] = {
        .key = "max_memory_kib", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_KIB,
        .source_v1 = "virDomainGetInfo maxMem",
        .label = "Maximum guest memory, KiB.",
        .outputs = SG_OUT_LIST,
    },
    [SG_F_VM_RSS_KIB] = {
        .key = "vm_rss_kib", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_KIB,
        .source_v1 = "status VmRSS",
        .label = "QEMU process /proc/PID/status VmRSS, KiB.",
        .outputs = SG_OUT_LIST,
    },
    [SG_F_RSS_ANON_KIB] = {
        .key = "rss_anon_kib", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_KIB,
        .source_v1 = "status RssAnon",
        .label = "QEMU process /proc/PID/status RssAnon, KiB.",
        .outputs = SG_OUT_LIST,
    },
    [SG_F_RSS_FILE_KIB] = {
        .key = "rss_file_kib", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_KIB,
        .source_v1 = "status RssFile",
        .label = "QEMU process /proc/PID/status RssFile, KiB.",
        .outputs = SG_OUT_LIST,
    },
    [SG_F_RSS_SHMEM_KIB] = {
        .key = "rss_shmem_kib", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_KIB,
        .source_v1 = "status RssShmem",
        .label = "QEMU process /proc/PID/status RssShmem, KiB.",
        .outputs = SG_OUT_LIST,
    },
    [SG_F_VM_LCK_KIB] = {
        .key = "vm_lck_kib", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_KIB,
        .source_v1 = "status VmLck",
        .label = "QEMU process /proc/PID/status VmLck, KiB.",
        .outputs = SG_OUT_LIST,
    },
    [SG_F_HUGETLB_PAGES_KIB] = {
        .key = "hugetlb_pages_kib", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_KIB,
        .source_v1 = "status HugetlbPages",
        .label = "QEMU process /proc/PID/status HugetlbPages, KiB.",
        .outputs = SG_OUT_LIST,
    },
    [SG_F_MINFLT] = {
        .key = "minflt", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_COUNTER, .unit = SG_UNIT_COUNT,
        .source_v1 = "stat field 10",
        .label = "Minor faults of the QEMU process (/proc/PID/stat field 10).",
        .outputs = SG_OUT_LIST,
    },
    [SG_F_MAJFLT] = {
        .key = "majflt", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_COUNTER, .unit = SG_UNIT_COUNT,
        .source_v1 = "stat field 12 (detail: async-PF swap-ins are charged to a kworker)",
        .label = "Major faults of the QEMU process (/proc/PID/stat field 12).",
        .outputs = SG_OUT_LIST,
    },
    [SG_F_MAJFLT_PER_S] = {
        .key = "majflt_per_s", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_PER_S,
        .source_v1 = "stat field 12, two samples",
        .label = "Major faults of the QEMU process per second.",
        .outputs = SG_OUT_LIST,
    },
    [SG_F_CGROUP_VERSION] = {
        .key = "cgroup_version", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_INFO, .unit = SG_UNIT_NONE,
        .source_v1 = "/proc/PID/cgroup",
        .label = "Version of the memory cgroup (1 or 2).",
        .outputs = SG_OUT_LIST,
    },
    [SG_F_CGROUP_MEMORY_PATH] = {
        .key = "cgroup_memory_path", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_INFO, .unit = SG_UNIT_NONE,
        .source_v1 = "/proc/PID/cgroup, walked up to memory.stat",
        .label = "Path of the domain's memory cgroup.",
        .outputs = SG_OUT_LIST,
    },
    [SG_F_CGROUP_PGMAJFAULT_PER_S] = {
        .key = "cgroup_pgmajfault_per_s", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_PER_S,
        .source_v1 = "total_pgmajfault, two samples",
        .source_v2 = "pgmajfault, two samples",
        .label = "Major faults of the domain's memory cgroup per second.",
        .outputs = SG_OUT_LIST,
    },
    [SG_F_CGROUP_USAGE_BYTES] = {
        .key = "cgroup_usage_bytes", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_BYTES,
        .source_v1 = "memory.usage_in_bytes",
        .source_v2 = "memory.current",
        .label = "Memory used by the domain's memory cgroup, bytes.",
        .outputs = SG_OUT_LIST,
    },
    [SG_F_CGROUP_MEMORY_LIMIT_BYTES] = {
        .key = "cgroup_memory_limit_bytes", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_BYTES,
        .source_v1 = "memory.limit_in_bytes (null: unlimited)",
        .source_v2 = "memory.max (null: unlimited)",
        .label = "Memory limit of the domain's memory cgroup, bytes.",
        .outputs = SG_OUT_LIST,
    },
    [SG_F_CGROUP_SWAP_MAX_BYTES] = {
        .key = "cgroup_swap_max_bytes", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_BYTES,
        .source_v1 = "memory.swap.max, v2 only (null: unlimited or v1)",
        .label = "Swap limit of the domain's memory cgroup (v2), bytes.",
        .outputs = SG_OUT_LIST,
    },
    [SG_F_CGROUP_MEMSW_LIMIT_BYTES] = {
        .key = "cgroup_memsw_limit_bytes", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_BYTES,
        .source_v1 = "memory.memsw.limit_in_bytes = memory + swap, v1 only (null: unlimited or v2)",
        .label = "Memory + swap limit of the domain's memory cgroup (v1), bytes.",
        .outputs = SG_OUT_LIST,
    },
    [SG_F_PSI_SOME_AVG60] = {
        .key = "psi_some_avg60", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_PERCENT,
        .source_v1 = "some avg60",
        .label = "Memory pressure of the domain's cgroup, some avg60, percent.",
        .outputs = SG_OUT_LIST,
    },
    [SG_F_PSI_SOME_AVG300] = {
        .key = "psi_some_avg300", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_PERCENT,
        .source_v1 = "some avg300",
        .label = "Memory pressure of the domain's cgroup, some avg300, percent.",
        .outputs = SG_OUT_LIST,
    },
    [SG_F_PSI_SOME_TOTAL_US] = {
        .key = "psi_some_total_us", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_COUNTER, .unit = SG_UNIT_US,
        .source_v1 = "some total, microseconds",
        .label = "Memory stall time of the domain's cgroup, some, microseconds.",
        .outputs = SG_OUT_LIST,
    },
    [SG_F_PSI_FULL_AVG60] = {
        .key = "psi_full_avg60", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_PERCENT,
        .source_v1 = "full avg60",
        .label = "Memory pressure of the domain's cgroup, full avg60, percent.",
        .outputs = SG_OUT_LIST,
    },
    [SG_F_PSI_FULL_AVG300] = {
        .key = "psi_full_avg300", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_PERCENT,
        .source_v1 = "full avg300",
        .label = "Memory pressure of the domain's cgroup, full avg300, percent.",
        .outputs = SG_OUT_LIST,
    },
    [SG_F_PSI_FULL_TOTAL_US] = {
        .key = "psi_full_total_us", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_COUNTER, .unit = SG_UNIT_US,
        .source_v1 = "full total, microseconds",
        .label = "Memory stall time of the domain's cgroup, full, microseconds.",
        .outputs = SG_OUT_LIST,
    },
    [SG_F_GUEST_RAM_SIZE_KIB] = {
        .key = "guest_ram_size_kib", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_KIB,
        .source_v1 = "smaps Size of the guest-RAM VMA",
        .label = "Size of the guest-RAM VMA, KiB.",
        .outputs = SG_OUT_DOMSWAP,
    },
    [SG_F_GUEST_RAM_RSS_KIB] = {
        .key = "guest_ram_rss_kib", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_KIB,
        .source_v1 = "smaps Rss (+ hugetlb) of the guest-RAM VMA",
        .label = "Resident guest RAM, KiB.",
        .outputs = SG_OUT_DOMSWAP,
    },
    [SG_F_GUEST_RAM_SWAP_KIB] = {
        .key = "guest_ram_swap_kib", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_KIB,
        .source_v1 = "smaps Swap of the guest-RAM VMA: guest RAM in host swap",
        .label = "Guest RAM in host swap (smaps), KiB.",
        .outputs = SG_OUT_DOMSWAP,
    },
    [SG_F_GUEST_RAM_BACKING] = {
        .key = "guest_ram_backing", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_INFO, .unit = SG_UNIT_NONE,
        .source_v1 = "smaps mapping path and KernelPageSize",
        .label = "What backs guest RAM.",
        .outputs = SG_OUT_DOMSWAP,
    },
    [SG_F_SMAPS_ROLLUP_SWAP_KIB] = {
        .key = "smaps_rollup_swap_kib", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_KIB,
        .source_v1 = "/proc/PID/smaps_rollup Swap (includes shmem/memfd swap VmSwap misses)",
        .label = "Swap of the whole QEMU process, KiB.",
        .outputs = SG_OUT_DOMSWAP,
    },
    [SG_F_GUEST_AGENT] = {
        .key = "guest_agent", .scope = SG_SCOPE_DOMAIN, .kind = SG_KIND_INFO, .unit = SG_UNIT_NONE,
        .source_v1 = "virDomainGetXMLDesc channel org.qemu.guest_agent.0",
        .label = "State of the guest agent channel.",
        .outputs = SG_OUT_DOMSWAP,
    },
    [SG_F_VCPU] = {
        .key = "vcpu", .scope = SG_SCOPE_VCPU, .kind = SG_KIND_INFO, .unit = SG_UNIT_NONE,
        .source_v1 = "vCPU number from the thread name CPU n/KVM or CPU n/TCG",
        .label = "vCPU thread: vCPU number from the thread name CPU n/KVM or CPU n/TCG.",
        .outputs = SG_OUT_DOMSWAP,
    },
    [SG_F_VCPU_TID] = {
        .key = "tid", .scope = SG_SCOPE_VCPU, .kind = SG_KIND_INFO, .unit = SG_UNIT_NONE,
        .source_v1 = "/proc/PID/task/TID",
        .label = "vCPU thread: /proc/PID/task/TID.",
        .outputs = SG_OUT_DOMSWAP,
    },
    [SG_F_VCPU_COMM] = {
        .key = "comm", .scope = SG_SCOPE_VCPU, .kind = SG_KIND_INFO, .unit = SG_UNIT_NONE,
        .source_v1 = "/proc/PID/task/TID/comm",
        .label = "vCPU thread: /proc/PID/task/TID/comm.",
        .outputs = SG_OUT_DOMSWAP,
    },
    [SG_F_VCPU_ACCEL] = {
        .key = "accel", .scope = SG_SCOPE_VCPU, .kind = SG_KIND_INFO, .unit = SG_UNIT_NONE,
        .source_v1 = "KVM or TCG, from the thread name",
        .label = "vCPU thread: KVM or TCG, from the thread name.",
        .outputs = SG_OUT_DOMSWAP,
    },
    [SG_F_VCPU_STATE] = {
        .key = "state", .scope = SG_SCOPE_VCPU, .kind = SG_KIND_INFO, .unit = SG_UNIT_NONE,
        .source_v1 = "/proc/PID/task/TID/stat field 3",
        .label = "vCPU thread: /proc/PID/task/TID/stat field 3.",
        .outputs = SG_OUT_DOMSWAP,
    },
    [SG_F_VCPU_MINFLT] = {
        .key = "minflt", .scope = SG_SCOPE_VCPU, .kind = SG_KIND_COUNTER, .unit = SG_UNIT_COUNT,
        .source_v1 = "/proc/PID/task/TID/stat field 10",
        .label = "vCPU thread: /proc/PID/task/TID/stat field 10.",
        .outputs = SG_OUT_DOMSWAP,
    },
    [SG_F_VCPU_MAJFLT] = {
        .key = "majflt", .scope = SG_SCOPE_VCPU, .kind = SG_KIND_COUNTER, .unit = SG_UNIT_COUNT,
        .source_v1 = "/proc/PID/task/TID/stat field 12",
        .label = "vCPU thread: /proc/PID/task/TID/stat field 12.",
        .outputs = SG_OUT_DOMSWAP,
    },
    [SG_F_VCPU_MAJFLT_PER_S] = {
        .key = "majflt_per_s", .scope = SG_SCOPE_VCPU, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_PER_S,
        .source_v1 = "/proc/PID/task/TID/stat field 12, two samples",
        .label = "vCPU thread: /proc/PID/task/TID/stat field 12, two samples.",
        .outputs = SG_OUT_DOMSWAP,
    },
    [SG_F_HOST_T_S] = {
        .key = "t_s", .scope = SG_SCOPE_HOST, .kind = SG_KIND_INFO, .unit = SG_UNIT_SECONDS,
        .source_v1 = "CLOCK_MONOTONIC of the reading",
        .label = "Monotonic time of the host tick, seconds.",
        .outputs = SG_OUT_RECORD,
        HOST(t_s, SG_TYPE_DBL),
    },
    [SG_F_HOST_MEM_TOTAL_KIB] = {
        .key = "mem_total_kib", .scope = SG_SCOPE_HOST, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_KIB,
        .source_v1 = "MemTotal",
        .label = "Host RAM (/proc/meminfo MemTotal), bytes.",
        .prom_name = "swapguard_host_mem_total_bytes", .prom_scale = 1024,
        .outputs = SG_OUT_HOSTSTATS | SG_OUT_RECORD | SG_OUT_TEXTFILE,
        HOST(mem_total_kib, SG_TYPE_U64),
    },
    [SG_F_HOST_MEM_AVAILABLE_KIB] = {
        .key = "mem_available_kib", .scope = SG_SCOPE_HOST, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_KIB,
        .source_v1 = "MemAvailable",
        .label = "Host memory available without swapping (/proc/meminfo MemAvailable), bytes.",
        .prom_name = "swapguard_host_mem_available_bytes", .prom_scale = 1024,
        .outputs = SG_OUT_HOSTSTATS | SG_OUT_RECORD | SG_OUT_TEXTFILE,
        HOST(mem_available_kib, SG_TYPE_U64),
    },
    [SG_F_HOST_SWAP_TOTAL_KIB] = {
        .key = "swap_total_kib", .scope = SG_SCOPE_HOST, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_KIB,
        .source_v1 = "SwapTotal",
        .label = "Host swap size (/proc/meminfo SwapTotal), bytes.",
        .prom_name = "swapguard_host_swap_total_bytes", .prom_scale = 1024,
        .outputs = SG_OUT_HOSTSTATS | SG_OUT_RECORD | SG_OUT_TEXTFILE,
        HOST(swap_total_kib, SG_TYPE_U64),
    },
    [SG_F_HOST_SWAP_FREE_KIB] = {
        .key = "swap_free_kib", .scope = SG_SCOPE_HOST, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_KIB,
        .source_v1 = "SwapFree",
        .label = "Host swap free (/proc/meminfo SwapFree), bytes.",
        .prom_name = "swapguard_host_swap_free_bytes", .prom_scale = 1024,
        .outputs = SG_OUT_HOSTSTATS | SG_OUT_RECORD | SG_OUT_TEXTFILE,
        HOST(swap_free_kib, SG_TYPE_U64),
    },
    [SG_F_HOST_PSWPIN] = {
        .key = "pswpin", .scope = SG_SCOPE_HOST, .kind = SG_KIND_COUNTER, .unit = SG_UNIT_COUNT,
        .source_v1 = "vmstat pswpin",
        .label = "Pages swapped in by the host since boot (/proc/vmstat pswpin).",
        .prom_name = "swapguard_host_pswpin_total", .prom_scale = 1,
        .outputs = SG_OUT_HOSTSTATS | SG_OUT_RECORD | SG_OUT_TEXTFILE,
        HOST(pswpin, SG_TYPE_U64),
    },
    [SG_F_HOST_PSWPOUT] = {
        .key = "pswpout", .scope = SG_SCOPE_HOST, .kind = SG_KIND_COUNTER, .unit = SG_UNIT_COUNT,
        .source_v1 = "vmstat pswpout",
        .label = "Pages swapped out by the host since boot (/proc/vmstat pswpout).",
        .prom_name = "swapguard_host_pswpout_total", .prom_scale = 1,
        .outputs = SG_OUT_HOSTSTATS | SG_OUT_RECORD | SG_OUT_TEXTFILE,
        HOST(pswpout, SG_TYPE_U64),
    },
    [SG_F_HOST_WORKINGSET_REFAULT_ANON] = {
        .key = "workingset_refault_anon", .scope = SG_SCOPE_HOST, .kind = SG_KIND_COUNTER, .unit = SG_UNIT_COUNT,
        .source_v1 = "vmstat workingset_refault_anon (Linux >= 5.9)",
        .label = "Anonymous pages refaulted after reclaim on the host since boot (/proc/vmstat workingset_refault_anon).",
        .prom_name = "swapguard_host_workingset_refault_anon_total", .prom_scale = 1,
        .outputs = SG_OUT_HOSTSTATS | SG_OUT_RECORD | SG_OUT_TEXTFILE,
        HOST(workingset_refault_anon, SG_TYPE_U64),
    },
    [SG_F_HOST_PSI_SOME_AVG10] = {
        .key = "psi_some_avg10", .scope = SG_SCOPE_HOST, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_PERCENT,
        .source_v1 = "some avg10",
        .label = "Host memory pressure, some avg10 (/proc/pressure/memory), as a ratio 0..1 (the kernel's percent / 100).",
        .prom_name = "swapguard_host_psi_some_avg10_ratio", .prom_scale = 0.01,
        .outputs = SG_OUT_HOSTSTATS | SG_OUT_RECORD | SG_OUT_TEXTFILE,
        HOST(psi_some_avg10, SG_TYPE_DBL),
    },
    [SG_F_HOST_PSI_FULL_AVG10] = {
        .key = "psi_full_avg10", .scope = SG_SCOPE_HOST, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_PERCENT,
        .source_v1 = "full avg10",
        .label = "Host memory pressure, full avg10 (/proc/pressure/memory), as a ratio 0..1 (the kernel's percent / 100).",
        .prom_name = "swapguard_host_psi_full_avg10_ratio", .prom_scale = 0.01,
        .outputs = SG_OUT_HOSTSTATS | SG_OUT_RECORD | SG_OUT_TEXTFILE,
        HOST(psi_full_avg10, SG_TYPE_DBL),
    },
    [SG_F_HOST_MEM_FREE_KIB] = {
        .key = "mem_free_kib", .scope = SG_SCOPE_HOST, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_KIB,
        .source_v1 = "MemFree",
        .label = "Host /proc/meminfo MemFree, KiB.",
        .outputs = SG_OUT_HOSTSTATS,
    },
    [SG_F_HOST_CACHED_KIB] = {
        .key = "cached_kib", .scope = SG_SCOPE_HOST, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_KIB,
        .source_v1 = "Cached",
        .label = "Host /proc/meminfo Cached, KiB.",
        .outputs = SG_OUT_HOSTSTATS,
    },
    [SG_F_HOST_ANON_PAGES_KIB] = {
        .key = "anon_pages_kib", .scope = SG_SCOPE_HOST, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_KIB,
        .source_v1 = "AnonPages",
        .label = "Host /proc/meminfo AnonPages, KiB.",
        .outputs = SG_OUT_HOSTSTATS,
    },
    [SG_F_HOST_SHMEM_KIB] = {
        .key = "shmem_kib", .scope = SG_SCOPE_HOST, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_KIB,
        .source_v1 = "Shmem",
        .label = "Host /proc/meminfo Shmem, KiB.",
        .outputs = SG_OUT_HOSTSTATS,
    },
    [SG_F_HOST_MLOCKED_KIB] = {
        .key = "mlocked_kib", .scope = SG_SCOPE_HOST, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_KIB,
        .source_v1 = "Mlocked",
        .label = "Host /proc/meminfo Mlocked, KiB.",
        .outputs = SG_OUT_HOSTSTATS,
    },
    [SG_F_HOST_SWAP_USED_KIB] = {
        .key = "swap_used_kib", .scope = SG_SCOPE_HOST, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_KIB,
        .source_v1 = "SwapTotal - SwapFree",
        .label = "Host /proc/meminfo SwapTotal - SwapFree, KiB.",
        .outputs = SG_OUT_HOSTSTATS,
    },
    [SG_F_HOST_SWAP_CACHED_KIB] = {
        .key = "swap_cached_kib", .scope = SG_SCOPE_HOST, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_KIB,
        .source_v1 = "SwapCached",
        .label = "Host /proc/meminfo SwapCached, KiB.",
        .outputs = SG_OUT_HOSTSTATS,
    },
    [SG_F_HOST_HUGEPAGES_TOTAL] = {
        .key = "hugepages_total", .scope = SG_SCOPE_HOST, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_COUNT,
        .source_v1 = "HugePages_Total (pages)",
        .label = "Host hugepages of the default size.",
        .outputs = SG_OUT_HOSTSTATS,
    },
    [SG_F_HOST_HUGEPAGES_FREE] = {
        .key = "hugepages_free", .scope = SG_SCOPE_HOST, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_COUNT,
        .source_v1 = "HugePages_Free (pages)",
        .label = "Free host hugepages of the default size.",
        .outputs = SG_OUT_HOSTSTATS,
    },
    [SG_F_HOST_HUGEPAGESIZE_KIB] = {
        .key = "hugepagesize_kib", .scope = SG_SCOPE_HOST, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_KIB,
        .source_v1 = "Hugepagesize",
        .label = "Default hugepage size, KiB.",
        .outputs = SG_OUT_HOSTSTATS,
    },
    [SG_F_HOST_PGMAJFAULT] = {
        .key = "pgmajfault", .scope = SG_SCOPE_HOST, .kind = SG_KIND_COUNTER, .unit = SG_UNIT_COUNT,
        .source_v1 = "vmstat pgmajfault",
        .label = "Host major faults since boot.",
        .outputs = SG_OUT_HOSTSTATS,
    },
    [SG_F_HOST_PSWPIN_PER_S] = {
        .key = "pswpin_per_s", .scope = SG_SCOPE_HOST, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_PER_S,
        .source_v1 = "vmstat pswpin, two samples",
        .label = "Host /proc/vmstat pswpin per second.",
        .outputs = SG_OUT_HOSTSTATS,
    },
    [SG_F_HOST_PSWPOUT_PER_S] = {
        .key = "pswpout_per_s", .scope = SG_SCOPE_HOST, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_PER_S,
        .source_v1 = "vmstat pswpout, two samples",
        .label = "Host /proc/vmstat pswpout per second.",
        .outputs = SG_OUT_HOSTSTATS,
    },
    [SG_F_HOST_PGMAJFAULT_PER_S] = {
        .key = "pgmajfault_per_s", .scope = SG_SCOPE_HOST, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_PER_S,
        .source_v1 = "vmstat pgmajfault, two samples",
        .label = "Host /proc/vmstat pgmajfault per second.",
        .outputs = SG_OUT_HOSTSTATS,
    },
    [SG_F_HOST_WORKINGSET_REFAULT_ANON_PER_S] = {
        .key = "workingset_refault_anon_per_s", .scope = SG_SCOPE_HOST, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_PER_S,
        .source_v1 = "vmstat workingset_refault_anon, two samples",
        .label = "Host /proc/vmstat workingset_refault_anon per second.",
        .outputs = SG_OUT_HOSTSTATS,
    },
    [SG_F_HOST_PSI_SOME_AVG60] = {
        .key = "psi_some_avg60", .scope = SG_SCOPE_HOST, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_PERCENT,
        .source_v1 = "some avg60",
        .label = "Host memory pressure, some avg60, percent.",
        .outputs = SG_OUT_HOSTSTATS,
    },
    [SG_F_HOST_PSI_SOME_AVG300] = {
        .key = "psi_some_avg300", .scope = SG_SCOPE_HOST, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_PERCENT,
        .source_v1 = "some avg300",
        .label = "Host memory pressure, some avg300, percent.",
        .outputs = SG_OUT_HOSTSTATS,
    },
    [SG_F_HOST_PSI_SOME_TOTAL_US] = {
        .key = "psi_some_total_us", .scope = SG_SCOPE_HOST, .kind = SG_KIND_COUNTER, .unit = SG_UNIT_US,
        .source_v1 = "some total, microseconds",
        .label = "Host memory stall time, some, microseconds.",
        .outputs = SG_OUT_HOSTSTATS,
    },
    [SG_F_HOST_PSI_FULL_AVG60] = {
        .key = "psi_full_avg60", .scope = SG_SCOPE_HOST, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_PERCENT,
        .source_v1 = "full avg60",
        .label = "Host memory pressure, full avg60, percent.",
        .outputs = SG_OUT_HOSTSTATS,
    },
    [SG_F_HOST_PSI_FULL_AVG300] = {
        .key = "psi_full_avg300", .scope = SG_SCOPE_HOST, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_PERCENT,
        .source_v1 = "full avg300",
        .label = "Host memory pressure, full avg300, percent.",
        .outputs = SG_OUT_HOSTSTATS,
    },
    [SG_F_HOST_PSI_FULL_TOTAL_US] = {
        .key = "psi_full_total_us", .scope = SG_SCOPE_HOST, .kind = SG_KIND_COUNTER, .unit = SG_UNIT_US,
        .source_v1 = "full total, microseconds",
        .label = "Host memory stall time, full, microseconds.",
        .outputs = SG_OUT_HOSTSTATS,
    },
    [SG_F_SWAPDEV_FILENAME] = {
        .key = "filename", .scope = SG_SCOPE_SWAP_DEVICE, .kind = SG_KIND_INFO, .unit = SG_UNIT_NONE,
        .source_v1 = "/proc/swaps Filename",
        .label = "Swap device: /proc/swaps Filename.",
        .outputs = SG_OUT_HOSTSTATS,
    },
    [SG_F_SWAPDEV_TYPE] = {
        .key = "type", .scope = SG_SCOPE_SWAP_DEVICE, .kind = SG_KIND_INFO, .unit = SG_UNIT_NONE,
        .source_v1 = "/proc/swaps Type",
        .label = "Swap device: /proc/swaps Type.",
        .outputs = SG_OUT_HOSTSTATS,
    },
    [SG_F_SWAPDEV_SIZE_KIB] = {
        .key = "size_kib", .scope = SG_SCOPE_SWAP_DEVICE, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_KIB,
        .source_v1 = "/proc/swaps Size",
        .label = "Swap device: /proc/swaps Size.",
        .outputs = SG_OUT_HOSTSTATS,
    },
    [SG_F_SWAPDEV_USED_KIB] = {
        .key = "used_kib", .scope = SG_SCOPE_SWAP_DEVICE, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_KIB,
        .source_v1 = "/proc/swaps Used",
        .label = "Swap device: /proc/swaps Used.",
        .outputs = SG_OUT_HOSTSTATS,
    },
    [SG_F_SWAPDEV_PRIORITY] = {
        .key = "priority", .scope = SG_SCOPE_SWAP_DEVICE, .kind = SG_KIND_INFO, .unit = SG_UNIT_NONE,
        .source_v1 = "/proc/swaps Priority",
        .label = "Swap device: /proc/swaps Priority.",
        .outputs = SG_OUT_HOSTSTATS,
    },
    [SG_F_POOL_NUMA_NODE] = {
        .key = "numa_node", .scope = SG_SCOPE_HUGEPAGE_POOL, .kind = SG_KIND_INFO, .unit = SG_UNIT_NONE,
        .source_v1 = "/sys/devices/system/node/nodeN",
        .label = "Hugepage pool: /sys/devices/system/node/nodeN.",
        .outputs = SG_OUT_HOSTSTATS,
    },
    [SG_F_POOL_PAGE_SIZE_KIB] = {
        .key = "page_size_kib", .scope = SG_SCOPE_HUGEPAGE_POOL, .kind = SG_KIND_INFO, .unit = SG_UNIT_KIB,
        .source_v1 = "hugepages-SIZEkB",
        .label = "Hugepage pool: hugepages-SIZEkB.",
        .outputs = SG_OUT_HOSTSTATS,
    },
    [SG_F_POOL_NR_HUGEPAGES] = {
        .key = "nr_hugepages", .scope = SG_SCOPE_HUGEPAGE_POOL, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_COUNT,
        .source_v1 = "hugepages-SIZEkB/nr_hugepages",
        .label = "Hugepage pool: hugepages-SIZEkB/nr_hugepages.",
        .outputs = SG_OUT_HOSTSTATS,
    },
    [SG_F_POOL_FREE_HUGEPAGES] = {
        .key = "free_hugepages", .scope = SG_SCOPE_HUGEPAGE_POOL, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_COUNT,
        .source_v1 = "hugepages-SIZEkB/free_hugepages",
        .label = "Hugepage pool: hugepages-SIZEkB/free_hugepages.",
        .outputs = SG_OUT_HOSTSTATS,
    },
    [SG_F_REPORT_VERDICT] = {
        .key = "verdict", .scope = SG_SCOPE_REPORT, .kind = SG_KIND_INFO, .unit = SG_UNIT_NONE,
        .source_v1 = "policies/verdict.c sg_verdict_eval",
        .label = "1 for the domain's current swapguard verdict, 0 for the others.",
        .prom_name = "swapguard_domain_verdict", .prom_scale = 1, .prom_label = "verdict",
        .outputs = SG_OUT_METADATA | SG_OUT_JOURNALD | SG_OUT_TEXTFILE | SG_OUT_HISTORY,
    },
    [SG_F_REPORT_PREVIOUS] = {
        .key = "previous", .scope = SG_SCOPE_REPORT, .kind = SG_KIND_INFO, .unit = SG_UNIT_NONE,
        .source_v1 = "the verdict reported before (absent: first report)",
        .label = "The verdict reported before.",
        .outputs = SG_OUT_METADATA | SG_OUT_JOURNALD | SG_OUT_HISTORY,
        .journald = "PREVIOUS_VERDICT",
    },
    [SG_F_REPORT_CONFIDENCE] = {
        .key = "confidence", .scope = SG_SCOPE_REPORT, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_RATIO,
        .source_v1 = "policies/verdict.c sg_verdict_eval",
        .label = "Confidence of the domain's current swapguard verdict, 0..1.",
        .prom_name = "swapguard_domain_verdict_confidence_ratio", .prom_scale = 1,
        .outputs = SG_OUT_METADATA | SG_OUT_JOURNALD | SG_OUT_TEXTFILE | SG_OUT_HISTORY,
    },
    [SG_F_REPORT_TIME] = {
        .key = "time", .scope = SG_SCOPE_REPORT, .kind = SG_KIND_INFO, .unit = SG_UNIT_NONE,
        .source_v1 = "UTC time of the round, ISO 8601",
        .label = "UTC time of the report round.",
        .outputs = SG_OUT_METADATA | SG_OUT_HISTORY,
    },
    [SG_F_REPORT_UNIX] = {
        .key = "unix", .scope = SG_SCOPE_REPORT, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_SECONDS,
        .source_v1 = "Unix time of the round",
        .label = "Unix time of the swapguard report round that wrote this file.",
        .prom_name = "swapguard_report_timestamp_seconds", .prom_scale = 1,
        .outputs = SG_OUT_TEXTFILE | SG_OUT_HISTORY,
    },
    [SG_F_REPORT_DOMAIN] = {
        .key = "domain", .scope = SG_SCOPE_REPORT, .kind = SG_KIND_INFO, .unit = SG_UNIT_NONE,
        .source_v1 = "virDomainGetName",
        .label = "Domain name (a Prometheus label).",
        .outputs = SG_OUT_JOURNALD | SG_OUT_HISTORY | SG_OUT_TEXTFILE,
        .journald = "DOMAIN_NAME",
    },
    [SG_F_REPORT_UUID] = {
        .key = "uuid", .scope = SG_SCOPE_REPORT, .kind = SG_KIND_INFO, .unit = SG_UNIT_NONE,
        .source_v1 = "virDomainGetUUIDString",
        .label = "Domain UUID (a Prometheus label).",
        .outputs = SG_OUT_JOURNALD | SG_OUT_HISTORY | SG_OUT_TEXTFILE,
        .journald = "DOMAIN_UUID",
    },
    [SG_F_REPORT_EVIDENCE] = {
        .key = "evidence", .scope = SG_SCOPE_REPORT, .kind = SG_KIND_INFO, .unit = SG_UNIT_NONE,
        .source_v1 = "struct sg_evidence: key, figure, sentence",
        .label = "The evidence of the verdict: EVIDENCE_<KEY> in journald, <evidence key value> in the metadata.",
        .outputs = SG_OUT_METADATA | SG_OUT_JOURNALD | SG_OUT_HISTORY,
        .journald = "EVIDENCE_*",
        .xml_element = "evidence",
    },
    [SG_F_REPORT_MISSING] = {
        .key = "missing", .scope = SG_SCOPE_REPORT, .kind = SG_KIND_INFO, .unit = SG_UNIT_NONE,
        .source_v1 = "what could not be seen",
        .label = "What could not be seen.",
        .outputs = SG_OUT_METADATA | SG_OUT_JOURNALD | SG_OUT_HISTORY,
        .xml_element = "missing",
    },
    [SG_F_REPORT_SWAPGUARD] = {
        .key = "swapguard", .scope = SG_SCOPE_REPORT, .kind = SG_KIND_INFO, .unit = SG_UNIT_NONE,
        .source_v1 = "the version that wrote the report",
        .label = "The swapguard version that wrote the report.",
        .outputs = SG_OUT_METADATA,
    },
    [SG_F_REPORT_FIGURES] = {
        .key = "figures", .scope = SG_SCOPE_REPORT, .kind = SG_KIND_INFO, .unit = SG_UNIT_NONE,
        .source_v1 = "the newest tick's figures (rows with the history output)",
        .label = "The domain's figures of the newest tick (null when none was read).",
        .outputs = SG_OUT_HISTORY,
    },
    [SG_F_REPORT_LAST_SAMPLE] = {
        .key = "last_sample_unix_s", .scope = SG_SCOPE_REPORT, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_SECONDS,
        .source_v1 = "Unix time of the agent's newest successful reading of the domain",
        .label = "Unix time of the newest sample of the domain's figures: a figure older than a few intervals is stale.",
        .prom_name = "swapguard_domain_last_sample_timestamp_seconds", .prom_scale = 1,
        .outputs = SG_OUT_TEXTFILE,
    },
    [SG_F_REPORT_UP] = {
        .key = "up", .scope = SG_SCOPE_REPORT, .kind = SG_KIND_GAUGE, .unit = SG_UNIT_NONE,
        .source_v1 = "the agent read the host this round and is connected to libvirtd",
        .label = "1 when the writer of this file read the host and reached libvirtd in its newest round, else 0.",
        .prom_name = "swapguard_up", .prom_scale = 1,
        .outputs = SG_OUT_TEXTFILE,
    },
};

const struct sg_schema_row *sg_schema_get(enum sg_fig_id id)
{
    return (unsigned)id < SG_F__MAX ? &sg_schema[id] : NULL;
}

const struct sg_schema_row *sg_schema_find(enum sg_schema_scope scope, const char *key, bool legacy)
{
    for (size_t i = 0; i < SG_F__MAX; i++) {
        const struct sg_schema_row *r = &sg_schema[i];

        if (r->scope != scope)
            continue;
        if (strcmp(r->key, key) == 0 || (legacy && r->legacy_key && strcmp(r->legacy_key, key) == 0))
            return r;
    }
    return NULL;
}

const char *sg_schema_source(const struct sg_schema_row *r, int cgroup_version)
{
    return cgroup_version != 1 && r->source_v2 ? r->source_v2 : r->source_v1;
}

const char *sg_schema_journald_name(const struct sg_schema_row *r, char *buf, size_t size)
{
    const char *s = r->journald ? r->journald : r->key;
    size_t i;

    for (i = 0; s[i] && i + 1 < size; i++)
        buf[i] = s[i] >= 'a' && s[i] <= 'z' ? (char)(s[i] - 'a' + 'A') : s[i];
    if (size)
        buf[i] = '\0';
    return buf;
}

const char *sg_schema_kind_name(enum sg_schema_kind k)
{
    switch (k) {
    case SG_KIND_GAUGE:
        return "gauge";
    case SG_KIND_COUNTER:
        return "counter";
    case SG_KIND_INFO:
        break;
    }
    return "info";
}
