#!/usr/bin/env bash
# swapguard test harness: builds and runs tiny REAL libvirt/QEMU (TCG) guests
# and can push a guest's RAM into host swap.
#
# Usage: harness.sh SUBCOMMAND [ARGS...]   (run as root)
#
#   deps                     install the Debian packages the harness needs
#   libvirtd-up              start a private libvirtd if none runs (no systemd),
#                            with a libvirtd.conf of its own: local sockets without
#                            polkit, read-only for all, read-write for group libvirt
#   libvirtd-restart         stop the libvirtd that libvirtd-up started (SIGTERM;
#                            running guests keep running) and start it again;
#                            refuses (exit 1) when this state dir did not start
#                            the one that runs
#   swap-up [MIB]            create+enable a swapfile (default 1024 MiB) if the
#                            host has no active swap
#   build                    build (cached) the guest kernel+initramfs
#   start NAME [MEM_MIB]     define+start domain NAME (default 256 MiB), wait for
#                            the guest agent, print the UUID as the last line;
#                            with SG_GUEST_SWAP_MIB set, the guest also gets a
#                            sparse raw disk of that size (virtio, /dev/vda)
#                            that its /init turns into its own swap
#   exec NAME SHELL_CMD      run /bin/sh -c SHELL_CMD in the guest via qemu-ga;
#                            relays stdout/stderr and the exit code
#                            (timeout: SG_EXEC_TIMEOUT seconds, default 120)
#   fill NAME MIB            write MIB MiB of /dev/urandom data to /mnt/fill/data
#   squeeze NAME HARD_MIB    memtune hard limit so the host swaps the guest out,
#                            lowered in 32 MiB steps from the cgroup's usage,
#                            a busy (EBUSY) write retried; waits until the QEMU
#                            process has VmSwap > 0
#   unsqueeze NAME           lift the memtune limits again
#   reread NAME              read /mnt/fill/data in the guest (dd to /dev/null;
#                            faults swapped guest pages back in)
#   reread-bg NAME           same, started in the background (prints guest pid)
#   pid NAME                 print the QEMU pid of domain NAME
#   stop NAME                destroy and undefine domain NAME
#   cleanup                  undo everything this harness set up (idempotent;
#                            keeps the built image cache)
#
# Environment:
#   SG_HARNESS_DIR   state directory (default /var/tmp/swapguard-harness)
#   SG_EXEC_TIMEOUT  guest command timeout in seconds (default 120)
#   SG_BOOT_TIMEOUT  agent wait after start in seconds (default 90)
#   SG_KEEP_LOGS=1   cleanup keeps the per-domain serial logs
#   SG_GUEST_SWAP_MIB  start: size of the guest's swap disk in MiB (default:
#                    none; the file lives in the state dir, removed at stop)
#   SG_GUEST_DISK_DIR  start: the directory of that file instead (a small
#                    filesystem fills up: QEMU pauses the guest on ENOSPC)
#   SG_SQUEEZE_TIMEOUT  squeeze: seconds to get the hard limit down, busy
#                    writes retried included (default 30)
#
# Guest facts: kernel = newest /boot/vmlinuz-*-cloud-amd64, initramfs = busybox
# + qemu-ga + virtio modules (virtio_blk included); /init runs mkswap + swapon
# on /dev/vda when the guest has a virtio disk, mounts a 200M tmpfs at
# /mnt/fill and runs qemu-ga in a respawn loop (touch /run/qemu-ga.disabled in
# the guest to stop it from being respawned).
set -euo pipefail

readonly STATE="${SG_HARNESS_DIR:-/var/tmp/swapguard-harness}"
readonly URI="qemu:///system"
readonly IMG_DIR="$STATE/image"
readonly DOM_DIR="$STATE/domains"
readonly DOM_LIST="$STATE/domains.list"
readonly LOG_DIR="$STATE/logs"
readonly QEMU_CONF=/etc/libvirt/qemu.conf
readonly RECIPE_VERSION=4
readonly GUEST_MODULES=(virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev
                        virtio_pci virtio_console virtio_balloon virtio_blk)
readonly DEB_PACKAGES=(libvirt-daemon-system libvirt-daemon-driver-qemu libvirt-clients
                       qemu-system-x86 qemu-utils qemu-guest-agent busybox-static
                       linux-image-cloud-amd64 cpio kmod util-linux mount procps jq
                       gzip coreutils)

log() { printf 'harness: %s\n' "$*" >&2; }
die() { printf 'harness: error: %s\n' "$*" >&2; exit 1; }

