"""The outbox's delivery against a real SMTP server (tests/support/smtp.py): mails queued in the
server's database (as the flows that mail queue them) arrive as real messages, parsed here;
failures are recorded with the SMTP answer and retried; with no provider they are held and
readable through `GET /api/v2/emails/outbox`.

One selfauth server and one SMTP server per backend for the module, with a fast sender (short
poll, timeout, lease and backoff) and the SMTP server's certificate trusted. Each test sets the
provider it needs; mails are told apart by their recipients."""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.utils import parseaddr
from typing import Any

import pytest

from tests.support.api import Api, assert_error
from tests.support.browser_client import browser_client
from tests.support.certificates import write_self_signed
from tests.support.outbox import OUTBOX, outgoing, queue, wait_status
from tests.support.polling import eventually, wait_for
from tests.support.server import RunningServer, backends, serving
from tests.support.smtp import SmtpServer

SMTP_LOGIN = ("mailer", "smtp-secret-1")
MAX_ATTEMPTS = 4
FAST_SENDER = {
    "SELFAUTH_MAIL_POLL_SECONDS": "0.2",
    "SELFAUTH_MAIL_TIMEOUT_SECONDS": "2",
    "SELFAUTH_MAIL_LEASE_SECONDS": "12",
    "SELFAUTH_MAIL_RETRY_SECONDS": "0.3",
    "SELFAUTH_MAIL_RETRY_MAX_SECONDS": "1",
    "SELFAUTH_MAIL_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
}


class Setup:
    def __init__(self, server: RunningServer, starttls: SmtpServer, implicit: SmtpServer) -> None:
        self.server = server
        self.starttls = starttls
        self.implicit = implicit
        self.api = Api(server, server.admin_token())

    def use(self, smtp: SmtpServer, *, password: str = SMTP_LOGIN[1]) -> None:
        """The tenant's provider: this SMTP server, with its TLS mode and the login."""
        self.api.delete("/api/v2/emails/provider")
        body = {
            "name": "smtp",
            "enabled": True,
            "default_from_address": "no-reply@example.com",
            "credentials": {
                "smtp_host": "127.0.0.1",
                "smtp_port": smtp.port,
                "smtp_user": SMTP_LOGIN[0],
                "smtp_pass": password,
            },
            "settings": {"tls": smtp.tls},
        }
        response = self.api.post("/api/v2/emails/provider", body)
        assert response.status_code == 201, response.text

    def no_provider(self) -> None:
        assert self.api.delete("/api/v2/emails/provider").status_code == 204

    def queue(self, *mails: Any) -> list[str]:
        return queue(self.server.database_url, *mails)


@pytest.fixture(scope="module", params=backends())
def setup(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Setup]:
    directory = tmp_path_factory.mktemp(f"mail-{request.param}")
    # The relay's certificate, self-signed: trusted through SELFAUTH_MAIL_TLS_CA_FILE.
    certificate = write_self_signed(directory)
    starttls = SmtpServer(
        directory, tls="starttls", credentials=SMTP_LOGIN, certificate=certificate
    )
    implicit = SmtpServer(
        directory, tls="implicit", credentials=SMTP_LOGIN, certificate=certificate
    )
    env = {**FAST_SENDER, "SELFAUTH_MAIL_TLS_CA_FILE": str(certificate[0])}
    with starttls.running(), implicit.running(), serving(request.param, directory, env) as server:
        yield Setup(server, starttls, implicit)


