"""Word categories of the toy grammars as the map shows them: their names (translated where
shown) and colours, the same in English and Chinese. No torch, no data: the map figure reads
them (``seqviz.embeddings.grammars.category_of`` says which word is in which)."""

from __future__ import annotations

from seqviz.i18n import N_, _

CATEGORY_NAMES = {  # category -> its name on the map's legend (translated there), legend order
    "royalty": N_("royalty"), "person": N_("person"), "animal": N_("animal"),
    "colour": N_("colour"), "number": N_("number"), "food": N_("food"), "place": N_("place"),
    "object": N_("object"), "verb": N_("verb"), "adjective": N_("adjective"),
    "function": N_("function word"), "other": N_("other"), "unknown": N_("unknown"),
}


# category -> its colour, the same in both languages (plotly's Dark24 and a few others)
CATEGORY_COLOURS = {
    "royalty": "#d62728", "person": "#ff7f0e", "animal": "#e31a9e", "colour": "#3d3d3d",
    "number": "#7b3fa0", "food": "#b8860b", "place": "#2ca02c", "object": "#4b3fd6",
    "verb": "#e377c2", "adjective": "#17a589", "function": "#1f9bde", "other": "#9e9e9e",
    "unknown": "#c7c7c7",
}


def category_name(group: str) -> str:
    """A colour group as the legend shows it: a known category translated, anything else (a
    hidden state's next token, already translated) as it is."""
    return _(CATEGORY_NAMES[group]) if group in CATEGORY_NAMES else group
