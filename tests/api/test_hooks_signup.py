"""pre- and post-user-registration Actions around sign-ups (`POST /dbconnections/signup` and
the login page's form): a denial and its user message, `api.validation.error`, the metadata set
before the user exists, and post-registration runs that are recorded but change nothing.

Registration actions act only for the client their test created (`guarded`)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.support.api import PASSWORD, Api, unique_email
from tests.support.authorize import code_from, exchange, flow, form_to, login_page
from tests.support.browser_client import browser_client
from tests.support.hooks import Hooks, code_app, executions, guarded, hook_app
from tests.support.hooks import hooks as hooks
from tests.support.polling import eventually
from tests.support.server import RunningServer
from tests.support.signin import App, http, login, tokens

PRE = "pre-user-registration"
POST = "post-user-registration"


def signup(server: RunningServer, app: App, email: str, **fields: Any) -> httpx.Response:
    body = {
        "client_id": app.client_id,
        "connection": app.connection,
        "email": email,
        "password": PASSWORD,
        **fields,
    }
    return http(server.base_url).post("/dbconnections/signup", json=body)


def users_with_email(api: Api, email: str) -> list[dict[str, Any]]:
    response = api.get("/api/v2/users-by-email", email=email)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


# --- pre-user-registration --------------------------------------------------------------------


def test_a_denied_sign_up_answers_the_user_message_and_creates_nobody(
    server: RunningServer, api: Api, hooks: Hooks
) -> None:
    app = hook_app(api)
    hooks.action(
        guarded(
            app.client_id,
            "  api.access.deny('blocked domain in logs', 'Sign-ups are closed for now.');",
            PRE,
        ),
        PRE,
    )
    email = unique_email("denied")
    response = signup(server, app, email)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "extensibility_error"
    assert body["description"] == "Sign-ups are closed for now."
    assert body["statusCode"] == 400
    assert users_with_email(api, email) == []


def test_a_deny_without_a_user_message_gives_the_reason(
    server: RunningServer, api: Api, hooks: Hooks
) -> None:
    app = hook_app(api)
    hooks.action(guarded(app.client_id, "  api.access.deny('No sign-ups');", PRE), PRE)
    email = unique_email("denied")
    response = signup(server, app, email)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "extensibility_error"
    assert response.json()["description"] == "No sign-ups"
    assert users_with_email(api, email) == []


def test_validation_error_refuses_the_sign_up(
    server: RunningServer, api: Api, hooks: Hooks
) -> None:
    app = hook_app(api)
    hooks.action(
        guarded(
            app.client_id,
            """
  if (!event.user.email.endsWith('@example.org')) {
    api.validation.error('invalid_email_domain', 'Use your example.org address.');
  }
""",
            PRE,
        ),
        PRE,
    )
    email = unique_email("wrong-domain")
    response = signup(server, app, email)
    assert response.status_code == 400, response.text
    assert response.json()["description"] == "Use your example.org address."
    assert users_with_email(api, email) == []
    allowed = f"ok.{uuid.uuid4().hex[:10]}@example.org"
    assert signup(server, app, allowed).status_code == 200
    assert len(users_with_email(api, allowed)) == 1


def test_metadata_set_before_registration_is_on_the_new_user(
    server: RunningServer, api: Api, hooks: Hooks
) -> None:
    app = hook_app(api)
    hooks.action(
        guarded(
            app.client_id,
            """
  api.user.setUserMetadata('greeting', 'hello ' + event.user.email);
  api.user.setUserMetadata('from_form', event.user.user_metadata.color + '!');
  api.user.setAppMetadata('plan', {name: 'trial', connection: event.connection.name});
  api.user.setAppMetadata('client', event.client.client_id);
""",
            PRE,
        ),
        PRE,
    )
    email = unique_email("meta")
    response = signup(server, app, email, user_metadata={"color": "blue"})
    assert response.status_code == 200, response.text
    user = api.user(f"auth0|{response.json()['_id']}")
    assert user["user_metadata"] == {
        "color": "blue",
        "greeting": f"hello {email}",
        "from_form": "blue!",
    }
    assert user["app_metadata"] == {
        "plan": {"name": "trial", "connection": app.connection},
        "client": app.client_id,
    }


def test_the_login_pages_sign_up_runs_pre_registration_too(
    server: RunningServer, api: Api, hooks: Hooks
) -> None:
    client, connection = code_app(api)
    hooks.action(
        guarded(
            client.client_id,
            """
  if (event.user.email.startsWith('refused.')) {
    api.access.deny('refused', 'We cannot take new members.');
  }
  api.user.setAppMetadata('signed_up_on', 'page');
