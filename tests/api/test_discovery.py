"""OIDC discovery and the JWKS, in Auth0's shape (reference section 6.7).

The keys behind the JWKS are tested on every database in
tests/storage/test_keys_and_bootstrap.py: this module runs on SQLite."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import jwt
import pytest

from tests.support.api import Api
from tests.support.server import RunningServer

pytestmark = pytest.mark.sqlite_only

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


def get_json(server: RunningServer, path: str) -> dict[str, Any]:
    response = httpx.get(f"{server.base_url}{path}", timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    return body


def test_openid_configuration_issuer_is_the_tenant_url_with_trailing_slash(
    server: RunningServer,
) -> None:
    config = get_json(server, "/.well-known/openid-configuration")
    assert config["issuer"] == server.issuer
    assert config["issuer"].endswith("/")


def test_openid_configuration_endpoints_are_built_from_the_issuer(server: RunningServer) -> None:
    config = get_json(server, "/.well-known/openid-configuration")
    issuer = server.issuer
    assert config["authorization_endpoint"] == f"{issuer}authorize"
    assert config["token_endpoint"] == f"{issuer}oauth/token"
    assert config["userinfo_endpoint"] == f"{issuer}userinfo"
    assert config["jwks_uri"] == f"{issuer}.well-known/jwks.json"
    assert config["revocation_endpoint"] == f"{issuer}oauth/revoke"
    assert config["end_session_endpoint"] == f"{issuer}oidc/logout"
    # Auth0 also lists these; selfauth has none of them, so it does not advertise them.
    for missing in ("device_authorization_endpoint", "mfa_challenge_endpoint"):
        assert missing not in config
    assert "registration_endpoint" not in config


def test_openid_configuration_lists_auth0_capabilities(server: RunningServer) -> None:
    config = get_json(server, "/.well-known/openid-configuration")
    assert config["scopes_supported"] == [
        "openid",
        "profile",
        "offline_access",
        "name",
        "given_name",
        "family_name",
        "nickname",
        "email",
        "email_verified",
        "picture",
        "created_at",
        "identities",
        "phone",
        "address",
    ]
    assert config["response_types_supported"] == [
        "code",
        "token",
        "id_token",
        "code token",
        "code id_token",
        "token id_token",
        "code token id_token",
    ]
    # Auth0 lists plain too; selfauth lists what /authorize accepts (plain is off by default).
    assert config["code_challenge_methods_supported"] == ["S256"]
    assert config["response_modes_supported"] == ["query", "fragment", "form_post", "web_message"]
    assert config["subject_types_supported"] == ["public"]
    assert config["claims_supported"] == [
        "aud",
        "auth_time",
        "created_at",
        "email",
        "email_verified",
        "exp",
        "family_name",
        "given_name",
        "iat",
        "identities",
        "iss",
        "name",
        "nickname",
        "phone_number",
        "picture",
        "sub",
    ]
    assert config["request_uri_parameter_supported"] is False
    assert config["request_parameter_supported"] is False
    # Auth0 also lists HS256/PS256 and private_key_jwt; only what selfauth does is advertised.
    assert "RS256" in config["id_token_signing_alg_values_supported"]
    assert set(config["id_token_signing_alg_values_supported"]) <= {"HS256", "RS256", "PS256"}
    methods = config["token_endpoint_auth_methods_supported"]
    assert {"client_secret_basic", "client_secret_post"} <= set(methods)
    assert set(methods) <= {"client_secret_basic", "client_secret_post", "private_key_jwt"}


def test_discovery_documents_are_public_and_readable_cross_origin(server: RunningServer) -> None:
    for path in ("/.well-known/openid-configuration", "/.well-known/jwks.json"):
        response = httpx.get(f"{server.base_url}{path}", timeout=10)
        assert response.status_code == 200, response.text
        assert response.headers["access-control-allow-origin"] == "*"


def test_jwks_publishes_only_public_rsa_members(server: RunningServer) -> None:
    keys = get_json(server, "/.well-known/jwks.json")
    assert set(keys) == {"keys"}
    assert keys["keys"], "at least one signing key is published"
    for key in keys["keys"]:
        assert set(key) == {"kty", "n", "e", "kid", "use", "alg"}, key
        assert not PRIVATE_MEMBERS & set(key)
        assert key["kty"] == "RSA"
        assert key["use"] == "sig"
        assert key["alg"] == "RS256"
        assert base64.urlsafe_b64decode(key["e"] + "==") == b"\x01\x00\x01"
        assert "=" not in key["n"]  # base64url without padding, per RFC 7518
        jwt.PyJWK(key)  # a usable public key


def test_jwks_kid_matches_the_kid_of_issued_tokens(server: RunningServer) -> None:
    header = jwt.get_unverified_header(server.admin_token())
    keys = get_json(server, "/.well-known/jwks.json")["keys"]
    assert header["kid"] in [key["kid"] for key in keys]


def test_discovery_lists_the_grants_selfauth_serves(anonymous: Api) -> None:
    """The token endpoint's grants, and `implicit` for the tokens /authorize hands out."""
    document = anonymous.get("/.well-known/openid-configuration").json()
    assert set(document["grant_types_supported"]) == {
        "client_credentials",
        "authorization_code",
        "implicit",
        "password",
        "http://auth0.com/oauth/grant-type/password-realm",
        "refresh_token",
    }
