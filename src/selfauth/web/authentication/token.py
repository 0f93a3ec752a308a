"""`POST /oauth/token` (RFC 6749 section 3.2)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from selfauth.flows.grants import TokenRequest
from selfauth.oauth.credentials import read_credentials
from selfauth.oauth.errors import InvalidRequest, OAuthError
from selfauth.web import openapi
from selfauth.web.body import read_bytes
from selfauth.web.context import Services, services
from selfauth.web.errors import Shape
from selfauth.web.json import JSONResponse
from selfauth.web.ratelimit import per_address
from selfauth.web.request_facts import request_facts

router = APIRouter(dependencies=[Depends(per_address)])

_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


# What /openapi.json says the two endpoints take and answer: the grants' parameters
# (RFC 6749, Auth0's password-realm), each read by the grant that needs it.
_PARAMETER = {"type": "string"}
TOKEN_REQUEST = {
    "type": "object",
    "required": ["grant_type"],
    "properties": {
        name: _PARAMETER
        for name in (
            "grant_type",
            "client_id",
            "client_secret",
            "audience",
            "scope",
            "username",
            "password",
            "realm",
            "code",
            "redirect_uri",
            "code_verifier",
            "refresh_token",
        )
    },
}
TOKEN_RESPONSE = {
    "type": "object",
    "required": ["access_token", "token_type", "expires_in"],
    "properties": {
        "access_token": {"type": "string"},
        "token_type": {"type": "string"},
        "expires_in": {"type": "integer"},
        "scope": {"type": "string"},
        "id_token": {"type": "string"},
        "refresh_token": {"type": "string"},
    },
}
REVOKE_REQUEST = {
    "type": "object",
    "required": ["token"],
    "properties": {name: _PARAMETER for name in ("token", "client_id", "client_secret")},
}


async def read_token_params(request: Request, limit: int) -> dict[str, Any]:
    """Form or JSON bodies; `null` fields are dropped (auth0-python sends them)."""
    raw = await read_bytes(request, limit)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        try:
            data = orjson.loads(raw) if raw.strip() else {}
        except orjson.JSONDecodeError as exc:
            raise InvalidRequest("The request body is not valid JSON.") from exc
        if not isinstance(data, dict):
            raise InvalidRequest("The request body must be a JSON object.")
    elif content_type in ("application/x-www-form-urlencoded", ""):
        try:
            pairs = parse_qsl(raw.decode(), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError as exc:
            raise InvalidRequest("The request body is not valid UTF-8.") from exc
        data = {}
        for key, value in pairs:
            if key in data:
                raise InvalidRequest(f"Parameter {key} is repeated.")
            data[key] = value
    else:
        raise InvalidRequest(f"Unsupported content type {content_type}.")
    params = {k: v for k, v in data.items() if v is not None}
    for key, value in params.items():
        # No client id, secret, audience or scope holds NUL, and PostgreSQL text cannot.
        if isinstance(value, str) and "\x00" in value:
            raise InvalidRequest(f"Parameter {key} contains a NUL character.")
    return params


@router.post(
    "/oauth/token",
    responses={
        **openapi.returns(200, TOKEN_RESPONSE),
        **openapi.errors(Shape.OAUTH, 400, 401, 403, 429),
    },
    openapi_extra=openapi.form_or_json(TOKEN_REQUEST),
)
async def token(request: Request, found: Services = Depends(services)) -> Response:
    params = await read_token_params(request, found.settings.max_body_bytes)
    grant_type, grant = found.grants.find(params.get("grant_type"))
    credentials = read_credentials(params, request.headers.get("authorization"))
    try:
        caller = await found.client_auth.authenticate(
            credentials, allow_public=grant.public_clients
        )
    except OAuthError as exc:  # logged as the grant's failure (feccft...)
        facts = request_facts(request, client_ip(request, trust_forwarded=False), params)
        found.grants.refused(grant_type, credentials.client_id, facts, exc)
        raise
    ip = client_ip(
        request, trust_forwarded=caller.confidential and caller.client.trusts_forwarded_ip
    )
    token_request = TokenRequest(
        caller.client, caller.confidential, grant_type, params, request_facts(request, ip, params)
    )
    issued = await found.grants.issue(grant, token_request)
    return JSONResponse(issued, headers=_NO_STORE)


@router.post(
    "/oauth/revoke",
    responses={
        200: {"description": "Revoked, or no such token"},
        **openapi.errors(Shape.OAUTH, 400, 401, 429),
    },
    openapi_extra=openapi.form_or_json(REVOKE_REQUEST),
)
async def revoke(request: Request, found: Services = Depends(services)) -> Response:
    """RFC 7009. Answers 200 for unknown tokens too, so tokens cannot be probed."""
    params = await read_token_params(request, found.settings.max_body_bytes)
    credentials = read_credentials(params, request.headers.get("authorization"))
    caller = await found.client_auth.authenticate(credentials, allow_public=True)
    await found.refresh.revoke(caller.client, params.get("token"))
    return Response(status_code=200, headers=_NO_STORE)


def client_ip(request: Request, *, trust_forwarded: bool) -> str:
    """The end user's address: a confidential client trusted to (its
    `is_token_endpoint_ip_header_trusted`) may vouch for it in Auth0's `auth0-forwarded-for`;
    anyone else's claim is ignored."""
    forwarded = request.headers.get("auth0-forwarded-for")
    if trust_forwarded and forwarded:
        candidate = forwarded.split(",")[0].strip()
        if 0 < len(candidate) <= 64 and "\x00" not in candidate:
            return candidate
    return request.client.host if request.client else "unknown"
