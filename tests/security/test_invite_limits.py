"""Invite links (server/web/pages.py ``POST /invite/TOKEN``): joining through a
customer's invite link counts against the caller's address like joining by
number, so one address cannot fill a session with made-up customers and
leave the real invitee outside. Tested on a relay process, the attacker and
the invitee on two loopback addresses."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.security.test_signin_limits import client_from
from tests.test_resume import WsPeer, close_peers, sign_in  # noqa: F401 (fixture)

pytestmark = pytest.mark.anyio

FLOOD = 15


def csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def join_by_invite(http: httpx.Client, link: str, name: str) -> httpx.Response:
    """What a browser does: open the invite page, then post its form."""
    page = http.get(link)
    assert page.status_code == 200, page.text
    return http.post(link, data={"csrf": csrf(page.text), "name": name}, follow_redirects=False)


async def session_with_invite(base: str, ws_url: str) -> tuple[WsPeer, dict]:
    """The admin (room for many customers) starts a session; its state has the invite link."""
    admin = await sign_in(base)
    async with httpx.AsyncClient(base_url=base, trust_env=False) as http:
        me = (await http.get("/api/me", headers={"Authorization": f"Bearer {admin}"})).json()
        r = await http.patch(f"/api/admin/reps/{me['id']}", headers={"Authorization": f"Bearer {admin}"},
                             json={"max_customers": 50})
        assert r.status_code == 200, r.text
    rep = await WsPeer.open(ws_url, admin)
    await rep.send("start_session")
    return rep, await rep.expect("session_state", where=lambda m: bool(m.get("join_link")))


async def test_one_address_cannot_fill_a_session_through_its_invite_link(live_relay):
    rep, state = await session_with_invite(live_relay.base, live_relay.ws_url)
    link = state["join_link"]
    with client_from(live_relay, "127.0.0.2") as attacker:
        attacker.headers["Accept-Language"] = "da"
        answers = [join_by_invite(attacker, link, f"Fake {i}") for i in range(FLOOD)]
    codes = [r.status_code for r in answers]
    print(f"{FLOOD} invite posts from one address: {codes}")
    assert 303 in codes and codes[-1] == 429, codes
    assert codes.count(303) <= 10  # TANDEM_JOIN_ATTEMPTS
    assert "Prøv igen om" in answers[-1].text  # said in the caller's language

    with client_from(live_relay, "127.0.0.1") as invitee:
        r = join_by_invite(invitee, link, "Real Customer")
        assert r.status_code == 303, r.text
        assert invitee.get(r.headers["location"]).status_code == 200
    seen = await rep.expect("session_state", where=lambda m: any(
        x["name"] == "Real Customer" for x in m["participants"]))
    assert sum(x["kind"] == "customer" for x in seen["participants"]) == codes.count(303) + 1
