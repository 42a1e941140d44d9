"""The desk as a replicated state machine: every node applies the same inbox
entries, in the same order, to its own `Desk`, and so holds the same state.

An entry is what a relay method would have done to the desk (a client's
message, a connection coming or going, a customer joining, a clock tick, an
admin's change), as data. Applying one depends on nothing but the entry and
the state: the time is the entry's (Redis stamps it), and the ids and session
numbers the desk makes are derived from the entry id with the cluster's
secret key, so every replica makes the same ones and nobody outside can guess
them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import pickle
import types
from typing import Any

from .. import protocol as p
from ..core.actors import Actor, CustomerActor, RepActor
from ..core.desk import Desk
from ..core.errors import Conflict
from ..core.routing import QueueConfig


def entry_time(entry_id: str) -> float:
    """A Redis stream entry id is ``MILLISECONDS-N``: the server's clock."""
    return int(entry_id.partition("-")[0]) / 1000


def entry_key(entry_id: str) -> str:
    """An entry id that sorts as text in the order Redis gave it."""
    ms, _, n = entry_id.partition("-")
    return f"{int(ms):015d}-{int(n):010d}"


def entry_after(a: str, b: str) -> bool:
    """Is entry id ``a`` later than ``b``?"""
    return entry_key(a) > entry_key(b)


def actor_data(actor: Actor) -> list:
    return ["r", actor.account_id] if isinstance(actor, RepActor) else ["c", actor.session_id, actor.pid]


def actor_from(data: list) -> Actor:
    return RepActor(int(data[1])) if data[0] == "r" else CustomerActor(str(data[1]), str(data[2]))


class Signer:
    """Pickled data (snapshots, admin changes) is signed with the cluster's
    secret key and refused unless the signature is right: whoever can write
    to Redis still cannot make a node unpickle what it chose."""

    def __init__(self, secret: str) -> None:
        self.key = hashlib.sha256(b"tandem-cluster:" + secret.encode()).digest()

    def dumps(self, value: Any) -> bytes:
        body = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        return hmac.new(self.key, body, "sha256").digest() + body

    def loads(self, data: bytes) -> Any:
        mac, body = data[:32], data[32:]
        if not hmac.compare_digest(mac, hmac.new(self.key, body, "sha256").digest()):
            raise ValueError("bad signature on cluster data")
        return pickle.loads(body)  # noqa: S301 (signed by a node of this cluster)

    def derive(self, *parts: str) -> bytes:
        return hmac.new(self.key, "\0".join(parts).encode(), "sha256").digest()


