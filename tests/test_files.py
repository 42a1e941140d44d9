"""Simple file transfer: a rep publishes files on the relay; the session's
customers list and download them (server/web/files.py)."""

import hashlib
import os
from dataclasses import replace

import pytest
from starlette.testclient import TestClient

from server.web.app import create_app
from tests.conftest import Peer, bearer, make_rep, signin


def start(client) -> tuple[str, dict, str]:
    """A rep's live session with one customer: (rep token, state, customer token)."""
    admin = signin(client)
    _, rita = make_rep(client, admin, f"rita{os.urandom(3).hex()}@example.com", "Rita")
    with client.websocket_connect("/ws") as ws:
        rep = Peer(ws, rita)
        rep.send("start_session")
        state = rep.expect("session_state")
    joined = client.post("/api/join", json={"number": state["number"], "name": "Ann"}).json()
    return rita, state, joined["token"]


def publish(client, token, session, data: bytes, name="report.pdf"):
    return client.post(f"/api/sessions/{session}/files", params={"name": name}, content=data,
                       headers={**bearer(token), "Content-Type": "application/octet-stream"})


def test_customer_lists_and_downloads_what_the_rep_published(client):
    rita, state, ann = start(client)
    data = os.urandom(3 * 2**20 + 17)
    r = publish(client, rita, state["session"], data)
    assert r.status_code == 201, r.text
    f = r.json()
    assert f["name"] == "report.pdf" and f["size"] == len(data)
    assert f["sha256"] == hashlib.sha256(data).hexdigest()
    listed = client.get(f"/api/sessions/{state['session']}/files", headers=bearer(ann)).json()["files"]
    assert [x["id"] for x in listed] == [f["id"]]
    got = client.get(f["url"], headers=bearer(ann))
    assert got.status_code == 200 and got.content == data
    assert got.headers["content-length"] == str(len(data))
    assert got.headers["content-disposition"].startswith("attachment;") and "report.pdf" in got.headers["content-disposition"]
    assert got.headers["x-tandem-sha256"] == f["sha256"]
    # the rep's own download works too, and both are in the audit log
    assert client.get(f["url"], headers=bearer(rita)).content == data
    audit = client.get("/api/admin/audit", params={"session": state["session"]},
                       headers=bearer(signin(client))).json()["entries"]
    actions = [e["action"] for e in audit]
    assert actions.count("file.published") == 1 and actions.count("file.downloaded") == 2


def test_download_resumes_with_range(client):
    rita, state, ann = start(client)
    data = os.urandom(1_000_000)
    f = publish(client, rita, state["session"], data, "big.bin").json()
    head = client.get(f["url"], headers={**bearer(ann), "Range": "bytes=0-399999"})
    assert head.status_code == 206 and head.content == data[:400_000]
    tail = client.get(f["url"], headers={**bearer(ann), "Range": "bytes=400000-",
                                          "If-Range": head.headers["etag"]})
    assert tail.status_code == 206 and tail.headers["content-range"] == f"bytes 400000-999999/{len(data)}"
    assert hashlib.sha256(head.content + tail.content).hexdigest() == tail.headers["x-tandem-sha256"]
    assert client.get(f["url"], headers={**bearer(ann), "Range": "bytes=2000000-"}).status_code == 416


def test_too_large_a_file_is_refused_with_a_clear_error(settings):
    with TestClient(create_app(replace(settings, max_file_bytes=100_000))) as client:
        rita, state, ann = start(client)
        r = publish(client, rita, state["session"], os.urandom(100_001))
        assert r.status_code == 413
        assert r.json()["error"] == {"code": "too_large", "message": "files are limited to 100000 bytes (0 MiB)"}

        def chunked():  # no Content-Length: refused while streaming, nothing kept
            for _ in range(30):
                yield b"x" * 4096
        r = client.post(f"/api/sessions/{state['session']}/files", content=chunked(), headers=bearer(rita))
        assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
        assert client.get(f"/api/sessions/{state['session']}/files", headers=bearer(ann)).json()["files"] == []
        assert list((settings.var_dir / "files" / state["session"]).iterdir()) == []
        assert publish(client, rita, state["session"], b"y" * 100_000).status_code == 201


