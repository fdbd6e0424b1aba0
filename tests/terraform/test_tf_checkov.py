"""checkov over terraform/ (one run per session, see conftest.checkov_report): no failed check,
and every skip is an inline `#checkov:skip=CKV_...:reason` that checkov actually applied.

A skip sits in the resource it concerns or, for a shared module (modules/hardened_bucket), in the
`module` block calling it: checkov applies it to that call's resources only, so each caller gives
its own reasons and a check one caller passes is not skipped for it."""

from __future__ import annotations

import re
from pathlib import Path

import tfconfig
from tf_support import checkov_report  # noqa: F401 (fixture)
from tfconfig import TERRAFORM

SKIP = re.compile(r"#\s*checkov:skip=([A-Z0-9_]+):(.+)$")
RESOURCE = re.compile(r'^(resource|data)\s+"([^"]+)"\s+"([^"]+)"\s*\{')
MODULE = re.compile(r'^module\s+"([^"]+)"\s*\{')


def inline_skips() -> list[tuple[str, str, str, str]]:
    """(file relative to terraform/, "type.name" of the enclosing block or "module.<name>" of the
    enclosing module call, check id, reason)."""
    out = []
    for path in tfconfig.tf_files():
        block = None
        for line in path.read_text().splitlines():
            m = RESOURCE.match(line)
            if m:
                block = f"{m.group(2)}.{m.group(3)}"
            m = MODULE.match(line)
            if m:
                block = f"module.{m.group(1)}"
            m = SKIP.search(line)
            if m:
                assert block, f"{path}: skip comment outside a resource block"
                out.append((str(path.relative_to(TERRAFORM)), block, m.group(1), m.group(2).strip()))
    return out


def _resource_of(address: str) -> str:
    """`module.palin.module.network.aws_security_group.bastion[0]` → `aws_security_group.bastion`."""
    return ".".join(re.sub(r"\[[^\]]*\]", "", address).split(".")[-2:])


def test_checkov_ran_over_the_stack(checkov_report: dict):
    summary = checkov_report["summary"]
    print(f"\ncheckov {summary.get('checkov_version')}: {summary['passed']} passed, {summary['failed']} failed, "
          f"{summary['skipped']} skipped, {summary['resource_count']} resources, "
          f"{checkov_report['elapsed_seconds']:.1f} s")
    assert summary["parsing_errors"] == 0, "checkov could not parse some files"
    assert summary["resource_count"] >= 80, "checkov saw too few resources: did it follow the example's modules?"
    assert summary["passed"] >= 150


def test_checkov_no_failed_checks(checkov_report: dict):
    failed = checkov_report["results"].get("failed_checks", [])
    lines = [f"{f['check_id']} {f['resource']} ({f['file_path']}:{f['file_line_range']}): {f['check_name']}" for f in failed]
    assert not failed, "checkov failed checks (fix them, or skip inline with a reason):\n" + "\n".join(lines)


def _module_addresses(file: str) -> list[str]:
    """Addresses (keys stripped) at which the module holding terraform/<file> is instantiated."""
    directory = (TERRAFORM / file).parent.resolve()
    return [a for a, mod in tfconfig.module_tree().items() if mod.path == directory]


def test_every_skip_is_inline_with_a_reason_and_used(checkov_report: dict):
    skipped = checkov_report["results"].get("skipped_checks", [])
    applied = set()
    in_calls = []  # (module address without keys, check id, reason) of every skip checkov applied
    for s in skipped:
        reason = (s.get("check_result") or {}).get("suppress_comment", "")
        assert reason and len(reason) >= 30, f"{s['check_id']} on {s['resource']} is skipped without a reason"
        applied.add((s["file_path"].lstrip("/"), _resource_of(s["resource"]), s["check_id"]))
        in_calls.append((tfconfig.strip_keys(s["resource"]), s["check_id"], reason))
    declared = inline_skips()
    for file, block, check, reason in declared:
        if block.startswith("module."):
            # A skip in a module call covers the resources of that call, and only those.
            calls = [f"{a}.{block}." if a else f"{block}." for a in _module_addresses(file)]
            assert calls, f"terraform/{file}: {block} is not instantiated by the example"
            for call in calls:
                hits = [a for a, c, r in in_calls if a.startswith(call) and c == check]
                assert hits, (f"terraform/{file}: {block} skips {check}, but checkov no longer reports it "
                              f"for {call.rstrip('.')}: remove the stale skip")
                assert all(r == reason for a, c, r in in_calls if a.startswith(call) and c == check)
            continue
        assert (file, block, check) in applied, (
            f"terraform/{file}: {block} skips {check}, but checkov no longer reports it: remove the stale skip")
    assert len(skipped) >= len(declared)


def test_no_skip_inside_a_shared_module():
    """A skip in a module instantiated more than once would hold for every caller: it belongs in
    the module calls, each with its own reason."""
    for file, block, check, _ in inline_skips():
        if not block.startswith("module."):
            calls = _module_addresses(file)
            assert len(calls) <= 1, (f"terraform/{file}: {block} skips {check} in a module used by {calls}: "
                                     "skip it in the module calls that need it instead")


def test_only_unversioned_buckets_skip_the_versioning_check(checkov_report: dict):
    """CKV_AWS_21 (versioning) is skipped on the calls of modules/hardened_bucket with
    versioning_enabled = false and on no other (checkov reports a skipped check as skipped even
    where it would pass, so an unneeded skip would go unnoticed otherwise); the versioned bucket
    passes it."""
    skips = {(file, block) for file, block, check, _ in inline_skips() if check == "CKV_AWS_21"}
    calls = 0
    for address, mod in tfconfig.module_tree().items():
        for name, call in mod.module_calls.items():
            if (mod.path / call.body["source"]).resolve() != TERRAFORM / "modules" / "hardened_bucket":
                continue
            calls += 1
            file = str(call.file.relative_to(TERRAFORM))
            versioned = call.body["versioning_enabled"]
            assert isinstance(versioned, bool), f"terraform/{file}: module {name}: versioning_enabled must be a literal"
            assert ((file, f"module.{name}") in skips) == (not versioned), (
                f"terraform/{file}: module {name} (versioning_enabled = {str(versioned).lower()}) "
                f"{'skips' if versioned else 'does not skip'} CKV_AWS_21")
            if versioned:
                passed = [p for p in checkov_report["results"].get("passed_checks", [])
                          if p["check_id"] == "CKV_AWS_21" and tfconfig.strip_keys(p["resource"]).startswith(f"{address}.module.{name}.")]
                assert passed, f"checkov does not pass CKV_AWS_21 for {address}.module.{name}"
    assert calls >= 2


def test_skips_in_a_module_call_stay_with_that_call(checkov_report: dict):
    """A check skipped for one call of a shared module is not skipped for a call that does not
    skip it: each reported skip is declared in the resource's own block or an enclosing call."""
    declared = inline_skips()
    for s in checkov_report["results"].get("skipped_checks", []):
        address = tfconfig.strip_keys(s["resource"])
        resource = _resource_of(s["resource"])
        own = any(file.lstrip("/") == s["file_path"].lstrip("/") and block == resource and check == s["check_id"]
                  for file, block, check, _ in declared)
        via_call = any(check == s["check_id"] and block.startswith("module.")
                       and any(address.startswith(f"{a}.{block}." if a else f"{block}.") for a in _module_addresses(file))
                       for file, block, check, _ in declared)
        assert own or via_call, f"{s['check_id']} is skipped on {s['resource']} by no skip of its own or of its module call"
