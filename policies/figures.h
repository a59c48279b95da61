/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Figures derived from facts, shared by every view that shows them: pure, no I/O. */
#pragma once

#include <stdint.h>

#include "rates.h"

/*
 * Guest RAM in host swap, KiB: the larger of the QEMU process's swapped-out
 * anonymous memory (/proc/PID/status VmSwap, KiB) and its memory cgroup's
 * swap (v2 memory.swap.current, v1 memory.stat total_swap, bytes; rounded
 * down to KiB). The cgroup also counts shmem/memfd-backed guest RAM, which
 * VmSwap misses; VmSwap still counts where the host does not account swap per
 * cgroup. A figure that is SG_POLICY_NONE is ignored; both unknown gives
 * SG_POLICY_NONE. The verdict (host_swap_kib), `list` ("Swapped (host)") and
 * the reports (through the verdict's evidence) all use this one rule.
 */
uint64_t sg_guest_ram_in_host_swap_kib(uint64_t vm_swap_kib, uint64_t cgroup_swap_bytes);
