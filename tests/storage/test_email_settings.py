"""SqlEmailProviderRepository and SqlEmailTemplateRepository on every database: one provider,
its password sealed in the row and opened only under the server's key, read-modify-write
under the row's lock; templates inserted once, updated column by column, replaced whole."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import sqlalchemy as sa

from selfauth.domain.emails.provider import EmailProvider
from selfauth.domain.emails.sealing import Sealer, SealError
from selfauth.domain.emails.templates import EmailTemplate
from selfauth.errors import Conflict
from selfauth.storage.database import Database
from selfauth.storage.email_settings import SqlEmailProviderRepository, SqlEmailTemplateRepository
from selfauth.storage.keys import SqlKeyRepository
from selfauth.storage.tables import email_provider
from tests.support.storage import now, unique

PASSWORD = "smtp-p4ss-w0rd"


@pytest.fixture
async def sealer(database: Database) -> Sealer:
    return Sealer(await SqlKeyRepository(database).hmac_key())


@pytest.fixture
async def providers(
    database: Database, sealer: Sealer
) -> AsyncIterator[SqlEmailProviderRepository]:
    repository = SqlEmailProviderRepository(database, sealer)
    await repository.delete()  # the provider is one row: each test starts without it
    yield repository
    await repository.delete()


@pytest.fixture
def templates(database: Database) -> SqlEmailTemplateRepository:
    return SqlEmailTemplateRepository(database)


def new_provider(**fields: object) -> EmailProvider:
    moment = now()
    values: dict[str, object] = {
        "name": "smtp",
        "enabled": True,
        "created_at": moment,
        "updated_at": moment,
        "credentials": {"smtp_host": "mail.example.com", "smtp_port": 587, "smtp_user": "u"},
        "secrets": {"smtp_pass": PASSWORD},
        "default_from_address": "from@example.com",
        **fields,
    }
    return EmailProvider(**values)  # type: ignore[arg-type]


def new_template(**fields: object) -> EmailTemplate:
    moment = now()
    values: dict[str, object] = {
        "template": unique("tpl"),
        "created_at": moment,
        "updated_at": moment,
        "body": "<p>Hello {{ user.email }}</p>",
        **fields,
    }
    return EmailTemplate(**values)  # type: ignore[arg-type]


async def test_a_provider_round_trips_with_its_password(
    providers: SqlEmailProviderRepository,
) -> None:
    provider = new_provider(settings={"tls": "none"})
    assert await providers.insert(provider)
    assert await providers.get() == provider


async def test_the_password_is_stored_sealed(
    providers: SqlEmailProviderRepository, database: Database
) -> None:
    await providers.insert(new_provider())
    async with database.read() as conn:
        row = (await conn.execute(sa.select(email_provider))).mappings().one()
    stored = str(dict(row))
    assert PASSWORD not in stored
    assert row["sealed_secrets"].startswith("v1.")
    assert "smtp_pass" not in row["credentials"]


async def test_a_sealed_password_does_not_open_under_another_key(
    providers: SqlEmailProviderRepository, database: Database
) -> None:
    await providers.insert(new_provider())
    stranger = SqlEmailProviderRepository(database, Sealer(b"another server's key" * 2))
    with pytest.raises(SealError):
        await stranger.get()


async def test_a_second_provider_is_refused(providers: SqlEmailProviderRepository) -> None:
    assert await providers.insert(new_provider())
    assert not await providers.insert(new_provider(name="other"))
    found = await providers.get()
    assert found is not None and found.name == "smtp"


async def test_delete_with_no_provider_is_fine(providers: SqlEmailProviderRepository) -> None:
    await providers.delete()
    assert await providers.get() is None


async def test_update_changes_the_row_and_none_without_a_provider(
    providers: SqlEmailProviderRepository,
) -> None:
    assert await providers.update(lambda p: dataclasses.replace(p, enabled=False)) is None
    await providers.insert(new_provider())
    updated = await providers.update(lambda p: dataclasses.replace(p, enabled=False, secrets={}))
    assert updated is not None and not updated.enabled
    assert await providers.get() == updated


async def test_concurrent_updates_of_the_provider_all_apply(
    providers: SqlEmailProviderRepository,
) -> None:
    await providers.insert(new_provider(settings={}))

    def add(key: str):  # type: ignore[no-untyped-def]
        return lambda p: dataclasses.replace(p, settings={**(p.settings or {}), key: True})

    await asyncio.gather(*(providers.update(add(f"k{i}")) for i in range(10)))
    found = await providers.get()
    assert found is not None and found.settings == {f"k{i}": True for i in range(10)}


async def test_a_template_round_trips_and_is_set_once(
    templates: SqlEmailTemplateRepository,
) -> None:
    template = new_template(
        from_address="a@example.com",
        subject="Hi",
        result_url="https://app.example.com/done",
        url_lifetime_in_seconds=60,
        include_email_in_redirect=False,
        enabled=False,
    )
    await templates.insert(template)
    assert await templates.get(template.template) == template
    with pytest.raises(Conflict):
        await templates.insert(new_template(template=template.template))
    assert await templates.get(unique("tpl")) is None


async def test_update_sets_only_the_given_columns(templates: SqlEmailTemplateRepository) -> None:
    template = new_template(subject="Before")
    await templates.insert(template)
    await asyncio.gather(
        templates.update(template.template, {"subject": "After"}),
        templates.update(template.template, {"enabled": False}),
    )
    found = await templates.get(template.template)
    assert found is not None
    assert (found.subject, found.enabled, found.body) == ("After", False, template.body)
    assert await templates.update(unique("tpl"), {"enabled": True}) is None


async def test_replace_creates_then_overwrites_keeping_the_creation_time(
    templates: SqlEmailTemplateRepository,
) -> None:
    first = new_template(subject="One", result_url="https://x.example.com/")
    assert await templates.replace(first) == first
    later = now() + timedelta(minutes=5)
    second = EmailTemplate(template=first.template, created_at=later, updated_at=later, body="2")
    replaced = await templates.replace(second)
    assert replaced.created_at == first.created_at
    assert (replaced.subject, replaced.result_url, replaced.body) == (None, None, "2")
    assert await templates.get(first.template) == replaced


async def test_puts_of_a_new_template_at_once_leave_one_row(
    templates: SqlEmailTemplateRepository,
) -> None:
    name = unique("tpl")
    made = [new_template(template=name, body=str(i)) for i in range(8)]
    await asyncio.gather(*(templates.replace(t) for t in made))
    found = await templates.get(name)
    assert found is not None and found.body in {str(i) for i in range(8)}
