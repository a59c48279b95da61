#!/usr/bin/env bash
# seeds.sh TARGET TESTDATA OUTDIR [SEED_JOURNAL]: fills OUTDIR with the seed corpus of
# tests/fuzz/fuzz-TARGET.c from the captured fixtures under TESTDATA (tests/data), at build
# time (nothing of it is committed). Large captures are cut into small seeds (libFuzzer
# mutates small inputs faster): smaps into runs of a few mappings, the evidence output into
# one document per section.
set -euo pipefail
target=$1 data=$2 out=$3
rm -rf "$out"
mkdir -p "$out"

# copy FILE...: each file as a seed named after its path under tests/data.
copy() {
    local f
    for f in "$@"; do
        [[ -f $f ]] && cp "$f" "$out/$(echo "${f#"$data"/}" | tr '/ ' '__')"
    done
    return 0
}

case $target in
proc-status) copy "$data"/*/proc/*/status ;;
proc-stat) copy "$data"/*/proc/*/stat "$data"/*/proc/*/task/*/stat "$data"/*/proc/*/task/*/comm \
               "$data"/*/proc/*/cmdline ;;
smaps)
    copy "$data"/*/proc/*/smaps_rollup
    # Runs of 8 mappings (a header line starts each); the run holding the 256 MiB guest RAM
    # mapping is among them.
    for f in "$data"/*/proc/*/smaps; do
        base=$(echo "${f#"$data"/}" | tr '/ ' '__')
        awk -v out="$out/$base" '/^[0-9a-f]+-[0-9a-f]+ / { if (n++ % 8 == 0) k++ } { print > (out "." k) }' "$f"
    done ;;
cgroup)
    while IFS= read -r -d '' f; do copy "$f"; done < <(find "$data"/{hybrid,v1,v2}/sys/fs/cgroup -type f -print0)
    copy "$data"/*/proc/*/cgroup ;;
hostmem) copy "$data"/*/proc/meminfo "$data"/*/proc/vmstat "$data"/*/proc/swaps \
              "$data"/*/proc/pressure/memory ;;
qga-replies) copy "$data"/guest-agent/*.json "$data"/guest-agent/*.err ;;
evidence)
    f=$data/guest-agent/evidence-output.txt
    copy "$f"
    # One document per section: the header, the section (at most 8 kB of it), @end.
    for s in tasks dmesg meminfo vmstat psi uptime; do
        {
            echo "@sg-guestprobe 1"
            # head stops reading at 8 kB: cat drains the rest, so awk never dies of SIGPIPE
            # (which pipefail would make this script's failure, now and then)
            awk -v s="@$s" '/^@/ { on = ($0 == s) } on' "$f" | { head -c 8192; cat >/dev/null; } | sed '$d'
            echo "@end"
        } > "$out/evidence-$s"
    done ;;
balloon)
    # HAND-BUILT (no capture exists: libvirt's virDomainMemoryStatStruct array): the tags
    # libvirt documents (SWAP_IN 0, SWAP_OUT 1, MAJOR_FAULT 2, USABLE 8, LAST_UPDATE 9) with
    # plausible values, as {int tag; 4 bytes padding; unsigned long long val} on x86-64.
    python3 - "$out" <<'PY'
import struct, sys
recs = [(0, 1024), (1, 4096), (2, 77), (3, 12), (4, 1000), (5, 262144), (6, 250000), (7, 200000),
        (8, 180000), (9, 1763800000), (10, 0), (11, 0), (12, 0), (13, 0)]
open(sys.argv[1] + "/all-tags", "wb").write(b"".join(struct.pack("<iIQ", t, 0, v) for t, v in recs))
open(sys.argv[1] + "/swap-only", "wb").write(b"".join(struct.pack("<iIQ", t, 0, v) for t, v in recs[:2]))
PY
    ;;
domxml | domxml-edit) copy "$data"/domxml/*.xml "$data"/domxml/edit/*.xml "$data"/*/domain-*.xml ;;
config) cp "$data/../../etc/swapguard.conf" "$out/swapguard.conf" ;;
action-journal) "$4" "$out" ;;
facts)
    n=0
    for f in "$data"/scenarios/*.jsonl; do
        # The first lines of each recording: one host and a few domain lines.
        head -n 8 "$f" | while IFS= read -r line; do
            n=$((n + 1))
            printf '%s\n' "$line" > "$out/$(basename "$f" .jsonl).$n"
        done
    done ;;
*) echo "seeds.sh: unknown target $target" >&2; exit 1 ;;
esac
