#!/usr/bin/env python3
"""Desktop sharing bench: the Tandem agent over the relay FRAMES path against
x11vnc, on the same 1920x1080 Xvfb screen in the same run.

Run:  .venv/bin/python bench/desktop.py [--json] [--quick]

What it starts, on loopback only, and stops by PID at the end: Xvfb (1920x1080x24),
xcalc, a Tk animation (a 1600x1000 canvas, 120 moving rectangles and a flat box
whose colour encodes the animation's frame number, redrawn at up to 60 Hz), the
relay (`python -m server`), the agent (`python -m agent pair`), then x11vnc.

Figures, per side:
  - displayed fps: how many distinct animation frames reach the viewer per
    second (the colour of the flat box is read from the viewer's picture after
    every message/update), while the animation runs;
  - bytes/s received by the viewer while the animation runs;
  - CPU of the sharer (agent, or x11vnc) as % of one core, changing and static
    (animation stopped with SIGSTOP, viewer connected);
  - input-to-photon p50/p95: the viewer sends a key ("1".."9") that xcalc
    shows in its display; time from the send until the viewer's picture of the
    display region differs (static screen otherwise).
Tandem's viewer is a Python websockets rep that decodes every FRAMES JPEG onto
a canvas. x11vnc's viewer is a Python RFB 3.8 client (this file) asking for
Zlib, CopyRect and Raw encodings, with one incremental
FramebufferUpdateRequest in flight (as noVNC does); noVNC itself in a browser
is not measured.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from io import BytesIO
from pathlib import Path

import numpy as np
import psutil
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from server.protocol import FRAME_HEADER, StreamKind  # noqa: E402

W, H = 1920, 1080
TARGETS = {"fps": 30.0, "cpu_changing": 100.0, "cpu_static": 5.0, "p50": 50.0, "p95": 80.0}

ANIM = r"""
import sys, time, random, tkinter as tk
W, H, N = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
root = tk.Tk(); root.title("bench-anim"); root.geometry(f"{W}x{H}+300+40")
c = tk.Canvas(root, width=W, height=H, bg="#203040", highlightthickness=0); c.pack()
rnd = random.Random(1)
items = []
for i in range(N):
    x, y, s = rnd.randrange(W - 80), rnd.randrange(H - 80), rnd.randrange(20, 80)
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
    c.tag_raise(box)
    now = time.monotonic()
    if now - last > 0.25:
        print(n, now, flush=True); last = now
    root.after(max(1, int(16 - (time.monotonic() - now) * 1000)), tick)
root.after(100, tick); root.mainloop()
"""


# ----------------------------------------------------------------- helpers

class Procs:
    """Everything this bench starts; stopped by PID, newest first."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen] = []

    def add(self, p: subprocess.Popen) -> subprocess.Popen:
        self.procs.append(p)
        return p

    def stop(self, p: subprocess.Popen) -> None:
        if p.poll() is None:
            try:
                os.kill(p.pid, signal.SIGCONT)
            except OSError:
                pass
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def stop_all(self) -> None:
        for p in reversed(self.procs):
            self.stop(p)


def wait_for(pred, timeout=15.0, what="condition", step=0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    raise RuntimeError(f"timed out waiting for {what}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class CPU:
    """CPU time of a process (and its children) as % of one core over a window."""

    def __init__(self, pid: int, children: bool = True) -> None:
        self.p = psutil.Process(pid)
        self.children = children

    def _t(self) -> float:
        total = 0.0
        for p in [self.p, *(self.p.children(recursive=True) if self.children else [])]:
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except psutil.NoSuchProcess:
                pass
        return total

    def start(self) -> None:
        self.t0, self.w0 = self._t(), time.monotonic()

    def percent(self) -> float:
        return 100.0 * (self._t() - self.t0) / (time.monotonic() - self.w0)


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, max(0, round(q / 100 * (len(v) - 1))))]


