"""The broker (server/broker/), on every backend: the in-process one and
Redis Streams on a real redis-server (`broker_url` runs each test on both):
ordered delivery, replay after a seq, `Gap` once history is trimmed, and
bounded history."""

from __future__ import annotations

import asyncio
import os

import pytest

from server.broker import Gap, Unreachable, open_broker
from server.broker.memory import MemoryBroker
from tests.backends import free_port

pytestmark = pytest.mark.anyio

WAIT = 10.0  # a bound for deliveries that must come, not a timing target


class Inbox:
    def __init__(self) -> None:
        self.got: list[tuple[int, str | bytes]] = []
        self.changed = asyncio.Event()

    def __call__(self, seq, payload) -> None:
        self.got.append((seq, payload))
        self.changed.set()

    @property
    def seqs(self) -> list[int]:
        return [s for s, _ in self.got]

    async def until(self, n: int) -> list[tuple[int, str | bytes]]:
        """Wait until `n` payloads have come (Redis delivers from its read task)."""
        async with asyncio.timeout(WAIT):
            while len(self.got) < n:
                self.changed.clear()
                await self.changed.wait()
        return self.got


@pytest.fixture
async def brokers(broker_url):
    """Open brokers on `broker_url` (keyword arguments as `open_broker`'s).
    Redis trims to the history's bounds at once here; its grace for unread
    payloads has tests of its own."""
    opened = []

    async def make(**kw):
        kw.setdefault("delivery_grace", 0)
        broker = open_broker(broker_url, **kw)
        await broker.connect()
        opened.append(broker)
        return broker

    yield make
    for broker in opened:
        await broker.disconnect()


@pytest.fixture
async def broker(brokers):
    return await brokers()


async def fence(broker, channel: str) -> None:
    """Publish "fence" and wait until a fresh subscriber got it: every
    subscriber of `channel` in this process has had what came before it (and
    the fence itself)."""
    marker = Inbox()
    sub = await broker.subscribe(channel, None, marker)
    await broker.publish(channel, "fence")
    await marker.until(1)
    sub.close()


async def history(broker, channel: str) -> list[tuple[int, str | bytes]]:
    """What the broker keeps of `channel` to resume from."""
    if isinstance(broker, MemoryBroker):
        return broker._channels[channel].history.after(0)
    key, _ = broker._keys(channel)
    from server.broker.redis import _payload, _seq
    return [(_seq(i), _payload(f)) for i, f in await broker._redis.xrange(key)]


async def test_subscribers_get_every_payload_in_order_with_its_seq(broker):
    a, b = Inbox(), Inbox()
    await broker.subscribe("rep:1", None, a)
    await broker.subscribe("rep:1", None, b)
    seqs = [await broker.publish("rep:1", p) for p in ("one", b"two", "three")]
    assert seqs == [1, 2, 3]
    assert await a.until(3) == await b.until(3) == [(1, "one"), (2, b"two"), (3, "three")]
    assert await broker.last_seq("rep:1") == 3


async def test_channels_are_separate_streams(broker):
    rep, cus = Inbox(), Inbox()
    await broker.subscribe("rep:1", None, rep)
    await broker.subscribe("cus:x", None, cus)
    await broker.publish("rep:1", "for the rep")
    await broker.publish("cus:x", "for the customer")
    assert await rep.until(1) == [(1, "for the rep")] and await cus.until(1) == [(1, "for the customer")]
    await fence(broker, "rep:1")
    await fence(broker, "cus:x")
    assert rep.got == [(1, "for the rep"), (2, "fence")] and cus.got == [(1, "for the customer"), (2, "fence")]


async def test_subscribing_without_after_gets_only_new_payloads(broker):
    await broker.publish("c", "old")
    inbox = Inbox()
    await broker.subscribe("c", None, inbox)
    await broker.publish("c", "new")
    assert await inbox.until(1) == [(2, "new")]
    await fence(broker, "c")
    assert inbox.got == [(2, "new"), (3, "fence")]


