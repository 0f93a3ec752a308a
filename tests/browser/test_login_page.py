"""The login page in a real browser (Debian's Chromium, driven by Playwright): sign-up, sign-in,
single sign-on across two applications, logout, `prompt=none` and a wrong password.

The "application" is a small HTTP server of the test's own on 127.0.0.1 that records the query
string of every request to its callback and shows it. Chromium must be at /usr/bin/chromium
(`scripts/ensure-chromium`, run by `make test`, installs it); without it these tests fail.
They run on the SQLite server only: the page does not depend on the database backend.
"""

from __future__ import annotations

import html
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt
import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from tests.support.api import PASSWORD, Api, unique_email
from tests.support.chromium import TIMEOUT_MS
from tests.support.server import RunningServer

SCREENSHOT = Path("/tmp/selfauth-login.png")
SCOPE = "openid profile email"  # `email` so that the ID token carries the email claim
STATE = "xyz"


# --- the application: a callback that records what it is sent ------------------------------


class Application:
    """Serves `/callback` (records and shows its query) and `/logged-out` on 127.0.0.1."""

    def __init__(self) -> None:
        self.visits: list[tuple[str, dict[str, str]]] = []
        self._lock = threading.Lock()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                with recorder._lock:
                    recorder.visits.append((parts.path, query))
                if parts.path == "/callback":
                    body = f"<h1>Callback</h1><pre id='query'>{html.escape(parts.query)}</pre>"
                elif parts.path == "/logged-out":
                    body = "<h1>Logged out</h1>"
                else:
                    self.send_error(404)
                    return
                data = f"<!doctype html><title>app</title>{body}".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.callback = f"{base}/callback"
        self.logged_out = f"{base}/logged-out"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def last(self, path: str) -> dict[str, str]:
        with self._lock:
            found = [query for visited, query in self.visits if visited == path]
        assert found, f"the application never received a request to {path}: {self.visits}"
        return found[-1]

    def clear(self) -> None:
        with self._lock:
            self.visits.clear()


@dataclass(frozen=True)
class Client:
    client_id: str
    client_secret: str


@dataclass(frozen=True)
class Setup:
    server: RunningServer
    app: Application
    a: Client
    b: Client
    connection: str
    email: str  # an existing user of `connection`, with PASSWORD

    def authorize_url(self, client: Client, **extra: str) -> str:
        params = {
            "client_id": client.client_id,
            "redirect_uri": self.app.callback,
            "response_type": "code",
            "scope": SCOPE,
            "state": STATE,
            "connection": self.connection,
            **extra,
        }
        return f"{self.server.base_url}/authorize?{urlencode(params)}"

    def logout_url(self, client: Client) -> str:
        query = urlencode({"client_id": client.client_id, "returnTo": self.app.logged_out})
        return f"{self.server.base_url}/v2/logout?{query}"


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def application() -> Iterator[Application]:
    app = Application()
    yield app
    app.close()


