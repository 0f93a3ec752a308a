"""`/api/v2/email-templates` as Auth0 answers it: 404 for a template never set, POST 201 then
409, GET/PATCH/PUT with the full object and keys never set left out, 400 when the body's
`template` is not the URL's, Liquid that does not parse refused with its line, one scope each.

Templates cannot be deleted, so this module runs on a server of its own (the session's servers'
templates belong to the mail tests). The repository is tested on every database in
tests/storage/test_email_settings.py: this server is SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.api import Api, assert_error
from tests.support.server import serving

TEMPLATES = "/api/v2/email-templates"
LANGUAGES = (
    "{% if user.user_metadata.lang == 'es' %}Hola{% elsif user.user_metadata.lang == 'fr' %}"
    "Bonjour{% else %}Hello{% endif %}"
)
FULL: dict[str, Any] = {
    "template": "verify_email",
    "body": f"<p>{LANGUAGES}</p><a href='{{{{ url }}}}'>Verify</a>",
    "from": "Acme <no-reply@acme.example>",
    "subject": "{{ friendly_name }}: verify your email",
    "resultUrl": "https://app.example.com/verified",
    "syntax": "liquid",
    "urlLifetimeInSeconds": 3600,
    "includeEmailInRedirect": False,
    "enabled": True,
}


@pytest.fixture(scope="module")
def admin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with serving("sqlite", tmp_path_factory.mktemp("email-templates")) as running:
        yield Api(running, running.admin_token())


def path(name: str) -> str:
    return f"{TEMPLATES}/{name}"


def test_a_template_never_set_is_404(admin: Api) -> None:
    assert_error(admin.get(path("stolen_credentials")), 404)


def test_post_needs_only_the_name_and_omits_keys_never_set(admin: Api) -> None:
    response = admin.post(TEMPLATES, {"template": "mfa_oob_code"})
    assert response.status_code == 201, response.text
    expected = {
        "template": "mfa_oob_code",
        "syntax": "liquid",
        "includeEmailInRedirect": True,
        "enabled": True,
    }
    assert response.json() == expected
    assert admin.get(path("mfa_oob_code")).json() == expected


def test_a_second_post_is_409(admin: Api) -> None:
    assert admin.post(TEMPLATES, {"template": "enrollment_email"}).status_code == 201
    body = assert_error(admin.post(TEMPLATES, {"template": "enrollment_email"}), 409)
    assert body["message"] == "Template enrollment_email already exists."


def test_every_property_round_trips(admin: Api) -> None:
    response = admin.post(TEMPLATES, FULL)
    assert response.status_code == 201, response.text
    assert response.json() == FULL
    assert admin.get(path("verify_email")).json() == FULL


def test_patch_changes_only_what_it_sends(admin: Api) -> None:
    admin.http.put(path("reset_email"), json={**FULL, "template": "reset_email"})
    response = admin.patch(path("reset_email"), {"enabled": False, "resultUrl": None})
    assert response.status_code == 200, response.text
    expected = {**FULL, "template": "reset_email", "enabled": False}
    del expected["resultUrl"]
    assert response.json() == expected
    assert admin.get(path("reset_email")).json() == expected


def test_patch_of_a_template_never_set_is_404(admin: Api) -> None:
    assert_error(admin.patch(path("async_approval"), {"enabled": True}), 404)


def test_put_sets_the_whole_template(admin: Api) -> None:
    name = "blocked_account"
    first = admin.http.put(path(name), json={**FULL, "template": name})
    assert first.status_code == 200, first.text
    second = admin.http.put(path(name), json={"body": "<p>{{ url }}</p>", "enabled": False})
    assert second.status_code == 200, second.text
    assert second.json() == {
        "template": name,
        "body": "<p>{{ url }}</p>",
        "syntax": "liquid",
        "includeEmailInRedirect": True,
        "enabled": False,
    }


@pytest.mark.parametrize("method", ["PATCH", "PUT"])
def test_a_body_naming_another_template_is_400(admin: Api, method: str) -> None:
    admin.http.put(path("welcome_email"), json={"enabled": False})
    response = admin.http.request(
        method, path("welcome_email"), json={"template": "verify_email", "enabled": True}
    )
    body = assert_error(response, 400, "invalid_body")
    assert "does not match" in body["message"]
    assert admin.get(path("welcome_email")).json()["enabled"] is False


def test_an_unknown_template_name_is_400(admin: Api) -> None:
    assert_error(admin.get(path("no_such_template")), 400, "invalid_uri")
    assert_error(admin.post(TEMPLATES, {"template": "no_such_template"}), 400, "invalid_uri")


@pytest.mark.parametrize(
    ("prop", "source", "line"),
    [
        ("body", "<p>Hello</p>\n{% if user.email %}\n<p>unclosed</p>", 3),
        ("body", "<p>\n\n{{ user.name | nope }}</p>", 3),
        ("subject", "Hi {{ user.name ", 1),
        ("from", "{% if x %}a@b.example", 1),
    ],
)
def test_liquid_that_does_not_parse_is_refused_with_its_line(
    admin: Api, prop: str, source: str, line: int
) -> None:
    for response in (
        admin.post(TEMPLATES, {"template": "user_invitation", prop: source}),
        admin.http.put(path("user_invitation"), json={prop: source}),
    ):
        body = assert_error(response, 400, "invalid_body")
        assert f"Invalid Liquid in {prop} on line {line}" in body["message"], body
    assert_error(admin.get(path("user_invitation")), 404)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"template": "change_password", "syntax": "handlebars"},
        {"template": "change_password", "urlLifetimeInSeconds": -1},
        {"template": "change_password", "enabled": "true"},
        {"template": "change_password", "body": 1},
        {"template": "change_password", "other": 1},
    ],
)
def test_bad_bodies_are_refused(admin: Api, body: dict[str, Any]) -> None:
    assert_error(admin.post(TEMPLATES, body), 400, "invalid_body")
    assert_error(admin.get(path("change_password")), 404)


def test_each_operation_needs_its_scope(admin: Api) -> None:
    reader = admin.with_scopes("read:email_templates")
    creator = admin.with_scopes("create:email_templates")
    updater = admin.with_scopes("update:email_templates")
    assert_error(reader.post(TEMPLATES, {"template": "password_reset"}), 403, "insufficient_scope")
    assert creator.post(TEMPLATES, {"template": "password_reset"}).status_code == 201
    assert_error(creator.get(path("password_reset")), 403, "insufficient_scope")
    assert_error(reader.patch(path("password_reset"), {"enabled": False}), 403)
    assert updater.patch(path("password_reset"), {"enabled": False}).status_code == 200
    assert updater.http.put(path("password_reset"), json={"enabled": True}).status_code == 200
    assert reader.get(path("password_reset")).json()["enabled"] is True
