#!/usr/bin/env bash
# Benchmark: wait for an HTTP endpoint on 20 inventory hosts (connection: local) with
# palin.aws.http_ready against ansible.builtin.uri + until/retries/delay. Not a test; run by hand:
#   bash bench/modules/run.sh            (after scripts/setup.sh, which builds the modules)
# Scenarios: "up" (endpoints already answer 200: pure per-task cost, with a baseline play whose
# only task is a controller-side debug) and "slow" (every endpoint
# comes up 2 s after the play starts: the deploy-wait case). hyperfine times whole
# ansible-playbook runs. Results: target/bench-modules/results.md (PALIN_BENCH_OUT to change).
# Settings: PALIN_BENCH_HOSTS (20), PALIN_BENCH_FORKS (Ansible's default 5), PALIN_BENCH_RUNS (5).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$repo/bench/modules"
venv="$repo/.venv"
# The palin.aws collection: PALIN_COLLECTIONS_PATH (an installed tarball), else this checkout
# linked as the collection (modules/build.sh puts the binaries into plugins/modules/).
collections="${PALIN_COLLECTIONS_PATH:-}"
out="${PALIN_BENCH_OUT:-$repo/target/bench-modules}"
hosts="${PALIN_BENCH_HOSTS:-20}"
forks="${PALIN_BENCH_FORKS:-5}"
runs="${PALIN_BENCH_RUNS:-5}"
base_port="${PALIN_BENCH_PORT:-47100}"

if [[ -z "$collections" ]]; then
    collections="$(mktemp -d)"
    mkdir -p "$collections/ansible_collections/palin"
    ln -s "$repo" "$collections/ansible_collections/palin/aws"
fi
binary="$collections/ansible_collections/palin/aws/plugins/modules/__http_ready_$(uname -m)"
for need in "$venv/bin/ansible-playbook" "$binary"; do
    [[ -x "$need" ]] || { echo "bench: $need missing: run bash scripts/setup.sh" >&2; exit 1; }
done
command -v hyperfine >/dev/null || { echo "bench: hyperfine missing: run bash scripts/setup.sh" >&2; exit 1; }

mkdir -p "$out"
work="$(mktemp -d)"
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

{
    echo "[all]"
    for i in $(seq 1 "$hosts"); do
        printf 'host%02d bench_port=%d\n' "$i" $((base_port + i - 1))
    done
    echo
    echo "[all:vars]"
    echo "ansible_connection=local"
    echo "ansible_python_interpreter=$venv/bin/python"
} >"$work/hosts.ini"
printf '[defaults]\nforks = %s\ncollections_path = %s\nretry_files_enabled = False\nhost_key_checking = False\n' \
    "$forks" "$collections" >"$work/ansible.cfg"
export ANSIBLE_CONFIG="$work/ansible.cfg" ANSIBLE_LOCAL_TEMP="$work/local" ANSIBLE_REMOTE_TMP="$work/remote" \
    ANSIBLE_NOCOLOR=1

"$venv/bin/python" "$here/server.py" "$base_port" "$hosts" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 50); do
    grep -q serving "$work/server.log" 2>/dev/null && break
    sleep 0.1
done

play() { printf '%s/bin/ansible-playbook -i %s %s' "$venv" "$work/hosts.ini" "$here/$1"; }
# Both playbooks must pass before timing them.
for p in uri.yml palin.yml; do
    eval "$(play "$p")" >"$work/check-$p.log" || { cat "$work/check-$p.log"; exit 1; }
done

reset() {
    printf '%s/bin/python -c "import urllib.request as u; u.urlopen(u.Request(%s, method=%s))"' \
        "$venv" "'http://127.0.0.1:$base_port/reset?delay=$1'" "'POST'"
}
reset_up="$(reset 0)"
reset_slow="$(reset 2)"
hyperfine --style basic --runs "$runs" --prepare "$reset_up" \
    --export-markdown "$out/up.md" --export-json "$out/up.json" \
    -n "uri (endpoints up)" "$(play uri.yml)" -n "palin.aws.http_ready (endpoints up)" "$(play palin.yml)" \
    -n "baseline: debug task only" "$(play noop.yml)"
hyperfine --style basic --runs "$runs" --prepare "$reset_slow" \
    --export-markdown "$out/slow.md" --export-json "$out/slow.json" \
    -n "uri until/retries (up after 2 s)" "$(play uri.yml)" -n "palin_http_ready (up after 2 s)" "$(play palin.yml)"

{
    echo "# palin_http_ready vs ansible.builtin.uri: $hosts hosts, connection local, forks $forks, $runs runs"
    echo
    echo "Binary: $(stat -c %s "$binary") bytes; $("$venv/bin/ansible" --version 2>/dev/null | sed -n 1p)"
    echo
    echo "## Endpoints already up"
    cat "$out/up.md"
    echo
    echo "## Endpoints up 2 s after the play starts"
    cat "$out/slow.md"
    "$venv/bin/python" - "$out" <<'PY'
import json, sys
out = sys.argv[1]
for name in ("up", "slow"):
    r = json.load(open(f"{out}/{name}.json"))["results"]
    print(f"\n{name}: total time uri / palin_http_ready = {r[0]['mean'] / r[1]['mean']:.1f}x")
    if len(r) > 2:
        base = r[2]["mean"]
        print(f"{name}: above the baseline (module cost) uri / palin_http_ready = "
              f"{(r[0]['mean'] - base) / (r[1]['mean'] - base):.1f}x")
PY
} >"$out/results.md"
cat "$out/results.md"
