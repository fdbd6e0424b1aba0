#!/usr/bin/env bash
# Builds palin's release artefacts into dist/ (git-ignored), the same way here, in the tests and in
# the release workflow (.github/workflows/release.yml):
#   - palin_inventory-<version>-py3-none-manylinux2014_<arch>.manylinux_2_17_<arch>.musllinux_1_2_<arch>.whl
#     for x86_64 and aarch64: maturin (pyproject.toml, bindings "bin") packs the static musl
#     palin-inventory binary, so one wheel per architecture installs on glibc and musl Linux;
#   - palin-inventory-<version>-<arch>-linux-musl: the same binary, taken out of the wheel;
#   - palin-aws-<version>.tar.gz: the palin.aws collection (`ansible-galaxy collection build`, what
#     it leaves out is galaxy.yml's build_ignore) with the native module binaries of both
#     architectures, which modules/build.sh installs into plugins/modules/ first;
#   - SHA256SUMS of all of the above (`sha256sum -c SHA256SUMS` in dist/).
#
#   bash scripts/dist.sh                     # everything, both architectures, release profile
#   bash scripts/dist.sh --arch x86_64       # palin-inventory for one architecture only
#   bash scripts/dist.sh --arch x86_64 --profile fast   # a quicker, larger build (tests only)
# Options:
#   --arch ARCH      x86_64, aarch64 or all (default all; repeatable). Which palin-inventory wheels
#                    and binaries to build. The collection always carries the module binaries of
#                    every architecture modules/build.sh builds (pure Rust: cheap, and cached).
#   --profile NAME   release (default: the workspace's, opt-level s + fat LTO; what ships) or fast
#                    (opt-level 0, no LTO, 256 codegen units: a 3-4x larger, slower binary in a
#                    third of the build time, for tests that need a real static wheel; never
#                    for a release).
#   --only PART      wheels (palin-inventory wheels and binaries) or collection (the palin.aws
#                    tarball); default both. scripts/test.sh builds the collection at once and the
#                    wheel beside the other builds. SHA256SUMS covers every artefact in --out.
#   --out DIR        where the artefacts go (default: $PALIN_DIST, else dist/). The script removes
#                    the artefacts an earlier run left there of the parts it builds
#                    (palin_inventory-*.whl and palin-inventory-*-linux-musl; palin-aws-*.tar.gz),
#                    and rewrites SHA256SUMS, nothing else.
#
# Cross C compiler: aws-lc-sys (rustls' crypto, under the AWS SDK) is C, so both musl targets are
# built with `maturin --zig` (zig cc from the `ziglang` wheel; no Debian cross gcc, no musl-gcc).
# Cargo's target directory: $PALIN_DIST_TARGET_DIR, default target/dist-zig (see below).
# Needs: cargo with the rustup targets x86_64- and aarch64-unknown-linux-musl, and maturin, ziglang,
# ansible-core and antsibull-changelog at the versions pinned in requirements-dev.txt, from the
# venv $PALIN_VENV (default .venv, made by scripts/setup.sh) or else on PATH.
# Checks before it finishes: the crate, galaxy.yml and requirements.txt agree on the version
# (`antsibull-changelog lint` too); every binary is static (no program interpreter) and answers
# `--version` (aarch64 under qemu-aarch64 when the host is not aarch64, if qemu-user is installed,
# plus a --list of examples/quickstart).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

say() { printf 'dist: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

archs=()
profile=release
only=""
out="${PALIN_DIST:-$repo/dist}"
while (($#)); do
    case "$1" in
        --arch) [[ $# -ge 2 ]] || die "--arch needs a value"; archs+=("$2"); shift 2 ;;
        --arch=*) archs+=("${1#--arch=}"); shift ;;
        --profile) [[ $# -ge 2 ]] || die "--profile needs a value"; profile="$2"; shift 2 ;;
        --profile=*) profile="${1#--profile=}"; shift ;;
        --only) [[ $# -ge 2 ]] || die "--only needs a value"; only="$2"; shift 2 ;;
        --only=*) only="${1#--only=}"; shift ;;
        --out) [[ $# -ge 2 ]] || die "--out needs a value"; out="$2"; shift 2 ;;
        --out=*) out="${1#--out=}"; shift ;;
        -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument $1 (see --help)" ;;
    esac
done
((${#archs[@]})) || archs=(all)
case "$only" in
    "") build_wheels=1 build_collection=1 ;;
    wheels) build_wheels=1 build_collection=0 ;;
    collection) build_wheels=0 build_collection=1 ;;
    *) die "--only $only: expected wheels or collection" ;;
esac
want=()
for a in "${archs[@]}"; do
    case "$a" in
        all) want+=(x86_64 aarch64) ;;
        x86_64 | aarch64) want+=("$a") ;;
        *) die "--arch $a: expected x86_64, aarch64 or all" ;;
    esac
