"""The connections section's forms turned into the bodies the Management API takes, and back.

A form never becomes a connection by itself: these functions only build the dict a
`POST`/`PATCH /api/v2/connections` body would hold (`options` starting from what is stored, so
keys the form does not show are sent back unchanged, since a PATCH replaces `options` whole);
connections.py and connections_edit.py validate it with the router's own models and hand it to
the connection service. Secrets are write-only: a blank secret field keeps the stored value."""

from __future__ import annotations

import copy
import re
from typing import Any

from selfauth.domain.connections.custom_database import SCRIPT_NAMES, customized
from selfauth.domain.connections.model import (
    DATABASE_STRATEGY,
    ENTERPRISE_STRATEGIES,
    OAUTH2_STRATEGY,
    OIDC_STRATEGY,
    Connection,
    not_for_sign_in,
)
from selfauth.domain.connections.password_policy import CHARACTER_TYPES, LEVELS
from selfauth.domain.connections.social_presets import SOCIAL_STRATEGIES, preset_for
from selfauth.domain.connections.upstream_oauth2 import oauth2_settings
from selfauth.domain.connections.upstream_oidc import NotReady, oidc_settings

KINDS = ("Database", "Custom database", "Social", "Enterprise / OIDC", "Custom OAuth2")
PASSWORDLESS = frozenset({"email", "sms"})
SYNC_POLICIES = (
    (
        "on_each_login",
        "At each login (default)",
        "Name, nickname, given and family name and picture are overwritten from the provider "
        "at every login; a PATCH of them through /api/v2/users is refused.",
    ),
    (
        "on_first_login",
        "On the first login only",
        "They are set when the user is first created, then left alone: an administrator or a "
        "PATCH may change them.",
    ),
    (
        "never_on_login",
        "Never",
        "The provider's values are never copied into the profile; they are editable.",
    ),
)
POLICY_LEVELS = LEVELS
CHARACTER_TYPE_NAMES = {
    "lowercase": "Lower case",
    "uppercase": "Upper case",
    "number": "Numbers",
    "special": "Special characters",
}
NEW_CONFIGURATION_ROWS = 2
_PROPERTY = re.compile(r"(?:on property |options\.)([A-Za-z0-9_.\[\]]+?)\.?$")


def kind_of(connection: Connection) -> str:
    if connection.is_database:
        return "Custom database" if customized(connection) else "Database"
    if connection.strategy == OAUTH2_STRATEGY:
        return "Custom OAuth2"
    if connection.strategy in ENTERPRISE_STRATEGIES:
        return "Enterprise / OIDC"
    if connection.strategy in PASSWORDLESS:
        return "Passwordless"
    return "Social"


def grouped(connections: list[Connection]) -> list[tuple[str, list[Connection]]]:
    groups: dict[str, list[Connection]] = {}
    for connection in sorted(connections, key=lambda c: c.name.casefold()):
        groups.setdefault(kind_of(connection), []).append(connection)
    order = (*KINDS, "Passwordless")
    return [(kind, groups[kind]) for kind in order if kind in groups]


def readiness(connection: Connection) -> str | None:
    """Why the connection cannot sign anyone in yet (what /authorize would say), or None."""
    if connection.is_database:
        return None
    try:
        if connection.strategy == OIDC_STRATEGY:
            oidc_settings(connection)
        elif connection.strategy == OAUTH2_STRATEGY:
            oauth2_settings(connection)
        elif connection.strategy in SOCIAL_STRATEGIES:
            preset = preset_for(connection.strategy)
            if preset is not None and preset.kind == "oauth2":
                oauth2_settings(connection)
            else:
                oidc_settings(connection)
        else:
            return not_for_sign_in(connection)
    except NotReady as exc:
        return str(exc)
    return None


