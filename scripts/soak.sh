#!/usr/bin/env bash
# Soak of `swapguard agent`: many ticks at a short interval, then the figures that must stay
# flat: open file descriptors and VmRSS of the agent early in the run and at its end (polled
# from /proc/PID), and the sampler's heap (the rings: the agent's exit line "sampler: N domain
# ring(s), B bytes") after a warm-up run that fills the rings and after the long run.
#
# Usage: scripts/soak.sh fake|real SWAPGUARD [TICKS] [INTERVAL]
#   fake   libvirt's test driver and the captured tree tests/data/hybrid (no root, no guest)
#   real   real TCG guests of scripts/harness.sh (root; wrap it in `flock /tmp/sg-libvirt.lock`):
#          two guests run throughout, a third is started and destroyed again and again
#   TICKS  default 10000; INTERVAL default 0.1 s (the smallest [sampler] interval)
#   SOAK_PROBES  guest probes per tick (real: default 0; a probe waits on the guest, about a
#          second under TCG, which would make a tick that long)
# With a SWAPGUARD built with -Db_sanitize=address, LeakSanitizer runs at the agent's exit:
# any report fails the soak. Exit status 0 when fds did not grow, RSS grew by less than 10 %
# (and 2 MiB), the ring heap is the same as after the warm-up, and nothing leaked.
# shellcheck disable=SC2317  # cleanup (trap) is called indirectly
set -uo pipefail

mode=${1:-}
SG=${2:-}
ticks=${3:-10000}
interval=${4:-0.1}
[[ ($mode == fake || $mode == real) && -x $SG ]] || {
    sed -n '2,/^set -uo/{/^set -uo/d;s/^# \{0,1\}//;p}' "$0" >&2
    exit 2
}
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
harness="$top/scripts/harness.sh"
export SG_HARNESS_DIR=${SG_HARNESS_DIR:-/var/tmp/sg-soak}
tmp=$(mktemp -d)
cycler=""
agent=""
cleanup() {
    [[ -n $agent ]] && kill -KILL "$agent" 2>/dev/null
    [[ -n $cycler ]] && kill -TERM "$cycler" 2>/dev/null && wait "$cycler" 2>/dev/null
    if [[ $mode == real ]]; then "$harness" cleanup >/dev/null 2>&1; fi
    rm -rf "$tmp"
}
trap cleanup EXIT
# ASan's quarantine keeps freed memory for a while (up to 256 MiB): off, so that RSS means what
# the agent holds, as in a plain build.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:quarantine_size_mb=0:thread_local_quarantine_size_kb=0}

conn=()
if [[ $mode == fake ]]; then
    tree="$top/tests/data/hybrid"
    conn=(-c "test://$tree/testdriver.xml" --proc-root "$tree" --sys-root "$tree")
    probes=0
else
    [[ $(id -u) -eq 0 ]] || { echo "soak.sh real: needs root" >&2; exit 2; }
    if ! { "$harness" libvirtd-up && "$harness" build && "$harness" start sgsk-a 192 >/dev/null &&
           "$harness" start sgsk-b 192 >/dev/null; }; then
        echo "soak.sh: no real guests" >&2
        exit 1
    fi
    probes=${SOAK_PROBES:-0}
fi
cat >"$tmp/soak.conf" <<EOF
[sampler]
interval = $interval
window = 5
ring_length = 50
[guestprobe]
timeout = 3
[report]
textfile = $tmp/swapguard.prom
history = $tmp/history.jsonl
metadata = no
domain_log = no
journal = no
[apply]
state_dir = $tmp/state
[agent]
lock_file = $tmp/agent.lock
probes_per_tick = $probes
EOF

ring_line() { grep -o 'sampler: [0-9]* domain ring(s), [0-9]* bytes' "$1" | tail -n 1; }
ring_bytes() { ring_line "$1" | awk '{ print $(NF - 1) }'; }
sanitizer_report() { grep -E 'ERROR: (LeakSanitizer|AddressSanitizer)|SUMMARY: (Address|Leak)Sanitizer' "$1"; }

