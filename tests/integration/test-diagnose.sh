#!/usr/bin/env bash
# shellcheck disable=SC2317  # cleanup (trap) is called indirectly
# Integration test of `swapguard diagnose` and `swapguard recommend` on real
# TCG guests of the harness, with a real host swapfile:
#   - sgdg-squeezed: 140 MiB of its RAM filled, then its memory cgroup squeezed
#     so the host swaps it out: host-swap-risk; after a hung-task report with an
#     async-PF trace is injected into its kernel log: host-swap-stall;
#   - sgdg-idle: never touched: ok;
#   - sgdg-gswap: swaps to its own swap disk while the host swaps none of it:
#     guest-internal-swap.
# TCG guests have no async PF, so the async-PF counters must be "unavailable"
# with the TCG reason. Then the recommendations: exact commands for the
# squeezed guest, none for the others, swapoff allowed with the default
# reserve and refused (with an OOM forecast) with a test-only huge reserve.
# Emits TAP.
#
# Usage: test-diagnose.sh SWAPGUARD_BINARY
set -uo pipefail

SG=${1:?usage: test-diagnose.sh SWAPGUARD_BINARY}
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
harness="$top/scripts/harness.sh"
export SG_HARNESS_DIR=${SG_HARNESS_DIR:-/var/tmp/sg-diag-it}
sq=sgdg-squeezed
idle=sgdg-idle
gswap=sgdg-gswap
err=$(mktemp)
tmp=$(mktemp -d)

# shellcheck source=tests/integration/preamble.sh
source "$top/tests/integration/preamble.sh"
require_root_and_jq "diagnose/recommend integration" "libvirtd, QEMU, swapon, memtune, guest agent"

cleanup() {
    "$harness" cleanup 2>&1 | diag
    rm -rf "$err" "$tmp"
}
trap cleanup EXIT

plan 26

setup() {
    "$harness" deps && "$harness" libvirtd-up && "$harness" swap-up 1024 && "$harness" build &&
        "$harness" start "$sq" 256 >/dev/null && "$harness" start "$idle" 256 >/dev/null &&
        SG_GUEST_SWAP_MIB=256 "$harness" start "$gswap" 256 >/dev/null
}
if ! setup 2>&1 | diag; then
    not_ok "harness brings up libvirtd, host swap and three real guests" "see the harness output above"
    bail_out "no real guests"
fi
ok "harness brings up libvirtd, host swap and three real guests"

verdict() { jq -r --arg d "$1" '.domains[] | select(.name == $d) | .verdict' <<<"$js"; }
field() { jq -r --arg d "$1" ".domains[] | select(.name == \$d) | $2" <<<"$js"; }
show() { jq -c '.domains[] | {name, verdict, confidence, evidence: [.evidence[].key], missing}' <<<"$js" | diag; }

# 1. Untouched guests are ok.
js=$("$SG" diagnose --all --json --count 2 --interval 1 2>"$err")
rc=$?
check "diagnose --all --json exits 0" test "$rc" -eq 0
[[ $rc -eq 0 ]] || diag <"$err"
show
check "the untouched guest $sq is ok before the squeeze" test "$(verdict "$sq")" = ok
check "the async-PF counters are unavailable with the TCG reason" \
    grep -q "TCG" <<<"$(field "$idle" .missing)"

# 2. Squeeze one guest into host swap; fill the other guest's own swap.
if "$harness" fill "$sq" 140 2>&1 | diag && "$harness" squeeze "$sq" 120 2>&1 | diag; then
    ok "$sq: 140 MiB of guest RAM filled and squeezed to a 120 MiB hard limit"
else
    not_ok "$sq: 140 MiB of guest RAM filled and squeezed to a 120 MiB hard limit"