async def test_a_returning_subscriber_gets_what_it_missed_then_live(broker):
    first = Inbox()
    sub = await broker.subscribe("c", None, first)
    for i in range(1, 4):
        await broker.publish("c", f"m{i}")
    await first.until(3)
    sub.close()
    for i in range(4, 7):
        await broker.publish("c", f"m{i}")
    assert first.seqs == [1, 2, 3]

    back = Inbox()
    await broker.subscribe("c", 3, back)
    await broker.publish("c", "m7")
    assert await back.until(4) == [(4, "m4"), (5, "m5"), (6, "m6"), (7, "m7")]


async def test_a_subscriber_that_missed_nothing_gets_nothing_again(broker):
    for i in range(3):
        await broker.publish("c", f"m{i}")
    inbox = Inbox()
    await broker.subscribe("c", 3, inbox)
    await fence(broker, "c")
    assert inbox.got == [(4, "fence")]


async def test_gap_when_what_was_missed_is_no_longer_kept(brokers):
    broker = await brokers(history_messages=3)
    for i in range(1, 11):
        await broker.publish("c", f"m{i}")
    with pytest.raises(Gap):
        await broker.subscribe("c", 6, Inbox())  # 7 was trimmed
    with pytest.raises(Gap):
        await broker.subscribe("c", 0, Inbox())
    inbox = Inbox()
    await broker.subscribe("c", 7, inbox)  # 8, 9, 10 are kept
    assert await inbox.until(3) == [(8, "m8"), (9, "m9"), (10, "m10")]


async def test_history_is_trimmed_by_bytes(brokers):
    broker = await brokers(history_messages=1000, history_bytes=10)
    for payload in (b"aaaa", b"bbbb", b"cccc", b"dddd"):
        await broker.publish("c", payload)
    with pytest.raises(Gap):
        await broker.subscribe("c", 1, Inbox())
    inbox = Inbox()
    await broker.subscribe("c", 2, inbox)
    assert await inbox.until(2) == [(3, b"cccc"), (4, b"dddd")]


async def test_a_closed_subscription_gets_nothing_more(broker):
    inbox = Inbox()
    sub = await broker.subscribe("c", None, inbox)
    await broker.publish("c", "before")
    await inbox.until(1)
    sub.close()
    sub.close()  # twice is harmless
    await broker.publish("c", "after")
    await fence(broker, "c")
    assert inbox.got == [(1, "before")]  # neither "after" nor the fence


async def test_a_channel_nobody_reads_keeps_bounded_history(brokers):
    broker = await brokers(history_messages=100)
    for i in range(3_000):
        await broker.publish("cus:gone", f"message {i}")
    kept = await history(broker, "cus:gone")
    assert len(kept) == 100 and [s for s, _ in kept] == list(range(2_901, 3_001))
    if isinstance(broker, MemoryBroker):
        channel = broker._channels["cus:gone"]
        assert channel.history.size == sum(len(p) for _, p in kept)
    else:
        _, meta = broker._keys("cus:gone")
        assert int(await broker._redis.hget(meta, "bytes")) == sum(len(p.encode()) for _, p in kept)
    inbox = Inbox()
    await broker.subscribe("cus:gone", 2_950, inbox)
    assert [s for s, _ in await inbox.until(50)] == list(range(2_951, 3_001))


async def test_a_big_payload_does_not_pin_history_beyond_the_byte_bound(brokers):
    broker = await brokers(history_messages=100, history_bytes=1000)
    await broker.publish("c", b"x" * 5000)
    await broker.publish("c", b"small")
    assert sum(len(p) for _, p in await history(broker, "c")) <= 1000


async def test_forget_drops_history_and_a_later_resume_must_resync(broker):
    for i in range(5):
        await broker.publish("c", f"m{i}")
    await broker.forget("c")
    with pytest.raises(Gap):
        await broker.subscribe("c", 2, Inbox())
    assert await broker.publish("c", "next") == 6  # seq never goes back


