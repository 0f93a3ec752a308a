"""User search: a parsed `Query` (domain/search) compiled to one SQL condition on `users`.

Every value the query carries reaches the database as a bound parameter; LIKE and GLOB
patterns have their own wildcards escaped. Root columns are compared directly (case-insensitive
ones through `lower()`, which the indexes of migration 0006 cover). Metadata differs by
database: PostgreSQL runs a jsonpath on the JSONB column (`@?`, which the GIN jsonb_path_ops
indexes answer for equality), SQLite looks values up in `user_search_terms`.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any, TypeGuard

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from selfauth.domain.search.ast import (
    And,
    Compare,
    Exists,
    FieldKind,
    MatchAll,
    MatchNone,
    Not,
    Op,
    Or,
    Pattern,
    Query,
    Scalar,
    ValueType,
)
from selfauth.domain.search.terms import term_changes
from selfauth.domain.users.model import User
from selfauth.errors import SelfauthError
from selfauth.storage.database import Conn, Database
from selfauth.storage.search_terms_bulk import term_row, term_rows
from selfauth.storage.tables import user_search_terms as terms
from selfauth.storage.tables import users

Condition = sa.ColumnElement[bool]
_OPERATORS: dict[Op, Callable[[Any, Any], Condition]] = {
    Op.EQ: lambda a, b: a == b,
    Op.LT: lambda a, b: a < b,
    Op.LE: lambda a, b: a <= b,
    Op.GT: lambda a, b: a > b,
    Op.GE: lambda a, b: a >= b,
}
_JSONPATH_OPERATORS = {Op.EQ: "==", Op.LT: "<", Op.LE: "<=", Op.GT: ">", Op.GE: ">="}
# SQLite runs queries on the event loop, so one must not run for long (PostgreSQL: unbounded).
SEARCH_DEADLINE_SECONDS = 10.0
# SQLite's unary `+` keeps a column out of index selection: the (path, value) indexes, which
# both start with the path, are then not used for a per-user check.
_UNINDEXED_PATH: sa.ColumnElement[str] = sa.literal_column("+user_search_terms.path", sa.String)
# Linked secondary accounts (account linking) are no users of their own: no search finds them.
# Their primary matches their identity instead (it is in the primary's `identities`). The index
# on linked_to is partial (IS NOT NULL), so this never steers a plan.
_OWN_USERS: Condition = users.c.linked_to.is_(None)
# The largest code point: every string starting with p sorts before p + this.
_AFTER_ALL = "\U0010ffff"


class SearchTimeout(SelfauthError):
    status_code = 503
    error_code = "search_timeout"

    def __init__(self) -> None:
        super().__init__("The search took too long; narrow the query.")


def condition(
    query: Query, dialect: str, driving: Mapping[Query, list[str]] | None = None
) -> Condition:
    """The WHERE clause selecting the users `query` matches. On SQLite, the metadata tests in
    `driving` find their users through the term index (few matches, looked up first); every
    other one is checked user by user as the users are read in page order."""
    return _Compiler(dialect, driving or {}).compile(query)


class _Compiler:
    def __init__(self, dialect: str, driving: Mapping[Query, list[str]]) -> None:
        self.postgres = dialect == "postgresql"
        self.driving = driving

    def compile(self, query: Query) -> Condition:
        ids = self.driving.get(query)
        if ids is not None:
            among = users.c.user_id.in_(ids)
            # A metadata test's ids are exactly its matches; an AND's are a superset of its
            # matches (the intersection of its metadata tests), so its tests still apply.
            return among if _is_term_test(query) else sa.and_(among, self._compile(query))
        return self._compile(query)

    def _compile(self, query: Query) -> Condition:
        if isinstance(query, And):
            return sa.and_(*(self.compile(item) for item in query.items))
        if isinstance(query, Or):
            return sa.or_(*(self.compile(item) for item in query.items))
        if isinstance(query, Not):
            return sa.not_(self.compile(query.item))
        if isinstance(query, MatchAll):
            return sa.true()
        if isinstance(query, MatchNone):
            return sa.false()
        if query.field.kind is FieldKind.METADATA:
            return self._metadata(query)
        if query.field.kind is FieldKind.IDENTITY:
            return self._identity(query)
        return self._column(query)

    # --- root columns and email.domain ------------------------------------

    def _column(self, query: Compare | Pattern | Exists) -> Condition:
        column = users.c[query.field.name]
        if isinstance(query, Exists):
            return column.is_not(None)
        expression: sa.ColumnElement[Any] = column
        if query.field.kind is FieldKind.EMAIL_DOMAIN:
            expression = self._email_domain()
        # `IS NOT NULL AND ...` keeps the predicate two-valued, so NOT keeps unset fields.
        return sa.and_(column.is_not(None), self._match(query, expression))

    def _email_domain(self) -> sa.ColumnElement[Any]:
        email = users.c.email
        if self.postgres:
            return sa.func.split_part(email, "@", 2)
        return sa.func.substr(email, sa.func.instr(email, "@") + 1)

    def _match(self, query: Compare | Pattern, expression: sa.ColumnElement[Any]) -> Condition:
        folded = query.field.type is ValueType.FOLDED_TEXT
        if isinstance(query, Pattern):
            return self._pattern(expression, query.segments, folded)
        value: Any = query.value
        if folded:
            expression = sa.func.lower(expression)
            value = sa.func.lower(sa.literal(value, sa.String))
        elif query.field.type is ValueType.DATE:
            value = sa.literal(value, users.c.created_at.type)
        return _OPERATORS[query.op](expression, value)

    def _pattern(
        self, expression: sa.ColumnElement[Any], segments: tuple[str, ...], folded: bool
    ) -> Condition:
        if self.postgres:
            pattern: Any = sa.literal("%".join(_like_escape(s) for s in segments), sa.String)
            if folded:
                return sa.func.lower(expression).like(sa.func.lower(pattern), escape="\\")
            return expression.like(pattern, escape="\\")
        # SQLite's LIKE ignores ASCII case; GLOB is case-sensitive, so it serves both rules.
        pattern = sa.literal("*".join(_glob_escape(s) for s in segments), sa.String)
        if folded:
            return sa.func.lower(expression).op("GLOB")(sa.func.lower(pattern))
        return expression.op("GLOB")(pattern)

    # --- identities ---------------------------------------------------------

    def _identity(self, query: Compare | Pattern | Exists) -> Condition:
        key = query.field.name
        if self.postgres and isinstance(query, Compare) and query.op is Op.EQ:
            # Containment, which the GIN index on identities answers.
            document = sa.literal([{key: query.value}], postgresql.JSONB)
            return users.c.identities.op("@>")(document)
        if self.postgres:
            elements = sa.func.jsonb_array_elements(users.c.identities).table_valued("value")
            identity = elements.alias("identity")
            value: sa.ColumnElement[Any] = identity.c.value.op("->>")(key)
        else:
            elements = sa.func.json_each(users.c.identities).table_valued("value")
            identity = elements.alias("identity")
            value = sa.func.json_extract(identity.c.value, _sqlite_path((key,)))
        where: Condition
        if isinstance(query, Exists):
            where = value.is_not(None)
        elif isinstance(query, Compare) and isinstance(query.value, bool):
            flag = ("true" if query.value else "false") if self.postgres else int(query.value)
            where = value == flag
        else:
            where = sa.and_(value.is_not(None), self._match(query, value))
        return sa.select(1).select_from(identity).where(where).exists()

    # --- metadata -------------------------------------------------------------

    def _metadata(self, query: Compare | Pattern | Exists) -> Condition:
        if self.postgres:
            return _jsonpath_condition(query)
        # Checked per user through that user's own terms: SQLite would otherwise walk the
        # (path, value) index, which for a common value means every match, for every user.
        return (
            sa.select(1)
            .select_from(terms)
            .where(terms.c.user_id == users.c.user_id, _term_condition(query, _UNINDEXED_PATH))
            .exists()
        )


def _term_condition(
    query: Compare | Pattern | Exists,
    path_column: sa.ColumnElement[str] | None = None,
    source: sa.FromClause = terms,
) -> Condition:
    """The test on the rows of `source`: the term table, or an alias of it."""
    path = query.field.label
    path_column = source.c.path if path_column is None else path_column
    if isinstance(query, Exists):
        below = sa.and_(path_column > f"{path}.", path_column < f"{path}/")
        return below if not query.field.path else sa.or_(path_column == path, below)
    at = path_column == path
    if isinstance(query, Pattern):
        glob = "*".join(_glob_escape(s) for s in query.segments)
        # `IS NOT NULL` names the partial (path, text) index's condition, which SQLite does
        # not infer from GLOB.
        text = source.c.text
        found = sa.and_(at, text.is_not(None), text.op("GLOB")(sa.literal(glob, sa.String)))
        prefix = query.segments[0]
        if prefix:  # a range the (path, text) index can seek, before GLOB checks each row
            found = sa.and_(found, text >= prefix, text < prefix + _AFTER_ALL)
        return found
    value = query.value
    if isinstance(value, bool):
        return sa.and_(at, source.c.flag == value) if query.op is Op.EQ else sa.false()
    column = source.c.number if isinstance(value, float) else source.c.text
    return sa.and_(at, _OPERATORS[query.op](column, value))


def _jsonpath_condition(query: Compare | Pattern | Exists) -> Condition:
    column = users.c[query.field.name]
    accessors = "$" + "".join(f".{_jsonpath_string(key)}" for key in query.field.path)
    if isinstance(query, Exists):
        scalar = '@.type() == "string" || @.type() == "number" || @.type() == "boolean"'
        path = f"{accessors}.** ? ({scalar})"
    elif isinstance(query, Pattern):
        path = f"{accessors} ? ({_jsonpath_pattern(query.segments)})"
    else:
        operator = _JSONPATH_OPERATORS[query.op]
        path = f"{accessors} ? (@ {operator} {_jsonpath_value(query.value)})"
    # The path travels as a bound parameter; the values inside it are jsonpath literals.
    return column.op("@?")(sa.cast(sa.literal(path, sa.String), postgresql.JSONPATH))


def _jsonpath_pattern(segments: tuple[str, ...]) -> str:
    if len(segments) == 2 and not segments[1]:
        return f"@ starts with {_jsonpath_string(segments[0])}"
    regex = "^" + ".*".join(_regex_escape(s) for s in segments) + "$"
    return f'@ like_regex {_jsonpath_string(regex)} flag "s"'


def _jsonpath_value(value: Scalar) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    assert isinstance(value, str)
    return _jsonpath_string(value)


def _jsonpath_string(text: str) -> str:
    """A jsonpath string literal: JSON's escapes, ASCII only."""
    return json.dumps(text, ensure_ascii=True)


