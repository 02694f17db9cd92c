"""Imported email through the views, on SQLite and PostgreSQL: a reply linked to its parent by a
later import counts in the reply times, and a message holding NUL characters projects cleanly
(PostgreSQL text cannot hold NUL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from ledger.domain.interaction import interaction_id_for_source
from ledger.interchange.importing import Messages, import_emails
from ledger.service.application import Ledger
from ledger.storage.documents import DocumentStore
from projections import queries as q
from projections.asof import LiveViews, replay
from projections.runner import ProjectionRunner

PM = "pm@team.test"
DEV = "dev@team.test"
SPONSOR = "sponsor@client.test"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def open_project(ledger: Ledger) -> UUID:
    project_id = ledger.open_project(PM, name="Mail", client_org="C", team_org="T").id
    ledger.add_member(PM, project_id, email=DEV, name="Dev", party="team", role="team_member")
    ledger.add_member(
        PM, project_id, email=SPONSOR, name="Sue", party="client", role="client_approver"
    )
    return project_id


def email(name: str, sender: str, minutes: int, refs: tuple[str, ...] = ()) -> tuple[str, bytes]:
    headers = [
        f"From: {sender}",
        f"To: {SPONSOR if sender != SPONSOR else PM}",
        f"Date: {(START + timedelta(minutes=minutes)).strftime('%a, %d %b %Y %H:%M:%S +0000')}",
        f"Message-ID: <{name}@mail.test>",
        f"Subject: {name}",
    ]
    if refs:
        headers.append(f"In-Reply-To: <{refs[-1]}@mail.test>")
        headers.append("References: " + " ".join(f"<{r}@mail.test>" for r in refs))
    return f"{name}.eml", ("\r\n".join(headers) + f"\r\n\r\n{name}\r\n").encode()


ROOT = email("root", PM, 0)
PARENT = email("parent", DEV, 60, ("root",))  # the team again: not an answer to root
CHILD = email("child", SPONSOR, 180, ("root", "parent"))  # the client answers parent


def test_a_late_link_moves_the_first_reply(
    ledger: Ledger, runner: ProjectionRunner, live: LiveViews
) -> None:
    project_id = open_project(ledger)
    project = str(project_id)
    now = datetime.now(UTC)

    # Run 1: root and child; child's parent is missing, so it is linked to root.
    import_emails(ledger, project_id, PM, Messages([ROOT, CHILD]))
    runner.catch_up()
    assert q.metrics(live, project, now)["email_reply"]["client"]["max_hours"] == 3.0

    # Run 2: parent. Child now answers parent (2 hours later); root was answered by nobody
    # of the other side (parent is the team's own message).
    import_emails(ledger, project_id, DEV, Messages([PARENT]))
    runner.catch_up()
    reply = q.metrics(live, project, now)["email_reply"]
    assert reply == {
        "client": {"count": 1, "median_hours": 2.0, "mean_hours": 2.0, "max_hours": 2.0}
    }
    # The same logic in memory (replay) gives the same answer.
    memory = replay(runner, project)
    assert q.metrics(memory, project, now)["email_reply"] == reply

    # The timeline says what happened, by whom.
    child = str(interaction_id_for_source(project_id, "child@mail.test"))
    parent = interaction_id_for_source(project_id, "parent@mail.test")
    trail, _ = q.audit(live, project, q.AuditFilter(subject=child))
    assert [r["type"] for r in trail] == ["Interaction.Recorded", "Interaction.ThreadLinked"]
    assert trail[1]["narrative"] == (
        f"Dev linked “child” into its thread: it answers interaction {parent}"
    )


def test_an_imported_message_with_nul_characters_projects(
    ledger: Ledger, runner: ProjectionRunner, live: LiveViews
) -> None:
    project_id = open_project(ledger)
    data = (
        b"From: sponsor@client.test\r\nTo: pm@team.test\r\n"
        b"Date: Mon, 02 Mar 2026 09:00:00 +0000\r\nMessage-ID: <nul@mail.test>\r\n"
        b"Subject: Budget\x00 figures\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe\x00 figures\x00.\r\n"
        b"--b\r\nContent-Type: application/pdf\r\n"
        b'Content-Disposition: attachment; filename="b\x00.pdf"\r\n\r\n%PDF\x00\r\n--b--\r\n'
    )
    summary = import_emails(ledger, project_id, PM, Messages([("nul.eml", data)]))
    assert summary.imported == 1, summary.rejected
    interaction = ledger.get_interaction(project_id, summary.results[0].interaction_id)  # type: ignore[arg-type]
    assert interaction.subject == "Budget figures"
    assert interaction.summary == "The figures."
    assert [a.name for a in interaction.attachments] == ["b.pdf"]
    with DocumentStore(ledger.storage) as documents:  # the original keeps every byte
        assert documents.get(interaction.body_sha256 or "") == data

    runner.catch_up()
    trail, _ = q.audit(live, str(project_id), q.AuditFilter(subject=str(interaction.id)))
    assert (
        trail[0]["narrative"]
        == "email: Sue to pm@team.test — “Budget figures” (recorded by pm@team.test)"
    )
