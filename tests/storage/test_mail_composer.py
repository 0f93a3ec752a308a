"""MailComposer over the real template and provider repositories, on every database: the
tenant's template or the built-in, Auth0's variables, the From address's order, disabled
templates, the seed's language example giving two users two languages, and markup a user typed
rendered inert."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from selfauth.domain.branding.model import Branding
from selfauth.domain.branding.service import BrandingService
from selfauth.domain.clients.model import Client
from selfauth.domain.emails.liquid import Liquid, RenderLimits
from selfauth.domain.emails.provider import EmailProviderService
from selfauth.domain.emails.sealing import Sealer
from selfauth.domain.emails.templates import EmailTemplateService
from selfauth.domain.users.model import User
from selfauth.flows.mail_composer import MailComposer, Tenant
from selfauth.storage.database import Database
from selfauth.storage.email_settings import SqlEmailProviderRepository, SqlEmailTemplateRepository
from selfauth.storage.keys import SqlKeyRepository
from selfauth.storage.tables import email_templates
from tests.support.storage import new_user

NOW = datetime(2026, 1, 2, tzinfo=UTC)
TENANT = Tenant("acme", "Acme Inc", "help@acme.example", "https://acme.example/help", "x@acme.ex")
LANGUAGES = (
    "{% if user.user_metadata.lang == 'es' %}Hola{% elsif user.user_metadata.lang == 'fr' %}"
    "Bonjour{% else %}Hello{% endif %} {{ user.email }}"
)


class Parts:
    def __init__(self, database: Database, sealer: Sealer) -> None:
        liquid = Liquid(RenderLimits(loop_iterations=100))
        self.providers = SqlEmailProviderRepository(database, sealer)
        self.provider = EmailProviderService(self.providers, lambda: NOW)
        # Each test uses template names of its own database: the composer reads by name.
        self.templates = EmailTemplateService(
            SqlEmailTemplateRepository(database), liquid, lambda: NOW
        )
        self.composer = MailComposer(self.templates, self.provider, liquid, TENANT)

    async def set_template(self, name: str, **fields: Any) -> None:
        await self.templates.replace(name, name, fields)


@pytest.fixture
async def parts(database: Database) -> AsyncIterator[Parts]:
    """A database of its own per test would be slow; templates are reset by each test that
    sets them (replace), and the provider is removed before and after."""
    found = Parts(database, Sealer(await SqlKeyRepository(database).hmac_key()))
    await found.provider.delete()
    yield found
    await found.provider.delete()


def ada(**fields: Any) -> User:
    return new_user("con_x", name="Ada", **fields)


def app() -> Client:
    return Client(
        client_id="cid123",
        name="Shop <1>",
        secret_hash="-",
        created_at=NOW,
        updated_at=NOW,
        callbacks=["https://shop.example.com/callback"],
        client_metadata={"tier": "gold"},
    )


async def test_without_a_tenant_template_the_built_in_is_sent(parts: Parts) -> None:
    await parts.set_template("reset_email")  # PUT with nothing: every property unset
    user = ada()
    url = "https://auth.example/u/reset?ticket=abc&x=1"
    mail = await parts.composer.compose("reset_email", user=user, variables={"url": url})
    assert mail is not None
    assert (mail.recipient, mail.user_id, mail.template) == (
        user.email,
        user.user_id,
        "reset_email",
    )
    assert mail.subject == "Reset your Acme Inc password"
    assert mail.from_address == "x@acme.ex"
    assert 'href="https://auth.example/u/reset?ticket=abc&amp;x=1"' in mail.html
    assert url in mail.text and "help@acme.example" in mail.text


async def test_the_seed_template_gives_two_users_two_languages(parts: Parts) -> None:
    await parts.set_template("verify_email", body=LANGUAGES, subject="{{ friendly_name }}")
    spanish = await parts.composer.compose(
        "verify_email", user=ada(user_metadata={"lang": "es"}), variables={"url": "u"}
    )
    french = await parts.composer.compose(
        "verify_email", user=ada(user_metadata={"lang": "fr"}), variables={"url": "u"}
    )
    assert spanish is not None and spanish.html.startswith("Hola ")
    assert french is not None and french.html.startswith("Bonjour ")
    assert french.text.startswith("Bonjour ") and french.subject == "Acme Inc"


async def test_markup_in_user_metadata_is_rendered_inert(parts: Parts) -> None:
    attack = '<a href="https://evil.example">Reset here</a><script>x()</script>'
    await parts.set_template(
        "verify_email",
        body='<p>Hi {{ user.user_metadata.nick }}</p><a href="{{ url }}">Verify</a>',
        subject="Hi {{ user.user_metadata.nick }}",
    )
    user = ada(user_metadata={"nick": attack + "\r\nBcc: victim@example.com"})
    mail = await parts.composer.compose("verify_email", user=user, variables={"url": "https://ok"})
    assert mail is not None
    assert mail.html.startswith(
        "<p>Hi &lt;a href=&#34;https://evil.example&#34;&gt;Reset here&lt;/a&gt;"
        "&lt;script&gt;x()&lt;/script&gt;"
    )
    assert mail.html.count("<a ") == 1 and "<script>" not in mail.html
    assert "Verify (https://ok)" in mail.text  # the text part has the tenant's one link only
    assert "Reset here (https://evil" not in mail.text
    assert "\n" not in mail.subject and "\r" not in mail.subject  # no header injection


async def test_the_variables_are_auth0s(parts: Parts) -> None:
    await parts.set_template(
        "verify_email_by_code",
        body=(
            "{{ application.name }}|{{ client.clientID }}|{{ application.callback_domain }}|"
            "{{ application.client_metadata.tier }}|{{ connection.name }}|{{ tenant }}|"
            "{{ friendly_name }}|{{ support_email }}|{{ support_url }}|{{ request_language }}|"
            "{{ user.user_id }}|{{ user.app_metadata.plan }}|{{ user.source_ip }}|{{ code }}"
        ),
    )
    user = ada(app_metadata={"plan": "pro"})
    mail = await parts.composer.compose(
        "verify_email_by_code",
        user=user,
        variables={"code": "42", "request_language": "fr-CA", "user": {"source_ip": "10.1.2.3"}},
        client=app(),
        connection_name="Username-Password-Authentication",
    )
    assert mail is not None
    assert mail.html == (
        "Shop &lt;1&gt;|cid123|shop.example.com|gold|Username-Password-Authentication|acme|"
        f"Acme Inc|help@acme.example|https://acme.example/help|fr-CA|{user.user_id}|pro|"
        "10.1.2.3|42"
    )


async def test_disabled_templates_and_users_without_email_send_nothing(parts: Parts) -> None:
    await parts.set_template("blocked_account", enabled=False)
    assert await parts.composer.compose("blocked_account", user=ada(), variables={}) is None
    await parts.set_template("change_password")
    assert (
        await parts.composer.compose("change_password", user=ada(email=None), variables={}) is None
    )


async def test_the_welcome_mail_waits_until_the_tenant_enables_it(
    parts: Parts, database: Database
) -> None:
    async with database.write() as conn:  # no API removes a template: start from none
        await conn.execute(
            email_templates.delete().where(email_templates.c.template == "welcome_email")
        )
    templates = parts.templates
    assert await parts.composer.compose("welcome_email", user=ada(), variables={}) is None
    await templates.create("welcome_email", {"enabled": True})
    mail = await parts.composer.compose("welcome_email", user=ada(), variables={})
    assert mail is not None and mail.subject == "Welcome to Acme Inc"


async def test_the_from_address_is_the_templates_then_the_providers_then_the_settings(
    parts: Parts,
) -> None:
    await parts.set_template(
        "password_reset", **{"from_address": "{{ application.name }} <t@a.ex>"}
    )
    mail = await parts.composer.compose("password_reset", user=ada(), variables={}, client=app())
    assert mail is not None and mail.from_address == "Shop <1> <t@a.ex>"
    await parts.set_template("password_reset")
    await parts.provider.create(
        {
            "name": "smtp",
            "credentials": {"smtp_host": "h", "smtp_port": 25},
            "default_from_address": "p@a.ex",
        }
    )
    mail = await parts.composer.compose("password_reset", user=ada(), variables={})
    assert mail is not None and mail.from_address == "p@a.ex"
    await parts.provider.update({"enabled": False})
    mail = await parts.composer.compose("password_reset", user=ada(), variables={})
    assert mail is not None and mail.from_address == "x@acme.ex"


async def test_a_subject_or_from_failing_at_render_time_falls_back(parts: Parts) -> None:
    await parts.set_template(
        "reset_email_by_code",
        subject="{{ 1 | divided_by: 0 }}",
        from_address="{{ 1 | modulo: 0 }}",
    )
    mail = await parts.composer.compose("reset_email_by_code", user=ada(), variables={"code": "9"})
    assert mail is not None
    assert (mail.subject, mail.from_address) == ("Your Acme Inc password reset code", "x@acme.ex")


async def test_a_tenant_body_failing_at_render_time_sends_the_built_in(parts: Parts) -> None:
    await parts.set_template(
        "reset_email_by_code",
        body="{% for i in (1..1000) %}{{ i }}{% endfor %}",  # past this composer's 100 loops
        subject="Code {{ code }}",
    )
    mail = await parts.composer.compose("reset_email_by_code", user=ada(), variables={"code": "9"})
    assert mail is not None
    assert "Your password reset code is" in mail.html and "9" in mail.text
    assert mail.subject == "Code 9"


class _StoredBranding:
    """The tenant's branding as /api/v2/branding set it (the composer only reads it)."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = settings

    async def get(self) -> Branding:
        return Branding(updated_at=NOW, settings=self.settings)

    async def change(self, change: Any) -> Branding:
        raise AssertionError("the composer never writes branding")


