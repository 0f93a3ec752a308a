"""Brute-force protection on database logins, and `/api/v2/user-blocks`.

Auth0 blocks a user from one IP address after 10 consecutive failed logins; the block holds
(even for the right password) until an administrator lifts it. A confidential client may name
the end user's address in `auth0-forwarded-for` when it is trusted to
(`is_token_endpoint_ip_header_trusted`); a public client may not.

The counters live in the database; tests/storage/test_login_failures.py tests them on every
database, so this module runs on SQLite, all but the parallel burst, which runs on both.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.support.api import PASSWORD, Api, assert_error, unique_email
from tests.support.server import RunningServer
from tests.support.signin import (
    BRUTE_FORCE_LIMIT,
    REALM_GRANT,
    WRONG_PASSWORD,
    App,
    assert_too_many,
    blocked_for,
    blocks_path,
    enable,
    login_body,
    new_app,
    new_client,
    new_connection,
)
from tests.support.signin import login as realm_login

pytestmark = pytest.mark.sqlite_only


@pytest.fixture(scope="module")
def app(api: Api) -> App:
    """A confidential app trusted to name the end user's address in auth0-forwarded-for."""
    created = new_app(api)
    trusted = {"is_token_endpoint_ip_header_trusted": True}
    assert api.patch(f"/api/v2/clients/{created.client_id}", trusted).status_code == 200
    return created


@pytest.fixture(scope="module")
def spa(api: Api, app: App) -> App:
    """A public client (no secret) on the same connection."""
    client = new_client(api, app_type="spa", grant_types=[REALM_GRANT])
    assert client["token_endpoint_auth_method"] == "none"
    enable(api, app.connection_id, client["client_id"])
    return App(client["client_id"], None, app.connection, app.connection_id)


def login(
    server: RunningServer,
    app: App,
    email: str,
    password: str = PASSWORD,
    forwarded_for: str | None = None,
) -> httpx.Response:
    headers = {"auth0-forwarded-for": forwarded_for} if forwarded_for else {}
    return realm_login(server, app, email, password, headers=headers)


def fail(
    server: RunningServer, app: App, email: str, times: int, forwarded_for: str | None = None
) -> None:
    for attempt in range(times):
        response = login(server, app, email, WRONG_PASSWORD, forwarded_for)
        assert response.status_code == 403, f"attempt {attempt + 1}: {response.text}"
        assert response.json()["error"] == "invalid_grant"


# --- blocking -------------------------------------------------------------------------------


def test_eleventh_attempt_is_blocked_even_with_the_right_password(
    server: RunningServer, api: Api, app: App, user: dict[str, Any]
) -> None:
    fail(server, app, user["email"], BRUTE_FORCE_LIMIT - 1)
    assert blocked_for(api, user["user_id"]) == []
    fail(server, app, user["email"], 1)
    # The tenth consecutive failure blocks the address.
    assert len(blocked_for(api, user["user_id"])) == 1
    assert_too_many(login(server, app, user["email"]))
    assert_too_many(login(server, app, user["email"], WRONG_PASSWORD))
    assert api.user(user["user_id"]).get("logins_count", 0) == 0
    # The block is not the `blocked` flag of the user.
    assert api.user(user["user_id"]).get("blocked", False) is False


def test_the_block_is_listed_by_user_id_and_identifier(
    server: RunningServer, api: Api, app: App, user: dict[str, Any]
) -> None:
    fail(server, app, user["email"], BRUTE_FORCE_LIMIT)
    assert_too_many(login(server, app, user["email"]))
    entries = blocked_for(api, user["user_id"])
    assert len(entries) == 1, entries
    assert entries[0]["identifier"] == user["email"]
    assert entries[0]["ip"] == "127.0.0.1"
    assert entries[0]["connection"] == app.connection

    response = api.get("/api/v2/user-blocks", identifier=user["email"])
    assert response.status_code == 200, response.text
    by_identifier = response.json()["blocked_for"]
    assert [(e["identifier"], e["ip"], e["connection"]) for e in by_identifier] == [
        (user["email"], "127.0.0.1", app.connection)
    ]
    upper = api.get("/api/v2/user-blocks", identifier=user["email"].upper())
    assert upper.status_code == 200 and upper.json()["blocked_for"] == by_identifier


