"""Pointing Auth0's Python SDK (auth0-python) at a test server."""

from __future__ import annotations

from auth0.authentication import GetToken

from tests.support.server import RunningServer


def domain_of(server: RunningServer) -> str:
    """`127.0.0.1:PORT`: the SDK builds `{protocol}://{domain}/...` itself."""
    return server.base_url.removeprefix("http://")


def get_token(server: RunningServer, client_id: str, client_secret: str) -> GetToken:
    return GetToken(domain_of(server), client_id, client_secret=client_secret, protocol="http")
