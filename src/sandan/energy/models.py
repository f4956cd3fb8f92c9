"""Tables of the energy domain
(FEMS analytics: KPIs, KEPCO tariffs and bills, peak demand, baselines, anomalies, diagnosis).

Imported by :mod:`sandan.registry` so that Alembic and the tests see them.
"""

from __future__ import annotations
