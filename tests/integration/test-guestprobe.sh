#!/usr/bin/env bash
# shellcheck disable=SC2317  # cleanup (trap) is called indirectly
# Integration test of `swapguard guestprobe` with a real TCG guest of the
# harness and its real qemu-ga: healthy agent, an injected hung-task report
# with an async-PF call trace, guest-exec blocked (fallback to file reads),
# and qemu-ga stopped (not connected, within the timeout + 1 s). Then swap
# inside a guest: a second guest gets a 256 MiB swap disk of its own
# (SG_GUEST_SWAP_MIB), its tmpfs is filled beyond its 256 MiB of RAM, and
# guestprobe must report the guest's swap use and pswpout while the host side
# (domswap) shows that the host swapped none of it. Emits TAP.
#
# Usage: test-guestprobe.sh SWAPGUARD_BINARY
set -uo pipefail

SG=${1:?usage: test-guestprobe.sh SWAPGUARD_BINARY}
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
harness="$top/scripts/harness.sh"
export SG_HARNESS_DIR=${SG_HARNESS_DIR:-/var/tmp/sg-gp-it}
dom0=sggp-it-guest
dom=$dom0
swapdom=sggp-it-swap
err=$(mktemp)

# shellcheck source=tests/integration/preamble.sh
source "$top/tests/integration/preamble.sh"
require_root_and_jq "guestprobe integration" "libvirtd, QEMU, guest agent"

cleanup() {
    "$harness" stop "$dom0" 2>&1 | diag
    "$harness" stop "$swapdom" 2>&1 | diag
    "$harness" cleanup 2>&1 | diag
    rm -f "$err"
}
trap cleanup EXIT

plan 31

if ! { "$harness" deps && "$harness" libvirtd-up && "$harness" build &&
       "$harness" start "$dom" 256 >/dev/null; } 2>&1 | diag; then
    not_ok "harness brings up libvirtd and a real guest with qemu-ga" "see the harness output above"
    bail_out "no real guest"
fi
ok "harness brings up libvirtd and a real guest with qemu-ga"

agent() { virsh -q -c qemu:///system qemu-agent-command --domain "$dom" --timeout 10 "$1"; }
agent_alive() { agent '{"execute":"guest-ping"}' >/dev/null 2>&1; }
meminfo_kib() { awk -v k="$1:" '$1 == k { print $2 }' <<<"$guest_meminfo"; }

# 1. A healthy guest: the agent answers and the guest's own figures match.
js=$("$SG" guestprobe "$dom" --json 2>"$err")
rc=$?
check "guestprobe --json exits 0 on a healthy guest" test "$rc" -eq 0
[[ $rc -eq 0 ]] || diag <"$err"
guest_meminfo=$("$harness" exec "$dom" 'cat /proc/meminfo' 2>/dev/null)
release=$("$harness" exec "$dom" 'uname -r' 2>/dev/null)
echo "# agent_state=$(jq -r .agent_state <<<"$js") agent_version=$(jq -r .agent_version <<<"$js") kernel=$(jq -r .guest_kernel_release <<<"$js") elapsed_s=$(jq -r .elapsed_s <<<"$js")"
check "the agent is connected, with a version, and every part is ok" \
    test "$(jq -r '[.agent_state == "connected", (.agent_version | type) == "string",
                    ([.status[] | .state] | all(. == "ok"))] | all' <<<"$js")" = true
check "guest_kernel_release ($(jq -r .guest_kernel_release <<<"$js")) is the guest's uname -r ($release)" \
    test "$(jq -r .guest_kernel_release <<<"$js")" = "$release"
check "guest_mem_total_kib ($(jq -r .guest_mem_total_kib <<<"$js")) = guest MemTotal ($(meminfo_kib MemTotal))" \
    test "$(jq -r .guest_mem_total_kib <<<"$js")" = "$(meminfo_kib MemTotal)"
check "guest_swap_total_kib ($(jq -r .guest_swap_total_kib <<<"$js")) = guest SwapTotal ($(meminfo_kib SwapTotal))" \
    test "$(jq -r .guest_swap_total_kib <<<"$js")" = "$(meminfo_kib SwapTotal)"
check "guest vmstat counters and PSI are numbers (evidence_source guest-exec)" \
    test "$(jq -r '[.evidence_source == "guest-exec", (.guest_pswpin, .guest_pswpout, .guest_pgmajfault,
                    .guest_psi_some_total_us | type == "number")] | all' <<<"$js")" = true
check "steal and iowait rates from two cpustats samples (steal_ms_per_s is a number)" \
    test "$(jq -r '[(.cpustats_interval_s >= 1), (.vcpus | length > 0),
                    (.vcpus[] | .steal_ms_per_s | type == "number")] | all' <<<"$js")" = true
check "balloon figures are there (memballoon stats period 2): balloon_usable_kib > 0" \
    test "$(jq -r '.balloon_usable_kib // 0' <<<"$js")" -gt 0
check "no D-state task waits in async PF on an idle TCG guest (tasks_total > 0)" \
    test "$(jq -r '[.tasks_total > 0, .tasks_async_pf == 0] | all' <<<"$js")" = true

