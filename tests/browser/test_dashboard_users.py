"""The dashboard's users section in Chromium: the list's search (Auth0's syntax, a bad query
refused inline with the API's message), paging and sort; creating a user (a weak password
refused next to its field, nothing created); the user page's metadata editors saving through
PATCH's rules (an invalid name or an oversized value refused next to the field, the typed text
kept, nothing changed); an upstream OIDC user's synced attributes read-only with the reason
(and refused by the server when posted anyway); stored markup in a name and in metadata shown
as text; blocking; deleting with confirmation. Every change is checked through the Management
API; no page logs a console error or a CSP refusal."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from playwright.sync_api import Browser, BrowserContext, Dialog, Page, expect

from tests.support.admin import (
    Person,
    admin_context,
    new_admin,
    new_person,
    screenshot,
    sign_in,
)
from tests.support.api import DB, Api, user_path
from tests.support.chromium import problems_of
from tests.support.hooks import guarded_rule, hook_app, hook_kit, recorded
from tests.support.server import RunningServer
from tests.support.signin import login, new_app, post_token, tokens
from tests.support.upstream_oidc import UpstreamClient, UpstreamOidc

pytestmark = pytest.mark.sqlite_only

METADATA_MAX_BYTES = 16_384  # the test server's SELFAUTH_METADATA_MAX_BYTES (the default)
UPSTREAM_SECRET = "dashboard-users-upstream-secret-0123"


@pytest.fixture(scope="module")
def admin(sqlite_server: RunningServer, api: Api) -> Person:
    return new_admin(sqlite_server, api)


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    created = admin_context(browser, viewport={"width": 1280, "height": 900})
    yield created
    created.close()


def user_page(server: RunningServer, user_id: str) -> str:
    return f"{server.base_url}/admin/users/{quote(user_id, safe='')}"


def tagged_users(api: Api, tag: str, count: int) -> list[dict[str, Any]]:
    """`count` users whose emails start with `tag` and sort by their number."""
    return [
        api.create_user(email=f"{tag}-{i:03d}@example.com", name=f"{tag} {i:03d}")
        for i in range(count)
    ]


def emails_shown(page: Page) -> list[str]:
    return page.locator("table.users tbody tr td:nth-child(2)").all_inner_texts()


def test_search_paging_and_sort(
    sqlite_server: RunningServer, api: Api, admin: Person, context: BrowserContext
) -> None:
    tag = f"lst{uuid.uuid4().hex[:8]}"
    created = tagged_users(api, tag, 53)
    page = context.new_page()
    problems = problems_of(page)
    sign_in(page, sqlite_server, admin, "/admin/users")
    page.get_by_label("Search").fill(f"email:{tag}*")
    page.get_by_label("Sort by").select_option("email:1")
    page.get_by_role("button", name="Search").click()
    # Page one: 50 of the 53, in email order, the total as the API counts it.
    expect(page.locator("table.users tbody tr")).to_have_count(50)
    expect(page.locator(".pager")).to_contain_text("1\N{EN DASH}50 of 53")
    assert emails_shown(page) == [u["email"] for u in created[:50]]
    page.get_by_role("link", name="Next →").click()
    expect(page.locator("table.users tbody tr")).to_have_count(3)
    expect(page.locator(".pager")).to_contain_text("51\N{EN DASH}53 of 53")
    assert emails_shown(page) == [u["email"] for u in created[50:]]
    # The Email column's heading sorts the other way (and keeps the search).
    page.get_by_role("link", name="Email ▲").click()
    expect(page.locator("th[aria-sort=descending]")).to_contain_text("Email")
    assert emails_shown(page)[:3] == [u["email"] for u in reversed(created[-3:])]
    page.get_by_role("link", name="Next →").click()
    expect(page.locator(".pager")).to_contain_text("51\N{EN DASH}53 of 53")
    assert emails_shown(page) == [u["email"] for u in reversed(created[:3])]
    screenshot(page, "users-list")
    page.get_by_role("link", name="← Previous").click()
    # A name links to the user's page.
    page.get_by_role("link", name=f"{tag} 052").click()
    expect(page.get_by_role("heading", name=f"{tag} 052", exact=True)).to_be_visible()
    expect(page.locator("dl.facts")).to_contain_text(created[-1]["user_id"])
    page.goto(f"{sqlite_server.base_url}/admin/users?{urlencode({'q': f'email:{tag}-000*'})}")
    expect(page.locator("table.users tbody tr")).to_have_count(1)
    assert problems == []


def test_a_bad_query_is_refused_inline_with_the_apis_message(
    sqlite_server: RunningServer, api: Api, admin: Person, context: BrowserContext
) -> None:
    bad = 'email:"unclosed'
    expected = api.get("/api/v2/users", q=bad)
    assert expected.status_code == 400
    page = context.new_page()
    problems = problems_of(page)
    sign_in(page, sqlite_server, admin, "/admin/users")
    answer = page.goto(f"{sqlite_server.base_url}/admin/users?{urlencode({'q': bad})}")
    assert answer is not None and answer.status == 400
    expect(page.locator("#e-q")).to_have_text(expected.json()["message"])
    expect(page.get_by_label("Search")).to_have_value(bad)
    # A query matching no one shows the empty state.
    page.get_by_label("Search").fill(f"email:nobody-{uuid.uuid4().hex}@example.com")
    page.get_by_role("button", name="Search").click()
    expect(page.locator(".empty")).to_contain_text("No user matches this search")
    # The browser logs the 400 answer itself; only script or CSP problems would be ours.
    assert [p for p in problems if "status of 400" not in p] == []


def test_create_a_user_and_a_weak_password_refused(
    sqlite_server: RunningServer, api: Api, admin: Person, context: BrowserContext
) -> None:
    email = f"new.{uuid.uuid4().hex[:10]}@example.com"
    page = context.new_page()
    problems = problems_of(page)
    sign_in(page, sqlite_server, admin, "/admin/users/new")
    page.get_by_label("Connection").select_option(DB)
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create user").click()
    expect(page.locator("#e-password")).to_contain_text("Password")
    expect(page.get_by_label("Email", exact=True)).to_have_value(email)
    assert api.get("/api/v2/users-by-email", email=email).json() == []
    page.get_by_label("Password").fill("Str0ng!Passw0rd-again")
    page.get_by_label("Email already verified").check()
    page.get_by_role("button", name="Create user").click()
    expect(page.locator(".notice")).to_have_text("The user was created.")
    [made] = api.get("/api/v2/users-by-email", email=email).json()
    assert made["email_verified"] is True
    assert made["identities"][0]["connection"] == DB
    assert page.url == user_page(sqlite_server, made["user_id"]) + "?created=1"
    # The same email again: the API's conflict, next to the email.
    page.goto(f"{sqlite_server.base_url}/admin/users/new")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password").fill("Str0ng!Passw0rd-again")
    page.get_by_role("button", name="Create user").click()
    expect(page.locator("#e-email")).to_contain_text("already exists")
    assert len(api.get("/api/v2/users-by-email", email=email).json()) == 1
    assert [p for p in problems if "status of 40" not in p] == []


def test_user_metadata_edited_in_the_page_is_merged_as_patch_does(
    sqlite_server: RunningServer, api: Api, admin: Person, context: BrowserContext
) -> None:
    user = api.create_user(user_metadata={"keep": 1, "drop": "me"}, app_metadata={"plan": "free"})
    page = context.new_page()
    problems = problems_of(page)
    sign_in(page, sqlite_server, admin, f"/admin/users/{quote(user['user_id'], safe='')}")
    editor = page.locator("#f-user_metadata")
    expect(editor).to_have_attribute("data-code-editor", "json")
    assert json.loads(editor.input_value()) == {"keep": 1, "drop": "me"}
    editor.fill('{"theme": "dark", "drop": null}')
    page.get_by_role("button", name="Save user_metadata").click()
    expect(page.locator(".notice")).to_have_text("Saved.")
    stored = api.user(user["user_id"])
    assert stored["user_metadata"] == {"keep": 1, "theme": "dark"}
    assert stored["app_metadata"] == {"plan": "free"}
    assert json.loads(page.locator("#f-user_metadata").input_value()) == stored["user_metadata"]
    page.locator("#f-app_metadata").fill('{"plan": "pro", "seats": [1, 2]}')
    page.get_by_role("button", name="Save app_metadata").click()
    expect(page.locator(".notice")).to_have_text("Saved.")
    assert api.user(user["user_id"])["app_metadata"] == {"plan": "pro", "seats": [1, 2]}
    screenshot(page, "users-user")
    assert problems == []


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ('{"a.b": 1}', 'Property names cannot contain "." or "$"'),
        ('{"$set": {"x": 1}}', 'Property names cannot contain "." or "$"'),
        (json.dumps({"big": "x" * METADATA_MAX_BYTES}), f"the limit is {METADATA_MAX_BYTES} bytes"),
        ('{"theme": "dark",}', "Invalid JSON"),
        ("[1, 2]", "Expected type object"),
    ],
    ids=["dot", "dollar", "too-large", "not-json", "not-an-object"],
)
def test_an_invalid_metadata_edit_is_refused_next_to_the_field_and_changes_nothing(
    sqlite_server: RunningServer,
    api: Api,
    admin: Person,
    context: BrowserContext,
    typed: str,
    message: str,
) -> None:
    user = api.create_user(user_metadata={"keep": 1})
    before = api.user(user["user_id"])
    page = context.new_page()
    problems = problems_of(page)
    sign_in(page, sqlite_server, admin, f"/admin/users/{quote(user['user_id'], safe='')}")
    page.locator("#f-user_metadata").fill(typed)
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Save user_metadata").click()
    assert posted.value.status == 400
    expect(page.locator("#e-user_metadata")).to_contain_text(message)
    expect(page.locator("#f-user_metadata")).to_have_value(typed)
    expect(page.locator("#f-user_metadata")).to_have_attribute("aria-invalid", "true")
    after = api.user(user["user_id"])
    assert after["user_metadata"] == {"keep": 1}
    assert after["updated_at"] == before["updated_at"]
    assert [p for p in problems if "status of 400" not in p] == []


def test_stored_markup_is_shown_as_text(
    sqlite_server: RunningServer, api: Api, admin: Person, context: BrowserContext
) -> None:
    name = f"<img src=x onerror=alert(1)> {uuid.uuid4().hex[:6]}"
    escape = "</textarea><script>alert(2)</script>"
    user = api.create_user(name=name, user_metadata={"note": escape, "html": "<b>bold</b>"})
    page = context.new_page()
    problems = problems_of(page)
    dialogs: list[str] = []

    def record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    sign_in(page, sqlite_server, admin, "/admin/users")
    query = urlencode({"q": f"email:{user['email']}"})
    page.goto(f"{sqlite_server.base_url}/admin/users?{query}")
    link = page.locator("table.users tbody a")
    expect(link).to_have_text(name)
    expect(page.locator("main img")).to_have_count(0)
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.locator("#f-name")).to_have_value(name)
    assert json.loads(page.locator("#f-user_metadata").input_value())["note"] == escape
    expect(page.locator("main script")).to_have_count(0)
    expect(page.locator("main img")).to_have_count(0)
    # Saved back as it is shown, the text round-trips unchanged.
    page.get_by_role("button", name="Save user_metadata").click()
    expect(page.locator(".notice")).to_have_text("Saved.")
    assert api.user(user["user_id"])["user_metadata"]["note"] == escape
    assert dialogs == []
    assert problems == []


def test_block_and_delete_with_confirmation(
    sqlite_server: RunningServer, api: Api, admin: Person, context: BrowserContext
) -> None:
    user = api.create_user()
    page = context.new_page()
    problems = problems_of(page)
    sign_in(page, sqlite_server, admin, f"/admin/users/{quote(user['user_id'], safe='')}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Block user").click()
    expect(page.locator(".notice")).to_contain_text("blocked")
    assert api.user(user["user_id"])["blocked"] is True
    page.get_by_role("button", name="Unblock").click()
    expect(page.locator(".notice")).to_contain_text("no longer blocked")
    assert api.user(user["user_id"])["blocked"] is False
    # Declining the confirmation sends nothing.
    questions: list[str] = []

    def decline(dialog: Dialog) -> None:
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", decline)
    page.get_by_role("button", name="Delete user").click()
    assert questions == ["Delete this user for good?"]
    assert api.get(user_path(user["user_id"])).status_code == 200
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete user").click()
    expect(page.locator(".notice")).to_have_text("The user was deleted.")
    assert page.url.endswith("/admin/users?deleted=1")
    assert api.get(user_path(user["user_id"])).status_code == 404
    assert problems == []


def test_a_refresh_token_is_listed_and_revoked(
    sqlite_server: RunningServer, api: Api, admin: Person, context: BrowserContext
) -> None:
    app = new_app(api)
    user = api.create_user(connection=app.connection)
    other = api.create_user(connection=app.connection)
    scope = "openid offline_access"
    refresh = tokens(login(sqlite_server, app, user["email"], scope=scope))["refresh_token"]
    tokens(login(sqlite_server, app, other["email"], scope=scope))
    page = context.new_page()
    problems = problems_of(page)
    sign_in(page, sqlite_server, admin, f"/admin/users/{quote(user['user_id'], safe='')}")
    rows = page.locator("#refresh-tokens tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(app.client_id)
    expect(rows).to_contain_text("offline_access")
    # Another user's token is not this page's to revoke.
    csrf = page.locator("input[name=csrf]").first.input_value()
    other_page = context.new_page()
    other_page.goto(user_page(sqlite_server, other["user_id"]))
    action = other_page.locator("#refresh-tokens form").get_attribute("action") or ""
    family = action.split("family=", 1)[1]
    foreign = page.request.post(
        f"{user_page(sqlite_server, user['user_id'])}?do=revoke_refresh&family={family}",
        form={"csrf": csrf},
    )
    assert foreign.status == 400
    other_page.reload()
    expect(other_page.locator("#refresh-tokens tbody tr")).to_have_count(1)
    other_page.close()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#refresh-tokens").get_by_role("button", name="Revoke").click()
    expect(page.locator(".notice")).to_contain_text("revoked")
    expect(page.locator("#refresh-tokens tbody tr")).to_have_count(0)
    body = {
        "grant_type": "refresh_token",
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "refresh_token": refresh,
    }
    refused = post_token(sqlite_server, body)
    assert refused.status_code in (400, 403) and refused.json()["error"] == "invalid_grant"
    assert problems == []


def test_a_sign_in_session_is_listed_and_ended(
    sqlite_server: RunningServer, api: Api, admin: Person, browser: Browser, context: BrowserContext
) -> None:
    person = new_person(api, "session")
    # The person signs in at the login page (the dashboard refuses them, the session stays).
    theirs = admin_context(browser)
    try:
        their_page = theirs.new_page()
        their_page.goto(f"{sqlite_server.base_url}/admin/")
        their_page.locator("#username").fill(person.email)
        their_page.locator("#password").fill(person.password)
        their_page.get_by_role("button", name="Sign in").click()
        expect(their_page.get_by_role("heading", name="Not an administrator")).to_be_visible()
        # While the session lives, the login page signs them in again without a password.
        their_page.goto(f"{sqlite_server.base_url}/admin/")
        expect(their_page.get_by_role("heading", name="Not an administrator")).to_be_visible()
        page = context.new_page()
        problems = problems_of(page)
        sign_in(page, sqlite_server, admin, f"/admin/users/{quote(person.user_id, safe='')}")
        rows = page.locator("#sessions tbody tr")
        expect(rows).to_have_count(1)
        page.once("dialog", lambda dialog: dialog.accept())
        page.locator("#sessions").get_by_role("button", name="End session").click()
        expect(page.locator(".notice")).to_contain_text("session was ended")
        expect(rows).to_have_count(0)
        # Their browser is asked for a password again instead of being signed in.
        their_page.goto(f"{sqlite_server.base_url}/admin/")
        expect(their_page.locator("#password")).to_be_visible()
        assert problems == []
    finally:
        theirs.close()


def test_a_linked_identity_is_unlinked_after_confirmation(
    sqlite_server: RunningServer, api: Api, admin: Person, context: BrowserContext
) -> None:
    primary = api.create_user()
    secondary = api.create_user()
    local_id = secondary["user_id"].removeprefix("auth0|")
    linked = api.post(
        f"{user_path(primary['user_id'])}/identities", {"provider": "auth0", "user_id": local_id}
    )
    assert linked.status_code == 201, linked.text
    page = context.new_page()
    problems = problems_of(page)
    sign_in(page, sqlite_server, admin, f"/admin/users/{quote(primary['user_id'], safe='')}")
    section = page.locator("section", has=page.get_by_role("heading", name="Identities"))
    expect(section.locator("tbody tr")).to_have_count(2)
    expect(section.locator("tbody tr").nth(1)).to_contain_text(local_id)
    questions: list[str] = []

    def accept(dialog: Dialog) -> None:
        questions.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    section.get_by_role("button", name="Unlink").click()
    expect(page.locator(".notice")).to_contain_text("unlinked")
    assert questions and local_id in questions[0]
    expect(section.locator("tbody tr")).to_have_count(1)
    assert len(api.user(primary["user_id"])["identities"]) == 1
    assert api.user(secondary["user_id"])["user_id"] == secondary["user_id"]
    assert problems == []


def test_the_users_recent_rule_executions_are_shown(
    sqlite_server: RunningServer, api: Api, admin: Person, context: BrowserContext
) -> None:
    app = hook_app(api)
    user = api.create_user(connection=app.connection)
    with hook_kit(api) as kit:
        rule = kit.rule(guarded_rule(app.client_id, "  callback(null, user, context);"))
        tokens(login(sqlite_server, app, user["email"], scope="openid"))
        [execution] = recorded(api, user_id=user["user_id"])
    page = context.new_page()
    problems = problems_of(page)
    sign_in(page, sqlite_server, admin, f"/admin/users/{quote(user['user_id'], safe='')}")
    section = page.locator("section", has=page.get_by_role("heading", name="Recent Rules"))
    expect(section.locator("tbody tr")).to_have_count(1)
    expect(section).to_contain_text(execution["id"])
    expect(section).to_contain_text("post-login")
    expect(section).to_contain_text(rule["name"])
    assert problems == []


@pytest.fixture(scope="module")
def provider(
    sqlite_server: RunningServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[UpstreamOidc]:
    client = UpstreamClient(
        "selfauth-dashboard", UPSTREAM_SECRET, [f"{sqlite_server.issuer}login/callback"]
    )
    accounts = [{"sub": "lin", "email": "lin@upstream.example", "name": "Lin Upstream"}]
    with UpstreamOidc(
        tmp_path_factory.mktemp("dashboard-op"), clients=[client], accounts=accounts
    ) as running:
        yield running


def upstream_user(server: RunningServer, api: Api, provider: UpstreamOidc, browser: Browser) -> str:
    """A user made by signing in through an oidc connection (its default sync policy,
    on_each_login): the login page's button, the provider's form, back to an application."""
    callback = f"{server.base_url}/try/callback-none"
    app = api.post(
        "/api/v2/clients",
        {
            "name": f"dash-{uuid.uuid4().hex[:6]}",
            "app_type": "regular_web",
            "callbacks": [callback],
        },
    ).json()
    name = f"sync-{uuid.uuid4().hex[:10]}"
    made = api.post(
        "/api/v2/connections",
        {
            "name": name,
            "display_name": f"Sync {name[-4:]}",
            "strategy": "oidc",
            "show_as_button": True,
            "enabled_clients": [app["client_id"]],
            "options": {
                "discovery_url": provider.discovery_url,
                "client_id": "selfauth-dashboard",
                "client_secret": UPSTREAM_SECRET,
                "type": "back_channel",
            },
        },
    )
    assert made.status_code == 201, made.text
    context = admin_context(browser)
    try:
        page = context.new_page()
        params = {
            "client_id": app["client_id"],
            "response_type": "code",
            "redirect_uri": callback,
            "scope": "openid profile email",
            "state": uuid.uuid4().hex,
        }
        page.goto(f"{server.base_url}/authorize?{urlencode(params)}")
        page.get_by_role("link", name=f"Sign in with Sync {name[-4:]}").click()
        page.locator("#login").fill("lin")
        with page.expect_request(lambda r: r.url.startswith(callback)):
            page.locator("#sign-in").click()
    finally:
        context.close()
    return f"oidc|{name}|lin"


def test_a_synced_attribute_is_read_only_with_its_reason(
    sqlite_server: RunningServer,
    api: Api,
    admin: Person,
    context: BrowserContext,
    provider: UpstreamOidc,
    browser: Browser,
) -> None:
    user_id = upstream_user(sqlite_server, api, provider, browser)
    assert api.user(user_id)["name"] == "Lin Upstream"
    page = context.new_page()
    problems = problems_of(page)
    sign_in(page, sqlite_server, admin, f"/admin/users/{quote(user_id, safe='')}")
    name = page.locator("#f-name")
    expect(name).to_have_value("Lin Upstream")
    expect(name).to_have_attribute("readonly", "")
    expect(page.locator("#h-name")).to_contain_text("Synced from")
    expect(page.locator("#h-name")).to_contain_text("on_each_login")
    expect(page.locator("#f-nickname")).to_have_attribute("readonly", "")
    expect(page.locator("#f-email")).not_to_have_attribute("readonly", "")
    screenshot(page, "users-synced")
    # The metadata stays editable (the policy covers root attributes only).
    page.locator("#f-user_metadata").fill('{"team": "blue"}')
    page.get_by_role("button", name="Save user_metadata").click()
    expect(page.locator(".notice")).to_have_text("Saved.")
    assert api.user(user_id)["user_metadata"] == {"team": "blue"}
    # The form posted with the attribute changed anyway: the server refuses it, as PATCH does.
    csrf = page.locator("input[name=csrf]").first.input_value()
    refused = page.request.post(
        f"{user_page(sqlite_server, user_id)}?do=profile",
        form={"csrf": csrf, "name": "Changed Here", "email": "lin@upstream.example"},
    )
    assert refused.status == 400
    assert "cannot be updated: name" in refused.text()
    assert api.user(user_id)["name"] == "Lin Upstream"
    assert problems == []


def test_the_pages_read_at_phone_width(
    sqlite_server: RunningServer, api: Api, admin: Person, browser: Browser
) -> None:
    user = api.create_user(user_metadata={"long": "y" * 300})
    context = admin_context(browser, viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        problems = problems_of(page)
        sign_in(page, sqlite_server, admin, "/admin/users")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.goto(user_page(sqlite_server, user["user_id"]))
        expect(page.locator("#f-user_metadata")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert problems == []
    finally:
        context.close()


def test_unknown_user_is_a_404_page(
    sqlite_server: RunningServer, admin: Person, context: BrowserContext
) -> None:
    page = context.new_page()
    sign_in(page, sqlite_server, admin, "/admin/users")
    answer = page.goto(user_page(sqlite_server, "auth0|" + "0" * 24))
    assert answer is not None and answer.status == 404
    expect(page.locator("body")).to_contain_text(re.compile("does not exist"))


def test_a_save_over_someone_elses_change_is_refused_and_shows_theirs(
    sqlite_server: RunningServer, api: Api, admin: Person, context: BrowserContext
) -> None:
    """Two administrators editing one user: the page carries the ETag of the user it shows,
    so a save made after someone else's change is refused (412) rather than writing over it."""
    user = api.create_user(user_metadata={"plan": "free"}, nickname="before")
    page = context.new_page()
    problems = problems_of(page)
    sign_in(page, sqlite_server, admin, f"/admin/users/{quote(user['user_id'], safe='')}")
    # Meanwhile, another administrator (here: the API) changes the user.
    changed = api.patch(user_path(user["user_id"]), {"user_metadata": {"plan": "pro"}})
    assert changed.status_code == 200
    page.locator("#f-user_metadata").fill('{"plan": "enterprise"}')
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Save user_metadata").click()
    assert posted.value.status == 412
    expect(page.locator(".problem, [role=alert]").first).to_contain_text(
        "Someone changed this user"
    )
    assert api.user(user["user_id"])["user_metadata"] == {"plan": "pro"}
    assert json.loads(page.locator("#f-user_metadata").input_value()) == {"plan": "pro"}
    # Made again on the page that now shows their version, the change is saved.
    page.locator("#f-user_metadata").fill('{"plan": "enterprise"}')
    page.get_by_role("button", name="Save user_metadata").click()
    expect(page.locator(".notice")).to_have_text("Saved.")
    assert api.user(user["user_id"])["user_metadata"] == {"plan": "enterprise"}
    assert [p for p in problems if "status of 412" not in p] == []
