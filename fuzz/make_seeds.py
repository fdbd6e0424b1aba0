#!/usr/bin/env python3
"""Write the seed corpora of the fuzz targets into fuzz/seeds/<target>/ (standard library only).

Seeds come from the test fixtures and the documented configurations, with markers at the places
the checks watch: PALIN-FUZZ-SECRET in every secret place (sensitive outputs, password-like and
sensitive-marked attributes, no_log options, unsupported credential options), PALIN-FUZZ-VALUE in
ordinary values. `run.sh` adds these seeds to each run; the committed `corpus/<target>/` is the
minimised corpus a run leaves behind.

    python3 fuzz/make_seeds.py
"""

import json
import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(__file__).resolve().parent / "seeds"
SECRET = "PALIN-FUZZ-SECRET"
VALUE = "PALIN-FUZZ-VALUE"
MAPPED = {"aws_instance", "aws_eip", "aws_eip_association", "aws_db_instance", "aws_rds_cluster",
          "aws_elasticache_replication_group", "aws_elasticache_cluster", "aws_lb", "aws_alb"}


def compact(doc) -> str:
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


def write(target: str, name: str, text) -> None:
    d = OUT / target
    d.mkdir(parents=True, exist_ok=True)
    data = text if isinstance(text, bytes) else text.encode()
    (d / name).write_bytes(data)


def marked(text: str) -> str:
    return text.replace("FIXTURE-SECRET", SECRET)


def add_value_markers(state: dict) -> dict:
    """A PALIN-FUZZ-VALUE tag on every instance (an ordinary value an error must not quote)."""
    for r in state.get("resources", []):
        if r.get("type") != "aws_instance":
            continue
        for i in r.get("instances", []):
            a = i.get("attributes") or {}
            for key in ("tags", "tags_all"):
                if isinstance(a.get(key), dict):
                    a[key]["Note"] = f"{VALUE}-note"
    return state


def to_show(state: dict) -> dict:
    """A v4 state as `terraform show -json` prints it (values, sensitive_values, child modules)."""
    modules: dict = {}
    for r in state.get("resources", []):
        mod = r.get("module", "")
        for i in r.get("instances", []):
            key = i.get("index_key")
            addr = ("data." if r.get("mode") == "data" else "") + f"{r['type']}.{r['name']}"
            if key is not None:
                addr += f"[{json.dumps(key)}]"
            if mod:
                addr = f"{mod}.{addr}"
            mask: dict = {}
            for path in i.get("sensitive_attributes", []):
                attr = path[0]["value"]
                if len(path) == 2 and path[1]["type"] == "index":
                    mask.setdefault(attr, {})[path[1]["value"]["value"]] = True
                else:
                    mask[attr] = True
            res = {"address": addr, "mode": r.get("mode", "managed"), "type": r["type"], "name": r["name"],
                   "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": i.get("schema_version", 0),
                   "values": i.get("attributes", {}), "sensitive_values": mask}
            if key is not None:
                res["index"] = key
            if i.get("deposed"):
                res["deposed_key"] = i["deposed"]
            if i.get("status") == "tainted":
                res["tainted"] = True
            modules.setdefault(mod, []).append(res)
    root = {"resources": modules.pop("", [])}
    if modules:
        root["child_modules"] = [{"address": m, "resources": rs} for m, rs in modules.items()]
    outputs = {k: {"sensitive": bool(v.get("sensitive")), "value": v.get("value"), "type": v.get("type")}
               for k, v in state.get("outputs", {}).items()}
    return {"format_version": "1.0", "terraform_version": "1.9.5", "values": {"outputs": outputs, "root_module": root}}


