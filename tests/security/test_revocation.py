"""Revoking access (server/web/signin.py, server/web/ws.py, server/store): a rep's tokens
carry the account's token version, which a password change or deactivation
bumps; old tokens are refused from then on, and the relay closes that
account's open sockets at once. Tested over real sockets on a relay process."""

from __future__ import annotations

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from tests.test_resume import OPEN, TIMEOUT, WsPeer, close_peers, sign_in  # noqa: F401 (fixture)

pytestmark = pytest.mark.anyio


async def make_rep(base: str, admin: str, email: str) -> int:
    async with httpx.AsyncClient(base_url=base, trust_env=False) as http:
        r = await http.post("/api/admin/reps", headers={"Authorization": f"Bearer {admin}"},
                            json={"email": email, "name": "Rita", "password": "rep-password-1"})
        assert r.status_code == 201, r.text
        return r.json()["account"]["id"]


async def patch_rep(base: str, admin: str, rep: int, **fields) -> None:
    async with httpx.AsyncClient(base_url=base, trust_env=False) as http:
        r = await http.patch(f"/api/admin/reps/{rep}", headers={"Authorization": f"Bearer {admin}"}, json=fields)
        assert r.status_code == 200, r.text


async def me(base: str, token: str) -> int:
    async with httpx.AsyncClient(base_url=base, trust_env=False) as http:
        return (await http.get("/api/me", headers={"Authorization": f"Bearer {token}"})).status_code


async def closed_with(peer: WsPeer) -> tuple[list[dict], int | None]:
    """What the relay sent until it closed the socket, and the close code."""
    got = []
    try:
        while True:
            msg = await peer.next()
            if isinstance(msg, dict):
                got.append(msg)
    except ConnectionClosed as exc:
        return got, exc.rcvd.code if exc.rcvd else None


async def hello_refused(url: str, token: str) -> bool:
    try:
        await WsPeer.open(url, token)
    except AssertionError as exc:  # the first answer was not a welcome
        return "unauthorized" in str(exc)
    return False


async def test_a_deactivated_reps_open_socket_is_closed_at_once(live_relay):
    admin = await sign_in(live_relay.base)
    rita_id = await make_rep(live_relay.base, admin, "rita@example.com")
    rita = await WsPeer.open(live_relay.ws_url, await sign_in(live_relay.base, "rita@example.com", "rep-password-1"))
    await rita.send("start_session")
    sid = (await rita.expect("session_state"))["session"]
    await rita.send("chat", session=sid, text="before")
    await rita.expect("chat_message", text="before")

    await patch_rep(live_relay.base, admin, rita_id, active=False)
    got, code = await closed_with(rita)
    print(f"deactivated rep's socket got {[(m['type'], m.get('code')) for m in got]} then close {code}")
    assert [m.get("code") for m in got if m["type"] == "error"] == ["unauthorized"] and code == 4001
    with pytest.raises(ConnectionClosed):
        await rita.send("chat", session=sid, text="after")
        await rita.send("note", session=sid, text="after")
    async with httpx.AsyncClient(base_url=live_relay.base, trust_env=False) as http:
        record = (await http.get(f"/api/sessions/{sid}", headers={"Authorization": f"Bearer {admin}"})).json()
    assert [c["text"] for c in record["chat"]] == ["before"] and record["notes"] == []


async def test_a_password_change_revokes_old_tokens_and_sockets(live_relay):
    admin = await sign_in(live_relay.base)
    rita_id = await make_rep(live_relay.base, admin, "rita@example.com")
    old = await sign_in(live_relay.base, "rita@example.com", "rep-password-1")
    rita = await WsPeer.open(live_relay.ws_url, old)
    assert await me(live_relay.base, old) == 200

    await patch_rep(live_relay.base, admin, rita_id, password="new-password-2")
    _, code = await closed_with(rita)
    assert code == 4001
    assert await me(live_relay.base, old) == 401
    assert await hello_refused(live_relay.ws_url, old)
    new = await sign_in(live_relay.base, "rita@example.com", "new-password-2")
    assert await me(live_relay.base, new) == 200
    assert (await WsPeer.open(live_relay.ws_url, new)).welcome["account"]["id"] == rita_id


async def test_other_changes_keep_the_reps_tokens(live_relay):
    admin = await sign_in(live_relay.base)
    rita_id = await make_rep(live_relay.base, admin, "rita@example.com")
    token = await sign_in(live_relay.base, "rita@example.com", "rep-password-1")
    rita = await WsPeer.open(live_relay.ws_url, token)
    await patch_rep(live_relay.base, admin, rita_id, name="Rita R.", max_customers=3)
    assert await me(live_relay.base, token) == 200
    assert not [m for m in await rita.fence() if isinstance(m, dict) and m["type"] == "error"]


async def test_the_migration_gives_existing_accounts_a_token_version(tmp_path):
    """A database from before token versions (revision 0003) is upgraded in place."""
    from tests.conftest import database_at, opened_store

    url = database_at(tmp_path / "old.db", "0003",
                      "INSERT INTO accounts (email, email_key, name, password_hash, is_admin, queue_rep, "
                      "max_customers, multi_session, queues, active, created_at) VALUES "
                      "('a@b.c', 'a@b.c', 'A', 'x', 0, 0, 1, 0, '[]', 1, 0)")
    async with opened_store(url) as store:
        account = await store.get_account_by_email("a@b.c")
        assert account.token_version == 0
        assert (await store.revoke_tokens(account.id)).token_version == 1
        assert (await store.get_account(account.id)).token_version == 1
