#!/usr/bin/env bash
# shellcheck disable=SC2317  # cleanup (trap) and within_2pct (via check) are called indirectly
# Integration test with the real thing: a real libvirtd, two real QEMU (TCG)
# guests, a real host swapfile. One guest's RAM is pushed into host swap with
# `virsh memtune --hard-limit`; swapguard must report it, and the other
# guest (whose name has spaces) must show no swap. Emits TAP.
#
# Usage: test-real-guest.sh SWAPGUARD_BINARY
set -uo pipefail

SG=${1:?usage: test-real-guest.sh SWAPGUARD_BINARY}
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
harness="$top/scripts/harness.sh"
export SG_HARNESS_DIR=${SG_HARNESS_DIR:-/var/tmp/swapguard-it}
squeezed=sgit-squeezed
idle="sgit idle guest"
fill_mib=140
hard_mib=120

# shellcheck source=tests/integration/preamble.sh
source "$top/tests/integration/preamble.sh"
require_root_and_jq "real guest integration" "libvirtd, QEMU, swapon, memtune"

cleanup() { "$harness" cleanup 2>&1 | diag; }
trap cleanup EXIT

plan 15

setup() {
    "$harness" deps && "$harness" libvirtd-up && "$harness" swap-up 1024 && "$harness" build &&
        "$harness" start "$squeezed" 256 >/dev/null && "$harness" start "$idle" 256 >/dev/null
}
if ! setup 2>&1 | diag; then
    not_ok "harness brings up libvirtd, swap and two real guests" "see the harness output above"
    bail_out "no real guests"
fi
ok "harness brings up libvirtd, swap and two real guests"

pid=$("$harness" pid "$squeezed")
idle_pid=$("$harness" pid "$idle")

# Fill guest RAM, then squeeze the domain's memory cgroup so the host swaps it out.
if "$harness" fill "$squeezed" "$fill_mib" 2>&1 | diag && "$harness" squeeze "$squeezed" "$hard_mib" 2>&1 | diag; then
    ok "guest RAM filled with $fill_mib MiB and squeezed to a $hard_mib MiB hard limit"
else
    not_ok "guest RAM filled with $fill_mib MiB and squeezed to a $hard_mib MiB hard limit"
fi

# 1. The squeezed guest, right after the squeeze, before anything reads it back.
js=$("$SG" domswap "$squeezed" --json --interval 0 2>/tmp/sgit.err)
rc=$?
vmswap_now=$(awk '/^VmSwap:/ {print $2}' "/proc/$pid/status")
check "domswap $squeezed exits 0" test "$rc" -eq 0
[[ $rc -eq 0 ]] || diag </tmp/sgit.err

vm_swap=$(jq -r '.vm_swap_kib' <<<"$js")
ram_swap=$(jq -r '.guest_ram_swap_kib' <<<"$js")
cg_swap=$(jq -r '.cgroup_swap_bytes' <<<"$js")
rollup=$(jq -r '.smaps_rollup_swap_kib' <<<"$js")
echo "# vm_swap_kib=$vm_swap (/proc/$pid/status VmSwap now $vmswap_now) guest_ram_swap_kib=$ram_swap cgroup_swap_bytes=$cg_swap smaps_rollup_swap_kib=$rollup"

within_2pct() { # a b
    [[ $1 =~ ^[0-9]+$ && $2 =~ ^[0-9]+$ ]] || return 1
    local d=$(($1 > $2 ? $1 - $2 : $2 - $1))
    ((d * 100 <= 2 * ($2 > 0 ? $2 : 1)))
}
check "vm_swap_kib ($vm_swap) equals /proc/$pid/status VmSwap ($vmswap_now) within 2 %" \
    within_2pct "$vm_swap" "$vmswap_now"
check "guest_ram_swap_kib ($ram_swap) > 50 % of the $fill_mib MiB filled" \
    test "${ram_swap//null/0}" -gt $((fill_mib * 1024 / 2))
