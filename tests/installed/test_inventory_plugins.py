"""The collection's inventory plugins, palin.aws.palin and palin.aws.aws_ec2, as users run them:
the installed collection and the installed palin-inventory wheel (the `installed` fixture), real
ansible-core, a Terraform state and moto.

What they must do: give Ansible the inventory the binary prints and that Ansible shows through the
script path with the same file (`--list --export` and `--graph`); put `tags` next to `ec2_tags` in
aws_ec2 mode only; name an unknown option, a missing binary and a failing source's reason without
-v; answer from Ansible's jsonfile cache with moto stopped, refresh with --flush-cache, treat a
corrupt or unusable cache as a miss; and never render a variable as a template.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "support"))
from moto_server import MOTO_CREDENTIALS, MotoServer  # noqa: E402 (the path above first)

QUICKSTART_STATE = REPO / "examples" / "quickstart" / "terraform.tfstate"
STRICT = {"ANSIBLE_INVENTORY_UNPARSED_FAILED": "1", "ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED": "1"}
TEMPLATE = "{{ lookup('pipe', 'touch %s') }}"

# An aws_ec2.yml as amazon.aws users write it, with the one line changed.
AWS_EC2 = """\
plugin: palin.aws.aws_ec2
regions: [eu-west-1, us-east-1]
endpoint_url: {endpoint}
filters:
  tag:Env: [prod, staging]
hostnames:
  - tag:Name
  - private-ip-address
compose:
  az: placement.availability_zone
keyed_groups:
  - key: tags.Role
    prefix: role
  - key: placement.region
    prefix: aws_region
  - key: instance_type
    prefix: type
    parent_group: instance_types
groups:
  web: "tags.Role == 'web'"
