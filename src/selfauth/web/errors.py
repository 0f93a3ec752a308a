"""The one place where errors become responses, in the shape of the API that was called
(`selfauth/errors.py` lists the three)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from enum import Enum
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import compile_path

from selfauth.errors import SelfauthError
from selfauth.hooks.sandbox import SandboxFailure
from selfauth.web.cors_paths import policy_for
from selfauth.web.json import JSONResponse


def management_error(
    status: int,
    message: str,
    error_code: str | None,
    details: Mapping[str, object] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """Auth0's Management API shape: `{statusCode, error, message, errorCode}`."""
    body: dict[str, object] = {
        "statusCode": status,
        "error": HTTPStatus(status).phrase,
        "message": message,
    }
    if error_code is not None:
        body["errorCode"] = error_code
    if details:
        body.update(details)
    return JSONResponse(body, status_code=status, headers=dict(headers or {}) or None)


def oauth_error(
    status: int, error: str, description: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """RFC 6749 5.2's shape, never cached: `{error, error_description}`."""
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=status,
        headers={"Cache-Control": "no-store", "Pragma": "no-cache", **(headers or {})},
    )


def authentication_error(
    status: int,
    name: str,
    code: str,
    description: str,
    details: Mapping[str, object] | None = None,
) -> JSONResponse:
    """The Authentication API's shape that auth0.js and Lock read: `{name, code,
    description, statusCode}`."""
    body: dict[str, object] = {"name": name, "code": code, "description": description}
    body.update(details or {})
    body["statusCode"] = status
    return JSONResponse(body, status_code=status)


class Shape(Enum):
    MANAGEMENT = "management"
    AUTHENTICATION = "authentication"
    OAUTH = "oauth"


def shape_of(path: str) -> Shape:
    """Which wire shape an error takes at `path`."""
    if path.startswith("/api/"):
        return Shape.MANAGEMENT
    if path.startswith("/dbconnections/"):
        return Shape.AUTHENTICATION
    return Shape.OAUTH


def is_management_path(path: str) -> bool:
    return shape_of(path) is Shape.MANAGEMENT


def error_response(exc: SelfauthError, shape: Shape) -> JSONResponse:
    """The one place an error becomes a response."""
    if shape is Shape.MANAGEMENT:
        return management_error(
            exc.status_code, exc.message, exc.error_code, exc.details, exc.headers
        )
    if shape is Shape.AUTHENTICATION:
        return authentication_error(
            exc.status_code, exc.name, exc.error_code, exc.message, exc.details
        )
    return oauth_error(exc.status_code, exc.error_code, exc.message, exc.headers)


PageError = Callable[[int, str], Response]


def render_errors_as_pages(app: FastAPI, prefix: str, page: PageError) -> None:
    """Errors under `prefix` (the dashboard's pages) are answered by `page(status, message)`,
    an HTML page, rather than in an API's JSON shape."""
    app.state.error_pages = {**getattr(app.state, "error_pages", {}), prefix: page}


def _page_for(request: Request) -> PageError | None:
    pages: dict[str, PageError] = getattr(request.app.state, "error_pages", {})
    path = request.url.path
    return next((page for prefix, page in pages.items() if path.startswith(prefix)), None)


async def _selfauth_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SelfauthError)
    page = _page_for(request)
    if page is not None:
        return page(exc.status_code, exc.message)
    return error_response(exc, shape_of(request.url.path))


async def _sandbox_error(request: Request, exc: Exception) -> Response:
    """The script sandbox could not answer (a compile check when its worker died twice)."""
    message = f"The script sandbox is unavailable: {exc}"
    page = _page_for(request)
    if page is not None:
        return page(503, message)
    if not is_management_path(request.url.path):
        return oauth_error(503, "temporarily_unavailable", message)
    return management_error(503, message, "sandbox_unavailable")


def _route_table(app: FastAPI) -> list[tuple[re.Pattern[str], frozenset[str]]]:
    """Every route's path pattern and methods, read through FastAPI's included routers once."""
    table: list[tuple[re.Pattern[str], frozenset[str]]] | None = getattr(
        app.state, "route_table", None
    )
    if table is None:
        table = [
            (compile_path(route.path)[0], frozenset(route.methods))
            for route in iter_route_contexts(app.routes)
            if route.path is not None and route.methods
        ]
        app.state.route_table = table
    return table


def allowed_methods(request: Request) -> str:
    """Every method some route serves at this path (RFC 9110 15.5.6: a 405 lists them all).

    Starlette names the methods of the first route that matched the path only; our routes
    each serve one method (GET, PATCH and DELETE of a user are three routes), so that would
    name one of three."""
    path = request.scope["path"]  # decoded, as the router matches it
    methods = {
        m for pattern, found in _route_table(request.app) if pattern.match(path) for m in found
    }
    if methods and policy_for(path) is not None:
        methods.add("OPTIONS")  # the CORS layer answers preflights there
    return ", ".join(sorted(methods))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(status).phrase
    if status == 404:
        message = "Not Found"
    page = _page_for(request)
    if page is not None and status != 405:
        return page(status, message)
    if is_management_path(request.url.path):
        response = management_error(status, message, None)
    else:
        response = oauth_error(status, "invalid_request", message)
    if status == 405:
        response.headers["Allow"] = allowed_methods(request)
    return response


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid"}
    where = ".".join(str(p) for p in first["loc"])
    message = f"Query validation error: '{first['msg']}' on property {where}."
    page = _page_for(request)
    if page is not None:
        return page(400, message)
    if is_management_path(request.url.path):
        return management_error(400, message, "invalid_query_string")
    return oauth_error(400, "invalid_request", message)


_HANDLERS: dict[type[Exception], Callable[[Request, Exception], Awaitable[Response]]] = {
    SelfauthError: _selfauth_error,
    SandboxFailure: _sandbox_error,
    HTTPException: _http_error,
    RequestValidationError: _validation_error,
}


def install(app: FastAPI) -> None:
    for kind, handler in _HANDLERS.items():
        app.add_exception_handler(kind, handler)


async def handled(request: Request, exc: Exception) -> Response | None:
    """The answer the installed handlers give `exc` (None: none handles it), for an endpoint
    served outside FastAPI's router (web/authentication/token_lane.py)."""
    for kind, handler in _HANDLERS.items():
        if isinstance(exc, kind):
            return await handler(request, exc)
    return None