def tfstate_seeds() -> None:
    fixtures = ROOT / "inventory-plugin/tests/fixtures"
    states = {
        "stack": json.loads(marked((fixtures / "stack.tfstate").read_text())),
        "network": json.loads((fixtures / "network.tfstate").read_text()),
        "production": json.loads(marked((ROOT / "tests/terraform/fixtures/production.tfstate").read_text())),
        "ssm": json.loads(marked((ROOT / "tests/terraform/fixtures/ssm.tfstate").read_text())),
        "fixed": json.loads((ROOT / "fuzz/fixed/state.tfstate").read_text()),
    }
    for name, state in states.items():
        state = add_value_markers(state)
        # Only the resource types palin maps (the rest is skipped unparsed), to keep seeds small.
        small = dict(state, resources=[r for r in state["resources"] if r["type"] in MAPPED])
        write("tfstate", f"{name}.tfstate", compact(small))
        write("tfstate", f"{name}.show.json", compact(to_show(small)))
        # One seed per mapped resource, with the outputs: short inputs fuzz fastest.
        for n, r in enumerate(small["resources"]):
            one = dict(state, resources=[r])
            write("tfstate", f"{name}-{n:02}-{r['type']}.tfstate", compact(one))
            write("tfstate", f"{name}-{n:02}-{r['type']}.show.json", compact(to_show(one)))
    for bad in sorted((fixtures / "bad").iterdir()):
        data = marked(bad.read_text())
        write("tfstate", f"bad-{bad.name}", data[:20000])
    write("tfstate", "empty.tfstate", (fixtures / "empty.tfstate").read_text())
    # Hand-written shapes: legacy flat attributes, tainted and deposed objects, a data source,
    # typed outputs, attributes of the wrong type (which must fail without quoting the value).
    legacy = {"version": 4, "outputs": {"pw": {"value": f"{SECRET}-out", "type": "string", "sensitive": True}},
              "resources": [
                  {"mode": "managed", "type": "aws_instance", "name": "old", "instances": [
                      {"attributes_flat": {"id": "i-0001", "private_ip": "10.0.0.1", "tags.%": "2", "tags.Name": "old",
                                           "tags.Note": f"{VALUE}-note", "vpc_security_group_ids.#": "1",
                                           "vpc_security_group_ids.0": "sg-1"}}]},
                  {"mode": "managed", "type": "aws_db_instance", "name": "db", "instances": [
                      {"attributes_flat": {"identifier": "old-db", "address": "old.rds", "port": "5432",
                                           "password": f"{SECRET}-flat-pw", "engine": "mysql"}}]},
                  {"mode": "managed", "type": "aws_instance", "name": "w", "instances": [
                      {"index_key": "a", "status": "tainted", "attributes": {"id": "i-0002", "tags": {"Name": "w"}}},
                      {"index_key": "a", "deposed": "00000001", "attributes": {"id": "i-0003", "tags": {"Name": "w"}}}]},
                  {"mode": "data", "type": "aws_instance", "name": "d", "instances": [{"attributes": {"id": "i-0004"}}]},
              ]}
    write("tfstate", "legacy-flat.tfstate", compact(legacy))
    wrong = {"version": 4, "resources": [{"mode": "managed", "type": "aws_instance", "name": "w", "instances": [
        {"attributes": {"id": "i-1", "tags": f"{VALUE}-not-a-map", "private_ip": 10}}]}]}
    write("tfstate", "wrong-types.tfstate", compact(wrong))
    wrong_pw = {"version": 4, "resources": [{"mode": "managed", "type": "aws_db_instance", "name": "db", "instances": [
        {"attributes": {"identifier": "x", "address": "x.rds", "port": f"{SECRET}-port", "password": 12345}}]}]}
    write("tfstate", "wrong-db.tfstate", compact(wrong_pw))
    write("tfstate", "version-string.tfstate", compact({"version": f"{VALUE}", "resources": []}))


# ------------------------------------------------------------------------ trust payloads (issue 20)
# Inputs that carry what a tag writer or a state writer would try: templates, the controller's
# names, ssh options, Ansible's marker keys, reserved group names. They are seeds, and also
# written to regressions/<target>/trust-* (committed), so the replay tests always hold palin to
# the trust rules on them (see src/trust.rs).
PIPE = "{{ lookup('pipe', 'touch /tmp/palin-canary') }}"


