"""The relay the suites talk to, seen through its REST API as an admin.

One `Relay` per test when the suites start their own relays; one for the whole
run against a deployed relay (`--base-url`), where the relay's limits are its
production defaults. So a `Relay`:

- signs every account in once and keeps the token (`signin`); the side panel
  and the pages reuse it (`e2e.rep`) instead of signing in again;
- on a 429 waits as long as ``Retry-After`` says, says so in the log, and asks
  again (`PatientTransport`), instead of failing;
- names what it creates with a run prefix (``e2e-1a2b3c-...``), reuses the reps
  a test asks for again with the same settings, and removes what it made:
  `end_test` ends the sessions its reps are still in, deletes the test's
  queues and canned replies and puts changed policies back; `close` deactivates
  its reps (the API has no way to delete an account).
"""

from __future__ import annotations

import email.utils
import json
import logging
import re
import secrets
import time
from typing import Any

import httpx
from websockets.sync.client import connect

log = logging.getLogger("e2e.relay")

MAX_WAIT = 330.0
"""The longest one Retry-After the suites sit out (the relay's sign-in window
is 300 s); a longer one fails the request as the relay answered it."""

WAITS: list[tuple[str, float]] = []
"""Every wait for a 429 in this run, (what, seconds), for the run's summary."""

TOKENS: dict[tuple[str, str, str], tuple[str, dict]] = {}
"""Sign-in tokens of this run: (relay, email, password) -> (token, account),
whoever signed in (the API or the side panel's form)."""


def retry_after(response: httpx.Response) -> float | None:
    """Seconds a 429 asks to wait: ``Retry-After`` as seconds or an HTTP date."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    try:
        return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def wait_for_relay(what: str, seconds: float) -> None:
    """Sit out a rate limit the relay announced, and say so in the log."""
    log.warning("relay answered 429 to %s: waiting %.0f s as it asks", what, seconds)
    WAITS.append((what, seconds))
    time.sleep(seconds)


KEEP_ALIVE = httpx.Limits(keepalive_expiry=2.0)


class PatientTransport(httpx.HTTPTransport):
    """Sends a request again after a 429, once the ``Retry-After`` it names has passed."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        while True:
            response = super().handle_request(request)
            if response.status_code != 429:
                return response
            wait = retry_after(response)
            if wait is None or wait > MAX_WAIT:
                return response
            response.read()
            response.close()
            wait_for_relay(f"{request.method} {request.url.path}", wait)


def patient_client(base: str) -> httpx.Client:
    # A connection idle for 2 s is not used again: uvicorn closes idle ones
    # after 5 s, httpx by default keeps them 5 s too, and a request sent on a
    # connection the relay is closing that moment fails ("Server disconnected
    # without sending a response"), which a busy machine makes happen.
    return httpx.Client(base_url=base, timeout=15, transport=PatientTransport(limits=KEEP_ALIVE))


