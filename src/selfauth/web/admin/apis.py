"""The dashboard's APIs section (/admin/apis): resource servers, their settings and scopes
(permissions), and the applications authorized for each (client grants).

Every write is the Management API's: the body `POST`/`PATCH /api/v2/resource-servers` would get,
validated by the router's strict models (`CreateServer`, `UpdateServer`), given to the same
service, which refuses any change to a system API (the Management API) as Auth0 does."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from starlette.responses import RedirectResponse, Response

from selfauth.domain.resource_servers.model import (
    MAX_TOKEN_LIFETIME,
    SIGNING_ALGS,
    ResourceServer,
    resource_server_view,
)
from selfauth.errors import Conflict, SelfauthError
from selfauth.web.admin.applications_forms import field_errors
from selfauth.web.admin.grant_forms import apply_grant, grant_form
from selfauth.web.admin.page import admin_page
from selfauth.web.admin.session import Admin, signed_in
from selfauth.web.body import validate
from selfauth.web.management.resource_servers import MAX_NAME, CreateServer, UpdateServer

router = APIRouter(include_in_schema=False)

DIALECTS = (
    ("access_token", "Auth0 (access_token)"),
    ("access_token_authz", "Auth0 with permissions (access_token_authz)"),
    ("rfc9068_profile", "RFC 9068 (rfc9068_profile)"),
    ("rfc9068_profile_authz", "RFC 9068 with permissions (rfc9068_profile_authz)"),
)
_FLAGS = ("allow_offline_access", "skip_consent_for_verifiable_first_party_clients")
_SETTINGS_FIELDS = {
    "name",
    "identifier",
    "signing_alg",
    "token_dialect",
    "token_lifetime",
    "token_lifetime_for_web",
    "scopes",
    "enforce_policies",
    *_FLAGS,
}
_NOTICES = {
    "created": "The API was made.",
    "saved": "The settings were saved.",
    "scopes": "The scopes were saved.",
    "granted": "The application's access was saved.",
    "revoked": "The application's access was removed.",
    "deleted": "The API was deleted.",
}


def _notice(request: Request) -> str | None:
    return next((text for key, text in _NOTICES.items() if key in request.query_params), None)


def _given(body: BaseModel) -> dict[str, Any]:
    """Only what the form said, as the Management API router keeps it: defaults are the
    domain's."""
    return body.model_dump(exclude_unset=True)


def _seconds(text: str) -> int | str:
    """A whole number as a number; anything else as typed, for the strict model to refuse
    in Auth0's words."""
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        return text


@router.get("/admin/apis")
async def apis_list(request: Request, admin: Admin = Depends(signed_in)) -> Response:
    servers = await admin.services.resource_servers.all()
    return admin_page(
        request, admin, "apis/list.html", title="APIs", servers=servers, notice=_notice(request)
    )


def _new_page(
    request: Request,
    admin: Admin,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    problem: str | None = None,
    status: int = 200,
) -> Response:
    return admin_page(
        request,
        admin,
        "apis/new.html",
        title="Create API",
        status=status,
        values=values
        or {
            "name": "",
            "identifier": "",
            "signing_alg": "RS256",
            "token_dialect": "access_token",
            "token_lifetime": "86400",
        },
        errors=errors or {},
        problem=problem,
        algs=SIGNING_ALGS,
        dialects=DIALECTS,
        max_lifetime=MAX_TOKEN_LIFETIME,
    )


@router.get("/admin/apis/new")
async def api_new(request: Request, admin: Admin = Depends(signed_in)) -> Response:
    return _new_page(request, admin)


@router.post("/admin/apis/new")
async def api_create(request: Request, admin: Admin = Depends(signed_in)) -> Response:
    found = admin.services
    fields = await admin.form(request)
    names = ("name", "identifier", "signing_alg", "token_dialect", "token_lifetime")
    values = {name: fields.get(name, "") for name in names}
    data: dict[str, Any] = {
        "identifier": values["identifier"].strip(),
        "signing_alg": values["signing_alg"],
        "token_dialect": values["token_dialect"],
    }
    if values["name"].strip():
        data["name"] = values["name"].strip()
    if values["token_lifetime"].strip():
        data["token_lifetime"] = _seconds(values["token_lifetime"])
    try:
        body = validate(CreateServer, data)
        given = _given(body)
        given.setdefault("name", body.identifier[:MAX_NAME])  # as the Management API names it
        server = await found.resource_servers.create(given)
    except SelfauthError as exc:
        errors, problem = field_errors(exc, set(names))
        if isinstance(exc, Conflict):  # the identifier is taken
            errors, problem = {"identifier": exc.message}, None
        return _new_page(request, admin, values=values, errors=errors, problem=problem, status=400)
    return RedirectResponse(f"/admin/apis/{server.id}?created=1", status_code=303)


async def _settings_page(
    request: Request,
    admin: Admin,
    server: ResourceServer,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    scope_values: dict[str, str] | None = None,
    scope_error: str | None = None,
    problem: str | None = None,
    notice: str | None = None,
    status: int = 200,
) -> Response:
    found = admin.services
    grants = await found.client_grants.matching(audience=server.identifier, subject_type="client")
    clients, _ = await found.clients.page(offset=0, limit=1000)
    by_id = {c.client_id: c for c in clients}
    granted = {g.client_id for g in grants}
    candidates = [
        c
        for c in clients
        if c.client_id not in granted and c.token_endpoint_auth_method != "none"  # noqa: S105
    ]
    return admin_page(
        request,
        admin,
        "apis/settings.html",
        title=server.name,
        status=status,
        server=server,
        values=values or _values(server),
        errors=errors or {},
        scope_values=scope_values or {"value": "", "description": ""},
        scope_error=scope_error,
        authorized=[{"grant": g, "client": by_id.get(g.client_id)} for g in grants],
        candidates=candidates,
        algs=SIGNING_ALGS,
        dialects=DIALECTS,
        max_lifetime=MAX_TOKEN_LIFETIME,
        issuer=found.settings.issuer_url,
        problem=problem,
        notice=notice,
    )


