"""Playwright suites: real Chromium, the real built extension, a real relay.

By default each test gets its own relay process on a loopback port. Against a
deployed relay (a QA team's installation), with that relay's admin:

    TANDEM_E2E_ADMIN_PASSWORD=... pytest e2e -m smoke --base-url https://support.example.com

The options are pytest-playwright's (``--headed``, ``--slowmo``,
``--browser-channel``, ``--tracing``, ``--video``, ``--screenshot``,
``--output``); e2e/browsers.py applies them to the suites' own browsers.
Chromium is Debian's (`TANDEM_CHROMIUM`, default /usr/bin/chromium) unless
``--browser-channel`` names another; the extension is loaded unpacked from
extension/dist (built by `make test`).
"""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Iterator

import pytest

from e2e.browsers import DIST, EXTENSION_ID, FLAGS, Browsers, extension_page  # noqa: F401 - others import these from here
from e2e.deployment import check_agent_tools, check_deployment
from e2e.relay import WAITS, Relay
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, LiveRelay

CHROMIUM = os.environ.get("TANDEM_CHROMIUM", "/usr/bin/chromium")


SUITES = ("smoke", "cobrowse", "media", "agent", "admin")


def pytest_collection_modifyitems(config, items):
    """Say at the start, once, what the chosen suites need and is missing."""
    unmarked = [item.nodeid for item in items if item.nodeid.startswith("e2e/")
                and not any(item.get_closest_marker(m) for m in SUITES)]
    if unmarked:
        raise pytest.UsageError(f"every e2e test carries one of the markers {', '.join(SUITES)} "
                                f"(pyproject.toml says what each covers); without one: {', '.join(unmarked)}")
    agent_tests = [item for item in items if item.get_closest_marker("agent")]
    missing = check_agent_tools() if agent_tests else None
    if missing:
        for item in agent_tests:
            item.add_marker(pytest.mark.skip(reason=missing))
    base = config.getoption("--base-url")
    if base and any("relay" in getattr(item, "fixturenames", ()) for item in items):
        problem = check_deployment(base, *admin_credentials())
        if problem:
            pytest.exit(problem, returncode=4)


def pytest_terminal_summary(terminalreporter):
    if WAITS:
        terminalreporter.write_line(
            f"e2e: waited {len(WAITS)} times ({sum(s for _, s in WAITS):.0f} s in all) for the relay's "
            "rate limits, as its Retry-After said")


def admin_credentials() -> tuple[str, str | None]:
    return os.environ.get("TANDEM_E2E_ADMIN_EMAIL", ADMIN_EMAIL), os.environ.get("TANDEM_E2E_ADMIN_PASSWORD")


# --- the relay ----------------------------------------------------------------

@pytest.fixture(scope="session")
def deployed_relay(base_url):
    """The relay given with --base-url, for the whole run (None: none given).
    At the end the reps the run made are deactivated."""
    if not base_url:
        yield None
        return
    relay = Relay(base_url, *admin_credentials())
    try:
        yield relay
    finally:
        relay.close()


@pytest.fixture
def relay(deployed_relay, request, tmp_path):
    if deployed_relay is not None:
        try:
            yield deployed_relay
        finally:
            deployed_relay.end_test()
        return
    with own_relay(tmp_path, request) as r:
        yield r


@contextlib.contextmanager
def own_relay(var, request, **env: str) -> Iterator[Relay]:
    """A relay process of the test's own in ``var`` (``env``: TANDEM_* settings
    for it), and the admin's client on it; its log is printed when the test failed."""
    live = LiveRelay(var, **env).start()
    try:
        r = Relay(live.base, ADMIN_EMAIL, ADMIN_PASSWORD)
        try:
            yield r
        finally:
            r.http.close()
    finally:
        live.stop()
        rep = getattr(request.node, "rep_call", None)
        if rep is not None and rep.failed:
            print(f"--- relay log ---\n{live.log.read_text()}")


# --- browsers -----------------------------------------------------------------

@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """The plugin's launch options, with Debian's Chromium unless --browser-channel names one."""
    args = dict(browser_type_launch_args)
    if "channel" not in args:
        args.setdefault("executable_path", CHROMIUM)
    return args


@pytest.fixture(scope="session")
def playwright_(playwright):
    """The plugin's `playwright`, once the extension is known to be built."""
    if not (DIST / "manifest.json").exists():
        raise RuntimeError("extension/dist is not built: run `make extension` (make test does it)")
    return playwright


@pytest.fixture
def browsers(playwright_, browser_type_launch_args, browser_context_args, pytestconfig, output_path, request):
    """Every browser of this test, recorded as --tracing/--screenshot/--video say."""
    options = {name: pytestconfig.getoption(f"--{name}") for name in ("tracing", "screenshot", "video")}

    def failed() -> bool:
        return any(getattr(getattr(request.node, f"rep_{when}", None), "failed", False) for when in ("setup", "call"))

    b = Browsers(playwright_, browser_type_launch_args, browser_context_args, options, output_path, failed)
    yield b
    kept = b.finish()
    for path in kept:  # JUnit XML names them, as pytest-playwright does for its own
        kind = {".zip": "trace", ".png": "screenshot"}.get(path.suffix, "video")
        request.node.user_properties.append((f"playwright_{kind}", str(path)))
    if kept:
        print(f"--- kept in {output_path}: {', '.join(p.name for p in kept)}")


@pytest.fixture
def rep_browser(browsers):
    """A rep's Chromium: a persistent profile with the built extension loaded."""
    return browsers.extension_context("rep")


@pytest.fixture
def second_rep_browser(browsers):
    """Another rep's Chromium: its own profile (so its own sign-in), the extension loaded."""
    with browsers.extension("rep-b") as context:
        yield context


@pytest.fixture
def customer_browser(browsers):
    """A customer's Chromium, without the extension; call it for a fresh context."""
    browser = browsers.browser()
    count = itertools.count()

    def new_context(locale: str = "en-US"):
        return browsers.new_context(browser, f"customer{next(count)}", locale=locale)

    return new_context
