"""auth0-python 4.13's `Tickets`: an email-verification and a password-change ticket, each a
link that works when followed as a browser does (tests/api/test_email_links.py covers the
rules). SQLite server only."""

from __future__ import annotations

import re

import pytest
from auth0.management import Tickets

from tests.support.api import Api, unique_email
from tests.support.browser_client import browser_client
from tests.support.sdk import domain_of
from tests.support.server import RunningServer

pytestmark = pytest.mark.sqlite_only

_HIDDEN = re.compile(r'<input type="hidden" name="(ticket|csrf)" value="([^"]*)">')


def test_tickets_make_links_that_work(server: RunningServer, api: Api) -> None:
    tickets = Tickets(domain_of(server), server.admin_token(), protocol="http")
    user = api.create_user(email=unique_email("sdk-ticket"), verify_email=False)
    verification = tickets.create_email_verification(
        {"user_id": user["user_id"], "result_url": "https://app.example.com/done"}
    )["ticket"]
    change = tickets.create_pswd_change({"user_id": user["user_id"], "ttl_sec": 600})["ticket"]
    assert verification.startswith(f"{server.issuer}u/email-verification?ticket=")
    assert change.startswith(f"{server.issuer}u/reset-password?ticket=")
    with browser_client(base_url=server.base_url, follow_redirects=False) as browser:
        fields = dict(_HIDDEN.findall(browser.get(verification).text))
        done = browser.post("/u/email-verification", data=fields)
        assert done.status_code == 303
        assert done.headers["location"].startswith("https://app.example.com/done?")
        assert browser.get(change).status_code == 200
    assert api.user(user["user_id"])["email_verified"] is True
