#!/usr/bin/env python3
"""A static check (and rewrite) of the canonical formatting `terraform fmt` produces.

Terraform is not available here, so this re-implements the rules `terraform fmt` applies, read
from its source (hashicorp/terraform internal/command/fmt.go and hashicorp/hcl hclwrite/format.go):

* indentation: two spaces per net-open bracket level (`{`, `[`, `(`, `${`, `%{`), computed line by
  line with hclwrite's indent stack; heredoc bodies are left alone;
* spacing between tokens on a line (hclwrite's `spaceAfterToken` rules: one space around `=` and
  binary operators, none inside brackets, before `,`/`:`/`.`/`(`/`[`, after `!` or a negation...);
* vertical alignment of `=` in runs of consecutive single-line attribute lines (a blank line, a
  comment-only line, a nested block or a multi-line value ends the run), and of trailing comments;
* Terraform's own rewrites: an interpolation-only string `"${x}"` becomes `x`, legacy quoted type
  constraints (`type = "string"`) and bare `list`/`map`/`set` types are normalised, block labels
  are quoted;
* plus file hygiene fmt would not fix but CI should: no trailing whitespace, no tabs, no CR, a
  newline at the end of the file.

Not covered (fmt does not do these either, or they need a full parser): blank-line layout, line
length, attribute order, multi-line `/* */` comments (refused here so they cannot hide content).

Usage as a tool: `python hcl_format.py FILE...` lists problems; `--write` rewrites spacing in place.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

# Token types (the names of hclsyntax's token types, without the "Token" prefix).
NEWLINE = "Newline"
COMMENT = "Comment"
IDENT = "Ident"
NUMBER = "NumberLit"
OQUOTE = "OQuote"
CQUOTE = "CQuote"
QUOTED_LIT = "QuotedLit"
STRING_LIT = "StringLit"
OHEREDOC = "OHeredoc"
CHEREDOC = "CHeredoc"
TEMPLATE_INTERP = "TemplateInterp"
TEMPLATE_CONTROL = "TemplateControl"
TEMPLATE_SEQ_END = "TemplateSeqEnd"
OBRACE, CBRACE = "OBrace", "CBrace"
OBRACK, CBRACK = "OBrack", "CBrack"
OPAREN, CPAREN = "OParen", "CParen"
EQUAL = "Equal"
NIL = "Nil"

OPERATORS = [
    ("...", "Ellipsis"),
    ("==", "EqualOp"),
    ("!=", "NotEqual"),
    ("<=", "LessThanEq"),
    (">=", "GreaterThanEq"),
    ("&&", "And"),
    ("||", "Or"),
    ("=>", "FatArrow"),
    ("::", "DoubleColon"),
    ("=", EQUAL),
    ("<", "LessThan"),
    (">", "GreaterThan"),
    ("!", "Bang"),
    ("+", "Plus"),
    ("-", "Minus"),
    ("*", "Star"),
    ("/", "Slash"),
    ("%", "Percent"),
    ("?", "Question"),
    (":", "Colon"),
    (".", "Dot"),
    (",", "Comma"),
    ("{", OBRACE),
    ("}", CBRACE),
    ("[", OBRACK),
    ("]", CBRACK),
    ("(", OPAREN),
    (")", CPAREN),
]

IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
NUMBER_RE = re.compile(r"[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")
HEREDOC_RE = re.compile(r"<<(-?)([A-Za-z_][A-Za-z0-9_-]*)\n")


class HclLexError(ValueError):
    pass


@dataclass
class Token:
    type: str
    text: str
    spaces: int  # spaces before the token on its line
    line: int  # 1-based line where the token starts


def _bracket_change(tok: Token) -> int:
    if tok.type in (OBRACE, OBRACK, OPAREN, TEMPLATE_CONTROL, TEMPLATE_INTERP):
        return 1
    if tok.type in (CBRACE, CBRACK, CPAREN, TEMPLATE_SEQ_END):
        return -1
    return 0


def _is_newline(tok: Token) -> bool:
    return tok.type == NEWLINE or (tok.type == COMMENT and tok.text.endswith("\n"))


class _Lexer:
    """Splits HCL native syntax into the tokens hclwrite formats. The text is reproduced
    exactly by concatenating `" " * spaces + text` of every token (checked by `tokenize`)."""

    def __init__(self, src: str):
        self.src = src
        self.pos = 0
        self.line = 1
        self.tokens: list[Token] = []
        self.pending_spaces = 0

    def emit(self, type_: str, text: str) -> None:
        self.tokens.append(Token(type_, text, self.pending_spaces, self.line))
        self.pending_spaces = 0
        self.pos += len(text)
        self.line += text.count("\n")

    def error(self, msg: str) -> HclLexError:
        return HclLexError(f"line {self.line}: {msg}")

    def run(self) -> list[Token]:
        self.lex_code(stop_at_brace=False)
        if self.pos != len(self.src):
            raise self.error("unexpected '}'")
        return self.tokens

    # code: ordinary expression/body tokens; inside `${...}` stop_at_brace ends the sequence
    def lex_code(self, stop_at_brace: bool) -> None:
        depth = 0
        src = self.src
        while self.pos < len(src):
            c = src[self.pos]
            if c == " ":
                self.pending_spaces += 1
                self.pos += 1
                continue
            if c == "\t":
                raise self.error("tab character (terraform fmt indents with spaces)")
            if c == "\r":
                raise self.error("carriage return (use LF line endings)")
            if c == "\n":
                self.emit(NEWLINE, "\n")
                continue
            if c == "#" or src.startswith("//", self.pos):
                end = src.find("\n", self.pos)
                self.emit(COMMENT, src[self.pos:] if end < 0 else src[self.pos:end + 1])
                continue
            if src.startswith("/*", self.pos):
                end = src.find("*/", self.pos)
                if end < 0:
                    raise self.error("unterminated /* comment")
                text = src[self.pos:end + 2]
                if "\n" in text:
                    raise self.error("multi-line /* */ comment (use # comments)")
                self.emit(COMMENT, text)
                continue
            if c == '"':
                self.emit(OQUOTE, '"')
                self.lex_template(quoted=True)
                continue
            m = HEREDOC_RE.match(src, self.pos)
            if m:
                self.emit(OHEREDOC, m.group(0))
                self.lex_heredoc(m.group(2))
                continue
            if stop_at_brace and c == "}" and depth == 0:
                return
            if stop_at_brace and src.startswith("~}", self.pos) and depth == 0:
                return
            m = IDENT_RE.match(src, self.pos)
            if m:
                self.emit(IDENT, m.group(0))
                continue
            m = NUMBER_RE.match(src, self.pos)
            if m:
                self.emit(NUMBER, m.group(0))
                continue
            for op, type_ in OPERATORS:
                if src.startswith(op, self.pos):
                    if type_ == OBRACE:
                        depth += 1
                    elif type_ == CBRACE:
                        depth -= 1
                        if depth < 0 and not stop_at_brace:
                            raise self.error("unbalanced '}'")
                    self.emit(type_, op)
                    break
            else:
                raise self.error(f"unexpected character {c!r}")
        if stop_at_brace:
            raise self.error("unterminated template interpolation")

    def lex_interp(self) -> None:
        opener = self.src[self.pos:self.pos + 3]
        kind = TEMPLATE_INTERP if opener.startswith("$") else TEMPLATE_CONTROL
        self.emit(kind, opener if opener.endswith("~") else opener[:2])
        self.lex_code(stop_at_brace=True)
        closer = "~}" if self.src.startswith("~}", self.pos) else "}"
        self.emit(TEMPLATE_SEQ_END, closer)

    def lex_template(self, quoted: bool) -> None:
        src = self.src
        lit_start = self.pos
        while self.pos < len(src):
            c = src[self.pos]
            if quoted and c == "\n":
                raise self.error("newline inside a quoted string")
            if quoted and c == "\\":
                self.pos += 2
                continue
            if src.startswith("$${", self.pos) or src.startswith("%%{", self.pos):
                self.pos += 3
                continue
            if src.startswith("${", self.pos) or src.startswith("%{", self.pos):
                self._flush_lit(lit_start, QUOTED_LIT)
                self.lex_interp()
                lit_start = self.pos
                continue
            if quoted and c == '"':
                self._flush_lit(lit_start, QUOTED_LIT)
                self.emit(CQUOTE, '"')
                return
            self.pos += 1
        raise self.error("unterminated string")

    def _flush_lit(self, start: int, type_: str) -> None:
        if self.pos > start:
            text = self.src[start:self.pos]
            self.pos = start
            self.emit(type_, text)

    def lex_heredoc(self, marker: str) -> None:
        # The body is kept as one string literal (its interpolations are balanced, so bracket
        # counting is unaffected); the closing marker keeps its own indentation, as in hclsyntax.
        src = self.src
        start = self.pos
        while True:
            end = src.find("\n", self.pos)
            if end < 0:
                raise self.error(f"unterminated heredoc <<{marker}")
            if src[self.pos:end].strip() == marker:
                if self.pos > start:
                    body = src[start:self.pos]
                    self.pos = start
                    self.emit(STRING_LIT, body)
                self.emit(CHEREDOC, src[self.pos:end])
                return
            self.pos = end + 1


def tokenize(src: str) -> list[Token]:
    tokens = _Lexer(src).run()
    rebuilt = "".join(" " * t.spaces + t.text for t in tokens)
    # Spaces at the very end of the file (after the last token) are not a token's.
    if rebuilt != src.rstrip(" "):
        raise HclLexError("internal error: the tokens do not reproduce the source")
    return tokens


@dataclass
class _Line:
    lead: list[Token]
    assign: list[Token] | None = None
    comment: list[Token] | None = None


def _lines(tokens: list[Token]) -> list[_Line]:
    lines: list[_Line] = []
    current: list[Token] = []
    for tok in tokens:
        current.append(tok)
        if _is_newline(tok):
            lines.append(_Line(current))
            current = []
    if current:
        lines.append(_Line(current))
    for line in lines:
        lead = line.lead
        if len(lead) > 1 and lead[-1].type == COMMENT:
            line.comment = lead[-1:]
            line.lead = lead = lead[:-1]
        for i, tok in enumerate(lead):
            if i > 0 and tok.type == EQUAL:
                if sum(_bracket_change(t) for t in lead[i:]) == 0:
                    line.assign = lead[i:]
                    line.lead = lead[:i]
                break
    return lines


def _columns(tokens: list[Token] | None) -> int:
    return sum(t.spaces + len(t.text) for t in tokens or [])


def _space_after(subject: Token, before: Token, after: Token) -> bool:
    s, a = subject.type, after.type
    if a in (NEWLINE, NIL):
        return False
    if s == IDENT and a == OPAREN:
        return False
    if (s == IDENT and a == "DoubleColon") or (s == "DoubleColon" and a == IDENT):
        return False
    if s == "Dot" or a == "Dot":
        return False
    if a in ("Comma", "Ellipsis"):
        return False
    if s == "Comma":
        return True
    if s in (QUOTED_LIT, STRING_LIT, OQUOTE, OHEREDOC) or a in (QUOTED_LIT, STRING_LIT, CQUOTE, CHEREDOC):
        return False
    if s == IDENT and subject.text == "in" and before.type == IDENT:
        return True
    if a == OBRACK and (s in (IDENT, NUMBER) or _bracket_change(subject) < 0):
        return False
    if s == "Bang":
        return False
    if s == "Minus":
        return before.type not in (
            NIL, OPAREN, OBRACE, OBRACK, EQUAL, "Colon", "Comma", "Question",
            "Plus", "Star", "Slash", "Percent", "Minus",
            "EqualOp", "NotEqual", "GreaterThan", "GreaterThanEq", "LessThan", "LessThanEq",
            "And", "Or", "Bang",
        )
    if s == OBRACE or a == CBRACE:
        return not (s == OBRACE and a == CBRACE)
    if s in (TEMPLATE_INTERP, TEMPLATE_CONTROL) and a == OBRACE:
        return True
    if s == CBRACE and a == TEMPLATE_SEQ_END:
        return True
    if s == TEMPLATE_SEQ_END and a in (TEMPLATE_INTERP, TEMPLATE_CONTROL):
        return False
    if _bracket_change(subject) > 0:
        return False
    if _bracket_change(after) < 0:
        return False
    return True


_NIL = Token(NIL, "", 0, 0)


def _format_tokens(tokens: list[Token]) -> None:
    """Set `spaces` of every token to what hclwrite's format() would (in place)."""
    lines = _lines(tokens)

    # indentation
    indents: list[int] = []
    for line in lines:
        if not line.lead:
            continue
        if line.lead[0].type == NEWLINE:
            line.lead[0].spaces = 0
            continue
        net = 0
        for tok in line.lead:
            net += _bracket_change(tok)
            if tok.type == OHEREDOC:
                break
        net += sum(_bracket_change(t) for t in line.assign or [])
        if net > 0:
            line.lead[0].spaces = 2 * len(indents)
            indents.append(net)
        elif net < 0:
            closed = -net
            while closed > 0 and indents:
                if closed > indents[-1]:
                    closed -= indents.pop()
                elif closed < indents[-1]:
                    indents[-1] -= closed
                    closed = 0
                else:
                    indents.pop()
                    closed = 0
            line.lead[0].spaces = 2 * len(indents)
        else:
            line.lead[0].spaces = 2 * len(indents)

    # spaces between tokens within the lead and the assign cells
    for line in lines:
        for cell, first_is_equal in ((line.lead, False), (line.assign or [], True)):
            for i, tok in enumerate(cell):
                if i == 0 and first_is_equal:
                    tok.spaces = 1
                if i == len(cell) - 1:
                    continue
                before = cell[i - 1] if i > 0 else _NIL
                cell[i + 1].spaces = 1 if _space_after(tok, before, cell[i + 1]) else 0

    # vertical alignment of "=" and then of trailing comments
    for cell_name, width in (("assign", lambda ln: _columns(ln.lead)),
                             ("comment", lambda ln: _columns(ln.lead) + _columns(ln.assign))):
        chain: list[_Line] = []

        def close(chain: list[_Line]) -> None:
            widest = max(width(ln) for ln in chain)
            for ln in chain:
                getattr(ln, cell_name)[0].spaces = widest - width(ln) + 1

        for line in lines:
            if getattr(line, cell_name) is None:
                if chain:
                    close(chain)
                    chain = []
            else:
                chain.append(line)
        if chain:
            close(chain)


