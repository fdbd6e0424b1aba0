"""The trust boundary as Ansible meets it (issue 20): hostile estates through `ansible-playbook`
on ansible-core 2.16, 2.17, 2.19 and 2.21 (clean venvs with the built wheel and collection: the
`trust_core` fixture), with a play that templates every variable of every host (a debug of
`hostvars[inventory_hostname]`, every variable through `lookup('vars', ...)`, and each one
through `hostvars[host][name]` into a record the test reads back), and a `delegate_to: localhost`
task. Every path that reads palin:

* a Terraform state: the script (`-i palin-inventory`, PALIN_CONFIG + PALIN_TFSTATE), the
  plugin (`plugin: palin.aws.palin`), live and from Ansible's inventory cache, and
  `--export yaml`'s snapshot read as a YAML inventory;
* a moto estate (AWS_ENDPOINT_URL): the script, `plugin: palin.aws.palin` (`source: aws`) and
  `plugin: palin.aws.aws_ec2`.

Each run must leave the canary directory empty (no payload ran), reach every honest host with
every variable equal to the literal text the tag or state writer wrote (what
`palin-inventory --plain --list` prints, and the payloads as written), run the delegated task on
the controller, and never have a host named like localhost. A refused estate (a shell in the
bastion's address, an option as ansible_host) fails the run with palin's reason and runs nothing.

What palin-inventory prints itself, and every refused case, is test_binary.py's.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[0] / "support"))
from moto_server import MOTO_CREDENTIALS, MotoServer  # noqa: E402 (the paths above first)
from trust_estates import (  # noqa: E402
    AWS_EC2_CONFIG,
    BASTION_IP,
    JUMP_USER,
    TF_CONFIG,
    Accepted,
    Canary,
    moto_palin_yml,
    refused_states,
    seed_moto,
    tf_accepted,
    without_markers,
    write_json,
)
from trust_support import (  # noqa: E402
    CONNECT_PLAY,
    GROUP_NAME,
    LOCAL_NAMES,
    Played,
    differences,
    effective_vars,
    is_ip,
    marker_keys,
    play,
    trusted_templates,
    trust_core,  # noqa: F401 (a fixture)
    unwrap,
)


def assert_no_canary(canary: Canary, what: str) -> None:
    """No payload ran. A canary found is removed, so the next test's check is its own."""
    fired = canary.fired()
    for name in fired:
        (canary.dir / name).unlink()
    assert fired == [], f"{what}: payloads ran on the controller: {fired}"


def plain_doc(inst, tmp_path: Path, env: dict, *args: str) -> dict:
    proc = inst.run(["palin-inventory", "--plain", "--list", *args], tmp_path, env=env)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    return json.loads(proc.stdout)


def check_accepted(played: Played, expected: Accepted, doc: dict, canary: Canary, jump: str | None, what: str) -> None:
    """What every run of an accepted estate must show (see the module doc)."""
    assert played.proc.returncode == 0, f"{what}\n{played.describe()}"
    assert_no_canary(canary, what)
    assert played.delegated, f"{what}: the delegated task did not run on the controller\n{played.describe()}"
    assert "Traceback" not in played.proc.stderr, played.proc.stderr
    effective = effective_vars(doc)
    # Every honest host, by the name palin had to give it, and nothing that looks like localhost.
    assert set(played.vars) == set(expected.hosts) == set(effective), what
    assert set(played.groups["all"]) == set(expected.hosts), what
    assert not set(played.groups["all"]) & LOCAL_NAMES
    for group, hosts in played.groups.items():
        assert GROUP_NAME.match(group), f"{what}: group {group!r}"
        assert set(hosts) <= set(expected.hosts), group
    assert not set(played.groups) & expected.no_group, what
    assert not {"worker-1", "worker-2"} & set(played.groups.get("ungrouped", [])), played.groups.get("ungrouped")
    for group, members in expected.group_members.items():
        assert set(played.groups[group]) == members, f"{what}: group {group}"
    # Every variable, templated by Ansible, is the text palin printed (its type too): it stayed data.
    seen = {host: {n: played.vars[host].get(n, "<missing>") for n in variables} for host, variables in effective.items()}
    diffs = differences(seen, effective)
    assert not diffs, f"{what}: what the play saw:\n" + "\n".join(diffs)
    # ... and that text is the payload as the tag or state writer wrote it.
    for host, tags in expected.tags.items():
        assert not differences(played.vars[host]["ec2_tags"], without_markers(tags), host), what
    for (host, *path), text in expected.literal.items():
        for h in sorted(expected.hosts) if host == "all" else [host]:
            value = played.vars[h]
            for step in path:
                value = value[step]
            assert not differences(value, text, h), (what, h, path)
    for name, value in expected.all_vars.items():
        assert not [d for h, v in played.vars.items() for d in differences(v[name], value, h)], f"{what}: {name}"
    assert marker_keys(played.vars) == [], f"{what}: {marker_keys(played.vars)}"
    assert not any(set(v) & set(expected.absent_vars) for v in effective.values()), what
    for host, variables in played.vars.items():
        assert is_ip(variables["ansible_host"]), f"{what}: {host}.ansible_host = {variables['ansible_host']!r}"
        if jump and host in expected.private:
            assert variables["ansible_ssh_common_args"] == jump, f"{what}: {host}"
        else:
            assert "ansible_ssh_common_args" not in variables, f"{what}: {host}"


