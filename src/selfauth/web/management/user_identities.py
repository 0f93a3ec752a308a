"""`/api/v2/users/{id}/identities`: account linking (domain/users/linking.py).

Who may link what, as Auth0 has it: a token with `update:users` links any two users, naming the
secondary by `provider` + `user_id` or proving it with `link_with` (an ID token of the
secondary); a user's own token with `update:current_user_identities` links only to its own
`sub`, and only a secondary proven by an ID token issued to the client that token was issued to
(its `aud` is the access token's `azp`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict
from starlette.responses import Response

from selfauth.domain.users.model import User
from selfauth.domain.users.views import management_view
from selfauth.errors import Forbidden, InvalidBody
from selfauth.oauth.jwt import InvalidToken
from selfauth.web import openapi
from selfauth.web.body import read_json_object, validate
from selfauth.web.json import JSONResponse
from selfauth.web.security import Caller, Principal, insufficient_scope, require

router = APIRouter()

IDENTITIES = ("update:users", "update:current_user_identities")


class LinkUser(BaseModel):
    """NA-req `LinkUserIdentityRequestContent`: `user_id` may be a string or an integer."""

    model_config = ConfigDict(extra="forbid")

    provider: str = ""
    connection_id: str = ""
    user_id: str | int = ""
    link_with: str = ""


def _identities(primary: User) -> list[Any]:
    """The primary's `identities` as `GET /users/{id}` shows them (its view decides what of an
    identity a caller sees), never the stored array as it is."""
    shown: list[Any] = management_view(primary)["identities"]
    return shown


def _check_caller(principal: Principal, user_id: str) -> bool:
    """Whether the caller holds `update:users`; otherwise it must be the user's own token."""
    if principal.has_any("update:users"):
        return True
    if principal.is_client or principal.subject != user_id:
        raise insufficient_scope(IDENTITIES)
    return False


async def _proven_secondary(caller: Caller, token: str) -> str:
    """The user_id an ID token of ours vouches for, if it was issued to the caller's client."""
    azp = caller.principal.claims.get("azp")
    if not isinstance(azp, str) or not azp:
        raise InvalidBody(
            "Unable to link with the secondary account: the access token names no client (azp)."
        )
    try:
        claims = await caller.services.verifier.verify(token, azp)
    except InvalidToken as exc:
        raise InvalidBody(
            f"Unable to link with the secondary account: link_with is not a valid ID token "
            f"issued to this client ({exc})."
        ) from None
    if "gty" in claims:  # an access token (ours all carry gty), not an ID token
        raise InvalidBody(
            "Unable to link with the secondary account: link_with is not an ID token."
        )
    return str(claims["sub"])


@router.post(
    "/users/{user_id}/identities",
    status_code=201,
    responses=openapi.management(404, 409, ok=(201, openapi.ARRAY)),
    openapi_extra=openapi.json_body(LinkUser),
)
async def link_identity(
    user_id: str,
    request: Request,
    caller: Caller = Depends(require(*IDENTITIES)),
) -> Response:
    found = caller.services
    full = _check_caller(caller.principal, user_id)
    data = await read_json_object(request, found.settings.max_body_bytes)
    body = validate(LinkUser, data)
    given = body.model_fields_set
    connection_id = body.connection_id if "connection_id" in given else None
    if "link_with" in given:
        if given & {"provider", "user_id"}:
            raise InvalidBody(
                "Payload validation error: 'link_with cannot be sent with provider and user_id'."
            )
        secondary_id = await _proven_secondary(caller, body.link_with)
        primary = await found.users.link_user(user_id, secondary_id, connection_id)
    else:
        if not full:
            raise Forbidden(
                "A token with update:current_user_identities links only a secondary account "
                "proven by its ID token (link_with).",
            )
        missing = [name for name in ("provider", "user_id") if name not in given]
        if missing:
            raise InvalidBody(
                f"Payload validation error: 'Missing required property: {missing[0]}'."
            )
        if not body.provider or body.user_id == "":
            raise InvalidBody(
                "Payload validation error: 'String is too short (0 chars), minimum 1'."
            )
        primary = await found.users.link(user_id, body.provider, str(body.user_id), connection_id)
    return JSONResponse(_identities(primary), status_code=201)


@router.delete(
    "/users/{user_id}/identities/{provider}/{identity_user_id:path}",
    responses=openapi.management(404, ok=(200, openapi.ARRAY)),
)
async def unlink_identity(
    user_id: str,
    provider: str,
    identity_user_id: str,
    caller: Caller = Depends(require(*IDENTITIES)),
) -> Response:
    _check_caller(caller.principal, user_id)
    primary = await caller.services.users.unlink(user_id, provider, identity_user_id)
    return JSONResponse(_identities(primary))
