#!/usr/bin/env bash
# The README's quick start in one command (after `bash scripts/setup.sh`):
#   bash examples/quickstart/run.sh
# Builds palin-inventory, then, in this directory (which holds a terraform.tfstate, like any
# Terraform working directory), shows palin's group tree, one host's variables, the endpoint
# variables, and what real Ansible makes of it all.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
if [[ -z "${PALIN_BIN:-}" ]]; then
    cargo build --quiet --manifest-path "$repo/Cargo.toml" -p palin-inventory
    PALIN_BIN="$repo/target/debug/palin-inventory"
fi
cd "$here"
unset PALIN_CONFIG PALIN_TFSTATE PALIN_REVEAL TF_WORKSPACE

echo "== palin-inventory --graph"
"$PALIN_BIN" --graph
echo
echo "== palin-inventory --host web-0"
"$PALIN_BIN" --host web-0 --pretty
echo
echo "== endpoint variables (all.vars of --list)"
"$PALIN_BIN" --list | "$repo/.venv/bin/python" -c 'import json,sys; v=json.load(sys.stdin)["all"]["vars"]; print(json.dumps({k: v[k] for k in sorted(v) if k.startswith("palin_")}, indent=2))'
echo
echo "== ansible-inventory -i palin-inventory --graph"
ANSIBLE_INVENTORY_UNPARSED_FAILED=true "$repo/.venv/bin/ansible-inventory" -i "$PALIN_BIN" --graph
