"""Take an engine run home: an experiment card, a checkpoint of the run, a standalone script.

An extension of the engine's ``Run`` protocol (``seqviz.engine.protocol``): what a page can
download of the run it trains, and how a checkpoint goes back into a run.

Every training page offers the same three downloads (``seqviz.ui.export.export_panel``); what
differs per lesson is described by one ``LessonExport``:

- the **experiment card** (JSON) needs nothing from the lesson: page, config (the URL config
  dataclass, so ``from_query`` rebuilds it), seed, step, the metrics of the latest view
  (``summarise``: numbers as they are, curves as latest / min / max / length) and library
  versions;
- a **checkpoint** of the run: ``save(run_state, cfg) -> bytes`` and ``read(bytes) ->
  Reopened`` in the project's safe format (``seqviz.checkpoint``: a weights-only file whose
  model description is checked before anything is built). The worker-side run provides
  ``checkpoint_state()`` (weights, optimiser and batch-stream state, step) and
  ``restore(state)``;
- a **standalone script**: the worker-side run provides ``export_script(steps) -> str``,
  plain PyTorch without seqviz that reproduces the run's losses.

A lesson that only has the card passes ``LessonExport(lesson)``; one with more sets the rest.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import io
import json
import math
import platform
import zlib
from dataclasses import dataclass, fields, is_dataclass
from typing import Any, Callable

import numpy as np

import seqviz
from seqviz.config import to_query

CARD_FORMAT = "seqviz-card/1"
MAX_SCRIPT_BYTES = 4_000_000  # a standalone script embeds its data up to about this size


@dataclass(frozen=True)
class Reopened:
    """A checkpoint read back for a page: the config it was trained with and what the run's
    ``restore`` needs (weights, optimiser and batch state, step)."""

    cfg: Any
    state: dict
    step: int


@dataclass(frozen=True)
class LessonExport:
    """What one lesson can export. ``lesson``: a short id (``"lm"``); ``save``/``read``: the
    checkpoint (both or neither); ``check(live, reopened)``: raises ``CheckpointError`` when a
    read checkpoint does not fit the page's run (e.g. another corpus), before anything is sent
    to the worker; ``script``: whether the run has ``export_script``; ``file_stem``: the
    downloads' file names."""

    lesson: str
    save: Callable[[dict, Any], bytes] | None = None
    read: Callable[[bytes], Reopened] | None = None
    check: Callable[[Any, Reopened], None] | None = None
    script: bool = False

    @property
    def file_stem(self) -> str:
        return f"seqviz-{self.lesson}"


# ---- the experiment card ---------------------------------------------------------------------
def library_versions() -> dict[str, str]:
    import torch

    return {"seqviz": str(seqviz.__version__), "python": platform.python_version(),
            "torch": str(torch.__version__), "numpy": str(np.__version__)}  # plain str:
    # torch's TorchVersion is not a type a weights-only load accepts


