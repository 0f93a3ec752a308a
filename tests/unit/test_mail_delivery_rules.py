"""The outbox's pure rules: the retry backoff (doubling, capped, given up after the last
attempt) and the MIME message made of a stored mail (parts, headers, a subject's line breaks
folded, a line break in an address refused for good)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from selfauth.domain.emails.outbox import QUEUED, RetryPolicy, StoredMail
from selfauth.flows.smtp_delivery import DeliveryFailure, message_of

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def stored(**fields: object) -> StoredMail:
    values: dict[str, object] = {
        "id": "mail_0123456789abcdef01234567",
        "template": "reset_email",
        "user_id": "auth0|1",
        "recipient": "someone@example.org",
        "from_address": "Support <support@example.com>",
        "subject": "Reset your password",
        "html": "<p>Reset: <a href='https://x/r?t=1'>link</a></p>",
        "text": "Reset: https://x/r?t=1",
        "status": QUEUED,
        "attempts": 1,
        "next_attempt_at": NOW,
        "last_error": None,
        "lease_owner": None,
        "lease_until": None,
        "created_at": NOW,
        "sent_at": None,
        **fields,
    }
    return StoredMail(**values)  # type: ignore[arg-type]


def test_backoff_doubles_from_the_first_delay_up_to_the_cap_then_gives_up() -> None:
    policy = RetryPolicy(
        max_attempts=6, first_delay=timedelta(seconds=10), cap=timedelta(seconds=60)
    )
    delays = [policy.retry_at(n, NOW) for n in range(1, 7)]
    assert [d - NOW if d else None for d in delays] == [
        timedelta(seconds=10),
        timedelta(seconds=20),
        timedelta(seconds=40),
        timedelta(seconds=60),
        timedelta(seconds=60),
        None,
    ]


def test_the_default_policy_keeps_trying_for_hours() -> None:
    policy = RetryPolicy()
    waited = timedelta()
    for attempts in range(1, policy.max_attempts):
        retry_at = policy.retry_at(attempts, NOW)
        assert retry_at is not None
        waited += retry_at - NOW
    assert timedelta(hours=5) < waited < timedelta(hours=8)
    assert policy.retry_at(policy.max_attempts, NOW) is None


def test_a_stored_mail_becomes_a_text_and_html_message() -> None:
    message = message_of(stored())
    assert message["From"] == "Support <support@example.com>"
    assert message["To"] == "someone@example.org"
    assert message["Message-ID"] == "<mail_0123456789abcdef01234567@example.com>"
    assert message["Date"] == "Thu, 01 Jan 2026 00:00:00 +0000"
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain is not None and html is not None
    assert plain.get_content().strip() == "Reset: https://x/r?t=1"  # type: ignore[attr-defined]
    assert "href='https://x/r?t=1'" in html.get_content()  # type: ignore[attr-defined]


def test_a_subject_with_line_breaks_stays_one_header() -> None:
    message = message_of(stored(subject="Hello\r\nBcc: victim@example.net"))
    assert message["Subject"] == "Hello Bcc: victim@example.net"
    assert message["Bcc"] is None
    assert "\nBcc:" not in message.as_string()


def test_a_line_break_in_an_address_is_a_permanent_failure() -> None:
    with pytest.raises(DeliveryFailure) as refused:
        message_of(stored(recipient="a@example.org\nBcc: b@example.net"))
    assert refused.value.permanent
    assert refused.value.answer.startswith("not sent: ")
