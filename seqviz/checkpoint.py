"""Checkpoints: state dicts plus plain metadata, loaded with ``torch.load(weights_only=True)``.

A checkpoint is a dict of tensors, strings, numbers, lists and dicts, so loading never unpickles
arbitrary objects, and an uploaded file can be checked before anything is built from it.
Format: ``{"format": "seqviz/1", "kind": "lm" | "seq2seq" | ..., "spec": {...},
"state_dict": {...}, "meta": {...}, ...extra}``. Bundled checkpoints live in
``seqviz/pretrained/`` and are made by ``scripts/train_pretrained.py``.
"""

from __future__ import annotations

import io
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any, BinaryIO, Callable

import torch

from seqviz.data import Vocab
from seqviz.i18n import N_, _
from seqviz.limits import MAX_CHECKPOINT_BYTES, MAX_PARAMETERS, MAX_SPEC
from seqviz.models.lm import LanguageModel, LMSpec

FORMAT = "seqviz/1"
PRETRAINED_DIR = Path(__file__).resolve().parent / "pretrained"
MAX_BYTES = MAX_CHECKPOINT_BYTES
CELLS = ("rnn", "gru", "lstm")


class CheckpointError(ValueError):
    """A checkpoint that cannot be used, with a message for the page."""


def save_checkpoint(dest: str | Path | BinaryIO, kind: str, spec: dict, state_dict: dict,
                    meta: dict | None = None, **extra: Any) -> None:
    payload = {"format": FORMAT, "kind": kind, "spec": dict(spec),
               "state_dict": {k: v.detach().cpu() for k, v in state_dict.items()},
               "meta": dict(meta or {}), **extra}
    torch.save(payload, dest)


KIND_PAGES = {  # the page whose runs a checkpoint kind holds (its title in the page list)
    "lm": N_("Language model"), "seq2seq": N_("Attention"),
    "gradients": N_("Gradient flow through time"), "clipping": N_("Gradient clipping"),
    "ctc": N_("CTC"), "timeseries": N_("Time series"), "seqtasks": N_("Sequence tasks"),
    "word2vec": N_("Word embeddings"),
}


def _page(kind: Any) -> str:
    return _(KIND_PAGES[kind]) if kind in KIND_PAGES else repr(kind)


def load_checkpoint(src: str | Path | bytes | BinaryIO, kind: str) -> dict:
    """Read and check a checkpoint of ``kind``; raises CheckpointError with a clear message."""
    if isinstance(src, (bytes, bytearray)):
        if not src:
            raise CheckpointError(_("The file is empty: upload a checkpoint saved by seqviz."))
        if len(src) > MAX_BYTES:
            raise CheckpointError(_("The file is {n} bytes; checkpoints are limited to {most} "
                                    "bytes.").format(n=f"{len(src):,}", most=f"{MAX_BYTES:,}"))
        src = io.BytesIO(src)
    try:
        payload = torch.load(src, map_location="cpu", weights_only=True)
    except FileNotFoundError as err:
        raise CheckpointError(_("No checkpoint at {path}.").format(path=err.filename)) from err
    except Exception as err:  # torch raises many types for a non-checkpoint file
        raise CheckpointError(_("This is not a seqviz checkpoint: it could not be read as a "
                                "weights-only PyTorch file (a damaged or truncated file, a "
                                "pickle of arbitrary objects, or another kind of file)."
                                )) from err
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(_("This file is not a seqviz checkpoint: its format tag is "
                                "missing."))
    if payload.get("kind") != kind:
        raise CheckpointError(_("This checkpoint was saved on the “{have}” page; this page "
                                "opens checkpoints saved on the “{want}” page.").format(
            have=_page(payload.get("kind")), want=_page(kind)))
    if not isinstance(payload.get("state_dict"), dict) or not isinstance(payload.get("spec"), dict):
        raise CheckpointError(_("The checkpoint is incomplete: it has no model description or "
                                "no weights."))
    check_spec(payload["spec"])
    return payload


def check_spec(spec: dict) -> None:
    """Refuse a model description outside ``seqviz.limits`` before anything is built from it
    (a 3 kB file saying ``hidden_size = 8000`` must not allocate gigabytes)."""
    problems = []
    for key, most in MAX_SPEC.items():
        if key not in spec:
            continue
        value = spec[key]
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(_("{name} must be a whole number, not {value!r}").format(
                name=key, value=value))
        elif not 1 <= value <= most:
            problems.append(_("{name} = {value:,} is outside 1 … {most:,}").format(
                name=key, value=value, most=most))
    cell = spec.get("cell", "lstm")
    if cell not in CELLS:
        problems.append(_("cell {value!r} is not one of {choices}").format(
            value=cell, choices=", ".join(CELLS)))
    dropout = spec.get("dropout", 0.0)
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) \
            or not 0.0 <= dropout < 1.0:
        problems.append(_("dropout {value!r} is not a number in [0, 1)").format(value=dropout))
    if problems:
        raise CheckpointError(_("The checkpoint's model description is out of bounds: "
                                "{problems}.").format(problems="; ".join(problems)))


