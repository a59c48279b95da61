#!/usr/bin/env bash
# shellcheck disable=SC2317  # cleanup (trap) is called indirectly
# shellcheck disable=SC2016,SC2034  # check ... eval '...': expanded when the check runs
# Integration test: faults injected on real TCG guests of the harness.
#   - QEMU killed with SIGKILL while `swapguard agent` ticks (0.2 s): the domain is reported
#     gone once, the other goes on, a handful of log lines, exit 0 after --ticks;
#   - QEMU killed while `diagnose` runs: the other domain's verdict, the dead one "unknown"
#     (or its verdict when the kill came after), exit 0, no error;
#   - a domain destroyed in the middle of `guestprobe`: it returns in time, says so, no crash;
#   - qemu-ga frozen (SIGSTOP inside the guest) and answering slowly (stopped and continued in
#     a loop): `guestprobe --timeout 3` returns within 5 s and says the agent did not answer;
#   - a hostile guest: /bin/sh inside the guest (the evidence script's interpreter) replaced by
#     a program printing megabytes of junk with NUL and escape bytes and a 1 MiB line; then a
#     well-formed forgery (300 async-PF D tasks, hung-task, soft-lockup and RCU stall lines,
#     terminal escapes); then a task list that never ends: guestprobe's time and memory stay
#     bounded, its output holds no raw control byte, the junk is marked invalid, and the
#     verdict of the (unswapped) guest is no strong host-swap-stall (the guest's word alone
#     gives confidence 0.3 at most);
#   - the observe-only agent as an unprivileged system user in the group libvirt: refused with
#     auto_apply in its config; 30 ticks on the real guests with its verdicts in its log, its
#     history and its textfile (files it owns), and no remedy attempted (no action journal);
#   - an unprivileged user: `-r list` and `-r diagnose` give what it may read and name the rest
#     as missing; `apply --yes` is refused naming the privilege it lacks.
# Emits TAP.
#
# Usage: test-faults.sh SWAPGUARD_BINARY
set -uo pipefail

# shellcheck source=tests/integration/preamble.sh
source "$(dirname "${BASH_SOURCE[0]}")/preamble.sh"
it_init test-faults.sh /var/tmp/sg-faults-it "$@"
require_root_and_jq "faults integration" "libvirtd, QEMU, kill, a system user"
a=sgft-a
b=sgft-b
user=sgft-user
uri=qemu:///system
conf="$tmp/swapguard.conf"
log="$tmp/agent.log"
out="$tmp/out"
err="$tmp/err"

bg_pids=()
made_user=false
made_obs=false
cleanup() {
    local p
    for p in "${bg_pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
    if $made_user; then userdel "$user" 2>/dev/null; fi
    if $made_obs; then userdel sgft-observe 2>/dev/null; fi
    harness_cleanup
}
trap cleanup EXIT

v() { virsh -q -c "$uri" "$@"; }
# the guest runs SHELL_CMD in the background through guest-exec (no output captured)
guest_bg() {
    v qemu-agent-command --domain "$1" --timeout 10 \
        "$(jq -cn --arg c "$2" '{execute: "guest-exec", arguments: {path: "/bin/sh", arg: ["-c", $c]}}')" >/dev/null
}
agent_answers() { v qemu-agent-command --domain "$1" --timeout 2 '{"execute":"guest-ping"}' >/dev/null 2>&1; }
wait_agent() {
    local i
    for ((i = 0; i < $2 * 2; i++)); do agent_answers "$1" && return 0; sleep 0.5; done
    return 1
}
# no_ctl FILE: no byte below 0x20 but newline and tab, no DEL (escaped output)
no_ctl() { ! LC_ALL=C grep -qP '[\x00-\x08\x0b-\x1f\x7f]' "$1"; }
# peak_rss_kib PID: VmHWM of a running process polled until it exits (the last value seen)
watch_hwm() {
    local p=$1 h=0 x
    while kill -0 "$p" 2>/dev/null; do
        x=$(awk '/^VmHWM:/ { print $2 }' "/proc/$p/status" 2>/dev/null) && [[ -n $x ]] && h=$x
        sleep 0.05
    done
    echo "$h"
}

