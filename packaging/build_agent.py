"""Build the single-file Support Manager for the machine this runs on.

    python packaging/build_agent.py [--dist DIR] [--work DIR]

writes ``DIR/tandem-support-manager-<os>-<arch>`` (``.exe`` on Windows), the
file the relay serves from ``TANDEM_AGENT_DIST_DIR`` on ``/download``. Used by
``make agent-dist``, the CI workflow (.github/workflows/agent-dist.yml) and the
tests; PyInstaller builds only for the system it runs on, so each platform's
file is built on that platform.
"""

from __future__ import annotations

import argparse
import importlib.util
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENTRY = Path(__file__).resolve().parent / "support_manager.py"
PREFIX = "tandem-support-manager"

_OS = {"linux": "linux", "win32": "windows", "darwin": "macos"}
_ARCH = {"x86_64": "x86_64", "amd64": "x86_64", "x64": "x86_64",
         "aarch64": "arm64", "arm64": "arm64", "armv8": "arm64"}


def target_name(system: str | None = None, machine: str | None = None) -> str:
    """``tandem-support-manager-linux-x86_64``; ``...-windows-x86_64.exe`` on Windows."""
    system = system or sys.platform
    machine = (machine or platform.machine()).lower()
    os_name = _OS.get(system, system)
    name = f"{PREFIX}-{os_name}-{_ARCH.get(machine, machine)}"
    return name + ".exe" if os_name == "windows" else name


def pyinstaller_args(dist: Path, work: Path) -> list[str]:
    name = target_name()
    args = [
        str(ENTRY), "--onefile", "--noconfirm", "--log-level", "WARN",
        "--name", name.removesuffix(".exe"),
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
    if sys.platform == "win32":
        # A customer double-clicks it: no console window behind the Support
        # Manager's own window (logs go to its state folder instead).
        args.append("--noconsole")
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
    print(out)
    return 0 if out.is_file() else 1


if __name__ == "__main__":
    sys.exit(main())
