#!/usr/bin/env bash
# CLI tests of `swapguard plot` on a real history and action journal captured
# from the demo (tests/data/history/, see tests/data/README.md): PNG and SVG
# written and valid, the names, verdicts and remedies in the SVG; then
# hand-made hostile histories (labelled below): malformed lines skipped and
# counted, a name with markup escaped, a history larger than the line cap.
#
# Usage: test-plot.sh SWAPGUARD_BINARY TESTS_DATA_DIR
# Prints TAP.

# shellcheck disable=SC2016,SC2034,SC2317 # eval strings use the variables and call xml_ok, png_size
set -uo pipefail

[ $# -eq 2 ] || { echo "usage: $0 SWAPGUARD DATA_DIR" >&2; exit 2; }
sg=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
data=$(cd "$2" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# shellcheck source=tests/lib/tap.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/lib/tap.sh"

hist="$data/history/history.jsonl"
# The journal must be 0600 (swapguard refuses a group/other-writable one); git keeps 0644.
install -m 600 "$data/history/journal.json" "$tmp/journal.json"
plot() { "$sg" plot --config /dev/null --history "$hist" --journal "$tmp/journal.json" "$@"; }

# xml_ok FILE: FILE parses as XML (xmllint, else python3).
xml_ok() {
    if command -v xmllint >/dev/null; then
        xmllint --noout "$1"
    elif command -v python3 >/dev/null; then
        python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$1"
    else
        echo "neither xmllint nor python3 to parse XML"
        return 1
    fi
}
# png_size FILE: "WIDTH HEIGHT" from the IHDR chunk, after checking the PNG signature.
png_size() {
    [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || { echo "not a PNG signature"; return 1; }
    [ "$(head -c 16 "$1" | tail -c 4)" = IHDR ] || { echo "no IHDR first"; return 1; }
    head -c 24 "$1" | tail -c 8 | od -An -tu1 |
        awk '{ printf "%d %d\n", (($1 * 256 + $2) * 256 + $3) * 256 + $4, (($5 * 256 + $6) * 256 + $7) * 256 + $8 }'
}

# The captured history: which domains and verdicts it has (read with jq when present, else grep).
dom1=sg-demo dom2="sg demo idle"
check_captured "the captured history holds both demo domains" \
    eval 'grep -q "\"domain\":\"$dom1\"" "$hist" && grep -q "\"domain\":\"$dom2\"" "$hist"'

# ---------------------------------------------------------------- PNG
out=$(plot --all --output "$tmp/all.png" 2>"$tmp/err")
rc=$?
check_captured "plot --all to PNG: exit 0, nothing on stderr, says what it drew" \
    eval '[ $rc -eq 0 ] && [ ! -s "$tmp/err" ] && [[ $out == *"PNG of 2 domain(s), 3 history line(s), 3 remedy marker(s)"* ]] || { echo "$out"; cat "$tmp/err"; false; }'
size=$(png_size "$tmp/all.png")
check_captured "the PNG has the PNG signature and is 1200 pixels wide, two panels high ($size)" \
    eval '[ "${size% *}" = 1200 ] && [ "${size#* }" -gt 900 ]'
plot "$dom1" --width 800 --output "$tmp/one.png" >/dev/null 2>&1
size1=$(png_size "$tmp/one.png")
check_captured "one domain at --width 800: 800 wide, one panel (lower than two: $size1 vs $size)" \
    eval '[ "${size1% *}" = 800 ] && [ "${size1#* }" -lt "${size#* }" ]'

# ---------------------------------------------------------------- SVG
plot "$dom1" --output "$tmp/one.svg" >/dev/null 2>"$tmp/err"
check_captured "plot DOMAIN to SVG: valid XML" xml_ok "$tmp/one.svg"
svg=$(cat "$tmp/one.svg")
check_captured "the SVG names the domain and its verdict, and not the other domain" \
    eval '[[ $svg == *">swapguard plot: $dom1<"* && $svg == *">host-swap-stall 0.50<"* && $svg != *"$dom2"* ]]'
check_captured "the remedies of the journal are labelled: applied and rolled back" \
    eval '[[ $svg == *">#1 swap-limit<"* && $svg == *">#2 prefetch<"* && $svg == *">#1 swap-limit rolled back<"* ]]'
check_captured "axis labels with units and time" \
    eval '[[ $svg == *">MiB<"* && $svg == *">faults/s<"* && $svg == *">ms/s<"* && $svg == *">time (UTC)<"* ]]'
# The captured history predates lost_ms_per_s: every line falls back to memory PSI full.
check_captured "the lost-time chart has the fallback's figures, named as such (the captured lines have no lost_ms_per_s)" \
    eval '[[ $svg == *">lost time: fallback where a line has none: memory PSI full between lines (dashed)<"* ]]'
uuid=$(grep -m1 -o '"uuid":"[^"]*"' "$hist" | cut -d'"' -f4)
plot "$uuid" --output "$tmp/uuid.svg" >/dev/null 2>&1
check_captured "the domain can be given by UUID" grep -q ">swapguard plot: $dom1<" "$tmp/uuid.svg"
plot --all --output "$tmp/all.svg" >/dev/null 2>&1
check_captured "plot --all to SVG: both domains, the other's verdict (ok 0.75)" \
    eval 'xml_ok "$tmp/all.svg" && grep -q ">$dom2<" "$tmp/all.svg" && grep -q ">ok 0.75<" "$tmp/all.svg"'

# ---------------------------------------------------------------- errors
err=$(plot nosuch --output "$tmp/x.png" 2>&1)
check_captured "an unknown domain: one error naming it" \
    eval '[ "$(wc -l <<<"$err")" = 1 ] && [[ $err == *"has no line of domain '"'"'nosuch'"'"'"* ]] && [ ! -e "$tmp/x.png" ]'
err=$(plot --all --output "$tmp/x.jpg" 2>&1)
check_captured "an output that is neither .png nor .svg: refused" eval '[[ $err == *"must end in .png or .svg"* ]]'
err=$(plot --all 2>&1)
check_captured "no --output: refused" eval '[[ $err == *"--output FILE.png or FILE.svg is required"* ]]'
err=$("$sg" plot --config /dev/null --history "$hist" --journal "$tmp/none.json" --all --output "$tmp/x.png" 2>&1)
check_captured "a --journal that does not exist: an error naming it" eval '[[ $err == *"$tmp/none.json"* ]]'
install -m 664 "$tmp/journal.json" "$tmp/gw.json"
err=$("$sg" plot --config /dev/null --history "$hist" --journal "$tmp/gw.json" --all --output "$tmp/x.png" 2>&1)
check_captured "a group-writable journal: refused, as apply and rollback refuse it" \
    eval '[[ $err == *"writable by group or others"* ]]'

# ---------------------------------------------------------------- hostile input (hand-made)
# Hand-made, hostile: one good line from the capture with a name full of markup and control
# bytes, and seven malformed lines of different kinds.
good=$(head -1 "$hist")
bad_name='<script>&"x'"'"'\u001b[2J'
{
    jq -c --arg n "$bad_name" '.domain = ($n | gsub("\\\\u001b"; "\u001b"))' <<<"$good"
    echo 'not json at all'
    echo '[1, 2, 3]'
    jq -c '.verdict = "made-up"' <<<"$good"
    jq -c '.figures.vm_swap_kib = -5' <<<"$good"
    jq -c '.unix = "yesterday"' <<<"$good"
    printf '{"unix": 1, "domain": "a\\u0000b", "uuid": "u", "verdict": "ok"}\n'
    head -c 70000 /dev/zero | tr '\0' 'x'
    echo
} >"$tmp/hostile.jsonl" 2>/dev/null
if ! command -v jq >/dev/null; then
    skip "hostile history" "jq not installed (scripts/harness.sh deps installs it)"
else
    out=$("$sg" plot --config /dev/null --history "$tmp/hostile.jsonl" --journal "$tmp/journal.json" --all \
        --output "$tmp/hostile.svg" 2>"$tmp/err")
    rc=$?
    check_captured "hostile history: exit 0 with the one good line, 7 malformed lines counted on stderr" \
        eval '[ $rc -eq 0 ] && grep -q "7 malformed line(s) skipped (first: line 2: not one JSON document)" "$tmp/err" || { cat "$tmp/err"; false; }'
    check_captured "hostile history: the SVG is valid XML" xml_ok "$tmp/hostile.svg"
    check_captured "hostile history: the name's markup is escaped and its control byte is \\x1b" \
        grep -qF '&lt;script&gt;&amp;&quot;x&apos;\x1b[2J' "$tmp/hostile.svg"
fi

# Hand-made from the captured lines (labelled): the demo predates the verdict's lost_ms_per_s,
# so its two sg-demo lines (which fall back to memory PSI full between them) get three more
# here: a guest-io-stall with lost_ms_per_s 40, a host-swap-stall with 812.5, and one with a
# negative lost time (malformed). The chart's title says which figure is which.
if ! command -v jq >/dev/null; then
    skip "history with lost_ms_per_s" "jq not installed (scripts/harness.sh deps installs it)"
else
    grep "\"domain\":\"$dom1\"" "$hist" >"$tmp/lost.jsonl"
    tail -1 "$tmp/lost.jsonl" | jq -c '.verdict = "guest-io-stall" | .unix += 30 | .lost_ms_per_s = 40' >>"$tmp/lost.jsonl"
    tail -1 "$tmp/lost.jsonl" | jq -c '.verdict = "host-swap-stall" | .unix += 30 | .lost_ms_per_s = 812.5' >>"$tmp/lost.jsonl"
    tail -1 "$tmp/lost.jsonl" | jq -c '.unix += 30 | .lost_ms_per_s = -3' >>"$tmp/lost.jsonl"
    "$sg" plot --config /dev/null --history "$tmp/lost.jsonl" --journal "$tmp/journal.json" "$dom1" \
        --output "$tmp/lost.svg" >/dev/null 2>"$tmp/err"
    svg=$(cat "$tmp/lost.svg")
    check_captured "lost_ms_per_s in the lines: drawn as the verdict's, the PSI fallback only where a line has none" \
        eval '[[ $svg == *">lost time: vCPU time lost, the verdict&apos;s lost_ms_per_s at each line (dots); fallback where a line has none: memory PSI full between lines (dashed)<"* ]]'
    check_captured "a guest-io-stall line is plotted with its verdict; a negative lost_ms_per_s is malformed" \
        eval '[[ $svg == *">guest-io-stall"* ]] && grep -q "1 malformed line(s) skipped (first: line 5: \"lost_ms_per_s\" is not a number >= 0)" "$tmp/err" || { cat "$tmp/err"; false; }'
    "$sg" plot --config /dev/null --history "$tmp/lost.jsonl" --journal "$tmp/journal.json" "$dom1" \
        --output "$tmp/lost.png" >/dev/null 2>&1
fi

# More lines than the cap: the newest are kept, memory stays bounded, stderr says so.
awk -v l="$(head -1 "$hist")" 'BEGIN { for (i = 0; i < 100500; i++) print l }' >"$tmp/big.jsonl"
out=$("$sg" plot --config /dev/null --history "$tmp/big.jsonl" --journal "$tmp/journal.json" --all \
    --output "$tmp/big.png" 2>"$tmp/err")
check_captured "100500 lines: the newest 100000 plotted, the rest counted on stderr" \
    eval 'grep -q "only the newest 100000 lines plotted (500 older ones left out)" "$tmp/err" && png_size "$tmp/big.png" >/dev/null'

plan "$n"
tap_exit
