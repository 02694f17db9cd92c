"""The awkward corpus (tests/awkward_mail.py) imported on SQLite and PostgreSQL: nothing
crashes, every bounce and archive message is recorded, every distinct original is kept byte
for byte, a re-import adds nothing, and bounces reach the audit trail and the open items."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import orjson
from eventsourcing.persistence import StoredEvent
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.domain.interaction import Interaction, interaction_id_for_source
from ledger.domain.values import Source, SourceKind
from ledger.interchange.importing import (
    Mbox,
    Messages,
    Outcome,
    import_emails,
    import_message,
)
from ledger.service.application import Ledger
from ledger.storage.documents import DocumentStore
from projections import queries as q
from projections.asof import LiveViews, replay
from projections.runner import ProjectionRunner
from tests.awkward_mail import ORIGINAL, PM, SPONSOR, corpus, mbox_of

DEV = "dev@team.test"
CORPUS = corpus()


def open_project(ledger: Ledger) -> UUID:
    project_id = ledger.open_project(PM, name="Mail", client_org="C", team_org="T").id
    ledger.add_member(PM, project_id, email=DEV, name="Dev", party="team", role="team_member")
    ledger.add_member(
        PM, project_id, email=SPONSOR, name="Sue", party="client", role="client_approver"
    )
    return project_id


def test_the_awkward_corpus_imports_whole_and_once(
    ledger: Ledger, runner: ProjectionRunner, live: LiveViews
) -> None:
    project_id = open_project(ledger)
    summary = import_emails(ledger, project_id, PM, Messages([(n, d) for n, d, _ in CORPUS]))
    outcomes = {r.where: r for r in summary.results}
    assert summary.rejected == []
    for name, _, expected in CORPUS:
        result = outcomes[name]
        assert result.outcome == expected["outcome"], (name, result)
        assert result.interaction_id is not None
        interaction = ledger.get_interaction(project_id, result.interaction_id)
        if expected["outcome"] == "imported":
            assert interaction.body_sha256 is not None
        if "from" in expected:
            assert interaction.from_address == expected["from"]
        if "subject" in expected:
            assert interaction.subject == expected["subject"]
        names = {n.address: n.name for n in interaction.display_names}
        for address, display in expected.get("names", {}).items():
            assert names[address] == display
        if "bounce" in expected:
            assert interaction.delivery_failure is not None
            assert [r.address for r in interaction.delivery_failure.failed] == expected["bounce"]
    counts = (summary.imported, summary.duplicates, summary.variants, len(summary.rejected))
    assert counts == (len(CORPUS) - 1, 0, 1, 0)
    assert summary.delivery_failures == 5

    # Every distinct original is kept, byte for byte, and named by an event.
    original = ledger.get_interaction(
        project_id, interaction_id_for_source(project_id, "plan-1@team.test")
    )
    variant = next(d for n, d, _ in CORPUS if n.startswith("13-"))
    with DocumentStore(ledger.storage) as documents:
        for _, data, _ in CORPUS:
            assert documents.get(_sha(data)) == data
    assert original.body_sha256 == _sha(ORIGINAL)
    assert original.variants == (_sha(variant),)

    # Bounces whose original is on record link to it.
    dsn = ledger.get_interaction(project_id, outcomes["14-bounce-rfc3464.eml"].interaction_id)  # type: ignore[arg-type]
    assert dsn.delivery_failure is not None
    assert dsn.delivery_failure.original_interaction_id == original.id
    assert dsn.in_reply_to == original.id

    # The audit trail tells the bounce and the variant; the views agree with a replay.
    runner.catch_up()
    project = str(project_id)
    trail, _ = q.audit(live, project, q.AuditFilter(subject=str(dsn.id)))
    assert trail[0]["narrative"].startswith(
        "delivery failure of message plan-1@team.test: could not be delivered to "
        "gone@client.test (5.1.1)"
    )
    kept, _ = q.audit(live, project, q.AuditFilter(subject=str(original.id)))
    assert [r["type"] for r in kept] == ["Interaction.Recorded", "Interaction.VariantRecorded"]
    now = datetime.now(UTC)
    assert q.open_items(replay(runner, project), project, now) == q.open_items(live, project, now)

    # Again: nothing new. As an mbox (LF line ends: other bytes), every message is a variant
    # or a message without Message-ID; again as an mbox: nothing new.
    top = ledger.recorder.max_notification_id() or 0
    again = import_emails(ledger, project_id, PM, Messages([(n, d) for n, d, _ in CORPUS]))
    assert (again.imported, again.variants, again.duplicates) == (0, 0, len(CORPUS))
    assert ledger.recorder.max_notification_id() == top
    mbox = mbox_of([d for _, d, _ in CORPUS])
    as_mbox = import_emails(ledger, project_id, DEV, Mbox(mbox))
    assert as_mbox.rejected == []
    assert as_mbox.messages == len(CORPUS)
    top = ledger.recorder.max_notification_id() or 0
    once_more = import_emails(ledger, project_id, DEV, Mbox(mbox))
    assert (once_more.imported, once_more.variants) == (0, 0)
    assert ledger.recorder.max_notification_id() == top


def test_a_commitment_whose_message_bounced_is_an_open_item(
    ledger: Ledger, runner: ProjectionRunner, live: LiveViews
) -> None:
    project_id = open_project(ledger)
    project = str(project_id)
    first = import_message(ledger, project_id, PM, ORIGINAL, where="plan.eml")
    commitment = ledger.make_commitment(
        PM,
        project_id,
        promisor=PM,
        promisee=SPONSOR,
        statement="Wireframes by Friday",
        source=Source(kind=SourceKind.INTERACTION, id=first.interaction_id),
    ).id
    dsn = next(d for n, d, _ in CORPUS if n.startswith("14-"))
    bounce = import_message(ledger, project_id, PM, dsn, where="bounce.eml")
    assert bounce.outcome is Outcome.IMPORTED
    runner.catch_up()
    now = datetime.now(UTC)
    items = [i for i in q.open_items(live, project, now) if i["kind"] == "undelivered"]
    assert [(i["id"], i["ball_in_court"]["person"]) for i in items] == [
        (f"undelivered:{bounce.interaction_id}:{commitment}", PM)
    ]
    assert "gone@client.test (5.1.1)" in items[0]["title"]
    assert q.open_items(replay(runner, project), project, now) == q.open_items(live, project, now)

    ledger.acknowledge_commitment(SPONSOR, project_id, commitment)  # the promisee has it
    runner.catch_up()
    assert [i for i in q.open_items(live, project, now) if i["kind"] == "undelivered"] == []


def test_interactions_recorded_before_display_names_and_bounces_still_read(
    ledger: Ledger,
) -> None:
    project_id = open_project(ledger)
    recorded = ledger.record_interaction(
        PM, project_id, channel="phone", subject="Call", summary="ok", from_address=PM
    )
    (notification,) = [
        n
        for n in ledger.recorder.select_notifications(start=1, limit=1000)
        if n.originator_id == recorded.id
    ]
    state = orjson.loads(notification.state)
    for name in ("display_names", "delivery_failure", "class_version"):
        state.pop(name, None)
    old = StoredEvent(
        originator_id=notification.originator_id,
        originator_version=notification.originator_version,
        topic=notification.topic,
        state=orjson.dumps(state),
    )
    event = ledger.mapper.to_domain_event(old)
    assert isinstance(event, Interaction.Recorded)
    assert (event.display_names, event.delivery_failure) == ((), None)


_HOSTILE = st.lists(
    st.binary(max_size=80)
    | st.sampled_from([b"\xe9", b"\x00", "Señor".encode("latin-1"), b"=?utf-8?B?w6k=?="]),
    min_size=1,
    max_size=6,
)


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(parts=_HOSTILE)
def test_hostile_messages_are_recorded_or_refused_alone(ledger: Ledger, parts: list[bytes]) -> None:
    """Each generated message holds raw bytes in its From display name, subject and body; a
    good message rides in the same batch and must always be recorded."""
    project_id = _project(ledger)
    messages = []
    for i, junk in enumerate(parts):
        messages.append(
            (
                f"hostile-{i}",
                b"From: " + junk.replace(b"\n", b" ") + b" <x@y.test>\r\nDate: Mon, 2 Mar 2026 "
                b"09:00:00 +0100\r\nSubject: " + junk + b"\r\n\r\n" + junk,
            )
        )
    good = ORIGINAL.replace(b"plan-1", f"good-{len(parts)}-{hash(tuple(parts))}".encode())
    messages.append(("good", good))
    summary = import_emails(ledger, project_id, PM, Messages(messages), batch_size=3)
    assert summary.result_for("good").outcome in (Outcome.IMPORTED, Outcome.DUPLICATE)
    for result in summary.results:
        assert result.outcome is not Outcome.REJECTED or result.reason
        if result.interaction_id is not None:
            interaction = ledger.get_interaction(project_id, result.interaction_id)
            for text in (interaction.subject, interaction.summary):
                text.encode("utf-8")


_PROJECTS: dict[int, UUID] = {}


def _project(ledger: Ledger) -> UUID:
    """One project per ledger across the generated examples (opening one each is slow)."""
    key = id(ledger)
    if key not in _PROJECTS:
        _PROJECTS[key] = open_project(ledger)
    return _PROJECTS[key]


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()
