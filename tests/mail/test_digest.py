"""The daily digest on the demo (time zone Asia/Shanghai), on both backends: each person gets
what waits on them — overdue commitments, acknowledgements asked of them — in words and project
time, through a relay (a local SMTP sink), and each message sent is on record."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy

from api.mail.digest import digests, send_digests
from ledger.domain.interaction import Interaction
from ledger.interchange.demo import record_demo
from ledger.interchange.mailroom import Relay
from ledger.service.application import Ledger
from ledger.storage.reading import project_events
from projections.asof import LiveViews
from projections.runner import ProjectionRunner
from tests.mail.conftest import Sink


def test_each_person_gets_what_waits_on_them(ledger: Ledger, sink: tuple[Sink, int]) -> None:
    handler, port = sink
    demo = record_demo(ledger)
    manager = demo.people["project manager"]
    runner = ProjectionRunner(ledger)
    try:
        runner.catch_up()
        views = LiveViews(runner)
        now = datetime.now(UTC)
        found = {d.email: d for d in digests(ledger, views, demo.project_id, now)}
        assert found, "the demo has open items waiting on someone"
        auditors = {
            m.email for m in ledger.get_project(demo.project_id).members.values()
            if not m.role.may_record
        }  # fmt: skip
        assert not auditors & set(found)
        for digest in found.values():
            assert digest.count > 0
            assert set(digest.sections) <= {"overdue", "acknowledge", "reports"}
        before = len(list(project_events(ledger, demo.project_id, [Interaction.Recorded])))
        sent = send_digests(
            ledger, views, demo.project_id, manager, Relay.parse(f"smtp://127.0.0.1:{port}"), now
        )
        zh = digests(ledger, views, demo.project_id, now, "zh-Hans")
        assert {d.email for d in zh} == set(found)
    finally:
        runner.close()
    assert sorted(s.to for s in sent) == sorted(found)
    assert len(handler.messages) == len(found)
    for _from, rcpts, raw in handler.messages:
        message = message_from_bytes(raw, policy=policy.default)
        person = next(r for r in rcpts if r in found)
        body = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert "Asia/Shanghai" in body
        assert found[person].name in body
        assert "waiting on you" in str(message["Subject"])
    after = len(list(project_events(ledger, demo.project_id, [Interaction.Recorded])))
    assert after - before == len(found)
