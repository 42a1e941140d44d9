"""Queues get a consent policy: how an inbound customer's page is viewed when
a rep takes them (view_on_accept, as before, or ask_first).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("queues") as batch:
        batch.add_column(sa.Column("consent", sa.String(20), nullable=False, server_default="view_on_accept"))


def downgrade() -> None:
    with op.batch_alter_table("queues") as batch:
        batch.drop_column("consent")
