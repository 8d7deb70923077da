"""Rewind: a run's weights at past training steps, kept in bounded memory.

A run that can be rewound holds a ``WeightHistory`` as its ``rewind`` attribute and offers it
its weights after every training step (``offer(step, take)``: ``take()`` copies them and is
called only for a step that will be kept). The worker publishes the kept steps with every
snapshot (``Snapshot.kept``); a page fetches one step's weights with the run's ``weights_at``
and rebuilds its analysis from them (``seqviz.engine.live.LiveExperiment.weights_at``).

Spacing. Step 0 and the newest step are always kept. A step is copied when it lies at least
``step // (4 * capacity)`` steps after the newest kept one (so the copies cost little even at a
thousand steps a second); when more than ``capacity`` are kept, the one whose removal leaves
the smallest gap *relative to its age* goes. The gaps so grow in proportion to their age
(geometric spacing, like 0, 1, 2, 4, 8, … but denser): recent steps are close together and
the whole run stays covered.

Memory. ``capacity = min(MAX_KEPT, budget // bytes per snapshot)``, measured on the first copy
(the arrays' ``nbytes``), so a run never holds more than its budget, whatever the model's size;
a model whose two snapshots do not fit keeps none (``capacity`` 0, the page says so). The page
holds at most ``PAGE_KEPT`` (2: steps A and B of a comparison) of them as well
(``seqviz.engine.live.LiveExperiment.weights_at``), at most the run's budget again. A session
has at most ``SESSION_RUNS`` runs that keep weights and rebuild their models on the page
(the language model, which the hidden-states page rewinds too, word2vec, and one more), each
with ``RUN_BYTES`` on either side, so a session stays under ``SESSION_BYTES`` (50 MB).

Runs analysed in the worker. The smaller lessons (gradient flow, clipping, sequence tasks,
CTC, time series: ``WORKER_RUNS``) keep their models' weights in a ``ModuleHistory`` and draw
a past step's views in the worker (``LiveExperiment.analysis_at``): the page holds only the
views, not weights. They share the third run's place: ``WORKER_RUN_BYTES`` each, one past
step's rebuilt models included (``spare``).
"""

from __future__ import annotations

from typing import Callable, Mapping

import numpy as np

SESSION_BYTES = 50 * 2**20  # the weights one browser session may keep for rewinding
SESSION_RUNS = 3  # runs per session that keep weights (one per rewinding lesson, at most)
PAGE_KEPT = 2  # past steps' weights a page holds per run (A and B)
RUN_BYTES = SESSION_BYTES // (2 * SESSION_RUNS)  # the worker's store, and the page's copies
WORKER_RUNS = 5  # gradient flow, clipping, sequence tasks, CTC, time series
WORKER_RUN_BYTES = 2 * RUN_BYTES // WORKER_RUNS  # the third run's place, on either side, shared
MAX_KEPT = 64  # snapshots per run at most, however small the model
MIN_KEPT = 2  # fewer than this fit: keep none (step 0 and the live step are no timeline)

Weights = dict[str, np.ndarray]


def nbytes(weights: Mapping[str, np.ndarray]) -> int:
    return int(sum(np.asarray(a).nbytes for a in weights.values()))


def as_arrays(weights: Mapping) -> Weights:
    """Own copies as numpy arrays (torch tensors are detached first), so a kept snapshot never
    shares memory with the model that goes on training."""
    out = {}
    for name, value in weights.items():
        if hasattr(value, "detach"):
            value = value.detach().cpu().numpy()
        out[str(name)] = np.array(value, copy=True)
    return out