# True if PID exists and is not a zombie (PID 1 here reaps orphans lazily, so
# a killed daemon can linger as <defunct> for a while).
pid_alive() {
    local st
    st=$(awk '{ sub(/^.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

libvirtd_running() {
    local p
    for p in $(pgrep -x libvirtd || true); do
        pid_alive "$p" && return 0
    done
    return 1
}

need_root() { [ "$(id -u)" -eq 0 ] || die "must run as root"; }

virsh_() { virsh -q -c "$URI" "$@"; }

ensure_state() { mkdir -p "$STATE" "$IMG_DIR" "$DOM_DIR" "$LOG_DIR"; }

# Key for per-domain file names: names may contain spaces or odd characters.
dom_key() {
    local name=$1 safe sum
    safe=$(printf '%s' "$name" | tr -c 'A-Za-z0-9._-' '_' | cut -c1-40)
    sum=$(printf '%s' "$name" | sha256sum | cut -c1-8)
    printf '%s-%s' "$safe" "$sum"
}

xml_escape() {
    printf '%s' "$1" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' \
                           -e "s/'/\&apos;/g" -e 's/"/\&quot;/g'
}

check_name() {
    local name=${1:-}
    [ -n "$name" ] || die "missing domain NAME"
    case $name in
        *$'\n'*|*/*) die "domain name must not contain newlines or '/'" ;;
    esac
}

check_uint() {
    if ! [[ ${2:-} =~ ^[0-9]+$ ]] || [ "$2" -eq 0 ]; then
        die "$1 must be a positive integer, got '${2:-}'"
    fi
}

# ---------------------------------------------------------------- deps
cmd_deps() {
    need_root
    local missing=() p st
    for p in "${DEB_PACKAGES[@]}"; do
        st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
        [ "$st" = installed ] || missing+=("$p")
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        log "deps: all packages already installed"
        return 0
    fi
    log "deps: installing ${missing[*]}"
    # Without systemd the maintainer scripts would start a libvirtd (with the
    # stock qemu.conf) through the init.d script; block service starts while
    # installing, unless the admin already has a policy-rc.d.
    local policy=/usr/sbin/policy-rc.d added_policy=0
    if [ ! -d /run/systemd/system ] && [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' > "$policy"
        chmod 755 "$policy"
        added_policy=1
    fi
    local rc=0
    {
        DEBIAN_FRONTEND=noninteractive apt-get update &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
    } || rc=$?
    if [ "$added_policy" -eq 1 ]; then rm -f "$policy"; fi
    [ "$rc" -eq 0 ] || die "apt-get failed (rc=$rc)"
}

# ---------------------------------------------------------------- libvirtd
libvirtd_answers() { virsh -c "$URI" version >/dev/null 2>&1; }

cmd_libvirtd_up() {
    need_root
    ensure_state
    if libvirtd_running; then
        log "libvirtd already runs; leaving it alone"
        return 0
    fi
    if ! getent passwd libvirt-qemu >/dev/null; then
        log "creating system user libvirt-qemu"
        local grp=()
        getent group kvm >/dev/null && grp=(-g kvm)
        useradd --system --no-create-home --home-dir /var/lib/libvirt \
            --shell /usr/sbin/nologin "${grp[@]}" libvirt-qemu
    fi
    # Back up the admin's qemu.conf once (a second run must not back up ours).
    if [ ! -e "$STATE/qemu.conf.saved" ]; then
        if [ -e "$QEMU_CONF" ]; then
            cp -p "$QEMU_CONF" "$STATE/qemu.conf.orig"
            echo present > "$STATE/qemu.conf.saved"
        else
            echo absent > "$STATE/qemu.conf.saved"
        fi
    fi
    mkdir -p "$(dirname "$QEMU_CONF")"
    # stdio_handler=file: QEMU's stdout/stderr go straight to
    # /var/log/libvirt/qemu/NAME.log, so no virtlogd is needed.
    cat > "$QEMU_CONF" <<'EOF'
# written by swapguard scripts/harness.sh (original restored by "harness.sh cleanup")
user = "root"
group = "root"
stdio_handler = "file"
EOF
    chmod 600 "$QEMU_CONF"
    # Its own libvirtd.conf (-f; /etc/libvirt/libvirtd.conf is left alone): no polkit (there is
    # no D-Bus here), so an unprivileged user may use the read-only socket and a member of the
    # group libvirt the read-write one, as on a host where libvirt is set up without polkit.
    getent group libvirt >/dev/null || groupadd --system libvirt
    cat > "$STATE/libvirtd.conf" <<'EOF'
# written by swapguard scripts/harness.sh: local sockets without polkit
unix_sock_group = "libvirt"
unix_sock_ro_perms = "0777"
unix_sock_rw_perms = "0770"
auth_unix_ro = "none"
auth_unix_rw = "none"
EOF
    log "starting libvirtd"
    # The daemon gets no descriptor of ours beyond 0-2: a lock held around the harness
    # (`flock /tmp/sg-libvirt.lock harness.sh ...`) would otherwise stay held by libvirtd.
    (
        for fd in /proc/$BASHPID/fd/*; do
            fd=${fd##*/}
            if [[ $fd -gt 2 ]]; then eval "exec $fd>&-"; fi 2>/dev/null
        done
        LIBVIRT_LOG_OUTPUTS="3:file:$STATE/libvirtd.log" exec libvirtd -d -f "$STATE/libvirtd.conf"
    )
    local i pid=""
    for ((i = 0; i < 300; i++)); do
        if libvirtd_answers; then break; fi
        sleep 0.1
    done
    libvirtd_answers || { tail -n 20 "$STATE/libvirtd.log" >&2 || true; die "libvirtd did not answer within 30 s"; }
    if [ -r /run/libvirtd.pid ]; then pid=$(tr -dc 0-9 < /run/libvirtd.pid); fi
    [ -n "$pid" ] || pid=$(pgrep -x -n libvirtd || true)
    [ -n "$pid" ] || die "libvirtd answers but no pid found"
    echo "$pid" > "$STATE/libvirtd.started"
    log "libvirtd up (pid $pid)"
}

