"""The time-series page's config: one frozen dataclass that round-trips to the URL."""

from __future__ import annotations

from dataclasses import dataclass

from seqviz.config import setting
from seqviz.timeseries.signals import SIGNALS

LENGTHS = (300, 500, 1000, 2000, 5000)
TRAIN_SHARES = (0.5, 0.6, 0.7, 0.8)
HIDDEN_SIZES = (8, 16, 32, 64, 128)
SEQ_LENS = (8, 16, 32, 64, 128)
BATCH_SIZES = (8, 16, 32, 64, 128)
TAU_MAX = 64
HORIZON = 64  # the longest k of the k-step-ahead predictions
SHOWN_K = (1, 4, 16, 64)  # the horizons drawn over the validation span (d2l Fig. 8.1.5)


@dataclass(frozen=True)
class TimeSeriesConfig:
    """The data (a generated signal or an uploaded CSV column), the autoregressive MLP on tau
    past values, the recurrent forecaster, optimiser and seed."""

    signal: str = setting("sines", choices=SIGNALS + ("upload",))
    upload: str = setting("", pattern=r"[0-9a-f]{16}")  # id of the uploaded CSV (signal=upload)
    column: str = setting("", max_len=100)  # the CSV column used (signal=upload)
    length: int = setting(1000, choices=LENGTHS)  # points of a generated signal
    noise: float = setting(0.2, lo=0.0, hi=1.0)  # observation noise (generated signals)
    train_share: float = setting(0.6, choices=TRAIN_SHARES)  # the first part trains, the rest
    tau: int = setting(16, lo=1, hi=TAU_MAX)  # the MLP's window: x_{t-tau} .. x_{t-1}
    cell: str = setting("gru", choices=("rnn", "gru", "lstm"))
    hidden_size: int = setting(32, choices=HIDDEN_SIZES)
    seq_len: int = setting(32, choices=SEQ_LENS)  # the RNN's training window (and warm-up)
    batch_size: int = setting(32, choices=BATCH_SIZES)
    lr: float = setting(0.01, live=True, lo=1e-5, hi=1.0)
    seed: int = setting(0, lo=0, hi=2**31 - 1)
