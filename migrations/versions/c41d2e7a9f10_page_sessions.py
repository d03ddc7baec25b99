"""Page sessions: a log-in to the pages is a row, so logging out ends it for good.

Revision ID: c41d2e7a9f10
Revises: b758f0064b7a
Create Date: 2026-12-02 16:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c41d2e7a9f10'
down_revision = 'b758f0064b7a'
branch_labels = None
depends_on = None

# Millisecond timestamps: BIGINT on PostgreSQL, INTEGER (64-bit already) on SQLite.
INT64 = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    op.create_table(
        'page_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key_hash', sa.String(length=64), nullable=False),
        sa.Column('token_name', sa.String(length=100), nullable=False),
        sa.Column('created_time', INT64, nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key_hash'),
    )
    op.create_index(op.f('ix_page_sessions_token_name'), 'page_sessions', ['token_name'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_page_sessions_token_name'), table_name='page_sessions')
    op.drop_table('page_sessions')
