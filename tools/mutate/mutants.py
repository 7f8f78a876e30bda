"""mutants.py: the mutants of one C++ source, found by a token-level scan.

A mutant is one small edit of one file: replace the characters [start, end) with `new`.
Its id, file:line:col:operator, names the first character it replaces, so the same source
always yields the same ids in the same order. Comments, string and character literals and
preprocessor lines are never mutated. The scan is lexical, not a parse: an edit that turns
out not to compile is "stillborn" and is not counted against the tests.
"""

from __future__ import annotations

import dataclasses
import re

# The operator kinds, in the order the report lists them.
OPERATORS = (
    "rel-negate",      # <  becomes >=, and so on: the condition flipped
    "rel-boundary",    # <  becomes <=, and so on: off by one
    "eq-negate",       # == becomes !=, != becomes ==
    "const-plus1",     # an integer literal + 1
    "const-minus1",    # an integer literal - 1
    "cond-negate",     # if (c) / while (c) becomes if (!(c))
    "not-drop",        # !x becomes x
    "conj-drop",       # a && b becomes a, or b (one side made true)
    "disj-drop",       # a || b becomes a, or b (one side made false)
    "logic-swap",      # && becomes ||, || becomes &&
    "assign-remove",   # x = e; x |= e; ++x; x += e; ... removed
    "orassign-assign", # x |= e becomes x = e (and &= likewise)
    "assign-orassign", # member_ = e becomes member_ |= e
    "return-remove",   # the return of an if's body removed: control falls through
)


@dataclasses.dataclass(frozen=True)
class Mutant:
    file: str       # path relative to the source root, e.g. lib/alert.cpp
    line: int
    col: int
    operator: str
    start: int      # offsets into the original text
    end: int
    new: str
    old: str

    @property
    def id(self) -> str:
        return f"{self.file}:{self.line}:{self.col}:{self.operator}"

    def apply(self, text: str) -> str:
        assert text[self.start:self.end] == self.old, self.id
        return text[: self.start] + self.new + text[self.end:]

    def describe(self) -> str:
        def short(s: str) -> str:
            s = " ".join(s.split())
            return s if len(s) <= 60 else s[:57] + "..."
        return f"{short(self.old)!s} -> {short(self.new) or '(removed)'}"


@dataclasses.dataclass
class Token:
    kind: str   # ident, number, punct
    text: str
    start: int
    end: int


_PUNCT = sorted(
    """<<= >>= ... -> ++ -- << >> <= >= == != && || += -= *= /= %= &= |= ^= :: { } [ ] ( )
    ; : , . ? ! ~ + - * / % & | ^ = < > #""".split(),
    key=len, reverse=True)
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"(0[xX][0-9A-Fa-f']+|[0-9][0-9']*)([uUlLzZ]*)(?![.\w])")
_OTHER_NUMBER = re.compile(r"[0-9][0-9A-Za-z_.']*")


def tokenize(text: str) -> list[Token]:
    """The code tokens of `text`: comments, literals and preprocessor lines left out."""
    out: list[Token] = []
    i, n = 0, len(text)
    line_start = True
    while i < n:
        c = text[i]
        if c == "\n":
            line_start = True
            i += 1
            continue
        if c in " \t\r\f\v":
            i += 1
            continue
        if line_start and c == "#":
            # A directive runs to the end of the line, continuations included.
            while i < n and text[i] != "\n":
                i += 2 if text[i] == "\\" else 1
            continue
        line_start = False
        if text.startswith("//", i):
            i = text.find("\n", i)
            i = n if i < 0 else i
            continue
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
            continue
        m = re.match(r'(?:u8|u|U|L)?R"([^(\s]*)\(', text[i:i + 40])
        if m:
            close = ")" + m.group(1) + '"'
            j = text.find(close, i + m.end())
            i = n if j < 0 else j + len(close)
            continue
        m = _IDENT.match(text, i)
        if m:
            # An encoding prefix glued to a literal belongs to the literal.
            if m.group(0) in ("u8", "u", "U", "L") and m.end() < n and text[m.end()] in "\"'":
                i = m.end()
                continue
            out.append(Token("ident", m.group(0), i, m.end()))
            i = m.end()
            continue
        if c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            i = j + 1
            continue
        if c.isdigit():
            m = _NUMBER.match(text, i)
            if m:
                out.append(Token("number", m.group(0), i, m.end()))
                i = m.end()
            else:
                m = _OTHER_NUMBER.match(text, i)
                i = m.end()
            continue
        for p in _PUNCT:
            if text.startswith(p, i):
                out.append(Token("punct", p, i, i + len(p)))
                i += len(p)
                break
        else:
            i += 1
    return out


