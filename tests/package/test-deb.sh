#!/usr/bin/env bash
# The Debian package, as an operator meets it: built from a copy of the checkout with
# `dpkg-buildpackage -us -uc -b`, checked by lintian (no errors, no warnings), holding
# every file `meson install` puts in place; installed with apt-get; `swapguard version`
# and `help`, the man pages through man(1), the unit through `systemd-analyze verify`,
# enabled but not started on a host without systemd, the bash completion loaded by
# bash-completion; then purged, leaving nothing behind.
#
# Usage: test-deb.sh SOURCE_ROOT
# Needs root (it installs and purges the package) and dpkg-buildpackage, dh, lintian;
# skips otherwise, and when swapguard is installed already or /var/lib/swapguard or
# /etc/swapguard exist (the purge would remove them). Holds /tmp/sg-package.lock.
set -uo pipefail

[ $# -eq 1 ] || { echo "usage: $0 SOURCE_ROOT" >&2; exit 2; }
src=$(cd "$1" && pwd)

# shellcheck source=tests/lib/tap.sh
source "$src/tests/lib/tap.sh"

[ "$(id -u)" -eq 0 ] || skip_all "needs root: it installs and purges the package"
missing=()
for t in dpkg-buildpackage dh lintian apt-get; do
    command -v "$t" >/dev/null || missing+=("$t")
done
[ "${#missing[@]}" -eq 0 ] ||
    skip_all "missing ${missing[*]} (scripts/test.sh installs SG_PACKAGE_DEPS of scripts/lib.sh)"

exec 9>/tmp/sg-package.lock
flock -w 900 9 || bail_out "another package test holds /tmp/sg-package.lock"

if dpkg-query -W -f='${Status}' swapguard 2>/dev/null | grep -q 'installed'; then
    skip_all "a swapguard package is installed already: this test would replace and purge it"
fi
for d in /var/lib/swapguard /etc/swapguard; do
    [ -e "$d" ] && skip_all "$d exists: purging the test package would remove it"
done

tmp=$(mktemp -d /tmp/sg-deb.XXXXXX)
installed=false
# shellcheck disable=SC2317  # called by the trap
cleanup() {
    if $installed; then
        DEBIAN_FRONTEND=noninteractive apt-get purge -y -q swapguard >/dev/null 2>&1
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

# ------------------------------------------------------------ build
# A copy of the checkout (tracked and untracked files git does not ignore), so the build
# leaves the checkout as it was.
mkdir "$tmp/swapguard"
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
    before_status=$(git -C "$src" status --porcelain 2>&1)
    (cd "$src" && git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$tmp/swapguard")
else
    (cd "$src" && tar --exclude='./build*' --exclude=./_build -cf - .) | tar -C "$tmp/swapguard" -xf -
fi
if (cd "$tmp/swapguard" && dpkg-buildpackage -us -uc -b) >"$tmp/build.log" 2>&1; then
    ok "dpkg-buildpackage -us -uc -b builds the package"
else
    not_ok "dpkg-buildpackage -us -uc -b builds the package" "$(tail -40 "$tmp/build.log")"
    bail_out "no package to check"
fi
version=$(cd "$tmp/swapguard" && dpkg-parsechangelog -S Version)
deb=$tmp/swapguard_${version}_$(dpkg --print-architecture).deb
[ -f "$deb" ] || bail_out "no $deb after the build: $(ls "$tmp")"

# lintian: E: and W: fail; I: and the rest are shown.
lintian --display-info "$tmp"/swapguard_*.changes >"$tmp/lintian.txt" 2>&1
lintian_rc=$?
if [ "$lintian_rc" -le 1 ] && ! grep -qE '^[EW]: ' "$tmp/lintian.txt"; then
    ok "lintian: no errors, no warnings"
    grep -E '^[A-Z]: ' "$tmp/lintian.txt" | diag
else
    not_ok "lintian: no errors, no warnings" "exit $lintian_rc" "$(cat "$tmp/lintian.txt")"
fi

# What meson installs (its own list, from dh's build directory) is what the package holds;
# dh_installman compresses the man pages.
dpkg-deb -c "$deb" | awk '{ print $NF }' | sed 's|^\./|/|' >"$tmp/contents"
builddir=$(find "$tmp/swapguard" -maxdepth 1 -type d -name 'obj-*' -print -quit)
if [ -z "$builddir" ] || ! meson introspect --installed "$builddir" >"$tmp/installed.json" 2>"$tmp/err"; then
    not_ok "the package holds every file meson installs" "no meson build directory: $(cat "$tmp/err" 2>/dev/null)"
else
    absent=()
    while IFS= read -r f; do
        grep -qxF -e "$f" -e "$f.gz" "$tmp/contents" || absent+=("$f")
    done < <(python3 -c 'import json, sys; print("\n".join(json.load(open(sys.argv[1])).values()))' \
                 "$tmp/installed.json")
    nfiles=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))))' "$tmp/installed.json")
    if [ "${#absent[@]}" -eq 0 ] && [ "$nfiles" -ge 6 ]; then
        ok "the package holds every file meson installs ($nfiles)"
    else
        not_ok "the package holds every file meson installs" "meson installs $nfiles; absent: ${absent[*]}"
    fi