"""


# --------------------------------------------------------------------------- helpers
def unwrap(value):
    """ansible-inventory writes the strings Ansible does not trust as {"__ansible_unsafe": "..."}."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def untrusted_strings(value) -> bool:
    """Whether every string of `value` is written as untrusted (nothing Ansible would render)."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return True
        return all(untrusted_strings(v) for v in value.values())
    if isinstance(value, list):
        return all(untrusted_strings(v) for v in value)
    return not isinstance(value, str)


def shape(doc: dict) -> dict:
    """An inventory document (the binary's `--list`, or `ansible-inventory --list --export`)
    reduced to what both must agree on: per group its hosts and children as sets and its
    variables, without empty groups, the implicit `ungrouped`, and `all`'s implicit children;
    and every host's own variables."""
    groups = {}
    for name, group in doc.items():
        if name == "_meta":
            continue
        hosts, children = set(group.get("hosts", [])), set(group.get("children", []))
        variables = unwrap(group.get("vars", {}))
        if name == "all":
            children = {c for c in children if c != "ungrouped" and any(doc.get(c, {}).get(k) for k in ("hosts", "children", "vars"))}
        if name == "ungrouped" and not hosts:
            continue
        if hosts or children or variables or name == "all":
            groups[name] = {"hosts": hosts, "children": children, "vars": variables}
    hostvars = {h: unwrap(v) for h, v in doc.get("_meta", {}).get("hostvars", {}).items() if v}
    return {"groups": groups, "hostvars": hostvars}


class Inventory:
    """Runs the three readers of one inventory file in `installed`'s environment."""

    def __init__(self, installed, tmp_path: Path, env: dict | None = None):
        self.installed = installed
        self.tmp_path = tmp_path
        self.env = installed.env(tmp_path, **STRICT, **(env or {}))
        self.binary = installed.bin / "palin-inventory"

    def run(self, argv, env: dict | None = None, cwd: Path | None = None, check: bool = True) -> subprocess.CompletedProcess:
        full = dict(self.env)
        full.update(env or {})
        proc = self.installed.run(argv, self.tmp_path, env=full, cwd=cwd)
        if check:
            assert (
                proc.returncode == 0
            ), f"$ {' '.join(map(str, argv))}\n--- exit {proc.returncode}\n{proc.stdout}\n--- stderr:\n{proc.stderr}"
        return proc

    def plugin(self, source: Path, *args: str, **kw) -> subprocess.CompletedProcess:
        return self.run([self.installed.bin / "ansible-inventory", "-i", source, *args], **kw)

    def script(self, config: Path, *args: str, **kw) -> subprocess.CompletedProcess:
        env = {"PALIN_CONFIG": str(config), **kw.pop("env", {})}
        return self.run([self.installed.bin / "ansible-inventory", "-i", self.binary, *args], env=env, **kw)

    def binary_list(self, config: Path, **kw) -> dict:
        proc = self.run([self.binary, "--list", "--config", config], **kw)
        assert proc.stderr == ""
        return json.loads(proc.stdout)


def assert_three_agree(inv: Inventory, config: Path, cwd: Path) -> dict:
    """The plugin, the script path and the binary give the same inventory; returns the plugin's
    `ansible-inventory --list --export` document."""
    via_plugin = json.loads(inv.plugin(config, "--list", "--export", cwd=cwd).stdout)
    via_script = json.loads(inv.script(config, "--list", "--export", cwd=cwd).stdout)
    printed = inv.binary_list(config, cwd=cwd)
    assert shape(via_plugin) == shape(printed), "plugin vs palin-inventory --list"
    assert shape(via_plugin) == shape(via_script), "plugin vs the script path"
    graph_plugin = inv.plugin(config, "--graph", cwd=cwd).stdout
    assert graph_plugin == inv.script(config, "--graph", cwd=cwd).stdout
    printed_graph = inv.run([inv.binary, "--graph", "--config", config], cwd=cwd).stdout
    assert without_empty_ungrouped(graph_plugin) == without_empty_ungrouped(printed_graph)
    return via_plugin


def without_empty_ungrouped(graph: str) -> list[str]:
    """`--graph` lines without an empty `ungrouped` (Ansible always shows it, palin does not)."""
    lines = graph.strip().splitlines()
    return [
        line
        for n, line in enumerate(lines)
        if not (line == "  |--@ungrouped:" and not (n + 1 < len(lines) and lines[n + 1].startswith("  |  |--")))
    ]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def moto(tmp_path_factory):
    with MotoServer(tmp_path_factory.mktemp("moto")) as server:
        server.estate = server.seed("--bulk-rds", "0")
        yield server


def aws_env() -> dict:
    """moto's dummy credentials, and no AWS config files."""
    return {**MOTO_CREDENTIALS, "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"}


# --------------------------------------------------------------------------- Terraform state
def test_palin_plugin_on_a_terraform_state_equals_the_script_path_and_the_binary(installed, tmp_path):
    """Relative paths in the file are relative to the file, whatever the working directory."""
    (tmp_path / "state").mkdir()
    shutil.copy(QUICKSTART_STATE, tmp_path / "state" / "terraform.tfstate")
    config = write(
        tmp_path / "inventory" / "prod.palin.yml", "plugin: palin.aws.palin\nterraform:\n  states: [{path: ../state/terraform.tfstate}]\n"
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    inv = Inventory(installed, tmp_path)
    doc = assert_three_agree(inv, config, cwd=elsewhere)
    assert "web-0" in doc["aws_ec2"]["hosts"] and doc["all"]["vars"], doc
    assert untrusted_strings(doc["_meta"]["hostvars"]) and untrusted_strings(doc["all"]["vars"])
    assert "tags" not in doc["_meta"]["hostvars"]["web-0"], "palin.yml keeps ec2_tags only"
    # Withheld values never appear (the quickstart state holds the database password in clear).
    state = json.loads(QUICKSTART_STATE.read_text())
    secrets = [
        i["attributes"]["password"]
        for r in state["resources"]
        if r["type"] == "aws_db_instance"
        for i in r["instances"]
        if i["attributes"].get("password")
    ]
    assert secrets, "the fixture has a secret to withhold"
    text = inv.plugin(config, "--list", cwd=elsewhere).stdout
    assert not any(s in text for s in secrets)
    # The environment reaches the binary: revealing by name shows the value.
    text = inv.plugin(config, "--list", cwd=elsewhere, env={"PALIN_REVEAL": "password"}).stdout
    assert all(s in text for s in secrets)


def test_ansible_doc_renders_both_plugins(installed, tmp_path):
    inv = Inventory(installed, tmp_path)
    for name, options in (
        ("palin.aws.palin", ("source", "terraform", "executable", "cache_plugin")),
        ("palin.aws.aws_ec2", ("regions", "hostnames", "executable", "cache_plugin")),
    ):
        out = inv.run([installed.bin / "ansible-doc", "-t", "inventory", name]).stdout
        assert all(o in out for o in options), out


# A document with what populating must get right: a child named before its own entry, a host
# in several groups, group variables and `all` variables, a variable name Ansible only accepts
# with a deprecation, a host listed only in `_meta` (the script plugin ignores it), and a host
# that another inventory source defined first (its variables merge as Ansible merges them).
CRAFTED = {
    "_meta": {
        "hostvars": {
            "a": {"ansible_host": "10.0.0.1", "ec2_tags": {"Role": "web"}, "n": 1, "list": [1, {"x": None}]},
            "b": {"ec2_tags": {"Role": "db"}, "bad-name": "kept"},
            "static": {"ec2_tags": {"Role": "api"}, "from_palin": True},
            "orphan": {"x": 1},
        }
    },
    "all": {"children": ["parent", "aws_ec2"], "vars": {"palin_rds": {"app": {"host": "db.x", "port": 5432}}, "flag": False}},
    "parent": {"children": ["child"], "vars": {"level": "parent"}},
    "aws_ec2": {"hosts": ["a", "b", "static"]},
    "child": {"hosts": ["b", "a"], "vars": {"level": "child"}},
    "empty": {"hosts": []},
}
STATIC = "all:\n  hosts:\n    static:\n      ec2_tags: {Team: ops}\n      from_static: 1\n"


def test_populating_places_everything_as_the_script_plugin_does(installed, tmp_path):
    document = write(tmp_path / "doc.json", json.dumps(CRAFTED))
    fake = write(tmp_path / "fake-palin-inventory", f"#!/bin/sh\nexec cat {document}\n")
    fake.chmod(0o755)
    config = write(tmp_path / "crafted.palin.yml", f"plugin: palin.aws.palin\nexecutable: {fake}\n")
    static = write(tmp_path / "static.yml", STATIC)
    inv = Inventory(installed, tmp_path)
    for args in (["--list", "--export"], ["--list"], ["--graph", "--vars"]):
        via_plugin = inv.plugin(static, "-i", config, *args)
        via_script = inv.run([installed.bin / "ansible-inventory", "-i", static, "-i", fake, *args])
        if args[0] == "--graph":
            assert via_plugin.stdout == via_script.stdout
        else:
            assert unwrap(json.loads(via_plugin.stdout)) == unwrap(json.loads(via_script.stdout)), args
        warning = "invalid name 'bad-name'"
        assert warning in via_plugin.stderr and warning in via_script.stderr, via_plugin.stderr
    merged = unwrap(json.loads(inv.plugin(static, "-i", config, "--list").stdout))["_meta"]["hostvars"]
    assert merged["static"]["from_static"] == 1 and merged["static"]["from_palin"] is True
    assert merged["a"]["level"] == "child" and merged["a"]["palin_rds"]["app"]["port"] == 5432
    assert "orphan" not in merged


# --------------------------------------------------------------------------- errors
def test_an_unknown_option_is_named(installed, tmp_path, moto):
    inv = Inventory(installed, tmp_path, env=aws_env())
    palin = write(tmp_path / "typo.palin.yml", "plugin: palin.aws.palin\nhostname: [tag:Name]\n")
    proc = inv.plugin(palin, "--list", check=False)
    assert proc.returncode != 0 and "unknown field `hostname`" in proc.stderr, proc.stderr
    aws = write(tmp_path / "typo.aws_ec2.yml", f"plugin: palin.aws.aws_ec2\nendpoint_url: {moto.url}\nregoins: [eu-west-1]\n")
    proc = inv.plugin(aws, "--list", check=False)
    assert proc.returncode != 0 and 'option "regoins"' in proc.stderr, proc.stderr
    # An amazon.aws option palin does not implement is refused by name, not ignored.
    ssm = write(tmp_path / "ssm.aws_ec2.yml", f"plugin: palin.aws.aws_ec2\nendpoint_url: {moto.url}\nuse_ssm_inventory: true\n")
    proc = inv.plugin(ssm, "--list", check=False)
    assert proc.returncode != 0 and 'option "use_ssm_inventory"' in proc.stderr, proc.stderr


def test_a_failing_source_shows_its_reason_without_verbose(installed, tmp_path):
    config = write(tmp_path / "missing.palin.yml", "plugin: palin.aws.palin\nterraform:\n  states: [{path: nowhere.tfstate}]\n")
    proc = Inventory(installed, tmp_path).plugin(config, "--list", check=False)
    assert proc.returncode != 0
    assert "palin-inventory: " in proc.stderr and "nowhere.tfstate" in proc.stderr, proc.stderr
    assert "web-0" not in proc.stdout


def test_a_missing_binary_says_where_it_looked_and_how_to_install_it(installed, tmp_path):
    """A Python without palin-inventory next to it, and a PATH without it either."""
    other = tmp_path / "other-venv"
    subprocess.run([installed.bin / "python", "-m", "venv", "--without-pip", other], check=True)
    site = subprocess.run(
        [installed.bin / "python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    own = subprocess.run(
        [other / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(own, "installed.pth").write_text(site + "\n")
    shutil.copy(QUICKSTART_STATE, tmp_path / "terraform.tfstate")
    config = write(tmp_path / "quick.palin.yml", "plugin: palin.aws.palin\n")
    inv = Inventory(installed, tmp_path, env={"PATH": "/usr/bin:/bin"})
    proc = inv.run([other / "bin" / "python", "-m", "ansible", "inventory", "-i", config, "--list"], check=False)
    assert proc.returncode != 0
    for needle in (
        "palin-inventory was not found",
        "looked on PATH (/usr/bin:/bin)",
        str(other / "bin"),
        "pip install palin-inventory",
        "executable",
    ):
        assert needle in proc.stderr, f"{needle!r} not in:\n{proc.stderr}"
    # The same Python finds it when told where it is.
    proc = inv.run(
        [other / "bin" / "python", "-m", "ansible", "inventory", "-i", config, "--list"],
        env={"PALIN_INVENTORY_EXECUTABLE": str(inv.binary)},
    )
    assert "web-0" in json.loads(proc.stdout)["_meta"]["hostvars"]
    # A configured path that is not there is named.
    bad = write(tmp_path / "bad.palin.yml", "plugin: palin.aws.palin\nexecutable: bin/palin-inventory\n")
    proc = inv.plugin(bad, "--list", check=False)
    assert (
        proc.returncode != 0 and f"executable {tmp_path / 'bin' / 'palin-inventory'} is not an executable file" in proc.stderr
    ), proc.stderr


# --------------------------------------------------------------------------- the AWS API (moto)
def test_aws_ec2_plugin_equals_the_script_path_and_the_binary(installed, tmp_path, moto):
    config = write(tmp_path / "prod.aws_ec2.yml", AWS_EC2.format(endpoint=moto.url))
    inv = Inventory(installed, tmp_path, env=aws_env())
    doc = assert_three_agree(inv, config, cwd=tmp_path)
    hostvars = unwrap(doc["_meta"]["hostvars"])
    assert {"bastion-1", "web-4"} <= set(hostvars) and "dev-1" not in hostvars
    assert {"role_web", "aws_region_us_east_1", "web", "instance_types"} <= set(doc)
    # Drop-in: the tag dict is `tags`, as amazon.aws.aws_ec2 sets it, and `ec2_tags`.
    for host, v in hostvars.items():
        assert v["tags"] == v["ec2_tags"] and v["tags"]["Env"] in ("prod", "staging"), host
    assert untrusted_strings(doc["_meta"]["hostvars"])


def test_palin_yml_on_the_aws_api_keeps_ec2_tags_only(installed, tmp_path, moto):
    config = write(
        tmp_path / "aws.palin.yml",
        f"plugin: palin.aws.palin\nsource: aws\naws:\n  regions: [eu-west-1]\n  endpoint_url: {moto.url}\n  services: [ec2]\n",
    )
    doc = json.loads(Inventory(installed, tmp_path, env=aws_env()).plugin(config, "--list", "--export").stdout)
    hostvars = unwrap(doc["_meta"]["hostvars"])
    assert hostvars["web-1"]["ec2_tags"]["Role"] == "web"
    assert not any("tags" in v for v in hostvars.values())


def test_jsonfile_cache_answers_with_moto_stopped_and_a_bad_cache_is_a_miss(installed, tmp_path):
    """moto gains an instance after the first run: a cached answer has 3 hosts, a live one 4."""
    cache_dir = tmp_path / "cache"
    with MotoServer(tmp_path / "moto") as own:
        own.seed("--count", "3", "--regions", "eu-west-1")
        config = write(
            tmp_path / "cached.aws_ec2.yml",
            f"plugin: palin.aws.aws_ec2\nregions: [eu-west-1]\nendpoint_url: {own.url}\nhostnames: [instance-id]\n"
            f"cache: true\ncache_plugin: ansible.builtin.jsonfile\ncache_connection: {cache_dir}\ncache_timeout: 3600\n",
        )
        inv = Inventory(installed, tmp_path, env=aws_env())

        def hosts(*args: str) -> set[str]:
            return set(json.loads(inv.plugin(config, "--list", *args).stdout)["_meta"]["hostvars"])

        first = hosts()
        assert len(first) == 3
        entries = list(cache_dir.iterdir())
        assert len(entries) == 1 and "palin.aws.aws_ec2_" in entries[0].name, entries
        own.seed("--count", "1", "--regions", "eu-west-1", "--prefix", "late")
        assert hosts() == first, "answered from the cache"
        # A corrupt file is a miss: read live, and the entry is written again.
        entries[0].write_text("{not json")
        now = hosts()
        assert len(now) == 4 and first < now
        # So is an entry the cache plugin reads back but that is not an inventory document
        # (written through the cache plugin, in its own format): never an inventory.
        for bogus in ("[1, 2]", {"_meta": 1}):
            cache_set(installed, tmp_path, cache_dir, bogus)
            assert hosts() == now, bogus
        assert hosts() == now, "the entry was written again"
        assert hosts("--flush-cache") == now
        own.stop()
        # moto stopped: answered from the cache.
        assert hosts() == now
        # --flush-cache asks AWS again: it fails with the reason, never a stale answer.
        proc = inv.plugin(config, "--list", "--flush-cache", check=False)
        assert proc.returncode != 0 and "palin-inventory: " in proc.stderr and "DescribeInstances" in proc.stderr, proc.stderr
        # The failed refresh left the entry alone.
        assert hosts() == now


CACHE_SET = """
import json, sys
from ansible.plugins.loader import cache_loader, init_plugin_loader
init_plugin_loader()
plugin = cache_loader.get("ansible.builtin.jsonfile", _uri=sys.argv[1], _prefix="ansible_inventory_", _timeout=3600)
keys = list(plugin.keys())
assert len(keys) == 1, keys
plugin.set(keys[0], json.loads(sys.argv[2]))
"""


def cache_set(installed, tmp_path: Path, cache_dir: Path, value) -> None:
    """Replace the one entry of a jsonfile cache directory with `value`, through the plugin."""
    proc = installed.run(["python", "-c", CACHE_SET, str(cache_dir), json.dumps(value)], tmp_path)
    assert proc.returncode == 0, proc.stderr


def test_a_cache_that_cannot_be_set_up_is_a_warning_not_a_failure(installed, tmp_path):
    shutil.copy(QUICKSTART_STATE, tmp_path / "terraform.tfstate")
    blocker = write(tmp_path / "a-file", "")
    config = write(
        tmp_path / "q.palin.yml",
        f"plugin: palin.aws.palin\ncache: true\ncache_plugin: ansible.builtin.jsonfile\ncache_connection: {blocker}/cache\n",
    )
    proc = Inventory(installed, tmp_path).plugin(config, "--list")
    assert "web-0" in json.loads(proc.stdout)["_meta"]["hostvars"]
    assert "inventory cache" in proc.stderr and "reading live" in proc.stderr, proc.stderr


# --------------------------------------------------------------------------- never templated
def test_variables_are_never_rendered_as_templates(installed, tmp_path):
    """A tag value that is a Jinja template reaches a playbook as the literal text, live and from
    the cache, and its lookup never runs."""
    marker = tmp_path / "rendered"
    evil = TEMPLATE % marker
    state = json.loads(QUICKSTART_STATE.read_text())
    for resource in state["resources"]:
        if resource["type"] == "aws_instance":
            for instance in resource["instances"]:
                instance["attributes"]["tags"]["Note"] = evil
                instance["attributes"]["tags_all"]["Note"] = evil
    write(tmp_path / "terraform.tfstate", json.dumps(state))
    config = write(
        tmp_path / "evil.palin.yml",
        f"plugin: palin.aws.palin\ncache: true\ncache_plugin: ansible.builtin.jsonfile\ncache_connection: {tmp_path / 'cache'}\n",
    )
    play = write(
        tmp_path / "play.yml",
        "- hosts: all\n  gather_facts: false\n  tasks:\n"
        '    - ansible.builtin.debug:\n        msg: "NOTE={{ ec2_tags.Note }}"\n      delegate_to: localhost\n',
    )
    inv = Inventory(installed, tmp_path)
    for run in ("live", "cached"):
        proc = inv.run([installed.bin / "ansible-playbook", "-i", config, play])
        assert f'"msg": "NOTE={evil}"' in proc.stdout, (run, proc.stdout)
        assert not marker.exists(), f"{run}: the tag's lookup ran"
    assert any((tmp_path / "cache").iterdir()), "the second run had a cache to read"
