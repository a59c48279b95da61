#!/usr/bin/env bash
# Captures the fixture trees under tests/data from REAL guests, so that the
# unit and CLI tests read what a kernel, libvirt and QEMU actually print.
#
# Usage: scripts/capture-fixtures.sh        (as root, on a hybrid-cgroup host)
#
# What it does (see tests/data/README.md for what each tree holds):
#   1. boots two harness guests: "sgcap-squeezed" (140 MiB of tmpfs data,
#      squeezed to a 120 MiB hard limit so the host swaps it, then reread in
#      the background so major faults are happening) and "sgcap odd name"
#      (a name with spaces, left alone);
#   2. copies, file by file, from the real host into tests/data/hybrid:
#      both QEMU processes' /proc files (status, stat, cgroup, cmdline, smaps,
#      smaps_rollup, every thread's task/TID/{comm,stat}), the libvirt pid
#      files, host /proc files, the domains' memory cgroups (v1) and their
#      cgroup2 groups' memory.pressure, and the hugepage pool files; writes
#      facts.env (figures measured with awk/grep/virsh over the captured
#      files), testdriver.xml (libvirt test driver) and the squeezed
#      domain's live XML; and (hybrid only) the ids of the KVM async-PF
#      tracepoints from tracefs, sys/kernel/tracing/events/kvm/NAME/id;
#   3. derives tests/data/v1 from the same capture: the hybrid tree without
#      the cgroup2 mount, as a v1-only host shows it (no "0::" line in
#      /proc/PID/cgroup, no sys/fs/cgroup/unified);
#   4. boots "sgcap-v2" and, inside that guest (a real Debian 6.1 kernel with
#      cgroup2), creates libvirt's systemd-style cgroup layout with a
#      threaded emulator/vcpu0, starts a process inside emulator and copies
#      its files out through the guest agent into tests/data/v2
#      (SG_CAPTURE_V2=0 skips this step; a failure leaves the old v2 tree).
#
# The guests are removed on exit (harness "cleanup" with this script's own
# state directory: it removes only the domains it started; it neither stops
# a libvirtd nor disables swap that it did not start itself).
#
# Environment:
#   SG_HARNESS_DIR  harness state directory (default /var/tmp/sg-capture)
#   SG_CAPTURE_OUT  where the trees go (default: tests/data of this checkout)
#   SG_CAPTURE_V2   0 to skip the cgroup v2 capture (default 1)
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
harness="$top/scripts/harness.sh"
export SG_HARNESS_DIR=${SG_HARNESS_DIR:-/var/tmp/sg-capture}
out=${SG_CAPTURE_OUT:-$top/tests/data}
readonly URI=qemu:///system
readonly SQ=sgcap-squeezed ODD='sgcap odd name' V2DOM=sgcap-v2
readonly FILL_MIB=140 HARD_MIB=120

log() { printf 'capture: %s\n' "$*" >&2; }
die() { printf 'capture: error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root"
command -v jq >/dev/null || die "jq missing (run: $harness deps)"

stage=""
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    [ -n "$stage" ] && rm -rf "$stage"
    "$harness" cleanup || log "warning: harness cleanup failed"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

virsh_() { virsh -q -c "$URI" "$@"; }

# Shell-quotes a value for facts.env: 'it'\''s'.
q() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

xml_escape() {
    printf '%s' "$1" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' \
                           -e "s/'/\&apos;/g" -e 's/"/\&quot;/g'
}

# copy SRC DST: procfs/sysfs files report size 0, so cp may copy nothing; cat reads them.
copy() {
    mkdir -p "$(dirname "$2")"
    cat "$1" > "$2"
}

# ---------------------------------------------------------------- host capture

# Copies what swapguard reads of QEMU process $2 (domain $3) into tree $1.
capture_process() {
    local tree=$1 pid=$2 name=$3 f t tid
    for f in status stat cgroup cmdline smaps smaps_rollup; do
        copy "/proc/$pid/$f" "$tree/proc/$pid/$f"
    done
    for t in "/proc/$pid/task"/*; do
        tid=${t##*/}
        # A thread may exit between the listing and the read: leave it out.
        if ! { copy "$t/comm" "$tree/proc/$pid/task/$tid/comm" &&
               copy "$t/stat" "$tree/proc/$pid/task/$tid/stat"; } 2>/dev/null; then
            rm -rf "$tree/proc/$pid/task/$tid"
        fi
    done
    copy "/run/libvirt/qemu/$name.pid" "$tree/run/libvirt/qemu/$name.pid"
}

