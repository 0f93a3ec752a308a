"""`GET /api/v2/users?q=...`: the query language, paging, checkpoints and errors, over HTTP.

The session's server holds every API test's users, so each query here is scoped to this
module's people by a marker in their app_metadata. Search compiles to different SQL on each
database (jsonpath on PostgreSQL, search-term rows on SQLite), so this module runs on both.
"""

from __future__ import annotations

import string
import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.api import Api, assert_error, user_path

MARKER = f"search-{uuid.uuid4().hex[:10]}"
DOMAIN = f"{MARKER}.example.com"

PEOPLE: dict[str, dict[str, Any]] = {
    "ada": {
        "email": f"ada@{DOMAIN}",
        "given_name": "Ada",
        "family_name": "Lovelace",
        "name": "Ada Lovelace",
        "user_metadata": {
            "plan": "gold",
            "age": 36,
            "tags": ["math", "poetry"],
            "addresses": [{"city": "London"}, {"city": "Paris"}],
            "vip": True,
        },
        "app_metadata": {"roles": ["admin"], "score": 9.5},
    },
    "grace": {
        "email": f"grace@{DOMAIN}",
        "name": "Grace Hopper",
        "user_metadata": {
            "plan": "silver",
            "age": 85,
            "tags": ["navy", "cobol"],
            "addresses": [{"city": "New York"}],
            "vip": False,
        },
        "app_metadata": {"roles": ["user"], "score": 7},
    },
    "alan": {
        "email": f"alan@{DOMAIN}",
        "name": "Alan Turing",
        "user_metadata": {"plan": "gold", "age": "41", "tags": [], "note": None},
        "app_metadata": {"score": 8},
    },
    "edsger": {"email": f"edsger@{DOMAIN}", "name": "Edsger Dijkstra"},
    "barbara": {
        "email": f"barbara@other-{DOMAIN}",
        "name": "Barbara Liskov",
        "user_metadata": {"plan": "Gold", "motto": "100% sure_thing [ok]*"},
        "app_metadata": {"roles": ["admin", "user"]},
    },
}
EVERYONE = set(PEOPLE)


@pytest.fixture(scope="module")
def people(api: Api) -> dict[str, str]:
    """Name -> user_id of this module's users."""
    ids = {}
    for name, fields in PEOPLE.items():
        app_metadata = {**fields.get("app_metadata", {}), "marker": MARKER}
        # A null in metadata is how a key is deleted, so `note: null` is stored as absent.
        user = api.create_user(**{**fields, "app_metadata": app_metadata})
        ids[name] = user["user_id"]
    return ids


def search(api: Api, q: str, **params: Any) -> Any:
    scoped = f'app_metadata.marker:"{MARKER}" AND ({q})'
    response = api.get("/api/v2/users", q=scoped, search_engine="v3", **params)
    assert response.status_code == 200, response.text
    return response.json()


def names(api: Api, people: dict[str, str], q: str) -> set[str]:
    by_id = {user_id: name for name, user_id in people.items()}
    return {by_id[user["user_id"]] for user in search(api, q, per_page=100)}


