"""Tries only the routes a request's path can match, not every route before the right one.

FastAPI (0.163) keeps each included router as one entry of the app's route list and matches a
request by asking every entry in turn; passing over one route costs it 2-5 microseconds of
bookkeeping. With some fifty entries and two hundred routes, a request for a route near the
end (`/healthz`, JWKS, `/userinfo`, the login pages) spent more time being matched than being
served: `/healthz` answered 2,300-2,800 requests/s on one core, against 6,400 once its
router came first (bench/RESULTS.md, 2026-12-07).

The index reads each entry's path templates once, at the first request, and keeps for each
path the entries that could match it (their templates' fixed leading segments agree with the
path's). It asks only those, in the app's order. The answer is the one the full scan gives:
an entry left out cannot match the path at all. Anything the index does not settle (no full
match among those entries: a 405, a 404, a trailing-slash redirect; a WebSocket; a path under
a `root_path`) goes to the router as before.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi.routing import iter_route_contexts
from starlette.routing import BaseRoute, Match, Router
from starlette.types import Receive, Scope, Send

DEPTH = 3  # leading segments that key the index: /api/v2/{resource} tells routers apart
CACHE_LIMIT = 4096  # paths whose candidates are kept; past it they are worked out each time

Prefix = tuple[str, ...]


def fixed_prefix(template: str) -> Prefix:
    """The leading segments of a route template that hold no parameter, up to DEPTH."""
    fixed: list[str] = []
    for segment in template.split("/")[1 : DEPTH + 1]:
        if "{" in segment:
            break
        fixed.append(segment)
    return tuple(fixed)


def leading(path: str) -> Prefix:
    return tuple(path.split("/", DEPTH + 1)[1 : DEPTH + 1])


class RouteIndex:
    """The router's own entry point (`Router.middleware_stack`), inside the exception layer."""

    def __init__(self, router: Router) -> None:
        self.router = router
        self._entries: list[tuple[BaseRoute, list[Prefix] | None]] | None = None
        self._candidates: dict[Prefix, Sequence[BaseRoute]] = {}

    def _index(self) -> list[tuple[BaseRoute, list[Prefix] | None]]:
        """Each entry with its templates' fixed prefixes; None: it might match any path."""
        entries: list[tuple[BaseRoute, list[Prefix] | None]] = []
        for entry in self.router.routes:
            paths = [getattr(context, "path", None) for context in iter_route_contexts([entry])]
            templates = [path for path in paths if isinstance(path, str) and path[:1] == "/"]
            known = bool(paths) and len(templates) == len(paths)
            entries.append((entry, [fixed_prefix(t) for t in templates] if known else None))
        return entries

    def candidates(self, path: str) -> Sequence[BaseRoute]:
        key = leading(path)
        found = self._candidates.get(key)
        if found is not None:
            return found
        if self._entries is None:
            self._entries = self._index()
        found = tuple(
            entry
            for entry, prefixes in self._entries
            if prefixes is None
            or any(len(prefix) <= len(key) and key[: len(prefix)] == prefix for prefix in prefixes)
        )
        if len(self._candidates) < CACHE_LIMIT:
            self._candidates[key] = found
        return found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope.get("root_path"):
            for entry in self.candidates(scope["path"]):
                match, child_scope = entry.matches(scope)
                if match is Match.FULL:
                    scope.setdefault("router", self.router)
                    scope.update(child_scope)
                    await entry.handle(scope, receive, send)
                    return
        await self.router.app(scope, receive, send)


def install(router: Router) -> None:
    """Route the router's requests through an index (after every route is added)."""
    router.middleware_stack = RouteIndex(router)
