"""The server's side of one page's run: its config, its engine handle, and waiting on it.

A page keeps a ``LiveExperiment`` (or a lesson's subclass) in its session; Play, Pause, Step,
Reset and live settings go through it to the worker, and the page draws ``snapshot()``.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable

from seqviz.engine.pool import RunHandle
from seqviz.engine.protocol import Snapshot
from seqviz.engine.rewind import PAGE_KEPT

STEP_WAIT = 5.0  # seconds a Step click waits for its step to show (one step is milliseconds)


class LiveExperiment:
    def __init__(self, handle: RunHandle, cfg: Any):
        self.handle, self.cfg = handle, cfg
        self._copy: tuple[tuple[int, int], Any] | None = None  # ((generation, step), model)
        self._past: OrderedDict[tuple[int, int], dict] = OrderedDict()  # see ``weights_at``
        self._views: OrderedDict[tuple, Any] = OrderedDict()  # see ``analysis_at``
        self._stepping: int | None = None  # a Step's command not answered yet (see step)

    def apply_live(self, cfg: Any) -> None:
        """Live settings act from the run's next step; nothing is rebuilt."""
        self.cfg = cfg
        self.handle.apply_live(cfg)

    def step(self, n: int = 1) -> Snapshot | None:
        """n steps (pausing first); waits briefly so the page redraws with them. A step that
        takes longer (a large model: seconds) is ``stepping`` until the worker answers."""
        seq = self.handle.step(n)
        try:
            snap = self.handle.wait_acked(seq, STEP_WAIT)
            self._stepping = None
            return snap
        except TimeoutError:
            self._stepping = seq
            return self.handle.snapshot()

    def stepping(self) -> bool:
        """A Step still running in the worker: the paused page must keep looking for its
        snapshot, or it would show the step before it until something else redraws it."""
        if self._stepping is not None:
            snap = self.handle.snapshot()
            if snap is not None and snap.acked >= self._stepping:
                self._stepping = None
        return self._stepping is not None

    def play(self) -> None:
        self.handle.play()

    def pause(self) -> Snapshot | None:
        """Pause; waits briefly for the snapshot that shows it, because a paused page is not
        redrawn again and must not keep showing a step from before the pause."""
        seq = self.handle.pause()
        try:
            return self.handle.wait_acked(seq, STEP_WAIT)
        except TimeoutError:
            return self.handle.snapshot()

    def snapshot(self) -> Snapshot | None:
        return self.handle.snapshot()

    @property
    def steps(self) -> int:
        snap = self.snapshot()
        return snap.step if snap is not None else 0

    @property
    def view(self) -> Any:
        snap = self.snapshot()
        return snap.payload if snap is not None else None

    def model_copy(self, build: Callable[[Any], Any], timeout: float = 10.0) -> Any:
        """A copy of the run's latest weights for probing or decoding (never trained here):
        ``build(spec)`` makes the module and the run's ``weights()`` (spec, state dict, step)
        fill it; fetched from the worker only when the run has moved since the last copy."""
        snap = self.snapshot()
        now = (self.handle.generation, snap.step if snap is not None else -1)
        if self._copy is not None and self._copy[0] == now:
            return self._copy[1]
        w = self.handle.call("weights", timeout=timeout)
        model = build(w["spec"])
        model.load_state_dict(w["state_dict"])
        model.eval()
        self._copy = ((self.handle.generation, int(w["step"])), model)
        return model

    # -- rewinding (seqviz.engine.rewind) -------------------------------------------------------
    def kept_steps(self) -> list[int]:
        """The past steps whose weights the run keeps (from its latest snapshot)."""
        snap = self.snapshot()
        return list(snap.kept) if snap is not None else []

    def weights_at(self, step: int, timeout: float = 10.0) -> dict:
        """The run's ``weights_at(step)`` (its weights at the kept step nearest ``step``, as
        ``{"step": kept step, "weights": {name: array}, ...}``), fetched once: the last
        ``PAGE_KEPT`` answers are held here, so a view of a past step stays as it was even when
        the run later thins that step out, and a comparison of two steps fetches each once."""
        key = (self.handle.generation, int(step))
        past = self._past
        if key not in past:
            past[key] = self.handle.call("weights_at", int(step), timeout=timeout)
            while len(past) > PAGE_KEPT:
                past.popitem(last=False)
        past.move_to_end(key)
        return past[key]

    def analysis_at(self, method: str, step: int, *args: Any, timeout: float = 30.0) -> Any:
        """The run's ``method(step, *args)``: a view of a past step drawn in the worker from the
        weights it kept (``seqviz.engine.rewind.ModuleHistory``), as ``(kept step, view)``.
        The last ``PAGE_KEPT`` answers are held here, like ``weights_at``'s."""
        key = (self.handle.generation, method, int(step), args)
        past = self._views
        if key not in past:
            past[key] = self.handle.call(method, int(step), *args, timeout=timeout)
            while len(past) > PAGE_KEPT:
                past.popitem(last=False)
        past.move_to_end(key)
        return past[key]

    def model_copy_at(self, step: int, build: Callable[[Any], Any], timeout: float = 10.0
                      ) -> Any:
        """A module with the run's weights at a kept step (see ``weights_at``): ``build(spec)``
        makes it, the kept arrays fill it. Built once per step, like the weights."""
        import torch  # not at the top: pages without a model import this module too

        w = self.weights_at(step, timeout)
        if "model" not in w:
            model = build(w["spec"])
            model.load_state_dict({k: torch.from_numpy(v) for k, v in w["weights"].items()})
            model.eval()
            w["model"] = model
            del w["weights"]  # the model holds its own copy: keep one
        return w["model"]

    def close(self) -> None:
        self.handle.close()