agent_conf "$conf" "$tmp"

setup() {
    "$harness" deps && "$harness" libvirtd-up && "$harness" build &&
        "$harness" start "$a" 192 >/dev/null && "$harness" start "$b" 192 >/dev/null
}
harness_up "harness brings up libvirtd and two real guests" "no real guests"

# ---- 1. QEMU killed while the agent ticks -----------------------------------------------------
"$SG" agent --ticks 40 --config "$conf" >"$log" 2>&1 &
ap=$!
bg_pids+=("$ap")
for ((i = 0; i < 100; i++)); do grep -q "'$b'.*verdict" "$log" && break; sleep 0.1; done
kill -KILL "$("$harness" pid "$a")"
t0=$(now)
wait "$ap"
rc=$?
diag <"$log"
check "agent: exit 0 after its 40 ticks though QEMU of $a was killed" \
    eval '[[ $rc -eq 0 ]] && grep -q "exiting after 40 tick(s)" "$log"'
check "agent: $a reported removed exactly once" test "$(grep -c "'$a' .* removed" "$log")" -eq 1
check "agent: $b went on: never removed, in the textfile written after the kill" \
    eval '! grep -q "'"'$b'"' .* removed" "$log" && grep -q "domain=\"$b\"" "$tmp/swapguard.prom" &&
          ! grep -q "domain=\"$a\"" "$tmp/swapguard.prom"'
check "agent: no error flood ($(grep -cE 'warning|error' "$log") warning/error lines, $(wc -l <"$log") lines in all)" \
    eval '[[ $(grep -cE "warning|error" "$log") -le 3 && $(wc -l <"$log") -le 15 ]]'

# ---- 2. QEMU killed while diagnose runs -------------------------------------------------------
"$harness" start "$a" 192 2>&1 >/dev/null | diag
"$SG" --json diagnose --all --count 6 --interval 0.5 --config "$conf" >"$out" 2>"$err" &
dp=$!
bg_pids+=("$dp")
sleep 1.2
kill -KILL "$("$harness" pid "$a")"
wait "$dp"
rc=$?
diag <"$err"
jq -c '.domains[] | [.name, .verdict, .missing]' "$out" 2>&1 | diag
check "diagnose: exit 0, no error line, though QEMU of $a was killed mid-run" \
    eval '[[ $rc -eq 0 ]] && ! grep -q "error" "$err"'
check "diagnose: $b has its verdict (not unknown)" \
    eval '[[ $(jq -r --arg d "$b" ".domains[] | select(.name == \$d) | .verdict" "$out") =~ ^(ok|host-swap-risk)$ ]]'
check "diagnose: $a is there, unknown or with missing saying it is not running" \
    eval 'jq -e --arg d "$a" ".domains[] | select(.name == \$d) | .verdict == \"unknown\" or ((.missing // \"\") | test(\"not running\"))" "$out" >/dev/null'

# ---- 3. a domain destroyed in the middle of guestprobe -----------------------------------------
"$harness" start "$a" 192 2>&1 >/dev/null | diag
t0=$(now)
"$SG" guestprobe "$a" --timeout 5 >"$out" 2>"$err" &
gp=$!
bg_pids+=("$gp")
sleep 0.4
v destroy "$a" >/dev/null 2>&1
wait "$gp"
rc=$?
t1=$(now)
diag <"$out"
diag <"$err"
check "guestprobe: $a destroyed mid-probe: no crash (exit $rc < 128), back within 8 s ($(elapsed "$t0" "$t1") s)" \
    eval '[[ $rc -lt 128 ]] && le "$(elapsed "$t0" "$t1")" 8'
check "guestprobe: says the domain is not running (or the agent went away)" \
    grep -qiE "not running|not connected|went away|no longer|shut ?off|disconnected" "$out" "$err"

# ---- 4. qemu-ga frozen and slow -----------------------------------------------------------------
guest_bg "$b" 'sleep 1; kill -STOP $(pidof qemu-ga); sleep 15; kill -CONT $(pidof qemu-ga)'
sleep 2.5
t0=$(now)
"$SG" guestprobe "$b" --timeout 3 >"$out" 2>"$err"
rc=$?
t1=$(now)
diag <"$out"
diag <"$err"
check "qemu-ga frozen (SIGSTOP in the guest): guestprobe --timeout 3 is back within 5 s ($(elapsed "$t0" "$t1") s)" \
    le "$(elapsed "$t0" "$t1")" 5
