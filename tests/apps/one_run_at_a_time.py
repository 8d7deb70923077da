"""A test app for tests/test_browser_reruns.py, run with the project's .streamlit/config.toml:
counts how many script runs of the server execute at once."""

import threading
import time

import streamlit as st


@st.cache_resource
def _runs() -> dict:
    return {"lock": threading.Lock(), "started": 0, "now": 0, "most": 0}


runs = _runs()
with runs["lock"]:
    runs["started"] += 1
    runs["now"] += 1
    runs["most"] = max(runs["most"], runs["now"])
try:
    time.sleep(1.0)  # work without a Streamlit call, as a model build or a tick's drawing does
finally:
    with runs["lock"]:
        runs["now"] -= 1
st.button("Again")
st.write(f"Runs: {runs['started']}. At once, at most: {runs['most']}.")
