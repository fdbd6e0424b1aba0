#!/usr/bin/env python3
"""Timing driver and report writer for bench/aws/run.sh (Python standard library only).

    measure.py time --runs R [--warmup W] --timeout S --expect N --json OUT --outdir DIR \\
        --tool NAME=KIND:[VAR=VALUE ...] COMMAND [--tool ...]
    measure.py floor --url URL --region REGION --max-results M --runs R
    measure.py report RESULTS.json... > table.md

``time`` runs the tools in rounds (tool 1, tool 2, …, then again), so that a machine whose load
changes during the benchmark slows every tool alike; ``--warmup`` rounds come first and are not
timed. The files named by ``--evict`` (the compiled tools' binaries) are dropped from the page
cache first, so every run maps them as read from disk (see ``evict``). Every run is
``/usr/bin/time -f '%e %M' -o FILE COMMAND`` with stdout to a file: the wall time is taken
around that call with ``time.perf_counter()`` and a blocking wait (GNU time's own ``%e`` has
10 ms resolution; both are kept), the peak memory is GNU time's ``%M`` (maximum resident set size, KiB). After each
run the output is checked: KIND ``inventory`` must be an Ansible ``--list`` JSON document with
``N`` hosts in ``_meta.hostvars``, KIND ``count`` must print ``N``, KIND ``hosts`` must be the
output of ``ansible-playbook --list-hosts`` (one play) listing ``N`` hosts (bench/ansible). A run that fails, times out
or prints the wrong thing stops the benchmark (exit 1): a wrong answer is never timed.
The environment is passed on unchanged (run.sh starts this under ``env -i``), plus the
``VAR=VALUE`` words that start a tool's command, for that tool only.

``floor`` times the bare replayed HTTP exchange (one DescribeInstances request as palin sends it,
with palin's page size as ``--max-results``, read to the end) from Python, to show what the replay proxy itself costs.

``report`` turns the JSON files into the markdown table of bench/aws/README.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path


def listed_hosts(text: str) -> list[str]:
    """The host names of the first play in ``ansible-playbook --list-hosts`` output: the lines
    under ``hosts (COUNT):``, indented deeper than it. Fails (ValueError) when the header is
    missing or its count is not the number of names."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        header = re.fullmatch(r"( *)hosts \((\d+)\):", line)
        if header:
            indent = len(header.group(1))
            names = []
            for name in lines[i + 1 :]:
                if len(name) - len(name.lstrip(" ")) <= indent:
                    break
                names.append(name.strip())
            if len(names) != int(header.group(2)):
                raise ValueError(f"'{line.strip()}' is followed by {len(names)} names")
            return names
    raise ValueError("no 'hosts (N):' line: not ansible-playbook --list-hosts output")


def check_output(kind: str, path: Path, expect: int) -> str | None:
    text = path.read_text()
    if kind == "count":
        return None if text.strip() == str(expect) else f"printed {text.strip()[:80]!r}, expected {expect}"
    if kind == "hosts":
        try:
            hosts = len(listed_hosts(text))
        except ValueError as e:
            return str(e)
        return None if hosts == expect else f"{hosts} hosts listed, expected {expect}"
    try:
        doc = json.loads(text)
    except ValueError as e:
        return f"stdout is not JSON ({e})"
    hosts = len(doc.get("_meta", {}).get("hostvars", {}))
    return None if hosts == expect else f"{hosts} hosts in _meta.hostvars, expected {expect}"


def run_once(argv: list[str], stdout, stderr, env: dict[str, str], timeout: float) -> tuple[float, int, bool]:
    """Run argv once; return (wall seconds, exit status, timed out?).

    The wait is a plain blocking waitpid, so the wall time ends when the child exits. (Not
    ``subprocess.run(timeout=...)``: with a timeout, Popen.wait polls with sleeps that double
    from 0.5 ms, which rounds a 20 ms run up to 32 ms and a 40 ms run up to 64 ms.) The timeout
    is a timer thread that kills the child.
    """
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, env=env)
    fired = threading.Event()

    def kill() -> None:
        fired.set()
        proc.kill()

    timer = threading.Timer(timeout, kill)
    timer.start()
    try:
        returncode = proc.wait()
    finally:
        timer.cancel()
    return time.perf_counter() - start, returncode, fired.is_set()


