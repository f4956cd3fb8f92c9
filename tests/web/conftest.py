"""Web tests get their own SQLite file whose per-test rollback really rolls back.

pysqlite starts transactions lazily and does not count ``SAVEPOINT`` as one, so unless the
engine leaves transactions to SQLAlchemy, a released savepoint of the shared ``db`` fixture is
committed on SQLite and rows leak into later tests (PostgreSQL is not affected).  The pages
count the companies they show, so these tests make sure of it: the driver's transaction handling
is switched off and ``BEGIN`` is emitted by SQLAlchemy (the recipe of the SQLAlchemy SQLite
documentation) unless the engine factory already did so.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

from sandan.bootstrap import prepare_database
from sandan.db import make_engine
from tests.conftest import Backend


@pytest.fixture(scope="session")
def sqlite_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    url = f"sqlite:///{tmp_path_factory.mktemp('web-db') / 'web.db'}"
    prepare_database(url)
    engine = make_engine(url)

    @event.listens_for(engine, "connect")
    def _driver_transactions_off(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        if not connection.connection.driver_connection.in_transaction:
            connection.exec_driver_sql("BEGIN")

    yield Backend("sqlite", url, engine, None)
    engine.dispose()
