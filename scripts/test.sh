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

# Each step says when it started (elapsed seconds since the suite began), so CI logs show where
# the time goes.
started=$SECONDS
step() { printf '\n== %s  [+%ds]\n' "$*" "$((SECONDS - started))"; }

# The fleet test's Debian host image (debootstrap + import, ~1 min, mostly downloads) is built in
# the background while Rust compiles; pytest waits for it (tests/fleet/hostimage.py reuses it).
mkdir -p "$repo/.tmp"
"$venv/bin/python" "$repo/tests/fleet/hostimage.py" >"$repo/.tmp/fleet-image.log" 2>&1 &
fleet_image_pid=$!

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test"
cargo test --workspace --locked

# `cargo test --workspace` has just built target/debug/palin-inventory (the integration tests run
# it); a separate `cargo build -p` would unify features differently and rebuild the AWS SDKs.

# --- Native Ansible modules (modules/) -------------------------------------------
# The static musl module binaries, into plugins/modules/ where the collection build takes them
# (a no-op when setup.sh already built the same sources).
step "modules/build.sh (static musl modules -> plugins/modules/)"
bash "$repo/modules/build.sh"

# --- What users install -------------------------------------------------------------
# The wheel and the collection tarball, built by the release script for this machine's
# architecture (the release workflow builds both architectures the same way). The tests install
# them into clean venvs (tests/installed/) and run the module and deploy tests against the
# installed collection. PALIN_TEST_DIST_PROFILE: "fast" (default: the same sources and target,
# optimised less, so CI stays within its budget; scripts/dist.sh --help) or "release" (what ships).
dist="$repo/.tmp/dist-test"
step "scripts/dist.sh --arch $(uname -m) --profile ${PALIN_TEST_DIST_PROFILE:-fast} (-> $dist)"
bash "$repo/scripts/dist.sh" --arch "$(uname -m)" --profile "${PALIN_TEST_DIST_PROFILE:-fast}" --out "$dist"
export PALIN_DIST="$dist"
collections="$repo/.tmp/test-collections"
rm -rf "$collections"
ANSIBLE_HOME="$repo/.tmp/ansible-home" "$venv/bin/ansible-galaxy" collection install --no-deps --force \
    -p "$collections" "$dist"/palin-aws-*.tar.gz >/dev/null
export PALIN_COLLECTIONS_PATH="$collections"

step "the fleet host image (built in the background since the start)"
if ! wait "$fleet_image_pid"; then
    cat "$repo/.tmp/fleet-image.log" >&2
    exit 1
fi
cat "$repo/.tmp/fleet-image.log"

# pytest-xdist: PALIN_TEST_WORKERS processes (default 2, this machine's and CI's cores), each
# taking a whole test file at a time (--dist loadfile keeps a file's module fixtures in one
# process). Much of the suite waits (SSH through the fleet's bastion, containers becoming ready,
# apt inside the fleet hosts, stalls the fault tests inject), so two files side by side finish in
# about half the time. Every test names its containers, networks, ports and temp dirs after its
# process, so the workers never share a resource. PALIN_TEST_WORKERS=0 runs in one process.
export PALIN_BIN="${PALIN_BIN:-$repo/target/debug/palin-inventory}"
workers="${PALIN_TEST_WORKERS:-2}"
step "pytest tests/ on $workers workers (PALIN_BIN=$PALIN_BIN, PALIN_DIST=$PALIN_DIST)"
"$venv/bin/python" -m pytest -q -n "$workers" --dist loadfile --durations=25 tests/
step "done"
