#!/usr/bin/env bash
# Benchmark palin-inventory's AWS API source against the amazon.aws.aws_ec2 inventory plugin and
# a bare paginated fetch (inventory-plugin/examples/bare_fetch.rs), on N EC2 instances in
# moto_server, through a record-and-replay proxy and directly. See bench/aws/README.md.
#
# Writes a markdown table to stdout and to bench/aws/results.md; progress goes to stderr.
#
# Environment:
#   NS="100 1000 5000"     instance counts
#   RUNS=5                 timed runs per tool for N < 5000 (median reported)
#   RUNS_LARGE=3           timed runs per tool for N >= 5000
#   MODES="replay direct"  replay: through the replay proxy; direct: straight to moto_server
#   PER_RESERVATION=500    instances per RunInstances call when seeding (1 = Terraform's shape)
#   REGION=eu-west-1       the one region of aws_ec2.yml
#   STEP_TIMEOUT=1200      seconds allowed to any one step (seeding, one tool run)
#   BENCH_DIR=<dir>        work files (default ${TMPDIR:-/tmp}/palin-bench-aws); wiped per N
#   PALIN_VENV=<dir>       the virtualenv with moto_server and ansible (default .venv)
#   PALIN_BIN, BARE_BIN    use these binaries instead of building (both must be set); by default
#                          both are built with cargo build --release (the workspace's release
#                          profile; not the static musl binary of scripts/dist.sh that ships)
#   CARGO_TARGET_DIR       honoured, like cargo does
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
here="$root/bench/aws"

ns="${NS:-100 1000 5000}"
modes="${MODES:-replay direct}"
bench_dir="${BENCH_DIR:-${TMPDIR:-/tmp}/palin-bench-aws}"
target="${CARGO_TARGET_DIR:-$root/target}"
results_md="$here/results.md"

# runs, runs_large, per_reservation, region, step_timeout, venv, py; log, die, start_n, start_proxy,
# proxy_stat, write_config, clean_env; stops what they start
# shellcheck source=lib.sh
. "$here/lib.sh"

for tool in moto_server ansible-inventory ansible-doc python; do
    [[ -x "$venv/bin/$tool" ]] || die "$venv/bin/$tool not found: run 'bash scripts/setup.sh' first"
done
if ! "$venv/bin/ansible-doc" -t inventory amazon.aws.aws_ec2 >/dev/null 2>&1; then
    die "the amazon.aws collection is missing from $venv (the ansible package): run 'bash scripts/setup.sh'"
fi

if [[ -n "${PALIN_BIN:-}" && -n "${BARE_BIN:-}" ]]; then
    palin="$(realpath "$PALIN_BIN")"
    bare="$(realpath "$BARE_BIN")"
else
    log "building palin-inventory and the bare_fetch example (cargo build --release)"
    cargo build --locked --quiet --release -p palin-inventory --bin palin-inventory --example bare_fetch
    bare="$target/release/examples/bare_fetch"
    palin="$target/release/palin-inventory"
fi
[[ -x "$palin" && -x "$bare" ]] || die "missing binary: $palin or $bare"
# What was built: the commit, and a hash of any uncommitted change to the crate.
tree="$(git rev-parse --short HEAD 2>/dev/null || echo '?')"
if ! git diff --quiet HEAD -- inventory-plugin Cargo.toml Cargo.lock 2>/dev/null; then
    tree="$tree + uncommitted changes to inventory-plugin (diff sha256 $(git diff HEAD -- inventory-plugin Cargo.toml Cargo.lock | sha256sum | cut -c1-12))"
fi
[[ -n "${PALIN_BIN:-}" ]] && tree="$tree (PALIN_BIN=$palin)"

# measure DIR CONFIG_DIR ENDPOINT RUNS WARMUP N JSON: time the three tools from a clean environment:
# only PATH, a fresh HOME, a UTF-8 locale and moto's dummy credentials (no AWS_*, PALIN_* or
# ANSIBLE_* variable of the caller), run from CONFIG_DIR so no ansible.cfg or palin.yml is found.
measure() {
    local dir="$1" cfg="$2" endpoint="$3" count="$4" warmup="$5" n="$6" json="$7"
    local home="$dir/home"
    rm -rf "$home"
    mkdir -p "$home"
    (
        cd "$cfg"
        clean_env "$home" "$py" "$here/measure.py" time --runs "$count" --warmup "$warmup" --timeout "$step_timeout" --expect "$n" \
            --json "$json" --outdir "$dir/out-$(basename "$cfg")" \
            --tool "palin=inventory:PALIN_CONFIG=$cfg/aws_ec2.yml $palin --list" \
            --tool "plugin=inventory:$venv/bin/ansible-inventory -i $cfg/aws_ec2.yml --list" \
            --tool "bare=count:$bare $endpoint $region" --evict "$palin" --evict "$bare"
    )
}

