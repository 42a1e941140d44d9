"""`python -m agent` / `tandem-agent` / the single-file Support Manager.

With no arguments (a customer double-clicked the downloaded file) the
Support Manager opens its window (`agent.launcher`); with arguments it is the
command line for reps and admins (`agent.cli`).
"""

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # macOS's Finder once added a -psn_... argument to programs it starts
    if not argv or (len(argv) == 1 and argv[0].startswith("-psn_")):
        from .launcher import main as launch
        return launch()
    from .cli import main as cli_main
    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
