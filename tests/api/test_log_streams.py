"""Log streams (`/api/v2/log-streams`): CRUD and its checks, the scopes, and delivery of real
logins' events to a real HTTP receiver in this test (a threaded http.server on 127.0.0.1):
the Authorization header, JSONLINES and JSONARRAY, a receiver that fails and comes back
(every event accepted exactly once, in order), suspension after repeated failure and resuming,
filters by category, and no replay of older logs. On a server of our own with short delivery
intervals, on every database."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from auth0.management import LogStreams

from tests.support.api import Api, assert_error
from tests.support.hooks import throwaway_server
from tests.support.sdk import domain_of
from tests.support.server import RunningServer, backends, fresh_database, start, stop
from tests.support.signin import WRONG_PASSWORD, App, login, new_app, tokens

SHORT = {
    "SELFAUTH_LOG_FLUSH_SECONDS": "0.05",
    "SELFAUTH_LOG_STREAM_POLL_SECONDS": "0.1",
    "SELFAUTH_LOG_STREAM_TIMEOUT_SECONDS": "5",
    "SELFAUTH_LOG_STREAM_RETRY_SECONDS": "0.05",
    "SELFAUTH_LOG_STREAM_RETRY_MAX_SECONDS": "0.2",
    "SELFAUTH_LOG_STREAM_SUSPEND_FAILURES": "6",
    "SELFAUTH_LOG_STREAM_SUSPEND_SECONDS": "0",
}
streaming = throwaway_server("log-streams", SHORT)

AUTHORIZATION = "Bearer stream-secret-0123456789"


class Receiver:
    """Records every request; answers 500 to the first `failures` ones (or all, while
    `down`), 200 to the rest."""

    def __init__(self, failures: int = 0, port: int = 0) -> None:
        self.lock = threading.Lock()
        self.failures = failures
        self.down = False
        self.accepted: list[tuple[dict[str, str], bytes]] = []
        self.refused = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                with receiver.lock:
                    fail = receiver.down or receiver.failures > 0
                    if fail:
                        receiver.failures = max(0, receiver.failures - 1)
                        receiver.refused += 1
                    else:
                        headers = {k.lower(): v for k, v in self.headers.items()}
                        receiver.accepted.append((headers, body))
                self.send_response(500 if fail else 200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.handler = Handler
        self.start(port)

    def start(self, port: int) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self.handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/logs"

    def events(self, content_format: str = "JSONLINES") -> list[dict[str, Any]]:
        """The wrapped events of the accepted requests, in the order they came."""
        with self.lock:
            bodies = [body for _, body in self.accepted]
        found: list[dict[str, Any]] = []
        for body in bodies:
            if content_format == "JSONARRAY":
                found.extend(json.loads(body))
            else:
                found.extend(json.loads(line) for line in body.split(b"\n") if line)
        return found

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    try:
        yield running
    finally:
        running.close()


@pytest.fixture(scope="module")
def admin(streaming: RunningServer) -> Iterator[Api]:
    api = Api(streaming, streaming.admin_token())
    try:
        yield api
    finally:
        api.http.close()


@pytest.fixture(scope="module")
def app(admin: Api) -> App:
    return new_app(admin)


def wait_for(what: Callable[[], bool], message: str) -> None:
    """Poll until `what` holds; the bound only keeps a broken server from hanging the run."""
    deadline = time.monotonic() + 30
    while not what():
        assert time.monotonic() < deadline, message
        time.sleep(0.05)


def new_stream(api: Api, url: str, **fields: Any) -> dict[str, Any]:
    sink = {"httpEndpoint": url, "httpContentFormat": "JSONLINES", **fields.pop("sink", {})}
    body = {"name": "test stream", "type": "http", "sink": sink, **fields}
    response = api.post("/api/v2/log-streams", body)
    assert response.status_code == 200, response.text
    stream: dict[str, Any] = response.json()
    return stream


def quiet_user(api: Api, app: App) -> dict[str, Any]:
    """A user whose logs are its logins only: no verification mail (its `svr`)."""
    return api.create_user(connection=app.connection, verify_email=False)


def of_user(events: list[dict[str, Any]], user_id: str) -> list[dict[str, Any]]:
    return [event for event in events if event["data"].get("user_id") == user_id]


def user_log_ids(api: Api, user_id: str) -> list[str]:
    response = api.get(f"/api/v2/users/{user_id}/logs", sort="date:1")
    assert response.status_code == 200, response.text
    return [log["log_id"] for log in response.json()]


# --- CRUD -----------------------------------------------------------------------------------


def test_crud_never_answers_the_authorization(admin: Api) -> None:
    url = "https://logs.example.com/in"
    created = new_stream(admin, url, sink={"httpAuthorization": AUTHORIZATION})
    assert created["id"].startswith("lst_") and len(created["id"]) == 20
    assert created["id"][4:].isdigit()
    assert created["type"] == "http" and created["status"] == "active"
    assert created["sink"] == {
        "httpEndpoint": url,
        "httpContentType": "application/json",
        "httpContentFormat": "JSONLINES",
    }
    path = f"/api/v2/log-streams/{created['id']}"
    assert admin.get(path).json() == created
    listed = admin.get("/api/v2/log-streams").json()
    assert created in listed
    changed = admin.patch(
        path,
        {
            "name": "renamed",
            "status": "paused",
            "filters": [{"type": "category", "name": "auth.login.fail"}],
            "sink": {"httpContentFormat": "JSONARRAY"},
        },
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["name"] == "renamed" and body["status"] == "paused"
    assert body["filters"] == [{"type": "category", "name": "auth.login.fail"}]
    assert body["sink"]["httpContentFormat"] == "JSONARRAY"
    assert body["sink"]["httpEndpoint"] == url
    for answer in (created, body, admin.get(path).json(), *admin.get("/api/v2/log-streams").json()):
        assert AUTHORIZATION not in json.dumps(answer)
    assert admin.delete(path).status_code == 204
    assert admin.delete(path).status_code == 204  # already gone: 204 too
    gone = assert_error(admin.get(path), 404)
    assert gone["message"] == "The log stream does not exist."
    assert_error(admin.patch(path, {"name": "x"}), 404)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"type": "datadog", "sink": {"datadogApiKey": "k"}}, "http streams only"),
        ({"type": "webhook", "sink": {}}, "type"),
        ({"type": "http", "sink": {"httpEndpoint": "not a url"}}, "httpEndpoint"),
        ({"type": "http", "sink": {"httpEndpoint": "ftp://example.com/"}}, "httpEndpoint"),
        ({"type": "http", "sink": {"httpEndpoint": "http://:80/"}}, "httpEndpoint"),
        (
            {
                "type": "http",
                "sink": {"httpEndpoint": "https://a.example/", "httpContentFormat": "XML"},
            },
            "httpContentFormat",
        ),
        (
            {
                "type": "http",
                "sink": {"httpEndpoint": "https://a.example/", "httpContentType": "text/plain"},
            },
            "httpContentType",
        ),
        (
            {
                "type": "http",
                "sink": {"httpEndpoint": "https://a.example/"},
                "filters": [{"type": "category", "name": "auth.nothing"}],
            },
            "filters",
        ),
        (
            {"type": "http", "sink": {"httpEndpoint": "https://a.example/"}, "status": "suspended"},
            "status",
        ),
        ({"type": "http"}, "sink"),
    ],
)
def test_invalid_bodies_are_refused(admin: Api, body: dict[str, Any], words: str) -> None:
    error = assert_error(admin.post("/api/v2/log-streams", body), 400)
    assert words in error["message"], error


def test_patch_checks_too(admin: Api) -> None:
    stream = new_stream(admin, "https://logs.example.com/in")
    path = f"/api/v2/log-streams/{stream['id']}"
    try:
        assert_error(admin.patch(path, {"sink": {"httpEndpoint": "javascript:x"}}), 400)
        assert_error(admin.patch(path, {"status": "suspended"}), 400)
        assert_error(admin.patch(path, {"type": "http"}), 400)
        assert admin.get(path).json() == stream
    finally:
        admin.delete(path)


def test_scopes(streaming: RunningServer, admin: Api) -> None:
    stream = new_stream(admin, "https://logs.example.com/in")
    path = f"/api/v2/log-streams/{stream['id']}"
    reader = admin.with_scopes("read:log_streams")
    other = admin.with_scopes("read:logs")
    try:
        assert reader.get("/api/v2/log-streams").status_code == 200
        assert reader.get(path).status_code == 200
        assert_error(reader.post("/api/v2/log-streams", {"type": "http"}), 403)
        assert_error(reader.patch(path, {"name": "x"}), 403)
        assert_error(reader.delete(path), 403)
        assert_error(other.get("/api/v2/log-streams"), 403)
        assert_error(httpx.get(f"{streaming.base_url}/api/v2/log-streams"), 401)
    finally:
        reader.http.close()
        other.http.close()
        admin.delete(path)


def test_auth0_python_log_streams(streaming: RunningServer) -> None:
    sdk = LogStreams(domain_of(streaming), streaming.admin_token(), protocol="http")
    created = sdk.create(
        {
            "name": "sdk stream",
            "type": "http",
            "sink": {"httpEndpoint": "https://logs.example.com/sdk", "httpAuthorization": "x"},
        }
    )
    assert sdk.get(created["id"])["name"] == "sdk stream"
    assert sdk.update(created["id"], {"status": "paused"})["status"] == "paused"
    assert created["id"] in [item["id"] for item in sdk.list()]
    sdk.delete(created["id"])
    assert created["id"] not in [item["id"] for item in sdk.list()]


# --- delivery -------------------------------------------------------------------------------


@pytest.mark.parametrize("content_format", ["JSONLINES", "JSONARRAY"])
def test_logins_are_delivered_with_the_authorization(
    streaming: RunningServer, admin: Api, app: App, receiver: Receiver, content_format: str
) -> None:
    stream = new_stream(
        admin,
        receiver.url,
        sink={"httpAuthorization": AUTHORIZATION, "httpContentFormat": content_format},
    )
    try:
        user = quiet_user(admin, app)
        for _ in range(2):
            tokens(login(streaming, app, user["email"]))
        wait_for(
            lambda: len(of_user(receiver.events(content_format), user["user_id"])) >= 2,
            "the two logins were not delivered",
        )
        mine = of_user(receiver.events(content_format), user["user_id"])
        assert [event["data"]["type"] for event in mine] == ["sepft", "sepft"]
        assert [event["log_id"] for event in mine] == user_log_ids(admin, user["user_id"])
        assert all(event["log_id"] == event["data"]["log_id"] for event in mine)
        assert mine[0]["data"]["client_id"] == app.client_id
        with receiver.lock:
            headers = [headers for headers, _ in receiver.accepted]
        assert {h["authorization"] for h in headers} == {AUTHORIZATION}
        assert {h["content-type"] for h in headers} == {"application/json"}
        if content_format == "JSONARRAY":
            with receiver.lock:
                assert all(body.startswith(b"[") for _, body in receiver.accepted)
    finally:
        admin.delete(f"/api/v2/log-streams/{stream['id']}")


def test_a_receiver_that_fails_and_comes_back_gets_each_event_once_in_order(
    streaming: RunningServer, admin: Api, app: App, receiver: Receiver
) -> None:
    stream = new_stream(admin, receiver.url)
    try:
        user = quiet_user(admin, app)
        tokens(login(streaming, app, user["email"]))
        wait_for(lambda: len(of_user(receiver.events(), user["user_id"])) == 1, "first login")
        with receiver.lock:
            receiver.failures = 4  # below the suspension threshold (6)
        for _ in range(5):
            tokens(login(streaming, app, user["email"]))
        expected = user_log_ids(admin, user["user_id"])
        assert len(expected) == 6
        wait_for(
            lambda: len(of_user(receiver.events(), user["user_id"])) >= 6,
            "the logins made while the receiver failed were not delivered",
        )
        assert receiver.refused == 4
        every = [event["log_id"] for event in receiver.events()]
        assert every == sorted(every) and len(every) == len(set(every))
        assert [event["log_id"] for event in of_user(receiver.events(), user["user_id"])] == (
            expected
        )
        assert admin.get(f"/api/v2/log-streams/{stream['id']}").json()["status"] == "active"
    finally:
        admin.delete(f"/api/v2/log-streams/{stream['id']}")


def test_repeated_failure_suspends_and_activating_resumes_from_the_cursor(
    streaming: RunningServer, admin: Api, app: App, receiver: Receiver
) -> None:
    receiver.down = True
    stream = new_stream(admin, receiver.url)
    path = f"/api/v2/log-streams/{stream['id']}"
    try:
        user = quiet_user(admin, app)
        tokens(login(streaming, app, user["email"]))
        wait_for(lambda: admin.get(path).json()["status"] == "suspended", "never suspended")
        assert receiver.refused >= 6
        with receiver.lock:
            receiver.down = False
        tokens(login(streaming, app, user["email"]))
        # Suspended: nothing more is tried, however long we wait (a probe stream shows
        # the delivery went on meanwhile).
        probe = Receiver()
        probe_stream = new_stream(admin, probe.url)
        try:
            tokens(login(streaming, app, user["email"]))
            wait_for(lambda: len(of_user(probe.events(), user["user_id"])) == 1, "probe")
        finally:
            admin.delete(f"/api/v2/log-streams/{probe_stream['id']}")
            probe.close()
        assert receiver.accepted == []
        assert admin.get(path).json()["status"] == "suspended"
        resumed = admin.patch(path, {"status": "active"})
        assert resumed.status_code == 200 and resumed.json()["status"] == "active"
        wait_for(lambda: len(of_user(receiver.events(), user["user_id"])) >= 3, "not resumed")
        ids = [event["log_id"] for event in of_user(receiver.events(), user["user_id"])]
        assert ids == user_log_ids(admin, user["user_id"])
    finally:
        admin.delete(path)


def test_a_verification_request_passes_the_ancillary_filter_alone(
    admin: Api, app: App, receiver: Receiver
) -> None:
    """`svr` is `auth.ancillary.success`; the user's creation (`sapi`) is not."""
    stream = new_stream(
        admin, receiver.url, filters=[{"type": "category", "name": "auth.ancillary.success"}]
    )
    try:
        user = admin.create_user(connection=app.connection)  # its verification mail: svr
        wait_for(lambda: of_user(receiver.events(), user["user_id"]) != [], "svr delivered")
        assert {event["data"]["type"] for event in receiver.events()} == {"svr"}
    finally:
        admin.delete(f"/api/v2/log-streams/{stream['id']}")


