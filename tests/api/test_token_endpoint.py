"""`POST /oauth/token` with the client-credentials grant, as Auth0 answers it.

Protocol rules: this module runs on SQLite (the clients, grants and keys behind them are tested
on every database in tests/storage)."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.api import Api
from tests.support.browser_client import browser_client
from tests.support.server import ADMIN_ID, ADMIN_SECRET, RunningServer
from tests.support.signin import new_client

pytestmark = pytest.mark.sqlite_only

TOKEN_KEYS = {"access_token", "token_type", "expires_in", "scope"}
CLAIM_KEYS = {"iss", "sub", "aud", "iat", "exp", "scope", "gty", "azp"}


def post_token(server: RunningServer, **kwargs: Any) -> httpx.Response:
    return httpx.post(f"{server.base_url}/oauth/token", timeout=30, **kwargs)


def admin_body(server: RunningServer, **fields: Any) -> dict[str, Any]:
    return {
        "grant_type": "client_credentials",
        "client_id": ADMIN_ID,
        "client_secret": ADMIN_SECRET,
        "audience": server.audience,
        **fields,
    }


def basic(client_id: str, secret: str) -> str:
    raw = f"{quote(client_id, safe='')}:{quote(secret, safe='')}".encode()
    return f"Basic {base64.b64encode(raw).decode()}"


def assert_oauth_error(response: httpx.Response, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"error", "error_description"}, body
    assert body["error"] == error, body
    assert isinstance(body["error_description"], str) and body["error_description"]
    return body


def assert_token_response(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body: dict[str, Any] = response.json()
    assert set(body) == TOKEN_KEYS
    assert body["token_type"] == "Bearer"
    assert isinstance(body["access_token"], str) and body["access_token"].count(".") == 2
    assert isinstance(body["expires_in"], int) and body["expires_in"] > 0
    assert isinstance(body["scope"], str)
    return body


def grant(api: Api, client_id: str, audience: str, scope: list[str]) -> None:
    response = api.post(
        "/api/v2/client-grants", {"client_id": client_id, "audience": audience, "scope": scope}
    )
    assert response.status_code == 201, response.text


def new_resource_server(api: Api, scopes: list[str]) -> dict[str, Any]:
    identifier = f"https://api.example.com/{uuid.uuid4().hex[:12]}"
    response = api.post(
        "/api/v2/resource-servers",
        {"identifier": identifier, "name": identifier, "scopes": [{"value": s} for s in scopes]},
    )
    assert response.status_code == 201, response.text
    server: dict[str, Any] = response.json()
    return server


def client_body(server: RunningServer, client: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "grant_type": "client_credentials",
        "client_id": client["client_id"],
        "client_secret": client["client_secret"],
        "audience": server.audience,
        **fields,
    }


def verified_claims(server: RunningServer, token: str, audience: str) -> dict[str, Any]:
    """Check the signature against the published JWKS, as an SDK would."""
    keys = httpx.get(f"{server.base_url}/.well-known/jwks.json", timeout=10).json()
    header = jwt.get_unverified_header(token)
    (jwk,) = [k for k in keys["keys"] if k["kid"] == header["kid"]]
    claims: dict[str, Any] = jwt.decode(
        token,
        jwt.PyJWK(jwk).key,
        algorithms=["RS256"],
        audience=audience,
        issuer=server.issuer,
        options={"require": ["exp", "iat", "iss", "aud", "sub"]},
    )
    return claims


# --- Success -------------------------------------------------------------------------------------


def test_json_body_issues_a_bearer_token(server: RunningServer) -> None:
    assert_token_response(post_token(server, json=admin_body(server)))


def test_form_body_issues_a_bearer_token(server: RunningServer) -> None:
    assert_token_response(post_token(server, data=admin_body(server)))


def test_http_basic_authenticates_the_client(server: RunningServer) -> None:
    body = {"grant_type": "client_credentials", "audience": server.audience}
    response = post_token(
        server, data=body, headers={"authorization": basic(ADMIN_ID, ADMIN_SECRET)}
    )
    assert_token_response(response)


def test_http_basic_works_with_a_json_body_too(server: RunningServer) -> None:
    body = {"grant_type": "client_credentials", "audience": server.audience}
    response = post_token(
        server, json=body, headers={"authorization": basic(ADMIN_ID, ADMIN_SECRET)}
    )
    assert_token_response(response)


def test_null_fields_are_ignored(server: RunningServer) -> None:
    # auth0-python 4.x sends every optional parameter, unset ones as null.
    body = admin_body(server, organization=None, scope=None)
    assert_token_response(post_token(server, json=body))


def test_management_token_carries_auth0_claims_and_a_verifiable_signature(
    server: RunningServer,
) -> None:
    before = int(time.time())
    body = assert_token_response(post_token(server, json=admin_body(server)))
    after = int(time.time())
    token = body["access_token"]

    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256"
    assert isinstance(header["kid"], str) and header["kid"]

    claims = verified_claims(server, token, server.audience)
    assert set(claims) == CLAIM_KEYS
    assert claims["iss"] == server.issuer
    assert claims["iss"].endswith("/")
    assert claims["sub"] == f"{ADMIN_ID}@clients"
    assert claims["aud"] == server.audience
    assert claims["azp"] == ADMIN_ID
    assert claims["gty"] == "client-credentials"
    assert before <= claims["iat"] <= after
    assert claims["exp"] == claims["iat"] + 86_400
    assert body["expires_in"] == 86_400
    assert claims["scope"] == body["scope"]
    assert "read:users" in claims["scope"].split()
    assert "," not in claims["scope"]


def test_no_scope_parameter_grants_every_granted_scope(api: Api, server: RunningServer) -> None:
    client = new_client(api, app_type="non_interactive")
    grant(api, client["client_id"], server.audience, ["read:users", "read:clients"])
    body = assert_token_response(post_token(server, json=client_body(server, client)))
    assert sorted(body["scope"].split()) == ["read:clients", "read:users"]


def test_requested_scope_narrows_the_token(api: Api, server: RunningServer) -> None:
    client = new_client(api, app_type="non_interactive")
    grant(api, client["client_id"], server.audience, ["read:users", "read:clients"])
    body = assert_token_response(
        post_token(server, json=client_body(server, client, scope="read:clients"))
    )
    assert body["scope"] == "read:clients"
    claims = verified_claims(server, body["access_token"], server.audience)
    assert claims["scope"] == "read:clients"


def test_token_for_a_custom_api_uses_its_identifier_and_lifetime(
    api: Api, server: RunningServer
) -> None:
    resource = new_resource_server(api, ["read:things"])
    patched = api.patch(f"/api/v2/resource-servers/{resource['id']}", {"token_lifetime": 600})
    assert patched.status_code == 200, patched.text
    client = new_client(api, app_type="non_interactive")
    grant(api, client["client_id"], resource["identifier"], ["read:things"])
    body = assert_token_response(
        post_token(server, json=client_body(server, client, audience=resource["identifier"]))
    )
    claims = verified_claims(server, body["access_token"], resource["identifier"])
    assert claims["aud"] == resource["identifier"]
    assert claims["exp"] - claims["iat"] == 600 == body["expires_in"]
    assert claims["scope"] == "read:things"


def test_an_api_that_denies_clients_gives_no_token_even_with_a_grant(
    api: Api, server: RunningServer
) -> None:
    resource = new_resource_server(api, ["read:things"])
    client = new_client(api, app_type="non_interactive")
    grant(api, client["client_id"], resource["identifier"], ["read:things"])
    body = client_body(server, client, audience=resource["identifier"])
    assert_token_response(post_token(server, json=body))
    policy = {"client": {"policy": "deny_all"}}
    patched = api.patch(
        f"/api/v2/resource-servers/{resource['id']}", {"subject_type_authorization": policy}
    )
    assert patched.status_code == 200, patched.text
    assert_oauth_error(post_token(server, json=body), 403, "access_denied")


# --- Client authentication errors ----------------------------------------------------------------


def test_wrong_secret_is_invalid_client(server: RunningServer) -> None:
    response = post_token(server, json=admin_body(server, client_secret="not-the-secret"))
    assert_oauth_error(response, 401, "invalid_client")
    assert response.headers["cache-control"] == "no-store"


def test_wrong_secret_over_http_basic_is_invalid_client(server: RunningServer) -> None:
    body = {"grant_type": "client_credentials", "audience": server.audience}
    response = post_token(server, data=body, headers={"authorization": basic(ADMIN_ID, "wrong")})
    assert_oauth_error(response, 401, "invalid_client")


def test_unknown_client_is_invalid_client(server: RunningServer) -> None:
    body = admin_body(server, client_id=f"unknown{uuid.uuid4().hex}")
    assert_oauth_error(post_token(server, json=body), 401, "invalid_client")


def test_missing_secret_is_invalid_client(server: RunningServer) -> None:
    body = admin_body(server)
    del body["client_secret"]
    assert_oauth_error(post_token(server, json=body), 401, "invalid_client")


@pytest.mark.parametrize(
    "header",
    [b"Basic \xe9\xe9\xe9", b"Basic !!!", b"Basic " + base64.b64encode(b"\xff\xfe:x")],
    ids=["latin-1", "not-base64", "not-utf-8"],
)
def test_malformed_http_basic_is_invalid_client(server: RunningServer, header: bytes) -> None:
    body = {"grant_type": "client_credentials", "audience": server.audience}
    response = post_token(server, data=body, headers={"authorization": header})
    assert_oauth_error(response, 401, "invalid_client")


def test_nul_character_in_http_basic_credentials_is_invalid_client(server: RunningServer) -> None:
    # PostgreSQL text cannot hold NUL: such input must be refused before it reaches a query.
    header = b"Basic " + base64.b64encode(b"abc%00def:secret")
    body = {"grant_type": "client_credentials", "audience": server.audience}
    response = post_token(server, data=body, headers={"authorization": header})
    assert_oauth_error(response, 401, "invalid_client")


# --- Request errors ------------------------------------------------------------------------------


def test_missing_grant_type_is_invalid_request(server: RunningServer) -> None:
    body = admin_body(server)
    del body["grant_type"]
    assert_oauth_error(post_token(server, json=body), 400, "invalid_request")


def test_missing_audience_is_invalid_request(server: RunningServer) -> None:
    body = admin_body(server)
    del body["audience"]
    assert_oauth_error(post_token(server, json=body), 400, "invalid_request")


@pytest.mark.parametrize("raw", [b"{", b'{"grant_type": ', b"[1, 2]", b'"text"', b"\xff"])
def test_malformed_json_is_invalid_request(server: RunningServer, raw: bytes) -> None:
    response = post_token(server, content=raw, headers={"content-type": "application/json"})
    assert_oauth_error(response, 400, "invalid_request")


def test_repeated_form_parameter_is_invalid_request(server: RunningServer) -> None:
    form = urlencode([*admin_body(server).items(), ("audience", server.audience)])
    response = post_token(
        server, content=form, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert_oauth_error(response, 400, "invalid_request")


@pytest.mark.parametrize("field", ["client_id", "client_secret", "audience", "scope"])
def test_nul_character_in_a_parameter_is_invalid_request(server: RunningServer, field: str) -> None:
    body = admin_body(server, **{field: "abc\x00def"})
    assert_oauth_error(post_token(server, json=body), 400, "invalid_request")
    assert_oauth_error(post_token(server, data=body), 400, "invalid_request")


def test_unsupported_grant_type_is_reported(server: RunningServer) -> None:
    body = admin_body(server, grant_type="urn:example:unknown")
    assert_oauth_error(post_token(server, json=body), 400, "unsupported_grant_type")


# --- Authorization errors ------------------------------------------------------------------------


def test_client_without_grant_for_the_audience_is_access_denied(
    api: Api, server: RunningServer
) -> None:
    client = new_client(api, app_type="non_interactive")
    response = post_token(server, json=client_body(server, client))
    assert_oauth_error(response, 403, "access_denied")


def test_asking_for_an_ungranted_scope_is_access_denied(api: Api, server: RunningServer) -> None:
    client = new_client(api, app_type="non_interactive")
    grant(api, client["client_id"], server.audience, ["read:users"])
    body = client_body(server, client, scope="read:users delete:users")
    assert_oauth_error(post_token(server, json=body), 403, "access_denied")


def test_unknown_audience_is_access_denied(server: RunningServer) -> None:
    body = admin_body(server, audience=f"https://nowhere.example.com/{uuid.uuid4().hex}")
    assert_oauth_error(post_token(server, json=body), 403, "access_denied")


def test_client_without_the_client_credentials_grant_type_is_unauthorized_client(
    api: Api, server: RunningServer
) -> None:
    client = new_client(
        api,
        app_type="regular_web",
        grant_types=["authorization_code", "refresh_token"],
        token_endpoint_auth_method="client_secret_post",
    )
    grant(api, client["client_id"], server.audience, ["read:users"])
    response = post_token(server, json=client_body(server, client))
    assert_oauth_error(response, 403, "unauthorized_client")


# --- Robustness ----------------------------------------------------------------------------------

_NAMES = ["grant_type", "client_id", "client_secret", "audience", "scope", "organization"]


def _interesting_values(server: RunningServer) -> st.SearchStrategy[str]:
    return st.sampled_from(
        ["client_credentials", ADMIN_ID, ADMIN_SECRET, server.audience, "read:users", ""]
    )


def _json_values(server: RunningServer) -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=20),
        _interesting_values(server),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)
        ),
        max_leaves=6,
    )


def _requests(server: RunningServer) -> st.SearchStrategy[tuple[bytes, str, bytes | None]]:
    names = st.one_of(st.sampled_from(_NAMES), st.text(max_size=10))
    json_body = st.dictionaries(names, _json_values(server), max_size=7).map(
        lambda d: json.dumps(d).encode()
    )
    form_body = st.lists(
        st.tuples(names, st.one_of(st.text(max_size=20), _interesting_values(server))),
        max_size=7,
    ).map(lambda pairs: urlencode(pairs).encode())
    bodies = st.one_of(
        st.tuples(json_body, st.just("application/json")),
        st.tuples(form_body, st.just("application/x-www-form-urlencoded")),
        st.tuples(st.binary(max_size=40), st.sampled_from(["application/json", "", "text/plain"])),
    )
    authorization = st.one_of(
        st.none(),
        st.binary(min_size=1, max_size=30).map(lambda raw: b"Basic " + base64.b64encode(raw)),
        st.binary(min_size=1, max_size=20)
        .filter(lambda raw: all(b > 0x20 and b != 0x7F for b in raw))
        .map(lambda raw: b"Basic " + raw),
    )
    return st.tuples(bodies, authorization).map(lambda t: (t[0][0], t[0][1], t[1]))


def test_no_input_gives_a_server_error(server: RunningServer) -> None:
    http = browser_client(base_url=server.base_url, timeout=30)

    @settings(
        max_examples=50,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(_requests(server))
    def check(request: tuple[bytes, str, bytes | None]) -> None:
        body, content_type, authorization = request
        headers: dict[bytes, bytes] = {}
        if content_type:
            headers[b"content-type"] = content_type.encode()
        if authorization is not None:
            headers[b"authorization"] = authorization
        response = http.post("/oauth/token", content=body, headers=headers)
        assert response.status_code < 500, (request, response.text)
        answer = response.json()
        if response.status_code == 200:
            assert set(answer) == TOKEN_KEYS
        else:
            assert set(answer) == {"error", "error_description"}, answer
            assert isinstance(answer["error"], str) and answer["error"]

    try:
        check()
    finally:
        http.close()


def test_the_token_endpoints_own_lane_answers_as_the_full_stack_does(
    server: RunningServer,
) -> None:
    """POST /oauth/token takes a shorter lane than other requests (token_lane.py): its edges
    answer as before. Other methods there still get a 405 naming every method, a NUL in its
    query the guard's 400, and the metrics count it under its route."""
    refused = httpx.get(f"{server.base_url}/oauth/token")
    assert refused.status_code == 405
    assert refused.headers["allow"] == "OPTIONS, POST"
    assert refused.json()["error"] == "invalid_request"
    nul = httpx.post(f"{server.base_url}/oauth/token?x=%00", json=admin_body(server), timeout=10)
    assert_oauth_error(nul, 400, "invalid_request")
    # An error from the handler is answered by the installed handlers, never cached.
    unknown = post_token(server, json={"grant_type": "nope"})
    body = assert_oauth_error(unknown, 400, "unsupported_grant_type")
    assert unknown.headers["cache-control"] == "no-store"
    assert body["error_description"] == "Unsupported grant type: nope"
    assert_token_response(post_token(server, json=admin_body(server)))
