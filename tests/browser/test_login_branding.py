"""The tenant's branding, custom text and page template in Chromium: the primary colour on the
submit button, the logo loaded, the page template's own markup around the widget, and markup
slipped in through custom text, a branding value and an application's name shown as text,
never run (no dialog opens).

Branding is the tenant's own: this module runs on a SQLite server of its own."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Browser, Dialog, Page, Route

from tests.support.api import Api
from tests.support.authorize import CALLBACK, code_client
from tests.support.chromium import TIMEOUT_MS
from tests.support.server import RunningServer, serving
from tests.support.signin import new_connection

# A 1x1 PNG, answered for the logo's https address (Chromium has no network here).
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
LOGO = "https://cdn.example.com/logo.png"
APP_LOGO = "https://apps.example.com/acme.png"
NAME = 'Acme" onmouseover="alert(1)'
TEMPLATE = "/api/v2/branding/templates/universal-login"


class Tenant:
    def __init__(self, running: RunningServer, api: Api, client_id: str, connection: str) -> None:
        self.running, self.api, self.client_id, self.connection = (
            running,
            api,
            client_id,
            connection,
        )

    def login_url(self, **extra: str) -> str:
        params = {
            "client_id": self.client_id,
            "redirect_uri": CALLBACK,
            "response_type": "code",
            "scope": "openid",
            "state": "s",
            "connection": self.connection,
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256",
            **extra,
        }
        return f"{self.running.base_url}/authorize?{urlencode(params)}"


@pytest.fixture(scope="module")
def tenant(
    sqlite_server: RunningServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Tenant]:
    with serving("sqlite", tmp_path_factory.mktemp("browser-branding")) as running:
        api = Api(running, running.admin_token())
        client = code_client(api, "spa", name=NAME)
        connection = new_connection(api, client.client_id)["name"]
        yield Tenant(running, api, client.client_id, connection)


@pytest.fixture
def page(browser: Browser, tenant: Tenant) -> Iterator[Page]:
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    created = context.new_page()
    dialogs: list[Dialog] = []
    created.on("dialog", lambda dialog: (dialogs.append(dialog), dialog.dismiss()))

    def logo(route: Route) -> None:
        route.fulfill(status=200, content_type="image/png", body=PNG)

    created.route(LOGO, logo)
    created.route(APP_LOGO, logo)
    yield created
    assert not dialogs, [d.message for d in dialogs]  # nothing the tenant typed ran
    context.close()
    api = tenant.api
    api.patch("/api/v2/branding", {"colors": None, "logo_url": None})
    api.delete(TEMPLATE)
    for lang in ("en", "fr"):
        api.http.put(f"/api/v2/prompts/login/custom-text/{lang}", json={})
    api.patch(f"/api/v2/clients/{tenant.client_id}", {"logo_uri": ""})


def test_the_primary_colour_and_the_logo_are_applied(page: Page, tenant: Tenant) -> None:
    tenant.api.patch("/api/v2/branding", {"colors": {"primary": "#B00B1E"}, "logo_url": LOGO})
    page.goto(tenant.login_url())
    button = page.locator("form button[type=submit]").first
    colour = button.evaluate("b => getComputedStyle(b).backgroundColor")
    assert colour == "rgb(176, 11, 30)"
    assert button.evaluate("b => getComputedStyle(b).color") == "rgb(255, 255, 255)"
    logo = page.locator("img#logo")
    assert logo.get_attribute("alt") == NAME
    page.wait_for_function("() => document.getElementById('logo').complete")
    assert logo.evaluate("img => img.naturalWidth") == 1


def test_the_page_template_wraps_the_widget(page: Page, tenant: Tenant) -> None:
    template = (
        "<!DOCTYPE html><html><head>{%- auth0:head -%}</head><body>"
        '<header id="tenant-header">{{ application.name }} · {{ prompt.name }}</header>'
        '<section id="tenant-box">{%- auth0:widget -%}</section></body></html>'
    )
    assert tenant.api.http.put(TEMPLATE, json={"template": template}).status_code == 201
    page.goto(tenant.login_url())
    assert page.locator("#tenant-header").inner_text() == f"{NAME} · login"
    assert page.locator("#tenant-box main form input[name=password]").count() == 1
    page.fill("#username", "someone@example.com")  # the form works inside the template


def test_markup_in_custom_text_branding_and_names_stays_inert(page: Page, tenant: Tenant) -> None:
    attack = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    body = {"login": {"buttonText": attack, "title": "Hi ${clientName} " + attack}}
    assert tenant.api.http.put("/api/v2/prompts/login/custom-text/en", json=body).status_code == 200
    # A logo address with markup in its query: the page leaves it out rather than risk it.
    tenant.api.patch("/api/v2/branding", {"logo_url": LOGO + '?"><script>alert(3)</script>'})
    page.goto(tenant.login_url(ui_locales="en"))
    assert page.locator("form button[type=submit]").first.inner_text() == attack
    assert page.locator("h1").inner_text() == f"Hi {NAME} {attack}"
    assert page.locator("script:not([nonce])").count() == 0
    assert page.locator("img[src=x]").count() == 0
    page.locator("h1").hover()
    # A handler that did run has opened its dialog once the page's tasks ran.
    page.evaluate("() => new Promise(resolve => setTimeout(resolve, 0))")


def test_the_page_background_and_the_applications_own_logo(page: Page, tenant: Tenant) -> None:
    gradient = {"type": "linear-gradient", "start": "#FCE4EC", "end": "#E3F2FD", "angle_deg": 90}
    branding = {"colors": {"page_background": gradient}, "logo_url": LOGO}
    assert tenant.api.patch("/api/v2/branding", branding).status_code == 200
    page.goto(tenant.login_url())
    background = page.evaluate("() => getComputedStyle(document.body).backgroundImage")
    assert background == "linear-gradient(90deg, rgb(252, 228, 236), rgb(227, 242, 253))"
    assert page.locator("img#logo").get_attribute("src") == LOGO
    # The application's logo_uri wins over the tenant's logo on its pages.
    client = f"/api/v2/clients/{tenant.client_id}"
    assert tenant.api.patch(client, {"logo_uri": APP_LOGO}).status_code == 200
    page.goto(tenant.login_url())
    assert page.locator("img#logo").get_attribute("src") == APP_LOGO
    page.wait_for_function("() => document.getElementById('logo').complete")
    assert page.locator("img#logo").evaluate("img => img.naturalWidth") == 1
    flat = {"colors": {"page_background": "#102030"}}
    assert tenant.api.patch("/api/v2/branding", flat).status_code == 200
    page.goto(tenant.login_url())
    colour = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert colour == "rgb(16, 32, 48)"


def test_custom_text_is_shown_in_its_language(page: Page, tenant: Tenant) -> None:
    body = {"login": {"title": "Bon retour chez ${clientName}", "buttonText": "Entrer"}}
    put = tenant.api.http.put("/api/v2/prompts/login/custom-text/fr", json=body)
    assert put.status_code == 200, put.text
    page.goto(tenant.login_url(ui_locales="fr"))
    assert page.locator("h1").inner_text() == f"Bon retour chez {NAME}"
    assert page.locator("form button[type=submit]").first.inner_text() == "Entrer"
    assert page.locator("label[for=password]").inner_text() == "Mot de passe"  # the catalogue's
    page.goto(tenant.login_url(ui_locales="en"))
    assert page.locator("form button[type=submit]").first.inner_text() == "Sign in"


def test_a_template_auth0_would_refuse_is_refused_and_the_page_keeps_the_last_one(
    page: Page, tenant: Tenant
) -> None:
    kept = (
        "<!DOCTYPE html><html><head>{%- auth0:head -%}</head><body>"
        '<p id="tenant-note">kept</p>{%- auth0:widget -%}</body></html>'
    )
    assert tenant.api.http.put(TEMPLATE, json={"template": kept}).status_code == 201
    without_widget = "<html><head>{%- auth0:head -%}</head><body>no widget</body></html>"
    unparsable = (
        "<html><head>{%- auth0:head -%}</head><body>{% if application.name %}"
        '<p id="tenant-note">broken</p>{%- auth0:widget -%}</body></html>'
    )
    for refused in (without_widget, unparsable):
        answer = tenant.api.http.put(TEMPLATE, json={"template": refused})
        assert answer.status_code == 400, answer.text
        assert answer.json()["errorCode"] == "invalid_body"
    page.goto(tenant.login_url())
    assert page.locator("#tenant-note").inner_text() == "kept"
    assert page.locator("form input[name=password]").count() == 1
