#!/usr/bin/env bash
# run-fuzz.sh EXE NAME SEEDS [SECONDS]: runs one libFuzzer target for SECONDS (default
# $SG_FUZZ_SECONDS, else 20; with SG_FUZZ_RUNS=N, for N executions instead) over its corpus,
# and prints one TAP result line:
#   ok 1 - fuzz-NAME: EXECS execs in SECS s (EXECS/s), cov C ft F, corpus N (+NEW new)
#   not ok 1 - fuzz-NAME: crash (...), input saved as PATH
# The corpus grows in BUILD/fuzz-corpus/NAME (next to SEEDS' parent build dir), seeded from
# SEEDS; a crashing input goes to BUILD/fuzz-artifacts/. The full libFuzzer log is in
# BUILD/fuzz-logs/NAME.log. Exit status 1 on a finding.
set -uo pipefail
exe=$1 name=$2 seeds=$3
secs=${4:-${SG_FUZZ_SECONDS:-20}}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=$(dirname "$exe")
corpus=$build/fuzz-corpus/$name
artifacts=$build/fuzz-artifacts
logs=$build/fuzz-logs
mkdir -p "$corpus" "$artifacts" "$logs"
log=$logs/$name.log

args=(-print_final_stats=1 -artifact_prefix="$artifacts/$name-" -rss_limit_mb=2048 -timeout=10)
if [[ -n ${SG_FUZZ_RUNS:-} ]]; then
    args+=(-runs="$SG_FUZZ_RUNS")
else
    args+=(-max_total_time="$secs")
fi
[[ -f $here/$name.dict ]] && args+=(-dict="$here/$name.dict")
# Larger inputs only where the format needs them (domain XML: the
# captured documents are up to 6 kB).
case $name in
domxml | domxml-edit) args+=(-max_len=8192) ;;
*) args+=(-max_len=4096) ;;
esac

echo "1..1"
start=$(date +%s.%N)
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
    "$exe" "${args[@]}" "$corpus" "$seeds" >"$log" 2>&1
rc=$?
end=$(date +%s.%N)

execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n1)
added=$(sed -n 's/^stat::new_units_added: *//p' "$log" | tail -n1)
last=$(grep -E '^#[0-9]+[[:space:]]+(DONE|INITED|NEW|REDUCE|pulse|RELOAD)' "$log" | tail -n1)
cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
ncorp=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$last")
secs_run=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", b - a }')

if ((rc == 0)); then
    echo "ok 1 - fuzz-$name: ${execs:-?} execs in ${secs_run} s (${rate:-?}/s), cov ${cov:-?} ft ${ft:-?}, corpus ${ncorp:-?} (+${added:-0} new)"
    exit 0
fi
what=$(grep -m1 -oE 'ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|libFuzzer): [^ ]+( [^ ]+)?|runtime error: .*|invariant broken: .*' "$log" | head -n1)
input=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n1)
echo "not ok 1 - fuzz-$name: ${what:-exit status $rc} after ${execs:-?} execs; input saved as ${input:-?}; log $log"
# The finding itself, for the test log.
grep -E -A12 'ERROR: |runtime error|invariant broken' "$log" | head -n 40 | sed 's/^/# /'
exit 1
