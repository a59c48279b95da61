#!/usr/bin/env bash
# `swapguard complete` against libvirt's test driver, and the bash completion
# script (etc/bash-completion/swapguard) in a real bash: its completion
# function called the way bash calls it, then an interactive bash in tmux
# where Tab completes a domain name with a space in it.
#
# Usage: test-complete.sh SWAPGUARD_BINARY TESTS_DATA_DIR
#
# Domains: the captured hybrid tree's test-driver XML (a name with spaces:
# "sgcap odd name"), plus a HAND-MADE test-driver XML with hostile names (a
# quote, a tab, a C1 control) that must come out whole or not at all.
set -uo pipefail

[ $# -eq 2 ] || { echo "usage: $0 SWAPGUARD DATA_DIR" >&2; exit 2; }
sg=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
data=$(cd "$2" && pwd)
script=$(cd "$data/../.." && pwd)/etc/bash-completion/swapguard
tmp=$(mktemp -d)
tmux_sock="sg-complete-$$"
# shellcheck disable=SC2317  # called by the trap
cleanup() {
    tmux -L "$tmux_sock" kill-server 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

# shellcheck source=tests/lib/tap.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/lib/tap.sh"

uri="test://$data/hybrid/testdriver.xml"

# completes DESC EXPECTED WORDS...: `complete -- WORDS` prints EXPECTED (lines, in any order:
# bash sorts them), exit 0, no stderr.
completes() {
    local desc=$1 want got rc
    want=$(sort <<<"$2")
    shift 2
    got=$("$sg" complete -- "$@" 2>"$tmp/stderr" | sort)
    rc=$?
    if [ "$rc" -eq 0 ] && [ "$got" = "$want" ] && [ ! -s "$tmp/stderr" ]; then
        ok "$desc"
    else
        not_ok "$desc" "exit $rc; expected:" "$want" "got:" "$got" "stderr:" "$(cat "$tmp/stderr")"
    fi
}

# ------------------------------------------------------------ the complete command
completes "domains of the test driver (-c in the words), one per line, spaces kept" \
    $'sgcap odd name\nsgcap-squeezed' -c "$uri" domswap ""
completes "a domain prefix with a backslash-escaped space" "sgcap odd name" -c "$uri" diagnose 'sgcap\ o'
completes "a domain prefix in an unclosed quote" "sgcap odd name" -c "$uri" report "'sgcap o"
completes "--connect=URI form" "sgcap-squeezed" --connect="$uri" guestprobe sgcap-
completes "apply: the remedies" $'swapoff\nswap-limit\nprefetch\nlock-memory\nhugepages\noom-protect' \
    apply ""
completes "apply swap-limit: domains" $'sgcap odd name\nsgcap-squeezed' -c "$uri" apply swap-limit ""
completes "apply swapoff: the swap devices of /proc/swaps (--proc-root)" \
    "$(awk 'NR > 1 { print $1 }' "$data/hybrid/proc/swaps")" --proc-root "$data/hybrid" apply swapoff ""
completes "agent --match: domain names" "sgcap-squeezed" -c "$uri" agent --match sgcap-
completes "no libvirt: no domains, silently" "" -c "qemu+unix:///system?socket=$tmp/none" domswap ""
completes "an unknown command: nothing" "" nosuch ""

# HAND-MADE: hostile names, mapped to the captured processes by UUID.
# shellcheck disable=SC1091  # the captured tree's facts
fact() { (. "$data/hybrid/facts.env" && printf '%s' "${!1}"); }
cat >"$tmp/hostile.xml" <<XML
<node>
  <domain type='test'><name>it's mine</name><uuid>$(fact SQ_UUID)</uuid>
    <memory unit='KiB'>262144</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>
  <domain type='test'><name>it&#9;tab</name><uuid>$(fact ODD_UUID)</uuid>
    <memory unit='KiB'>262144</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>
  <domain type='test'><name>it&#155;[31mred</name><uuid>6695eb01-f6a4-8304-79aa-97f2502e1930</uuid>
    <memory unit='KiB'>262144</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>
</node>
XML
completes "a quote in a name comes out whole; names with a tab or a C1 control are left out" \
    "it's mine" -c "test://$tmp/hostile.xml" domswap "it"
completes "a quoted prefix with an escaped quote" "it's mine" -c "test://$tmp/hostile.xml" domswap "\"it's m"

# ------------------------------------------------------------ the script in a real bash
bc=/usr/share/bash-completion/bash_completion
mkdir -p "$tmp/bin"
ln -s "$sg" "$tmp/bin/swapguard"
cat >"$tmp/rc" <<RC
[ -r $bc ] && source $bc
source '$script'
PATH='$tmp/bin':\$PATH
PS1='sg\$ '
RC
[ -r "$bc" ] || diag <<<"bash-completion not installed: the script runs on its fallback word split"

# COMPREPLY of the completion function for a command line (bash's own COMP_* variables).
compreply() {
    local line=$1
    bash --norc --noprofile -c '
        source "$1"
        eval "COMP_WORDS=($2)"
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        COMP_LINE=$2 COMP_POINT=${#2}
        complete -p swapguard
        _swapguard swapguard "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
        printf "reply:%s\n" "${COMPREPLY[@]}"' _ "$tmp/rc" "$line" 2>&1
}
out=$(compreply "swapguard -c $uri domswap sgcap\\ o")
if grep -qx 'reply:sgcap odd name' <<<"$out" && [ "$(grep -c '^reply:' <<<"$out")" -eq 1 ] &&
    grep -q -- '-o filenames' <<<"$out"; then
    ok "bash: the completion function replies one word for a name with spaces, registered -o filenames"
else
    not_ok "bash: the completion function replies one word for a name with spaces" "$out"
fi
out=$(compreply "swapguard ap")
if grep -qx 'reply:apply' <<<"$out"; then
    ok "bash: the completion function completes a command"
else
    not_ok "bash: the completion function completes a command" "$out"
fi

# An interactive bash in tmux: type, press Tab, read the screen.
# tab_line TYPED: the prompt line after typing TYPED and one Tab (tmux drops the trailing
# space bash adds after a complete word).
tab_line() {
    tmux -L "$tmux_sock" send-keys -t sg C-u
    tmux -L "$tmux_sock" send-keys -t sg -l "$1"
    tmux -L "$tmux_sock" send-keys -t sg Tab
    local line=
    for _ in $(seq 50); do
        sleep 0.1
        line=$(tmux -L "$tmux_sock" capture-pane -p -t sg | grep '^sg\$ ' | tail -1)
        [ "$line" != "sg\$ $1" ] && break
    done
    printf '%s\n' "$line"
}
if ! command -v tmux >/dev/null; then
    skip "bash in tmux: Tab completes a domain name with spaces" "tmux not installed"
elif ! tmux -L "$tmux_sock" new-session -d -s sg -x 250 -y 20 "bash --rcfile '$tmp/rc' --noprofile -i"; then
    not_ok "bash in tmux: a session starts"
else
    for _ in $(seq 50); do
        tmux -L "$tmux_sock" capture-pane -p -t sg | grep -q '^sg\$' && break
        sleep 0.1
    done
    got=$(tab_line "swapguard -c $uri domswap sgcap\\ o")
    if [ "$got" = "sg\$ swapguard -c $uri domswap sgcap\\ odd\\ name" ]; then
        ok "bash in tmux: Tab completes 'sgcap\\ o' to the domain 'sgcap\\ odd\\ name'"
    else
        not_ok "bash in tmux: Tab completes a domain name with spaces" "screen line: '$got'"
    fi
    got=$(tab_line "swapguard -c $uri domswap 'sgcap o")
    if [ "$got" = "sg\$ swapguard -c $uri domswap 'sgcap odd name'" ]; then
        ok "bash in tmux: Tab completes inside single quotes"
    else
        not_ok "bash in tmux: Tab completes inside single quotes" "screen line: '$got'"
    fi
    got=$(tab_line "swapguard apply swap-l")
    if [ "$got" = "sg\$ swapguard apply swap-limit" ]; then
        ok "bash in tmux: Tab completes a remedy"
    else
        not_ok "bash in tmux: Tab completes a remedy" "screen line: '$got'"
    fi
fi

plan "$n"
tap_exit
