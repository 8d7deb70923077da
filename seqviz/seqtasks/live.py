"""The sequence-tasks lesson as an engine run: training in a worker, drawn from ``SeqTaskView``.

Worker side: ``build_run`` (``"seqviz.seqtasks.live:build_run"``) builds a ``SeqTaskRun``
around a ``SeqTaskExperiment``. Held-out evaluation and the probes (the probe review's
contributions and the final states in 2-D, or the confusion matrix and per-tag accuracy) run in
``view()`` at most every ``ANALYSE_EVERY`` seconds while playing, and at once after a Step,
Pause or live change, so a paused page shows the model as it is. Typed sentences are a call
(``explain``) run between two steps. Server side: ``LiveSeqTask`` is what the page keeps.
"""

from __future__ import annotations

import dataclasses
import time
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from seqviz.config import live_fields
from seqviz.engine.live import STEP_WAIT, LiveExperiment
from seqviz.engine.pool import Engine
from seqviz.engine.rewind import ModuleHistory
from seqviz.engine.protocol import Snapshot
from seqviz.i18n import N_, Msg
from seqviz.seqtasks import analysis
from seqviz.seqtasks.config import SeqTaskConfig
from seqviz.seqtasks.data import UNK, TaskData, build_data, typed_tokens
from seqviz.seqtasks.experiment import Evaluation, SeqTaskExperiment, tag_report
from seqviz.train import Divergence, DivergenceWatch

ANALYSE_EVERY = 1.0  # seconds of play between held-out evaluations
ANALYSIS_SHARE = 0.15  # an evaluation slower than this share of ANALYSE_EVERY waits longer
STATE_POINTS = 300  # held-out reviews on the final-state map
FACTORY = "seqviz.seqtasks.live:build_run"
PROBES = {("sentiment", "en"): "although the food was good , the service was not friendly when "
          "we visited", ("sentiment", "zh"): "我们 去 的 时候 虽然 菜 很 好吃 ， 但是 服务员 不 热情",
          ("tagging", "en"): "the brown dogs eat bones in the house"}  # data: not translated
DATA_CACHE = 6

_data: OrderedDict[tuple, tuple[TaskData, float, np.ndarray | None]] = OrderedDict()


def task_data(task: str, train_size: int, seed: int, lang: str = "en"
              ) -> tuple[TaskData, float, np.ndarray | None]:
    """(data, memoryless baseline accuracy, its per-tag accuracy or None), cached per worker."""
    lang = lang if task == "sentiment" else "en"
    key = (task, train_size, seed, lang)
    if key not in _data:
        data = build_data(task, train_size, seed, lang)
        if task == "sentiment":
            _data[key] = (data, analysis.bag_of_words_accuracy(data), None)
        else:
            b = analysis.most_frequent_tag(data)
            _data[key] = (data, b.accuracy, b.per_tag)
        while len(_data) > DATA_CACHE:
            _data.popitem(last=False)
    _data.move_to_end(key)
    return _data[key]


@dataclass(frozen=True)
class Explained:
    """A sentence through the model: per-token contributions (sentiment) or tags (tagging)."""

    tokens: tuple[str, ...]
    known: tuple[bool, ...]  # False: the word is not in the vocabulary (read as <unk>)
    p_positive: float = float("nan")
    grad_x_input: np.ndarray | None = None  # (T,)
    occlusion: np.ndarray | None = None  # (T,)
    tags: tuple[int, ...] = ()  # predicted tag per token, an index into ``classes``
    classes: tuple[str, ...] = ()  # the tag names of the model that predicted them
    confidence: np.ndarray | None = None  # (T,) probability of the predicted tag
    notices: tuple[Msg, ...] = ()
    error: Msg | None = None


def explain(exp: SeqTaskExperiment, text: str, model=None) -> Explained:
    """The typed ``text`` through ``exp``'s model (or ``model``, e.g. a past step's copy)."""
    tokens, notices = typed_tokens(text, frozenset(exp.data.itos))
    if not tokens:
        return Explained((), (), error=Msg(N_("Type a sentence with at least one word.")))
    ids = exp.data.ids(tokens)
    known = tuple(i != UNK for i in ids)
    if not any(known):
        return Explained(tuple(tokens), known, notices=tuple(notices), error=Msg(
            N_("None of these words is in the model's vocabulary; try words from the examples.")))
    model = exp.model if model is None else model
    try:
        if exp.cfg.task == "sentiment":
            gxi, p = analysis.grad_x_input(model, ids)
            occ, _p = analysis.occlusion(model, ids)
            return Explained(tuple(tokens), known, p, gxi, occ, notices=tuple(notices))
        import torch
        with torch.no_grad():
            probs = torch.softmax(model(torch.tensor([ids]), torch.tensor([len(ids)]))[0], -1)
        conf, tags = probs.max(-1)
        return Explained(tuple(tokens), known, tags=tuple(int(t) for t in tags),
                         classes=tuple(exp.data.classes),
                         confidence=conf.numpy().astype(np.float64), notices=tuple(notices))
    finally:
        model.train()


