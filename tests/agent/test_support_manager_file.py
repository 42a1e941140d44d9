"""The Support Manager as a customer gets it: the single file PyInstaller
builds (`make agent-dist`), served by a real relay for one session, started
with no arguments under Xvfb. Its window is driven like a person would, with
the mouse and the keyboard (xdotool), and the rep sees the real screen."""

from __future__ import annotations

import importlib.util
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.agent.conftest import ROOT, Scene, X, wait_for
from tests.agent.test_sharing import crop, frames_on, paint_all
from tests.conftest import LiveRelay, stop_process

LINUX = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
TITLE = "Tandem Support Manager"
JOIN_BLUE = (0x1A, 0x5F, 0xB4)  # agent/launcher.py's primary button
GREY = (0xE6, 0xE6, 0xE6)  # its other button (Cancel, Leave)
ERROR_RED = (0xB0, 0x00, 0x20)


def _build_script():
    spec = importlib.util.spec_from_file_location("build_agent", ROOT / "packaging" / "build_agent.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def support_manager_build(tmp_path_factory) -> Path:
    """The single file: dist/'s when it is newer than every source it is built
    from, else `make agent-dist` (which installs PyInstaller) into a temp folder."""
    name = _build_script().target_name()
    built = ROOT / "dist" / name
    sources = [*ROOT.glob("agent/**/*.py"), *ROOT.glob("packaging/*.py"), *ROOT.glob("server/protocol/*.py")]
    if built.is_file() and built.stat().st_mtime > max(p.stat().st_mtime for p in sources):
        return built
    out = tmp_path_factory.mktemp("agent-dist")
    proc = subprocess.run(["make", "-s", "agent-dist", f"AGENT_DIST_DIR={out}", f"AGENT_WORK_DIR={out / 'work'}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0 and (out / name).is_file(), f"{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    return out / name


def button(x: X, wid: int, color: tuple[int, int, int]) -> tuple[int, int] | None:
    """The middle of the window's area painted ``color`` (a button), in root coordinates."""
    rect = x.geometry(wid)
    img = x.grab(rect).astype(int)
    ys, xs = np.nonzero(np.all(np.abs(img - color) <= 6, axis=-1))
    if len(xs) < 150:
        return None
    return rect[0] + int(np.median(xs)), rect[1] + int(np.median(ys))


def click_until(x: X, wid: int, color: tuple[int, int, int], done, what: str) -> None:
    """Click the button until ``done()``: the window lays itself out again when
    the relay's answer comes, so a click can land where the button just was."""
    for _ in range(5):
        where = wait_for(lambda: button(x, wid, color), what=f"the button for {what}")
        x.xdotool("mousemove", str(where[0]), str(where[1]), "click", "1")
        try:
            wait_for(done, 10, what)
            return
        except AssertionError:
            continue
    raise AssertionError(f"clicking did not {what}")


def agent_present(scene: Scene) -> bool:
    """Whether the session, as the rep last heard of it, has a connected Support Manager."""
    scene.rep.drain(0.2)
    st = scene.rep.last_state
    return st is not None and any(p["kind"] == "agent" and p["present"] for p in st["participants"])


@pytest.fixture
def relay_with_build(tmp_path: Path, support_manager_build: Path, request):
    dist = tmp_path / "dist"
    dist.mkdir()
    os.symlink(support_manager_build, dist / support_manager_build.name)
    relay = LiveRelay(tmp_path, TANDEM_AGENT_DIST_DIR=str(dist)).start()
    yield relay
    relay.stop()
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        print(f"--- relay log ---\n{relay.log.read_text()}")


def test_the_downloaded_file_joins_with_one_click_and_shares_the_screen(relay_with_build, xserver, xcalc, tmp_path):
    scene = Scene(relay_with_build, xserver, tmp_path)
    try:
        r = scene.http.get(f"/s/{scene.customer_token}/support-manager", headers={"User-Agent": LINUX})
        assert r.status_code == 200, r.text
        name = re.search(r'filename="([^"]+)"', r.headers["content-disposition"]).group(1)
        assert re.fullmatch(rf"tandem-support-manager-{scene.number}-\d{{6}}", name)
        downloaded = tmp_path / "Downloads" / name
        downloaded.parent.mkdir()
        downloaded.write_bytes(r.content)
        downloaded.chmod(0o755)

        # started with no arguments, as a double-click starts it: a window, no terminal
        xserver.env["TANDEM_AGENT_STATE"] = str(scene.state_dir)
        wid = xserver.start_window([str(downloaded)], TITLE)
        agent = xserver.procs[-1]
        click_until(xserver, wid, JOIN_BLUE, lambda: agent_present(scene), "join the session")
        st = scene.rep.state(lambda m: any(p["kind"] == "agent" and p["present"] for p in m["participants"]))
        paired = next(p for p in st["participants"] if p["kind"] == "agent")
        assert paired["name"] == socket.gethostname()
        assert paired["owner"] == next(p["pid"] for p in st["participants"] if p["kind"] == "customer")
        scene.agent_pid = paired["pid"]

        # the rep asks to see the desktop, the customer allows it, the rep sees the real screen
        g = scene.grant("view", "desktop")
        act = scene.activity(g["id"])
        assert act["sharer"] == scene.agent_pid
        wait_for(lambda: scene.rep.drain(0.2) or frames_on(scene.rep, act["stream"]), what="frames")
        scene.rep.drain(1.0)
        canvas = paint_all(scene.rep, act["stream"])
        screen = xserver.grab((0, 0, 1024, 768))
        for rect in (xserver.geometry(xcalc), xserver.geometry(wid)):  # xcalc, and the Support Manager's window
            diff = np.abs(crop(canvas.img, rect) - crop(screen, rect)).mean()
            assert diff < 6, f"{rect} as the rep sees it differs from the screen by {diff:.1f}"

        # Leave, in the same window, takes the Support Manager out of the session
        click_until(xserver, wid, GREY, lambda: not agent_present(scene), "leave the session")
        assert agent.wait(20) == 0

        # the same file again: its code is spent, and the window says so in red instead of joining
        wid = xserver.start_window([str(downloaded)], TITLE)
        again = xserver.procs[-1]
        wait_for(lambda: button(xserver, wid, ERROR_RED), what="the refusal in red")
        assert not agent_present(scene)
        click_until(xserver, wid, GREY, lambda: again.poll() is not None, "close the window (Cancel)")
    finally:
        scene.close()


def test_started_without_a_session_it_asks_for_one_and_says_what_is_wrong(live_relay, xserver, tmp_path):
    """`python -m agent` carries no session: the window asks for the number, the
    code and the relay's address; a wrong code is refused in the window, a
    right one joins. The window speaks the OS's language."""
    scene = Scene(live_relay, xserver, tmp_path)
    try:
        r = scene.http.post(f"/api/sessions/{scene.session}/pairing",
                            headers={"Authorization": f"Bearer {scene.customer_token}"})
        code = r.json()["code"]
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        xserver.env.update(scene.agent_env, LANG="zh_CN.UTF-8", LANGUAGE="")
        wid = xserver.start_window([sys.executable, "-m", "agent"], "Tandem .+")  # xdotool's regex is ASCII
        assert xserver.xdotool("getwindowname", str(wid)).strip() == "Tandem 支持管理器"
        agent = xserver.procs[-1]

        xserver.xdotool("windowfocus", "--sync", str(wid))
        for value, then in ((scene.number, "Tab"), (wrong, "Tab"), (live_relay.base, "Return")):
            xserver.xdotool("type", "--delay", "20", value)
            xserver.xdotool("key", then)
        wait_for(lambda: button(xserver, wid, ERROR_RED), what="the refusal in red")
        assert not agent_present(scene)
        # the number and the address stay; the code field is empty and has the focus
        xserver.xdotool("type", "--delay", "20", code)
        xserver.xdotool("key", "Return")
        wait_for(lambda: agent_present(scene), what="the agent to join")
        assert not button(xserver, wid, ERROR_RED), "the error stays after joining"
        stop_process(agent)
    finally:
        scene.close()
