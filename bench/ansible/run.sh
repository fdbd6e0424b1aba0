#!/usr/bin/env bash
# Benchmark the time users feel: `ansible-playbook --list-hosts` of a no-op play on N EC2 instances
# (moto_server behind the replay proxy of bench/aws), through amazon.aws.aws_ec2, through
# palin-inventory as an inventory script, through the palin.aws.aws_ec2 inventory plugin, and
# through the floor: a static YAML inventory of the same host names. See bench/ansible/README.md.
#
# Writes a markdown table to stdout and to bench/ansible/results.md; progress goes to stderr.
#
# Environment:
#   NS="1000 5000"         instance counts
#   RUNS=5                 timed runs per path for N < 5000 (median reported)
#   RUNS_LARGE=3           timed runs per path for N >= 5000
#   WARMUP=1               untimed (but checked) rounds before the timed ones
#   PATHS="aws_ec2 script palin.aws static binary"   what to time (binary: palin-inventory --list
#                          alone, without Ansible, for reference)
#   PROFILE=""             paths to run once more under cProfile at each N (e.g. "palin.aws"):
#                          BENCH_DIR/nN/profile-PATH.{prof,txt}
#   PALIN_DIST=dist        where scripts/dist.sh put palin_inventory-*-<arch>.whl and
#                          palin-aws-*.tar.gz: the wheel goes into the bench venv, the collection
#                          into a collections path of its own, as users install them
#   PALIN_BIN=<file>       a palin-inventory binary instead of the wheel (work-tree development);
#                          without a collection tarball, the work tree is the collection (symlink)
#   PER_RESERVATION=500    instances per RunInstances call when seeding
#   PAGE_SIZE=500          palin's DescribeInstances page size (its default): recording asks moto
#                          for that page once before palin runs (see README: moto is slow)
#   REGION=eu-west-1       the one region of aws_ec2.yml
#   STEP_TIMEOUT=1200      seconds allowed to any one step (seeding, one run)
#   BENCH_DIR=<dir>        work files (default ${TMPDIR:-/tmp}/palin-bench-ansible); nN/ wiped per N,
#                          venv/ (ansible-core and boto3 as in PALIN_VENV, plus palin) kept
#   PALIN_VENV=<dir>       the repository's virtualenv: moto_server, the ansible package (amazon.aws)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
here="$root/bench/ansible"

ns="${NS:-1000 5000}"
warmup="${WARMUP:-1}"
paths="${PATHS:-aws_ec2 script palin.aws static binary}"
profile="${PROFILE:-}"
dist="${PALIN_DIST:-$root/dist}"
page_size="${PAGE_SIZE:-500}"
bench_dir="${BENCH_DIR:-${TMPDIR:-/tmp}/palin-bench-ansible}"
results_md="$here/results.md"

# runs, runs_large, per_reservation, region, step_timeout, venv, py; log, die, start_n, start_proxy,
# proxy_stat, write_config, clean_env; stops what they start
# shellcheck source=../aws/lib.sh
. "$root/bench/aws/lib.sh"

[[ -x "$venv/bin/moto_server" ]] || die "$venv/bin/moto_server not found: run 'bash scripts/setup.sh' first"
deps="$(echo "$venv"/lib/python3*/site-packages)"
amazon="$deps/ansible_collections/amazon/aws"
[[ -f "$amazon/MANIFEST.json" ]] || die "amazon.aws is missing from $venv (the ansible package): run 'bash scripts/setup.sh'"
for p in $paths; do
    [[ " aws_ec2 script palin.aws static binary " == *" $p "* ]] || die "PATHS: unknown path '$p'"
done
notes=()

