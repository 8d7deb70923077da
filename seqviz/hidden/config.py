"""The hidden-states page's config: which model, which probe text, which layer, unit and span.

A frozen dataclass that round-trips through the URL like every page config (``seqviz.config``),
so a lecturer can share a link that opens the line-position unit of the bundled Python LSTM. Values
that depend on the model (layer, unit, span, position) are checked against it on the page,
which clamps them with a notice; -1 means "choose automatically".
"""

from __future__ import annotations

from dataclasses import dataclass

from seqviz.checkpoint import list_pretrained
from seqviz.config import setting
from seqviz.hidden.neurons import ORDERS
from seqviz.hidden.probes import MAX_TOKENS

LIVE, UPLOAD = "live", "upload"
SOURCES = (LIVE, *list_pretrained("lm"), UPLOAD)
PROBES = ("typed", "validation")
STATES = ("hidden", "cell")
TABS = ("heatmap", "gates", "finder", "trajectory", "predictions")  # the page's tabs, in order
MAX_TEXT_CHARS = 4000  # a typed probe longer than this is cut (the display limit is in tokens)


@dataclass(frozen=True)
class HiddenConfig:
    """Hidden states and gates, neuron by neuron."""

    source: str = setting(LIVE, choices=SOURCES)
    probe: str = setting("typed", choices=PROBES)
    text: str = setting("")  # typed probe text; "" = the model's example
    passage: int = setting(0, lo=0, hi=100_000)  # validation passage index
    layer: int = setting(0, lo=0, hi=7)
    state: str = setting("hidden", choices=STATES)
    order: str = setting("variance", choices=ORDERS)
    unit: int = setting(-1, lo=-1, hi=4095)  # -1 = the first unit in the display order
    start: int = setting(-1, lo=-1, hi=MAX_TOKENS)  # selected span [start, end); -1 = automatic
    end: int = setting(-1, lo=-1, hi=MAX_TOKENS)
    match_units: int = setting(2, lo=1, hi=8)  # top units that must be on together in a match
    position: int = setting(-1, lo=-1, hi=MAX_TOKENS)  # prediction position; -1 = automatic
    tab: str = setting("heatmap", choices=TABS)  # the open tab: a link (a lecture step) opens it
