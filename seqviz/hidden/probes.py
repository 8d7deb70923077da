"""Probes: what a recurrent language model computes on a text, as detached numpy arrays.

``trace_lm`` runs the model's readable loop path once (``return_internals=True``, no autograd
graph) and keeps, per layer, every step's hidden state h_t, LSTM cell state c_t and gate values,
plus the next-token distribution summarised as its top-k tokens and the surprisal
-ln p(x_{t+1} | x_<=t) of the token that really came next (Shannon 1948; the per-character
view of Karpathy, Johnson and Fei-Fei 2015, "Visualizing and understanding recurrent networks").
``trace_corpus`` does the same for a long stretch of corpus, batched, keeping only the states
(for PCA and the neuron finder); ``ngram_surprisal`` gives the count-based baseline's surprisal
for the same tokens.

Shape letters: T time steps (tokens), H hidden units, V vocabulary, K top-k, N corpus tokens.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from seqviz.data import Vocab, tokenize
from seqviz.i18n import _
from seqviz.models.ngram import NGramLM

MAX_TOKENS = 500  # display limit: longer probe texts are truncated (with a notice on the page)
TOP_K = 5
PASSAGE_TOKENS = {"char": 400, "word": 100}  # length of one validation passage
EXAMPLES = {  # short default probe texts per corpus: every token fits on a chart axis
    "python": 'def greet(name):\n    msg = "Hi, " + name\n    if name:\n'
              "        print('ok')\n    return msg\n",
    "prose": 'The "while" statement repeats a suite\nas long as an expression is true.\n',
    "grammar": "the wise king has two cows .\nthe princess said that she rides in the castle .\n",
    "grammar_zh": "国王说他在宫殿里休息。\n她是一个聪明的王后。\n那只刚出生的小狗学着吃骨头。\n"
                  "狗在农场里喜欢吃骨头。\n",
}


class ProbeError(ValueError):
    """A probe text that cannot be traced; ``str(err)`` is fit to show on a page."""


@dataclass
class Probe:
    """A probe text as the model reads it: tokens, their ids and which ones it does not know."""

    tokens: list[str]  # (T,) the original tokens (an unknown one keeps its own spelling)
    ids: np.ndarray  # (T,) int64 ids; unknown tokens are 0 = <unk>
    unknown: np.ndarray  # (T,) bool, True where the vocabulary lacks the token
    level: str  # "char" | "word"
    total_tokens: int  # tokens before truncation

    @property
    def truncated(self) -> bool:
        return self.total_tokens > len(self.tokens)

    def __len__(self) -> int:
        return len(self.tokens)


def encode_probe(text: str, vocab: Vocab, level: str, max_tokens: int = MAX_TOKENS) -> Probe:
    """Tokenise and encode ``text``, keeping at most ``max_tokens`` tokens."""
    if max_tokens < 1:
        raise ValueError(f"max_tokens must be at least 1, got {max_tokens}")
    tokens = tokenize(text or "", level)
    if not tokens:
        raise ProbeError(_("The probe text is empty: type some text (or pick a validation "
                           "passage)."))
    kept = tokens[:max_tokens]
    ids = np.asarray(vocab.encode(kept), dtype=np.int64)
    unknown = np.asarray([t not in vocab for t in kept], dtype=bool)
    return Probe(kept, ids, unknown, level, len(tokens))


def probe_from_ids(ids, vocab: Vocab, level: str, max_tokens: int = MAX_TOKENS) -> Probe:
    """A probe from already-encoded ids (a validation passage): id 0 is shown as <unk>."""
    arr = np.asarray(ids, dtype=np.int64).reshape(-1)
    if arr.size == 0:
        raise ProbeError(_("The passage is empty."))
    kept = arr[:max_tokens]
    return Probe(vocab.decode(kept), kept, kept == vocab.unk_id, level, len(arr))


def passages(n_tokens: int, level: str) -> tuple[int, int]:
    """(count, length) of the non-overlapping validation passages of a stream of n_tokens."""
    length = PASSAGE_TOKENS[level]
    return max(1, n_tokens // length), length


@dataclass
class LayerTrace:
    """One layer on one text: states and gates per step (all (T, H))."""

    hidden: np.ndarray  # (T, H) h_t
    cell: np.ndarray | None  # (T, H) c_t for an LSTM, else None
    gates: dict[str, np.ndarray] = field(default_factory=dict)  # i f g o | r z n | pre

    def states(self, which: str = "hidden") -> np.ndarray:
        """``"hidden"`` (h_t) or ``"cell"`` (c_t; LSTM only)."""
        if which == "cell":
            if self.cell is None:
                raise ValueError("Only an LSTM has a cell state; this layer has hidden states.")
            return self.cell
        return self.hidden


@dataclass
class HiddenTrace:
    """Everything the page shows about one probe text, detached from the model."""

    cell_name: str  # "rnn" | "gru" | "lstm"
    layers: list[LayerTrace]
    top_ids: np.ndarray  # (T, K) most likely next tokens after reading token t, best first
    top_probs: np.ndarray  # (T, K) their probabilities
    next_prob: np.ndarray  # (T,) p(x_{t+1} | x_<=t); NaN at the last step (nothing follows)
    surprisal: np.ndarray  # (T,) -ln p(x_t | x_<t) in nats; NaN at t = 0 (no context yet)

    @property
    def num_steps(self) -> int:
        return len(self.surprisal)


@torch.no_grad()
def trace_lm(model, ids, top_k: int = TOP_K) -> HiddenTrace:
    """Run ``model`` (a ``LanguageModel``) over ``ids`` (T,) from a zero state.

    The states and gates are the loop path's own tensors (``Internals``), so they equal what the
    layer computes in its forward pass. The model is put in eval mode for the pass (no dropout)
    and restored afterwards; a caller tracing a model that is training elsewhere holds the
    trainer's lock.
    """
    arr = np.asarray(ids, dtype=np.int64).reshape(-1)
    if arr.size == 0:
        raise ProbeError(_("Nothing to trace: the probe has no tokens."))
    was_training = model.training
    model.eval()
    try:
        x = torch.as_tensor(arr, device=model.device)[None]  # (1, T)
        run = model.run(x, return_internals=True)
    finally:
        model.train(was_training)
    internals = run.internals.detach_numpy()
    layers = [LayerTrace(hidden=h[0], cell=None if c is None else c[0],
                         gates={n: v[0] for n, v in g.items()})
              for h, c, g in zip(internals.hidden, internals.cell, internals.gates)]
    logits = run.logits[0]  # (T, V); at least float32 for the softmax
    logp = torch.log_softmax(logits.to(torch.promote_types(logits.dtype, torch.float32)), dim=-1)
    k = min(top_k, logp.size(-1))
    top = torch.topk(logp, k, dim=-1)
    target = torch.as_tensor(arr[1:], device=logp.device)  # (T-1,) the tokens that came next
    actual = logp[:-1].gather(1, target[:, None])[:, 0].cpu().numpy()  # (T-1,) ln p(x_{t+1})
    surprisal = np.concatenate([[np.nan], -actual])  # (T,) indexed by the token predicted
    next_prob = np.concatenate([np.exp(actual), [np.nan]])  # (T,) indexed by the context end
    return HiddenTrace(internals.cell_name, layers, top.indices.cpu().numpy(),
                       top.values.exp().cpu().numpy(), next_prob, surprisal)


@dataclass
class CorpusStates:
    """Per-layer states over a stretch of corpus: ``hidden[l]`` (N, H), ``cell[l]`` or None."""

    ids: np.ndarray  # (N,) the corpus ids the states belong to
    hidden: list[np.ndarray]
    cell: list[np.ndarray | None]

    def states(self, layer: int, which: str = "hidden") -> np.ndarray:
        if which == "cell":
            if self.cell[layer] is None:
                raise ValueError("Only an LSTM has a cell state.")
            return self.cell[layer]
        return self.hidden[layer]


@torch.no_grad()
def trace_corpus(model, ids, rows: int = 16, max_tokens: int = 8192) -> CorpusStates:
    """States at the first ``max_tokens`` positions of ``ids``, read as ``rows`` parallel rows.

    The stream is cut into ``rows`` contiguous pieces of equal length (B = rows), each started
    from a zero state like a probe text, and run as one batch: the loop path costs T steps
    instead of N. A state early in a row has seen less context than in one long pass.
    """
    arr = np.asarray(ids, dtype=np.int64).reshape(-1)[:max_tokens]
    rows = max(1, min(int(rows), len(arr)))
    length = len(arr) // rows
    if length < 1:
        raise ProbeError(_("The corpus is too short to trace."))
    arr = arr[: rows * length]
    was_training = model.training
    model.eval()
    try:
        x = torch.as_tensor(arr.reshape(rows, length), device=model.device)  # (B, T)
        internals = model.run(x, return_internals=True).internals.detach_numpy()
    finally:
        model.train(was_training)

    def flat(a):  # (B, T, H) -> (N, H) in stream order
        return None if a is None else a.reshape(rows * length, -1)

    return CorpusStates(arr, [flat(h) for h in internals.hidden],
                        [flat(c) for c in internals.cell])


def default_ngram_order(level: str) -> int:
    """5-gram for characters, trigram for words (the LM page's strongest baselines)."""
    return 5 if level == "char" else 3


def fit_ngram(train_ids, vocab_size: int, order: int) -> NGramLM:
    """Interpolated Kneser-Ney n-gram on the model's own training ids."""
    return NGramLM(order, smoothing="kn").fit(np.asarray(train_ids, dtype=np.int64), vocab_size)


def ngram_surprisal(ngram: NGramLM, ids) -> np.ndarray:
    """(T,) -ln p(x_t | up to n-1 previous tokens) in nats, NaN at t = 0 like ``trace_lm``.

    The n-gram scores token 0 by its unigram frequency, but the RNN has no context there, so
    position 0 is left out of both for a like-for-like comparison.
    """
    out = -np.asarray(ngram.log_probs(np.asarray(ids, dtype=np.int64)), dtype=float)
    out[0] = np.nan
    return out
