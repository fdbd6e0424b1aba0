"""Hostile estates for the trust-boundary suite (issue 20): Terraform v4 states and moto EC2
estates whose tags, names, outputs and addresses carry payloads that touch a canary file, and the
palin.yml / aws_ec2.yml files that read them.

Every payload touches its own file under one canary directory, named after the payload (e.g.
`tf-note`), so a file there names the payload that ran. Two kinds of estate:

* accepted: many payloads in one estate, all of them data that palin must hand over as literal
  text (tag values, nested values, Terraform outputs, marker keys, hostile `Name` tags that fall
  back to another name, keyed groups named `all` / `ungrouped`). `ACCEPTED_*` describe what the
  honest result is, so a test can compare what Ansible saw with the payload text;
* refused: one hostile connection value or name per estate (`refused_states`), which palin must
  refuse as a whole: exit 1, one stderr line naming the instance and the field, never the value.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

AWS = 'provider["registry.terraform.io/hashicorp/aws"]'
REGION = "eu-west-1"
BASTION_IP = "203.0.113.10"  # TEST-NET-3: a valid public address that routes nowhere
JUMP_USER = "ec2-user"


@dataclass(frozen=True)
class Canary:
    """Payload texts that, if Ansible or a shell ever evaluated them, touch `dir/<id>`."""

    dir: Path

    def path(self, ident: str) -> str:
        return f"{self.dir}/{ident}"

    def lookup(self, ident: str) -> str:
        return "{{ lookup('pipe', 'touch %s') }}" % self.path(ident)

    def statement(self, ident: str) -> str:
        return "{%% if lookup('pipe', 'touch %s') %%}{%% endif %%}" % self.path(ident)

    def comment(self, ident: str) -> str:
        """Harmless to Jinja, but a template marker all the same (`{#`)."""
        return "{# %s #}" % self.path(ident)

    def shell(self, address: str, ident: str) -> str:
        """An address that, pasted into `-o ProxyJump=` (which OpenSSH runs through
        `$SHELL -c`), creates `<cwd>/<ident>`: no space (Ansible splits ssh arguments on
        spaces), no `/` or `$` (OpenSSH 9.2p1-2+deb12u6 refuses them in a jump host name, not a
        `|` or `>`). The plays run in the canary directory."""
        return f"{address}|>{ident}"

    def shell_user(self, user: str, ident: str) -> str:
        """A jump user that does the same (OpenSSH accepts a `/` in the user part)."""
        return f"{user}|>{self.path(ident)}"

    def option(self, ident: str) -> str:
        """An address that ssh reads as an option when it comes first on its command line."""
        return f"-oProxyCommand=touch {self.path(ident)}"

    def multiline(self, ident: str) -> str:
        """Quotes, a newline and a template: what a snapshot writer has to escape."""
        return "it's \"quoted\"\n%s\n[evil]\nlocalhost ansible_connection=local" % self.lookup(ident)

    def fired(self) -> list[str]:
        return sorted(p.name for p in self.dir.iterdir()) if self.dir.exists() else []


# Fragments no refusal message may contain: they only come from payloads (a message may name the
# template markers `{{`, `{%`, `{#` to explain itself; the canary directory is checked apart).
PAYLOAD_FRAGMENTS = ("touch", "lookup", "ProxyCommand", "|>", "refused-", "198.51.100.7")
# Marker keys Ansible's decoders treat specially (design: dropped at any depth and as names).
MARKERS = ("__ansible_unsafe", "__ansible_vault", "__ansible_type")


# Tag values that are strings but that YAML 1.1 (Ansible's), unquoted or under `!unsafe`, reads
# as a number, a boolean or null: a snapshot must keep them strings.
LOOKS_TYPED = {"Version": "16.3", "Count": "0x10", "Flag": "yes", "Switch": "on", "Nothing": "null", "Big": "1_000", "Minutes": "1:20"}


def instance_id(seed: str) -> str:
    return "i-0" + hashlib.sha256(seed.encode()).hexdigest()[:16]


def without_markers(tags: dict) -> dict:
    return {k: v for k, v in tags.items() if not k.startswith("__ansible_")}


# --------------------------------------------------------------------------- Terraform
@dataclass
class TfHost:
    key: str  # the resource name in the state
    tags: dict
    private_ip: str
    public_ip: str = ""
    public_dns: str = ""
    private_dns: str = ""
    key_name: str = "deploy"
    security_groups: tuple = ("sg-0a1b2c3d4e5f60718",)
    id: str = ""

    def __post_init__(self):
        self.id = self.id or instance_id(self.key)

    def resource(self) -> dict:
        az = f"{REGION}a"
        attrs = {
            "id": self.id,
            "arn": f"arn:aws:ec2:{REGION}:123456789012:instance/{self.id}",
            "ami": "ami-0ee624b55d7686025",
            "instance_type": "t3.micro",
            "availability_zone": az,
            "subnet_id": "subnet-077c600490d46eae1",
            "key_name": self.key_name,
            "private_ip": self.private_ip,
            "public_ip": self.public_ip,
            "private_dns": self.private_dns or f"ip-{self.private_ip.replace('.', '-')}.{REGION}.compute.internal",
            "public_dns": self.public_dns,
            "instance_state": "running",
            "tags": dict(self.tags),
            "tags_all": dict(self.tags),
            "vpc_security_group_ids": list(self.security_groups),
        }
        return {
            "mode": "managed",
            "type": "aws_instance",
            "name": self.key,
            "provider": AWS,
            "instances": [{"schema_version": 1, "attributes": attrs, "sensitive_attributes": []}],
        }


def tf_state(hosts: list[TfHost], outputs: dict | None = None, extra: list[dict] | None = None) -> dict:
    """A v4 state as `terraform state pull` prints it (only what palin reads)."""
    return {
        "version": 4,
        "terraform_version": "1.9.5",
        "serial": 1,
        "lineage": "0b5e8f4e-7d0c-4a8e-9c51-7a2d3b1f0e42",
        "outputs": outputs or {},
        "resources": [h.resource() for h in hosts] + list(extra or []),
        "check_results": None,
    }


def tf_output(value) -> dict:
    kind = "string" if isinstance(value, str) else ["object", {}] if isinstance(value, dict) else ["tuple", []]
    return {"value": value, "type": kind}


def db_instance(identifier: str, address: str, db_name: str, username: str) -> dict:
    return {
        "mode": "managed",
        "type": "aws_db_instance",
        "name": "app",
        "provider": AWS,
        "instances": [
            {
                "schema_version": 2,
                "attributes": {
                    "id": "db-ABCDEFGHIJKLMNOPQRSTUVWXY",
                    "identifier": identifier,
                    "address": address,
                    "endpoint": f"{address}:5432",
                    "port": 5432,
                    "engine": "postgres",
                    "engine_version": "16.3",
                    "db_name": db_name,
                    "username": username,
                    "arn": f"arn:aws:rds:{REGION}:123456789012:db:{identifier}",
                    "availability_zone": f"{REGION}a",
                },
                "sensitive_attributes": [],
            }
        ],
    }


@dataclass
class Accepted:
    """An accepted estate and what palin must make of it."""

    hosts: dict[str, str]  # expected host name -> instance id
    tags: dict[str, dict]  # expected host name -> the tags as written (markers included)
    bastion: str  # host name of the bastion
    private: set[str]  # hosts that must jump through the bastion
    group_members: dict[str, set[str]]  # keyed groups that must exist -> their hosts
    no_group: set[str]  # group names that must not exist
    literal: dict[tuple, object] = field(default_factory=dict)  # (host, var, *path) -> payload text
    all_vars: dict[str, object] = field(default_factory=dict)  # `all` variables -> expected value
    absent_vars: tuple = MARKERS  # variable names no host may have


def hostile_name_hosts(c: Canary, prefix: str) -> list[tuple[str, dict]]:
    """(key, tags) of instances whose Name must never become the host name."""
    return [
        ("name_lookup", {"Name": c.lookup(f"{prefix}-name-lookup")}),
        ("name_statement", {"Name": c.statement(f"{prefix}-name-statement")}),
        ("name_comment", {"Name": c.comment(f"{prefix}-name-comment")}),
        ("name_localhost", {"Name": "localhost"}),
        ("name_localhost_case", {"Name": "LocalHost"}),
        ("name_loopback", {"Name": "127.0.0.1"}),
        ("name_loopback6", {"Name": "::1"}),
        ("name_option", {"Name": c.option(f"{prefix}-name-option")}),
        ("name_marker", {"Name": "__ansible_unsafe"}),
    ]


def web_tags(c: Canary, prefix: str) -> dict:
    """The tag map of the honest host that carries the tag payloads."""
    return {
        "Name": "web-1",
        "Role": "web",
        "Group": "web",
        "Note": c.lookup(f"{prefix}-note"),
        "Statement": c.statement(f"{prefix}-statement"),
        "Multi": c.multiline(f"{prefix}-multiline"),
        "Addr": c.option(f"{prefix}-addr-tag"),
        "__ansible_unsafe": c.lookup(f"{prefix}-marker-unsafe"),
        "__ansible_vault": "$ANSIBLE_VAULT;1.1;AES256\n3438",
        "__ansible_type": "int",
    }


TF_CONFIG = """\
hostnames: [tag:Name, tag:Alt, instance-id]
leading_separator: false
keyed_groups:
  - {key: ec2_tags.Group, prefix: "", separator: ""}
