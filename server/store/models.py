"""The SQL schema as SQLAlchemy Core tables.

These tables are what the code queries; the database itself is created and
upgraded only by the alembic revisions in `migrations/versions/`. When you
change a table here, add a revision (``alembic -c server/store/alembic.ini
revision --autogenerate -m "..."``) so existing databases follow.

Times are Unix seconds (float). Every session table cascades from `sessions`.

The same tables serve SQLite and PostgreSQL. Ids and byte counts are 64-bit
(`Id`: BIGINT on PostgreSQL, INTEGER, already 64-bit, on SQLite where it must
stay INTEGER to autoincrement). Strings are `Str`/`LongText`: what the edges
let through is always stored, on PostgreSQL too, which refuses a NUL
character and enforces VARCHAR lengths where SQLite does neither.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
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
    TypeDecorator,
    false,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


Id = BigInteger().with_variant(Integer(), "sqlite")
"""A 64-bit integer column: row ids, the core's ids, byte counts."""


def _fit(value: Any, length: int | None) -> Any:
    if isinstance(value, str):
        if "\x00" in value:
            value = value.replace("\x00", "\ufffd")
        if length is not None and len(value) > length:
            value = value[:length]
    return value


class Str(TypeDecorator):
    """VARCHAR(n) that stores any string: NUL becomes U+FFFD and a longer
    value is cut to n characters. The edges check lengths with a clear error;
    this only keeps one odd value from failing a whole batch of records."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        return _fit(value, self.impl.length)


class LongText(TypeDecorator):
    """TEXT that stores any string (NUL becomes U+FFFD, as in `Str`)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        return _fit(value, None)


def _session_fk() -> Column:
    return Column("session_id", Str(64), ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True)


accounts = Table(
    "accounts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("email", Str(320), nullable=False),
    # lower-cased email: uniqueness and look-up ignore case
    Column("email_key", Str(320), nullable=False, unique=True),
    Column("name", Str(200), nullable=False),
    Column("password_hash", Str(200), nullable=False),
    Column("is_admin", Boolean, nullable=False, default=False),
    # watches the live dashboard and joins sessions, administers nothing (migration 0008)
    Column("is_supervisor", Boolean, nullable=False, default=False, server_default=false()),
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
    Column("name", Str(40), primary_key=True),
    Column("title", Str(200), nullable=False),
    Column("routing", Str(20), nullable=False),
    Column("offer_timeout", Float, nullable=False),
    Column("created_at", Float, nullable=False),
    # how an inbound customer's page is viewed when taken: view_on_accept | ask_first
    Column("consent", Str(20), nullable=False, default="view_on_accept", server_default="view_on_accept"),
    # what a customer is asked before waiting: IntakeForm.to_json() (null: the default form)
    Column("intake", JSON),
)

policies = Table(
    "policies",
    metadata,
    Column("key", Str(100), primary_key=True),
    Column("value", JSON),
    Column("updated_at", Float, nullable=False),
)

desk_cursor = Table(
    "desk_cursor",
    metadata,
    Column("name", Str(40), primary_key=True),
    Column("entry", Str(40), nullable=False),
)
"""The last inbox entry whose records are stored (several nodes: server/cluster)."""

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False),
    # no foreign key: admin events have no session, and the log outlives rows
    Column("session_id", Str(64), index=True),
    Column("actor", Str(100)),
    Column("action", Str(100), nullable=False),
    Column("data", JSON, nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", Str(64), primary_key=True),
    Column("number", Str(20), nullable=False),
    Column("kind", Str(20), nullable=False),
    Column("queue", Str(40)),
    Column("state", Str(20), nullable=False),
    Column("reason", Str(200)),
    Column("created_at", Float, nullable=False, index=True),
    Column("started_at", Float),
    Column("ended_at", Float),
    Column("waiting_since", Float),
    Column("transfer_message", LongText),
    Column("selected_pid", Str(64)),
    Index("ix_sessions_state", "state"),
)

participants = Table(
    "participants",
    metadata,
    _session_fk(),
    Column("pid", Str(64), primary_key=True),
    # 1, 2, 3... within the session: join order, portable across databases
    Column("ordinal", Integer, nullable=False),
    Column("kind", Str(20), nullable=False),
    Column("account_id", Id),
    Column("name", Str(200), nullable=False),
    Column("role", Str(20), nullable=False),
    Column("owner", Str(64)),
    Column("joined_at", Float, nullable=False),
    Column("left_at", Float),
    Column("left_reason", Str(200)),
    # a customer's intake as entered: Answers.to_json() (null: none)
    Column("intake", JSON),
)

grants = Table(
    "grants",
    metadata,
    _session_fk(),
    Column("grant_id", Id, primary_key=True, autoincrement=False),
    Column("kind", Str(40)),
    Column("scope", Str(200)),
    Column("direction", Str(40)),
    Column("requester", Str(64)),
    Column("grantor", Str(64)),
    Column("state", Str(20), nullable=False),
    Column("requested_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

activities = Table(
    "activities",
    metadata,
    _session_fk(),
    Column("activity_id", Id, primary_key=True, autoincrement=False),
    Column("kind", Str(40), nullable=False),
    Column("scope", Str(200)),
    Column("sharer", Str(64)),
    Column("grant_id", Id),
    Column("started_at", Float, nullable=False),
    Column("ended_at", Float),
    Column("end_reason", Str(200)),
)

chat_messages = Table(
    "chat_messages",
    metadata,
    _session_fk(),
    Column("message_id", Id, primary_key=True, autoincrement=False),
    Column("pid", Str(64)),
    Column("name", Str(200)),
    Column("text", LongText, nullable=False),
    Column("reps_only", Boolean, nullable=False, default=False),
    Column("at", Float, nullable=False),
)

notes = Table(
    "notes",
    metadata,
    _session_fk(),
    Column("note_id", Id, primary_key=True, autoincrement=False),
    Column("pid", Str(64)),
    Column("text", LongText, nullable=False),
    Column("at", Float, nullable=False),
)

transfers = Table(
    "transfers",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("session_id", Str(64), ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("kind", Str(20), nullable=False),  # 'control' | 'session'
    Column("from_pid", Str(64)),
    Column("to_pid", Str(64)),
    Column("queue", Str(40)),
    Column("reps", JSON),
    Column("message", LongText),
    Column("at", Float, nullable=False),
)

canned_replies = Table(
    "canned_replies",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("title", Str(200), nullable=False),
    Column("text", LongText, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

# The customer's exit survey: at most one rating per customer per session.
ratings = Table(
    "ratings",
    metadata,
    _session_fk(),
    Column("pid", Str(64), primary_key=True),
    Column("score", Integer, nullable=False),  # 1..5
    Column("comment", LongText),
    Column("at", Float, nullable=False),
)

# One row per recording activity; the media lives in files under the
# recordings folder (`path` is relative to it).
recordings = Table(
    "recordings",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("session_id", Str(64), ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("activity_id", Id, nullable=False),
    Column("path", Str(500), nullable=False),
    Column("started_at", Float, nullable=False),
    Column("ended_at", Float),
    Column("bytes", Id, nullable=False, default=0),
    Column("deleted_at", Float),
)
