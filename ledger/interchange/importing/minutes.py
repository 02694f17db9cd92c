"""Minutes written in Markdown, read into a meeting with its minutes, decisions and action items.

The form (docs/importing.md has the full template)::

    # Weekly review: checkout redesign

    Date: 2026-03-05 10:00 Europe/Paris
    Place: Client HQ, room 4
    Attendees: pm@team.test, Sue Sponsor <sponsor@client.test>, jane@vendor.test
    Agenda: wireframes; budget

    ## Discussion
    - The client wants fewer checkout steps.

    ## Decisions
    - Go with the two-step checkout. (decided by sponsor@client.test, pm@team.test)

    ## Action items
    - [ ] @pm@team.test Deliver the revised wireframes (due 2026-12-01)

Every error names its line (:class:`MinutesError`); all errors of a file are reported at once
(:class:`MinutesParseError`). :func:`parse_minutes` is pure; :func:`import_minutes` stores the
Markdown in the document store and records everything in one atomic save
(:meth:`~ledger.service.commands.minutes.MinutesCommands.record_meeting_with_minutes`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from email.utils import parseaddr
from typing import TYPE_CHECKING
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ledger.domain.errors import DomainError, InvalidInputError
from ledger.domain.validation import normalise_email
from ledger.storage.documents import DocumentStore, digest

if TYPE_CHECKING:
    from ledger.service.application import Ledger

#: A date given without a time ("due 2026-12-01") means the end of that day.
END_OF_DAY = time(23, 59, 59)

_TITLE = re.compile(r"^#\s+(?P<title>.+?)\s*#*\s*$")
_SECTION = re.compile(r"^##\s+(?P<name>.+?)\s*#*\s*$")
_FIELD = re.compile(
    r"^(?:[-*]\s+)?(?:\*\*)?(?P<key>[A-Za-z][A-Za-z ]*?)(?:\*\*)?\s*:(?:\*\*)?\s*(?P<value>.*)$"
)
_BULLET = re.compile(r"^(?:[-*+]|\d+[.)])\s+(?P<text>.*)$")
_CHECKBOX = re.compile(r"^\[(?P<mark>[ xX])\]\s*(?P<rest>.*)$")
_OWNER = re.compile(r"^@(?P<owner>\S+)\s+(?P<rest>.+)$")
_TRAILING = re.compile(r"\s*\((?P<word>due|by|to|for|decided by)\s+(?P<value>[^()]+)\)\s*$", re.I)
_DATETIME = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})(?:[ T](?P<time>\d{1,2}:\d{2}(?::\d{2})?))?\s*(?P<zone>.*)$"
)
_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*(?P<sign>[+-])(?P<h>\d{1,2}):?(?P<m>\d{2})?$")

_FIELDS = {
    "date": "date",
    "when": "date",
    "date and time": "date",
    "place": "place",
    "location": "place",
    "where": "place",
    "channel": "channel",
    "attendees": "attendees",
    "participants": "attendees",
    "present": "attendees",
    "agenda": "agenda",
    "minutes by": "minutes_by",
    "recorded by": "minutes_by",
}
_SECTIONS = {
    "discussion": "discussion",
    "discussion points": "discussion",
    "points": "discussion",
    "points discussed": "discussion",
    "notes": "discussion",
    "decisions": "decisions",
    "decided": "decisions",
    "action items": "action_items",
    "actions": "action_items",
    "action points": "action_items",
    "agenda": "agenda",
    "attendees": "attendees",
}


@dataclass(frozen=True)
class MinutesError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class MinutesParseError(InvalidInputError):
    """The minutes cannot be imported; ``errors`` name each offending line."""

    def __init__(self, errors: list[MinutesError]) -> None:
        self.errors = errors
        super().__init__("minutes", "; ".join(str(e) for e in errors))


@dataclass(frozen=True)
class DraftDecision:
    statement: str
    decided_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class DraftActionItem:
    owner: str
    description: str
    due_at: datetime | None = None
    promisee: str | None = None


@dataclass
class MinutesDraft:
    """The minutes as read; ``lines`` maps each input field (``attendees[1]``,
    ``action_items[0]``...) to the line it came from, so later errors can name it."""

    title: str = ""
    held_at: datetime | None = None
    place: str | None = None
    channel: str | None = None
    attendees: list[str] = field(default_factory=list)
    agenda: list[str] = field(default_factory=list)
    minutes_by: str | None = None
    discussion_points: list[str] = field(default_factory=list)
    decisions: list[DraftDecision] = field(default_factory=list)
    action_items: list[DraftActionItem] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, field_path: str) -> int:
        """The line of ``field_path`` or of its nearest enclosing field (``action_items[2]``
        for ``action_items[2].owner``); 1 when nothing matches."""
        path = field_path
        while path:
            if path in self.lines:
                return self.lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return 1


# ------------------------------------------------------------------------------ parsing


def parse_minutes(text: str) -> MinutesDraft:
    """Read Markdown minutes; raise :class:`MinutesParseError` listing every bad line.
    NUL characters are left out (the ledger refuses them; the file is kept whole besides)."""
    text = text.replace("\x00", "")
    errors: list[MinutesError] = []

    def error(line: int, message: str) -> None:
        errors.append(MinutesError(line, message))

    layout = _layout(text, error)
    draft = MinutesDraft()
    if layout.title is None:
        error(1, "the minutes are empty: begin with the meeting's title, '# Title'")
        raise MinutesParseError(errors)
    draft.title, title_line = layout.title
    if errors and errors[0].line == title_line:  # no title: the rest is not minutes either
        raise MinutesParseError(errors[:1])
    draft.lines["title"] = title_line
    held: tuple[str, int] | None = None
    for name, value, number in layout.fields:
        if name == "attendees":
            _add_attendees(draft, value, number, error)
        elif name == "agenda":
            for item in (v.strip() for v in re.split(r"[;\n]", value)):
                if item:
                    draft.lines[f"agenda[{len(draft.agenda)}]"] = number
                    draft.agenda.append(item)
        elif not value.strip():
            error(number, f"{name.replace('_', ' ').capitalize()} has no value")
        elif name == "date":
            held = (value, number)
        elif name == "minutes_by":
            draft.minutes_by = _email(value, number, error)
            draft.lines["attributed_to"] = number
        else:
            setattr(draft, name, " ".join(value.split()))
            draft.lines[name] = number
    for point in layout.sections.get("discussion", []):
        draft.lines[f"discussion_points[{len(draft.discussion_points)}]"] = point.line
        draft.discussion_points.append(point.text)
    for decision in layout.sections.get("decisions", []):
        draft.lines[f"decisions[{len(draft.decisions)}]"] = decision.line
        draft.decisions.append(_decision(decision.text, decision.line, error))
    dues: list[tuple[int, str, int]] = []
    for action_item in layout.sections.get("action_items", []):
        number = action_item.line
        parsed = _action_item(action_item.text, number, error)
        if parsed is not None:
            action, due = parsed
            index = len(draft.action_items)
            draft.lines[f"action_items[{index}]"] = number
            draft.action_items.append(action)
            if due is not None:
                dues.append((index, due, number))

    if held is None:
        error(title_line, "give the meeting's date and time: 'Date: 2026-03-05 10:00 Europe/Paris'")
    else:
        draft.held_at = _parse_when(held[0], held[1], None, error, time_required=True)
        draft.lines["occurred_at"] = draft.lines["held_at"] = held[1]
    zone = draft.held_at.tzinfo if draft.held_at is not None else None
    for index, due, number in dues:
        when = _parse_when(due, number, zone, error, time_required=False)
        if when is not None:
            draft.action_items[index] = _replace_due(draft.action_items[index], when)
    if "attendees" not in draft.lines:
        error(title_line, "list the attendees: 'Attendees: pm@team.test, Sue <sue@client.test>'")
    if not (draft.discussion_points or draft.decisions or draft.action_items):
        error(
            layout.last_line,
            "the minutes need a discussion point, a decision or an action item "
            f"(under {_section_names()})",
        )
    if errors:
        raise MinutesParseError(sorted(errors, key=lambda e: e.line))
    return draft


@dataclass
class _Item:
    text: str
    line: int


@dataclass
class _Layout:
    """The lines of the file sorted into their places, continuation lines joined."""

    title: tuple[str, int] | None = None
    fields: list[tuple[str, str, int]] = field(default_factory=list)
    sections: dict[str, list[_Item]] = field(default_factory=dict)
    last_line: int = 1

    def continue_field(self, text: str) -> None:
        name, value, line = self.fields[-1]
        joiner = {"attendees": ", ", "agenda": "; "}.get(name, " ")
        self.fields[-1] = (name, f"{value}{joiner}{text}" if value else text, line)


def _layout(text: str, error: Callable[[int, str], None]) -> _Layout:
    layout = _Layout()
    section: str | None = None  # None: the header fields, before the first '## ' heading
    items: list[_Item] = []  # the list being read, whose last item a continuation extends
    in_comment = False
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if in_comment or stripped.startswith("<!--"):
            in_comment = "-->" not in stripped
            continue
        if not stripped:
            continue
        layout.last_line = number
        indented = line[:1] in (" ", "\t")
        bullet = _BULLET.match(stripped)
        if layout.title is None:
            match = _TITLE.match(stripped)
            if match is None:
                error(number, "the minutes begin with the meeting's title: '# Title'")
            layout.title = (match.group("title") if match else "?", number)
        elif (match := _SECTION.match(stripped)) is not None:
            section = _SECTIONS.get(" ".join(match.group("name").lower().split()))
            if section is None:
                error(number, f"unknown section {match.group('name')!r}; use {_section_names()}")
                section = "unknown"
            items = layout.sections.setdefault(section, [])
        elif indented and bullet is None and items:
            items[-1].text = f"{items[-1].text} {stripped}"  # continues the item above
        elif section in _LISTS or (section is None and bullet is not None and _after_list(layout)):
            # '## Attendees' / '## Agenda' sections, or a list under 'Attendees:' / 'Agenda:'
            if bullet is None:
                error(number, "expected a list item ('- ...') here")
            else:
                name = section or layout.fields[-1][0]
                layout.fields.append((name, bullet.group("text"), number))
        elif section is None:
            match = _FIELD.match(stripped)
            if indented and layout.fields:  # continues the field above
                layout.continue_field(stripped)
            elif match is None:
                error(number, f"expected 'Field: value' ({_field_names()}) or a '## ' section")
            elif (name_found := _FIELDS.get(" ".join(match.group("key").lower().split()))) is None:
                error(number, f"unknown field {match.group('key')!r}; use {_field_names()}")
            else:
                layout.fields.append((name_found, match.group("value").strip(), number))
        elif bullet is None:
            error(number, "expected a list item ('- ...') in this section")
        else:
            items.append(_Item(bullet.group("text").strip(), number))
    return layout


def _after_list(layout: _Layout) -> bool:
    """The last header field was 'Attendees:' or 'Agenda:', whose items may follow as a list."""
    return bool(layout.fields) and layout.fields[-1][0] in _LISTS


_LISTS = ("attendees", "agenda")


def _field_names() -> str:
    return "Date, Place, Channel, Attendees, Agenda, Minutes by"


def _section_names() -> str:
    return "'## Discussion', '## Decisions' or '## Action items'"


def _add_attendees(
    draft: MinutesDraft, value: str, number: int, error: Callable[[int, str], None]
) -> None:
    draft.lines.setdefault("attendees", number)
    for email in _addresses(value, number, error, what="attendee"):
        if email not in draft.attendees:
            draft.lines[f"attendees[{len(draft.attendees)}]"] = number
            draft.attendees.append(email)


def _addresses(
    value: str, number: int, error: Callable[[int, str], None], *, what: str
) -> list[str]:
    """The addresses of a comma-separated list of ``Name <address>`` or bare addresses."""
    found = []
    for chunk in _ADDRESS_SPLIT.findall(value):
        text = chunk.strip()
        if not text:
            continue
        if "@" not in text:
            error(number, f"{what} {text!r} has no email address")
            continue
        _, address = parseaddr(text)
        email = _email(address if "@" in address else text, number, error)
        if email is not None:
            found.append(email)
    return found


#: The items of a comma-separated list; commas inside quotes or angle brackets do not split.
_ADDRESS_SPLIT = re.compile(r'(?:"[^"]*"|<[^>]*>|[^,])+')


def _email(value: str, number: int, error: Callable[[int, str], None]) -> str | None:
    try:
        return normalise_email(value.strip().strip("<>"))
    except InvalidInputError:
        error(number, f"{value.strip()!r} is not an email address")
        return None


def _decision(text: str, number: int, error: Callable[[int, str], None]) -> DraftDecision:
    match = _TRAILING.search(text)
    if match is None or match.group("word").lower() != "decided by":
        return DraftDecision(text)
    deciders = _addresses(match.group("value"), number, error, what="decider")
    statement = text[: match.start()].strip()
    if not statement:
        error(number, "the decision has no statement before '(decided by ...)'")
    return DraftDecision(statement, tuple(dict.fromkeys(deciders)))


def _action_item(
    text: str, number: int, error: Callable[[int, str], None]
) -> tuple[DraftActionItem, str | None] | None:
    box = _CHECKBOX.match(text)
    if box is not None:
        if box.group("mark") != " ":
            error(
                number,
                "a ticked action item ([x]) is not imported as done: write it '- [ ]' and let "
                "its owner record the fulfilment",
            )
            return None
        text = box.group("rest")
    match = _OWNER.match(text)
    if match is None:
        error(number, "an action item names its owner first: '- [ ] @owner@example.com ...'")
        return None
    owner = _email(match.group("owner"), number, error)
    rest = match.group("rest").strip()
    due: str | None = None
    promisee: str | None = None
    while (trailing := _TRAILING.search(rest)) is not None:
        word, value = trailing.group("word").lower(), trailing.group("value").strip()
        if word in ("due", "by"):
            if due is not None:
                error(number, "the action item has two due dates")
            due = value
        elif word in ("to", "for"):
            promisee = _email(value, number, error)
        else:
            break
        rest = rest[: trailing.start()].rstrip()
    if not rest:
        error(number, "the action item has no description")
    if owner is None:
        return None
    return DraftActionItem(owner=owner, description=rest, promisee=promisee), due


def _replace_due(item: DraftActionItem, due_at: datetime) -> DraftActionItem:
    return DraftActionItem(item.owner, item.description, due_at, item.promisee)


def _parse_when(
    value: str,
    number: int,
    default_zone: tzinfo | None,
    error: Callable[[int, str], None],
    *,
    time_required: bool,
) -> datetime | None:
    match = _DATETIME.match(value.strip())
    if match is None:
        error(number, f"{value!r} is not a date such as 2026-03-05 10:00 Europe/Paris")
        return None
    try:
        day = date.fromisoformat(match.group("date"))
        at = time.fromisoformat(_pad(match.group("time"))) if match.group("time") else None
    except ValueError:
        error(number, f"{value!r} is not a valid date and time")
        return None
    if at is None:
        if time_required:
            error(number, f"{value!r} needs a time and a zone, e.g. {day} 10:00 Europe/Paris")
            return None
        at = END_OF_DAY
    zone = _zone(match.group("zone").strip(), default_zone)
    if zone is None:
        error(
            number,
            f"{value!r} needs a time zone: an offset (+01:00), Z or UTC, or a name such as "
            "Europe/Paris",
        )
        return None
    return datetime.combine(day, at, tzinfo=zone)


def _pad(clock: str) -> str:
    return clock if len(clock.split(":")[0]) == 2 else f"0{clock}"


def _zone(text: str, default: tzinfo | None) -> tzinfo | None:
    if not text:
        return default
    if text in ("Z", "UTC", "GMT"):
        return UTC
    offset = _OFFSET.match(text)
    if offset is not None:
        delta = timedelta(hours=int(offset.group("h")), minutes=int(offset.group("m") or 0))
        return timezone(-delta if offset.group("sign") == "-" else delta)
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        return None


# ------------------------------------------------------------------------------ import


@dataclass(frozen=True)
class MinutesImportResult:
    meeting_id: UUID
    document_sha256: str
    commitment_ids: tuple[UUID, ...]
    decision_ids: tuple[UUID, ...]
    document_interaction_id: UUID
    already_imported: bool


def import_minutes(
    ledger: Ledger,
    project_id: UUID,
    actor: str,
    data: bytes,
    *,
    filename: str | None = None,
    documents: DocumentStore | None = None,
) -> MinutesImportResult:
    """Import one Markdown minutes file, recorded by ``actor`` (a member who records; a
    ``Minutes by:`` line attributes the minutes to the member who took them).

    The file's bytes go to the document store first; then the meeting, its minutes, the
    commitments of its action items, the decisions that name who took them, and the minutes
    document are recorded in one save. The same file imported again records nothing."""
    text = _decode(data)
    draft = parse_minutes(text)
    sha256 = digest(data)
    if filename is not None:
        filename = filename.replace("\x00", "") or None
    own_store = documents is None
    store = documents if documents is not None else DocumentStore(ledger.storage)
    try:
        store.put(
            data,
            media_type="text/markdown",
            filename=filename,
            project_id=project_id,
            stored_by=actor,
        )
    finally:
        if own_store:
            store.close()
    assert draft.held_at is not None
    try:
        recorded = ledger.record_meeting_with_minutes(
            actor,
            project_id,
            title=draft.title,
            held_at=draft.held_at,
            attendees=draft.attendees,
            agenda=draft.agenda,
            place=draft.place,
            channel=draft.channel,
            discussion_points=draft.discussion_points,
            decisions=[
                {"statement": d.statement, "decided_by": list(d.decided_by)}
                for d in draft.decisions
            ],
            action_items=[
                {
                    "owner": a.owner,
                    "description": a.description,
                    "due_at": a.due_at,
                    "promisee": a.promisee,
                }
                for a in draft.action_items
            ],
            document={
                "name": filename or f"minutes-{sha256[:12]}.md",
                "sha256": sha256,
                "size": len(data),
                "media_type": "text/markdown",
            },
            attributed_to=draft.minutes_by,
            idempotency_key=f"minutes-sha256:{sha256}",
        )
    except DomainError as e:
        located = _locate(draft, e)
        if located is None:
            raise
        raise MinutesParseError([located]) from None
    parts = ledger.get_minutes_parts(project_id, recorded.id)
    assert parts.document_interaction_id is not None
    return MinutesImportResult(
        meeting_id=recorded.id,
        document_sha256=sha256,
        commitment_ids=parts.commitment_ids,
        decision_ids=parts.decision_ids,
        document_interaction_id=parts.document_interaction_id,
        already_imported=recorded.position == 0,
    )


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise MinutesParseError(
            [MinutesError(line, f"not UTF-8 text (byte {e.start}); save the file as UTF-8")]
        ) from None


_ROOTS = frozenset(
    {
        "title",
        "held_at",
        "occurred_at",
        "attendees",
        "agenda",
        "place",
        "channel",
        "attributed_to",
        "discussion_points",
        "decisions",
        "action_items",
    }
)


def _locate(draft: MinutesDraft, error: DomainError) -> MinutesError | None:
    """The line a ledger error is about, from the input field it names (``None`` when it is
    about no line: the actor is not a member, the project is closed...)."""
    if isinstance(error, InvalidInputError):
        path, message = error.field, error.message
    else:
        path, _, message = str(error).partition(": ")
    root = re.split(r"[.\[]", path, maxsplit=1)[0]
    if root not in _ROOTS or not message:
        return None
    return MinutesError(draft.line_of(path), message)


__all__ = [
    "DraftActionItem",
    "DraftDecision",
    "MinutesDraft",
    "MinutesError",
    "MinutesImportResult",
    "MinutesParseError",
    "import_minutes",
    "parse_minutes",
]
