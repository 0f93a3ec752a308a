"""`selfauth users import` and `selfauth users export`, run as a user runs them, on the
database of a running server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

from tests.support.api import Api
from tests.support.jobs import BCRYPT_HASH
from tests.support.server import RunningServer


def selfauth(server: RunningServer, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SELFAUTH_")}
    env.update(
        SELFAUTH_DATABASE_URL=server.database_url,
        SELFAUTH_BOOTSTRAP_CLIENT_ID=server.client_id,
        SELFAUTH_BOOTSTRAP_CLIENT_SECRET=server.client_secret,
        SELFAUTH_JOBS_DIR=str(cwd / "jobs"),
        COLUMNS="120",
    )
    return subprocess.run(
        [sys.executable, "-m", "selfauth", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_import_then_export_from_the_command_line(
    server: RunningServer, api: Api, tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex[:8]
    rows = [
        {
            "email": f"cli.{tag}.{n}@example.com",
            "password_hash": BCRYPT_HASH,
            "user_metadata": {"plan": f"p{n}"},
        }
        for n in range(20)
    ]
    rows.append({"email": "not an email"})
    file = tmp_path / "users.json"
    file.write_text(json.dumps(rows))
    done = selfauth(server, "users", "import", str(file), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "20 inserted, 0 updated, 1 failed, 21 total" in done.stderr
    errors_file = tmp_path / "users.json.errors.json"
    assert str(errors_file) in done.stderr.replace("\n", "")
    assert json.loads(errors_file.read_text())[0]["errors"][0]["code"] == "FORMAT"
    assert file.exists()  # the user's own file is left alone
    found = api.get("/api/v2/users-by-email", email=f"cli.{tag}.3@example.com").json()
    assert found[0]["user_metadata"] == {"plan": "p3"}

    rows[3]["user_metadata"] = {"plan": "changed"}
    file.write_text(json.dumps(rows[:20]))
    upsert = selfauth(server, "users", "import", str(file), "--upsert", cwd=tmp_path)
    assert "0 inserted, 20 updated, 0 failed" in upsert.stderr, upsert.stderr

    export = selfauth(
        server,
        "users",
        "export",
        "--format",
        "csv",
        "--fields",
        "email,user_metadata.plan",
        cwd=tmp_path,
    )
    assert export.returncode == 0, export.stderr
    lines = export.stdout.splitlines()
    assert lines[0] == "email,user_metadata.plan"
    assert f"cli.{tag}.3@example.com,changed" in lines
    assert "$2" not in export.stdout
    # The CLI leaves the running tenant as its server set it up: the Management API keeps the
    # server's audience, so new machine clients still get tokens for it.
    assert api.with_scopes("read:users").get("/api/v2/users", per_page=1).status_code == 200


def test_a_bad_connection_is_reported(server: RunningServer, tmp_path: Path) -> None:
    file = tmp_path / "users.json"
    file.write_text("[]")
    done = selfauth(server, "users", "import", str(file), "--connection", "nope", cwd=tmp_path)
    assert done.returncode == 1
    assert "connection does not exist" in done.stderr
