"""Auth0's social strategies (`google-oauth2`, `github`, `windowslive`, `apple`) as presets on
selfauth's two upstream kinds, OpenID Connect and plain OAuth2, and the mapping of each
provider's answers to the profile Auth0 makes of them.

Pure data and functions: the HTTP flow reads a preset for where to send the browser, how to
exchange the code and which profile URLs to GET with the access token, then hands the answers
to `profile_from`. The providers cannot be reached from CI, so the mappings are tested on
recorded answers (`tests/unit/social_answers/`).

Sources (Auth0): the connection option names and their meaning are NA-types
`ConnectionOptionsGoogleOAuth2`, `ConnectionOptionsGitHub`, `ConnectionOptionsWindowsLive`,
`ConnectionOptionsApple`; what Auth0 stores for a connection created without options is in
GO-REC (`google-oauth2`: `email`, `profile` true and `scope: ["email", "profile"]`; `github`:
`scope: []`; `windowslive`: `signin: true`, `scope: []`, `strategy_version: 2`; `apple`: `{}`).
The profiles follow D2 `normalized-user-profile-schema.mdx`, `sample-user-profiles.mdx` and
`verified-email-usage.mdx` (no verification flag from the provider is `email_verified: false`),
and D1 `migrations/guides/liveid-api-deprecation.md` for Microsoft Graph profiles."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import jwt

GOOGLE = "google-oauth2"
GITHUB = "github"
MICROSOFT = "windowslive"
APPLE = "apple"
SOCIAL_STRATEGIES = (GOOGLE, GITHUB, MICROSOFT, APPLE)

Kind = Literal["oidc", "oauth2"]
# How the client authenticates at the token endpoint: its secret in the form body, or (Apple)
# an ES256 JWT made from the connection's `.p8` key, sent as the client secret.
TokenAuth = Literal["client_secret_post", "apple_es256_jwt"]

APPLE_AUDIENCE = "https://appleid.apple.com"
APPLE_SECRET_MAX_SECONDS = 15_777_000  # Apple refuses a client secret valid for over 6 months


class ProfileRefused(ValueError):
    """The provider's answer cannot make a user (no id, or answers about two people); the
    message says so in words the flow can show."""


@dataclass(frozen=True)
class SocialPreset:
    strategy: str
    kind: Kind
    authorization_url: str
    token_url: str
    # OIDC: the ID token's `iss`, whose discovery document and JWKS the flow reads.
    issuer: str | None
    jwks_url: str | None
    # GETs the flow makes, in order, with `Authorization: Bearer {access_token}`.
    profile_urls: tuple[str, ...]
    # The scope asked when the connection's options ask for nothing more.
    default_scope: str
    # Auth0's boolean options that each add a provider scope: (option, scope).
    scope_options: tuple[tuple[str, str], ...]
    token_auth: TokenAuth
    # Headers the token request needs besides the form body.
    token_headers: tuple[tuple[str, str], ...]
    # The options a sign-in cannot do without, and every option the preset reads.
    required_options: tuple[str, ...]
    reads_options: tuple[str, ...]
    is_social: bool = True

    @property
    def discovery_url(self) -> str | None:
        return f"{self.issuer}/.well-known/openid-configuration" if self.issuer else None


_COMMON_OPTIONS = ("client_id", "client_secret", "scope", "freeform_scopes")

_GOOGLE = SocialPreset(
    strategy=GOOGLE,
    kind="oidc",
    authorization_url="https://accounts.google.com/o/oauth2/v2/auth",
    token_url="https://oauth2.googleapis.com/token",  # noqa: S106 (a URL)
    issuer="https://accounts.google.com",
    jwks_url="https://www.googleapis.com/oauth2/v3/certs",
    profile_urls=("https://openidconnect.googleapis.com/v1/userinfo",),
    default_scope="openid email profile",
    scope_options=(("email", "email"), ("profile", "profile")),
    token_auth="client_secret_post",  # noqa: S106 (a method name)
    token_headers=(),
    required_options=("client_id", "client_secret"),
    reads_options=(*_COMMON_OPTIONS, "email", "profile", "offline_access"),
)

# GitHub's scope names, keyed by the boolean option Auth0 stores for each (NA-types
# `ConnectionOptionsGitHub`). `profile` (default true) asks no scope: the public profile is
# readable with any token.
_GITHUB_SCOPES = (
    ("email", "user:email"),
    ("read_user", "read:user"),
    ("follow", "user:follow"),
    ("public_repo", "public_repo"),
    ("repo", "repo"),
    ("repo_deployment", "repo_deployment"),
    ("repo_status", "repo:status"),
    ("delete_repo", "delete_repo"),
    ("notifications", "notifications"),
    ("gist", "gist"),
    ("read_repo_hook", "read:repo_hook"),
    ("write_repo_hook", "write:repo_hook"),
    ("admin_repo_hook", "admin:repo_hook"),
    ("read_org", "read:org"),
    ("write_org", "write:org"),
    ("admin_org", "admin:org"),
    ("read_public_key", "read:public_key"),
    ("write_public_key", "write:public_key"),
    ("admin_public_key", "admin:public_key"),
)
GITHUB_USER_URL = "https://api.github.com/user"
GITHUB_EMAILS_URL = "https://api.github.com/user/emails"

_GITHUB = SocialPreset(
    strategy=GITHUB,
    kind="oauth2",
    authorization_url="https://github.com/login/oauth/authorize",
    token_url="https://github.com/login/oauth/access_token",  # noqa: S106 (a URL)
    issuer=None,
    jwks_url=None,
    profile_urls=(GITHUB_USER_URL, GITHUB_EMAILS_URL),
    default_scope="",
    scope_options=_GITHUB_SCOPES,
    token_auth="client_secret_post",  # noqa: S106 (a method name)
    # GitHub answers the token request form-encoded unless asked for JSON.
    token_headers=(("accept", "application/json"),),
    required_options=("client_id", "client_secret"),
    reads_options=(*_COMMON_OPTIONS, "profile", *(name for name, _ in _GITHUB_SCOPES)),
)

# Microsoft account, Auth0's `strategy_version: 2` (Azure AD v2 for personal accounts, the
# profile from Microsoft Graph); version 1 (Live Connect) is retired by Microsoft.
MICROSOFT_ME_URL = "https://graph.microsoft.com/v1.0/me"
_MICROSOFT_SCOPES = (
    ("signin", "openid"),
    ("offline_access", "offline_access"),
    ("graph_user", "User.Read"),
    ("graph_user_update", "User.ReadWrite"),
    ("graph_calendars", "Calendars.Read"),
    ("graph_calendars_update", "Calendars.ReadWrite"),
    ("graph_contacts", "Contacts.Read"),
    ("graph_contacts_update", "Contacts.ReadWrite"),
    ("graph_emails", "Mail.Read"),
    ("graph_emails_update", "Mail.ReadWrite"),
    ("graph_files", "Files.Read"),
    ("graph_files_update", "Files.ReadWrite"),
    ("graph_files_all", "Files.Read.All"),
    ("graph_files_all_update", "Files.ReadWrite.All"),
    ("graph_notes", "Notes.Read"),
    ("graph_notes_create", "Notes.Create"),
    ("graph_notes_update", "Notes.ReadWrite"),
    ("graph_tasks", "Tasks.Read"),
    ("graph_tasks_update", "Tasks.ReadWrite"),
)

_MICROSOFT = SocialPreset(
    strategy=MICROSOFT,
    kind="oauth2",
    authorization_url="https://login.microsoftonline.com/consumers/oauth2/v2.0/authorize",
    token_url="https://login.microsoftonline.com/consumers/oauth2/v2.0/token",  # noqa: S106 (a URL)
    issuer=None,
    jwks_url=None,
    profile_urls=(MICROSOFT_ME_URL,),
    # `signin` is always true on Auth0; Graph's /me needs User.Read.
    default_scope="openid profile email User.Read",
    scope_options=_MICROSOFT_SCOPES,
    token_auth="client_secret_post",  # noqa: S106 (a method name)
    token_headers=(),
    required_options=("client_id", "client_secret"),
    reads_options=(
        *_COMMON_OPTIONS,
        "strategy_version",
        *(name for name, _ in _MICROSOFT_SCOPES),
    ),
)

_APPLE = SocialPreset(
    strategy=APPLE,
    kind="oidc",
    authorization_url="https://appleid.apple.com/auth/authorize",
    token_url="https://appleid.apple.com/auth/token",  # noqa: S106 (a URL)
    issuer="https://appleid.apple.com",
    jwks_url="https://appleid.apple.com/auth/keys",
    profile_urls=(),  # Apple has no userinfo: the ID token and the first `user` form field
    default_scope="name email",
    scope_options=(("name", "name"), ("email", "email")),
    token_auth="apple_es256_jwt",  # noqa: S106 (a method name)
    token_headers=(),
    required_options=("client_id", "team_id", "kid", "app_secret"),
    reads_options=("client_id", "team_id", "kid", "app_secret", "name", "email", "scope"),
)

_PRESETS = {p.strategy: p for p in (_GOOGLE, _GITHUB, _MICROSOFT, _APPLE)}


def preset_for(strategy: str) -> SocialPreset | None:
    return _PRESETS.get(strategy)


def _preset(strategy: str) -> SocialPreset:
    found = _PRESETS.get(strategy)
    if found is None:
        raise ValueError(f"selfauth has no social preset for the {strategy} strategy.")
    return found


# --- options --------------------------------------------------------------------------------


def _text(options: Mapping[str, Any], name: str) -> str | None:
    value = options.get(name)
    return value if isinstance(value, str) and value.strip() else None


def preset_options_problem(
    strategy: str, options: Mapping[str, Any], name: str | None = None
) -> str | None:
    """What keeps a connection with these options from signing in, worded for `/authorize`
    (as `oidc_settings` words it), or None. Auth0 stores any options, so this is asked when a
    sign-in starts, not when the connection is saved."""
    label = f"The connection {name}" if name else f"The {strategy} connection"
    preset = preset_for(strategy)
    if preset is None:
        return f"{label} uses the {strategy} strategy, for which selfauth has no preset."
    if strategy == MICROSOFT and options.get("strategy_version", 2) != 2:
        return (
            f"{label} uses strategy_version {options.get('strategy_version')} (Live Connect, "
            "retired by Microsoft): only strategy_version 2 (Microsoft Graph) is supported."
        )
    missing = [option for option in preset.required_options if _text(options, option) is None]
    if missing:
        names = ", ".join(missing)
        developer_keys = (
            " (selfauth has no developer keys as Auth0 has: register an application at the "
            "provider and set its credentials)"
            if "client_id" in missing
            else ""
        )
        return f"{label} has no {names}{developer_keys}."
    if strategy == APPLE and "PRIVATE KEY-----" not in str(options["app_secret"]):
        return f"{label}'s app_secret is not a PEM private key (the .p8 file Apple gives)."
    return None


def _option_scopes(value: Any) -> list[str]:
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [word for item in value if isinstance(item, str) for word in item.split()]
    return []


def scope_for(strategy: str, options: Mapping[str, Any]) -> str:
    """The scope asked at the provider: the preset's default, the scopes of the boolean
    options set to true, the `scope` Auth0 derives and stores from them (an array; Apple's is
    a space-separated string) and `freeform_scopes`, each once, in that order."""
    preset = _preset(strategy)
    words: list[str] = []
    if strategy == APPLE:
        asked = [scope for option, scope in preset.scope_options if options.get(option) is True]
        words += _option_scopes(options.get("scope")) or asked or preset.default_scope.split()
    else:
        words += preset.default_scope.split()
        words += [scope for option, scope in preset.scope_options if options.get(option) is True]
        words += _option_scopes(options.get("scope"))
        words += _option_scopes(options.get("freeform_scopes"))
    return " ".join(dict.fromkeys(words))


def authorize_params(strategy: str, options: Mapping[str, Any]) -> dict[str, str]:
    """The query of the provider's authorization request beyond `client_id`, `redirect_uri`,
    `state` (and the OIDC `nonce`, PKCE) that the flow adds: `response_type`, `scope`, and
    what the provider needs for Auth0's options."""
    params = {"response_type": "code", "scope": scope_for(strategy, options)}
    if strategy == GOOGLE and options.get("offline_access") is True:
        # Google hands a refresh token only for access_type=offline, and again only on consent.
        params |= {"access_type": "offline", "prompt": "consent"}
    if strategy == APPLE and set(params["scope"].split()) & {"name", "email"}:
        # Apple refuses name or email scopes unless the answer is POSTed to the callback.
        params["response_mode"] = "form_post"
    if not params["scope"]:
        del params["scope"]
    return params


