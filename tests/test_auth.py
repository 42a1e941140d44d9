"""Passwords and signed tokens (server/auth.py)."""

import threading
import time

import pytest
from itsdangerous import TimestampSigner

from server import auth
from server.auth import (
    BadToken,
    TokenExpired,
    Tokens,
    generate_password,
    hash_password,
    needs_rehash,
    verify_password,
)
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD


@pytest.fixture
def tokens():
    return Tokens("test-secret")


@pytest.fixture
def later(monkeypatch):
    """Move itsdangerous' clock forward by `seconds` (tokens made before get older)."""

    def move(seconds):
        monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time() + seconds))

    return move


# passwords


def test_right_password_verifies():
    h = hash_password("correct horse")
    assert h.startswith("$argon2id$") and "correct horse" not in h
    assert verify_password(h, "correct horse")
    assert not needs_rehash(h)


def test_wrong_password_is_false():
    assert not verify_password(hash_password("correct horse"), "Correct horse")


@pytest.mark.parametrize("bad_hash", ["", "not-a-hash", "$argon2id$v=19$m=1$broken", None])
def test_a_broken_hash_is_false_not_an_error(bad_hash):
    assert verify_password(bad_hash, "anything") is False


def test_a_weaker_hash_needs_rehash():
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("pw")
    assert verify_password(weak, "pw")
    assert needs_rehash(weak)
    assert needs_rehash("garbage")


@pytest.mark.parametrize("who", ["the admin", "nobody"])
def test_the_relay_answers_others_while_it_checks_a_password(client, monkeypatch, who):
    """argon2 takes 50-160 ms of CPU per sign-in. The relay checks the
    password in a thread of its own: while one is being checked (held here
    until the test lets it go), the relay answers other requests, so no
    session's frames wait for a rep signing in, whether the account exists or not."""
    checking, release = threading.Event(), threading.Event()
    checked = []

    def held(password_hash, password):
        checking.set()
        release.wait(10)  # past 10 s the check goes on, and the test fails below
        checked.append(threading.current_thread().name)
        return verify_password(password_hash, password)

    monkeypatch.setattr(auth, "verify_password", held)
    email = ADMIN_EMAIL if who == "the admin" else "nobody@example.com"
    done = {}
    signing_in = threading.Thread(target=lambda: done.setdefault(
        "r", client.post("/api/signin", json={"email": email, "password": ADMIN_PASSWORD})))
    signing_in.start()
    try:
        assert checking.wait(10)
        assert client.get("/healthz").text == "ok"
        assert signing_in.is_alive() and "r" not in done  # answered while the password was still being checked
    finally:
        release.set()
        signing_in.join(10)
    assert done["r"].status_code == (200 if who == "the admin" else 401)
    assert checked and checked[0].startswith("tandem-argon2")


def test_the_password_threads_yield_to_the_event_loop():
    """Where the relay has one CPU, a sign-in's argon2 must not take turns
    with the event loop as an equal: its thread runs at a lower priority.
    (Linux, where threads have priorities of their own and where this file
    runs; .github/workflows/platforms.yml runs tests/core elsewhere.)"""
    import os

    def niceness():
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    mine = os.getpriority(os.PRIO_PROCESS, 0)
    theirs = auth._password_threads.submit(niceness).result(10)
    assert theirs == min(19, mine + auth.PASSWORD_THREAD_NICENESS)




def test_generated_passwords_are_readable_and_random():
    passwords = {generate_password() for _ in range(200)}
    assert len(passwords) == 200
    for pw in passwords:
        assert len(pw.replace("-", "")) == 16
        assert not set(pw) & set("0O1lI")


# tokens


def test_rep_token_round_trip(tokens):
    assert tokens.read_rep(tokens.rep(42, 3), max_age=3600) == (42, 3)


def test_capability_round_trip(tokens):
    token = tokens.capability("sess-1", "c1", "customer")
    assert tokens.read_capability(token) == ("sess-1", "c1", "customer")
    assert tokens.read_capability(token, max_age=60) == ("sess-1", "c1", "customer")


def test_invite_round_trip(tokens):
    token = tokens.invite("sess-1", "123456789", "rep")
    assert tokens.read_invite(token, max_age=60) == ("sess-1", "123456789", "rep")
    with pytest.raises(ValueError):
        tokens.invite("sess-1", "123456789", "admin")


def test_tampered_token_is_refused(tokens):
    token = tokens.capability("sess-1", "c1", "customer")
    # a customer's token with its payload swapped for the primary's role
    forged = tokens.capability("sess-1", "c1", "primary").partition(".")[0] + "." + token.partition(".")[2]
    for bad in (forged, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), "", "garbage", "a.b.c"):
        with pytest.raises(BadToken):
            tokens.read_capability(bad)


def test_token_from_another_secret_is_refused(tokens):
    with pytest.raises(BadToken):
        tokens.read_rep(Tokens("other-secret").rep(1), max_age=60)


def test_kinds_are_not_interchangeable(tokens):
    """A customer's capability must never pass as a rep's sign-in, and so on."""
    capability = tokens.capability("sess-1", "c1", "customer")
    rep = tokens.rep(1)
    invite = tokens.invite("sess-1", "123456789", "customer")
    with pytest.raises(BadToken):
        tokens.read_rep(capability, max_age=60)
    with pytest.raises(BadToken):
        tokens.read_rep(invite, max_age=60)
    with pytest.raises(BadToken):
        tokens.read_capability(rep)
    with pytest.raises(BadToken):
        tokens.read_capability(invite)
    with pytest.raises(BadToken):
        tokens.read_invite(capability, max_age=60)


def test_old_tokens_expire(tokens, later):
    rep = tokens.rep(7)
    invite = tokens.invite("sess-1", "123456789", "customer")
    capability = tokens.capability("sess-1", "c1", "customer")
    later(3601)
    with pytest.raises(TokenExpired):
        tokens.read_rep(rep, max_age=3600)
    with pytest.raises(TokenExpired):
        tokens.read_invite(invite, max_age=3600)
    with pytest.raises(TokenExpired):
        tokens.read_capability(capability, max_age=3600)
    # expiry is a BadToken: callers that don't care why can catch one exception
    with pytest.raises(BadToken):
        tokens.read_rep(rep, max_age=3600)
    # ... and still fine for whoever allows longer, or no expiry at all
    assert tokens.read_rep(rep, max_age=7200).account_id == 7
    assert tokens.read_capability(capability) == ("sess-1", "c1", "customer")


def test_a_secret_key_is_required():
    with pytest.raises(ValueError):
        Tokens("")


def test_an_admin_creating_or_changing_a_rep_hashes_the_password_off_the_event_loop(client, monkeypatch):
    """Creating a rep and giving them a new password cost argon2's work too:
    both run in a password thread, not on the loop every session waits for."""
    from tests.conftest import bearer, signin

    hashed_in = []

    def recorded(password):
        hashed_in.append(threading.current_thread().name)
        return hash_password(password)

    admin = bearer(signin(client))
    monkeypatch.setattr(auth, "hash_password", recorded)
    r = client.post("/api/admin/reps", headers=admin, json={"email": "rita@example.com", "name": "Rita",
                                                            "password": "rita-password-1"})
    assert r.status_code == 201, r.text
    r = client.patch(f"/api/admin/reps/{r.json()['account']['id']}", headers=admin,
                     json={"password": "rita-password-2"})
    assert r.status_code == 200, r.text
    assert len(hashed_in) == 2 and all(name.startswith("tandem-argon2") for name in hashed_in)
    assert signin(client, "rita@example.com", "rita-password-2")
