"""The upstream OpenID Provider fixture itself (`tests/support/upstream_oidc.py`, node
oidc-provider): a plain httpx relying party signs in with code + PKCE, checks the ID token with
PyJWT against the published JWKS, reads userinfo; and each misbehaviour changes what it should.
No selfauth server: these hold the fixture the upstream-connection tests rely on."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt
import pytest

from tests.support.upstream_oidc import IdTokenMode, UpstreamClient, UpstreamOidc, log_in

CALLBACK = "http://127.0.0.1:9/callback"  # never fetched: log_in stops at it
CLIENT = UpstreamClient("relying-party", "relying-party-secret", [CALLBACK])
ADA: dict[str, Any] = {
    "sub": "ada",
    "email": "ada@example.com",
    "email_verified": True,
    "name": "Ada Lovelace",
    "given_name": "Ada",
    "family_name": "Lovelace",
    "nickname": "ada",
    "picture": "https://example.com/ada.png",
}


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UpstreamOidc]:
    with UpstreamOidc(
        tmp_path_factory.mktemp("upstream"), clients=[CLIENT], accounts=[ADA]
    ) as provider:
        yield provider


@pytest.fixture(autouse=True)
def behaving(upstream: UpstreamOidc) -> Iterator[None]:
    yield
    if upstream.running:
        upstream.set_mode(id_token="normal", token_delay_ms=0)
        upstream.set_accounts([ADA])


@dataclass
class Flow:
    state: str
    nonce: str
    verifier: str
    url: str


def begin(upstream: UpstreamOidc, scope: str = "openid profile email") -> Flow:
    state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    verifier = secrets.token_urlsafe(32)  # 43 characters, PKCE's minimum
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    query = {
        "response_type": "code",
        "client_id": CLIENT.client_id,
        "redirect_uri": CALLBACK,
        "scope": scope,
        "state": state,
        "nonce": nonce,
        "code_challenge": challenge.decode(),
        "code_challenge_method": "S256",
    }
    endpoint = upstream.discovery()["authorization_endpoint"]
    return Flow(state, nonce, verifier, f"{endpoint}?{urlencode(query)}")


def code_of(flow: Flow, final_url: str) -> str:
    assert final_url.startswith(CALLBACK + "?"), final_url
    params = parse_qs(urlsplit(final_url).query)
    assert params["state"] == [flow.state]
    [code] = params["code"]
    return code


def exchange(
    upstream: UpstreamOidc, flow: Flow, code: str, auth: str = "client_secret_basic"
) -> httpx.Response:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": CALLBACK,
        "code_verifier": flow.verifier,
    }
    token_endpoint = upstream.discovery()["token_endpoint"]
    if auth == "client_secret_post":
        form |= {"client_id": CLIENT.client_id, "client_secret": CLIENT.client_secret}
        return httpx.post(token_endpoint, data=form)
    basic = (CLIENT.client_id, CLIENT.client_secret)
    return httpx.post(token_endpoint, data=form, auth=basic)


def sign_in(upstream: UpstreamOidc, auth: str = "client_secret_basic") -> tuple[Flow, Any]:
    flow = begin(upstream)
    with httpx.Client() as browser:
        final = log_in(browser, flow.url, ADA["sub"])
    answer = exchange(upstream, flow, code_of(flow, final), auth)
    assert answer.status_code == 200, answer.text
    return flow, answer.json()


def validated(upstream: UpstreamOidc, flow: Flow, id_token: str) -> dict[str, Any]:
    """What a careful relying party does with the ID token: signature by the JWKS, iss, aud,
    exp, then the nonce."""
    jwks = jwt.PyJWKClient(upstream.discovery()["jwks_uri"], cache_keys=False)
    key = jwks.get_signing_key_from_jwt(id_token)
    claims: dict[str, Any] = jwt.decode(
        id_token,
        key.key,
        algorithms=["RS256"],
        audience=CLIENT.client_id,
        issuer=upstream.issuer,
        options={"require": ["exp", "iat", "iss", "aud", "sub"]},
    )
    if claims.get("nonce") != flow.nonce:
        raise jwt.InvalidTokenError("the nonce is not the one sent")
    return claims


def test_discovery_names_the_issuer_its_endpoints_and_pkce(upstream: UpstreamOidc) -> None:
    found = upstream.discovery()
    assert found["issuer"] == upstream.issuer
    assert found["code_challenge_methods_supported"] == ["S256"]
    assert {"client_secret_basic", "client_secret_post"} <= set(
        found["token_endpoint_auth_methods_supported"]
    )
    assert {"openid", "profile", "email"} <= set(found["scopes_supported"])
    for endpoint in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri"):
        assert found[endpoint].startswith(upstream.issuer + "/")
    keys = httpx.get(found["jwks_uri"]).json()["keys"]
    assert [(k["kty"], k["alg"]) for k in keys] == [("RSA", "RS256")]
    assert all("d" not in k for k in keys)


@pytest.mark.parametrize("auth", ["client_secret_basic", "client_secret_post"])
def test_code_and_pkce_give_a_valid_id_token_and_userinfo(
    upstream: UpstreamOidc, auth: str
) -> None:
    flow, tokens = sign_in(upstream, auth)
    claims = validated(upstream, flow, tokens["id_token"])
    assert claims["sub"] == "ada"
    assert upstream.token_log()[-1] == {
        "grant_type": "authorization_code",
        "client_id": CLIENT.client_id,
        "auth_method": auth,
    }
    userinfo = httpx.get(
        upstream.discovery()["userinfo_endpoint"],
        headers={"authorization": f"Bearer {tokens['access_token']}"},
    )
    assert userinfo.status_code == 200, userinfo.text
    assert userinfo.json() == ADA


def test_the_scopes_asked_for_decide_the_claims(upstream: UpstreamOidc) -> None:
    flow = begin(upstream, scope="openid email")
    with httpx.Client() as browser:
        code = code_of(flow, log_in(browser, flow.url, "ada"))
    tokens = exchange(upstream, flow, code).json()
    userinfo = httpx.get(
        upstream.discovery()["userinfo_endpoint"],
        headers={"authorization": f"Bearer {tokens['access_token']}"},
    ).json()
    assert userinfo == {"sub": "ada", "email": "ada@example.com", "email_verified": True}


def test_pkce_is_required_and_checked(upstream: UpstreamOidc) -> None:
    flow = begin(upstream)
    with httpx.Client() as browser:
        code = code_of(flow, log_in(browser, flow.url, "ada"))
    flow.verifier = secrets.token_urlsafe(32)
    refused = exchange(upstream, flow, code)
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"

    without = begin(upstream).url.replace("code_challenge=", "no_challenge=")
    with httpx.Client() as browser:
        final = log_in(browser, without, "ada")
    assert parse_qs(urlsplit(final).query)["error"] == ["invalid_request"]


def test_a_wrong_secret_is_refused_by_either_method(upstream: UpstreamOidc) -> None:
    flow = begin(upstream)
    with httpx.Client() as browser:
        code = code_of(flow, log_in(browser, flow.url, "ada"))
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}
    token_endpoint = upstream.discovery()["token_endpoint"]
    basic = httpx.post(token_endpoint, data=form, auth=(CLIENT.client_id, "wrong"))
    post = httpx.post(
        token_endpoint, data=form | {"client_id": CLIENT.client_id, "client_secret": "wrong"}
    )
    assert basic.status_code == post.status_code == 401
    assert basic.json()["error"] == post.json()["error"] == "invalid_client"


def test_denying_ends_at_the_callback_with_access_denied(upstream: UpstreamOidc) -> None:
    flow = begin(upstream)
    with httpx.Client() as browser:
        final = log_in(browser, flow.url, "ada", deny=True)
    params = parse_qs(urlsplit(final).query)
    assert params["error"] == ["access_denied"]
    assert params["state"] == [flow.state]


def test_an_unknown_account_is_asked_again(upstream: UpstreamOidc) -> None:
    flow = begin(upstream)
    with httpx.Client() as browser:
        form = browser.get(flow.url, follow_redirects=True)
        again = browser.post(str(form.url), data={"login": "nobody", "action": "login"})
    assert again.status_code == 400
    assert 'name="login"' in again.text


MISBEHAVIOURS: list[tuple[IdTokenMode, type[Exception]]] = [
    ("wrong_aud", jwt.InvalidAudienceError),
    ("wrong_iss", jwt.InvalidIssuerError),
    ("wrong_nonce", jwt.InvalidTokenError),
    ("no_nonce", jwt.InvalidTokenError),
    ("expired", jwt.ExpiredSignatureError),
    ("bad_signature", jwt.InvalidSignatureError),
    ("unknown_kid", jwt.PyJWKClientError),
]


@pytest.mark.parametrize(("mode", "refusal"), MISBEHAVIOURS)
def test_each_misbehaviour_fails_the_check_it_targets(
    upstream: UpstreamOidc, mode: IdTokenMode, refusal: type[Exception]
) -> None:
    upstream.set_mode(id_token=mode)
    flow, tokens = sign_in(upstream)
    with pytest.raises(refusal):
        validated(upstream, flow, tokens["id_token"])
    # Only the targeted check fails: the rest of the token is as it was.
    claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    assert claims["sub"] == "ada"
    assert (claims["aud"] == CLIENT.client_id) == (mode != "wrong_aud")
    assert (claims.get("nonce") == flow.nonce) == (mode not in ("wrong_nonce", "no_nonce"))
    header = jwt.get_unverified_header(tokens["id_token"])
    published = {k["kid"] for k in httpx.get(upstream.discovery()["jwks_uri"]).json()["keys"]}
    assert (header["kid"] in published) == (mode != "unknown_kid")


def test_normal_mode_behaves_again(upstream: UpstreamOidc) -> None:
    upstream.set_mode(id_token="bad_signature")
    upstream.set_mode(id_token="normal")
    flow, tokens = sign_in(upstream)
    assert validated(upstream, flow, tokens["id_token"])["nonce"] == flow.nonce


def test_a_changed_profile_shows_in_the_next_login(upstream: UpstreamOidc) -> None:
    upstream.set_accounts([ADA | {"name": "Ada King", "family_name": "King"}])
    flow, tokens = sign_in(upstream)
    claims = validated(upstream, flow, tokens["id_token"])
    assert claims["sub"] == "ada"
    userinfo = httpx.get(
        upstream.discovery()["userinfo_endpoint"],
        headers={"authorization": f"Bearer {tokens['access_token']}"},
    ).json()
    assert (userinfo["name"], userinfo["family_name"]) == ("Ada King", "King")


def test_a_slow_token_endpoint_answers_late(upstream: UpstreamOidc) -> None:
    upstream.set_mode(token_delay_ms=1500)
    flow = begin(upstream)
    with httpx.Client() as browser:
        code = code_of(flow, log_in(browser, flow.url, "ada"))
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(
            upstream.discovery()["token_endpoint"],
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": CALLBACK,
                "code_verifier": flow.verifier,
            },
            auth=(CLIENT.client_id, CLIENT.client_secret),
            timeout=0.5,
        )


def test_stopped_it_refuses_connections_and_restarts_on_the_same_port_and_key(
    upstream: UpstreamOidc,
) -> None:
    jwks_uri = upstream.discovery()["jwks_uri"]
    keys_before = httpx.get(jwks_uri).json()
    upstream.set_mode(id_token="wrong_aud")
    upstream.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(upstream.discovery_url)
    upstream.start()
    assert httpx.get(jwks_uri).json() == keys_before
    assert httpx.get(f"{upstream.issuer}/__mode").json()["id_token"] == "wrong_aud"


def test_rotating_the_key_publishes_a_new_kid(tmp_path: Path) -> None:
    with UpstreamOidc(tmp_path, clients=[CLIENT], accounts=[ADA]) as provider:
        jwks_uri = provider.discovery()["jwks_uri"]
        before = {k["kid"] for k in httpx.get(jwks_uri).json()["keys"]}
        provider.rotate_key()
        after = {k["kid"] for k in httpx.get(jwks_uri).json()["keys"]}
    assert before.isdisjoint(after)


def test_a_bad_mode_is_refused(upstream: UpstreamOidc) -> None:
    answer = httpx.post(f"{upstream.issuer}/__mode", json={"id_token": "sloppy"})
    assert answer.status_code == 400
    assert "id_token must be one of" in answer.json()["error"]
