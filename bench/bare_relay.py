"""A bare Starlette relay: the floor that `bench/relay.py` measures Tandem against.

One WebSocket route, ``/ws``. The first text message names a room; after that
every frame, text or binary, goes to the room's other members as it is. No
authentication, no parsing, no checks, no queues, no history.

    python bench/bare_relay.py --port 8100 [--ws websockets] [--log-level warning]

It is started the way `python -m server` starts Tandem: `uvicorn.run` with the
same maximum frame size and no permessage-deflate. The two relays then differ
only in what the application does with a frame.
"""

from __future__ import annotations

import argparse

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket

MAX_SIZE = 1024 * 1024 + 64  # what `python -m server` gives uvicorn: max(256 KiB, 1 MiB) + 64

rooms: dict[str, list[WebSocket]] = {}


async def relay(websocket: WebSocket) -> None:
    await websocket.accept()
    first = await websocket.receive()
    if first["type"] == "websocket.disconnect":
        return
    name = first.get("text") or ""
    members = rooms.setdefault(name, [])
    members.append(websocket)
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            out = ({"type": "websocket.send", "bytes": message["bytes"]} if message.get("bytes") is not None
                   else {"type": "websocket.send", "text": message.get("text") or ""})
            for other in members:
                if other is not websocket:
                    await other.send(out)
    finally:
        members.remove(websocket)
        if not members:
            rooms.pop(name, None)


app = Starlette(routes=[WebSocketRoute("/ws", relay)])


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description="A bare room-broadcast WebSocket relay.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--log-level", default="warning")
    parser.add_argument("--ws", default="auto", help="uvicorn WebSocket implementation")
    args = parser.parse_args(argv)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, ws=args.ws,
                ws_max_size=MAX_SIZE, ws_per_message_deflate=False)


if __name__ == "__main__":
    main()
