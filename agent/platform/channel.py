"""The local stop/status channel between a running agent and `tandem-agent
stop` / `status`, the same on every platform: a loopback TCP port and a
random secret, written to a file only this user can read in the agent's
state folder. A request is one JSON line ``{"secret", "command"}``; the
answer is one JSON line. Anything without the secret gets nothing.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path

HOST = "127.0.0.1"
LINE_MAX = 4096


class ChannelError(Exception):
    pass


async def serve(path: Path, handle: Callable[[list[str]], Awaitable[dict]]) -> asyncio.AbstractServer:
    """Listen on a free loopback port; ``handle(words)`` answers each command.
    ``path`` receives the port and the secret (readable by this user only)."""
    secret = secrets.token_urlsafe(32)

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await asyncio.wait_for(reader.readline(), 5)
            try:
                req = json.loads(line[:LINE_MAX])
                ok = isinstance(req, dict) and hmac.compare_digest(str(req.get("secret", "")), secret)
            except ValueError:
                ok = False
            if not ok:
                reply: dict = {"error": "not allowed"}
            else:
                reply = await handle(str(req.get("command", "")).split())
            writer.write((json.dumps(reply) + "\n").encode())
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(client, HOST, 0)
    port = server.sockets[0].getsockname()[1]
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump({"port": port, "secret": secret, "pid": os.getpid()}, f)
    tmp.replace(path)
    return server


def request(path: Path, command: str, timeout: float = 10) -> dict:
    """Send ``command`` to the agent that wrote ``path``; its JSON answer."""
    try:
        info = json.loads(path.read_text())
        port, secret = int(info["port"]), str(info["secret"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ChannelError("no running agent") from exc
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as s:
            s.sendall((json.dumps({"secret": secret, "command": command}) + "\n").encode())
            data = b""
            while not data.endswith(b"\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
    except OSError as exc:
        raise ChannelError(f"no running agent ({exc})") from exc
    try:
        return json.loads(data or b"{}")
    except ValueError as exc:
        raise ChannelError("the running agent gave no answer") from exc
