"""One async face over two engines.

PostgreSQL runs on SQLAlchemy's async engine with asyncpg. SQLite runs on the plain `sqlite3`
driver called inline on the event loop: a keyed read takes tens of microseconds, while aiosqlite
hops threads on every statement and serves about a third of the requests (see
docs/architecture.md). Inline calls never yield, so one SQLite transaction cannot interleave
with another in this process; writers also queue on an asyncio lock before `BEGIN IMMEDIATE`,
so a writer never blocks the loop waiting for a lock another coroutine holds.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import Any, Protocol

import asyncpg
import orjson
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import asyncpg as postgresql_asyncpg
from sqlalchemy.engine import Connection, Engine, Result
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.sql import Executable

from selfauth.config import DatabaseURL
from selfauth.errors import ServiceUnavailable
from selfauth.storage.wal_checkpoints import INLINE_CHECKPOINT_PAGES, WalCheckpointer

log = logging.getLogger("selfauth.database")

# How long a request waits for a free connection before it is told to retry (503).
POOL_WAIT_SECONDS = 30.0
# What acquiring a connection raises when PostgreSQL is full, restarting or away.
_UNREACHABLE = (
    sa.exc.TimeoutError,
    sa.exc.DBAPIError,
    asyncpg.PostgresError,
    OSError,
    TimeoutError,
)


def _unavailable(exc: BaseException) -> ServiceUnavailable:
    log.warning("no database connection: %s: %s", type(exc).__name__, exc)
    return ServiceUnavailable("The database is not available; retry in a moment.")


@asynccontextmanager
async def _connected(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A pooled connection, or 503 when none can be had (not a 500: nothing is wrong with
    the request, and a retry may succeed)."""
    connection = engine.connect()
    try:
        await connection.start()
    except _UNREACHABLE as exc:
        raise _unavailable(exc) from exc
    try:
        yield connection
    finally:
        await connection.close()


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


