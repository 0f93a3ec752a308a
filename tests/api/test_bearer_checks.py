"""Every Management API request checks its bearer token: signature, algorithm, claims, scope.

The checks run in memory; the signing keys they use are tested on every database in
tests/storage/test_keys_and_bootstrap.py: this module runs on SQLite."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.api import Api, assert_error, user_path
from tests.support.keys import ServerKey, current_signing_key, management_claims
from tests.support.polling import wait_for
from tests.support.server import RunningServer, client_token

pytestmark = pytest.mark.sqlite_only

ENDPOINTS = [
    ("GET", "/api/v2/users"),
    ("GET", "/api/v2/users/auth0%7C0123456789abcdef01234567"),
    ("POST", "/api/v2/users"),
    ("PATCH", "/api/v2/users/auth0%7C0123456789abcdef01234567"),
    ("DELETE", "/api/v2/users/auth0%7C0123456789abcdef01234567"),
    ("GET", "/api/v2/clients"),
    ("POST", "/api/v2/clients"),
    ("GET", "/api/v2/client-grants"),
    ("GET", "/api/v2/resource-servers"),
    ("GET", "/api/v2/connections"),
]


def call(server: RunningServer, authorization: str | None, path: str = "/api/v2/users") -> Any:
    headers = {"authorization": authorization} if authorization is not None else {}
    return httpx.get(f"{server.base_url}{path}", headers=headers, timeout=10)


def bearer(server: RunningServer, token: str, path: str = "/api/v2/users") -> httpx.Response:
    response: httpx.Response = call(server, f"Bearer {token}", path)
    return response


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    """`header.claims.` — the signing input with no signature yet."""
    head = b64url(json.dumps(header).encode())
    body = b64url(json.dumps(claims).encode())
    return f"{head}.{body}"


def hs256(header: dict[str, Any], claims: dict[str, Any], secret: bytes) -> str:
    """HS256 by hand: PyJWT rightly refuses to use a PEM as an HMAC secret."""
    signing_input = unsigned({**header, "alg": "HS256"}, claims)
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def server_jwk(server: RunningServer) -> dict[str, Any]:
    keys = httpx.get(f"{server.base_url}/.well-known/jwks.json", timeout=10).json()["keys"]
    kid = jwt.get_unverified_header(server.admin_token())["kid"]
    (key,) = [k for k in keys if k["kid"] == kid]
    found: dict[str, Any] = key
    return found


@pytest.fixture
def key(server: RunningServer) -> ServerKey:
    return current_signing_key(server)


def assert_unauthorized(response: httpx.Response) -> None:
    assert_error(response, 401)
    assert response.headers["www-authenticate"].lower().startswith("bearer")


# --- The header ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_missing_authorization_header_is_401_on_every_endpoint(
    anonymous: Api, method: str, path: str
) -> None:
    response = anonymous.http.request(method, path, json={} if method != "GET" else None)
    assert_unauthorized(response)


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_garbage_token_is_401_on_every_endpoint(
    server: RunningServer, method: str, path: str
) -> None:
    response = httpx.request(
        method,
        f"{server.base_url}{path}",
        headers={"authorization": "Bearer not-a-jwt"},
        json={} if method != "GET" else None,
        timeout=10,
    )
    assert_unauthorized(response)


@pytest.mark.parametrize(
    "header", ["Basic xyz", "Bearer", "Token abc.def.ghi", "Bearer a.b.c d.e.f"]
)
def test_malformed_authorization_header_is_400(server: RunningServer, header: str) -> None:
    body = assert_error(call(server, header), 400)
    assert body["message"] == "Bad HTTP authentication header format"


@pytest.mark.parametrize(
    "token", ["garbage", "a.b.c", "e30.e30.", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln", "....."]
)
def test_garbage_token_is_401(server: RunningServer, token: str) -> None:
    assert_unauthorized(bearer(server, token))


# --- Signature and algorithm ---------------------------------------------------------------------


def test_forged_token_with_correct_claims_is_accepted(
    server: RunningServer, key: ServerKey
) -> None:
    # The control for the tests below: a token made by tests.support.keys is good as such.
    response = bearer(server, key.sign(management_claims(server)))
    assert response.status_code == 200, response.text


def test_token_signed_by_another_key_with_the_same_kid_is_401(
    server: RunningServer, key: ServerKey
) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = other.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    token = jwt.encode(management_claims(server), pem, algorithm="RS256", headers={"kid": key.kid})
    assert_unauthorized(bearer(server, token))


def test_token_with_alg_none_is_401(server: RunningServer, key: ServerKey) -> None:
    header = {"alg": "none", "typ": "JWT", "kid": key.kid}
    assert_unauthorized(bearer(server, unsigned(header, management_claims(server)) + "."))


def test_token_with_a_kid_the_server_never_published_is_401(
    server: RunningServer, key: ServerKey
) -> None:
    token = key.sign(management_claims(server), headers={"kid": "not-a-published-kid"})
    assert_unauthorized(bearer(server, token))


def test_token_without_kid_is_401(server: RunningServer, key: ServerKey) -> None:
    token = jwt.encode(management_claims(server), key.private_pem, algorithm="RS256")
    assert_unauthorized(bearer(server, token))


@pytest.mark.parametrize(
    "public_format",
    [serialization.PublicFormat.SubjectPublicKeyInfo, serialization.PublicFormat.PKCS1],
    ids=["spki", "pkcs1"],
)
def test_hs256_signed_with_the_public_key_pem_is_401(
    server: RunningServer, key: ServerKey, public_format: serialization.PublicFormat
) -> None:
    public = jwt.PyJWK(server_jwk(server)).key
    pem = public.public_bytes(serialization.Encoding.PEM, public_format)
    header = {"typ": "JWT", "kid": key.kid}
    assert_unauthorized(bearer(server, hs256(header, management_claims(server), pem)))


def test_hs256_signed_with_the_jwk_modulus_bytes_is_401(
    server: RunningServer, key: ServerKey
) -> None:
    jwk = server_jwk(server)
    header = {"typ": "JWT", "kid": key.kid}
    for secret in (base64.urlsafe_b64decode(jwk["n"] + "=="), jwk["n"].encode()):
        assert_unauthorized(bearer(server, hs256(header, management_claims(server), secret)))


def test_tampered_claims_invalidate_the_signature(server: RunningServer, key: ServerKey) -> None:
    token = key.sign(management_claims(server, scope="read:clients"))
    head, _, signature = token.split(".")
    claims = b64url(json.dumps(management_claims(server, scope="read:users")).encode())
    assert_unauthorized(bearer(server, f"{head}.{claims}.{signature}"))


# --- Claims --------------------------------------------------------------------------------------


def test_valid_token_for_another_audience_is_401(api: Api, server: RunningServer) -> None:
    identifier = f"https://api.example.com/{uuid.uuid4().hex[:12]}"
    created = api.post(
        "/api/v2/resource-servers",
        {"identifier": identifier, "scopes": [{"value": "read:users"}]},
    )
    assert created.status_code == 201, created.text
    client = api.post(
        "/api/v2/clients", {"name": "other audience", "app_type": "non_interactive"}
    ).json()
    granted = api.post(
        "/api/v2/client-grants",
        {"client_id": client["client_id"], "audience": identifier, "scope": ["read:users"]},
    )
    assert granted.status_code == 201, granted.text
    response = httpx.post(
        f"{server.base_url}/oauth/token",
        json={
            "grant_type": "client_credentials",
            "client_id": client["client_id"],
            "client_secret": client["client_secret"],
            "audience": identifier,
        },
        timeout=10,
    )
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    assert jwt.decode(token, options={"verify_signature": False})["scope"] == "read:users"
    assert_unauthorized(bearer(server, token))


def test_wrong_issuer_is_401(server: RunningServer, key: ServerKey) -> None:
    for issuer in ("https://evil.example.com/", server.issuer.rstrip("/")):
        assert_unauthorized(bearer(server, key.sign(management_claims(server, iss=issuer))))


def test_missing_issuer_is_401(server: RunningServer, key: ServerKey) -> None:
    claims = management_claims(server)
    del claims["iss"]
    assert_unauthorized(bearer(server, key.sign(claims)))


def test_audience_list_without_the_management_api_is_401(
    server: RunningServer, key: ServerKey
) -> None:
    claims = management_claims(server, aud=["https://api.example.com/", f"{server.issuer}userinfo"])
    assert_unauthorized(bearer(server, key.sign(claims)))


def test_audience_list_with_the_management_api_is_accepted(
    server: RunningServer, key: ServerKey
) -> None:
    # Auth0 user tokens carry ["https://TENANT/api/v2/", "https://TENANT/userinfo"].
    claims = management_claims(server, aud=[server.audience, f"{server.issuer}userinfo"])
    assert bearer(server, key.sign(claims)).status_code == 200


def test_token_expired_beyond_the_leeway_is_401(server: RunningServer, key: ServerKey) -> None:
    now = int(time.time())
    claims = management_claims(server, iat=now - 3600, exp=now - 30)
    assert_unauthorized(bearer(server, key.sign(claims)))


def test_token_expired_within_the_leeway_is_accepted(server: RunningServer, key: ServerKey) -> None:
    now = int(time.time())
    claims = management_claims(server, iat=now - 3600, exp=now - 2)
    assert bearer(server, key.sign(claims)).status_code == 200


def test_token_without_exp_is_401(server: RunningServer, key: ServerKey) -> None:
    claims = management_claims(server)
    del claims["exp"]
    assert_unauthorized(bearer(server, key.sign(claims)))


def test_token_not_yet_valid_is_401(server: RunningServer, key: ServerKey) -> None:
    claims = management_claims(server, nbf=int(time.time()) + 3600)
    assert_unauthorized(bearer(server, key.sign(claims)))


def test_previously_accepted_token_is_refused_once_expired(
    server: RunningServer, key: ServerKey
) -> None:
    # Verified tokens are cached; the cache must not outlive `exp` plus the leeway.
    leeway = 10
    exp = int(time.time()) - leeway + 4
    token = key.sign(management_claims(server, exp=exp))
    assert bearer(server, token).status_code == 200

    def refused() -> httpx.Response | None:
        answer = bearer(server, token)
        return None if answer.status_code == 200 else answer

    # Asked until the end of the leeway and 1.5 s more: refused by then at the latest.
    seconds = max(0.0, exp + leeway + 1.5 - time.time())
    assert_unauthorized(wait_for(refused, "the expired token's refusal", seconds, 0.1))


# --- Scope ---------------------------------------------------------------------------------------


def test_token_without_a_covering_scope_is_403_insufficient_scope(api: Api) -> None:
    user = api.create_user()
    narrow = api.with_scopes("read:clients")
    body = assert_error(narrow.get(user_path(user["user_id"])), 403, "insufficient_scope")
    assert body["message"] == (
        "Insufficient scope, expected any of: read:users,read:current_user,read:user_idp_tokens"
    )


def test_forged_token_without_scope_claim_is_403(server: RunningServer, key: ServerKey) -> None:
    claims = management_claims(server)
    del claims["scope"]
    assert_error(bearer(server, key.sign(claims)), 403, "insufficient_scope")


def test_token_from_the_token_endpoint_is_accepted(server: RunningServer) -> None:
    token = client_token(server, server.client_id, server.client_secret)
    assert bearer(server, token).status_code == 200
