"""The login screens in Chromium: sign-in, sign-up and forgot-password linked to each other, the
show-password button, the sign-up policy's rules marked as the user types, an error page's way
back and the signed-out page, with nothing refused by the pages' CSP and no script error. Each
screen is photographed in English and French into docs/screenshots (docs/authentication-api.md
shows them); the API tests (tests/api/test_login_screens.py) cover the rules without a browser."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.api import Api
from tests.support.authorize import CALLBACK, code_client
from tests.support.chromium import TIMEOUT_MS, problems_of
from tests.support.server import RunningServer
from tests.support.signin import new_connection

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
INITIATE = "https://app.example.com/login"


@dataclass(frozen=True)
class Setup:
    server: RunningServer
    client_id: str
    connection: str
    api: Api

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
    client = code_client(api, "regular_web", name="Acme Notes", initiate_login_uri=INITIATE)
    # A flexible policy, so the list has a rule of each kind the script checks.
    options = {
        "password_options": {
            "complexity": {
                "min_length": 10,
                "character_types": ["lowercase", "uppercase", "number"],
                "identical_characters": "block",
                "sequential_characters": "block",
            }
        }
    }
    connection = new_connection(api, client.client_id, **options)["name"]
    return Setup(sqlite_server, client.client_id, connection, api)


@dataclass
class Watched:
    page: Page
    problems: list[str]


def _watch(browser: Browser, locale: str) -> Iterator[Watched]:
    """A page whose test fails on any console error (a CSP refusal among them) or script error."""
    context = browser.new_context(locale=locale, viewport={"width": 520, "height": 760})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    watched = Watched(page, problems_of(page))
    yield watched
    context.close()


@pytest.fixture
def english(browser: Browser) -> Iterator[Watched]:
    yield from _watch(browser, "en-US")


@pytest.fixture
def french(browser: Browser) -> Iterator[Watched]:
    yield from _watch(browser, "fr-FR")


def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def test_the_toggle_shows_and_hides_the_password(english: Watched, setup: Setup) -> None:
    page = english.page
    page.goto(setup.authorize_url())
    field = page.locator("#password")
    toggle = page.get_by_role("button", name="Show password")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-pressed", "false")
    field.fill("S3cret-value")
    expect(field).to_have_attribute("type", "password")
    toggle.click()
    expect(field).to_have_attribute("type", "text")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(field).to_have_value("S3cret-value")
    toggle.click()
    expect(field).to_have_attribute("type", "password")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    assert english.problems == []


def test_the_policy_marks_rules_as_the_user_types(english: Watched, setup: Setup) -> None:
    page = english.page
    page.goto(setup.authorize_url(screen_hint="signup"))
    rules = page.locator("ul.policy li")
    expect(rules).to_have_count(4)
    length, types, identical, sequential = (rules.nth(i) for i in range(4))
    # Nothing typed: the length and the types are unmet; "no repeats" holds already.
    expect(length).to_have_attribute("data-state", "unmet")
    expect(types).to_have_attribute("data-state", "unmet")
    expect(identical).to_have_attribute("data-state", "met")
    field = page.locator("#signup-password")
    field.press_sequentially("abc")
    expect(sequential).to_have_attribute("data-state", "unmet")
    expect(length).to_have_attribute("data-state", "unmet")
    field.fill("")
    field.press_sequentially("Zebra-7-Lamp")  # 12 characters, three types, no runs
    for rule in (length, types, identical, sequential):
        expect(rule).to_have_attribute("data-state", "met")
    expect(length.locator(".status")).to_have_text("met")
    field.press_sequentially("aaa")
    expect(identical).to_have_attribute("data-state", "unmet")
    expect(identical.locator(".status")).to_have_text("not met")
    assert english.problems == []


def test_the_screens_link_to_each_other(english: Watched, setup: Setup) -> None:
    page = english.page
    page.goto(setup.authorize_url())
    expect(page.get_by_role("heading", name="Sign in to Acme Notes")).to_be_visible()
    page.get_by_role("link", name="Sign up").click()
    expect(page.get_by_role("heading", name="Create your account for Acme Notes")).to_be_visible()
    page.get_by_role("link", name="Sign in").click()
    expect(page.get_by_role("heading", name="Sign in to Acme Notes")).to_be_visible()
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()
    page.get_by_role("link", name="Back to sign in").click()
    expect(page.get_by_role("heading", name="Sign in to Acme Notes")).to_be_visible()
    assert english.problems == []


def test_without_javascript_the_toggle_is_absent_and_the_policy_is_text(
    browser: Browser, setup: Setup
) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(setup.authorize_url(screen_hint="signup"))
        expect(page.get_by_role("button", name="Show password")).to_have_count(0)
        expect(page.locator("ul.policy li").first).to_contain_text("at least 10 characters")
        expect(page.locator("ul.policy li[data-state]")).to_have_count(0)
    finally:
        context.close()


LANGUAGES = {
    "en": ("Sign in to Acme Notes", "Sign up", "Forgot your password?", "Signed out"),
    "fr": (
        "Connectez-vous à Acme Notes",
        "S'inscrire",
        "Mot de passe oublié\u00a0?",
        "Déconnecté",
    ),
}


def _each_screen(watched: Watched, setup: Setup, lang: str) -> None:
    page = watched.page
    heading, sign_up, forgot, signed_out = LANGUAGES[lang]
    page.goto(setup.authorize_url(ui_locales=lang))
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    shoot(page, f"login-{lang}.png")

    page.get_by_role("link", name=sign_up).click()
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("#signup-title")).to_be_visible()
    page.locator("#signup-email").fill("ada@example.com")
    page.locator("#signup-password").press_sequentially("Zebra-7")
    page.locator("button[data-password-toggle]").click()
    expect(page.locator("ul.policy li").nth(1)).to_have_attribute("data-state", "met")
    shoot(page, f"signup-{lang}.png")

    page.goto(setup.authorize_url(ui_locales=lang))
    page.get_by_role("link", name=forgot).click()
    expect(page.locator("#forgot-title")).to_be_visible()
    shoot(page, f"forgot-password-{lang}.png")

    # A sign-in link with a redirect_uri the application never registered: an error page with
    # a way back to the application's own login address.
    page.goto(setup.authorize_url(ui_locales=lang, redirect_uri="https://evil.test/cb"))
    expect(page.locator("#back-link")).to_have_attribute("href", INITIATE)
    shoot(page, f"error-{lang}.png")

    page.goto(
        f"{setup.server.base_url}/v2/logout?{urlencode({'client_id': setup.client_id})}",
    )
    expect(page.get_by_role("heading", name=signed_out)).to_be_visible()
    expect(page.locator("#back-link")).to_have_attribute("href", INITIATE)
    shoot(page, f"signed-out-{lang}.png")
    # The error page's 400 is the one console error Chromium reports: the page itself.
    assert [p for p in watched.problems if "status of 400" not in p] == []


def test_each_screen_in_english(english: Watched, setup: Setup) -> None:
    _each_screen(english, setup, "en")


def test_each_screen_in_french(french: Watched, setup: Setup) -> None:
    _each_screen(french, setup, "fr")


RESET = {
    "en": ("Change your password", "Show password"),
    "fr": ("Changez votre mot de passe", "Afficher le mot de passe"),
}


def _reset_page(watched: Watched, setup: Setup, lang: str) -> None:
    """The page a password-change link opens: a show-password button beside each field, the
    connection's rules marked as the user types, in the browser's language."""
    user = setup.api.create_user(connection=setup.connection)
    ticket = setup.api.post("/api/v2/tickets/password-change", {"user_id": user["user_id"]})
    assert ticket.status_code == 201, ticket.text
    page = watched.page
    heading, show = RESET[lang]
    page.goto(ticket.json()["ticket"])
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    toggles = page.get_by_role("button", name=show)
    expect(toggles).to_have_count(2)
    rules = page.locator("ul.policy li")
    expect(rules).to_have_count(4)
    expect(rules.first).to_have_attribute("data-state", "unmet")
    field = page.locator("#password")
    field.press_sequentially("Zebra-7-Lamp")
    for i in range(4):
        expect(rules.nth(i)).to_have_attribute("data-state", "met")
    page.locator("button[aria-controls=password]").click()
    expect(field).to_have_attribute("type", "text")
    expect(page.locator("#confirm")).to_have_attribute("type", "password")
    page.locator("#confirm").fill("Zebra-7-Lamp")
    shoot(page, f"reset-password-{lang}.png")
    page.locator("form button[type=submit]").click()
    expect(page.locator("h1")).not_to_have_text(heading)
    assert watched.problems == []


def test_the_reset_page_in_english(english: Watched, setup: Setup) -> None:
    _reset_page(english, setup, "en")


def test_the_reset_page_in_french(french: Watched, setup: Setup) -> None:
    _reset_page(french, setup, "fr")


# WCAG 2.1's contrast ratio of the colours Chromium computed for an element's text and the
# background behind it (its own, else the card's).
_CONTRAST = """
(selector) => {
  const rgb = (value) => value.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const channel = (c) => {
    c /= 255;
    return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
  };
  const luminance = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  const element = document.querySelector(selector);
  const own = getComputedStyle(element).backgroundColor;
  const transparent = own === "rgba(0, 0, 0, 0)";
  const back = transparent ? getComputedStyle(document.querySelector("main")).backgroundColor : own;
  const [high, low] = [luminance(rgb(getComputedStyle(element).color)), luminance(rgb(back))]
    .sort((a, b) => b - a);
  return (high + 0.05) / (low + 0.05);
}
"""


def test_the_default_colours_meet_wcag_aa_contrast(english: Watched, setup: Setup) -> None:
    """Every kind of text on the sign-up screen (and a sign-in error) reads at 4.5:1 or more
    with the default colours, as Chromium renders them."""
    page = english.page
    page.goto(setup.authorize_url(screen_hint="signup"))
    page.locator("#signup-password").press_sequentially("Zebra-7")
    expect(page.locator("ul.policy li[data-state=met]").first).to_be_visible()
    selectors = (
        "h1",
        "label[for=signup-email]",
        "p.note",
        "#login-link",
        "form button[type=submit]",
        "button[data-password-toggle]",
        "ul.policy li[data-state=met]",
        "ul.policy li[data-state=unmet]",
    )
    ratios = {s: page.evaluate(_CONTRAST, s) for s in selectors}
    page.goto(setup.authorize_url())
    page.locator("#username").fill("nobody@example.com")
    page.locator("#password").fill("Wr0ng!Passw0rd")
    page.locator("form button[type=submit]").click()
    expect(page.locator("#error")).to_be_visible()
    ratios["#error"] = page.evaluate(_CONTRAST, "#error")
    low = {s: round(r, 2) for s, r in ratios.items() if r < 4.5}
    assert low == {}, ratios
