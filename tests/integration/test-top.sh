#!/usr/bin/env bash
# shellcheck disable=SC2317  # cleanup (trap) is called indirectly
# shellcheck disable=SC2016,SC2034  # eval strings (they use the variables)
# Integration test of `swapguard top` with the real thing: a real libvirtd, two
# real TCG guests, one of them filled and squeezed into host swap (the recipe
# of test-real-guest.sh). top runs in tmux at 80x24, driven with send-keys and
# read with capture-pane: the squeezed guest on top of the default sort, a
# sort key, the detail view with the verdict and its evidence, a resize, q.
# Every captured screen is printed as TAP comments. Emits TAP.
#
# Usage: test-top.sh SWAPGUARD_BINARY
set -uo pipefail

SG=${1:?usage: test-top.sh SWAPGUARD_BINARY}
SG=$(cd "$(dirname "$SG")" && pwd)/$(basename "$SG")
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
harness="$top/scripts/harness.sh"
export SG_HARNESS_DIR=${SG_HARNESS_DIR:-/var/tmp/swapguard-it}
squeezed=sgtop-squeezed
idle="sgtop idle"   # sorts before the squeezed one by name (' ' < '-')
tmp=$(mktemp -d)
sock="$tmp/tmux.sock"

# shellcheck source=tests/integration/preamble.sh
source "$top/tests/integration/preamble.sh"
require_root_and_jq "top integration" "libvirtd, QEMU, swapon, memtune"
if ! command -v tmux >/dev/null; then
    plan 1
    skip "top in tmux against real guests" "tmux not installed (scripts/lib.sh SG_BUILD_DEPS installs it)"
    exit 0
fi

cleanup() {
    tmux -S "$sock" kill-server 2>/dev/null
    "$harness" cleanup 2>&1 | diag
    rm -rf "$tmp"
}
trap cleanup EXIT

setup() {
    "$harness" deps && "$harness" libvirtd-up && "$harness" swap-up 1024 && "$harness" build &&
        "$harness" start "$squeezed" 256 >/dev/null && "$harness" start "$idle" 256 >/dev/null &&
        "$harness" fill "$squeezed" 140 && "$harness" squeeze "$squeezed" 120
}
if ! setup 2>&1 | diag; then
    not_ok "harness: libvirtd, swap, two guests, one filled and squeezed into host swap" "see above"
    bail_out "no real guests"
fi
ok "harness: libvirtd, swap, two guests, one filled and squeezed into host swap"
"$harness" reread-bg "$squeezed" >/dev/null 2>&1 # swap-ins while top watches

tm() { tmux -S "$sock" "$@"; }
screen() { tm capture-pane -p -t sgtop; }
show() { echo "# --- screen: $1"; screen | sed 's/^/# | /'; }
wait_for() { # TEXT [SECONDS]
    for _ in $(seq $((${2:-10} * 10))); do
        screen | grep -qF -- "$1" && return 0
        sleep 0.1
    done
    echo "not on the screen: $1"
    screen
    return 1
}
# first_row: the first table row (the line after the column header).
first_row() { screen | awk '/^[ *^]Name|^ Id +[*^ ]Name/ { getline; print; exit }'; }

printf '#!/bin/sh\n"%s" top --interval 1\necho "top exited $?" >"%s/rc"\nsleep 60\n' "$SG" "$tmp" >"$tmp/run.sh"
chmod +x "$tmp/run.sh"
tm new-session -d -s sgtop -x 80 -y 24 "TERM=xterm-256color $tmp/run.sh"
check_captured "top comes up in an 80x24 tmux window, sorted by guest RAM in host swap" \
    wait_for "sort: swap" 15
# The second refresh has the rates (SwapIn/s is "-" on the first).
sleep 2.5
show "80x24, default sort"
row=$(first_row)
check_captured "the squeezed guest is the first row" eval '[[ $row == " $squeezed "* ]] || { screen; false; }'
swapped=$(awk '{ print $2 }' <<<"$row")
check_captured "its Swapped figure is more than 50 MiB ($swapped)" \
    awk -v s="$swapped" 'BEGIN { exit !(s ~ /M$/ && s + 0 > 50 || s ~ /G$/) }'
check_captured "its verdict is host-swap-risk (no guest probe: a stall is not visible under TCG)" \
    eval '[[ $row == *" host-swap-risk "* ]]'
check_captured "the idle guest is listed with nothing in host swap" \
    eval 'screen | grep -qE "^ $idle +0K "'
check_captured "no line is wider than 80 columns" eval '[ "$(screen | awk "length > 80" | wc -l)" = 0 ]'

tm send-keys -t sgtop n
check_captured "key n: the sort indicator moves to Name" eval 'wait_for "sort: name" && screen | grep -q "^\\*Name "'
show "after n"
row=$(first_row)
check_captured "key n: the idle guest is first by name" eval '[[ $row == " $idle "* ]] || { screen; false; }'
tm send-keys -t sgtop s
wait_for "sort: swap" >/dev/null

tm send-keys -t sgtop Enter
check_captured "Enter: the detail view of the selected guest (the squeezed one)" \
    wait_for "swapguard top: domain '$squeezed'"
show "detail"
s=$(screen)
check_captured "the detail view shows the verdict and its evidence" \
    eval '[[ $s == *"Verdict: host-swap-risk, confidence "* && $s == *"host_swap_kib"* && $s == *"guest RAM in host swap"* ]]'
check_captured "the detail view says what could not be seen" eval '[[ $s == *"Missing: "* ]]'
tm send-keys -t sgtop Escape
check_captured "Esc: back to the table" wait_for "*Swapped"

tm resize-window -t sgtop -x 60 -y 12
sleep 1.5
show "resized to 60x12"
s=$(screen)
check_captured "resized to 60x12: still rendered, columns dropped to fit, the squeezed guest on top" \
    eval '[[ $s == *"*Swapped"* ]] && [ "$(awk "length > 60" <<<"$s" | wc -l)" = 0 ] && [[ "$(first_row)" == " $squeezed "* ]]'
tm resize-window -t sgtop -x 120 -y 30
sleep 1.5
show "resized to 120x30"
check_captured "resized to 120x30: every column back (Id, %RAM, Conf)" \
    eval 'screen | grep -qE "^ Id +Name .*%RAM.*Conf"'

tm send-keys -t sgtop q
for _ in $(seq 50); do [ -s "$tmp/rc" ] && break; sleep 0.1; done
check_captured "q: top exits with status 0" test "$(cat "$tmp/rc" 2>/dev/null)" = "top exited 0"

# The batch frames of the same guests.
out=$("$SG" top --batch --count 2 --interval 1 2>&1)
diag <<<"$out" | sed 's/^# /# batch| /'
first=$(awk '/^ Id / { getline; print; exit }' <<<"$out")
check_captured "top --batch --count 2: two frames, the squeezed guest first" \
    eval '[ "$(grep -c "^swapguard top " <<<"$out")" = 2 ] && [[ $first == *" $squeezed "* ]]'

plan "$n"
tap_exit
