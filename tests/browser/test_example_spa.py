"""examples/spa run as its README says (built by scripts/ensure-sdk-bundles with `npm ci` and
`npm run build`), served from another site than selfauth, in Chromium: log in, the profile,
`/userinfo` with the access token, a reload that stays signed in (refresh token), log out.
Only `config.json` is the test's own, as a user edits it. SQLite server only."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.sdk_app import sign_in_on_selfauth
from tests.support.api import DB, Api, unique_email
from tests.support.server import RunningServer

pytestmark = pytest.mark.sqlite_only

PUBLIC = Path(__file__).parents[2] / "examples" / "spa" / "public"


class ExampleSite:
    """examples/spa/public on http://localhost:PORT, with `config.json` answered from memory."""

    def __init__(self) -> None:
        if not (PUBLIC / "app.js").exists():
            pytest.fail(f"{PUBLIC / 'app.js'} is missing: run scripts/ensure-sdk-bundles")
        self.config: dict[str, Any] = {}
        site = self

        class Handler(SimpleHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.split("?")[0] != "/config.json":
                    super().do_GET()
                    return
                body = json.dumps(site.config).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(PUBLIC)))
        self.httpd.daemon_threads = True
        self.url = f"http://localhost:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def site(sqlite_server: RunningServer, api: Api) -> Iterator[ExampleSite]:
    served = ExampleSite()
    origin = served.url.rstrip("/")
    response = api.post(
        "/api/v2/clients",
        {  # what the example's README registers
            "name": f"Example SPA {uuid.uuid4().hex[:8]}",
            "app_type": "spa",
            "token_endpoint_auth_method": "none",
            "callbacks": [served.url],
            "allowed_logout_urls": [served.url],
            "web_origins": [origin],
            "grant_types": ["authorization_code", "refresh_token"],
        },
    )
    assert response.status_code == 201, response.text
    served.config = {
        "domain": sqlite_server.base_url,
        "clientId": response.json()["client_id"],
        "useRefreshTokens": True,
    }
    yield served
    served.close()


def test_the_example_spa_signs_in_calls_userinfo_stays_signed_in_and_logs_out(
    site: ExampleSite, api: Api, page: Page
) -> None:
    email = unique_email("example")
    user = api.create_user(connection=DB, email=email)
    page.goto(site.url)
    expect(page.locator("#status")).to_have_text("Not signed in.")
    page.get_by_role("button", name="Log in").click()
    sign_in_on_selfauth(page, email)
    expect(page.locator("#status")).to_have_text("Signed in.")
    assert json.loads(page.locator("#profile").inner_text())["email"] == email

    page.get_by_role("button", name="Call /userinfo").click()
    expect(page.locator("#userinfo")).to_contain_text(user["user_id"])

    page.reload()  # the tokens in localStorage (a refresh token among them) survive it
    expect(page.locator("#status")).to_have_text("Signed in.")

    page.get_by_role("button", name="Log out").click()
    expect(page.locator("#status")).to_have_text("Not signed in.")
    assert page.url == site.url
    assert page.errors == []  # type: ignore[attr-defined]
