"""When the consent screen shows (domain/consent/rules.py) and what a consent adds."""

from __future__ import annotations

from datetime import UTC, datetime

from selfauth.domain.consent.model import UserGrant
from selfauth.domain.consent.rules import consent_to_ask, merged
from selfauth.domain.resource_servers.model import ResourceServer

API = ResourceServer(
    id="rs",
    identifier="https://api.example.com/",
    name="Example API",
    created_at=datetime(2026, 1, 1, tzinfo=UTC),
    scopes=[{"value": "read:a", "description": "Read A"}, {"value": "write:a"}],
)


def _grant(*scopes: str) -> UserGrant:
    return UserGrant("g", "u", "c", API.identifier, list(scopes))


def _ask(
    requested: str,
    granted: UserGrant | None = None,
    *,
    first_party: bool = False,
    prompt: str | None = None,
) -> list[str] | None:
    found = consent_to_ask(
        first_party=first_party, server=API, requested=requested, prompt=prompt, granted=granted
    )
    return None if found is None else found.values


def test_only_the_apis_own_scopes_are_asked_once_each_in_request_order() -> None:
    assert _ask("openid write:a profile read:a write:a unknown") == ["write:a", "read:a"]
    assert _ask("openid profile email") is None


def test_a_first_party_client_is_never_asked() -> None:
    assert _ask("read:a", first_party=True) is None
    assert _ask("read:a", first_party=True, prompt="consent") is None


def test_granted_scopes_are_not_asked_again_but_more_ask_for_all() -> None:
    assert _ask("read:a", _grant("read:a", "write:a")) is None
    assert _ask("read:a write:a", _grant("read:a")) == ["read:a", "write:a"]


def test_prompt_consent_always_asks() -> None:
    assert _ask("read:a", _grant("read:a"), prompt="consent") == ["read:a"]


def test_descriptions_come_from_the_api() -> None:
    found = consent_to_ask(
        first_party=False, server=API, requested="read:a write:a", prompt=None, granted=None
    )
    assert found is not None
    assert [(s.value, s.description) for s in found.scopes] == [
        ("read:a", "Read A"),
        ("write:a", None),
    ]


def test_a_consent_adds_to_what_the_grant_held() -> None:
    assert merged(["read:a"], ["write:a", "read:a"]) == ["read:a", "write:a"]
    assert merged([], ["b", "b", "a"]) == ["b", "a"]
