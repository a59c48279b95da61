#!/usr/bin/env bash
# shellcheck disable=SC2317  # cleanup (trap) is called indirectly
# shellcheck disable=SC2016,SC2034  # check ... eval '...': expanded when the check runs
# Integration test of `swapguard apply lock-memory|hugepages`, `history` and
# `rollback` on real libvirt: the persistent XML of a defined, never started
# TCG domain (no image needed) is edited, compared with golden files, and
# restored byte for byte; a hand change makes rollback refuse; the hugepage
# precondition refuses an empty pool and holds once 2 MiB pages are reserved
# (nr_hugepages is restored afterwards); a Nova-managed domain is refused and
# gets the flavor extra specs instead. Emits TAP.
#
# Usage: test-apply-xml.sh SWAPGUARD_BINARY
# SG_UPDATE_GOLDEN=1 writes the captured files of tests/data/domxml/edit/
# instead of comparing with them (then rerun the unit test the same way).
set -uo pipefail

SG=${1:?usage: test-apply-xml.sh SWAPGUARD_BINARY}
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
harness="$top/scripts/harness.sh"
export SG_HARNESS_DIR=${SG_HARNESS_DIR:-/var/tmp/sg-apply-xml-it}
golden="$top/tests/data/domxml/edit"
dom=sgxm-apply
nova=sgxm-nova
tmp=$(mktemp -d)
conf="$tmp/swapguard.conf"
journal="$tmp/state/journal.json"
out="$tmp/out"
err="$tmp/err"
hp_saved=""

# shellcheck source=tests/integration/preamble.sh
source "$top/tests/integration/preamble.sh"
require_root_and_jq "apply lock-memory/hugepages integration" "libvirtd, virsh define, nr_hugepages"

