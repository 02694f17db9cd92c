"""The role-by-action matrix: every role (and an outsider) against every command and every
read, each on a freshly prepared item, with the status each must get.

The items are prepared with fixed people in them (the promisor is the team member, the promisee
the client member, the issue was raised by the client member...), so the table also shows the
rules that follow a person's part in an item rather than their role. Auditors read everything
and record nothing (403); outsiders get 404 for anything in a project, so existence does not
leak; opening a project is open to every token holder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from tests.api.conftest import (
    APPROVER,
    AUDITOR,
    CLIENT,
    OUTSIDER,
    ROLES,
    TEAM,
    TM,
    Api,
    all_routes,
)

RECORDERS = frozenset({"team_manager", "team_member", "client_member", "client_approver"})
EVERY_MEMBER = RECORDERS | {"auditor"}
SOON = datetime.now(UTC) + timedelta(days=7)


@dataclass(frozen=True)
class Upload:
    """A multipart body: ``(field, (filename, bytes, media type))`` parts."""

    files: list[tuple[str, tuple[str, bytes, str]]]


Request = tuple[str, str, dict[str, Any] | Upload | None]  # method, path, body


@dataclass(frozen=True)
class Action:
    name: str
    prepare: Callable[[Api], Request]
    allowed: frozenset[str]
    success: int = 200
    #: Roles that get another status than 403 when refused (e.g. 422: asking yourself).
    special: dict[str, int] = field(default_factory=dict)

    def expected(self, role: str) -> int:
        if role in self.special:
            return self.special[role]
        if role in self.allowed:
            return self.success
        return 404 if role == "outsider" else 403


# ------------------------------------------------------------------------------ preparing


def commitment(api: Api, *steps: str) -> UUID:
    """A commitment from the team member to the client member, taken through ``steps``."""
    ledger, p = api.ledger, api.project_id
    c = ledger.make_commitment(TM, p, promisor=TEAM, promisee=CLIENT, statement="S").id
    for s in steps:
        if s == "proposed":
            ledger.propose_commitment_renegotiation(TEAM, p, c, reason="r", due_at=SOON)
        elif s == "fulfilled":
            ledger.fulfil_commitment(TEAM, p, c)
    return c


def interaction(api: Api) -> UUID:
    return api.ledger.record_interaction(
        TEAM, api.project_id, channel="email", subject="S", summary="", from_address=CLIENT
    ).id


def meeting(api: Api, minutes: bool = False) -> UUID:
    m = api.ledger.hold_meeting(TEAM, api.project_id, title="M", attendees=[TM, CLIENT]).id
    if minutes:
        api.ledger.record_minutes(TEAM, api.project_id, m, discussion_points=["p"])
    return m


def expectation(api: Api, *steps: str) -> UUID:
    ledger, p = api.ledger, api.project_id
    if "proposed" in steps:  # by the team manager, for every other recorder to agree
        return ledger.set_expectation(
            TM,
            p,
            kind="milestone",
            title="Beta",
            value={"date": "2026-12-01"},
            agreed_by=[TEAM, CLIENT, APPROVER],
        ).id
    e = ledger.set_expectation(
        TM, p, kind="milestone", title="Beta", value={"date": "2026-12-01"}
    ).id
    if "submitted" in steps:
        ledger.submit_delivery(TEAM, p, e)
    return e


def change_request(api: Api, *steps: str) -> UUID:
    ledger, p = api.ledger, api.project_id
    e = expectation(api)
    cr = ledger.request_change(CLIENT, p, title="T", description="D", affected_expectations=[e]).id
    if "assessed" in steps or "approved" in steps:
        ledger.assess_impact(
            TEAM,
            p,
            cr,
            scope_impact="s",
            schedule_delta_days=1,
            revisions=[{"expectation_id": e, "value": {"date": "2026-12-02"}}],
        )
    if "approved" in steps:
        ledger.approve_change(APPROVER, p, cr)
    return cr


def acknowledgement_request(api: Api) -> UUID:
    c = commitment(api)
    return api.ledger.request_acknowledgement(
        TM, api.project_id, subject_kind="commitment", subject_id=c, person=CLIENT
    ).id


def issue(api: Api, *steps: str) -> UUID:
    ledger, p = api.ledger, api.project_id
    i = ledger.raise_issue(CLIENT, p, kind="problem", title="T", description="D").id
    if "options" in steps:
        ledger.propose_solution_options(TEAM, p, i, options=[{"id": "A", "description": "a"}])
    if "resolved" in steps:
        ledger.resolve_issue(TEAM, p, i, resolution="done")
    return i


def decision(api: Api) -> UUID:
    return api.ledger.record_decision(TM, api.project_id, statement="S", decided_by=[TM]).id


def risk(api: Api) -> UUID:
    return api.ledger.identify_risk(
        TM, api.project_id, description="R", probability="low", impact="low", owner=TEAM
    ).id


def status_report(api: Api) -> UUID:
    return api.ledger.issue_status_report(
        TEAM,
        api.project_id,
        period_start=datetime(2026, 3, 2).date(),
        period_end=datetime(2026, 3, 8).date(),
        to=[CLIENT],
        progress=["p"],
    ).id


_fresh = iter(range(10**9))


def fresh_member(api: Api) -> str:
    email = f"m{next(_fresh)}@client.test"
    api.ledger.add_member(
        TM, api.project_id, email=email, name="M", party="client", role="client_member"
    )
    return email


def post(path: str, body: dict[str, Any] | None = None) -> Callable[[Api], Request]:
    """A POST to ``path`` (``{...}`` placeholders filled by the item makers below)."""

    def prepare(api: Api) -> Request:
        return "POST", api.url(path), body

    return prepare


def on(make: Callable[[Api], UUID], path: str, body: dict[str, Any] | None = None) -> Any:
    def prepare(api: Api) -> Request:
        return "POST", api.url(path.format(id=make(api))), body

    return prepare


def read(make: Callable[[Api], UUID] | None, path: str) -> Callable[[Api], Request]:
    def prepare(api: Api) -> Request:
        item = make(api) if make is not None else ""
        return "GET", api.url(path.format(id=item)), None

    return prepare


def with_(*steps: str, make: Callable[..., UUID]) -> Callable[[Api], UUID]:
    return lambda api: make(api, *steps)


ALL = RECORDERS
TEAM_SIDE = frozenset({"team_manager", "team_member"})
CLIENT_SIDE = frozenset({"client_member", "client_approver"})


def close_project(api: Api) -> Request:
    return "POST", api.url("/close", project_id=api.new_project()), {"summary": "done"}


def open_project(api: Api) -> Request:
    return "POST", "/v1/projects", {"name": "N", "client_org": "C", "team_org": "T"}


def change_role(api: Api) -> Request:
    return "POST", api.url(f"/members/{fresh_member(api)}/role"), {"role": "client_approver"}


def remove_member(api: Api) -> Request:
    return "POST", api.url(f"/members/{fresh_member(api)}/remove"), {"reason": "left"}


def project_events(api: Api) -> Request:
    return "GET", f"/v1/events?project_id={api.project_id}", None


def email_upload(api: Api) -> Request:
    n = next(_fresh)
    message = (
        f"From: {CLIENT}\r\nTo: {TM}\r\nSubject: Upload {n}\r\n"
        f"Message-ID: <upload-{n}@client.test>\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\n"
        "\r\nHello\r\n"
    ).encode()
    return (
        "POST",
        api.url("/imports/eml"),
        Upload([("files", ("m.eml", message, "message/rfc822"))]),
    )


def mbox_upload(api: Api) -> Request:
    _, _, upload = email_upload(api)
    assert isinstance(upload, Upload)
    data = b"From someone Mon Mar  2 10:00:00 2026\n" + upload.files[0][1][1].replace(
        b"\r\n", b"\n"
    )
    return (
        "POST",
        api.url("/imports/mbox"),
        Upload([("file", ("m.mbox", data, "application/mbox"))]),
    )


def minutes_upload(api: Api) -> Request:
    text = (
        f"# Review {next(_fresh)}\n\nDate: 2026-03-05 10:00 UTC\nAttendees: {TM}, {CLIENT}\n\n"
        f"## Action items\n- [ ] @{TEAM} Send the plan (due 2026-12-10)\n"
    )
    files = [("file", ("review.md", text.encode(), "text/markdown"))]
    return "POST", api.url("/imports/minutes"), Upload(files)


def calendar_token_of_tm(api: Api) -> Request:
    services = api.client.app.state.services  # type: ignore[attr-defined]
    token = services.calendar_tokens.create(api.project_id, TM, created_by=TM)
    return "POST", api.url(f"/calendar-tokens/{token.info.token_id}/revoke"), None


COMMANDS = [
    Action("open project", open_project, frozenset(ROLES), 201),
    Action(
        "add member",
        post(
            "/members",
            {"email": "n@acme.test", "name": "N", "party": "team", "role": "team_member"},
        ),
        frozenset({"team_manager"}),
    ),
    Action("change member role", change_role, frozenset({"team_manager"})),
    Action("remove member", remove_member, frozenset({"team_manager"})),
    Action(
        "designate key contact",
        post("/key-contacts", {"email": CLIENT, "area": "billing"}),
        frozenset({"team_manager"}),
    ),
    Action(
        # Anyone who records names a delegate of their own side, in person (TEAM cannot name
        # themself; the client side cannot name a team member).
        "name delegate",
        post("/delegates", {"delegate": TEAM}),
        frozenset({"team_manager"}),
        special={"team_member": 422, "client_member": 422, "client_approver": 422},
    ),
    Action(
        "revoke delegate",  # nobody named CLIENT: refused as a transition, not as a role
        post("/delegates/revoke", {"delegate": CLIENT}),
        RECORDERS,
        success=409,
    ),
    Action(
        "set communication plan",
        post("/communication-plan", {"channels": [], "cadences": []}),
        frozenset({"team_manager"}),
    ),
    Action(
        "change time zone",
        post("/time-zone", {"time_zone": "Asia/Tokyo"}),
        frozenset({"team_manager"}),
    ),
    Action("close project", close_project, frozenset({"team_manager"})),
    Action(
        "record interaction",
        post("/interactions", {"channel": "phone", "summary": "call", "from_address": TM}),
        ALL,
        201,
    ),
    Action(
        "import interactions",
        post(
            "/interactions/import",
            {"items": [{"channel": "im", "summary": "hi", "from_address": TM}]},
        ),
        ALL,
    ),
    Action(
        "correct interaction",
        on(interaction, "/interactions/{id}/correct", {"changes": {"subject": "X"}, "reason": "r"}),
        frozenset({"team_manager", "team_member", "client_member"}),  # manager, recorder, sender
    ),
    Action(
        "retract interaction",
        on(interaction, "/interactions/{id}/retract", {"reason": "r"}),
        frozenset({"team_manager", "team_member", "client_member"}),
    ),
    Action("hold meeting", post("/meetings", {"title": "M", "attendees": [TM]}), ALL, 201),
    Action("record minutes", on(meeting, "/meetings/{id}/minutes", {"decisions": ["d"]}), ALL),
    Action(
        "circulate minutes",
        on(with_(True, make=meeting), "/meetings/{id}/minutes/circulate", {"to": [TEAM]}),
        ALL,
    ),
    Action(
        "amend minutes",
        on(
            with_(True, make=meeting),
            "/meetings/{id}/minutes/amend",
            {"reason": "r", "decisions": ["x"]},
        ),
        frozenset({"team_manager", "team_member"}),  # manager, or who recorded them
    ),
    Action(
        "make commitment",
        post("/commitments", {"promisor": TEAM, "promisee": CLIENT, "statement": "S"}),
        ALL,
        201,
    ),
    Action(
        "acknowledge commitment",
        on(commitment, "/commitments/{id}/acknowledge"),
        frozenset({"team_member", "client_member"}),  # promisor, promisee
    ),
    Action(
        "propose renegotiation",
        on(commitment, "/commitments/{id}/renegotiation", {"reason": "r", "statement": "T"}),
        frozenset({"team_member", "client_member"}),
    ),
    Action(
        "agree renegotiation",
        on(with_("proposed", make=commitment), "/commitments/{id}/renegotiation/agree"),
        frozenset({"client_member"}),  # the side that did not propose
    ),
    Action(
        "decline renegotiation",
        on(
            with_("proposed", make=commitment),
            "/commitments/{id}/renegotiation/decline",
            {"reason": "r"},
        ),
        frozenset({"client_member"}),
    ),
    Action(
        "fulfil commitment", on(commitment, "/commitments/{id}/fulfil"), frozenset({"team_member"})
    ),
    Action(
        "accept fulfilment",
        on(with_("fulfilled", make=commitment), "/commitments/{id}/fulfilment/accept"),
        frozenset({"client_member"}),
    ),
    Action(
        "dispute fulfilment",
        on(
            with_("fulfilled", make=commitment),
            "/commitments/{id}/fulfilment/dispute",
            {"reason": "r"},
        ),
        frozenset({"client_member"}),
    ),
    Action(
        "withdraw commitment",
        on(commitment, "/commitments/{id}/withdraw", {"reason": "r"}),
        frozenset({"team_member"}),
    ),
    Action(
        "release commitment",
        on(commitment, "/commitments/{id}/release", {"reason": "r"}),
        frozenset({"client_member"}),
    ),
    Action(
        "set expectation",
        post("/expectations", {"kind": "scope_item", "title": "T", "value": {"text": "t"}}),
        ALL,
        201,
    ),
    Action(
        "revise expectation",
        on(
            expectation,
            "/expectations/{id}/revise",
            {"value": {"date": "2026-12-09"}, "agreed_by": [TM, CLIENT], "reason": "r"},
        ),
        ALL,
    ),
    Action(
        "withdraw expectation",
        on(expectation, "/expectations/{id}/withdraw", {"agreed_by": [TM, CLIENT], "reason": "r"}),
        ALL,
    ),
    Action(
        "agree to an expectation",
        on(
            with_("proposed", make=expectation), "/expectations/{id}/agree", {"proposal_version": 1}
        ),
        ALL,
        special={"team_manager": 409},  # proposed it: agreed already
    ),
    Action(
        "decline an expectation's proposal",
        on(
            with_("proposed", make=expectation),
            "/expectations/{id}/decline",
            {"proposal_version": 1, "reason": "r"},
        ),
        ALL,
    ),
    Action("submit delivery", on(expectation, "/expectations/{id}/delivery"), TEAM_SIDE),
    Action(
        "accept delivery",
        on(with_("submitted", make=expectation), "/expectations/{id}/delivery/accept"),
        CLIENT_SIDE,
    ),
    Action(
        "reject delivery",
        on(
            with_("submitted", make=expectation),
            "/expectations/{id}/delivery/reject",
            {"reason": "r"},
        ),
        CLIENT_SIDE,
    ),
    Action(
        "request change", post("/change-requests", {"title": "T", "description": "D"}), ALL, 201
    ),
    Action(
        "assess impact",
        on(
            change_request,
            "/change-requests/{id}/assess",
            {"scope_impact": "s", "schedule_delta_days": 2},
        ),
        TEAM_SIDE,
    ),
    Action(
        "approve change",
        on(with_("assessed", make=change_request), "/change-requests/{id}/approve"),
        frozenset({"client_approver"}),
    ),
    Action(
        "reject change",
        on(change_request, "/change-requests/{id}/reject", {"reason": "r"}),
        frozenset({"client_approver"}),
    ),
    Action(
        "withdraw change",
        on(change_request, "/change-requests/{id}/withdraw", {"reason": "r"}),
        CLIENT_SIDE,  # the requesting side
    ),
    Action(
        "mark change implemented",
        on(with_("approved", make=change_request), "/change-requests/{id}/implemented"),
        ALL,
    ),
    Action(
        "request acknowledgement",
        lambda api: request_acknowledgement(api),
        ALL,
        201,
        special={"client_approver": 422},  # nobody is asked to acknowledge their own record
    ),
    Action(
        "acknowledge",
        on(acknowledgement_request, "/acknowledgement-requests/{id}/acknowledge"),
        frozenset({"client_member"}),  # the person asked, in person
    ),
    Action(
        "dispute acknowledgement",
        on(acknowledgement_request, "/acknowledgement-requests/{id}/dispute", {"reason": "r"}),
        frozenset({"client_member"}),
    ),
    Action(
        "withdraw acknowledgement request",
        on(acknowledgement_request, "/acknowledgement-requests/{id}/withdraw", {"reason": "r"}),
        TEAM_SIDE,  # the requester's side
    ),
    Action(
        "raise issue",
        post("/issues", {"kind": "question", "title": "T", "description": "D"}),
        ALL,
        201,
    ),
    Action("respond to issue", on(issue, "/issues/{id}/responses", {"response": "r"}), ALL),
    Action(
        "propose solution options",
        on(issue, "/issues/{id}/solution-options", {"options": [{"id": "A", "description": "a"}]}),
        ALL,
    ),
    Action(
        "choose solution",
        on(with_("options", make=issue), "/issues/{id}/solution", {"option_id": "A"}),
        CLIENT_SIDE,
    ),
    Action("report progress", on(issue, "/issues/{id}/progress", {"note": "n"}), ALL),
    Action("resolve issue", on(issue, "/issues/{id}/resolve", {"resolution": "r"}), ALL),
    Action(
        "confirm resolution",
        on(with_("resolved", make=issue), "/issues/{id}/resolution/confirm"),
        CLIENT_SIDE,  # the raiser's side
    ),
    Action(
        "dispute resolution",
        on(with_("resolved", make=issue), "/issues/{id}/resolution/dispute", {"reason": "r"}),
        CLIENT_SIDE,
    ),
    Action(
        "reopen issue",
        on(with_("resolved", make=issue), "/issues/{id}/reopen", {"reason": "r"}),
        ALL,
    ),
    Action("record decision", post("/decisions", {"statement": "S", "decided_by": [TM]}), ALL, 201),
    Action("supersede decision", lambda api: supersede(api), ALL),
    Action(
        "identify risk",
        post("/risks", {"description": "R", "probability": "low", "impact": "low", "owner": TM}),
        ALL,
        201,
    ),
    Action(
        "assess risk",
        on(risk, "/risks/{id}/assess", {"probability": "high", "impact": "high"}),
        ALL,
    ),
    Action(
        "plan risk response",
        on(risk, "/risks/{id}/response", {"strategy": "accept", "plan": "p"}),
        ALL,
    ),
    Action("record risk materialised", on(risk, "/risks/{id}/materialise"), ALL),
    Action("close risk", on(risk, "/risks/{id}/close", {"reason": "r"}), ALL),
    Action(
        "issue status report",
        post(
            "/status-reports",
            {
                "period_start": "2026-03-02",
                "period_end": "2026-03-08",
                "to": [CLIENT],
                "progress": ["p"],
            },
        ),
        ALL,
        201,
    ),
    Action(
        "correct status report",
        on(
            status_report,
            "/status-reports/{id}/correct",
            {"changes": {"progress": ["q"]}, "reason": "r"},
        ),
        frozenset({"team_manager", "team_member"}),  # manager, or who issued it
    ),
    Action("import eml", email_upload, ALL),
    Action("import mbox", mbox_upload, ALL),
    Action("import minutes", minutes_upload, ALL, 201),
    Action("issue calendar token", post("/calendar-tokens", {"label": "phone"}), EVERY_MEMBER, 201),
    Action(
        "revoke someone's calendar token",
        calendar_token_of_tm,
        frozenset({"team_manager"}),
        # Another member's calendar tokens are not theirs to see.
        special=dict.fromkeys(EVERY_MEMBER - {"team_manager"}, 404),
    ),
]


def supersede(api: Api) -> Request:
    old, new = decision(api), decision(api)
    return (
        "POST",
        api.url(f"/decisions/{old}/supersede"),
        {"by_decision_id": str(new), "reason": "r"},
    )


def request_acknowledgement(api: Api) -> Request:
    body = {"subject_kind": "commitment", "subject_id": str(commitment(api)), "person": APPROVER}
    return "POST", api.url("/acknowledgement-requests"), body


READS = [
    Action("get project", read(None, ""), EVERY_MEMBER),
    Action("list members", read(None, "/members"), EVERY_MEMBER),
    Action("get member", read(None, f"/members/{CLIENT}"), EVERY_MEMBER),
    Action("project events", project_events, EVERY_MEMBER),
    *(
        Action(f"get {name}", read(make, f"/{collection}/{{id}}"), EVERY_MEMBER)
        for name, collection, make in (
            ("interaction", "interactions", interaction),
            ("meeting", "meetings", meeting),
            ("commitment", "commitments", commitment),
            ("expectation", "expectations", expectation),
            ("change request", "change-requests", change_request),
            ("acknowledgement request", "acknowledgement-requests", acknowledgement_request),
            ("issue", "issues", issue),
            ("decision", "decisions", decision),
            ("risk", "risks", risk),
            ("status report", "status-reports", status_report),
        )
    ),
    *(
        Action(f"list {collection}", read(None, f"/{collection}"), EVERY_MEMBER)
        for collection in (
            "interactions",
            "meetings",
            "commitments",
            "expectations",
            "change-requests",
            "acknowledgement-requests",
            "issues",
            "decisions",
            "risks",
            "status-reports",
        )
    ),
]


@pytest.mark.parametrize("action", COMMANDS + READS, ids=lambda a: a.name)
def test_role_matrix(shared_api: Api, action: Action) -> None:
    api = shared_api
    got = {}
    for role, email in ROLES.items():
        method, path, body = action.prepare(api)
        sent = {"files": body.files} if isinstance(body, Upload) else {"json": body}
        response = api.client.request(method, path, headers=api.headers(email), **sent)
        got[role] = response.status_code
        if response.status_code >= 400:
            assert response.headers["content-type"] == "application/problem+json"
    expected = {role: action.expected(role) for role in ROLES}
    assert got == expected


def test_every_command_route_is_in_the_matrix(api: Api) -> None:
    """A new POST route under /v1/projects must be added to the table above."""
    paths = [action.prepare(api)[1].split("?")[0] for action in COMMANDS]
    routes = [
        route
        for route in all_routes(api.client.app)
        if "POST" in getattr(route, "methods", ()) and route.path.startswith("/v1/projects")
    ]
    assert len(routes) == len(COMMANDS)  # one action per POST route
    for route in routes:
        assert any(route.path_regex.match(path) for path in paths), route.path


def test_auditors_and_outsiders_are_the_only_ones_kept_out_of_reads(api: Api) -> None:
    assert all(a.allowed == EVERY_MEMBER for a in READS)
    assert api.get("/v1/events", who=OUTSIDER).json()["events"] == []
    assert api.get("/v1/events", who=AUDITOR).json()["events"] != []