class Replica:
    """Applies entries to a desk. The relay's own callables (new ids, session
    numbers, join links) are pointed at this replica's deterministic ones."""

    def __init__(self, desk: Desk, signer: Signer, resume_window: float) -> None:
        self.signer = signer
        self.resume_window = resume_window
        self.offline_at: dict[str, tuple[CustomerActor, float]] = {}
        """Customers whose last connection went, and when: gone after the resume window."""
        self.links: dict[str, dict[tuple, int]] = {}
        """Open connections per node: node id -> {(actor, console): count}. When a
        node dies, its connections are closed for it (`_node_gone`)."""
        self._node = ""
        self._entry = "0-0"
        self._made = 0
        self.attach(desk)

    def attach(self, desk: Desk) -> None:
        self.desk = desk
        desk.new_id = self.new_id
        desk.new_number = self.new_number

    def new_id(self) -> str:
        self._made += 1
        raw = self.signer.derive("id", self._entry, str(self._made))[:9]
        return base64.urlsafe_b64encode(raw).decode()

    def new_number(self) -> str:
        self._made += 1
        value = int.from_bytes(self.signer.derive("number", self._entry, str(self._made))[:8], "big")
        return str(100_000_000 + value % 900_000_000)

    # --- snapshots -----------------------------------------------------------

    def snapshot(self, position: str) -> bytes:
        """The whole state after entry ``position``, signed."""
        buf = io.BytesIO()
        _Pickler(buf, self.desk).dump((position, self.desk, self.offline_at, self.links))
        body = buf.getvalue()
        return hmac.new(self.signer.key, body, "sha256").digest() + body

    def load(self, data: bytes) -> str:
        """Take a snapshot's state; returns its position."""
        mac, body = data[:32], data[32:]
        if not hmac.compare_digest(mac, hmac.new(self.signer.key, body, "sha256").digest()):
            raise ValueError("bad signature on the cluster's snapshot")
        join_link = self.desk.join_link
        position, desk, self.offline_at, self.links = _Unpickler(io.BytesIO(body), self, join_link).load()
        desk.join_link = join_link
        self.attach(desk)
        return position

    # --- applying ------------------------------------------------------------

    def apply(self, entry_id: str, kind: str, data: bytes, node: str = "") -> Any:
        """Apply one entry (appended by ``node``); returns its result or raises
        the desk's `CoreError`."""
        self._entry, self._made, self._node = entry_id, 0, node
        now = entry_time(entry_id)
        handler = getattr(self, f"_{kind}", None)
        if handler is None:
            raise ValueError(f"unknown inbox entry kind {kind!r}")
        if kind in ("rep", "queues", "policies"):
            return handler(self.signer.loads(data), now)
        return handler(json.loads(data), now)

    def _msg(self, d: dict, now: float) -> None:
        self.desk.receive(actor_from(d["a"]), p.client_message.validate_json(d["m"]), now)

    def _online(self, d: dict, now: float) -> None:
        actor, desk = actor_from(d["a"]), self.desk
        links = self.links.setdefault(self._node, {})
        key = (tuple(d["a"]), bool(d["c"]))
        links[key] = links.get(key, 0) + 1
        if isinstance(actor, RepActor):
            (desk.rep_online if d["c"] else desk.dashboard_online)(actor.account_id, now)
        else:
            self.offline_at.pop(actor.pid, None)
            desk.customer_online(actor, now, d.get("s"))

    def _offline(self, d: dict, now: float) -> None:
        links = self.links.get(self._node, {})
        key = (tuple(d["a"]), bool(d["c"]))
        if links.get(key, 0) <= 1:
            links.pop(key, None)
            if not links:
                self.links.pop(self._node, None)
        else:
            links[key] -= 1
        self._closed(d, now)

    def _node_gone(self, d: dict, now: float) -> None:
        """A node died (no goodbye): its connections are closed, as their
        clients would have closed them."""
        for (actor, console), count in self.links.pop(d["node"], {}).items():
            for _ in range(count):
                self._closed({"a": list(actor), "c": console}, now)

    def _closed(self, d: dict, now: float) -> None:
        actor, desk = actor_from(d["a"]), self.desk
        if isinstance(actor, RepActor):
            (desk.rep_offline if d["c"] else desk.dashboard_offline)(actor.account_id, now)
        elif desk.customer_offline(actor, now):
            self.offline_at[actor.pid] = (actor, now)

    def _tick(self, _d: dict, now: float) -> None:
        self.desk.tick(now)
        for pid, (actor, since) in list(self.offline_at.items()):
            if now - since >= self.resume_window:
                del self.offline_at[pid]
                self.desk.customer_gone(actor, now)

    def _join(self, d: dict, now: float) -> list[str]:
        s, pid = self.desk.join(d["number"], d["name"], now, d.get("description", ""))
        return [s.id, pid]

    def _queue(self, d: dict, now: float) -> list[str]:
        s, pid = self.desk.enter_queue(d["queue"], d["name"], now, d.get("description", ""), d.get("fields"))
        return [s.id, pid]

    def _pair(self, d: dict, now: float) -> list[str]:
        s, pid = self.desk.pair_agent(d["number"], d["code"], d["name"], now)
        return [s.id, pid]

    def _pcode(self, d: dict, now: float) -> None:
        if self.desk.pairing_taken(d["code"]):
            raise Conflict("that pairing code was just given out; another is drawn")
        self.desk.pairing_code(actor_from(d["a"]), d["session"], d["code"], now, d["ttl"])

    def _rep(self, fields: dict, now: float) -> None:
        self.desk.configure_rep(fields.pop("account_id"), now=now, **fields)

    def _queues(self, queues: list[QueueConfig], _now: float) -> None:
        self.desk.configure_queues(queues)

    def _policies(self, policies: dict, now: float) -> None:
        self.desk.set_policies(policies, now)


class _Pickler(pickle.Pickler):
    """The desk's callables from outside (new ids and numbers, join links)
    are named, not pickled: the loading node puts its own in their place."""

    def __init__(self, file, desk: Desk) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.desk = desk

    def persistent_id(self, obj: Any) -> str | None:
        if type(obj) is types.MethodType and obj.__self__ is not self.desk:
            for name in ("new_id", "new_number", "join_link"):
                if obj == getattr(self.desk, name):
                    return name
        return None


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, replica: Replica, join_link) -> None:
        super().__init__(file)
        self.named = {"new_id": replica.new_id, "new_number": replica.new_number, "join_link": join_link}

    def persistent_load(self, pid: str) -> Any:
        return self.named[pid]
