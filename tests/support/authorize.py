"""The browser flow as a browser without JavaScript drives it: `GET /authorize`, the login page's
form, the redirect back with a code (or an error), and the code exchange. Cookies are kept by
the caller's httpx.Client, redirects are not followed, hidden fields are read from the HTML."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.support import signin
from tests.support.api import PASSWORD, Api
from tests.support.server import RunningServer
from tests.support.signin import http, new_client

CALLBACK = "https://app.example.com/callback"
OTHER_CALLBACK = "https://app.example.com/other"
LOGOUT_URL = "https://app.example.com/signed-out"
GRANTS = ["authorization_code", "refresh_token"]


@dataclass(frozen=True)
class Client:
    """A client of the code flow; `secret` is None for a public one (PKCE required)."""

    client_id: str
    secret: str | None = None


def code_client(api: Api, app_type: str, **fields: Any) -> Client:
    """A new client of `app_type` with the code grant and the callback and logout URLs above."""
    body = {
        "app_type": app_type,
        "callbacks": [CALLBACK, OTHER_CALLBACK],
        "allowed_logout_urls": [LOGOUT_URL],
        "grant_types": GRANTS,
        **fields,
    }
    created = new_client(api, **body)
    public = created["token_endpoint_auth_method"] == "none"
    return Client(created["client_id"], None if public else created["client_secret"])


@dataclass
class Form:
    action: str
    method: str
    inputs: list[dict[str, str]] = field(default_factory=list)

    def value(self, name: str) -> str | None:
        return next((i.get("value", "") for i in self.inputs if i.get("name") == name), None)

    def names(self) -> set[str]:
        return {i["name"] for i in self.inputs if "name" in i}


class PageParser(HTMLParser):
    """The forms of a page, their inputs, and the labels' `for` targets."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.labels: set[str] = set()
        self._form: Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = Form(found.get("action", ""), found.get("method", "get").lower())
            self.forms.append(self._form)
        elif tag == "input" and self._form is not None:
            self._form.inputs.append(found)
        elif tag == "label" and "for" in found:
            self.labels.add(found["for"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None


def parse(html: str) -> PageParser:
    parser = PageParser()
    parser.feed(html)
    return parser


def form_to(response: httpx.Response, action: str) -> Form:
    forms = [f for f in parse(response.text).forms if f.action == action]
    assert len(forms) == 1, response.text
    return forms[0]


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass
class Flow:
    """One /authorize request's parameters and the PKCE verifier kept back for the exchange."""

    params: dict[str, str]
    verifier: str | None

    @property
    def state(self) -> str:
        return self.params["state"]


def flow(client: Client, connection: str | None, *, pkce: bool = True, **overrides: Any) -> Flow:
    verifier, challenge = pkce_pair()
    params: dict[str, Any] = {
        "client_id": client.client_id,
        "redirect_uri": CALLBACK,
        "response_type": "code",
        "scope": "openid profile email offline_access",
        "state": secrets.token_urlsafe(12),
        "nonce": secrets.token_urlsafe(12),
        "connection": connection,
    }
    if pkce:
        params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    params |= overrides
    return Flow({k: v for k, v in params.items() if v is not None}, verifier if pkce else None)


def authorize(browser: httpx.Client, f: Flow) -> httpx.Response:
    return browser.get("/authorize", params=f.params)


def login_page(browser: httpx.Client, f: Flow) -> httpx.Response:
    response = authorize(browser, f)
    assert response.status_code == 200, (response.status_code, response.headers, response.text)
    assert "location" not in response.headers
    return response


def post_login(
    browser: httpx.Client, page: httpx.Response, username: str, password: str = PASSWORD
) -> httpx.Response:
    form = form_to(page, "/u/login")
    return browser.post(
        "/u/login",
        data={
            "tx": form.value("tx"),
            "csrf": form.value("csrf"),
            "username": username,
            "password": password,
        },
    )


def sign_in(browser: httpx.Client, f: Flow, username: str) -> httpx.Response:
    return post_login(browser, login_page(browser, f), username)


def redirected(response: httpx.Response, to: str = CALLBACK) -> dict[str, str]:
    """The query parameters of a redirect to `to` (the response_mode=query answer)."""
    assert response.status_code in (302, 303), (response.status_code, response.text)
    location = response.headers["location"]
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == to, location
    assert not parts.fragment, location
    query = parse_qs(parts.query, keep_blank_values=True)
    assert all(len(v) == 1 for v in query.values()), location
    return {k: v[0] for k, v in query.items()}


def fragment(response: httpx.Response, to: str = CALLBACK) -> dict[str, str]:
    """The fragment parameters of a redirect to `to` (the response_mode=fragment answer)."""
    assert response.status_code in (302, 303), (response.status_code, response.text)
    location = response.headers["location"]
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == to, location
    assert not parts.query, location
    found = parse_qs(parts.fragment, keep_blank_values=True)
    assert all(len(v) == 1 for v in found.values()), location
    return {k: v[0] for k, v in found.items()}


def posted_fields(response: httpx.Response, to: str = CALLBACK) -> dict[str, str]:
    """The hidden fields of a form_post answer that posts to `to`."""
    assert response.status_code == 200, (response.status_code, response.text)
    form = form_to(response, to)
    assert form.method == "post"
    return {i["name"]: i.get("value", "") for i in form.inputs if "name" in i}


def code_from(response: httpx.Response, f: Flow) -> str:
    params = redirected(response)
    assert "error" not in params, params
    assert params["state"] == f.state
    code: str = params["code"]
    return code


def assert_redirected_error(response: httpx.Response, f: Flow, error: str | None) -> None:
    params = redirected(response)
    assert "code" not in params, params
    if error is None:
        assert params.get("error"), params
    else:
        assert params.get("error") == error, params
    assert params.get("error_description"), params
    assert params.get("state") == f.state, params


def assert_error_page(response: httpx.Response) -> None:
    """An error page for the user: never a redirect to an unverified address."""
    assert response.status_code == 400, (response.status_code, response.headers)
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert "code=" not in response.text


def exchange(server: RunningServer, client: Client, code: str, f: Flow, **fields: Any) -> Any:
    body: dict[str, Any] = {
        "grant_type": "authorization_code",
        "client_id": client.client_id,
        "code": code,
        "redirect_uri": f.params.get("redirect_uri", CALLBACK),
    }
    if f.verifier is not None:
        body["code_verifier"] = f.verifier
    if client.secret is not None:
        body["client_secret"] = client.secret
    body |= fields
    body = {k: v for k, v in body.items() if v is not None}
    return http(server.base_url).post("/oauth/token", data=body)


def assert_invalid_grant(response: httpx.Response) -> None:
    assert response.status_code == 403, response.text
    assert response.json()["error"] == "invalid_grant", response.text


def refresh(server: RunningServer, client: Client, token: str) -> httpx.Response:
    body = {"grant_type": "refresh_token", "client_id": client.client_id, "refresh_token": token}
    if client.secret is not None:
        body["client_secret"] = client.secret
    return http(server.base_url).post("/oauth/token", data=body)


def verified(server: RunningServer, token: str, audience: str) -> dict[str, Any]:
    return signin.verified(server, token, audience, algorithms=["RS256"])
