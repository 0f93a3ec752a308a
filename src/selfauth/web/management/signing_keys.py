"""`/api/v2/keys/signing`: list, read, rotate and revoke the tenant's signing keys."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Depends
from starlette.responses import Response

from selfauth.domain.keys.view import key_view
from selfauth.errors import Forbidden
from selfauth.web import openapi
from selfauth.web.context import Services
from selfauth.web.json import JSONResponse
from selfauth.web.security import Caller, require

router = APIRouter()

KEYS = "/keys/signing"


def _host(found: Services) -> str:
    return urlsplit(found.settings.issuer_url).hostname or "localhost"


@router.get(KEYS, responses=openapi.management(ok=(200, openapi.ARRAY)))
async def list_keys(caller: Caller = Depends(require("read:signing_keys"))) -> Response:
    found = caller.services
    host = _host(found)
    return JSONResponse([key_view(key, host) for key in await found.signing_keys.list()])


@router.get(KEYS + "/{kid}", responses=openapi.management(404, ok=(200, openapi.OBJECT)))
async def get_key(kid: str, caller: Caller = Depends(require("read:signing_keys"))) -> Response:
    found = caller.services
    return JSONResponse(key_view(await found.signing_keys.get(kid), _host(found)))


@router.post(
    KEYS + "/rotate", status_code=201, responses=openapi.management(ok=(201, openapi.OBJECT))
)
async def rotate(caller: Caller = Depends(require("create:signing_keys"))) -> Response:
    """The new next key's `{cert, kid}`; the next key became current, the current previous.
    Auth0 asks for both create: and update:signing_keys."""
    if not caller.principal.has_any("update:signing_keys"):
        raise Forbidden(
            "Insufficient scope, expected all of: create:signing_keys,update:signing_keys"
        )
    found = caller.services
    made = key_view(await found.signing_keys.rotate(), _host(found))
    return JSONResponse({"cert": made["cert"], "kid": made["kid"]}, status_code=201)


@router.put(KEYS + "/{kid}/revoke", responses=openapi.management(404, ok=(200, openapi.OBJECT)))
async def revoke(kid: str, caller: Caller = Depends(require("update:signing_keys"))) -> Response:
    found = caller.services
    made = key_view(await found.signing_keys.revoke(kid), _host(found))
    return JSONResponse({"cert": made["cert"], "kid": made["kid"]})
