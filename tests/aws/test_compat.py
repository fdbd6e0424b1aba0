"""Compatibility with the amazon.aws.aws_ec2 inventory plugin (issue 3).

One seeded moto_server and the same aws_ec2.yml, read by the real plugin
(`ansible-inventory -i aws_ec2.yml --list`; the ansible 12.3.0 package ships amazon.aws 10.1.2)
and by palin-inventory (`PALIN_CONFIG=aws_ec2.yml palin-inventory --list`, and the collection's
palin.aws.aws_ec2 plugin with the `plugin:` line changed): the same host names, groups and
memberships, and host variables (the tag dict as `tags`, exactly as the plugin sets it), except
the differences in DELIBERATE, which are applied to the plugin's answer in one place
(`as_palin_hostvars`, `palin_names`) and nowhere else. Any other difference fails with the list of
(host, key, plugin value, palin value).

The configurations: MAIN (filters, include/exclude filters, hostnames, compose, keyed_groups with
prefix, parent_group and default_value, groups), the same with `hostnames: [instance-id]` (IDS: one
host per instance, so every instance is compared even where MAIN's names collide), DEFAULTS (only
regions and the endpoint: the plugin's default host names, state filter and group), STRICT
(`strict: true`, `leading_separator: false`), EXCLUDE_STATES (the default state filter on exclude
sets too), STRICT_FAILS (an expression that fails under `strict`: both must fail), and RICH (a
stand-in endpoint with every field of botocore's Instance shape).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# Every way palin-inventory's answer may differ from the plugin's for the same aws_ec2.yml, with
# the reason. Anything else that differs is a bug (in palin, or in this list).
DELIBERATE = {
    "name_collisions": (
        "When several instances get the same host name, the plugin keeps one host, overwrites its "
        "variables with each instance in turn (the highest instance id wins) and piles up their "
        "groups; palin keeps every instance, each named `<name>_<instance-id>`, so no host is lost "
        "and a name never depends on listing order."
    ),
    "ansible_host": (
        "The plugin sets no `ansible_host`; palin sets it when `compose` does not: the public IP "
        "(an associated Elastic IP is the public IP in the EC2 API), else the private IP."
    ),
    "monitoring.metric_category_ids": (
        "Not modelled by aws-sdk-ec2 1.274 (the newest release when this was written), so palin "
        "cannot see it when AWS returns it; it comes with the SDK release that adds it."
    ),
}

# amazon.aws 10.1.2 has no `ec2_tags` (11.2 added it): `compose: {ec2_tags: tags}` gives the
# reference plugin that variable, so expressions can use it as palin users write them. `tags`
# (what aws_ec2.yml files written before amazon.aws 11.2 use) is kept in `tags.Role` and `web`.
# palin sets both `tags` and `ec2_tags` for an aws_ec2.yml, as amazon.aws >= 11.2 does.
MAIN = """\
plugin: amazon.aws.aws_ec2
regions: [eu-west-1, us-east-1]
endpoint_url: {endpoint}
filters:
  tag:Env: prod
include_filters:
  - tag:Env: staging
exclude_filters:
  - tag:Role: scratch
hostnames:
  - tag:Name
  - private-ip-address
compose:
  ansible_host: private_ip_address
  ec2_tags: tags
  az: placement.availability_zone
keyed_groups:
  - key: placement.region
    prefix: aws_region
  - key: tags.Role
    prefix: role
  - key: ec2_tags.Env
    prefix: env
  - key: instance_type
    prefix: type
    parent_group: instance_types
  - key: ec2_tags.Owner | default('')
    prefix: owner
    default_value: unowned
  - key: ec2_tags
    prefix: tag
  - key: placement.availability_zone
  - key: security_groups | map(attribute='group_name')
    prefix: sg
groups:
  web: tags.Role == 'web'
  public: public_ip_address is defined
  stopped: state.name == 'stopped'
