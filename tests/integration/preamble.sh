# shellcheck shell=bash
# The common preamble of the real-guest integration tests: the TAP plumbing of
# tests/lib/tap.sh, the checkout ($top) and the harness ($harness, unless the
# test set it before sourcing), and the lines every such test starts and ends
# with. A test begins:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/preamble.sh"
#   it_init test-NAME.sh /var/tmp/sg-NAME-it "$@"      # SG, SG_HARNESS_DIR, tmp
#   require_root_and_jq "NAME integration" "what it drives"
#
# and its cleanup (trap ... EXIT) ends with harness_cleanup.
top=${top:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
harness=${harness:-$top/scripts/harness.sh}

# shellcheck source=tests/lib/tap.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"

# it_init SCRIPT HARNESS_DIR ARGS...: SG is the binary under test (the first of ARGS; without
# it the script stops with its usage), SG_HARNESS_DIR the harness's state directory (exported;
# the environment's when set, else HARNESS_DIR), tmp a new temporary directory.
it_init() {
    local script=$1 dir=$2
    shift 2
    SG=${1:?usage: $script SWAPGUARD_BINARY}
    export SG_HARNESS_DIR=${SG_HARNESS_DIR:-$dir}
    tmp=$(mktemp -d)
}

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

# harness_up DESC [WHY]: runs the test's setup function, its output as comments; DESC is ok,
# or not ok and the test bails out (WHY, default "no real guest").
harness_up() {
    if ! setup 2>&1 | diag; then
        not_ok "$1" "see the harness output above"
        bail_out "${2:-no real guest}"
    fi
    ok "$1"
}

# harness_cleanup: what the harness set up goes (its output as comments), and $tmp.
harness_cleanup() {
    "$harness" cleanup 2>&1 | diag
    rm -rf "$tmp"
}

# Wall-clock timing of a command: t0=$(now); ...; t1=$(now); elapsed T0 T1 (seconds, one
# decimal); le A B: A <= B (numbers).
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }
# wait_cmd SECONDS COMMAND...: polls COMMAND every 0.1 s until it succeeds (status 1 after SECONDS).
wait_cmd() {
    local i t=$1
    shift
    for ((i = 0; i < t * 10; i++)); do
        "$@" && return 0
        sleep 0.1
    done
    return 1
}

# textfile_val FILE FAMILY LABEL: the value of the last line FAMILY{...} of the Prometheus
# textfile FILE whose labels hold LABEL (domain="NAME", verdict="..."), "" when none.
textfile_val() { awk -v f="$2" -v l="$3" 'index($0, f "{") == 1 && index($0, l) { print $NF }' "$1" 2>/dev/null | tail -1; }

# agent_conf FILE DIR [SECTION.KEY=VALUE...]: writes an agent configuration whose outputs go
# into DIR: [report] textfile DIR/swapguard.prom, history DIR/history.jsonl, no journald;
# [apply] state_dir DIR/state; [agent] lock_file DIR/agent.lock; ticks of 0.2 s over a window
# of 10, guest probes with a 3 s timeout, 2 per tick. Each SECTION.KEY=VALUE sets a key
# (added at the end of its section, a new section at the end); an empty VALUE leaves the key out.
agent_conf() {
    local file=$1 dir=$2 kv k sec
    shift 2
    local -A val=()
    local -a order=() sections=()
    for kv in sampler.interval=0.2 sampler.window=10 guestprobe.timeout=3 \
              "report.textfile=$dir/swapguard.prom" "report.history=$dir/history.jsonl" report.journal=no \
              "apply.state_dir=$dir/state" "agent.lock_file=$dir/agent.lock" agent.probes_per_tick=2 "$@"; do
        k=${kv%%=*}
        if [[ ! -v "val[$k]" ]]; then
            order+=("$k")
            [[ " ${sections[*]} " == *" ${k%%.*} "* ]] || sections+=("${k%%.*}")
        fi
        val[$k]=${kv#*=}
    done
    {
        echo "# $(basename "$0"): an agent writing into $dir"
        for sec in "${sections[@]}"; do
            echo "[$sec]"
            for k in "${order[@]}"; do
                if [[ ${k%%.*} == "$sec" && -n ${val[$k]} ]]; then echo "${k#*.} = ${val[$k]}"; fi
            done
        done
    } >"$file"
}