def test_a_customer_of_another_session_cannot_list_or_download(client):
    rita, state, ann = start(client)
    f = publish(client, rita, state["session"], b"secret").json()
    _, other, bob = start(client)
    assert client.get(f"/api/sessions/{state['session']}/files", headers=bearer(bob)).status_code == 403
    assert client.get(f["url"], headers=bearer(bob)).status_code == 403
    assert client.get(f["url"]).status_code == 401
    # a rep who is not in the session can neither publish nor read
    sam = make_rep(client, signin(client), "sam@example.com", "Sam")[1]
    assert publish(client, sam, state["session"], b"x").status_code == 403
    assert client.get(f["url"], headers=bearer(sam)).status_code == 403
    # customers do not publish
    assert publish(client, ann, state["session"], b"x").status_code == 401


@pytest.mark.parametrize("raw, stored", [
    ("../../etc/passwd", "passwd"),
    ("..\\..\\boot.ini", "boot.ini"),
    ("..", "file"),
    (".bashrc", "bashrc"),
    ("a\x00b\nc<script>.txt", "a_b_c_script_.txt"),
    ("rapport é.pdf", "rapport é.pdf"),
])
def test_file_names_are_sanitized(client, raw, stored):
    rita, state, ann = start(client)
    f = publish(client, rita, state["session"], b"data", raw).json()
    assert f["name"] == stored
    got = client.get(f["url"], headers=bearer(ann))
    assert got.content == b"data"
    assert "/" not in got.headers["content-disposition"] and "\n" not in got.headers["content-disposition"]
    # stored only under files_dir/<session>/, by random id
    root = client.app.state.settings.var_dir / "files" / state["session"]
    assert sorted(p.name for p in root.iterdir()) == sorted([f["id"], f"{f['id']}.json"])


def test_unknown_file_ids_and_traversal_ids_are_not_found(client):
    rita, state, ann = start(client)
    base = f"/api/sessions/{state['session']}/files"
    assert client.get(f"{base}/{'0' * 32}", headers=bearer(ann)).status_code == 404
    assert client.get(f"{base}/..%2F..%2Ftandem.db", headers=bearer(ann)).status_code in (404,)


def test_files_are_in_the_openapi_document(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    assert {"post", "get"} <= set(paths["/api/sessions/{session}/files"])
    assert "get" in paths["/api/sessions/{session}/files/{file}"]


def test_snippet_websites_may_list_and_download_published_files(settings):
    """The help widget on a shop lists and downloads with the customer's token;
    publishing from the shop's origin is not allowed."""
    settings.allowed_origins = ("https://shop.example",)
    shop = {"Origin": "https://shop.example"}
    with TestClient(create_app(settings)) as client:
        rita, state, ann = start(client)
        f = publish(client, rita, state["session"], b"manual").json()
        listing = f"/api/sessions/{state['session']}/files"
        pre = client.options(f["url"], headers={**shop, "Access-Control-Request-Method": "GET",
                                                "Access-Control-Request-Headers": "authorization"})
        assert pre.status_code == 204 and pre.headers["access-control-allow-origin"] == "https://shop.example"
        listed = client.get(listing, headers={**shop, **bearer(ann)})
        assert listed.headers["access-control-allow-origin"] == "https://shop.example"
        assert [x["name"] for x in listed.json()["files"]] == ["report.pdf"]
        got = client.get(f["url"], headers={**shop, **bearer(ann)})
        assert got.content == b"manual" and got.headers["access-control-allow-origin"] == "https://shop.example"
        posted = client.post(listing, params={"name": "x.txt"}, content=b"x",
                             headers={**shop, **bearer(rita), "Content-Type": "application/octet-stream"})
        assert "access-control-allow-origin" not in posted.headers
        other = client.get(listing, headers={"Origin": "https://evil.example", **bearer(ann)})
        assert "access-control-allow-origin" not in other.headers
