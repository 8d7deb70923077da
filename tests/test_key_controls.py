"""Presenter mode's row of key controls above the charts (``seqviz.ui.layout.control_area``): a
select box shows its value in an <input>, which cannot wrap, so one with long option labels
gets a cell wide enough instead of being cut (browser check: ``tests.browser.check_looks``)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from seqviz.ui.layout import CELL_TEXT, row_for, text_width, widest


def _page() -> None:
    import streamlit as st

    from seqviz.ui.controls import select
    from seqviz.ui.layout import page_header

    page_header("Key controls")
    select("k", "corpus", "Corpus", ["Toy grammar (English)", "prose"], main=True)
    select("k", "cell", "Cell", ["rnn", "lstm"], main=True)
    select("k", "mode", "Mode", ["a fairly long radio label", "b"], horizontal=True, main=True)
    select("k", "ends", "Ends", ["the beam shrinks", "the beam refills"], main=True)
    st.session_state["drawn"] = True


def test_text_width_counts_wide_characters_twice():
    assert text_width("Toy grammar") == 11
    assert text_width("玩具文法") == 8 and text_width("📦 dates") == 8
    assert widest(["rnn", "x" * (CELL_TEXT + 1)]) == CELL_TEXT + 1 and widest([]) == 0


@pytest.mark.parametrize("present", [True, False])
def test_a_select_box_with_long_labels_gets_a_double_cell_when_presenting(present):
    at = AppTest.from_function(_page)
    at.session_state["present"] = present
    at.run()
    assert not at.exception and at.session_state["drawn"]
    if not present:  # everything in the sidebar
        assert {s.key for s in at.sidebar.selectbox} == {"k.w.corpus", "k.w.cell", "k.w.ends"}
        return
    weights = [round(c.weight, 3) for c in at.columns]
    # a row whose first cell shows the corpus's 21 letters (the three others then show 15),
    # then a row of quarters: the last select box's 16 letters fit a quarter, not a 15 cell
    first, shows = row_for(text_width("Toy grammar (English)"))
    assert shows[0] >= 21 and shows[1] == 15 and first[0] > 0.25
    assert weights == [round(w / sum(first), 3) for w in first] + [0.25] * 4
    assert [s.key for s in at.columns[0].selectbox] == ["k.w.corpus"]
    assert [s.key for s in at.columns[1].selectbox] == ["k.w.cell"]  # same row, next cell
    assert [r.key for r in at.columns[2].radio] == ["k.w.mode"]  # a radio wraps: any cell
    assert not at.columns[3].children and [s.key for s in at.columns[4].selectbox] == [
        "k.w.ends"]


def test_a_row_opened_by_a_wide_control_gives_it_just_what_it_needs():
    """The opener's cell shows its text; the rest of the row is shared by three cells, so a
    slightly wide control leaves room for normal ones beside it (Attention in presenter mode:
    "Start from" then "Task" in one row)."""
    assert row_for(0) == ([1.0] * 4, (CELL_TEXT,) * 4)
    previous = CELL_TEXT
    for text in range(CELL_TEXT + 1, 60):
        weights, shows = row_for(text)
        assert shows[0] >= text and abs(sum(weights) - 1) < 0.01, text
        assert shows[1] <= previous and all(s == shows[1] for s in shows[1:])
        previous = shows[1]
    assert row_for(18)[1][1] >= 15  # "📦 三千零五 → 3005" opens, "toy translation" fits
    assert row_for(33) == ([0.4, 0.2, 0.2, 0.2], (33, 13, 13, 13))  # the measured points
