"""Masking: what the customer types in a password field, a payment field or a
data-tandem-mask element never leaves their page: it is in no frame the relay
sends to the rep's viewer, and nowhere in the viewer's replay. The same holds
inside a same-origin iframe and an open shadow root (the React to-do app)."""

import pytest
from playwright.sync_api import expect

from e2e.cobrowse import (  # noqa: F401
    TIMEOUT,
    FrameRecorder,
    accept_next,
    ask_for_help,
    replay_frame,
    routed_customer,
    serve_form_page,
    sign_in_queue_rep,
)
from e2e.todo_app import FRAMED, FRAMED_TEXT, fill_masked_fields, todo_app, todo_session  # noqa: F401

pytestmark = pytest.mark.cobrowse

PASSWORD = "hunter2-SECRET"
CARD = "4111111111111111"
NOTE_TYPED = "typed-into-masked-note"
NOTE_TEXT = "MASKED-NOTE-TEXT"  # text of an element inside data-tandem-mask
SECRETS = [PASSWORD, CARD, NOTE_TYPED, NOTE_TEXT]
PLAIN = "plain-typing-ok"

REPLAY_VALUES = """() => {
    const doc = document.querySelector('#replay-root iframe').contentDocument;
    return [...doc.querySelectorAll('input, textarea, select')].map((e) => e.value).join('\\n')
        + '\\n' + doc.documentElement.outerHTML;
}"""


def test_masked_fields_never_reach_the_rep(relay, rep_browser, routed_customer):  # noqa: F811
    queue = relay.make_queue("Accounts")
    panel = sign_in_queue_rep(rep_browser, relay, "Rita", queue)
    recorder = FrameRecorder()
    rep_browser.on("page", recorder.attach)  # the viewer tab, from its first frame

    customer = routed_customer.new_page()
    customer.goto(serve_form_page(routed_customer, relay.base, queue))
    ask_for_help(customer)
    viewer = accept_next(rep_browser, panel)
    replay = replay_frame(viewer)
    expect(replay.locator("#plain")).to_have_text("visible-marker", timeout=TIMEOUT)
    # The tab may open its socket before the recorder is attached: a reload
    # opens the one we record from its first frame, before anything is typed.
    viewer.reload()
    expect(viewer.locator("#viewer-status")).to_have_attribute("data-state", "live", timeout=TIMEOUT)
    expect(replay.locator("#plain")).to_have_text("visible-marker", timeout=TIMEOUT)
    assert recorder.sockets, "the viewer's WebSocket was not recorded"

    # The customer types a password, a card number, a note in a masked area, and their name.
    customer.locator("#pw").click()
    customer.keyboard.type(PASSWORD)
    customer.locator("#card").click()
    customer.keyboard.type(CARD)
    customer.locator("#notes").click()
    customer.keyboard.type(NOTE_TYPED)
    customer.locator("#name").click()
    customer.keyboard.type(PLAIN)

    # The rep sees the name typed live (capture works, and the secrets were typed before it)...
    expect(replay.locator("#name")).to_have_value(PLAIN, timeout=TIMEOUT)
    # ... and the masked fields hold something, but not what was typed.
    expect(replay.locator("#pw")).not_to_have_value("", timeout=TIMEOUT)
    expect(replay.locator("#card")).not_to_have_value("", timeout=TIMEOUT)

    # A viewer that joins now gets a fresh full snapshot of the filled-in page.
    viewer.reload()
    expect(viewer.locator("#viewer-status")).to_have_attribute("data-state", "live", timeout=TIMEOUT)
    expect(replay.locator("#name")).to_have_value(PLAIN, timeout=TIMEOUT)

    received = recorder.everything()
    assert PLAIN.encode() in received, "the unmasked name never reached the viewer: capture is broken"
    assert b"visible-marker" in received
    assert len(recorder.cobrowse_bodies()) >= 2
    leaked = [s for s in SECRETS if s.encode() in received]
    assert not leaked, f"masked values reached the rep's viewer: {leaked}"

    shown = viewer.evaluate(REPLAY_VALUES)
    assert PLAIN in shown
    leaked = [s for s in SECRETS if s in shown]
    assert not leaked, f"masked values shown in the viewer: {leaked}"
    assert PASSWORD not in replay.locator("body").inner_html()


def test_masked_fields_in_iframes_and_shadow_roots_never_reach_the_rep(relay, rep_browser, routed_customer, todo_app):  # noqa: F811
    recorder = FrameRecorder()
    customer, viewer, _ = todo_session(relay, rep_browser, routed_customer, on_page=recorder.attach)
    replay = replay_frame(viewer)
    viewer.reload()  # its socket recorded from the first frame
    expect(replay.locator(".todo-list li")).to_have_count(2, timeout=TIMEOUT)
    notes = customer.frame_locator("#notes")
    fill_masked_fields(customer)
    # Plain fields beside them go through: capture works in both.
    notes.locator("#note-text").fill("iframe-plain-ok")
    customer.locator("#owner-name").fill("shadow-plain-ok")
    expect(replay.frame_locator("#notes").locator("#note-text")).to_have_value("iframe-plain-ok", timeout=TIMEOUT)
    expect(replay.locator("#owner-name")).to_have_value("shadow-plain-ok", timeout=TIMEOUT)
    expect(replay.locator("#owner-pin")).not_to_have_value("", timeout=TIMEOUT)

    # A viewer that joins now gets a full snapshot of the filled-in page.
    viewer.reload()
    expect(replay.locator("#owner-name")).to_have_value("shadow-plain-ok", timeout=TIMEOUT)
    expect(replay.frame_locator("#notes").locator("#note-text")).to_have_value("iframe-plain-ok", timeout=TIMEOUT)

    received = recorder.everything()
    assert b"iframe-plain-ok" in received and b"shadow-plain-ok" in received
    leaked = [s for s in [*FRAMED.values(), *FRAMED_TEXT] if s.encode() in received]
    assert not leaked, f"masked values reached the rep's viewer: {leaked}"