def _number(x: Any) -> float | int | None:
    """A JSON-safe number: None for NaN / inf."""
    if isinstance(x, (bool, np.bool_)):
        return int(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    x = float(x)
    return x if math.isfinite(x) else None


def _curve(values: np.ndarray) -> dict:
    finite = values[np.isfinite(values)]
    out = {"latest": _number(values[-1]) if len(values) else None, "length": int(len(values))}
    if len(finite):
        out.update(min=_number(finite.min()), max=_number(finite.max()))
    return out


def summarise(view: Any) -> dict:
    """A page's latest view (a dataclass of numbers, arrays and text) as card metrics: scalar
    numbers as they are, 1-D numeric arrays (curves) as latest / min / max / length. Nested
    dataclasses are summarised one level down; everything else (figures, text) is left out."""
    if not is_dataclass(view):
        return {}
    out: dict[str, Any] = {}
    for f in fields(view):
        value = getattr(view, f.name)
        if isinstance(value, (bool, int, float, np.number)) and not isinstance(value, np.bool_):
            out[f.name] = _number(value)
        elif isinstance(value, np.ndarray) and value.ndim == 1 and value.size \
                and np.issubdtype(value.dtype, np.number):
            out[f.name] = _curve(value.astype(np.float64))
        elif is_dataclass(value) and not isinstance(value, type) and f.name != "cfg":
            inner = {k: v for k, v in summarise(value).items() if not isinstance(v, dict)}
            if inner:
                out[f.name] = inner
    return out


def experiment_card(lesson: str, page: str, cfg: Any, step: int, view: Any = None,
                    metrics: dict | None = None, now: dt.datetime | None = None) -> dict:
    """The card of one run: enough to rebuild it (config with seed) and to compare it."""
    return {
        "format": CARD_FORMAT,
        "lesson": lesson,
        "page": page,
        "config": to_query(cfg),
        "seed": getattr(cfg, "seed", None),
        "step": int(step),
        "metrics": {**summarise(view), **(metrics or {})},
        "versions": library_versions(),
        "date": (now or dt.datetime.now(dt.timezone.utc)).isoformat(timespec="seconds"),
    }


def card_json(card: dict) -> str:
    return json.dumps(card, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


# ---- checkpoints ------------------------------------------------------------------------------
def run_meta(lesson: str, cfg: Any, step: int) -> dict:
    """The plain metadata a run's checkpoint carries: lesson, config as URL params, step."""
    return {"lesson": lesson, "config": to_query(cfg), "step": int(step),
            "versions": library_versions()}


def to_bytes(save: Callable[[io.BytesIO], None]) -> bytes:
    buf = io.BytesIO()
    save(buf)
    return buf.getvalue()


def config_from_meta(cls: type, meta: dict) -> Any:
    """The config saved in a checkpoint's meta (unknown or bad values: the defaults, as a link
    would give)."""
    from seqviz.config import from_query

    params = meta.get("config") if isinstance(meta, dict) else None
    if not isinstance(params, dict):
        return cls()
    cfg, _notices = from_query(cls, {str(k): str(v) for k, v in params.items()})
    return cfg


def same_model(a: Any, b: Any) -> bool:
    """Two configs that build the same model and data (only live fields differ)."""
    from seqviz.config import rebuild_changes

    return type(a) is type(b) and not rebuild_changes(a, b)


def with_live(cfg: Any, live_from: Any) -> Any:
    """``cfg`` with the live fields of ``live_from``."""
    from seqviz.config import live_fields

    return dataclasses.replace(cfg, **{n: getattr(live_from, n) for n in live_fields(type(cfg))})


# ---- a trainer's state in a checkpoint ----------------------------------------------------------
HISTORY = ("step", "loss", "grad_norm", "grad_norm_clipped", "lr")  # per kept step


def table_rows(table: Any, names: tuple[str, ...], most: int) -> list[tuple]:
    """The rows of a saved ``{name: [numbers]}`` table (the last ``most``), or none when it is
    malformed: a file edited by hand must not break a page (its curves then start empty)."""
    if not isinstance(table, dict):
        return []
    cols = [table.get(n) for n in names]
    if not all(isinstance(c, list) for c in cols) or len({len(c) for c in cols}) != 1:
        return []
    rows = list(zip(*cols))[-most:]
    ok = all(isinstance(x, (int, float)) and not isinstance(x, bool) for r in rows for x in r)
    return rows if ok else []


def trainer_state(trainer: Any) -> dict:
    """What a ``seqviz.train.Trainer`` needs to go on exactly where it stopped: optimiser and
    batch-stream state, and the kept (not diverged) loss history as columns."""
    kept = [h for h in trainer.history if not h.diverged]
    get = getattr(trainer.batches, "state_dict", None)
    return {"optimizer": trainer.optimizer.state_dict(),
            "sampler": get() if get is not None else None,
            "history": {name: [getattr(h, name) for h in kept] for name in HISTORY}}


def restore_trainer(trainer: Any, state: dict, step: int) -> None:
    """Worker side: a re-opened checkpoint's optimiser, batch and history state in ``trainer``
    (its model's weights already loaded), counting on from ``step``. A part that does not fit
    (an edited file) is left out: a fresh optimiser, the batch stream as it is, no curve."""
    from seqviz.train import LastGood, StepStats, make_optimizer

    with trainer.lock:
        try:
            trainer.optimizer.load_state_dict(state["optimizer"])
        except (ValueError, KeyError, TypeError, RuntimeError, IndexError):
            trainer.optimizer = make_optimizer(trainer.optimizer_name,
                                               trainer.model.parameters(), trainer.lr)
        trainer.set_lr(trainer.lr)  # the page's (live) learning rate
        load = getattr(trainer.batches, "load_state_dict", None)
        if load is not None and state.get("sampler") is not None:
            try:
                load(state["sampler"])
            except (KeyError, TypeError, RuntimeError, ValueError):
                pass
        trainer.history.clear()
        trainer.evals.clear()
        trainer.divergences.clear()
        for s, loss, norm, clipped, lr in table_rows(state.get("history"), HISTORY,
                                                     trainer.history.maxlen):
            if 0 < s <= step:  # the curve as it was when the checkpoint was saved
                trainer.history.append(StepStats(int(s), float(loss), float(norm),
                                                 float(clipped), clipped < norm, float(lr),
                                                 False, 0.0))
        trainer.resume_at(step)
        trainer._good = LastGood()  # no roll-back past the re-opened weights


def read_step(meta: dict) -> int:
    """The step a checkpoint's meta says it was saved at (0 when it says nothing sensible)."""
    step = meta.get("step", 0) if isinstance(meta, dict) else 0
    return step if isinstance(step, int) and not isinstance(step, bool) and step >= 0 else 0


# ---- embedding data in a script ---------------------------------------------------------------
def pack_ids(ids: Any) -> str:
    """Token ids as base64 of zlib-compressed little-endian int32 (decoded by ``UNPACK_IDS``)."""
    arr = np.ascontiguousarray(np.asarray(ids, dtype="<i4"))
    return base64.b64encode(zlib.compress(arr.tobytes(), 9)).decode("ascii")


def unpack_ids(text: str) -> np.ndarray:
    return np.frombuffer(zlib.decompress(base64.b64decode(text)), dtype="<i4")


UNPACK_IDS = '''def unpack_ids(text):
    """base64 -> zlib -> little-endian int32 token ids (a LongTensor)."""
    raw = zlib.decompress(base64.b64decode(text))
    return torch.tensor(array.array("i", raw).tolist() if sys.byteorder == "little"
                        else _swapped(raw), dtype=torch.long)


def _swapped(raw):
    a = array.array("i", raw)
    a.byteswap()
    return a.tolist()
'''


def wrap(text: str, width: int = 96) -> str:
    """A long base64 string as a parenthesised run of string literals, ``width`` a line."""
    parts = [text[i:i + width] for i in range(0, len(text), width)] or [""]
    return "(\n" + "\n".join(f'    "{p}"' for p in parts) + "\n)"


# ---- pieces of the standalone scripts ----------------------------------------------------------
# Gradient clipping as every page does it (seqviz.train), written out for the scripts that
# clip: a template puts it where it says {clip_gradients}.
SCRIPT_CLIP_GRADIENTS = '''def clip_gradients(params, mode, threshold):
    """Global-norm (Pascanu et al. 2013) or per-value clipping, as the page does it."""
    grads = [p.grad for p in params if p.grad is not None]
    norm = float(torch.linalg.vector_norm(torch.stack([g.detach().norm(2) for g in grads]), 2))
    if mode == "norm" and math.isfinite(norm):
        coef = threshold / (norm + 1e-6)
        if coef < 1.0:
            for g in grads:
                g.mul_(coef)
    elif mode == "value":
        for g in grads:
            g.clamp_(-threshold, threshold)
    return norm
'''
