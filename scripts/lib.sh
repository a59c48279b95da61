# shellcheck shell=bash
# Shared by scripts/demo.sh and scripts/test.sh: Debian packages and the build.

SG_BUILD_DEPS=(meson ninja-build pkg-config gcc libc6-dev libvirt-dev libxml2-dev
               libjson-c-dev libcriterion-dev libinih-dev libsystemd-dev)

# Installs the build dependencies that are missing (apt-get; needs root).
sg_install_build_deps() {
    local missing=() p
    for p in "${SG_BUILD_DEPS[@]}"; do
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

# sg_build DIR [MESON_ARGS...]: configures (fresh) and builds into DIR.
sg_build() {
    local dir=$1
    shift
    rm -rf "$dir"
    meson setup "$dir" -Dwerror=true "$@" >/dev/null
    ninja -C "$dir"
}