class Relay:
    """A relay's address and an admin's API client for what the suites set up."""

    def __init__(self, base: str, admin_email: str, admin_password: str, *, prefix: str | None = None) -> None:
        self.base = base.rstrip("/")
        self.admin_email, self.admin_password = admin_email, admin_password
        self.prefix = prefix or f"e2e-{secrets.token_hex(3)}"
        self.http = patient_client(self.base)
        self.admin = self.signin(admin_email, admin_password)
        self._reps: dict[str, tuple[int, str, str]] = {}  # settings -> (id, email, password)
        self._used: set[str] = set()  # emails of reps this test used
        self._queues: list[str] = []
        self._canned: list[int] = []
        self._policies: dict[str, Any] | None = None  # as they were before this test changed them

    # --- signing in ------------------------------------------------------------

    def signin(self, email: str, password: str) -> str:
        """The account's token; the relay is asked once per account and run."""
        return self.signin_account(email, password)[0]

    def signin_account(self, email: str, password: str) -> tuple[str, dict]:
        key = (self.base, email, password)
        if key not in TOKENS:
            r = self.http.post("/api/signin", json={"email": email, "password": password})
            r.raise_for_status()
            TOKENS[key] = (r.json()["token"], r.json()["account"])
        return TOKENS[key]

    def account_id(self, email: str, password: str) -> int:
        return self.signin_account(email, password)[1]["id"]

    @property
    def ws_url(self) -> str:
        return self.base.replace("http", "ws", 1) + "/ws"

    def headers(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.admin}"}

    # --- what a test sets up ---------------------------------------------------

    def make_rep(self, name: str, *, fresh: bool = False, **fields) -> tuple[str, str]:
        """A rep called `name` with these settings; returns (email, password).
        A rep asked for again with the same name and settings is the same
        account (signed in once), with none of its sessions left over; a
        `fresh` one is a new account (for counting what it did, as reports do)."""
        key = json.dumps([name, fields, secrets.token_hex(8) if fresh else None], sort_keys=True)
        if key not in self._reps:
            slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "rep"
            email = f"{self.prefix}-{slug}-{secrets.token_hex(3)}@example.com"
            password = "rep-password-" + secrets.token_hex(4)
            r = self.http.post("/api/admin/reps", headers=self.headers(),
                               json={"email": email, "name": name, "password": password, **fields})
            r.raise_for_status()
            self._reps[key] = (r.json()["account"]["id"], email, password)
        _, email, password = self._reps[key]
        self._used.add(email)
        return email, password

    def make_queue(self, title: str, **fields) -> str:
        """A new queue, removed when the test ends; returns its name."""
        name = f"{self.prefix}-{title.lower().replace(' ', '-')}-{secrets.token_hex(3)}"
        r = self.http.post("/api/admin/queues", headers=self.headers(), json={"name": name, "title": title, **fields})
        r.raise_for_status()
        self._queues.append(name)
        return name

    def add_canned_reply(self, title: str, text: str) -> None:
        """A canned reply every rep can pick, removed when the test ends."""
        r = self.http.post("/api/admin/canned", headers=self.headers(), json={"title": title, "text": text})
        r.raise_for_status()
        self._canned.append(r.json()["id"])

    def set_policies(self, **values) -> None:
        """Change session policies; the test's end puts them back as they were."""
        if self._policies is None:
            r = self.http.get("/api/admin/policies", headers=self.headers())
            r.raise_for_status()
            self._policies = r.json()
        self.http.put("/api/admin/policies", headers=self.headers(), json=values).raise_for_status()

    # --- leaving the relay as it was ------------------------------------------

    def end_test(self) -> None:
        """What one test made goes: its reps' sessions end, its queues and canned
        replies are deleted, the policies it changed are back. Every step is
        tried even when one fails; the first failure is raised at the end."""
        steps = [lambda email=email: self._end_sessions(email) for email in sorted(self._used)]
        steps += [lambda: self._put_policies_back()]
        steps += [lambda name=name: self._delete(f"/api/admin/queues/{name}") for name in self._queues]
        steps += [lambda reply=reply: self._delete(f"/api/admin/canned/{reply}") for reply in self._canned]
        self._used, self._queues, self._canned = set(), [], []
        _all(steps)

    def close(self) -> None:
        """Deactivate every rep this run made (accounts cannot be deleted
        through the API: deactivating revokes their tokens and closes their sockets)."""
        try:
            _all([lambda rep=rep: self._deactivate(rep) for rep, _, _ in self._reps.values()])
        finally:
            self.http.close()

    def _put_policies_back(self) -> None:
        if self._policies is not None:
            before, self._policies = self._policies, None
            self.http.put("/api/admin/policies", headers=self.headers(), json=before).raise_for_status()

    def _delete(self, path: str) -> None:
        r = self.http.delete(path, headers=self.headers())
        if r.status_code != 404:
            r.raise_for_status()

    def _deactivate(self, rep: int) -> None:
        self.http.patch(f"/api/admin/reps/{rep}", headers=self.headers(), json={"active": False}).raise_for_status()

    def _end_sessions(self, email: str) -> None:
        """End every session the rep is primary of and leave the others, over
        the WebSocket as the rep (the relay sends a connecting rep all their sessions)."""
        rep, _, password = next(r for r in self._reps.values() if r[1] == email)
        if (self.base, email, password) not in TOKENS:
            return  # never signed in: in no session
        expected = self._sessions_of(rep)
        if not expected:
            return
        token = self.signin(email, password)
        with connect(self.ws_url, open_timeout=15, close_timeout=5) as ws:
            ws.send(json.dumps({"type": "hello", "seq": 1, "token": token}))
            live: dict[str, bool] = {}
            end = time.monotonic() + 15
            while not expected <= live.keys() and time.monotonic() < end:
                msg = _message(ws, end)
                if msg["type"] == "session_state":
                    live[msg["session"]] = msg["can_end"]
                elif msg["type"] == "session_ended":
                    live.pop(msg["session"], None)
                    expected.discard(msg["session"])
            if not expected <= live.keys():
                raise RuntimeError(f"{email} was not sent their sessions {sorted(expected - live.keys())}")
            for seq, (session, can_end) in enumerate(sorted(live.items()), start=2):
                ws.send(json.dumps({"type": "end_session" if can_end else "leave_session",
                                    "seq": seq, "session": session}))
            while live and time.monotonic() < end:
                msg = _message(ws, end)
                if msg["type"] == "session_ended":
                    live.pop(msg["session"], None)
                elif msg["type"] == "error":
                    raise RuntimeError(f"{email} could not leave a session: {msg}")
            if live:
                raise RuntimeError(f"{email} is still in sessions {sorted(live)}")

    def _sessions_of(self, rep: int) -> set[str]:
        """The live sessions the rep is in, as the supervisor dashboard lists
        them: the desk's word after everything done so far. (A ``pong`` is no
        fence here: on a Redis broker, a direct reply can come before what the
        broker delivers, so the rep's own sessions may arrive after it.)"""
        with connect(self.ws_url, open_timeout=15, close_timeout=5) as ws:
            ws.send(json.dumps({"type": "hello", "seq": 1, "token": self.admin, "client": "dashboard"}))
            ws.send(json.dumps({"type": "watch_dashboard", "seq": 2}))
            for msg in _messages(ws, until="dashboard"):
                if msg["type"] == "error":
                    raise RuntimeError(f"the admin could not watch the dashboard: {msg}")
        return {s["session"] for s in msg["sessions"] if rep in s["rep_ids"]}


def _messages(ws, *, until: str, deadline: float = 15):
    """The relay's text messages, up to the first of type `until`."""
    end = time.monotonic() + deadline
    while True:
        msg = _message(ws, end)
        yield msg
        if msg["type"] == until:
            return


def _message(ws, end: float) -> dict:
    """The next text message, waiting at most until `end` (monotonic)."""
    while True:
        raw = ws.recv(timeout=max(0.1, end - time.monotonic()))
        if not isinstance(raw, bytes):
            return json.loads(raw)


def _all(steps) -> None:
    first: BaseException | None = None
    for step in steps:
        try:
            step()
        except Exception as exc:  # noqa: BLE001 - every step runs; the first error is raised after
            log.error("cleaning up: %s", exc)
            first = first or exc
    if first is not None:
        raise first
