"""The dashboard's users section: the list (search, paging, sort) and creating a user.

The list reads through the same service calls as `GET /api/v2/users` (one `users.page` or
`users.search` per page, nothing per row) and parses `q` and `sort` with that router's own
helpers, so a query the API refuses is refused here with the same message. Creating a user
validates the same body model and calls the same service as `POST /api/v2/users`. The user's
own page is in users_edit.py."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from selfauth.domain.users.model import SORTABLE, User
from selfauth.errors import InvalidQueryString, SelfauthError
from selfauth.web.admin import users_edit
from selfauth.web.admin.page import admin_page
from selfauth.web.admin.session import Admin, signed_in
from selfauth.web.admin.users_edit import user_href
from selfauth.web.body import validate
from selfauth.web.management.users import CreateUser, parsed_search, parsed_sort
from selfauth.web.query import integer

router = APIRouter(include_in_schema=False)

PER_PAGE = 50
DEFAULT_SORT = "created_at:-1"  # newest first; the API's own default is created_at:1
# The list's columns that sort when their heading is clicked (field, heading).
COLUMNS = (
    ("name", "Name"),
    ("email", "Email"),
    (None, "Connection"),
    ("logins_count", "Logins"),
    ("last_login", "Last login"),
    ("created_at", "Created"),
)
_SORT_LABELS = {
    "created_at": "Created",
    "updated_at": "Updated",
    "last_login": "Last login",
    "email": "Email",
    "name": "Name",
    "nickname": "Nickname",
    "given_name": "Given name",
    "family_name": "Family name",
    "username": "Username",
    "user_id": "User ID",
    "logins_count": "Logins",
}


def sort_options() -> list[tuple[str, str]]:
    options = []
    for field in sorted(SORTABLE, key=lambda name: _SORT_LABELS.get(name, name)):
        label = _SORT_LABELS.get(field, field)
        options.append((f"{field}:-1", f"{label}, descending"))
        options.append((f"{field}:1", f"{label}, ascending"))
    return options


def _row(user: User) -> dict[str, Any]:
    # The connection's name is in the user's first identity: no per-row connection lookup.
    first = user.identities[0] if user.identities else {}
    return {
        "href": user_href(user.user_id),
        "user_id": user.user_id,
        "name": user.name or user.nickname or user.username or user.user_id,
        "email": user.email,
        "connection": first.get("connection", ""),
        "logins_count": user.logins_count,
        "last_login": user.last_login,
        "created_at": user.created_at,
        "blocked": user.blocked,
    }


@router.get("/admin/users")
async def users_list(request: Request, admin: Admin = Depends(signed_in)) -> Response:
    found = admin.services
    query = request.query_params
    q = query.get("q", "")
    sort_raw = query.get("sort") or DEFAULT_SORT
    rows: list[dict[str, Any]] = []
    total: int | None = None
    page = 0
    problem = None
    window = found.settings.search_max_results
    try:
        page = integer(query, "page", 0, 0, 1_000_000)
        sort, descending = parsed_sort(sort_raw)
        wanted = parsed_search({"q": q})
        offset = page * PER_PAGE
        if wanted is None:
            users, total = await found.users.page(
                offset=offset, limit=PER_PAGE, sort=sort, descending=descending, with_total=True
            )
        else:
            if offset >= window:  # the API's own limit of page/per_page over a search
                raise InvalidQueryString(
                    f"Query validation error: 'page and per_page reach only the first {window} "
                    "results; walk further with from and take' on property page."
                )
            users, total = await found.users.search(
                wanted,
                offset=offset,
                limit=min(PER_PAGE, window - offset),
                sort=sort,
                descending=descending,
                count_up_to=window,
            )
        rows = [_row(user) for user in users]
    except SelfauthError as error:
        problem = error.message
    return admin_page(
        request,
        admin,
        "users/list.html",
        title="Users",
        status=400 if problem else 200,
        search_problem=problem,
        q=q,
        sort=sort_raw,
        sort_options=sort_options(),
        columns=COLUMNS,
        rows=rows,
        page=page,
        per_page=PER_PAGE,
        total=total,
        capped=bool(q.strip()) and total is not None and total >= window,
        window=window,
        notice="The user was deleted." if query.get("deleted") else None,
    )


async def _database_connections(admin: Admin) -> list[Any]:
    return [c for c in await admin.services.connections.all() if c.is_database]


def _create_page(
    request: Request,
    admin: Admin,
    connections: list[Any],
    values: dict[str, Any],
    errors: dict[str, str],
    problem: str | None = None,
    status: int = 200,
) -> Response:
    return admin_page(
        request,
        admin,
        "users/new.html",
        title="Create user",
        status=status,
        connections=connections,
        needs_username=[c.name for c in connections if c.requires_username],
        values=values,
        errors=errors,
        problem=problem,
    )


@router.get("/admin/users/new")
async def user_new(request: Request, admin: Admin = Depends(signed_in)) -> Response:
    connections = await _database_connections(admin)
    default = admin.services.settings.default_directory
    names = [c.name for c in connections]
    chosen = default if default in names else (names[0] if names else "")
    values = {"connection": chosen, "email": "", "username": "", "email_verified": False}
    return _create_page(request, admin, connections, values, {})


def _create_field(error: SelfauthError) -> str | None:
    """Which of the form's fields a refusal of POST /users is about (None: the form's)."""
    text = error.message.lower()
    if error.name == "PasswordStrengthError" or "password" in text:
        return "password"
    if "username" in text:
        return "username"
    if "connection" in text:
        return "connection"
    if "email" in text or error.status_code == 409:
        return "email"
    return None


@router.post("/admin/users/new")
async def user_create(request: Request, admin: Admin = Depends(signed_in)) -> Response:
    fields = await admin.form(request)
    found = admin.services
    values: dict[str, Any] = {
        "connection": fields.get("connection", ""),
        "email": fields.get("email", "").strip(),
        "username": fields.get("username", "").strip(),
        "email_verified": fields.get("email_verified") == "on",
    }
    # The body POST /api/v2/users would be sent: empty text fields are left out.
    data: dict[str, Any] = {"connection": values["connection"]}
    for key in ("email", "username"):
        if values[key]:
            data[key] = values[key]
    data["password"] = fields.get("password", "")
    data["email_verified"] = values["email_verified"]
    try:
        body = validate(CreateUser, data)
        given = body.model_dump(exclude_unset=True)
        # As the API without `verify_email`: an unverified email is sent the verification mail.
        mails = found.account_mails.for_signup(None)
        user = await found.users.create(given, mails)
        found.account_mails.wake(mails)
    except SelfauthError as error:
        connections = await _database_connections(admin)
        field = _create_field(error)
        errors = {field: error.message} if field else {}
        return _create_page(
            request,
            admin,
            connections,
            values,
            errors,
            problem=None if field else error.message,
            status=400,
        )
    return RedirectResponse(f"{user_href(user.user_id)}?created=1", status_code=303)


# Last: the user page's `/admin/users/{user_id:path}` must not take `/admin/users/new`.
router.include_router(users_edit.router)