fi
absent=()
for f in /usr/bin/swapguard /lib/systemd/system/swapguard.service /etc/swapguard/swapguard.conf \
    /lib/systemd/system/swapguard-observe.service /etc/swapguard/swapguard-observe.conf \
    /usr/share/man/man8/swapguard.8.gz /usr/share/man/man5/swapguard.conf.5.gz \
    /usr/share/bash-completion/completions/swapguard /usr/share/doc/swapguard/copyright; do
    grep -qxF "$f" "$tmp/contents" || absent+=("$f")
done
if [ "${#absent[@]}" -eq 0 ]; then
    ok "the package holds the binary, unit, config, man pages, completion and copyright"
else
    not_ok "the package holds the binary, unit, config, man pages, completion and copyright" \
        "absent: ${absent[*]}" "contents:" "$(cat "$tmp/contents")"
fi
if [ -n "${before_status+set}" ]; then
    after_status=$(git -C "$src" status --porcelain 2>&1)
    if [ "$after_status" = "$before_status" ]; then
        ok "the checkout is as it was (the build ran in a copy)"
    else
        not_ok "the checkout is as it was" "before:" "$before_status" "after:" "$after_status"
    fi
fi

# ------------------------------------------------------------ install
if DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$deb" >"$tmp/install.log" 2>&1; then
    installed=true
    ok "apt-get install ./swapguard_${version}_*.deb"
else
    not_ok "apt-get install the package" "$(tail -30 "$tmp/install.log")"
    bail_out "not installed"
fi
dpkg -L swapguard >"$tmp/files"

out=$(swapguard version 2>&1)
if [ "$(head -1 <<<"$out")" = "swapguard $version" ]; then
    ok "swapguard version: swapguard $version"
else
    not_ok "swapguard version prints the package version" "$out"
fi
out=$(swapguard help 2>&1)
if grep -q '^Commands:' <<<"$out" && grep -qE '^  diagnose ' <<<"$out"; then
    ok "swapguard help lists the commands"
else
    not_ok "swapguard help lists the commands" "$out"
fi
if dpkg-query -W -f='${Conffiles}\n' swapguard | grep -q '^ /etc/swapguard/swapguard.conf '; then
    ok "/etc/swapguard/swapguard.conf is a conffile"
else
    not_ok "/etc/swapguard/swapguard.conf is a conffile" "$(dpkg-query -W -f='${Conffiles}' swapguard)"
fi

if grep -rqsE '^path-exclude[= ]+/usr/share/man' /etc/dpkg/dpkg.cfg /etc/dpkg/dpkg.cfg.d/; then
    skip "man finds and renders the pages" "dpkg here excludes /usr/share/man (path-exclude in /etc/dpkg)"
elif command -v man >/dev/null; then
    got=$(man -w swapguard 2>&1)
    if [ "$got" = /usr/share/man/man8/swapguard.8.gz ]; then
        ok "man -w swapguard: $got"
    else
        not_ok "man -w swapguard finds the installed page" "$got"
    fi
    for page in swapguard swapguard.conf; do
        text=$(MANWIDTH=80 man "$page" 2>"$tmp/man.err")
        if grep -q '^NAME' <<<"$text" && grep -q "^       $page - " <<<"$text" && [ ! -s "$tmp/man.err" ]; then
            ok "man $page renders"
        else
            not_ok "man $page renders" "$(cat "$tmp/man.err")" "$(head -20 <<<"$text")"
        fi
    done
