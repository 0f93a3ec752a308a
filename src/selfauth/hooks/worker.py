"""The sandbox worker: a separate process that runs tenant JavaScript in QuickJS.

It reads length-prefixed JSON requests on stdin and answers on stdout, one at a time. Each
run gets a fresh engine context (prepared while the worker is idle), so nothing one login's
scripts leave behind reaches another's. The parent (hooks/pool.py) kills and replaces a worker
that overruns its deadline or dies; a crash here never reaches the server. A worker exits when
its parent does: on Linux the kernel kills it (PR_SET_PDEATHSIG), even in the middle of a
script, and anywhere it stops at the end of its stdin.

runtime.js evaluates to one function, the host's handle on it (`host("report")`, ...); it is on
no global object, so tenant code cannot call it.

Messages (hooks/messages.py names their shapes): a `CheckRequest` is answered with a
`CheckAnswer`; a `RunRequest` with a `Started` frame as each script starts (the parent's
wall-clock watchdog times each script by them), then a `RunAnswer`. A request the worker could
not serve is answered with a `Crash`.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import resource
import signal
import struct
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any, BinaryIO

import orjson
import quickjs

from selfauth.hooks import script_modules
from selfauth.hooks.http_facility import HttpFacility
from selfauth.hooks.messages import (
    CheckAnswer,
    CheckRequest,
    Crash,
    Denied,
    Execution,
    Failed,
    JsonObject,
    LogLine,
    Problem,
    Report,
    RunAnswer,
    RunRequest,
    ScriptResult,
    Started,
    Status,
)

HEADER = struct.Struct(">I")
ACTION_PREFIX = "(function (exports, module, require) {\n"
RULE_PREFIX = "(\n"
SUFFIX = "\n})"
RULE_SUFFIX = "\n)"
POSITION = re.compile(r"<input>:(\d+):(\d+)")
ADDRESS_SPACE_LIMIT = 1 << 30  # a backstop beneath QuickJS's own memory limit
CHECK_SECONDS = 1.0
# Tenant code yields the CPU to the server: a busy script cannot slow the event loop down.
NICENESS = 10
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
PARENT_FLAG = "--parent"


def runtime_source() -> str:
    return resources.files("selfauth.hooks").joinpath("runtime.js").read_text()


@dataclass(frozen=True)
class Prepared:
    """A fresh engine context with runtime.js loaded, and the runtime's entry points (`host`)."""

    context: quickjs.Context
    host: quickjs.Object


class Engine:
    def __init__(self) -> None:
        self._runtime = runtime_source()
        self._next: Prepared | None = None

    def fresh(self, memory_bytes: int) -> Prepared:
        prepared = self._next if self._next is not None else self._prepare()
        self._next = None
        prepared.context.set_memory_limit(memory_bytes)
        return prepared

    def prepare_next(self) -> None:
        if self._next is None:
            self._next = self._prepare()

    def _prepare(self) -> Prepared:
        context = quickjs.Context()
        context.set_time_limit(CHECK_SECONDS)
        # runtime.js takes it and removes it from the global object as it loads.
        context.add_callable("__selfauth_host", script_modules.operation)
        return Prepared(context, context.eval(self._runtime))


def problem_of(error: Exception, line_offset: int) -> Problem:
    text = str(error)
    first = text.splitlines()[0] if text else type(error).__name__
    match = POSITION.search(text)
    line, column = (int(match.group(1)), int(match.group(2))) if match else (1, 1)
    return {"message": first, "line": max(1, line - line_offset), "column": column}


def wrapped(kind: str, source: str) -> str:
    if kind == "rule":
        return f"{RULE_PREFIX}{source}{RULE_SUFFIX}"
    return f"{ACTION_PREFIX}{source}{SUFFIX}"


def check(engine: Engine, request: CheckRequest) -> CheckAnswer:
    kind, source = request["kind"], request["source"]
    context = engine.fresh(64 << 20).context
    # Wrapped in a function that is never called: the engine parses the code, nothing runs.
    try:
        context.eval(f"(function () {{ return {wrapped(kind, source)}; }})")
    except quickjs.JSException as error:
        return {"problem": problem_of(error, 1)}
    if kind == "rule":
        try:
            is_function = context.eval(f"typeof {wrapped(kind, source)} === 'function'")
        except quickjs.JSException as error:
            return {"problem": problem_of(error, 1)}
        if not is_function:
            return {
                "problem": {
                    "message": "A rule must be a function (user, context, callback)",
                    "line": 1,
                    "column": 1,
                }
            }
    return {"problem": None}


class Deadline(Exception):
    pass


def _silent(_name: str) -> None:
    pass


