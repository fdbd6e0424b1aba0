"""The trust boundary in palin-inventory's own output (issue 20), the binary run directly (env
PALIN_BIN, default target/debug/palin-inventory) on hostile Terraform states and a hostile moto
estate:

* `--list` and `--host` wrap every string variable value, nested ones and `all`'s (Terraform
  outputs, endpoint variables) included, as {"__ansible_unsafe": text}; `--plain` is the same
  document with plain strings; host and group names are never wrapped, and are never `localhost`,
  a loopback address, a template, an option or a marker;
* marker keys (`__ansible_unsafe`, `__ansible_vault`, `__ansible_type`) are dropped at any depth
  and as variable names, in every output;
* keyed groups that would be `all` or `ungrouped` make no group; the one bastion is the jump
  host; two bastions are refused unless one is pinned (by instance id);
* every refused case (a connection value that is not an address or a user name, a shell in the
  bastion's address, two bastions, a reserved group name, an instance id or endpoint name that
  cannot be a host name) exits 1 with exactly one stderr line that names what is wrong and quotes
  no value, and prints nothing on stdout;
* `--export yaml` tags every string value that holds a `{` `!unsafe` and keeps every other one a
  string as Ansible's YAML 1.1 reads it (`'16.3'`, `'yes'`, `'1_000'`: ansible-core >= 2.19
  resolves `!unsafe '16.3'` to a float); `--export ini` refuses a template value and keeps
  newlines, quotes and INI syntax inside one value.

What Ansible makes of all this, on every supported ansible-core, is test_ansible_paths.py's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[0] / "support"))
from moto_server import MOTO_CREDENTIALS, MotoServer  # noqa: E402 (the paths above first)
from trust_estates import (  # noqa: E402
    BASTION_IP,
    JUMP_USER,
    LOOKS_TYPED,
    MARKERS,
    PAYLOAD_FRAGMENTS,
    TF_CONFIG,
    Canary,
    clean_state,
    moto_palin_yml,
    refused_states,
    seed_moto,
    tf_accepted,
    without_markers,
    write_json,
)
from trust_support import (  # noqa: E402
    GROUP_NAME,
    LOCAL_NAMES,
    any_wrapper,
    differences,
    marker_keys,
    plain_strings_wrapped,
    unwrap,
)

REPO = HERE.parents[1]
REPO_VENV = Path(os.environ.get("PALIN_VENV") or REPO / ".venv")


def clean_env(home: Path, **extra: str) -> dict:
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PALIN_", "ANSIBLE_", "TF_"))}
    env.update(HOME=str(home), LC_ALL="C.UTF-8", AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent")
    env.update(extra)
    return env


class Binary:
    def __init__(self, path: Path, workdir: Path, env: dict | None = None):
        self.path, self.workdir = path, workdir
        self.env = clean_env(workdir / "home", **(env or {}))

    def run(self, *args: str, config: Path | None = None) -> subprocess.CompletedProcess:
        argv = [str(self.path), *args] + (["--config", str(config)] if config else [])
        return subprocess.run(argv, env=self.env, cwd=self.workdir, capture_output=True, text=True, timeout=120, check=False)

    def ok(self, *args: str, config: Path | None = None) -> str:
        proc = self.run(*args, config=config)
        assert proc.returncode == 0 and proc.stderr == "", f"{args}: exit {proc.returncode}\n{proc.stderr}"
        return proc.stdout

    def doc(self, *args: str, config: Path | None = None) -> dict:
        return json.loads(self.ok(*args, config=config))


def assert_refused(proc: subprocess.CompletedProcess, canary: Canary, names: tuple[str, ...], what: str) -> str:
    """Exit 1, nothing on stdout, one stderr line from palin naming `names` and quoting no
    payload; returns the line."""
    assert proc.returncode == 1, f"{what}: exit {proc.returncode}, stderr: {proc.stderr!r}"
    assert proc.stdout == "", f"{what}: stdout {proc.stdout[:500]!r}"
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and proc.stderr.endswith("\n"), f"{what}: not one stderr line: {proc.stderr!r}"
    line = lines[0]
    assert line.startswith("palin-inventory: "), f"{what}: {line!r}"
    for fragment in (*PAYLOAD_FRAGMENTS, str(canary.dir)):
        assert fragment not in line, f"{what}: the line quotes a payload ({fragment!r}): {line!r}"
    for name in names:
        assert name in line, f"{what}: {name!r} not named: {line!r}"
    assert canary.fired() == [], f"{what}: payloads ran: {canary.fired()}"
    return line


# --------------------------------------------------------------------------- Terraform
@pytest.fixture(scope="module")
def tf(tmp_path_factory, palin_bin):
    """The accepted Terraform estate, its palin.yml and the binary in a clean environment."""
    work = tmp_path_factory.mktemp("trust-tf")
    canary = Canary(work / "canary")
    canary.dir.mkdir()
    state, expected = tf_accepted(canary)
    write_json(work / "hostile.tfstate", state)
    config = work / "hostile.yml"
    config.write_text("terraform:\n  states: [{path: hostile.tfstate}]\n" + TF_CONFIG)
    binary = Binary(palin_bin, work)
    yield binary, config, canary, expected
    assert canary.fired() == [], f"payloads ran: {canary.fired()}"


def test_list_wraps_every_string_value_and_plain_does_not(tf):
    binary, config, canary, expected = tf
    wrapped = binary.doc("--list", config=config)
    plain = binary.doc("--plain", "--list", config=config)
    assert json.loads(binary.ok("--list", "--pretty", config=config)) == wrapped
    for name, group in wrapped.items():
        if name != "_meta":
            assert plain_strings_wrapped(group.get("vars", {}), f"{name}.vars") == []
            assert all(isinstance(h, str) for h in group.get("hosts", []) + group.get("children", [])), name
    for host, variables in wrapped["_meta"]["hostvars"].items():
        assert plain_strings_wrapped(variables, host) == []
    assert unwrap(wrapped) == plain
    assert not any_wrapper(plain), "--plain holds an unsafe wrapper"
    assert set(plain["_meta"]["hostvars"]) == set(expected.hosts)
    # The payloads are there, as the text the tag or state writer wrote.
    hostvars = plain["_meta"]["hostvars"]
    for host, tags in expected.tags.items():
        assert hostvars[host]["ec2_tags"] == without_markers(tags), host
    for (host, *path), text in expected.literal.items():
        value = plain["all"]["vars"] if host == "all" else hostvars[host]
        for step in path:
            value = value[step]
        assert value == text, (host, path)
    for name, value in expected.all_vars.items():
        assert plain["all"]["vars"][name] == value, name
    assert canary.fired() == []


def test_host_wraps_like_list(tf):
    binary, config, _canary, expected = tf
    wrapped = binary.doc("--list", config=config)["_meta"]["hostvars"]
    for host in expected.hosts:
        one = binary.doc("--host", host, config=config)
        assert one == wrapped[host], host
        assert binary.doc("--plain", "--host", host, config=config) == unwrap(one), host


def test_marker_keys_are_dropped_in_every_output(tf):
    binary, config, _canary, _expected = tf
    for args in (["--list"], ["--plain", "--list"], ["--list", "--pretty"]):
        doc = binary.doc(*args, config=config)
        assert marker_keys(doc) == [], (args, marker_keys(doc))
        for host, variables in doc["_meta"]["hostvars"].items():
            assert not set(variables) & set(MARKERS), host
        assert not set(doc["all"]["vars"]) & set(MARKERS)
        assert "ansible_connection" not in doc["all"]["vars"] and "groups" not in doc["all"]["vars"]
    for host in ("web-1", "bastion"):
        assert marker_keys(binary.doc("--host", host, config=config)) == [], host
    snapshot = yaml.load(binary.ok("--export", "yaml", config=config), Loader=UnsafeLoader)
    assert marker_keys(strip_unsafe(snapshot)) == []


def test_hostile_names_fall_back_and_groups_stay_names(tf):
    """A Name that is localhost, a loopback address, a template, an option or a marker is not a
    host name: the next preference (`Alt`) or the instance id is; keyed groups `all` and
    `ungrouped` are not made, and every group name is a plain identifier."""
    binary, config, _canary, expected = tf
    doc = binary.doc("--plain", "--list", config=config)
    hosts = set(doc["_meta"]["hostvars"])
    assert hosts == set(expected.hosts)
    assert "alt-host" in hosts and not hosts & LOCAL_NAMES
    for host in hosts:
        assert "{" not in host and not host.startswith(("-", "__ansible_")), host
    for name, group in doc.items():
        if name == "_meta":
            continue
        assert GROUP_NAME.match(name), name
        assert set(group.get("hosts", [])) <= hosts, name
    assert set(doc["_meta"]) == {"hostvars"}, "a group named _meta"
    assert not set(doc) & (expected.no_group - {"_meta"})
    assert "worker-1" not in doc.get("all", {}).get("hosts", []), "a keyed group `all` added a host to all"
    assert "worker-2" not in doc.get("ungrouped", {}).get("hosts", []), "a keyed group `ungrouped` was made"
    for group, members in expected.group_members.items():
        assert set(doc[group]["hosts"]) == members, group


def test_the_one_bastion_is_the_jump_host(tf):
    binary, config, _canary, expected = tf
    hostvars = binary.doc("--plain", "--list", config=config)["_meta"]["hostvars"]
    assert "ansible_ssh_common_args" not in hostvars[expected.bastion]
    assert hostvars[expected.bastion]["ansible_host"] == BASTION_IP
    for host in expected.private:
        assert hostvars[host]["ansible_ssh_common_args"] == f"-o ProxyJump={JUMP_USER}@{BASTION_IP}", host


REFUSED_CASES = sorted(refused_states(Canary(Path("/c"))))


@pytest.mark.parametrize("case", REFUSED_CASES)
def test_refused_state(case, tmp_path, palin_bin):
    """Every output of a refused state fails the same way: exit 1, one line, nothing on stdout."""
    canary = Canary(tmp_path / "canary")
    canary.dir.mkdir()
    state, extra, names = refused_states(canary)[case]
    write_json(tmp_path / "state.tfstate", state)
    config = tmp_path / "palin.yml"
    config.write_text("terraform:\n  states: [{path: state.tfstate}]\n" + extra)
    binary = Binary(palin_bin, tmp_path)
    lines = set()
    for args in (["--list"], ["--plain", "--list"], ["--host", "bastion"], ["--export", "yaml"], ["--export", "ini"]):
        lines.add(assert_refused(binary.run(*args, config=config), canary, names, f"{case} {args}"))
    # The same through PALIN_TFSTATE, as Ansible's script plugin runs it (no arguments but --list).
    env_config = tmp_path / "env.yml"
    env_config.write_text(extra or "{}\n")
    binary.env.update(PALIN_CONFIG=str(env_config), PALIN_TFSTATE=str(tmp_path / "state.tfstate"))
    lines.add(assert_refused(binary.run("--list"), canary, names, f"{case} PALIN_TFSTATE"))
    assert len(lines) == 1, f"{case}: different messages for the same refusal: {lines}"


def test_two_bastions_are_accepted_once_one_is_pinned(tmp_path, palin_bin):
    canary = Canary(tmp_path / "canary")
    canary.dir.mkdir()
    state, _extra, (_first, second, _) = refused_states(canary)["two_bastions"]
    write_json(tmp_path / "state.tfstate", state)
    binary = Binary(palin_bin, tmp_path)
    states = "terraform:\n  states: [{path: state.tfstate}]\n"
    pinned = tmp_path / "pinned.yml"
    pinned.write_text(states + f"connection:\n  bastion: {{host: {second}}}\n")
    hostvars = binary.doc("--plain", "--list", config=pinned)["_meta"]["hostvars"]
    assert hostvars["web-1"]["ansible_ssh_common_args"] == "-o ProxyJump=203.0.113.11"
    assert "ansible_ssh_common_args" not in hostvars["0-anything"]
    # A Name tag equal to the pinned id does not take the pin: the instance with that id does.
    state["resources"][0]["instances"][0]["attributes"]["tags_all"]["Name"] = second
    write_json(tmp_path / "impostor.tfstate", state)
    impostor = write_config(tmp_path / "impostor.yml", "impostor.tfstate", f"connection:\n  bastion: {{host: {second}}}\n")
    hostvars = binary.doc("--plain", "--list", config=impostor)["_meta"]["hostvars"]
    assert hostvars["web-1"]["ansible_ssh_common_args"] == "-o ProxyJump=203.0.113.11"
    off = tmp_path / "off.yml"
    off.write_text(states + "connection:\n  bastion: false\n")
    hostvars = binary.doc("--plain", "--list", config=off)["_meta"]["hostvars"]
    assert not any("ansible_ssh_common_args" in v for v in hostvars.values())
    # No instance tagged Role=bastion: no jump host and no error.
    none = tmp_path / "none.yml"
    none.write_text(states + "connection:\n  bastion: {tag: Role=nothing}\n")
    hostvars = binary.doc("--plain", "--list", config=none)["_meta"]["hostvars"]
    assert not any("ansible_ssh_common_args" in v for v in hostvars.values())


# --------------------------------------------------------------------------- exports
class Unsafe(str):
    """A string the YAML snapshot tagged !unsafe."""


class UnsafeLoader(yaml.SafeLoader):
    pass


UnsafeLoader.add_constructor("!unsafe", lambda loader, node: Unsafe(loader.construct_scalar(node)))


def strip_unsafe(value):
    if isinstance(value, dict):
        return {k: strip_unsafe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [strip_unsafe(v) for v in value]
    return str(value) if isinstance(value, Unsafe) else value


def strings(value, where: str):
    """(path, string) of every string in `value`."""
    if isinstance(value, dict):
        return [w for k, v in value.items() for w in strings(v, f"{where}.{k}")]
    if isinstance(value, list):
        return [w for n, v in enumerate(value) for w in strings(v, f"{where}[{n}]")]
    return [(where, value)] if isinstance(value, str) else []


def untagged_templates(value, where: str) -> list[str]:
    return [w for w, v in strings(value, where) if "{" in v and not isinstance(v, Unsafe)]


def tagged_plain_strings(value, where: str) -> list[str]:
    return [w for w, v in strings(value, where) if "{" not in v and isinstance(v, Unsafe)]


def snapshot_vars(snapshot: dict) -> tuple[dict, dict]:
    """(host -> its variables, group -> its variables) of a YAML inventory."""
    hosts, groups = {}, {}

    def walk(name, group):
        group = group or {}
        if group.get("vars"):
            groups[name] = group["vars"]
        for host, variables in (group.get("hosts") or {}).items():
            hosts.setdefault(host, {}).update(variables or {})
        for child, sub in (group.get("children") or {}).items():
            walk(child, sub)

    for name, group in snapshot.items():
        walk(name, group)
    return hosts, groups


def test_export_yaml_tags_every_string_that_could_be_a_template_unsafe(tf):
    """Every string with a `{` (any template needs one) is `!unsafe`; every other string is a
    plain quoted string, so the snapshot keeps its type (ansible-core >= 2.19 resolves an
    `!unsafe '16.3'` to a float), and the snapshot holds what --plain prints."""
    binary, config, _canary, expected = tf
    text = binary.ok("--export", "yaml", config=config)
    snapshot = yaml.load(text, Loader=UnsafeLoader)
    hosts, groups = snapshot_vars(snapshot)
    assert set(hosts) == set(expected.hosts)
    for owner, variables in [*hosts.items(), *groups.items()]:
        assert untagged_templates(variables, owner) == [], owner
        assert tagged_plain_strings(variables, owner) == [], owner
    plain = binary.doc("--plain", "--list", config=config)
    # PyYAML reads YAML 1.1, as Ansible does (`yes` is a boolean, `1_000` a number).
    diffs = differences({"hosts": {h: strip_unsafe(v) for h, v in hosts.items()}, "all": strip_unsafe(groups["all"])},
                        {"hosts": plain["_meta"]["hostvars"], "all": plain["all"]["vars"]})
    assert not diffs, "the YAML snapshot, read as Ansible reads it, differs from --plain:\n" + "\n".join(diffs)
    assert {k: hosts["worker-1"]["ec2_tags"][k] for k in LOOKS_TYPED} == LOOKS_TYPED
    assert isinstance(hosts["web-1"]["ec2_tags"]["Note"], Unsafe)


def test_export_ini_refuses_a_template_value(tf, tmp_path, palin_bin):
    binary, config, canary, _expected = tf
    line = assert_refused(binary.run("--export", "ini", config=config), canary, (), "--export ini")
    assert "--export yaml" in line, line
    # A state without templates exports.
    write_json(tmp_path / "clean.tfstate", clean_state())
    clean = Binary(palin_bin, tmp_path)
    text = clean.ok("--export", "ini", config=write_config(tmp_path / "clean.yml", "clean.tfstate"))
    assert "web-1" in text and "bastion" in text


def test_export_ini_keeps_newlines_and_quotes_as_data(tmp_path, palin_bin):
    """A tag value with newlines, quotes and INI syntax stays one value of its host when Ansible
    reads the INI snapshot back (the repository's ansible-core): no host, group or variable is
    injected."""
    injection = "x\n[evil]\nlocalhost ansible_connection=local\n[all:vars]\nansible_become_pass=x"
    quotes = "a'b\"c d=e #f ;g"
    state = clean_state()
    state["resources"][1]["instances"][0]["attributes"]["tags_all"].update(Note=injection, Quotes=quotes)
    write_json(tmp_path / "state.tfstate", state)
    binary = Binary(palin_bin, tmp_path)
    snapshot = tmp_path / "snapshot.ini"
    snapshot.write_text(binary.ok("--export", "ini", config=write_config(tmp_path / "palin.yml", "state.tfstate")))
    proc = subprocess.run(
        [str(REPO_VENV / "bin" / "ansible-inventory"), "-i", str(snapshot), "--list"],
        env=clean_env(tmp_path / "home", ANSIBLE_INVENTORY_UNPARSED_FAILED="1"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    doc = unwrap(json.loads(proc.stdout))
    assert set(doc["_meta"]["hostvars"]) == {"bastion", "web-1"}
    assert "evil" not in doc and "ansible_become_pass" not in doc["all"].get("vars", {})
    tags = doc["_meta"]["hostvars"]["web-1"]["ec2_tags"]
    assert tags["Note"] == injection and tags["Quotes"] == quotes
    assert not {"ansible_connection", "ansible_become_pass"} & set(doc["_meta"]["hostvars"]["web-1"])


def write_config(path: Path, state: str, extra: str = "") -> Path:
    path.write_text(f"terraform:\n  states: [{{path: {state}}}]\n" + extra)
    return path


# --------------------------------------------------------------------------- moto
@pytest.fixture(scope="module")
def moto(tmp_path_factory, palin_bin):
    work = tmp_path_factory.mktemp("trust-moto")
    canary = Canary(work / "canary")
    canary.dir.mkdir()
    with MotoServer(work / "moto") as server:
        expected, bastions = seed_moto(server.url, canary)
        binary = Binary(palin_bin, work, env={**MOTO_CREDENTIALS, "AWS_ENDPOINT_URL": server.url})
        yield binary, canary, expected, bastions
    assert canary.fired() == [], f"payloads ran: {canary.fired()}"


def test_moto_estate_is_wrapped_and_names_fall_back(moto, tmp_path):
    binary, canary, expected, _bastions = moto
    config = tmp_path / "aws.yml"
    config.write_text(moto_palin_yml(["eu-west-1"]))
    wrapped = binary.doc("--list", config=config)
    for host, variables in wrapped["_meta"]["hostvars"].items():
        assert plain_strings_wrapped(variables, host) == []
    plain = binary.doc("--plain", "--list", config=config)
    assert unwrap(wrapped) == plain and marker_keys(plain) == []
    hostvars = plain["_meta"]["hostvars"]
    assert set(hostvars) == set(expected.hosts)
    for host, tags in expected.tags.items():
        assert hostvars[host]["ec2_tags"] == without_markers(tags), host
    assert hostvars["web-1"]["key_name"] == expected.literal[("web-1", "key_name")]
    jump = f"-o ProxyJump={JUMP_USER}@{hostvars['bastion']['public_ip_address']}"
    for host in expected.private:
        assert hostvars[host]["ansible_ssh_common_args"] == jump, host
    assert canary.fired() == []


def test_moto_two_bastions_are_refused_unless_pinned(moto, tmp_path):
    binary, canary, _expected, bastions = moto
    both = tmp_path / "both.yml"
    both.write_text(moto_palin_yml(["eu-west-1", "us-east-1"]))
    assert_refused(binary.run("--list", config=both), canary, (*bastions.values(), "connection.bastion"), "two bastions")
    pinned = tmp_path / "pinned.yml"
    pinned.write_text(moto_palin_yml(["eu-west-1", "us-east-1"], f"connection:\n  bastion: {{host: {bastions['eu-west-1']}}}\n"))
    hostvars = binary.doc("--plain", "--list", config=pinned)["_meta"]["hostvars"]
    assert hostvars["web-1"]["ansible_ssh_common_args"].endswith("@" + hostvars["bastion"]["public_ip_address"])


def test_moto_compose_into_ansible_host_is_refused(moto, tmp_path):
    binary, canary, expected, _bastions = moto
    config = tmp_path / "compose.yml"
    config.write_text(moto_palin_yml(["eu-west-1"], "compose:\n  ansible_host: ec2_tags.Addr\n"))
    assert_refused(binary.run("--list", config=config), canary, (expected.hosts["web-1"], "ansible_host"), "compose ansible_host")
