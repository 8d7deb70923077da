"""Page configs: frozen dataclasses that round-trip through URL query parameters.

One frozen dataclass per page holds every setting of an experiment, seed included, so a copied
link reopens the same experiment (the idea of TensorFlow Playground's ``state.ts``). Each field
carries metadata:

- ``live``: the setting acts on the running model (learning rate, clip threshold, temperature);
  every other field rebuilds the model and restarts training.
- ``choices`` / ``lo`` / ``hi``: what a valid value is. Parsing is tolerant: unknown keys are
  ignored and a bad value falls back to the default with a notice the page shows.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field, fields
from typing import Any, Mapping, TypeVar

C = TypeVar("C")


def setting(default: Any, *, live: bool = False, choices: tuple | None = None,
            lo: float | None = None, hi: float | None = None, label: str = "") -> Any:
    """A dataclass field with the metadata the query-string parser and the UI read."""
    meta = {"live": live, "choices": choices, "lo": lo, "hi": hi, "label": label}
    return field(default=default, metadata=meta)


def _parse(raw: str, default: Any) -> Any:
    """Parse one query value to the type of ``default``; raises ValueError on bad input."""
    if isinstance(default, bool):
        low = raw.strip().lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off"):
            return False
        raise ValueError(raw)
    if isinstance(default, int):
        return int(float(raw)) if float(raw).is_integer() else int(raw)
    if isinstance(default, float):
        value = float(raw)
        if not math.isfinite(value):
            raise ValueError(raw)
        return value
    return str(raw)


def check(cfg: Any) -> list[str]:
    """Names every field of ``cfg`` that is outside its allowed choices or range."""
    bad = []
    for f in fields(cfg):
        value, meta = getattr(cfg, f.name), f.metadata
        if meta.get("choices") and value not in meta["choices"]:
            bad.append(f"{f.name}={value!r} is not one of {', '.join(map(str, meta['choices']))}")
        if meta.get("lo") is not None and value < meta["lo"]:
            bad.append(f"{f.name}={value} is below the minimum {meta['lo']}")
        if meta.get("hi") is not None and value > meta["hi"]:
            bad.append(f"{f.name}={value} is above the maximum {meta['hi']}")
    return bad


def to_query(cfg: Any) -> dict[str, str]:
    """Every field as a string, seed included, so a link fully reproduces the experiment."""
    out = {}
    for f in fields(cfg):
        value = getattr(cfg, f.name)
        out[f.name] = ("1" if value else "0") if isinstance(value, bool) else str(value)
    return out


def from_query(cls: type[C], params: Mapping[str, Any]) -> tuple[C, list[str]]:
    """Build ``cls`` from query parameters; returns (config, notices for the user).

    Unknown keys are ignored silently (links from newer/older versions still open); a value
    that does not parse or is out of range falls back to the default and produces a notice.
    """
    values, notices = {}, []
    defaults = cls()
    for f in fields(cls):
        if f.name not in params:
            continue
        raw = params[f.name]
        if isinstance(raw, (list, tuple)):
            raw = raw[-1] if raw else ""
        default = getattr(defaults, f.name)
        try:
            value = _parse(str(raw), default)
            trial = dataclasses.replace(defaults, **{f.name: value})
            problems = check(trial)
            problem = next((p for p in problems if p.startswith(f.name + "=")), None)
            if problem:
                raise ValueError(problem)
        except (ValueError, TypeError, OverflowError):
            notices.append(f"Ignored URL parameter {f.name}={str(raw)[:40]!r}: "
                           f"using the default {default!r}.")
            continue
        values[f.name] = value
    return dataclasses.replace(defaults, **values), notices


def live_fields(cls: type) -> set[str]:
    """Names of the fields that apply to a running model without a rebuild."""
    return {f.name for f in fields(cls) if f.metadata.get("live")}


def rebuild_changes(old: Any, new: Any) -> list[str]:
    """Fields that differ between two configs and require rebuilding the model."""
    live = live_fields(type(old))
    return [f.name for f in fields(old)
            if f.name not in live and getattr(old, f.name) != getattr(new, f.name)]


@dataclass(frozen=True)
class LMConfig:
    """The language-model page: corpus, model shape, optimiser and live knobs."""

    corpus: str = setting("prose", choices=("prose", "python", "grammar", "upload"))
    level: str = setting("char", choices=("char", "word"))
    cell: str = setting("lstm", choices=("rnn", "gru", "lstm"))
    hidden_size: int = setting(128, lo=8, hi=512)
    num_layers: int = setting(1, lo=1, hi=3)
    embed_size: int = setting(64, lo=4, hi=256)
    seq_len: int = setting(64, lo=4, hi=256)
    batch_size: int = setting(32, lo=1, hi=128)
    optimizer: str = setting("adam", choices=("adam", "sgd"))
    lr: float = setting(0.003, live=True, lo=1e-5, hi=10.0)
    clip: str = setting("norm", live=True, choices=("none", "norm", "value"))
    clip_threshold: float = setting(1.0, live=True, lo=0.01, hi=100.0)
    temperature: float = setting(0.8, live=True, lo=0.0, hi=2.0)
    seed: int = setting(0, lo=0, hi=2**31 - 1)


@dataclass(frozen=True)
class BeamConfig:
    """The beam-search page. ``source`` names a model: a bundled checkpoint's file name
    (``lm_*`` / ``seq2seq_*``), ``live_lm`` or ``live_s2s``; "auto" picks the first available."""

    source: str = setting("auto")
    text: str = setting("")  # the input (seq2seq) or prompt (LM); "" = a ready-made example
    reference: str = setting("")  # y* for the error analysis; "" = the example's own target
    beam_width: int = setting(3, live=True, lo=1, hi=10)
    max_len: int = setting(30, live=True, lo=1, hi=60)
    alpha: float = setting(0.6, live=True, lo=0.0, hi=1.0)
    expand: int = setting(3, live=True, lo=1, hi=10)
    temperature: float = setting(1.0, live=True, lo=0.05, hi=2.0)
    seed: int = setting(0, lo=0, hi=2**31 - 1)
