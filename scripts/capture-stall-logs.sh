#!/usr/bin/env bash
# Captures what this machine's guests print when they stall, for the unit tests of
# guestprobe/evidence.c (tests/data/stall/): a harness guest whose ext2 filesystem sits on a
# throttled virtio disk (virsh blkdeviotune), kernel.hung_task_timeout_secs = 5, a buffered
# write and `sync`; once the guest kernel reports a hung task, it saves
#   PREFIX-console.log   the guest's serial console log (<serial type='file'>), as written
#   PREFIX-dmesg.txt     `dmesg -r` inside the guest ("<PRI>[SEC.USEC] MSG", facility 0)
#   PREFIX-tasks.txt     the @tasks section of the guestprobe evidence script (D tasks with stacks)
# Two throttles (the first argument):
#   slow     (default, PREFIX io)   1 KiB/s writes, 256 KiB written: `sync` waits in
#            folio_wait_writeback
#   merged   (PREFIX io64)          64 KiB/s writes with the guest's requests capped at 4 KiB
#            (max_sectors_kb), 4 MiB written, as tests/integration/test-stall.sh does: the
#            flusher waits in io_schedule, `sync` in wb_wait_for_completion
# Run as root, under `flock /tmp/sg-libvirt.lock`; it removes its guest again.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
harness="$top/scripts/harness.sh"
out="$top/tests/data/stall"
export SG_HARNESS_DIR=${SG_HARNESS_DIR:-/var/tmp/sg-capture-stall}
name=sgcap-io
case ${1:-slow} in
    slow) prefix=io bps=1024 count=4 cap="" ;;
    merged) prefix=io64 bps=65536 count=64 cap="echo 4 >/sys/block/vda/queue/max_sectors_kb &&" ;;
    *) echo "usage: $0 [slow|merged]" >&2; exit 2 ;;
esac
trap '"$harness" cleanup >/dev/null 2>&1 || true' EXIT

"$harness" deps && "$harness" libvirtd-up && "$harness" build
SG_GUEST_SWAP_MIB=64 "$harness" start "$name" 256 >/dev/null
"$harness" exec "$name" "swapoff /dev/vda && mke2fs -q /dev/vda && mkdir -p /mnt/d && mount /dev/vda /mnt/d && $cap
    sysctl -w kernel.hung_task_timeout_secs=5" >/dev/null
virsh -q blkdeviotune "$name" vda --write-bytes-sec "$bps" --live
virsh -q qemu-agent-command "$name" --timeout 10 \
    "{\"execute\":\"guest-exec\",\"arguments\":{\"path\":\"/bin/sh\",\"arg\":[\"-c\",\"dd if=/dev/zero of=/mnt/d/f bs=64k count=$count; sync\"]}}" >/dev/null
console=$(virsh -q dumpxml "$name" | sed -n "/<serial type='file'>/,/<\/serial>/ s/.*<source path='\([^']*\)'.*/\1/p" | head -1)
# The report of the hung `sync` (the flusher's may come first).
for _ in $(seq 1 40); do grep -Eq "task sync:[0-9]+ blocked for more than" "$console" && break; sleep 2; done
grep -Eq "task sync:[0-9]+ blocked for more than" "$console" || { echo "no hung-task report of sync within 80 s" >&2; exit 1; }
sleep 2
mkdir -p "$out"
cp "$console" "$out/$prefix-console.log"
"$harness" exec "$name" 'dmesg -r' > "$out/$prefix-dmesg.txt"
# The evidence script's task section, as guestprobe runs it (guestprobe/evidence-script.sh).
"$harness" exec "$name" "$(sed -n '/^echo .@tasks.$/,/^done/p' "$top/guestprobe/evidence-script.sh")" > "$out/$prefix-tasks.txt"
echo "captured into $out: $(wc -c < "$out/$prefix-console.log") + $(wc -c < "$out/$prefix-dmesg.txt") + $(wc -c < "$out/$prefix-tasks.txt") bytes"
