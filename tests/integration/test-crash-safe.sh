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
#     definition defined, entry "applied";
#   - oom-protect on the running guest; steps: entry "applying", oom_score_adj written, entry
#     "applied";
#   - swapoff of a 16 MiB swapfile of the test's own (never the host's swap); steps: entry
#     "applying", swapoff(2) done, entry "applied";
#   - prefetch on the running guest, its RAM pushed into host swap first (squeezed, then the
#     limit lifted); steps: entry "applying", each chunk read back ([apply]
#     prefetch_chunk_mib = 128: two), entry "applied".
# After each kill: the journal parses and its entry says exactly what was changed (status and
# the old values), the host holds either the old values or the new ones (never a change
# without an entry), and `rollback --yes` restores the host: the memory parameters libvirt
# reports, the inactive XML byte for byte, oom_score_adj, the swapfile active with its
# priority. A rollback killed after its change is finished by the next rollback. A prefetch
# has nothing to undo: its interrupted entry is marked failed ("interrupted") by the next
# swapguard that opens the journal.
# Then the state directory on a full tmpfs: `apply --yes` refuses before it changes anything,
# the journal stays byte for byte the same, and the same apply succeeds once there is space
# again. Then faults in the middle of an action (the hook's SWAPGUARD_TEST_PAUSE_AFTER_STEP=K
# stops swapguard with SIGSTOP after step K; the test acts, then sends SIGCONT):
#   - libvirtd restarted (scripts/harness.sh libvirtd-restart) right after the journal entry
#     of lock-memory and of swap-limit (cgroup v1: libvirt sets the limits), and while
#     `report` runs: a clear error naming the lost connection, no crash, the entry stays
#     "applying" (whether libvirtd made the change is unknown) and rollback settles it; the
#     next apply, rollback and report work;
#   - the domain destroyed while prefetch reads its RAM back: exit 1 naming the domain, the
#     entry "failed" saying the QEMU process exited, nothing left running or locked.
# Emits TAP.
#
# Usage: test-crash-safe.sh SWAPGUARD_BINARY
set -uo pipefail

# shellcheck source=tests/integration/preamble.sh
source "$(dirname "${BASH_SOURCE[0]}")/preamble.sh"
it_init test-crash-safe.sh /var/tmp/sg-crash-it "$@"
require_root_and_jq "crash-safe actions integration" "libvirtd, QEMU, memtune, virsh define, swapon, a tmpfs mount"
live=sgcs-live
xdom=sgcs-xml
conf="$tmp/swapguard.conf"
journal="$tmp/state/journal.json"
out="$tmp/out"
err="$tmp/err"
full="$tmp/full"
testswap="$SG_HARNESS_DIR/crash-safe-test.swap"
bg=""

