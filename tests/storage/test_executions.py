"""SqlExecutionRepository on every database: the hook execution records that
`/api/v2/actions/executions` lists, newest first, filtered by user and trigger, and purged by
age."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from selfauth.domain.actions.executions import ExecutionFilter
from selfauth.storage.database import Database
from selfauth.storage.executions import SqlExecutionRepository


def record(user_id: str, trigger_id: str, at: datetime) -> dict[str, Any]:
    stamp = at.isoformat().replace("+00:00", "Z")
    return {
        "id": uuid.uuid4().hex,
        "trigger_id": trigger_id,
        "status": "final",
        "user_id": user_id,
        "client_id": "some-client",
        "results": [{"action_name": "a", "response": {"logs": "ünïcode ✓\n"}}],
        "created_at": stamp,
        "updated_at": stamp,
    }


async def test_records_are_listed_newest_first_and_filtered(database: Database) -> None:
    executions = SqlExecutionRepository(database)
    user_id = f"auth0|{uuid.uuid4().hex[:24]}"
    start = datetime(2030, 1, 1, tzinfo=UTC)
    made = [
        record(user_id, trigger, start + timedelta(seconds=n))
        for n, trigger in enumerate(["post-login", "credentials-exchange", "post-login"])
    ]
    await executions.add_many(made)
    await executions.add_many([])
    found = await executions.page(ExecutionFilter(user_ids=[user_id]), offset=0, limit=10)
    assert [e["id"] for e in found] == [m["id"] for m in reversed(made)]
    stamp = "2030-01-01T00:00:02.000Z"
    assert found[0] == {**made[2], "created_at": stamp, "updated_at": stamp}
    logins = await executions.page(
        ExecutionFilter(user_ids=[user_id], trigger_id="post-login"), offset=1, limit=10
    )
    assert [e["id"] for e in logins] == [made[0]["id"]]
    one = await executions.get(made[1]["id"])
    assert one is not None and one["results"] == made[1]["results"]
    assert one["trigger_id"] == "credentials-exchange" and one["user_id"] == user_id
    assert await executions.get(uuid.uuid4().hex) is None


async def test_purge_removes_what_is_older_than_the_cut(database: Database) -> None:
    executions = SqlExecutionRepository(database)
    user_id = f"auth0|{uuid.uuid4().hex[:24]}"
    old = record(user_id, "post-login", datetime(2001, 1, 1, tzinfo=UTC))
    new = record(user_id, "post-login", datetime(2031, 1, 1, tzinfo=UTC))
    await executions.add_many([old, new])
    assert await executions.purge(datetime(2002, 1, 1, tzinfo=UTC)) >= 1
    assert await executions.get(old["id"]) is None
    assert await executions.get(new["id"]) is not None
