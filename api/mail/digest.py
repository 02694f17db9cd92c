# ruff: noqa: RUF001  (the Chinese texts use full-width punctuation, as Chinese does)
"""The daily digest: one message per person of what waits on them in a project — their overdue
commitments, the acknowledgements they were asked for, the reports they owe — in the project's
time zone and the reader's language, sent through the relay (``ACCORD_SMTP_URL``) and recorded
like every message Accord sends (``accord mail digest``; see docs/mail.md).

The items come from the same query as ``GET /v1/projects/{id}/open-items`` (whose move it is), so
the digest says nothing the open-items view does not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from ledger.domain import wording
from ledger.domain.wording import Language
from ledger.interchange.mailroom import Circulation, Outbox, Relay, Sent
from ledger.service.application import Ledger
from projections import queries as q
from projections.asof import LiveViews

_TEXT: dict[str, dict[Language, str]] = {
    "subject": {
        "en": "{project}: {count} waiting on you",
        "zh-Hans": "{project}：有 {count} 项等待您处理",
    },
    "overdue": {"en": "Overdue", "zh-Hans": "已逾期"},
    "acknowledge": {"en": "Waiting for your acknowledgement", "zh-Hans": "等待您确认"},
    "reports": {"en": "Reports due from you", "zh-Hans": "应由您提交的报告"},
    "other": {"en": "Your move", "zh-Hans": "轮到您处理"},
    "due": {"en": "due {when}", "zh-Hans": "截止 {when}"},
    "intro": {
        "en": "Good morning {name}, this is what waits on you in {project} ({zone} time):",
        "zh-Hans": "{name}，您好。以下是 {project} 中等待您处理的事项（{zone} 时间）：",
    },
}


@dataclass
class Digest:
    """What waits on one person."""

    email: str
    name: str
    sections: dict[str, list[str]] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return sum(len(lines) for lines in self.sections.values())


def digests(
    ledger: Ledger, views: LiveViews, project_id: UUID, now: datetime, lang: Language = "en"
) -> list[Digest]:
    """One digest per member (auditors aside) with anything overdue or waiting on them."""
    project = ledger.get_project(project_id)
    zone = ZoneInfo(getattr(project, "time_zone", "UTC") or "UTC")
    members = {m.email: m for m in project.members.values() if m.role.may_record}
    found: dict[str, Digest] = {}
    for item in q.open_items(views, str(project_id), now):
        person = (item.get("ball_in_court") or {}).get("person")
        if person not in members:
            continue
        section = _section_of(item)
        if section is None:
            continue
        digest = found.setdefault(person, Digest(person, members[person].name))
        digest.sections.setdefault(section, []).append(_line(item, zone, lang))
    return [found[email] for email in sorted(found)]


def _section_of(item: dict[str, Any]) -> str | None:
    kind = str(item.get("kind", ""))
    if kind.startswith("acknowledgement"):
        return "acknowledge"
    if "cadence" in kind or "report" in kind:
        return "reports"
    if item.get("overdue"):
        return "overdue"
    return None  # not late and nothing asked: it stays on the open-items page


def _line(item: dict[str, Any], zone: ZoneInfo, lang: Language) -> str:
    title = item.get("title") or wording.kind(str(item.get("kind", "")), lang)
    due = item.get("due_at")
    if not due:
        return f"- {title}"
    when = datetime.fromisoformat(str(due).replace("Z", "+00:00")).astimezone(zone)
    return f"- {title} ({_TEXT['due'][lang].format(when=f'{when:%Y-%m-%d %H:%M}')})"


def compose(digest: Digest, project_name: str, zone: str, lang: Language) -> str:
    lines = [_TEXT["intro"][lang].format(name=digest.name, project=project_name, zone=zone), ""]
    for section in ("overdue", "acknowledge", "reports", "other"):
        if digest.sections.get(section):
            lines += [_TEXT[section][lang] + ":", *digest.sections[section], ""]
    return "\n".join(lines)


def send_digests(
    ledger: Ledger,
    views: LiveViews,
    project_id: UUID,
    actor: str,
    relay: Relay,
    now: datetime,
    lang: Language = "en",
) -> list[Sent]:
    """Send each person their digest; each message is recorded as an interaction of ``actor``
    (the manager or the scheduled job's member who sends them)."""
    project = ledger.get_project(project_id)
    zone = getattr(project, "time_zone", "UTC") or "UTC"
    sent: list[Sent] = []
    outbox = Outbox(ledger, relay)
    for digest in digests(ledger, views, project_id, now, lang):
        circulation = Circulation(
            project_id=project_id,
            subject=_TEXT["subject"][lang].format(project=project.name, count=digest.count),
            text=compose(digest, project.name, zone, lang),
            instructions={digest.email: ""},
        )
        sent += outbox.circulate(actor, circulation)
    return sent