# --- the bench venv: ansible-core, boto3 and botocore as in PALIN_VENV, on its Python, plus palin --
mkdir -p "$bench_dir"
bvenv="$bench_dir/venv"
pins="$("$py" -c 'import importlib.metadata as m; print(" ".join(f"{p}=={m.version(p)}" for p in ("ansible-core", "boto3", "botocore")))')"
base_python="$("$py" -c 'import sys; print(sys._base_executable)')"
if [[ "$(cat "$bvenv/.bench-pins" 2>/dev/null)" != "$base_python $pins" ]]; then
    log "creating the bench venv $bvenv ($pins)"
    rm -rf "$bvenv"
    "$base_python" -m venv "$bvenv"
    # shellcheck disable=SC2086 # one word per pin
    "$bvenv/bin/python" -m pip install --quiet --disable-pip-version-check $pins
    echo "$base_python $pins" >"$bvenv/.bench-pins"
fi
"$bvenv/bin/python" -m pip uninstall --quiet --yes palin-inventory >/dev/null 2>&1 || true
rm -f "$bvenv/bin/palin-inventory"
shopt -s nullglob
wheels=("$dist"/palin_inventory-*"$(uname -m)"*.whl)
tarballs=("$dist"/palin-aws-*.tar.gz)
shopt -u nullglob
if [[ -n "${PALIN_BIN:-}" ]]; then
    [[ -x "$PALIN_BIN" ]] || die "PALIN_BIN=$PALIN_BIN is not an executable file"
    ln -s "$(realpath "$PALIN_BIN")" "$bvenv/bin/palin-inventory"
    palin_from="PALIN_BIN=$(realpath "$PALIN_BIN")"
