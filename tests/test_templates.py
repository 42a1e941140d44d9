"""Every page renders in every language, escapes what users typed, and keeps
to the relay's CSP (no inline script, style or event handlers)."""

import html as html_lib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from pydantic import BaseModel

from server import i18n, protocol
from server.core.intake import JOIN_FORM, IntakeField, IntakeForm
from server.i18n import LANGUAGES
from server.outbox import KeptMail
from server.reports.tables import Link, Row, Table, bar_chart
from server.store import CannedReply
from server.web.admin import POLICY_DEFAULTS
from server.web.download import Build, Offer, Visitor

TEMPLATES = Path(i18n.__file__).parent / "templates"
STATIC = Path(i18n.__file__).parent / "static"
PAGE_SRC = STATIC.parent.parent / "extension" / "src"  # the customer page's source, built into static/customer.js
EVIL = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
ENGLISH = i18n.catalog("en")


@dataclass
class User:
    name: str
    is_admin: bool
    is_supervisor: bool = False


@dataclass
class Account:
    id: int
    email: str
    name: str
    is_admin: bool
    queue_rep: bool
    max_customers: int
    multi_session: bool
    queues: tuple
    active: bool
    is_supervisor: bool = False


class JoinBody(BaseModel):
    number: str
    name: str = ""


@dataclass
class Endpoint:
    method: str
    path: str
    summary: str
    auth: str
    body: type | None
    status: int
    tag: str


@dataclass
class Queue:
    name: str
    title: str
    routing: str = "manual"
    offer_timeout: float = 30.0
    consent: str = "view_on_accept"
    intake: IntakeForm = IntakeForm()


def env() -> Environment:
    e = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                    undefined=StrictUndefined)
    e.filters["datetime"] = lambda ts: f"t={ts:.0f}"
    e.globals["intake_limits"] = protocol.INTAKE_LIMITS
    return e


def checked_translator(lang, missing):
    """The real translator, noting every key en.json lacks."""
    real = i18n.translator(lang)

    def _(key, **kw):
        if key not in ENGLISH:
            missing.append(key)
        return real(key, **kw)

    return _


QUEUES = [Queue("billing", EVIL, "automatic", 45.0,
                intake=IntakeForm("required", (IntakeField(EVIL, True), IntakeField("Order number")))),
          Queue("tech", "Technical help")]
OFFER = Offer(Visitor("windows", "x86_64", name="Windows"),
              Build("windows", "x86_64", Path("tandem-support-manager-windows-x86_64.exe"), 61_000_000),
              [Build("linux", "x86_64", Path("tandem-support-manager-linux-x86_64"), 60_000_000)])
