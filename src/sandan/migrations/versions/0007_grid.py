"""grid: Energy self-sufficiency: DER registry, generation models, forecasts, EMS dispatch

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 23:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('point_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('feeds', sa.String(length=10), nullable=False),
    sa.Column('capacity_kw', sa.Float(), nullable=False),
    sa.Column('commissioned_on', sa.Date(), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('spec', sa.JSON(), nullable=False),
    sa.Column('weather', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_ders_company_id_companies')),
    sa.ForeignKeyConstraint(['point_id'], ['points.id'], name=op.f('fk_ders_point_id_points'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_ders_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ders'))
    )
    with op.batch_alter_table('ders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ders_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ders_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_ders_point_id'), ['point_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ders_site_id'), ['site_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ders_site_id'))
        batch_op.drop_index(batch_op.f('ix_ders_point_id'))
        batch_op.drop_index(batch_op.f('ix_ders_kind'))
        batch_op.drop_index(batch_op.f('ix_ders_company_id'))
    op.drop_table('ders')
