#!/usr/bin/env python3
"""Host lists and the report of bench/ansible/run.sh (Python standard library only).

    hosts.py static --from OUTPUT --out static.yml
    hosts.py same OUTPUT...
    hosts.py same-vars REFERENCE.json OTHER.json
    hosts.py report [--note TEXT ...] RESULTS.json... > table.md

``static`` writes the floor's inventory: a YAML inventory with the host names of OUTPUT (an
``ansible-playbook --list-hosts`` output, or an Ansible ``--list`` JSON document) and no variables.
``same`` fails (exit 1, naming the paths and a few names that differ) unless every OUTPUT lists
the same host names; ``run.sh`` calls it once per N, on the last output of every path.
``same-vars`` fails unless two ``--list`` documents give every host the same variables, Ansible's
"unsafe" wrappers aside (run.sh: ``palin-inventory --list`` against ``ansible-inventory --list``
through palin.aws.aws_ec2). ``report``
turns the JSON files of ``bench/aws/measure.py time`` (plus ``n``) into the markdown table of
bench/ansible/README.md, with the issue's goals. The ``--list-hosts`` parser and the number
formats are ``bench/aws/measure.py``'s.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "aws"))
from measure import fmt_mib, fmt_ms, listed_hosts  # noqa: E402 (the path above first)

# The paths run.sh times, in the order of the table, with what each row says.
PATHS = {
    "aws_ec2": "`amazon.aws.aws_ec2`",
    "script": "palin-inventory as a script (`-i palin-inventory`, `PALIN_CONFIG=aws_ec2.yml`)",
    "palin.aws": "`palin.aws.aws_ec2`",
    "static": "floor: static YAML inventory, same host names, no variables",
    "binary": "`palin-inventory --list` alone, no Ansible (reference)",
}


def host_names(path: Path) -> list[str]:
    text = path.read_text()
    try:
        if text.lstrip().startswith("{"):
            return list(json.loads(text)["_meta"]["hostvars"])
        return listed_hosts(text)
    except (ValueError, KeyError) as e:
        sys.exit(f"hosts.py: {path}: no host list ({e!r})")


def cmd_static(args: argparse.Namespace) -> int:
    names = host_names(args.source)
    # JSON strings are YAML double-quoted scalars: any host name is written safely.
    lines = ["# The host names of " + args.source.name + ", no variables (bench/ansible/run.sh).", "all:", "  hosts:"]
    lines += [f"    {json.dumps(name)}:" for name in names]
    args.out.write_text("\n".join(lines) + "\n")
    return 0


def cmd_same(args: argparse.Namespace) -> int:
    lists = {path: sorted(host_names(path)) for path in args.outputs}
    first, reference = next(iter(lists.items()))
    bad = []
    for path, names in lists.items():
        if names != reference:
            missing = sorted(set(reference) - set(names))[:5]
            extra = sorted(set(names) - set(reference))[:5]
            bad.append(f"{path}: {len(names)} hosts against {len(reference)} in {first}; missing {missing}, extra {extra}")
    if bad:
        print("hosts.py same: the paths list different hosts:\n  " + "\n  ".join(bad), file=sys.stderr)
        return 1
    print(f"hosts.py same: {len(lists)} outputs list the same {len(reference)} hosts", file=sys.stderr)
    return 0


def plain(value):
    """A variable as ``ansible-inventory --list`` wrote it, with its ``{"__ansible_unsafe": TEXT}``
    wrappers (strings Ansible will not template, ansible-core >= 2.19) replaced by the text."""
    if isinstance(value, dict):
        if value.keys() == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def cmd_same_vars(args: argparse.Namespace) -> int:
    docs = [plain(json.loads(path.read_text())["_meta"]["hostvars"]) for path in (args.reference, args.other)]
    bad = sorted(h for h in docs[0].keys() | docs[1].keys() if docs[0].get(h) != docs[1].get(h))
    if bad:
        a, b = docs[0].get(bad[0], {}), docs[1].get(bad[0], {})
        keys = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
        print(
            f"hosts.py same-vars: {len(bad)} of {len(docs[0])} hosts have other variables in {args.other} than in "
            f"{args.reference}; {bad[0]}: {keys[:8]}",
            file=sys.stderr,
        )
        return 1
    print(f"hosts.py same-vars: the same variables for all {len(docs[0])} hosts", file=sys.stderr)
    return 0


def ratio(a: dict, b: dict) -> float:
    return a["wall_s"] / b["wall_s"]


def cmd_report(args: argparse.Namespace) -> int:
    docs = sorted((json.loads(Path(p).read_text()) for p in args.results), key=lambda d: d["n"])
    out = [
        "| N | path | wall ms (median) | fastest–slowest ms | peak RSS MiB (median) | aws_ec2 / path (time) | path / floor (time) | runs |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for d in docs:
        base, floor = d.get("aws_ec2"), d.get("static")
        for name, label in PATHS.items():
            if name not in d:
                continue
            r = d[name]
            playbook = name != "binary"
            speedup = f"{ratio(base, r):.1f}×" if base and playbook else "—"
            over_floor = f"{ratio(r, floor):.2f}×" if floor and playbook else "—"
            out.append(
                f"| {d['n']:,} | {label} | {fmt_ms(r['wall_s'])} | {fmt_ms(r['wall_min_s'])}–{fmt_ms(r['wall_max_s'])} "
                f"| {fmt_mib(r['rss_kib'])} | {speedup} | {over_floor} | {r['runs']} |"
            )
    out += ["", "Goals (issue 13), end to end, `ansible-playbook --list-hosts` through `palin.aws.aws_ec2`:"]
    goals = [(1000, "≥ 5× faster than amazon.aws.aws_ec2", 5.0), (5000, "≥ 10× faster than amazon.aws.aws_ec2", 10.0)]
    by_n = {d["n"]: d for d in docs}
    for n, text, want in goals:
        d = by_n.get(n, {})
        if "palin.aws" in d and "aws_ec2" in d:
            got = ratio(d["aws_ec2"], d["palin.aws"])
            out.append(f"- N = {n:,}: {text}: {got:.1f}× — {'met' if got >= want else 'MISSED'}")
        else:
            out.append(f"- N = {n:,}: {text}: not measured")
    d = by_n.get(5000, {})
    if "palin.aws" in d and "static" in d:
        got = ratio(d["palin.aws"], d["static"])
        out.append(f"- N = 5,000: within 2× of the floor: {got:.2f}× — {'met' if got <= 2 else 'MISSED'}")
    else:
        out.append("- N = 5,000: within 2× of the floor: not measured")
    scripts = [f"{d['n']:,}: {ratio(d['aws_ec2'], d['script']):.1f}×" for d in docs if "script" in d and "aws_ec2" in d]
    if scripts:
        out.append(f"- for comparison, the script path against aws_ec2: {', '.join(scripts)}")
    out += [f"- {note}" for note in args.note]
    print("\n".join(out))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("static")
    s.add_argument("--from", dest="source", type=Path, required=True)
    s.add_argument("--out", type=Path, required=True)
    c = sub.add_parser("same")
    c.add_argument("outputs", nargs="+", type=Path)
    v = sub.add_parser("same-vars")
    v.add_argument("reference", type=Path)
    v.add_argument("other", type=Path)
    r = sub.add_parser("report")
    r.add_argument("--note", action="append", default=[], help="a line added under the goals")
    r.add_argument("results", nargs="+")
    args = parser.parse_args(argv)
    return {"static": cmd_static, "same": cmd_same, "same-vars": cmd_same_vars, "report": cmd_report}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
