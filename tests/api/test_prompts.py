"""`/api/v2/prompts/{prompt}/custom-text/{language}` as Auth0 answers it: `{}` for text never
set, a PUT replaces the whole object of that prompt and language (and answers it), Auth0's
prompt names, their screens and its language codes; an unknown prompt or language is 400
`invalid_uri`, a screen of another prompt or a text that is not a string 400 `invalid_body`.
Text is stored as given (the pages escape it).

Custom text is the tenant's own, so this module runs on servers of its own, one per database."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.api import Api, assert_error
from tests.support.server import backends, serving

LOGIN: dict[str, Any] = {
    "login": {
        "title": "Welcome back",
        "description": "Sign in to Acme",
        "buttonText": "Continue",
        "signupActionLinkText": "Create an account",
    }
}


@pytest.fixture(scope="module", params=backends())
def admin(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Api]:
    with serving(request.param, tmp_path_factory.mktemp(f"prompts-{request.param}")) as running:
        yield Api(running, running.admin_token())


def path(prompt: str, language: str) -> str:
    return f"/api/v2/prompts/{prompt}/custom-text/{language}"


def put(api: Api, prompt: str, language: str, body: Any) -> Any:
    return api.http.put(path(prompt, language), json=body)


def test_text_never_set_is_an_empty_object(admin: Api) -> None:
    response = admin.get(path("consent", "fr-CA"))
    assert response.status_code == 200, response.text
    assert response.json() == {}


def test_a_put_is_answered_and_read_back(admin: Api) -> None:
    response = put(admin, "login", "en", LOGIN)
    assert response.status_code == 200, response.text
    assert response.json() == LOGIN
    assert admin.get(path("login", "en")).json() == LOGIN


def test_a_put_replaces_the_whole_object_of_that_prompt_and_language(admin: Api) -> None:
    put(admin, "login", "en", LOGIN)
    put(admin, "login", "es", {"login": {"title": "Bienvenido"}})
    assert put(admin, "login", "en", {"login": {"title": "Hi"}}).status_code == 200
    assert admin.get(path("login", "en")).json() == {"login": {"title": "Hi"}}
    assert admin.get(path("login", "es")).json() == {"login": {"title": "Bienvenido"}}
    assert admin.get(path("login-id", "en")).json() == {}
    assert put(admin, "login", "en", {}).status_code == 200  # `{}` clears it
    assert admin.get(path("login", "en")).json() == {}


def test_a_prompt_takes_each_of_its_screens(admin: Api) -> None:
    body = {
        "reset-password-request": {
            "title": "Forgot your password?",
            "descriptionEmail": "Enter your email and we will send you a link.",
        },
        "reset-password-success": {"eventTitle": "Password changed!"},
        "reset-password-error": {"auth0-users-expired-ticket": "This link has expired."},
    }
    assert put(admin, "reset-password", "pt-BR", body).status_code == 200
    assert admin.get(path("reset-password", "pt-BR")).json() == body
    logout = {"logout": {"title": "Log out?"}, "logout-complete": {"title": "Logged out"}}
    assert put(admin, "logout", "de", logout).status_code == 200
    assert put(admin, "signup-password", "it", {"signup-password": {"title": "x"}}).is_success


@pytest.mark.parametrize(
    ("prompt", "language", "prop"),
    [
        ("sign-in", "en", "prompt"),
        ("LOGIN", "en", "prompt"),
        ("login", "xx", "language"),
        ("login", "EN", "language"),
        ("login", "en-US", "language"),
    ],
)
def test_an_unknown_prompt_or_language_is_400_invalid_uri(
    admin: Api, prompt: str, language: str, prop: str
) -> None:
    for response in (admin.get(path(prompt, language)), put(admin, prompt, language, LOGIN)):
        error = assert_error(response, 400, "invalid_uri")
        assert f"on property {prop}" in error["message"], error


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"signup": {"title": "x"}}, 'Invalid screen "signup" in prompt "login"'),
        ({"login-id": {"title": "x"}}, 'Invalid screen "login-id" in prompt "login"'),
        ({"login": {"title": 1}}, "Expected type string but found type integer"),
        ({"login": {"title": None}}, "Expected type string but found type null"),
        ({"login": {"title": {"nested": "x"}}}, "Expected type string"),
        ({"login": "Welcome"}, "Expected type object but found type string"),
        ({"login": {"bad key": "x"}}, 'Invalid key "bad key" in screen "login"'),
        ({"login": {"": "x"}}, 'Invalid key "" in screen "login"'),
        ({"login": {"title": "x" * 4097}}, "String is too long"),
    ],
    ids=[
        "other-prompts-screen",
        "sibling-screen",
        "number",
        "null",
        "object",
        "screen-string",
        "key-with-space",
        "empty-key",
        "too-long",
    ],
)
def test_a_body_auth0_would_refuse_is_400_and_keeps_what_was_set(
    admin: Api, body: dict[str, Any], fragment: str
) -> None:
    put(admin, "login", "nl", LOGIN)
    error = assert_error(put(admin, "login", "nl", body), 400, "invalid_body")
    assert fragment in error["message"], error
    assert admin.get(path("login", "nl")).json() == LOGIN


@pytest.mark.parametrize("raw", [b"[]", b'"x"', b"{", b'{"login": {"title": "a\\u0000"}}'])
def test_a_body_that_is_not_a_json_object_is_400(admin: Api, raw: bytes) -> None:
    response = admin.http.put(
        path("login", "en"), content=raw, headers={"content-type": "application/json"}
    )
    assert_error(response, 400, "invalid_body")


def test_an_xss_looking_text_is_stored_as_given_and_answered_as_json(admin: Api) -> None:
    body = {"login": {"title": "<script>alert(1)</script>", "description": '"><img src=x>'}}
    response = put(admin, "login", "ja", body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert admin.get(path("login", "ja")).json() == body


def test_custom_text_scopes(admin: Api) -> None:
    reader = admin.with_scopes("read:prompts")
    assert reader.get(path("login", "en")).status_code == 200
    error = assert_error(put(reader, "login", "en", LOGIN), 403, "insufficient_scope")
    assert "update:prompts" in error["message"]
    writer = admin.with_scopes("update:prompts")
    assert put(writer, "login", "en", LOGIN).status_code == 200
    assert_error(writer.get(path("login", "en")), 403, "insufficient_scope")
    branding = admin.with_scopes("read:branding", "update:branding")
    assert_error(branding.get(path("login", "en")), 403, "insufficient_scope")
