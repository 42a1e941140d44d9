"""STUN and TURN servers for WebRTC (video and voice between browsers, the
agent's desktop video), handed to every client in its ``welcome``.

Two ways to configure them, together or apart:

- ``TANDEM_ICE_SERVERS``: a JSON list of the standard's RTCIceServer
  (``urls``, ``username``, ``credential``), given to everyone as written.
- ``TANDEM_TURN_URLS`` + ``TANDEM_TURN_SECRET``: a TURN server that shares a
  secret with the relay (coturn's ``use-auth-secret`` /
  ``static-auth-secret``, the "TURN REST API" scheme). Every connection gets
  credentials of its own that expire after ``TANDEM_TURN_TTL`` seconds:
  username ``<expiry unix time>:<who>``, credential
  ``base64(HMAC-SHA1(secret, username))``. Nothing long-lived reaches a
  customer's browser.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

ICE_SCHEMES = ("stun:", "turn:", "turns:")
TURN_SCHEMES = ("turn:", "turns:")


def parse_ice_servers(text: str) -> tuple[dict, ...]:
    """``TANDEM_ICE_SERVERS``: a JSON list of ``{"urls", "username"?,
    "credential"?}``. Raises ValueError saying what is wrong."""
    if not text.strip():
        return ()
    try:
        items = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"TANDEM_ICE_SERVERS is not valid JSON: {exc}") from None
    if not isinstance(items, list):
        raise ValueError("TANDEM_ICE_SERVERS must be a JSON list of {urls, username, credential} objects")
    servers = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or set(item) - {"urls", "username", "credential"}:
            raise ValueError(f"TANDEM_ICE_SERVERS[{i}] must be an object with urls, username, credential only")
        urls = item.get("urls")
        listed = [urls] if isinstance(urls, str) else urls
        if not listed or not isinstance(listed, list) or not all(
                isinstance(u, str) and u.startswith(ICE_SCHEMES) for u in listed):
            raise ValueError(f"TANDEM_ICE_SERVERS[{i}].urls must be stun:, turn: or turns: URLs")
        for key in ("username", "credential"):
            if key in item and not isinstance(item[key], str):
                raise ValueError(f"TANDEM_ICE_SERVERS[{i}].{key} must be a string")
        servers.append(dict(item))
    return tuple(servers)


def parse_turn_urls(text: str) -> tuple[str, ...]:
    """``TANDEM_TURN_URLS``: comma-separated turn: or turns: URLs."""
    urls = tuple(u.strip() for u in text.split(",") if u.strip())
    for u in urls:
        if not u.startswith(TURN_SCHEMES):
            raise ValueError(f"TANDEM_TURN_URLS: {u!r} is not a turn: or turns: URL")
    return urls


def check_turn(urls: tuple[str, ...], secret: str | None, ttl: float) -> None:
    """Both or neither of the URLs and the secret, and a positive lifetime."""
    if urls and not secret:
        raise ValueError("TANDEM_TURN_URLS needs TANDEM_TURN_SECRET (the TURN server's static-auth-secret)")
    if secret and not urls:
        raise ValueError("TANDEM_TURN_SECRET needs TANDEM_TURN_URLS (where the TURN server listens)")
    if ttl <= 0:
        raise ValueError("TANDEM_TURN_TTL must be a positive number of seconds")


def turn_credentials(secret: str, who: str, now: float, ttl: float) -> tuple[str, str]:
    """(username, credential) valid until ``now + ttl`` for a TURN server
    configured with ``static-auth-secret=secret``."""
    username = f"{int(now + ttl)}:{who}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def ice_servers_for(settings, who: str, now: float) -> list[dict]:
    """What one connection's ``welcome`` carries: the configured servers,
    then the TURN server with credentials for ``who`` (an opaque id)."""
    servers = [dict(s) for s in settings.ice_servers]
    if settings.turn_urls and settings.turn_secret:
        username, credential = turn_credentials(settings.turn_secret, who, now, settings.turn_ttl)
        servers.append({"urls": list(settings.turn_urls), "username": username, "credential": credential})
    return servers
