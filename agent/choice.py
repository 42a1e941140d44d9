"""Which application window each application grant shares: the customer's
choice in the Support Manager's window (`agent.picker`), asked as soon as
the grant is requested.

For a request grant (the rep asks for the customer's application), picking
a window approves the grant from this machine and Cancel denies it; if the
customer allowed it in their page first, nothing is shown until they pick,
and Cancel revokes it. For a share grant (a rep shows one of their own
applications), the rep picks on their machine, and Cancel withdraws it.
``--window TITLE`` (scripts) skips the question.
"""

from __future__ import annotations

import asyncio
import logging

from .i18n import choose, translator
from .picker import Picker
from .platform import backend
from .platform.window import Window

log = logging.getLogger("agent.choice")

LIVE = ("pending", "approved")


class WindowChoice:
    def __init__(self, link, window_title: str | None = None, ui=None, lang: str | None = None) -> None:
        self.link = link
        self.ui = ui
        self.window_title = window_title
        self.text = translator(choose(lang))  # the customer's language
        self.chosen: dict[int, Window] = {}
        self._pickers: dict[int, Picker] = {}
        self._changed = asyncio.Event()

    def mine(self, state: dict) -> list[dict]:
        """Live application grants whose window this agent shows."""
        me = self.link.me
        owner = next((x.get("owner") for x in state.get("participants", []) if x["pid"] == me), None)
        return [g for g in state.get("grants", [])
                if g["scope"] == "application" and g["kind"] in ("view", "control") and g["state"] in LIVE
                and owner is not None
                and (g["grantor"] if g["direction"] == "request" else g["requester"]) == owner]

    def sync(self, state: dict) -> None:
        """Ask for each new grant; forget the ones that ended."""
        grants = {g["id"]: g for g in self.mine(state)}
        for gid in [g for g in self._pickers if g not in grants]:
            self._pickers.pop(gid).close()
        for gid in [g for g in self.chosen if g not in grants]:
            del self.chosen[gid]
        if self.window_title is not None:
            return
        names = {x["pid"]: x["name"] for x in state.get("participants", [])}
        for gid, g in grants.items():
            if gid not in self._pickers and gid not in self.chosen:
                who = names.get(g["requester"] if g["direction"] == "request" else g["grantor"], "")
                picker = Picker(self.ui, backend().windows.list_windows(icons=True), self.text, who)
                self._pickers[gid] = picker
                asyncio.ensure_future(self._ask(g, picker))

    async def _ask(self, grant: dict, picker: Picker) -> None:
        gid = grant["id"]
        window = await picker.choose()
        if self._pickers.get(gid) is not picker:
            return  # the request ended while the list was up
        del self._pickers[gid]
        current = self.link.grant(gid) or grant
        pending = current["state"] == "pending"
        session = self.link.session
        if window is None:
            log.info("grant %d: no window chosen", gid)
            if pending and grant["direction"] == "request":
                await self.link.send("decide_grant", session=session, grant=gid, approve=False)
            else:
                await self.link.send("revoke_grant", session=session, grant=gid)
            return
        log.info("grant %d: the customer chose %r", gid, window.title)
        self.chosen[gid] = window
        self._changed.set()
        if pending and grant["direction"] == "request":
            await self.link.send("decide_grant", session=session, grant=gid, approve=True)

    def window_for(self, grant_id: int | None) -> Window | None:
        """The window to share for a grant: the chosen one, or by --window title."""
        if self.window_title is not None:
            return backend().windows.find_window(self.window_title)
        return self.chosen.get(grant_id)

    async def wait(self, timeout: float) -> None:
        """Until a choice was made, or ``timeout``."""
        self._changed.clear()
        try:
            await asyncio.wait_for(self._changed.wait(), timeout)
        except TimeoutError:
            pass
