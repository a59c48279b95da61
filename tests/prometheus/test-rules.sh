#!/usr/bin/env bash
# The fleet view through promtool (Debian's prometheus package; scripts/test.sh exports
# SG_PROMTOOL, fetched by scripts/lib.sh sg_promtool):
#   - `promtool check rules --lint=all --lint-fatal` accepts etc/prometheus/swapguard-rules.yml;
#   - `promtool test rules` passes tests/prometheus/rules-test.yml (alerts with their labels
#     and annotations, recording rules with their values), and fails a copy of it whose
#     expectations are wrong, so the check can fail;
#   - every query of etc/grafana/swapguard-dashboard.json parses as PromQL (each becomes a
#     recording rule of a temporary file for `promtool check rules`, with the dashboard's
#     variables replaced: $host and $domain by .*, $__rate_interval by 5m). Needs jq.
# Which metric names those queries use is checked against the textfile by
# tests/unit/test-fleet.c. Without promtool every check skips, saying why.
#
# Usage: test-rules.sh SOURCE_ROOT

# The checks pass single-quoted command strings to eval on purpose, and sed scripts name
# Grafana's $variables literally; what eval reads is set here.
# shellcheck disable=SC2016,SC2034
set -uo pipefail

[ $# -eq 1 ] || { echo "usage: $0 SOURCE_ROOT" >&2; exit 2; }
top=$(cd "$1" && pwd)
# shellcheck source=tests/lib/tap.sh
source "$top/tests/lib/tap.sh"

rules=$top/etc/prometheus/swapguard-rules.yml
dash=$top/etc/grafana/swapguard-dashboard.json
tests=$top/tests/prometheus/rules-test.yml

# promtool: $SG_PROMTOOL, one on PATH, or the copy sg_promtool leaves in /var/cache/swapguard
# (never downloaded from here).
tool=${SG_PROMTOOL:-}
[[ -n $tool && -x $tool ]] || tool=$(command -v promtool 2>/dev/null) || tool=
[[ -n $tool ]] || { [[ -x /var/cache/swapguard/prometheus/usr/bin/promtool ]] &&
    tool=/var/cache/swapguard/prometheus/usr/bin/promtool; }
[[ -n $tool ]] || skip_all "no promtool (SG_PROMTOOL unset, none on PATH or in /var/cache/swapguard: scripts/test.sh fetches Debian's)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check_captured "promtool check rules --lint=all accepts the shipped rules" \
    "$tool" check rules --lint=all --lint-fatal "$rules"
check_captured "promtool test rules: the alerts and recording rules give what rules-test.yml expects" \
    eval '(cd "$top/tests/prometheus" && "$tool" test rules rules-test.yml)'

# The same tests with two expectations changed (a ranking value and an alert summary) must fail.
mkdir -p "$tmp/tests/prometheus" "$tmp/etc/prometheus"
cp "$rules" "$tmp/etc/prometheus/"
sed 's/value: 201326592/value: 201326593/; s/39\.06% of guest/40% of guest/' "$tests" >"$tmp/tests/prometheus/rules-test.yml"
if cmp -s "$tests" "$tmp/tests/prometheus/rules-test.yml"; then
    not_ok "a wrong expectation fails promtool test rules" "the edit of the copy changed nothing"
else
    out=$(cd "$tmp/tests/prometheus" && "$tool" test rules rules-test.yml 2>&1)
    rc=$?
    check_captured "a wrong expectation fails promtool test rules (both edits reported)" \
        eval '[[ $rc -ne 0 && $out == *"2.01326593E+08"* && $out == *"40% of guest"* ]] || { echo "rc $rc"; echo "$out"; false; }'
fi

if ! command -v jq >/dev/null; then
    skip "every dashboard query parses as PromQL" "no jq"
else
    {
        echo "groups:"
        echo "  - name: dashboard"
        echo "    rules:"
        jq -r '[.. | objects | .expr? // empty] | to_entries[] |
               "      - record: dashboard_query_\(.key)\n        expr: \(.value | @json)"' "$dash" |
            sed 's/\$__rate_interval/5m/g; s/\$host/.*/g; s/\$domain/.*/g'
    } >"$tmp/dashboard-rules.yml"
    nq=$(grep -c 'record: dashboard_query_' "$tmp/dashboard-rules.yml")
    check_captured "every dashboard query ($nq) parses as PromQL (promtool check rules)" \
        eval '((nq >= 8)) && "$tool" check rules "$tmp/dashboard-rules.yml" || { cat "$tmp/dashboard-rules.yml"; false; }'
    # The template variables' queries are label_values(METRIC{...}, LABEL): METRIC{...} must parse.
    jq -r '.templating.list[] | select(.type == "query") | .definition' "$dash" |
        sed -n 's/^label_values(\(.*\), *[a-z_]*)$/\1/p' | sed 's/\$host/.*/g' >"$tmp/vars"
    {
        echo "groups:"
        echo "  - name: variables"
        echo "    rules:"
        k=0
        while IFS= read -r q; do
            printf '      - record: dashboard_variable_%d\n        expr: %s\n' "$k" "$(jq -Rn --arg q "$q" '$q')"
            k=$((k + 1))
        done <"$tmp/vars"
    } >"$tmp/variable-rules.yml"
    check_captured "the host and domain variables' label_values() selectors parse as PromQL" \
        eval '[[ $(wc -l <"$tmp/vars") -eq 2 ]] && "$tool" check rules "$tmp/variable-rules.yml" || { cat "$tmp/variable-rules.yml"; false; }'
fi

plan "$n"
tap_exit