check "qemu-ga frozen: the report says the agent did not answer (exit $rc)" \
    grep -qiE "did not answer|timed out|timeout|not responding" "$out" "$err"
check "qemu-ga answers again after SIGCONT" wait_agent "$b" 40
guest_bg "$b" 'i=0; while [ $i -lt 5 ]; do kill -STOP $(pidof qemu-ga); sleep 1.5; kill -CONT $(pidof qemu-ga); sleep 0.3; i=$((i+1)); done'
slow_start=$SECONDS
sleep 1
t0=$(now)
"$SG" guestprobe "$b" --timeout 3 >"$out" 2>"$err"
rc=$?
t1=$(now)
diag <"$out"
diag <"$err"
check "qemu-ga slow (stopped 1.5 s of every 1.8 s): guestprobe --timeout 3 within 5 s ($(elapsed "$t0" "$t1") s), exit $rc < 128" \
    eval 'le "$(elapsed "$t0" "$t1")" 5 && [[ $rc -lt 128 ]]'
# the loop ends after 5 x 1.8 s: from then on qemu-ga answers at once again
while ((SECONDS < slow_start + 11)); do sleep 0.5; done
check "qemu-ga answers normally again after the slow phase" wait_agent "$b" 60

# ---- 5. the observe-only agent as an unprivileged user in the libvirt group --------------------------
obs=sgft-observe
if ! id "$obs" >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin -G libvirt "$obs" && made_obs=true
fi
odir="$tmp/observe"
mkdir -p "$odir" && chown "$obs" "$odir" && chmod 700 "$odir"
chmod 711 "$tmp"
agent_conf "$tmp/observe.conf" "$odir" report.domain_log=no agent.probes_per_tick=1 agent.observe_only=yes
agent_conf "$tmp/observe-apply.conf" "$odir" report.domain_log=no agent.probes_per_tick=1 agent.auto_apply=swap-limit
chmod 644 "$tmp/observe.conf" "$tmp/observe-apply.conf"
as_obs() { runuser -u "$obs" -- "$SG" -c "$uri" "$@"; }
if ! runuser -u "$obs" -- virsh -c "$uri" version >/dev/null 2>&1; then
    skip "observe-only agent" "$obs (group libvirt) cannot reach libvirtd's read-write socket (a libvirtd that harness.sh did not start)"
else
    as_obs agent --observe-only --config "$tmp/observe-apply.conf" --ticks 3 >"$out" 2>"$err"
    rc=$?
    diag <"$err"
    check "observe-only: --observe-only with auto_apply in the config is refused (exit 1), naming both"         eval '[[ $rc -eq 1 ]] && grep -q "auto_apply is set, and --observe-only" "$err"'
    as_obs agent --config "$tmp/observe.conf" --ticks 30 >"$out" 2>"$log"
    rc=$?
    diag <"$log"
    check "observe-only: the agent runs as $obs (uid $(id -u "$obs"), no capability) for 30 ticks, exit 0, says observe-only"         eval '[[ $rc -eq 0 ]] && grep -q "observe-only (no remedies)" "$log" && grep -q "exiting after 30 tick" "$log"'
    check "observe-only: it reports the verdict of $b (log, history lines, textfile)"         eval 'grep -q "'"'$b'"'.*verdict" "$log" && [[ $(wc -l <"$odir/history.jsonl") -ge 1 ]] &&
              grep -q "swapguard_domain_verdict{domain=\"$b\"" "$odir/swapguard.prom"'
    check "observe-only: the files it wrote are its own"         eval '[[ $(stat -c %U "$odir/history.jsonl") == "$obs" && $(stat -c %U "$odir/swapguard.prom") == "$obs" ]]'
    check "observe-only: no remedy attempted: no action journal, no apply in the log"         eval '[[ ! -e $odir/state/journal.json ]] && ! grep -qiE "appl(y|ying) (swap-limit|prefetch|oom-protect)" "$log"'
