"""Tandem relay: pairs reps' consoles with customers' pages and agents."""

from pathlib import Path

SERVER_DIR = Path(__file__).resolve().parent
"""The package's folder, where templates/, static/, locales/ and schema/ are, whichever subpackage asks."""