def test_filters_by_category(
    streaming: RunningServer, admin: Api, app: App, receiver: Receiver
) -> None:
    stream = new_stream(
        admin, receiver.url, filters=[{"type": "category", "name": "auth.token_exchange.fail"}]
    )
    try:
        user = quiet_user(admin, app)
        tokens(login(streaming, app, user["email"]))  # sepft: not wanted
        assert login(streaming, app, user["email"], WRONG_PASSWORD).status_code == 403
        # A failure names the user by `user_name` only (no id: the password was wrong).
        wait_for(
            lambda: any(e["data"]["user_name"] == user["email"] for e in receiver.events()),
            "fepft delivered",
        )
        # In order: had the earlier success passed the filter, it would have come first.
        assert {event["data"]["type"] for event in receiver.events()} == {"fepft"}
    finally:
        admin.delete(f"/api/v2/log-streams/{stream['id']}")


def test_a_new_stream_does_not_replay_older_logs(
    streaming: RunningServer, admin: Api, app: App, receiver: Receiver
) -> None:
    user = quiet_user(admin, app)
    tokens(login(streaming, app, user["email"]))
    wait_for(lambda: len(user_log_ids(admin, user["user_id"])) == 1, "the first login's log")
    stream = new_stream(admin, receiver.url)
    try:
        tokens(login(streaming, app, user["email"]))
        wait_for(lambda: of_user(receiver.events(), user["user_id"]) != [], "second login")
        ids = [event["log_id"] for event in of_user(receiver.events(), user["user_id"])]
        assert ids == user_log_ids(admin, user["user_id"])[1:]
    finally:
        admin.delete(f"/api/v2/log-streams/{stream['id']}")


