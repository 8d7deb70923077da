"""One decoding problem, whatever the model: the beam-search page's common currency.

A ``SearchProblem`` bundles the two functions ``seqviz.decoding.beam`` needs with the start
state and token labels, for a language model continuing a prompt or a seq2seq model translating an
input. Error analysis (``outcomes``) compares the reference and the search's output under the
objective the search maximises, the length-normalised log P / T^alpha.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import torch

from seqviz.data import Vocab, detokenize, tokenize
from seqviz.decoding.outcomes import EXPLANATIONS, KINDS
from seqviz.i18n import _
from seqviz.decoding.beam import (BeamTree, ReorderFn, StepFn, beam_search, normalised,
                                  search_with_greedy, sequence_logp)
from seqviz.lm.decode import lm_search_fns, next_token_distribution
from seqviz.models.lm import LanguageModel


@dataclass
class SearchProblem:
    step: StepFn
    reorder: ReorderFn
    state: Any
    bos: int
    eos: int  # -1 when the model has no end token
    label: Callable[[int], str]  # token id -> how the tree shows it
    join: Callable[[list[int]], str]  # output ids -> readable text (end token dropped)
    encode_target: Callable[[str], list[int]]  # a typed reference -> ids (end token included)
    unknown: int = 0  # input tokens the vocabulary lacks
    # a typed reference -> how many of its tokens the output vocabulary lacks (read as <unk>)
    unknown_target: Callable[[str], int] = lambda text: 0

    def search(self, beam_width: int, max_len: int, alpha: float, expand: int | None = None,
               finished: str = "shrink") -> BeamTree:
        """Beam search with its tree and the greedy path (for drawing)."""
        return search_with_greedy(self.step, self.reorder, self.state, bos=self.bos,
                                  eos=self.eos, beam_width=beam_width, max_len=max_len,
                                  alpha=alpha, expand=expand, finished=finished)

    def best(self, beam_width: int, max_len: int, alpha: float, finished: str = "shrink"
             ) -> BeamTree:
        """Beam search alone, one child per hypothesis recorded (for counting, not drawing)."""
        return beam_search(self.step, self.reorder, self.state, bos=self.bos, eos=self.eos,
                           beam_width=beam_width, max_len=max_len, alpha=alpha, expand=1,
                           finished=finished)

    def logp(self, tokens: list[int]) -> float:
        return float(sum(sequence_logp(self.step, self.state, tokens, bos=self.bos)))

    def next_tokens(self, prefix: list[int], k: int = 5) -> list[tuple[int, float]]:
        """Top-k next tokens and probabilities after ``prefix`` (a node's path)."""
        prev, state = torch.tensor([self.bos]), self.state
        with torch.no_grad():
            for tok in prefix:
                state = self.step(prev, state)[1]
                prev = torch.tensor([tok])
            log_probs = self.step(prev, state)[0]
        probs, ids = log_probs[0].exp().topk(min(k, log_probs.size(1)))
        return list(zip(ids.tolist(), probs.tolist()))

    def sample(self, max_len: int, temperature: float, seed: int) -> list[int]:
        gen = torch.Generator().manual_seed(int(seed))
        prev, state, out = torch.tensor([self.bos]), self.state, []
        with torch.no_grad():
            for _unused in range(max_len):
                log_probs, state = self.step(prev, state)
                probs = next_token_distribution(log_probs[0], temperature)
                tok = int(torch.multinomial(probs, 1, generator=gen))
                out.append(tok)
                if tok == self.eos:
                    break
                prev = torch.tensor([tok])
        return out


def _readable(token: str) -> str:
    return {"\n": "⏎", " ": "␣", "\t": "⇥"}.get(token, token)


def lm_problem(model: LanguageModel, vocab: Vocab, level: str, prompt: str) -> SearchProblem:
    """Continue ``prompt``; a line break ends a hypothesis (when the vocabulary has one)."""
    tokens = tokenize(prompt, level)
    unknown = sum(1 for t in tokens if t not in vocab)
    step, reorder, state, bos = lm_search_fns(model, vocab.encode(tokens))
    eos = vocab.stoi.get("\n", -1)

    def join(ids: list[int]) -> str:
        return detokenize([vocab.itos[i] for i in ids if i != eos], level)

    def encode_target(text: str) -> list[int]:
        ids = vocab.encode(tokenize(text, level))
        return ids + ([eos] if eos >= 0 else [])

    return SearchProblem(step, reorder, state, bos, eos, lambda i: _readable(vocab.itos[i]),
                         join, encode_target, unknown,
                         lambda text: sum(1 for t in tokenize(text, level) if t not in vocab))


@dataclass(frozen=True)
class Verdict:
    kind: str  # one of KINDS
    ref_logp: float
    hyp_logp: float
    ref_score: float
    hyp_score: float

    @property
    def explanation(self) -> str:
        """Why, in the current language."""
        return _(EXPLANATIONS[self.kind])


def classify(ref: list[int], hyp: list[int], ref_logp: float, hyp_logp: float,
             alpha: float) -> Verdict:
    ref_score, hyp_score = normalised(ref_logp, len(ref), alpha), normalised(hyp_logp, len(hyp), alpha)
    if list(ref) == list(hyp):
        kind = "correct"
    elif ref_score > hyp_score:
        kind = "search error"
    else:
        kind = "model error"
    return Verdict(kind, ref_logp, hyp_logp, ref_score, hyp_score)


def verdict(problem: SearchProblem, reference: list[int], tree: BeamTree, alpha: float,
            ref_logp: float | None = None) -> Verdict:
    """Judge the search's best output against the reference (log P(y*) computed if not given)."""
    lp = problem.logp(reference) if ref_logp is None else ref_logp
    return classify(reference, list(tree.best.tokens), lp, tree.best.logp, alpha)


def analyse(problem: SearchProblem, reference: list[int], beam_width: int, max_len: int,
            alpha: float, ref_logp: float | None = None, finished: str = "shrink"
            ) -> tuple[Verdict, BeamTree]:
    tree = problem.best(beam_width, max_len, alpha, finished)
    return verdict(problem, reference, tree, alpha, ref_logp), tree


def tally_by_width(pairs: Iterable[tuple[SearchProblem, list[int]]], widths: Iterable[int],
                   max_len: int, alpha: float,
                   progress: Callable[[int], None] | None = None, finished: str = "shrink"
                   ) -> dict[int, Counter]:
    """For each beam width, counts of correct / search error / model error over
    (problem, reference) pairs; log P(y*) is computed once per pair."""
    widths = sorted(set(widths))
    counts = {b: Counter({k: 0 for k in KINDS}) for b in widths}
    for i, (problem, ref) in enumerate(pairs):
        ref_lp = problem.logp(ref)
        for b in widths:
            counts[b][analyse(problem, ref, b, max_len, alpha, ref_lp, finished)[0].kind] += 1
        if progress is not None:
            progress(i + 1)
    return counts
