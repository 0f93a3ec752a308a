"""Clients and grants as the Management API answers them.

The shape follows Auth0's answers (go-auth0's recorded exchanges): properties that were never
set are left out, except the ones Auth0 always answers with a default (`jwt_configuration`,
`refresh_token`, `sso_disabled`, `custom_login_page_on`, `cross_origin_authentication`,
`is_token_endpoint_ip_header_trusted`, `oidc_conformant`, `signing_keys`, `grant_types`).
Empty URL lists and `client_metadata` are left out, as Auth0 leaves out ones never set.
"""

from __future__ import annotations

from typing import Any

from selfauth.domain.clients.model import (
    COLUMNS,
    DEFAULT_AUTH_METHOD,
    STANDARD_APP_TYPES,
    URL_LISTS,
    Client,
    ClientGrant,
)
from selfauth.domain.clients.token_settings import default_jwt_configuration

TENANT = "selfauth"

# Answered when never set. oidc_conformant: selfauth only speaks OIDC-conformant flows
# (Auth0's default for clients made through the API is false).
_ANSWERED_DEFAULTS: dict[str, Any] = {
    "oidc_conformant": True,
    "sso_disabled": False,
    "custom_login_page_on": True,
    "cross_origin_authentication": False,
    "is_token_endpoint_ip_header_trusted": False,
}


def client_view(
    client: Client, *, signing_keys: list[dict[str, Any]], secret: str | None = None
) -> dict[str, Any]:
    """A client. The secret appears only when the caller has it anyway: right after it was
    made (create, rotate-secret) or set (update)."""
    extra = client.extra_properties
    view: dict[str, Any] = {
        "client_id": client.client_id,
        "tenant": TENANT,
        "global": False,
        "name": client.name,
        "is_first_party": client.is_first_party,
    }
    if client.description is not None:
        view["description"] = client.description
    if client.app_type is not None:
        view["app_type"] = client.app_type
    view["grant_types"] = client.grant_types
    for name in URL_LISTS:
        if getattr(client, name):
            view[name] = getattr(client, name)
    if _answers_auth_method(client):
        view["token_endpoint_auth_method"] = client.token_endpoint_auth_method
    if client.client_metadata:
        view["client_metadata"] = client.client_metadata
    view.update(_ANSWERED_DEFAULTS)
    view.update({k: v for k, v in extra.items() if k not in COLUMNS})
    jwt = extra.get("jwt_configuration") or default_jwt_configuration(client.app_type)
    view["jwt_configuration"] = jwt
    view["refresh_token"] = client.refresh_token_configuration
    logout_urls = extra.get("oidc_logout", {}).get("backchannel_logout_urls")
    if logout_urls is not None:
        # Auth0 still answers the deprecated property beside its replacement.
        view["oidc_backchannel_logout"] = {"backchannel_logout_urls": logout_urls}
    view["signing_keys"] = signing_keys
    if secret is not None:
        view["client_secret"] = secret
    return view


def _answers_auth_method(client: Client) -> bool:
    """Auth0 answers the method of clients of the four standard types; selfauth also answers
    it whenever it is not the method an unanswered one means (client_secret_post)."""
    return (
        client.app_type in STANDARD_APP_TYPES
        or client.token_endpoint_auth_method != DEFAULT_AUTH_METHOD
    )


def grant_view(grant: ClientGrant) -> dict[str, Any]:
    """A grant: `subject_type` always (grants made before it existed are `client`), the other
    optional properties once set."""
    return {
        "id": grant.id,
        "client_id": grant.client_id,
        "audience": grant.audience,
        "scope": grant.scope,
        "subject_type": grant.subject_type,
        **{k: v for k, v in grant.extra_properties.items() if k != "subject_type"},
    }
