"""The dashboard's connections section: the list grouped by kind, and creating a database, an
`oidc` or a custom OAuth2 connection. Every create is the body POST /api/v2/connections takes,
checked by that router's models and saved by the same service; the connection's own page is in
connections_edit.py."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from selfauth.domain.connections.model import DATABASE_STRATEGY
from selfauth.domain.connections.options_schema import DatabaseOptionsBody
from selfauth.errors import SelfauthError
from selfauth.web.admin import connections_edit
from selfauth.web.admin.connections_forms import POLICY_LEVELS, field_of, grouped
from selfauth.web.admin.connections_forms import create_body as build_create_body
from selfauth.web.admin.page import admin_page
from selfauth.web.admin.session import Admin, signed_in
from selfauth.web.body import validate
from selfauth.web.management.connections import CreateConnection

router = APIRouter(include_in_schema=False)

CREATE_KINDS = {
    "database": "Database",
    "oidc": "Enterprise: OpenID Connect",
    "oauth2": "Custom social: OAuth2",
}
_CREATE_FIELDS = {
    "database": ("name", "display_name", "passwordPolicy", "disable_signup", "requires_username"),
    "oidc": (
        "name",
        "display_name",
        "discovery_url",
        "issuer",
        "client_id",
        "client_secret",
        "scope",
        "type",
    ),
    "oauth2": (
        "name",
        "display_name",
        "authorizationURL",
        "tokenURL",
        "client_id",
        "client_secret",
        "scope",
        "fetchUserProfile",
    ),
}


@router.get("/admin/connections")
async def connections_list(request: Request, admin: Admin = Depends(signed_in)) -> Response:
    connections = await admin.services.connections.all()
    query = request.query_params
    notice = f"The connection {query['deleted']} was deleted." if query.get("deleted") else None
    return admin_page(
        request,
        admin,
        "connections/list.html",
        title="Connections",
        groups=grouped(connections),
        notice=notice,
    )


def _create_page(
    request: Request,
    admin: Admin,
    kind: str,
    typed: dict[str, str],
    errors: dict[str, str],
    problem: str | None = None,
    status: int = 200,
) -> Response:
    values: dict[str, Any] = {"type": "back_channel", "passwordPolicy": "good"}
    values.update({k: v for k, v in typed.items() if k != "client_secret"})  # never echoed
    return admin_page(
        request,
        admin,
        "connections/new.html",
        title="New connection",
        status=status,
        kind=kind,
        kinds=CREATE_KINDS,
        values=values,
        errors=errors,
        levels=POLICY_LEVELS,
        problem=problem,
    )


@router.get("/admin/connections/new")
async def connection_new(
    request: Request, kind: str = "database", admin: Admin = Depends(signed_in)
) -> Response:
    if kind not in CREATE_KINDS:
        kind = "database"
    return _create_page(request, admin, kind, {}, {})


@router.post("/admin/connections/new")
async def connection_create(request: Request, admin: Admin = Depends(signed_in)) -> Response:
    fields = await admin.form(request)
    kind = fields.get("kind", "")
    if kind not in CREATE_KINDS:
        kind = "database"
    data = build_create_body(kind, fields)
    try:
        # What POST /api/v2/connections does with the same body.
        body = validate(CreateConnection, data)
        if body.strategy == DATABASE_STRATEGY:
            validate(DatabaseOptionsBody, {"options": data.get("options") or {}})
        created = body.model_dump(exclude_unset=True)
        created["options"] = data["options"]  # as sent, as the router keeps it
        connection = await admin.services.connections.create(created)
    except SelfauthError as exc:
        at = field_of(exc.message, set(_CREATE_FIELDS[kind]))
        if exc.error_code == "connection_conflict":
            at = "name"
        errors = {at: exc.message} if at else {}
        problem = "Nothing was created." if at else f"Nothing was created: {exc.message}"
        return _create_page(request, admin, kind, fields, errors, problem, status=400)
    return RedirectResponse(f"/admin/connections/{connection.id}?created=1", status_code=303)


# After /admin/connections/new, which the connection page's /{connection_id} would match.
router.include_router(connections_edit.router)
