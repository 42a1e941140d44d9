"""The cluster's record cursor: the last inbox entry whose records are stored.

Several relay nodes share one desk (server/cluster); whichever node owns it
writes its records, each batch with the entry it reached, in the same
transaction, so a record is never stored twice, even when a node that lost
the lease writes a batch its successor already wrote.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "desk_cursor",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("entry", sa.String(40), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("desk_cursor")
