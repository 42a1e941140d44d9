"""A long desktop recording plays back a stretch at a time: seeking far into
it shows the picture of that moment, playing on at 8× crosses into stretches
fetched on the way and ends on the last picture, and no response carries the
whole recording. The recording (100 s, a whole picture each second, each of
its own colour) is written beside a real relay, as the recorder writes them."""

from __future__ import annotations

import io
import json
import sqlite3
import struct
import time

import httpx
import pytest
from PIL import Image
from playwright.sync_api import expect
from websockets.sync.client import connect

from e2e.rep import TIMEOUT
from server.protocol import StreamKind
from server.recording.file import MAGIC, RECORD
from tests.conftest import ADMIN_PASSWORD, LiveRelay

pytestmark = pytest.mark.media

SECONDS = 100
W, H = 64, 36


def colour(i: int) -> tuple[int, int, int]:
    return (2 * i + 20, 220 - 2 * i, 60)


def picture(i: int) -> bytes:
    """A FRAMES body: a whole picture (agent/fallback.py's header, then a JPEG)."""
    jpeg = io.BytesIO()
    Image.new("RGB", (W, H), colour(i)).save(jpeg, "JPEG", quality=95)
    return struct.pack("!6H", 0, 0, W, H, W, H) + jpeg.getvalue()


@pytest.fixture
def long_recording(tmp_path):
    """A relay with an ended session and its 100 s desktop recording; yields
    (relay, recording id, bytes of screen pictures in it)."""
    relay = LiveRelay(tmp_path).start()
    try:
        token = httpx_signin(relay)
        with connect(relay.ws_url, open_timeout=10) as ws:
            ws.send(json.dumps({"type": "hello", "seq": 0, "token": token}))
            ws.send(json.dumps({"type": "start_session", "seq": 1}))
            session = None
            while session is None:
                msg = json.loads(ws.recv(timeout=10))
                if msg["type"] == "session_state":
                    session = msg["session"]
            ws.send(json.dumps({"type": "end_session", "seq": 2, "session": session}))
            while json.loads(ws.recv(timeout=10))["type"] != "session_ended":
                pass
        started = time.time() - 3600
        records, pictures = [MAGIC], 0
        for i in range(SECONDS):
            body = picture(i)
            records += [RECORD.pack(started + i, StreamKind.RECORD, 1, len(body)), body]
            pictures += len(body)
        folder = tmp_path / "recordings"
        folder.mkdir(exist_ok=True)
        (folder / "long.tandem").write_bytes(b"".join(records))
        with sqlite3.connect(tmp_path / "tandem.db") as db:
            rid = db.execute("INSERT INTO recordings (session_id, activity_id, path, started_at, ended_at, bytes) "
                             "VALUES (?, 1, 'long.tandem', ?, ?, ?)",
                             (session, started, started + SECONDS, pictures)).lastrowid
        yield relay, rid, pictures
    finally:
        relay.stop()


def httpx_signin(relay: LiveRelay) -> str:
    r = httpx.post(f"{relay.base}/api/signin", json={"email": "admin@localhost", "password": ADMIN_PASSWORD})
    r.raise_for_status()
    return r.json()["token"]


def centre(page) -> list[int]:
    return page.evaluate("""() => {
        const c = document.getElementById('video');
        return [...c.getContext('2d').getImageData(c.width >> 1, c.height >> 1, 1, 1).data.slice(0, 3)];
    }""")


def shows(page, i: int) -> None:
    """The canvas shows second ``i``'s picture (JPEG: within a few levels)."""
    want = colour(i)
    page.wait_for_function("""([want]) => {
        const c = document.getElementById('video');
        if (c.hidden) return false;
        const px = c.getContext('2d').getImageData(c.width >> 1, c.height >> 1, 1, 1).data;
        return [0, 1, 2].every((k) => Math.abs(px[k] - want[k]) <= 6);
    }""", arg=[list(want)], timeout=TIMEOUT)


def test_a_long_recording_plays_a_stretch_at_a_time(long_recording, browsers):
    relay, rid, pictures = long_recording
    browser = browsers.browser()
    page = browsers.new_context(browser, "admin", locale="en-US").new_page()
    fetched: list[tuple[str, int]] = []
    page.on("response", lambda r: fetched.append((r.url, len(r.body()))) if "/video" in r.url else None)
    page.goto(f"{relay.base}/signin?next=/recordings/{rid}")
    page.fill("#signin-email", "admin@localhost")
    page.fill("#signin-password", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("#playback-status")).to_have_attribute("data-state", "ready", timeout=TIMEOUT)
    shows(page, 0)

    page.evaluate("""(value) => {
        const seek = document.getElementById('playback-seek');
        seek.value = String(value);
        seek.dispatchEvent(new Event('input', { bubbles: true }));
    }""", 61_500)
    expect(page.locator("#video")).to_have_attribute("data-painted", "61500", timeout=TIMEOUT)
    shows(page, 61)

    page.select_option("#playback-rate", "8")
    page.click("#playback-play")
    expect(page.locator("#playback-play")).to_have_text("Play", timeout=TIMEOUT)  # played to the end
    page.wait_for_function("(t) => Number(document.getElementById('video').dataset.painted) >= t",
                           arg=(SECONDS - 1) * 1000, timeout=TIMEOUT)
    shows(page, SECONDS - 1)
    assert centre(page) != list(colour(61))

    urls = [u for u, _ in fetched]
    assert urls and all("from=" in u and "to=" in u for u in urls), urls
    # the stretch after 61.5 s + 30 s was fetched while playing, not on a seek
    assert any("from=91500" in u for u in urls), urls
    assert max(n for _, n in fetched) < pictures / 2, (fetched, pictures)
