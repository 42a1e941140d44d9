"""Reports: the report pages, their tables and timelines, as HTML and CSV."""
