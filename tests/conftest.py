"""Shared fixtures: the suite runs on SQLite and on PostgreSQL, each test rolled back.

PostgreSQL comes from ``SANDAN_TEST_PG_URL`` (default: the local server, trust auth).  Locally a
missing server skips those tests with the reason; under ``CI=true`` nothing may skip.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from sandan.bootstrap import install_hooks, prepare_database
from sandan.db import Database, make_engine

CI = os.environ.get("CI", "").lower() == "true"
PG_ADMIN_URL = os.environ.get("SANDAN_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def need(condition: bool, reason: str) -> None:
    """Skip locally when a service or tool is missing; fail under CI, where nothing may skip."""
    if condition:
        return
    if CI:
        pytest.fail(f"required under CI: {reason}")
    pytest.skip(reason)


def _pg_available() -> bool:
    try:
        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


class Backend:
    def __init__(self, name: str, url: str, engine: Engine, cleanup: object) -> None:
        self.name, self.url, self.engine, self.cleanup = name, url, engine, cleanup


@pytest.fixture(scope="session")
def sqlite_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    path = tmp_path_factory.mktemp("db") / "test.db"
    url = f"sqlite:///{path}"
    prepare_database(url)
    engine = make_engine(url)
    yield Backend("sqlite", url, engine, None)
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_backend() -> Iterator[Backend | None]:
    if not _pg_available():
        yield None
        return
    name = f"sandan_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    prepare_database(url)
    engine = make_engine(url)
    yield Backend("postgres", url, engine, None)
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> Backend:
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_backend")  # type: ignore[no-any-return]
    found = request.getfixturevalue("postgres_backend")
    need(found is not None, f"PostgreSQL is not reachable at {PG_ADMIN_URL}")
    return found  # type: ignore[no-any-return]


@pytest.fixture
def db(backend: Backend) -> Iterator[Database]:
    """A Database whose sessions all join one outer transaction, rolled back after the test."""
    install_hooks()
    conn = backend.engine.connect()
    outer = conn.begin()
    try:
        yield Database(backend.url, engine=backend.engine, bind=conn)
    finally:
        outer.rollback()
        conn.close()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    need(path is not None, "Debian's chromium is not installed (apt-get install chromium)")
    assert path is not None
    return path


@pytest.fixture(scope="session")
def steel_csv() -> Path:
    path = SHARED_DATA / "steel_industry_gwangyang_2018.csv"
    need(path.exists(), f"the shared data set is missing at {path}")
    return path