def _regex_escape(text: str) -> str:
    # Every character that is not a letter or digit is escaped: POSIX regex treats an escaped
    # non-alphanumeric as itself.
    return re.sub(r"([^0-9A-Za-z])", r"\\\1", text)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _glob_escape(text: str) -> str:
    return text.replace("[", "[[]").replace("*", "[*]").replace("?", "[?]")


def _sqlite_path(keys: tuple[str, ...]) -> str:
    return "$" + "".join(f".{json.dumps(key)}" for key in keys)


# --- the term table (SQLite) -------------------------------------------------


async def write_terms(conn: Conn, user: User, *, replace: bool) -> None:
    """Keep `user_search_terms` in step with the user's metadata, in the caller's transaction."""
    await write_terms_of(conn, [user], replace=replace)


async def write_terms_of(conn: Conn, changed: list[User], *, replace: bool) -> None:
    """`write_terms` for a batch of users. Every writer of users' metadata must call one of
    these on SQLite, or the users' metadata is not searchable there."""
    if conn.dialect != "sqlite" or not changed:
        return
    if replace:
        ids = [user.user_id for user in changed]
        await conn.execute(terms.delete().where(terms.c.user_id.in_(ids)))
    rows = [row for user in changed for row in term_rows(user)]
    if rows:
        await conn.insert_rows(terms, rows)


