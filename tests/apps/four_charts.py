"""A test app for tests/test_browser_charts.py: four charts drawn in one script run."""

import plotly.graph_objects as go
import streamlit as st

from seqviz.ui.chart import chart

for i in range(4):
    chart(go.Figure(go.Scatter(x=list(range(50)), y=[(v * (i + 1)) % 7 for v in range(50)],
                               name=f"chart {i}")), key=f"chart{i}")
st.write("Four charts.")
