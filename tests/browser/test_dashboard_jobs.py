"""The dashboard's jobs in Chromium: an import started from the page (its file streamed to the
job queue) whose progress bar reaches 100 % and whose users the Management API then finds; a
file with a bad row shows that row's error; a file that is not a JSON array, an upload without
the form's token and an export of an unknown field start nothing; an export of a connection is
downloaded and holds its users; the bar follows a running job (one another worker holds, moved
on in the database as a worker would) through jobs.js without a reload, and through the
<noscript> refresh without JavaScript; no console error or CSP refusal."""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, BrowserContext, Page, expect

from selfauth.storage.tables import jobs
from tests.support.admin import Person, admin_context, new_admin, screenshot, sign_in
from tests.support.api import Api, unique_email
from tests.support.chromium import problems_of
from tests.support.server import RunningServer
from tests.support.signin import new_connection

JOB_URL = r"**/admin/jobs/job_*"


@pytest.fixture(scope="module")
def admin(sqlite_server: RunningServer, api: Api) -> Person:
    return new_admin(sqlite_server, api)


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    created = admin_context(browser, viewport={"width": 1280, "height": 900})
    yield created
    created.close()


def _users_by_email(api: Api, email: str) -> list[dict[str, Any]]:
    response = api.get("/api/v2/users-by-email", email=email)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def _import(page: Page, server: RunningServer, connection: str, path: Path) -> None:
    page.goto(f"{server.base_url}/admin/jobs")
    page.get_by_label("JSON file of users").set_input_files(str(path))
    page.get_by_label("Database connection").select_option(label=connection)
    page.get_by_role("button", name="Start import").click()


def _recent_jobs(api: Api, page: Page, server: RunningServer) -> list[str]:
    page.goto(f"{server.base_url}/admin/jobs")
    return page.locator("section[aria-labelledby=recent-h] tbody a").all_inner_texts()


def test_an_import_reaches_100_percent_and_its_users_exist(
    sqlite_server: RunningServer,
    api: Api,
    admin: Person,
    context: BrowserContext,
    tmp_path: Path,
) -> None:
    connection = new_connection(api)
    emails = [unique_email("imported") for _ in range(3)]
    rows = [{"email": e, "email_verified": True, "user_metadata": {"lang": "fr"}} for e in emails]
    path = tmp_path / "users.json"
    path.write_text(json.dumps(rows))
    page = context.new_page()
    problems = problems_of(page)
    sign_in(page, sqlite_server, admin, "/admin/jobs")
    _import(page, sqlite_server, connection["name"], path)
    page.wait_for_url(JOB_URL)
    job_id = page.url.rsplit("/", 1)[1]
    # Whether the page showed the job running (jobs.js then polls and reloads) or done.
    bar = page.locator("#job-progress")
    expect(bar).to_have_attribute("value", "100")
    expect(page.locator("#job-status")).to_have_text("completed")
    expect(page.locator("#job-summary")).to_have_text("3 rows: 3 inserted, 0 updated, 0 failed")
    expect(page.get_by_text("No row was refused.")).to_be_visible()
    progress = page.request.get(f"{sqlite_server.base_url}/admin/jobs/{job_id}/progress").json()
    assert progress["percentage"] == 100 and progress["finished"] is True
    screenshot(page, "jobs-progress")
    for email in emails:
        found = _users_by_email(api, email)
        assert [u["identities"][0]["connection"] for u in found] == [connection["name"]]
        assert found[0]["user_metadata"] == {"lang": "fr"}
    job = api.get(f"/api/v2/jobs/{job_id}").json()
    assert job["status"] == "completed" and job["summary"]["inserted"] == 3
    assert problems == []


def test_a_bad_row_shows_its_error(
    sqlite_server: RunningServer,
    api: Api,
    admin: Person,
    context: BrowserContext,
    tmp_path: Path,
) -> None:
    connection = new_connection(api)
    good = unique_email("good")
    path = tmp_path / "users.json"
    path.write_text(json.dumps([{"email": good}, {"email": "not an email address"}]))
    page = context.new_page()
    problems = problems_of(page)
    sign_in(page, sqlite_server, admin, "/admin/jobs")
    _import(page, sqlite_server, connection["name"], path)
    page.wait_for_url(JOB_URL)
    job_id = page.url.rsplit("/", 1)[1]
    expect(page.locator("#job-summary")).to_have_text("2 rows: 1 inserted, 0 updated, 1 failed")
    errors = api.get(f"/api/v2/jobs/{job_id}/errors").json()
    assert len(errors) == 1 and errors[0]["user"]["email"] == "not an email address"
    table = page.locator("section[aria-labelledby=errors-h] tbody")
    expect(table.locator("tr")).to_have_count(1)
    expect(table).to_contain_text("not an email address")
    expect(table).to_contain_text(errors[0]["errors"][0]["message"])
    assert len(_users_by_email(api, good)) == 1
    screenshot(page, "jobs-errors")
    page.goto(f"{sqlite_server.base_url}/admin/jobs")
    expect(page.get_by_role("link", name=job_id)).to_be_visible()
    screenshot(page, "jobs")
    assert problems == []


