"""`POST /oauth/token` in a lane of its own, beside the app's full stack.

The token endpoint is the hottest route (every machine-to-machine call starts there) and the
one whose own work is smallest beside its signature. Through the full stack it also passed
the Management API's audit layer, Starlette's exception layer, FastAPI's exit-stack layer, the
router's matching and FastAPI's per-route dependency machinery: together a fifth of its time
on one core (bench/RESULTS.md, 2026-12-07). The lane keeps every layer that changes what a
client sees (request metrics, the request guard, CORS, the same error handlers) and leaves
out the rest, none of which does anything for this route.

Everything else (other paths, other methods at this path) takes the full stack. The route
declared in `token.py` stays the one handler and what `/openapi.json` and a 405's `Allow`
read; the lane calls it directly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from selfauth.web.authentication import token
from selfauth.web.context import services_of
from selfauth.web.errors import handled
from selfauth.web.ratelimit import per_address

PATH = "/oauth/token"

# A layer of the app's stack, as `add_middleware` takes it: the class and its options.
Layer = tuple[Callable[..., ASGIApp], dict[str, Any]]


class TokenEndpoint:
    """What the router and FastAPI did for this one route: the route in the scope (the
    metrics label it by its template), the per-address limit, the handler, and its errors
    answered by the installed handlers."""

    def __init__(self, router: APIRouter) -> None:
        self.route = next(
            route
            for route in router.routes
            if getattr(route, "path", None) == PATH and "POST" in getattr(route, "methods", ())
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["route"] = self.route
        request = Request(scope, receive)
        try:
            await per_address(request)
            response = await token.token(request, services_of(request))
        except Exception as exc:
            answer = await handled(request, exc)
            if answer is None:
                raise  # the guard answers it with a 500 in the OAuth shape
            response = answer
        await response(scope, receive, send)


class TokenLane:
    """Sends `POST /oauth/token` down its own lane and everything else down the app.

    `layers`: the app's own layers that the lane keeps, innermost first, as the app adds
    them (so the two stacks cannot come to differ in order)."""

    def __init__(self, app: ASGIApp, *, layers: Sequence[Layer]) -> None:
        self.app = app
        lane: ASGIApp = TokenEndpoint(token.router)
        for layer, options in layers:
            lane = layer(lane, **options)
        self.lane = lane

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == PATH:
            await self.lane(scope, receive, send)
            return
        await self.app(scope, receive, send)