CONTEXTS = {
    "base.html": {},
    "admin_base.html": {"error": None, "notice": None},
    "home.html": {},
    "join.html": {"error": EVIL, "number": "123 456", "intake": JOIN_FORM,
                  "values": {"name": EVIL, "description": EVIL}},
    "download.html": {"relay_url": "https://support.example.com", "offer": OFFER, "token": "tok.en-1",
                      "number": "123 456 789"},
    "help.html": {"queue": QUEUES[0], "error": None, "values": {"name": EVIL, "field-1": EVIL}},
    "customer.html": {"token": "tok.en-1", "ws_path": "/ws", "number": "123 456 789",
                      "queue_title": EVIL, "agent_offer": OFFER},
    "signin.html": {"error": "Wrong email or password.", "email": EVIL, "next": "/invite/abc"},
    "admin_reps.html": {
        "accounts": [
            Account(1, "ann@example.com", EVIL, True, True, 3, True, ("billing",), True),
            Account(2, "bo@example.com", "Bo", False, False, 1, False, (), False),
        ],
        "queues": QUEUES, "error": None, "notice": f"Password: {EVIL}",
    },
    "admin_queues.html": {"queues": QUEUES, "error": None, "base_url": "https://help.example.com"},
    "admin_policies.html": {"policies": {**POLICY_DEFAULTS, "auto_record": True, "chat_with_customers": False,
                                         "recording_retention_days": 30},
                            "error": EVIL},
    "admin_sessions.html": {
        "sessions": [
            {"id": "s1", "number": "123 456 789", "kind": "inbound", "queue": "billing",
             "state": "ended", "created_at": 1_700_000_000.0, "ended_at": 1_700_000_600.0},
            {"id": "s2", "number": "987 654 321", "kind": "outbound", "queue": None,
             "state": "active", "created_at": 1_700_000_100.0, "ended_at": None},
        ],
        "audit": [
            {"at": 1_700_000_001.0, "session_id": "s1", "actor": "rep:1",
             "action": "chat.posted", "data": {"text": EVIL, "name": "Ann"}},
            {"at": 1_700_000_002.0, "session_id": None, "actor": None, "action": "offer.made", "data": {}},
            {"at": 1_700_000_003.0, "session_id": None, "actor": "rep:2", "action": "account.updated",
             "data": {"queue_rep": True, "queues": ["billing", "demo"], "active": False, "note": None}},
        ],
        "actor_names": {"rep:2": "Rita"},
    },
    "demo.html": {"demo_queue": "shop", "consent": "ask_first"},
    "invite.html": {"invitee": "customer", "number": "123 456 789", "token": "abc.def", "error": None,
                    "intake": JOIN_FORM, "values": {"description": EVIL}},
    "message.html": {"title": EVIL, "message": EVIL},
    "playback.html": {"recording": {"id": 3, "session_id": EVIL, "started_at": 1_700_000_000.0,
                                    "ended_at": None}},
    "api_docs.html": {"endpoints": [
        Endpoint("POST", "/api/join", EVIL, "none", JoinBody, 200, "customers"),
        Endpoint("GET", "/api/me", "The signed-in rep", "rep", None, 200, "reps"),
        Endpoint("GET", "/api/admin/reps", "Reps", "admin", None, 200, "admin"),
    ]},
}
REPORT_TABLE = Table(["Session", "Text"], [Row([Link("123 456 789", "/reports/sessions/s1"), EVIL], "reps-only")])
REPORT_FILTERS = {"from": "2026-01-01", "to": "", "rep": "1", "queue": "billing"}
REPORT_LISTS = {"reps": [Account(1, "ann@example.com", EVIL, True, True, 3, True, (), True)], "queues": QUEUES,
                "filters": REPORT_FILTERS, "error": None, "csv_link": "/reports/sessions?format=csv"}
CONTEXTS |= {
    "admin_canned.html": {"replies": [CannedReply(1, EVIL, EVIL, 1.0, 1.0)], "error": None,
                          "title_max": 80, "text_max": 4000},
    "admin_outbox.html": {"messages": [KeptMail("k", 1.0, EVIL, EVIL, EVIL)], "configured": False, "shown": 200},
    "admin_dashboard.html": {"token": EVIL, "account_id": 7, "user": User(EVIL, False, True)},
    "report_macros.html": {},
    "intake_macros.html": {},
    "report_sessions.html": {"table": REPORT_TABLE, "charts": [bar_chart(EVIL, [(EVIL, 3, "3"), ("Bo", 0, "0")])],
                             **REPORT_LISTS},
    "report_reps.html": {"table": Table(["Rep"]), "charts": [], **REPORT_LISTS},
    "report_session.html": {
        "report": {"ratings": [{"score": 4, "comment": EVIL}]},
        "info": {"number": "123 456 789", "queue": "billing", "created": "2026-01-01 10:00:00", "started": "",
                 "ended": "", "duration": "", "queue_wait": "0:01:00", "rating": "4/5"},
        "participants": Table(["Name"], [Row([EVIL])]), "table": REPORT_TABLE, "csv_link": "/x?format=csv"},
}
EXTRA = {
    "report_sessions.html (bad filter)": ("report_sessions.html", {**REPORT_LISTS, "table": None, "charts": [],
                                                                   "error": EVIL, "csv_link": None}),
    "invite.html (rep)": ("invite.html", {"invitee": "rep", "number": "123 456 789",
                                          "token": "abc.def", "error": EVIL}),
    "message.html (signed in)": ("message.html", {"title": "Gone", "message": "Session ended",
                                                   "user": User(EVIL, True)}),
}
# report_macros.html holds only macros: the report pages render them
CASES = {name: (name, ctx) for name, ctx in CONTEXTS.items() if name not in ("report_macros.html", "intake_macros.html")} | EXTRA


