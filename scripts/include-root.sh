#!/bin/sh
# include-root.sh DEST SRCROOT CONFIG_H FOLDER...: makes DEST an include root
# that holds only the named FOLDERs of the source tree (as symbolic links,
# e.g. DEST/agent/core -> SRCROOT/agent/core) and config.h. meson.build
# compiles each layer against its own root, so a header of a layer the
# library does not depend on is not found: an upward include fails to build.
set -eu
dest=$1 src=$2 config=$3
shift 3
rm -rf "$dest"
mkdir -p "$dest"
ln -s "$config" "$dest/config.h"
for d in "$@"; do
    mkdir -p "$dest/$(dirname "$d")"
    ln -s "$src/$d" "$dest/$d"
done
