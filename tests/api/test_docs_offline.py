"""`/docs` (Swagger UI) and `/redoc` load everything from this server: the assets come from an
installed package (fastapi-offline), so the pages work with no internet and no CDN."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.api.conftest import make_settings


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    url = f"sqlite:///{tmp_path_factory.mktemp('docs') / 'accord.db'}"
    settings = make_settings(url, run_projections=False, checkpoint_seconds=0)
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.mark.parametrize(
    ("page", "script"), [("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc")]
)
def test_the_api_pages_use_only_local_assets(client: TestClient, page: str, script: str) -> None:
    html = client.get(page)
    assert html.status_code == 200
    links = re.findall(r"""(?:src|href|url)\s*[=:]\s*['"]([^'"]+)['"]""", html.text)
    assets = [link for link in links if not link.startswith("/openapi.json")]
    assert any(script in link for link in assets), links
    for link in assets:
        assert link.startswith("/"), f"{page} loads {link} from elsewhere"
        fetched = client.get(link)
        assert fetched.status_code == 200, link
        assert len(fetched.content) > 1_000, link
    assert "cdn" not in html.text.lower()
    assert "fonts.googleapis" not in html.text
    assert client.get("/openapi.json").status_code == 200


def test_the_assets_come_from_an_installed_package() -> None:
    import fastapi_offline

    static = Path(fastapi_offline.__file__).parent / "static"
    for name in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js"):
        assert (static / name).stat().st_size > 10_000
