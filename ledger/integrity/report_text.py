# ruff: noqa: RUF001, E501 -- full-width punctuation in Chinese, curly quotes in English; long markup and phrases kept whole
"""The words of ``report.html``, in English and Simplified Chinese.

One table per language; :func:`say` fills a phrase. Dates are written the way a reader of that
language writes them (``3 March 2027`` / ``2027年3月3日``); amounts with thousands separators.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Final

LANGUAGES: Final = ("en", "zh-Hans")

_MONTHS: Final = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]

PHRASES: Final[dict[str, tuple[str, str]]] = {
    "title": ("Evidence: {what}", "证据：{what}"),
    "lead": (
        "Prepared by Accord on {made} from the ledger of project “{project}”. It tells the "
        "story of {what} from the records both sides made, each kept exactly as stored and "
        "provably part of the ledger's signed log.",
        "由 Accord 于 {made} 根据项目“{project}”的台账生成。它依据双方所作的记录讲述{what}的经过；"
        "每条记录都按存储原样保留，并可证明属于台账已签名的日志。",
    ),
    "check": ("Is this record intact?", "这份记录是否完整无改动？"),
    "check.running": ("Checking in this browser…", "正在本浏览器中核验……"),
    "check.noscript": (
        "This page checks itself with JavaScript, which is off. The files beside it can be "
        "checked with “accord evidence verify”, or by hand (README.txt).",
        "本页需要 JavaScript 才能自我核验，但 JavaScript 已关闭。可以用“accord evidence verify”"
        "或按 README.txt 手工核验旁边的文件。",
    ),
    "check.fingerprint": (
        "Signing key fingerprint (compare it with the one the ledger's operator publishes):",
        "签名密钥指纹（请与台账运营方公布的指纹核对）：",
    ),
    "check.ok": (
        "Verified in this browser: the {n} events below are unchanged and are in the ledger's "
        "log, as its checkpoint signed by the key with this fingerprint says.",
        "已在本浏览器中核验：以下 {n} 个事件未被改动，且属于台账日志，与该指纹对应密钥签名的检查点一致。",
    ),
    "check.nosig": (
        "The {n} events below are unchanged and are in the log of this checkpoint; this browser "
        "cannot check Ed25519 signatures, so the checkpoint's signature was not checked here "
        "(use “accord evidence verify”).",
        "以下 {n} 个事件未被改动，且属于该检查点的日志；本浏览器无法核验 Ed25519 签名，"
        "因此此处未核验检查点签名（请使用“accord evidence verify”）。",
    ),
    "check.failed": (
        "NOT VERIFIED: this page or its data was altered or damaged.",
        "未通过核验：本页或其数据已被改动或损坏。",
    ),
    "check.event": ("event #{position}: {why}", "事件 #{position}：{why}"),
    "summary": ("Summary", "摘要"),
    "summary.none": (
        "The bundle holds no approval, commitment or acknowledgement to summarise; the story "
        "below lists what it holds.",
        "本证据包中没有可概括的批准、承诺或确认；下文的经过列出了其全部内容。",
    ),
    "summary.more": ("… and {n} more in the story below.", "……另有 {n} 项见下文经过。"),
    "story": ("What happened, in order", "事情经过（按发生顺序）"),
    "story.times": (
        "Each entry is dated when it happened, as the person who recorded it said. The ledger "
        "also keeps when each entry was recorded; that is shown only where it was more than a "
        "day later (a “late entry”). Imported e-mails are dated when they were sent.",
        "每条记录的日期是事情发生的时间（由记录者给出）。台账还保存了每条记录的录入时间；"
        "仅当录入比发生晚一天以上时才显示（“补记”）。导入的电子邮件以发送时间为准。",
    ),
    "late": ("late entry: recorded {when} ({days} days later)", "补记：{when}录入（晚 {days} 天）"),
    "imported": ("imported into the ledger {when}", "于{when}导入台账"),
    "recorded_by": ("recorded by {who}", "由{who}记录"),
    "on_behalf": ("recorded by {who} on behalf of {whom}", "由{who}代{whom}记录"),
    "commitments": ("Promises and how well they are evidenced", "承诺及其证据强度"),
    "c.promise": ("promise", "承诺"),
    "c.promisor": ("who promised", "承诺人"),
    "c.promisee": ("to whom", "对象"),
    "c.grade": ("how well evidenced", "证据强度"),
    "c.why": ("why", "依据"),
    "acks": ("Acknowledgements", "确认"),
    "a.what": ("what", "内容"),
    "a.who": ("asked of", "请求对象"),
    "a.asked": ("asked", "请求时间"),
    "a.answer": ("answer, when given", "答复及时间"),
    "a.none": ("no answer in this bundle", "本证据包中无答复"),
    "people": ("People", "相关人员"),
    "p.name": ("name", "姓名"),
    "p.side": ("side", "所属方"),
    "p.role": ("role", "角色"),
    "p.email": ("e-mail", "电子邮件"),
    "documents": ("Documents", "文件"),
    "d.name": ("name", "名称"),
    "d.size": ("size", "大小"),
    "d.file": ("file in this bundle", "本证据包中的文件"),
    "d.missing": ("not held by the ledger", "台账未保存"),
    "d.bytes": ("{n} bytes", "{n} 字节"),
    "not_shown": ("What this bundle does not show", "本证据包不能说明的内容"),
    "not_shown.items": (
        "Anything outside its scope: other items and other projects are left out on purpose.|"
        "Anything that happened after {end}, or was recorded after the signed checkpoint.|"
        "Whether the times people gave for when things happened are true: they are what the "
        "person recording said; the ledger's own recording times are beside them.|"
        "What was said but never recorded in the ledger, and the content of documents the "
        "ledger does not hold (listed above as not held).|"
        "Who holds the signing key: compare the fingerprint above with the one the ledger's "
        "operator publishes.",
        "范围以外的任何内容：其他事项和其他项目被有意排除。|"
        "{end}之后发生的事，或在已签名检查点之后录入的内容。|"
        "记录中所称的发生时间是否属实：那是记录者给出的时间，台账自己的录入时间列在旁边。|"
        "说过但从未记入台账的内容，以及台账未保存的文件内容（上文列为未保存）。|"
        "签名密钥由谁持有：请将上面的指纹与台账运营方公布的指纹核对。",
    ),
    "technical": ("Technical details", "技术细节"),
    "t.log": ("log", "日志"),
    "t.size": ("tree size", "树大小"),
    "t.root": ("root (base64)", "根哈希（base64）"),
    "t.key": ("public key", "公钥"),
    "t.fingerprint": ("key fingerprint", "密钥指纹"),
    "t.scope": ("made for", "范围"),
    "t.period": ("period", "期间"),
    "t.all_time": ("all time", "全部时间"),
    "t.from_to": ("occurred from {start} to {end}, inclusive", "发生于 {start} 至 {end}（含）"),
    "t.events": (
        "Each event of the story is a file in this bundle, named by its position in the log:",
        "经过中的每个事件都是本证据包中的一个文件，以其在日志中的位置命名：",
    ),
    "t.position": ("position", "位置"),
    "t.item": ("item, version", "事项，版本"),
    "t.event": ("event", "事件"),
    "t.role": ("why included", "收录原因"),
    "t.leaf": ("leaf hash", "叶哈希"),
    "start": ("the start", "开始"),
    "now": ("now", "现在"),
    "the_end": ("the bundle was made", "证据包生成时"),
    # Sentences of the summary.
    "s.approved": (
        "On {date}, {who} approved change request “{title}”{changes}.",
        "{date}，{who}批准了变更请求“{title}”{changes}。",
    ),
    "s.changes": (": {items}", "：{items}"),
    "s.moved": ("{kind} “{title}” moved from {old} to {new}", "{kind}“{title}”由{old}改为{new}"),
    "s.set_to": ("{kind} “{title}” set to {new}", "{kind}“{title}”定为{new}"),
    "s.withdrawn_item": ("{kind} “{title}” withdrawn", "{kind}“{title}”撤销"),
    "s.join": ("; ", "；"),
    "s.rejected": (
        "On {date}, {who} rejected change request “{title}”: {reason}.",
        "{date}，{who}拒绝了变更请求“{title}”：{reason}。",
    ),
    "s.cr_withdrawn": (
        "On {date}, {who} withdrew change request “{title}”.",
        "{date}，{who}撤回了变更请求“{title}”。",
    ),
    "s.cr_pending": (
        "Change request “{title}”, made by {who} on {date}, had no decision in this bundle.",
        "{who}于{date}提出的变更请求“{title}”在本证据包中尚无决定。",
    ),
    "s.implemented": (
        "On {date}, {who} recorded change request “{title}” as implemented.",
        "{date}，{who}记录变更请求“{title}”已实施。",
    ),
    "s.promised": (
        "On {date}, {promisor} promised {promisee}: “{statement}”{due}. Evidence: {grade}.",
        "{date}，{promisor}向{promisee}承诺：“{statement}”{due}。证据强度：{grade}。",
    ),
    "s.due": (", by {due}", "，期限{due}"),
    "s.fulfilled": ("On {date}, {who} reported it kept.", "{date}，{who}报告已履行。"),
    "s.accepted": ("On {date}, {who} accepted it as kept.", "{date}，{who}确认已履行。"),
    "s.disputed": (
        "On {date}, {who} disputed that it was kept: {reason}.",
        "{date}，{who}对履行提出异议：{reason}。",
    ),
    "s.c_withdrawn": ("On {date}, {who} withdrew it.", "{date}，{who}撤回了该承诺。"),
    "s.released": (
        "On {date}, {who} released the promisor from it.",
        "{date}，{who}免除了该承诺。",
    ),
    "s.overdue": (
        "It was due on {due}; the bundle records no fulfilment by then.",
        "其期限为{due}；本证据包未记录在此之前履行。",
    ),
    "s.acknowledged": (
        "On {date}, {who} acknowledged {what}.",
        "{date}，{who}确认了{what}。",
    ),
    "s.ack_disputed": (
        "On {date}, {who} disputed {what}: {reason}.",
        "{date}，{who}对{what}提出异议：{reason}。",
    ),
    "s.ack_open": (
        "{who} was asked on {date} to acknowledge {what} and had not answered in this bundle.",
        "{date}曾请{who}确认{what}，本证据包中尚无答复。",
    ),
    "s.revised": (
        "On {date}, {kind} “{title}” moved from {old} to {new} ({cause}).",
        "{date}，{kind}“{title}”由{old}改为{new}（{cause}）。",
    ),
    "s.by_change": ("by change request “{title}”", "依据变更请求“{title}”"),
    "s.by_agreement": ("agreed by {who}", "经{who}同意"),
    "version": ("version {n}", "第 {n} 版"),
    "unknown_item": ("an item not in this bundle", "本证据包之外的事项"),
    "and": (" and ", "和"),
    "list_sep": (", ", "、"),
    "days": ("{n} days", "{n} 天"),
    "cost": ("cost {amount}", "费用 {amount}"),
    "schedule": ("schedule {days}", "工期 {days}"),
}

#: The evidence grades in words.
GRADES: Final[dict[str, tuple[str, str]]] = {
    "recorded_by_counterparty": (
        "weak — only the other side recorded it",
        "弱——仅由另一方记录",
    ),
    "recorded_or_confirmed_by_promisor": (
        "fair — the promisor's side recorded or confirmed it",
        "一般——承诺方记录或确认过",
    ),
    "acknowledged_in_ledger": (
        "good — both sides are on record",
        "较强——双方均有记录",
    ),
    "acknowledged_with_hashed_source": (
        "strong — both sides on record, and the original is held by its fingerprint",
        "强——双方均有记录，且原件以其哈希保存",
    ),
}

ROLES_IN_WORDS: Final[dict[str, tuple[str, str]]] = {
    "team_manager": ("the team's manager", "团队经理"),
    "team_member": ("a team member", "团队成员"),
    "client_member": ("a member of the client's side", "客户方成员"),
    "client_approver": ("the client's approver", "客户审批人"),
    "auditor": ("the auditor", "审计人"),
}

SIDES: Final[dict[str, tuple[str, str]]] = {
    "team": ("team", "团队方"),
    "client": ("client", "客户方"),
    "third_party": ("third party", "第三方"),
}

KINDS: Final[dict[str, tuple[str, str]]] = {
    "scope_item": ("scope item", "范围项"),
    "goal": ("goal", "目标"),
    "milestone": ("milestone", "里程碑"),
    "deliverable": ("deliverable", "交付物"),
    "budget": ("budget", "预算"),
    "timeline": ("timeline", "时间线"),
    "assumption": ("assumption", "假设"),
    "constraint": ("constraint", "约束"),
    "acceptance_criterion": ("acceptance criterion", "验收标准"),
}

#: What each event says, as a heading of its entry in the story.
EVENTS: Final[dict[str, tuple[str, str]]] = {
    "Project.Opened": ("Project opened", "项目启动"),
    "Project.MemberAdded": ("Member added", "成员加入"),
    "Project.MemberRoleChanged": ("Member's role changed", "成员角色变更"),
    "Project.MemberRemoved": ("Member removed", "成员移除"),
    "Project.KeyContactDesignated": ("Key contact designated", "指定关键联系人"),
    "Project.CommunicationPlanSet": ("Communication plan set", "沟通计划设定"),
    "Project.Closed": ("Project closed", "项目关闭"),
    "Commitment.Made": ("Promise made", "作出承诺"),
    "Commitment.Acknowledged": ("Promise confirmed", "承诺获确认"),
    "Commitment.RenegotiationProposed": ("New terms proposed", "提出新条款"),
    "Commitment.Renegotiated": ("Promise renegotiated", "承诺重新商定"),
    "Commitment.RenegotiationDeclined": ("New terms declined", "新条款被拒绝"),
    "Commitment.Fulfilled": ("Promise reported kept", "报告承诺已履行"),
    "Commitment.FulfilmentAccepted": ("Fulfilment accepted", "履行获认可"),
    "Commitment.FulfilmentDisputed": ("Fulfilment disputed", "履行有异议"),
    "Commitment.Withdrawn": ("Promise withdrawn", "承诺撤回"),
    "Commitment.Released": ("Promisor released", "承诺被免除"),
    "Interaction.Recorded": ("Communication", "沟通记录"),
    "Interaction.Corrected": ("Communication record corrected", "沟通记录更正"),
    "Interaction.ThreadLinked": ("Reply linked to its thread", "回复关联到会话"),
    "Interaction.Retracted": ("Communication record retracted", "沟通记录撤回"),
    "AcknowledgementRequest.Requested": ("Acknowledgement requested", "请求确认"),
    "AcknowledgementRequest.Acknowledged": ("Acknowledged", "已确认"),
    "AcknowledgementRequest.Disputed": ("Acknowledgement refused (disputed)", "拒绝确认（异议）"),
    "AcknowledgementRequest.Withdrawn": ("Acknowledgement request withdrawn", "确认请求撤回"),
    "Meeting.Held": ("Meeting held", "召开会议"),
    "Meeting.MinutesRecorded": ("Minutes recorded", "记录会议纪要"),
    "Meeting.MinutesCirculated": ("Minutes circulated", "分发会议纪要"),
    "Meeting.MinutesAmended": ("Minutes amended", "修订会议纪要"),
    "StatusReport.Issued": ("Status report issued", "发布状态报告"),
    "StatusReport.Corrected": ("Status report corrected", "更正状态报告"),
    "Issue.Raised": ("Issue raised", "提出问题"),
    "Issue.ResponseGiven": ("Response given", "作出回应"),
    "Issue.SolutionOptionsProposed": ("Solutions proposed", "提出解决方案"),
    "Issue.SolutionChosen": ("Solution chosen", "选定解决方案"),
    "Issue.ProgressReported": ("Progress reported", "报告进展"),
    "Issue.Resolved": ("Issue resolved", "问题已解决"),
    "Issue.ResolutionConfirmed": ("Resolution confirmed", "解决获确认"),
    "Issue.ResolutionDisputed": ("Resolution disputed", "解决有异议"),
    "Issue.Reopened": ("Issue reopened", "问题重开"),
    "Risk.Identified": ("Risk identified", "识别风险"),
    "Risk.Assessed": ("Risk assessed", "评估风险"),
    "Risk.ResponsePlanned": ("Risk response planned", "规划风险应对"),
    "Risk.Materialised": ("Risk materialised", "风险发生"),
    "Risk.Closed": ("Risk closed", "风险关闭"),
    "Expectation.Set": ("Baseline item agreed", "确定基线项"),
    "Expectation.Revised": ("Baseline item changed", "基线项变更"),
    "Expectation.Withdrawn": ("Baseline item withdrawn", "基线项撤销"),
    "Expectation.Proposed": ("Baseline item proposed for agreement", "提议基线项待同意"),
    "Expectation.ChangeProposed": ("Baseline change proposed for agreement", "提议基线变更待同意"),
    "Expectation.AgreementGiven": ("Agreed in person", "本人同意"),
    "Expectation.ProposalDeclined": ("Proposal declined", "提议被拒绝"),
    "Expectation.DeliverySubmitted": ("Delivered for acceptance", "提交验收"),
    "Expectation.DeliveryAccepted": ("Delivery accepted", "交付获验收"),
    "Expectation.DeliveryRejected": ("Delivery rejected", "交付被拒收"),
    "ChangeRequest.Requested": ("Change requested", "提出变更请求"),
    "ChangeRequest.ImpactAssessed": ("Impact of the change assessed", "评估变更影响"),
    "ChangeRequest.Approved": ("Change approved", "变更获批准"),
    "ChangeRequest.Rejected": ("Change rejected", "变更被拒绝"),
    "ChangeRequest.Withdrawn": ("Change request withdrawn", "变更请求撤回"),
    "ChangeRequest.Implemented": ("Change implemented", "变更已实施"),
    "Decision.Recorded": ("Decision recorded", "记录决定"),
    "Decision.Superseded": ("Decision superseded", "决定被取代"),
}

#: Why an event is in the bundle (its role), in words.
ROLE_WORDS: Final[dict[str, tuple[str, str]]] = {
    "subject": ("the subject", "主题事项"),
    "scope": ("in scope", "范围内"),
    "acknowledgement": ("acknowledgement of the subject", "主题事项的确认"),
    "source": ("the subject's source", "主题事项的来源"),
    "revised expectation": ("baseline item it changed", "其变更的基线项"),
    "revising change request": ("change request that changed it", "变更它的变更请求"),
    "acknowledged subject": ("what was acknowledged", "被确认的内容"),
    "source acknowledgement": ("acknowledgement of the source", "来源的确认"),
    "context": ("who is who", "人员背景"),
}


def pick(table: dict[str, tuple[str, str]], key: str, language: str, default: str = "") -> str:
    found = table.get(key)
    if found is None:
        return default or key
    return str(found[1] if language == "zh-Hans" else found[0])


def say(language: str, key: str, **values: Any) -> str:
    return pick(PHRASES, key, language).format(**values)


def when(value: Any, language: str, *, time: bool = False) -> str:
    """A date (and time, in the stored offset, named) for a reader of ``language``."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return str(value)
    if not isinstance(value, date):
        return ""
    if language == "zh-Hans":
        text = f"{value.year}年{value.month}月{value.day}日"
    else:
        text = f"{value.day} {_MONTHS[value.month - 1]} {value.year}"
    if time and isinstance(value, datetime):
        offset = value.utcoffset()
        zone = "UTC" if offset in (None, timedelta(0)) else value.strftime("UTC%z")
        text += f" {value:%H:%M} {zone}"
    return text


def amount(value: Any, currency: Any = None) -> str:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    text = f"{number:,.2f}" if number != number.to_integral_value() else f"{number:,.0f}"
    return f"{text} {currency}" if currency else text
