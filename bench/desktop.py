#!/usr/bin/env python3
"""Desktop sharing bench: Tandem against x11vnc + noVNC, both watched in
Chromium, on the same 1920x1080 Xvfb screen in the same run.

Run:  .venv/bin/python bench/desktop.py [--quick] [--json] [--only webrtc,portable,relay,novnc]
(`make bench` runs it after the relay bench; it needs x11vnc, websockify and
novnc, which the Makefile installs.)

Started on loopback and stopped by PID: Xvfb (1920x1080x24), xcalc, a Tk
animation (a 1600x1000 canvas, 120 moving rectangles and a flat box whose
colour changes every animation frame, redrawn at up to 60 Hz), headless
Chromium (Debian's, with the built extension), then per side:
  webrtc  relay + agent (`python -m agent pair`) -> the extension's desktop
          viewer (desktop.html) over WebRTC (aiortc -> Chromium's decoder);
  portable  the same with TANDEM_AGENT_BACKEND=portable: the code Windows and
          macOS customers run (mss grabs compared instead of X DAMAGE);
  relay   the same, but the viewer never answers the offer (?webrtc=0): the
          agent's JPEG tiles (FRAMES) over the relay onto the viewer's canvas;
  novnc   x11vnc -> websockify -> noVNC's vnc.html (Debian's novnc package,
          its default settings: Tight encoding).
Every figure is measured in the viewer page (bench/desktop_probe.js):
  - fps: distinct animation frames that reached the page per second (the flat
    box's colour read back from the <video>/<canvas> on each painted frame);
  - input-to-photon p50/p95: a key press in the page (Playwright keyboard, a
    digit xcalc shows) to the first painted frame whose xcalc display differs;
  - bytes/s received by the page (WebRTC transport bytesReceived from
    getStats; WebSocket message bytes for the relay path and noVNC);
  - sharer CPU (psutil: the agent, or x11vnc) as % of one core, changing and
    static (animation stopped with SIGSTOP, viewer still connected).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import CPU, Display, Procs, free_port, pct, port_open, print_columns, wait_for  # noqa: E402
from e2e.conftest import CHROMIUM, DIST, EXTENSION_ID, FLAGS  # noqa: E402

W, H = 1920, 1080
SIDES = ("webrtc", "portable", "relay", "novnc")
TANDEM = ("webrtc", "portable")  # the sides the targets are for
TARGETS = {"fps": 30.0, "cpu_changing": 100.0, "cpu_static": 2.0, "p50": 50.0, "p95": 80.0}
NOVNC = Path("/usr/share/novnc")
PROBE = (Path(__file__).parent / "desktop_probe.js").read_text()

ANIM = r"""
import sys, time, random, tkinter as tk
W, H, N = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
root = tk.Tk(); root.title("bench-anim"); root.geometry(f"{W}x{H}+300+40")
c = tk.Canvas(root, width=W, height=H, bg="#203040", highlightthickness=0); c.pack()
rnd = random.Random(1)
items = []
for i in range(N):
    x, y, s = rnd.randrange(W - 80), rnd.randrange(220, H - 80), rnd.randrange(20, 80)
    col = "#%02x%02x%02x" % (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256))
    items.append([c.create_rectangle(x, y, x + s, y + s, fill=col, outline=""), rnd.choice((-6, -4, 4, 6)),
                  rnd.choice((-6, -4, 4, 6))])
box = c.create_rectangle(10, 10, 210, 210, fill="#000000", outline="")
n = 0; t0 = time.monotonic(); last = t0
def tick():
    global n, last
    n += 1
    for it in items:
        c.move(it[0], it[1], it[2])
        x0, y0, x1, y1 = c.coords(it[0])
        if x0 < 0 or x1 > W: it[1] = -it[1]
        if y0 < 220 or y1 > H: it[2] = -it[2]
    c.itemconfigure(box, fill="#%02x80%02x" % ((n * 37) % 256, (n * 91) % 256))
    now = time.monotonic()
    if now - last > 0.25:
        print(n, now, flush=True); last = now
    root.after(max(1, int(16 - (time.monotonic() - now) * 1000)), tick)