# --------------------------------------------------------------------------- Terraform
@pytest.fixture(scope="module")
def tf_estate(tmp_path_factory):
    work = tmp_path_factory.mktemp("trust-tf")
    canary = Canary(work / "canary")
    canary.dir.mkdir()
    state, expected = tf_accepted(canary)
    estate = {
        "canary": canary,
        "expected": expected,
        "state": write_json(work / "hostile.tfstate", state),
        "script_config": work / "script.yml",
        "plugin_config": work / "hostile.palin.yml",
    }
    estate["script_config"].write_text(TF_CONFIG)
    estate["plugin_config"].write_text("plugin: palin.aws.palin\nterraform:\n  states: [{path: hostile.tfstate}]\n" + TF_CONFIG)
    return estate


@pytest.mark.parametrize("path", ["script", "plugin", "plugin-cache", "snapshot"])
def test_terraform_estate_stays_data(trust_core, tf_estate, path, tmp_path):
    """`plugin-cache`: the plugin answering from Ansible's jsonfile inventory cache (filled by
    `ansible-inventory`, then the state removed, so only a cache hit can answer)."""
    inst, canary, expected = trust_core, tf_estate["canary"], tf_estate["expected"]
    script_env = inst.env(tmp_path, PALIN_CONFIG=str(tf_estate["script_config"]), PALIN_TFSTATE=str(tf_estate["state"]))
    if path == "script":
        env, inventory = script_env, [str(inst.bin / "palin-inventory")]
        doc = plain_doc(inst, tmp_path, env)
    elif path == "plugin":
        env, inventory = inst.env(tmp_path), [str(tf_estate["plugin_config"])]
        doc = plain_doc(inst, tmp_path, env, "--config", str(tf_estate["plugin_config"]))
    elif path == "plugin-cache":
        state = tmp_path / "cached.tfstate"
        state.write_bytes(tf_estate["state"].read_bytes())
        config = tmp_path / "cached.palin.yml"
        config.write_text(
            "plugin: palin.aws.palin\nterraform:\n  states: [{path: cached.tfstate}]\n"
            f"cache: true\ncache_plugin: ansible.builtin.jsonfile\ncache_connection: {tmp_path / 'cache'}\n" + TF_CONFIG
        )
        env, inventory = inst.env(tmp_path), [str(config)]
        doc = plain_doc(inst, tmp_path, env, "--config", str(config))
        filled = inst.run(["ansible-inventory", "-i", str(config), "--list"], tmp_path, env=env)
        assert filled.returncode == 0 and len(list((tmp_path / "cache").iterdir())) == 1, filled.stderr
        state.unlink()
    else:
        proc = inst.run(["palin-inventory", "--export", "yaml"], tmp_path, env=script_env)
        assert proc.returncode == 0 and proc.stderr == "", proc.stderr
        snapshot = tmp_path / "snapshot.yml"
        snapshot.write_text(proc.stdout)
        env, inventory = inst.env(tmp_path), [str(snapshot)]
        doc = plain_doc(inst, tmp_path, script_env)
    names = {host: sorted(variables) for host, variables in effective_vars(doc).items()}
    played = play(inst, tmp_path, inventory, env, names, cwd=canary.dir)
    what = f"core {inst.core}, {path}"
    if path == "snapshot":
        assert_no_canary(canary, what)
        # `ansible-inventory` shows every string that could be a template as untrusted text, and
        # every value as palin printed it (a string that looks like a number stays a string).
        listed = inst.run(["ansible-inventory", "-i", str(inventory[0]), "--list"], tmp_path, env=env)
        assert listed.returncode == 0, listed.stderr
        hostvars = json.loads(listed.stdout)["_meta"]["hostvars"]
        for host, variables in hostvars.items():
            assert trusted_templates(variables, host) == [], f"{what}: the snapshot's {host} has trusted templates"
        diffs = differences({h: unwrap(v) for h, v in hostvars.items()}, effective_vars(doc))
        assert not diffs, f"{what}: the snapshot read back by `ansible-inventory --list`:\n" + "\n".join(diffs)
    check_accepted(played, expected, doc, canary, f"-o ProxyJump={JUMP_USER}@{BASTION_IP}", what)


