"""auth0-python 4.13's `Grants`: `all` lists the grant a user's consent stored (with its
filters and totals) and `delete` removes it, after which the consent screen shows again
(tests/api/test_consent.py covers the rules). SQLite server only."""

from __future__ import annotations

import uuid

import httpx
import pytest
from auth0.management import Grants

from tests.support.api import Api
from tests.support.authorize import (
    authorize,
    code_client,
    code_from,
    flow,
    form_to,
    sign_in,
)
from tests.support.browser_client import browser_client
from tests.support.sdk import domain_of
from tests.support.server import RunningServer
from tests.support.signin import new_connection

pytestmark = pytest.mark.sqlite_only


def _consent(browser: httpx.Client, page: httpx.Response) -> httpx.Response:
    form = form_to(page, "/u/consent")
    return browser.post(
        "/u/consent",
        data={"tx": form.value("tx"), "csrf": form.value("csrf"), "decision": "accept"},
    )


def test_grants_lists_and_deletes_a_users_consent(server: RunningServer, api: Api) -> None:
    client = code_client(api, "regular_web", is_first_party=False)
    connection = new_connection(api, client.client_id)["name"]
    audience = f"https://sdk-{uuid.uuid4().hex[:8]}.example.com/"
    created = api.post(
        "/api/v2/resource-servers",
        {"identifier": audience, "name": "SDK API", "scopes": [{"value": "read:things"}]},
    )
    assert created.status_code == 201, created.text
    user = api.create_user(connection=connection)
    f = flow(client, connection, scope="openid read:things", audience=audience)
    with browser_client(base_url=server.base_url, follow_redirects=False) as browser:
        code_from(_consent(browser, sign_in(browser, f, user["email"])), f)

        grants = Grants(domain_of(server), server.admin_token(), protocol="http")
        [grant] = grants.all(extra_params={"user_id": user["user_id"]})
        assert grant["clientID"] == client.client_id
        assert grant["audience"] == audience
        assert grant["scope"] == ["read:things"]
        page = grants.all(
            per_page=5, include_totals=True, extra_params={"client_id": client.client_id}
        )
        assert page["total"] == 1 and page["grants"][0]["id"] == grant["id"]

        grants.delete(grant["id"])
        assert grants.all(extra_params={"user_id": user["user_id"]}) == []
        again = authorize(browser, flow(client, connection, scope="read:things", audience=audience))
        assert again.status_code == 200 and form_to(again, "/u/consent")
