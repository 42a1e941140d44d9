"""Binary frames: a fixed header and an opaque body the relay forwards
without parsing."""

from __future__ import annotations

import enum
import struct


class StreamKind(enum.IntEnum):
    """What a binary frame carries, and so which activity must be live for it."""

    COBROWSE = 1  # rrweb events, sharer -> viewers (needs a view activity)
    CONTROL = 2  # input events, controller -> sharer (needs a control activity)
    FILE = 3  # file chunks (needs a files activity)
    FRAMES = 4  # fallback screen frames, sharer -> viewers
    RECORD = 5  # screen frames for the recorder only, sharer -> relay, never forwarded


FRAME_HEADER = struct.Struct("!BII")
"""kind (u8), stream (u32, the activity id), seq (u32). Client -> relay, seq is
the client's counter, shared with its text messages (a frame whose seq is not
above the last one processed is taken for a resend and dropped); relay ->
client, it is the receiver's stream position, shared with text messages."""

FILE_CHUNK = struct.Struct("!IQ")
"""The body of a FILE frame that carries data: request id (u32), offset (u64),
then at most `FILE_CHUNK_SIZE` bytes (agent/files.py, the rep's files page)."""
FILE_CHUNK_SIZE = 256 * 1024
