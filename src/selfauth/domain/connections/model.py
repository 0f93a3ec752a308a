"""The connection aggregate and the validation of its options."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from selfauth.domain.connections.allowed_hosts import BadHost, check_allowed_hosts
from selfauth.domain.connections.password_policy import LEVELS, MAX_PASSWORD_BYTES
from selfauth.domain.connections.social_presets import SOCIAL_STRATEGIES
from selfauth.errors import InvalidBody

DATABASE_STRATEGY = "auth0"
OAUTH2_STRATEGY = "oauth2"
OIDC_STRATEGY = "oidc"  # an upstream OpenID Provider (authorization code + PKCE, back channel)
# Auth0's whole strategy enum (NA-req `ConnectionIdentityProviderEnum`). selfauth signs in with
# database connections only; it validates `oauth2` options for the sign-in a later issue brings,
# and stores every other strategy's connection as given, without using it (`signs_in`).
STRATEGIES = (
    "ad",
    "adfs",
    "amazon",
    "apple",
    "dropbox",
    "bitbucket",
    "auth0-oidc",
    DATABASE_STRATEGY,
    "baidu",
    "bitly",
    "box",
    "custom",
    "daccount",
    "dwolla",
    "email",
    "evernote-sandbox",
    "evernote",
    "exact",
    "facebook",
    "fitbit",
    "github",
    "google-apps",
    "google-oauth2",
    "instagram",
    "ip",
    "line",
    "linkedin",
    "oauth1",
    OAUTH2_STRATEGY,
    "office365",
    OIDC_STRATEGY,
    "okta",
    "paypal",
    "paypal-sandbox",
    "pingfederate",
    "planningcenter",
    "salesforce-community",
    "salesforce-sandbox",
    "salesforce",
    "samlp",
    "sharepoint",
    "shopify",
    "shop",
    "sms",
    "soundcloud",
    "thirtysevensignals",
    "twitter",
    "untappd",
    "vkontakte",
    "waad",
    "weibo",
    "windowslive",
    "wordpress",
    "yahoo",
    "yandex",
)
# Enterprise strategies: Auth0 answers `show_as_button` (false unless set) for these only.
ENTERPRISE_STRATEGIES = frozenset(
    {
        "ad",
        "adfs",
        "auth0-adldap",
        "google-apps",
        "ip",
        "office365",
        "oidc",
        "okta",
        "pingfederate",
        "samlp",
        "sharepoint",
        "waad",
    }
)
# Strategies whose users sign in at another provider (flows/upstream_signin.py).
UPSTREAM_STRATEGIES = frozenset({OIDC_STRATEGY, OAUTH2_STRATEGY, *SOCIAL_STRATEGIES})
ROOT_ATTRIBUTE_POLICIES = ("on_each_login", "on_first_login", "never_on_login")
DEFAULT_DATABASE_CONNECTION = "Username-Password-Authentication"
_NAME = re.compile(r"^[a-zA-Z0-9](?:[a-zA-Z0-9]|-(?=[a-zA-Z0-9])){0,127}$")


@dataclass(frozen=True)
class Connection:
    id: str
    name: str
    strategy: str
    created_at: datetime
    options: dict[str, Any] = field(default_factory=dict)
    display_name: str | None = None
    realms: list[str] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)
    is_domain_connection: bool = False
    enabled_clients: list[str] = field(default_factory=list)
    # show_as_button, authentication, connected_accounts, cross_app_access_*: stored and echoed.
    extra_properties: dict[str, Any] = field(default_factory=dict)

    @property
    def is_database(self) -> bool:
        return self.strategy == DATABASE_STRATEGY

    @property
    def signs_in(self) -> bool:
        """Whether selfauth checks passwords for this connection (database ones)."""
        return self.is_database

    @property
    def is_upstream(self) -> bool:
        """Sign-in happens at an upstream provider (`/authorize` sends the browser there;
        `/login/callback` finishes): an `oidc` or `oauth2` connection, or a social preset."""
        return self.strategy in UPSTREAM_STRATEGIES

    @property
    def is_social(self) -> bool:
        """Auth0 calls custom OAuth2 connections and the social providers social (the
        identity's `isSocial`); `oidc` ones are enterprise."""
        return self.strategy in UPSTREAM_STRATEGIES and self.strategy != OIDC_STRATEGY

    @property
    def root_attributes_editable(self) -> bool:
        """Upstream providers own the profile unless the connection stops syncing it."""
        if self.is_database:
            return True
        policy = self.options.get("set_user_root_attributes", "on_each_login")
        return bool(policy != "on_each_login")

    @property
    def requires_username(self) -> bool:
        """`requires_username`, or (flexible identifiers) a username required at sign-up."""
        if self.options.get("requires_username"):
            return True
        status = _nested(self.options, "attributes", "username", "signup", "status")
        return bool(status == "required")


def not_for_sign_in(connection: Connection) -> str:
    """What a sign-in naming a connection selfauth cannot sign in with is told."""
    return (
        f"The connection {connection.name} uses the {connection.strategy} strategy, which "
        "selfauth does not support for sign-in yet (database, oidc, oauth2, google-oauth2, "
        "github, windowslive and apple connections sign in)."
    )


def _nested(value: Any, *keys: str) -> Any:
    """`value[k1][k2]...`, or None where a level is missing or not an object."""
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _bad(message: str, prop: str) -> InvalidBody:
    return InvalidBody(f"Payload validation error: '{message}' on property {prop}.")


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise _bad(
            "String does not match pattern: letters, digits and single inner hyphens, "
            "1-128 characters",
            "name",
        )
    return name


def check_strategy(strategy: str) -> str:
    if strategy not in STRATEGIES:
        raise _bad(f"No enum match for: {strategy}", "strategy")
    return strategy


def check_options(strategy: str, options: dict[str, Any]) -> dict[str, Any]:
    """The rules across keys of the strategies selfauth reads; unknown keys are kept as on Auth0.

    The types of Auth0's documented keys are checked before (`options_schema`); options of
    strategies selfauth does not use are stored as given.
    """
    policy = options.get("set_user_root_attributes")
    if policy is not None and policy not in ROOT_ATTRIBUTE_POLICIES:
        raise _bad(f"No enum match for: {policy}", "options.set_user_root_attributes")
    if strategy == DATABASE_STRATEGY:
        _check_database_options(options)
        _check_allowed_hosts(options)
    elif strategy == OAUTH2_STRATEGY:
        _check_oauth2_options(options)
    return options


def _check_bool(options: dict[str, Any], key: str) -> None:
    if key in options and not isinstance(options[key], bool):
        raise _bad("Expected type boolean", f"options.{key}")


def _check_database_options(options: dict[str, Any]) -> None:
    for key in ("disable_signup", "requires_username", "brute_force_protection", "import_mode"):
        _check_bool(options, key)
    level = options.get("passwordPolicy")
    if level is not None and level not in LEVELS:
        raise _bad(f"No enum match for: {level}", "options.passwordPolicy")
    complexity = options.get("password_complexity_options")
    if complexity is not None:
        min_length = complexity.get("min_length") if isinstance(complexity, dict) else None
        if not isinstance(complexity, dict) or (
            min_length is not None
            and (not isinstance(min_length, int) or isinstance(min_length, bool))
        ):
            raise _bad(
                "Expected an object with integer min_length", "options.password_complexity_options"
            )
        # Auth0 allows up to 128; selfauth refuses passwords over 72 bytes (bcrypt reads no
        # further), so a longer minimum would refuse every password.
        if min_length is not None and not 1 <= min_length <= MAX_PASSWORD_BYTES:
            raise _bad("min_length must be between 1 and 72", "options.password_complexity_options")
    validation = options.get("validation")
    if validation is not None:
        _check_username_bounds(validation)
    if "attributes" in options:
        _check_attributes(options)


def _check_username_bounds(validation: Any) -> None:
    bounds = validation.get("username") if isinstance(validation, dict) else None
    if bounds is None:
        return
    low, high = (
        (bounds.get("min", 1), bounds.get("max", 15)) if isinstance(bounds, dict) else (0, 0)
    )
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (low, high)) or not (
        1 <= low <= high <= 128
    ):
        raise _bad("username min and max must satisfy 1 <= min <= max <= 128", "options.validation")


