"""The relay node: the core `Desk` wired to the store, the broker and the clock.

Every input goes through `Relay` methods; each one calls the desk and then
`flush()`, which publishes what the desk wants sent and hands its records
to the store's writer (`server.record_writer`). Resume ids are kept by
`server.resumes`.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from urllib.parse import urlsplit

from . import protocol as p
from .auth import BadToken, Tokens
from .broker import open_broker
from .config import Settings
from .core.assisting import AssistDoor
from .core.desk import Actor, CustomerActor, Desk, RepActor
from .core.errors import Conflict, CoreError, NotAllowed
from .core.routing import QueueConfig
from .core.session import Session
from .counters import Counters
from .heap_trim import HeapTrim
from .loop_watch import LoopWatch
from .ratelimit import Backoff, RateLimiter
from .record_writer import RecordWriter
from .recording.recorder import RECORDED_KINDS, Recorder
from .resumes import Resume, Resumes
from .store import Account, open_store

log = logging.getLogger(__name__)


def random_number() -> str:
    """A random 9-digit session number that does not start with 0."""
    return str(secrets.randbelow(900_000_000) + 100_000_000)


def new_id() -> str:
    return secrets.token_urlsafe(9)


LIVE_KINDS = frozenset((p.StreamKind.COBROWSE, p.StreamKind.CONTROL))
"""Frames the broker keeps in its short live history (``Settings.history_live_bytes``):
a viewer rebuilds its picture from a fresh snapshot, and stale input is not
worth replaying. Screen frames and file chunks are kept as messages are."""

WHOLE_STATES = frozenset(("queue_state", "dashboard"))
"""Messages that carry a whole state of their receiver, not tied to a session:
a channel's history keeps only the newest (the broker's ``replaces``), so the
boards sent on every queue change do not fill a rep's history."""


def replaced_by(msg: p.Message) -> str | None:
    """The name under which a channel's history keeps only the newest of
    `msg`'s kind: a whole state of the receiver (`WHOLE_STATES`), or a
    `session_state`, the whole state of one session (sent after every change:
    a rep's history keeps the newest of each of their sessions)."""
    kind = msg.type
    if kind == "session_state":
        return f"session_state {msg.session}"
    return kind if kind in WHOLE_STATES else None


