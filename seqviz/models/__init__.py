"""Models: hand-written recurrent layers (torch-compatible parameters) and what builds on them."""

from seqviz.models.cells import Internals
from seqviz.models.recurrent import CELLS, GRU, LSTM, RNN, build_recurrent

__all__ = ["CELLS", "GRU", "LSTM", "RNN", "Internals", "build_recurrent"]