def field_of(message: str, known: set[str]) -> str | None:
    """The form field an API error names (`... on property options.tokenURL.`), if shown."""
    found = _PROPERTY.search(message)
    if found is None:
        return None
    path = found.group(1).removeprefix("options.")
    head = path.split(".")[0]
    aliases = {
        "passwordPolicy": "passwordPolicy",
        "password_complexity_options": "min_length",
        "password_options": "flex_min_length",
        "set_user_root_attributes": "sync",
        "scripts": "fetchUserProfile",
        "configuration": "configuration",
    }
    if head == "customScripts":
        parts = path.split(".")
        name = f"script_{parts[1]}" if len(parts) > 1 else "script_login"
        return name if name in known else None
    candidate = aliases.get(head, head)
    return candidate if candidate in known else None


def _text(fields: dict[str, str], name: str) -> str:
    return fields.get(name, "").strip()


def _on(fields: dict[str, str], name: str) -> bool:
    return name in fields


def _set_or_drop(options: dict[str, Any], key: str, value: Any) -> None:
    if value in (None, ""):
        options.pop(key, None)
    else:
        options[key] = value


def _code(fields: dict[str, str], name: str) -> str:
    """A textarea's source as written: browsers send its line breaks as CRLF (HTML's form
    encoding), which the stored script should not gain."""
    return fields.get(name, "").replace("\r\n", "\n")


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _flag(options: dict[str, Any], key: str, on: bool, *, default: bool) -> None:
    """A checkbox's value, written unless the options never named it and it is the default
    (so saving an unchanged page sends back the options it read)."""
    if key in options or on != default:
        options[key] = on


def _integer(value: str) -> int | str:
    """A whole number as an int; anything else as typed, so the API's model refuses it."""
    return int(value) if re.fullmatch(r"-?\d{1,6}", value) else value


# --- creating -----------------------------------------------------------------------------


def create_body(kind: str, fields: dict[str, str]) -> dict[str, Any]:
    """The POST /api/v2/connections body a create form stands for."""
    body: dict[str, Any] = {"name": _text(fields, "name")}
    if _text(fields, "display_name"):
        body["display_name"] = _text(fields, "display_name")
    if kind == "database":
        body["strategy"] = DATABASE_STRATEGY
        options: dict[str, Any] = {}
        if _on(fields, "disable_signup"):
            options["disable_signup"] = True
        if _on(fields, "requires_username"):
            options["requires_username"] = True
        if _text(fields, "passwordPolicy"):
            level = _text(fields, "passwordPolicy")
        if "passwordPolicy" in options or level != "good":  # good: the level when none is named
            options["passwordPolicy"] = level
        body["options"] = options
    elif kind == "oidc":
        body["strategy"] = OIDC_STRATEGY
        options = upstream_options({}, OIDC_STRATEGY, fields)
        options["type"] = _text(fields, "type") or "back_channel"  # named, as Auth0's form does
        body["options"] = options
    else:
        body["strategy"] = OAUTH2_STRATEGY
        body["options"] = upstream_options({}, OAUTH2_STRATEGY, fields)
    return body


# --- the connection page ------------------------------------------------------------------


def upstream_options(
    current: dict[str, Any], strategy: str, fields: dict[str, str]
) -> dict[str, Any]:
    """An upstream connection's settings over its stored options; a blank secret keeps it."""
    options = copy.deepcopy(current)
    _set_or_drop(options, "client_id", _text(fields, "client_id"))
    secret = fields.get("client_secret", "")
    if secret:
        options["client_secret"] = secret
    if strategy == OIDC_STRATEGY:
        for key in ("discovery_url", "issuer", "scope"):
            _set_or_drop(options, key, _text(fields, key))
        kind = _text(fields, "type") or "back_channel"
        if "type" in options or kind != "back_channel":  # back_channel: the default
            options["type"] = kind
    elif strategy == OAUTH2_STRATEGY:
        for key in ("authorizationURL", "tokenURL", "scope"):
            _set_or_drop(options, key, _text(fields, key))
        scripts = dict(_object(options.get("scripts")))
        code = _code(fields, "fetchUserProfile")
        if code.strip():
            scripts["fetchUserProfile"] = code
        else:
            scripts.pop("fetchUserProfile", None)
        options["scripts"] = scripts
    return options


