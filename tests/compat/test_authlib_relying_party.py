"""An independent relying party: Authlib's OAuth2 client runs the authorization-code flow with
PKCE (S256) against the endpoints our discovery document names, and validates the ID tokens
with `authlib.jose` against our JWKS, as an application built on Authlib would.

These check what a client library sees on the wire; the api and storage tests cover each
database: this module runs on SQLite."""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.deprecate import AuthlibDeprecationWarning

# Authlib 1.9 marks `authlib.jose` and its httpx integration deprecated (for joserfc and
# httpx2); both are still what most applications built on Authlib run today.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import OAuth2Client
    from authlib.jose import JsonWebKey, JsonWebToken
    from authlib.jose.errors import InvalidClaimError

from tests.support.api import PASSWORD, Api
from tests.support.browser_client import browser_client
from tests.support.server import RunningServer

pytestmark = pytest.mark.sqlite_only

CALLBACK = "https://rp.example.com/callback"
SCOPE = "openid profile email offline_access"


@dataclass(frozen=True)
class RelyingParty:
    client_id: str
    connection: str


@pytest.fixture(scope="module")
def relying_party(api: Api) -> RelyingParty:
    client = api.post(
        "/api/v2/clients",
        {
            "name": f"authlib {uuid.uuid4().hex[:8]}",
            "app_type": "spa",
            "callbacks": [CALLBACK],
            "grant_types": ["authorization_code", "refresh_token"],
        },
    )
    assert client.status_code == 201, client.text
    client_id: str = client.json()["client_id"]
    connection = api.post(
        "/api/v2/connections",
        {
            "name": f"authlib-{uuid.uuid4().hex[:12]}",
            "strategy": "auth0",
            "enabled_clients": [client_id],
        },
    )
    assert connection.status_code == 201, connection.text
    return RelyingParty(client_id, connection.json()["name"])


@pytest.fixture(scope="module")
def discovery(server: RunningServer) -> dict[str, Any]:
    response = httpx.get(f"{server.base_url}/.well-known/openid-configuration", timeout=10)
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


@pytest.fixture
def oauth(relying_party: RelyingParty) -> Iterator[OAuth2Client]:
    with OAuth2Client(
        client_id=relying_party.client_id,
        token_endpoint_auth_method="none",
        scope=SCOPE,
        redirect_uri=CALLBACK,
        code_challenge_method="S256",
        timeout=30,
    ) as client:
        yield client


class HiddenFields(HTMLParser):
    """The hidden inputs of the form that posts to `action`."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action = action
        self.fields: dict[str, str] = {}
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._inside = found.get("action") == self.action
        elif tag == "input" and self._inside and found.get("type") == "hidden":
            self.fields[found["name"]] = found.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._inside = False


def be_the_browser(authorization_url: str, email: str) -> str:
    """Follows the authorization URL through the login page; the callback URL it ends at."""
    with browser_client(follow_redirects=False, timeout=30) as browser:
        page = browser.get(authorization_url)
        assert page.status_code == 200, page.text
        parser = HiddenFields("/u/login")
        parser.feed(page.text)
        assert {"tx", "csrf"} <= set(parser.fields), page.text
        login = urlsplit(authorization_url)._replace(path="/u/login", query="").geturl()
        answer = browser.post(
            login, data={**parser.fields, "username": email, "password": PASSWORD}
        )
        assert answer.status_code in (302, 303), answer.text
        location: str = answer.headers["location"]
        assert location.startswith(CALLBACK + "?"), location
        return location


def validated(
    id_token: str, discovery: dict[str, Any], client_id: str, nonce: str | None
) -> dict[str, Any]:
    jwks = httpx.get(discovery["jwks_uri"], timeout=10).json()
    options: dict[str, Any] = {
        "iss": {"essential": True, "value": discovery["issuer"]},
        "aud": {"essential": True, "value": client_id},
        "sub": {"essential": True},
        "exp": {"essential": True},
        "iat": {"essential": True},
    }
    if nonce is not None:
        options["nonce"] = {"essential": True, "value": nonce}
    claims = JsonWebToken(["RS256"]).decode(
        id_token, JsonWebKey.import_key_set(jwks), claims_options=options
    )
    claims.validate(leeway=60)
    return dict(claims)


def test_authlib_runs_the_code_flow_and_refreshes(
    server: RunningServer,
    api: Api,
    relying_party: RelyingParty,
    discovery: dict[str, Any],
    oauth: OAuth2Client,
) -> None:
    assert discovery["issuer"] == server.issuer
    assert "S256" in discovery["code_challenge_methods_supported"]
    user = api.create_user(connection=relying_party.connection)
    verifier = generate_token(48)
    nonce = generate_token(20)
    url, state = oauth.create_authorization_url(
        discovery["authorization_endpoint"],
        code_verifier=verifier,
        nonce=nonce,
        connection=relying_party.connection,
    )
    query = parse_qs(urlsplit(url).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["code_challenge"][0] != verifier

    callback = be_the_browser(url, user["email"])
    assert parse_qs(urlsplit(callback).query)["state"] == [state]
    token = oauth.fetch_token(
        discovery["token_endpoint"],
        authorization_response=callback,
        state=state,
        code_verifier=verifier,
    )
    assert token["token_type"].lower() == "bearer"
    assert token["refresh_token"]
    claims = validated(token["id_token"], discovery, relying_party.client_id, nonce)
    assert claims["sub"] == user["user_id"]
    assert claims["email"] == user["email"]
    assert isinstance(claims["auth_time"], int)

    userinfo = oauth.get(discovery["userinfo_endpoint"])
    assert userinfo.status_code == 200, userinfo.text
    assert userinfo.json()["sub"] == user["user_id"]

    refreshed = oauth.refresh_token(
        discovery["token_endpoint"], refresh_token=token["refresh_token"]
    )
    assert refreshed["access_token"] != token["access_token"]
    renewed = validated(refreshed["id_token"], discovery, relying_party.client_id, None)
    assert renewed["sub"] == claims["sub"]
    assert renewed["auth_time"] == claims["auth_time"]
    assert renewed.get("nonce") in (None, nonce)


def test_authlib_refuses_a_token_signed_for_another_audience(
    server: RunningServer,
    api: Api,
    relying_party: RelyingParty,
    discovery: dict[str, Any],
    oauth: OAuth2Client,
) -> None:
    """The validation above is real: the same ID token fails for another client or nonce."""
    user = api.create_user(connection=relying_party.connection)
    verifier, nonce = generate_token(48), generate_token(20)
    url, state = oauth.create_authorization_url(
        discovery["authorization_endpoint"],
        code_verifier=verifier,
        nonce=nonce,
        connection=relying_party.connection,
    )
    token = oauth.fetch_token(
        discovery["token_endpoint"],
        authorization_response=be_the_browser(url, user["email"]),
        state=state,
        code_verifier=verifier,
    )
    with pytest.raises(InvalidClaimError):
        validated(token["id_token"], discovery, "another-client", nonce)
    with pytest.raises(InvalidClaimError):
        validated(token["id_token"], discovery, relying_party.client_id, "another-nonce")