v() { virsh -q -c qemu:///system "$@"; }
swap_active() { awk 'NR > 1 { print $1 }' /proc/swaps | grep -qxF -- "$testswap"; }
cleanup() {
    if [[ -n $bg ]]; then kill -KILL "$bg" 2>/dev/null; fi
    if mountpoint -q "$full"; then umount "$full"; fi
    if swap_active; then swapoff "$testswap"; fi
    rm -f "$testswap"
    if v domuuid "$xdom" >/dev/null 2>&1; then v undefine "$xdom" >/dev/null 2>&1; fi
    harness_cleanup
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
# pause_at K ARGS...: swapguard ARGS in the background ($bg), stopped by the hook (SIGSTOP) right
# after step K; false when it exited first or did not stop within SG_PAUSE_TIMEOUT seconds (300:
# a prefetch chunk of 128 MiB read back from a slow disk takes its time); $paused_why says which.
# resume: SIGCONT, wait, $rc, output shown.
pause_at() {
    local k=$1 st t0=$SECONDS
    shift
    paused_why=""
    env SWAPGUARD_TEST_HOOKS=1 SWAPGUARD_TEST_PAUSE_AFTER_STEP="$k" "$SG" "$@" --config "$conf" >"$out" 2>"$err" &
    bg=$!
    while ((SECONDS - t0 < ${SG_PAUSE_TIMEOUT:-300})); do
        st=$(awk '{ sub(/^.*\) /, ""); print $1 }' "/proc/$bg/stat" 2>/dev/null)
        if [[ $st == T ]]; then
            paused_why="stopped after step $k, $((SECONDS - t0)) s after its start"
            return 0
        fi
        if [[ -z $st || $st == Z ]]; then
            paused_why="it exited before step $k, after $((SECONDS - t0)) s; its last words: $(tail -n 2 "$err" | tr '\n' ' ')"
            return 1
        fi
        sleep 0.1
    done
    paused_why="still running after $((SECONDS - t0)) s, at $(grep -c '^swapguard: test hook: step ' "$err") step(s)"
    return 1
}
resume() {
    kill -CONT "$bg"
    wait "$bg"
    rc=$?
    bg=""
    diag <"$out"
    diag <"$err"
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
    "$harness" deps && "$harness" libvirtd-up && "$harness" swap-up 1024 && "$harness" build &&
        "$harness" start "$live" 256 >/dev/null
}
harness_up "harness brings up libvirtd, host swap and a real guest"
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

# The rest uses the journal of $tmp/state again.
printf '[apply]\nstate_dir = %s/state\n' "$tmp" >"$conf"
journal="$tmp/state/journal.json"
n_entries() { jq '.entries | length' "$journal"; }

# ---- oom-protect --------------------------------------------------------------------------
adj() { cat "/proc/$pid/oom_score_adj"; }
if ! (( (0x$(awk '/^CapEff:/ { print $2 }' /proc/self/status) >> 24) & 1 )); then
    skip "oom-protect killed at each step" "no CAP_SYS_RESOURCE here: oom-protect is refused before any step"
else
    adj0=$(adj)
    run SWAPGUARD_TEST_HOOKS=1 -- apply oom-protect "$live" --yes
    adj1=$(adj)
    check "apply oom-protect --yes with the hook on: exit 0, 3 steps, oom_score_adj $adj0 -> $adj1" \
        eval '[[ $rc -eq 0 && $(steps) -eq 3 && $adj1 != "$adj0" ]]'
    run SWAPGUARD_TEST_HOOKS=1 -- rollback --yes
    check "its rollback: exit 0, 2 steps, oom_score_adj $adj0 again" eval '[[ $rc -eq 0 && $(steps) -eq 2 && $(adj) == "$adj0" ]]'
    for k in 1 2 3; do
        n0=$(n_entries)
        kill_at "$k" apply oom-protect "$live" --yes
        check "oom-protect killed after step $k: exit 137; the new entry holds PID $pid and the old value $adj0" \
            eval '[[ $rc -eq 137 && $(n_entries) -eq $((n0 + 1)) && $(last .before.pid) == "$pid" &&
                     $(last .before.oom_score_adj) == "$adj0" && $(last .after.oom_score_adj) == "$adj1" ]] && no_temp_files'
        want=applying now=$adj1
        ((k == 1)) && now=$adj0
        ((k == 3)) && want=applied
        check "step $k: entry '$want', oom_score_adj $(adj) (want $now)" \
            eval '[[ $(last .status) == "$want" && $(adj) == "$now" ]]'
        run -- rollback --yes
        check "after step $k: rollback --yes exits 0, the entry is rolled-back, oom_score_adj $adj0 again" \
            eval '[[ $rc -eq 0 && $(last .status) == rolled-back && $(adj) == "$adj0" ]]'
    done
    run -- apply oom-protect "$live" --yes
    kill_at 1 rollback --yes
    check "oom-protect rollback killed after restoring: exit 137, entry 'applied', oom_score_adj $adj0" \
        eval '[[ $rc -eq 137 && $(last .status) == applied && $(adj) == "$adj0" ]]'
    run -- rollback --yes
    check "the next rollback finds the old value and marks the entry rolled-back" \
        eval '[[ $rc -eq 0 && $(last .status) == rolled-back ]] && grep -q "already holds the old value" "$out"'
