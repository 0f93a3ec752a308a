"""Shared fixtures: one running selfauth per database backend for the whole session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from tests.support.api import Api
from tests.support.server import RunningServer, backends, serving

# Timing is a benchmark's business, not a test's: a busy CI machine must not fail a property.
settings.register_profile(
    "selfauth", deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
settings.load_profile("selfauth")


@pytest.fixture(scope="session", params=backends())
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    backend: str = request.param
    with serving(backend, tmp_path_factory.mktemp(f"server-{backend}")) as running:
        yield running


@pytest.fixture(scope="session")
def api(server: RunningServer) -> Api:
    """The Management API with the administrator's token (every scope). One client for the
    session: building an httpx.Client costs ~0.2 s (its TLS context)."""
    return Api(server, server.admin_token())


@pytest.fixture(scope="session")
def anonymous(server: RunningServer) -> Api:
    return Api(server, None)
