"""A real SMTP server for the email tests (aiosmtpd, on its own thread and event loop).

It collects every message it accepts, parsed with the standard library's `email` package. It
can be stopped and started again on the same port (an SMTP relay down for a while), speak
STARTTLS or implicit TLS with a certificate the test makes, require AUTH, refuse chosen
recipients with a permanent error, and stall at RCPT (before it has accepted anything) so a
test can kill selfauth in the middle of a delivery.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import ssl
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.support.certificates import write_self_signed
from tests.support.server import free_port

Tls = Literal["none", "starttls", "implicit"]


class _Controller(Controller):
    def factory(self) -> Any:
        # Under implicit TLS AUTH is allowed without STARTTLS (see `SmtpServer.start`), which
        # aiosmtpd warns of on every connection; the connection is encrypted all the same.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS")
            return super().factory()


@dataclass(frozen=True)
class Received:
    """One accepted message: its envelope and the parsed message."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage
    authenticated_as: str | None

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, subtype: Literal["plain", "html"]) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None, f"no text/{subtype} part"
        found: str = body.get_content()  # type: ignore[attr-defined]
        return found


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self._server = server

    async def handle_RCPT(
        self, _smtp: Any, _session: Any, envelope: Any, address: str, _options: list[str]
    ) -> str:
        refusal = self._server.refusals.get(address.lower())
        if refusal:
            return refusal
        await self._server._pass_gate()
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _smtp: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        login = session.auth_data.login.decode() if session.authenticated else None
        self._server._collect(Received(envelope.mail_from, tuple(envelope.rcpt_tos), parsed, login))
        return "250 2.0.0 Message accepted for delivery"


class SmtpServer:
    """`tls`: "starttls" (required before MAIL), "implicit" (TLS from the first byte) or
    "none", with `certificate` (cert and key files) or a self-signed one made in `directory`;
    `credentials`: the AUTH login and password it requires, if any."""

    def __init__(
        self,
        directory: Path,
        *,
        tls: Tls = "none",
        credentials: tuple[str, str] | None = None,
        port: int | None = None,
        certificate: tuple[Path, Path] | None = None,
    ) -> None:
        self.port = port or free_port()
        self.tls = tls
        self.credentials = credentials
        self.cert_file: Path | None = None
        self._server_context: ssl.SSLContext | None = None
        if tls != "none":
            self.cert_file, key_file = certificate or write_self_signed(directory)
            self._server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self._server_context.load_cert_chain(self.cert_file, key_file)
        self.refusals: dict[str, str] = {}  # recipient -> the answer to its RCPT
        self._messages: list[Received] = []
        self._lock = threading.Lock()
        self._controller: _Controller | None = None
        self._gate_open = 1_000_000  # RCPTs let through before the gate closes
        self._waiting = threading.Event()  # set while an RCPT waits at the closed gate

    # --- running -----------------------------------------------------------------------

    def start(self) -> None:
        kwargs: dict[str, Any] = {}
        if self.tls == "implicit":
            kwargs["ssl_context"] = self._server_context
        elif self.tls == "starttls":
            kwargs.update(tls_context=self._server_context, require_starttls=True)
        if self.credentials is not None:
            kwargs.update(
                auth_required=True,
                # aiosmtpd counts only STARTTLS as TLS; under implicit TLS AUTH is offered anyway
                # (the whole connection is encrypted), and refused before STARTTLS.
                auth_require_tls=self.tls == "starttls",
                authenticator=self._authenticate,
            )
        self._controller = _Controller(
            _Handler(self), hostname="127.0.0.1", port=self.port, ready_timeout=10, **kwargs
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @contextmanager
    def running(self) -> Iterator[SmtpServer]:
        self.start()
        try:
            yield self
        finally:
            self.open_gate()
            self.stop()

    def _authenticate(
        self, _server: Any, _session: Any, _envelope: Any, _mechanism: str, data: Any
    ) -> AuthResult:
        assert self.credentials is not None
        ok = (
            isinstance(data, LoginPassword)
            and (
                data.login.decode(),
                data.password.decode(),
            )
            == self.credentials
        )
        return AuthResult(success=ok, handled=False, auth_data=data if ok else None)

    # --- stalling deliveries -----------------------------------------------------------

    def close_gate_after(self, recipients: int) -> None:
        """Let `recipients` more RCPTs through, then hold every further one (before anything
        is accepted) until `open_gate`."""
        with self._lock:
            self._gate_open = recipients

    def open_gate(self) -> None:
        with self._lock:
            self._gate_open = 1_000_000

    def wait_at_gate(self, timeout: float = 20) -> None:
        """Until an RCPT waits at the closed gate."""
        assert self._waiting.wait(timeout), "no delivery reached the closed gate"

    async def _pass_gate(self) -> None:
        while True:
            with self._lock:
                if self._gate_open > 0:
                    self._gate_open -= 1
                    self._waiting.clear()
                    return
            self._waiting.set()
            await asyncio.sleep(0.02)

    # --- what arrived ------------------------------------------------------------------

    def _collect(self, received: Received) -> None:
        with self._lock:
            self._messages.append(received)

    @property
    def messages(self) -> list[Received]:
        with self._lock:
            return list(self._messages)

    def to(self, recipient: str) -> list[Received]:
        return [m for m in self.messages if recipient.lower() in map(str.lower, m.rcpt_tos)]

    def wait_for(self, count: int, timeout: float = 30) -> list[Received]:
        """Until at least `count` messages have arrived (all of them)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.messages
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"{len(self.messages)} of {count} messages arrived in {timeout}s")
