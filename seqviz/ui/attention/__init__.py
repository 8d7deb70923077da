"""The attention page's UI: ``panel`` (building the run, the live panel with the replay
timeline) and ``sections`` (your own input, the long-input study)."""
