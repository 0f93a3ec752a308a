"""A pool of sandbox worker processes, driven from the event loop without blocking it.

Tenant code runs in another process so that nothing it does (a loop the engine cannot
interrupt, an engine crash, memory exhaustion) can stall or take down the server. Each request
has a wall-clock deadline; a worker that misses it, or dies, is killed and replaced, and only
the login it was serving fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from dataclasses import dataclass
from typing import Any, cast

import orjson

from selfauth.hooks.messages import (
    CheckAnswer,
    CheckRequest,
    Crash,
    Limits,
    RunAnswer,
    RunJob,
    RunRequest,
    ScriptKind,
    Started,
)
from selfauth.hooks.sandbox import CompileProblem, SandboxFailure
from selfauth.hooks.worker import HEADER, PARENT_FLAG

log = logging.getLogger("selfauth.hooks")

Request = CheckRequest | RunRequest
Answer = CheckAnswer | RunAnswer | Crash

# Beyond the trigger's own limit, the time a worker gets to answer before it is presumed hung.
GRACE_SECONDS = 2.0
# The same for one script. The engine's own limit counts CPU time; on a machine short of CPU a
# script outlives it in wall-clock time, and this watchdog stops it instead.
SCRIPT_GRACE_SECONDS = 1.0
CHECK_DEADLINE_SECONDS = 5.0


class _Overrun(TimeoutError):
    def __init__(self, script: str | None) -> None:
        super().__init__(script)
        self.script = script


class _Died(SandboxFailure):
    def __init__(self) -> None:
        super().__init__("The sandbox died")


@dataclass(frozen=True)
class SandboxLimits:
    call_seconds: float = 5.0
    total_seconds: float = 20.0
    memory_bytes: int = 64 << 20
    log_chars: int = 4096

    def as_json(self) -> Limits:
        return {
            "call_seconds": self.call_seconds,
            "total_seconds": self.total_seconds,
            "memory_bytes": self.memory_bytes,
            "log_chars": self.log_chars,
        }


class _Worker:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @property
    def pid(self) -> int:
        return self.process.pid

    async def call(
        self, request: Request, deadline: float, script_seconds: float | None = None
    ) -> Answer:
        """The worker's answer; `started` frames on the way restart the per-script clock."""
        stdin = self.process.stdin
        assert stdin is not None
        payload = orjson.dumps(request)
        stdin.write(HEADER.pack(len(payload)) + payload)
        loop = asyncio.get_running_loop()
        end = loop.time() + deadline
        script_end = end
        current: str | None = None
        while True:
            try:
                async with asyncio.timeout_at(min(end, script_end)):
                    await stdin.drain()
                    frame = await self._frame()
            except TimeoutError as error:
                raise _Overrun(current) from error
            if "started" not in frame:
                return cast(Answer, frame)
            current = str(cast(Started, frame)["started"])
            if script_seconds is not None:
                script_end = loop.time() + script_seconds

    async def _frame(self) -> dict[str, Any]:
        stdout = self.process.stdout
        assert stdout is not None
        header = await stdout.readexactly(HEADER.size)
        frame: dict[str, Any] = orjson.loads(await stdout.readexactly(HEADER.unpack(header)[0]))
        return frame

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()


