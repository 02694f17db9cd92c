"""A corpus of awkward mail, made here rather than collected: raw 8-bit headers in several
charsets, bounces in several formats, mailing-list archive senders, variants (one Message-ID,
other bytes), CR-only and mixed line ends, broken MIME, NUL, absurd nesting.

``corpus()`` gives ``(name, bytes, expected)``; ``expected`` says what must become of the
message: ``outcome`` (``imported`` or ``variant``), and optionally ``from``, ``subject``,
``names`` (address → display name), ``bounce`` (the failed recipients), ``original`` (the
Message-ID a bounce reports), ``summary`` (text the summary holds), ``note`` (text a note
holds)."""

from __future__ import annotations

import base64
from typing import Any

DATE = "Mon, 2 Mar 2026 09:00:00 +0100"
PM = "pm@team.test"
SPONSOR = "sponsor@client.test"


def _msg(*headers: str | bytes, body: bytes = b"Hello.", eol: bytes = b"\r\n") -> bytes:
    lines = [h if isinstance(h, bytes) else h.encode() for h in headers]
    return eol.join(lines) + eol + eol + body + eol


def _b64_split(text: str, charset: str) -> str:
    """``text`` as two encoded words split in the middle of its bytes."""
    data = text.encode(charset)
    half = len(data) // 2
    first = base64.b64encode(data[:half]).decode()
    second = base64.b64encode(data[half:]).decode()
    return f"=?{charset}?B?{first}?=\r\n =?{charset}?B?{second}?="


ORIGINAL = _msg(
    f"From: Pat Manager <{PM}>",
    f"To: Sue Sponsor <{SPONSOR}>, gone@client.test",
    f"Date: {DATE}",
    "Message-ID: <plan-1@team.test>",
    "Subject: The plan: we deliver the wireframes by Friday",
    body=b"We will deliver the wireframes by Friday.",
)