ansible_user:
  all: %s
""" % JUMP_USER


def tf_accepted(c: Canary) -> tuple[dict, Accepted]:
    """One state with every accepted payload: a bastion, `web-1` carrying the tag payloads (and
    payloads in `key_name`, `private_dns` and the security group list), `worker-1`/`worker-2`
    whose keyed group would be `all`/`ungrouped`, an instance with Name `localhost` and an honest
    `Alt` tag, one instance per hostile Name, payload outputs (string, nested, list, marker
    names) and a database whose name and user are payloads."""
    bastion = TfHost("bastion", {"Name": "bastion", "Role": "bastion"}, "10.0.0.10", public_ip=BASTION_IP,
                     public_dns=c.lookup("tf-bastion-dns"))
    web = TfHost("web", web_tags(c, "tf"), "10.0.1.11", key_name=c.lookup("tf-key-name"),
                 private_dns=c.statement("tf-private-dns"),
                 security_groups=("sg-0a1b2c3d4e5f60718", c.lookup("tf-security-group")))
    workers = [
        TfHost("worker_all", {"Name": "worker-1", "Role": "worker", "Group": "all", **LOOKS_TYPED}, "10.0.1.12"),
        TfHost("worker_ungrouped", {"Name": "worker-2", "Role": "worker", "Group": "ungrouped"}, "10.0.1.13"),
    ]
    alt = TfHost("name_localhost_alt", {"Name": "localhost", "Alt": "alt-host", "Role": "worker"}, "10.0.1.14")
    hostile = [TfHost(k, {**t, "Role": "worker"}, f"10.0.2.{n + 10}") for n, (k, t) in enumerate(hostile_name_hosts(c, "tf"))]
    hosts = [bastion, web, *workers, alt, *hostile]
    nested = {
        "list": [c.lookup("tf-out-list"), {"deep": c.statement("tf-out-deep"), "__ansible_unsafe": c.lookup("tf-out-marker")}],
        "__ansible_vault": "$ANSIBLE_VAULT;1.1;AES256\n3438",
        "__ansible_type": "int",
        "n": 1,
        "t": True,
        "z": None,
    }
    outputs = {
        "app_url": tf_output(c.lookup("tf-out-string")),
        "nested": tf_output(nested),
        "names": tf_output([c.lookup("tf-out-tuple"), "plain"]),
        "__ansible_unsafe": tf_output(c.lookup("tf-out-name-unsafe")),
        "__ansible_vault": tf_output("$ANSIBLE_VAULT;1.1;AES256\n3438"),
        "honest": tf_output("plain text"),
        # A state writer never steers Ansible: these become tf_ansible_connection and tf_groups.
        "ansible_connection": tf_output("local"),
        "groups": tf_output(c.lookup("tf-out-groups")),
    }
    db = db_instance("app-db", "app-db.abcdefghijkl.eu-west-1.rds.amazonaws.com", c.lookup("tf-db-name"), c.statement("tf-db-user"))
    names = {"bastion": bastion, "web-1": web, "worker-1": workers[0], "worker-2": workers[1], "alt-host": alt}
    names.update({h.id: h for h in hostile})
    expected = Accepted(
        hosts={n: h.id for n, h in names.items()},
        tags={n: h.tags for n, h in names.items()},
        bastion="bastion",
        private={n for n in names if n != "bastion"},
        group_members={"web": {"web-1"}, "tag_Role_worker": {"worker-1", "worker-2", "alt-host", *(h.id for h in hostile)}},
        no_group={"_meta", "__ansible_unsafe"},
        literal={
            ("web-1", "key_name"): c.lookup("tf-key-name"),
            ("web-1", "private_dns_name"): c.statement("tf-private-dns"),
            ("web-1", "security_group_ids", 1): c.lookup("tf-security-group"),
            ("bastion", "public_dns_name"): c.lookup("tf-bastion-dns"),
        },
        all_vars={
            "app_url": c.lookup("tf-out-string"),
            "nested": {"list": [c.lookup("tf-out-list"), {"deep": c.statement("tf-out-deep")}], "n": 1, "t": True, "z": None},
            "names": [c.lookup("tf-out-tuple"), "plain"],
            "honest": "plain text",
            "tf_ansible_connection": "local",
            "tf_groups": c.lookup("tf-out-groups"),
        },
        absent_vars=(*MARKERS, "ansible_connection", "groups"),
    )
    expected.literal[("all", "palin_rds", "app-db", "db_name")] = c.lookup("tf-db-name")
    expected.literal[("all", "palin_rds", "app-db", "username")] = c.statement("tf-db-user")
    return tf_state(hosts, outputs, [db]), expected


def refused_states(c: Canary) -> dict[str, tuple[dict, str, tuple[str, ...]]]:
    """name -> (state, palin.yml text, what the one error line must name). Each state is a
    bastion and a web host with one hostile value."""

    def base(**changes):
        bastion = TfHost("bastion", {"Name": "bastion", "Role": "bastion"}, "10.0.0.10", public_ip=BASTION_IP)
        web = TfHost("web", {"Name": "web-1", "Role": "web", "Group": "web"}, "10.0.1.11")
        for attr, value in changes.get("bastion", {}).items():
            setattr(bastion, attr, value)
        for attr, value in changes.get("web", {}).items():
            setattr(web, attr, value)
        return bastion, web

    out = {}
    bastion, web = base(web={"private_ip": c.option("tf-refused-private-ip")})
    out["private_ip_option"] = (tf_state([bastion, web]), "", (web.id, "ansible_host"))
    bastion, web = base(web={"public_ip": c.lookup("tf-refused-public-ip")})
    out["public_ip_template"] = (tf_state([bastion, web]), "", (web.id, "ansible_host"))
    bastion, web = base(bastion={"public_ip": c.shell("198.51.100.7", "tf-refused-bastion-ip")})
    out["bastion_ip_shell"] = (tf_state([bastion, web]), "", (bastion.id,))
    bastion, web = base(bastion={"public_ip": "", "public_dns": f"bastion.example.com|touch {c.path('tf-refused-bastion-dns')}"})
    out["bastion_dns_shell"] = (tf_state([bastion, web]), "", (bastion.id,))
    bastion, web = base()
    second = TfHost("zz_bastion", {"Name": "0-anything", "Role": "bastion"}, "10.0.0.11", public_ip="203.0.113.11")
    out["two_bastions"] = (tf_state([bastion, web, second]), "", (bastion.id, second.id, "connection.bastion"))
    bastion, web = base(web={"tags": {"Name": "web-1", "Role": "web", "Group": "_meta"}})
    keyed = 'leading_separator: false\nkeyed_groups: [{key: ec2_tags.Group, prefix: "", separator: ""}]\n'
    out["keyed_group_meta"] = (tf_state([bastion, web]), keyed, ("_meta",))
    bastion, web = base(web={"tags": {"Name": "web-1", "Role": "web", "Group": "__ansible_unsafe"}})
    out["keyed_group_marker"] = (tf_state([bastion, web]), keyed, ("__ansible_",))
    bastion, web = base(web={"tags": {"Role": "web"}, "id": "i-" + c.lookup("tf-refused-id")})
    out["instance_id_template"] = (tf_state([bastion, web]), "", ())
    bastion, web = base(web={"tags": {"Role": "web"}, "id": "localhost"})
    out["instance_id_localhost"] = (tf_state([bastion, web]), "", ())
    bastion, web = base(web={"tags": {"Name": "web-1", "Role": "web", "Addr": c.option("tf-refused-compose-host")}})
    out["compose_ansible_host"] = (tf_state([bastion, web]), "compose:\n  ansible_host: ec2_tags.Addr\n", (web.id, "ansible_host"))
    bastion, web = base(web={"tags": {"Name": "web-1", "Role": "web", "User": "root -oProxyCommand=x"}})
    out["compose_ansible_user"] = (tf_state([bastion, web]), "compose:\n  ansible_user: ec2_tags.User\n", (web.id, "ansible_user"))
    bastion, web = base(web={"tags": {"Name": "web-1", "Role": "web", "Jump": c.shell("198.51.100.7", "tf-refused-compose-jump")}})
    out["compose_proxyjump"] = (
        tf_state([bastion, web]),
        "compose:\n  ansible_ssh_common_args: \"'-o ProxyJump=' ~ ec2_tags.Jump\"\n",
        (web.id, "ansible_ssh_common_args"),
    )
    bastion, web = base(web={"tags": {"Name": "web-1", "Role": "web", "Jump": c.shell("198.51.100.7", "tf-refused-extra-jump")}})
    out["compose_extra_args_quoted_proxyjump"] = (
        tf_state([bastion, web]),
        "compose:\n  ansible_ssh_extra_args: \"'-o \\\"ProxyJump ' ~ ec2_tags.Jump ~ '\\\"'\"\n",
        (web.id, "ansible_ssh_extra_args"),
    )
    bastion, web = base(bastion={"tags": {"Name": "bastion", "Role": "bastion", "User": c.shell_user("admin", "tf-refused-jump-user")}})
    out["bastion_user_shell"] = (
        tf_state([bastion, web]),
        "compose:\n  ansible_user: ec2_tags.User\n",
        (bastion.id, "ansible_user"),
    )
    bastion, web = base()
    db = db_instance("localhost", "app-db.abcdefghijkl.eu-west-1.rds.amazonaws.com", "app", "app")
    out["endpoint_host_localhost"] = (tf_state([bastion, web], extra=[db]), "endpoint_hosts: true\n", ())
    return out


def clean_state() -> dict:
    """A bastion and a web host with nothing hostile (for the INI export that must work)."""
    return tf_state(
        [
            TfHost("bastion", {"Name": "bastion", "Role": "bastion"}, "10.0.0.10", public_ip=BASTION_IP),
            TfHost("web", {"Name": "web-1", "Role": "web"}, "10.0.1.11"),
        ]
    )


def write_json(path: Path, doc) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=1))
    return path


# --------------------------------------------------------------------------- moto
MOTO_CONFIG = """\
hostnames: [tag:Name, tag:Alt, instance-id]
leading_separator: false
keyed_groups:
  - {key: ec2_tags.Group, prefix: "", separator: ""}
