from __future__ import annotations

from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from ledger.service.application import Ledger


def test_health_reports_storage_and_position(database_url: str) -> None:
    ledger = Ledger(database_url)
    try:
        ledger.open_project("pm@acme.test", name="W", client_org="C", team_org="A")
        with TestClient(create_app(Settings(database_url=database_url), ledger=ledger)) as client:
            response = client.get("/health")
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "ok"
        assert body["storage"] == ("sqlite" if database_url.startswith("sqlite") else "postgresql")
        assert body["position"] == 2
    finally:
        ledger.close()
