#!/usr/bin/env bash
# `swapguard agent` without a daemon: libvirt's test driver and the captured
# hybrid tree (tests/data/hybrid, whose cmdlines carry the test domains'
# UUIDs). Checks the watches it sets up, one verdict line per domain (not
# one per tick), --match, the lock, SIGHUP with a broken and a good config,
# SIGTERM, the reconnect backoff against a URI that cannot be opened, and
# the Nova labels of the textfile (the domain XML read once per domain).
# Expected values come from the tree's facts.env. The configs are written
# here (settings for the test, not captures). Emits TAP.
#
# Usage: test-agent.sh SWAPGUARD_BINARY TESTS_DATA_DIR
# shellcheck disable=SC2317  # cleanup (trap) is called indirectly
set -uo pipefail

[ $# -eq 2 ] || { echo "usage: $0 SWAPGUARD DATA_DIR" >&2; exit 2; }
sg=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
data=$(cd "$2" && pwd)
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/lib/tap.sh
source "$top/tests/lib/tap.sh"
tmp=$(mktemp -d)
bg=""
cleanup() {
    [ -n "$bg" ] && kill -KILL "$bg" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

tree=$data/hybrid
# shellcheck disable=SC1091
. "$tree/facts.env"
on_tree=(-c "test://$tree/testdriver.xml" --proc-root "$tree" --sys-root "$tree")
sga() { "$sg" "${on_tree[@]}" agent "$@"; }
conf=$tmp/agent.conf
write_conf() { # write_conf INTERVAL [EXTRA LINE]
    printf '[sampler]\ninterval = %s\n[report]\ntextfile = %s\ntextfile_interval = 0\nhistory = %s\nmetadata = no\ndomain_log = no\njournal = no\n[agent]\nlock_file = %s\nreconnect_max = 2\n%s' \
        "$1" "$tmp/swapguard.prom" "$tmp/history.jsonl" "$tmp/agent.lock" "${2:-}" >"$conf"
}
# wait_for FILE REGEX [SECONDS]: until FILE has a line matching REGEX.
wait_for() {
    local i
    for ((i = 0; i < ${3:-10} * 10; i++)); do
        grep -qE -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

plan 30
write_conf 0.2

# 1. A few ticks against the test driver.
sga --config "$conf" --ticks 6 2>"$tmp/log1"
rc=$?
diag <"$tmp/log1"
check "agent --ticks 6 exits 0" test "$rc" -eq 0
check "it logs its start with the URI, the interval and the config path" \
    grep -qF "agent started: pid" "$tmp/log1"
check "the startup line names interval 0.2 s and $conf" \
    grep -qE "interval 0\.2 s.*config $conf" "$tmp/log1"
check "the squeezed domain is watched with the pid and memory cgroup of the capture" \
    grep -qF "domain '$SQ_NAME' ($SQ_UUID) added: pid $SQ_PID, memory cgroup v1 $SQ_CGROUP_PATH" "$tmp/log1"
check "both domains of the test driver are watched" grep -qF "connected to libvirt at test://$tree/testdriver.xml: 2 domain(s) watched" "$tmp/log1"
check "one verdict line per domain over 6 ticks: verdicts are logged when they change" \
    test "$(grep -c "): verdict " "$tmp/log1")" -eq 2
check "the squeezed domain's verdict is host-swap-risk with the host swap evidence" \
    grep -qE "domain '$SQ_NAME' \($SQ_UUID\): verdict host-swap-risk, .*evidence: host_swap_kib" "$tmp/log1"
check "it says why it exits" grep -qF "exiting after 6 tick(s) (--ticks)" "$tmp/log1"
check "the history holds one line per domain (the first verdicts), not one per tick" \
    test "$(jq -s -c '[length, (map(select(.domain == "'"$SQ_NAME"'")) | .[0] | .verdict, .previous)]' "$tmp/history.jsonl")" = '[2,"host-swap-risk",null]'
check "the Prometheus textfile holds the squeezed domain's verdict" \
    grep -qF "swapguard_domain_verdict{domain=\"$SQ_NAME\",uuid=\"$SQ_UUID\",verdict=\"host-swap-risk\"} 1" "$tmp/swapguard.prom"

sga --config "$conf" --ticks 2 --match 'sgcap-s*' 2>"$tmp/log2"
check "--match GLOB watches only the matching domains" \
    test "$(grep -c " added: " "$tmp/log2"),$(grep -c "1 domain(s) watched" "$tmp/log2")" = "1,1"

# 2. One instance: a second agent refuses while the first holds the lock.
"$sg" "${on_tree[@]}" agent --config "$conf" 2>"$tmp/log3" & # not through sga: $! must be the agent
bg=$!
wait_for "$tmp/log3" "domain\(s\) watched" || diag <"$tmp/log3"
ts() { awk '/^swapguard_report_timestamp_seconds / { print $2 }' "$tmp/swapguard.prom"; }
sleep 0.5
t1=$(ts)
h1=$(wc -l <"$tmp/history.jsonl")
sleep 1
check "without a verdict change the textfile is still rewritten every tick ($t1, then $(ts))" \
    test -n "$t1" -a "$(ts)" != "$t1"
check "and the history gets no new line ($h1 lines)" test "$(wc -l <"$tmp/history.jsonl")" -eq "$h1"
sga --config "$conf" --ticks 1 2>"$tmp/log4"
rc=$?
diag <"$tmp/log4"
check "a second agent exits 1 naming the lock file and the first agent's pid" \
    test "$rc,$(grep -c "another swapguard agent runs (lock $tmp/agent.lock held by pid $bg)" "$tmp/log4")" = "1,1"

# 3. SIGHUP: a broken file keeps the old config (FILE:LINE logged), a good one is taken.
write_conf 0.2 'probes_per_tick = lots'
line=$(grep -n probes_per_tick "$conf" | cut -d: -f1)
kill -HUP "$bg"
wait_for "$tmp/log3" "keeping the old configuration"
check "SIGHUP with a broken config logs $conf:$line and keeps running" \
    test "$(grep -c "SIGHUP: $conf:$line: .*probes_per_tick.*keeping the old configuration" "$tmp/log3")" = 1 -a -d "/proc/$bg"
write_conf 0.3
kill -HUP "$bg"
check "SIGHUP with a good config reloads it (interval 0.3 s)" wait_for "$tmp/log3" "SIGHUP: reloaded $conf: interval 0\.3 s"

# 4. SIGTERM: exit 0 within a few seconds, the lock released.
kill -TERM "$bg"
rc=timeout
for ((i = 0; i < 50; i++)); do
    if ! kill -0 "$bg" 2>/dev/null; then wait "$bg"; rc=$?; break; fi
    sleep 0.1
done
bg=""
diag <"$tmp/log3"
check "SIGTERM: the agent exits 0 within 5 s (rc $rc)" test "$rc" = 0
check "SIGTERM: it says so" grep -qF "SIGTERM: exiting" "$tmp/log3"
check "the lock is free again" flock -n "$tmp/agent.lock" true

# 5. libvirt cannot be reached: the agent keeps sampling and retries 1 s, 2 s, 2 s (reconnect_max 2).
write_conf 0.25
"$sg" -c "test://$tmp/absent.xml" --proc-root "$tree" --sys-root "$tree" agent --config "$conf" --ticks 16 2>"$tmp/log5"
rc=$?
diag <"$tmp/log5"
check "unreachable libvirt: a retry is announced and the agent runs its ticks (rc $rc)" \
    test "$rc,$(grep -c "cannot connect to libvirt at test://$tmp/absent.xml: .*retrying in 1 s" "$tmp/log5")" = "0,1"
check "each reconnect attempt is one line, the wait doubles up to reconnect_max" \
    grep -qE "reconnect attempt 1 to libvirt at test://$tmp/absent.xml failed: .*; next attempt in 2 s" "$tmp/log5"

# 6. Bad use.
"$sg" -r -c "test://$tree/testdriver.xml" agent --config "$conf" --ticks 1 2>"$tmp/log6"
check "-r: refused, the agent needs a read-write connection" \
    test "$?,$(grep -c "read-write" "$tmp/log6")" = "1,1"

# 7. Nova labels: swapguard_domain_info carries them, and the domain XML is read once per domain,
# not per tick (libvirt's own debug log counts the API calls; the guest probe, which reads the
# XML for its channel, is off). Hand-made: a copy of the test-driver XML whose squeezed domain
# has Nova metadata.
sed '/<uuid>'"$SQ_UUID"'<\/uuid>/a\    <metadata><nova:instance xmlns:nova="http://openstack.org/xmlns/libvirt/nova/1.1"><nova:name>web-1</nova:name><nova:flavor name="m1.small"/><nova:owner><nova:project uuid="p1">acme</nova:project></nova:owner></nova:instance></metadata>' \
    "$tree/testdriver.xml" >"$tmp/nova.xml"
write_conf 0.2 $'[guestprobe]\nenabled = false\n'
LIBVIRT_LOG_FILTERS="1:libvirt" LIBVIRT_LOG_OUTPUTS="1:file:$tmp/libvirt.log" \
    "$sg" -c "test://$tmp/nova.xml" --proc-root "$tree" --sys-root "$tree" agent --config "$conf" --ticks 6 2>"$tmp/log7"
diag <"$tmp/log7"
check "the textfile's swapguard_domain_info has the Nova labels of the squeezed domain" \
    grep -qxF "swapguard_domain_info{domain=\"$SQ_NAME\",uuid=\"$SQ_UUID\",nova_instance_uuid=\"$SQ_UUID\",nova_instance_name=\"web-1\",nova_project=\"p1\",nova_project_name=\"acme\",nova_flavor=\"m1.small\"} 1" "$tmp/swapguard.prom"
check "6 ticks, 2 domains: virDomainGetXMLDesc called twice ($(grep -c ': virDomainGetXMLDesc:' "$tmp/libvirt.log" 2>/dev/null))" \
    test "$(grep -c ': virDomainGetXMLDesc:' "$tmp/libvirt.log" 2>/dev/null)" = 2

# 8. The textfile interval: without a change the textfile is rewritten at most every [report]
# textfile_interval, not every tick (swapguard_report_timestamp_seconds says when it was written).
textfile_run() { # textfile_run TEXTFILE_INTERVAL: t1 and t2, 1.5 s apart, after the first verdicts
    write_conf 0.1 $'[guestprobe]\nenabled = false\n'
    sed -i "s/^textfile_interval = 0$/textfile_interval = $1/" "$conf"
    "$sg" "${on_tree[@]}" agent --config "$conf" --ticks 40 2>"$tmp/log8" &
    bg=$!
    wait_for "$tmp/log8" "sgcap odd name.*: verdict " || diag <"$tmp/log8"
    sleep 0.5
    t1=$(ts)
    sleep 1.5
    t2=$(ts)
    wait "$bg"
    bg=""
}
textfile_run 3600
check "textfile_interval 3600: no rewrite in 1.5 s of 0.1 s ticks without a change ($t1, then $t2)" \
    test -n "$t1" -a "$t1" = "$t2"
check "the textfile holds both domains' verdicts all the same" \
    test "$(grep -c '^swapguard_domain_verdict{.*} 1$' "$tmp/swapguard.prom")" = 2
textfile_run 0.5
check "textfile_interval 0.5: rewritten within 1.5 s without a change ($t1, then $t2)" \
    test -n "$t1" -a -n "$t2" -a "$t1" != "$t2"

# 9. Few descriptors (RLIMIT_NOFILE 40, which the agent cannot raise without CAP_SYS_RESOURCE): every domain opens, reads and closes its files per tick instead of
# keeping them open, says so once, and samples the same figures as with its files kept open.
write_conf 0.1 $'[guestprobe]\nenabled = false\n'
sga --config "$conf" --ticks 4 2>"$tmp/log9a"
grep -v '_timestamp_seconds' "$tmp/swapguard.prom" >"$tmp/kept.prom"
if ! command -v prlimit >/dev/null; then
    for w in "runs with RLIMIT_NOFILE 40" "no fallback line by default" "the same figures by path"; do
        skip "$w" "no prlimit (util-linux)"
    done
else
    # without CAP_SYS_RESOURCE (as root it would raise the hard limit itself)
    lowfd=(prlimit --nofile=40:40)
    command -v setpriv >/dev/null && lowfd=(setpriv --bounding-set=-sys_resource "${lowfd[@]}")
    "${lowfd[@]}" "$sg" "${on_tree[@]}" agent --config "$conf" --ticks 4 2>"$tmp/log9"
    rc=$?
    diag <"$tmp/log9"
    check "RLIMIT_NOFILE 40: the agent runs its ticks (rc $rc) and says once that it reads by path" \
        test "$rc,$(grep -c "descriptor budget reached (RLIMIT_NOFILE 40, .*): domain '$SQ_NAME' and the domains after it open, read and close their files" "$tmp/log9"),$(grep -c "descriptor budget reached" "$tmp/log9")" = "0,1,1"
    check "with its files kept open (the default limit) it does not say so" \
        test "$(grep -c "descriptor budget reached" "$tmp/log9a")" = 0
    grep -v '_timestamp_seconds' "$tmp/swapguard.prom" >"$tmp/bypath.prom"
    check "read by path, every domain has the same figures as with its files kept open (VmSwap $SQ_VMSWAP_KIB KiB)" \
        sh -c "diff '$tmp/kept.prom' '$tmp/bypath.prom' >&2 && grep -qxF 'swapguard_domain_vm_swap_bytes{domain=\"$SQ_NAME\",uuid=\"$SQ_UUID\"} $((SQ_VMSWAP_KIB * 1024))' '$tmp/bypath.prom'"
fi

tap_exit
