"""The Terraform configuration under terraform/, read with python-hcl2: modules, their blocks and
the module tree the example instantiates (module addresses → directories)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import hcl2
from hcl2.utils import SerializationOptions

REPO = Path(__file__).resolve().parents[2]
TERRAFORM = REPO / "terraform"
EXAMPLE = TERRAFORM / "examples" / "production"

_OPTIONS = SerializationOptions(strip_string_quotes=True, with_comments=False)


def tf_files(root: Path = TERRAFORM) -> list[Path]:
    return sorted(p for p in root.rglob("*.tf") if ".terraform" not in p.parts)


def hcl_files(root: Path = TERRAFORM) -> list[Path]:
    """Every HCL file: .tf plus the shipped .tf.example / .tfvars.example."""
    return sorted(
        p for p in root.rglob("*")
        if p.is_file() and ".terraform" not in p.parts
        and (p.suffix == ".tf" or p.name.endswith((".tf.example", ".tfvars.example")))
    )


@functools.lru_cache(maxsize=None)
def parse(path: Path) -> dict:
    with open(path) as f:
        return hcl2.load(f, serialization_options=_OPTIONS)


def _label(s: str) -> str:
    return s.strip('"')


@dataclass
class Block:
    kind: str  # resource | data | module | variable | output
    labels: tuple[str, ...]
    body: dict
    file: Path

    @property
    def expansion(self) -> str:
        """How the block's instances are keyed: "count" (int keys), "for_each" (string keys) or ""."""
        if "count" in self.body:
            return "count"
        if "for_each" in self.body:
            return "for_each"
        return ""


@dataclass
class Module:
    path: Path
    blocks: list[Block] = field(default_factory=list)
    terraform: list[dict] = field(default_factory=list)
    locals: dict = field(default_factory=dict)
    providers: list[dict] = field(default_factory=list)
    moved: list[dict] = field(default_factory=list)  # {"from": "${addr}", "to": "${addr}", "file": Path}

    def of(self, kind: str) -> dict[tuple[str, ...], Block]:
        return {b.labels: b for b in self.blocks if b.kind == kind}

    @property
    def resources(self) -> dict[tuple[str, str], Block]:
        return self.of("resource")

    @property
    def data(self) -> dict[tuple[str, str], Block]:
        return self.of("data")

    @property
    def variables(self) -> dict[str, Block]:
        return {k[0]: v for k, v in self.of("variable").items()}

    @property
    def outputs(self) -> dict[str, Block]:
        return {k[0]: v for k, v in self.of("output").items()}

    @property
    def module_calls(self) -> dict[str, Block]:
        return {k[0]: v for k, v in self.of("module").items()}


def _blocks(kind: str, entries: list, file: Path, depth: int) -> list[Block]:
    out = []
    for entry in entries:
        def walk(node: dict, labels: tuple[str, ...]):
            if len(labels) == depth:
                out.append(Block(kind, labels, node, file))
                return
            for key, value in node.items():
                if key.startswith("__"):
                    continue
                walk(value, labels + (_label(key),))
        walk(entry, ())
    return out


@functools.lru_cache(maxsize=None)
def load_module(path: Path) -> Module:
    mod = Module(path)
    for f in sorted(path.glob("*.tf")):
        doc = parse(f)
        for kind, depth in (("resource", 2), ("data", 2), ("module", 1), ("variable", 1), ("output", 1)):
            mod.blocks += _blocks(kind, doc.get(kind, []), f, depth)
        mod.terraform += doc.get("terraform", [])
        mod.providers += doc.get("provider", [])
        mod.moved += [{"from": m["from"], "to": m["to"], "file": f} for m in doc.get("moved", [])]
        for loc in doc.get("locals", []):
            mod.locals.update({k: v for k, v in loc.items() if not k.startswith("__")})
    return mod


def module_tree(root: Path = EXAMPLE) -> dict[str, Module]:
    """Module address ("" for the root module, "module.palin", "module.palin.module.network", ...)
    → the loaded module, following local `source` paths."""
    tree: dict[str, Module] = {}

    def visit(address: str, path: Path):
        mod = load_module(path.resolve())
        tree[address] = mod
        for name, call in mod.module_calls.items():
            source = call.body["source"]
            assert source.startswith("."), f"{path}: module {name} has a non-local source {source!r}"
            child = f"{address}.module.{name}" if address else f"module.{name}"
            visit(child, (path / source))

    visit("", root)
    return tree


def strip_keys(module_address: str) -> str:
    """`module.a["x"].module.b[0]` → `module.a.module.b`."""
    return re.sub(r"\[[^\]]*\]", "", module_address)