def run(
    engine: Engine, request: RunRequest, announce: Callable[[str], None] = _silent
) -> RunAnswer:
    limits = request["limits"]
    prepared = engine.fresh(int(limits["memory_bytes"]))
    context, host = prepared.context, prepared.host
    started = time.monotonic()
    total_end = started + float(limits["total_seconds"])
    executions: list[Execution] = []
    failed: Failed | None = None
    denied: Denied | None = None
    rules = request["kind"] == "rules"
    actions = request["kind"] == "actions"
    script_kind = request["kind"] == "script"
    # The engine's time limit shuts Python out (the binding refuses calls into Python while
    # one is set), and a connection script's modules are Python (hooks/script_modules.py):
    # for those scripts the pool's wall-clock watchdog is the limit, and kills a worker whose
    # script runs over (hooks/pool.py).
    limited = not script_kind
    log_chars = int(limits["log_chars"])
    event = _json(request["event"]) if actions else ""
    network = request.get("network")
    facility = HttpFacility(network) if script_kind and network is not None else None
    if rules:
        user, rules_context = _json(request["user"]), _json(request["context"])
        host("beginRules", user, rules_context, _json(request["configuration"]))
    if script_kind:
        host("beginScript", _json(request.get("configuration", {})))
    for script in request["scripts"]:
        name = script["name"]
        announce(name)
        call_end = min(total_end, time.monotonic() + float(limits["call_seconds"]))
        begun = time.monotonic()
        status: Status = "ok"
        error: str | None = None
        report: Report | None = None
        try:
            # `begin` first: whatever the script's code does as it is evaluated is its own.
            _enter(context, call_end, _entry(host, "begin", name, log_chars), limited)
            code = wrapped("action" if actions else "rule", script["code"])
            function = _enter(context, call_end, _evaluator(context, code), limited)
            if rules:
                start = _entry(host, "startRule", function)
            elif script_kind:
                start = _entry(host, "startScript", function, _json(request.get("args", [])))
            else:
                secrets = _json(script.get("secrets", {}))
                start = _entry(host, "startAction", function, request["trigger"], event, secrets)
            _enter(context, call_end, start, limited)
            report = _settle(context, host, call_end, facility, limited)
            denied = report["denied"]
            outcome = report["outcome"]
            if outcome is None:
                status = "error"
                error = (
                    "The action's promise never settled"
                    if actions
                    else f"The {'rule' if rules else 'script'} never called its callback"
                )
            elif not outcome["ok"]:
                status, error = _classify_message(outcome["error"])
        except Deadline:
            status = "timeout"
            error = (
                f"Script execution time exceeded ({limits['call_seconds']} s per script, "
                f"{limits['total_seconds']} s per trigger)"
            )
        except quickjs.JSException as exception:
            status, error = _classify(exception)
        except quickjs.StackOverflow:
            status, error = "error", "Maximum call stack size exceeded"
        duration = (time.monotonic() - begun) * 1000
        if status in ("timeout", "oom") or report is None:
            logs = _logs(context, host)
        else:
            logs = report["logs"]
        settled = report["outcome"] if report is not None else None
        execution: Execution = {
            "name": name,
            "status": status,
            "error": error,
            "logs": logs,
            "duration_ms": round(duration, 3),
            "unauthorized": bool(settled and settled.get("unauthorized")),
        }
        executions.append(execution)
        if status != "ok":
            failed = {"name": name, "reason": status, "message": error}
            break
        if denied is not None:
            break  # a deny stops the later scripts; what was recorded still counts
    # After a failed script the commands are still read: metadata recorded before it persists,
    # as a deny's does (the login fails, so nothing else is applied).
    commands: list[JsonObject] = []
    result: ScriptResult | None = None
    try:
        if rules and failed is None:
            _enter(context, total_end, _entry(host, "finishRules"), limited)
        commands = orjson.loads(_enter(context, total_end, _entry(host, "commands"), limited))
        if script_kind:
            result = orjson.loads(_enter(context, total_end, _entry(host, "scriptResult"), limited))
    except (Deadline, quickjs.JSException, quickjs.StackOverflow) as exception:
        if failed is None:
            failed = {"name": request["kind"], "reason": "error", "message": str(exception)}
    answer: RunAnswer = {
        "executions": executions,
        "commands": commands,
        "denied": denied,
        "failed": failed,
    }
    if script_kind:
        answer["result"] = result
    return answer


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _evaluator(context: quickjs.Context, source: str) -> Any:
    return lambda: context.eval(source)


def _entry(host: quickjs.Object, entry: str, *args: Any) -> Any:
    """A call of one of runtime.js's entry points (`host(entry, ...args)`)."""
    return lambda: host(entry, *args)


def _logs(context: quickjs.Context, host: quickjs.Object) -> list[LogLine]:
    try:
        context.set_time_limit(0.5)
        report: Report = orjson.loads(host("report"))
        return report["logs"]
    except Exception:
        return []


