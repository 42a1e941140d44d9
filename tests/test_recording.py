"""Session recording (server/recording/: recorder.py, file.py, read.py,
playback.py): what a recording keeps, when it ends, who may play it back, and
retention."""

from __future__ import annotations

import asyncio
import json
import struct
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from starlette.testclient import TestClient

from server.protocol import FRAME_HEADER, StreamKind
from server.recording.file import CURSOR, CURSOR_VALUE, MAGIC, RECORD, RecordingWriter, read_records, reopen
from server.store import models as m
from server.web.app import create_app
from tests.conftest import bearer, make_rep, signin
from tests.test_ws import Client, Live, frames

DAY = 86400.0


def rrweb(text: str, at: float) -> bytes:
    """A COBROWSE body: a Meta and a full snapshot of a page saying `text`."""
    ms = at * 1000
    doc = {"type": 0, "id": 1, "childNodes": [
        {"type": 2, "tagName": "html", "attributes": {}, "id": 2, "childNodes": [
            {"type": 2, "tagName": "body", "attributes": {}, "id": 3, "childNodes": [
                {"type": 3, "textContent": text, "id": 4}]}]}]}
    return json.dumps([{"type": 4, "data": {"href": "https://shop.example/", "width": 800, "height": 600},
                        "timestamp": ms},
                       {"type": 2, "data": {"node": doc, "initialOffset": {"top": 0, "left": 0}},
                        "timestamp": ms}]).encode()


def tile(w: int = 4, h: int = 4) -> bytes:
    """A FRAMES body: a whole w×h picture (header, then bytes standing in for a JPEG)."""
    return struct.pack("!6H", 0, 0, w, h, w, h) + b"\xff\xd8jpeg"


@pytest.fixture
def admin(client) -> str:
    return signin(client)


@pytest.fixture
def live(client, admin):
    with client.websocket_connect("/ws") as r, client.websocket_connect("/ws") as c:
        yield Live(client, Client(r, admin), c)


def relay_of(client: TestClient):
    return client.app.state.relay


def recordings(client: TestClient) -> list[dict]:
    relay = relay_of(client)
    client.portal.call(relay.recorder.wait_idle)
    return client.portal.call(relay.store.list_recordings)


def start_recording(session: Live) -> int:
    session.rep.send("start_activity", session=session.sid, kind="recording")
    state = session.rep.expect("session_state", where=lambda s: any(a["kind"] == "recording" for a in s["activities"]))
    return next(a["id"] for a in state["activities"] if a["kind"] == "recording")


def timeline(client: TestClient, rid: int, token: str) -> dict:
    r = client.get(f"/api/recordings/{rid}", headers=bearer(token))
    assert r.status_code == 200, r.text
    return r.json()


def test_a_recording_keeps_cobrowse_chat_and_events_while_live_and_nothing_after_stop(client, admin, live):
    _, stream = live.grant("view")
    live.cus.frame(StreamKind.COBROWSE, stream, rrweb("before the recording", time.time()))
    activity = start_recording(live)
    live.cus.frame(StreamKind.COBROWSE, stream, rrweb("Account settings", time.time()))
    live.cus.send("chat", session=live.sid, text="my card is declined")
    live.rep.expect("chat_message", text="my card is declined")
    live.rep.send("stop_activity", session=live.sid, activity=activity)
    live.rep.expect("session_state", where=lambda s: not any(a["kind"] == "recording" for a in s["activities"]))
    live.cus.frame(StreamKind.COBROWSE, stream, rrweb("after the recording", time.time()))
    live.cus.send("chat", session=live.sid, text="are you still there?")
    live.rep.expect("chat_message", text="are you still there?")
    live.rep.fence()

    [row] = recordings(client)
    assert row["session_id"] == live.sid and row["activity_id"] == activity
    assert row["ended_at"] is not None and row["bytes"] > 0
    data = timeline(client, row["id"], admin)
    texts = [n["textContent"] for e in data["cobrowse"] if e["type"] == 2
             for n in e["data"]["node"]["childNodes"][0]["childNodes"][0]["childNodes"]]
    assert texts == ["Account settings"]
    assert [c["text"] for c in data["chat"]] == ["my card is declined"]
    assert data["chat"][0]["name"] == "Ann" and 0 <= data["chat"][0]["t"] <= data["duration"]
    actions = [e["action"] for e in data["events"]]
    assert actions[0] == "recording.state" and "activity.ended" in actions
    assert {p["name"] for p in data["events"][0]["participants"]} == {"Admin", "Ann"}


