"""The time-series lesson as an engine run: training in a worker, drawn from ``TimeSeriesView``.

Worker side: ``build_run`` (``"seqviz.timeseries.live:build_run"``) builds a
``TimeSeriesRun``; the engine steps it and publishes ``view()``. Evaluations (predictions, the
k-step forecasts) run at fixed steps inside ``step``, so the view only copies what is there.
Server side: ``LiveTimeSeries`` is what the page keeps in its session.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seqviz.engine.live import LiveExperiment
from seqviz.engine.pool import Engine
from seqviz.engine.rewind import ModuleHistory
from seqviz.timeseries.config import TimeSeriesConfig
from seqviz.timeseries.experiment import (Evaluation, Predictions, Series,
                                          TimeSeriesExperiment)
from seqviz.timeseries.markov import MarkovCurve
from seqviz.timeseries.models import one_step
from seqviz.train import Divergence, DivergenceWatch

FACTORY = "seqviz.timeseries.live:build_run"


@dataclass(frozen=True)
class TimeSeriesView:
    cfg: TimeSeriesConfig
    series: Series
    steps: np.ndarray  # (N,) kept history
    loss: tuple[np.ndarray, np.ndarray]  # (N,) training MSE: MLP, RNN (NaN where diverged)
    divergence: Divergence | None
    evals: tuple[Evaluation, ...]
    predictions: Predictions
    markov: MarkovCurve
    persistence: np.ndarray  # (HORIZON,) MSE of "repeat the last value" at each k


class TimeSeriesRun:
    def __init__(self, exp: TimeSeriesExperiment):
        self.exp = exp
        self._watches = [DivergenceWatch(tr) for tr in exp.trainers]
        self.rewind = ModuleHistory({"ar": exp.ar, "rnn": exp.rnn})  # both at past steps
        self.rewind.keep(self.steps)

    @property
    def steps(self) -> int:
        return self.exp.steps

    def step(self, n: int = 1) -> None:
        for _ in range(int(n)):
            self.exp.step(1)
            self.rewind.keep(self.steps)

    def predictions_at(self, step: int) -> tuple[int, tuple[np.ndarray, np.ndarray]]:
        """(kept step nearest ``step``, the MLP's and the RNN's one-step predictions at the
        page's ``targets`` (scaled values), with the weights of that step)."""
        kept, models = self.rewind.modules_at(step)
        exp = self.exp
        return kept, tuple(one_step(models[name], exp.x, exp.targets) for name in ("ar", "rnn"))

    def apply_live(self, cfg: TimeSeriesConfig) -> None:
        self.exp.apply_live(cfg)

    def halt(self) -> str | None:
        reasons = [w() for w in self._watches]
        return next((r for r in reasons if r is not None), None)

    def fork_state(self) -> dict:
        """The run as it is now, for a copy that goes on from here (``load_fork_state``)."""
        exp = self.exp
        return {"cfg": exp.cfg, "trainers": [tr.state_dict() for tr in exp.trainers],
                "evals": list(exp.evals), "predictions": exp.predictions}

    def load_fork_state(self, state: dict) -> None:
        exp = self.exp
        exp.apply_live(state["cfg"])
        for tr, st in zip(exp.trainers, state["trainers"]):
            tr.load_state_dict(st)
        exp.evals[:] = state["evals"]
        exp.predictions = state["predictions"]
        self._watches = [DivergenceWatch(tr) for tr in exp.trainers]  # old ones are not news

    def view(self) -> TimeSeriesView:
        exp = self.exp
        steps, ar, rnn = exp.train_loss()
        divs = [d for tr in exp.trainers for d in tr.divergences]
        return TimeSeriesView(
            cfg=exp.cfg, series=exp.series, steps=steps, loss=(ar, rnn),
            divergence=max(divs, key=lambda d: d.step) if divs else None,
            evals=tuple(exp.evals), predictions=exp.predictions, markov=exp.markov,
            persistence=exp.persistence)

    # -- exports (``seqviz.timeseries.export``) -----------------------------------------------
    def export_script(self, steps: int | None = None) -> str:
        """A standalone PyTorch script of this run."""
        from seqviz.timeseries.export import timeseries_script

        return timeseries_script(self.exp, steps)

    def checkpoint_state(self) -> dict:
        from seqviz.timeseries.export import run_state

        return run_state(self.exp)

    def restore(self, state: dict, step: int) -> int:
        """Re-open a checkpoint's weights in this run (paused), counting on from ``step``."""
        from seqviz.timeseries.export import restore

        restore(self.exp, state, step)
        self._watches = [DivergenceWatch(tr) for tr in self.exp.trainers]
        self.rewind = ModuleHistory({"ar": self.exp.ar, "rnn": self.exp.rnn})  # from here on
        self.rewind.keep(self.steps)
        return self.steps


def warm() -> None:
    """Engine preload (``seqviz.ui.startup``): the default experiment built once in this worker
    (it pays torch's one-off optimiser and GRU set-up, which the first visit then does not)."""
    TimeSeriesExperiment.build(TimeSeriesConfig())


def build_run(cfg: TimeSeriesConfig, values: np.ndarray | None = None) -> TimeSeriesRun:
    return TimeSeriesRun(TimeSeriesExperiment.build(cfg, values))


class LiveTimeSeries(LiveExperiment):
    """Server side: the time-series page's run in the engine."""

    @classmethod
    def open(cls, engine: Engine, cfg: TimeSeriesConfig, values: np.ndarray | None = None, *,
             playing: bool = False) -> "LiveTimeSeries":
        live = cls(engine.open(FACTORY, {"cfg": cfg, "values": values}, playing=playing), cfg)
        live.values = values  # the uploaded column: a re-opened checkpoint must fit its series
        return live
