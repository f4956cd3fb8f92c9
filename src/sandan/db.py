"""Engine and session factory: embedded SQLite by default, PostgreSQL in production."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Enum, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every table in every domain."""

    metadata = MetaData(naming_convention=NAMING)


def str_enum(cls: type[enum.Enum]) -> Enum:
    """A portable enum column stored as its string value (no native PostgreSQL enum type)."""
    return Enum(cls, native_enum=False, length=24, validate_strings=True,
                values_callable=lambda members: [m.value for m in members])


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite begins transactions on its own, late, and not before a SAVEPOINT: a savepoint taken
    # first then opens the transaction and its RELEASE commits it, even inside an outer
    # transaction that is later rolled back.  Leave transactions to SQLAlchemy (_sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # IMMEDIATE takes the write lock at the start: a transaction that reads and then writes can
    # never fail half-way with "database is locked" because another writer committed in between
    # (WAL readers are not blocked by it; writers wait up to busy_timeout).
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite files get WAL, foreign keys and their folder created."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


class Database:
    """One engine and its session factory."""

    def __init__(self, url: str, *, engine: Engine | None = None, bind: Any = None) -> None:
        self.url = url
        self.engine = engine or make_engine(url)
        if bind is None:
            self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        else:
            # tests: every session joins the test's outer transaction through a savepoint
            self.sessionmaker = sessionmaker(bind=bind, expire_on_commit=False,
                                             join_transaction_mode="create_savepoint")

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self, **info: Any) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error."""
        session = self.sessionmaker(info=dict(info))
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


@lru_cache
def get_database() -> Database:
    from sandan.settings import get_settings

    return Database(get_settings().database_url)
