#!/usr/bin/env bash
# README command 2: install what the tests need, build, run every test
# (unit, CLI, integration with a real libvirt guest), then the unit tests
# again under AddressSanitizer and UndefinedBehaviorSanitizer, and print
# one summary: "summary: N passed, N failed, N skipped".
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"

build_deps=(meson ninja-build pkg-config gcc libc6-dev libvirt-dev libxml2-dev
            libjson-c-dev libcriterion-dev)

install_deps() {
    local missing=()
    for p in "${build_deps[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if ((${#missing[@]})); then
        if [[ $(id -u) -ne 0 ]]; then
            echo "test.sh: missing packages (${missing[*]}); run as root to install them" >&2
            exit 1
        fi
        apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
    fi
    # The integration test's real guest: libvirt daemon, QEMU, qemu-ga, kernel, busybox.
    if [[ $(id -u) -eq 0 ]]; then
        "$top/scripts/harness.sh" deps
    fi
}

# Counts the TAP result lines of a meson build's test log (Criterion cases
# and our shell tests alike). A test program that failed without printing
# "not ok" (a crash) still counts: failed = max(TAP failures, failed programs).
count() {
    local dir=$1 pass fail skip crashed
    pass=$(grep -cE '^ok ' "$dir/meson-logs/testlog.txt" || true)
    skip=$(grep -E '^ok ' "$dir/meson-logs/testlog.txt" | grep -c '# SKIP' || true)
    fail=$(grep -cE '^not ok ' "$dir/meson-logs/testlog.txt" || true)
    crashed=$(grep -cE '"result": "(FAIL|ERROR|TIMEOUT)"' "$dir/meson-logs/testlog.json" || true)
    ((crashed > fail)) && fail=$crashed
    echo "$((pass - skip)) $fail $skip"
}

install_deps

status=0
rm -rf build-test build-asan
meson setup build-test -Dwerror=true >/dev/null
ninja -C build-test
meson test -C build-test --print-errorlogs --num-processes 1 || status=1
read -r p1 f1 s1 < <(count build-test)

echo
echo "== unit tests again, built with -Db_sanitize=address,undefined =="
meson setup build-asan -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
ninja -C build-asan
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
    meson test -C build-asan --suite unit --print-errorlogs || status=1
read -r p2 f2 s2 < <(count build-asan)

echo
echo "plain build: $p1 passed, $f1 failed, $s1 skipped; sanitizer build (unit): $p2 passed, $f2 failed, $s2 skipped"
echo "summary: $((p1 + p2)) passed, $((f1 + f2)) failed, $((s1 + s2)) skipped"
exit "$status"