"""
IDS = MAIN.replace("hostnames:\n  - tag:Name\n  - private-ip-address\n", "hostnames: [instance-id]\n")
DEFAULTS = """\
plugin: amazon.aws.aws_ec2
regions: [eu-west-1, us-east-1]
endpoint_url: {endpoint}
"""
# strict, and no leading separator on a keyed group without prefix ("eu_west_1a").
STRICT = DEFAULTS + """\
strict: true
leading_separator: false
compose:
  ansible_host: public_ip_address | default(private_ip_address)
keyed_groups:
  - key: placement.availability_zone
"""
# The plugin adds its default state filter (running, pending, stopping, stopped) to every filter set
# without `instance-state-name`, exclude sets included: so `exclude_filters` cannot drop the
# terminated instance that `filters` asks for here (old-web stays a host).
EXCLUDE_STATES = DEFAULTS + """\
hostnames: [instance-id]
filters:
  instance-state-name: [running, terminated]
exclude_filters:
  - tag:Name: old-web
"""
# strict, and an expression that fails on the private hosts: both must fail, printing nothing.
STRICT_FAILS = DEFAULTS + """\
strict: true
compose:
  pub: public_ip_address
"""


def main_name(v: dict) -> str | None:
    """MAIN's `hostnames: [tag:Name, private-ip-address]`, as the plugin applies it."""
    return v["tags"].get("Name") or v.get("private_ip_address")


def default_name(v: dict) -> str | None:
    """The plugin's default `hostnames: [dns-name, private-dns-name]`."""
    return v.get("public_dns_name") or v.get("private_dns_name")


