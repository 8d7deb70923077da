"""Sequence-to-sequence checkpoints: the bundled pretrained files, loading a payload, and loading
a model for inference only.

A seq2seq checkpoint (``S2SExperiment.save``) carries, besides the weights, the config, the task
and both vocabularies, so ``load_seq2seq`` can rebuild the model (Bahdanau, Cho and Bengio 2015;
Luong, Pham and Manning 2015) without retraining, and ``effective_config`` says what a pretrained
run actually is: the checkpoint's task and model with the user's live settings.
"""

from __future__ import annotations

from dataclasses import fields, replace
from pathlib import Path
from typing import BinaryIO

from seqviz.attention.experiment import S2SConfig
from seqviz.attention.tasks import S2SVocab, TaskSpec
from seqviz.checkpoint import (PRETRAINED_DIR, CheckpointError, load_checkpoint, load_weights,
                               spec_from_dict)
from seqviz.config import live_fields
from seqviz.models.seq2seq import Seq2Seq, Seq2SeqSpec


def pretrained_path(name: str) -> Path:
    return PRETRAINED_DIR / f"seq2seq_{name}.pt"


def load_s2s_payload(src: str | Path | bytes | BinaryIO) -> dict:
    payload = load_checkpoint(src, "seq2seq")
    for key in ("config", "task", "src_vocab", "tgt_vocab"):
        if not isinstance(payload.get(key), dict):
            raise CheckpointError(f"The checkpoint lacks its {key.replace('_', ' ')}.")
    return payload


def load_seq2seq(src: str | Path | bytes | BinaryIO
                 ) -> tuple[Seq2Seq, S2SVocab, S2SVocab, str, dict]:
    """Inference only (e.g. beam search): (model in eval mode, source vocab, target vocab,
    level "char" | "word", payload). Tokens: ``seqviz.attention.tasks.tokenize(text, level)``."""
    payload = load_s2s_payload(src)
    try:
        spec = spec_from_dict(Seq2SeqSpec, payload["spec"])
        src_vocab = S2SVocab.from_dict(payload["src_vocab"])
        tgt_vocab = S2SVocab.from_dict(payload["tgt_vocab"])
        level = spec_from_dict(TaskSpec, payload["task"]).level
    except (KeyError, TypeError, ValueError) as err:
        raise CheckpointError(f"The checkpoint's description is damaged: {err}") from err
    if (len(src_vocab), len(tgt_vocab)) != (spec.src_vocab_size, spec.tgt_vocab_size):
        raise CheckpointError("The checkpoint's vocabularies do not fit its model.")
    model = Seq2Seq(spec)
    load_weights(model, payload["state_dict"])
    return model.eval(), src_vocab, tgt_vocab, level, payload


def effective_config(cfg: S2SConfig, payload: dict | None) -> S2SConfig:
    """What actually runs: the checkpoint's task and model with the user's live settings."""
    if cfg.pretrained == "none" or payload is None:
        return cfg
    base = spec_from_dict(S2SConfig, payload["config"])
    names = live_fields(S2SConfig) | {"pretrained"}
    return replace(base, **{f.name: getattr(cfg, f.name) for f in fields(cfg) if f.name in names})
