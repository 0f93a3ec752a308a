"""A user's page in the dashboard (/admin/users/{user_id}): the profile, metadata, identities,
blocks, recent Rules/Actions executions, and deleting the user.

Every change is the body `PATCH /api/v2/users/{id}` (or the identities, user-blocks and
DELETE routes) would be sent, validated with the same strict model and given to the same
service method, so the metadata merge and limits and the connection's sync policy hold here as
there. User ids hold `|` and may hold `/`, so the id is the path's tail and each POST says what
it does in `?do=`."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from selfauth.domain.actions.executions import ExecutionFilter
from selfauth.domain.connections.model import Connection
from selfauth.domain.etags import IfMatch, PreconditionFailed
from selfauth.domain.metadata_history import HistoryFilter
from selfauth.domain.users.etag import user_etag
from selfauth.domain.users.legacy import ScriptRefused
from selfauth.domain.users.model import User
from selfauth.domain.users.service import SYNCED_ATTRIBUTES
from selfauth.errors import InvalidBody, NotFound, SelfauthError
from selfauth.flows.tenant_logs import about
from selfauth.web.admin.page import admin_page
from selfauth.web.admin.session import Admin, signed_in
from selfauth.web.body import validate
from selfauth.web.management.users import STEERING_FIELDS, UpdateUser

router = APIRouter(include_in_schema=False)

# The root attributes the profile form edits, in its order (label, input type).
PROFILE = (
    ("email", "Email", "email"),
    ("username", "Username", "text"),
    ("name", "Name", "text"),
    ("given_name", "Given name", "text"),
    ("family_name", "Family name", "text"),
    ("nickname", "Nickname", "text"),
    ("picture", "Picture URL", "url"),
    ("phone_number", "Phone number", "tel"),
)
METADATA = ("user_metadata", "app_metadata")
EXECUTIONS_SHOWN = 10
HISTORY_SHOWN = 20  # the newest metadata changes on the page; the API pages through the rest
NOTICES = {
    "created": "The user was created.",
    "saved": "Saved.",
    "blocked": "The user is blocked: they cannot sign in.",
    "unblocked": "The user is no longer blocked.",
    "unblocked_ips": "The brute-force blocks were lifted.",
    "unlinked": "The identity was unlinked; it is a user of its own again.",
    "password": "The password was changed.",
    "unchanged": "Nothing was changed.",
    "revoked": "The refresh token was revoked: it no longer gets tokens.",
    "ended": "The session was ended: that browser must sign in again.",
}


def user_href(user_id: str) -> str:
    """A user's page: ids hold `|` (and an upstream subject may hold `/`), so all is quoted."""
    return f"/admin/users/{quote(user_id, safe='')}"


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)


def _sync_reason(connection: Connection | None) -> str | None:
    """Why the synced attributes cannot be edited, or None when they can."""
    if connection is None or connection.root_attributes_editable:
        return None
    return (
        f"Synced from {connection.name} at each login (its set_user_root_attributes is "
        "on_each_login): the Management API refuses to change it (operation_not_supported)."
    )


async def _connection(admin: Admin, user: User) -> Connection | None:
    try:
        return await admin.services.connections.get(user.connection_id)
    except NotFound:
        return None


def _shown_value(value: Any) -> str | None:
    """A history value as compact JSON for the page (None: the key was absent), cut short."""
    if value is None:
        return None
    text = orjson.dumps(value).decode()
    return text if len(text) <= 200 else text[:199] + "…"


