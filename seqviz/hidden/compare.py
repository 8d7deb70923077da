"""Two steps of training compared on one probe text: how each unit's state changed.

The hidden-states page rewinds the live model to kept past steps (``seqviz.engine.rewind``) and
traces the probe with each; these helpers turn two traces' states into the difference it draws.
"""

from __future__ import annotations

import numpy as np


def state_change(before: np.ndarray, after: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(after - before) (T, H) and each unit's mean absolute change (H,)."""
    before, after = np.asarray(before, dtype=float), np.asarray(after, dtype=float)
    if before.shape != after.shape or before.ndim != 2:
        raise ValueError(f"both states must have one shape (T, H), got {before.shape} and "
                         f"{after.shape}")
    diff = after - before  # (T, H)
    return diff, np.abs(diff).mean(axis=0)
