"""`/metrics` (server/web/metrics.py): who may read it, the Prometheus text
format, and numbers that follow what happens on `/ws`; and the JSON log
format (server/logs.py), through a real relay process."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from server.config import Settings
from server.logs import JsonFormatter
from server.protocol import StreamKind
from server.web.app import create_app
from server.web.signin import COOKIE
from tests.conftest import ADMIN_PASSWORD, bearer, free_port, make_rep, stop_process
from tests.test_ws import Client, admin, live  # noqa: F401 (fixtures)

SCRAPE_TOKEN = "scrape-token-for-tests"


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """``{(sample name, sorted labels): value}`` of a scrape."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def scrape(client, headers=None) -> dict:
    r = client.get("/metrics", headers=headers or {})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain; version=")
    return samples(r.text)


@pytest.fixture
def scraped_client(settings):
    settings.metrics_token = SCRAPE_TOKEN
    with TestClient(create_app(settings)) as c:
        yield c


def test_anonymous_is_told_what_is_needed(client):
    r = client.get("/metrics")
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert "administrator" in r.text and "TANDEM_METRICS_TOKEN" in r.text


def test_the_refusal_speaks_the_readers_language(client):
    r = client.get("/metrics", headers={"Accept-Language": "da"})
    assert r.status_code == 401 and "administrators login" in r.text


def test_a_rep_who_is_not_an_admin_is_forbidden(client, admin):  # noqa: F811
    _, rep = make_rep(client, admin, "rep@example.com", "Rep")
    r = client.get("/metrics", headers=bearer(rep))
    assert r.status_code == 403 and "administrators" in r.text


def test_a_customer_token_is_no_sign_in(client, live):  # noqa: F811
    assert client.get("/metrics", headers=bearer(live.cus_token)).status_code == 401


def test_admin_reads_metrics_with_token_or_cookie(client, admin):  # noqa: F811
    assert ("tandem_live_sessions", ()) in scrape(client, bearer(admin))
    client.cookies.set(COOKIE, admin)
    try:
        assert ("tandem_live_sessions", ()) in scrape(client)
    finally:
        client.cookies.clear()


def test_the_scrape_token_reads_metrics_and_a_wrong_one_does_not(scraped_client):
    got = scrape(scraped_client, bearer(SCRAPE_TOKEN))
    assert got[("tandem_queue_waiting_customers", (("queue", "demo"),))] == 0
    assert scraped_client.get("/metrics", headers=bearer(SCRAPE_TOKEN + "x")).status_code == 401


def test_without_a_configured_token_no_bearer_value_is_the_scrape_token(client):
    assert client.get("/metrics", headers=bearer("")).status_code == 401
    assert client.get("/metrics", headers=bearer("None")).status_code == 401


def test_every_family_is_there(client, admin):  # noqa: F811
    r = client.get("/metrics", headers=bearer(admin))
    names = {f.name for f in text_string_to_metric_families(r.text)}
    assert {"tandem_connections", "tandem_sessions", "tandem_live_sessions", "tandem_queue_waiting_customers",
            "tandem_frames_relayed", "tandem_frame_bytes_relayed", "tandem_messages_received",
            "tandem_slow_receivers_dropped", "tandem_rate_limited", "tandem_resumes", "tandem_store_seconds",
            "tandem_broker_seconds", "tandem_loop_lag_seconds", "tandem_gc_pause_seconds", "tandem_heap_trim_seconds",
            "process_resident_memory_bytes"} <= names


def test_numbers_follow_a_session(client, admin, live):  # noqa: F811
    before = scrape(client, bearer(admin))
    assert before[("tandem_connections", (("kind", "customer"),))] == 1
    assert before[("tandem_connections", (("kind", "rep"),))] == 1
    assert before[("tandem_live_sessions", ())] == 1
    _, stream = live.grant("view")
    for body in (b"a" * 100, b"b" * 50):
        live.cus.frame(StreamKind.COBROWSE, stream, body)
    live.rep.fence()
    live.cus.send("chat", session=live.sid, text="hello")
    live.rep.expect("chat_message")
    after = scrape(client, bearer(admin))
    frames = ("tandem_frames_relayed_total", (("kind", "cobrowse"),))
    size = ("tandem_frame_bytes_relayed_total", (("kind", "cobrowse"),))
    assert after[frames] - before[frames] == 2
    assert after[size] - before[size] == 150 + 2 * 9  # bodies and their headers
    assert after[("tandem_messages_received_total", ())] > before[("tandem_messages_received_total", ())]
    assert after[("tandem_broker_seconds_count", ())] > before[("tandem_broker_seconds_count", ())]
    assert after[("tandem_store_seconds_count", ())] >= 1


def test_a_customer_in_line_is_counted_in_their_queue(client, admin):  # noqa: F811
    r = client.post("/api/help", json={"queue": "demo", "name": "Ann"})
    assert r.status_code == 200, r.text
    with client.websocket_connect("/ws") as ws:
        Client(ws, r.json()["token"])
        got = scrape(client, bearer(admin))
        assert got[("tandem_queue_waiting_customers", (("queue", "demo"),))] == 1
        assert got[("tandem_sessions", (("state", "waiting"),))] == 1
    assert scrape(client, bearer(admin))[("tandem_connections", (("kind", "customer"),))] == 0


# --- JSON log lines --------------------------------------------------------------


def test_a_json_log_line_carries_the_exception():
    try:
        raise ValueError("broken\nacross lines")
    except ValueError:
        record = logging.LogRecord("server.relay", logging.ERROR, __file__, 1, "could not %s", ("store",),
                                   sys.exc_info())
    line = JsonFormatter().format(record)
    assert "\n" not in line
    data = json.loads(line)
    assert data["level"] == "ERROR" and data["logger"] == "server.relay" and data["message"] == "could not store"
    assert data["time"].endswith("+00:00") and "ValueError: broken" in data["exc"]


def test_the_relay_logs_one_json_object_per_line(tmp_path):
    port = free_port()
    env = {**os.environ, "TANDEM_VAR": str(tmp_path), "TANDEM_ADMIN_PASSWORD": ADMIN_PASSWORD,
           "TANDEM_SECRET_KEY": "test-secret", "TANDEM_LOG_FORMAT": "json"}
    log = tmp_path / "relay.log"
    with log.open("wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "server", "--port", str(port)], env=env,
                                stdout=subprocess.DEVNULL, stderr=err)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:
            deadline = time.monotonic() + 30  # a bound on start-up, not a measurement
            while True:
                assert proc.poll() is None, f"the relay exited:\n{log.read_text()}"
                try:
                    if http.get("/metrics").status_code == 401:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, f"the relay did not answer:\n{log.read_text()}"
                time.sleep(0.1)
    finally:
        stop_process(proc)
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    assert lines, "the relay logged nothing"
    assert all({"time", "level", "logger", "message"} <= set(x) for x in lines)
    assert any(x["logger"] == "uvicorn.access" and "/metrics" in x["message"] and "401" in x["message"]
               for x in lines)


def test_an_unknown_log_format_is_refused(tmp_path):
    with pytest.raises(ValueError, match="TANDEM_LOG_FORMAT"):
        Settings.from_env({"TANDEM_VAR": str(tmp_path), "TANDEM_SECRET_KEY": "k", "TANDEM_LOG_FORMAT": "xml"})