else
    skip "man finds and renders the pages" "man-db not installed"
fi

# The unit: systemd-analyze verify works on a file without systemd as PID 1.
if command -v systemd-analyze >/dev/null; then
    if out=$(systemd-analyze verify --man=yes /lib/systemd/system/swapguard.service \
                 /lib/systemd/system/swapguard-observe.service 2>&1) && [ -z "$out" ]; then
        ok "systemd-analyze verify: both installed units are clean (ExecStart and Documentation= pages exist)"
    else
        not_ok "systemd-analyze verify the installed units" "$out"
    fi
else
    skip "systemd-analyze verify the installed unit" "systemd-analyze not installed (package systemd)"
fi
if [ -L /etc/systemd/system/multi-user.target.wants/swapguard.service ]; then
    ok "the unit is enabled (multi-user.target.wants)"
else
    not_ok "the unit is enabled (multi-user.target.wants)" "$(ls -l /etc/systemd/system/multi-user.target.wants/ 2>&1)"
fi
if [ -e /etc/systemd/system/multi-user.target.wants/swapguard-observe.service ]; then
    not_ok "the observe-only unit is not enabled (it is the alternative to swapguard.service)"
else
    ok "the observe-only unit is not enabled (it is the alternative to swapguard.service)"
fi
if [ -d /run/systemd/system ]; then
    skip "not started without systemd" "this host runs systemd"
elif pgrep -f '^/usr/bin/swapguard agent' >/dev/null; then
    not_ok "not started on a host without systemd" "$(pgrep -af '^/usr/bin/swapguard agent')"
else
    ok "not started on a host without systemd (no swapguard agent running)"
fi

# bash-completion loads the installed script on demand, by the command's name.
if [ -r /usr/share/bash-completion/bash_completion ]; then
    out=$(bash --norc --noprofile -c '
        source /usr/share/bash-completion/bash_completion
        _completion_loader swapguard
        complete -p swapguard
        COMP_WORDS=(swapguard ap) COMP_CWORD=1 COMP_LINE="swapguard ap" COMP_POINT=12
        _swapguard swapguard ap swapguard
        printf "reply:%s\n" "${COMPREPLY[@]}"' 2>&1)
    if grep -q -- '-F _swapguard swapguard' <<<"$out" && grep -qx 'reply:apply' <<<"$out"; then
        ok "bash-completion loads the installed completion, which completes 'ap' to apply"
    else
        not_ok "bash-completion loads the installed completion" "$out"
    fi
else
    skip "bash-completion loads the installed completion" "bash-completion not installed"
fi

# ------------------------------------------------------------ purge
# What the agent leaves at run time (SIMULATED here: no agent ran): its state directory.
mkdir -m 0700 /var/lib/swapguard && echo '{}' >/var/lib/swapguard/history.jsonl
if DEBIAN_FRONTEND=noninteractive apt-get purge -y -q swapguard >"$tmp/purge.log" 2>&1; then
    installed=false
    ok "apt-get purge -y swapguard"
else
    not_ok "apt-get purge -y swapguard" "$(tail -30 "$tmp/purge.log")"
fi
left=()
while IFS= read -r f; do
    [ -d "$f" ] && continue
    [ -e "$f" ] || [ -L "$f" ] && left+=("$f")
done <"$tmp/files"
for f in /etc/swapguard /var/lib/swapguard /etc/systemd/system/multi-user.target.wants/swapguard.service \
    /var/lib/systemd/deb-systemd-helper-enabled/swapguard.service.dsh-also; do
    [ -e "$f" ] || [ -L "$f" ] && left+=("$f")
done
for d in /usr/share/swapguard /usr/share/doc/swapguard; do
    [ -e "$d" ] && left+=("$d")
done
status=$(dpkg-query -W -f='${db:Status-Status}' swapguard 2>/dev/null)
if [ "${#left[@]}" -eq 0 ] && [ "$status" != installed ] && [ "$status" != config-files ]; then
    ok "after the purge nothing is left (package files, /etc/swapguard, /var/lib/swapguard, the enable link)"
else
    not_ok "after the purge nothing is left" "status: $status" "left: ${left[*]}"
fi

plan "$n"
tap_exit
