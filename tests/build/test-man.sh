#!/usr/bin/env bash
# The man pages against what the program says and ships: every command that
# `swapguard help` lists has its subsection in swapguard(8), with every option
# `swapguard help COMMAND` lists; every global option is in OPTIONS; every key
# of the shipped etc/swapguard.conf is in its section of swapguard.conf(5),
# with the same default. Then both pages render through man(1) without
# warnings (skipped without man-db).
#
# Usage: test-man.sh SWAPGUARD SWAPGUARD.8 SWAPGUARD.CONF.5 SHIPPED_CONF
set -uo pipefail

[ $# -eq 4 ] || { echo "usage: $0 SWAPGUARD PAGE8 PAGE5 CONF" >&2; exit 2; }
sg=$1 page8=$2 page5=$3 conf=$4

# shellcheck source=tests/lib/tap.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/lib/tap.sh"

for f in "$page8" "$page5"; do
    [ -s "$f" ] || skip_all "$f not built (scdoc missing: meson -Dman=enabled needs it)"
done

# section PAGE MACRO TITLE: the lines of the .SH/.SS TITLE of PAGE up to the next .SH/.SS,
# without the zero-width escapes (\&) scdoc puts after every period.
section() {
    sed 's/\\&//g' "$1" | awk -v m="$2" -v t="$3" '
        $0 == m " " t { on = 1; next }
        on && /^\.S[HS] / { exit }
        on { print }'
}

# bold NAME: NAME as scdoc writes *NAME* in roff.
bold() { printf '\\fB%s\\fR' "$1"; }

# ------------------------------------------------------------ commands and their options
mapfile -t cmds < <("$sg" help | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }')
if [ "${#cmds[@]}" -ge 10 ]; then
    ok "swapguard help lists ${#cmds[@]} commands"
else
    not_ok "swapguard help lists the commands" "got: ${cmds[*]}"
fi
for c in "${cmds[@]}"; do
    body=$(section "$page8" .SS "$c")
    if [ -z "$body" ]; then
        not_ok "swapguard(8) has the command $c" "no '.SS $c' subsection in $page8"
        continue
    fi
    mapfile -t opts < <("$sg" help "$c" | awk '/^OPTIONS/ { on = 1; next } on && /^  --/ { print $1 }')
    missing=()
    for o in "${opts[@]}"; do
        grep -qF -- "$(bold "$o")" <<<"$body" || missing+=("$o")
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        ok "swapguard(8) has the command $c with its ${#opts[@]} options"
    else
        not_ok "swapguard(8) has the command $c with its options" "missing: ${missing[*]}"
    fi
done
# Nothing in the page that help does not list.
extra=$(grep '^\.SS ' "$page8" | cut -c5- | grep -vxF -f <(printf '%s\n' "${cmds[@]}"))
if [ -z "$extra" ]; then
    ok "swapguard(8) has no command that help does not list"
else
    not_ok "swapguard(8) has no command that help does not list" "$extra"
fi

# ------------------------------------------------------------ global options
mapfile -t gopts < <("$sg" help | awk '/^Options:/ { on = 1; next } /^$/ { on = 0 } on { for (i = 1; i <= NF; i++) if ($i ~ /^--/) print $i }')
body=$(section "$page8" .SH OPTIONS)
missing=()
for o in "${gopts[@]}"; do
    grep -qF -- "$(bold "$o")" <<<"$body" || missing+=("$o")
done
if [ "${#gopts[@]}" -ge 5 ] && [ "${#missing[@]}" -eq 0 ]; then
    ok "swapguard(8) OPTIONS has the ${#gopts[@]} global options of help"
else
    not_ok "swapguard(8) OPTIONS has the global options of help" "help: ${gopts[*]}" "missing: ${missing[*]}"
fi

# ------------------------------------------------------------ config keys and defaults
# The shipped file: "[section]" lines, then "#key = default" lines.
mapfile -t keys < <(awk '
    /^\[[a-z]+\]/ { s = substr($0, 2, index($0, "]") - 2); next }
    /^#[a-z_]+ =/ { k = substr($1, 2); v = $0; sub(/^#[a-z_]+ = ?/, "", v); print s "\t" k "\t" v }' "$conf")
if [ "${#keys[@]}" -ge 20 ]; then
    ok "the shipped swapguard.conf lists ${#keys[@]} keys"
else
    not_ok "the shipped swapguard.conf lists its keys" "got ${#keys[@]}"
fi
bad=()
for row in "${keys[@]}"; do
    IFS=$'\t' read -r s k v <<<"$row"
    body=$(section "$page5" .SS "[$s]")
    if [ -z "$v" ]; then want="$(bold "$k") = (empty)"; else want="$(bold "$k") = \\fI$v\\fR"; fi
    grep -qxF -- "$want" <<<"$body" || bad+=("[$s] $k = $v")
done
if [ "${#bad[@]}" -eq 0 ]; then
    ok "swapguard.conf(5) has every shipped key in its section with the shipped default"
else
    not_ok "swapguard.conf(5) has every shipped key in its section with the shipped default" \
        "missing or another default: ${bad[*]}"
fi
n5=$(grep -c '^\\fB[a-z_]*\\fR = ' "$page5")
if [ "$n5" -eq "${#keys[@]}" ]; then
    ok "swapguard.conf(5) documents as many keys as the shipped file ($n5)"
else
    not_ok "swapguard.conf(5) documents as many keys as the shipped file" "page: $n5, file: ${#keys[@]}"
fi

# ------------------------------------------------------------ rendering
if command -v man >/dev/null; then
    for f in "$page8" "$page5"; do
        out=$(MANWIDTH=80 man --warnings -l "$f" 2>&1 >/dev/null)
        text=$(MANWIDTH=80 man -l "$f" 2>/dev/null)
        if [ -z "$out" ] && grep -q '^NAME' <<<"$text" && grep -q 'SEE ALSO' <<<"$text"; then
            ok "man renders $(basename "$f") without warnings"
        else
            not_ok "man renders $(basename "$f") without warnings" "$out"
        fi
    done
else
    skip "man renders the pages" "man-db not installed"
fi

plan "$n"
tap_exit