fi

# ---- swapoff of a swapfile of the test's own ----------------------------------------------
prio() { awk -v f="$testswap" 'NR > 1 && $1 == f { print $5 }' /proc/swaps; }
mkdir -p "$SG_HARNESS_DIR"
rm -f "$testswap"
{ dd if=/dev/zero of="$testswap" bs=1M count=16 status=none && chmod 600 "$testswap" &&
    mkswap "$testswap" >/dev/null && swapon -p 5 "$testswap"; } 2>&1 | diag
if [[ $(prio) != 5 ]]; then
    skip "swapoff killed at each step" "cannot switch on a test swapfile at $testswap"
else
    ok "a 16 MiB test swapfile is active with priority 5"
    run SWAPGUARD_TEST_HOOKS=1 -- apply swapoff "$testswap" --yes
    check "apply swapoff --yes with the hook on: exit 0, 3 steps, the swapfile off" \
        eval '[[ $rc -eq 0 && $(steps) -eq 3 ]] && ! swap_active'
    run SWAPGUARD_TEST_HOOKS=1 -- rollback --yes
    check "its rollback: exit 0, 2 steps, active again with priority 5" \
        eval '[[ $rc -eq 0 && $(steps) -eq 2 && $(prio) == 5 ]]'
    for k in 1 2 3; do
        n0=$(n_entries)
        kill_at "$k" apply swapoff "$testswap" --yes
        check "swapoff killed after step $k: exit 137; the new entry names the device and its priority 5" \
            eval '[[ $rc -eq 137 && $(n_entries) -eq $((n0 + 1)) && $(last .target) == "$testswap" &&
                     $(last .before.device) == "$testswap" && $(last .before.priority) == 5 && $(last .uuid) == null ]] &&
                  no_temp_files'
        if ((k == 1)); then
            check "step 1: entry 'applying', the swapfile still on" eval '[[ $(last .status) == applying && $(prio) == 5 ]]'
        elif ((k == 2)); then
            check "step 2: entry 'applying', the swapfile off" eval '[[ $(last .status) == applying ]] && ! swap_active'
        else
            check "step 3: entry 'applied', the swapfile off" eval '[[ $(last .status) == applied ]] && ! swap_active'
        fi
        run -- rollback --yes
        check "after step $k: rollback --yes exits 0, the entry is rolled-back, the swapfile on with priority 5" \
            eval '[[ $rc -eq 0 && $(last .status) == rolled-back && $(prio) == 5 ]]'
    done
    run -- apply swapoff "$testswap" --yes
    kill_at 1 rollback --yes
    check "swapoff rollback killed after swapon: exit 137, entry 'applied', the swapfile on with priority 5" \
        eval '[[ $rc -eq 137 && $(last .status) == applied && $(prio) == 5 ]]'
    run -- rollback --yes
    check "the next rollback finds it active and marks the entry rolled-back" \
        eval '[[ $rc -eq 0 && $(last .status) == rolled-back ]] && grep -q "already active" "$out"'
fi
if swap_active; then swapoff "$testswap"; fi
rm -f "$testswap"

# ---- libvirtd restarted during apply and report -------------------------------------------
if [[ ! -e $SG_HARNESS_DIR/libvirtd.started ]]; then
    skip "libvirtd restarted during apply and report" "the running libvirtd was not started by this test's harness"
