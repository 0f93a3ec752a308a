"""`/readyz`: whether this process can serve logins now. Three checks, each bounded in time so
a hung dependency makes the answer "not ready" rather than no answer:

- the database answers, and its schema is the newest this code knows;
- the Rules and Actions sandbox compiles a script (a real round trip to a worker process, which
  also replaces a worker that died while idle);
- nothing else: upstream providers and SMTP are other people's availability, and a server that
  cannot reach them still serves every other login."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from selfauth.hooks.pool import QuickJsSandbox

CHECK_SECONDS = 2.0
_PROBE_SCRIPT = "exports.onExecutePostLogin = async () => {};"


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str


class Readiness:
    def __init__(
        self,
        schema_revision: Callable[[], Awaitable[str | None]],
        newest_revision: str,
        sandbox: QuickJsSandbox,
    ) -> None:
        """`schema_revision` reads the database's (storage/health.py); `newest_revision` is
        the one this code migrates to."""
        self._schema_revision = schema_revision
        self._newest = newest_revision
        self._sandbox = sandbox

    async def check(self) -> dict[str, Check]:
        database, sandbox = await asyncio.gather(self._database_check(), self._sandbox_check())
        return {"database": database, "sandbox": sandbox}

    async def _database_check(self) -> Check:
        try:
            async with asyncio.timeout(CHECK_SECONDS):
                revision = await self._schema_revision()
        except TimeoutError:
            return Check(False, f"no answer within {CHECK_SECONDS:g} s")
        except Exception as exc:  # any driver's failure means the same: not reachable
            return Check(False, f"unreachable: {type(exc).__name__}")
        newest = self._newest
        if revision != newest:
            return Check(False, f"schema at {revision}, this server needs {newest}")
        return Check(True, f"schema at {revision}")

    async def _sandbox_check(self) -> Check:
        try:
            async with asyncio.timeout(CHECK_SECONDS):
                problem = await self._sandbox.check(_PROBE_SCRIPT, "action")
        except TimeoutError:
            return Check(False, f"no worker answered within {CHECK_SECONDS:g} s (all busy?)")
        except Exception as exc:  # a worker that cannot start or answer
            return Check(False, f"unavailable: {exc}")
        if problem is not None:
            return Check(False, f"a probe script failed to compile: {problem.message}")
        workers = len(self._sandbox.pool.worker_pids())
        return Check(True, f"{workers} of {self._sandbox.pool.size} workers running")