def corpus() -> list[tuple[str, bytes, dict[str, Any]]]:
    items: list[tuple[str, bytes, dict[str, Any]]] = [
        ("00-original.eml", ORIGINAL, {"outcome": "imported", "names": {SPONSOR: "Sue Sponsor"}}),
        (
            "01-raw-utf8-from.eml",
            _msg(
                "From: Luc\xeda Garc\xeda <luc\xeda@client.test>".encode(),
                f"To: {PM}",
                f"Date: {DATE}",
                "Message-ID: <raw-utf8@client.test>",
                "Subject: Caf\xe9 meeting".encode(),
            ),
            {
                "outcome": "imported",
                "from": "lucía@client.test",
                "subject": "Café meeting",
                "names": {"lucía@client.test": "Lucía García"},
                "note": "raw 8-bit",
            },
        ),
        (
            "02-raw-latin1-subject.eml",
            _msg(
                f"From: {SPONSOR}",
                f"To: {PM}",
                f"Date: {DATE}",
                "Message-ID: <latin1@client.test>",
                "Subject: Se\xf1or Mu\xf1oz".encode("latin-1"),
                body="Buenos d\xedas".encode("latin-1"),
            ),
            {"outcome": "imported", "subject": "Señor Muñoz", "summary": "Buenos días"},
        ),
        (
            "03-raw-shift-jis.eml",
            _msg(
                f"From: {SPONSOR}",
                f"To: {PM}",
                f"Date: {DATE}",
                "Message-ID: <sjis@client.test>",
                b"Subject: " + "見積もりの件".encode("shift_jis"),
                "Content-Type: text/plain; charset=Shift_JIS",
                body="よろしくお願いします".encode("shift_jis"),
            ),
            {"outcome": "imported", "subject": "見積もりの件", "summary": "よろしく"},
        ),
        (
            "04-raw-koi8r.eml",
            _msg(
                b"From: " + "Иван".encode("koi8-r") + b" <ivan@client.test>",
                f"To: {PM}",
                f"Date: {DATE}",
                "Message-ID: <koi8@client.test>",
                b"Subject: " + "Привет".encode("koi8-r"),
                "Content-Type: text/plain; charset=koi8-r",
                body="Добрый день".encode("koi8-r"),
            ),
            {"outcome": "imported", "subject": "Привет", "names": {"ivan@client.test": "Иван"}},
        ),
        (
            "05-split-iso-2022-jp.eml",
            _msg(
                f"From: {SPONSOR}",
                f"To: {PM}",
                f"Date: {DATE}",
                "Message-ID: <jis@client.test>",
                "Subject: " + _b64_split("日本語の件名です", "iso-2022-jp"),
            ),
            {"outcome": "imported", "subject": "日本語の件名です"},
        ),
        (
            "06-mislabelled-utf8.eml",
            _msg(
                f"From: {SPONSOR}",
                f"To: {PM}",
                f"Date: {DATE}",
                "Message-ID: <mislabelled@client.test>",
                "Subject: Mislabelled",
                "Content-Type: text/plain; charset=iso-8859-1",
                body="Größe und Maße".encode(),
            ),
            {"outcome": "imported", "summary": "Größe und Maße", "note": "UTF-8"},
        ),
        (
            "07-cr-only.eml",
            _msg(
                f"From: {SPONSOR}",
                f"To: {PM}",
                f"Date: {DATE}",
                "Message-ID: <cr-only@client.test>",
                "Subject: Old Mac",
                body=b"First line\rSecond line\r\rSecond paragraph",
                eol=b"\r",
            ),
            {
                "outcome": "imported",
                "summary": "First line\nSecond line\n\nSecond paragraph",
                "note": "CR only",
            },
        ),
        (
            "08-mixed-line-ends.eml",
            f"From: {SPONSOR}\r\nTo: {PM}\nDate: {DATE}\r\nMessage-ID: <mixed@client.test>\n"
            "Subject: Mixed\r\n\r\none\rtwo\nthree\r\n".encode(),
            {"outcome": "imported", "summary": "one\ntwo\nthree", "note": "mixed"},
        ),
        (
            "09-pipermail-sender.eml",
            _msg(
                "From: jgb at example.com (Jes\xfas Gonz\xe1lez)".encode("latin-1"),
                f"Date: {DATE}",
                "Message-ID: <list-1@example.com>",
                "Subject: [dev] Release plan",
                "List-Id: dev.lists.example.com",
            ),
            {
                "outcome": "imported",
                "from": "jgb@example.com",
                "names": {"jgb@example.com": "Jesús González"},
            },
        ),
        (
            "10-hyperkitty-sender.eml",
            _msg(
                "From: ana at lists.example.org (Ana)",
                f"Date: {DATE}",
                "Message-ID: <list-2@lists.example.org>",
                "Subject: Re: [dev] Release plan",
                "In-Reply-To: <list-1@example.com>",
                "Archived-At: <https://lists.example.org/archives/list/dev/message/X/>",
            ),
            {"outcome": "imported", "from": "ana@lists.example.org", "names": {}},
        ),
        (
            "11-nul-and-broken-mime.eml",
            _msg(
                f"From: {SPONSOR}",
                f"To: {PM}",
                f"Date: {DATE}",
                "Message-ID: <broken@client.test>",
                "Subject: Bro\x00ken",
                'Content-Type: multipart/mixed; boundary="never-closed"',
                body=b"--never-closed\r\nContent-Type: text/plain; charset=x-nonsense\r\n"
                b"Content-Transfer-Encoding: base64\r\n\r\n!!!not base64\x00\xff\r\n",
            ),
            {"outcome": "imported", "subject": "Broken"},
        ),
        (
            "12-deep-nesting.eml",
            _nested(300),
            {"outcome": "imported"},
        ),
        (
            "13-variant-of-original.eml",
            ORIGINAL.replace(b"Friday.", b"Friday (sent again)."),
            {"outcome": "variant"},
        ),
        (
            "14-bounce-rfc3464.eml",
            _dsn(),
            {
                "outcome": "imported",
                "bounce": ["gone@client.test"],
                "original": "plan-1@team.test",
                "from": "mailer-daemon@mx.team.test",
            },
        ),
        (
            "15-bounce-qmail.eml",
            _msg(
                "From: MAILER-DAEMON@mx.client.test",
                f"To: {PM}",
                f"Date: {DATE}",
                "Message-ID: <qmail-bounce@mx.client.test>",
                "Subject: failure notice",
                body=b"Hi. This is the qmail-send program at mx.client.test.\r\n"
                b"I'm afraid I wasn't able to deliver your message to the following addresses.\r\n"
                b"This is a permanent error; I've given up. Sorry it didn't work out.\r\n\r\n"
                b"<gone@client.test>:\r\nSorry, no mailbox here by that name. (#5.1.1)\r\n\r\n"
                b"--- Below this line is a copy of the message.\r\n\r\n"
                b"Message-ID: <plan-1@team.test>\r\nSubject: The plan\r\n",
            ),
            {"outcome": "imported", "bounce": ["gone@client.test"], "original": "plan-1@team.test"},
        ),
        (
            "16-bounce-exim.eml",
            _msg(
                "From: Mail Delivery System <Mailer-Daemon@mx.client.test>",
                f"To: {PM}",
                f"Date: {DATE}",
                "Message-ID: <exim-bounce@mx.client.test>",
                "Subject: Mail delivery failed: returning message to sender",
                "X-Failed-Recipients: old@client.test",
                body=b"This message was created automatically by mail delivery software.\r\n\r\n"
                b"A message that you sent could not be delivered to one or more of its\r\n"
                b"recipients. This is a permanent error. The following address(es) failed:\r\n"
                b"\r\n  old@client.test\r\n    SMTP error from remote mail server after RCPT TO:"
                b"<old@client.test>:\r\n    550 5.1.1 User unknown\r\n\r\n"
                b"------ This is a copy of the message, including all the headers. ------\r\n\r\n"
                b"Message-ID: <other-7@team.test>\r\n",
            ),
            {"outcome": "imported", "bounce": ["old@client.test"], "original": "other-7@team.test"},
        ),
        (
            "17-bounce-postfix-empty-sender.eml",
            _msg(
                "From: <>",
                "Return-Path: <>",
                f"To: {PM}",
                f"Date: {DATE}",
                "Subject: Undelivered Mail Returned to Sender",
                body=b"This is the mail system at host mail.team.test.\r\n\r\n"
                b"I'm sorry to have to inform you that your message could not\r\n"
                b"be delivered to one or more recipients.\r\n\r\n"
                b"<nobody@client.test>: host mx.client.test[192.0.2.1] said: 550 5.1.1\r\n"
                b"    <nobody@client.test>: Recipient address rejected\r\n",
            ),
            {
                "outcome": "imported",
                "bounce": ["nobody@client.test"],
                "from": "mailer-daemon@mail.team.test",
            },
        ),
        (
            "18-bounce-mailer-daemon-localhost.eml",
            _msg(
                "From: Mail Delivery Subsystem <MAILER-DAEMON@localhost>",
                f"To: {PM}",
                f"Date: {DATE}",
                "Subject: Returned mail: see transcript for details",
                body=b"   ----- The following addresses had permanent fatal errors -----\r\n"
                b"<ghost@client.test>\r\n    (reason: 550 5.1.1 User unknown)\r\n\r\n"
                b"   ----- Transcript of session follows -----\r\n",
            ),
            {
                "outcome": "imported",
                "bounce": ["ghost@client.test"],
                "from": "mailer-daemon@localhost.invalid",
            },
        ),
    ]
    return items


