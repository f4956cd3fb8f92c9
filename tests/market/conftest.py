"""Fixtures of the market tests: the API tests' world (three tenants, a token per role)."""

from __future__ import annotations

from tests.api.conftest import world

__all__ = ["world"]
