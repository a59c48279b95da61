#!/usr/bin/env bash
# scripts/fuzz.sh [SECONDS]: builds the libFuzzer targets of tests/fuzz (clang, -Dfuzz=true,
# ASan+UBSan, in build-fuzz/) and runs each in turn for SECONDS (default 60), printing per
# target its executions, coverage (libFuzzer's cov/ft) and corpus, or the crash and where
# the crashing input was saved. Exits 1 when any target found something.
# SG_FUZZ_RUNS=N runs each target for N executions instead (the long run of README.md);
# SG_FUZZ_BUILD=DIR builds in DIR instead of build-fuzz.
# The corpus of each target grows in build-fuzz/tests/fuzz/fuzz-corpus/NAME across runs;
# a fresh build directory starts again from the seeds.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
secs=${1:-60}
build=${SG_FUZZ_BUILD:-build-fuzz}
[[ $build = /* ]] || build=$top/$build

if ! command -v clang >/dev/null; then
    echo "fuzz.sh: clang is not installed (Debian: apt-get install clang)" >&2
    exit 2
fi
if [[ ! -f $build/build.ninja ]]; then
    CC=clang meson setup "$build" -Dfuzz=true -Dtests=false -Dwerror=true >/dev/null
fi
ninja -C "$build" >/dev/null

status=0 found=()
for src in tests/fuzz/fuzz-*.c; do
    name=$(basename "$src" .c)
    name=${name#fuzz-}
    line=$(tests/fuzz/run-fuzz.sh "$build/tests/fuzz/fuzz-$name" "$name" \
        "$build/tests/fuzz/seeds-$name" "$secs" | tail -n +2) || { status=1; found+=("$name"); }
    echo "$line"
done
if ((status)); then
    echo "fuzz.sh: findings in: ${found[*]} (logs in $build/tests/fuzz/fuzz-logs/)"
else
    echo "fuzz.sh: no findings"
fi
exit "$status"
