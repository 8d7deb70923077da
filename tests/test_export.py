"""Exports in the Embedding Projector's TSV format, map coordinates, standalone HTML."""

import csv
import io

import numpy as np
import plotly.graph_objects as go
import pytest

from seqviz.embeddings.export import coordinates_tsv, figure_html, metadata_tsv, vectors_tsv


def test_vectors_tsv_has_no_header_and_round_trips():
    v = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    text = vectors_tsv(v)
    lines = text.splitlines()
    assert len(lines) == 5 and all(len(line.split("\t")) == 3 for line in lines)
    np.testing.assert_allclose(np.loadtxt(io.StringIO(text), delimiter="\t"), v, rtol=1e-5)
    assert text.endswith("\n")


def test_vectors_tsv_refuses_bad_input():
    with pytest.raises(ValueError, match="2-D"):
        vectors_tsv(np.zeros(3))
    with pytest.raises(ValueError, match="NaN"):
        vectors_tsv(np.array([[1.0, np.nan]]))


def test_single_column_metadata_has_no_header():
    assert metadata_tsv(["king", "queen"]) == "king\nqueen\n"


def test_multi_column_metadata_has_a_header_and_escapes_tabs_and_newlines():
    text = metadata_tsv(["a\tb", "\n", "x"], {"group": ["g1", "g2", "g3"], "count": [3, 2, 1]})
    rows = list(csv.reader(io.StringIO(text), delimiter="\t"))
    assert rows[0] == ["label", "group", "count"]
    assert rows[1:] == [["a\\tb", "g1", "3"], ["\\n", "g2", "2"], ["x", "g3", "1"]]
    with pytest.raises(ValueError, match="'group' has 1 values but there are 3 labels"):
        metadata_tsv(["a", "b", "c"], {"group": ["g"]})


def test_coordinates_tsv():
    text = coordinates_tsv(np.array([[0.5, -1.0], [2.0, 3.25]]), ["king", "queen"])
    assert text == "label\tx\ty\nking\t0.5\t-1\nqueen\t2\t3.25\n"
    with pytest.raises(ValueError, match="2 points but 1 labels"):
        coordinates_tsv(np.zeros((2, 2)), ["a"])


def test_figure_html_is_self_contained():
    fig = go.Figure(go.Scatter(x=[1, 2], y=[3, 4], text=["king", "queen"]))
    html = figure_html(fig)
    assert "<html>" in html[:40] and "queen" in html
    assert len(html) > 1_000_000  # plotly.js itself is embedded
    assert 'src="https://cdn.plot.ly' not in html  # nothing is fetched when it opens
