"""Reading single messages and splitting mailboxes, without storage."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ledger.interchange.importing.mail import UnparseableEmailError, html_to_text, parse_email
from ledger.interchange.importing.sources import (
    EmlFiles,
    Mbox,
    Messages,
    SourceError,
    envelope_date,
)

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def message(*headers: str, body: str = "Hello.") -> bytes:
    return ("\r\n".join(headers) + "\r\n\r\n" + body + "\r\n").encode()


BASE = (
    "From: Sue <Sue@Client.test>",
    "To: pm@team.test",
    "Date: Mon, 2 Mar 2026 09:00:00 +0100",
    "Message-ID: <a@client.test>",
    "Subject: Hi",
)


def test_the_fields_the_ledger_keeps() -> None:
    data = message(*BASE, "Cc: B <b@x.test>, c@x.test", "Bcc: secret@x.test")
    parsed = parse_email(data, now=NOW)
    assert parsed.from_address == "sue@client.test"
    assert (parsed.to, parsed.cc, parsed.bcc) == (
        ("pm@team.test",),
        ("b@x.test", "c@x.test"),
        ("secret@x.test",),
    )
    assert parsed.message_id == "a@client.test"
    assert parsed.subject == "Hi"
    assert parsed.summary == "Hello."
    assert parsed.occurred_at == datetime.fromisoformat("2026-03-02T09:00:00+01:00")
    assert parsed.date_source == "Date"
    assert parsed.addresses == (
        "sue@client.test",
        "pm@team.test",
        "b@x.test",
        "c@x.test",
        "secret@x.test",
    )
    assert len(parsed.sha256) == 64


def test_threads_come_from_in_reply_to_then_references() -> None:
    reply = parse_email(
        message(*BASE, "In-Reply-To: <p@x> (Sue's message)", "References: <r@x> <p@x>"), now=NOW
    )
    assert (reply.parent_ref, reply.references) == ("p@x", ("r@x", "p@x"))
    only_refs = parse_email(message(*BASE, "References: <r@x>\r\n <q@x>"), now=NOW)
    assert (only_refs.parent_ref, only_refs.references) == ("q@x", ("r@x", "q@x"))
    only_parent = parse_email(message(*BASE, "In-Reply-To: <p@x>"), now=NOW)
    assert only_parent.references == ("p@x",)
    self_reply = parse_email(message(*BASE, "In-Reply-To: <a@client.test>"), now=NOW)
    assert self_reply.parent_ref is None


def test_dates_fall_back_to_received_then_the_mbox_line() -> None:
    no_date = [h for h in BASE if not h.startswith("Date")]
    received = (
        "Received: by mx.test; Tue, 3 Mar 2026 10:00:05 +0000",
        "Received: from a.test by b.test; Tue, 3 Mar 2026 10:00:00 +0000",
    )
    parsed = parse_email(message(*received, *no_date), now=NOW)
    assert parsed.occurred_at == datetime(2026, 3, 3, 10, 0, tzinfo=UTC)  # the earliest hop
    assert parsed.date_source == "Received"
    assert "dated by the Received header" in parsed.notes[0]

    envelope = datetime(2026, 3, 4, 8, 0, tzinfo=UTC)
    parsed = parse_email(message(*no_date, "Date: yesterday"), envelope_date=envelope, now=NOW)
    assert (parsed.occurred_at, parsed.date_source) == (envelope, "mbox")

    with pytest.raises(UnparseableEmailError, match="cannot be read"):
        parse_email(message(*no_date, "Date: yesterday"), now=NOW)


def test_a_date_without_zone_is_utc_and_a_future_date_is_refused() -> None:
    no_date = [h for h in BASE if not h.startswith("Date")]
    parsed = parse_email(message(*no_date, "Date: Mon, 2 Mar 2026 09:00:00 -0000"), now=NOW)
    assert parsed.occurred_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with pytest.raises(UnparseableEmailError, match="in the future"):
        parse_email(message(*no_date, "Date: Tue, 2 Jun 2026 09:00:00 +0000"), now=NOW)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty message"),
        (b"   \r\n", "empty message"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "no header lines"),
        (message("To: pm@team.test", "Date: Mon, 2 Mar 2026 09:00:00 +0100"), "no From header"),
        (
            message("From: not an address", "Date: Mon, 2 Mar 2026 09:00:00 +0100"),
            "no usable From address",
        ),
    ],
)
def test_messages_that_cannot_be_imported_say_why(data: bytes, reason: str) -> None:
    with pytest.raises(UnparseableEmailError, match=reason):
        parse_email(data, now=NOW)


def test_the_sender_header_stands_in_for_a_broken_from() -> None:
    headers = [h for h in BASE if not h.startswith("From")]
    parsed = parse_email(message(*headers, "From: ???", "Sender: pa@team.test"), now=NOW)
    assert parsed.from_address == "pa@team.test"


def test_bad_recipients_are_left_out_with_a_note() -> None:
    data = message(*BASE, "Cc: ok@x.test, root@localhost, undisclosed-recipients:;")
    parsed = parse_email(data, now=NOW)
    assert parsed.cc == ("ok@x.test",)
    assert any("root@localhost" in note for note in parsed.notes)


def test_a_bare_message_id_is_accepted() -> None:
    headers = [h for h in BASE if not h.startswith("Message-ID")]
    assert parse_email(message(*headers, "Message-ID: bare@x.test"), now=NOW).message_id == (
        "bare@x.test"
    )
    assert parse_email(message(*headers), now=NOW).message_id is None


def test_attachment_names_are_file_names_never_paths() -> None:
    body = (
        "--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
        "--b\r\nContent-Type: application/octet-stream\r\n"
        'Content-Disposition: attachment; filename="../../etc/passwd"\r\n\r\nroot\r\n'
        "--b\r\nContent-Type: application/octet-stream\r\n"
        'Content-Disposition: attachment; filename="C:\\\\Users\\\\x\\\\evil.bat"\r\n\r\necho\r\n'
        "--b\r\nContent-Type: application/zip\r\nContent-Disposition: attachment\r\n\r\nPK\r\n"
        "--b--"
    )
    data = message(
        *BASE, "MIME-Version: 1.0", 'Content-Type: multipart/mixed; boundary="b"', body=body
    )
    parsed = parse_email(data, now=NOW)
    assert [a.name for a in parsed.attachments] == ["passwd", "evil.bat", "part-3.zip"]
    assert parsed.attachments[0].data == b"root"
    assert parsed.summary == "See attached."


def test_html_is_reduced_to_its_text() -> None:
    html = "<html><head><style>p{}</style><script>x()</script></head><body><p>A &amp; B</p>"
    assert html_to_text(html + "<p>C<br>D</p></body></html>").split() == ["A", "&", "B", "C", "D"]


def test_long_bodies_are_summarised() -> None:
    parsed = parse_email(message(*BASE, body="word " * 2000), now=NOW)
    assert len(parsed.summary) == 2000
    assert parsed.summary.endswith("…")


# ------------------------------------------------------------------------------ sources


MBOX = (
    b"From a@x.test Mon Mar  2 09:00:00 2026\n"
    b"From: a@x.test\nSubject: one\n\nbody one\n>From here on\n\n"
    b"From b@x.test Tue Mar  3 10:30:15 2026\r\n"
    b"From: b@x.test\r\nSubject: two\r\n\r\nbody two\r\n\r\n"
    b"From c@x.test Wed Mar  4 11:00 2026\n"
    b"From: c@x.test\n\nlast, no blank line at the end\n"
)


def test_an_mbox_splits_into_its_messages() -> None:
    source = Mbox(MBOX, name="box")
    assert source.count() == 3
    first, second, third = list(source)
    assert first.where == "box #1"
    assert first.data == b"From: a@x.test\nSubject: one\n\nbody one\n>From here on\n"
    assert second.data == b"From: b@x.test\r\nSubject: two\r\n\r\nbody two\r\n"
    assert third.data.endswith(b"last, no blank line at the end\n")
    assert first.envelope_date == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert second.envelope_date == datetime(2026, 3, 3, 10, 30, 15, tzinfo=UTC)
    assert third.envelope_date == datetime(2026, 3, 4, 11, 0, tzinfo=UTC)


def test_an_mbox_file_reads_like_its_bytes(tmp_path: Path) -> None:
    path = tmp_path / "box.mbox"
    path.write_bytes(MBOX)
    assert [m.data for m in Mbox(path)] == [m.data for m in Mbox(MBOX)]
    (tmp_path / "empty.mbox").write_bytes(b"")
    assert Mbox(tmp_path / "empty.mbox").count() == 0
    assert list(Mbox(tmp_path / "empty.mbox")) == []


def test_what_is_not_an_mbox_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="not an mbox"):
        Mbox(b"From: a@x.test\n\nan .eml, not an mbox\n").count()
    with pytest.raises(SourceError, match="no such file"):
        Mbox(tmp_path / "missing.mbox")


def test_envelope_dates() -> None:
    assert envelope_date(b"From MAILER-DAEMON Fri Jul  8 12:08:34 2011") == datetime(
        2011, 7, 8, 12, 8, 34, tzinfo=UTC
    )
    assert envelope_date(b"From someone") is None
    assert envelope_date(b"From x Fri Foo  8 12:08:34 2011") is None


def test_eml_folders_are_read_recursively_in_name_order(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2.eml").write_bytes(b"two")
    (tmp_path / "1.EML").write_bytes(b"one")
    (tmp_path / "notes.txt").write_bytes(b"not mail")
    single = tmp_path / "single.msg"
    single.write_bytes(b"given by name")
    source = EmlFiles([tmp_path, single, tmp_path / "1.EML"])
    assert source.count() == 3
    assert [(Path(m.where).name, m.data, m.filename) for m in source] == [
        ("1.EML", b"one", "1.EML"),
        ("2.eml", b"two", "2.eml"),
        ("single.msg", b"given by name", "single.msg"),
    ]
    with pytest.raises(SourceError, match="no such file or folder"):
        EmlFiles([tmp_path / "missing"])


def test_messages_given_as_bytes() -> None:
    source = Messages([("upload.eml", b"x"), b"y"])
    assert [(m.where, m.data) for m in source] == [("upload.eml", b"x"), ("message #2", b"y")]


def test_ids_that_cannot_serve_as_references_are_ignored() -> None:
    headers = [h for h in BASE if not h.startswith("Message-ID")]
    long_id = "x" * 1000 + "@x.test"
    assert parse_email(message(*headers, "Message-ID: <>"), now=NOW).message_id is None
    assert parse_email(message(*headers, "Message-ID: a b"), now=NOW).message_id is None
    assert parse_email(message(*headers, f"Message-ID: <{long_id}>"), now=NOW).message_id is None
    parsed = parse_email(message(*BASE, f"References: <r@x> <{long_id}>"), now=NOW)
    assert (parsed.references, parsed.parent_ref) == (("r@x",), "r@x")


def test_nul_characters_are_left_out_of_the_text_kept() -> None:
    headers = [h for h in BASE if not h.startswith(("Message-ID", "Subject"))]
    data = message(
        *headers,
        "Message-ID: <a\x00b@client.test>",
        "References: <r\x00@x.test> <ok@x.test>",
        "Subject: Bud\x00get",
        body="Fig\x00ures",
    )
    parsed = parse_email(data, now=NOW)
    assert (parsed.subject, parsed.summary) == ("Budget", "Figures")
    # A message id holding NUL is no reference: as if absent (the id then comes from the bytes).
    assert (parsed.message_id, parsed.references, parsed.parent_ref) == (
        None,
        ("ok@x.test",),
        "ok@x.test",
    )
