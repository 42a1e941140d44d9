"""The session's view mode (docs/architecture.md, "Tools"): Standard or Screen
sampling for every shared screen, set by the primary, seen by everyone."""

import pytest
from pydantic import ValidationError

from server.core.desk import rep_channel
from server.core.errors import NotAllowed


def test_a_session_starts_in_standard_and_everyone_sees_it(h):
    r, s, c = h.active_session()
    states = h.sent(type_="session_state")
    assert {m.you for m in states} == {h.pid(s, r), c.pid}
    assert all(m.view_mode == "standard" for m in states)


def test_only_the_primary_sets_the_view_mode_and_every_participant_sees_it(h):
    r, s, c = h.active_session()
    sam = h.rep(2, "Sam")
    h.send(sam, "assist_session", number=s.number)
    h.sent()
    h.send(r, "set_view_mode", session=s.id, mode="sampling")
    states = h.sent(type_="session_state")
    assert {m.you for m in states} == {h.pid(s, r), h.pid(s, sam), c.pid}
    assert all(m.view_mode == "sampling" for m in states)


def test_assistant_cannot_set_the_view_mode(h):
    r, s, c = h.active_session()
    sam = h.rep(2, "Sam")
    h.send(sam, "assist_session", number=s.number)
    with pytest.raises(NotAllowed, match="only the primary can change the view mode"):
        h.send(sam, "set_view_mode", session=s.id, mode="sampling")
    assert s.view_mode == "standard"


def test_customer_cannot_set_the_view_mode(h):
    r, s, c = h.active_session()
    with pytest.raises(NotAllowed, match="only the primary"):
        h.send(c, "set_view_mode", session=s.id, mode="sampling")
    assert s.view_mode == "standard"


def test_a_rep_outside_the_session_cannot_set_its_view_mode(h):
    r, s, c = h.active_session()
    other = h.rep(2, "Olga")
    with pytest.raises(NotAllowed):
        h.send(other, "set_view_mode", session=s.id, mode="sampling")
    assert s.view_mode == "standard"


def test_only_standard_and_screen_sampling_exist(h):
    r, s, c = h.active_session()
    with pytest.raises(ValidationError):
        h.send(r, "set_view_mode", session=s.id, mode="fastest")
    with pytest.raises(ValidationError):
        h.send(r, "set_view_mode", session=s.id)


def test_a_view_mode_change_is_recorded_once_with_who_made_it(h):
    r, s, c = h.active_session()
    h.desk.records_to_store()
    h.send(r, "set_view_mode", session=s.id, mode="sampling")
    h.send(r, "set_view_mode", session=s.id, mode="sampling")  # no change: nothing to record
    [record] = [x for x in h.desk.records_to_store() if x.action == "session.view_mode"]
    assert (record.actor, record.data, record.session_id) == (h.pid(s, r), {"mode": "sampling"}, s.id)


def test_the_new_primary_sets_the_view_mode_after_transfer_of_control(h):
    r, s, c = h.active_session()
    sam = h.rep(2, "Sam")
    h.send(sam, "assist_session", number=s.number)
    h.send(r, "set_view_mode", session=s.id, mode="sampling")
    h.send(r, "transfer_control", session=s.id, to=h.pid(s, sam))
    assert s.view_mode == "sampling"  # a setting of the session, not of the rep who chose it
    with pytest.raises(NotAllowed, match="only the primary"):
        h.send(r, "set_view_mode", session=s.id, mode="standard")
    h.send(sam, "set_view_mode", session=s.id, mode="standard")
    assert h.sent(rep_channel(1), "session_state")[-1].view_mode == "standard"
