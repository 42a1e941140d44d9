"""Advanced file transfer from the extension: the customer pairs a real
Support Manager (`tandem-agent`, under Xvfb) that shares a folder, allows
file access, and the rep browses that folder in the file browser tab,
downloads and uploads files byte for byte, is refused a path out of the
folder, and sees the browser turn read-only when the customer revokes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from e2e.cutproxy import CutProxy
from e2e.relay import wait_for_relay
from e2e.rep import TIMEOUT, SidePanel, customer_joins
from tests.agent.conftest import X, wait_for
from tests.conftest import stop_process

pytestmark = pytest.mark.agent

ROOT = Path(__file__).resolve().parent.parent
MiB = 2**20


@contextmanager
def support_manager(relay_base: str, number: str, code: str, share: Path | None, tmp: Path, *,
                    name: str = "Carl's laptop", x: X | None = None) -> Iterator[Path]:
    """`tandem-agent pair` as its user runs it, sharing the folder `share` (if
    any), on the X display `x` or on one of its own."""
    own_x = x is None
    x = X() if x is None else x
    log_path = tmp / "agent.log"
    log = log_path.open("wb")
    env = {**x.env, "TANDEM_AGENT_STATE": str(tmp / "agent-state"), "PYTHONPATH": str(ROOT)}
    folder = ["--share-folder", str(share)] if share is not None else []
    agent = None
    try:
        while True:
            start = log_path.stat().st_size
            agent = subprocess.Popen(
                [sys.executable, "-m", "agent", "pair", "--relay", relay_base, number, code, "--name", name,
                 *folder, "--no-indicator-window", "--allow", "control,files"],  # the consent prompt has its own tests
                env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
            # Pairing counts as a join: a deployed relay may answer "too many attempts; try again in N s".
            wait_for(lambda a=agent, s=start: a.poll() is not None or "paired with session" in log_path.read_text()[s:],
                     30, "the Support Manager to pair")
            limited = re.search(r"pairing refused \(429\).*?(\d+) s", log_path.read_text()[start:])
            if agent.poll() is None or not limited:
                break
            wait_for_relay("the Support Manager's pairing", float(limited.group(1)))
        yield log_path
    finally:
        if agent is not None:
            stop_process(agent, 10)
        log.close()
        if own_x:
            x.stop()
        print(f"--- agent log ---\n{log_path.read_text()}")  # pytest shows it when the test fails


def names(files: Page) -> list[str]:
    return files.locator("#files-rows tr").evaluate_all("rows => rows.map(r => r.dataset.name)")


def row(files: Page, name: str):
    return files.locator(f'#files-rows tr[data-name="{name}"]')


def transfer(files: Page, name: str, direction: str):
    return files.locator(f'#files-transfers .transfer[data-direction="{direction}"]',
                         has=files.locator(".transfer-name", has_text=name))


def finished(files: Page, name: str, direction: str, size: int) -> None:
    """The transfer's bar reached 100%, its text says all bytes, and the SHA-256 verified."""
    t = transfer(files, name, direction)
    expect(t).to_have_attribute("data-state", "done", timeout=60_000)
    expect(t.locator("progress")).to_have_attribute("value", "100")
    expect(t).to_have_attribute("data-done", str(size))
    expect(t.locator(".transfer-bytes")).to_contain_text("(100%)")
    expect(t.locator(".transfer-status")).to_contain_text("SHA-256 verified")


@pytest.fixture
def share(tmp_path: Path) -> Path:
    root = tmp_path / "share"
    (root / "docs").mkdir(parents=True)
    (root / "notes.txt").write_text("hello from Carl\n")
    (root / "docs" / "setup.cfg").write_text("[tandem]\n")
    (root / "photo.bin").write_bytes(os.urandom(5 * MiB + 321))
    return root


@dataclass
class Scene:
    rep: SidePanel
    customer: Page
    files: Page
    agent_log: Path


