"""Custom database connections (`options.enabledDatabaseCustomization` and
`options.customScripts`), end to end: a legacy user service of the test's own
(tests/support/legacy_users.py: HTTP, its own SQLite table of bcrypt and SHA-256 hashes) and
scripts shaped as Auth0's templates, reaching it with `request`. Without import mode every
login, sign-up, password change, verification, email change and deletion goes through the
scripts; with `import_mode` users move in at their first login and stay when the legacy
service is gone. auth0-python creates the connections, signs up and logs in. Runs on both
databases (the cached profile's insert and refresh are writes of their own)."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from auth0.authentication import Database
from auth0.exceptions import Auth0Error
from auth0.management import Connections

from tests.support.api import PASSWORD, Api, unique_email, user_path
from tests.support.authorize import code_client, code_from, flow, login_page, post_login
from tests.support.browser_client import browser_client
from tests.support.legacy_users import (
    LOGIN_BASIC_AUTH_TEMPLATE,
    LOGIN_WITH_BCRYPT,
    LOGIN_WITH_SHA256,
    SCRIPTS,
    LegacyUsers,
    legacy_users,
)
from tests.support.sdk import domain_of, get_token
from tests.support.server import RunningServer
from tests.support.signin import (
    BRUTE_FORCE_LIMIT,
    GRANTS,
    WRONG,
    WRONG_PASSWORD,
    App,
    assert_too_many,
    login,
    new_client,
    tokens,
)

NEW_PASSWORD = "N3w!Passw0rd-legacy"
_HIDDEN = re.compile(r'<input type="hidden" name="(ticket|csrf)" value="([^"]*)">')


@pytest.fixture(scope="module")
def legacy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LegacyUsers]:
    with legacy_users(tmp_path_factory.mktemp("legacy")) as service:
        yield service


@pytest.fixture
def own_legacy(tmp_path: Path) -> Iterator[LegacyUsers]:
    """A legacy service a test may stop, slow down or start again."""
    with legacy_users(tmp_path) as service:
        yield service


def custom_app(
    server: RunningServer,
    api: Api,
    service: LegacyUsers,
    *,
    scripts: dict[str, str] | None = None,
    allowed: bool = True,
    client: dict[str, Any] | None = None,
    **options: Any,
) -> App:
    """A client (unless given) and a custom database connection to `service` enabled for it,
    made with auth0-python."""
    client = client or new_client(api, grant_types=GRANTS)
    connections = Connections(domain_of(server), server.admin_token(), protocol="http")
    created = connections.create(
        {
            "name": f"legacy-{uuid.uuid4().hex[:12]}",
            "strategy": "auth0",
            "enabled_clients": [client["client_id"]],
            "options": {
                "enabledDatabaseCustomization": True,
                "customScripts": scripts or SCRIPTS,
                "configuration": {"BASE_URL": service.base_url, "API_KEY": "s3cr3t"},
                "allowed_hosts": [service.host] if allowed else [],
                "brute_force_protection": True,
                "passwordPolicy": "fair",
                **options,
            },
        }
    )
    return App(client["client_id"], client["client_secret"], created["name"], created["id"])


def sdk_login(server: RunningServer, app: App, email: str, password: str = PASSWORD) -> Any:
    assert app.client_secret is not None
    return get_token(server, app.client_id, app.client_secret).login(
        email, password, realm=app.connection, scope="openid"
    )


def user_of(api: Api, app: App, email: str) -> dict[str, Any] | None:
    found = api.get("/api/v2/users-by-email", email=email).json()
    mine = [u for u in found if u["identities"][0]["connection"] == app.connection]
    return mine[0] if mine else None


def open_form(browser: httpx.Client, url: str) -> dict[str, str]:
    page = browser.get(url)
    assert page.status_code == 200, page.text
    return dict(_HIDDEN.findall(page.text))


# --- the connection through the Management API --------------------------------------------------


def test_configuration_is_write_only_and_survives_a_round_trip(
    server: RunningServer, api: Api, legacy: LegacyUsers
) -> None:
    app = custom_app(server, api, legacy)
    connections = Connections(domain_of(server), server.admin_token(), protocol="http")
    shown = connections.get(app.connection_id)
    configuration = shown["options"]["configuration"]
    # Auth0 answers the keys with encrypted values, never the values given.
    assert set(configuration) == {"BASE_URL", "API_KEY"}
    assert legacy.base_url not in str(shown) and "s3cr3t" not in str(shown)
    # A GET-modify-PATCH sends the sealed values back: they stay the values first given.
    patched = connections.update(
        app.connection_id, {"options": {**shown["options"], "import_mode": True}}
    )
    assert patched["options"]["import_mode"] is True
    assert patched["options"]["configuration"] == configuration
    email = unique_email("roundtrip")
    legacy.add(email, PASSWORD)
    assert "access_token" in sdk_login(server, app, email)
    # A new value replaces the sealed one: the script now asks a store that is not there.
    moved = {**configuration, "BASE_URL": "http://127.0.0.1:9"}
    connections.update(app.connection_id, {"options": {**shown["options"], "configuration": moved}})
    failed = login(server, app, unique_email("roundtrip"), PASSWORD)
    assert failed.status_code == 403, failed.text
    assert "127.0.0.1:9" in failed.json()["error_description"]


def test_scripts_and_configuration_are_checked_when_saved(api: Api) -> None:
    base = {"name": f"legacy-{uuid.uuid4().hex[:12]}", "strategy": "auth0"}
    for options in (
        {"customScripts": {"login": 5}},
        {"configuration": {"BASE_URL": 5}},
        {"enabledDatabaseCustomization": "yes"},
        {"import_mode": "yes"},
    ):
        response = api.post("/api/v2/connections", {**base, "options": options})
        assert response.status_code == 400, response.text
        assert response.json()["errorCode"] == "invalid_body"


# --- without import mode: the legacy store is the user store -------------------------------------


def test_login_goes_through_the_script_and_caches_the_profile(
    server: RunningServer, api: Api, legacy: LegacyUsers
) -> None:
    app = custom_app(server, api, legacy)
    email = unique_email("legacy")
    legacy_id = legacy.add(email, PASSWORD, plan="gold", language="fr")
    answer = sdk_login(server, app, email)
    assert answer["token_type"] == "Bearer" and "id_token" in answer
    user = api.user(f"auth0|{legacy_id}")
    assert user["email"] == email
    assert user["user_metadata"] == {"language": "fr"}
    assert user["app_metadata"] == {"plan": "gold"}
    assert user["identities"] == [
        {
            "connection": app.connection,
            "provider": "auth0",
            "user_id": str(legacy_id),
            "isSocial": False,
        }
    ]
    # Every login asks the store, and refreshes the cached profile.
    before = legacy.calls.count("login")
    legacy.add(unique_email("other"), PASSWORD)
    with legacy._db() as db:
        db.execute("UPDATE users SET plan = 'platinum' WHERE id = ?", (legacy_id,))
    sdk_login(server, app, email)
    assert legacy.calls.count("login") == before + 1
    assert api.user(f"auth0|{legacy_id}")["app_metadata"] == {"plan": "platinum"}
    assert api.user(f"auth0|{legacy_id}")["logins_count"] == 2
    # The metadata history names the connection whose script brought the change
    history = api.get(f"/api/v2/users/auth0|{legacy_id}/metadata-history").json()
    assert [(h["field"], h["key"], h["old_value"], h["new_value"]) for h in history] == [
        ("app_metadata", "plan", "gold", "platinum")
    ]
    assert history[0]["changed_by"]["type"] == "connection"
    assert history[0]["changed_by"]["name"] == app.connection


def test_a_wrong_password_or_unknown_user_is_auth0s_invalid_grant(
    server: RunningServer, api: Api, legacy: LegacyUsers
) -> None:
    app = custom_app(server, api, legacy)
    email = unique_email("legacy")
    legacy.add(email, PASSWORD, sha256=True)
    wrong = login(server, app, email, WRONG_PASSWORD)
    assert wrong.status_code == 403 and wrong.json() == WRONG
    unknown = login(server, app, unique_email("nobody"), PASSWORD)
    assert unknown.status_code == 403 and unknown.json() == WRONG
    tokens(login(server, app, email, PASSWORD))  # the SHA-256 hash checks out


def test_auth0s_bcrypt_template_checks_the_legacy_hash(
    server: RunningServer, api: Api, legacy: LegacyUsers
) -> None:
    app = custom_app(server, api, legacy, scripts={**SCRIPTS, "login": LOGIN_WITH_BCRYPT})
    email = unique_email("bcrypt")
    legacy_id = legacy.add(email, PASSWORD)
    answer = tokens(login(server, app, email, PASSWORD))
    assert answer["access_token"]
    assert api.user(f"auth0|{legacy_id}")["email"] == email
    assert login(server, app, email, WRONG_PASSWORD).json() == WRONG


def test_auth0s_basic_auth_template_runs_unchanged(
    server: RunningServer, api: Api, legacy: LegacyUsers
) -> None:
    """The template parses the body itself and answers `callback()` for a 401."""
    app = custom_app(server, api, legacy, scripts={**SCRIPTS, "login": LOGIN_BASIC_AUTH_TEMPLATE})
    email = unique_email("template")
    legacy_id = legacy.add(email, PASSWORD)
    assert "id_token" in sdk_login(server, app, email)
    user = api.user(f"auth0|{legacy_id}")
    assert user["email"] == email and user["nickname"] == email.split("@")[0]
    with pytest.raises(Auth0Error) as wrong:
        sdk_login(server, app, email, WRONG_PASSWORD)
    assert wrong.value.status_code == 403 and wrong.value.error_code == "invalid_grant"
    assert wrong.value.message == "Wrong email or password."


def test_a_legacy_sha256_hash_checked_with_crypto_migrates_the_user(
    server: RunningServer, api: Api, own_legacy: LegacyUsers
) -> None:
    app = custom_app(
        server, api, own_legacy, scripts={**SCRIPTS, "login": LOGIN_WITH_SHA256}, import_mode=True
    )
    email = unique_email("sha256")
    legacy_id = own_legacy.add(email, PASSWORD, sha256=True, language="pt")
    assert login(server, app, email, WRONG_PASSWORD).json() == WRONG
    assert "access_token" in sdk_login(server, app, email)
    assert api.user(f"auth0|{legacy_id}")["user_metadata"] == {"language": "pt"}
    own_legacy.stop()  # moved in with our hash: the store is no longer asked
    assert "access_token" in sdk_login(server, app, email)


def test_the_login_page_signs_in_through_the_script_with_auth0s_messages(
    server: RunningServer, api: Api, legacy: LegacyUsers
) -> None:
    client = code_client(api, "regular_web")
    app = custom_app(
        server, api, legacy, client={"client_id": client.client_id, "client_secret": client.secret}
    )
    broken = custom_app(
        server,
        api,
        legacy,
        client={"client_id": client.client_id, "client_secret": client.secret},
        scripts={**SCRIPTS, "login": "function login(e, p, cb) { cb(new Error('db down')); }"},
    )
    email = unique_email("page")
    legacy.add(email, PASSWORD)
    with browser_client(base_url=server.base_url, timeout=30, follow_redirects=False) as browser:
        f = flow(client, app.connection)
        wrong = post_login(browser, login_page(browser, f), email, WRONG_PASSWORD)
        assert wrong.status_code in (400, 401, 403) and "Wrong email or password." in wrong.text
        failed = post_login(browser, login_page(browser, flow(client, broken.connection)), email)
        assert "Script login failed: db down" in failed.text
        signed_in = post_login(browser, login_page(browser, f), email)
        assert code_from(signed_in, f)


def test_a_script_failure_counts_toward_the_brute_force_block(
    server: RunningServer, api: Api, legacy: LegacyUsers
) -> None:
    app = custom_app(server, api, legacy)
    email = unique_email("legacy")
    legacy.add(email, PASSWORD)
    tokens(login(server, app, email, PASSWORD))  # known from now on
    ip = {"auth0-forwarded-for": "203.0.113.77"}
    for _ in range(BRUTE_FORCE_LIMIT):
        assert login(server, app, email, WRONG_PASSWORD, headers=ip).json() == WRONG
    before = legacy.calls.count("login")
    assert_too_many(login(server, app, email, PASSWORD, headers=ip))
    assert legacy.calls.count("login") == before  # a blocked attempt never reaches the store


def test_a_failing_script_counts_toward_the_brute_force_block(
    server: RunningServer, api: Api, own_legacy: LegacyUsers
) -> None:
    """Not only wrong passwords: a login the script could not answer (the store is down)
    counts as a failed attempt too."""
    app = custom_app(server, api, own_legacy)
    email = unique_email("legacy")
    own_legacy.add(email, PASSWORD)
    tokens(login(server, app, email, PASSWORD))  # known from now on
    own_legacy.stop()
    ip = {"auth0-forwarded-for": "203.0.113.78"}
    for _ in range(BRUTE_FORCE_LIMIT):
        failed = login(server, app, email, PASSWORD, headers=ip)
        assert failed.status_code == 403, failed.text
        assert failed.json()["error_description"].startswith("Script login failed: ")
    assert_too_many(login(server, app, email, PASSWORD, headers=ip))


def test_sign_up_creates_the_user_in_the_legacy_store(
    server: RunningServer, api: Api, legacy: LegacyUsers
) -> None:
    app = custom_app(server, api, legacy)
    email = unique_email("signup")
    database = Database(domain_of(server), app.client_id, protocol="http")
    answer = database.signup(
        email=email, password=PASSWORD, connection=app.connection, user_metadata={"language": "de"}
    )
    assert answer["email"] == email and answer["email_verified"] is False
    row = legacy.row(email)
    assert row is not None and row["language"] == "de"
    assert legacy.checks(email, PASSWORD)
    # The script's `user` is Auth0's: the tenant, the application and the connection named.
    sent = next(body for body in legacy.created if body["email"] == email)
    assert sent == {
        "email": email,
        "language": "de",
        "tenant": urlsplit(server.issuer).hostname,
        "client_id": app.client_id,
        "connection": app.connection,
    }
    assert answer["_id"] == str(row["id"])  # what get_user said
    tokens(login(server, app, email, PASSWORD))
    with pytest.raises(Auth0Error) as again:
        database.signup(email=email, password=PASSWORD, connection=app.connection)
    assert again.value.status_code == 400 and again.value.error_code == "user_exists"


def test_post_users_creates_the_user_through_the_script(
    server: RunningServer, api: Api, legacy: LegacyUsers
) -> None:
    app = custom_app(server, api, legacy)
    email = unique_email("admin-made")
    body = {"connection": app.connection, "email": email, "password": PASSWORD}
    created = api.post("/api/v2/users", body)
    assert created.status_code == 201, created.text
    row = legacy.row(email)
    assert row is not None and created.json()["user_id"] == f"auth0|{row['id']}"
    again = api.post("/api/v2/users", body)
    assert again.status_code == 409, again.text
    assert again.json()["message"] == "The user already exists."


def test_password_change_and_email_change_go_to_the_scripts(
    server: RunningServer, api: Api, legacy: LegacyUsers
) -> None:
    app = custom_app(server, api, legacy)
    email = unique_email("legacy")
    legacy_id = legacy.add(email, PASSWORD)
    tokens(login(server, app, email, PASSWORD))
    user_id = f"auth0|{legacy_id}"
    changed = api.patch(user_path(user_id), {"password": NEW_PASSWORD})
    assert changed.status_code == 200, changed.text
    assert legacy.checks(email, NEW_PASSWORD) and not legacy.checks(email, PASSWORD)
    tokens(login(server, app, email, NEW_PASSWORD))
    assert login(server, app, email, PASSWORD).json() == WRONG
    new_email = unique_email("moved")
    moved = api.patch(user_path(user_id), {"email": new_email})
    assert moved.status_code == 200, moved.text
    assert legacy.row(email) is None and legacy.row(new_email) is not None
    tokens(login(server, app, new_email, NEW_PASSWORD))


def test_reset_link_and_verification_link_go_to_the_scripts(
    server: RunningServer, api: Api, legacy: LegacyUsers
) -> None:
    app = custom_app(server, api, legacy)
    email = unique_email("legacy")
    legacy_id = legacy.add(email, PASSWORD)
    tokens(login(server, app, email, PASSWORD))
    user_id = f"auth0|{legacy_id}"
    with browser_client(base_url=server.base_url, timeout=30) as browser:
        url = api.post("/api/v2/tickets/password-change", {"user_id": user_id}).json()["ticket"]
        fields = open_form(browser, url)
        done = browser.post(
            "/u/reset-password",
            data={**fields, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        )
        assert done.status_code == 200, done.text
        assert legacy.checks(email, NEW_PASSWORD)
        url = api.post("/api/v2/tickets/email-verification", {"user_id": user_id}).json()["ticket"]
        verified = browser.post("/u/email-verification", data=open_form(browser, url))
        assert verified.status_code == 200, verified.text
    row = legacy.row(email)
    assert row is not None and row["email_verified"] == 1
    assert api.user(user_id)["email_verified"] is True


def test_delete_goes_to_the_script_with_the_id_without_prefix(
    server: RunningServer, api: Api, legacy: LegacyUsers
) -> None:
    app = custom_app(server, api, legacy)
    email = unique_email("legacy")
    legacy_id = legacy.add(email, PASSWORD)
    tokens(login(server, app, email, PASSWORD))
    deleted = api.delete(user_path(f"auth0|{legacy_id}"))
    assert deleted.status_code == 204, deleted.text
    assert legacy.row(email) is None
    assert api.get(user_path(f"auth0|{legacy_id}")).status_code == 404
    assert login(server, app, email, PASSWORD).json() == WRONG


def test_an_unauthorized_error_reaches_the_user_with_its_message(
    server: RunningServer, api: Api, legacy: LegacyUsers
) -> None:
    refusing = """function login(email, password, callback) {
      callback(new UnauthorizedError('Your account is suspended, call us.'));
    }"""
    app = custom_app(server, api, legacy, scripts={**SCRIPTS, "login": refusing})
    answer = login(server, app, unique_email("suspended"), PASSWORD)
    assert answer.status_code == 401, answer.text
    assert answer.json() == {
        "error": "unauthorized",
        "error_description": "Your account is suspended, call us.",
    }


def test_a_script_error_fails_the_login_naming_the_script(
    server: RunningServer, api: Api, legacy: LegacyUsers
) -> None:
    throwing = """function login(email, password, callback) {
      throw new Error('the legacy driver is missing');
    }"""
    app = custom_app(server, api, legacy, scripts={**SCRIPTS, "login": throwing})
    answer = login(server, app, unique_email("legacy"), PASSWORD)
    assert answer.status_code == 403, answer.text
    body = answer.json()
    assert body["error"] == "access_denied"
    assert body["error_description"].startswith("Script login failed: ")
    assert "the legacy driver is missing" in body["error_description"]


def test_a_profile_with_overlong_attributes_keeps_only_what_fits(
    server: RunningServer, api: Api, legacy: LegacyUsers
) -> None:
    """A script may answer anything: values longer than the users table holds are left out,
    never a database error (PostgreSQL refuses them) and never cut."""
    generous = """function login(email, password, callback) {
      callback(null, {user_id: 'long-' + email, email: email, name: 'n'.repeat(5000),
                      given_name: 'g'.repeat(151), nickname: 'nick', phone_number: '1'.repeat(40),
                      user_metadata: {kept: true}});
    }"""
    app = custom_app(server, api, legacy, scripts={**SCRIPTS, "login": generous})
    email = unique_email("long")
    answer = login(server, app, email, PASSWORD)
    assert answer.status_code == 200, answer.text
    user = user_of(api, app, email)
    assert user is not None
    assert user["name"] == email and user["nickname"] == "nick"
    assert "given_name" not in user and "phone_number" not in user
    assert user["user_metadata"] == {"kept": True}


def test_a_user_id_that_changes_fails_the_login_naming_the_script(
    server: RunningServer, api: Api, legacy: LegacyUsers
) -> None:
    """A store whose ids changed gives a cached user (the same email) another user_id: the
    login fails naming the script, as any script fault does (it answered 409 before)."""
    app = custom_app(server, api, legacy)
    email = unique_email("renumbered")
    legacy_id = legacy.add(email, PASSWORD)
    tokens(login(server, app, email, PASSWORD))
    with legacy._db() as db:
        db.execute("UPDATE users SET id = ? WHERE id = ?", (legacy_id + 1, legacy_id))
    answer = login(server, app, email, PASSWORD)
    assert answer.status_code == 403, answer.text
    assert answer.json()["error"] == "access_denied"
    description = answer.json()["error_description"]
    assert description.startswith("Script login failed: ") and app.connection in description
    assert api.user(f"auth0|{legacy_id}")["email"] == email  # the cached user is untouched
    assert api.get(user_path(f"auth0|{legacy_id + 1}")).status_code == 404


def test_a_host_not_in_allowed_hosts_fails_cleanly(
    server: RunningServer, api: Api, legacy: LegacyUsers
) -> None:
    app = custom_app(server, api, legacy, allowed=False)
    email = unique_email("legacy")
    legacy.add(email, PASSWORD)
    before = legacy.calls.count("login")
    answer = login(server, app, email, PASSWORD)
    assert answer.status_code == 403, answer.text
    description = answer.json()["error_description"]
    assert description.startswith("Script login failed: ") and legacy.host in description
    assert legacy.calls.count("login") == before


def test_a_stopped_legacy_service_fails_logins_cleanly(
    server: RunningServer, api: Api, own_legacy: LegacyUsers
) -> None:
    app = custom_app(server, api, own_legacy)
    email = unique_email("legacy")
    own_legacy.add(email, PASSWORD)
    own_legacy.stop()
    answer = login(server, app, email, PASSWORD)
    assert answer.status_code == 403, answer.text
    assert answer.json()["error"] == "access_denied"
    assert answer.json()["error_description"].startswith("Script login failed: ")


@pytest.mark.solo
def test_a_slow_legacy_service_fails_logins_within_the_limit(
    server: RunningServer, api: Api, own_legacy: LegacyUsers
) -> None:
    app = custom_app(server, api, own_legacy)
    email = unique_email("legacy")
    own_legacy.add(email, PASSWORD)
    own_legacy.slow_seconds = 30
    started = time.monotonic()
    answer = login(server, app, email, PASSWORD)
    elapsed = time.monotonic() - started
    assert answer.status_code == 403, answer.text
    assert answer.json()["error_description"].startswith("Script login failed: ")
    assert elapsed < 15  # the script's limit (5 s) or the request's (10 s), not the store's
    own_legacy.slow_seconds = 0


# --- import mode: lazy migration ---------------------------------------------------------------


def test_lazy_migration_moves_a_user_in_at_the_first_login(
    server: RunningServer, api: Api, own_legacy: LegacyUsers
) -> None:
    app = custom_app(server, api, own_legacy, import_mode=True)
    email = unique_email("migrating")
    legacy_id = own_legacy.add(email, PASSWORD, sha256=True, plan="gold", language="fr")
    waiting = unique_email("waiting")
    own_legacy.add(waiting, PASSWORD)
    answer = sdk_login(server, app, email)
    assert "access_token" in answer
    user = api.user(f"auth0|{legacy_id}")
    assert user["user_metadata"] == {"language": "fr"}
    assert user["app_metadata"] == {"plan": "gold"}
    own_legacy.stop()  # the old application is gone: migrated users still sign in
    calls = len(own_legacy.calls)
    assert "access_token" in sdk_login(server, app, email)
    assert login(server, app, email, WRONG_PASSWORD).json() == WRONG
    assert len(own_legacy.calls) == calls
    # How many have moved: the connection's users, counted by a search.
    found = api.get(
        "/api/v2/users",
        q=f'identities.connection:"{app.connection}"',
        include_totals="true",
        search_engine="v3",
    ).json()
    assert found["total"] == 1 and found["users"][0]["email"] == email
    # A user not moved yet cannot sign in while the store is down.
    assert login(server, app, waiting, PASSWORD).status_code == 403


def test_import_mode_signup_refuses_a_legacy_email_and_keeps_new_users_here(
    server: RunningServer, api: Api, legacy: LegacyUsers
) -> None:
    app = custom_app(server, api, legacy, import_mode=True)
    taken = unique_email("legacy")
    legacy.add(taken, PASSWORD)
    database = Database(domain_of(server), app.client_id, protocol="http")
    with pytest.raises(Auth0Error) as refused:
        database.signup(email=taken, password=PASSWORD, connection=app.connection)
    assert refused.value.error_code == "user_exists"
    fresh = unique_email("fresh")
    creates = legacy.calls.count("create")
    database.signup(email=fresh, password=PASSWORD, connection=app.connection)
    assert legacy.row(fresh) is None and legacy.calls.count("create") == creates
    tokens(login(server, app, fresh, PASSWORD))


def test_import_mode_reset_finds_a_user_not_moved_yet(
    server: RunningServer, api: Api, own_legacy: LegacyUsers
) -> None:
    app = custom_app(server, api, own_legacy, import_mode=True)
    email = unique_email("forgetful")
    legacy_id = own_legacy.add(email, PASSWORD, language="it")
    database = Database(domain_of(server), app.client_id, protocol="http")
    assert "email" in database.change_password(email=email, connection=app.connection)
    user = user_of(api, app, email)
    assert user is not None and user["user_id"] == f"auth0|{legacy_id}"
    assert user["user_metadata"] == {"language": "it"}
    # The reset sets a password here; the store is no longer needed.
    with browser_client(base_url=server.base_url, timeout=30) as browser:
        url = api.post("/api/v2/tickets/password-change", {"user_id": user["user_id"]}).json()[
            "ticket"
        ]
        done = browser.post(
            "/u/reset-password",
            data={**open_form(browser, url), "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        )
        assert done.status_code == 200, done.text
    own_legacy.stop()
    tokens(login(server, app, email, NEW_PASSWORD))
    # A migrated user's password change and deletion stay here.
    assert api.patch(user_path(user["user_id"]), {"password": PASSWORD}).status_code == 200
    tokens(login(server, app, email, PASSWORD))
    assert api.delete(user_path(user["user_id"])).status_code == 204
