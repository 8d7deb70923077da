"""What the page shows about a trained model: accuracies, per-token contributions, final
hidden states in 2-D, per-tag accuracy and the confusion matrix, and the baselines that need no
memory (bag of words, most frequent tag per word).

Contributions are gradient x input (Simonyan et al. 2014; Denil et al. 2014): for each token,
the gradient of the logit margin (positive - negative) with respect to its embedding, dotted
with the embedding. Occlusion replaces one token by ``<unk>`` and reports the change in
P(positive). Both return detached numpy.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np
import torch

from seqviz.seqtasks.data import UNK, TaskData, encode
from seqviz.seqtasks.models import SeqModel


@torch.no_grad()
def predict(model: SeqModel, data: TaskData, examples, batch: int = 256) -> np.ndarray:
    """Predicted classes: (N,) for the classifier; for the tagger one flat array of every
    token's tag, in example order."""
    model.eval()
    out = []
    for i in range(0, len(examples), batch):
        ids, lengths, _labels = encode(data, examples[i:i + batch])
        pred = model(ids, lengths).argmax(-1)
        if model.tagger:
            out += [pred[j, :int(n)] for j, n in enumerate(lengths)]
        else:
            out.append(pred)
    return torch.cat(out).numpy() if out else np.zeros(0, dtype=np.int64)


def gold(data: TaskData, examples) -> np.ndarray:
    if data.task == "sentiment":
        return np.array([ex.label for ex in examples], dtype=np.int64)
    return np.array([t for ex in examples for t in ex.label], dtype=np.int64)


def accuracy(model: SeqModel, data: TaskData, examples) -> float:
    y = gold(data, examples)
    return float((predict(model, data, examples) == y).mean()) if len(y) else float("nan")


def confusion(y: np.ndarray, pred: np.ndarray, n: int) -> np.ndarray:
    """(n, n) counts: row = true class, column = predicted."""
    m = np.zeros((n, n), dtype=np.int64)
    np.add.at(m, (y, pred), 1)
    return m


def per_class_accuracy(m: np.ndarray) -> np.ndarray:
    """Row-wise recall of a confusion matrix (nan for a class never seen)."""
    totals = m.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.diag(m) / np.maximum(totals, 1), np.nan)


def per_kind_accuracy(model: SeqModel, data: TaskData, examples,
                      pred: np.ndarray | None = None) -> dict[str, float]:
    """Review accuracy by construction (plain, negated, although …, but); ``pred``: the
    predictions for ``examples`` when already made."""
    pred = predict(model, data, examples) if pred is None else pred
    hit = pred == gold(data, examples)
    by = defaultdict(list)
    for ex, h in zip(examples, hit):
        by[ex.kind].append(h)
    return {k: float(np.mean(v)) for k, v in by.items()}


# ---- contributions -------------------------------------------------------------------------
def grad_x_input(model: SeqModel, ids: list[int]) -> tuple[np.ndarray, float]:
    """(per-token gradient x input of the margin logit[1] - logit[0], P(positive))."""
    model.eval()
    x = torch.tensor([ids], dtype=torch.long)
    lengths = torch.tensor([len(ids)])
    emb = model.embed(x).detach().requires_grad_(True)  # (1, T, E)
    logits = model(x, lengths, emb=emb)[0]  # (2,)
    margin = logits[1] - logits[0]
    (grad,) = torch.autograd.grad(margin, emb)
    contrib = (grad * emb).sum(-1)[0]  # (T,)
    return contrib.detach().numpy().astype(np.float64), float(torch.softmax(logits.detach(), -1)[1])


@torch.no_grad()
def occlusion(model: SeqModel, ids: list[int]) -> tuple[np.ndarray, float]:
    """(P(positive) minus P(positive) with token t replaced by <unk>, for each t; P)."""
    model.eval()
    rows = [list(ids)] + [ids[:t] + [UNK] + ids[t + 1:] for t in range(len(ids))]
    x = torch.tensor(rows, dtype=torch.long)
    p = torch.softmax(model(x, torch.full((len(rows),), len(ids))), -1)[:, 1].numpy()
    return (p[0] - p[1:]).astype(np.float64), float(p[0])


@torch.no_grad()
def final_states(model: SeqModel, data: TaskData, examples) -> np.ndarray:
    """(N, D*H) the classifier's final hidden states (what the linear head reads)."""
    model.eval()
    ids, lengths, _ = encode(data, examples)
    return model.features(ids, lengths).numpy().astype(np.float64)


def pca_2d(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N, 2) projection on the first two principal axes, and their explained variance share."""
    x = x - x.mean(axis=0, keepdims=True)
    if x.shape[0] < 2 or not np.any(x):
        return np.zeros((x.shape[0], 2)), np.zeros(2)
    _u, s, vt = np.linalg.svd(x, full_matrices=False)
    axes = vt[:2]
    proj = x @ axes.T
    if proj.shape[1] < 2:
        proj = np.pad(proj, ((0, 0), (0, 2 - proj.shape[1])))
    var = s**2 / max((s**2).sum(), 1e-12)
    return proj, np.pad(var[:2], (0, max(0, 2 - len(var[:2]))))


# ---- baselines without memory ---------------------------------------------------------------
def bag_of_words_accuracy(data: TaskData, *, l2: float = 1e-3, iters: int = 200) -> float:
    """Held-out accuracy of L2-regularised logistic regression on word counts (word order
    ignored), fitted by L-BFGS in torch (sklearn's import alone takes seconds)."""
    V = len(data.itos)

    def counts(examples) -> torch.Tensor:
        m = np.zeros((len(examples), V))
        for i, ex in enumerate(examples):
            np.add.at(m[i], data.ids(ex.tokens), 1)
        return torch.from_numpy(m)

    x, y = counts(data.train), torch.tensor(gold(data, data.train))
    C = len(data.classes)
    w = torch.zeros(V, C, dtype=torch.float64, requires_grad=True)
    b = torch.zeros(C, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], max_iter=iters, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(x @ w + b, y) + l2 * (w**2).sum()
        loss.backward()
        return loss

    with torch.enable_grad():
        opt.step(closure)
    with torch.no_grad():
        pred = (counts(data.val) @ w + b).argmax(-1).numpy()
    return float((pred == gold(data, data.val)).mean())


@dataclass(frozen=True)
class WordTagBaseline:
    accuracy: float  # held-out, every token
    per_tag: np.ndarray  # (n_tags,) held-out accuracy per true tag


def most_frequent_tag(data: TaskData) -> WordTagBaseline:
    """Each word gets the tag it had most often in training (no context at all)."""
    seen: dict[str, Counter] = defaultdict(Counter)
    overall = Counter()
    for ex in data.train:
        for w, t in zip(ex.tokens, ex.label):
            seen[w][t] += 1
            overall[t] += 1
    fallback = overall.most_common(1)[0][0]
    pred = [seen[w].most_common(1)[0][0] if w in seen else fallback
            for ex in data.val for w in ex.tokens]
    y = gold(data, data.val)
    m = confusion(y, np.array(pred, dtype=np.int64), len(data.classes))
    return WordTagBaseline(float(np.trace(m) / max(m.sum(), 1)), per_class_accuracy(m))