async def test_text_and_bytes_come_back_as_they_were_sent(broker):
    inbox = Inbox()
    await broker.subscribe("c", None, inbox)
    sent = ["plain", "ünïcødé ✓", "", b"\x00\xff binary \x00", b"", '{"type": "chat"}']
    for payload in sent:
        await broker.publish("c", payload)
    got = await inbox.until(len(sent))
    assert [p for _, p in got] == sent
    assert [type(p) for _, p in got] == [type(p) for p in sent]


async def test_a_late_subscriber_is_caught_up_without_gaps_or_repeats(broker):
    """A subscriber joining a channel others already read, while payloads keep
    coming, gets each payload after its `after` exactly once, in order."""
    early = Inbox()
    await broker.subscribe("c", None, early)
    for i in range(50):
        await broker.publish("c", f"m{i}")
    late = Inbox()
    publishing = asyncio.ensure_future(_publish_many(broker, "c", 50, 100))
    await broker.subscribe("c", 20, late)
    await publishing
    assert [s for s, _ in await late.until(80)] == list(range(21, 101))
    assert [s for s, _ in await early.until(100)] == list(range(1, 101))


async def _publish_many(broker, channel, start, end):
    for i in range(start, end):
        await broker.publish(channel, f"m{i}")


async def test_two_brokers_on_one_backend_share_channels(brokers, broker_url):
    """Two relay processes on one Redis server see each other's channels; the
    memory broker is one process's own (two of them share nothing)."""
    a, b = await brokers(), await brokers()
    inbox = Inbox()
    await b.subscribe("rep:7", None, inbox)
    assert await a.publish("rep:7", "from node a") == 1
    if broker_url.startswith("redis"):
        assert await inbox.until(1) == [(1, "from node a")]
        assert await b.publish("rep:7", "from node b") == 2
        assert await b.last_seq("rep:7") == await a.last_seq("rep:7") == 2
    else:
        assert await b.last_seq("rep:7") == 0 and inbox.got == []


def test_open_broker_by_url():
    from server.broker.redis import RedisBroker

    assert isinstance(open_broker("memory://", history_messages=7), MemoryBroker)
    assert isinstance(open_broker("redis://127.0.0.1:6379/0"), RedisBroker)
    with pytest.raises(ValueError):
        open_broker("carrier-pigeon://coop")


async def test_an_unreachable_redis_is_one_clear_error_with_the_password_masked():
    url = f"redis://tandem:s3cret@127.0.0.1:{free_port()}/0"  # nothing listens there
    broker = open_broker(url)
    with pytest.raises(Unreachable) as caught:
        await broker.connect()
    message = str(caught.value)
    assert f"redis://tandem:***@127.0.0.1:{url.rsplit(':', 1)[1]}" in message and "s3cret" not in message


async def test_a_process_that_fell_behind_the_history_makes_its_subscribers_resync(redis_server):
    """Redis only (the memory broker delivers inside `publish`): when another
    node published more than the history keeps before this process read it,
    the subscriber is told (`lost`) and gets nothing past the hole; a new
    subscription from its last seq gets `Gap`."""
    url = redis_server.fresh_url()
    here, there = (open_broker(url, history_messages=3, delivery_grace=0),
                   open_broker(url, history_messages=3, delivery_grace=0))
    await here.connect()
    await there.connect()
    try:
        inbox, lost = Inbox(), []
        await here.subscribe("cus:x", None, inbox, lost=lambda: lost.append(True))
        await there.publish("cus:x", "m1")
        await inbox.until(1)
        # this process stops reading (a stalled event loop) while the other publishes on
        await here._stop_reading()
        for i in range(2, 11):
            await there.publish("cus:x", f"m{i}")
        here._start_reading()
        await fence(there, "cus:x")
        async with asyncio.timeout(WAIT):
            while not lost:
                await asyncio.sleep(0.01)
        assert inbox.got == [(1, "m1")] and lost == [True]
        with pytest.raises(Gap):
            await here.subscribe("cus:x", 1, Inbox())
    finally:
        await here.disconnect()
        await there.disconnect()