# --- planning (SQLite) ------------------------------------------------------------
#
# SQLite keeps no statistics of how many users hold a metadata value, so its planner cannot
# tell a value three users have from one most users have and picks one plan for both: either
# it collects every match and sorts them (seconds when most users match), or it reads users in
# page order and checks each one (seconds when almost none match). So the search first asks each
# metadata test of the query for its users, stopping at `FEW`: a test with fewer has given all
# its users, which then drive the query (looked up by id, sorted, at most FEW of them). If no
# test bounds the query that way, users are read in page order and checked one by one, which
# finds a page of a common match after a few thousand reads.
FEW = 2000
# An AND of tests that each match many users may still match few together (tags:"beta" AND
# roles:"admin"). When its smallest test matches fewer than this, the tests' users are
# intersected in the term index (which holds them in order) to find out.
INTERSECT_UP_TO = 200_000


async def _driving(conn: Conn, query: Query) -> dict[Query, list[str]]:
    """The metadata tests whose users bound the whole query, with those users' ids."""
    bound, tests = await _bound(conn, query)
    return tests if bound < FEW else {}


async def _bound(conn: Conn, query: Query) -> tuple[float, dict[Query, list[str]]]:
    """An upper bound of the query's matches (infinity when unknown), and the tests, with
    their users, that realise it."""
    if isinstance(query, MatchNone):
        return 0, {}
    if isinstance(query, And):
        for item in query.items:  # the first few-matching test is enough to drive
            found = await _bound(conn, item)
            if found[0] < FEW:
                return found
        return await _intersection(conn, query)
    if isinstance(query, Or):
        total, tests = 0.0, dict[Query, list[str]]()
        for item in query.items:
            count, realised = await _bound(conn, item)
            total += count
            if total >= FEW:
                return float("inf"), {}
            tests.update(realised)
        return total, tests
    if _is_term_test(query):
        # No DISTINCT: with it SQLite walks the user_id index to stop early, which for a rare
        # value reads the whole table. A user holding the value twice (in an array) counts
        # twice, which only makes the bound safer.
        some = sa.select(terms.c.user_id).where(_term_condition(query)).limit(FEW)
        rows = list((await conn.execute(some)).scalars())
        ids = list(dict.fromkeys(rows))
        return (len(ids), {query: ids}) if len(rows) < FEW else (float("inf"), {})
    return float("inf"), {}


