"""Tables of the grid domain (Energy self-sufficiency: DER registry, generation models, forecasts, EMS dispatch).

Imported by :mod:`sandan.registry` so that Alembic and the tests see them.
"""

from __future__ import annotations
