"""checkov over terraform/ (one run per session, see conftest.checkov_report): no failed check,
and every skip is an inline `#checkov:skip=CKV_...:reason` that checkov actually applied."""

from __future__ import annotations

import re
from pathlib import Path

import tfconfig
from tf_support import checkov_report  # noqa: F401 (fixture)
from tfconfig import TERRAFORM

SKIP = re.compile(r"#\s*checkov:skip=([A-Z0-9_]+):(.+)$")
RESOURCE = re.compile(r'^(resource|data)\s+"([^"]+)"\s+"([^"]+)"\s*\{')


def inline_skips() -> list[tuple[str, str, str, str]]:
    """(file relative to terraform/, "type.name" of the enclosing block, check id, reason)."""
    out = []
    for path in tfconfig.tf_files():
        block = None
        for line in path.read_text().splitlines():
            m = RESOURCE.match(line)
            if m:
                block = f"{m.group(2)}.{m.group(3)}"
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


def test_every_skip_is_inline_with_a_reason_and_used(checkov_report: dict):
    skipped = checkov_report["results"].get("skipped_checks", [])
    applied = set()
    for s in skipped:
        reason = (s.get("check_result") or {}).get("suppress_comment", "")
        assert reason and len(reason) >= 30, f"{s['check_id']} on {s['resource']} is skipped without a reason"
        applied.add((s["file_path"].lstrip("/"), _resource_of(s["resource"]), s["check_id"]))
    declared = inline_skips()
    for file, block, check, reason in declared:
        assert (file, block, check) in applied, (
            f"terraform/{file}: {block} skips {check}, but checkov no longer reports it: remove the stale skip")
    assert len(skipped) >= len(declared)