def profile_urls_for(strategy: str, scope: str) -> tuple[str, ...]:
    """The preset's profile URLs this scope can read: GitHub's `/user/emails` needs
    `user:email` (or `user`), and answers 404 without it."""
    preset = _preset(strategy)
    if strategy == GITHUB and not set(scope.split()) & {"user:email", "user"}:
        return tuple(url for url in preset.profile_urls if url != GITHUB_EMAILS_URL)
    return preset.profile_urls


def apple_client_secret(options: Mapping[str, Any], now: int, lifetime: int = 600) -> str:
    """The client secret Apple's token endpoint takes: an ES256 JWT signed with the `.p8` key
    in `app_secret`, header `kid`, `iss` the `team_id`, `sub` the `client_id` (the Services
    ID), `aud` Apple. Raises ValueError when the options cannot make one."""
    problem = preset_options_problem(APPLE, options)
    if problem is not None:
        raise ValueError(problem)
    if not 0 < lifetime <= APPLE_SECRET_MAX_SECONDS:
        raise ValueError("An Apple client secret lives at most six months.")
    claims = {
        "iss": options["team_id"],
        "iat": now,
        "exp": now + lifetime,
        "aud": APPLE_AUDIENCE,
        "sub": options["client_id"],
    }
    try:
        return jwt.encode(claims, options["app_secret"], "ES256", headers={"kid": options["kid"]})
    except (ValueError, TypeError, jwt.PyJWTError) as exc:
        raise ValueError("The connection's app_secret is not an EC P-256 private key.") from exc


