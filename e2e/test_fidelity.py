"""Fidelity on a real framework app: the React to-do app of e2e/apps/todo
(built from npm), with the website snippet, cobrowsed by a queue rep.

What the customer's app does in code reaches the rep's replay (a cleared or
suggested text, checkboxes set from state); the rep's typing acts on the
customer's live value, never on a stale copy; the rep's hover shows
hover-revealed controls in the replay, and clicking one reaches the
customer's app; the viewer's address bar follows hash and History API
navigation."""

import re

import pytest
from playwright.sync_api import expect

from e2e.cobrowse import TIMEOUT, click_replayed, hover_replayed, replay_frame, routed_customer  # noqa: F401
from e2e.todo_app import take_control, todo_app, todo_session  # noqa: F401

pytestmark = pytest.mark.cobrowse


def test_what_the_app_sets_in_code_reaches_the_viewer(relay, rep_browser, routed_customer, todo_app):  # noqa: F811
    customer, viewer, _ = todo_session(relay, rep_browser, routed_customer)
    replay = replay_frame(viewer)
    new = customer.locator("#new-todo")

    # The customer adds an item: the app clears its box after Enter.
    new.click()
    customer.keyboard.type("third thing")
    expect(replay.locator("#new-todo")).to_have_value("third thing", timeout=TIMEOUT)
    customer.keyboard.press("Enter")
    expect(new).to_have_value("")
    expect(replay.locator(".todo-list li")).to_have_count(3, timeout=TIMEOUT)
    expect(replay.locator(".todo-list li").nth(2)).to_contain_text("third thing")
    expect(replay.locator("#new-todo")).to_have_value("", timeout=TIMEOUT)

    # "Suggest" fills the box from the app's state.
    customer.locator("#suggest").click()
    expect(new).to_have_value("water the plants")
    expect(replay.locator("#new-todo")).to_have_value("water the plants", timeout=TIMEOUT)

    # "Mark all as complete" checks every row's box from state, and unchecking
    # one row unchecks "Mark all" in code.
    customer.locator("#toggle-all").check()
    for i in range(3):
        expect(replay.locator(".todo-list li .toggle").nth(i)).to_be_checked(timeout=TIMEOUT)
    expect(replay.locator("#toggle-all")).to_be_checked()
    customer.locator(".todo-list li .toggle").first.uncheck()
    expect(replay.locator(".todo-list li .toggle").first).not_to_be_checked(timeout=TIMEOUT)
    expect(replay.locator("#toggle-all")).not_to_be_checked(timeout=TIMEOUT)
    expect(replay.locator("#todo-count")).to_have_text("1 item left")


def test_rep_typing_acts_on_the_live_value(relay, rep_browser, routed_customer, todo_app):  # noqa: F811
    customer, viewer, _ = todo_session(relay, rep_browser, routed_customer)
    replay = replay_frame(viewer)
    new = customer.locator("#new-todo")

    # The customer adds "third thing"; the app empties the box.
    new.click()
    customer.keyboard.type("third thing")
    customer.keyboard.press("Enter")
    expect(customer.locator(".todo-list li")).to_have_count(3)

    # The rep takes control and adds an item of their own: exactly their text.
    take_control(viewer, customer)
    click_replayed(viewer, "#new-todo")
    editor = viewer.locator(".control-editor")
    expect(editor).to_be_focused(timeout=TIMEOUT)
    viewer.keyboard.type("from rep")
    expect(new).to_have_value("from rep", timeout=TIMEOUT)
    viewer.keyboard.press("Enter")
    expect(customer.locator(".todo-list li")).to_have_count(4, timeout=TIMEOUT)
    expect(customer.locator(".todo-list li label").nth(3)).to_have_text("from rep")
    expect(new).to_have_value("", timeout=TIMEOUT)

    # The customer types a draft; the rep starts editing the box; the app
    # clears it (the customer presses Clear) while the rep's editor is open.
    new.click()
    customer.keyboard.type("draft")
    expect(replay.locator("#new-todo")).to_have_value("draft", timeout=TIMEOUT)
    click_replayed(viewer, "#new-todo")
    expect(editor).to_have_value("draft", timeout=TIMEOUT)
    customer.locator("#clear").click()
    expect(new).to_have_value("")
    viewer.keyboard.type("rep text")
    expect(new).to_have_value("rep text", timeout=TIMEOUT)
    expect(replay.locator("#new-todo")).to_have_value("rep text", timeout=TIMEOUT)


def test_rep_hover_reveals_controls_and_the_click_reaches_the_app(relay, rep_browser, routed_customer, todo_app):  # noqa: F811
    customer, viewer, _ = todo_session(relay, rep_browser, routed_customer)
    replay = replay_frame(viewer)
    row = '.todo-list li[data-id="2"]'

    # Delete buttons show only on :hover: none is visible in the replay...
    expect(replay.locator(f"{row} .destroy")).to_be_hidden()
    # ... until the rep's pointer is over the row (the customer's is not).
    hover_replayed(viewer, row)
    expect(replay.locator(f"{row} .destroy")).to_be_visible(timeout=TIMEOUT)
    expect(replay.locator('.todo-list li[data-id="1"] .destroy')).to_be_hidden()
    expect(customer.locator(f"{row} .destroy")).to_be_hidden()
    hover_replayed(viewer, "h1")
    expect(replay.locator(f"{row} .destroy")).to_be_hidden(timeout=TIMEOUT)

    # With control, the rep hovers the row and clicks its delete button:
    # the customer's app deletes that item.
    take_control(viewer, customer)
    hover_replayed(viewer, row)
    expect(replay.locator(f"{row} .destroy")).to_be_visible(timeout=TIMEOUT)
    click_replayed(viewer, f"{row} .destroy")
    expect(customer.locator(".todo-list li")).to_have_count(1, timeout=TIMEOUT)
    expect(customer.locator(".todo-list li label")).to_have_text("first thing")
    expect(replay.locator(".todo-list li")).to_have_count(1, timeout=TIMEOUT)


def test_address_bar_follows_hash_and_history_navigation(relay, rep_browser, routed_customer, todo_app):  # noqa: F811
    customer, viewer, _ = todo_session(relay, rep_browser, routed_customer)
    replay = replay_frame(viewer)
    address = viewer.locator("#navigate-url")
    expect(address).to_have_value(re.compile(r"/todo/$"), timeout=TIMEOUT)

    customer.locator(".filters a", has_text="Active").click()
    expect(address).to_have_value(re.compile(r"/todo/#/active$"), timeout=TIMEOUT)
    customer.locator("#about-link").click()
    expect(replay.locator("#about")).to_be_visible(timeout=TIMEOUT)
    expect(address).to_have_value(re.compile(r"/todo/about$"), timeout=TIMEOUT)
    customer.go_back()
    expect(replay.locator(".todo-list")).to_be_visible(timeout=TIMEOUT)
    expect(address).to_have_value(re.compile(r"/todo/#/active$"), timeout=TIMEOUT)