def test_with_no_provider_mails_are_held_and_readable_with_their_links(setup: Setup) -> None:
    setup.no_provider()
    mail = outgoing()
    (mail_id,) = setup.queue(mail)
    held = wait_status(setup.api, mail_id, mail.recipient, "held")
    assert held["last_error"] == "not sent: no provider"
    assert (held["attempts"], held["sent_at"]) == (0, None)
    assert (held["template"], held["subject"], held["from"]) == (
        "verify_email",
        mail.subject,
        mail.from_address,
    )
    assert held["text"] == mail.text and held["html"] == mail.html  # the link, to click
    assert held["created_at"].endswith("Z")
    # A provider configured later does not send what was held.
    setup.use(setup.starttls)
    (later_id,) = setup.queue(outgoing(mail.recipient))
    wait_status(setup.api, later_id, mail.recipient, "sent")
    assert len(setup.starttls.to(mail.recipient)) == 1
    assert wait_status(setup.api, mail_id, mail.recipient, "held")["attempts"] == 0


def test_a_mail_arrives_over_starttls_with_auth_as_text_and_html(setup: Setup) -> None:
    setup.use(setup.starttls)
    mail = outgoing(subject="Vérifiez votre adresse ✉")
    (mail_id,) = setup.queue(mail)
    sent = wait_status(setup.api, mail_id, mail.recipient, "sent")
    assert (sent["attempts"], sent["last_error"]) == (1, None)
    assert sent["sent_at"] is not None

    (received,) = setup.starttls.to(mail.recipient)
    assert received.authenticated_as == SMTP_LOGIN[0]
    assert received.mail_from == "no-reply@example.com"  # the envelope: the bare address
    assert received.rcpt_tos == (mail.recipient,)
    message = received.message
    assert parseaddr(str(message["From"])) == ("Example", "no-reply@example.com")
    assert str(message["To"]) == mail.recipient
    assert received.subject == "Vérifiez votre adresse ✉"
    assert str(message["Message-ID"]) == f"<{mail_id}@example.com>"
    assert str(message["Auto-Submitted"]) == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"
    assert received.part("plain").strip() == mail.text
    assert received.part("html").strip() == mail.html


def test_a_mail_arrives_over_implicit_tls(setup: Setup) -> None:
    setup.use(setup.implicit)
    mail = outgoing()
    (mail_id,) = setup.queue(mail)
    wait_status(setup.api, mail_id, mail.recipient, "sent")
    (received,) = setup.implicit.to(mail.recipient)
    assert received.authenticated_as == SMTP_LOGIN[0]
    assert received.part("plain").strip() == mail.text
    assert setup.starttls.to(mail.recipient) == []


def test_smtp_down_for_a_while_then_up_every_mail_arrives_once(setup: Setup) -> None:
    setup.use(setup.starttls)
    setup.starttls.stop()
    try:
        mails = [outgoing() for _ in range(6)]
        ids = setup.queue(*mails)
        for mail_id, mail in zip(ids, mails, strict=True):

            def tried(mail_id: str = mail_id, recipient: str = mail.recipient) -> Any:
                found = wait_status(setup.api, mail_id, recipient, "queued", "sending")
                return found if found["last_error"] else None

            failed = eventually(tried, 10)
            assert failed, f"{mail_id} was not tried"
            assert "connect" in failed["last_error"].lower(), failed["last_error"]
    finally:
        setup.starttls.start()
    for mail_id, mail in zip(ids, mails, strict=True):
        sent = wait_status(setup.api, mail_id, mail.recipient, "sent")
        assert sent["attempts"] >= 2
    for mail in mails:
        assert len(setup.starttls.to(mail.recipient)) == 1


def test_a_permanent_refusal_gives_up_at_once_with_the_answer(setup: Setup) -> None:
    setup.use(setup.starttls)
    mail = outgoing()
    setup.starttls.refusals[mail.recipient.lower()] = "550 5.1.1 No such user here"
    (mail_id,) = setup.queue(mail)
    failed = wait_status(setup.api, mail_id, mail.recipient, "failed")
    assert (failed["attempts"], failed["last_error"]) == (1, "550 5.1.1 No such user here")
    assert setup.starttls.to(mail.recipient) == []


