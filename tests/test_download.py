"""/download and the customer's "Download the Support Manager" (server/web/download.py):
the visitor's build first, a clear word when there is none, and a file that
carries the session and a fresh one-time pairing code the Support Manager can
read (agent/ticket.py) — in English and Danish."""

from __future__ import annotations

import html
import os
import re
import time
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from starlette.datastructures import Headers
from starlette.testclient import TestClient

from agent.ticket import carried
from server.web.app import create_app
from server.web.download import Build, pick, visitor
from tests.conftest import Peer
from tests.test_files import start

WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
MAC = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
LINUX = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"
DA = {"Accept-Language": "da-DK,da;q=0.9"}


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    """A Windows and a Linux build (their bytes are opaque to the relay)."""
    folder = tmp_path / "dist"
    folder.mkdir()
    (folder / "tandem-support-manager-windows-x86_64.exe").write_bytes(b"MZ" + os.urandom(300_000))
    (folder / "tandem-support-manager-linux-x86_64").write_bytes(b"\x7fELF" + os.urandom(200_000))
    (folder / "notes.txt").write_text("not a build")
    return folder


@pytest.fixture
def client(settings, dist):
    with TestClient(create_app(replace(settings, agent_dist_dir=dist))) as c:
        yield c


def text(response) -> str:
    """The page's visible text, roughly: tags out, entities decoded, spaces folded."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.text)).split())


def links(response) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="([^"]*)"', response.text)]


def test_download_page_offers_the_visitors_computer_first_then_the_others(client):
    r = client.get("/download", headers={"User-Agent": WINDOWS})
    assert r.status_code == 200
    page = text(r)
    assert page.index("Download for Windows (x64)") < page.index("Other computers") < page.index("Linux (x64)")
    assert "it asks for the session number and the pairing code" in page
    assert "/download/tandem-support-manager-windows-x86_64.exe" in links(r)
    # the client hint wins over the User-Agent, and the page speaks Danish
    r = client.get("/download", headers={"User-Agent": WINDOWS, "Sec-CH-UA-Platform": '"Linux"', **DA})
    page = text(r)
    assert page.index("Hent til Linux (x64)") < page.index("Andre computere") < page.index("Windows (x64)")
    # the command line moved to the section for IT and reps
    assert page.index("Til IT og medarbejdere") < page.index("tandem-agent pair --relay http://testserver")


@pytest.mark.parametrize(("headers", "expected"), [
    ({"User-Agent": MAC}, "There is no Support Manager for macOS on this site yet. To share your screen, "
                          "open your session on a computer with Windows, Linux and download it there."),
    ({"User-Agent": MAC, **DA}, "Der findes endnu ingen Support Manager til macOS på dette websted."),
    ({"User-Agent": ANDROID}, "runs on a computer (Windows, macOS or Linux), not on a phone or tablet"),
    ({"User-Agent": ANDROID, **DA}, "kører på en computer (Windows, macOS eller Linux), ikke på en telefon"),
])
def test_a_computer_without_a_build_is_told_so_and_offered_the_others(client, headers, expected):
    r = client.get("/download", headers=headers)
    assert r.status_code == 200
    page = text(r)
    assert expected in page
    assert "Download for" not in page and "Hent til" not in page
    assert {"/download/tandem-support-manager-windows-x86_64.exe",
            "/download/tandem-support-manager-linux-x86_64"} <= set(links(r))


def test_a_relay_without_builds_says_so(settings, tmp_path):
    with TestClient(create_app(replace(settings, agent_dist_dir=tmp_path / "none"))) as c:
        page = text(c.get("/download", headers={"User-Agent": WINDOWS}))
        assert "This site offers no Support Manager download yet." in page
        assert "tandem-agent pair" in page  # IT still gets the command line


def test_a_plain_download_carries_this_relay_but_no_session(client, dist, tmp_path):
    r = client.get("/download/tandem-support-manager-linux-x86_64", headers=DA)
    assert r.status_code == 200
    build = (dist / "tandem-support-manager-linux-x86_64").read_bytes()
    assert r.content.startswith(build) and len(r.content) > len(build)
    saved = tmp_path / "tandem-support-manager-linux-x86_64"
    saved.write_bytes(r.content)
    got = carried(saved)
    assert (got.relay, got.lang, got.has_session) == ("http://testserver", "da", False)
    r = client.get("/download/notes.txt")
    assert r.status_code == 404 and "There is no such download here." in text(r)


def session_file(client, token: str, tmp_path: Path, ua: str = WINDOWS, **headers):
    r = client.get(f"/s/{token}/support-manager", headers={"User-Agent": ua, **headers})
    assert r.status_code == 200, r.text
    name = re.search(r'filename="([^"]+)"', r.headers["content-disposition"]).group(1)
    path = tmp_path / name
    path.write_bytes(r.content)
    return name, path, carried(path)


def test_the_customers_download_carries_the_session_and_a_fresh_one_time_code(client, dist, tmp_path):
    rita, state, token = start(client)
    number = state["number"].replace(" ", "")
    page = client.get(f"/s/{token}", headers={"User-Agent": WINDOWS})
    assert f"/s/{token}/support-manager?platform=windows-x86_64" in links(page)
    assert "Download the Support Manager for Windows (x64)" in text(page)

    name, path, got = session_file(client, token, tmp_path, **DA)
    assert name == f"tandem-support-manager-{number}-{got.code}.exe"
    assert path.read_bytes().startswith((dist / "tandem-support-manager-windows-x86_64.exe").read_bytes())
    assert (got.relay, got.number, got.lang) == ("http://testserver", number, "da")
    # the Support Manager asks the relay what it joins: the session and the rep
    r = client.post("/download/ticket", json={"ticket": got.token})
    assert r.status_code == 200 and r.json()["rep"] == "Rita" and r.json()["number"] == number

    # a second download has a new code, which replaces the first
    _, _, again = session_file(client, token, tmp_path)
    assert again.code != got.code
    r = client.post("/download/ticket", json={"ticket": got.token}, headers=DA)
    assert (r.status_code, r.json()["error"]) == (409, "used")
    assert r.json()["message"] == "Denne download er allerede brugt, eller en nyere download har erstattet den."
    assert client.post("/api/agent/pair", json={"number": number, "code": got.code}).status_code == 403

    # the code pairs once; then the file's ticket says it is used up
    r = client.post("/api/agent/pair", json={"number": number, "code": again.code, "name": "Ann's PC"})
    assert r.status_code == 200, r.text
    r = client.post("/download/ticket", json={"ticket": again.token})
    assert (r.status_code, r.json()["error"]) == (409, "used")
    assert r.json()["message"] == "This download has already been used, or a newer download replaced it."
    assert client.post("/api/agent/pair", json={"number": number, "code": again.code}).status_code == 403


def test_a_changed_ticket_an_ended_session_and_an_unknown_link_are_refused_clearly(client, tmp_path):
    rita, state, token = start(client)
    _, _, got = session_file(client, token, tmp_path)
    signed, sig = got.token.rsplit(".", 1)
    forged = f"{signed}.{sig[:-2]}{'AA' if sig[-2:] != 'AA' else 'BB'}"
    r = client.post("/download/ticket", json={"ticket": forged})
    assert (r.status_code, r.json()["error"]) == (400, "invalid")
    assert r.json()["message"] == "This download was not made by this site, or it has been changed."
    assert client.post("/download/ticket", content=b"{").status_code == 400

    with client.websocket_connect("/ws") as ws:
        rep = Peer(ws, rita)
        rep.send("end_session", session=state["session"])
        rep.expect("session_ended")
    r = client.post("/download/ticket", json={"ticket": got.token}, headers=DA)
    assert (r.status_code, r.json()["error"]) == (410, "ended")
    assert r.json()["message"] == f"Session {state['number']} er afsluttet."
    for headers, expected in (({}, "This session has ended, so there is nothing for the Support Manager to join."),
                              (DA, "Denne session er afsluttet, så Support Manager har intet at deltage i.")):
        for link in (f"/s/{token}/support-manager", "/s/not-a-token/support-manager"):
            r = client.get(link, headers={"User-Agent": WINDOWS, **headers})
            assert r.status_code == 410 and expected in text(r), text(r)


def test_a_customer_on_a_computer_without_a_build_gets_the_others_for_their_session(client, tmp_path):
    rita, state, token = start(client)
    page = client.get(f"/s/{token}", headers={"User-Agent": MAC, **DA})
    assert "Der findes endnu ingen Support Manager til macOS på dette websted." in text(page)
    assert f"/s/{token}/support-manager?platform=linux-x86_64" in links(page)
    # straight to the download link: the download page for this session says why, and links the others
    r = client.get(f"/s/{token}/support-manager", headers={"User-Agent": MAC})
    assert r.status_code == 404
    assert "There is no Support Manager for macOS on this site yet." in text(r)
    assert f"For session {state['number']}" in text(r)
    assert f"/s/{token}/support-manager?platform=windows-x86_64" in links(r)
    # the Linux build, chosen, carries the session
    r = client.get(f"/s/{token}/support-manager?platform=linux-x86_64", headers={"User-Agent": MAC})
    name = re.search(r'filename="([^"]+)"', r.headers["content-disposition"]).group(1)
    assert re.fullmatch(rf"tandem-support-manager-{state['number'].replace(' ', '')}-\d{{6}}", name)


@pytest.mark.parametrize(("headers", "have", "expected"), [
    # every Mac's User-Agent says "Intel": the Apple silicon build first, the Intel one runs under Rosetta
    ({"User-Agent": MAC}, ["macos-x86_64", "macos-arm64"], "macos-arm64"),
    ({"User-Agent": MAC, "Sec-CH-UA-Arch": '"x86"'}, ["macos-x86_64", "macos-arm64"], "macos-x86_64"),
    ({"User-Agent": MAC}, ["macos-x86_64"], "macos-x86_64"),
    ({"User-Agent": WINDOWS, "Sec-CH-UA-Arch": '"arm"'}, ["windows-x86_64"], "windows-x86_64"),  # emulated
    ({"User-Agent": LINUX}, ["linux-arm64", "linux-x86_64"], "linux-x86_64"),
    ({"User-Agent": "Mozilla/5.0 (X11; Linux aarch64)"}, ["linux-x86_64"], None),  # no emulation on Linux
    ({"User-Agent": "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0)"}, ["linux-x86_64"], None),
    ({"User-Agent": "curl/8.0"}, ["windows-x86_64"], None),
])
def test_the_build_picked_for_a_computer(headers, have, expected):
    builds = [Build(*key.split("-"), Path(f"tandem-support-manager-{key}"), 1) for key in have]
    got = pick(builds, visitor(Headers(headers=headers)))
    assert (got.key if got else None) == expected


def test_a_download_run_after_its_code_expired_is_told_to_download_again(client, tmp_path):
    """The file's ticket is as old as the pairing code's lifetime: the
    Support Manager is told, in the customer's language, to download again."""
    from itsdangerous import TimestampSigner, URLSafeTimedSerializer

    from agent.ticket import token_payload
    from server.web.download import SALT

    relay = client.app.state.relay

    class Then(TimestampSigner):  # signed when the customer downloaded it, a lifetime and a minute ago
        def get_timestamp(self) -> int:
            return int(time.time() - relay.PAIRING_TTL - 60)

    rita, state, token = start(client)
    _, _, got = session_file(client, token, tmp_path)
    old = URLSafeTimedSerializer(relay.settings.secret_key, salt=SALT, signer=Then).dumps(token_payload(got.token))
    assert client.post("/download/ticket", json={"ticket": got.token}).status_code == 200  # the fresh one is good
    for headers, expected in (({}, "This download has expired. Download the Support Manager again from your "
                                   "session page."),
                              (DA, "Denne download er udløbet. Hent Support Manager igen fra din sessionsside.")):
        r = client.post("/download/ticket", json={"ticket": old}, headers=headers)
        assert (r.status_code, r.json()["error"], r.json()["message"]) == (410, "expired", expected)


