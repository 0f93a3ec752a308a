"""ETag and If-Match on users, clients and connections (our addition to Auth0's API, issue
20): a writer that read a record changes it only while nobody else has, and without If-Match
every call behaves as Auth0's does. Runs on both databases: the check is on the locked row."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx

from tests.support.api import Api, assert_error, user_path


def read(api: Api, user_id: str) -> tuple[dict[str, Any], str]:
    response = api.get(user_path(user_id))
    assert response.status_code == 200, response.text
    tag = response.headers["etag"]
    assert tag.startswith('"') and tag.endswith('"') and len(tag) > 2, tag
    return response.json(), tag


def patch_if(api: Api, user_id: str, body: Any, tag: str) -> httpx.Response:
    return api.http.patch(user_path(user_id), json=body, headers={"if-match": tag})


def test_a_write_with_the_etag_it_read_succeeds_and_answers_the_new_one(api: Api) -> None:
    user = api.create_user(user_metadata={"a": 1})
    _, tag = read(api, user["user_id"])
    response = patch_if(api, user["user_id"], {"user_metadata": {"b": 2}}, tag)
    assert response.status_code == 200, response.text
    assert response.json()["user_metadata"] == {"a": 1, "b": 2}
    new_tag = response.headers["etag"]
    assert new_tag != tag
    assert read(api, user["user_id"])[1] == new_tag


def test_a_write_with_a_stale_etag_is_412_and_writes_nothing(api: Api) -> None:
    user = api.create_user(user_metadata={"a": 1})
    _, stale = read(api, user["user_id"])
    assert api.patch(user_path(user["user_id"]), {"user_metadata": {"a": 2}}).status_code == 200
    response = patch_if(api, user["user_id"], {"user_metadata": {"a": 3, "c": 1}}, stale)
    body = assert_error(response, 412, "precondition_failed")
    assert body["error"] == "Precondition Failed"
    assert "changed since it was read" in body["message"]
    assert read(api, user["user_id"])[0]["user_metadata"] == {"a": 2}


def test_two_writers_with_the_same_etag_one_wins_one_is_told(api: Api) -> None:
    user = api.create_user(user_metadata={"count": 0})
    _, tag = read(api, user["user_id"])

    async def both() -> list[httpx.Response]:
        async with httpx.AsyncClient(
            base_url=api.server.base_url, headers=dict(api.http.headers), timeout=60
        ) as http:
            return await asyncio.gather(
                *(
                    http.patch(
                        user_path(user["user_id"]),
                        json={"user_metadata": {"count": 1, f"writer{i}": True}},
                        headers={"if-match": tag},
                    )
                    for i in range(2)
                )
            )

    statuses = sorted(response.status_code for response in asyncio.run(both()))
    assert statuses == [200, 412]
    metadata = read(api, user["user_id"])[0]["user_metadata"]
    assert metadata["count"] == 1 and len(metadata) == 2  # one writer's keys, not both


def test_without_if_match_writes_behave_as_before(api: Api) -> None:
    user = api.create_user(user_metadata={"a": 1})
    _, tag = read(api, user["user_id"])
    api.patch(user_path(user["user_id"]), {"user_metadata": {"b": 1}})
    response = api.patch(user_path(user["user_id"]), {"user_metadata": {"c": 1}})
    assert response.status_code == 200
    assert response.json()["user_metadata"] == {"a": 1, "b": 1, "c": 1}
    assert response.headers["etag"] != tag


def test_star_matches_any_current_user_and_a_weak_or_garbled_tag_none(api: Api) -> None:
    user = api.create_user()
    assert patch_if(api, user["user_id"], {"nickname": "x"}, "*").status_code == 200
    _, tag = read(api, user["user_id"])
    assert_error(patch_if(api, user["user_id"], {"nickname": "y"}, f"W/{tag}"), 412)
    assert_error(patch_if(api, user["user_id"], {"nickname": "y"}, "not-a-tag"), 412)
    listed = f'"0000", {tag}'
    assert patch_if(api, user["user_id"], {"nickname": "z"}, listed).status_code == 200


def test_a_password_change_changes_the_etag_which_never_holds_the_hash(api: Api) -> None:
    user = api.create_user()
    _, before = read(api, user["user_id"])
    changed = patch_if(api, user["user_id"], {"password": "An0ther!Passw0rd"}, before)
    assert changed.status_code == 200, changed.text
    assert changed.headers["etag"] != before


def test_delete_if_match(api: Api) -> None:
    user = api.create_user()
    path = user_path(user["user_id"])
    _, stale = read(api, user["user_id"])
    api.patch(path, {"nickname": "changed"})
    assert_error(api.http.delete(path, headers={"if-match": stale}), 412)
    assert api.get(path).status_code == 200  # still there
    _, current = read(api, user["user_id"])
    assert api.http.delete(path, headers={"if-match": current}).status_code == 204
    assert api.get(path).status_code == 404
    # Gone: a conditional delete is told; an unconditional one is a 204, as Auth0 answers.
    gone = assert_error(api.http.delete(path, headers={"if-match": current}), 412)
    assert "does not exist" in gone["message"]
    assert api.delete(path).status_code == 204


def test_a_missing_user_with_if_match_on_patch_is_404(api: Api) -> None:
    response = patch_if(api, "auth0|nobody-here", {"nickname": "x"}, '"abc"')
    assert_error(response, 404)


def new_client(api: Api, **fields: Any) -> dict[str, Any]:
    response = api.post("/api/v2/clients", {"name": "etag app", **fields})
    assert response.status_code == 201, response.text
    client: dict[str, Any] = response.json()
    return client


def client_path(client: dict[str, Any]) -> str:
    return f"/api/v2/clients/{client['client_id']}"


def test_a_client_write_with_a_stale_etag_is_412_and_a_fresh_one_succeeds(api: Api) -> None:
    client = new_client(api, client_metadata={"a": "1"})
    path = client_path(client)
    first = api.get(path)
    tag = first.headers["etag"]
    assert api.patch(path, {"client_metadata": {"b": "2"}}).status_code == 200
    stale = api.http.patch(path, json={"client_metadata": {"a": "9"}}, headers={"if-match": tag})
    assert_error(stale, 412, "precondition_failed")
    fresh = api.get(path)
    assert fresh.json()["client_metadata"] == {"a": "1", "b": "2"}
    done = api.http.patch(
        path, json={"client_metadata": {"a": "9"}}, headers={"if-match": fresh.headers["etag"]}
    )
    assert done.status_code == 200, done.text
    assert done.headers["etag"] not in (tag, fresh.headers["etag"])
    assert_error(api.http.delete(path, headers={"if-match": tag}), 412)
    assert api.http.delete(path, headers={"if-match": done.headers["etag"]}).status_code == 204
    assert api.get(path).status_code == 404


def test_concurrent_client_metadata_changes_keep_every_key(api: Api) -> None:
    """Each PATCH merges into the row as stored when it writes (a locked read-modify-write),
    so ten writers of ten keys (client_metadata's most) leave ten keys."""
    client = new_client(api)
    path = client_path(client)

    async def all_at_once() -> list[httpx.Response]:
        async with httpx.AsyncClient(
            base_url=api.server.base_url, headers=dict(api.http.headers), timeout=60
        ) as http:
            return await asyncio.gather(
                *(http.patch(path, json={"client_metadata": {f"k{i}": "v"}}) for i in range(10))
            )

    answers = asyncio.run(all_at_once())
    assert [r.status_code for r in answers] == [200] * 10, [
        r.text[:300] for r in answers if r.status_code != 200
    ]
    assert api.get(path).json()["client_metadata"] == {f"k{i}": "v" for i in range(10)}


def test_a_connection_write_with_a_stale_etag_is_412(api: Api) -> None:
    created = api.post(
        "/api/v2/connections",
        {"name": f"etag-{uuid.uuid4().hex[:10]}", "strategy": "auth0"},
    )
    assert created.status_code == 201, created.text
    path = f"/api/v2/connections/{created.json()['id']}"
    tag = api.get(path).headers["etag"]
    # Any change shows in the ETag, by whatever path it came: a new client is enabled on
    # every connection when it is created.
    api.post("/api/v2/clients", {"name": "enabled everywhere"})
    moved = api.get(path).headers["etag"]
    assert moved != tag
    stale = api.http.patch(path, json={"metadata": {"a": "1"}}, headers={"if-match": tag})
    assert_error(stale, 412, "precondition_failed")
    assert "metadata" not in api.get(path).json() or api.get(path).json()["metadata"] == {}
    done = api.http.patch(path, json={"metadata": {"a": "1"}}, headers={"if-match": moved})
    assert done.status_code == 200, done.text
    assert_error(api.http.delete(path, headers={"if-match": moved}), 412)
    assert api.http.delete(path, headers={"if-match": done.headers["etag"]}).status_code == 202