CASES = [
    # root fields, case rules as Auth0's
    ('name:"ada lovelace"', {"ada"}),
    ("given_name:ADA", {"ada"}),
    ("family_name:lovelace", {"ada"}),
    ("name:Ada\\ Lovelace", {"ada"}),
    ("name:a*", {"ada", "alan"}),
    ("name:*hopper", {"grace"}),
    ("name:*RA*", {"grace", "barbara", "edsger"}),
    ("lovelace", {"ada"}),
    ("user_id:auth0", set()),
    ("logins_count:0", EVERYONE),
    ("logins_count:[1 TO *]", set()),
    ("blocked:false", EVERYONE),
    ("created_at:[2000-01-01 TO *]", EVERYONE),
    ("created_at:{* TO 2000}", set()),
    (f'email.domain:"{DOMAIN}"', EVERYONE - {"barbara"}),
    (f"email.domain:other-{MARKER}*", {"barbara"}),
    (f'email:("ada@{DOMAIN}" OR "GRACE@{DOMAIN}")', {"ada", "grace"}),
    ('identities.connection:"Username-Password-Authentication"', EVERYONE),
    ('identities.connection:"google-oauth2"', set()),
    ("identities.isSocial:false", EVERYONE),
    # metadata: exact, case-sensitive, arrays searched through
    ('user_metadata.plan:"gold"', {"ada", "alan"}),
    ("user_metadata.plan:Gold", {"barbara"}),
    ("user_metadata.plan:(gold OR silver)", {"ada", "alan", "grace"}),
    ('user_metadata.tags:"poetry"', {"ada"}),
    ("user_metadata.addresses.city:Paris", {"ada"}),
    ("app_metadata.roles:admin", {"ada", "barbara"}),
    ("user_metadata.age:41", {"alan"}),
    ("user_metadata.age:36", {"ada"}),
    ("user_metadata.vip:true", {"ada"}),
    ("user_metadata.vip:false", {"grace"}),
    # metadata: wildcards and ranges (Auth0 has neither)
    ("user_metadata.plan:g*", {"ada", "alan"}),
    ("user_metadata.addresses.city:*York", {"grace"}),
    ("user_metadata.age:[40 TO 90]", {"grace"}),
    ("user_metadata.age:{36 TO *]", {"grace"}),
    ("user_metadata.age:[* TO 36]", {"ada"}),
    ("app_metadata.score:[8 TO 10]", {"ada", "alan"}),
    ("user_metadata.addresses.city:[O TO Q]", {"ada"}),
    ('user_metadata.motto:"100% sure_thing [ok]*"', {"barbara"}),
    ("user_metadata.motto:100%*", {"barbara"}),
    ("user_metadata.motto:100_*", set()),
    ("user_metadata.motto:*\\[ok\\]\\*", {"barbara"}),
    # existence: nulls and empty arrays hold nothing
    ("_exists_:user_metadata.tags", {"ada", "grace"}),
    ("_exists_:user_metadata.note", set()),
    ("_exists_:user_metadata.addresses", {"ada", "grace"}),
    ("NOT _exists_:user_metadata.plan", {"edsger"}),
    ("_exists_:user_metadata", EVERYONE - {"edsger"}),
    ("user_metadata.plan:*", {"ada", "alan", "grace", "barbara"}),
    # boolean logic
    ("(user_metadata.plan:gold OR user_metadata.plan:silver) AND NOT name:alan*", {"ada", "grace"}),
    ("NOT user_metadata.plan:gold", {"grace", "edsger", "barbara"}),
    ("name:ada* name:grace*", {"ada", "grace"}),
    ("*:*", EVERYONE),
]


# Ids without the random marker: pytest-xdist's workers must collect the same names.
@pytest.mark.parametrize(
    ("q", "expected"), CASES, ids=[q.replace(MARKER, "MARKER") for q, _ in CASES]
)
def test_query_matches(api: Api, people: dict[str, str], q: str, expected: set[str]) -> None:
    assert names(api, people, q) == expected


def test_v2_is_an_alias_of_v3(api: Api, people: dict[str, str]) -> None:
    q = f'app_metadata.marker:"{MARKER}" AND user_metadata.plan:gold'
    for engine in ("v2", "v3"):
        response = api.get("/api/v2/users", q=q, search_engine=engine)
        assert len(response.json()) == 2, response.text


@pytest.mark.parametrize("engine", ["v1", "v4", "lucene"])
def test_other_search_engines_are_400(api: Api, engine: str) -> None:
    response = api.get("/api/v2/users", q="name:x", search_engine=engine)
    assert_error(response, 400, "invalid_query_string")


BAD = [
    ("name:", 6),
    ("(name:x", 8),
    ("name:x)", 7),
    ("nope:x", 1),
    ("logins_count:many", 14),
    ("blocked:[a TO b]", 9),
    ("created_at:2017-13", 12),
    ("user_metadata:x", 1),
    ('name:"unclosed', 6),
    ("name:x AND", 11),
    ("name:[a TO b", 13),
    ("email:*a*b* AND _exists_:(", 27),
]


@pytest.mark.parametrize(("q", "column"), BAD, ids=[case[0] for case in BAD])
def test_a_bad_query_is_400_with_its_position(api: Api, q: str, column: int) -> None:
    body = assert_error(api.get("/api/v2/users", q=q), 400, "invalid_query_string")
    assert f"at character {column})" in body["message"], body


def test_an_over_long_query_is_414(api: Api) -> None:
    response = api.get("/api/v2/users", q="name:" + "x" * 5000)
    assert_error(response, 414, "invalid_query_string")


def test_injection_attempts_are_just_values(api: Api, people: dict[str, str]) -> None:
    for q in (
        "name:\"x' OR '1'='1\"",
        'name:"x\\"; DROP TABLE users; --"',
        'user_metadata.plan:"gold\') OR 1=1 --"',
        'user_metadata.a\\"b:"x"',
        'user_metadata.plan:"$ ? (@ != null)"',
    ):
        assert names(api, people, q) == set(), q
    assert names(api, people, "*:*") == EVERYONE


