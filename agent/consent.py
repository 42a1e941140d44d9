"""The customer's machine has the last word: before the first control grant
and the first file grant of a session, the Support Manager asks the person
at the machine in its own window, so a relay alone (a compromised one, or a
forged approval) cannot take their desktop or their files. The session
page's Allow stays; this is the second key.

Until the person allows it, no remote input is applied and no file request
is served; "Don't allow" ends the grant. ``--allow control,files`` (given on
this machine's own command line, for unattended machines and scripts) is the
person's consent in advance; the relay can never give it.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable

from .ui import UI, button, center, dialog

log = logging.getLogger("agent.consent")

KINDS = ("control", "files")


class Consent:
    def __init__(self, ui: UI | None, text: Callable[..., str], allowed: set[str] = frozenset()) -> None:
        self.ui = ui
        self.text = text
        self._allowed = set(allowed)
        self._asking: dict[str, asyncio.Future] = {}

    def allowed(self, kind: str) -> bool:
        return kind in self._allowed

    async def ask(self, kind: str, who: str, on_refused: Callable[[], Awaitable[None]]) -> bool:
        """Ask once per kind and session (asks in flight are shared): True
        when the person allows it; else ``on_refused()`` ends the grant."""
        if kind in self._allowed:
            return True
        pending = self._asking.get(kind)
        if pending is None:
            pending = self._asking[kind] = asyncio.ensure_future(self._ask(kind, who))
        ok = await asyncio.shield(pending)
        if self._asking.get(kind) is pending:
            del self._asking[kind]
        if ok:
            self._allowed.add(kind)
        else:
            await on_refused()
        return ok

    async def _ask(self, kind: str, who: str) -> bool:
        _ = self.text
        if self.ui is None:
            print(f"[tandem-agent] {_('consent.no_window', name=who)}", file=sys.stderr, flush=True)
            return False
        log.info("asking the person at this machine to allow %s by %s", kind, who)
        answer = await self.ui.ask(lambda root, done: self._build(root, done, kind, who))
        log.info("%s by %s: %s", kind, who, "allowed" if answer else "not allowed")
        return bool(answer)

    def _build(self, root, done, kind: str, who: str) -> None:
        _ = self.text
        top, _body, buttons = dialog(root, _("consent.title"), _(f"consent.{kind}.heading", name=who),
                                     _(f"consent.{kind}.text", name=who))

        def finish(ok: bool) -> None:
            done(ok)
            top.destroy()

        button(buttons, _("consent.allow"), lambda: finish(True))
        deny = button(buttons, _("consent.deny"), lambda: finish(False), default=True)
        top.bind("<Escape>", lambda event: finish(False))
        top.protocol("WM_DELETE_WINDOW", lambda: finish(False))
        deny.focus_set()  # Enter alone never gives a desktop away
        center(top)
