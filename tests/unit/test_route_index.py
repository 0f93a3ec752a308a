"""The route index (web/route_index.py) picks the entry the router's full scan picks, for a
path made from every route the app declares, with every method it serves."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import iter_route_contexts
from starlette.routing import BaseRoute, Match

from selfauth.app import create_app
from selfauth.config import Settings
from selfauth.web.route_index import RouteIndex, fixed_prefix, leading


def first_full(entries: object, scope: dict[str, object]) -> BaseRoute | None:
    for entry in entries:  # type: ignore[attr-defined]
        match, _ = entry.matches(scope)
        if match is Match.FULL:
            return entry  # type: ignore[no-any-return]
    return None


def concrete(template: str) -> str:
    """A path the template matches: each parameter becomes a plausible value."""
    return re.sub(r"\{[^}]*\}", "abc|123", template)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> object:
    database = tmp_path_factory.mktemp("index") / "index.db"
    return create_app(Settings(database_url=f"sqlite:///{database}"))


def test_every_declared_route_is_found_where_the_full_scan_finds_it(app: object) -> None:
    router = app.router  # type: ignore[attr-defined]
    index = router.middleware_stack
    assert isinstance(index, RouteIndex)
    checked = 0
    for context in iter_route_contexts(router.routes):
        path = concrete(context.path)
        for method in sorted(getattr(context, "methods", None) or {"GET"}):
            scope = {"type": "http", "path": path, "method": method, "root_path": ""}
            expected = first_full(router.routes, scope)
            assert expected is not None, (method, path)
            assert first_full(index.candidates(path), scope) is expected, (method, path)
            checked += 1
    assert checked > 150  # the whole app, not a corner of it


def test_paths_no_route_serves_have_no_candidates_to_try(app: object) -> None:
    index = app.router.middleware_stack  # type: ignore[attr-defined]
    assert index.candidates("/no-such-thing") == ()
    assert index.candidates("/api/v2/no-such-resource") == ()


def test_prefixes_stop_at_the_first_parameter_and_at_three_segments() -> None:
    assert fixed_prefix("/api/v2/users/{user_id}/roles") == ("api", "v2", "users")
    assert fixed_prefix("/client/{client_id}.js") == ("client",)
    assert fixed_prefix("/{anything}") == ()
    assert fixed_prefix("/") == ("",)
    assert leading("/api/v2/users/x/y") == ("api", "v2", "users")
    assert leading("/healthz") == ("healthz",)