stop_our_libvirtd() {
    [ -e "$STATE/libvirtd.started" ] || return 0
    local pid i
    pid=$(tr -dc 0-9 < "$STATE/libvirtd.started")
    if [ -n "$pid" ] && pid_alive "$pid" &&
       [ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" = libvirtd ]; then
        log "stopping libvirtd (pid $pid)"
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 150; i++)); do
            pid_alive "$pid" || break
            sleep 0.1
        done
        if pid_alive "$pid"; then
            log "libvirtd did not exit on SIGTERM; SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            for ((i = 0; i < 50; i++)); do pid_alive "$pid" || break; sleep 0.1; done
        fi
        # Give PID 1 a moment to reap the <defunct> entry so that a following
        # "pgrep libvirtd" comes back empty (not fatal if it is slow).
        for ((i = 0; i < 100; i++)); do [ -e "/proc/$pid" ] || break; sleep 0.1; done
    fi
    rm -f "$STATE/libvirtd.started"
}

cmd_libvirtd_restart() {
    need_root
    [ -e "$STATE/libvirtd.started" ] || die "libvirtd-restart: the running libvirtd was not started by $0 libvirtd-up (state $STATE)"
    local t0=$SECONDS
    stop_our_libvirtd
    libvirtd_running && die "libvirtd-restart: a libvirtd still runs after stopping ours"
    cmd_libvirtd_up
    log "libvirtd restarted in $((SECONDS - t0))s"
}

restore_qemu_conf() {
    [ -e "$STATE/qemu.conf.saved" ] || return 0
    case $(cat "$STATE/qemu.conf.saved") in
        present) cp -p "$STATE/qemu.conf.orig" "$QEMU_CONF" && rm -f "$STATE/qemu.conf.orig" ;;
        *) rm -f "$QEMU_CONF" ;;
    esac
    rm -f "$STATE/qemu.conf.saved"
    log "restored $QEMU_CONF"
}

# ---------------------------------------------------------------- swap
host_has_swap() { [ "$(awk 'NR > 1' /proc/swaps | wc -l)" -gt 0 ]; }

cmd_swap_up() {
    need_root
    ensure_state
    local mib=${1:-1024} f="$STATE/swapfile"
    check_uint MIB "$mib"
    if host_has_swap; then
        log "host already has active swap; not adding any"
        return 0
    fi
    rm -f "$f"
    echo "$f" > "$STATE/swap.created"   # recorded before anything can fail
    if ! fallocate -l "$((mib * 1024 * 1024))" "$f" 2>/dev/null; then
        log "fallocate failed, using dd"
        rm -f "$f"
        dd if=/dev/zero of="$f" bs=1M count="$mib" status=none
    fi
    chmod 600 "$f"
    mkswap "$f" >/dev/null
    if ! swapon "$f" 2>/dev/null; then
        # e.g. "swapfile has holes" on some filesystems: retry with a dd file
        log "swapon failed on fallocated file, retrying with dd"
        rm -f "$f"
        dd if=/dev/zero of="$f" bs=1M count="$mib" status=none
        chmod 600 "$f"
        mkswap "$f" >/dev/null
        swapon "$f"
    fi
    log "swap enabled: $f ($mib MiB)"
}

