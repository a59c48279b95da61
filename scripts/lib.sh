# shellcheck shell=bash
# Shared by scripts/demo.sh and scripts/test.sh: Debian packages and the build.

# (libncurses-dev: swapguard top; libcairo2-dev: swapguard plot; scdoc: the man pages,
# man/meson.build.)
SG_BUILD_DEPS=(meson ninja-build pkg-config gcc libc6-dev libvirt-dev libxml2-dev
               libjson-c-dev libcriterion-dev libinih-dev libsystemd-dev
               libncurses-dev libcairo2-dev scdoc libnl-genl-3-dev
               # the fuzz targets (clang's libFuzzer) and the static checks
               clang libclang-rt-14-dev clang-tools cppcheck)

# What the tests use besides the build: man-db renders the man pages (tests/build/test-man.sh),
# bash-completion and tmux drive a real bash completing (tests/cli/test-complete.sh), tmux
# drives top, xmllint checks the SVG of plot.
# shellcheck disable=SC2034  # used by scripts/test.sh
SG_TEST_DEPS=(man-db bash-completion tmux libxml2-utils)

# The package test (tests/package/test-deb.sh): dpkg-buildpackage with debhelper, lintian,
# systemd-analyze (package systemd; it verifies a unit file without systemd running).
# shellcheck disable=SC2034  # used by scripts/test.sh
SG_PACKAGE_DEPS=(dpkg-dev debhelper lintian systemd)

# Installs the build dependencies that are missing (apt-get; needs root).
sg_install_build_deps() {
    sg_install_packages "${SG_BUILD_DEPS[@]}"
}

# sg_install_packages PACKAGE...: installs those that are missing (apt-get; needs root).
sg_install_packages() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    ((${#missing[@]})) || return 0
    if [[ $(id -u) -ne 0 ]]; then
        echo "missing packages (${missing[*]}); run as root to install them" >&2
        return 1
    fi
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# sg_have_libfuzzer: is there a clang that links -fsanitize=fuzzer? (0 yes, 1 no)
sg_have_libfuzzer() {
    local d
    command -v clang >/dev/null || return 1
    d=$(mktemp -d) || return 1
    printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' >"$d/t.c"
    clang -fsanitize=fuzzer -o "$d/t" "$d/t.c" >/dev/null 2>&1
    local r=$?
    rm -rf "$d"
    return "$r"
}

# sg_build DIR [MESON_ARGS...]: configures (fresh) and builds into DIR.
sg_build() {
    local dir=$1
    shift
    rm -rf "$dir"
    meson setup "$dir" -Dwerror=true "$@" >/dev/null
    ninja -C "$dir"
}

# sg_promtool: prints the path of a promtool binary for `promtool check metrics`
# (the report tests lint the Prometheus textfile with it). One on PATH wins;
# otherwise, as root, Debian's prometheus package is fetched once with
# `apt-get download` into /var/cache/swapguard and unpacked there with
# `dpkg-deb -x` (installing the package would start a Prometheus server).
# Returns 1 (nothing printed) when neither works.
sg_promtool() {
    local cache=/var/cache/swapguard deb
    if command -v promtool >/dev/null; then
        command -v promtool
        return 0
    fi
    if [[ -x $cache/prometheus/usr/bin/promtool ]]; then
        echo "$cache/prometheus/usr/bin/promtool"
        return 0
    fi
    [[ $(id -u) -eq 0 ]] || return 1
    mkdir -p "$cache" || return 1
    deb=$(find "$cache" -maxdepth 1 -name 'prometheus_*.deb' -print -quit)
    if [[ -z $deb ]]; then
        (cd "$cache" && apt-get download -q prometheus >&2) || return 1
        deb=$(find "$cache" -maxdepth 1 -name 'prometheus_*.deb' -print -quit)
        [[ -n $deb ]] || return 1
    fi
    rm -rf "$cache/prometheus.tmp"
    dpkg-deb -x "$deb" "$cache/prometheus.tmp" >&2 || return 1
    [[ -x $cache/prometheus.tmp/usr/bin/promtool ]] || return 1
    rm -rf "$cache/prometheus"
    mv "$cache/prometheus.tmp" "$cache/prometheus"
    echo "$cache/prometheus/usr/bin/promtool"
}

# What scripts/bench.sh needs beyond the build: strace counts the system calls, smem is the
# comparison for the per-process swap figures on the real guests.
SG_BENCH_DEPS=(strace smem)
