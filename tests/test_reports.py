"""Reports: the session information report (list and one session) and the rep
activity report; filters, CSV rows equal to the HTML rows, access control."""

import csv
import io
import re
from datetime import date, timedelta
from html.parser import HTMLParser

import pytest

from server.core.records import Record
from server.reports.tables import csv_cell
from server.store import models as m
from server.store import open_store
from tests.conftest import Peer, make_queue, make_rep, signin
from tests.test_pages import page_signin
from tests.test_survey import ended_session, rate


class Rows(HTMLParser):
    """The cells of the table with id `report-rows` (or another id)."""

    def __init__(self, table_id: str = "report-rows") -> None:
        super().__init__()
        self.table_id, self.inside, self.rows, self.cell = table_id, False, [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id") == self.table_id:
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in ("td", "th"):
            self.cell = ""

    def handle_endtag(self, tag):
        if tag == "table":
            self.inside = False
        elif self.inside and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(self.cell.strip())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def html_rows(text: str, table_id: str = "report-rows") -> list[list[str]]:
    parser = Rows(table_id)
    parser.feed(text)
    return parser.rows


def csv_rows(response) -> list[list[str]]:
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment")
    return list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))


def same_rows(client, url: str) -> list[list[str]]:
    """The HTML table and the CSV download of `url` hold the same cells
    (CSV cells made formula-safe); returns the HTML rows."""
    page = client.get(url)
    assert page.status_code == 200, page.text
    rows = html_rows(page.text)
    sep = "&" if "?" in url else "?"
    assert csv_rows(client.get(url + sep + "format=csv")) == [[csv_cell(c) for c in row] for row in rows]
    return rows


@pytest.fixture
def story(client):
    """An inbound session in queue billing: Ann waits, Rita accepts, they chat,
    Sam assists and gets a reps-only line, Rita notes, hands control to Sam,
    Sam ends it, Ann rates 4. Then an outbound session of Sam's alone."""
    admin = signin(client)
    make_queue(client, admin, "billing")
    rita_id, rita = make_rep(client, admin, "rita@example.com", "Rita", queue_rep=True, queues=["billing"])
    sam_id, sam = make_rep(client, admin, "sam@example.com", "Sam", queue_rep=True, queues=["billing"])
    ann = client.post("/api/help", json={"queue": "billing", "name": "Ann"}).json()
    with client.websocket_connect("/ws") as w1, client.websocket_connect("/ws") as w2, \
            client.websocket_connect("/ws") as w3:
        r, c = Peer(w1, rita), Peer(w2, ann["token"])
        c.expect("queue_position")
        r.send("accept_next")
        state = r.expect("session_state", state="active")
        sid = state["session"]
        c.send("chat", session=sid, text="My invoice is wrong")
        r.expect("chat_message", text="My invoice is wrong")
        s = Peer(w3, sam)
        s.send("assist_session", number=state["number"])
        joined = s.expect("session_state", session=sid)
        r.send("chat", session=sid, text="Sam, check the refund policy", reps_only=True)
        s.expect("chat_message", text="Sam, check the refund policy")
        r.send("chat", session=sid, text="=HYPERLINK(\"http://evil\")")
        c.expect("chat_message", text="=HYPERLINK(\"http://evil\")")
        r.send("note", session=sid, text="Customer billed twice in March")
        r.send("transfer_control", session=sid, to=joined["you"])
        s.expect("session_state", session=sid, primary=joined["you"])
        s.send("end_session", session=sid)
        got = [c.expect("session_ended")]
        # the reps-only line never reached the customer
        assert got and all(m.get("text") != "Sam, check the refund policy" for m in got)
    assert rate(client, sid, ann["token"], score=4, comment="Sorted in minutes").status_code == 201
    other, other_token = ended_session(client, sam, "Bob")
    return {"admin": admin, "rita": rita, "rita_id": rita_id, "sam": sam, "sam_id": sam_id, "sid": sid,
            "other": other, "number": state["number"]}


def test_customers_never_receive_reps_only_lines(client):
    admin = signin(client)
    _, rita = make_rep(client, admin, "rita@example.com", "Rita")
    _, sam = make_rep(client, admin, "sam@example.com", "Sam")
    with client.websocket_connect("/ws") as w1, client.websocket_connect("/ws") as w2, \
            client.websocket_connect("/ws") as w3:
        r = Peer(w1, rita)
        r.send("start_session")
        state = r.expect("session_state")
        sid = state["session"]
        c = Peer(w2, client.post("/api/join", json={"number": state["number"], "name": "Ann"}).json()["token"])
        s = Peer(w3, sam)
        s.send("assist_session", number=state["number"])
        s.expect("session_state", session=sid)
        r.send("chat", session=sid, text="between us reps", reps_only=True)
        assert s.expect("chat_message")["reps_only"] is True
        r.send("chat", session=sid, text="hello everyone")
        lines = []
        while True:
            msg = c.ws.receive_json()
            if msg["type"] == "chat_message":
                lines.append(msg["text"])
                if msg["text"] == "hello everyone":
                    break
        assert lines == ["hello everyone"]