# Prints the v1 memory cgroup path of pid $1 (from /proc/PID/cgroup, walked
# up to the first group with memory.stat), or nothing.
v1_memory_path() {
    local p
    p=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3 }' "/proc/$1/cgroup")
    while [ -n "$p" ] && [ "$p" != / ]; do
        if [ -e "/sys/fs/cgroup/memory$p/memory.stat" ]; then
            printf '%s\n' "$p"
            return 0
        fi
        p=${p%/*}
    done
}

# Copies the memory cgroup files and the cgroup2 PSI files of pid $2 into tree $1.
capture_cgroups() {
    local tree=$1 pid=$2 mem v2 d f
    mem=$(v1_memory_path "$pid")
    [ -n "$mem" ] || die "pid $pid has no v1 memory cgroup of its own"
    for f in memory.stat memory.usage_in_bytes memory.limit_in_bytes memory.memsw.limit_in_bytes; do
        copy "/sys/fs/cgroup/memory$mem/$f" "$tree/sys/fs/cgroup/memory$mem/$f"
    done
    # swap limit hits (cgroup_swap_events_max); absent without swap accounting. Added after the
    # committed trees were captured: they lack it until the next capture.
    f=memory.memsw.failcnt
    [ ! -e "/sys/fs/cgroup/memory$mem/$f" ] || copy "/sys/fs/cgroup/memory$mem/$f" "$tree/sys/fs/cgroup/memory$mem/$f"
    # cgroup2 (hybrid): the process's group (emulator) and every ancestor,
    # plus every subgroup of the domain's group (emulator, vcpuN).
    v2=$(awk -F: '$1 == "0" && $2 == "" { print $3 }' "/proc/$pid/cgroup")
    [ -n "$v2" ] || die "pid $pid has no cgroup2 line"
    d=$v2
    while :; do
        if [ -e "/sys/fs/cgroup/unified$d/memory.pressure" ]; then
            copy "/sys/fs/cgroup/unified$d/memory.pressure" "$tree/sys/fs/cgroup/unified$d/memory.pressure"
        fi
        [ -z "$d" ] || [ "$d" = / ] && break
        d=${d%/*}
    done
    for d in "/sys/fs/cgroup/unified$mem"/*/; do
        [ -e "$d/memory.pressure" ] || continue
        d=${d%/}
        copy "$d/memory.pressure" "$tree$d/memory.pressure"
    done
    printf '%s\n' "$mem"
}

capture_host() {
    local tree=$1 f h
    for f in meminfo vmstat swaps pressure/memory; do
        copy "/proc/$f" "$tree/proc/$f"
    done
    copy /sys/fs/cgroup/memory/memory.stat "$tree/sys/fs/cgroup/memory/memory.stat"
    copy /sys/fs/cgroup/unified/cgroup.controllers "$tree/sys/fs/cgroup/unified/cgroup.controllers"
    for h in /sys/devices/system/node/node*/hugepages/hugepages-*kB; do
        [ -d "$h" ] || continue
        for f in nr_hugepages free_hugepages; do
            copy "$h/$f" "$tree$h/$f"
        done
    done
}

# The KVM async-PF tracepoints hostprobe/asyncpf.c opens (with kvm_async_pf_doublefault,
# the older name of the repeated-fault event, when present).
readonly APF_TRACEPOINTS="kvm_async_pf_not_present kvm_async_pf_ready kvm_try_async_get_page kvm_async_pf_repeated_fault kvm_async_pf_doublefault"

# Copies <tracefs>/events/kvm/NAME/id of each async-PF tracepoint into tree $1 at
# sys/kernel/tracing/events/kvm/NAME/id. Mounts tracefs at /sys/kernel/tracing for
# the copy when it is not mounted there (and unmounts it again).
capture_tracing() {
    local tree=$1 t=/sys/kernel/tracing n mounted=0 found=0
    if [ ! -d "$t/events" ]; then
        mount -t tracefs nodev "$t" || die "cannot mount tracefs at $t"
        mounted=1
    fi
    for n in $APF_TRACEPOINTS; do
        [ -e "$t/events/kvm/$n/id" ] || continue
        copy "$t/events/kvm/$n/id" "$tree/sys/kernel/tracing/events/kvm/$n/id"
        found=$((found + 1))
    done
    [ "$mounted" = 0 ] || umount "$t"
    [ "$found" -gt 0 ] || log "warning: no kvm async-PF tracepoints (kvm module not loaded?)"
}