# --- ids ------------------------------------------------------------------------------------


def social_user_ids(strategy: str, provider_id: str) -> tuple[str, str]:
    """(the user's `user_id`, the identity's `user_id`): `google-oauth2|1035...` and
    `1035...`, as Auth0 names social users (by strategy, not by connection name)."""
    if not provider_id:
        raise ProfileRefused(f"The {strategy} answer names no user id.")
    return f"{strategy}|{provider_id}", provider_id


def social_identity(connection: str, strategy: str, provider_id: str) -> dict[str, Any]:
    return {
        "connection": connection,
        "provider": strategy,
        "user_id": social_user_ids(strategy, provider_id)[1],
        "isSocial": True,
    }


# --- profiles -------------------------------------------------------------------------------

# Root attributes Auth0 keeps for itself: a provider's key of the same name never lands on
# the profile (GitHub's `created_at` is not the user's).
_RESERVED = frozenset(
    {
        "user_id",
        "identities",
        "app_metadata",
        "user_metadata",
        "created_at",
        "updated_at",
        "last_login",
        "last_ip",
        "logins_count",
        "blocked",
        "multifactor",
        "last_password_reset",
        "username",
        "phone_number",
        "phone_verified",
    }
)
# ID token claims about the token, not the user.
_PROTOCOL_CLAIMS = frozenset(
    {
        "iss",
        "aud",
        "azp",
        "exp",
        "iat",
        "nbf",
        "jti",
        "nonce",
        "nonce_supported",
        "at_hash",
        "c_hash",
        "auth_time",
        "sub",
        "amr",
        "acr",
        "sid",
    }
)


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _flag(value: Any) -> bool:
    """Apple (and old Google tokens) send booleans as the strings "true" / "false"."""
    return value is True or value == "true"


