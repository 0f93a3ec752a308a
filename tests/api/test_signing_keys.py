"""`/api/v2/keys/signing` on both databases, on a server of its own (rotation and revocation
would end every other test's tokens): a tenant has a current and a next key, both in JWKS;
rotation makes next current and current previous, new tokens carry the new key and tokens from
before keep working; revoking the previous key takes it out of JWKS and ends its tokens at
once; only the previous key can be revoked; scopes as Auth0's. (auth0-python 4.13 has no class
for these endpoints, so they are called over HTTP.)"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.support.api import Api
from tests.support.hooks import throwaway_server
from tests.support.server import RunningServer, client_token

keyed = throwaway_server("signing-keys", {})


@pytest.fixture
def admin(keyed: RunningServer) -> Iterator[Api]:
    api = Api(keyed, client_token(keyed, keyed.client_id, keyed.client_secret))
    try:
        yield api
    finally:
        api.http.close()


def kid_of(token: str) -> str:
    header = token.split(".")[0]
    return str(json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"])


def keys(api: Api) -> list[dict[str, Any]]:
    response = api.get("/api/v2/keys/signing")
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def the(found: list[dict[str, Any]], role: str) -> dict[str, Any]:
    matching = [k for k in found if k[role] and not k["revoked"]]
    assert len(matching) == 1, found
    return matching[0]


def jwks_kids(server: RunningServer) -> set[str]:
    return {k["kid"] for k in httpx.get(f"{server.base_url}/.well-known/jwks.json").json()["keys"]}


def fresh_token(server: RunningServer) -> str:
    return client_token(server, server.client_id, server.client_secret)


def test_a_tenant_has_a_current_and_a_next_key_both_published(
    keyed: RunningServer, admin: Api
) -> None:
    found = keys(admin)
    current, following = the(found, "current"), the(found, "next")
    assert jwks_kids(keyed) >= {current["kid"], following["kid"]}
    assert kid_of(fresh_token(keyed)) == current["kid"]
    assert current["cert"].startswith("-----BEGIN CERTIFICATE-----\r\n")
    assert current["pkcs7"].startswith("-----BEGIN PKCS7-----\r\n")
    assert len(current["thumbprint"]) == 40
    assert current["fingerprint"] == ":".join(
        current["thumbprint"][i : i + 2] for i in range(0, 40, 2)
    )
    assert "current_since" in current and "current_since" not in following
    one = admin.get(f"/api/v2/keys/signing/{following['kid']}")
    assert one.status_code == 200 and one.json() == following


def test_rotation_keeps_old_tokens_and_revocation_ends_them(
    keyed: RunningServer, admin: Api
) -> None:
    before = keys(admin)
    old_current, old_next = the(before, "current"), the(before, "next")
    old_token = fresh_token(keyed)
    rotated = admin.post("/api/v2/keys/signing/rotate")
    assert rotated.status_code == 201, rotated.text
    new_next = rotated.json()
    assert set(new_next) == {"cert", "kid"}
    after = keys(admin)
    assert the(after, "current")["kid"] == old_next["kid"]
    assert the(after, "previous")["kid"] == old_current["kid"]
    assert the(after, "next")["kid"] == new_next["kid"]
    assert "current_until" in the(after, "previous")
    assert jwks_kids(keyed) == {old_current["kid"], old_next["kid"], new_next["kid"]}
    # New tokens carry the new current key; the old token still works.
    new_token = fresh_token(keyed)
    assert kid_of(new_token) == old_next["kid"]
    old = Api(keyed, old_token)
    assert old.get("/api/v2/keys/signing").status_code == 200
    # Revoking the previous key: out of JWKS, and its tokens refused at once.
    revoked = admin.http.put(f"/api/v2/keys/signing/{old_current['kid']}/revoke")
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["kid"] == old_current["kid"]
    assert old_current["kid"] not in jwks_kids(keyed)
    refused = old.get("/api/v2/keys/signing")
    assert refused.status_code == 401, refused.text
    entry = next(k for k in keys(Api(keyed, new_token)) if k["kid"] == old_current["kid"])
    assert entry["revoked"] is True and "revoked_at" in entry
    old.http.close()


def test_only_the_previous_key_can_be_revoked(admin: Api) -> None:
    found = keys(admin)
    for role in ("current", "next"):
        kid = the(found, role)["kid"]
        refused = admin.http.put(f"/api/v2/keys/signing/{kid}/revoke")
        assert refused.status_code == 400, refused.text
        assert f"is the {role} key" in refused.json()["message"]
    assert admin.http.put("/api/v2/keys/signing/nope/revoke").status_code == 404
    assert admin.get("/api/v2/keys/signing/nope").status_code == 404


def test_rotations_at_once_leave_one_current_and_one_next(keyed: RunningServer, admin: Api) -> None:
    # Two at once: the caller's token keeps a published key through both (a third rotation
    # would take its key, two rotations old, out of JWKS).
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda _: admin.post("/api/v2/keys/signing/rotate"), range(2)))
    assert [a.status_code for a in answers] == [201, 201]
    token = fresh_token(keyed)
    found = keys(Api(keyed, token))
    the(found, "current"), the(found, "next"), the(found, "previous")
    assert kid_of(token) == the(found, "current")["kid"]
    assert len(jwks_kids(keyed)) == 3
    # The caller's key is two rotations old now: unpublished, so its token no longer works.
    assert admin.get("/api/v2/keys/signing").status_code == 401


def test_scopes(admin: Api) -> None:
    reader = admin.with_scopes("read:signing_keys")
    assert reader.get("/api/v2/keys/signing").status_code == 200
    assert reader.post("/api/v2/keys/signing/rotate").status_code == 403
    creator = admin.with_scopes("create:signing_keys")
    refused = creator.post("/api/v2/keys/signing/rotate")
    assert refused.status_code == 403 and "all of" in refused.json()["message"]
    assert admin.with_scopes("read:users").get("/api/v2/keys/signing").status_code == 403