def format_hcl(src: str) -> str:
    """The text with hclwrite's whitespace rules applied (what `terraform fmt` would write,
    apart from the token rewrites that `problems` reports separately)."""
    tokens = tokenize(src)
    _format_tokens(tokens)
    out = "".join(" " * t.spaces + t.text for t in tokens)
    return out


def _block_context(lines: list[_Line]) -> list[list[str] | None]:
    """For each line, the block types enclosing it (["resource", "lifecycle"]), or None when the
    line is inside an expression (object, tuple, call) rather than directly in a block body."""
    out: list[list[str] | None] = []
    stack: list[str | None] = []  # block type, or None for an expression bracket
    for line in lines:
        out.append(None if None in stack else [s for s in stack if s is not None])
        toks = [t for t in line.lead + (line.assign or []) if t.type not in (NEWLINE, COMMENT)]
        header = (bool(toks) and toks[0].type == IDENT and toks[-1].type == OBRACE and line.assign is None
                  and all(t.type in (IDENT, OQUOTE, QUOTED_LIT, CQUOTE) for t in toks[1:-1]))
        for i, t in enumerate(toks):
            change = _bracket_change(t)
            if change > 0:
                stack.append(toks[0].text if header and i == len(toks) - 1 and None not in stack else None)
            elif change < 0 and stack:
                stack.pop()
    return out


