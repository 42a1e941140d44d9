"""The playback of a recording: the page and the data it fetches.

    /recordings/{id}              the player (cobrowse replay, desktop video, chat; one timeline)
    /api/recordings/{id}          the timeline as JSON (`read.timeline`)
    /api/recordings/{id}/video    the screen picture updates (`read.video`); ?from=&to=
                                  (ms) for a stretch of them that paints on its own
    /api/recordings?session=ID    a session's recordings (id, started_at, ended_at, bytes, url)

Admins may play any recording; a rep only the recordings of sessions they
took part in. Anyone else gets 403; an unknown or deleted recording 404.
"""

from __future__ import annotations

from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..i18n import strings
from ..relay import Relay
from ..web.openapi import error_response
from ..web.pages import language, message, render, see_other
from ..web.signin import current_account
from .file import BadRecording
from .read import timeline, video

# The page's own CSP: scripts as strict as everywhere, but the replayed page's
# inline styles (rrweb inlines stylesheets) and pictures drawn from blobs must show.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "font-src 'self' data:; connect-src 'self'; frame-src 'self' about:; frame-ancestors 'none'; "
       "base-uri 'none'; form-action 'self'")


class Refused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code = status, code


async def _recording(request: Request) -> tuple[dict, Path]:
    """The recording the URL names, if the signed-in rep may play it; raises `Refused`."""
    user = await current_account(request)
    if user is None:
        raise Refused(401, "unauthorized", "sign in to play recordings")
    relay: Relay = request.app.state.relay
    await relay.recorder.wait_idle()
    row = await relay.store.get_recording(request.path_params["id"])
    if row is None or row["deleted_at"] is not None:
        raise Refused(404, "not_found", "no such recording")
    if not user.is_admin and user.id not in row["account_ids"]:
        raise Refused(403, "forbidden", "only admins and the session's reps may play this recording")
    folder = relay.recorder.folder.resolve()
    path = (folder / row["path"]).resolve()
    if folder not in path.parents or not path.is_file():
        raise Refused(404, "not_found", "the recording's file is gone")
    return row, path


async def playback_page(request: Request) -> Response:
    try:
        row, _path = await _recording(request)
    except Refused as exc:
        if exc.status == 401:
            return see_other(f"/signin?next={request.url.path}")
        if exc.status == 404:
            return await message(request, "error.not_found.title", "playback.not_found", 404)
        return await message(request, "error.title", "error.forbidden", exc.status)
    response = await render(request, "playback.html", recording=row,
                            strings=strings(language(request), "playback."))
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Cache-Control"] = "no-store"
    return response


async def recording_data(request: Request) -> Response:
    try:
        row, path = await _recording(request)
        data = await run_in_threadpool(timeline, path, row["started_at"], row["ended_at"])
    except Refused as exc:
        return error_response(exc.status, exc.code, str(exc))
    except BadRecording as exc:
        return error_response(500, "bad_recording", str(exc))
    return JSONResponse({"id": row["id"], "session_id": row["session_id"], "started_at": row["started_at"],
                         "ended_at": row["ended_at"], **data}, headers={"Cache-Control": "no-store"})


def _ms(request: Request, name: str) -> float | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value < 1e12:  # also refuses nan and inf
        raise Refused(422, "invalid", f"{name} must be milliseconds from the start, not {raw[:40]!r}")
    return value


async def recording_video(request: Request) -> Response:
    try:
        row, path = await _recording(request)
        start, end = _ms(request, "from"), _ms(request, "to")
        body = await run_in_threadpool(video, path, row["started_at"], start, end)
    except Refused as exc:
        return error_response(exc.status, exc.code, str(exc))
    except BadRecording as exc:
        return error_response(500, "bad_recording", str(exc))
    return Response(body, media_type="application/octet-stream", headers={"Cache-Control": "no-store"})


async def session_recordings(request: Request) -> Response:
    user = await current_account(request)
    if user is None:
        return error_response(401, "unauthorized", "sign in to list recordings")
    session = request.query_params.get("session", "")
    if not session or len(session) > 64:
        return error_response(400, "invalid", "say which session: ?session=ID")
    relay: Relay = request.app.state.relay
    await relay.recorder.wait_idle()
    rows = await relay.store.list_recordings(session)
    if rows and not user.is_admin and user.id not in (await relay.store.get_recording(rows[0]["id"]))["account_ids"]:
        return error_response(403, "forbidden", "only admins and the session's reps may list its recordings")
    return JSONResponse([{"id": r["id"], "started_at": r["started_at"], "ended_at": r["ended_at"],
                          "bytes": r["bytes"], "url": f"/recordings/{r['id']}"} for r in rows])


routes = [
    Route("/api/recordings", session_recordings),
    Route("/recordings/{id:int}", playback_page),
    Route("/api/recordings/{id:int}", recording_data),
    Route("/api/recordings/{id:int}/video", recording_video),
]