# ---------------------------------------------------------------- facts

# Guest-RAM VMA of smaps file $1 for a guest of $2 KiB: the first writable,
# non-executable mapping whose Size is $2. Prints "SWAP RSS" (KiB).
guest_ram_vma() {
    awk -v kib="$2" '
        /^[0-9a-f]+-[0-9a-f]+ / {
            if (cand && !done) { print swap, rss; done = 1 }
            perms = $2; cand = 0; size = -1; swap = 0; rss = 0; next
        }
        $1 == "Size:" { size = $2; cand = (substr(perms, 2, 1) == "w" && substr(perms, 3, 1) != "x" && size == kib) }
        $1 == "Rss:" { rss = $2 }
        $1 == "Swap:" { swap = $2 }
        END { if (cand && !done) { print swap, rss; done = 1 } if (!done) print "none none" }
    ' "$1"
}

# Per-domain facts. $1 tree, $2 prefix, $3 name, $4 uuid, $5 id, $6 pid,
# $7 max memory KiB, $8 current memory KiB, $9 memory cgroup path, $10 layout.
domain_facts() {
    local tree=$1 p=$2 name=$3 uuid=$4 id=$5 pid=$6 maxmem=$7 curmem=$8 mem=$9 layout=${10}
    local pd="$tree/proc/$pid" st ms vcpu_dir psi_dir="" ram_swap ram_rss
    st="$pd/status"
    ms="$tree/sys/fs/cgroup/memory$mem/memory.stat"
    read -r ram_swap ram_rss < <(guest_ram_vma "$pd/smaps" "$maxmem")
    vcpu_dir=$(grep -lE '^CPU [0-9]+/' "$pd"/task/*/comm | head -n 1)
    vcpu_dir=${vcpu_dir%/comm}
    echo "${p}_NAME=$(q "$name")"
    echo "${p}_UUID=$(q "$uuid")"
    echo "# the real domain id; the test driver numbers its domains 1, 2, ... in file order"
    echo "${p}_LIBVIRT_ID=$id"
    echo "${p}_PID=$pid"
    echo "${p}_MAX_MEMORY_KIB=$maxmem"
    echo "${p}_MEMORY_KIB=$curmem"
    echo "${p}_VMRSS_KIB=$(awk '$1 == "VmRSS:" { print $2 }' "$st")"
    echo "${p}_VMSWAP_KIB=$(awk '$1 == "VmSwap:" { print $2 }' "$st")"
    echo "${p}_RSSSHMEM_KIB=$(awk '$1 == "RssShmem:" { print $2 }' "$st")"
    # stat fields 10 and 12 (1-based) are the 8th and 10th after the last ") ".
    echo "${p}_MINFLT=$(awk '{ sub(/^.*\) /, ""); print $8 }' "$pd/stat")"
    echo "${p}_MAJFLT=$(awk '{ sub(/^.*\) /, ""); print $10 }' "$pd/stat")"
    echo "${p}_N_THREADS=$(find "$pd/task" -mindepth 1 -maxdepth 1 -type d | wc -l)"
    echo "${p}_VCPU_TID=${vcpu_dir##*/}"
    echo "${p}_VCPU_COMM=$(q "$(cat "$vcpu_dir/comm")")"
    echo "${p}_VCPU_MAJFLT=$(awk '{ sub(/^.*\) /, ""); print $10 }' "$vcpu_dir/stat")"
    echo "${p}_CGROUP_PATH=$(q "$mem")"
    echo "${p}_CGROUP_SWAP_BYTES=$(awk '$1 == "total_swap" { print $2 }' "$ms")"
    echo "${p}_CGROUP_PGMAJFAULT=$(awk '$1 == "total_pgmajfault" { print $2 }' "$ms")"
    echo "${p}_CGROUP_USAGE_BYTES=$(cat "$tree/sys/fs/cgroup/memory$mem/memory.usage_in_bytes")"
    echo "${p}_CGROUP_LIMIT_BYTES=$(cat "$tree/sys/fs/cgroup/memory$mem/memory.limit_in_bytes")"
    echo "${p}_CGROUP_SWAP_EVENTS_MAX=$(cat "$tree/sys/fs/cgroup/memory$mem/memory.memsw.failcnt" 2>/dev/null || echo null)"
    echo "${p}_GUEST_RAM_SWAP_KIB=$ram_swap"
    echo "${p}_GUEST_RAM_RSS_KIB=$ram_rss"
    echo "${p}_ROLLUP_SWAP_KIB=$(awk '$1 == "Swap:" { print $2 }' "$pd/smaps_rollup")"
    if [ "$layout" = hybrid ] && [ -e "$tree/sys/fs/cgroup/unified$mem/memory.pressure" ]; then
        psi_dir="fs/cgroup/unified$mem"
        echo "${p}_HAS_PSI=1"
        echo "${p}_PSI_DIR=$(q "$psi_dir")"
        echo "${p}_PSI_SOME_AVG10=$(psi_field "$tree/sys/$psi_dir/memory.pressure" some avg10)"
        echo "${p}_PSI_FULL_AVG10=$(psi_field "$tree/sys/$psi_dir/memory.pressure" full avg10)"
    else
        echo "${p}_HAS_PSI=0"
    fi
}

