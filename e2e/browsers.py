"""Chromium for the suites, launched with pytest-playwright's options.

The suites load the real extension, which needs a persistent profile
(`launch_persistent_context` with ``--load-extension``): the plugin's own
`context` and `page` fixtures cannot do that. `Browsers` launches every browser
of one test from the plugin's `browser_type_launch_args` (``--headed``,
``--slowmo``, ``--browser-channel``; the executable is set in e2e/conftest.py)
and `browser_context_args` (``--base-url``, ``--device``), and honours
``--tracing``, ``--screenshot`` and ``--video`` for each context: what it
records of a failed test is kept in that test's folder under ``--output``.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, Playwright

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "extension" / "dist"
EXTENSION_ID = "bnmmlioojpcljadojigdoldfcjaipoip"  # fixed by the "key" in the manifest
FLAGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-gpu"]
EXTENSION = [f"--disable-extensions-except={DIST}", f"--load-extension={DIST}"]


class Browsers:
    """Every browser and context one test opens; `finish` closes what is left
    and keeps the recordings of a failed test."""

    def __init__(self, playwright: Playwright, launch_args: dict[str, Any], context_args: dict[str, Any],
                 options: dict[str, str], output: str, failed) -> None:
        self.playwright = playwright
        self.launch_args = launch_args
        self.context_args = {k: v for k, v in context_args.items() if k != "record_video_dir"}
        self.tracing, self.screenshot, self.video = options["tracing"], options["screenshot"], options["video"]
        self.output = Path(output)
        self.failed = failed  # () -> bool: has the test failed so far
        self.scratch = Path(tempfile.mkdtemp(prefix="tandem-e2e-"))
        if self.video != "off":
            self.context_args["record_video_dir"] = str(self.scratch / "video")
        self._contexts: dict[BrowserContext, tuple[str, list[Page]]] = {}
        self._browsers: list[Browser] = []
        self._profiles: list[str] = []
        self._recorded: list[tuple[str, Path]] = []  # (kind, file) in scratch

    # --- launching -----------------------------------------------------------

    def _launch(self, args: list[str]) -> dict[str, Any]:
        return {**self.launch_args, "args": [*FLAGS, *self.launch_args.get("args", []), *args]}

    def extension_context(self, who: str, *, args: list[str] = (), **context: Any) -> BrowserContext:
        """A rep's Chromium: its own profile with the built extension loaded."""
        profile = tempfile.mkdtemp(prefix="tandem-profile-")
        self._profiles.append(profile)
        ctx = self.playwright.chromium.launch_persistent_context(
            profile, **self._launch([*args, *EXTENSION]), **{**self.context_args, **context})
        return self._watch(ctx, who)

    def browser(self, *, args: list[str] = ()) -> Browser:
        """A Chromium without the extension (customers); closed with the test."""
        browser = self.playwright.chromium.launch(**self._launch(list(args)))
        self._browsers.append(browser)
        return browser

    def new_context(self, browser: Browser, who: str, **context: Any) -> BrowserContext:
        return self._watch(browser.new_context(**{**self.context_args, **context}), who)

    def _watch(self, context: BrowserContext, who: str) -> BrowserContext:
        names = [n for n, _ in self._contexts.values()]
        name = who if who not in names else f"{who}-{names.count(who) + 1}"
        pages = list(context.pages)
        context.on("page", lambda page: pages.append(page))
        self._contexts[context] = (name, pages)
        if self.tracing != "off":
            context.tracing.start(title=name, screenshots=True, snapshots=True, sources=True)
        return context

    # --- closing and keeping what was recorded ------------------------------

    def close(self, context: BrowserContext) -> None:
        """Close a context, taking its trace, screenshots and video first."""
        name, pages = self._contexts.pop(context)
        try:
            if self.screenshot != "off":
                for i, page in enumerate(p for p in context.pages if not p.is_closed()):
                    path = self.scratch / f"{name}-page{i}.png"
                    try:
                        page.screenshot(path=str(path), timeout=5000)
                        self._recorded.append(("screenshot", path))
                    except Exception:  # noqa: BLE001 - a page that cannot be shot has nothing to show
                        pass
            if self.failed() or sys.exc_info()[0] is not None:
                _print_media_tiles(name, context)
            if self.tracing != "off":
                path = self.scratch / f"trace-{name}.zip"
                context.tracing.stop(path=str(path))
                self._recorded.append(("trace", path))
        finally:
            context.close()
        for i, page in enumerate(pages):
            if page.video is not None:
                try:
                    path = self.scratch / f"{name}-page{i}.webm"
                    page.video.save_as(str(path))
                    self._recorded.append(("video", path))
                except Exception:  # noqa: BLE001 - a page closed before it drew anything has no video
                    pass

    def finish(self) -> list[Path]:
        """Close what is still open; keep what the options say (all of it with
        ``on``, a failed test's with ``retain-on-failure`` / ``only-on-failure``)
        in this test's folder under ``--output``; returns the kept files."""
        try:
            for context in list(self._contexts):
                self.close(context)
            for browser in self._browsers:
                browser.close()
            failed = self.failed()
            option = {"trace": self.tracing, "screenshot": self.screenshot, "video": self.video}
            kept = []
            for kind, path in self._recorded:
                if option[kind] == "on" or (failed and option[kind] != "off"):
                    self.output.mkdir(parents=True, exist_ok=True)
                    kept.append(Path(shutil.move(path, self.output / path.name)))
            return kept
        finally:
            shutil.rmtree(self.scratch, ignore_errors=True)
            for profile in self._profiles:
                shutil.rmtree(profile, ignore_errors=True)

    @contextmanager
    def extension(self, who: str, **kwargs: Any) -> Iterator[BrowserContext]:
        """`extension_context` for a `with` block: closed (and recorded) at its end."""
        context = self.extension_context(who, **kwargs)
        try:
            yield context
        finally:
            self.close(context)


def extension_page(context: BrowserContext, page: str) -> Page:
    """An extension page (side panel, viewer, options) opened as an ordinary tab."""
    tab = context.new_page()
    tab.goto(f"chrome-extension://{EXTENSION_ID}/{page}")
    return tab


def _print_media_tiles(name: str, context: BrowserContext) -> None:
    """What the video and voice tiles said (a CI log keeps this, not the picture)."""
    for i, page in enumerate(context.pages):
        try:
            tiles = page.evaluate("() => [...document.querySelectorAll('.media-tile')].map((t) => ({"
                                  "name: t.querySelector('.media-name').textContent, ...t.dataset,"
                                  " player: t.querySelector('video').dataset.state}))", )
        except Exception:  # noqa: BLE001 - a page gone or without tiles says nothing
            continue
        if tiles:
            print(f"--- {name} page {i} {page.url}: media tiles {tiles}")
