/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "figures.h"

uint64_t sg_guest_ram_in_host_swap_kib(uint64_t vm_swap_kib, uint64_t cgroup_swap_bytes)
{
    uint64_t cg_kib = cgroup_swap_bytes == SG_POLICY_NONE ? SG_POLICY_NONE : cgroup_swap_bytes / 1024;

    if (vm_swap_kib == SG_POLICY_NONE)
        return cg_kib;
    if (cg_kib == SG_POLICY_NONE)
        return vm_swap_kib;
    return cg_kib > vm_swap_kib ? cg_kib : vm_swap_kib;
}
