"""Tenant logs of the account mails and the links they carry, on a server of this module's own
with a real SMTP server (the provider and the templates are tenant-wide): `svr` when a
verification mail is queued (sign-up, `POST /users`, the verification job) and `fvr` when the
job cannot make one, `sv` when its link is used, `fv` when the SMTP server refuses it for good;
`scpr`/`fcpr` for `/dbconnections/change_password`; `scp`/`fcp` on the reset page (a weak
password, a spent link). Each read back through `GET /api/v2/logs?q=type:...`."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.api.test_account_mails import follow, link_in, mail_to
from tests.support.api import PASSWORD, Api, unique_email
from tests.support.browser_client import browser_client
from tests.support.outbox import mailing_server
from tests.support.server import RunningServer
from tests.support.signin import App, new_app
from tests.support.smtp import SmtpServer

pytestmark = pytest.mark.sqlite_only

FROM = "accounts@selfauth.test"
NEW_PASSWORD = "An0ther!Passw0rd-logged"
_HIDDEN = re.compile(r'<input type="hidden" name="(ticket|csrf)" value="([^"]*)">')


@pytest.fixture(scope="module")
def smtp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpServer]:
    with SmtpServer(tmp_path_factory.mktemp("smtp")).running() as server:
        yield server


@pytest.fixture(scope="module")
def mailing(tmp_path_factory: pytest.TempPathFactory, smtp: SmtpServer) -> Iterator[RunningServer]:
    directory = tmp_path_factory.mktemp("mail-logs")
    with mailing_server(directory, smtp, FROM) as running:
        yield running


@pytest.fixture(scope="module")
def admin(mailing: RunningServer) -> Iterator[Api]:
    api = Api(mailing, mailing.admin_token())
    yield api
    api.http.close()


@pytest.fixture(scope="module")
def app(admin: Api) -> App:
    return new_app(admin)


@pytest.fixture
def browser(mailing: RunningServer) -> Iterator[httpx.Client]:
    with browser_client(base_url=mailing.base_url, timeout=30, follow_redirects=False) as client:
        yield client


def quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def logs_of(admin: Api, q: str) -> list[dict[str, Any]]:
    response = admin.get("/api/v2/logs", q=q, sort="date:1")
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def one_log(admin: Api, q: str) -> dict[str, Any]:
    found = logs_of(admin, q)
    assert len(found) == 1, found
    return found[0]


def test_a_sign_up_logs_svr_and_its_link_sv(
    mailing: RunningServer, admin: Api, app: App, smtp: SmtpServer, browser: httpx.Client
) -> None:
    email = unique_email("svr")
    signed_up = httpx.post(
        f"{mailing.base_url}/dbconnections/signup",
        json={
            "client_id": app.client_id,
            "connection": app.connection,
            "email": email,
            "password": PASSWORD,
        },
    )
    assert signed_up.status_code == 200, signed_up.text
    user_id = "auth0|" + signed_up.json()["_id"]
    requested = one_log(admin, f"type:svr AND user_id:{quoted(user_id)}")
    assert requested["description"] == "Success Verification Email Request"
    assert (requested["client_id"], requested["connection"]) == (app.client_id, app.connection)
    assert requested["user_name"] == email
    assert requested["ip"] == "127.0.0.1"  # the sign-up's
    assert logs_of(admin, f"type:sv AND user_id:{quoted(user_id)}") == []  # not followed yet

    (mail,) = mail_to(smtp, email)
    used = follow(browser, link_in(mail), "/u/email-verification")
    assert used.status_code == 200, used.text
    verified = one_log(admin, f"type:sv AND user_id:{quoted(user_id)}")
    assert verified["description"] == "Success Verification Email"
    assert verified["ip"] == "127.0.0.1"
    # The same link again verifies nothing and logs no second success.
    assert browser.get(link_in(mail)).status_code == 400
    assert len(logs_of(admin, f"type:sv AND user_id:{quoted(user_id)}")) == 1


def test_post_users_and_the_job_log_svr_and_a_disabled_template_fvr(
    admin: Api, app: App, smtp: SmtpServer
) -> None:
    created = admin.create_user(connection=app.connection, email=unique_email("svr-api"))
    assert one_log(admin, f"type:svr AND user_id:{quoted(created['user_id'])}")
    quiet = admin.create_user(
        connection=app.connection, email=unique_email("quiet"), verify_email=False
    )
    assert logs_of(admin, f"type:svr AND user_id:{quoted(quiet['user_id'])}") == []
    job = admin.post("/api/v2/jobs/verification-email", {"user_id": quiet["user_id"]})
    assert job.status_code == 201, job.text
    assert one_log(admin, f"type:svr AND user_id:{quoted(quiet['user_id'])}")

    off = admin.post("/api/v2/email-templates", {"template": "verify_email", "enabled": False})
    if off.status_code == 409:
        off = admin.patch("/api/v2/email-templates/verify_email", {"enabled": False})
    assert off.status_code in (200, 201), off.text
    try:
        failed_job = admin.post("/api/v2/jobs/verification-email", {"user_id": quiet["user_id"]})
        assert failed_job.status_code == 201, failed_job.text
        assert failed_job.json()["status"] == "failed"
    finally:
        admin.patch("/api/v2/email-templates/verify_email", {"enabled": True})
    refused = one_log(admin, f"type:fvr AND user_id:{quoted(quiet['user_id'])}")
    assert refused["description"] == "Failed Verification Email Request"
    assert "disabled" in refused["details"]["error"]["message"]


def test_a_verification_mail_the_smtp_server_refuses_logs_fv(
    admin: Api, app: App, smtp: SmtpServer
) -> None:
    email = unique_email("refused")
    smtp.refusals[email.lower()] = "550 5.1.1 No such mailbox"
    user = admin.create_user(connection=app.connection, email=email)
    deadline = time.monotonic() + 30
    while not (found := logs_of(admin, f"type:fv AND user_id:{quoted(user['user_id'])}")):
        assert time.monotonic() < deadline, "no fv log"
        time.sleep(0.2)
    [failed] = found
    assert failed["description"] == "Failed Verification Email"
    assert failed["user_name"] == email
    assert failed["details"]["error"]["message"] == "550 5.1.1 No such mailbox"


def test_change_password_requests_log_scpr_and_fcpr(
    mailing: RunningServer, admin: Api, app: App, smtp: SmtpServer
) -> None:
    user = admin.create_user(
        connection=app.connection, email=unique_email("scpr"), verify_email=False
    )
    nobody = unique_email("fcpr")
    for email in (user["email"], nobody):
        answer = httpx.post(
            f"{mailing.base_url}/dbconnections/change_password",
            json={"client_id": app.client_id, "email": email, "connection": app.connection},
            headers={"user-agent": "curl/8.5.0"},
        )
        assert answer.status_code == 200, answer.text  # the same answer either way
    requested = one_log(admin, f"type:scpr AND user_id:{quoted(user['user_id'])}")
    assert requested["description"] == "Success Change Password Request"
    assert (requested["client_id"], requested["connection"]) == (app.client_id, app.connection)
    assert requested["user_agent"] == "curl 8.5.0 / Other 0.0.0"
    unknown = one_log(admin, f"type:fcpr AND user_name:{quoted(nobody)}")
    assert unknown["user_id"] is None
    assert unknown["details"]["error"]["message"]
    assert len(mail_to(smtp, user["email"])) == 1


def test_the_reset_page_logs_fcp_for_a_weak_password_and_a_spent_link(
    mailing: RunningServer, admin: Api, app: App, smtp: SmtpServer, browser: httpx.Client
) -> None:
    user = admin.create_user(
        connection=app.connection, email=unique_email("fcp"), verify_email=False
    )
    answer = httpx.post(
        f"{mailing.base_url}/dbconnections/change_password",
        json={"client_id": app.client_id, "email": user["email"], "connection": app.connection},
    )
    assert answer.status_code == 200
    (mail,) = mail_to(smtp, user["email"])
    link = link_in(mail)
    weak = follow(browser, link, "/u/reset-password", password="abc", confirm="abc")
    assert weak.status_code == 400, weak.text
    uid = quoted(user["user_id"])
    [refused] = logs_of(admin, f"type:fcp AND user_id:{uid}")
    assert refused["description"] == "Failed Change Password"
    assert refused["details"]["error"]["message"]

    page = browser.get(link)
    fields = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    changed = follow(browser, link, "/u/reset-password", **fields)
    assert changed.status_code == 200, changed.text
    assert one_log(admin, f"type:scp AND user_id:{uid}")
    # The spent link's form, posted again: nothing changes, and the refusal is logged.
    again = browser.post("/u/reset-password", data={**dict(_HIDDEN.findall(page.text)), **fields})
    assert again.status_code == 400, again.text
    spent = logs_of(admin, "type:fcp")
    assert "Access expired." in [log["details"]["error"]["message"] for log in spent]
    for log in spent:
        assert NEW_PASSWORD not in json.dumps(log)
