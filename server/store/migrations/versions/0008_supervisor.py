"""Accounts get the supervisor role: a supervisor watches the live dashboard
(reps, queues, sessions) and joins sessions as an assistant, but changes
nothing an admin manages. Existing accounts are not supervisors.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("is_supervisor", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("is_supervisor")
