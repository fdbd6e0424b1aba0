#!/usr/bin/env python3
"""Generates the documentation stubs of palin.aws's native modules, plugins/modules/docker_deploy.py
and http_ready.py, from what the module binaries print with `--doc` (the sidecar YAML that the Rust
SDK derives from the option spec the binary validates against), so `ansible-doc` cannot drift from
the binaries. The stubs hold only DOCUMENTATION / EXAMPLES / RETURN: the modules run through the
action plugins in plugins/action/, which pick the binary for the target's architecture.

    python3 scripts/module_docs.py           # (re)write the stubs from plugins/modules/__<m>_<arch>
    python3 scripts/module_docs.py --check   # exit 1, with a diff, when a stub is out of date

What the stubs add to the binary's text, for the collection: the module name without the crate's
`palin_` prefix, FQCNs in EXAMPLES (`palin.aws.docker_deploy:`), the `action` attribute and a note
on the architecture dispatch. Standard library only (any python3 runs it)."""

from __future__ import annotations

import argparse
import difflib
import platform
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# module name in the collection -> name of the cargo binary (and of the module in its own docs)
MODULES = {"docker_deploy": "palin_docker_deploy", "http_ready": "palin_http_ready"}
ARCH_ALIASES = {"arm64": "aarch64", "amd64": "x86_64"}

ACTION_ATTRIBUTE = """\
  action:
    description: "Indicates this has a corresponding action plugin so some parts of the options can be executed on the controller."
    details: "The action plugin only picks the binary for the target's architecture; all the work runs on the target."
    support: "full"
"""
ARCH_NOTE = (
    '  - "Ships as static binaries for x86_64 and aarch64 hosts; the action plugin picks the one for the target\'s'
    " architecture (C(ansible_facts.architecture) when facts were gathered, else the C(ansible_architecture) variable,"
    ' else C(uname -m) on the target, once per task). Any other architecture fails with a message naming it."\n'
)


def collection_name(root: Path) -> str:
    text = (root / "galaxy.yml").read_text()
    found = {k: re.search(rf"^{k}:\s*(\S+)", text, re.M) for k in ("namespace", "name")}
    if not all(found.values()):
        raise SystemExit(f"{root / 'galaxy.yml'}: no namespace/name")
    return f"{found['namespace'].group(1)}.{found['name'].group(1)}"


def host_arch() -> str:
    machine = platform.machine()
    return ARCH_ALIASES.get(machine, machine)


