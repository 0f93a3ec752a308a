"""The dashboard's applications section (/admin/applications): the list, a new application of
one of Auth0's four types, and each application's page (applications_edit.py): settings,
Application Metadata, the secret, its APIs (client grants) and deletion.

Every write is the Management API's: the body `POST /api/v2/clients` would get, validated by
the same strict model (`CreateClient`), given to the same service."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from selfauth.domain.clients.schema import CreateClient
from selfauth.errors import SelfauthError
from selfauth.web.admin import applications_edit
from selfauth.web.admin.applications_forms import APP_TYPE_LABELS, APP_TYPES, field_errors
from selfauth.web.admin.page import admin_page
from selfauth.web.admin.session import Admin, signed_in
from selfauth.web.body import validate
from selfauth.web.query import integer

router = APIRouter(include_in_schema=False)

PER_PAGE = 50

_NOTICES = {"deleted": "The application was deleted."}


@router.get("/admin/applications")
async def applications_list(request: Request, admin: Admin = Depends(signed_in)) -> Response:
    found = admin.services
    page = integer(request.query_params, "page", 0, 0, 1_000_000)
    # Newest first: the application just made is at the top.
    clients, total = await found.clients.page(
        offset=page * PER_PAGE, limit=PER_PAGE, newest_first=True
    )
    notice = next((text for key, text in _NOTICES.items() if key in request.query_params), None)
    return admin_page(
        request,
        admin,
        "applications/list.html",
        title="Applications",
        clients=clients,
        total=total,
        page=page,
        per_page=PER_PAGE,
        type_labels=APP_TYPE_LABELS,
        dashboard_app_id=applications_edit.dashboard_app_id(request),
        notice=notice,
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
        "applications/new.html",
        title="Create application",
        status=status,
        app_types=APP_TYPES,
        values=values or {"name": "", "app_type": "regular_web"},
        errors=errors or {},
        problem=problem,
    )


@router.get("/admin/applications/new")
async def application_new(request: Request, admin: Admin = Depends(signed_in)) -> Response:
    return _new_page(request, admin)


@router.post("/admin/applications/new")
async def application_create(request: Request, admin: Admin = Depends(signed_in)) -> Response:
    found = admin.services
    fields = await admin.form(request)
    values = {"name": fields.get("name", ""), "app_type": fields.get("app_type", "")}
    body = {"name": values["name"].strip(), "app_type": values["app_type"]}
    try:
        validate(CreateClient, body)
        client, secret = await found.clients.create(body)
    except SelfauthError as exc:
        errors, problem = field_errors(exc, {"name", "app_type"})
        return _new_page(request, admin, values=values, errors=errors, problem=problem, status=400)
    if secret is None:
        # A public client (SPA, native) has no secret to show.
        return RedirectResponse(
            f"/admin/applications/{client.client_id}?created=1", status_code=303
        )
    # The secret exists only in this answer (only its keyed hash is stored): it is shown on
    # this page, never put in an address or a cookie.
    return applications_edit.secret_page(request, admin, client, secret, created=True)


# After /admin/applications/new, which /admin/applications/{client_id} would otherwise take.
router.include_router(applications_edit.router)