def _terraform_rewrites(tokens: list[Token]) -> list[str]:
    """Findings for the rewrites terraform fmt makes beyond whitespace."""
    found = []
    lines = _lines(tokens)
    for line, blocks in zip(lines, _block_context(lines)):
        if blocks is None:
            continue
        lead = [t for t in line.lead if t.type not in (NEWLINE, COMMENT)]
        # block header: IDENT (label)* {   -- labels must be quoted strings
        if lead and lead[0].type == IDENT and lead[-1].type == OBRACE and line.assign is None:
            inner = lead[1:-1]
            if inner and all(t.type in (IDENT, OQUOTE, QUOTED_LIT, CQUOTE) for t in inner):
                for t in inner:
                    if t.type == IDENT:
                        found.append(f"line {t.line}: block label {t.text} must be quoted (\"{t.text}\")")
        if line.assign:
            value = [t for t in line.assign[1:] if t.type not in (NEWLINE, COMMENT)]
            name = line.lead[-1].text if line.lead else ""
            if (len(value) >= 5 and value[0].type == OQUOTE and value[1].type == TEMPLATE_INTERP
                    and value[-2].type == TEMPLATE_SEQ_END and value[-1].type == CQUOTE):
                inside = value[2:-2]
                depth = 0
                simple = True
                for t in inside:
                    if t.type == OQUOTE:
                        depth += 1
                    elif t.type == CQUOTE:
                        depth -= 1
                    elif depth == 0 and t.type in (TEMPLATE_INTERP, TEMPLATE_SEQ_END, QUOTED_LIT):
                        simple = False
                if simple:
                    found.append(f"line {value[0].line}: interpolation-only string for {name} (write the expression without \"${{...}}\")")
            in_variable = blocks == ["variable"]
            if in_variable and name == "type" and len(value) == 3 and value[0].type == OQUOTE:
                found.append(f"line {value[0].line}: legacy quoted type constraint {value[1].text!r}")
            if in_variable and name == "type" and len(value) == 1 and value[0].text in ("list", "map", "set"):
                found.append(f"line {value[0].line}: bare type {value[0].text} (terraform fmt writes {value[0].text}(any))")
    return found