# 2. A hung-task report with an async-PF call trace in the guest kernel log.
"$harness" exec "$dom" "$(cat "$top/tests/integration/inject-hung-task.sh")" 2>&1 | diag
js=$("$SG" guestprobe "$dom" --json --interval 0 2>"$err")
jq -c '.hung_task_reports' <<<"$js" | diag
check "the injected report is found: sggp-stall:4242, blocked 120 s" \
    test "$(jq -r '[.hung_task_reports[] | select(.comm == "sggp-stall" and .pid == 4242 and .blocked_for_s == 120)] | length' <<<"$js")" -ge 1
check "it is marked async PF (kvm_async_pf_task_wait_schedule) and not from the kernel (written to /dev/kmsg)" \
    test "$(jq -r '[.hung_task_reports[] | select(.pid == 4242) | .async_pf == true and
                    .matched_symbol == "kvm_async_pf_task_wait_schedule" and .from_kernel == false] | all' <<<"$js")" = true
cursor=$(jq -r .kmsg_cursor_us <<<"$js")
text=$("$SG" guestprobe "$dom" --interval 0 2>"$err")
grep -E 'sggp-stall|D-state|report' <<<"$text" | diag
check "the text output names the task and its async-PF symbol" \
    grep -q 'task sggp-stall:4242 blocked for more than 120 s; trace [0-9]* lines, async PF: kvm_async_pf_task_wait_schedule' <<<"$text"
js=$("$SG" guestprobe "$dom" --json --interval 0 --since-us "$cursor" 2>"$err")
check "with --since-us $cursor (the last kmsg_cursor_us) the report is not repeated" \
    test "$(jq -r '.hung_task_reports | length' <<<"$js")" = 0

