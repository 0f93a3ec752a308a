"""Management API scopes: what a machine-to-machine client may be granted."""

from __future__ import annotations

USER_SCOPES = (
    "read:users",
    "create:users",
    "update:users",
    "delete:users",
    "update:users_app_metadata",
    # The upstream providers' tokens kept in identities (domain/users/idp_tokens.py).
    "read:user_idp_tokens",
)
CURRENT_USER_SCOPES = (
    "read:current_user",
    "update:current_user_metadata",
    "create:current_user_metadata",
    "delete:current_user_metadata",
    "update:current_user_identities",
)


def _crud(resource: str) -> tuple[str, ...]:
    return tuple(f"{verb}:{resource}" for verb in ("read", "create", "update", "delete"))


MANAGEMENT_SCOPES: tuple[str, ...] = (
    *USER_SCOPES,
    *_crud("clients"),
    "read:client_keys",
    "update:client_keys",
    *_crud("connections"),
    *_crud("client_grants"),
    # /api/v2/grants: users' consents to applications.
    "read:grants",
    "delete:grants",
    *_crud("resource_servers"),
    *_crud("rules"),
    "read:rules_configs",
    "update:rules_configs",
    "delete:rules_configs",
    *_crud("actions"),
    *_crud("email_provider"),
    "read:email_templates",
    "create:email_templates",
    "update:email_templates",
    # Ours: GET /api/v2/emails/outbox (the queued mails, their links included).
    "read:email_outbox",
    "read:logs",
    "read:logs_users",
    *_crud("log_streams"),
    "create:user_tickets",
    # /api/v2/branding (and its Universal Login template) and the prompts' custom text.
    "read:branding",
    "update:branding",
    "delete:branding",
    "read:prompts",
    "update:prompts",
    "read:users_app_metadata",
    "read:tenant_settings",
    "update:tenant_settings",
    # /api/v2/keys/signing: list, rotate, revoke.
    "read:signing_keys",
    "create:signing_keys",
    "update:signing_keys",
)