class Conn(Protocol):
    """What repositories need: run a statement inside the current transaction."""

    @property
    def dialect(self) -> str: ...

    async def execute(
        self,
        statement: Executable,
        parameters: Mapping[str, Any] | list[dict[str, Any]] | None = None,
    ) -> Result[Any]: ...

    async def fetch_row(self, sql: str, params: tuple[Any, ...]) -> tuple[Any, ...] | None:
        """Driver-level SQL (from storage/lookup.py) inside this transaction."""
        ...

    async def fetch_all(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        """Every row of a driver-level SELECT inside this transaction."""
        ...

    async def insert_rows(self, table: sa.Table, rows: Sequence[tuple[Any, ...]]) -> None:
        """Bulk insert of rows holding every column in table order, already in the driver's
        types (JSON as text; on SQLite datetimes as text and booleans as 0/1), inside this
        transaction: for imports, where SQLAlchemy's per-row processing costs more than the
        insert itself."""
        ...

    async def run_many(self, statement: sa.Delete, rows: Sequence[tuple[Any, ...]]) -> None:
        """`statement` once per parameter tuple (its bind parameters in order), on the driver,
        inside this transaction."""
        ...


class _InlineConn:
    """A sync SQLite connection behind the async `Conn` interface."""

    dialect = "sqlite"

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def execute(
        self,
        statement: Executable,
        parameters: Mapping[str, Any] | list[dict[str, Any]] | None = None,
    ) -> Result[Any]:
        return self._connection.execute(statement, parameters)

    async def fetch_row(self, sql: str, params: tuple[Any, ...]) -> tuple[Any, ...] | None:
        cursor = self._connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            row = cursor.execute(sql, params).fetchone()
        finally:
            cursor.close()
        return None if row is None else tuple(row)

    async def fetch_all(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        cursor = self._connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            return [tuple(row) for row in cursor.execute(sql, params).fetchall()]
        finally:
            cursor.close()

    async def insert_rows(self, table: sa.Table, rows: Sequence[tuple[Any, ...]]) -> None:
        cursor = self._connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(_sqlite_insert(table), rows)
        finally:
            cursor.close()

    async def run_many(self, statement: sa.Delete, rows: Sequence[tuple[Any, ...]]) -> None:
        cursor = self._connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(_compiled(statement, "sqlite"), rows)
        finally:
            cursor.close()


class _AsyncConn:
    dialect = "postgresql"

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def execute(
        self,
        statement: Executable,
        parameters: Mapping[str, Any] | list[dict[str, Any]] | None = None,
    ) -> Result[Any]:
        return await self._connection.execute(statement, parameters)

    async def fetch_row(self, sql: str, params: tuple[Any, ...]) -> tuple[Any, ...] | None:
        # Through SQLAlchemy, so the statement runs inside the transaction it has begun.
        row = (await self._connection.exec_driver_sql(sql, params)).first()
        return None if row is None else tuple(row)

    async def fetch_all(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in (await self._connection.exec_driver_sql(sql, params)).all()]

    async def insert_rows(self, table: sa.Table, rows: Sequence[tuple[Any, ...]]) -> None:
        # A statement through SQLAlchemy first, so that its transaction has begun on the
        # driver's connection before COPY runs there.
        await self._connection.exec_driver_sql("SELECT 1")
        raw = await self._connection.get_raw_connection()
        driver: asyncpg.Connection = raw.driver_connection
        columns = [column.name for column in table.columns]
        await driver.copy_records_to_table(table.name, records=rows, columns=columns)

    async def run_many(self, statement: sa.Delete, rows: Sequence[tuple[Any, ...]]) -> None:
        await self._connection.exec_driver_sql("SELECT 1")  # the transaction has begun
        raw = await self._connection.get_raw_connection()
        driver: asyncpg.Connection = raw.driver_connection
        await driver.executemany(_compiled(statement, "postgresql"), rows)


@functools.cache
def _compiled(statement: sa.Delete, dialect: str) -> str:
    """The statement's SQL for the driver, compiled once per statement object and dialect."""
    found = sqlite.dialect() if dialect == "sqlite" else postgresql_asyncpg.dialect()  # type: ignore[no-untyped-call]
    return str(statement.compile(dialect=found))


@functools.cache
def _sqlite_insert(table: sa.Table) -> str:
    """`INSERT INTO t (every column) VALUES (?, ...)`, compiled once per table."""
    return str(table.insert().compile(dialect=sqlite.dialect()))


class Database:
    """Owns the engine and hands out transactions: `read()` and `write()`."""

    def __init__(
        self, url: DatabaseURL, *, connections: int = 30, background_checkpoints: bool = False
    ) -> None:
        """`connections`: PostgreSQL connections this process may open at most, a third of
        them for key lookups (`fetch_rows`) and the rest for transactions.
        `background_checkpoints` (a server's): SQLite's WAL checkpoints run on a thread once
        `start_checkpoints()` is called, not inside a request's commit (wal_checkpoints.py)."""
        self.url = url
        self.dialect = url.dialect
        self._sync_engine: Engine | None = None
        self._async_engine: AsyncEngine | None = None
        self._read_engine: AsyncEngine | None = None
        self._sqlite_reader: Connection | None = None
        self._lookup_pool: asyncpg.Pool | None = None
        self._lookup_pool_lock = asyncio.Lock()
        self._write_lock = asyncio.Lock()
        self._lookup_connections = max(1, connections // 3)
        self._checkpointer: WalCheckpointer | None = None
        if url.dialect == "sqlite":
            pages = INLINE_CHECKPOINT_PAGES if background_checkpoints else _AUTOCHECKPOINT_PAGES
            self._sync_engine = _sqlite_engine(url.sqlalchemy, pages)
            if background_checkpoints:
                path = self._sync_engine.url.database
                assert path, "a SQLite URL names a file (config.parse_database_url)"
                self._checkpointer = WalCheckpointer(path)
        else:
            self._async_engine = create_async_engine(
                url.sqlalchemy,
                json_serializer=_json_dumps,
                json_deserializer=orjson.loads,
                # Opened as needed, never more: processes x connections must fit under
                # PostgreSQL's max_connections, or requests fail where they could wait.
                pool_size=connections - self._lookup_connections,
                max_overflow=0,
                pool_timeout=POOL_WAIT_SECONDS,
                pool_pre_ping=False,
                skip_autocommit_rollback=True,
            )
            # Reads skip BEGIN/COMMIT: two network round trips fewer per lookup.
            self._read_engine = self._async_engine.execution_options(isolation_level="AUTOCOMMIT")

    def start_checkpoints(self) -> None:
        """Begin the background WAL checkpoints (SQLite, when asked for at construction)."""
        if self._checkpointer is not None:
            self._checkpointer.start()

    @property
    def sync_engine(self) -> Engine | None:
        return self._sync_engine

    @property
    def async_engine(self) -> AsyncEngine | None:
        return self._async_engine

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Conn]:
        """Statements that only read; each sees the latest committed data.

        No transaction is opened: lookups are single statements, and BEGIN/COMMIT would cost
        more than the lookup itself.
        """
        if self._sync_engine is not None:
            # Inline reads never yield to the loop, so one connection serves them all in turn.
            reader = self._sqlite_reader
            if reader is None:
                reader = self._sqlite_reader = self._sync_engine.connect()
                reader.info["begin"] = None
            try:
                yield _InlineConn(reader)
            finally:
                reader.commit()  # ends SQLAlchemy's bookkeeping; no SQL transaction was open
            return
        assert self._read_engine is not None
        async with _connected(self._read_engine) as aconnection:
            yield _AsyncConn(aconnection)

    @contextmanager
    def deadline(self, seconds: float) -> Iterator[None]:
        """SQLite reads inside this block (within `read()`) fail with OperationalError after
        `seconds`: they run on the event loop, so a runaway query would stall every request.
        PostgreSQL queries wait off the loop; there this does nothing."""
        reader = self._sqlite_reader
        if reader is None:
            yield
            return
        dbapi = reader.connection.dbapi_connection
        assert dbapi is not None
        limit = time.monotonic() + seconds
        dbapi.set_progress_handler(lambda: time.monotonic() > limit, 100_000)
        try:
            yield
        finally:
            dbapi.set_progress_handler(None, 0)

    async def fetch_row(self, sql: str, params: tuple[Any, ...]) -> tuple[Any, ...] | None:
        """Run one precompiled SELECT on the driver itself and return its first row.

        The hot lookups (a user, a client, a grant by key) take this path: SQLAlchemy's
        execution machinery costs several times the query itself. `sql` comes from
        `storage/lookup.py`, which compiles it from the table definitions.
        """
        rows = await self.fetch_rows(sql, params, limit=1)
        return rows[0] if rows else None

    async def fetch_rows(
        self, sql: str, params: tuple[Any, ...], *, limit: int | None = None
    ) -> list[tuple[Any, ...]]:
        if self._sync_engine is not None:
            async with self.read():
                assert self._sqlite_reader is not None
                dbapi = self._sqlite_reader.connection.dbapi_connection
                cursor = dbapi.cursor()  # type: ignore[union-attr]
                try:
                    cursor.execute(sql, params)
                    rows = cursor.fetchmany(limit) if limit else cursor.fetchall()
                finally:
                    cursor.close()
            return [tuple(row) for row in rows]
        pool = self._lookup_pool or await self._open_lookup_pool()
        try:
            driver = await pool.acquire(timeout=POOL_WAIT_SECONDS)
        except _UNREACHABLE as exc:
            raise _unavailable(exc) from exc
        try:
            records = await driver.fetch(sql, *params)
        finally:
            await pool.release(driver)
        return [tuple(record) for record in (records[:limit] if limit else records)]

    async def _open_lookup_pool(self) -> asyncpg.Pool:
        """asyncpg's own pool for key lookups: a checkout through SQLAlchemy's async pool costs
        more than the query. Lookups only read and never change session state, so the
        per-release reset (several statements) is skipped."""
        async with self._lookup_pool_lock:
            if self._lookup_pool is None:
                dsn = self.url.sqlalchemy.replace("postgresql+asyncpg://", "postgresql://", 1)
                try:
                    self._lookup_pool = await asyncpg.create_pool(
                        dsn, min_size=1, max_size=self._lookup_connections, reset=_no_reset
                    )
                except _UNREACHABLE as exc:
                    raise _unavailable(exc) from exc
        return self._lookup_pool

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Conn]:
        """A transaction that may write; commits on success, rolls back on any error."""
        if self._sync_engine is not None:
            async with self._write_lock:
                with self._sync_engine.connect() as connection:
                    await _begin_immediate(connection)
                    connection.info["begin"] = None  # begun above; SQLAlchemy only tracks it
                    try:
                        with connection.begin():
                            yield _InlineConn(connection)
                    finally:
                        connection.info.pop("begin", None)
            return
        assert self._async_engine is not None
        async with _connected(self._async_engine) as aconnection, aconnection.begin():
            yield _AsyncConn(aconnection)

    def pool_use(self) -> dict[tuple[str, str], int]:
        """What `/metrics` reports of the connections, all kept in memory (no query):
        PostgreSQL's SQLAlchemy pool and asyncpg lookup pool, checked out and open; SQLite's
        writers queued on this process's write lock (the one in `write()` excluded)."""
        if self._async_engine is not None:
            pool: Any = self._async_engine.pool  # QueuePool: checkedout()/checkedin()
            found = {
                ("sqlalchemy", "in_use"): int(pool.checkedout()),
                ("sqlalchemy", "open"): int(pool.checkedout() + pool.checkedin()),
            }
            lookups = self._lookup_pool
            if lookups is not None:
                found[("lookup", "in_use")] = lookups.get_size() - lookups.get_idle_size()
                found[("lookup", "open")] = lookups.get_size()
            return found
        # asyncio.Lock keeps its waiters in a private deque; reading its length is free.
        waiters = getattr(self._write_lock, "_waiters", None)
        return {("sqlite_writer", "waiting"): len(waiters) if waiters else 0}

    async def dispose(self) -> None:
        if self._checkpointer is not None:
            await self._checkpointer.stop()
        if self._lookup_pool is not None:
            await self._lookup_pool.close()
            self._lookup_pool = None
        if self._sqlite_reader is not None:
            self._sqlite_reader.close()
            self._sqlite_reader = None
        if self._sync_engine is not None:
            self._sync_engine.dispose()
        if self._async_engine is not None:
            await self._async_engine.dispose()


# Another process's write (a second worker, `selfauth users import`) holds SQLite's one write
# lock for a moment. Waiting for it inside SQLite's busy handler would stall this process's
# event loop for as long; instead each try waits at most BUSY_TRY_MS in SQLite, and between
# tries the loop serves other requests. Past WRITE_WAIT_SECONDS the request is answered 503.
BUSY_TRY_MS = 10
WRITE_WAIT_SECONDS = 5.0
_BUSY_MS = 5000  # every connection's own busy timeout (migrations and the CLI wait in SQLite)


async def _begin_immediate(connection: Connection) -> None:
    """BEGIN IMMEDIATE on `connection`, waiting for another process's write off the loop."""
    dbapi = connection.connection.dbapi_connection
    assert dbapi is not None
    deadline = time.monotonic() + WRITE_WAIT_SECONDS
    pause = 0.002
    dbapi.execute(f"PRAGMA busy_timeout={BUSY_TRY_MS}")
    try:
        while True:
            try:
                dbapi.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    if "locked" in str(exc):
                        raise _unavailable(exc) from exc
                    raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.05)
    finally:
        dbapi.execute(f"PRAGMA busy_timeout={_BUSY_MS}")


async def _no_reset(_connection: asyncpg.Connection) -> None:
    return None


# SQLite's automatic checkpoint every 64 MB of WAL rather than its 4 MB default: an import of
# a million users wrote ~20% faster, and readers still see every commit at once. A server
# checkpoints on a thread as well, and checkpoints inline sooner (wal_checkpoints.py).
_AUTOCHECKPOINT_PAGES = 16384


def _sqlite_engine(url: str, autocheckpoint_pages: int) -> Engine:
    engine = sa.create_engine(
        url,
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
        pool_size=8,
        max_overflow=8,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transactions into our own hands (pysqlite's implicit BEGIN is too late and
        # too weak), then set the pragmas every connection needs.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA wal_autocheckpoint={autocheckpoint_pages}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={_BUSY_MS}")
        # 64 MB of page cache (the default is 2 MB): inserts into large tables' indexes (a bulk
        # import, a million users' search terms) otherwise re-read their pages from the OS.
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        statement = connection.info.get("begin", "BEGIN")
        if statement:  # None: the shared reader, which runs each SELECT on its own
            connection.exec_driver_sql(statement)

    return engine
