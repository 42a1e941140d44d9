"""The recorded screen is fetched a stretch at a time: each stretch paints on
its own (it starts with the last whole picture before it), payloads outside
it are not sent, and a bad range gets a clear refusal."""

from __future__ import annotations

import struct

import pytest

from server.protocol import StreamKind
from server.recording.file import MAGIC, RECORD, BadRecording
from server.recording.read import video
from tests.conftest import bearer
from tests.test_recording import admin, live, recordings, start_recording, tile  # noqa: F401 (fixtures)

START = 1000.0
WHOLE, PART = (0, 0, 8, 6, 8, 6), (2, 2, 2, 2, 8, 6)
# (seconds after the start, FRAMES head): A whole, B C parts, D whole, E F parts
SCREEN = [("A", 0.0, WHOLE), ("B", 1.0, PART), ("C", 2.0, PART), ("D", 3.0, WHOLE), ("E", 4.0, PART),
          ("F", 5.0, PART)]


def write(path, cut: int = 0) -> None:
    out = [MAGIC]
    for name, at, head in SCREEN:
        body = struct.pack("!6H", *head) + name.encode() * 10
        out += [RECORD.pack(START + at, StreamKind.RECORD, 7, len(body)), body]
        chat = b'{"kind": "chat"}'
        out += [RECORD.pack(START + at + 0.5, 0, 0, len(chat)), chat]  # not the screen: never sent
    data = b"".join(out)
    path.write_bytes(data[:len(data) - cut] if cut else data)


def names(body: bytes) -> list[tuple[str, float]]:
    got = []
    while body:
        t, stream, n = struct.unpack_from("!dII", body)
        assert stream == 7
        got.append((body[16 + 12:16 + 13].decode(), t))
        body = body[16 + n:]
    return got


@pytest.mark.parametrize("start, end, expected", [
    (None, None, "ABCDEF"),  # all of it
    (0, 1500, "AB"),
    (2500, 3500, "ABCD"),  # C needs A and B under it
    (3500, 5000, "DE"),  # D is whole: nothing before it is needed
    (5500, 9000, "DEF"),  # after the last update: what paints the end
    (9000, 12000, "DEF"),
])
def test_a_stretch_paints_on_its_own(tmp_path, start, end, expected):
    path = tmp_path / "r.tandem"
    write(path)
    got = names(video(path, START, start, end))
    assert "".join(n for n, _ in got) == expected
    assert [t for _, t in got] == sorted(t for _, t in got)
    assert all(t == 1000 * at for (n, t), (_, at, _) in zip(got, [x for x in SCREEN if x[0] in expected], strict=True))


def test_a_recording_cut_short_by_a_crash_gives_what_it_has(tmp_path):
    path = tmp_path / "r.tandem"
    write(path, cut=40)  # the chat line after F gone, and F cut short
    assert "".join(n for n, _ in names(video(path, START))) == "ABCDE"
    assert "".join(n for n, _ in names(video(path, START, 4500, 9000))) == "DE"


def test_the_video_api_takes_a_range_and_refuses_a_bad_one(client, admin, live):  # noqa: F811
    _, stream = live.grant("view")
    start_recording(live)
    live.cus.frame(StreamKind.FRAMES, stream, tile(8, 6))
    live.cus.frame(StreamKind.FRAMES, stream, struct.pack("!6H", 2, 2, 2, 2, 8, 6) + b"\xff\xd8jpeg")
    live.rep.fence()
    live.rep.send("end_session", session=live.sid)
    live.rep.expect("session_ended")
    [row] = recordings(client)
    url = f"/api/recordings/{row['id']}/video"
    whole = client.get(url, headers=bearer(admin)).content
    assert client.get(url + "?from=0&to=600000", headers=bearer(admin)).content == whole
    assert client.get(url + "?from=600000&to=900000", headers=bearer(admin)).content == whole  # the end's picture
    for bad in ("from=abc", "from=-1", "to=nan", "from=inf", "to=1e13"):
        r = client.get(f"{url}?{bad}", headers=bearer(admin))
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid", (bad, r.text)


def test_a_file_that_is_not_a_recording_is_refused_by_its_name_only(tmp_path):
    path = tmp_path / "r.tandem"
    path.write_bytes(b"GIF89a" + bytes(40))
    with pytest.raises(BadRecording) as refused:
        video(path, START, 0, 1000)
    assert str(refused.value) == "r.tandem is not a Tandem recording"  # no folder of the server in it


def test_a_stopping_relay_does_not_wait_forever_for_recordings(client, monkeypatch):
    """Bookkeeping that was cancelled does not stop the rest; bookkeeping that
    hangs delays the relay's stop by CLOSE_WAIT, not forever."""
    import asyncio

    from server.recording import recorder as recording

    recorder = client.app.state.relay.recorder
    done = []

    async def cancelled() -> None:
        raise asyncio.CancelledError

    async def fine() -> None:
        done.append(1)

    async def hangs() -> None:
        await asyncio.Event().wait()

    client.portal.call(recorder._queue, cancelled)
    client.portal.call(recorder._queue, fine)
    client.portal.call(asyncio.wait_for, recorder.wait_idle(), 5)
    assert done == [1]

    monkeypatch.setattr(recording, "CLOSE_WAIT", 0.3)
    client.portal.call(recorder._queue, hangs)
    client.portal.call(asyncio.wait_for, recorder.close(), 5)  # TimeoutError here if it waited on
