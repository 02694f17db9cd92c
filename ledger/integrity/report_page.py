# ruff: noqa: RUF001, E501 -- full-width punctuation in Chinese, curly quotes in English; long markup and phrases kept whole
"""``report.html``: the page a lawyer and a client read (see :mod:`ledger.integrity.report`).

Deterministic: the same bundle gives the same bytes (the verifier compares them). Every value
shown comes from the decoded events or the index; names replace e-mail addresses wherever the
bundle's membership events give one.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import orjson

from ledger.domain.time import LATE_ENTRY_AFTER
from ledger.integrity.report_check import CHECK_SCRIPT
from ledger.integrity.report_text import (
    EVENTS,
    GRADES,
    KINDS,
    PHRASES,
    ROLE_WORDS,
    ROLES_IN_WORDS,
    SIDES,
    amount,
    pick,
    say,
    when,
)

__all__ = ["ReportInput", "people_of", "render"]

#: A gap between occurring and recording that makes an entry "late" (material), in seconds:
#: the timeline's and the audit trail's rule (``ledger.domain.time``).
LATE_AFTER_SECONDS: Final = LATE_ENTRY_AFTER.total_seconds()
_SUMMARY_MAX: Final = 40


@dataclass(frozen=True)
class ReportInput:
    """What the report is made of: ``bundle.json`` (``index``), the decoded events (each with
    its ``role``), the leaf data and proof object of each event by position, and the signed
    checkpoint note."""

    index: Mapping[str, Any]
    events: Sequence[Mapping[str, Any]]
    leaves: Mapping[int, bytes]
    proofs: Mapping[int, Mapping[str, Any]]
    checkpoint: str


Person = tuple[str, str, str]  # name, side, role


def people_of(events: Sequence[Mapping[str, Any]]) -> dict[str, Person]:
    """``{email: (name, side, role)}`` from the membership events, in position order."""
    people: dict[str, Person] = {}
    for e in sorted(events, key=lambda e: e["position"]):
        f = e["fields"] or {}
        if e["type"] == "Project.MemberAdded" and isinstance(f.get("member"), dict):
            m = f["member"]
            people[str(m.get("email"))] = (
                str(m.get("name", "")),
                str(m.get("party", "")),
                str(m.get("role", "")),
            )
        elif e["type"] == "Project.MemberRoleChanged" and f.get("email") in people:
            name, party, _ = people[f["email"]]
            people[f["email"]] = (name, party, str(f.get("role", "")))
    return people


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def agreed_history(history: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """An expectation's history as the baseline saw it: a proposal (``Proposed``,
    ``ChangeProposed``) counts only at the agreement that completed it, which then reads as the
    ``Set``, ``Revised`` or ``Withdrawn`` it applied (with who agreed); declined proposals and
    agreements that did not complete one are left out."""
    applied: list[Mapping[str, Any]] = []
    pending: tuple[str, dict[str, Any]] | None = None
    for e in history:
        t, f = e["type"], dict(e["fields"] or {})
        if t == "Expectation.Proposed":
            keep = ("kind", "title", "value", "agreed_by", "source")
            pending = ("Expectation.Set", {k: f.get(k) for k in keep})
        elif t == "Expectation.ChangeProposed":
            withdrawal = f.get("change") == "withdrawal"
            pending = (
                "Expectation.Withdrawn" if withdrawal else "Expectation.Revised",
                {
                    "value": f.get("value"),
                    "reason": f.get("reason"),
                    "agreed_by": f.get("agreed_by"),
                    "cause": "agreement",
                    "change_request_id": None,
                },
            )
        elif t == "Expectation.ProposalDeclined":
            pending = None
        elif t == "Expectation.AgreementGiven":
            if f.get("completes") and pending is not None:
                applied.append({**e, "type": pending[0], "fields": {**f, **pending[1]}})
                pending = None
        else:
            applied.append(e)
    return applied


class _Page:
    def __init__(self, data: ReportInput) -> None:
        self.data = data
        self.index = data.index
        self.lang = str(self.index.get("language") or "en")
        self.events = sorted(data.events, key=lambda e: e["position"])
        self.people = people_of(self.events)
        self.items: dict[str, list[Mapping[str, Any]]] = {}
        for e in self.events:
            self.items.setdefault(e["originator_id"], []).append(e)
        for item_id, history in self.items.items():
            if history[0]["type"] in ("Expectation.Set", "Expectation.Proposed"):
                self.items[item_id] = agreed_history(history) or history
        self.project = next(
            (e["fields"] or {} for e in self.events if e["type"] == "Project.Opened"), {}
        )
        from ledger.integrity.report import grade_commitments  # it imports this module

        self.grades = {g.commitment_id: g for g in grade_commitments(self.events)}

    # ------------------------------------------------------------------ words

    def say(self, key: str, **values: Any) -> str:
        return say(self.lang, key, **values)

    def day(self, value: Any) -> str:
        return when(value, self.lang)

    def moment(self, value: Any) -> str:
        return when(value, self.lang, time=True)

    def name(self, email: Any) -> str:
        """A person's name (their e-mail only where the bundle gives no name)."""
        if not email:
            return ""
        known = self.people.get(str(email))
        return known[0] if known and known[0] else str(email)

    def who(self, email: Any) -> str:
        """A person with their role in words: "the client's approver, Sam Okafor"."""
        known = self.people.get(str(email)) if email else None
        if not known:
            return self.name(email)
        role = pick(ROLES_IN_WORDS, known[2], self.lang, known[2])
        if self.lang == "zh-Hans":
            return f"{role}{known[0] or email}"
        return f"{known[0] or email} ({role})"

    def kind(self, kind: Any) -> str:
        return pick(KINDS, str(kind), self.lang, str(kind))

    def event_label(self, event_type: str) -> str:
        return pick(EVENTS, event_type, self.lang, event_type)

    def title_of(self, item_id: Any) -> str:
        for e in self.items.get(str(item_id), []):
            f = e["fields"] or {}
            for key in ("title", "statement", "subject", "name", "description"):
                if isinstance(f.get(key), str) and f[key]:
                    return str(f[key])
        return ""

    def item_label(self, item_id: Any) -> str:
        first = self.items.get(str(item_id))
        if not first:
            return self.say("unknown_item")
        kind = first[0]["type"].split(".", 1)[0]
        label = self.event_label(first[0]["type"]).lower() if kind == "Meeting" else kind
        words = {
            "Commitment": ("the promise", "承诺"),
            "ChangeRequest": ("change request", "变更请求"),
            "Expectation": ("baseline item", "基线项"),
            "Meeting": ("the minutes of", "会议纪要"),
            "StatusReport": ("status report", "状态报告"),
            "Decision": ("decision", "决定"),
            "Interaction": ("the message", "消息"),
            "Issue": ("issue", "问题"),
        }.get(kind, (label, label))
        prefix = words[1] if self.lang == "zh-Hans" else words[0]
        title = self.title_of(item_id)
        return f"{prefix}“{title}”" if self.lang == "zh-Hans" else f"{prefix} “{title}”"

    def value(self, kind: Any, value: Any) -> str:
        """An expectation's value in words: a date, an amount, a span, or its text."""
        if not isinstance(value, dict):
            return str(value or "")
        if value.get("amount") is not None:
            return amount(value["amount"], value.get("currency"))
        if value.get("start") and value.get("end"):
            return f"{self.day(value['start'])} – {self.day(value['end'])}"
        if value.get("metric"):
            return (
                f"{value['metric']} {value.get('target', '')} ({self.day(value.get('deadline'))})"
            )
        if value.get("date"):
            return self.day(value["date"])
        return f"“{value.get('text', '')}”"

    def joined(self, names: Iterable[str]) -> str:
        items = [n for n in names if n]
        if len(items) <= 1:
            return "".join(items)
        return self.say("list_sep").join(items[:-1]) + self.say("and") + items[-1]

    # ------------------------------------------------------------------ expectations

    def revisions_by(self, change_id: str) -> list[tuple[str, str, str, str | None, bool]]:
        """(kind, title, new value, old value or None, withdrawn) for each expectation the
        change request revised, read from the expectations' own histories."""
        found = []
        for item_id, history in self.items.items():
            kind, title, current = None, "", None
            for e in history:
                f = e["fields"] or {}
                if e["type"] == "Expectation.Set":
                    kind, title, current = f.get("kind"), str(f.get("title", "")), f.get("value")
                elif e["type"] in ("Expectation.Revised", "Expectation.Withdrawn"):
                    if str(f.get("change_request_id")) == change_id:
                        old = self.value(kind, current) if current is not None else None
                        withdrawn = e["type"] == "Expectation.Withdrawn"
                        new = "" if withdrawn else self.value(kind, f.get("value"))
                        found.append((self.kind(kind), title, new, old, withdrawn))
                    if e["type"] == "Expectation.Revised":
                        current = f.get("value")
            del item_id
        return found

    def change_phrases(self, change_id: str, approval: Mapping[str, Any]) -> list[str]:
        phrases = []
        revised = self.revisions_by(change_id)
        for kind, title, new, old, withdrawn in revised:
            if withdrawn:
                phrases.append(self.say("s.withdrawn_item", kind=kind, title=title))
            elif old is not None:
                phrases.append(self.say("s.moved", kind=kind, title=title, old=old, new=new))
            else:
                phrases.append(self.say("s.set_to", kind=kind, title=title, new=new))
        if not revised:  # the expectations are not in the bundle: what the approval says
            for r in approval.get("revisions") or ():
                eid = r.get("expectation_id") if isinstance(r, dict) else None
                title = self.title_of(eid) or str(eid)
                if r.get("withdraw"):
                    phrases.append(self.say("s.withdrawn_item", kind="", title=title).strip())
                else:
                    new = self.value(None, r.get("value"))
                    phrases.append(self.say("s.set_to", kind="", title=title, new=new).strip())
        return phrases

    # ------------------------------------------------------------------ summary

    def summary(self) -> list[str]:
        sentences: list[tuple[str, int, str]] = []  # (occurred, position, sentence)

        def add(event: Mapping[str, Any], text: str) -> None:
            f = event["fields"] or {}
            sentences.append((str(f.get("occurred_at", "")), event["position"], text))

        end = str(self.index.get("created_at", ""))
        to = (self.index.get("scope") or {}).get("to")
        if to:
            end = min(end, str(to))
        for item_id, history in self.items.items():
            first = history[0]
            f0 = first["fields"] or {}
            if first["type"] == "ChangeRequest.Requested":
                title = str(f0.get("title", ""))
                decided = False
                for e in history:
                    f = e["fields"] or {}
                    who = self.who(f.get("attributed_to") or f.get("actor"))
                    if e["type"] == "ChangeRequest.Approved":
                        phrases = self.change_phrases(item_id, f)
                        changes = (
                            self.say("s.changes", items=self.say("s.join").join(phrases))
                            if phrases
                            else ""
                        )
                        add(e, self.say("s.approved", date=self.day(f.get("occurred_at")),
                                        who=who, title=title, changes=changes))  # fmt: skip
                        decided = True
                    elif e["type"] == "ChangeRequest.Rejected":
                        add(e, self.say("s.rejected", date=self.day(f.get("occurred_at")),
                                        who=who, title=title, reason=f.get("reason", "")))  # fmt: skip
                        decided = True
                    elif e["type"] == "ChangeRequest.Withdrawn":
                        add(e, self.say("s.cr_withdrawn", date=self.day(f.get("occurred_at")),
                                        who=who, title=title))  # fmt: skip
                        decided = True
                    elif e["type"] == "ChangeRequest.Implemented":
                        add(e, self.say("s.implemented", date=self.day(f.get("occurred_at")),
                                        who=who, title=title))  # fmt: skip
                if not decided:
                    add(first, self.say("s.cr_pending", title=title,
                                        who=self.who(f0.get("requested_by")),
                                        date=self.day(f0.get("occurred_at"))))  # fmt: skip
            elif first["type"] == "Commitment.Made":
                self.commitment_sentences(item_id, history, add, end)
            elif first["type"] == "AcknowledgementRequest.Requested":
                what = self.item_label(f0.get("subject_id"))
                answered = False
                for e in history[1:]:
                    f = e["fields"] or {}
                    if e["type"] == "AcknowledgementRequest.Acknowledged":
                        add(e, self.say("s.acknowledged", date=self.day(f.get("occurred_at")),
                                        who=self.who(f0.get("person")), what=what))  # fmt: skip
                        answered = True
                    elif e["type"] == "AcknowledgementRequest.Disputed":
                        add(e, self.say("s.ack_disputed", date=self.day(f.get("occurred_at")),
                                        who=self.who(f0.get("person")), what=what,
                                        reason=f.get("reason", "")))  # fmt: skip
                        answered = True
                    elif e["type"] == "AcknowledgementRequest.Withdrawn":
                        answered = True
                if not answered:
                    add(first, self.say("s.ack_open", date=self.day(f0.get("occurred_at")),
                                        who=self.who(f0.get("person")), what=what))  # fmt: skip
            elif first["type"] == "Expectation.Set":
                kind, title, current = f0.get("kind"), f0.get("title", ""), f0.get("value")
                for e in history[1:]:
                    f = e["fields"] or {}
                    if e["type"] != "Expectation.Revised":
                        continue
                    if str(f.get("change_request_id")) in self.items:
                        current = f.get("value")
                        continue  # told with the change request's approval
                    if f.get("change_request_id"):
                        cause = self.say("s.by_change", title=self.title_of(f["change_request_id"]))
                    else:
                        agreed = self.joined(self.name(p) for p in f.get("agreed_by") or ())
                        cause = self.say("s.by_agreement", who=agreed)
                    add(e, self.say("s.revised", date=self.day(f.get("occurred_at")),
                                    kind=self.kind(kind), title=title,
                                    old=self.value(kind, current),
                                    new=self.value(kind, f.get("value")), cause=cause))  # fmt: skip
                    current = f.get("value")
        sentences.sort()
        return [s for _, _, s in sentences]

    def commitment_sentences(
        self, item_id: str, history: Sequence[Mapping[str, Any]], add: Any, end: str
    ) -> None:
        f0 = history[0]["fields"] or {}
        grade = self.grades.get(item_id)
        due_at = f0.get("due_at")
        due = self.say("s.due", due=self.day(due_at)) if due_at else ""
        add(history[0], self.say(
            "s.promised", date=self.day(f0.get("occurred_at")),
            promisor=self.who(f0.get("promisor")), promisee=self.who(f0.get("promisee")),
            statement=f0.get("statement", ""), due=due,
            grade=pick(GRADES, str(grade.grade), self.lang) if grade else "",
        ))  # fmt: skip
        kept = False
        for e in history[1:]:
            f = e["fields"] or {}
            who = self.who(f.get("attributed_to") or f.get("actor"))
            at = self.day(f.get("occurred_at"))
            if e["type"] == "Commitment.Renegotiated":
                due_at = f.get("due_at")
            elif e["type"] == "Commitment.Fulfilled":
                add(e, self.say("s.fulfilled", date=at, who=who))
                kept = True
            elif e["type"] == "Commitment.FulfilmentAccepted":
                add(e, self.say("s.accepted", date=at, who=who))
            elif e["type"] == "Commitment.FulfilmentDisputed":
                add(e, self.say("s.disputed", date=at, who=who, reason=f.get("reason", "")))
            elif e["type"] == "Commitment.Withdrawn":
                add(e, self.say("s.c_withdrawn", date=at, who=who))
                kept = True
            elif e["type"] == "Commitment.Released":
                add(e, self.say("s.released", date=at, who=who))
                kept = True
        if not kept and isinstance(due_at, str) and due_at < end:
            sentences_at = {"fields": {"occurred_at": due_at}, "position": history[0]["position"]}
            add(sentences_at, self.say("s.overdue", due=self.day(due_at)))

    # ------------------------------------------------------------------ story

    def details(self, e: Mapping[str, Any]) -> list[str]:
        """The lines under an entry: titles, before -> after values, reasons."""
        f = e["fields"] or {}
        t = e["type"]
        lines: list[str] = []
        if t == "Expectation.Set":
            lines.append(f"{self.kind(f.get('kind'))} “{f.get('title', '')}”: "
                         f"{self.value(f.get('kind'), f.get('value'))}")  # fmt: skip
        elif t in ("Expectation.Revised", "Expectation.Withdrawn"):
            history = self.items.get(e["originator_id"], [])
            kind, title, current = None, "", None
            for h in history:
                hf = h["fields"] or {}
                if h["position"] >= e["position"]:
                    break
                if h["type"] == "Expectation.Set":
                    kind, title, current = hf.get("kind"), hf.get("title", ""), hf.get("value")
                elif h["type"] == "Expectation.Revised":
                    current = hf.get("value")
            new = "—" if t == "Expectation.Withdrawn" else self.value(kind, f.get("value"))
            old = self.value(kind, current) if current is not None else "?"
            lines.append(f"{self.kind(kind)} “{title}”: {old} → {new}")
            if f.get("change_request_id"):
                lines.append(self.say("s.by_change", title=self.title_of(f["change_request_id"])))
        elif t == "ChangeRequest.Requested":
            lines.append(f"“{f.get('title', '')}”")
            lines.append(str(f.get("description", "")))
        elif t == "ChangeRequest.ImpactAssessed":
            lines.append(str(f.get("scope_impact", "")))
            days = f.get("schedule_delta_days")
            if days is not None:
                lines.append(self.say("schedule", days=self.say("days", n=f"{days:+d}")))
            cost = f.get("cost_delta")
            if isinstance(cost, dict):
                lines.append(
                    self.say(
                        "cost", amount=_signed(amount(cost.get("amount"), cost.get("currency")))
                    )
                )
            for r in f.get("revisions") or ():
                title = self.title_of(r.get("expectation_id")) or str(r.get("expectation_id"))
                lines.append(
                    f"“{title}” → "
                    + ("—" if r.get("withdraw") else self.value(None, r.get("value")))
                )
        elif t == "Commitment.Made":
            lines.append(f"{self.name(f.get('promisor'))} → {self.name(f.get('promisee'))}: "
                         f"“{f.get('statement', '')}”")  # fmt: skip
            if f.get("due_at"):
                lines.append(self.say("s.due", due=self.day(f["due_at"])).lstrip(", ，"))
        elif t == "Commitment.Renegotiated":
            lines.append(f"“{f.get('statement', '')}”" + (
                f" — {self.day(f['due_at'])}" if f.get("due_at") else ""))  # fmt: skip
        elif t == "Interaction.Recorded":
            recipients = self.joined(self.name(x) for x in f.get("to") or ())
            lines.append(f"{self.name(f.get('from_address'))} → {recipients}: "
                         f"“{f.get('subject', '')}”")  # fmt: skip
            if f.get("summary"):
                lines.append(str(f["summary"]))
        elif t == "AcknowledgementRequest.Requested":
            lines.append(f"{self.name(f.get('person'))}: {self.item_label(f.get('subject_id'))}, "
                         + self.say("version", n=f.get("subject_version")))  # fmt: skip
        elif t == "Meeting.MinutesRecorded":
            for item in f.get("decisions") or ():
                lines.append(f"• {item}")
            for item in f.get("action_items") or ():
                if isinstance(item, dict):
                    lines.append(f"→ {self.name(item.get('owner'))}: {item.get('description', '')}")
        else:
            for key in ("title", "statement", "subject", "comment", "note", "reason",
                        "resolution", "response", "conditions", "description"):  # fmt: skip
                if isinstance(f.get(key), str) and f[key]:
                    lines.append(str(f[key]))
        return [line for line in lines if line]

    def story(self) -> str:
        rows = []
        ordered = sorted(
            (e for e in self.events if e.get("role") != "context"),
            key=lambda e: (str((e["fields"] or {}).get("occurred_at", "")), e["position"]),
        )
        for e in ordered:
            f = e["fields"] or {}
            actor = f.get("actor")
            principal = f.get("attributed_to")
            if principal:
                by = self.say("on_behalf", who=self.name(actor), whom=self.name(principal))
            else:
                by = self.say("recorded_by", who=self.name(actor))
            note = self.lateness(e)
            lines = "".join(f"<li>{_e(line)}</li>" for line in self.details(e))
            rows.append(
                f'<li class="entry" data-position="{e["position"]}" '
                f'data-topic="{_e(e["topic"])}">'
                f'<p class="when"><time datetime="{_e(f.get("occurred_at"))}">'
                f"{_e(self.moment(f.get('occurred_at')))}</time></p>"
                f"<p><strong>{_e(self.event_label(e['type']))}</strong> — {_e(by)}</p>"
                + (f"<ul>{lines}</ul>" if lines else "")
                + (f'<p class="late">{_e(note)}</p>' if note else "")
                + f'<p class="ref">#{e["position"]} · {_e(pick(ROLE_WORDS, e.get("role", ""), self.lang))}</p>'
                "</li>"
            )
        return '<ol class="story">' + "".join(rows) + "</ol>"

    def lateness(self, e: Mapping[str, Any]) -> str:
        f = e["fields"] or {}
        try:
            occurred = datetime.fromisoformat(str(f.get("occurred_at")))
            recorded = datetime.fromisoformat(str(f.get("timestamp")))
        except ValueError:
            return ""
        gap = (recorded - occurred).total_seconds()
        if gap <= LATE_AFTER_SECONDS:
            return ""
        if e["type"] == "Interaction.Recorded" and f.get("source_ref"):
            return self.say("imported", when=self.day(recorded))
        return self.say("late", when=self.day(recorded), days=int(gap // 86_400))

    # ------------------------------------------------------------------ tables

    def commitments(self) -> str:
        grades = list(self.grades.values())
        if not grades:
            return ""
        rows = []
        for g in grades:
            why = [self.say("recorded_by", who=self.name(g.recorded_by))]
            why += [self.event_label("Commitment.Acknowledged") + ": " + self.name(p)
                    for p in g.acknowledged_by]  # fmt: skip
            rows.append([
                _e(g.statement), _e(self.who(g.promisor)), _e(self.who(g.promisee)),
                f'<span class="grade g{g.grade.rank}">{_e(pick(GRADES, str(g.grade), self.lang))}</span>',
                "<br>".join(_e(x) for x in why),
            ])  # fmt: skip
        return self.section("commitments", _table(
            [self.say(k) for k in ("c.promise", "c.promisor", "c.promisee", "c.grade", "c.why")],
            rows))  # fmt: skip

    def acknowledgements(self) -> str:
        rows = []
        for history in self.items.values():
            first = history[0]
            if first["type"] != "AcknowledgementRequest.Requested":
                continue
            f0 = first["fields"] or {}
            answer = self.say("a.none")
            for e in history[1:]:
                f = e["fields"] or {}
                text = self.event_label(e["type"])
                extra = f.get("comment") or f.get("reason") or ""
                answer = f"{text}, {self.moment(f.get('occurred_at'))}" + (
                    f": “{extra}”" if extra else "")  # fmt: skip
            what = self.item_label(f0.get("subject_id")) + " (" + self.say(
                "version", n=f0.get("subject_version")) + ")"  # fmt: skip
            rows.append([_e(what), _e(self.who(f0.get("person"))),
                         _e(self.moment(f0.get("occurred_at"))), _e(answer)])  # fmt: skip
        if not rows:
            return ""
        return self.section("acks", _table(
            [self.say(k) for k in ("a.what", "a.who", "a.asked", "a.answer")], rows))  # fmt: skip

    def people_table(self) -> str:
        if not self.people:
            return ""
        rows = [
            [_e(n), _e(pick(SIDES, s, self.lang, s)), _e(pick(ROLES_IN_WORDS, r, self.lang, r)),
             _e(email)]
            for email, (n, s, r) in sorted(self.people.items(), key=lambda p: p[1][0])
        ]  # fmt: skip
        return self.section("people", _table(
            [self.say(k) for k in ("p.name", "p.side", "p.role", "p.email")], rows))  # fmt: skip

    def documents(self) -> str:
        held = self.index.get("documents") or []
        missing = self.index.get("documents_not_held") or []
        if not held and not missing:
            return ""
        rows = [
            [_e(d.get("filename") or d.get("sha256")),
             _e(self.say("d.bytes", n=f"{int(d.get('size', 0)):,}")),
             f'<a href="{_e(d.get("file"))}">{_e(d.get("file"))}</a>']
            for d in held
        ]  # fmt: skip
        rows += [[f"<code>{_e(s)}</code>", "", _e(self.say("d.missing"))] for s in missing]
        return self.section("documents", _table(
            [self.say(k) for k in ("d.name", "d.size", "d.file")], rows))  # fmt: skip

    def not_shown(self) -> str:
        scope = self.index.get("scope") or {}
        end = self.moment(scope.get("to") or self.index.get("created_at"))
        items = self.say("not_shown.items", end=end).split("|")
        return self.section(
            "not_shown", "<ul>" + "".join(f"<li>{_e(i)}</li>" for i in items) + "</ul>"
        )

    def technical(self) -> str:
        log = self.index.get("log") or {}
        scope = self.index.get("scope") or {}
        if scope.get("from") or scope.get("to"):
            period = self.say("t.from_to", start=scope.get("from") or self.say("start"),
                              end=scope.get("to") or self.say("now"))  # fmt: skip
        else:
            period = self.say("t.all_time")
        target = scope.get("person") if scope.get("kind") == "person" else scope.get("id")
        facts = _table(["", ""], [
            [_e(self.say("t.scope")), _e(f"{scope.get('kind')} {target}")],
            [_e(self.say("t.period")), _e(period)],
            [_e(self.say("t.log")), f"<code>{_e(log.get('origin'))}</code>"],
            [_e(self.say("t.size")), _e(f"{int(log.get('tree_size', 0)):,}")],
            [_e(self.say("t.root")), f"<code>{_e(log.get('root'))}</code>"],
            [_e(self.say("t.key")), f"<code>{_e(self.index.get('public_key_vkey'))}</code>"],
            [_e(self.say("t.fingerprint")), f"<code>{_e(self.index.get('public_key_sha256'))}</code>"],
        ], header=False)  # fmt: skip
        rows = []
        for e in self.events:
            proof = self.data.proofs.get(e["position"]) or {}
            rows.append([
                str(e["position"]), f"<code>{_e(e['originator_id'])}</code> v{e['originator_version']}",
                f"<code>{_e(e['type'])}</code>", _e(pick(ROLE_WORDS, e.get("role", ""), self.lang)),
                f"<code>{_e(proof.get('leaf_hash', ''))}</code>",
            ])  # fmt: skip
        events = f"<p>{_e(self.say('t.events'))}</p>" + _table(
            [self.say(k) for k in ("t.position", "t.item", "t.event", "t.role", "t.leaf")], rows,
            css="small")  # fmt: skip
        return self.section("technical", facts + events)

    def section(self, key: str, body: str) -> str:
        return f'<section id="{key.replace(".", "-")}"><h2>{_e(self.say(key))}</h2>{body}</section>'

    # ------------------------------------------------------------------ the page

    def title(self) -> str:
        scope = self.index.get("scope") or {}
        kind = scope.get("kind")
        if kind == "subject":
            return self.item_label(scope.get("id"))
        if kind == "project":
            return f"“{self.project.get('name', scope.get('id'))}”"
        return self.name(scope.get("person"))

    def embedded(self) -> str:
        data = {
            "checkpoint": self.data.checkpoint,
            "vkey": self.index.get("public_key_vkey"),
            "events": [
                {
                    "position": e["position"],
                    "leaf_index": (self.data.proofs.get(e["position"]) or {}).get("leaf_index"),
                    "topic": e["topic"],
                    "leaf": self.data.leaves.get(e["position"], b"").hex(),
                    "leaf_hash": (self.data.proofs.get(e["position"]) or {}).get("leaf_hash"),
                    "path": (self.data.proofs.get(e["position"]) or {}).get("path"),
                }
                for e in self.events
            ],
            "words": {
                key: pick(PHRASES, key, self.lang)
                for key in ("check.ok", "check.nosig", "check.failed", "check.event")
            },
        }
        text = orjson.dumps(data).decode()
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")

    def render(self) -> bytes:
        title = self.title()
        summary = self.summary()
        more = len(summary) - _SUMMARY_MAX
        summary_html = (
            "".join(f"<p>{_e(s)}</p>" for s in summary[:_SUMMARY_MAX])
            if summary
            else f"<p>{_e(self.say('summary.none'))}</p>"
        )
        if more > 0:
            summary_html += f"<p>{_e(self.say('summary.more', n=more))}</p>"
        parts = [
            "<!DOCTYPE html>",
            f'<html lang="{_e(self.lang)}"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_e(self.say('title', what=title))}</title>",
            f"<style>{_CSS}</style></head><body>",
            f"<header><h1>{_e(self.say('title', what=title))}</h1>",
            f'<p class="lead">{_e(self.say("lead", made=self.day(self.index.get("created_at")), project=self.project.get("name", ""), what=title))}</p>',
            "</header>",
            '<section id="check" class="check" data-state="pending">'
            f"<h2>{_e(self.say('check'))}</h2>"
            f'<p id="check-status" role="status">{_e(self.say("check.running"))}</p>'
            f"<noscript><p>{_e(self.say('check.noscript'))}</p></noscript>"
            f"<p>{_e(self.say('check.fingerprint'))} "
            f'<code id="check-fingerprint">{_e(self.index.get("public_key_sha256"))}</code></p>'
            '<ul id="check-failures"></ul></section>',
            self.section("summary", summary_html),
            self.section("story", f"<p>{_e(self.say('story.times'))}</p>" + self.story()),
            self.commitments(),
            self.acknowledgements(),
            self.people_table(),
            self.documents(),
            self.not_shown(),
            self.technical(),
            f'<script type="application/json" id="evidence-data">{self.embedded()}</script>',
            f"<script>{CHECK_SCRIPT}</script>",
            "</body></html>",
        ]
        return ("\n".join(p for p in parts if p) + "\n").encode("utf-8")


def render(data: ReportInput) -> bytes:
    """``report.html`` for the bundle ``data`` describes. Deterministic."""
    return _Page(data).render()


def _signed(text: str) -> str:
    return text if text.startswith("-") else f"+{text}"


def _table(
    headers: list[str], rows: Iterable[list[str]], *, header: bool = True, css: str = ""
) -> str:
    head = "<tr>" + "".join(f"<th>{_e(h)}</th>" for h in headers) + "</tr>" if header else ""
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    klass = f' class="{css}"' if css else ""
    return f"<table{klass}>{head}{body}</table>"


_CSS: Final = (
    "body{font:15px/1.5 system-ui,'Noto Sans','Noto Sans CJK SC','PingFang SC',sans-serif;"
    "margin:2em auto;max-width:60em;color:#1a1a1a;padding:0 1em}"
    "h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:2em;"
    "border-bottom:1px solid #bbb}.lead{color:#333}"
    "table{border-collapse:collapse;width:100%;margin:.5em 0}td,th{border:1px solid #ccc;"
    "padding:.3em .5em;vertical-align:top;text-align:left;overflow-wrap:anywhere}"
    "th{background:#f2f2f2}code{font-size:.85em;word-break:break-all}"
    "table.small{font-size:.85em}"
    ".check{border:2px solid #888;padding:.2em 1em;border-radius:4px}"
    ".check[data-state=verified]{border-color:#2a7d2a;background:#f0faf0}"
    ".check[data-state=failed]{border-color:#b00;background:#fff0f0}"
    ".check[data-state=partial]{border-color:#b80;background:#fffbea}"
    "ol.story{list-style:none;padding:0}ol.story>li{border-left:3px solid #999;"
    "padding:.1em 0 .4em .8em;margin:0 0 .8em}ol.story p{margin:.15em 0}"
    ".when{color:#444;font-size:.9em}.late{color:#a40;font-size:.9em}"
    ".ref{color:#777;font-size:.8em}.grade{padding:0 .3em;border-radius:3px}"
    ".g1{background:#fdd}.g2{background:#fed}.g3{background:#dfd}.g4{background:#bfb}"
    "@media print{body{margin:0;max-width:none;font-size:11pt}a{color:inherit;"
    "text-decoration:none}section{break-inside:auto}ol.story>li,tr{break-inside:avoid}"
    "h2{break-after:avoid}#check-failures:empty{display:none}"
    "#technical{break-before:page}}"
)
