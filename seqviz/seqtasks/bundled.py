"""Bundled models of the sequence-tasks page, so a lecture never waits on training: an LSTM on
the English reviews and a bidirectional LSTM tagger, each trained 600 steps from seed 0 by
``python scripts/train_seqtasks.py``. A checkpoint (``seqviz.checkpoint``, weights only) holds
the weights, the config that trained them and their evaluation history; ``effective`` says what
a bundled run is: the checkpoint's task and model with the page's live settings."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from seqviz.checkpoint import (PRETRAINED_DIR, CheckpointError, load_checkpoint, load_weights,
                               save_checkpoint)
from seqviz.config import from_query, live_fields, to_query
from seqviz.seqtasks.config import SeqTaskConfig
from seqviz.seqtasks.experiment import Evaluation, SeqTaskExperiment

KIND = "seqtasks"
BUNDLED = {"sentiment": SeqTaskConfig(task="sentiment", reviews="en", seed=0),
           "tagging": SeqTaskConfig(task="tagging", bidirectional=True, seed=0)}
STEPS = 600


def bundled_path(name: str) -> Path:
    return PRETRAINED_DIR / f"seqtasks_{name}.pt"


def effective(cfg: SeqTaskConfig) -> SeqTaskConfig:
    """``cfg`` itself for a fresh model; for a bundled one its checkpoint's setup, with
    ``cfg``'s live settings."""
    if cfg.pretrained == "none":
        return cfg
    live = {k: getattr(cfg, k) for k in live_fields(SeqTaskConfig)}
    return dataclasses.replace(BUNDLED[cfg.pretrained], pretrained=cfg.pretrained, **live)


def save(exp: SeqTaskExperiment, path: str | Path) -> None:
    save_checkpoint(path, KIND, exp.model.spec, exp.model.state_dict(),
                    meta={"steps": exp.steps},
                    config=to_query(dataclasses.replace(exp.cfg, pretrained="none")),
                    evals=[dataclasses.astuple(e) for e in exp.evals])


def load(cfg: SeqTaskConfig, data) -> SeqTaskExperiment:
    """The bundled experiment for ``cfg`` (``cfg.pretrained`` names it): built from the
    checkpoint's config, its weights, step count and evaluations restored."""
    payload = load_checkpoint(bundled_path(cfg.pretrained), KIND)
    trained, notices = from_query(SeqTaskConfig, payload.get("config", {}))
    if notices:
        raise CheckpointError("; ".join(notices))
    exp = SeqTaskExperiment.build(effective(cfg), data)
    if exp.model.spec != payload["spec"]:
        raise CheckpointError(f"the checkpoint's model {payload['spec']} is not the bundled "
                              f"setup {exp.model.spec}")
    load_weights(exp.model, payload["state_dict"])
    exp.trainer.steps = int(payload["meta"]["steps"])
    exp.evals = [Evaluation(int(e[0]), *map(float, e[1:])) for e in payload.get("evals", [])]
    exp.evaluate()
    return exp