# --------------------------------------------------------------------------- inventory model
def unwrap(value):
    """ansible-core 2.19's ansible-inventory writes strings it does not trust as
    {"__ansible_unsafe": "..."}; the value is the string."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


@dataclass
class Inv:
    """An inventory reduced to what the comparison needs: direct hosts of each non-empty group
    (`all` and `ungrouped` left out), child groups, host variables, and the variables of `all`."""

    groups: dict[str, set[str]] = field(default_factory=dict)
    children: dict[str, set[str]] = field(default_factory=dict)
    hostvars: dict[str, dict] = field(default_factory=dict)
    all_vars: dict = field(default_factory=dict)

    @property
    def hosts(self) -> set[str]:
        return set(self.hostvars).union(*self.groups.values())

    @classmethod
    def parse(cls, doc: dict) -> Inv:
        """Reads `ansible-inventory --list` output and script `--list` output alike."""
        inv = cls(hostvars={h: unwrap(v) for h, v in doc.get("_meta", {}).get("hostvars", {}).items()})
        for name, group in doc.items():
            if name == "_meta":
                continue
            if isinstance(group, list):
                group = {"hosts": group}
            if name == "all":
                inv.all_vars = unwrap(group.get("vars", {}))
            hosts, children = set(group.get("hosts", [])), set(group.get("children", []))
            if name not in ("all", "ungrouped") and hosts:
                inv.groups[name] = hosts
            if name != "all" and children:
                inv.children[name] = children
        return inv

    def groups_of(self, host: str) -> set[str]:
        return {g for g, hosts in self.groups.items() if host in hosts}


@dataclass
class Instance:
    id: str
    hostvars: dict
    groups: set[str]


def instances_of(ids_inv: Inv) -> list[Instance]:
    """The per-instance truth: a run with `hostnames: [instance-id]` has one host per instance."""
    out = []
    for host, v in sorted(ids_inv.hostvars.items()):
        assert host == v["instance_id"], f"{host}: not named by its instance id"
        out.append(Instance(host, v, ids_inv.groups_of(host)))
    return out


def plugin_collapse(instances: list[Instance], name: Callable[[dict], str | None], children: dict) -> Inv:
    """What the plugin makes of `instances` under a naming rule: instances are added in instance
    id order, a name seen again gets the later instance's variables (top-level keys replaced) and
    its groups added; instances without a name are skipped. Group nesting (`children`) does not
    depend on host names."""
    inv = Inv(children=children)
    for inst in instances:
        host = name(inst.hostvars)
        if not host:
            continue
        inv.hostvars.setdefault(host, {}).update(inst.hostvars)
        for g in inst.groups:
            inv.groups.setdefault(g, set()).add(host)
    return inv


def palin_names(instances: list[Instance], name: Callable[[dict], str | None]) -> dict[str, str]:
    """Instance id -> palin's host name: the same rule, `_<instance-id>` on every name that
    several instances share (DELIBERATE["name_collisions"])."""
    names = {i.id: name(i.hostvars) for i in instances}
    assert all(names.values()), f"an instance without a host name: {names}"
    counts: dict[str, int] = {}
    for n in names.values():
        counts[n] = counts.get(n, 0) + 1
    return {iid: f"{n}_{iid}" if counts[n] > 1 else n for iid, n in names.items()}


def as_palin_hostvars(v: dict) -> dict:
    """The plugin's variables of one instance as palin must give them (DELIBERATE): `tags` as
    the plugin has it, and `ec2_tags` (which amazon.aws 10.1.2 lacks unless `compose` sets it)
    the same dict."""
    out = dict(v)
    out.setdefault("ec2_tags", out["tags"])
    if "ansible_host" not in out:  # DELIBERATE["ansible_host"]
        out["ansible_host"] = out.get("public_ip_address") or out["private_ip_address"]
    if isinstance(out.get("monitoring"), dict) and "metric_category_ids" in out["monitoring"]:
        out["monitoring"] = {k: v for k, v in out["monitoring"].items() if k != "metric_category_ids"}
    return out


def expected_palin(instances: list[Instance], name: Callable[[dict], str | None], children: dict) -> Inv:
    """palin's inventory for the plugin's `instances` (and group nesting) under a naming rule."""
    names = palin_names(instances, name)
    inv = Inv(children=children)
    for inst in instances:
        host = names[inst.id]
        inv.hostvars[host] = as_palin_hostvars(inst.hostvars)
        for g in inst.groups:
            inv.groups.setdefault(g, set()).add(host)
    return inv


# --------------------------------------------------------------------------- comparison
def _value_diffs(path: str, want, got, out: list[str], labels: tuple[str, str]) -> None:
    a, b = labels
    if isinstance(want, dict) and isinstance(got, dict):
        for k in sorted(set(want) | set(got)):
            sub = f"{path}.{k}" if path else k
            if k not in got:
                out.append(f"{sub}: {a} {json.dumps(want[k])}, {b}: missing")
            elif k not in want:
                out.append(f"{sub}: {a}: missing, {b} {json.dumps(got[k])}")
            else:
                _value_diffs(sub, want[k], got[k], out, labels)
    elif isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
        for n, (w, g) in enumerate(zip(want, got)):
            _value_diffs(f"{path}[{n}]", w, g, out, labels)
    elif want != got or type(want) is not type(got):
        out.append(f"{path}: {a} {json.dumps(want)}, {b} {json.dumps(got)}")


def differences(want: Inv, got: Inv, labels: tuple[str, str] = ("plugin", "palin")) -> list[str]:
    """Every difference between the expected (plugin-derived) and palin's inventory, one line each."""
    a, b = labels
    out = []
    for host in sorted(want.hosts - got.hosts):
        out.append(f"host {host!r}: missing in {b}")
    for host in sorted(got.hosts - want.hosts):
        out.append(f"host {host!r}: only in {b} (variables {sorted(got.hostvars.get(host, {}))})")
    for g in sorted(set(want.groups) | set(got.groups)):
        w, p = want.groups.get(g, set()), got.groups.get(g, set())
        if w != p:
            out.append(f"group {g!r}: {a} {sorted(w)}, {b} {sorted(p)}")
    for g in sorted(set(want.children) | set(got.children)):
        w, p = want.children.get(g, set()), got.children.get(g, set())
        if w != p:
            out.append(f"children of {g!r}: {a} {sorted(w)}, {b} {sorted(p)}")
    for host in sorted(want.hosts & got.hosts):
        lines: list[str] = []
        _value_diffs("", want.hostvars.get(host, {}), got.hostvars.get(host, {}), lines, labels)
        out += [f"host {host!r}: {line}" for line in lines]
    return out


def assert_same(want: Inv, got: Inv, what: str, labels: tuple[str, str] = ("plugin", "palin")) -> None:
    problems = differences(want, got, labels)
    assert not problems, f"{what}: {len(problems)} difference(s) not in DELIBERATE:\n  " + "\n  ".join(problems)