class WeightHistory:
    """Weights at kept steps, oldest first; at most ``budget`` bytes in all."""

    def __init__(self, budget: int = RUN_BYTES, max_kept: int = MAX_KEPT, spare: int = 0):
        """``spare``: snapshots' worth of the budget kept free for copies made from them (a
        past step's rebuilt models)."""
        self.budget, self.max_kept, self.spare = int(budget), int(max_kept), int(spare)
        self._steps: list[int] = []
        self._weights: list[Weights] = []
        self.snapshot_bytes = 0  # one snapshot's size, measured on the first copy
        self.capacity = max_kept  # until measured

    # -- keeping -----------------------------------------------------------------------------
    def wants(self, step: int) -> bool:
        """Whether ``offer(step, …)`` would copy this step."""
        if self.capacity < MIN_KEPT:
            return False
        if not self._steps:
            return True
        newest = self._steps[-1]
        return step > newest and step - newest >= max(1, step // (4 * self.capacity))

    def offer(self, step: int, take: Callable[[], Mapping]) -> bool:
        """Keep the weights after ``step`` if the spacing wants them; True if kept."""
        step = int(step)
        if not self.wants(step):
            return False
        weights = as_arrays(take())
        if not self.snapshot_bytes:
            self.snapshot_bytes = max(1, nbytes(weights))
            self.capacity = min(self.max_kept,
                                self.budget // self.snapshot_bytes - self.spare)
            if self.capacity < MIN_KEPT:
                self.capacity = 0
                return False
        self._steps.append(step)
        self._weights.append(weights)
        while len(self._steps) > self.capacity:
            self._drop(self._thinnest())
        return True

    def _thinnest(self) -> int:
        """The inner snapshot whose removal leaves the smallest gap for its distance from the
        nearer end of the run (the start or now); never the first or the newest."""
        s, now = self._steps, self._steps[-1]
        best, score = 1, float("inf")
        for i in range(1, len(s) - 1):
            gap = (s[i + 1] - s[i - 1]) / max(1, min(now - s[i - 1], s[i + 1]))
            if gap < score:
                best, score = i, gap
        return best

    def _drop(self, i: int) -> None:
        del self._steps[i], self._weights[i]

    # -- reading -----------------------------------------------------------------------------
    def steps(self) -> list[int]:
        return list(self._steps)

    @property
    def bytes(self) -> int:
        return sum(nbytes(w) for w in self._weights)

    def nearest(self, step: int) -> int | None:
        """The kept step closest to ``step`` (the older one on a tie); None if none is kept."""
        if not self._steps:
            return None
        i = int(np.searchsorted(self._steps, step))
        near = [j for j in (i - 1, i) if 0 <= j < len(self._steps)]
        return min((self._steps[j] for j in near), key=lambda s: (abs(s - step), s))

    def get(self, step: int) -> tuple[int, Weights]:
        """(kept step, its weights) for the kept step nearest to ``step`` (the arrays are the
        store's own: callers copy before changing them). KeyError when nothing is kept."""
        near = self.nearest(step)
        if near is None:
            raise KeyError("no weights are kept")
        return near, self._weights[self._steps.index(near)]


class ModuleHistory(WeightHistory):
    """A ``WeightHistory`` of a run's torch modules (``{name: module}``, e.g. one per cell of a
    comparison), for runs that draw a past step in the worker: ``keep(step)`` after every
    training step, ``modules_at(step)`` -> (kept step, copies of the modules with the weights
    of that step, in eval mode; the live modules are untouched). The copies of the last step
    asked for are held (one spare snapshot of the budget)."""

    def __init__(self, modules: Mapping, budget: int = WORKER_RUN_BYTES,
                 max_kept: int = MAX_KEPT):
        super().__init__(budget, max_kept, spare=1)
        self.modules = dict(modules)
        self._built: tuple[int, dict] | None = None

    def _take(self) -> dict:
        return {f"{name}/{k}": v for name, module in self.modules.items()
                for k, v in module.state_dict().items()}

    def keep(self, step: int) -> bool:
        return self.offer(step, self._take)

    def modules_at(self, step: int) -> tuple[int, dict]:
        import copy

        import torch  # not at the top: this module is imported where torch is not

        kept, weights = self.get(step)
        if self._built is None or self._built[0] != kept:
            self._built = None  # the old copies go before the new ones are made
            out = {}
            for name, module in self.modules.items():
                twin = copy.deepcopy(module)
                head = name + "/"
                twin.load_state_dict({k[len(head):]: torch.from_numpy(v.copy())
                                      for k, v in weights.items() if k.startswith(head)})
                out[name] = twin.eval()
            self._built = (kept, out)
        return self._built
