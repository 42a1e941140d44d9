"""The extension and the pages speak only message types the relay's schema has."""

import re
from pathlib import Path

from server import protocol as p

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [*sorted((ROOT / "extension" / "src").rglob("*.js")), *sorted((ROOT / "server" / "static").glob("*.js"))]
CLIENT = {m.model_fields["type"].annotation.__args__[0] for m in p.ClientMessages.__args__[0].__args__}
SERVER = {m.model_fields["type"].annotation.__args__[0] for m in p.ServerMessages.__args__[0].__args__}


KEYWORDS = {"if", "for", "while", "switch", "return", "catch"}


def sources():
    return [(f, f.read_text()) for f in SOURCES if "generated" not in f.parts and f.name != "tandem.js"]


def test_every_type_sent_is_a_client_message():
    sent = {(f.name, t) for f, text in sources() for t in re.findall(r"\bsend\(\s*'([a-z_]+)'", text)}
    assert sent, "no sends found: the pattern is stale"
    unknown = sorted((name, t) for name, t in sent if t not in CLIENT)
    assert not unknown, f"types the relay does not know: {unknown}"


def test_every_handler_is_for_a_server_message():
    handled = set()
    for f, text in sources():
        for block in re.findall(r"handlers\s*=\s*\{(.*?)\n\s*\};", text, re.S):
            keys = re.findall(r"^\s{2,6}([a-z_]+)(?:\(\w*\)\s*\{|\s*:\s*\(?\w*\)?\s*=>)", block, re.M)
            handled |= {(f.name, t) for t in keys if t not in KEYWORDS}
    assert handled, "no handler maps found: the pattern is stale"
    unknown = sorted((name, t) for name, t in handled if t not in SERVER)
    assert not unknown, f"handlers for types the relay never sends: {unknown}"


def test_generated_types_match_the_schema():
    generated = (ROOT / "extension" / "src" / "generated" / "protocol.js").read_text()
    listed = set(re.findall(r'"([a-z_]+)"', generated.split("SERVER_TYPES")[0].split("CLIENT_TYPES")[1]))
    assert listed == CLIENT