def test_unblocking_by_user_id(
    server: RunningServer, api: Api, app: App, user: dict[str, Any]
) -> None:
    fail(server, app, user["email"], BRUTE_FORCE_LIMIT)
    assert_too_many(login(server, app, user["email"]))
    response = api.delete(blocks_path(user["user_id"]))
    assert response.status_code == 204, response.text
    assert blocked_for(api, user["user_id"]) == []
    assert login(server, app, user["email"]).status_code == 200


def test_unblocking_by_identifier(
    server: RunningServer, api: Api, app: App, user: dict[str, Any]
) -> None:
    fail(server, app, user["email"], BRUTE_FORCE_LIMIT)
    assert_too_many(login(server, app, user["email"]))
    response = api.http.delete("/api/v2/user-blocks", params={"identifier": user["email"]})
    assert response.status_code == 204, response.text
    assert api.get("/api/v2/user-blocks", identifier=user["email"]).json()["blocked_for"] == []
    assert login(server, app, user["email"]).status_code == 200


def test_unblocking_starts_a_fresh_count(
    server: RunningServer, api: Api, app: App, user: dict[str, Any]
) -> None:
    fail(server, app, user["email"], BRUTE_FORCE_LIMIT)
    assert_too_many(login(server, app, user["email"]))
    assert api.delete(blocks_path(user["user_id"])).status_code == 204
    fail(server, app, user["email"], BRUTE_FORCE_LIMIT)
    assert_too_many(login(server, app, user["email"]))


def test_a_successful_login_resets_the_count(
    server: RunningServer, app: App, user: dict[str, Any]
) -> None:
    fail(server, app, user["email"], BRUTE_FORCE_LIMIT - 1)
    assert login(server, app, user["email"]).status_code == 200
    fail(server, app, user["email"], BRUTE_FORCE_LIMIT)
    assert_too_many(login(server, app, user["email"]))


def test_failures_of_one_user_do_not_block_another(
    server: RunningServer, api: Api, app: App, user: dict[str, Any]
) -> None:
    other = api.create_user(connection=app.connection)
    fail(server, app, user["email"], BRUTE_FORCE_LIMIT)
    assert_too_many(login(server, app, user["email"]))
    assert login(server, app, other["email"]).status_code == 200


def test_unknown_users_are_never_blocked(server: RunningServer, app: App) -> None:
    email = unique_email("ghost")
    for _ in range(BRUTE_FORCE_LIMIT + 2):
        response = login(server, app, email, WRONG_PASSWORD)
        assert response.status_code == 403, response.text
        assert response.json()["error"] == "invalid_grant"


def test_no_blocking_without_brute_force_protection(
    server: RunningServer, api: Api, app: App
) -> None:
    open_connection = new_connection(api, app.client_id, brute_force_protection=False)
    open_app = App(app.client_id, app.client_secret, open_connection["name"], open_connection["id"])
    user = api.create_user(connection=open_connection["name"])
    fail(server, open_app, user["email"], BRUTE_FORCE_LIMIT + 2)
    assert login(server, open_app, user["email"]).status_code == 200


# --- auth0-forwarded-for --------------------------------------------------------------------


def test_confidential_clients_forwarded_address_is_counted(
    server: RunningServer, api: Api, app: App, user: dict[str, Any]
) -> None:
    fail(server, app, user["email"], BRUTE_FORCE_LIMIT, forwarded_for="203.0.113.7")
    assert_too_many(login(server, app, user["email"], forwarded_for="203.0.113.7"))
    # Another end user's address, and the app's own, are not blocked.
    assert login(server, app, user["email"], forwarded_for="198.51.100.9").status_code == 200
    assert login(server, app, user["email"]).status_code == 200
    assert_too_many(login(server, app, user["email"], forwarded_for="203.0.113.7"))
    entries = blocked_for(api, user["user_id"])
    assert [(e["ip"], e["identifier"]) for e in entries] == [("203.0.113.7", user["email"])]
    # The successful login records the forwarded address too.
    fresh = api.create_user(connection=app.connection)
    assert login(server, app, fresh["email"], forwarded_for="192.0.2.44").status_code == 200
    assert api.user(fresh["user_id"])["last_ip"] == "192.0.2.44"