def problems(src: str, name: str = "<text>") -> list[str]:
    """Everything `terraform fmt -check` (plus file hygiene) would object to, one string each."""
    out = []
    if src and not src.endswith("\n"):
        out.append(f"{name}: no newline at the end of the file")
    if src.endswith("\n\n"):
        out.append(f"{name}: blank line(s) at the end of the file")
    for n, text in enumerate(src.split("\n"), 1):
        if text != text.rstrip():
            out.append(f"{name}:{n}: trailing whitespace")
    try:
        tokens = tokenize(src)
    except HclLexError as e:
        return out + [f"{name}: {e}"]
    out += [f"{name}: {p}" for p in _terraform_rewrites(tokens)]
    formatted = format_hcl(src)
    if formatted != src.rstrip(" "):
        have, want = src.split("\n"), formatted.split("\n")
        for n, (a, b) in enumerate(zip(have, want), 1):
            if a.rstrip() != b and a != b:
                out.append(f"{name}:{n}: not canonical:\n    have: {a!r}\n    want: {b!r}")
    return out


def main(argv: list[str]) -> int:
    write = "--write" in argv
    files = [a for a in argv if a != "--write"]
    bad = 0
    for f in files:
        path = Path(f)
        src = path.read_text()
        if write:
            fixed = format_hcl(src).rstrip("\n") + "\n"
            fixed = "\n".join(line.rstrip() for line in fixed.split("\n"))
            if fixed != src:
                path.write_text(fixed)
                print(f"rewrote {f}")
        for p in problems(path.read_text(), f):
            bad += 1
            print(p)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
