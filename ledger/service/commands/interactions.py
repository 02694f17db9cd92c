"""Commands on interactions: record one, import many in one save (linking replies recorded
before their parent), link a reply to its thread, correct, retract."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from ledger.domain.envelope import Act
from ledger.domain.errors import ConflictError, InvalidInputError, InvalidTransitionError
from ledger.domain.interaction import (
    Interaction,
    InteractionChannel,
    InteractionNotFoundError,
    interaction_id_for_source,
)
from ledger.domain.project import Project
from ledger.domain.roles import Role
from ledger.domain.validation import parse_id
from ledger.domain.values import Attachment, DeliveryFailure, DisplayName
from ledger.service.base import LedgerService, Recorded

#: The largest batch :meth:`InteractionCommands.record_interactions` takes in one save.
MAX_BATCH = 1_000

_ITEM_FIELDS = frozenset(
    {
        "channel",
        "subject",
        "summary",
        "from_address",
        "to",
        "cc",
        "participants",
        "body_sha256",
        "attachments",
        "source_ref",
        "in_reply_to",
        "occurred_at",
        "attributed_to",
        "idempotency_key",
        "display_names",
        "delivery_failure",
    }
)
_REQUIRED_ITEM_FIELDS = ("channel", "from_address")


class InteractionCommands(LedgerService):
    def record_interaction(
        self,
        actor: str,
        project_id: UUID,
        *,
        channel: InteractionChannel | str,
        subject: str,
        summary: str,
        from_address: str,
        to: Iterable[str] = (),
        cc: Iterable[str] = (),
        participants: Iterable[str] = (),
        body_sha256: str | None = None,
        attachments: Iterable[Attachment | Mapping[str, Any]] = (),
        source_ref: str | None = None,
        in_reply_to: UUID | None = None,
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        idempotency_key: str | None = None,
        display_names: Iterable[DisplayName | Mapping[str, Any]] = (),
        delivery_failure: DeliveryFailure | Mapping[str, Any] | None = None,
    ) -> Recorded:
        """Record one interaction. Given a ``source_ref`` (an email's Message-ID) its id is
        derived from it, so importing the same message again stores nothing; otherwise the
        ``idempotency_key`` makes a retry safe. ``in_reply_to`` names an interaction of this
        project."""
        _, act = self.act_in(
            project_id, actor, occurred_at=occurred_at, attributed_to=attributed_to
        )
        if source_ref is not None:
            interaction_id = interaction_id_for_source(project_id, source_ref)
        else:
            interaction_id = self.new_id("interaction", project_id, idempotency_key)
        if in_reply_to is not None and in_reply_to != interaction_id:
            self._require_interaction(project_id, in_reply_to, "in_reply_to")
        return self.create_once(
            interaction_id,
            lambda: [
                Interaction.record(
                    act,
                    id=interaction_id,
                    project_id=project_id,
                    channel=channel,
                    subject=subject,
                    summary=summary,
                    from_address=from_address,
                    to=to,
                    cc=cc,
                    participants=participants,
                    body_sha256=body_sha256,
                    attachments=attachments,
                    source_ref=source_ref,
                    in_reply_to=in_reply_to,
                    display_names=display_names,
                    delivery_failure=delivery_failure,
                )
            ],
        )

    def record_interactions(
        self,
        actor: str,
        project_id: UUID,
        items: Sequence[Mapping[str, Any]],
        *,
        links: Sequence[tuple[UUID, UUID]] = (),
    ) -> list[Recorded]:
        """Import many interactions in one atomic save (the import path).

        Each item holds the keyword arguments of :meth:`record_interaction`. The result has one
        :class:`Recorded` per item, in order. An item already stored (same ``source_ref`` or
        ``idempotency_key``) is skipped and reported with position 0; an item repeated in the
        batch is stored once and both get the same result.
        ``in_reply_to`` may name another item of the batch or a stored interaction.

        ``links`` — ``(reply, parent)`` pairs: stored interactions that answer a message of
        this batch (or another stored one), recorded before it was known. Each gets an
        ``Interaction.ThreadLinked`` event in the same save (see :meth:`link_reply`).

        Every item and link is checked before anything is stored: one bad item stores none
        (its error names ``items[i].field``, or ``links[i]``)."""
        if isinstance(items, (str, bytes, Mapping)):
            raise InvalidInputError("items", "must be a list of interactions")
        if len(items) > MAX_BATCH:
            raise InvalidInputError("items", f"at most {MAX_BATCH} interactions per call")
        if isinstance(links, (str, bytes, Mapping)):
            raise InvalidInputError("links", "must be a list of (reply, parent) pairs")
        if len(links) > MAX_BATCH:
            raise InvalidInputError("links", f"at most {MAX_BATCH} links per call")
        project, act = self.act_in(project_id, actor)
        planned: dict[UUID, _Planned] = {}
        order: list[UUID] = []
        for i, item in enumerate(items):
            plan = self._plan_item(project, actor, i, item)
            order.append(plan.interaction.id)
            planned.setdefault(plan.interaction.id, plan)
        known: set[UUID] = set(planned)
        for i, interaction_id in enumerate(order):
            reply_to = planned[interaction_id].interaction.in_reply_to
            if reply_to is not None and reply_to not in known:
                self._require_interaction(project_id, reply_to, f"items[{i}].in_reply_to")
                known.add(reply_to)
        pairs = _link_pairs(links)
        parents = dict(pairs)

        def linked() -> list[Interaction]:
            return self._plan_links(project_id, act, pairs, parents, planned)

        results = self._save_new_interactions(project_id, planned, linked)
        return [results[interaction_id] for interaction_id in order]

    def link_reply(
        self,
        actor: str,
        project_id: UUID,
        interaction_id: UUID,
        *,
        in_reply_to: UUID,
        expected_version: int | None = None,
    ) -> Recorded:
        """Link an interaction to the message it answers, recorded after it (an email whose
        parent came in a later import): an ``Interaction.ThreadLinked`` event. By any member
        who records; ``in_reply_to`` is an interaction of the project, and the link may not
        make a loop (a message answering one of its own replies). The email importer does this
        itself, in the same save as the parent (``record_interactions(links=...)``)."""
        _, act, interaction = self.step_in(
            Interaction, actor, project_id, interaction_id, expected_version=expected_version
        )
        parent = parse_id(in_reply_to, "in_reply_to")
        self._require_interaction(project_id, parent, "in_reply_to")
        self._require_no_loop(project_id, interaction.id, parent, {}, {}, "in_reply_to")
        interaction.link_to_thread(act, in_reply_to=parent)
        return self.save_changes(interaction)

    def record_variants(
        self, actor: str, project_id: UUID, variants: Sequence[MessageVariant]
    ) -> list[MessageVariant]:
        """Keep other copies of recorded messages (same Message-ID, other bytes), in one save:
        an ``Interaction.VariantRecorded`` on each interaction, unless that copy is the one
        recorded or already kept. Returns the variants recorded now (the email importer; the
        bytes are put in the document store first)."""
        if len(variants) > MAX_BATCH:
            raise InvalidInputError("variants", f"at most {MAX_BATCH} variants per call")
        _, act = self.act_in(project_id, actor)
        for _ in range(3):
            changed: dict[UUID, Interaction] = {}
            kept: list[MessageVariant] = []
            for i, variant in enumerate(variants):
                interaction = changed.get(variant.interaction_id)
                if interaction is None:
                    try:
                        interaction = self.get_interaction(project_id, variant.interaction_id)
                    except InteractionNotFoundError:
                        raise InvalidInputError(
                            f"variants[{i}]",
                            f"there is no interaction {variant.interaction_id} in this project",
                        ) from None
                if interaction.retracted:
                    continue
                try:
                    added = interaction.keep_variant(
                        act,
                        sha256=variant.sha256,
                        size=variant.size,
                        where=variant.where,
                        note=variant.note,
                    )
                except InvalidInputError as e:
                    raise InvalidInputError(f"variants[{i}].{e.field}", e.message) from None
                if added:
                    changed[interaction.id] = interaction
                    kept.append(variant)
            if not changed:
                return []
            try:
                self.save(*changed.values())
            except IntegrityError:
                continue  # written meanwhile by another import: read again
            return kept
        raise ConflictError("the import kept conflicting with other writes; try again")

    def get_interaction(self, project_id: UUID, interaction_id: UUID) -> Interaction:
        return self.get_item(Interaction, project_id, interaction_id, InteractionNotFoundError)

    def correct_interaction(
        self,
        actor: str,
        project_id: UUID,
        interaction_id: UUID,
        *,
        changes: Mapping[str, Any],
        reason: str,
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        """Correct some fields: ``changes`` maps field names of the recorded interaction
        (``subject``, ``summary``, ``to``, ``occurred_at``...) to their new values. By whoever
        recorded it, the person it was recorded for, its sender, or a team manager."""
        project, act, interaction = self.step_in(
            Interaction,
            actor,
            project_id,
            interaction_id,
            occurred_at,
            attributed_to,
            expected_version,
        )
        if not isinstance(changes, Mapping):
            raise InvalidInputError("changes", "must be an object of field names and values")
        interaction.correct(
            act, correction=changes, reason=reason, manager=_is_manager(project, act)
        )
        return self.save_changes(interaction)

    def retract_interaction(
        self,
        actor: str,
        project_id: UUID,
        interaction_id: UUID,
        *,
        reason: str,
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        project, act, interaction = self.step_in(
            Interaction,
            actor,
            project_id,
            interaction_id,
            occurred_at,
            attributed_to,
            expected_version,
        )
        interaction.retract(act, reason=reason, manager=_is_manager(project, act))
        return self.save_changes(interaction)

    # ------------------------------------------------------------------------ internals

    def _require_interaction(self, project_id: UUID, interaction_id: UUID, field: str) -> None:
        try:
            self.get_interaction(project_id, interaction_id)
        except InteractionNotFoundError:
            raise InvalidInputError(
                field, f"there is no interaction {interaction_id} in this project"
            ) from None

    def _plan_item(
        self, project: Project, actor: str, index: int, item: Mapping[str, Any]
    ) -> _Planned:
        """Check one batch item without storage and build its interaction."""
        where = f"items[{index}]"
        if not isinstance(item, Mapping):
            raise InvalidInputError(where, "must be an object")
        unknown = set(item) - _ITEM_FIELDS
        if unknown:
            raise InvalidInputError(where, f"unknown fields: {', '.join(sorted(unknown))}")
        for name in _REQUIRED_ITEM_FIELDS:
            if name not in item:
                raise InvalidInputError(f"{where}.{name}", "is required")
        fields: dict[str, Any] = {"subject": "", "summary": ""}
        fields.update((k, v) for k, v in item.items() if k not in _ENVELOPE)
        try:
            act = Act(
                actor, occurred_at=item.get("occurred_at"), attributed_to=item.get("attributed_to")
            )
            if act.attributed_to is not None:
                project.require_member(act.attributed_to, f"{where}.attributed_to")
            if fields.get("source_ref") is not None:
                interaction_id = interaction_id_for_source(project.id, fields["source_ref"])
            else:
                interaction_id = self.new_id("interaction", project.id, item.get("idempotency_key"))
            if fields.get("in_reply_to") is not None:
                fields["in_reply_to"] = parse_id(fields["in_reply_to"], "in_reply_to")
            interaction = Interaction.record(
                act, id=interaction_id, project_id=project.id, **fields
            )
        except InvalidInputError as e:
            raise InvalidInputError(f"{where}.{e.field}", e.message) from None
        deterministic = (
            fields.get("source_ref") is not None or item.get("idempotency_key") is not None
        )
        return _Planned(act, fields, interaction, deterministic)

    def _plan_links(
        self,
        project_id: UUID,
        act: Act,
        pairs: list[tuple[UUID, UUID]],
        parents: dict[UUID, UUID],
        planned: dict[UUID, _Planned],
    ) -> list[Interaction]:
        """The stored replies of ``pairs``, loaded afresh, each with its ThreadLinked event."""
        replies: list[Interaction] = []
        for i, (reply_id, parent_id) in enumerate(pairs):
            where = f"links[{i}]"
            try:
                reply = self.get_interaction(project_id, reply_id)
            except InteractionNotFoundError:
                raise InvalidInputError(
                    where, f"there is no interaction {reply_id} in this project"
                ) from None
            if parent_id not in planned:
                self._require_interaction(project_id, parent_id, f"{where}.in_reply_to")
            self._require_no_loop(
                project_id, reply_id, parent_id, parents, planned, f"{where}.in_reply_to"
            )
            try:
                reply.link_to_thread(act, in_reply_to=parent_id)
            except InvalidInputError as e:
                raise InvalidInputError(f"{where}.{e.field}", e.message) from None
            except InvalidTransitionError as e:
                raise InvalidTransitionError(f"{where}: {e}") from None
            replies.append(reply)
        return replies

    def _require_no_loop(
        self,
        project_id: UUID,
        reply_id: UUID,
        parent_id: UUID,
        parents: Mapping[UUID, UUID],
        planned: Mapping[UUID, _Planned],
        field: str,
    ) -> None:
        """Walk up from ``parent_id`` as the thread will stand after the save (``parents``:
        links of the same save; ``planned``: interactions of the same save): meeting
        ``reply_id`` would make a message answer one of its own replies."""
        if parent_id == reply_id:
            raise InvalidInputError(field, "an interaction cannot reply to itself")
        seen: set[UUID] = set()
        node: UUID | None = parent_id
        while node is not None and node not in seen:
            current: UUID = node
            if current == reply_id:
                raise InvalidInputError(
                    field, f"{parent_id} answers {reply_id} already: the link would make a loop"
                )
            seen.add(current)
            if current in parents:
                node = parents[current]
                continue
            try:
                node = self.get_interaction(project_id, current).in_reply_to
            except InteractionNotFoundError:
                plan = planned.get(current)
                node = plan.interaction.in_reply_to if plan is not None else None

    def _save_new_interactions(
        self,
        project_id: UUID,
        planned: dict[UUID, _Planned],
        linked: Callable[[], list[Interaction]],
    ) -> dict[UUID, Recorded]:
        """Save, in one save, the planned interactions not stored yet and the replies
        ``linked()`` links to their thread.

        One query finds those already stored (only ids derived from a source reference or
        an idempotency key can be). Should a concurrent write store some meanwhile, the save
        fails as a whole; then ask again and save the rest."""
        results: dict[UUID, Recorded] = {}
        candidates = [i for i, plan in planned.items() if plan.deterministic]
        aggregates = [plan.interaction for plan in planned.values()]
        for _ in range(3):
            stored = self._stored_interactions(candidates) if candidates else {}
            results.update((i, Recorded(i, v, 0)) for i, v in stored.items())
            aggregates = [a for a in aggregates if a.id not in results]
            replies = linked()  # loaded afresh on every attempt
            if not aggregates and not replies:
                return results
            try:
                recordings = self.save(*aggregates, *replies)
            except IntegrityError:
                # The failed save took the new events: build the rest again, then retry.
                aggregates = [
                    Interaction.record(plan.act, id=i, project_id=project_id, **plan.fields)
                    for i, plan in planned.items()
                    if i not in results
                ]
                continue
            for recording in recordings:
                event = recording.domain_event
                if not isinstance(event, Interaction.Recorded):
                    continue  # a reply's ThreadLinked: its Recorded is not this batch's
                results[event.originator_id] = Recorded(
                    event.originator_id, event.originator_version, recording.notification.id or 0
                )
            return results
        raise ConflictError("the import kept conflicting with other writes; try again")

    def _stored_interactions(self, ids: Sequence[UUID]) -> dict[UUID, int]:
        """The current version of each of ``ids`` that is stored, in one query."""
        return self.event_log.current_versions(ids)


_ENVELOPE = ("occurred_at", "attributed_to", "idempotency_key")


class MessageVariant(NamedTuple):
    """Another copy of a recorded message: its interaction, the copy's digest and size,
    where it was found, and how it differs."""

    interaction_id: UUID
    sha256: str
    size: int
    where: str
    note: str


class _Planned(NamedTuple):
    act: Act
    fields: dict[str, Any]
    interaction: Interaction
    deterministic: bool  # the id derives from a source reference or an idempotency key


def _link_pairs(links: Sequence[tuple[UUID, UUID]]) -> list[tuple[UUID, UUID]]:
    """``links`` checked for shape: pairs of ids, each reply once."""
    pairs: list[tuple[UUID, UUID]] = []
    seen: set[UUID] = set()
    for i, link in enumerate(links):
        if not isinstance(link, (tuple, list)) or len(link) != 2:
            raise InvalidInputError(f"links[{i}]", "must be a (reply, parent) pair")
        reply = parse_id(link[0], f"links[{i}]")
        parent = parse_id(link[1], f"links[{i}].in_reply_to")
        if reply in seen:
            raise InvalidInputError(f"links[{i}]", f"{reply} is linked twice")
        seen.add(reply)
        pairs.append((reply, parent))
    return pairs


def _is_manager(project: Project, act: Act) -> bool:
    return project.members[act.actor].role is Role.TEAM_MANAGER
