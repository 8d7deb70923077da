"""The language model as an engine run: trained in a worker, drawn from ``LMView``.

Worker side: ``build_run`` is the factory the engine's worker calls
(``"seqviz.lm.live:build_run"``) and ``LMTrainingRun`` is what it steps. Server side:
``LiveLM`` is what the page keeps in its session; other pages (hidden states, beam search,
embeddings) probe the same run through ``LiveLM.model()``, a copy of the latest weights. Text
data is cached per worker process by content, so a rebuild with new model sizes reuses the
tokenised corpus. The view carries the curves as numpy arrays and a fresh sample at most every
``SAMPLE_EVERY`` seconds of play, and only when the run has trained enough since the last one for
the sample to cost at most ``SAMPLE_SHARE`` of its time (a 300-character sample costs about as
much as 4-6 training steps; with ten runs sharing a worker, wall time alone would make it 40 %).
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from seqviz.data import TextData, build_text_data, load_corpus
from seqviz.lm import export
from seqviz.lm.config import LMConfig
from seqviz.engine.live import LiveExperiment
from seqviz.engine.pool import Engine, RunError
from seqviz.engine.rewind import WeightHistory
from seqviz.lm.experiment import Baseline, LMExperiment
from seqviz.models.lm import LanguageModel, make_lm
from seqviz.train import Divergence, DivergenceWatch

SAMPLE_EVERY = 5.0  # seconds of play between fresh samples, at the least (a sample changes slowly)
SAMPLE_SHARE = 0.05  # ... and a sample costs at most this share of the run's training time
SAMPLE_LENGTH = {"char": 300, "word": 60}
STEP_SAMPLE_WAIT = 5.0  # seconds a Step click waits for the sample of the stepped model


@dataclass(frozen=True)
class Sample:
    step: int
    prompt: str
    temperature: float
    text: str
    unknown: int  # prompt tokens not in the vocabulary


@dataclass(frozen=True)
class LMView:
    cfg: LMConfig
    steps: np.ndarray  # (N,) steps of the kept history, diverged steps excluded
    loss: np.ndarray  # (N,)
    grad_norm: np.ndarray  # (N,) before clipping
    grad_norm_clipped: np.ndarray  # (N,)
    diverged_steps: tuple[int, ...]
    eval_steps: np.ndarray  # (M,)
    eval_values: np.ndarray  # (M,) validation perplexity
    divergence: Divergence | None  # the latest one
    sample: Sample | None
    level: str


DATA_CACHE = 8  # tokenised texts kept per process
_data: OrderedDict[tuple[str, str], TextData] = OrderedDict()


def text_data_for(cfg: LMConfig, upload_text: str | None) -> TextData:
    """The run's data, cached in this process by (corpus name or upload digest, level)."""
    text = upload_text if cfg.corpus == "upload" and upload_text else None
    corpus = "prose" if cfg.corpus == "upload" and text is None else cfg.corpus
    name = "upload:" + hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest() \
        if text is not None else corpus
    key = (name, cfg.level)
    if key in _data:
        _data.move_to_end(key)
        return _data[key]
    data = _data[key] = build_text_data(text if text is not None else load_corpus(corpus),
                                        cfg.level)
    while len(_data) > DATA_CACHE:
        _data.popitem(last=False)
    return data


def warm() -> None:
    """Engine preload (``seqviz.ui.startup``): the default corpus, tokenised, in this worker."""
    text_data_for(LMConfig(), None)


