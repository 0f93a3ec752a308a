"""An action's versions: the list (newest first), one version's code, and rolling back, which
deploys that version's content again as a new version (POST .../versions/{id}/deploy)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from selfauth.web.admin.page import admin_page
from selfauth.web.admin.session import Admin, signed_in
from selfauth.web.body import validate
from selfauth.web.management.actions import Rollback
from selfauth.web.query import integer

router = APIRouter(include_in_schema=False)

PER_PAGE = 50


@router.get("/admin/actions/{action_id}/versions")
async def versions_list(
    action_id: str, request: Request, admin: Admin = Depends(signed_in)
) -> Response:
    number = integer(request.query_params, "page", 0, 0, 10_000)
    state, versions, total = await admin.services.actions.versions(
        action_id, offset=number * PER_PAGE, limit=PER_PAGE
    )
    notice = None
    if request.query_params.get("done") == "rolled-back" and state.deployed:
        notice = f"Deployed again as version {state.deployed.number}."
    return admin_page(
        request,
        admin,
        "actions/versions.html",
        title=f"Versions of {state.action.name}",
        state=state,
        versions=versions,
        page=number,
        per_page=PER_PAGE,
        total=total,
        notice=notice,
    )


@router.get("/admin/actions/{action_id}/versions/{version_id}")
async def version_view(
    action_id: str, version_id: str, request: Request, admin: Admin = Depends(signed_in)
) -> Response:
    found = admin.services
    state = await found.actions.get(action_id)
    version = await found.actions.version(action_id, version_id)
    return admin_page(
        request,
        admin,
        "actions/version.html",
        title=f"{state.action.name}, version {version.number}",
        state=state,
        version=version,
    )


@router.post("/admin/actions/{action_id}/versions/{version_id}/deploy")
async def version_rollback(
    action_id: str, version_id: str, request: Request, admin: Admin = Depends(signed_in)
) -> Response:
    fields = await admin.form(request)
    body = validate(Rollback, {"update_draft": fields.get("update_draft") == "on"})
    await admin.services.actions.rollback(action_id, version_id, body.update_draft)
    return RedirectResponse(
        f"/admin/actions/{action_id}/versions?done=rolled-back", status_code=303
    )
