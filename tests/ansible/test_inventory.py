"""palin-inventory as Ansible sees it: the real binary under the real ansible-core (.venv).

Every test runs with the hermetic environment of conftest.Runner (no inherited AWS_*/PALIN_*/
ANSIBLE_*; PALIN_TFSTATE = the stack fixture; unparsed inventory = failure) and checks that no
output contains a fixture secret.
"""

from __future__ import annotations

import json
import os
import subprocess
import re
from pathlib import Path

import pytest
import yaml
from conftest import PLAYBOOKS, SECRET_MARK, STACK, Runner, assert_clean_stderr
from inventory_model import Inventory, normalize_list, parse_graph, unwrap

# -------------------------------------------------------------------------- helpers


def ansible_list(runner: Runner, source, *extra: str, env: dict | None = None, secrets_ok: bool = False) -> dict:
    proc = runner.ansible("ansible-inventory", "-i", source, "--list", *extra, env=env, secrets_ok=secrets_ok)
    assert_clean_stderr(proc)
    return json.loads(proc.stdout)


def assert_same_list(actual: dict, expected: dict) -> None:
    """Compares two `ansible-inventory --list` documents group by group, then host by host, so a
    failure names the first difference instead of dumping two large documents."""
    a, e = normalize_list(actual), normalize_list(expected)
    assert sorted(a) == sorted(e), "group names differ"
    for name in sorted(e):
        if name != "_meta":
            assert a[name] == e[name], f"group {name!r} differs"
    ah, eh = a["_meta"]["hostvars"], e["_meta"]["hostvars"]
    assert sorted(ah) == sorted(eh), "hosts with vars differ"
    for host in sorted(eh):
        assert sorted(ah[host]) == sorted(eh[host]), f"var names of host {host!r} differ"
        for var in sorted(eh[host]):
            assert ah[host][var] == eh[host][var], f"host {host!r} var {var!r} differs"


@pytest.fixture
def palin_doc(runner: Runner) -> dict:
    """`palin-inventory --list` for the stack fixture."""
    return runner.palin_list()


@pytest.fixture
def palin_inv(palin_doc: dict) -> Inventory:
    return Inventory.from_script_json(palin_doc)


# ---------------------------------------------------------------------------- tests


def test_fixture_has_secrets_to_hide():
    """The secret checks below only mean something if the input really holds secrets."""
    assert SECRET_MARK in STACK.read_text()


def test_list_matches_ansible_inventory(runner: Runner, palin_bin: Path, palin_inv: Inventory):
    """ansible-inventory reads palin's --list exactly as Ansible's rules predict: same groups
    (with hosts reached through children), same effective hostvars (all.vars and group vars
    merged by depth/priority/name, host vars last), and no warning on stderr."""
    actual = ansible_list(runner, palin_bin)
    assert_same_list(actual, palin_inv.ansible_list())
    # Spelled out, the two properties that matter most to a play:
    for group in palin_inv.groups:
        members = palin_inv.members(group)
        if members:
            assert group in actual, f"group {group!r} ({sorted(members)}) missing from ansible-inventory"
    assert set(actual["_meta"]["hostvars"]) == set(palin_inv.hostvars)


def test_export_matches_ansible_inventory(runner: Runner, palin_bin: Path, palin_inv: Inventory):
    """With --export ansible-inventory keeps vars where palin put them (group vars on groups,
    host vars on hosts): both must survive unchanged."""
    actual = ansible_list(runner, palin_bin, "--export")
    assert_same_list(actual, palin_inv.ansible_list(export=True))


def test_hosts_are_named_and_grouped(palin_doc: dict, palin_inv: Inventory):
    """Sanity of the --list document itself (what the tests below build on)."""
    hosts = set(palin_inv.hostvars)
    assert {"web-0", "bastion"} <= hosts, sorted(hosts)
    for name in palin_inv.groups:
        assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name), f"group name {name!r} is not a safe Ansible name"
    assert not palin_inv.orphans, f"hosts in _meta.hostvars but in no group (Ansible drops them): {palin_inv.orphans}"
    for host, hv in palin_doc["_meta"]["hostvars"].items():
        assert hv.get("ansible_host"), f"{host} has no ansible_host"


