"""When a user is asked for consent, and what a consent adds to a grant (Auth0's rules,
https://auth0.com/docs/get-started/applications/third-party-applications/user-consent-and-third-party-applications).

- Only third-party applications (`is_first_party: false`) are asked. Auth0 also asks a
  first-party application unless the API has `skip_consent_for_verifiable_first_party_clients`
  and the application is "verifiable" (none of its callbacks on localhost); selfauth never asks
  a first-party application (docs/authentication-api.md, "Consent").
- Only for an `audience` (an API) and the scopes of it the request asks for that the API
  defines; a request naming no such scope asks nothing.
- A user who granted the same or more scopes before is not asked again; asking for a scope
  not granted asks for every scope requested; `prompt=consent` always asks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from selfauth.domain.consent.model import ConsentAsk, ScopeToConsent, UserGrant
from selfauth.domain.resource_servers.model import ResourceServer


def api_scopes_asked(server: ResourceServer, requested: str) -> list[ScopeToConsent]:
    """The requested scopes the API defines, in the request's order, each once, with the
    API's description where it has one."""
    described = {s.get("value"): s.get("description") for s in server.scopes}
    asked: list[ScopeToConsent] = []
    seen: set[str] = set()
    for value in requested.split():
        if value in described and value not in seen:
            seen.add(value)
            description = described[value]
            asked.append(ScopeToConsent(value, description or None))
    return asked


def consent_to_ask(
    *,
    first_party: bool,
    server: ResourceServer,
    requested: str,
    prompt: str | None,
    granted: UserGrant | None,
) -> ConsentAsk | None:
    """The consent the screen must ask for, or None when the request may be answered."""
    if first_party:
        return None
    asked = api_scopes_asked(server, requested)
    if not asked:
        return None
    covered = granted is not None and {s.value for s in asked} <= set(granted.scope)
    if covered and prompt != "consent":
        return None
    return ConsentAsk(server.identifier, server.name, tuple(asked))


def merged(existing: Sequence[str], added: Iterable[str]) -> list[str]:
    """A grant's scopes after a consent: what it held, then the new ones, each once."""
    result = list(dict.fromkeys(existing))
    for scope in added:
        if scope not in result:
            result.append(scope)
    return result
