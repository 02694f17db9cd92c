"""Importing email into a project: each message becomes an Interaction (channel ``email``) with
its original bytes and attachments kept in the document store.

How it goes (see docs/importing.md):

1. Each message is read by :func:`~ledger.interchange.importing.mail.parse_email`; one that cannot
be read
   is rejected with its reason and the import goes on.
2. Its id is derived from its Message-ID
(:func:`~ledger.domain.interaction.interaction_id_for_source`)
   or, when it has none, from the SHA-256 of its bytes: the same message imported twice — in
   one run or in two — is recorded once; the second is counted as a duplicate.
3. Threads: a reply names its parent (``in_reply_to``) when the parent is recorded earlier in
   the same import or is already in the ledger. A reply met before its parent waits for it, so
   the order of the files does not matter. A reply whose parent never comes is linked to its
   nearest ancestor in ``References`` that is known, else recorded as the start of a thread —
   and remembered (:mod:`ledger.interchange.importing.threads`): when a later import brings its
   parent (or
   a nearer ancestor), the reply gets an ``Interaction.ThreadLinked`` event in the same save.
   So threads come out whole whatever order, and however many runs, the messages arrive in.
4. Messages are recorded in batches (one atomic save each, through ``record_interactions``);
   the originals and attachments of a batch are stored *before* its events. A crash therefore
   leaves every recorded message whole; at worst some documents no event names yet, and the
   next run — which skips what is already recorded — records the rest.
5. The sender, when a member of the project, is the person the interaction is attributed to;
   any other address is kept as it is (an external participant) and listed in the summary.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from uuid import UUID

from ledger.domain.envelope import Act
from ledger.domain.errors import DomainError, InvalidInputError
from ledger.domain.ids import derive_id
from ledger.domain.interaction import (
    InteractionChannel,
    InteractionNotFoundError,
    interaction_id_for_source,
)
from ledger.domain.project import Member
from ledger.interchange.importing.mail import ParsedEmail, UnparseableEmailError, parse_email
from ledger.interchange.importing.sources import MessageSource, RawMessage
from ledger.interchange.importing.threads import MAX_CHAIN, ThreadWaits
from ledger.service.commands.interactions import MAX_BATCH
from ledger.storage.documents import DocumentStore, NewDocument

if TYPE_CHECKING:
    from ledger.service.application import Ledger

#: Messages per atomic save (``record_interactions`` takes at most 1,000).
DEFAULT_BATCH_SIZE = 250

Progress = Callable[[int, int], None]


class Outcome(StrEnum):
    IMPORTED = "imported"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


@dataclass(frozen=True)
class MessageResult:
    """What became of one message: its interaction's id (unless rejected), and why when it was
    rejected or is a duplicate with different bytes."""

    where: str
    outcome: Outcome
    interaction_id: UUID | None = None
    reason: str | None = None


@dataclass
class EmailImportSummary:
    messages: int = 0
    imported: int = 0
    duplicates: int = 0
    replies_linked: int = 0
    replies_unlinked: int = 0
    #: Replies recorded by an earlier import, linked now to a message of this one (their
    #: parent, or an ancestor nearer than the one they were linked to).
    replies_relinked: int = 0
    attachments: int = 0
    results: list[MessageResult] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)
    members: set[str] = field(default_factory=set)
    external_addresses: set[str] = field(default_factory=set)

    @property
    def rejected(self) -> list[MessageResult]:
        return [r for r in self.results if r.outcome is Outcome.REJECTED]

    def result_for(self, where: str) -> MessageResult:
        for result in self.results:
            if result.where == where:
                return result
        raise KeyError(where)


@dataclass
class _Pending:
    """A parsed message waiting for its batch."""

    sequence: int
    raw: RawMessage
    parsed: ParsedEmail
    interaction_id: UUID
    item: dict[str, Any]


def import_emails(
    ledger: Ledger,
    project_id: UUID,
    actor: str,
    source: MessageSource,
    *,
    documents: DocumentStore | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
) -> EmailImportSummary:
    """Import every message of ``source`` into the project, recorded by ``actor`` (a member who
    may record). Returns what became of each message."""
    own_store = documents is None
    store = documents if documents is not None else DocumentStore(ledger.storage)
    try:
        return _EmailImport(ledger, project_id, actor, store, batch_size, progress).run(source)
    finally:
        if own_store:
            store.close()


class _EmailImport:
    def __init__(
        self,
        ledger: Ledger,
        project_id: UUID,
        actor: str,
        documents: DocumentStore,
        batch_size: int,
        progress: Progress | None,
    ) -> None:
        if not 1 <= batch_size <= 1_000:
            raise InvalidInputError("batch_size", "must be between 1 and 1000")
        project, act = ledger.act_in(project_id, actor)  # may the actor record here at all?
        self.ledger = ledger
        self.project_id = project_id
        self.actor = act.actor
        self.members: dict[str, Member] = dict(project.members)
        self.documents = documents
        self.batch_size = batch_size
        self.progress = progress
        self.summary = EmailImportSummary()
        self.seen: dict[UUID, str] = {}  # interaction id -> digest, for this run's duplicates
        self.placed: set[UUID] = set()  # ids given to a batch in this run
        self.stored_cache: dict[UUID, bool] = {}
        self.waiting: dict[UUID, list[_Pending]] = {}
        self.batch: list[_Pending] = []
        self.results: list[tuple[int, MessageResult]] = []
        self.waits = ThreadWaits(documents.db)  # replies of earlier runs waiting for a parent
        self.relinked: set[UUID] = set()
        self.unlinkable: set[UUID] = set()  # replies whose late link the ledger refused

    # ------------------------------------------------------------------------------ run

    def run(self, source: MessageSource) -> EmailImportSummary:
        total = source.count()
        done = 0
        for sequence, raw in enumerate(source):
            self._take(sequence, raw)
            done += 1
            if self.progress is not None:
                self.progress(done, total)
        for pending in self._orphans():
            self._enqueue(pending, self._nearest_known_ancestor(pending))
        self._flush()
        self.summary.messages = done
        self.summary.replies_relinked = len(self.relinked)
        self.summary.results = [r for _, r in sorted(self.results, key=lambda t: t[0])]
        return self.summary

    def _take(self, sequence: int, raw: RawMessage) -> None:
        if raw.error is not None:
            self._reject(sequence, raw.where, raw.error)
            return
        try:
            parsed = parse_email(raw.data, envelope_date=raw.envelope_date)
            pending = self._plan(sequence, raw, parsed)
        except UnparseableEmailError as e:
            self._reject(sequence, raw.where, e.reason)
            return
        first_digest = self.seen.get(pending.interaction_id)
        if first_digest is not None:
            reason = None if first_digest == parsed.sha256 else "same Message-ID, different bytes"
            self._result(sequence, raw.where, Outcome.DUPLICATE, pending.interaction_id, reason)
            return
        self.seen[pending.interaction_id] = parsed.sha256
        for note in parsed.notes:
            self.summary.notes.append((raw.where, note))
        parent = self._parent_id(parsed)
        if parent is None or parent == pending.interaction_id:
            self._enqueue(pending, None)
        elif parent in self.placed or self._is_stored(parent):
            self._enqueue(pending, parent)
        else:
            self.waiting.setdefault(parent, []).append(pending)

    def _plan(self, sequence: int, raw: RawMessage, parsed: ParsedEmail) -> _Pending:
        """The batch item of one message (checked here, so one bad message never fails a
        batch)."""
        sender = parsed.from_address
        attributed_to = sender if sender in self.members and sender != self.actor else None
        try:
            Act(self.actor, occurred_at=parsed.occurred_at, attributed_to=attributed_to)
        except DomainError as e:
            raise UnparseableEmailError(str(e)) from None
        item: dict[str, Any] = {
            "channel": InteractionChannel.EMAIL,
            "subject": parsed.subject,
            "summary": parsed.summary or _empty_summary(parsed),
            "from_address": sender,
            "to": parsed.to,
            "cc": parsed.cc,
            "participants": parsed.bcc,
            "body_sha256": parsed.sha256,
            "attachments": [
                {"name": a.name, "sha256": a.sha256, "size": a.size, "media_type": a.media_type}
                for a in parsed.attachments
            ],
            "occurred_at": parsed.occurred_at,
            "attributed_to": attributed_to,
        }
        if parsed.message_id is not None:
            item["source_ref"] = parsed.message_id
            try:
                interaction_id = interaction_id_for_source(self.project_id, parsed.message_id)
            except InvalidInputError as e:
                raise UnparseableEmailError(f"Message-ID: {e.message}") from None
        else:
            key = f"email-sha256:{parsed.sha256}"
            item["idempotency_key"] = key
            interaction_id = derive_id("interaction", self.project_id, key)
        return _Pending(sequence, raw, parsed, interaction_id, item)

    # -------------------------------------------------------------------------- threads

    def _parent_id(self, parsed: ParsedEmail) -> UUID | None:
        if parsed.parent_ref is None:
            return None
        return interaction_id_for_source(self.project_id, parsed.parent_ref)

    def _chain(self, pending: _Pending) -> list[UUID]:
        """The interactions the message's headers say it descends from, nearest first: its
        parent, then ``References`` from the last."""
        parsed = pending.parsed
        refs = [parsed.parent_ref, *reversed(parsed.references)]
        chain = dict.fromkeys(
            interaction_id_for_source(self.project_id, ref) for ref in refs if ref is not None
        )
        chain.pop(pending.interaction_id, None)
        return list(chain)

    def _is_stored(self, interaction_id: UUID) -> bool:
        known = self.stored_cache.get(interaction_id)
        if known is None:
            try:
                self.ledger.get_interaction(self.project_id, interaction_id)
                known = True
            except InteractionNotFoundError:
                known = False
            self.stored_cache[interaction_id] = known
        return known

    def _enqueue(self, first: _Pending, in_reply_to: UUID | None) -> None:
        """Give ``first`` to the batch, then every reply that waited for it (and theirs)."""
        stack = [(first, in_reply_to)]
        while stack:
            pending, parent = stack.pop()
            pending.item["in_reply_to"] = parent
            self.batch.append(pending)
            self.placed.add(pending.interaction_id)
            for child in reversed(self.waiting.pop(pending.interaction_id, [])):
                stack.append((child, pending.interaction_id))
            if len(self.batch) >= self.batch_size:
                self._flush()

    def _orphans(self) -> Iterator[_Pending]:
        """Replies whose parent never came, oldest first; each releases its own replies.

        Only a reply whose parent is not itself waiting is an orphan (a reply to a waiting
        reply comes out with it, linked). A heap of each queue's oldest: thousands of orphans
        (a mailbox imported in parts) must not cost a scan of every queue each. Should every
        waiting reply wait for another (headers that make a loop), the oldest is let go and
        the rest looked at again."""
        while self.waiting:
            waiting_ids = {p.interaction_id for queue in self.waiting.values() for p in queue}
            roots = [parent for parent in self.waiting if parent not in waiting_ids]
            if not roots:  # a loop: let the oldest go, then look again
                parent = min(self.waiting, key=lambda p: self.waiting[p][0].sequence)
                yield self._release(parent)
                continue
            heap = [(self.waiting[parent][0].sequence, parent) for parent in roots]
            heapq.heapify(heap)
            while heap:
                sequence, parent = heapq.heappop(heap)
                queue = self.waiting.get(parent)
                if queue and queue[0].sequence == sequence:
                    pending = self._release(parent)
                    if parent in self.waiting:
                        heapq.heappush(heap, (self.waiting[parent][0].sequence, parent))
                    yield pending

    def _release(self, parent: UUID) -> _Pending:
        """The oldest reply waiting for ``parent``, taken off its queue."""
        queue = self.waiting[parent]
        pending = queue.pop(0)
        if not queue:
            del self.waiting[parent]
        return pending

    def _nearest_known_ancestor(self, pending: _Pending) -> UUID | None:
        for ancestor in self._chain(pending):
            if ancestor in self.placed or self._is_stored(ancestor):
                return ancestor
        return None

    def _remember_waits(self, batch: list[_Pending]) -> None:
        """Remember the replies of ``batch`` not linked to their parent, before their events
        are stored (a reply stored and forgotten would never be linked)."""
        chains = []
        for pending in batch:
            parent = self._parent_id(pending.parsed)
            if parent is None or pending.item.get("in_reply_to") == parent:
                continue  # not a reply, or linked to its parent: nothing to wait for
            chain = self._chain(pending)
            if chain:
                chains.append((pending.interaction_id, chain))
        self.waits.wait(self.project_id, chains)

    def _late_links(self, batch: list[_Pending]) -> dict[UUID, tuple[UUID, int]]:
        """Replies stored by earlier runs that a message of ``batch`` links better than they
        are linked now: reply -> (that message, its distance from the reply)."""
        best: dict[UUID, tuple[UUID, int]] = {}
        for ancestor, reply, distance in self.waits.waiting_for([p.interaction_id for p in batch]):
            if reply in self.unlinkable or reply == ancestor:
                continue
            if reply not in best or distance < best[reply][1]:
                best[reply] = (ancestor, distance)
        if not best:
            return {}
        chains = self.waits.chains(list(best))
        links: dict[UUID, tuple[UUID, int]] = {}
        for reply, (ancestor, distance) in best.items():
            try:
                stored = self.ledger.get_interaction(self.project_id, reply)
            except InteractionNotFoundError:
                continue  # remembered, but its batch never got stored; or in this batch
            if stored.retracted:
                continue
            if stored.in_reply_to is None:
                linked_at = MAX_CHAIN  # linked to nothing: any remembered ancestor is better
            else:
                known = chains.get(reply, {}).get(stored.in_reply_to)
                if known is None:
                    continue  # linked by hand, or further up than remembered: leave it
                linked_at = known
            if distance < linked_at:
                links[reply] = (ancestor, distance)
        return links

    # ---------------------------------------------------------------------------- store

    def _flush(self) -> None:
        batch, self.batch = self.batch, []
        while batch:
            self.documents.put_many(
                [doc for pending in batch for doc in _documents(pending)],
                project_id=self.project_id,
                stored_by=self.actor,
            )
            self._remember_waits(batch)
            links = self._late_links(batch)
            pairs = [(reply, ancestor) for reply, (ancestor, _) in links.items()]
            try:
                recorded = self.ledger.record_interactions(
                    self.actor, self.project_id, [p.item for p in batch], links=pairs[:MAX_BATCH]
                )
            except DomainError as e:
                refused = _failed_at(e, "links")
                if refused is not None and refused < len(pairs):
                    self.unlinkable.add(pairs[refused][0])  # a loop in the headers, say
                    continue
                batch = self._drop_failed(batch, e)
                continue
            for pending, result in zip(batch, recorded, strict=True):
                self._count(pending, imported=result.position != 0)
            linked = pairs[:MAX_BATCH] + self._link_more(pairs[MAX_BATCH:])
            self.relinked.update(reply for reply, _ in linked)
            self.waits.forget([reply for reply, _ in linked if links[reply][1] == 0])
            return

    def _link_more(self, pairs: list[tuple[UUID, UUID]]) -> list[tuple[UUID, UUID]]:
        """Links beyond one save's worth (a parent with very many waiting replies), saved
        after it; returns those saved."""
        saved: list[tuple[UUID, UUID]] = []
        while pairs:
            chunk = pairs[:MAX_BATCH]
            try:
                self.ledger.record_interactions(self.actor, self.project_id, [], links=chunk)
            except DomainError as e:
                refused = _failed_at(e, "links")
                if refused is None or refused >= len(chunk):
                    raise
                self.unlinkable.add(chunk[refused][0])
                pairs.remove(chunk[refused])
                continue
            saved.extend(chunk)
            pairs = pairs[MAX_BATCH:]
        return saved

    def _drop_failed(self, batch: list[_Pending], error: DomainError) -> list[_Pending]:
        """Reject the item the batch failed on (its error names ``items[i]``) and unlink the
        replies to it; raise when the error concerns the whole batch."""
        index = _failed_at(error, "items")
        if index is None or index >= len(batch):
            raise error
        failed = batch.pop(index)
        self.placed.discard(failed.interaction_id)
        self.seen.pop(failed.interaction_id, None)
        self._reject(failed.sequence, failed.raw.where, _item_reason(error))
        for pending in batch:
            if pending.item.get("in_reply_to") == failed.interaction_id:
                pending.item["in_reply_to"] = self._nearest_known_ancestor(pending)
        return batch

    # -------------------------------------------------------------------------- counting

    def _count(self, pending: _Pending, *, imported: bool) -> None:
        summary = self.summary
        parsed = pending.parsed
        outcome = Outcome.IMPORTED if imported else Outcome.DUPLICATE
        self._result(pending.sequence, pending.raw.where, outcome, pending.interaction_id, None)
        if not imported:
            return
        summary.attachments += len(parsed.attachments)
        if parsed.parent_ref is not None:
            if pending.item.get("in_reply_to") is not None:
                summary.replies_linked += 1
            else:
                summary.replies_unlinked += 1
        for address in parsed.addresses:
            (summary.members if address in self.members else summary.external_addresses).add(
                address
            )

    def _result(
        self,
        sequence: int,
        where: str,
        outcome: Outcome,
        interaction_id: UUID | None,
        reason: str | None,
    ) -> None:
        if outcome is Outcome.IMPORTED:
            self.summary.imported += 1
        elif outcome is Outcome.DUPLICATE:
            self.summary.duplicates += 1
        self.results.append((sequence, MessageResult(where, outcome, interaction_id, reason)))

    def _reject(self, sequence: int, where: str, reason: str) -> None:
        self._result(sequence, where, Outcome.REJECTED, None, reason)


def _documents(pending: _Pending) -> Iterator[NewDocument]:
    yield NewDocument(pending.raw.data, "message/rfc822", pending.raw.filename)
    for attachment in pending.parsed.attachments:
        yield NewDocument(attachment.data, attachment.media_type, attachment.name)


def _empty_summary(parsed: ParsedEmail) -> str:
    names = ", ".join(a.name for a in parsed.attachments)
    return f"(no text; attachments: {names})" if names else "(no subject and no text)"


def _failed_at(error: DomainError, inputs: str) -> int | None:
    """The index ``i`` of the ``inputs[i]`` (``items`` or ``links``) that ``error`` names."""
    text = error.field if isinstance(error, InvalidInputError) else str(error)
    if not text.startswith(f"{inputs}["):
        return None
    try:
        return int(text[len(inputs) + 1 : text.index("]")])
    except ValueError:
        return None


def _item_reason(error: DomainError) -> str:
    if isinstance(error, InvalidInputError):
        field_name = error.field.partition(".")[2] or error.field
        return f"{field_name}: {error.message}"
    return str(error).partition(": ")[2] or str(error)


__all__ = [
    "DEFAULT_BATCH_SIZE",
    "EmailImportSummary",
    "MessageResult",
    "Outcome",
    "import_emails",
]