swap_down() {
    [ -e "$STATE/swap.created" ] || return 0
    local f
    f=$(cat "$STATE/swap.created")
    if [ -e "$f" ]; then
        # /proc/swaps escapes blanks as \040; compare on the escaped form
        local esc=${f// /\\040}
        if awk 'NR > 1 { print $1 }' /proc/swaps | grep -qxF -- "$esc"; then
            log "swapoff $f"
            swapoff "$f"
        fi
        rm -f "$f"
    fi
    rm -f "$STATE/swap.created"
}

# ---------------------------------------------------------------- build
newest_kernel() {
    local k
    k=$(find /boot -maxdepth 1 -name 'vmlinuz-*-cloud-amd64' -print 2>/dev/null | sort -V | tail -n 1)
    [ -n "$k" ] || die "no /boot/vmlinuz-*-cloud-amd64 (run: $0 deps)"
    printf '%s\n' "$k"
}

# Files ldd lists for qemu-ga (libraries and the dynamic loader).
qga_libs() {
    ldd /usr/sbin/qemu-ga | awk '
        $2 == "=>" && $3 ~ /^\// { print $3; next }
        $1 ~ /^\// { print $1 }' | sort -u
}

# Module file for one module of kernel version $1 ("" if built in).
module_file() {
    local kver=$1 m=$2 f
    f=$(modinfo -k "$kver" -n "$m" 2>/dev/null || true)
    case $f in
        /*) printf '%s\n' "$f" ;;
        *)  if grep -qE "/${m}\.ko(\.[a-z]+)?\$" "/lib/modules/$kver/modules.builtin" 2>/dev/null; then
                printf '\n'
            else
                die "module $m not found for kernel $kver"
            fi ;;
    esac
}

init_script() {
    cat <<'EOF'
#!/bin/sh
# swapguard harness guest init (PID 1; must never exit)
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mkdir -p /dev/pts /dev/shm
mount -t tmpfs -o mode=1777 tmpfs /tmp
echo "sg-init: loading modules"
for m in $(cat /etc/sg-modules); do
    insmod "/lib/modules/sg/$m.ko" || echo "sg-init: insmod $m failed"
done
# A virtio block device (virtio device id 2) is the swap disk the host gave
# this guest (harness.sh start with SG_GUEST_SWAP_MIB): make it our swap.
for d in /sys/bus/virtio/devices/*; do
    [ "$(cat "$d/device" 2>/dev/null)" = 0x0002 ] || continue
    i=0
    while [ ! -b /dev/vda ] && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    if mkswap /dev/vda && swapon /dev/vda; then
        echo "sg-init: swap on /dev/vda"
    else
        echo "sg-init: swap on /dev/vda failed"
    fi
    break
done
mkdir -p /mnt/fill
mount -t tmpfs -o size=200M,mode=755 tmpfs /mnt/fill
find_port() {
    for d in /sys/class/virtio-ports/vport*; do
        [ -e "$d/name" ] || continue
        if [ "$(cat "$d/name")" = org.qemu.guest_agent.0 ]; then
            echo "/dev/${d##*/}"
            return 0
        fi
    done
    for p in /dev/vport*p1; do
        [ -e "$p" ] && { echo "$p"; return 0; }
    done
    return 1
}
echo "sg-init: up, starting qemu-ga respawn loop"
while :; do
    if [ -e /run/qemu-ga.disabled ]; then sleep 1; continue; fi
    port=$(find_port) || { sleep 0.2; continue; }
    [ -c "$port" ] || { sleep 0.2; continue; }
    echo "sg-init: qemu-ga on $port"
    /usr/sbin/qemu-ga -m virtio-serial -p "$port"
    echo "sg-init: qemu-ga exited ($?)"
    sleep 1
done
while :; do sleep 3600; done
EOF
}

# Signature of everything the image depends on.
build_signature() {
    local kernel=$1 kver=$2 f
    {
        echo "recipe $RECIPE_VERSION"
        echo "kernel $kernel"
        echo "modules ${GUEST_MODULES[*]}"
        init_script
        sha256sum "$kernel" /bin/busybox /usr/sbin/qemu-ga
        qga_libs | while read -r f; do sha256sum "$f"; done
        for m in "${GUEST_MODULES[@]}"; do
            f=$(module_file "$kver" "$m")
            if [ -n "$f" ]; then sha256sum "$f"; else echo "builtin $m"; fi
        done
    } | sha256sum | cut -d' ' -f1
}

cmd_build() {
    need_root
    ensure_state
    local kernel kver sig
    kernel=$(newest_kernel)
    kver=${kernel#/boot/vmlinuz-}
    [ -x /bin/busybox ] || die "/bin/busybox missing (run: $0 deps)"
    [ -x /usr/sbin/qemu-ga ] || die "/usr/sbin/qemu-ga missing (run: $0 deps)"
    sig=$(build_signature "$kernel" "$kver")
    if [ -s "$IMG_DIR/vmlinuz" ] && [ -s "$IMG_DIR/initrd.img" ] &&
       [ "$(cat "$IMG_DIR/signature" 2>/dev/null || true)" = "$sig" ]; then
        log "build: cached image is up to date ($kver)"
        return 0
    fi
    log "build: building guest image for $kver"
    local root
    root=$(mktemp -d "$STATE/build.XXXXXX")
    # shellcheck disable=SC2064  # expand $root now
    trap "rm -rf '$root'" EXIT
    local r="$root/root" p f m
    mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,run,var,mnt/fill,lib/modules/sg,root}
    ln -s ../run "$r/var/run"
    chmod 1777 "$r/tmp"
    # busybox binary plus one symlink per applet (never a link named busybox)
    cp /bin/busybox "$r/bin/busybox"
    while read -r p; do
        [ -n "$p" ] || continue
        [ "${p##*/}" = busybox ] && continue
        mkdir -p "$r/$(dirname "$p")"
        [ -e "$r/$p" ] || [ -L "$r/$p" ] || ln -s /bin/busybox "$r/$p"
    done < <(/bin/busybox --list-full)
    # qemu-ga and its libraries, at the paths ldd names (dereferenced)
    cp /usr/sbin/qemu-ga "$r/usr/sbin/qemu-ga"
    while read -r f; do
        mkdir -p "$r$(dirname "$f")"
        cp -L "$f" "$r$f"
    done < <(qga_libs)
    # modules, decompressed, in load order
    : > "$r/etc/sg-modules"
    for m in "${GUEST_MODULES[@]}"; do
        f=$(module_file "$kver" "$m")
        [ -n "$f" ] || { log "build: $m is built in"; continue; }
        case $f in
            *.ko.xz)  xz -dc "$f" > "$r/lib/modules/sg/$m.ko" ;;
            *.ko.zst) zstd -qdc "$f" > "$r/lib/modules/sg/$m.ko" ;;
            *.ko.gz)  gzip -dc "$f" > "$r/lib/modules/sg/$m.ko" ;;
            *.ko)     cp "$f" "$r/lib/modules/sg/$m.ko" ;;
            *) die "unknown module file type: $f" ;;
        esac
        echo "$m" >> "$r/etc/sg-modules"
    done
    init_script > "$r/init"
    chmod 755 "$r/init"
    echo 'root:x:0:0:root:/root:/bin/sh' > "$r/etc/passwd"
    echo 'root:x:0:' > "$r/etc/group"
    # console/null nodes so the kernel can open a console before /init runs
    mknod -m 600 "$r/dev/console" c 5 1 2>/dev/null || true
    mknod -m 666 "$r/dev/null" c 1 3 2>/dev/null || true
    (cd "$r" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
        cpio --null -o -H newc -R 0:0 --quiet) | gzip -9n > "$root/initrd.img"
    cp "$kernel" "$root/vmlinuz"
    mv -f "$root/vmlinuz" "$IMG_DIR/vmlinuz"
    mv -f "$root/initrd.img" "$IMG_DIR/initrd.img"
    echo "$kver" > "$IMG_DIR/kernel-version"
    echo "$sig" > "$IMG_DIR/signature"
    rm -rf "$root"
    trap - EXIT
    log "build: done ($(du -h "$IMG_DIR/initrd.img" | cut -f1) initramfs)"
}

