"""`/ws` on picows (server/web/fastws.py), over real sockets to a real relay
process: the WebSocket rules a browser rarely exercises, but another client or
a broken network may: messages in fragments, a burst far past what the relay
reads ahead, text that is not UTF-8, the relay stopping under a client, and a
client that is no longer there."""

from __future__ import annotations

import base64
import json
import os

import anyio
import pytest
from anyio.streams.buffered import BufferedByteReceiveStream
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from server.protocol import FRAME_HEADER, StreamKind
from tests.test_resume import (
    Outbound,
    WsPeer,
    _viewed,
    close_peers,  # noqa: F401 - autouse: each test's peers are closed after it
    join,
    present,
    sign_in,
)

pytestmark = pytest.mark.anyio

TIMEOUT = 15.0


async def closed_with(ws) -> int:
    """Read until the relay closes the connection; the code it closed with."""
    with anyio.fail_after(TIMEOUT):
        try:
            while True:
                await ws.recv()
        except ConnectionClosed as exc:
            assert exc.rcvd is not None, "the relay dropped the connection without a close frame"
            return exc.rcvd.code


async def test_a_message_sent_in_fragments_is_read_whole(live_relay):
    s = await Outbound.start(live_relay)
    text = "a line long enough to come in pieces " * 20
    msg = json.dumps({"type": "chat", "seq": 100, "session": s.sid, "text": text})
    pieces = [msg[i:i + 97] for i in range(0, len(msg), 97)]  # continuation frames, cut inside characters of JSON
    assert len(pieces) > 5
    await s.rep.ws.send(pieces)
    got = await s.cus.expect("chat_message")
    assert got["text"] == text

    # a binary message in fragments is read as the same message sent whole
    def frame(seq: int) -> bytes:  # a frame of a kind nobody may send
        return bytes([9]) + (7).to_bytes(4, "big") + seq.to_bytes(4, "big") + bytes(2000)

    await s.rep.ws.send(frame(200))
    whole = await s.rep.expect("error")
    later = frame(201)
    await s.rep.ws.send([later[:5], later[5:900], later[900:]])
    fragmented = await s.rep.expect("error")
    assert (fragmented["code"], fragmented["message"]) == (whole["code"], whole["message"])


async def test_a_burst_far_past_the_read_ahead_is_answered_in_full(live_relay):
    token = await sign_in(live_relay.base)
    async with connect(live_relay.ws_url, proxy=None, open_timeout=TIMEOUT) as ws:
        # the hello and 300 pings in one go: the relay reads 64 messages ahead of
        # the connection (busy with the hello's sign-in check), stops reading,
        # and reads on as it catches up
        burst = [json.dumps({"type": "hello", "seq": 0, "token": token})]
        burst += [json.dumps({"type": "ping", "seq": 0})] * 300
        for message in burst:
            await ws.send(message)
        seen = []
        with anyio.fail_after(TIMEOUT):
            while len([m for m in seen if m["type"] == "pong"]) < 300:
                seen.append(json.loads(await ws.recv()))
    assert seen[0]["type"] == "welcome"
    assert [m["type"] for m in seen if m["type"] not in ("queue_state", "session_state")] == ["welcome"] + ["pong"] * 300


async def test_text_that_is_not_utf8_closes_the_connection_with_1007(live_relay):
    s = await Outbound.start(live_relay)
    await s.cus.ws.send(b'{"type":"chat","text":"\xff\xfe"}', text=True)
    assert await closed_with(s.cus.ws) == 1007
    back = await s.reconnect(resume=s.cus.welcome["resume"], last_seq=s.cus.last_seq)
    assert back.welcome["resumed"] is True  # the session goes on: the client comes back and resumes


async def test_a_stopping_relay_closes_its_connections_with_1012_to_resume(live_relay):
    token = await join(live_relay.base, (await start_number(live_relay)))
    peer = await WsPeer.open(live_relay.ws_url, token)
    live_relay.stop()
    assert await closed_with(peer.ws) == 1012


