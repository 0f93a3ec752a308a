"""`GET /userinfo` (OIDC Core 5.3): profile claims for an access token holding `openid`."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from selfauth.errors import Unauthorized
from selfauth.oauth.jwt import InvalidToken
from selfauth.oidc.claims import profile_claims
from selfauth.web import openapi
from selfauth.web.context import Services, services
from selfauth.web.errors import Shape
from selfauth.web.json import JSONResponse
from selfauth.web.ratelimit import per_address

router = APIRouter(dependencies=[Depends(per_address)])


@router.get(
    "/userinfo",
    responses={
        **openapi.returns(200, openapi.OBJECT, "The user's claims"),
        **openapi.errors(Shape.OAUTH, 401, 429),
    },
    openapi_extra={"security": [{openapi.BEARER: []}]},
)
async def userinfo(request: Request, found: Services = Depends(services)) -> Response:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Missing access token")
    try:
        claims = await found.verifier.verify(token.strip(), f"{found.settings.issuer_url}userinfo")
    except InvalidToken as exc:
        raise Unauthorized(str(exc)) from exc
    scope = claims.get("scope")
    scopes = frozenset(scope.split()) if isinstance(scope, str) else frozenset()
    if "openid" not in scopes:
        raise Unauthorized("The access token does not hold the openid scope")
    user = await found.users.get_or_none(str(claims["sub"]))
    if user is None:
        raise Unauthorized("The user no longer exists")
    return JSONResponse({"sub": user.user_id, **profile_claims(user, scopes)})
