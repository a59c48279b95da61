#!/usr/bin/env bash
# shellcheck disable=SC2317  # cleanup (trap) is called indirectly
# Real stalls, not injected ones, each in its own harness guest (TCG), one after
# the other; the host is restored in the EXIT trap (sysctl, loop device, swap,
# CPU hog, guests):
#   1. CPU contention: the guest's vCPU thread pinned to host CPU 0 and kept busy
#      while a host CPU hog runs pinned to the same CPU: the vCPU's run-queue
#      wait rises (schedstat; taskstats too when delay accounting is on) and the
#      verdict is host-cpu-contention.
#   2. Guest I/O stall: the guest's virtio disk (its swap disk, turned into an
#      ext2 filesystem, requests capped at 4 KiB by the guest's max_sectors_kb)
#      throttled with `virsh blkdeviotune` to 64 KiB/s writes, and
#      kernel.hung_task_timeout_secs = 5 inside the guest; a buffered write of
#      4 MiB and `sync` (a minute of writeback) make the guest kernel itself
#      print hung-task reports (the flusher in io_schedule, `sync` in
#      wb_wait_for_completion, both storage I/O): the verdict is
#      guest-io-stall, not a swap verdict, and the host-side disk latency (block
#      stats: write time per request) is slow. QEMU's virtio-blk merges the
#      queued 4 KiB requests into one of up to 128 KiB, which the throttle lets
#      through every 2 s: the 9 s window of diagnose sees several complete.
#   3. Synchronous host-swap stall: delay accounting switched on for the test
#      (kernel.task_delayacct, restored after); a swap on a loop device at the
#      highest priority; the guest's RAM squeezed onto it; reads of the loop
#      device throttled to 128 KiB/s for the guest's blkio cgroup (v1
#      blkio.throttle.read_bps_device; v2 io.max rbps); the guest rereads its
#      data: the vCPU thread's swap-in delay is > 0 and rising and diagnose, with
#      the guest probe switched off (host-side evidence only), says
#      host-swap-stall at confidence >= 0.8; vCPU 0's own lost time is > 0 and
#      diagnose prints its swap-in share; domswap shows vCPU 0's delay rates.
#      kernel.watchdog_thresh = 1 inside the guest (soft-lockup threshold 2 s)
#      before the stall, and the swap reads slowed to 1 KiB/s for 6 s after the
#      diagnosis: the vCPU frozen in host swap-in for more than 2 s makes the
#      guest kernel print a soft lockup on its serial console when it resumes.
#   4. A domain paused on a full host disk: its virtio disk a sparse 64 MiB file
#      on a 1 MiB tmpfs; the guest writes 4 MiB to it and QEMU, on ENOSPC
#      (werror=enospc, QEMU's default), stops the guest: libvirt says "paused
#      (I/O error)", the agent (running meanwhile) logs the SUSPENDED event and
#      reports domain-paused in its textfile, and diagnose says domain-paused
#      with the reason and what to do.
# In the CPU-contention case, diagnose names the host CPU hog (its pid) among
# the threads that competed for the vCPU's host CPU.
# Emits TAP.
#
# SG_STALL_KEEP=DIR keeps the recordings (`diagnose --record`) of the CPU-contention
# and the host-swap cases as DIR/cpu-contention.jsonl and DIR/sync-swap.jsonl (the
# fixtures tests/data/scenarios/ holds; tests/data/README.md).
#
# Usage: test-stall.sh SWAPGUARD_BINARY
set -uo pipefail

SG=${1:?usage: test-stall.sh SWAPGUARD_BINARY}
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
harness="$top/scripts/harness.sh"
export SG_HARNESS_DIR=${SG_HARNESS_DIR:-/var/tmp/sg-stall-it}
cpu=sgst-cpu
io=sgst-io
sw=sgst-swap
pz=sgst-paused
tmp=$(mktemp -d)
err="$tmp/err"
hog_pid=
agent_pid=
loopdev=
loopimg="$tmp/loop-swap.img"
delayacct_saved=
throttle_file=