def test_a_file_that_is_not_a_json_array_starts_nothing(
    sqlite_server: RunningServer,
    api: Api,
    admin: Person,
    context: BrowserContext,
    tmp_path: Path,
) -> None:
    connection = new_connection(api)
    path = tmp_path / "users.json"
    path.write_text('{"email": "one@example.com"}')
    page = context.new_page()
    problems = problems_of(page)
    sign_in(page, sqlite_server, admin, "/admin/jobs")
    before = _recent_jobs(api, page, sqlite_server)
    with page.expect_response(lambda r: r.url.endswith("/admin/jobs/import")) as answer:
        _import(page, sqlite_server, connection["name"], path)
    assert answer.value.status == 400
    expect(page.locator(".problem")).to_have_text("No import was started.")
    expect(page.locator("#e-import")).to_be_visible()
    assert _recent_jobs(api, page, sqlite_server) == before
    # The browser logs the 400 answer itself; only script or CSP problems would be ours.
    assert [p for p in problems if "status of 400" not in p] == []


def test_an_export_is_downloaded_with_the_connection_s_users(
    sqlite_server: RunningServer,
    api: Api,
    admin: Person,
    context: BrowserContext,
) -> None:
    connection = new_connection(api)
    emails = sorted(unique_email("exported") for _ in range(2))
    for email in emails:
        api.create_user(connection=connection["name"], email=email)
    page = context.new_page()
    problems = problems_of(page)
    sign_in(page, sqlite_server, admin, "/admin/jobs")
    page.get_by_label("Connection", exact=True).select_option(label=connection["name"])
    page.get_by_label("Format").select_option("json")
    page.get_by_label("Fields").fill("user_id, email, user_metadata.lang")
    page.get_by_role("button", name="Start export").click()
    page.wait_for_url(JOB_URL)
    link = page.get_by_role("link", name="Download the export (json, gzip)")
    expect(link).to_be_visible()
    with page.expect_download() as download:
        link.click()
    lines = gzip.decompress(Path(download.value.path()).read_bytes()).decode().splitlines()
    exported = [json.loads(line) for line in lines]
    assert sorted(e["email"] for e in exported) == emails
    assert all(set(e) <= {"user_id", "email", "user_metadata"} for e in exported)
    assert problems == []


def test_an_upload_without_the_form_s_token_starts_nothing(
    sqlite_server: RunningServer,
    api: Api,
    admin: Person,
    context: BrowserContext,
) -> None:
    connection = new_connection(api)
    email = unique_email("forged")
    page = context.new_page()
    sign_in(page, sqlite_server, admin, "/admin/jobs")
    before = _recent_jobs(api, page, sqlite_server)
    answer = page.request.post(
        f"{sqlite_server.base_url}/admin/jobs/import",
        multipart={
            "connection_id": connection["id"],
            "users": {
                "name": "users.json",
                "mimeType": "application/json",
                "buffer": json.dumps([{"email": email}]).encode(),
            },
        },
    )
    assert answer.status == 403
    assert _recent_jobs(api, page, sqlite_server) == before
    assert _users_by_email(api, email) == []


