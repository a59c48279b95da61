#!/usr/bin/env bash
# README command 1, the demo: on a fresh Debian 12 machine, as root, install
# what is needed, build swapguard, start libvirtd if none runs, boot two small
# real guests, push one guest's RAM into host swap, and show what swapguard
# sees: figures, verdicts and recommendations, then reports, applies two
# remedies and rolls one back. Everything the demo created (guests, the
# swapfile it made, the libvirtd it started, its state) is removed at the end.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
# shellcheck source=scripts/lib.sh
source "$top/scripts/lib.sh"
harness="$top/scripts/harness.sh"
export SG_HARNESS_DIR=${SG_HARNESS_DIR:-/var/tmp/swapguard-demo}
guest="sg-demo"
other="sg demo idle"

if [[ $(id -u) -ne 0 ]]; then
    echo "demo.sh: run as root (it starts libvirtd and guests, and may enable a swapfile)" >&2
    exit 1
fi

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "Installing packages and building swapguard"
sg_install_build_deps
"$harness" deps
sg_build build-demo >/dev/null
sg="$top/build-demo/agent/swapguard"

trap '"$harness" cleanup' EXIT

step "Starting libvirtd (if none runs), host swap (if none), and two 256 MiB guests"
"$harness" libvirtd-up
"$harness" swap-up 1024
"$harness" build
"$harness" start "$guest" 256 >/dev/null
"$harness" start "$other" 256 >/dev/null

step "Filling 140 MiB of $guest's RAM, then 'virsh memtune --hard-limit 120 MiB': the host swaps it out"
"$harness" fill "$guest" 140 2>/dev/null
"$harness" squeeze "$guest" 120

step "swapguard list   (the guest rereads its data meanwhile, so its swapped pages fault back in)"
"$harness" reread-bg "$guest" >/dev/null
"$sg" list --all

step "swapguard domswap $guest   (during another reread)"
"$harness" reread-bg "$guest" >/dev/null
"$sg" domswap "$guest"

step "swapguard hoststats"
"$sg" hoststats

step "swapguard diagnose   (verdict per domain: the squeezed guest is at risk, the other ok)"
"$sg" diagnose --count 3 --interval 1

step "A hung-task report with an async-PF trace in $guest's kernel log, then swapguard diagnose $guest"
"$harness" exec "$guest" "$(cat "$top/tests/integration/inject-hung-task.sh")"
"$sg" diagnose "$guest"

step "swapguard recommend   (what to do, safest first; changes nothing)"
"$sg" recommend

# The demo's own state: its journal, textfile and history stay out of /var/lib.
demo_state=$(mktemp -d)
trap '"$harness" cleanup; rm -rf "$demo_state"' EXIT
cat >"$demo_state/swapguard.conf" <<EOF
[apply]
state_dir = $demo_state/state
[report]
textfile = $demo_state/swapguard.prom
history = $demo_state/history.jsonl
[agent]
lock_file = $demo_state/agent.lock
[sampler]
interval = 1
EOF
cfg=(--config "$demo_state/swapguard.conf")

step "swapguard report $guest   (libvirt metadata + metadata-change event, domain log, syslog, Prometheus, history)"
"$sg" report "$guest" "${cfg[@]}" || true
virsh -q -c qemu:///system metadata "$guest" https://swapguard.dev/xmlns/report/1
grep "^swapguard_domain_vm_swap_bytes" "$demo_state/swapguard.prom"

step "swapguard apply swap-limit $guest   (dry run, then --yes)"
"$sg" apply swap-limit "$guest" "${cfg[@]}"
"$sg" apply swap-limit "$guest" "${cfg[@]}" --yes

step "swapguard apply prefetch $guest --yes   (reads its swapped RAM back)"
"$sg" apply prefetch "$guest" "${cfg[@]}" --yes

step "swapguard history, then swapguard rollback --yes   (the memory limits come back)"
"$sg" history "${cfg[@]}"
"$sg" rollback "${cfg[@]}" --yes

step "swapguard agent --ticks 5   (the long-running agent for five 1 s ticks: lifecycle events, verdict changes reported)"
"$sg" agent "${cfg[@]}" --ticks 5

# SG_DEMO_KEEP=DIR keeps the history and the action journal (tests/data/history/ was made so).
if [[ -n ${SG_DEMO_KEEP:-} ]]; then
    mkdir -p "$SG_DEMO_KEEP"
    cp "$demo_state/history.jsonl" "$demo_state/state/journal.json" "$SG_DEMO_KEEP/"
fi

step "swapguard plot --all   (the history and the remedies as a picture)"
picture="${SG_DEMO_KEEP:-$top/build-demo}/timeline.png"
"$sg" plot --all "${cfg[@]}" --output "$picture"
echo "written: $picture"

step "Cleaning up"