# --------------------------------------------------------------------------- fixtures
CONFIGS = {"main": MAIN, "ids": IDS, "defaults": DEFAULTS, "strict": STRICT, "exclude_states": EXCLUDE_STATES}


@dataclass
class Runs:
    """One tool's answers per configuration (raw outputs are kept next to the configs, as
    reference files for debugging: <tmp>/aws*/<name>.{plugin,palin}.json)."""

    inv: dict[str, Inv] = field(default_factory=dict)
    stderr: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="session")
def configs(runner, moto) -> dict[str, Path]:
    out = {}
    for name, text in CONFIGS.items():
        out[name] = runner.workdir / f"{name}.aws_ec2.yml"
        out[name].write_text(text.format(endpoint=moto.url))
    return out


@pytest.fixture(scope="session")
def plugin(runner, configs) -> Runs:
    """Every configuration read by the real amazon.aws.aws_ec2 plugin, once per session."""
    out = Runs()
    for name, config in configs.items():
        doc, out.stderr[name] = runner.plugin_list(config)
        (runner.workdir / f"{name}.plugin.json").write_text(json.dumps(doc, indent=1, sort_keys=True))
        out.inv[name] = Inv.parse(doc)
    return out


@pytest.fixture(scope="session")
def palin(runner, configs, palin_bin) -> Runs:
    """Every configuration read by palin-inventory, once per session."""
    out = Runs()
    for name, config in configs.items():
        doc = runner.palin_list(palin_bin, config)
        (runner.workdir / f"{name}.palin.json").write_text(json.dumps(doc, indent=1, sort_keys=True))
        out.inv[name] = Inv.parse(doc)
        out.stderr[name] = ""
    return out


# --------------------------------------------------------------------------- tests
def test_the_reference_is_what_the_comparison_assumes(plugin: Runs, moto) -> None:
    """The plugin's own answers agree with the model above (how it names, filters and collapses),
    so the expectations derived from it are the plugin's behaviour, not a guess."""
    instances = instances_of(plugin.inv["ids"])
    by_key = moto.estate["instances"]
    # filters ∪ include_filters − exclude_filters, terminated left out by the default state filter
    wanted = {f"eu-west-1/{k}" for k in ("bastion-1", "web-1", "web-2", "web-3", "worker-1", "worker-2", "unnamed")}
    wanted |= {f"us-east-1/{k}" for k in ("web-4", "worker-2", "unnamed", "blank-name")}
    assert {i.id for i in instances} == {by_key[k] for k in wanted}
    collapsed = plugin_collapse(instances, main_name, plugin.inv["ids"].children)
    assert_same(collapsed, plugin.inv["main"], "plugin IDS collapsed vs plugin MAIN", ("model", "plugin"))
    assert plugin.inv["main"].children == {"instance_types": {"type_m5_large", "type_t3_micro", "type_t3_small"}}
    # The collision is real: one plugin host stands for two instances.
    assert len(plugin.inv["main"].hosts) == len(instances) - 1
    assert "worker-2" in plugin.inv["main"].hosts
    # DEFAULTS sees every non-terminated instance, named by DNS name.
    every = {iid for key, iid in by_key.items() if key != "eu-west-1/old-web"}
    assert {v["instance_id"] for v in plugin.inv["defaults"].hostvars.values()} == every
    # amazon.aws 10.1.2 sets `tags`, and Ansible warns about the reserved name on every run.
    assert "reserved name 'tags'" in plugin.stderr["main"]


def test_every_deliberate_difference_is_real(plugin: Runs, palin: Runs) -> None:
    """DELIBERATE lists only differences these runs show, so it cannot go stale."""
    ref, got = plugin.inv["main"], palin.inv["main"]
    assert set(DELIBERATE) == {"name_collisions", "ansible_host", "monitoring.metric_category_ids"}
    # No longer a difference: `tags` is the plugin's, `ec2_tags` the same dict.
    assert all("tags" in v for v in ref.hostvars.values())
    assert all(v["tags"] == v["ec2_tags"] and v["tags"] for v in got.hostvars.values())
    assert "worker-2" in ref.hosts and "worker-2" not in got.hosts
    assert not any("ansible_host" in v for v in plugin.inv["defaults"].hostvars.values())
    assert all("ansible_host" in v for v in palin.inv["defaults"].hostvars.values())