def _is_term_test(query: Query) -> TypeGuard[Compare | Pattern]:
    return isinstance(query, Compare | Pattern) and query.field.kind is FieldKind.METADATA


async def _intersection(conn: Conn, query: And) -> tuple[float, dict[Query, list[str]]]:
    tests = [item for item in query.items if _is_term_test(item)]
    if len(tests) < 2:
        return float("inf"), {}
    sizes = []
    for test in tests:
        some = sa.select(terms.c.user_id).where(_term_condition(test)).limit(INTERSECT_UP_TO)
        counted = sa.select(sa.func.count()).select_from(some.subquery())
        sizes.append((await conn.execute(counted)).scalar_one())
    if min(sizes) >= INTERSECT_UP_TO:
        return float("inf"), {}
    both = sa.intersect(
        *(sa.select(terms.c.user_id).where(_term_condition(test)) for test in tests)
    ).subquery()
    ids = list((await conn.execute(sa.select(both.c.user_id).limit(FEW))).scalars())
    if len(ids) >= FEW:
        return float("inf"), {}
    # These users drive the AND; each of its tests is still checked per user.
    return len(ids), {query: ids}


# One term of one user, NULL-safe on the value columns; bound in (user, path, text, number,
# flag) order.
_DELETE_TERM = terms.delete().where(
    terms.c.user_id == sa.bindparam("u"),
    terms.c.path == sa.bindparam("p"),
    terms.c.text.is_not_distinct_from(sa.bindparam("t", type_=sa.Text)),
    terms.c.number.is_not_distinct_from(sa.bindparam("n", type_=sa.Float)),
    terms.c.flag.is_not_distinct_from(sa.bindparam("f", type_=sa.Boolean)),
)


async def write_term_changes(conn: Conn, before: User, after: User) -> None:
    """Bring one user's terms from `before`'s metadata to `after`'s, touching only the terms
    that differ: a PATCH of one key of fifty rewrites one term, not fifty."""
    if conn.dialect != "sqlite":
        return
    gone, added = term_changes(
        (before.user_metadata, before.app_metadata), (after.user_metadata, after.app_metadata)
    )
    if gone:
        await conn.run_many(_DELETE_TERM, [term_row(after.user_id, t) for t in gone])
    if added:
        # On the driver, as imports do: SQLAlchemy's per-row work would lengthen the time a
        # PATCH holds SQLite's single write lock.
        await conn.insert_rows(terms, [term_row(after.user_id, t) for t in added])


