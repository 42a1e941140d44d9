"""Smoke test of the customer side of cobrowse (the tandem.js snippet) against
a running relay, with a scripted rep on a raw WebSocket.

    python e2e/tools/customer_smoke.py --base-url http://127.0.0.1:8000 \
        --email admin@localhost --password PASSWORD [--chromium PATH]

Needs `playwright` and `websockets`. The customer opens /demo, clicks the help
button; the rep accepts next and must receive COBROWSE frames with a full
snapshot of the shop. The customer then goes to a page of this script's own
(served by Playwright routing on the relay's origin, with the demo's CSP) and
types a password, a card number and text in masked elements: none of it may
appear in any frame. The rep asks for control, the customer allows it in the
widget; CONTROL frames (input, click, select, key, scroll) change the page,
the rep's typing does not echo back, a masked field refuses input; Stop in the
widget ends control and the relay then refuses control frames.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import struct
import sys
import time
import urllib.request

import websockets
from playwright.async_api import async_playwright

HEADER = struct.Struct("!BII")
COBROWSE, CONTROL = 1, 2
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
SECRETS = ["hunter2-SECRET", "4111111111111111", "TOPSECRET-NOTE", "EXTRA-HIDDEN", "typed-into-note"]

TEST_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Masking test</title>
<link rel="stylesheet" href="/static/tandem.css"></head><body><main>
<h1>Account settings</h1>
<form id="login"><label>Name <input id="name" name="name" value=""></label>
<label>Password <input id="pw" type="password" autocomplete="current-password"></label>
<label>Card <input id="card" autocomplete="cc-number"></label>
<label>Size <select id="size"><option value="S">S</option><option value="M">M</option><option value="L">L</option></select></label>
<label>Query <input id="q"></label>
<button type="button" id="go">Add one</button></form>
<p id="greeting">Hello nobody</p><p id="count">0</p><p id="size-out">S</p><p id="submitted">no</p>
<div data-tandem-mask><p id="note">TOPSECRET-NOTE</p><textarea id="notes"></textarea></div>
<p id="extra">EXTRA-HIDDEN</p><p id="plain">visible-marker</p>
<div id="tall"></div>
</main>
<script src="/masktest.js"></script>
<script src="/tandem.js" data-queue="demo" data-mask="#extra" defer></script></body></html>"""

# A React-like controlled input: the framework's own tracker shadows `value`
# on the instance, and onChange fires only when the DOM value differs from it.
TEST_SCRIPT = """
const name = document.getElementById('name');
const proto = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value');
let tracked = name.value;
Object.defineProperty(name, 'value', { configurable: true,
  get() { return proto.get.call(this); }, set(v) { tracked = String(v); proto.set.call(this, v); } });
name.addEventListener('input', () => {
  const v = name.value;
  if (v === tracked) return;
  tracked = v;
  document.getElementById('greeting').textContent = 'Hello ' + v;
});
document.getElementById('go').addEventListener('click', () => {
  const c = document.getElementById('count'); c.textContent = String(Number(c.textContent) + 1);
});
document.getElementById('size').addEventListener('change', (e) => {
  document.getElementById('size-out').textContent = e.target.value;
});
document.getElementById('login').addEventListener('submit', (e) => {
  e.preventDefault(); document.getElementById('submitted').textContent = 'yes';
});
document.getElementById('tall').style.height = '3000px';
"""


def check(ok: bool, what: str) -> None:
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        raise SystemExit(1)


def post(url: str, body: dict) -> dict:
    req = urllib.request.Request(url, json.dumps(body).encode(), {"content-type": "application/json"})
    with urllib.request.urlopen(req) as res:
        return json.load(res)