def test_recording_ends_with_transfer_control(client, admin, live):
    _, token = make_rep(client, admin, "bo@example.com", "Bo")
    with client.websocket_connect("/ws") as ws:
        bo = Client(ws, token)
        bo.send("assist_session", number=live.number)
        state = bo.expect("session_state", session=live.sid)
        start_recording(live)
        live.rep.send("transfer_control", session=live.sid, to=state["you"])
        bo.expect("session_state", role="primary")
        [row] = recordings(client)
        assert row["ended_at"] is not None
        events = timeline(client, row["id"], token)["events"]  # Bo took part: he may play it
        assert events[-1]["action"] == "activity.ended" and events[-1]["reason"] == "control transferred"


def test_auto_record_records_every_session_and_cannot_be_stopped(client, admin):
    r = client.put("/api/admin/policies", headers=bearer(admin), json={"auto_record": True})
    assert r.status_code == 200, r.text
    with client.websocket_connect("/ws") as rws, client.websocket_connect("/ws") as cws:
        live = Live(client, Client(rws, admin), cws)
        state = live.rep.expect("session_state", where=lambda s: any(a["kind"] == "recording" for a in s["activities"]))
        assert state["auto_record"] is True
        activity = next(a["id"] for a in state["activities"] if a["kind"] == "recording")
        live.rep.send("stop_activity", session=live.sid, activity=activity)
        assert "policy" in live.rep.error("not_allowed")["message"]
        live.rep.send("end_session", session=live.sid)
        live.rep.expect("session_ended")
    [row] = recordings(client)
    assert row["session_id"] == live.sid and row["ended_at"] is not None


def test_record_frames_are_kept_for_the_recorder_only_while_recording(client, admin, live):
    _, stream = live.grant("view")
    seq = live.cus.frame(StreamKind.RECORD, stream, tile())
    assert live.cus.error("not_allowed")["ref"] == seq  # nothing is being recorded
    start_recording(live)
    seq = live.rep.frame(StreamKind.RECORD, stream, tile())
    assert live.rep.error("not_allowed")["ref"] == seq  # only the sharer
    live.cus.frame(StreamKind.RECORD, stream, tile(8, 6))
    live.cus.frame(StreamKind.FRAMES, stream, tile(2, 2))
    got = frames(live.rep.fence())
    assert [FRAME_HEADER.unpack_from(g)[0] for g in got] == [StreamKind.FRAMES]  # RECORD goes to nobody
    live.rep.send("end_session", session=live.sid)
    live.rep.expect("session_ended")

    [row] = recordings(client)
    assert timeline(client, row["id"], admin)["video_frames"] == 2
    body = client.get(f"/api/recordings/{row['id']}/video", headers=bearer(admin)).content
    sizes = []
    while body:
        _, s, n = struct.unpack_from("!dII", body)
        assert s == stream
        sizes.append(struct.unpack_from("!6H", body, 16)[4:])
        body = body[16 + n:]
    assert sizes == [(8, 6), (2, 2)]