root.after(100, tick); root.mainloop()
"""


class Anim:
    def __init__(self, procs: Procs, x: Display, w: int, h: int, n: int) -> None:
        self.proc = procs.add(subprocess.Popen([sys.executable, "-c", ANIM, str(w), str(h), str(n)], env=x.env,
                                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True))
        self.last = (0, time.monotonic())
        threading.Thread(target=self._read, daemon=True).start()
        gx, gy, _, _ = x.geometry(x.window("bench-anim"))
        self.box = (gx + 60, gy + 60, 100, 100)  # inside the flat box
        wait_for(lambda: self.last[0] > 5, 10, "animation running")
        self.pause()

    def _read(self) -> None:
        for line in self.proc.stdout:
            n, t = line.split()
            self.last = (int(n), float(t))

    def pause(self) -> None:
        os.kill(self.proc.pid, 19)  # SIGSTOP

    def resume(self) -> None:
        os.kill(self.proc.pid, 18)  # SIGCONT


class Bench:
    def __init__(self, args, procs: Procs, x: Display, anim: Anim, calc: int, context) -> None:
        self.args, self.procs, self.x, self.anim, self.context = args, procs, x, anim, context
        gx, gy, _, _ = x.geometry(calc)
        self.calc = calc
        self.calc_display = (gx + 8, gy + 8, 210, 40)

    def point_at_calc(self) -> None:
        # no window manager: XTEST keys go to the window under the pointer, and
        # pynput's (the portable backend on X) to the focused window
        cx, cy, cw, _ = self.calc_display
        self.x.xdotool("mousemove", str(cx + cw // 2), str(cy + 80))
        self.x.xdotool("windowfocus", str(self.calc))

    def bytes(self, page, webrtc: bool) -> float:
        if webrtc:
            return page.evaluate("() => __probe.rtc()")["bytes"]
        return page.evaluate("() => __probe.wsBytes")

    def measure(self, page, pid: int, webrtc: bool) -> dict:
        """The same phases for every side, once its page shows the screen."""
        a, out = self.args, {}
        # changing screen
        self.anim.resume()
        time.sleep(1.5)
        page.evaluate("() => __probe.reset()")
        cpu, b0, s0, t0 = CPU(pid).start(), self.bytes(page, webrtc), self.anim.last, time.monotonic()
        rtc0 = page.evaluate("() => __probe.rtc()") if webrtc else None
        time.sleep(a.changing)
        dt = time.monotonic() - t0
        out["cpu_changing"] = cpu.percent()
        seen = page.evaluate("() => ({changes: __probe.changes, painted: __probe.painted})")
        out["bytes_per_s"] = (self.bytes(page, webrtc) - b0) / dt
        s1 = self.anim.last
        out["fps"] = seen["changes"] / dt
        out["painted_per_s"] = seen["painted"] / dt
        out["source_fps"] = (s1[0] - s0[0]) / (s1[1] - s0[1]) if s1[1] > s0[1] else float("nan")
        if webrtc:
            rtc1 = page.evaluate("() => __probe.rtc()")
            n = rtc1["jitterCount"] - rtc0["jitterCount"]
            out["decoded_per_s"] = (rtc1["framesDecoded"] - rtc0["framesDecoded"]) / dt
            out["jitter_ms"] = 1000 * (rtc1["jitterDelay"] - rtc0["jitterDelay"]) / n if n else float("nan")
            out["codec"] = f"{rtc1['codec']} {rtc1.get('width')}x{rtc1.get('height')}"
        # static screen
        self.anim.pause()
        time.sleep(2.0)
        cpu, b0, t0 = CPU(pid).start(), self.bytes(page, webrtc), time.monotonic()
        time.sleep(a.static)
        dt = time.monotonic() - t0
        out["cpu_static"] = cpu.percent()
        out["static_bytes_per_s"] = (self.bytes(page, webrtc) - b0) / dt
        # input to photon, on the static screen
        self.point_at_calc()
        misses = 0
        for i in range(a.samples):
            self.x.xdotool("key", "ctrl+h")  # xcalc clear(): the display shows "0" again
            time.sleep(0.4)
            n = page.evaluate("() => __probe.lat.length")
            page.evaluate("(r) => __probe.arm(r)", list(self.calc_display))
            page.keyboard.press(str(1 + i % 9))
            try:
                page.wait_for_function(f"() => __probe.lat.length > {n}", timeout=3000, polling=20)
            except Exception:
                misses += 1
                page.evaluate("() => { __probe.armed = null; }")
        lat = page.evaluate("() => __probe.lat")
        if webrtc:  # when the changed frame's last packet reached the page
            recv = page.evaluate("() => __probe.recv")
            out.update(recv_p50=pct(recv, 50), recv_p95=pct(recv, 95))
            if not page.evaluate("() => __probe.videoCopy()"):
                print("the page read <video> pixels through a canvas (no WebCodecs copyTo): fps may be low",
                      file=sys.stderr)
        out.update(p50=pct(lat, 50), p95=pct(lat, 95), lat_samples=len(lat), lat_misses=misses,
                   lat_mean=statistics.fmean(lat) if lat else float("nan"))
        return out

    def start_probe(self, page, selector: str) -> None:
        wait_for(lambda: page.evaluate(f"() => __probe.start({json.dumps(selector)}, {list(self.anim.box)}, {W})"),
                 20, f"{selector} in the page")

    # ----------------------------------------------------------- Tandem

    def tandem(self, tmp: Path, webrtc: bool, backend: str = "x11") -> dict:
        from tests.agent.conftest import Scene
        from tests.conftest import LiveRelay
        var = tmp / (("webrtc" if backend == "x11" else backend) if webrtc else "relay")
        var.mkdir()
        relay = LiveRelay(var).start()
        self.procs.add(relay.proc)
        scene = Scene(relay, self.x, var)
        try:
            scene.start_agent("--no-indicator-window", env={"TANDEM_AGENT_BACKEND": backend})
            self.procs.add(scene.agent)
            scene.grant("control", "desktop")
            stop = threading.Event()
            for peer in (scene.rep, scene.customer):  # they get FRAMES too: keep their sockets empty
                threading.Thread(target=_discard, args=(peer, stop), daemon=True).start()
            token = scene._signin("rita@example.com", "rep-password-1")
            page = self.context.new_page()
            page.goto(f"chrome-extension://{EXTENSION_ID}/options.html")
            page.evaluate("(s) => chrome.storage.local.set(s)", {"relay": relay.base, "token": token})
            page.goto(f"chrome-extension://{EXTENSION_ID}/desktop.html?session={scene.session}"
                      + ("" if webrtc else "&webrtc=0"))
            transport = "webrtc" if webrtc else "relay"
            page.wait_for_selector(f'#desktop-stage[data-transport="{transport}"][data-control="on"]',
                                   state="attached", timeout=30_000)
            self.start_probe(page, "#desktop-video" if webrtc else "#desktop-canvas")
            page.locator("#desktop-stage").focus()
            relay_cpu = CPU(relay.proc.pid).start()
            out = self.measure(page, scene.agent.pid, webrtc)
            out["relay_cpu"] = relay_cpu.percent()
            page.close()
            stop.set()
            return out
        finally:
            scene.close()
            relay.stop()

    # ----------------------------------------------------------- noVNC

    def novnc(self) -> dict:
        vnc_port, web_port = free_port(), free_port()
        vnc = self.procs.add(subprocess.Popen(
            ["x11vnc", "-display", self.x.display, "-localhost", "-rfbport", str(vnc_port), "-shared", "-forever",
             "-nopw", "-quiet"], env=self.x.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_for(lambda: port_open(vnc_port), 20, "x11vnc port", step=0.1)
        web = self.procs.add(subprocess.Popen(
            ["websockify", "--web", str(NOVNC), f"127.0.0.1:{web_port}", f"127.0.0.1:{vnc_port}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_for(lambda: port_open(web_port), 20, "websockify port", step=0.1)
        try:
            page = self.context.new_page()
            page.goto(f"http://127.0.0.1:{web_port}/vnc.html?autoconnect=true&resize=scale&reconnect=false"
                      f"&host=127.0.0.1&port={web_port}&path=websockify")
            page.wait_for_selector("html.noVNC_connected", state="attached", timeout=30_000)
            self.start_probe(page, "#noVNC_container canvas")
            page.evaluate("() => document.querySelector('#noVNC_container canvas').focus()")
            web_cpu = CPU(web.pid).start()
            out = self.measure(page, vnc.pid, False)
            out["relay_cpu"] = web_cpu.percent()
            page.close()
            return out
        finally:
            self.procs.stop(web)
            self.procs.stop(vnc)


def _discard(peer, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            peer.ws.recv(timeout=0.5)
        except TimeoutError:
            pass
        except Exception:
            return




# ----------------------------------------------------------------- report

def rows(r: dict) -> list[tuple]:
    sides = [s for s in SIDES if s in r]
    peer = r.get("novnc", {})
    out = []

    def row(name, key, fmt, target=None, higher=False):
        vals = [r[s].get(key, float("nan")) for s in sides]
        cells = [fmt.format(v) for v in vals]
        pv = peer.get(key)
        ratios = [f"{r[s][key] / pv:.2f}x" if pv else "-" for s in sides if s != "novnc"] if peer else []
        tv = r.get("webrtc", {}).get(key)
        tgt = met = ahead = ""
        if target is not None:
            tgt = f"{'>=' if higher else '<='} {target:g}"
            met = "/".join("yes" if (r[s][key] >= target if higher else r[s][key] <= target) else "NO"
                           for s in TANDEM if s in r)
        if tv is not None and pv is not None:
            ahead = "tie" if fmt.format(tv) == fmt.format(pv) else "yes" if (tv > pv if higher else tv < pv) else "NO"
        out.append((name, *cells, *ratios, tgt, met, ahead))

    for s in sides:
        side = r[s]
        side["kB_per_s"] = side["bytes_per_s"] / 1000
        side["kB_per_frame"] = side["kB_per_s"] / side["fps"] if side["fps"] else float("nan")
        side["static_kB_per_s"] = side["static_bytes_per_s"] / 1000
        side["cpu_ms_per_frame"] = 10 * side["cpu_changing"] / side["fps"] if side["fps"] else float("nan")
    row("fps shown, changing 1080p", "fps", "{:.1f}", TARGETS["fps"], higher=True)
    row("sharer CPU % of a core, changing", "cpu_changing", "{:.0f}", TARGETS["cpu_changing"])
    row("sharer CPU ms per frame shown", "cpu_ms_per_frame", "{:.1f}")
    row("sharer CPU % of a core, static", "cpu_static", "{:.1f}", TARGETS["cpu_static"])
    row("input-to-photon p50 ms", "p50", "{:.1f}", TARGETS["p50"])
    row("input-to-photon p95 ms", "p95", "{:.1f}", TARGETS["p95"])
    row("kB/s received, changing", "kB_per_s", "{:.0f}")
    row("kB per frame shown", "kB_per_frame", "{:.1f}")
    row("kB/s received, static", "static_kB_per_s", "{:.2f}")
    return out


def print_table(r: dict) -> None:
    sides = [s for s in SIDES if s in r]
    names = {"webrtc": "tandem webrtc", "portable": "tandem portable", "relay": "tandem relay",
             "novnc": "x11vnc+noVNC"}
    ratio_heads = [f"{s}/noVNC" for s in sides if s != "novnc"] if "novnc" in r else []
    met = "met? " + "/".join(s for s in TANDEM if s in r)
    head = ("figure", *(names[s] for s in sides), *ratio_heads, "target", met, "webrtc ahead?")
    print_columns(head, rows(r))
    print()
    for s in sides:
        d = r[s]
        extra = (f", decoded {d['decoded_per_s']:.1f}/s, jitter buffer {d['jitter_ms']:.0f} ms, {d['codec']}, "
                 f"key press to the frame's last packet p50/p95 {d['recv_p50']:.1f}/{d['recv_p95']:.1f} ms"
                 if "codec" in d else "")
        print(f"{names[s]}: animation source {d['source_fps']:.1f} fps, page painted {d['painted_per_s']:.0f}/s"
              f"{extra}; {'relay' if s != 'novnc' else 'websockify'} CPU {d['relay_cpu']:.0f}%; "
              f"latency samples {d['lat_samples']} (misses {d['lat_misses']}, mean {d['lat_mean']:.1f} ms)")
    print(f"\n{r['cpus']} CPUs, screen {W}x{H}, animation {r['anim']}; viewer: headless Chromium "
          f"{r.get('chromium', '')}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--quick", action="store_true", help="short phases (smoke run)")
    ap.add_argument("--only", default=",".join(SIDES), help="comma-separated sides: " + ",".join(SIDES))
    args = ap.parse_args(argv)
    only = [s for s in args.only.split(",") if s]
    if unknown := set(only) - set(SIDES):
        ap.error(f"unknown side(s): {', '.join(sorted(unknown))}")
    if not (DIST / "desktop.html").exists():
        ap.error("extension/dist is not built: run `make extension`")
    if "novnc" in only and not (NOVNC / "vnc.html").exists():
        ap.error("noVNC is not installed (Debian packages novnc, websockify, x11vnc): run `make bench`")
    args.changing, args.static, args.samples = (3.0, 3.0, 6) if args.quick else (10.0, 10.0, 30)
    from playwright.sync_api import sync_playwright
    procs = Procs()
    result: dict = {"cpus": os.cpu_count(), "anim": "1600x1000 Tk canvas, 120 moving rects"}
    try:
        with tempfile.TemporaryDirectory(prefix="bench-desktop-") as tmp, sync_playwright() as p:
            x = Display(procs, W, H)
            procs.add(subprocess.Popen(["xcalc", "-geometry", "+0+0"], env=x.env, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL))
            calc = x.window("Calculator")
            anim = Anim(procs, x, 1600, 1000, 120)
            context = p.chromium.launch_persistent_context(
                str(Path(tmp) / "profile"), executable_path=CHROMIUM, headless=True,
                viewport={"width": 1600, "height": 900},
                args=[*FLAGS, f"--disable-extensions-except={DIST}", f"--load-extension={DIST}"])
            result["chromium"] = context.browser.version if context.browser else ""
            context.add_init_script(PROBE)
            bench = Bench(args, procs, x, anim, calc, context)
            try:
                for side in only:
                    result[side] = bench.novnc() if side == "novnc" else bench.tandem(
                        Path(tmp), side != "relay", "portable" if side == "portable" else "x11")
                    print(f"{side}: done", file=sys.stderr)
            finally:
                context.close()
    finally:
        procs.stop_all()
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_table(result)
    # a side that showed no frame or answered no key press has no figures: the run failed
    missing = [f"{side} {key}" for side in only for key in ("fps", "p50", "p95")
               if not result[side].get(key, 0) > 0]
    if missing:
        print(f"bench failed: no figure for {', '.join(missing)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