def _classify(exception: Exception) -> tuple[Status, str]:
    text = str(exception)
    return _classify_message(text.splitlines()[0] if text else "error")


def _classify_message(first: str) -> tuple[Status, str]:
    if first in ("out of memory", "InternalError: out of memory"):
        return "oom", "The script ran out of memory"
    if first in ("interrupted", "InternalError: interrupted"):
        return "timeout", "Script execution time exceeded"
    return "error", first


def _enter(context: quickjs.Context, end: float, call: Any, limited: bool = True) -> Any:
    remaining = end - time.monotonic()
    if remaining <= 0:
        raise Deadline
    context.set_time_limit(remaining if limited else -1)
    try:
        return call()
    except quickjs.JSException as exception:
        if "interrupted" in str(exception):
            raise Deadline from exception
        raise


def _settle(
    context: quickjs.Context,
    host: quickjs.Object,
    end: float,
    network: HttpFacility | None,
    limited: bool,
) -> Report:
    """Run promise jobs, then the script's queued requests, then virtual timers, until the
    script settles or nothing is left."""
    while True:
        while _enter(context, end, context.execute_pending_job, limited):
            pass
        report: Report = orjson.loads(_enter(context, end, _entry(host, "report"), limited))
        if report["outcome"] is not None:
            return report
        if report["pendingRequests"]:
            _answer_requests(context, host, end, network, limited)
            continue
        if not report["pendingTimers"]:
            return report
        _enter(context, end, _entry(host, "fireTimer"), limited)


def _answer_requests(
    context: quickjs.Context,
    host: quickjs.Object,
    end: float,
    network: HttpFacility | None,
    limited: bool,
) -> None:
    """Each queued request, made now (one at a time: a script waits for them in any case),
    and its answer handed back to the script."""
    taken = _enter(context, end, _entry(host, "takeRequests"), limited)
    specs: list[JsonObject] = orjson.loads(taken)
    for spec in specs:
        if network is None:
            answer: JsonObject = {
                "error": {"code": "ENOTALLOWED", "message": "This script has no network access"}
            }
        else:
            answer = network.perform(spec, end)
        _enter(context, end, _entry(host, "deliver", spec["id"], _json(answer)), limited)


def _limit_process() -> None:
    os.nice(NICENESS)
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_LIMIT, ADDRESS_SPACE_LIMIT))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _die_with_parent(parent: int | None) -> bool:
    """Have the kernel kill this worker when its parent dies (Linux), so that a server killed
    with SIGKILL leaves no worker behind, not even one busy with a script; elsewhere the end of
    stdin is what stops a worker. Note that Linux counts the *thread* that started the worker
    as its parent: the pool starts workers on the event loop's thread, which lives as long as
    the server. False when the parent is already gone (it died before the prctl call)."""
    if sys.platform.startswith("linux"):
        # Without a prctl to call, the end of stdin still stops the worker.
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    return parent is None or os.getppid() == parent


def _parent(argv: list[str]) -> int | None:
    """The pid given as `--parent PID`: the server that started this worker."""
    if len(argv) == 2 and argv[0] == PARENT_FLAG and argv[1].isdigit():
        return int(argv[1])
    return None


def _read(incoming: BinaryIO, size: int) -> bytes | None:
    """`size` bytes, or None at the end of stdin (the parent has gone)."""
    data = incoming.read(size)
    return data if len(data) == size else None


def _send(outgoing: BinaryIO, message: CheckAnswer | RunAnswer | Started | Crash) -> None:
    payload = orjson.dumps(message)
    outgoing.write(HEADER.pack(len(payload)) + payload)
    outgoing.flush()


def serve(incoming: BinaryIO, outgoing: BinaryIO) -> None:
    engine = Engine()
    while True:
        header = _read(incoming, HEADER.size)
        payload = None if header is None else _read(incoming, HEADER.unpack(header)[0])
        if payload is None:
            return
        request: CheckRequest | RunRequest = orjson.loads(payload)
        answer: CheckAnswer | RunAnswer | Crash
        try:
            if request["op"] == "check":
                answer = check(engine, request)
            else:
                answer = run(engine, request, lambda name: _send(outgoing, {"started": name}))
        except MemoryError:
            answer = {"crash": "The sandbox ran out of memory"}
        except Exception as exception:
            answer = {"crash": f"{type(exception).__name__}: {exception}"}
        try:
            _send(outgoing, answer)
        except BrokenPipeError:
            return  # the parent has gone
        # Ready the next context (~1 ms of CPU) while the server finishes this login.
        engine.prepare_next()


def main() -> None:
    if not _die_with_parent(_parent(sys.argv[1:])):
        return
    _limit_process()
    # The protocol owns the real stdout; anything else that prints goes to stderr instead.
    protocol_out = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    serve(sys.stdin.buffer, protocol_out)


if __name__ == "__main__":
    main()
