#!/usr/bin/env bash
# The layers hold: compiled against a layer's include root (BUILD/include/LAYER),
# a header of that layer or of one below it is found, and a header of a layer
# above it is not, so an upward include fails the build. TAP.
# Usage: test-layers.sh CC BUILD_DIR
set -u
cc=$1 build=$2
n=0 failed=0
try() { # try LAYER HEADER: 0 when a file including HEADER compiles on LAYER's root
    printf '#include "%s"\nint sg_layers_probe(void);\nint sg_layers_probe(void) { return 0; }\n' "$2" |
        "$cc" -fsyntax-only -D_GNU_SOURCE -I"$build/include/$1" $(pkg-config --cflags json-c libvirt libxml-2.0) -x c - 2>/dev/null
}
expect() { # expect ok|fail LAYER HEADER
    local want=$1 layer=$2 hdr=$3 got=fail
    try "$layer" "$hdr" && got=ok
    n=$((n + 1))
    if [[ $got == "$want" ]]; then
        echo "ok $n - $layer including $hdr: $want"
    else
        failed=$((failed + 1))
        echo "not ok $n - $layer including $hdr: expected $want, got $got"
    fi
}
expect ok   hostprobe  hostprobe/cgroup.h
expect ok   hostprobe  util/sg-util.h
expect fail hostprobe  agent/core/config.h
expect fail hostprobe  policies/facts.h
expect fail hostprobe  guestprobe/probe.h
expect fail guestprobe hostprobe/hostmem.h
expect fail policies   hostprobe/asyncpf.h
expect fail util       hostprobe/procfs.h
expect ok   core       policies/sampler.h
expect fail core       agent/actions/apply.h
expect fail core       agent/cli/cli.h
expect fail actions    agent/report/report.h
expect fail report     agent/daemon/daemon.h
expect fail daemon     agent/cli/cli.h
expect ok   cli        agent/daemon/daemon.h
echo "1..$n"
exit $((failed > 0))
