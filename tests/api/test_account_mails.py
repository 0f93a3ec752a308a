"""The mails a user's account sends, end to end through a real SMTP server (aiosmtpd, started
by the test) on a server of this module's own (the provider is tenant-wide): the verification
mail of a sign-up and of `POST /users`, whose link verifies the email; the reset mail of
`/dbconnections/change_password` (also through auth0-python's `Database.change_password`),
whose link changes the password; the seed's `user_metadata.lang` template; and markup a user
typed into their metadata arriving inert."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from auth0.authentication import Database
from auth0.management import Jobs

from tests.support.api import PASSWORD, Api, unique_email
from tests.support.authorize import code_client, flow, form_to, login_page
from tests.support.browser_client import browser_client
from tests.support.jobs import run_import
from tests.support.outbox import mailing_server
from tests.support.sdk import domain_of
from tests.support.server import RunningServer
from tests.support.signin import App, login, new_app, new_connection, tokens
from tests.support.smtp import Received, SmtpServer

pytestmark = pytest.mark.sqlite_only

FROM = "accounts@selfauth.test"
ADMIN_EMAIL = "admins@selfauth.test"
NEW_PASSWORD = "An0ther!Passw0rd"
_LINK = re.compile(
    r"(https?://[^\s\"<>]+/u/(?:email-verification|reset-password)\?ticket=[^\s\"<>#]+#?)"
)
_HIDDEN = re.compile(r'<input type="hidden" name="(ticket|csrf)" value="([^"]*)">')
SENT = "We've just sent you an email to reset your password."


@pytest.fixture(scope="module")
def smtp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpServer]:
    with SmtpServer(tmp_path_factory.mktemp("smtp")).running() as server:
        yield server


@pytest.fixture(scope="module")
def mailing(tmp_path_factory: pytest.TempPathFactory, smtp: SmtpServer) -> Iterator[RunningServer]:
    env = {"SELFAUTH_TENANT_ADMIN_EMAIL": ADMIN_EMAIL}
    directory = tmp_path_factory.mktemp("mailing")
    with mailing_server(directory, smtp, FROM, env) as running:
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


def mail_to(smtp: SmtpServer, recipient: str, count: int = 1) -> list[Received]:
    """The `count` mails `recipient` got (waiting up to 30 s for them to arrive)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = smtp.to(recipient)
        if len(found) >= count:
            return found
        time.sleep(0.05)
    raise AssertionError(f"{recipient} got {len(smtp.to(recipient))} of {count} mails")


def link_in(mail: Received) -> str:
    found = _LINK.search(mail.part("plain"))
    assert found is not None, mail.part("plain")
    assert found.group(1).rstrip("#") in mail.part("html")
    return found.group(1)


def follow(browser: httpx.Client, link: str, path: str, **form: str) -> httpx.Response:
    page = browser.get(link)
    assert page.status_code == 200, page.text
    fields = dict(_HIDDEN.findall(page.text))
    return browser.post(path, data={**fields, **form})


def test_a_sign_up_is_sent_the_verification_mail_whose_link_verifies(
    mailing: RunningServer, admin: Api, app: App, smtp: SmtpServer, browser: httpx.Client
) -> None:
    email = unique_email("signup-mail")
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
    (mail,) = mail_to(smtp, email)
    assert mail.message["From"] == FROM
    assert mail.mail_from == FROM
    user_id = "auth0|" + signed_up.json()["_id"]
    assert admin.user(user_id)["email_verified"] is False
    done = follow(browser, link_in(mail), "/u/email-verification")
    assert done.status_code == 200, done.text
    assert admin.user(user_id)["email_verified"] is True


def test_post_users_sends_it_unless_told_not_to(admin: Api, app: App, smtp: SmtpServer) -> None:
    sent = admin.create_user(connection=app.connection, email=unique_email("post-users"))
    assert len(mail_to(smtp, sent["email"])) == 1
    quiet = admin.create_user(
        connection=app.connection, email=unique_email("quiet"), verify_email=False
    )
    verified = admin.create_user(
        connection=app.connection, email=unique_email("verified"), email_verified=True
    )
    marker = admin.create_user(connection=app.connection, email=unique_email("marker"))
    mail_to(smtp, marker["email"])  # mails go out in order: the two above would be here by now
    assert smtp.to(quiet["email"]) == []
    assert smtp.to(verified["email"]) == []


