"""`POST /co/authenticate`: auth0.js and Lock sign a user in from the application's own origin
(cross-origin authentication); the answer's login ticket is then redeemed at `/authorize`.

The CORS layer (`cors_paths.py`) answers the preflight and lets the registered origin read the
answer with credentials; the origin itself is checked again here, against the client the body
names, since a refused origin must get Auth0's bare-text 403. The answer also sets the cookie
that binds the ticket to this browser (`session_cookie.set_ticket_binding`).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import PlainTextResponse, Response

from selfauth.errors import InvalidBody
from selfauth.flows.cross_origin import OriginRefused
from selfauth.oauth.errors import InvalidRequest
from selfauth.web import openapi
from selfauth.web.authentication.token import client_ip
from selfauth.web.body import read_json_object
from selfauth.web.context import Services, services
from selfauth.web.errors import Shape
from selfauth.web.json import JSONResponse
from selfauth.web.pages.session_cookie import set_ticket_binding
from selfauth.web.ratelimit import per_address
from selfauth.web.request_facts import request_facts

router = APIRouter(dependencies=[Depends(per_address)])


@router.post(
    "/co/authenticate",
    responses={
        **openapi.returns(200, openapi.OBJECT, "A login ticket for /authorize"),
        **openapi.errors(Shape.OAUTH, 400, 401, 429),
        403: {
            "description": "The origin is not allowed for this client, or the login failed",
            "content": {
                "text/plain": {"schema": {"type": "string"}},
                "application/json": {"schema": openapi.error_schema(Shape.OAUTH)},
            },
        },
    },
    openapi_extra=openapi.json_object(
        "client_id, credential_type, username, password and realm, as auth0.js sends them",
        required=True,
    ),
)
async def authenticate(request: Request, found: Services = Depends(services)) -> Response:
    try:
        body = await read_json_object(request, found.settings.max_body_bytes)
    except InvalidBody as exc:
        raise InvalidRequest(exc.message) from exc
    try:
        # The browser's own address: brute-force protection counts per user and address.
        ip = client_ip(request, trust_forwarded=False)
        answer = await found.cross_origin.authenticate(
            body, request.headers.get("origin"), ip, request_facts(request, ip)
        )
    except OriginRefused as exc:
        return PlainTextResponse(
            str(exc),
            status_code=403,
            headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
        )
    response = JSONResponse(answer, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})
    set_ticket_binding(
        response,
        found.settings.issuer_url,
        answer["co_id"],
        answer["co_verifier"],
        int(found.cross_origin.lifetime.total_seconds()),
    )
    return response
