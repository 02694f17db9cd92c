"""Safe retries with Idempotency-Key."""

from __future__ import annotations

import threading
from typing import Any

from tests.api.conftest import CLIENT, TEAM, TM, Api

COMMITMENT = {"promisor": TEAM, "promisee": CLIENT, "statement": "Ship it"}


def position(api: Api) -> int:
    return api.ledger.recorder.max_notification_id() or 0


def with_key(key: str) -> dict[str, str]:
    return {"Idempotency-Key": key}


def test_a_retry_gets_the_first_answer_and_records_nothing(api: Api) -> None:
    first = api.post(api.url("/commitments"), COMMITMENT, headers=with_key("k-1"))
    assert first.status_code == 201
    before = position(api)
    # The same data, spelled differently (key order, spacing), is the same request.
    body = b'{ "statement": "Ship it", "promisee": "cl@client.test",  "promisor": "dev@acme.test" }'
    retry = api.client.post(
        api.url("/commitments"),
        content=body,
        headers={**api.headers(TM), **with_key("k-1"), "Content-Type": "application/json"},
    )
    assert retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.headers["etag"] == first.headers["etag"]
    assert retry.headers["location"] == first.headers["location"]
    assert position(api) == before
    assert "idempotent-replayed" not in first.headers


def test_the_same_key_for_another_request_is_refused(api: Api) -> None:
    assert api.post(api.url("/commitments"), COMMITMENT, headers=with_key("k")).status_code == 201
    before = position(api)
    other = api.post(
        api.url("/commitments"), {**COMMITMENT, "statement": "Other"}, headers=with_key("k")
    )
    assert other.status_code == 422
    assert other.json()["type"].endswith("/idempotency-key-reused")
    elsewhere = api.post(
        api.url("/decisions"), {"statement": "S", "decided_by": [TM]}, headers=with_key("k")
    )
    assert elsewhere.status_code == 422
    assert position(api) == before


def test_keys_belong_to_the_person(api: Api) -> None:
    mine = api.post(api.url("/commitments"), COMMITMENT, headers=with_key("same"))
    theirs = api.post(api.url("/commitments"), COMMITMENT, who=CLIENT, headers=with_key("same"))
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]


def test_a_lifecycle_step_is_replayed_not_run_twice(api: Api) -> None:
    c = api.post(api.url("/commitments"), COMMITMENT).json()
    path = api.url(f"/commitments/{c['id']}/acknowledge")
    first = api.post(path, who=TEAM, headers=with_key("ack"))
    assert first.status_code == 200
    before = position(api)
    retry = api.post(path, who=TEAM, headers=with_key("ack"))
    assert retry.status_code == 200  # not 409 "already acknowledged": the first answer
    assert retry.json() == first.json()
    assert position(api) == before
    assert api.post(path, who=TEAM).status_code == 409  # without a key it is a new request


def test_a_failed_request_releases_its_key(api: Api) -> None:
    bad = api.post(
        api.url("/commitments"), {**COMMITMENT, "promisor": "x@nowhere.test"}, headers=with_key("r")
    )
    assert bad.status_code == 422
    good = api.post(api.url("/commitments"), COMMITMENT, headers=with_key("r"))
    assert good.status_code == 201


def test_a_key_still_running_is_409_and_a_stale_one_is_taken_over(api: Api) -> None:
    services = api.client.app.state.services  # type: ignore[attr-defined]
    services.idempotency.claim(TM, "busy", "some-other-fingerprint")
    busy = api.post(api.url("/commitments"), COMMITMENT, headers=with_key("busy"))
    assert busy.status_code == 422  # another request's fingerprint: reused
    services.idempotency.release(TM, "busy")

    from api.idempotency import fingerprint

    body = api.client.build_request("POST", "/", json=COMMITMENT).content
    mine = fingerprint("POST", api.url("/commitments"), "", body)
    services.idempotency.claim(TM, "running", mine)
    running = api.post(api.url("/commitments"), COMMITMENT, headers=with_key("running"))
    assert running.status_code == 409
    assert running.json()["type"].endswith("/idempotency-key-in-use")

    with services.db.transaction() as tx:  # the claim's request died long ago
        tx.execute("UPDATE api_idempotency SET claimed_at = 0 WHERE idempotency_key = 'running'")
    assert api.post(
        api.url("/commitments"), COMMITMENT, headers=with_key("running")
    ).status_code == (201)


def test_creation_stays_idempotent_after_the_stored_answer_is_gone(api: Api) -> None:
    first = api.post(api.url("/commitments"), COMMITMENT, headers=with_key("gone")).json()
    services = api.client.app.state.services  # type: ignore[attr-defined]
    with services.db.transaction() as tx:
        tx.execute("DELETE FROM api_idempotency")
    before = position(api)
    again = api.post(api.url("/commitments"), COMMITMENT, headers=with_key("gone"))
    assert again.status_code == 201
    assert again.json()["id"] == first["id"]  # the ledger derived the same id from the key
    assert again.headers["accord-position"] == "0"
    assert position(api) == before


def test_concurrent_retries_record_once(api: Api) -> None:
    results: list[Any] = []

    def send() -> None:
        results.append(api.post(api.url("/commitments"), COMMITMENT, headers=with_key("race")))

    before = position(api)
    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(r.status_code for r in results)
    assert set(statuses) <= {201, 409}
    assert 201 in statuses
    assert {r.json()["id"] for r in results if r.status_code == 201} != set()
    assert len({r.json()["id"] for r in results if r.status_code == 201}) == 1
    assert position(api) == before + 1


def test_bad_keys_and_missing_tokens(api: Api) -> None:
    too_long = api.post(api.url("/commitments"), COMMITMENT, headers=with_key("k" * 256))
    assert too_long.status_code == 422
    assert too_long.headers["content-type"] == "application/problem+json"
    control = api.client.post(
        api.url("/commitments"),
        json=COMMITMENT,
        headers={**api.headers(TM), "Idempotency-Key": "a\tb"},
    )
    assert control.status_code == 422
    anonymous = api.client.post(api.url("/commitments"), json=COMMITMENT, headers=with_key("a"))
    assert anonymous.status_code == 401