mkdir -p "$bench_dir"
result_files=()
for n in $ns; do
    start_n "$n"

    # Record: each tool once through the proxy in record mode (this also checks that all three
    # report N hosts, and fills the store with every page any of them asks for).
    start_proxy record "$dir" "$moto_url"
    write_config "$dir/record" "$proxy_url"
    # The bare fetch first (no attempt timeout of its own): with --reuse the other two get its
    # recorded page when they send the same request, instead of waiting for moto again.
    log "N=$n: recording (the bare fetch, then each tool once through the proxy)"
    mkdir -p "$dir/home"
    (
        cd "$dir/record"
        clean_env "$dir/home" timeout "$step_timeout" "$bare" "$proxy_url" "$region" >/dev/null
    )
    measure "$dir" "$dir/record" "$proxy_url" 1 0 "$n" "$dir/record.json"
    stop "$proxy_pid"
    # DescribeInstances pages, "palin / plugin": palin and the bare fetch ask for palin's page size
    # (MaxResults, found in the recording), the plugin sends no MaxResults and gets moto's default
    # of 100 reservations; moto pages by reservation. Other recorded requests are not pages.
    max_results="$(grep -ho 'MaxResults=[0-9]*' "$dir"/store/*.json | head -n 1 | cut -d= -f2)"
    [[ -n "$max_results" ]] || die "N=$n: no DescribeInstances request with MaxResults was recorded"
    palin_pages="$(grep -l 'Action=DescribeInstances' "$dir"/store/*.json | xargs -r grep -l 'MaxResults=' | wc -l)"
    plugin_pages="$(grep -l 'Action=DescribeInstances' "$dir"/store/*.json | xargs -r grep -L 'MaxResults=' | wc -l)"
    pages="$palin_pages / $plugin_pages"

    if [[ " $modes " == *" replay "* ]]; then
        start_proxy replay "$dir"
        write_config "$dir/replay" "$proxy_url"
        log "N=$n: replay: $r rounds"
        measure "$dir" "$dir/replay" "$proxy_url" "$r" 1 "$n" "$dir/replay.json"
        misses="$(proxy_stat "$proxy_url" misses)"
        [[ "$misses" == 0 ]] || die "N=$n: the replay proxy missed $misses requests; see $dir/proxy-replay.log"
        floor="$("$py" "$here/measure.py" floor --url "$proxy_url" --region "$region" --max-results "$max_results" --runs 5)"
        stop "$proxy_pid"
        "$py" - "$dir/replay.json" "$n" "$pages" "$floor" <<'EOF'
import json, sys
path, n, pages, floor = sys.argv[1:]
doc = json.load(open(path))
doc.update(mode="replay", n=int(n), pages=pages, floor=json.loads(floor))
json.dump(doc, open(path, "w"), indent=1)
EOF
        result_files+=("$dir/replay.json")
    fi

    if [[ " $modes " == *" direct "* ]]; then
        write_config "$dir/direct" "$moto_url"
        log "N=$n: direct to moto_server: $r rounds"
        measure "$dir" "$dir/direct" "$moto_url" "$r" 0 "$n" "$dir/direct.json"
        "$py" - "$dir/direct.json" "$n" "$pages" <<'EOF'
import json, sys
path, n, pages = sys.argv[1:]
doc = json.load(open(path))
doc.update(mode="direct", n=int(n), pages=pages)
json.dump(doc, open(path, "w"), indent=1)
EOF
        result_files+=("$dir/direct.json")
    fi
    stop "$moto_pid"
done

((${#result_files[@]})) || die "nothing measured (MODES=$modes)"
{
    echo "palin-inventory --list vs ansible-inventory (amazon.aws.aws_ec2 from ansible $("$py" -c 'import importlib.metadata as m; print(m.version("ansible"))')) vs bare_fetch;"
    echo "$(date -u +%Y-%m-%d), commit $tree, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $per_reservation instances per reservation, region $region."
    echo "Wall: median of the runs; peak RSS: median of GNU time's %M."
    echo
    "$py" "$here/measure.py" report "${result_files[@]}"
} >"$results_md"
cat "$results_md"
log "table written to $results_md; raw results in $bench_dir"
