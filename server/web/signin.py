"""Rep sign-in, shared by the REST API and the pages: password check with
limits per account and address and per address, and reading who is signed in."""

from __future__ import annotations

from starlette.requests import HTTPConnection

from ..auth import BadToken, hash_password, hash_password_off_loop, needs_rehash, verify_password_off_loop
from ..relay import Relay
from ..store import Account
from .origins import cookie_may_authenticate

COOKIE = "tandem_rep"
_DUMMY_HASH = hash_password("not a real password")


class SignInError(Exception):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def client_address(conn: HTTPConnection) -> str:
    return conn.client.host if conn.client else "unknown"


async def sign_in(relay: Relay, email: str, password: str, address: str) -> tuple[Account, str]:
    """Check a rep's password; returns the account and a sign-in token.

    Wrong passwords slow down this email *from this address* (`Backoff`: a few
    free tries, then a delay that doubles), so nobody elsewhere can lock the
    owner out; every attempt also counts against the address, whatever the
    email (`RateLimiter`), which stops one address trying many accounts."""
    email = email.strip().lower()
    pair = f"{email}\x00{address}"
    wait = await relay.signin_wait(pair, address)
    if wait:
        await relay.store.audit("signin.limited", actor=address, data={"email": email})
        raise SignInError(f"too many sign-in attempts; try again in {int(wait) + 1} s", wait)
    account = await relay.store.get_account_by_email(email)
    # the same cost whether or not the account exists
    matches = await verify_password_off_loop(_DUMMY_HASH if account is None else account.password_hash, password)
    if account is None or not account.active or not matches:
        await relay.signin_failed(pair)
        await relay.store.audit("signin.failed", actor=address, data={"email": email})
        raise SignInError("wrong email or password")
    if needs_rehash(account.password_hash):
        account = await relay.store.update_account(account.id, password_hash=await hash_password_off_loop(password))
    await relay.signin_succeeded(pair)
    await relay.store.audit("signin", actor=f"rep:{account.id}", data={"address": address})
    return account, relay.tokens.rep(account.id, account.token_version)


async def current_account(conn: HTTPConnection) -> Account | None:
    """The signed-in rep: a Bearer token (API) or the sign-in cookie (pages)."""
    relay: Relay = conn.app.state.relay
    header = conn.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        token = header[7:]
    else:
        token = conn.cookies.get(COOKIE)
        if token and not cookie_may_authenticate(conn, relay.settings):
            return None  # a change that may come from another site's page: the cookie does not count
    if not token:
        return None
    try:
        claim = relay.tokens.read_rep(token, relay.settings.rep_token_ttl)
    except BadToken:
        return None
    account = await relay.store.get_account(claim.account_id)
    return account if account and account.active and account.token_version == claim.version else None


def revocation_channel(account_id: int) -> str:
    """The broker channel that says an account's tokens were revoked: each
    payload is the new token version. Every node's sockets of that account
    listen (server/web/ws.py) and close when their token is older."""
    return f"revoked:{account_id}"


async def revoke_tokens(relay: Relay, account_id: int) -> Account:
    """Refuse every rep token issued to the account so far (a password change,
    a deactivation), and close its open sockets on every node."""
    account = await relay.store.revoke_tokens(account_id)
    await relay.broker.publish(revocation_channel(account_id), str(account.token_version))
    return account
