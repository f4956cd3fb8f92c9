"""Imports every domain's tables so that ``Base.metadata`` is complete (Alembic, tests)."""

from __future__ import annotations

from sandan.carbon import models as carbon_models  # noqa: F401
from sandan.circular import models as circular_models  # noqa: F401
from sandan.core import audit  # noqa: F401
from sandan.core.auth import models as auth_models  # noqa: F401
from sandan.core.tenancy import models as tenancy_models  # noqa: F401
from sandan.energy import models as energy_models  # noqa: F401
from sandan.grid import models as grid_models  # noqa: F401
from sandan.grid.market import models as market_models  # noqa: F401
from sandan.ingest import models as ingest_models  # noqa: F401
from sandan.ingest.control import models as control_models  # noqa: F401
from sandan.ingest.sparkplug import models as sparkplug_models  # noqa: F401
from sandan.programs import models as programs_models  # noqa: F401
from sandan.timeseries import models as timeseries_models  # noqa: F401