class LMTrainingRun:
    """Worker side: an ``LMExperiment`` plus what pages need from it: views, samples, weights."""

    def __init__(self, exp: LMExperiment, prompt: str = ""):
        self.exp = exp
        self.prompt = prompt
        self.playing = False  # set by the engine's worker before each view()
        self._sample: Sample | None = None
        self._sampled_at = 0.0
        self._sample_cost = 0.0  # seconds the last sample took
        self._trained = 0.0  # seconds of training since the last sample
        self._diverged = DivergenceWatch(self.exp.trainer)
        self.rewind = WeightHistory()  # weights at past steps, for the pages' timelines
        self.rewind.offer(self.steps, self.exp.model.state_dict)

    @property
    def steps(self) -> int:
        return self.exp.trainer.steps

    def step(self, n: int = 1) -> None:
        start = time.perf_counter()
        for _ in range(int(n)):
            self.exp.step(1)
            self.rewind.offer(self.steps, self.exp.model.state_dict)
        self._trained += time.perf_counter() - start

    def apply_live(self, cfg: LMConfig) -> None:
        self.exp.apply_live(cfg)

    def set_prompt(self, prompt: str) -> None:
        self.prompt = str(prompt)[:200]

    def halt(self) -> str | None:
        return self._diverged()

    def _fresh_sample(self) -> Sample | None:
        """A new sample when the prompt or temperature changed; while playing, at most every
        ``SAMPLE_EVERY`` s and ``SAMPLE_SHARE`` of the run's time. A paused run's view never
        samples (it would delay the snapshot that shows the pause): ``sample_now`` does."""
        cfg, last = self.exp.cfg, self._sample
        changed = last is None or (last.prompt, last.temperature) != (self.prompt, cfg.temperature)
        due = (self.playing and last is not None and last.step != self.steps
               and time.monotonic() - self._sampled_at >= SAMPLE_EVERY
               and self._trained * SAMPLE_SHARE >= self._sample_cost)
        return self.sample_now() if changed or due else last

    def sample_now(self) -> Sample:
        """A sample of the model as it is now (unless the last one already is)."""
        cfg, last = self.exp.cfg, self._sample
        if last is not None and (last.step, last.prompt, last.temperature) == (
                self.steps, self.prompt, cfg.temperature):
            return last
        start = time.perf_counter()
        text, unknown = self.exp.sample(self.prompt, SAMPLE_LENGTH[self.exp.data.level])
        self._sample_cost = time.perf_counter() - start
        self._sample = Sample(self.steps, self.prompt, cfg.temperature, text, unknown)
        self._sampled_at, self._trained = time.monotonic(), 0.0
        return self._sample

    def _history(self) -> tuple[np.ndarray, ...]:
        """(steps, loss, norm, clipped norm) since the first step (the trainer's history: at
        most 2,000 steps, older ones thinned), diverged steps left out."""
        tr = self.exp.trainer
        rows = np.array([(h.step, h.loss, h.grad_norm, h.grad_norm_clipped)
                         for h in list(tr.history) if not h.diverged], dtype=float).reshape(-1, 4)
        return rows[:, 0].astype(np.int64), rows[:, 1], rows[:, 2], rows[:, 3]

    def view(self) -> LMView:
        tr = self.exp.trainer
        steps, loss, norm, clipped = self._history()
        evals = list(tr.evals)
        return LMView(
            cfg=self.exp.cfg, steps=steps, loss=loss, grad_norm=norm, grad_norm_clipped=clipped,
            diverged_steps=tuple(d.step for d in tr.divergences),
            eval_steps=np.array([s for s, _ in evals], dtype=np.int64),
            eval_values=np.array([v for _, v in evals], dtype=np.float64),
            divergence=tr.divergences[-1] if tr.divergences else None,
            sample=self._fresh_sample(),
            level=self.exp.data.level)

    def fork_state(self) -> dict:
        """The run as it is now, for a copy that goes on from here (``load_fork_state``)."""
        return {"cfg": self.exp.cfg, "prompt": self.prompt,
                "trainer": self.exp.trainer.state_dict()}

    def load_fork_state(self, state: dict) -> None:
        self.exp.apply_live(state["cfg"])
        self.exp.trainer.load_state_dict(state["trainer"])
        self.prompt = state["prompt"]
        self._diverged = DivergenceWatch(self.exp.trainer)  # old divergences are not news

    def weights(self) -> dict:
        """The model's spec and weights (CPU tensors), for pages that probe the live model."""
        model = self.exp.model
        return {"spec": model.spec, "state_dict": {k: v.detach().cpu().clone()
                                                   for k, v in model.state_dict().items()},
                "step": self.steps}

    # -- exports (``seqviz.lm.export``) ------------------------------------------------------
    def checkpoint_state(self) -> dict:
        return export.run_state(self.exp)

    def restore(self, state: dict, step: int) -> int:
        """Re-open a checkpoint's weights in this run (paused), counting on from ``step``."""
        export.restore(self.exp, state, step)
        self._sample, self._diverged = None, DivergenceWatch(self.exp.trainer)
        return self.steps

    def export_script(self, steps: int | None = None) -> str:
        return export.lm_script(self.exp, steps)


    def weights_at(self, step: int) -> dict:
        """The model's spec and its weights at the kept step nearest ``step`` (numpy arrays)."""
        kept, weights = self.rewind.get(step)
        return {"spec": self.exp.model.spec, "step": kept, "weights": weights}


