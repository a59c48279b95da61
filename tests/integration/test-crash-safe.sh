#!/usr/bin/env bash
# shellcheck disable=SC2317  # cleanup (trap) is called indirectly
# shellcheck disable=SC2016,SC2034  # check ... eval '...': expanded when the check runs
# Integration test: the actions are crash-safe. swapguard is killed with SIGKILL right after
# each step of an action (the test-only hook of agent/actions/action-step.h:
# SWAPGUARD_TEST_HOOKS=1 SWAPGUARD_TEST_STOP_AFTER_STEP=K), on real libvirt:
#   - swap-limit on a running TCG guest of the harness (a memory limit set first: on cgroup v1
#     the swap limit needs one); steps: journal entry "applying", the memory parameters set,
#     entry "applied";
#   - lock-memory on a defined, never started domain; steps: entry "applying", the edited
#     definition defined, entry "applied".
# After each kill: the journal parses and its entry says exactly what was changed (status and
# the old values), the host holds either the old values or the new ones (never a change
# without an entry), and `rollback --yes` restores the host: the memory parameters libvirt
# reports, the inactive XML byte for byte. A rollback killed after its change is finished by
# the next rollback. Then the state directory on a full tmpfs: `apply --yes` refuses before it
# changes anything, the journal stays byte for byte the same, and the same apply succeeds once
# there is space again. Emits TAP.
#
# Usage: test-crash-safe.sh SWAPGUARD_BINARY
set -uo pipefail

SG=${1:?usage: test-crash-safe.sh SWAPGUARD_BINARY}
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
harness="$top/scripts/harness.sh"
export SG_HARNESS_DIR=${SG_HARNESS_DIR:-/var/tmp/sg-crash-it}
live=sgcs-live
xdom=sgcs-xml
tmp=$(mktemp -d)
conf="$tmp/swapguard.conf"
journal="$tmp/state/journal.json"
out="$tmp/out"
err="$tmp/err"
full="$tmp/full"

# shellcheck source=tests/integration/preamble.sh
source "$top/tests/integration/preamble.sh"
require_root_and_jq "crash-safe actions integration" "libvirtd, QEMU, memtune, virsh define, a tmpfs mount"