def _values(server: ResourceServer) -> dict[str, Any]:
    view = resource_server_view(server)
    return {
        "name": server.name,
        "signing_alg": server.signing_alg,
        "token_dialect": server.token_dialect,
        "token_lifetime": str(server.token_lifetime),
        "token_lifetime_for_web": str(view["token_lifetime_for_web"]),
        "enforce_policies": server.enforces_policies,
        **{flag: bool(view[flag]) for flag in _FLAGS},
    }


@router.get("/admin/apis/{server_id}")
async def api_settings(
    server_id: str, request: Request, admin: Admin = Depends(signed_in)
) -> Response:
    server = await admin.services.resource_servers.get(server_id)
    return await _settings_page(request, admin, server, notice=_notice(request))


def _back(server: ResourceServer, notice: str) -> Response:
    return RedirectResponse(f"/admin/apis/{server.id}?{notice}=1", status_code=303)


@router.post("/admin/apis/{server_id}")
async def api_save(server_id: str, request: Request, admin: Admin = Depends(signed_in)) -> Response:
    found = admin.services
    fields = await admin.form(request)
    server = await found.resource_servers.get(server_id)
    current = _values(server)
    posted: dict[str, Any] = {
        "name": fields.get("name", ""),
        "signing_alg": fields.get("signing_alg", ""),
        "token_dialect": fields.get("token_dialect", ""),
        "token_lifetime": fields.get("token_lifetime", ""),
        "token_lifetime_for_web": fields.get("token_lifetime_for_web", ""),
        "enforce_policies": fields.get("enforce_policies") == "on",
        **{flag: fields.get(flag) == "on" for flag in _FLAGS},
    }
    # The PATCH body: what changed, numbers as numbers.
    data: dict[str, Any] = {}
    for name, value in posted.items():
        if value == current[name]:
            continue
        data[name] = _seconds(value) if name.startswith("token_lifetime") else value
        if isinstance(value, str) and name == "name":
            data[name] = value.strip()
    if not data:
        return _back(server, "saved")
    try:
        body = validate(UpdateServer, data)
        await found.resource_servers.update(server.id, _given(body))
    except SelfauthError as exc:
        errors, problem = field_errors(exc, _SETTINGS_FIELDS)
        return await _settings_page(
            request, admin, server, values=posted, errors=errors, problem=problem, status=400
        )
    return _back(server, "saved")


async def _save_scopes(
    request: Request,
    admin: Admin,
    server: ResourceServer,
    scopes: list[dict[str, str]],
    typed: dict[str, str],
) -> Response:
    try:
        body = validate(UpdateServer, {"scopes": scopes})
        await admin.services.resource_servers.update(server.id, _given(body))
    except SelfauthError as exc:
        return await _settings_page(
            request, admin, server, scope_values=typed, scope_error=exc.message, status=400
        )
    return _back(server, "scopes")


@router.post("/admin/apis/{server_id}/scopes")
async def api_scope_add(
    server_id: str, request: Request, admin: Admin = Depends(signed_in)
) -> Response:
    fields = await admin.form(request)
    server = await admin.services.resource_servers.get(server_id)
    typed = {"value": fields.get("value", ""), "description": fields.get("description", "")}
    added = {"value": typed["value"].strip(), "description": typed["description"].strip()}
    return await _save_scopes(request, admin, server, [*server.scopes, added], typed)


@router.post("/admin/apis/{server_id}/scopes/remove")
async def api_scope_remove(
    server_id: str, request: Request, admin: Admin = Depends(signed_in)
) -> Response:
    fields = await admin.form(request)
    server = await admin.services.resource_servers.get(server_id)
    value = fields.get("value", "")
    kept = [s for s in server.scopes if s["value"] != value]
    return await _save_scopes(request, admin, server, kept, {"value": "", "description": ""})


@router.post("/admin/apis/{server_id}/grants")
async def api_grant(
    server_id: str, request: Request, admin: Admin = Depends(signed_in)
) -> Response:
    found = admin.services
    form = await grant_form(admin, request)
    server = await found.resource_servers.get(server_id)
    client_id = form.fields.get("client_id", "")
    try:
        if not client_id:
            raise SelfauthError("Choose an application.")
        await apply_grant(found, client_id, server.identifier, form.scopes, revoke=form.revoke)
    except SelfauthError as exc:
        return await _settings_page(request, admin, server, problem=exc.message, status=400)
    return _back(server, form.outcome)


@router.post("/admin/apis/{server_id}/delete")
async def api_delete(
    server_id: str, request: Request, admin: Admin = Depends(signed_in)
) -> Response:
    found = admin.services
    await admin.form(request)
    server = await found.resource_servers.get(server_id)
    try:
        await found.resource_servers.delete(server.id)
    except SelfauthError as exc:
        return await _settings_page(request, admin, server, problem=exc.message, status=400)
    return RedirectResponse("/admin/apis?deleted=1", status_code=303)
