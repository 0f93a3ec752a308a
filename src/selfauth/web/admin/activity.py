"""The dashboard's activity section (/admin/activity): the executions journal, what each
trigger run of Rules and Actions did (GET /api/v2/actions/executions's records), newest first,
filtered by status, user (id or email), trigger, Rule/Action name and day; and one
execution's page (each script's status, timing, logs and error).

Only what the journal records is shown: runs that had scripts, kept ten days. Tenant logs
(Auth0's /api/v2/logs) are a later step."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from selfauth.domain.actions.executions import ExecutionFilter
from selfauth.errors import NotFound
from selfauth.web.admin.page import admin_page
from selfauth.web.admin.session import Admin, signed_in

router = APIRouter(include_in_schema=False)

PER_PAGE = 25
STATUSES = ("final", "partial", "pending")
TRIGGERS = ("post-login", "credentials-exchange", "pre-user-registration", "post-user-registration")
FILTERS = ("status", "user", "trigger", "script", "since", "until")


def _day(value: str, name: str, problems: list[str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.append(f"{name} is not a date (YYYY-MM-DD): {value}")
        return None


@router.get("/admin/activity")
async def activity(request: Request, admin: Admin = Depends(signed_in)) -> Response:
    found = admin.services
    query = request.query_params
    chosen = {name: (query.get(name) or "").strip() for name in FILTERS}
    problems: list[str] = []
    try:
        page = max(0, int(query.get("page", "0")))
    except ValueError:
        page = 0
    status = chosen["status"] if chosen["status"] in STATUSES else None
    trigger = chosen["trigger"] if chosen["trigger"] in TRIGGERS else None
    since = _day(chosen["since"], "From", problems)
    until = _day(chosen["until"], "To", problems)
    user_ids: list[str] | None = None
    who = chosen["user"]
    if who:
        if "@" in who:
            user_ids = [u.user_id for u in await found.users.by_email(who.lower())]
        else:
            user_ids = [who]
    executions: list[dict[str, Any]] = []
    if not problems and user_ids != []:
        wanted = ExecutionFilter(
            user_ids=user_ids,
            trigger_id=trigger,
            status=status,
            script=chosen["script"] or None,
            since=datetime.combine(since, time.min, UTC) if since else None,
            # The "to" day is included: before the next day's midnight.
            until=datetime.combine(until + timedelta(days=1), time.min, UTC) if until else None,
        )
        executions = await found.executions.page(wanted, offset=page * PER_PAGE, limit=PER_PAGE)
    filters = {k: v for k, v in chosen.items() if v}
    emails: dict[str, str] = {}
    for user_id in {e["user_id"] for e in executions if e.get("user_id")}:
        user = await found.users.get_or_none(user_id)
        if user is not None and user.email:
            emails[user_id] = user.email
    return admin_page(
        request,
        admin,
        "activity/list.html",
        title="Activity",
        status=400 if problems else 200,
        problem=" ".join(problems) or None,
        executions=executions,
        filters=filters,
        chosen=chosen,
        statuses=STATUSES,
        triggers=TRIGGERS,
        page=page,
        per_page=PER_PAGE,
        unknown_email=bool(who and user_ids == []),
        emails=emails,
    )


@router.get("/admin/activity/{execution_id}")
async def execution(
    execution_id: str, request: Request, admin: Admin = Depends(signed_in)
) -> Response:
    found = await admin.services.executions.get(execution_id)
    if found is None:
        raise NotFound("The execution does not exist.")
    user = None
    if found.get("user_id"):
        user = await admin.services.users.get_or_none(found["user_id"])
    return admin_page(
        request,
        admin,
        "activity/execution.html",
        title="Execution",
        execution=found,
        user=user,
    )
