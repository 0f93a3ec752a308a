"""The rules of custom database connections in pure Python: which connections run scripts,
`options.configuration` sealed and opened, and how a script's profile becomes a user."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pytest

from selfauth.domain.connections.custom_database import (
    ConfigurationBox,
    customized,
    import_mode,
    script,
    scripted,
)
from selfauth.domain.connections.model import Connection
from selfauth.domain.users.legacy import ScriptError, local_id, new_legacy_user, refreshed

NOW = datetime(2026, 12, 6, tzinfo=UTC)
KEY = secrets.token_bytes(32)


def connection(**options: object) -> Connection:
    return Connection(
        id="con_0123456789abcdef", name="legacy", strategy="auth0", created_at=NOW, options=options
    )


def test_scripts_run_only_with_database_customization_on() -> None:
    scripts = {"login": "function login(e, p, cb) {}", "get_user": "  "}
    off = connection(customScripts=scripts)
    on = connection(customScripts=scripts, enabledDatabaseCustomization=True)
    migrating = connection(
        customScripts=scripts, enabledDatabaseCustomization=True, import_mode=True
    )
    assert not customized(off) and customized(on) and customized(migrating)
    assert not import_mode(on) and import_mode(migrating)
    assert script(on, "login") and script(on, "get_user") is None  # blank is none
    assert scripted(on, "delete") and not scripted(migrating, "delete")
    social = Connection(
        id="con_x", name="x", strategy="oauth2", created_at=NOW, options={"import_mode": True}
    )
    assert not customized(social)


def test_configuration_is_sealed_kept_when_sent_back_and_opened_for_scripts() -> None:
    box = ConfigurationBox(KEY)
    sealed = box.sealed_options({"configuration": {"API_KEY": "s3cr3t", "GONE": None}, "x": 1})
    values = sealed["configuration"]
    assert set(values) == {"API_KEY"} and "s3cr3t" not in values["API_KEY"] and sealed["x"] == 1
    again = box.sealed_options(sealed)  # a GET-modify-PATCH round trip
    assert again["configuration"] == values
    assert box.opened(connection(**again)) == {"API_KEY": "s3cr3t"}
    # Another server's key (or another label's) opens nothing; a plain value is not opened.
    assert ConfigurationBox(secrets.token_bytes(32)).opened(connection(**again)) == {}
    assert box.opened(connection(configuration={"API_KEY": "plain"})) == {}


def test_a_profile_becomes_a_user_under_auth0s_id() -> None:
    profile = {
        "user_id": "auth0|42",
        "email": " Ada@Example.COM ",
        "email_verified": True,
        "user_metadata": {"language": "fr"},
        "app_metadata": {"plan": "gold"},
    }
    user = new_legacy_user(connection(), "login", profile, NOW, "hash")
    assert user.user_id == "auth0|42" and user.email == "ada@example.com" and user.email_verified
    assert user.nickname == "ada" and user.name == "ada@example.com"
    assert user.identities == [
        {"connection": "legacy", "provider": "auth0", "user_id": "42", "isSocial": False}
    ]
    assert user.user_metadata == {"language": "fr"} and user.password_hash == "hash"
    assert local_id("login", {"user_id": 7}) == "7"
    for bad in ({}, {"user_id": ""}, {"user_id": True}, {"user_id": "auth0|"}):
        with pytest.raises(ScriptError):
            local_id("login", bad)


def test_a_later_login_refreshes_what_the_script_returns_and_keeps_the_rest() -> None:
    first = new_legacy_user(
        connection(),
        "login",
        {"user_id": 1, "email": "a@example.com", "user_metadata": {"a": 1}},
        NOW,
        None,
    )
    later = NOW + timedelta(days=1)
    updated = refreshed(first, {"user_id": 1, "email": "b@example.com"}, later, None)
    assert updated.email == "b@example.com" and updated.user_metadata == {"a": 1}
    assert updated.updated_at == later and updated.password_hash is None
    replaced = refreshed(first, {"user_id": 1, "app_metadata": {"plan": "x"}}, later, "h")
    assert replaced.app_metadata == {"plan": "x"} and replaced.password_hash == "h"


def test_a_script_error_names_its_script_once() -> None:
    thrown = ScriptError("login", "The login script failed: boom")
    assert thrown.described() == "Script login failed: boom"
    answered = ScriptError("create", "exists", "ValidationError", "user_exists")
    assert answered.user_exists and answered.described() == "Script create failed: exists"
