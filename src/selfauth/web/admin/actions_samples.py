"""The triggers' names as the dashboard shows them, the starting code of a new action, and
the sample events "Try it" starts from: realistic shapes of what each trigger's `event` holds
(hooks/runner.py builds the real ones), about a user who does not exist (`auth0|sample...`,
example.com)."""

from __future__ import annotations

import json
from typing import Any

TRIGGER_LABELS = {
    "post-login": "Login / Post Login",
    "credentials-exchange": "Machine to Machine",
    "pre-user-registration": "Pre User Registration",
    "post-user-registration": "Post User Registration",
}
HANDLERS = {
    "post-login": "onExecutePostLogin",
    "credentials-exchange": "onExecuteCredentialsExchange",
    "pre-user-registration": "onExecutePreUserRegistration",
    "post-user-registration": "onExecutePostUserRegistration",
}
NEW_CODE = {
    trigger: (
        "/**\n"
        f" * Runs at {trigger}.\n"
        " * @param {Event} event - what happened (event.user, event.client, event.secrets, ...)\n"
        " * @param {API} api - what the action may change\n"
        " */\n"
        f"exports.{handler} = async (event, api) => {{\n"
        "};\n"
    )
    for trigger, handler in HANDLERS.items()
}

_USER: dict[str, Any] = {
    "user_id": "auth0|sample0000000000000001",
    "email": "jane.sample@example.com",
    "email_verified": True,
    "name": "Jane Sample",
    "nickname": "jane.sample",
    "given_name": "Jane",
    "family_name": "Sample",
    "picture": "https://example.com/avatars/jane.png",
    "created_at": "2026-01-15T09:30:00.000Z",
    "updated_at": "2026-03-02T17:05:12.000Z",
    "user_metadata": {"theme": "dark"},
    "app_metadata": {"plan": "pro", "roles": ["editor"]},
    "identities": [
        {
            "provider": "auth0",
            "user_id": "sample0000000000000001",
            "connection": "Username-Password-Authentication",
            "isSocial": False,
        }
    ],
}
_CLIENT = {"client_id": "sampleClientId000000000000000001", "name": "Sample App", "metadata": {}}
_CONNECTION = {
    "id": "con_sample0000000001",
    "name": "Username-Password-Authentication",
    "strategy": "auth0",
    "metadata": {},
}
_REQUEST = {
    "ip": "203.0.113.10",
    "method": "POST",
    "hostname": "login.example.com",
    "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Safari/537.36",
    "language": "en",
    "query": {},
    "body": {},
    "geoip": {},
}
_TENANT = {"id": "sample"}

SAMPLES: dict[str, dict[str, Any]] = {
    "post-login": {
        "user": _USER,
        "client": _CLIENT,
        "connection": _CONNECTION,
        "request": _REQUEST,
        "stats": {"logins_count": 7},
        "tenant": _TENANT,
        "transaction": {
            "protocol": "oidc-basic-profile",
            "requested_scopes": ["openid", "profile", "email"],
        },
        "authentication": {"methods": [{"name": "pwd", "timestamp": "2026-03-02T17:05:12.000Z"}]},
        "authorization": {"roles": []},
        "resource_server": {"identifier": "https://api.example.com/"},
    },
    "credentials-exchange": {
        "client": _CLIENT,
        "request": _REQUEST,
        "resource_server": {"identifier": "https://api.example.com/"},
        "tenant": _TENANT,
        "transaction": {"requested_scopes": ["read:reports"]},
        "accessToken": {"scope": ["read:reports"]},
    },
    "pre-user-registration": {
        "user": {
            "email": "jane.sample@example.com",
            "user_metadata": {},
            "app_metadata": {},
        },
        "client": _CLIENT,
        "connection": _CONNECTION,
        "request": _REQUEST,
        "tenant": _TENANT,
        "transaction": {"protocol": "oauth2-resource-owner"},
    },
    "post-user-registration": {
        "user": _USER,
        "client": _CLIENT,
        "connection": _CONNECTION,
        "request": _REQUEST,
        "tenant": _TENANT,
        "transaction": {"protocol": "oauth2-resource-owner"},
    },
}


def sample_event(trigger: str) -> str:
    return json.dumps(SAMPLES.get(trigger, SAMPLES["post-login"]), indent=2)
