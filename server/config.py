"""Settings, read once from the environment (`TANDEM_*`).

Every knob of the relay lives here so that tests can build a `Settings`
with other values and hand it to `create_app`.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, fields
from pathlib import Path

from .ice import check_turn, parse_ice_servers, parse_turn_urls

LOG_FORMATS = ("text", "json")
OFFICIAL_EXTENSION_ID = "bnmmlioojpcljadojigdoldfcjaipoip"
"""The id of the extension built from this repository: the "key" in
extension/static/manifest.json fixes it."""


def _var_dir(env: dict[str, str]) -> Path:
    return Path(env.get("TANDEM_VAR", "var"))


def _secret_key(env: dict[str, str], var: Path) -> str:
    """The signing key: from the environment, else kept in `var/secret_key` so
    that tokens and invite links survive a restart."""
    if env.get("TANDEM_SECRET_KEY"):
        return env["TANDEM_SECRET_KEY"]
    path = var / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


@dataclass
class Settings:
    var_dir: Path = Path("var")
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    database_url: str = "sqlite+aiosqlite:///var/tandem.db"
    broker_url: str = "memory://"
    public_url: str = "http://127.0.0.1:8000"
    allowed_origins: tuple[str, ...] = ()
    """Web origins (besides the relay's own and extensions) whose pages may open
    the WebSocket: the websites that embed the help snippet."""
    extension_ids: tuple[str, ...] = (OFFICIAL_EXTENSION_ID,)
    """Chrome extensions (by id) whose pages may open the WebSocket; no other
    ``chrome-extension://`` origin may."""
    extension_install_url: str = ""
    """Where customers get the Tandem extension (its Chrome Web Store listing,
    or the company's own install page), an http(s) address: a customer's
    session page links to it when they need the extension to show a tab;
    empty: no link, the page tells them to ask their support rep."""
    trusted_proxies: tuple[str, ...] = ()
    """Addresses or networks of the reverse proxies in front of the relay, whose
    ``X-Forwarded-For`` and ``X-Forwarded-Proto`` it believes; empty: none, the
    peer's own address counts (rate limits, audit)."""
    site_name: str = "Tandem"
    admin_email: str = "admin@localhost"
    admin_password: str | None = field(default=None, repr=False)

    smtp_host: str | None = None
    """The SMTP server invitations go through; None (the default): no mail
    server, and mail is kept in the outbox (``var_dir / "outbox"``), which
    admins read at /admin/outbox."""
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_starttls: bool = False
    mail_from: str = "Tandem <tandem@localhost>"

    # lifetimes (seconds)
    rep_token_ttl: float = 12 * 3600
    invite_ttl: float = 24 * 3600
    resume_window: float = 120.0
    connect_grace: float = 30.0
    """Seconds a customer who asked for help has to connect their page; one who
    never does leaves the queue (TANDEM_CONNECT_GRACE)."""
    grant_timeout: float = 60.0
    """The default of the grant timeout policy (an admin may change it)."""

    # abuse limits: attempts per window (seconds)
    signin_attempts: int = 5
    signin_window: float = 300.0
    join_attempts: int = 10
    join_window: float = 60.0

    # HTTP limits (server/web/http_limits.py)
    max_body_bytes: int = 64 * 1024
    """A request body (JSON, a form) beyond this is refused with 413 while it is
    read; published files have ``max_file_bytes``."""
    header_timeout: float = 15.0
    """Seconds a client has to send a request's headers, from connecting (or
    from the previous response); a slower one is disconnected."""

    # wire limits
    max_message_bytes: int = 256 * 1024
    max_binary_bytes: int = 1024 * 1024
    messages_per_second: float = 200.0
    message_burst: int = 400
    frames_per_second: float = 4000.0
    """Binary frames (cobrowse, input, file chunks, screen tiles) have their own, larger budget."""
    frame_burst: int = 8000
    send_queue_depth: int = 256
    send_queue_bytes: int = 8 * 1024 * 1024
    ping_interval: float = 20.0
    """Seconds a WebSocket client may be silent before the relay pings it, and
    then has to answer before it is closed as gone (a laptop asleep, a cut
    network: a connection no longer there that TCP would keep for hours)."""
    heap_trim_interval: float = 10.0
    """Seconds between two returns of the C heap's free pages to the system
    (server/heap_trim.py; glibc only); 0: never."""
    fast_ws: bool = True
    """`/ws` on picows in front of the ASGI app (server/web/fastws.py) when the
    relay serves itself (``python -m server``); False: through the ASGI app."""
    history_messages: int = 512
    history_bytes: int = 1024 * 1024
    history_seconds: float = 150.0
    """Messages a channel keeps for a resume are at most this old (memory
    broker): at least `resume_window`, so a client back in time misses nothing;
    a page loaded later gets the state afresh. A message carrying a whole state
    (a queue board, the dashboard, one session's state) is kept only in its newest copy."""
    history_live_bytes: int = 16 * 1024
    """Cobrowse and input frames a channel keeps for a resume, apart from its
    messages (server/broker/memory.py: once past it, the oldest go until three
    quarters of it are left); older ones are skipped, and a viewer
    resuming past them starts from a fresh snapshot. A customer's input of
    10 s (5 frames a second) takes 3 KiB; a rep's cobrowse frames of several
    customers pass 16 KiB within a second under a busy page, and a snapshot
    after a drop costs less than keeping them: with thousands of sessions these
    histories are most of the relay's memory (BENCHMARKS.md, Capacity)."""
    history_live_seconds: float = 10.5
    """...and for at least this long, while the bytes allow (a 10-second network
    drop is replayed); frames past it go half a second later at most."""
    history_grace: float = 2.0
    """Seconds a payload stays in Redis past the history's bounds, up to
    ``send_queue_bytes`` in the channel (server/broker/redis.py): a node that
    fell behind for less than that (a long collection, a busy core) still
    reads it, and its clients' streams go on."""

    # published files (server/web/files.py)
    files_dir: Path | None = None
    """Where reps' published files are kept; None: ``var_dir / "files"`` (var/files)."""
    max_file_bytes: int = 200 * 1024 * 1024

    # the single-file Support Manager (server/web/download.py)
    agent_dist_dir: Path = Path("dist")
    """Where the builds served on /download are: ``make agent-dist`` writes
    ``dist/tandem-support-manager-<os>-<arch>[.exe]`` there; copy the Windows and
    macOS files the CI workflow builds next to it. Relative to the relay's working
    folder; read on every request."""

    # recordings (server/recording/recorder.py)
    recordings_dir: Path | None = None
    """Where session recordings are written; None: ``var_dir / "recordings"``."""
    retention_check_interval: float = 3600.0
    """Seconds between two sweeps for recordings past the retention policy."""

    # video and voice (WebRTC between browsers; the relay only signals)
    ice_servers: tuple[dict, ...] = ()
    """STUN/TURN servers handed to every client in ``welcome``; empty: host
    candidates only (enough on loopback and a LAN). See server/ice.py."""
    turn_urls: tuple[str, ...] = ()
    turn_secret: str | None = field(default=None, repr=False)
    """A TURN server sharing this secret with the relay (coturn's
    static-auth-secret): every connection gets credentials of its own."""
    turn_ttl: float = 86400.0
    """Seconds the TURN credentials of a ``welcome`` stay valid."""

    # operations (server/web/metrics.py, server/logs.py)
    metrics_token: str | None = field(default=None, repr=False)
    """A scraper sending ``Authorization: Bearer <token>`` may read ``/metrics``
    (admins may with their own sign-in); unset: admins only."""
    log_format: str = "text"
    """``text`` (one readable line per record) or ``json`` (one JSON object per line)."""

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Every field can be set as ``TANDEM_<FIELD>`` (``TANDEM_SMTP_PORT=2525``);
        ``TANDEM_ALLOWED_ORIGINS`` takes a comma-separated list."""
        env = dict(os.environ if env is None else env)
        var = _var_dir(env)
        s = cls(var_dir=var, secret_key=_secret_key(env, var))
        s.database_url = f"sqlite+aiosqlite:///{var}/tandem.db"
        for f in fields(cls):
            raw = env.get(f"TANDEM_{f.name.upper()}")
            if raw is None or f.name in ("var_dir", "secret_key"):
                continue
            current = getattr(s, f.name)
            if f.name in ("files_dir", "recordings_dir"):
                value = Path(raw) if raw else None
            elif f.name == "agent_dist_dir":
                value = Path(raw or "dist")
            elif f.name == "ice_servers":
                value = parse_ice_servers(raw)
            elif f.name == "turn_urls":
                value = parse_turn_urls(raw)
            elif isinstance(current, bool):
                value = raw.strip().lower() in ("1", "true", "yes", "on")
            elif isinstance(current, (int, float)) and not isinstance(current, bool):
                try:
                    value = type(current)(raw)
                except ValueError:
                    what = "a whole number" if isinstance(current, int) else "a number"
                    raise ValueError(f"TANDEM_{f.name.upper()} is {raw!r}; give {what}") from None
            elif isinstance(current, tuple):
                value = tuple(x.strip().rstrip("/") for x in raw.split(",") if x.strip())
            else:
                value = raw or None if f.name.startswith("smtp_") or f.name in ("admin_password", "metrics_token") else raw
            setattr(s, f.name, value)
        s.public_url = s.public_url.rstrip("/")
        s.turn_secret = s.turn_secret or None
        s.extension_install_url = s.extension_install_url.strip()
        if s.extension_install_url and not s.extension_install_url.startswith(("https://", "http://")):
            raise ValueError(f"TANDEM_EXTENSION_INSTALL_URL is {s.extension_install_url!r}; give an http(s) address")
        s.log_format = s.log_format.strip().lower()
        if s.log_format not in LOG_FORMATS:
            raise ValueError(f"TANDEM_LOG_FORMAT is {s.log_format!r}; use one of: {', '.join(LOG_FORMATS)}")
        if s.history_seconds < s.resume_window:
            raise ValueError(f"TANDEM_HISTORY_SECONDS is {s.history_seconds:g}; a client may resume for "
                             f"TANDEM_RESUME_WINDOW ({s.resume_window:g}) seconds, so keep messages at least that long")
        if not s.history_grace >= 0:
            raise ValueError(f"TANDEM_HISTORY_GRACE is {s.history_grace:g}; give seconds, or 0 for none")
        if not s.ping_interval > 0:
            raise ValueError(f"TANDEM_PING_INTERVAL is {s.ping_interval:g}; give a positive number of seconds")
        if not s.heap_trim_interval >= 0:
            raise ValueError(f"TANDEM_HEAP_TRIM_INTERVAL is {s.heap_trim_interval:g}; give seconds, or 0 for never")
        check_turn(s.turn_urls, s.turn_secret, s.turn_ttl)
        return s
