"""Auth0's own recorded Management API exchanges, replayed against selfauth.

The recordings are go-auth0's (tests/compat/recordings: source, commit and licence there): HTTP
exchanges its team recorded against real Auth0 tenants. Every exchange must match Auth0 on status,
keys, JSON types and error fields (tests/support/recordings.py says how), except where
`DIFFERENCES` names the difference and why. An entry that no longer occurs fails too, so the list
stays the true list of what differs on purpose.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase

import httpx
import pytest

from tests.support.recordings import Replay, load, prepare
from tests.support.server import RunningServer, backends, serving

RECORDINGS = load()


@dataclass(frozen=True)
class Difference:
    recordings: str  # a glob over recording names
    problem: str  # a glob over one problem of an exchange, as tests/support/recordings.py words it
    reason: str

    def covers(self, recording: str, problem: str) -> bool:
        return fnmatchcase(recording, self.recordings) and fnmatchcase(problem, self.problem)


DIFFERENCES = [
    Difference(
        "*",
        "*lacks client_secret*",
        "selfauth stores a client's secret as a keyed hash and answers it only when it makes one "
        "(create, rotate-secret); Auth0 answers it on every read.",
    ),
]


@pytest.fixture(scope="module", params=backends())
def tenant(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[httpx.Client]:
    """A server of the module's own: `prepare` changes its default connection."""
    with serving(request.param, tmp_path_factory.mktemp("recordings")) as running:
        yield _client(running)


def _client(server: RunningServer) -> httpx.Client:
    headers = {"authorization": f"Bearer {server.admin_token()}"}
    client = httpx.Client(base_url=server.base_url, headers=headers, timeout=30)
    prepare(client)
    return client


USED: set[Difference] = set()
REPLAYED: set[str] = set()


@pytest.mark.parametrize("name", sorted(RECORDINGS))
def test_recording_matches_auth0(tenant: httpx.Client, name: str) -> None:
    REPLAYED.add(name)
    unexplained = []
    for mismatch in Replay(tenant).run(RECORDINGS[name]):
        left = []
        for problem in mismatch.problems:
            covering = [d for d in DIFFERENCES if d.covers(name, problem)]
            USED.update(covering)
            if not covering:
                left.append(problem)
        if left:
            unexplained.append(f"#{mismatch.index} {mismatch.request}: " + "; ".join(left))
    assert not unexplained, "\n".join(unexplained)


def test_every_listed_difference_still_occurs(tenant: httpx.Client) -> None:
    """Runs after the replays (same module, same worker); skipped when run without them."""
    if set(RECORDINGS) - REPLAYED:
        pytest.skip("needs every replay to have run first")
    stale = [d for d in DIFFERENCES if d not in USED]
    assert not stale, f"these differences no longer occur; remove them: {stale}"
