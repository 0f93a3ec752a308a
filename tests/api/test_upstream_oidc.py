"""An `oidc` connection to node's `oidc-provider` (the certified OpenID Provider, from npm,
started by tests/support/upstream_oidc.py): the whole redirect dance over HTTP, the user and
identity a first sign-in makes, the sync policy at the next one, and every way the upstream can
be wrong (an ID token with another `aud`, `iss` or `nonce`, a bad signature, an unknown key, a
stopped or slow provider) ending at the application with `access_denied`, never a 500 or a
hang. The connection is made with auth0-python's `Connections`. A server of the module's own,
with a 2-second upstream timeout."""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from auth0.management import Connections

from tests.support.api import Api, user_path
from tests.support.authorize import (
    CALLBACK,
    Client,
    code_client,
    code_from,
    exchange,
    flow,
    redirected,
    verified,
)
from tests.support.browser_client import browser_client
from tests.support.hooks import guarded, guarded_rule, hook_kit
from tests.support.sdk import domain_of
from tests.support.server import RunningServer, client_token, serving
from tests.support.signin import tokens
from tests.support.upstream_oidc import (
    UpstreamClient,
    UpstreamOidc,
    log_in,
    without_idp_tokens,
)

pytestmark = pytest.mark.sqlite_only

ALICE = {
    "sub": "alice",
    "email": "alice@upstream.example",
    "email_verified": True,
    "name": "Alice Liddell",
    "given_name": "Alice",
    "family_name": "Liddell",
    "nickname": "ali",
    "picture": "https://upstream.example/alice.png",
}
SECRET = "upstream-client-secret-0123456789"


@pytest.fixture(scope="module")
def selfauth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    env = {"SELFAUTH_UPSTREAM_TIMEOUT_SECONDS": "2"}
    with serving("sqlite", tmp_path_factory.mktemp("downstream"), env) as running:
        yield running