# psi_field FILE some|full avg10|avg60|avg300|total
psi_field() {
    awk -v line="$2" -v key="$3" '$1 == line {
        for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == key) print kv[2] } }' "$1"
}

host_facts() {
    local tree=$1
    echo "HOST_MEMTOTAL_KIB=$(awk '$1 == "MemTotal:" { print $2 }' "$tree/proc/meminfo")"
    echo "HOST_SWAPTOTAL_KIB=$(awk '$1 == "SwapTotal:" { print $2 }' "$tree/proc/meminfo")"
    echo "HOST_SWAPFREE_KIB=$(awk '$1 == "SwapFree:" { print $2 }' "$tree/proc/meminfo")"
    echo "HOST_PSWPIN=$(awk '$1 == "pswpin" { print $2 }' "$tree/proc/vmstat")"
    echo "HOST_PSWPOUT=$(awk '$1 == "pswpout" { print $2 }' "$tree/proc/vmstat")"
    echo "HOST_PGMAJFAULT=$(awk '$1 == "pgmajfault" { print $2 }' "$tree/proc/vmstat")"
    echo "HOST_N_SWAPS=$(awk 'NR > 1 && NF' "$tree/proc/swaps" | wc -l)"
    echo "HOST_PSI_SOME_AVG10=$(psi_field "$tree/proc/pressure/memory" some avg10)"
    echo "HOST_PSI_FULL_AVG10=$(psi_field "$tree/proc/pressure/memory" full avg10)"
    echo "HOST_N_HUGEPAGE_POOLS=$(find "$tree/sys/devices/system/node" -mindepth 3 -maxdepth 3 -type d -name 'hugepages-*kB' 2>/dev/null | wc -l)"
}

# testdriver.xml: both domains, running, with the real names, UUIDs and memory.
testdriver_xml() {
    local k
    echo "<!-- libvirt test driver node (test:///ABS/PATH/testdriver.xml), written by"
    echo "     scripts/capture-fixtures.sh: the domains of this capture with their real"
    echo "     names, UUIDs and memory; the test driver starts them as running and numbers"
    echo "     them 1, 2, ... in this order (their real ids are in facts.env). -->"
    echo "<node>"
    for k in "$@"; do
        echo "  <domain type='test'>"
        echo "    <name>$(xml_escape "${names[$k]}")</name>"
        echo "    <uuid>${uuids[$k]}</uuid>"
        echo "    <memory unit='KiB'>${maxmems[$k]}</memory>"
        echo "    <currentMemory unit='KiB'>${curmems[$k]}</currentMemory>"
        echo "    <vcpu>1</vcpu>"
        echo "    <os><type>hvm</type></os>"
        echo "  </domain>"
    done
    echo "</node>"
}

# ---------------------------------------------------------------- v2 (in a guest)

