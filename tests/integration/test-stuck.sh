#!/usr/bin/env bash
# shellcheck disable=SC2317  # cleanup (trap) is called indirectly
# shellcheck disable=SC2016,SC2034  # check ... eval '...': expanded when the check runs
# Integration test: a domain whose QEMU does not answer never stalls collection.
# Two real TCG guests of the harness; the QEMU process of one is stopped for real (SIGSTOP:
# its monitor and its guest agent channel stop answering, and a libvirt call that reaches
# them waits with no limit). With [sampler] interval 0.5 s and libvirt_timeout_ms 300:
#   - the agent's ticks keep coming (the textfile's report timestamp, rewritten every tick,
#     counted over a window with generous slack: a function, not a benchmark), the healthy
#     domain's last_sample_timestamp_seconds advances, the stuck one is
#     swapguard_domain_libvirt_stale 1 and the log says why once ("timed out after 300 ms");
#   - `list` with a freshly stopped QEMU (its stats listing takes the free job and hangs)
#     returns after its 2 s deadline with the listing that needs no job;
#   - `list`, `diagnose` of the healthy domain and `diagnose --all` return in time meanwhile,
#     the healthy domain's libvirt figures whole;
#   - after SIGCONT the domain answers again: logged once, stale 0;
#   - stopped again, then destroyed while the agent's call to it is outstanding: the agent
#     removes it, goes on ticking and exits 0 on SIGTERM.
# The stopped QEMU is continued in the cleanup whatever happens.
# Emits TAP.
#
# Usage: test-stuck.sh SWAPGUARD_BINARY
set -uo pipefail

SG=${1:?usage: test-stuck.sh SWAPGUARD_BINARY}
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
harness="$top/scripts/harness.sh"
export SG_HARNESS_DIR=${SG_HARNESS_DIR:-/var/tmp/sg-stuck-it}
a=sgst-stuck
b=sgst-ok
uri=qemu:///system
tmp=$(mktemp -d)
conf="$tmp/swapguard.conf"
log="$tmp/agent.log"
prom="$tmp/swapguard.prom"
out="$tmp/out"
err="$tmp/err"

# shellcheck source=tests/integration/preamble.sh
source "$top/tests/integration/preamble.sh"
require_root_and_jq "stuck-domain integration" "libvirtd, QEMU, SIGSTOP"

stopped=()
agent_pid=
cleanup() {
    local p
    for p in "${stopped[@]}"; do kill -CONT "$p" 2>/dev/null; done
    if [[ -n $agent_pid ]]; then kill -KILL "$agent_pid" 2>/dev/null; fi
    "$harness" cleanup 2>&1 | diag
    rm -rf "$tmp"
}
trap cleanup EXIT

v() { virsh -q -c "$uri" "$@"; }
# prom_val FAMILY DOMAIN: the value of FAMILY{domain="DOMAIN",...} in the textfile ("" none)
prom_val() { textfile_val "$prom" "$1" "domain=\"$2\""; }
report_ts() { awk '/^swapguard_report_timestamp_seconds / { print $2 }' "$prom" 2>/dev/null; }
stale_is() { [[ $(prom_val swapguard_domain_libvirt_stale "$1") == "$2" ]]; }
last_sample() { prom_val swapguard_domain_last_sample_timestamp_seconds "$1"; }
# log_count ERE: lines of the agent's log matching ERE
log_count() { grep -cE -- "$1" "$log"; }
# advanced X Y SECONDS: Y - X >= SECONDS (both set)
advanced() { awk -v x="$1" -v y="$2" -v s="$3" 'BEGIN { exit !(x != "" && y != "" && y - x >= s) }'; }
stuck_re="'$a' .*libvirt call \\(.*\\) timed out after [0-9]+ ms.*said once"
back_re="'$a' .*libvirt answers again"
# count_ticks SECONDS: distinct report timestamps seen in the textfile over SECONDS
count_ticks() {
    local end seen=() t last=
    end=$(awk -v s="$1" -v n="$(now)" 'BEGIN { printf "%.3f", n + s }')
    while le "$(now)" "$end"; do
        t=$(report_ts)
        if [[ -n $t && $t != "$last" ]]; then seen+=("$t"); last=$t; fi
        sleep 0.05
    done
    echo "${#seen[@]}"
}

