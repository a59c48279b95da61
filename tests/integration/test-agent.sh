#!/usr/bin/env bash
# shellcheck disable=SC2317  # cleanup (trap) is called indirectly
# Integration test of `swapguard agent` on a real libvirtd with real TCG guests
# of the harness and a real host swapfile:
#   - the agent watches sgag-watched (found by the listing at connect), logs
#     its first verdict, reports it (history line, live metadata, domain log
#     line), and a second agent refuses to start (lock);
#   - sgag-watched is filled and squeezed into host swap: the agent logs and
#     reports the change to host-swap-risk, once;
#   - libvirtd is killed (-9) and started again: the agent logs the lost
#     connection, keeps writing the textfile, reconnects and reports again
#     (a new history line, a newer metadata time on the restarted daemon);
#   - sgag-late is started and destroyed after the reconnect: the lifecycle
#     events (registered again) add and remove its watch;
#   - with [agent] auto_apply = swap-limit, a stall (an async-PF hung-task
#     report injected into the guest's kernel log) gets swap-limit applied by
#     the agent, once, recorded in the action journal;
#   - SIGHUP with a broken config keeps running and logs FILE:LINE, a good
#     one is reloaded; SIGTERM exits 0 within seconds and frees the lock.
# The libvirtd restart kills only a libvirtd this test's harness state dir
# started ($SG_HARNESS_DIR/libvirtd.started), or, with
# SG_TEST_MAY_RESTART_LIBVIRTD=1, the one that runs; otherwise those checks
# SKIP. It is started again with the command line of `harness.sh
# libvirtd-up` in the environment the killed one had (LIBVIRT_LOG_OUTPUTS
# included), and a libvirtd runs again when the test ends. Emits TAP.
#
# Usage: test-agent.sh SWAPGUARD_BINARY
set -uo pipefail

# shellcheck source=tests/integration/preamble.sh
source "$(dirname "${BASH_SOURCE[0]}")/preamble.sh"
it_init test-agent.sh /var/tmp/sg-agent-it "$@"
require_root_and_jq "agent integration" "libvirtd, QEMU, swapon, memtune, guest agent, a libvirtd restart"
dom=sgag-watched
late=sgag-late
ns=https://swapguard.dev/xmlns/report/1
uri=qemu:///system
conf=$tmp/agent.conf
log=$tmp/agent.log
hist=$tmp/history.jsonl
prom=$tmp/swapguard.prom

