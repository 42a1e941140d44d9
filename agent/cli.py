"""`tandem-agent`: pair with a session, run, and stop sharing from the command line.

  tandem-agent pair [--relay URL] NUMBER|JOIN_LINK CODE [--name N] [--monitor N]
                    [--window TITLE] [--share-folder DIR]
  tandem-agent run      reconnect with the saved pairing (same options but pairing ones)
  tandem-agent stop     revoke every grant the running agent shares, at once
                        (--quit: also end the agent)
  tandem-agent status   what the running agent shares
  tandem-agent windows  list the application windows that can be shared

NUMBER is the 9-digit session number (spaces allowed) with --relay; a join
link (https://relay/invite/TOKEN) names the relay and the number itself.
Standard or Screen sampling is the session's view mode, which the primary
sets in the rep's console; the agent follows it.
The running agent answers `stop` and `status` on a loopback port whose
secret lies in its per-user state folder (`agent.platform.channel`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import socket
import sys
import threading

from . import pairing

log = logging.getLogger("agent")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="tandem-agent", description="Tandem Support Manager")
    ap.add_argument("-v", "--verbose", action="store_true")
    sub = ap.add_subparsers(dest="command", required=True)

    def share_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--monitor", type=int, default=1, help="monitor to share (1 = first; 0 = all)")
        p.add_argument("--window", metavar="TITLE", help="application window shared on an application grant "
                                                        "(title substring; default: the person here picks it from a list)")
        p.add_argument("--share-folder", metavar="DIR", action="append", default=[],
                       help="folder offered on a file grant (repeatable)")
        p.add_argument("--no-indicator-window", action="store_true",
                       help="show that the screen is shared on the terminal only")
        p.add_argument("--allow", metavar="control,files", type=_kinds, default=frozenset(),
                       help="allow these in advance, on this machine (unattended machines): otherwise the "
                            "Support Manager asks here before the first control or file grant of a session")

    p = sub.add_parser("pair", help="pair with a session and run")
    p.add_argument("--relay", metavar="URL", default=os.environ.get("TANDEM_RELAY"),
                   help="relay address, e.g. https://support.example.com")
    p.add_argument("target", metavar="NUMBER|JOIN_LINK")
    p.add_argument("code", help="the one-time pairing code shown on the page")
    p.add_argument("--name", default=socket.gethostname(), help="how the session sees this machine")
    share_options(p)
    p = sub.add_parser("run", help="run again with the saved pairing")
    share_options(p)
    p = sub.add_parser("stop", help="stop sharing now: revoke every grant the running agent shares")
    p.add_argument("--quit", action="store_true", help="also end the running agent")
    sub.add_parser("status", help="what the running agent shares")
    sub.add_parser("windows", help="list application windows")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if args.command == "windows":
        from .platform import backend
        for w in backend().windows.list_windows():
            print(f"{w.id:#010x}  {w.width}x{w.height}+{w.x}+{w.y}  {w.title}")
        return 0
    if args.command in ("stop", "status"):
        return _control_client("stop quit" if args.command == "stop" and args.quit else args.command)
    if args.command == "pair":
        try:
            relay, number = pairing.resolve_target(args.relay, args.target)
            paired = pairing.pair(relay, number, args.code, args.name)
        except pairing.PairingError as exc:
            print(f"tandem-agent: {exc}", file=sys.stderr)
            return 2
        state = {"relay": relay, "ws_url": pairing.ws_url(relay), "name": args.name, **paired}
        pairing.save_state(state)
        print(f"paired with session {number[:3]} {number[3:6]} {number[6:]} as {paired['pid']}", flush=True)
    else:
        state = pairing.load_state()
        if not state:
            print("tandem-agent: not paired; run `tandem-agent pair` first", file=sys.stderr)
            return 2
    return run_with_windows(state, args)


def _kinds(value: str) -> frozenset[str]:
    from .consent import KINDS
    kinds = frozenset(x.strip() for x in value.split(",") if x.strip())
    if not kinds <= set(KINDS):
        raise argparse.ArgumentTypeError(f"--allow takes {' and '.join(KINDS)}")
    return kinds


def run_with_windows(state: dict, args: argparse.Namespace) -> int:
    """The agent's loop in a worker thread and its windows (`agent.ui`) in
    this, the main thread, as macOS requires; where no window can open, the
    agent runs here and the terminal says everything."""
    from .ui import UI
    ui = UI.open()
    if ui is None:
        try:
            return asyncio.run(run_agent(state, args))
        except KeyboardInterrupt:
            return 130
    done, result = threading.Event(), [0]

    def agent() -> None:
        try:
            result[0] = asyncio.run(run_agent(state, args, ui))
        except Exception:
            log.exception("the agent stopped")
            result[0] = 1
        finally:
            done.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, frame: ui.quit())
    threading.Thread(target=agent, name="agent", daemon=True).start()
    ui.run(done)
    return result[0]


async def run_agent(state: dict, args: argparse.Namespace, ui=None) -> int:
    """The agent until the session ends or it is stopped. ``ui``: the
    windows (`agent.ui.UI`) when the main thread runs them."""
    from .alloc import tune_allocator
    from .link import Link
    from .sharing import Sharing

    tune_allocator()  # screen grabs and file chunks reuse memory

    link = Link(state["ws_url"], state["token"], state.get("name", ""))
    link.me, link.session = state.get("pid"), state.get("session")
    link.screen = _screen_status(state.get("lang"), ui)
    sharing = Sharing(link, monitor=args.monitor, window_title=args.window,
                      indicator_window=not args.no_indicator_window, ui=ui,
                      allow=getattr(args, "allow", frozenset()), lang=state.get("lang"))
    _attach_optional(link, sharing, args)
    if ui is not None:
        loop = asyncio.get_running_loop()
        ui.on_quit = lambda: loop.call_soon_threadsafe(link.stop)
    _stop_on_signals(link)
    server = await _control_server(link, sharing)
    try:
        await link.run()
    finally:
        server.close()
        await sharing.close()
        pairing.clear_state() if link.ended else None
        try:
            pairing.control_path().unlink()
        except OSError:
            pass
    return 0


def _screen_status(lang: str | None = None, ui=None) -> str:
    """``ok``, or why the screen cannot be shared: then the relay refuses
    desktop and application requests with the reason, and the customer reads
    it here (and in the Support Manager's window), in the language of their
    download or else of their system, instead of anyone being shown a black picture."""
    from .i18n import choose, translator
    from .platform import screen_problem
    problem = screen_problem()
    if problem is not None:
        text = translator(choose(lang))("screen." + problem)
        print(f"tandem-agent: {text}", file=sys.stderr, flush=True)
        if ui is not None:
            ui.tell(text)
    return problem or "ok"


def _stop_on_signals(link) -> None:
    """Ctrl+C and SIGTERM end the agent cleanly, on every platform
    (`loop.add_signal_handler` exists on POSIX only)."""
    if threading.current_thread() is not threading.main_thread():
        return  # the windows own the main thread, and its signal handlers stop the agent
    loop = asyncio.get_running_loop()

    def handler(signum, frame) -> None:
        loop.call_soon_threadsafe(link.stop)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, handler)


def _attach_optional(link, sharing, args) -> None:
    """WebRTC and files live in their own modules; each exposes attach()."""
    for name, kwargs in (("webrtc", {"sharing": sharing}),
                         ("files", {"folders": args.share_folder, "consent": sharing.consent})):
        try:
            module = __import__(f"agent.{name}", fromlist=["attach"])
        except ImportError as exc:
            log.debug("agent.%s not available: %s", name, exc)
            continue
        attach = getattr(module, "attach", None)
        if attach is not None:
            try:
                attach(link, **kwargs)
            except Exception:
                log.exception("agent.%s.attach failed", name)


async def _control_server(link, sharing) -> asyncio.AbstractServer:
    from .platform import channel

    async def handle(words: list[str]) -> dict:
        if words and words[0] == "stop":
            reply: dict = {"revoked": await sharing.stop_all()}
            if "quit" in words:
                link.stop()
            return reply
        if words and words[0] == "status":
            return {"session": link.session, "pid": link.me, "connected": link.connected,
                    "sharing": [{"activity": s.id, "kind": s.kind, "scope": s.scope,
                                 "frames": s.frames_sent} for s in sharing.shares.values()]}
        return {"error": "unknown command"}

    return await channel.serve(pairing.control_path(), handle)


def _control_client(command: str) -> int:
    from .platform import channel
    try:
        reply = channel.request(pairing.control_path(), command)
    except channel.ChannelError as exc:
        print(f"tandem-agent: {exc}", file=sys.stderr)
        return 1
    if "revoked" in reply:
        print(f"stopped: revoked {len(reply['revoked'])} grant(s) {reply['revoked']}")
    else:
        print(json.dumps(reply, indent=1))
    return 0 if "error" not in reply else 1
