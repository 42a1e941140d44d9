"""Build the single-file Support Manager for the machine this runs on.

    python packaging/build_agent.py [--dist DIR] [--work DIR]

writes ``DIR/tandem-support-manager-<os>-<arch>`` (``.exe`` on Windows; on
macOS ``.zip``, the app bundle ``Tandem Support Manager.app`` zipped: a
browser saves a bare program without the right to run it, a zip keeps it),
the file the relay serves from ``TANDEM_AGENT_DIST_DIR`` on ``/download``. Used by
``make agent-dist``, the CI workflow (.github/workflows/agent-dist.yml) and the
tests; PyInstaller builds only for the system it runs on, so each platform's
file is built on that platform.
"""

from __future__ import annotations

import argparse
import importlib.util
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENTRY = Path(__file__).resolve().parent / "support_manager.py"
PREFIX = "tandem-support-manager"
APP_NAME = "Tandem Support Manager"  # the macOS app bundle (server/web/app_zip.py stamps it)
SUFFIXES = {"windows": ".exe", "macos": ".zip"}

_OS = {"linux": "linux", "win32": "windows", "darwin": "macos"}
_ARCH = {"x86_64": "x86_64", "amd64": "x86_64", "x64": "x86_64",
         "aarch64": "arm64", "arm64": "arm64", "armv8": "arm64"}


def target_name(system: str | None = None, machine: str | None = None) -> str:
    """``tandem-support-manager-linux-x86_64``; ``.exe`` on Windows, ``.zip`` on macOS."""
    system = system or sys.platform
    machine = (machine or platform.machine()).lower()
    os_name = _OS.get(system, system)
    name = f"{PREFIX}-{os_name}-{_ARCH.get(machine, machine)}"
    return name + SUFFIXES.get(os_name, "")


def pyinstaller_args(dist: Path, work: Path) -> list[str]:
    mac = sys.platform == "darwin"
    args = [
        # macOS: an app bundle (one folder; macOS opens it with a double-click)
        str(ENTRY), "--onedir" if mac else "--onefile", "--noconfirm", "--log-level", "WARN",
        "--name", APP_NAME if mac else target_name().removesuffix(".exe"),
        "--distpath", str(dist), "--workpath", str(work), "--specpath", str(work),
        "--paths", str(ROOT),
        # Imported by name at run time, so PyInstaller cannot see them: the
        # agent's optional modules (webrtc, files), its per-OS modules
        # (agent.platform.*, picked by TANDEM_AGENT_BACKEND) and its string
        # catalogs; mss picks its backend per OS the same way.
        "--collect-submodules", "agent",
        "--collect-submodules", "mss",
        "--collect-submodules", "aiortc",
        "--hidden-import", "tkinter",
    ]
    # Found through optional imports (pydantic's hypothesis plugin, anyio's and
    # websockets' extras) but never used by the agent: 20 MB less to download.
    for module in ("hypothesis", "pytest", "_pytest", "pygments", "uvicorn", "uvloop", "yaml", "dotenv",
                   "click", "watchfiles", "starlette", "sqlalchemy", "jinja2", "alembic", "IPython"):
        args += ["--exclude-module", module]
    args += [arg for name in pynput_backend() for arg in ("--hidden-import", name)]
    if sys.platform in ("win32", "darwin"):
        # A customer double-clicks it: no console window behind the Support
        # Manager's own window (logs go to its state folder instead); on
        # macOS this makes the .app bundle.
        args.append("--windowed")
    return args


def pynput_backend() -> list[str]:
    """pynput's modules for this system: pynput imports them by name, and
    importing pynput to find them fails on a Linux build machine without a
    display, so they are listed from its files."""
    token = {"win32": "win32", "darwin": "darwin"}.get(sys.platform, "xorg")
    spec = importlib.util.find_spec("pynput")
    root = Path(next(iter(spec.submodule_search_locations)))
    return sorted(f"pynput.{p.parent.name}.{p.stem}" for p in root.glob("*/*.py")
                  if token in p.stem or p.stem == "_base")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dist", type=Path, default=ROOT / "dist", help="where the file goes (default: dist/)")
    ap.add_argument("--work", type=Path, default=ROOT / "build" / "agent-dist", help="PyInstaller's work folder")
    args = ap.parse_args(argv)
    import PyInstaller.__main__

    PyInstaller.__main__.run(pyinstaller_args(args.dist.resolve(), args.work.resolve()))
    out = args.dist.resolve() / target_name()
    if sys.platform == "darwin":
        # ditto keeps the bundle's permissions, symbolic links and resources
        out.unlink(missing_ok=True)
        subprocess.run(["ditto", "-c", "-k", "--keepParent", str(args.dist.resolve() / f"{APP_NAME}.app"), str(out)],
                       check=True)
    print(out)
    return 0 if out.is_file() else 1


if __name__ == "__main__":
    sys.exit(main())