class Display:
    def __init__(self, procs: Procs) -> None:
        r, w = os.pipe()
        self.proc = procs.add(subprocess.Popen(
            ["Xvfb", "-displayfd", str(w), "-screen", "0", f"{W}x{H}x24", "-nolisten", "tcp"],
            pass_fds=(w,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        os.close(w)
        with os.fdopen(r) as f:
            ready, _, _ = select.select([f], [], [], 10)
            line = f.readline().strip() if ready else ""
        if not line.isdigit():
            raise RuntimeError("Xvfb did not start")
        self.display = f":{line}"
        self.env = {**os.environ, "DISPLAY": self.display}

    def xdotool(self, *args: str) -> str:
        return subprocess.run(["xdotool", *args], env=self.env, capture_output=True, text=True, timeout=10).stdout

    def window(self, title: str) -> int:
        ids = wait_for(lambda: self.xdotool("search", "--onlyvisible", "--name", f"^{title}$").split(), 15,
                       f"window {title}")
        return int(ids[0])

    def geometry(self, wid: int) -> tuple[int, int, int, int]:
        out = subprocess.run(["xwininfo", "-id", str(wid)], env=self.env, capture_output=True, text=True,
                             timeout=10).stdout
        info = dict(line.strip().split(":", 1) for line in out.splitlines() if ":" in line)
        b = int(info["Border width"])
        return (int(info["Absolute upper-left X"]) + b, int(info["Absolute upper-left Y"]) + b,
                int(info["Width"]), int(info["Height"]))


class Anim:
    def __init__(self, procs: Procs, x: Display, w: int, h: int, n: int) -> None:
        self.proc = procs.add(subprocess.Popen([sys.executable, "-c", ANIM, str(w), str(h), str(n)], env=x.env,
                                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True))
        self.last = (0, time.monotonic())
        threading.Thread(target=self._read, daemon=True).start()
        wid = x.window("bench-anim")
        gx, gy, _, _ = x.geometry(wid)
        self.probe = (gx + 110, gy + 110)  # centre of the flat box
        wait_for(lambda: self.last[0] > 5, 10, "animation running")

    def _read(self) -> None:
        for line in self.proc.stdout:
            n, t = line.split()
            self.last = (int(n), float(t))

    def pause(self) -> None:
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.proc.pid, signal.SIGCONT)


class FrameCounter:
    """Counts changes of the flat box's colour as the viewer sees it."""

    def __init__(self) -> None:
        self.last: tuple[int, int] | None = None
        self.changes = 0

    def see(self, r: int, b: int) -> None:
        if self.last is None or abs(r - self.last[0]) > 12 or abs(b - self.last[1]) > 12:
            if self.last is not None:
                self.changes += 1
            self.last = (r, b)


def region_changed(a: np.ndarray, b: np.ndarray) -> bool:
    return int(np.abs(a.astype(np.int16) - b.astype(np.int16)).max()) > 60


# ----------------------------------------------------------------- Tandem

class TandemViewer:
    def __init__(self, ws, stream: int) -> None:
        self.ws, self.stream = ws, stream
        self.canvas = np.zeros((H, W, 3), dtype=np.uint8)
        self.bytes = 0
        self.msgs = 0
        self.seq = 10_000

    def pump(self, timeout: float) -> bool:
        """Receive one message; True if it painted a FRAMES tile."""
        try:
            raw = self.ws.recv(timeout=max(0.001, timeout))
        except TimeoutError:
            return False
        if not isinstance(raw, bytes):
            return False
        kind, stream, _ = FRAME_HEADER.unpack_from(raw)
        if kind != StreamKind.FRAMES or stream != self.stream:
            return False
        self.bytes += len(raw)
        self.msgs += 1
        body = raw[FRAME_HEADER.size:]
        x, y, w, h, fw, fh = struct.unpack_from("!6H", body)
        tile = np.asarray(Image.open(BytesIO(body[12:])).convert("RGB"))
        self.canvas[y:y + h, x:x + w] = tile[:min(h, fh - y), :min(w, fw - x)]
        return True

    def drain(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            self.pump(left)

    def control(self, **event) -> None:
        self.seq += 1
        self.ws.send(FRAME_HEADER.pack(StreamKind.CONTROL, self.stream, self.seq) + json.dumps(event).encode())

    def key(self, key: str) -> None:
        self.control(t="key", key=key, down=True)
        self.control(t="key", key=key, down=False)


# ----------------------------------------------------------------- RFB

class RFB:
    """A small RFB 3.8 client: None security, 32 bpp BGRX, Zlib/CopyRect/Raw."""

    def __init__(self, port: int) -> None:
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.bytes = 0
        self.updates = 0
        self.rects = 0
        self.z = zlib.decompressobj()
        ver = self._read(12)
        if not ver.startswith(b"RFB "):
            raise RuntimeError(f"not RFB: {ver!r}")
        self.s.sendall(b"RFB 003.008\n")
        n = self._read(1)[0]
        types = self._read(n)
        if 1 not in types:
            raise RuntimeError(f"no None security: {list(types)}")
        self.s.sendall(b"\x01")
        if struct.unpack("!I", self._read(4))[0] != 0:
            raise RuntimeError("security failed")
        self.s.sendall(b"\x01")  # shared
        self.w, self.h = struct.unpack("!HH", self._read(4))
        self._read(16)
        self._read(struct.unpack("!I", self._read(4))[0])
        self.fb = np.zeros((self.h, self.w, 4), dtype=np.uint8)
        # 32 bpp, depth 24, little endian, true colour, max 255, shifts R16 G8 B0 -> BGRX bytes
        pf = struct.pack("!BBBBHHHBBB3x", 32, 24, 0, 1, 255, 255, 255, 16, 8, 0)
        self.s.sendall(b"\x00\x00\x00\x00" + pf)
        encs = [6, 1, 0]  # Zlib, CopyRect, Raw
        self.s.sendall(struct.pack("!BxH", 2, len(encs)) + struct.pack(f"!{len(encs)}i", *encs))
        self.request(incremental=False)
        self.bytes = 0

    def _read(self, n: int) -> bytes:
        buf = bytearray()
        while len(buf) < n:
            chunk = self.s.recv(n - len(buf))
            if not chunk:
                raise RuntimeError("RFB server closed")
            buf += chunk
        self.bytes += n
        return bytes(buf)

    def request(self, incremental: bool = True) -> None:
        self.s.sendall(struct.pack("!BBHHHH", 3, 1 if incremental else 0, 0, 0, self.w, self.h))

    def key(self, keysym: int) -> None:
        self.s.sendall(struct.pack("!BBxxI", 4, 1, keysym) + struct.pack("!BBxxI", 4, 0, keysym))

    def pump(self, timeout: float) -> bool:
        """Handle one server message; True if it was a framebuffer update."""
        r, _, _ = select.select([self.s], [], [], max(0.0, timeout))
        if not r:
            return False
        t = self._read(1)[0]
        if t == 0:
            self._read(1)
            (n,) = struct.unpack("!H", self._read(2))
            for _ in range(n):
                x, y, w, h, enc = struct.unpack("!HHHHi", self._read(12))
                self.rects += 1
                if enc == 0:
                    self.fb[y:y + h, x:x + w] = np.frombuffer(self._read(w * h * 4), np.uint8).reshape(h, w, 4)
                elif enc == 6:
                    (ln,) = struct.unpack("!I", self._read(4))
                    data = self.z.decompress(self._read(ln))
                    self.fb[y:y + h, x:x + w] = np.frombuffer(data, np.uint8).reshape(h, w, 4)
                elif enc == 1:
                    sx, sy = struct.unpack("!HH", self._read(4))
                    self.fb[y:y + h, x:x + w] = self.fb[sy:sy + h, sx:sx + w].copy()
                else:
                    raise RuntimeError(f"unexpected encoding {enc}")
            self.updates += 1
            self.request()
            return True
        if t == 1:
            self._read(3)
            (n,) = struct.unpack("!H", self._read(2))
            self._read(6 * n)
        elif t == 2:
            pass
        elif t == 3:
            self._read(3)
            self._read(struct.unpack("!I", self._read(4))[0])
        else:
            raise RuntimeError(f"unexpected server message {t}")
        return False

    def drain(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            self.pump(left)

    def rgb(self, x: int, y: int, w: int, h: int) -> np.ndarray:
        return self.fb[y:y + h, x:x + w, 2::-1]

    def close(self) -> None:
        self.s.close()


# ----------------------------------------------------------------- phases

def measure(viewer, pid: int, anim: Anim, x: Display, calc_display: tuple, args, rgb_at) -> dict:
    """The same three phases for either viewer. rgb_at(x, y, w, h) -> RGB array of the viewer's picture."""
    px, py = anim.probe
    out: dict = {}
    # changing screen
    anim.resume()
    viewer.drain(1.0)
    fc = FrameCounter()
    cpu = CPU(pid)
    me = CPU(os.getpid(), children=False)
    me.start()
    b0, m0 = viewer.bytes, getattr(viewer, "msgs", 0) or getattr(viewer, "updates", 0)
    a0 = anim.last
    cpu.start()
    t0 = time.monotonic()
    end = t0 + args.changing
    while (left := end - time.monotonic()) > 0:
        if viewer.pump(left):
            p = rgb_at(px, py, 1, 1)[0, 0]
            fc.see(int(p[0]), int(p[2]))
    dt = time.monotonic() - t0
    a1 = anim.last
    out["cpu_changing"] = cpu.percent()
    out["viewer_cpu_changing"] = me.percent()
    out["fps"] = fc.changes / dt
    out["bytes_per_s"] = (viewer.bytes - b0) / dt
    m1 = getattr(viewer, "msgs", 0) or getattr(viewer, "updates", 0)
    out["msgs_per_s"] = (m1 - m0) / dt
    out["source_fps"] = (a1[0] - a0[0]) / (a1[1] - a0[1]) if a1[1] > a0[1] else float("nan")
    # static screen
    anim.pause()
    viewer.drain(1.5)
    cpu.start()
    b0 = viewer.bytes
    viewer.drain(args.static)
    out["cpu_static"] = cpu.percent()
    out["static_bytes_per_s"] = (viewer.bytes - b0) / args.static
    # input to photon (static screen around it)
    lat: list[float] = []
    misses = 0
    for i in range(args.samples):
        x.xdotool("key", "ctrl+h")  # xcalc clear(): display back to "0"
        viewer.drain(0.25)
        before = rgb_at(*calc_display).copy()
        digit = str(1 + i % 9)
        t0 = time.monotonic()
        viewer.send_key(digit)
        end = t0 + 2.0
        got = None
        while (left := end - time.monotonic()) > 0:
            if viewer.pump(left) and region_changed(rgb_at(*calc_display), before):
                got = time.monotonic()
                break
        if got is None:
            misses += 1
        else:
            lat.append((got - t0) * 1000)
    out["p50"] = pct(lat, 50)
    out["p95"] = pct(lat, 95)
    out["lat_samples"] = len(lat)
    out["lat_misses"] = misses
    out["lat_mean"] = statistics.fmean(lat) if lat else float("nan")
    return out


def run_tandem(procs: Procs, x: Display, anim: Anim, calc_display, args, tmp: Path) -> dict:
    from tests.agent.conftest import Scene
    from tests.conftest import LiveRelay
    relay = LiveRelay(tmp).start()
    procs.add(relay.proc)
    scene = Scene(relay, x, tmp)
    try:
        scene.start_agent("--no-indicator-window")
        procs.add(scene.agent)
        g = scene.grant("control", "desktop")
        act = scene.activity(g["id"])
        v = TandemViewer(scene.rep.ws, act["stream"])
        v.send_key = v.key
        wait_for(lambda: v.pump(0.2) or v.msgs, 20, "first FRAMES")
        v.drain(1.0)
        # key events go to the window under the pointer (no window manager): point at xcalc
        cx, cy, cw, ch = calc_display
        v.control(t="move", x=(cx + cw / 2) / W, y=(cy + ch + 60) / H)
        v.drain(0.3)

        def rgb_at(x0, y0, w, h):
            return v.canvas[y0:y0 + h, x0:x0 + w]
        relay_cpu = CPU(relay.proc.pid)
        relay_cpu.start()
        out = measure(v, scene.agent.pid, anim, x, calc_display, args, rgb_at)
        out["relay_cpu_avg"] = relay_cpu.percent()
        return out
    finally:
        scene.close()
        relay.stop()


def run_vnc(procs: Procs, x: Display, anim: Anim, calc_display, args) -> dict:
    port = free_port()
    vnc = procs.add(subprocess.Popen(
        ["x11vnc", "-display", x.display, "-localhost", "-rfbport", str(port), "-shared", "-forever", "-nopw",
         "-quiet"], env=x.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    def up():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            return False
    wait_for(up, 20, "x11vnc port", step=0.1)
    rfb = RFB(port)
    try:
        rfb.send_key = lambda d: rfb.key(ord(d))
        wait_for(lambda: rfb.pump(0.2) or rfb.updates, 20, "first RFB update")
        rfb.drain(1.0)
        cx, cy, cw, ch = calc_display
        x.xdotool("mousemove", str(cx + cw // 2), str(cy + ch + 60))
        return measure(rfb, vnc.pid, anim, x, calc_display, args, rfb.rgb)
    finally:
        rfb.close()
        procs.stop(vnc)


# ----------------------------------------------------------------- report

def rows(r: dict) -> list[tuple]:
    t, v = r["tandem"], r["x11vnc"]
    out = []

    def row(name, key, fmt, target=None, higher=False):
        tv, vv = t.get(key, float("nan")), v.get(key, float("nan"))
        ratio = f"{tv / vv:.2f}x" if vv else "-"
        if target is None:
            tgt, met = "", ""
        else:
            tgt = f"{'>=' if higher else '<='} {target:g}"
            met = "yes" if (tv >= target if higher else tv <= target) else "NO"
        ahead = "tie" if fmt.format(tv) == fmt.format(vv) else "yes" if (tv > vv if higher else tv < vv) else "NO"
        out.append((name, fmt.format(tv), fmt.format(vv), ratio, tgt, met, ahead))

    row("displayed fps, changing 1080p", "fps", "{:.1f}", TARGETS["fps"], higher=True)
    row("sharer CPU % of a core, changing", "cpu_changing", "{:.0f}", TARGETS["cpu_changing"])
    row("sharer CPU % of a core, static", "cpu_static", "{:.1f}", TARGETS["cpu_static"])
    row("input-to-photon p50 ms", "p50", "{:.1f}", TARGETS["p50"])
    row("input-to-photon p95 ms", "p95", "{:.1f}", TARGETS["p95"])
    for side in (t, v):
        side["kB_per_s"] = side["bytes_per_s"] / 1000
        side["kB_per_frame"] = side["bytes_per_s"] / 1000 / side["fps"] if side["fps"] else float("nan")
        side["static_kB_per_s"] = side["static_bytes_per_s"] / 1000
    row("kB/s received, changing", "kB_per_s", "{:.0f}")
    row("kB per displayed frame", "kB_per_frame", "{:.0f}")
    row("kB/s received, static", "static_kB_per_s", "{:.1f}")
    return out


def print_table(r: dict) -> None:
    head = ("figure", "tandem", "x11vnc", "ratio", "target", "met?", "ahead?")
    table = [head, *rows(r)]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(head))]
    for i, line in enumerate(table):
        print("  ".join(str(c).ljust(w) if j == 0 else str(c).rjust(w)
                        for j, (c, w) in enumerate(zip(line, widths, strict=True))))
        if i == 0:
            print("  ".join("-" * w for w in widths))
    t, v = r["tandem"], r["x11vnc"]
    print(f"\nanimation source fps: {t['source_fps']:.1f} (tandem phase), {v['source_fps']:.1f} (x11vnc phase); "
          f"messages/s: tandem {t['msgs_per_s']:.0f} FRAMES bodies, x11vnc {v['msgs_per_s']:.0f} updates")
    print(f"viewer (this process) CPU while changing: tandem {t['viewer_cpu_changing']:.0f}%, "
          f"x11vnc {v['viewer_cpu_changing']:.0f}% of a core")
    print(f"relay CPU over the tandem phases: {t['relay_cpu_avg']:.0f}% of a core (not in the sharer figure)")
    print(f"latency samples: tandem {t['lat_samples']} (misses {t['lat_misses']}), "
          f"x11vnc {v['lat_samples']} (misses {v['lat_misses']})")
    print(f"viewers: tandem = Python websockets rep decoding every FRAMES JPEG (relay path, no WebRTC); "
          f"x11vnc = Python RFB 3.8 client, Zlib+CopyRect+Raw; noVNC not run. "
          f"{r['cpus']} CPUs, screen {W}x{H}, animation {r['anim']}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--quick", action="store_true", help="short phases (smoke run)")
    ap.add_argument("--only", choices=("tandem", "x11vnc"))
    args = ap.parse_args(argv)
    args.changing, args.static, args.samples = (3.0, 3.0, 6) if args.quick else (8.0, 10.0, 25)
    procs = Procs()
    result: dict = {"cpus": os.cpu_count(), "anim": "1600x1000 canvas, 120 rects"}
    try:
        with tempfile.TemporaryDirectory(prefix="bench-desktop-") as tmp:
            x = Display(procs)
            procs.add(subprocess.Popen(["xcalc", "-geometry", "+0+0"], env=x.env, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL))
            calc = x.window("Calculator")
            gx, gy, _, _ = x.geometry(calc)
            calc_display = (gx + 8, gy + 8, 210, 40)
            anim = Anim(procs, x, 1600, 1000, 120)
            if args.only != "x11vnc":
                result["tandem"] = run_tandem(procs, x, anim, calc_display, args, Path(tmp))
            if args.only != "tandem":
                result["x11vnc"] = run_vnc(procs, x, anim, calc_display, args)
    finally:
        procs.stop_all()
    if args.json:
        print(json.dumps(result, indent=2))
    elif "tandem" in result and "x11vnc" in result:
        print_table(result)
    else:
        print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