def _local_part(address: str | None) -> str | None:
    return (address.split("@", 1)[0] or None) if address and "@" in address else None


def _extras(answer: Mapping[str, Any], mapped: set[str]) -> dict[str, Any]:
    return {
        key: value
        for key, value in answer.items()
        if key not in mapped and key not in _RESERVED and key not in _PROTOCOL_CLAIMS
        if value is not None and not key.startswith("@odata.")
    }


def _dict(answer: Any, what: str) -> dict[str, Any]:
    if not isinstance(answer, dict):
        raise ProfileRefused(f"The {what} answer is not a JSON object.")
    return answer


def _clean(profile: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in profile.items() if value is not None}


def _github(answers: Sequence[Any]) -> dict[str, Any]:
    if not answers:
        raise ProfileRefused("GitHub answered no profile.")
    user = _dict(answers[0], "GitHub /user")
    raw_id = user.get("id")
    if isinstance(raw_id, bool) or not isinstance(raw_id, int | str) or raw_id in ("", None):
        raise ProfileRefused("GitHub's /user answer names no user id.")
    emails = [
        entry
        for entry in (answers[1] if len(answers) > 1 and isinstance(answers[1], list) else [])
        if isinstance(entry, dict) and _string(entry.get("email"))
    ]
    verified = [entry for entry in emails if entry.get("verified") is True]
    public = _string(user.get("email"))
    email: str | None
    if public and any(entry["email"].lower() == public.lower() for entry in verified):
        email, email_verified = public, True
    elif verified:
        primary = next((entry for entry in verified if entry.get("primary") is True), None)
        email, email_verified = (primary or verified[0])["email"], True
    else:
        email, email_verified = public, False
    login = _string(user.get("login"))
    mapped = {"id", "login", "avatar_url", "name", "email"}
    return _clean(
        {
            **_extras(user, mapped),
            "user_id": str(raw_id),
            "email": email,
            "email_verified": email_verified if email else None,
            "name": _string(user.get("name")) or login,
            "nickname": login or _local_part(email),
            "picture": _string(user.get("avatar_url")),
        }
    )