# --------------------------------------------------------------------------- moto
@pytest.fixture(scope="module")
def moto_estate(tmp_path_factory):
    work = tmp_path_factory.mktemp("trust-moto")
    canary = Canary(work / "canary")
    canary.dir.mkdir()
    with MotoServer(work / "moto") as server:
        expected, _bastions = seed_moto(server.url, canary)
        estate = {
            "canary": canary,
            "expected": expected,
            "aws_env": {**MOTO_CREDENTIALS, "AWS_ENDPOINT_URL": server.url},
            "script_config": work / "aws.yml",
            "plugin_config": work / "aws.palin.yml",
            "aws_ec2_config": work / "hostile.aws_ec2.yml",
        }
        estate["script_config"].write_text(moto_palin_yml(["eu-west-1"]))
        estate["plugin_config"].write_text("plugin: palin.aws.palin\n" + moto_palin_yml(["eu-west-1"]))
        estate["aws_ec2_config"].write_text(AWS_EC2_CONFIG)
        yield estate


@pytest.mark.parametrize("path", ["script", "palin", "aws_ec2"])
def test_moto_estate_stays_data(trust_core, moto_estate, path, tmp_path):
    inst, canary, expected = trust_core, moto_estate["canary"], moto_estate["expected"]
    if path == "script":
        env = inst.env(tmp_path, PALIN_CONFIG=str(moto_estate["script_config"]), **moto_estate["aws_env"])
        inventory, args = [str(inst.bin / "palin-inventory")], []
    else:
        config = moto_estate["plugin_config" if path == "palin" else "aws_ec2_config"]
        env = inst.env(tmp_path, **moto_estate["aws_env"])
        inventory, args = [str(config)], ["--config", str(config)]
    doc = plain_doc(inst, tmp_path, env, *args)
    names = {host: sorted(variables) for host, variables in effective_vars(doc).items()}
    played = play(inst, tmp_path, inventory, env, names, cwd=canary.dir)
    jump = None
    if path != "aws_ec2":  # the aws_ec2 plugin has no bastion
        jump = f"-o ProxyJump={JUMP_USER}@{doc['_meta']['hostvars']['bastion']['public_ip_address']}"
    else:
        for host, variables in played.vars.items():
            assert variables["tags"] == variables["ec2_tags"], host
    check_accepted(played, expected, doc, canary, jump, f"core {inst.core}, moto {path}")


# --------------------------------------------------------------------------- refused
@pytest.mark.parametrize("case", ["bastion_ip_shell", "private_ip_option"])
@pytest.mark.parametrize("path", ["script", "plugin"])
def test_refused_estate_runs_nothing(trust_core, path, case, tmp_path):
    """A play that would connect to every host (through the bastion) fails on the inventory, with
    palin's reason, before anything runs."""
    inst = trust_core
    canary = Canary(tmp_path / "canary")
    canary.dir.mkdir()
    state, _extra, names = refused_states(canary)[case]
    write_json(tmp_path / "state.tfstate", state)
    if path == "script":
        config = tmp_path / "script.yml"
        config.write_text("{}\n")
        # Only the script plugin: after a failed script, Ansible's yaml and ini plugins would read
        # the binary (tens of MB) as text, for seconds, to fail the same way.
        env = inst.env(
            tmp_path, PALIN_CONFIG=str(config), PALIN_TFSTATE=str(tmp_path / "state.tfstate"), ANSIBLE_INVENTORY_ENABLED="script"
        )
        inventory = [str(inst.bin / "palin-inventory")]
    else:
        config = tmp_path / "refused.palin.yml"
        config.write_text("plugin: palin.aws.palin\nterraform:\n  states: [{path: state.tfstate}]\n")
        env, inventory = inst.env(tmp_path), [str(config)]
    played = play(inst, tmp_path, inventory, env, {}, cwd=canary.dir, playbook=CONNECT_PLAY)
    what = f"core {inst.core}, {path}, {case}"
    assert played.proc.returncode != 0, f"{what}\n{played.describe()}"
    assert_no_canary(canary, what)
    assert "TASK [ping]" not in played.proc.stdout, f"{what}\n{played.describe()}"
    # ansible-core 2.16/2.17 wrap warnings at 79 columns, also inside a word after a hyphen.
    output = "".join((played.proc.stdout + played.proc.stderr).split())
    for needle in ("palin-inventory:", *names):
        assert needle in output, f"{what}: palin's reason ({needle}) missing\n{played.describe()}"
    assert str(canary.dir) not in output, f"{what}: a payload is quoted\n{played.describe()}"