def render(template, lang, ctx, missing=None):
    missing = [] if missing is None else missing
    base = {"_": checked_translator(lang, missing), "lang": lang, "site_name": "Acme Support",
            "languages": LANGUAGES, "user": User("Rita", True), "csrf": "csrf-token-1",
            "strings": i18n.strings(lang, "customer.")}
    return env().get_template(template).render(base | ctx)


def test_audit_log_reads_as_words_not_python():
    html = render("admin_sessions.html", "en", CONTEXTS["admin_sessions.html"])
    assert "Rita" in html and "rep:2" not in html
    assert "billing, demo" in html and "[" not in html.split("audit-title")[1]
    assert "True" not in html and "False" not in html and "None" not in html
    assert ">queue_rep</span> Yes<" in html and ">active</span> No<" in html


def test_every_template_has_a_rendering_case():
    assert {p.name for p in TEMPLATES.glob("*.html")} == set(CONTEXTS)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("case", CASES)
def test_template_renders_in_every_language(case, lang):
    template, ctx = CASES[case]
    missing = []
    html = render(template, lang, ctx, missing)
    assert f'<html lang="{lang}">' in html
    assert missing == [], "keys not in en.json"
    assert EVIL not in html
    if EVIL in str(ctx.values()) or case == "message.html (signed in)":
        assert ESCAPED in html


def test_pages_show_translated_text():
    html = render("join.html", "da", CONTEXTS["join.html"])
    assert i18n.catalog("da")["join.intro"] in html
    assert ENGLISH["join.intro"] not in html


def test_every_post_form_carries_the_csrf_field():
    for name, ctx in CONTEXTS.items():
        html = render(name, "en", ctx)
        for form in re.findall(r"<form\b[^>]*>.*?</form>", html, re.S | re.I):
            if re.search(r'method="post"', form, re.I):
                assert '<input type="hidden" name="csrf" value="csrf-token-1">' in form, (name, form[:200])


def test_navigation_follows_the_signed_in_user():
    anon = render("home.html", "en", {"user": None})
    assert 'href="/signin"' in anon and 'action="/signout"' not in anon and "/admin/reps" not in anon
    rep = render("home.html", "en", {"user": User("Rita", False)})
    assert 'action="/signout"' in rep and "/admin/reps" not in rep
    admin = render("home.html", "en", {"user": User("Rita", True)})
    assert 'href="/admin/reps"' in admin
    supervisor = render("home.html", "en", {"user": User("Sue", False, True)})
    assert 'href="/admin/dashboard"' in supervisor and "/admin/reps" not in supervisor


def test_a_supervisor_sees_only_the_dashboard_in_the_admin_nav():
    html = render("admin_dashboard.html", "en", {"token": "tok.en", "account_id": 7, "user": User("Sue", False, True)})
    nav = re.search(r'<nav class="sub-nav".*?</nav>', html, re.S).group(0)
    assert re.findall(r'href="([^"]+)"', nav) == ["/admin/dashboard"]
    admin = render("admin_dashboard.html", "en", {"token": "tok.en", "account_id": 7, "user": User("Ann", True)})
    assert "/admin/reps" in re.search(r'<nav class="sub-nav".*?</nav>', admin, re.S).group(0)


def test_customer_page_hands_its_strings_and_settings_to_the_script():
    html = render("customer.html", "sv", CONTEXTS["customer.html"])
    block = re.search(r'<script type="application/json" id="tandem-strings">(.*?)</script>', html, re.S)
    assert json.loads(block.group(1)) == i18n.strings("sv", "customer.")
    assert 'data-token="tok.en-1"' in html and 'data-ws-path="/ws"' in html
    assert '<script type="module" src="/static/customer.js"></script>' in html


def test_queue_page_shows_help_link_and_embeddable_snippet():
    html = render("admin_queues.html", "en", CONTEXTS["admin_queues.html"])
    assert 'href="https://help.example.com/help?queue=billing"' in html
    snippet = re.search(r'<textarea id="snippet-1"[^>]*>(.*?)</textarea>', html, re.S).group(1)
    assert html_lib.unescape(snippet) == '<a href="https://help.example.com/help?queue=billing">Get help</a>'
    assert 'action="/admin/queues/billing/delete"' in html
    assert '<option value="automatic" selected>' in html