# ---------------------------------------------------------------- domains
dom_recorded() { [ -e "$DOM_LIST" ] && grep -qxF -- "$1" "$DOM_LIST"; }

dom_record() { dom_recorded "$1" || printf '%s\n' "$1" >> "$DOM_LIST"; }

dom_unrecord() {
    [ -e "$DOM_LIST" ] || return 0
    local tmp="$DOM_LIST.tmp"
    grep -vxF -- "$1" "$DOM_LIST" > "$tmp" || true
    mv -f "$tmp" "$DOM_LIST"
}

dom_exists() { virsh_ dominfo --domain "$1" >/dev/null 2>&1; }

qemu_pid() {
    local f="/run/libvirt/qemu/$1.pid" pid
    [ -r "$f" ] || return 1
    pid=$(tr -dc 0-9 < "$f")
    [ -n "$pid" ] && pid_alive "$pid" || return 1
    printf '%s\n' "$pid"
}

serial_log() { printf '%s/%s.serial.log' "$LOG_DIR" "$(dom_key "$1")"; }

swap_disk() { printf '%s/%s.swap.raw' "${SG_GUEST_DISK_DIR:-$DOM_DIR}" "$(dom_key "$1")"; }

show_logs() {
    local name=$1 f
    f=$(serial_log "$name")
    if [ -e "$f" ]; then
        log "---- serial log tail ($f) ----"
        tail -n 40 "$f" >&2 || true
    fi
    f="/var/log/libvirt/qemu/$name.log"
    if [ -e "$f" ]; then
        log "---- libvirt qemu log tail ($f) ----"
        tail -n 20 "$f" >&2 || true
    fi
}

# Destroy+undefine a domain; if libvirtd is gone, kill its QEMU directly.
dom_remove() {
    local name=$1 pid
    if libvirtd_answers; then
        if dom_exists "$name"; then
            virsh_ destroy --domain "$name" >/dev/null 2>&1 || true
            virsh_ undefine --domain "$name" >/dev/null 2>&1 ||
                log "warning: undefine '$name' failed"
        fi
    elif pid=$(qemu_pid "$name"); then
        case $(cat "/proc/$pid/comm" 2>/dev/null || true) in
            qemu-system*)
                log "libvirtd not reachable; killing QEMU pid $pid of '$name'"
                kill -KILL "$pid" 2>/dev/null || true ;;
        esac
    fi
    rm -f "$DOM_DIR/$(dom_key "$name").xml" "$(swap_disk "$name")"
    if [ "${SG_KEEP_LOGS:-0}" != 1 ]; then
        rm -f "$(serial_log "$name")" "/var/log/libvirt/qemu/$name.log"
    fi
    dom_unrecord "$name"
}

# The guest's swap disk, when it has one ($1: raw file, "" for none).
disk_xml() {
    [ -n "$1" ] || return 0
    cat <<EOF
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='$(xml_escape "$1")'/>
      <target dev='vda' bus='virtio'/>
    </disk>
EOF
}

domain_xml() {
    local name=$1 mem=$2 serial=$3 disk=${4:-} cmdline="console=ttyS0 panic=-1" disk_block=""
    # without a disk the XML is exactly what it was before swap disks existed
    [ -z "$disk" ] || disk_block=$(disk_xml "$disk")$'\n'
    cat <<EOF
<domain type='qemu'>
  <name>$(xml_escape "$name")</name>
  <memory unit='MiB'>$mem</memory>
  <currentMemory unit='MiB'>$mem</currentMemory>
  <vcpu placement='static'>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$(xml_escape "$IMG_DIR/vmlinuz")</kernel>
    <initrd>$(xml_escape "$IMG_DIR/initrd.img")</initrd>
    <cmdline>$cmdline</cmdline>
  </os>
  <features><acpi/></features>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <controller type='usb' model='none'/>
${disk_block}    <serial type='file'>
      <source path='$(xml_escape "$serial")'/>
      <target port='0'/>
    </serial>
    <channel type='unix'>
      <target type='virtio' name='org.qemu.guest_agent.0'/>
    </channel>
    <memballoon model='virtio'>
      <stats period='2'/>
    </memballoon>
  </devices>
</domain>
EOF
}

