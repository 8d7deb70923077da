"""``SeqTaskExperiment``: config -> generated data -> recurrent classifier or tagger -> trainer,
with held-out evaluation (training and validation accuracy and loss) and the probes the page
draws. ``step(n)`` trains; dropout, weight decay (L2, in the optimiser) and the learning rate
are live settings."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from seqviz.models.seeding import seeded
from seqviz.seqtasks import analysis
from seqviz.seqtasks.config import SeqTaskConfig
from seqviz.seqtasks.data import Batches, TaskData, build_data, encode
from seqviz.seqtasks.models import SeqModel
from seqviz.train import Trainer

EVAL_EXAMPLES = 500  # training examples scored per evaluation (the whole set when smaller)


def loss_fn(model: SeqModel, batch) -> torch.Tensor:
    ids, lengths, labels = batch
    logits = model(ids, lengths)
    if model.tagger:
        return F.cross_entropy(logits.reshape(-1, logits.size(-1)), labels.reshape(-1),
                               ignore_index=-100)
    return F.cross_entropy(logits, labels)


@dataclass(frozen=True)
class Evaluation:
    step: int
    train_acc: float
    val_acc: float
    train_loss: float
    val_loss: float


@torch.no_grad()
def score(model: SeqModel, data: TaskData, examples, batch: int = 256
          ) -> tuple[float, float, np.ndarray]:
    """(accuracy, mean loss per example, predictions as ``analysis.predict`` gives them) in
    one pass over ``examples``."""
    model.eval()
    total, n, preds = 0.0, 0, []
    for i in range(0, len(examples), batch):
        part = examples[i:i + batch]
        ids, lengths, labels = encode(data, part)
        logits = model(ids, lengths)
        if model.tagger:
            total += float(F.cross_entropy(logits.reshape(-1, logits.size(-1)),
                                           labels.reshape(-1), ignore_index=-100)) * len(part)
            pred = logits.argmax(-1)
            preds += [pred[j, :int(k)] for j, k in enumerate(lengths)]
        else:
            total += float(F.cross_entropy(logits, labels)) * len(part)
            preds.append(logits.argmax(-1))
        n += len(part)
    pred = torch.cat(preds).numpy() if preds else np.zeros(0, dtype=np.int64)
    y = analysis.gold(data, examples)
    acc = float((pred == y).mean()) if len(y) else float("nan")
    return acc, total / max(n, 1), pred


@dataclass
class SeqTaskExperiment:
    cfg: SeqTaskConfig
    data: TaskData
    model: SeqModel
    trainer: Trainer
    evals: list[Evaluation] = field(default_factory=list)
    val_pred: np.ndarray | None = None  # validation predictions at the latest evaluation

    @classmethod
    def build(cls, cfg: SeqTaskConfig, data: TaskData | None = None) -> "SeqTaskExperiment":
        data = data if data is not None else build_data(cfg.task, cfg.train_size, cfg.seed,
                                                         cfg.reviews)
        with seeded(cfg.seed):
            model = SeqModel(len(data.itos), len(data.classes), cell=cfg.cell,
                             embed_size=cfg.embed_size, hidden_size=cfg.hidden_size,
                             num_layers=cfg.num_layers, bidirectional=cfg.bidirectional,
                             dropout=cfg.dropout, tagger=cfg.task == "tagging")
        box: list = []  # the experiment, once made: dropout masks are seeded per step

        def seeded_loss(model, batch):
            exp = box[0]
            with seeded(exp.cfg.seed * 1_000_003 + exp.trainer.steps):
                return loss_fn(model, batch)

        trainer = Trainer(model, Batches(data, cfg.batch_size, cfg.seed), seeded_loss,
                          optimizer="adam", lr=cfg.lr, clip="norm", clip_threshold=5.0,
                          max_loss=10 * math.log(len(data.classes)) + 10)
        exp = cls(cfg, data, model, trainer)
        box.append(exp)
        exp.apply_live(cfg)
        exp.evaluate()
        return exp

    @property
    def steps(self) -> int:
        return self.trainer.steps

    def step(self, n: int = 1):
        return self.trainer.step(n)

    def apply_live(self, cfg: SeqTaskConfig) -> None:
        self.cfg = cfg
        self.trainer.set_lr(cfg.lr)
        self.model.set_dropout(cfg.dropout)
        for group in self.trainer.optimizer.param_groups:
            group["weight_decay"] = float(cfg.weight_decay)  # L2: Adam adds wd * w to the grad

    def evaluate(self) -> Evaluation:
        """Training (first ``EVAL_EXAMPLES``) and validation accuracy and loss; the validation
        predictions are kept (``val_pred``) for the per-kind and per-tag views."""
        train_acc, train_loss, _p = score(self.model, self.data,
                                          self.data.train[:EVAL_EXAMPLES])
        val_acc, val_loss, self.val_pred = score(self.model, self.data, self.data.val)
        e = Evaluation(self.steps, train_acc, val_acc, train_loss, val_loss)
        self.model.train()
        if self.evals and self.evals[-1].step == e.step:
            self.evals[-1] = e
        else:
            self.evals.append(e)
        return e

    def train_to(self, steps: int, eval_every: int = 100) -> Evaluation:
        """Train until ``steps`` (evaluating every ``eval_every``); for tests and the lecture."""
        while self.steps < steps:
            self.step(min(eval_every - self.steps % eval_every, steps - self.steps))
            if self.steps % eval_every == 0:
                self.evaluate()
        return self.evaluate()


def tag_report(model: SeqModel, data: TaskData, pred: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
    """(confusion matrix, per-tag accuracy) on the validation set (``pred``: its predictions,
    when already made)."""
    y = analysis.gold(data, data.val)
    pred = analysis.predict(model, data, data.val) if pred is None else pred
    m = analysis.confusion(y, pred, len(data.classes))
    return m, analysis.per_class_accuracy(m)
