"""`/api/v2/users` and `/api/v2/users-by-email`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict
from starlette.responses import Response

from selfauth.domain import search
from selfauth.domain.etags import IfMatch
from selfauth.domain.users.etag import user_etag
from selfauth.domain.users.legacy import ScriptRefused
from selfauth.domain.users.model import SORTABLE
from selfauth.domain.users.views import management_view
from selfauth.errors import Forbidden, InvalidQueryString
from selfauth.web import checkpoint, openapi
from selfauth.web.body import read_json_object, validate
from selfauth.web.json import JSONResponse
from selfauth.web.query import FieldSelection, Paging, integer
from selfauth.web.security import Caller, Principal, insufficient_scope, require

router = APIRouter()

READ = ("read:users", "read:current_user", "read:user_idp_tokens")
CURRENT_USER_METADATA = (
    "update:current_user_metadata",
    "create:current_user_metadata",
    "delete:current_user_metadata",
)
UPDATE = ("update:users", "update:users_app_metadata", *CURRENT_USER_METADATA)
DELETE = ("delete:users", "delete:current_user")


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateUser(_Body):
    """NA-req `CreateUserRequestContent`: no property takes null. The defaults are never
    used (only the keys given are read), they make the keys optional."""

    connection: str
    email: str = ""
    password: str = ""
    username: str = ""
    user_id: str = ""
    phone_number: str = ""
    given_name: str = ""
    family_name: str = ""
    name: str = ""
    nickname: str = ""
    picture: str = ""
    email_verified: bool = False
    phone_verified: bool = False
    verify_email: bool = False
    blocked: bool = False
    user_metadata: dict[str, Any] = {}
    app_metadata: dict[str, Any] = {}


class UpdateUser(_Body):
    """NA-req `UpdateUserRequestContent`: `null` removes the nullable root attributes."""

    email: str | None = None
    password: str | None = None
    username: str | None = None
    phone_number: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    name: str | None = None
    nickname: str | None = None
    picture: str | None = None
    email_verified: bool = False
    phone_verified: bool = False
    verify_email: bool = False
    verify_phone_number: bool = False
    blocked: bool = False
    user_metadata: dict[str, Any] = {}
    app_metadata: dict[str, Any] = {}
    connection: str = ""
    client_id: str = ""


# Body keys that carry no change of their own (they steer how a change is made).
STEERING_FIELDS = ("verify_email", "verify_phone_number", "connection", "client_id")


def _check_self(
    principal: Principal, user_id: str, full: tuple[str, ...], accepted: tuple[str, ...]
) -> None:
    """A user's own token (current_user scopes) reaches only that user."""
    if principal.has_any(*full):
        return
    if principal.is_client or principal.subject != user_id:
        raise insufficient_scope(accepted)


@router.post(
    "/users",
    status_code=201,
    responses=openapi.management(409, ok=(201, openapi.OBJECT)),
    openapi_extra=openapi.json_body(CreateUser),
)
async def create_user(
    request: Request,
    caller: Caller = Depends(require("create:users")),
) -> Response:
    found = caller.services
    data = await read_json_object(request, found.settings.max_body_bytes)
    body = validate(CreateUser, data)
    fields = {k: v for k, v in body.model_dump(exclude_unset=True).items() if k != "verify_email"}
    # As on Auth0: a user whose email is not verified is sent the verification mail, unless
    # the body says `verify_email: false`.
    verify = body.verify_email if "verify_email" in body.model_fields_set else True
    mails = found.account_mails.for_signup(fields.get("client_id")) if verify else None
    user = await found.users.create(fields, mails)
    if mails is not None:
        found.account_mails.wake(mails)
    return JSONResponse(management_view(user), status_code=201)


@router.get(
    "/users",
    responses=openapi.management(ok=(200, openapi.listing("users"))),
    openapi_extra=openapi.query(
        *openapi.PAGING, *openapi.FIELDS, "q", "search_engine", "sort", "from", "take"
    ),
)
async def list_users(
    request: Request,
    caller: Caller = Depends(require("read:users", "read:user_idp_tokens")),
) -> Response:
    found = caller.services
    query = request.query_params
    wanted = parsed_search(query)
    selection = FieldSelection.parse(query)
    if "from" in query or "take" in query:
        return await _walk(caller, query, wanted or search.parse(""), selection)
    paging = Paging.parse(query)
    sort, descending = parsed_sort(query.get("sort"))
    if wanted is None:
        users, total = await found.users.page(
            offset=paging.offset,
            limit=paging.per_page,
            sort=sort,
            descending=descending,
            with_total=paging.include_totals,
        )
    else:
        window = found.settings.search_max_results
        if paging.offset >= window:
            raise InvalidQueryString(
                f"Query validation error: 'page and per_page reach only the first {window} "
                "results; walk further with from and take' on property page."
            )
        users, total = await found.users.search(
            wanted,
            offset=paging.offset,
            limit=min(paging.per_page, window - paging.offset),
            sort=sort,
            descending=descending,
            count_up_to=window if paging.include_totals else None,
        )
    opener = _idp_token_opener(caller)
    items = [selection.apply(management_view(u, opener)) for u in users]
    return JSONResponse(paging.wrap("users", items, total or 0, with_length=True))


def _idp_token_opener(caller: Caller) -> Callable[[str], str | None] | None:
    """Identities show their provider's tokens only to `read:user_idp_tokens`."""
    if caller.principal.has_any("read:user_idp_tokens"):
        return caller.services.idp_tokens.open
    return None


