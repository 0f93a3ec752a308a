"""`/metrics` (docs/operations.md) on both databases: a login, a token and a Management API call
each move their series, by route template and never by raw id; Rules and Actions runs and
timeouts are counted; the scrape-time gauges (outbox, jobs, database pool) are there; and the
access policy: loopback by default, refused through an untrusted proxy, an allow-list that
leaves loopback out, a bearer token, and SELFAUTH_METRICS=off."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.api import Api, user_path
from tests.support.authorize import code_client, flow, login_page, post_login, redirected, sign_in
from tests.support.browser_client import fresh_browser
from tests.support.hooks import hook_app, hook_kit, throwaway_server
from tests.support.server import RunningServer, serving
from tests.support.signin import REALM_GRANT, WRONG_PASSWORD, login, new_app, new_connection

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
METRICS_TOKEN = "metrics-token-0123456789abcdef"


def scrape(server: RunningServer, **headers: str) -> Samples:
    response = httpx.get(f"{server.base_url}/metrics", headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def test_login_token_and_management_call_move_their_series(server: RunningServer, api: Api) -> None:
    app = new_app(api)
    user = api.create_user(connection=app.connection)
    before = scrape(server)

    assert login(server, app, user["email"]).status_code == 200
    assert login(server, app, user["email"], WRONG_PASSWORD).status_code == 403
    assert login(server, app, f"nobody-{user['user_id'][-8:]}@example.com").status_code == 403
    assert api.get(f"/api/v2/users/{user['user_id']}").status_code == 200
    assert api.get("/api/v2/users/auth0|no-such-user").status_code == 404

    after = scrape(server)
    for result in ("success", "wrong_password", "unknown_user"):
        assert moved(before, after, "selfauth_logins_total", result=result) == 1, result
    assert moved(before, after, "selfauth_tokens_issued_total", grant_type=REALM_GRANT) == 1
    token = {"route": "/oauth/token", "method": "POST"}
    assert moved(before, after, "selfauth_http_requests_total", **token, status="200") == 1
    assert moved(before, after, "selfauth_http_requests_total", **token, status="403") == 2
    assert moved(before, after, "selfauth_http_request_duration_seconds_count", **token) == 3
    assert (
        moved(before, after, "selfauth_http_request_duration_seconds_bucket", **token, le="+Inf")
        == 3
    )
    by_id = {"route": "/api/v2/users/{user_id}", "method": "GET"}
    assert moved(before, after, "selfauth_http_requests_total", **by_id, status="200") == 1
    assert moved(before, after, "selfauth_http_requests_total", **by_id, status="404") == 1
    # No series names a user, and paths no route serves share one series.
    assert not any(user["user_id"] in dict(labels).get("route", "") for _, labels in after)
    assert not any("no-such-user" in dict(labels).get("route", "") for _, labels in after)
    assert httpx.get(f"{server.base_url}/no/such/{user['user_id']}").status_code == 404
    unmatched = scrape(server)
    assert (
        moved(
            after,
            unmatched,
            "selfauth_http_requests_total",
            route="unmatched",
            method="GET",
            status="404",
        )
        == 1
    )


def test_login_page_and_blocked_users_count_by_result(server: RunningServer, api: Api) -> None:
    client = code_client(api, "regular_web")
    connection = new_connection(api, client.client_id, brute_force_protection=False)["name"]
    user = api.create_user(connection=connection)
    browser = fresh_browser(server.base_url)
    before = scrape(server)

    f = flow(client, connection)
    assert "code" in redirected(sign_in(browser, f, user["email"]))
    browser = fresh_browser(server.base_url)  # signed out: the login page again
    wrong = post_login(browser, login_page(browser, flow(client, connection)), user["email"], "x")
    assert "location" not in wrong.headers  # the login page again, with its error
    assert api.patch(user_path(user["user_id"]), {"blocked": True}).status_code == 200
    blocked = sign_in(fresh_browser(server.base_url), flow(client, connection), user["email"])
    assert "code" not in blocked.headers.get("location", "")

    after = scrape(server)
    for result in ("success", "wrong_password", "user_blocked"):
        assert moved(before, after, "selfauth_logins_total", result=result) == 1, result
    posts = sum(
        after[key] - before.get(key, 0.0)
        for key in after
        if key[0] == "selfauth_http_requests_total"
        and dict(key[1]).get("route") == "/u/login"
        and dict(key[1]).get("method") == "POST"
    )
    assert posts == 3  # the login form's three posts, under its route


def test_scrape_time_gauges(server: RunningServer) -> None:
    samples = scrape(server)
    assert ("selfauth_mail_outbox_queued", frozenset()) in samples
    for kind in ("users_import", "users_export"):
        assert ("selfauth_jobs_running", frozenset({("type", kind)})) in samples
        assert ("selfauth_jobs_rows_done", frozenset({("type", kind)})) in samples
    pools = {
        dict(labels)["pool"] for name, labels in samples if name == "selfauth_database_connections"
    }
    if server.backend == "sqlite":
        assert pools == {"sqlite_writer"}
    else:
        assert "sqlalchemy" in pools
        # this scrape's own outbox count holds a connection of the pool while it reads it
        assert value(samples, "selfauth_database_connections", pool="sqlalchemy", state="open") >= 1
    assert any(name == "process_resident_memory_bytes" for name, _ in samples)


def test_post_login_action_runs_are_counted(server: RunningServer, api: Api) -> None:
    app = hook_app(api)
    user = api.create_user(connection=app.connection)
    with hook_kit(api) as kit:
        kit.action("exports.onExecutePostLogin = async () => {};")
        before = scrape(server)
        assert login(server, app, user["email"]).status_code == 200
        after = scrape(server)
    ok = {"trigger": "post-login", "status": "ok"}
    assert moved(before, after, "selfauth_hook_runs_total", **ok) >= 1


def test_through_an_untrusted_proxy_metrics_are_refused(server: RunningServer) -> None:
    """A reverse proxy on this host makes every caller look like loopback: a request it relays
    (X-Forwarded-For, no SELFAUTH_TRUSTED_PROXIES) is not let in by its address."""
    for header in ("X-Forwarded-For", "Forwarded", "X-Real-IP"):
        refused = httpx.get(f"{server.base_url}/metrics", headers={header: "203.0.113.9"})
        assert refused.status_code == 403, header
        assert "selfauth_" not in refused.text


guarded = throwaway_server(
    "metrics-guarded",
    {
        "SELFAUTH_METRICS_ALLOW": "192.0.2.0/24",  # loopback left out
        "SELFAUTH_METRICS_TOKEN": METRICS_TOKEN,
        "SELFAUTH_HOOK_SCRIPT_SECONDS": "0.5",
        "SELFAUTH_HOOK_TRIGGER_SECONDS": "1",
    },
)


@pytest.fixture
def guarded_api(guarded: RunningServer) -> Iterator[Api]:
    api = Api(guarded, guarded.admin_token())
    try:
        yield api
    finally:
        api.http.close()


def test_outside_the_allow_list_only_the_token_reads_metrics(guarded: RunningServer) -> None:
    url = f"{guarded.base_url}/metrics"
    assert httpx.get(url).status_code == 403
    assert httpx.get(url, headers={"Authorization": "Bearer not-the-token"}).status_code == 403
    assert httpx.get(url, headers={"Authorization": f"Basic {METRICS_TOKEN}"}).status_code == 403
    # A header holding non-ASCII bytes is refused, not a 500.
    latin = {"Authorization": "Bearer t\xe9st".encode("latin-1")}
    assert httpx.get(url, headers=latin).status_code == 403
    samples = scrape(guarded, Authorization=f"Bearer {METRICS_TOKEN}")
    assert any(name == "selfauth_http_requests_total" for name, _ in samples)


def test_hook_timeouts_are_counted(guarded: RunningServer, guarded_api: Api) -> None:
    app = hook_app(guarded_api)
    user = guarded_api.create_user(connection=app.connection)
    with hook_kit(guarded_api) as kit:
        kit.action("exports.onExecutePostLogin = async () => { while (true) {} };")
        before = scrape(guarded, Authorization=f"Bearer {METRICS_TOKEN}")
        assert login(guarded, app, user["email"]).status_code == 403
        after = scrape(guarded, Authorization=f"Bearer {METRICS_TOKEN}")
    timeout = {"trigger": "post-login", "status": "timeout"}
    assert moved(before, after, "selfauth_hook_runs_total", **timeout) == 1
    # the password was right: the Action, not the password check, refused the login
    assert moved(before, after, "selfauth_logins_total", result="success") == 1
    assert moved(before, after, "selfauth_tokens_issued_total", grant_type=REALM_GRANT) == 0


def test_metrics_off(tmp_path: Path) -> None:
    with serving("sqlite", tmp_path, {"SELFAUTH_METRICS": "off"}) as running:
        assert httpx.get(f"{running.base_url}/healthz").status_code == 200
        assert httpx.get(f"{running.base_url}/metrics").status_code == 404