@dataclass(frozen=True)
class SeqTaskView:
    cfg: SeqTaskConfig
    classes: tuple[str, ...]
    steps: np.ndarray  # (N,) steps of the kept loss history
    loss: np.ndarray  # (N,)
    divergence: Divergence | None
    eval_steps: np.ndarray  # (M,)
    train_acc: np.ndarray  # (M,)
    val_acc: np.ndarray  # (M,)
    train_loss: np.ndarray  # (M,)
    val_loss: np.ndarray  # (M,)
    baseline: float  # memoryless baseline's held-out accuracy
    baseline_per_tag: np.ndarray | None  # (C,) tagging only
    train_size: int
    probe: Explained | None
    # sentiment
    states: np.ndarray | None = None  # (P, 2) final states of held-out reviews, PCA
    state_var: np.ndarray | None = None  # (2,) explained variance share of the two axes
    state_labels: np.ndarray | None = None  # (P,)
    state_kinds: tuple[str, ...] = ()
    state_text: tuple[str, ...] = ()
    per_kind: dict | None = None
    # tagging
    confusion: np.ndarray | None = None  # (C, C)
    per_tag: np.ndarray | None = None  # (C,)
    analysed_step: int = 0
    train_s: float = 0.0
    analysis_s: float = 0.0


class SeqTaskRun:
    """Worker side: a ``SeqTaskExperiment`` analysed at its own pace."""

    def __init__(self, exp: SeqTaskExperiment, baseline: float, per_tag: np.ndarray | None):
        self.exp, self.baseline, self.baseline_per_tag = exp, baseline, per_tag
        self.train_s = self.eval_s = 0.0
        self._next = 0.0
        self._refresh = False
        self._diverged = DivergenceWatch(exp.trainer)
        self._probes: dict = {}
        self._probe_results()
        self.rewind = ModuleHistory({"model": exp.model})  # the model at past steps
        self.rewind.keep(self.steps)

    @property
    def steps(self) -> int:
        return self.exp.steps

    def step(self, n: int = 1) -> None:
        start = time.perf_counter()
        for _ in range(int(n)):
            self.exp.step(1)
            self.rewind.keep(self.steps)
        self.train_s += time.perf_counter() - start

    def apply_live(self, cfg: SeqTaskConfig) -> None:
        """Only the live fields act: a run never changes task or model without a rebuild."""
        live = {k: getattr(cfg, k) for k in live_fields(SeqTaskConfig)}
        self.exp.apply_live(dataclasses.replace(self.exp.cfg, **live))
        self._refresh = True

    def halt(self) -> str | None:
        reason = self._diverged()
        if reason:
            self._refresh = True
        return reason

    def _probe_text(self) -> str:
        cfg = self.exp.cfg
        return PROBES[cfg.task, cfg.reviews if cfg.task == "sentiment" else "en"]

    def probe_at(self, step: int) -> tuple[int, Explained]:
        """(kept step nearest ``step``, the probe through the model as it was then)."""
        kept, models = self.rewind.modules_at(step)
        models["model"].eval()
        return kept, explain(self.exp, self._probe_text(), models["model"])

    def _probe_results(self) -> None:
        exp = self.exp
        out = {"probe": explain(exp, self._probe_text()), "step": exp.steps}
        if exp.cfg.task == "sentiment":
            val = exp.data.val[:STATE_POINTS]
            proj, var = analysis.pca_2d(analysis.final_states(exp.model, exp.data, val))
            out.update(states=proj.astype(np.float32), state_var=var,
                       state_labels=np.array([ex.label for ex in val]),
                       state_kinds=tuple(ex.kind for ex in val),
                       state_text=tuple(" ".join(ex.tokens) for ex in val),
                       per_kind=analysis.per_kind_accuracy(exp.model, exp.data, exp.data.val,
                                                           exp.val_pred))
        else:
            out["confusion"], out["per_tag"] = tag_report(exp.model, exp.data, exp.val_pred)
        exp.model.train()
        self._probes = out

    def analyse(self) -> None:
        start = time.perf_counter()
        self.exp.evaluate()
        self._probe_results()
        cost = time.perf_counter() - start
        self.eval_s += cost
        self._refresh = False
        self._next = time.monotonic() + max(ANALYSE_EVERY, cost / ANALYSIS_SHARE)

    def view(self) -> SeqTaskView:
        if self.steps != self._probes.get("step") and (self._refresh
                                                        or time.monotonic() >= self._next):
            self.analyse()
        exp, tr = self.exp, self.exp.trainer
        ok = [h for h in tr.history if not h.diverged]
        ev: list[Evaluation] = exp.evals
        p = self._probes
        return SeqTaskView(
            cfg=exp.cfg, classes=exp.data.classes,
            steps=np.array([h.step for h in ok], dtype=np.int64),
            loss=np.array([h.loss for h in ok], dtype=np.float64),
            divergence=tr.divergences[-1] if tr.divergences else None,
            eval_steps=np.array([e.step for e in ev], dtype=np.int64),
            train_acc=np.array([e.train_acc for e in ev]),
            val_acc=np.array([e.val_acc for e in ev]),
            train_loss=np.array([e.train_loss for e in ev]),
            val_loss=np.array([e.val_loss for e in ev]),
            baseline=self.baseline, baseline_per_tag=self.baseline_per_tag,
            train_size=len(exp.data.train), probe=p["probe"],
            states=p.get("states"), state_var=p.get("state_var"),
            state_labels=p.get("state_labels"), state_kinds=p.get("state_kinds", ()),
            state_text=p.get("state_text", ()), per_kind=p.get("per_kind"),
            confusion=p.get("confusion"), per_tag=p.get("per_tag"), analysed_step=p["step"],
            train_s=self.train_s, analysis_s=self.eval_s)

    def fork_state(self) -> dict:
        """The run as it is now, for a copy that goes on from here (``load_fork_state``)."""
        exp = self.exp
        return {"cfg": exp.cfg, "trainer": exp.trainer.state_dict(), "evals": list(exp.evals),
                "val_pred": exp.val_pred, "probes": dict(self._probes)}

    def load_fork_state(self, state: dict) -> None:
        exp = self.exp
        exp.trainer.load_state_dict(state["trainer"])
        exp.apply_live(state["cfg"])  # dropout and weight decay too
        exp.evals[:] = state["evals"]
        exp.val_pred, self._probes = state["val_pred"], dict(state["probes"])
        self._diverged = DivergenceWatch(exp.trainer)  # old divergences are not news

    def explain(self, text: str) -> tuple[int, Explained]:
        """(the step it ran at, the typed sentence through the model)."""
        return self.steps, explain(self.exp, str(text)[:1000])

    def export_script(self, steps: int | None = None) -> str:
        """A standalone PyTorch script of this run (``seqviz.seqtasks.export``)."""
        from seqviz.seqtasks.export import seqtasks_script

        return seqtasks_script(self.exp, steps)

    def checkpoint_state(self) -> dict:
        from seqviz.seqtasks.export import run_state

        return run_state(self.exp)

    def restore(self, state: dict, step: int) -> int:
        """Re-open a checkpoint's weights in this run (paused), counting on from ``step``."""
        from seqviz.seqtasks.export import restore

        restore(self.exp, state, step)
        self._diverged = DivergenceWatch(self.exp.trainer)  # old divergences are not news
        self._probe_results()  # the re-opened model's probe, states or confusion matrix
        self._refresh = False
        self.rewind = ModuleHistory({"model": self.exp.model})  # the timeline starts again
        self.rewind.keep(self.steps)
        return self.steps


