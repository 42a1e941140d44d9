import itertools

import pytest

from server import protocol as p
from server.core.desk import CustomerActor, Desk, QueueConfig, RepActor


class Harness:
    """A Desk with deterministic ids and a clock, plus helpers to send messages."""

    def __init__(self) -> None:
        ids = itertools.count(1)
        numbers = itertools.count(100000001)
        self.desk = Desk(new_id=lambda: f"id{next(ids)}", new_number=lambda: str(next(numbers)),
                         join_link=lambda s: f"http://relay/j/{s.number}")
        self.now = 1000.0
        self.seq = itertools.count(1)
        self.desk.configure_queues([QueueConfig("billing", "Billing"),
                                    QueueConfig("auto", "Automatic", "automatic", offer_timeout=30)])

    def rep(self, account_id, name=None, *, queue_rep=True, queues=("billing", "auto"),
            max_customers=3, multi_session=False, online=True):
        self.desk.configure_rep(account_id, name=name or f"Rep {account_id}", queue_rep=queue_rep,
                                queues=queues, max_customers=max_customers,
                                multi_session=multi_session, now=self.now)
        if online:
            self.desk.rep_online(account_id, self.now)
        return RepActor(account_id)

    def send(self, actor, type_, **fields):
        msg = p.client_message.validate_python({"type": type_, "seq": next(self.seq), **fields})
        self.desk.receive(actor, msg, self.now)

    def start(self, rep):
        self.send(rep, "start_session")
        return self.session_of(rep)

    def session_of(self, rep):
        return max((s for s in self.desk.sessions.values() if s.rep_pid(rep.account_id)),
                   key=lambda s: s.created_at, default=None)

    def join(self, session, name="Ann"):
        s, pid = self.desk.join(session.number, name, self.now)
        return CustomerActor(s.id, pid)

    def pid(self, session, rep):
        return session.rep_pid(rep.account_id)

    def sent(self, channel=None, type_=None):
        out = self.desk.data_to_send()
        return [m for ch, m in out if (channel is None or ch == channel) and (type_ is None or m.type == type_)]

    def enter(self, queue="billing", name="Ann", *, online=True):
        """A customer clicks the help link of ``queue`` and (``online``) their
        page connects, as the help page does at once; returns their actor."""
        s, pid = self.desk.enter_queue(queue, name, self.now)
        actor = CustomerActor(s.id, pid)
        if online:
            self.desk.customer_online(actor, self.now)
        return actor

    def available(self, rep, available=True):
        self.send(rep, "set_availability", available=available)

    def later(self, seconds):
        """Move the clock on and let the desk notice (grant and offer deadlines)."""
        self.now += seconds
        self.desk.tick(self.now)

    def active_session(self, rep="r1", customer="Ann"):
        r = self.rep(1, "Rita")
        s = self.start(r)
        c = self.join(s, customer)
        return r, s, c


@pytest.fixture
def h():
    return Harness()
