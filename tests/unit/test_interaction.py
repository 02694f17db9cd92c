"""Interaction lifecycle: recorded, corrected, retracted — every allowed and refused step."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from ledger.domain.envelope import Act
from ledger.domain.errors import InvalidInputError, InvalidTransitionError, NotPermittedError
from ledger.domain.interaction import (
    Interaction,
    InteractionChannel,
    InteractionCorrection,
    interaction_id_for_source,
    normalise_source_ref,
)
from ledger.domain.values import Attachment

PM = "pm@acme.test"
DEV = "dev@acme.test"
CLIENT = "sponsor@client.test"
OUTSIDER = "vendor@elsewhere.test"
NOW = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
DIGEST = "ab" * 32


def act(who: str, *, for_: str | None = None, at: datetime = NOW) -> Act:
    return Act(who, occurred_at=at, attributed_to=for_, now=NOW + timedelta(days=1))


def recorded(by: str = PM, **overrides: Any) -> Interaction:
    fields: dict[str, Any] = {
        "id": uuid4(),
        "project_id": uuid4(),
        "channel": "email",
        "subject": "  Wireframes  ",
        "summary": "Sent the revised wireframes",
        "from_address": "PM@Acme.test",
        "to": [CLIENT, "Sponsor@Client.test", OUTSIDER],
        "cc": [DEV],
        "participants": (),
        "body_sha256": DIGEST.upper(),
        "attachments": [{"name": "wf.pdf", "sha256": "cd" * 32, "size": 1200}],
        "source_ref": " <msg-1@mail.acme.test> ",
    }
    fields.update(overrides)
    return Interaction.record(act(by), **fields)


def names(i: Interaction) -> list[str]:
    return [type(e).__name__ for e in i.collect_events()]


def test_recorded_interaction_keeps_normalised_fields_and_envelope() -> None:
    i = recorded()
    assert i.channel is InteractionChannel.EMAIL
    assert i.subject == "Wireframes"
    assert i.from_address == PM
    assert i.to == (CLIENT, OUTSIDER)  # normalised, each once, external allowed
    assert i.cc == (DEV,)
    assert i.body_sha256 == DIGEST
    assert i.attachments == (Attachment(name="wf.pdf", sha256="cd" * 32, size=1200),)
    assert i.source_ref == "msg-1@mail.acme.test"
    assert i.occurred_at == NOW
    assert (i.recorded_by, i.recorded_for, i.retracted, i.corrections) == (PM, None, False, 0)
    (event,) = i.collect_events()
    assert isinstance(event, Interaction.Recorded)
    assert (event.actor, event.project_id) == (PM, i.project_id)


def test_source_reference_keys_the_id_with_or_without_angle_brackets() -> None:
    project_id = uuid4()
    assert normalise_source_ref("<a@b.test>") == "a@b.test"
    assert interaction_id_for_source(project_id, "<a@b.test>") == interaction_id_for_source(
        project_id, " a@b.test "
    )
    assert interaction_id_for_source(project_id, "a@b.test") != interaction_id_for_source(
        uuid4(), "a@b.test"
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"channel": "carrier_pigeon"}, "channel"),
        ({"subject": "", "summary": " "}, "summary"),
        ({"from_address": "not an address"}, "from_address"),
        ({"to": "sponsor@client.test"}, "to"),
        ({"cc": ["nope"]}, r"cc\[0\]"),
        ({"body_sha256": "xyz"}, "body_sha256"),
        ({"attachments": [{"name": "a", "sha256": "bad", "size": 1}]}, r"attachments\[0\]"),
        ({"attachments": [{"name": "a", "sha256": "cd" * 32, "size": -1}]}, "size"),
        ({"source_ref": "  "}, "source_ref"),
    ],
)
def test_malformed_input_is_refused_naming_the_field(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInputError, match=field):
        recorded(**overrides)


def test_an_interaction_cannot_reply_to_itself() -> None:
    same = uuid4()
    with pytest.raises(InvalidInputError, match="in_reply_to"):
        recorded(id=same, in_reply_to=same)


def test_subject_or_summary_alone_is_enough() -> None:
    assert recorded(subject="", summary="Call about budget").subject == ""
    assert recorded(summary="", channel="phone").channel is InteractionChannel.PHONE


def test_recorder_corrects_only_the_changed_fields() -> None:
    i = recorded()
    i.collect_events()
    happened = NOW - timedelta(hours=2)
    i.correct(
        act(PM, at=NOW + timedelta(hours=1)),
        correction={"subject": "Wireframes", "summary": "Sent v2", "occurred_at": happened},
        reason="wrong version and time",
    )
    assert (i.summary, i.occurred_at, i.corrections) == ("Sent v2", happened, 1)
    (event,) = i.collect_events()
    assert isinstance(event, Interaction.Corrected)
    assert event.correction == InteractionCorrection(summary="Sent v2", occurred_at=happened)
    assert event.correction.changes() == {"summary": "Sent v2", "occurred_at": happened}


def test_correction_normalises_addresses_and_replaces_lists() -> None:
    i = recorded()
    i.correct(
        act(PM),
        correction=InteractionCorrection(
            to=("SPONSOR@client.test",), cc=(), channel=InteractionChannel.IM
        ),
        reason="cc was wrong",
    )
    assert (i.to, i.cc, i.channel) == ((CLIENT,), (), InteractionChannel.IM)


def test_a_correction_that_changes_nothing_is_refused() -> None:
    i = recorded()
    with pytest.raises(InvalidInputError, match="changes nothing"):
        i.correct(
            act(PM), correction={"subject": "Wireframes", "to": [CLIENT, OUTSIDER]}, reason="r"
        )
    with pytest.raises(InvalidInputError, match="changes nothing"):
        i.correct(act(PM), correction={}, reason="r")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"source_ref": "other"}, "changes"),  # not correctable: it keys the id
        ({"to": ["nope"]}, r"changes.to\[0\]"),
        ({"occurred_at": datetime(2026, 2, 1, 9, 0)}, "changes.occurred_at"),
        ({"occurred_at": NOW + timedelta(hours=1)}, "changes.occurred_at"),
        ({"subject": "", "summary": ""}, "changes"),
        ({"body_sha256": "zz"}, "changes.body_sha256"),
    ],
)
def test_malformed_corrections_are_refused(changes: dict[str, Any], field: str) -> None:
    i = recorded()
    with pytest.raises(InvalidInputError, match=field):
        i.correct(act(PM), correction=changes, reason="r")


def test_correction_needs_a_reason() -> None:
    with pytest.raises(InvalidInputError, match="reason"):
        recorded().correct(act(PM), correction={"summary": "x"}, reason=" ")


def test_sender_and_attributed_person_and_manager_may_correct_others_may_not() -> None:
    i = recorded(by=DEV, from_address=CLIENT)  # DEV noted an email CLIENT sent
    i.correct(act(CLIENT), correction={"summary": "a"}, reason="sender")
    i.correct(act(DEV), correction={"summary": "b"}, reason="recorder")
    i.correct(act(OUTSIDER, for_=DEV), correction={"summary": "c"}, reason="for recorder")
    with pytest.raises(NotPermittedError, match="team manager"):
        i.correct(act(PM), correction={"summary": "d"}, reason="not mine")
    i.correct(act(PM), correction={"summary": "d"}, reason="manager", manager=True)
    with pytest.raises(NotPermittedError):
        i.retract(act(PM), reason="not mine")


def test_retraction_is_final() -> None:
    i = recorded()
    i.retract(act(PM), reason="wrong project")
    assert i.retracted
    with pytest.raises(InvalidTransitionError, match="retracted"):
        i.retract(act(PM), reason="again")
    with pytest.raises(InvalidTransitionError, match="retracted"):
        i.correct(act(PM), correction={"summary": "x"}, reason="r")
    assert names(i) == ["Recorded", "Retracted"]


def test_retraction_needs_a_reason() -> None:
    with pytest.raises(InvalidInputError, match="reason"):
        recorded().retract(act(PM), reason="")


# --------------------------------------------------------------------------- thread links


def test_a_reply_is_linked_to_its_thread_by_a_new_event() -> None:
    i = recorded(by=DEV)
    i.collect_events()
    parent = uuid4()
    i.link_to_thread(act(PM), in_reply_to=parent)  # any recorder: nothing recorded is changed
    assert (i.in_reply_to, i.corrections) == (parent, 0)
    (event,) = i.collect_events()
    assert isinstance(event, Interaction.ThreadLinked)
    assert (event.in_reply_to, event.actor) == (parent, PM)
    nearer = uuid4()
    i.link_to_thread(act(PM), in_reply_to=nearer)
    assert i.in_reply_to == nearer


def test_thread_links_that_are_refused() -> None:
    i = recorded()
    with pytest.raises(InvalidInputError, match="itself"):
        i.link_to_thread(act(PM), in_reply_to=i.id)
    parent = uuid4()
    i.link_to_thread(act(PM), in_reply_to=parent)
    with pytest.raises(InvalidInputError, match="already replies"):
        i.link_to_thread(act(PM), in_reply_to=parent)
    i.retract(act(PM), reason="wrong project")
    with pytest.raises(InvalidTransitionError, match="retracted"):
        i.link_to_thread(act(PM), in_reply_to=uuid4())


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"subject": "Wire\x00frames"}, "subject"),
        ({"summary": "\x00"}, "summary"),
        ({"to": ["sponsor\x00@client.test"]}, r"to\[0\]"),
        ({"attachments": [{"name": "wf\x00.pdf", "sha256": "cd" * 32, "size": 1}]}, "name"),
        ({"attachments": [{"name": "a", "sha256": "cd" * 32, "size": 1, "media_type": "\x00"}]},
         r"attachments\[0\]\.media_type"),
        ({"source_ref": "a\x00@b.test"}, "source_ref"),
    ],
)  # fmt: skip
def test_nul_is_refused_in_every_text_field(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInputError, match=f"{field}: must not contain NUL"):
        recorded(**overrides)


def test_nul_is_refused_in_corrections_and_reasons() -> None:
    i = recorded()
    with pytest.raises(InvalidInputError, match=r"^changes\.subject: must not contain NUL"):
        i.correct(act(PM), correction={"subject": "x\x00"}, reason="r")
    with pytest.raises(InvalidInputError, match=r"^reason: must not contain NUL"):
        i.retract(act(PM), reason="wrong\x00")
    # A model built directly, past every command check: the event is still refused.
    with pytest.raises(InvalidInputError, match=r"^correction\.summary: must not contain NUL"):
        i._record(
            Interaction.Corrected,
            act(PM),
            correction=InteractionCorrection.model_construct(summary="\x00"),
            reason="r",
        )
    assert i.summary == "Sent the revised wireframes"
