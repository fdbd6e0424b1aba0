#!/usr/bin/env bash
# Build the palin-inventory binary to ship: the release code, linked with its functions laid out
# for how it runs.
#
#   bash scripts/build-dist.sh            # -> target/dist/palin-inventory (stripped)
#
# Why: the kernel maps a program's code in 64 KiB runs around each page it touches. The code one
# inventory run executes (about 1.8 MB of a 6.7 MB text section) is spread over the whole section,
# so nearly all of it became resident: 5.9 MiB of the 19 MiB peak at 1,000 EC2 instances.
# Linked with those functions first and together, about 2 MiB is (bench/aws/README.md).
#
# How (two links of the same code, the release profile, which keeps symbols):
#   1. cargo build --release: the training binary;
#   2. run it under valgrind's callgrind on training inputs: the AWS source (EC2, RDS, ElastiCache
#      in a moto_server on loopback, an aws_ec2.yml with compose/groups/keyed_groups, and a
#      palin.yml) and the Terraform source (examples/quickstart: --list, --graph, --host);
#   3. scripts/symbol_order.py: the functions those runs executed -> target/dist/palin-inventory.order;
#   4. relink with PALIN_SYMBOL_ORDER set (inventory-plugin/build.rs passes it to LLD's
#      --symbol-ordering-file; only palin-inventory is relinked, nothing else is rebuilt);
#   5. strip into target/dist/palin-inventory and check that it answers.
# A function the training runs miss still works; it is only placed with the cold code.
#
# Needs: x86_64-unknown-linux-gnu (rustc links it with its bundled LLD), valgrind, binutils, and
# the .venv of scripts/setup.sh (moto_server). Honours CARGO_TARGET_DIR and PALIN_VENV.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"
venv="${PALIN_VENV:-$root/.venv}"
out="$target/dist"
region=eu-west-1

say() { echo "build-dist: $*" >&2; }
die() { say "$*"; exit 1; }

host="$(rustc -vV | sed -n 's/^host: //p')"
[[ "$host" == x86_64-unknown-linux-gnu ]] ||
    die "host $host: the symbol ordering needs rustc's LLD linking for x86_64-unknown-linux-gnu"
for tool in valgrind nm strip; do
    command -v "$tool" >/dev/null || die "$tool not found (Debian: apt-get install valgrind binutils)"
done
[[ -x "$venv/bin/moto_server" ]] || die "$venv/bin/moto_server not found: run 'bash scripts/setup.sh' first"
py="$venv/bin/python"
# free_port, wait_for
. "$root/scripts/loopback.sh"

work="$(mktemp -d "${TMPDIR:-/tmp}/palin-dist.XXXXXX")"
moto_pid=""
cleanup() {
    [[ -n "$moto_pid" ]] && { kill "$moto_pid" 2>/dev/null || true; wait "$moto_pid" 2>/dev/null || true; }
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "1/5 cargo build --release (training binary)"
PALIN_SYMBOL_ORDER='' cargo build --locked --quiet --release -p palin-inventory --bin palin-inventory
bin="$target/release/palin-inventory"

say "2/5 training runs under callgrind"
port="$(free_port)"
endpoint="http://127.0.0.1:$port"
"$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
wait_for "$endpoint/moto-api/"
"$py" bench/aws/seed.py --endpoint "$endpoint" --count 200 --region "$region" --per-reservation 20 >/dev/null

mkdir -p "$work/aws" "$work/home"
cat >"$work/aws/aws_ec2.yml" <<EOF
plugin: amazon.aws.aws_ec2
regions: [$region]
endpoint_url: $endpoint
hostnames: [tag:Name, instance-id]
compose:
  ansible_host: private_ip_address
groups:
  web: "'web' in tags.get('Role', '')"
keyed_groups:
  - {key: placement.availability_zone, prefix: az}
  - {key: tags.Role, prefix: role}
EOF
cat >"$work/aws/palin.yml" <<EOF
source: aws
aws:
  regions: [$region]
  endpoint_url: $endpoint
tag_groups: [Role, Env]
EOF

# train NAME DIR [VAR=VALUE...] -- ARGS...: one callgrind profile of the training binary run with
# ARGS from DIR, in a clean environment (moto's dummy credentials and the VARs only); the run must
# succeed. The first profile's functions are placed first (scripts/symbol_order.py).
profiles=()
train() {
    local name="$1" dir="$2" vars=()
    shift 2
    while [[ "$1" != -- ]]; do vars+=("$1"); shift; done
    shift
    (
        cd "$dir"
        env -i PATH=/usr/bin:/bin HOME="$work/home" LC_ALL=C.UTF-8 \
            AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing "${vars[@]}" \
            valgrind --tool=callgrind --demangle=no --callgrind-out-file="$work/$name.callgrind" \
            "$bin" "$@" >"$work/$name.out" 2>"$work/$name.valgrind"
    ) || { tail -n 5 "$work/$name.valgrind" >&2; die "training run $name failed (its last lines above)"; }
    profiles+=("$work/$name.callgrind")
}
train aws-ec2-yml "$work/aws" PALIN_CONFIG="$work/aws/aws_ec2.yml" -- --list
train aws-palin-yml "$work/aws" PALIN_CONFIG="$work/aws/palin.yml" -- --list
train tf-list examples/quickstart -- --list
train tf-graph examples/quickstart -- --graph
train tf-host examples/quickstart -- --host web-0

say "3/5 symbol order"
mkdir -p "$out"
"$py" scripts/symbol_order.py --binary "$bin" "${profiles[@]}" >"$work/order"
mv "$work/order" "$out/palin-inventory.order"

say "4/5 relink with the symbol order"
PALIN_SYMBOL_ORDER="$out/palin-inventory.order" \
    cargo build --locked --quiet --release -p palin-inventory --bin palin-inventory

say "5/5 strip and check"
strip -o "$out/palin-inventory" "$bin"
(cd examples/quickstart && env -i PATH=/usr/bin:/bin "$out/palin-inventory" --list >"$work/check.json") ||
    die "the laid-out binary failed on examples/quickstart"
"$py" -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["_meta"]["hostvars"], "no hosts"' "$work/check.json" ||
    die "the laid-out binary printed no inventory for examples/quickstart"
say "done: $out/palin-inventory ($(stat -c %s "$out/palin-inventory") bytes; $(wc -l <"$out/palin-inventory.order") functions ordered)"
echo "$out/palin-inventory"
