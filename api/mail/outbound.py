"""Circulations by e-mail, when a relay is configured (``ACCORD_SMTP_URL``).

Circulating minutes — over the JSON API or from the web app — records the circulation and its
acknowledgement requests first; then, with a relay, each recipient gets the minutes and their
personal acknowledgement link (:mod:`api.web.ack_links`; one made if they have none), and each
message sent is recorded as an interaction of the person who circulated (see
:class:`ledger.interchange.mailroom.Outbox`). A relay that cannot be reached does not undo the
circulation: the failure is logged and the links stay on the subject's page to copy.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from ledger.domain.acknowledgement import acknowledgement_request_id
from ledger.domain.errors import NotFoundError
from ledger.interchange.mailroom import Outbox, Relay, Sent, minutes_circulation
from ledger.service.application import Ledger

if TYPE_CHECKING:
    from api.web.ack_links import AckLinkStore

log = logging.getLogger("accord.mail")


def mail_minutes(
    ledger: Ledger,
    links: AckLinkStore,
    project_id: UUID,
    meeting_id: UUID,
    actor: str,
    base_url: str,
    relay: Relay | None = None,
) -> list[Sent]:
    """E-mail the meeting's circulated minutes with personal links; ``[]`` without a relay."""
    try:
        relay = relay or Relay.from_environment()
    except ValueError as e:
        log.error("circulation not mailed: %s", e)
        return []
    if relay is None:
        return []
    meeting = ledger.get_meeting(project_id, meeting_id)
    version = meeting.minutes_version
    if version is None:
        return []
    requests = {
        acknowledgement_request_id(meeting_id, version, person): person
        for person in meeting.circulated_to
    }
    existing = links.for_requests(project_id, list(requests))
    urls: dict[UUID, str] = {}
    for request_id, person in requests.items():
        link = existing.get(request_id)
        if link is None:
            try:
                request = ledger.get_acknowledgement_request(project_id, request_id)
            except NotFoundError:
                continue  # the sender, or an auditor: not asked
            due = getattr(request, "due_at", None)
            link = links.create(
                project_id,
                request_id,
                person,
                created_by=actor,
                expires_at=(due + timedelta(days=14)) if due else None,
            )
        urls[request_id] = f"{base_url.rstrip('/')}/ack/{links.token(link)}"
    circulation = minutes_circulation(
        ledger,
        project_id,
        meeting_id,
        base_url=base_url,
        link_for=lambda request_id, _email: urls.get(request_id, base_url),
    )
    circulation.instructions = {
        email: text
        for email, text in circulation.instructions.items()
        if acknowledgement_request_id(meeting_id, version, email) in urls
    }
    try:
        return Outbox(ledger, relay).circulate(actor, circulation)
    except OSError as e:
        log.error("the relay in ACCORD_SMTP_URL could not be reached: %s", e)
        return []
