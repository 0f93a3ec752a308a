"""The tenant's branding, custom text and Universal Login page template on the login pages,
over HTTP: colours as CSS custom properties, the logo (the application's own `logo_uri` wins),
favicon and font, with their origins in the CSP; custom text over the catalogue's in the page's
language, escaped; the page template around the page, and the page without it when the
template fails at render time; the security headers (a fresh, used CSP nonce, nosniff).

Branding is the tenant's own, so this module runs on servers of its own, one per database."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.support.api import Api
from tests.support.authorize import Client, code_client, flow, login_page
from tests.support.browser_client import browser_client
from tests.support.server import RunningServer, backends, serving
from tests.support.signin import new_connection

BRANDING = "/api/v2/branding"
TEMPLATE = "/api/v2/branding/templates/universal-login"
_NONCE = re.compile(r"style-src 'nonce-([A-Za-z0-9_-]+)'")


class Tenant:
    def __init__(self, running: RunningServer, api: Api, client: Client, connection: str) -> None:
        self.running, self.api, self.client, self.connection = running, api, client, connection


@pytest.fixture(scope="module", params=backends())
def tenant(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Tenant]:
    directory: Path = tmp_path_factory.mktemp(f"login-branding-{request.param}")
    with serving(request.param, directory) as running:
        api = Api(running, running.admin_token())
        client = code_client(api, "spa", name='Acme & "Co"')
        connection = new_connection(api, client.client_id)["name"]
        yield Tenant(running, api, client, connection)


@pytest.fixture
def browser(tenant: Tenant) -> Iterator[httpx.Client]:
    base = tenant.running.base_url
    with browser_client(base_url=base, timeout=30, follow_redirects=False) as client:
        yield client


@pytest.fixture
def clean(tenant: Tenant) -> Iterator[Api]:
    """The tenant's branding, template and custom text as this test leaves them: removed."""
    yield tenant.api
    api = tenant.api
    api.patch(BRANDING, {"colors": None, "logo_url": None, "favicon_url": None, "font": None})
    api.delete(TEMPLATE)
    for lang in ("en", "fr"):
        api.http.put(f"/api/v2/prompts/login/custom-text/{lang}", json={})
    api.http.put("/api/v2/prompts/logout/custom-text/en", json={})
    api.http.put("/api/v2/prompts/reset-password/custom-text/en", json={})
    api.patch(f"/api/v2/clients/{tenant.client.client_id}", {"logo_uri": ""})


def page(browser: httpx.Client, tenant: Tenant, **params: str) -> httpx.Response:
    return login_page(browser, flow(tenant.client, tenant.connection, **params))


def nonce_of(response: httpx.Response) -> str:
    found = _NONCE.search(response.headers["content-security-policy"])
    assert found, response.headers
    return found[1]


def test_the_default_page_has_a_used_nonce_nosniff_and_accessible_colours(
    browser: httpx.Client, tenant: Tenant
) -> None:
    response = page(browser, tenant)
    nonce = nonce_of(response)
    assert len(nonce) >= 16
    assert f'<style nonce="{nonce}">' in response.text
    assert response.headers["x-content-type-options"] == "nosniff"
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "img-src" not in policy
    assert "--primary: #1f4fd1;" in response.text
    assert "--page-background: #f4f5f7;" in response.text
    assert '<img class="logo"' not in response.text
    # A fresh nonce per page.
    assert nonce_of(page(browser, tenant)) != nonce


def test_branding_colours_logo_favicon_and_font_reach_the_page_and_its_csp(
    browser: httpx.Client, tenant: Tenant, clean: Api
) -> None:
    body = {
        "colors": {
            "primary": "#FFD500",
            "page_background": {
                "type": "linear-gradient",
                "start": "#102030",
                "end": "#405060",
                "angle_deg": 45,
            },
        },
        "logo_url": "https://cdn.example.com/logo.png?a=1&b=2",
        "favicon_url": "https://icons.example.org/favicon.ico",
        "font": {"url": "https://fonts.example.net/inter.woff2"},
    }
    assert clean.patch(BRANDING, body).status_code == 200
    response = page(browser, tenant)
    text = response.text
    assert "--primary: #ffd500;" in text
    # Yellow is too light for white text or for links on white: both adapt (WCAG AA).
    assert "--on-primary: #000000;" in text
    assert "--link: #ffd500;" not in text
    assert "--page-background: linear-gradient(45deg, #102030, #405060);" in text
    assert 'src="https://cdn.example.com/logo.png?a=1&amp;b=2"' in text
    assert 'alt="Acme &amp; &#34;Co&#34;"' in text
    assert '<link rel="icon" href="https://icons.example.org/favicon.ico">' in text
    assert 'src: url("https://fonts.example.net/inter.woff2")' in text
    policy = response.headers["content-security-policy"]
    assert "img-src https://cdn.example.com https://icons.example.org" in policy
    assert "font-src https://fonts.example.net" in policy


def test_a_font_stylesheet_is_linked_and_allowed(
    browser: httpx.Client, tenant: Tenant, clean: Api
) -> None:
    clean.patch(BRANDING, {"font": {"url": "https://fonts.example.com/css2?family=Inter"}})
    response = page(browser, tenant)
    assert '<link rel="stylesheet" href="https://fonts.example.com/css2?family=Inter">' in (
        response.text
    )
    assert "https://fonts.example.com" in response.headers["content-security-policy"]


def test_the_applications_own_logo_wins_on_its_pages(
    browser: httpx.Client, tenant: Tenant, clean: Api
) -> None:
    clean.patch(BRANDING, {"logo_url": "https://cdn.example.com/tenant.png"})
    path = f"/api/v2/clients/{tenant.client.client_id}"
    assert clean.patch(path, {"logo_uri": "https://app.example.com/app.png"}).status_code == 200
    text = page(browser, tenant).text
    assert 'src="https://app.example.com/app.png"' in text
    assert "tenant.png" not in text