def test_session_report_shows_participants_chat_notes_transfer_and_rating(client, story):
    page_signin(client)
    page = client.get(f"/reports/sessions/{story['sid']}")
    assert page.status_code == 200
    people = html_rows(page.text, "participants")
    assert [(p[0], p[1]) for p in people[1:]] == [("Ann", "Customer"), ("Rita", "Assistant"), ("Sam", "Primary")]
    assert all(p[3] for p in people[1:])  # everyone has a "Left" time: who stayed left when it ended
    rows = same_rows(client, f"/reports/sessions/{story['sid']}")
    assert rows[0] == ["Time", "Event", "By", "To", "Text", "Seen by"]
    events = [(r[1], r[2], r[3], r[4], r[5]) for r in rows[1:]]
    assert events == [
        ("View", "Ann", "Rita", "browser tab, for " + events[0][3].rsplit(" ", 1)[-1], ""),
        ("Chat", "Ann", "", "My invoice is wrong", "Everyone"),
        ("Assistant joined", "Sam", "", "", ""),
        ("Chat", "Rita", "", "Sam, check the refund policy", "Reps only"),
        ("Chat", "Rita", "", "=HYPERLINK(\"http://evil\")", "Everyone"),
        ("Note", "Rita", "", "Customer billed twice in March", "Reps only"),
        ("Control transferred", "Rita", "Sam", "", ""),
        ("Rating", "Ann", "", "4/5 · Sorted in minutes", ""),
    ]
    assert '<tr class="reps-only">' in page.text
    assert "4 of 5" in page.text and "Queue wait" in page.text
    # a formula in the CSV is made harmless
    assert "'=HYPERLINK" in client.get(f"/reports/sessions/{story['sid']}?format=csv").text


def test_session_list_filters_and_csv_equals_html(client, story):
    page_signin(client)
    rows = same_rows(client, "/reports/sessions")
    assert rows[0][:3] == ["Session", "Queue", "Created"]
    assert [(r[0], r[1], r[6], r[7], r[9], r[10], r[12]) for r in rows[1:]] == [
        (rows[1][0], "", "Sam", "Bob", "0", "0", ""),
        (story["number"], "billing", "Rita, Sam", "Ann", "1", "1", "4"),
    ]
    assert rows[2][11] == "3"  # chat lines, reps-only included
    assert f'href="/reports/sessions/{story["sid"]}"' in client.get("/reports/sessions").text
    assert len(same_rows(client, f"/reports/sessions?rep={story['rita_id']}")) == 2
    assert len(same_rows(client, "/reports/sessions?queue=billing")) == 2
    today = date.today()
    assert len(same_rows(client, f"/reports/sessions?from={today}&to={today}")) == 3
    tomorrow = today + timedelta(days=1)
    page = client.get(f"/reports/sessions?from={tomorrow}")
    assert "No sessions match these filters." in page.text
    assert csv_rows(client.get(f"/reports/sessions?from={tomorrow}&format=csv"))[1:] == []
    assert "<svg" in client.get("/reports/sessions").text  # the sessions-per-day chart


def test_rep_activity_report(client, story):
    page_signin(client)
    rows = same_rows(client, "/reports/reps")
    assert rows[0] == ["Rep", "Sessions", "Assisted", "Total handle time", "Average handle time",
                       "Average queue wait", "Average rating", "Ratings"]
    by_rep = {r[0]: r for r in rows[1:]}
    assert set(by_rep) == {"Rita", "Sam"}
    # Rita had the session until she handed control to Sam, who ended it: both handled it
    assert (by_rep["Rita"][1], by_rep["Rita"][2], by_rep["Rita"][6], by_rep["Rita"][7]) == ("1", "0", "4", "1")
    assert (by_rep["Sam"][1], by_rep["Sam"][2], by_rep["Sam"][6], by_rep["Sam"][7]) == ("2", "0", "4", "1")
    assert by_rep["Rita"][5] != "" and by_rep["Sam"][5] == by_rep["Rita"][5]  # only the queued session waited
    only_sam = same_rows(client, f"/reports/reps?rep={story['sam_id']}")
    assert [r[0] for r in only_sam[1:]] == ["Sam"]
    assert [r[0] for r in same_rows(client, "/reports/reps?queue=billing")[1:]] == ["Rita", "Sam"]
    assert client.get("/reports/reps").text.count("<svg") == 3


