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
from typing import Any, BinaryIO

import torch

from seqviz.data import Vocab
from seqviz.models.lm import LanguageModel, LMSpec

FORMAT = "seqviz/1"
PRETRAINED_DIR = Path(__file__).resolve().parent / "pretrained"
MAX_BYTES = 50_000_000


class CheckpointError(ValueError):
    """A checkpoint that cannot be used, with a message for the page."""


def save_checkpoint(dest: str | Path | BinaryIO, kind: str, spec: dict, state_dict: dict,
                    meta: dict | None = None, **extra: Any) -> None:
    payload = {"format": FORMAT, "kind": kind, "spec": dict(spec),
               "state_dict": {k: v.detach().cpu() for k, v in state_dict.items()},
               "meta": dict(meta or {}), **extra}
    torch.save(payload, dest)


def load_checkpoint(src: str | Path | bytes | BinaryIO, kind: str) -> dict:
    """Read and check a checkpoint of ``kind``; raises CheckpointError with a clear message."""
    if isinstance(src, (bytes, bytearray)):
        if len(src) > MAX_BYTES:
            raise CheckpointError(f"The file is {len(src):,} bytes; checkpoints are limited to "
                                  f"{MAX_BYTES:,}.")
        src = io.BytesIO(src)
    try:
        payload = torch.load(src, map_location="cpu", weights_only=True)
    except FileNotFoundError as err:
        raise CheckpointError(f"No checkpoint at {err.filename}.") from err
    except Exception as err:  # torch raises many types for a non-checkpoint file
        raise CheckpointError("This is not a seqviz checkpoint (it could not be read as a "
                              "weights-only PyTorch file).") from err
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError("This file is not a seqviz checkpoint (format tag missing).")
    if payload.get("kind") != kind:
        raise CheckpointError(f"This checkpoint holds a {payload.get('kind')!r} model; this page "
                              f"needs a {kind!r} model.")
    if not isinstance(payload.get("state_dict"), dict) or not isinstance(payload.get("spec"), dict):
        raise CheckpointError("The checkpoint is incomplete (no spec or weights).")
    return payload


def spec_from_dict(cls: type, data: dict) -> Any:
    """Build a spec dataclass, ignoring unknown keys and naming missing ones."""
    names = {f.name for f in fields(cls)}
    try:
        return cls(**{k: v for k, v in data.items() if k in names})
    except TypeError as err:
        raise CheckpointError(f"The checkpoint's model description is incomplete: {err}") from err


def load_weights(model: torch.nn.Module, state_dict: dict) -> None:
    try:
        model.load_state_dict(state_dict, strict=True)
    except RuntimeError as err:
        first = str(err).splitlines()[0]
        raise CheckpointError(f"The weights do not fit the model: {first}") from err


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
        raise CheckpointError("The checkpoint's vocabulary is missing or damaged.") from err
    if len(vocab) != spec.vocab_size:
        raise CheckpointError(f"The vocabulary has {len(vocab)} tokens but the model expects "
                              f"{spec.vocab_size}.")
    level = payload.get("level")
    if level not in ("char", "word"):
        raise CheckpointError(f"Unknown tokenisation level {level!r} in the checkpoint.")
    try:
        model = LanguageModel(spec)
    except (ValueError, RuntimeError, TypeError) as err:
        raise CheckpointError(f"The checkpoint's model description is invalid: {err}") from err
    load_weights(model, payload["state_dict"])
    return model.to(device).eval(), vocab, level, dict(payload.get("meta", {}))


def pretrained_path(name: str) -> Path:
    return PRETRAINED_DIR / f"{name}.pt"


def list_pretrained(kind: str) -> list[str]:
    """Names of the bundled checkpoints of one kind (files named ``<kind>_*.pt``)."""
    if not PRETRAINED_DIR.exists():
        return []
    return sorted(p.stem for p in PRETRAINED_DIR.glob(f"{kind}_*.pt"))
