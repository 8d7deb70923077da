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
import re
from dataclasses import field, fields
from typing import Any, Mapping, TypeVar

from seqviz.i18n import _

C = TypeVar("C")
MAX_VALUE_CHARS = 200  # a URL value longer than this is refused before it is parsed
_INT = re.compile(r"[+-]?[0-9]+")  # ASCII only: "１２" (full-width) and "1e2" are refused
_FLOAT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")


def clipped(raw, limit: int = 40) -> str:
    """A bad value as a notice quotes it: at most ``limit`` characters, "…" if cut."""
    text = str(raw)
    return text if len(text) <= limit else text[:limit] + "…"


def setting(default: Any, *, live: bool = False, choices: tuple | None = None,
            lo: float | None = None, hi: float | None = None, label: str = "",
            max_len: int | None = None, pattern: str | None = None) -> Any:
    """A dataclass field with the metadata the query-string parser and the UI read.

    ``max_len`` caps a text field (a URL cannot get past a widget's cap); ``pattern`` is a
    regular expression a non-empty text value must match in full."""
    meta = {"live": live, "choices": choices, "lo": lo, "hi": hi, "label": label,
            "max_len": max_len, "pattern": pattern}
    return field(default=default, metadata=meta)


def _parse(raw: str, default: Any) -> Any:
    """Parse one query value to the type of ``default``; raises ValueError on bad input.

    Strict on purpose: ASCII digits only (Python's ``int`` would take full-width digits),
    integers without exponents, finite floats, strings of at most ``MAX_VALUE_CHARS``."""
    if len(raw) > MAX_VALUE_CHARS:
        raise ValueError(raw)
    if isinstance(default, bool):
        low = raw.strip().lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off"):
            return False
        raise ValueError(raw)
    if isinstance(default, int):
        if not _INT.fullmatch(raw.strip()):
            raise ValueError(raw)
        return int(raw.strip())
    if isinstance(default, float):
        if not _FLOAT.fullmatch(raw.strip()):
            raise ValueError(raw)
        value = float(raw.strip())
        if not math.isfinite(value):
            raise ValueError(raw)
        return value
    return str(raw)


def check(cfg: Any) -> list[str]:
    """Names every field of ``cfg`` that is outside its allowed choices or range."""
    return [problem for _name, problem in _problems(cfg)]


def _problems(cfg: Any) -> list[tuple[str, str]]:
    bad = []
    for f in fields(cfg):
        value, meta = getattr(cfg, f.name), f.metadata
        if meta.get("choices") and value not in meta["choices"]:
            bad.append((f.name, _("{name}={value!r} is not one of {choices}").format(
                name=f.name, value=value, choices=", ".join(map(str, meta["choices"])))))
        if (meta.get("lo") is not None or meta.get("hi") is not None) and (
                isinstance(value, bool) or not isinstance(value, (int, float))):
            bad.append((f.name, _("{name}={value!r} is not a number").format(
                name=f.name, value=str(value)[:40])))
            continue
        if meta.get("lo") is not None and value < meta["lo"]:
            bad.append((f.name, _("{name}={value} is below the minimum {lo}").format(
                name=f.name, value=value, lo=meta["lo"])))
        if meta.get("hi") is not None and value > meta["hi"]:
            bad.append((f.name, _("{name}={value} is above the maximum {hi}").format(
                name=f.name, value=value, hi=meta["hi"])))
        if meta.get("max_len") is not None and len(value) > meta["max_len"]:
            bad.append((f.name, _("{name} is {n} characters long; at most {most} are "
                                  "allowed").format(name=f.name, n=len(value),
                                                    most=meta["max_len"])))
        if meta.get("pattern") and value and not re.fullmatch(meta["pattern"], value):
            bad.append((f.name, _("{name}={value!r} is not a valid value").format(
                name=f.name, value=value[:40])))
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
            if any(name == f.name for name, _problem in _problems(trial)):
                raise ValueError(raw)
        except (ValueError, TypeError, OverflowError):
            shown = clipped(raw)
            notices.append(_("Ignored URL parameter {name}={value!r}: using the default "
                             "{default!r}.").format(name=f.name, value=shown, default=default))
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
