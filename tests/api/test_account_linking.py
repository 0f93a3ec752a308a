"""Account linking, `POST /api/v2/users/{id}/identities` and `DELETE
/api/v2/users/{id}/identities/{provider}/{user_id}`, as Auth0 does it: the secondary user is no
user of its own while linked (not found, listed, searched or exported), its identity and profile
(`profileData`) are in the primary's `identities`, its metadata is discarded, and signing in
through it (a database password, an upstream OpenID Provider) signs the primary in. Unlinking
makes it a user of its own again; deleting the primary deletes it.

Linking writes two rows under row locks and hides rows from every listing, so the module runs on
every database; the scope and wire-shape tests are `sqlite_only` (they do not depend on it)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

import httpx
import jwt
import pytest

from tests.support.api import DB, Api, assert_error, unique_email, user_path
from tests.support.authorize import code_client, code_from, exchange, flow, sign_in
from tests.support.browser_client import browser_client
from tests.support.hooks import Hooks, guarded, hook_app
from tests.support.hooks import hooks as hooks
from tests.support.jobs import run_export
from tests.support.keys import current_signing_key
from tests.support.server import RunningServer
from tests.support.signin import App, assert_oauth_error, claims, http, login, new_app, tokens
from tests.support.upstream_oidc import UpstreamClient, UpstreamOidc, log_in

ACCEPTED = "update:users,update:current_user_identities"


@pytest.fixture(scope="module")
def app(api: Api) -> App:
    return new_app(api)


def identities_path(user_id: str) -> str:
    return f"{user_path(user_id)}/identities"


def unlink_path(user_id: str, provider: str, identity_user_id: str) -> str:
    return f"{identities_path(user_id)}/{provider}/{quote(identity_user_id, safe='')}"


def local_id(user: dict[str, Any]) -> str:
    identity_id: str = user["identities"][0]["user_id"]
    return identity_id


def pair(api: Api, app: App) -> tuple[dict[str, Any], dict[str, Any]]:
    """A primary and a secondary on the app's connection, each with metadata of its own."""
    primary = api.create_user(
        connection=app.connection,
        email=unique_email("primary"),
        given_name="Ada",
        user_metadata={"lang": "en"},
        app_metadata={"plan": "gold"},
    )
    secondary = api.create_user(
        connection=app.connection,
        email=unique_email("secondary"),
        email_verified=True,
        given_name="Sec",
        family_name="Ondary",
        name="Sec Ondary",
        user_metadata={"theme": "dark"},
        app_metadata={"roles": ["x"]},
    )
    return primary, secondary


def link(api: Api, primary: dict[str, Any], secondary: dict[str, Any]) -> httpx.Response:
    return api.post(
        identities_path(primary["user_id"]), {"provider": "auth0", "user_id": local_id(secondary)}
    )


def user_token(server: RunningServer, app: App, email: str, scope: str) -> str:
    body = tokens(login(server, app, email, audience=server.audience, scope=scope))
    token: str = body["access_token"]
    return token


def id_token(server: RunningServer, app: App, email: str) -> str:
    token: str = tokens(login(server, app, email, scope="openid profile email"))["id_token"]
    return token


# --- linking and what it hides -------------------------------------------------------------


def test_link_by_provider_and_user_id_moves_the_identity_to_the_primary(api: Api, app: App) -> None:
    primary, secondary = pair(api, app)
    response = link(api, primary, secondary)
    assert response.status_code == 201, response.text
    identities = response.json()
    assert identities == [
        primary["identities"][0],
        {
            "connection": app.connection,
            "provider": "auth0",
            "user_id": local_id(secondary),
            "isSocial": False,
            "profileData": {
                "email": secondary["email"],
                "email_verified": True,
                "name": "Sec Ondary",
                "nickname": secondary["nickname"],
                "picture": secondary["picture"],
                "given_name": "Sec",
                "family_name": "Ondary",
            },
        },
    ]
    after = api.user(primary["user_id"])
    assert after["identities"] == identities
    # The secondary's metadata is discarded, not merged; the primary's profile is its own.
    assert after["user_metadata"] == {"lang": "en"}
    assert after["app_metadata"] == {"plan": "gold"}
    assert (after["email"], after["given_name"]) == (primary["email"], "Ada")


