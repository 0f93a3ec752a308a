"""The login pages in English, Spanish, French, German, Italian and Portuguese, over HTTP: the
language comes from `ui_locales`, then `Accept-Language` (quality values honoured), then the
tenant's default (English); on the reset and verification pages the user's
`user_metadata.lang` wins. The language lasts through the form's round trip, errors included."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.api import PASSWORD, Api, unique_email
from tests.support.authorize import (
    Client,
    code_client,
    flow,
    form_to,
    login_page,
    post_login,
)
from tests.support.browser_client import browser_client
from tests.support.server import RunningServer
from tests.support.signin import new_connection

pytestmark = pytest.mark.sqlite_only

# What each language's sign-in screen says: heading start, the forgot-password link, the
# sign-up link; the sign-up screen's policy heading; and a wrong password's error.
PAGES = {
    "en": (
        "Sign in to",
        "Forgot your password?",
        "Sign up",
        "Your password needs:",
        "Wrong email or password.",
    ),
    "es": (
        "Inicia sesión en",
        "¿Has olvidado tu contraseña?",
        "Registrarse",
        "Tu contraseña necesita:",
        "Correo electrónico o contraseña incorrectos.",
    ),
    "fr": (
        "Connectez-vous à",
        "Mot de passe oublié\u00a0?",
        "S'inscrire",
        "Votre mot de passe doit comporter\u00a0:",
        "Adresse e-mail ou mot de passe incorrect.",
    ),
    "de": (
        "Bei ",
        "Passwort vergessen?",
        "Registrieren",
        "Ihr Passwort braucht:",
        "Falsche E-Mail-Adresse oder falsches Passwort.",
    ),
    "it": (
        "Accedi a",
        "Password dimenticata?",
        "Registrati",
        "La tua password deve avere:",
        "Email o password errata.",
    ),
    "pt": (
        "Inicie sessão em",
        "Esqueceu-se da palavra-passe?",
        "Registar-se",
        "A sua palavra-passe precisa de:",
        "E-mail ou palavra-passe incorretos.",
    ),
}
_LANG = re.compile(r'<html lang="([^"]*)">')
_HIDDEN = re.compile(r'<input type="hidden" name="(ticket|csrf)" value="([^"]*)">')


class Setup:
    def __init__(self, client: Client, connection: str, email: str) -> None:
        self.client, self.connection, self.email = client, connection, email


@pytest.fixture(scope="module")
def setup(api: Api) -> Setup:
    client = code_client(api, "spa")
    connection = new_connection(api, client.client_id)["name"]
    user = api.create_user(connection=connection)
    return Setup(client, connection, user["email"])


@pytest.fixture
def browser(server: RunningServer) -> Iterator[httpx.Client]:
    with browser_client(base_url=server.base_url, timeout=30, follow_redirects=False) as client:
        yield client


def text(response: httpx.Response) -> str:
    return html.unescape(response.text)


def lang_of(response: httpx.Response) -> str:
    found = _LANG.search(response.text)
    assert found, response.text
    return found[1]


def assert_page_in(response: httpx.Response, lang: str) -> None:
    heading, forgot, sign_up, _, _ = PAGES[lang]
    page = text(response)
    assert lang_of(response) == lang
    assert f'<h1 id="signin-title">{heading}' in page, page
    for expected in (forgot, sign_up):
        assert expected in page, (expected, page)
    assert "Project-Id-Version" not in page  # gettext("") is the catalogue's header


@pytest.mark.parametrize("lang", sorted(PAGES))
def test_the_sign_up_screen_lists_the_policy_in_the_language(
    browser: httpx.Client, setup: Setup, lang: str
) -> None:
    f = flow(setup.client, setup.connection, ui_locales=lang, screen_hint="signup")
    page = text(login_page(browser, f))
    assert PAGES[lang][3] in page, page
    assert "at least 8 characters" not in page or lang == "en", page
    assert "Project-Id-Version" not in page


@pytest.mark.parametrize("lang", sorted(PAGES))
def test_ui_locales_chooses_the_language_and_lasts_through_the_form(
    browser: httpx.Client, setup: Setup, lang: str
) -> None:
    # The first supported tag wins; unknown ones before it are skipped.
    f = flow(setup.client, setup.connection, ui_locales=f"ja-JP {lang} en")
    page = login_page(browser, f)
    assert_page_in(page, lang)
    # The wrong password's page comes back in the same language (ui_locales is in the sealed
    # transaction; this client sends no Accept-Language).
    answer = post_login(browser, page, setup.email, "Wr0ng!Passw0rd")
    assert answer.status_code == 401
    assert_page_in(answer, lang)
    assert PAGES[lang][4] in text(answer)
    assert text(answer).count('role="alert"') == 1, text(answer)  # the sign-up form has none


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("es", "es"),
        ("fr-CA,fr;q=0.9,en;q=0.8", "fr"),
        ("en;q=0.4, de-CH;q=0.9, fr;q=0.7", "de"),
        ("it-IT", "it"),
        ("pt-BR,pt;q=0.9", "pt"),
        ("ja, es;q=0.1, it;q=0", "es"),  # q=0 means "not this one"
        ("de;q=0.5, en", "en"),
    ],
)
def test_accept_language_chooses_by_quality(
    browser: httpx.Client, setup: Setup, header: str, lang: str
) -> None:
    page = browser.get(
        "/authorize",
        params=flow(setup.client, setup.connection).params,
        headers={"Accept-Language": header},
    )
    assert page.status_code == 200
    assert_page_in(page, lang)


def test_ui_locales_wins_over_accept_language(browser: httpx.Client, setup: Setup) -> None:
    f = flow(setup.client, setup.connection, ui_locales="it")
    page = browser.get("/authorize", params=f.params, headers={"Accept-Language": "de"})
    assert_page_in(page, "it")


def test_unknown_languages_fall_back_to_english(browser: httpx.Client, setup: Setup) -> None:
    plain = login_page(browser, flow(setup.client, setup.connection))
    f = flow(setup.client, setup.connection, ui_locales="ja zh-Hant")
    odd = browser.get("/authorize", params=f.params, headers={"Accept-Language": "ko, *;q=0.5"})
    broken = browser.get(
        "/authorize",
        params=flow(setup.client, setup.connection, ui_locales="<script>").params,
        headers={"Accept-Language": ";;q=x,,"},
    )
    for page in (plain, odd, broken):
        assert page.status_code == 200
        assert_page_in(page, "en")
    assert "Email or username" not in text(plain)  # the connection needs no username


def test_the_logout_page_follows_accept_language(browser: httpx.Client) -> None:
    page = browser.get("/v2/logout", headers={"Accept-Language": "pt-PT"})
    assert page.status_code == 200
    assert lang_of(page) == "pt"
    assert "A sua sessão foi terminada." in text(page)
    english = browser.get("/v2/logout")
    assert lang_of(english) == "en" and "You are signed out." in english.text


def test_an_error_page_follows_the_browsers_language(browser: httpx.Client, setup: Setup) -> None:
    """A request that cannot be answered to the application (a redirect_uri it never
    registered) gets its error page in `ui_locales`, else the browser's language."""
    bad = flow(setup.client, setup.connection, redirect_uri="https://evil.test/cb")
    page = browser.get("/authorize", params=bad.params, headers={"Accept-Language": "fr-FR"})
    assert page.status_code == 400
    assert lang_of(page) == "fr"
    assert "Ce lien de connexion présente un problème" in text(page)
    asked = {**bad.params, "ui_locales": "de"}
    page = browser.get("/authorize", params=asked, headers={"Accept-Language": "fr"})
    assert lang_of(page) == "de"
    assert "Mit diesem Anmeldelink stimmt etwas nicht" in text(page)