def instance(iid: str, name, private_ip="10.0.1.10", public_ip="", public_dns="", **tags) -> dict:
    t = {"Role": "web", **tags}
    if name is not None:
        t["Name"] = name
    return {"index_key": iid, "schema_version": 1, "attributes": {
        "id": iid, "ami": "ami-0123456789abcdef0", "availability_zone": "eu-west-1a",
        "instance_type": "t3.micro", "instance_state": "running", "private_ip": private_ip,
        "private_dns": "", "public_ip": public_ip, "public_dns": public_dns, "subnet_id": "subnet-0a",
        "vpc_security_group_ids": ["sg-0web"], "tags": t, "tags_all": t}}


def state_of(*instances, outputs=None) -> dict:
    return {"version": 4, "terraform_version": "1.9.5", "serial": 1, "lineage": "palin-fuzz",
            "outputs": outputs or {},
            "resources": [{"mode": "managed", "type": "aws_instance", "name": "web",
                           "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
                           "instances": list(instances)}]}


def compose(var: str, expr: str) -> str:
    """A config with one compose entry (the expression as a JSON string, which YAML reads)."""
    return f"compose:\n  {var}: {json.dumps(expr)}\n"


def trust_inputs() -> dict[str, dict[str, str | bytes]]:
    """target -> {name: input}."""
    bastion = lambda addr, **tags: instance("i-00000000000bastion", "bastion", "10.0.0.5", addr,  # noqa: E731
                                            Role="bastion", **tags)
    states = {
        # Host names: the controller's names, templates, options, markers fall back to the id.
        "name-localhost": state_of(instance("i-0000000000000001", "localhost"),
                                   instance("i-0000000000000002", "LOCALHOST"),
                                   instance("i-0000000000000003", "127.0.0.1"),
                                   instance("i-0000000000000004", "::1")),
        "name-template": state_of(instance("i-0000000000000001", PIPE),
                                  instance("i-0000000000000002", "web-{% raw %}"),
                                  instance("i-0000000000000003", "web-{# c #}")),
        "name-option-marker": state_of(instance("i-0000000000000001", "-oProxyCommand=sh"),
                                       instance("i-0000000000000002", "__ansible_unsafe")),
        "instance-id-localhost": state_of(instance("localhost", None)),
        "instance-id-template": state_of(instance("i-{{x}}", None)),
        # Variables: every string wrapped, marker keys dropped at any depth.
        "tag-values-templates": state_of(instance("i-0000000000000001", "web-0", Note=PIPE,
                                                  Env="{% for x in range(3) %}x{% endfor %}",
                                                  Owner="{# c #}{{ 7 * 7 }}")),
        "tag-marker-keys": state_of(instance("i-0000000000000001", "web-0", __ansible_unsafe=PIPE,
                                             __ansible_type="Vault", __ansible_vault="x",
                                             __ansible_future="y")),
        "output-templates-markers": state_of(instance("i-0000000000000001", "web-0"), outputs={
            "app_url": {"value": PIPE, "type": "string"},
            "nested": {"value": {"a": [PIPE, 1, True, None], "__ansible_unsafe": "x",
                                 "b": {"__ansible_vault": "y", "c": "{{ z }}"}}, "type": "dynamic"},
            "__ansible_type": {"value": "x", "type": "string"}}),
        # Connection values: refused, naming the instance and the field, never the value.
        "bastion-address-pipe": state_of(instance("i-0000000000000001", "web-0"),
                                         bastion("198.51.100.7|sh -c PALIN-FUZZ-VALUE")),
        "bastion-address-option": state_of(instance("i-0000000000000001", "web-0"),
                                           bastion("-oProxyCommand=PALIN-FUZZ-VALUE")),
        "bastion-two": state_of(instance("i-0000000000000001", "web-0"), bastion("198.51.100.7"),
                                instance("i-0-anything", "0-anything", "10.0.0.6", "198.51.100.66",
                                         Role="bastion")),
        "ansible-host-option": state_of(instance("i-0000000000000001", "web-0",
                                                 private_ip="-oProxyCommand=PALIN-FUZZ-VALUE")),
        "ansible-host-space": state_of(instance("i-0000000000000001", "web-0",
                                                private_ip="10.0.0.1 PALIN-FUZZ-VALUE")),
        # A state writer's outputs become variables of `all`: connection variables too.
        "output-connection-vars": state_of(instance("i-0000000000000001", "web-0"), outputs={
            "ansible_host": {"value": "-oProxyCommand=PALIN-FUZZ-VALUE", "type": "string"},
            "ansible_user": {"value": "root;PALIN-FUZZ-VALUE", "type": "string"},
            "ansible_ssh_common_args": {"value": "-o ProxyJump=198.51.100.7|PALIN-FUZZ-VALUE",
                                        "type": "string"}}),
    }
    out: dict[str, dict[str, str | bytes]] = {"tfstate": {f"trust-{k}.tfstate": compact(v) for k, v in states.items()}}
    keyed = "keyed_groups:\n  - key: \"{key}\"\n    prefix: ''\nleading_separator: false\n"
    configs = {
        "keyed-all": keyed.format(key="'all'"),
        "keyed-ungrouped": keyed.format(key="'ungrouped'"),
        "keyed-meta": keyed.format(key="'_meta'"),
        "keyed-marker": keyed.format(key="'__ansible_unsafe'"),
        "groups-reserved": "groups:\n  all: 'true'\n  ungrouped: 'true'\n",
        "groups-meta": "groups:\n  _meta: 'true'\n",
        "compose-host-option": "compose:\n  ansible_host: \"'-oProxyCommand=' ~ ec2_tags.Note\"\n",
        "compose-user": "compose:\n  ansible_user: \"'root;' ~ ec2_tags.Note\"\n",
        "compose-proxyjump": "compose:\n  ansible_ssh_common_args: \"'-o ProxyJump=x|' ~ ec2_tags.Note\"\n",
        # The other spellings ssh reads (shell quoting, a space for '=', -J) and the other ssh
        # argument variables of Ansible's ssh plugin.
        "compose-proxyjump-quoted": compose("ansible_ssh_common_args", "\"-o 'ProxyJump x|\" ~ ec2_tags.Note ~ \"'\""),
        "compose-proxyjump-escaped": compose("ansible_ssh_common_args", "'-o\\\\ ProxyJump=x\\\\|' ~ ec2_tags.Note"),
        "compose-extra-args-j": compose("ansible_ssh_extra_args", "'-J -oProxyCommand=' ~ ec2_tags.Note"),
        "compose-ssh-args": compose("ansible_ssh_args", "'-o ProxyJump=x|' ~ ec2_tags.Note"),
        "compose-scp-extra-args": compose("ansible_scp_extra_args", "'-o ProxyJump=x|' ~ ec2_tags.Note"),
        "compose-sftp-extra-args": compose("ansible_sftp_extra_args", "'-oProxyJump=x|' ~ ec2_tags.Note"),
        "compose-markers": "compose:\n  x: \"{'__ansible_unsafe': ec2_tags.Note, 'y': {'__ansible_vault': 1}}\"\n"
                           "  __ansible_type: \"'x'\"\n  t: \"'{' ~ '{ 7 * 7 }' ~ '}'\"\n",
        "user-option": "ansible_user: {all: -oProxyCommand}\n",
        "bastion-two-matches": "connection: {bastion: {tag: Role=web}}\n",
        "bastion-user-option": "connection: {bastion: {tag: Role=bastion, user: '-oProxyCommand=x'}}\n",
        "bastion-by-id": "connection: {bastion: {host: i-00000000000bastion}}\n",
        "hostnames-fallback": "hostnames: [tag:Note, tag:Role, instance-id]\n",
    }
    out["palin_yml"] = {f"trust-{k}.yml": v for k, v in configs.items()}
    out["aws_ec2_yml"] = {f"trust-{k}.yml": "plugin: amazon.aws.aws_ec2\nregions: [eu-west-1]\n" + v
                          for k, v in configs.items() if not k.startswith(("user-", "bastion-"))}
    exprs = {
        "keyed-all": (0x82 | 8, "'all'"), "keyed-ungrouped": (0x82 | 8, "'ungrouped'"),
        "keyed-meta": (0x82 | 8, "'_meta'"), "keyed-marker": (0x82 | 8, "'__ansible_' ~ ec2_tags.Role"),
        "compose-marker-keys": (0, "{'__ansible_unsafe': 'x', 'a': [{'__ansible_vault': 1}]}"),
        "compose-template-text": (0, "'{' ~ '{ lookup(\"pipe\", \"id\") }' ~ '}' ~ ' {' ~ '% x %} {' ~ '# c #}'"),
    }
    out["expression"] = {f"trust-{k}": bytes([f]) + e.encode() for k, (f, e) in exprs.items()}
    return out