# shellcheck source=tests/integration/preamble.sh
source "$top/tests/integration/preamble.sh"
require_root_and_jq "stall integration" "libvirtd, QEMU, sysctl, loop devices, swapon, cgroups"

cleanup() {
    stamp "cleanup"
    [[ -n $hog_pid ]] && kill "$hog_pid" 2>/dev/null
    [[ -n $throttle_file && -n $loopdev ]] &&
        echo "$(lsblk -dno MAJ:MIN "$loopdev" | tr -d ' ') 0" > "$throttle_file" 2>/dev/null
    if [[ -n $throttle_file ]]; then
        virsh -q destroy "$sw" >/dev/null 2>&1
        stamp "swap guest destroyed"
    fi
    [[ -n $agent_pid ]] && kill -KILL "$agent_pid" 2>/dev/null
    "$harness" cleanup 2>&1 | diag
    mountpoint -q "$tmp/tiny" && umount "$tmp/tiny"
    if [[ -n $loopdev ]]; then
        swapoff "$loopdev" 2>/dev/null
        losetup -d "$loopdev" 2>/dev/null
    fi
    [[ -n $delayacct_saved ]] && sysctl -qw kernel.task_delayacct="$delayacct_saved"
    stamp "cleanup done"
    rm -rf "$tmp"
}
trap cleanup EXIT

plan 25

if ! { "$harness" deps && "$harness" libvirtd-up && "$harness" build; } 2>&1 | diag; then
    not_ok "harness brings up libvirtd and the guest image" "see the harness output above"
    bail_out "no real guests"
fi
ok "harness brings up libvirtd and the guest image"

# Starts /bin/sh -c CMD in the guest through qemu-ga guest-exec and returns at once (the
# command keeps running in the guest).
gexec_bg() {
    virsh -q qemu-agent-command "$1" --timeout 10 \
        "$(jq -cn --arg c "$2" '{execute: "guest-exec", arguments: {path: "/bin/sh", arg: ["-c", $c]}}')"
}
# The serial console log file of a domain (<serial type='file'>).
serial_log() { virsh -q dumpxml "$1" | sed -n "/<serial type='file'>/,/<\/serial>/ s/.*<source path='\([^']*\)'.*/\1/p" | head -1; }
# SG_STALL_ONLY=cpu|io|swap|pause runs one scenario (a debugging aid; the others are skipped).
want() { [[ -z ${SG_STALL_ONLY:-} || ${SG_STALL_ONLY} == "$1" ]]; }
stamp() { diag <<<"[$SECONDS s] $1"; }
ev() { jq -r --arg d "$1" --arg k "$2" '.domains[] | select(.name == $d) | .evidence[] | select(.key == $k) | .value' <<<"$js"; }
field() { jq -r --arg d "$1" ".domains[] | select(.name == \$d) | $2" <<<"$js"; }
show() { jq -c '.domains[] | {name, verdict, confidence, lost_ms_per_s, causes, evidence: [.evidence[] | {key, value}], missing}' <<<"$js" | diag; }

# ---- 1. CPU contention --------------------------------------------------------------
stamp "CPU contention"
if ! want cpu; then
    for t in verdict run-delay cause neighbour; do skip "$cpu: $t" "SG_STALL_ONLY=$SG_STALL_ONLY"; done