def test_a_linked_secondary_is_no_user_of_its_own(api: Api, app: App) -> None:
    primary, secondary = pair(api, app)
    assert link(api, primary, secondary).status_code == 201
    assert_error(api.get(user_path(secondary["user_id"])), 404, "inexistent_user")
    assert api.get("/api/v2/users-by-email", email=secondary["email"]).json() == []
    for q in (f'email:"{secondary["email"]}"', f'user_id:"{secondary["user_id"]}"'):
        assert api.get("/api/v2/users", q=q, include_totals="true").json()["total"] == 0
    # The checkpoint walk and the plain listing leave it out too.
    walked = api.get("/api/v2/users", q=f'email:"{secondary["email"]}"', take=10).json()
    assert walked["users"] == []
    listed = api.get("/api/v2/users", per_page=100, sort="created_at:-1").json()
    assert secondary["user_id"] not in [u["user_id"] for u in listed]
    assert primary["user_id"] in [u["user_id"] for u in listed]
    # Its identity is the primary's now: an identity search finds the primary.
    found = api.get("/api/v2/users", q=f'identities.user_id:"{local_id(secondary)}"').json()
    assert [u["user_id"] for u in found] == [primary["user_id"]]
    # Its metadata is no longer searchable either.
    q = f'user_metadata.theme:"dark" AND email:"{secondary["email"]}"'
    assert api.get("/api/v2/users", q=q).json() == []
    # A PATCH or DELETE by its id reaches nothing.
    assert_error(api.patch(user_path(secondary["user_id"]), {"name": "x"}), 404)
    assert api.delete(user_path(secondary["user_id"])).status_code == 204
    assert len(api.user(primary["user_id"])["identities"]) == 2


def test_an_export_leaves_linked_secondaries_out(api: Api, app: App) -> None:
    primary, secondary = pair(api, app)
    assert link(api, primary, secondary).status_code == 201
    job, content = run_export(
        api,
        connection_id=app.connection_id,
        format="json",
        fields=[{"name": "user_id"}, {"name": "email"}, {"name": "identities"}],
    )
    assert job["status"] == "completed", job
    rows = [json.loads(line) for line in content.splitlines() if line]
    exported = {row["user_id"]: row for row in rows}
    assert primary["user_id"] in exported
    assert secondary["user_id"] not in exported
    assert len(exported[primary["user_id"]]["identities"]) == 2


# --- signing in through the secondary --------------------------------------------------------


def test_the_secondary_password_signs_the_primary_in(
    server: RunningServer, api: Api, app: App
) -> None:
    primary, secondary = pair(api, app)
    assert link(api, primary, secondary).status_code == 201
    body = tokens(login(server, app, secondary["email"], scope="openid profile email"))
    assert claims(body["id_token"])["sub"] == primary["user_id"]
    assert claims(body["id_token"])["email"] == primary["email"]
    assert claims(body["access_token"])["sub"] == primary["user_id"]
    info = http(server.base_url).get(
        "/userinfo", headers={"authorization": f"Bearer {body['access_token']}"}
    )
    assert info.status_code == 200, info.text
    assert info.json()["sub"] == primary["user_id"]
    # The login counts on the primary; the secondary's wrong password is still wrong.
    assert api.user(primary["user_id"])["logins_count"] == 1
    assert_oauth_error(
        login(server, app, secondary["email"], "Wr0ng!Passw0rd"), 403, "invalid_grant"
    )


