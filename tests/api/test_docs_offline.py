"""`/docs` works offline: Swagger UI's files come from selfauth itself, never from a CDN."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.support.server import RunningServer

pytestmark = pytest.mark.sqlite_only

URL_IN_PAGE = re.compile(r"""(?:src|href|url)\s*[=:]\s*["']([^"']+)["']""")


def docs_page(server: RunningServer) -> httpx.Response:
    response = httpx.get(f"{server.base_url}/docs", timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    return response


def test_docs_page_names_no_url_outside_selfauth(server: RunningServer) -> None:
    page = docs_page(server).text
    assert not re.search(r"https?://", page), page
    assert "//" not in " ".join(URL_IN_PAGE.findall(page))
    assert len(URL_IN_PAGE.findall(page)) >= 4  # the script, the style sheet, icon, openapi


def test_docs_page_has_a_csp_allowing_only_selfauth_and_its_own_inline_script(
    server: RunningServer,
) -> None:
    response = docs_page(server)
    policy = response.headers["content-security-policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy)
    assert nonce is not None
    assert "default-src 'none'" in policy
    assert "script-src 'self' 'nonce-" in policy
    assert "frame-ancestors 'none'" in policy
    assert f'<script nonce="{nonce.group(1)}">' in response.text
    assert docs_page(server).headers["content-security-policy"] != policy  # fresh nonce


@pytest.mark.parametrize(
    ("kind", "media_type"),
    [
        ("script", "text/javascript"),
        ("stylesheet", "text/css"),
        ("shortcut icon", "image/png"),
    ],
)
def test_docs_assets_are_served_by_selfauth_with_their_types(
    server: RunningServer, kind: str, media_type: str
) -> None:
    page = docs_page(server).text
    if kind == "script":
        urls = re.findall(r'<script src="([^"]+)"', page)
    else:
        urls = re.findall(rf'rel="{kind}" href="([^"]+)"', page)
    assert len(urls) == 1, page
    assert urls[0].startswith("/docs/assets/")
    response = httpx.get(f"{server.base_url}{urls[0]}", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type
    assert response.headers["x-content-type-options"] == "nosniff"
    assert len(response.content) > 100


def test_openapi_document_named_by_the_page_answers(server: RunningServer) -> None:
    assert "url: '/openapi.json'" in docs_page(server).text
    response = httpx.get(f"{server.base_url}/openapi.json", timeout=10)
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "selfauth"


@pytest.mark.parametrize(
    "name", ["swagger-ui.js.map", "index.html", "..%2Fswagger-ui.css", "%2E%2E%2F__init__.py"]
)
def test_only_the_pages_own_assets_are_served(server: RunningServer, name: str) -> None:
    assert httpx.get(f"{server.base_url}/docs/assets/{name}", timeout=10).status_code == 404