elif "$harness" start "$cpu" 256 >/dev/null 2>"$err"; then
    gexec_bg "$cpu" 'while :; do :; done' 2>&1 | diag
    virsh -q vcpupin "$cpu" 0 0 --live 2>&1 | diag
    taskset -c 0 sh -c 'while :; do :; done' &
    hog_pid=$!
    sleep 2
    js=$("$SG" diagnose "$cpu" --json --count 3 --interval 2 --record "$tmp/cpu.jsonl" 2>"$err")
    show
    jq -c --arg d "$cpu" '.domains[] | select(.name == $d) | .neighbours' <<<"$js" | diag
    hog=$hog_pid
    kill "$hog_pid" 2>/dev/null
    hog_pid=
    check "$cpu: a busy vCPU pinned with a host CPU hog on the same CPU is host-cpu-contention" \
        test "$(field "$cpu" .verdict)" = host-cpu-contention
    check "$cpu: the vCPU run-queue wait is at least 300 ms/s (two busy threads on one CPU: about 500)" \
        awk -v v="$(ev "$cpu" cpu_delay_ms_per_s)" 'BEGIN { exit !(v + 0 >= 300) }'
    check "$cpu: the cause table lists host-cpu" \
        grep -qx host-cpu <<<"$(field "$cpu" '.causes[].cause')"
    check "$cpu: the host CPU hog (pid $hog, comm sh) is named among the neighbours on the vCPU's CPU" \
        test "$(field "$cpu" "[.neighbours[]? | select(.pid == $hog and .comm == \"sh\" and .domain == null)] | length")" -ge 1
    [[ -n ${SG_STALL_KEEP:-} ]] && cp "$tmp/cpu.jsonl" "$SG_STALL_KEEP/cpu-contention.jsonl"
    "$harness" stop "$cpu" 2>&1 | diag
else
    diag <"$err"
    for t in verdict run-delay cause neighbour; do not_ok "$cpu: $t" "the guest did not start"; done
fi

# ---- 2. Guest I/O stall ---------------------------------------------------------------
stamp "guest I/O stall"
if ! want io; then
    for t in disk report verdict evidence latency; do skip "$io: $t" "SG_STALL_ONLY=$SG_STALL_ONLY"; done
elif SG_GUEST_SWAP_MIB=64 "$harness" start "$io" 256 >/dev/null 2>"$err" &&
   "$harness" exec "$io" 'swapoff /dev/vda && mke2fs -q /dev/vda && mkdir -p /mnt/d && mount /dev/vda /mnt/d &&
        echo 4 >/sys/block/vda/queue/max_sectors_kb &&
        sysctl -w kernel.hung_task_timeout_secs=5 && sysctl -w kernel.hung_task_warnings=100' 2>&1 | diag; then
    ok "$io: an ext2 filesystem on its virtio disk (4 KiB requests), hung_task_timeout_secs = 5"
    virsh -q blkdeviotune "$io" vda --write-bytes-sec 65536 --live 2>&1 | diag
    gexec_bg "$io" 'dd if=/dev/zero of=/mnt/d/f bs=64k count=64; sync' 2>&1 | diag
    console=$(serial_log "$io")
    # The guest kernel reports after 5 to 10 s of the sync being blocked: wait for it (bounded).
    found=
    for _ in $(seq 1 30); do
        if grep -q "blocked for more than" "$console" 2>/dev/null; then
            found=1
            break
        fi
        sleep 2
    done
    check "$io: the guest kernel printed a hung-task report on its console within 60 s" test -n "$found"
    js=$("$SG" diagnose "$io" --json --count 4 --interval 3 2>"$err")
    show
    check "$io: a guest hung on its own disk is guest-io-stall" test "$(field "$io" .verdict)" = guest-io-stall
    check "$io: the evidence counts the hung-task report on storage I/O" \
        awk -v v="$(ev "$io" guest_hung_io)" 'BEGIN { exit !(v + 0 >= 1) }'
    check "$io: the host-side disk latency is shown and slow (>= 100 ms per request: $(ev "$io" disk_ms_per_req))" \
        awk -v v="$(ev "$io" disk_ms_per_req)" 'BEGIN { exit !(v != "" && v + 0 >= 100) }'
    "$harness" stop "$io" 2>&1 | diag
else
    diag <"$err"
    not_ok "$io: an ext2 filesystem on its virtio disk" "guest or disk setup failed"
    for t in report verdict evidence latency; do not_ok "$io: $t" "no guest"; done
fi

# ---- 3. Synchronous host-swap stall -------------------------------------------------------
stamp "synchronous host-swap stall"
setup_swap() {
    delayacct_saved=$(sysctl -n kernel.task_delayacct 2>/dev/null) || return 1
    sysctl -qw kernel.task_delayacct=1 || return 1
    truncate -s 256M "$loopimg" && loopdev=$(losetup -f --show "$loopimg") && mkswap "$loopdev" >/dev/null &&
        swapon -p 32767 "$loopdev"
}
if ! want swap; then
    for t in delayacct rising verdict confidence vcpu0 vcpu0-share domswap console agent-silent; do skip "$sw: $t" "SG_STALL_ONLY=$SG_STALL_ONLY"; done
elif [[ ! -w /proc/sys/kernel/task_delayacct ]]; then
    for t in delayacct rising verdict confidence vcpu0 vcpu0-share domswap console agent-silent; do skip "$sw: $t" "no kernel.task_delayacct sysctl (kernel < 5.14)"; done
elif ! setup_swap >"$tmp/setup.log" 2>&1 || [[ -z $loopdev ]]; then
    diag <"$tmp/setup.log"
    for t in delayacct rising verdict confidence vcpu0 vcpu0-share domswap console agent-silent; do not_ok "$sw: $t" "delay accounting or the loop swap could not be set up"; done
else
    diag <"$tmp/setup.log"
    ok "$sw: delay accounting on for the test, a 256 MiB swap on $loopdev at priority 32767"
    # A soft-lockup threshold of 2 s (watchdog_thresh x 2) inside the guest, set before the
    # stall: its vCPU frozen in host swap-in longer than that is a soft lockup on resume.
    if "$harness" start "$sw" 256 >/dev/null 2>"$err" &&
       "$harness" exec "$sw" 'sysctl -w kernel.watchdog_thresh=1' 2>&1 | diag &&
       "$harness" fill "$sw" 140 2>&1 | diag && "$harness" squeeze "$sw" 120 2>&1 | diag; then
        pid=$("$harness" pid "$sw")
        majmin=$(lsblk -dno MAJ:MIN "$loopdev" | tr -d ' ')
        # What the console holds before the stall: only what the guest prints after counts.
        console=$(serial_log "$sw")
        console_at=$(stat -c %s "$console" 2>/dev/null || echo 0)
        # The reread starts before the throttle: once reads crawl, qemu-ga cannot start it.
        "$harness" reread-bg "$sw" 2>&1 | diag
        if [[ -d /sys/fs/cgroup/blkio ]]; then
            throttle_file="/sys/fs/cgroup/blkio$(awk -F: '$2 ~ /(^|,)blkio(,|$)/ { print $3 }' "/proc/$pid/cgroup")/blkio.throttle.read_bps_device"
            read_bps() { echo "$majmin $1" > "$throttle_file"; }
        else
            throttle_file="/sys/fs/cgroup$(awk -F: '$1 == 0 { print $3 }' "/proc/$pid/cgroup")/io.max"
            read_bps() { echo "$majmin rbps=$1" > "$throttle_file"; }
        fi
        read_bps 131072
        diag <<<"throttled reads of $majmin to 128 KiB/s in $throttle_file"
        stamp "rereading"
        sleep 3
        printf '[guestprobe]\nenabled = no\n' > "$tmp/noprobe.conf"
        js=$("$SG" diagnose "$sw" --json --count 4 --interval 3 --config "$tmp/noprobe.conf" \
             --record "$tmp/rec.jsonl" 2>"$err")
        show
        first=$(jq -r 'select(.type == "domain") | .facts.swapin_delay_ns' "$tmp/rec.jsonl" | head -1)
        last=$(jq -r 'select(.type == "domain") | .facts.swapin_delay_ns' "$tmp/rec.jsonl" | tail -1)
        diag <<<"vCPU swap-in delay: $first ns at the first tick, $last ns at the last"
        check "$sw: the vCPU threads' swap-in delay is > 0 and rising over the ticks" \
            awk -v a="$first" -v b="$last" 'BEGIN { exit !(b + 0 > a + 0 && b + 0 > 0) }'
        check "$sw: host-swap-stall from host-side evidence alone (guest probe off)" \
            test "$(field "$sw" .verdict)" = host-swap-stall
        check "$sw: confidence >= 0.8" awk -v v="$(field "$sw" .confidence)" 'BEGIN { exit !(v >= 0.8) }'
        # vCPU 0's own lost time (its thread's taskstats), and its swap-in share in the text.
        v0=$(field "$sw" '.vcpus[] | select(.vcpu == 0) | .lost_ms_per_s')
        v0swap=$(field "$sw" '.vcpus[] | select(.vcpu == 0) | .causes[] | select(.cause == "host-swap") | .share')
        diag <<<"vCPU 0: lost $v0 ms/s, host-swap share $v0swap"
        check "$sw: vCPU 0's own lost time is > 0 ms/s, with a host-swap share" \
            awk -v v="$v0" -v s="$v0swap" 'BEGIN { exit !(v + 0 > 0 && s + 0 > 0) }'
        txt=$("$SG" diagnose "$sw" --count 2 --interval 2 --config "$tmp/noprobe.conf" 2>"$err")
        grep -E "per vCPU|of vCPU" -A2 <<<"$txt" | diag
        check "$sw: diagnose prints vCPU 0's swap-in share (\"N % of vCPU 0's lost time is swap-in\")" \
            grep -qE "^ +[0-9]+ % of vCPU 0's lost time is swap-in" <<<"$txt"
        dsw=$("$SG" domswap "$sw" --json --no-smaps 2>"$err")
        jq -c '.vcpus[0] | {vcpu, tid, swapin_delay_ms_per_s, blkio_delay_ms_per_s, cpu_delay_ms_per_s, run_delay_ms_per_s, swapin_look_share}' <<<"$dsw" | diag
        check "$sw: domswap's vcpus[0] shows its swap-in wait (swapin + blkio delay) > 0 ms/s" \
            test "$(jq '.vcpus[] | select(.vcpu == 0) | ((.swapin_delay_ms_per_s // 0) + (.blkio_delay_ms_per_s // 0)) > 0' <<<"$dsw")" = true
        [[ -n ${SG_STALL_KEEP:-} ]] && cp "$tmp/rec.jsonl" "$SG_STALL_KEEP/sync-swap.jsonl"
        # The guest kernel notices the lost time (hrtimer, clocksource watchdog, soft lockup,
        # RCU stall) on its serial console, which needs no guest agent: wait for it, bounded.
        stamp "diagnosed"
        # At 128 KiB/s the vCPU runs in short bursts between swap-ins, which the guest's
        # watchdogs may not see as one lockup. The device stalls harder for 6 s: reads at
        # 1 KiB/s freeze the vCPU on its next swap-in for at least 4 s (one 4 KiB page), twice
        # the guest's soft-lockup threshold; back at 128 KiB/s it resumes and reports.
        read_bps 1024
        sleep 1
        if virsh -q qemu-agent-command "$sw" --timeout 3 '{"execute":"guest-ping"}' >/dev/null 2>&1; then
            ga_silent=
            diag <<<"qemu-ga answered a ping during the stall"
        else
            ga_silent=1
            diag <<<"qemu-ga did not answer a ping within 3 s during the stall"
        fi
        sleep 2
        read_bps 131072
        stamp "6 s at 1 KiB/s, back to 128 KiB/s"
        pat='hrtimer: interrupt took|clocksource: timekeeping watchdog|soft lockup|detected stall'
        since_stall() { tail -c +$((console_at + 1)) "$console" 2>/dev/null; }
        for _ in $(seq 1 15); do grep -qE "$pat" <(since_stall) && break; sleep 2; done
        if grep -qE "$pat" <(since_stall); then
            grep -E "$pat" <(since_stall) | head -3 | diag
            stamp "console message seen"
            js=$("$SG" diagnose "$sw" --json --count 2 --interval 2 --config "$tmp/noprobe.conf" 2>"$err")
            stamp "diagnosed again"
            show
            check "$sw: the console's stall messages are evidence, with the console named as their source" \
                grep -q "on the serial console" <<<"$(field "$sw" '.evidence[] | select(.key == "guest_stall_msgs") | .text')"
        else
            not_ok "$sw: the console's stall messages are evidence" \
                "the guest printed no hrtimer/clocksource/soft-lockup/RCU message after the throttle within 30 s"
        fi
        check "$sw: qemu-ga was silent during the stall (the console needed no guest agent)" test -n "$ga_silent"
    else
        diag <"$err"
        for t in rising verdict confidence vcpu0 vcpu0-share domswap console agent-silent; do not_ok "$sw: $t" "the guest could not be squeezed"; done
    fi
fi

# ---- 4. A domain paused on a full host disk -------------------------------------------------
stamp "domain paused on a full host disk"
pzprom="$tmp/paused/swapguard.prom"
if ! want pause; then
    for t in disk ioerror diagnose evidence agent-log agent-verdict; do skip "$pz: $t" "SG_STALL_ONLY=$SG_STALL_ONLY"; done
elif mkdir -p "$tmp/tiny" && mount -t tmpfs -o size=1m sgst-tiny "$tmp/tiny" &&
    SG_GUEST_SWAP_MIB=64 SG_GUEST_DISK_DIR="$tmp/tiny" "$harness" start "$pz" 256 >/dev/null 2>"$err" &&
    "$harness" exec "$pz" 'swapoff /dev/vda' 2>&1 | diag; then
    ok "$pz: its virtio disk a sparse 64 MiB file on a 1 MiB tmpfs"
    mkdir -p "$tmp/paused"
    agent_conf "$tmp/paused.conf" "$tmp/paused" sampler.interval=0.5 guestprobe.enabled=no \
        report.textfile_interval=0 report.domain_log=no agent.probes_per_tick=0
    "$SG" agent --config "$tmp/paused.conf" --match "$pz" >"$tmp/paused.log" 2>&1 &
    agent_pid=$!
    wait_cmd 30 eval '[[ -n $(textfile_val "$pzprom" swapguard_domain_verdict "domain=\"$pz\"") ]]' ||
        diag <"$tmp/paused.log"
    gexec_bg "$pz" 'dd if=/dev/zero of=/dev/vda bs=64k count=64 oflag=direct' 2>&1 | diag
    state() { virsh -q domstate --reason "$pz" 2>/dev/null; }
    wait_cmd 60 eval '[[ $(state) == "paused (I/O error)" ]]'
    check "$pz: QEMU stopped it on ENOSPC: libvirt says '$(state)'" test "$(state)" = "paused (I/O error)"
    js=$("$SG" diagnose "$pz" --json --count 2 --interval 1 2>"$err")
    show
    check "$pz: diagnose says domain-paused ($(field "$pz" .verdict))" test "$(field "$pz" .verdict)" = domain-paused
    pztext=$(jq -r --arg d "$pz" '.domains[] | select(.name == $d) | .evidence[] | select(.key == "domain_paused") | .text' <<<"$js")
    check "$pz: its evidence names the reason and the disk error ($pztext)" \
        eval '[[ $pztext == "paused by libvirt (I/O error): QEMU stopped it on a disk error"*"virsh domblkerror"* ]]'
    paused_val() { textfile_val "$pzprom" swapguard_domain_verdict 'verdict="domain-paused"'; }
    wait_cmd 10 eval '[[ $(paused_val) == 1 ]]'
    check "$pz: the agent logged the SUSPENDED event with its reason" grep -q "domain '$pz' paused (I/O error)" "$tmp/paused.log"
    check "$pz: the agent's textfile says domain-paused" test "$(paused_val)" = 1
    kill -TERM "$agent_pid" 2>/dev/null
    wait "$agent_pid" 2>/dev/null
    agent_pid=
    diag <"$tmp/paused.log"
    virsh -q destroy "$pz" 2>&1 | diag
else
    diag <"$err"
    not_ok "$pz: its virtio disk a sparse 64 MiB file on a 1 MiB tmpfs" "mount or guest failed"
    for t in ioerror diagnose evidence agent-log agent-verdict; do not_ok "$pz: $t" "no guest"; done
fi