def database_options(current: dict[str, Any], fields: dict[str, str]) -> dict[str, Any]:
    options = copy.deepcopy(current)
    for key in ("disable_signup", "requires_username"):
        _flag(options, key, _on(fields, key), default=False)
    _flag(options, "brute_force_protection", _on(fields, "brute_force_protection"), default=True)
    if fields.get("password_mode") == "flexible":
        options.pop("passwordPolicy", None)
        options.pop("password_complexity_options", None)
        options["password_options"] = _password_options(options.get("password_options"), fields)
    else:
        options.pop("password_options", None)
        level = _text(fields, "passwordPolicy")
        if "passwordPolicy" in options or level != "good":  # good: the level when none is named
            options["passwordPolicy"] = level
        min_length = _text(fields, "min_length")
        if min_length:
            options["password_complexity_options"] = {"min_length": _integer(min_length)}
        else:
            options.pop("password_complexity_options", None)
    for key in ("enabledDatabaseCustomization", "import_mode"):
        _flag(options, key, _on(fields, key), default=False)
    scripts = {
        name: _code(fields, f"script_{name}")
        for name in SCRIPT_NAMES
        if fields.get(f"script_{name}", "").strip()
    }
    stored = options.get("customScripts")
    if isinstance(stored, dict):  # scripts the form does not show (change_username...) stay
        scripts = {**{k: v for k, v in stored.items() if k not in SCRIPT_NAMES}, **scripts}
    _set_or_drop(options, "customScripts", scripts or None)
    configuration = _configuration(options.get("configuration"), fields)
    _set_or_drop(options, "configuration", configuration or None)
    hosts = [line.strip() for line in fields.get("allowed_hosts", "").splitlines() if line.strip()]
    _set_or_drop(options, "allowed_hosts", hosts or None)
    return options


def _password_options(stored: Any, fields: dict[str, str]) -> dict[str, Any]:
    flexible = copy.deepcopy(stored) if isinstance(stored, dict) else {}
    complexity = dict(flexible.get("complexity") or {})
    min_length = _text(fields, "flex_min_length")
    if min_length:
        complexity["min_length"] = _integer(min_length)
    complexity["character_types"] = [t for t in CHARACTER_TYPES if _on(fields, f"char_{t}")]
    complexity["character_type_rule"] = "three_of_four" if _on(fields, "three_of_four") else "all"
    complexity["identical_characters"] = "block" if _on(fields, "block_identical") else "allow"
    complexity["sequential_characters"] = "block" if _on(fields, "block_sequential") else "allow"
    flexible["complexity"] = complexity
    dictionary = dict(flexible.get("dictionary") or {})
    dictionary["active"] = _on(fields, "dictionary_active")
    dictionary["custom"] = [
        w.strip() for w in fields.get("dictionary_custom", "").splitlines() if w.strip()
    ]
    flexible["dictionary"] = dictionary
    return flexible


def configuration_keys(options: dict[str, Any]) -> list[str]:
    stored = options.get("configuration")
    return sorted(stored) if isinstance(stored, dict) else []


def _configuration(stored: Any, fields: dict[str, str]) -> dict[str, str | None]:
    """Stored keys keep their sealed value unless a new one is typed or they are removed; new
    rows add keys. A new key without a value names nothing to keep and is refused."""
    kept: dict[str, str | None] = {}
    current = stored if isinstance(stored, dict) else {}
    for key, value in current.items():
        if _on(fields, f"config_remove::{key}"):
            continue
        typed = fields.get(f"config_value::{key}", "")
        kept[key] = typed if typed else value
    for index in range(NEW_CONFIGURATION_ROWS):
        key = _text(fields, f"config_new_key_{index}")
        value = fields.get(f"config_new_value_{index}", "")
        if not key and not value:
            continue
        if not key or not value:
            raise MissingConfigurationValue
        kept[key] = value
    return kept


