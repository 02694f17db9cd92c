"""The search index's words and the search box's syntax: pure functions, no storage.

**Words** (:func:`tokens`). Text is normalised (Unicode NFKC, then case-folded: full-width
``SSO`` and ``sso`` are one word) and cut into words: runs of letters and digits (punctuation,
spaces and ``_`` separate them; ``e-mail`` is ``e`` ``mail``). Scripts written without spaces
between words — Chinese, Japanese kana, Korean Hangul, Thai, Lao, Khmer, Myanmar — are cut
into single characters, so ``单点登录`` is the four words ``单`` ``点`` ``登``
``录``, and a query for any run of them (``点登``, ``登录``, ``单``) is the phrase of
its characters: found by the engine's index for a run of any length, one character included.
Words longer than :data:`MAX_WORD` characters (digests, encoded blobs) are left out. The index
stores these words space-separated; both engines index that text (SQLite FTS5 ``unicode61``,
PostgreSQL ``to_tsvector('simple', ...)``), so both find exactly the same rows.

**Queries** (:func:`parse`). A small syntax of our own, parsed here and compiled to each engine's
query language from the parsed words only — the user's string never reaches an engine:

* ``sign on`` — both words (AND is implied); ``AND`` may be written;
* ``"single sign on"`` — the words next to each other, in this order (a phrase); a word that is
  cut into several (``sign-on``, ``4.2.1``, ``alice@example.com``, ``登录``) is a phrase too;
* ``deliver*`` — a word starting with ``deliver`` (at least two characters before the ``*``);
  ``"staging serv"*`` — a phrase whose last word is a prefix;
* ``sso OR saml`` — either; ``sso NOT saml`` and ``sso -saml`` — the first without the second;
  operators are upper case (``or`` is a word); ``( )`` group;
* ``AND`` binds tighter than ``OR``: ``a b OR c`` is ``(a b) OR c``.

Every group of words joined by AND must hold a word that must be present (``NOT x`` alone, or
``a OR NOT b``, finds nothing useful and is refused). Anything else is read as leniently as
possible: an unclosed quote or parenthesis closes at the end, punctuation is a separator, a
stray operator is ignored. What cannot be searched raises :class:`SearchQueryError`, whose
message says why.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

#: Longest query accepted, in characters.
MAX_QUERY_LENGTH = 500
#: Most words and phrases in one query.
MAX_TERMS = 20
#: Deepest nesting of parentheses.
MAX_DEPTH = 8
#: Longest word indexed or searched (longer ones are digests, encoded data...).
MAX_WORD = 100
#: Shortest prefix before a ``*``.
MIN_PREFIX = 2

# Scripts written without spaces between words: each character is a word.
_SPLIT = (
    "\u0e00-\u0eff"  # Thai, Lao
    "\u1000-\u109f"  # Myanmar
    "\u1100-\u11ff"  # Hangul Jamo
    "\u1780-\u17ff"  # Khmer
    "\u2e80-\u2fdf"  # CJK radicals
    "\u3005-\u3007"  # iteration mark, closing mark, ideographic zero
    "\u3040-\u30ff"  # Hiragana, Katakana
    "\u3130-\u318f"  # Hangul compatibility Jamo
    "\u31f0-\u31ff"  # Katakana extensions
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\ua960-\ua97f"  # Hangul Jamo extended A
    "\uac00-\ud7ff"  # Hangul syllables, Jamo extended B
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\U00020000-\U0003134f"  # CJK extensions B-G
)
# Combining marks kept inside a word (accents left after NFKC, Indic vowel signs...).
_MARKS = (
    "\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f"
    "\u0900-\u0dff"  # Indic scripts: their vowel signs and viramas are inside words
    "\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
)
_WORD = re.compile(rf"[{_SPLIT}][{_MARKS}]*|(?:[^\W_{_SPLIT}]|[{_MARKS}])+")
_SPLIT_CHAR = re.compile(rf"[{_SPLIT}]")


class SearchQueryError(ValueError):
    """The query cannot be searched; the message says why (fit for a person) and ``field``
    which input is at fault (``q`` unless said)."""

    def __init__(self, message: str, field: str = "q") -> None:
        super().__init__(message)
        self.field = field


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def tokens(text: str) -> list[str]:
    """The words of ``text``, normalised (see the module docstring)."""
    return [w for w in _WORD.findall(normalise(text)) if len(w) <= MAX_WORD]


def index_text(text: str) -> str:
    """What the index stores for ``text``: its words, space-separated."""
    return " ".join(tokens(text))


def is_split_script(word: str) -> bool:
    return bool(_SPLIT_CHAR.match(word))


# ------------------------------------------------------------------------------- the tree


@dataclass(frozen=True)
class Term:
    """A word (one token) or a phrase (several, adjacent, in order); ``prefix``: the last one
    is a prefix."""

    words: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


Node = Term | Not | And | Or


@dataclass(frozen=True)
class Query:
    """A parsed query: its tree, and the terms that must or may be present (for highlighting)."""

    text: str
    tree: Node

    @property
    def terms(self) -> list[Term]:
        """The terms that are not excluded (what a hit's snippet highlights)."""
        found: list[Term] = []

        def walk(node: Node) -> None:
            if isinstance(node, Term):
                found.append(node)
            elif isinstance(node, (And, Or)):
                for child in node.children:
                    walk(child)

        walk(self.tree)
        return found


# ------------------------------------------------------------------------------- parsing

_LEX = re.compile(
    r'\s+|"(?P<phrase>[^"]*)(?:"|$)(?P<pstar>\*?)|(?P<paren>[()])|(?P<word>[^\s"()]+)'
)


@dataclass(frozen=True)
class _Lexeme:
    kind: str  # "term", "op", "(", ")", "-"
    value: str = ""
    prefix: bool = False
    phrase: bool = False


def _lex(text: str) -> list[_Lexeme]:
    out: list[_Lexeme] = []
    for m in _LEX.finditer(text):
        if m.group("phrase") is not None:
            out.append(_Lexeme("term", m.group("phrase"), bool(m.group("pstar")), phrase=True))
        elif m.group("paren"):
            out.append(_Lexeme(m.group("paren")))
        elif m.group("word"):
            word = m.group("word")
            if word in ("AND", "OR", "NOT"):
                out.append(_Lexeme("op", word))
                continue
            if word.startswith("-") and len(word) > 1 and word[1] not in "-":
                out.append(_Lexeme("-"))
                word = word[1:]
            prefix = word.endswith("*")
            out.append(_Lexeme("term", word.rstrip("*"), prefix))
    return out


class _Parser:
    """or := and ("OR" and)* ; and := unary (["AND"] unary)* ; unary := ("NOT" | "-") unary |
    "(" or ")" | term."""

    def __init__(self, lexemes: list[_Lexeme]) -> None:
        self.items = lexemes
        self.at = 0
        self.terms = 0

    def peek(self) -> _Lexeme | None:
        return self.items[self.at] if self.at < len(self.items) else None

    def take(self) -> _Lexeme:
        item = self.items[self.at]
        self.at += 1
        return item

    def parse(self) -> Node | None:
        node = self.or_(0)
        while self.peek() is not None:  # a stray ")": skip it and go on
            self.take()
            more = self.or_(0)
            node = _join(And, [n for n in (node, more) if n is not None])
        return node

    def or_(self, depth: int) -> Node | None:
        parts = [self.and_(depth)]
        while (item := self.peek()) is not None and item.kind == "op" and item.value == "OR":
            self.take()
            parts.append(self.and_(depth))
        return _join(Or, [p for p in parts if p is not None])

    def and_(self, depth: int) -> Node | None:
        parts: list[Node] = []
        while (item := self.peek()) is not None:
            if item.kind == ")" or (item.kind == "op" and item.value == "OR"):
                break
            if item.kind == "op" and item.value == "AND":
                self.take()
                continue
            node = self.unary(depth)
            if node is not None:
                parts.append(node)
        return _join(And, parts)

    def unary(self, depth: int) -> Node | None:
        item = self.take()
        if item.kind == "-" or (item.kind == "op" and item.value == "NOT"):
            if self.peek() is None:
                return None
            child = self.unary(depth)
            return Not(child) if child is not None else None
        if item.kind == "(":
            if depth >= MAX_DEPTH:
                raise SearchQueryError(f"too many nested parentheses (at most {MAX_DEPTH})")
            node = self.or_(depth + 1)
            if (close := self.peek()) is not None and close.kind == ")":
                self.take()
            return node
        if item.kind != "term":
            return None  # a stray operator or ")": ignored
        words = tuple(tokens(item.value))
        if not words:
            return None
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise SearchQueryError(f"too many words (at most {MAX_TERMS} words and phrases)")
        if item.prefix and not is_split_script(words[-1]) and len(words[-1]) < MIN_PREFIX:
            raise SearchQueryError(
                f"a prefix needs at least {MIN_PREFIX} letters before the * ({item.value!r}*)"
            )
        return Term(words, item.prefix and not is_split_script(words[-1]))


def _join(kind: type[And] | type[Or], parts: list[Node]) -> Node | None:
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    flat: list[Node] = []
    for part in parts:
        flat.extend(part.children if isinstance(part, kind) else (part,))
    return kind(tuple(flat))


def _check(node: Node) -> None:
    """Every AND group (and the whole query) needs a term that must be present."""
    if isinstance(node, Not):
        raise SearchQueryError(
            "NOT needs something to exclude from: write `sso NOT saml`, not `NOT saml` alone"
        )
    if isinstance(node, Or):
        for child in node.children:
            _check(child)
    elif isinstance(node, And):
        positives = [c for c in node.children if not isinstance(c, Not)]
        if not positives:
            _check(node.children[0])
        for child in node.children:
            _check(child.child if isinstance(child, Not) else child)
            if isinstance(child, Not) and isinstance(child.child, Not):
                raise SearchQueryError("NOT NOT: say what to find instead")


def parse(text: str) -> Query:
    """Parse a query typed by a person (see the module docstring)."""
    if not isinstance(text, str):
        raise SearchQueryError("the query must be text")
    text = text.replace("\x00", " ").strip()
    if not text:
        raise SearchQueryError("give something to search for")
    if len(text) > MAX_QUERY_LENGTH:
        raise SearchQueryError(f"the query is too long (at most {MAX_QUERY_LENGTH} characters)")
    tree = _Parser(_lex(text)).parse()
    if tree is None:
        raise SearchQueryError("the query has no word to search for (only punctuation?)")
    _check(tree)
    return Query(text=text, tree=tree)


# ------------------------------------------------------------------------------ compiling


def fts5(node: Node) -> str:
    """The tree as an SQLite FTS5 query. Words hold only letters, digits and marks; each is
    written as a quoted string all the same (a ``"`` in it would be doubled)."""
    if isinstance(node, Term):
        quoted = '"' + " ".join(w.replace('"', '""') for w in node.words) + '"'
        return quoted + ("*" if node.prefix else "")
    if isinstance(node, Or):
        return "(" + " OR ".join(fts5(c) for c in node.children) + ")"
    if isinstance(node, And):
        positives = [fts5(c) for c in node.children if not isinstance(c, Not)]
        out = "(" + " AND ".join(positives) + ")"
        for child in node.children:
            if isinstance(child, Not):
                out = f"({out} NOT {fts5(child.child)})"
        return out
    raise SearchQueryError("NOT needs something to exclude from")  # checked by parse()


def tsquery(node: Node) -> str:
    """The tree as PostgreSQL ``to_tsquery`` text: lexemes quoted (``'`` doubled, ``\\``
    escaped, though words hold neither), ``<->`` for phrases, ``:*`` for prefixes."""
    if isinstance(node, Term):
        quoted = [_ts_quote(w) for w in node.words]
        if node.prefix:
            quoted[-1] += ":*"
        return "(" + " <-> ".join(quoted) + ")"
    if isinstance(node, Not):
        return "!" + tsquery(node.child)
    if isinstance(node, Or):
        return "(" + " | ".join(tsquery(c) for c in node.children) + ")"
    return "(" + " & ".join(tsquery(c) for c in node.children) + ")"


def _ts_quote(word: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


# ------------------------------------------------------------------------------ snippets


def highlighter(terms: list[Term]) -> re.Pattern[str] | None:
    """A pattern finding the terms in the original text (case-insensitive; words at word
    starts, CJK characters anywhere; phrase words separated by anything but letters)."""
    alternatives = []
    for term in sorted(terms, key=lambda t: -sum(map(len, t.words))):
        parts = []
        for i, word in enumerate(term.words):
            piece = re.escape(word)
            last = i == len(term.words) - 1
            if not is_split_script(word):
                piece = r"(?<![^\W_])" + piece
                if not (last and term.prefix):
                    piece += r"(?![^\W_])"
            parts.append(piece)
        alternatives.append(r"[\W_]{0,3}".join(parts))
    if not alternatives:
        return None
    return re.compile("|".join(alternatives), re.IGNORECASE)


def snippet(
    text: str, pattern: re.Pattern[str] | None, size: int = 200
) -> tuple[str, list[tuple[int, int]]]:
    """About ``size`` characters of ``text`` around its first match, and where the matches are
    in it (start, end offsets into the snippet). ``…`` marks text left out."""
    text = " ".join(text.split())
    matches = list(pattern.finditer(text, 0, 1_000_000)) if pattern is not None else []
    if len(text) <= size:
        start, end = 0, len(text)
    else:
        first = matches[0].start() if matches else 0
        start = max(0, first - size // 3)
        end = min(len(text), start + size)
        start = max(0, end - size)
        if start > 0:
            space = text.find(" ", start, start + 20)
            start = space + 1 if space != -1 and space < first else start
        if end < len(text):
            space = text.rfind(" ", end - 20, end)
            end = space if space > start else end
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    shift = len(prefix) - start
    marks = [
        (m.start() + shift, m.end() + shift)
        for m in matches
        if m.start() >= start and m.end() <= end
    ]
    return prefix + text[start:end] + suffix, marks


__all__ = [
    "And",
    "Not",
    "Or",
    "Query",
    "SearchQueryError",
    "Term",
    "fts5",
    "highlighter",
    "index_text",
    "normalise",
    "parse",
    "snippet",
    "tokens",
    "tsquery",
]