""",
            PRE,
        ),
        PRE,
    )
    with browser_client(base_url=server.base_url, timeout=30) as browser:
        f = flow(client, connection, screen_hint="signup")
        form = form_to(login_page(browser, f), "/u/signup")
        base = {"tx": form.value("tx"), "csrf": form.value("csrf"), "password": PASSWORD}
        refused = unique_email("refused")
        answer = browser.post("/u/signup", data={**base, "email": refused})
        assert answer.status_code == 400, answer.text
        assert "We cannot take new members." in answer.text
        assert users_with_email(api, refused) == []
        accepted = unique_email("accepted")
        done = browser.post("/u/signup", data={**base, "email": accepted})
        code = code_from(done, f)
    assert tokens(exchange(server, client, code, f))["access_token"]
    [user] = users_with_email(api, accepted)
    assert user["app_metadata"] == {"signed_up_on": "page"}


# --- post-user-registration -------------------------------------------------------------------


def test_post_registration_runs_after_the_sign_up_and_is_recorded(
    server: RunningServer, api: Api, hooks: Hooks
) -> None:
    app = hook_app(api)
    action = hooks.action(
        guarded(
            app.client_id,
            "  console.log('registered', event.user.user_id, event.user.email);",
            POST,
        ),
        POST,
    )
    email = unique_email("post")
    response = signup(server, app, email)
    assert response.status_code == 200, response.text
    user_id = f"auth0|{response.json()['_id']}"

    def recorded() -> list[dict[str, Any]]:
        return executions(api, user_id=user_id, trigger_id=POST)

    found = eventually(recorded)
    assert len(found) == 1, found
    [result] = found[0]["results"]
    assert result["action_name"] == action["name"]
    assert result["status"] == "ok"
    assert result["logs"] == [{"level": "log", "message": f"registered {user_id} {email}"}]
    # The user exists and signs in whatever the post-registration actions do.
    assert tokens(login(server, app, email))["access_token"]


def test_a_failing_post_registration_action_does_not_undo_the_sign_up(
    server: RunningServer, api: Api, hooks: Hooks
) -> None:
    app = hook_app(api)
    hooks.action(guarded(app.client_id, "  throw new Error('notification failed');", POST), POST)
    email = unique_email("post-fail")
    response = signup(server, app, email)
    assert response.status_code == 200, response.text
    user_id = f"auth0|{response.json()['_id']}"
    found = eventually(lambda: executions(api, user_id=user_id, trigger_id=POST))
    assert [r["status"] for r in found[0]["results"]] == ["error"]
    assert len(users_with_email(api, email)) == 1


def test_pre_registration_metadata_may_be_any_json(
    server: RunningServer, api: Api, hooks: Hooks
) -> None:
    # The sign-up body's user_metadata must be strings; what an action sets need not be.
    app = hook_app(api)
    hooks.action(
        guarded(
            app.client_id,
            """
  api.user.setUserMetadata('prefs', {theme: 'dark', sizes: [1, 2]});
  api.user.setUserMetadata('count', 3);
""",
            PRE,
        ),
        PRE,
    )
    response = signup(server, app, unique_email("json"))
    assert response.status_code == 200, response.text
    user = api.user(f"auth0|{response.json()['_id']}")
    assert user["user_metadata"] == {"prefs": {"theme": "dark", "sizes": [1, 2]}, "count": 3}


def test_invalid_metadata_from_pre_registration_refuses_the_sign_up(
    server: RunningServer, api: Api, hooks: Hooks
) -> None:
    app = hook_app(api)
    hooks.action(guarded(app.client_id, "  api.user.setAppMetadata('bad.key', 1);", PRE), PRE)
    email = unique_email("badmeta")
    response = signup(server, app, email)
    assert response.status_code == 400, response.text
    assert users_with_email(api, email) == []
