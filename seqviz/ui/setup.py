"""The one setup call every page starts with: page config, readable type, torch threads."""

from __future__ import annotations

import threading

import streamlit as st
import torch
from threadpoolctl import threadpool_limits

from seqviz.ui.catalog import sidebar_nav

_TORCH_READY = threading.Event()

# Larger base type so a projected page reads from the back row.
_CSS = """
<style>
html, body, [data-testid="stAppViewContainer"] { font-size: 18px; }
[data-testid="stMetricValue"] { font-size: 2.0rem; }
</style>
"""


def setup_page(title: str, icon: str = "🔁") -> None:
    """Page config (wide), house CSS and ``torch.set_num_threads(1)`` once per process.

    Many sessions share one server process; one thread each keeps a busy lecture hall fair.
    """
    st.set_page_config(page_title=f"{title} · seqviz", page_icon=icon, layout="wide")
    if not _TORCH_READY.is_set():
        torch.set_num_threads(1)
        threadpool_limits(1, user_api="blas")  # numpy's BLAS threads fight on a busy 2-core box
        _TORCH_READY.set()
    st.markdown(_CSS, unsafe_allow_html=True)
    sidebar_nav()
