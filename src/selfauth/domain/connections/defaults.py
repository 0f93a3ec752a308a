"""The defaults Auth0 writes into a database connection's options, as its answers show them.

A create fills more than an update: Auth0's answer to a PATCH that replaces `options` brings
back `authentication_methods`, `brute_force_protection` and `passkey_options`, not `mfa`,
`passwordPolicy` or `strategy_version`. Keys the client sent are never changed.
"""

from __future__ import annotations

import copy
from typing import Any

_ALWAYS: dict[str, Any] = {
    "authentication_methods": {
        "passkey": {"enabled": False},
        "password": {"api_behavior": "required", "enabled": True, "signup_behavior": "allow"},
    },
    "brute_force_protection": True,
    "passkey_options": {
        "challenge_ui": "both",
        "local_enrollment_enabled": True,
        "progressive_enrollment_enabled": True,
    },
}
_ON_CREATE: dict[str, Any] = {
    "mfa": {"active": True, "return_enroll_settings": True},
    "strategy_version": 2,
}
# Filled key by key inside `password_options`: a client may send part of a section.
_PASSWORD_OPTIONS: dict[str, dict[str, Any]] = {
    "complexity": {
        "character_type_rule": "all",
        "character_types": [],
        "identical_characters": "allow",
        "max_length_exceeded": "error",
        "min_length": 15,
        "sequential_characters": "allow",
    },
    "dictionary": {"active": False, "custom": [], "default": "en_100k"},
    "history": {"active": False, "size": 3},
    "profile_data": {
        "active": False,
        "blocked_fields": [
            "name",
            "username",
            "nickname",
            "email",
            "phone_number",
            "user_metadata.name",
            "user_metadata.first",
            "user_metadata.last",
        ],
    },
}
_EMAIL_ATTRIBUTE = {"unique": True, "verification_method": "link"}


def with_database_defaults(options: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    filled = dict(options)
    defaults = {**_ALWAYS, **_ON_CREATE} if creating else _ALWAYS
    for key, value in defaults.items():
        filled.setdefault(key, copy.deepcopy(value))
    # The flexible password policy replaces the legacy strength level (Auth0 omits it then).
    if creating and "password_options" not in filled:
        filled.setdefault("passwordPolicy", "good")
    password_options = filled.get("password_options")
    if isinstance(password_options, dict):
        filled["password_options"] = _filled_sections(password_options)
    attributes = filled.get("attributes")
    if isinstance(attributes, dict) and isinstance(attributes.get("email"), dict):
        email = {**copy.deepcopy(_EMAIL_ATTRIBUTE), **attributes["email"]}
        filled["attributes"] = {**attributes, "email": email}
    return filled


def _filled_sections(given: dict[str, Any]) -> dict[str, Any]:
    filled = dict(given)
    for section, defaults in _PASSWORD_OPTIONS.items():
        current = given.get(section)
        mine = current if isinstance(current, dict) else {}
        filled[section] = {**copy.deepcopy(defaults), **mine}
    return filled
