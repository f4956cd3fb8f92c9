"""Tables of the programs domain (Programme office: calls, eligibility, applications, evaluation, selection, KPIs).

Imported by :mod:`sandan.registry` so that Alembic and the tests see them.
"""

from __future__ import annotations