def _new_client(api: Api, app: Application, label: str) -> Client:
    response = api.post(
        "/api/v2/clients",
        {
            "name": f"Browser App {label} {uuid.uuid4().hex[:6]}",
            "app_type": "regular_web",
            "callbacks": [app.callback],
            "allowed_logout_urls": [app.logged_out],
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return Client(body["client_id"], body["client_secret"])


@pytest.fixture(scope="module")
def setup(sqlite_server: RunningServer, api: Api, application: Application) -> Setup:
    a = _new_client(api, application, "A")
    b = _new_client(api, application, "B")
    response = api.post(
        "/api/v2/connections",
        {
            "name": f"browser-{uuid.uuid4().hex[:12]}",
            "strategy": "auth0",
            "enabled_clients": [a.client_id, b.client_id],
        },
    )
    assert response.status_code == 201, response.text
    connection = response.json()["name"]
    user = api.create_user(connection=connection)
    return Setup(sqlite_server, application, a, b, connection, user["email"])


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile (no cookies) per test."""
    created = browser.new_context()
    created.set_default_timeout(TIMEOUT_MS)
    yield created
    created.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    """A page whose test fails if the browser refused anything under a page's CSP (an inline
    style or script without the nonce, a form posting where form-action does not allow)."""
    opened = context.new_page()
    refused: list[str] = []
    opened.on(
        "console",
        lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
    )
    yield opened
    assert refused == []


# --- helpers ----------------------------------------------------------------------------------


def signup_form(page: Page) -> Locator:
    return page.locator("form").filter(has=page.get_by_role("button", name="Sign up"))


def login_form(page: Page) -> Locator:
    return page.locator("form").filter(has=page.get_by_role("button", name="Sign in"))


def wait_for_callback(page: Page, setup: Setup) -> dict[str, str]:
    page.wait_for_url(lambda url: url.startswith(setup.app.callback + "?"))
    expect(page.locator("#query")).to_contain_text("state=" + STATE)
    return setup.app.last("/callback")


def exchange(setup: Setup, client: Client, code: str) -> dict[str, Any]:
    response = httpx.post(
        f"{setup.server.base_url}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "client_id": client.client_id,
            "client_secret": client.client_secret,
            "code": code,
            "redirect_uri": setup.app.callback,
        },
        timeout=10,
    )
    assert response.status_code == 200, response.text
    claims: dict[str, Any] = jwt.decode(
        response.json()["id_token"], options={"verify_signature": False}
    )
    assert claims["iss"] == setup.server.issuer
    assert claims["aud"] == client.client_id
    return claims


def log_out(page: Page, setup: Setup, client: Client) -> None:
    page.goto(setup.logout_url(client))
    assert page.url == setup.app.logged_out
    expect(page.get_by_role("heading", name="Logged out")).to_be_visible()


# --- tests ------------------------------------------------------------------------------------


def test_signup_login_sso_logout_and_prompt_none(page: Page, setup: Setup) -> None:
    authorize_pages: list[int] = []
    page.on(
        "response",
        lambda r: authorize_pages.append(r.status) if "/authorize?" in r.url else None,
    )

    # Sign up on the sign-up screen of application A's login.
    page.goto(setup.authorize_url(setup.a))
    expect(page.get_by_role("heading", name="Sign in to Browser App A")).to_be_visible()
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    new_email = unique_email("browser")
    page.get_by_role("link", name="Sign up").click()  # the sign-up screen
    signup = signup_form(page)
    signup.get_by_label("Email", exact=True).fill(new_email)
    signup.get_by_label("Password", exact=True).fill(PASSWORD)
    signup.get_by_role("button", name="Sign up").click()
    received = wait_for_callback(page, setup)
    assert received["state"] == STATE and received["code"], received
    assert exchange(setup, setup.a, received["code"])["email"] == new_email

    # Log out, then sign in as the existing user.
    log_out(page, setup, setup.a)
    setup.app.clear()
    page.goto(setup.authorize_url(setup.a))
    form = login_form(page)
    form.get_by_label("Email", exact=True).fill(setup.email)
    form.get_by_label("Password", exact=True).fill(PASSWORD)
    form.get_by_role("button", name="Sign in").click()
    received = wait_for_callback(page, setup)
    assert received["state"] == STATE and received["code"], received
    assert exchange(setup, setup.a, received["code"])["email"] == setup.email

    # Single sign-on: application B gets a code without showing the login page.
    setup.app.clear()
    authorize_pages.clear()
    page.goto(setup.authorize_url(setup.b))
    received = wait_for_callback(page, setup)
    assert authorize_pages == [303], "the login page was shown although a session exists"
    assert received["state"] == STATE and received["code"], received
    assert exchange(setup, setup.b, received["code"])["email"] == setup.email

    # After logout, prompt=none cannot sign in silently.
    log_out(page, setup, setup.a)
    setup.app.clear()
    page.goto(setup.authorize_url(setup.a, prompt="none"))
    received = wait_for_callback(page, setup)
    assert received["error"] == "login_required", received
    assert received["state"] == STATE
    assert "code" not in received


def test_wrong_password_is_announced(page: Page, setup: Setup) -> None:
    page.goto(setup.authorize_url(setup.a))
    form = login_form(page)
    form.get_by_label("Email", exact=True).fill(setup.email)
    form.get_by_label("Password", exact=True).fill("not-the-password")
    with page.expect_response(lambda r: r.url.endswith("/u/login")) as answer:
        form.get_by_role("button", name="Sign in").click()
    assert answer.value.status == 401
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
    # The email stays filled in; the password does not.
    expect(login_form(page).get_by_label("Email", exact=True)).to_have_value(setup.email)
    expect(login_form(page).get_by_label("Password", exact=True)).to_have_value("")
    assert page.url == f"{setup.server.base_url}/u/login"
