"""The messages between the server and a sandbox worker, by name.

Each is JSON on the worker's pipe (length-prefixed; see hooks/worker.py) and a `TypedDict`
here, so the server (hooks/pool.py, hooks/runner.py) and the worker read and build the same
shapes, and mypy checks both sides.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

ScriptKind = Literal["rule", "action"]
JsonObject = dict[str, Any]


# --- compile checks ---------------------------------------------------------------------------
class CheckRequest(TypedDict):
    op: Literal["check"]
    kind: ScriptKind
    source: str


class Problem(TypedDict):
    """Why a script does not compile, at a 1-based line and column of the tenant's source."""

    message: str
    line: int
    column: int


class CheckAnswer(TypedDict):
    problem: Problem | None


# --- runs -------------------------------------------------------------------------------------
class Script(TypedDict):
    name: str
    code: str
    secrets: NotRequired[dict[str, str]]  # Actions only


class Limits(TypedDict):
    call_seconds: float  # one script
    total_seconds: float  # the whole trigger
    memory_bytes: int
    log_chars: int  # console output kept per script


class Network(TypedDict):
    """What a connection script may reach (hooks/http_facility.py)."""

    allowed: list[str]  # `host:port`, lower-case, IPv6 in brackets
    timeout_seconds: float  # one request, at most
    max_bytes: int  # one response body, at most


class RunJob(TypedDict):
    """One trigger's scripts, in order, and what they see: Rules get `user`, `context` and
    `configuration`; Actions get `event`; a connection script (`kind` "script", one script)
    gets `args` and then a callback, `configuration`, and the `network` its connection names."""

    kind: Literal["rules", "actions", "script"]
    trigger: str
    scripts: list[Script]
    user: NotRequired[JsonObject]
    context: NotRequired[JsonObject]
    configuration: NotRequired[dict[str, str]]
    event: NotRequired[JsonObject]
    args: NotRequired[list[Any]]
    network: NotRequired[Network]


class RunRequest(RunJob):
    op: Literal["run"]
    limits: Limits


class Started(TypedDict):
    """Sent as each script starts: the server's wall-clock watchdog times scripts by it."""

    started: str


class LogLine(TypedDict):
    level: str
    message: str


Status = Literal["ok", "error", "timeout", "oom"]


class Execution(TypedDict):
    """What one script did."""

    name: str
    status: Status
    error: str | None
    logs: list[LogLine]
    duration_ms: float
    unauthorized: bool  # a Rule failed with UnauthorizedError


class Denied(TypedDict):
    reason: str
    userMessage: str | None
    by: str
    error: str  # access_denied, or invalid_signup from api.validation.error
    code: NotRequired[str | None]


class Failed(TypedDict):
    """The script that stopped the run (`name`), and why."""

    name: str
    reason: str
    message: str | None


class ScriptResult(TypedDict):
    """What a connection script's callback was given: `{ok: true, value}`, or `{ok: false,
    error, kind, code}` with `kind` one of Auth0's error types (WrongUsernameOrPasswordError,
    ValidationError, UnauthorizedError) or "Error"."""

    ok: bool
    value: NotRequired[Any]
    error: NotRequired[str]
    kind: NotRequired[str]
    code: NotRequired[str | None]


class RunAnswer(TypedDict):
    executions: list[Execution]
    commands: list[JsonObject]  # what the scripts asked for, in call order (hooks/outcome.py)
    denied: Denied | None
    failed: Failed | None
    result: NotRequired[ScriptResult | None]  # a connection script's; None: it never answered


class Crash(TypedDict):
    """The worker could not answer (out of memory, a bug): the request fails as a whole."""

    crash: str


class Report(TypedDict):
    """runtime.js's account of the running script (`host("report")`)."""

    outcome: JsonObject | None  # {ok} | {ok: false, error, unauthorized}; None: unsettled
    logs: list[LogLine]
    denied: Denied | None
    pendingTimers: int
    pendingRequests: int