def test_no_reserved_variable_names(palin_inv: Inventory):
    """No variable palin emits uses a name Ansible reserves for play keywords (`tags`, `name`,
    `port`, `environment`, ...): each one costs a `[WARNING]: Found variable using reserved name`
    on every Ansible run (amazon.aws renamed its `tags` hostvar to `ec2_tags` for this reason)."""
    from ansible.vars.reserved import get_reserved_names

    reserved = set(get_reserved_names()) - {"vars"}
    found = {f"group {g.name}: {k}" for g in palin_inv.groups.values() for k in g.vars if k in reserved}
    found |= {f"host {h}: {k}" for h, hv in palin_inv.hostvars.items() for k in hv if k in reserved}
    assert not found, sorted(found)


def test_host_matches_list(runner: Runner, palin_doc: dict):
    """--host NAME prints that host's _meta.hostvars entry."""
    for host, hv in palin_doc["_meta"]["hostvars"].items():
        proc = runner.palin("--host", host, "--plain")
        assert proc.stderr == ""
        assert json.loads(proc.stdout) == hv, host
        # Without --plain, the same variables with every string marked unsafe.
        wrapped = runner.palin("--host", host).stdout
        assert unwrap(json.loads(wrapped)) == hv and wrapped != proc.stdout, host


def test_graph_matches_ansible_inventory(runner: Runner, palin_bin: Path, palin_inv: Inventory):
    """ansible-inventory --graph shows every host of palin's --list, in the tree palin's own
    --graph draws."""
    proc = runner.ansible("ansible-inventory", "-i", palin_bin, "--graph")
    assert_clean_stderr(proc)
    ansible_edges = parse_graph(proc.stdout)
    ansible_hosts = {child for _, child in ansible_edges if not child.startswith("@")}
    assert ansible_hosts == set(palin_inv.hostvars)
    assert ansible_edges == palin_inv.graph_edges()

    own = runner.palin("--graph")
    assert own.stderr == ""
    own_edges = parse_graph(own.stdout)
    # The one allowed difference: Ansible always draws its implicit `ungrouped` group, palin only
    # when some host is in it.
    if not palin_inv.groups["ungrouped"].hosts:
        ansible_edges = ansible_edges - {("all", "@ungrouped")}
    assert own_edges == ansible_edges
    # Same tree, and so the same multiset of drawn lines.
    lines = lambda text: sorted(ln for ln in text.splitlines() if ln.strip() and ln != "  |--@ungrouped:")  # noqa: E731
    assert lines(own.stdout) == lines(proc.stdout)


def test_ping_every_host(runner: Runner, palin_bin: Path, palin_inv: Inventory, venv_python: Path):
    """`ansible all -m ping -c local` reaches every host palin lists."""
    for host, hv in palin_inv.hostvars.items():
        # An inventory ansible_connection would override -c local and make this test meaningless.
        assert "ansible_connection" not in palin_inv.effective_vars(host), host
    proc = runner.ansible(
        "ansible",
        "all",
        "-i",
        palin_bin,
        "-m",
        "ansible.builtin.ping",
        "-c",
        "local",
        "-e",
        f"ansible_python_interpreter={venv_python}",
        "--forks",
        "10",
    )
    assert_clean_stderr(proc)
    ok = sorted(m.group(1) for m in re.finditer(r"^(\S+) \| SUCCESS", proc.stdout, re.M))
    assert ok == sorted(palin_inv.hostvars), proc.stdout


