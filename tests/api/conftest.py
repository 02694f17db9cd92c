"""The HTTP tier: the app built by ``create_app`` on SQLite and on PostgreSQL (``database_url``),
driven through Starlette's TestClient, with one member of each role in a project and a token
for each of them (and for an outsider)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from ledger.service.application import Ledger
from tests.pgserver import PostgresServer

TM = "tm@acme.test"  # team manager (opened the project)
TEAM = "dev@acme.test"  # team member
CLIENT = "cl@client.test"  # client member
APPROVER = "ap@client.test"  # client approver
AUDITOR = "au@audit.test"  # auditor
OUTSIDER = "out@else.test"  # has a token, is in no project

ROLES = {
    "team_manager": TM,
    "team_member": TEAM,
    "client_member": CLIENT,
    "client_approver": APPROVER,
    "auditor": AUDITOR,
    "outsider": OUTSIDER,
}

MEMBERS = (
    (TEAM, "team", "team_member"),
    (CLIENT, "client", "client_member"),
    (APPROVER, "client", "client_approver"),
    (AUDITOR, "third_party", "auditor"),
)


def make_settings(database_url: str, **overrides: Any) -> Settings:
    return Settings(
        database_url=database_url,
        sse_max_seconds=overrides.pop("sse_max_seconds", 2.0),
        sse_poll_seconds=overrides.pop("sse_poll_seconds", 0.05),
        **overrides,
    )


@dataclass
class Api:
    """The app, its ledger, a project with every role, and a token per person."""

    client: TestClient
    ledger: Ledger
    project_id: UUID
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, who: str = TM, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}", **extra}

    def url(self, path: str = "", project_id: UUID | None = None) -> str:
        return f"/v1/projects/{project_id or self.project_id}{path}"

    def get(self, path: str, who: str = TM, **kwargs: Any) -> Any:
        headers = {**self.headers(who), **kwargs.pop("headers", {})}
        return self.client.get(path, headers=headers, **kwargs)

    def post(self, path: str, body: Any = None, who: str = TM, **kwargs: Any) -> Any:
        headers = {**self.headers(who), **kwargs.pop("headers", {})}
        if body is None:
            return self.client.post(path, headers=headers, **kwargs)
        return self.client.post(path, json=body, headers=headers, **kwargs)

    def new_project(self, name: str = "Another") -> UUID:
        """A project with the same people in the same roles."""
        project_id = self.ledger.open_project(TM, name=name, client_org="C", team_org="T").id
        for email, party, role in MEMBERS:
            self.ledger.add_member(TM, project_id, email=email, name=email, party=party, role=role)
        return project_id


def build_api(client: TestClient, ledger: Ledger) -> Api:
    services = client.app.state.services  # type: ignore[attr-defined]
    api = Api(client=client, ledger=ledger, project_id=UUID(int=0))
    api.project_id = api.new_project("Portal")
    for email in ROLES.values():
        api.tokens[email] = services.tokens.create(email).token
    return api


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def module_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Like ``database_url``, for a whole module: tests that only add to the ledger share it."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('module') / 'accord.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    dbname = server.create_database()
    try:
        yield server.url(dbname)
    finally:
        server.drop_database(dbname)


@pytest.fixture(scope="module")
def shared_api(module_database_url: str) -> Iterator[Api]:
    """An :class:`Api` for a whole module (its tests must not depend on each other's items)."""
    ledger = Ledger(module_database_url)
    try:
        settings = make_settings(module_database_url, sse_max_seconds=0.2)
        with TestClient(create_app(settings, ledger=ledger)) as client:
            yield build_api(client, ledger)
    finally:
        ledger.close()


@pytest.fixture
def api(database_url: str) -> Iterator[Api]:
    ledger = Ledger(database_url)
    try:
        with TestClient(create_app(make_settings(database_url), ledger=ledger)) as client:
            yield build_api(client, ledger)
    finally:
        ledger.close()


def all_routes(app: Any) -> list[Any]:
    """The app's routes, those of included routers too (FastAPI keeps them nested)."""
    routes = []
    for route in app.routes:
        included = getattr(route, "original_router", None)
        routes += included.routes if included is not None else [route]
    return routes
