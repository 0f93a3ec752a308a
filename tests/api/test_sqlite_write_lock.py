"""SQLite has one write lock for every process on the file (another worker, `selfauth users
import`). While another process holds it, a write waits for it without stalling the server:
other requests are answered meanwhile; past the wait (5 s) the write is answered 503 in the
API's shape, with nothing written, and the next one succeeds once the lock is free."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx
import pytest

from tests.support.api import Api, user_path
from tests.support.server import RunningServer, serving


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with serving("sqlite", tmp_path_factory.mktemp("write-lock")) as running:
        yield running


@pytest.fixture(scope="module")
def api(server: RunningServer) -> Iterator[Api]:
    client = Api(server, server.admin_token())
    yield client
    client.http.close()


@contextmanager
def another_process_writing(server: RunningServer) -> Iterator[None]:
    """The server's database file write-locked by a connection of ours, as another process's
    long write would hold it."""
    path = server.database_url.removeprefix("sqlite:///")
    holder = sqlite3.connect(path, isolation_level=None, timeout=10)
    try:
        holder.execute("BEGIN IMMEDIATE")
        yield
        holder.execute("ROLLBACK")
    finally:
        holder.close()


def _patch(api: Api, user_id: str, body: dict[str, object]) -> httpx.Response:
    with httpx.Client(base_url=api.server.base_url, headers=api.http.headers, timeout=30) as http:
        return http.patch(user_path(user_id), json=body)


def test_a_write_waits_for_the_lock_while_other_requests_are_answered(api: Api) -> None:
    user = api.create_user()
    with ThreadPoolExecutor(1) as pool:
        with another_process_writing(api.server):
            waiting = pool.submit(_patch, api, user["user_id"], {"user_metadata": {"a": 1}})
            time.sleep(0.5)  # the PATCH is waiting for the lock by now
            assert not waiting.done()
            # Answered while the lock is still held: the waiting write holds up nothing else
            # (SQLite's own busy wait would hold the event loop until the lock came free).
            read = httpx.get(
                f"{api.server.base_url}{user_path(user['user_id'])}",
                headers=api.http.headers,
                timeout=3,
            )
            assert read.status_code == 200, read.text
            assert not waiting.done()
        answered = waiting.result(timeout=10)
    assert answered.status_code == 200, answered.text
    assert api.user(user["user_id"])["user_metadata"] == {"a": 1}


def test_a_write_that_cannot_get_the_lock_in_time_is_503_and_writes_nothing(api: Api) -> None:
    user = api.create_user(user_metadata={"kept": True})
    with another_process_writing(api.server):
        refused = _patch(api, user["user_id"], {"user_metadata": {"lost": True}})
    assert refused.status_code == 503, refused.text
    assert refused.json()["errorCode"] == "temporarily_unavailable"
    assert refused.headers["retry-after"] == "1"
    assert api.user(user["user_id"])["user_metadata"] == {"kept": True}
    again = _patch(api, user["user_id"], {"user_metadata": {"later": True}})
    assert again.status_code == 200, again.text
    assert "unhandled error" not in api.server.log()
