"""auth0-python 4.x endpoint objects pointed at the test server over plain HTTP."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from auth0.exceptions import Auth0Error
from auth0.management import ClientGrants, Clients, Connections, Users, UsersByEmail

from tests.support.api import DB, PASSWORD, unique, unique_email
from tests.support.sdk import domain_of
from tests.support.server import RunningServer


@pytest.fixture
def domain(server: RunningServer) -> str:
    return domain_of(server)


@pytest.fixture
def users(server: RunningServer, domain: str) -> Users:
    return Users(domain, server.admin_token(), protocol="http")


@pytest.fixture
def users_by_email(server: RunningServer, domain: str) -> UsersByEmail:
    return UsersByEmail(domain, server.admin_token(), protocol="http")


@pytest.fixture
def clients(server: RunningServer, domain: str) -> Clients:
    return Clients(domain, server.admin_token(), protocol="http")


@pytest.fixture
def connections(server: RunningServer, domain: str) -> Connections:
    return Connections(domain, server.admin_token(), protocol="http")


@pytest.fixture
def client_grants(server: RunningServer, domain: str) -> ClientGrants:
    return ClientGrants(domain, server.admin_token(), protocol="http")


@pytest.fixture
def new_user(users: Users) -> Callable[..., dict[str, Any]]:
    """Creates a database user through the SDK (extra body fields as keyword arguments)."""

    def create(**fields: Any) -> dict[str, Any]:
        body = {"connection": DB, "email": unique_email(), "password": PASSWORD, **fields}
        created: dict[str, Any] = users.create(body)
        return created

    return create


@pytest.fixture
def new_machine_client(clients: Clients) -> Iterator[Callable[..., dict[str, Any]]]:
    """Creates machine-to-machine applications through the SDK; deletes them afterwards."""
    created: list[str] = []

    def create(**fields: Any) -> dict[str, Any]:
        body = {"name": unique("compat"), "app_type": "non_interactive", **fields}
        client: dict[str, Any] = clients.create(body)
        created.append(client["client_id"])
        return client

    yield create
    for client_id in created:
        with contextlib.suppress(Auth0Error):  # the test may have deleted it already
            clients.delete(client_id)
