"""Exports: the TSV files TensorFlow's Embedding Projector loads, map coordinates, the figure.

The Projector (Smilkov et al. 2016, projector.tensorflow.org, "Load") reads ``vectors.tsv`` —
one vector per line, values separated by tabs, no header — and ``metadata.tsv`` — one label
per line, with no header when it has a single column, and with a header row naming the columns
when it has more. Labels are single-line: tabs and line breaks inside a label are written as
visible escapes so rows stay aligned. The figure is a standalone HTML file with plotly.js
embedded, so it opens offline.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio


def _cell(value) -> str:
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\r", "\\r") \
        .replace("\n", "\\n")


def vectors_tsv(vectors, precision: int = 6) -> str:
    """(N, D) -> N lines of D tab-separated numbers, no header."""
    v = np.asarray(vectors, dtype=np.float64)
    if v.ndim != 2:
        raise ValueError(f"vectors must be 2-D (N, D), got shape {v.shape}")
    if not np.isfinite(v).all():
        raise ValueError("vectors contain NaN or infinite values")
    return "".join("\t".join(f"{x:.{precision}g}" for x in row) + "\n" for row in v)


def metadata_tsv(labels: Sequence[str], columns: dict[str, Sequence] | None = None) -> str:
    """Labels (and optional extra columns): no header for one column, a header row for more."""
    columns = dict(columns or {})
    for name, values in columns.items():
        if len(values) != len(labels):
            raise ValueError(f"column {name!r} has {len(values)} values but there are "
                             f"{len(labels)} labels")
    if not columns:
        return "".join(_cell(s) + "\n" for s in labels)
    header = "\t".join(_cell(c) for c in ["label", *columns]) + "\n"
    rows = zip(labels, *columns.values())
    return header + "".join("\t".join(_cell(x) for x in row) + "\n" for row in rows)


def coordinates_tsv(coords, labels: Sequence[str], names: tuple[str, str] = ("x", "y")) -> str:
    """The projected map: a header ``label x y`` and one row per point."""
    xy = np.asarray(coords, dtype=np.float64)
    if xy.ndim != 2 or xy.shape[1] != 2:
        raise ValueError(f"coords must have shape (N, 2), got {xy.shape}")
    if len(xy) != len(labels):
        raise ValueError(f"{len(xy)} points but {len(labels)} labels")
    head = "\t".join(["label", *names]) + "\n"
    return head + "".join(f"{_cell(s)}\t{x:.6g}\t{y:.6g}\n" for s, (x, y) in zip(labels, xy))


def figure_html(fig: go.Figure) -> str:
    """A self-contained HTML page (plotly.js embedded, no network needed to open it) of a
    figure, or of a figure's finished dict (what ``to_dict()`` gives: not validated again)."""
    return pio.to_html(fig.to_dict(), include_plotlyjs=True, full_html=True, validate=False)