# 3. guest-exec blocked: qemu-ga restarted with -b guest-exec. It runs until
#    /run/sggp-stop appears (written below with guest-file-open), then is
#    killed; /run/qemu-ga.disabled keeps the guest's respawn loop from
#    starting another one.
"$harness" exec "$dom" 'touch /run/qemu-ga.disabled
port=$(for d in /sys/class/virtio-ports/vport*; do [ "$(cat $d/name)" = org.qemu.guest_agent.0 ] && echo /dev/${d##*/}; done)
setsid sh -c "sleep 1; kill \$(pidof qemu-ga); sleep 1; /usr/sbin/qemu-ga -m virtio-serial -p $port -b guest-exec & p=\$!; while [ ! -e /run/sggp-stop ]; do sleep 0.2; done; kill \$p" </dev/null >/dev/null 2>&1 &
echo restarting qemu-ga with -b guest-exec' 2>&1 | diag
blocked=false
for _ in $(seq 1 60); do
    sleep 0.5
    if [ "$(agent '{"execute":"guest-info"}' 2>/dev/null |
            jq -r '[.return.supported_commands[] | select(.name == "guest-exec") | .enabled][0]')" = false ]; then
        blocked=true
        break
    fi
done
check "qemu-ga runs again with guest-exec blocked" test "$blocked" = true
js=$("$SG" guestprobe "$dom" --json --interval 0 2>"$err")
rc=$?
echo "# status: $(jq -c '.status | map_values(.state)' <<<"$js") evidence_source=$(jq -r .evidence_source <<<"$js")"
check "guestprobe exits 0 and lists guest-exec as blocked" \
    test "$rc,$(jq -r '.agent_blocked_commands | join(",")' <<<"$js")" = "0,guest-exec"
check "tasks and kernel log say 'unavailable: guest-exec blocked'" \
    test "$(jq -r '[.status.tasks, .status.kernel_log] | map(.state + ": " + .detail) | join(";")' <<<"$js")" \
        = "blocked: unavailable: guest-exec blocked;blocked: unavailable: guest-exec blocked"
check "memory falls back to guest-file-read: guest_mem_total_kib = guest MemTotal ($(meminfo_kib MemTotal))" \
    test "$(jq -r '[.evidence_source, .status.memory.state, .guest_mem_total_kib, .guest_swap_total_kib] | map(tostring) | join(",")' <<<"$js")" \
        = "guest-file-read,ok,$(meminfo_kib MemTotal),$(meminfo_kib SwapTotal)"
text=$("$SG" guestprobe "$dom" --interval 0 2>"$err")
check "the text output says guest-exec is blocked" grep -q '^  unavailable: guest-exec blocked$' <<<"$text"

# 4. qemu-ga stopped: /run/qemu-ga.disabled is there; the stop file makes
#    the wrapper kill qemu-ga. guestprobe must say "not connected", exit 0,
#    within --timeout 3 plus 1 s.
h=$(agent '{"execute":"guest-file-open","arguments":{"path":"/run/sggp-stop","mode":"w"}}' | jq -r .return)
agent "{\"execute\":\"guest-file-close\",\"arguments\":{\"handle\":$h}}" >/dev/null
for _ in $(seq 1 40); do
    sleep 0.5
    agent '{"execute":"guest-ping"}' >/dev/null 2>&1 || break
done
t0=$(date +%s.%N)
text=$("$SG" guestprobe "$dom" --timeout 3 2>"$err")
rc=$?
t1=$(date +%s.%N)
elapsed=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
sed -n '1,5p' <<<"$text" | diag
check "with qemu-ga stopped, guestprobe --timeout 3 exits 0" test "$rc" -eq 0
check "it answers 'not connected'" grep -q '^  not connected: ' <<<"$text"
check "within the timeout + 1 s (took $elapsed s)" awk -v e="$elapsed" 'BEGIN { exit !(e <= 4.0) }'
js=$("$SG" guestprobe "$dom" --timeout 3 --json 2>"$err")
check "JSON: agent_state 'not connected', balloon still ok" \
    test "$(jq -r '[.agent_state, .status.tasks.state, .status.balloon.state] | join(",")' <<<"$js")" \
        = "not connected,not connected,ok"

# 5. Swap inside the guest: a guest with 256 MiB of RAM and a 256 MiB swap
#    disk (its /init runs mkswap + swapon /dev/vda). 300 MiB written to its
#    tmpfs (remounted at 400M) cannot all stay in RAM, so the guest swaps to
#    its own disk. No memtune on this guest and plenty of host RAM: the host
#    swaps none of it, and that is what tells the two apart.
"$harness" stop "$dom" 2>&1 | diag   # its qemu-ga is stopped; not needed any more
if ! { SG_GUEST_SWAP_MIB=256 "$harness" start "$swapdom" 256 >/dev/null; } 2>&1 | diag; then
    not_ok "harness starts a guest with a 256 MiB swap disk" "see the harness output above"
    bail_out "no guest with a swap disk"
fi
ok "harness starts a guest with a 256 MiB swap disk"
dom=$swapdom
guest_meminfo=$("$harness" exec "$dom" 'cat /proc/meminfo' 2>/dev/null)
js=$("$SG" guestprobe "$dom" --json --interval 0 2>"$err")
check "the guest has swap of its own: guest_swap_total_kib ($(jq -r .guest_swap_total_kib <<<"$js")) = guest SwapTotal ($(meminfo_kib SwapTotal)) > 0" \
    test "$(jq -r '.guest_swap_total_kib' <<<"$js"),$(( $(meminfo_kib SwapTotal) > 0 ))" = "$(meminfo_kib SwapTotal),1"
# shellcheck disable=SC2016  # expanded in the guest
out=$(SG_EXEC_TIMEOUT=300 "$harness" exec "$dom" 'mount -o remount,size=400M /mnt/fill &&
dd if=/dev/urandom of=/mnt/fill/data bs=1M count=300 2>&1 && echo "size $(wc -c < /mnt/fill/data)"' 2>&1)
diag <<<"$out"
check "300 MiB written to the guest's tmpfs (dd succeeded, the guest OOM killer spared it)" \
    grep -qx "size $((300 * 1024 * 1024))" <<<"$out"
# The balloon driver reports every 2 s (stats period 2): give it a few periods.
for _ in $(seq 1 20); do
    js=$("$SG" guestprobe "$dom" --json --interval 0 2>"$err")
    [ "$(jq -r '.balloon_swap_out_kib == null or .balloon_swap_out_kib > 0' <<<"$js")" = true ] && break
    sleep 0.5
done
echo "# guest: $(jq -c '{guest_mem_available_kib, guest_swap_total_kib, guest_swap_free_kib, guest_swap_cached_kib,
    guest_pswpin, guest_pswpout, balloon_swap_in_kib, balloon_swap_out_kib, evidence_source}' <<<"$js")"
check "guestprobe sees guest swap in use: SwapTotal - SwapFree = $(jq -r '.guest_swap_total_kib - .guest_swap_free_kib' <<<"$js") KiB > 0" \
    test "$(jq -r '[.status.memory.state == "ok", .guest_swap_total_kib - .guest_swap_free_kib > 0] | all' <<<"$js")" = true
check "guest_pswpout ($(jq -r .guest_pswpout <<<"$js")) > 0: the guest wrote to its own swap" \
    test "$(jq -r '.guest_pswpout > 0' <<<"$js")" = true
check "balloon_swap_out_kib ($(jq -r .balloon_swap_out_kib <<<"$js")) > 0 (or no balloon figure)" \
    test "$(jq -r '.balloon_swap_out_kib == null or .balloon_swap_out_kib > 0' <<<"$js")" = true
hs=$("$SG" domswap "$dom" --json --interval 0 2>"$err")
echo "# host: $(jq -c '{cgroup_swap_bytes, vm_swap_kib, guest_ram_swap_kib}' <<<"$hs")"
check "the host did not swap this guest: cgroup_swap_bytes = 0 and vm_swap_kib = 0" \
    test "$(jq -r '[.cgroup_swap_bytes, .vm_swap_kib] | map(tostring) | join(",")' <<<"$hs")" = "0,0"
check "the guest agent still answers after the guest swapped" agent_alive

tap_exit