def _spaced(text: str, t: Token) -> bool:
    """A binary operator written with a space on each side: how this tree's style sets a
    comparison apart from a template's angle brackets."""
    return t.start > 0 and text[t.start - 1] == " " and t.end < len(text) and text[t.end] == " "


_NEGATE = {"<": ">=", ">=": "<", ">": "<=", "<=": ">"}
_BOUNDARY = {"<": "<=", "<=": "<", ">": ">=", ">=": ">"}

# Where an operand of && or || ends: at these, at depth 0.
_OPERAND_STOP = {";", ",", "{", "}", "&&", "||", "?", ":", "=", "return", "|=", "&=", "+=", "-="}


def _matching(tokens: list[Token], i: int) -> int:
    """The index of the bracket closing the one opened at tokens[i]."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    open_, close = tokens[i].text, pairs[tokens[i].text]
    depth = 0
    for j in range(i, len(tokens)):
        if tokens[j].text == open_:
            depth += 1
        elif tokens[j].text == close:
            depth -= 1
            if depth == 0:
                return j
    return len(tokens) - 1


def _operand(tokens: list[Token], i: int, step: int) -> tuple[int, int]:
    """The token range [a, b] of the operand on one side (step -1: left, +1: right) of the
    binary operator at tokens[i]."""
    depth = 0
    j = i + step
    last = i + step
    while 0 <= j < len(tokens):
        t = tokens[j].text
        if t in "([{" if step > 0 else t in ")]}":
            depth += 1
        elif t in ")]}" if step > 0 else t in "([{":
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and t in _OPERAND_STOP:
            break
        last = j
        j += step
    return (last, i - 1) if step < 0 else (i + 1, last)


def _keyword_before_parens(tokens: list[Token], close: int) -> str:
    """The token before the "(" that matches the ")" at tokens[close] ("" if none)."""
    depth = 0
    for j in range(close, -1, -1):
        if tokens[j].text == ")":
            depth += 1
        elif tokens[j].text == "(":
            depth -= 1
            if depth == 0:
                return tokens[j - 1].text if j > 0 else ""
    return ""


def _is_statement_start(tokens: list[Token], i: int) -> bool:
    if i == 0:
        return True
    prev = tokens[i - 1].text
    if prev in (";", "{", "}", "else"):
        return True
    if prev == ")":
        # The body of if (...) / while (...) / for (...) without braces.
        return _keyword_before_parens(tokens, i - 1) in ("if", "while", "for")
    return False


def _statement_end(tokens: list[Token], i: int) -> int:
    """The index of the ';' ending the statement that starts at tokens[i] (depth 0)."""
    depth = 0
    for j in range(i, len(tokens)):
        t = tokens[j].text
        if t in "([{":
            depth += 1
        elif t in ")]}":
            depth -= 1
            if depth < 0:
                return -1
        elif t == ";" and depth == 0:
            return j
    return -1


def _lvalue_end(tokens: list[Token], i: int) -> int:
    """If tokens[i:] begins with an lvalue (a, a.b, a->b, a[i], *a), the index after it."""
    j = i
    if j < len(tokens) and tokens[j].text == "*":
        j += 1
    if j >= len(tokens) or tokens[j].kind != "ident":
        return -1
    j += 1
    while j < len(tokens):
        t = tokens[j].text
        if t in (".", "->") and j + 1 < len(tokens) and tokens[j + 1].kind == "ident":
            j += 2
        elif t == "[":
            j = _matching(tokens, j) + 1
        else:
            break
    return j


_ASSIGN_OPS = ("=", "|=", "&=", "+=", "-=", "^=", "<<=", ">>=")
_KEYWORDS = {"return", "case", "else", "if", "while", "for", "do", "switch", "break", "continue",
             "goto", "using", "namespace", "template", "typename", "static_assert", "delete", "new",
             "throw", "co_return", "default", "const", "constexpr", "auto"}


def find_mutants(path: str, text: str) -> list[Mutant]:
    tokens = tokenize(text)
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def position(offset: int) -> tuple[int, int]:
        lo, hi = 0, len(line_starts)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if line_starts[mid] <= offset:
                lo = mid
            else:
                hi = mid
        return lo + 1, offset - line_starts[lo] + 1

    found: dict[str, Mutant] = {}

    def add(op: str, start: int, end: int, new: str) -> None:
        line, col = position(start)
        m = Mutant(path, line, col, op, start, end, new, text[start:end])
        found.setdefault(m.id, m)

    for k, t in enumerate(tokens):
        s = t.text
        if t.kind == "punct" and s in _NEGATE and _spaced(text, t):
            add("rel-negate", t.start, t.end, _NEGATE[s])
            add("rel-boundary", t.start, t.end, _BOUNDARY[s])
        elif t.kind == "punct" and s in ("==", "!="):
            add("eq-negate", t.start, t.end, "!=" if s == "==" else "==")
        elif t.kind == "number":
            m = _NUMBER.match(s)
            digits, suffix = m.group(1).replace("'", ""), m.group(2)
            value = int(digits, 16) if digits[:2] in ("0x", "0X") else int(digits, 8 if len(digits) > 1 and digits[0] == "0" else 10)
            hexa = digits[:2] in ("0x", "0X")
            fmt = (lambda v: f"0x{v:X}") if hexa else str
            add("const-plus1", t.start, t.end, fmt(value + 1) + suffix)
            if value > 0:
                add("const-minus1", t.start, t.end, fmt(value - 1) + suffix)
        elif t.kind == "ident" and s in ("if", "while") and k + 1 < len(tokens) and tokens[k + 1].text == "(":
            close = _matching(tokens, k + 1)
            inner = tokens[k + 2:close]
            if inner and not any(x.text == ";" for x in inner) and not (
                    s == "if" and tokens[k - 1].text == "constexpr"):
                a, b = tokens[k + 2].start, tokens[close - 1].end
                add("cond-negate", a, b, "!(" + text[a:b] + ")")
        elif t.kind == "punct" and s == "!" and k + 1 < len(tokens):
            add("not-drop", t.start, t.end, "")
        elif t.kind == "punct" and s in ("&&", "||"):
            neutral = "true" if s == "&&" else "false"
            op = "conj-drop" if s == "&&" else "disj-drop"
            la, lb = _operand(tokens, k, -1)
            ra, rb = _operand(tokens, k, +1)
            if la <= lb and ra <= rb:
                # Dropping the left operand keeps the right: the edit spans "left &&".
                add(op, tokens[la].start, t.end, neutral + " " + s)
                add(op, t.start, tokens[rb].end, s + " " + neutral)
            add("logic-swap", t.start, t.end, "||" if s == "&&" else "&&")
        elif t.kind == "punct" and s in ("|=", "&="):
            add("orassign-assign", t.start, t.end, "=")

        if _is_statement_start(tokens, k):
            _statement_mutants(tokens, k, text, add)
    return sorted(found.values(), key=lambda m: (m.line, m.col, OPERATORS.index(m.operator), m.start))


def _statement_mutants(tokens: list[Token], k: int, text: str, add) -> None:
    t = tokens[k]
    end = _statement_end(tokens, k)
    if end < 0:
        return
    if t.text == "return" and k > 0 and _is_if_body_last(tokens, k, end):
        add("return-remove", t.start, tokens[end].end, ";")
        return
    if t.kind == "punct" and t.text in ("++", "--"):
        if _lvalue_end(tokens, k + 1) == end:
            add("assign-remove", t.start, tokens[end].end, ";")
        return
    if t.text in _KEYWORDS:
        return
    j = _lvalue_end(tokens, k)
    if j < 0 or j >= end:
        return
    op = tokens[j].text
    if op in ("++", "--") and j + 1 == end:
        add("assign-remove", t.start, tokens[end].end, ";")
    elif op in _ASSIGN_OPS:
        add("assign-remove", t.start, tokens[end].end, ";")
        target = tokens[j - 1].text
        if op == "=" and target.endswith("_"):
            add("assign-orassign", tokens[j].start, tokens[j].end, "|=")


def _is_if_body_last(tokens: list[Token], k: int, end: int) -> bool:
    """The return at tokens[k] is an if's whole body, or the last statement of an if's
    braced body: removing it lets control fall through to what follows the if."""
    prev = tokens[k - 1].text
    if prev == ")":
        return _keyword_before_parens(tokens, k - 1) == "if"
    if end + 1 >= len(tokens) or tokens[end + 1].text != "}":
        return False
    # Find the '{' opening this block and look at what precedes it.
    depth = 0
    for j in range(k - 1, -1, -1):
        if tokens[j].text == "}":
            depth += 1
        elif tokens[j].text == "{":
            if depth == 0:
                return j > 0 and tokens[j - 1].text == ")" and _keyword_before_parens(tokens, j - 1) == "if"
            depth -= 1
    return False
