"""A mail queued by a request is sent at once: the request wakes its server's sender after the
commit, rather than leaving the mail to the next poll. The server here polls only every ten
minutes, so a mail that arrives within seconds was woken for.

SQLite only: waking is within the process, the same on every database (the outbox's storage is
`storage/test_outbox.py`, on every database)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.support.api import Api
from tests.support.server import RunningServer, serving
from tests.support.smtp import SmtpServer

pytestmark = pytest.mark.sqlite_only


@pytest.fixture(scope="module")
def smtp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpServer]:
    with SmtpServer(tmp_path_factory.mktemp("smtp-wake")).running() as server:
        yield server


@pytest.fixture(scope="module")
def slow_poller(
    tmp_path_factory: pytest.TempPathFactory, smtp: SmtpServer
) -> Iterator[RunningServer]:
    env = {"SELFAUTH_MAIL_POLL_SECONDS": "600"}
    with serving("sqlite", tmp_path_factory.mktemp("wake"), env) as server:
        yield server


def test_a_queued_mail_goes_out_without_waiting_for_the_poll(
    slow_poller: RunningServer, smtp: SmtpServer
) -> None:
    api = Api(slow_poller, slow_poller.admin_token())
    provider = {
        "name": "smtp",
        "enabled": True,
        "default_from_address": "no-reply@example.com",
        "credentials": {"smtp_host": "127.0.0.1", "smtp_port": smtp.port},
        "settings": {"tls": "none"},
    }
    assert api.post("/api/v2/emails/provider", provider).status_code == 201
    for _ in range(3):  # each one woken for, not only the first
        user = api.create_user(verify_email=False)  # only the job's mail
        started = time.monotonic()
        job = api.post("/api/v2/jobs/verification-email", {"user_id": user["user_id"]})
        assert job.status_code == 201, job.text
        while not smtp.to(user["email"]) and time.monotonic() - started < 20:
            time.sleep(0.02)
        assert len(smtp.to(user["email"])) == 1
        assert time.monotonic() - started < 5  # the poll would take ten minutes
