"""auth0-python 4.13's `Emails` (the provider) and `EmailTemplates`, unchanged, against selfauth
over plain HTTP: what a deployment script that configures SMTP and a localised template does.

The provider and templates are the tenant's own, so this module runs on a server of its own;
their persistence is tested on every database in tests/storage/test_email_settings.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from auth0.exceptions import Auth0Error
from auth0.management import Emails, EmailTemplates

from tests.support.sdk import domain_of
from tests.support.server import RunningServer, serving

LANGUAGES = (
    "{% if user.user_metadata.lang == 'es' %}Hola{% elsif user.user_metadata.lang == 'fr' %}"
    'Bonjour{% else %}Hello{% endif %}, <a href="{{ url }}">verify</a>'
)


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with serving("sqlite", tmp_path_factory.mktemp("sdk-emails")) as running:
        yield running


@pytest.fixture
def emails(own_server: RunningServer) -> Emails:
    return Emails(domain_of(own_server), own_server.admin_token(), protocol="http")


@pytest.fixture
def templates(own_server: RunningServer) -> EmailTemplates:
    return EmailTemplates(domain_of(own_server), own_server.admin_token(), protocol="http")


def test_the_provider_is_configured_read_updated_and_deleted(emails: Emails) -> None:
    emails.delete()
    with pytest.raises(Auth0Error) as missing:
        emails.get()
    assert (missing.value.status_code, missing.value.error_code) == (
        404,
        "inexistent_email_provider",
    )
    created = emails.config(
        {
            "name": "smtp",
            "enabled": True,
            "default_from_address": "no-reply@example.com",
            "credentials": {
                "smtp_host": "smtp.example.com",
                "smtp_port": 587,
                "smtp_user": "mailer",
                "smtp_pass": "secret-pass",
            },
        }
    )
    assert "smtp_pass" not in created["credentials"]
    assert emails.get() == {"name": "smtp", "enabled": True}
    detailed = emails.get(fields=["credentials", "default_from_address"], include_fields=True)
    assert detailed == {
        "credentials": {"smtp_host": "smtp.example.com", "smtp_port": 587, "smtp_user": "mailer"},
        "default_from_address": "no-reply@example.com",
    }
    with pytest.raises(Auth0Error) as again:
        emails.config({"name": "smtp", "credentials": {"smtp_host": "h", "smtp_port": 25}})
    assert again.value.status_code == 409
    assert emails.update({"enabled": False})["enabled"] is False
    assert emails.delete() == ""
    assert emails.delete() == ""  # none left: still fine


def test_a_localised_template_is_created_read_and_updated(templates: EmailTemplates) -> None:
    created = templates.create(
        {
            "template": "verify_email",
            "body": LANGUAGES,
            "from": "Acme <no-reply@acme.example>",
            "subject": "{{ friendly_name }}",
            "syntax": "liquid",
            "enabled": True,
        }
    )
    assert created["body"] == LANGUAGES and created["includeEmailInRedirect"] is True
    assert templates.get("verify_email") == created
    updated = templates.update("verify_email", {"urlLifetimeInSeconds": 600, "enabled": False})
    assert (updated["urlLifetimeInSeconds"], updated["enabled"]) == (600, False)
    assert updated["body"] == LANGUAGES


def test_sdk_errors_carry_auth0s_codes(templates: EmailTemplates) -> None:
    with pytest.raises(Auth0Error) as never_set:
        templates.get("reset_email_by_code")
    assert never_set.value.status_code == 404
    with pytest.raises(Auth0Error) as broken:
        templates.create({"template": "reset_email", "body": "{% if %}"})
    assert broken.value.status_code == 400 and broken.value.error_code == "invalid_body"
    assert "line 1" in broken.value.message
