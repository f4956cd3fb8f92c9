"""energy: FEMS analytics: KPIs, KEPCO tariffs and bills, peak demand, baselines, anomalies, diagnosis

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 23:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('energy_supply_contracts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('tariff', sa.String(length=24), nullable=False),
    sa.Column('voltage', sa.String(length=8), nullable=False),
    sa.Column('choice', sa.String(length=4), nullable=False),
    sa.Column('contract_kw', sa.Integer(), nullable=False),
    sa.Column('deferred_reform', sa.Boolean(), nullable=False),
    sa.Column('reactive_metered', sa.Boolean(), nullable=False),
    sa.Column('peak_warning_kw', sa.Integer(), nullable=True),
    sa.Column('peak_critical_kw', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_energy_supply_contracts_company_id_companies'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_energy_supply_contracts'))
    )
    with op.batch_alter_table('energy_supply_contracts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_energy_supply_contracts_company_id'), ['company_id'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('energy_supply_contracts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_energy_supply_contracts_company_id'))
    op.drop_table('energy_supply_contracts')