def test_same_host_names(plugin: Runs, palin: Runs) -> None:
    names = palin_names(instances_of(plugin.inv["ids"]), main_name)
    assert palin.inv["main"].hosts == set(names.values())


def test_same_groups_and_memberships(plugin: Runs, palin: Runs) -> None:
    want = expected_palin(instances_of(plugin.inv["ids"]), main_name, plugin.inv["ids"].children)
    got = palin.inv["main"]
    problems = [p for p in differences(want, got) if p.startswith(("group ", "children "))]
    assert not problems, "groups differ:\n  " + "\n  ".join(problems)


def test_same_hostvars(plugin: Runs, palin: Runs) -> None:
    want = expected_palin(instances_of(plugin.inv["ids"]), main_name, plugin.inv["ids"].children)
    assert_same(want, palin.inv["main"], "MAIN")


def test_every_instance_the_same_when_named_by_instance_id(plugin: Runs, palin: Runs) -> None:
    ref = plugin.inv["ids"]
    assert_same(expected_palin(instances_of(ref), lambda v: v["instance_id"], ref.children), palin.inv["ids"], "IDS")


def _own_instances(ref: Inv) -> list[Instance]:
    return [Instance(v["instance_id"], v, ref.groups_of(h)) for h, v in sorted(ref.hostvars.items())]


def test_plugin_defaults(plugin: Runs, palin: Runs) -> None:
    """Only regions and endpoint: the default host names (dns-name, then private-dns-name), the
    default state filter and the one default group, aws_ec2."""
    assert set(plugin.inv["defaults"].groups) == {"aws_ec2"}
    ref = plugin.inv["defaults"]
    assert_same(expected_palin(_own_instances(ref), default_name, ref.children), palin.inv["defaults"], "DEFAULTS")


def test_strict_without_leading_separator(plugin: Runs, palin: Runs) -> None:
    ref = plugin.inv["strict"]
    assert {"eu_west_1a", "us_east_1b"} <= set(ref.groups)
    assert_same(expected_palin(_own_instances(ref), default_name, ref.children), palin.inv["strict"], "STRICT")


def test_exclude_filters_get_the_default_state_filter(plugin: Runs, palin: Runs, moto) -> None:
    ref = plugin.inv["exclude_states"]
    assert moto.instance_id("eu-west-1", "old-web") in ref.hosts  # terminated, excluded by name: still in
    assert moto.instance_id("eu-west-1", "worker-1") not in ref.hosts  # stopped: not asked for
    want = expected_palin(_own_instances(ref), lambda v: v["instance_id"], ref.children)
    assert_same(want, palin.inv["exclude_states"], "EXCLUDE_STATES")


def test_strict_failures_fail_both(runner, moto, palin_bin) -> None:
    config = runner.workdir / "strict_fails.aws_ec2.yml"
    config.write_text(STRICT_FAILS.format(endpoint=moto.url))
    ref = runner.run([runner.venv_bin / "ansible-inventory", "-i", config, "--list"], check=False)
    assert ref.returncode != 0 and "Could not set pub for host" in ref.stderr, ref.stderr
    proc = runner.run([palin_bin, "--list"], env={"PALIN_CONFIG": config}, check=False)
    assert proc.returncode == 1, proc
    assert proc.stdout == ""
    assert len(proc.stderr.splitlines()) == 1 and "pub" in proc.stderr and "public_ip_address" in proc.stderr, proc.stderr


def notices(stderr: str) -> list[str]:
    """Ansible's warning, error and deprecation lines."""
    return [line for line in stderr.splitlines() if line.startswith(("[WARNING]", "[ERROR]", "[DEPRECATION WARNING]"))]


