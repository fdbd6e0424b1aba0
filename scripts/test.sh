#!/usr/bin/env bash
# The whole test suite, as CI runs it:
#   bash scripts/test.sh
# rustfmt check, clippy (-D warnings), cargo test (the S3 tests need moto from
# .venv), then the Ansible end-to-end tests (pytest, tests/) against the real
# palin-inventory binary and the real ansible-core from .venv.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

venv="$repo/.venv"
if [[ ! -x "$venv/bin/python" || ! -x "$venv/bin/moto_server" || ! -x "$venv/bin/ansible" ]]; then
    echo "test: $venv is missing or incomplete: run bash scripts/setup.sh first" >&2
    exit 1
fi
export PALIN_VENV="$venv"

step() { printf '\n== %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test"
cargo test --workspace --locked

# `cargo test --workspace` has just built target/debug/palin-inventory (the integration tests run
# it); a separate `cargo build -p` would unify features differently and rebuild the AWS SDKs.
# --- Native Ansible modules (modules/) -------------------------------------------
# The static musl binaries the module tests in tests/modules/ run through ansible-playbook
# (a no-op when setup.sh already built the same sources).
step "modules/build.sh (static musl modules -> playbooks/library/)"
bash "$repo/modules/build.sh"

export PALIN_BIN="${PALIN_BIN:-$repo/target/debug/palin-inventory}"
step "pytest tests/ (PALIN_BIN=$PALIN_BIN)"
"$venv/bin/python" -m pytest -q tests/
