#!/usr/bin/env bash
# Captures the time series that tests/unit/test-sampler.c replays into the
# sampler: real ticks (host facts, each domain's facts, guest probes) recorded
# by `swapguard diagnose --record` from real TCG guests of the harness.
#
#   calm.jsonl        three untouched guests (sgsc-a, sgsc-b, sgsc-gswap)
#   squeezed.jsonl    sgsc-a filled and squeezed into host swap; sgsc-gswap
#                     swapping to its own swap disk; sgsc-b untouched
#   stall.jsonl       then a hung-task report with an async-PF trace injected
#                     into sgsc-a's kernel log (recorded for 3 ticks), followed
#                     by 12 more ticks in which no new report appears
#
# Usage (root): scripts/capture-scenarios.sh SWAPGUARD_BINARY [OUT_DIR]
# OUT_DIR defaults to tests/data/scenarios.
set -euo pipefail

SG=${1:?usage: capture-scenarios.sh SWAPGUARD_BINARY [OUT_DIR]}
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${2:-$top/tests/data/scenarios}
harness="$top/scripts/harness.sh"
export SG_HARNESS_DIR=${SG_HARNESS_DIR:-/var/tmp/sg-capture-scenarios}

trap '"$harness" cleanup' EXIT
"$harness" deps
"$harness" libvirtd-up
"$harness" swap-up 1024
"$harness" build
"$harness" start sgsc-a 256 >/dev/null
"$harness" start sgsc-b 256 >/dev/null
SG_GUEST_SWAP_MIB=256 "$harness" start sgsc-gswap 256 >/dev/null

mkdir -p "$out"
rm -f "$out"/{calm,squeezed,stall}.jsonl
record() { "$SG" diagnose --all --count "$2" --interval 1 --record "$out/$1.jsonl" >/dev/null; }

record calm 4

"$harness" fill sgsc-a 140
"$harness" squeeze sgsc-a 120
SG_EXEC_TIMEOUT=300 "$harness" exec sgsc-gswap 'mount -o remount,size=400M /mnt/fill &&
dd if=/dev/urandom of=/mnt/fill/data bs=1M count=300 2>&1' >/dev/null
record squeezed 4

SG_EXEC_TIMEOUT=300 "$harness" exec sgsc-a "$(cat "$top/tests/integration/inject-hung-task.sh")"
record stall 15
wc -l "$out"/*.jsonl
