"""What the trust-boundary tests share (imported by module name: there is no conftest.py here, so
tests/ansible's `from conftest import ...` never meets a second conftest): clean ansible-core
venvs for every supported release, the play that templates every host variable, and readers of
inventory documents.

`trust_core`: ansible-core 2.16, 2.17, 2.19 and 2.21 (env PALIN_TRUST_CORES), each in a clean
venv with the built wheel and collection, made by tests/installed/conftest.py's machinery
(`_make`, `CORES`, the `_made` cache shared with its `installed` fixture, so a release is
installed once per pytest process whichever suite asks first). The venvs this process's selected
tests need are made side by side, on the first request.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import json
import os
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tests" / "support"))
from playbook_output import task_results  # noqa: E402 (the path above first)

INSTALLED_CONFTEST = REPO / "tests" / "installed" / "conftest.py"
TRUST_CORES = os.environ.get("PALIN_TRUST_CORES", "2.16 2.17 2.19 2.21").split()
GROUP_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Names that would capture `delegate_to: localhost` (or look like it).
LOCAL_NAMES = {"localhost", "LocalHost", "127.0.0.1", "::1"}


def installed_machinery(config: pytest.Config):
    """tests/installed/conftest.py as pytest loaded it (its `_made` cache is the one its
    `installed` fixture fills), else loaded here under a name of its own."""
    for plugin in config.pluginmanager.get_plugins():
        if getattr(plugin, "__file__", None) and Path(plugin.__file__).resolve() == INSTALLED_CONFTEST:
            return plugin
    name = "palin_tests_installed_conftest"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, INSTALLED_CONFTEST)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="session", params=TRUST_CORES, ids=lambda c: f"core{c}")
def trust_core(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """A clean venv with ansible-core `core`, the palin-inventory wheel and the palin.aws
    collection (tests/installed/conftest.py's `Installed`)."""
    machinery = installed_machinery(request.config)
    core = request.param
    if core not in machinery.CORES:
        pytest.fail(f"PALIN_TRUST_CORES names ansible-core {core}; known: {sorted(machinery.CORES)}")
    if core not in machinery._made:
        wanted = {
            item.callspec.params["trust_core"]
            for item in request.session.items
            if hasattr(item, "callspec") and "trust_core" in item.callspec.params
        } | {core}
        todo = sorted(c for c in wanted if c not in machinery._made)
        roots = {c: tmp_path_factory.mktemp(f"installed-{c}") for c in todo}
        with ThreadPoolExecutor(len(todo)) as pool:
            futures = {c: pool.submit(machinery._make, c, roots[c]) for c in todo}
            for c, future in futures.items():
                machinery._made[c] = future.result()
    return machinery._made[core]


# --------------------------------------------------------------------------- documents
def unwrap(value):
    """A value with every {"__ansible_unsafe": text} replaced by its text."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def plain_strings_wrapped(value, where: str) -> list[str]:
    """Where `value` holds a string that is not {"__ansible_unsafe": text} (empty: all wrapped)."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"} and isinstance(value["__ansible_unsafe"], str):
            return []
        return [w for k, v in value.items() for w in plain_strings_wrapped(v, f"{where}.{k}")]
    if isinstance(value, list):
        return [w for n, v in enumerate(value) for w in plain_strings_wrapped(v, f"{where}[{n}]")]
    return [where] if isinstance(value, str) else []


