"""STUN/TURN servers for video and voice: read from ``TANDEM_ICE_SERVERS``,
refused with a clear reason when malformed, and handed to every client
(rep and customer) in its ``welcome``."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

from server.config import Settings
from server.ice import parse_ice_servers
from server.web.app import create_app
from tests.conftest import ADMIN_PASSWORD, Peer, signin

TURN = {"urls": ["turn:turn.example.com:3478", "turns:turn.example.com:5349"],
        "username": "tandem", "credential": "s3cret"}
STUN = {"urls": "stun:stun.example.com:3478"}


def test_ice_servers_come_from_the_environment(tmp_path):
    s = Settings.from_env({"TANDEM_VAR": str(tmp_path), "TANDEM_ICE_SERVERS": json.dumps([STUN, TURN])})
    assert s.ice_servers == (STUN, TURN)


def test_no_ice_servers_by_default(tmp_path):
    assert Settings.from_env({"TANDEM_VAR": str(tmp_path)}).ice_servers == ()


@pytest.mark.parametrize("text, says", [
    ("[{urls: 1}]", "not valid JSON"),
    ('{"urls": "stun:x"}', "must be a JSON list"),
    ('[{"urls": "http://x"}]', "stun:, turn: or turns:"),
    ('[{"urls": []}]', "stun:, turn: or turns:"),
    ('[{"urls": "turn:x", "password": "p"}]', "urls, username, credential only"),
    ('[{"urls": "turn:x", "username": 5}]', "username must be a string"),
])
def test_malformed_ice_servers_are_refused_with_the_reason(text, says):
    with pytest.raises(ValueError, match=says):
        parse_ice_servers(text)


def test_welcome_hands_the_ice_servers_to_reps_and_customers(tmp_path):
    settings = Settings(var_dir=tmp_path, secret_key="test-secret", admin_password=ADMIN_PASSWORD,
                        database_url=f"sqlite+aiosqlite:///{tmp_path}/tandem.db",
                        public_url="http://testserver", ice_servers=(STUN, TURN))
    with TestClient(create_app(settings)) as client:
        token = signin(client)
        with client.websocket_connect("/ws") as rep_ws:
            rep = Peer(rep_ws, token)
            assert rep.welcome["type"] == "welcome"
            assert rep.welcome["ice_servers"] == [{**STUN, "username": None, "credential": None}, TURN]
            rep.send("start_session")
            number = rep.expect("session_state", state="open")["number"]
            joined = client.post("/api/join", json={"number": number, "name": "Ann"})
            assert joined.status_code == 200, joined.text
            with client.websocket_connect("/ws") as cus_ws:
                customer = Peer(cus_ws, joined.json()["token"])
                assert customer.welcome["role"] == "customer"
                assert customer.welcome["ice_servers"] == rep.welcome["ice_servers"]


def test_without_ice_servers_welcome_says_so(client):
    with client.websocket_connect("/ws") as ws:
        assert Peer(ws, signin(client)).welcome["ice_servers"] == []