def test_a_form_post_answer_follows_the_browsers_language(
    browser: httpx.Client, setup: Setup
) -> None:
    f = flow(setup.client, setup.connection, response_mode="form_post")
    french = {"Accept-Language": "fr"}
    page = browser.get("/authorize", params=f.params, headers=french)
    assert_page_in(page, "fr")
    form = form_to(page, "/u/login")
    answer = browser.post(
        "/u/login",
        data={
            "tx": form.value("tx"),
            "csrf": form.value("csrf"),
            "username": setup.email,
            "password": PASSWORD,
        },
        headers=french,
    )
    assert answer.status_code == 200, answer.text
    assert lang_of(answer) == "fr"
    assert "<h1>Connexion en cours</h1>" in text(answer)


def test_a_sign_up_error_is_translated(browser: httpx.Client, setup: Setup) -> None:
    f = flow(setup.client, setup.connection, ui_locales="de", screen_hint="signup")
    page = login_page(browser, f)
    form = {
        name: value
        for name, value in re.findall(r'name="(tx|csrf)" value="([^"]*)"', page.text)[:2]
    }
    weak = browser.post("/u/signup", data={**form, "email": unique_email("de"), "password": "x"})
    assert weak.status_code == 400
    assert lang_of(weak) == "de"
    assert "Das Passwort ist zu schwach (mindestens 8 Zeichen; 3 davon:" in text(weak), weak.text