def build_run(cfg: SeqTaskConfig) -> SeqTaskRun:
    """A fresh model for ``cfg``, or the bundled one ``cfg.pretrained`` names."""
    from seqviz.seqtasks.bundled import effective, load

    cfg = effective(cfg)
    data, baseline, per_tag = task_data(cfg.task, cfg.train_size, cfg.seed, cfg.reviews)
    if cfg.pretrained != "none":
        return SeqTaskRun(load(cfg, data), baseline, per_tag)
    return SeqTaskRun(SeqTaskExperiment.build(cfg, data), baseline, per_tag)


# ---- server side ---------------------------------------------------------------------------
class LiveSeqTask(LiveExperiment):
    """The page's run in the engine. Pause and Step wait for the analysed snapshot."""

    def __init__(self, handle, cfg: SeqTaskConfig):
        super().__init__(handle, cfg)
        self._last_command = 0

    @classmethod
    def open(cls, engine: Engine, cfg: SeqTaskConfig, *, playing: bool = False) -> "LiveSeqTask":
        from seqviz.seqtasks.bundled import effective

        return cls(engine.open(FACTORY, {"cfg": cfg}, playing=playing), effective(cfg))

    def settled(self) -> bool:
        snap = self.handle.snapshot()
        return snap is not None and snap.acked >= self._last_command

    def apply_live(self, cfg: SeqTaskConfig) -> None:
        self.cfg = cfg
        self._last_command = self.handle.apply_live(cfg)

    def play(self) -> None:
        self._last_command = self.handle.play()

    def _fresh(self) -> Snapshot | None:
        seq = self._last_command = self.handle.apply_live(self.cfg)
        try:
            return self.handle.wait_acked(seq, STEP_WAIT)
        except TimeoutError:
            return self.handle.snapshot()

    def step(self, n: int = 1) -> Snapshot | None:
        self.handle.step(n)
        return self._fresh()

    def pause(self) -> None:
        self.handle.pause()
        self._fresh()

    def explain(self, text: str, timeout: float = 30.0) -> tuple[int, Explained]:
        return self.handle.call("explain", text, timeout=timeout)
