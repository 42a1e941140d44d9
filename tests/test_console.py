"""The rep console at /console: only for signed-in reps, hands the page a rep
token that works over /ws and the API, keeps to the CSP, and speaks every
language and only the protocol's message types."""

import html as html_lib
import json
import re
from pathlib import Path

import pytest

from server import i18n, protocol
from server.i18n import LANGUAGES

from .conftest import Peer, bearer, make_queue, make_rep, signin

STATIC = Path(i18n.__file__).parent / "static"
ENGLISH = i18n.catalog("en")
CONSOLE_KEYS = sorted(k for k in ENGLISH if k.startswith("console."))


def sign_in_with_the_form(client, email: str, password: str = "rep-password-1") -> None:
    """What a rep does in the browser: the sign-in page, then its form."""
    page = client.get("/signin?next=/console")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = client.post("/signin", data={"email": email, "password": password, "csrf": csrf, "next": "/console"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/console", r.text


def data_token(page: str) -> str:
    return html_lib.unescape(re.search(r'data-token="([^"]+)"', page).group(1))


@pytest.fixture
def rep(client):
    admin = signin(client)
    make_queue(client, admin, "billing")
    rep_id, _ = make_rep(client, admin, "rita@example.com", "Rita <Rep>", queue_rep=True, queues=["billing"])
    return rep_id


def test_console_sends_a_signed_out_visitor_to_sign_in(client):
    r = client.get("/console", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/signin?next=/console"


def test_signing_in_from_the_console_link_lands_on_the_console(client, rep):
    sign_in_with_the_form(client, "rita@example.com")
    r = client.get("/console")
    assert r.status_code == 200
    assert "Rita &lt;Rep&gt;" in r.text and "Rita <Rep>" not in r.text
    assert r.headers["cache-control"] == "no-store"  # the page carries a token


def test_the_page_token_says_hello_over_the_websocket(client, rep):
    sign_in_with_the_form(client, "rita@example.com")
    token = data_token(client.get("/console").text)
    with client.websocket_connect("/ws") as ws:
        peer = Peer(ws, token)
        assert peer.welcome["type"] == "welcome" and peer.welcome["role"] == "rep"
        assert peer.welcome["account"]["id"] == rep and peer.welcome["account"]["queue_rep"] is True
        assert peer.expect("queue_state")["queues"][0]["name"] == "billing"
        peer.send("start_session")
        state = peer.expect("session_state")
        assert state["role"] == "primary" and state["can_end"] is True
        assert state["tools_available"] is False  # no customer yet: the console disables those tools


def test_the_page_token_sends_invitations(client, rep):
    sign_in_with_the_form(client, "rita@example.com")
    token = data_token(client.get("/console").text)
    with client.websocket_connect("/ws") as ws:
        peer = Peer(ws, token)
        peer.send("start_session")
        state = peer.expect("session_state")
    r = client.post(f"/api/sessions/{state['session']}/invitations", headers=bearer(token),
                    json={"invitee": "customer"})
    assert r.status_code == 200, r.text
    invitation = r.json()
    assert state["number"] in invitation["phone"] and invitation["mailto"].startswith("mailto:")
    assert invitation["link"] == state["join_link"]


def test_the_console_keeps_to_the_csp(client, rep):
    sign_in_with_the_form(client, "rita@example.com")
    r = client.get("/console")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", r.text, re.S | re.I)
    assert any('type="application/json" id="tandem-strings"' in attrs for attrs, _ in scripts)
    for attrs, body in scripts:
        if 'type="application/json"' in attrs:
            continue
        assert "src=" in attrs and body.strip() == "", "inline script"
    assert '<script type="module" src="/static/console.js"></script>' in r.text
    assert not re.search(r"<style\b", r.text, re.I)
    assert not re.search(r"\sstyle\s*=", r.text, re.I)
    assert not re.search(r"\son[a-z]+\s*=", r.text, re.I)
    assert "javascript:" not in r.text.lower()
    assert client.get("/static/console.js").status_code == 200


def test_the_console_speaks_the_browsers_language(client, rep):
    sign_in_with_the_form(client, "rita@example.com")
    r = client.get("/console", headers={"Accept-Language": "da-DK,da;q=0.9,en;q=0.8"})
    danish = i18n.catalog("da")
    assert '<html lang="da">' in r.text
    assert danish["console.title"] in r.text and danish["console.sessions.empty"] in r.text
    assert ENGLISH["console.sessions.empty"] not in r.text
    block = re.search(r'<script type="application/json" id="tandem-strings">(.*?)</script>', r.text, re.S)
    assert json.loads(block.group(1)) == i18n.strings("da", "console.")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_console_renders_in_every_language(client, rep, lang):
    sign_in_with_the_form(client, "rita@example.com")
    r = client.get(f"/console?lang={lang}")
    assert r.status_code == 200 and f'<html lang="{lang}">' in r.text
    assert i18n.catalog(lang)["console.title"] in r.text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_language_has_every_console_string(lang):
    assert CONSOLE_KEYS
    catalog = i18n.catalog(lang)
    assert [k for k in CONSOLE_KEYS if k not in catalog] == []
    if lang != "en":
        same = [k for k in CONSOLE_KEYS if catalog[k] == ENGLISH[k] and any(c.isalpha() for c in catalog[k])]
        assert len(same) <= 3, same


def test_the_script_uses_only_keys_it_is_given():
    src = (STATIC / "console.js").read_text(encoding="utf-8")
    given = i18n.strings("en", "console.")
    literal = re.findall(r"""\bt\(\s*'(console\.[a-z0-9_.]+)'""", src)
    literal = [k for k in literal if not k.endswith(".")]
    assert literal and [k for k in literal if k not in given] == []
    # Keys the script builds from wire values must exist for every value.
    field = lambda model, name: model.model_fields[name].annotation.__args__  # noqa: E731
    built = [f"console.grant.{k}.{s}" for k in ("view", "control") for s in field(protocol.GrantInfo, "scope")]
    built += [f"console.grant.state.{s}" for s in field(protocol.GrantInfo, "state")]
    built += [f"console.ended.{r}" for r in field(protocol.SessionEnded, "reason")]
    built += [f"console.error.{c}" for c in field(protocol.Error, "code")]
    built += [f"console.session.state.{s}" for s in field(protocol.SessionState, "state")]
    built += [f"console.role.{r}" for r in field(protocol.ParticipantInfo, "role")]
    built += [f"console.activity.{k}" for k in field(protocol.ActivityInfo, "kind")]
    built += [f"console.queues.routing.{r}" for r in field(protocol.QueueInfo, "routing")]
    built += [f"console.status.{s}" for s in ("connecting", "connected", "reconnecting", "unauthorized", "closed")]
    assert [k for k in built if k not in given] == []


def test_the_script_speaks_only_protocol_message_types():
    src = (STATIC / "console.js").read_text(encoding="utf-8")
    wire = src + (STATIC / "connection.js").read_text(encoding="utf-8")  # hello and ping
    sent = set(re.findall(r"send\('([a-z_]+)'", wire)) | set(re.findall(r"type: '([a-z_]+)'", wire))
    client_types = {m.model_fields["type"].annotation.__args__[0]
                    for m in protocol.ClientMessages.__origin__.__args__}
    assert sent and sent <= client_types
    block = re.search(r"const handlers = \{(.*?)\n  \};", src, re.S).group(1)
    names = set(re.findall(r"^    ([a-z_]+)\(", block, re.M))
    server_types = {m.model_fields["type"].default for m in protocol.ServerMessages.__origin__.__args__}
    assert names and names <= server_types