APP = "Tandem Support Manager.app"


def mac_build(path: Path) -> bytes:
    """A macOS build as the workflow makes it: the app bundle, zipped, its program runnable."""
    program = b"\xcf\xfa\xed\xfe" + os.urandom(200_000)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        info = zipfile.ZipInfo(f"{APP}/Contents/MacOS/Tandem Support Manager")
        info.external_attr = 0o100755 << 16
        z.writestr(info, program)
        z.writestr(f"{APP}/Contents/Info.plist", "<plist version='1.0'><dict/></plist>")
    return program


def test_a_mac_gets_the_app_bundle_zipped_with_the_session_inside(settings, tmp_path):
    """A browser saves a bare program without the right to run it; a zipped app
    keeps it. The session's ticket is a file in the bundle, which the Support
    Manager reads from where it runs; nothing else of the build changes."""
    folder = tmp_path / "dist"
    folder.mkdir()
    build = folder / "tandem-support-manager-macos-arm64.zip"
    program = mac_build(build)
    before = build.read_bytes()
    with TestClient(create_app(replace(settings, agent_dist_dir=folder))) as client:
        _, state, token = start(client)
        number = state["number"].replace(" ", "")
        page = client.get(f"/s/{token}", headers={"User-Agent": MAC})
        assert f"/s/{token}/support-manager?platform=macos-arm64" in links(page)

        r = client.get(f"/s/{token}/support-manager", headers={"User-Agent": MAC})
        assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
        name = re.search(r'filename="([^"]+)"', r.headers["content-disposition"]).group(1)
        assert re.fullmatch(rf"tandem-support-manager-{number}-\d{{6}}\.zip", name)
        assert int(r.headers["content-length"]) == len(r.content)
        saved = tmp_path / name
        saved.write_bytes(r.content)
        with zipfile.ZipFile(saved) as z:
            assert z.testzip() is None
            main = z.getinfo(f"{APP}/Contents/MacOS/Tandem Support Manager")
            assert z.read(main) == program and (main.external_attr >> 16) & 0o111  # still runnable
            assert z.read(f"{APP}/Contents/Info.plist").startswith(b"<plist")
            z.extractall(tmp_path / "opened")
        got = carried(tmp_path / "opened" / APP / "Contents" / "MacOS" / "Tandem Support Manager")
        assert got.number == number and name.endswith(f"-{got.code}.zip") and got.relay == "http://testserver"
        r = client.post("/download/ticket", json={"ticket": got.token})
        assert r.status_code == 200 and r.json()["number"] == number

        # The public download of the same build carries this relay, no session.
        r = client.get(f"/download/{build.name}", headers={"User-Agent": MAC})
        assert r.status_code == 200 and r.headers["content-disposition"].endswith(f'filename="{build.name}"')
        (tmp_path / "plain.zip").write_bytes(r.content)
        with zipfile.ZipFile(tmp_path / "plain.zip") as z:
            z.extractall(tmp_path / "plain")
        plain = carried(tmp_path / "plain" / APP / "Contents" / "MacOS" / "Tandem Support Manager")
        assert plain.relay == "http://testserver" and not plain.has_session
    assert build.read_bytes() == before  # the build itself is never written


def test_a_mac_build_that_is_not_a_zip_is_not_offered(settings, tmp_path):
    folder = tmp_path / "dist"
    folder.mkdir()
    (folder / "tandem-support-manager-macos-arm64").write_bytes(b"\xcf\xfa\xed\xfe")  # a bare program: no
    (folder / "tandem-support-manager-linux-x86_64.zip").write_bytes(b"PK")  # Linux files are bare: no
    with TestClient(create_app(replace(settings, agent_dist_dir=folder))) as client:
        r = client.get("/download", headers={"User-Agent": MAC})
        assert "tandem-support-manager-macos-arm64" not in r.text and "linux-x86_64.zip" not in r.text
