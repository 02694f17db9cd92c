"""Threads across import runs, on SQLite and PostgreSQL: a reply imported before its parent (in
an earlier run) is linked when the parent comes — an ``Interaction.ThreadLinked`` event by the
importer of the parent, in the same save — whatever the order and number of runs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from ledger.domain.errors import InvalidInputError, InvalidTransitionError, NotPermittedError
from ledger.domain.interaction import Interaction, interaction_id_for_source
from ledger.interchange.importing import EmailImportSummary, Messages, emails, import_emails
from ledger.interchange.importing.threads import TABLE, ThreadWaits
from ledger.service.application import Ledger
from ledger.storage.documents import DocumentStore
from ledger.storage.sql import SqlDatabase

PM = "pm@team.test"
DEV = "dev@team.test"
SPONSOR = "sponsor@client.test"
AUDITOR = "auditor@pmo.test"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def open_project(ledger: Ledger) -> UUID:
    project_id = ledger.open_project(PM, name="Threads", client_org="C", team_org="T").id
    for email, party, role in (
        (DEV, "team", "team_member"),
        (SPONSOR, "client", "client_approver"),
        (AUDITOR, "third_party", "auditor"),
    ):
        ledger.add_member(PM, project_id, email=email, name=email, party=party, role=role)
    return project_id


def message(
    name: str, *, parent: str | None = None, refs: Sequence[str] = (), minutes: int = 0
) -> tuple[str, bytes]:
    """An email ``<name@mail.test>``; ``refs``: its References (oldest first), ``parent``: its
    In-Reply-To."""
    sender = SPONSOR if minutes % 2 else PM
    headers = [
        f"From: {sender}",
        f"To: {PM if sender == SPONSOR else SPONSOR}",
        f"Date: {(START + timedelta(minutes=minutes)).strftime('%a, %d %b %Y %H:%M:%S +0000')}",
        f"Message-ID: <{name}@mail.test>",
        f"Subject: {name}",
    ]
    if parent is not None:
        headers.append(f"In-Reply-To: <{parent}@mail.test>")
    if refs:
        headers.append("References: " + " ".join(f"<{r}@mail.test>" for r in refs))
    return f"{name}.eml", ("\r\n".join(headers) + f"\r\n\r\nThis is {name}.\r\n").encode()


# The thread: root <- parent <- child (<- grandchild), each message naming all its ancestors.
ROOT = message("root", minutes=0)
PARENT = message("parent", parent="root", refs=["root"], minutes=1)
CHILD = message("child", parent="parent", refs=["root", "parent"], minutes=2)


def run(
    ledger: Ledger, project_id: UUID, *messages: tuple[str, bytes], by: str = PM
) -> EmailImportSummary:
    return import_emails(ledger, project_id, by, Messages(list(messages)))


def iid(project_id: UUID, name: str) -> UUID:
    return interaction_id_for_source(project_id, f"{name}@mail.test")


def reply_of(ledger: Ledger, project_id: UUID, name: str) -> UUID | None:
    return ledger.get_interaction(project_id, iid(project_id, name)).in_reply_to


def events_of(ledger: Ledger, interaction_id: UUID) -> list[object]:
    return [ledger.mapper.to_domain_event(s) for s in ledger.recorder.select_events(interaction_id)]


def head(ledger: Ledger) -> int:
    return ledger.recorder.max_notification_id() or 0


def test_a_reply_imported_before_its_parent_is_linked_when_the_parent_comes(
    ledger: Ledger,
) -> None:
    project_id = open_project(ledger)
    first = run(ledger, project_id, PARENT)  # its parent, root, is not in the ledger
    assert (first.replies_linked, first.replies_unlinked, first.replies_relinked) == (0, 1, 0)
    assert reply_of(ledger, project_id, "parent") is None

    second = run(ledger, project_id, ROOT, by=DEV)
    assert (second.imported, second.replies_relinked) == (1, 1)
    assert reply_of(ledger, project_id, "parent") == iid(project_id, "root")

    # The link is a new event on the reply, by the importer of the parent; the record stands.
    recorded, linked = events_of(ledger, iid(project_id, "parent"))
    assert isinstance(recorded, Interaction.Recorded)
    assert recorded.in_reply_to is None
    assert isinstance(linked, Interaction.ThreadLinked)
    assert (linked.actor, linked.attributed_to) == (DEV, None)
    assert linked.in_reply_to == iid(project_id, "root")
    # ... stored in the same save as the parent: the very next position.
    positions = {
        (n.originator_id, n.originator_version): n.id
        for n in ledger.recorder.select_notifications(1, 1000)
    }
    root_recorded = positions[(iid(project_id, "root"), 1)]
    assert positions[(iid(project_id, "parent"), 2)] == root_recorded + 1

    # Running either import again adds nothing.
    before = head(ledger)
    again_first = run(ledger, project_id, PARENT)
    again_second = run(ledger, project_id, ROOT, by=DEV)
    assert head(ledger) == before
    assert (again_first.duplicates, again_second.duplicates) == (1, 1)
    assert (again_first.replies_relinked, again_second.replies_relinked) == (0, 0)
    assert reply_of(ledger, project_id, "parent") == iid(project_id, "root")


@pytest.mark.parametrize(
    "order",
    [("child", "parent", "root"), ("child", "root", "parent"), ("parent", "child", "root")],
)
def test_a_grandchild_chain_in_three_runs_ends_whole(
    ledger: Ledger, order: tuple[str, ...]
) -> None:
    """Each run links what it can; a nearer ancestor arriving later replaces a farther link."""
    project_id = open_project(ledger)
    messages = {"root": ROOT, "parent": PARENT, "child": CHILD}
    for name in order:
        run(ledger, project_id, messages[name])
    assert reply_of(ledger, project_id, "root") is None
    assert reply_of(ledger, project_id, "parent") == iid(project_id, "root")
    assert reply_of(ledger, project_id, "child") == iid(project_id, "parent")
    assert _waiting(ledger) == 0  # nothing is left waiting once every link is the parent


def test_the_nearest_ancestor_first_then_the_parent(ledger: Ledger) -> None:
    project_id = open_project(ledger)
    run(ledger, project_id, CHILD)
    second = run(ledger, project_id, ROOT)
    assert second.replies_relinked == 1
    assert reply_of(ledger, project_id, "child") == iid(project_id, "root")  # the best known
    third = run(ledger, project_id, PARENT)
    assert third.replies_relinked == 1
    assert third.replies_linked == 1  # parent itself, to root, when recorded
    assert reply_of(ledger, project_id, "child") == iid(project_id, "parent")
    kinds = [type(e).__name__ for e in events_of(ledger, iid(project_id, "child"))]
    assert kinds == ["Recorded", "ThreadLinked", "ThreadLinked"]
    # A farther ancestor never replaces a nearer link: importing root again changes nothing.
    before = head(ledger)
    run(ledger, project_id, ROOT)
    assert head(ledger) == before


def test_within_one_run_nothing_is_linked_late(ledger: Ledger) -> None:
    project_id = open_project(ledger)
    summary = run(ledger, project_id, CHILD, PARENT, ROOT)
    assert (summary.replies_linked, summary.replies_relinked) == (2, 0)
    kinds = {type(e).__name__ for e in events_of(ledger, iid(project_id, "child"))}
    assert kinds == {"Recorded"}
    assert _waiting(ledger) == 0


def test_headers_that_make_a_loop_across_runs_do_not(ledger: Ledger) -> None:
    project_id = open_project(ledger)
    a = message("a", parent="b", refs=["b"], minutes=0)
    b = message("b", parent="a", refs=["a"], minutes=1)
    run(ledger, project_id, a)
    summary = run(ledger, project_id, b)  # b answers a (stored); a may not now answer b
    assert (summary.imported, summary.replies_linked, summary.replies_relinked) == (1, 1, 0)
    assert reply_of(ledger, project_id, "b") == iid(project_id, "a")
    assert reply_of(ledger, project_id, "a") is None


def test_a_retracted_reply_is_not_linked(ledger: Ledger) -> None:
    project_id = open_project(ledger)
    run(ledger, project_id, PARENT)
    ledger.retract_interaction(PM, project_id, iid(project_id, "parent"), reason="wrong project")
    summary = run(ledger, project_id, ROOT)
    assert (summary.imported, summary.replies_relinked) == (1, 0)
    assert reply_of(ledger, project_id, "parent") is None


def test_many_replies_waiting_for_one_parent(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More waiting replies than one save takes: the first in the parent's save, the rest
    right after."""
    project_id = open_project(ledger)
    replies = [message(f"r{i}", parent="root", refs=["root"], minutes=i + 1) for i in range(25)]
    first = import_emails(ledger, project_id, PM, Messages(replies), batch_size=10)
    assert first.replies_unlinked == 25
    monkeypatch.setattr(emails, "MAX_BATCH", 10)  # so that 25 links need three saves
    second = run(ledger, project_id, ROOT)
    assert second.replies_relinked == 25
    assert all(reply_of(ledger, project_id, f"r{i}") == iid(project_id, "root") for i in range(25))
    assert _waiting(ledger) == 0