agent_ping() { virsh_ qemu-agent-command --domain "$1" --timeout 5 '{"execute":"guest-ping"}' >/dev/null 2>&1; }

cmd_start() {
    need_root
    local name=${1:-} mem=${2:-256} swap_mib=${SG_GUEST_SWAP_MIB:-}
    check_name "$name"
    check_uint MEM_MIB "$mem"
    [ -z "$swap_mib" ] || check_uint SG_GUEST_SWAP_MIB "$swap_mib"
    ensure_state
    libvirtd_answers || die "libvirtd not reachable (run: $0 libvirtd-up)"
    [ -s "$IMG_DIR/initrd.img" ] || cmd_build
    if dom_exists "$name"; then
        dom_recorded "$name" || die "domain '$name' exists and was not created by this harness"
        log "removing previous harness domain '$name'"
        dom_remove "$name"
    fi
    local key xml serial disk=""
    key=$(dom_key "$name")
    xml="$DOM_DIR/$key.xml"
    serial=$(serial_log "$name")
    : > "$serial"
    if [ -n "$swap_mib" ]; then
        disk=$(swap_disk "$name")
        rm -f "$disk"
        truncate -s "$((swap_mib * 1024 * 1024))" "$disk"   # sparse
        log "swap disk for '$name': $disk ($swap_mib MiB)"
    fi
    domain_xml "$name" "$mem" "$serial" "$disk" > "$xml"
    dom_record "$name"
    virsh_ define --file "$xml" >/dev/null
    local t0=$SECONDS
    virsh_ start --domain "$name" >/dev/null || { show_logs "$name"; die "virsh start '$name' failed"; }
    local timeout=${SG_BOOT_TIMEOUT:-90}
    while ! agent_ping "$name"; do
        if [ $((SECONDS - t0)) -ge "$timeout" ]; then
            show_logs "$name"
            die "guest agent of '$name' did not answer within ${timeout}s"
        fi
        if [ "$(virsh_ domstate --domain "$name" 2>/dev/null || true)" != running ]; then
            show_logs "$name"
            die "domain '$name' is not running"
        fi
        sleep 0.5
    done
    log "domain '$name' up, agent answers after $((SECONDS - t0))s (qemu pid $(qemu_pid "$name" || echo '?'))"
    virsh_ domuuid --domain "$name"
}

cmd_stop() {
    need_root
    local name=${1:-}
    check_name "$name"
    if ! dom_recorded "$name" && libvirtd_answers && dom_exists "$name"; then
        log "warning: '$name' was not created by this harness; removing it anyway"
    fi
    dom_remove "$name"
}

cmd_pid() {
    local name=${1:-}
    check_name "$name"
    qemu_pid "$name" || die "no running QEMU for '$name'"
}

# ---------------------------------------------------------------- agent exec
agent_cmd() {
    local name=$1 json=$2 timeout=${3:-30}
    virsh_ qemu-agent-command --domain "$name" --timeout "$timeout" "$json"
}

# Start /bin/sh -c CMD in the guest; prints the guest pid.
guest_exec_start() {
    local name=$1 cmd=$2 capture=$3 req reply
    req=$(jq -cn --arg c "$cmd" --argjson cap "$capture" \
        '{execute: "guest-exec", arguments: {path: "/bin/sh", arg: ["-c", $c], "capture-output": $cap}}')
    reply=$(agent_cmd "$name" "$req") || die "guest-exec failed in '$name'"
    jq -er '.return.pid' <<<"$reply" || die "unexpected guest-exec reply: $reply"
}

