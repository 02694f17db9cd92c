"""A page per subject (commitment, change request, expectation, issue, decision, risk, meeting,
interaction, status report, acknowledgement request): what it is now (the same item as its JSON
route), its whole history, its original documents, "download evidence", the steps the reader may
take on it, and — for team managers — each recipient's acknowledgement link.

A step the reader's role may not take is not offered; forced anyway (a crafted form), the
ledger refuses it (403) exactly as through the API."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api.deps import ProjectAccess
from api.mail.outbound import mail_minutes
from api.routers.documents import attachment
from api.routing import ResourceRouter
from api.schemas.acknowledgements import AcknowledgementRequestPublic
from api.schemas.change_requests import ChangeRequestPublic
from api.schemas.commitments import CommitmentPublic
from api.schemas.decisions import DecisionPublic
from api.schemas.expectations import ExpectationPublic
from api.schemas.interactions import InteractionPublic
from api.schemas.issues import IssuePublic
from api.schemas.meetings import MeetingPublic
from api.schemas.risks import RiskPublic
from api.schemas.status_reports import StatusReportPublic
from api.web.core import Web, WebError, redirect, web_of
from api.web.links import KINDS, json_url, subject_url
from api.web.routers.history import GRADE_WORDS, moment
from api.web.routers.projects import names
from ledger.domain.acknowledgement import AcknowledgementState, acknowledgement_request_id
from ledger.domain.commitment import is_live
from ledger.domain.errors import (
    ConflictError,
    DomainError,
    InvalidInputError,
    NotFoundError,
    NotPermittedError,
)
from ledger.domain.roles import Party, Role
from ledger.integrity.bundles import EvidenceNotFoundError, EvidenceScope
from ledger.service.application import Ledger
from projections import queries as q
from projections.asof import LiveViews

router = ResourceRouter(include_in_schema=False)

_DIGEST = re.compile(r"^[0-9a-f]{64}$")


def load(ledger: Ledger, kind: str, project_id: UUID, item_id: UUID) -> tuple[Any, Any]:
    """The item and its public form (the body of its JSON route)."""
    if kind == "commitments":
        item: Any = ledger.get_commitment(project_id, item_id)
        return item, CommitmentPublic.of(item)
    if kind == "change-requests":
        item = ledger.get_change_request(project_id, item_id)
        return item, ChangeRequestPublic.of(item)
    if kind == "expectations":
        item = ledger.get_expectation(project_id, item_id)
        return item, ExpectationPublic.of(item)
    if kind == "issues":
        item = ledger.get_issue(project_id, item_id)
        return item, IssuePublic.of(item)
    if kind == "decisions":
        item = ledger.get_decision(project_id, item_id)
        return item, DecisionPublic.of(item)
    if kind == "risks":
        item = ledger.get_risk(project_id, item_id)
        return item, RiskPublic.of(item)
    if kind == "meetings":
        item = ledger.get_meeting(project_id, item_id)
        held = next(iter(ledger.events.get(item.id, lte=1)))
        return item, MeetingPublic.of_meeting(item, held.occurred_at)  # type: ignore[attr-defined]
    if kind == "interactions":
        item = ledger.get_interaction(project_id, item_id)
        return item, InteractionPublic.of(item)
    if kind == "status-reports":
        item = ledger.get_status_report(project_id, item_id)
        return item, StatusReportPublic.of(item)
    if kind == "acknowledgements":
        item = ledger.get_acknowledgement_request(project_id, item_id)
        return item, AcknowledgementRequestPublic.of(item)
    raise LookupError(kind)


def title_of(kind: str, public: dict[str, Any]) -> str:
    for key in ("title", "statement", "subject", "description"):
        value = public.get(key)
        if isinstance(value, str) and value:
            return value
    if kind == "status-reports":
        return f"{public.get('period_start')} to {public.get('period_end')}"
    if kind == "acknowledgements":
        return f"{public.get('subject_kind')} v{public.get('subject_version')}"
    return str(public.get("id"))


def digests(value: Any) -> set[str]:
    """Every SHA-256 an item names (its source, attachments, minutes file)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if isinstance(inner, str) and key.endswith("sha256") and _DIGEST.match(inner):
                found.add(inner)
            else:
                found |= digests(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= digests(inner)
    return found


# ------------------------------------------------------------------------------ the steps


#: Which steps a member may take on an item now: the ledger's own rules, asked beforehand so
#: that a step that would be refused is not offered.
def offered_steps(kind: str, item: Any, access: ProjectAccess) -> list[str]:
    me, role = access.email, access.role
    if not role.may_record:
        return []
    steps: list[str] = []
    state = str(getattr(item, "state", ""))
    if kind == "commitments":
        live = is_live(state)
        if me in (item.promisor, item.promisee) and me not in item.acknowledged_by and live:
            steps.append("acknowledge-commitment")
        if me == item.promisor and live:
            steps += ["fulfil", "withdraw"]
        if me == item.promisee and state == "fulfilled":
            steps += ["accept-fulfilment", "dispute-fulfilment"]
    elif kind == "change-requests":
        pending = state in ("requested", "assessed")
        if pending and role.party is Party.TEAM:
            steps.append("assess")
        if pending and role is Role.CLIENT_APPROVER:
            if state == "assessed":
                steps.append("approve")
            steps.append("reject")
    elif kind == "acknowledgements":
        if item.person == me and state == "requested":
            steps += ["acknowledge", "dispute"]
    elif kind == "expectations":
        proposal = item.pending_proposal
        if proposal is not None and me in proposal.awaiting:
            steps += ["agree-expectation", "decline-expectation"]
        elif proposal is not None and me in proposal.agreed_by:
            steps.append("decline-expectation")
    elif kind == "meetings":
        if item.minutes_version is not None:
            steps.append("circulate")
    elif kind == "decisions":
        steps.append("circulate")
    return steps


def _text(form: Any, name: str, *, required: bool = False, web: Web) -> str:
    value = str(form.get(name, "")).strip()
    if required and not value:
        raise WebError(400, web.gettext("%(field)s: this field is required.", field=name))
    return value


def _version(form: Any) -> int | None:
    text = str(form.get("version", ""))
    return int(text) if text.isdigit() else None


def take_step(web: Web, access: ProjectAccess, kind: str, item: Any, step: str, form: Any) -> None:
    """Take ``step`` on ``item`` as the reader: the ledger checks who may (403 otherwise)."""
    ledger = web.services.ledger
    me, pid, iid = access.email, access.project_id, item.id
    version = _version(form)
    text = _text
    if kind == "commitments" and step == "fulfil":
        ledger.fulfil_commitment(
            me, pid, iid, note=text(form, "note", web=web), expected_version=version
        )
    elif kind == "commitments" and step == "withdraw":
        ledger.withdraw_commitment(
            me,
            pid,
            iid,
            reason=text(form, "reason", required=True, web=web),
            expected_version=version,
        )
    elif kind == "commitments" and step == "acknowledge-commitment":
        ledger.acknowledge_commitment(me, pid, iid, expected_version=version)
    elif kind == "commitments" and step == "accept-fulfilment":
        ledger.accept_fulfilment(me, pid, iid, expected_version=version)
    elif kind == "commitments" and step == "dispute-fulfilment":
        ledger.dispute_fulfilment(
            me,
            pid,
            iid,
            reason=text(form, "reason", required=True, web=web),
            expected_version=version,
        )
    elif kind == "change-requests" and step == "assess":
        _assess(web, access, item, form, version)
    elif kind == "change-requests" and step == "approve":
        ledger.approve_change(
            me, pid, iid, conditions=text(form, "conditions", web=web), expected_version=version
        )
    elif kind == "change-requests" and step == "reject":
        ledger.reject_change(
            me,
            pid,
            iid,
            reason=text(form, "reason", required=True, web=web),
            expected_version=version,
        )
    elif kind == "acknowledgements" and step == "acknowledge":
        ledger.acknowledge(me, pid, iid, comment=text(form, "comment", web=web))
    elif kind == "acknowledgements" and step == "dispute":
        ledger.dispute_acknowledgement(
            me, pid, iid, reason=text(form, "comment", required=True, web=web)
        )
    elif kind == "expectations" and step in ("agree-expectation", "decline-expectation"):
        proposal = item.pending_proposal
        if proposal is None:
            raise WebError(409, web.gettext("Nothing awaits agreement on it any more."))
        if step == "agree-expectation":
            ledger.agree_expectation(me, pid, iid, proposal_version=proposal.version)
        else:
            ledger.decline_expectation(
                me,
                pid,
                iid,
                proposal_version=proposal.version,
                reason=text(form, "reason", required=True, web=web),
            )
    elif step == "circulate" and kind in ("meetings", "decisions"):
        _circulate(web, access, kind, item, form)
    else:
        raise WebError(404, web.gettext("There is no such page."))


def _assess(web: Web, access: ProjectAccess, item: Any, form: Any, version: int | None) -> None:
    ledger = web.services.ledger
    days_text = _text(form, "schedule_delta_days", web=web) or "0"
    try:
        days = int(days_text)
    except ValueError:
        raise WebError(
            400, web.gettext("%(field)s: give a whole number.", field="schedule_delta_days")
        ) from None
    cost = None
    amount = _text(form, "cost_amount", web=web)
    if amount:
        try:
            cost = {
                "amount": Decimal(amount),
                "currency": _text(form, "cost_currency", web=web) or "EUR",
            }
        except InvalidOperation:
            raise WebError(
                400, web.gettext("%(field)s: give a number.", field="cost_amount")
            ) from None
    revisions = []
    for expectation_id in item.affected_expectations:
        new = _text(form, f"revise_{expectation_id}", web=web)
        if not new:
            continue
        expectation = ledger.get_expectation(access.project_id, expectation_id)
        revisions.append({"expectation_id": expectation_id, "value": _value(web, expectation, new)})
    ledger.assess_impact(
        access.email,
        access.project_id,
        item.id,
        scope_impact=_text(form, "scope_impact", required=True, web=web),
        schedule_delta_days=days,
        cost_delta=cost,
        revisions=revisions,
        expected_version=version,
    )


def _value(web: Web, expectation: Any, text: str) -> dict[str, Any]:
    """A revised value from one form field, in the shape of the expectation's kind."""
    kind = str(expectation.kind)
    if kind == "milestone":
        return {"date": text}
    if kind == "budget":
        currency = getattr(getattr(expectation, "value", None), "currency", None) or "EUR"
        try:
            return {"amount": Decimal(text), "currency": currency}
        except InvalidOperation:
            raise WebError(
                400, web.gettext("%(field)s: give a number.", field=expectation.title)
            ) from None
    return {"text": text}


def _circulate(web: Web, access: ProjectAccess, kind: str, item: Any, form: Any) -> None:
    """Ask each chosen member to acknowledge, and make each of them a personal link."""
    ledger = web.services.ledger
    people = [str(p) for p in form.getlist("to") if str(p) in access.project.members]
    if not people:
        raise WebError(400, web.gettext("%(field)s: choose at least one person.", field="to"))
    due = moment(web, _text(form, "acknowledge_by", web=web), "acknowledge_by", end_of_day=True)
    if kind == "meetings":
        ledger.circulate_minutes(
            access.email, access.project_id, item.id, to=people, acknowledge_by=due
        )
        version = ledger.get_meeting(access.project_id, item.id).minutes_version
    else:
        for person in people:
            if person == access.email:
                continue
            ledger.request_acknowledgement(
                access.email,
                access.project_id,
                subject_kind="decision",
                subject_id=item.id,
                person=person,
                due_at=due,
            )
        version = item.version
    if version is None:
        return
    expires = (due + timedelta(days=14)) if due else None
    existing = web.ack_links.for_requests(
        access.project_id, [acknowledgement_request_id(item.id, version, p) for p in people]
    )
    for person in people:
        request_id = acknowledgement_request_id(item.id, version, person)
        if request_id in existing:
            continue
        try:
            ledger.get_acknowledgement_request(access.project_id, request_id)
        except NotFoundError:
            continue  # the sender, or an auditor: not asked
        web.ack_links.create(
            access.project_id, request_id, person, created_by=access.email, expires_at=expires
        )
    if kind == "meetings":  # with ACCORD_SMTP_URL set, each recipient is mailed their link
        mail_minutes(
            ledger,
            web.ack_links,
            access.project_id,
            item.id,
            access.email,
            str(web.request.base_url),
        )


# --------------------------------------------------------------------------- the page


def acknowledgement_requests(web: Web, access: ProjectAccess, kind: str, item: Any) -> list[Any]:
    """The acknowledgement requests of the item's current version (and, for minutes, of the
    current minutes): their ids derive from (item, version, person)."""
    versions = {item.version}
    if kind == "meetings" and item.minutes_version is not None:
        versions = {item.minutes_version}
    if kind == "status-reports":
        versions.add(1)
    found = []
    for version in sorted(versions):
        for email in sorted(access.project.members):
            request_id = acknowledgement_request_id(item.id, version, email)
            try:
                found.append(
                    web.services.ledger.get_acknowledgement_request(access.project_id, request_id)
                )
            except NotFoundError:
                continue
    return found


def _page(
    web: Web,
    access: ProjectAccess,
    kind: str,
    item_id: UUID,
    error: str | None = None,
    status: int = 200,
) -> Response:
    ledger = web.services.ledger
    try:
        item, public = load(ledger, kind, access.project_id, item_id)
    except (NotFoundError, LookupError):
        raise WebError(404, web.gettext("There is no such page.")) from None
    data = public.model_dump(mode="json")
    history, _ = q.audit(
        LiveViews(web.services.runner),
        str(access.project_id),
        q.AuditFilter(subject=str(item_id)),
        None,
        q.MAX_PAGE,
    )
    requests = (
        acknowledgement_requests(web, access, kind, item) if kind != "acknowledgements" else []
    )
    is_manager = access.role is Role.TEAM_MANAGER
    links = (
        web.ack_links.for_requests(access.project_id, [r.id for r in requests])
        if is_manager
        else {}
    )
    base = str(web.request.base_url).rstrip("/")
    link_urls = {rid: f"{base}/ack/{web.ack_links.token(link)}" for rid, link in links.items()}
    subject_link = None
    if kind == "acknowledgements":
        subject_link = _ack_subject_url(access, item)
    grade = None
    if kind == "commitments":
        rows = [
            r
            for r in q.commitments(LiveViews(web.services.runner), str(access.project_id))
            if r["id"] == str(item_id)
        ]
        grade = rows[0]["evidence_grade"] if rows else None
    return web.render(
        "subject.html",
        status=status,
        access=access,
        project=access.project,
        name=names(web, access.project),
        kind=kind,
        item=item,
        data=data,
        title=title_of(kind, data),
        history=history,
        documents=sorted(digests(data)),
        steps=offered_steps(kind, item, access),
        requests=requests,
        links=links,
        link_urls=link_urls,
        is_manager=is_manager,
        may_take_evidence=_may_take_evidence(
            web.services, access.role, access.email, item_id, access.project_id
        ),
        json_url=json_url(access.project_id, kind, item_id),
        subject_link=subject_link,
        subject_url=lambda t, i: subject_url(access.project_id, t, i),
        grade=grade,
        grade_words=web.gettext(GRADE_WORDS[grade]) if grade in GRADE_WORDS else None,
        error=error,
        expectations=_affected(web, access, kind, item),
        members=sorted(access.project.members.values(), key=lambda m: m.name or m.email),
    )


def _affected(web: Web, access: ProjectAccess, kind: str, item: Any) -> list[Any]:
    if kind != "change-requests":
        return []
    found = []
    for expectation_id in item.affected_expectations:
        try:
            found.append(web.services.ledger.get_expectation(access.project_id, expectation_id))
        except NotFoundError:
            continue
    return found


_ACK_KINDS = {
    "minutes": "Meeting",
    "status_report": "StatusReport",
    "commitment": "Commitment",
    "expectation": "Expectation",
    "change_request": "ChangeRequest",
    "decision": "Decision",
}


def _ack_subject_url(access: ProjectAccess, request: Any) -> str | None:
    subject_type = _ACK_KINDS.get(str(request.subject_kind))
    return (
        subject_url(access.project_id, subject_type, request.subject_id) if subject_type else None
    )


@router.get("/projects/{project_id}/items/{kind}/{item_id}")
def subject_page(request: Request, project_id: UUID, kind: str, item_id: UUID) -> Response:
    web = web_of(request)
    access = web.project(project_id)
    if kind not in KINDS:
        raise WebError(404, web.gettext("There is no such page."))
    return _page(web, access, kind, item_id)


@router.post("/projects/{project_id}/items/{kind}/{item_id}/steps/{step}")
async def subject_step(
    request: Request, project_id: UUID, kind: str, item_id: UUID, step: str
) -> Response:
    form = await request.form()

    def run() -> Response:
        web = web_of(request)
        access = web.project(project_id)
        web.check_csrf(form)
        if kind not in KINDS:
            raise WebError(404, web.gettext("There is no such page."))
        try:
            item, _ = load(web.services.ledger, kind, project_id, item_id)
        except (NotFoundError, LookupError):
            raise WebError(404, web.gettext("There is no such page.")) from None
        outcome = attempt(web, lambda: take_step(web, access, kind, item, step, form))
        if outcome is not None:
            return _page(web, access, kind, item_id, error=outcome[1], status=outcome[0])
        return redirect(f"/projects/{project_id}/items/{kind}/{item_id}")

    return await run_in_threadpool(run)


def attempt(web: Web, step: Callable[[], object]) -> tuple[int, str] | None:
    """Run a step; a refusal by the ledger becomes ``(status, message)`` (``None``: done)."""
    try:
        step()
    except NotPermittedError as e:
        return 403, str(e)
    except NotFoundError as e:
        return 404, str(e)
    except (InvalidInputError, ValueError) as e:
        return 400, str(e)
    except (ConflictError, DomainError) as e:
        return 409, str(e)
    return None


@router.post("/projects/{project_id}/items/{kind}/{item_id}/links")
async def make_link(request: Request, project_id: UUID, kind: str, item_id: UUID) -> Response:
    """A team manager makes (or revokes) a recipient's acknowledgement link."""
    form = await request.form()

    def run() -> Response:
        web = web_of(request)
        access = web.project(project_id)
        web.check_csrf(form)
        if access.role is not Role.TEAM_MANAGER:
            raise WebError(403, web.gettext("Only a team manager manages acknowledgement links."))
        if kind not in KINDS:
            raise WebError(404, web.gettext("There is no such page."))
        item, _ = load(web.services.ledger, kind, project_id, item_id)
        requests = {str(r.id): r for r in acknowledgement_requests(web, access, kind, item)}
        revoke = str(form.get("revoke", ""))
        if revoke:
            web.ack_links.revoke(project_id, revoke)
        else:
            chosen = requests.get(str(form.get("request", "")))
            if chosen is None or chosen.state is not AcknowledgementState.REQUESTED:
                raise WebError(404, web.gettext("There is no such page."))
            due = chosen.due_at
            expires = due + timedelta(days=14) if due and due > datetime.now(UTC) else None
            web.ack_links.create(
                project_id, chosen.id, chosen.person, created_by=access.email, expires_at=expires
            )
        return redirect(f"/projects/{project_id}/items/{kind}/{item_id}#acknowledgements")

    return await run_in_threadpool(run)


@router.get("/projects/{project_id}/items/{kind}/{item_id}/evidence")
def evidence(request: Request, project_id: UUID, kind: str, item_id: UUID) -> Response:
    """The subject's evidence bundle (the same ZIP as ``/v1/projects/{id}/evidence?subject=``),
    for team managers, auditors and the people party to the subject, as there; the report in
    the reader's language."""
    web = web_of(request)
    access = web.project(project_id)
    try:
        if not _may_take_evidence(web.services, access.role, access.email, item_id, project_id):
            raise WebError(
                403,
                web.gettext(
                    "Evidence bundles are for team managers, auditors and the people party to "
                    "this item."
                ),
            )
        data = web.services.integrity.export_evidence(
            EvidenceScope.subject(item_id, project_id=project_id), language=web.language.code
        )
    except EvidenceNotFoundError:
        raise WebError(404, web.gettext("There is no such page.")) from None
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": attachment(f"evidence-{item_id}.zip")},
    )


@router.get("/projects/{project_id}/documents/{sha256}")
def document(request: Request, project_id: UUID, sha256: str) -> Response:
    """An original document of the project, byte for byte, never rendered by the browser."""
    web = web_of(request)
    web.project(project_id)
    found = None
    if _DIGEST.match(sha256) and web.services.index.document_item(project_id, sha256) is not None:
        found = web.services.documents.load(sha256)
    if found is None:
        raise WebError(404, web.gettext("There is no such page."))
    return Response(
        found.data,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": attachment(found.filename or sha256[:16]),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


__all__ = ["router", "take_step"]


def _may_take_evidence(
    services: Any, role: Role, email: str, item_id: UUID, project_id: UUID
) -> bool:
    """Team managers and auditors take any subject's bundle; anyone else one they are party to
    (the rule of ``GET /v1/projects/{id}/evidence``: docs/integrity.md §7)."""
    if role in (Role.TEAM_MANAGER, Role.AUDITOR):
        return True
    try:
        return email in services.integrity.subject_parties(item_id, project_id)
    except EvidenceNotFoundError:
        return False
