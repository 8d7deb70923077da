"""The CTC page's UI: ``panel`` (building the run, the live panel, the collapse rule)."""
