"""Helpers for Streamlit AppTest: run a page, read its Plotly figures."""

from __future__ import annotations

import base64
import html
import json
import re
import time
from pathlib import Path
from typing import Callable

import numpy as np

import streamlit as st
from streamlit.testing.v1 import AppTest

from seqviz.ui.chart import COMPONENT as CHART_COMPONENT
from seqviz.ui.chart import TRACES

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 120  # torch import and the first corpus load take seconds


def run_page(path: str, query: dict | None = None, session: dict | None = None, *,
             clear_caches: bool = True) -> AppTest:
    if clear_caches:  # a test may share the server's caches between two sessions instead
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


def run_until(at: AppTest, done: Callable[[AppTest], bool], timeout: float = 60.0,
              what: str = "the condition") -> AppTest:
    """Rerun the page (as its live fragment would) until ``done(at)``; training happens in the
    engine's workers, so how many reruns that takes depends on the machine's load."""
    deadline = time.monotonic() + timeout
    while not done(at):
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout} s"
        time.sleep(0.1)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
    return at


def chart_figure(proto) -> dict | None:
    """The figure dict an element draws, if it is one of the app's charts
    (``seqviz.ui.chart``: a ``st.components.v2`` element carrying the figure's JSON; the
    page's ``preload`` element carries none)."""
    if type(proto).__name__ != "BidiComponent" or proto.component_name != CHART_COMPONENT:
        return None
    figure = json.loads(proto.json).get("figure")
    if not figure:
        return None
    fig = json.loads(figure)
    types = {t.get("type", "scatter") for t in fig.get("data", [])}
    # the browser's Plotly.js is the cartesian bundle: another trace type would not draw
    assert types <= TRACES, f"trace types {sorted(types - TRACES)} are not in seqviz/ui/static"
    return fig


def figures(at: AppTest) -> list[dict]:
    """Every chart on the page as its figure dict, in page order."""
    found = (chart_figure(el.proto) for el in at.get("bidi_component"))
    return [fig for fig in found if fig is not None]


def trace_values(trace: dict, axis: str = "y") -> np.ndarray:
    """A trace's values, whether stored as a list or as base64 numpy
    (``{"dtype", "bdata", "shape"}``; 1-D arrays may come without a shape)."""
    data = trace.get(axis)
    if data is None:
        return np.array([])
    if isinstance(data, dict):
        arr = np.frombuffer(base64.b64decode(data["bdata"]), dtype=np.dtype(data["dtype"]))
        shape = data.get("shape")
        return arr.reshape([int(s) for s in str(shape).split(",")]) if shape else arr
    return np.asarray(data, dtype=object)


def trace_len(trace: dict, axis: str = "y") -> int:
    """Number of points in a trace (rows, for a 2-D array)."""
    return len(trace_values(trace, axis))


def texts(at: AppTest) -> str:
    """All visible text of markdown, captions, alerts and code blocks, joined (not the house
    CSS, which is markdown too: "padding" would otherwise contain "adding")."""
    parts = []
    for kind in ("markdown", "caption", "error", "warning", "info", "success", "code",
                 "title", "subheader"):
        parts += [str(el.value) for el in at.get(kind)
                  if not str(el.value).lstrip().startswith("<style")]
    return "\n".join(parts)


_SEPARATOR = re.compile(r"^\|(\s*-+:?\s*\|)+$")
_CELL_BORDER = re.compile(r"(?<!\\)\|")


def markdown_tables(at: AppTest) -> list[list[dict[str, str]]]:
    """The page's markdown tables (``seqviz.ui.tables``), in order: each a list of rows of
    {column: cell text}, the cells unescaped as a reader sees them."""
    def cells(line: str) -> list[str]:
        inner = _CELL_BORDER.split(line.strip())[1:-1]
        return [html.unescape(re.sub(r"\\(.)", r"\1", c.strip())) for c in inner]

    out = []
    for el in at.markdown:
        lines = str(el.value).strip().splitlines()
        if len(lines) >= 2 and lines[0].startswith("|") and _SEPARATOR.match(lines[1]):
            head = cells(lines[0])
            out.append([dict(zip(head, cells(line))) for line in lines[2:]])
    return out


def fork_by_link(follower: AppTest, page: str) -> AppTest:
    """Follow the Follow page's Fork link as a browser does: open its lesson ``page`` with the
    link's query string (``fork=CODE`` and the display settings), in the same session."""
    from urllib.parse import parse_qsl

    links = [link.proto for link in follower.get("page_link") if "Fork" in link.proto.label]
    assert len(links) == 1, [link.proto.label for link in follower.get("page_link")]
    follower.query_params.clear()
    follower.query_params.update(parse_qsl(links[0].query_string))
    assert "fork" in follower.query_params, links[0].query_string
    follower.switch_page(page).run()
    assert not follower.exception, [e.value for e in follower.exception]
    return follower


def chart_places(at) -> list[tuple[int, ...]]:
    """Where each plotly chart sits in the page's element tree: Streamlit knows an element by
    this place, and a chart that moves is taken down and drawn again in the browser."""
    out = []

    def walk(node, path):
        if chart_figure(getattr(node, "proto", None)) is not None:
            out.append(path)
        for i, child in getattr(node, "children", {}).items():
            walk(child, (*path, i))

    walk(at.main, ())
    return out