class Rep:
    """A rep on a raw WebSocket: one seq counter for text and binary frames."""

    def __init__(self, ws):
        self.ws = ws
        self.seq = 0
        self.session = None  # the session under test; the rep may have others
        self.states: dict[str, dict] = {}
        self.messages: list[dict] = []
        self.frames: list[tuple[int, int, int, bytes]] = []
        self.events: list[dict] = []  # rrweb events from COBROWSE frames
        self.raw = bytearray()  # every frame body, to search for secrets

    async def send(self, type_: str, **fields) -> int:
        self.seq += 1
        await self.ws.send(json.dumps({"type": type_, "seq": self.seq, **fields}))
        return self.seq

    async def frame(self, kind: int, stream: int, body: dict) -> int:
        self.seq += 1
        await self.ws.send(HEADER.pack(kind, stream, self.seq) + json.dumps(body).encode())
        return self.seq

    async def pump(self):
        async for data in self.ws:
            if isinstance(data, bytes):
                kind, stream, seq = HEADER.unpack_from(data)
                body = data[HEADER.size:]
                self.frames.append((kind, stream, seq, body))
                self.raw += body
                if kind == COBROWSE:
                    decoded = json.loads(body)
                    self.events.extend(decoded if isinstance(decoded, list) else [])
                continue
            self.raw += data.encode()
            msg = json.loads(data)
            self.messages.append(msg)
            if msg["type"] == "session_state":
                self.states[msg["session"]] = msg

    async def until(self, predicate, what: str, timeout: float = 10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = predicate()
            if result:
                check(True, what)
                return result
            await asyncio.sleep(0.05)
        check(False, what)

    @property
    def state(self):
        return self.states.get(self.session)

    def activity(self, kind: str):
        return self.state and next((a for a in self.state["activities"]
                                    if a["kind"] == kind and a["scope"] == "tab"), None)


def find_id(node: dict, attr: str, value: str):
    if node.get("attributes", {}).get(attr) == value:
        return node["id"]
    for child in node.get("childNodes", []):
        found = find_id(child, attr, value)
        if found is not None:
            return found
    return None


def texts(node: dict):
    if node.get("type") == 3:
        yield node.get("textContent", "")
    for child in node.get("childNodes", []):
        yield from texts(child)


async def main(args) -> None:
    base = args.base_url.rstrip("/")
    ws_url = base.replace("http", "ws", 1) + "/ws"
    token = post(base + "/api/signin", {"email": args.email, "password": args.password})["token"]

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=args.chromium, headless=True, args=[
            "--no-sandbox", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run",
            # The test page is served by Playwright routing, which gives it no
            # address space; Chromium would then block its socket to loopback.
            "--disable-features=LocalNetworkAccessChecks"])
        page = await browser.new_page(locale="en-US")
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        await page.route(base + "/masktest", lambda route: route.fulfill(
            status=200, body=TEST_PAGE, headers={"content-type": "text/html", "content-security-policy": CSP}))
        await page.route(base + "/masktest.js", lambda route: route.fulfill(
            status=200, body=TEST_SCRIPT, headers={"content-type": "text/javascript"}))

        # --- inbound: the help button ------------------------------------
        await page.goto(base + "/demo")
        help_button = page.locator("tandem-support button.help").first
        await help_button.wait_for(state="visible")
        check(await help_button.text_content() != "", "help button shown on /demo")
        await help_button.click()  # the intake form: name and problem, then Ask for help
        await page.locator("tandem-support form.intake input[name=name]").fill("Smoke Test")
        async with page.expect_response(base + "/api/help") as help_response:
            await page.locator("tandem-support button.intake-submit").click()
        session = (await (await help_response.value).json())["session"]
        await page.wait_for_function(
            "() => /line/.test(document.querySelector('tandem-support').shadowRoot.textContent)", timeout=10000)
        check(True, "widget says the customer's place in line")

        async with websockets.connect(ws_url, max_size=None) as ws:
            rep = Rep(ws)
            pump = asyncio.create_task(rep.pump())
            try:
                await scenario(page, rep, session, base, token)
            finally:
                pump.cancel()
        check(not problems, f"no page errors {problems}")
        await browser.close()
    print("customer smoke: all passed")