class MissingConfigurationValue(ValueError):
    """A configuration row with a key and no value (or a value and no key)."""


def database_form(connection: Connection) -> dict[str, Any]:
    """What the connection page's fields show for stored options (never a secret)."""
    options = connection.options
    flexible = options.get("password_options")
    complexity = flexible.get("complexity", {}) if isinstance(flexible, dict) else {}
    dictionary = flexible.get("dictionary", {}) if isinstance(flexible, dict) else {}
    legacy = options.get("password_complexity_options")
    scripts = _object(options.get("customScripts"))
    hosts = options.get("allowed_hosts")
    return {
        "disable_signup": options.get("disable_signup") is True,
        "requires_username": options.get("requires_username") is True,
        "brute_force_protection": options.get("brute_force_protection") is not False,
        "password_mode": "flexible" if isinstance(flexible, dict) else "level",
        "passwordPolicy": options.get("passwordPolicy") or "good",
        "min_length": str(legacy.get("min_length", "")) if isinstance(legacy, dict) else "",
        "flex_min_length": str(complexity.get("min_length", 15)),
        "character_types": list(complexity.get("character_types") or []),
        "three_of_four": complexity.get("character_type_rule") == "three_of_four",
        "block_identical": complexity.get("identical_characters") == "block",
        "block_sequential": complexity.get("sequential_characters") == "block",
        "dictionary_active": dictionary.get("active") is True,
        "dictionary_custom": "\n".join(str(w) for w in dictionary.get("custom") or []),
        "enabledDatabaseCustomization": options.get("enabledDatabaseCustomization") is True,
        "import_mode": options.get("import_mode") is True,
        "scripts": {name: str(scripts.get(name) or "") for name in SCRIPT_NAMES},
        "allowed_hosts": "\n".join(str(h) for h in hosts) if isinstance(hosts, list) else "",
    }


def typed_database_form(fields: dict[str, str]) -> dict[str, Any]:
    """The same, from what was typed, to show it again next to the server's error."""
    return {
        "disable_signup": _on(fields, "disable_signup"),
        "requires_username": _on(fields, "requires_username"),
        "brute_force_protection": _on(fields, "brute_force_protection"),
        "password_mode": fields.get("password_mode", "level"),
        "passwordPolicy": fields.get("passwordPolicy", ""),
        "min_length": fields.get("min_length", ""),
        "flex_min_length": fields.get("flex_min_length", ""),
        "character_types": [t for t in CHARACTER_TYPES if _on(fields, f"char_{t}")],
        "three_of_four": _on(fields, "three_of_four"),
        "block_identical": _on(fields, "block_identical"),
        "block_sequential": _on(fields, "block_sequential"),
        "dictionary_active": _on(fields, "dictionary_active"),
        "dictionary_custom": fields.get("dictionary_custom", ""),
        "enabledDatabaseCustomization": _on(fields, "enabledDatabaseCustomization"),
        "import_mode": _on(fields, "import_mode"),
        "scripts": {name: fields.get(f"script_{name}", "") for name in SCRIPT_NAMES},
        "allowed_hosts": fields.get("allowed_hosts", ""),
    }


def upstream_form(connection: Connection) -> dict[str, str]:
    options = connection.options
    scripts = _object(options.get("scripts"))
    scope = options.get("scope")
    return {
        "client_id": str(options.get("client_id") or ""),
        "discovery_url": str(options.get("discovery_url") or ""),
        "issuer": str(options.get("issuer") or ""),
        "scope": " ".join(scope) if isinstance(scope, list) else str(scope or ""),
        "type": str(options.get("type") or "back_channel"),
        "authorizationURL": str(options.get("authorizationURL") or ""),
        "tokenURL": str(options.get("tokenURL") or ""),
        "fetchUserProfile": str(scripts.get("fetchUserProfile") or ""),
    }


def has_secret(connection: Connection) -> bool:
    secret = connection.options.get("client_secret")
    return isinstance(secret, str) and bool(secret)
