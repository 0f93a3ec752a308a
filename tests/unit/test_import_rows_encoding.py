"""Imports insert users and their search terms on the driver (storage/jobs.py `encode_users`):
the stored rows must be exactly those SQLAlchemy stores for the same user (storage/users.py and
`search.write_terms_of`), on SQLite, where the encoding is ours."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import orjson
import sqlalchemy as sa

from selfauth.domain.search.terms import metadata_terms
from selfauth.domain.users.model import User
from selfauth.storage.jobs import encode_users
from selfauth.storage.tables import user_search_terms, users


def _bare(table: sa.Table, metadata: sa.MetaData) -> sa.Table:
    """The table without its foreign keys (nothing else exists here)."""
    return sa.Table(table.name, metadata, *(sa.Column(c.name, c.type) for c in table.columns))


def test_driver_rows_are_the_rows_sqlalchemy_stores() -> None:
    now = datetime(2026, 11, 26, 4, 5, 6, tzinfo=UTC)  # no microseconds: still printed
    user = User(
        user_id="auth0|abc",
        connection_id="con_x",
        created_at=now,
        updated_at=now,
        email="ada@example.com",
        email_verified=True,
        given_name="Ada",
        identities=[{"provider": "auth0", "isSocial": False}],
        user_metadata={"city": "Zürich", "tags": ["a", 2, 2.5], "nested": {"on": True}},
        app_metadata={"plan": "pro", "off": False},
    )
    engine = sa.create_engine("sqlite://", json_serializer=lambda v: orjson.dumps(v).decode())
    metadata = sa.MetaData()
    plain_users, plain_terms = _bare(users, metadata), _bare(user_search_terms, metadata)
    metadata.create_all(engine)
    terms = metadata_terms(user.user_metadata, user.app_metadata)
    with engine.begin() as conn:
        conn.execute(plain_users.insert(), [dataclasses.asdict(user)])
        conn.execute(
            plain_terms.insert(),
            [{"user_id": user.user_id, **dataclasses.asdict(t)} for t in terms],
        )
        stored: Any = conn.connection.dbapi_connection
        stored_user = stored.execute("SELECT * FROM users").fetchall()
        stored_terms = stored.execute("SELECT * FROM user_search_terms").fetchall()
    encoded = encode_users("sqlite", [user])
    assert [encoded.users[user.user_id]] == stored_user
    assert encoded.terms[user.user_id] == stored_terms
    types = [[type(v) for v in row] for row in stored_terms]
    assert [[type(v) for v in row] for row in encoded.terms[user.user_id]] == types