# Runs inside the harness guest (busybox sh; the caller prepends U=UUID).
# shellcheck disable=SC2016
readonly V2_GUEST_SCRIPT='
set -e
R=/sys/fs/cgroup
grep -q " $R cgroup2 " /proc/mounts || mount -t cgroup2 cgroup2 $R
S="machine.slice/machine-qemu\x2d7\x2dsg\x2dv2.scope"
L="$S/libvirt"
echo +memory > $R/cgroup.subtree_control
mkdir -p "$R/machine.slice"
echo +memory > "$R/machine.slice/cgroup.subtree_control"
mkdir -p "$R/$S"
echo +memory > "$R/$S/cgroup.subtree_control"
mkdir -p "$R/$L/emulator" "$R/$L/vcpu0"
mode=threaded
{ echo threaded > "$R/$L/emulator/cgroup.type" && echo threaded > "$R/$L/vcpu0/cgroup.type"; } 2>/dev/null || mode=domain
# The process: moves itself into emulator, charges 24 MiB of tmpfs to the
# domain, then waits; its argv carries "-uuid U" like QEMU'"'"'s.
sh -c '"'"'echo 0 > "$1/emulator/cgroup.procs" && dd if=/dev/urandom of=/mnt/fill/v2-charge bs=1M count=24 2>/dev/null && while :; do sleep 1; done'"'"' qemu-sg-v2 "$R/$L" -uuid "$U" </dev/null >/dev/null 2>&1 &
P=$!
i=0
while [ "$(stat -c %s /mnt/fill/v2-charge 2>/dev/null || echo 0)" -lt 25165824 ]; do
    i=$((i + 1)); [ $i -lt 300 ] || { echo "charge did not finish" >&2; exit 1; }
    sleep 0.2
