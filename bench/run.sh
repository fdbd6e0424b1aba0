#!/usr/bin/env bash
# Benchmark `palin-inventory --list` against a bare serde_json parse of the same
# Terraform state (inventory-plugin/examples/parse_only.rs). See bench/README.md.
#
# Environment:
#   N=20000            resource instance objects in the generated state
#   STATE=<file>       use this state instead of generating one
#   BENCH_DIR=<dir>    where generated states and raw results go
#                      (default: ${TMPDIR:-/tmp}/palin-bench)
#   RUNS=<n>           hyperfine --min-runs (default 10)
#   CARGO_TARGET_DIR   honoured, like cargo does
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

n="${N:-20000}"
bench_dir="${BENCH_DIR:-${TMPDIR:-/tmp}/palin-bench}"
state="${STATE:-$bench_dir/state-$n.tfstate}"
runs="${RUNS:-10}"
target="${CARGO_TARGET_DIR:-$root/target}"
results_md="$root/bench/results.md"
results_json="$bench_dir/results.json"

if ! command -v hyperfine >/dev/null 2>&1; then
    echo "run.sh: hyperfine not found (Debian/Ubuntu: apt-get install hyperfine)" >&2
    exit 1
fi

cargo build --release -p palin-inventory --bin palin-inventory --example parse_only
palin="$target/release/palin-inventory"
parse_only="$target/release/examples/parse_only"

mkdir -p "$bench_dir"
if [[ ! -s "$state" ]]; then
    python3 bench/gen_state.py "$n" "$state"
fi
state="$(cd "$(dirname "$state")" && pwd)/$(basename "$state")"

# Benchmark palin's defaults: no config file, no reveal list. Run from an empty
# directory so that no ./palin.yml or ./terraform.tfstate gets picked up.
unset PALIN_CONFIG PALIN_REVEAL
export PALIN_TFSTATE="$state"
workdir="$bench_dir/cwd"
mkdir -p "$workdir"
cd "$workdir"

# Both programs must work once before they are timed.
list_out="$bench_dir/list.json"
"$palin" --list >"$list_out"
"$parse_only" "$state" >/dev/null

size_mb="$(du -m "$state" | cut -f1)"
hosts="$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1])).get("_meta", {}).get("hostvars", {})))' "$list_out" 2>/dev/null || echo '?')"
echo "state: $state (${size_mb} MB); palin --list reports ${hosts} hosts"

if [[ -x /usr/bin/time ]]; then
    for cmd in "$palin --list" "$parse_only $state"; do
        # shellcheck disable=SC2086 # word splitting wanted: cmd is program + args
        rss_kb="$(/usr/bin/time -f '%M' $cmd 2>&1 >/dev/null | tail -n 1)"
        echo "max RSS: $((rss_kb / 1024)) MB  ($cmd)"
    done
fi

hyperfine -N --warmup 2 --min-runs "$runs" --output=null \
    --command-name "palin-inventory --list" "$palin --list" \
    --command-name "parse_only (serde_json::Value)" "$parse_only $state" \
    --export-json "$results_json" \
    --export-markdown "$results_md"

python3 - "$results_json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
palin, base = r[0]["mean"], r[1]["mean"]
print(f"ratio: palin-inventory --list / parse_only = {palin / base:.2f}x "
      f"({palin * 1000:.1f} ms / {base * 1000:.1f} ms)")
EOF
echo "markdown table: $results_md"
