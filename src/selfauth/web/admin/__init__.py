"""The dashboard (/admin): server-rendered pages over the same services the Management API
calls, so every rule it keeps (metadata merge and limits, the sync policy, hashed secrets)
holds here too. `install` adds its routes, its static files and its error pages to the app.

Each section is a module with a `router`, listed in `SECTION_MODULES`."""

from __future__ import annotations

from fastapi import FastAPI, Request
from starlette.responses import RedirectResponse, Response

from selfauth.web.admin import (
    actions,
    activity,
    apis,
    applications,
    connections,
    emails,
    home,
    jobs,
    rules,
    signin,
    static,
    users,
)
from selfauth.web.admin.render import render
from selfauth.web.admin.session import (
    CsrfRefused,
    NotAdministrator,
    SignInRequired,
    sign_in_address,
)
from selfauth.web.context import services_of
from selfauth.web.errors import render_errors_as_pages


def _error_page(status: int, message: str) -> Response:
    return render("message.html", status, title=f"Error {status}", message=message, retry=False)


async def _sign_in(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    if request.method != "GET":
        # A form posted after the sign-in ended: nothing it asked is done.
        return render(
            "message.html",
            401,
            title="Signed out",
            message="Your dashboard sign-in has ended; nothing was changed. Sign in again.",
            retry=True,
        )
    return RedirectResponse(sign_in_address(exc.target), status_code=303)


async def _not_administrator(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, NotAdministrator)
    who = (exc.user.email or exc.user.user_id) if exc.user else "This account"
    return signin.refusal(request, services_of(request), str(who))


async def _csrf_refused(request: Request, exc: Exception) -> Response:
    return render(
        "message.html",
        403,
        title="Refused",
        message=(
            "The form did not carry this sign-in's security token, so nothing was changed. "
            "Reload the page and try again."
        ),
        retry=False,
    )


# The sections, each a module with a `router` (navigation.py orders their links).
SECTION_MODULES = (users, applications, apis, connections, rules, actions, emails, jobs, activity)


def install(app: FastAPI) -> None:
    app.include_router(signin.router)
    app.include_router(static.router)
    app.include_router(home.router)
    for module in SECTION_MODULES:
        app.include_router(module.router)
    app.add_exception_handler(SignInRequired, _sign_in)
    app.add_exception_handler(NotAdministrator, _not_administrator)
    app.add_exception_handler(CsrfRefused, _csrf_refused)
    render_errors_as_pages(app, "/admin", _error_page)
