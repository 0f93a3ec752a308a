"""The dashboard's connections section in Chromium: the list grouped by kind, creating database,
OpenID Connect and custom OAuth2 connections, and a connection's page (password policy,
sign-ups, the sync of root attributes, provider settings with a write-only secret, a custom
database's scripts and sealed configuration, applications, deleting). Every change is read
back through the Management API; refused input changes nothing there; a display name with
markup stays text; no page breaks its CSP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.support.admin import Person, admin_context, new_admin, own_server, screenshot, sign_in
from tests.support.api import DB, PASSWORD, Api, unique, unique_email
from tests.support.chromium import problems_of
from tests.support.server import RunningServer

FETCH_PROFILE = (
    "function fetchUserProfile(accessToken, context, callback) { callback(null, {user_id: 'x'}); }"
)
LOGIN_SCRIPT = "function login(email, password, callback) {\n  callback(null, {user_id: email});\n}"


# A server of its own: the pages list every application, API and connection there is.
sqlite_server, api = own_server("dashboard-connections")


@pytest.fixture(scope="module")
def admin(sqlite_server: RunningServer, api: Api) -> Person:
    return new_admin(sqlite_server, api)


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    created = admin_context(browser, viewport={"width": 1280, "height": 900})
    yield created
    created.close()


@pytest.fixture
def page(sqlite_server: RunningServer, admin: Person, context: BrowserContext) -> Page:
    opened = context.new_page()
    sign_in(opened, sqlite_server, admin, "/admin/connections")
    return opened


def connection(api: Api, connection_id: str) -> dict[str, Any]:
    response = api.get(f"/api/v2/connections/{connection_id}")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def create(api: Api, **body: Any) -> dict[str, Any]:
    response = api.post("/api/v2/connections", body)
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


def open_connection(page: Page, server: RunningServer, connection_id: str) -> None:
    page.goto(f"{server.base_url}/admin/connections/{connection_id}")


def save(page: Page) -> None:
    page.get_by_role("button", name="Save", exact=True).click()


def type_code(page: Page, textarea_id: str, code: str) -> None:
    """Replaces the text of the code editor over a script's textarea as a person pasting it
    would (the editor keeps the hidden textarea, which the form posts, in step)."""
    editor = page.locator(f'.code-editor[data-code-editor-for="{textarea_id}"] .cm-content')
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Backspace")
    page.keyboard.insert_text(code)
    expect(page.locator(f"#{textarea_id}")).to_have_value(code)


def sign_up(server: RunningServer, client_id: str, connection_name: str) -> httpx.Response:
    body = {
        "client_id": client_id,
        "connection": connection_name,
        "email": unique_email("dash-signup"),
        "password": PASSWORD,
    }
    return httpx.post(f"{server.base_url}/dbconnections/signup", json=body, timeout=30)


def id_from_url(page: Page) -> str:
    return page.url.split("/admin/connections/")[1].split("?")[0]


def test_create_a_database_connection_and_turn_sign_ups_off(
    sqlite_server: RunningServer, api: Api, page: Page
) -> None:
    problems = problems_of(page)
    name = unique("dash-db")
    page.get_by_role("link", name="New database connection").click()
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Display name").fill("Staff accounts")
    page.get_by_role("button", name="Create").click()
    expect(page.locator(".notice")).to_have_text("The connection was created.")
    connection_id = id_from_url(page)
    created = connection(api, connection_id)
    assert created["name"] == name and created["strategy"] == "auth0"
    assert created["display_name"] == "Staff accounts"
    assert created["options"].get("disable_signup") is not True
    # A new application is enabled on every connection, this one among them.
    client = api.post("/api/v2/clients", {"name": unique("dash-signup-app")}).json()
    assert sign_up(sqlite_server, client["client_id"], name).status_code == 200

    page.get_by_label("Disable sign ups").check()
    save(page)
    expect(page.locator(".notice")).to_have_text("The connection's settings were saved.")
    expect(page.get_by_label("Disable sign ups")).to_be_checked()
    options = connection(api, connection_id)["options"]
    assert options["disable_signup"] is True
    assert options["brute_force_protection"] is True  # what was on stays on
    refused = sign_up(sqlite_server, client["client_id"], name)
    assert refused.status_code == 403 and refused.json()["code"] == "signup_disabled"
    screenshot(page, "connection-database")

    page.goto(f"{sqlite_server.base_url}/admin/connections")
    row = page.locator("section.connection-group", has_text="Database").locator("tr", has_text=name)
    expect(row).to_contain_text("Staff accounts")
    expect(row).to_contain_text("auth0")
    assert problems == []


def test_the_password_policy_level_then_flexible_rules(
    sqlite_server: RunningServer, api: Api, page: Page
) -> None:
    problems = problems_of(page)
    made = create(api, name=unique("dash-pw"), strategy="auth0")
    open_connection(page, sqlite_server, made["id"])
    page.get_by_label("Password strength").select_option("excellent")
    page.get_by_label("Minimum length", exact=True).first.fill("12")
    save(page)
    expect(page.locator(".notice")).to_be_visible()
    options = connection(api, made["id"])["options"]
    assert options["passwordPolicy"] == "excellent"
    assert options["password_complexity_options"] == {"min_length": 12}
    assert "password_options" not in options

    page.get_by_label("Flexible rules").check()
    # The script shows the flexible rules only: one minimum length is visible.
    expect(page.locator('.policy[data-policy="level"]')).to_be_hidden()
    page.locator("#f-flex_min_length").fill("20")
    page.get_by_label("Upper case").check()
    page.get_by_label("No 3 sequential characters in a row").check()
    save(page)
    expect(page.locator(".notice")).to_be_visible()
    options = connection(api, made["id"])["options"]
    assert "passwordPolicy" not in options
    complexity = options["password_options"]["complexity"]
    assert complexity["min_length"] == 20
    assert complexity["character_types"] == ["uppercase"]
    assert complexity["sequential_characters"] == "block"
    expect(page.get_by_label("Flexible rules")).to_be_checked()
    expect(page.locator("#f-flex_min_length")).to_have_value("20")
    assert problems == []


def test_the_sync_setting_of_an_oidc_connection_is_saved_and_read_back(
    sqlite_server: RunningServer, api: Api, page: Page
) -> None:
    problems = problems_of(page)
    name = unique("dash-oidc")
    page.goto(f"{sqlite_server.base_url}/admin/connections/new?kind=oidc")
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Issuer").fill("https://idp.example.com/")
    page.get_by_label("Client ID").fill("oidc-client")
    page.get_by_label("Client secret").fill("oidc-secret-value")
    page.get_by_label("Scope").fill("openid email")
    page.get_by_role("button", name="Create").click()
    expect(page.locator(".notice")).to_have_text("The connection was created.")
    connection_id = id_from_url(page)
    options = connection(api, connection_id)["options"]
    assert options["issuer"] == "https://idp.example.com/"
    assert options["type"] == "back_channel"
    assert options["client_secret"] == "oidc-secret-value"
    assert "set_user_root_attributes" not in options
    expect(page.get_by_label("At each login (default)", exact=False)).to_be_checked()

    page.get_by_label("On the first login only", exact=False).check()
    save(page)
    expect(page.locator(".notice")).to_be_visible()
    assert connection(api, connection_id)["options"]["set_user_root_attributes"] == "on_first_login"
    page.reload()
    expect(page.get_by_label("On the first login only", exact=False)).to_be_checked()
    page.get_by_label("Never", exact=False).check()
    save(page)
    expect(page.locator(".notice")).to_be_visible()
    assert connection(api, connection_id)["options"]["set_user_root_attributes"] == "never_on_login"
    assert problems == []


def test_a_provider_secret_is_never_rendered_and_kept_when_left_blank(
    sqlite_server: RunningServer, api: Api, page: Page
) -> None:
    problems = problems_of(page)
    secret = "oauth2-" + unique("secret")
    page.goto(f"{sqlite_server.base_url}/admin/connections/new?kind=oauth2")
    page.get_by_label("Name", exact=True).fill(unique("dash-oauth2"))
    page.get_by_label("Authorization URL").fill("https://provider.example.com/authorize")
    page.get_by_label("Token URL").fill("https://provider.example.com/token")
    page.get_by_label("Client ID").fill("oauth2-client")
    page.get_by_label("Client secret").fill(secret)
    type_code(page, "f-fetchUserProfile", FETCH_PROFILE)
    page.get_by_role("button", name="Create").click()
    expect(page.locator(".notice")).to_have_text("The connection was created.")
    connection_id = id_from_url(page)
    assert secret not in page.content()
    expect(page.get_by_label("Client secret")).to_have_value("")
    expect(page.locator("#h-client_secret")).to_contain_text("leave this blank to keep it")

    # Saved again without retyping the secret: the secret stays, the rest changes.
    page.get_by_label("Scope").fill("profile email")
    save(page)
    expect(page.locator(".notice")).to_be_visible()
    assert secret not in page.content()
    options = connection(api, connection_id)["options"]
    assert options["client_secret"] == secret  # the API answers it; the page never does
    assert options["scope"] == "profile email"
    assert options["scripts"]["fetchUserProfile"] == FETCH_PROFILE
    # A secret typed replaces it.
    page.get_by_label("Client secret").fill("replaced-secret")
    save(page)
    expect(page.locator(".notice")).to_be_visible()
    assert connection(api, connection_id)["options"]["client_secret"] == "replaced-secret"
    assert "replaced-secret" not in page.content()
    assert problems == []


def test_a_social_preset_and_an_oidc_connection_that_cannot_sign_in_yet(
    sqlite_server: RunningServer, api: Api, page: Page
) -> None:
    problems = problems_of(page)
    secret = unique("google-secret")
    google = create(
        api,
        name=unique("dash-google"),
        strategy="google-oauth2",
        options={"client_id": "g-client", "client_secret": secret, "scope": ["email", "profile"]},
    )
    open_connection(page, sqlite_server, google["id"])
    expect(page.locator("main")).to_contain_text("Social")
    assert secret not in page.content()
    page.get_by_label("Client ID").fill("g-client-2")
    save(page)
    expect(page.locator(".notice")).to_be_visible()
    options = connection(api, google["id"])["options"]
    assert options == {
        "client_id": "g-client-2",
        "client_secret": secret,
        "scope": ["email", "profile"],
    }

    # Auth0 stores an oidc connection without a provider; the page says what /authorize would.
    bare = create(api, name=unique("dash-bare"), strategy="oidc", options={"client_id": "c"})
    open_connection(page, sqlite_server, bare["id"])
    expect(page.locator(".warning")).to_contain_text("names no discovery_url or issuer")
    assert problems == []


def test_a_custom_database_connections_scripts_and_configuration(
    sqlite_server: RunningServer, api: Api, page: Page
) -> None:
    problems = problems_of(page)
    made = create(api, name=unique("dash-customdb"), strategy="auth0")
    open_connection(page, sqlite_server, made["id"])
    page.get_by_label("Use my own database").check()
    page.get_by_label("Import users to selfauth").check()
    login = page.locator("#f-script_login")
    expect(login).to_have_attribute("data-code-editor", "javascript")
    expect(login).to_have_class("code")
    type_code(page, "f-script_login", LOGIN_SCRIPT)
    page.get_by_label("New key 1", exact=True).fill("API_KEY")
    page.get_by_label("Value of new key 1").fill("very-secret-api-key")
    page.get_by_label("Allowed hosts").fill("db.example.com\napi.example.com:8443")
    save(page)
    expect(page.locator(".notice")).to_be_visible()
    options = connection(api, made["id"])["options"]
    assert options["enabledDatabaseCustomization"] is True
    assert options["import_mode"] is True
    assert options["customScripts"] == {"login": LOGIN_SCRIPT}
    assert options["allowed_hosts"] == ["db.example.com", "api.example.com:8443"]
    sealed = options["configuration"]["API_KEY"]
    assert sealed != "very-secret-api-key"  # stored and answered sealed
    assert "very-secret-api-key" not in page.content()
    expect(page.get_by_label("New value of API_KEY")).to_have_value("")
    screenshot(page, "connection-custom-database")

    # The script edited and saved again; the configuration left blank keeps its value.
    edited = LOGIN_SCRIPT.replace("user_id: email", "user_id: 'db|' + email")
    type_code(page, "f-script_login", edited)
    type_code(page, "f-script_get_user", "function getUser(email, callback) { callback(null); }")
    save(page)
    expect(page.locator(".notice")).to_be_visible()
    options = connection(api, made["id"])["options"]
    assert options["customScripts"]["login"] == edited
    assert set(options["customScripts"]) == {"login", "get_user"}
    assert options["configuration"] == {"API_KEY": sealed}
    expect(page.locator("#f-script_login")).to_have_value(edited)

    page.goto(f"{sqlite_server.base_url}/admin/connections")
    group = page.locator("section.connection-group", has_text="Custom database")
    expect(group.locator("tr", has_text=made["name"])).to_be_visible()
    assert problems == []


def test_invalid_values_show_the_error_and_change_nothing(
    sqlite_server: RunningServer, api: Api, page: Page
) -> None:
    problems = problems_of(page)
    made = create(api, name=unique("dash-bad"), strategy="auth0")
    before = connection(api, made["id"])
    open_connection(page, sqlite_server, made["id"])
    # An option value the API's enum does not have, as a tampered form would send it.
    page.locator("#f-passwordPolicy").evaluate(
        "select => { select.options[0].value = 'superb'; select.selectedIndex = 0; }"
    )
    page.get_by_label("Disable sign ups").check()
    with page.expect_navigation() as answer:
        save(page)
    assert answer.value is not None and answer.value.status == 400
    error = page.locator("#e-passwordPolicy")
    expect(error).to_contain_text("No enum match for: superb")
    expect(page.locator(".problem")).to_have_text("Nothing was saved.")
    expect(page.get_by_label("Disable sign ups")).to_be_checked()  # what was typed is kept
    assert connection(api, made["id"]) == before

    # A minimum length beyond what bcrypt reads.
    open_connection(page, sqlite_server, made["id"])
    page.locator("#f-min_length").fill("99")
    save(page)
    expect(page.locator("#e-min_length")).to_be_visible()
    expect(page.locator("#f-min_length")).to_have_value("99")
    assert connection(api, made["id"]) == before

    # A custom OAuth2 connection with a token URL that is no URL is not created.
    name = unique("dash-badurl")
    page.goto(f"{sqlite_server.base_url}/admin/connections/new?kind=oauth2")
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Authorization URL").fill("https://provider.example.com/authorize")
    page.get_by_label("Token URL").fill("not a url")
    page.get_by_label("Client ID").fill("cid")
    page.get_by_label("Client secret").fill("typed-secret")
    type_code(page, "f-fetchUserProfile", FETCH_PROFILE)
    page.get_by_role("button", name="Create").click()
    expect(page.locator("#e-tokenURL")).to_contain_text("options.tokenURL")
    expect(page.get_by_label("Token URL")).to_have_value("not a url")
    expect(page.locator("#f-fetchUserProfile")).to_have_value(FETCH_PROFILE)
    assert "typed-secret" not in page.content()
    assert api.get("/api/v2/connections", name=name).json() == []

    # A configuration row with a key and no value.
    open_connection(page, sqlite_server, made["id"])
    page.get_by_label("New key 1", exact=True).fill("ORPHAN")
    save(page)
    expect(page.locator("#e-configuration")).to_contain_text("both a key and a value")
    assert connection(api, made["id"]) == before
    # The browser logs each refused form's 400 answer itself; only script or CSP problems
    # would be the page's.
    assert [p for p in problems if "status of 400" not in p] == []


def test_saving_an_unchanged_page_changes_no_option(
    sqlite_server: RunningServer, api: Api, page: Page
) -> None:
    """The page builds `options` over the stored ones (a PATCH replaces them whole): what it
    does not show, and what was not changed, goes back as it was: the save is the PATCH of the
    options it read (which, for a database connection, fills Auth0's defaults of any PATCH)."""
    problems = problems_of(page)
    default = api.get("/api/v2/connections", name=DB).json()[0]
    upstream = create(
        api,
        name=unique("dash-same"),
        strategy="oidc",
        options={
            "discovery_url": "https://idp.example.com/.well-known/openid-configuration",
            "client_id": "c",
            "client_secret": "s",
            "upstream_params": {},
            "icon_url": "x",
        },
    )
    for made in (default, upstream):
        before = connection(api, made["id"])
        open_connection(page, sqlite_server, made["id"])
        save(page)
        expect(page.locator(".notice")).to_be_visible()
        after = connection(api, made["id"])
        same = api.patch(f"/api/v2/connections/{made['id']}", {"options": before["options"]})
        assert same.status_code == 200, same.text
        assert after == same.json()
        assert {k: after["options"][k] for k in before["options"]} == before["options"]
    assert problems == []


def test_a_display_name_with_markup_is_shown_as_text(
    sqlite_server: RunningServer, api: Api, page: Page
) -> None:
    problems = problems_of(page)
    markup = (
        '<img src=x onerror="document.body.dataset.owned=1">'
        "<script>document.body.dataset.owned=2</script>"
    )
    made = create(api, name=unique("dash-xss"), strategy="auth0", display_name=markup)
    page.goto(f"{sqlite_server.base_url}/admin/connections")
    row = page.locator("tr", has_text=made["name"])
    expect(row).to_contain_text(markup)
    assert row.locator("img, script").count() == 0
    open_connection(page, sqlite_server, made["id"])
    expect(page.get_by_role("heading", level=1)).to_have_text(markup)
    expect(page.get_by_label("Display name")).to_have_value(markup)
    assert page.locator("main img, main script").count() == 0
    assert page.evaluate("document.body.dataset.owned") is None
    assert problems == []


def test_applications_and_deleting(sqlite_server: RunningServer, api: Api, page: Page) -> None:
    problems = problems_of(page)
    client = api.post("/api/v2/clients", {"name": unique("dash-app")}).json()
    made = create(api, name=unique("dash-apps"), strategy="auth0", enabled_clients=[])
    open_connection(page, sqlite_server, made["id"])
    page.get_by_label(client["name"]).check()
    page.get_by_role("button", name="Save applications").click()
    expect(page.locator(".notice")).to_have_text("The connection's applications were saved.")
    assert connection(api, made["id"])["enabled_clients"] == [client["client_id"]]
    page.get_by_label(client["name"]).uncheck()
    page.get_by_role("button", name="Save applications").click()
    expect(page.locator(".notice")).to_be_visible()
    assert connection(api, made["id"])["enabled_clients"] == []

    # Dismissing the confirmation deletes nothing; accepting deletes.
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Delete this connection").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert api.get(f"/api/v2/connections/{made['id']}").status_code == 200
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete this connection").click()
    expect(page.locator(".notice")).to_contain_text(f"The connection {made['name']} was deleted.")
    assert api.get(f"/api/v2/connections/{made['id']}").status_code == 404
    screenshot(page, "connections")
    assert problems == []


def test_a_form_without_this_sign_ins_csrf_token_changes_nothing(
    sqlite_server: RunningServer, api: Api, page: Page
) -> None:
    made = create(api, name=unique("dash-csrf"), strategy="auth0")
    before = connection(api, made["id"])
    base = f"{sqlite_server.base_url}/admin/connections"
    forged = {"csrf": "forged", "disable_signup": "on", "passwordPolicy": "none"}
    new_name = unique("dash-forged")
    for path, form in (
        (f"{base}/{made['id']}", forged),
        (f"{base}/{made['id']}/applications", {"csrf": "forged"}),
        (f"{base}/{made['id']}/delete", {"csrf": "forged"}),
        (f"{base}/new", {"csrf": "forged", "kind": "database", "name": new_name}),
    ):
        assert page.request.post(path, form=form, max_redirects=0).status == 403, path
    assert connection(api, made["id"]) == before
    assert api.get("/api/v2/connections", name=new_name).json() == []


def test_readable_at_phone_width(
    sqlite_server: RunningServer, api: Api, admin: Person, browser: Browser
) -> None:
    made = create(api, name=unique("dash-narrow"), strategy="auth0")
    narrow = admin_context(browser, viewport={"width": 390, "height": 800})
    try:
        page = narrow.new_page()
        problems = problems_of(page)
        sign_in(page, sqlite_server, admin, f"/admin/connections/{made['id']}")
        for path in ("/admin/connections", f"/admin/connections/{made['id']}"):
            page.goto(f"{sqlite_server.base_url}{path}")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, (path, width)
        assert problems == []
    finally:
        narrow.close()
