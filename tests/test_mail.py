"""Invitation email over SMTP, received by a real aiosmtpd server."""

import email
from email import policy

import pytest
from aiosmtpd.controller import Controller
from starlette.testclient import TestClient

from server.web.app import create_app
from tests.conftest import Peer, bearer, free_port, make_rep, signin


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def start_session(client, token):
    with client.websocket_connect("/ws") as ws:
        rep = Peer(ws, token)
        rep.send("start_session")
        return rep.expect("session_state")


def test_email_invitation_arrives_with_link_and_number(settings, smtp):
    controller, inbox = smtp
    settings.smtp_host, settings.smtp_port = "127.0.0.1", controller.port
    settings.mail_from = "Support <support@example.com>"
    with TestClient(create_app(settings)) as client:
        admin = signin(client)
        _, rita = make_rep(client, admin, "rita@example.com", "Rita")
        state = start_session(client, rita)
        r = client.post(f"/api/sessions/{state['session']}/invitations", headers=bearer(rita),
                        json={"invitee": "customer", "email": "ann@example.com", "send": True})
        assert r.status_code == 200 and r.json()["sent"] is True
        assert len(inbox.messages) == 1
        msg = inbox.messages[0]
        assert msg["To"] == "ann@example.com" and "support@example.com" in msg["From"]
        body = msg.get_content()
        assert state["join_link"] in body and state["number"] in body and "Rita" in body
        # the emailed link lets the customer join
        page = client.get(state["join_link"].replace("http://testserver", ""))
        assert page.status_code == 200


def test_email_invitation_in_the_customers_language(settings, smtp):
    controller, inbox = smtp
    settings.smtp_host, settings.smtp_port = "127.0.0.1", controller.port
    with TestClient(create_app(settings)) as client:
        admin = signin(client)
        _, rita = make_rep(client, admin, "rita@example.com", "Rita")
        state = start_session(client, rita)
        en = client.post(f"/api/sessions/{state['session']}/invitations", headers=bearer(rita),
                         json={"email": "a@example.com"}).json()
        da = client.post(f"/api/sessions/{state['session']}/invitations",
                         headers={**bearer(rita), "Accept-Language": "da-DK,da;q=0.9"},
                         json={"email": "a@example.com", "send": True}).json()
        assert da["subject"] != en["subject"] and da["body"] != en["body"]
        assert inbox.messages[0]["Subject"] == da["subject"]


def test_unreachable_mail_server_gives_clear_error(settings):
    settings.smtp_host, settings.smtp_port = "127.0.0.1", free_port()
    with TestClient(create_app(settings)) as client:
        admin = signin(client)
        _, rita = make_rep(client, admin, "rita@example.com", "Rita")
        state = start_session(client, rita)
        r = client.post(f"/api/sessions/{state['session']}/invitations", headers=bearer(rita),
                        json={"email": "ann@example.com", "send": True})
        assert r.status_code == 502 and r.json()["error"]["code"] == "mail_failed"
        assert str(settings.smtp_port) in r.json()["error"]["message"]
        # nothing else broke: the session still takes invitations
        r = client.post(f"/api/sessions/{state['session']}/invitations", headers=bearer(rita),
                        json={"email": "ann@example.com"})
        assert r.status_code == 200


def test_header_injection_in_address_is_refused(client):
    admin = signin(client)
    _, rita = make_rep(client, admin, "rita@example.com", "Rita")
    state = start_session(client, rita)
    r = client.post(f"/api/sessions/{state['session']}/invitations", headers=bearer(rita),
                    json={"email": "ann@example.com\r\nBcc: all@example.com", "send": True})
    assert r.status_code == 422


def test_without_a_mail_server_the_invitation_is_kept_in_the_outbox_for_admins(settings):
    assert settings.smtp_host is None  # the default: no SMTP server configured
    with TestClient(create_app(settings)) as client:
        admin = signin(client)
        _, rita = make_rep(client, admin, "rita@example.com", "Rita")
        state = start_session(client, rita)
        r = client.post(f"/api/sessions/{state['session']}/invitations", headers=bearer(rita),
                        json={"invitee": "customer", "email": "ann@example.com", "send": True})
        assert r.status_code == 200 and r.json()["sent"] is True and r.json()["outbox"] is True
        page = client.get("/admin/outbox", headers=bearer(admin))
        assert page.status_code == 200
        assert "ann@example.com" in page.text and r.json()["subject"] in page.text
        assert state["join_link"] in page.text
        # the default admin (admin@localhost: a host without dots) picked as a colleague
        admin_id = client.get("/api/me", headers=bearer(admin)).json()["id"]
        r = client.post(f"/api/sessions/{state['session']}/invitations", headers=bearer(rita),
                        json={"invitee": "rep", "rep": admin_id, "send": True})
        assert r.status_code == 200 and r.json()["outbox"] is True
        assert "admin@localhost" in client.get("/admin/outbox", headers=bearer(admin)).text
        # a rep who is no admin cannot read it
        assert client.get("/admin/outbox", headers=bearer(rita)).status_code == 403
        # the admin nav links it
        assert 'href="/admin/outbox"' in client.get("/admin/reps", headers=bearer(admin)).text


def test_a_colleague_picked_from_the_roster_gets_the_invitation_at_their_address(settings, smtp):
    controller, inbox = smtp
    settings.smtp_host, settings.smtp_port = "127.0.0.1", controller.port
    with TestClient(create_app(settings)) as client:
        admin = signin(client)
        _, rita = make_rep(client, admin, "rita@example.com", "Rita")
        bert_id, _ = make_rep(client, admin, "bert@example.com", "Bert")
        gone_id, _ = make_rep(client, admin, "gone@example.com", "Gone")
        client.patch(f"/api/admin/reps/{gone_id}", headers=bearer(admin), json={"active": False})
        state = start_session(client, rita)
        url = f"/api/sessions/{state['session']}/invitations"
        r = client.post(url, headers=bearer(rita), json={"invitee": "rep", "rep": bert_id, "send": True})
        assert r.status_code == 200 and r.json()["outbox"] is False
        assert [m["To"] for m in inbox.messages] == ["bert@example.com"]
        assert state["number"] in inbox.messages[0].get_content()
        for bad in ({"invitee": "rep", "rep": gone_id}, {"invitee": "customer", "rep": bert_id},
                    {"invitee": "rep", "rep": 9999}):
            assert client.post(url, headers=bearer(rita), json={**bad, "send": True}).status_code == 422
        assert len(inbox.messages) == 1