def test_ansible_reads_palin_to_the_same_inventory_with_the_plugins_warning_only(palin: Runs, configs, runner, palin_bin) -> None:
    """Through Ansible's script plugin: no warning but the one the plugin causes too (`tags` is a
    reserved name), and Ansible sees what palin printed: its host variables with the variables of
    `all` merged in."""
    doc, stderr = runner.palin_via_ansible(palin_bin, configs["main"])
    assert notices(stderr) and all("reserved name 'tags'" in n for n in notices(stderr)), stderr
    seen = Inv.parse(doc)
    direct = palin.inv["main"]
    want = Inv(
        groups=direct.groups,
        children=direct.children,
        hostvars={h: {**direct.all_vars, **v} for h, v in direct.hostvars.items()},
    )
    assert_same(want, seen, "palin --list vs what ansible-inventory makes of it", ("palin", "ansible"))


def test_the_collections_plugin_is_a_one_line_migration(plugin: Runs, runner, moto, palin_bin, tmp_path) -> None:
    """MAIN with `plugin: palin.aws.aws_ec2`, read by the palin.aws collection (the work tree) in
    ansible-inventory: the plugin's inventory but for DELIBERATE, and only the plugin's warning."""
    collections = tmp_path / "collections"
    (collections / "ansible_collections" / "palin").mkdir(parents=True)
    (collections / "ansible_collections" / "palin" / "aws").symlink_to(Path(__file__).resolve().parents[2])
    config = runner.workdir / "main_palin.aws_ec2.yml"
    text = MAIN.format(endpoint=moto.url)
    assert text.startswith("plugin: amazon.aws.aws_ec2\n")
    config.write_text(text.replace("plugin: amazon.aws.aws_ec2\n", "plugin: palin.aws.aws_ec2\n", 1))
    proc = runner.run(
        [runner.venv_bin / "ansible-inventory", "-i", config, "--list"],
        env={"ANSIBLE_COLLECTIONS_PATH": collections, "PALIN_INVENTORY_EXECUTABLE": palin_bin},
    )
    want = expected_palin(instances_of(plugin.inv["ids"]), main_name, plugin.inv["ids"].children)
    assert_same(want, Inv.parse(json.loads(proc.stdout)), "palin.aws.aws_ec2")
    assert notices(proc.stderr) and all("reserved name 'tags'" in n for n in notices(proc.stderr)), proc.stderr


def test_host_gives_the_hostvars_of_list(palin: Runs, configs, runner, palin_bin) -> None:
    listed = palin.inv["main"].hostvars
    for host in sorted(listed)[:3]:
        proc = runner.run([palin_bin, "--host", host, "--plain"], env={"PALIN_CONFIG": configs["main"]})
        assert proc.stderr == ""
        assert json.loads(proc.stdout) == listed[host], host


# --------------------------------------------------------------------------- every field
# moto fills only part of an EC2 instance. To compare the fields it leaves out (CPU, metadata,
# maintenance and DNS options, ENA, prefixes, timestamps with milliseconds, …), a stand-in EC2
# endpoint answers DescribeInstances with instances that have every member of botocore's Instance
# shape, written as the EC2 query protocol writes them (from botocore's own model), plus a sparse
# one with empty lists, an empty structure and empty strings.
RICH = """\
plugin: amazon.aws.aws_ec2
regions: [eu-west-1]
endpoint_url: {endpoint}
hostnames: [instance-id]
"""


def _synth(shape, path: str, n: int):
    """A value for every member of `shape` (lists of one), varied by `n` and the member path."""
    name = path.rsplit(".", 1)[-1]
    kind = shape.type_name
    if kind == "structure":
        return {k: _synth(m, f"{path}.{k}", n) for k, m in shape.members.items()}
    if kind == "list":
        return [_synth(shape.member, path, n)]
    if kind == "string":
        return shape.enum[(n + len(path)) % len(shape.enum)] if shape.enum else f"{name}-{n} & <{len(path)}>"
    if kind in ("integer", "long"):
        return n + len(path) % 7
    if kind == "boolean":
        return (n + len(path)) % 2 == 0
    if kind == "timestamp":
        return ("2024-05-01T12:00:00.000Z", "2024-05-01T12:00:01.123Z", "2024-02-29T23:59:59.5Z")[(n + len(path)) % 3]
    raise AssertionError(f"{path}: unexpected shape type {kind}")