@pytest.mark.sqlite_only
def test_the_login_page_with_the_secondary_password_signs_the_primary_in(
    server: RunningServer, api: Api
) -> None:
    client = code_client(api, "regular_web")
    primary, secondary = api.create_user(), api.create_user()
    assert link(api, primary, secondary).status_code == 201
    with browser_client(base_url=server.base_url, timeout=30, follow_redirects=False) as browser:
        f = flow(client, DB)
        answered = sign_in(browser, f, secondary["email"])
        body = tokens(exchange(server, client, code_from(answered, f), f))
        assert claims(body["id_token"])["sub"] == primary["user_id"]
        # The session is the primary's: single sign-on answers for the primary too.
        again = flow(client, DB, prompt="none")
        silent = browser.get("/authorize", params=again.params)
        body = tokens(exchange(server, client, code_from(silent, again), again))
        assert claims(body["id_token"])["sub"] == primary["user_id"]


def test_post_login_actions_see_and_change_the_primary(
    server: RunningServer, api: Api, hooks: Hooks
) -> None:
    app = hook_app(api)
    hooks.action(
        guarded(
            app.client_id,
            """
  api.idToken.setCustomClaim('https://ns.example.com/seen', {
    user_id: event.user.user_id,
    identities: event.user.identities.length,
    connection: event.connection.name,
  });
  api.user.setAppMetadata('signed_in_through', event.connection.name);
""",
        )
    )
    primary, secondary = pair(api, app)
    assert link(api, primary, secondary).status_code == 201
    body = tokens(login(server, app, secondary["email"], scope="openid"))
    seen = claims(body["id_token"])["https://ns.example.com/seen"]
    assert seen == {"user_id": primary["user_id"], "identities": 2, "connection": app.connection}
    assert api.user(primary["user_id"])["app_metadata"]["signed_in_through"] == app.connection


def test_unlink_makes_the_secondary_a_user_of_its_own_again(
    server: RunningServer, api: Api, app: App
) -> None:
    primary, secondary = pair(api, app)
    assert link(api, primary, secondary).status_code == 201
    response = api.delete(unlink_path(primary["user_id"], "auth0", local_id(secondary)))
    assert response.status_code == 200, response.text
    assert response.json() == primary["identities"]
    assert api.user(primary["user_id"])["identities"] == primary["identities"]
    restored = api.user(secondary["user_id"])
    assert restored["identities"] == secondary["identities"]
    for key in ("email", "email_verified", "name", "given_name", "family_name", "picture"):
        assert restored[key] == secondary[key], key
    # Auth0: the unlinked account has no metadata.
    assert "user_metadata" not in restored and "app_metadata" not in restored
    body = tokens(login(server, app, secondary["email"], scope="openid"))
    assert claims(body["id_token"])["sub"] == secondary["user_id"]
    assert (
        api.get("/api/v2/users-by-email", email=secondary["email"]).json()[0]["user_id"]
        == (secondary["user_id"])
    )


def test_deleting_the_primary_deletes_its_secondaries(
    server: RunningServer, api: Api, app: App
) -> None:
    primary, secondary = pair(api, app)
    assert link(api, primary, secondary).status_code == 201
    assert api.delete(user_path(primary["user_id"])).status_code == 204
    assert_error(api.get(user_path(secondary["user_id"])), 404, "inexistent_user")
    assert_oauth_error(login(server, app, secondary["email"]), 403, "invalid_grant")
    # The row is gone: its email is free again on its connection.
    again = api.post(
        "/api/v2/users",
        {"connection": app.connection, "email": secondary["email"], "password": "Str0ng!Passw0rd"},
    )
    assert again.status_code == 201, again.text


def test_concurrent_links_to_one_primary_all_land(api: Api, app: App) -> None:
    primary = api.create_user(connection=app.connection)
    secondaries = [api.create_user(connection=app.connection) for _ in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda s: link(api, primary, s).status_code, secondaries))
    assert answers == [201] * 8
    linked = {i["user_id"] for i in api.user(primary["user_id"])["identities"][1:]}
    assert linked == {local_id(s) for s in secondaries}


