"""The dashboard's applications in Chromium: an application of each of Auth0's four types made
from the page; settings (callbacks) saved and read back through the Management API, a refused
value shown beside its field with nothing changed; Application Metadata's limits (10 keys, 255
characters) enforced by the server, shown, and changing nothing; a rotated secret shown once
(the old one refused at /oauth/token, the new one accepted); a stored XSS attempt rendered as
text; the dashboard's own application kept from deletion; deleting another after confirming."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Dialog, Page, expect

from tests.support.admin import Person, admin_context, new_admin, own_server, screenshot, sign_in
from tests.support.api import Api, unique
from tests.support.chromium import problems_of
from tests.support.server import RunningServer

# A server of its own: the pages list every application, API and connection there is.
sqlite_server, api = own_server("dashboard-applications")


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
    sign_in(opened, sqlite_server, admin, "/admin/applications")
    return opened


REFUSED = "Failed to load resource: the server responded with a status of 400 (Bad Request)"


def unexpected(problems: list[str]) -> list[str]:
    """The page's problems but Chromium's console line for a refused form's answer: the
    dashboard answers a form it refuses with status 400 (the page shows why), and Chromium
    logs every 400 document so."""
    return [p for p in problems if p != REFUSED]


def accept_dialogs(page: Page, asked: list[str]) -> None:
    def answer(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.on("dialog", answer)


def new_client(api: Api, **fields: Any) -> dict[str, Any]:
    response = api.post("/api/v2/clients", {"name": unique("app"), **fields})
    assert response.status_code == 201, response.text
    client: dict[str, Any] = response.json()
    return client


def client_of(api: Api, client_id: str) -> dict[str, Any]:
    response = api.get(f"/api/v2/clients/{client_id}")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def token_status(server: RunningServer, client_id: str, secret: str, audience: str) -> int:
    return httpx.post(
        f"{server.base_url}/oauth/token",
        json={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "audience": audience,
        },
        timeout=10,
    ).status_code


@pytest.mark.parametrize(
    ("label", "app_type", "public"),
    [
        ("Native", "native", True),
        ("Single Page Application", "spa", True),
        ("Regular Web Application", "regular_web", False),
        ("Machine to Machine", "non_interactive", False),
    ],
)
def test_an_application_of_each_kind_is_made_from_the_page(
    sqlite_server: RunningServer, api: Api, page: Page, label: str, app_type: str, public: bool
) -> None:
    problems = problems_of(page)
    page.get_by_role("link", name="Create application").first.click()
    name = unique(f"{app_type} app")
    page.get_by_label("Name").fill(name)
    page.get_by_label(label).check()
    page.get_by_role("button", name="Create").click()
    if public:
        # No secret to show: straight to the new application's settings.
        expect(page.get_by_role("status")).to_have_text("The application was made.")
        client_id = page.locator("#client-id").inner_text()
        expect(page.locator("#credentials")).to_contain_text("public client")
    else:
        expect(page.get_by_role("heading", name="Application created")).to_be_visible()
        client_id = page.locator("#client-id").inner_text()
        assert len(page.locator("#client-secret").inner_text()) >= 32
    made = client_of(api, client_id)
    assert made["name"] == name and made["app_type"] == app_type
    assert (made["token_endpoint_auth_method"] == "none") is public
    assert ("client_credentials" in made["grant_types"]) is (not public)
    page.goto(f"{sqlite_server.base_url}/admin/applications")
    row = page.get_by_role("row").filter(has_text=name)
    expect(row).to_contain_text(label)
    expect(row).to_contain_text(client_id)
    expect(row).to_contain_text("First party")
    if app_type == "non_interactive":
        screenshot(page, "applications")
    assert problems == []


def test_a_name_the_schema_refuses_is_shown_and_nothing_is_made(api: Api, page: Page) -> None:
    before = api.get("/api/v2/clients", include_totals="true", per_page=1).json()["total"]
    page.goto(page.url.split("/admin")[0] + "/admin/applications/new")
    page.get_by_label("Name").fill("a <b> name")
    page.get_by_role("button", name="Create").click()
    expect(page.locator("#e-name")).to_contain_text("on property name")
    expect(page.get_by_label("Name")).to_have_value("a <b> name")
    after = api.get("/api/v2/clients", include_totals="true", per_page=1).json()["total"]
    assert after == before


def test_callbacks_are_saved_as_the_management_api_saves_them(
    sqlite_server: RunningServer, api: Api, page: Page
) -> None:
    client = new_client(api, app_type="regular_web")
    problems = problems_of(page)
    page.goto(f"{sqlite_server.base_url}/admin/applications/{client['client_id']}")
    page.get_by_label("Allowed callback URLs").fill(
        "https://one.example/callback\nhttps://two.example/cb, https://three.example/cb"
    )
    page.get_by_label("Allowed logout URLs").fill("https://one.example/bye")
    page.get_by_label("Allowed web origins").fill("https://one.example")
    page.get_by_label("Description").fill("Callbacks edited from the dashboard")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_have_text("The settings were saved.")
    saved = client_of(api, client["client_id"])
    assert saved["callbacks"] == [
        "https://one.example/callback",
        "https://two.example/cb",
        "https://three.example/cb",
    ]
    assert saved["allowed_logout_urls"] == ["https://one.example/bye"]
    assert saved["web_origins"] == ["https://one.example"]
    assert saved["description"] == "Callbacks edited from the dashboard"
    # A value the Management API refuses: shown beside its field, typed values kept, nothing
    # of the form saved (not even the valid callback typed with it).
    page.get_by_label("Application logo").fill("not a url")
    page.get_by_label("Allowed callback URLs").fill("https://four.example/cb")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#e-logo_uri")).to_contain_text("absolute-uri-or-empty")
    expect(page.get_by_label("Allowed callback URLs")).to_have_value("https://four.example/cb")
    unchanged = client_of(api, client["client_id"])
    assert unchanged["callbacks"] == saved["callbacks"] and "logo_uri" not in unchanged
    # The service's own rule: a public client cannot keep client_credentials.
    page.get_by_label("Application logo").fill("")
    page.get_by_label("Token endpoint authentication method").select_option("none")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#e-token_endpoint_auth_method")).to_contain_text("confidential client")
    assert client_of(api, client["client_id"])["token_endpoint_auth_method"] == (
        "client_secret_post"
    )
    assert unexpected(problems) == []


def test_application_metadata_keeps_auth0s_limits(
    sqlite_server: RunningServer, api: Api, page: Page
) -> None:
    nine = {f"key{i}": f"value {i}" for i in range(9)}
    client = new_client(api, app_type="regular_web", client_metadata=nine)
    address = f"{sqlite_server.base_url}/admin/applications/{client['client_id']}"
    problems = problems_of(page)
    page.goto(f"{address}#metadata")
    metadata = page.locator("#metadata")
    expect(metadata).to_contain_text("At most 10 keys")
    # A tenth key, an edited value and a removed pair in one save.
    metadata.get_by_label("New key").fill("region")
    metadata.get_by_label("New value").fill("eu-west")
    metadata.get_by_label("Value 2", exact=True).fill("edited")
    metadata.locator(".metadata-row").filter(has=page.locator("input[value='key0']")).get_by_role(
        "button", name="Remove"
    ).click()
    metadata.get_by_role("button", name="Save metadata").click()
    expect(page.get_by_role("status")).to_have_text("The application metadata was saved.")
    stored = client_of(api, client["client_id"])["client_metadata"]
    expected = {**{k: v for k, v in nine.items() if k != "key0"}, "key1": "edited"}
    assert stored == {**expected, "region": "eu-west"}
    # Back to ten, then an eleventh: the server's error, nothing changed.
    metadata.get_by_label("New key").fill("key0")
    metadata.get_by_label("New value").fill("back")
    metadata.get_by_role("button", name="Save metadata").click()
    expect(page.get_by_role("status")).to_have_text("The application metadata was saved.")
    ten = client_of(api, client["client_id"])["client_metadata"]
    assert len(ten) == 10
    metadata.get_by_label("New key").fill("eleventh")
    metadata.get_by_label("New value").fill("one too many")
    metadata.get_by_role("button", name="Add a row").click()
    metadata.get_by_label("New key").last.fill("twelfth")
    metadata.get_by_role("button", name="Save metadata").click()
    expect(page.locator("#metadata-error")).to_contain_text(
        "Too many properties defined (12), maximum 10"
    )
    expect(metadata.locator("input[value='eleventh']")).to_have_count(1)  # what was typed
    assert client_of(api, client["client_id"])["client_metadata"] == ten
    # A value of 256 characters: refused, nothing changed; 255 is accepted.
    page.goto(address)
    metadata.get_by_label("Value 1", exact=True).fill("x" * 256)
    metadata.get_by_role("button", name="Save metadata").click()
    expect(page.locator("#metadata-error")).to_contain_text(
        "String is too long (256 chars), maximum 255"
    )
    assert client_of(api, client["client_id"])["client_metadata"] == ten
    screenshot(page, "application-metadata")
    metadata.get_by_label("Value 1", exact=True).fill("x" * 255)
    metadata.get_by_role("button", name="Save metadata").click()
    expect(page.get_by_role("status")).to_have_text("The application metadata was saved.")
    first_key = next(iter(ten))
    assert client_of(api, client["client_id"])["client_metadata"][first_key] == "x" * 255
    # A key the server refuses (a dot), its words shown.
    page.goto(address)
    metadata.get_by_label("Key 1", exact=True).fill("with.dot")
    metadata.get_by_role("button", name="Save metadata").click()
    expect(page.locator("#metadata-error")).to_contain_text("Invalid property name")
    assert len(client_of(api, client["client_id"])["client_metadata"]) == 10
    assert unexpected(problems) == []


def test_a_rotated_secret_is_shown_once_and_the_old_one_stops_working(
    sqlite_server: RunningServer, api: Api, page: Page, context: BrowserContext
) -> None:
    audience = f"https://{unique('rotate')}.example/"
    created = api.post("/api/v2/resource-servers", {"identifier": audience, "name": "Rotation"})
    assert created.status_code == 201, created.text
    client = new_client(api, app_type="non_interactive")
    client_id, old = client["client_id"], client["client_secret"]
    grant = api.post("/api/v2/client-grants", {"client_id": client_id, "audience": audience})
    assert grant.status_code == 201, grant.text
    assert token_status(sqlite_server, client_id, old, audience) == 200
    problems = problems_of(page)
    asked: list[str] = []
    accept_dialogs(page, asked)
    page.goto(f"{sqlite_server.base_url}/admin/applications/{client_id}#credentials")
    with page.expect_response(lambda r: r.url.endswith("/rotate-secret")) as answer:
        page.get_by_role("button", name="Rotate secret").click()
    assert answer.value.status == 200
    assert answer.value.headers["cache-control"] == "no-store"
    assert asked and "stops working" in asked[0]
    expect(page.get_by_role("heading", name="Secret rotated")).to_be_visible()
    new = page.locator("#client-secret").inner_text()
    assert new and new != old
    assert token_status(sqlite_server, client_id, old, audience) == 401
    assert token_status(sqlite_server, client_id, new, audience) == 200
    # Never again: not in the address, no cookie, not on the application's page.
    assert new not in page.url
    assert all(new not in c["value"] for c in context.cookies())
    page.get_by_role("link", name="Go to the application's settings").click()
    expect(page.locator("#credentials")).to_contain_text("Not shown")
    assert new not in page.content()
    assert problems == []


def test_a_stored_xss_attempt_is_rendered_as_text(
    sqlite_server: RunningServer, api: Api, page: Page
) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    problems = problems_of(page)
    # Tags in a name are refused by the schema (no < or >); quotes are allowed and must not
    # leave the attribute they are rendered in.
    name = 'x" autofocus onfocus="window.__xss=1;alert(1)'
    page.goto(f"{sqlite_server.base_url}/admin/applications/new")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Regular Web Application").check()
    page.get_by_role("button", name="Create").click()
    client_id = page.locator("#client-id").inner_text()
    payload = '<img src=x onerror="window.__xss=1;alert(2)"><script>alert(3)</script>'
    page.goto(f"{sqlite_server.base_url}/admin/applications/{client_id}")
    page.locator("#metadata").get_by_label("New key").fill("note")
    page.locator("#metadata").get_by_label("New value").fill(payload)
    page.locator("#metadata").get_by_role("button", name="Save metadata").click()
    expect(page.get_by_role("status")).to_have_text("The application metadata was saved.")
    assert client_of(api, client_id)["client_metadata"] == {"note": payload}
    page.reload()
    expect(page.get_by_label("Name", exact=True)).to_have_value(name)
    expect(page.locator("#metadata").get_by_label("Value 1", exact=True)).to_have_value(payload)
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    page.goto(f"{sqlite_server.base_url}/admin/applications")
    expect(page.get_by_role("link", name=name)).to_be_visible()
    assert page.evaluate("window.__xss") is None
    assert page.locator("img[src=x]").count() == 0
    assert dialogs == []
    assert problems == []


def test_the_dashboards_own_application_cannot_be_deleted(
    sqlite_server: RunningServer, api: Api, page: Page
) -> None:
    row = page.get_by_role("row").filter(has=page.locator(".badge", has_text="Dashboard"))
    expect(row).to_have_count(1)
    row.get_by_role("link").click()
    expect(page.locator("#danger")).to_contain_text("the dashboard signs in as it")
    expect(page.get_by_role("button", name="Delete application")).to_have_count(0)
    client_id = page.locator("#client-id").inner_text()
    # Posted anyway (a forged button): refused by the server, the application kept.
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    refused = page.request.post(
        f"{sqlite_server.base_url}/admin/applications/{client_id}/delete",
        form={"csrf": csrf or ""},
    )
    assert refused.status == 400
    assert client_of(api, client_id)["name"] == "selfauth Dashboard"


def test_an_application_is_deleted_after_confirming(
    sqlite_server: RunningServer, api: Api, page: Page
) -> None:
    client = new_client(api, app_type="spa")
    problems = problems_of(page)
    asked: list[str] = []
    accept = [False, True]  # the first question is dismissed, the second accepted

    def answer(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.accept() if accept[len(asked) - 1] else dialog.dismiss()

    page.on("dialog", answer)
    page.goto(f"{sqlite_server.base_url}/admin/applications/{client['client_id']}")
    page.get_by_role("button", name="Delete application").click()
    assert asked and client["name"] in asked[0]  # dismissed: nothing happens
    assert api.get(f"/api/v2/clients/{client['client_id']}").status_code == 200
    page.get_by_role("button", name="Delete application").click()
    expect(page.get_by_role("status")).to_have_text("The application was deleted.")
    assert api.get(f"/api/v2/clients/{client['client_id']}").status_code == 404
    assert problems == []


def test_the_settings_read_at_phone_width(
    sqlite_server: RunningServer, api: Api, admin: Person, browser: Browser
) -> None:
    client = new_client(api, app_type="regular_web", client_metadata={"a": "b"})
    phone = admin_context(browser, viewport={"width": 390, "height": 844})
    try:
        page = phone.new_page()
        problems = problems_of(page)
        sign_in(page, sqlite_server, admin, f"/admin/applications/{client['client_id']}")
        expect(page.get_by_role("heading", name=client["name"])).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.goto(f"{sqlite_server.base_url}/admin/applications")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert problems == []
    finally:
        phone.close()


def test_metadata_and_settings_work_without_javascript(
    sqlite_server: RunningServer, api: Api, admin: Person, browser: Browser
) -> None:
    client = new_client(api, app_type="regular_web", client_metadata={"old": "1", "kept": "2"})
    plain = admin_context(browser, java_script_enabled=False)
    try:
        page = plain.new_page()
        sign_in(page, sqlite_server, admin, f"/admin/applications/{client['client_id']}")
        metadata = page.locator("#metadata")
        expect(metadata.get_by_role("button", name="Add a row")).to_be_hidden()
        # Emptying a row removes its pair; the one empty row adds one.
        metadata.get_by_label("Key 1", exact=True).fill("")
        metadata.get_by_label("Value 1", exact=True).fill("")
        metadata.get_by_label("New key").fill("added")
        metadata.get_by_label("New value").fill("3")
        metadata.get_by_role("button", name="Save metadata").click()
        expect(page.get_by_role("status")).to_have_text("The application metadata was saved.")
        assert client_of(api, client["client_id"])["client_metadata"] == {"kept": "2", "added": "3"}
        page.get_by_label("Allowed callback URLs").fill("https://plain.example/cb")
        page.get_by_role("button", name="Save changes").click()
        expect(page.get_by_role("status")).to_have_text("The settings were saved.")
        assert client_of(api, client["client_id"])["callbacks"] == ["https://plain.example/cb"]
    finally:
        plain.close()
