"""`/api/v2/tenants/settings` as far as selfauth acts on it: `enabled_locales` (Auth0's language
codes, the first the login pages' default language) is stored and read back; `friendly_name`,
`support_email` and `support_url` are answered from the server's settings, which the emails
use, and a PATCH of them or of a setting selfauth does not act on is refused, never stored with
no effect. auth0-python's `Tenants` drives it. The settings are the tenant's own, so this
module runs on servers of its own, one per database."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from auth0.exceptions import Auth0Error
from auth0.management import Tenants

from tests.support.api import Api, assert_error
from tests.support.authorize import code_client, flow
from tests.support.sdk import domain_of
from tests.support.server import RunningServer, backends, serving

SETTINGS = "/api/v2/tenants/settings"


@pytest.fixture(scope="module", params=backends())
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    env = {
        "SELFAUTH_TENANT_FRIENDLY_NAME": "Example Corp",
        "SELFAUTH_TENANT_SUPPORT_EMAIL": "help@example.com",
    }
    directory = tmp_path_factory.mktemp(f"tenant-{request.param}")
    with serving(request.param, directory, env) as running:
        yield running


@pytest.fixture(scope="module")
def admin(server: RunningServer) -> Iterator[Api]:
    api = Api(server, server.admin_token())
    yield api
    api.http.close()


def test_settings_answer_the_configuration_until_locales_are_set(admin: Api) -> None:
    # The module's first test: nothing has been stored on this server yet.
    response = admin.get(SETTINGS)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "friendly_name": "Example Corp",
        "support_email": "help@example.com",
    }


def test_enabled_locales_are_stored_and_answered(admin: Api) -> None:
    response = admin.patch(SETTINGS, {"enabled_locales": ["fr", "en", "pt-BR"]})
    assert response.status_code == 200, response.text
    assert response.json()["enabled_locales"] == ["fr", "en", "pt-BR"]
    assert admin.get(SETTINGS).json()["enabled_locales"] == ["fr", "en", "pt-BR"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"enabled_locales": []}, "non-empty array"),
        ({"enabled_locales": "fr"}, "non-empty array"),
        ({"enabled_locales": ["fr", "xx-nowhere"]}, "not a language"),
        ({"enabled_locales": ["fr", "fr"]}, "listed twice"),
        ({"friendly_name": "Other"}, "SELFAUTH_TENANT_FRIENDLY_NAME"),
        ({"session_lifetime": 72}, "only enabled_locales"),
    ],
)
def test_what_selfauth_cannot_honour_is_refused(
    admin: Api, body: dict[str, object], words: str
) -> None:
    before = admin.get(SETTINGS).json()
    found = assert_error(admin.patch(SETTINGS, body), 400, "invalid_body")
    assert words in found["message"]
    assert admin.get(SETTINGS).json() == before


def test_scopes(server: RunningServer, admin: Api) -> None:
    reader = admin.with_scopes("read:tenant_settings")
    try:
        assert reader.get(SETTINGS).status_code == 200
        assert_error(reader.patch(SETTINGS, {"enabled_locales": ["en"]}), 403, "insufficient_scope")
    finally:
        reader.http.close()


def test_concurrent_patches_leave_one_whole_answer(admin: Api) -> None:
    choices = [["de"], ["it", "en"], ["es"], ["pt", "fr"]]
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda c: admin.patch(SETTINGS, {"enabled_locales": c}), choices))
    assert all(a.status_code == 200 for a in answers)
    assert admin.get(SETTINGS).json()["enabled_locales"] in choices


def test_auth0_python_drives_it(server: RunningServer) -> None:
    tenants = Tenants(domain_of(server), server.admin_token(), protocol="http")
    tenants.update({"enabled_locales": ["es", "en"]})
    assert tenants.get()["enabled_locales"] == ["es", "en"]
    assert tenants.get(fields=["enabled_locales"])["enabled_locales"] == ["es", "en"]
    with pytest.raises(Auth0Error) as refused:
        tenants.update({"enabled_locales": ["nope"]})
    assert refused.value.status_code == 400


def test_the_first_enabled_locale_is_the_login_pages_default(
    server: RunningServer, admin: Api
) -> None:
    admin.patch(SETTINGS, {"enabled_locales": ["de", "en"]})
    app = code_client(admin, "regular_web")
    f = flow(app, None)
    page = httpx.get(f"{server.base_url}/authorize", params=f.params)
    assert page.status_code == 200, page.text
    assert '<html lang="de"' in page.text
    # A browser's own language still wins over the tenant's default.
    asked = httpx.get(
        f"{server.base_url}/authorize", params=f.params, headers={"accept-language": "it"}
    )
    assert '<html lang="it"' in asked.text