async def start_number(relay) -> str:
    rep = await WsPeer.open(relay.ws_url, await sign_in(relay.base))
    await rep.send("start_session")
    return (await rep.expect("session_state", state="open"))["number"]


async def test_what_one_turn_sends_to_a_client_arrives_whole_and_in_order(live_relay):
    """The relay corks what it writes to a client until the end of the loop's
    turn, and writes it at once: frames of every header size (RFC 6455 5.2:
    7-bit, 16-bit and 64-bit lengths) and text between them arrive as sent."""
    s, stream = await _viewed(live_relay)
    sizes = [1, 100, 125, 126, 1000, 65_530, 65_536, 70_000, 20] * 3
    bodies = [bytes([i]) * size for i, size in enumerate(sizes)]
    protocol = s.cus.ws.protocol
    for i, body in enumerate(bodies):  # one write: the relay reads them in one turn
        s.cus.seq += 1
        protocol.send_binary(FRAME_HEADER.pack(StreamKind.COBROWSE, stream, s.cus.seq) + body)
        if i % 4 == 3:
            s.cus.seq += 1
            protocol.send_text(json.dumps({"type": "chat", "seq": s.cus.seq, "session": s.sid,
                                           "text": f"line {i}"}).encode())
    s.cus.ws.transport.write(b"".join(protocol.data_to_send()))
    got = []
    while len([m for m in got if isinstance(m, bytes)]) < len(bodies):
        got.append(await s.rep.next())
    got += await s.rep.fence()
    assert [m[FRAME_HEADER.size:] for m in got if isinstance(m, bytes)] == bodies
    assert [m["text"] for m in got if isinstance(m, dict) and m["type"] == "chat_message"] == \
        [f"line {i}" for i in range(3, len(bodies), 4)]


PINGING = {"TANDEM_PING_INTERVAL": "1"}  # the test's own clients have a whole second to answer a ping