fi

# ---- 6. a hostile guest ---------------------------------------------------------------------------
# /bin/sh inside the guest (what guest-exec runs the evidence script with) replaced by a program
# that answers the evidence script with what /run/sg-hostile names, and runs the real shell for
# anything else (the harness's own guest-exec):
#   junk     256 KiB of random bytes (NUL and escape bytes among them) in the task section and
#            a line of 600 KB in the kernel log: the reply is invalid as a whole;
#   forged   well-formed: 300 tasks in D state in kvm_async_pf_task_wait_schedule, 50 hung-task
#            reports with an async-PF trace, soft lockup and RCU stall lines, terminal escapes
#            in task names and log lines: all of it the guest's word only;
#   endless  a task list that never ends (megabytes until the deadline).
hostile_sh='#!/bin/busybox sh
case "$2" in
"# swapguard guestprobe"*) ;;
*) exec /bin/busybox sh "$@" ;;
esac
mode=$(cat /run/sg-hostile 2>/dev/null)
echo "@sg-guestprobe 1"
echo "@tasks"
case $mode in
junk)
  head -c 262144 /dev/urandom
  printf "\n@dmesg\n"
  head -c 600000 /dev/zero | tr "\0" A
  printf "\n" ;;
endless)
  while :; do printf "T 1 D kvm_async_pf_task_wait_schedule \033[2Jx\n"; done ;;
*)
  i=1000
  while [ $i -lt 1300 ]; do
    printf "T %d D kvm_async_pf_task_wait_schedule forged\033]0;pwned\007\n" $i
    printf "S %d [<0>] kvm_async_pf_task_wait_schedule+0x1/0x2\n" $i
    i=$((i+1))
  done
  echo "@dmesg"
  up=$(cut -d" " -f1 /proc/uptime | cut -d. -f1)
  i=0
  while [ $i -lt 50 ]; do
    printf "<3>[%5d.%06d] INFO: task forged:%d blocked for more than 120 seconds.\n" $up $i $((1000+i))
    printf "<4>[%5d.%06d] Call Trace:\n" $up $i
    printf "<4>[%5d.%06d]  kvm_async_pf_task_wait_schedule+0x1/0x2\n" $up $i
    printf "<0>[%5d.%06d] watchdog: BUG: soft lockup - CPU#0 stuck for 23s! [forged:1000]\n" $up $i
    printf "<3>[%5d.%06d] rcu: INFO: rcu_sched detected stalls on CPUs/tasks:\033[2J\033[31m\n" $up $i
    i=$((i+1))
  done ;;
