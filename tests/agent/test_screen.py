"""A Support Manager that cannot see the screen (a Wayland desktop) says so to
the customer, in their language, and to the rep, instead of sharing black."""

from __future__ import annotations

from .conftest import wait_for
from .test_support_manager_file import ERROR_RED, button


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


def test_on_wayland_the_support_managers_window_says_why_in_the_customers_language(scene):
    """A customer who double-clicked the Support Manager has no terminal: its
    own window says why nothing can be shown, in red, in their language."""
    wid = scene.join_from_window(XDG_SESSION_TYPE="wayland", LANGUAGE="da")
    wait_for(lambda: button(scene.x, wid, ERROR_RED), what="the reason in red in the Support Manager's window")
    assert "Dette skrivebord kører Wayland" in scene.agent_log.read_text(encoding="utf-8")
