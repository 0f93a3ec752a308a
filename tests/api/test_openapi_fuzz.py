"""schemathesis, pinned in pyproject.toml, fuzzes every operation of `/openapi.json` against
a server of its own (SQLite), with the administrator's Management API token.

It fails on any 5xx, any status, media type, header or body its operation does not declare,
and any answer slower than the request timeout (a hang). Two runs: every operation on the
identifiers it makes up (which mostly name nothing), then every operation but the deletions on
resources that exist, so that bodies are fuzzed against real users, clients, connections,
rules and the rest. Both are bounded: a fixed number of examples per operation (under three
minutes for the two on two cores), one worker, and a deadline for each run.
`SELFAUTH_FUZZ_EXAMPLES` and `SELFAUTH_FUZZ_SEED` change the examples per operation and the
seed (CI keeps the fixed one, so a failure can be replayed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.api import DB, PASSWORD, Api
from tests.support.server import RunningServer, serving

EXAMPLES = int(os.environ.get("SELFAUTH_FUZZ_EXAMPLES", "20"))
SEED = os.environ.get("SELFAUTH_FUZZ_SEED", "20261206")
REQUEST_SECONDS = 10  # an answer slower than this is a hang
RUN_SECONDS = 600  # a whole run, should schemathesis itself stall
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)
# A rotation retires a signing key the run's token may be signed with, after which every
# request would be a 401; test_openapi.py calls it and checks its declared answers.
EXCLUDED_PATHS = ("/api/v2/keys/signing/rotate",)


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with serving("sqlite", tmp_path_factory.mktemp("fuzzed")) as running:
        yield running


def schemathesis(
    server: RunningServer,
    directory: Path,
    examples: int,
    *,
    config: Path | None = None,
    skip_method: str | None = None,
) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        *(("--config-file", str(config)) if config else ()),
        "run",
        f"{server.base_url}/openapi.json",
        "--header",
        f"Authorization: Bearer {server.admin_token()}",
        "--checks",
        ",".join(CHECKS),
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        str(examples),
        "--seed",
        SEED,
        "--workers",
        "1",
        "--request-timeout",
        str(REQUEST_SECONDS),
        "--generation-database",
        "none",
        "--no-shrink",
        "--warnings",
        "off",
        *(option for path in EXCLUDED_PATHS for option in ("--exclude-path", path)),
        *(("--exclude-method", skip_method) if skip_method else ()),
    ]
    return subprocess.run(  # our own interpreter, our arguments
        command,
        capture_output=True,
        text=True,
        timeout=RUN_SECONDS,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
        cwd=directory,  # its cache of past failures (.schemathesis/) stays out of the tree
    )


def assert_clean(run: subprocess.CompletedProcess[str], server: RunningServer) -> None:
    report = run.stdout + run.stderr
    assert run.returncode == 0, f"{report[-20000:]}\n--- server log ---\n{server.log()[-5000:]}"
    assert "No issues found" in report, report[-5000:]
    # The server still answers: nothing it was sent left it stuck.
    assert httpx.get(f"{server.base_url}/healthz", timeout=5).status_code == 200
    assert "Traceback" not in server.log(), server.log()[-5000:]


def test_schemathesis_finds_nothing(fuzzed: RunningServer, tmp_path: Path) -> None:
    assert_clean(schemathesis(fuzzed, tmp_path, EXAMPLES), fuzzed)


def existing_resources(api: Api) -> dict[str, str]:
    """One of each resource the operations' path parameters name, by parameter."""

    def made(path: str, body: dict[str, object]) -> dict[str, str]:
        response = api.post(path, body)
        assert response.status_code in (200, 201), response.text
        found: dict[str, str] = response.json()
        return found

    tag = uuid.uuid4().hex[:8]
    user = made(
        "/api/v2/users", {"connection": DB, "email": f"{tag}@example.com", "password": PASSWORD}
    )
    client = made("/api/v2/clients", {"name": f"fuzzed {tag}", "app_type": "regular_web"})
    connection = made(
        "/api/v2/connections",
        {"name": f"fuzzed-{tag}", "strategy": "auth0", "enabled_clients": [client["client_id"]]},
    )
    api_server = made(
        "/api/v2/resource-servers",
        {
            "name": f"fuzzed {tag}",
            "identifier": f"https://{tag}.example/api",
            "scopes": [{"value": "read:x"}],
        },
    )
    grant = made(
        "/api/v2/client-grants",
        {
            "client_id": client["client_id"],
            "audience": api_server["identifier"],
            "scope": ["read:x"],
        },
    )
    rule = made(
        "/api/v2/rules",
        {
            "name": f"fuzzed-{tag}",
            "script": "function (u, c, cb) { cb(null, u, c); }",
            "enabled": False,
        },
    )
    action = made(
        "/api/v2/actions/actions",
        {
            "name": f"fuzzed-{tag}",
            "supported_triggers": [{"id": "post-login", "version": "v3"}],
            "code": "exports.onExecutePostLogin = async (event, api) => {};",
        },
    )
    stream = made(
        "/api/v2/log-streams",
        {"name": f"fuzzed-{tag}", "type": "http", "sink": {"httpEndpoint": "https://127.0.0.1:9/"}},
    )
    return {
        "user_id": user["user_id"],
        "client_id": client["client_id"],
        "connection_id": connection["id"],
        "server_id": api_server["id"],
        "grant_id": grant["id"],
        "rule_id": rule["id"],
        "action_id": action["id"],
        "stream_id": stream["id"],
        "trigger_id": "post-login",
        "template_name": "verify_email",
        "prompt": "login",
        "language": "en",
    }


def test_schemathesis_finds_nothing_on_existing_resources(
    fuzzed: RunningServer, tmp_path: Path
) -> None:
    pinned = existing_resources(Api(fuzzed, fuzzed.admin_token()))
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        "[parameters]\n" + "".join(f'"path.{k}" = {json.dumps(v)}\n' for k, v in pinned.items())
    )
    # Deletions would take the resources away from the operations after them.
    run = schemathesis(fuzzed, tmp_path, max(1, EXAMPLES // 2), config=config, skip_method="DELETE")
    assert_clean(run, fuzzed)
