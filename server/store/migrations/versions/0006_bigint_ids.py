"""Ids and byte counts are 64-bit on PostgreSQL too.

SQLite's INTEGER is 64-bit already, so this changes nothing there. On
PostgreSQL, INTEGER is 32-bit: a recording over 2 GiB, or an id the relay
accepts (any signed 64-bit number), would not fit. The columns become BIGINT,
and the sequences behind the autoincrementing ones count as far.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

SERIAL = (("accounts", "id"), ("audit_log", "id"), ("transfers", "id"), ("canned_replies", "id"),
          ("recordings", "id"))
PLAIN = (("participants", "account_id"), ("grants", "grant_id"), ("activities", "activity_id"),
         ("activities", "grant_id"), ("chat_messages", "message_id"), ("notes", "note_id"),
         ("recordings", "activity_id"), ("recordings", "bytes"))


def _change(to: type[sa.types.TypeEngine], sequence_type: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for table, column in SERIAL + PLAIN:
        op.alter_column(table, column, type_=to(), existing_type=(sa.Integer if to is sa.BigInteger else sa.BigInteger)())
    for table, column in SERIAL:
        sequence = bind.execute(sa.text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table, "c": column}).scalar()
        if sequence:
            op.execute(f"ALTER SEQUENCE {sequence} AS {sequence_type}")


def upgrade() -> None:
    _change(sa.BigInteger, "bigint")


def downgrade() -> None:
    _change(sa.Integer, "integer")