def parsed_search(query: Mapping[str, str]) -> search.Query | None:
    """The parsed `q`, or None without one. v3 is the engine; v2 is taken as its alias."""
    engine = query.get("search_engine")
    if engine not in (None, "", "v2", "v3"):
        raise InvalidQueryString(
            "Query validation error: 'search_engine must be v3 (or v2, its alias)' "
            "on property search_engine."
        )
    q = query.get("q")
    return None if q is None or not q.strip() else search.parse(q)


async def _walk(
    caller: Caller, query: Mapping[str, str], wanted: search.Query, selection: FieldSelection
) -> Response:
    """Checkpoint paging: `take` users after the `from` checkpoint, and the next one."""
    take = integer(query, "take", 50, 1, 100)
    start = query.get("from")
    after = checkpoint.decode(start) if start else None
    users = await caller.services.users.walk(wanted, after=after, take=take)
    opener = _idp_token_opener(caller)
    body: dict[str, Any] = {"users": [selection.apply(management_view(u, opener)) for u in users]}
    if len(users) == take:
        body["next"] = checkpoint.encode(users[-1].created_at, users[-1].user_id)
    return JSONResponse(body)


def parsed_sort(raw: str | None) -> tuple[str, bool]:
    if not raw:
        return "created_at", False
    field, sep, direction = raw.partition(":")
    if not sep or field not in SORTABLE or direction not in ("1", "-1"):
        raise InvalidQueryString(
            "Query validation error: 'sort must be field:1 or field:-1 with field one of "
            f"{', '.join(sorted(SORTABLE))}' on property sort."
        )
    return field, direction == "-1"


@router.get(
    "/users/{user_id}",
    responses=openapi.management(404, ok=(200, openapi.OBJECT)),
    openapi_extra=openapi.query(*openapi.FIELDS),
)
async def get_user(
    user_id: str,
    request: Request,
    caller: Caller = Depends(require(*READ)),
) -> Response:
    found = caller.services
    principal = caller.principal
    _check_self(principal, user_id, ("read:users", "read:user_idp_tokens"), READ)
    user = await found.users.get(user_id)
    view = management_view(user, _idp_token_opener(caller))
    selected = FieldSelection.parse(request.query_params).apply(view)
    return JSONResponse(selected, headers={"ETag": user_etag(user)})


@router.patch(
    "/users/{user_id}",
    responses=openapi.management(404, 409, 412, ok=(200, openapi.OBJECT)),
    openapi_extra={**openapi.json_body(UpdateUser), **openapi.IF_MATCH},
)
async def update_user(
    user_id: str,
    request: Request,
    caller: Caller = Depends(require(*UPDATE)),
) -> Response:
    found = caller.services
    principal = caller.principal
    data = await read_json_object(request, found.settings.max_body_bytes)
    body = validate(UpdateUser, data)
    fields = {
        k: v for k, v in body.model_dump(exclude_unset=True).items() if k not in STEERING_FIELDS
    }
    _authorize_update(principal, user_id, fields)
    if_match = IfMatch.of(request.headers.get("if-match"))
    user = await found.users.update(user_id, fields, principal.author, if_match)
    return JSONResponse(management_view(user), headers={"ETag": user_etag(user)})


def _authorize_update(principal: Principal, user_id: str, fields: dict[str, Any]) -> None:
    """`update:users` may change anything; narrower scopes may change only their part."""
    if principal.has_any("update:users"):
        return
    allowed: set[str] = set()
    if principal.has_any("update:users_app_metadata"):
        allowed.add("app_metadata")
    if principal.has_any(*CURRENT_USER_METADATA) and principal.subject == user_id:
        allowed.add("user_metadata")
    if not allowed:
        raise insufficient_scope(UPDATE)
    refused = sorted(set(fields) - allowed)
    if refused:
        raise Forbidden(f"You cannot update the following fields: {', '.join(refused)}")


@router.delete(
    "/users/{user_id}",
    status_code=204,
    responses=openapi.management(412),
    openapi_extra=openapi.IF_MATCH,
)
async def delete_user(
    user_id: str,
    request: Request,
    caller: Caller = Depends(require(*DELETE)),
) -> Response:
    found = caller.services
    principal = caller.principal
    _check_self(principal, user_id, ("delete:users",), DELETE)
    client = principal.claims.get("azp") or principal.subject.removesuffix("@clients")
    try:
        await found.users.delete(user_id, IfMatch.of(request.headers.get("if-match")))
    except ScriptRefused as exc:  # a custom database's `delete` script failed: nothing deleted
        details = {"error": {"message": exc.message}}
        found.logs.record("fdu", user_id=user_id[:300], client_id=str(client), details=details)
        raise
    found.logs.record("sdu", user_id=user_id, client_id=str(client))
    return Response(status_code=204)


@router.get(
    "/users-by-email",
    responses=openapi.management(ok=(200, openapi.ARRAY)),
    openapi_extra=openapi.query(*openapi.FIELDS, required=("email",)),
)
async def users_by_email(
    request: Request,
    caller: Caller = Depends(require("read:users")),
) -> Response:
    found = caller.services
    email = request.query_params.get("email")
    if not email:
        raise InvalidQueryString(
            "Query validation error: 'Missing required property: email' on property email."
        )
    selection = FieldSelection.parse(request.query_params)
    users = await found.users.by_email(email)
    return JSONResponse([selection.apply(management_view(u)) for u in users])
