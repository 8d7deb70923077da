"""Beam search that records its whole search tree (Graves 2012; Sutskever et al. 2014).

Decoding looks for argmax_y log P(y | x) = sum_t log P(y_t | y_<t, x). Greedy search keeps the
single best prefix; beam search keeps the B best prefixes, advancing all of them as one batch
per step. Scores are sums of log-probabilities and so favour short outputs; the final ranking
uses the length-normalised score log P / T^alpha (Wu et al. 2016 use a smoothed variant), where
T counts the generated tokens including the end token.

A hypothesis that emits the end token is finished and set aside. What its place in the beam
becomes is a convention (``FINISHED``): ``shrink`` leaves it empty, so B - f hypotheses stay live
after f have finished (e.g. Stanford CS224n's NMT assignment); ``keep`` refills it with the
next-best continuation, so B stay live (fairseq's sequence generator, Hugging Face ``generate``
with early stopping). Both stop once B hypotheses have finished.

The search is model-agnostic: ``step_fn(prev_tokens (N,), state) -> (log_probs (N, V), state)``
advances N hypotheses at once and ``reorder(state, index (N',))`` selects/repeats hypotheses.
A language model and a seq2seq decoder both fit behind those two functions.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Callable

import torch

StepFn = Callable[[torch.Tensor, Any], tuple[torch.Tensor, Any]]
ReorderFn = Callable[[Any, torch.Tensor], Any]
FINISHED = ("shrink", "keep")  # what a finished hypothesis's slot becomes (see beam_search)


def normalised(logp: float, length: int, alpha: float) -> float:
    """Length-normalised score log P / T^alpha (alpha = 0: raw log-probability)."""
    return logp / (max(length, 1) ** alpha)


@dataclass(frozen=True)
class Node:
    id: int
    parent: int  # -1 for children of the root (the start token)
    step: int  # 1-based position of ``token`` in the output
    token: int
    logp: float  # cumulative log P of the prefix ending here
    score: float  # normalised score of that prefix
    status: str  # "kept" | "pruned" | "finished" | "greedy" (greedy path outside the beam)


@dataclass(frozen=True)
class Hypothesis:
    tokens: tuple[int, ...]  # generated tokens, the end token included when finished
    logp: float
    score: float
    finished: bool
    node: int  # id of its last node in the tree (-1 when empty)


@dataclass
class BeamTree:
    nodes: list[Node]
    finals: list[Hypothesis]  # sorted by normalised score, best first
    greedy: Hypothesis
    beam_width: int
    alpha: float
    max_len: int
    finished: str = "shrink"  # the convention for finished hypotheses (``FINISHED``)
    children: dict[int, list[int]] = field(default_factory=dict)

    @property
    def best(self) -> Hypothesis:
        return self.finals[0]

    def ranked_by_logp(self) -> list[Hypothesis]:
        return sorted(self.finals, key=lambda h: -h.logp)

    def path(self, node_id: int) -> list[Node]:
        """Nodes from the first step down to ``node_id``."""
        by_id, out = {n.id: n for n in self.nodes}, []
        while node_id >= 0:
            out.append(by_id[node_id])
            node_id = by_id[node_id].parent
        return out[::-1]


def _check(beam_width: int, max_len: int, alpha: float, finished: str = "shrink") -> None:
    if finished not in FINISHED:
        raise ValueError(f"finished must be one of {FINISHED}, got {finished!r}")
    if beam_width < 1:
        raise ValueError(f"beam width must be at least 1, got {beam_width}")
    if max_len < 1:
        raise ValueError(f"maximum length must be at least 1, got {max_len}")
    if not 0.0 <= alpha <= 2.0:
        raise ValueError(f"alpha must be in [0, 2], got {alpha}")


class _TreeBuilder:
    """Accumulates nodes; ids are list positions."""

    def __init__(self, alpha: float):
        self.nodes: list[Node] = []
        self.alpha = alpha

    def add(self, parent: int, step: int, token: int, logp: float, status: str) -> int:
        node = Node(len(self.nodes), parent, step, token, logp,
                    normalised(logp, step, self.alpha), status)
        self.nodes.append(node)
        return node.id


def _select(total: torch.Tensor, beam_width: int, n_finished: int, eos: int, finished: str
            ) -> list[tuple[float, int]]:
    """The continuations the beam takes this step, best first, as (cumulative log P, flat index
    row * V + token) over the N x V table ``total``.

    ``shrink``: the top B - (hypotheses finished so far); an end token among them is set aside.
    ``keep``: walking down the ranking, an end token ranked in the top B is set aside and the
    best B other continuations stay live (fairseq; Hugging Face's ``generate``). At most N <= B
    of the candidates end (one per row), so the top 2B hold B live ones.
    """
    vocab = total.size(1)
    if finished == "shrink":
        vals, flats = total.flatten().topk(min(beam_width - n_finished, total.numel()))
        return list(zip(vals.tolist(), flats.tolist()))
    vals, flats = total.flatten().topk(min(2 * beam_width, total.numel()))
    chosen, live = [], 0
    for rank, (val, flat) in enumerate(zip(vals.tolist(), flats.tolist())):
        if flat % vocab == eos:
            if rank < beam_width:
                chosen.append((val, flat))
        elif live < beam_width:
            chosen.append((val, flat))
            live += 1
    return chosen


def _record(tree: _TreeBuilder, total: torch.Tensor, chosen: list[tuple[float, int]],
            parents: list[int], step: int, expand: int, eos: int) -> dict[int, int]:
    """Adds this step's nodes: every live hypothesis's top ``expand`` continuations (pruned
    unless chosen) and every chosen one; returns flat index -> node id for the chosen."""
    vocab = total.size(1)
    picked = {flat for _val, flat in chosen}
    shown_vals, shown_tok = total.topk(min(expand, vocab), dim=1)  # (N, expand) for the tree
    ids: dict[int, int] = {}
    for row in range(total.size(0)):
        for val, tok in zip(shown_vals[row].tolist(), shown_tok[row].tolist()):
            flat = row * vocab + tok
            status = ("finished" if tok == eos else "kept") if flat in picked else "pruned"
            ids[flat] = tree.add(parents[row], step, tok, val, status)
    for val, flat in chosen:  # chosen but beyond the display cut: still part of the tree
        if flat not in ids:
            row, tok = divmod(flat, vocab)
            ids[flat] = tree.add(parents[row], step, tok, val,
                                 "finished" if tok == eos else "kept")
    return ids


@torch.no_grad()
def beam_search(step_fn: StepFn, reorder: ReorderFn, state: Any, *, bos: int, eos: int,
                beam_width: int, max_len: int, alpha: float = 0.0, expand: int | None = None,
                finished: str = "shrink") -> BeamTree:
    """Beam search from one start state; every live hypothesis shows its top ``expand`` children.

    Selection at each step is over all N x V continuations (so a wide enough beam is
    exhaustive). A chosen continuation that ends in ``eos`` is finished and set aside; what
    happens to its slot is the ``finished`` convention (``FINISHED``): ``shrink`` leaves it
    empty, so the beam holds B - (finished so far) live hypotheses; ``keep`` refills the beam
    to B live ones. Both stop once B hypotheses have finished, when nothing is live, or after
    ``max_len`` tokens (the live ones then join the finals unfinished).
    """
    _check(beam_width, max_len, alpha, finished)
    expand = beam_width if expand is None else max(1, expand)
    tree = _TreeBuilder(alpha)
    alive_nodes = [-1]  # tree ids of live hypotheses (root = -1)
    alive_logp = torch.zeros(1)  # (N,)
    alive_tokens: list[tuple[int, ...]] = [()]
    prev = torch.tensor([bos])
    finals: list[Hypothesis] = []
    for step in range(1, max_len + 1):
        log_probs, state = step_fn(prev, state)  # (N, V)
        total = alive_logp[:, None] + log_probs.float().cpu()  # (N, V) cumulative log P
        chosen = _select(total, beam_width, len(finals), eos, finished)
        ids = _record(tree, total, chosen, alive_nodes, step, expand, eos)
        rows, nodes, tokens, logps = [], [], [], []
        for val, flat in chosen:
            row, tok = divmod(flat, total.size(1))
            if tok == eos:
                finals.append(Hypothesis(alive_tokens[row] + (tok,), val,
                                         normalised(val, step, alpha), True, ids[flat]))
            else:
                rows.append(row)
                nodes.append(ids[flat])
                tokens.append(alive_tokens[row] + (tok,))
                logps.append(val)
        if not rows or len(finals) >= beam_width:
            break
        state = reorder(state, torch.tensor(rows))
        alive_nodes, alive_tokens, alive_logp = nodes, tokens, torch.tensor(logps)
        prev = torch.tensor([t[-1] for t in tokens])
    else:  # ran out of length: the live ones are unfinished finals
        finals += [Hypothesis(t, lp, normalised(lp, len(t), alpha), False, n)
                   for t, lp, n in zip(alive_tokens, alive_logp.tolist(), alive_nodes)]
    finals.sort(key=lambda h: -h.score)
    return BeamTree(tree.nodes, finals, Hypothesis((), 0.0, 0.0, False, -1), beam_width, alpha,
                    max_len, finished=finished)


@torch.no_grad()
def greedy_search(step_fn: StepFn, state: Any, *, bos: int, eos: int, max_len: int,
                  alpha: float = 0.0) -> Hypothesis:
    """Argmax at every step; stops at ``eos`` or after ``max_len`` tokens."""
    prev, tokens, logp = torch.tensor([bos]), [], 0.0
    for _unused in range(max_len):
        log_probs, state = step_fn(prev, state)
        tok = int(log_probs[0].argmax())
        logp += float(log_probs[0, tok])
        tokens.append(tok)
        if tok == eos:
            return Hypothesis(tuple(tokens), logp, normalised(logp, len(tokens), alpha), True, -1)
        prev = torch.tensor([tok])
    return Hypothesis(tuple(tokens), logp, normalised(logp, len(tokens), alpha), False, -1)


@torch.no_grad()
def sequence_logp(step_fn: StepFn, state: Any, tokens: list[int], *, bos: int) -> list[float]:
    """Per-step log P(y_t | y_<t, x) of a given output under teacher forcing."""
    prev, out = torch.tensor([bos]), []
    for tok in tokens:
        log_probs, state = step_fn(prev, state)
        out.append(float(log_probs[0, tok]))
        prev = torch.tensor([tok])
    return out


def search_with_greedy(step_fn: StepFn, reorder: ReorderFn, state: Any, *, bos: int, eos: int,
                       beam_width: int, max_len: int, alpha: float = 0.0,
                       expand: int | None = None, finished: str = "shrink") -> BeamTree:
    """Beam search plus the greedy path, marked in the tree (added where the beam pruned it)."""
    tree = beam_search(step_fn, reorder, state, bos=bos, eos=eos, beam_width=beam_width,
                       max_len=max_len, alpha=alpha, expand=expand, finished=finished)
    greedy = greedy_search(step_fn, state, bos=bos, eos=eos, max_len=max_len, alpha=alpha)
    children: dict[int, list[int]] = {}
    for node in tree.nodes:
        children.setdefault(node.parent, []).append(node.id)
    cumulative: list[float] | None = None  # per-step log P of the greedy path, if needed
    parent, last = -1, -1
    for step, tok in enumerate(greedy.tokens, start=1):
        match = next((c for c in children.get(parent, []) if tree.nodes[c].token == tok), None)
        if match is None:  # the beam pruned the greedy path here: graft the rest on
            if cumulative is None:
                steps = sequence_logp(step_fn, state, list(greedy.tokens), bos=bos)
                cumulative = list(itertools.accumulate(steps))
            logp = cumulative[step - 1]
            node = Node(len(tree.nodes), parent, step, tok, logp,
                        normalised(logp, step, alpha), "greedy")
            tree.nodes.append(node)
            children.setdefault(parent, []).append(node.id)
            match = node.id
        parent = last = match
    tree.greedy = Hypothesis(greedy.tokens, greedy.logp, greedy.score, greedy.finished, last)
    tree.children = children
    return tree