else
    restart() { "$harness" libvirtd-restart 2>&1 | diag; }
    # lock-memory: libvirtd restarted after the entry, before virDomainDefineXML.
    if pause_at 1 apply lock-memory "$xdom" --yes; then restart; fi
    resume
    check "lock-memory with libvirtd restarted after its journal entry: exit 1, no crash, the error names $xdom and the lost connection" \
        eval '[[ $rc -eq 1 ]] && grep -q "lock-memory $xdom: the connection to libvirtd was lost" "$err"'
    check "the entry stays 'applying', saying the outcome is unknown; the definition is unchanged" \
        eval '[[ $(last .status) == applying && $(last .note) == *"is unknown"* ]] && dump | cmp - "$tmp/before.xml"'
    run -- rollback --yes
    check "rollback settles it: exit 0, rolled-back, the XML byte for byte the old" \
        eval '[[ $rc -eq 0 && $(last .status) == rolled-back ]] && dump | cmp - "$tmp/before.xml"'
    run -- apply lock-memory "$xdom" --yes
    run -- rollback --yes
    check "on the restarted libvirtd: apply and rollback work, the XML byte for byte the old" \
        eval '[[ $rc -eq 0 && $(last .status) == rolled-back ]] && dump | cmp - "$tmp/before.xml"'
    # swap-limit: on cgroup v1 libvirt sets the limits (on v2 it is a cgroup file write).
    if $cg_v2; then
        skip "swap-limit with libvirtd restarted" "cgroup v2: swap-limit writes memory.swap.max, not through libvirt"
    else
        if pause_at 1 apply swap-limit "$live" --yes; then restart; fi
        resume
        check "swap-limit with libvirtd restarted after its journal entry: exit 1, no crash, the lost connection named" \
            eval '[[ $rc -eq 1 ]] && grep -q "domain .$live.: the connection to libvirtd was lost" "$err"'
        check "the entry stays 'applying', the limits are the old ones ($(host_state))" \
            eval '[[ $(last .status) == applying && $(host_state) == "$state0" ]]'
        run -- rollback --yes
        check "rollback settles it: exit 0, rolled-back, the limits the old ones" \
            eval '[[ $rc -eq 0 && $(last .status) == rolled-back && $(host_state) == "$state0" ]]'
    fi
    # report: libvirtd restarted between the two ticks, before the metadata is written.
    printf '[report]\nmetadata = yes\ndomain_log = no\njournal = no\ntextfile = %s/report.prom\nhistory = %s/report.jsonl\n' \
        "$tmp" "$tmp" >"$tmp/report.conf"
    printf '[guestprobe]\nenabled = no\n' >>"$tmp/report.conf"
    "$SG" report "$live" --interval 3 --config "$tmp/report.conf" >"$out" 2>"$err" &
    bg=$!
    sleep 1
    kill -STOP "$bg"
    restart
    resume
    check "report with libvirtd restarted mid-run: exit 1, no crash; the metadata failed naming the lost connection, the history done" \
        eval '[[ $rc -eq 1 ]] && grep -q "failed: metadata (virDomainSetMetadata: the connection to libvirtd was lost" "$out" &&
              grep -q "reported to history" "$out"'
    "$SG" report "$live" --interval 0.5 --config "$tmp/report.conf" >"$out" 2>"$err"
    rc=$?
    diag <"$out"
    diag <"$err"
    check "the next report succeeds: exit 0, the metadata element set" \
        eval '[[ $rc -eq 0 ]] && grep -q "reported to metadata" "$out" &&
              v metadata "$live" https://swapguard.dev/xmlns/report/1 | grep -q "<report verdict="'
fi

# ---- prefetch -----------------------------------------------------------------------------
# Guest RAM into host swap: the memory cgroup squeezed to 64 MiB, then the limits lifted (the
# pages stay in swap until touched; prefetch refuses while a limit leaves no room for them).
swap_out() {
    "$harness" squeeze "$live" 64 2>&1 | diag && "$harness" unsqueeze "$live" 2>&1 | diag
}
ram_swap() { awk '/^VmSwap:/ { print $2 }' "/proc/$pid/status"; }
printf '[apply]\nstate_dir = %s/state\nprefetch_chunk_mib = 128\n' "$tmp" >"$conf"
if ! swap_out; then
    not_ok "the guest's RAM pushed into host swap" "see the harness output above"