def _reset_ticket(api: Api, **user_fields: Any) -> str:
    user = api.create_user(**user_fields)
    response = api.post("/api/v2/tickets/password-change", {"user_id": user["user_id"]})
    assert response.status_code == 201, response.text
    url: str = response.json()["ticket"]
    return url


def test_the_reset_page_speaks_the_users_language(
    server: RunningServer, api: Api, browser: httpx.Client
) -> None:
    url = _reset_ticket(api, user_metadata={"lang": "it", "theme": "dark"})
    # The user's language wins over the browser's.
    page = browser.get(url, headers={"Accept-Language": "fr"})
    assert page.status_code == 200, page.text
    assert lang_of(page) == "it"
    assert '<h1 id="reset-title">Cambia la tua password</h1>' in text(page)
    # The policy as a list the page's script marks as the user types, and a show-password
    # button for each field (hidden until the script shows it).
    assert "La tua password deve avere:" in text(page)
    assert re.search(r'<li data-rule="length" data-value="\d+">almeno \d+ caratteri<', page.text)
    assert text(page).count('aria-pressed="false" hidden>Mostra password</button>') == 2
    assert '<script nonce="' in page.text and 'src="/u/assets/screens.js"' in page.text
    fields = dict(_HIDDEN.findall(page.text))
    mismatch = browser.post(
        "/u/reset-password",
        data={**fields, "password": "An0ther!Passw0rd", "confirm": "Other!Passw0rd1"},
        headers={"Accept-Language": "fr"},
    )
    assert mismatch.status_code == 400
    assert lang_of(mismatch) == "it"
    assert "Le password non corrispondono." in text(mismatch)
    done = browser.post(
        "/u/reset-password",
        data={**fields, "password": "An0ther!Passw0rd", "confirm": "An0ther!Passw0rd"},
    )
    assert done.status_code == 200, done.text
    assert "La password è stata modificata correttamente." in text(done)
    # The spent link's page: the ticket no longer names a user, so the browser's language.
    again = browser.get(url, headers={"Accept-Language": "es"})
    assert again.status_code == 400
    assert lang_of(again) == "es" and "Este enlace ha caducado" in text(again)


@pytest.mark.parametrize(
    ("lang", "header", "expected"),
    [
        ("pt-BR", None, "pt"),
        ("de_DE", "fr", "de"),
        ("xx", "fr;q=0.8", "fr"),  # an unsupported language: the browser's, then English
        (None, None, "en"),
    ],
)
def test_the_reset_page_language_order(
    api: Api, browser: httpx.Client, lang: str | None, header: str | None, expected: str
) -> None:
    metadata = {} if lang is None else {"lang": lang}
    url = _reset_ticket(api, user_metadata=metadata)
    page = browser.get(url, headers={} if header is None else {"Accept-Language": header})
    assert page.status_code == 200, page.text
    assert lang_of(page) == expected


def test_the_verification_page_speaks_the_users_language(api: Api, browser: httpx.Client) -> None:
    user = api.create_user(user_metadata={"lang": "es"})
    response = api.post("/api/v2/tickets/email-verification", {"user_id": user["user_id"]})
    assert response.status_code == 201, response.text
    page = browser.get(response.json()["ticket"])
    assert page.status_code == 200
    assert lang_of(page) == "es"
    assert "Verificar mi correo electrónico" in text(page)
