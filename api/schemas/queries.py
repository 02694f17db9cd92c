"""Answers of the query routes: open items, the baseline and its diff, the audit trail, the
timeline, who promised what, metrics, history. Built from the projections' plain dicts."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel as _BaseModel
from pydantic import Field

# What each field of these answers means, where the model does not say it itself: every field
# of the OpenAPI document is described.
FIELD_DOCS = {
    "id": "The item's id.",
    "kind": "The kind of item.",
    "title": "The item's title or statement.",
    "state": "Where the item stands.",
    "value": "The value (for an expectation: text, date, amount and currency, start/end...).",
    "position": "A position in the event log.",
    "subject_id": "The id of the item the event is about.",
    "subject_type": "The kind of item the event is about (`Commitment`, `Meeting`...).",
    "occurred_at": "When it happened in the world (UTC, ISO 8601).",
    "recorded_at": "When the ledger stored it (UTC, ISO 8601).",
    "late_by_seconds": "How long after it occurred it was recorded, for a late entry (else 0).",
    "recorded_later": "For basis `occurred` at an instant: how many entries recorded after the "
    "instant the answer includes (what the record at the time did not know); null otherwise.",
    "note": "The answer's basis in words.",
    "time_zone": "The project's IANA time zone: its days, due dates and date-only parameters.",
    "items": "The entries.",
    "as_of": "The instant the answer is about, in the project's zone (null: now).",
    "basis": "`occurred` (what had happened by then, as known now) or `recorded` (what the "
    "ledger said then).",
    "decided_by": "Who approved or rejected it.",
    "old_size": "The older tree size.",
    "new_size": "The newer tree size.",
    "new_root": "Base64 root of the newer tree.",
    "tree_size": "The size of the tree the proof is into.",
    "from_": "The earlier instant, or the value before.",
    "to": "The later instant, or the value after.",
    "changes": "Each expectation that changed.",
    "until": "The instant replayed to (null: now).",
    "timeline": "The project's events up to then, one line each.",
    "open_items": "What was open then.",
    "baseline": "The baseline then.",
    "at": "The instant the metrics were computed at.",
    "acknowledgements_outstanding": "Acknowledgements asked for and not yet given.",
    "acknowledgements_overdue": "Outstanding acknowledgements past their due date.",
    "ball_in_court": "Whose move it is.",
    "last_event_at": "When the last event about it occurred.",
    "promisor": "Who promised.",
    "promisee": "To whom.",
    "statement": "What was promised.",
    "due_at": "When it is due (the current terms).",
    "original_due_at": "When it was due when first made.",
    "made_at": "When the promise was made.",
    "recorded_by": "Who recorded it (the authenticated actor).",
    "attributed_to": "Whose act it was, when not the recorder's.",
    "acknowledged_by": "Who acknowledged it in the ledger.",
    "hashed_source": "Its source is a held original identified by SHA-256.",
    "source": "Where it comes from: an interaction, a meeting, a document.",
    "renegotiations": "How many times new terms were agreed.",
    "fulfilled_at": "When it was reported kept.",
    "accepted_at": "When the promisee accepted it.",
    "closed_at": "When it closed (accepted, withdrawn or released).",
    "agreed_by": "Who agreed to this value.",
    "change_request": "The approved change request that set this value, if any.",
    "reason": "Why, as recorded.",
    "sha256": "SHA-256 of the held original, hex.",
}


class BaseModel(_BaseModel):
    """Fills in field descriptions from :data:`FIELD_DOCS` where a field has none."""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        changed = False
        for name, info in cls.model_fields.items():
            if not info.description and name in FIELD_DOCS:
                info.description = FIELD_DOCS[name]
                changed = True
        if changed:
            cls.model_rebuild(force=True)


class ViewsFreshness(BaseModel):
    """How current the views behind an answer are (also in the ``Accord-Views-Behind`` header,
    and ``Accord-Views-Stale`` when ``stale``)."""

    position: int = Field(description="The log position every view had reached.")
    head: int = Field(description="The latest position in the log.")
    behind: int = Field(description="Events recorded that the views have not applied yet.")
    seconds_behind: float = Field(
        description="Age of the oldest event the views have not applied (0 when current)."
    )
    stale: bool = Field(
        description="True when `seconds_behind` exceeds the server's bound "
        "(`ACCORD_STALE_AFTER_SECONDS`): the answer may miss recent events."
    )


class BallInCourt(BaseModel):
    party: str | None = Field(description="`team` or `client`: whose move it is.")
    person: str | None = Field(description="The one person whose move it is, when there is one.")


class OpenItem(BaseModel):
    id: str = Field(
        description="The item's id (for missed cadence: `cadence:<kind>:<due date>`; for an "
        "undelivered commitment: `undelivered:<delivery failure report>:<commitment>`)."
    )
    kind: str = Field(
        description="commitment, change_request, acknowledgement, question, problem, "
        "complaint, feedback, suggestion, risk, missed_cadence, undelivered (a commitment "
        "made in a message that bounced) or expectation_agreement (an expectation's set, "
        "revision or withdrawal awaiting someone's agreement: the id is the expectation's)."
    )
    title: str
    state: str = Field(description="Where the item stands, e.g. `awaiting_decision`.")
    opened_at: str = Field(description="When it opened (occurred time, UTC).")
    age_days: float = Field(description="Days since it opened, at `now`.")
    due_at: str | None = Field(description="When it is due, if it has a due date.")
    overdue: bool = Field(description="Due before `now` and still open.")
    ball_in_court: BallInCourt
    last_event_at: str
    position: int | None = Field(description="Position of the last event that changed it.")


class OpenItemsPublic(BaseModel):
    now: str = Field(description="The instant age and overdue were computed against.")
    as_of: str | None = Field(description="Set when the items are those open at an instant.")
    basis: str
    recorded_later: int | None
    note: str
    time_zone: str
    position: int = Field(description="The log position the views had reached.")
    items: list[OpenItem]
    views: ViewsFreshness | None = Field(
        default=None, description="How current the views behind this answer are."
    )


class ChangeRequestRef(BaseModel):
    id: str
    title: str
    state: str
    decided_by: str | None


class ProvenanceStep(BaseModel):
    position: int = Field(description="The event's position in the log.")
    event: str = Field(description="`Expectation.Set`, `Expectation.Revised`...")
    value: dict[str, Any] | None
    state: str
    occurred_at: str
    recorded_at: str
    recorded_by: str
    attributed_to: str | None
    agreed_by: list[str]
    cause: str | None = Field(description="`agreement` or `change_request`.")
    change_request: ChangeRequestRef | None
    reason: str | None


class AwaitingAgreement(BaseModel):
    """A set, revision or withdrawal proposed by agreement: it applies when everyone in
    `agreed_by` agreed with their own credential (or a delegate they named)."""

    proposal_version: int = Field(
        description="The version to name in `POST .../expectations/{id}/agree` (or `/decline`)."
    )
    change: str = Field(description="`set`, `revision` or `withdrawal`.")
    value: dict[str, Any] | None = Field(description="The proposed value (none to withdraw).")
    reason: str
    proposed_by: str = Field(description="Who proposed it (and so agreed to it).")
    proposed_at: str = Field(description="When it was proposed.")
    agreed_by: list[str] = Field(description="Everyone whose agreement it needs.")
    agreed: list[str] = Field(description="Who has agreed so far, each in person.")
    awaiting: list[str] = Field(description="Whose agreement it still awaits: their move.")


class BaselineEntry(BaseModel):
    id: str
    kind: str
    title: str
    value: dict[str, Any] | None
    state: str = Field(
        description="`active` or `withdrawn`; `proposed` for an item awaiting agreement."
    )
    provenance: list[ProvenanceStep] = Field(
        description="Every value it has had: which event set it, which approved change revised it."
    )
    awaiting_agreement: AwaitingAgreement | None = Field(
        default=None, description="What awaits agreement on it, and whose."
    )


class BaselinePublic(BaseModel):
    as_of: str | None
    basis: str
    recorded_later: int | None
    note: str
    time_zone: str
    position: int
    items: list[BaselineEntry]
    views: ViewsFreshness | None = Field(
        default=None, description="How current the views behind this answer are."
    )


class DiffEntry(BaseModel):
    id: str
    kind: str
    title: str
    change: str = Field(description="`added`, `revised` or `withdrawn`.")
    from_: dict[str, Any] | None = Field(alias="from", serialization_alias="from")
    to: dict[str, Any] | None
    explained_by: list[ProvenanceStep] = Field(
        description="The events between the two instants that explain the difference."
    )

    model_config = {"populate_by_name": True}


class DiffPublic(BaseModel):
    from_: str = Field(alias="from", serialization_alias="from")
    to: str
    basis: str
    recorded_later: int | None
    note: str
    time_zone: str
    changes: list[DiffEntry]

    model_config = {"populate_by_name": True}
    views: ViewsFreshness | None = Field(
        default=None, description="How current the views behind this answer are."
    )


class AuditEntry(BaseModel):
    position: int
    subject_id: str
    subject_type: str
    type: str = Field(description="The event, e.g. `Commitment.Made`.")
    actor: str = Field(description="Who recorded it.")
    attributed_to: str | None = Field(description="Whose act it describes, if not the actor.")
    occurred_at: str
    recorded_at: str
    late_entry: bool = Field(
        description="Recorded materially after it occurred (more than 24 hours by default, "
        "`ACCORD_LATE_ENTRY_HOURS`); never set for imported mail."
    )
    imported: bool = Field(description="A message imported from mail (late by nature).")
    before_opening: bool = Field(
        description="It occurred before the project was opened (imported history, or a date "
        "to check)."
    )
    backdated: bool = Field(description="Deprecated: the same as `late_entry`.")
    late_by_seconds: int
    version: int = Field(description="The item's version after this event.")
    narrative: str = Field(description="One readable line.")


class AuditPage(BaseModel):
    items: list[AuditEntry]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page.")
    views: ViewsFreshness | None = Field(
        default=None, description="How current the views behind this answer are."
    )


class SourceRef(BaseModel):
    kind: str | None
    id: str | None
    sha256: str | None


class PromiseRecord(BaseModel):
    id: str
    promisor: str
    promisee: str
    statement: str
    due_at: str | None
    original_due_at: str | None
    state: str
    made_at: str
    recorded_at: str
    recorded_by: str
    attributed_to: str | None
    acknowledged_by: list[str]
    evidence_grade: str = Field(
        description="recorded_by_counterparty < recorded_or_confirmed_by_promisor < "
        "acknowledged_in_ledger < acknowledged_with_hashed_source"
    )
    hashed_source: bool
    source: SourceRef | None
    renegotiations: int
    fulfilled_at: str | None
    accepted_at: str | None
    closed_at: str | None
    position: int


class PromisesPublic(BaseModel):
    items: list[PromiseRecord]
    views: ViewsFreshness | None = Field(
        default=None, description="How current the views behind this answer are."
    )


class MetricsPublic(BaseModel):
    at: str
    issue_first_response: dict[str, Any] = Field(
        description="Per responding party: count, median, mean and max hours to the first answer."
    )
    email_reply: dict[str, Any] = Field(description="Per replying party: hours to the first reply.")
    acknowledgement_latency: dict[str, Any] = Field(description="Per party: hours to acknowledge.")
    acknowledgements_outstanding: int
    acknowledgements_overdue: int
    cadence_adherence: list[dict[str, Any]] = Field(
        description="Per cadence of the plan: due, met and missed dates, adherence."
    )
    commitments_by_promisor_party: dict[str, Any] = Field(
        description="Per promisor party: due, kept on time, kept late, overdue, share on time."
    )
    views: ViewsFreshness | None = Field(
        default=None, description="How current the views behind this answer are."
    )


class HistoryPublic(BaseModel):
    until: str | None
    basis: str
    recorded_later: int | None
    note: str
    time_zone: str
    timeline: list[AuditEntry]
    next_cursor: str | None = Field(description="Pass as `cursor` for the timeline's next page.")
    open_items: list[OpenItem]
    baseline: list[BaselineEntry]
    views: ViewsFreshness | None = Field(
        default=None, description="How current the views behind this answer are."
    )
