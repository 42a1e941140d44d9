"""The SQL schema as SQLAlchemy Core tables.

These tables are what the code queries; the database itself is created and
upgraded only by the alembic revisions in `migrations/versions/`. When you
change a table here, add a revision (``alembic -c server/store/alembic.ini
revision --autogenerate -m "..."``) so existing databases follow.

Times are Unix seconds (float). Every session table cascades from `sessions`.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _session_fk() -> Column:
    return Column("session_id", String(64), ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True)


accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(320), nullable=False),
    # lower-cased email: uniqueness and look-up ignore case
    Column("email_key", String(320), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("is_admin", Boolean, nullable=False, default=False),
    Column("queue_rep", Boolean, nullable=False, default=False),
    Column("max_customers", Integer, nullable=False, default=1),
    Column("multi_session", Boolean, nullable=False, default=False),
    Column("queues", JSON, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", Float, nullable=False),
    # bumped by a password change or deactivation: rep tokens of an older version are refused
    Column("token_version", Integer, nullable=False, default=0, server_default="0"),
)

queues = Table(
    "queues",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("title", String(200), nullable=False),
    Column("routing", String(20), nullable=False),
    Column("offer_timeout", Float, nullable=False),
    Column("created_at", Float, nullable=False),
    # how an inbound customer's page is viewed when taken: view_on_accept | ask_first
    Column("consent", String(20), nullable=False, default="view_on_accept", server_default="view_on_accept"),
)

policies = Table(
    "policies",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("value", JSON),
    Column("updated_at", Float, nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False),
    # no foreign key: admin events have no session, and the log outlives rows
    Column("session_id", String(64), index=True),
    Column("actor", String(100)),
    Column("action", String(100), nullable=False),
    Column("data", JSON, nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("number", String(20), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("queue", String(40)),
    Column("state", String(20), nullable=False),
    Column("reason", String(200)),
    Column("created_at", Float, nullable=False, index=True),
    Column("started_at", Float),
    Column("ended_at", Float),
    Column("waiting_since", Float),
    Column("transfer_message", Text),
    Column("selected_pid", String(64)),
    Index("ix_sessions_state", "state"),
)

participants = Table(
    "participants",
    metadata,
    _session_fk(),
    Column("pid", String(64), primary_key=True),
    # 1, 2, 3... within the session: join order, portable across databases
    Column("ordinal", Integer, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("account_id", Integer),
    Column("name", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("owner", String(64)),
    Column("joined_at", Float, nullable=False),
    Column("left_at", Float),
    Column("left_reason", String(200)),
)

grants = Table(
    "grants",
    metadata,
    _session_fk(),
    Column("grant_id", Integer, primary_key=True, autoincrement=False),
    Column("kind", String(40)),
    Column("scope", String(200)),
    Column("direction", String(40)),
    Column("requester", String(64)),
    Column("grantor", String(64)),
    Column("state", String(20), nullable=False),
    Column("requested_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

activities = Table(
    "activities",
    metadata,
    _session_fk(),
    Column("activity_id", Integer, primary_key=True, autoincrement=False),
    Column("kind", String(40), nullable=False),
    Column("scope", String(200)),
    Column("sharer", String(64)),
    Column("grant_id", Integer),
    Column("started_at", Float, nullable=False),
    Column("ended_at", Float),
    Column("end_reason", String(200)),
)

chat_messages = Table(
    "chat_messages",
    metadata,
    _session_fk(),
    Column("message_id", Integer, primary_key=True, autoincrement=False),
    Column("pid", String(64)),
    Column("name", String(200)),
    Column("text", Text, nullable=False),
    Column("reps_only", Boolean, nullable=False, default=False),
    Column("at", Float, nullable=False),
)

notes = Table(
    "notes",
    metadata,
    _session_fk(),
    Column("note_id", Integer, primary_key=True, autoincrement=False),
    Column("pid", String(64)),
    Column("text", Text, nullable=False),
    Column("at", Float, nullable=False),
)

transfers = Table(
    "transfers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("session_id", String(64), ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("kind", String(20), nullable=False),  # 'control' | 'session'
    Column("from_pid", String(64)),
    Column("to_pid", String(64)),
    Column("queue", String(40)),
    Column("reps", JSON),
    Column("message", Text),
    Column("at", Float, nullable=False),
)

canned_replies = Table(
    "canned_replies",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("title", String(200), nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

# The customer's exit survey: at most one rating per customer per session.
ratings = Table(
    "ratings",
    metadata,
    _session_fk(),
    Column("pid", String(64), primary_key=True),
    Column("score", Integer, nullable=False),  # 1..5
    Column("comment", Text),
    Column("at", Float, nullable=False),
)

# One row per recording activity; the media lives in files under the
# recordings folder (`path` is relative to it).
recordings = Table(
    "recordings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("session_id", String(64), ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("activity_id", Integer, nullable=False),
    Column("path", String(500), nullable=False),
    Column("started_at", Float, nullable=False),
    Column("ended_at", Float),
    Column("bytes", Integer, nullable=False, default=0),
    Column("deleted_at", Float),
)
