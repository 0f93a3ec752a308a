"""The dashboard's overview (/admin/): what the tenant holds, with the way into each section."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from selfauth.web.admin.page import admin_page
from selfauth.web.admin.session import Admin, signed_in

router = APIRouter(include_in_schema=False)


@router.get("/admin")
@router.get("/admin/")
async def overview(request: Request, admin: Admin = Depends(signed_in)) -> Response:
    found = admin.services
    _, users = await found.users.page(
        offset=0, limit=1, sort="created_at", descending=True, with_total=True
    )
    _, applications = await found.clients.page(offset=0, limit=1)
    counts = {
        "Users": users or 0,
        "Applications": applications,
        "APIs": len(await found.resource_servers.all()),
        "Connections": len(await found.connections.all()),
    }
    return admin_page(request, admin, "home.html", title="Overview", counts=counts)
