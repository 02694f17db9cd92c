"""A bounded schemathesis run over the OpenAPI document: every operation, positive and negative
inputs, a team manager's token, the project id of a real project in every path. It must find no
5xx, no undocumented status, no response that breaks its documented schema or media type.

Bounded: ``MAX_EXAMPLES`` per operation and backend, no shrinking (a failure is printed with
the request that caused it)."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis import checks
from schemathesis.python import asgi

from api.app import openapi_document
from tests.api.conftest import TM, Api

MAX_EXAMPLES = 10

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture(scope="module")
def fuzz_session(shared_api: Api) -> Any:
    """Schemathesis' in-process ASGI client for the shared app, not entered: schemathesis ends
    the lifespans it starts after every test, which would close the app's services; the
    fixture's TestClient holds the one lifespan."""
    return asgi.get_client(shared_api.client.app)


# The document does not depend on the storage: load it once, run it against each backend.
schema = schemathesis.openapi.from_dict(openapi_document())


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_openapi_fuzz(case: Any, shared_api: Api, fuzz_session: Any) -> None:
    if case.path_parameters and "project_id" in case.path_parameters:
        case.path_parameters["project_id"] = str(shared_api.project_id)
    case.call_and_validate(session=fuzz_session, headers=shared_api.headers(TM), checks=CHECKS)
