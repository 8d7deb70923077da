"""The time-series experiment: an autoregressive MLP and a recurrent forecaster trained side by
side (in lockstep, one update each per step) on the training span of one series, evaluated on
the validation span that follows it in time (d2l 8.1).

Both are trained on one-step-ahead squared error of the standardised series (mean and standard
deviation of the training span). Evaluations run at fixed steps (``EVAL_AT``, then every
``EVAL_EVERY``), so a run's curves are the same on any machine, whatever the load. Each holds
the one-step predictions over the whole series, the k-step forecasts for k = 1 .. ``HORIZON``
from every validation origin, and the error at each k.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from seqviz.models.seeding import seeded
from seqviz.timeseries.config import HORIZON, TimeSeriesConfig
from seqviz.timeseries.markov import MarkovCurve, markov_curve
from seqviz.timeseries.models import ARModel, RNNForecaster, forecast, one_step
from seqviz.timeseries.signals import generate
from seqviz.train import Trainer

EVAL_AT = (1, 10, 25, 50, 100, 150, 200)
EVAL_EVERY = 50  # after the last of EVAL_AT (an evaluation costs about 3 training steps)
MAX_LOSS = 1e3  # squared error of the standardised series; 1 is predicting the mean
MIN_POINTS = 200  # a series needs this many values (training and validation spans)
MARKOV_K = 16  # the horizon of the k-step curve against tau


@dataclass(frozen=True)
class Series:
    """A series as the models see it, and how to show it in its own units."""

    x: np.ndarray  # (T,) standardised: (raw - mean) / std of the training span
    mean: float
    std: float
    train_end: int  # x[:train_end] trains, x[train_end:] validates
    noise_var: float | None  # the observation noise's variance in standardised units, if known

    @property
    def origins(self) -> np.ndarray:
        """The validation origins o (x_o is the last value seen) that every k <= HORIZON
        shares: o + 1 .. o + HORIZON all lie in the validation span."""
        return np.arange(self.train_end - 1, len(self.x) - HORIZON)


def make_series(cfg: TimeSeriesConfig, values: np.ndarray | None = None) -> Series:
    """The config's series: its generated signal, or ``values`` (an uploaded column)."""
    noise = None
    if cfg.signal == "upload":
        if values is None:
            raise ValueError("signal=upload needs the uploaded values")
        raw = np.asarray(values, dtype=np.float64)
    else:
        raw = generate(cfg.signal, cfg.length, cfg.noise, cfg.seed)
        noise = cfg.noise ** 2
    if len(raw) < MIN_POINTS or not np.all(np.isfinite(raw)):
        raise ValueError(f"a series needs {MIN_POINTS} finite values, got {len(raw)}")
    train_end = int(round(len(raw) * cfg.train_share))
    train_end = max(min(train_end, len(raw) - HORIZON - 10), 100)
    mean, std = float(raw[:train_end].mean()), float(raw[:train_end].std())
    std = std if std > 1e-12 else 1.0
    return Series((raw - mean) / std, mean, std, train_end,
                  None if noise is None else noise / std ** 2)


class WindowBatches:
    """Random windows of the training span: ``(B, width)`` inputs and their next values."""

    def __init__(self, x: torch.Tensor, train_end: int, width: int, batch_size: int,
                 seed: int):
        self.x, self.width, self.batch_size = x, int(width), int(batch_size)
        self.last_start = train_end - self.width - 1  # the target x[start + width] < train_end
        self.gen = torch.Generator().manual_seed(int(seed))

    def next(self) -> tuple[torch.Tensor, torch.Tensor]:
        start = torch.randint(0, self.last_start + 1, (self.batch_size,), generator=self.gen)
        idx = start[:, None] + torch.arange(self.width + 1)  # (B, width + 1)
        w = self.x[idx]
        return w[:, :-1], w[:, 1:]

    def state_dict(self) -> torch.Tensor:
        """The batch position (its generator's state), so a copied run draws the same batches."""
        return self.gen.get_state()

    def load_state_dict(self, state: torch.Tensor) -> None:
        self.gen.set_state(state)


def ar_loss(model: ARModel, batch) -> torch.Tensor:
    inputs, targets = batch
    return F.mse_loss(model(inputs), targets[:, -1])


def rnn_loss(model: RNNForecaster, batch) -> torch.Tensor:
    inputs, targets = batch
    return F.mse_loss(model(inputs)[0], targets)  # the next value at every position