cat >"$conf" <<EOF
# test-stuck.sh: ticks of 0.5 s, libvirt calls with a 300 ms deadline, a textfile every tick
[sampler]
interval = 0.5
window = 10
libvirt_timeout_ms = 300
block_stats_interval = 0
[guestprobe]
timeout = 2
[report]
textfile = $prom
textfile_interval = 0
history = $tmp/history.jsonl
journal = no
domain_log = no
[apply]
state_dir = $tmp/state
[agent]
lock_file = $tmp/agent.lock
# no guest probes in the agent: a healthy probe takes seconds of the tick on its own (that is
# not what the tick count below checks); diagnose probes every guest every tick
probes_per_tick = 0
EOF

setup() {
    "$harness" deps && "$harness" libvirtd-up && "$harness" build &&
        "$harness" start "$a" 192 >/dev/null && "$harness" start "$b" 192 >/dev/null
}
if ! setup 2>&1 | diag; then
    not_ok "harness brings up libvirtd and two real guests" "see the harness output above"
    bail_out "no real guests"
fi
ok "harness brings up libvirtd and two real guests"
qa=$("$harness" pid "$a")

# timed COMMAND...: runs COMMAND with stdout in $out and stderr in $err (shown as diagnostics);
# sets rc to its status and t0, t1 to the times around it (elapsed "$t0" "$t1" in checks).
timed() {
    t0=$(now)
    "$@" >"$out" 2>"$err"
    rc=$?
    t1=$(now)
    diag <"$err"
}

# ---- 0. list with a freshly stopped QEMU: its stats listing takes the free job and hangs ---------
kill -STOP "$qa"
stopped+=("$qa")
timed "$SG" --json list
check "list: a freshly stopped QEMU: exit 0 within 8 s ($(elapsed "$t0" "$t1") s), both domains, listed without the stats call" \
    eval '[[ $rc -eq 0 ]] && le "$(elapsed "$t0" "$t1")" 8 &&
          [[ $(jq -r "[.domains[].name] | sort | join(\",\")" "$out") == "$b,$a" ]] &&
          grep -q "did not answer within 2000 ms.*listed without it" "$err"'
kill -CONT "$qa" # the listing left behind in libvirtd gets its answer and frees the job
stopped=()
sleep 1

# ---- 1. the agent ticks on while one QEMU is stopped ---------------------------------------------
"$SG" agent --config "$conf" >"$log" 2>&1 &
agent_pid=$!
wait_cmd 30 eval '[[ -n $(last_sample "$a") && -n $(last_sample "$b") ]]'
check "agent: both domains sampled, none stale before the stop" \
    eval '[[ -n $(last_sample "$b") ]] && stale_is "$a" 0 && stale_is "$b" 0'
kill -STOP "$qa"
stopped+=("$qa")
wait_cmd 10 eval '[[ $(log_count "$stuck_re") -ge 1 ]]'
b0=$(last_sample "$b")
ticks=$(count_ticks 6)
b1=$(last_sample "$b")
check "agent: ticks go on while QEMU of $a is stopped ($ticks textfile rewrites in 6 s, 12 expected at 0.5 s, 6 at least)" \
    test "$ticks" -ge 6
check "agent: $b's last_sample_timestamp_seconds advances ($b0 -> $b1, 3 s at least)" advanced "$b0" "$b1" 3
check "agent: $a is swapguard_domain_libvirt_stale 1, $b 0" eval 'stale_is "$a" 1 && stale_is "$b" 0'
check "agent: the log says once why $a is stale ($(log_count "$stuck_re") line)" \
    test "$(log_count "$stuck_re")" -eq 1