def _run_endpoints(runner: Runner, source, venv_python: Path, expect_aliases: bool, env: dict | None = None) -> dict:
    out = runner.tmp / "endpoints.json"
    proc = runner.ansible(
        "ansible-playbook",
        "-i",
        source,
        PLAYBOOKS / "endpoints.yml",
        "-e",
        f"ansible_python_interpreter={venv_python}",
        "-e",
        json.dumps({"palin_out": str(out), "expect_aliases": expect_aliases}),
        env=env,
    )
    assert_clean_stderr(proc)
    assert re.search(r"failed=0\b", proc.stdout) and "unreachable=0" in proc.stdout, proc.stdout
    return json.loads(out.read_text())


def test_endpoints_playbook(runner: Runner, palin_bin: Path, palin_doc: dict, venv_python: Path):
    """A play sees palin_rds / palin_redis / palin_lb exactly as palin printed them in all.vars.
    The stack has two Postgres (an instance and an Aurora cluster) and two Redis, so the
    single-endpoint aliases must be absent."""
    seen = _run_endpoints(runner, palin_bin, venv_python, expect_aliases=False)
    allvars = palin_doc["all"]["vars"]
    for var in ("palin_rds", "palin_redis", "palin_lb"):
        assert seen[var] == allvars[var], var
    assert seen["aliases"] == {}
    assert not [k for k in allvars if re.match(r"palin_(postgres|redis)_", k)]
    # The expected endpoints from the fixture (see gen_fixtures.py).
    rds, redis = allvars["palin_rds"], allvars["palin_redis"]
    assert rds["palin-app"]["host"] == "palin-app.c7x2kq9mdl4e.eu-west-1.rds.amazonaws.com"
    assert rds["palin-app"]["port"] == 5432
    assert rds["palin-reporting"]["host"] == "palin-reporting.cluster-c7x2kq9mdl4e.eu-west-1.rds.amazonaws.com"
    assert rds["palin-reporting"]["reader_host"] == "palin-reporting.cluster-ro-c7x2kq9mdl4e.eu-west-1.rds.amazonaws.com"
    assert redis["palin-cache"]["host"] == "master.palin-cache.w3xq1n.euw1.cache.amazonaws.com"
    assert redis["palin-cache"]["port"] == 6379
    assert redis["palin-cache"]["tls"] is True
    assert set(redis) == {"palin-cache", "palin-sessions"}


def _single_endpoint_state(tmp: Path) -> Path:
    """The stack without the Aurora cluster and the standalone cache cluster: one Postgres and
    one Redis left, so the aliases must be set."""
    state = json.loads(STACK.read_text())
    drop = {"aws_rds_cluster", "aws_rds_cluster_instance", "aws_elasticache_cluster"}
    state["resources"] = [r for r in state["resources"] if r["type"] not in drop]
    path = tmp / "single.tfstate"
    path.write_text(json.dumps(state))
    return path


def test_endpoint_aliases_with_single_endpoints(runner: Runner, palin_bin: Path, venv_python: Path):
    env = {"PALIN_TFSTATE": _single_endpoint_state(runner.tmp)}
    doc = runner.palin_list(env=env)
    allvars = doc["all"]["vars"]
    assert allvars["palin_postgres_host"] == "palin-app.c7x2kq9mdl4e.eu-west-1.rds.amazonaws.com"
    assert allvars["palin_postgres_port"] == 5432
    assert allvars["palin_postgres_db_name"] == "palindromes"
    assert allvars["palin_redis_host"] == "master.palin-cache.w3xq1n.euw1.cache.amazonaws.com"
    assert allvars["palin_redis_port"] == 6379
    seen = _run_endpoints(runner, palin_bin, venv_python, expect_aliases=True, env=env)
    for var in ("palin_rds", "palin_redis", "palin_lb"):
        assert seen[var] == allvars[var], var
    expected_aliases = {k: v for k, v in allvars.items() if re.match(r"palin_(postgres|redis)_", k)}
    assert seen["aliases"] == expected_aliases


