#!/usr/bin/env bash
# Captures real qemu-ga replies for the guestprobe unit tests: boots a harness
# guest, sends each command guestprobe uses with `virsh qemu-agent-command`,
# and saves the replies verbatim under tests/data/guest-agent/.
#
# Usage: scripts/capture-guest-replies.sh   (as root; uses its own harness
#        state dir and domain name, and removes both at the end)
#
# What the guest does before the capture (so the replies carry evidence):
# it writes a hung-task report with an async-PF call trace into /dev/kmsg,
# exactly as the integration test does. Those kernel-log lines are therefore
# written by a user (facility 1), which guestprobe reports as from_kernel=false.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
harness="$top/scripts/harness.sh"
out="$top/tests/data/guest-agent"
dom=sggp-capture
export SG_HARNESS_DIR=${SG_HARNESS_DIR:-/var/tmp/sg-gp-capture}

[ "$(id -u)" -eq 0 ] || { echo "capture-guest-replies: must run as root" >&2; exit 1; }
cleanup() { "$harness" stop "$dom" >/dev/null 2>&1 || true; "$harness" cleanup >/dev/null 2>&1 || true; }
trap cleanup EXIT

"$harness" deps
"$harness" libvirtd-up
"$harness" build
"$harness" start "$dom" 256 >/dev/null

agent() { virsh -q -c qemu:///system qemu-agent-command --domain "$dom" --timeout 10 "$1"; }
mkdir -p "$out"

# The stall the probe should find (same text as tests/integration/test-guestprobe.sh).
"$harness" exec "$dom" "$(cat "$top/tests/integration/inject-hung-task.sh")"

agent '{"execute":"guest-info"}' > "$out/guest-info.json"
agent '{"execute":"guest-get-osinfo"}' > "$out/guest-get-osinfo.json"
agent '{"execute":"guest-get-cpustats"}' > "$out/guest-get-cpustats.json"

# guest-exec of the evidence script, then guest-exec-status until it exited.
req=$(jq -cn --rawfile s "$top/guestprobe/evidence-script.sh" \
    '{execute: "guest-exec", arguments: {path: "/bin/sh", arg: ["-c", $s], "capture-output": true}}')
agent "$req" > "$out/guest-exec.json"
gpid=$(jq -er '.return.pid' "$out/guest-exec.json")
for _ in $(seq 1 100); do
    agent "$(jq -cn --argjson p "$gpid" '{execute: "guest-exec-status", arguments: {pid: $p}}')" \
        > "$out/guest-exec-status.json"
    [ "$(jq -r '.return.exited' "$out/guest-exec-status.json")" = true ] && break
    sleep 0.2
done
[ "$(jq -r '.return.exited' "$out/guest-exec-status.json")" = true ] || { echo "script did not finish" >&2; exit 1; }
jq -r '.return["out-data"]' "$out/guest-exec-status.json" | base64 -d > "$out/evidence-output.txt"

# guest-file-open/read/close of /proc/meminfo (the path used when guest-exec is blocked).
agent '{"execute":"guest-file-open","arguments":{"path":"/proc/meminfo","mode":"r"}}' > "$out/guest-file-open.json"
h=$(jq -er '.return' "$out/guest-file-open.json")
agent "$(jq -cn --argjson h "$h" '{execute: "guest-file-read", arguments: {handle: $h, count: 65536}}')" \
    > "$out/guest-file-read.json"
agent "$(jq -cn --argjson h "$h" '{execute: "guest-file-close", arguments: {handle: $h}}')" >/dev/null

# An agent with guest-exec and the file commands blocked: restart qemu-ga
# inside the guest with --block-rpcs, then capture guest-info and the error
# libvirt reports for a blocked command.
"$harness" exec "$dom" 'touch /run/qemu-ga.disabled
port=$(for d in /sys/class/virtio-ports/vport*; do [ "$(cat $d/name)" = org.qemu.guest_agent.0 ] && echo /dev/${d##*/}; done)
setsid sh -c "sleep 1; kill \$(pidof qemu-ga); sleep 1; exec /usr/sbin/qemu-ga -m virtio-serial -p $port -b guest-exec,guest-exec-status,guest-file-open,guest-file-read,guest-file-close" </dev/null >/dev/null 2>&1 &
echo restarting' || true
for _ in $(seq 1 50); do
    sleep 0.5
    agent '{"execute":"guest-info"}' > "$out/guest-info-blocked.json" 2>/dev/null || continue
    [ "$(jq -r '[.return.supported_commands[] | select(.name == "guest-exec") | .enabled][0]' \
        "$out/guest-info-blocked.json")" = false ] && break
done
agent '{"execute":"guest-exec","arguments":{"path":"/bin/true"}}' 2> "$out/guest-exec-blocked.err" >/dev/null || true

echo "capture-guest-replies: wrote $(ls "$out" | wc -l) files to $out"
