#!/usr/bin/env bash
# One-time (and idempotent) set-up of everything palin's build and tests need:
#   bash scripts/setup.sh
# - Debian packages: musl-tools (static builds), hyperfine (bench), jq; PostgreSQL, Redis and
#   HAProxy for the deploy tests (tests/deploy/ starts its own servers on loopback, never the
#   packages' system services); debootstrap, nginx-light (the apt mirror) and docker-registry for the fleet test
#   (tests/fleet/: Debian hosts made with debootstrap, an apt mirror and a registry of its own)
# - rustup: rustfmt, clippy, the x86_64-unknown-linux-musl target
# - .venv at the repo root with the pinned Python tools of requirements-dev.txt
#   (ansible-core, moto[server], pytest)
# Re-running it is cheap: every step is skipped when already done.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

# Each line says when it was printed (seconds since set-up began), so CI logs show where the time goes.
say() { printf "setup: [+%ds] %s\n" "$SECONDS" "$*"; }

# --- Debian packages -------------------------------------------------------
apt_pkgs=(musl-tools hyperfine jq postgresql redis-server haproxy debootstrap nginx-light docker-registry)
missing=()
command -v musl-gcc >/dev/null 2>&1 || missing+=(musl-tools)
command -v hyperfine >/dev/null 2>&1 || missing+=(hyperfine)
command -v jq >/dev/null 2>&1 || missing+=(jq)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null && command -v psql >/dev/null 2>&1 \
    || missing+=(postgresql)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
command -v debootstrap >/dev/null 2>&1 || [[ -x /usr/sbin/debootstrap ]] || missing+=(debootstrap)
command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || missing+=(nginx-light)
command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
if ((${#missing[@]})); then
    sudo=()
    if [[ $(id -u) -ne 0 ]]; then sudo=(sudo); fi
    say "apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive DEBCONF_NOWARNINGS=yes
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    say "apt packages present (${apt_pkgs[*]})"
fi

# --- Rust toolchain pieces ---------------------------------------------------
if ! command -v rustup >/dev/null 2>&1; then
    echo "setup: rustup not found; install Rust via rustup first" >&2
    exit 1
fi
installed_components="$(rustup component list --installed 2>/dev/null || true)"
for comp in rustfmt clippy; do
    if grep -q "^${comp}-" <<<"$installed_components"; then
        say "rustup component $comp present"
    else
        say "rustup component add $comp"
        rustup component add "$comp"
    fi
done
musl_target=x86_64-unknown-linux-musl
if rustup target list --installed 2>/dev/null | grep -qx "$musl_target"; then
    say "rustup target $musl_target present"
else
    say "rustup target add $musl_target"
    rustup target add "$musl_target"
fi

# --- Native Ansible modules (modules/) -------------------------------------------
# Static musl builds of the docker_deploy and http_ready modules, installed into plugins/modules/
# (build output, git-ignored), where the palin.aws collection build takes them.
# aarch64 builds too when rustup can add the target (pure Rust, linked with rust-lld); qemu-user
# lets the tests run those binaries here. Both are best effort: x86_64 alone is enough.
if ! rustup target list --installed 2>/dev/null | grep -qx aarch64-unknown-linux-musl; then
    rustup target add aarch64-unknown-linux-musl || say "aarch64-unknown-linux-musl unavailable: x86_64 modules only"
fi
if ! command -v qemu-aarch64 >/dev/null 2>&1; then
    sudo=()
    if [[ $(id -u) -ne 0 ]]; then sudo=(sudo); fi
    export DEBIAN_FRONTEND=noninteractive DEBCONF_NOWARNINGS=yes
    qemu_install() { "${sudo[@]}" apt-get install -y -qq --no-install-recommends qemu-user >/dev/null; }
    qemu_install || { "${sudo[@]}" apt-get update -qq && qemu_install; } \
        || say "qemu-user unavailable: the aarch64 module check will be skipped"
fi
# The module build (CPU) runs in the background while pip fills the venvs (network).
say "modules/build.sh: static musl module binaries -> plugins/modules/ (in the background)"
mkdir -p "$repo/.tmp"
modules_log="$repo/.tmp/setup-modules.log"
bash "$repo/modules/build.sh" >"$modules_log" 2>&1 &
modules_pid=$!


# --- checkov (tests/terraform/) in a venv of its own -----------------------------------
# Every checkov 3.x pins packaging<24 (pytest 9 needs >=24) and ships its own hcl2 package, so it
# cannot share .venv; the pins are in tests/terraform/requirements-checkov.txt.
checkov_venv="$repo/.venv/checkov"
checkov_req="$repo/tests/terraform/requirements-checkov.txt"
checkov_stamp="$checkov_venv/.requirements-checkov.sha256"
checkov_want="$(sha256sum "$checkov_req" | cut -d' ' -f1)"
if [[ -x "$checkov_venv/bin/checkov" && -f "$checkov_stamp" && "$(cat "$checkov_stamp")" == "$checkov_want" ]]; then
    say "checkov venv up to date"
else
    say "pip install checkov into .venv/checkov (in the background)"
    checkov_log="$repo/.tmp/setup-checkov.log"
    (
        python3 -m venv --clear "$checkov_venv" \
            && "$checkov_venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$checkov_req" \
            && printf '%s\n' "$checkov_want" >"$checkov_stamp"
    ) >"$checkov_log" 2>&1 &
    checkov_pid=$!
fi

# --- Python venv ---------------------------------------------------------------
venv="$repo/.venv"
req="$repo/requirements-dev.txt"
stamp="$venv/.requirements-dev.sha256"
if [[ ! -x "$venv/bin/python" ]]; then
    say "python3 -m venv .venv"
    python3 -m venv "$venv"
fi
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    say ".venv up to date with requirements-dev.txt"
else
    say "pip install -r requirements-dev.txt into .venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
    printf '%s\n' "$want" >"$stamp"
    say "requirements-dev.txt installed"
fi
if [[ -n "${checkov_pid:-}" ]] && ! wait "$checkov_pid"; then
    cat "$checkov_log" >&2
    echo "setup: installing checkov failed" >&2
    exit 1
fi
if ! wait "$modules_pid"; then
    cat "$modules_log" >&2
    echo "setup: modules/build.sh failed" >&2
    exit 1
fi
cat "$modules_log"
say "module binaries built; checkov venv ready"

say "done ($("$venv/bin/ansible" --version | head -1), moto_server at .venv/bin/moto_server)"