def binary_doc(binary: Path) -> str:
    if not binary.is_file():
        raise SystemExit(f"{binary} is missing: run `bash modules/build.sh` first")
    proc = subprocess.run([str(binary), "--doc"], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{binary} --doc failed ({proc.returncode}): {proc.stderr.strip()}")
    return proc.stdout


def fold(text: str, width: int = 150) -> str:
    """Break double-quoted YAML scalars longer than `width` at single spaces onto continuation
    lines (YAML folds a line break inside a double-quoted scalar into one space, so the value is
    unchanged) to keep the stubs within pep8's 160 columns."""
    out = []
    for line in text.splitlines(keepends=True):
        m = re.match(r'^(\s*)(- |[\w.-]+: )(".*")\n$', line)
        if len(line) <= width or not m:
            out.append(line)
            continue
        indent = m.group(1) + "  "
        current = m.group(1) + m.group(2)
        words = re.split(r"(?<=[^ ]) (?=[^ ])", m.group(3))
        for i, word in enumerate(words):
            piece = word if i == 0 else " " + word
            if i and len(current) + len(piece) > width:
                out.append(current + "\n")
                current = indent + word
            else:
                current += piece
        out.append(current + "\n")
    return "".join(out)


def sections(doc: str) -> dict[str, str]:
    """Top-level keys of the sidecar YAML -> their block, dedented (comment lines dropped)."""
    out: dict[str, list[str]] = {}
    key = None
    for line in doc.splitlines(keepends=True):
        if line.startswith("#"):
            continue
        m = re.match(r"^([A-Z]+):( \|)?\s*$", line)
        if m:
            key = m.group(1)
            out[key] = []
        elif key is not None:
            if line.strip() and not line.startswith("  "):
                raise ValueError(f"unexpected line in the {key} block: {line!r}")
            out[key].append(line[2:] if line.startswith("  ") else line)
    missing = {"DOCUMENTATION", "EXAMPLES", "RETURN"} - set(out)
    if missing:
        raise ValueError(f"--doc output lacks {sorted(missing)}")
    return {k: "".join(v) for k, v in out.items()}


def stub(module: str, doc: str, fqcn_prefix: str, source: str) -> str:
    """The plugins/modules/<module>.py text for the `--doc` output `doc` of `source`."""
    binary_name = MODULES[module]
    fqcn = f"{fqcn_prefix}.{module}"
    parts = sections(doc)
    documentation = parts["DOCUMENTATION"]
    documentation, n = re.subn(rf'^module: "?{binary_name}"?$', f"module: {module}", documentation, flags=re.M)
    if n != 1:
        raise ValueError(f"{source}: no `module: {binary_name}` line")
    documentation = documentation.replace("attributes:\n", "attributes:\n" + ACTION_ATTRIBUTE, 1)
    if "\nnotes:\n" in documentation:
        documentation = re.sub(r"(\nnotes:\n(?:  - .*\n)*)", lambda m: m.group(1) + ARCH_NOTE, documentation, count=1)
    else:
        documentation = documentation.replace("\noptions:\n", "\nnotes:\n" + ARCH_NOTE + "options:\n", 1)
    documentation = re.sub(rf"\b{binary_name}\b", fqcn, documentation)
    examples = re.sub(rf"^(\s*){binary_name}:", rf"\g<1>{fqcn}:", parts["EXAMPLES"], flags=re.M)
    examples = re.sub(rf"\b{binary_name}\b", fqcn, examples)
    returns = parts["RETURN"]
    documentation, returns = fold(documentation), fold(returns)
    for name, text in (("DOCUMENTATION", documentation), ("EXAMPLES", examples), ("RETURN", returns)):
        if '"""' in text:
            raise ValueError(f"{source}: {name} contains a triple quote")
    return (
        "# Copyright: palin contributors\n"
        "# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)\n"
        f"# Generated by scripts/module_docs.py from `{source} --doc` (the option spec compiled into the\n"
        f"# binary): do not edit. {fqcn} is a native binary module; the action plugin\n"
        f"# plugins/action/{module}.py runs plugins/modules/__{module}_<arch> on the target. This file\n"
        f"# only holds the documentation that ansible-doc and ansible-test read.\n"
        "\n"
        "from __future__ import annotations\n"
        "\n"
        f'DOCUMENTATION = r"""\n{documentation}"""\n'
        "\n"
        f'EXAMPLES = r"""\n{examples}"""\n'
        "\n"
        f'RETURN = r"""\n{returns}"""\n'
    )


def generate(root: Path, arch: str | None = None) -> dict[Path, str]:
    """Stub path -> the text it should have, from the binaries of `arch` (default: this host's)."""
    arch = arch or host_arch()
    prefix = collection_name(root)
    modules_dir = root / "plugins" / "modules"
    out = {}
    for module in MODULES:
        binary = modules_dir / f"__{module}_{arch}"
        out[modules_dir / f"{module}.py"] = stub(module, binary_doc(binary), prefix, binary.name)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 when a stub differs")
    parser.add_argument("--root", type=Path, default=REPO, help="collection root (default: this checkout)")
    args = parser.parse_args(argv)
    stale = []
    for path, text in generate(args.root.resolve()).items():
        current = path.read_text() if path.exists() else ""
        if current == text:
            continue
        stale.append(path)
        if args.check:
            sys.stdout.writelines(difflib.unified_diff(
                current.splitlines(keepends=True), text.splitlines(keepends=True), str(path), "generated"))
        else:
            path.write_text(text)
            print(f"module_docs: wrote {path}")
    if args.check and stale:
        print(f"module_docs: out of date: {', '.join(map(str, stale))}; run python3 scripts/module_docs.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
