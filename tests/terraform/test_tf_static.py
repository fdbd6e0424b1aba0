"""Static checks of terraform/: every file parses and is formatted as `terraform fmt` would write
it; variables are typed and described, outputs described, secrets sensitive, versions pinned; the
example re-exports exactly the stack's outputs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import hcl_format
import tfconfig
from tfconfig import EXAMPLE, TERRAFORM

ALL_HCL = tfconfig.hcl_files()
MODULE_DIRS = sorted({p.parent for p in tfconfig.tf_files()})

# Outputs (anywhere) whose value is a secret: they must be declared sensitive.
SECRET_OUTPUT = re.compile(r"(password|secret_string|auth_token|private_key|token)$")


def rel(path: Path) -> str:
    return str(path.relative_to(TERRAFORM))


def test_the_stack_is_all_there():
    names = {rel(p) for p in tfconfig.tf_files()}
    for required in ("versions.tf", "main.tf", "variables.tf", "outputs.tf",
                     "examples/production/main.tf", "examples/production/outputs.tf"):
        assert required in names, f"terraform/{required} is missing"
    for module in ("network", "load_balancer", "app_hosts", "data_stores", "registry", "hardened_bucket"):
        for f in ("versions.tf", "variables.tf", "outputs.tf"):
            assert f"modules/{module}/{f}" in names, f"terraform/modules/{module}/{f} is missing"
    assert (EXAMPLE / "terraform.tfvars.example").is_file()
    assert (TERRAFORM / "README.md").is_file()


@pytest.mark.parametrize("path", ALL_HCL, ids=rel)
def test_parses(path: Path):
    doc = tfconfig.parse(path)
    assert isinstance(doc, dict)


@pytest.mark.parametrize("path", ALL_HCL, ids=rel)
def test_canonical_format(path: Path):
    problems = hcl_format.problems(path.read_text(), rel(path))
    assert not problems, "not formatted as terraform fmt would write it:\n" + "\n".join(problems)


@pytest.mark.parametrize("module_dir", MODULE_DIRS, ids=rel)
def test_variables_typed_described_validated(module_dir: Path):
    mod = tfconfig.load_module(module_dir)
    for name, var in mod.variables.items():
        where = f"{rel(var.file)}: variable {name}"
        assert "type" in var.body, f"{where} has no type"
        desc = var.body.get("description")
        assert isinstance(desc, str) and len(desc) >= 10, f"{where} has no (real) description"
        for v in var.body.get("validation", []):
            assert v.get("condition") and v.get("error_message"), f"{where}: validation without condition or message"
            assert v["error_message"].rstrip().endswith((".", "?", "!", ")")), f"{where}: error_message should be a sentence"


def test_root_variables_validated_where_a_wrong_value_is_likely():
    """Free-form inputs that AWS would reject late (or that weaken security) are validated."""
    mod = tfconfig.load_module(TERRAFORM)
    must = ["project", "environment", "tags", "vpc_cidr", "availability_zones", "nat_gateway_mode",
            "log_retention_days", "kms_key_arn", "ssh_public_keys", "bastion_ingress_cidrs", "ssh_allowed_cidrs",
            "bastion_enabled", "ssm_enabled", "app_instance_count", "app_instance_type", "ami_id", "app_port",
            "app_health_check_path", "app_deploy_paths", "domain_name", "route53_zone_id", "certificate_arn",
            "alb_ingress_cidrs", "ssl_policy", "health_check", "db_engine_version", "db_instance_class", "db_name",
            "db_username", "db_backup_retention_days", "redis_engine_version", "redis_node_type",
            "redis_num_cache_clusters", "ecr_repository_name"]
    for name in must:
        assert name in mod.variables, f"variable {name} is missing"
        assert mod.variables[name].body.get("validation"), f"variable {name} has no validation"


@pytest.mark.parametrize("module_dir", MODULE_DIRS, ids=rel)
def test_outputs_described_and_secrets_sensitive(module_dir: Path):
    mod = tfconfig.load_module(module_dir)
    for name, out in mod.outputs.items():
        where = f"{rel(out.file)}: output {name}"
        desc = out.body.get("description")
        assert isinstance(desc, str) and len(desc) >= 10, f"{where} has no (real) description"
        value = str(out.body.get("value", ""))
        secret = SECRET_OUTPUT.search(name) or re.search(r"random_password\.[a-z_]+(\[0\])?\.result", value)
        if secret and not name.endswith(("_secret_arn", "_name")):
            assert out.body.get("sensitive") is True, f"{where} carries a secret and must be sensitive = true"


def _required(module_dir: Path) -> tuple[str, dict]:
    mod = tfconfig.load_module(module_dir)
    blocks = [t for t in mod.terraform if "required_version" in t or "required_providers" in t]
    assert blocks, f"{rel(module_dir)}: no terraform {{ required_version / required_providers }} block"
    version = next((t["required_version"] for t in blocks if "required_version" in t), None)
    providers: dict = {}
    for t in blocks:
        for rp in t.get("required_providers", []):
            providers.update({k: v for k, v in rp.items() if not k.startswith("__")})
    return version, providers


def _has_upper_bound(constraint: str) -> bool:
    parts = [p.strip() for p in constraint.split(",")]
    return any(p.startswith(("~>", "<")) or re.fullmatch(r"=?\s*\d+\.\d+\.\d+", p) for p in parts)


@pytest.mark.parametrize("module_dir", MODULE_DIRS, ids=rel)
def test_terraform_and_providers_pinned(module_dir: Path):
    """versions.tf pins Terraform and every provider used, each with an upper bound."""
    version, providers = _required(module_dir)
    assert (module_dir / "versions.tf").is_file(), f"{rel(module_dir)}: no versions.tf"
    assert version and _has_upper_bound(version), f"{rel(module_dir)}: required_version {version!r} has no upper bound"
    mod = tfconfig.load_module(module_dir)
    used = {labels[0].split("_")[0] for labels in list(mod.resources) + list(mod.data)}
    for name in used:
        assert name in providers, f"{rel(module_dir)}: provider {name} is used but not in required_providers"
    for name, spec in providers.items():
        assert spec.get("source") == f"hashicorp/{name}", f"{rel(module_dir)}: provider {name} source {spec.get('source')!r}"
        assert _has_upper_bound(spec.get("version", "")), f"{rel(module_dir)}: provider {name} version {spec.get('version')!r} is not pinned"


def test_same_pins_everywhere():
    pins = {rel(d): _required(d) for d in MODULE_DIRS}
    root = pins["."]
    for where, (version, providers) in pins.items():
        assert version == root[0], f"{where}: required_version {version!r} differs from the root's {root[0]!r}"
        for name, spec in providers.items():
            assert spec["version"] == root[1][name]["version"], f"{where}: {name} {spec['version']!r} differs from the root's"


def test_stack_has_no_provider_configuration():
    """The stack is a module (the example configures the provider), so it can be instantiated
    with count/for_each and in other regions."""
    for d in MODULE_DIRS:
        if d == EXAMPLE:
            continue
        assert not tfconfig.load_module(d).providers, f"{rel(d)}: provider blocks belong in the root module (the example)"
    assert tfconfig.load_module(EXAMPLE).providers, "the example must configure the aws provider"


def test_example_reexports_every_output():
    """Only root-module outputs reach the state, and so the inventory."""
    stack = tfconfig.load_module(TERRAFORM).outputs
    example = tfconfig.load_module(EXAMPLE).outputs
    assert sorted(example) == sorted(stack), "examples/production/outputs.tf must re-export exactly the stack's outputs"
    for name, out in stack.items():
        assert example[name].body.get("value") == f"${{module.palin.{name}}}", f"example output {name} must be module.palin.{name}"
        assert bool(example[name].body.get("sensitive")) == bool(out.body.get("sensitive")), f"output {name}: sensitivity differs"
        assert example[name].body.get("description") == out.body.get("description"), f"output {name}: description differs"


def test_no_output_collides_with_inventory_names():
    """palin-inventory refuses an output that would overwrite its variables; Ansible warns on
    reserved names (palin-inventory then renames them tf_<name>)."""
    reserved = {"action", "always", "args", "async", "become", "block", "collections", "connection", "debugger",
                "delegate_to", "diff", "environment", "gather_facts", "handlers", "hosts", "name", "no_log",
                "notify", "port", "register", "remote_user", "roles", "serial", "strategy", "tags", "tasks",
                "throttle", "timeout", "vars", "when"}
    for name in tfconfig.load_module(EXAMPLE).outputs:
        assert not name.startswith("palin_"), f"output {name}: palin_* names are palin-inventory's"
        assert name not in reserved, f"output {name}: a name Ansible reserves"


def test_module_calls_pass_only_declared_variables():
    tree = tfconfig.module_tree()
    for address, mod in tree.items():
        for name, call in mod.module_calls.items():
            child = tree[f"{address}.module.{name}" if address else f"module.{name}"]
            given = {k for k in call.body if not k.startswith("__") and k not in ("source", "providers", "depends_on", "count", "for_each")}
            declared = set(child.variables)
            assert given <= declared, f"module {name} in {address or 'root'}: unknown arguments {sorted(given - declared)}"
            required = {n for n, v in child.variables.items() if "default" not in v.body}
            assert required <= given, f"module {name} in {address or 'root'}: missing arguments {sorted(required - given)}"


def test_tfvars_example_sets_declared_variables():
    doc = tfconfig.parse(EXAMPLE / "terraform.tfvars.example")
    declared = set(tfconfig.load_module(EXAMPLE).variables)
    assert set(doc) <= declared, f"terraform.tfvars.example sets undeclared variables {sorted(set(doc) - declared)}"
    required = {n for n, v in tfconfig.load_module(EXAMPLE).variables.items() if "default" not in v.body}
    assert required <= set(doc), f"terraform.tfvars.example lacks required {sorted(required - set(doc))}"


def test_skip_comments_have_reasons():
    """Every checkov skip is written #checkov:skip=CKV_...:<reason>, the reason a real sentence."""
    pattern = re.compile(r"#\s*checkov:skip=([A-Z0-9_]+)(?::(.*))?")
    found = 0
    for path in tfconfig.tf_files():
        for n, line in enumerate(path.read_text().splitlines(), 1):
            m = pattern.search(line)
            if m:
                found += 1
                reason = (m.group(2) or "").strip()
                assert len(reason) >= 30, f"{rel(path)}:{n}: skip of {m.group(1)} without a written reason"
    assert found > 0