async def stalled_then_read(redis_server, during, **kw) -> tuple[Inbox, list]:
    """Another node publishes (`during(there)`) while this process does not
    read; then it reads again: what it got, and whether it was told `lost`."""
    url = redis_server.fresh_url()
    here, there = open_broker(url, **kw), open_broker(url, **kw)
    await here.connect()
    await there.connect()
    try:
        inbox, lost = Inbox(), []
        await here.subscribe("cus:x", None, inbox, lost=lambda: lost.append(True))
        await here._stop_reading()
        await during(there)
        here._start_reading()
        await there.publish("cus:x", "fence")
        async with asyncio.timeout(WAIT):  # until this subscriber read everything, or was told it cannot
            while not lost and "fence" not in [p for _, p in inbox.got]:
                await asyncio.sleep(0.01)
        return inbox, lost
    finally:
        await here.disconnect()
        await there.disconnect()


async def test_a_process_behind_for_less_than_the_grace_gets_a_burst_past_the_history(redis_server):
    """A file transfer keeps 4 MiB in flight, four times the history: a node
    whose loop stood still a moment still reads all of it."""
    chunk = os.urandom(256 * 1024)

    async def burst(there):
        for _ in range(16):
            await there.publish("cus:x", chunk)

    inbox, lost = await stalled_then_read(redis_server, burst, history_bytes=1 << 20, delivery_grace=5.0)
    assert not lost
    assert inbox.seqs == list(range(1, 18)) and all(p == chunk for _, p in inbox.got[:16])


async def test_past_the_grace_the_next_publish_trims_to_the_history_and_the_reader_resyncs(redis_server):
    async def slow_burst(there):
        for _ in range(10):
            await there.publish("cus:x", b"x" * 400)
        await asyncio.sleep(0.3)  # longer than the grace
        await there.publish("cus:x", b"late")
        assert sum(len(p) for _, p in await history(there, "cus:x")) <= 1000

    inbox, lost = await stalled_then_read(redis_server, slow_burst, history_bytes=1000, delivery_grace=0.2)
    assert lost == [True] and inbox.got == []


async def test_within_the_grace_a_channel_still_stops_at_its_cap(redis_server):
    async def flood(there):
        for _ in range(40):
            await there.publish("cus:x", b"y" * 1000)
        kept = await history(there, "cus:x")
        assert 5000 < sum(len(p) for _, p in kept) <= 10_000

    inbox, lost = await stalled_then_read(redis_server, flood, history_bytes=1000, delivery_grace=60.0,
                                          delivery_bytes=10_000)
    assert lost == [True]


# --- live frames: the memory broker's shorter history (cobrowse, input) ---------

async def test_a_resume_gets_messages_and_the_live_frames_still_kept_in_order_and_is_told_what_was_skipped():
    broker = MemoryBroker(live_bytes=40)
    for i in range(1, 9):  # frames of 10 bytes with a chat line every fourth
        if i % 4 == 0:
            await broker.publish("rep", f"chat {i}")
        else:
            await broker.publish("rep", b"frame %04d" % i, live=True)
    inbox = Inbox()
    sub = await broker.subscribe("rep", 1, inbox)
    # every message after 1; the frames past 40 bytes went down to 30 (frame 6 came): 1 and 2 are gone
    assert inbox.got == [(3, b"frame 0003"), (4, "chat 4"), (5, b"frame 0005"), (6, b"frame 0006"),
                         (7, b"frame 0007"), (8, "chat 8")]
    assert sub.skipped
    resumed = Inbox()
    sub = await broker.subscribe("rep", 2, resumed)  # nothing gone after 2
    assert resumed.seqs == [3, 4, 5, 6, 7, 8] and not sub.skipped