done
# shellcheck disable=SC2207 # arch names have no spaces
archs=($(printf '%s\n' "${want[@]}" | sort -u))

cargo_profile=()
case "$profile" in
    release) cargo_profile=(--release) ;;
    fast)
        cargo_profile=(
            --profile dist-fast
            --config 'profile.dist-fast.inherits="release"'
            --config 'profile.dist-fast.opt-level=0'
            --config 'profile.dist-fast.lto=false'
            --config 'profile.dist-fast.codegen-units=256'
            --config 'profile.dist-fast.incremental=false'
        )
        ;;
    *) die "--profile $profile: expected release or fast" ;;
esac

# --- tools --------------------------------------------------------------------------------------
venv="${PALIN_VENV:-$repo/.venv}"
if [[ -x "$venv/bin/python" ]]; then
    # maturin runs `python3 -m ziglang` from PATH: the venv's python has it.
    export PATH="$venv/bin:$PATH"
fi
for tool in cargo rustup maturin ansible-galaxy antsibull-changelog python3 sha256sum; do
    command -v "$tool" >/dev/null || die "$tool not found: run bash scripts/setup.sh (or install the pins of requirements-dev.txt)"
done
python3 -c 'import ziglang' 2>/dev/null || die "python3 -m ziglang not found: pip install the ziglang pin of requirements-dev.txt"
installed_targets="$(rustup target list --installed)"
for arch in "${archs[@]}"; do
    grep -qx "$arch-unknown-linux-musl" <<<"$installed_targets" ||
        die "rustup target $arch-unknown-linux-musl is not installed (rustup target add $arch-unknown-linux-musl)"
done

# --- versions -----------------------------------------------------------------------------------
version="$(cargo metadata --no-deps --format-version 1 --locked |
    python3 -c 'import json, sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "palin-inventory"))')"
collection_version="$(python3 -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["version"])' galaxy.yml 2>/dev/null)" ||
    die "cannot read the version of galaxy.yml (python3 needs PyYAML: it comes with ansible-core)"
[[ "$collection_version" == "$version" ]] ||
    die "galaxy.yml says version $collection_version, the palin-inventory crate $version: release them together"
grep -qx "palin-inventory==$version" requirements.txt ||
    die "requirements.txt must pin palin-inventory==$version (the collection's Python requirement)"
parts=()
((build_wheels)) && parts+=("palin-inventory for ${archs[*]} ($profile profile)")
((build_collection)) && parts+=("palin.aws collection")
printf -v what '%s, ' "${parts[@]}"
say "palin $version: ${what%, } -> $out"

mkdir -p "$out"
out="$(cd "$out" && pwd)"
if ((build_wheels)); then
    rm -f "$out"/palin_inventory-*.whl "$out"/palin-inventory-*-linux-musl
fi
if ((build_collection)); then
    rm -f "$out"/palin-aws-*.tar.gz
fi
rm -f "$out"/SHA256SUMS

work="$(mktemp -d "${TMPDIR:-/tmp}/palin-dist.XXXXXX")"
trap 'rm -rf "$work"' EXIT
timings=()
step_start=0
step() { step_start=$SECONDS; say "$*"; }
step_done() { timings+=("$(printf '%5ds  %s' $((SECONDS - step_start)) "$1")"); }

# is_static FILE: an ELF with no program interpreter (PT_INTERP), so no dynamic loader is needed.
is_static() {
    python3 - "$1" <<'EOF'
import struct, sys
data = open(sys.argv[1], "rb").read()
if data[:4] != b"\x7fELF" or data[4] != 2:
    sys.exit("not a 64-bit ELF file")
e = "<" if data[5] == 1 else ">"
phoff, = struct.unpack_from(e + "Q", data, 0x20)
phentsize, phnum = struct.unpack_from(e + "HH", data, 0x36)
types = [struct.unpack_from(e + "I", data, phoff + i * phentsize)[0] for i in range(phnum)]
sys.exit("has a program interpreter (dynamically linked)" if 3 in types else 0)
EOF
}

host_arch="$(uname -m)"
# runner ARCH: how to run a binary of ARCH here (nothing for the host's, qemu for aarch64 on x86_64).
runner() {
    if [[ "$1" == "$host_arch" ]]; then
        return 0
    elif [[ "$1" == aarch64 ]] && command -v qemu-aarch64 >/dev/null; then
        echo qemu-aarch64
    else
        return 1
    fi
}