else
    s0=$(ram_swap)
    n0=$(n_entries)
    kill_at 1 apply prefetch "$live" --yes
    check "prefetch killed after step 1: exit 137; the entry 'applying' with PID $pid and VmSwap $s0 KiB before" \
        eval '[[ $rc -eq 137 && $(n_entries) -eq $((n0 + 1)) && $(last .status) == applying && $(last .before.pid) == "$pid" &&
                 $(last .before.vm_swap_kib) -gt 0 && $(last .before.guest_ram_swap_kib) -gt 0 ]] && no_temp_files'
    run -- history
    check "the next swapguard (history) marks the interrupted prefetch failed: nothing to undo" \
        eval '[[ $rc -eq 0 && $(last .status) == failed && $(last .note) == interrupted* ]]'
    kill_at 2 apply prefetch "$live" --yes
    check "prefetch killed after step 2 (the first chunk read back): exit 137, entry 'applying'" \
        eval '[[ $rc -eq 137 && $(last .status) == applying ]] && grep -q "step 2: change: one chunk read back" "$err"'
    run -- rollback "$(last .id)" --yes
    check "rollback of it: nothing to undo, the entry marked failed (interrupted) on opening the journal" \
        eval '[[ $rc -eq 1 && $(last .status) == failed && $(last .note) == interrupted* ]] &&
              grep -q "is failed: nothing to roll back" "$err"'

    # ---- the domain destroyed in the middle of prefetch -----------------------------------
    # The killed prefetches read back only the first chunk: what the squeeze pushed out of the
    # second half of the guest's RAM is still in host swap, so no second squeeze is needed here.
    if pause_at 2 apply prefetch "$live" --yes; then
        v destroy "$live" 2>&1 | diag
        ok "prefetch paused after its first chunk ($paused_why); $live destroyed meanwhile"
    else
        not_ok "prefetch paused after its first chunk" "$paused_why"
    fi
    bgpid=$bg
    resume
    check "prefetch of a destroyed domain: exit 1, no crash, the error names $live and says it went away" \
        eval '[[ $rc -eq 1 ]] && grep -q "apply prefetch: domain .$live. went away while its guest RAM was read back" "$err"'
    check "the entry is 'failed': the QEMU process exited after 128 of 256 MiB" \
        eval '[[ $(last .status) == failed && $(last .note) == "QEMU PID $pid exited after 128 of 256 MiB"* ]]'
    check "nothing left: no swapguard process, no temporary file, the journal lock free" \
        eval '! kill -0 "$bgpid" 2>/dev/null && no_temp_files && flock -n "$tmp/state/journal.lock" true'
    run -- history
    check "history reads the journal afterwards (exit 0, the entry still failed)" \
        eval '[[ $rc -eq 0 && $(last .status) == failed ]]'

    # ---- an unstopped prefetch, on the guest booted again ---------------------------------
    # A guest squeezed again right after a prefetch read its RAM back had its QEMU killed by the
    # memory cgroup's OOM killer at the 96 MiB step (Linux 6.18, cgroup v1: 81 of its 96 MiB
    # swap-cached, all of it on the active list); a freshly booted guest squeezes reliably.
    if ! "$harness" start "$live" 256 >/dev/null 2>"$tmp/start.err"; then
        diag <"$tmp/start.err"
        not_ok "$live booted again for the unstopped prefetch" "see the harness output above"
    elif pid=$("$harness" pid "$live") && ! swap_out; then
        not_ok "the guest's RAM pushed into host swap after the new boot" "see the harness output above"
    else
        run SWAPGUARD_TEST_HOOKS=1 -- apply prefetch "$live" --yes
        check "an unstopped prefetch: exit 0, 4 steps (entry, 2 chunks, applied), VmSwap $(last .before.vm_swap_kib) -> $(last .after.vm_swap_kib) KiB" \
            eval '[[ $rc -eq 0 && $(steps) -eq 4 && $(last .status) == applied && $(last .before.pid) == "$pid" &&
                     $(last .after.vm_swap_kib) -lt $(last .before.vm_swap_kib) ]]'
    fi
fi

plan "$n"
tap_exit
