"""Installing and starting selfauth as a user does: the CLI, settings, first start, restarts."""

from __future__ import annotations

import asyncio
import base64
import os
import re
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
import pytest

from tests.support.browser_client import browser_client
from tests.support.server import (
    ADMIN_ID,
    ADMIN_SECRET,
    RunningServer,
    backends,
    client_token,
    fresh_database,
    start,
    stop,
)

T = TypeVar("T")
CONSOLE_SCRIPT = Path(sys.executable).parent / "selfauth"
TABLES = {
    "server_secrets",
    "signing_keys",
    "resource_servers",
    "clients",
    "client_grants",
    "connections",
    "users",
}
PRINTED_ID = re.compile(r"client_id:\s+(\S+)")
PRINTED_SECRET = re.compile(r"client_secret:\s+(\S+)")


def user_env(**variables: str) -> dict[str, str]:
    """The caller's environment without any SELFAUTH_* setting, plus `variables`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SELFAUTH_")}
    env.update(variables)
    return env


def run_cli(args: list[str], cwd: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "selfauth", *args],
        env=user_env(**variables),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_refused(result: subprocess.CompletedProcess[str], *names: str) -> None:
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    for name in names:
        assert name in output, output
    assert "Traceback" not in output, output


def table_names(backend: str, url: str) -> set[str]:
    if backend == "sqlite":
        connection = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            return {str(row[0]) for row in rows}
        finally:
            connection.close()
    return asyncio.run(_postgres_tables(url))


async def _postgres_tables(url: str) -> set[str]:
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        )
    finally:
        await connection.close()
    return {str(row["tablename"]) for row in rows}


def start_without_bootstrap(database_url: str, log_path: Path, backend: str) -> RunningServer:
    """`selfauth serve` with neither bootstrap variable set, as on a first try-out."""
    return start(database_url, log_path, backend, bootstrap=False)


def management(server: RunningServer, client_id: str, secret: str) -> httpx.Client:
    token = client_token(server, client_id, secret)
    return browser_client(
        base_url=server.base_url, headers={"authorization": f"Bearer {token}"}, timeout=30
    )


def token_response(server: RunningServer, client_id: str, secret: str) -> httpx.Response:
    return httpx.post(
        f"{server.base_url}/oauth/token",
        json={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "audience": server.audience,
        },
        timeout=30,
    )


# --- The command line ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [[sys.executable, "-m", "selfauth"], [str(CONSOLE_SCRIPT)]],
    ids=["python-m", "console-script"],
)
def test_help_lists_serve_and_migrate(command: list[str], tmp_path: Path) -> None:
    result = subprocess.run(
        [*command, "--help"],
        env=user_env(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert re.search(r"\bserve\b", result.stdout), result.stdout
    assert re.search(r"\bmigrate\b", result.stdout), result.stdout


@pytest.mark.parametrize("command", ["serve", "migrate"])
@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SELFAUTH_DATABASE_URL", "mysql://x"),
        ("SELFAUTH_ISSUER", "https://auth.example.com"),
    ],
    ids=["unsupported-database", "issuer-without-trailing-slash"],
)
def test_bad_setting_stops_the_command_naming_the_variable(
    command: str, variable: str, value: str, tmp_path: Path
) -> None:
    settings = {"SELFAUTH_DATABASE_URL": f"sqlite:///{tmp_path / 'selfauth.db'}", variable: value}
    assert_refused(run_cli([command], tmp_path, **settings), variable)
    assert not (tmp_path / "selfauth.db").exists()


def test_bootstrap_client_id_longer_than_a_client_id_column_is_refused(tmp_path: Path) -> None:
    # Client ids are at most 64 characters; a longer one used to crash PostgreSQL at bootstrap.
    result = run_cli(
        ["migrate"],
        tmp_path,
        SELFAUTH_DATABASE_URL=f"sqlite:///{tmp_path / 'selfauth.db'}",
        SELFAUTH_BOOTSTRAP_CLIENT_ID="c" * 65,
        SELFAUTH_BOOTSTRAP_CLIENT_SECRET=ADMIN_SECRET,
    )
    assert_refused(result, "SELFAUTH_BOOTSTRAP_CLIENT_ID")


@pytest.mark.parametrize(
    ("command", "variable", "value"),
    [
        ("serve", "SELFAUTH_BOOTSTRAP_CLIENT_ID", ADMIN_ID),
        ("migrate", "SELFAUTH_BOOTSTRAP_CLIENT_SECRET", ADMIN_SECRET),
    ],
)
def test_one_bootstrap_variable_without_the_other_is_refused_naming_both(
    command: str, variable: str, value: str, tmp_path: Path
) -> None:
    result = run_cli(
        [command],
        tmp_path,
        SELFAUTH_DATABASE_URL=f"sqlite:///{tmp_path / 'selfauth.db'}",
        **{variable: value},
    )
    assert_refused(result, "SELFAUTH_BOOTSTRAP_CLIENT_ID", "SELFAUTH_BOOTSTRAP_CLIENT_SECRET")


# --- Scenarios on fresh databases ----------------------------------------------------------------
# Starting a server costs seconds, so each scenario below runs once per backend, every backend at
# the same time, and the tests then check what it observed.


class Cleanup:
    """Stops servers and drops databases at the end of a module; usable from worker threads."""

    def __init__(self, stack: ExitStack) -> None:
        self._stack = stack
        self._lock = threading.Lock()

    def database(self, backend: str, directory: Path) -> str:
        with self._lock:
            url: str = self._stack.enter_context(fresh_database(backend, directory))
            return url

    def server(self, server: RunningServer) -> RunningServer:
        with self._lock:
            self._stack.callback(stop, server)
        return server


def for_each_backend(work: Callable[[str], T]) -> dict[str, T]:
    with ThreadPoolExecutor(max_workers=len(backends())) as pool:
        futures = {backend: pool.submit(work, backend) for backend in backends()}
        return {backend: future.result() for backend, future in futures.items()}


@pytest.fixture(scope="module")
def cleanup() -> Iterator[Cleanup]:
    with ExitStack() as stack:
        yield Cleanup(stack)


# --- First start without bootstrap variables -----------------------------------------------------


@dataclass
class FirstStart:
    """A tenant started once without bootstrap variables, then started again on another port
    (so under another issuer, as when moving from localhost to a real domain). What the first
    server showed is recorded; the second server keeps running for the tests."""

    server: RunningServer
    client_id: str
    client_secret: str
    first_issuer: str
    first_log: str
    first_jwks: dict[str, Any]
    first_token: httpx.Response
    first_apis: list[dict[str, Any]]
    first_connections: list[dict[str, Any]]
    second_log: str


def read_list(http: httpx.Client, path: str) -> list[dict[str, Any]]:
    response = http.get(path, params={"per_page": 100})
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


@pytest.fixture(scope="module")
def first_starts(
    tmp_path_factory: pytest.TempPathFactory, cleanup: Cleanup
) -> dict[str, FirstStart]:
    def start_twice(backend: str) -> FirstStart:
        directory = tmp_path_factory.mktemp(f"first-start-{backend}")
        url = cleanup.database(backend, directory)
        server = start_without_bootstrap(url, directory / "first.log", backend)
        try:
            log = server.log()
            ids, secrets = PRINTED_ID.findall(log), PRINTED_SECRET.findall(log)
            assert len(ids) == 1 and len(secrets) == 1, log
            client_id, secret = ids[0], secrets[0]
            jwks = httpx.get(f"{server.base_url}/.well-known/jwks.json", timeout=10).json()
            token = token_response(server, client_id, secret)
            with management(server, client_id, secret) as http:
                apis = read_list(http, "/api/v2/resource-servers")
                connections = read_list(http, "/api/v2/connections")
        finally:
            stop(server)
        again = cleanup.server(start_without_bootstrap(url, directory / "second.log", backend))
        again.client_id, again.client_secret = client_id, secret
        return FirstStart(
            again,
            client_id,
            secret,
            server.issuer,
            log,
            jwks,
            token,
            apis,
            connections,
            again.log(),
        )

    return for_each_backend(start_twice)


@pytest.fixture(params=backends())
def first_start(request: pytest.FixtureRequest, first_starts: dict[str, FirstStart]) -> FirstStart:
    return first_starts[request.param]


def test_first_start_without_bootstrap_variables_prints_generated_credentials_once(
    first_start: FirstStart,
) -> None:
    assert first_start.first_log.count(first_start.client_secret) == 1
    assert len(first_start.client_secret) >= 32
    assert first_start.client_id != ADMIN_ID


def test_generated_credentials_get_a_token_holding_every_management_scope(
    first_start: FirstStart,
) -> None:
    response = first_start.first_token
    assert response.status_code == 200, response.text
    granted = set(response.json()["scope"].split())
    (system,) = [api for api in first_start.first_apis if api["is_system"]]
    assert granted == {scope["value"] for scope in system["scopes"]}
    assert {"read:users", "create:clients", "create:client_grants", "read:connections"} <= granted


def test_first_start_creates_the_management_api(first_start: FirstStart) -> None:
    system = [api for api in first_start.first_apis if api["is_system"]]
    assert len(system) == 1, first_start.first_apis
    assert system[0]["identifier"] == f"{first_start.first_issuer}api/v2/"
    assert system[0]["signing_alg"] == "RS256"
    assert system[0]["token_lifetime"] == 86_400


def test_first_start_creates_the_username_password_connection(first_start: FirstStart) -> None:
    found = [
        c for c in first_start.first_connections if c["name"] == "Username-Password-Authentication"
    ]
    assert len(found) == 1, first_start.first_connections
    assert found[0]["strategy"] == "auth0"


def test_second_start_on_the_same_database_prints_no_secret(first_start: FirstStart) -> None:
    assert first_start.client_secret not in first_start.second_log
    assert not PRINTED_SECRET.search(first_start.second_log), first_start.second_log


def test_generated_credentials_keep_working_after_a_restart(first_start: FirstStart) -> None:
    server = first_start.server
    response = token_response(server, first_start.client_id, first_start.client_secret)
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == first_start.first_token.json()["scope"]


def test_management_api_and_its_grants_follow_the_issuer_across_restarts(
    first_start: FirstStart,
) -> None:
    server = first_start.server
    assert server.issuer != first_start.first_issuer
    with management(server, first_start.client_id, first_start.client_secret) as http:
        apis = read_list(http, "/api/v2/resource-servers")
        grants = read_list(http, f"/api/v2/client-grants?client_id={server.client_id}")
        connections = read_list(http, "/api/v2/connections")
    system = [api for api in apis if api["is_system"]]
    assert len(system) == 1, apis
    assert system[0]["identifier"] == f"{server.issuer}api/v2/"
    assert [g["audience"] for g in grants] == [f"{server.issuer}api/v2/"]
    assert [c["name"] for c in connections].count("Username-Password-Authentication") == 1


def test_first_start_publishes_the_current_and_the_next_rs256_2048_bit_keys(
    first_start: FirstStart,
) -> None:
    """The current key signs; the next one is published before rotation makes it sign."""
    current, following = first_start.first_jwks["keys"]
    assert current["kid"] != following["kid"]
    for key in (current, following):
        assert key["kty"] == "RSA"
        assert key["alg"] == "RS256"
        modulus = base64.urlsafe_b64decode(key["n"] + "=" * (-len(key["n"]) % 4))
        assert int.from_bytes(modulus, "big").bit_length() == 2048


def test_restart_keeps_the_signing_key(first_start: FirstStart) -> None:
    now = httpx.get(f"{first_start.server.base_url}/.well-known/jwks.json", timeout=10).json()
    assert now == first_start.first_jwks


# --- Bootstrap variables: migrate, then serve --------------------------------------------------

ROTATED_SECRET = "rotated-admin-secret-0123456789abcdef"


@dataclass
class Answer:
    status: int
    body: Any


@dataclass
class Deployment:
    """A deployment with the bootstrap variables set: `selfauth migrate` twice on a fresh
    database, `selfauth serve`, then `selfauth serve` again with a new secret in
    SELFAUTH_BOOTSTRAP_CLIENT_SECRET."""

    migrations: list[subprocess.CompletedProcess[str]]
    tables: list[set[str]]
    serve_logs: list[str]
    token: Answer
    clients: int
    rotated_token: Answer
    old_secret_token: Answer
    rotated_clients: int


def answer(response: httpx.Response) -> Answer:
    return Answer(response.status_code, response.json())


def count_clients(server: RunningServer, client_id: str, secret: str) -> int:
    with management(server, client_id, secret) as http:
        response = http.get("/api/v2/clients", params={"per_page": 100})
    assert response.status_code == 200, response.text
    return len([c for c in response.json() if c["client_id"] == client_id])


@pytest.fixture(scope="module")
def deployments(
    tmp_path_factory: pytest.TempPathFactory, cleanup: Cleanup
) -> dict[str, Deployment]:
    def deploy(backend: str) -> Deployment:
        directory = tmp_path_factory.mktemp(f"deploy-{backend}")
        url = cleanup.database(backend, directory)
        variables = {
            "SELFAUTH_DATABASE_URL": url,
            "SELFAUTH_BOOTSTRAP_CLIENT_ID": ADMIN_ID,
            "SELFAUTH_BOOTSTRAP_CLIENT_SECRET": ADMIN_SECRET,
        }
        migrations, tables, logs = [], [], []
        for _ in range(2):
            migrations.append(run_cli(["migrate"], directory, **variables))
            tables.append(table_names(backend, url))

        server = start(url, directory / "serve.log", backend)
        try:
            token = answer(token_response(server, ADMIN_ID, ADMIN_SECRET))
            clients = count_clients(server, ADMIN_ID, ADMIN_SECRET)
        finally:
            stop(server)
            logs.append(server.log())

        rotated = {"SELFAUTH_BOOTSTRAP_CLIENT_SECRET": ROTATED_SECRET}
        server = start(url, directory / "rotated.log", backend, extra_env=rotated)
        try:
            new = answer(token_response(server, ADMIN_ID, ROTATED_SECRET))
            old = answer(token_response(server, ADMIN_ID, ADMIN_SECRET))
            rotated_clients = count_clients(server, ADMIN_ID, ROTATED_SECRET)
        finally:
            stop(server)
            logs.append(server.log())
        return Deployment(migrations, tables, logs, token, clients, new, old, rotated_clients)

    return for_each_backend(deploy)


@pytest.fixture(params=backends())
def deployment(request: pytest.FixtureRequest, deployments: dict[str, Deployment]) -> Deployment:
    return deployments[request.param]


def test_migrate_creates_the_schema_on_a_fresh_database(deployment: Deployment) -> None:
    first = deployment.migrations[0]
    assert first.returncode == 0, first.stdout + first.stderr
    assert deployment.tables[0] >= {*TABLES, "alembic_version"}


def test_migrate_can_run_again_on_a_migrated_database(deployment: Deployment) -> None:
    second = deployment.migrations[1]
    assert second.returncode == 0, second.stdout + second.stderr
    assert deployment.tables[1] == deployment.tables[0]


def test_bootstrap_secret_given_in_a_variable_is_never_printed(deployment: Deployment) -> None:
    printed = [r.stdout + r.stderr for r in deployment.migrations] + deployment.serve_logs
    for output in printed:
        assert ADMIN_SECRET not in output and ROTATED_SECRET not in output, output
        assert not PRINTED_SECRET.search(output), output
        assert "shown once" not in output, output


def test_restart_with_the_same_bootstrap_variables_is_idempotent(deployment: Deployment) -> None:
    assert deployment.token.status == 200, deployment.token.body
    assert deployment.clients == 1


def test_changing_the_bootstrap_secret_variable_rotates_the_secret(
    deployment: Deployment,
) -> None:
    assert deployment.rotated_token.status == 200, deployment.rotated_token.body
    assert deployment.old_secret_token.status == 401, deployment.old_secret_token.body
    assert deployment.old_secret_token.body["error"] == "invalid_client"
    assert deployment.rotated_clients == 1


def test_a_deleted_generated_admin_client_is_made_again_on_the_next_start(
    tmp_path: Path,
) -> None:
    """Without bootstrap variables, deleting the generated client must not lock everyone out."""
    with fresh_database("sqlite", tmp_path) as url:
        server = start_without_bootstrap(url, tmp_path / "first.log", "sqlite")
        try:
            client_id = PRINTED_ID.findall(server.log())[0]
            secret = PRINTED_SECRET.findall(server.log())[0]
            with management(server, client_id, secret) as http:
                assert http.delete(f"/api/v2/clients/{client_id}").status_code == 204
        finally:
            stop(server)
        again = start_without_bootstrap(url, tmp_path / "second.log", "sqlite")
        try:
            new_ids = PRINTED_ID.findall(again.log())
            new_secrets = PRINTED_SECRET.findall(again.log())
            assert len(new_ids) == 1, again.log()
            assert new_ids[0] != client_id
            assert token_response(again, new_ids[0], new_secrets[0]).status_code == 200
        finally:
            stop(again)
