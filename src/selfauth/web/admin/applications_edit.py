"""One application's page (/admin/applications/{client_id}): settings, Application Metadata,
the secret, its APIs (client grants) and deletion.

Each form's write is the Management API's own: settings and metadata are the body
`PATCH /api/v2/clients/{id}` would get (only the properties that changed), validated by
`UpdateClient` and given to `ClientService.update`, so metadata merges and its limits (10 keys,
255 characters) are the server's; grants are `POST`/`PATCH`/`DELETE /api/v2/client-grants`'s."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from selfauth.domain.clients.model import URL_LISTS, Client
from selfauth.domain.clients.schema import UpdateClient
from selfauth.domain.users.metadata import CLIENT_METADATA_MAX_KEYS, CLIENT_METADATA_MAX_LENGTH
from selfauth.errors import InvalidBody, SelfauthError
from selfauth.web.admin.applications_forms import (
    APP_TYPE_LABELS,
    APP_TYPES,
    GRANT_TYPES,
    field_errors,
    url_list,
)
from selfauth.web.admin.grant_forms import apply_grant, grant_form
from selfauth.web.admin.page import admin_page
from selfauth.web.admin.session import Admin, signed_in
from selfauth.web.body import validate

router = APIRouter(include_in_schema=False)

# Settings kept among the client's other Auth0 properties (not columns of their own).
_EXTRA_TEXT = ("logo_uri", "initiate_login_uri")
_TEXT = ("name", "description", *_EXTRA_TEXT)
SETTINGS_FIELDS = {
    *_TEXT,
    *URL_LISTS,
    "app_type",
    "grant_types",
    "token_endpoint_auth_method",
    "is_first_party",
}
AUTH_METHODS = (
    ("none", "None (a public client: SPA, native)"),
    ("client_secret_post", "Post (the secret in the request body)"),
    ("client_secret_basic", "Basic (the secret in an Authorization header)"),
)
_NOTICES = {
    "created": "The application was made.",
    "saved": "The settings were saved.",
    "unchanged": "Nothing had changed; nothing was saved.",
    "metadata": "The application metadata was saved.",
    "granted": "The application's access to the API was saved.",
    "revoked": "The application's access to the API was removed.",
}


def dashboard_app_id(request: Request) -> str | None:
    found: str | None = getattr(request.app.state, "dashboard_app_id", None)
    return found


def _settings_values(client: Client) -> dict[str, Any]:
    """The settings form's values as the client holds them."""
    extra = client.extra_properties
    values: dict[str, Any] = {
        "name": client.name,
        "description": client.description or "",
        "app_type": client.app_type or "",
        "token_endpoint_auth_method": client.token_endpoint_auth_method,
        "grant_types": list(client.grant_types),
        "is_first_party": client.is_first_party,
    }
    for name in _EXTRA_TEXT:
        value = extra.get(name)
        values[name] = value if isinstance(value, str) else ""
    for name in URL_LISTS:
        values[name] = "\n".join(getattr(client, name))
    return values


