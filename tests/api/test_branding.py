"""`/api/v2/branding` and its Universal Login page template, as Auth0 shapes them: a PATCH
merges (`colors` and `font` key by key, `null` removes), colours are `#RRGGBB` or Auth0's
linear gradient, URLs are https; the template needs one `auth0:head` and an `auth0:widget` tag
and Liquid that parses; anything else is 400 `invalid_body`, never a 500. Values are stored as
given and answered as JSON (making them safe in a page is the pages' job).

Branding is the tenant's own, so this module runs on servers of its own, one per database
(the record is a locked read-modify-write, which differs between them)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.support.api import Api, assert_error
from tests.support.server import backends, serving

BRANDING = "/api/v2/branding"
TEMPLATE = "/api/v2/branding/templates/universal-login"
SIMPLE = (
    "<!DOCTYPE html><html><head>{%- auth0:head -%}</head><body>{%- auth0:widget -%}</body></html>"
)
FULL: dict[str, Any] = {
    "colors": {"primary": "#0059D6", "page_background": "#F2F4F7"},
    "logo_url": "https://cdn.example.com/logo.png",
    "favicon_url": "https://cdn.example.com/favicon.ico",
    "font": {"url": "https://fonts.example.com/inter.woff2"},
}


@pytest.fixture(scope="module", params=backends())
def admin(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Api]:
    with serving(request.param, tmp_path_factory.mktemp(f"branding-{request.param}")) as running:
        yield Api(running, running.admin_token())


def put_template(api: Api, body: Any, content_type: str = "application/json") -> Any:
    if content_type == "application/json":
        return api.http.put(TEMPLATE, json=body)
    return api.http.put(TEMPLATE, content=body, headers={"content-type": content_type})


def test_branding_never_set_is_empty_and_the_template_404(admin: Api) -> None:
    # The first test of the module: nothing has been set on this server yet.
    response = admin.get(BRANDING)
    assert response.status_code == 200, response.text
    assert response.json() == {}
    assert_error(admin.get(TEMPLATE), 404, "inexistent_universal_login_template")


def test_a_full_patch_is_answered_and_read_back(admin: Api) -> None:
    response = admin.patch(BRANDING, FULL)
    assert response.status_code == 200, response.text
    assert response.json() == FULL
    assert admin.get(BRANDING).json() == FULL


def test_colors_and_font_merge_key_by_key_and_null_removes(admin: Api) -> None:
    admin.patch(BRANDING, FULL)
    merged = admin.patch(BRANDING, {"colors": {"primary": "#112233"}}).json()
    assert merged["colors"] == {"primary": "#112233", "page_background": "#F2F4F7"}
    assert merged["logo_url"] == FULL["logo_url"]
    removed = admin.patch(
        BRANDING, {"colors": {"page_background": None}, "logo_url": None, "font": None}
    ).json()
    assert removed == {"colors": {"primary": "#112233"}, "favicon_url": FULL["favicon_url"]}
    # An object left empty disappears, as a key never set.
    assert "colors" not in admin.patch(BRANDING, {"colors": {"primary": None}}).json()
    assert admin.get(BRANDING).json() == {"favicon_url": FULL["favicon_url"]}


def test_page_background_takes_auth0s_linear_gradient(admin: Api) -> None:
    gradient = {"type": "linear-gradient", "start": "#FFFFFF", "end": "#000000", "angle_deg": 35}
    answered = admin.patch(BRANDING, {"colors": {"page_background": gradient}}).json()
    assert answered["colors"]["page_background"] == gradient
    assert admin.get(BRANDING).json()["colors"]["page_background"] == gradient


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"colors": {"primary": "red"}}, "colors.primary"),
        ({"colors": {"primary": "#fff"}}, "colors.primary"),
        ({"colors": {"primary": "#12345g"}}, "colors.primary"),
        ({"colors": {"primary": 123456}}, "Expected type string but found type integer"),
        ({"colors": {"page_background": "#0000001"}}, "colors.page_background"),
        ({"colors": {"page_background": ["#000000"]}}, "colors.page_background"),
        (
            {
                "colors": {
                    "page_background": {
                        "type": "radial",
                        "start": "#000000",
                        "end": "#FFFFFF",
                        "angle_deg": 1,
                    }
                }
            },
            "No enum match for: radial",
        ),
        (
            {"colors": {"page_background": {"type": "linear-gradient", "start": "#000000"}}},
            "Missing required property",
        ),
        (
            {
                "colors": {
                    "page_background": {
                        "type": "linear-gradient",
                        "start": "#000000",
                        "end": "#FFFFFF",
                        "angle_deg": "35",
                    }
                }
            },
            "angle_deg",
        ),
        ({"colors": {"accent": "#000000"}}, "Additional properties not allowed: colors.accent"),
        ({"colors": "#000000"}, "Expected type object but found type string"),
        ({"logo_url": "http://cdn.example.com/logo.png"}, "strict-https-uri-or-null"),
        ({"logo_url": "javascript:alert(1)"}, "strict-https-uri-or-null"),
        ({"favicon_url": "https://"}, "strict-https-uri-or-null"),
        ({"favicon_url": "https://a.example/ x.ico"}, "strict-https-uri-or-null"),
        ({"font": {"url": "ftp://fonts.example.com/a.woff"}}, "font.url"),
        ({"font": {"family": "Inter"}}, "Additional properties not allowed: font.family"),
        ({"theme": "dark"}, "Additional properties not allowed: theme"),
        ({}, "Too few properties"),
    ],
    ids=lambda value: str(value)[:40] if isinstance(value, str) else None,
)
def test_anything_auth0_refuses_is_400_invalid_body_and_changes_nothing(
    admin: Api, body: dict[str, Any], fragment: str
) -> None:
    before = admin.get(BRANDING).json()
    error = assert_error(admin.patch(BRANDING, body), 400, "invalid_body")
    assert fragment in error["message"], error
    assert admin.get(BRANDING).json() == before


@pytest.mark.parametrize(
    "raw", [b"[1]", b'"x"', b"{", b'{"logo_url": "https://a.example/\\u0000"}']
)
def test_a_body_that_is_not_a_json_object_is_400(admin: Api, raw: bytes) -> None:
    response = admin.http.patch(BRANDING, content=raw, headers={"content-type": "application/json"})
    assert_error(response, 400, "invalid_body")


def test_an_xss_looking_value_is_stored_as_given_and_answered_as_json(admin: Api) -> None:
    logo = 'https://cdn.example.com/logo.png?"><script>alert(1)</script>'
    response = admin.patch(BRANDING, {"logo_url": logo})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["logo_url"] == logo
    assert admin.get(BRANDING).json()["logo_url"] == logo


@pytest.mark.both_databases
def test_concurrent_patches_of_different_keys_all_survive(admin: Api) -> None:
    patches: list[dict[str, Any]] = [
        {"colors": {"primary": "#101010"}},
        {"colors": {"page_background": "#202020"}},
        {"logo_url": "https://cdn.example.com/concurrent-logo.png"},
        {"favicon_url": "https://cdn.example.com/concurrent.ico"},
        {"font": {"url": "https://fonts.example.com/concurrent.woff2"}},
    ] * 2
    with ThreadPoolExecutor(len(patches)) as pool:
        statuses = list(pool.map(lambda body: admin.patch(BRANDING, body).status_code, patches))
    assert statuses == [200] * len(patches)
    assert admin.get(BRANDING).json() == {
        "colors": {"primary": "#101010", "page_background": "#202020"},
        "logo_url": "https://cdn.example.com/concurrent-logo.png",
        "favicon_url": "https://cdn.example.com/concurrent.ico",
        "font": {"url": "https://fonts.example.com/concurrent.woff2"},
    }


def test_branding_scopes(admin: Api) -> None:
    reader = admin.with_scopes("read:branding")
    assert reader.get(BRANDING).status_code == 200
    error = assert_error(reader.patch(BRANDING, FULL), 403, "insufficient_scope")
    assert "update:branding" in error["message"]
    writer = admin.with_scopes("update:branding")
    assert writer.patch(BRANDING, FULL).status_code == 200
    assert_error(writer.get(BRANDING), 403, "insufficient_scope")
    assert_error(admin.with_scopes("read:prompts").get(BRANDING), 403, "insufficient_scope")


# --- the page template ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ({"template": SIMPLE}, "application/json"),
        (SIMPLE, "application/json"),  # Auth0's schema: a JSON string or {"template": ...}
        (SIMPLE.encode(), "text/html"),  # Auth0's documented curl
        (SIMPLE.encode(), "text/html; charset=utf-8"),
    ],
    ids=["object", "json-string", "text-html", "text-html-charset"],
)
def test_a_template_is_set_read_and_deleted(admin: Api, body: Any, content_type: str) -> None:
    response = put_template(admin, body, content_type)
    assert response.status_code == 201, response.text
    got = admin.get(TEMPLATE)
    assert got.status_code == 200, got.text
    assert got.json() == {"body": SIMPLE}
    assert admin.delete(TEMPLATE).status_code == 204
    assert_error(admin.get(TEMPLATE), 404)
    assert admin.delete(TEMPLATE).status_code == 204  # deleting nothing is fine


def test_a_template_with_liquid_and_auth0s_tag_spellings_is_taken(admin: Api) -> None:
    template = (
        '<!DOCTYPE html>{% assign resolved_dir = dir | default: "auto" %}'
        '<html lang="{{locale}}" dir="{{resolved_dir}}"><head>{% auth0:head %}'
        "<title>{{ prompt.screen.texts.pageTitle }}</title></head><body>"
        "{% if application.name %}<h1>{{ application.name | escape }}</h1>{% endif %}"
        "{%- auth0:widget -%}{%-auth0:widget-%}</body></html>"
    )
    assert put_template(admin, {"template": template}).status_code == 201
    assert admin.get(TEMPLATE).json() == {"body": template}
    # The template and the branding are one record: neither write loses the other.
    admin.patch(BRANDING, {"colors": {"primary": "#0A0A0A"}})
    assert admin.get(TEMPLATE).json() == {"body": template}


TAGS = "The template must contain a single auth0:head tag and at least one auth0:widget tag."


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("<html><body>{%- auth0:widget -%}</body></html>", TAGS),
        ("<html><head>{%- auth0:head -%}</head></html>", TAGS),
        ("{%- auth0:head -%}{%- auth0:head -%}{%- auth0:widget -%}", TAGS),
        ("<html>auth0:head auth0:widget</html>", TAGS),
        ("", TAGS),
        ("{%- auth0:head -%}{% if x %}{%- auth0:widget -%}", "Invalid Liquid in template"),
        ("{%- auth0:head -%}{{ x | nosuchfilter }}{%- auth0:widget -%}", "unknown filter"),
        ("{%- auth0:head -%}{% include 'x' %}{%- auth0:widget -%}", "Invalid Liquid in template"),
        ("{%- auth0:head -%}{%- auth0:widget -%}" + "x" * 102_400, "String is too long"),
    ],
    ids=[
        "no-head",
        "no-widget",
        "two-heads",
        "not-tags",
        "empty",
        "unclosed-if",
        "unknown-filter",
        "include",
        "too-long",
    ],
)
def test_a_template_auth0_would_refuse_is_400_and_keeps_the_one_set(
    admin: Api, template: str, message: str
) -> None:
    assert put_template(admin, {"template": SIMPLE}).status_code == 201
    error = assert_error(put_template(admin, {"template": template}), 400, "invalid_body")
    assert message in error["message"], error
    assert admin.get(TEMPLATE).json() == {"body": SIMPLE}


@pytest.mark.parametrize(
    "body",
    [{"template": 1}, {"body": SIMPLE}, {}, {"template": SIMPLE, "x": 1}, ["x"], None, 3],
    ids=["number", "wrong-name", "empty", "extra", "array", "null", "integer"],
)
def test_a_template_body_of_another_shape_is_400(admin: Api, body: Any) -> None:
    assert_error(put_template(admin, body), 400, "invalid_body")


def test_a_template_that_is_not_utf8_or_holds_nul_is_400(admin: Api) -> None:
    assert_error(put_template(admin, b"\xff\xfe{%- auth0:head -%}", "text/html"), 400)
    nul = SIMPLE.replace("<body>", "<body>\x00")
    assert_error(put_template(admin, {"template": nul}), 400, "invalid_body")


def test_template_scopes(admin: Api) -> None:
    reader = admin.with_scopes("read:branding")
    assert_error(put_template(reader, {"template": SIMPLE}), 403, "insufficient_scope")
    assert_error(reader.delete(TEMPLATE), 403, "insufficient_scope")
    updater = admin.with_scopes("update:branding")
    assert put_template(updater, {"template": SIMPLE}).status_code == 201
    error = assert_error(updater.delete(TEMPLATE), 403, "insufficient_scope")
    assert "delete:branding" in error["message"]
    assert admin.with_scopes("delete:branding").delete(TEMPLATE).status_code == 204
