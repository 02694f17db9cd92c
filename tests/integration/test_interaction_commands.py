"""Interaction commands against real storage (SQLite and PostgreSQL), including the batch
import path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from ledger.domain.errors import InvalidInputError, NotPermittedError
from ledger.domain.interaction import (
    Interaction,
    InteractionChannel,
    InteractionCorrection,
    InteractionNotFoundError,
    interaction_id_for_source,
)
from ledger.domain.project import NotAMemberError
from ledger.service.application import Ledger, VersionMismatchError
from tests.builders import AUDITOR, DEV, PM, SPONSOR, positions, project_with_members

OUTSIDER = "vendor@elsewhere.test"


def email(n: int, **overrides: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "channel": "email",
        "subject": f"Message {n}",
        "summary": "",
        "from_address": SPONSOR,
        "to": [PM, OUTSIDER],
        "body_sha256": f"{n:064x}",
        "attachments": [{"name": f"a{n}.pdf", "sha256": "cd" * 32, "size": n}],
        "source_ref": f"<msg-{n}@mail.client.test>",
        "occurred_at": datetime(2026, 3, 1, 9, 0, tzinfo=UTC) + timedelta(minutes=n),
    }
    item.update(overrides)
    return item


def test_recorded_interaction_is_stored_and_read_back(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    when = datetime.now(UTC) - timedelta(hours=3)
    first = ledger.record_interaction(
        PM,
        project_id,
        channel="phone",
        subject="Budget call",
        summary="Client asked about the budget",
        from_address=SPONSOR,
        participants=[PM, SPONSOR],
        occurred_at=when,
        attributed_to=DEV,
    )
    assert first.version == 1
    assert first.position == positions(ledger)
    stored = ledger.get_interaction(project_id, first.id)
    assert (stored.channel, stored.occurred_at, stored.participants) == (
        InteractionChannel.PHONE,
        when,
        (PM, SPONSOR),
    )
    (event,) = ledger.events.get(first.id)
    assert isinstance(event, Interaction.Recorded)
    assert (event.actor, event.attributed_to) == (PM, DEV)
    reply = ledger.record_interaction(
        SPONSOR,
        project_id,
        channel=InteractionChannel.EMAIL,
        subject="Re: Budget call",
        summary="",
        from_address=SPONSOR,
        to=[PM],
        in_reply_to=first.id,
    )
    assert ledger.get_interaction(project_id, reply.id).in_reply_to == first.id


def test_the_same_message_id_is_stored_once(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    kwargs: dict[str, Any] = {
        "channel": "email",
        "subject": "Hello",
        "summary": "",
        "from_address": SPONSOR,
        "to": [PM],
        "source_ref": "<abc@mail.test>",
    }
    first = ledger.record_interaction(PM, project_id, **kwargs)
    assert first.id == interaction_id_for_source(project_id, "abc@mail.test")
    stored = positions(ledger)
    again = ledger.record_interaction(DEV, project_id, **{**kwargs, "source_ref": "abc@mail.test"})
    assert (again.id, again.version, again.position) == (first.id, 1, 0)
    assert positions(ledger) == stored


def test_the_same_idempotency_key_is_stored_once(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    kwargs: dict[str, Any] = {
        "channel": "im",
        "subject": "",
        "summary": "Quick question on fonts",
        "from_address": SPONSOR,
        "idempotency_key": "k-1",
    }
    first = ledger.record_interaction(PM, project_id, **kwargs)
    stored = positions(ledger)
    again = ledger.record_interaction(PM, project_id, **kwargs)
    assert (again.id, again.position) == (first.id, 0)
    assert positions(ledger) == stored
    other = ledger.record_interaction(PM, project_id, **{**kwargs, "idempotency_key": "k-2"})
    assert other.id != first.id


def test_in_reply_to_must_be_an_interaction_of_the_project(ledger: Ledger) -> None:
    first = project_with_members(ledger)
    second = project_with_members(ledger)
    elsewhere = ledger.record_interaction(
        PM, second, channel="im", subject="s", summary="", from_address=PM
    )
    for target in (elsewhere.id, uuid4(), first):
        with pytest.raises(InvalidInputError, match="in_reply_to"):
            ledger.record_interaction(
                PM,
                first,
                channel="im",
                subject="s",
                summary="",
                from_address=PM,
                in_reply_to=target,
            )


def test_auditors_and_strangers_cannot_record(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    kwargs: dict[str, Any] = {"channel": "im", "subject": "s", "summary": "", "from_address": PM}
    with pytest.raises(NotPermittedError, match="auditor"):
        ledger.record_interaction(AUDITOR, project_id, **kwargs)
    with pytest.raises(NotAMemberError):
        ledger.record_interaction(OUTSIDER, project_id, **kwargs)
    with pytest.raises(NotAMemberError):
        ledger.record_interactions(OUTSIDER, project_id, [email(1)])
    with pytest.raises(NotAMemberError, match="attributed_to"):
        ledger.record_interaction(PM, project_id, attributed_to=OUTSIDER, **kwargs)


def test_correct_and_retract_with_versions_and_roles(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    recorded = ledger.record_interaction(
        DEV, project_id, channel="email", subject="Spec", summary="", from_address=DEV
    )
    when = datetime.now(UTC) - timedelta(days=1)
    with pytest.raises(NotPermittedError):
        ledger.correct_interaction(
            SPONSOR, project_id, recorded.id, changes={"subject": "x"}, reason="r"
        )
    corrected = ledger.correct_interaction(
        DEV,
        project_id,
        recorded.id,
        changes={"subject": "Spec v2", "occurred_at": when, "to": [SPONSOR]},
        reason="typo",
        expected_version=1,
    )
    assert corrected.version == 2
    interaction = ledger.get_interaction(project_id, recorded.id)
    assert (interaction.subject, interaction.occurred_at, interaction.to) == (
        "Spec v2",
        when,
        (SPONSOR,),
    )
    events = list(ledger.events.get(recorded.id))
    assert isinstance(events[1], Interaction.Corrected)
    assert events[1].correction == InteractionCorrection(
        subject="Spec v2", occurred_at=when, to=(SPONSOR,)
    )
    stored = positions(ledger)
    with pytest.raises(VersionMismatchError):
        ledger.retract_interaction(PM, project_id, recorded.id, reason="r", expected_version=1)
    assert positions(ledger) == stored
    retracted = ledger.retract_interaction(PM, project_id, recorded.id, reason="wrong project")
    assert retracted.version == 3  # PM is a team manager
    assert ledger.get_interaction(project_id, recorded.id).retracted


def test_interactions_of_another_project_are_not_found(ledger: Ledger) -> None:
    first = project_with_members(ledger)
    second = project_with_members(ledger)
    recorded = ledger.record_interaction(
        PM, first, channel="im", subject="s", summary="", from_address=PM
    )
    with pytest.raises(InteractionNotFoundError):
        ledger.get_interaction(second, recorded.id)
    with pytest.raises(InteractionNotFoundError):
        ledger.correct_interaction(PM, second, recorded.id, changes={"subject": "x"}, reason="r")
    with pytest.raises(InteractionNotFoundError):
        ledger.retract_interaction(PM, second, recorded.id, reason="r")
    with pytest.raises(InteractionNotFoundError):
        ledger.get_interaction(first, uuid4())


# ------------------------------------------------------------------------------ batch import


def test_batch_import_stores_all_in_one_save(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    before = positions(ledger)
    items = [email(n) for n in range(100)]
    results = ledger.record_interactions(PM, project_id, items)
    assert len(results) == 100
    assert positions(ledger) == before + 100
    assert [r.position for r in results] == list(range(before + 1, before + 101))
    assert {r.version for r in results} == {1}
    assert results[7].id == interaction_id_for_source(project_id, "msg-7@mail.client.test")
    stored = ledger.get_interaction(project_id, results[7].id)
    assert (stored.subject, stored.body_sha256, stored.occurred_at) == (
        "Message 7",
        f"{7:064x}",
        items[7]["occurred_at"],
    )
    assert stored.attachments[0].size == 7


def test_batch_reimport_skips_what_is_stored(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    first = ledger.record_interactions(PM, project_id, [email(n) for n in range(5)])
    before = positions(ledger)
    again = ledger.record_interactions(PM, project_id, [email(n) for n in range(5)])
    assert [r.id for r in again] == [r.id for r in first]
    assert {r.position for r in again} == {0}
    assert positions(ledger) == before
    mixed = ledger.record_interactions(PM, project_id, [email(n) for n in range(3, 8)])
    assert [r.position for r in mixed[:2]] == [0, 0]
    assert [r.position for r in mixed[2:]] == [before + 1, before + 2, before + 3]
    assert positions(ledger) == before + 3


def test_batch_repeats_and_replies_within_the_batch(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    stored_reply_target = ledger.record_interaction(
        PM, project_id, channel="im", subject="s", summary="", from_address=PM
    )
    parent = interaction_id_for_source(project_id, "msg-1@mail.client.test")
    results = ledger.record_interactions(
        PM,
        project_id,
        [
            email(2, in_reply_to=str(parent)),  # replies to a later item of the batch
            email(1),
            email(1),  # repeated: stored once
            email(3, in_reply_to=stored_reply_target.id, attributed_to=DEV),
            {"channel": "phone", "summary": "call", "from_address": SPONSOR},
        ],
    )
    assert results[1] == results[2]
    assert len({r.id for r in results}) == 4
    assert ledger.get_interaction(project_id, results[0].id).in_reply_to == parent
    assert ledger.get_interaction(project_id, results[3].id).recorded_for == DEV
    assert ledger.get_interaction(project_id, results[4].id).source_ref is None


def test_batch_saves_the_rest_when_a_concurrent_import_wins(database_url: str) -> None:
    """Another process stores some items between our existence query and our save: the save
    conflicts, the batch asks again and stores only the rest."""
    first, second = Ledger(database_url), Ledger(database_url)
    try:
        project_id = project_with_members(first)
        real_query = second._stored_interactions
        calls: list[int] = []

        def racing_query(ids: Any) -> dict[UUID, int]:
            found = real_query(ids)
            if not calls:
                first.record_interactions(PM, project_id, [email(1), email(3)])
            calls.append(len(ids))
            return found

        second._stored_interactions = racing_query  # type: ignore[method-assign]
        results = second.record_interactions(PM, project_id, [email(n) for n in range(5)])
        assert calls == [5, 5]
        assert [r.position == 0 for r in results] == [False, True, False, True, False]
        assert len({r.id for r in results}) == 5
        for r in results:
            assert second.get_interaction(project_id, r.id).version == 1
    finally:
        first.close()
        second.close()


def test_one_bad_item_stores_nothing_and_names_the_item(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    before = positions(ledger)
    cases: list[tuple[dict[str, Any], type[Exception], str]] = [
        (email(3, to=["nope"]), InvalidInputError, r"items\[2\].to\[0\]"),
        (email(3, colour="red"), InvalidInputError, r"items\[2\].*colour"),
        ({"subject": "s"}, InvalidInputError, r"items\[2\].channel"),
        ({"channel": "im", "from_address": PM}, InvalidInputError, r"items\[2\].summary"),
        (email(3, in_reply_to=uuid4()), InvalidInputError, r"items\[2\].in_reply_to"),
        (email(3, in_reply_to="not-an-id"), InvalidInputError, r"items\[2\].in_reply_to"),
        (email(3, occurred_at=datetime(2026, 3, 1)), InvalidInputError, r"items\[2\].occurred_at"),
        (email(3, attributed_to=OUTSIDER), NotAMemberError, r"items\[2\].attributed_to"),
    ]
    for bad, error, match in cases:
        with pytest.raises(error, match=match):
            ledger.record_interactions(PM, project_id, [email(1), email(2), bad])
    assert positions(ledger) == before
    with pytest.raises(InvalidInputError, match="items"):
        ledger.record_interactions(PM, project_id, email(1))  # type: ignore[arg-type]
    assert ledger.record_interactions(PM, project_id, []) == []
