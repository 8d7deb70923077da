"""The sequence-tasks page's config: one frozen dataclass, round-tripping to the URL."""

from __future__ import annotations

from dataclasses import dataclass

from seqviz.config import setting

TASKS = ("sentiment", "tagging")
SHAPES = ("one-to-one", "one-to-many", "many-to-one", "many-to-many", "encoder-decoder")
TASK_SHAPE = {"sentiment": "many-to-one", "tagging": "many-to-many"}
TRAIN_SIZES = (50, 100, 200, 500, 1000, 2000, 5000)
HIDDEN_SIZES = (4, 8, 16, 32, 64, 128, 256)
EMBED_SIZES = (4, 8, 16, 32, 64)
LRS = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1)
WEIGHT_DECAYS = (0.0, 1e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1)
DROPOUTS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


@dataclass(frozen=True)
class SeqTaskConfig:
    pretrained: str = setting("none", choices=("none", "sentiment", "tagging"))
    task: str = setting("sentiment", choices=TASKS)
    reviews: str = setting("en", choices=("en", "zh"))  # the reviews' language (sentiment)
    cell: str = setting("lstm", choices=("rnn", "gru", "lstm"))
    bidirectional: bool = setting(False)
    num_layers: int = setting(1, lo=1, hi=3)
    hidden_size: int = setting(32, choices=HIDDEN_SIZES)
    embed_size: int = setting(16, choices=EMBED_SIZES)
    train_size: int = setting(2000, choices=TRAIN_SIZES)
    batch_size: int = setting(32, choices=(8, 16, 32, 64, 128))
    lr: float = setting(3e-3, live=True, lo=1e-5, hi=1.0)
    dropout: float = setting(0.0, live=True, lo=0.0, hi=0.8)
    weight_decay: float = setting(0.0, live=True, lo=0.0, hi=0.1)
    seed: int = setting(0, lo=0, hi=2**31 - 1)


def describe(cfg: SeqTaskConfig) -> str:
    """e.g. ``bi-LSTM 2 x 32`` (data, not translated)."""
    return (("bi-" if cfg.bidirectional else "") + cfg.cell.upper()
            + (f" {cfg.num_layers} × {cfg.hidden_size}" if cfg.num_layers > 1
               else f" {cfg.hidden_size}"))
