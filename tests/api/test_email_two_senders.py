"""Two servers on one database (two replicas behind a load balancer) share the outbox: every
mail is delivered once, by one of them, and both take part. Each server only polls for the
other's mails, so the mails are queued straight into the database and both race for them."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.support.api import Api
from tests.support.outbox import OUTBOX, outgoing, queue, senders
from tests.support.polling import wait_for
from tests.support.server import backends, free_port, fresh_database, start, stop
from tests.support.smtp import SmtpServer

SENDER = {
    "SELFAUTH_MAIL_POLL_SECONDS": "0.05",
    "SELFAUTH_MAIL_TIMEOUT_SECONDS": "2",
    "SELFAUTH_MAIL_LEASE_SECONDS": "12",
}
MAILS = 120


@pytest.mark.parametrize("backend", backends())
def test_two_servers_deliver_each_mail_once(backend: str, tmp_path: Path) -> None:
    smtp = SmtpServer(tmp_path)
    with smtp.running(), fresh_database(backend, tmp_path) as url:
        # One tenant: both answer as the first's issuer, as replicas behind one name would.
        port = free_port()
        env = {**SENDER, "SELFAUTH_ISSUER": f"http://127.0.0.1:{port}/"}
        first = start(url, tmp_path / "first.log", backend, extra_env=env, port=port)
        second = None
        try:
            second = start(url, tmp_path / "second.log", backend, extra_env=env)
            api = Api(first, first.admin_token())
            provider = {
                "name": "smtp",
                "enabled": True,
                "credentials": {"smtp_host": "127.0.0.1", "smtp_port": smtp.port},
                "settings": {"tls": "none"},
            }
            assert api.post("/api/v2/emails/provider", provider).status_code == 201
            mails = [outgoing() for _ in range(MAILS)]
            for start_at in range(0, MAILS, 10):  # ten commits, while both poll
                queue(url, *mails[start_at : start_at + 10])

            def all_sent() -> bool:
                body = api.get(OUTBOX, status="sent", include_totals="true", per_page=1).json()
                return bool(body["total"] == MAILS)

            wait_for(all_sent, f"{MAILS} mails sent", 60)
            by_sender = senders(url)
        finally:
            stop(first)
            if second is not None:
                stop(second)
    delivered = Counter(r for m in smtp.messages for r in m.rcpt_tos)
    assert delivered == Counter(m.recipient for m in mails)  # each once, and nothing else
    assert len(by_sender) == 2, by_sender  # both servers delivered some
    assert sum(by_sender.values()) == MAILS
