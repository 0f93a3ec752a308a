"""The server's Prometheus metrics: defined once here, counted where things happen, exposed by
`web/metrics.py` at `/metrics` (docs/operations.md).

Like `errors.py`, this module sits beside the layers and imports none of them, so flows and
hooks count without reaching up. The hot path pays one uncontended lock per increment: every
label value is known in advance (grant types, login results, hook statuses) and its child is
bound once, so no request builds a label tuple or looks one up under the family's lock.

Gauges that are a database read (the outbox's depth, this process's running jobs, the
connection pool) are refreshed by `Scrape.refresh` when `/metrics` is read, never per request.

Several worker processes (`selfauth serve --workers N`): `serve` sets PROMETHEUS_MULTIPROC_DIR
before it starts them, so prometheus-client keeps every value in a file per process there and
a scrape, answered by any one worker, sums them all (`registry_for_scrape`). In that mode the
scrape-time gauges are refreshed by each worker every few seconds instead (`MULTIPROCESS`;
app.py), each counting its own jobs and pool (summed across live workers) and the outbox's
depth (the most recent read); the process, platform and GC collectors, which describe only
the process that answers, are left out.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Literal

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    multiprocess,
)

from selfauth.background import cancel

# Set by `serve` for its worker processes (server.py), read by prometheus-client at import.
MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
REFRESH_SECONDS = 5.0  # how often each worker refreshes its gauges in that mode

# Our own registry: the library's default one would also hold whatever a dependency registers.
REGISTRY = CollectorRegistry(auto_describe=True)
if not MULTIPROCESS:
    for _collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
        REGISTRY.register(_collector)


def registry_for_scrape() -> CollectorRegistry:
    """What `/metrics` renders: this process's registry, or every worker's values summed."""
    if not MULTIPROCESS:
        return REGISTRY
    combined = CollectorRegistry()
    multiprocess.MultiProcessCollector(combined)  # type: ignore[no-untyped-call]
    return combined


# --- requests (web/metrics.py's middleware) ----------------------------------------------------

REQUESTS = Counter(
    "selfauth_http_requests",
    "HTTP requests answered, by route template, method and status code.",
    ["route", "method", "status"],
    registry=REGISTRY,
)
# From 1 ms: the token endpoint answers in about that.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
LATENCY = Histogram(
    "selfauth_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by route template and method.",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)

# --- logins (flows/password_login.py: the password grants, the login page, /co/authenticate) --

LoginResult = Literal[
    "success", "wrong_password", "unknown_user", "user_blocked", "too_many_attempts", "busy"
]
LOGIN_RESULTS: tuple[LoginResult, ...] = (
    "success",
    "wrong_password",  # the user exists (or a custom database script said no)
    "unknown_user",
    "user_blocked",  # blocked by an administrator (`blocked: true`)
    "too_many_attempts",  # brute-force protection's block on this user and address
    "busy",  # the same user and address were already being checked
)
_LOGINS = Counter(
    "selfauth_logins",
    "Password checks (password grants, the login page, cross-origin logins) by result.",
    ["result"],
    registry=REGISTRY,
)
_LOGIN_CHILDREN = {result: _LOGINS.labels(result) for result in LOGIN_RESULTS}


def login(result: LoginResult) -> None:
    _LOGIN_CHILDREN[result].inc()


# --- tokens (flows/grants.py) --------------------------------------------------------------------

_TOKENS = Counter(
    "selfauth_tokens_issued",
    "Successful /oauth/token answers, by grant type.",
    ["grant_type"],
    registry=REGISTRY,
)
_TOKEN_CHILDREN: dict[str, Counter] = {}


def token_issued(grant_type: str) -> None:
    """`grant_type` is one the registry serves (checked before a grant runs): a small set."""
    child = _TOKEN_CHILDREN.get(grant_type)
    if child is None:
        child = _TOKEN_CHILDREN[grant_type] = _TOKENS.labels(grant_type)
    child.inc()


# --- Rules and Actions (hooks/runner.py) --------------------------------------------------------

HOOK_STATUSES = ("ok", "error", "timeout", "oom", "crash")
_HOOK_RUNS = Counter(
    "selfauth_hook_runs",
    "Rules and Actions scripts run, by trigger and status (ok, error, timeout, oom, crash).",
    ["trigger", "status"],
    registry=REGISTRY,
)
_HOOK_CHILDREN: dict[tuple[str, str], Counter] = {}


def hook_run(trigger: str, status: str) -> None:
    """One script's run. Triggers are the runner's few; an unknown status counts as `error`."""
    key = (trigger, status if status in HOOK_STATUSES else "error")
    child = _HOOK_CHILDREN.get(key)
    if child is None:
        child = _HOOK_CHILDREN[key] = _HOOK_RUNS.labels(*key)
    child.inc()


# --- read when /metrics is read ------------------------------------------------------------------

OUTBOX_DEPTH = Gauge(
    "selfauth_mail_outbox_queued",
    "Mails in the outbox waiting to be sent (queued or being sent), all processes.",
    registry=REGISTRY,
    multiprocess_mode="mostrecent",
)
JOBS_RUNNING = Gauge(
    "selfauth_jobs_running",
    "Import and export jobs running, by type.",
    ["type"],
    registry=REGISTRY,
    multiprocess_mode="livesum",
)
JOB_ROWS_DONE = Gauge(
    "selfauth_jobs_rows_done",
    "Rows done by the running jobs, summed by type: users read from an import's file, users "
    "written by an export.",
    ["type"],
    registry=REGISTRY,
    multiprocess_mode="livesum",
)
JOB_TYPES = ("users_import", "users_export")
DATABASE_CONNECTIONS = Gauge(
    "selfauth_database_connections",
    "Database pool use: PostgreSQL connections checked out (`in_use`) and open (`open`), per "
    "pool; SQLite writers queued on the process's write lock (`writer_waiting`); summed over "
    "worker processes.",
    ["pool", "state"],
    registry=REGISTRY,
    multiprocess_mode="livesum",
)
SCRAPE_ERRORS = Counter(
    "selfauth_metrics_read_errors",
    "Scrape-time reads (outbox, jobs, pool) that failed; their gauges keep the last value.",
    ["source"],
    registry=REGISTRY,
)


@asynccontextmanager
async def refreshed_while_serving(scrape: Scrape) -> AsyncIterator[None]:
    """With several workers, this one's gauges refreshed every REFRESH_SECONDS while it serves
    (a scrape reaches one worker, but sums every worker's values), and its live gauges removed
    when it stops. With one process, nothing: `/metrics` refreshes them as it is read."""
    if not MULTIPROCESS:
        yield
        return

    async def refresh_forever() -> None:
        while True:
            await scrape.refresh()
            await asyncio.sleep(REFRESH_SECONDS)

    task = asyncio.get_running_loop().create_task(refresh_forever())
    try:
        yield
    finally:
        await cancel(task)
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


@dataclass(frozen=True)
class JobProgress:
    type: str
    rows_done: int


@dataclass(frozen=True)
class Scrape:
    """The reads `/metrics` makes before rendering; `app.py` gives the storage-backed ones."""

    outbox_depth: Callable[[], Awaitable[int]]
    running_jobs: Callable[[], Awaitable[list[JobProgress]]]
    # (pool, state) -> value; a plain call, since both engines keep these in memory
    database_connections: Callable[[], dict[tuple[str, str], int]]

    async def refresh(self) -> None:
        try:
            OUTBOX_DEPTH.set(await self.outbox_depth())
        except Exception:  # a database that does not answer must not hide the other metrics
            SCRAPE_ERRORS.labels("outbox").inc()
        try:
            jobs = await self.running_jobs()
        except Exception:
            SCRAPE_ERRORS.labels("jobs").inc()
        else:
            for kind in JOB_TYPES:
                mine = [job for job in jobs if job.type == kind]
                JOBS_RUNNING.labels(kind).set(len(mine))
                JOB_ROWS_DONE.labels(kind).set(sum(job.rows_done for job in mine))
        try:
            pools = self.database_connections()
        except Exception:
            SCRAPE_ERRORS.labels("database").inc()
        else:
            for (pool, state), value in pools.items():
                DATABASE_CONNECTIONS.labels(pool, state).set(value)
