"""Importing email (a folder of .eml files, an mbox) into a project, on SQLite and PostgreSQL.

The corpus in tests/data/email/ holds real-world-shaped messages; expected.json says what must
become of each (see tests/data/email/README.md)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import OperationalError

from ledger.domain.errors import InvalidInputError, NotPermittedError
from ledger.domain.interaction import Interaction, interaction_id_for_source
from ledger.domain.project import NotAMemberError
from ledger.interchange.importing import (
    EmailImportSummary,
    EmlFiles,
    Mbox,
    Messages,
    Outcome,
    import_emails,
)
from ledger.service.application import Ledger
from ledger.storage.documents import DocumentStore

DATA = Path(__file__).resolve().parent.parent / "data" / "email"
EML = DATA / "eml"
EXPECTED: dict[str, Any] = json.loads((DATA / "expected.json").read_text(encoding="utf-8"))

PM = "pm@team.test"
DEV = "dev@team.test"
SPONSOR = "sponsor@client.test"
OPS = "ops@client.test"
AUDITOR = "auditor@pmo.test"


def open_project(ledger: Ledger) -> UUID:
    project_id = ledger.open_project(PM, name="Checkout", client_org="Client", team_org="Team").id
    for email, party, role in (
        (DEV, "team", "team_member"),
        (SPONSOR, "client", "client_approver"),
        (OPS, "client", "client_member"),
        (AUDITOR, "third_party", "auditor"),
    ):
        ledger.add_member(PM, project_id, email=email, name=email, party=party, role=role)
    return project_id


@pytest.fixture
def documents(ledger: Ledger) -> Iterator[DocumentStore]:
    store = DocumentStore(ledger.storage)
    try:
        yield store
    finally:
        store.close()


def by_file(summary: EmailImportSummary) -> dict[str, Any]:
    return {Path(r.where).name: r for r in summary.results}


def position(ledger: Ledger) -> int:
    return ledger.recorder.max_notification_id() or 0


# ---------------------------------------------------------------------------- the corpus


def test_a_folder_of_eml_files_imports_as_expected(
    ledger: Ledger, documents: DocumentStore
) -> None:
    project_id = open_project(ledger)
    summary = import_emails(ledger, project_id, PM, EmlFiles([EML]), documents=documents)
    results = by_file(summary)
    files = sorted(name for name in EXPECTED if not name.startswith("_"))
    assert sorted(results) == files

    ids = {name: r.interaction_id for name, r in results.items()}
    for name in files:
        expected, result = EXPECTED[name], results[name]
        assert result.outcome == expected["outcome"], (name, result)
        if result.outcome is Outcome.REJECTED:
            assert expected["reason_contains"] in result.reason, (name, result.reason)
            continue
        if result.outcome is Outcome.DUPLICATE:
            assert result.interaction_id == ids[expected["same_as"]]
            continue
        interaction = ledger.get_interaction(project_id, result.interaction_id)
        check_interaction(name, expected, interaction, ids, documents)
        notes = [note for where, note in summary.notes if Path(where).name == name]
        if "note_contains" in expected:
            assert any(expected["note_contains"] in note for note in notes), (name, notes)

    assert summary.messages == len(files)
    assert summary.imported == sum(EXPECTED[f]["outcome"] == "imported" for f in files)
    assert summary.duplicates == 1
    assert len(summary.rejected) == 4
    assert summary.attachments == 3
    assert summary.replies_linked == 4  # 02, 03, 12a, and 13 through its References
    assert summary.replies_unlinked == 0
    assert {"victor@supplier.test", "rene.lefevre@supplier.test"} <= summary.external_addresses
    assert {PM, DEV, SPONSOR, OPS} <= summary.members
    assert not summary.members & summary.external_addresses


def check_interaction(
    name: str,
    expected: dict[str, Any],
    interaction: Interaction,
    ids: dict[str, UUID],
    documents: DocumentStore,
) -> None:
    original = (EML / name).read_bytes()
    assert interaction.channel == "email"
    assert interaction.recorded_by == PM
    # The original is kept byte for byte, and found by the digest the event names.
    assert interaction.body_sha256 == hashlib.sha256(original).hexdigest()
    assert documents.get(interaction.body_sha256) == original
    info = documents.info(interaction.body_sha256)
    assert info is not None
    assert (info.media_type, info.filename) == ("message/rfc822", name)
    simple = {
        "subject": "subject",
        "from": "from_address",
        "attributed_to": "recorded_for",
        "source_ref": "source_ref",
    }
    for key, attribute in simple.items():
        if key in expected:
            assert getattr(interaction, attribute) == expected[key], (name, key)
    for key in ("to", "cc"):
        if key in expected:
            assert list(getattr(interaction, key)) == expected[key], (name, key)
    if "occurred_at" in expected:
        assert interaction.occurred_at == datetime.fromisoformat(expected["occurred_at"])
    if "in_reply_to" in expected:
        parent = expected["in_reply_to"]
        assert interaction.in_reply_to == (ids[parent] if parent else None), name
    if "summary_contains" in expected:
        assert expected["summary_contains"] in interaction.summary, (name, interaction.summary)
    if "summary_lacks" in expected:
        assert expected["summary_lacks"] not in interaction.summary
    if "attachments" in expected:
        kept = interaction.attachments
        assert [(a.name, a.media_type) for a in kept] == [
            (a["name"], a["media_type"]) for a in expected["attachments"]
        ]
        for attachment, wanted in zip(kept, expected["attachments"], strict=True):
            data = documents.get(attachment.sha256)
            assert data is not None
            assert attachment.size == len(data)
            if "file" in wanted:
                assert data == (DATA / wanted["file"]).read_bytes()
            if "contains" in wanted:
                assert wanted["contains"].encode() in data


def test_reimport_records_nothing_new(ledger: Ledger, documents: DocumentStore) -> None:
    project_id = open_project(ledger)
    first = import_emails(ledger, project_id, PM, EmlFiles([EML]), documents=documents)
    events, stored = position(ledger), documents.count()

    again = import_emails(ledger, project_id, PM, EmlFiles([EML]), documents=documents)
    assert position(ledger) == events
    assert documents.count() == stored
    assert again.imported == 0
    assert again.duplicates == first.imported + first.duplicates
    assert len(again.rejected) == len(first.rejected)
    # Every message keeps its id: the same message is the same interaction.
    assert [r.interaction_id for r in again.results] == [r.interaction_id for r in first.results]


def test_a_message_without_message_id_is_recognised_by_its_bytes(ledger: Ledger) -> None:
    project_id = open_project(ledger)
    data = (EML / "08-no-message-id.eml").read_bytes()
    first = import_emails(ledger, project_id, PM, Messages([("a.eml", data)]))
    second = import_emails(ledger, project_id, PM, Messages([("copy.eml", data)]))
    assert (first.imported, second.duplicates) == (1, 1)
    assert second.results[0].interaction_id == first.results[0].interaction_id
    altered = data.replace(b"Monday", b"Tuesday")
    third = import_emails(ledger, project_id, PM, Messages([("edited.eml", altered)]))
    assert third.imported == 1  # other bytes: another message


def test_an_mbox_imports_with_threads_rebuilt(ledger: Ledger, documents: DocumentStore) -> None:
    project_id = open_project(ledger)
    summary = import_emails(ledger, project_id, PM, Mbox(DATA / "project.mbox"))
    outcomes = [(r.where, r.outcome) for r in summary.results]
    assert outcomes == [
        ("project.mbox #1", Outcome.IMPORTED),
        ("project.mbox #2", Outcome.IMPORTED),
        ("project.mbox #3", Outcome.IMPORTED),
        ("project.mbox #4", Outcome.IMPORTED),
        ("project.mbox #5", Outcome.DUPLICATE),
    ]

    def interaction(message_id: str) -> Interaction:
        return ledger.get_interaction(project_id, interaction_id_for_source(project_id, message_id))

    root = interaction("kickoff@mail.client.test")
    second = interaction("kickoff-2@mail.client.test")
    third = interaction("kickoff-3@team.test")  # came before its parent in the file
    assert (root.in_reply_to, second.in_reply_to, third.in_reply_to) == (None, root.id, second.id)
    undated = interaction("undated-in-mbox@team.test")
    assert undated.occurred_at == datetime.fromisoformat("2026-04-07T08:15:00+00:00")
    # The original: the message as it stands in the mbox, without its separator line.
    original = documents.get(root.body_sha256 or "")
    assert original is not None
    assert original.startswith(b"From: sponsor@client.test\n")
    assert original.endswith(b">From the client's side, three people will attend.\n")
    assert summary.replies_linked == 2


def test_mbox_bytes_and_messages_import_like_files(ledger: Ledger) -> None:
    project_id = open_project(ledger)
    data = (DATA / "project.mbox").read_bytes()
    summary = import_emails(ledger, project_id, PM, Mbox(data, name="upload.mbox"))
    assert (summary.imported, summary.duplicates) == (4, 1)
    assert summary.results[0].where == "upload.mbox #1"
    again = import_emails(ledger, project_id, PM, Mbox(DATA / "project.mbox"))
    assert (again.imported, again.duplicates) == (0, 5)


def test_a_reply_to_an_earlier_import_links_to_it(ledger: Ledger) -> None:
    project_id = open_project(ledger)
    import_emails(ledger, project_id, PM, EmlFiles([EML / "01-plain.eml"]))
    summary = import_emails(ledger, project_id, PM, EmlFiles([EML / "02-alternative-reply.eml"]))
    reply = ledger.get_interaction(project_id, summary.results[0].interaction_id)
    parent_id = interaction_id_for_source(project_id, "CAF1.wireframes@mail.client.test")
    assert reply.in_reply_to == parent_id
    assert summary.replies_linked == 1


def test_a_reply_whose_thread_is_unknown_starts_one(ledger: Ledger) -> None:
    project_id = open_project(ledger)
    summary = import_emails(ledger, project_id, PM, EmlFiles([EML / "13-orphan-reply.eml"]))
    assert summary.imported == 1
    assert (summary.replies_linked, summary.replies_unlinked) == (0, 1)
    reply = ledger.get_interaction(project_id, summary.results[0].interaction_id)
    assert reply.in_reply_to is None


def test_only_members_who_record_may_import(ledger: Ledger) -> None:
    project_id = open_project(ledger)
    before = position(ledger)
    with pytest.raises(NotAMemberError):
        import_emails(ledger, project_id, "stranger@else.test", EmlFiles([EML]))
    with pytest.raises(NotPermittedError):
        import_emails(ledger, project_id, AUDITOR, EmlFiles([EML]))
    assert position(ledger) == before


# ----------------------------------------------------------------------- interruptions


class Crash(OperationalError):
    """Stands for the process being killed, or the database going away (a failure of the
    database, not of a message: it stops the import rather than refusing messages)."""


def test_an_interrupted_import_leaves_whole_messages_and_resumes(
    ledger: Ledger, documents: DocumentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    project_id = open_project(ledger)
    real = ledger.record_interactions
    calls = {"n": 0}

    def crash_on_third_batch(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 3:  # the batch's documents are stored; its events are not
            raise Crash()
        return real(*args, **kwargs)

    monkeypatch.setattr(ledger, "record_interactions", crash_on_third_batch)
    with pytest.raises(Crash):
        import_emails(ledger, project_id, PM, EmlFiles([EML]), documents=documents, batch_size=3)
    monkeypatch.undo()

    recorded = recorded_interactions(ledger, project_id)
    assert len(recorded) == 6  # two whole batches, nothing of the third
    for interaction in recorded:  # every recorded message has its original and attachments
        assert documents.has(interaction.body_sha256 or "")
        assert all(documents.has(a.sha256) for a in interaction.attachments)
        if interaction.in_reply_to is not None:
            assert interaction.in_reply_to in {i.id for i in recorded}

    resumed = import_emails(ledger, project_id, PM, EmlFiles([EML]), documents=documents)
    assert resumed.duplicates == 6 + 1  # the six recorded before the crash, and file 11
    assert resumed.imported == EXPECTED_IMPORTED - 6
    final = {i.id: i.in_reply_to for i in recorded_interactions(ledger, project_id)}
    assert len(final) == EXPECTED_IMPORTED
    ids = {Path(r.where).name: r.interaction_id for r in resumed.results}
    assert final[ids["12a-reply-before-parent.eml"]] == ids["12b-parent-after-reply.eml"]
    assert final[ids["13-orphan-reply.eml"]] == ids["01-plain.eml"]


EXPECTED_IMPORTED = sum(v.get("outcome") == "imported" for v in EXPECTED.values())


def recorded_interactions(ledger: Ledger, project_id: UUID) -> list[Interaction]:
    topic = "ledger.interaction:Interaction.Recorded"
    found = []
    for notification in ledger.recorder.select_notifications(1, 10_000, topics=[topic]):
        interaction = ledger.repository.get(notification.originator_id)
        assert isinstance(interaction, Interaction)
        if interaction.project_id == project_id:
            found.append(interaction)
    return found


def test_a_message_the_ledger_refuses_is_rejected_alone(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Should the ledger refuse one item of a batch (the importer's own checks missed it), that
    message is rejected with the ledger's reason, the others are recorded, and replies to it
    fall back to their nearest known ancestor."""
    project_id = open_project(ledger)
    real = ledger.record_interactions
    refused: list[str] = []

    def refuse_the_second_reply(
        actor: str, pid: UUID, items: list[dict[str, Any]], **kwargs: Any
    ) -> Any:
        for i, item in enumerate(items):
            if item.get("source_ref") == "20260302100210.GA1@team.test" and not refused:
                refused.append(item["source_ref"])
                raise InvalidInputError(f"items[{i}].subject", "refused for the test")
        return real(actor, pid, items, **kwargs)

    monkeypatch.setattr(ledger, "record_interactions", refuse_the_second_reply)
    files = [EML / n for n in ("01-plain.eml", "02-alternative-reply.eml", "03-attachments.eml")]
    summary = import_emails(ledger, project_id, PM, EmlFiles(files))
    outcomes = {Path(r.where).name: (r.outcome, r.reason) for r in summary.results}
    assert outcomes == {
        "01-plain.eml": (Outcome.IMPORTED, None),
        "02-alternative-reply.eml": (Outcome.REJECTED, "subject: refused for the test"),
        "03-attachments.eml": (Outcome.IMPORTED, None),
    }
    reply = ledger.get_interaction(project_id, summary.results[2].interaction_id or UUID(int=0))
    assert reply.in_reply_to == summary.results[0].interaction_id  # 01, through References