@contextmanager
def file_browser(relay, rep_browser, customer_browser, share: Path, tmp: Path,
                 rep_relay: str | None = None) -> Iterator[Scene]:
    """A session whose customer runs a Support Manager sharing `share` and
    allowed file access; the rep's file browser tab open and live. The rep's
    extension talks to `rep_relay` (default: the relay itself)."""
    email, password = relay.make_rep("Petra")
    rep = SidePanel(rep_browser).sign_in(rep_relay or relay.base, email, password)
    number = rep.start_session()
    customer = customer_browser().new_page()
    customer_joins(customer, relay.base, number, "Carl")
    expect(rep.participant("Carl")).to_be_visible(timeout=TIMEOUT)

    # The customer's page gives the pairing code; the customer runs the Support Manager with it.
    customer.click("#agent-pair")
    expect(customer.locator("#agent-command")).to_contain_text("tandem-agent pair", timeout=TIMEOUT)
    code = customer.locator("#agent-command").inner_text().split()[-1]
    with support_manager(relay.base, number, code, share, tmp) as agent_log:
        rep.tool_tab("tools")
        expect(rep.panel.locator('[data-role="files-agent-hint"]')).to_be_hidden(timeout=TIMEOUT)
        expect(rep.button("files-open-browser")).to_be_disabled()
        expect(rep.button("files")).to_be_enabled(timeout=TIMEOUT)
        rep.button("files").click()

        # The customer allows file access: the file browser opens as a tab by itself.
        prompt = customer.locator("#grants .grant-prompt")
        expect(prompt).to_contain_text("Petra", timeout=TIMEOUT)
        with rep_browser.expect_page(timeout=TIMEOUT) as opened:
            prompt.locator('button[data-approve="1"]').click()
        opened.value.close()
        # ... and the side panel's button opens it again.
        rep.front()
        expect(rep.button("files-open-browser")).to_be_enabled(timeout=TIMEOUT)
        with rep_browser.expect_page(timeout=TIMEOUT) as opened:
            rep.button("files-open-browser").click()
        files = opened.value
        files.bring_to_front()
        expect(files.locator("#files-status")).to_have_attribute("data-state", "live", timeout=TIMEOUT)
        expect(files.locator("#files-sharer")).to_contain_text("Carl's laptop")
        yield Scene(rep, customer, files, agent_log)


