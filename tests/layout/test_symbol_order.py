"""scripts/symbol_order.py, the step of scripts/build-dist.sh that turns callgrind runs of the
real palin-inventory binary (the `palin_bin` fixture of tests/conftest.py) into the
symbol-ordering file its relink uses. The full two-link build is release-only and is exercised
by bench/aws/run.sh, not here (it takes minutes)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "symbol_order.py"
QUICKSTART = REPO / "examples" / "quickstart"


@pytest.fixture(scope="module")
def valgrind() -> str:
    path = shutil.which("valgrind")
    if path is None:
        pytest.fail("valgrind not found: run `bash scripts/setup.sh` (Debian package valgrind)")
    return path


def callgrind(valgrind: str, binary: Path, out: Path, *args: str) -> Path:
    """One callgrind profile of `binary args` in examples/quickstart, like build-dist's runs."""
    proc = subprocess.run(
        [valgrind, "--tool=callgrind", "--demangle=no", f"--callgrind-out-file={out}", str(binary), *args],
        cwd=QUICKSTART,
        env={"PATH": "/usr/bin:/bin", "HOME": str(out.parent), "LC_ALL": "C.UTF-8"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return out


def order(binary: Path, *profiles: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--binary", str(binary), *map(str, profiles)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def text_symbols(binary: Path) -> set[str]:
    out = subprocess.run(["nm", "--defined-only", str(binary)], capture_output=True, text=True, check=True).stdout
    return {p[2] for p in (line.split() for line in out.splitlines()) if len(p) == 3 and p[1] in "tTwW"}


@pytest.fixture(scope="module")
def profiles(tmp_path_factory: pytest.TempPathFactory, valgrind: str, palin_bin: Path) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("callgrind")
    host = callgrind(valgrind, palin_bin, tmp / "host.callgrind", "--host", "web-0")
    graph = callgrind(valgrind, palin_bin, tmp / "graph.callgrind", "--graph")
    return host, graph


def test_order_names_the_executed_functions_of_the_binary(palin_bin: Path, profiles: tuple[Path, Path]) -> None:
    proc = order(palin_bin, *profiles)
    assert proc.returncode == 0, proc.stderr
    names = proc.stdout.splitlines()
    assert len(names) == len(set(names)), "a function is named twice"
    assert set(names) <= text_symbols(palin_bin), "every name must be a text symbol of the binary"
    # palin's own code (legacy mangling: 15palin_inventory) and std's are both there; libc's is not.
    assert any("15palin_inventory" in n for n in names), names[:20]
    assert not any(n in ("malloc", "memcpy", "__libc_start_main") for n in names)
    # One line on stderr saying how many functions were ordered.
    assert proc.stderr.count("\n") == 1 and "functions of" in proc.stderr


def test_first_profile_functions_come_first_and_together(palin_bin: Path, profiles: tuple[Path, Path]) -> None:
    host, graph = profiles
    only_host = order(palin_bin, host)
    assert only_host.returncode == 0, only_host.stderr
    host_names = set(only_host.stdout.splitlines())
    both = order(palin_bin, host, graph)
    assert both.returncode == 0, both.stderr
    names = both.stdout.splitlines()
    # --graph runs code --host does not (the tree rendering): it follows all of --host's.
    assert len(names) > len(host_names)
    assert set(names[: len(host_names)]) == host_names


def test_a_stripped_binary_is_refused_in_one_line(tmp_path: Path, palin_bin: Path, profiles: tuple[Path, Path]) -> None:
    stripped = tmp_path / "palin-inventory"
    subprocess.run(["strip", "-o", str(stripped), str(palin_bin)], check=True)
    proc = order(stripped, profiles[0])
    assert proc.returncode != 0
    assert proc.stdout == ""
    assert proc.stderr.strip().count("\n") == 0 and "no symbol table" in proc.stderr


def test_a_profile_of_another_program_is_refused(palin_bin: Path, profiles: tuple[Path, Path], tmp_path: Path) -> None:
    missing = order(palin_bin, tmp_path / "absent.callgrind")
    assert missing.returncode != 0 and "cannot read" in missing.stderr and missing.stdout == ""
    other = tmp_path / "other.callgrind"
    other.write_text("version: 1\nob=(1) /usr/bin/true\nfn=(1) main\n0 1\n")
    proc = order(palin_bin, other)
    assert proc.returncode != 0 and "names no function of" in proc.stderr and proc.stdout == ""