async def test_live_frames_are_trimmed_in_steps_within_their_bounds():
    broker = MemoryBroker(live_bytes=1000, history_messages=40)
    trims, dropped = 0, 0
    for i in range(1, 2_001):
        await broker.publish("rep", b"%099d" % i if i % 3 else b"%029d" % i, live=True)
        live = broker._channels["rep"].live
        kept = live.after(0)
        assert live.size == sum(len(p) for _, p in kept) <= 1000 and len(kept) <= 40
        assert [s for s, _ in kept] == list(range(live.dropped + 1, i + 1))  # the newest, none missing
        if i > 20:
            assert live.size > 750 - 100  # a trim goes down to three quarters of the bound, no further
        trims += live.dropped != dropped
        dropped = live.dropped
    assert trims < 2_000 // 2  # a trim drops several frames: most frames pass with none

    by_count = MemoryBroker(live_bytes=1 << 20, history_messages=40)
    for _ in range(200):
        await by_count.publish("rep", b"x", live=True)
        assert len(by_count._channels["rep"].live) <= 40
    assert len(by_count._channels["rep"].live) >= 30  # down to three quarters of 40, no further


async def test_with_the_relays_defaults_a_customers_input_of_a_10_second_drop_is_replayed_whole():
    from server.config import Settings

    settings = Settings()
    now = [1000.0]
    broker = open_broker("memory://", live_bytes=settings.history_live_bytes,
                         live_seconds=settings.history_live_seconds)
    broker.clock, broker._epoch = (lambda: now[0]), now[0]
    await broker.publish("cus", b"seen before the drop", live=True)
    sent = []
    for i in range(50):  # 10 s of a rep's input, 5 frames a second of 60 bytes
        now[0] += 0.2
        sent.append(b"%03d" % i + bytes(57))
        await broker.publish("cus", sent[-1], live=True)
    inbox = Inbox()
    assert not (await broker.subscribe("cus", 1, inbox)).skipped
    assert [payload for _, payload in inbox.got] == sent


async def test_live_frames_older_than_the_live_window_are_skipped_but_messages_stay():
    now = [1000.0]
    broker = MemoryBroker(live_seconds=15.0, clock=lambda: now[0])
    await broker.publish("cus", b"input 1", live=True)
    await broker.publish("cus", "chat 2")
    now[0] += 10.0  # a 10-second drop is replayed whole
    await broker.publish("cus", b"input 3", live=True)
    inbox = Inbox()
    assert not (await broker.subscribe("cus", 0, inbox)).skipped
    assert inbox.seqs == [1, 2, 3]
    now[0] += 6.0  # the first input is 16 s old when the next comes
    await broker.publish("cus", b"input 4", live=True)
    inbox = Inbox()
    assert (await broker.subscribe("cus", 0, inbox)).skipped
    assert inbox.seqs == [2, 3, 4]
    channel = broker._channels["cus"]
    assert channel.live.size == len(b"input 3") + len(b"input 4")


async def test_messages_gone_are_still_a_gap_whatever_the_live_frames():
    broker = MemoryBroker(history_messages=2)
    await broker.publish("c", "m1")
    await broker.publish("c", b"f2", live=True)
    await broker.publish("c", "m3")
    await broker.publish("c", "m4")  # m1 trimmed
    with pytest.raises(Gap):
        await broker.subscribe("c", 0, Inbox())
    inbox = Inbox()
    assert not (await broker.subscribe("c", 1, inbox)).skipped
    assert inbox.got == [(2, b"f2"), (3, "m3"), (4, "m4")]


async def test_live_frames_on_redis_are_kept_as_messages(redis_server):
    broker = open_broker(redis_server.fresh_url(), live_bytes=1)
    await broker.connect()
    try:
        for i in range(1, 4):
            await broker.publish("c", b"frame %d" % i, live=True)
        inbox = Inbox()
        sub = await broker.subscribe("c", 0, inbox)
        assert [s for s, _ in await inbox.until(3)] == [1, 2, 3] and not sub.skipped
    finally:
        await broker.disconnect()


