"""auth0-python 4.13's `Branding` and `Prompts`, unchanged, against selfauth over plain HTTP:
what a tenant moving from Auth0 runs to bring its branding, page template and custom text.

Branding and custom text are the tenant's own, so this module runs on a server of its own;
their persistence is tested on every database in tests/storage/test_branding.py (and through
HTTP in tests/api/test_branding.py and test_prompts.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from auth0.exceptions import Auth0Error
from auth0.management import Branding
from auth0.management.prompts import Prompts  # 4.13 does not export it from auth0.management

from tests.support.sdk import domain_of
from tests.support.server import RunningServer, serving

TEMPLATE = (
    '<!DOCTYPE html><html lang="{{locale}}"><head>{%- auth0:head -%}'
    "<title>{{ prompt.screen.texts.pageTitle }}</title></head>"
    "<body>{%- auth0:widget -%}</body></html>"
)


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with serving("sqlite", tmp_path_factory.mktemp("sdk-branding")) as running:
        yield running


@pytest.fixture
def branding(own_server: RunningServer) -> Branding:
    return Branding(domain_of(own_server), own_server.admin_token(), protocol="http")


@pytest.fixture
def prompts(own_server: RunningServer) -> Prompts:
    return Prompts(domain_of(own_server), own_server.admin_token(), protocol="http")


def test_branding_is_updated_and_read(branding: Branding) -> None:
    updated = branding.update(
        {
            "colors": {
                "primary": "#0059D6",
                "page_background": {
                    "type": "linear-gradient",
                    "start": "#FFFFFF",
                    "end": "#E0E7FF",
                    "angle_deg": 90,
                },
            },
            "logo_url": "https://cdn.example.com/logo.svg",
            "favicon_url": "https://cdn.example.com/favicon.ico",
            "font": {"url": "https://fonts.example.com/inter.woff2"},
        }
    )
    assert updated["colors"]["primary"] == "#0059D6"
    assert branding.get() == updated
    merged = branding.update({"colors": {"primary": "#111111"}, "favicon_url": None})
    assert merged["colors"]["page_background"]["angle_deg"] == 90
    assert "favicon_url" not in merged
    with pytest.raises(Auth0Error) as refused:
        branding.update({"logo_url": "http://cdn.example.com/logo.svg"})
    assert (refused.value.status_code, refused.value.error_code) == (400, "invalid_body")


def test_the_universal_login_template_is_set_read_and_deleted(branding: Branding) -> None:
    assert branding.update_template_universal_login(TEMPLATE) == ""
    assert branding.get_template_universal_login() == {"body": TEMPLATE}
    with pytest.raises(Auth0Error) as refused:
        branding.update_template_universal_login("<html>{%- auth0:widget -%}</html>")
    assert refused.value.status_code == 400
    assert refused.value.message == (
        "The template must contain a single auth0:head tag and at least one auth0:widget tag."
    )
    assert branding.get_template_universal_login() == {"body": TEMPLATE}
    assert branding.delete_template_universal_login() == ""
    with pytest.raises(Auth0Error) as missing:
        branding.get_template_universal_login()
    assert missing.value.status_code == 404


def test_custom_text_is_set_and_read_per_prompt_and_language(prompts: Prompts) -> None:
    assert prompts.get_custom_text("signup", "fr") == {}
    text = {"signup": {"title": "Créez votre compte", "description": "Bienvenue chez Acme"}}
    assert prompts.update_custom_text("signup", "fr", text) == text
    assert prompts.get_custom_text("signup", "fr") == text
    assert prompts.get_custom_text("signup", "en") == {}
    with pytest.raises(Auth0Error) as unknown:
        prompts.get_custom_text("sign-up", "fr")
    assert (unknown.value.status_code, unknown.value.error_code) == (400, "invalid_uri")