def check_size(build: Callable[[], torch.nn.Module]) -> None:
    """Count the parameters ``build()`` would make, on the meta device (no memory), and refuse
    more than ``MAX_PARAMETERS``."""
    with torch.device("meta"):
        model = build()
    n = sum(p.numel() for p in model.parameters())
    if n > MAX_PARAMETERS:
        raise CheckpointError(_("The checkpoint describes a model with {n:,} parameters; this "
                                "server loads at most {most:,}.").format(n=n,
                                                                        most=MAX_PARAMETERS))


def spec_from_dict(cls: type, data: dict) -> Any:
    """Build a spec dataclass, ignoring unknown keys and naming missing ones."""
    names = {f.name for f in fields(cls)}
    try:
        return cls(**{k: v for k, v in data.items() if k in names})
    except TypeError as err:
        raise CheckpointError(_("The checkpoint's model description is incomplete: {error}"
                                ).format(error=err)) from err


def load_weights(model: torch.nn.Module, state_dict: dict) -> None:
    """Load ``state_dict`` into ``model``, or say exactly what does not fit: missing and
    unexpected weights and wrong shapes, counted and named (the first few)."""
    want = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    have = {k: tuple(v.shape) if isinstance(v, torch.Tensor) else None
            for k, v in state_dict.items()}
    missing = [k for k in want if k not in have]
    unexpected = [k for k in have if k not in want]
    wrong = [f"{k} {have[k]} ≠ {want[k]}" for k in want if k in have and have[k] != want[k]]
    if missing or unexpected or wrong:
        parts = []
        for label, names in ((_("missing"), missing), (_("unexpected"), unexpected),
                             (_("of the wrong shape"), wrong)):
            if names:
                shown = ", ".join(names[:4]) + (", …" if len(names) > 4 else "")
                parts.append(_("{n} {what} ({names})").format(n=len(names), what=label,
                                                               names=shown))
        raise CheckpointError(_("The weights do not fit the model described in the same "
                                "file: {parts}.").format(parts="; ".join(parts)))
    try:
        model.load_state_dict(state_dict, strict=True)
    except (RuntimeError, TypeError) as err:
        raise CheckpointError(_("The weights could not be loaded: {error}").format(
            error=" ".join(str(err).split())[:300])) from err


# ---- language models ------------------------------------------------------------------------
def save_lm(dest: str | Path | BinaryIO, model: LanguageModel, vocab: Vocab, level: str,
            meta: dict | None = None) -> None:
    save_checkpoint(dest, "lm", asdict(model.spec), model.state_dict(), meta,
                    vocab=vocab.to_dict(), level=level)


def load_lm(src: str | Path | bytes | BinaryIO, device: str | torch.device = "cpu"
            ) -> tuple[LanguageModel, Vocab, str, dict]:
    """Returns (model in eval mode, vocab, level, meta)."""
    payload = load_checkpoint(src, "lm")
    spec = spec_from_dict(LMSpec, payload["spec"])
    try:
        vocab = Vocab.from_dict(payload["vocab"])
    except Exception as err:
        raise CheckpointError(_("The checkpoint's vocabulary is missing or damaged.")) from err
    if len(vocab) != spec.vocab_size:
        raise CheckpointError(_("The vocabulary has {n} tokens but the model expects {want}."
                                ).format(n=len(vocab), want=spec.vocab_size))
    level = payload.get("level")
    if level not in ("char", "word"):
        raise CheckpointError(_("Unknown tokenisation level {level!r} in the checkpoint."
                                ).format(level=level))
    try:
        check_size(lambda: LanguageModel(spec))
        model = LanguageModel(spec)
    except (ValueError, RuntimeError, TypeError) as err:
        raise CheckpointError(_("The checkpoint's model description is invalid: {error}"
                                ).format(error=err)) from err
    load_weights(model, payload["state_dict"])
    return model.to(device).eval(), vocab, level, dict(payload.get("meta", {}))


def pretrained_path(name: str) -> Path:
    return PRETRAINED_DIR / f"{name}.pt"


def list_pretrained(kind: str) -> list[str]:
    """Names of the bundled checkpoints of one kind (files named ``<kind>_*.pt``)."""
    if not PRETRAINED_DIR.exists():
        return []
    return sorted(p.stem for p in PRETRAINED_DIR.glob(f"{kind}_*.pt"))