# --- palin-inventory: wheels and static binaries --------------------------------------------------
# A target directory of its own: other musl builds of the workspace (app/build-context.sh) compile
# shared crates with other C compiler variables, and crates whose build scripts track those (ring,
# aws-lc-sys) would be rebuilt, with everything above them, each time the two alternate.
dist_target="${PALIN_DIST_TARGET_DIR:-${CARGO_TARGET_DIR:-$repo/target}/dist-zig}"
wheel_archs=()
((build_wheels)) && wheel_archs=("${archs[@]}")
for arch in "${wheel_archs[@]}"; do
    target="$arch-unknown-linux-musl"
    step "maturin build --zig --target $target (palin-inventory wheel, $profile)"
    # One static binary serves glibc and musl systems alike: tag the wheel for both.
    CARGO_TARGET_DIR="$dist_target" maturin build --quiet --locked --zig --target "$target" "${cargo_profile[@]}" \
        --compatibility manylinux_2_17 musllinux_1_2 --out "$out"
    wheels=("$out"/palin_inventory-"$version"-*"_$arch".whl)
    [[ ${#wheels[@]} -eq 1 && -f "${wheels[0]}" ]] || die "expected one $arch wheel in $out, found: ${wheels[*]}"
    wheel="${wheels[0]}"
    binary="$out/palin-inventory-$version-$arch-linux-musl"
    python3 - "$wheel" "palin_inventory-$version.data/scripts/palin-inventory" "$binary" <<'EOF'
import os, shutil, sys, zipfile
wheel, member, dest = sys.argv[1:]
with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(dest, "wb") as dst:
    shutil.copyfileobj(src, dst)
os.chmod(dest, 0o755)
EOF
    why="$(is_static "$binary" 2>&1)" || die "$binary is not static: $why"
    if run="$(runner "$arch")"; then
        # shellcheck disable=SC2086 # $run is empty or one word
        got="$($run "$binary" --version)"
        [[ "$got" == "palin-inventory $version" ]] || die "$binary --version printed '$got', expected 'palin-inventory $version'"
        # shellcheck disable=SC2086
        (cd examples/quickstart && env -i PATH=/usr/bin:/bin $run "$binary" --list) |
            python3 -c 'import json, sys; assert json.load(sys.stdin)["_meta"]["hostvars"], "no hosts"' ||
            die "$binary --list of examples/quickstart failed"
        say "$(basename "$binary"): static, answers --version and --list${run:+ (under $run)}"
    else
        say "$(basename "$binary"): static; not run (no way to run $arch here: install qemu-user)"
    fi
    step_done "palin-inventory $arch ($profile)"
done

# --- the collection -------------------------------------------------------------------------------
if ((build_collection)); then
    step "modules/build.sh plugins/modules (native module binaries)"
    if [[ " ${archs[*]} " == *" aarch64 "* && " ${archs[*]} " == *" x86_64 "* ]]; then
        # A full release: both architectures or nothing.
        PALIN_MODULE_TARGETS="x86_64-unknown-linux-musl aarch64-unknown-linux-musl" bash modules/build.sh "$repo/plugins/modules" >&2
    else
        bash modules/build.sh "$repo/plugins/modules" >&2
    fi
    shopt -s nullglob
    module_bins=(plugins/modules/__*_x86_64 plugins/modules/__*_aarch64)
    shopt -u nullglob
    ((${#module_bins[@]})) || die "modules/build.sh installed no module binaries into plugins/modules"
    for f in "${module_bins[@]}"; do
        why="$(is_static "$f" 2>&1)" || die "$f is not static: $why"
    done
    step_done "modules (modules/build.sh)"

    step "antsibull-changelog lint; ansible-galaxy collection build"
    antsibull-changelog lint
    # Galaxy's build reads the work tree as it is (ignored files included): only build_ignore filters.
    ANSIBLE_HOME="$work/ansible-home" ansible-galaxy collection build --force --output-path "$out" "$repo" >&2
    tarball="$out/palin-aws-$version.tar.gz"
    [[ -f "$tarball" ]] || die "ansible-galaxy did not write $tarball"
    step_done "collection (ansible-galaxy collection build)"
fi

# --- checksums --------------------------------------------------------------------------------------
# Every artefact of this version in --out, whichever run built it (a --only run leaves the other
# part's artefacts in place).
(
    cd "$out"
    shopt -s nullglob
    artefacts=(palin_inventory-"$version"-*.whl "palin-inventory-$version"-*-linux-musl palin-aws-"$version".tar.gz)
    sha256sum -- "${artefacts[@]}" >SHA256SUMS
    sha256sum --quiet -c SHA256SUMS
    ls -l -- "${artefacts[@]}" SHA256SUMS >&2
)
say "done in $SECONDS s:"
printf '  %s\n' "${timings[@]}" >&2