def test_one_secondary_linked_to_two_primaries_at_once_lands_once(api: Api, app: App) -> None:
    primaries = [api.create_user(connection=app.connection) for _ in range(4)]
    secondary = api.create_user(connection=app.connection)
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda p: link(api, p, secondary).status_code, primaries))
    assert sorted(answers) == [201, 404, 404, 404]
    holders = [p for p in primaries if len(api.user(p["user_id"])["identities"]) == 2]
    assert len(holders) == 1


# --- link_with and a user's own token ----------------------------------------------------------


def test_a_user_links_a_secondary_proven_by_its_id_token(
    server: RunningServer, api: Api, app: App
) -> None:
    primary, secondary = pair(api, app)
    mine = Api(server, user_token(server, app, primary["email"], "update:current_user_identities"))
    response = mine.post(
        identities_path(primary["user_id"]),
        {"link_with": id_token(server, app, secondary["email"])},
    )
    assert response.status_code == 201, response.text
    assert [i["user_id"] for i in response.json()] == [local_id(primary), local_id(secondary)]
    assert_error(api.get(user_path(secondary["user_id"])), 404)
    assert claims(id_token(server, app, secondary["email"]))["sub"] == primary["user_id"]


@pytest.mark.sqlite_only
def test_a_users_own_token_links_only_to_itself_and_only_with_link_with(
    server: RunningServer, api: Api, app: App
) -> None:
    primary, secondary = pair(api, app)
    other = api.create_user(connection=app.connection)
    mine = Api(server, user_token(server, app, primary["email"], "update:current_user_identities"))
    proof = id_token(server, app, secondary["email"])
    body = assert_error(mine.post(identities_path(other["user_id"]), {"link_with": proof}), 403)
    assert body["errorCode"] == "insufficient_scope"
    assert body["message"] == f"Insufficient scope, expected any of: {ACCEPTED}"
    by_id = {"provider": "auth0", "user_id": local_id(secondary)}
    assert_error(mine.post(identities_path(primary["user_id"]), by_id), 403)
    # Nor unlink another user's identities.
    assert_error(
        mine.delete(unlink_path(other["user_id"], "auth0", "x")), 403, "insufficient_scope"
    )
    assert len(api.user(primary["user_id"])["identities"]) == 1
    assert api.user(secondary["user_id"])["user_id"] == secondary["user_id"]


@pytest.mark.sqlite_only
def test_link_with_refuses_what_is_not_an_id_token_issued_to_the_callers_client(
    server: RunningServer, api: Api, app: App
) -> None:
    primary, secondary = pair(api, app)
    mine = Api(server, user_token(server, app, primary["email"], "update:current_user_identities"))
    other_app = new_app(api)
    stranger = api.create_user(connection=other_app.connection)
    proofs = {
        "another client's ID token": id_token(server, other_app, stranger["email"]),
        "an access token": user_token(server, app, secondary["email"], "read:current_user"),
        "garbage": "not.a.jwt",
        "a forged signature": id_token(server, app, secondary["email"])[:-6] + "AAAAAA",
    }
    for what, proof in proofs.items():
        response = mine.post(identities_path(primary["user_id"]), {"link_with": proof})
        assert_error(response, 400, "invalid_body")
        assert "Unable to link" in response.json()["message"], what
    # The administrator's token is its own client's: an ID token issued to the app is not.
    response = api.post(
        identities_path(primary["user_id"]),
        {"link_with": id_token(server, app, secondary["email"])},
    )
    assert_error(response, 400, "invalid_body")
    assert len(api.user(primary["user_id"])["identities"]) == 1