def evict(path: Path) -> None:
    """Drop `path` from the page cache (written back first), so the next run maps it as read
    from disk.

    A binary's resident code depends on how its file sits in the page cache: on this kernel
    (6.18, ext4 with large folios) a fault maps the whole folio around it, and the folios of a
    file just written by the linker or `strip` are not those that reading it from disk makes.
    The laid-out palin-inventory measured 16.8 MiB (16.5-17.2) fresh from `strip` and 15.9 MiB
    (15.8-15.9) after this, every run alike; the release build 19.0-19.7 MiB either way."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def cmd_time(args: argparse.Namespace) -> int:
    tools = []
    for spec in args.tool:
        name, _, rest = spec.partition("=")
        kind, _, command = rest.partition(":")
        if kind not in ("inventory", "count", "hosts") or not command:
            sys.exit(f"measure.py: bad --tool {spec!r} (NAME=inventory|count|hosts:COMMAND)")
        words = shlex.split(command)
        env = dict(os.environ)
        while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", words[0]):
            key, _, value = words.pop(0).partition("=")
            env[key] = value
        tools.append((name, kind, words, env))
    args.outdir.mkdir(parents=True, exist_ok=True)
    for path in args.evict:
        evict(path)
    samples: dict[str, list[dict[str, float]]] = {name: [] for name, _, _, _ in tools}
    with tempfile.TemporaryDirectory() as tmp:
        tfile = Path(tmp) / "time.out"
        for round_no in range(-args.warmup, args.runs):
            for name, kind, argv, env in tools:
                out = args.outdir / f"{name}.out"
                err = args.outdir / f"{name}.err"
                with out.open("wb") as o, err.open("wb") as e:
                    wall, returncode, timed_out = run_once(
                        ["/usr/bin/time", "-f", "%e %M", "-o", str(tfile), *argv], o, e, env, args.timeout
                    )
                if timed_out:
                    sys.exit(f"measure.py: {name} timed out after {args.timeout}s")
                if returncode != 0:
                    tail = err.read_text(errors="replace").strip().splitlines()[-5:]
                    sys.exit(f"measure.py: {name} exited {returncode}: {' | '.join(tail)}")
                problem = check_output(kind, out, args.expect)
                if problem:
                    sys.exit(f"measure.py: {name}: {problem} (output in {out})")
                gnu_wall, rss_kib = tfile.read_text().split()[-2:]
                if round_no < 0:
                    print(f"  warm-up  {name:<8} {wall * 1000:9.1f} ms", file=sys.stderr, flush=True)
                    continue
                samples[name].append({"wall_s": wall, "gnu_wall_s": float(gnu_wall), "rss_kib": int(rss_kib)})
                print(
                    f"  round {round_no + 1}/{args.runs} {name:<8} {wall * 1000:9.1f} ms  {int(rss_kib) / 1024:7.1f} MiB",
                    file=sys.stderr,
                    flush=True,
                )
    summary = {
        name: {
            "runs": len(s),
            "wall_s": statistics.median(x["wall_s"] for x in s),
            "wall_min_s": min(x["wall_s"] for x in s),
            "wall_max_s": max(x["wall_s"] for x in s),
            "rss_kib": statistics.median(x["rss_kib"] for x in s),
            "samples": s,
        }
        for name, s in samples.items()
    }
    doc = json.loads(args.json.read_text()) if args.json.exists() else {}
    doc.update(summary)
    args.json.write_text(json.dumps(doc, indent=1))
    return 0


def cmd_floor(args: argparse.Namespace) -> int:
    url = urllib.parse.urlsplit(args.url)
    body = (
        f"Action=DescribeInstances&Version=2016-11-15&MaxResults={args.max_results}&Filter.1.Name=instance-state-name"
        "&Filter.1.Value.1=running&Filter.1.Value.2=pending&Filter.1.Value.3=stopping&Filter.1.Value.4=stopped"
    )
    headers = {
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
        "Authorization": f"AWS4-HMAC-SHA256 Credential=testing/20260101/{args.region}/ec2/aws4_request, "
        "SignedHeaders=host, Signature=0",
    }
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        conn.request("POST", "/", body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        times.append(time.perf_counter() - start)
        if resp.status != 200:
            sys.exit(f"measure.py floor: HTTP {resp.status}: {data[:200]!r}")
    print(json.dumps({"wall_s": statistics.median(times), "bytes": len(data)}))
    return 0


def fmt_ms(seconds: float) -> str:
    ms = seconds * 1000
    return f"{ms:,.0f}" if ms >= 100 else f"{ms:.1f}"


def fmt_mib(kib: float) -> str:
    return f"{kib / 1024:.0f}" if kib >= 100 * 1024 else f"{kib / 1024:.1f}"


def cmd_report(args: argparse.Namespace) -> int:
    rows = []
    for path in args.results:
        doc = json.loads(Path(path).read_text())
        rows.append(doc)
    rows.sort(key=lambda d: ({"replay": 0, "direct": 1}.get(d["mode"], 2), d["n"]))
    out = [
        "| via | N | DescribeInstances pages (palin / plugin) | palin wall ms | palin peak RSS MiB | plugin wall ms | plugin peak RSS MiB "
        "| bare fetch wall ms | bare fetch peak RSS MiB | plugin / palin (time) | palin / plugin (RSS) "
        "| palin / bare fetch (time) | runs |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for d in rows:
        p, a, b = d["palin"], d["plugin"], d["bare"]
        via = "replay proxy" if d["mode"] == "replay" else "moto direct"
        out.append(
            f"| {via} | {d['n']:,} | {d.get('pages', '?')} | {fmt_ms(p['wall_s'])} | {fmt_mib(p['rss_kib'])} "
            f"| {fmt_ms(a['wall_s'])} | {fmt_mib(a['rss_kib'])} | {fmt_ms(b['wall_s'])} | {fmt_mib(b['rss_kib'])} "
            f"| {a['wall_s'] / p['wall_s']:.1f}× | {p['rss_kib'] / a['rss_kib']:.2f} | {p['wall_s'] / b['wall_s']:.2f}× "
            f"| {min(p['runs'], a['runs'], b['runs'])} |"
        )
    floors = [d for d in rows if d.get("floor")]
    if floors:
        out.append("")
        out.append(
            "Replay floor (the first replayed DescribeInstances page, one HTTP exchange from Python, median): "
            + ", ".join(
                f"N={d['n']:,}: {fmt_ms(d['floor']['wall_s'])} ms for {d['floor']['bytes'] / 1e6:.1f} MB" for d in floors
            )
            + "."
        )
    goals = [d for d in rows if d["mode"] == "replay" and d["n"] == 1000]
    if goals:
        d = goals[0]
        p, a, b = d["palin"], d["plugin"], d["bare"]
        speed = a["wall_s"] / p["wall_s"]
        mem = p["rss_kib"] / a["rss_kib"]
        ratio = p["wall_s"] / b["wall_s"]
        out.append("")
        out.append("Goals of issue 3 at N = 1,000 through the replay proxy:")
        out.append(f"- ≥ 50× faster than the plugin: {speed:.1f}× — {'met' if speed >= 50 else 'MISSED'}")
        out.append(f"- ≤ 1/10 of its peak memory: {mem:.3f} — {'met' if mem <= 0.1 else 'MISSED'}")
        out.append(f"- within 1.5× of the bare paginated fetch: {ratio:.2f}× — {'met' if ratio <= 1.5 else 'MISSED'}")
    print("\n".join(out))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("time")
    t.add_argument("--runs", type=int, required=True)
    t.add_argument("--warmup", type=int, default=0, help="untimed (but checked) rounds first")
    t.add_argument("--timeout", type=float, default=900)
    t.add_argument("--expect", type=int, required=True, help="host count every tool must report")
    t.add_argument("--json", type=Path, required=True, help="results file (merged into if it exists)")
    t.add_argument("--outdir", type=Path, required=True, help="where each tool's last stdout/stderr go")
    t.add_argument("--tool", action="append", required=True, help="NAME=inventory|count|hosts:COMMAND")
    t.add_argument(
        "--evict", action="append", type=Path, default=[],
        help="drop this file (a tool's binary) from the page cache before the first round",
    )
    f = sub.add_parser("floor")
    f.add_argument("--url", required=True)
    f.add_argument("--region", required=True)
    f.add_argument("--max-results", type=int, required=True, help="palin's page size, as recorded")
    f.add_argument("--runs", type=int, default=5)
    r = sub.add_parser("report")
    r.add_argument("results", nargs="+")
    args = parser.parse_args(argv)
    return {"time": cmd_time, "floor": cmd_floor, "report": cmd_report}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