check "agent: $a's /proc and cgroup sampling goes on (its last sample is at most 3 s old)" \
    advanced "$(($(date +%s) - 3))" "$(last_sample "$a")" 0

# ---- 2. list and diagnose meanwhile ---------------------------------------------------------------
timed "$SG" --json list
check "list: exit 0 within 8 s while $a is stopped ($(elapsed "$t0" "$t1") s), both domains listed" \
    eval '[[ $rc -eq 0 ]] && le "$(elapsed "$t0" "$t1")" 8 &&
          [[ $(jq -r "[.domains[].name] | sort | join(\",\")" "$out") == "$b,$a" ]]'
timed "$SG" --json diagnose "$b" --count 2 --interval 0.5 --config "$conf"
check "diagnose $b: exit 0 within 10 s while $a is stopped ($(elapsed "$t0" "$t1") s), a verdict" \
    eval '[[ $rc -eq 0 ]] && le "$(elapsed "$t0" "$t1")" 10 &&
          [[ $(jq -r ".domains[0].verdict // empty" "$out") =~ ^[a-z-]+$ ]]'
timed "$SG" --json diagnose --all --count 2 --interval 0.5 --config "$conf" --record "$tmp/rec.jsonl"
jq -c 'select(.name) | [.name, .facts.libvirt_stale, .facts.libvirt_missing, .facts.guest_missing]' \
    "$tmp/rec.jsonl" 2>&1 | diag
check "diagnose --all: exit 0 within 20 s while $a is stopped ($(elapsed "$t0" "$t1") s)" \
    eval '[[ $rc -eq 0 ]] && le "$(elapsed "$t0" "$t1")" 20'
# the agent's stuck call holds $a's job: diagnose's NOWAIT stats skip it and its guest probe
# (agent commands only) keeps to its timeout, so nothing of diagnose waits on $a
check "diagnose --all: a verdict for both, $b's libvirt figures never stale or missing" \
    eval '[[ $(jq -r "[.domains[] | select(.verdict != null) | .name] | sort | join(\",\")" "$out") == "$b,$a" ]] &&
          ! jq -e --arg d "$b" "select(.name == \$d) | .facts | select(.libvirt_stale or .libvirt_missing != \"\")" \
              "$tmp/rec.jsonl" >/dev/null'

# ---- 3. continued: it answers again -----------------------------------------------------------------
kill -CONT "$qa"
stopped=()
wait_cmd 15 eval '[[ $(log_count "$back_re") -ge 1 ]] && stale_is "$a" 0'
check "agent: after SIGCONT $a answers again: logged once, stale 0" \
    eval '[[ $(log_count "$back_re") -eq 1 ]] && stale_is "$a" 0'

# ---- 4. stopped again, destroyed while the call is outstanding -------------------------------------
kill -STOP "$qa"
stopped+=("$qa")
wait_cmd 10 eval '[[ $(log_count "$stuck_re") -ge 2 ]] && stale_is "$a" 1'
check "agent: stopped again, $a is stale again (logged again)" \
    eval '[[ $(log_count "$stuck_re") -eq 2 ]] && stale_is "$a" 1'
t0=$(now)
v destroy "$a" >/dev/null 2>&1
t1=$(now)
stopped=()
diag <<<"virsh destroy of the stopped QEMU took $(elapsed "$t0" "$t1") s"
wait_cmd 15 grep -q "'$a' .* removed" "$log"
b0=$(last_sample "$b")
sleep 2
b1=$(last_sample "$b")
check "agent: $a destroyed with a call outstanding: removed, the agent alive, $b still sampled" \
    eval 'grep -q "'"'$a'"' .* removed" "$log" && kill -0 "$agent_pid" && advanced "$b0" "$b1" 1'
kill -TERM "$agent_pid"
wait "$agent_pid"
rc=$?
agent_pid=
diag <"$log"
check "agent: exit 0 on SIGTERM, no sanitizer report" \
    eval '[[ $rc -eq 0 ]] && ! grep -qE "Sanitizer|runtime error" "$log"'
plan "$n"
tap_exit