def test_public_clients_forwarded_address_is_ignored(
    server: RunningServer, api: Api, spa: App, user: dict[str, Any]
) -> None:
    fail(server, spa, user["email"], BRUTE_FORCE_LIMIT, forwarded_for="203.0.113.8")
    assert_too_many(login(server, spa, user["email"], forwarded_for="198.51.100.10"))
    assert_too_many(login(server, spa, user["email"]))
    entries = blocked_for(api, user["user_id"])
    assert [e["ip"] for e in entries] == ["127.0.0.1"]


# --- concurrency ----------------------------------------------------------------------------


@pytest.mark.both_databases
async def test_a_parallel_burst_gets_at_most_ten_guesses(
    server: RunningServer, app: App, user: dict[str, Any]
) -> None:
    body = login_body(app, user["email"], WRONG_PASSWORD)
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as client:
        responses = await asyncio.gather(
            *(client.post("/oauth/token", json=body) for _ in range(20))
        )
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {403, 429}, [(r.status_code, r.text) for r in responses]
    guesses = [r for r in responses if r.status_code == 403]
    assert len(guesses) <= BRUTE_FORCE_LIMIT, statuses
    assert all(r.json()["error"] == "invalid_grant" for r in guesses)
    # Blocked, or refused while the ten allowed checks are still under way.
    refused = {r.json()["error"] for r in responses if r.status_code == 429}
    assert refused <= {"too_many_attempts", "too_many_requests"}, refused
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as client:
        right = await client.post("/oauth/token", json=login_body(app, user["email"], PASSWORD))
    assert_too_many(right)


# --- /api/v2/user-blocks --------------------------------------------------------------------


def test_reading_blocks_needs_read_users(api: Api, user: dict[str, Any]) -> None:
    writer = api.with_scopes("update:users")
    assert_error(writer.get(blocks_path(user["user_id"])), 403, "insufficient_scope")
    assert_error(
        writer.get("/api/v2/user-blocks", identifier=user["email"]), 403, "insufficient_scope"
    )
    reader = api.with_scopes("read:users")
    assert reader.get(blocks_path(user["user_id"])).status_code == 200
    assert reader.get("/api/v2/user-blocks", identifier=user["email"]).status_code == 200


def test_unblocking_needs_update_users(
    server: RunningServer, api: Api, app: App, user: dict[str, Any]
) -> None:
    fail(server, app, user["email"], BRUTE_FORCE_LIMIT)
    reader = api.with_scopes("read:users")
    assert_error(reader.delete(blocks_path(user["user_id"])), 403, "insufficient_scope")
    response = reader.http.delete("/api/v2/user-blocks", params={"identifier": user["email"]})
    assert_error(response, 403, "insufficient_scope")
    assert_too_many(login(server, app, user["email"]))
    writer = api.with_scopes("update:users")
    assert writer.delete(blocks_path(user["user_id"])).status_code == 204
    assert login(server, app, user["email"]).status_code == 200


def test_user_blocks_need_a_token(anonymous: Api, user: dict[str, Any]) -> None:
    assert_error(anonymous.get(blocks_path(user["user_id"])), 401)
    assert_error(anonymous.delete(blocks_path(user["user_id"])), 401)


def test_unknown_user_is_404(api: Api) -> None:
    missing = "auth0|" + "0" * 24
    assert_error(api.get(blocks_path(missing)), 404)
    assert_error(api.delete(blocks_path(missing)), 404)


def test_identifier_lookups(api: Api) -> None:
    response = api.get("/api/v2/user-blocks", identifier=unique_email("nobody"))
    assert response.status_code == 200, response.text
    assert response.json() == {"blocked_for": []}
    assert_error(api.get("/api/v2/user-blocks"), 400)
    assert_error(api.delete("/api/v2/user-blocks"), 400)


def test_an_unblocked_user_has_no_entries(api: Api, user: dict[str, Any]) -> None:
    assert blocked_for(api, user["user_id"]) == []
    assert api.delete(blocks_path(user["user_id"])).status_code == 204