@pytest.fixture(scope="module")
def provider(
    selfauth: RunningServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[UpstreamOidc]:
    client = UpstreamClient("selfauth", SECRET, [f"{selfauth.issuer}login/callback"])
    with UpstreamOidc(
        tmp_path_factory.mktemp("upstream-op"), clients=[client], accounts=[ALICE]
    ) as running:
        yield running


@pytest.fixture(scope="module")
def admin(selfauth: RunningServer) -> Iterator[Api]:
    api = Api(selfauth, selfauth.admin_token())
    yield api
    api.http.close()


def connect(
    selfauth: RunningServer, provider: UpstreamOidc, admin: Api, **options: Any
) -> tuple[Client, str]:
    app = code_client(admin, "regular_web")
    connections = Connections(domain_of(selfauth), selfauth.admin_token(), protocol="http")
    created = connections.create(
        {
            "name": f"op-{uuid.uuid4().hex[:10]}",
            "strategy": "oidc",
            "enabled_clients": [app.client_id],
            "options": {
                "discovery_url": provider.discovery_url,
                "client_id": "selfauth",
                "client_secret": SECRET,
                "scope": "openid profile email",
                "type": "back_channel",
                **options,
            },
        }
    )
    return app, created["name"]


def sign_in(
    selfauth: RunningServer, app: Client, connection: str, sub: str = "alice"
) -> tuple[httpx.Response, Any]:
    """The browser's whole dance; selfauth's last answer (to the application) and the flow."""
    with browser_client(timeout=30, follow_redirects=False) as browser:
        f = flow(app, connection)
        start = browser.get(f"{selfauth.base_url}/authorize", params=f.params)
        back = log_in(browser, start, sub)
        return browser.get(back), f


@pytest.fixture
def normal(provider: UpstreamOidc) -> Iterator[UpstreamOidc]:
    provider.set_mode(id_token="normal", token_delay_ms=0)
    provider.set_accounts([ALICE])
    yield provider
    provider.set_mode(id_token="normal", token_delay_ms=0)


def test_first_sign_in_creates_the_user_with_its_identity(
    selfauth: RunningServer, normal: UpstreamOidc, admin: Api
) -> None:
    app, connection = connect(selfauth, normal, admin)
    answered, f = sign_in(selfauth, app, connection)
    body = tokens(exchange(selfauth, app, code_from(answered, f), f))
    claims = verified(selfauth, body["id_token"], app.client_id)
    user_id = f"oidc|{connection}|alice"
    assert claims["sub"] == user_id
    assert claims["email"] == ALICE["email"] and claims["name"] == ALICE["name"]
    user = admin.user(user_id)
    # The admin's token holds read:user_idp_tokens: the provider's token shows too.
    assert [without_idp_tokens(i) for i in user["identities"]] == [
        {
            "connection": connection,
            "provider": "oidc",
            "user_id": f"{connection}|alice",
            "isSocial": False,
        }
    ]
    assert (user["given_name"], user["family_name"], user["picture"]) == (
        "Alice",
        "Liddell",
        ALICE["picture"],
    )
    assert user["email_verified"] is True
    assert user["logins_count"] == 1 and user["last_ip"] == "127.0.0.1"
    assert "password_hash" not in user


def test_the_next_sign_in_follows_the_sync_policy(
    selfauth: RunningServer, normal: UpstreamOidc, admin: Api
) -> None:
    each, each_connection = connect(selfauth, normal, admin)
    first, first_connection = connect(
        selfauth, normal, admin, set_user_root_attributes="on_first_login"
    )
    for app, connection in ((each, each_connection), (first, first_connection)):
        code_from(*sign_in(selfauth, app, connection))
    normal.set_accounts([{**ALICE, "name": "Alice P. Liddell"}])
    for app, connection in ((each, each_connection), (first, first_connection)):
        code_from(*sign_in(selfauth, app, connection))
    assert admin.user(f"oidc|{each_connection}|alice")["name"] == "Alice P. Liddell"
    assert admin.user(f"oidc|{first_connection}|alice")["name"] == "Alice Liddell"
    refused = admin.patch(user_path(f"oidc|{each_connection}|alice"), {"name": "X"})
    assert refused.status_code == 400
    assert refused.json()["message"] == (
        "The following user attributes cannot be updated: name. The connection "
        f"({each_connection}) must either be a database connection or have "
        "options.set_user_root_attributes set to on_first_login or never_on_login."
    )
    editable = admin.patch(user_path(f"oidc|{first_connection}|alice"), {"name": "Mine"})
    assert editable.status_code == 200
    assert (
        admin.patch(
            user_path(f"oidc|{each_connection}|alice"), {"user_metadata": {"kept": True}}
        ).status_code
        == 200
    )
    code_from(*sign_in(selfauth, each, each_connection))
    assert admin.user(f"oidc|{each_connection}|alice")["user_metadata"] == {"kept": True}


@pytest.mark.parametrize(
    ("mode", "words"),
    [
        ("wrong_aud", "audience"),
        ("wrong_iss", "issuer"),
        ("wrong_nonce", "nonce"),
        ("no_nonce", "nonce"),
        ("expired", "expired"),
        ("bad_signature", "Signature"),
        ("unknown_kid", "unknown key"),
    ],
)
def test_an_id_token_that_fails_a_check_is_refused(
    selfauth: RunningServer, normal: UpstreamOidc, admin: Api, mode: str, words: str
) -> None:
    app, connection = connect(selfauth, normal, admin)
    normal.set_mode(id_token=mode)
    answered, f = sign_in(selfauth, app, connection)
    answer = redirected(answered, CALLBACK)
    assert answer["error"] == "access_denied", answer
    assert words.lower() in answer["error_description"].lower(), answer
    assert answer["state"] == f.state
    assert admin.get(user_path(f"oidc|{connection}|alice")).status_code == 404


def test_a_slow_provider_ends_in_a_clean_error_within_the_timeout(
    selfauth: RunningServer, normal: UpstreamOidc, admin: Api
) -> None:
    app, connection = connect(selfauth, normal, admin)
    normal.set_mode(token_delay_ms=6000)
    started = time.monotonic()
    answered, _ = sign_in(selfauth, app, connection)
    assert time.monotonic() - started < 5.5
    answer = redirected(answered, CALLBACK)
    assert answer["error"] == "access_denied"
    assert "could not be reached" in answer["error_description"]


def test_a_provider_stopped_mid_flow_ends_in_a_clean_error(
    selfauth: RunningServer, normal: UpstreamOidc, admin: Api
) -> None:
    app, connection = connect(selfauth, normal, admin)
    with browser_client(timeout=30, follow_redirects=False) as browser:
        f = flow(app, connection)
        start = browser.get(f"{selfauth.base_url}/authorize", params=f.params)
        back = log_in(browser, start, "alice")
        normal.stop()
        try:
            answered = browser.get(back)
        finally:
            normal.start()
    answer = redirected(answered, CALLBACK)
    assert answer["error"] == "access_denied"
    assert answer["state"] == f.state


def test_a_rotated_key_is_fetched_when_an_id_token_names_it(
    selfauth: RunningServer, normal: UpstreamOidc, admin: Api
) -> None:
    app, connection = connect(selfauth, normal, admin)
    code_from(*sign_in(selfauth, app, connection))
    normal.rotate_key()
    time.sleep(5.1)  # selfauth fetches a provider's keys again at most every 5 seconds
    code_from(*sign_in(selfauth, app, connection))


def test_rules_and_actions_see_the_upstream_connection(
    selfauth: RunningServer, normal: UpstreamOidc, admin: Api
) -> None:
    app, connection = connect(selfauth, normal, admin)
    with hook_kit(admin) as kit:
        kit.action(
            guarded(
                app.client_id,
                "  api.idToken.setCustomClaim('https://ns.example.com/strategy', "
                "event.connection.strategy);\n"
                "  api.idToken.setCustomClaim('https://ns.example.com/connection', "
                "event.connection.name);",
            )
        )
        kit.rule(
            guarded_rule(
                app.client_id,
                "  context.idToken['https://ns.example.com/rule'] = context.connectionStrategy;\n"
                "  callback(null, user, context);",
            )
        )
        answered, f = sign_in(selfauth, app, connection)
        body = tokens(exchange(selfauth, app, code_from(answered, f), f))
    claims = verified(selfauth, body["id_token"], app.client_id)
    assert claims["https://ns.example.com/strategy"] == "oidc"
    assert claims["https://ns.example.com/connection"] == connection
    assert claims["https://ns.example.com/rule"] == "oidc"


def test_a_callback_naming_another_issuer_is_refused(
    selfauth: RunningServer, normal: UpstreamOidc, admin: Api
) -> None:
    """RFC 9207: oidc-provider sends `iss` with its callback; a code said to come from another
    provider (a mix-up) is never redeemed at this one."""
    app, connection = connect(selfauth, normal, admin)
    with browser_client(timeout=30, follow_redirects=False) as browser:
        f = flow(app, connection)
        start = browser.get(f"{selfauth.base_url}/authorize", params=f.params)
        back = log_in(browser, start, "alice")
        assert "iss=" in back
        mixed = back.replace("iss=", "iss=https%3A%2F%2Fattacker.invalid&was=")
        answer = redirected(browser.get(mixed), CALLBACK)
    assert answer["error"] == "access_denied"
    assert "iss" in answer["error_description"]
    assert admin.get(user_path(f"oidc|{connection}|alice")).status_code == 404


def test_the_providers_tokens_are_kept_sealed_and_shown_only_with_read_user_idp_tokens(
    selfauth: RunningServer, normal: UpstreamOidc, admin: Api
) -> None:
    app, connection = connect(selfauth, normal, admin)
    code_from(*sign_in(selfauth, app, connection))
    user_id = f"oidc|{connection}|alice"
    path = user_path(user_id)
    plain = Api(
        selfauth,
        client_token(selfauth, selfauth.client_id, selfauth.client_secret, scope="read:users"),
    )
    try:
        hidden = plain.get(path).json()["identities"][0]
        listed = plain.get("/api/v2/users", q=f'user_id:"{user_id}"').json()
    finally:
        plain.http.close()
    assert not {"access_token", "refresh_token", "expires_in"} & hidden.keys()
    assert not {"access_token", "refresh_token"} & listed[0]["identities"][0].keys()
    scoped = Api(
        selfauth,
        client_token(
            selfauth, selfauth.client_id, selfauth.client_secret, scope="read:user_idp_tokens"
        ),
    )
    try:
        shown = scoped.get(path).json()["identities"][0]
    finally:
        scoped.http.close()
    assert isinstance(shown["access_token"], str) and isinstance(shown["expires_in"], int)
    # The provider's own token: its userinfo answers for it.
    userinfo = httpx.get(
        httpx.get(normal.discovery_url).json()["userinfo_endpoint"],
        headers={"authorization": f"Bearer {shown['access_token']}"},
    )
    assert userinfo.status_code == 200 and userinfo.json()["sub"] == "alice"
    # Stored sealed: the users table holds neither token.
    with sqlite3.connect(selfauth.database_url.removeprefix("sqlite:///")) as db:
        (stored,) = db.execute(
            "SELECT identities FROM users WHERE user_id = ?", (user_id,)
        ).fetchone()
    assert shown["access_token"] not in stored
    assert '"access_token": "v1.' in stored or '"access_token":"v1.' in stored


def test_hooks_never_see_the_providers_tokens(
    selfauth: RunningServer, normal: UpstreamOidc, admin: Api
) -> None:
    app, connection = connect(selfauth, normal, admin)
    code_from(*sign_in(selfauth, app, connection))  # the identity now holds tokens
    with hook_kit(admin) as kit:
        kit.rule(
            guarded_rule(
                app.client_id,
                "  context.idToken['https://ns.example.com/ids'] = "
                "JSON.stringify(user.identities);\n"
                "  callback(null, user, context);",
            )
        )
        answered, f = sign_in(selfauth, app, connection)
        body = tokens(exchange(selfauth, app, code_from(answered, f), f))
    claims = verified(selfauth, body["id_token"], app.client_id)
    seen = claims["https://ns.example.com/ids"]
    assert connection in seen and "access_token" not in seen and "v1." not in seen
