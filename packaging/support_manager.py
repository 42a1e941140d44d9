"""The Support Manager's entry point in the single-file build (PyInstaller runs
a script, not a package's ``__main__``)."""

import sys

from agent.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
