"""The two forecasters and k-step-ahead prediction (d2l 8.1; Box & Jenkins for autoregression).

- ``ARModel``: an autoregressive MLP. The Markov assumption: x_t depends only on the tau values
  before it, x̂_t = f(x_{t-tau}, ..., x_{t-1}).
- ``RNNForecaster``: a latent-variable model. A recurrent state h_t = g(h_{t-1}, x_t)
  summarises x_1 .. x_t, and x̂_{t+1} = w·h_t + b. It reads a warm-up window of the past
  (``warmup`` values, as long as its training windows) from a zero state.

k-step-ahead prediction from an origin o (the last observed value x_o): predict x̂_{o+1}, then
feed it back as if observed to predict x̂_{o+2}, and so on up to x̂_{o+k}; the errors of the
earlier steps enter the later ones, so the error grows with k. ``forecast`` does this for many
origins at once (B = origins); ``one_step`` predicts every target from true values only, by a
separate path (a test checks that k = 1 of ``forecast`` equals it).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from seqviz.models import build_recurrent


class ARModel(nn.Module):
    """x̂_t = MLP(x_{t-tau} .. x_{t-1}): one hidden ReLU layer, as in d2l 8.1."""

    def __init__(self, tau: int, hidden_size: int):
        super().__init__()
        self.tau = int(tau)
        self.net = nn.Sequential(nn.Linear(self.tau, hidden_size), nn.ReLU(),
                                 nn.Linear(hidden_size, 1))

    def forward(self, windows: torch.Tensor) -> torch.Tensor:
        return self.net(windows).squeeze(-1)  # (B, tau) -> (B,)


class RNNForecaster(nn.Module):
    """A recurrent layer over the scalar series and a linear read-out of its state."""

    def __init__(self, cell: str, hidden_size: int, warmup: int):
        super().__init__()
        self.warmup = int(warmup)
        self.rnn = build_recurrent(cell, 1, hidden_size, batch_first=True)
        self.out = nn.Linear(hidden_size, 1)

    def forward(self, x: torch.Tensor, state=None):
        """x (B, T) -> (predictions of the next value at each position (B, T), state)."""
        h, state = self.rnn(x.unsqueeze(-1), state)  # (B, T, H)
        return self.out(h).squeeze(-1), state


def _windows(series: torch.Tensor, ends: np.ndarray, width: int) -> torch.Tensor:
    """(B, width): series[e - width + 1 .. e] for each end index e (e >= width - 1)."""
    idx = torch.as_tensor(ends, dtype=torch.long)[:, None] - width + 1 + torch.arange(width)
    return series[idx]


def context(model: nn.Module) -> int:
    """How many past values a model reads before its first prediction."""
    return model.tau if isinstance(model, ARModel) else model.warmup


@torch.no_grad()
def one_step(model: nn.Module, series: torch.Tensor, targets: np.ndarray) -> np.ndarray:
    """x̂_t for each target t (t >= context), from the true values before it; (N,) float64."""
    was = model.training
    model.eval()
    if isinstance(model, ARModel):
        pred = model(_windows(series, np.asarray(targets) - 1, model.tau))
    else:
        pred = model(_windows(series, np.asarray(targets) - 1, model.warmup))[0][:, -1]
    model.train(was)
    return pred.double().numpy()


@torch.no_grad()
def forecast(model: nn.Module, series: torch.Tensor, origins: np.ndarray, k: int) -> np.ndarray:
    """x̂_{o+1} .. x̂_{o+k} from each origin o, predictions fed back; (N, k) float64."""
    was = model.training
    model.eval()
    out = torch.empty(len(origins), k)
    if isinstance(model, ARModel):
        window = _windows(series, origins, model.tau)  # (N, tau)
        for j in range(k):
            out[:, j] = model(window)
            window = torch.cat([window[:, 1:], out[:, j:j + 1]], dim=1)  # drop the oldest
    else:
        pred, state = model(_windows(series, origins, model.warmup))  # read the true past
        out[:, 0] = pred[:, -1]
        for j in range(1, k):
            pred, state = model(out[:, j - 1:j], state)  # the prediction is the next input
            out[:, j] = pred[:, -1]
    model.train(was)
    return out.double().numpy()
