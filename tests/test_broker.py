"""The in-process broker (server/broker/memory.py): ordered delivery, replay
after a seq, `Gap` once history is trimmed, and bounded history."""

from __future__ import annotations

import pytest

from server.broker import Gap, open_broker
from server.broker.memory import MemoryBroker

pytestmark = pytest.mark.anyio


class Inbox:
    def __init__(self) -> None:
        self.got: list[tuple[int, str | bytes]] = []

    def __call__(self, seq, payload) -> None:
        self.got.append((seq, payload))

    @property
    def seqs(self) -> list[int]:
        return [s for s, _ in self.got]


async def test_subscribers_get_every_payload_in_order_with_its_seq():
    broker = MemoryBroker()
    a, b = Inbox(), Inbox()
    await broker.subscribe("rep:1", None, a)
    await broker.subscribe("rep:1", None, b)
    seqs = [await broker.publish("rep:1", p) for p in ("one", b"two", "three")]
    assert seqs == [1, 2, 3]
    assert a.got == b.got == [(1, "one"), (2, b"two"), (3, "three")]
    assert await broker.last_seq("rep:1") == 3


async def test_channels_are_separate_streams():
    broker = MemoryBroker()
    rep, cus = Inbox(), Inbox()
    await broker.subscribe("rep:1", None, rep)
    await broker.subscribe("cus:x", None, cus)
    await broker.publish("rep:1", "for the rep")
    await broker.publish("cus:x", "for the customer")
    assert rep.got == [(1, "for the rep")] and cus.got == [(1, "for the customer")]


async def test_subscribing_without_after_gets_only_new_payloads():
    broker = MemoryBroker()
    await broker.publish("c", "old")
    inbox = Inbox()
    await broker.subscribe("c", None, inbox)
    await broker.publish("c", "new")
    assert inbox.got == [(2, "new")]


async def test_a_returning_subscriber_gets_what_it_missed_then_live():
    broker = MemoryBroker()
    first = Inbox()
    sub = await broker.subscribe("c", None, first)
    for i in range(1, 4):
        await broker.publish("c", f"m{i}")
    sub.close()
    for i in range(4, 7):
        await broker.publish("c", f"m{i}")
    assert first.seqs == [1, 2, 3]

    back = Inbox()
    await broker.subscribe("c", 3, back)
    await broker.publish("c", "m7")
    assert back.got == [(4, "m4"), (5, "m5"), (6, "m6"), (7, "m7")]


async def test_a_subscriber_that_missed_nothing_gets_nothing_again():
    broker = MemoryBroker()
    for i in range(3):
        await broker.publish("c", f"m{i}")
    inbox = Inbox()
    await broker.subscribe("c", 3, inbox)
    assert inbox.got == []


async def test_gap_when_what_was_missed_is_no_longer_kept():
    broker = MemoryBroker(history_messages=3)
    for i in range(1, 11):
        await broker.publish("c", f"m{i}")
    with pytest.raises(Gap):
        await broker.subscribe("c", 6, Inbox())  # 7 was trimmed
    with pytest.raises(Gap):
        await broker.subscribe("c", 0, Inbox())
    inbox = Inbox()
    await broker.subscribe("c", 7, inbox)  # 8, 9, 10 are kept
    assert inbox.got == [(8, "m8"), (9, "m9"), (10, "m10")]


async def test_history_is_trimmed_by_bytes():
    broker = MemoryBroker(history_messages=1000, history_bytes=10)
    for payload in (b"aaaa", b"bbbb", b"cccc", b"dddd"):
        await broker.publish("c", payload)
    with pytest.raises(Gap):
        await broker.subscribe("c", 1, Inbox())
    inbox = Inbox()
    await broker.subscribe("c", 2, inbox)
    assert inbox.got == [(3, b"cccc"), (4, b"dddd")]


async def test_a_closed_subscription_gets_nothing_more():
    broker = MemoryBroker()
    inbox = Inbox()
    sub = await broker.subscribe("c", None, inbox)
    await broker.publish("c", "before")
    sub.close()
    sub.close()  # twice is harmless
    await broker.publish("c", "after")
    assert inbox.got == [(1, "before")]


async def test_a_channel_nobody_reads_keeps_bounded_history():
    broker = MemoryBroker(history_messages=100)
    for i in range(10_000):
        await broker.publish("cus:gone", f"message {i}")
    channel = broker._channels["cus:gone"]
    assert len(channel.history) <= 100
    assert channel.size == sum(len(p) for _, p in channel.history)
    inbox = Inbox()
    await broker.subscribe("cus:gone", 9_900, inbox)
    assert inbox.seqs == list(range(9_901, 10_001))


async def test_a_big_payload_does_not_pin_history_beyond_the_byte_bound():
    broker = MemoryBroker(history_messages=100, history_bytes=1000)
    await broker.publish("c", b"x" * 5000)
    await broker.publish("c", b"small")
    assert broker._channels["c"].size <= 1000


async def test_forget_drops_history_and_a_later_resume_must_resync():
    broker = MemoryBroker()
    for i in range(5):
        await broker.publish("c", f"m{i}")
    await broker.forget("c")
    with pytest.raises(Gap):
        await broker.subscribe("c", 2, Inbox())
    assert await broker.publish("c", "next") == 6  # seq never goes back


def test_open_broker_by_url():
    assert isinstance(open_broker("memory://", history_messages=7), MemoryBroker)
    with pytest.raises(ValueError):
        open_broker("carrier-pigeon://coop")
