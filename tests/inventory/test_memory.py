"""palin-inventory's memory on big Terraform outputs, through the real binary under an address-space
limit (RLIMIT_AS, what `ulimit -v` and some container runtimes enforce):

* an output holding a big nested array (the shape that once cost ~65x the state's size) is read
  within a few times the state's size: the inventory comes out whole;
* a limit too small for the input ends with exit 1 and exactly one stderr line saying the process
  ran out of memory, and nothing on stdout (never status 134 and allocator noise).

Limits are set in the child only; the inputs are generated here, honestly shaped like a v4 state.
"""

from __future__ import annotations

import json
import resource
import subprocess
from pathlib import Path

import pytest

ITEMS = 3_000_000  # `[[1]]` x 3M: an 18 MB state


def _state(path: Path) -> int:
    value = "[" + ",".join(["[[1]]"] * ITEMS) + "]"
    text = '{"version":4,"terraform_version":"1.9.0","serial":1,"lineage":"l","outputs":{"big":{"value":' + value + ',"type":["list",["list",["list","number"]]]}},"resources":[]}'
    path.write_text(text)
    return len(text)


def _run(palin_bin: Path, state: Path, limit_mb: int) -> subprocess.CompletedProcess:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit_mb << 20, limit_mb << 20))

    return subprocess.run(
        [str(palin_bin), "--list", "--tfstate", str(state)],
        capture_output=True,
        preexec_fn=limit,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"},
        cwd=state.parent,
    )


@pytest.fixture(scope="module")
def big_state(tmp_path_factory) -> tuple[Path, int]:
    path = tmp_path_factory.mktemp("memory") / "big.tfstate"
    return path, _state(path)


def test_a_big_nested_output_fits_in_a_few_times_its_size(palin_bin, big_state):
    state, size = big_state
    # 10x the state plus the binary's own ~40 MB of address space (code, runtime, stacks).
    r = _run(palin_bin, state, limit_mb=10 * size // 2**20 + 40)
    assert r.returncode == 0, r.stderr.decode()
    assert r.stderr == b""
    doc = json.loads(r.stdout)
    assert len(doc["all"]["vars"]["big"]) == ITEMS
    assert "_meta" in doc


def test_too_little_memory_is_one_clear_line_and_exit_1(palin_bin, big_state):
    state, size = big_state
    r = _run(palin_bin, state, limit_mb=size // 2**20 + 30)
    assert r.returncode == 1, (r.returncode, r.stderr.decode()[:500])
    assert r.stdout == b""
    lines = r.stderr.decode().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("palin-inventory: out of memory"), lines
