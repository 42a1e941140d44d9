"""Participants: the owner of a Support Manager (agent) participant.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("participants") as batch:
        batch.add_column(sa.Column("owner", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("participants") as batch:
        batch.drop_column("owner")