async def server_frames(port: int) -> list[tuple[int, bytes]]:
    """Open `/ws` by hand and never answer: the frames the relay sends until it
    hangs up, as (opcode, payload)."""
    stream = await anyio.connect_tcp("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    await stream.send(f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                      f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
    reader = BufferedByteReceiveStream(stream)
    frames = []
    with anyio.fail_after(TIMEOUT):
        assert (await reader.receive_until(b"\r\n\r\n", 4096)).startswith(b"HTTP/1.1 101")
        try:
            while True:
                first, n = await reader.receive_exactly(2)
                assert n < 126, "a control frame from the relay"
                frames.append((first & 0x0F, await reader.receive_exactly(n)))
        except anyio.IncompleteRead:
            pass  # the relay hung up
    await stream.aclose()
    return frames


@pytest.mark.parametrize("live_relay", [PINGING], indirect=True)
async def test_a_client_that_answers_nothing_is_pinged_then_closed_as_gone(live_relay):
    frames = await server_frames(live_relay.port)
    assert [op for op, _ in frames] == [0x9, 0x8]  # a ping, then a close
    close = frames[1][1]
    assert int.from_bytes(close[:2], "big") == 1001 and close[2:] == b"no answer to a ping"


@pytest.mark.parametrize("live_relay", [{**PINGING, "TANDEM_FAST_WS": "false"}], indirect=True)
async def test_the_asgi_path_pings_and_closes_a_silent_client_on_the_same_interval(live_relay):
    # /ws through the ASGI app (uvicorn's own WebSocket protocol) gets the interval too
    frames = await server_frames(live_relay.port)
    assert [op for op, _ in frames] == [0x9, 0x8]
    close = frames[1][1]
    assert int.from_bytes(close[:2], "big") == 1011 and close[2:] == b"keepalive ping timeout"


@pytest.mark.parametrize("live_relay", [PINGING], indirect=True)
async def test_a_page_gone_silent_is_shown_away_and_resumes_when_back(live_relay):
    s = await Outbound.start(live_relay)
    quiet = await WsPeer.open(live_relay.ws_url, await sign_in(live_relay.base))  # silent, but it answers pings
    s.cus.ws.transport.pause_reading()  # the page's machine stops taking anything in: no pong
    await s.rep.expect("session_state", where=lambda m: present(m, s.cus_pid) is False)
    back = await s.reconnect(resume=s.cus.welcome["resume"], last_seq=s.cus.last_seq)
    assert back.welcome["resumed"] is True
    await s.rep.expect("session_state", where=lambda m: present(m, s.cus_pid) is True)
    await quiet.send("ping")
    await quiet.expect("pong")  # many pings later, the client that answered them is still served



@pytest.mark.parametrize("size", [FRAME_HEADER.size, 125, 126, 1536, 4095, 4096, 65535, 65536, 70000])
async def test_a_binary_frame_is_written_as_the_rfc_says_at_every_length(size):
    from server.web.fastws import _wire

    payload = FRAME_HEADER.pack(StreamKind.COBROWSE, 7, 1) + bytes(range(256)) * (size // 256 + 1)
    payload = payload[:size]
    wire = b"".join(_wire(70000, payload))
    first, second = wire[0], wire[1]
    assert first == 0x82 and not second & 0x80  # FIN, binary, unmasked
    n, at = second, 2
    if n == 126:
        n, at = int.from_bytes(wire[2:4], "big"), 4
    elif n == 127:
        n, at = int.from_bytes(wire[2:10], "big"), 10
    assert (n, len(wire) - at) == (size, size)
    assert wire[at:] == FRAME_HEADER.pack(StreamKind.COBROWSE, 7, 70000) + payload[FRAME_HEADER.size:]


@pytest.mark.parametrize("size", [20, 125, 126, 4095, 4096, 70000])
async def test_a_text_message_is_written_as_the_rfc_says_with_the_receivers_seq(size):
    from server.web.fastws import _wire

    text = '{"type":"chat","text":"' + "é" * size + '"}'
    wire = b"".join(_wire(42, text))
    assert wire[0] == 0x81  # FIN, text
    n, at = wire[1], 2
    if n == 126:
        n, at = int.from_bytes(wire[2:4], "big"), 4
    elif n == 127:
        n, at = int.from_bytes(wire[2:10], "big"), 10
    assert n == len(wire) - at
    assert json.loads(wire[at:].decode()) == {"seq": 42, "type": "chat", "text": "é" * size}


def rss_kb(pid: int) -> float:
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1000


async def test_a_connections_upgrade_headers_are_not_kept_for_its_life(live_relay):
    """picows keeps the upgrade request on the connection: its headers (a
    browser's cookies and user agent) must not stay in the relay's memory."""
    token = await sign_in(live_relay.base)
    opened = []

    async def kb_per_connection(headers: dict, n: int = 40) -> float:
        before = rss_kb(live_relay.proc.pid)
        for _ in range(n):
            ws = await connect(live_relay.ws_url, proxy=None, additional_headers=headers)
            opened.append(ws)
            await ws.send(json.dumps({"type": "hello", "seq": 0, "token": token}))
            while json.loads(await ws.recv())["type"] != "welcome":
                pass
        await anyio.sleep(0.5)
        return (rss_kb(live_relay.proc.pid) - before) / n

    try:
        await kb_per_connection({})  # the relay's own first-time growth, out of the figures below
        plain = await kb_per_connection({})
        cookie = await kb_per_connection({"Cookie": "session=" + "c" * 16_000})
    finally:
        async with anyio.create_task_group() as tg:  # at once: each one's going is news to all the others
            for ws in opened:
                tg.start_soon(ws.close)
    assert cookie - plain < 8, f"a 16 kB header costs {cookie - plain:.1f} kB more per connection"
