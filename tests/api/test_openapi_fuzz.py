"""schemathesis, pinned in pyproject.toml, fuzzes every operation of `/openapi.json` against
a server of its own (SQLite), with the administrator's Management API token.

It fails on any 5xx, any status, media type, header or body its operation does not declare,
and any answer slower than the request timeout (a hang). The run is bounded: a fixed number of
examples per operation (about two minutes on two cores), one worker, and a deadline
for the whole run. `SELFAUTH_FUZZ_EXAMPLES` and `SELFAUTH_FUZZ_SEED` change the examples per
operation and the seed (CI keeps the fixed one, so a failure can be replayed)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.server import RunningServer, serving

EXAMPLES = os.environ.get("SELFAUTH_FUZZ_EXAMPLES", "20")
SEED = os.environ.get("SELFAUTH_FUZZ_SEED", "20261206")
REQUEST_SECONDS = 10  # an answer slower than this is a hang
RUN_SECONDS = 600  # the whole run, should schemathesis itself stall
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
)
# A rotation retires a signing key the run's token may be signed with, after which every
# request would be a 401; test_openapi.py calls it and checks its declared answers.
EXCLUDED_PATHS = ("/api/v2/keys/signing/rotate",)


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with serving("sqlite", tmp_path_factory.mktemp("fuzzed")) as running:
        yield running


def test_schemathesis_finds_nothing(fuzzed: RunningServer, tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"{fuzzed.base_url}/openapi.json",
        "--header",
        f"Authorization: Bearer {fuzzed.admin_token()}",
        "--checks",
        ",".join(CHECKS),
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        EXAMPLES,
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
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path),
        *(option for path in EXCLUDED_PATHS for option in ("--exclude-path", path)),
    ]
    run = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=RUN_SECONDS,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
        cwd=tmp_path,  # its cache of past failures (.schemathesis/) stays out of the tree
    )
    report = run.stdout + run.stderr
    assert run.returncode == 0, f"{report[-20000:]}\n--- server log ---\n{fuzzed.log()[-5000:]}"
    assert "No issues found" in report, report[-5000:]
    # The server still answers: nothing it was sent left it stuck.
    assert httpx.get(f"{fuzzed.base_url}/healthz", timeout=5).status_code == 200
    assert "Traceback" not in fuzzed.log(), fuzzed.log()[-5000:]
