"""Words for the codes people would otherwise read: periods, roles, sides, kinds and states, in
English (``en``) and Simplified Chinese (``zh-Hans``).

Everything a person reads — narratives, the calendar feed, CSV headers, reports, the web app —
says "every week" (每周), "team member" (团队成员), "the client" (客户) rather than ``P7D``,
``team_member``, ``client``. Pure functions, no I/O; an unknown code falls back to itself
with underscores as spaces, so a new code never breaks a page.

>>> every("P7D"), every("P7D", "zh-Hans"), role("client_approver"), party("third_party")
('every week', '每周', 'client approver', 'a third party')
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Literal

Language = Literal["en", "zh-Hans"]
LANGUAGES: tuple[Language, ...] = ("en", "zh-Hans")

_DURATION = re.compile(r"^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")


def _plain(code: str) -> str:
    return code.replace("_", " ")


def _lookup(table: Mapping[str, Mapping[Language, str]], code: str, lang: Language) -> str:
    words = table.get(str(code))
    if words is None:
        return _plain(str(code))
    return words.get(lang) or words["en"]


# ------------------------------------------------------------------------------- periods

_UNITS_EN = {
    "Y": ("year", "years"),
    "M": ("month", "months"),
    "W": ("week", "weeks"),
    "D": ("day", "days"),
}
_UNITS_ZH = {"Y": "年", "M": "个月", "W": "周", "D": "天"}
_EVERY_ONE_ZH = {"Y": "每年", "M": "每月", "W": "每周", "D": "每天"}


def _parts(duration: str) -> list[tuple[int, str]] | None:
    match = _DURATION.match(duration)
    if not match:
        return None
    years, months, weeks, days = (int(g) if g else 0 for g in match.groups())
    if days and days % 7 == 0 and not weeks:
        weeks, days = days // 7, 0
    parts = [(n, unit) for n, unit in ((years, "Y"), (months, "M"), (weeks, "W"), (days, "D"))]
    return [(n, unit) for n, unit in parts if n]


def every(duration: str, lang: Language = "en") -> str:
    """An ISO 8601 period as a recurrence: ``P7D`` → "every week" / "每周", ``P2W`` → "every 2
    weeks" / "每2周", ``P1M`` → "every month" / "每月", ``P1M2D`` → "every 1 month and 2 days"."""
    parts = _parts(duration)
    if not parts:
        return f"every {duration}" if lang == "en" else f"每 {duration}"
    if lang == "zh-Hans":
        if len(parts) == 1 and parts[0][0] == 1:
            return _EVERY_ONE_ZH[parts[0][1]]
        return "每" + "".join(f"{n}{_UNITS_ZH[u]}" for n, u in parts)
    if len(parts) == 1 and parts[0][0] == 1:
        return f"every {_UNITS_EN[parts[0][1]][0]}"
    words = [f"{n} {_UNITS_EN[u][0 if n == 1 else 1]}" for n, u in parts]
    return "every " + (" and ".join(words) if len(words) <= 2 else ", ".join(words))


def period(duration: str, lang: Language = "en") -> str:
    """An ISO 8601 period as a length: ``P7D`` → "1 week" / "1周"."""
    parts = _parts(duration)
    if not parts:
        return duration
    if lang == "zh-Hans":
        return "".join(f"{n}{_UNITS_ZH[u]}" for n, u in parts)
    return " and ".join(f"{n} {_UNITS_EN[u][0 if n == 1 else 1]}" for n, u in parts)


# ---------------------------------------------------------------------- people and sides

_ROLES: dict[str, dict[Language, str]] = {
    "team_manager": {"en": "team manager", "zh-Hans": "项目经理"},
    "team_member": {"en": "team member", "zh-Hans": "团队成员"},
    "client_member": {"en": "client member", "zh-Hans": "客户成员"},
    "client_approver": {"en": "client approver", "zh-Hans": "客户审批人"},
    "auditor": {"en": "auditor", "zh-Hans": "审计人员"},
}

_PARTIES: dict[str, dict[Language, str]] = {
    "team": {"en": "the team", "zh-Hans": "团队"},
    "client": {"en": "the client", "zh-Hans": "客户"},
    "third_party": {"en": "a third party", "zh-Hans": "第三方"},
}

_SIDES: dict[str, dict[Language, str]] = {
    "team": {"en": "the team's side", "zh-Hans": "团队方"},
    "client": {"en": "the client's side", "zh-Hans": "客户方"},
    "third_party": {"en": "a third party's side", "zh-Hans": "第三方"},
}


