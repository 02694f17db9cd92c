"""The web app without a browser: catalogues complete, language choice, signed and revocable
acknowledgement links, headers, CSRF, and escaping."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

from babel.messages.pofile import read_po

from api.web import CONTENT_SECURITY_POLICY, i18n
from api.web.ack_links import AckLinkStore
from ledger.storage.settings import parse_database_url
from ledger.storage.sql import SqlDatabase

ROOT = Path(__file__).resolve().parents[2]


def test_every_string_of_the_pages_is_translated(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "api/web/babel.cfg",
            "-k",
            "N_",
            "-k",
            "gettext",
            "--no-location",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    wanted = {m.id for m in read_po(pot.open("rb")) if m.id}
    po = ROOT / "api/web/locales/zh_Hans/LC_MESSAGES/messages.po"
    translated = {m.id for m in read_po(po.open("rb")) if m.id and m.string}
    assert wanted - translated == set(), "untranslated: run pybabel update (docs/web.md)"


def test_language_from_the_switch_then_accept_language() -> None:
    assert i18n.choose(None, "zh-CN,zh;q=0.9,en;q=0.8").code == "zh-Hans"
    assert i18n.choose(None, "en-US,en;q=0.9").code == "en"
    assert i18n.choose(None, "fr-FR, zh;q=0.5").code == "zh-Hans"
    assert i18n.choose(None, "zh-TW").code == "en"  # Traditional Chinese: not yet
    assert i18n.choose("en", "zh-CN").code == "en"
    assert i18n.choose("nonsense", None).code == "en"
    assert i18n.translations("zh-Hans").gettext("Whose move is it?") == "轮到谁了？"  # noqa: RUF001


def test_acknowledgement_links_are_signed_expiring_and_revocable(database_url: str) -> None:
    from api.web import ack_links

    db = SqlDatabase(parse_database_url(database_url))
    try:
        db.ensure_schema(ack_links.SCHEMA)
        store = AckLinkStore(db)
        project, request = uuid4(), uuid4()
        link = store.create(project, request, "chris@example.com", created_by="pat@example.com")
        token = store.token(link)
        assert store.open(token) == link
        link_id, _, signature = token.partition(".")
        assert store.open(f"{link_id}.{signature[:-2]}xx") is None  # altered
        assert store.open(link_id) is None  # unsigned
        expired = store.create(
            project,
            request,
            "chris@example.com",
            created_by="pat@example.com",
            expires_at=datetime.now(UTC) - timedelta(seconds=1),
        )
        assert store.open(store.token(expired)) is None
        store.revoke(project, link.link_id)
        assert store.open(token) is None
        # A second store on the same database shares the secret: tokens survive a restart.
        again = store.create(project, request, "chris@example.com", created_by="pat@example.com")
        assert AckLinkStore(db).open(store.token(again)) is not None
    finally:
        db.close()


def test_content_security_policy_forbids_inline_script_and_framing() -> None:
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY


def test_templates_have_no_inline_script_or_style() -> None:
    for template in (ROOT / "api/web/templates").glob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template.name
        assert " style=" not in text, template.name
        assert "<style" not in text, template.name
        assert not re.search(r"\son[a-z]+=", text), template.name
        assert "|safe" not in text, template.name


def test_sessions_are_stored_by_digest_and_end(database_url: str) -> None:
    from api import tokens
    from api.tokens import TokenStore
    from api.web import sessions
    from api.web.sessions import SessionStore

    db = SqlDatabase(parse_database_url(database_url))
    try:
        db.ensure_schema((*tokens.SCHEMA, *sessions.SCHEMA))
        issued = TokenStore(db).create("pat@example.com")
        store = SessionStore(db)
        key, session = store.create("pat@example.com", issued.token_id)
        assert store.get(key) == session
        stored = [str(r[0]) for r in db.query("SELECT session_hash FROM web_sessions")]
        assert key not in stored  # only its digest
        assert store.get(key + "x") is None
        assert store.get(None) is None
        store.delete(key)
        assert store.get(key) is None
    finally:
        db.close()
