# shellcheck shell=bash
# TAP plumbing and the common preamble of the real-guest integration tests.
# Source it after setting $harness (scripts/harness.sh).
: "${harness:?tap.sh: set harness (scripts/harness.sh) before sourcing}"

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "#   $l"; done; }
check() { # check DESCRIPTION COMMAND...: ok when COMMAND succeeds
    local d=$1; shift
    if "$@"; then ok "$d"; else not_ok "$d" "failed: $*"; fi
}
diag() { sed 's/^/# /'; }

# require_root_and_jq NAME WHY: a whole-file SKIP when not root (the tests drive
# libvirtd and QEMU); installs the harness deps when jq is missing.
require_root_and_jq() {
    if [[ $(id -u) -ne 0 ]]; then
        echo "1..1"
        echo "ok 1 - $1 # SKIP needs root ($2)"
        exit 0
    fi
    if ! command -v jq >/dev/null; then
        "$harness" deps 2>&1 | diag
    fi
}