cmd_exec() {
    local name=${1:-} cmd=${2-}
    check_name "$name"
    [ $# -ge 2 ] || die "usage: $0 exec NAME SHELL_COMMAND"
    local timeout=${SG_EXEC_TIMEOUT:-120} gpid reply t0=$SECONDS delay=0.05
    gpid=$(guest_exec_start "$name" "$cmd" true)
    while :; do
        reply=$(agent_cmd "$name" "$(jq -cn --argjson p "$gpid" '{execute: "guest-exec-status", arguments: {pid: $p}}')") ||
            die "guest-exec-status failed in '$name'"
        [ "$(jq -r '.return.exited' <<<"$reply")" = true ] && break
        if [ $((SECONDS - t0)) -ge "$timeout" ]; then
            log "error: guest command timed out after ${timeout}s: $cmd"
            return 124
        fi
        sleep "$delay"
        delay=0.2
    done
    jq -r '.return["out-data"] // empty' <<<"$reply" | base64 -d
    jq -r '.return["err-data"] // empty' <<<"$reply" | base64 -d >&2
    if [ "$(jq -r '.return["out-truncated"] // false' <<<"$reply")" = true ] ||
       [ "$(jq -r '.return["err-truncated"] // false' <<<"$reply")" = true ]; then
        log "warning: guest output was truncated by qemu-ga"
    fi
    local code sig
    sig=$(jq -r '.return.signal // empty' <<<"$reply")
    if [ -n "$sig" ]; then
        code=$((128 + sig))
    else
        code=$(jq -r '.return.exitcode // 0' <<<"$reply")
    fi
    return "$code"
}

cmd_fill() {
    local name=${1:-} mib=${2:-}
    check_name "$name"
    check_uint MIB "$mib"
    cmd_exec "$name" "dd if=/dev/urandom of=/mnt/fill/data bs=1M count=$mib 2>&1 && sync"
}

# NOT "cat FILE > /dev/null": busybox cat copies with sendfile(), and a
# sendfile/splice into /dev/null discards the pages without ever reading them,
# so no swapped guest page would be touched. dd read()s into a user buffer,
# which makes the guest CPU (and thus QEMU) touch every page of the file.
readonly REREAD_CMD="dd if=/mnt/fill/data of=/dev/null bs=1M 2>/dev/null"

cmd_reread() {
    local name=${1:-}
    check_name "$name"
    cmd_exec "$name" "$REREAD_CMD"
}

cmd_reread_bg() {
    local name=${1:-}
    check_name "$name"
    guest_exec_start "$name" "$REREAD_CMD" false
}

# ---------------------------------------------------------------- squeeze
vmswap_kib() { awk '/^VmSwap:/ { print $2 }' "/proc/$1/status"; }

# What the memory cgroup of process $1 uses now, in KiB: cgroup v1
# memory.usage_in_bytes, or v2 memory.current of the nearest group that has
# one; the process's VmRSS when neither can be read.
cgroup_usage_kib() {
    local pid=$1 rel dir b
    rel=$(awk -F: '$2 == "memory" { print $3; exit }' "/proc/$pid/cgroup" 2>/dev/null || true)
    if [ -n "$rel" ] && [ -r "/sys/fs/cgroup/memory$rel/memory.usage_in_bytes" ]; then
        b=$(cat "/sys/fs/cgroup/memory$rel/memory.usage_in_bytes")
        printf '%s\n' "$((b / 1024))"
        return 0
    fi
    rel=$(awk -F: '$1 == "0" && $2 == "" { print $3; exit }' "/proc/$pid/cgroup" 2>/dev/null || true)
    if [ -n "$rel" ]; then
        dir=/sys/fs/cgroup$rel
        while [ "$dir" != /sys/fs/cgroup ] && [ ! -r "$dir/memory.current" ]; do dir=${dir%/*}; done
        if [ -r "$dir/memory.current" ]; then
            b=$(cat "$dir/memory.current")
            printf '%s\n' "$((b / 1024))"
            return 0
        fi
    fi
    awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status"
}

# memtune_live NAME DEADLINE MEMTUNE_OPTIONS...: virsh memtune --live. A limit
# below what the cgroup uses makes the kernel reclaim first; when it cannot
# reclaim enough in time, the write fails with EBUSY ("Unable to write to
# .../memory.limit_in_bytes: Device or resource busy") and nothing changed.
# Such a write is retried once a second (each try reclaims some more) until
# $SECONDS reaches DEADLINE; any other error fails at once.
memtune_live() {
    local name=$1 deadline=$2 out try=1
    shift 2
    while ! out=$(virsh_ memtune --domain "$name" "$@" --live 2>&1); do
        case $out in
            *"Device or resource busy"*) ;;
            *) printf '%s\n' "$out" >&2; return 1 ;;
        esac
        if [ "$SECONDS" -ge "$deadline" ]; then
            printf '%s\n' "$out" >&2
            log "memtune '$name' $*: still busy after $try tries; giving up"
            return 1
        fi
        log "memtune '$name' $*: busy (the kernel could not reclaim down to the limit yet); try $((try + 1)) in 1s"
        try=$((try + 1))
        sleep 1
    done
    if [ -n "$out" ]; then printf '%s\n' "$out" >&2; fi
}

# Hard limit step while squeezing: each write asks the kernel to reclaim about
# this much, not the whole squeeze at once.
readonly SQUEEZE_STEP_KIB=$((32 * 1024))

cmd_squeeze() {
    need_root
    local name=${1:-} hard=${2:-}
    check_name "$name"
    check_uint HARD_MIB "$hard"
    local pid hard_kib=$((hard * 1024)) swap_kib=$((8 * 1024 * 1024))
    pid=$(qemu_pid "$name") || die "no running QEMU for '$name'"
    # Order matters on this host (hybrid cgroups; the memory controller is
    # cgroup v1 with memsw, domain group /sys/fs/cgroup/memory/machine/
    # qemu-N-<shortname>.libvirt-qemu): memory.memsw.limit_in_bytes must stay
    # >= memory.limit_in_bytes, and libvirt itself refuses any change that
    # leaves hard_limit > swap_hard_limit ("memory hard_limit tunable value must
    # be lower than or equal to swap_hard_limit"). So "--swap-hard-limit" alone
    # fails while the hard limit is still unlimited. Passing BOTH in ONE call
    # works: libvirt 9.0 writes memory.limit_in_bytes first when the hard limit
    # decreases (unset = unlimited) and memory.memsw.limit_in_bytes afterwards,
    # and when the hard limit increases it writes memsw first. The swap limit
    # (8 GiB) is far above any hard limit we use, so both orders are valid; every
    # step below passes both, so each one is such a decreasing call.
    #
    # One write from unlimited straight down to HARD_MIB must reclaim all the
    # difference at once, and cgroup v1 gives up with EBUSY when it cannot do
    # so in time. So the limit comes down in steps of SQUEEZE_STEP_KIB from
    # what the cgroup uses now, and a busy write is retried (memtune_live),
    # all within SG_SQUEEZE_TIMEOUT seconds (default 30).
    local usage_kib limit_kib steps=() shown="" t0=$SECONDS deadline
    deadline=$((SECONDS + ${SG_SQUEEZE_TIMEOUT:-30}))
    usage_kib=$(cgroup_usage_kib "$pid")
    limit_kib=$(( (usage_kib / SQUEEZE_STEP_KIB) * SQUEEZE_STEP_KIB ))
    while [ "$limit_kib" -gt "$hard_kib" ]; do
        steps+=("$limit_kib")
        limit_kib=$((limit_kib - SQUEEZE_STEP_KIB))
    done
    steps+=("$hard_kib")
    for limit_kib in "${steps[@]}"; do shown+=" $((limit_kib / 1024))"; done
    log "squeeze '$name': its memory cgroup uses $((usage_kib / 1024)) MiB; hard limit in ${#steps[@]} step(s), MiB:$shown"
    for limit_kib in "${steps[@]}"; do
        memtune_live "$name" "$deadline" --hard-limit "$limit_kib" --swap-hard-limit "$swap_kib" ||
            die "could not lower the hard limit of '$name' to $((limit_kib / 1024)) MiB"
    done
    log "squeeze '$name': hard limit ${hard} MiB set after $((SECONDS - t0))s"
    t0=$SECONDS
    local s=0
    while :; do
        s=$(vmswap_kib "$pid")
        [ "${s:-0}" -gt 0 ] && break
        [ $((SECONDS - t0)) -ge 30 ] && die "VmSwap of QEMU pid $pid still 0 after 30s"
        sleep 0.2
    done
    log "squeezed '$name' to ${hard} MiB: VmSwap ${s} kB after $((SECONDS - t0))s"
}

cmd_unsqueeze() {
    need_root
    local name=${1:-}
    check_name "$name"
    # raise swap limit first is not needed (both go to unlimited, -1);
    # memsw must stay >= limit, so lift memsw first, then the hard limit.
    virsh_ memtune --domain "$name" --swap-hard-limit -1 --live
    virsh_ memtune --domain "$name" --hard-limit -1 --live
}

# ---------------------------------------------------------------- cleanup
cmd_cleanup() {
    need_root
    [ -d "$STATE" ] || return 0
    local name
    if [ -s "$DOM_LIST" ] && ! libvirtd_answers && ! libvirtd_running; then
        # our libvirtd died (or was never stopped cleanly): bring one up again
        # so the recorded persistent domains can be destroyed AND undefined
        log "libvirtd not running; starting it to remove recorded domains"
        (cmd_libvirtd_up) || log "warning: could not start libvirtd"
    fi
    if [ -s "$DOM_LIST" ]; then
        while IFS= read -r name; do
            [ -n "$name" ] || continue
            log "removing domain '$name'"
            dom_remove "$name" || log "warning: could not remove '$name'"
        done < <(cat "$DOM_LIST")
    fi
    rm -f "$DOM_LIST"
    swap_down || log "warning: swapoff failed"
    stop_our_libvirtd
    restore_qemu_conf
    rm -rf "$STATE"/build.* "$STATE/libvirtd.log" "$DOM_DIR"/*.swap.raw
    log "cleanup done"
}

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }

main() {
    local sub=${1:-}
    [ $# -gt 0 ] && shift
    case $sub in
        deps)        cmd_deps "$@" ;;
        libvirtd-up) cmd_libvirtd_up "$@" ;;
        libvirtd-restart) cmd_libvirtd_restart "$@" ;;
        swap-up)     cmd_swap_up "$@" ;;
        build)       cmd_build "$@" ;;
        start)       cmd_start "$@" ;;
        exec)        cmd_exec "$@" ;;
        fill)        cmd_fill "$@" ;;
        squeeze)     cmd_squeeze "$@" ;;
        unsqueeze)   cmd_unsqueeze "$@" ;;
        reread)      cmd_reread "$@" ;;
        reread-bg)   cmd_reread_bg "$@" ;;
        pid)         cmd_pid "$@" ;;
        stop)        cmd_stop "$@" ;;
        cleanup)     cmd_cleanup "$@" ;;
        -h|--help|help) usage ;;
        *) usage >&2; exit 2 ;;
    esac
}

main "$@"