class WorkerPool:
    """At most `size` workers; a request waits for an idle one (the loop stays free)."""

    def __init__(self, size: int, limits: SandboxLimits) -> None:
        self.size = size
        self.limits = limits
        self._idle: asyncio.Queue[_Worker] = asyncio.Queue()
        self._slots = asyncio.Semaphore(size)
        self._all: set[_Worker] = set()
        self._closed = False

    async def start(self) -> None:
        """Start every worker now, so the first logins do not pay for it."""
        for _ in range(self.size):
            self._idle.put_nowait(await self._spawn())

    async def close(self) -> None:
        self._closed = True
        for worker in list(self._all):
            stdin = worker.process.stdin
            if stdin is not None:
                stdin.close()
        for worker in list(self._all):
            try:
                await asyncio.wait_for(worker.process.wait(), 2)
            except TimeoutError:
                worker.kill()
                await worker.process.wait()
        self._all.clear()

    def worker_pids(self) -> list[int]:
        return sorted(w.pid for w in self._all)

    async def _spawn(self) -> _Worker:
        # A clean environment: the worker needs no secret the server was started with.
        environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
        # The worker exits when this process dies, however it dies (see worker._die_with_parent).
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-I",
            "-m",
            "selfauth.hooks.worker",
            PARENT_FLAG,
            str(os.getpid()),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=environment,
            limit=64 << 20,
        )
        worker = _Worker(process)
        self._all.add(worker)
        return worker

    async def request(
        self, request: Request, deadline: float, script_seconds: float | None = None
    ) -> Answer:
        if self._closed:
            raise SandboxFailure("The sandbox is shut down")
        async with self._slots:
            worker = await self._ready_worker()
            try:
                answer = await self._call(worker, request, deadline, script_seconds)
            except _Died:
                # A worker that died while idle (or on this request) is replaced and the
                # request tried once more on a fresh one; a second death is the answer.
                worker = await self._spawn()
                answer = await self._call(worker, request, deadline, script_seconds)
            self._idle.put_nowait(worker)
        return answer

    async def _ready_worker(self) -> _Worker:
        while not self._idle.empty():
            worker = self._idle.get_nowait()
            if worker.process.returncode is None:
                return worker
            self._discard(worker)
        return await self._spawn()

    async def _call(
        self,
        worker: _Worker,
        request: Request,
        deadline: float,
        script_seconds: float | None,
    ) -> Answer:
        try:
            return await worker.call(request, deadline, script_seconds)
        except _Overrun as error:
            self._discard(worker)
            log.warning("sandbox worker %s overran its time (%s); replaced", worker.pid, error)
            raise SandboxFailure("Script execution time exceeded", error.script) from error
        except (asyncio.IncompleteReadError, ConnectionError) as error:
            self._discard(worker)
            log.warning("sandbox worker %s died; replaced", worker.pid)
            raise _Died from error
        except BaseException:
            # Cancelled mid-request: the worker's pipe is in an unknown state.
            self._discard(worker)
            raise

    def _discard(self, worker: _Worker) -> None:
        worker.kill()
        self._all.discard(worker)
        # Reap it in the background so no zombie is left behind.
        asyncio.get_running_loop().create_task(worker.process.wait())


class QuickJsSandbox:
    """`Sandbox` on QuickJS worker processes."""

    def __init__(self, pool: WorkerPool) -> None:
        self.pool = pool

    @property
    def limits(self) -> SandboxLimits:
        return self.pool.limits

    async def check(self, source: str, kind: ScriptKind) -> CompileProblem | None:
        request: CheckRequest = {"op": "check", "kind": kind, "source": source}
        answer = _answered(await self.pool.request(request, CHECK_DEADLINE_SECONDS))
        problem = cast(CheckAnswer, answer)["problem"]
        if problem is None:
            return None
        return CompileProblem(problem["message"], problem["line"], problem["column"])

    async def run(self, job: RunJob) -> RunAnswer:
        request: RunRequest = {**job, "op": "run", "limits": self.limits.as_json()}
        answer = await self.pool.request(
            request,
            self.limits.total_seconds + GRACE_SECONDS,
            self.limits.call_seconds + SCRIPT_GRACE_SECONDS,
        )
        return cast(RunAnswer, _answered(answer))


def _answered(answer: Answer) -> CheckAnswer | RunAnswer:
    """The worker's answer, or the SandboxFailure of a worker that could not give one."""
    if "crash" in answer:
        raise SandboxFailure(cast(Crash, answer)["crash"])
    return answer
