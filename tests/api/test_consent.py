"""Consent (issue 16): a third-party application (`is_first_party: false`) asking at
`/authorize` for an API's scopes the user has not granted it is answered only after the user
accepts on the consent screen; Decline answers `access_denied`. The grants are
`/api/v2/grants`. Driven as a browser without JavaScript: cookies kept, redirects not
followed, hidden fields read from the HTML. On both databases: the grant is one row per
(user, client, API), changed under its lock."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.support.api import Api, assert_error, user_path
from tests.support.authorize import (
    Client,
    Flow,
    assert_error_page,
    authorize,
    code_client,
    code_from,
    exchange,
    flow,
    form_to,
    post_login,
    redirected,
    sign_in,
    verified,
)
from tests.support.browser_client import browser_client, fresh_browser
from tests.support.server import RunningServer
from tests.support.signin import new_connection

DECLINED = "User did not authorize the request"


@dataclass(frozen=True)
class Setup:
    third_party: Client
    first_party: Client
    connection: str
    audience: str
    api_name: str


@pytest.fixture(scope="module")
def setup(api: Api) -> Setup:
    third = code_client(api, "regular_web", is_first_party=False, name="Partner Photos")
    first = code_client(api, "regular_web")
    connection = new_connection(api, third.client_id, first.client_id)["name"]
    audience = f"https://photos-{uuid.uuid4().hex[:8]}.example.com/"
    name = f"Photos API {uuid.uuid4().hex[:6]}"
    created = api.post(
        "/api/v2/resource-servers",
        {
            "identifier": audience,
            "name": name,
            "scopes": [
                {"value": "read:photos", "description": "See your photos"},
                {"value": "write:photos", "description": "Upload photos for you"},
                {"value": "delete:photos"},
            ],
        },
    )
    assert created.status_code == 201, created.text
    return Setup(third, first, connection, audience, name)


@pytest.fixture
def browser(server: RunningServer) -> httpx.Client:
    return fresh_browser(server.base_url)


@pytest.fixture
def email(api: Api, setup: Setup) -> str:
    created: str = api.create_user(connection=setup.connection)["email"]
    return created


def _flow(setup: Setup, client: Client, scopes: str, **overrides: Any) -> Flow:
    return flow(
        client,
        setup.connection,
        scope=f"openid profile {scopes}",
        audience=setup.audience,
        **overrides,
    )


def assert_consent_page(response: httpx.Response) -> None:
    assert response.status_code == 200, (response.status_code, response.headers, response.text)
    assert "location" not in response.headers
    form = form_to(response, "/u/consent")
    assert form.method == "post"
    assert form.value("tx") and form.value("csrf")


def decide(browser: httpx.Client, page: httpx.Response, decision: str) -> httpx.Response:
    form = form_to(page, "/u/consent")
    return browser.post(
        "/u/consent",
        data={"tx": form.value("tx"), "csrf": form.value("csrf"), "decision": decision},
    )


def user_id_of(api: Api, email: str) -> str:
    found = api.get("/api/v2/users-by-email", email=email).json()
    user_id: str = found[0]["user_id"]
    return user_id


def grants_of(api: Api, user_id: str, **filters: str) -> list[dict[str, Any]]:
    response = api.get("/api/v2/grants", user_id=user_id, **filters)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def test_a_third_party_client_asking_for_an_apis_scopes_shows_the_consent_screen(
    browser: httpx.Client, setup: Setup, email: str
) -> None:
    page = sign_in(browser, _flow(setup, setup.third_party, "read:photos delete:photos"), email)
    assert_consent_page(page)
    assert "Partner Photos" in page.text
    assert setup.api_name in page.text
    assert "See your photos" in page.text  # the API's description of the scope
    assert 'data-scope="delete:photos"' in page.text  # no description: the scope itself
    assert "write:photos" not in page.text  # not asked for
    assert email in page.text
    assert "form-action 'self' https://app.example.com" in page.headers["content-security-policy"]


def test_the_consent_screen_speaks_the_requests_language(
    browser: httpx.Client, setup: Setup, email: str
) -> None:
    f = _flow(setup, setup.third_party, "read:photos", ui_locales="fr")
    page = sign_in(browser, f, email)
    assert_consent_page(page)
    assert "Autoriser Partner Photos" in page.text
    assert ">Accepter<" in page.text and ">Refuser<" in page.text


def test_the_consent_screens_custom_text_wins_escaped(
    api: Api, browser: httpx.Client, setup: Setup, email: str
) -> None:
    """Auth0's `consent` prompt and screen: its text keys over the catalogue's, in the page's
    language only (Italian here, which no other test of the consent screen uses)."""
    body = {
        "consent": {
            "pageTitle": "Allow ${clientName}?",
            "title": "<i>Let ${clientName} in</i>",
            "messageSingleTenant": "${clientName} wants to see your photos",
            "acceptButtonText": "Yes, allow",
            "declineButtonText": "No thanks",
        }
    }
    put = api.http.put("/api/v2/prompts/consent/custom-text/it", json=body)
    assert put.status_code == 200, put.text
    try:
        f = _flow(setup, setup.third_party, "read:photos", ui_locales="it")
        page = sign_in(browser, f, email)
        assert_consent_page(page)
        assert "<title>Allow Partner Photos?</title>" in page.text
        assert "&lt;i&gt;Let Partner Photos in&lt;/i&gt;" in page.text
        assert "Partner Photos wants to see your photos" in page.text
        assert ">Yes, allow<" in page.text and ">No thanks<" in page.text
        assert redirected(decide(browser, page, "accept"))["code"]
        # The same screen in English (prompt=consent asks again): the catalogue's text.
        again = _flow(setup, setup.third_party, "read:photos", ui_locales="en", prompt="consent")
        english = authorize(browser, again)
        assert_consent_page(english)
        assert ">Accept<" in english.text and "Yes, allow" not in english.text
    finally:
        api.http.put("/api/v2/prompts/consent/custom-text/it", json={})


def test_a_first_party_client_is_never_asked(
    server: RunningServer, browser: httpx.Client, setup: Setup, email: str
) -> None:
    f = _flow(setup, setup.first_party, "read:photos write:photos")
    code = code_from(sign_in(browser, f, email), f)
    body = exchange(server, setup.first_party, code, f).json()
    assert "read:photos" in verified(server, body["access_token"], setup.audience)["scope"]
    again = _flow(setup, setup.first_party, "read:photos", prompt="consent")
    code_from(authorize(browser, again), again)


def test_accept_answers_the_application_and_stores_the_grant(
    server: RunningServer, api: Api, browser: httpx.Client, setup: Setup, email: str
) -> None:
    f = _flow(setup, setup.third_party, "read:photos write:photos")
    answer = decide(browser, sign_in(browser, f, email), "accept")
    code = code_from(answer, f)
    body = exchange(server, setup.third_party, code, f).json()
    claims = verified(server, body["access_token"], setup.audience)
    assert set(claims["scope"].split()) >= {"read:photos", "write:photos"}
    user_id = user_id_of(api, email)
    [grant] = grants_of(api, user_id)
    assert set(grant) == {"id", "clientID", "user_id", "audience", "scope"}
    assert grant["clientID"] == setup.third_party.client_id
    assert grant["user_id"] == user_id
    assert grant["audience"] == setup.audience
    assert grant["scope"] == ["read:photos", "write:photos"]


def test_decline_answers_access_denied_and_stores_nothing(
    api: Api, browser: httpx.Client, setup: Setup, email: str
) -> None:
    f = _flow(setup, setup.third_party, "read:photos")
    answer = redirected(decide(browser, sign_in(browser, f, email), "decline"))
    assert answer == {"error": "access_denied", "error_description": DECLINED, "state": f.state}
    assert grants_of(api, user_id_of(api, email)) == []
    # The user stays signed in: the next request shows the screen, not the login page.
    assert_consent_page(authorize(browser, _flow(setup, setup.third_party, "read:photos")))


def test_the_same_or_fewer_scopes_are_not_asked_again(
    browser: httpx.Client, setup: Setup, email: str
) -> None:
    first = _flow(setup, setup.third_party, "read:photos write:photos")
    code_from(decide(browser, sign_in(browser, first, email), "accept"), first)
    same = _flow(setup, setup.third_party, "write:photos read:photos")
    code_from(authorize(browser, same), same)
    fewer = _flow(setup, setup.third_party, "read:photos")
    code_from(authorize(browser, fewer), fewer)
    none_of_the_apis = _flow(setup, setup.third_party, "")
    code_from(authorize(browser, none_of_the_apis), none_of_the_apis)


def test_more_scopes_ask_again_for_all_of_them(
    api: Api, browser: httpx.Client, setup: Setup, email: str
) -> None:
    first = _flow(setup, setup.third_party, "read:photos")
    code_from(decide(browser, sign_in(browser, first, email), "accept"), first)
    more = _flow(setup, setup.third_party, "read:photos write:photos")
    page = authorize(browser, more)
    assert_consent_page(page)
    assert 'data-scope="read:photos"' in page.text and 'data-scope="write:photos"' in page.text
    code_from(decide(browser, page, "accept"), more)
    [grant] = grants_of(api, user_id_of(api, email))
    assert grant["scope"] == ["read:photos", "write:photos"]


def test_prompt_consent_always_asks(browser: httpx.Client, setup: Setup, email: str) -> None:
    first = _flow(setup, setup.third_party, "read:photos")
    code_from(decide(browser, sign_in(browser, first, email), "accept"), first)
    asked = _flow(setup, setup.third_party, "read:photos", prompt="consent")
    page = authorize(browser, asked)
    assert_consent_page(page)
    code_from(decide(browser, page, "accept"), asked)


def test_prompt_none_needing_consent_answers_consent_required(
    browser: httpx.Client, setup: Setup, email: str
) -> None:
    first = _flow(setup, setup.first_party, "")  # a session, through the first-party app
    code_from(sign_in(browser, first, email), first)
    silent = _flow(setup, setup.third_party, "read:photos", prompt="none")
    answer = redirected(authorize(browser, silent))
    assert answer["error"] == "consent_required", answer
    assert answer["state"] == silent.state
    asked = _flow(setup, setup.third_party, "read:photos")
    code_from(decide(browser, authorize(browser, asked), "accept"), asked)
    again = _flow(setup, setup.third_party, "read:photos", prompt="none")
    code_from(authorize(browser, again), again)


def test_a_post_without_the_pages_csrf_token_is_refused(
    api: Api, server: RunningServer, browser: httpx.Client, setup: Setup, email: str
) -> None:
    page = sign_in(browser, _flow(setup, setup.third_party, "read:photos"), email)
    form = form_to(page, "/u/consent")
    forged = browser.post(
        "/u/consent", data={"tx": form.value("tx"), "csrf": "x" * 43, "decision": "accept"}
    )
    assert_error_page(forged)
    # Another browser (no CSRF cookie, no session) posting the page's own fields.
    other = browser_client(base_url=server.base_url, timeout=30, follow_redirects=False)
    fields = {"tx": form.value("tx"), "csrf": form.value("csrf"), "decision": "accept"}
    assert_error_page(other.post("/u/consent", data=fields))
    assert grants_of(api, user_id_of(api, email)) == []


def test_the_screen_answers_only_for_the_user_it_was_shown_to(
    api: Api, browser: httpx.Client, setup: Setup, email: str
) -> None:
    page = sign_in(browser, _flow(setup, setup.third_party, "read:photos"), email)
    someone = api.create_user(connection=setup.connection)["email"]
    other = _flow(setup, setup.first_party, "", prompt="login")  # a new session, someone else's
    login = authorize(browser, other)
    code_from(post_login(browser, login, someone), other)
    assert_error_page(decide(browser, page, "accept"))
    assert grants_of(api, user_id_of(api, email)) == []
    assert grants_of(api, user_id_of(api, someone)) == []


# --- /api/v2/grants ---------------------------------------------------------------------------


def _granted(browser: httpx.Client, setup: Setup, email: str, scopes: str) -> None:
    f = _flow(setup, setup.third_party, scopes)
    code_from(decide(browser, sign_in(browser, f, email), "accept"), f)


def test_grants_are_listed_by_user_client_and_audience_with_paging(
    api: Api, browser: httpx.Client, setup: Setup, email: str
) -> None:
    _granted(browser, setup, email, "read:photos")
    user_id = user_id_of(api, email)
    assert len(grants_of(api, user_id, client_id=setup.third_party.client_id)) == 1
    assert len(grants_of(api, user_id, audience=setup.audience)) == 1
    assert grants_of(api, user_id, audience="https://other.example.com/") == []
    assert grants_of(api, user_id, client_id=setup.first_party.client_id) == []
    by_client = api.get(
        "/api/v2/grants",
        client_id=setup.third_party.client_id,
        include_totals="true",
        per_page="1",
        page="0",
    ).json()
    assert by_client["start"] == 0 and by_client["limit"] == 1
    assert by_client["total"] >= 1 and len(by_client["grants"]) == 1


def test_a_deleted_grant_brings_the_screen_back(
    api: Api, browser: httpx.Client, setup: Setup, email: str
) -> None:
    _granted(browser, setup, email, "read:photos")
    user_id = user_id_of(api, email)
    [grant] = grants_of(api, user_id)
    assert api.delete(f"/api/v2/grants/{grant['id']}").status_code == 204
    assert grants_of(api, user_id) == []
    assert_error(api.delete(f"/api/v2/grants/{grant['id']}"), 404)
    assert_consent_page(authorize(browser, _flow(setup, setup.third_party, "read:photos")))


def test_deleting_a_users_grants(api: Api, browser: httpx.Client, setup: Setup, email: str) -> None:
    _granted(browser, setup, email, "read:photos")
    user_id = user_id_of(api, email)
    assert api.http.delete("/api/v2/grants", params={"user_id": user_id}).status_code == 204
    assert grants_of(api, user_id) == []
    assert_error(api.delete("/api/v2/grants"), 400)
    assert_consent_page(authorize(browser, _flow(setup, setup.third_party, "read:photos")))


def test_the_grants_api_needs_its_scopes(api: Api) -> None:
    reader = api.with_scopes("read:grants")
    assert reader.get("/api/v2/grants").status_code == 200
    assert_error(reader.delete("/api/v2/grants/nothing"), 403)
    deleter = api.with_scopes("delete:grants")
    assert_error(deleter.get("/api/v2/grants"), 403)
    assert_error(deleter.delete("/api/v2/grants/nothing"), 404)


def test_deleting_the_user_deletes_their_grants(
    api: Api, browser: httpx.Client, setup: Setup, email: str
) -> None:
    _granted(browser, setup, email, "read:photos")
    user_id = user_id_of(api, email)
    assert len(grants_of(api, user_id)) == 1
    assert api.delete(user_path(user_id)).status_code == 204
    assert grants_of(api, user_id) == []