v() { virsh -q -c qemu:///system "$@"; }
cleanup() {
    if mountpoint -q "$full"; then umount "$full"; fi
    if v domuuid "$xdom" >/dev/null 2>&1; then v undefine "$xdom" >/dev/null 2>&1; fi
    "$harness" cleanup 2>&1 | diag
    rm -rf "$tmp"
}
trap cleanup EXIT

# run [ENV=VALUE...] -- ARGS...: swapguard with the test config; stdout in $out, stderr in $err
# (both shown as diagnostics), exit status in $rc.
run() {
    local envs=()
    while [[ $1 != -- ]]; do envs+=("$1"); shift; done
    shift
    env "${envs[@]}" "$SG" "$@" --config "$conf" >"$out" 2>"$err"
    rc=$?
    diag <"$out"
    diag <"$err"
}
# kill_at K ARGS...: swapguard ARGS with the hook stopping it after step K
kill_at() {
    local k=$1
    shift
    run SWAPGUARD_TEST_HOOKS=1 SWAPGUARD_TEST_STOP_AFTER_STEP="$k" -- "$@"
}
steps() { grep -c '^swapguard: test hook: step ' "$err"; }
last() { jq -r ".entries[-1]$1" "$journal"; }
no_temp_files() { ! compgen -G "$tmp/state/.journal.json.*" >/dev/null; }
# The memory parameters libvirt reports for the live domain, as "hard swap" (KiB or unlimited).
limits() {
    v memtune "$live" --live | awk -F: '{ gsub(/ /, "") } $1 == "hard_limit" { h = $2 } $1 == "swap_hard_limit" { s = $2 }
        END { print h, s }'
}
kib() { [[ $1 == unlimited ]] && echo 9007199254740991 || echo "$1"; }
dump() { v dumpxml --inactive --security-info "$xdom"; }


setup() {
    "$harness" deps && "$harness" libvirtd-up && "$harness" build && "$harness" start "$live" 256 >/dev/null
}
if ! setup 2>&1 | diag; then
    not_ok "harness brings up libvirtd and a real guest" "see the harness output above"
    bail_out "no real guest"
fi
ok "harness brings up libvirtd and a real guest"
printf '[apply]\nstate_dir = %s/state\n' "$tmp" >"$conf"
pid=$("$harness" pid "$live")
cg_v2=false
grep -q ':memory:' "/proc/$pid/cgroup" || cg_v2=true

# ---- swap-limit ---------------------------------------------------------------------------
# On cgroup v1 the swap limit is memory+swap and needs a memory limit: 1 GiB, above guest RAM
# + QEMU overhead, so that apply keeps it and sets memory+swap to it.
v memtune "$live" --hard-limit 1048576 --live 2>&1 | diag
before=$(limits)
read -r hard0 swap0 <<<"$before"
cgfile=""
if $cg_v2; then
    cgfile=/sys/fs/cgroup$(awk -F: '$1 == 0 { print $3 }' "/proc/$pid/cgroup")
    while [[ ! -e $cgfile/memory.swap.max && $cgfile != /sys/fs/cgroup ]]; do cgfile=${cgfile%/*}; done
    cgfile=$cgfile/memory.swap.max
fi
# The host's state of what swap-limit changes: libvirt's parameters (v1), memory.swap.max (v2).
host_state() { if $cg_v2; then cat "$cgfile"; else limits; fi; }
state0=$(host_state)
diag <<<"swap-limit: host state before: $state0"

# The steps, counted on a run that is not stopped.
run SWAPGUARD_TEST_HOOKS=1 -- apply swap-limit "$live" --yes
check "apply swap-limit --yes with the hook on and no stop: exit 0, 3 steps announced" \
    eval '[[ $rc -eq 0 && $(steps) -eq 3 ]]'
applied_state=$(host_state)
check "the host changed ($state0 -> $applied_state)" test "$applied_state" != "$state0"
run SWAPGUARD_TEST_HOOKS=1 -- rollback --yes
check "rollback --yes with the hook on: exit 0, 2 steps (change restored, entry marked)" \
    eval '[[ $rc -eq 0 && $(steps) -eq 2 ]]'
check "rollback restored the host ($(host_state))" test "$(host_state)" = "$state0"
# The values the entry must hold as "before".
if $cg_v2; then
    before_ok() { [[ $(last .before.swap_max) == "$state0" ]]; }
else
    before_ok() {
        [[ $(last .before.hard_limit_kib) == "$(kib "$hard0")" &&
           $(last .before.swap_hard_limit_kib) == "$(kib "$swap0")" ]]
    }
fi

for k in 1 2 3; do
    n0=$(jq '.entries | length' "$journal")
    kill_at "$k" apply swap-limit "$live" --yes
    check "swap-limit killed after step $k: SIGKILL (exit 137)" test "$rc" -eq 137
    check "step $k: the journal parses and has the new entry with the old values" \
        eval '[[ $(jq ".entries | length" "$journal") -eq $((n0 + 1)) ]] && before_ok && no_temp_files'
    now=$(host_state)
    if ((k == 1)); then
        check "step 1 (recorded, not changed): entry 'applying', host unchanged ($now)" \
            eval '[[ $(last .status) == applying && $now == "$state0" ]]'
    elif ((k == 2)); then
        check "step 2 (changed, not completed): entry 'applying', host changed ($now)" \
            eval '[[ $(last .status) == applying && $now == "$applied_state" ]]'
    else
        check "step 3 (completed): entry 'applied', host changed ($now)" \
            eval '[[ $(last .status) == applied && $now == "$applied_state" ]]'
    fi
    run -- rollback --yes
    check "after step $k: rollback --yes exits 0, the entry is rolled-back, the host restored" \
        eval '[[ $rc -eq 0 && $(last .status) == rolled-back && $(host_state) == "$state0" ]]'
done
check "after step 1 the rollback said there was nothing to restore" \
    eval '[[ $(jq -r ".entries[-3].note" "$journal") == *"interrupted before the change"* ]]'

# A rollback killed after it restored the host, before it recorded that.
run -- apply swap-limit "$live" --yes
kill_at 1 rollback --yes
check "rollback killed after restoring: exit 137, entry still 'applied', host restored" \
    eval '[[ $rc -eq 137 && $(last .status) == applied && $(host_state) == "$state0" ]]'
run -- rollback --yes
check "the next rollback finds the old values, changes nothing and marks the entry rolled-back" \
    eval '[[ $rc -eq 0 && $(last .status) == rolled-back && $(host_state) == "$state0" ]] &&
          grep -q "already holds the old value" "$out"'
run -- history
check "history reads the journal after all the kills (exit 0)" eval '[[ $rc -eq 0 ]] && grep -q swap-limit "$out"'

# ---- lock-memory on a defined, never started domain ---------------------------------------
cat >"$tmp/$xdom.xml" <<EOF
<domain type='qemu'>
  <name>$xdom</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices>
</domain>
EOF
v define "$tmp/$xdom.xml" 2>&1 | diag
dump >"$tmp/before.xml"
check "$xdom is defined and shut off" test "$(v domstate "$xdom")" = "shut off"
run SWAPGUARD_TEST_HOOKS=1 -- apply lock-memory "$xdom" --yes
check "apply lock-memory --yes with the hook on: exit 0, 3 steps" eval '[[ $rc -eq 0 && $(steps) -eq 3 ]]'
dump >"$tmp/locked.xml"
run SWAPGUARD_TEST_HOOKS=1 -- rollback --yes
check "its rollback: exit 0, 2 steps, the XML byte for byte the old one" \
    eval '[[ $rc -eq 0 && $(steps) -eq 2 ]] && dump | cmp - "$tmp/before.xml"'
for k in 1 2 3; do
    kill_at "$k" apply lock-memory "$xdom" --yes
    check "lock-memory killed after step $k: exit 137; the entry holds the old XML byte for byte" \
        eval '[[ $rc -eq 137 ]] && jq -j ".entries[-1].before.xml" "$journal" | cmp - "$tmp/before.xml" && no_temp_files'
    dump >"$tmp/now.xml"
    if ((k == 1)); then
        check "step 1: entry 'applying', definition unchanged" \
            eval '[[ $(last .status) == applying ]] && cmp -s "$tmp/now.xml" "$tmp/before.xml"'
    elif ((k == 2)); then
        check "step 2: entry 'applying', the edited definition defined" \
            eval '[[ $(last .status) == applying ]] && cmp -s "$tmp/now.xml" "$tmp/locked.xml"'
    else
        check "step 3: entry 'applied', the edited definition defined" \
            eval '[[ $(last .status) == applied ]] && cmp -s "$tmp/now.xml" "$tmp/locked.xml"'
    fi
    run -- rollback --yes
    check "after step $k: rollback --yes exits 0, entry rolled-back, dumpxml --inactive byte for byte the old" \
        eval '[[ $rc -eq 0 && $(last .status) == rolled-back ]] && dump | cmp - "$tmp/before.xml"'
done
run -- apply lock-memory "$xdom" --yes
kill_at 1 rollback --yes
check "XML rollback killed after redefining: exit 137, entry 'applied', XML already the old one" \
    eval '[[ $rc -eq 137 && $(last .status) == applied ]] && dump | cmp - "$tmp/before.xml"'
run -- rollback --yes
check "the next rollback marks it rolled-back, nothing to restore" \
    eval '[[ $rc -eq 0 && $(last .status) == rolled-back ]] && grep -q "already is the saved one" "$out"'

# ---- the state directory on a full tmpfs --------------------------------------------------
mkdir -p "$full"
if ! mount -t tmpfs -o size=256k,mode=0700 sgcs-full "$full"; then
    skip "full state directory" "cannot mount a tmpfs"
else
    printf '[apply]\nstate_dir = %s/state\n' "$full" >"$conf"
    journal="$full/state/journal.json"
    run -- apply lock-memory "$xdom" --yes
    run -- rollback --yes
    check "a journal on the small tmpfs: apply and rollback work (1 entry, rolled back)" \
        eval '[[ $rc -eq 0 && $(jq ".entries | length" "$journal") -eq 1 && $(last .status) == rolled-back ]]'
    cp "$journal" "$tmp/journal.saved"
    dd if=/dev/zero of="$full/filler" bs=4k 2>/dev/null
    check "the tmpfs is full (df: $(df --output=avail -k "$full" | tail -1 | tr -d ' ') KiB free)" \
        test "$(df --output=avail -k "$full" | tail -1 | tr -d ' ')" -eq 0
    run -- apply lock-memory "$xdom" --yes
    check "apply lock-memory --yes on a full state dir: refused (exit 1): cannot record the change, nothing changed" \
        eval '[[ $rc -eq 1 ]] && grep -qi "no space left" "$err" && grep -q "cannot record the change, so nothing changed" "$err"'
    check "the definition is unchanged (byte for byte)" eval 'dump | cmp - "$tmp/before.xml"'
    check "the journal is byte for byte the same, no temporary file left" \
        eval 'cmp "$journal" "$tmp/journal.saved" && ! compgen -G "$full/state/.journal.json.*" >/dev/null'
    run -- apply swap-limit "$live" --yes
    check "apply swap-limit --yes on a full state dir: refused (exit 1), host unchanged, journal the same" \
        eval '[[ $rc -eq 1 && $(host_state) == "$state0" ]] && cmp "$journal" "$tmp/journal.saved"'
    rm -f "$full/filler"
    run -- apply lock-memory "$xdom" --yes
    check "with space again the same apply succeeds (entry 2 applied)" \
        eval '[[ $rc -eq 0 && $(last .status) == applied && $(last .id) == 2 ]] && dump | cmp -s - "$tmp/locked.xml"'
    run -- rollback --yes
    check "and its rollback restores the XML byte for byte" eval '[[ $rc -eq 0 ]] && dump | cmp - "$tmp/before.xml"'
fi

plan "$n"
tap_exit
