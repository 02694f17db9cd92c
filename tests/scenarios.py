"""Scripted histories shared by the tests: the demo plus a tour of every remaining event type
(corrections, retractions, renegotiations, disputes, rejected and withdrawn changes...)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from ledger.domain.acknowledgement import acknowledgement_request_id
from ledger.interchange.demo import AUDITOR, CLIENT, DEV, PM, SPONSOR, record_demo
from ledger.service.application import Ledger
from ledger.service.commands.interactions import MessageVariant
from tests.builders import agree_to_expectation


def record_tour(ledger: Ledger, *, close: bool = True) -> UUID:
    """Record the demo, then one more project that takes every step the demo does not."""
    record_demo(ledger)
    now = datetime.now(UTC)
    t = now - timedelta(days=10)

    def at(hours: float) -> datetime:
        return t + timedelta(hours=hours)

    p = ledger.open_project(
        PM,
        name="Tour",
        client_org="Client",
        team_org="Team",
        time_zone="Europe/Berlin",
        occurred_at=at(0),
    ).id
    ledger.change_time_zone(PM, p, time_zone="Pacific/Pago_Pago", occurred_at=at(0))
    for email, party, role in (
        (DEV, "team", "team_member"),
        (SPONSOR, "client", "client_approver"),
        (CLIENT, "client", "client_member"),
        (AUDITOR, "third_party", "auditor"),
        ("temp@acme-digital.example", "team", "team_member"),
    ):
        ledger.add_member(PM, p, email=email, name=email.split("@")[0], party=party, role=role)
    ledger.change_member_role(PM, p, email=CLIENT, role="client_approver")
    ledger.remove_member(PM, p, email="temp@acme-digital.example", reason="left the team")
    ledger.allow_mail_sender(PM, p, email="assistant@client.example", name="Ann")
    ledger.disallow_mail_sender(PM, p, email="assistant@client.example")
    # The sponsor names a colleague to consent for them, then takes it back.
    ledger.name_delegate(SPONSOR, p, delegate=CLIENT)
    ledger.revoke_delegate(SPONSOR, p, delegate=CLIENT)

    # Commitments: renegotiated, declined, disputed, withdrawn, released.
    c1 = ledger.make_commitment(
        PM,
        p,
        promisor=DEV,
        promisee=SPONSOR,
        statement="API docs",
        due_at=at(48),
        attributed_to=DEV,
        occurred_at=at(1),
    ).id
    ledger.propose_commitment_renegotiation(DEV, p, c1, reason="scope grew", due_at=at(96))
    ledger.agree_commitment_renegotiation(SPONSOR, p, c1)
    ledger.propose_commitment_renegotiation(SPONSOR, p, c1, reason="need earlier", due_at=at(72))
    ledger.decline_commitment_renegotiation(DEV, p, c1, reason="not feasible")
    ledger.fulfil_commitment(DEV, p, c1, note="published")
    ledger.dispute_fulfilment(SPONSOR, p, c1, reason="auth section missing")
    c2 = ledger.make_commitment(PM, p, promisor=PM, promisee=SPONSOR, statement="Demo video").id
    ledger.withdraw_commitment(PM, p, c2, reason="replaced by a live demo")
    c3 = ledger.make_commitment(PM, p, promisor=PM, promisee=CLIENT, statement="Training").id
    ledger.release_commitment(CLIENT, p, c3, reason="not needed any more")

    # Interactions: corrected and retracted.
    i1 = ledger.record_interaction(
        PM,
        p,
        channel="email",
        subject="Status",
        summary="All good",
        from_address=PM,
        to=[SPONSOR],
        occurred_at=at(2),
    ).id
    ledger.correct_interaction(PM, p, i1, changes={"summary": "Mostly good"}, reason="typo")
    # A reply recorded before the message it answers, then linked to it.
    reply = ledger.record_interaction(
        SPONSOR,
        p,
        channel="email",
        subject="Re: Plan",
        summary="Agreed",
        from_address=SPONSOR,
        to=[PM],
        occurred_at=at(2.5),
    ).id
    plan = ledger.record_interaction(
        PM,
        p,
        channel="email",
        subject="Plan",
        summary="Here is the plan",
        from_address=PM,
        to=[SPONSOR],
        occurred_at=at(2.2),
    ).id
    ledger.link_reply(DEV, p, reply, in_reply_to=plan)
    ledger.retract_interaction(PM, p, i1, reason="sent to the wrong project")
    # An email sent twice with other bytes (a variant), and its bounce.
    sent = ledger.record_interaction(
        PM,
        p,
        channel="email",
        subject="Invoice",
        summary="Attached",
        from_address=PM,
        to=[SPONSOR, "old@client.example"],
        display_names=[{"address": SPONSOR, "name": "Sue Sponsor"}],
        source_ref="invoice-1@acme-digital.example",
        body_sha256="1" * 64,
        occurred_at=at(2.6),
    ).id
    ledger.record_variants(
        PM, p, [MessageVariant(sent, "2" * 64, 1200, "sent-items.mbox #3", "sent again")]
    )
    ledger.record_interaction(
        PM,
        p,
        channel="email",
        subject="Undelivered Mail Returned to Sender",
        summary="Delivery to old@client.example failed: 5.1.1",
        from_address="mailer-daemon@mx.acme-digital.example",
        to=[PM],
        delivery_failure={
            "format": "rfc3464",
            "recipients": [
                {
                    "address": "old@client.example",
                    "action": "failed",
                    "status": "5.1.1",
                    "diagnostic": "550 5.1.1 User unknown",
                }
            ],
            "reporting_mta": "mx.acme-digital.example",
            "original_message_id": "invoice-1@acme-digital.example",
            "original_interaction_id": sent,
        },
        occurred_at=at(2.7),
    )

    # Minutes amended; acknowledgement disputed and withdrawn.
    m = ledger.hold_meeting(
        PM,
        p,
        title="Review",
        attendees=[PM, SPONSOR, CLIENT],
        agenda=["Demo"],
        channel="video",
        occurred_at=at(3),
    ).id
    ledger.record_minutes(
        PM, p, m, discussion_points=["Demo shown"], decisions=["Go"], action_items=[]
    )
    ledger.circulate_minutes(
        PM, p, m, to=[SPONSOR, CLIENT], acknowledge_by=at(50), occurred_at=at(4)
    )
    version = ledger.get_meeting(p, m).minutes_version
    assert version is not None
    ledger.dispute_acknowledgement(
        SPONSOR,
        p,
        acknowledgement_request_id(m, version, SPONSOR),
        reason="decision was 'Go with conditions'",
        proposed_correction="Go, with conditions",
    )
    ledger.withdraw_acknowledgement_request(
        PM, p, acknowledgement_request_id(m, version, CLIENT), reason="minutes being amended"
    )
    ledger.amend_minutes(PM, p, m, reason="decision wording", decisions=["Go, with conditions"])

    # Status report corrected.
    r = ledger.issue_status_report(
        PM,
        p,
        period_start=at(0).date(),
        period_end=at(0).date(),
        to=[SPONSOR],
        progress=["Started"],
        occurred_at=at(4),
    ).id
    ledger.correct_status_report(
        PM, p, r, changes={"progress": ["Started the API"]}, reason="more precise"
    )

    # Issue resolved, disputed, resolved, confirmed, reopened.
    issue = ledger.raise_issue(
        SPONSOR,
        p,
        kind="problem",
        title="Login slow",
        description="8 s to log in",
        severity="medium",
    ).id
    ledger.resolve_issue(PM, p, issue, resolution="cache added")
    ledger.dispute_resolution(SPONSOR, p, issue, reason="still 5 s")
    ledger.resolve_issue(PM, p, issue, resolution="index added")
    ledger.confirm_resolution(SPONSOR, p, issue, note="now 1 s")
    ledger.reopen_issue(SPONSOR, p, issue, reason="slow again on Mondays")

    # Risk assessed, materialised into a new issue, closed.
    risk = ledger.identify_risk(
        PM, p, description="Vendor API deprecation", probability="low", impact="medium", owner=PM
    ).id
    ledger.assess_risk(PM, p, risk, probability="high", impact="high", note="notice received")
    ledger.record_risk_materialised(PM, p, risk)
    ledger.close_risk(PM, p, risk, reason="handled through the issue")

    # Expectations: delivery rejected, resubmitted, accepted; withdrawn by agreement.
    d = ledger.set_expectation(
        PM,
        p,
        kind="deliverable",
        title="Style guide",
        value={"text": "PDF style guide"},
    ).id  # naming nobody else: in the baseline at once (Expectation.Set)
    ledger.submit_delivery(PM, p, d, note="v1")
    ledger.reject_delivery(SPONSOR, p, d, reason="colours wrong")
    ledger.submit_delivery(PM, p, d, note="v2")
    ledger.accept_delivery(SPONSOR, p, d, note="approved")
    a = ledger.set_expectation(
        PM,
        p,
        kind="assumption",
        title="Hosting",
        value={"text": "Client hosts"},
        agreed_by=[PM, SPONSOR],
    ).id
    agree_to_expectation(ledger, p, a)
    ledger.withdraw_expectation(PM, p, a, agreed_by=[PM, SPONSOR], reason="we host now")
    agree_to_expectation(ledger, p, a)
    # A proposal the client declines; the item then goes by change request (Withdrawn).
    h = ledger.set_expectation(
        PM,
        p,
        kind="assumption",
        title="Staging",
        value={"text": "Client runs staging"},
        agreed_by=[PM, SPONSOR],
    ).id
    agree_to_expectation(ledger, p, h)
    proposal = ledger.withdraw_expectation(
        PM, p, h, agreed_by=[PM, SPONSOR], reason="we run staging"
    )
    ledger.decline_expectation(
        SPONSOR, p, h, proposal_version=proposal.version, reason="not by handshake"
    )

    # Change requests: rejected, withdrawn, approved and implemented.
    ms = ledger.set_expectation(
        PM,
        p,
        kind="milestone",
        title="Launch",
        value={"date": (now + timedelta(days=60)).date()},
        agreed_by=[PM, SPONSOR],
    ).id
    agree_to_expectation(ledger, p, ms)
    cr1 = ledger.request_change(
        SPONSOR, p, title="Dark mode", description="d", rationale="r", affected_expectations=[ms]
    ).id
    ledger.assess_impact(
        PM,
        p,
        cr1,
        scope_impact="theme",
        schedule_delta_days=5,
        revisions=[{"expectation_id": ms, "value": {"date": (now + timedelta(days=65)).date()}}],
    )
    ledger.reject_change(SPONSOR, p, cr1, reason="not now")
    cr2 = ledger.request_change(
        SPONSOR, p, title="Chat", description="d", rationale="r", affected_expectations=[ms]
    ).id
    ledger.withdraw_change(SPONSOR, p, cr2, reason="changed our mind")
    cr3 = ledger.request_change(
        PM, p, title="Export", description="d", rationale="r", affected_expectations=[ms, h]
    ).id
    ledger.assess_impact(
        PM,
        p,
        cr3,
        scope_impact="csv",
        schedule_delta_days=2,
        revisions=[
            {"expectation_id": ms, "value": {"date": (now + timedelta(days=62)).date()}},
            {"expectation_id": h, "withdraw": True},
        ],
    )
    ledger.approve_change(SPONSOR, p, cr3, conditions="none")
    ledger.mark_change_implemented(PM, p, cr3, note="released in 1.2")

    # Decisions superseded.
    d1 = ledger.record_decision(
        PM, p, statement="Postgres", decided_by=[PM, SPONSOR], rationale="team knows it"
    ).id
    d2 = ledger.record_decision(
        PM, p, statement="Managed Postgres", decided_by=[PM, SPONSOR], rationale="less ops"
    ).id
    ledger.supersede_decision(PM, p, d1, by_decision_id=d2, reason="ops cost")

    if close:
        ledger.close_project(PM, p, summary="Tour done", lessons_learned="Write things down")
    return p
