"""carbon: entered activity data, contractual instruments, production records, MRV reports, versions, findings, statements, ledger

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 23:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('carbon_activities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('substance', sa.String(length=40), nullable=False),
    sa.Column('amount', sa.Float(), nullable=False),
    sa.Column('unit', sa.String(length=20), nullable=False),
    sa.Column('evidence', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_carbon_activities_company_id_companies')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_carbon_activities_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_carbon_activities'))
    )
    with op.batch_alter_table('carbon_activities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_carbon_activities_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_carbon_activities_site_id'), ['site_id'], unique=False)

    op.create_table('carbon_instruments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('mwh', sa.Float(), nullable=False),
    sa.Column('factor_t_per_mwh', sa.Float(), nullable=False),
    sa.Column('reference', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_carbon_instruments_company_id_companies')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_carbon_instruments_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_carbon_instruments'))
    )
    with op.batch_alter_table('carbon_instruments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_carbon_instruments_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_carbon_instruments_site_id'), ['site_id'], unique=False)

    op.create_table('carbon_production',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=10), nullable=False),
    sa.Column('product_code', sa.String(length=80), nullable=False),
    sa.Column('product_name', sa.String(length=200), nullable=False),
    sa.Column('declared_unit', sa.String(length=20), nullable=False),
    sa.Column('quantity', sa.Float(), nullable=False),
    sa.Column('mass_kg', sa.Float(), nullable=False),
    sa.Column('machine_hours', sa.Float(), nullable=False),
    sa.Column('value_krw', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_carbon_production_company_id_companies')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_carbon_production_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_carbon_production')),
    sa.UniqueConstraint('site_id', 'period', 'product_code', name=op.f('uq_carbon_production_site_id'))
    )
    with op.batch_alter_table('carbon_production', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_carbon_production_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_carbon_production_site_id'), ['site_id'], unique=False)

    op.create_table('mrv_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('period', sa.String(length=10), nullable=False),
    sa.Column('gwp_set', sa.String(length=3), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_mrv_reports_company_id_companies')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_mrv_reports_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mrv_reports'))
    )
    with op.batch_alter_table('mrv_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mrv_reports_company_id'), ['company_id'], unique=False)

    op.create_table('mrv_assignments',
    sa.Column('verifier_user_id', sa.Integer(), nullable=False),
    sa.Column('verifier_name', sa.String(length=200), nullable=False),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_mrv_assignments_company_id_companies')),
    sa.ForeignKeyConstraint(['report_id'], ['mrv_reports.id'], name=op.f('fk_mrv_assignments_report_id_mrv_reports')),
    sa.ForeignKeyConstraint(['verifier_user_id'], ['users.id'], name=op.f('fk_mrv_assignments_verifier_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mrv_assignments')),
    sa.UniqueConstraint('report_id', 'verifier_user_id', name=op.f('uq_mrv_assignments_report_id'))
    )
    with op.batch_alter_table('mrv_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mrv_assignments_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mrv_assignments_report_id'), ['report_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mrv_assignments_verifier_user_id'), ['verifier_user_id'], unique=False)

    op.create_table('mrv_findings',
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('author_role', sa.String(length=20), nullable=False),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.Column('reply_to', sa.Integer(), nullable=True),
    sa.Column('requires_correction', sa.Boolean(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_mrv_findings_company_id_companies')),
    sa.ForeignKeyConstraint(['report_id'], ['mrv_reports.id'], name=op.f('fk_mrv_findings_report_id_mrv_reports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mrv_findings')),
    sa.UniqueConstraint('report_id', 'seq', name=op.f('uq_mrv_findings_report_id'))
    )
    with op.batch_alter_table('mrv_findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mrv_findings_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mrv_findings_report_id'), ['report_id'], unique=False)

    op.create_table('mrv_ledger',
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=30), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('at', sa.String(length=40), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('entry_hash', sa.String(length=64), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_mrv_ledger_company_id_companies')),
    sa.ForeignKeyConstraint(['report_id'], ['mrv_reports.id'], name=op.f('fk_mrv_ledger_report_id_mrv_reports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mrv_ledger')),
    sa.UniqueConstraint('report_id', 'seq', name=op.f('uq_mrv_ledger_report_id'))
    )
    with op.batch_alter_table('mrv_ledger', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mrv_ledger_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mrv_ledger_report_id'), ['report_id'], unique=False)

    op.create_table('mrv_statements',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('signature', sa.String(length=200), nullable=False),
    sa.Column('public_key', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_mrv_statements_company_id_companies')),
    sa.ForeignKeyConstraint(['report_id'], ['mrv_reports.id'], name=op.f('fk_mrv_statements_report_id_mrv_reports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mrv_statements'))
    )
    with op.batch_alter_table('mrv_statements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mrv_statements_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mrv_statements_report_id'), ['report_id'], unique=False)

    op.create_table('mrv_versions',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('submitted_by', sa.String(length=200), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_mrv_versions_company_id_companies')),
    sa.ForeignKeyConstraint(['report_id'], ['mrv_reports.id'], name=op.f('fk_mrv_versions_report_id_mrv_reports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mrv_versions')),
    sa.UniqueConstraint('report_id', 'version', name=op.f('uq_mrv_versions_report_id'))
    )
    with op.batch_alter_table('mrv_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mrv_versions_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mrv_versions_report_id'), ['report_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('mrv_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mrv_versions_report_id'))
        batch_op.drop_index(batch_op.f('ix_mrv_versions_company_id'))

    op.drop_table('mrv_versions')
    with op.batch_alter_table('mrv_statements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mrv_statements_report_id'))
        batch_op.drop_index(batch_op.f('ix_mrv_statements_company_id'))

    op.drop_table('mrv_statements')
    with op.batch_alter_table('mrv_ledger', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mrv_ledger_report_id'))
        batch_op.drop_index(batch_op.f('ix_mrv_ledger_company_id'))

    op.drop_table('mrv_ledger')
    with op.batch_alter_table('mrv_findings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mrv_findings_report_id'))
        batch_op.drop_index(batch_op.f('ix_mrv_findings_company_id'))

    op.drop_table('mrv_findings')
    with op.batch_alter_table('mrv_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mrv_assignments_verifier_user_id'))
        batch_op.drop_index(batch_op.f('ix_mrv_assignments_report_id'))
        batch_op.drop_index(batch_op.f('ix_mrv_assignments_company_id'))

    op.drop_table('mrv_assignments')
    with op.batch_alter_table('mrv_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mrv_reports_company_id'))

    op.drop_table('mrv_reports')
    with op.batch_alter_table('carbon_production', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_carbon_production_site_id'))
        batch_op.drop_index(batch_op.f('ix_carbon_production_company_id'))

    op.drop_table('carbon_production')
    with op.batch_alter_table('carbon_instruments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_carbon_instruments_site_id'))
        batch_op.drop_index(batch_op.f('ix_carbon_instruments_company_id'))

    op.drop_table('carbon_instruments')
    with op.batch_alter_table('carbon_activities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_carbon_activities_site_id'))
        batch_op.drop_index(batch_op.f('ix_carbon_activities_company_id'))

    op.drop_table('carbon_activities')
