"""The reference for ``bench_live.py --part first-chart``: a Streamlit page with a title and one
three-point Plotly line chart, and nothing else (no torch, no lesson, no engine).

Started like the app (``streamlit run`` from the project root, so the same
``.streamlit/config.toml``) on a freshly started server, it measures the floor every page of
the app shares on this machine: Streamlit's front end, one script run and Plotly.js loading and
drawing in the browser. The chart is drawn as every chart of the app is
(``seqviz.ui.chart``, which imports Streamlit and plotly only). Not a page of the app.
"""

import sys
from pathlib import Path

import plotly.graph_objects as go
import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from the root
from seqviz.ui.chart import chart  # noqa: E402

st.title("First-chart reference")
chart(go.Figure(go.Scatter(x=[0, 1, 2], y=[1, 3, 2], mode="lines")), key="reference")
