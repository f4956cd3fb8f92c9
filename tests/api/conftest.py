"""Fixtures of the API tests (the helpers live in :mod:`tests.api.support`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandan.bootstrap import install_hooks
from sandan.db import Database
from tests.api.support import World, build_world
from tests.conftest import PG_ADMIN_URL, need


@pytest.fixture
def world(db: Database) -> Iterator[World]:
    """The world in the test's rolled-back transaction."""
    w = build_world(db)
    try:
        yield w
    finally:
        w.client.__exit__(None, None, None)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def module_world(request: pytest.FixtureRequest) -> Iterator[World]:
    """One world for a whole module, in one transaction rolled back at its end (like ``db``, but
    built once): its tests must leave it as they found it, running every write in
    :func:`tests.api.support.rolled_back`."""
    if request.param == "sqlite":
        backend = request.getfixturevalue("sqlite_backend")
    else:
        backend = request.getfixturevalue("postgres_backend")
        need(backend is not None, f"PostgreSQL is not reachable at {PG_ADMIN_URL}")
    install_hooks()
    conn = backend.engine.connect()
    outer = conn.begin()
    try:
        w = build_world(Database(backend.url, engine=backend.engine, bind=conn))
        try:
            yield w
        finally:
            w.client.__exit__(None, None, None)
    finally:
        outer.rollback()
        conn.close()
