"""Control: the rep asks for control in the viewer; a denied request changes
nothing; once the customer allows, the rep's typing and click reach the
customer's page; Stop in the customer's banner ends control at once."""

import pytest
from playwright.sync_api import expect

from e2e.cobrowse import (  # noqa: F401
    TIMEOUT,
    accept_next,
    ask_for_help,
    click_replayed,
    relay_refuses_control,
    replay_frame,
    routed_customer,
    serve_form_page,
    sign_in,
    viewer_session,
    widget,
)

pytestmark = pytest.mark.cobrowse


def test_denied_then_approved_control_and_stop(relay, rep_browser, routed_customer):  # noqa: F811
    queue = relay.make_queue("Accounts")
    email, password = relay.make_rep("Rita", queue_rep=True, queues=[queue])
    token = relay.signin(email, password)
    panel = sign_in(rep_browser, relay, email, password)

    customer = routed_customer.new_page()
    customer.goto(serve_form_page(routed_customer, relay.base, queue))
    ask_for_help(customer)
    viewer = accept_next(rep_browser, panel)
    session = viewer_session(viewer)
    replay = replay_frame(viewer)
    expect(replay.locator("#plain")).to_have_text("visible-marker", timeout=TIMEOUT)
    layer = viewer.locator("#control-layer")
    status = viewer.locator("#viewer-status")
    prompt = widget(customer).locator(".grant-prompt")

    # The rep asks for control; the customer denies: the viewer stays view-only.
    viewer.locator("#request-control").click()
    expect(prompt).to_contain_text("asks to control this page", timeout=TIMEOUT)
    prompt.locator("button.deny").click()
    expect(prompt).to_have_count(0, timeout=TIMEOUT)
    expect(status).to_have_attribute("data-state", "live")
    expect(layer).to_have_attribute("data-control", "off")
    expect(viewer.locator("#stop-control")).to_be_hidden()
    expect(viewer.locator("#request-control")).to_be_visible()
    expect(widget(customer).locator(".banner")).not_to_contain_text("controlled")
    # Clicking the replayed field does nothing: no typing overlay, the page is untouched.
    click_replayed(viewer, "#name")
    expect(viewer.locator(".control-editor")).to_have_count(0)
    assert relay_refuses_control(relay, token, session), "the relay accepted control without a grant"
    expect(customer.locator("#name")).to_have_value("")

    # The rep asks again; this time the customer allows it.
    viewer.locator("#request-control").click()
    expect(prompt).to_contain_text("asks to control this page", timeout=TIMEOUT)
    prompt.locator("button.approve").click()
    expect(status).to_have_attribute("data-state", "control", timeout=TIMEOUT)
    expect(layer).to_have_attribute("data-control", "on")
    expect(viewer.locator("#stop-control")).to_be_visible()
    expect(viewer.locator("#request-control")).to_be_hidden()
    banner = widget(customer).locator(".banner").filter(has_text="controlled")
    expect(banner).to_contain_text("being controlled by Rita", timeout=TIMEOUT)
    # one banner (control says it is viewed too), and it leaves the page's top (its navigation) free
    expect(widget(customer).locator(".banner")).to_have_count(1)
    box, height = banner.bounding_box(), customer.viewport_size["height"]
    assert box["y"] > height / 2, (box, height)

    # The rep types into the customer's Name field through the viewer...
    click_replayed(viewer, "#name")
    editor = viewer.locator(".control-editor")
    expect(editor).to_be_focused(timeout=TIMEOUT)
    viewer.keyboard.type("Ada")
    expect(customer.locator("#name")).to_have_value("Ada", timeout=TIMEOUT)
    expect(customer.locator("#greeting")).to_have_text("Hello Ada", timeout=TIMEOUT)
    # ... and clicks its button: the page counts the click.
    click_replayed(viewer, "#go")
    expect(customer.locator("#count")).to_have_text("1", timeout=TIMEOUT)
    # The customer's page changes reach the rep's replay.
    expect(replay.locator("#greeting")).to_have_text("Hello Ada", timeout=TIMEOUT)
    expect(replay.locator("#count")).to_have_text("1", timeout=TIMEOUT)

    # The customer presses Stop in the banner: control ends at once, view goes on.
    banner.locator("button.stop").click()
    expect(banner).to_have_count(0, timeout=TIMEOUT)
    expect(status).to_have_attribute("data-state", "live", timeout=TIMEOUT)
    expect(layer).to_have_attribute("data-control", "off")
    expect(viewer.locator("#stop-control")).to_be_hidden()
    expect(viewer.locator("#request-control")).to_be_visible()
    expect(widget(customer).locator(".banner")).to_contain_text("being viewed by Rita")
    assert relay_refuses_control(relay, token, session), "the relay still accepts control after Stop"
    click_replayed(viewer, "#go")
    expect(viewer.locator(".control-editor")).to_have_count(0)
    expect(customer.locator("#count")).to_have_text("1")
