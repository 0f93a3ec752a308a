"""The execution records of hook runs (`GET /api/v2/actions/executions`, `/{id}`): each
script's status, logs and duration, the answers to bad input and to a token without
`read:actions`, and a listing that includes a record the journal is still writing.

The other triggers' records are read where their runs are: sign-ups in test_hooks_signup.py,
credentials exchanges in test_hooks_credentials_exchange.py, runaway scripts (`timeout`, `oom`)
in test_hooks_sandbox.py."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest

from tests.support.api import Api, assert_coded_error
from tests.support.hooks import EXECUTIONS, Hooks, executions, guarded, hook_app, recorded
from tests.support.hooks import hooks as hooks
from tests.support.polling import wait_for
from tests.support.server import RunningServer
from tests.support.signin import login, tokens


def test_console_output_is_recorded_in_the_execution(
    server: RunningServer, api: Api, hooks: Hooks
) -> None:
    app = hook_app(api)
    action = hooks.action(
        guarded(
            app.client_id,
            """
  console.log('hello', event.user.email, {n: 1});
  console.error('something odd');
""",
        )
    )
    user = api.create_user(connection=app.connection)
    tokens(login(server, app, user["email"]))
    listed = recorded(api, user_id=user["user_id"])
    assert len(listed) == 1
    execution = listed[0]
    assert execution["trigger_id"] == "post-login"
    ours = [r for r in execution["results"] if r["action_name"] == action["name"]]
    assert len(ours) == 1
    result = ours[0]
    assert result["status"] == "ok"
    assert "error" not in result
    assert isinstance(result["duration_ms"], int | float)
    messages = [(line["level"], line["message"]) for line in result["logs"]]
    assert messages == [
        ("log", f'hello {user["email"]} {{"n":1}}'),
        ("error", "something odd"),
    ]
    one = api.get(f"{EXECUTIONS}/{execution['id']}")
    assert one.status_code == 200, one.text
    assert one.json()["results"] == execution["results"]
    assert one.json()["id"] == execution["id"]


def test_executions_answer_bad_input_in_the_api_shape(api: Api) -> None:
    assert_coded_error(api.get(f"{EXECUTIONS}/no-such-execution"), 404, "inexistent_execution")
    assert_coded_error(api.get(EXECUTIONS, per_page="lots"), 400)
    assert_coded_error(api.get(EXECUTIONS, page=-1), 400)
    assert api.get(EXECUTIONS, user_id="auth0|nobody").json() == {"executions": []}
    reader = api.with_scopes("read:users")
    assert_coded_error(reader.get(f"{EXECUTIONS}/anything"), 403)
    assert_coded_error(reader.get(EXECUTIONS), 403)


LOCK_WAITERS = """
  SELECT count(*) FROM pg_locks WHERE relation = 'hook_executions'::regclass AND NOT granted
"""


def test_an_execution_is_listed_even_while_the_journal_is_writing_it(
    server: RunningServer, api: Api, hooks: Hooks
) -> None:
    if server.backend != "postgres":
        pytest.skip("holds a PostgreSQL table lock to make the journal's write slow")
    app = hook_app(api)
    hooks.action(guarded(app.client_id, "  console.log('recorded');"))
    user = api.create_user(connection=app.connection)

    async def scenario() -> list[dict[str, Any]]:
        url = server.database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
        connection = await asyncpg.connect(url, timeout=10)
        loop = asyncio.get_running_loop()

        def journal_waits() -> bool:
            """Whether the journal's insert waits for the lock (asked from the polling thread,
            on this loop's connection)."""
            query = asyncio.run_coroutine_threadsafe(connection.fetchval(LOCK_WAITERS), loop)
            return bool(query.result(10))

        try:
            writes = connection.transaction()
            await writes.start()
            # Reads go on; the journal's insert waits until the lock is released.
            await connection.execute("LOCK TABLE hook_executions IN EXCLUSIVE MODE")
            await asyncio.to_thread(lambda: tokens(login(server, app, user["email"])))
            # The journal's next batch (every 0.2 s) takes the record and waits to write it.
            await asyncio.to_thread(wait_for, journal_waits, "the journal's insert waiting", 10)
            listing = asyncio.ensure_future(
                asyncio.to_thread(executions, api, user_id=user["user_id"])
            )
            # A listing that does not wait for the write answers at once, without the record;
            # one that waits is still waiting after this. Then the write may go on.
            await asyncio.wait({listing}, timeout=0.5)
            await writes.rollback()
            return await listing
        finally:
            await connection.close()

    assert len(asyncio.run(scenario())) == 1
