#!/usr/bin/env bash
# CLI tests of swapguard against the captured trees (tests/data/{hybrid,v1,v2})
# and libvirt's test driver: no daemon, no guest. Expected values come from
# each tree's facts.env (measured at capture time), never typed here.
#
# Usage: test-cli.sh SWAPGUARD_BINARY TESTS_DATA_DIR
# Prints TAP: "ok N - desc", "not ok N - desc", "ok N - desc # SKIP reason",
# and the plan "1..N" at the end.
#
# Hand-made inputs (not captures), built in a temporary directory:
#   - copies of the hybrid tree with a chmod 000 status file and with a
#     corrupted VmSwap line;
#   - a test-driver XML whose domain names hold control characters.

# The checks pass single-quoted command strings to eval on purpose.
# shellcheck disable=SC2016
# shellcheck disable=SC2317  # the checked functions are called through check_captured
set -uo pipefail

[ $# -eq 2 ] || { echo "usage: $0 SWAPGUARD DATA_DIR" >&2; exit 2; }
sg=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
data=$(cd "$2" && pwd)
tmp=$(mktemp -d)
chmod 755 "$tmp"   # the permission test runs swapguard as nobody
trap 'rm -rf "$tmp"' EXIT

# shellcheck source=tests/lib/tap.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/lib/tap.sh"

# fact TREE KEY: a value of TREE/facts.env (sourced in a subshell).
fact() {
    # shellcheck disable=SC1090
    (. "$data/$1/facts.env" && printf '%s' "${!2}")
}

# sgt TREE ARGS...: swapguard on TREE with its test-driver XML.
sgt() {
    local tree=$1
    shift
    "$sg" -c "test://$data/$tree/testdriver.xml" --proc-root "$data/$tree" --sys-root "$data/$tree" "$@"
}

# jq_true JSON EXPR [jq args]: EXPR must yield true.
jq_true() {
    local json=$1 expr=$2
    shift 2
    if ! jq -e "$@" "$expr" <<<"$json" >/dev/null; then
        echo "jq: $expr is not true for:"
        jq -c . <<<"$json" 2>&1 | cut -c1-2000
        return 1
    fi
}

# field_eq JSON PATH VALUE: .PATH equals VALUE (a number, or a string when not numeric).
field_eq() {
    local json=$1 path=$2 v=$3
    if [[ $v =~ ^-?[0-9]+(\.[0-9]+)?$ ]]; then
        jq_true "$json" "$path == (\$v | tonumber)" --arg v "$v" || { echo "expected $path = $v"; return 1; }
    else
        jq_true "$json" "$path == \$v" --arg v "$v" || { echo "expected $path = '$v'"; return 1; }
    fi
}

# Column of the text table of 'list' for domain NAME: cut ranges of
# " %-4s %-20s %-8s %-10s %-10s %-15s %-9s %s".
list_col() {
    local table=$1 name=$2 range=$3
    awk -v n="$name" 'NR > 2 { c = substr($0, 7, 20); sub(/ +$/, "", c); if (c == n) print }' <<<"$table" |
        cut -c"$range" | sed 's/ *$//'
}

# errors_with DESC EXPECTED_REGEX COMMAND...: exit code 1, exactly one stderr line matching.
errors_with() {
    local desc=$1 re=$2 rc out err
    shift 2
    out=$("$@" 2>"$tmp/stderr")
    rc=$?
    err=$(cat "$tmp/stderr")
    if [ "$rc" -ne 1 ]; then
        not_ok "$desc" "exit code $rc, expected 1" "stderr: $err"
    elif [ "$(wc -l <"$tmp/stderr")" -ne 1 ]; then
        not_ok "$desc" "expected one stderr line, got:" "$err"
    elif ! grep -qE -- "$re" "$tmp/stderr"; then
        not_ok "$desc" "stderr does not match /$re/:" "$err"
    else
        ok "$desc"
    fi
    : "$out"
}

command -v jq >/dev/null || skip_all "jq not installed (scripts/harness.sh deps installs it)"

SQ_NAME=$(fact hybrid SQ_NAME) ODD_NAME=$(fact hybrid ODD_NAME)
SQ_PID=$(fact hybrid SQ_PID)
# shellcheck disable=SC2034 # used in eval strings
ODD_PID=$(fact hybrid ODD_PID)

# ---------------------------------------------------------------- list (text)
if table=$(sgt hybrid list --interval 0 2>"$tmp/stderr"); then
    ok "list: exit 0 on the hybrid tree"
else
    not_ok "list: exit 0 on the hybrid tree" "$(cat "$tmp/stderr")"
fi
for d in SQ ODD; do
    name=$(fact hybrid "${d}_NAME")
    got=$(list_col "$table" "$name" 40-47)
    if [ "$got" = "$(fact hybrid "${d}_PID")" ]; then
        ok "list: '$name' has the QEMU pid of the capture ($got)"
    else
        not_ok "list: '$name' has the QEMU pid of the capture" "got '$got'" "$table"
    fi
    got=$(list_col "$table" "$name" 28-38)
    if [ "$got" = running ]; then
        ok "list: '$name' is running in the State column, as virsh list says it"
    else
        not_ok "list: '$name' is running in the State column" "got '$got'" "$table"
    fi
done
got=$(list_col "$table" "$SQ_NAME" 71-85)
if [ -n "$got" ] && [ "$got" != "0 KiB" ] && [ "$got" != "-" ]; then
    ok "list: the squeezed domain's Swapped column is non-zero ($got)"
else
    not_ok "list: the squeezed domain's Swapped column is non-zero" "got '$got'" "$table"
fi
got=$(list_col "$table" "$ODD_NAME" 71-85)
if [ "$got" = "0 KiB" ]; then
    ok "list: the untouched domain's Swapped column is zero"
else
    not_ok "list: the untouched domain's Swapped column is zero" "got '$got'" "$table"
fi

# ---------------------------------------------------------------- list --json
keys=(name uuid id pid vm_rss_kib vm_swap_kib rss_shmem_kib majflt majflt_per_s cgroup_swap_bytes
      cgroup_pgmajfault cgroup_pgmajfault_per_s cgroup_swap_events_max cgroup_swap_events_fail
      psi_full_avg10)
json=$(sgt hybrid list --interval 0 --json 2>&1)
check_captured "list --json: valid JSON" jq_true "$json" '.domains | length == 2'
check_captured "list --json: every domain has the keys ${keys[*]}" \
    jq_true "$json" '[.domains[] | has($k[])] | all' --argjson k "$(printf '%s\n' "${keys[@]}" | jq -R . | jq -s .)"

domain_facts_match() {
    local tree=$1 json=$2 d=$3 name o
    name=$(fact "$tree" "${d}_NAME")
    o=$(jq -c --arg n "$name" '.domains[] | select(.name == $n)' <<<"$json")
    [ -n "$o" ] || { echo "no domain '$name' in the output"; return 1; }
    field_eq "$o" .uuid "$(fact "$tree" "${d}_UUID")" &&
    field_eq "$o" .pid "$(fact "$tree" "${d}_PID")" &&
    field_eq "$o" .vm_rss_kib "$(fact "$tree" "${d}_VMRSS_KIB")" &&
    field_eq "$o" .vm_swap_kib "$(fact "$tree" "${d}_VMSWAP_KIB")" &&
    field_eq "$o" .rss_shmem_kib "$(fact "$tree" "${d}_RSSSHMEM_KIB")" &&
    field_eq "$o" .majflt "$(fact "$tree" "${d}_MAJFLT")" &&
    field_eq "$o" .memory_kib "$(fact "$tree" "${d}_MEMORY_KIB")" &&
    field_eq "$o" .cgroup_version 1 &&
    field_eq "$o" .cgroup_memory_path "$(fact "$tree" "${d}_CGROUP_PATH")" &&
    field_eq "$o" .cgroup_swap_bytes "$(fact "$tree" "${d}_CGROUP_SWAP_BYTES")" &&
    field_eq "$o" .cgroup_pgmajfault "$(fact "$tree" "${d}_CGROUP_PGMAJFAULT")" || return 1
    if [ "$(fact "$tree" "${d}_HAS_PSI")" = 1 ]; then
        field_eq "$o" .psi_full_avg10 "$(fact "$tree" "${d}_PSI_FULL_AVG"10)"
    else
        jq_true "$o" '.psi_full_avg10 == null'
    fi
}
check_captured "list --json: '$SQ_NAME' figures equal facts.env" domain_facts_match hybrid "$json" SQ
check_captured "list --json: '$ODD_NAME' figures equal facts.env" domain_facts_match hybrid "$json" ODD
check_captured "list --json: test-driver ids are 1 and 2" jq_true "$json" '[.domains[].id] == [1, 2]'
check_captured "list --json --interval 0: rates are null" \
    jq_true "$json" '[.domains[] | .majflt_per_s, .cgroup_pgmajfault_per_s] | all(. == null)'
json2=$(sgt hybrid list --interval 0.2 --json 2>&1)
check_captured "list --json --interval 0.2: rates of an unchanging tree are 0" \
    jq_true "$json2" '[.domains[] | .majflt_per_s, .cgroup_pgmajfault_per_s] | all(. == 0)'

# ---------------------------------------------------------------- domswap
odd_uuid=$(fact hybrid ODD_UUID)
odd_id=$(jq -r --arg n "$ODD_NAME" '.domains[] | select(.name == $n) | .id' <<<"$json")
for ref in "$ODD_NAME" "$odd_uuid" "$odd_id"; do
    o=$(sgt hybrid domswap --interval 0 --json "$ref" 2>&1)
    check_captured "domswap '$ref': finds '$ODD_NAME' and its pid" \
        eval 'field_eq "$o" .name "$ODD_NAME" && field_eq "$o" .pid "$ODD_PID"'
done
if text=$(sgt hybrid domswap --interval 0 "$ODD_NAME" 2>&1) &&
   grep -qE "^  name +$ODD_NAME " <<<"$text" &&
   grep -qE "^  cgroup_memory_path +$(fact hybrid ODD_CGROUP_PATH) " <<<"$text"; then
    ok "domswap (text): name and sanitised cgroup path of '$ODD_NAME'"
else
    not_ok "domswap (text): name and sanitised cgroup path of '$ODD_NAME'" "$text"
fi
for d in SQ ODD; do
    name=$(fact hybrid "${d}_NAME")
    o=$(sgt hybrid domswap --interval 0 --json "$name" 2>&1)
    check_captured "domswap --json '$name': guest RAM swap/rss and smaps_rollup swap equal facts.env" \
        eval 'field_eq "$o" .guest_ram_swap_kib "$(fact hybrid "${d}_GUEST_RAM_SWAP_KIB")" &&
              field_eq "$o" .guest_ram_rss_kib "$(fact hybrid "${d}_GUEST_RAM_RSS_KIB")" &&
              field_eq "$o" .smaps_rollup_swap_kib "$(fact hybrid "${d}_ROLLUP_SWAP_KIB")"'
done
o=$(sgt hybrid domswap --interval 0 --json "$SQ_NAME" 2>&1)
check_captured "domswap --json: a 'sources' object names each figure's origin" \
    jq_true "$o" '(.sources | type == "object") and (.sources.guest_ram_swap_kib | test("smaps")) and (.sources.vm_swap_kib | test("VmSwap"))'
check_captured "domswap --json: one vCPU thread, 'CPU 0/TCG', with the captured tid" \
    eval 'jq_true "$o" ".vcpus | length == 1" && field_eq "$o" ".vcpus[0].comm" "CPU 0/TCG" &&
          field_eq "$o" ".vcpus[0].tid" "$(fact hybrid SQ_VCPU_TID)" && field_eq "$o" ".vcpus[0].vcpu" 0'
check_captured "domswap --json: PSI from the domain's cgroup2 group" \
    field_eq "$o" .psi_full_avg10 "$(fact hybrid SQ_PSI_FULL_AVG10)"
# The captured trees predate the swap-events reader (no memory.memsw.failcnt, no
# memory.swap.events): the figures are null, with the v1 or v2 source named.
check "domswap --json (v1 memory cgroup): cgroup_swap_events_* null, sources memory.memsw.failcnt" \
    jq_true "$o" '.cgroup_swap_events_max == null and .cgroup_swap_events_fail == null and
                  (.sources.cgroup_swap_events_max | test("memory.memsw.failcnt"))'
check "list --json (hybrid): cgroup_swap_events_* null in the captured trees" \
    jq_true "$json" '[.domains[] | .cgroup_swap_events_max, .cgroup_swap_events_fail] | all(. == null)'
if text=$(sgt hybrid domswap --interval 0 "$SQ_NAME" 2>&1) &&
    grep -qE '^  cgroup_swap_events_max +- +memory\.memsw\.failcnt' <<<"$text"; then
    ok "domswap (text): cgroup_swap_events_max with its v1 source"
else
    not_ok "domswap (text): cgroup_swap_events_max with its v1 source" "$text"
fi

# ---------------------------------------------------------------- hoststats
host_facts_match() {
    local tree=$1 o
    o=$("$sg" --proc-root "$data/$tree" --sys-root "$data/$tree" hoststats --interval 0 --json) || return 1
    field_eq "$o" .mem_total_kib "$(fact "$tree" HOST_MEMTOTAL_KIB)" &&
    field_eq "$o" .swap_total_kib "$(fact "$tree" HOST_SWAPTOTAL_KIB)" &&
    field_eq "$o" .swap_free_kib "$(fact "$tree" HOST_SWAPFREE_KIB)" &&
    field_eq "$o" .pswpin "$(fact "$tree" HOST_PSWPIN)" &&
    field_eq "$o" .pswpout "$(fact "$tree" HOST_PSWPOUT)" &&
    field_eq "$o" .pgmajfault "$(fact "$tree" HOST_PGMAJFAULT)" &&
    field_eq "$o" .psi_some_avg10 "$(fact "$tree" HOST_PSI_SOME_AVG10)" &&
    field_eq "$o" .psi_full_avg10 "$(fact "$tree" HOST_PSI_FULL_AVG10)" &&
    field_eq "$o" '.swap_devices | length' "$(fact "$tree" HOST_N_SWAPS)" &&
    field_eq "$o" '.hugepage_pools | length' "$(fact "$tree" HOST_N_HUGEPAGE_POOLS)" &&
    jq_true "$o" '.pswpin_per_s == null'
}
check_captured "hoststats --json (hybrid): values equal facts.env" host_facts_match hybrid
check_captured "hoststats --json (v2 guest, no swap): values equal facts.env" host_facts_match v2
check_captured "hoststats (text): exit 0 and lists the swap device" \
    eval '"$sg" --proc-root "$data/hybrid" --sys-root "$data/hybrid" hoststats --interval 0 | grep -q "^Swap devices"'

# ---------------------------------------------------------------- v1 and v2 trees
json=$(sgt v1 list --interval 0 --json 2>&1)
check_captured "list --json (v1): figures equal facts.env, no per-domain PSI" \
    eval 'domain_facts_match v1 "$json" SQ && domain_facts_match v1 "$json" ODD'
json=$(sgt v2 list --interval 0 --json 2>&1)
check_captured "list --json (v2): pid by -uuid, cgroup v2 path walked up from emulator, PSI" \
    eval 'field_eq "$json" ".domains[0].pid" "$(fact v2 V2_PID)" &&
          field_eq "$json" ".domains[0].cgroup_version" 2 &&
          field_eq "$json" ".domains[0].cgroup_memory_path" "$(fact v2 V2_CGROUP_PATH)" &&
          field_eq "$json" ".domains[0].cgroup_swap_bytes" "$(fact v2 V2_CGROUP_SWAP_BYTES)" &&
          field_eq "$json" ".domains[0].cgroup_usage_bytes" "$(fact v2 V2_CGROUP_CURRENT_BYTES)" &&
          field_eq "$json" ".domains[0].psi_some_avg10" "$(fact v2 V2_PSI_SOME_AVG10)" &&
          jq_true "$json" ".domains[0].cgroup_swap_events_max == null and .domains[0].cgroup_swap_events_fail == null"'

text=$(sgt v2 domswap --interval 0 sg-v2 2>&1)
if grep -qF "  cgroup_memory_path             $(fact v2 V2_CGROUP_PATH) " <<<"$text" &&
   grep -qF "/sys/fs/cgroup$(fact v2 V2_CGROUP_PATH))" <<<"$text"; then
    ok "domswap (text, v2): systemd-escaped cgroup path printed as the kernel names it"
else
    not_ok "domswap (text, v2): systemd-escaped cgroup path printed as the kernel names it" "$text"
fi

# ---------------------------------------------------------------- help
help=$("$sg" help 2>&1)
missing=""
for c in list domswap hoststats help version; do
    grep -qE "^  $c +[a-z]" <<<"$help" || missing+=" $c"
done
if [ -z "$missing" ]; then ok "help: lists every command"; else not_ok "help: lists every command" "missing:$missing" "$help"; fi
check_captured "help domswap: synopsis and options" \
    eval 'h=$("$sg" help domswap) && grep -q "swapguard domswap \[OPTIONS\] DOMAIN" <<<"$h" &&
          grep -qE "^  --interval S " <<<"$h" && grep -qE "^  --json " <<<"$h"'

# ---------------------------------------------------------------- errors
errors_with "unknown domain: exit 1, one line naming it" \
    "no domain with a matching name, UUID or id: 'no-such-domain'" sgt hybrid domswap no-such-domain
uri='qemu+unix:///system?socket=/nonexistent/libvirt-sock'
errors_with "unreachable libvirt: exit 1, one line naming the URI and how to start libvirtd" \
    "cannot connect to libvirt at '${uri//[?+.]/[&]}'.*libvirtd -d" \
    "$sg" -c "$uri" --proc-root "$data/hybrid" --sys-root "$data/hybrid" list --interval 0

# Permission denied: root reads a chmod 000 file anyway, so run as nobody.
perm="$tmp/perm"
cp -r "$data/hybrid" "$perm"
chmod -R a+rX "$perm"
chmod 000 "$perm/proc/$SQ_PID/status"
if [ "$(id -u)" -ne 0 ]; then
    skip "permission denied names the file" "needs root to run swapguard as user nobody"
elif ! command -v setpriv >/dev/null; then
    skip "permission denied names the file" "setpriv (util-linux) not installed"
else
    errors_with "permission denied: exit 1, one line naming the file" \
        "^swapguard: $perm/proc/$SQ_PID/status: Permission denied" \
        setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=/nonexistent \
        "$sg" -c "test://$perm/testdriver.xml" --proc-root "$perm" --sys-root "$perm" list --interval 0
fi

# Malformed /proc content: a corrupted VmSwap line.
bad="$tmp/bad"
cp -r "$data/hybrid" "$bad"
line=$(grep -n '^VmSwap:' "$bad/proc/$SQ_PID/status" | cut -d: -f1)
sed -i 's/^VmSwap:.*/VmSwap:\t  12x4 kB/' "$bad/proc/$SQ_PID/status"
errors_with "malformed status: exit 1, one line naming file, line and key" \
    "^swapguard: $bad/proc/$SQ_PID/status:$line: VmSwap: expected a number, got '12x4'" \
    "$sg" -c "test://$bad/testdriver.xml" --proc-root "$bad" --sys-root "$bad" list --interval 0

# ---------------------------------------------------------------- hostile names
# HAND-MADE test-driver XML: names with a tab and with U+009B (a C1 control,
# CSI), mapped to the captured processes by their UUIDs.
cat > "$tmp/ctl.xml" <<EOF
<node>
  <domain type='test'>
    <name>ctl&#9;tab</name>
    <uuid>$(fact hybrid SQ_UUID)</uuid>
    <memory unit='KiB'>$(fact hybrid SQ_MAX_MEMORY_KIB)</memory>
    <vcpu>1</vcpu>
    <os><type>hvm</type></os>
  </domain>
  <domain type='test'>
    <name>csi&#155;[31mred</name>
    <uuid>$(fact hybrid ODD_UUID)</uuid>
    <memory unit='KiB'>$(fact hybrid ODD_MAX_MEMORY_KIB)</memory>
    <vcpu>1</vcpu>
    <os><type>hvm</type></os>
  </domain>
</node>
EOF
sgc() { "$sg" -c "test://$tmp/ctl.xml" --proc-root "$data/hybrid" --sys-root "$data/hybrid" "$@"; }
table=$(sgc list --interval 0 2>&1)
if grep -qF ' ctl\x09tab ' <<<"$table" && grep -qF ' csi\xc2\x9b[31mred ' <<<"$table" &&
   ! LC_ALL=C grep -q $'[\t\x80-\xff]' <<<"$table"; then
    ok "list (text): control characters in names are escaped"
else
    not_ok "list (text): control characters in names are escaped" "$(cat -A <<<"$table")"
fi
text=$(sgc domswap --interval 0 $'ctl\ttab' 2>&1)
if grep -qE '^  name +ctl\\x09tab ' <<<"$text" && ! grep -q $'\t' <<<"$text"; then
    ok "domswap (text): the name is escaped"
else
    not_ok "domswap (text): the name is escaped" "$(cat -A <<<"$text" | head -5)"
fi
o=$(sgc list --interval 0 --json 2>&1)
check_captured "list --json: names keep their characters (JSON escapes them)" \
    jq_true "$o" '.domains[0].name == "ctl\ttab" and .domains[1].name == "csi\u009b[31mred"'
errors_with "unknown domain with a newline and ESC in its name: one escaped line" \
    "no domain with a matching name, UUID or id: 'x\\\\x1b\\[2Jy\\\\x0az'" sgc domswap $'x\e[2Jy\nz'


# diagnose and recommend on the captured hybrid tree: the test driver's domains carry the captured
# QEMU processes' UUIDs, so the verdicts come from real captured figures (one tick: no rates).
o=$(sgt hybrid diagnose --json --count 1 2>&1)
check_captured "diagnose --json (hybrid): the captured squeezed guest is host-swap-risk at 0.5, the other unknown" \
    jq_true "$o" '[.domains[].verdict] == ["host-swap-risk", "unknown"] and .domains[0].confidence == 0.5'
check_captured "diagnose --json: missing names the absent agent channel and the TCG vCPUs, once each" \
    jq_true "$o" '.domains[0].missing == "guest agent: not configured (the domain has no org.qemu.guest_agent.0 channel); async-PF counters: vCPUs run under TCG: no KVM, no async PF"'
o=$(sgt hybrid recommend --json 2>&1)
check_captured "recommend --json (hybrid): remedies for the squeezed guest only, none for the unknown one" \
    jq_true "$o" '([.recommendations[] | select(.target == "domain") | .domain] | unique) == ["'"$(fact hybrid SQ_NAME)"'"]'
errors_with "diagnose DOMAIN --all: one error" "give either DOMAIN or --all, not both" \
    sgt hybrid diagnose "$(fact hybrid SQ_NAME)" --all
errors_with "diagnose of an unknown domain: one error naming it" "no domain with a matching name, UUID or id: 'nosuch'" \
    sgt hybrid diagnose nosuch --count 1
errors_with "diagnose --count 0: the option is named" "--count" sgt hybrid diagnose --count 0
errors_with "diagnose --config of a missing file: the file is named" "/nonexistent/sg.conf" \
    sgt hybrid diagnose --config /nonexistent/sg.conf

# apply, rollback, history (dry runs and refusals; the real actions are in tests/integration/test-apply.sh).
o=$(sgt hybrid apply swapoff 2>&1)
check_captured "apply swapoff (dry run, hybrid): names the captured swapfile and the headroom check, changes nothing" \
    eval '[[ $o == *"swap device $(awk "NR == 2 { print \$1 }" "$data/hybrid/proc/swaps") (file)"* && $o == *": holds"* && $o == *"dry run"* ]]'
printf '[apply]\nstate_dir = %s/state\n[recommend]\nhost_reserve_mib = 16000000\n' "$tmp" >"$tmp/reserve.conf"
errors_with "apply swapoff with a reserve the host cannot cover: refused, naming the check" \
    "MemAvailable .* < reserve .*: refused" sgt hybrid apply swapoff --config "$tmp/reserve.conf"
errors_with "apply prefetch of the captured squeezed guest: refused, its memory limit leaves no room" \
    "memory cgroup limit 122880 KiB leaves [0-9]+ KiB free, less than the $(fact hybrid SQ_GUEST_RAM_SWAP_KIB) KiB swapped" \
    sgt hybrid apply prefetch "$(fact hybrid SQ_NAME)"
errors_with "apply of an unknown action: the actions are listed" \
    "unknown action 'nosuch' \\(expected swapoff, swap-limit, prefetch, lock-memory, hugepages, oom-protect\\)" \
    sgt hybrid apply nosuch
errors_with "apply swap-limit without a domain: asks which" "apply swap-limit: which domain" sgt hybrid apply swap-limit
errors_with "apply --size outside hugepages: refused" "--size is for hugepages only" \
    sgt hybrid apply prefetch x --size 2M
printf '[apply]\nstate_dir = %s/state\n' "$tmp" >"$tmp/state.conf"
o=$(sgt hybrid history --config "$tmp/state.conf" 2>&1)
check_captured "history without a journal: says none was applied, creates nothing" \
    eval '[[ $o == "no remedies applied yet ($tmp/state/journal.json does not exist)" && ! -e $tmp/state ]]'
o=$(sgt hybrid history --json --config "$tmp/state.conf" 2>&1)
check_captured "history --json without a journal: an empty array" jq_true "$o" '. == []'
errors_with "rollback of a non-number: refused" "'1x' is not a journal entry id" sgt hybrid rollback 1x
# Hand-made: a journal cut off mid-document.
mkdir -m 700 "$tmp/state" && printf '{"version": 1, "next_id": 2, "entries": [' >"$tmp/state/journal.json" &&
    chmod 600 "$tmp/state/journal.json"
errors_with "history of a truncated journal: the file is named, nothing is rewritten" \
    "$tmp/state/journal.json: not valid JSON" sgt hybrid history --config "$tmp/state.conf"
check_captured "the truncated journal is left as it was" \
    test "$(cat "$tmp/state/journal.json")" = '{"version": 1, "next_id": 2, "entries": ['

# report's textfile through libvirt: swapguard_domain_info carries the Nova labels of the domain
# XML (read with virDomainGetXMLDesc), and guest RAM in host swap is one figure. Hand-made: a copy
# of the hybrid test-driver XML whose squeezed domain gets Nova metadata with a hostile name.
sed '/<uuid>'"$(fact hybrid SQ_UUID)"'<\/uuid>/a\    <metadata><nova:instance xmlns:nova="http://openstack.org/xmlns/libvirt/nova/1.1"><nova:name>web "1"</nova:name><nova:flavor name="m1.small"/><nova:owner><nova:project uuid="512866f9994f4ad8916d8539a7cdeec9">acme</nova:project></nova:owner></nova:instance></metadata>' \
    "$data/hybrid/testdriver.xml" >"$tmp/nova-td.xml"
printf '[report]\nmetadata = false\ndomain_log = false\njournal = false\nhistory =\ntextfile = %s/sg.prom\n[guestprobe]\nenabled = false\n' \
    "$tmp" >"$tmp/report.conf"
o=$("$sg" -c "test://$tmp/nova-td.xml" --proc-root "$data/hybrid" --sys-root "$data/hybrid" report --all \
    --config "$tmp/report.conf" 2>&1)
# shellcheck disable=SC2034  # read through eval
want_info='swapguard_domain_info{domain="'"$(fact hybrid SQ_NAME)"'",uuid="'"$(fact hybrid SQ_UUID)"'",nova_instance_uuid="'"$(fact hybrid SQ_UUID)"'",nova_instance_name="web \"1\"",nova_project="512866f9994f4ad8916d8539a7cdeec9",nova_project_name="acme",nova_flavor="m1.small"} 1'
check_captured "report textfile: swapguard_domain_info has the Nova labels of the domain XML, escaped" \
    eval 'grep -qxF "$want_info" "$tmp/sg.prom" || { echo "$o"; grep swapguard_domain_info "$tmp/sg.prom"; false; }'
check_captured "report textfile: a domain without Nova metadata has domain and uuid only" \
    eval 'grep -qxF "swapguard_domain_info{domain=\"$(fact hybrid ODD_NAME)\",uuid=\"$(fact hybrid ODD_UUID)\"} 1" "$tmp/sg.prom"'
check_captured "report textfile: guest RAM in host swap of the squeezed domain is the larger of VmSwap and cgroup swap" \
    eval 'v=$(fact hybrid SQ_VMSWAP_KIB); c=$(fact hybrid SQ_CGROUP_SWAP_BYTES); c=$((c / 1024)); ((c > v)) && v=$c;
          grep -qxF "swapguard_domain_guest_ram_in_host_swap_bytes{domain=\"$(fact hybrid SQ_NAME)\",uuid=\"$(fact hybrid SQ_UUID)\"} $((v * 1024))" "$tmp/sg.prom" ||
          { grep guest_ram_in_host_swap "$tmp/sg.prom"; echo "want $((v * 1024))"; false; }'

plan "$n"
tap_exit