def trust_seeds() -> None:
    for target, inputs in trust_inputs().items():
        reg = Path(__file__).resolve().parent / "regressions" / target
        reg.mkdir(parents=True, exist_ok=True)
        for name, data in inputs.items():
            write(target, name, data)
            (reg / name).write_bytes(data if isinstance(data, bytes) else data.encode())


def yaml_blocks(path: Path) -> list[str]:
    return re.findall(r"```ya?ml\n(.*?)```", path.read_text(), re.S)


def config_seeds() -> None:
    palin = [
        (ROOT / "examples/palin.yml").read_text(),
        "",
        "source: aws\naws:\n  regions: [eu-west-1, us-east-1]\n",
        "source: aws\naws: {page_size: 5}\n",
        "terraform:\n  states:\n    - path: infra/terraform.tfstate\n    - command: [terraform, state, pull]\n      dir: infra\n"
        "    - s3: {bucket: b, key: k, region: eu-west-1}\n  outputs_prefix: tf_\nhostnames: [tag:Name, private-ip-address]\n"
        "tag_groups: [Role]\nreveal: [db_password]\nconnection: {bastion: {host: jump, user: admin}}\n"
        "ansible_user: {tag_Role_web: ubuntu, all: ec2-user}\n",
        "hostnames: [tag:Note, instance-id]\nconnection: {mode: ssm}\n",
        "connection: {bastion: {tag: Role=bastion}}\nendpoint_hosts: true\n",
        f"ansible_user: {{all: {VALUE}-user}}\ntag_groups: [Role, {VALUE}]\n",
        "plugin: palin.aws.palin\nexecutable: /opt/palin-inventory\ncache: true\nsource: aws\naws: {regions: [eu-west-1]}\n",
        "compose:\n  ansible_host: private_ip_address\n  az: placement.availability_zone\n"
        "groups:\n  web: ec2_tags.Role == 'web'\n  public: public_ip_address is defined\n"
        "keyed_groups:\n  - key: placement.region\n    prefix: aws_region\n  - key: ec2_tags\n    prefix: tag\n"
        "  - key: ec2_tags.Owner | default('')\n    prefix: owner\n    default_value: unowned\n"
        "  - key: instance_type\n    parent_group: types\nstrict: false\n",
        "strict: true\ncompose:\n  pub: public_ip_address\n",
        "reveal: [password, auth_token, db_password]\n",
        "reveal: [tags]\nhostnames: [tag:Token]\n",
        "terraform: {outputs: false}\nendpoint_hosts: true\ntag_groups: []\n",
    ]
    palin += [b for b in yaml_blocks(ROOT / "docs/configuration.md") if "plugin: amazon" not in b]
    palin += [b for b in yaml_blocks(ROOT / "README.md") if "palin_" not in b]
    for n, text in enumerate(palin):
        write("palin_yml", f"palin-{n:02}.yml", text)

    compat = (ROOT / "tests/aws/test_compat.py").read_text()
    aws = [m.replace("{endpoint}", "http://127.0.0.1:5000") for m in
           re.findall(r'"""\\\n(plugin: amazon\.aws\.aws_ec2\n.*?)"""', compat, re.S)]
    defaults = "plugin: amazon.aws.aws_ec2\nregions: [eu-west-1, us-east-1]\n"
    aws += [
        defaults + "strict: true\nleading_separator: false\ncompose:\n  ansible_host: public_ip_address | default(private_ip_address)\n"
        "keyed_groups:\n  - key: placement.availability_zone\n",
        defaults + "hostnames: [instance-id]\nfilters:\n  instance-state-name: [running, terminated]\nexclude_filters:\n  - tag:Name: old-web\n",
        defaults + "strict: true\ncompose:\n  pub: public_ip_address\n",
        "plugin: amazon.aws.aws_ec2\nregions: [eu-west-1\n",
        "plugin: amazon.aws.aws_ec2\nuse_ssm_inventory: true\n",
        "plugin: amazon.aws.aws_ec2\nhostnames: [{name: tag:Name, prefix: x}]\n",
        "plugin: amazon.aws.aws_rds\n",
        "plugin: amazon.aws.aws_ec2\nkeyed_groups: [{key: x, bogus: 1}]\n",
        f"plugin: amazon.aws.aws_ec2\nregions: [eu-west-1]\naws_access_key: AKIAFUZZ\naws_secret_key: {SECRET}-key\n",
        f"plugin: amazon.aws.aws_ec2\nregions: [eu-west-1]\nsession_token: {SECRET}-token\n",
        f"plugin: palin.aws.aws_ec2\nregions: [eu-west-1]\nfilters:\n  tag:Note: {VALUE}-filter\ncache: true\ncache_timeout: 60\n",
        "plugin: amazon.aws.aws_ec2\ncache: true\ncache_timeout: 60\ncache_connection: /tmp/palin-fuzz-cache\n",
        f"plugin: aws_ec2\nregion: eu-west-1\nhostnames: [tag:Note, private-dns-name]\nstrict_permissions: false\n"
        f"iam_role_arn: arn:aws:iam::123456789012:role/{VALUE}\n",
        "plugin: amazon.aws.aws_ec2\nregions: [eu-west-1]\nkeyed_groups:\n  - key: tags\n    prefix: tag\n    trailing_separator: false\n"
        "  - key: security_groups | map(attribute='group_name')\n    prefix: sg\n    parent_group: sgs\n",
    ]
    for block in yaml_blocks(ROOT / "docs/configuration.md"):
        if "plugin:" in block:
            aws.append(block)
    for n, text in enumerate(aws):
        write("aws_ec2_yml", f"aws-{n:02}.yml", text)


