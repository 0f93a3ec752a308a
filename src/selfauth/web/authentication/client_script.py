"""`GET /client/{client_id}.js`: the script Lock loads (JSONP) to learn an application's
connections; it calls `Auth0.setClient({...})` (reference 8.4 e).

It lists the application's enabled connections that sign in: database ones, and the upstream
ones (`oidc`, `oauth2`, the social presets) whether or not their settings are complete yet, as
Auth0 lists every enabled connection: a click on one that cannot sign in reaches `/authorize`,
whose `invalid_request` names what the connection lacks, where a missing button would say
nothing (the login page's buttons do the same).

Lock adds a cache-buster query (`?t1733480000000`), which is ignored. The script is loaded by
a `<script src>` from the application's origin: no CORS, but a resource policy that lets other
origins embed it.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends
from starlette.responses import Response

from selfauth.web import openapi
from selfauth.web.authentication.client_settings import client_settings
from selfauth.web.context import Services, services
from selfauth.web.errors import Shape
from selfauth.web.ratelimit import per_address

router = APIRouter(dependencies=[Depends(per_address)])

MEDIA_TYPE = "application/javascript; charset=utf-8"
# Auth0 serves this file from its CDN; a minute of caching lets a cache in front absorb
# bursts while a changed connection still shows within a minute (Lock's cache-buster makes
# each page load a new URL anyway).
FOUND_CACHE = "public, max-age=60"
_COMMON = {"X-Content-Type-Options": "nosniff", "Cross-Origin-Resource-Policy": "cross-origin"}
# Client ids are at most 64 characters (the column's width): longer ones cannot exist.
_MAX_CLIENT_ID = 64
# Characters that could end the script or start markup where the script is inlined, and the
# two JSON allows raw but older JavaScript parsers end a string at.
_UNSAFE = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


@router.get(
    "/client/{client_id}.js",
    responses={
        200: {
            "description": "The client's settings as Lock loads them",
            "content": {"application/javascript": {"schema": {"type": "string"}}},
        },
        404: {
            "description": "No such client: a script that only says so",
            "content": {"application/javascript": {"schema": {"type": "string"}}},
        },
        **openapi.errors(Shape.OAUTH, 429),
    },
)
async def client_script(client_id: str, found: Services = Depends(services)) -> Response:
    client = await found.clients.find(client_id) if len(client_id) <= _MAX_CLIENT_ID else None
    if client is None:
        # A failed load is what makes Lock show its error screen; a script that loads without
        # calling setClient would leave it loading for ever.
        return Response(
            "/* Unknown client. */\n",
            status_code=404,
            media_type=MEDIA_TYPE,
            headers={**_COMMON, "Cache-Control": "no-store"},
        )
    connections = [
        connection
        for connection in await found.connections.all()  # by name
        if (connection.signs_in or connection.is_upstream)
        and client.client_id in connection.enabled_clients
    ]
    settings = client_settings(client, connections, found.settings.issuer_url)
    return Response(
        f"Auth0.setClient({embedded_json(settings)});\n",
        media_type=MEDIA_TYPE,
        headers={**_COMMON, "Cache-Control": FOUND_CACHE},
    )


def embedded_json(value: Any) -> str:
    """JSON that is also a JavaScript expression that cannot break out of its script."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).translate(_UNSAFE)
