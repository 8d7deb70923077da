"""The reference for ``bench_live.py --part first-chart``: a Streamlit page with a title and one
three-point Plotly line chart, and nothing else (no torch, no seqviz, no engine).

Started like the app (``streamlit run`` from the project root, so the same
``.streamlit/config.toml``) on a freshly started server, it measures the floor every page of
the app shares on this machine: Streamlit's front end, one script run and Plotly.js loading and
drawing in the browser. Not a page of the app.
"""

import plotly.graph_objects as go
import streamlit as st

st.title("First-chart reference")
st.plotly_chart(go.Figure(go.Scatter(x=[0, 1, 2], y=[1, 3, 2], mode="lines")))