def expression_seeds() -> None:
    exprs = [
        (0, "private_ip_address"), (0, "placement.availability_zone"), (0, "ec2_tags.Note"),
        (4, "ec2_tags.Note | int"), (4, "ec2_tags.Note + 1"), (4, "ec2_tags.Note.missing"),
        (4, "ec2_tags['Note'][0:3] ~ undefined_var"), (0, "public_ip_address | default(private_ip_address)"),
        (0, "{'a': ec2_tags.Note, 'b': [1, 2]}"), (4, "ec2_tags.Note | float"), (4, "ec2_tags.Note is divisibleby 3"),
        (1, "ec2_tags.Role == 'web'"), (1, "tags['Role'] == 'web'"), (1, "public_ip_address is defined"),
        (5, "state.name == 'stopped'"), (1, "'web' in ec2_tags.Name"), (5, "ec2_tags.Note > 3"),
        (2, "placement.region"), (2, "ec2_tags"), (6, "ec2_tags.Owner"), (0x12, "ec2_tags.Owner | default('')"),
        (0x22, "ec2_tags"), (0x42, "instance_type"), (0x82 | 8, "placement.availability_zone"),
        (2, "security_group_ids"), (6, "ec2_tags.Note ~ '-' ~ instance_id"), (2, "[1, 'x', none, true]"),
        (6, "{'a': {'b': 'c'}}"), (3, "ec2_tags.Role"), (7, "ec2_tags.Note | upper"),
        (4, "ec2_tags.Note | map(attribute='x') | list"), (4, "range(3) | join(',')"), (0, "'é ü ✓' ~ ec2_tags.Name"),
        (4, "ec2_tags.Note[100]"), (4, "ec2_tags.Note | fromjson"), (6, "ec2_tags.Note | split('-')"),
        (4, "{{ private_ip_address }}"), (4, "(ec2_tags"), (4, "ec2_tags.Note | nosuchfilter"),
    ]
    for n, (flags, e) in enumerate(exprs):
        write("expression", f"expr-{n:02}", bytes([flags]) + e.encode())


