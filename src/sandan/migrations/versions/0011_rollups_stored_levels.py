"""rollups: months are merged from days when read; a point's buckets of fewer than 8 intervals are not stored

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 00:40:00

Removes the rollup rows the store no longer keeps (``sandan.timeseries.rollup``): every monthly
row (res 4), and a point's 15-minute (res 1) and hourly (res 2) rows where its nominal interval
is longer than an eighth of the bucket.  Queries merge those from days or readings, exactly.
The downgrade cannot bring the rows back from here: after it, rebuild them with the store
(``rebuild_point_rollups``) or re-import.
"""

from __future__ import annotations

from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM group_rollups WHERE res = 4")
    op.execute("DELETE FROM rollups WHERE res = 4 "
               "OR (res = 1 AND point_id IN (SELECT id FROM points WHERE interval_s * 8 > 900)) "
               "OR (res = 2 AND point_id IN (SELECT id FROM points WHERE interval_s * 8 > 3600))")


def downgrade() -> None:
    pass
