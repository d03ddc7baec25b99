"""metrics.negative_zero: a history point logged as -0.0 keeps its sign on SQLite.

SQLite stores a REAL that is a whole number as an integer, so -0.0 came back as 0.0 from
metrics/get-history. The column is NULL for every other value (no rewrite of existing rows:
adding a nullable column is instant on SQLite and PostgreSQL); a partial index finds the rare
points where it is set, so the history keeps being read from its covering index.

Revision ID: d6a3f0b2c8e1
Revises: c41d2e7a9f10
Create Date: 2026-12-02 16:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd6a3f0b2c8e1'
down_revision = 'c41d2e7a9f10'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('metrics', sa.Column('negative_zero', sa.Boolean(), nullable=True))
    op.create_index('ix_metrics_negative_zero', 'metrics', ['run_id', 'key'], unique=False,
                    sqlite_where=sa.text('negative_zero'), postgresql_where=sa.text('negative_zero'))


def downgrade():
    op.drop_index('ix_metrics_negative_zero', table_name='metrics')
    with op.batch_alter_table('metrics') as batch:
        batch.drop_column('negative_zero')
