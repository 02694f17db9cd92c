"""The search syntax: words, parsing, and compiled queries that the engine always accepts
(any string: the compiled FTS5 query is run against a real in-memory FTS5 table)."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from projections.search_syntax import (
    And,
    Not,
    Or,
    SearchQueryError,
    Term,
    fts5,
    highlighter,
    parse,
    snippet,
    tokens,
    tsquery,
)


def test_words_fold_case_and_width_and_cut_cjk_into_characters() -> None:
    assert tokens("SSO \uff33\uff33\uff2f e-mail 4.2.1 snake_case") == [
        "sso",
        "sso",
        "e",
        "mail",
        "4",
        "2",
        "1",
        "snake",
        "case",
    ]
    assert tokens("关于单点登录。SSO单点") == [
        "关",
        "于",
        "单",
        "点",
        "登",
        "录",
        "sso",
        "单",
        "点",
    ]
    assert tokens("x" * 101 + " kept") == ["kept"]


def test_the_tree() -> None:
    assert parse("a b OR c").tree == Or((And((Term(("a",)), Term(("b",)))), Term(("c",))))
    assert parse('"a bb"* -c').tree == And((Term(("a", "bb"), prefix=True), Not(Term(("c",)))))
    assert parse("登录").tree == Term(("登", "录"))
    assert fts5(parse("a -b").tree) == '(("a") NOT "b")'
    assert tsquery(parse('"a bb"* OR c').tree) == "(('a' <-> 'bb':*) | ('c'))"


def test_snippets_mark_the_matches() -> None:
    pattern = highlighter(parse('staging "single sign" 登录').terms)
    text, marks = snippet("The Staging server; single-sign on; 单点登录 done", pattern)
    assert [text[a:b] for a, b in marks] == ["Staging", "single-sign", "登录"]
    long = "word " * 200 + "staging" + " tail" * 100
    text, marks = snippet(long, highlighter(parse("staging").terms))
    assert text.startswith("…")
    assert text.endswith("…")
    assert [text[a:b] for a, b in marks] == ["staging"]


@pytest.fixture(scope="module")
def fts() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE t USING fts5(terms, tokenize='unicode61 remove_diacritics 0')")
    db.execute("INSERT INTO t(terms) VALUES ('staging server 单 点 登 录')")
    return db


@settings(max_examples=300, deadline=None)
@given(
    st.text(max_size=80)
    | st.lists(
        st.sampled_from(
            [
                '"',
                "(",
                ")",
                "*",
                "-",
                "AND",
                "OR",
                "NOT",
                "NEAR",
                ":",
                "^",
                "a",
                "登录",
                " ",
                "'",
                "\\",
            ]
        )
    ).map("".join)
)
def test_any_string_is_refused_with_a_reason_or_runs(fts: sqlite3.Connection, text: str) -> None:
    try:
        query = parse(text)
    except SearchQueryError as e:
        reason = str(e)
    else:
        fts.execute("SELECT rowid FROM t WHERE t MATCH ?", (fts5(query.tree),)).fetchall()
        tsquery(query.tree)  # built (run against PostgreSQL by the hostile-query tests)
        return
    assert reason