def test_a_temporary_refusal_is_retried_then_given_up(setup: Setup) -> None:
    setup.use(setup.starttls)
    mail = outgoing()
    setup.starttls.refusals[mail.recipient.lower()] = "451 4.3.0 Try again later"
    (mail_id,) = setup.queue(mail)
    failed = wait_status(setup.api, mail_id, mail.recipient, "failed")
    assert (failed["attempts"], failed["last_error"]) == (MAX_ATTEMPTS, "451 4.3.0 Try again later")
    assert "given up after 4 attempt(s): 451 4.3.0 Try again later" in setup.server.log()


def test_a_refused_login_is_recorded_and_retried_until_fixed(setup: Setup) -> None:
    setup.use(setup.starttls, password="wrong-password")
    mail = outgoing()
    (mail_id,) = setup.queue(mail)

    def refused() -> Any:
        found = wait_status(setup.api, mail_id, mail.recipient, "queued", "sending")
        return found if found["last_error"] else None

    found = eventually(refused, 10)
    assert found and found["last_error"].startswith("535"), found
    setup.use(setup.starttls)  # the right password: the next try delivers it
    wait_status(setup.api, mail_id, mail.recipient, "sent")
    assert len(setup.starttls.to(mail.recipient)) == 1


def test_the_listing_pages_filters_and_needs_its_scope(setup: Setup) -> None:
    setup.no_provider()
    person = outgoing().recipient
    ids = [setup.queue(outgoing(person))[0] for _ in range(3)]
    wait_status(setup.api, ids[-1], person, "held")
    page = setup.api.get(OUTBOX, recipient=person.upper(), per_page=2, include_totals="true")
    assert page.status_code == 200, page.text
    body = page.json()
    assert (body["start"], body["limit"], body["total"]) == (0, 2, 3)
    assert [m["id"] for m in body["mails"]] == [ids[2], ids[1]]
    second = setup.api.get(OUTBOX, recipient=person, page=1, per_page=2).json()
    assert [m["id"] for m in second] == [ids[0]]
    held = setup.api.get(OUTBOX, recipient=person, status="held", fields="id,status").json()
    assert held == [{"id": i, "status": "held"} for i in reversed(ids)]
    assert setup.api.get(OUTBOX, recipient=person, status="sent").json() == []
    assert_error(setup.api.get(OUTBOX, status="lost"), 400)

    assert_error(setup.api.with_scopes("read:email_provider").get(OUTBOX), 403)
    assert setup.api.with_scopes("read:email_outbox").get(OUTBOX).status_code == 200
    assert_error(Api(setup.server, None).get(OUTBOX), 401)


_VERIFY_LINK = re.compile(r"(https?://[^\s\"<>]+/u/email-verification\?ticket=[^\s\"<>#]+)")
_HIDDEN = re.compile(r'<input type="hidden" name="(ticket|csrf)" value="([^"]*)">')


def test_with_no_smtp_a_developer_follows_the_verification_link_read_from_the_outbox(
    setup: Setup,
) -> None:
    setup.no_provider()
    user = setup.api.create_user()
    assert user["email_verified"] is False
    job = setup.api.post("/api/v2/jobs/verification-email", {"user_id": user["user_id"]})
    assert job.status_code == 201, job.text

    def held() -> Any:
        found = setup.api.get(OUTBOX, recipient=user["email"], status="held").json()
        return found[0] if found else None

    mail = wait_for(held, "the verification mail held", 30)
    assert mail["template"] == "verify_email"
    assert mail["user_id"] == user["user_id"]
    link = _VERIFY_LINK.search(mail["text"])
    assert link is not None, mail["text"]
    with browser_client(base_url=setup.server.base_url, timeout=30) as browser:
        page = browser.get(link.group(1))
        assert page.status_code == 200, page.text
        done = browser.post("/u/email-verification", data=dict(_HIDDEN.findall(page.text)))
        assert done.status_code in (200, 302, 303), done.text
    assert setup.api.user(user["user_id"])["email_verified"] is True
    assert setup.starttls.to(user["email"]) == [] and setup.implicit.to(user["email"]) == []
