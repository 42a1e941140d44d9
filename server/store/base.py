"""The one store interface: everything the relay keeps beyond a restart.

Accounts, queues and admin policies are plain rows. Sessions are kept as an
append-only audit log of core `Record`s plus projections (sessions,
participants, grants, activities, chat, notes, transfers) that `record()`
updates in the same transaction, so the log and the projections never
disagree. After a restart the relay rebuilds its live state from
`live_sessions()` and `max_ids()`.

Backends subclass `Store`; `server.store.open_store(url)` picks one by URL.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from server.core.errors import Invalid
from server.core.intake import IntakeForm
from server.core.records import Record

QUEUE_NAME = re.compile(r"[a-z0-9-]{1,40}")
ROUTINGS = ("manual", "automatic")
CONSENTS = ("view_on_accept", "ask_first")
"""How cobrowse of an inbound customer's page starts when a rep takes them:
at once (they asked for help from that page, and see and can stop it), or
only once they allow it."""

ACCOUNT_FIELDS = frozenset(
    {"name", "password_hash", "is_admin", "is_supervisor", "queue_rep", "max_customers", "multi_session", "queues", "active"}
)
QUEUE_FIELDS = frozenset({"title", "routing", "offer_timeout", "consent", "intake"})


class StoreError(Exception):
    """Base of the errors a store raises on purpose."""


class Conflict(StoreError):
    """The row exists already (duplicate account email, duplicate queue name)."""


class NotFound(StoreError, LookupError):
    """The row to update does not exist."""


@dataclass(frozen=True, slots=True)
class Account:
    """A rep or admin who signs in. Never deleted: set ``active=False``."""

    id: int
    email: str
    name: str
    password_hash: str
    is_admin: bool
    queue_rep: bool
    max_customers: int
    multi_session: bool
    queues: tuple[str, ...]
    active: bool
    created_at: float
    token_version: int = 0
    """Part of every rep token; `Store.revoke_tokens` bumps it."""
    is_supervisor: bool = False
    """Watches the supervisor dashboard and joins sessions from it; administers
    nothing (an admin may do all a supervisor does)."""


@dataclass(frozen=True, slots=True)
class CannedReply:
    """A reply an admin wrote once for reps to insert into the chat."""

    id: int
    title: str
    text: str
    created_at: float
    updated_at: float


@dataclass(frozen=True, slots=True)
class Queue:
    """A WebACD queue customers wait in (``/help?queue=NAME``)."""

    name: str
    title: str
    routing: str  # 'manual' | 'automatic'
    offer_timeout: float
    created_at: float
    consent: str = "view_on_accept"  # one of CONSENTS
    intake: IntakeForm = IntakeForm()
    """What a customer is asked before waiting (stored as `IntakeForm.to_json()`)."""


def check_queue_name(name: str) -> str:
    """Return `name` if it is a queue slug (``[a-z0-9-]{1,40}``), else raise ValueError."""
    if not isinstance(name, str) or not QUEUE_NAME.fullmatch(name):
        raise ValueError(f"queue name must match [a-z0-9-]{{1,40}}: {name!r}")
    return name


def check_account_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Validate the fields of `update_account`/`create_account`; returns them normalised."""
    unknown = set(fields) - ACCOUNT_FIELDS
    if unknown:
        raise TypeError(f"unknown account fields: {', '.join(sorted(unknown))}")
    out = dict(fields)
    if "max_customers" in out:
        n = out["max_customers"]
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"max_customers must be an integer >= 1: {n!r}")
    if "queues" in out:
        out["queues"] = [check_queue_name(q) for q in out["queues"]]
    for flag in ("is_admin", "is_supervisor", "queue_rep", "multi_session", "active"):
        if flag in out:
            out[flag] = bool(out[flag])
    return out