v() { virsh -c qemu:///system "$@"; }
dump() { v dumpxml --inactive --security-info "$1"; }
undefine_ours() {
    local d
    for d in "$dom" "$nova"; do
        if v domuuid "$d" >/dev/null 2>&1; then v undefine "$d" >/dev/null 2>&1 || true; fi
    done
}
cleanup() {
    undefine_ours
    if [[ -n $hp_saved ]]; then echo "$hp_saved" >/proc/sys/vm/nr_hugepages; fi
    "$harness" cleanup 2>&1 | diag
    rm -rf "$tmp"
}
trap cleanup EXIT

# The machine type alias 'pc' resolves to the newest i440fx of the installed QEMU (7.2 on
# Debian 12): compared without its version, so that a QEMU point release does not matter.
norm() { sed -E "s/machine='pc-i440fx-[0-9.]+'/machine='pc-i440fx-N'/" "$@"; }
# same_as_golden NAME FILE: FILE equals tests/data/domxml/edit/NAME (written there under SG_UPDATE_GOLDEN=1)
same_as_golden() {
    if [[ -n ${SG_UPDATE_GOLDEN:-} ]]; then
        cp "$2" "$golden/$1" && echo "# wrote $golden/$1"
        return
    fi
    diff -u <(norm "$golden/$1") <(norm "$2") | diag
    [[ ${PIPESTATUS[0]} -eq 0 ]]
}
free_2m() { # free 2 MiB hugepages over all nodes (the test domain has no numatune)
    local f s=0
    for f in /sys/devices/system/node/node*/hugepages/hugepages-2048kB/free_hugepages; do
        [[ -r $f ]] && s=$((s + $(cat "$f")))
    done
    echo "$s"
}
entries() { jq -r "$1" <<<"$("$SG" --json history --config "$conf" 2>/dev/null)"; }
# is DOMAIN FILE: the domain's inactive XML is byte for byte FILE (cmp prints where it differs)
is() { dump "$1" | cmp - "$2"; }
# run ARGS...: swapguard with the test config; output in $out/$err (shown as diagnostics), exit code in $rc
run() {
    "$SG" "$@" --config "$conf" >"$out" 2>"$err"
    rc=$?
    diag <"$out"
    diag <"$err"
}
exits() { [[ $rc -eq $1 ]]; }
fails() { [[ $rc -ne 0 ]]; }
has() { grep -qE -- "$1" "${2:-$out}"; }
has_fixed() { grep -qF -- "$1" "${2:-$out}"; }
entry_count() { jq '.entries | length' "$journal"; }

plan 38

if "$harness" deps 2>&1 | diag && "$harness" libvirtd-up 2>&1 | diag; then
    ok "harness brings up libvirtd"
else
    not_ok "harness brings up libvirtd" "see the harness output above"
    bail_out "no libvirtd"
fi
printf '[apply]\nstate_dir = %s/state\n' "$tmp" >"$conf"
undefine_ours

# The test domain: 64 MiB, TCG, never started (no disk, no kernel needed), a fixed UUID so the
# golden files need no normalising, and a VNC password that only the SECURE XML carries: apply
# and rollback must keep it.
cat >"$tmp/$dom.xml" <<'EOF'
<domain type='qemu'>
  <name>sgxm-apply</name>
  <uuid>6a1f3b52-58c4-4d0e-9d8e-5b0c2f7e4a11</uuid>
  <title>swapguard apply-xml test domain: defined, never started</title>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
  </os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <graphics type='vnc' autoport='yes' listen='127.0.0.1' passwd='sgxmpass'/>
  </devices>
</domain>
EOF
v define "$tmp/$dom.xml" 2>&1 | diag
check "$dom is defined (virsh define) and not started" test "$(v domstate "$dom" 2>&1)" = "shut off"
dump "$dom" >"$tmp/before.xml"
check "its inactive XML is the captured one (sgxm-apply.inactive.xml)" same_as_golden sgxm-apply.inactive.xml "$tmp/before.xml"

# 1. lock-memory, dry run
run apply lock-memory "$dom"
check "apply lock-memory (dry run) exits 0" exits 0
check "the dry run prints a unified diff labelled old and new" \
    eval 'has "^--- $dom \(persistent, now\)\$" && has "^\+\+\+ $dom \(after apply\)\$" && has "^@@ "'
check "the diff adds <locked/> and hard_limit = 64 MiB + 256 MiB QEMU overhead = 327680 KiB" \
    eval 'has "^\+ +<locked/>\$" && has "^\+ +<hard_limit unit=\"KiB\">327680</hard_limit>\$"'
check "the dry run says it takes effect at the next boot and changed nothing" \
    has_fixed "Takes effect at the next boot of $dom; nothing changed (dry run; add --yes)"
check "the dry run changed nothing: dumpxml identical, no journal" \
    eval 'is "$dom" "$tmp/before.xml" && [[ ! -e $journal ]]'

# 2. lock-memory --yes
run apply lock-memory "$dom" --yes
check "apply lock-memory --yes exits 0 and says: next boot" \
    eval 'exits 0 && has_fixed "Takes effect at the next boot of $dom"'
dump "$dom" >"$tmp/locked.xml"
check "dumpxml --inactive equals the golden file (sgxm-apply.lock-memory.libvirt.xml)" \
    same_as_golden sgxm-apply.lock-memory.libvirt.xml "$tmp/locked.xml"
check "the VNC password survived the edit (SECURE XML in, SECURE XML out)" grep -q "passwd='sgxmpass'" "$tmp/locked.xml"
check "$dom is still shut off" test "$(v domstate "$dom")" = "shut off"
run apply lock-memory "$dom" --yes
check "applying it again: nothing to do, exit 0, nothing changed" \
    eval 'exits 0 && has "nothing to do: guest memory is already locked" && is "$dom" "$tmp/locked.xml"'

# 3. history
run history
check "history lists it" has "^ +1 .* lock-memory +$dom +applied +root"
check "history --json: action, target, UUID, status, the old XML" \
    test "$(entries '.[0] | [.action, .target, .uuid, .status, (.before.xml | length > 0)] | join(" ")')" = \
    "lock-memory $dom 6a1f3b52-58c4-4d0e-9d8e-5b0c2f7e4a11 applied true"
check "the journal is 0600" test "$(stat -c %a "$journal")" = 600

# 4. rollback
run rollback --yes
check "rollback --yes exits 0" exits 0
check "the restored inactive XML is byte for byte the original" is "$dom" "$tmp/before.xml"
check "history: entry 1 rolled back" test "$(entries '.[0].status')" = rolled-back
run rollback --yes
check "rollback again refuses: nothing applied" eval 'fails && has "nothing applied to roll back" "$err"'
check "... and changed nothing" is "$dom" "$tmp/before.xml"

# 5. hugepages: refused without free pages, applied with them
need=32 # 64 MiB in 2 MiB pages
have=$(free_2m)
if [[ ! -d /sys/kernel/mm/hugepages/hugepages-2048kB ]]; then
    for _ in 1 2 3 4 5 6 7 8 9; do ok "hugepages # SKIP this kernel has no 2 MiB hugepage pool"; done
elif [[ $have -ge $need ]]; then
    for _ in 1 2 3; do ok "hugepages refusal # SKIP the host already has $have free 2 MiB pages"; done
else
    run apply hugepages "$dom" --yes
    check "apply hugepages --yes without free 2 MiB pages is refused" \
        eval 'fails && has "precondition: pool too small: need $need pages of 2048 KiB"'
    check "... and prints the command that reserves them" \
        has '^    echo [0-9]+ > /sys/(devices/system/node/node[0-9]+|kernel/mm)/hugepages/hugepages-2048kB/nr_hugepages$'
    check "... and changed nothing (domain, journal)" eval 'is "$dom" "$tmp/before.xml" && [[ $(entry_count) -eq 1 ]]'
fi

if [[ -d /sys/kernel/mm/hugepages/hugepages-2048kB ]]; then
    hp_saved=$(cat /proc/sys/vm/nr_hugepages)
    echo $((hp_saved + need)) >/proc/sys/vm/nr_hugepages
    if [[ $(free_2m) -lt $need ]]; then
        for _ in 1 2 3 4 5; do ok "hugepages apply # SKIP the kernel could not reserve $need 2 MiB pages"; done
    else
        run apply hugepages "$dom" --yes
        check "with $need free 2 MiB pages reserved, apply hugepages --yes exits 0" \
            eval 'exits 0 && has "precondition: need $need pages of 2048 KiB on any node; .*: holds"'
        dump "$dom" >"$tmp/hp.xml"
        check "dumpxml --inactive equals the golden file (sgxm-apply.hugepages-2M.libvirt.xml)" \
            same_as_golden sgxm-apply.hugepages-2M.libvirt.xml "$tmp/hp.xml"
        # A change by hand after apply: rollback must not overwrite it silently.
        v desc "$dom" --config --new-desc "changed by hand after apply" >/dev/null
        dump "$dom" >"$tmp/hand.xml"
        run rollback --yes
        check "rollback refuses when the domain changed since apply" \
            eval 'fails && has "changed since swapguard applied entry 2" "$err" && is "$dom" "$tmp/hand.xml"'
        run rollback 2 --yes --force
        check "rollback --force restores the original byte for byte" eval 'exits 0 && is "$dom" "$tmp/before.xml"'
        check "history: entry 2 (hugepages) rolled back" test "$(entries '.[1] | .action + " " + .status')" = "hugepages rolled-back"
    fi
    echo "$hp_saved" >/proc/sys/vm/nr_hugepages
    check "nr_hugepages is back to $hp_saved" test "$(cat /proc/sys/vm/nr_hugepages)" = "$hp_saved"
    hp_saved=""
fi

# 6. a Nova-managed domain
cat >"$tmp/$nova.xml" <<'EOF'
<domain type='qemu'>
  <name>sgxm-nova</name>
  <uuid>6a1f3b52-58c4-4d0e-9d8e-5b0c2f7e4a12</uuid>
  <metadata>
    <nova:instance xmlns:nova='http://openstack.org/xmlns/libvirt/nova/1.1'>
      <nova:name>sgxm nova test</nova:name>
      <nova:flavor name="m1.sg'tiny">
        <nova:memory>64</nova:memory>
      </nova:flavor>
    </nova:instance>
  </metadata>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
  </os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
  </devices>
</domain>
EOF
v define "$tmp/$nova.xml" >/dev/null
dump "$nova" >"$tmp/nova.xml"
n_before=$(entry_count)
# the flavor name m1.sg'tiny single-quoted for sh
qflavor="'m1.sg'\\''tiny'"
run apply lock-memory "$nova" --yes
check "lock-memory on a Nova-managed domain is refused" eval 'fails && has "OpenStack Nova manages this domain" "$err"'
check "... and prints the flavor extra specs (flavor name quoted for the shell)" \
    has_fixed "openstack flavor set $qflavor --property hw:mem_page_size=large --property hw:locked_memory=true"
run apply hugepages "$nova" --size 1G --yes
check "hugepages --size 1G on it is refused with hw:mem_page_size=1GB" \
    eval 'fails && has_fixed "openstack flavor set $qflavor --property hw:mem_page_size=1GB"'
check "the Nova domain is unchanged and nothing was journalled" \
    eval 'is "$nova" "$tmp/nova.xml" && [[ $(entry_count) -eq $n_before ]]'
run apply lock-memory "$nova" --force
check "--force lifts the Nova refusal (dry run: a diff, nothing changed)" \
    eval 'exits 0 && has "^\+ +<locked/>\$" && is "$nova" "$tmp/nova.xml"'

# 7. errors name the domain
run apply lock-memory sgxm-no-such-domain
check "an unknown domain: exit 1, the message names it" eval 'exits 1 && has sgxm-no-such-domain "$err"'
run apply hugepages "$dom" --size 3M
check "hugepages --size 3M: exit 1, names the accepted sizes" eval 'exits 1 && has_fixed "'"'3M'"' is not 2M or 1G" "$err"'

undefine_ours
check "the test domains are undefined again" \
    eval '! v domuuid "$dom" >/dev/null 2>&1 && ! v domuuid "$nova" >/dev/null 2>&1'

tap_exit
