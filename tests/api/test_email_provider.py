"""`/api/v2/emails/provider` as Auth0 answers it: GET shows only `name` and `enabled` unless
`fields` asks for more, the password is never read back, POST is 201 or 409, DELETE is 204 even
with none, GET with none is 404 `inexistent_email_provider`.

The provider is one per tenant, so this module runs on a server of its own (the session's
servers' provider belongs to the mail tests). Its persistence, sealing included, is tested on
every database in tests/storage/test_email_settings.py: this server is SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.api import Api, assert_error
from tests.support.server import RunningServer, serving

PROVIDER = "/api/v2/emails/provider"
PASSWORD = "the-smtp-p4ssword"
SMTP: dict[str, Any] = {
    "name": "smtp",
    "enabled": True,
    "default_from_address": "no-reply@example.com",
    "credentials": {
        "smtp_host": "smtp.example.com",
        "smtp_port": 587,
        "smtp_user": "mailer",
        "smtp_pass": PASSWORD,
    },
}
PUBLIC_CREDENTIALS = {"smtp_host": "smtp.example.com", "smtp_port": 587, "smtp_user": "mailer"}


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with serving("sqlite", tmp_path_factory.mktemp("email-provider")) as running:
        yield running


@pytest.fixture
def admin(own_server: RunningServer) -> Iterator[Api]:
    found = Api(own_server, own_server.admin_token())
    found.delete(PROVIDER)
    yield found
    found.delete(PROVIDER)


def test_with_none_get_is_404_and_delete_is_204(admin: Api) -> None:
    body = assert_error(admin.get(PROVIDER), 404, "inexistent_email_provider")
    assert body == {
        "statusCode": 404,
        "error": "Not Found",
        "message": "There is not a configured email provider",
        "errorCode": "inexistent_email_provider",
    }
    response = admin.delete(PROVIDER)
    assert response.status_code == 204 and response.content == b""


def test_post_is_201_and_never_answers_the_password(admin: Api) -> None:
    response = admin.post(PROVIDER, SMTP)
    assert response.status_code == 201, response.text
    assert PASSWORD not in response.text
    assert response.json() == {**SMTP, "credentials": PUBLIC_CREDENTIALS}


def test_a_second_post_is_409(admin: Api) -> None:
    assert admin.post(PROVIDER, SMTP).status_code == 201
    assert_error(admin.post(PROVIDER, SMTP), 409)


def test_get_without_fields_answers_only_name_and_enabled(admin: Api) -> None:
    admin.post(PROVIDER, SMTP)
    response = admin.get(PROVIDER)
    assert response.status_code == 200
    assert response.json() == {"name": "smtp", "enabled": True}


def test_fields_ask_for_more_but_never_the_password(admin: Api) -> None:
    admin.post(PROVIDER, SMTP)
    asked = admin.get(
        PROVIDER, fields="name,credentials,default_from_address", include_fields="true"
    )
    assert asked.json() == {
        "name": "smtp",
        "credentials": PUBLIC_CREDENTIALS,
        "default_from_address": "no-reply@example.com",
    }
    left_out = admin.get(PROVIDER, fields="credentials", include_fields="false")
    assert left_out.json() == {
        "name": "smtp",
        "enabled": True,
        "default_from_address": "no-reply@example.com",
    }
    assert PASSWORD not in asked.text + left_out.text


def test_patch_changes_what_it_names_and_keeps_the_password(admin: Api) -> None:
    admin.post(PROVIDER, SMTP)
    response = admin.patch(
        PROVIDER,
        {
            "enabled": False,
            "credentials": {"smtp_host": "relay.example.com", "smtp_port": 465},
            "settings": {"tls": "implicit"},
        },
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "name": "smtp",
        "enabled": False,
        "default_from_address": "no-reply@example.com",
        "credentials": {"smtp_host": "relay.example.com", "smtp_port": 465},
        "settings": {"tls": "implicit"},
    }


def test_patch_with_none_is_404(admin: Api) -> None:
    assert_error(admin.patch(PROVIDER, {"enabled": False}), 404, "inexistent_email_provider")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": "smtp"},
        {**SMTP, "name": "sendgrid"},
        {**SMTP, "credentials": {"smtp_port": 25}},
        {**SMTP, "credentials": {"smtp_host": "h", "smtp_port": "25"}},
        {**SMTP, "credentials": {"smtp_host": "h", "smtp_port": 70000}},
        {**SMTP, "enabled": "yes"},
        {**SMTP, "unknown": 1},
        {**SMTP, "credentials": {"smtp_host": "h", "smtp_port": 25, "api_key": "k"}},
    ],
)
def test_bad_bodies_are_refused(admin: Api, body: dict[str, Any]) -> None:
    assert_error(admin.post(PROVIDER, body), 400, "invalid_body")
    assert_error(admin.get(PROVIDER), 404)


def test_an_empty_patch_is_refused(admin: Api) -> None:
    admin.post(PROVIDER, SMTP)
    assert_error(admin.patch(PROVIDER, {}), 400, "invalid_body")


def test_each_operation_needs_its_scope(admin: Api) -> None:
    reader = admin.with_scopes("read:email_provider")
    writer = admin.with_scopes("create:email_provider", "update:email_provider")
    deleter = admin.with_scopes("delete:email_provider")
    assert_error(reader.post(PROVIDER, SMTP), 403, "insufficient_scope")
    assert writer.post(PROVIDER, SMTP).status_code == 201
    assert writer.patch(PROVIDER, {"enabled": False}).status_code == 200
    assert_error(writer.get(PROVIDER), 403, "insufficient_scope")
    assert reader.get(PROVIDER).json() == {"name": "smtp", "enabled": False}
    assert_error(reader.delete(PROVIDER), 403, "insufficient_scope")
    assert deleter.delete(PROVIDER).status_code == 204
    assert_error(reader.get(PROVIDER), 404, "inexistent_email_provider")
