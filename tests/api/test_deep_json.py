"""Deep or huge JSON is a 400 on every route, with or without an Idempotency-Key (it used to be
a 500 from orjson's recursion limit when the key's fingerprint was computed)."""

from __future__ import annotations

import pytest

from api.idempotency import fingerprint
from api.middleware import MAX_JSON_DEPTH, json_depth
from tests.api.conftest import Api


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 300, 1_100, 20_000])
@pytest.mark.parametrize("keyed", [False, True])
def test_deep_json_is_a_400(shared_api: Api, depth: int, keyed: bool) -> None:
    api = shared_api
    for body in (b"[" * depth + b"]" * depth, b'{"a":' * depth + b"1" + b"}" * depth):
        headers = {"Content-Type": "application/json"}
        if keyed:
            headers["Idempotency-Key"] = f"deep-{depth}-{len(body)}"
        for path in ("/interactions", "/commitments", "/issues"):
            answer = api.post(api.url(path), content=body, headers=headers)
            assert answer.status_code == 400, answer.text
            assert answer.headers["content-type"] == "application/problem+json"
            assert "nested more than" in answer.json()["detail"]


def test_huge_numbers_are_a_400(shared_api: Api) -> None:
    api = shared_api
    body = b'{"channel": "phone", "summary": ' + b"9" * 50_000 + b"}"
    for key in (None, "huge-1"):
        headers = {"Content-Type": "application/json", **({"Idempotency-Key": key} if key else {})}
        answer = api.post(api.url("/interactions"), content=body, headers=headers)
        assert answer.status_code == 400, answer.text


def test_depth_counts_brackets_outside_strings_only() -> None:
    in_a_string = b'{"a": "' + b"[" * 200 + b'"}'
    assert json_depth(in_a_string) == 1
    deep = b'"\\"[",' * 100 + b"[" * 70 + b"]" * 70
    assert json_depth(deep) == 70
    # The fingerprint of a body orjson cannot write again is the body itself, not an error.
    assert fingerprint("POST", "/p", "", b"[" * 300 + b"]" * 300)
