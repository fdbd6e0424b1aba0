# shellcheck shell=bash
# Shell helpers of the benchmarks that replay moto_server's EC2 answers (bench/aws/run.sh,
# bench/ansible/run.sh): starting and stopping moto_server and the replay proxy, seeding, the
# aws_ec2.yml they read and the clean environment every timed program runs in. Sourced, not run.
# The caller sets bench_dir and runs under `set -euo pipefail`. Sourcing it reads the settings
# both benchmarks share (below) and installs an EXIT trap that stops every process started
# through these helpers.

aws_bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# RUNS, RUNS_LARGE, PER_RESERVATION, REGION, STEP_TIMEOUT, PALIN_VENV: see either run.sh.
runs="${RUNS:-5}"
runs_large="${RUNS_LARGE:-3}"
per_reservation="${PER_RESERVATION:-500}"
region="${REGION:-eu-west-1}"
step_timeout="${STEP_TIMEOUT:-1200}"
venv="${PALIN_VENV:-$(cd "$aws_bench/../.." && pwd)/.venv}"
py="$venv/bin/python"

log() { echo "$(basename "$(dirname "$0")")/run.sh: $*" >&2; }
die() {
    log "$*"
    exit 1
}

[[ -x /usr/bin/time ]] || die "/usr/bin/time (GNU time) not found (Debian/Ubuntu: apt-get install time)"

# free_port, wait_for
# shellcheck source=../../scripts/loopback.sh
. "$aws_bench/../../scripts/loopback.sh"

# Everything started here is stopped on exit, however the script ends.
pids=()
stop() {
    local pid="$1"
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    local pid
    for pid in "${pids[@]}"; do stop "$pid"; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_n N: begin the round of N instances: sets dir (bench_dir/nN, emptied) and r (runs, or
# runs_large from 5,000 instances), and starts a fresh moto_server on a free loopback port
# seeded with N instances (seed.py, per_reservation of them per reservation): moto_pid, moto_url.
# shellcheck disable=SC2034,SC2154 # r and dir are the caller's; bench_dir is set by the caller
start_n() {
    local n="$1"
    r="$runs"
    ((n >= 5000)) && r="$runs_large"
    dir="$bench_dir/n$n"
    rm -rf "$dir"
    mkdir -p "$dir"
    moto_url="http://127.0.0.1:$(free_port)"
    "$venv/bin/moto_server" -H 127.0.0.1 -p "${moto_url##*:}" >"$dir/moto.log" 2>&1 &
    moto_pid=$!
    pids+=("$moto_pid")
    wait_for "$moto_url/moto-api/"
    log "N=$n: seeding moto_server ($moto_url, $per_reservation instances per reservation)"
    timeout "$step_timeout" "$py" "$aws_bench/seed.py" --endpoint "$moto_url" --count "$n" \
        --region "$region" --per-reservation "$per_reservation" >"$dir/seed.json"
    log "N=$n: seeded: $(cat "$dir/seed.json")"
}

# start_proxy MODE DIR [UPSTREAM]: start replay_proxy.py (store DIR/store), set proxy_pid and
# proxy_url. In record mode with --reuse: a request already answered with 200 comes from the store.
# shellcheck disable=SC2034 # proxy_url is the caller's
start_proxy() {
    local mode="$1" dir="$2" upstream="${3:-}" port_file="$2/proxy-$1.port"
    rm -f "$port_file"
    local args=("$mode" --store "$dir/store" --port-file "$port_file")
    [[ -n "$upstream" ]] && args+=(--upstream "$upstream" --reuse)
    "$py" "$aws_bench/replay_proxy.py" "${args[@]}" 2>>"$dir/proxy-$mode.log" &
    proxy_pid=$!
    pids+=("$proxy_pid")
    local i
    for i in $(seq 100); do
        [[ -s "$port_file" ]] && break
        kill -0 "$proxy_pid" 2>/dev/null || die "replay_proxy.py $mode exited; see $dir/proxy-$mode.log"
        sleep 0.1
        [[ $i == 100 ]] && die "replay_proxy.py $mode did not start; see $dir/proxy-$mode.log"
    done
    proxy_url="http://127.0.0.1:$(cat "$port_file")"
}

proxy_stat() { # proxy_stat URL FIELD
    "$py" -c 'import json, sys, urllib.request; print(json.load(urllib.request.urlopen(sys.argv[1] + "/__replay__/stats", timeout=10))[sys.argv[2]])' "$1" "$2"
}

# write_config DIR ENDPOINT [PLUGIN [FILE]]: DIR/FILE (default aws_ec2.yml: aws_ec2 plugins only
# read files named *aws_ec2.yml), an aws_ec2 configuration for PLUGIN (default amazon.aws.aws_ec2)
# with one region, no cache, instance IDs as host names and ansible_host composed.
write_config() {
    mkdir -p "$1"
    cat >"$1/${4:-aws_ec2.yml}" <<EOF
plugin: ${3:-amazon.aws.aws_ec2}
regions: [$region]
endpoint_url: $2
hostnames: [instance-id]
compose:
  ansible_host: private_ip_address
EOF
}

# clean_env HOME [VAR=VALUE ...] COMMAND...: run COMMAND with only PATH=/usr/bin:/bin, HOME, a
# UTF-8 locale and moto's dummy credentials (no AWS_*, PALIN_* or ANSIBLE_* variable of the
# caller), plus the VAR=VALUE words given (a later PATH=... replaces the default).
clean_env() {
    env -i PATH=/usr/bin:/bin HOME="$1" LC_ALL=C.UTF-8 \
        AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing "${@:2}"
}
