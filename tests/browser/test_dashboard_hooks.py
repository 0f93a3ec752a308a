"""The dashboard's Rules and Actions in Chromium: the code editor (CodeMirror, vendored) over
the textareas under the strict CSP; an action created in the editor (a compile error shown
inline first, the typed code kept), tried against a sample event (its calls and console output
shown, no user changed), deployed (the version seen through the Management API), bound to
post-login with another and reordered by dragging and by the arrows, rolled back; a rule
created (a compile error first), disabled, reordered and deleted.

The server is shared with other tests: every script here acts only for a client no login
uses (SAMPLE_CLIENT, the sample event's), and what a test made is removed at its end."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.support.admin import Person, admin_context, new_admin, screenshot, sign_in
from tests.support.api import Api, unique
from tests.support.chromium import problems_of
from tests.support.hooks import ACTIONS, RULES, TRIGGERS
from tests.support.server import RunningServer

SAMPLE_CLIENT = "sampleClientId000000000000000001"  # the sample event's; no login has it
ACTION_CODE = f"""exports.onExecutePostLogin = async (event, api) => {{
  if (event.client.client_id !== "{SAMPLE_CLIENT}") return;
  console.log("trying for " + event.user.email);
  api.idToken.setCustomClaim("https://ns.example.com/plan", event.user.app_metadata.plan);
  api.user.setAppMetadata("tried", true);
}};"""
BROKEN_CODE = "exports.onExecutePostLogin = async (event, api) => {\n  let x = ;\n};"
RULE_CODE = f"""function (user, context, callback) {{
  if (context.clientID !== "{SAMPLE_CLIENT}") return callback(null, user, context);
  context.idToken["https://ns.example.com/rule"] = true;
  return callback(null, user, context);
}}"""


@pytest.fixture(scope="module")
def admin(sqlite_server: RunningServer, api: Api) -> Person:
    return new_admin(sqlite_server, api)


@pytest.fixture
def page(browser: Browser, sqlite_server: RunningServer, admin: Person) -> Iterator[Page]:
    context: BrowserContext = admin_context(browser, viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.on("dialog", lambda dialog: dialog.accept())  # admin.js's confirmations
    sign_in(opened, sqlite_server, admin, "/admin/actions")
    yield opened
    context.close()


@pytest.fixture
def made(api: Api) -> Iterator[dict[str, list[str]]]:
    """Actions and rules a test made (by id), unbound and deleted afterwards."""
    ids: dict[str, list[str]] = {"actions": [], "rules": []}
    yield ids
    bound = api.get(f"{TRIGGERS}/post-login/bindings", per_page=100).json()["bindings"]
    keep = [
        {"ref": {"type": "action_id", "value": b["action"]["id"]}}
        for b in bound
        if b["action"]["id"] not in ids["actions"]
    ]
    api.patch(f"{TRIGGERS}/post-login/bindings", {"bindings": keep})
    for action_id in ids["actions"]:
        api.delete(f"{ACTIONS}/{action_id}?force=true")
    for rule_id in ids["rules"]:
        api.delete(f"{RULES}/{rule_id}")


def type_code(page: Page, field: str, code: str) -> None:
    """Replaces the text of the editor over textarea `field` as a person would paste it."""
    editor = page.locator(f'.code-editor[data-code-editor-for="{field}"] .cm-content')
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Backspace")
    page.keyboard.insert_text(code)


def expect_refused(problems: list[str]) -> None:
    """The form's answer was the page again with status 400 (Chromium logs that), and nothing
    else went wrong."""
    assert problems == [
        "Failed to load resource: the server responded with a status of 400 (Bad Request)"
    ], problems
    problems.clear()


def actions_named(api: Api, name: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = api.get(ACTIONS, actionName=name).json()["actions"]
    return found


def bound_ids(api: Api) -> list[str]:
    bindings = api.get(f"{TRIGGERS}/post-login/bindings", per_page=100).json()["bindings"]
    return [b["action"]["id"] for b in bindings]


def test_the_editor_enhances_textareas_under_the_csp(
    page: Page, sqlite_server: RunningServer
) -> None:
    problems = problems_of(page)
    page.goto(f"{sqlite_server.base_url}/admin/actions/new")
    host = page.locator('.code-editor[data-code-editor-for="f-code"]')
    expect(host).to_have_attribute("data-ready", "true")
    textarea = page.locator("#f-code")
    expect(textarea).to_be_hidden()
    # CodeMirror's own styles reached its shadow root (a constructed sheet, not a <style>):
    # its base theme lays the editor out as a flex column.
    assert host.locator(".cm-editor").evaluate("e => getComputedStyle(e).display") == "flex"
    assert host.locator(".cm-content").get_attribute("aria-labelledby") == "f-code-label"
    type_code(page, "f-code", "exports.onExecutePostLogin = async () => {};")
    assert textarea.input_value() == "exports.onExecutePostLogin = async () => {};"
    # Reached with the keyboard: Tab from the trigger lands in the editor's text.
    page.locator("#f-trigger").focus()
    page.keyboard.press("Tab")
    focused = "() => document.activeElement.shadowRoot.activeElement.className"
    assert "cm-content" in page.evaluate(focused)
    # At phone width a long line scrolls inside the editor, not the page.
    page.set_viewport_size({"width": 390, "height": 800})
    type_code(page, "f-code", "// " + "long line " * 40)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert problems == []

    # Why the editor lives in a shadow root: mounted in the document, CodeMirror puts its
    # styles in a <style> element, which `style-src 'self'` refuses.
    page.evaluate("() => new SelfauthCodeMirror.EditorView({doc: 'x', parent: document.body})")
    page.wait_for_function("() => true")
    expect(page.locator("body > .cm-editor")).to_have_count(1)
    assert any("Content Security Policy" in p and "style" in p for p in problems), problems


def test_an_action_is_written_tried_deployed_bound_and_reordered(
    page: Page, sqlite_server: RunningServer, api: Api, made: dict[str, list[str]]
) -> None:
    problems = problems_of(page)
    base = sqlite_server.base_url
    name = unique("dash-action")

    # A compile error: shown under the code with its line and column, the code kept, nothing made.
    page.goto(f"{base}/admin/actions/new")
    page.get_by_label("Name", exact=True).fill(name)
    expect(page.locator('.code-editor[data-code-editor-for="f-code"]')).to_have_attribute(
        "data-ready", "true"
    )
    type_code(page, "f-code", BROKEN_CODE)
    page.get_by_role("button", name="Create action").click()
    error = page.locator("#e-code")
    expect(error).to_contain_text("line 2")
    expect(error).to_contain_text("column")
    assert page.locator("#f-code").input_value() == BROKEN_CODE
    marker = '.code-editor[data-code-editor-for="f-code"] .cm-lint-marker-error'
    expect(page.locator(marker)).to_have_count(1)  # the editor marks the line too
    assert page.get_by_label("Name", exact=True).input_value() == name
    assert actions_named(api, name) == []
    expect_refused(problems)

    # Fixed, with a secret: created (a draft, not deployed).
    type_code(page, "f-code", ACTION_CODE)
    page.locator("#f-secret-name-0").fill("API_KEY")
    page.locator("#f-secret-value-0").fill("secret-value-1")
    page.get_by_role("button", name="Create action").click()
    expect(page.locator(".notice")).to_contain_text("Action created")
    [created] = actions_named(api, name)
    made["actions"].append(created["id"])
    assert created["code"] == ACTION_CODE
    assert [s["name"] for s in created["secrets"]] == ["API_KEY"]
    assert "deployed_version" not in created
    expect(page.locator("#f-secret-value-0")).to_have_value("")  # never shown again

    # Tried against a real user's id: the calls and console output shown, the user unchanged.
    person = api.create_user(connection="Username-Password-Authentication")
    event = json.loads(page.locator("#f-event").input_value())
    assert event["user"]["user_id"].startswith("auth0|sample")
    event["user"]["user_id"] = person["user_id"]
    expect(page.locator('.code-editor[data-code-editor-for="f-event"]')).to_have_attribute(
        "data-ready", "true"
    )
    type_code(page, "f-event", json.dumps(event, indent=2))
    page.get_by_role("button", name="Run").click()
    result = page.locator(".try-result")
    expect(result).to_contain_text("api.idToken.setCustomClaim")
    expect(result).to_contain_text('"value": "pro"')
    expect(result).to_contain_text("api.user.setAppMetadata")
    expect(result.locator("pre.console")).to_contain_text("trying for jane.sample@example.com")
    assert "tried" not in api.user(person["user_id"]).get("app_metadata", {})
    assert api.get(f"{ACTIONS}/{created['id']}/versions").json()["total"] == 0
    screenshot(page, "action-editor")

    # Deployed: the Management API sees version 1, with the draft's code.
    page.get_by_role("button", name="Deploy").click()
    expect(page.locator(".notice")).to_contain_text("Deployed as version 1")
    deployed = api.get(f"{ACTIONS}/{created['id']}").json()
    assert deployed["deployed_version"]["number"] == 1
    assert deployed["deployed_version"]["code"] == ACTION_CODE
    assert deployed["all_changes_deployed"] is True

    # Another deployed action, made through the API; both bound from the trigger's page.
    other = api.post(
        ACTIONS,
        {
            "name": unique("dash-other"),
            "supported_triggers": [{"id": "post-login", "version": "v3"}],
            "code": "exports.onExecutePostLogin = async () => {};",
            "deploy": True,
        },
    ).json()
    made["actions"].append(other["id"])
    page.goto(f"{base}/admin/actions/triggers/post-login")
    for action in (created, other):
        page.get_by_label("Deployed action").select_option(action["id"])
        page.get_by_role("button", name="Add at the end").click()
        expect(page.locator(".notice")).to_contain_text("Order saved")
    ours = [i for i in bound_ids(api) if i in (created["id"], other["id"])]
    assert ours == [created["id"], other["id"]]

    # Dragged: the other action above ours.
    mine = page.locator(f'li[data-action-id="{created["id"]}"]')
    theirs = page.locator(f'li[data-action-id="{other["id"]}"]')
    theirs.drag_to(mine, target_position={"x": 20, "y": 2})
    expect(page.locator(".notice")).to_contain_text("Order saved")
    ours = [i for i in bound_ids(api) if i in (created["id"], other["id"])]
    assert ours == [other["id"], created["id"]]
    screenshot(page, "action-bindings")

    # The arrows, without dragging: ours back up.
    page.get_by_role("button", name=f"Move {name} up").click()
    expect(page.locator(".notice")).to_contain_text("Order saved")
    ours = [i for i in bound_ids(api) if i in (created["id"], other["id"])]
    assert ours == [created["id"], other["id"]]

    # A new draft deployed as version 2, then version 1 deployed again (as version 3).
    page.goto(f"{base}/admin/actions/{created['id']}")
    type_code(page, "f-code", ACTION_CODE.replace("trying for", "second version for"))
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".action-head .badge")).to_contain_text("Draft changes")
    page.get_by_role("button", name="Deploy").click()
    expect(page.locator(".notice")).to_contain_text("Deployed as version 2")
    page.get_by_role("link", name="Versions").click()
    page.get_by_role("button", name="Roll back to v1").click()
    expect(page.locator(".notice")).to_contain_text("version 3")
    deployed = api.get(f"{ACTIONS}/{created['id']}").json()
    assert deployed["deployed_version"]["number"] == 3
    assert deployed["deployed_version"]["code"] == ACTION_CODE

    page.goto(f"{base}/admin/actions")
    expect(page.get_by_role("link", name=name)).to_be_visible()
    screenshot(page, "actions")
    assert problems == []


def test_a_rule_is_created_disabled_reordered_and_deleted(
    page: Page, sqlite_server: RunningServer, api: Api, made: dict[str, list[str]]
) -> None:
    problems = problems_of(page)
    base = sqlite_server.base_url
    first, second = unique("dash-rule-a"), unique("dash-rule-b")

    page.goto(f"{base}/admin/rules/new")
    page.get_by_label("Name", exact=True).fill(first)
    expect(page.locator('.code-editor[data-code-editor-for="f-script"]')).to_have_attribute(
        "data-ready", "true"
    )
    broken = "function (user, context, callback) {\n  return callback(null, user, context)\n  }}"
    type_code(page, "f-script", broken)
    page.get_by_role("button", name="Create rule").click()
    expect(page.locator("#e-script")).to_contain_text("line 3")
    assert page.locator("#f-script").input_value() == broken
    assert [r for r in api.get(RULES).json() if r["name"] == first] == []
    expect_refused(problems)

    type_code(page, "f-script", RULE_CODE)
    page.get_by_role("button", name="Create rule").click()
    expect(page.locator(".notice")).to_contain_text("Rule created")
    page.goto(f"{base}/admin/rules/new")
    page.get_by_label("Name", exact=True).fill(second)
    page.get_by_role("button", name="Create rule").click()  # the starting script
    expect(page.locator(".notice")).to_contain_text("Rule created")
    rules = {r["name"]: r for r in api.get(RULES).json() if r["name"] in (first, second)}
    made["rules"].extend(r["id"] for r in rules.values())
    assert rules[first]["script"] == RULE_CODE and rules[first]["enabled"] is True
    assert rules[first]["order"] < rules[second]["order"]

    page.goto(f"{base}/admin/rules")
    row = page.locator("tr", has=page.get_by_role("link", name=first))
    row.get_by_role("button", name="Disable").click()
    expect(page.locator(".notice")).to_contain_text("Rule disabled")
    assert api.get(f"{RULES}/{rules[first]['id']}").json()["enabled"] is False
    expect(page.locator("tr", has=page.get_by_role("link", name=first))).to_contain_text("Disabled")

    page.get_by_role("button", name=f"Move {second} up").click()
    expect(page.locator(".notice")).to_contain_text("Order saved")
    after = {r["name"]: r["order"] for r in api.get(RULES).json()}
    assert after[second] < after[first]
    screenshot(page, "rules")

    page.get_by_role("link", name=second).click()
    page.get_by_role("button", name="Delete rule").click()
    expect(page.locator(".notice")).to_contain_text("Rule deleted")
    assert second not in {r["name"] for r in api.get(RULES).json()}
    assert problems == []


def test_without_javascript_the_textarea_is_the_editor_and_settings_stay_secret(
    browser: Browser,
    sqlite_server: RunningServer,
    api: Api,
    admin: Person,
    made: dict[str, list[str]],
) -> None:
    context = admin_context(
        browser, java_script_enabled=False, viewport={"width": 390, "height": 800}
    )
    page = context.new_page()
    sign_in(page, sqlite_server, admin, "/admin/rules/new")
    name = unique("dash-nojs")
    page.get_by_label("Name", exact=True).fill(name)
    page.locator("#f-script").fill(RULE_CODE.replace("\n", "\r\n"))
    page.get_by_label("Enabled (runs at every login)").uncheck()
    page.get_by_role("button", name="Create rule").click()
    expect(page.locator(".notice")).to_contain_text("Rule created")
    [rule] = [r for r in api.get(RULES).json() if r["name"] == name]
    made["rules"].append(rule["id"])
    assert rule["script"] == RULE_CODE and rule["enabled"] is False

    key, value = unique("dash_key"), "a-value-never-shown"
    page.goto(f"{sqlite_server.base_url}/admin/rules")
    page.get_by_label("Key").fill(key)
    page.get_by_label("Value").fill(value)
    page.get_by_role("button", name="Save setting").click()
    expect(page.locator(".notice")).to_contain_text("Setting saved")
    expect(page.locator("ul.config-keys")).to_contain_text(key)
    assert value not in page.content()
    assert {"key": key} in api.get("/api/v2/rules-configs").json()
    # The phone-width pages scroll only downwards.
    for path in ("/admin/rules", "/admin/actions", "/admin/actions/triggers/post-login"):
        page.goto(f"{sqlite_server.base_url}{path}")
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390, (path, width)
    page.goto(f"{sqlite_server.base_url}/admin/rules")
    page.locator("li", has_text=key).get_by_role("button", name="Delete").click()
    expect(page.locator(".notice")).to_contain_text("Setting deleted")
    assert {"key": key} not in api.get("/api/v2/rules-configs").json()
    context.close()
