"""The relay node: the core `Desk` wired to the store, the broker and the clock.

Every input goes through `Relay` methods; each one calls the desk and then
`flush()`, which publishes what the desk wants sent and queues its records
for the store. Records are written by one task, in order, in batches, so a
slow disk never stalls message delivery and nothing is dropped.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from dataclasses import dataclass

from . import protocol as p
from .auth import BadToken, Tokens
from .broker import open_broker
from .config import Settings
from .core.assisting import AssistDoor
from .core.desk import Actor, CustomerActor, Desk, RepActor
from .core.errors import CoreError, NotAllowed
from .core.routing import QueueConfig
from .core.session import Session
from .counters import Counters
from .ratelimit import Backoff, RateLimiter
from .recording.recorder import Recorder
from .store import Account, open_store

log = logging.getLogger(__name__)


def random_number() -> str:
    """A random 9-digit session number that does not start with 0."""
    return str(secrets.randbelow(900_000_000) + 100_000_000)


def new_id() -> str:
    return secrets.token_urlsafe(9)


@dataclass(slots=True)
class Resume:
    """What a reconnecting client needs: its channel and its last processed seq."""

    channel: str
    client_seq: int
    expires: float


class Relay:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = open_store(settings.database_url)
        self.broker = open_broker(settings.broker_url, history_messages=settings.history_messages,
                                  history_bytes=settings.history_bytes)
        self.tokens = Tokens(settings.secret_key)
        self.clock = time.time
        self.desk = Desk(new_id=new_id, new_number=random_number, join_link=self.join_link,
                         grant_timeout=settings.grant_timeout, connect_grace=settings.connect_grace)
        self.signin_backoff = Backoff(settings.signin_attempts, max_delay=settings.signin_window)  # account+address
        self.signin_by_address = RateLimiter(settings.signin_attempts * 4, settings.signin_window)
        self.join_by_address = RateLimiter(settings.join_attempts, settings.join_window)
        # assisting by number is limited per rep account as joining is per address
        self.desk.assist_door = AssistDoor(settings.join_attempts, settings.join_window)
        self.resumes: dict[str, Resume] = {}
        self.counters = Counters()
        self._links: dict[str, str] = {}
        self._records: list = []
        self._records_ready = asyncio.Event()
        self._writing = asyncio.Lock()
        self._gone_timers: dict[str, asyncio.TimerHandle] = {}
        self._tasks: list[asyncio.Task] = []
        self.recorder = Recorder(self)

    # --- life cycle ---------------------------------------------------------

    async def start(self) -> None:
        await self.store.open()
        await self.broker.connect()
        now = self.clock()
        for account in await self.store.list_accounts():
            self.configure_rep(account, now)
        await self.reload_queues()
        self.desk.set_policies(await self.store.get_policies(), now)
        rows = await self.store.live_sessions()
        self.desk.restore(rows, await self.store.max_ids())
        self.desk.data_to_send()
        self.desk.records_to_store()
        if rows:
            log.info("restored %d live sessions", len(rows))
        self._tasks = [asyncio.create_task(self._tick_loop(), name="tick"),
                       asyncio.create_task(self._record_loop(), name="records")]
        await self.recorder.start()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for handle in self._gone_timers.values():
            handle.cancel()
        await self._write_records()
        await self.recorder.close()
        await self.broker.disconnect()
        await self.store.close()

    # --- configuration ------------------------------------------------------

    def configure_rep(self, account: Account, now: float | None = None) -> None:
        self.desk.configure_rep(account.id, name=account.name, queue_rep=account.queue_rep,
                                queues=account.queues, max_customers=account.max_customers,
                                multi_session=account.multi_session,
                                supervises=account.is_admin or account.is_supervisor, active=account.active,
                                now=now or self.clock())

    async def reload_queues(self) -> None:
        queues = await self.store.list_queues()
        self.desk.configure_queues([QueueConfig(q.name, q.title, q.routing, q.offer_timeout, q.consent, q.intake)
                                  for q in queues])
        await self.flush()

    async def reload_policies(self, policies: dict) -> None:
        self.desk.set_policies(policies, self.clock())
        await self.flush()

    def join_link(self, session: Session) -> str:
        link = self._links.get(session.id)
        if link is None:
            token = self.tokens.invite(session.id, session.number, "customer")
            link = self._links[session.id] = f"{self.settings.public_url}/invite/{token}"
        return link

    # --- inputs -------------------------------------------------------------

    async def receive(self, actor: Actor, msg: p.ClientMessage) -> None:
        try:
            self.desk.receive(actor, msg, self.clock())
        finally:
            await self.flush()

    def frame_targets(self, actor: Actor, kind: int, stream: int) -> list[str]:
        if kind == p.StreamKind.RECORD:
            return self.recorder.accept_record_frame(actor, stream)
        return self.desk.route_frame(actor, kind, stream)

    async def online(self, actor: Actor, screen: str | None = None, console: bool = True) -> None:
        """A connection was welcomed. A rep's ``console`` makes them present;
        their dashboard page (not a console) does not."""
        now = self.clock()
        if isinstance(actor, RepActor) and not console:
            self.desk.dashboard_online(actor.account_id, now)
        elif isinstance(actor, RepActor):
            self.desk.rep_online(actor.account_id, now)
        else:
            timer = self._gone_timers.pop(actor.pid, None)
            if timer:
                timer.cancel()
            self.desk.customer_online(actor, now, screen)
        await self.flush()

    async def offline(self, actor: Actor, console: bool = True) -> None:
        now = self.clock()
        if isinstance(actor, RepActor) and not console:
            self.desk.dashboard_offline(actor.account_id, now)
        elif isinstance(actor, RepActor):
            self.desk.rep_offline(actor.account_id, now)
        elif self.desk.customer_offline(actor, now):
            loop = asyncio.get_running_loop()
            self._gone_timers[actor.pid] = loop.call_later(
                self.settings.resume_window, lambda: asyncio.ensure_future(self._customer_gone(actor)))
        await self.flush()

    async def _customer_gone(self, actor: CustomerActor) -> None:
        self._gone_timers.pop(actor.pid, None)
        self.desk.customer_gone(actor, self.clock())
        await self.flush()

    def join_wait(self, address: str) -> int:
        """Counts one join attempt (by number or help link) from ``address``;
        returns 0 when allowed, else the seconds to wait."""
        now = self.clock()
        if self.join_by_address.hit(address, now):
            return 0
        return int(self.join_by_address.retry_after(address, now)) + 1

    def customer_actor(self, token: str) -> CustomerActor:
        """The actor a capability token stands for, if still in its session."""
        session_id, pid, role = self.tokens.read_capability(token)
        actor = CustomerActor(session_id, pid)
        try:
            if role not in ("customer", "agent"):
                raise NotAllowed("not a customer's or Support Manager's token")
            self.desk.participant(actor, session_id)
        except CoreError:
            raise BadToken("this link is no longer valid: the session has ended or you left it") from None
        return actor

    PAIRING_TTL = 600.0

    async def pairing_code(self, actor: Actor, session_id: str) -> str:
        """A fresh one-time code for the actor's Support Manager."""
        while True:
            code = f"{secrets.randbelow(1_000_000):06d}"
            if not self.desk.pairing_taken(code):
                break
        self.desk.pairing_code(actor, session_id, code, self.clock(), self.PAIRING_TTL)
        await self.store.audit("agent.pairing_code", actor=getattr(actor, "pid", None) or f"rep:{actor.account_id}",
                               session_id=session_id)
        return code

    async def pair_agent(self, number: str, code: str, name: str) -> tuple[Session, str, str]:
        s, pid = self.desk.pair_agent(number, code, name, self.clock())
        await self.flush()
        return s, pid, self.tokens.capability(s.id, pid, "agent")

    async def enter_queue(self, queue: str, name: str, description: str = "",
                          fields: dict[str, str] | None = None) -> tuple[Session, str]:
        s, pid = self.desk.enter_queue(queue, name, self.clock(), description, fields)
        await self.flush()
        return s, self.tokens.capability(s.id, pid, "customer")

    async def join(self, number: str, name: str, description: str = "") -> tuple[Session, str]:
        s, pid = self.desk.join(number, name, self.clock(), description)
        await self.flush()
        return s, self.tokens.capability(s.id, pid, "customer")

    # --- output -------------------------------------------------------------

    async def flush(self) -> None:
        """Publish what the desk wants sent, queue its records for the store."""
        observe, clock = self.counters.broker_seconds.observe, time.perf_counter
        records = self.desk.records_to_store()
        if records:
            # The recorder first: what a client sends in answer to these
            # messages (the whole picture a Support Manager sends when a
            # recording starts) must find the recording open, even when a
            # publish below lets the loop run the client's frame first.
            self.recorder.observe(records)
        for channel, msg in self.desk.data_to_send():
            payload = msg.model_dump_json(exclude_none=False)
            t0 = clock()
            await self.broker.publish(channel, payload)
            observe(clock() - t0)
            if msg.type == "session_ended" and channel.startswith("cus:"):
                # the customer's stream ends with the session: keep it only
                # long enough for a dropped page to come back and read the end
                asyncio.get_running_loop().call_later(
                    self.settings.resume_window, lambda ch=channel: asyncio.ensure_future(self.broker.forget(ch)))
        if records:
            self._records.extend(records)
            self._records_ready.set()
            for r in records:
                if r.action == "session.state" and r.data.get("state") == "ended":
                    self._links.pop(r.session_id, None)

    RECORD_INTERVAL = 0.05
    """Seconds at least between two record writes while records keep coming:
    under load (chat lines of hundreds of sessions) one transaction then takes
    every record of the interval (a record written alone costs about four times
    as much CPU as one in a batch of five). After a quiet spell the next record
    is written at once. Code that reads what was just recorded calls `drain()`."""

    async def _record_loop(self) -> None:
        loop = asyncio.get_running_loop()
        last = float("-inf")
        while True:
            await self._records_ready.wait()
            wait = last + self.RECORD_INTERVAL - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            self._records_ready.clear()
            await self._write_records()
            last = loop.time()

    async def _write_records(self) -> None:
        # One writer at a time: a drain() waits for a batch already on its way.
        async with self._writing:
            while self._records:
                batch, self._records = self._records, []
                try:
                    t0 = time.perf_counter()
                    await self.store.record(batch)
                    self.counters.store_seconds.observe(time.perf_counter() - t0)
                except Exception:
                    log.exception("could not store %d records; retrying", len(batch))
                    self._records[:0] = batch
                    await asyncio.sleep(1.0)

    async def drain(self) -> None:
        """Wait until every record so far is in the store (reports, shutdown)."""
        await self._write_records()

    async def _tick_loop(self) -> None:
        while True:
            await asyncio.sleep(0.25)
            try:
                self.desk.tick(self.clock())
                await self.flush()
                now = self.clock()
                for key in [k for k, r in self.resumes.items() if r.expires < now]:
                    del self.resumes[key]
            except Exception:
                log.exception("tick failed")
