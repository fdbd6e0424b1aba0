#!/usr/bin/env bash
# Fuzz every target (or the named ones) for SECONDS each, one after the other, then merge the new
# inputs into the committed corpus (minimised) and print per target: executions, exec/s, coverage
# (cov, ft), corpus size and crashes (artifacts).
#
#   fuzz/run.sh SECONDS [TARGET...]      e.g. fuzz/run.sh 60, fuzz/run.sh 600 tfstate expression
#
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). Runs under `nice -n 10`.
# libFuzzer runs in fork mode (one job at a time) and goes on after a crash, an OOM or a timeout:
# every finding lands in fuzz/artifacts/<target>/. FUZZ_JOBS=N runs N jobs in parallel.
set -euo pipefail
cd "$(dirname "$0")"

[ $# -ge 1 ] || { echo "usage: $0 SECONDS [TARGET...]" >&2; exit 2; }
secs=$1
shift
all=(tfstate palin_yml aws_ec2_yml expression module_args)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")
jobs=${FUZZ_JOBS:-1}

max_len() {
    case $1 in
        tfstate) echo 16384 ;;
        expression) echo 512 ;;
        *) echo 4096 ;;
    esac
}
dict() {
    case $1 in
        tfstate) echo dicts/json.dict ;;
        palin_yml | aws_ec2_yml) echo dicts/yaml.dict ;;
        expression) echo dicts/jinja.dict ;;
        module_args) echo dicts/module_args.dict ;;
    esac
}

[ -d seeds ] || python3 make_seeds.py >/dev/null
nice -n 10 cargo +nightly fuzz build -s none "${targets[@]/#/}" >/dev/null 2>&1 ||
    for t in "${targets[@]}"; do nice -n 10 cargo +nightly fuzz build -s none "$t"; done
bin=target/x86_64-unknown-linux-gnu/release
mkdir -p logs

summary=()
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t"
    log="logs/$t.log"
    before=$(find "artifacts/$t" -type f | wc -l)
    echo "== $t: ${secs}s (log: fuzz/$log)" >&2
    start=$(date +%s)
    nice -n 10 "$bin/$t" "corpus/$t" "seeds/$t" \
        -fork="$jobs" -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1 \
        -max_total_time="$secs" -rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=10 \
        -max_len="$(max_len "$t")" -dict="$(dict "$t")" -print_final_stats=1 \
        -artifact_prefix="artifacts/$t/" >"$log" 2>&1 || true
    took=$(($(date +%s) - start))
    # Fork mode's progress lines: "#N: cov: C ft: F corp: K exec/s: E oom/timeout/crash: a/b/c time: T".
    last=$(grep -E '^#[0-9]+: cov: ' "$log" | tail -1 || true)
    execs=$(sed -nE 's/^#([0-9]+): .*/\1/p' <<<"$last")
    cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
    ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
    faults=$(sed -nE 's/.*oom\/timeout\/crash: ([0-9\/]+).*/\1/p' <<<"$last")
    # Minimise: merge the run's corpus and the seeds into a fresh corpus of the same edge coverage.
    fresh=$(mktemp -d)
    # Edges only (no hit-count buckets, no comparison features): a corpus of a few hundred files
    # that keeps the coverage, cheap to commit and to replay.
    nice -n 10 "$bin/$t" -merge=1 -use_counters=0 -use_cmp=0 "$fresh" "corpus/$t" "seeds/$t" -max_len="$(max_len "$t")" \
        -rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=10 >"logs/$t.merge.log" 2>&1 || true
    if [ -n "$(ls -A "$fresh")" ]; then
        rm -rf "corpus/$t"
        mv "$fresh" "corpus/$t"
    else
        rm -rf "$fresh"
    fi
    files=$(find "corpus/$t" -type f | wc -l)
    size=$(( $(cat "corpus/$t"/* | wc -c) / 1024 ))
    new=$(($(find "artifacts/$t" -type f | wc -l) - before))
    rate=$(( ${execs:-0} / (took > 0 ? took : 1) ))
    summary+=("$(printf '%-12s %6ss %12s %8s %7s %7s %6s files %6s KB  oom/timeout/crash %-9s new artifacts %s' \
        "$t" "$took" "${execs:-?}" "$rate/s" "${cov:-?}" "${ft:-?}" "$files" "$size" "${faults:-?}" "$new")")
done

printf '\n%-12s %7s %12s %8s %7s %7s %s\n' target time execs exec/s cov ft corpus
printf '%s\n' "${summary[@]}"
