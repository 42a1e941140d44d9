"""A bare room relay on picows (a Cython WebSocket library): a peer that
`bench/relay.py` measures Tandem's relay against, next to the Starlette one
(`bench/bare_relay.py`) and Node's `ws` (`ws_relay.js`).

The same room relay: one route, ``/ws``; the first text message names a room;
after that every frame goes to the room's other members as it is (picows hands
over frames, not messages, so a fragmented message is passed on fragment by
fragment). No checks, no queues, no history. No permessage-deflate (picows has
none); the same largest frame as `python -m server`.

    python bench/peers/picows_relay.py --port 8100
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from picows import WSFrame, WSListener, WSMsgType, WSTransport, WSUpgradeRequest, ws_create_server

MAX_SIZE = 1024 * 1024 + 64

rooms: dict[str, set[WSTransport]] = {}


class Member(WSListener):
    def __init__(self) -> None:
        self.room: set[WSTransport] | None = None
        self.name = ""

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        kind = frame.msg_type
        if kind is WSMsgType.CLOSE:
            transport.send_close(frame.get_close_code())
            transport.disconnect()
            return
        if kind is WSMsgType.PING or kind is WSMsgType.PONG:
            return  # picows answers pings itself (enable_auto_pong)
        if self.room is None:
            self.name = frame.get_payload_as_utf8_text()
            self.room = rooms.setdefault(self.name, set())
            self.room.add(transport)
            return
        payload = frame.get_payload_as_memoryview()
        for other in self.room:
            if other is not transport:
                other.send(kind, payload, frame.fin)

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        if self.room is not None:
            self.room.discard(transport)
            if not self.room:
                rooms.pop(self.name, None)


def listener(request: WSUpgradeRequest) -> Member | None:
    return Member() if request.path == b"/ws" else None


async def serve(host: str, port: int) -> None:
    server = await ws_create_server(listener, host, port, max_frame_size=MAX_SIZE)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"picows relay on {host}:{port}", flush=True)
    async with server:
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A bare room-broadcast WebSocket relay on picows.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    args = parser.parse_args(argv)
    try:
        import uvloop
    except ImportError:
        asyncio.run(serve(args.host, args.port))
    else:
        uvloop.run(serve(args.host, args.port))  # the loop uvicorn's loop="auto" gives the other relays


if __name__ == "__main__":
    main()
