"""`/.well-known/openid-configuration` and `/.well-known/jwks.json`."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.responses import Response

from selfauth.oidc.discovery import jwks, openid_configuration
from selfauth.web import openapi
from selfauth.web.context import Services, services
from selfauth.web.json import JSONResponse

router = APIRouter()

_CORS = {"Access-Control-Allow-Origin": "*", "Cache-Control": "public, max-age=300"}


JWKS = {
    "type": "object",
    "required": ["keys"],
    "properties": {"keys": {"type": "array", "items": {"type": "object"}}},
}


@router.get("/.well-known/openid-configuration", responses=openapi.returns(200, openapi.OBJECT))
async def discovery(found: Services = Depends(services)) -> Response:
    document = openid_configuration(
        found.settings.issuer_url,
        grant_types=found.grants.grant_types,
        allow_plain_pkce=found.settings.allow_plain_pkce,
    )
    return JSONResponse(document, headers=_CORS)


@router.get("/.well-known/jwks.json", responses=openapi.returns(200, JWKS))
async def jwks_document(found: Services = Depends(services)) -> Response:
    return JSONResponse(jwks(await found.signing_keys.published()), headers=_CORS)