def _check_attributes(options: dict[str, Any]) -> None:
    """Flexible identifiers (`attributes`) replace `requires_username` and `validation`."""
    for legacy in ("requires_username", "validation"):
        if legacy in options:
            raise InvalidBody(f"Cannot set both options.attributes and options.{legacy}")
    names = ("email", "phone_number", "username")
    if not any(_nested(options, "attributes", n, "identifier", "active") for n in names):
        raise InvalidBody("attributes must contain one active identifier")
    for name in names:
        required = _nested(options, "attributes", name, "profile_required")
        if required and _nested(options, "attributes", name, "signup", "status") == "inactive":
            raise InvalidBody(f"attribute {name} must also be required on signup")


def _check_allowed_hosts(options: dict[str, Any]) -> None:
    if "allowed_hosts" in options:
        try:
            check_allowed_hosts(options["allowed_hosts"])
        except BadHost as exc:
            raise _bad(str(exc), "options.allowed_hosts") from exc


def _check_oauth2_options(options: dict[str, Any]) -> None:
    _check_allowed_hosts(options)
    scripts = options.get("scripts")
    if scripts is not None and not (
        isinstance(scripts, dict) and all(isinstance(v, str) for v in scripts.values())
    ):
        raise _bad("Expected an object of script sources", "options.scripts")
    for key in ("authorizationURL", "tokenURL"):
        if not _is_http_url(options.get(key)):
            raise _bad("Missing or invalid absolute URL", f"options.{key}")
    for key in ("client_id", "client_secret"):
        if not isinstance(options.get(key), str) or not options[key]:
            raise _bad(f"Missing required property: {key}", f"options.{key}")
    scope = options.get("scope")
    if scope is not None and not (
        isinstance(scope, str)
        or (isinstance(scope, list) and all(isinstance(s, str) for s in scope))
    ):
        raise _bad("Expected a string or an array of strings", "options.scope")


def _is_http_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)