@dataclass(frozen=True)
class Evaluation:
    step: int
    val: tuple[float, float]  # one-step validation MSE: (MLP, RNN)
    by_k: tuple[np.ndarray, np.ndarray]  # (HORIZON,) MSE of the k-step predictions, k = 1..


@dataclass(frozen=True)
class Predictions:
    """The models as of one evaluation: what the page draws."""

    step: int
    targets: np.ndarray  # (M,) times t of the one-step predictions
    one_step: tuple[np.ndarray, np.ndarray]  # (M,) each: MLP, RNN
    forecasts: tuple[np.ndarray, np.ndarray]  # (N origins, HORIZON) each: MLP, RNN


def mse(pred: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean((pred - truth) ** 2))


class TimeSeriesExperiment:
    """The series, both models with their trainers, evaluations so far and the latest
    predictions."""

    def __init__(self, cfg: TimeSeriesConfig, series: Series):
        self.cfg, self.series = cfg, series
        self.x = torch.tensor(series.x, dtype=torch.float32)
        width = min(cfg.seq_len, series.train_end - 2)
        with seeded(cfg.seed):
            self.ar = ARModel(cfg.tau, cfg.hidden_size)
            self.rnn = RNNForecaster(cfg.cell, cfg.hidden_size, width)
        opts = dict(optimizer="adam", lr=cfg.lr, clip="norm", clip_threshold=1.0,
                    max_loss=MAX_LOSS, rewind=False)  # in lockstep: step k is step k of both
        self.trainers = (
            Trainer(self.ar, WindowBatches(self.x, series.train_end, cfg.tau, cfg.batch_size,
                                           cfg.seed), ar_loss, **opts),
            Trainer(self.rnn, WindowBatches(self.x, series.train_end, width, cfg.batch_size,
                                            cfg.seed + 1), rnn_loss, **opts))
        self.targets = np.arange(max(cfg.tau, width), len(series.x))
        o = series.origins
        steps_ahead = o[:, None] + 1 + np.arange(HORIZON)
        self.persistence = np.mean((series.x[steps_ahead] - series.x[o][:, None]) ** 2,
                                   axis=0)  # (HORIZON,) "repeat x_o"
        self.evals: list[Evaluation] = []
        self.predictions: Predictions | None = None
        self.markov: MarkovCurve = markov_curve(series.x, series.train_end, series.origins,
                                                MARKOV_K)
        self.evaluate_now()

    @classmethod
    def build(cls, cfg: TimeSeriesConfig, values: np.ndarray | None = None
              ) -> "TimeSeriesExperiment":
        return cls(cfg, make_series(cfg, values))

    @property
    def steps(self) -> int:
        return self.trainers[0].steps

    @property
    def models(self):
        return self.ar, self.rnn

    def apply_live(self, cfg: TimeSeriesConfig) -> None:
        for tr in self.trainers:
            tr.set_lr(cfg.lr)
        self.cfg = cfg

    def step(self, n: int = 1) -> None:
        for _ in range(int(n)):
            for tr in self.trainers:
                tr.step(1)
            s = self.steps
            if s in EVAL_AT or (s > EVAL_AT[-1] and s % EVAL_EVERY == 0):
                self.evaluate_now()

    def evaluate_now(self) -> Evaluation:
        x, s = self.series.x, self.series
        targets = self.targets
        val = targets >= s.train_end
        origins = s.origins
        truth = x[origins[:, None] + 1 + np.arange(HORIZON)]  # (N, HORIZON)
        ones, fcs = [], []
        for model in self.models:
            ones.append(one_step(model, self.x, targets))
            fcs.append(forecast(model, self.x, origins, HORIZON))
        ev = Evaluation(self.steps, tuple(mse(p[val], x[targets[val]]) for p in ones),
                        tuple(np.mean((f - truth) ** 2, axis=0) for f in fcs))
        while self.evals and self.evals[-1].step >= ev.step:
            self.evals.pop()
        self.evals.append(ev)
        self.predictions = Predictions(self.steps, targets, tuple(ones), tuple(fcs))
        return ev

    def train_loss(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(steps, training MSE of the MLP, of the RNN); NaN where a step diverged (the
        trainers run in lockstep without rewinding, so their histories line up)."""
        hist = [list(tr.history) for tr in self.trainers]
        n = min(len(h) for h in hist)
        steps = np.array([h.step for h in hist[0][-n:]], dtype=np.int64) if n else \
            np.zeros(0, dtype=np.int64)
        loss = [np.array([math.nan if h.diverged else h.loss for h in hs[-n:]] if n else [],
                         dtype=np.float64) for hs in hist]
        return steps, loss[0], loss[1]
