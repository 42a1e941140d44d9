"""Initial schema: accounts, queues, policies, audit log and session projections.

Revision ID: 0001
Revises:
Create Date: 2025-01-01

Written out by hand (not from `models.metadata`) so that later changes to
models.py never rewrite what an existing database was created with.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("email_key", sa.String(320), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("is_admin", sa.Boolean, nullable=False),
        sa.Column("queue_rep", sa.Boolean, nullable=False),
        sa.Column("max_customers", sa.Integer, nullable=False),
        sa.Column("multi_session", sa.Boolean, nullable=False),
        sa.Column("queues", sa.JSON, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_accounts"),
        sa.UniqueConstraint("email_key", name="uq_accounts_email_key"),
    )
    op.create_table(
        "queues",
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("routing", sa.String(20), nullable=False),
        sa.Column("offer_timeout", sa.Float, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_queues"),
    )
    op.create_table(
        "policies",
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("value", sa.JSON),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_policies"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("session_id", sa.String(64)),
        sa.Column("actor", sa.String(100)),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_session_id", "audit_log", ["session_id"])
    op.create_table(
        "sessions",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("number", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("queue", sa.String(40)),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(200)),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("started_at", sa.Float),
        sa.Column("ended_at", sa.Float),
        sa.Column("waiting_since", sa.Float),
        sa.Column("transfer_message", sa.Text),
        sa.Column("selected_pid", sa.String(64)),
        sa.PrimaryKeyConstraint("id", name="pk_sessions"),
    )
    op.create_index("ix_sessions_state", "sessions", ["state"])
    op.create_index("ix_sessions_created_at", "sessions", ["created_at"])
    op.create_table(
        "participants",
        sa.Column("session_id", sa.String(64), nullable=False),
        sa.Column("pid", sa.String(64), nullable=False),
        sa.Column("ordinal", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("account_id", sa.Integer),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("joined_at", sa.Float, nullable=False),
        sa.Column("left_at", sa.Float),
        sa.Column("left_reason", sa.String(200)),
        sa.PrimaryKeyConstraint("session_id", "pid", name="pk_participants"),
        _fk("participants"),
    )
    op.create_table(
        "grants",
        sa.Column("session_id", sa.String(64), nullable=False),
        sa.Column("grant_id", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("kind", sa.String(40)),
        sa.Column("scope", sa.String(200)),
        sa.Column("direction", sa.String(40)),
        sa.Column("requester", sa.String(64)),
        sa.Column("grantor", sa.String(64)),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("requested_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("session_id", "grant_id", name="pk_grants"),
        _fk("grants"),
    )
    op.create_table(
        "activities",
        sa.Column("session_id", sa.String(64), nullable=False),
        sa.Column("activity_id", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("scope", sa.String(200)),
        sa.Column("sharer", sa.String(64)),
        sa.Column("grant_id", sa.Integer),
        sa.Column("started_at", sa.Float, nullable=False),
        sa.Column("ended_at", sa.Float),
        sa.Column("end_reason", sa.String(200)),
        sa.PrimaryKeyConstraint("session_id", "activity_id", name="pk_activities"),
        _fk("activities"),
    )
    op.create_table(
        "chat_messages",
        sa.Column("session_id", sa.String(64), nullable=False),
        sa.Column("message_id", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("pid", sa.String(64)),
        sa.Column("name", sa.String(200)),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("reps_only", sa.Boolean, nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("session_id", "message_id", name="pk_chat_messages"),
        _fk("chat_messages"),
    )
    op.create_table(
        "notes",
        sa.Column("session_id", sa.String(64), nullable=False),
        sa.Column("note_id", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("pid", sa.String(64)),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("session_id", "note_id", name="pk_notes"),
        _fk("notes"),
    )
    op.create_table(
        "transfers",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("session_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("from_pid", sa.String(64)),
        sa.Column("to_pid", sa.String(64)),
        sa.Column("queue", sa.String(40)),
        sa.Column("reps", sa.JSON),
        sa.Column("message", sa.Text),
        sa.Column("at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_transfers"),
        _fk("transfers"),
    )
    op.create_index("ix_transfers_session_id", "transfers", ["session_id"])


def _fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["session_id"], ["sessions.id"], ondelete="CASCADE", name=f"fk_{table}_session_id_sessions"
    )


def downgrade() -> None:
    for table in ("transfers", "notes", "chat_messages", "activities", "grants", "participants"):
        op.drop_table(table)
    op.drop_index("ix_sessions_created_at", table_name="sessions")
    op.drop_index("ix_sessions_state", table_name="sessions")
    op.drop_table("sessions")
    op.drop_index("ix_audit_log_session_id", table_name="audit_log")
    for table in ("audit_log", "policies", "queues", "accounts"):
        op.drop_table(table)
