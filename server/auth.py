"""Passwords and signed tokens.

Reps and admins sign in with a password (argon2id hashes). After that, and
for everyone who never signs in, access is a signed token:

- a **rep token** names an account and its token version; the relay issues it
  at sign-in and reads it on every request (`Tokens.rep` / `Tokens.read_rep`),
  refusing it once the account's version has moved on (a password change,
  a deactivation);
- a **capability** lets its holder act in one session as one participant with
  one role; customers hold nothing else (`Tokens.capability`);
- an **invite** is the signed, expiring part of a join link
  (`Tokens.invite`);
- a **form field** is the CSRF field of a page's forms, bound to the browser's
  CSRF cookie and its sign-in cookie (`Tokens.form`).

Each purpose signs with its own salt, so a token of one kind is never
accepted as another. Tokens are signed, not encrypted: never put secrets in them.

A password's hash or check costs argon2's work (64 MiB, three passes: 50 to
160 ms of a CPU here). The relay's requests do it off the event loop
(`hash_password_off_loop`, `verify_password_off_loop`), in two threads at
most (argon2 releases the GIL), of a lower priority than the loop's on Linux:
on the loop, every rep signing in would hold up every session's frames for
that long.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import secrets
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadData, SignatureExpired, Signer, URLSafeTimedSerializer

INVITEES = ("customer", "rep")

_hasher = PasswordHasher()

PASSWORD_THREAD_NICENESS = 10
"""How much lower than the relay's own the password threads' priority is
(Linux): where the relay has one CPU, its event loop goes first."""


def _lower_priority() -> None:
    """Run in each password thread as it starts. Linux gives each thread its
    own priority (elsewhere setpriority would lower the whole process)."""
    if sys.platform.startswith("linux"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(),
                           os.getpriority(os.PRIO_PROCESS, 0) + PASSWORD_THREAD_NICENESS)
        except OSError:
            pass  # not allowed here (a sandbox): the threads keep the relay's priority


_password_threads = ThreadPoolExecutor(max_workers=2, thread_name_prefix="tandem-argon2", initializer=_lower_priority)
"""Where requests hash and check passwords: two at a time bounds argon2's
memory (64 MiB each) and its share of the CPUs when many sign in at once."""

# no 0/O, 1/l/I: easy to read out over the phone and type from a printout
_READABLE = "abcdefghjkmnpqrstuvwxyz23456789"


class RepClaim(NamedTuple):
    """What a rep token says: whose it is, issued at which token version."""

    account_id: int
    version: int


class BadToken(Exception):
    """The token is forged, damaged, of another kind, or expired."""


class TokenExpired(BadToken):
    """The token was genuine but is older than allowed (e.g. an old invite link)."""


# passwords ----------------------------------------------------------------


def hash_password(password: str) -> str:
    """Hash `password` for storing in `Account.password_hash`."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when `password` matches `password_hash`. Never raises: a wrong
    password, an empty or corrupt hash all give False."""
    if not isinstance(password_hash, str) or not isinstance(password, str) or not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def hash_password_off_loop(password: str) -> str:
    """`hash_password` in a password thread: the event loop goes on meanwhile."""
    return await asyncio.get_running_loop().run_in_executor(_password_threads, hash_password, password)


async def verify_password_off_loop(password_hash: str, password: str) -> bool:
    """`verify_password` in a password thread: the event loop goes on meanwhile."""
    return await asyncio.get_running_loop().run_in_executor(_password_threads, verify_password, password_hash,
                                                            password)


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's (or is
    not a valid argon2 hash). Call after a successful `verify_password` and
    store `hash_password(password)` if so."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True


def generate_password() -> str:
    """A random password that is easy to read and type, e.g. ``k7mq-x3pa-9dte-hw2r``
    (16 random characters, about 79 bits). For first admin accounts and resets."""
    chars = "".join(secrets.choice(_READABLE) for _ in range(16))
    return "-".join(chars[i : i + 4] for i in range(0, 16, 4))


# tokens -------------------------------------------------------------------


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)



class Tokens:
    """Issues and reads signed tokens with `secret_key` (``Settings.secret_key``).

    ``read_*`` methods return what was signed or raise `BadToken`
    (`TokenExpired` when only the age is wrong). `max_age` is in seconds;
    ``None`` means no expiry check.
    """

    def __init__(self, secret_key: str) -> None:
        if not secret_key:
            raise ValueError("a secret key is required")
        self._rep = URLSafeTimedSerializer(secret_key, salt="tandem.rep")
        self._capability = URLSafeTimedSerializer(secret_key, salt="tandem.capability")
        self._invite = URLSafeTimedSerializer(secret_key, salt="tandem.invite")
        self._form = Signer(secret_key, salt="tandem.form", digest_method=hashlib.sha256)

    @staticmethod
    def _load(serializer: URLSafeTimedSerializer, token: str, max_age: float | None) -> Any:
        if not isinstance(token, str) or not token:
            raise BadToken("no token")
        try:
            return serializer.loads(token, max_age=max_age)
        except SignatureExpired as exc:
            raise TokenExpired(str(exc)) from None
        except BadData as exc:  # bad signature, bad payload, bad timestamp
            raise BadToken(str(exc)) from None

    @staticmethod
    def _strings(value: Any, n: int) -> tuple[str, ...]:
        if not isinstance(value, list) or len(value) != n or not all(isinstance(v, str) for v in value):
            raise BadToken("unexpected token payload")
        return tuple(value)

    # reps

    def rep(self, account_id: int, version: int = 0) -> str:
        """A token naming `account_id` at its token `version`
        (``Account.token_version``); give it to the rep at sign-in."""
        return self._rep.dumps([int(account_id), int(version)])

    def read_rep(self, token: str, max_age: float | None) -> RepClaim:
        """Who a rep token names, and at which token version
        (``Settings.rep_token_ttl`` as max_age); the caller compares the
        version with the account's."""
        value = self._load(self._rep, token, max_age)
        if _is_int(value):  # issued before token versions: version 0
            return RepClaim(value, 0)
        if not isinstance(value, list) or len(value) != 2 or not all(_is_int(v) for v in value):
            raise BadToken("unexpected token payload")
        return RepClaim(*value)

    # capabilities

    def capability(self, session_id: str, pid: str, role: str) -> str:
        """A token letting its holder act as participant `pid` with `role` in
        `session_id`, and nothing else; given to customers when they join."""
        return self._capability.dumps([session_id, pid, role])

    def read_capability(self, token: str, max_age: float | None = None) -> tuple[str, str, str]:
        """``(session_id, pid, role)``; the caller still checks the session is live."""
        return self._strings(self._load(self._capability, token, max_age), 3)  # type: ignore[return-value]

    # invites

    def invite(self, session_id: str, number: str, invitee: str) -> str:
        """The signed part of a join link for a ``'customer'`` or a ``'rep'``
        (who joins as assistant)."""
        if invitee not in INVITEES:
            raise ValueError(f"invitee must be one of {INVITEES}: {invitee!r}")
        return self._invite.dumps([session_id, number, invitee])

    def read_invite(self, token: str, max_age: float | None) -> tuple[str, str, str]:
        """``(session_id, number, invitee)`` (``Settings.invite_ttl`` as max_age)."""
        value = self._strings(self._load(self._invite, token, max_age), 3)
        if value[2] not in INVITEES:
            raise BadToken("unexpected token payload")
        return value  # type: ignore[return-value]

    # forms

    def form(self, nonce: str, session: str) -> str:
        """The CSRF field of a page's forms for a browser whose CSRF cookie is
        `nonce` and whose sign-in cookie is `session` ("" when signed out).
        Bound to both, so a CSRF cookie planted by another site together with a
        field the attacker fetched for themselves does not pass for a signed-in
        rep (the plain double-submit check would)."""
        return self._form.get_signature(f"{nonce}\x00{session}").decode()

    def check_form(self, field: str, nonce: str, session: str) -> bool:
        """True when `field` is `form(nonce, session)`; compared in constant time."""
        if not isinstance(field, str) or not nonce:
            return False
        return hmac.compare_digest(field.encode(), self.form(nonce, session).encode())
