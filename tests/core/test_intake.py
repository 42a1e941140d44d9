"""Intake (server/core/intake.py), one test per rule: what a customer enters
before waiting is checked against the queue's form, kept with the
customer, and shown to reps (the queue board, offers, the session's
participants) but never to customers."""

import pytest

from server import protocol as p
from server.core.desk import CustomerActor, QueueConfig, customer_channel, rep_channel
from server.core.errors import Invalid
from server.core.intake import JOIN_FORM, Answers, IntakeField, IntakeForm

ORDER = IntakeForm("required", (IntakeField("Order number", True), IntakeField("Phone")))


@pytest.fixture
def shop(h):
    h.desk.configure_queues([QueueConfig("billing", "Billing", intake=ORDER)])
    return h


def enter(h, name="Ann", description="", fields=None):
    s, pid = h.desk.enter_queue("billing", name, h.now, description, fields)
    actor = CustomerActor(s.id, pid)
    h.desk.customer_online(actor, h.now)
    return actor


def test_intake_form_keeps_fields_in_the_admins_order():
    answers = ORDER.answer("Charged twice", {"Phone": "555", "Order number": "A-1"})
    assert answers == Answers("Charged twice", (("Order number", "A-1"), ("Phone", "555")))


def test_required_field_must_be_filled():
    with pytest.raises(Invalid, match="Order number is required"):
        ORDER.answer("Charged twice", {"Order number": "   "})


def test_required_description_must_be_given():
    with pytest.raises(Invalid, match="description"):
        ORDER.answer("", {"Order number": "A-1"})


def test_description_is_refused_where_the_queue_asks_none():
    with pytest.raises(Invalid, match="no description"):
        IntakeForm("off").answer("help")


def test_unknown_field_is_refused():
    with pytest.raises(Invalid, match="no field"):
        ORDER.answer("x", {"Order number": "A-1", "Password": "hunter2"})


def test_too_long_answers_are_refused():
    with pytest.raises(Invalid, match="longer than 500"):
        JOIN_FORM.answer("x" * (p.INTAKE_DESCRIPTION_MAX + 1))
    with pytest.raises(Invalid, match="longer than 200"):
        ORDER.answer("x", {"Order number": "1" * (p.INTAKE_VALUE_MAX + 1)})


def test_answers_that_are_not_text_are_refused():
    with pytest.raises(Invalid, match="must be text"):
        ORDER.answer("x", {"Order number": 12})


def test_control_characters_are_refused():
    with pytest.raises(Invalid, match="control characters"):
        JOIN_FORM.answer("line\x1b[2J")


def test_description_keeps_its_lines_and_folds_spaces():
    assert JOIN_FORM.answer("  Card   declined\r\n\n  twice ").description == "Card declined\ntwice"


def test_admin_form_refuses_too_many_fields():
    with pytest.raises(Invalid, match="at most 5"):
        IntakeForm.check({"fields": [{"label": f"F{i}"} for i in range(p.INTAKE_FIELDS_MAX + 1)]})


def test_admin_form_refuses_duplicate_and_empty_labels_and_bad_types():
    with pytest.raises(Invalid, match="two fields"):
        IntakeForm.check({"fields": [{"label": "Order"}, {"label": "order"}]})
    with pytest.raises(Invalid, match="needs a label"):
        IntakeForm.check({"fields": [{"label": "  "}]})
    with pytest.raises(Invalid, match="true or false"):
        IntakeForm.check({"fields": [{"label": "Order", "required": "yes"}]})
    with pytest.raises(Invalid, match="description must be one of"):
        IntakeForm.check({"description": "sometimes"})
    with pytest.raises(Invalid, match="longer than 40"):
        IntakeForm.check({"fields": [{"label": "L" * (p.INTAKE_LABEL_MAX + 1)}]})


def test_admin_form_round_trips_through_json():
    assert IntakeForm.check(ORDER.to_json()) == ORDER
    assert IntakeForm.from_json(None) == IntakeForm()
    assert IntakeForm.from_json({"description": "sometimes"}) == IntakeForm()  # stored junk: the default


def test_customer_entering_queue_with_a_missing_required_field_is_refused(shop):
    with pytest.raises(Invalid):
        shop.desk.enter_queue("billing", "Ann", shop.now, "Charged twice", {})
    assert shop.desk.sessions == {}


def test_queue_reps_see_name_description_and_fields_on_the_board(shop):
    shop.rep(1, queues=("billing",))
    shop.sent()
    enter(shop, "Ann Smith", "Charged twice", {"Order number": "A-1"})
    board = shop.sent(rep_channel(1), "queue_state")[-1]
    (w,) = board.queues[0].waiting
    assert w.name == "Ann Smith"
    assert w.intake == p.Intake(description="Charged twice", fields=[p.IntakeAnswer(label="Order number", value="A-1")])


def test_offer_carries_the_intake(h):
    h.desk.configure_queues([QueueConfig("auto", "Automatic", "automatic", intake=ORDER)])
    r = h.rep(1, queues=("auto",))
    h.available(r)
    h.sent()
    s, pid = h.desk.enter_queue("auto", "Ann", h.now, "Charged twice", {"Order number": "A-1"})
    h.desk.customer_online(CustomerActor(s.id, pid), h.now)
    (offer,) = h.sent(rep_channel(1), "offer")
    assert offer.name == "Ann" and offer.intake.description == "Charged twice"


def test_reps_in_the_session_see_the_intake_and_the_customer_does_not(shop):
    r = shop.rep(1, queues=("billing",))
    ann = enter(shop, "Ann", "Charged twice", {"Order number": "A-1", "Phone": "555"})
    shop.sent()
    shop.send(r, "accept_next")
    rep_state = shop.desk.sessions[ann.session_id].view(shop.pid(shop.desk.sessions[ann.session_id], r))
    (customer,) = [x for x in rep_state.participants if x.kind == "customer"]
    assert customer.name == "Ann"
    assert [(f.label, f.value) for f in customer.intake.fields] == [("Order number", "A-1"), ("Phone", "555")]
    sent_to_customer = shop.sent(customer_channel(ann.pid), "session_state")
    assert sent_to_customer and all(x.intake is None for m in sent_to_customer for x in m.participants)


def test_customer_joining_by_number_may_describe_the_problem(h):
    r = h.rep(1)
    s = h.start(r)
    _, pid = h.desk.join(s.number, "Bo", h.now, "Printer offline")
    assert s.view(h.pid(s, r)).participants[-1].intake.description == "Printer offline"


def test_joining_by_number_refuses_a_description_too_long(h):
    r = h.rep(1)
    s = h.start(r)
    with pytest.raises(Invalid):
        h.desk.join(s.number, "Bo", h.now, "x" * (p.INTAKE_DESCRIPTION_MAX + 1))


def test_intake_is_recorded_for_the_store(shop):
    enter(shop, "Ann", "Charged twice", {"Order number": "A-1"})
    joined = [r for r in shop.desk.records_to_store() if r.action == "participant.joined"]
    assert joined[0].data["intake"] == {"description": "Charged twice",
                                        "fields": [{"label": "Order number", "value": "A-1"}]}


def test_customer_without_intake_records_none(h):
    h.enter(name="Ann")
    joined = [r for r in h.desk.records_to_store() if r.action == "participant.joined"]
    assert "intake" not in joined[0].data
