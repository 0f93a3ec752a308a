"""The consent screen in Chromium: a third-party application asks for an API's scopes, the
user signs in, reads them and clicks Accept, and the application gets its code; nothing is
refused by the page's CSP and no script fails. Photographed in English and French into
docs/screenshots (docs/authentication-api.md shows them); tests/api/test_consent.py covers
the rules without a browser."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from tests.support.api import PASSWORD, Api
from tests.support.authorize import CALLBACK, code_client
from tests.support.chromium import TIMEOUT_MS, problems_of
from tests.support.server import RunningServer
from tests.support.signin import new_connection

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@dataclass(frozen=True)
class Setup:
    server: RunningServer
    client_id: str
    connection: str
    audience: str

    def authorize_url(self, **extra: str) -> str:
        params = {
            "client_id": self.client_id,
            "redirect_uri": CALLBACK,
            "response_type": "code",
            "scope": "openid profile read:notes write:notes",
            "audience": self.audience,
            "state": "xyz",
            "connection": self.connection,
            **extra,
        }
        return f"{self.server.base_url}/authorize?{urlencode(params)}"


@pytest.fixture(scope="module")
def setup(sqlite_server: RunningServer, api: Api) -> Setup:
    client = code_client(api, "regular_web", name="Acme Notes Partner", is_first_party=False)
    connection = new_connection(api, client.client_id)["name"]
    audience = f"https://notes-{uuid.uuid4().hex[:8]}.example.com/"
    created = api.post(
        "/api/v2/resource-servers",
        {
            "identifier": audience,
            "name": "Acme Notes API",
            "scopes": [
                {"value": "read:notes", "description": "Read your notes"},
                {"value": "write:notes", "description": "Write notes for you"},
            ],
        },
    )
    assert created.status_code == 201, created.text
    return Setup(sqlite_server, client.client_id, connection, audience)


def _application(route: Route) -> None:
    route.fulfill(status=200, content_type="text/html", body="<!doctype html><title>app</title>")


@pytest.fixture
def page(browser: Browser) -> Iterator[tuple[Page, list[str]]]:
    context = browser.new_context(viewport={"width": 520, "height": 760})
    context.set_default_timeout(TIMEOUT_MS)
    context.route("https://app.example.com/**", _application)
    opened = context.new_page()
    yield opened, problems_of(opened)
    context.close()


TEXTS = {
    "en": ("Authorize Acme Notes Partner", "Accept"),
    "fr": ("Autoriser Acme Notes Partner", "Accepter"),
}


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_accept_on_the_consent_screen_answers_the_application(
    page: tuple[Page, list[str]], setup: Setup, api: Api, lang: str
) -> None:
    opened, problems = page
    heading, accept = TEXTS[lang]
    user = api.create_user(connection=setup.connection)
    opened.goto(setup.authorize_url(ui_locales=lang))
    opened.locator("#username").fill(user["email"])
    opened.locator("#password").fill(PASSWORD)
    opened.locator("form button[type=submit]").click()
    expect(opened.get_by_role("heading", name=heading)).to_be_visible()
    expect(opened.locator("html")).to_have_attribute("lang", lang)
    expect(opened.locator("#consent-scopes li")).to_have_count(2)
    expect(opened.locator("#consent-scopes")).to_contain_text("Read your notes")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    opened.screenshot(path=str(SCREENSHOTS / f"consent-{lang}.png"), full_page=True)
    opened.get_by_role("button", name=accept, exact=True).click()
    opened.wait_for_url(lambda url: url.startswith(CALLBACK + "?"))
    answer = {k: v[0] for k, v in parse_qs(urlsplit(opened.url).query).items()}
    assert answer.get("code") and answer["state"] == "xyz", answer
    [grant] = api.get("/api/v2/grants", user_id=user["user_id"]).json()
    assert grant["scope"] == ["read:notes", "write:notes"]
    assert problems == []
