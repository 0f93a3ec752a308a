"""`/metrics` in Prometheus's text format, and the middleware that counts every request by its
route template (docs/operations.md).

Who may read it: the counts say how many logins fail and which routes are called, which an
attacker probing the brute-force protection would like to watch, so it is not public. A
caller is let in when its address is in SELFAUTH_METRICS_ALLOW (default: loopback only), or
with `Authorization: Bearer <SELFAUTH_METRICS_TOKEN>` from anywhere. The address is the one
uvicorn settled on: a proxy's X-Forwarded-For is believed only from SELFAUTH_TRUSTED_PROXIES.
A request relayed by a proxy that is not trusted arrives from the proxy's own address (often
loopback), so a request that carries forwarding headers without a trusted proxy is refused the
address rule: otherwise a reverse proxy on the same host would publish /metrics to everyone.
"""

from __future__ import annotations

import hmac
import ipaddress
from time import perf_counter
from typing import Any

from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from selfauth import metrics
from selfauth.config import Settings

router = APIRouter(tags=["health"], include_in_schema=False)

UNMATCHED = "unmatched"  # no route: one series for every unknown path (no raw paths in labels)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_FORWARDING = (b"x-forwarded-for", b"forwarded", b"x-real-ip")


class RequestMetrics:
    """Counts each HTTP request by route template, method and status, and times it, in the
    outermost layer so that the guard's own answers (400, 408, 500) count too.

    The hot path: two clock reads, one dict lookup for the (route, method, status) series
    bound on first use, then a counter increment and a histogram observation, each one
    uncontended lock (the event loop is one thread). Labels come from the matched route's
    template (`/api/v2/users/{id}`), never the raw path, so ids never become series."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._series: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = perf_counter()
        status = 500  # what the client gets if the app fails before answering

        async def status_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, status_send)
        finally:
            template = route_template(scope)
            method = scope["method"] if scope["method"] in _METHODS else "OTHER"
            key = (template, method, status)
            series = self._series.get(key)
            if series is None:
                series = self._series[key] = (
                    metrics.REQUESTS.labels(template, method, str(status)),
                    metrics.LATENCY.labels(template, method),
                )
            series[0].inc()
            series[1].observe(perf_counter() - started)


def route_template(scope: Scope) -> str:
    """The matched route's path template, prefix included (`/api/v2/users/{user_id}`).

    The routers store what they matched in the scope they were given, which is ours. FastAPI
    (0.16x) matches an included router's route as an "effective route context" that knows the
    full template, while `scope["route"]` is the route as declared, without its router's
    prefix; the context is read first (tests/api/test_metrics.py checks both kinds)."""
    context = scope.get("fastapi", {}).get("effective_route_context")
    template = getattr(context, "path_format", None)
    if not template:
        route = scope.get("route")
        template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return template if isinstance(template, str) and template else UNMATCHED


def may_read(settings: Settings, request: Request) -> bool:
    """The policy in the module's docstring."""
    token = settings.metrics_token
    if token is not None:
        given = request.headers.get("authorization", "")
        scheme, _, value = given.partition(" ")
        # As bytes: compare_digest refuses a str holding non-ASCII (a header may).
        presented = value.strip().encode("utf-8", "surrogateescape")
        if scheme.lower() == "bearer" and hmac.compare_digest(presented, token.encode()):
            return True
    if not settings.trusted_proxies and any(
        name in _FORWARDING for name, _ in request.scope.get("headers", ())
    ):
        return False
    if request.client is None:
        return False
    try:
        address = ipaddress.ip_address(request.client.host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # a dual-stack socket's view of an IPv4 peer
    return any(address in ipaddress.ip_network(item) for item in settings.metrics_allow_list)


@router.get("/metrics", summary="Prometheus metrics (loopback or SELFAUTH_METRICS_ALLOW)")
async def read_metrics(request: Request) -> Response:
    settings: Settings = request.app.state.services.settings
    if not settings.metrics:
        return PlainTextResponse("Not Found", status_code=404)
    if not may_read(settings, request):
        return PlainTextResponse(
            "Forbidden: /metrics is readable from SELFAUTH_METRICS_ALLOW's addresses or with "
            "SELFAUTH_METRICS_TOKEN.\n",
            status_code=403,
            headers={"Cache-Control": "no-store"},
        )
    scrape: metrics.Scrape = request.app.state.metrics_scrape
    await scrape.refresh()
    return Response(
        generate_latest(metrics.registry_for_scrape()),
        media_type=CONTENT_TYPE_LATEST,
        headers={"Cache-Control": "no-store"},
    )
