"""Fixtures of the command tests (the API tests' world lives in :mod:`tests.api.support`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandan.db import Database
from tests.api.support import World, build_world


@pytest.fixture
def world(db: Database) -> Iterator[World]:
    """Three tenants, a token per role, each main meter allow-listed (0..100) with one requested command."""
    w = build_world(db)
    try:
        yield w
    finally:
        w.client.__exit__(None, None, None)