def test_rep_browses_the_customers_folder_and_moves_files_both_ways(
        relay, rep_browser, customer_browser, share, tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_text("not for the rep")
    with file_browser(relay, rep_browser, customer_browser, share, tmp_path) as scene:
        rep, customer, files = scene.rep, scene.customer, scene.files
        # The shared folder's listing: folders first, then files by name, with sizes.
        expect(row(files, "notes.txt")).to_be_visible(timeout=TIMEOUT)
        assert names(files) == ["docs", "notes.txt", "photo.bin"]
        expect(row(files, "notes.txt").locator(".file-size")).to_have_text("16 B")
        expect(row(files, "photo.bin").locator(".file-size")).to_have_text("5 MB")
        expect(files.locator("#files-crumbs li")).to_have_text(["Shared folder"])

        # Download: the saved bytes are the customer's file, and progress reached 100%.
        with files.expect_download(timeout=60_000) as got:
            row(files, "photo.bin").locator(".file-download").click()
        assert got.value.suggested_filename == "photo.bin"
        assert Path(got.value.path()).read_bytes() == (share / "photo.bin").read_bytes()
        finished(files, "photo.bin", "download", 5 * MiB + 321)

        # A new subfolder, opened; two files uploaded into it at once.
        files.fill("#files-mkdir-name", "incoming")
        files.click("#files-mkdir-form button[type=submit]")
        expect(row(files, "incoming")).to_have_attribute("data-kind", "dir", timeout=TIMEOUT)
        assert (share / "incoming").is_dir()
        row(files, "incoming").locator(".file-open").click()
        expect(files.locator("#files-crumbs li")).to_have_text(["Shared folder", "incoming"], timeout=TIMEOUT)
        expect(files.locator("#files-empty")).to_be_visible()
        report, log = os.urandom(3 * MiB + 5), b"line one\nline two\n"
        files.locator("#files-upload").set_input_files(files=[
            {"name": "report.pdf", "mimeType": "application/pdf", "buffer": report},
            {"name": "install.log", "mimeType": "text/plain", "buffer": log},
        ])
        finished(files, "report.pdf", "upload", len(report))
        finished(files, "install.log", "upload", len(log))
        assert (share / "incoming" / "report.pdf").read_bytes() == report
        assert (share / "incoming" / "install.log").read_bytes() == log
        assert sorted(os.listdir(share / "incoming")) == ["install.log", "report.pdf"]  # no partial file left
        expect(row(files, "report.pdf")).to_be_visible(timeout=TIMEOUT)

        # A file dropped onto the listing lands in the current folder too.
        dropped = files.evaluate_handle(
            "() => { const d = new DataTransfer(); d.items.add(new File(['dropped bytes'], 'dropped.txt')); return d; }")
        files.dispatch_event("#files-drop", "drop", {"dataTransfer": dropped})
        finished(files, "dropped.txt", "upload", len(b"dropped bytes"))
        assert (share / "incoming" / "dropped.txt").read_bytes() == b"dropped bytes"

        # A typed path out of the shared folder is refused, and the folder shown stays.
        files.fill("#files-path", "../secret.txt")
        files.click("#files-path-form button[type=submit]")
        error = files.locator("#files-error")
        expect(error).to_contain_text("outside the shared folder", timeout=TIMEOUT)
        expect(error).to_contain_text("'..' is refused")
        expect(files.locator("#files-crumbs li")).to_have_text(["Shared folder", "incoming"])
        # Up goes back to the shared folder.
        files.click("#files-up")
        expect(files.locator("#files-crumbs li")).to_have_text(["Shared folder"], timeout=TIMEOUT)
        expect(row(files, "incoming")).to_be_visible()

        # The customer revokes: the browser says so and turns read-only.
        customer.locator("#banners .banner button").click()
        expect(files.locator("#files-status")).to_have_attribute("data-state", "readonly", timeout=TIMEOUT)
        expect(files.locator("#files-readonly")).to_contain_text("The customer ended file access")
        expect(files.locator("#files-upload")).to_be_disabled()
        expect(files.locator("#files-mkdir-form button")).to_be_disabled()
        expect(row(files, "notes.txt").locator(".file-download")).to_be_disabled()
        expect(row(files, "incoming").locator(".file-open")).to_be_disabled()
        rep.front()
        expect(rep.button("files-open-browser")).to_be_disabled(timeout=TIMEOUT)
    assert outside.read_text() == "not for the rep"


def wait_until_done_at_least(files: Page, direction: str, size: int) -> None:
    files.wait_for_function(
        "([direction, size]) => [...document.querySelectorAll(`.transfer[data-direction='${direction}']`)]"
        ".some((t) => Number(t.dataset.done) >= size)", arg=[direction, size], polling=50, timeout=60_000)


SCAN_BYTES = 24 * MiB + 5  # more than the rep asks for ahead


def test_on_a_flaky_network_transfers_resume_and_a_changed_file_does_not_verify(
        relay, rep_browser, customer_browser, share, tmp_path):
    # The rep's network is slow (2 MiB/s each way) and goes away mid-file, twice.
    (share / "scan.bin").write_bytes(os.urandom(SCAN_BYTES))
    upstream = urlsplit(relay.base)
    proxy = CutProxy((upstream.hostname, upstream.port), bytes_per_second=2 * MiB)
    try:
        with file_browser(relay, rep_browser, customer_browser, share, tmp_path, rep_relay=proxy.base) as scene:
            files = scene.files
            with files.expect_download(timeout=120_000) as got:
                row(files, "photo.bin").locator(".file-download").click()
                wait_until_done_at_least(files, "download", 2 * MiB)
                proxy.cut()
            assert Path(got.value.path()).read_bytes() == (share / "photo.bin").read_bytes()
            finished(files, "photo.bin", "download", 5 * MiB + 321)
            reads = [int(m) for m in re.findall(r"sending \S+photo\.bin \[(\d+), ", scene.agent_log.read_text())]
            # asked again after the cut, from where it stopped: never from the start
            assert len(reads) > 3 and reads.count(0) == 1, reads

            setup = os.urandom(6 * MiB + 11)
            files.locator("#files-upload").set_input_files(
                files=[{"name": "setup.bin", "mimeType": "application/octet-stream", "buffer": setup}])
            wait_until_done_at_least(files, "upload", 2 * MiB)
            proxy.cut()
            finished(files, "setup.bin", "upload", len(setup))
            assert (share / "setup.bin").read_bytes() == setup
            opened = [int(m) for m in re.findall(r"receiving \S+setup\.bin from (\d+) ", scene.agent_log.read_text())]
            assert opened[0] == 0 and max(opened) >= 2 * MiB, opened  # resumed, not started over
            assert not list(share.glob(".*tandem-part"))
            assert proxy.cuts == 2

            # The customer's file changes while the rep downloads it: the rep is told it did not verify.
            # The rep asks for a few MiB ahead, never for 24: on a network slow until 256 KiB have
            # arrived, most of the file is read only after the change.
            proxy.rate = 128 * 1024
            row(files, "scan.bin").locator(".file-download").click()
            wait_until_done_at_least(files, "download", 256 * 1024)
            with (share / "scan.bin").open("r+b") as f:
                f.write(os.urandom(SCAN_BYTES))  # same size, other bytes
            proxy.rate = 8 * MiB  # the rest comes quickly
            failed = files.locator('.transfer[data-direction="download"][data-state="failed"]')
            expect(failed).to_have_attribute("data-error", "verify", timeout=60_000)
            expect(failed.locator(".transfer-status")).to_contain_text("SHA-256 verification failed")
    finally:
        proxy.close()
