"""A server killed (SIGKILL) in the middle of delivering the outbox, restarted on the same
database: every mail arrives exactly once. The SMTP server lets two mails through, then stalls
the third at RCPT (before it has accepted anything); the kill lands there, with the rest of the
batch claimed under the dead server's lease. Two more mails are queued while no server runs.
The restarted server takes the abandoned mails over once the lease runs out.

This is the case the outbox can promise exactly once for; a kill after the SMTP server has
accepted a mail and before its one-row UPDATE commits would send that mail again (at least
once, see flows/mail_sender.py and docs/emails.md)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.api import Api
from tests.support.outbox import OUTBOX, outgoing, queue, wait_status
from tests.support.server import backends, fresh_database, start, stop
from tests.support.smtp import SmtpServer

FAST_SENDER = {
    "SELFAUTH_MAIL_POLL_SECONDS": "0.2",
    "SELFAUTH_MAIL_TIMEOUT_SECONDS": "1",
    "SELFAUTH_MAIL_LEASE_SECONDS": "7",
    "SELFAUTH_MAIL_RETRY_SECONDS": "0.3",
}


@dataclass
class Restart:
    recipients: list[str]
    delivered_before_kill: Counter[str]
    delivered: Counter[str]  # every message the SMTP server accepted, by recipient
    listed: dict[str, dict[str, Any]]  # each mail as the restarted server lists it, by recipient


def scenario(backend: str, directory: Path) -> Restart:
    smtp = SmtpServer(directory)
    with smtp.running(), fresh_database(backend, directory) as url:
        first = start(url, directory / "first.log", backend, extra_env=FAST_SENDER)
        try:
            api = Api(first, first.admin_token())
            provider = {
                "name": "smtp",
                "enabled": True,
                "credentials": {"smtp_host": "127.0.0.1", "smtp_port": smtp.port},
                "settings": {"tls": "none"},
            }
            assert api.post("/api/v2/emails/provider", provider).status_code == 201
            smtp.close_gate_after(2)
            mails = [outgoing() for _ in range(6)]
            queue(url, *mails)
            smtp.wait_at_gate()
            before = Counter(r for m in smtp.messages for r in m.rcpt_tos)
        finally:
            first.process.kill()  # SIGKILL: no shutdown, the leases stay with the dead server
            first.process.wait()
            stop(first)
        smtp.open_gate()  # the stalled conversation's client is gone: nothing is accepted
        late = [outgoing() for _ in range(2)]
        queue(url, *late)  # queued while no server runs
        second = start(url, directory / "second.log", backend, extra_env=FAST_SENDER)
        try:
            api = Api(second, second.admin_token())
            listed = {
                mail.recipient: wait_status(api, mail_id, mail.recipient, "sent")
                for mail, mail_id in zip(mails + late, _ids(api, mails + late), strict=True)
            }
        finally:
            stop(second)
        delivered = Counter(r for m in smtp.messages for r in m.rcpt_tos)
    return Restart([m.recipient for m in mails + late], before, delivered, listed)


def _ids(api: Api, mails: list[Any]) -> list[str]:
    ids = []
    for mail in mails:
        found = api.get(OUTBOX, recipient=mail.recipient).json()
        assert len(found) == 1, found
        ids.append(found[0]["id"])
    return ids


@pytest.fixture(scope="module", params=backends())
def restart(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Restart:
    return scenario(request.param, tmp_path_factory.mktemp(f"mail-restart-{request.param}"))


def test_the_kill_landed_in_the_middle_of_the_batch(restart: Restart) -> None:
    assert sorted(restart.delivered_before_kill.elements()) == sorted(restart.recipients[:2])


def test_every_mail_arrives_exactly_once_across_the_kill(restart: Restart) -> None:
    assert restart.delivered == Counter(restart.recipients)  # each once, and nothing else


def test_the_restarted_server_records_each_mail_sent(restart: Restart) -> None:
    attempts = [restart.listed[r]["attempts"] for r in restart.recipients]
    assert attempts[:2] == [1, 1]  # sent before the kill, and not again
    # Stalled at the kill, or claimed with it: taken over once the lease ran out.
    assert attempts[2:6] == [2, 2, 2, 2]
    assert attempts[6:] == [1, 1]  # queued while no server ran
    assert all(restart.listed[r]["status"] == "sent" for r in restart.recipients)


@dataclass
class GracefulStop:
    recipients: list[str]
    before_restart: Counter[str]
    soon_after: dict[str, dict[str, Any]]  # each mail shortly after the restart, by recipient
    delivered: Counter[str]


def graceful_scenario(backend: str, directory: Path) -> GracefulStop:
    """SIGTERM while the third of six mails is stalled at RCPT: the server lets that delivery
    run to its timeout (a failed try, retried later) and gives the three untried mails back at
    once, so a restart sends them without waiting for their (long) lease."""
    smtp = SmtpServer(directory)
    env = {**FAST_SENDER, "SELFAUTH_MAIL_LEASE_SECONDS": "15"}
    with smtp.running(), fresh_database(backend, directory) as url:
        first = start(url, directory / "first.log", backend, extra_env=env)
        try:
            api = Api(first, first.admin_token())
            provider = {
                "name": "smtp",
                "enabled": True,
                "credentials": {"smtp_host": "127.0.0.1", "smtp_port": smtp.port},
                "settings": {"tls": "none"},
            }
            assert api.post("/api/v2/emails/provider", provider).status_code == 201
            smtp.close_gate_after(2)
            mails = [outgoing() for _ in range(6)]
            queue(url, *mails)
            smtp.wait_at_gate()
        finally:
            stop(first)  # SIGTERM: the lifespan's shutdown stops the sender
        smtp.open_gate()
        before = Counter(r for m in smtp.messages for r in m.rcpt_tos)
        second = start(url, directory / "second.log", backend, extra_env=env)
        try:
            api = Api(second, second.admin_token())
            ids = _ids(api, mails)
            # Well within the 15 s lease the stopped server's claim took.
            soon = {
                mail.recipient: wait_status(api, mail_id, mail.recipient, "sent", seconds=8)
                for mail, mail_id in zip(mails, ids, strict=True)
            }
        finally:
            stop(second)
        delivered = Counter(r for m in smtp.messages for r in m.rcpt_tos)
    return GracefulStop([m.recipient for m in mails], before, soon, delivered)


@pytest.fixture(scope="module", params=backends())
def graceful(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> GracefulStop:
    return graceful_scenario(request.param, tmp_path_factory.mktemp(f"mail-stop-{request.param}"))


def test_a_stopping_server_gives_untried_mails_back_at_once(graceful: GracefulStop) -> None:
    assert sorted(graceful.before_restart.elements()) == sorted(graceful.recipients[:2])
    mails = [graceful.soon_after[r] for r in graceful.recipients]
    # Sent before the stop; timed out at the stop, then retried; given back untried (their
    # attempt taken back) and sent by the restarted server at once.
    assert [m["attempts"] for m in mails] == [1, 1, 2, 1, 1, 1]
    assert mails[2]["last_error"] is None or "timed out" in mails[2]["last_error"]
    assert graceful.delivered == Counter(graceful.recipients)
