"""Static markdown tables (``seqviz.ui.tables``): cells shown as typed, numbers aligned."""

from seqviz.ui.tables import cell, markdown_grid, table


class _Sink:
    def __init__(self):
        self.calls = []

    def markdown(self, text, unsafe_allow_html=False):
        self.calls.append((text, unsafe_allow_html))


def test_a_cell_is_never_markup_nor_html():
    assert cell("a|b") == r"a\|b"
    assert cell("snake_case_word") == r"snake\_case\_word"
    assert cell("**bold**") == r"\*\*bold\*\*"
    assert cell("<img src=x onerror=alert(1)>") == "&lt;img src=x onerror=alert(1)&gt;"
    assert cell("two\nlines") == "two lines"  # a line break would end the row
    assert cell("$x$") == r"\$x\$"
    assert cell(3) == "3"


def test_table_right_aligns_number_columns_and_formats_floats():
    sink = _Sink()
    table([{"word": "king", "cosine": 0.5, "rank": 1},
           {"word": "a|b", "cosine": 0.12345, "rank": 2}], where=sink)
    (text, allow_html), = sink.calls
    assert not allow_html
    lines = text.split("\n")
    assert lines[0] == "| word | cosine | rank |"
    assert lines[1] == "| --- | ---: | ---: |"
    assert lines[2] == "| king | 0.500 | 1 |"
    assert lines[3] == r"| a\|b | 0.123 | 2 |"


def test_table_of_no_rows_draws_nothing():
    sink = _Sink()
    table([], where=sink)
    assert sink.calls == []


def test_grid_adds_the_header_rule_and_allows_line_breaks():
    sink = _Sink()
    markdown_grid([["**a**", "**b**"], ["x<br>0.1", ""]], where=sink)
    (text, allow_html), = sink.calls
    assert allow_html
    assert text.split("\n") == ["| **a** | **b** |", "| --- | --- |", "| x<br>0.1 |  |"]


def test_the_probe_neighbour_grid_escapes_corpus_words(monkeypatch):
    import streamlit as st

    from seqviz.ui.embeddings.panel import neighbour_table

    sink = _Sink()
    monkeypatch.setattr(st, "markdown", sink.markdown)
    neighbour_table({"snake_case": [("a|b", 0.5), ("<b>x</b>", 0.25)], "king": [("queen", 0.9)]})
    (text, allow_html), = sink.calls
    assert allow_html  # two lines per cell
    assert text.split("\n") == [r"| **snake\_case** | **king** |", "| --- | --- |",
                                r"| a\|b<br>0.500 | queen<br>0.900 |",
                                "| &lt;b&gt;x&lt;/b&gt;<br>0.250 |  |"]
