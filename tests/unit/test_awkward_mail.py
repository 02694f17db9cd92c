"""Mail as it really is, read without storage: the awkward corpus (tests/awkward_mail.py),
generated hostile messages, and sources recognised by their content."""

from __future__ import annotations

import bz2
import gzip
import lzma
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.interchange.importing.decoding import has_surrogates
from ledger.interchange.importing.mail import ParsedEmail, UnparseableEmailError, parse_email
from ledger.interchange.importing.sources import EmlFiles, Mbox, SourceError, kind_of
from tests.awkward_mail import ORIGINAL, corpus, mbox_of
from tests.outlook_files import outlook_message

CORPUS = corpus()


@pytest.mark.parametrize(("name", "data", "expected"), CORPUS, ids=[c[0] for c in CORPUS])
def test_each_awkward_message_reads_as_expected(
    name: str, data: bytes, expected: dict[str, Any]
) -> None:
    parsed = parse_email(data)
    assert_valid_unicode(parsed)
    if "from" in expected:
        assert parsed.from_address == expected["from"]
    if "subject" in expected:
        assert parsed.subject == expected["subject"]
    for address, display in expected.get("names", {}).items():
        assert dict(parsed.display_names)[address] == display
    if "summary" in expected:
        assert expected["summary"] in parsed.summary
    if "note" in expected:
        assert any(expected["note"] in note for note in parsed.notes), parsed.notes
    failure = parsed.delivery_failure
    if "bounce" in expected:
        assert failure is not None
        assert [r.address for r in failure.failed] == expected["bounce"]
        assert all(r.action == "failed" for r in failure.failed)
        if "original" in expected:
            assert failure.original_message_id == expected["original"]
    else:
        assert failure is None


def test_a_bounce_says_status_diagnostic_and_reporting_server() -> None:
    dsn = next(data for name, data, _ in CORPUS if name.startswith("14-"))
    failure = parse_email(dsn).delivery_failure
    assert failure is not None
    assert (failure.format, failure.reporting_mta) == ("rfc3464", "mx.team.test")
    (recipient,) = failure.recipients
    assert (recipient.status, recipient.diagnostic) == ("5.1.1", "550 5.1.1 User unknown")
    qmail = next(data for name, data, _ in CORPUS if name.startswith("15-"))
    assert parse_email(qmail).delivery_failure.format == "qmail"  # type: ignore[union-attr]


def test_someone_quoting_a_bounce_is_not_a_bounce() -> None:
    quoted = (
        b"From: sponsor@client.test\r\nTo: pm@team.test\r\nSubject: look at this\r\n"
        b"Date: Mon, 2 Mar 2026 09:00:00 +0100\r\n\r\n"
        b"Hi. This is the qmail-send program at mx.client.test.\r\n<a@b.test>:\r\nno.\r\n"
    )
    assert parse_email(quoted).delivery_failure is None


def test_a_delivered_notification_is_ordinary_mail() -> None:
    dsn = next(data for name, data, _ in CORPUS if name.startswith("14-"))
    delivered = dsn.replace(b"Action: failed", b"Action: delivered").replace(
        b"<MAILER-DAEMON>", b"<postmaster@mx.team.test>"
    )
    assert parse_email(delivered).delivery_failure is None


def assert_valid_unicode(parsed: ParsedEmail) -> None:
    texts = [
        parsed.from_address,
        parsed.subject,
        parsed.summary,
        *parsed.to,
        *parsed.cc,
        *parsed.bcc,
        *parsed.notes,
        *(a.name for a in parsed.attachments),
        *(a.media_type for a in parsed.attachments),
        *(x for pair in parsed.display_names for x in pair),
        parsed.message_id or "",
        *parsed.references,
    ]
    if parsed.delivery_failure is not None:
        texts.append(parsed.delivery_failure.model_dump_json())
    for text in texts:
        assert not has_surrogates(text), text
        assert "\x00" not in text or text in (parsed.message_id, *parsed.references)
        text.encode("utf-8")  # would raise on a lone surrogate