def _nested(depth: int) -> bytes:
    """A message whose parts nest ``depth`` deep."""
    head = (
        f"From: {SPONSOR}\r\nTo: {PM}\r\nDate: {DATE}\r\nMessage-ID: <nested@client.test>\r\n"
        "Subject: Nested\r\n"
    )
    inner = "Content-Type: text/plain\r\n\r\ncore\r\n"
    for level in range(depth):
        inner = (
            f'Content-Type: multipart/mixed; boundary="b{level}"\r\n\r\n--b{level}\r\n'
            f"{inner}\r\n--b{level}--\r\n"
        )
    return (head + inner).encode()


def _dsn() -> bytes:
    return _msg(
        "From: Mail Delivery System <MAILER-DAEMON>",
        f"To: {PM}",
        f"Date: {DATE}",
        "Message-ID: <dsn-1@mx.team.test>",
        "Subject: Undelivered Mail Returned to Sender",
        "MIME-Version: 1.0",
        'Content-Type: multipart/report; report-type=delivery-status; boundary="R"',
        body=b"--R\r\nContent-Type: text/plain\r\n\r\nThis is the mail system at host mx.team.test."
        b"\r\n\r\n--R\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.team.test\r\n\r\n"
        b"Final-Recipient: rfc822; gone@client.test\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        b"Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n\r\n"
        b"--R\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        b"Message-ID: <plan-1@team.test>\r\nSubject: The plan\r\n\r\n--R--",
    )


def mbox_of(messages: list[bytes]) -> bytes:
    """An mbox of ``messages`` (``From `` separators, body ``From `` lines quoted)."""
    out = []
    for data in messages:
        body = data.replace(b"\r\n", b"\n").replace(b"\nFrom ", b"\n>From ")
        out.append(b"From sender@example.com Mon Mar  2 08:00:00 2026\n" + body + b"\n")
    return b"".join(out)
