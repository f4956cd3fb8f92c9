"""Fixtures of the circular tests: the API tests' module-wide world (tests/api/support.py)."""

from tests.api.conftest import module_world  # noqa: F401
