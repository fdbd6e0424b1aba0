"""The formatting checker itself: what `terraform fmt` accepts passes, what it would rewrite fails.
(The canonical outputs below are what terraform fmt 1.x writes for these inputs.)"""

from __future__ import annotations

import pytest

import hcl_format

CANONICAL = [
    # alignment of a run of single-line attributes; a blank line starts a new run
    'resource "aws_instance" "web" {\n  count = 3\n\n  ami           = "ami-1"\n  instance_type = "t3.small"\n}\n',
    # nested block and object constructor; a multi-line value ends the run
    'resource "x" "y" {\n  name = "a"\n  tags = merge(var.tags, {\n    Name = "b"\n    Role = "web"\n  })\n\n  lifecycle {\n    ignore_changes = [ami]\n  }\n}\n',
    # comment lines break alignment runs; trailing comments align among themselves
    'locals {\n  a   = 1 # one\n  bcd = 2 # two\n  # note\n  e = 3\n}\n',
    # for expressions, conditionals, splats, negation, templates
    'locals {\n  m = { for i, s in var.subnets : s => i if i > -1 }\n  l = [for x in var.xs : "${x}-${var.y}"]\n  c = var.a ? aws_eip.x[0].id : null\n  s = aws_subnet.p[*].id\n  n = !var.b\n}\n',
    # heredoc bodies are left alone
    'locals {\n  script = <<-EOT\n      echo   "spaces  kept"\n    EOT\n  after  = 1\n}\n',
    # single-line blocks and empty blocks
    'data "aws_region" "current" {}\n\nresource "x" "y" {\n  filter {}\n  rule { enabled = true }\n}\n',
]

NOT_CANONICAL = [
    ('resource "x" "y" {\n   a = 1\n}\n', "indent"),
    ('resource "x" "y" {\n  a = 1\n  bb = 2\n}\n', "alignment"),
    ('resource "x" "y" {\n  a  = 1\n\n  bb = 2\n}\n', "alignment across a blank line"),
    ('resource "x" "y" {\n  a = [ 1, 2 ]\n}\n', "space inside brackets"),
    ('resource "x" "y" {\n  a = f (1)\n}\n', "space before call paren"),
    ('resource "x" "y" {\n  a = 1,2\n}\n', "no space after comma"),
    ('resource "x" "y" {\n  a = "${var.b}"\n}\n', "interpolation-only string"),
    ('variable "v" {\n  type = "string"\n}\n', "legacy quoted type"),
    ('resource x "y" {\n  a = 1\n}\n', "unquoted label"),
    ('resource "x" "y" {\n  a = 1 \n}\n', "trailing whitespace"),
    ('resource "x" "y" {\n  a = 1\n}', "no final newline"),
    ('resource "x" "y" {\n\ta = 1\n}\n', "tab"),
    ('resource "x" "y" {\n  a = 1   # c\n}\n', "comment spacing"),
]


@pytest.mark.parametrize("src", CANONICAL)
def test_canonical_passes(src: str):
    assert hcl_format.problems(src) == []
    assert hcl_format.format_hcl(src) == src


@pytest.mark.parametrize("src, what", NOT_CANONICAL, ids=[w for _, w in NOT_CANONICAL])
def test_non_canonical_fails(src: str, what: str):
    assert hcl_format.problems(src), f"{what} was not reported"


def test_format_fixes_what_it_reports():
    src = 'resource "x" "y" {\n   a = 1\n  bb = [ 2 ]\n}\n'
    assert hcl_format.format_hcl(src) == 'resource "x" "y" {\n  a  = 1\n  bb = [2]\n}\n'


def test_tokens_reproduce_the_source():
    src = 'locals {\n  a = "x\\"y ${jsonencode({ k = "v" })} $${literal} %%{literal}"\n}\n'
    assert "".join(" " * t.spaces + t.text for t in hcl_format.tokenize(src)) == src