def build_run(cfg: LMConfig, upload_text: str | None = None, prompt: str = "") -> LMTrainingRun:
    exp = LMExperiment.build(cfg, text_data_for(cfg, upload_text))
    exp.trainer.evaluate_now()  # the step-0 validation point
    return LMTrainingRun(exp, prompt)


FACTORY = "seqviz.lm.live:build_run"


class LiveLM(LiveExperiment):
    """Server side: the LM page's run in the engine, with the data and baselines it drew."""

    def __init__(self, handle, cfg: LMConfig, data: TextData, baselines: list[Baseline]):
        super().__init__(handle, cfg)
        self.data, self.baselines = data, baselines

    @classmethod
    def open(cls, engine: Engine, cfg: LMConfig, data: TextData, baselines: list[Baseline], *,
             upload_text: str | None = None, prompt: str = "", playing: bool = False
             ) -> "LiveLM":
        kwargs = {"cfg": cfg, "prompt": prompt,
                  "upload_text": upload_text if cfg.corpus == "upload" else None}
        return cls(engine.open(FACTORY, kwargs, playing=playing), cfg, data, baselines)

    def set_prompt(self, prompt: str) -> None:
        self.handle.kwargs["prompt"] = prompt  # a Reset keeps it
        self.handle.submit("set_prompt", prompt)

    def step(self, n: int = 1):
        """n steps, then a sample of the stepped model (paused views do not sample)."""
        return self._sampled(super().step(n))

    def pause(self):
        """Pause, then a sample of the paused model: the sample a student reads after pressing
        Pause is of the step the page stopped at, not one taken up to ``SAMPLE_EVERY`` s (and
        many steps) before. A 300-character sample is ~35 ms since decoding takes the
        recurrent layers' step path."""
        return self._sampled(super().pause())

    def _sampled(self, snap):
        """Ask the paused worker for a sample of its model now, and wait (briefly) for the
        snapshot that carries it; ``snap`` if none comes in time."""
        try:
            self.handle.call("sample_now", timeout=STEP_SAMPLE_WAIT)
            return self.handle.wait(lambda s: s.payload is not None and s.payload.sample
                                    is not None and s.payload.sample.step == s.step,
                                    timeout=STEP_SAMPLE_WAIT)
        except (TimeoutError, RunError):
            return snap

    @property
    def val_perplexity(self) -> float | None:
        view = self.view
        return float(view.eval_values[-1]) if view is not None and len(view.eval_values) else None

    def model(self, timeout: float = 10.0) -> LanguageModel:
        """A copy of the run's latest weights (see ``LiveExperiment.model_copy``): a
        ``LanguageModel``, or a ``FeedForwardLM`` when the page trains one (cell "ff")."""
        return self.model_copy(make_lm, timeout)

    def model_at(self, step: int, timeout: float = 10.0) -> LanguageModel:
        """A copy of the weights at a kept past step (``LiveExperiment.model_copy_at``)."""
        return self.model_copy_at(step, make_lm, timeout)
