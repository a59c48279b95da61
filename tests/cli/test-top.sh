#!/usr/bin/env bash
# CLI tests of `swapguard top` against the captured hybrid tree and libvirt's
# test driver (no daemon, no guest): the --batch frames, their rows, the sort,
# the verdicts against `diagnose`, and the full-screen view driven in tmux
# (keys, detail view, resize, quit). Expected values come from the tree's
# facts.env (measured at capture time), never typed here.
#
# Usage: test-top.sh SWAPGUARD_BINARY TESTS_DATA_DIR
# Prints TAP.

# shellcheck disable=SC2016,SC2034 # eval strings (they use the variables)
set -uo pipefail

[ $# -eq 2 ] || { echo "usage: $0 SWAPGUARD DATA_DIR" >&2; exit 2; }
sg=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
data=$(cd "$2" && pwd)
tmp=$(mktemp -d)
sock="$tmp/tmux.sock"
trap 'tmux -S "$sock" kill-server 2>/dev/null; rm -rf "$tmp"' EXIT

# shellcheck source=tests/lib/tap.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/lib/tap.sh"

fact() {
    # shellcheck disable=SC1090
    (. "$data/$1/facts.env" && printf '%s' "${!2}")
}
sgt() {
    "$sg" -c "test://$data/hybrid/testdriver.xml" --proc-root "$data/hybrid" --sys-root "$data/hybrid" "$@"
}

command -v jq >/dev/null || skip_all "jq not installed (scripts/harness.sh deps installs it)"

SQ_NAME=$(fact hybrid SQ_NAME) ODD_NAME=$(fact hybrid ODD_NAME)
# Guest RAM in host swap of the squeezed guest as top prints it: the larger of VmSwap and the
# cgroup's swap (KiB), in MiB with one decimal.
SQ_SWAP=$(awk -v a="$(fact hybrid SQ_VMSWAP_KIB)" -v b="$(fact hybrid SQ_CGROUP_SWAP_BYTES)" \
    'BEGIN { b = int(b / 1024); m = a > b ? a : b; printf "%.1fM", m / 1024 }')

# rows FRAME: the table rows of a frame (the lines after the column header).
rows() { awk 'f { print } /^ Id / { f = 1 }' <<<"$1"; }
# row_name LINE: the name column of a batch row (after the 5-character Id column).
row_name() { awk -v w="$2" '{ s = substr($0, 7, w); sub(/ +$/, "", s); print s }' <<<"$1"; }
# field LINE K: the K-th field from the right (1 = Conf, 2 = Verdict, 7 = Swapped).
field() { awk -v k="$2" '{ print $(NF - k + 1) }' <<<"$1"; }

# ---------------------------------------------------------------- --batch
out=$(sgt top --batch --count 2 --interval 0.2 2>"$tmp/err")
rc=$?
check_captured "top --batch --count 2: exit 0, nothing on stderr" eval '[ $rc -eq 0 ] && [ ! -s "$tmp/err" ]'
heads=$(grep -c '^swapguard top ' <<<"$out")
check_captured "top --batch --count 2: two frames" test "$heads" = 2
re='^swapguard top [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}  2 domains  every 0.2 s  sort: swap  probes off$'
check_captured "each frame starts with a timestamp header" \
    eval '[ "$(grep -cE "$re" <<<"$out")" = 2 ]'
check_captured "the frames are separated by one blank line, and only there" \
    eval '[ "$(grep -c "^$" <<<"$out")" = 1 ] && [ "$(grep -A1 "^$" <<<"$out" | tail -1 | cut -c1-14)" = "swapguard top " ]'
frame2=$(awk 'f { print } /^$/ { f = 1 }' <<<"$out")
check_captured "the host lines carry memory, swap, swap traffic and PSI" \
    eval '[[ $frame2 == *"Host memory "*", available "*"; swap used "*" of "* ]] && [[ $frame2 == *"Host swap-in "*", swap-out "*" pages/s; memory PSI some "*"%, full "*"%"* ]]'
hdr=$(grep '^ Id ' <<<"$frame2")
check_captured "the header marks the sort column (Swapped) with '*'" eval '[[ $hdr == *"*Swapped"* ]]'
mapfile -t r < <(rows "$frame2")
namew=$(awk '{ i = index($0, "Swapped"); print i - 8 }' <<<"$hdr") # the name column's width
check_captured "two rows, one per running domain" test "${#r[@]}" = 2
check_captured "default sort (guest RAM in host swap): the squeezed guest first" \
    test "$(row_name "${r[0]}" "$namew")" = "$SQ_NAME"
check_captured "its Swapped column is the larger of VmSwap and the cgroup's swap ($SQ_SWAP)" \
    test "$(field "${r[0]}" 7)" = "$SQ_SWAP"
check_captured "the untouched guest has nothing in host swap" \
    eval '[ "$(row_name "${r[1]}" "$namew")" = "$ODD_NAME" ] && [ "$(field "${r[1]}" 7)" = 0K ]'
# The captured tree has no schedstat nor delay accounting: the verdict measures no vCPU time, and
# Lost is the fallback, memory PSI full over the interval, marked '~'.
check_captured "swap-in and lost time are rates over the interval: 0.0 on a captured (still) tree, Lost the '~' fallback" \
    eval '[ "$(field "${r[0]}" 5)" = 0.0 ] && [ "$(field "${r[0]}" 4)" = "~0.0" ]'
check_captured "PSIfull is the captured domain's memory PSI full avg10" \
    test "$(field "${r[0]}" 3)" = "$(fact hybrid SQ_PSI_FULL_AVG10)"

# The verdicts are those of diagnose without guest probes (-r), domain by domain.
dg=$(sgt -r diagnose --json --count 2 --interval 0.2 2>/dev/null)
for i in 0 1; do
    name=$(row_name "${r[$i]}" "$namew")
    want=$(jq -r --arg n "$name" '.domains[] | select(.name == $n) | "\(.verdict) \(.confidence)"' <<<"$dg")
    got="$(field "${r[$i]}" 2) $(field "${r[$i]}" 1)"
    check_captured "'$name': the verdict and confidence of 'diagnose -r' ($want)" \
        awk -v a="$want" -v b="$got" 'BEGIN { split(a, x); split(b, y); exit !(x[1] == y[1] && x[2] + 0 == y[2] + 0) }'
done

out=$(sgt top --batch --sort name --interval 0.2 2>&1)
mapfile -t r < <(rows "$out")
check_captured "--sort name: one frame, the odd name first (' ' sorts before '-'), '*' on Name" \
    eval '[ "$(grep -c "^swapguard top " <<<"$out")" = 1 ] && [[ $out == *"sort: name"* ]] && [[ $out == *"*Name"* ]] && [ "$(row_name "${r[0]}" "$namew")" = "$ODD_NAME" ]'
out=$(sgt top --batch --sort verdict --interval 0.2 2>&1)
mapfile -t r < <(rows "$out")
check_captured "--sort verdict: host-swap-risk before unknown" \
    eval '[ "$(field "${r[0]}" 2)" = host-swap-risk ] && [ "$(field "${r[1]}" 2)" = unknown ]'

err=$(sgt top --batch --sort nosuch 2>&1 >/dev/null)
check_captured "--sort of an unknown key: one error line naming the keys" \
    eval '[ "$(wc -l <<<"$err")" = 1 ] && [[ $err == *"--sort: '"'"'nosuch'"'"' is not one of swap, swapin, lost, psi, verdict, name"* ]]'
err=$(sgt top --batch --interval 0.01 2>&1 >/dev/null)
check_captured "--interval below 0.1: refused" eval '[[ $err == *"--interval"* ]]'
err=$(sgt top </dev/null 2>&1 >/dev/null)
rc=$?
check_captured "without a terminal and without --batch: exit 1, says to use --batch" \
    eval '[ $rc -eq 1 ] && [[ $err == *"not a terminal; use --batch"* ]]'

# ---------------------------------------------------------------- the full-screen view in tmux
if ! command -v tmux >/dev/null; then
    skip "top in tmux" "tmux not installed (scripts/lib.sh SG_BUILD_DEPS installs it)"
    plan "$n"
    tap_exit
fi
tm() { tmux -S "$sock" "$@"; }
screen() { tm capture-pane -p -t sgtop; }
# wait_for TEXT: up to 5 s for TEXT on the screen.
wait_for() {
    for _ in $(seq 50); do
        screen | grep -qF -- "$1" && return 0
        sleep 0.1
    done
    echo "not on the screen: $1"
    screen
    return 1
}
printf '#!/bin/sh\n"%s" -c "test://%s/hybrid/testdriver.xml" --proc-root "%s/hybrid" --sys-root "%s/hybrid" top --interval 0.5\necho "top exited $?" >"%s/rc"\nsleep 60\n' \
    "$sg" "$data" "$data" "$data" "$tmp" >"$tmp/run.sh"
chmod +x "$tmp/run.sh"
tm new-session -d -s sgtop -x 80 -y 24 "TERM=xterm-256color $tmp/run.sh"
check_captured "tmux 80x24: the view comes up with the sort on Swapped" wait_for "*Swapped"
s=$(screen)
first=$(awk '/^ Name /{ getline; print; exit }' <<<"$s")
check_captured "the squeezed guest is the first row, with its Swapped figure" \
    eval '[[ $first == " $SQ_NAME "* ]] && [[ $first == *" $SQ_SWAP "* ]] || { echo "$s"; false; }'
check_captured "no line is wider than 80 columns" eval '[ "$(screen | awk "length > 80" | wc -l)" = 0 ]'
tm send-keys -t sgtop n
check_captured "key n: sorted by name, the indicator moves" wait_for "sort: name"
s=$(screen)
first=$(awk '/^\*Name /{ getline; print; exit }' <<<"$s")
check_captured "key n: the odd name is the first row now" eval '[[ $first == " $ODD_NAME "* ]] || { echo "$s"; false; }'
tm send-keys -t sgtop r
check_captured "key r: reversed, marked '^'" eval 'wait_for "sort: name (reversed)" && { screen | grep -q "^\\^Name " || { screen; false; }; }'
tm send-keys -t sgtop s
wait_for "sort: swap" >/dev/null
tm send-keys -t sgtop Enter
check_captured "Enter: the detail view of the selected (squeezed) guest, with its verdict and evidence" \
    eval 'wait_for "swapguard top: domain '"'"'$SQ_NAME'"'"'" && wait_for "Verdict: host-swap-risk" && wait_for "host_swap_kib"'
tm send-keys -t sgtop Escape
check_captured "Esc: back to the table" wait_for "*Swapped"
tm resize-window -t sgtop -x 60 -y 15
sleep 0.5
s=$(screen)
check_captured "resized to 60x15: still the table, columns dropped to fit, nothing wider" \
    eval '[[ $s == *"*Swapped"* ]] && [[ $s == *"Verdict"* ]] && [[ $s != *"Conf"* ]] && [ "$(awk "length > 60" <<<"$s" | wc -l)" = 0 ] && [[ $s == *" $SQ_NAME"* ]]'
tm resize-window -t sgtop -x 80 -y 24
tm send-keys -t sgtop q
for _ in $(seq 50); do [ -s "$tmp/rc" ] && break; sleep 0.1; done
check_captured "q: top exits with status 0" test "$(cat "$tmp/rc" 2>/dev/null)" = "top exited 0"

plan "$n"
tap_exit