def test_a_remembered_reply_that_was_never_stored_is_skipped(ledger: Ledger) -> None:
    """An import interrupted after remembering a batch's replies, before storing its events."""
    project_id = open_project(ledger)
    with DocumentStore(ledger.storage) as documents:
        ThreadWaits(documents.db).wait(
            project_id, [(iid(project_id, "parent"), [iid(project_id, "root")])]
        )
    summary = run(ledger, project_id, ROOT)
    assert (summary.imported, summary.replies_relinked) == (1, 0)
    resumed = run(ledger, project_id, PARENT)  # its parent is there now: linked when recorded
    assert (resumed.replies_linked, resumed.replies_relinked) == (1, 0)
    assert reply_of(ledger, project_id, "parent") == iid(project_id, "root")


def _waiting(ledger: Ledger) -> int:
    db = SqlDatabase(ledger.storage)
    try:
        ThreadWaits(db)
        return int(db.query(f"SELECT COUNT(*) FROM {TABLE}")[0][0])
    finally:
        db.close()


# ----------------------------------------------------------------------- the commands


def two_emails(ledger: Ledger, project_id: UUID) -> tuple[UUID, UUID]:
    def record(subject: str, sender: str) -> UUID:
        return ledger.record_interaction(
            PM,
            project_id,
            channel="email",
            subject=subject,
            summary="",
            from_address=sender,
            to=[PM],
        ).id

    return record("Re: plan", SPONSOR), record("Plan", PM)


