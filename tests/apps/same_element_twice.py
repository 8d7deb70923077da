"""A test app for tests/test_browser_reruns.py, run with the project's .streamlit/config.toml:
an element of 20 kB (the size of a chart's figure) drawn again on every run."""

import streamlit as st

st.code("x" * 20_000)
st.button("Again")
st.write(f"Runs: {st.session_state.setdefault('runs', 0) + 1}.")
st.session_state.runs += 1
