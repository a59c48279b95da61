#!/usr/bin/env bash
# scripts/static-checks.sh [BUILD_DIR]: the static checks, one TAP-like line each:
#   scan-build  the clang static analyzer over a full build of the program (libraries and the
#               swapguard binary, not the tests) in BUILD_DIR (default build-scan), with
#               --status-bugs: any report fails; the HTML reports stay in BUILD_DIR/report.
#               Checker unix.Malloc is off: clang 14's analyzer does not model
#               __attribute__((cleanup)), so it reports every _cleanup_free_ variable as a
#               leak (25 such reports, all false); leaks and double frees are caught at run
#               time instead (the ASan/LeakSanitizer unit run and the fuzz targets).
#   cppcheck    over the sources of every layer and tests/fuzz (warning, portability and
#               performance checks), with tests/static/cppcheck.supp (stated false positives
#               only); any finding fails. The Criterion unit tests are left out (cppcheck
#               cannot expand Criterion's Test() macros).
# A tool that is not installed gives "ok ... # SKIP". Exit status 1 when a check failed.
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top" || exit 2
build=${1:-build-scan}
status=0

if command -v scan-build >/dev/null; then
    rm -rf "$build"
    log=$(mktemp)
    if scan-build -o "$build/report" meson setup "$build" -Dtests=false >"$log" 2>&1 &&
        scan-build -o "$build/report" --status-bugs -disable-checker unix.Malloc \
            ninja -C "$build" >>"$log" 2>&1; then
        echo "ok - scan-build: no reports ($(grep -c 'Compiling C object' "$log") files analysed)"
    else
        status=1
        echo "not ok - scan-build: $(grep -oE '[0-9]+ bugs? found' "$log" | tail -n1 || echo 'failed'); reports in $build/report"
        grep -E 'warning:|error:' "$log" | sed 's/^/# /' | head -n 40
    fi
    rm -f "$log"
else
    echo "ok - scan-build # SKIP scan-build not installed (Debian: clang-tools)"
fi

if command -v cppcheck >/dev/null; then
    if out=$(cppcheck -q --language=c --std=c11 -D_GNU_SOURCE -D__GNUC__ \
        --enable=warning,portability,performance --inline-suppr \
        --suppressions-list=tests/static/cppcheck.supp --error-exitcode=1 -j "$(nproc)" \
        util hostprobe guestprobe policies agent tests/fuzz 2>&1); then
        echo "ok - cppcheck: no findings ($(find util hostprobe guestprobe policies agent tests/fuzz -name '*.c' | wc -l) files)"
    else
        status=1
        echo "not ok - cppcheck: findings"
        printf '%s\n' "$out" | sed 's/^/# /' | head -n 60
    fi
else
    echo "ok - cppcheck # SKIP cppcheck not installed (Debian: cppcheck)"
fi
exit "$status"
