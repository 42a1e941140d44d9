"""A Support Manager that cannot see the screen (a Wayland desktop) says so to
the customer, in their language, and to the rep, instead of sharing black."""

from __future__ import annotations

from .conftest import wait_for


def test_on_wayland_the_rep_and_the_customer_are_told_and_no_black_picture_is_shared(scene, xcalc):
    scene.start_agent(env={"XDG_SESSION_TYPE": "wayland", "LANGUAGE": "da"})
    st = scene.rep.now(lambda m: any(p["kind"] == "agent" and p.get("screen") for p in m["participants"]))
    assert [p["screen"] for p in st["participants"] if p["kind"] == "agent"] == ["wayland"]
    # the customer's page learns it of their own Support Manager (and says so in their language)
    scene.customer.state(lambda m: any(p["kind"] == "agent" and p["owner"] == m["you"] and p.get("screen") == "wayland"
                                       for p in m["participants"]))

    seq = scene.rep.send("request_grant", session=scene.session, kind="view", scope="desktop")
    err = scene.rep.expect("error", lambda m: m.get("ref") == seq)
    assert err["code"] == "not_allowed" and "Wayland" in err["message"] and "X11" in err["message"]
    scene.rep.drain(0.5)
    assert not scene.rep.frames  # nothing was shared
    # the customer, on the machine, reads why in their own language
    wait_for(lambda: "Wayland" in scene.agent_log.read_text(encoding="utf-8"), what="the agent to say why")
    assert "Dette skrivebord kører Wayland" in scene.agent_log.read_text(encoding="utf-8")
