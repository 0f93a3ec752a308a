"""credentials-exchange Actions on the client-credentials grant: the claims they add (on the
Management API's audience only namespaced ones), the request body they see (never the secret),
a denial, and a failing Action.

They run on a throwaway server: the session's harness gets its own tokens through
client_credentials, which an Action on the session's server would run for."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.api import Api
from tests.support.hooks import Hooks, admin_hooks, executions, guarded, throwaway_server
from tests.support.polling import eventually
from tests.support.server import RunningServer, client_token
from tests.support.signin import assert_oauth_error, claims, http, new_client, tokens

EXCHANGE = "credentials-exchange"


exchanging = throwaway_server(
    "hooks-exchange", {"SELFAUTH_HOOK_SCRIPT_SECONDS": "2", "SELFAUTH_HOOK_TRIGGER_SECONDS": "4"}
)


@pytest.fixture
def exchange_hooks(exchanging: RunningServer) -> Iterator[Hooks]:
    """A `Hooks` kit on the administrator's `Api` (`exchange_hooks.api`) on `exchanging`."""
    with admin_hooks(exchanging) as kit:
        yield kit


def machine(api: Api, audience: str, scopes: list[str]) -> dict[str, Any]:
    client = new_client(api, app_type="non_interactive", grant_types=["client_credentials"])
    grant = api.post(
        "/api/v2/client-grants",
        {"client_id": client["client_id"], "audience": audience, "scope": scopes},
    )
    assert grant.status_code == 201, grant.text
    return client


def client_credentials(server: RunningServer, client: dict[str, Any], audience: str) -> Any:
    body = {
        "grant_type": "client_credentials",
        "client_id": client["client_id"],
        "client_secret": client["client_secret"],
        "audience": audience,
    }
    return http(server.base_url).post("/oauth/token", json=body)


def test_credentials_exchange_adds_claims_to_the_access_token(
    exchanging: RunningServer, exchange_hooks: Hooks
) -> None:
    api = exchange_hooks.api
    identifier = f"https://api.example.com/{uuid.uuid4().hex[:8]}"
    created = api.post(
        "/api/v2/resource-servers",
        {
            "identifier": identifier,
            "name": f"hooks {uuid.uuid4().hex[:6]}",
            "scopes": [{"value": "read:things", "description": "read"}],
        },
    )
    assert created.status_code == 201, created.text
    own = machine(api, identifier, ["read:things"])
    management = machine(api, exchanging.audience, ["read:users"])
    code = """
  api.accessToken.setCustomClaim('https://ns.example.com/client', event.client.client_id);
  api.accessToken.setCustomClaim('https://ns.example.com/audience',
                                 event.resource_server.identifier);
  api.accessToken.setCustomClaim('plain', 'kept for custom APIs');
  api.accessToken.setCustomClaim('sub', 'hijack');
  api.accessToken.setCustomClaim('scope', 'admin');
"""
    exchange_hooks.action(guarded(own["client_id"], code, EXCHANGE), EXCHANGE)
    exchange_hooks.action(guarded(management["client_id"], code, EXCHANGE), EXCHANGE)
    found = claims(tokens(client_credentials(exchanging, own, identifier))["access_token"])
    assert found["https://ns.example.com/client"] == own["client_id"]
    assert found["https://ns.example.com/audience"] == identifier
    assert found["plain"] == "kept for custom APIs"
    assert found["sub"] == f"{own['client_id']}@clients"
    assert found["scope"] == "read:things"
    # On the Management API's audience only namespaced claims are added.
    token = tokens(client_credentials(exchanging, management, exchanging.audience))
    found = claims(token["access_token"])
    assert found["https://ns.example.com/audience"] == exchanging.audience
    assert "plain" not in found
    assert found["scope"] == "read:users"
    reader = Api(exchanging, token["access_token"])
    try:
        assert reader.get("/api/v2/users").status_code == 200
    finally:
        reader.http.close()


def test_credentials_exchange_sees_the_request_body_without_the_secret(
    exchanging: RunningServer, exchange_hooks: Hooks
) -> None:
    """Auth0 gives credentials-exchange Actions `event.request.body` (as on refresh tokens);
    the client's secret is never part of it."""
    api = exchange_hooks.api
    caller = machine(api, exchanging.audience, ["read:users"])
    code = """
  api.accessToken.setCustomClaim('https://ns.example.com/body', event.request.body);
"""
    exchange_hooks.action(guarded(caller["client_id"], code, EXCHANGE), EXCHANGE)
    issued = tokens(client_credentials(exchanging, caller, exchanging.audience))
    body = claims(issued["access_token"])["https://ns.example.com/body"]
    assert body == {
        "grant_type": "client_credentials",
        "client_id": caller["client_id"],
        "audience": exchanging.audience,
    }


def test_credentials_exchange_deny_answers_403(
    exchanging: RunningServer, exchange_hooks: Hooks
) -> None:
    api = exchange_hooks.api
    refused = machine(api, exchanging.audience, ["read:users"])
    allowed = machine(api, exchanging.audience, ["read:users"])
    exchange_hooks.action(
        guarded(refused["client_id"], "  api.access.deny('This client is suspended');", EXCHANGE),
        EXCHANGE,
    )
    response = client_credentials(exchanging, refused, exchanging.audience)
    body = assert_oauth_error(response, 403, "access_denied")
    assert body["error_description"] == "This client is suspended"
    assert "access_token" not in body
    assert tokens(client_credentials(exchanging, allowed, exchanging.audience))["access_token"]
    # The administrator's own client is untouched by an action guarded against it.
    assert client_token(exchanging, exchanging.client_id, exchanging.client_secret)


def test_a_failing_credentials_exchange_action_refuses_the_token(
    exchanging: RunningServer, exchange_hooks: Hooks
) -> None:
    api = exchange_hooks.api
    client = machine(api, exchanging.audience, ["read:users"])
    action = exchange_hooks.action(
        guarded(client["client_id"], "  throw new Error('exchange broke');", EXCHANGE), EXCHANGE
    )
    body = assert_oauth_error(
        client_credentials(exchanging, client, exchanging.audience), 403, "access_denied"
    )
    assert action["name"] in body["error_description"]

    def ours() -> list[dict[str, Any]]:
        found = executions(api, trigger_id=EXCHANGE)
        return [r for e in found for r in e["results"] if r["action_name"] == action["name"]]

    mine = eventually(ours)
    assert [r["status"] for r in mine] == ["error"]