# --- running a search ----------------------------------------------------------


def _users(rows: Any) -> list[User]:
    return [User(**row._mapping) for row in rows]


async def page(
    db: Database,
    query: Query,
    *,
    offset: int,
    limit: int,
    sort: str,
    descending: bool,
    count_up_to: int | None,
) -> tuple[list[User], int | None]:
    """One page in `sort` order (user_id breaks ties); the total counts at most `count_up_to`
    matches, so a query matching millions costs no more than the window it may show."""
    async with _reading(db) as conn:
        driving = await _driving(conn, query) if conn.dialect == "sqlite" else {}
        where = sa.and_(_OWN_USERS, condition(query, conn.dialect, driving))
        column = _unindexed(sort) if driving else users.c[sort]
        order = column.desc() if descending else column.asc()
        tie = users.c.user_id.desc() if descending else users.c.user_id.asc()
        statement = users.select().where(where).order_by(order, tie).offset(offset).limit(limit)
        found = _users((await conn.execute(statement)).all())
        total = None
        if count_up_to is not None:
            lead = None if driving or conn.dialect != "sqlite" else _necessary_term(query)
            counted = _count(where, count_up_to, lead)
            total = (await conn.execute(counted)).scalar_one()
    return found, total


def _necessary_term(query: Query) -> Compare | Pattern | None:
    """A metadata test every match passes: the query itself, or a test ANDed at its top."""
    if _is_term_test(query):
        return query
    if isinstance(query, And):
        return next((item for item in query.items if _is_term_test(item)), None)
    return None


def _count(where: Condition, up_to: int, lead: Compare | Pattern | None) -> sa.Select[Any]:
    """How many users `where` selects, counting at most `up_to`. With a `lead` test (SQLite),
    only the users holding its term are candidates, read off the (path, value) index: never more
    of them than reading all users in table order, and for a value 2% of a million users hold,
    the 1,000 a total shows take 1,000 candidates instead of 50,000 (110 ms to a few)."""
    if lead is None:
        matches = sa.select(sa.literal(1)).select_from(users).where(where)
    else:
        # An alias: `where`'s own per-user term checks correlate to `users` alone.
        held = terms.alias("lead_terms")
        joined = held.join(users, users.c.user_id == held.c.user_id)
        # DISTINCT: an array may hold the value twice, or a pattern match two of its elements.
        matches = (
            sa.select(users.c.user_id)
            .distinct()
            .select_from(joined)
            .where(_term_condition(lead, source=held), where)
        )
    return sa.select(sa.func.count()).select_from(matches.limit(up_to).subquery())


def _unindexed(sort: str) -> sa.ColumnElement[Any]:
    """The sort column kept out of SQLite's index choice (unary `+`): with few driving users,
    reading the sort index in order and testing each user against them would read most of the
    table. `sort` is a column name of ours (checked against `users.c`), never the caller's text."""
    return sa.literal_column(f"+{users.name}.{users.c[sort].name}", users.c[sort].type)


async def walk(
    db: Database, query: Query, *, after: tuple[Any, str] | None, take: int
) -> list[User]:
    """The next `take` matches in (created_at, user_id) order, after the checkpoint `after`."""
    async with _reading(db) as conn:
        driving = await _driving(conn, query) if conn.dialect == "sqlite" else {}
        statement = users.select().where(_OWN_USERS, condition(query, conn.dialect, driving))
        created = _unindexed("created_at") if driving else users.c.created_at
        if after is not None:
            created_at, user_id = after
            at = sa.literal(created_at, users.c.created_at.type)
            statement = statement.where(
                sa.or_(created > at, sa.and_(created == at, users.c.user_id > user_id))
            )
        statement = statement.order_by(created, users.c.user_id).limit(take)
        return _users((await conn.execute(statement)).all())


@asynccontextmanager
async def _reading(db: Database) -> AsyncIterator[Conn]:
    """A read under the search deadline; a search past it is 503, as Auth0's timeout."""
    try:
        async with db.read() as conn:
            with db.deadline(SEARCH_DEADLINE_SECONDS):
                yield conn
    except sa.exc.OperationalError as exc:
        if "interrupted" not in str(exc):
            raise
        raise SearchTimeout() from None