# Warm-up: the rings filled (ring_length 50 ticks + 10).
"$SG" "${conn[@]}" agent --config "$tmp/soak.conf" --ticks 60 2>"$tmp/warm.log"
warm_rc=$?
warm=$(ring_line "$tmp/warm.log")
echo "warm-up (60 ticks): exit $warm_rc; $warm"

if [[ $mode == real ]]; then
    # A third guest comes and goes throughout the run.
    (
        trap 'exit 0' TERM
        while :; do
            "$harness" start sgsk-cycle 128 >/dev/null 2>&1
            sleep 4
            "$harness" stop sgsk-cycle >/dev/null 2>&1
            sleep 2
        done
    ) &
    cycler=$!
fi

t0=$SECONDS
"$SG" "${conn[@]}" agent --config "$tmp/soak.conf" --ticks "$ticks" 2>"$tmp/soak.log" &
agent=$!
# the fewest of 3 looks 0.1 s apart: a file open for one read (a /proc file, the textfile being
# written) is not a leak
fds() {
    local c m=""
    for _ in 1 2 3; do
        c=$(find "/proc/$agent/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
        [[ -z $m || $c -lt $m ]] && m=$c
        sleep 0.1
    done
    echo "$m"
}
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$agent/status" 2>/dev/null; }
# "start": once 2 % of the ticks have gone by (at least 20 s: the rings are full then)
start_after=$(awk -v t="$ticks" -v i="$interval" 'BEGIN { s = t * i * 0.02; print (s < 20 ? 20 : s) }')
fd0="" rss0="" fd1="" rss1=""
while kill -0 "$agent" 2>/dev/null; do
    f=$(fds)
    r=$(rss)
    if [[ -n $r ]]; then
        if [[ -z $fd0 ]] && awk -v e="$((SECONDS - t0))" -v s="$start_after" 'BEGIN { exit !(e >= s) }'; then
            fd0=$f rss0=$r
            echo "start ($((SECONDS - t0)) s in): $fd0 fds, VmRSS $rss0 KiB"
        fi
        [[ -n $fd0 ]] && fd1=$f rss1=$r
    fi
    sleep 1
done
wait "$agent"
rc=$?
agent=""
secs=$((SECONDS - t0))
end_ring=$(ring_line "$tmp/soak.log")
echo "end ($secs s, $ticks ticks at $interval s): $fd1 fds, VmRSS $rss1 KiB; $end_ring; agent exit $rc"
echo "log: $(wc -l <"$tmp/soak.log") lines, $(grep -c 'warning' "$tmp/soak.log") warnings," \
     "$(grep -cE ' added( \([a-z]+\))?: ' "$tmp/soak.log") domains added, $(grep -c ' removed: ' "$tmp/soak.log") removed"

status=0
if [[ -z $fd0 || -z $fd1 ]]; then
    echo "FAIL: the run ended before the start figures were taken (raise TICKS)"
    status=1
else
    ((fd1 <= fd0)) || { echo "FAIL: file descriptors grew: $fd0 -> $fd1"; status=1; }
    ((rss1 - rss0 < 2048 || rss1 * 10 < rss0 * 11)) ||
        { echo "FAIL: VmRSS grew: $rss0 -> $rss1 KiB"; status=1; }
fi
[[ $(ring_bytes "$tmp/warm.log") == "$(ring_bytes "$tmp/soak.log")" || $mode == real ]] ||
    { echo "FAIL: the sampler's heap changed: $warm -> $end_ring"; status=1; }
if [[ $mode == real ]]; then
    # domains came and went: the rings of the gone ones must have been swept
    n=$(ring_line "$tmp/soak.log" | awk '{ print $2 }')
    ((n <= 3)) || { echo "FAIL: $n domain rings at the end, for at most 3 domains"; status=1; }
fi
if sanitizer_report "$tmp/warm.log" "$tmp/soak.log"; then
    echo "FAIL: the sanitizer reported the above"
    status=1
fi
((rc == 0 && warm_rc == 0)) || { echo "FAIL: agent exit status $warm_rc/$rc"; tail -n 20 "$tmp/soak.log"; status=1; }
echo "soak $mode: $([[ $status -eq 0 ]] && echo PASS || echo FAIL)"
exit "$status"
