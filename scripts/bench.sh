#!/usr/bin/env bash
# swapguard at scale: what the agent and `list` cost per guest, on this machine.
#
# Usage (as root, from the checkout): scripts/bench.sh [N ...]   (default: 10 100 1000 5000)
#
# For each N it builds an N-guest host: N fake QEMU processes (tests/bench/fake-qemu.c, started
# with a QEMU command line carrying -name guest=NAME and -uuid UUID), each moved into its own
# real memory cgroup named like libvirt's (machine/qemu-ID-NAME.libvirt-qemu under the cgroup v1
# memory controller, and the same path in cgroup v2 when the host has it: PSI), a pid file per
# guest under a private run dir (libvirt's layout), and a libvirt test-driver XML listing the N
# domains with the same UUIDs (`-c test:///FILE`). Then, with a release build and guest probes
# off, it measures:
#   - agent CPU per guest per tick: `swapguard agent --ticks K` at two tick counts, the
#     difference of their user+system CPU over the extra ticks (start-up cancels out);
#   - system calls per guest per tick: the same difference under `strace -c -f`;
#   - private memory of the running agent once its sampler rings are full (60 ticks, the default
#     [sampler] ring_length): /proc/PID/smaps_rollup Private_Clean+Private_Dirty, and its
#     Anonymous memory (the heap and mappings it allocated: Private_Clean also counts the pages of
#     shared libraries no other process maps, which come and go with libvirtd on this host);
#   - `list --interval 0`: its user+system CPU, and beside it the floor under it: the same files
#     per domain (pid file, /proc/PID/{cmdline,cgroup,status}, memory.stat, memory.pressure)
#     opened, read once and closed in a plain C loop (tests/bench/list-floor.c), its own CPU.
# The test driver runs inside the measured process (it parses the N-domain XML and keeps the
# domains in memory, which libvirtd does on a real host), so its share is printed too:
# `virsh -c test:///FILE uri` CPU (start-up and parse) and the private and anonymous memory of
# a virsh holding that connection open. The growth per guest is taken on anonymous memory, the
# test driver's growth taken off.
# Then, under the lock every libvirtd user takes (flock /tmp/sg-libvirt.lock), it starts two
# real harness guests (scripts/harness.sh) and compares, as CPU ratios over 20 runs each,
# `swapguard list --interval 0` (client + libvirtd CPU) with `virsh domstats --balloon --state`
# and `smem -P qemu-system`. Skipped with a message when not root or without the harness.
# Everything it creates (processes, cgroups, files, the guests) is removed on exit.
# The targets are printed beside the figures; nothing here fails on a missed target.
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$here/scripts/lib.sh"

