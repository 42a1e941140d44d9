"""Simple file transfer: a rep publishes files on the relay, the session's
participants list and download them.

    POST /api/sessions/{session}/files?name=report.pdf   rep token; the raw body is the file
    GET  /api/sessions/{session}/files                   rep token or customer capability token
    GET  /api/sessions/{session}/files/{id}              the same; Range for resuming

The upload is streamed to disk (never held in memory), limited to
``Settings.max_file_bytes`` (413 ``too_large``), and hashed while it streams.
A file lives in ``files_dir/<session>/<id>`` (random id) next to
``<id>.json`` (its sanitized name, size, sha256, who, when). Downloads answer
``Content-Disposition: attachment``, ``Accept-Ranges: bytes``, an ``ETag`` and
``Repr-Digest: sha-256=:…:`` (RFC 9530) plus ``X-Tandem-Sha256`` (hex), so a
client can resume with ``Range`` and verify the whole file at the end. Every
upload and download goes into the audit log (``file.published``,
``file.downloaded``).

Participants learn of new files through this API: the customer page polls the
list, the rep console shows the upload's answer. Nothing goes over ``/ws`` yet.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import re
import secrets
import time
import unicodedata
from pathlib import Path

from pydantic import BaseModel, ConfigDict
from starlette.requests import Request
from starlette.responses import FileResponse

from ..core.actors import RepActor
from ..relay import Relay
from .api import api, caller, relay_of
from .http_limits import allow_body
from .openapi import ApiError

log = logging.getLogger(__name__)

_ID = re.compile(r"^[0-9a-f]{32}$")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f/\\:*?\"<>|]")
# Invisible characters that change how a name reads: bidi overrides and
# isolates (U+202E shows ``invoice<U+202E>fdp.exe`` as ``invoiceexe.pdf``),
# zero-width and other format characters, line and paragraph separators,
# surrogates, private-use and unassigned code points.
_INVISIBLE = frozenset({"Cf", "Zl", "Zp", "Cs", "Co", "Cn"})
MAX_NAME_BYTES = 200


def safe_name(raw: str) -> str:
    """A file name that is safe to store, list and send back: only the last
    path component, no control or reserved characters, no bidi or other
    invisible format characters, no leading dots, at most 200 UTF-8 bytes.
    ``../../etc/passwd`` becomes ``passwd``."""
    name = unicodedata.normalize("NFC", raw).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c) not in _INVISIBLE)
    name = _UNSAFE.sub("_", name).strip().lstrip(".").strip()
    while len(name.encode()) > MAX_NAME_BYTES:
        stem, dot, ext = name.rpartition(".")
        name = f"{stem[:-1]}.{ext}" if dot and len(ext) < 16 and stem else name[:-1]
    return name or "file"


def files_dir(relay: Relay) -> Path:
    s = relay.settings
    return Path(s.files_dir) if s.files_dir else Path(s.var_dir) / "files"


class PublishedFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    name: str
    size: int
    sha256: str
    content_type: str
    published_by: str
    published_at: float
    url: str


class FileList(BaseModel):
    model_config = ConfigDict(extra="forbid")
    files: list[PublishedFile]


async def _participant(request: Request, session: str) -> str:
    """Who is asking, as an audit actor, once the desk says they are in the
    session: a rep of it, or a customer (or their agent) holding its
    capability token. A session id that gets past this names a live session
    (so it is safe in a path)."""
    actor = await caller(request)
    relay_of(request).desk.participant(actor, session)
    return f"rep:{actor.account_id}" if isinstance(actor, RepActor) else actor.pid


def _read_meta(folder: Path, file_id: str) -> dict | None:
    try:
        return json.loads((folder / f"{file_id}.json").read_text())
    except (OSError, ValueError):
        return None


def _out(session: str, meta: dict) -> PublishedFile:
    return PublishedFile(**{k: meta[k] for k in ("id", "name", "size", "sha256", "content_type",
                                                  "published_by", "published_at")},
                         url=f"/api/sessions/{session}/files/{meta['id']}")


@api.route("POST", "/api/sessions/{session}/files",
           summary="Rep: publish a file to the session (raw body, ?name=FILE); streamed, size-limited",
           auth="rep", response=PublishedFile, status=201, tag="files")
async def publish_file(request: Request, session: str, account):
    relay = relay_of(request)
    relay.desk.participant(RepActor(account.id), session)
    limit = relay.settings.max_file_bytes
    too_large = ApiError(413, "too_large", f"files are limited to {limit} bytes ({limit / 2**20:.0f} MiB)")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise too_large  # refused before a byte is read
    allow_body(request, limit)  # past the relay's limit for other bodies, up to this one
    name = safe_name(request.query_params.get("name", ""))
    folder = files_dir(relay) / session
    folder.mkdir(parents=True, exist_ok=True)
    file_id = secrets.token_hex(16)
    part = folder / f"{file_id}.part"
    digest, size = hashlib.sha256(), 0
    try:
        with open(part, "xb") as out:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise too_large
                digest.update(chunk)
                out.write(chunk)
        os.replace(part, folder / file_id)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    meta = {"id": file_id, "name": name, "size": size, "sha256": digest.hexdigest(),
            "content_type": "application/octet-stream", "published_by": f"rep:{account.id}",
            "published_at": time.time()}
    (folder / f"{file_id}.json").write_text(json.dumps(meta))
    await relay.store.audit("file.published", actor=f"rep:{account.id}", session_id=session,
                            data={k: meta[k] for k in ("id", "name", "size", "sha256")})
    log.info("session %s: %s published %r (%d bytes)", session, meta["published_by"], name, size)
    return _out(session, meta)


@api.route("GET", "/api/sessions/{session}/files",
           summary="The session's published files (rep token or customer capability token)",
           response=FileList, tag="files")
async def list_files(request: Request, session: str):
    await _participant(request, session)
    folder = files_dir(relay_of(request)) / session
    metas = [m for p in (folder.glob("*.json") if folder.is_dir() else ())
             if (m := _read_meta(folder, p.stem)) is not None]
    metas.sort(key=lambda m: m["published_at"])
    return FileList(files=[_out(session, m) for m in metas])


@api.route("GET", "/api/sessions/{session}/files/{file}",
           summary="Download a published file (attachment; Range supported; X-Tandem-Sha256)", tag="files")
async def download_file(request: Request, session: str, file: str):
    who = await _participant(request, session)
    relay = relay_of(request)
    folder = files_dir(relay) / session
    meta = _read_meta(folder, file) if _ID.match(file) else None
    if meta is None or not (folder / file).is_file():
        raise ApiError(404, "not_found", "no such file in this session")
    await relay.store.audit("file.downloaded", actor=who, session_id=session,
                            data={"id": file, "name": meta["name"], "range": request.headers.get("range")})
    b64 = base64.b64encode(bytes.fromhex(meta["sha256"])).decode()
    return FileResponse(folder / file, media_type=meta["content_type"], filename=meta["name"],
                        content_disposition_type="attachment",
                        headers={"X-Tandem-Sha256": meta["sha256"], "Repr-Digest": f"sha-256=:{b64}:",
                                 "ETag": f'"{meta["sha256"]}"', "Cache-Control": "private, no-store"})


routes = api.routes(__name__)  # declared on the main `api`: they are in the OpenAPI document