@pytest.mark.sqlite_only
def test_link_with_checks_expiry_issuer_and_algorithm(
    server: RunningServer, api: Api, app: App
) -> None:
    """ID tokens signed with the server's own key, each with one thing wrong."""
    primary, secondary = pair(api, app)
    mine = Api(server, user_token(server, app, primary["email"], "update:current_user_identities"))
    key = current_signing_key(server)
    good = claims(id_token(server, app, secondary["email"]))
    wrong = {
        "expired": key.sign({**good, "iat": good["iat"] - 7200, "exp": good["iat"] - 3600}),
        "another issuer": key.sign({**good, "iss": "https://elsewhere.example/"}),
        "no exp": key.sign({k: v for k, v in good.items() if k != "exp"}),
        "HS256": jwt.encode(good, "s" * 32, algorithm="HS256", headers={"kid": key.kid}),
        "alg none": jwt.encode(good, None, algorithm="none", headers={"kid": key.kid}),
    }
    for what, proof in wrong.items():
        response = mine.post(identities_path(primary["user_id"]), {"link_with": proof})
        assert response.status_code == 400, (what, response.text)
        assert_error(response, 400, "invalid_body")
    # The same claims, well signed, link.
    response = mine.post(identities_path(primary["user_id"]), {"link_with": key.sign(good)})
    assert response.status_code == 201, response.text


# --- refusals ------------------------------------------------------------------------------------


@pytest.mark.sqlite_only
def test_wrong_scope_is_403_listing_the_accepted_scopes(api: Api, app: App) -> None:
    primary, secondary = pair(api, app)
    narrow = api.with_scopes("read:users", "update:users_app_metadata")
    for response in (
        link(narrow, primary, secondary),
        narrow.delete(unlink_path(primary["user_id"], "auth0", local_id(secondary))),
    ):
        body = assert_error(response, 403, "insufficient_scope")
        assert body["message"] == f"Insufficient scope, expected any of: {ACCEPTED}"
    assert (
        api.with_scopes("update:users")
        .post(
            identities_path(primary["user_id"]),
            {"provider": "auth0", "user_id": local_id(secondary)},
        )
        .status_code
        == 201
    )


@pytest.mark.sqlite_only
def test_refusals_answer_in_the_management_error_shape(api: Api, app: App) -> None:
    primary, secondary = pair(api, app)
    third = api.create_user(connection=app.connection)
    path = identities_path(primary["user_id"])
    # Itself.
    assert_error(link(api, primary, primary), 400, "operation_not_supported")
    # Unknown secondary, unknown primary, a connection the secondary is not on.
    assert_error(api.post(path, {"provider": "auth0", "user_id": "nobody"}), 404, "inexistent_user")
    assert_error(link(api, {"user_id": "auth0|nobody"}, secondary), 404, "inexistent_user")
    wrong = {"provider": "auth0", "user_id": local_id(secondary), "connection_id": "con_nope"}
    assert_error(api.post(path, wrong), 404, "inexistent_user")
    # Bodies.
    assert_error(api.post(path, {"provider": "auth0"}), 400, "invalid_body")
    assert_error(api.post(path, {"user_id": "x"}), 400, "invalid_body")
    assert_error(
        api.post(path, {"provider": "auth0", "user_id": "x", "extra": 1}), 400, "invalid_body"
    )
    assert_error(api.post(path, {"link_with": "x", "provider": "auth0"}), 400, "invalid_body")
    assert_error(api.post(path, [1]), 400)
    # The right connection_id is accepted.
    right = {
        "provider": "auth0",
        "user_id": local_id(secondary),
        "connection_id": app.connection_id,
    }
    assert api.post(path, right).status_code == 201
    # Twice; to another primary while linked (no such user); a primary as a secondary.
    assert_error(link(api, primary, secondary), 409)
    assert_error(link(api, third, secondary), 404, "inexistent_user")
    assert_error(link(api, third, primary), 400, "operation_not_supported")
    # A linked secondary is no primary.
    assert_error(link(api, secondary, third), 404, "inexistent_user")
    # Unlinking the primary's own identity, an identity it does not have, an unknown user.
    own = unlink_path(primary["user_id"], "auth0", local_id(primary))
    assert_error(api.delete(own), 400, "operation_not_supported")
    assert_error(api.delete(unlink_path(primary["user_id"], "auth0", local_id(third))), 404)
    assert_error(api.delete(unlink_path("auth0|nobody", "auth0", "x")), 404, "inexistent_user")
    assert len(api.user(primary["user_id"])["identities"]) == 2
    assert api.user(third["user_id"])["identities"] == third["identities"]


