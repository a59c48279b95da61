# shellcheck shell=bash
# The common preamble of the real-guest integration tests: the TAP plumbing of
# tests/lib/tap.sh and require_root_and_jq. Source it after setting $harness
# (scripts/harness.sh).
: "${harness:?preamble.sh: set harness (scripts/harness.sh) before sourcing}"

# shellcheck source=tests/lib/tap.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"

# require_root_and_jq NAME WHY: a whole-file SKIP when not root (the tests drive
# libvirtd and QEMU); installs the harness deps when jq is missing.
require_root_and_jq() {
    if [[ $(id -u) -ne 0 ]]; then
        plan 1
        skip "$1" "needs root ($2)"
        exit 0
    fi
    if ! command -v jq >/dev/null; then
        "$harness" deps 2>&1 | diag
    fi
}