async def scenario(page, rep: Rep, session: str, base: str, token: str) -> None:
    await rep.send("hello", token=token, client="extension")
    rep.session = session
    await rep.until(lambda: any(m["type"] == "welcome" for m in rep.messages), "rep welcomed")
    board = await rep.until(lambda: next((m for m in reversed(rep.messages) if m["type"] == "queue_state"
                                          and any(w["session"] == session for q in m["queues"]
                                                  for w in q["waiting"])), None),
                            "the customer waits in the rep's queue")
    first = [q["waiting"][0]["session"] for q in board["queues"] if q["waiting"]]
    check(first == [session], "no other customer waits first (accept_next would take them)")
    await rep.send("accept_next")
    view = await rep.until(lambda: rep.activity("view"), "inbound view starts when the rep accepts")
    customer = next(p["pid"] for p in rep.state["participants"] if p["kind"] == "customer")
    snap = await rep.until(lambda: next((e for e in rep.events if e["type"] == 2), None),
                           "COBROWSE frames carry an rrweb full snapshot")
    shop = " ".join(texts(snap["data"]["node"]))
    check("Nordic Outfitters" in shop and "Fjell shell jacket" in shop, "the snapshot holds the shop's text")
    check(all(f[1] == view["stream"] for f in rep.frames if f[0] == COBROWSE), "frames on the view's stream")
    await page.wait_for_function(
        "() => /viewed by/.test(document.querySelector('tandem-support').shadowRoot.textContent)")
    check(True, "banner: the page is being viewed")

    # pointer and chat
    await rep.send("signal", session=session, to=customer, data={"pointer": {"x": 0.5, "y": 0.5}})
    await page.locator("tandem-support .pointer").wait_for(state="visible", timeout=5000)
    check(True, "the rep's pointer is drawn on the page")
    await rep.send("chat", session=session, text="Hi from the rep")
    await page.locator("tandem-support .log li").filter(has_text="Hi from the rep").wait_for()
    await page.locator("tandem-support form input").fill("Hi from the customer")
    await page.locator("tandem-support form button").click()
    await rep.until(lambda: any(m["type"] == "chat_message" and m["text"] == "Hi from the customer"
                                for m in rep.messages), "customer's chat reaches the rep")
    check(True, "chat both ways")

    # --- navigation keeps the session; masking ----------------------
    before = len(rep.events)
    await page.goto(base + "/masktest")
    snap = await rep.until(lambda: next((e for e in rep.events[before:] if e["type"] == 2
                                         and "visible-marker" in " ".join(texts(e["data"]["node"]))), None),
                           "a new page of the site is cobrowsed in the same session")
    await page.locator("#pw").click()
    await page.keyboard.type(SECRETS[0])
    await page.locator("#card").click()
    await page.keyboard.type(SECRETS[1])
    await page.locator("#notes").click()
    await page.keyboard.type(SECRETS[4])
    await page.locator("#name").click()
    await page.keyboard.type("plain-typing")
    await rep.until(lambda: b"plain-typing" in rep.raw, "unmasked typing is cobrowsed")
    await asyncio.sleep(0.5)
    leaked = [s for s in SECRETS if s.encode() in bytes(rep.raw)]
    check(not leaked, f"no masked value in any frame or message (leaked: {leaked})")

    # --- control ----------------------------------------------------
    node = snap["data"]["node"]
    ids = {key: find_id(node, "id", key) for key in ("name", "go", "size", "q", "pw")}
    check(all(ids.values()), f"mirror ids found in the snapshot {ids}")
    await rep.send("request_grant", session=session, kind="control", scope="tab")
    allow = page.locator("tandem-support .prompt button.approve")
    await allow.wait_for(timeout=5000)
    await allow.click()
    control = await rep.until(lambda: rep.activity("control"), "control starts once the customer allows")
    stream = control["stream"]
    mark = len(rep.events)
    await rep.frame(CONTROL, stream, {"type": "input", "id": ids["name"], "value": "Ada"})
    await page.wait_for_function("() => document.getElementById('greeting').textContent === 'Hello Ada'")
    check(await page.input_value("#name") == "Ada", "input applied, and the React-like tracker saw it")
    await rep.frame(CONTROL, stream, {"type": "click", "id": ids["go"]})
    await page.wait_for_function("() => document.getElementById('count').textContent === '1'")
    check(True, "click applied")
    await rep.frame(CONTROL, stream, {"type": "select", "id": ids["size"], "value": "L"})
    await page.wait_for_function("() => document.getElementById('size-out').textContent === 'L'")
    check(True, "select applied")
    await rep.frame(CONTROL, stream, {"type": "key", "id": ids["q"], "key": "Enter"})
    await page.wait_for_function("() => document.getElementById('submitted').textContent === 'yes'")
    check(True, "Enter submits the form")
    await rep.frame(CONTROL, stream, {"type": "scroll", "id": 0, "x": 0, "y": 400})
    await page.wait_for_function("() => window.scrollY >= 399")
    check(True, "scroll applied")
    await rep.frame(CONTROL, stream, {"type": "input", "id": ids["pw"], "value": "rep-wrote-this"})
    await asyncio.sleep(0.3)
    check(await page.input_value("#pw") == SECRETS[0], "a masked field refuses the rep's input")
    await rep.until(lambda: any(e["type"] == 3 and e["data"].get("source") == 0 for e in rep.events[mark:]),
                    "the page's changes reach the rep")
    echoed = [e for e in rep.events[mark:] if e["type"] == 3 and e["data"].get("source") == 5
              and e["data"].get("id") == ids["name"]]
    check(not echoed, "the rep's own typing is not echoed back")

    # --- Stop ---------------------------------------------------------
    stop = page.locator("tandem-support .banner").filter(has_text="controlled").locator("button")
    await stop.click()
    await rep.until(lambda: not rep.activity("control"), "Stop ends control at once")
    ref = await rep.frame(CONTROL, stream, {"type": "click", "id": ids["go"]})
    await rep.until(lambda: any(m["type"] == "error" and m.get("ref") == ref for m in rep.messages),
                    "the relay refuses control frames after Stop")
    check(await page.text_content("#count") == "1", "nothing applied after Stop")
    check(rep.activity("view") is not None, "view goes on after control stops")

    # --- the end --------------------------------------------------------
    await rep.send("end_session", session=session)
    await page.wait_for_function(
        "() => /has ended/.test(document.querySelector('tandem-support').shadowRoot.textContent)")
    check(await page.evaluate("sessionStorage.getItem('tandem.token')") is None, "ended: the page forgets the session")
    await page.locator("tandem-support .panel button.quiet", has_text="Close").click()
    await page.locator("tandem-support button.help").first.wait_for(state="visible")
    check(True, "Close brings the help button back")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--email", default="admin@localhost")
    parser.add_argument("--password", required=True)
    parser.add_argument("--chromium", default=os.environ.get("TANDEM_CHROMIUM", "/usr/bin/chromium"),
                        help="Chromium to drive (as e2e/conftest.py: TANDEM_CHROMIUM)")
    asyncio.run(main(parser.parse_args(sys.argv[1:])))
