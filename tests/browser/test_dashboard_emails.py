"""The dashboard's emails in Chromium: the SMTP provider saved (its password never in a page
afterwards, a blank password keeping it, a bad port refused with nothing changed); a template
edited (Liquid checked: a broken one is refused and the stored one stays) and previewed for
users whose `user_metadata.lang` changes what the mail says; the outbox listing the mails
queued; no console error or CSP refusal.

The provider and the templates are the tenant's, so this module runs on a server of its own
(the session's servers' belong to the mail tests)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from tests.support.admin import Person, admin_context, new_admin, screenshot, sign_in
from tests.support.api import Api, unique_email
from tests.support.chromium import problems_of
from tests.support.server import RunningServer, serving

PROVIDER = "/api/v2/emails/provider"
TEMPLATE = "/api/v2/email-templates/verify_email"
PASSWORD = "the-smtp-p4ssword-never-shown"
SUBJECT = (
    '{% if user.user_metadata.lang == "fr" %}Vérifiez votre adresse'
    "{% else %}Verify your address{% endif %}, {{ user.email }}"
)
BODY = (
    '<html><body><p>{% if user.user_metadata.lang == "fr" %}Bonjour{% else %}Hello{% endif %} '
    '{{ user.email }}</p><p><a href="{{ url }}">{{ url }}</a></p></body></html>'
)


@pytest.fixture(scope="module")
def own_server(
    sqlite_server: RunningServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    with serving("sqlite", tmp_path_factory.mktemp("dashboard-emails")) as running:
        yield running


@pytest.fixture(scope="module")
def own_api(own_server: RunningServer) -> Iterator[Api]:
    found = Api(own_server, own_server.admin_token())
    yield found
    found.http.close()


@pytest.fixture(scope="module")
def admin(own_server: RunningServer, own_api: Api) -> Person:
    return new_admin(own_server, own_api)


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    created = admin_context(browser, viewport={"width": 1280, "height": 900})
    yield created
    created.close()


def test_the_provider_is_saved_and_its_password_never_shown(
    own_server: RunningServer, own_api: Api, admin: Person, context: BrowserContext
) -> None:
    own_api.delete(PROVIDER)
    page = context.new_page()
    problems = problems_of(page)
    sign_in(page, own_server, admin, "/admin/emails")
    expect(page.get_by_text("No provider is set")).to_be_visible()
    page.get_by_label("SMTP host").fill("smtp.example.com")
    page.get_by_label("Port").fill("2525")
    page.get_by_label("User name").fill("mailer")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Default From address").fill("no-reply@example.com")
    # Left disabled: mails stay held in the outbox instead of going to a host that is not there.
    page.get_by_label("Enabled").uncheck()
    page.get_by_role("button", name="Save provider").click()
    expect(page.locator(".notice")).to_have_text("The email provider was saved.")
    expect(page.locator("#h-smtp_pass")).to_have_text(
        "A password is stored; leave blank to keep it."
    )
    assert PASSWORD not in page.content()
    assert page.get_by_label("Password").input_value() == ""
    screenshot(page, "emails")
    stored = own_api.get(PROVIDER, fields="name,enabled,credentials,default_from_address").json()
    assert stored == {
        "name": "smtp",
        "enabled": False,
        "credentials": {"smtp_host": "smtp.example.com", "smtp_port": 2525, "smtp_user": "mailer"},
        "default_from_address": "no-reply@example.com",
    }
    # A bad port is refused by the server next to its field (the browser's own check, which
    # would stop it first, is turned off); what was typed stays, nothing changes.
    page.locator("form.emails-provider").evaluate("form => { form.noValidate = true; }")
    page.get_by_label("SMTP host").fill("smtp2.example.com")
    page.get_by_label("Port").fill("70000")
    with page.expect_response(lambda r: r.url.endswith("/admin/emails/provider")) as answer:
        page.get_by_role("button", name="Save provider").click()
    assert answer.value.status == 400
    expect(page.locator("#e-smtp_port")).to_contain_text("smtp_port")
    expect(page.get_by_label("SMTP host")).to_have_value("smtp2.example.com")
    assert own_api.get(PROVIDER, fields="credentials").json()["credentials"]["smtp_port"] == 2525
    # Saved again with the password left blank: the stored one is kept.
    page.get_by_label("Port").fill("2526")
    page.get_by_role("button", name="Save provider").click()
    expect(page.locator(".notice")).to_be_visible()
    expect(page.locator("#h-smtp_pass")).to_have_text(
        "A password is stored; leave blank to keep it."
    )
    assert PASSWORD not in page.content()
    stored = own_api.get(PROVIDER, fields="credentials").json()
    assert stored["credentials"]["smtp_host"] == "smtp2.example.com"
    assert [p for p in problems if "status of 400" not in p] == []


def test_a_template_is_edited_and_previewed_in_each_user_s_language(
    own_server: RunningServer, own_api: Api, admin: Person, context: BrowserContext
) -> None:
    french = own_api.create_user(email=unique_email("fr"), user_metadata={"lang": "fr"})
    english = own_api.create_user(email=unique_email("en"), user_metadata={"lang": "en"})
    page = context.new_page()
    problems = problems_of(page)
    sign_in(page, own_server, admin, "/admin/emails/templates/verify_email")
    page.get_by_label("Subject").fill(SUBJECT)
    page.get_by_label("Body (HTML, Liquid)").fill(BODY)
    page.get_by_label("Enabled").check()
    page.get_by_role("button", name="Save template").click()
    expect(page.locator(".notice")).to_have_text("The template was saved.")
    stored = own_api.get(TEMPLATE).json()
    assert stored["subject"] == SUBJECT and stored["body"] == BODY and stored["enabled"] is True

    # A broken Liquid body is refused by the same check as the API's; the stored one stays.
    page.get_by_label("Body (HTML, Liquid)").fill("<p>{% if %}</p>")
    with page.expect_response(lambda r: r.url.endswith("/admin/emails/templates/verify_email")):
        page.get_by_role("button", name="Save template").click()
    expect(page.locator("#e-body")).to_be_visible()
    expect(page.get_by_label("Body (HTML, Liquid)")).to_have_value("<p>{% if %}</p>")
    assert own_api.get(TEMPLATE).json()["body"] == BODY

    page.get_by_label("User's email or id").fill(french["email"])
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview-subject")).to_have_text(
        f"Vérifiez votre adresse, {french['email']}"
    )
    frame = page.frame_locator("iframe.mail-preview")
    expect(frame.locator("p").first).to_have_text(f"Bonjour {french['email']}")
    iframe = page.locator("iframe.mail-preview")
    assert iframe.get_attribute("sandbox") == ""
    # A frame below the viewport is not painted into a full-page picture: show it all.
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": 1280, "height": height})
    expect(frame.locator("p").first).to_be_visible()
    screenshot(page, "email-template-preview")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_label("User's email or id").fill(english["email"])
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview-subject")).to_have_text(
        f"Verify your address, {english['email']}"
    )
    expect(frame.locator("p").first).to_have_text(f"Hello {english['email']}")
    page.get_by_text("Text part").click()
    expect(page.locator("#preview-text")).to_contain_text(f"Hello {english['email']}")

    # A built-in template (reset_email: never set here) previews as sent, its inline styles
    # applied inside the sandboxed frame and no CSP refusal in the dashboard's page.
    page.goto(f"{own_server.base_url}/admin/emails/templates/reset_email?preview={french['email']}")
    expect(page.locator("#preview-subject")).to_contain_text("Reset your")
    button = page.frame_locator("iframe.mail-preview").get_by_role("link").first
    expect(button).to_have_css("background-color", "rgb(26, 115, 232)")
    # The frame's document is a sandbox even when opened on its own.
    alone = page.request.get(
        f"{own_server.base_url}/admin/emails/templates/reset_email/preview",
        params={"user": french["user_id"]},
    )
    assert alone.status == 200
    assert alone.headers["content-security-policy"].startswith("sandbox;")
    assert "script-src" not in alone.headers["content-security-policy"]
    assert [p for p in problems if "status of 400" not in p] == []


def test_the_outbox_lists_the_queued_mails(
    own_server: RunningServer, own_api: Api, admin: Person, context: BrowserContext
) -> None:
    user = own_api.create_user(email=unique_email("outbox"), email_verified=False)
    page = context.new_page()
    problems = problems_of(page)
    sign_in(page, own_server, admin, "/admin/emails/outbox")
    page.get_by_label("Recipient").fill(user["email"])
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("verify_email")
    listed = own_api.get("/api/v2/emails/outbox", recipient=user["email"]).json()
    assert len(listed) == 1
    expect(rows.first).to_contain_text(listed[0]["subject"])
    expect(rows.first).to_contain_text(listed[0]["status"])
    page.get_by_label("Recipient").fill(unique_email("nobody"))
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("No mail matches these filters.")).to_be_visible()
    assert problems == []


def test_the_template_page_fits_a_phone(
    own_server: RunningServer, admin: Person, browser: Browser
) -> None:
    phone = admin_context(browser, viewport={"width": 390, "height": 844})
    page = phone.new_page()
    problems = problems_of(page)
    sign_in(
        page,
        own_server,
        admin,
        "/admin/emails/templates/welcome_email?preview=nobody%40example.com",
    )
    expect(page.get_by_role("button", name="Save template")).to_be_visible()
    expect(page.locator("section[aria-labelledby=preview-h] .problem")).to_contain_text(
        "No user has the email address or id nobody@example.com."
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert problems == []
    phone.close()