def test_rep_edit_forms_show_current_settings():
    html = render("admin_reps.html", "en", CONTEXTS["admin_reps.html"])
    first = re.search(r'<form method="post" action="/admin/reps/1".*?</form>', html, re.S).group(0)
    assert re.search(r'name="queues" value="billing" checked', first)
    assert 'name="max_customers"' in first and 'value="3"' in first
    assert re.search(r'name="multi_session" value="on" checked', first)
    assert 'name="email"' not in first


# --- source checks: what the CSP would block must not be there at all ------

SOURCES = sorted(TEMPLATES.glob("*.html"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_template_has_no_inline_script_style_or_handlers(path):
    src = path.read_text(encoding="utf-8")
    for attrs, body in re.findall(r"<script\b([^>]*)>(.*?)</script>", src, re.S | re.I):
        if 'type="application/json"' in attrs:
            continue
        assert "src=" in attrs and body.strip() == "", f"inline script in {path.name}"
    assert not re.search(r"<style\b", src, re.I)
    assert not re.search(r"\sstyle\s*=", src, re.I)
    assert not re.search(r"\son[a-z]+\s*=", src, re.I)
    assert "javascript:" not in src.lower()


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_template_keys_exist_in_the_catalog(path):
    keys = re.findall(r"""_\(\s*["']([A-Za-z0-9_.]+)["']""", path.read_text(encoding="utf-8"))
    assert [k for k in keys if k not in ENGLISH and not k.endswith(".")] == []


def test_customer_script_uses_only_keys_it_is_given():
    # the page and a rep's shared screen on it, both bundled into static/customer.js
    src = (PAGE_SRC / "customer-page.js").read_text(encoding="utf-8")
    src += (PAGE_SRC / "customer" / "shared-screen.js").read_text(encoding="utf-8")
    given = i18n.strings("en", "customer.")
    literal = re.findall(r"""\bt\(\s*'([a-z0-9_.]+)'""", src)
    assert literal and [k for k in literal if k not in given] == []
    # Keys the script builds from wire values must exist for every value.
    kinds, scopes = ["view", "control"], ["desktop", "application", "tab"]
    built = [f"customer.grant.{k}.{s}" for k in kinds for s in scopes]
    built += [f"customer.banner.{k}.{s}" for k in kinds for s in scopes]
    agent_scopes = ["desktop", "application"]  # what a rep's Support Manager shares with the customer
    built += [f"customer.grant.share.{k}.{s}" for k in kinds for s in agent_scopes]
    built += [f"customer.screen.{part}.{s}" for part in ("title", "control") for s in agent_scopes]
    built += [f"customer.status.{r}" for r in protocol.SessionEnded.model_fields["reason"].annotation.__args__]
    built += [f"customer.error.{c}" for c in protocol.Error.model_fields["code"].annotation.__args__]
    assert [k for k in built if k not in given] == []


def test_customer_script_speaks_only_protocol_message_types():
    src = (PAGE_SRC / "customer-page.js").read_text(encoding="utf-8")
    wire = src + (PAGE_SRC / "lib" / "connection.js").read_text(encoding="utf-8")  # hello and ping
    sent = set(re.findall(r"send\('([a-z_]+)'", wire)) | set(re.findall(r"type: '([a-z_]+)'", wire))
    client_types = {m.model_fields["type"].annotation.__args__[0]
                    for m in protocol.ClientMessages.__origin__.__args__}
    assert sent and sent <= client_types
    block = re.search(r"const handlers = \{(.*?)\n  \};", src, re.S).group(1)
    names = set(re.findall(r"^    ([a-z_]+)\(", block, re.M))
    server_types = {m.model_fields["type"].default for m in protocol.ServerMessages.__origin__.__args__}
    assert names and names <= server_types


def test_language_links_appear_when_the_app_gives_their_urls():
    assert "hreflang" not in render("help.html", "en", CONTEXTS["help.html"])
    html = render("help.html", "nb", CONTEXTS["help.html"] | {"lang_url": lambda code: f"/help?queue=billing&lang={code}"})
    assert '<a href="/help?queue=billing&amp;lang=da" hreflang="da" lang="da">Dansk</a>' in html
    assert 'hreflang="nb" lang="nb" aria-current="true">Norsk bokmål</a>' in html
