"""report.html checks itself in a browser, offline (headless Chromium): the untouched report of a
change request's bundle says verified and shows the key's fingerprint; a copy with one changed
byte of an event says which event failed. SQLite only: what the page checks is the bundle's
bytes, the same from either backend (both are covered by tests/integration)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson

from ledger.integrity import EvidenceScope
from ledger.interchange.demo import record_demo
from ledger.service.application import Ledger
from tests.integration.integrity_support import open_integrity
from tests.integration.test_evidence import unzip

DATA = re.compile(r'(<script type="application/json" id="evidence-data">)(.*?)(</script>)', re.S)


def _state(browser: Any, page_file: Path) -> tuple[str, str, list[str], str]:
    page = browser.new_page()
    try:
        # Offline: any request leaving the file would fail the test.
        page.route("http*://**", lambda route: route.abort())
        page.goto(page_file.as_uri())
        page.wait_for_function(
            "document.getElementById('check').getAttribute('data-state') !== 'pending'",
            timeout=20_000,
        )
        state = page.get_attribute("#check", "data-state") or ""
        status = page.inner_text("#check-status")
        failed = page.locator("#check-failures li").all_inner_texts()
        fingerprint = page.inner_text("#check-fingerprint")
        return state, status, failed, fingerprint
    finally:
        page.close()


def test_the_report_verifies_itself_and_names_a_changed_event(browser: Any, tmp_path: Path) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path / 'accord.db'}")
    try:
        record_demo(ledger)
        change = next(
            n.originator_id
            for n in ledger.recorder.select_notifications(start=1, limit=10_000)
            if n.topic.endswith("ChangeRequest.Requested")
        )
        with open_integrity(ledger, tmp_path) as integrity:
            data = integrity.export_evidence(EvidenceScope.subject(change))
            fingerprint = integrity.verifier.fingerprint
    finally:
        ledger.close()
    report = unzip(data)["report.html"].decode()
    untouched = tmp_path / "report.html"
    untouched.write_text(report, encoding="utf-8")
    state, status, failed, shown = _state(browser, untouched)
    assert (state, failed) == ("verified", []), status
    assert status.startswith("Verified in this browser")
    assert shown == fingerprint
    # One changed byte in the state of one event (its approval): that event is named.
    match = DATA.search(report)
    assert match is not None
    embedded = orjson.loads(match.group(2))
    approval = next(e for e in embedded["events"] if e["topic"].endswith("Approved"))
    leaf = bytearray.fromhex(approval["leaf"])
    at = leaf.index(b"Go-live")
    leaf[at] ^= 0x01  # "Go-live" -> "Fo-live"
    approval["leaf"] = leaf.hex()
    text = orjson.dumps(embedded).decode().replace("<", "\\u003c").replace(">", "\\u003e")
    altered = tmp_path / "altered.html"
    altered.write_text(report[: match.start(2)] + text + report[match.end(2) :], encoding="utf-8")
    state, status, failed, _ = _state(browser, altered)
    assert state == "failed", status
    assert status.startswith("NOT VERIFIED")
    assert failed == [
        f"event #{approval['position']}: its content was changed (it does not hash to its "
        "leaf hash)"
    ]
