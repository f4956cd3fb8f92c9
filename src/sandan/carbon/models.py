"""Tables of the carbon domain
(FEMS+ and MRV: emission factors, GHG inventory, product carbon footprints, verification).

Imported by :mod:`sandan.registry` so that Alembic and the tests see them.
"""

from __future__ import annotations
