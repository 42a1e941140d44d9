"""Intake: a queue's form (the description asked or not, extra fields an
admin defines) and what each customer entered before joining.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("queues") as batch:
        batch.add_column(sa.Column("intake", sa.JSON(), nullable=True))
    with op.batch_alter_table("participants") as batch:
        batch.add_column(sa.Column("intake", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("participants") as batch:
        batch.drop_column("intake")
    with op.batch_alter_table("queues") as batch:
        batch.drop_column("intake")
