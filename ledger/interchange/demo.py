"""The demo project: four weeks of a real-looking engagement, recorded through the commands.

Northwind Traders (client) commissioned a customer portal from Acme Digital (team). The story:
a kickoff that agrees the communication plan and the baseline; minutes whose action items become
commitments; commitments acknowledged, one fulfilled and accepted, one overdue; a change request
(SSO login) assessed and approved, which moves the beta milestone; a staging outage with solution
options, the client choosing one; weekly reports in weeks one and two, none in week three; an
unanswered client question; a risk with a mitigation plan.

Running it again records nothing new: every creation has an idempotency key and every lifecycle
step is taken only if the item has not taken it yet. Times are set relative to the first run's
"now" (the kickoff is 28 days before it), so "overdue" and "missed" mean something today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from ledger.domain.acknowledgement import AcknowledgementState, acknowledgement_request_id
from ledger.domain.change_request import ChangeRequestState
from ledger.domain.commitment import CommitmentState
from ledger.domain.project import Project
from ledger.domain.time import in_zone
from ledger.service.application import Ledger

PM = "pat.morgan@acme-digital.example"
DEV = "dana.lee@acme-digital.example"
SPONSOR = "sam.okafor@northwind.example"
CLIENT = "chris.nguyen@northwind.example"
AUDITOR = "alex.reid@pmo-audit.example"

PEOPLE = {
    "project manager": PM,
    "developer": DEV,
    "client sponsor": SPONSOR,
    "client contact": CLIENT,
    "auditor": AUDITOR,
}
PROJECT_NAME = "Northwind customer portal"


@dataclass(frozen=True)
class DemoResult:
    project_id: UUID
    project_name: str
    people: dict[str, str]


#: The demo team works in Shanghai (UTC+8): its days, due dates and weekly deadlines end there.
TIME_ZONE = "Asia/Shanghai"


def record_demo(
    ledger: Ledger, *, now: datetime | None = None, time_zone: str = TIME_ZONE
) -> DemoResult:
    """Record the demo project in ``ledger`` (or complete it, if a run was interrupted)."""
    now = now or datetime.now(UTC)
    project_id = ledger.open_project(
        PM,
        name=PROJECT_NAME,
        client_org="Northwind Traders",
        team_org="Acme Digital",
        description="Self-service portal for Northwind's B2B customers: orders, invoices, tickets.",
        actor_name="Pat Morgan",
        time_zone=time_zone,
        occurred_at=now - timedelta(days=30),
        idempotency_key="demo:project",
    ).id
    # Anchor the story on the first run: the kickoff is two days after the project opened, at
    # 09:00 in the project's time zone.
    opened = next(iter(ledger.events.get(project_id, lte=1)))
    opened_at: datetime = opened.occurred_at  # type: ignore[attr-defined]
    local = in_zone(opened_at, ledger.get_project(project_id).time_zone)
    kickoff = local.replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(days=2)
    _Demo(ledger, project_id, kickoff).record()
    return DemoResult(project_id, PROJECT_NAME, dict(PEOPLE))


class _Demo:
    def __init__(self, ledger: Ledger, project_id: UUID, kickoff: datetime) -> None:
        self.ledger = ledger
        self.p = project_id
        self.k = kickoff

    def day(self, n: float, hour: int = 0) -> datetime:
        return self.k + timedelta(days=n, hours=hour)

    def key(self, name: str) -> str:
        return f"demo:{name}"

    @property
    def project(self) -> Project:
        return self.ledger.get_project(self.p)

    def record(self) -> None:
        self.team_and_plan()
        baseline = self.baseline()
        self.kickoff_meeting()
        self.call_with_a_promise()
        self.weekly_reports()
        self.sso_change(baseline)
        self.staging_outage()
        self.open_question_and_risk()

    # ------------------------------------------------------------------- the story

    def team_and_plan(self) -> None:
        members = self.project.members
        for email, name, party, role in (
            (DEV, "Dana Lee", "team", "team_member"),
            (SPONSOR, "Sam Okafor", "client", "client_approver"),
            (CLIENT, "Chris Nguyen", "client", "client_member"),
            (AUDITOR, "Alex Reid", "third_party", "auditor"),
        ):
            if email not in members:
                self.ledger.add_member(
                    PM,
                    self.p,
                    email=email,
                    name=name,
                    party=party,
                    role=role,
                    occurred_at=self.day(-1),
                )
        if self.project.key_contacts.get("approvals") != SPONSOR:
            self.ledger.designate_key_contact(
                PM, self.p, email=SPONSOR, area="approvals", occurred_at=self.day(0)
            )
        if not self.project.cadences:
            self.ledger.set_communication_plan(
                PM,
                self.p,
                channels=[
                    {"channel": "email", "purpose": "formal notices, approvals and minutes"},
                    {"channel": "video", "purpose": "weekly status call, Tuesdays 10:00"},
                    {"channel": "im", "purpose": "quick questions, same-day answers"},
                ],
                cadences=[
                    {
                        "kind": "weekly_report",
                        "every": "P7D",
                        "owner": PM,
                        "starts_on": self.day(7).date(),
                        "audience": [SPONSOR, CLIENT],
                    },
                    {
                        "kind": "monthly_review",
                        "every": "P1M",
                        "owner": PM,
                        "starts_on": self.day(30).date(),
                        "audience": [SPONSOR],
                    },
                ],
                occurred_at=self.day(0, 11),
            )

    def baseline(self) -> dict[str, UUID]:
        agreed = [PM, SPONSOR]
        items: dict[str, tuple[str, str, dict[str, Any]]] = {
            "scope": (
                "scope_item",
                "Portal scope",
                {
                    "text": "Order history, invoice download and support tickets for B2B customers",
                },
            ),
            "beta": ("milestone", "Beta release", {"date": self.day(42).date()}),
            "budget": (
                "budget",
                "Fixed budget",
                {
                    "amount": Decimal("120000.00"),
                    "currency": "EUR",
                },
            ),
            "acceptance": (
                "acceptance_criterion",
                "Performance",
                {
                    "text": "Order history loads in under 2 seconds for 95% of requests",
                },
            ),
        }
        ids = {}
        for name, (kind, title, value) in items.items():
            ids[name] = self.ledger.set_expectation(
                PM,
                self.p,
                kind=kind,
                title=title,
                value=value,
                agreed_by=agreed,
                occurred_at=self.day(0, 11),
                idempotency_key=self.key(f"expectation:{name}"),
            ).id
        # The PM proposed the baseline naming the sponsor; the sponsor agrees in person (an
        # agreement someone else records "for" them would not count).
        for expectation_id in ids.values():
            proposal = self.ledger.get_expectation(self.p, expectation_id).pending_proposal
            if proposal is not None and SPONSOR in proposal.awaiting:
                self.ledger.agree_expectation(
                    SPONSOR,
                    self.p,
                    expectation_id,
                    proposal_version=proposal.version,
                    occurred_at=self.day(0, 12),
                )
        return ids

    def kickoff_meeting(self) -> None:
        meeting_id = self.ledger.hold_meeting(
            PM,
            self.p,
            title="Kickoff",
            attendees=[PM, DEV, SPONSOR, CLIENT],
            agenda=["Goals and scope", "Communication plan", "Milestones", "Next steps"],
            channel="video",
            occurred_at=self.day(0, 1),
            idempotency_key=self.key("kickoff"),
        ).id
        meeting = self.ledger.get_meeting(self.p, meeting_id)
        if meeting.minutes_version is None:
            self.ledger.record_minutes(
                PM,
                self.p,
                meeting_id,
                discussion_points=[
                    "Portal scope confirmed: orders, invoices, support tickets",
                    "Weekly written report every week; monthly review with the sponsor",
                ],
                decisions=["Beta release six weeks after kickoff", "Email is the formal channel"],
                action_items=[
                    {
                        "owner": PM,
                        "description": "Send the project plan",
                        "promisee": SPONSOR,
                        "due_at": self.day(3, 8),
                    },
                    {
                        "owner": DEV,
                        "description": "Deliver the revised wireframes",
                        "promisee": SPONSOR,
                        "due_at": self.day(10, 8),
                    },
                    {
                        "owner": CLIENT,
                        "description": "Provide brand guidelines and logo files",
                        "promisee": PM,
                        "due_at": self.day(5, 8),
                    },
                ],
                occurred_at=self.day(0, 3),
            )
            meeting = self.ledger.get_meeting(self.p, meeting_id)
        if not meeting.circulated_to:
            self.ledger.circulate_minutes(
                PM,
                self.p,
                meeting_id,
                to=[SPONSOR, CLIENT],
                acknowledge_by=self.day(3, 8),
                occurred_at=self.day(0, 4),
            )
            meeting = self.ledger.get_meeting(self.p, meeting_id)
        assert meeting.minutes_version is not None
        self.acknowledge(meeting_id, meeting.minutes_version, SPONSOR, self.day(1, 2))
        plan, wireframes, _brand = (item.commitment_id for item in meeting.action_items)

        # The plan: acknowledged, sent on time, accepted.
        self.ack_commitment(plan, SPONSOR, self.day(1, 2))
        if self.state(plan) is CommitmentState.OPEN:
            self.ledger.fulfil_commitment(
                PM, self.p, plan, note="Plan v1.0 sent by email", occurred_at=self.day(2, 6)
            )
        if self.state(plan) is CommitmentState.FULFILLED:
            self.ledger.accept_fulfilment(SPONSOR, self.p, plan, occurred_at=self.day(3, 1))
        # The wireframes: acknowledged, delivered on day 9, accepted.
        self.ack_commitment(wireframes, SPONSOR, self.day(1, 3))
        if self.state(wireframes) is CommitmentState.OPEN:
            self.ledger.fulfil_commitment(
                PM,
                self.p,
                wireframes,
                note="Wireframes v2 shared in Figma",
                attributed_to=DEV,
                occurred_at=self.day(9, 5),
            )
        if self.state(wireframes) is CommitmentState.FULFILLED:
            self.ledger.accept_fulfilment(SPONSOR, self.p, wireframes, occurred_at=self.day(10, 2))
        # The brand guidelines (the client's promise, due on day 5) never came: overdue.

    def call_with_a_promise(self) -> None:
        call = self.ledger.record_interaction(
            PM,
            self.p,
            channel="phone",
            subject="Hosting provider",
            summary="Sam will confirm the hosting provider by the end of the month.",
            from_address=SPONSOR,
            to=[PM],
            occurred_at=self.day(12, 6),
            idempotency_key=self.key("call:hosting"),
        ).id
        self.ledger.make_commitment(
            PM,
            self.p,
            promisor=SPONSOR,
            promisee=PM,
            statement="Confirm the hosting provider",
            due_at=self.day(34, 8),
            source={"kind": "interaction", "id": call},
            attributed_to=SPONSOR,
            occurred_at=self.day(12, 6),
            idempotency_key=self.key("commitment:hosting"),
        )

    def weekly_reports(self) -> None:
        for week in (1, 2):  # week 3 is missed
            report = self.ledger.issue_status_report(
                PM,
                self.p,
                period_start=self.day(7 * (week - 1)).date(),
                period_end=self.day(7 * week - 1).date(),
                to=[SPONSOR, CLIENT],
                progress=[f"Week {week}: " + ("plan and wireframes" if week == 1 else "SSO spike")],
                problems=[] if week == 1 else ["Brand guidelines still missing"],
                next_steps=["Design system", "Order history API"],
                acknowledge_by=self.day(7 * week + 2, 8),
                occurred_at=self.day(7 * week, 7),
                idempotency_key=self.key(f"weekly-report:{week}"),
            )
            if week == 1:
                self.acknowledge(report.id, 1, SPONSOR, self.day(8, 1))

    def sso_change(self, baseline: dict[str, UUID]) -> None:
        change_id = self.ledger.request_change(
            PM,
            self.p,
            title="Single sign-on with Azure AD",
            description="Customers sign in with their company accounts.",
            rationale="Northwind's security policy requires SSO for all external portals.",
            affected_expectations=[baseline["beta"], baseline["budget"]],
            attributed_to=SPONSOR,
            occurred_at=self.day(15, 1),
            idempotency_key=self.key("change:sso"),
        ).id
        change = self.ledger.get_change_request(self.p, change_id)
        if change.state is ChangeRequestState.REQUESTED:
            self.ledger.assess_impact(
                PM,
                self.p,
                change_id,
                scope_impact="Adds an identity provider integration and a login flow.",
                schedule_delta_days=14,
                cost_delta={"amount": Decimal("9500.00"), "currency": "EUR"},
                revisions=[
                    {"expectation_id": baseline["beta"], "value": {"date": self.day(56).date()}},
                    {
                        "expectation_id": baseline["budget"],
                        "value": {"amount": Decimal("129500.00"), "currency": "EUR"},
                    },
                ],
                occurred_at=self.day(16, 6),
            )
        change = self.ledger.get_change_request(self.p, change_id)
        if change.state is ChangeRequestState.ASSESSED:
            self.ledger.approve_change(
                SPONSOR,
                self.p,
                change_id,
                conditions="Go-live date communicated to customers",
                occurred_at=self.day(18, 2),
            )
            self.ledger.record_decision(
                PM,
                self.p,
                statement="Use Azure AD B2C for customer identity",
                decided_by=[SPONSOR, PM],
                options_considered=["Azure AD B2C", "Auth0", "Build our own login"],
                rationale="Northwind already licenses Azure AD; lowest running cost.",
                source={"kind": "change_request", "id": change_id},
                occurred_at=self.day(18, 2),
                idempotency_key=self.key("decision:identity"),
            )

    def staging_outage(self) -> None:
        issue_id = self.ledger.raise_issue(
            CLIENT,
            self.p,
            kind="problem",
            title="Staging server down: acceptance testing blocked",
            description="Since this morning staging answers 502 for every page.",
            expected_resolution="Staging back today so testing can continue",
            severity="high",
            occurred_at=self.day(20, 1),
            idempotency_key=self.key("issue:staging"),
        ).id
        issue = self.ledger.get_issue(self.p, issue_id)
        if not issue.responses:
            self.ledger.respond_to_issue(
                PM,
                self.p,
                issue_id,
                response="Confirmed: the staging host ran out of disk.",
                occurred_at=self.day(20, 2),
            )
        if not self.ledger.get_issue(self.p, issue_id).options:
            self.ledger.propose_solution_options(
                PM,
                self.p,
                issue_id,
                options=[
                    {"id": "A", "description": "Clean up and restore today", "time_days": 1},
                    {
                        "id": "B",
                        "description": "Move staging to a managed host",
                        "cost": {"amount": "800.00", "currency": "EUR"},
                        "time_days": 3,
                    },
                ],
                occurred_at=self.day(20, 3),
            )
        if self.ledger.get_issue(self.p, issue_id).chosen_option_id is None:
            self.ledger.choose_solution(
                SPONSOR,
                self.p,
                issue_id,
                option_id="B",
                note="Worth it for the next phases",
                occurred_at=self.day(20, 5),
            )
        if self.ledger.get_issue(self.p, issue_id).percent_complete is None:
            self.ledger.report_issue_progress(
                PM,
                self.p,
                issue_id,
                note="Managed host provisioned",
                percent_complete=60,
                occurred_at=self.day(21, 4),
            )

    def open_question_and_risk(self) -> None:
        self.ledger.raise_issue(
            CLIENT,
            self.p,
            kind="question",
            title="Can invoices be exported to PDF?",
            description="Our accounting team needs PDFs for archiving.",
            severity="low",
            occurred_at=self.day(24, 2),
            idempotency_key=self.key("issue:pdf-question"),
        )
        risk_id = self.ledger.identify_risk(
            PM,
            self.p,
            description="The lead designer is away for two weeks in December",
            probability="medium",
            impact="high",
            owner=PM,
            occurred_at=self.day(22, 1),
            idempotency_key=self.key("risk:designer"),
        ).id
        if self.ledger.get_risk(self.p, risk_id).strategy is None:
            self.ledger.plan_risk_response(
                PM,
                self.p,
                risk_id,
                strategy="mitigate",
                plan="Finish the design system before December; a second designer reviews it",
                owner=DEV,
                occurred_at=self.day(22, 2),
            )

    # -------------------------------------------------------------------- steps

    def state(self, commitment_id: UUID) -> CommitmentState:
        return self.ledger.get_commitment(self.p, commitment_id).state

    def ack_commitment(self, commitment_id: UUID, who: str, when: datetime) -> None:
        if who not in self.ledger.get_commitment(self.p, commitment_id).acknowledged_by:
            self.ledger.acknowledge_commitment(who, self.p, commitment_id, occurred_at=when)

    def acknowledge(self, subject_id: UUID, version: int, who: str, when: datetime) -> None:
        request_id = acknowledgement_request_id(subject_id, version, who)
        request = self.ledger.get_acknowledgement_request(self.p, request_id)
        if request.state is AcknowledgementState.REQUESTED:
            self.ledger.acknowledge(who, self.p, request_id, comment="Agreed", occurred_at=when)