def role(code: str, lang: Language = "en") -> str:
    """``team_member`` → "team member" / "团队成员"."""
    return _lookup(_ROLES, code, lang)


def party(code: str | None, lang: Language = "en") -> str:
    """``client`` → "the client" / "客户"; ``None`` → "nobody" / "无"."""
    if code is None:
        return "nobody" if lang == "en" else "无"
    return _lookup(_PARTIES, code, lang)


def side(code: str, lang: Language = "en") -> str:
    """``team`` → "the team's side" / "团队方"."""
    return _lookup(_SIDES, code, lang)


def person(email: str | None, names: Mapping[str, str] | Callable[[str], str | None]) -> str:
    """A person by name where one is known (``names``: email → name, or a function), else by
    address. Names equal to the address (members added without one) count as unknown."""
    if email is None:
        return ""
    name = names(email) if callable(names) else names.get(email)
    return name if name and name != email else email


# ------------------------------------------------------------------------ kinds, states

_CADENCES: dict[str, dict[Language, str]] = {
    "weekly_report": {"en": "weekly report", "zh-Hans": "周报"},
    "monthly_report": {"en": "monthly report", "zh-Hans": "月报"},
    "monthly_review": {"en": "monthly review", "zh-Hans": "月度评审"},
    "daily_standup": {"en": "daily stand-up", "zh-Hans": "每日站会"},
    "weekly_meeting": {"en": "weekly meeting", "zh-Hans": "周例会"},
    "status_report": {"en": "status report", "zh-Hans": "状态报告"},
}

_KINDS: dict[str, dict[Language, str]] = {
    "commitment": {"en": "commitment", "zh-Hans": "承诺"},
    "change_request": {"en": "change request", "zh-Hans": "变更请求"},
    "acknowledgement": {"en": "acknowledgement", "zh-Hans": "确认"},
    "question": {"en": "question", "zh-Hans": "问题咨询"},
    "problem": {"en": "problem", "zh-Hans": "问题"},
    "complaint": {"en": "complaint", "zh-Hans": "投诉"},
    "feedback": {"en": "feedback", "zh-Hans": "反馈"},
    "suggestion": {"en": "suggestion", "zh-Hans": "建议"},
    "risk": {"en": "risk", "zh-Hans": "风险"},
    "missed_cadence": {"en": "missed report", "zh-Hans": "缺失的报告"},
    "minutes": {"en": "minutes", "zh-Hans": "会议纪要"},
    "status_report": {"en": "status report", "zh-Hans": "状态报告"},
    "expectation": {"en": "expectation", "zh-Hans": "期望"},
    "decision": {"en": "decision", "zh-Hans": "决定"},
    "milestone": {"en": "milestone", "zh-Hans": "里程碑"},
    "deliverable": {"en": "deliverable", "zh-Hans": "交付物"},
    "scope_item": {"en": "scope item", "zh-Hans": "范围项"},
    "goal": {"en": "goal", "zh-Hans": "目标"},
    "budget": {"en": "budget", "zh-Hans": "预算"},
    "timeline": {"en": "timeline", "zh-Hans": "时间线"},
    "assumption": {"en": "assumption", "zh-Hans": "假设"},
    "constraint": {"en": "constraint", "zh-Hans": "约束"},
    "acceptance_criterion": {"en": "acceptance criterion", "zh-Hans": "验收标准"},
}

_STATES: dict[str, dict[Language, str]] = {
    "open": {"en": "open", "zh-Hans": "未结"},
    "missed": {"en": "missed", "zh-Hans": "已错过"},
    "unanswered": {"en": "unanswered", "zh-Hans": "未回复"},
    "acknowledged": {"en": "acknowledged", "zh-Hans": "已确认"},
    "in_progress": {"en": "in progress", "zh-Hans": "处理中"},
    "awaiting_assessment": {"en": "awaiting assessment", "zh-Hans": "待评估"},
    "awaiting_decision": {"en": "awaiting decision", "zh-Hans": "待决定"},
    "awaiting_acknowledgement": {"en": "awaiting acknowledgement", "zh-Hans": "待确认"},
    "awaiting_choice": {"en": "awaiting a choice", "zh-Hans": "待选择方案"},
    "renegotiation_proposed": {"en": "new terms proposed", "zh-Hans": "已提议新条款"},
    "fulfilled_awaiting_acceptance": {"en": "kept, awaiting acceptance", "zh-Hans": "已履行待验收"},
    "fulfilment_disputed": {"en": "fulfilment disputed", "zh-Hans": "履行有争议"},
    "resolved_awaiting_confirmation": {
        "en": "resolved, awaiting confirmation",
        "zh-Hans": "已解决待确认",
    },
    "materialised": {"en": "materialised", "zh-Hans": "已发生"},
    "closed": {"en": "closed", "zh-Hans": "已关闭"},
}

