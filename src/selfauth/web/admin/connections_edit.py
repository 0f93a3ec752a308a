"""A connection's page (/admin/connections/{id}): its settings, the applications it is enabled
for, and deleting it.

Each save is the PATCH /api/v2/connections/{id} body the form stands for: `options` built over
the stored options (a PATCH replaces them whole, so keys the page does not show go back as they
were), checked by the router's `UpdateConnection` (and `DatabaseOptionsBody` for database
connections) and saved by the connection service, which applies the same rules (defaults,
sealing a custom database's configuration, allowed hosts). On an error nothing is saved and the
page shows what was typed with the error next to its field. Secrets are never rendered."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from selfauth.domain.connections.custom_database import SCRIPT_NAMES
from selfauth.domain.connections.model import OAUTH2_STRATEGY, OIDC_STRATEGY, Connection
from selfauth.domain.connections.options_schema import DatabaseOptionsBody
from selfauth.domain.connections.social_presets import SOCIAL_STRATEGIES
from selfauth.errors import InvalidBody, SelfauthError
from selfauth.web.admin import connections_forms as forms
from selfauth.web.admin.page import admin_page
from selfauth.web.admin.session import Admin, signed_in
from selfauth.web.body import validate
from selfauth.web.management.connections import UpdateConnection

router = APIRouter(include_in_schema=False)

_UPSTREAM_FIELDS = (
    "client_id",
    "discovery_url",
    "issuer",
    "scope",
    "type",
    "authorizationURL",
    "tokenURL",
    "fetchUserProfile",
)
_CLIENTS_SHOWN = 1000  # the applications listed as checkboxes
_NOTICES = {
    "created": "The connection was created.",
    "saved": "The connection's settings were saved.",
    "applications": "The connection's applications were saved.",
}


def _upstream_kind(connection: Connection) -> str | None:
    if connection.strategy in (OIDC_STRATEGY, OAUTH2_STRATEGY):
        return connection.strategy
    return "social" if connection.strategy in SOCIAL_STRATEGIES else None


def _known_fields(connection: Connection) -> set[str]:
    known = {"display_name", "sync"}
    if connection.is_database:
        known |= {
            "passwordPolicy",
            "min_length",
            "flex_min_length",
            "configuration",
            "allowed_hosts",
            "disable_signup",
            "requires_username",
            "brute_force_protection",
            "import_mode",
            "enabledDatabaseCustomization",
        }
        known |= {f"script_{name}" for name in SCRIPT_NAMES}
    if _upstream_kind(connection) is not None:
        known |= {"client_secret", *_UPSTREAM_FIELDS}
    return known


async def _page(
    request: Request,
    admin: Admin,
    connection: Connection,
    *,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    problem: str | None = None,
    status: int = 200,
) -> Response:
    clients, _ = await admin.services.clients.page(offset=0, limit=_CLIENTS_SHOWN)
    options = connection.options
    if typed is None:
        settings: dict[str, Any] = {
            "display_name": connection.display_name or "",
            "sync": options.get("set_user_root_attributes") or "on_each_login",
        }
        database = forms.database_form(connection) if connection.is_database else None
        upstream = forms.upstream_form(connection)
    else:
        settings = {"display_name": typed.get("display_name", ""), "sync": typed.get("sync", "")}
        database = forms.typed_database_form(typed) if connection.is_database else None
        upstream = {key: typed.get(key, "") for key in _UPSTREAM_FIELDS}
    query = request.query_params
    notice = next((text for key, text in _NOTICES.items() if key in query), None)
    return admin_page(
        request,
        admin,
        "connections/edit.html",
        title=connection.display_name or connection.name,
        status=status,
        connection=connection,
        kind=forms.kind_of(connection),
        upstream_kind=_upstream_kind(connection),
        readiness=forms.readiness(connection),
        clients=clients,
        settings=settings,
        database=database,
        upstream=upstream,
        has_secret=forms.has_secret(connection),
        configuration_keys=forms.configuration_keys(options),
        new_configuration_rows=range(forms.NEW_CONFIGURATION_ROWS),
        script_names=SCRIPT_NAMES,
        levels=forms.POLICY_LEVELS,
        character_types=forms.CHARACTER_TYPE_NAMES,
        sync_policies=forms.SYNC_POLICIES,
        errors=errors or {},
        notice=notice,
        problem=problem,
    )


@router.get("/admin/connections/{connection_id}")
async def connection_page(
    connection_id: str, request: Request, admin: Admin = Depends(signed_in)
) -> Response:
    connection = await admin.services.connections.get(connection_id)
    return await _page(request, admin, connection)


def _options(connection: Connection, fields: dict[str, str]) -> dict[str, Any]:
    options = dict(connection.options)
    upstream = _upstream_kind(connection)
    if connection.is_database:
        options = forms.database_options(options, fields)
    elif upstream is not None:
        options = forms.upstream_options(options, connection.strategy, fields)
    sync = fields.get("sync", "")
    # The default is not written into options that never named a policy.
    if sync and (sync != "on_each_login" or "set_user_root_attributes" in options):
        options["set_user_root_attributes"] = sync
    return options


async def _patch(admin: Admin, connection: Connection, data: dict[str, Any]) -> None:
    """What PATCH /api/v2/connections/{id} does with the same body."""
    body = validate(UpdateConnection, data)
    if data.get("options") is not None and connection.is_database:
        validate(DatabaseOptionsBody, {"options": data["options"]})
    fields = body.model_dump(exclude_unset=True)
    if data.get("options") is not None:
        fields["options"] = data["options"]  # as sent: the router keeps unknown option keys
    await admin.services.connections.update(connection.id, fields)


@router.post("/admin/connections/{connection_id}")
async def connection_save(
    connection_id: str, request: Request, admin: Admin = Depends(signed_in)
) -> Response:
    fields = await admin.form(request)
    connection = await admin.services.connections.get(connection_id)
    try:
        try:
            options = _options(connection, fields)
        except forms.MissingConfigurationValue as exc:
            raise InvalidBody(
                "Payload validation error: 'A configuration row needs both a key and a value' "
                "on property options.configuration."
            ) from exc
        data: dict[str, Any] = {"options": options}
        display_name = fields.get("display_name", "").strip()
        if display_name or connection.display_name is not None:
            data["display_name"] = display_name
        await _patch(admin, connection, data)
    except SelfauthError as exc:
        at = forms.field_of(exc.message, _known_fields(connection))
        problem = "Nothing was saved." if at else f"Nothing was saved: {exc.message}"
        return await _page(
            request,
            admin,
            connection,
            typed=fields,
            errors={at: exc.message} if at else {},
            problem=problem,
            status=400,
        )
    return RedirectResponse(f"/admin/connections/{connection.id}?saved=1", status_code=303)


@router.post("/admin/connections/{connection_id}/applications")
async def connection_applications(
    connection_id: str, request: Request, admin: Admin = Depends(signed_in)
) -> Response:
    form = await request.form()
    await admin.form(request)  # the CSRF check
    connection = await admin.services.connections.get(connection_id)
    chosen = [v for v in form.getlist("enabled_clients") if isinstance(v, str)]
    try:
        await _patch(admin, connection, {"enabled_clients": chosen})
    except SelfauthError as exc:
        return await _page(request, admin, connection, problem=exc.message, status=400)
    return RedirectResponse(f"/admin/connections/{connection.id}?applications=1", status_code=303)


@router.post("/admin/connections/{connection_id}/delete")
async def connection_delete(
    connection_id: str, request: Request, admin: Admin = Depends(signed_in)
) -> Response:
    await admin.form(request)
    connection = await admin.services.connections.get(connection_id)
    await admin.services.connections.delete(connection.id)
    query = urlencode({"deleted": connection.name})
    return RedirectResponse(f"/admin/connections?{query}", status_code=303)