class Relay:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = open_store(settings.database_url)
        self.broker = open_broker(settings.broker_url, history_messages=settings.history_messages,
                                  history_bytes=settings.history_bytes, history_seconds=settings.history_seconds,
                                  live_bytes=settings.history_live_bytes,
                                  live_seconds=settings.history_live_seconds,
                                  delivery_grace=settings.history_grace, delivery_bytes=settings.send_queue_bytes)
        self._publish_now = getattr(self.broker, "publish_nowait", None)  # memory://: see relay_frame
        self.tokens = Tokens(settings.secret_key)
        self.clock = time.time
        self.desk = Desk(new_id=new_id, new_number=random_number, join_link=self.join_link,
                         grant_timeout=settings.grant_timeout, connect_grace=settings.connect_grace)
        self.signin_backoff = Backoff(settings.signin_attempts, max_delay=settings.signin_window)  # account+address
        self.signin_by_address = RateLimiter(settings.signin_attempts * 4, settings.signin_window)
        self.join_by_address = RateLimiter(settings.join_attempts, settings.join_window)
        # assisting by number is limited per rep account as joining is per address
        self.desk.assist_door = AssistDoor(settings.join_attempts, settings.join_window)
        self.counters = Counters()
        self.loop_watch = LoopWatch(self.counters)
        self.heap_trim = HeapTrim(self.counters, settings.heap_trim_interval)
        self._links: dict[str, str] = {}
        self._gone_timers: dict[str, asyncio.TimerHandle] = {}
        self._tasks: list[asyncio.Task] = []
        self.recorder = Recorder(self)
        self.connections: set = set()
        """Open /ws connections of this node (server/web/ws.py `Connection`)."""
        self.node = None
        """This process as a node of a cluster (server/cluster), on a Redis broker."""
        if urlsplit(settings.broker_url).scheme in ("redis", "rediss"):
            from .cluster.node import Node

            self.node = Node(self)
        self.records = RecordWriter(self.store, self.counters, self.node)
        self.resumes = Resumes(settings.resume_window, self.node)

    # --- life cycle ---------------------------------------------------------

    async def start(self) -> None:
        await self.store.open()
        await self.broker.connect()
        if self.node is not None:
            await self.node.connect()
            await self.node.start(self._restore)
            self._tasks = [asyncio.create_task(self.records.run(), name="records")]
        else:
            await self._restore()
            self._tasks = [asyncio.create_task(self._tick_loop(), name="tick"),
                           asyncio.create_task(self.records.run(), name="records")]
        await self.recorder.start()
        self.loop_watch.start()
        self.heap_trim.start()

    async def _restore(self) -> None:
        """The desk as the store left it: accounts, queues, policies and the
        live sessions (a restart; in a cluster, its first node)."""
        now, desk = self.clock(), self.desk
        for account in await self.store.list_accounts():
            desk.configure_rep(account.id, **self._seat(account), now=now)
        desk.configure_queues(await self._queue_configs())
        desk.set_policies(await self.store.get_policies(), now)
        rows = await self.store.live_sessions()
        desk.restore(rows, await self.store.max_ids())
        desk.data_to_send()
        desk.records_to_store()
        if rows:
            log.info("restored %d live sessions", len(rows))

    async def stop(self) -> None:
        self.loop_watch.stop()
        self.heap_trim.stop()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for handle in self._gone_timers.values():
            handle.cancel()
        try:
            if self.node is not None:
                # the files first: the next owner must not reopen one before this node's last write
                try:
                    await self.recorder.close()
                finally:
                    await self.node.stop()
            await self.records.write()
            if self.node is None:
                await self.recorder.close()
        finally:  # whatever failed above, the connections are closed
            await self.broker.disconnect()
            await self.store.close()

    # --- configuration ------------------------------------------------------

    @staticmethod
    def _seat(account: Account) -> dict:
        return dict(name=account.name, queue_rep=account.queue_rep, queues=tuple(account.queues),
                    max_customers=account.max_customers, multi_session=account.multi_session,
                    supervises=account.is_admin or account.is_supervisor, active=account.active)

    async def configure_rep(self, account: Account) -> None:
        """An account was created or changed: its seat at the desk follows."""
        if self.node is not None:
            await self.node.submit("rep", {"account_id": account.id, **self._seat(account)})
            return
        self.desk.configure_rep(account.id, **self._seat(account), now=self.clock())
        await self.flush()

    async def _queue_configs(self) -> list[QueueConfig]:
        return [QueueConfig(q.name, q.title, q.routing, q.offer_timeout, q.consent, q.intake)
                for q in await self.store.list_queues()]

    async def reload_queues(self) -> None:
        if self.node is not None:
            await self.node.submit("queues", await self._queue_configs())
            return
        self.desk.configure_queues(await self._queue_configs())
        await self.flush()

    async def reload_policies(self, policies: dict) -> None:
        if self.node is not None:
            await self.node.submit("policies", policies)
            return
        self.desk.set_policies(policies, self.clock())
        await self.flush()

    def join_link(self, session: Session) -> str:
        link = self._links.get(session.id)
        if link is None:
            token = self.tokens.invite(session.id, session.number, "customer")
            link = self._links[session.id] = f"{self.settings.public_url}/invite/{token}"
        return link

    # --- inputs -------------------------------------------------------------

    async def receive(self, actor: Actor, msg: p.ClientMessage, text: str | None = None,
                      resume: Resume | None = None) -> None:
        """Apply a client's message (``text``: as it came, when at hand)."""
        if self.node is not None:
            await self.node.message(actor, text or msg.model_dump_json(), resume and resume.key, msg.seq)
            return
        try:
            self.desk.receive(actor, msg, self.clock())
        finally:
            await self.flush()

    def frame_targets(self, actor: Actor, kind: int, stream: int) -> list[str]:
        if kind == p.StreamKind.RECORD:
            return self.recorder.accept_record_frame(actor, stream)
        targets = self.desk.route_frame(actor, kind, stream)
        node = self.node
        if node is not None and node.token is None and kind in RECORDED_KINDS:
            # a recording is written by the desk's owner: frames entering another node reach it too
            forward = self.recorder.forward_channels(stream)
            if forward:
                return targets + forward
        return targets

    async def frame_targets_after_sync(self, actor: Actor, kind: int, stream: int, refused: CoreError) -> list[str]:
        """A frame this node's desk refused may follow a change another node
        applied a moment ago (a grant the sender saw approved): in a cluster,
        catch up and ask once more. Raises ``refused`` otherwise."""
        if self.node is None:
            raise refused
        await self.node.sync()
        return self.frame_targets(actor, kind, stream)

    async def publish_frame(self, targets: list[str], data: bytes, resume: Resume) -> None:
        """A binary frame the desk routed, to its receivers."""
        if self.node is not None:
            if targets:
                await self.node.publish_frame(targets, data, resume.key, resume.client_seq)
            return
        self.relay_frame(targets, data)

    def relay_frame(self, targets: list[str], data: bytes) -> None:
        """`publish_frame` of one relay process (no cluster: the memory broker),
        at once: what `/ws` calls for each frame, with no coroutine on the way."""
        live = data[0] in LIVE_KINDS
        publish = self._publish_now
        for channel in targets:
            publish(channel, data, live)

    async def online(self, actor: Actor, screen: str | None = None, console: bool = True) -> None:
        """A connection was welcomed. A rep's ``console`` makes them present;
        their dashboard page (not a console) does not."""
        if self.node is not None:
            from .cluster.replica import actor_data

            await self.node.submit("online", {"a": actor_data(actor), "s": screen, "c": console})
            return
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
        if self.node is not None:
            from .cluster.replica import actor_data

            await self.node.submit("offline", {"a": actor_data(actor), "c": console})
            return
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

    async def join_wait(self, address: str) -> int:
        """Counts one join attempt (by number or help link) from ``address``;
        returns 0 when allowed, else the seconds to wait (in a cluster,
        counted on every node together)."""
        now = self.clock()
        if self.node is not None:
            wait = await self.node.ask(self.node.limits["join"].hit(address, now))
            return int(wait) + 1 if wait else 0
        if self.join_by_address.hit(address, now):
            return 0
        return int(self.join_by_address.retry_after(address, now)) + 1

    async def signin_wait(self, pair: str, address: str) -> float:
        """Seconds a sign-in must wait: wrong passwords from this account and
        address (``pair``), then attempts from the address (counted)."""
        now = self.clock()
        if self.node is not None:
            limits = self.node.limits
            ask = self.node.ask
            return await ask(limits["signin"].wait(pair, now)) or await ask(limits["signin_address"].hit(address, now))
        wait = self.signin_backoff.wait(pair, now)
        if not wait and not self.signin_by_address.hit(address, now):
            wait = self.signin_by_address.retry_after(address, now)
        return wait

    async def signin_failed(self, pair: str) -> None:
        if self.node is not None:
            await self.node.ask(self.node.limits["signin"].failed(pair, self.clock()))
        else:
            self.signin_backoff.failed(pair, self.clock())

    async def signin_succeeded(self, pair: str) -> None:
        if self.node is not None:
            await self.node.ask(self.node.limits["signin"].succeeded(pair))
        else:
            self.signin_backoff.succeeded(pair)

    async def find_customer(self, token: str) -> CustomerActor:
        """`customer_actor`, after catching up with the cluster when this
        node's desk does not know the participant yet (it joined through
        another node a moment ago)."""
        try:
            return self.customer_actor(token)
        except BadToken:
            if self.node is None:
                raise
        await self.node.sync()
        return self.customer_actor(token)

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
            if self.desk.pairing_taken(code):
                continue
            if self.node is None:
                self.desk.pairing_code(actor, session_id, code, self.clock(), self.PAIRING_TTL)
                break
            from .cluster.replica import actor_data

            try:
                await self.node.submit("pcode", {"a": actor_data(actor), "session": session_id, "code": code,
                                                 "ttl": self.PAIRING_TTL})
                break
            except Conflict:
                continue  # taken meanwhile, through another node
        await self.store.audit("agent.pairing_code", actor=getattr(actor, "pid", None) or f"rep:{actor.account_id}",
                               session_id=session_id)
        return code

    async def _enter(self, kind: str, data: dict, local) -> tuple[Session, str]:
        """A new participant: through the inbox in a cluster, else at once."""
        if self.node is not None:
            sid, pid = await self.node.submit(kind, data)
            return self.desk.sessions[sid], pid
        s, pid = local()
        await self.flush()
        return s, pid

    async def pair_agent(self, number: str, code: str, name: str) -> tuple[Session, str, str]:
        s, pid = await self._enter("pair", {"number": number, "code": code, "name": name},
                                   lambda: self.desk.pair_agent(number, code, name, self.clock()))
        return s, pid, self.tokens.capability(s.id, pid, "agent")

    async def enter_queue(self, queue: str, name: str, description: str = "",
                          fields: dict[str, str] | None = None) -> tuple[Session, str]:
        s, pid = await self._enter(
            "queue", {"queue": queue, "name": name, "description": description, "fields": fields},
            lambda: self.desk.enter_queue(queue, name, self.clock(), description, fields))
        return s, self.tokens.capability(s.id, pid, "customer")

    async def join(self, number: str, name: str, description: str = "") -> tuple[Session, str]:
        s, pid = await self._enter("join", {"number": number, "name": name, "description": description},
                                   lambda: self.desk.join(number, name, self.clock(), description))
        return s, self.tokens.capability(s.id, pid, "customer")

    # --- output -------------------------------------------------------------

    async def flush(self) -> None:
        """Publish what the desk wants sent, queue its records for the store.
        (In a cluster the node does this for each inbox entry it applies.)"""
        if self.node is not None:
            return
        observe, clock = self.counters.broker_seconds.observe, time.perf_counter
        records = self.desk.records_to_store()
        if records:
            # The recorder first: what a client sends in answer to these
            # messages (the whole picture a Support Manager sends when a
            # recording starts) must find the recording open, even when a
            # publish below lets the loop run the client's frame first.
            self.recorder.observe(records)
        made: dict[int, str] = {}  # a message to several channels (a chat line) is made once, and kept once
        for channel, msg in self.desk.data_to_send():
            payload = made.get(id(msg))
            if payload is None:
                payload = made[id(msg)] = msg.model_dump_json(exclude_none=False)
            t0 = clock()
            await self.broker.publish(channel, payload, replaces=replaced_by(msg))
            observe(clock() - t0)
            self._published(channel, msg)
        if records:
            self.records.add(records)
            self.forget_links(records)

    def _published(self, channel: str, msg: p.Message) -> None:
        if msg.type == "session_ended" and channel.startswith("cus:"):
            # the customer's stream ends with the session: keep it only
            # long enough for a dropped page to come back and read the end
            asyncio.get_running_loop().call_later(
                self.settings.resume_window, lambda ch=channel: asyncio.ensure_future(self.broker.forget(ch)))

    def published(self, out: list[tuple[str, p.Message]]) -> None:
        """What the cluster's owner (this node) just published."""
        for channel, msg in out:
            self._published(channel, msg)

    def forget_links(self, records: list) -> None:
        for r in records:
            if r.action == "session.state" and r.data.get("state") == "ended":
                self._links.pop(r.session_id, None)

    def took_over(self) -> None:
        """This node now owns the desk (another one died or lost Redis): it
        writes the recordings in progress from now on."""
        self.recorder.take_over()

    def lost_lease(self) -> None:
        """Another node owns the desk now (this one stalled or lost Redis):
        it writes the recordings from here on."""
        self.recorder.step_down()

    def backend_state(self, healthy: bool) -> None:
        """The node lost Redis (or has it back): its clients are told and
        closed, so that they resume through a node that has it."""
        if not healthy:
            for conn in list(self.connections):
                conn.unavailable()

    async def drain(self) -> None:
        """Wait until every record so far is in the store (reports, shutdown)."""
        await self.records.drain()

    async def _tick_loop(self) -> None:
        while True:
            await asyncio.sleep(0.25)
            try:
                self.desk.tick(self.clock())
                await self.flush()
                self.resumes.sweep()
            except Exception:
                log.exception("tick failed")
