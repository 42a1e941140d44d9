"""The Support Manager's string catalogs, one module per language (see agent/i18n.py)."""