def check_queue_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Validate the fields of `update_queue`/`create_queue`."""
    unknown = set(fields) - QUEUE_FIELDS
    if unknown:
        raise TypeError(f"unknown queue fields: {', '.join(sorted(unknown))}")
    if "routing" in fields and fields["routing"] not in ROUTINGS:
        raise ValueError(f"routing must be one of {ROUTINGS}: {fields['routing']!r}")
    if "offer_timeout" in fields:
        t = fields["offer_timeout"]
        if isinstance(t, bool) or not isinstance(t, (int, float)) or t <= 0:
            raise ValueError(f"offer_timeout must be a positive number: {t!r}")
    if "consent" in fields and fields["consent"] not in CONSENTS:
        raise ValueError(f"consent must be one of {CONSENTS}: {fields['consent']!r}")
    out = dict(fields)
    if "intake" in out:
        try:
            out["intake"] = out["intake"] if isinstance(out["intake"], IntakeForm) else IntakeForm.check(out["intake"])
        except Invalid as exc:
            raise ValueError(str(exc)) from None
    return out


class Store(ABC):
    """Durable data of the relay. Call `open()` once before use and `close()`
    at shutdown (or use ``async with store:``). Every method is a coroutine and
    safe to call from concurrent tasks of one event loop."""

    async def __aenter__(self) -> Store:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @abstractmethod
    async def open(self) -> None:
        """Connect and bring the schema up to date (creates a fresh database)."""

    @abstractmethod
    async def close(self) -> None:
        """Release every connection. Idempotent."""

    # accounts -------------------------------------------------------------

    @abstractmethod
    async def create_account(
        self,
        email: str,
        name: str,
        password_hash: str,
        *,
        is_admin: bool = False,
        is_supervisor: bool = False,
        queue_rep: bool = False,
        max_customers: int = 1,
        multi_session: bool = False,
        queues: Sequence[str] = (),
    ) -> Account:
        """Add an account. Emails are unique ignoring case: raises `Conflict`."""

    @abstractmethod
    async def get_account(self, id: int) -> Account | None: ...

    @abstractmethod
    async def get_account_by_email(self, email: str) -> Account | None:
        """Look up by email, ignoring case and surrounding spaces."""

    @abstractmethod
    async def list_accounts(self) -> list[Account]:
        """Every account, in creation order."""

    @abstractmethod
    async def update_account(self, id: int, **fields: Any) -> Account:
        """Change any of `ACCOUNT_FIELDS`; raises `NotFound`, `TypeError` on
        unknown fields, `ValueError` on bad values."""

    @abstractmethod
    async def revoke_tokens(self, id: int) -> Account:
        """Bump the account's ``token_version`` (in one statement: concurrent
        calls each count), so every rep token issued before is refused;
        returns the account. Raises `NotFound`."""

    @abstractmethod
    async def count_accounts(self) -> int: ...

    # queues ---------------------------------------------------------------

    @abstractmethod
    async def create_queue(
        self, name: str, title: str, routing: str = "manual", offer_timeout: float = 30.0,
        consent: str = "view_on_accept", intake: IntakeForm | dict | None = None,
    ) -> Queue:
        """Add a queue; `name` is a slug (ValueError otherwise), `Conflict` if taken."""

    @abstractmethod
    async def get_queue(self, name: str) -> Queue | None: ...

    @abstractmethod
    async def list_queues(self) -> list[Queue]:
        """Every queue, by name."""

    @abstractmethod
    async def update_queue(self, name: str, **fields: Any) -> Queue:
        """Change title, routing, offer_timeout, consent or intake; raises `NotFound`."""

    @abstractmethod
    async def delete_queue(self, name: str) -> bool:
        """Remove a queue and drop it from every account's queues.
        Returns False when there was no such queue."""

    # policies -------------------------------------------------------------

    @abstractmethod
    async def get_policies(self) -> dict[str, Any]:
        """Every admin setting, key -> JSON value."""

    @abstractmethod
    async def set_policy(self, key: str, value: Any) -> None:
        """Set one admin setting to a JSON-serialisable value."""

    # sessions: records, audit, projections --------------------------------

    @abstractmethod
    async def record(self, records: Sequence[Record]) -> None:
        """Append `records` to the audit log and apply them to the projections,
        all in one transaction: either every record is kept or none is."""

    @abstractmethod
    async def audit(
        self,
        action: str,
        *,
        actor: str | None = None,
        session_id: str | None = None,
        data: dict[str, Any] | None = None,
        at: float | None = None,
    ) -> None:
        """Append one audit entry that is not a session transition
        (``account.created``, ``signin.failed``, ...). `at` defaults to now."""

    @abstractmethod
    async def audit_log(self, session_id: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """The latest `limit` audit entries (of one session, or all), oldest
        first. Keys: id, at, session_id, actor, action, data."""

    @abstractmethod
    async def live_sessions(self) -> list[dict[str, Any]]:
        """Every session not ended, oldest first, for restoring the relay
        after a restart. Keys: session_id, number, kind, queue, state,
        created_at, waiting_since, transfer_message, selected_pid,
        participants (dicts pid, kind, account_id, name, role; only those
        present, in join order)."""

    @abstractmethod
    async def max_ids(self) -> dict[str, int]:
        """Highest grant_id, activity_id, message_id, note_id used in any
        session (0 when none), so the core continues numbering after them."""

    @abstractmethod
    async def session_report(self, session_id: str) -> dict[str, Any] | None:
        """The session row plus lists participants, grants, activities, chat,
        notes, transfers and audit, each oldest first; None if unknown."""

    @abstractmethod
    async def sessions(self, limit: int = 100) -> list[dict[str, Any]]:
        """The most recent `limit` session rows, newest first."""

    # canned replies, ratings, reports -------------------------------------

    @abstractmethod
    async def list_canned(self) -> list[CannedReply]:
        """Every canned reply, by title."""

    @abstractmethod
    async def create_canned(self, title: str, text: str) -> CannedReply:
        """Add a canned reply; ValueError when title or text is empty."""

    @abstractmethod
    async def update_canned(self, id: int, title: str, text: str) -> CannedReply:
        """Change a canned reply; raises `NotFound`, ValueError on empty fields."""

    @abstractmethod
    async def delete_canned(self, id: int) -> bool:
        """Remove a canned reply; False when there was none."""

    @abstractmethod
    async def add_rating(self, session_id: str, pid: str, score: int, comment: str | None) -> None:
        """Keep a customer's exit-survey rating (score 1..5, else ValueError).
        Raises `NotFound` unless `pid` is a customer of the session, and
        `Conflict` when that customer has rated it already."""

    # recordings (server/recording/recorder.py writes the files) --------------------

    @abstractmethod
    async def create_recording(self, session_id: str, activity_id: int, path: str, started_at: float) -> int:
        """Add a recording of a session (its file at `path`, relative to the
        recordings folder); returns its id. The session must be stored."""

    @abstractmethod
    async def finish_recording(self, id: int, ended_at: float, size: int) -> None:
        """The recording's file is complete: `size` bytes, ended at `ended_at`."""

    @abstractmethod
    async def get_recording(self, id: int) -> dict[str, Any] | None:
        """The row (id, session_id, activity_id, path, started_at, ended_at,
        bytes, deleted_at) plus ``account_ids``, the accounts of the reps who
        took part in the session; None if there is no such recording."""

    @abstractmethod
    async def list_recordings(self, session_id: str | None = None, unfinished: bool = False) -> list[dict[str, Any]]:
        """Recordings not deleted (of one session, or all; only those without
        ended_at when `unfinished`), oldest first."""

    @abstractmethod
    async def delete_expired_recordings(self, before: float) -> list[dict[str, Any]]:
        """Mark deleted every recording that started before `before` and is
        finished; returns those rows (the caller removes their files)."""

    @abstractmethod
    async def report_sessions(self, start: float | None = None, end: float | None = None,
                              account_id: int | None = None, queue: str | None = None) -> list[dict[str, Any]]:
        """Session rows for the reports, see `server.store.reports.sessions`."""

    @abstractmethod
    async def report_session(self, session_id: str) -> dict[str, Any] | None:
        """One session's report, see `server.store.reports.session_details`."""