agent_pid=""
lv_env=()          # the environment of a libvirtd this test killed: set once it did
libvirtd_answers() { virsh -c "$uri" version >/dev/null 2>&1; }
# harness.sh libvirtd-up's command line, in the environment the killed daemon had (its
# LIBVIRT_LOG_OUTPUTS="3:file:$SG_HARNESS_DIR/libvirtd.log" included)
start_libvirtd() {
    local i conf=()
    [[ -e $SG_HARNESS_DIR/libvirtd.conf ]] && conf=(-f "$SG_HARNESS_DIR/libvirtd.conf")
    env -i "${lv_env[@]}" libvirtd -d "${conf[@]}"
    for ((i = 0; i < 300; i++)); do libvirtd_answers && return 0; sleep 0.1; done
    return 1
}
cleanup() {
    if [[ -n $agent_pid ]]; then kill -KILL "$agent_pid" 2>/dev/null; fi
    if [[ ${#lv_env[@]} -gt 0 ]] && ! libvirtd_answers; then
        echo "# starting libvirtd again (killed by this test)"
        start_libvirtd
    fi
    harness_cleanup
}
trap cleanup EXIT

# wait_for SECONDS REGEX: until the agent's log has a line matching REGEX (ERE).
wait_for() {
    local i
    for ((i = 0; i < $1 * 10; i++)); do
        grep -qE -- "$2" "$log" && return 0
        sleep 0.1
    done
    return 1
}
hist_lines() { jq -c --arg d "$dom" 'select(.domain == $d) | [.verdict, .previous]' "$hist" 2>/dev/null; }
hist_count() { hist_lines | wc -l; }
has_hist() { hist_lines | grep -qxF -- "$1"; }
last_hist() { hist_lines | tail -n 1; }
metadata() { virsh -q -c "$uri" metadata --domain "$1" --uri "$ns" --live 2>/dev/null; }
meta_attr() { metadata "$1" | sed -n "s/.* $2=\"\([^\"]*\)\".*/\1/p" | head -n 1; }
prom_time() { awk '/^swapguard_report_timestamp_seconds / { print $2 }' "$prom" 2>/dev/null; }
alive() { kill -0 "$agent_pid" 2>/dev/null; }
has_hist_risk() { [[ $(last_hist) =~ ^\[\"host-swap-risk\",\"[a-z-]+\"\]$ ]]; }
reported_again() { [[ $(hist_count) -gt $h0 && $(last_hist) == '["host-swap-risk","host-swap-risk"]' ]]; }
# lv_dead: the killed libvirtd is gone (a zombie counts as gone: PID 1 may reap it late)
lv_dead() {
    local st
    st=$(awk '{ sub(/^.*\) /, ""); print $1 }' "/proc/$lv_pid/stat" 2>/dev/null) || return 0
    [[ -z $st || $st == Z ]]
}

# write_conf [SECTION.KEY=VALUE...]: a tick a second, reports into the test's own files ($prom, $hist)
write_conf() {
    agent_conf "$conf" "$tmp" sampler.interval=1 guestprobe.timeout=5 report.textfile_interval=0 \
        agent.reconnect_max=2 "$@"
}

plan 38

setup() {
    "$harness" deps && "$harness" libvirtd-up && "$harness" swap-up 1024 && "$harness" build &&
        "$harness" start "$dom" 256 >/dev/null
}
harness_up "harness brings up libvirtd, host swap and a real guest"
uuid=$(virsh -q -c "$uri" domuuid "$dom")
pid=$("$harness" pid "$dom")

# 1. Start: the listing finds the guest, the first verdict is reported.
write_conf
"$SG" agent --config "$conf" --match 'sgag-*' 2>"$log" &
agent_pid=$!
check "the agent logs its start: URI, interval and config" \
    wait_for 10 "agent started: pid $agent_pid, libvirt $uri, interval 1 s, .*config $conf"
check "the guest is watched with its QEMU pid $pid" wait_for 10 "domain '$dom' \($uuid\) added: pid $pid, memory cgroup"
"$SG" agent --config "$conf" 2>"$tmp/second.log"
rc=$?
diag <"$tmp/second.log"
check "a second agent exits 1: another swapguard agent runs (lock ... held by pid $agent_pid)" \
    test "$rc,$(grep -c "another swapguard agent runs (lock $tmp/agent.lock held by pid $agent_pid)" "$tmp/second.log")" = "1,1"
check "the first verdict of the untouched guest is logged: ok" \
    wait_for 30 "domain '$dom' \($uuid\): verdict ok, confidence [0-9.]+ \(first verdict\)"
check "the history gets its line (verdict ok, no previous)" wait_cmd 5 has_hist '["ok",null]'
check "the live metadata holds the report (verdict ok)" test "$(meta_attr "$dom" verdict)" = ok
sleep 3
check "no report on the following ticks while the verdict stays: still 1 history line" test "$(hist_count)" -eq 1

# 2. Squeeze the guest into host swap: one change to host-swap-risk.
if "$harness" fill "$dom" 140 2>&1 | diag && "$harness" squeeze "$dom" 120 2>&1 | diag; then
    ok "$dom: 140 MiB of guest RAM filled and squeezed to a 120 MiB hard limit"
else
    not_ok "$dom: 140 MiB of guest RAM filled and squeezed to a 120 MiB hard limit"
fi
check "the change is logged: verdict host-swap-risk (was ...) with the host swap evidence" \
    wait_for 30 "domain '$dom' \($uuid\): verdict host-swap-risk, confidence [0-9.]+ \(was [a-z-]+\); evidence: host_swap_kib"
check "the history gets the change (host-swap-risk, previous ok or what came between)" \
    wait_cmd 5 has_hist_risk
check "the live metadata says host-swap-risk" test "$(meta_attr "$dom" verdict)" = host-swap-risk
check "the domain's libvirt log has the report line" \
    grep -q "swapguard: verdict host-swap-risk (was " "/var/log/libvirt/qemu/$dom.log"
check "the textfile says host-swap-risk" \
    grep -qF "swapguard_domain_verdict{domain=\"$dom\",uuid=\"$uuid\",verdict=\"host-swap-risk\"} 1" "$prom"

# 3. libvirtd killed and started again.
lv_pid="" why=""
if [[ -s $SG_HARNESS_DIR/libvirtd.started ]]; then
    lv_pid=$(tr -dc 0-9 <"$SG_HARNESS_DIR/libvirtd.started")
elif [[ ${SG_TEST_MAY_RESTART_LIBVIRTD:-} == 1 ]]; then
    [[ -r /run/libvirtd.pid ]] && lv_pid=$(tr -dc 0-9 </run/libvirtd.pid)
    [[ -n $lv_pid && $(cat "/proc/$lv_pid/comm" 2>/dev/null) == libvirtd ]] || lv_pid=$(pgrep -x -o libvirtd)
else
    why="libvirtd was not started by this test; SG_TEST_MAY_RESTART_LIBVIRTD=1 allows restarting it"
fi
if [[ -z $why && ( -z $lv_pid || $(cat "/proc/$lv_pid/comm" 2>/dev/null) != libvirtd ) ]]; then
    why="no running libvirtd found to restart"
fi
if [[ -n $why ]]; then
    for d in "the agent logs the lost connection" "it keeps writing the textfile while libvirtd is away" \
        "libvirtd runs again" "the agent reconnects" "it reports again after the reconnect: a new history line" \
        "the restarted daemon gets a newer metadata report" "the agent did not die"; do
        skip "$d" "$why"
    done
else
    mapfile -d '' -t lv_env <"/proc/$lv_pid/environ"
    grep -qz '^LIBVIRT_LOG_OUTPUTS=' "/proc/$lv_pid/environ" ||
        lv_env+=("LIBVIRT_LOG_OUTPUTS=3:file:$SG_HARNESS_DIR/libvirtd.log")
    [[ ${#lv_env[@]} -gt 0 ]] || lv_env=("PATH=$PATH")
    h0=$(hist_count)
    t_meta0=$(meta_attr "$dom" time)
    echo "# kill -9 libvirtd (pid $lv_pid); it is started again with $(printf '%s\n' "${lv_env[@]}" | grep '^LIBVIRT_LOG_OUTPUTS=')"
    kill -KILL "$lv_pid"
    wait_cmd 10 lv_dead
    check "the agent logs the lost connection" wait_for 15 "lost the connection to libvirt at $uri"
    t_prom0=$(prom_time)
    sleep 2.5
    check "it keeps writing the textfile while libvirtd is away ($t_prom0, then $(prom_time))" \
        test -n "$t_prom0" -a "$(prom_time)" != "$t_prom0"
    if start_libvirtd; then
        ok "libvirtd runs again"
    else
        not_ok "libvirtd runs again"
    fi
    if [[ -s $SG_HARNESS_DIR/libvirtd.started ]]; then
        # the harness must stop the new one at cleanup
        tr -dc 0-9 </run/libvirtd.pid >"$SG_HARNESS_DIR/libvirtd.started"
    fi
    check "the agent reconnects" wait_for 20 "reconnected to libvirt at $uri"
    check "it reports again after the reconnect: a new history line (host-swap-risk, previous host-swap-risk)" \
        wait_cmd 15 reported_again
    check "the restarted daemon gets a newer metadata report ($t_meta0, then $(meta_attr "$dom" time))" \
        test -n "$t_meta0" -a "$(meta_attr "$dom" time)" != "$t_meta0"
    check "the agent did not die" alive
fi

# 4. Lifecycle events (after the reconnect, when there was one): a guest started and destroyed.
if "$harness" start "$late" 256 2>&1 | diag; then
    ok "$late started"
else
    not_ok "$late started"
fi
late_uuid=$(virsh -q -c "$uri" domuuid "$late" 2>/dev/null)
late_pid=$("$harness" pid "$late" 2>/dev/null)
# libvirt sends "resumed" (the CPUs start) before "started" (booted): either adds it
check "the lifecycle event adds its watch with its QEMU pid $late_pid" \
    wait_for 10 "domain '$late' \($late_uuid\) added \((started|resumed)\): pid $late_pid, memory cgroup"
"$harness" stop "$late" 2>&1 | diag
check "the destroyed domain's watch is removed" wait_for 10 "domain '$late' \($late_uuid\) removed: stopped"
check "its QEMU exiting between two ticks is no error" test "$(grep -c "warning: domain '$late'" "$log")" -eq 0

# 5. auto_apply: a stall (a hung-task report with an async-PF trace written into the guest's
#    kernel log; forgeable, so confidence 0.5) gets the configured live remedy, once.
write_conf agent.auto_apply=swap-limit agent.auto_apply_min_confidence=0.5
kill -HUP "$agent_pid"
check "SIGHUP: auto_apply swap-limit is on" wait_for 15 "SIGHUP: reloaded .*auto_apply on"
SG_EXEC_TIMEOUT=120 "$harness" exec "$dom" "$(cat "$top/tests/integration/inject-hung-task.sh")" 2>&1 | diag
check "the stall is logged: verdict host-swap-stall" \
    wait_for 60 "domain '$dom' \($uuid\): verdict host-swap-stall, confidence 0\.50 "
check "the agent applies swap-limit by itself" wait_for 30 "domain '$dom': swap-limit applied"
js=$("$SG" history --config "$conf" --json 2>&1)
diag <<<"$js"
check "the action journal holds it: one swap-limit entry for $dom, applied" \
    test "$(jq -c --arg u "$uuid" '[.[] | select(.uuid == $u) | [.action, .status]]' <<<"$js")" = '[["swap-limit","applied"]]'
limits=$(virsh -q -c "$uri" memtune "$dom" |
    awk -F: '{ gsub(/ /, "") } $1 == "hard_limit" { h = $2 } $1 == "swap_hard_limit" { s = $2 } END { print h "," s }')
check "libvirt shows memory+swap limit = memory limit ($limits KiB)" \
    test "${limits%,*}" = "${limits#*,}" -a -n "${limits%,*}"
sleep 4
check "once per stall episode: one 'applying swap-limit' line after more ticks" \
    test "$(grep -c "domain '$dom' ($uuid): host-swap-stall, confidence .*: applying swap-limit" "$log")" -eq 1

# 6. SIGHUP: a broken config is refused with FILE:LINE, a good one reloaded.
write_conf agent.no_such_key=1
line=$(grep -n '^no_such_key' "$conf" | cut -d: -f1)
kill -HUP "$agent_pid"
check "SIGHUP with a broken config logs $conf:$line and keeps the old one" \
    wait_for 15 "SIGHUP: $conf:$line: .*no_such_key.*keeping the old configuration"
check "the agent still runs" alive
write_conf
kill -HUP "$agent_pid"
check "SIGHUP with a good config reloads it" wait_for 15 "SIGHUP: reloaded $conf: interval 1 s"

# 7. SIGTERM: exit 0 within seconds (a tick with a guest probe finishes first), lock released.
kill -TERM "$agent_pid"
rc=timeout
for ((i = 0; i < 150; i++)); do
    if ! alive; then wait "$agent_pid"; rc=$?; break; fi
    sleep 0.1
done
agent_pid=""
check "SIGTERM: exit code 0 within 15 s (rc $rc)" test "$rc" = 0
check "SIGTERM: it says so" grep -qF "SIGTERM: exiting" "$log"
check "the lock is free again" flock -n "$tmp/agent.lock" true
check "libvirtd answers after the test" libvirtd_answers
echo "# the agent's log:"
diag <"$log"

tap_exit
