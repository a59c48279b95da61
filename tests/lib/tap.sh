# shellcheck shell=bash
# TAP output of the shell tests (tests/cli, tests/integration): the result
# counter and the lines meson's TAP parser and scripts/test.sh read.
#
#   plan N                  "1..N", before the first result or after the last
#   ok DESC                 "ok N - DESC"
#   not_ok DESC [DETAIL...] "not ok N - DESC", then every line of every DETAIL
#                           as a "#   " comment; counts a failure
#   skip DESC WHY           "ok N - DESC # SKIP WHY"
#   skip_all WHY            "1..0 # SKIP WHY" and exit 0: nothing can run here
#   check DESC COMMAND...   ok when COMMAND succeeds, else not_ok "failed: COMMAND"
#   check_captured DESC COMMAND...
#                           the same, with COMMAND's stdout and stderr kept back:
#                           the comments of its failure, dropped when it passes
#   diag                    stdin as "# " comment lines
#   bail_out WHY            "Bail out! WHY" and exit 1: the rest cannot run
#   tap_exit                exit 1 when a result failed, else 0
#
# $n counts the results so far, $failed the failures.

n=0
failed=0

plan() { echo "1..$1"; }

ok() { n=$((n + 1)); echo "ok $n - $1"; }

not_ok() {
    n=$((n + 1))
    failed=$((failed + 1))
    echo "not ok $n - $1"
    shift
    local _tap_l
    for _tap_l in "$@"; do printf '%s\n' "$_tap_l" | sed 's/^/#   /'; done
}

skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }

skip_all() {
    echo "1..0 # SKIP $1"
    exit 0
}

# COMMAND runs in this shell: what it prints goes out as it comes (already
# commented, or nothing), and what it sets stays set. The locals have names
# of their own: a checked function sees the caller's variables (a loop's $d).
check() {
    local _tap_desc=$1
    shift
    if "$@"; then ok "$_tap_desc"; else not_ok "$_tap_desc" "failed: $*"; fi
}

check_captured() {
    local _tap_desc=$1 _tap_out
    shift
    if _tap_out=$("$@" 2>&1); then
        ok "$_tap_desc"
    else
        not_ok "$_tap_desc"
        printf '%s\n' "$_tap_out" | diag
    fi
}

diag() { sed 's/^/# /'; }

bail_out() {
    echo "Bail out! $1"
    exit 1
}

tap_exit() { exit $((failed > 0)); }