def test_custom_text_wins_in_its_language_only_and_is_escaped(
    browser: httpx.Client, tenant: Tenant, clean: Api
) -> None:
    custom = {
        "login": {
            "buttonText": "<b>Entrer</b>",
            "title": "Bienvenue chez ${clientName}",
            "pageTitle": "Connexion | ${clientName}",
        }
    }
    put = clean.http.put("/api/v2/prompts/login/custom-text/fr", json=custom)
    assert put.status_code == 200, put.text
    french = page(browser, tenant, ui_locales="fr").text
    assert "&lt;b&gt;Entrer&lt;/b&gt;" in french and "<b>Entrer" not in french
    assert "Bienvenue chez Acme &amp; &#34;Co&#34;" in french
    assert "<title>Connexion | Acme &amp; &#34;Co&#34;" in french
    english = html.unescape(page(browser, tenant, ui_locales="en").text)
    assert "Entrer" not in english and "Sign in to Acme" in english


def test_custom_text_reaches_the_signed_out_page(
    browser: httpx.Client, tenant: Tenant, clean: Api
) -> None:
    body = {"logout-complete": {"title": "See you <soon>", "description": "Bye."}}
    assert clean.http.put("/api/v2/prompts/logout/custom-text/en", json=body).status_code == 200
    text = browser.get("/v2/logout", headers={"accept-language": "en"}).text
    assert "<h1>See you &lt;soon&gt;</h1>" in text and "Bye." in text


def test_the_reset_password_prompts_screens_take_auth0s_keys(
    browser: httpx.Client, tenant: Tenant, clean: Api
) -> None:
    """Auth0's key names for the reset-password prompt's screens: the forgot-password screen
    (`reset-password-request`), the page of the mailed link (`reset-password`) and what
    follows it (`reset-password-success`)."""
    body = {
        "reset-password-request": {
            "descriptionEmail": "We mail you a link.",
            "placeholderEmail": "Your address",
        },
        "reset-password": {
            "reEnterpasswordPlaceholder": "Again, please",
            "passwordSecurityText": "It must have:",
        },
        "reset-password-success": {"eventTitle": "All <set>"},
    }
    put = clean.http.put("/api/v2/prompts/reset-password/custom-text/en", json=body)
    assert put.status_code == 200, put.text
    forgot = html.unescape(page(browser, tenant, screen_hint="reset-password").text)
    assert 'id="forgot-note">We mail you a link.<' in forgot
    assert '<label for="forgot-email">Your address</label>' in forgot
    user = clean.create_user(connection=tenant.connection)
    ticket = clean.post("/api/v2/tickets/password-change", {"user_id": user["user_id"]})
    assert ticket.status_code == 201, ticket.text
    url = urlsplit(ticket.json()["ticket"])
    reset = browser.get(f"{url.path}?{url.query}")
    assert reset.status_code == 200, reset.text
    assert '<label for="confirm">Again, please</label>' in reset.text
    assert '<p class="note" id="policy-title">It must have:</p>' in reset.text
    fields = dict(
        re.findall(r'<input type="hidden" name="(ticket|csrf)" value="([^"]*)">', reset.text)
    )
    assert fields["ticket"] == parse_qs(url.query)["ticket"][0]
    password = "An0ther!Passw0rd"
    done = browser.post(
        "/u/reset-password", data={**fields, "password": password, "confirm": password}
    )
    assert done.status_code == 200, done.text
    assert "<h1>All &lt;set&gt;</h1>" in done.text


def test_the_page_template_wraps_the_page_with_its_variables(
    browser: httpx.Client, tenant: Tenant, clean: Api
) -> None:
    clean.patch(BRANDING, {"colors": {"primary": "#0059D6"}})
    template = (
        '<!DOCTYPE html><html lang="{{ locale }}"><head>{%- auth0:head -%}'
        "<style>.frame { color: red; }</style></head><body>"
        '<div id="tenant-frame" data-prompt="{{ prompt.name }}" '
        'data-screen="{{ prompt.screen.name }}" data-primary="{{ branding.colors.primary }}">'
        "{{ application.name }}</div>{%- auth0:widget -%}</body></html>"
    )
    assert clean.http.put(TEMPLATE, json={"template": template}).status_code == 201
    response = page(browser, tenant, ui_locales="fr")
    text = response.text
    nonce = nonce_of(response)
    assert text.startswith('<!DOCTYPE html><html lang="fr"><head>')
    assert (
        '<div id="tenant-frame" data-prompt="login" data-screen="login" data-primary="#0059D6">'
        "Acme &amp; &#34;Co&#34;</div>"
    ) in text
    # The page's head (its nonce'd style) and its widget (the form) are inside.
    head = text.index(f'<style nonce="{nonce}">')
    assert head < text.index("</head>") < text.index('action="/u/login"')
    assert f'<style nonce="{nonce}">.frame' in text
    assert text.count("<html") == 1 and text.count("<body") == 1


def test_a_template_failing_at_render_time_falls_back_to_the_page(
    browser: httpx.Client, tenant: Tenant, clean: Api
) -> None:
    template = (
        "<html><head>{%- auth0:head -%}</head><body><p id='tenant-frame'>"
        "{{ 10 | divided_by: 0 }}</p>{%- auth0:widget -%}</body></html>"
    )
    assert clean.http.put(TEMPLATE, json={"template": template}).status_code == 201
    response = page(browser, tenant)
    assert response.status_code == 200
    assert "tenant-frame" not in response.text
    assert 'action="/u/login"' in response.text and "<!doctype html>" in response.text
