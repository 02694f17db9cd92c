"""The OpenAPI document describes every route, parameter, field and error."""

from __future__ import annotations

import re
from typing import Any

from api.app import openapi_document
from tests.api.conftest import Api, all_routes


def walk_properties(schema: dict[str, Any], where: str) -> list[str]:
    """Names of the object properties under ``schema`` that have no description."""
    missing = []
    for name, prop in schema.get("properties", {}).items():
        if not prop.get("description"):
            missing.append(f"{where}.{name}")
    return missing


def test_every_field_and_parameter_is_described() -> None:
    document = openapi_document()
    missing: list[str] = []
    for name, schema in document["components"]["schemas"].items():
        missing += walk_properties(schema, name)
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if not parameter.get("description"):
                    missing.append(f"{method.upper()} {path} {parameter['name']}")
            if not (operation.get("summary") and operation.get("responses")):
                missing.append(f"{method.upper()} {path}")
    assert missing == []


def test_every_error_is_a_documented_problem() -> None:
    document = openapi_document()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status[0] in "45":
                    assert list(response["content"]) == ["application/problem+json"], (
                        method,
                        path,
                        status,
                    )
            if path.startswith("/v1/"):
                assert "401" in operation["responses"], (method, path)
            if method == "post":
                names = {p["name"] for p in operation.get("parameters", [])}
                assert "Idempotency-Key" in names, path
                assert {"413", "422"} <= set(operation["responses"]), path


def test_every_route_is_in_the_document(api: Api) -> None:
    document = api.client.get("/openapi.json").json()
    routes = {
        (method.lower(), re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path))
        for route in all_routes(api.client.app)
        for method in getattr(route, "methods", ())
        if method != "HEAD"
        and route.path not in ("/openapi.json", "/docs", "/redoc")  # type: ignore[attr-defined]
        and not route.path.startswith("/docs")  # type: ignore[attr-defined]
        and getattr(route, "include_in_schema", True)  # the web app's pages (docs/web.md)
    }
    documented = {(m, p) for p, ops in document["paths"].items() for m in ops}
    assert routes == documented


def test_the_docs_page_renders(api: Api) -> None:
    page = api.client.get("/docs")
    assert page.status_code == 200
    assert "swagger-ui" in page.text
    assert api.client.get("/redoc").status_code == 200
