#!/usr/bin/env bash
# Builds palin's native Ansible modules as small static musl binaries and installs them, with
# their generated sidecar docs (<module>.yml, from `<module> --doc`), where Ansible finds them:
#   bash modules/build.sh [LIBRARY_DIR]       (default: playbooks/library)
# Also builds palin-testapp (the FROM-scratch test app the module tests use); it is not installed.
# Environment: PALIN_MODULE_TARGETS (default: x86_64-unknown-linux-musl, plus
# aarch64-unknown-linux-musl when that rustup target is installed; pure Rust, linked with rust-lld,
# so no cross C compiler is needed),
# PALIN_MODULE_FEATURES (e.g. "tls" for HTTPS readiness checks), CARGO_TARGET_DIR.
# The size profile ("modules": opt-level s, fat LTO, one codegen unit, panic=abort, stripped) is
# passed with --config so the workspace's release profile stays as it is.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
library="${1:-$repo/playbooks/library}"
installed_targets="$(rustup target list --installed 2>/dev/null || true)"
default_targets="x86_64-unknown-linux-musl"
if grep -qx aarch64-unknown-linux-musl <<<"$installed_targets"; then
    default_targets+=" aarch64-unknown-linux-musl"
fi
targets="${PALIN_MODULE_TARGETS:-$default_targets}"
features="${PALIN_MODULE_FEATURES:-}"
target_dir="${CARGO_TARGET_DIR:-$repo/target}"
modules=(palin_docker_deploy palin_http_ready)

profile=(
    --config 'profile.modules.inherits="release"'
    --config 'profile.modules.opt-level="s"'
    --config 'profile.modules.lto=true'
    --config 'profile.modules.codegen-units=1'
    --config 'profile.modules.panic="abort"'
    --config 'profile.modules.strip=true'
    --config 'profile.modules.debug=false'
)
feature_args=()
if [[ -n "$features" ]]; then
    feature_args=(--features "palin-docker-deploy/$features,palin-http-ready/$features")
fi

mkdir -p "$library"
# Build output only: ignore everything in the library directory (this file included).
printf '*\n' >"$library/.gitignore"
host_arch="$(uname -m)"
for target in $targets; do
    linker=()
    if [[ "$target" == aarch64-unknown-linux-musl && -z "${CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER:-}" ]]; then
        linker=(--config 'target.aarch64-unknown-linux-musl.linker="rust-lld"')
    fi
    packages=(-p palin-docker-deploy -p palin-http-ready)
    if [[ "$target" == x86_64-unknown-linux-musl ]]; then packages+=(-p palin-testapp); fi
    cargo build --locked --quiet "${profile[@]}" "${linker[@]}" --profile modules --target "$target" \
        "${packages[@]}" --bins "${feature_args[@]}"
    arch="${target%%-*}"
    for m in "${modules[@]}"; do
        src="$target_dir/$target/modules/$m"
        if [[ "$arch" == "$host_arch" ]]; then
            install -m 0755 "$src" "$library/$m"
            "$library/$m" --doc >"$library/$m.yml.tmp"
            mv "$library/$m.yml.tmp" "$library/$m.yml"
        else
            # Another architecture: installed under an arch suffix for a wrapper to pick.
            install -m 0755 "$src" "$library/${m}_$arch"
        fi
    done
done
for f in "$library"/palin_*; do
    [[ "$f" == *.yml ]] && continue
    printf 'modules: %s (%s bytes) -> %s\n' "$(basename "$f")" "$(stat -c %s "$f")" "$library"
done
