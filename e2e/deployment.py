"""What the chosen suites need, checked once before the first test, each
missing thing in one sentence that says what to set.

`check_deployment` is for ``--base-url`` runs: the relay answers, the admin's
credentials are given and right, and the relay lets the test pages (served on
the relay's own address, as the demo shop is) open its WebSocket.
`check_agent_tools` is for the ``agent`` suites, which run the Support Manager
on this machine under Xvfb.
"""

from __future__ import annotations

import importlib.util
import shutil
from urllib.parse import urlsplit

import httpx
from websockets.exceptions import InvalidStatus, WebSocketException
from websockets.sync.client import connect

from e2e.relay import TOKENS, patient_client

AGENT_TOOLS = ("Xvfb", "xcalc", "xdotool", "openbox")
AGENT_MODULES = ("mss", "pynput", "aiortc", "Xlib")


def check_deployment(base: str, admin_email: str, admin_password: str | None) -> str | None:
    """None when the relay at `base` can run the suites; else what is wrong."""
    if not admin_password:
        return (f"TANDEM_E2E_ADMIN_PASSWORD is not set: the suites sign in as the relay's admin "
                f"({admin_email}; TANDEM_E2E_ADMIN_EMAIL for another) to create their reps and queues")
    with patient_client(base) as http:
        try:
            r = http.post("/api/signin", json={"email": admin_email, "password": admin_password})
        except httpx.HTTPError as exc:
            return f"cannot reach the relay at {base}: {exc}"
        if r.status_code == 401:
            return (f"the relay at {base} refused the admin's sign-in ({admin_email}): check "
                    "TANDEM_E2E_ADMIN_EMAIL and TANDEM_E2E_ADMIN_PASSWORD")
        if r.status_code != 200:
            return f"the relay at {base} answered {r.status_code} to the admin's sign-in: {r.text[:200]}"
        if not r.json()["account"]["is_admin"]:
            return f"{admin_email} is not an admin of the relay at {base}: the suites need one"
        TOKENS[(base.rstrip("/"), admin_email, admin_password)] = (r.json()["token"], r.json()["account"])
    origin = _origin(base)
    try:
        with connect(base.replace("http", "ws", 1) + "/ws", origin=origin, open_timeout=15):
            pass
    except InvalidStatus:
        return (f"the relay at {base} refuses WebSockets from {origin}, where the suites' test pages are: "
                f"its TANDEM_PUBLIC_URL should be {origin} (or TANDEM_ALLOWED_ORIGINS include it)")
    except (OSError, WebSocketException) as exc:
        return f"cannot open the relay's WebSocket at {base}/ws: {exc}"
    return None


def check_agent_tools() -> str | None:
    """None when the Support Manager can run here under Xvfb; else what is missing."""
    tools = [t for t in AGENT_TOOLS if shutil.which(t) is None]
    modules = [m for m in AGENT_MODULES if importlib.util.find_spec(m) is None]
    if not tools and not modules:
        return None
    missing = ", ".join([*tools, *(f"Python module {m}" for m in modules)])
    return (f"the agent suites run the Support Manager on this machine under Xvfb, and {missing} "
            "is missing (make system-tools and the agent extra install them)")


def _origin(base: str) -> str:
    parts = urlsplit(base)
    return f"{parts.scheme}://{parts.netloc}"
