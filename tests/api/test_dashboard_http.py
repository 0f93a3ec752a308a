"""The dashboard over plain HTTP (no browser): what reaches a page without a sign-in, the
sign-in's redirect to /authorize (PKCE S256, the Dashboard application, state and nonce), the
headers every page sends, and a form posted without this sign-in's CSRF token. Chromium drives
the same pages in tests/browser/test_dashboard_*.py."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.support.admin import csrf_of, new_admin, signed_in_client
from tests.support.api import Api
from tests.support.server import RunningServer

pytestmark = pytest.mark.sqlite_only


def test_a_page_without_a_sign_in_sends_the_browser_to_sign_in(server: RunningServer) -> None:
    response = httpx.get(f"{server.base_url}/admin/users?page=2", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/login?next=%2Fadmin%2Fusers%3Fpage%3D2"


def test_a_form_posted_without_a_sign_in_does_nothing(server: RunningServer) -> None:
    response = httpx.post(f"{server.base_url}/admin/logout", data={"csrf": "x"})
    assert response.status_code == 401
    assert "nothing was changed" in response.text


def test_sign_in_goes_to_authorize_with_pkce_as_the_dashboard(server: RunningServer) -> None:
    response = httpx.get(f"{server.base_url}/admin/login", follow_redirects=False)
    assert response.status_code == 302
    target = urlsplit(response.headers["location"])
    assert target.path == "/authorize"
    query = {k: v[0] for k, v in parse_qs(target.query).items()}
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert query["redirect_uri"] == f"{server.base_url}/admin/callback"
    assert query["state"] and query["nonce"] and query["response_type"] == "code"
    cookie = response.headers["set-cookie"]
    assert "Path=/admin" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie


def test_pages_send_a_strict_policy_and_forms_need_the_token(
    server: RunningServer, api: Api
) -> None:
    browser = signed_in_client(server, new_admin(server, api))
    page = browser.get("/admin/")
    assert page.status_code == 200
    headers = page.headers
    assert headers["content-security-policy"].startswith("default-src 'none'; script-src 'self';")
    assert headers["x-frame-options"] == "DENY" and headers["cache-control"] == "no-store"
    cookie = next(c for c in browser.cookies.jar if c.name == "selfauth_admin")
    assert cookie.path == "/admin" and cookie.has_nonstandard_attr("HttpOnly")
    # Logout without the token: refused, and the sign-in still works.
    assert browser.post("/admin/logout", data={}).status_code == 403
    assert browser.post("/admin/logout", data={"csrf": "0" * 64}).status_code == 403
    assert browser.get("/admin/").status_code == 200
    # With it: signed out, through /v2/logout.
    out = browser.post("/admin/logout", data={"csrf": csrf_of(page)}, follow_redirects=False)
    assert out.status_code == 303 and "/v2/logout?" in out.headers["location"]
    assert browser.get("/admin/", follow_redirects=False).status_code == 303


def test_an_unknown_dashboard_address_is_a_page_not_json(server: RunningServer, api: Api) -> None:
    browser = signed_in_client(server, new_admin(server, api))
    response = browser.get("/admin/no-such-page")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")


OPEN_PAGES = {"/admin/login", "/admin/callback", "/admin/signed-out", "/admin/assets/{name:path}"}


def dashboard_routes() -> list[tuple[str, str]]:
    """Every (method, path template) the dashboard serves, read from the app's routes."""
    from fastapi.routing import iter_route_contexts

    from selfauth.app import create_app
    from selfauth.config import load_settings

    app = create_app(load_settings())
    return sorted(
        (method, context.path)
        for context in iter_route_contexts(app.routes)
        if context.path and context.path.startswith("/admin")
        for method in context.methods or ()
        if method != "HEAD"
    )


def test_every_dashboard_page_and_form_needs_an_administrator(server: RunningServer) -> None:
    """Each route but the sign-in's own, asked without a sign-in: a page sends the browser to
    sign in, a form changes nothing (checked for every route, so a new page cannot forget)."""
    routes = dashboard_routes()
    assert len(routes) > 50
    with httpx.Client(base_url=server.base_url, follow_redirects=False) as http:
        for method, template in routes:
            if template in OPEN_PAGES:
                continue
            path = re.sub(r"\{[^}]+\}", "x", template)
            answer = http.request(method, path)
            if method == "GET":
                assert answer.status_code == 303, (method, template, answer.status_code)
                assert answer.headers["location"].startswith("/admin/login?next="), template
            else:
                assert answer.status_code == 401, (method, template, answer.status_code)


def test_a_sealed_cookie_holding_non_ascii_is_refused_not_a_500(server: RunningServer) -> None:
    """The waiting cookie's signature is compared as bytes (compare_digest refuses a str that
    holds non-ASCII, which a browser may send)."""
    cookie = "selfauth_admin_signin=eyJ4Ijp7fX0.\xe9\xe9".encode("latin-1")
    response = httpx.get(
        f"{server.base_url}/admin/callback?state=%C3%A9&code=x", headers={"cookie": cookie}
    )
    assert response.status_code == 400
    assert "not started in this browser" in response.text
