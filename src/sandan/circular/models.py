"""Tables of the circular domain
(Resource circulation: waste and by-product streams, symbiosis matching, handover chain).

Imported by :mod:`sandan.registry` so that Alembic and the tests see them.
"""

from __future__ import annotations
