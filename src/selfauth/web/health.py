"""`/healthz` (the process answers) and `/readyz` (it can serve logins: see flows/readiness.py),
for load balancers and orchestrators. Neither needs a token nor says more than a check's name
and a short reason."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.responses import Response

from selfauth.web import openapi
from selfauth.web.context import Services, services
from selfauth.web.json import JSONResponse

router = APIRouter(tags=["health"])

_NO_STORE = {"Cache-Control": "no-store"}

READINESS = {
    "type": "object",
    "required": ["status", "checks"],
    "properties": {
        "status": {"enum": ["ready", "not ready"]},
        "checks": {"type": "object"},
    },
}


@router.get("/healthz", summary="The process is up", responses=openapi.returns(200, openapi.OBJECT))
async def healthz() -> Response:
    return JSONResponse({"status": "ok"}, headers=_NO_STORE)


@router.get(
    "/readyz",
    summary="The server can serve logins: database and sandbox answer",
    responses={
        **openapi.returns(200, READINESS),
        **openapi.returns(503, READINESS, "Some check failed"),
    },
)
async def readyz(found: Services = Depends(services)) -> Response:
    checks = await found.readiness.check()
    ready = all(check.ok for check in checks.values())
    body = {
        "status": "ready" if ready else "not ready",
        "checks": {name: {"ok": c.ok, "detail": c.detail} for name, c in checks.items()},
    }
    return JSONResponse(body, status_code=200 if ready else 503, headers=_NO_STORE)
