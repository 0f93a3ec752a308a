"""The login page's language in Chromium: French asked for with `ui_locales`, German from the
browser's own language (Playwright's `locale` sends it as `Accept-Language`), and a wrong
password's error in the page's language. The API tests (tests/api/test_login_languages.py)
cover every language and the order of the choices."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.support.api import Api
from tests.support.authorize import CALLBACK, code_client
from tests.support.chromium import TIMEOUT_MS
from tests.support.server import RunningServer
from tests.support.signin import new_connection


class Setup:
    def __init__(self, server: RunningServer, client_id: str, connection: str, email: str):
        self.server, self.client_id, self.connection, self.email = (
            server,
            client_id,
            connection,
            email,
        )

    def authorize_url(self, **extra: str) -> str:
        params = {
            "client_id": self.client_id,
            "redirect_uri": CALLBACK,
            "response_type": "code",
            "scope": "openid",
            "state": "xyz",
            "connection": self.connection,
            **extra,
        }
        return f"{self.server.base_url}/authorize?{urlencode(params)}"


@pytest.fixture(scope="module")
def setup(sqlite_server: RunningServer, api: Api) -> Setup:
    client = code_client(api, "regular_web", name=f"Langues {uuid.uuid4().hex[:6]}")
    connection = new_connection(api, client.client_id)["name"]
    user = api.create_user(connection=connection)
    return Setup(sqlite_server, client.client_id, connection, user["email"])


def _watched(context: BrowserContext) -> Iterator[Page]:
    """A page whose test fails if the browser refused anything under the page's CSP."""
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    refused: list[str] = []
    page.on(
        "console",
        lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
    )
    yield page
    assert refused == []
    context.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """Chromium's default language (English)."""
    yield from _watched(browser.new_context())


@pytest.fixture
def german_page(browser: Browser) -> Iterator[Page]:
    """A browser set to German: it sends `Accept-Language: de-DE,...`."""
    yield from _watched(browser.new_context(locale="de-DE"))


def sign_in_wrongly(page: Page, setup: Setup, email: str, password: str, button: str) -> None:
    form = page.locator("form").filter(has=page.get_by_role("button", name=button, exact=True))
    form.locator("#username").fill(setup.email)
    form.get_by_label(password, exact=True).fill("not-the-password")
    with page.expect_response(lambda r: r.url.endswith("/u/login")) as answer:
        form.get_by_role("button", name=button, exact=True).click()
    assert answer.value.status == 401
    expect(form.get_by_label(email, exact=True)).to_have_value(setup.email)


def test_french_by_ui_locales(page: Page, setup: Setup) -> None:
    page.goto(setup.authorize_url(ui_locales="fr-CA fr"))
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", name="Connectez-vous à Langues")).to_be_visible()
    expect(page.get_by_role("link", name="Mot de passe oublié\u00a0?")).to_be_visible()
    sign_in_wrongly(page, setup, "Adresse e-mail", "Mot de passe", "Se connecter")
    expect(page.get_by_role("alert")).to_have_text("Adresse e-mail ou mot de passe incorrect.")
    expect(page.locator("html")).to_have_attribute("lang", "fr")


def test_german_by_the_browsers_language(german_page: Page, setup: Setup) -> None:
    page = german_page
    page.goto(setup.authorize_url())
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", name="Bei Langues")).to_be_visible()
    sign_in_wrongly(page, setup, "E-Mail-Adresse", "Passwort", "Anmelden")
    expect(page.get_by_role("alert")).to_have_text("Falsche E-Mail-Adresse oder falsches Passwort.")
    # The sign-up screen lists the password policy in German.
    page.get_by_role("link", name="Registrieren").click()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_text("Ihr Passwort braucht:")).to_be_visible()
    expect(page.get_by_text("mindestens 8 Zeichen")).to_be_visible()


def test_english_stays_the_default(page: Page, setup: Setup) -> None:
    page.goto(setup.authorize_url(ui_locales="ja"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    sign_in_wrongly(page, setup, "Email", "Password", "Sign in")
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")


def test_a_known_users_language_wins_on_the_reset_page(
    german_page: Page, setup: Setup, api: Api
) -> None:
    """The seed's language hook: `user_metadata.lang` of the user a ticket names beats the
    browser's own language."""
    user = api.create_user(user_metadata={"lang": "it"})
    ticket = api.post("/api/v2/tickets/password-change", {"user_id": user["user_id"]})
    assert ticket.status_code == 201, ticket.text
    page = german_page
    page.goto(ticket.json()["ticket"])
    expect(page.locator("html")).to_have_attribute("lang", "it")
    expect(page.get_by_role("heading", name="Cambia la tua password")).to_be_visible()


def test_an_error_page_follows_the_browsers_language(german_page: Page, setup: Setup) -> None:
    """A sign-in link the application cannot be answered through (a redirect_uri it never
    registered): the error page, in the browser's language without ui_locales."""
    german_page.goto(setup.authorize_url(redirect_uri="https://evil.test/cb"))
    expect(german_page.locator("html")).to_have_attribute("lang", "de")
    heading = german_page.get_by_role("heading", name="Mit diesem Anmeldelink stimmt etwas nicht")
    expect(heading).to_be_visible()
