"""Bodies the API cannot read say what to do (api/json_body.py, docs/api.md "Errors"): a body
not declared as JSON is 415 naming the type expected; malformed JSON is 400 naming the line and
column; bytes that are not UTF-8 are 400 naming UTF-8. Nothing is stored. (The HTTP parsing
does not depend on the storage: SQLite only.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ledger.service.application import Ledger
from tests.api.conftest import CLIENT, TM, Api, build_api, make_settings

#: A valid commitment, as bytes.
PM_BODY = (
    f'{{"promisor": "{TM}", "promisee": "{CLIENT}", "statement": "Deliver the draft"}}'
).encode()


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    url = f"sqlite:///{tmp_path_factory.mktemp('body') / 'accord.db'}"
    ledger = Ledger(url)
    try:
        settings = make_settings(url, run_projections=False, checkpoint_seconds=0)
        with TestClient(create_app(settings, ledger=ledger)) as client:
            yield build_api(client, ledger)
    finally:
        ledger.close()


def problem(response: object, status: int) -> dict[str, object]:
    assert getattr(response, "status_code", None) == status, getattr(response, "text", "")
    assert response.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    body: dict[str, object] = response.json()  # type: ignore[attr-defined]
    return body


def events(api: Api) -> int:
    return api.ledger.recorder.max_notification_id() or 0


def test_a_body_without_a_json_content_type_is_415_naming_the_type(api: Api) -> None:
    before = events(api)
    url = api.url("/commitments")
    for headers, got in (
        ({}, "got no Content-Type"),
        ({"Content-Type": "text/plain"}, "got 'text/plain'"),
        ({"Content-Type": "application/x-www-form-urlencoded"}, "x-www-form-urlencoded"),
    ):
        answer = api.client.post(url, content=PM_BODY, headers={**api.headers(), **headers})
        body = problem(answer, 415)
        assert body["type"] == "https://accord.dev/problems/unsupported-media-type"
        assert "Content-Type: application/json" in str(body["detail"])
        assert got in str(body["detail"])
    assert events(api) == before


def test_json_with_a_charset_or_a_json_suffix_is_accepted(api: Api) -> None:
    for content_type in ("application/json; charset=utf-8", "application/merge-patch+json"):
        answer = api.client.post(
            api.url("/commitments"),
            content=PM_BODY,
            headers={**api.headers(), "Content-Type": content_type},
        )
        assert answer.status_code == 201, answer.text


def test_malformed_json_is_400_naming_line_and_column(api: Api) -> None:
    before = events(api)
    broken = (
        b'{\n  "promisor": "tm@acme.test",\n  "promisee": "cl@client.test"\n  "statement": "x"\n}'
    )
    answer = api.client.post(
        api.url("/commitments"),
        content=broken,
        headers={**api.headers(), "Content-Type": "application/json"},
    )
    body = problem(answer, 400)
    assert body["type"] == "https://accord.dev/problems/bad-request"
    assert body["detail"] == (
        "the body is not valid JSON: Expecting ',' delimiter at line 4, column 3"
    )
    assert body["field"] == "body"
    assert events(api) == before


def test_bytes_that_are_not_utf8_are_400_naming_utf8(api: Api) -> None:
    before = events(api)
    latin1 = PM_BODY.replace(b'"Deliver', '"Livr\xe9'.encode("latin-1"))
    assert b"\xe9" in latin1
    answer = api.client.post(
        api.url("/commitments"),
        content=latin1,
        headers={**api.headers(), "Content-Type": "application/json"},
    )
    body = problem(answer, 400)
    assert "not UTF-8" in str(body["detail"])
    assert "0xe9" in str(body["detail"])
    assert events(api) == before


def test_a_post_without_a_body_needs_no_content_type(api: Api) -> None:
    """Only a body must be declared: an empty POST goes to the route as before."""
    answer = api.client.post(api.url("/commitments"), headers=api.headers())
    assert answer.status_code == 422  # the route needs a body: a validation problem, not 415


def test_uploads_keep_multipart(api: Api, tmp_path: Path) -> None:
    mbox = Path(__file__).parents[1] / "data" / "email" / "project.mbox"
    answer = api.client.post(
        api.url("/imports/mbox"),
        files={"file": ("project.mbox", mbox.read_bytes(), "application/mbox")},
        headers=api.headers(),
    )
    assert answer.status_code != 415, answer.text
