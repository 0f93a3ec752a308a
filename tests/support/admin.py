"""The dashboard's administrators for tests: a user made through the Management API and given
the role with `selfauth admins add`, run as an operator runs it (on the server's database), and
a Chromium page signed in as them through the login page."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from tests.support.api import PASSWORD, Api, unique_email
from tests.support.authorize import post_login
from tests.support.browser_client import fresh_browser
from tests.support.chromium import TIMEOUT_MS, require_chromium
from tests.support.server import RunningServer, serving

SELFAUTH = Path(sys.executable).parent / "selfauth"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@dataclass(frozen=True)
class Person:
    user_id: str
    email: str
    password: str


def selfauth_cli(server: RunningServer, *args: str) -> subprocess.CompletedProcess[str]:
    """`selfauth ARGS` on the server's database, as an operator on its machine runs it."""
    env = {**os.environ, "SELFAUTH_DATABASE_URL": server.database_url}
    return subprocess.run(
        [str(SELFAUTH), *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def own_server(label: str) -> Any:
    """A module-scoped `sqlite_server` of the module's own (assign it to that name), with its
    own `api`: for dashboard pages that list every application, API or connection, which other
    modules' rows on the shared server would crowd and slow. Returns the two fixtures."""

    @pytest.fixture(scope="module")
    def sqlite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
        require_chromium()
        with serving("sqlite", tmp_path_factory.mktemp(label)) as running:
            yield running

    @pytest.fixture(scope="module")
    def api(sqlite_server: RunningServer) -> Iterator[Api]:
        made = Api(sqlite_server, sqlite_server.admin_token())
        try:
            yield made
        finally:
            made.http.close()

    return sqlite_server, api


def new_person(api: Api, label: str = "person") -> Person:
    user = api.create_user(email=unique_email(label))
    return Person(user["user_id"], user["email"], PASSWORD)


def new_admin(server: RunningServer, api: Api) -> Person:
    person = new_person(api, "admin")
    done = selfauth_cli(server, "admins", "add", person.email)
    assert done.returncode == 0, done.stderr
    return person


def sign_in(page: Page, server: RunningServer, person: Person, target: str = "/admin/") -> None:
    """Open `target`; the dashboard sends the browser to the login page; sign in there."""
    page.goto(f"{server.base_url}{target}")
    page.locator("#username").fill(person.email)
    page.locator("#password").fill(person.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server.base_url}{target.split('#')[0]}*")


def signed_in_client(server: RunningServer, person: Person) -> httpx.Client:
    """An HTTP client holding `person`'s dashboard sign-in, made through the login page as a
    browser makes it (for tests that need no rendering: headers, escaping, CSRF)."""
    browser = fresh_browser(server.base_url)
    start = browser.get("/admin/login", follow_redirects=False)
    assert start.status_code == 302, start.text
    page = browser.get(start.headers["location"])
    assert page.status_code == 200, page.text
    done = post_login(browser, page, person.email, person.password)
    assert done.status_code in (302, 303), done.text
    landed = browser.get(done.headers["location"], follow_redirects=False)
    assert landed.status_code == 303, landed.text
    assert "selfauth_admin" in browser.cookies
    return browser


def csrf_of(page: httpx.Response) -> str:
    """The CSRF token a dashboard page's forms carry."""
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None, page.text
    return found.group(1)


def admin_context(browser: Browser, **options: object) -> BrowserContext:
    created = browser.new_context(**options)  # type: ignore[arg-type]
    created.set_default_timeout(TIMEOUT_MS)
    return created


def screenshot(page: Page, name: str) -> None:
    """A picture of the page for docs/ (docs/dashboard.md shows them), made by the tests so
    they stay current."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"dashboard-{name}.png"), full_page=True)
