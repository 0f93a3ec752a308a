"""The dashboard's APIs in Chromium: the Management API marked as a system API that cannot be
changed or deleted; an API made from the page with scopes added and removed, read back through
the Management API; a refused setting shown with nothing changed; an application authorized
for the API from the page whose client-credentials token then carries the granted scope; the
grant's scopes changed from the application's page; deleting an API after confirming."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Dialog, Page, expect

from tests.support.admin import Person, admin_context, new_admin, own_server, screenshot, sign_in
from tests.support.api import Api, unique
from tests.support.chromium import problems_of
from tests.support.server import RunningServer

REFUSED = "Failed to load resource: the server responded with a status of 400 (Bad Request)"


def unexpected(problems: list[str]) -> list[str]:
    """The page's problems but Chromium's console line for a refused form's answer (the
    dashboard answers a form it refuses with status 400 and shows why)."""
    return [p for p in problems if p != REFUSED]


# A server of its own: the pages list every application, API and connection there is.
sqlite_server, api = own_server("dashboard-apis")


@pytest.fixture(scope="module")
def admin(sqlite_server: RunningServer, api: Api) -> Person:
    return new_admin(sqlite_server, api)


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    created = admin_context(browser, viewport={"width": 1280, "height": 800})
    yield created
    created.close()


@pytest.fixture
def page(sqlite_server: RunningServer, admin: Person, context: BrowserContext) -> Page:
    opened = context.new_page()
    sign_in(opened, sqlite_server, admin, "/admin/apis")

    def accept(dialog: Dialog) -> None:
        dialog.accept()

    opened.on("dialog", accept)
    return opened


def server_of(api: Api, identifier: str) -> dict[str, Any]:
    found = api.get("/api/v2/resource-servers", per_page=100).json()
    matches = [s for s in found if s["identifier"] == identifier]
    assert len(matches) == 1
    return matches[0]


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * 4))
    return decoded


def create_api_from_page(page: Page, base_url: str, identifier: str, name: str) -> None:
    page.goto(f"{base_url}/admin/apis")
    page.get_by_role("link", name="Create API").first.click()
    page.get_by_label("Name").fill(name)
    page.get_by_label("Identifier").fill(identifier)
    page.get_by_label("Token lifetime (seconds)", exact=True).fill("3600")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("status")).to_have_text("The API was made.")


def add_scope(page: Page, value: str, description: str) -> None:
    scopes = page.locator("#scopes")
    scopes.get_by_label("Permission").fill(value)
    scopes.get_by_label("Description").fill(description)
    scopes.get_by_role("button", name="Add scope").click()
    expect(page.get_by_role("status")).to_have_text("The scopes were saved.")


def test_the_management_api_is_a_system_api(sqlite_server: RunningServer, page: Page) -> None:
    problems = problems_of(page)
    row = page.get_by_role("row").filter(has_text=f"{sqlite_server.base_url}/api/v2/")
    expect(row).to_contain_text("System API")
    row.get_by_role("link").click()
    expect(page.locator(".warning")).to_contain_text("cannot be changed")
    expect(page.get_by_role("button", name="Delete API")).to_have_count(0)
    expect(page.get_by_role("button", name="Save changes")).to_have_count(0)
    expect(page.get_by_label("Name")).to_be_disabled()
    expect(page.locator("#scopes")).to_contain_text("read:users")
    # Posted anyway: the service refuses, as Auth0 does.
    csrf = page.locator("input[name=csrf]").first.get_attribute("value") or ""
    server_id = page.url.rsplit("/", 1)[1]
    refused = page.request.post(
        f"{sqlite_server.base_url}/admin/apis/{server_id}/delete", form={"csrf": csrf}
    )
    assert refused.status == 400 and "cannot be deleted" in refused.text()
    assert problems == []


def test_an_api_is_made_with_scopes_and_an_application_gets_a_token_for_it(
    sqlite_server: RunningServer, api: Api, page: Page
) -> None:
    problems = problems_of(page)
    identifier = f"https://{unique('orders')}.example/api"
    create_api_from_page(page, sqlite_server.base_url, identifier, "Orders API")
    api_page = page.url.split("?")[0]
    add_scope(page, "read:orders", "Read orders")
    add_scope(page, "write:orders", "Create and change orders")
    add_scope(page, "delete:orders", "Delete orders")
    page.locator("#scopes").get_by_role("button", name="Remove delete:orders").click()
    expect(page.get_by_role("status")).to_have_text("The scopes were saved.")
    made = server_of(api, identifier)
    assert made["name"] == "Orders API" and made["token_lifetime"] == 3600
    assert made["scopes"] == [
        {"value": "read:orders", "description": "Read orders"},
        {"value": "write:orders", "description": "Create and change orders"},
    ]
    # A scope value the server refuses (a space), its words shown, nothing changed.
    page.locator("#scopes").get_by_label("Permission").fill("read orders")
    page.locator("#scopes").get_by_role("button", name="Add scope").click()
    expect(page.locator("#scope-error")).to_contain_text("without spaces")
    assert server_of(api, identifier)["scopes"] == made["scopes"]

    # A machine-to-machine application made from the page; its secret is on the answer.
    page.goto(f"{sqlite_server.base_url}/admin/applications/new")
    app_name = unique("orders worker")
    page.get_by_label("Name").fill(app_name)
    page.get_by_label("Machine to Machine").check()
    page.get_by_role("button", name="Create").click()
    client_id = page.locator("#client-id").inner_text()
    secret = page.locator("#client-secret").inner_text()

    def token(scope: str | None = None) -> httpx.Response:
        body = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "audience": identifier,
        }
        if scope:
            body["scope"] = scope
        return httpx.post(f"{sqlite_server.base_url}/oauth/token", json=body, timeout=10)

    assert token().status_code == 403  # no grant yet

    page.goto(api_page)
    applications = page.locator("#applications")
    applications.get_by_label("Application").select_option(client_id)
    applications.get_by_label("read:orders").check()
    applications.get_by_role("button", name="Authorize").click()
    expect(page.get_by_role("status")).to_have_text("The application's access was saved.")
    expect(applications.get_by_role("link", name=app_name)).to_be_visible()
    grants = api.get("/api/v2/client-grants", client_id=client_id).json()
    assert [(g["audience"], g["scope"]) for g in grants] == [(identifier, ["read:orders"])]
    screenshot(page, "api")

    answer = token()
    assert answer.status_code == 200, answer.text
    assert claims(answer.json()["access_token"])["scope"] == "read:orders"
    assert claims(answer.json()["access_token"])["aud"] == identifier

    # The application's page changes the grant's scopes.
    applications.get_by_role("link", name=app_name).click()
    access = page.locator("details.api-access").filter(has_text=identifier)
    expect(access).to_contain_text("Authorized")
    access.get_by_label("write:orders").check()
    access.get_by_role("button", name="Update access").click()
    expect(page.get_by_role("status")).to_have_text(
        "The application's access to the API was saved."
    )
    grants = api.get("/api/v2/client-grants", client_id=client_id).json()
    assert grants[0]["scope"] == ["read:orders", "write:orders"]
    assert claims(token().json()["access_token"])["scope"] == "read:orders write:orders"

    # Removed from the API's page: no token any more.
    page.goto(api_page)
    page.locator("#applications").get_by_role("row").filter(has_text=app_name).get_by_role(
        "button", name="Remove access"
    ).click()
    expect(page.get_by_role("status")).to_have_text("The application's access was removed.")
    assert api.get("/api/v2/client-grants", client_id=client_id).json() == []
    assert token().status_code == 403
    assert unexpected(problems) == []


def test_a_refused_setting_changes_nothing(
    sqlite_server: RunningServer, api: Api, page: Page
) -> None:
    problems = problems_of(page)
    identifier = f"https://{unique('limits')}.example/"
    create_api_from_page(page, sqlite_server.base_url, identifier, "Limits API")
    page.get_by_label("Token lifetime (seconds)", exact=True).fill("2592001")
    page.get_by_label("Name").fill("Renamed")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#e-token_lifetime")).to_contain_text("greater than maximum 2592000")
    expect(page.get_by_label("Name")).to_have_value("Renamed")
    unchanged = server_of(api, identifier)
    assert unchanged["name"] == "Limits API" and unchanged["token_lifetime"] == 3600
    page.get_by_label("Token lifetime (seconds)", exact=True).fill("7200")
    page.get_by_label("Allow offline access").check()
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_have_text("The settings were saved.")
    saved = server_of(api, identifier)
    assert saved["name"] == "Renamed" and saved["token_lifetime"] == 7200
    assert saved["allow_offline_access"] is True
    # An identifier already taken is refused on the create form, nothing made.
    page.goto(f"{sqlite_server.base_url}/admin/apis/new")
    page.get_by_label("Identifier").fill(identifier)
    page.get_by_role("button", name="Create").click()
    expect(page.locator("#e-identifier")).to_contain_text("already exists")
    found = api.get("/api/v2/resource-servers", per_page=100).json()
    assert [s["identifier"] for s in found].count(identifier) == 1
    assert unexpected(problems) == []


def test_an_api_is_deleted_after_confirming(
    sqlite_server: RunningServer, api: Api, page: Page
) -> None:
    problems = problems_of(page)
    identifier = f"https://{unique('gone')}.example/"
    create_api_from_page(page, sqlite_server.base_url, identifier, "Short-lived API")
    page.get_by_role("button", name="Delete API").click()
    expect(page.get_by_role("status")).to_have_text("The API was deleted.")
    found = api.get("/api/v2/resource-servers", per_page=100).json()
    assert identifier not in [s["identifier"] for s in found]
    assert problems == []


def test_the_api_page_reads_at_phone_width(
    sqlite_server: RunningServer, admin: Person, browser: Browser
) -> None:
    phone = admin_context(browser, viewport={"width": 390, "height": 844})
    try:
        page = phone.new_page()
        problems = problems_of(page)
        sign_in(page, sqlite_server, admin, "/admin/apis")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.get_by_role("link", name="Auth0 Management API").click()
        expect(page.locator("#scopes")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert problems == []
    finally:
        phone.close()
