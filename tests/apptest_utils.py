"""Helpers for Streamlit AppTest: run a page, read its Plotly figures."""

from __future__ import annotations

import json
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 120  # torch import and the first corpus load take seconds


def run_page(path: str, query: dict | None = None, session: dict | None = None) -> AppTest:
    st.cache_data.clear()
    st.cache_resource.clear()
    # Start from the entrypoint like a browser does, so page links resolve, then switch.
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    for k, v in (session or {}).items():
        at.session_state[k] = v
    if path != "app.py":
        at.switch_page(path)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def figures(at: AppTest) -> list[dict]:
    """Every Plotly chart on the page as its figure dict."""
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def trace_len(trace: dict, axis: str = "y") -> int:
    """Number of points in a trace, whether stored as a list or as base64 numpy."""
    data = trace.get(axis)
    if data is None:
        return 0
    if isinstance(data, dict):  # {"dtype", "bdata", "shape"}
        shape = data.get("shape")
        return int(str(shape).split(",")[0]) if shape else len(data.get("bdata", "")) and 1
    return len(data)


def texts(at: AppTest) -> str:
    """All visible text of markdown, captions, alerts and code blocks, joined."""
    parts = []
    for kind in ("markdown", "caption", "error", "warning", "info", "success", "code",
                 "title", "subheader"):
        parts += [str(el.value) for el in at.get(kind)]
    return "\n".join(parts)
