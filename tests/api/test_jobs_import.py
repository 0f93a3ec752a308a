"""`POST /api/v2/jobs/users-imports`, `GET /api/v2/jobs/{id}` and `/errors`: Auth0's bulk
import, a bad row failing alone, upsert, and logins with imported password hashes."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tests.support.api import Api, assert_error, unique_email
from tests.support.jobs import (
    BCRYPT_HASH,
    PASSWORD,
    custom_hashes,
    errors,
    run_import,
    start_import,
    wait,
)
from tests.support.server import RunningServer
from tests.support.signin import App, login, new_app, tokens


@pytest.fixture(scope="module")
def app(api: Api) -> App:
    return new_app(api)


def by_email(api: Api, email: str) -> list[dict[str, Any]]:
    response = api.get("/api/v2/users-by-email", email=email)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def test_import_inserts_users_with_their_profiles(api: Api, app: App) -> None:
    rows = [
        {
            "email": unique_email("Imp"),
            "email_verified": True,
            "given_name": "Ada",
            "family_name": "Lovelace",
            "user_id": uuid.uuid4().hex,
            "user_metadata": {"theme": "dark", "langs": ["en", "fr"]},
            "app_metadata": {"plan": "gold"},
            "password_hash": BCRYPT_HASH,
        }
        for _ in range(3)
    ]
    job = run_import(api, rows, connection_id=app.connection_id, external_id="batch-7")
    assert job["status"] == "completed"
    assert job["type"] == "users_import"
    assert job["external_id"] == "batch-7"
    assert job["connection_id"] == app.connection_id
    assert job["summary"] == {"failed": 0, "updated": 0, "inserted": 3, "total": 3}
    # A finished job tells no progress, as Auth0's; nor does an import echo `upsert`.
    assert set(job) == {
        "type",
        "status",
        "created_at",
        "id",
        "connection_id",
        "connection",
        "external_id",
        "summary",
    }
    user = by_email(api, rows[0]["email"].lower())[0]
    assert user["user_id"] == f"auth0|{rows[0]['user_id']}"
    assert user["email_verified"] is True
    assert user["given_name"] == "Ada"
    assert user["user_metadata"] == {"theme": "dark", "langs": ["en", "fr"]}
    assert user["app_metadata"] == {"plan": "gold"}
    assert user["identities"][0]["connection"] == app.connection
    assert "password_hash" not in json.dumps(user)
    assert errors(api, job["id"]) == []


def test_the_creation_answer_is_auth0s(api: Api, app: App) -> None:
    response = start_import(api, [{"email": unique_email()}], connection_id=app.connection_id)
    # Auth0 accepts the job with 202 and the keys of its recorded answer (no upsert, and
    # no summary before the job has started).
    assert response.status_code == 202, response.text
    body = response.json()
    assert set(body) == {"type", "status", "created_at", "id", "connection_id", "connection"}
    assert body["status"] == "pending"
    assert body["type"] == "users_import"
    assert body["id"].startswith("job_")
    assert body["connection_id"] == app.connection_id
    assert body["connection"] == app.connection
    assert wait(api, body["id"])["status"] == "completed"


def test_a_row_without_username_goes_into_a_connection_that_requires_one(api: Api) -> None:
    """As Auth0: the user is inserted, without a username."""
    name = f"imp-names-{uuid.uuid4().hex[:8]}"
    created = api.post(
        "/api/v2/connections",
        {"name": name, "strategy": "auth0", "options": {"requires_username": True}},
    )
    assert created.status_code == 201, created.text
    connection_id = created.json()["id"]
    email = unique_email("noname")
    rows = [{"email": email, "email_verified": True}, {"email": unique_email(), "username": "jo"}]
    job = run_import(api, rows, connection_id=connection_id)
    assert job["summary"] == {"failed": 0, "updated": 0, "inserted": 2, "total": 2}
    user = by_email(api, email.lower())[0]
    assert "username" not in user
    assert user["identities"][0]["connection"] == name
    # Such a user can still be changed; only removing a username it has is refused.
    renamed = api.patch(f"/api/v2/users/{user['user_id']}", {"given_name": "Still"})
    assert renamed.status_code == 200, renamed.text
    named = api.patch(f"/api/v2/users/{user['user_id']}", {"username": "later"})
    assert named.status_code == 200, named.text
    removed = api.patch(f"/api/v2/users/{user['user_id']}", {"username": None})
    assert_error(removed, 400, "invalid_body")


def test_a_bad_row_fails_alone_with_auth0s_codes(api: Api, app: App) -> None:
    good = unique_email()
    rows = [
        {"email": good, "password_hash": BCRYPT_HASH},
        {"given_name": "no email"},
        {"email": "not-an-email"},
        {"email": unique_email(), "favourite": "extra"},
        {"email": unique_email(), "password_hash": "plain-text"},
        {"email": unique_email(), "blocked": "yes"},
        {"email": unique_email(), "app_metadata": {"email": "reserved"}},
        {"email": unique_email(), "custom_password_hash": {"algorithm": "rot13", "hash": {}}},
        {"email": good.upper()},
    ]
    job = run_import(api, rows, connection_id=app.connection_id)
    assert job["status"] == "completed"
    assert job["summary"] == {"failed": 8, "updated": 0, "inserted": 1, "total": 9}
    found = errors(api, job["id"])
    codes = [(e["errors"][0]["code"], e["errors"][0]["path"]) for e in found]
    assert codes == [
        ("OBJECT_REQUIRED", "email"),
        ("FORMAT", "email"),
        ("OBJECT_ADDITIONAL_PROPERTIES", "favourite"),
        ("PATTERN", "password_hash"),
        ("INVALID_TYPE", "blocked"),
        ("NOT_PASSED", "app_metadata"),
        ("ENUM_MISMATCH", "custom_password_hash.algorithm"),
        ("DUPLICATED_USER", "email"),
    ]
    assert found[0]["user"] == {"given_name": "no email"}
    assert all(set(e) == {"user", "errors"} for e in found)
    assert all(set(err) == {"code", "message", "path"} for e in found for err in e["errors"])
    # The report never repeats a password hash.
    assert "plain-text" not in json.dumps(found)


def test_without_upsert_an_existing_user_fails(api: Api, app: App) -> None:
    email = unique_email()
    first = run_import(api, [{"email": email}], connection_id=app.connection_id)
    assert first["summary"]["inserted"] == 1
    again = run_import(api, [{"email": email, "name": "Twice"}], connection_id=app.connection_id)
    assert again["summary"] == {"failed": 1, "updated": 0, "inserted": 0, "total": 1}
    assert errors(api, again["id"])[0]["errors"][0]["code"] == "CONFLICT_EMAIL"
    assert by_email(api, email)[0]["name"] == email


def test_upsert_overwrites_metadata_whole_and_keeps_the_rest(api: Api, app: App) -> None:
    email = unique_email()
    seed = {
        "email": email,
        "given_name": "Old",
        "nickname": "keep-me",
        "user_metadata": {"a": 1, "b": 2},
        "app_metadata": {"role": "admin"},
    }
    run_import(api, [seed], connection_id=app.connection_id)
    change = {"email": email, "given_name": "New", "user_metadata": {"c": 3}}
    job = run_import(api, [change], connection_id=app.connection_id, upsert="true")
    assert job["summary"] == {"failed": 0, "updated": 1, "inserted": 0, "total": 1}
    user = by_email(api, email)[0]
    assert user["given_name"] == "New"
    assert user["nickname"] == "keep-me"
    assert user["user_metadata"] == {"c": 3}  # replaced, not merged
    assert user["app_metadata"] == {"role": "admin"}  # not given: untouched


def found_by(api: Api, q: str) -> set[str]:
    response = api.get("/api/v2/users", q=q, search_engine="v3", per_page=100)
    assert response.status_code == 200, response.text
    return {user["email"] for user in response.json()}


def test_imported_metadata_is_searchable_and_upserts_keep_it_so(api: Api, app: App) -> None:
    tag = uuid.uuid4().hex[:12]
    emails = [unique_email("Find") for _ in range(3)]
    rows = [
        {
            "email": email,
            "user_metadata": {"tag": tag, "address": {"city": f"{tag}-{n}"}, "langs": [tag, "en"]},
            "app_metadata": {"plan": f"{tag}-gold"},
        }
        for n, email in enumerate(emails)
    ]
    job = run_import(api, rows, connection_id=app.connection_id)
    assert job["summary"]["inserted"] == 3
    everyone = {email.lower() for email in emails}
    assert found_by(api, f'user_metadata.tag:"{tag}"') == everyone
    assert found_by(api, f'user_metadata.address.city:"{tag}-1"') == {emails[1].lower()}
    assert found_by(api, f'user_metadata.langs:"{tag}"') == everyone
    assert found_by(api, f'app_metadata.plan:"{tag}-gold"') == everyone
    # An upsert replaces user_metadata: the old values stop matching, the new ones match, and
    # app_metadata (not in the row) still does.
    change = {"email": emails[0], "user_metadata": {"tag": f"{tag}-new", "langs": ["fr"]}}
    again = run_import(api, [change], connection_id=app.connection_id, upsert="true")
    assert again["summary"]["updated"] == 1
    assert found_by(api, f'user_metadata.tag:"{tag}"') == everyone - {emails[0].lower()}
    assert found_by(api, f'user_metadata.langs:"{tag}"') == everyone - {emails[0].lower()}
    assert found_by(api, f'user_metadata.address.city:"{tag}-0"') == set()
    assert found_by(api, f'user_metadata.tag:"{tag}-new"') == {emails[0].lower()}
    assert found_by(api, f'app_metadata.plan:"{tag}-gold"') == everyone


def test_an_unreadable_file_is_refused_or_fails_the_job(api: Api, app: App) -> None:
    response = start_import(api, b'{"email": "x@example.com"}', connection_id=app.connection_id)
    assert_error(response, 400, "invalid_body")
    emails = [unique_email() for _ in range(3)]
    broken = json.dumps([{"email": e} for e in emails]).encode()[:-30]
    response = start_import(api, broken, connection_id=app.connection_id)
    assert response.status_code == 202, response.text
    job = wait(api, response.json()["id"])
    assert job["status"] == "failed"
    assert "not valid JSON" in job["status_details"]
    assert job["summary"] == {"failed": 0, "updated": 0, "inserted": 0, "total": 0}
    assert by_email(api, emails[0]) == []


def test_bad_requests_get_auth0_errors(api: Api, app: App) -> None:
    assert_error(start_import(api, [], connection_id="con_doesnotexist00"), 400)
    no_file = api.http.post(
        "/api/v2/jobs/users-imports", data={"connection_id": app.connection_id}, files={}
    )
    assert_error(no_file, 400)
    assert_error(api.get("/api/v2/jobs/job_doesnotexist0000"), 404, "inexistent_job")
    flag = start_import(api, [], connection_id=app.connection_id, upsert="maybe")
    assert_error(flag, 400, "invalid_body")


def test_a_malformed_multipart_body_is_a_400_not_a_500(api: Api, app: App) -> None:
    # The fuzzer's find: a part whose headers end in a bare CR made the parser raise, a 500.
    boundary = "4bea7452f2ee0b8418ae8c1020a88206"
    response = api.http.post(
        "/api/v2/jobs/users-imports",
        content=f"--{boundary}\r\n--{boundary}--\r\n".encode(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert_error(response, 400, "invalid_body")
    assert "malformed" in response.json()["message"]


def test_scopes_are_auth0s(api: Api, app: App) -> None:
    reader = api.with_scopes("read:users")
    assert_error(start_import(reader, [], connection_id=app.connection_id), 403)
    job = run_import(api, [{"email": unique_email()}], connection_id=app.connection_id)
    assert reader.get(f"/api/v2/jobs/{job['id']}").status_code == 200
    nobody = api.with_scopes("read:clients")
    assert_error(nobody.get(f"/api/v2/jobs/{job['id']}"), 403, "insufficient_scope")
    assert_error(nobody.get(f"/api/v2/jobs/{job['id']}/errors"), 403, "insufficient_scope")


@pytest.mark.parametrize("prefix", ["$2a$", "$2b$", "$2y$"])
def test_an_imported_bcrypt_hash_signs_in(
    server: RunningServer, api: Api, app: App, prefix: str
) -> None:
    email = unique_email()
    row = {"email": email, "password_hash": prefix + BCRYPT_HASH[4:]}
    assert run_import(api, [row], connection_id=app.connection_id)["summary"]["inserted"] == 1
    assert "access_token" in tokens(login(server, app, email, PASSWORD))
    assert login(server, app, email, "wrong-password").status_code == 403


@pytest.mark.parametrize("algorithm", sorted(custom_hashes()))
def test_each_custom_hash_signs_in_and_is_rehashed(
    server: RunningServer, api: Api, app: App, algorithm: str
) -> None:
    email = unique_email()
    row = {"email": email, "custom_password_hash": custom_hashes()[algorithm]}
    job = run_import(api, [row], connection_id=app.connection_id)
    assert job["summary"]["inserted"] == 1, errors(api, job["id"])
    assert login(server, app, email, "wrong-password").status_code == 403
    assert "access_token" in tokens(login(server, app, email, PASSWORD))
    # Now bcrypt: an upsert of another custom hash no longer replaces it.
    other = dict(custom_hashes()["sha256"], salt={"value": "other"})
    run_import(
        api,
        [{"email": email, "custom_password_hash": other}],
        connection_id=app.connection_id,
        upsert="true",
    )
    assert "access_token" in tokens(login(server, app, email, PASSWORD))
