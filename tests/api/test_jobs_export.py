"""`POST /api/v2/jobs/users-exports`: NDJSON or CSV in a gzip file behind a signed link, never a
password hash; and the round trip (export, then import on another server)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import httpx
import pytest

from tests.support.api import Api, assert_error, unique_email
from tests.support.jobs import BCRYPT_HASH, PASSWORD, run_export, run_import, wait
from tests.support.server import RunningServer, serving
from tests.support.signin import App, login, new_app, tokens

ROUND_TRIP_FIELDS = [
    "user_id",
    "email",
    "email_verified",
    "given_name",
    "family_name",
    "name",
    "nickname",
    "picture",
    "user_metadata",
    "app_metadata",
]


@pytest.fixture(scope="module")
def app(api: Api) -> App:
    return new_app(api)


@pytest.fixture(scope="module")
def imported(api: Api, app: App) -> list[dict[str, Any]]:
    rows = [
        {
            "email": unique_email("exp"),
            "given_name": f"Given{n}",
            "user_metadata": {"theme": "dark", "n": n},
            "app_metadata": {"plan": "gold", "tags": ["a", "b"]},
            "password_hash": BCRYPT_HASH,
        }
        for n in range(5)
    ]
    assert run_import(api, rows, connection_id=app.connection_id)["summary"]["inserted"] == 5
    return rows


def lines(content: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in content.decode().splitlines()]


def test_json_export_is_ndjson_with_chosen_fields(
    api: Api, app: App, imported: list[dict[str, Any]]
) -> None:
    fields = [
        {"name": "email"},
        {"name": "user_metadata.theme", "export_as": "theme"},
        {"name": "app_metadata.tags"},
    ]
    job, content = run_export(api, connection_id=app.connection_id, format="json", fields=fields)
    assert job["type"] == "users_export"
    assert job["format"] == "json"
    assert job["location"].startswith(api.server.issuer + "jobs/")
    # A finished job tells no progress any more, as Auth0's.
    assert "percentage_done" not in job and "time_left_seconds" not in job
    records = lines(content)
    assert len(records) == 5
    assert {r["email"] for r in records} == {row["email"].lower() for row in imported}
    assert all(r["theme"] == "dark" and r["app_metadata.tags"] == ["a", "b"] for r in records)


def test_identity_fields_by_position_as_auth0_names_them(
    api: Api, app: App, imported: list[dict[str, Any]]
) -> None:
    fields = [
        {"name": "email"},
        {"name": "identities[0].connection"},
        {"name": "identities[0].provider", "export_as": "provider"},
        {"name": "identities[0].user_id"},
        {"name": "identities[0].isSocial"},
        {"name": "identities[1].connection"},
    ]
    # Auth0 answers the export's creation with 200 and echoes what was asked.
    response = api.post(
        "/api/v2/jobs/users-exports",
        {"connection_id": app.connection_id, "format": "json", "fields": fields, "limit": 5},
    )
    assert response.status_code == 200, response.text
    created = response.json()
    assert set(created) == {
        "type",
        "status",
        "created_at",
        "id",
        "connection_id",
        "connection",
        "format",
        "limit",
        "fields",
    }
    assert created["fields"] == fields
    wait(api, created["id"])
    _, content = run_export(api, connection_id=app.connection_id, format="json", fields=fields)
    records = lines(content)
    assert len(records) == 5
    for record in records:
        user = api.get("/api/v2/users-by-email", email=record["email"]).json()[0]
        identity = user["identities"][0]
        assert record["identities[0].connection"] == app.connection
        assert record["provider"] == "auth0"
        assert record["identities[0].user_id"] == identity["user_id"]
        assert record["identities[0].isSocial"] is False
        # A user with one identity has no second one: the field is left out.
        assert "identities[1].connection" not in record
    _, table = run_export(api, connection_id=app.connection_id, format="csv", fields=fields)
    rows = list(csv.reader(io.StringIO(table.decode())))
    assert rows[0] == [
        "email",
        "identities[0].connection",
        "provider",
        "identities[0].user_id",
        "identities[0].isSocial",
        "identities[1].connection",
    ]
    assert all(row[1:3] == [app.connection, "auth0"] for row in rows[1:])
    assert all(row[4:] == ["false", ""] for row in rows[1:])


@pytest.mark.parametrize(
    "name", ["identities[0].nope", "identities[x].provider", "identities[-1].provider", "ids[0].a"]
)
def test_other_indexed_fields_are_refused(api: Api, name: str) -> None:
    asked = api.post("/api/v2/jobs/users-exports", {"fields": [{"name": name}]})
    assert_error(asked, 400, "invalid_body")


def test_no_password_hash_is_ever_exported(
    api: Api, app: App, imported: list[dict[str, Any]]
) -> None:
    _, content = run_export(api, connection_id=app.connection_id, format="json")
    assert len(lines(content)) == 5
    assert b"password" not in content
    assert BCRYPT_HASH[7:].encode() not in content
    asked = api.post("/api/v2/jobs/users-exports", {"fields": [{"name": "password_hash"}]})
    assert_error(asked, 400, "invalid_body")


def test_csv_export_has_a_header_and_metadata_fields(
    api: Api, app: App, imported: list[dict[str, Any]]
) -> None:
    fields = [
        {"name": "email"},
        {"name": "given_name"},
        {"name": "user_metadata.n", "export_as": "n"},
    ]
    _, content = run_export(
        api, connection_id=app.connection_id, format="csv", fields=fields, limit=3
    )
    table = list(csv.reader(io.StringIO(content.decode())))
    assert table[0] == ["email", "given_name", "n"]
    assert len(table) == 4
    assert all(row[1].startswith("Given") for row in table[1:])
    whole = api.post(
        "/api/v2/jobs/users-exports", {"format": "csv", "fields": [{"name": "user_metadata"}]}
    )
    assert_error(whole, 400, "invalid_body")


def test_the_link_is_signed_and_needs_no_token(api: Api, app: App) -> None:
    job, _ = run_export(api, connection_id=app.connection_id, format="json")
    tampered = job["location"].replace("sig=", "sig=0")
    assert_error(httpx.get(tampered), 403)
    later = job["location"].replace("expires=", "expires=9")
    assert_error(httpx.get(later), 403)
    # Not ASCII, not a number: still a plain refusal.
    assert_error(httpx.get(job["location"].replace("sig=", "sig=%C3%A9")), 403)
    assert httpx.get(job["location"].replace("expires=", "expires=x")).status_code in (400, 403)
    # GET /jobs/{id} hands out a fresh link each time.
    again = api.get(f"/api/v2/jobs/{job['id']}").json()
    assert httpx.get(again["location"]).status_code == 200


def test_export_needs_read_users(api: Api) -> None:
    writer = api.with_scopes("create:users")
    assert_error(writer.post("/api/v2/jobs/users-exports", {"format": "json"}), 403)
    assert_error(api.post("/api/v2/jobs/users-exports", {"format": "xml"}), 400)


def test_round_trip_gives_the_same_profiles_and_working_passwords(
    server: RunningServer, api: Api, app: App, imported: list[dict[str, Any]], tmp_path: Any
) -> None:
    fields = [{"name": name} for name in ROUND_TRIP_FIELDS]
    _, content = run_export(api, connection_id=app.connection_id, format="json", fields=fields)
    exported = lines(content)
    # Hashes never leave in an export; an operator joins them from the system that holds
    # them (as Auth0's separate password export is joined), here the original file.
    hashes = {row["email"].lower(): row["password_hash"] for row in imported}
    rows = [dict(record, password_hash=hashes[record["email"]]) for record in exported]
    with serving(server.backend, tmp_path) as other:
        other_api = Api(other, other.admin_token())
        other_app = new_app(other_api)
        job = run_import(other_api, rows, connection_id=other_app.connection_id)
        assert job["summary"] == {"failed": 0, "updated": 0, "inserted": 5, "total": 5}
        for record in exported:
            found = other_api.get("/api/v2/users-by-email", email=record["email"]).json()[0]
            source = api.get("/api/v2/users-by-email", email=record["email"]).json()[0]
            for name in ROUND_TRIP_FIELDS:
                assert found.get(name) == source.get(name), name
            assert "access_token" in tokens(login(other, other_app, record["email"], PASSWORD))
        wait(other_api, job["id"])
