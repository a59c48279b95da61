#!/usr/bin/env bash
# shellcheck disable=SC2317  # cleanup (trap) is called indirectly
# Integration test of `swapguard apply` (the live remedies), `rollback` and
# `history` on a real TCG guest of the harness with a real host swapfile:
#   - sgap-sq: 140 MiB of its RAM filled, its memory cgroup squeezed to 120 MiB
#     so the host swaps it out. The guest rereading its data makes the host
#     swap out (the control: /proc/vmstat pswpout); after `apply swap-limit
#     --yes`, the same reread does not, and VmSwap does not grow;
#     `apply prefetch --yes` reads the swapped guest RAM back (VmSwap below
#     half); `rollback --yes` restores the memory limits libvirt reports;
#   - oom-protect: applied and rolled back where the process may lower
#     oom_score_adj (CAP_SYS_RESOURCE), refused cleanly where it may not;
#   - swapoff: a test swapfile of its own, refused with a test-only reserve
#     that the host cannot cover, switched off with the default one, then
#     switched on again by rollback with its priority;
#   - refusals: dry runs change nothing, non-root, -r, a shut-off domain.
# Emits TAP.
#
# Usage: test-apply.sh SWAPGUARD_BINARY
set -uo pipefail

SG=${1:?usage: test-apply.sh SWAPGUARD_BINARY}
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
harness="$top/scripts/harness.sh"
export SG_HARNESS_DIR=${SG_HARNESS_DIR:-/var/tmp/sg-apply-it}
sq=sgap-sq
off=sgap-off
err=$(mktemp)
tmp=$(mktemp -d)
testswap="$SG_HARNESS_DIR/apply-test.swap"

# shellcheck source=tests/integration/preamble.sh
source "$top/tests/integration/preamble.sh"
require_root_and_jq "apply/rollback integration" "libvirtd, QEMU, memtune, swapon/swapoff"

cleanup() {
    if awk 'NR > 1 { print $1 }' /proc/swaps | grep -qxF -- "$testswap"; then swapoff "$testswap"; fi
    rm -f "$testswap"
    virsh -q -c qemu:///system undefine "$off" >/dev/null 2>&1
    "$harness" cleanup 2>&1 | diag
    rm -rf "$err" "$tmp"
}
trap cleanup EXIT

cat >"$tmp/swapguard.conf" <<EOF
[apply]
state_dir = $tmp/state
EOF
# A reserve no host has: swapoff's headroom check must fail.
cat >"$tmp/reserve.conf" <<EOF
[apply]
state_dir = $tmp/state
[recommend]
host_reserve_mib = 16000000
EOF
C=(--config "$tmp/swapguard.conf")

setup() {
    "$harness" deps && "$harness" libvirtd-up && "$harness" swap-up 1024 && "$harness" build &&
        "$harness" start "$sq" 256 >/dev/null && "$harness" fill "$sq" 140 && "$harness" squeeze "$sq" 120
}
if ! setup 2>&1 | diag; then
    not_ok "harness brings up libvirtd, host swap and a squeezed real guest" "see the harness output above"
    bail_out "no real guest"
fi
ok "harness brings up libvirtd, host swap and a squeezed real guest"