def test_link_reply_records_a_thread_link_by_any_member_who_records(ledger: Ledger) -> None:
    project_id = open_project(ledger)
    reply, plan = two_emails(ledger, project_id)
    result = ledger.link_reply(SPONSOR, project_id, reply, in_reply_to=plan)
    assert result.version == 2
    assert result.position > 0
    linked = events_of(ledger, reply)[-1]
    assert isinstance(linked, Interaction.ThreadLinked)
    assert linked.actor == SPONSOR
    assert ledger.get_interaction(project_id, reply).in_reply_to == plan
    with pytest.raises(NotPermittedError):
        ledger.link_reply(AUDITOR, project_id, plan, in_reply_to=reply)


@pytest.mark.parametrize(
    ("case", "error", "match"),
    [
        ("self", InvalidInputError, "itself"),
        ("same", InvalidInputError, "already replies"),
        ("loop", InvalidInputError, "loop"),
        ("unknown", InvalidInputError, "in_reply_to: there is no interaction"),
        ("retracted", InvalidTransitionError, "retracted"),
    ],
)
def test_link_reply_refusals(ledger: Ledger, case: str, error: type[Exception], match: str) -> None:
    project_id = open_project(ledger)
    reply, plan = two_emails(ledger, project_id)
    ledger.link_reply(PM, project_id, reply, in_reply_to=plan)
    target = {"self": reply, "same": plan, "unknown": UUID(int=7)}.get(case, plan)
    subject = plan if case == "loop" else reply
    if case == "loop":
        target = reply  # plan answering its own reply
    if case == "retracted":
        other = ledger.record_interaction(
            PM, project_id, channel="phone", subject="Call", summary="", from_address=PM
        ).id
        ledger.retract_interaction(PM, project_id, reply, reason="wrong project")
        target = other
    before = head(ledger)
    with pytest.raises(error, match=match):
        ledger.link_reply(PM, project_id, subject, in_reply_to=target)
    assert head(ledger) == before


def test_record_interactions_links_name_the_bad_link(ledger: Ledger) -> None:
    project_id = open_project(ledger)
    reply, plan = two_emails(ledger, project_id)
    item = {"channel": "email", "subject": "New", "from_address": PM, "source_ref": "n@x.test"}
    new_id = interaction_id_for_source(project_id, "n@x.test")
    for links, match in (
        ([(reply,)], r"links\[0\]"),
        ([(UUID(int=9), plan)], r"links\[0\]: there is no interaction"),
        ([(reply, plan), (reply, new_id)], r"links\[1\]: .* linked twice"),
        ([(plan, reply), (reply, plan)], r"links\[0\].in_reply_to: .*loop"),
    ):
        before = head(ledger)
        with pytest.raises(InvalidInputError, match=match):
            ledger.record_interactions(PM, project_id, [item], links=links)  # type: ignore[arg-type]
        assert head(ledger) == before  # nothing of the batch either
    # A reply linked to a message of the same batch, in the same save.
    results = ledger.record_interactions(PM, project_id, [item], links=[(reply, new_id)])
    assert results[0].id == new_id
    assert results[0].position > 0
    assert ledger.get_interaction(project_id, reply).in_reply_to == new_id
    assert ledger.get_interaction(project_id, reply).version == 2


def test_many_orphans_in_one_run_then_their_parents(ledger: Ledger) -> None:
    """Replies whose parents are in the next run, each with its own reply met before it."""
    project_id = open_project(ledger)
    first_run = []
    for i in range(20):
        first_run.append(message(f"c{i}", parent=f"o{i}", refs=[f"m{i}", f"o{i}"], minutes=3))
        first_run.append(message(f"o{i}", parent=f"m{i}", refs=[f"m{i}"], minutes=2))
    first = import_emails(ledger, project_id, PM, Messages(first_run), batch_size=7)
    assert (first.imported, first.replies_linked, first.replies_unlinked) == (40, 20, 20)
    assert all(reply_of(ledger, project_id, f"c{i}") == iid(project_id, f"o{i}") for i in range(20))
    parents = [message(f"m{i}", minutes=1) for i in range(20)]
    second = import_emails(ledger, project_id, DEV, Messages(parents), batch_size=7)
    assert second.replies_relinked == 20
    assert all(reply_of(ledger, project_id, f"o{i}") == iid(project_id, f"m{i}") for i in range(20))
    assert all(reply_of(ledger, project_id, f"c{i}") == iid(project_id, f"o{i}") for i in range(20))
    assert _waiting(ledger) == 0
