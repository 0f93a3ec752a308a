"""The dashboard's activity in Chromium: a login that ran an Action (made and bound through
the Management API, the login through the token endpoint) is listed, newest first, found by
its user's email, its Action's name and the day, hidden by a status it does not have, and its
page shows the Action's logs; no console error or CSP refusal."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from tests.support.admin import Person, admin_context, new_admin, screenshot, sign_in
from tests.support.api import Api
from tests.support.chromium import problems_of
from tests.support.hooks import Hooks, guarded, hook_app, recorded
from tests.support.hooks import hooks as hooks
from tests.support.server import RunningServer
from tests.support.signin import login, tokens


@pytest.fixture(scope="module")
def admin(sqlite_server: RunningServer, api: Api) -> Person:
    return new_admin(sqlite_server, api)


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    created = admin_context(browser, viewport={"width": 1280, "height": 900})
    yield created
    created.close()


def test_a_login_that_ran_an_action_is_listed_and_filtered(
    sqlite_server: RunningServer,
    api: Api,
    hooks: Hooks,
    admin: Person,
    context: BrowserContext,
) -> None:
    app = hook_app(api)
    action = hooks.action(guarded(app.client_id, "  console.log('seen', event.user.email);"))
    user = api.create_user(connection=app.connection)
    tokens(login(sqlite_server, app, user["email"]))
    tokens(login(sqlite_server, app, user["email"]))
    listed = recorded(api, user_id=user["user_id"])
    assert len(listed) == 2
    page = context.new_page()
    problems = problems_of(page)
    sign_in(page, sqlite_server, admin, "/admin/activity")
    page.get_by_label("User (id or email)").fill(user["email"])
    page.get_by_label("Action or Rule name").fill(action["name"])
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)
    # Newest first, as the API lists them.
    links = rows.locator("td:first-child a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(2)]
    assert hrefs == [f"/admin/activity/{e['id']}" for e in listed]
    expect(rows.first).to_contain_text(user["email"])
    expect(rows.first).to_contain_text("post-login")
    expect(rows.first).to_contain_text(action["name"])
    expect(rows.first).to_contain_text("final")
    screenshot(page, "activity")

    # Today's executions include them; a day range that ended yesterday does not.
    today = datetime.now(UTC).date()
    page.get_by_label("From (day, UTC)").fill(today.isoformat())
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(2)
    page.get_by_label("From (day, UTC)").fill((today - timedelta(days=3)).isoformat())
    page.get_by_label("To (day, UTC)").fill((today - timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("No execution matches these filters.")).to_be_visible()
    page.get_by_label("From (day, UTC)").fill("")
    page.get_by_label("To (day, UTC)").fill("")
    # A status they do not have, and an Action that did not run, hide them.
    page.get_by_label("Status").select_option("partial")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("No execution matches these filters.")).to_be_visible()
    page.get_by_label("Status").select_option("final")
    page.get_by_label("Action or Rule name").fill(action["name"] + "-other")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("No execution matches these filters.")).to_be_visible()
    page.get_by_label("Action or Rule name").fill(action["name"])
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(2)

    rows.first.locator("td:first-child a").click()
    expect(page.get_by_role("heading", name="Execution")).to_be_visible()
    section = page.locator("section", has=page.get_by_role("heading", name=action["name"]))
    expect(section).to_contain_text("ok")
    expect(section.locator("pre")).to_have_text(f"[log] seen {user['email']}")
    expect(page.locator("dl.facts").first).to_contain_text(user["email"])
    assert problems == []


def test_the_empty_page_says_what_is_recorded(
    sqlite_server: RunningServer, admin: Person, context: BrowserContext
) -> None:
    page = context.new_page()
    problems = problems_of(page)
    sign_in(page, sqlite_server, admin, "/admin/activity?user=nobody-at-all%40example.com")
    expect(page.locator(".empty")).to_have_text("No user has the email nobody-at-all@example.com.")
    page.goto(f"{sqlite_server.base_url}/admin/activity?user=auth0%7Cnobody")
    expect(page.get_by_text("No execution matches these filters.")).to_be_visible()
    page.goto(f"{sqlite_server.base_url}/admin/activity?since=yesterday")
    expect(page.locator(".problem")).to_contain_text("From is not a date")
    assert [p for p in problems if "status of 400" not in p] == []


def test_the_activity_page_fits_a_phone(
    sqlite_server: RunningServer, admin: Person, browser: Browser
) -> None:
    phone = admin_context(browser, viewport={"width": 390, "height": 844})
    page = phone.new_page()
    problems = problems_of(page)
    sign_in(page, sqlite_server, admin, "/admin/activity")
    expect(page.get_by_role("button", name="Filter")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert problems == []
    phone.close()
