"""The JSON Schema of every message, as the extension uses it:
``python -m server.protocol --write`` exports it, ``--check`` fails when the
exported file is out of date."""

from __future__ import annotations

import json
import sys

from .. import SERVER_DIR
from .client import client_message
from .common import CHAT_MAX, INTAKE_LIMITS, NOTE_MAX, TRANSFER_MESSAGE_MAX
from .frames import FILE_CHUNK, FILE_CHUNK_SIZE, FRAME_HEADER, StreamKind
from .relay import server_message

SCHEMA_PATH = SERVER_DIR / "schema" / "protocol.schema.json"


def json_schema() -> dict:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Tandem wire protocol",
        "client": client_message.json_schema(),
        "server": server_message.json_schema(),
        "frame_header": {"format": FRAME_HEADER.format, "size": FRAME_HEADER.size,
                         "kinds": {k.name.lower(): int(k) for k in StreamKind}},
        "file_chunk": {"format": FILE_CHUNK.format, "size": FILE_CHUNK.size, "max_data": FILE_CHUNK_SIZE},
        "limits": {"transfer_message_max": TRANSFER_MESSAGE_MAX, "chat_max": CHAT_MAX,
                   "note_max": NOTE_MAX,
                   "intake": INTAKE_LIMITS},
    }


def _schema_text() -> str:
    return json.dumps(json_schema(), indent=1, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    if "--write" in argv:
        SCHEMA_PATH.parent.mkdir(exist_ok=True)
        SCHEMA_PATH.write_text(_schema_text())
        print(f"wrote {SCHEMA_PATH.name}")
        return 0
    if "--check" in argv:
        if not SCHEMA_PATH.exists() or SCHEMA_PATH.read_text() != _schema_text():
            print("protocol.schema.json is out of date: run `make schema`", file=sys.stderr)
            return 1
        return 0
    sys.stdout.write(_schema_text())
    return 0