def test_the_same_messages_imported_twice_at_once_are_stored_once(
    ledger: Ledger, database_url: str
) -> None:
    """Two imports of one mailbox at the same time (an upload sent twice), each opening the
    ledger as a process would: whichever saves a message first stores it, the other finds it
    stored (``record_interactions`` saves again, skipping it, when its save conflicts). Both
    finish; every message is stored once, imported by exactly one of them."""
    import threading

    project_id = open_project(ledger)
    messages = [
        (
            f"m{i}.eml",
            (
                f"From: {SPONSOR}\r\nTo: {PM}\r\nSubject: Note {i}\r\n"
                f"Message-ID: <race-{i}@client.test>\r\n"
                + (f"In-Reply-To: <race-{i - 1}@client.test>\r\n" if i % 3 else "")
                + f"Date: Mon, 2 Mar 2026 10:{i % 60:02d}:00 +0000\r\n\r\nBody {i}\r\n"
            ).encode(),
        )
        for i in range(300)
    ]
    summaries: list[Any] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def run() -> None:
        try:
            other = Ledger(database_url)
        except BaseException as e:
            errors.append(e)
            start.abort()
            return
        try:
            start.wait(timeout=30)
            summaries.append(
                import_emails(other, project_id, PM, Messages(messages), batch_size=10)
            )
        except BaseException as e:
            errors.append(e)
        finally:
            other.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert len(summaries) == 2
    assert sum(s.imported for s in summaries) == 300
    assert sum(s.duplicates for s in summaries) == 300
    assert all(not s.rejected for s in summaries)
    stored = [
        ledger.get_interaction(
            project_id, interaction_id_for_source(project_id, f"race-{i}@client.test")
        )
        for i in range(300)
    ]
    assert [i.subject for i in stored] == [f"Note {i}" for i in range(300)]
    assert all(i.version == 1 for i in stored)