def test_a_receiver_stopped_and_restarted_gets_each_event_once_in_order(
    streaming: RunningServer, admin: Api, app: App, receiver: Receiver
) -> None:
    stream = new_stream(admin, receiver.url)
    port = receiver.server.server_address[1]
    try:
        user = quiet_user(admin, app)
        receiver.close()  # nothing listens: connections are refused
        for _ in range(3):
            tokens(login(streaming, app, user["email"]))
        receiver.start(port)
        wait_for(lambda: len(of_user(receiver.events(), user["user_id"])) >= 3, "not delivered")
        every = [event["log_id"] for event in receiver.events()]
        assert every == sorted(every) and len(every) == len(set(every))
        ids = [event["log_id"] for event in of_user(receiver.events(), user["user_id"])]
        assert ids == user_log_ids(admin, user["user_id"])
    finally:
        admin.delete(f"/api/v2/log-streams/{stream['id']}")


def test_a_paused_stream_keeps_its_logs_until_it_is_active(
    streaming: RunningServer, admin: Api, app: App, receiver: Receiver
) -> None:
    stream = new_stream(admin, receiver.url, status="paused")
    path = f"/api/v2/log-streams/{stream['id']}"
    probe = Receiver()
    probe_stream = new_stream(admin, probe.url)
    try:
        user = quiet_user(admin, app)
        tokens(login(streaming, app, user["email"]))
        # The probe got the login: the delivery ran, and passed the paused stream by.
        wait_for(lambda: len(of_user(probe.events(), user["user_id"])) == 1, "probe")
        assert receiver.accepted == []
        assert admin.patch(path, {"status": "active"}).json()["status"] == "active"
        wait_for(lambda: len(of_user(receiver.events(), user["user_id"])) == 1, "not resumed")
        assert of_user(receiver.events(), user["user_id"]) == of_user(
            probe.events(), user["user_id"]
        )
    finally:
        admin.delete(path)
        admin.delete(f"/api/v2/log-streams/{probe_stream['id']}")
        probe.close()


