"""The HTTP server: uvicorn, told explicitly whom to believe and how long to wait for clients.

uvicorn's defaults believe `X-Forwarded-For` from any loopback peer, and its
FORWARDED_ALLOW_IPS variable can widen that; the client's address keys the brute-force block
and the per-address rate limits, so only a proxy named in SELFAUTH_TRUSTED_PROXIES is believed.

uvicorn bounds an idle keep-alive connection (5 s) but not a request whose headers never
complete: a connection that sends half a request line is held until the client leaves. The
protocol classes here add that deadline; the body's idle deadline is the request guard's
(`web/guards.py`), and the number of connections is uvicorn's `limit_concurrency`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import tempfile
from typing import Any, ClassVar

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from selfauth.config import MIGRATED_TO, Settings, load_settings
from selfauth.log_format import uvicorn_log_config

log = logging.getLogger("selfauth.server")

# Event loops may run a timer slightly early (uvloop rounds to milliseconds).
_TIMER_SLACK = 0.01


class HeaderDeadline(asyncio.Protocol):
    """Closes the connection unless each request's headers are complete in time.

    The wait for headers begins when the connection opens and whenever an answer completes
    with no further request under way; it ends when a request's headers are complete. One
    timer per connection, re-armed lazily when it fires: beginning and ending a wait only
    store a time, so a busy keep-alive connection pays no timer per request. Mixed in before
    one of uvicorn's HTTP/1.1 protocol classes, whose `loop` and `transport` it uses.
    """

    header_seconds: ClassVar[float] = 10.0
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    cycle: Any  # the protocol's current request cycle
    _headers_due: float | None = None  # when the awaited headers are overdue; None: no wait
    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_header_timer()
        super().connection_lost(exc)

    def _response_done(self) -> None:
        """After an answer: wait for the next request's headers, unless a pipelined request's
        headers came already (the cycle is then the newer, unanswered one)."""
        if not self.transport.is_closing() and self.cycle.response_complete:
            self._await_headers()

    def _await_headers(self) -> None:
        self._headers_due = due = self.loop.time() + self.header_seconds
        if self._header_timer is None:
            self._header_timer = self.loop.call_at(due, self._check_headers)

    def _headers_complete(self) -> None:
        self._headers_due = None

    def _stop_header_timer(self) -> None:
        self._headers_due = None
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _check_headers(self) -> None:
        self._header_timer = None
        due = self._headers_due
        if due is None or self.transport.is_closing():
            return
        if self.loop.time() < due - _TIMER_SLACK:  # a later wait began after the timer was set
            self._header_timer = self.loop.call_at(due, self._check_headers)
            return
        log.debug("closed a connection whose request headers took over %s s", self.header_seconds)
        self.transport.close()


class H11WithDeadline(HeaderDeadline, H11Protocol):
    """uvicorn's pure-Python HTTP/1.1 protocol with the header deadline."""

    def handle_events(self) -> None:
        current = self.cycle
        super().handle_events()
        if self.cycle is not current:  # a request's headers were complete: its cycle began
            self._headers_complete()

    def handle_websocket_upgrade(self, event: h11.Request) -> None:
        self._headers_complete()
        super().handle_websocket_upgrade(event)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._response_done()


def _httptools_with_deadline() -> type[HeaderDeadline]:
    """uvicorn's httptools protocol with the header deadline (httptools is optional)."""
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class HttpToolsWithDeadline(HeaderDeadline, HttpToolsProtocol):
        def on_headers_complete(self) -> None:
            self._headers_complete()
            super().on_headers_complete()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._response_done()

    return HttpToolsWithDeadline


def http_protocol(header_seconds: float) -> type[asyncio.Protocol]:
    """The protocol uvicorn's "auto" would pick (httptools when installed, else h11), with a
    deadline of `header_seconds` for each request's headers."""
    base: type[HeaderDeadline]
    try:
        import httptools  # noqa: F401
    except ImportError:  # pragma: no cover - uvicorn[standard] brings httptools
        base = H11WithDeadline
    else:
        base = _httptools_with_deadline()
    configured: type[asyncio.Protocol] = type(
        base.__name__, (base,), {"header_seconds": header_seconds}
    )
    return configured


def __getattr__(name: str) -> Any:
    """`WorkerHttp`: the protocol class a worker process imports by name (a class made at run
    time cannot be handed to a spawned process), with the deadline its settings give."""
    if name == "WorkerHttp":
        return http_protocol(load_settings().header_timeout_seconds)
    raise AttributeError(name)


def run(app: Any, settings: Settings, *, log_level: str, access_log: bool) -> None:
    """Serve `app` until interrupted, in this process."""
    uvicorn.run(app, **_options(settings, log_level, access_log))


def run_workers(settings: Settings, *, log_level: str, access_log: bool, migrated_to: str) -> None:
    """Serve with `settings.workers` processes on one socket, under uvicorn's supervisor
    (which restarts a worker that dies). Each worker builds the app from the environment,
    so the command line's options are put there first. Startup work that must happen once
    (migrations, first-start records, keys) runs in each worker under the database's locks
    (storage/migrate.py, storage/bootstrap.py): the first does it, the others find it done."""
    os.environ["SELFAUTH_HOST"] = settings.host
    os.environ["SELFAUTH_PORT"] = str(settings.port)
    os.environ["SELFAUTH_WORKERS"] = str(settings.worker_count)  # each signs inline or not by it
    os.environ[MIGRATED_TO] = migrated_to  # the schema is there: workers do not migrate
    if settings.tls_cert_file and settings.tls_key_file:
        os.environ["SELFAUTH_TLS_CERT_FILE"] = settings.tls_cert_file
        os.environ["SELFAUTH_TLS_KEY_FILE"] = settings.tls_key_file
    # Each worker keeps its metrics in a file here, and a scrape sums them (metrics.py).
    metrics_directory = tempfile.mkdtemp(prefix="selfauth-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_directory
    options = _options(settings, log_level, access_log)
    options["http"] = "selfauth.server:WorkerHttp"
    try:
        uvicorn.run(
            "selfauth.app:app_from_environment",
            factory=True,
            workers=settings.worker_count,
            **options,
        )
    finally:
        shutil.rmtree(metrics_directory, ignore_errors=True)


def _options(settings: Settings, log_level: str, access_log: bool) -> dict[str, Any]:
    """Every option that decides whom uvicorn believes or how long it waits is passed
    explicitly, so none of uvicorn's environment variables (such as FORWARDED_ALLOW_IPS) can
    widen it."""
    trusted = settings.trusted_proxy_list
    json_logs = settings.log_format == "json"
    return dict(
        host=settings.host,
        port=settings.port,
        log_level=log_level,
        access_log=access_log,
        log_config=uvicorn_log_config(log_level) if json_logs else uvicorn.config.LOGGING_CONFIG,
        server_header=False,
        # X-Forwarded-For and -Proto are read only from a named proxy (uvicorn's own default
        # believes any loopback peer).
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted,
        http=http_protocol(settings.header_timeout_seconds),
        limit_concurrency=settings.max_connections,
        # Both or neither (config.check_tls): with them uvicorn speaks only HTTPS.
        ssl_certfile=settings.tls_cert_file,
        ssl_keyfile=settings.tls_key_file,
    )
