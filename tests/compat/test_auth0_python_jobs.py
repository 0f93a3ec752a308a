"""auth0-python 4.13's `Jobs`: import users, read the job and its errors, export users.

These check what a client library sees on the wire; the api and storage tests cover each
database: this module runs on SQLite."""

from __future__ import annotations

import gzip
import io
import json
from typing import Any

import httpx
import pytest
from auth0.management import Connections, Jobs, UsersByEmail

from tests.support.api import DB, unique_email
from tests.support.jobs import BCRYPT_HASH, FINISHED
from tests.support.polling import wait_for
from tests.support.sdk import domain_of
from tests.support.server import RunningServer

pytestmark = pytest.mark.sqlite_only


def finished(jobs: Jobs, job_id: str) -> dict[str, Any]:
    def ended() -> dict[str, Any] | None:
        job: dict[str, Any] = jobs.get(job_id)
        return job if job["status"] in FINISHED else None

    return wait_for(ended, f"job {job_id} to finish", 120)


def test_jobs_import_errors_and_export(
    server: RunningServer, connections: Connections, users_by_email: UsersByEmail
) -> None:
    jobs = Jobs(domain_of(server), server.admin_token(), protocol="http")
    connection_id = connections.all(name=DB)[0]["id"]
    email = unique_email()
    rows = [
        {"email": email, "password_hash": BCRYPT_HASH, "user_metadata": {"via": "sdk"}},
        {"email": "broken"},
    ]
    created = jobs.import_users(
        connection_id,
        io.BytesIO(json.dumps(rows).encode()),
        upsert=True,
        send_completion_email=False,
        external_id="sdk-import",
    )
    assert created["status"] == "pending"
    job = finished(jobs, created["id"])
    assert job["summary"] == {"failed": 1, "updated": 0, "inserted": 1, "total": 2}
    failed = jobs.get_failed_job(created["id"])
    assert failed[0]["errors"][0]["code"] == "FORMAT"
    assert users_by_email.search_users_by_email(email)[0]["user_metadata"] == {"via": "sdk"}

    export = jobs.export_users(
        {"connection_id": connection_id, "format": "json", "fields": [{"name": "email"}]}
    )
    done = finished(jobs, export["id"])
    content = gzip.decompress(httpx.get(done["location"]).content).decode()
    assert json.dumps({"email": email}, separators=(",", ":")) in content