done
sleep 1
T=/tmp/v2cap
rm -rf $T
mkdir -p $T
cp_() { [ -e "$1" ] || return 0; mkdir -p "$T/${2%/*}"; cat "$1" > "$T/$2"; }
for f in status stat cgroup cmdline smaps smaps_rollup; do cp_ /proc/$P/$f proc/$P/$f; done
for t in /proc/$P/task/*; do
    cp_ $t/comm proc/$P/task/${t##*/}/comm
    cp_ $t/stat proc/$P/task/${t##*/}/stat
done
for f in meminfo vmstat swaps pressure/memory; do cp_ /proc/$f proc/$f; done
cp_ $R/cgroup.controllers sys/fs/cgroup/cgroup.controllers
for d in machine.slice "$S" "$L" "$L/emulator" "$L/vcpu0"; do
    # memory.swap.events was added after the committed v2 tree was captured.
    for f in memory.stat memory.current memory.max memory.swap.current memory.swap.max memory.swap.events memory.pressure cgroup.type; do
        cp_ "$R/$d/$f" "sys/fs/cgroup/$d/$f"
    done
done
for h in /sys/devices/system/node/node*/hugepages/hugepages-*kB; do
    [ -d "$h" ] || continue
    cp_ $h/nr_hugepages "${h#/}/nr_hugepages"
    cp_ $h/free_hugepages "${h#/}/free_hugepages"
done
printf "V2_PID=%s\nV2_CGROUP_MODE=%s\nV2_KERNEL=%s\n" "$P" "$mode" "$(uname -r)" > $T/capture-meta.env
tar -C $T -cf - . | gzip -9 | base64
'

capture_v2() {
    local dir=$1 uuid b64 pid mode kernel lib mem psi_dir
    uuid=$(cat /proc/sys/kernel/random/uuid)
    log "v2: starting $V2DOM"
    "$harness" start "$V2DOM" >/dev/null
    b64=$("$harness" exec "$V2DOM" "U=$uuid; $V2_GUEST_SCRIPT") || return 1
    mkdir -p "$dir"
    base64 -d <<<"$b64" | tar -C "$dir" -xzf - || return 1
    # shellcheck disable=SC1091
    . "$dir/capture-meta.env"
    pid=$V2_PID mode=$V2_CGROUP_MODE kernel=$V2_KERNEL
    rm -f "$dir/capture-meta.env"
    [ -s "$dir/proc/$pid/status" ] || return 1
    lib='/machine.slice/machine-qemu\x2d7\x2dsg\x2dv2.scope/libvirt'
    mem=$lib
    psi_dir="fs/cgroup$lib"
    {
        echo "# Facts of tests/data/v2, measured by scripts/capture-fixtures.sh with awk over"
        echo "# the captured files. A real cgroup2 tree of the harness guest's kernel, with"
        echo "# a libvirt-shaped path created by the script; the process is busybox sh."
        echo "CAPTURE_DATE=$(q "$capture_date")"
        echo "CAPTURE_KERNEL=$(q "$kernel")"
        echo "LAYOUT=v2"
        echo "V2_CGROUP_MODE=$mode"
        echo "V2_NAME='sg-v2'"
        echo "V2_UUID=$(q "$uuid")"
        echo "V2_PID=$pid"
        echo "V2_CMDLINE_ARGV0='sh'"
        echo "V2_CMDLINE_UUID_ARG=$(q "-uuid $uuid")"
        echo "V2_PROC_CGROUP=$(q "$(awk -F: '$1 == "0" { print $3 }' "$dir/proc/$pid/cgroup")")"
        echo "V2_CGROUP_PATH=$(q "$mem")"
        echo "V2_VMRSS_KIB=$(awk '$1 == "VmRSS:" { print $2 }' "$dir/proc/$pid/status")"
        echo "V2_VMSWAP_KIB=$(awk '$1 == "VmSwap:" { print $2 }' "$dir/proc/$pid/status")"
        echo "V2_RSSSHMEM_KIB=$(awk '$1 == "RssShmem:" { print $2 }' "$dir/proc/$pid/status")"
        echo "V2_MAJFLT=$(awk '{ sub(/^.*\) /, ""); print $10 }' "$dir/proc/$pid/stat")"
        echo "V2_ROLLUP_SWAP_KIB=$(awk '$1 == "Swap:" { print $2 }' "$dir/proc/$pid/smaps_rollup")"
        echo "V2_CGROUP_CURRENT_BYTES=$(cat "$dir/sys/fs/cgroup$mem/memory.current")"
        echo "V2_CGROUP_MAX=$(cat "$dir/sys/fs/cgroup$mem/memory.max")"
        echo "V2_CGROUP_SWAP_BYTES=$(cat "$dir/sys/fs/cgroup$mem/memory.swap.current")"
        echo "V2_CGROUP_SWAP_MAX=$(cat "$dir/sys/fs/cgroup$mem/memory.swap.max")"
        echo "V2_CGROUP_SWAP_EVENTS_MAX=$(awk '$1 == "max" { print $2 }' "$dir/sys/fs/cgroup$mem/memory.swap.events" 2>/dev/null || echo null)"
        echo "V2_CGROUP_SWAP_EVENTS_FAIL=$(awk '$1 == "fail" { print $2 }' "$dir/sys/fs/cgroup$mem/memory.swap.events" 2>/dev/null || echo null)"
        echo "V2_CGROUP_PGMAJFAULT=$(awk '$1 == "pgmajfault" { print $2 }' "$dir/sys/fs/cgroup$mem/memory.stat")"
        echo "V2_CGROUP_SHMEM_BYTES=$(awk '$1 == "shmem" { print $2 }' "$dir/sys/fs/cgroup$mem/memory.stat")"
        echo "V2_HAS_PSI=1"
        echo "V2_PSI_DIR=$(q "$psi_dir")"
        echo "V2_PSI_SOME_AVG10=$(psi_field "$dir/sys/$psi_dir/memory.pressure" some avg10)"
        echo "V2_PSI_FULL_AVG10=$(psi_field "$dir/sys/$psi_dir/memory.pressure" full avg10)"
        echo "V2_PSI_SOME_TOTAL_US=$(psi_field "$dir/sys/$psi_dir/memory.pressure" some total)"
        host_facts "$dir"
    } > "$dir/facts.env"
    cat > "$dir/testdriver.xml" <<EOF
<!-- libvirt test driver node, written by scripts/capture-fixtures.sh: one domain
     whose UUID is the one the captured v2 process (busybox sh, not QEMU) carries
     as "-uuid UUID" in its argv. Memory is nominal: the process is no guest. -->
<node>
  <domain type='test'>
    <name>sg-v2</name>
    <uuid>$uuid</uuid>
    <memory unit='KiB'>262144</memory>
    <currentMemory unit='KiB'>262144</currentMemory>
    <vcpu>1</vcpu>
    <os><type>hvm</type></os>
  </domain>
</node>
EOF
    log "v2: captured pid $pid ($mode emulator group, kernel $kernel)"
}

# ---------------------------------------------------------------- main

"$harness" libvirtd-up
"$harness" swap-up
"$harness" build

log "starting guests"
"$harness" start "$SQ" >/dev/null
"$harness" start "$ODD" >/dev/null
log "filling $SQ with $FILL_MIB MiB, squeezing it to $HARD_MIB MiB"
"$harness" fill "$SQ" "$FILL_MIB" >/dev/null
"$harness" squeeze "$SQ" "$HARD_MIB"
"$harness" reread-bg "$SQ" >/dev/null
sleep 4   # let the reread fault swapped pages back in while we copy

mkdir -p "$out"
stage=$(mktemp -d "$out/.capture.XXXXXX")
hy="$stage/hybrid"
capture_date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
declare -A names uuids ids pids maxmems curmems mems
names[sq]=$SQ names[odd]=$ODD
for k in sq odd; do
    pids[$k]=$("$harness" pid "${names[$k]}")
done
# The squeezed domain first, while its reread is running.
for k in sq odd; do
    capture_process "$hy" "${pids[$k]}" "${names[$k]}"
    mems[$k]=$(capture_cgroups "$hy" "${pids[$k]}")
done
capture_host "$hy"
virsh_ dumpxml --domain "$SQ" > "$hy/domain-sgcap-squeezed.xml"
grep -q "state='connected'" "$hy/domain-sgcap-squeezed.xml" ||
    log "warning: the agent channel of $SQ is not 'connected' in its live XML"
for k in sq odd; do
    uuids[$k]=$(virsh_ domuuid --domain "${names[$k]}")
    ids[$k]=$(virsh_ domid --domain "${names[$k]}")
    maxmems[$k]=$(virsh_ dominfo --domain "${names[$k]}" | awk '/^Max memory:/ { print $3 }')
    curmems[$k]=$(virsh_ dominfo --domain "${names[$k]}" | awk '/^Used memory:/ { print $3 }')
done
libvirt_version=$(virsh -c "$URI" version | awk '/Using library/ { print $4 }')
qemu_version=$(virsh -c "$URI" version | awk '/Running hypervisor/ { print $4 }')

# v1: the same capture as a host without the cgroup2 mount shows it.
v1="$stage/v1"
cp -a "$hy" "$v1"
rm -rf "$v1/sys/fs/cgroup/unified" "$v1/domain-sgcap-squeezed.xml"
for k in sq odd; do
    sed -i '/^0::/d' "$v1/proc/${pids[$k]}/cgroup"
done
# Tracepoint ids go into hybrid only: v1 and v2 stay trees of hosts without tracefs.
capture_tracing "$hy"

for layout in hybrid v1; do
    tree="$stage/$layout"
    {
        echo "# Facts of tests/data/$layout, measured at capture time by scripts/capture-fixtures.sh"
        echo "# with awk/grep over the captured files and with virsh (names, UUIDs, ids, memory)."
        echo "# SQ_*: domain '$SQ' (squeezed into host swap, reread running); ODD_*: '$ODD'."
        echo "CAPTURE_DATE=$(q "$capture_date")"
        echo "CAPTURE_KERNEL=$(q "$(uname -r)")"
        echo "LIBVIRT_VERSION=$(q "$libvirt_version")"
        echo "QEMU_VERSION=$(q "$qemu_version")"
        echo "LAYOUT=$layout"
        domain_facts "$tree" SQ "$SQ" "${uuids[sq]}" "${ids[sq]}" "${pids[sq]}" \
            "${maxmems[sq]}" "${curmems[sq]}" "${mems[sq]}" "$layout"
        domain_facts "$tree" ODD "$ODD" "${uuids[odd]}" "${ids[odd]}" "${pids[odd]}" \
            "${maxmems[odd]}" "${curmems[odd]}" "${mems[odd]}" "$layout"
        host_facts "$tree"
    } > "$tree/facts.env"
    testdriver_xml sq odd > "$tree/testdriver.xml"
done
log "captured $SQ (pid ${pids[sq]}) and '$ODD' (pid ${pids[odd]})"

# Guests of step 1 are no longer needed: free their memory before booting the next one.
"$harness" stop "$SQ"
"$harness" stop "$ODD"

if [ "${SG_CAPTURE_V2:-1}" != 0 ]; then
    if ! capture_v2 "$stage/v2"; then
        log "warning: cgroup v2 capture failed; keeping the previous tests/data/v2 (if any)"
        rm -rf "$stage/v2"
    fi
fi

for layout in hybrid v1 v2; do
    [ -d "$stage/$layout" ] || continue
    rm -rf "${out:?}/$layout"
    mv "$stage/$layout" "$out/$layout"
done
rm -rf "$stage"
stage=""
du -sh "$out"/hybrid "$out"/v1 "$out"/v2 2>/dev/null | sed 's/^/capture: /' >&2
log "done"