def module_seeds() -> None:
    docker = [
        {"name": "app", "image": "registry.example.com/app:1.2.3", "published_ports": ["127.0.0.1:8080:8080"],
         "env": {"LOG_LEVEL": "info", "NOTE": f"{VALUE}-env"}, "secret_env": {"DATABASE_URL": f"{SECRET}-db-url"},
         "readiness": {"http": {"url": "http://127.0.0.1:8080/healthz"}, "timeout": 120},
         "gate": {"url": "http://127.0.0.1:8080/deploy/drain", "method": "POST", "timeout": 60}},
        {"name": "app", "image": "app:local", "build": {"path": "/srv/app", "args": {"VERSION": "1"}},
         "published_ports": ["8080:8080", "[::1]:9090:90/udp"], "volumes": ["/data:/data:ro", "/cache"]},
        {"name": "app", "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1.4.2", "pull": "always",
         "registry_auth": {"username": "AWS", "password": f"{SECRET}-ecr-token",
                           "server": "123456789012.dkr.ecr.eu-west-1.amazonaws.com"}},
        {"name": "app", "state": "absent"},
        {"ANSIBLE_MODULE_ARGS": {"name": "app", "image": "a:1", "secret_env": {"K": f"{SECRET}-k", "N": 42},
                                 "_ansible_check_mode": True, "_ansible_diff": True}},
        {"name": "app", "image": "a:1", "command": "serve,--port,80", "entrypoint": ["/bin/app"],
         "labels": {"app": "x"}, "networks": ["host"], "restart_policy": "on-failure", "stop_timeout": "15",
         "healthcheck": {"test": ["CMD", "true"], "interval": "10s"}, "rollback": "yes",
         "readiness": {"tcp": {"port": 8080}, "docker_health": "require", "success_threshold": 2},
         "_ansible_no_log": False, "_ansible_verbosity": 3},
        {"name": "app", "image": "a:1", "registry_auth": {"username": "u", "password": 12345}, "secret_env": f"{SECRET}-str"},
        {"name": "app", "image": "a:1", "published_ports": [f"{VALUE}:80"], "state": "sideways"},
    ]
    http = [
        {"url": "http://127.0.0.1:8080/health", "timeout": 15},
        {"url": "http://127.0.0.1:8080/health", "timeout": 60, "interval": 0.1, "max_interval": 0.5},
        {"url": "https://example.test/ready", "method": "POST", "body": "{}", "status": [200, 204],
         "body_contains": "ok", "headers": {"Authorization": f"Bearer {VALUE}"}, "validate_certs": False,
         "follow_redirects": True, "initial_delay": 1, "request_timeout": 2, "success_threshold": 3},
        {"url": "http://x", "status": "200,201", "timeout": "nope"},
        {"ANSIBLE_MODULE_ARGS": {"url": "http://x", "_ansible_no_log": True, "_ansible_ignore_unknown_opts": True, "bogus": 1}},
    ]
    for n, args in enumerate(docker):
        write("module_args", f"docker-{n:02}.json", json.dumps(args))
    for n, args in enumerate(http):
        write("module_args", f"http-{n:02}.json", json.dumps(args))
    write("module_args", "not-an-object.json", "[1, 2]")
    write("module_args", "not-json.json", "{name: app")


def main() -> None:
    shutil.rmtree(OUT, ignore_errors=True)
    tfstate_seeds()
    config_seeds()
    expression_seeds()
    module_seeds()
    trust_seeds()
    for d in sorted(OUT.iterdir()):
        files = list(d.iterdir())
        print(f"{d.name}: {len(files)} seeds, {sum(f.stat().st_size for f in files)} bytes")


if __name__ == "__main__":
    main()
