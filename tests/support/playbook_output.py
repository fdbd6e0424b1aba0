"""Reading what `ansible-playbook` prints with the default stdout callback (imported with
tests/support on sys.path): the PLAY RECAP counts per host, and what a named task reported per
host (with -v, its result)."""

from __future__ import annotations

import json
import re


def recap(stdout: str) -> dict[str, dict[str, int]]:
    """PLAY RECAP as {host: {"ok": n, "changed": n, "failed": n, ...}}."""
    out = {}
    for line in stdout.split("PLAY RECAP", 1)[-1].splitlines():
        m = re.match(r"^(\S+)\s+:\s+(.*)$", line.strip())
        if m:
            out[m.group(1)] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(2))}
    return out


def task_results(stdout: str, task: str) -> list[tuple[str, str, dict | None]]:
    """(status, host, result) of every host line (`changed: [web-1] => {...}`) under each header
    `TASK [<task>]` (role tasks are headed `<role> : <name>`), in output order; the result is the
    JSON that -v prints after `=>` (one line or indented), else None."""
    out = []
    for section in stdout.split("TASK [")[1:]:
        if not section.startswith(f"{task}]"):
            continue
        for m in re.finditer(r"^(ok|changed|failed|fatal|skipping): \[([^\]]+?)(?: ->[^\]]*)?\]( => )?", section, re.M):
            result = json.JSONDecoder().raw_decode(section, m.end())[0] if m.group(3) else None
            out.append((m.group(1), m.group(2), result))
    return out
