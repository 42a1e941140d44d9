"""TURN with credentials of their own for every connection: the relay shares a
secret with a real coturn (its TURN REST API scheme), hands each welcome a
username and credential that expire, and coturn lets exactly those allocate a
relay address: not a changed credential, not an expired one, not a guess."""

from __future__ import annotations

import asyncio
import os
import socket
import struct
import subprocess
import time

import pytest
from aioice import stun, turn
from starlette.testclient import TestClient

from server.config import Settings
from server.ice import turn_credentials
from server.web.app import create_app
from tests.conftest import ADMIN_PASSWORD, Peer, signin, stop_process

SECRET = "north-wind-7"
STUN = {"urls": "stun:stun.example.com:3478"}


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers_stun(server: tuple[str, int]) -> bool:
    """Whether a STUN binding request to ``server`` gets an answer."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.2)
        s.sendto(struct.pack("!HHI", 0x0001, 0, 0x2112A442) + os.urandom(12), server)
        try:
            return len(s.recv(2048)) >= 20
        except OSError:
            return False


@pytest.fixture
def coturn(tmp_path):
    """coturn on a loopback UDP port, sharing SECRET, with a database and a log of
    its own in ``tmp_path``; stopped by its PID."""
    server = ("127.0.0.1", free_udp_port())
    log = tmp_path / "turnserver.log"
    proc = subprocess.Popen(
        ["turnserver", "-n", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1", f"--listening-port={server[1]}",
         "--min-port=49160", "--max-port=49200", "--use-auth-secret", f"--static-auth-secret={SECRET}",
         "--realm=tandem.test", "--no-tls", "--no-dtls", "--no-cli", "--allow-loopback-peers",
         "--no-stdout-log", f"--log-file={log}", "--simple-log", f"--pidfile={tmp_path / 'turnserver.pid'}",
         f"--userdb={tmp_path / 'turndb'}"],  # its own database: coturn reads it on every authentication
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while not answers_stun(server):
            assert proc.poll() is None and time.monotonic() < deadline, \
                f"coturn did not start: {log.read_text(errors='replace')[-2000:] if log.exists() else ''}"
        yield server
    finally:
        stop_process(proc)


def allocate(server: tuple[str, int], username: str, credential: str) -> tuple[str, int]:
    """A relayed address from the TURN server, as a browser's ICE agent asks for one.
    A request coturn does not answer is sent again on STUN's schedule (0.5, 1, 2 … s)
    until aioice gives up after ~30 s, as a browser would keep trying."""
    async def go():
        transport, _ = await asyncio.wait_for(turn.create_turn_endpoint(
            asyncio.DatagramProtocol, server_addr=server, username=username, password=credential), 60)
        try:
            return transport.get_extra_info("sockname")
        finally:
            transport.close()
    return asyncio.run(go())


def settings(tmp_path, server, **kw) -> Settings:
    return Settings(var_dir=tmp_path, secret_key="test-secret", admin_password=ADMIN_PASSWORD,
                    database_url=f"sqlite+aiosqlite:///{tmp_path}/tandem.db", public_url="http://testserver",
                    ice_servers=(STUN,), turn_urls=(f"turn:{server[0]}:{server[1]}",), turn_secret=SECRET, **kw)


def test_each_connection_gets_turn_credentials_that_coturn_takes(tmp_path, coturn):
    with TestClient(create_app(settings(tmp_path, coturn, turn_ttl=600))) as client:
        with client.websocket_connect("/ws") as rep_ws:
            rep = Peer(rep_ws, signin(client))
            rep.send("start_session")
            number = rep.expect("session_state", state="open")["number"]
            joined = client.post("/api/join", json={"number": number, "name": "Ann"})
            with client.websocket_connect("/ws") as cus_ws:
                customer = Peer(cus_ws, joined.json()["token"])
                for welcome in (rep.welcome, customer.welcome):
                    stun, mine = welcome["ice_servers"]
                    assert stun["urls"] == STUN["urls"]
                    assert mine["urls"] == [f"turn:{coturn[0]}:{coturn[1]}"]
                    expiry = int(mine["username"].split(":", 1)[0])
                    assert time.time() + 500 < expiry <= time.time() + 600
                    assert SECRET not in str(welcome)
                    relayed = allocate(coturn, mine["username"], mine["credential"])
                    assert relayed[0] == "127.0.0.1" and 49160 <= relayed[1] <= 49200
                assert rep.welcome["ice_servers"][1]["username"] != customer.welcome["ice_servers"][1]["username"]


def test_coturn_refuses_changed_expired_and_guessed_credentials(coturn, tmp_path):
    username, credential = turn_credentials(SECRET, "customer-x", time.time(), 600)
    assert allocate(coturn, username, credential)  # the real ones work
    other = f"{int(time.time()) + 600}:rep-1"
    refused = [
        (username, credential[:-4] + "AAA="),  # changed
        turn_credentials(SECRET, "customer-x", time.time() - 120, 60),  # expired a minute ago
        (other, turn_credentials("guess", "rep-1", time.time(), 600)[1]),  # another secret
        (other, credential),  # another connection's credential
    ]
    for user, cred in refused:
        with pytest.raises(stun.TransactionFailed, match="401 - Unauthorized"):
            try:
                allocate(coturn, user, cred)
            except (TimeoutError, stun.TransactionTimeout) as e:
                log = (tmp_path / "turnserver.log").read_text(errors="replace")[-3000:]
                raise AssertionError(f"coturn did not answer {user}: {e!r}\n{log}") from e


@pytest.mark.parametrize("env, says", [
    ({"TANDEM_TURN_URLS": "turn:turn.example.com:3478"}, "needs TANDEM_TURN_SECRET"),
    ({"TANDEM_TURN_SECRET": "s"}, "needs TANDEM_TURN_URLS"),
    ({"TANDEM_TURN_URLS": "stun:x:3478", "TANDEM_TURN_SECRET": "s"}, "not a turn: or turns: URL"),
    ({"TANDEM_TURN_URLS": "turn:x", "TANDEM_TURN_SECRET": "s", "TANDEM_TURN_TTL": "0"}, "positive"),
])
def test_turn_settings_are_checked_at_start(tmp_path, env, says):
    with pytest.raises(ValueError, match=says):
        Settings.from_env({"TANDEM_VAR": str(tmp_path), **env})


def test_turn_settings_from_the_environment(tmp_path):
    s = Settings.from_env({"TANDEM_VAR": str(tmp_path), "TANDEM_TURN_URLS": "turn:a:3478, turns:a:5349",
                           "TANDEM_TURN_SECRET": "s", "TANDEM_TURN_TTL": "3600"})
    assert (s.turn_urls, s.turn_secret, s.turn_ttl) == (("turn:a:3478", "turns:a:5349"), "s", 3600.0)
    assert "'s'" not in repr(s)


def test_the_agent_uses_the_relays_servers_unless_its_machine_sets_its_own(monkeypatch):
    from agent.webrtc import WebRTC
    welcome = {"type": "welcome", "ice_servers": [
        {"urls": "stun:stun.example.com:3478", "username": None, "credential": None},
        {"urls": ["turn:turn.example.com:3478"], "username": "1900000000:agent-p1", "credential": "c"}]}
    monkeypatch.delenv("TANDEM_ICE_SERVERS", raising=False)
    rtc = WebRTC(lambda *a, **k: None)
    rtc.on_welcome(welcome)
    servers = rtc.ice_servers
    assert [(x.urls, x.username, x.credential) for x in servers] == [
        ("stun:stun.example.com:3478", None, None), (["turn:turn.example.com:3478"], "1900000000:agent-p1", "c")]
    monkeypatch.setenv("TANDEM_ICE_SERVERS", '[{"urls": "stun:own.example.com"}]')
    rtc = WebRTC(lambda *a, **k: None)
    rtc.on_welcome(welcome)
    assert [x.urls for x in rtc.ice_servers] == ["stun:own.example.com"]
