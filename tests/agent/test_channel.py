"""The local stop/status channel: loopback TCP with a secret in the user's
state folder, the same on every platform (no Unix sockets)."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import threading

import pytest

from agent.platform import channel


@pytest.fixture
def served(tmp_path):
    """An agent's channel in a thread-free event loop of its own; yields (path, loop)."""
    loop = asyncio.new_event_loop()
    seen: list[list[str]] = []

    async def handle(words: list[str]) -> dict:
        seen.append(words)
        return {"revoked": [3]} if words[:1] == ["stop"] else {"error": "unknown command"}

    path = tmp_path / "control.json"
    server = loop.run_until_complete(channel.serve(path, handle))
    t = threading.Thread(target=loop.run_forever, daemon=True)
    t.start()
    yield path, seen
    loop.call_soon_threadsafe(loop.stop)
    t.join(5)
    server.close()
    loop.run_until_complete(server.wait_closed())
    loop.close()


def test_stop_reaches_the_running_agent_with_the_secret(served):
    path, seen = served
    assert channel.request(path, "stop quit") == {"revoked": [3]}
    assert seen == [["stop", "quit"]]


def test_a_caller_without_the_secret_gets_nothing(served):
    path, seen = served
    port = json.loads(path.read_text())["port"]
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(json.dumps({"secret": "guess", "command": "stop"}).encode() + b"\n")
        reply = s.makefile().readline()
    assert json.loads(reply) == {"error": "not allowed"}
    assert seen == []  # nothing was stopped


def test_the_secret_file_is_the_users_alone_and_a_missing_agent_is_said_plainly(served, tmp_path):
    path, _ = served
    if sys.platform != "win32":  # Windows keeps it in the user's own profile folder (ACLs, not modes)
        assert path.stat().st_mode & 0o077 == 0
    with pytest.raises(channel.ChannelError, match="no running agent"):
        channel.request(tmp_path / "absent.json", "status")
