"""Every message on the wire: the one schema of Tandem.

Text frames carry JSON objects with a ``type``; each type is a strict pydantic
model (unknown types and unknown fields are rejected). Client messages
carry ``seq``, the client's own counter, so that a client which reconnects can
resend what the relay did not process. Relay messages carry ``seq`` too: the
position in the receiver's stream, which the client names as ``last_seq`` in
its ``hello`` to get what it missed.

High-volume streams (cobrowse events, control input, file chunks, fallback
frames) are binary frames: a fixed `FRAME_HEADER` (kind, stream, seq) and an
opaque body that the relay forwards without parsing.

The messages are split by who sends them: `client` (client -> relay) and
`relay` (relay -> client), on the names and limits of `common`; `frames`
holds the binary frames' layout, and `schema` exports the JSON Schema the
extension uses (``python -m server.protocol --write``; ``--check`` fails when
the exported file is out of date). Everything is imported from here:
``import server.protocol as p``.
"""

from .client import *  # noqa: F403
from .common import *  # noqa: F403
from .frames import *  # noqa: F403
from .relay import *  # noqa: F403
from .schema import SCHEMA_PATH, json_schema  # noqa: F401