NS=("$@")
((${#NS[@]})) || NS=(10 100 1000 5000)
work=$(mktemp -d /tmp/sg-bench.XXXXXX)
build=${SG_BENCH_BUILD:-/tmp/sg-bench-build}
cg1=/sys/fs/cgroup/memory
cg2=
[[ -e /sys/fs/cgroup/unified/cgroup.controllers ]] && cg2=/sys/fs/cgroup/unified
[[ -e /sys/fs/cgroup/cgroup.controllers ]] && { cg1=; cg2=/sys/fs/cgroup; }
base_id=700000 # domain ids of the fake guests, far above libvirt's
pids=()
cgdirs=()

say() { printf '%s\n' "$*" >&2; }

teardown_host() {
    local p d
    ((${#pids[@]})) && kill "${pids[@]}" 2>/dev/null
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    pids=()
    for d in "${cgdirs[@]}"; do rmdir "$d" 2>/dev/null; done
    cgdirs=()
}

cleanup() {
    teardown_host
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ $(id -u) -ne 0 ]]; then
    say "bench.sh: run as root (it makes cgroups and moves processes into them)"
    exit 1
fi
sg_install_build_deps || exit 1
missing=()
for p in "${SG_BENCH_DEPS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        --no-install-recommends "${missing[@]}" >/dev/null || say "bench.sh: could not install ${missing[*]}"
fi

say "building a release build in $build"
rm -rf "$build"
meson setup "$build" -Dbuildtype=release >/dev/null && ninja -C "$build" >/dev/null || exit 1
sg=$build/agent/swapguard
[[ -x $sg ]] || sg=$(find "$build" -name swapguard -type f -perm -u+x | head -1)
cc -O2 -o "$work/fake-qemu" "$here/tests/bench/fake-qemu.c" || exit 1
cc -O2 -o "$work/list-floor" "$here/tests/bench/list-floor.c" || exit 1
ulimit -n "$(ulimit -Hn)"

# Precise CPU of one command with getrusage of the child (bash's `time`).
cpu_time() { # cpu_time CMD... -> seconds
    local TIMEFORMAT='%3U %3S' out
    out=$({ time "$@" >/dev/null 2>>"$work/cpu_time.err"; } 2>&1 | tail -1)
    awk '{ printf "%.4f", $1 + $2 }' <<<"$out"
}

make_host() { # make_host N
    local n=$1
    local i id name uuid d xml=$work/test-$n.xml run=$work/root/run/libvirt/qemu
    mkdir -p "$run" "$work/root"
    ln -sfn /proc "$work/root/proc"
    {
        echo "<node>"
        for ((i = 1; i <= n; i++)); do
            uuid=$(printf '5eb0%04x-0000-4000-8000-%012x' $((i >> 16)) "$i")
            printf "<domain type='test'><name>sgbench%d</name><uuid>%s</uuid><memory unit='KiB'>262144</memory><currentMemory unit='KiB'>262144</currentMemory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>\n" "$i" "$uuid"
        done
        echo "</node>"
    } >"$xml"
    : >"$work/floor-$n.txt"
    for ((i = 1; i <= n; i++)); do
        id=$((base_id + i))
        name=sgbench$i
        uuid=$(printf '5eb0%04x-0000-4000-8000-%012x' $((i >> 16)) "$i")
        d=machine/qemu-$id-$name.libvirt-qemu
        [[ -n $cg1 ]] && { mkdir -p "$cg1/$d"; cgdirs+=("$cg1/$d"); }
        [[ -n $cg2 ]] && { mkdir -p "$cg2/$d"; cgdirs+=("$cg2/$d"); }
        (
            [[ -n $cg1 ]] && echo "$BASHPID" >"$cg1/$d/cgroup.procs"
            [[ -n $cg2 ]] && echo "$BASHPID" >"$cg2/$d/cgroup.procs"
            exec -a qemu-system-x86_64 "$work/fake-qemu" -name "guest=$name,debug-threads=on" -S \
                -machine pc,usb=off -accel tcg -m 256 -smp 1 -uuid "$uuid" -no-user-config \
                -nodefaults -display none
        ) &
        pids+=("$!")
        echo "$!" >"$run/$name.pid"
        # list's files of this domain, for the floor (tests/bench/list-floor.c)
        echo "$run/$name.pid $! ${cg1:-$cg2}/$d ${cg2:+$cg2/$d}${cg2:--}" >>"$work/floor-$n.txt"
    done
    sleep 1
}

conf_for() { # conf_for DIR -> a config with probes off, reports into DIR
    cat >"$1/bench.conf" <<EOF
[sampler]
interval = 0.1
[guestprobe]
enabled = no
[report]
metadata = no
domain_log = no
journal = no
textfile = $1/swapguard.prom
history = $1/history.jsonl
[agent]
lock_file = $1/agent.lock
probes_per_tick = 0
EOF
    echo "$1/bench.conf"
}

printf '%s\n' "machine: $(nproc) CPUs, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), kernel $(uname -r)"
printf '%s\n' "swapguard $(git -C "$here" describe --always --dirty 2>/dev/null), release build, guest probes off, tick interval 0.1 s"
printf '\n%-7s %-21s %-19s %-26s %-26s %-24s %s\n' "guests" "agent CPU/guest/tick" "syscalls/guest/tick" "agent private (test drv)" "agent anon (test drv)" "list CPU (drv; floor)" "host setup"
declare -A cpu_us sys_pg priv_kib anon_kib list_ms drv_kib drv_anon drv_ms floor_ms
for n in "${NS[@]}"; do
    t0=$(date +%s.%N)
    make_host "$n"
    setup_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')
    uri=test://$work/test-$n.xml
    conf=$(conf_for "$work")
    common=(-c "$uri" --proc-root "$work/root" --sys-root /)
    k1=5
    k2=$((5 + (n >= 1000 ? 20 : n >= 100 ? 40 : 100)))
    c1=$(cpu_time "$sg" "${common[@]}" agent --config "$conf" --ticks "$k1")
    c2=$(cpu_time "$sg" "${common[@]}" agent --config "$conf" --ticks "$k2")
    cpu_us[$n]=$(awk -v a="$c1" -v b="$c2" -v n="$n" -v k=$((k2 - k1)) 'BEGIN { printf "%.1f", (b - a) * 1e6 / n / k }')
    s1=$(strace -c -f -o "$work/st1" "$sg" "${common[@]}" agent --config "$conf" --ticks "$k1" >/dev/null 2>&1; awk '/total$/ { print $(NF-2) }' "$work/st1")
    s2=$(strace -c -f -o "$work/st2" "$sg" "${common[@]}" agent --config "$conf" --ticks "$k2" >/dev/null 2>&1; awk '/total$/ { print $(NF-2) }' "$work/st2")
    sys_pg[$n]=$(awk -v a="${s1:-0}" -v b="${s2:-0}" -v n="$n" -v k=$((k2 - k1)) 'BEGIN { printf "%.2f", (b - a) / n / k }')
    "$sg" "${common[@]}" agent --config "$conf" --ticks 1000000 2>"$work/agent.log" &
    ap=$!
    for ((w = 0; w < 600; w++)); do
        grep -q "domain(s) watched" "$work/agent.log" 2>/dev/null && break
        sleep 0.1
    done
    # until the rings are full: 60 ticks of 0.1 s plus the tick's own time, with a margin
    sleep "$(awk -v c="${cpu_us[$n]}" -v n="$n" 'BEGIN { c = c > 0 ? c : 50; printf "%.0f", 3 + 1.5 * 60 * (0.1 + n * c / 1e6) }')"
    priv_kib[$n]=$(awk '/^Private_(Clean|Dirty):/ { s += $2 } END { print s + 0 }' "/proc/$ap/smaps_rollup" 2>/dev/null)
    anon_kib[$n]=$(awk '/^Anonymous:/ { print $2 }' "/proc/$ap/smaps_rollup" 2>/dev/null)
    kill "$ap" 2>/dev/null
    wait "$ap" 2>/dev/null
    lc=$(cpu_time "$sg" "${common[@]}" list --interval 0)
    list_ms[$n]=$(awk -v a="$lc" 'BEGIN { printf "%.1f", a * 1000 }')
    floor_ms[$n]=$("$work/list-floor" "$work/floor-$n.txt" | awk '{ print $1 }')
    dc=$(cpu_time virsh -c "$uri" uri)
    drv_ms[$n]=$(awk -v a="$dc" 'BEGIN { printf "%.1f", a * 1000 }')
    (sleep 4) | virsh -c "$uri" >/dev/null 2>&1 &
    vw=$!
    sleep 3
    vp=$(pgrep -n -x virsh)
    drv_kib[$n]=$(awk '/^Private_(Clean|Dirty):/ { s += $2 } END { print s + 0 }' "/proc/$vp/smaps_rollup" 2>/dev/null)
    drv_anon[$n]=$(awk '/^Anonymous:/ { print $2 }' "/proc/$vp/smaps_rollup" 2>/dev/null)
    wait "$vw"
    printf '%-7s %-21s %-19s %-26s %-26s %-24s %s\n' "$n" "${cpu_us[$n]} µs" "${sys_pg[$n]}" \
        "$(awk -v k="${priv_kib[$n]}" -v d="${drv_kib[$n]:-0}" 'BEGIN { printf "%.1f MiB (%.1f MiB)", k / 1024, d / 1024 }')" \
        "$(awk -v k="${anon_kib[$n]:-0}" -v d="${drv_anon[$n]:-0}" 'BEGIN { printf "%.1f MiB (%.1f MiB)", k / 1024, d / 1024 }')" \
        "${list_ms[$n]} ms (${drv_ms[$n]}; ${floor_ms[$n]:-?})" "${setup_s} s"
    teardown_host
    rm -f "$work"/root/run/libvirt/qemu/*.pid "$work/swapguard.prom"
done

echo
echo "targets (this machine, release build, guest probes off):"
t() { printf '  %-58s %s\n' "$1" "$2"; }
[[ -n ${cpu_us[1000]:-} ]] && t "agent <= 30 µs CPU per guest per tick at 1,000 guests" "${cpu_us[1000]} µs: $(awk -v x="${cpu_us[1000]}" 'BEGIN { print x <= 30 ? "met" : "MISSED" }')"
[[ -n ${cpu_us[5000]:-} && -n ${cpu_us[1000]:-} ]] && t "agent at 5,000 within 15 % of 1,000" "${cpu_us[5000]} µs: $(awk -v a="${cpu_us[1000]}" -v b="${cpu_us[5000]}" 'BEGIN { printf "%+.0f %%, %s", (b / a - 1) * 100, b <= a * 1.15 ? "met" : "MISSED" }')"
[[ -n ${priv_kib[1000]:-} ]] && t "agent private memory <= 8 MiB at 1,000 guests" "$(awk -v k="${priv_kib[1000]}" -v d="${drv_kib[1000]:-0}" 'BEGIN { printf "%.1f MiB, %.1f MiB less the test driver'"'"'s: %s", k / 1024, (k - d) / 1024, k - d <= 8192 ? "met" : "MISSED" }')"
[[ -n ${anon_kib[1000]:-} && -n ${anon_kib[10]:-} ]] && t "private memory growth <= about 4 KiB per guest" "$(awk -v a="${anon_kib[10]}" -v b="${anon_kib[1000]}" -v c="${drv_anon[10]:-0}" -v d="${drv_anon[1000]:-0}" 'BEGIN { x = (b - a - (d - c)) / 990; printf "%.1f KiB/guest of its own (10 -> 1,000, anonymous, %.1f less the test driver'"'"'s %.1f): %s", x, (b - a) / 990, (d - c) / 990, x <= 4 ? "met" : "MISSED" }')"
own() { awk -v a="${list_ms[$1]}" -v b="${drv_ms[$1]}" -v m="$2" -v f="${floor_ms[$1]:-?}" 'BEGIN { x = a - b; printf "%.1f ms of its own (%.1f less the test driver'"'"'s %.1f): %s; floor %s ms", x, a, b, x <= m ? "met" : "MISSED", f }'; }
[[ -n ${list_ms[1000]:-} ]] && t "list --interval 0 <= 40 ms CPU at 1,000 guests" "$(own 1000 40)"
[[ -n ${list_ms[5000]:-} ]] && t "list --interval 0 <= 200 ms CPU at 5,000 guests" "$(own 5000 200)"

# ---- the real guests ----------------------------------------------------------------------
echo
if [[ ${SG_BENCH_REAL:-1} == 0 ]]; then
    echo "real guests: skipped (SG_BENCH_REAL=0)"
    exit 0
fi
if [[ ! -x $here/scripts/harness.sh ]] || ! command -v virsh >/dev/null; then
    echo "real guests: skipped (no scripts/harness.sh or no virsh)"
    exit 0
fi
real() {
    local h=$here/scripts/harness.sh lv r=0 i
    "$h" deps >/dev/null 2>&1 && "$h" libvirtd-up >/dev/null 2>&1 && "$h" build >/dev/null 2>&1 &&
        "$h" start sgbench-a >/dev/null 2>&1 && "$h" start sgbench-b >/dev/null 2>&1 || r=1
    if ((r == 0)); then
        lv=$(pidof libvirtd | awk '{ print $1 }')
        lvcpu() { awk '{ print $14 + $15 }' "/proc/$lv/stat"; }
        runs() { # runs CMD... -> "client_s libvirtd_s" over 20 runs
            local l0 l1 c
            l0=$(lvcpu)
            c=$(cpu_time bash -c 'for i in $(seq 20); do "$@" >/dev/null 2>&1; done' _ "$@")
            l1=$(lvcpu)
            awk -v c="$c" -v a="$l0" -v b="$l1" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.4f %.4f", c, (b - a) / hz }'
        }
        read -r lc ll < <(runs "$sg" -c qemu:///system list --interval 0)
        read -r vc vl < <(runs virsh -c qemu:///system domstats --balloon --state)
        if command -v smem >/dev/null; then
            read -r mc ml < <(runs smem -P qemu-system)
        else
            mc=; ml=
        fi
        echo "real harness guests (2 running TCG guests, 20 runs each; CPU seconds client + libvirtd):"
        printf '  %-44s %s\n' "swapguard list --interval 0" "$lc + $ll = $(awk -v a="$lc" -v b="$ll" 'BEGIN { printf "%.3f", a + b }') s"
        printf '  %-44s %s\n' "virsh domstats --balloon --state" "$vc + $vl = $(awk -v a="$vc" -v b="$vl" 'BEGIN { printf "%.3f", a + b }') s"
        [[ -n $mc ]] && printf '  %-44s %s\n' "smem -P qemu-system" "$mc + $ml = $(awk -v a="$mc" -v b="$ml" 'BEGIN { printf "%.3f", a + b }') s"
        awk -v a="$lc" -v b="$ll" -v c="$vc" -v d="$vl" 'BEGIN { r = (a + b) / (c + d); printf "  list / virsh domstats: %.2f (target <= 1: %s)\n", r, r <= 1 ? "met" : "MISSED" }'
        [[ -n $mc ]] && awk -v a="$lc" -v b="$ll" -v c="$mc" -v d="$ml" 'BEGIN { printf "  smem / list: %.1f\n", (c + d) / (a + b) }'
    else
        echo "real guests: skipped (the harness could not start two guests; see scripts/harness.sh)"
    fi
    "$h" stop sgbench-a >/dev/null 2>&1
    "$h" stop sgbench-b >/dev/null 2>&1
    "$h" cleanup >/dev/null 2>&1
}
export -f real cpu_time
export here sg work
flock /tmp/sg-libvirt.lock bash -c real