def test_change_password_mails_a_reset_link_that_changes_the_password(
    mailing: RunningServer, admin: Api, app: App, smtp: SmtpServer, browser: httpx.Client
) -> None:
    user = admin.create_user(
        connection=app.connection, email=unique_email("reset"), verify_email=False
    )
    answer = Database(domain_of(mailing), app.client_id, protocol="http").change_password(
        email=user["email"], connection=app.connection
    )
    assert answer == SENT
    (mail,) = mail_to(smtp, user["email"])
    done = follow(
        browser, link_in(mail), "/u/reset-password", password=NEW_PASSWORD, confirm=NEW_PASSWORD
    )
    assert done.status_code == 200, done.text
    assert tokens(login(mailing, app, user["email"], NEW_PASSWORD))
    assert login(mailing, app, user["email"], PASSWORD).status_code == 403


def test_change_password_answers_the_same_for_an_unknown_address(
    mailing: RunningServer, app: App, smtp: SmtpServer
) -> None:
    nobody = unique_email("nobody")
    answer = httpx.post(
        f"{mailing.base_url}/dbconnections/change_password",
        json={"client_id": app.client_id, "email": nobody, "connection": app.connection},
    )
    assert answer.status_code == 200
    assert answer.text == SENT
    assert answer.headers["content-type"].startswith("text/html")
    assert smtp.to(nobody) == []


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"email": "a@example.com", "connection": "x"}, 400),
        ({"client_id": "nope", "email": "a@example.com", "connection": "x"}, 400),
    ],
)
def test_change_password_refuses_bad_requests(
    mailing: RunningServer, body: dict[str, Any], status: int
) -> None:
    answer = httpx.post(f"{mailing.base_url}/dbconnections/change_password", json=body)
    assert answer.status_code == status, answer.text
    assert answer.json()["code"] == "invalid_request"


LANGUAGES = (
    "{% if user.user_metadata.lang == 'es' %}Hola {{ user.name }}"
    "{% elsif user.user_metadata.lang == 'fr' %}Bonjour {{ user.name }}"
    "{% else %}Hello {{ user.name }}{% endif %}"
    ' <a href="{{ url }}">verify</a>'
)


@pytest.fixture(scope="module")
def language_template(admin: Api) -> None:
    """The seed's template for verify_email (PUT creates it), left on for the rest of the
    module: it carries the link too."""
    put = admin.http.put(
        "/api/v2/email-templates/verify_email",
        json={
            "template": "verify_email",
            "body": LANGUAGES,
            "subject": "{{ friendly_name }}",
            "from": FROM,
            "enabled": True,
            "syntax": "liquid",
        },
    )
    assert put.status_code in (200, 201), put.text


@pytest.mark.usefixtures("language_template")
def test_the_seeds_language_template_greets_each_user_in_their_language(
    admin: Api, app: App, smtp: SmtpServer
) -> None:
    spanish = admin.create_user(
        connection=app.connection,
        email=unique_email("es"),
        name="Ana",
        user_metadata={"lang": "es"},
    )
    french = admin.create_user(
        connection=app.connection,
        email=unique_email("fr"),
        name="Luc",
        user_metadata={"lang": "fr"},
    )
    (to_ana,) = mail_to(smtp, spanish["email"])
    (to_luc,) = mail_to(smtp, french["email"])
    assert "Hola Ana" in to_ana.part("html") and "Bonjour" not in to_ana.part("html")
    assert "Bonjour Luc" in to_luc.part("html") and "Hola" not in to_luc.part("html")
    assert "Hola Ana" in to_ana.part("plain")
    link_in(to_ana)


@pytest.mark.usefixtures("language_template")
def test_markup_in_a_users_name_arrives_inert(admin: Api, app: App, smtp: SmtpServer) -> None:
    attack = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    user = admin.create_user(
        connection=app.connection,
        email=unique_email("inject"),
        name=attack,
        user_metadata={"lang": "en"},
    )
    (mail,) = mail_to(smtp, user["email"])
    html = mail.part("html")
    assert "Hello" in html
    assert "<script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html


def test_the_welcome_mail_follows_verification_once_a_tenant_enables_it(
    admin: Api, app: App, smtp: SmtpServer, browser: httpx.Client
) -> None:
    off = admin.create_user(connection=app.connection, email=unique_email("no-welcome"))
    follow(browser, link_in(mail_to(smtp, off["email"])[0]), "/u/email-verification")
    enabled = admin.post("/api/v2/email-templates", {"template": "welcome_email", "enabled": True})
    assert enabled.status_code == 201, enabled.text
    try:
        user = admin.create_user(connection=app.connection, email=unique_email("welcome"))
        (verification,) = mail_to(smtp, user["email"])
        done = follow(browser, link_in(verification), "/u/email-verification")
        assert done.status_code == 200
        welcome = mail_to(smtp, user["email"], 2)[1]
        assert welcome.subject != verification.subject
        assert "ticket=" not in welcome.part("plain")
    finally:
        admin.patch("/api/v2/email-templates/welcome_email", {"enabled": False})
    assert len(smtp.to(off["email"])) == 1  # verified while the welcome mail was off