# --- messages: kept as long as a resume may come, a state once ------------------

async def test_messages_older_than_the_history_window_are_gone_and_a_resume_before_them_resyncs():
    now = [1000.0]
    broker = MemoryBroker(history_seconds=150.0, clock=lambda: now[0])
    await broker.publish("cus", "chat 1")
    now[0] += 120.0  # the relay keeps a dropped client's resume id this long
    await broker.publish("cus", "chat 2")
    inbox = Inbox()
    await broker.subscribe("cus", 0, inbox)
    assert inbox.seqs == [1, 2]  # a client back within the resume window misses nothing
    now[0] += 31.0  # chat 1 is 151 s old when the next comes
    await broker.publish("cus", "chat 3")
    with pytest.raises(Gap):
        await broker.subscribe("cus", 0, Inbox())
    inbox = Inbox()
    await broker.subscribe("cus", 1, inbox)
    assert inbox.got == [(2, "chat 2"), (3, "chat 3")]


async def test_a_state_message_replaces_the_older_one_of_its_name_in_the_history():
    broker = MemoryBroker()
    await broker.publish("rep", "board 1", replaces="queue_state")
    await broker.publish("rep", "chat 2")
    await broker.publish("rep", "board 3", replaces="queue_state")
    await broker.publish("rep", "dashboard 4", replaces="dashboard")
    await broker.publish("rep", "board 5", replaces="queue_state")
    inbox = Inbox()
    sub = await broker.subscribe("rep", 0, inbox)  # nothing is a gap: what was replaced is not missed
    assert inbox.got == [(2, "chat 2"), (4, "dashboard 4"), (5, "board 5")] and not sub.skipped
    assert broker._channels["rep"].history.size == len("chat 2") + len("dashboard 4") + len("board 5")
    live = Inbox()
    await broker.subscribe("rep", None, live)
    await broker.publish("rep", "board 6", replaces="queue_state")
    assert live.got == [(6, "board 6")]  # subscribers get every one as it comes


async def test_many_replaced_states_neither_grow_the_history_nor_push_messages_out():
    broker = MemoryBroker(history_messages=10)
    await broker.publish("rep", "chat 1")
    for i in range(2, 5_002):
        await broker.publish("rep", f"board {i}", replaces="queue_state")
    inbox = Inbox()
    await broker.subscribe("rep", 0, inbox)
    assert inbox.got == [(1, "chat 1"), (5_001, "board 5001")]
    history = broker._channels["rep"].history
    assert len(history.payloads) < 100 and len(history.seqs) == len(history.payloads) == len(history.ticks)


async def test_the_names_of_replaced_states_go_with_their_messages():
    now = [0.0]
    broker = MemoryBroker(history_seconds=150.0, clock=lambda: now[0])
    for i in range(1, 101):  # a rep's sessions over a day, each with its own state
        now[0] += 10.0
        await broker.publish("rep", f"state of session {i}", replaces=f"session_state s{i}")
    history = broker._channels["rep"].history
    assert len(history) == 16 and history.named is not None and len(history.named) <= 17  # 150 s of them
    inbox = Inbox()
    await broker.subscribe("rep", history.dropped, inbox)
    assert [payload for _, payload in inbox.got] == [f"state of session {i}" for i in range(85, 101)]


def test_a_message_history_shorter_than_the_resume_window_is_refused(tmp_path):
    from server.config import Settings

    env = {"TANDEM_VAR": str(tmp_path), "TANDEM_SECRET_KEY": "k", "TANDEM_HISTORY_SECONDS": "60"}
    with pytest.raises(ValueError, match="TANDEM_HISTORY_SECONDS is 60; a client may resume for TANDEM_RESUME_WINDOW"):
        Settings.from_env(env)
    assert Settings.from_env({**env, "TANDEM_RESUME_WINDOW": "30"}).history_seconds == 60
