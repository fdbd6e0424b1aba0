#!/usr/bin/env bash
# Builds palin's native Ansible modules as small static musl binaries, one per architecture, and
# installs them into the palin.aws collection's plugins/modules/ (git-ignored build output) as
#   __docker_deploy_<arch>, __http_ready_<arch>      (arch: x86_64, aarch64)
# which the action plugins plugins/action/{docker_deploy,http_ready}.py pick by the target's
# architecture; users call palin.aws.docker_deploy / palin.aws.http_ready. The "__" prefix keeps the
# binaries out of `ansible-doc -l` (ansible-core lists no plugin file whose name starts with "__");
# their docs are the committed stubs plugins/modules/{docker_deploy,http_ready}.py, which
# `python3 scripts/module_docs.py` regenerates from `<binary> --doc`.
#   bash modules/build.sh [DEST]       (default: plugins/modules of this checkout)
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
dest="${1:-$repo/plugins/modules}"
installed_targets="$(rustup target list --installed 2>/dev/null || true)"
default_targets="x86_64-unknown-linux-musl"
if grep -qx aarch64-unknown-linux-musl <<<"$installed_targets"; then
    default_targets+=" aarch64-unknown-linux-musl"
fi
targets="${PALIN_MODULE_TARGETS:-$default_targets}"
features="${PALIN_MODULE_FEATURES:-}"
target_dir="${CARGO_TARGET_DIR:-$repo/target}"
# cargo binary -> module name in the collection
declare -A modules=([palin_docker_deploy]=docker_deploy [palin_http_ready]=http_ready)

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

mkdir -p "$dest"
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
    for bin in "${!modules[@]}"; do
        install -m 0755 "$target_dir/$target/modules/$bin" "$dest/__${modules[$bin]}_$arch"
    done
done
for f in "$dest"/__docker_deploy_* "$dest"/__http_ready_*; do
    printf 'modules: %s (%s bytes) -> %s\n' "$(basename "$f")" "$(stat -c %s "$f")" "$dest"
done
# The committed docs stubs must say what these binaries print with --doc (tests/modules/test_module_docs.py).
if [[ "$dest" == "$repo/plugins/modules" ]] && ! python3 "$repo/scripts/module_docs.py" --check >/dev/null 2>&1; then
    echo "modules: plugins/modules/{docker_deploy,http_ready}.py are out of date: run python3 scripts/module_docs.py" >&2
fi
