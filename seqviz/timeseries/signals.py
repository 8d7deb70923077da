"""The generated signals: x_t for t = 0 .. T-1, noisy, reproducible from a seed.

- ``sines``     a sum of three sines of unrelated periods (periodic, so a long enough window
                 of the past predicts it; d2l 8.1 uses one sine)
- ``plucked``   a damped oscillation, plucked again every ``PLUCK_EVERY`` steps
- ``sawtooth``  a ramp that drops back every period: smooth to predict except at the drop
- ``walk``      a random walk: x_t = x_{t-1} + e_t, Markov of order one by construction

Every clean signal has a standard deviation near 1 over the series; ``noise`` is the standard
deviation of the Gaussian observation noise added to it.
"""

from __future__ import annotations

import numpy as np

SIGNALS = ("sines", "plucked", "sawtooth", "walk")
PLUCK_EVERY = 125  # steps between two plucks of the damped oscillation
SAW_PERIOD = 50


def clean(signal: str, length: int, rng: np.random.Generator) -> np.ndarray:
    """The noise-free signal, (T,) float64."""
    t = np.arange(length, dtype=np.float64)
    if signal == "sines":
        x = np.sin(2 * np.pi * t / 60) + 0.6 * np.sin(2 * np.pi * t / 23 + 1.0) \
            + 0.4 * np.sin(2 * np.pi * t / 9.3 + 2.0)
        return x / 0.85
    if signal == "plucked":
        phase = t % PLUCK_EVERY
        return 3.6 * np.exp(-phase / 40) * np.sin(2 * np.pi * phase / 16)
    if signal == "sawtooth":
        return ((t % SAW_PERIOD) / SAW_PERIOD - 0.5) * np.sqrt(12)
    if signal == "walk":
        x = np.cumsum(rng.normal(0.0, 1.0, length))
        return (x - x.mean()) / max(float(x.std()), 1e-9)
    raise ValueError(f"unknown signal {signal!r}; valid names: {', '.join(SIGNALS)}")


def generate(signal: str, length: int, noise: float, seed: int) -> np.ndarray:
    """The observed series: clean signal plus N(0, noise^2) noise, (T,) float64."""
    rng = np.random.default_rng(int(seed))
    x = clean(signal, int(length), rng)
    return x + rng.normal(0.0, float(noise), x.shape)
