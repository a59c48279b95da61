#!/usr/bin/env bash
# README command 2: install what the tests need, build, run every test
# (unit, CLI, integration with a real libvirt guest, the Debian package), then the unit tests
# again under AddressSanitizer and UndefinedBehaviorSanitizer, every fuzz
# target for a short time (SG_FUZZ_SECONDS, default 20 s each), the static
# checks (scan-build, cppcheck), and print one summary:
# "summary: N passed, N failed, N skipped".
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"

# shellcheck source=scripts/lib.sh
source "$top/scripts/lib.sh"

install_deps() {
    sg_install_build_deps
    # The man page, completion and package tests (they skip, saying why, without them).
    if [[ $(id -u) -eq 0 ]]; then
        sg_install_packages "${SG_TEST_DEPS[@]}" "${SG_PACKAGE_DEPS[@]}"
    fi
    # The integration test's real guest: libvirt daemon, QEMU, qemu-ga, kernel, busybox, jq.
    if [[ $(id -u) -eq 0 ]]; then
        "$top/scripts/harness.sh" deps
    fi
    # promtool lints the Prometheus textfile in the report tests (skipped without it).
    if [[ -z ${SG_PROMTOOL:-} ]] && SG_PROMTOOL=$(sg_promtool); then
        export SG_PROMTOOL
    fi
}

# The tracepoint unit tests (tests/unit/test-asyncpf.c) open their events through tracefs, and
# skip without it; nothing mounts it on a fresh machine without systemd. As root, mount it at
# /sys/kernel/tracing for this run when it is not mounted there, and unmount it on exit only
# then. Not root, or a failed mount: those tests skip, saying why.
mount_tracefs() {
    local t=/sys/kernel/tracing
    [[ $(id -u) -eq 0 ]] || return 0
    mountpoint -q "$t" && return 0
    if mount -t tracefs nodev "$t"; then
        echo "test.sh: mounted tracefs at $t for the tracepoint tests (unmounted at the end)"
        # shellcheck disable=SC2064  # expand $t now
        trap "umount '$t' || echo 'test.sh: could not unmount $t' >&2" EXIT
    else
        echo "test.sh: could not mount tracefs at $t; the tracepoint tests will skip"
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

# Names each failed and skipped check of a build's test log, with its test
# program, so that the last lines of a run say what to look at.
name_results() {
    python3 - "$1/meson-logs/testlog.json" <<'PY'
import json, re, sys
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    r = json.loads(line)
    lines = (r.get("stdout") or "").splitlines()
    fails = [i for i, l in enumerate(lines) if l.startswith("not ok ")]
    skips = [l for l in lines if re.match(r"ok .*# SKIP", l)]
    for n, i in enumerate(fails):
        print(f"  FAILED  {r['name']}: {lines[i][:200]}")
        # The diagnostics right after the first failures (a CI log keeps only its tail).
        if n < 3:
            for l in lines[i + 1:i + 9]:
                if not l.startswith("#"):
                    break
                print(f"          {l[:200]}")
    if not fails and r["result"] in ("FAIL", "ERROR", "TIMEOUT"):
        print(f"  FAILED  {r['name']}: {r['result']}, exit {r.get('returncode')}")
    for l in skips:
        print(f"  skipped {r['name']}: {l[:200]}")
PY
}

install_deps
mount_tracefs

status=0
sg_build build-test
# Every suite: plain `meson test` leaves out the integration and package suites (they
# change the host: guests, a swapfile; the package installed and purged).
meson test -C build-test --suite unit --suite cli --suite integration --suite package \
    --print-errorlogs --num-processes 1 || status=1
read -r p1 f1 s1 < <(count build-test)

echo
echo "== unit tests again, built with -Db_sanitize=address,undefined =="
sg_build build-asan -Db_sanitize=address,undefined -Db_lundef=false
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
    meson test -C build-asan --suite unit --print-errorlogs || status=1
read -r p2 f2 s2 < <(count build-asan)

echo
echo "== fuzz targets, ${SG_FUZZ_SECONDS:-20} s each (clang, libFuzzer, ASan+UBSan; scripts/fuzz.sh runs them longer) =="
if sg_have_libfuzzer; then
    CC=clang sg_build build-fuzz -Dfuzz=true -Dtests=false
    SG_FUZZ_SECONDS=${SG_FUZZ_SECONDS:-20} meson test -C build-fuzz --suite fuzz --print-errorlogs \
        || status=1
    read -r p3 f3 s3 < <(count build-fuzz)
else
    echo "ok - fuzz # SKIP clang with libFuzzer (clang, libclang-rt-14-dev) not installed"
    p3=0 f3=0 s3=1
fi

echo
echo "== static checks: scan-build, cppcheck =="
static=$("$top/scripts/static-checks.sh" build-scan) || status=1
echo "$static"
s4=$(grep -cE '^ok .*# SKIP' <<<"$static" || true)
p4=$(($(grep -cE '^ok ' <<<"$static" || true) - s4))
f4=$(grep -cE '^not ok ' <<<"$static" || true)

echo
echo "== failed and skipped checks =="
for b in build-test build-asan build-fuzz; do
    [[ -f $b/meson-logs/testlog.json ]] && { name_results "$b" || echo "  (could not read $b/meson-logs/testlog.json)"; }
done
grep -E '^(not ok |ok .*# SKIP)' <<<"$static" | sed 's/^/  static: /' || true
echo "plain build: $p1 passed, $f1 failed, $s1 skipped; sanitizer build (unit): $p2 passed, $f2 failed, $s2 skipped"
echo "fuzz targets: $p3 passed, $f3 failed, $s3 skipped; static checks: $p4 passed, $f4 failed, $s4 skipped"
echo "summary: $((p1 + p2 + p3 + p4)) passed, $((f1 + f2 + f3 + f4)) failed, $((s1 + s2 + s3 + s4)) skipped"
exit "$status"
