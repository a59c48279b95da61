#!/usr/bin/env bash
# Captures what this machine's guests print when they stall, for the unit tests of
# guestprobe/evidence.c (tests/data/stall/): a harness guest whose ext2 filesystem sits on a
# virtio disk throttled to 1 KiB/s writes (virsh blkdeviotune), kernel.hung_task_timeout_secs
# = 5, a buffered write and `sync`; once the guest kernel reports the hung `sync`, it saves
#   io-console.log   the guest's serial console log (<serial type='file'>), as written
#   io-dmesg.txt     `dmesg -r` inside the guest ("<PRI>[SEC.USEC] MSG", facility 0)
#   io-tasks.txt     the @tasks section of the guestprobe evidence script (D tasks with stacks)
# Run as root, under `flock /tmp/sg-libvirt.lock`; it removes its guest again.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
harness="$top/scripts/harness.sh"
out="$top/tests/data/stall"
export SG_HARNESS_DIR=${SG_HARNESS_DIR:-/var/tmp/sg-capture-stall}
name=sgcap-io
trap '"$harness" cleanup >/dev/null 2>&1 || true' EXIT

"$harness" deps && "$harness" libvirtd-up && "$harness" build
SG_GUEST_SWAP_MIB=64 "$harness" start "$name" 256 >/dev/null
"$harness" exec "$name" 'swapoff /dev/vda && mke2fs -q /dev/vda && mkdir -p /mnt/d && mount /dev/vda /mnt/d &&
    sysctl -w kernel.hung_task_timeout_secs=5' >/dev/null
virsh -q blkdeviotune "$name" vda --write-bytes-sec 1024 --live
virsh -q qemu-agent-command "$name" --timeout 10 \
    '{"execute":"guest-exec","arguments":{"path":"/bin/sh","arg":["-c","dd if=/dev/zero of=/mnt/d/f bs=64k count=4; sync"]}}' >/dev/null
console=$(virsh -q dumpxml "$name" | sed -n "/<serial type='file'>/,/<\/serial>/ s/.*<source path='\([^']*\)'.*/\1/p" | head -1)
for _ in $(seq 1 40); do grep -q "blocked for more than" "$console" && break; sleep 2; done
grep -q "blocked for more than" "$console" || { echo "no hung-task report within 80 s" >&2; exit 1; }
sleep 2
mkdir -p "$out"
cp "$console" "$out/io-console.log"
"$harness" exec "$name" 'dmesg -r' > "$out/io-dmesg.txt"
# The evidence script's task section, as guestprobe runs it (guestprobe/evidence-script.sh).
"$harness" exec "$name" "$(sed -n '/^echo .@tasks.$/,/^done/p' "$top/guestprobe/evidence-script.sh")" > "$out/io-tasks.txt"
echo "captured into $out: $(wc -c < "$out/io-console.log") + $(wc -c < "$out/io-dmesg.txt") + $(wc -c < "$out/io-tasks.txt") bytes"
