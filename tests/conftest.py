"""Shared fixtures: one running selfauth per database backend for the whole session.

`server` is parametrized over the backends (SQLite, and PostgreSQL when
SELFAUTH_TEST_POSTGRES_URL is set), so every test that uses it (or `api`, `anonymous`) runs once
per database, unless it is marked `sqlite_only` (see tests/README.md for when to do that).

The servers themselves live in `servers`, started on first use and stopped at the end of the
session: when items of several backends interleave (pytest-xdist hands each worker whole
modules), switching `server` from one backend to the other restarts nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from tests.support.api import Api
from tests.support.server import RunningServer, backends, serving
from tests.support.turns import Turns

# Timing is a benchmark's business, not a test's: a busy CI machine must not fail a property.
settings.register_profile(
    "selfauth", deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
settings.load_profile("selfauth")

SQLITE_ONLY = "sqlite_only"
BOTH_DATABASES = "both_databases"
SOLO = "solo"
SOLO_FOLDERS = {("tests", "hooks")}  # the sandbox in the test process, held to the clock
_TURNS = pytest.StashKey[Turns]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{SQLITE_ONLY}: run on the SQLite server only, for HTTP behaviour that does not depend "
        "on the database (tests/storage covers the repositories on every database)",
    )
    config.addinivalue_line(
        "markers",
        f"{BOTH_DATABASES}: run on every database even in a `{SQLITE_ONLY}` module (races, "
        "transactions, search: behaviour that depends on the database)",
    )
    config.addinivalue_line(
        "markers",
        f"{SOLO}: under pytest-xdist, run while no other worker runs a test (timing-sensitive "
        "tests; every test in tests/hooks is one)",
    )
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        config.stash[_TURNS] = Turns.of_worker(config.option.basetemp, workerinput["testrunuid"])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.relative_to(config.rootpath).parts[:2] in SOLO_FOLDERS:
            item.add_marker(SOLO)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Under pytest-xdist, a `solo` test (setup, call and teardown) runs alone; see
    tests/support/turns.py."""
    turns = item.config.stash.get(_TURNS, None)
    if turns is None:
        return (yield)
    with turns.alone() if item.get_closest_marker(SOLO) else turns.shared():
        return (yield)


@pytest.hookimpl(tryfirst=True)
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """`sqlite_only` narrows the `server` fixture's backends to SQLite (keeping the test's id,
    `[sqlite]`): it becomes a `parametrize` mark, which wins over the fixture's own params.
    `both_databases` on a test overrides its module's `sqlite_only`."""
    definition = metafunc.definition
    if "server" not in metafunc.fixturenames or definition.get_closest_marker(BOTH_DATABASES):
        return
    if definition.get_closest_marker(SQLITE_ONLY):
        definition.add_marker(
            pytest.mark.parametrize("server", ["sqlite"], indirect=True, scope="session"),
            append=False,  # first, as the fixture's params would be: `test_x[sqlite-case]`
        )


class Servers:
    """The session's servers, one per backend, each started the first time a test needs it."""

    def __init__(self, stack: ExitStack, directory: Path) -> None:
        self._stack = stack
        self._directory = directory
        self._running: dict[str, RunningServer] = {}
        self._apis: dict[tuple[str, bool], Api] = {}

    def get(self, backend: str) -> RunningServer:
        if backend not in self._running:
            directory = self._directory / f"server-{backend}"
            directory.mkdir()
            self._running[backend] = self._stack.enter_context(serving(backend, directory))
        return self._running[backend]

    def api(self, server: RunningServer, *, admin: bool) -> Api:
        """One client per server and role: building an httpx.Client costs ~0.2 s (its TLS
        context)."""
        key = (server.backend, admin)
        if key not in self._apis:
            self._apis[key] = Api(server, server.admin_token() if admin else None)
        return self._apis[key]


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    with ExitStack() as stack:
        yield Servers(stack, tmp_path_factory.mktemp("servers"))


@pytest.fixture(scope="session", params=backends())
def server(request: pytest.FixtureRequest, servers: Servers) -> RunningServer:
    return servers.get(request.param)


@pytest.fixture(scope="session")
def api(server: RunningServer, servers: Servers) -> Api:
    """The Management API with the administrator's token (every scope)."""
    return servers.api(server, admin=True)


@pytest.fixture(scope="session")
def anonymous(server: RunningServer, servers: Servers) -> Api:
    return servers.api(server, admin=False)


@pytest.fixture
def user(api: Api, app: Any) -> dict[str, Any]:
    """A new user, Ada Lovelace, on the connection of the module's `app` fixture (each module
    that signs users in defines one; its `connection` is the connection's name)."""
    return api.create_user(
        connection=app.connection, given_name="Ada", family_name="Lovelace", name="Ada Lovelace"
    )