def _rich_instances(model) -> list[tuple[dict, list[dict]]]:
    """(reservation fields, instances) pairs, boto3-style (CamelCase member names)."""
    full = []
    for n in (0, 1):
        inst = _synth(model.shape_for("Instance"), "Instance", n)
        inst.update(
            InstanceId=f"i-0rich{n:012d}",
            State={"Code": 16, "Name": "running"},
            Tags=[{"Key": "Name", "Value": f"rich-{n}"}, {"Key": "Note", "Value": "a & b <c>"}],
            # Addresses that may reach ssh: palin refuses an ansible_host that is neither an IP
            # address nor a host name (the trust boundary), so these are real ones.
            PublicIpAddress=f"203.0.113.{10 + n}",
            PrivateIpAddress=f"10.0.2.{10 + n}",
        )
        inst["Placement"]["AvailabilityZone"] = "eu-west-1b"
        full.append(inst)
    sparse = {
        "InstanceId": "i-0sparse000000000",
        "State": {"Code": 80, "Name": "stopped"},
        "Placement": {"AvailabilityZone": "eu-west-1c", "GroupName": ""},
        "PrivateIpAddress": "10.0.3.9",
        "StateTransitionReason": "",
        "ProductCodes": [],
        "HibernationOptions": {},
        "Tags": [],
    }
    return [
        ({"ReservationId": "r-0rich", "OwnerId": "123456789012", "RequesterId": "940372691376"}, full),
        ({"ReservationId": "r-0sparse", "OwnerId": "123456789012"}, [sparse]),
    ]


def _to_xml(shape, value) -> str:
    from xml.sax.saxutils import escape

    kind = shape.type_name
    if kind == "structure":
        return "".join(
            f"<{m.serialization.get('name', k)}>{_to_xml(m, value[k])}</{m.serialization.get('name', k)}>"
            for k, m in shape.members.items()
            if k in value
        )
    if kind == "list":
        item = shape.member.serialization.get("name", "item")
        return "".join(f"<{item}>{_to_xml(shape.member, v)}</{item}>" for v in value)
    if kind == "boolean":
        return "true" if value else "false"
    return escape(str(value))


def describe_instances_xml() -> bytes:
    import botocore.session

    model = botocore.session.get_session().get_service_model("ec2")
    reservation = model.shape_for("Reservation")
    body = ""
    for fields, instances in _rich_instances(model):
        body += f"<item>{_to_xml(reservation, {**fields, 'Instances': instances})}</item>"
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<DescribeInstancesResponse xmlns="{model.metadata["xmlNamespace"]}/">'
        f"<requestId>0f0c5c5e-rich</requestId><reservationSet>{body}</reservationSet></DescribeInstancesResponse>"
    ).encode()


@pytest.fixture(scope="module")
def rich_endpoint() -> Iterator[str]:
    """A loopback EC2 stand-in: DescribeInstances gets the rich document, anything else a 400."""
    import http.server
    import threading
    import urllib.parse

    payload = describe_instances_xml()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            form = urllib.parse.parse_qs(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode())
            ok = form.get("Action") == ["DescribeInstances"]
            body = payload if ok else b"<Response><Errors><Error><Code>InvalidAction</Code></Error></Errors></Response>"
            self.send_response(200 if ok else 400)
            self.send_header("Content-Type", "text/xml;charset=UTF-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_every_instance_field(runner, rich_endpoint, palin_bin) -> None:
    config = runner.workdir / "rich.aws_ec2.yml"
    config.write_text(RICH.format(endpoint=rich_endpoint))
    doc, _ = runner.plugin_list(config)
    ref = Inv.parse(doc)
    assert len(ref.hostvars) == 3 and ref.hostvars["i-0rich000000000000"]["tags"]["Note"] == "a & b <c>"
    got = Inv.parse(runner.palin_list(palin_bin, config))
    assert_same(expected_palin(_own_instances(ref), lambda v: v["instance_id"], ref.children), got, "every field")