# ------------------------------------------------------------------ hostile, generated

_HEADER_NAMES = st.sampled_from(
    [
        "From",
        "To",
        "Cc",
        "Subject",
        "Date",
        "Message-ID",
        "In-Reply-To",
        "References",
        "Content-Type",
        "Content-Transfer-Encoding",
        "Sender",
        "Return-Path",
    ]
)
_HOSTILE_BYTES = st.binary(max_size=60) | st.sampled_from(
    [
        b"\xff\xfe\x00",
        "Lucía".encode("latin-1"),
        "日本".encode("shift_jis"),
        b"=?utf-8?B?",
        b"=?iso-2022-jp?B?GyRC?= =?iso-2022-jp?B?JEgbKEI=?=",
        b"jgb at example.com (J\xfas)",
        b"<>",
        b"MAILER-DAEMON",
        b'multipart/mixed; boundary="x"',
        b"message/delivery-status",
        b"text/plain; charset=x-unknown",
        b"base64",
    ]
)
_HEADERS = st.lists(st.tuples(_HEADER_NAMES, _HOSTILE_BYTES), max_size=10)
_BODY = st.binary(max_size=300) | st.sampled_from(
    [
        b"--x\r\nContent-Type: text/plain\r\n\r\n\xe9\r\n--x",
        b"--x\r\nContent-Type: message/rfc822\r\n\r\nFrom: \xff\r\n\r\nx\r\n--x--",
        b"Reporting-MTA: dns; \xff\r\n\r\nFinal-Recipient: rfc822; \xe9@x\r\nAction: failed\r\n",
    ]
)
_EOL = st.sampled_from([b"\r\n", b"\n", b"\r"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(headers=_HEADERS, body=_BODY, eol=_EOL)
def test_any_message_is_read_or_refused_with_a_reason_never_a_crash(
    headers: list[tuple[str, bytes]], body: bytes, eol: bytes
) -> None:
    data = eol.join(
        [b"From: x@y.test", b"Date: Mon, 2 Mar 2026 09:00:00 +0100"]
        + [name.encode() + b": " + value for name, value in headers]
    )
    data += eol + eol + body
    try:
        parsed = parse_email(data)
    except UnparseableEmailError as e:
        reason = e.reason
    else:
        assert_valid_unicode(parsed)
        return
    assert reason
    assert not has_surrogates(reason)


# --------------------------------------------------------------------------- sources


def test_compressed_mailboxes_are_read(tmp_path: Path) -> None:
    mbox = mbox_of([ORIGINAL, ORIGINAL.replace(b"plan-1", b"plan-2")])
    for suffix, compress in (
        (".gz", gzip.compress),
        (".bz2", bz2.compress),
        (".xz", lzma.compress),
    ):
        path = tmp_path / f"archive.mbox{suffix}"
        path.write_bytes(compress(mbox))
        messages = list(Mbox(path))
        assert len(messages) == 2, suffix
        assert b"plan-2" in messages[1].data
        assert len(list(Mbox(compress(mbox), name="upload"))) == 2
    (tmp_path / "broken.gz").write_bytes(b"\x1f\x8b" + b"garbage")
    with pytest.raises(SourceError, match="cannot be decompressed"):
        Mbox(tmp_path / "broken.gz")


def test_an_archive_with_unquoted_from_lines_in_bodies_is_not_split_there() -> None:
    archive = (
        b"From jgb at example.com  Mon Mar  2 08:00:00 2026\n"
        b"From: jgb at example.com (J)\nDate: Mon, 2 Mar 2026 08:00:00 +0000\nSubject: a\n\n"
        b"From here on, the plan changes.\n\n"
        b"From ana at example.com  Tue Mar  3 08:00:00 2026\n"
        b"From: ana at example.com (Ana)\nDate: Tue, 3 Mar 2026 08:00:00 +0000\nSubject: b\n\nok\n"
    )
    messages = list(Mbox(archive))
    assert len(messages) == 2
    assert b"From here on" in messages[0].data


def test_folders_are_read_by_content_not_by_name(tmp_path: Path) -> None:
    maildir = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    (maildir / "cur" / "1700000000.M1P1.host:2,S").write_bytes(ORIGINAL)
    (maildir / "new" / "1700000001.M2P2.host").write_bytes(ORIGINAL.replace(b"plan-1", b"p-2"))
    (maildir / "tmp" / "half-written").write_bytes(b"From: x")
    (maildir / "dovecot-uidlist").write_bytes(b"3 V1 N3\n")
    source = EmlFiles([maildir])
    messages = list(source)
    assert [m.data for m in messages] == [ORIGINAL, ORIGINAL.replace(b"plan-1", b"p-2")]
    assert [Path(where).name for where, _ in source.skipped] == ["dovecot-uidlist"]

    empty = tmp_path / "pictures"
    empty.mkdir()
    (empty / "a.png").write_bytes(b"\x89PNG\r\n")
    with pytest.raises(SourceError, match="no email messages found"):
        EmlFiles([empty])


def test_zip_files_and_mailboxes_in_a_folder_are_opened(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "export.zip", "w") as archive:
        archive.writestr("mail/one.txt", ORIGINAL)
        archive.writestr("mail/readme.html", b"<html></html>")
    (tmp_path / "list.mbox.gz").write_bytes(
        gzip.compress(mbox_of([ORIGINAL.replace(b"plan-1", b"z")]))
    )
    source = EmlFiles([tmp_path])
    assert source.count() == 2
    messages = list(source)
    wheres = [Path(m.where.replace(str(tmp_path), "")).as_posix() for m in messages]
    assert wheres == ["/export.zip:mail/one.txt", "/list.mbox.gz #1"]
    assert messages[0].data == ORIGINAL


def test_what_a_file_holds() -> None:
    assert kind_of(ORIGINAL) == "message"
    assert kind_of(mbox_of([ORIGINAL])) == "mbox"
    assert kind_of(gzip.compress(b"x")) == "gzip"
    assert kind_of(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest") == "outlook"
    assert kind_of(b"Dear diary: today\nnothing happened") == "other"
    assert kind_of(b"<html><body>hi</body></html>") == "other"


# ------------------------------------------------------------------ Outlook .msg files

OUTLOOK = outlook_message(
    subject="Señor budget",
    body="The budget is agreed.\r\nPat",
    sender="pm@team.test",
    headers="From: Pat <pm@team.test>\r\nTo: Sue <sponsor@client.test>\r\n"
    "Subject: =?utf-8?q?Se=C3=B1or_budget?=\r\nDate: Mon, 2 Mar 2026 09:00:00 +0100\r\n"
    "Message-ID: <outlook-1@team.test>\r\n\r\n",
)


def test_outlook_files_are_read_as_messages_and_kept_as_files(tmp_path: Path) -> None:
    (tmp_path / "Budget.msg").write_bytes(OUTLOOK)
    (tmp_path / "broken.msg").write_bytes(OUTLOOK[:600])
    messages = {Path(m.where).name: m for m in EmlFiles([tmp_path])}
    good = messages["Budget.msg"]
    assert (good.original, good.media_type) == (OUTLOOK, "application/vnd.ms-outlook")
    parsed = parse_email(good.data)
    assert (parsed.from_address, parsed.subject, parsed.message_id) == (
        "pm@team.test",
        "Señor budget",
        "outlook-1@team.test",
    )
    assert parsed.summary == "The budget is agreed.\nPat"
    assert dict(parsed.display_names) == {"pm@team.test": "Pat", "sponsor@client.test": "Sue"}
    broken = messages["broken.msg"]
    assert broken.error is not None
    assert "Outlook" in broken.error
