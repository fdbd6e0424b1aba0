#!/usr/bin/env bash
# The whole test suite, as CI runs it:
#   bash scripts/test.sh
# rustfmt check, clippy (-D warnings), cargo test (the S3 tests need moto from .venv), the
# artefacts users install (scripts/dist.sh: the palin.aws collection and the palin-inventory
# wheel), then the Ansible end-to-end tests (pytest, tests/) against the real palin-inventory
# binary, the installed artefacts and the real ansible-core from .venv.
#
# Where the time goes, and why some steps overlap: the AWS SDK's EC2 crate is one huge crate, compiled
# three times (checked by clippy, built for the tests, built static for the wheel); those builds
# keep both cores busy and run one after the other (side by side they took longer in all). The
# fleet test (tests/fleet/, ~10 min) mostly waits on SSH, apt in its hosts and containers, so it
# runs in a pytest process of its own beside the wheel's build and the rest of the suite. Background
# steps write logs under .tmp/test-logs/, printed when they are waited for; the first failure ends
# the run and stops the background steps.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

venv="$repo/.venv"
if [[ ! -x "$venv/bin/python" || ! -x "$venv/bin/moto_server" || ! -x "$venv/bin/ansible" ]]; then
    echo "test: $venv is missing or incomplete: run bash scripts/setup.sh first" >&2
    exit 1
fi
export PALIN_VENV="$venv"

# Each step says when it started (elapsed seconds since the suite began).
started=$SECONDS
step() { printf '\n== %s  [+%ds]\n' "$*" "$((SECONDS - started))"; }

logs="$repo/.tmp/test-logs"
rm -rf "$logs"
mkdir -p "$logs"
declare -A bg_pid=()
# bg NAME CMD...: runs CMD in the background, its output in $logs/NAME.log.
bg() {
    local name=$1
    shift
    printf '   (background: %s -> %s)\n' "$name" "$logs/$name.log"
    "$@" >"$logs/$name.log" 2>&1 &
    bg_pid[$name]=$!
}
# wait_bg NAME: waits for NAME, prints its log, and fails the run if it failed.
wait_bg() {
    local name=$1 rc=0
    step "waiting for $name"
    wait "${bg_pid[$name]}" || rc=$?
    unset "bg_pid[$name]"
    cat "$logs/$name.log"
    if ((rc)); then
        echo "test: $name failed (exit $rc)" >&2
        exit "$rc"
    fi
}
stop_bg() {
    local pid
    for pid in "${bg_pid[@]}"; do
        pkill -TERM -P "$pid" 2>/dev/null || true
        kill -TERM "$pid" 2>/dev/null || true
    done
}
trap stop_bg EXIT

dist="$repo/.tmp/dist-test"
profile="${PALIN_TEST_DIST_PROFILE:-fast}"

# The fleet test's Debian host image (debootstrap + import, ~1 min, mostly downloads);
# tests/fleet/hostimage.py reuses it when it is already there.
bg fleet-image "$venv/bin/python" "$repo/tests/fleet/hostimage.py"

step "cargo fmt --check"
cargo fmt --all -- --check

# --- What users install ---------------------------------------------------------------------------
# The collection tarball first (seconds: the module binaries from modules/build.sh, which setup.sh
# has built, and `ansible-galaxy collection build`); the deploy and fleet tests run its roles,
# playbooks and modules as installed. The wheel for this machine's architecture is built after
# `cargo test`, beside the fleet test; tests/installed install both into clean venvs.
# PALIN_TEST_DIST_PROFILE: "fast" (default: the same sources and target, optimised less, so CI
# stays within its budget; scripts/dist.sh --help) or "release" (what ships).
step "scripts/dist.sh --only collection (-> $dist)"
bash "$repo/scripts/dist.sh" --only collection --arch "$(uname -m)" --out "$dist"
export PALIN_DIST="$dist"
collections="$repo/.tmp/test-collections"
rm -rf "$collections"
ANSIBLE_HOME="$repo/.tmp/ansible-home" "$venv/bin/ansible-galaxy" collection install --no-deps --force \
    -p "$collections" "$dist"/palin-aws-*.tar.gz >/dev/null
export PALIN_COLLECTIONS_PATH="$collections"

# The app image's static binary (target/x86_64-unknown-linux-musl/release, fat LTO: mostly one
# core), which the deploy and fleet fixtures put into the image build context
# (app/build-context.sh; a no-op there afterwards), builds beside clippy.
bg app-binary bash "$repo/app/build-context.sh" "$repo/.tmp/app-context"

step "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test"
# `cargo test --workspace` builds target/debug/palin-inventory too (the integration tests run it);
# a separate `cargo build -p` would unify features differently and rebuild the AWS SDKs.
cargo test --workspace --locked
wait_bg app-binary
wait_bg fleet-image

# --- Ansible, end to end --------------------------------------------------------------------------
# pytest-xdist: PALIN_TEST_WORKERS processes (default 3 on CI's two cores: with two, the cores
# were 43 % idle in this phase, the tests waiting on containers, Ansible and PostgreSQL), each
# taking a whole test file at a time (--dist loadfile keeps a file's module fixtures in one
# process); PALIN_TEST_WORKERS=0 runs in one process. Every test names its containers, networks,
# ports and temp dirs after its process, so the processes never share a resource. The fleet test
# (tests/fleet/, ~10 min, mostly waiting on SSH and apt) starts first, in a process of its own.
export PALIN_BIN="${PALIN_BIN:-$repo/target/debug/palin-inventory}"
workers="${PALIN_TEST_WORKERS:-3}"
step "pytest tests/fleet, in the background (PALIN_BIN=$PALIN_BIN)"
bg fleet "$venv/bin/python" -m pytest -q -p no:cacheprovider --durations=10 tests/fleet

step "scripts/dist.sh --only wheels --arch $(uname -m) --profile $profile (-> $dist)"
bash "$repo/scripts/dist.sh" --only wheels --arch "$(uname -m)" --profile "$profile" --out "$dist"

step "pytest the rest of tests/ on $workers workers (PALIN_DIST=$PALIN_DIST)"
rest=0
"$venv/bin/python" -m pytest -q -n "$workers" --dist loadfile --durations=25 tests/ --ignore=tests/fleet || rest=$?
wait_bg fleet
if ((rest)); then
    echo "test: pytest failed (exit $rest)" >&2
    exit "$rest"
fi
step "done"
