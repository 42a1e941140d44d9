"""`session_state` goes out only when the session changed: a chat line, a note
or a WebRTC signal is delivered (and recorded) without resending every
participant the whole state, and a refused message sends nothing but the
error. Driven on the bare core, reading its outputs."""

import pytest

from server.core.desk import customer_channel, rep_channel
from server.core.errors import NotAllowed


def outputs(h):
    return [(ch, m.type) for ch, m in h.desk.data_to_send()]


def actions(h):
    return [r.action for r in h.desk.records_to_store()]


@pytest.fixture
def room(h):
    """Rita (primary), Sam (assistant) and Ann (customer), outputs drained."""
    r, s, c = h.active_session()
    sam = h.rep(2, "Sam")
    h.send(sam, "assist_session", number=s.number)
    h.desk.data_to_send()
    h.desk.records_to_store()
    return r, sam, s, c


def test_a_chat_line_is_delivered_without_a_session_state(h, room):
    r, sam, s, c = room
    h.send(c, "chat", session=s.id, text="hello")
    assert sorted(outputs(h)) == [(customer_channel(c.pid), "chat_message"),
                                  (rep_channel(1), "chat_message"), (rep_channel(2), "chat_message")]
    assert actions(h) == ["chat.posted"]


def test_a_reps_only_line_reaches_only_the_reps(h, room):
    r, sam, s, c = room
    h.send(sam, "chat", session=s.id, text="between us", reps_only=True)
    assert sorted(outputs(h)) == [(rep_channel(1), "chat_message"), (rep_channel(2), "chat_message")]


def test_a_note_sends_nothing_and_is_recorded(h, room):
    r, sam, s, c = room
    h.send(r, "note", session=s.id, text="customer on a slow line")
    assert outputs(h) == []
    assert actions(h) == ["note.saved"]


def test_a_signal_goes_to_its_target_only(h, room):
    r, sam, s, c = room
    h.send(r, "signal", session=s.id, to=c.pid, data={"sdp": "x"})
    assert outputs(h) == [(customer_channel(c.pid), "signal")]


def test_a_refused_message_sends_no_state(h, room):
    r, sam, s, c = room
    with pytest.raises(NotAllowed):
        h.send(sam, "end_session", session=s.id)
    with pytest.raises(NotAllowed):
        h.send(c, "chat", session=s.id, text="psst", reps_only=True)
    assert outputs(h) == []


def test_a_change_still_reaches_everyone(h, room):
    r, sam, s, c = room
    h.send(r, "set_view_mode", session=s.id, mode="sampling")
    assert sorted(outputs(h)) == [(customer_channel(c.pid), "session_state"),
                                  (rep_channel(1), "session_state"), (rep_channel(2), "session_state")]