@pytest.mark.parametrize("backend", backends())
def test_a_restarted_server_resumes_each_stream_from_its_cursor(
    backend: str, tmp_path_factory: pytest.TempPathFactory, receiver: Receiver
) -> None:
    """The cursor is in the database, and a graceful stop gives up the stream's lease: the
    next server delivers at once what the first did not, and nothing twice."""
    directory = tmp_path_factory.mktemp(f"log-streams-restart-{backend}")
    # Never suspended here, however many retries a slow stop leaves time for.
    env = {**SHORT, "SELFAUTH_LOG_STREAM_SUSPEND_FAILURES": "100000"}
    with fresh_database(backend, directory) as url:
        first = start(url, directory / "first.log", backend, extra_env=env)
        try:
            api = Api(first, first.admin_token())
            app = new_app(api)
            new_stream(api, receiver.url)
            user = quiet_user(api, app)
            tokens(login(first, app, user["email"]))
            wait_for(lambda: len(of_user(receiver.events(), user["user_id"])) == 1, "first")
            with receiver.lock:
                receiver.down = True
            tokens(login(first, app, user["email"]))
            wait_for(lambda: receiver.refused > 0, "the second login was not tried")
            api.http.close()
        finally:
            stop(first)
        with receiver.lock:
            receiver.down = False
        second = start(url, directory / "second.log", backend, extra_env=env)
        try:
            again = Api(second, second.admin_token())
            tokens(login(second, app, user["email"]))
            wait_for(lambda: len(of_user(receiver.events(), user["user_id"])) >= 3, "resumed")
            every = [event["log_id"] for event in receiver.events()]
            assert every == sorted(every) and len(every) == len(set(every))
            ids = [event["log_id"] for event in of_user(receiver.events(), user["user_id"])]
            assert ids == user_log_ids(again, user["user_id"])
            again.http.close()
        finally:
            stop(second)