elif ((${#wheels[@]} == 1)); then
    "$bvenv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps "${wheels[0]}"
    palin_from="the wheel $(basename "${wheels[0]}")"
else
    die "expected one palin_inventory-*$(uname -m)*.whl in $dist, found ${#wheels[@]}: run scripts/dist.sh, or set PALIN_BIN to a palin-inventory binary"
fi
palin="$bvenv/bin/palin-inventory"
colls="$bench_dir/collections"
rm -rf "$colls"
if ((${#tarballs[@]} == 1)); then
    clean_env "$bench_dir" "$bvenv/bin/ansible-galaxy" collection install --no-deps --force -p "$colls" "${tarballs[0]}" >/dev/null
    collection_from="the collection $(basename "${tarballs[0]}")"
else
    ((${#tarballs[@]} == 0)) || die "expected at most one palin-aws-*.tar.gz in $dist, found ${#tarballs[@]}"
    mkdir -p "$colls/ansible_collections/palin"
    ln -s "$root" "$colls/ansible_collections/palin/aws"
    collection_from="the work tree as the collection (no tarball in $dist)"
fi
if [[ " $paths " == *" palin.aws "* && ! -f "$colls/ansible_collections/palin/aws/plugins/inventory/aws_ec2.py" ]]; then
    paths="${paths/palin.aws/}"
    notes+=("palin.aws.aws_ec2: skipped: plugins/inventory/aws_ec2.py is not in $collection_from")
    log "${notes[-1]}"
fi
printf '[defaults]\n' >"$bench_dir/ansible.cfg"
printf -- '- hosts: all\n  gather_facts: false\n  tasks: []\n' >"$bench_dir/play.yml"
commit="$(git rev-parse --short HEAD 2>/dev/null || echo '?')"
[[ -z "$(git status --porcelain -- inventory-plugin plugins 2>/dev/null)" ]] || commit="$commit + uncommitted changes"

# ansible_env HOME [VAR=VALUE ...] COMMAND...: clean_env with the bench venv first on PATH, palin's
# collections path then PALIN_VENV's (amazon.aws), an empty ansible.cfg, and a source that no
# plugin can parse made an error (not an empty inventory).
ansible_env() {
    clean_env "$1" PATH="$bvenv/bin:/usr/bin:/bin" ANSIBLE_CONFIG="$bench_dir/ansible.cfg" \
        ANSIBLE_COLLECTIONS_PATH="$colls:$deps" ANSIBLE_INVENTORY_UNPARSED_FAILED=1 "${@:2}"
}

# specs DIR CFG: set spec[PATH] to measure.py's KIND:COMMAND for each path, reading CFG's configs.
declare -A spec
specs() {
    local dir="$1" cfg="$2" playbook=("$bvenv/bin/ansible-playbook" --list-hosts "$bench_dir/play.yml" -i)
    spec[aws_ec2]="hosts:${playbook[*]} $cfg/aws_ec2.yml"
    spec[script]="hosts:PALIN_CONFIG=$cfg/aws_ec2.yml ${playbook[*]} $palin"
    spec[palin.aws]="hosts:${playbook[*]} $cfg/palin.aws_ec2.yml"
    spec[static]="hosts:${playbook[*]} $dir/static.yml"
    spec[binary]="inventory:PALIN_CONFIG=$cfg/aws_ec2.yml $palin --list"
}

# configs CFG ENDPOINT: CFG/aws_ec2.yml (amazon.aws's, also the script's PALIN_CONFIG) and
# CFG/palin.aws_ec2.yml (the same with plugin: palin.aws.aws_ec2).
configs() {
    write_config "$1" "$2"
    write_config "$1" "$2" palin.aws.aws_ec2 palin.aws_ec2.yml
}

# measure DIR CFG RUNS WARMUP N JSON PATH...: time the paths in rounds from CFG (no ansible.cfg,
# palin.yml or inventory there), each run checked to list N hosts (bench/aws/measure.py).
measure() {
    local dir="$1" cfg="$2" count="$3" warm="$4" n="$5" json="$6" p tools=()
    for p in "${@:7}"; do tools+=(--tool "$p=${spec[$p]}"); done
    rm -rf "${dir:?}/home"
    mkdir -p "$dir/home"
    (
        cd "$cfg"
        ansible_env "$dir/home" "$py" "$root/bench/aws/measure.py" time --runs "$count" --warmup "$warm" \
            --timeout "$step_timeout" --expect "$n" --json "$json" --outdir "$dir/out" "${tools[@]}" --evict "$palin"
    )
}

# profile DIR CFG PATH: PATH's ansible-playbook once under cProfile: DIR/profile-PATH.prof, and
# DIR/profile-PATH.txt with the top functions by cumulative and by own time.
profile_path() {
    local dir="$1" cfg="$2" name="$3" words env=()
    [[ "${spec[$name]}" == hosts:* ]] || die "PROFILE: $name does not run ansible-playbook"
    read -ra words <<<"${spec[$name]#hosts:}"
    while [[ "${words[0]}" == *=* ]]; do
        env+=("${words[0]}")
        words=("${words[@]:1}")
    done
    (
        cd "$cfg"
        ansible_env "$dir/home" "${env[@]}" "$bvenv/bin/python" -m cProfile -o "$dir/profile-$name.prof" "${words[@]}" \
            >/dev/null 2>"$dir/profile-$name.err"
    )
    "$py" -c 'import pstats, sys
s = pstats.Stats(sys.argv[1])
s.sort_stats("cumulative").print_stats(40)
s.sort_stats("tottime").print_stats(25)' "$dir/profile-$name.prof" >"$dir/profile-$name.txt"
    log "cProfile of $name: $dir/profile-$name.txt"
}

# same_hosts DIR PATH...: fail unless the last outputs of the paths (DIR/out/PATH.out) list the same
# host names.
same_hosts() {
    local dir="$1" p outs=()
    for p in "${@:2}"; do outs+=("$dir/out/$p.out"); done
    "$py" "$here/hosts.py" same "${outs[@]}" || die "$dir: the paths do not list the same hosts"
}

# shellcheck disable=SC2206 # one word per path
timed=($paths)
recorded=()
for p in "${timed[@]}"; do [[ "$p" == static ]] || recorded+=("$p"); done
((${#recorded[@]})) || die "PATHS=$paths: nothing reads the AWS API (the floor needs one path's host names)"
result_files=()
for n in $ns; do
    start_n "$n"

    # Record: palin's DescribeInstances page asked for once from Python (moto needs about 30 s for
    # 5,000 instances, as long as palin lets one attempt take; with --reuse palin then gets it from
    # the store), then every path once through the recording proxy, checked to list N hosts.
    start_proxy record "$dir" "$moto_url"
    configs "$dir/record" "$proxy_url"
    log "N=$n: recording (palin's page, then ${recorded[*]} once each)"
    timeout "$step_timeout" "$py" "$root/bench/aws/measure.py" floor --url "$proxy_url" --region "$region" \
        --max-results "$page_size" --runs 1 >/dev/null
    specs "$dir" "$dir/record"
    measure "$dir" "$dir/record" 1 0 "$n" "$dir/record.json" "${recorded[@]}"
    stop "$proxy_pid"
    other="$(grep -ho 'MaxResults=[0-9]*' "$dir"/store/*.json | sort -u | grep -vx "MaxResults=$page_size" || true)"
    [[ -z "$other" ]] || log "N=$n: palin asked for pages of ${other//$'\n'/ }, not PAGE_SIZE=$page_size: set PAGE_SIZE (recording waited for moto)"
    "$py" "$here/hosts.py" static --from "$dir/out/${recorded[0]}.out" --out "$dir/static.yml"
    same_hosts "$dir" "${recorded[@]}"

    start_proxy replay "$dir"
    configs "$dir/replay" "$proxy_url"
    specs "$dir" "$dir/replay"
    log "N=$n: replay: $warmup warm-up and $r timed rounds of ${timed[*]}"
    measure "$dir" "$dir/replay" "$r" "$warmup" "$n" "$dir/replay.json" "${timed[@]}"
    for p in $profile; do profile_path "$dir" "$dir/replay" "$p"; done
    if [[ " ${timed[*]} " == *" palin.aws "* && " ${timed[*]} " == *" binary "* ]]; then
        # The plugin must hand Ansible every variable, not only the host names --list-hosts shows.
        (
            cd "$dir/replay"
            ansible_env "$dir/home" "$bvenv/bin/ansible-inventory" -i palin.aws_ec2.yml --list \
                >"$dir/out/palin.aws.list.json" 2>"$dir/out/palin.aws.list.err"
        ) || die "N=$n: ansible-inventory --list through palin.aws.aws_ec2 failed; see $dir/out/palin.aws.list.err"
        "$py" "$here/hosts.py" same-vars "$dir/out/binary.out" "$dir/out/palin.aws.list.json" \
            || die "N=$n: palin.aws.aws_ec2 does not give the hosts palin-inventory's variables"
    fi
    misses="$(proxy_stat "$proxy_url" misses)"
    [[ "$misses" == 0 ]] || die "N=$n: the replay proxy missed $misses requests; see $dir/proxy-replay.log"
    stop "$proxy_pid"
    same_hosts "$dir" "${timed[@]}"
    "$py" -c 'import json, sys; d = json.load(open(sys.argv[1])); d["n"] = int(sys.argv[2]); json.dump(d, open(sys.argv[1], "w"), indent=1)' \
        "$dir/replay.json" "$n"
    result_files+=("$dir/replay.json")
    stop "$moto_pid"
done

version() { "$bvenv/bin/python" -c 'import importlib.metadata as m, sys; print(m.version(sys.argv[1]))' "$1"; }
{
    echo "\`ansible-playbook --list-hosts\` of a no-op play (hosts: all, gather_facts: false), EC2 instances in moto_server behind the replay proxy."
    echo "$(date -u +%Y-%m-%d), commit $commit, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $per_reservation instances per reservation, region $region;"
    echo "ansible-core $(version ansible-core) on Python $("$bvenv/bin/python" -c 'import platform; print(platform.python_version())'), amazon.aws $("$py" -c 'import json, sys; print(json.load(open(sys.argv[1]))["collection_info"]["version"])' "$amazon/MANIFEST.json") with boto3 $(version boto3);"
    echo "palin-inventory from $palin_from, palin.aws from $collection_from."
    echo "Wall: median of the runs; peak RSS: median of GNU time's %M (ansible-playbook, or its largest child)."
    echo
    "$py" "$here/hosts.py" report "${notes[@]/#/--note=}" "${result_files[@]}"
} >"$results_md"
cat "$results_md"
log "table written to $results_md; raw results in $bench_dir"