def test_sort_page_and_totals(api: Api, people: dict[str, str]) -> None:
    first = search(api, "*:*", sort="name:1", per_page=2, page=0, include_totals="true")
    assert first["total"] == 5
    assert (first["start"], first["limit"], first["length"]) == (0, 2, 2)
    assert [u["name"] for u in first["users"]] == ["Ada Lovelace", "Alan Turing"]
    last = search(api, "*:*", sort="name:-1", per_page=2, page=2, include_totals="true")
    assert [u["name"] for u in last["users"]] == ["Ada Lovelace"]
    assert search(api, "*:*", per_page=2, page=3) == []


def test_fields_apply_to_search_results(api: Api, people: dict[str, str]) -> None:
    found = search(api, "name:grace*", fields="user_id,email", include_fields="true")
    assert found == [{"user_id": people["grace"], "email": f"grace@{DOMAIN}"}]


def test_page_and_per_page_stop_at_the_result_window(api: Api, people: dict[str, str]) -> None:
    response = api.get("/api/v2/users", q="*:*", page=10, per_page=100)
    body = assert_error(response, 400, "invalid_query_string")
    assert "from and take" in body["message"]
    assert len(search(api, "*:*", page=19, per_page=50)) == 0


def test_checkpoints_walk_every_match_in_a_stable_order(api: Api, people: dict[str, str]) -> None:
    seen: list[str] = []
    params: dict[str, Any] = {"take": 2}
    for _ in range(10):
        body = search(api, "*:*", **params)
        seen.extend(user["user_id"] for user in body["users"])
        if "next" not in body:
            break
        params = {"take": 2, "from": body["next"]}
    assert sorted(seen) == sorted(people.values())
    assert len(seen) == len(set(seen))


def test_checkpoints_walk_all_users_without_q(api: Api, people: dict[str, str]) -> None:
    body = api.get("/api/v2/users", take=3).json()
    assert len(body["users"]) == 3
    assert body["next"]


@pytest.mark.parametrize("token", ["nonsense", "W10", "WyJ4IiwxXQ", "%%%"])
def test_a_forged_checkpoint_is_400(api: Api, token: str) -> None:
    assert_error(api.get("/api/v2/users", take=2, **{"from": token}), 400, "invalid_query_string")


def test_results_follow_writes_at_once(api: Api, people: dict[str, str]) -> None:
    user = api.create_user(
        app_metadata={"marker": MARKER, "probe": "before"}, email=f"probe@{MARKER}.test"
    )
    user_id = user["user_id"]
    probe = {user_id: "probe", **{v: k for k, v in people.items()}}

    def found(q: str) -> set[str]:
        return {probe[u["user_id"]] for u in search(api, q, per_page=100)}

    assert found("app_metadata.probe:before") == {"probe"}
    api.patch(user_path(user_id), {"app_metadata": {"probe": "after"}})
    assert found("app_metadata.probe:before") == set()
    assert found("app_metadata.probe:after") == {"probe"}
    # Only the changed terms are rewritten: untouched keys, array elements and types still match.
    api.patch(
        user_path(user_id),
        {"user_metadata": {"tags": ["p", "q"], "n": 7, "keep": "k", "flag": True}},
    )
    api.patch(user_path(user_id), {"user_metadata": {"tags": ["p"], "n": 8}})
    assert found("user_metadata.tags:q") == set()
    assert found("user_metadata.tags:p") == {"probe"}
    assert found("user_metadata.n:7") == set()
    assert found("user_metadata.n:[8 TO 8]") == {"probe"}
    assert found("user_metadata.keep:k AND user_metadata.flag:true") == {"probe"}
    api.patch(user_path(user_id), {"user_metadata": {"keep": None}})
    assert found("user_metadata.keep:k") == set()
    assert found("user_metadata.flag:true") == {"probe"}
    api.delete(user_path(user_id))
    assert found("app_metadata.probe:after") == set()


QUERY_CHARACTERS = string.ascii_letters[:6] + string.digits[:3] + ' :*"()[]{}\\._-!?&|+/@'
WORDS = st.sampled_from(
    [
        "AND",
        "OR",
        "NOT",
        "TO",
        "name",
        "email.domain",
        "user_metadata.a",
        "app_metadata.b.c",
        "logins_count",
        "created_at",
        "_exists_",
        "identities.connection",
        "blocked",
        "2017-12",
        "*",
    ]
)


@settings(max_examples=150)
@given(st.lists(st.one_of(WORDS, st.text(QUERY_CHARACTERS, max_size=6)), max_size=10))
def test_no_query_is_anything_but_200_or_400(api: Api, pieces: list[str]) -> None:
    q = " ".join(pieces) if len(pieces) % 2 else "".join(pieces)
    response = api.get("/api/v2/users", q=q or "*", per_page=1)
    assert response.status_code in (200, 400), (q, response.text)
    if response.status_code == 400:
        assert response.json()["errorCode"] == "invalid_query_string"