fi
out=$(SG_EXEC_TIMEOUT=300 "$harness" exec "$gswap" 'mount -o remount,size=400M /mnt/fill &&
dd if=/dev/urandom of=/mnt/fill/data bs=1M count=300 2>&1 && grep -E "^Swap(Total|Free)" /proc/meminfo' 2>&1)
diag <<<"$out"
check "$gswap wrote 300 MiB into a tmpfs larger than its RAM (SwapFree < SwapTotal)" \
    awk '/^SwapTotal/ { t = $2 } /^SwapFree/ { f = $2 } END { exit !(t > 0 && f < t) }' <<<"$out"

js=$("$SG" diagnose --all --json --count 2 --interval 1 2>"$err")
rc=$?
check "diagnose --all --json exits 0 with a squeezed guest" test "$rc" -eq 0
[[ $rc -eq 0 ]] || diag <"$err"
show
check "the squeezed guest without stall evidence is host-swap-risk ($(verdict "$sq"))" \
    test "$(verdict "$sq")" = host-swap-risk
check "its evidence holds the host swap figure (host_swap_kib > 16 MiB)" \
    test "$(field "$sq" '[.evidence[] | select(.key == "host_swap_kib") | .value > 16384] | any')" = true
check "the untouched guest is ok ($(verdict "$idle"))" test "$(verdict "$idle")" = ok
check "the guest swapping by itself is guest-internal-swap ($(verdict "$gswap"))" \
    test "$(verdict "$gswap")" = guest-internal-swap
check "guest-internal-swap carries the guest's swap figure (guest_swap_used_kib)" \
    test "$(field "$gswap" '[.evidence[].key] | index("guest_swap_used_kib") != null')" = true

# 3. A hung-task report with an async-PF trace in the squeezed guest: stall.
#    Written through /dev/kmsg by guest root, it carries facility 1 (user), not
#    0 (kernel): a stall, but with the low confidence of untrusted evidence.
SG_EXEC_TIMEOUT=300 "$harness" exec "$sq" "$(cat "$top/tests/integration/inject-hung-task.sh")" 2>&1 | diag
js=$("$SG" diagnose "$sq" --json --count 2 --interval 1 2>"$err")
rc=$?
check "diagnose $sq exits 0" test "$rc" -eq 0
[[ $rc -eq 0 ]] || diag <"$err"
show
check "the squeezed guest with an async-PF hung-task report is host-swap-stall ($(verdict "$sq"))" \
    test "$(verdict "$sq")" = host-swap-stall
check "the report is labelled as written from guest user space, confidence < 0.8" \
    test "$(field "$sq" '[([.evidence[].key] | index("hung_async_pf_forged") != null), .confidence < 0.8] | all')" = true

txt=$("$SG" diagnose --all --count 2 --interval 1 2>"$err")
diag <<<"$txt"
check "the text view has the verdict table and one evidence block per domain" \
    test "$(grep -cE "^ [0-9]+ +sgdg-(squeezed|idle|gswap) +[a-z-]+ +[0-9.]+$" <<<"$txt"),$(grep -c "^Domain 'sgdg-" <<<"$txt")" = "3,3"

# 4. Without the guest agent (-r: read-only connection), the host figures alone.
js=$("$SG" -r diagnose --all --json --count 2 --interval 1 2>"$err")
show
check "-r: the squeezed guest is still host-swap-risk from host figures, the guest probe is missing" \
    test "$(field "$sq" '[.verdict == "host-swap-risk", (.missing | test("read-write"))] | all')" = true
check "-r: the untouched guest is unknown: nothing could have shown a stall ($(verdict "$idle"))" \
    test "$(verdict "$idle")" = unknown

# 5. Recommendations.
js=$("$SG" recommend --all --json 2>"$err")
rc=$?
check "recommend --all --json exits 0" test "$rc" -eq 0
[[ $rc -eq 0 ]] || diag <"$err"
jq -c '.recommendations[] | {rank, target, domain, action, refused, command}' <<<"$js" | diag
v=$(jq -r '.recommendations[] | select(.domain == "sgdg-squeezed") | .action' <<<"$js" | sort | tr '\n' ' ')
check "the squeezed guest gets swap-limit and prefetch ($v)" \
    test "$(jq -r '[.recommendations[] | select(.domain == "sgdg-squeezed") | .action] |
                   (index("swap-limit") != null and index("prefetch") != null)' <<<"$js")" = true
check "no recommendation for the ok and guest-internal-swap guests" \
    test "$(jq -r '[.recommendations[] | select(.domain == "sgdg-idle" or .domain == "sgdg-gswap")] | length' <<<"$js")" = 0
# The squeeze holds the guest below its working set: the memsw limit is raised to guest RAM
# (256 MiB) + the default QEMU overhead (256 MiB), which the kernel accepts while swap is in use.
limit_kib=$((512 * 1024))
check "swap-limit is the exact libvirt command: memsw limit = memory limit raised to $limit_kib KiB (v1)" \
    test "$(jq -r '.recommendations[] | select(.domain == "sgdg-squeezed" and .action == "swap-limit") | .command[0]' <<<"$js")" \
         = "virsh memtune --domain 'sgdg-squeezed' --hard-limit $limit_kib --swap-hard-limit $limit_kib"
swapfile=$(awk 'NR == 2 { print $1 }' /proc/swaps)
check "swapoff is allowed with the default 1 GiB reserve and names the swapfile ($swapfile)" \
    test "$(jq -r --arg f "swapoff '$swapfile'" '.recommendations[] | select(.action == "swapoff") |
                   [.refused == false, (.command | index($f) != null)] | all' <<<"$js")" = true
check "safest first: no refused recommendation ranks before an accepted one" \
    test "$(jq -r '[.recommendations[].refused] | . == (sort)' <<<"$js")" = true

# A test-only reserve (16 TiB) larger than the host: swapoff must refuse and name who the OOM killer would kill.
printf '[recommend]\nhost_reserve_mib = 16777216\n' >"$tmp/huge-reserve.conf"
js=$("$SG" recommend "$sq" --json --config "$tmp/huge-reserve.conf" 2>"$err")
jq -c '.recommendations[] | select(.action == "swapoff") | {refused, precondition, oom_forecast}' <<<"$js" | diag
check "with a reserve the host cannot keep, swapoff is refused with an OOM forecast" \
    test "$(jq -r '[.recommendations[] | select(.action == "swapoff") |
                    .refused, (.oom_forecast | length > 0)] | all' <<<"$js")" = true

printf '[recommend]\nhost_reserve_mb = 1\n' >"$tmp/bad.conf"
"$SG" diagnose "$sq" --config "$tmp/bad.conf" >/dev/null 2>"$err"
rc=$?
check "a bad key fails with one error naming file, line and key" \
    test "$rc,$(grep -c "bad.conf:2: .*host_reserve_mb" "$err")" = "1,1"

tap_exit