def test_an_assistant_is_not_credited_with_the_session_or_its_rating():
    from server.reports.tables import rep_activity
    rows = [{"queue": None, "queue_wait": 0.0, "ended_at": 200.0, "ratings": [{"score": 5, "comment": None}],
             "gave_control": [], "reps": [
                 {"account_id": 1, "pid": "p1", "name": "Rita", "role": "primary", "joined_at": 100.0, "left_at": None},
                 {"account_id": 2, "pid": "p2", "name": "Sam", "role": "assistant", "joined_at": 150.0, "left_at": None},
             ]}]
    rita, sam = rep_activity(rows, None, 300.0)
    assert (rita["sessions"], rita["assisted"], rita["handle"], rita["scores"]) == (1, 0, 100.0, [5])
    assert (sam["sessions"], sam["assisted"], sam["handle"], sam["scores"]) == (0, 1, 0.0, [])


def test_bad_filters_get_a_clear_400(client, story):
    page_signin(client)
    for query, words in (("from=yesterday", "“yesterday” is not a date"),
                         ("from=2026-05-02&to=2026-05-01", "before the “from” date"),
                         ("rep=rita", "“rita” is not a rep"),
                         ("queue=Bad%20Queue!", "is not a queue name"),
                         ("format=pdf", "not a report format")):
        for path in ("/reports/sessions", "/reports/reps"):
            r = client.get(f"{path}?{query}")
            assert r.status_code == 400 and words in r.text, (path, query)
    r = client.get("/reports/sessions?from=yesterday&format=csv")
    assert r.status_code == 400 and r.text == "“yesterday” is not a date: use YYYY-MM-DD."


def test_reports_are_for_admins_and_a_sessions_own_reps(client, story):
    assert client.get("/reports/sessions", follow_redirects=False).headers["location"].startswith("/signin")
    page_signin(client, "rita@example.com", "rep-password-1")
    assert client.get("/reports/sessions").status_code == 403
    assert client.get("/reports/reps?format=csv").status_code == 403
    assert client.get(f"/reports/sessions/{story['sid']}").status_code == 200
    other = client.get(f"/reports/sessions/{story['other']}")
    assert other.status_code == 403 and "Only admins and the reps of a session" in other.text
    assert client.get(f"/reports/sessions/{story['other']}?format=csv").status_code == 403
    assert client.get("/reports/sessions/nope").status_code == 404


def test_admin_navigation_links_the_reports(client, story):
    page_signin(client)
    for page in ("/admin/reps", "/admin/sessions"):
        text = client.get(page).text
        assert 'href="/reports/sessions"' in text and 'href="/reports/reps"' in text
    assert f'href="/reports/sessions/{story["sid"]}"' in client.get("/admin/sessions").text


def test_recordings_and_published_files_appear_in_the_session_report(client, story):
    page_signin(client)
    sid, _token = ended_session(client, story["sam"], "Cleo")
    relay = client.app.state.relay

    async def add():
        await relay.drain()  # the session's rows first: a recording refers to its session
        # recordings are written by the recorder; here straight into its table
        async with relay.store._writer.begin() as conn:
            await conn.execute(m.recordings.insert().values(
                session_id=sid, activity_id=7, path="r/1.webm", started_at=1e9, ended_at=1e9 + 5, bytes=10))
            await conn.execute(m.recordings.insert().values(
                session_id=sid, activity_id=8, path="r/2.webm", started_at=1e9, bytes=10, deleted_at=1e9 + 9))
        await relay.store.audit("file.published", actor=f"rep:{story['sam_id']}", session_id=sid,
                                data={"id": "f1", "name": "invoice.pdf", "size": 3})
    client.portal.call(add)
    rows = same_rows(client, f"/reports/sessions/{sid}")
    events = {(r[1], r[2], r[4]) for r in rows[1:]}
    assert ("File published", "Sam", "invoice.pdf") in events
    recordings = [r for r in rows[1:] if r[1] == "Recording"]
    # the link reads as a recording of a time and a length, not as its path
    assert len(recordings) == 1 and recordings[0][4].startswith("Recording of ") and "(0:00:05)" in recordings[0][4]
    assert re.search(r'href="/recordings/\d+">Recording of ', client.get(f"/reports/sessions/{sid}").text)


# the queries -------------------------------------------------------------------