esac
echo "@meminfo"; cat /proc/meminfo
echo "@vmstat"; cat /proc/vmstat
echo "@psi"; cat /proc/pressure/memory
echo "@uptime"; cat /proc/uptime
echo "@end"
'
# hostile MODE: guestprobe --json of $b answered in MODE; result in $out/$err, $rc, $secs, $hwm
hostile() {
    "$harness" exec "$b" "echo $1 > /run/sg-hostile" 2>&1 | diag
    local t0 t1 gp
    t0=$(now)
    "$SG" --json guestprobe "$b" --timeout 6 >"$out" 2>"$err" &
    gp=$!
    hwm=$(watch_hwm "$gp")
    wait "$gp"
    rc=$?
    t1=$(now)
    secs=$(elapsed "$t0" "$t1")
    jq -c '{status, tasks_total, tasks_dstate, tasks_async_pf, hung_task_reports_total}' "$out" 2>&1 | diag
    diag <"$err"
}
bounded() { le "$secs" 9 && [[ $rc -lt 128 && $hwm -gt 0 && $hwm -lt 65536 ]]; }
escaped() { jq -e . "$out" >/dev/null && no_ctl "$out" && no_ctl "$err"; }
part() { jq -r ".status.$1.state" "$out"; }
if "$harness" exec "$b" "cat > /run/sg-sh <<'SGEOF'
$hostile_sh
SGEOF
chmod 755 /run/sg-sh && echo forged > /run/sg-hostile && mv /run/sg-sh /bin/sh.new && mv /bin/sh.new /bin/sh && echo replaced /bin/sh" 2>&1 | diag; then
    hostile junk
    check "hostile junk: guestprobe back in $secs s (<= 9), exit $rc, peak RSS $hwm KiB (< 64 MiB)" bounded
    check "hostile junk: --json parses, no raw control byte in stdout or stderr" escaped
    check "hostile junk: the tasks and kernel log parts are marked invalid ($(part tasks), $(part kernel_log)), no task taken" \
        eval '[[ $(part tasks) == invalid* && $(part kernel_log) == invalid* && $(jq ".tasks_dstate // 0" "$out") == 0 ]]'
    hostile forged
    check "hostile forged: guestprobe back in $secs s (<= 9), exit $rc, peak RSS $hwm KiB (< 64 MiB)" bounded
    check "hostile forged: --json parses, the escapes in names and log lines escaped" escaped
    check "hostile forged: D-state tasks kept at most 256 ($(jq .tasks_dstate "$out") counted)" \
        eval '[[ $(jq ".dstate_tasks | length" "$out") -le 256 ]]'
    "$SG" --json diagnose "$b" --count 2 --interval 0.5 --config "$conf" >"$out" 2>"$err"
    rc=$?
    jq -c '.domains[] | [.name, .verdict, .confidence, .missing]' "$out" 2>&1 | diag
    check "hostile forged: diagnose exits 0; not a strong verdict ($(jq -r '.domains[0] | "\(.verdict) \(.confidence)"' "$out")): the host never swapped the guest" \
        eval '[[ $rc -eq 0 ]] && jq -e ".domains[0] | .verdict != \"host-swap-stall\" or .confidence <= 0.3" "$out" >/dev/null'
    hostile endless
    check "hostile endless: guestprobe --timeout 6 back in $secs s (<= 9), exit $rc, peak RSS $hwm KiB (< 64 MiB)" bounded
    check "hostile endless: output escaped, the tasks part not ok ($(part tasks)), no D-state task taken" \
        eval 'escaped && [[ $(part tasks) != ok && $(jq ".tasks_dstate // 0" "$out") == 0 ]]'
else
    skip "hostile guest" "could not replace /bin/sh inside the guest"
fi

# ---- 7. an unprivileged user ----------------------------------------------------------------------
if ! id "$user" >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin "$user" && made_user=true
fi
as_user() { runuser -u "$user" -- "$SG" -c "$uri" "$@"; }
if ! runuser -u "$user" -- virsh -r -c "$uri" version >/dev/null 2>&1; then
    skip "unprivileged user" "$user cannot reach libvirtd's read-only socket (a libvirtd that harness.sh did not start: polkit)"
else
    as_user -r --json list >"$out" 2>"$err"
    rc=$?
    jq -c '.' "$out" 2>/dev/null | head -c 2000 | diag
    diag <"$err"
    check "as $user: -r list exits 0 and lists $b with its VmSwap (readable /proc/PID/status)" \
        eval '[[ $rc -eq 0 ]] && jq -e --arg d "$b" "[.. | objects | select(.name? == \$d)] | length > 0" "$out" >/dev/null'
    as_user -r diagnose "$b" --count 1 >"$out" 2>"$err"
    rc=$?
    diag <"$out"
    diag <"$err"
    check "as $user: -r diagnose exits 0 and names what it could not read in missing" \
        eval '[[ $rc -eq 0 ]] && grep -q "missing:" "$out"'
    as_user apply swap-limit "$b" --yes >"$out" 2>"$err"
    rc=$?
    diag <"$err"
    check "as $user: apply swap-limit --yes refused (exit 1) naming what it needs, nothing changed" \
        eval '[[ $rc -eq 1 ]] && grep -q "needs root" "$err" && grep -q "uid" "$err"'
    as_user apply oom-protect "$b" --yes >"$out" 2>"$err"
    rc=$?
    diag <"$err"
    check "as $user: apply oom-protect --yes refused naming CAP_SYS_RESOURCE" \
        eval '[[ $rc -eq 1 ]] && grep -q CAP_SYS_RESOURCE "$err"'
fi

plan "$n"
tap_exit