def _when(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


async def _page(
    request: Request,
    admin: Admin,
    user: User,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    typed: dict[str, Any] | None = None,
    problem: str | None = None,
) -> Response:
    found = admin.services
    connection = await _connection(admin, user)
    reason = _sync_reason(connection)
    typed = typed or {}
    profile = []
    for name, label, kind in PROFILE:
        current = getattr(user, name)
        if (
            name == "username"
            and current is None
            and not (connection and connection.requires_username)
        ):
            continue  # a connection without usernames refuses one
        locked = reason is not None and name in SYNCED_ATTRIBUTES
        value = typed.get(name, current)
        profile.append(
            {"name": name, "label": label, "type": kind, "value": value, "locked": locked}
        )
    metadata = {name: typed.get(name, _pretty(getattr(user, name))) for name in METADATA}
    identities = []
    for index, identity in enumerate(user.identities):
        provider = str(identity.get("provider", ""))
        identity_id = str(identity.get("user_id", ""))
        unlink = None
        if index > 0:
            unlink = "?" + urlencode(
                {"do": "unlink", "provider": provider, "identity": identity_id}
            )
        identities.append(
            {
                "provider": provider,
                "connection": identity.get("connection", ""),
                "user_id": identity_id,
                "is_social": bool(identity.get("isSocial")),
                "unlink": unlink,
            }
        )
    blocks = await found.user_blocks.blocks([user.user_id])
    refresh_tokens = await found.refresh.of_user(user.user_id)
    sessions = await found.authorizer.sessions_of(user.user_id)
    executions = await found.executions.page(
        ExecutionFilter(user_ids=[user.user_id]), offset=0, limit=EXECUTIONS_SHOWN
    )
    runs = [
        {
            "id": e.get("id"),
            "trigger_id": e.get("trigger_id"),
            "status": e.get("status"),
            "created_at": _when(e.get("created_at")),
            "results": [
                {
                    "name": r.get("action_name"),
                    "status": r.get("status"),
                    "error": (r.get("error") or {}).get("msg"),
                }
                for r in e.get("results") or []
            ],
        }
        for e in executions
    ]
    changes = await found.metadata_history.of_user(
        user.user_id, HistoryFilter(), offset=0, limit=HISTORY_SHOWN
    )
    history = [
        {
            "changed_at": entry.changed_at,
            "field": entry.field,
            "key": entry.key,
            "old": _shown_value(entry.old),
            "new": _shown_value(entry.new),
            "by": entry.by,
        }
        for entry in changes
    ]
    notice = next((text for key, text in NOTICES.items() if request.query_params.get(key)), None)
    return admin_page(
        request,
        admin,
        "users/user.html",
        title=str(user.name or user.email or user.username or user.user_id),
        status=status,
        user=user,
        href=user_href(user.user_id),
        connection=connection,
        sync_reason=reason,
        profile=profile,
        email_verified=typed.get("email_verified", user.email_verified),
        metadata=metadata,
        max_bytes=found.settings.metadata_max_bytes,
        identities=identities,
        blocks=blocks,
        refresh_tokens=refresh_tokens,
        sessions=sessions,
        executions=runs,
        history=history,
        errors=errors or {},
        problem=problem,
        notice=None if problem else notice,
        # The user as this page shows it: a save is refused if someone changed it since.
        etag=user_etag(user),
    )


@router.get("/admin/users/{user_id:path}")
async def user_page(user_id: str, request: Request, admin: Admin = Depends(signed_in)) -> Response:
    user = await admin.services.users.get(user_id)  # 404 page when there is none
    return await _page(request, admin, user)


async def _patch(
    admin: Admin, user_id: str, data: dict[str, Any], if_match: IfMatch | None = None
) -> User:
    """What PATCH /api/v2/users/{id} does with `data` for a caller with update:users."""
    body = validate(UpdateUser, data)
    fields = {
        k: v for k, v in body.model_dump(exclude_unset=True).items() if k not in STEERING_FIELDS
    }
    return await admin.services.users.update(user_id, fields, admin.author, if_match)


def _as_shown(fields: dict[str, str]) -> IfMatch | None:
    """The page's ETag, sent back by its form: the save applies only to the user it showed."""
    shown = fields.get("etag")
    return IfMatch(shown) if shown else None


CHANGED_MEANWHILE = (
    "Someone changed this user after you opened this page, so your change was not saved. "
    "The page now shows their version: make your change again."
)


_PROPERTY = re.compile(r"on property (\w+)")


def _profile_errors(error: SelfauthError, sent: dict[str, Any]) -> dict[str, str]:
    """The refusal shown next to the field(s) it names; {} when it names none."""
    message = error.message
    if "cannot be updated:" in message:  # the sync policy lists every refused attribute
        return {name: message for name in SYNCED_ATTRIBUTES if name in sent}
    named = _PROPERTY.search(message)
    if named and named.group(1) in sent:
        return {named.group(1): message}
    mentioned = [name for name in sent if name in message]
    if len(mentioned) == 1:
        return {mentioned[0]: message}
    if len(sent) == 1:
        return {next(iter(sent)): message}
    return {}


def _parse_object(text: str) -> dict[str, Any]:
    """The textarea's JSON: an object, with JSON's own numbers (no NaN or Infinity)."""

    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not JSON")

    try:
        value = json.loads(text, parse_constant=refuse)
    except json.JSONDecodeError as exc:
        raise InvalidBody(
            f"Invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
        ) from None
    except ValueError as exc:
        raise InvalidBody(f"Invalid JSON: {exc}.") from None
    if not isinstance(value, dict):
        raise InvalidBody("Payload validation error: 'Expected type object' (a JSON object {...}).")
    return value


@router.post("/admin/users/{user_id:path}")
async def user_action(
    user_id: str, request: Request, admin: Admin = Depends(signed_in)
) -> Response:
    fields = await admin.form(request)
    found = admin.services
    do = request.query_params.get("do", "")
    user = await found.users.get(user_id)
    here = user_href(user.user_id)
    if do == "profile":
        return await _save_profile(request, admin, user, fields)
    if do in METADATA:
        typed = fields.get(do, "")
        try:
            await _patch(admin, user.user_id, {do: _parse_object(typed)}, _as_shown(fields))
        except PreconditionFailed:
            return await _page(request, admin, user, status=412, problem=CHANGED_MEANWHILE)
        except SelfauthError as error:
            return await _page(
                request, admin, user, status=400, errors={do: error.message}, typed={do: typed}
            )
        return RedirectResponse(f"{here}?saved=1#{do}", status_code=303)
    if do == "password":
        try:
            await _patch(admin, user.user_id, {"password": fields.get("password", "")})
        except SelfauthError as error:
            return await _page(request, admin, user, status=400, errors={"password": error.message})
        return RedirectResponse(f"{here}?password=1", status_code=303)
    if do in ("block", "unblock"):
        await _patch(admin, user.user_id, {"blocked": do == "block"})
        return RedirectResponse(f"{here}?{do}ed=1", status_code=303)
    if do == "unblock_ips":  # DELETE /api/v2/user-blocks/{id}
        await found.user_blocks.unblock([user.user_id])
        return RedirectResponse(f"{here}?unblocked_ips=1", status_code=303)
    if do == "unlink":  # DELETE /api/v2/users/{id}/identities/{provider}/{user_id}
        query = request.query_params
        try:
            await found.users.unlink(
                user.user_id, query.get("provider", ""), query.get("identity", "")
            )
        except SelfauthError as error:
            return await _page(
                request, admin, user, status=error.status_code, problem=error.message
            )
        return RedirectResponse(f"{here}?unlinked=1", status_code=303)
    if do == "end_session":  # as a logout of that browser does
        session_id = request.query_params.get("session", "")
        if not await found.authorizer.end_session_of(user.user_id, session_id):
            return await _page(
                request, admin, user, status=400, problem="This user has no such session."
            )
        return RedirectResponse(f"{here}?ended=1#sessions", status_code=303)
    if do == "revoke_refresh":  # as /oauth/revoke does: the token's whole family ends
        family = request.query_params.get("family", "")
        if not await found.refresh.revoke_of_user(user.user_id, family):
            return await _page(
                request, admin, user, status=400, problem="This user has no such refresh token."
            )
        return RedirectResponse(f"{here}?revoked=1#refresh-tokens", status_code=303)
    if do == "delete":  # DELETE /api/v2/users/{id}
        try:
            await found.users.delete(user.user_id)
        except ScriptRefused as exc:
            details = {"error": {"message": exc.message}}
            found.logs.record("fdu", details=details, **about(user=user))
            raise
        found.logs.record("sdu", **about(user=user))
        return RedirectResponse("/admin/users?deleted=1", status_code=303)
    return await _page(request, admin, user, status=400, problem="Unknown action.")


async def _save_profile(
    request: Request, admin: Admin, user: User, fields: dict[str, str]
) -> Response:
    """Only the attributes the form changed are sent (an empty text removes the attribute, as
    `null` does in a PATCH), so untouched synced attributes are never part of the change."""
    data: dict[str, Any] = {}
    typed: dict[str, Any] = {}
    for name, _, _ in PROFILE:
        if name not in fields:
            continue
        text = fields[name].strip()
        typed[name] = text
        value = text or None
        if value != getattr(user, name):
            data[name] = value
    verified = fields.get("email_verified") == "on"
    typed["email_verified"] = verified
    if verified != user.email_verified:
        data["email_verified"] = verified
    if not data:
        return RedirectResponse(f"{user_href(user.user_id)}?unchanged=1", status_code=303)
    try:
        await _patch(admin, user.user_id, data, _as_shown(fields))
    except PreconditionFailed:
        return await _page(request, admin, user, status=412, problem=CHANGED_MEANWHILE)
    except SelfauthError as error:
        errors = _profile_errors(error, data)
        return await _page(
            request,
            admin,
            user,
            status=400,
            errors=errors,
            typed=typed,
            problem=None if errors else error.message,
        )
    return RedirectResponse(f"{user_href(user.user_id)}?saved=1", status_code=303)