@pytest.mark.anyio
async def test_queue_wait_adds_every_wait_and_filters_by_day_rep_and_queue(tmp_path):
    store = open_store(f"sqlite+aiosqlite:///{tmp_path}/t.db")
    await store.open()
    try:
        def rec(action, at, **data):
            return Record(action=action, session_id="s1", actor="system", at=at, data=data)
        await store.record([
            rec("session.created", 1000.0, number="111222333", kind="inbound", queue="billing"),
            rec("session.state", 1000.0, state="waiting", queue="billing"),
            rec("participant.joined", 1001.0, pid="c1", kind="customer", name="Ann", role="customer"),
            rec("participant.joined", 1060.0, pid="r1", kind="rep", account_id=7, name="Rita", role="primary"),
            rec("session.state", 1060.0, state="active"),
            rec("transfer.session", 1100.0, from_pid="r1", queue="billing", reps=[], message="over to you"),
            rec("participant.left", 1100.0, pid="r1", reason="transferred"),
            rec("session.state", 1100.0, state="waiting", queue="billing"),
            rec("session.state", 1130.0, state="active"),
            rec("session.state", 1200.0, state="ended"),
        ])
        [row] = await store.report_sessions()
        assert row["queue_wait"] == 90.0 and row["transfers"] == 1
        assert [(r["name"], r["left_at"]) for r in row["reps"]] == [("Rita", 1100.0)]
        assert await store.report_sessions(start=1000.5) == []
        assert await store.report_sessions(end=1000.0) == []
        assert len(await store.report_sessions(start=1000.0, end=1000.5)) == 1
        assert await store.report_sessions(account_id=8) == []
        assert len(await store.report_sessions(account_id=7, queue="billing")) == 1
        assert await store.report_sessions(queue="tech") == []
        details = await store.report_session("s1")
        assert details["queue_wait"] == 90.0 and details["transfers"][0]["message"] == "over to you"
        with pytest.raises(ValueError):
            await store.add_rating("s1", "c1", 9, None)
        await store.add_rating("s1", "c1", 5, "")
        assert (await store.report_session("s1"))["ratings"][0]["score"] == 5
    finally:
        await store.close()


def test_timeline_names_every_activity_who_had_it_and_how_long():
    from server.i18n import translator
    from server.reports.timeline import participants_table, timeline_table
    report = {
        "ended_at": 400.0,
        "participants": [
            {"pid": "c1", "name": "Ann", "kind": "customer", "role": "customer", "account_id": None,
             "joined_at": 100.0, "left_at": None},
            {"pid": "r1", "name": "Rita", "kind": "rep", "role": "primary", "account_id": 1,
             "joined_at": 100.0, "left_at": None},
            {"pid": "r2", "name": "Sam", "kind": "rep", "role": "assistant", "account_id": 2,
             "joined_at": 150.0, "left_at": 300.0}],
        "grants": [{"grant_id": 1, "requester": "r1", "grantor": "c1"}],
        "activities": [
            {"activity_id": 1, "kind": "view", "scope": "desktop", "sharer": "c1", "grant_id": 1,
             "started_at": 110.0, "ended_at": 170.0},
            {"activity_id": 2, "kind": "video", "scope": None, "sharer": "r1", "grant_id": None,
             "started_at": 120.0, "ended_at": None},
            {"activity_id": 3, "kind": "audio", "scope": None, "sharer": "c1", "grant_id": None,
             "started_at": 130.0, "ended_at": 160.0},
            {"activity_id": 4, "kind": "recording", "scope": None, "sharer": "r1", "grant_id": None,
             "started_at": 140.0, "ended_at": 200.0},
            {"activity_id": 5, "kind": "files", "scope": "desktop", "sharer": "c1", "grant_id": None,
             "started_at": 145.0, "ended_at": 150.0}],
        "recordings": [{"id": 9, "started_at": 141.0, "ended_at": 200.0}],
        "chat": [], "notes": [], "transfers": [], "audit": [], "ratings": [],
    }
    table = timeline_table(report, translator("en"), {})
    rows = [[str(c) for c in r.cells[1:5]] for r in table.rows]
    assert rows == [
        ["View", "Ann", "Rita", "desktop, for 0:01:00"],
        ["Video", "Rita", "", "for 0:04:40"],  # ran until the session ended
        ["Voice call", "Ann", "", "for 0:00:30"],
        ["Recording", "Rita", "", rows[3][3]],
        ["File transfer", "Ann", "", "desktop, for 0:00:05"],
        ["Assistant joined", "Sam", "", ""],
    ]
    link = table.rows[3].cells[4]
    assert link.href == "/recordings/9" and link.text.startswith("Recording of ") and "(0:00:59)" in link.text
    left = [r.cells[3] for r in participants_table(report, translator("en")).rows]
    assert all(left) and left[2] != left[1]  # Sam left before the end; the others at the end