def _oidc_claims(
    strategy: str, answers: Sequence[Any], id_token_claims: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The provider's userinfo under the ID token's claims (the token wins), about one
    subject."""
    claims: dict[str, Any] = {}
    for answer in answers:
        if isinstance(answer, dict):
            claims |= answer
    token = dict(id_token_claims or {})
    if token.get("sub") and claims.get("sub") and claims["sub"] != token["sub"]:
        raise ProfileRefused(f"The {strategy} userinfo is about another user than the ID token.")
    claims |= token
    if not _string(claims.get("sub")):
        raise ProfileRefused(f"The {strategy} ID token names no subject.")
    return claims


def _google(answers: Sequence[Any], id_token_claims: Mapping[str, Any] | None) -> dict[str, Any]:
    claims = _oidc_claims(GOOGLE, answers, id_token_claims)
    email = _string(claims.get("email"))
    mapped = {"email", "email_verified", "name", "given_name", "family_name", "picture"}
    return _clean(
        {
            **_extras(claims, mapped),
            "user_id": claims["sub"],
            "email": email,
            "email_verified": _flag(claims.get("email_verified")) if email else None,
            "name": _string(claims.get("name")) or email,
            "given_name": _string(claims.get("given_name")),
            "family_name": _string(claims.get("family_name")),
            "nickname": _string(claims.get("nickname")) or _local_part(email),
            "picture": _string(claims.get("picture")),
        }
    )


def _microsoft(answers: Sequence[Any]) -> dict[str, Any]:
    if not answers:
        raise ProfileRefused("Microsoft Graph answered no profile.")
    me = _dict(answers[0], "Microsoft Graph /me")
    graph_id = _string(me.get("id"))
    if graph_id is None:
        raise ProfileRefused("Microsoft Graph's /me answer names no user id.")
    principal = _string(me.get("userPrincipalName"))
    email = _string(me.get("mail")) or (principal if principal and "@" in principal else None)
    mapped = {"id", "givenName", "surname"}
    return _clean(
        {
            **_extras(me, mapped),
            "strategy_version": 2,
            "user_id": graph_id,
            "email": email,
            # Graph says nothing of verification, and Auth0 makes no answer `false`.
            "email_verified": False if email else None,
            "name": _string(me.get("displayName")) or email,
            "given_name": _string(me.get("givenName")),
            "family_name": _string(me.get("surname")),
            "nickname": _local_part(principal) or _local_part(email),
        }
    )


def _apple_user(answers: Sequence[Any]) -> dict[str, Any]:
    """Apple's first-authorization `user` form field (JSON: `name.firstName`,
    `name.lastName`, `email`), parsed or not; anything else is ignored, as Apple never
    signs it."""
    for answer in answers:
        found = answer
        if isinstance(answer, str):
            try:
                found = json.loads(answer)
            except ValueError:
                continue
        if isinstance(found, dict):
            return found
    return {}


def _apple(answers: Sequence[Any], id_token_claims: Mapping[str, Any] | None) -> dict[str, Any]:
    if not id_token_claims or not _string(id_token_claims.get("sub")):
        raise ProfileRefused("Apple's ID token names no subject.")
    claims = dict(id_token_claims)
    email = _string(claims.get("email"))
    names = _apple_user(answers).get("name")
    given = _string(names.get("firstName")) if isinstance(names, dict) else None
    family = _string(names.get("lastName")) if isinstance(names, dict) else None
    full = " ".join(part for part in (given, family) if part) or None
    mapped = {"email", "email_verified", "is_private_email"}
    return _clean(
        {
            **_extras(claims, mapped),
            "user_id": claims["sub"],
            "email": email,
            "email_verified": _flag(claims.get("email_verified")) if email else None,
            "is_private_email": (
                _flag(claims["is_private_email"]) if "is_private_email" in claims else None
            ),
            # Apple sends the name on the first authorization only: later answers leave the
            # name out, so a sign-in that syncs the profile keeps the one stored.
            "name": full,
            "given_name": given,
            "family_name": family,
            "nickname": _local_part(email),
        }
    )


def profile_from(
    strategy: str, answers: Sequence[Any], id_token_claims: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The normalized profile Auth0 makes of a provider's answers: `user_id` (the provider's
    id, a string, without the `strategy|` prefix), `email`, `email_verified`, `name`,
    `given_name`, `family_name`, `nickname`, `picture` where the provider says them, and the
    provider's other keys as they came (Auth0 passes them through on the root), never `null`.

    `answers` are the JSON answers of the preset's `profile_urls`, in order (GitHub's
    `/user/emails` is the array it is; Google's userinfo may be left out); Apple's are the
    first authorization's `user` form field, if any. `id_token_claims` are the checked ID
    token's claims (Google, Apple). Raises `ProfileRefused` when the answers name no user."""
    if strategy == GITHUB:
        return _github(answers)
    if strategy == GOOGLE:
        return _google(answers, id_token_claims)
    if strategy == MICROSOFT:
        return _microsoft(answers)
    if strategy == APPLE:
        return _apple(answers, id_token_claims)
    raise ValueError(f"selfauth has no social preset for the {strategy} strategy.")
