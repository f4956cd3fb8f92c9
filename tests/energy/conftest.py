"""Energy API tests reuse the API world: three tenants in two complexes and a token per role."""

from __future__ import annotations

from tests.api.conftest import world  # noqa: F401 - the fixture