async def test_templates_read_the_tenants_branding_escaped(parts: Parts) -> None:
    settings = {
        "logo_url": "https://cdn.example.com/logo.png?a=1&b=2",
        "colors": {"primary": "#0059D6", "page_background": "#F2F4F7"},
        "font": {"url": "https://fonts.example.com/x.woff2"},
    }
    branding = BrandingService(_StoredBranding(settings), lambda: NOW)
    composer = MailComposer(parts.templates, parts.provider, Liquid(), TENANT, branding)
    body = (
        '<img src="{{ branding.logo_url }}"><a style="color: {{ branding.colors.primary }}">'
        "{{ branding.colors.page_background }}</a>{{ branding.font }}"
    )
    await parts.set_template("verify_email", body=body, subject="Hi", enabled=True)
    mail = await composer.compose("verify_email", user=ada(), variables={"url": "https://x"})
    assert mail is not None
    assert '<img src="https://cdn.example.com/logo.png?a=1&amp;b=2">' in mail.html
    assert '<a style="color: #0059D6">#F2F4F7</a>' in mail.html  # no font: Auth0 gives none
    # Without a branding service (or with none set) the variable is empty, not an error.
    plain = await parts.composer.compose("verify_email", user=ada(), variables={"url": "x"})
    assert plain is not None and '<img src="">' in plain.html