"""
# The same estate through an amazon.aws-style file (no bastion, no ansible_user: the plugin has
# neither; `tags` next to `ec2_tags`).
AWS_EC2_CONFIG = """\
plugin: palin.aws.aws_ec2
regions: [eu-west-1]
hostnames: [tag:Name, tag:Alt, instance-id]
leading_separator: false
keyed_groups:
  - {key: tags.Group, prefix: "", separator: ""}
"""


def moto_palin_yml(regions: list[str], extra: str = "") -> str:
    """A palin.yml for the moto estate (the endpoint comes from AWS_ENDPOINT_URL)."""
    return (
        f"source: aws\naws:\n  regions: [{', '.join(regions)}]\n  services: [ec2]\n"
        + MOTO_CONFIG
        + f"ansible_user:\n  all: {JUMP_USER}\n"
        + extra
    )


def seed_moto(endpoint: str, c: Canary) -> tuple[Accepted, dict[str, str]]:
    """The accepted moto estate in eu-west-1 (the same shape as `tf_accepted`'s hosts, tags from
    AWS instead of a state) and, in us-east-1, a second instance tagged Role=bastion that only a
    configuration reading both regions sees. Returns what palin must make of eu-west-1 and the
    instance ids of the two bastions ({"eu-west-1": id, "us-east-1": id})."""
    import boto3  # the repository's .venv has it (moto's dependency)

    def client(region):
        return boto3.client(
            "ec2", region_name=region, endpoint_url=endpoint, aws_access_key_id="testing", aws_secret_access_key="testing"
        )

    def network(ec2, cidr, az):
        vpc = ec2.create_vpc(CidrBlock=f"{cidr}.0.0/16")["Vpc"]["VpcId"]
        public = ec2.create_subnet(VpcId=vpc, CidrBlock=f"{cidr}.0.0/24", AvailabilityZone=az)["Subnet"]["SubnetId"]
        ec2.modify_subnet_attribute(SubnetId=public, MapPublicIpOnLaunch={"Value": True})
        private = ec2.create_subnet(VpcId=vpc, CidrBlock=f"{cidr}.1.0/24", AvailabilityZone=az)["Subnet"]["SubnetId"]
        return public, private

    def run(ec2, subnet, tags, key_name=None):
        extra = {"KeyName": key_name} if key_name else {}
        resp = ec2.run_instances(
            ImageId="ami-0palin000000000a",
            MinCount=1,
            MaxCount=1,
            InstanceType="t3.micro",
            SubnetId=subnet,
            TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}],
            **extra,
        )
        return resp["Instances"][0]["InstanceId"]

    ec2 = client("eu-west-1")
    public, private = network(ec2, "10.30", "eu-west-1a")
    key_name = c.lookup("moto-key-name")
    ec2.create_key_pair(KeyName=key_name)
    bastion_tags = {"Name": "bastion", "Role": "bastion"}
    named = {
        "bastion": (public, bastion_tags),
        "web-1": (private, web_tags(c, "moto")),
        "worker-1": (private, {"Name": "worker-1", "Role": "worker", "Group": "all", **LOOKS_TYPED}),
        "worker-2": (private, {"Name": "worker-2", "Role": "worker", "Group": "ungrouped"}),
        "alt-host": (private, {"Name": "localhost", "Alt": "alt-host", "Role": "worker"}),
    }
    hosts, tags = {}, {}
    for name, (subnet, t) in named.items():
        hosts[name] = run(ec2, subnet, t, key_name=key_name if name == "web-1" else None)
        tags[name] = t
    for _key, t in hostile_name_hosts(c, "moto"):
        t = {**t, "Role": "worker"}
        iid = run(ec2, private, t)
        hosts[iid], tags[iid] = iid, t
    east = client("us-east-1")
    east_public, _ = network(east, "10.31", "us-east-1a")
    second = run(east, east_public, {"Name": "bastion-east", "Role": "bastion"})
    expected = Accepted(
        hosts=hosts,
        tags=tags,
        bastion="bastion",
        private={n for n in hosts if n != "bastion"},
        group_members={"web": {"web-1"}},
        no_group={"_meta", "__ansible_unsafe"},
        literal={("web-1", "key_name"): key_name},
    )
    return expected, {"eu-west-1": hosts["bastion"], "us-east-1": second}
