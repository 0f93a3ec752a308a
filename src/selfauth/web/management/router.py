"""All Management API routers under `/api/v2`."""

from __future__ import annotations

from fastapi import APIRouter

from selfauth.web.management import client_grants, clients, connections, resource_servers, users

router = APIRouter(prefix="/api/v2")
for module in (users, clients, client_grants, resource_servers, connections):
    router.include_router(module.router)