def test_a_verification_email_job_sends_the_mail_again(
    mailing: RunningServer, admin: Api, app: App, smtp: SmtpServer, browser: httpx.Client
) -> None:
    """`POST /api/v2/jobs/verification-email`, through auth0-python's `Jobs`: the job is
    done once its mail is queued; the mail's link verifies."""
    user = admin.create_user(
        connection=app.connection, email=unique_email("job"), verify_email=False
    )
    jobs = Jobs(domain_of(mailing), mailing.admin_token(), protocol="http")
    job = jobs.send_verification_email({"user_id": user["user_id"]})
    assert job["type"] == "verification_email"
    assert job["id"].startswith("job_")
    assert admin.get(f"/api/v2/jobs/{job['id']}").json()["status"] == "completed"
    (mail,) = mail_to(smtp, user["email"])
    assert follow(browser, link_in(mail), "/u/email-verification").status_code == 200
    assert admin.user(user["user_id"])["email_verified"] is True
    missing = admin.post("/api/v2/jobs/verification-email", {"user_id": "auth0|nobody"})
    assert missing.status_code == 404
    scoped = admin.with_scopes("read:users").post(
        "/api/v2/jobs/verification-email", {"user_id": user["user_id"]}
    )
    assert scoped.status_code == 403


def test_a_brute_force_block_mails_an_unblock_link_that_lifts_it(
    mailing: RunningServer, admin: Api, app: App, smtp: SmtpServer, browser: httpx.Client
) -> None:
    """The tenth wrong password blocks the address and queues blocked_account, with its
    source IP, in the same transaction; the mail's link lifts the block."""
    user = admin.create_user(
        connection=app.connection, email=unique_email("blocked"), verify_email=False
    )
    for _ in range(10):
        assert login(mailing, app, user["email"], "wrong").status_code == 403
    blocked = login(mailing, app, user["email"])
    assert blocked.status_code == 429, blocked.text
    (mail,) = mail_to(smtp, user["email"])
    assert "127.0.0.1" in mail.part("plain")
    found = re.search(r"(https?://[^\s\"<>]+/u/unblock\?ticket=[^\s\"<>#]+)", mail.part("plain"))
    assert found is not None, mail.part("plain")
    page = browser.get(found.group(1))
    assert page.status_code == 200
    assert login(mailing, app, user["email"]).status_code == 429  # a GET lifts nothing
    fields = dict(_HIDDEN.findall(page.text))
    done = browser.post("/u/unblock", data=fields)
    assert done.status_code == 200 and "unblocked" in done.text
    assert tokens(login(mailing, app, user["email"]))
    assert browser.post("/u/unblock", data=fields).status_code == 400


def test_an_import_with_send_completion_email_reports_to_the_administrator(
    admin: Api, app: App, smtp: SmtpServer
) -> None:
    rows = [
        {"email": unique_email("imported"), "email_verified": True},
        {"email": "not an email"},
    ]
    job = run_import(admin, rows, connection_id=app.connection_id, send_completion_email="true")
    quiet = run_import(
        admin,
        [{"email": unique_email("quiet-import"), "email_verified": True}],
        connection_id=app.connection_id,
    )
    (report,) = [m for m in mail_to(smtp, ADMIN_EMAIL) if job["id"] in m.subject]
    assert report.subject == f"Users import {job['id']} completed"
    assert "Inserted: 1, updated: 0, failed: 1." in report.part("plain")
    assert f"/api/v2/jobs/{job['id']}/errors" in report.part("plain")
    assert not [m for m in smtp.to(ADMIN_EMAIL) if quiet["id"] in m.subject]


def test_the_login_pages_forgot_password_form_mails_a_reset_link(
    admin: Api, smtp: SmtpServer, browser: httpx.Client
) -> None:
    client = code_client(admin, "spa")
    connection = new_connection(admin, client.client_id)["name"]
    user = admin.create_user(
        connection=connection, email=unique_email("page-forgot"), verify_email=False
    )
    page = login_page(browser, flow(client, connection, screen_hint="reset-password"))
    form = form_to(page, "/u/forgot-password")
    fields = {"tx": form.value("tx") or "", "csrf": form.value("csrf") or ""}
    sent = browser.post("/u/forgot-password", data={**fields, "email": user["email"].upper()})
    assert sent.status_code == 200 and "reset your password" in sent.text
    (mail,) = mail_to(smtp, user["email"])
    assert "/u/reset-password?ticket=" in link_in(mail)
    nobody = browser.post("/u/forgot-password", data={**fields, "email": "x@nowhere.invalid"})
    assert nobody.status_code == 200
    assert nobody.text.split("</style>")[1] == sent.text.split("</style>")[1]  # but the nonce
    forged = browser.post("/u/forgot-password", data={**fields, "csrf": "x", "email": "a@b.c"})
    assert forged.status_code == 400