pid=$("$harness" pid "$sq")
vmswap() { awk '/^VmSwap:/ { print $2 }' "/proc/$pid/status"; }
memtune() { virsh -q -c qemu:///system memtune "$sq" | awk -F: -v k="$1" '{ gsub(/ /, "") } $1 == k { print $2 }'; }
# Pages the host swapped out since boot (only this guest is squeezed here).
pswpout() { awk '$1 == "pswpout" { print $2 }' /proc/vmstat; }
cg_v2=false
grep -q '^0::' "/proc/$pid/cgroup" && ! grep -q ':memory:' "/proc/$pid/cgroup" && cg_v2=true

# 1. Dry run: prints the change, changes nothing, needs no journal.
hard0=$(memtune hard_limit)
swaphard0=$(memtune swap_hard_limit)
out=$("$SG" apply swap-limit "$sq" "${C[@]}" 2>"$err")
rc=$?
echo "$out" | diag
check "dry run of swap-limit exits 0 and says what it would set" \
    eval '[[ $rc -eq 0 && $out == *"dry run: nothing changed (add --yes)"* ]]'
check "dry run changed nothing: hard_limit $hard0, swap_hard_limit $swaphard0, no journal" \
    eval '[[ $(memtune hard_limit) == "$hard0" && $(memtune swap_hard_limit) == "$swaphard0" && ! -e $tmp/state/journal.json ]]'

# 2. Refusals before anything is touched.
setpriv --reuid=65534 --regid=65534 --clear-groups "$SG" -c qemu:///system apply swap-limit "$sq" "${C[@]}" --yes \
    >/dev/null 2>"$err"
rc=$?
diag <"$err"
check "non-root apply --yes is refused with a message naming root" \
    eval '[[ $rc -eq 1 && $(cat "$err") == *"needs root"* ]]'
"$SG" -r apply swap-limit "$sq" "${C[@]}" --yes >/dev/null 2>"$err"
rc=$?
check "apply --yes under -r is refused (read-write connection)" \
    eval '[[ $rc -eq 1 && $(cat "$err") == *"read-write connection"* ]]'
cat >"$tmp/off.xml" <<EOF
<domain type='qemu'><name>$off</name><memory unit='MiB'>64</memory>
  <os><type arch='x86_64'>hvm</type></os></domain>
EOF
virsh -q -c qemu:///system define "$tmp/off.xml" 2>&1 | diag
"$SG" apply prefetch "$off" "${C[@]}" --yes >/dev/null 2>"$err"
rc=$?
check "a shut-off domain is refused: a live remedy needs its QEMU" \
    eval '[[ $rc -eq 1 && $(cat "$err") == *"is not running"* ]]'
diag <"$err"

# 3. The control: under the squeeze, the guest rereading its data makes the host swap out (what
#    comes back in pushes other pages out). New guest writes are no control: the guest may reuse
#    pages the host has resident, and then nothing needs to go out.
#    One reread usually swaps out several MiB; on a loaded host it may swap out less, so the
#    control rereads up to three times until 4 MiB went out, and the check after swap-limit
#    rereads as many times.
p0=$(pswpout)
rereads=0
while ((rereads < 3)); do
    "$harness" reread "$sq" >/dev/null 2>&1
    rereads=$((rereads + 1))
    p1=$(pswpout)
    (((p1 - p0) * 4 >= 4 * 1024)) && break
done
check "control: $rereads reread(s) under the squeeze make the host swap out ($(((p1 - p0) * 4)) KiB)" \
    test $(((p1 - p0) * 4)) -ge $((4 * 1024))

# 4. swap-limit.
out=$("$SG" apply swap-limit "$sq" "${C[@]}" --yes 2>"$err")
rc=$?
echo "$out" | diag
diag <"$err"
check "apply swap-limit --yes exits 0 and names its journal entry" \
    eval '[[ $rc -eq 0 && $out == *"applied (journal entry 1)"* ]]'
if $cg_v2; then
    cgdir=/sys/fs/cgroup$(awk -F: '$1 == 0 { print $3 }' "/proc/$pid/cgroup")
    check "cgroup v2: memory.swap.max is 0" test "$(cat "$cgdir/../memory.swap.max" 2>/dev/null || cat "$cgdir/memory.swap.max")" = 0
else
    # v1: memory+swap = memory limit, raised to guest RAM 256 MiB + QEMU overhead 256 MiB.
    check "cgroup v1: libvirt reports hard_limit = swap_hard_limit = 524288 KiB" \
        eval '[[ $(memtune hard_limit) == 524288 && $(memtune swap_hard_limit) == 524288 ]]'
fi
s2=$(vmswap)
p2=$(pswpout)
for ((i = 0; i < rereads; i++)); do
    "$harness" reread "$sq" >/dev/null 2>&1
done
s3=$(vmswap)
p3=$(pswpout)
check "with swap-limit, the same $rereads reread(s): the host swaps out less than 2 MiB ($(((p3 - p2) * 4)) KiB)" \
    test $(((p3 - p2) * 4)) -lt $((2 * 1024))
check "and VmSwap does not grow ($s2 -> $s3 KiB)" test "$s3" -le $((s2 + 2 * 1024))
check "the journal is a 0600 file" test "$(stat -c %a "$tmp/state/journal.json")" = 600

# 5. prefetch.
b=$(vmswap)
out=$("$SG" apply prefetch "$sq" "${C[@]}" --yes 2>"$err")
rc=$?
echo "$out" | diag
diag <"$err"
a=$(vmswap)
check "apply prefetch --yes exits 0 and reports VmSwap before and after" \
    eval '[[ $rc -eq 0 && $out == *"KiB before, "*" KiB after"* ]]'
check "prefetch lowered VmSwap by more than half ($b -> $a KiB)" test "$((a * 2))" -lt "$b"

# 6. history.
js=$("$SG" --json history "${C[@]}" 2>"$err")
check "history lists swap-limit and prefetch as applied, by root" \
    test "$(jq -r '[.[] | "\(.id) \(.action) \(.status) \(.who | startswith("root (uid 0)"))"] | join(",")' <<<"$js")" \
    = "1 swap-limit applied true,2 prefetch applied true"
out=$("$SG" history "${C[@]}" 2>&1)
echo "$out" | diag
check "history's table shows the old and new limits" eval '[[ $out == *"before: {"* && $out == *"after:  {"* ]]'

# 7. rollback (without an id: the newest entry with something to undo: swap-limit, not prefetch).
out=$("$SG" rollback "${C[@]}" 2>"$err")
rc=$?
check "rollback without --yes is a dry run of entry 1" \
    eval '[[ $rc -eq 0 && $out == *"dry run"* && $out == *"swap-limit"* ]]'
out=$("$SG" rollback "${C[@]}" --yes 2>"$err")
rc=$?
echo "$out" | diag
diag <"$err"
check "rollback --yes exits 0" test "$rc" -eq 0
if $cg_v2; then
    check "memory.swap.max is restored" test "$(cat "$cgdir/memory.swap.max" 2>/dev/null || true)" != 0
else
    check "the limits are restored: hard_limit $hard0, swap_hard_limit $swaphard0" \
        eval '[[ $(memtune hard_limit) == "$hard0" && $(memtune swap_hard_limit) == "$swaphard0" ]]'
fi
check "the entry is rolled-back in the journal" \
    test "$("$SG" --json history "${C[@]}" | jq -r '.[0].status')" = rolled-back
"$SG" rollback "${C[@]}" --yes >/dev/null 2>"$err"
rc=$?
check "a second rollback finds nothing to undo" \
    eval '[[ $rc -eq 1 && $(cat "$err") == *"nothing applied to roll back"* ]]'
"$SG" rollback 2 "${C[@]}" --yes >/dev/null 2>"$err"
rc=$?
check "prefetch cannot be rolled back, and says why" \
    eval '[[ $rc -eq 1 && $(cat "$err") == *"nothing to undo"* ]]'

# 8. oom-protect.
adj0=$(cat "/proc/$pid/oom_score_adj")
if grep -q '^CapEff:' /proc/self/status &&
   (( (0x$(awk '/^CapEff:/ { print $2 }' /proc/self/status) >> 24) & 1 )); then
    "$SG" apply oom-protect "$sq" "${C[@]}" --yes 2>"$err" | diag
    check "oom-protect sets QEMU's oom_score_adj to -900" test "$(cat "/proc/$pid/oom_score_adj")" = -900
    "$SG" rollback "${C[@]}" --yes 2>"$err" | diag
    check "rollback restores oom_score_adj $adj0" test "$(cat "/proc/$pid/oom_score_adj")" = "$adj0"
else
    "$SG" apply oom-protect "$sq" "${C[@]}" --yes >/dev/null 2>"$err"
    rc=$?
    diag <"$err"
    check "without CAP_SYS_RESOURCE oom-protect is refused, naming the capability" \
        eval '[[ $rc -eq 1 && $(cat "$err") == *CAP_SYS_RESOURCE* ]]'
    check "and oom_score_adj is unchanged ($adj0)" test "$(cat "/proc/$pid/oom_score_adj")" = "$adj0"
fi

# 9. swapoff on a test swapfile of its own.
rm -f "$testswap"
dd if=/dev/zero of="$testswap" bs=1M count=64 status=none && chmod 600 "$testswap" &&
    mkswap "$testswap" >/dev/null && swapon -p 7 "$testswap"
active() { awk 'NR > 1 { print $1 }' /proc/swaps | grep -qxF -- "$testswap"; }
check "the test swapfile is active with priority 7" \
    test "$(awk -v f="$testswap" '$1 == f { print $5 }' /proc/swaps)" = 7
"$SG" apply swapoff "$testswap" --config "$tmp/reserve.conf" --yes >/dev/null 2>"$err"
rc=$?
diag <"$err"
check "swapoff is refused when the headroom is short (test-only reserve), naming the check" \
    eval '[[ $rc -eq 1 && $(cat "$err") == *"< reserve"* && $(cat "$err") == *refused* ]]'
check "and the swapfile stays on" active
out=$("$SG" apply swapoff "$testswap" "${C[@]}" --yes 2>"$err")
rc=$?
echo "$out" | diag
diag <"$err"
check "swapoff with the default reserve succeeds and the swapfile is off" eval '[[ $rc -eq 0 ]] && ! active'
id=$("$SG" --json history "${C[@]}" | jq -r '[.[] | select(.action == "swapoff")][0].id')
"$SG" rollback "$id" "${C[@]}" --yes 2>"$err" | diag
check "rollback $id switches it on again with priority 7" \
    test "$(awk -v f="$testswap" '$1 == f { print $5 }' /proc/swaps)" = 7

plan "$n"
tap_exit