_CHANNELS: dict[str, dict[Language, str]] = {
    "email": {"en": "email", "zh-Hans": "邮件"},
    "phone": {"en": "phone call", "zh-Hans": "电话"},
    "video": {"en": "video call", "zh-Hans": "视频会议"},
    "im": {"en": "instant message", "zh-Hans": "即时消息"},
    "meeting": {"en": "meeting", "zh-Hans": "会议"},
    "in_person": {"en": "in person", "zh-Hans": "面谈"},
    "document": {"en": "document", "zh-Hans": "文档"},
}


def cadence_kind(code: str, lang: Language = "en") -> str:
    """``weekly_report`` → "weekly report" / "周报"."""
    return _lookup(_CADENCES, code, lang)


def kind(code: str, lang: Language = "en") -> str:
    """An item kind: ``change_request`` → "change request" / "变更请求"."""
    return _lookup(_KINDS, code, lang)


def state(code: str, lang: Language = "en") -> str:
    """An item's state: ``awaiting_decision`` → "awaiting decision" / "待决定"."""
    return _lookup(_STATES, code, lang)


def channel(code: str, lang: Language = "en") -> str:
    """``im`` → "instant message" / "即时消息"."""
    return _lookup(_CHANNELS, code, lang)


# ----------------------------------------------------------------------- column headers

_HEADERS: dict[str, dict[Language, str]] = {
    "id": {"en": "ID", "zh-Hans": "编号"},
    "kind": {"en": "Kind", "zh-Hans": "类型"},
    "title": {"en": "Title", "zh-Hans": "标题"},
    "state": {"en": "State", "zh-Hans": "状态"},
    "opened_at": {"en": "Opened at", "zh-Hans": "开始时间"},
    "age_days": {"en": "Age (days)", "zh-Hans": "已开放天数"},
    "due_at": {"en": "Due at", "zh-Hans": "截止时间"},
    "overdue": {"en": "Overdue", "zh-Hans": "已逾期"},
    "ball_party": {"en": "Whose move (side)", "zh-Hans": "待行动方"},
    "ball_person": {"en": "Whose move (person)", "zh-Hans": "待行动人"},
    "last_event_at": {"en": "Last change at", "zh-Hans": "最近变化时间"},
    "position": {"en": "Log position", "zh-Hans": "日志位置"},
    "occurred_at": {"en": "Happened at", "zh-Hans": "发生时间"},
    "recorded_at": {"en": "Recorded at", "zh-Hans": "记录时间"},
    "late_entry": {"en": "Late entry", "zh-Hans": "补录"},
    "imported": {"en": "Imported", "zh-Hans": "导入"},
    "before_opening": {"en": "Before the project opened", "zh-Hans": "早于项目开始"},
    "backdated": {"en": "Back-dated", "zh-Hans": "倒签"},
    "type": {"en": "Event", "zh-Hans": "事件"},
    "subject_type": {"en": "About (kind)", "zh-Hans": "对象类型"},
    "subject_id": {"en": "About (ID)", "zh-Hans": "对象编号"},
    "actor": {"en": "Recorded by", "zh-Hans": "记录人"},
    "attributed_to": {"en": "On behalf of", "zh-Hans": "代表"},
    "version": {"en": "Version", "zh-Hans": "版本"},
    "narrative": {"en": "What happened", "zh-Hans": "经过"},
    "promisor": {"en": "Promised by", "zh-Hans": "承诺人"},
    "promisee": {"en": "Promised to", "zh-Hans": "承诺对象"},
    "statement": {"en": "Promise", "zh-Hans": "承诺内容"},
    "evidence_grade": {"en": "Evidence", "zh-Hans": "证据等级"},
}


def header(column: str, lang: Language = "en") -> str:
    """A column's heading for people (CSV, tables): ``ball_party`` → "Whose move (side)"."""
    words = _HEADERS.get(column)
    if words is None:
        text = _plain(column)
        return text[:1].upper() + text[1:]
    return words.get(lang) or words["en"]


_COLUMNS = {words[lang]: column for column, words in _HEADERS.items() for lang in words}


def column_of(heading: str) -> str:
    """The column a heading written by :func:`header` names (in either language)."""
    column = _COLUMNS.get(heading)
    return column if column is not None else heading.lower().replace(" ", "_")