check "cgroup_swap_bytes ($cg_swap) > 0" test "${cg_swap//null/0}" -gt 0
check "smaps_rollup_swap_kib ($rollup) >= guest_ram_swap_kib ($ram_swap)" \
    test "${rollup//null/0}" -ge "${ram_swap//null/-1}"
check "the vCPU thread is found by its comm 'CPU 0/TCG'" \
    test "$(jq -r '.vcpus[0].comm' <<<"$js")" = "CPU 0/TCG"
check "pid is the QEMU process libvirt started ($pid)" test "$(jq -r '.pid' <<<"$js")" = "$pid"
# The swap-limit count is the kernel's: v1 memory.memsw.failcnt, v2 memory.swap.events "max".
cgv=$(jq -r '.cgroup_version' <<<"$js")
cgp=$(jq -r '.cgroup_memory_path' <<<"$js")
events=$(jq -r '.cgroup_swap_events_max' <<<"$js")
if [[ $cgv == 1 ]]; then
    want=$(cat "/sys/fs/cgroup/memory$cgp/memory.memsw.failcnt" 2>/dev/null || echo null)
else
    want=$(awk '$1 == "max" { print $2 }' "/sys/fs/cgroup$cgp/memory.swap.events" 2>/dev/null)
fi
check "cgroup_swap_events_max ($events) is the cgroup v$cgv swap-limit count ($want)" \
    test "$events" = "${want:-null}"

# 2. While the guest rereads its data, the swap-ins show as the cgroup's major faults.
"$harness" reread-bg "$squeezed" >/dev/null 2>&1
js=$("$SG" domswap "$squeezed" --json --interval 1 2>/tmp/sgit.err)
rate=$(jq -r '.cgroup_pgmajfault_per_s' <<<"$js")
echo "# during the reread: cgroup_pgmajfault_per_s=$rate majflt_per_s=$(jq -r '.majflt_per_s' <<<"$js")"
check "cgroup_pgmajfault_per_s ($rate) > 0 while the guest rereads its swapped RAM" \
    awk -v r="$rate" 'BEGIN { exit !(r != "null" && r + 0 > 0) }'

# 3. The other guest was never squeezed: no swap at all.
js=$("$SG" domswap "$idle" --json --interval 0 2>/tmp/sgit.err)
check "domswap of '$idle' (name with spaces) finds its QEMU ($idle_pid) and memory cgroup" \
    test "$(jq -r '.pid' <<<"$js"),$(jq -r '.cgroup_version' <<<"$js")" = "$idle_pid,1"
echo "# $idle: vm_swap_kib=$(jq -r .vm_swap_kib <<<"$js") guest_ram_swap_kib=$(jq -r .guest_ram_swap_kib <<<"$js") cgroup_swap_bytes=$(jq -r .cgroup_swap_bytes <<<"$js") cgroup_memory_path=$(jq -r .cgroup_memory_path <<<"$js")"
check "the idle guest shows 0 swap (vm_swap_kib, guest_ram_swap_kib, cgroup_swap_bytes)" \
    test "$(jq -r '[.vm_swap_kib, .guest_ram_swap_kib, .cgroup_swap_bytes] | map(tostring) | join(",")' <<<"$js")" = "0,0,0"

# 4. list: both domains, with the right PIDs, the squeezed one swapped.
js=$("$SG" list --json --interval 0 2>/tmp/sgit.err)
check "list --json maps both domains to their QEMU pids" \
    test "$(jq -r --arg a "$squeezed" --arg b "$idle" \
        '[.domains[] | select(.name == $a or .name == $b) | .pid] | sort | map(tostring) | join(",")' <<<"$js")" \
         = "$(printf '%s\n' "$pid" "$idle_pid" | sort -n | paste -sd,)"
"$SG" list --interval 0 | diag
check "list shows the squeezed guest in host swap and the idle one not" \
    test "$(jq -r --arg a "$squeezed" --arg b "$idle" \
        '[(.domains[] | select(.name == $a) | .cgroup_swap_bytes > 0), (.domains[] | select(.name == $b) | .cgroup_swap_bytes == 0)] | all' <<<"$js")" = true

rm -f /tmp/sgit.err
tap_exit