# --- an upstream OpenID Provider's identity as the secondary ------------------------------

BOB = {
    "sub": "bob",
    "email": "bob@upstream.example",
    "email_verified": True,
    "name": "Bob Upstream",
    "given_name": "Bob",
}
SECRET = "upstream-client-secret-linking-0123"


@pytest.fixture(scope="module")
def provider(
    server: RunningServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[UpstreamOidc]:
    client = UpstreamClient("selfauth", SECRET, [f"{server.issuer}login/callback"])
    with UpstreamOidc(
        tmp_path_factory.mktemp("upstream-linking"), clients=[client], accounts=[BOB]
    ) as running:
        yield running


def upstream_sign_in(server: RunningServer, app: Any, connection: str) -> dict[str, Any]:
    with browser_client(timeout=30, follow_redirects=False) as browser:
        f = flow(app, connection)
        start = browser.get(f"{server.base_url}/authorize", params=f.params)
        answered = browser.get(log_in(browser, start, "bob"))
        body: dict[str, Any] = tokens(exchange(server, app, code_from(answered, f), f))
        return body


def test_an_upstream_identity_linked_signs_the_primary_in(
    server: RunningServer, api: Api, provider: UpstreamOidc
) -> None:
    client = code_client(api, "regular_web")
    connection = f"op-{uuid.uuid4().hex[:10]}"
    created = api.post(
        "/api/v2/connections",
        {
            "name": connection,
            "strategy": "oidc",
            "enabled_clients": [client.client_id],
            "options": {
                "discovery_url": provider.discovery_url,
                "client_id": "selfauth",
                "client_secret": SECRET,
                "scope": "openid profile email",
                "type": "back_channel",
            },
        },
    )
    assert created.status_code == 201, created.text
    first = upstream_sign_in(server, client, connection)
    upstream_id = f"oidc|{connection}|bob"
    assert claims(first["id_token"])["sub"] == upstream_id
    primary = api.create_user(given_name="Prime")
    response = api.post(
        identities_path(primary["user_id"]), {"provider": "oidc", "user_id": f"{connection}|bob"}
    )
    assert response.status_code == 201, response.text
    assert response.json()[1]["profileData"]["email"] == BOB["email"]
    again = upstream_sign_in(server, client, connection)
    assert claims(again["id_token"])["sub"] == primary["user_id"]
    assert claims(again["id_token"])["given_name"] == "Prime"
    assert claims(again["access_token"])["sub"] == primary["user_id"]
    assert_error(api.get(user_path(upstream_id)), 404)
    # A changed upstream profile reaches the primary's profileData, not its root.
    provider.set_accounts([{**BOB, "name": "Robert Upstream"}])
    try:
        upstream_sign_in(server, client, connection)
    finally:
        provider.set_accounts([BOB])
    after = api.user(primary["user_id"])
    assert after["identities"][1]["profileData"]["name"] == "Robert Upstream"
    assert after["given_name"] == "Prime"
    # Unlinked, the upstream identity signs itself in again.
    unlinked = api.delete(unlink_path(primary["user_id"], "oidc", f"{connection}|bob"))
    assert unlinked.status_code == 200, unlinked.text
    assert api.user(upstream_id)["name"] == "Robert Upstream"
    assert claims(upstream_sign_in(server, client, connection)["id_token"])["sub"] == upstream_id
