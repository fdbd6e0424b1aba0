#!/usr/bin/env bash
# Prepares the Docker build context of the palindrome service in DEST_DIR: a static
# x86_64 musl build of `palindrome`, the Dockerfile and the migrations.
#   bash app/build-context.sh DEST_DIR
#   docker build --build-arg VERSION=2 -t palindrome-app:2 DEST_DIR
# Honours CARGO_TARGET_DIR (default: the workspace's target/). ring needs musl-gcc.
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: $0 DEST_DIR" >&2
    exit 2
fi
dest=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
target=x86_64-unknown-linux-musl
target_dir=${CARGO_TARGET_DIR:-$root/target}
case $target_dir in /*) ;; *) target_dir=$root/$target_dir ;; esac

if ! command -v musl-gcc >/dev/null; then
    echo "$0: musl-gcc not found (Debian: apt-get install musl-tools; scripts/setup.sh installs it)" >&2
    exit 1
fi
export CC_x86_64_unknown_linux_musl=${CC_x86_64_unknown_linux_musl:-musl-gcc}

(cd "$root" && CARGO_TARGET_DIR=$target_dir cargo build --release --locked --target "$target" -p palindrome-app)

bin=$target_dir/$target/release/palindrome
if command -v file >/dev/null; then
    case $(file -b "$bin") in
        *"statically linked"* | *"static-pie linked"*) ;;
        *) echo "$0: $bin is not statically linked: $(file -b "$bin")" >&2; exit 1 ;;
    esac
fi

mkdir -p "$dest"
install -s -m 0755 "$bin" "$dest/palindrome"  # stripped: the release profile keeps symbols
install -m 0644 "$here/Dockerfile" "$dest/Dockerfile"
rm -rf "$dest/migrations"
cp -r "$here/migrations" "$dest/migrations"
echo "$dest: Dockerfile, palindrome ($(stat -c %s "$dest/palindrome") bytes), migrations/"
