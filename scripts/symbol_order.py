#!/usr/bin/env python3
"""Write a linker symbol-ordering file from callgrind runs of a binary (standard library only).

    symbol_order.py --binary BIN CALLGRIND_OUT... > ORDER

Each CALLGRIND_OUT is a ``valgrind --tool=callgrind --demangle=no`` profile of BIN. The output
names, one per line, every function of BIN itself (not of libc or the loader) that any of the
runs executed and that BIN defines as a text symbol (``nm``). The first profile's functions come
first, all together, so that run touches as few pages as possible; then those of the second
that the first did not run, and so on. Within the first profile's functions, those the second
also ran come first (and so on), so later runs find their shared code together too. Ties keep
BIN's address order, so code that the compiler placed together stays together. ``scripts/build-dist.sh`` passes the file to
LLD's ``--symbol-ordering-file`` through ``PALIN_SYMBOL_ORDER`` (inventory-plugin/build.rs).

Exits non-zero with one line on stderr when a profile is unreadable, names no function of BIN,
or BIN has no symbol table (a stripped binary cannot be laid out this way).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys

# callgrind's name compression: "ob=(3) /path" defines id 3, a later "ob=(3)" reuses it; the same
# for fn/cfn (functions) and cob (the object of a called function).
_ENTRY = re.compile(r"^(ob|cob|fn|cfn)=\((\d+)\)(?: (.*))?$")


def executed_functions(profile: str, binary: str) -> set[str]:
    """Names of the functions of `binary` that the callgrind `profile` saw execute."""
    objects: dict[str, str] = {}
    functions: dict[str, str] = {}
    current_object = None
    executed: set[str] = set()
    with open(profile, encoding="utf-8", errors="replace") as lines:
        for line in lines:
            match = _ENTRY.match(line.rstrip("\n"))
            if not match:
                continue
            kind, ident, name = match.groups()
            if kind in ("ob", "cob"):
                if name:
                    objects[ident] = os.path.realpath(name)
                if kind == "ob":
                    current_object = objects.get(ident)
                continue
            if name:
                functions[ident] = name
            # "fn=" starts the cost lines of a function of the current object: it executed.
            if kind == "fn" and current_object == binary and ident in functions:
                executed.add(functions[ident])
    return executed


def text_symbols(binary: str) -> dict[str, int]:
    """Defined text symbols of `binary` and their addresses."""
    result = subprocess.run(
        ["nm", "--defined-only", binary], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        sys.exit(f"symbol_order.py: nm {binary}: {result.stderr.strip() or 'failed'}")
    symbols: dict[str, int] = {}
    for line in result.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTwW":
            symbols.setdefault(parts[2], int(parts[0], 16))
    return symbols


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--binary", required=True, help="the profiled binary, with its symbols")
    parser.add_argument("profiles", nargs="+", help="callgrind output files")
    args = parser.parse_args()
    binary = os.path.realpath(args.binary)

    symbols = text_symbols(binary)
    if not symbols:
        sys.exit(f"symbol_order.py: {binary} has no symbol table (stripped?)")
    runs: list[set[str]] = []
    for profile in args.profiles:
        try:
            found = executed_functions(profile, binary)
        except OSError as e:
            sys.exit(f"symbol_order.py: cannot read {profile}: {e.strerror}")
        if not found:
            sys.exit(f"symbol_order.py: {profile} names no function of {binary}")
        runs.append(found)
    executed = set().union(*runs)
    ordered = sorted(
        (tuple(name not in run for run in runs), symbols[name], name)
        for name in executed
        if name in symbols
    )
    sys.stdout.write("".join(f"{name}\n" for *_, name in ordered))
    print(
        f"symbol_order.py: {len(ordered)} functions of {len(symbols)} "
        f"({len(executed) - len(ordered)} executed names not in the symbol table)",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