def test_export_round_trip(runner: Runner, palin_bin: Path):
    """--export ini / yaml give static inventories that Ansible reads to the same groups, hosts
    and effective hostvars as the live script."""
    live = ansible_list(runner, palin_bin)
    for fmt, name in (("ini", "snap.ini"), ("yaml", "snap.yml")):
        proc = runner.palin("--export", fmt)
        assert proc.stderr == ""
        snap = runner.tmp / name
        snap.write_text(proc.stdout)
        assert SECRET_MARK not in snap.read_text()
        if fmt == "yaml":
            # A string that could be a template is tagged !unsafe (Ansible's marker for data).
            loader = type("UnsafeLoader", (yaml.SafeLoader,), {})
            loader.add_constructor("!unsafe", lambda ld, node: ld.construct_scalar(node))
            assert isinstance(yaml.load(proc.stdout, Loader=loader), dict)
        assert_same_list(ansible_list(runner, snap), live)


def test_reveal_includes_named_output(runner: Runner, palin_bin: Path):
    """PALIN_REVEAL=db_password puts that sensitive output (and no other secret) in all.vars."""
    env = {"PALIN_REVEAL": "db_password"}
    doc = runner.palin_list(env=env, secrets_ok=True)
    allvars = doc["all"]["vars"]
    assert allvars["db_password"] == "FIXTURE-SECRET-db-pw-7f3a"
    leaked = set(re.findall(r"FIXTURE-SECRET[\w-]*", json.dumps(doc)))
    assert leaked == {"FIXTURE-SECRET-db-pw-7f3a"}, leaked
    seen = ansible_list(runner, palin_bin, env=env, secrets_ok=True)
    for host, hv in seen["_meta"]["hostvars"].items():
        assert unwrap(hv["db_password"]) == "FIXTURE-SECRET-db-pw-7f3a", host


def test_no_secret_without_reveal(runner: Runner):
    """Sensitive outputs are left out by default, in every output format."""
    for args in (("--list",), ("--graph",), ("--export", "ini"), ("--export", "yaml")):
        proc = runner.palin(*args)  # the runner asserts no FIXTURE-SECRET in stdout/stderr
        assert proc.stdout
    doc = runner.palin_list()
    assert "db_password" not in doc["all"].get("vars", {})
    assert "redis_auth_token" not in doc["all"].get("vars", {})


def test_missing_state_fails_ansible(runner: Runner, palin_bin: Path):
    """A missing state is a hard failure in Ansible (with the UNPARSED_FAILED settings), and
    Ansible shows palin's one-line reason."""
    missing = runner.tmp / "nope" / "terraform.tfstate"
    env = {"PALIN_TFSTATE": missing}
    own = runner.palin("--list", env=env, check=False)
    assert own.returncode == 1, own
    assert own.stdout == ""
    lines = own.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("palin-inventory: "), own.stderr
    assert str(missing) in lines[0]

    proc = runner.ansible("ansible-inventory", "-i", palin_bin, "--list", env=env, check=False)
    assert proc.returncode != 0, proc.stdout
    assert lines[0] in proc.stderr, proc.stderr
    assert proc.stdout.strip() == ""


def test_readme_quick_start(palin_bin: Path):
    """The README's one-command quick start runs and shows palin's tree and Ansible's view of it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PALIN_", "AWS_", "ANSIBLE_", "TF_"))}
    env["PALIN_BIN"] = str(palin_bin)
    script = Path(__file__).resolve().parents[2] / "examples" / "quickstart" / "run.sh"
    proc = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "[WARNING]" not in proc.stderr and "[ERROR]" not in proc.stderr, proc.stderr
    assert "== ansible-inventory -i palin-inventory --graph" in proc.stdout
    assert proc.stdout.count("|--@tag_Role_web:") == 2  # once from palin, once from Ansible
    assert '"palin_rds"' in proc.stdout and "FIXTURE-SECRET" not in proc.stdout
