"""The committed docs stubs plugins/modules/{docker_deploy,http_ready}.py are exactly what
scripts/module_docs.py makes of the module binaries' `--doc` output now (so ansible-doc cannot drift
from the option spec compiled into the binaries), they say the same as that output once parsed, and
`--check` catches a stale stub."""

from __future__ import annotations

import ast
import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
MODULES_DIR = REPO / "plugins" / "modules"


def _script():
    spec = importlib.util.spec_from_file_location("module_docs", REPO / "scripts" / "module_docs.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


module_docs = _script()


@pytest.fixture(scope="module")
def generated() -> dict[Path, str]:
    try:
        return module_docs.generate(REPO)
    except SystemExit as e:  # a binary is missing
        pytest.fail(str(e))


def _stub_values(text: str) -> dict[str, str]:
    tree = ast.parse(text)
    return {n.targets[0].id: n.value.value for n in tree.body if isinstance(n, ast.Assign)}


def test_committed_stubs_are_generated_from_the_binaries(generated):
    assert set(generated) == {MODULES_DIR / "docker_deploy.py", MODULES_DIR / "http_ready.py"}
    for path, text in generated.items():
        assert path.read_text() == text, f"{path} is stale: run python3 scripts/module_docs.py"


@pytest.mark.parametrize("module", ["docker_deploy", "http_ready"])
def test_stub_says_what_the_binary_says(module):
    binary = MODULES_DIR / f"__{module}_{module_docs.host_arch()}"
    raw = yaml.safe_load(subprocess.run([binary, "--doc"], capture_output=True, text=True, check=True).stdout)
    values = _stub_values((MODULES_DIR / f"{module}.py").read_text())
    assert set(values) == {"DOCUMENTATION", "EXAMPLES", "RETURN"}, "a docs-only module"
    doc, want = yaml.safe_load(values["DOCUMENTATION"]), raw["DOCUMENTATION"]
    fqcn, crate = f"palin.aws.{module}", f"palin_{module}"
    assert doc["module"] == module and want["module"] == crate
    # options and return values are the binary's, unchanged (long strings folded, same values)
    assert doc["options"] == want["options"]
    assert yaml.safe_load(values["RETURN"]) == raw["RETURN"]
    assert doc["description"] == [d.replace(crate, fqcn) for d in want["description"]]
    assert doc["notes"][: len(want["notes"])] == want["notes"]
    assert "aarch64" in doc["notes"][-1] and "uname -m" in doc["notes"][-1]
    assert doc["attributes"]["action"]["support"] == "full"
    assert {k: v for k, v in doc["attributes"].items() if k != "action"} == want["attributes"]
    # EXAMPLES: the binary's tasks with the FQCN
    examples = yaml.safe_load(values["EXAMPLES"])
    assert examples and all(fqcn in task for task in examples)
    assert examples == yaml.safe_load(raw["EXAMPLES"].replace(f"{crate}:", f"{fqcn}:"))
    assert max(len(line) for line in (MODULES_DIR / f"{module}.py").read_text().splitlines()) <= 160, "pep8 E501"


def test_check_reports_a_stale_stub(tmp_path, capsys):
    root = tmp_path / "coll"
    (root / "plugins" / "modules").mkdir(parents=True)
    shutil.copy(REPO / "galaxy.yml", root / "galaxy.yml")
    for f in MODULES_DIR.iterdir():
        if f.name.startswith("__"):  # the binaries
            (root / "plugins" / "modules" / f.name).symlink_to(f)
        elif f.suffix == ".py":  # the stubs
            shutil.copy(f, root / "plugins" / "modules")
    assert module_docs.main(["--check", "--root", str(root)]) == 0
    stub = root / "plugins" / "modules" / "http_ready.py"
    stub.write_text(stub.read_text().replace("Polls a URL", "Pokes a URL"))
    assert module_docs.main(["--check", "--root", str(root)]) == 1
    out = capsys.readouterr()
    assert "-  - \"Pokes a URL" in out.out and "+  - \"Polls a URL" in out.out
    assert "out of date" in out.err
    assert module_docs.main(["--root", str(root)]) == 0
    assert module_docs.main(["--check", "--root", str(root)]) == 0
    assert stub.read_text() == (MODULES_DIR / "http_ready.py").read_text()


def test_fold_keeps_yaml_values():
    """Long double-quoted scalars (the SDK's emitter quotes every string, JSON style) are folded
    onto continuation lines without changing their values."""
    import json

    long = " ".join(f"word{i}" for i in range(40)) + ' with \\"quotes\\", C(x: y) and  two spaces'
    text = f"a:\n  description:\n    - {json.dumps(long)}\n  k: {json.dumps(long)}\nshort: \"x\"\n"
    folded = module_docs.fold(text, width=60)
    assert max(len(line) for line in folded.splitlines()) <= 72
    assert len(folded.splitlines()) > len(text.splitlines()) + 4
    assert yaml.safe_load(folded) == yaml.safe_load(text)
    assert yaml.safe_load(folded)["a"]["k"] == long