def trusted_templates(value, where: str) -> list[str]:
    """Where `value` holds a string with a `{` (what a template needs) that is not wrapped as
    {"__ansible_unsafe": text}."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"} and isinstance(value["__ansible_unsafe"], str):
            return []
        return [w for k, v in value.items() for w in trusted_templates(v, f"{where}.{k}")]
    if isinstance(value, list):
        return [w for n, v in enumerate(value) for w in trusted_templates(v, f"{where}[{n}]")]
    return [where] if isinstance(value, str) and "{" in value else []


def marker_keys(value, where: str = "") -> list[str]:
    """Paths of object keys that start with `__ansible_` (other than an unsafe wrapper's)."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"} and isinstance(value["__ansible_unsafe"], str):
            return []
        out = [f"{where}.{k}" for k in value if k.startswith("__ansible_")]
        return out + [w for k, v in value.items() for w in marker_keys(v, f"{where}.{k}")]
    if isinstance(value, list):
        return [w for n, v in enumerate(value) for w in marker_keys(v, f"{where}[{n}]")]
    return []


def differences(seen, printed, where: str = "") -> list[str]:
    """Where `seen` (what Ansible made of a value) differs from `printed` (palin's), with both
    values and their types: a string read back as a number is a difference."""
    if isinstance(seen, dict) and isinstance(printed, dict):
        keys = sorted(set(seen) | set(printed))
        return [d for k in keys for d in differences(seen.get(k, "<missing>"), printed.get(k, "<missing>"), f"{where}.{k}" if where else k)]
    if isinstance(seen, list) and isinstance(printed, list) and len(seen) == len(printed):
        return [d for n, (a, b) in enumerate(zip(seen, printed)) for d in differences(a, b, f"{where}[{n}]")]
    if seen == printed and type(seen) is type(printed):
        return []
    return [f"{where}: {seen!r} ({type(seen).__name__}) where palin printed {printed!r} ({type(printed).__name__})"]


def any_wrapper(value) -> bool:
    if isinstance(value, dict):
        return "__ansible_unsafe" in value or any(any_wrapper(v) for v in value.values())
    if isinstance(value, list):
        return any(any_wrapper(v) for v in value)
    return False


def memberships(doc: dict) -> dict[str, set[str]]:
    """host -> every group it is in, directly or through a parent group (`all` included)."""
    parents: dict[str, set[str]] = {}
    for name, group in doc.items():
        if name != "_meta":
            for child in group.get("children", []):
                parents.setdefault(child, set()).add(name)
    out: dict[str, set[str]] = {}
    for name, group in doc.items():
        if name == "_meta":
            continue
        for host in group.get("hosts", []):
            seen, todo = out.setdefault(host, {"all"}), [name]
            while todo:
                g = todo.pop()
                if g not in seen:
                    seen.add(g)
                    todo.extend(parents.get(g, ()))
    return out


def effective_vars(doc: dict) -> dict[str, dict]:
    """host -> the variables Ansible gives it from this document: `all`'s, then its groups',
    then its own (a document where a name is set in two of its groups fails the test: it would
    depend on Ansible's group order)."""
    member = memberships(doc)
    out = {}
    for host, own in doc.get("_meta", {}).get("hostvars", {}).items():
        merged = dict(doc.get("all", {}).get("vars", {}))
        from_groups: dict[str, str] = {}
        for g in sorted(member.get(host, {"all"}) - {"all"}):
            for k, v in doc.get(g, {}).get("vars", {}).items():
                assert k not in from_groups, f"{host}: {k} set by groups {from_groups[k]} and {g}"
                from_groups[k] = g
                merged[k] = v
        merged.update(own)
        out[host] = merged
    return out


# --------------------------------------------------------------------------- the play
PLAY = """\
- name: Template every variable of every host
  hosts: all
  gather_facts: false
  tasks:
    - name: hostvars
      ansible.builtin.debug:
        var: hostvars[inventory_hostname]

    - name: every variable through the vars lookup
      ansible.builtin.debug:
        msg: "{{ query('vars', *palin_trust_names[inventory_hostname]) }}"

    # No `connection: local` in this play: a host named localhost in the inventory would take
    # this task over SSH to its ansible_host, and the marker would not appear.
    - name: delegate_to localhost runs on the controller
      ansible.builtin.raw: "touch {{ palin_trust_out }}/delegated"
      delegate_to: localhost
      run_once: true

    - name: record
      ansible.builtin.debug:
        msg: |-
          {{ {'groups': groups} | to_json }}
          {% for h in ansible_play_hosts_all %}
          {{ {'host': h, 'vars': dict(palin_trust_names[h] | zip(palin_trust_names[h] | map('extract', hostvars[h])))} | to_json }}
          {% endfor %}
      run_once: true
"""

# For refused estates: what would connect, had the inventory been accepted (the jump host's
# address through ProxyJump's shell, ansible_host as ssh's first argument).
CONNECT_PLAY = """\
- name: Connect to every host
  hosts: all
  gather_facts: false
  tasks:
    - name: ping
      ansible.builtin.ping:
      timeout: 20
"""


class Played:
    """One `ansible-playbook` run of PLAY: its process and what the record task saw."""

    def __init__(self, proc, out_dir: Path):
        self.proc = proc
        self.delegated = (out_dir / "delegated").exists()
        self.groups: dict[str, list[str]] = {}
        self.vars: dict[str, dict] = {}
        if proc.returncode != 0:
            return
        results = task_results(proc.stdout, "record")
        assert len(results) == 1 and results[0][2], proc.stdout[-3000:]
        lines = [json.loads(line) for line in results[0][2]["msg"].splitlines() if line.strip()]
        self.groups = lines[0]["groups"]
        self.vars = {line["host"]: line["vars"] for line in lines[1:]}

    def describe(self) -> str:
        return f"--- exit {self.proc.returncode}\n--- stdout (end):\n{self.proc.stdout[-4000:]}\n--- stderr:\n{self.proc.stderr[-4000:]}"


def play(inst, tmp_path: Path, inventory: list[str], env: dict, names: dict[str, list[str]], cwd: Path, playbook: str = PLAY) -> Played:
    """Run `playbook` with `-i` `inventory` in `cwd` (the canary directory: a payload that runs
    with a relative path lands there too); `names` = host -> the variable names to template."""
    run_dir = tmp_path / "run"
    run_dir.mkdir(parents=True, exist_ok=True)
    book = run_dir / "play.yml"
    book.write_text(playbook)
    extra = run_dir / "names.json"
    extra.write_text(json.dumps({"palin_trust_names": names, "palin_trust_out": str(run_dir)}))
    argv = ["ansible-playbook", *[a for i in inventory for a in ("-i", i)], "-e", f"@{extra}", str(book)]
    proc = inst.run(argv, tmp_path, env=env, cwd=cwd, timeout=300)
    return Played(proc, run_dir)


def is_ip(value) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