def _posted_values(fields: dict[str, str], grant_types: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {name: fields.get(name, "") for name in (*_TEXT, *URL_LISTS)}
    values["app_type"] = fields.get("app_type", "")
    values["token_endpoint_auth_method"] = fields.get("token_endpoint_auth_method", "")
    values["grant_types"] = grant_types
    values["is_first_party"] = fields.get("is_first_party") == "on"
    return values


def _changes(client: Client, posted: dict[str, Any]) -> dict[str, Any]:
    """The PATCH body: only what the form changed, so an untouched setting is not rewritten."""
    current = _settings_values(client)
    body: dict[str, Any] = {}
    for name in _TEXT:
        value = str(posted[name]).strip()
        if value != current[name]:
            body[name] = value
    for name in URL_LISTS:
        urls = url_list(str(posted[name]))
        if urls != getattr(client, name):
            body[name] = urls
    for name in ("app_type", "token_endpoint_auth_method"):
        if posted[name] and posted[name] != current[name]:
            body[name] = posted[name]
    if set(posted["grant_types"]) != set(current["grant_types"]):
        body["grant_types"] = posted["grant_types"]
    if posted["is_first_party"] != current["is_first_party"]:
        body["is_first_party"] = posted["is_first_party"]
    return body


def _metadata_rows(client: Client) -> list[tuple[str, str]]:
    return list(client.client_metadata.items())


async def _api_access(admin: Admin, client: Client) -> list[dict[str, Any]]:
    """Each API and what this application may ask of it with client_credentials."""
    found = admin.services
    grants = {
        g.audience: g
        for g in await found.client_grants.matching(
            client_id=client.client_id, subject_type="client"
        )
    }
    return [
        {"server": server, "grant": grants.get(server.identifier)}
        for server in await found.resource_servers.all()
    ]


async def settings_page(
    request: Request,
    admin: Admin,
    client: Client,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    rows: list[tuple[str, str]] | None = None,
    metadata_error: str | None = None,
    problem: str | None = None,
    notice: str | None = None,
    status: int = 200,
) -> Response:
    """The application's page; after a refused form, with what was typed and the error."""
    return admin_page(
        request,
        admin,
        "applications/settings.html",
        title=client.name,
        status=status,
        client=client,
        values=values or _settings_values(client),
        errors=errors or {},
        rows=_metadata_rows(client) if rows is None else rows,
        metadata_error=metadata_error,
        max_keys=CLIENT_METADATA_MAX_KEYS,
        max_length=CLIENT_METADATA_MAX_LENGTH,
        app_types=APP_TYPES,
        type_labels=APP_TYPE_LABELS,
        grant_types=GRANT_TYPES,
        auth_methods=AUTH_METHODS,
        access=await _api_access(admin, client),
        is_dashboard=client.client_id == dashboard_app_id(request),
        problem=problem,
        notice=notice,
    )


def secret_page(
    request: Request, admin: Admin, client: Client, secret: str, *, created: bool
) -> Response:
    """The one page that shows a secret: the answer of the POST that made it (the layout's
    answers are `Cache-Control: no-store`), never a page one can come back to."""
    return admin_page(
        request,
        admin,
        "applications/secret.html",
        title="Application created" if created else "Secret rotated",
        client=client,
        secret=secret,
        created=created,
    )


def _back(client_id: str, notice: str) -> Response:
    return RedirectResponse(f"/admin/applications/{client_id}?{notice}=1", status_code=303)


@router.get("/admin/applications/{client_id}")
async def application_settings(
    client_id: str, request: Request, admin: Admin = Depends(signed_in)
) -> Response:
    client = await admin.services.clients.get(client_id)
    notice = next((text for key, text in _NOTICES.items() if key in request.query_params), None)
    return await settings_page(request, admin, client, notice=notice)


@router.post("/admin/applications/{client_id}")
async def application_save(
    client_id: str, request: Request, admin: Admin = Depends(signed_in)
) -> Response:
    found = admin.services
    fields = await admin.form(request)
    grant_types = (await request.form()).getlist("grant_types")
    client = await found.clients.get(client_id)
    posted = _posted_values(fields, [g for g in grant_types if isinstance(g, str)])
    body = _changes(client, posted)
    if not body:
        return _back(client_id, "unchanged")
    try:
        validate(UpdateClient, body)
        await found.clients.update(client_id, body, admin.author)
    except SelfauthError as exc:
        errors, problem = field_errors(exc, SETTINGS_FIELDS)
        return await settings_page(
            request, admin, client, values=posted, errors=errors, problem=problem, status=400
        )
    return _back(client_id, "saved")


def _typed_rows(keys: list[str], values: list[str]) -> list[tuple[str, str]]:
    rows = list(zip(keys, values, strict=False))
    return [(k, v) for k, v in rows if k.strip() or v]


def _metadata_patch(current: dict[str, str], rows: list[tuple[str, str]]) -> dict[str, Any]:
    """The `client_metadata` patch that makes the stored keys the rows: a value for each row
    (the server merges it), null for each stored key no longer there (a null removes it)."""
    wanted: dict[str, str] = {}
    for key, value in rows:
        key = key.strip()
        if key in wanted:
            raise InvalidBody(f"The key {key!r} appears twice; each key can be given once.")
        wanted[key] = value
    patch: dict[str, Any] = {k: None for k in current if k not in wanted}
    patch.update({k: v for k, v in wanted.items() if current.get(k) != v})
    return patch


@router.post("/admin/applications/{client_id}/metadata")
async def application_metadata(
    client_id: str, request: Request, admin: Admin = Depends(signed_in)
) -> Response:
    found = admin.services
    await admin.form(request)
    form = await request.form()
    keys = [k for k in form.getlist("key") if isinstance(k, str)]
    values = [v for v in form.getlist("value") if isinstance(v, str)]
    client = await found.clients.get(client_id)
    rows = _typed_rows(keys, values)
    try:
        patch = _metadata_patch(client.client_metadata, rows)
        if not patch:
            return _back(client_id, "unchanged")
        body = {"client_metadata": patch}
        validate(UpdateClient, body)
        await found.clients.update(client_id, body, admin.author)
    except SelfauthError as exc:
        return await settings_page(
            request, admin, client, rows=rows, metadata_error=exc.message, status=400
        )
    return _back(client_id, "metadata")


@router.post("/admin/applications/{client_id}/rotate-secret")
async def application_rotate_secret(
    client_id: str, request: Request, admin: Admin = Depends(signed_in)
) -> Response:
    await admin.form(request)
    client, secret = await admin.services.clients.rotate_secret(client_id)
    return secret_page(request, admin, client, secret, created=False)


@router.post("/admin/applications/{client_id}/grants")
async def application_grant(
    client_id: str, request: Request, admin: Admin = Depends(signed_in)
) -> Response:
    found = admin.services
    form = await grant_form(admin, request)
    client = await found.clients.get(client_id)
    audience = form.fields.get("audience", "")
    try:
        await apply_grant(found, client_id, audience, form.scopes, revoke=form.revoke)
    except SelfauthError as exc:
        return await settings_page(request, admin, client, problem=exc.message, status=400)
    return _back(client_id, form.outcome)


@router.post("/admin/applications/{client_id}/delete")
async def application_delete(
    client_id: str, request: Request, admin: Admin = Depends(signed_in)
) -> Response:
    found = admin.services
    await admin.form(request)
    client = await found.clients.get(client_id)
    if client.client_id == dashboard_app_id(request):
        return await settings_page(
            request,
            admin,
            client,
            problem=(
                "The dashboard's own application cannot be deleted here: the dashboard signs "
                "in as it, and it is made again at the next start anyway."
            ),
            status=400,
        )
    await found.clients.delete(client_id)
    return RedirectResponse("/admin/applications?deleted=1", status_code=303)