def test_only_admins_and_the_sessions_reps_may_play_a_recording(client, admin, live):
    start_recording(live)
    live.rep.send("end_session", session=live.sid)
    live.rep.expect("session_ended")
    [row] = recordings(client)
    rid = row["id"]
    _, other = make_rep(client, admin, "eve@example.com", "Eve")

    assert client.get(f"/api/recordings/{rid}", headers=bearer(admin)).status_code == 200
    listed = client.get("/api/recordings", params={"session": live.sid}, headers=bearer(admin)).json()
    assert [x["url"] for x in listed] == [f"/recordings/{rid}"]
    assert client.get(f"/api/recordings/{rid}", headers=bearer(other)).status_code == 403
    assert client.get("/api/recordings", params={"session": live.sid}, headers=bearer(other)).status_code == 403
    assert client.get("/api/recordings", headers=bearer(admin)).status_code == 400
    assert client.get(f"/api/recordings/{rid}/video", headers=bearer(other)).status_code == 403
    client.cookies.clear()
    assert client.get(f"/api/recordings/{rid}").status_code == 401
    page = client.get(f"/recordings/{rid}", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/signin")

    client.cookies.set("tandem_rep", other)
    assert client.get(f"/recordings/{rid}").status_code == 403
    client.cookies.set("tandem_rep", admin)
    page = client.get(f"/recordings/{rid}")
    assert page.status_code == 200
    assert '<script src="/static/playback.js"' in page.text and "<script>" not in page.text
    assert "script-src 'self';" in page.headers["content-security-policy"]


@pytest.mark.parametrize("path", ["/recordings/999", "/api/recordings/999", "/api/recordings/999/video",
                                  "/recordings/abc", "/api/recordings/-1", "/api/recordings/1x/video"])
def test_unknown_or_malformed_recording_ids_are_not_found(client, admin, path):
    assert client.get(path, headers=bearer(admin)).status_code == 404


def test_retention_deletes_old_recordings_and_their_files(client, admin, live):
    start_recording(live)
    live.rep.send("end_session", session=live.sid)
    live.rep.expect("session_ended")
    relay = relay_of(client)
    [row] = recordings(client)
    path = relay.recorder.folder / row["path"]
    assert path.is_file()

    assert client.portal.call(relay.recorder.sweep) == 0  # 0 days: kept forever
    r = client.put("/api/admin/policies", headers=bearer(admin), json={"recording_retention_days": 2})
    assert r.status_code == 200 and r.json()["recording_retention_days"] == 2
    assert client.portal.call(relay.recorder.sweep) == 0  # not old enough yet
    relay.clock = lambda: time.time() + 3 * DAY
    assert client.portal.call(relay.recorder.sweep) == 1
    assert not path.exists()
    assert recordings(client) == []
    assert client.get(f"/api/recordings/{row['id']}", headers=bearer(admin)).status_code == 404


def test_recordings_past_retention_are_deleted_at_start_up(settings, tmp_path):
    with TestClient(create_app(settings)) as client:
        relay = relay_of(client)
        client.portal.call(relay.store.set_policy, "recording_retention_days", 1)
        old = time.time() - 3 * DAY

        async def insert():
            await relay.store.record([])
            async with relay.store._writer.begin() as conn:
                await conn.execute(m.sessions.insert().values(id="s1", number="123456789", kind="outbound",
                                                              state="ended", created_at=old))
                await conn.execute(m.recordings.insert().values(session_id="s1", activity_id=1, path="s1/1.tdr",
                                                                started_at=old, ended_at=old + 60, bytes=0))

        client.portal.call(insert)
        folder = relay.recorder.folder
    (folder / "s1").mkdir(parents=True)
    (folder / "s1" / "1.tdr").write_bytes(MAGIC)
    with TestClient(create_app(settings)) as client:
        assert recordings(client) == []
    assert not (folder / "s1" / "1.tdr").exists()


def test_a_file_cut_short_reads_up_to_its_last_whole_record(tmp_path):
    path = tmp_path / "r.tdr"
    one = RECORD.pack(1.0, 0, 0, 2) + b"{}"
    two = RECORD.pack(2.0, StreamKind.COBROWSE, 7, 5) + b"[1,2]"
    path.write_bytes(MAGIC + one + two[:-2])
    assert list(read_records(path)) == [(1.0, 0, 0, b"{}")]


def test_a_file_a_killed_writer_left_is_cut_after_its_last_whole_record_and_appended_to(tmp_path):
    """In a cluster the node taking the desk over goes on with the dead owner's file."""
    path = tmp_path / "s1" / "3.tdr"

    async def write(writer, *frames: tuple[bytes, int | None]) -> int:
        for body, seq in frames:
            writer.add_frame(time.time(), StreamKind.COBROWSE, 7, body, seq)
        return await writer.close()

    with ThreadPoolExecutor(1) as pool:
        first = asyncio.run(write(RecordingWriter(path, pool), (b"local", None), (b"one", 1), (b"two", 2)))
        torn = RECORD.pack(time.time(), StreamKind.COBROWSE, 7, 100) + b"cut short"
        with path.open("ab") as f:
            f.write(torn)
        assert reopen(path)[:2] == (first, 2)  # the torn record is gone; the channel's frames got to seq 2
        assert path.stat().st_size == first

        async def go_on() -> int:
            writer = RecordingWriter(path, pool, appending=True)
            writer.resumed(first, 2)
            return await write(writer, (b"three", 3))

        assert asyncio.run(go_on()) == path.stat().st_size
    records = list(read_records(path))
    assert [body for _at, kind, _stream, body in records if kind == StreamKind.COBROWSE] == [
        b"local", b"one", b"two", b"three"]
    assert [CURSOR_VALUE.unpack(body)[0] for _at, kind, _stream, body in records if kind == CURSOR] == [2, 3]
    assert reopen(path)[1] == 3


@pytest.mark.parametrize("left", [None, b"", MAGIC[:5]])
def test_a_recording_file_missing_or_cut_inside_its_magic_starts_over(tmp_path, left):
    path = tmp_path / "s1" / "3.tdr"
    if left is not None:
        path.parent.mkdir()
        path.write_bytes(left)
    assert reopen(path) == (len(MAGIC), 0, None, None)
    assert path.read_bytes() == MAGIC
