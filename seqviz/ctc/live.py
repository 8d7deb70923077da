"""The CTC lesson as an engine run: training in a worker, drawn from ``CTCView``.

Worker side: ``build_run`` (``"seqviz.ctc.live:build_run"``) builds a ``CTCTrainingRun``; the
engine steps it and publishes ``view()``. The probe (one held-out utterance's posteriors,
trellis, best alignments and decodings) is recomputed only when the model or the live settings
that pick it (example, beam width) changed, and while playing at most every ``PROBE_EVERY``
seconds (it costs about as much as two training steps). Server side: ``LiveCTC`` is what the
page keeps in its session.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from seqviz.ctc.config import CTCConfig
from seqviz.ctc.experiment import CTCExperiment, Evaluation, Probe, probe
from seqviz.engine.live import LiveExperiment
from seqviz.engine.pool import Engine
from seqviz.engine.rewind import ModuleHistory
from seqviz.train import Divergence, DivergenceWatch

PROBE_EVERY = 0.5  # seconds of play between fresh probes
FACTORY = "seqviz.ctc.live:build_run"


@dataclass(frozen=True)
class CTCView:
    cfg: CTCConfig
    steps: np.ndarray  # (N,) kept history, diverged steps excluded
    loss: np.ndarray  # (N,) CTC loss per label symbol
    grad_norm: np.ndarray  # (N,) before clipping
    grad_norm_clipped: np.ndarray  # (N,)
    diverged_steps: tuple[int, ...]
    divergence: Divergence | None
    evals: tuple[Evaluation, ...]
    probe: Probe


class CTCTrainingRun:
    def __init__(self, exp: CTCExperiment):
        self.exp = exp
        self.playing = False
        self._diverged = DivergenceWatch(exp.trainer)
        self._probe: Probe | None = None
        self._probed_at = 0.0
        self._history()

    def _history(self) -> None:
        """A new weight history from the current step (a fork starts its own)."""
        self.rewind = ModuleHistory({"model": self.exp.model})
        self.rewind.keep(self.steps)

    @property
    def steps(self) -> int:
        return self.exp.trainer.steps

    def step(self, n: int = 1) -> None:
        for _ in range(int(n)):
            self.exp.step(1)
            self.rewind.keep(self.steps)

    def probe_at(self, step: int) -> tuple[int, Probe]:
        """(kept step nearest ``step``, the probe utterance through the model as it was then:
        the posteriors, trellis and decodings the page drew at that step)."""
        kept, models = self.rewind.modules_at(step)
        cfg, test = self.exp.cfg, self.exp.test
        i = min(cfg.example, len(test) - 1)
        return kept, probe(models["model"], test[i], i, cfg.beam, kept)

    def apply_live(self, cfg: CTCConfig) -> None:
        self.exp.apply_live(cfg)

    def halt(self) -> str | None:
        return self._diverged()

    def _fresh_probe(self) -> Probe:
        cfg, last = self.exp.cfg, self._probe
        stale = last is None or (last.index, last.beam_width) != (cfg.example, cfg.beam)
        moved = last is not None and last.step != self.steps
        if stale or (moved and (not self.playing
                                or time.monotonic() - self._probed_at >= PROBE_EVERY)):
            self._probe = self.exp.probe()
            self._probed_at = time.monotonic()
        return self._probe

    def view(self) -> CTCView:
        tr = self.exp.trainer
        ok = [h for h in tr.history if not h.diverged]
        return CTCView(
            cfg=self.exp.cfg,
            steps=np.array([h.step for h in ok], dtype=np.int64),
            loss=np.array([h.loss for h in ok], dtype=np.float64),
            grad_norm=np.array([h.grad_norm for h in ok], dtype=np.float64),
            grad_norm_clipped=np.array([h.grad_norm_clipped for h in ok], dtype=np.float64),
            diverged_steps=tuple(d.step for d in tr.divergences),
            divergence=tr.divergences[-1] if tr.divergences else None,
            evals=tuple(self.exp.evals), probe=self._fresh_probe())

    def fork_state(self) -> dict:
        """The run as it is now, for a copy that goes on from here (``load_fork_state``)."""
        return {"cfg": self.exp.cfg, "trainer": self.exp.trainer.state_dict(),
                "evals": list(self.exp.evals)}

    def load_fork_state(self, state: dict) -> None:
        self.exp.apply_live(state["cfg"])
        self.exp.trainer.load_state_dict(state["trainer"])
        self.exp.evals[:] = state["evals"]
        self._diverged = DivergenceWatch(self.exp.trainer)  # old divergences are not news
        self._probe = None
        self._history()

    # -- exports (``seqviz.ctc.export``) --------------------------------------------------------
    def export_script(self, steps: int | None = None) -> str:
        """A standalone PyTorch script of this run."""
        from seqviz.ctc.export import ctc_script

        return ctc_script(self.exp, steps)

    def checkpoint_state(self) -> dict:
        from seqviz.ctc.export import run_state

        return run_state(self.exp)

    def restore(self, state: dict, step: int) -> int:
        """Re-open a checkpoint's weights in this run (paused), counting on from ``step``."""
        from seqviz.ctc.export import restore

        restore(self.exp, state, step)
        self._diverged = DivergenceWatch(self.exp.trainer)  # old divergences are not news
        self._probe = None
        self._history()  # the timeline starts again at the re-opened step
        return self.steps


def warm() -> None:
    """Engine preload (``seqviz.ui.startup``): the default experiment built once in this worker
    (its held-out set stays cached; the first build also pays torch's one-off optimiser and LSTM
    set-up, about 1.7 s, which the first visit to the page then does not)."""
    CTCExperiment.build(CTCConfig())


def build_run(cfg: CTCConfig) -> CTCTrainingRun:
    return CTCTrainingRun(CTCExperiment.build(cfg))


class LiveCTC(LiveExperiment):
    """Server side: the CTC page's run in the engine."""

    @classmethod
    def open(cls, engine: Engine, cfg: CTCConfig, *, playing: bool = False) -> "LiveCTC":
        return cls(engine.open(FACTORY, {"cfg": cfg}, playing=playing), cfg)