def test_the_jobs_page_fits_a_phone(
    sqlite_server: RunningServer, admin: Person, browser: Browser
) -> None:
    phone = admin_context(browser, viewport={"width": 390, "height": 844})
    page = phone.new_page()
    problems = problems_of(page)
    sign_in(page, sqlite_server, admin, "/admin/jobs")
    expect(page.get_by_role("button", name="Start import")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert problems == []
    phone.close()


def test_an_export_of_an_unknown_field_starts_nothing(
    sqlite_server: RunningServer,
    api: Api,
    admin: Person,
    context: BrowserContext,
) -> None:
    page = context.new_page()
    problems = problems_of(page)
    sign_in(page, sqlite_server, admin, "/admin/jobs")
    before = _recent_jobs(api, page, sqlite_server)
    page.get_by_label("Fields").fill("email, favourite_colour")
    with page.expect_response(lambda r: r.url.endswith("/admin/jobs/export")) as answer:
        page.get_by_role("button", name="Start export").click()
    assert answer.value.status == 400
    expect(page.locator("#e-export")).to_contain_text("Unknown field favourite_colour")
    expect(page.get_by_label("Fields")).to_have_value("email, favourite_colour")
    assert _recent_jobs(api, page, sqlite_server) == before
    assert [p for p in problems if "status of 400" not in p] == []


@pytest.fixture
def held_job(sqlite_server: RunningServer, api: Api) -> Iterator[tuple[sa.Engine, str]]:
    """An import that another worker holds (its lease runs for an hour, so this server's queue
    leaves it alone) at 40 %: the test moves it on in the database as a worker would."""
    engine = sa.create_engine(sqlite_server.database_url)
    connection = new_connection(api)
    now = datetime.now(UTC).replace(tzinfo=None)  # SQLite keeps naive UTC
    job_id = f"job_{uuid.uuid4().hex[:16]}"
    row = {
        "id": job_id,
        "type": "users_import",
        "status": "processing",
        "connection_id": connection["id"],
        "connection_name": connection["name"],
        "upsert": False,
        "send_completion_email": False,
        "progress_total": 1000,
        "progress_done": 400,
        "rows_done": 40,
        "inserted": 40,
        "updated": 0,
        "failed": 0,
        "created_at": now,
        "updated_at": now,
        "started_at": now,
        "lease_owner": "another-worker",
        "lease_until": now + timedelta(hours=1),
    }
    with engine.begin() as db:
        db.execute(sa.insert(jobs).values(row))
    yield engine, job_id
    with engine.begin() as db:
        db.execute(sa.delete(jobs).where(jobs.c.id == job_id))
    engine.dispose()


def _advance(engine: sa.Engine, job_id: str, **values: object) -> None:
    with engine.begin() as db:
        db.execute(sa.update(jobs).where(jobs.c.id == job_id).values(**values))


def test_the_bar_follows_a_running_job_without_reloading_the_page(
    sqlite_server: RunningServer,
    admin: Person,
    context: BrowserContext,
    held_job: tuple[sa.Engine, str],
) -> None:
    engine, job_id = held_job
    page = context.new_page()
    problems = problems_of(page)
    sign_in(page, sqlite_server, admin, f"/admin/jobs/{job_id}")
    bar = page.locator("#job-progress")
    expect(bar).to_have_attribute("value", "40")
    expect(page.locator("#job-summary")).to_have_text("40 rows: 40 inserted, 0 updated, 0 failed")
    page.evaluate("window.stillTheSamePage = true")
    _advance(engine, job_id, progress_done=700, rows_done=70, inserted=69, failed=1)
    expect(bar).to_have_attribute("value", "70")
    expect(page.locator("#job-percentage")).to_have_text("70")
    expect(page.locator("#job-summary")).to_have_text("70 rows: 69 inserted, 0 updated, 1 failed")
    assert page.evaluate("window.stillTheSamePage === true")  # jobs.js, not a reload
    _advance(
        engine,
        job_id,
        status="completed",
        progress_done=1000,
        rows_done=100,
        inserted=99,
        lease_owner=None,
        lease_until=None,
    )
    # Once it has ended the page reloads to show the results.
    expect(page.get_by_text("No row was refused.")).to_be_visible()
    expect(bar).to_have_attribute("value", "100")
    assert page.evaluate("window.stillTheSamePage === undefined")
    assert problems == []


def test_without_javascript_the_page_refreshes_while_the_job_runs(
    sqlite_server: RunningServer,
    admin: Person,
    browser: Browser,
    held_job: tuple[sa.Engine, str],
) -> None:
    engine, job_id = held_job
    plain = admin_context(browser, java_script_enabled=False)
    page = plain.new_page()
    sign_in(page, sqlite_server, admin, f"/admin/jobs/{job_id}")
    bar = page.locator("#job-progress")
    expect(bar).to_have_attribute("value", "40")
    _advance(engine, job_id, progress_done=900, rows_done=90, inserted=90)
    expect(bar).to_have_attribute("value", "90")
    _advance(engine, job_id, status="completed", progress_done=1000, lease_owner=None)
    expect(bar).to_have_attribute("value", "100")
    # Ended: no refresh is sent any more.
    assert 'http-equiv="refresh"' not in page.content()
    plain.close()
